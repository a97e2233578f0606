//! What AWS's APIs answer: each operation's output shape, from the AWS SDK's
//! service models (reduced by `shapes/generate.py` to the file shipped in
//! the binary; nothing is fetched at run time).
//!
//! A Task's resource names an operation (`arn:aws:states:::aws-sdk:s3:getObject`,
//! or an optimized integration such as `arn:aws:states:::dynamodb:getItem`).
//! Its output shape gives `asldbg init` a response skeleton, and checks a
//! mocked answer the way TestState's `fieldValidationMode` does: every
//! field the shape knows must have its type, enum value and bounds; in
//! STRICT mode every required field must be there; fields the shape does
//! not know pass.

use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};

/// `service-id<TAB>json` lines, one per service (see `shapes/generate.py`).
static DATA: &[u8] = include_bytes!("shapes/aws-outputs.tsv.gz");

/// One shape of a service's model.
#[derive(Debug)]
enum Shape {
    Str {
        values: Option<Vec<String>>,
        lo: Option<f64>,
        hi: Option<f64>,
    },
    Blob {
        lo: Option<f64>,
        hi: Option<f64>,
    },
    Int {
        lo: Option<f64>,
        hi: Option<f64>,
    },
    Num {
        lo: Option<f64>,
        hi: Option<f64>,
    },
    Bool,
    Time,
    Any,
    List(usize),
    Map(usize),
    Struct {
        members: Vec<(String, usize)>,
        required: Vec<String>,
    },
}

/// A service's operations and the shapes their outputs use.
#[derive(Debug)]
struct Service {
    ops: HashMap<String, (String, Option<usize>)>,
    shapes: Vec<Shape>,
}

/// How strictly a result is checked (TestState's `fieldValidationMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Required fields present, present fields right.
    Strict,
    /// Present fields right.
    Present,
}

/// The first thing wrong with a result: where (a JSON pointer into it) and
/// AWS's words for it (`Field 'Entries' must be an array`).
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub pointer: String,
    pub message: String,
}

/// The output of one operation.
#[derive(Clone)]
pub struct Output {
    service: Arc<Service>,
    root: usize,
    /// `S3 GetObject`-like: the service id and the operation's name.
    pub api: String,
    /// A field the optimized integration gives as JSON where the API gives
    /// bytes: Lambda's `Payload`, Bedrock's `Body`.
    json_field: Option<&'static str>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.api)
    }
}

fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut s = String::new();
        flate2::read::GzDecoder::new(DATA)
            .read_to_string(&mut s)
            .expect("the shipped shapes file is gzip of UTF-8");
        s
    })
}

fn bound(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

fn index(v: &Value, k: &str) -> usize {
    v.get(k).and_then(Value::as_u64).unwrap_or(0) as usize
}

fn shape_of(v: &Value) -> Shape {
    let (lo, hi) = (bound(v, "lo"), bound(v, "hi"));
    match v.get("t").and_then(Value::as_str).unwrap_or("a") {
        "s" => Shape::Str {
            values: v.get("e").and_then(Value::as_array).map(|e| {
                e.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            }),
            lo,
            hi,
        },
        "B" => Shape::Blob { lo, hi },
        "i" => Shape::Int { lo, hi },
        "n" => Shape::Num { lo, hi },
        "b" => Shape::Bool,
        "t" => Shape::Time,
        "l" => Shape::List(index(v, "m")),
        "m" => Shape::Map(index(v, "v")),
        "o" => Shape::Struct {
            members: v
                .get("m")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, i)| (k.clone(), i.as_u64().unwrap_or(0) as usize))
                        .collect()
                })
                .unwrap_or_default(),
            required: v
                .get("r")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        },
        _ => Shape::Any,
    }
}

/// The service `id` names (as Step Functions spells it), read once.
fn service(id: &str) -> Option<Arc<Service>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Service>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(s) = cache.lock().ok()?.get(id) {
        return s.clone();
    }
    let t = text();
    let needle = format!("\n{id}\t");
    let found = t.find(&needle).and_then(|at| {
        let line = &t[at + needle.len()..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let v: Value = serde_json::from_str(line).ok()?;
        let ops = v
            .get("ops")?
            .as_object()?
            .iter()
            .map(|(name, i)| {
                (
                    name.to_lowercase(),
                    (name.clone(), i.as_u64().map(|i| i as usize)),
                )
            })
            .collect();
        let shapes = v.get("shapes")?.as_array()?.iter().map(shape_of).collect();
        Some(Arc::new(Service { ops, shapes }))
    });
    cache.lock().ok()?.insert(id.to_string(), found.clone());
    found
}

