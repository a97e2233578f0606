//! `asldbg init`: from a definition to a mock file, an input and a suite
//! that passes. Every Task (and ItemReader Map) is answered with a response
//! shaped like its service's (Lambda's invoke response, SQS's `MessageId`,
//! …); then the machine is run, and each value the run finds missing
//! (`The JSONPath '$.order.id' … could not be found`) is added where it
//! should have come from — the result of the Task that gave the state its
//! input, or the execution input — until the run gets through or nothing
//! more can be added. A run that gets through but leaves a Choice by a
//! later rule or its `Default` is steered, once a Choice, to that Choice's
//! first rule (the way most workflows write first, `Approved?` → approval),
//! with the values the rule tests put where they come from; kept only if
//! the run still gets through.

use crate::asl::model::{Definition, Kind};
use crate::asl::value::Val;
use crate::engine::task::MockRunner;
use crate::engine::{Execution, Options, Status};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The test case `init` writes.
pub const TEST_CASE: &str = "HappyPath";

/// How many times the machine is run to find what it reads.
const ROUNDS: usize = 64;

/// What `init` writes, and what its last run gave.
#[derive(Debug)]
pub struct Scaffold {
    pub mocks: Value,
    pub input: Value,
    pub status: String,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The states the run entered, in order (`run`'s path).
    pub path: Vec<String>,
    /// What could not be made to pass (the last failure's reason).
    pub notes: Vec<String>,
}

/// A response shaped like what `resource`'s service returns.
pub fn response_for(resource: &str) -> Value {
    let meta = json!({"HttpStatusCode": 200});
    let rid = json!({"RequestId": "00000000-0000-0000-0000-000000000000"});
    let r = resource
        .trim_end_matches(".waitForTaskToken")
        .trim_end_matches(".sync:2")
        .trim_end_matches(".sync");
    let sync = resource.contains(".sync");
    if resource.starts_with("arn:aws:lambda:") || resource.contains(":activity:") {
        return json!({});
    }
    if resource.ends_with(".waitForTaskToken") {
        // The answer is what the worker sends back with the token.
        return json!({});
    }
    let Some(api) = r.strip_prefix("arn:aws:states:::") else {
        return json!({});
    };
    let with_meta = |mut v: Value| {
        if let Some(o) = v.as_object_mut() {
            o.insert("SdkHttpMetadata".into(), meta.clone());
            o.insert("SdkResponseMetadata".into(), rid.clone());
        }
        v
    };
    match api {
        "lambda:invoke" => with_meta(json!({
            "ExecutedVersion": "$LATEST", "Payload": {}, "StatusCode": 200
        })),
        "sqs:sendMessage" => with_meta(json!({
            "MD5OfMessageBody": "d41d8cd98f00b204e9800998ecf8427e",
            "MessageId": "00000000-0000-0000-0000-000000000001"
        })),
        "sns:publish" => with_meta(json!({"MessageId": "00000000-0000-0000-0000-000000000002"})),
        "dynamodb:getItem" => with_meta(json!({"Item": {}})),
        "dynamodb:putItem" | "dynamodb:updateItem" | "dynamodb:deleteItem" => with_meta(json!({})),
        "events:putEvents" => {
            json!({"Entries": [{"EventId": "00000000-0000-0000-0000-000000000003"}], "FailedEntryCount": 0})
        }
        "states:startExecution" if sync => json!({
            "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:child:1",
            "Output": if resource.ends_with(":2") { json!({}) } else { json!("{}") },
            "Status": "SUCCEEDED", "StartDate": 1731622400000u64, "StopDate": 1731622400000u64
        }),
        // A timestamp is a string here (TestState's check says so).
        "states:startExecution" => json!({
            "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:child:1",
            "StartDate": "2024-11-14T22:13:20Z"
        }),
        "ecs:runTask" => {
            json!({"Tasks": [{"LastStatus": if sync { "STOPPED" } else { "PENDING" }}], "Failures": []})
        }
        // A `.sync` job answers with the job as described when it ended
        // (Batch's DescribeJobs item, Athena's GetQueryExecution), not the
        // start call's reply: what the states after it read.
        "batch:submitJob" if sync => json!({
            "JobArn": "arn:aws:batch:us-east-1:123456789012:job/00000000-0000-0000-0000-000000000004",
            "JobId": "00000000-0000-0000-0000-000000000004",
            "JobName": "job",
            "JobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/queue",
            "JobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/definition:1",
            "Status": "SUCCEEDED",
            "StatusReason": "Essential container in task exited",
            "Attempts": [],
            "CreatedAt": 1731622400000u64,
            "StartedAt": 1731622400000u64,
            "StoppedAt": 1731622400000u64,
            "DependsOn": [],
            "Parameters": {},
            "Tags": {},
            "Container": {"ExitCode": 0}
        }),
        "athena:startQueryExecution" if sync => json!({"QueryExecution": {
            "QueryExecutionId": "00000000-0000-0000-0000-000000000005",
            "Query": "SELECT 1",
            "StatementType": "DML",
            "ResultConfiguration": {
                "OutputLocation": "s3://example/00000000-0000-0000-0000-000000000005.csv"
            },
            "QueryExecutionContext": {},
            "Status": {"State": "SUCCEEDED"},
            "Statistics": {"EngineExecutionTimeInMillis": 0, "DataScannedInBytes": 0},
            "WorkGroup": "primary"
        }}),
        "batch:submitJob" => {
            json!({"JobId": "00000000-0000-0000-0000-000000000004", "JobName": "job"})
        }
        // Glue's `.sync` answer is the run as GetJobRun describes it.
        "glue:startJobRun" if sync => json!({
            "Id": "jr_0000000000000000000000000000000000000000000000000000000000000000",
            "Attempt": 0,
            "JobName": "job",
            "JobRunState": "SUCCEEDED",
            "ExecutionTime": 0,
            "Arguments": {},
            "PredecessorRuns": []
        }),
        "glue:startJobRun" => json!({"JobRunId": "jr_0000", "JobName": "job"}),
        "athena:startQueryExecution" => {
            json!({"QueryExecutionId": "00000000-0000-0000-0000-000000000005"})
        }
        "athena:getQueryResults" => json!({"ResultSet": {"Rows": []}}),
        "bedrock:invokeModel" => json!({"Body": {}, "ContentType": "application/json"}),
        "http:invoke" => {
            json!({"ResponseBody": {}, "StatusCode": 200, "StatusText": "OK", "Headers": {}})
        }
        "s3:getObject" => json!({"Body": ""}),
        "s3:putObject" => json!({"ETag": "\"d41d8cd98f00b204e9800998ecf8427e\""}),
        // `aws-sdk:SERVICE:action` and the other request-response
        // integrations: a response of the operation's output shape.
        _ => super::shapes::output_of(resource).map_or_else(|| json!({}), |o| o.skeleton()),
    }
}

/// `v` with `value` put at the plain JSONPath `path` (`$.a.b`, `$['a']`,
/// `$.items[0].id`), objects made on the way (and an array's next item),
/// replacing what stands there when `over` (else only a value not there or
/// a placeholder); false when the path is not a plain one or a value on the
/// way is not of the kind the path steps into.
fn put_as(v: &mut Value, path: &str, value: Value, over: bool) -> bool {
    enum Step {
        Name(String),
        Index(usize),
    }
    let Some(rest) = path.strip_prefix('$') else {
        return false;
    };
    let mut steps = Vec::new();
    let mut r = rest;
    while !r.is_empty() {
        if let Some(x) = r.strip_prefix('.') {
            let end = x.find(['.', '[']).unwrap_or(x.len());
            if end == 0 {
                return false;
            }
            steps.push(Step::Name(x[..end].to_string()));
            r = &x[end..];
        } else if let Some(x) = r.strip_prefix("['") {
            let Some(end) = x.find("']") else {
                return false;
            };
            steps.push(Step::Name(x[..end].to_string()));
            r = &x[end + 2..];
        } else if let Some(x) = r.strip_prefix('[') {
            let Some((n, after)) = x.split_once(']') else {
                return false;
            };
            let Ok(n) = n.parse() else { return false };
            steps.push(Step::Index(n));
            r = after;
        } else {
            return false;
        }
    }
    let Some((last, on_the_way)) = steps.split_last() else {
        return false;
    };
    let placeholder = json!("…");
    let mut at = v;
    for step in on_the_way {
        match step {
            Step::Name(n) => {
                // A placeholder put before where an object is now read through.
                if *at == placeholder {
                    *at = Value::Object(Map::new());
                }
                let Some(o) = at.as_object_mut() else {
                    return false;
                };
                at = o
                    .entry(n.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
            }
            Step::Index(i) => {
                if *at == placeholder || at.as_object().is_some_and(|o| o.is_empty()) {
                    *at = json!([]);
                }
                let Some(a) = at.as_array_mut() else {
                    return false;
                };
                if a.len() == *i {
                    a.push(json!({}));
                }
                let Some(item) = a.get_mut(*i) else {
                    return false;
                };
                at = item;
            }
        }
    }
    let Step::Name(last) = last else {
        return false;
    };
    if *at == placeholder {
        *at = Value::Object(Map::new());
    }
    match at.as_object_mut() {
        // A value not there, or a placeholder of the wrong kind: `value`.
        Some(o) if over || o.get(last).is_none_or(|x| *x == placeholder && value != *x) => {
            o.insert(last.clone(), value);
            true
        }
        _ => false,
    }
}

/// The state a run's failure names ("executing the state 'X'").
fn state_named(cause: &str) -> Option<String> {
    let rest = cause.split("executing the state '").nth(1)?;
    Some(rest.split('\'').next()?.to_string())
}

/// The missing path and the state a run's failure names, when it failed
/// because a path found nothing.
fn missing(cause: &str) -> Option<(String, String)> {
    let state = state_named(cause)?;
    let quoted = ["The JSONPath '", "Invalid path '", "path '"]
        .iter()
        .find_map(|k| cause.split(k).nth(1))
        .and_then(|r| r.split('\'').next());
    // `The SecondsPath parameter does not reference an input value: $.delay`
    let after = cause
        .split("does not reference an input value: ")
        .nth(1)
        .map(|r| r.trim_end_matches('.'));
    let path = quoted.or(after)?.to_string();
    // The execution input read through the context object.
    let path = match path.strip_prefix("$$.Execution.Input") {
        Some(rest) => format!("${rest}"),
        None => path,
    };
    (path.starts_with('$') && !path.starts_with("$$")).then_some((state, path))
}

/// The state and the input paths a JSONata expression that gave nothing
/// read (`$states.input.order.id` is `$.order.id`), each with a value of
/// the kind it is used as (a number next to arithmetic or a comparison),
/// when a run failed for that.
fn jsonata_reads(cause: &str) -> Option<(String, Vec<(String, Value)>)> {
    let state = state_named(cause)?;
    let expr = cause.split("The JSONata expression '").nth(1)?;
    let expr = expr.rsplit_once("' specified for the field")?.0;
    let mut reads = Vec::new();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    for (i, m) in expr.match_indices("$states.input.") {
        let mut path = String::from("$");
        let mut rest = &expr[i + m.len() - 1..];
        while let Some(r) = rest.strip_prefix('.') {
            let end = r.find(|c: char| !ident(c)).unwrap_or(r.len());
            if end == 0 {
                break;
            }
            path.push('.');
            path.push_str(&r[..end]);
            rest = &r[end..];
        }
        if path == "$" {
            continue;
        }
        let before = expr[..i].trim_end();
        let after = rest.trim_start();
        let arithmetic = |c: char| "*+-/%<>".contains(c);
        let number = after.starts_with(arithmetic) || before.ends_with(arithmetic);
        reads.push((path, if number { json!(0) } else { json!("…") }));
    }
    (!reads.is_empty()).then_some((state, reads))
}

/// Whether the payload template `t` reads `path` (a `.$` field naming it,
/// or an intrinsic function's argument).
fn reads(t: &Value, path: &str) -> bool {
    use crate::asl::intrinsics::{Arg, Intrinsic};
    fn in_call(call: &Intrinsic, path: &str) -> bool {
        call.args.iter().any(|a| match a {
            Arg::Path(p) => p.source == path,
            Arg::Call(inner) => in_call(inner, path),
            _ => false,
        })
    }
    let selects = |k: &str, v: &Value| {
        let Some(text) = v.as_str().filter(|_| k.ends_with(".$")) else {
            return false;
        };
        // Itself, or an argument of an intrinsic function.
        text == path
            || (crate::asl::intrinsics::looks_like_call(text)
                && Intrinsic::parse(text).is_ok_and(|c| in_call(&c, path)))
    };
    match t {
        Value::Object(o) => o.iter().any(|(k, v)| selects(k, v) || reads(v, path)),
        Value::Array(a) => a.iter().any(|v| reads(v, path)),
        _ => false,
    }
}

/// The value an intrinsic function takes as its argument `i` (the States
/// Language's types: `States.MathAdd` adds numbers, `States.StringToJson`
/// parses JSON text, `States.Hash` names an algorithm, …).
fn intrinsic_argument(function: &str, i: usize) -> Value {
    match (function, i) {
        ("States.MathAdd", _) | ("States.ArrayGetItem", 1) | ("States.ArrayRange", 0) => json!(0),
        ("States.MathRandom", 0) => json!(0),
        ("States.MathRandom", _) | ("States.ArrayRange", _) | ("States.ArrayPartition", 1) => {
            json!(10)
        }
        (
            "States.ArrayPartition"
            | "States.ArrayContains"
            | "States.ArrayGetItem"
            | "States.ArrayLength"
            | "States.ArrayUnique",
            0,
        ) => json!(["…"]),
        ("States.JsonMerge", 0 | 1) => json!({}),
        ("States.JsonMerge", _) => json!(false),
        ("States.StringToJson", _) => json!("{}"),
        // "x", encoded.
        ("States.Base64Decode", _) => json!("eA=="),
        ("States.Hash", 1) => json!("SHA-256"),
        ("States.StringSplit", 1) => json!(","),
        _ => json!("…"),
    }
}

/// What an intrinsic call in the state (`"sum.$": "States.MathAdd($.a, 1)"`,
/// at any depth of its templates) takes where it reads `path`.
fn intrinsic_placeholder(raw: &Value, path: &str) -> Option<Value> {
    use crate::asl::intrinsics::{Arg, Intrinsic};
    fn find(call: &Intrinsic, path: &str) -> Option<Value> {
        call.args.iter().enumerate().find_map(|(i, a)| match a {
            Arg::Path(p) if p.source == path => Some(intrinsic_argument(&call.name, i)),
            Arg::Call(inner) => find(inner, path),
            _ => None,
        })
    }
    match raw {
        Value::Object(o) => o.iter().find_map(|(k, v)| match v.as_str() {
            Some(text) if k.ends_with(".$") && crate::asl::intrinsics::looks_like_call(text) => {
                Intrinsic::parse(text).ok().and_then(|c| find(&c, path))
            }
            _ => intrinsic_placeholder(v, path),
        }),
        Value::Array(a) => a.iter().find_map(|v| intrinsic_placeholder(v, path)),
        _ => None,
    }
}

/// A value of the kind a Choice rule on `path` compares (so that its first
/// rule matches when it can), or an intrinsic function's argument takes;
/// text otherwise.
fn placeholder(raw: &Value, path: &str) -> Value {
    // DynamoDB's attribute values, wherever read: a number is the text of
    // one (which States.StringToJson makes a number of).
    if path.ends_with(".N") {
        return json!("0");
    }
    if path.ends_with(".BOOL") {
        return json!(true);
    }
    if let Some(v) = intrinsic_placeholder(raw, path) {
        return v;
    }
    let at = |k: &str| raw.get(k).and_then(|v| v.as_str()) == Some(path);
    if at("SecondsPath") {
        return json!(1);
    }
    if at("TimestampPath") {
        return json!("2024-11-14T22:13:21Z");
    }
    // A Map's items: at its ItemsPath, or its whole input.
    let map = raw.get("Type").and_then(|t| t.as_str()) == Some("Map");
    if at("ItemsPath") || (map && path == "$" && raw.get("ItemsPath").is_none()) {
        return json!([{}]);
    }
    let rules = raw.get("Choices").and_then(|c| c.as_array());
    for rule in rules.into_iter().flatten() {
        let mut stack = vec![rule];
        while let Some(r) = stack.pop() {
            for k in ["And", "Or"] {
                if let Some(a) = r.get(k).and_then(|a| a.as_array()) {
                    stack.extend(a);
                }
            }
            if let Some(n) = r.get("Not") {
                stack.push(n);
            }
            // The other side of a `…Path` comparison: a value of the kind
            // the operator compares (the same placeholder as the variable's,
            // so that an equality or a bound holds).
            let other = r.as_object().into_iter().flatten().find(|(k, v)| {
                k.ends_with("Path") && k.as_str() != "Variable" && v.as_str() == Some(path)
            });
            if let Some((k, _)) = other {
                return match k.as_str() {
                    k if k.starts_with("Numeric") => json!(0),
                    k if k.starts_with("Boolean") => json!(true),
                    k if k.starts_with("Timestamp") => json!("2024-11-14T22:13:20Z"),
                    _ => json!("…"),
                };
            }
            if r.get("Variable").and_then(|v| v.as_str()) != Some(path) {
                continue;
            }
            for (k, v) in r.as_object().into_iter().flatten() {
                match k.as_str() {
                    "StringEquals" | "NumericEquals" | "BooleanEquals" | "TimestampEquals" => {
                        return v.clone()
                    }
                    k if k.starts_with("Numeric") => return json!(0),
                    k if k.starts_with("Boolean") || k == "IsBoolean" => return json!(true),
                    k if k.starts_with("Timestamp") || k == "IsTimestamp" => {
                        return json!("2024-11-14T22:13:20Z")
                    }
                    "IsNumeric" => return json!(0),
                    "IsNull" => return Value::Null,
                    "StringMatches" => {
                        return json!(v.as_str().unwrap_or_default().replace('*', "x"))
                    }
                    _ => {}
                }
            }
        }
    }
    json!("…")
}

/// Where a value a state read is put for it to be there.
enum Source {
    /// The execution input, at `at`.
    Input { at: String },
    /// A Task's mock answer, at `at` (as the text of the JSON value when
    /// `text`: the Task's ResultSelector parses it with States.StringToJson).
    Answer {
        task: String,
        at: String,
        text: bool,
    },
    /// Made by the Task from its answer in a way not undone here: nowhere.
    Nowhere,
}

impl Source {
    /// Put `value` there; whether anything changed.
    fn put(self, mocks: &mut Value, input: &mut Value, value: Value, over: bool) -> bool {
        match self {
            Source::Input { at } => put_as(input, &at, value, over),
            Source::Answer { task, at, text } => {
                let value = if text {
                    Value::String(value.to_string())
                } else {
                    value
                };
                let key = format!("{task}{TEST_CASE}");
                let answer = &mut mocks["MockedResponses"][key.as_str()]["0"]["Return"];
                put_as(answer, &at, value, over)
            }
            Source::Nowhere => false,
        }
    }
}

/// Where a path the state `state` read should have come from: the Task
/// whose result became its input (by the history: the state exited just
/// before it was entered), as the path into that Task's mock answer, or
/// the execution input.
fn source_of(def: &Definition, ex: &Execution, state: &str, path: &str) -> Source {
    let input = || Source::Input {
        at: path.to_string(),
    };
    let h = ex.history();
    let Some(entered) = h.iter().rposition(|e| {
        e.state.as_deref() == Some(state) && e.event_type.as_str().ends_with("StateEntered")
    }) else {
        return input();
    };
    let Some(prev) = h[..entered]
        .iter()
        .rev()
        .find(|e| e.event_type.as_str().ends_with("StateExited"))
        .and_then(|e| e.state.as_deref())
    else {
        return input();
    };
    let Some((m, s)) = def.find(prev) else {
        return input();
    };
    let st = &def.machine(m).states[s];
    let raw = def.raw(st);
    if !matches!(st.kind, Kind::Task(_)) || raw.get("Output").is_some() {
        return input();
    }
    let into = |p: &str, prefix: &str| -> Option<String> {
        match prefix {
            "$" => Some(p.to_string()),
            // The result itself.
            pre if p == pre => Some("$".to_string()),
            pre => p
                .strip_prefix(pre)
                .filter(|r| r.starts_with(['.', '[']))
                .map(|r| format!("${r}")),
        }
    };
    // The result stands at ResultPath in the state's output, OutputPath
    // then picks a part of that.
    let result_path = raw
        .get("ResultPath")
        .and_then(|r| r.as_str())
        .unwrap_or("$");
    let output_path = raw
        .get("OutputPath")
        .and_then(|r| r.as_str())
        .unwrap_or("$");
    let in_output = match (output_path, path.strip_prefix('$')) {
        ("$", _) => path.to_string(),
        (op, Some(rest)) => format!("{op}{rest}"),
        (_, None) => return input(),
    };
    // Not in the result: carried from the Task's own input.
    let Some(in_result) = into(&in_output, result_path) else {
        return input();
    };
    let answer = |at: String, text: bool| Source::Answer {
        task: prev.to_string(),
        at,
        text,
    };
    let Some(selector) = raw.get("ResultSelector") else {
        return answer(in_result, false);
    };
    // What the selector made: a field it copied from the result (`"items.$":
    // "$.Payload"`) comes from there; one it parsed whole with
    // States.StringToJson, from the text of the value. Anything else it
    // built cannot be put back.
    let Some((from, after)) = copied(selector, &in_result) else {
        return Source::Nowhere;
    };
    let plain = |p: &str| p.starts_with('$') && !p.starts_with("$$") && names_one(p);
    if plain(from) {
        return answer(format!("{from}{after}"), false);
    }
    let parsed = from
        .strip_prefix("States.StringToJson(")
        .and_then(|r| r.strip_suffix(')'))
        .map(str::trim);
    match parsed {
        Some(inner) if plain(inner) && after.is_empty() => answer(inner.to_string(), true),
        _ => Source::Nowhere,
    }
}

/// What a payload template's field (`"items.$": "$.Payload"`) copies, for a
/// path into what it made (`$.items[0].id`): the field's path and the rest
/// of `path` after the field (`[0].id`).
fn copied<'a>(template: &'a Value, path: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = path.strip_prefix("$.")?;
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    let (field, after) = rest.split_at(end);
    Some((template.get(format!("{field}.$"))?.as_str()?, after))
}

/// Whether the path `p` names one value (no wildcard, filter, slice or
/// function).
fn names_one(p: &str) -> bool {
    !p.contains(['*', '?', '(', ','])
}

/// The state that gave `state` its input unchanged, as far back as such
/// states go (a Choice, a Pass or Wait that reshapes nothing), in the
/// same branch or iteration, by the run's history.
fn passed_through(def: &Definition, ex: &Execution, state: &str) -> String {
    let h = ex.history();
    let mut state = state.to_string();
    for _ in 0..def.machines.iter().map(|m| m.states.len()).sum::<usize>() {
        let Some((m, _)) = def.find(&state) else {
            break;
        };
        let Some(entered) = h.iter().rposition(|e| {
            e.state.as_deref() == Some(state.as_str())
                && e.event_type.as_str().ends_with("StateEntered")
        }) else {
            break;
        };
        let Some(prev) = h[..entered]
            .iter()
            .rev()
            .find(|e| e.event_type.as_str().ends_with("StateExited"))
            .and_then(|e| e.state.clone())
        else {
            break;
        };
        let Some((pm, ps)) = def.find(&prev) else {
            break;
        };
        let st = &def.machine(pm).states[ps];
        let raw = def.raw(st);
        let reshapes = [
            "InputPath",
            "Parameters",
            "Result",
            "ResultPath",
            "OutputPath",
            "Output",
            "Arguments",
        ]
        .iter()
        .any(|k| raw.get(k).is_some());
        let plain = matches!(
            st.kind,
            Kind::Choice { .. } | Kind::Pass { .. } | Kind::Wait(_)
        );
        // Any state whose result is discarded (`"ResultPath": null`) passes
        // on its own input, whatever it sent its Task.
        let discards = raw.get("ResultPath") == Some(&Value::Null)
            && raw.get("OutputPath").is_none_or(|p| p == "$")
            && raw.get("Output").is_none();
        let keeps = (plain && !reshapes) || discards;
        if pm != m || !keeps {
            break;
        }
        state = prev.to_string();
    }
    state
}

/// The Parallel or Map state machine `m` runs in.
fn container_of(def: &Definition, m: usize) -> Option<(usize, usize)> {
    def.machines.iter().enumerate().find_map(|(cm, machine)| {
        machine.states.iter().enumerate().find_map(|(cs, st)| {
            let inner = match &st.kind {
                Kind::Parallel { branches } => branches.contains(&m),
                Kind::Map(spec) => spec.processor == m,
                _ => false,
            };
            inner.then_some((cm, cs))
        })
    })
}

/// A path read by the first state of a Parallel branch or a Map iteration
/// is read from what its container was given: the Parallel's input, the
/// Map's item (the first, at ItemsPath), through the container's
/// InputPath, and through a field its ItemSelector or Parameters copied
/// from the item or the input. Lifted out, container by container, to the
/// state whose input holds it; `None` when nothing is lifted, or a
/// container makes what it passes otherwise (an ItemReader, JSONata, a
/// field built by an intrinsic function).
fn lifted(def: &Definition, state: &str, path: &str) -> Option<(String, String)> {
    let (mut m, mut s) = def.find(state)?;
    let mut path = path.to_string();
    let mut name = None;
    while m != 0 && def.machine(m).start_at == s {
        let (cm, cs) = container_of(def, m)?;
        let st = &def.machine(cm).states[cs];
        let raw = def.raw(st);
        if ["ItemReader", "Items", "Arguments"]
            .iter()
            .any(|k| raw.get(k).is_some())
        {
            return None;
        }
        let items = raw.get("ItemsPath").and_then(|p| p.as_str()).unwrap_or("$");
        let rest = path.strip_prefix('$')?;
        // What the container's selector made (`"MessageDetails.$":
        // "$$.Map.Item.Value"`) comes from where that field was copied
        // from: the item, or the container's input.
        let selector = raw.get("ItemSelector").or_else(|| raw.get("Parameters"));
        let in_input = match selector {
            Some(sel) => {
                let (from, after) = copied(sel, &path)?;
                let plain = names_one(from);
                match from.strip_prefix("$$.Map.Item.Value") {
                    Some(r) if plain && matches!(st.kind, Kind::Map(_)) => {
                        format!("{items}[0]{r}{after}")
                    }
                    _ if plain && from.starts_with('$') && !from.starts_with("$$") => {
                        format!("{from}{after}")
                    }
                    _ => return None,
                }
            }
            None => match &st.kind {
                Kind::Map(_) => format!("{items}[0]{rest}"),
                _ => path.clone(),
            },
        };
        path = match raw.get("InputPath").and_then(|p| p.as_str()) {
            Some(ip) if ip != "$" => format!("{ip}{}", in_input.strip_prefix('$')?),
            _ => in_input,
        };
        name = Some(st.name.to_string());
        (m, s) = (cm, cs);
    }
    name.map(|n| (n, path))
}

/// A JSON pointer into a state's input as the plain JSONPath [`put_as`] takes.
fn path_of(pointer: &str) -> String {
    let mut path = "$".to_string();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str(&format!("[{part}]"));
        } else if !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            // As the definition writes it: what ResultPath is matched with.
            path.push_str(&format!(".{part}"));
        } else {
            path.push_str(&format!("['{part}']"));
        }
    }
    path
}