/// Optimized integrations named otherwise than their SDK service.
fn sdk_id(integration: &str) -> String {
    match integration {
        "events" => "eventbridge".into(),
        "states" => "sfn".into(),
        "bedrock" => "bedrockruntime".into(),
        "elasticmapreduce" => "emr".into(),
        other => other.replace('-', ""),
    }
}

/// The answer of a `.sync` job whose models say what it is: the job as
/// described when it ended — Batch's job (an item of DescribeJobs' `Jobs`),
/// Athena's GetQueryExecution, Glue's `JobRun` from GetJobRun — not the
/// start call's reply.
pub fn sync_output_of(resource: &str) -> Option<Output> {
    let rest = resource.split(":states:::").nth(1)?;
    let (svc, op, item_of) = match rest {
        "batch:submitJob.sync" => ("batch", "describejobs", Some("Jobs")),
        "athena:startQueryExecution.sync" => ("athena", "getqueryexecution", None),
        "glue:startJobRun.sync" => ("glue", "getjobrun", Some("JobRun")),
        _ => return None,
    };
    let service = service(svc)?;
    let (name, root) = service.ops.get(op)?.clone();
    let mut root = root?;
    if let Some(field) = item_of {
        let Some(Shape::Struct { members, .. }) = service.shapes.get(root) else {
            return None;
        };
        let (_, member) = members.iter().find(|(k, _)| k == field)?;
        // An item of a list (Batch's `Jobs`), or the structure itself
        // (Glue's `JobRun`).
        root = match service.shapes.get(*member) {
            Some(Shape::List(item)) => *item,
            Some(Shape::Struct { .. }) => *member,
            _ => return None,
        };
    }
    Some(Output {
        root,
        api: format!("{svc} {name}"),
        json_field: None,
        service,
    })
}

/// The output of the operation `resource` calls, when it names one the
/// models have: `aws-sdk:SERVICE:action` and the request-response
/// optimized integrations (a `.sync` job's or a callback's answer is
/// another shape, and is not checked).
pub fn output_of(resource: &str) -> Option<Output> {
    let mut parts = resource.splitn(6, ':');
    let (arn, _partition, states, region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" || states != "states" || !region.is_empty() || !account.is_empty() {
        return None;
    }
    let rest = parts.next()?;
    if rest.contains(".sync") || rest.contains(".waitForTaskToken") {
        return None;
    }
    let (svc, action) = match rest.strip_prefix("aws-sdk:") {
        Some(r) => {
            let (s, a) = r.split_once(':')?;
            (s.to_string(), a)
        }
        None => {
            let (s, a) = rest.split_once(':')?;
            (sdk_id(s), a)
        }
    };
    let service = service(&svc)?;
    let (name, root) = service.ops.get(&action.to_lowercase())?.clone();
    Some(Output {
        root: root?,
        api: format!("{svc} {name}"),
        json_field: match rest {
            "lambda:invoke" => Some("Payload"),
            "bedrock:invokeModel" => Some("Body"),
            _ => None,
        },
        service,
    })
}

fn field_error(pointer: &str, field: &str, what: &str) -> Mismatch {
    Mismatch {
        pointer: pointer.to_string(),
        message: format!("Field '{field}' {what}"),
    }
}

impl Output {
    /// The first field of `v` that does not fit the shape, in `mode`.
    pub fn check(&self, v: &Value, mode: Mode) -> Option<Mismatch> {
        if !v.is_object() {
            return Some(Mismatch {
                pointer: String::new(),
                message: "the result must be a JSON object (the API answers one)".into(),
            });
        }
        self.check_at(self.root, v, mode, "", "", true)
    }

    fn check_at(
        &self,
        shape: usize,
        v: &Value,
        mode: Mode,
        field: &str,
        pointer: &str,
        top: bool,
    ) -> Option<Mismatch> {
        let sh = self.service.shapes.get(shape)?;
        let err = |what: &str| Some(field_error(pointer, field, what));
        let length = |n: usize, lo: &Option<f64>, hi: &Option<f64>| {
            if lo.is_some_and(|lo| (n as f64) < lo) {
                err("is smaller than the minimum length")
            } else if hi.is_some_and(|hi| (n as f64) > hi) {
                err("exceeds the maximum length")
            } else {
                None
            }
        };
        let range = |x: f64, lo: &Option<f64>, hi: &Option<f64>| {
            if lo.is_some_and(|lo| x < lo) {
                err("is less than the minimum value")
            } else if hi.is_some_and(|hi| x > hi) {
                err("exceeds the maximum value")
            } else {
                None
            }
        };
        match sh {
            Shape::Any => None,
            Shape::Str { values, lo, hi } => {
                let Some(s) = v.as_str() else {
                    return err("must be a string");
                };
                if values.as_ref().is_some_and(|e| !e.iter().any(|x| x == s)) {
                    return err("is not an expected value");
                }
                length(s.chars().count(), lo, hi)
            }
            Shape::Blob { lo, hi } => match v.as_str() {
                Some(s) => length(s.chars().count(), lo, hi),
                None => err("must be a string"),
            },
            Shape::Time => match v {
                Value::String(_) => None,
                _ => err("must be a string"),
            },
            Shape::Int { lo, hi } | Shape::Num { lo, hi } => match v.as_f64() {
                Some(x) if v.is_number() => range(x, lo, hi),
                _ => err("must be a number"),
            },
            Shape::Bool => match v {
                Value::Bool(_) => None,
                _ => err("must be a boolean"),
            },
            Shape::List(m) => {
                let Some(items) = v.as_array() else {
                    return err("must be an array");
                };
                items.iter().enumerate().find_map(|(i, x)| {
                    self.check_at(*m, x, mode, field, &format!("{pointer}/{i}"), false)
                })
            }
            Shape::Map(val) => {
                let Some(o) = v.as_object() else {
                    return err("must be an object");
                };
                o.iter().find_map(|(k, x)| {
                    let p = format!("{pointer}/{}", crate::asl::json::pointer_token(k));
                    self.check_at(*val, x, mode, field, &p, false)
                })
            }
            Shape::Struct { members, required } => {
                let Some(o) = v.as_object() else {
                    return err("must be an object");
                };
                if mode == Mode::Strict {
                    for r in required {
                        if o.get(r).is_none_or(Value::is_null) {
                            return Some(Mismatch {
                                pointer: pointer.to_string(),
                                message: format!("Required field '{r}' is missing"),
                            });
                        }
                    }
                }
                o.iter().find_map(|(k, x)| {
                    if x.is_null() || (top && self.json_field == Some(k.as_str())) {
                        return None;
                    }
                    let (_, m) = members.iter().find(|(name, _)| name == k)?;
                    let p = format!("{pointer}/{}", crate::asl::json::pointer_token(k));
                    self.check_at(*m, x, mode, k, &p, false)
                })
            }
        }
    }

    /// A response of this shape to start from, each value of its type and
    /// within its bounds: the fields the model says are always sent (all
    /// of the answer's own when it says none are, as S3's GetObject), and
    /// the required ones of what they hold.
    pub fn skeleton(&self) -> Value {
        let mut v = self.example(self.root, true, 0);
        if let (Some(f), Some(o)) = (self.json_field, v.as_object_mut()) {
            o.insert(f.into(), Value::Object(Default::default()));
        }
        v
    }