/// The first Choice on the run's path (not tried before) that did not
/// take its first rule: `mocks` and `input` changed so that it should,
/// each value the rule tests put where the Choice's input got it from.
fn steered(
    def: &Definition,
    ex: &Execution,
    mocks: &Value,
    input: &Value,
    tried: &mut Vec<String>,
) -> Option<(Value, Value)> {
    for rec in ex.stages() {
        // A Choice's record holds each rule it evaluated, in order.
        let first_missed = rec.rules.first().is_some_and(|r| !r.matched);
        if !first_missed || tried.contains(&rec.state) {
            continue;
        }
        tried.push(rec.state.clone());
        let (m, s) = def.find(&rec.state)?;
        let raw = def.raw(&def.machine(m).states[s]);
        if raw.get("InputPath").is_some_and(|p| p != "$") {
            continue;
        }
        let Some(edits) = raw
            .pointer("/Choices/0")
            .and_then(|r| super::suggest::rule_edits(r, false))
        else {
            continue;
        };
        let (mut mocks, mut input) = (mocks.clone(), input.clone());
        let mut changed = false;
        // Where the Choice's input came from unchanged: one walk for all.
        let first = passed_through(def, ex, &rec.state);
        for (pointer, value) in edits {
            // "present": any value; init's placeholder.
            let value = if value == json!("present") {
                json!("…")
            } else {
                value
            };
            let path = path_of(&pointer);
            let (from, at) = match lifted(def, &first, &path) {
                // The container got it unchanged from further back too.
                Some((container, at)) => (passed_through(def, ex, &container), at),
                None => (first.clone(), path),
            };
            changed |= source_of(def, ex, &from, &at).put(&mut mocks, &mut input, value, true);
        }
        if changed {
            return Some((mocks, input));
        }
    }
    None
}