    fn example(&self, shape: usize, all: bool, depth: usize) -> Value {
        let Some(sh) = self.service.shapes.get(shape) else {
            return Value::Null;
        };
        let clamp = |x: f64, lo: &Option<f64>, hi: &Option<f64>| {
            let x = lo.map_or(x, |lo| x.max(lo));
            hi.map_or(x, |hi| x.min(hi))
        };
        // "example", made as long as the bounds need.
        let text = |lo: &Option<f64>, hi: &Option<f64>, len: f64| {
            let n = clamp(len, lo, hi) as usize;
            "example".chars().cycle().take(n).collect::<String>()
        };
        match sh {
            Shape::Any => Value::Object(Default::default()),
            Shape::Str { values, lo, hi } => match values.as_ref().and_then(|e| e.first()) {
                Some(first) => Value::String(first.clone()),
                None => Value::String(text(lo, hi, 7.0)),
            },
            Shape::Blob { lo, hi } => Value::String(text(lo, hi, 0.0)),
            Shape::Int { lo, hi } => Value::from(clamp(0.0, lo, hi) as i64),
            Shape::Num { lo, hi } => Value::from(clamp(0.0, lo, hi)),
            Shape::Bool => Value::Bool(false),
            Shape::Time => Value::String("2024-01-01T00:00:00Z".into()),
            Shape::List(_) => Value::Array(Vec::new()),
            Shape::Map(_) => Value::Object(Default::default()),
            Shape::Struct { members, required } => {
                let mut o = serde_json::Map::new();
                let all = all && required.is_empty();
                if depth < 8 {
                    for (k, m) in members {
                        if all || required.contains(k) {
                            o.insert(k.clone(), self.example(*m, false, depth + 1));
                        }
                    }
                }
                Value::Object(o)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn out(r: &str) -> Output {
        output_of(r).unwrap_or_else(|| panic!("no shape for {r}"))
    }

    fn said(r: &str, v: Value, mode: Mode) -> Option<String> {
        out(r).check(&v, mode).map(|m| m.message)
    }

    const PUT_EVENTS: &str = "arn:aws:states:::events:putEvents";
    const START: &str = "arn:aws:states:::states:startExecution";

    // AWS's answers to TestState with these mocks (STRICT), as recorded.
    #[test]
    fn a_mocked_result_is_checked_as_teststate_checks_it() {
        assert_eq!(
            said(PUT_EVENTS, json!({"random": "json"}), Mode::Strict),
            None
        );
        assert_eq!(said(PUT_EVENTS, json!({}), Mode::Strict), None);
        assert_eq!(
            said(PUT_EVENTS, json!({"Entries": "a list"}), Mode::Strict).as_deref(),
            Some("Field 'Entries' must be an array")
        );
        let second = json!({"Entries": [{"EventId": "ok"}, {"EventId": ["no"]}]});
        let m = out(PUT_EVENTS).check(&second, Mode::Strict).unwrap();
        assert_eq!(m.message, "Field 'EventId' must be a string");
        assert_eq!(m.pointer, "/Entries/1/EventId");
        assert_eq!(
            said(START, json!({}), Mode::Strict).as_deref(),
            Some("Required field 'ExecutionArn' is missing")
        );
        assert_eq!(
            said(
                START,
                json!({"executionArn": "a", "startDate": "b"}),
                Mode::Strict
            )
            .as_deref(),
            Some("Required field 'ExecutionArn' is missing")
        );
        for date in [json!(true), json!(1764103483)] {
            assert_eq!(
                said(
                    START,
                    json!({"ExecutionArn": "a", "StartDate": date}),
                    Mode::Strict
                )
                .as_deref(),
                Some("Field 'StartDate' must be a string")
            );
        }
        assert_eq!(
            said(
                "arn:aws:states:::lambda:invoke",
                json!({"StatusCode": "200"}),
                Mode::Strict
            )
            .as_deref(),
            Some("Field 'StatusCode' must be a number")
        );
        assert_eq!(
            said(
                "arn:aws:states:::dynamodb:putItem",
                json!({"ConsumedCapacity": {"CapacityUnits": "123.45"}}),
                Mode::Strict
            )
            .as_deref(),
            Some("Field 'CapacityUnits' must be a number")
        );
        let s3 = "arn:aws:states:::aws-sdk:s3:getObject";
        assert_eq!(
            said(s3, json!({"ContentLength": "9000"}), Mode::Strict).as_deref(),
            Some("Field 'ContentLength' must be a number")
        );
        assert_eq!(
            said(s3, json!({"StorageClass": "Papyrus"}), Mode::Strict).as_deref(),
            Some("Field 'StorageClass' is not an expected value")
        );
        let kms = "arn:aws:states:::aws-sdk:kms:encrypt";
        assert_eq!(
            said(kms, json!({"CiphertextBlob": 123}), Mode::Strict).as_deref(),
            Some("Field 'CiphertextBlob' must be a string")
        );
        assert_eq!(
            said(kms, json!({"CiphertextBlob": ""}), Mode::Strict).as_deref(),
            Some("Field 'CiphertextBlob' is smaller than the minimum length")
        );
        let get_fn = "arn:aws:states:::aws-sdk:lambda:getFunction";
        assert_eq!(
            said(
                get_fn,
                json!({"Configuration": {"MemorySize": 127}}),
                Mode::Strict
            )
            .as_deref(),
            Some("Field 'MemorySize' is less than the minimum value")
        );
        assert_eq!(
            // AWS's recording used 10241, the limit then; the model now says 32768.
            said(
                get_fn,
                json!({"Configuration": {"MemorySize": 32769}}),
                Mode::Strict
            )
            .as_deref(),
            Some("Field 'MemorySize' exceeds the maximum value")
        );
    }

    #[test]
    fn present_mode_lets_required_fields_be_missing_but_not_wrong() {
        assert_eq!(said(START, json!({}), Mode::Present), None);
        assert_eq!(
            said(START, json!({"StartDate": 5}), Mode::Present).as_deref(),
            Some("Field 'StartDate' must be a string")
        );
    }

    #[test]
    fn a_lambda_payload_is_the_functions_json_but_the_sdk_call_gives_bytes() {
        let v = json!({"StatusCode": 200, "Payload": {"any": ["json"]}});
        assert_eq!(
            said("arn:aws:states:::lambda:invoke", v.clone(), Mode::Strict),
            None
        );
        assert_eq!(
            said("arn:aws:states:::aws-sdk:lambda:invoke", v, Mode::Strict).as_deref(),
            Some("Field 'Payload' must be a string")
        );
    }

    #[test]
    fn only_operations_the_models_name_have_a_shape() {
        for r in [
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "arn:aws:states:::states:startExecution.sync:2",
            "arn:aws:states:::aws-sdk:s3:noSuchAction",
            "arn:aws:states:::aws-sdk:nosuchservice:getThing",
            "arn:aws:states:::http:invoke",
            "arn:aws:states:us-east-1:123456789012:activity:a",
        ] {
            assert!(output_of(r).is_none(), "{r}");
        }
        // The action is the operation in camel case; any case is found.
        assert_eq!(
            out("arn:aws:states:::aws-sdk:sfn:describeExecution").api,
            "sfn DescribeExecution"
        );
        assert_eq!(
            out("arn:aws-cn:states:::aws-sdk:ec2:DescribeInstances").api,
            "ec2 DescribeInstances"
        );
        assert_eq!(
            out("arn:aws:states:::aws-sdk:cognitoidentityprovider:adminGetUser").api,
            "cognitoidentityprovider AdminGetUser"
        );
    }

    #[test]
    fn a_skeleton_passes_its_own_strict_check() {
        for r in [
            "arn:aws:states:::aws-sdk:s3:getObject",
            "arn:aws:states:::aws-sdk:sfn:describeExecution",
            "arn:aws:states:::aws-sdk:ec2:describeInstances",
            "arn:aws:states:::aws-sdk:kms:encrypt",
            "arn:aws:states:::aws-sdk:lambda:getFunction",
            "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue",
            "arn:aws:states:::aws-sdk:dynamodb:query",
            "arn:aws:states:::states:startExecution",
            "arn:aws:states:::lambda:invoke",
            "arn:aws:states:::events:putEvents",
        ] {
            let o = out(r);
            let sk = o.skeleton();
            assert_eq!(o.check(&sk, Mode::Strict), None, "{r}: {sk}");
        }
        let exec = out("arn:aws:states:::aws-sdk:sfn:describeExecution").skeleton();
        assert_eq!(exec["Status"], "RUNNING");
        assert!(exec["ExecutionArn"].as_str().is_some_and(|s| !s.is_empty()));
        assert_eq!(
            out("arn:aws:states:::lambda:invoke").skeleton()["Payload"],
            json!({})
        );
    }
}