/// Mocks, an input and the run they give, for machine `name` of `def`.
pub fn scaffold(def: Arc<Definition>, name: &str, express: bool) -> Scaffold {
    let states = super::mocks::mockable_states(&def);
    let mut responses = Map::new();
    let mut case = Map::new();
    for s in &states {
        let (m, id) = def.find(s).expect("a state of the machine");
        let st = &def.machine(m).states[id];
        let answer = match &st.kind {
            Kind::Task(t) => response_for(&t.resource),
            // A Map's ItemReader: the items it reads.
            _ => json!([{}]),
        };
        let key = format!("{s}{TEST_CASE}");
        responses.insert(key.clone(), json!({"0": {"Return": answer}}));
        case.insert(s.clone(), Value::String(key));
    }
    let mut mocks = json!({
        "StateMachines": {name: {"TestCases": {TEST_CASE: case}}},
        "MockedResponses": responses,
    });
    let mut input = json!({});
    let mut notes = Vec::new();
    // The last run that got through, and the Choices steered so far.
    let mut through: Option<Scaffold> = None;
    let mut tried = Vec::new();
    for _ in 0..ROUNDS {
        let runner = match MockRunner::from_value(&mocks, "mocks.json", Some(name), TEST_CASE) {
            Ok(r) => r,
            Err(e) => {
                notes.push(format!("the mocks made do not read: {}", e.message));
                break;
            }
        };
        let opts = Options {
            express,
            state_machine_name: name.to_string(),
            ..Options::default()
        };
        let mut ex = Execution::new(def.clone(), Val::from(&input), Box::new(runner), opts);
        ex.run();
        let cause = ex.error().and_then(|e| e.cause()).map(str::to_string);
        let done = Scaffold {
            mocks: mocks.clone(),
            input: input.clone(),
            status: ex.status().as_str().to_string(),
            output: ex.output().map(Val::to_json),
            error: ex.error().and_then(|e| e.name()).map(str::to_string),
            cause: cause.clone(),
            path: crate::engine::history::states_entered(ex.history()),
            notes: notes.clone(),
        };
        if ex.status() != Status::Failed {
            // A Choice steered a way that reaches nothing the run did not
            // reach already, only less of it (its first rule an early way
            // out: "no messages"): undone, and the next Choice is tried
            // from the way before.
            if let Some(before) = through.take() {
                let (now, then) = (reached(&done.path), reached(&before.path));
                if now.is_subset(&then) && now.len() < then.len() {
                    (mocks, input) = (before.mocks.clone(), before.input.clone());
                    continue;
                }
            }
            match steered(&def, &ex, &mocks, &input, &mut tried) {
                Some((m, i)) => {
                    (mocks, input) = (m, i);
                    through = Some(done);
                    continue;
                }
                None => return done,
            }
        }
        let mut jsonpath_over = false;
        let jsonpath = cause.as_deref().and_then(missing).or_else(|| {
            // A Map whose items are not a list: its ItemsPath takes one.
            let c = cause.as_deref()?;
            if !c.contains("Map state input must be an array") {
                return None;
            }
            let state = state_named(c)?;
            let (m, id) = def.find(&state)?;
            let raw = def.raw(&def.machine(m).states[id]);
            let p = raw.get("ItemsPath").and_then(|p| p.as_str()).unwrap_or("$");
            jsonpath_over = true;
            Some((state, p.to_string()))
        });
        // What stands there is of the wrong kind (a Map given an object):
        // replaced, not kept.
        let over = jsonpath_over;
        let found = match jsonpath {
            Some((state, path)) => {
                let raw = def
                    .find(&state)
                    .map(|(m, s)| def.raw(&def.machine(m).states[s]).clone())
                    .unwrap_or_default();
                let value = placeholder(&raw, &path);
                Some((state, vec![(path, value)]))
            }
            None => cause.as_deref().and_then(jsonata_reads),
        };
        let Some((state, paths)) = found else {
            // Steered into a failure: the way it went before.
            return through.unwrap_or(done);
        };
        let raw = def
            .find(&state)
            .map(|(m, s)| def.raw(&def.machine(m).states[s]).clone())
            .unwrap_or_default();
        let mut added = false;
        for (path, value) in &paths {
            // The state's own ResultSelector reads its result: its answer.
            let own = raw
                .get("ResultSelector")
                .is_some_and(|rs| reads(rs, path))
                .then(|| Source::Answer {
                    task: state.clone(),
                    at: path.clone(),
                    text: false,
                });
            // Read after the state's InputPath (a field, a SecondsPath, a
            // Choice's Variable): where that took it from in its input.
            let path = &match raw.get("InputPath").and_then(|p| p.as_str()) {
                Some(ip) if ip != "$" && ip != path && !ip.starts_with("$$") => {
                    match path.strip_prefix('$') {
                        Some(rest) => format!("{ip}{rest}"),
                        None => path.clone(),
                    }
                }
                _ => path.clone(),
            };
            // Read at the start of a branch or an iteration: put where the
            // container's input holds it.
            let first = passed_through(&def, &ex, &state);
            let (from, at) = match lifted(&def, &first, path) {
                Some((container, at)) => (passed_through(&def, &ex, &container), at),
                None => (first.clone(), path.clone()),
            };
            let source = own.unwrap_or_else(|| source_of(&def, &ex, &from, &at));
            added |= source.put(&mut mocks, &mut input, value.clone(), over);
        }
        let path = paths
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if !added {
            if let Some(before) = through {
                return before;
            }
            let mut done = done;
            done.notes.push(format!(
                "'{state}' reads {path}, which asldbg could not supply: edit the input or the \
                 mocks"
            ));
            return done;
        }
    }
    if let Some(before) = through {
        return before;
    }
    notes.push("the machine still reads values nobody supplies after many rounds".into());
    let mut s = scaffold_last(def, name, express, mocks, input);
    s.notes = notes;
    s
}

/// The states a run's path entered (an iteration's `X[2]` is `X`).
fn reached(path: &[String]) -> std::collections::HashSet<&str> {
    path.iter()
        .map(|p| p.split_once('[').map_or(p.as_str(), |(name, _)| name))
        .collect()
}

/// The run of `mocks` and `input` as they stand.
fn scaffold_last(
    def: Arc<Definition>,
    name: &str,
    express: bool,
    mocks: Value,
    input: Value,
) -> Scaffold {
    let runner = MockRunner::from_value(&mocks, "mocks.json", Some(name), TEST_CASE)
        .map(|r| Box::new(r) as Box<dyn crate::engine::task::TaskRunner>)
        .unwrap_or_else(|_| Box::new(crate::engine::task::NoRunner));
    let opts = Options {
        express,
        state_machine_name: name.to_string(),
        ..Options::default()
    };
    let mut ex = Execution::new(def, Val::from(&input), runner, opts);
    ex.run();
    Scaffold {
        status: ex.status().as_str().to_string(),
        output: ex.output().map(Val::to_json),
        error: ex.error().and_then(|e| e.name()).map(str::to_string),
        cause: ex.error().and_then(|e| e.cause()).map(str::to_string),
        path: crate::engine::history::states_entered(ex.history()),
        mocks,
        input,
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `init` writes passes the check `mocks check` and TestState make
    /// (STRICT): written by hand for the common integrations, from the
    /// API's model for the rest.
    #[test]
    fn every_response_init_writes_fits_its_apis_output_shape() {
        use crate::testing::shapes::{output_of, sync_output_of, Mode};
        let fits = |api: &str| {
            let resource = format!("arn:aws:states:::{api}");
            let shape = output_of(&resource)
                .or_else(|| sync_output_of(&resource))
                .unwrap_or_else(|| panic!("{api} has a shape"));
            let answer = response_for(&resource);
            assert_eq!(shape.check(&answer, Mode::Strict), None, "{api}: {answer}");
        };
        let mut checked = 0;
        for api in [
            "lambda:invoke",
            "sqs:sendMessage",
            "sns:publish",
            "dynamodb:getItem",
            "dynamodb:putItem",
            "dynamodb:updateItem",
            "dynamodb:deleteItem",
            "events:putEvents",
            "states:startExecution",
            "ecs:runTask",
            "batch:submitJob",
            "glue:startJobRun",
            "athena:startQueryExecution",
            "athena:getQueryResults",
            "bedrock:invokeModel",
            "aws-sdk:s3:getObject",
            "aws-sdk:s3:listObjectsV2",
            "aws-sdk:sfn:describeExecution",
            "aws-sdk:secretsmanager:getSecretValue",
            "aws-sdk:dynamodb:query",
            "aws-sdk:ec2:describeInstances",
            "aws-sdk:rekognition:detectLabels",
        ] {
            fits(api);
            checked += 1;
        }
        assert_eq!(checked, 22);
        // A `.sync` job's answer is the job as described when it ended.
        for api in [
            "batch:submitJob.sync",
            "athena:startQueryExecution.sync",
            "glue:startJobRun.sync",
        ] {
            fits(api);
        }
        let run = response_for("arn:aws:states:::glue:startJobRun.sync");
        assert_eq!(run["JobRunState"], json!("SUCCEEDED"));
        let batch = response_for("arn:aws:states:::batch:submitJob.sync");
        assert_eq!(batch["Status"], json!("SUCCEEDED"));
        let query = response_for("arn:aws:states:::athena:startQueryExecution.sync");
        assert_eq!(
            query["QueryExecution"]["Status"]["State"],
            json!("SUCCEEDED")
        );
        // An SDK call's answer has the operation's fields, not `{}`.
        let listed = response_for("arn:aws:states:::aws-sdk:s3:listObjectsV2");
        assert!(listed["Contents"].is_array(), "{listed}");
        assert_eq!(listed["IsTruncated"], json!(false));
    }

    fn def(v: Value) -> Arc<Definition> {
        Arc::new(Definition::from_value(&v).unwrap())
    }

    #[test]
    fn what_an_intrinsic_function_reads_is_given_the_type_it_takes() {
        let d = def(
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {
            "sum.$": "States.MathAdd(States.ArrayLength($.items), $.n)",
            "nested": {"parts.$": "States.ArrayPartition($.list, $.size)"},
            "json.$": "States.StringToJson($.doc)",
            "text.$": "States.Base64Decode($.encoded)",
            "hash.$": "States.Hash($.data, $.algorithm)",
            "merged.$": "States.JsonMerge($.a, $.b, false)",
            "words.$": "States.StringSplit($.csv, $.sep)",
            "id.$": "States.Format('order-{}', $.order.id)"}, "End": true}}}),
        );
        let s = scaffold(d, "m", false);
        assert_eq!(s.status, "SUCCEEDED", "{s:?}");
        assert_eq!(
            s.input,
            json!({"items": ["…"], "n": 0, "list": ["…"], "size": 10, "doc": "{}",
                   "encoded": "eA==", "data": "…", "algorithm": "SHA-256", "a": {}, "b": {},
                   "csv": "…", "sep": ",", "order": {"id": "…"}})
        );
    }

    #[test]
    fn what_the_machine_reads_is_found_in_the_input_and_the_task_results() {
        let d = def(json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": "f", "Payload.$": "$.order"},
                  "ResultSelector": {"id.$": "$.Payload.orderId"}, "ResultPath": "$.res", "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                  "Parameters": {"QueueUrl": "q", "MessageBody.$": "$.res.id"}, "ResultPath": "$.sent", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.amount", "NumericGreaterThan": 10, "Next": "D"}], "Default": "D"},
            "D": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:g", "Next": "E"},
            "E": {"Type": "Pass", "Parameters": {"who.$": "$.customer.email"}, "End": true}}}));
        let s = scaffold(d, "orders", false);
        assert_eq!(s.status, "SUCCEEDED", "{s:?}");
        // Read by C: found missing (0), then steered to C's first rule.
        assert_eq!(s.input, json!({"order": "…", "amount": 11}));
        assert_eq!(
            s.mocks["MockedResponses"]["AHappyPath"]["0"]["Return"]["Payload"],
            json!({"orderId": "…"})
        );
        assert_eq!(
            s.mocks["MockedResponses"]["BHappyPath"]["0"]["Return"]["MessageId"],
            "00000000-0000-0000-0000-000000000001"
        );
        // D's result is the state's output: E reads it there.
        assert_eq!(
            s.mocks["MockedResponses"]["DHappyPath"]["0"]["Return"],
            json!({"customer": {"email": "…"}})
        );
        assert_eq!(s.output, Some(json!({"who": "…"})));
    }

    #[test]
    fn what_a_map_iteration_or_a_branch_reads_is_put_in_its_item_or_its_input() {
        let d = def(json!({"StartAt": "Load", "States": {
            "Load": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:load",
                     "ResultPath": "$.loaded", "Next": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$.loaded.orders", "ResultPath": "$.priced", "Next": "Both",
                     "ItemProcessor": {"StartAt": "Price", "States": {
                "Price": {"Type": "Choice", "Choices": [
                    {"Variable": "$.total", "NumericGreaterThan": 100, "Next": "Big"}],
                    "Default": "Big"},
                "Big": {"Type": "Pass", "Parameters": {"id.$": "$.id"}, "End": true}}}},
            "Both": {"Type": "Parallel", "InputPath": "$.customer", "End": true, "Branches": [
                {"StartAt": "Mail", "States": {"Mail": {"Type": "Pass",
                    "Parameters": {"to.$": "$.email"}, "End": true}}}]}}}));
        let s = scaffold(d, "orders", false);
        assert_eq!(s.status, "SUCCEEDED", "{s:?}");
        // The iteration's reads are in the first item of the list Load
        // answers, where ItemsPath finds it; the branch's in the input at
        // the Parallel's InputPath. The total is what takes the
        // iteration's Choice by its first rule.
        assert_eq!(
            s.mocks["MockedResponses"]["LoadHappyPath"]["0"]["Return"],
            json!({"orders": [{"total": 101, "id": "…"}]}),
            "{s:?}"
        );
        assert_eq!(s.input, json!({"customer": {"email": "…"}}), "{s:?}");
    }

    #[test]
    fn what_jsonata_reads_from_states_input_is_found_with_its_kind() {
        let d = def(
            json!({"QueryLanguage": "JSONata", "StartAt": "Charge", "States": {
            "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "charge", "Payload": {
                    "id": "{% $states.input.order.id %}",
                    "amount": "{% $states.input.order.total * 2 %}"}},
                "Output": "{% $states.input %}", "Next": "Big?"},
            "Big?": {"Type": "Choice", "Choices": [
                {"Condition": "{% $states.input.order.total > 100 %}", "Next": "Done"}],
                "Default": "Done"},
            "Done": {"Type": "Succeed"}}}),
        );
        let s = scaffold(d, "orders", false);
        assert_eq!(s.status, "SUCCEEDED", "{s:?}");
        // The total the Condition's first rule takes.
        assert_eq!(
            s.input,
            json!({"order": {"id": "…", "total": 101}}),
            "{s:?}"
        );
    }
    #[test]
    fn a_choice_is_steered_to_its_first_rule_unless_that_way_fails() {
        // A callback's answer at ResultPath, tested behind IsPresent guards
        // (aws-samples' human-in-the-loop): the Default would be taken.
        let approval = |approved: Value| {
            def(json!({"StartAt": "Ask", "States": {
                "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
                        "Parameters": {"TopicArn": "t", "Message.$": "$$.Task.Token"},
                        "ResultPath": "$.status", "Next": "Approved?"},
                "Approved?": {"Type": "Choice", "Choices": [
                    {"And": [{"Variable": "$.status", "IsPresent": true},
                             {"Variable": "$.status.result", "IsPresent": true},
                             {"Variable": "$.status.result", "BooleanEquals": true}],
                     "Next": "Approved"}], "Default": "Failed"},
                "Approved": approved,
                "Failed": {"Type": "Pass", "Result": "failure", "End": true}}}))
        };
        let s = scaffold(
            approval(json!({"Type": "Pass", "Result": "ok", "End": true})),
            "m",
            false,
        );
        assert_eq!(s.status, "SUCCEEDED", "{s:?}");
        assert_eq!(
            s.mocks["MockedResponses"]["AskHappyPath"]["0"]["Return"]["result"],
            json!(true),
            "{s:?}"
        );
        assert_eq!(s.output, Some(json!("ok")));
        // Nothing stray in the input: the result itself is what is present.
        assert_eq!(s.input, json!({}));
        // The first rule leads to a failure: the run keeps the way it went.
        let s = scaffold(approval(json!({"Type": "Fail", "Error": "No"})), "m", false);
        assert_eq!(s.status, "SUCCEEDED", "{s:?}");
        assert_eq!(s.output, Some(json!("failure")));
    }

    #[test]
    fn a_map_given_a_tasks_object_gets_a_list_where_the_task_answers() {
        // A Lambda's Payload feeds a Map: through OutputPath, ResultPath
        // and ItemsPath, or a ResultSelector's field. `{}` stood there.
        let map = |items_path: Option<&str>| {
            let mut m = json!({"Type": "Map", "End": true, "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": true}}}});
            if let Some(p) = items_path {
                m["ItemsPath"] = json!(p);
            }
            m
        };
        let list = |extra: Value| {
            let mut t = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "Next": "Each"});
            t.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            t
        };
        for (task, items_path) in [
            (list(json!({"OutputPath": "$.Payload"})), None),
            (
                list(json!({"ResultPath": "$.listed"})),
                Some("$.listed.Payload"),
            ),
            (
                list(json!({"ResultSelector": {"items.$": "$.Payload"}})),
                Some("$.items"),
            ),
        ] {
            let d = def(json!({"StartAt": "List", "States": {
                "List": task, "Each": map(items_path)}}));
            let s = scaffold(d, "m", false);
            assert_eq!(s.status, "SUCCEEDED", "{items_path:?}: {s:?}");
            assert_eq!(
                s.mocks["MockedResponses"]["ListHappyPath"]["0"]["Return"]["Payload"],
                json!([{}]),
                "{s:?}"
            );
            assert_eq!(s.path, ["List", "Each", "P[0]"], "{s:?}");
        }
    }

    /// aws-samples' inventory management: DynamoDB's number attributes
    /// parsed by States.StringToJson in the Task's own ResultSelector,
    /// then a Choice whose first rule is `rule` (→ Reserve).
    fn inventory(mut rule: Value) -> Arc<Definition> {
        rule["Next"] = json!("Reserve");
        def(json!({"StartAt": "Get", "States": {
            "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                    "Parameters": {"TableName": "T", "Key": {"id": {"S.$": "$.productId"}}},
                    "ResultPath": "$.product",
                    "ResultSelector": {
                        "status.$": "$.Item.status.S",
                        "stockNumeric.$": "States.StringToJson($.Item.stock.N)"},
                    "Next": "Enough?"},
            "Enough?": {"Type": "Choice", "Choices": [rule], "Default": "Unavailable"},
            "Reserve": {"Type": "Pass", "End": true},
            "Unavailable": {"Type": "Pass", "End": true}}}))
    }

    #[test]
    fn what_a_result_selector_reads_through_an_intrinsic_is_put_in_the_tasks_answer() {
        let d = inventory(json!(
            {"Variable": "$.product.stockNumeric", "NumericGreaterThanEquals": 1}));
        let s = scaffold(d, "m", false);
        assert_eq!(s.status, "SUCCEEDED", "{s:?}");
        let item = &s.mocks["MockedResponses"]["GetHappyPath"]["0"]["Return"]["Item"];
        // A number's text, which StringToJson makes a number of: steered
        // to the first rule through the selector (its inverse, the text of
        // the value the rule wants), nothing stray put in the input.
        assert_eq!(item["stock"]["N"], json!("1"), "{s:?}");
        assert_eq!(s.path, ["Get", "Enough?", "Reserve"], "{s:?}");
        assert_eq!(s.input, json!({"productId": "…"}), "{s:?}");
    }

    #[test]
    fn the_other_side_of_a_path_comparison_is_given_the_kind_it_compares() {
        // The sample whole: stock against the quantity asked for, and a status.
        let d = inventory(json!({"And": [
            {"Variable": "$.product.stockNumeric", "NumericGreaterThanEqualsPath": "$.quantity"},
            {"Variable": "$.product.status", "StringEquals": "IN STOCK"}]}));
        let s = scaffold(d, "m", false);
        assert_eq!(s.status, "SUCCEEDED", "{s:?}");
        assert_eq!(s.path, ["Get", "Enough?", "Reserve"], "{s:?}");
        assert_eq!(s.input, json!({"productId": "…", "quantity": 0}), "{s:?}");
        let item = &s.mocks["MockedResponses"]["GetHappyPath"]["0"]["Return"]["Item"];
        assert_eq!(item["status"]["S"], json!("IN STOCK"), "{s:?}");
    }

    #[test]
    fn an_early_way_out_is_not_the_happy_path_and_an_iteration_gets_its_item() {
        // aws-samples' dynamically-process-data-with-map-state: a Lambda's
        // Payload is the list of messages; "No messages" is the first rule;
        // each iteration reads the item through the Map's Parameters, then
        // through its own InputPath after a Task that discards its result.
        let d = def(json!({"StartAt": "Read", "States": {
            "Read": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "f"}, "OutputPath": "$.Payload",
                     "Next": "Any?"},
            "Any?": {"Type": "Choice", "Choices": [
                {"Variable": "$", "StringEquals": "No messages", "Next": "Finish"}],
                "Default": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$", "Next": "Finish",
                "Parameters": {"N.$": "$$.Map.Item.Index", "Message.$": "$$.Map.Item.Value"},
                "Iterator": {"StartAt": "Write", "States": {
                    "Write": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                        "ResultPath": null, "Next": "Remove",
                        "Parameters": {"TableName": "t", "Item": {
                            "Id": {"S.$": "$.Message.MessageId"}}}},
                    "Remove": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "InputPath": "$.Message", "ResultPath": null, "End": true,
                        "Parameters": {"FunctionName": "g",
                            "Payload": {"ReceiptHandle.$": "$.ReceiptHandle"}}}}}},
            "Finish": {"Type": "Succeed"}}}));
        let s = scaffold(d, "m", false);
        assert_eq!(s.status, "SUCCEEDED", "{s:?}");
        assert_eq!(
            s.path,
            ["Read", "Any?", "Each", "Write[0]", "Remove[0]", "Finish"],
            "{s:?}"
        );
        let payload = &s.mocks["MockedResponses"]["ReadHappyPath"]["0"]["Return"]["Payload"];
        assert!(payload[0]["MessageId"].is_string(), "{payload}");
        assert!(payload[0]["ReceiptHandle"].is_string(), "{payload}");
        assert_eq!(s.input, json!({}), "{s:?}");
    }
}
