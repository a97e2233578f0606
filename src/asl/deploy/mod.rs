//! State machines where they are deployed from: a CloudFormation or SAM
//! template (JSON or YAML, `Definition`, `DefinitionString` built with
//! `Fn::Sub`/`Fn::Join`, `DefinitionUri`), CDK's synthesised template, or a
//! Serverless Framework `serverless.yml`. Each machine comes out with its
//! definition, the substitutions its template gives and notes on what could
//! only be approximated locally. Reading a `DefinitionUri` file is left to
//! the caller (this module does no I/O).

mod cfn;
pub mod terraform;

pub use cfn::arn_of;
/// What resolving one machine's template functions (CloudFormation's
/// `Fn::Sub`, `Ref`s to parameter defaults, Terraform's locals and
/// functions) may produce in all, in bytes: a definition is at most 1 MB
/// (AWS's quota), so a template that expands past this is refused instead
/// of growing without end (nested `Fn::Sub`s double at each level).
pub const MAX_EXPANSION: usize = 8 << 20;

use cfn::Cfn;

use super::placeholders::Substitutions;
use crate::asl::json::pointer_token;
use serde_json::{Map, Value};

/// A state machine found in a template.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its logical id (CloudFormation) or key (Serverless): what `--machine` takes.
    pub name: String,
    /// Where its definition stands in the file (a JSON pointer).
    pub pointer: String,
    pub body: Body,
    /// `DefinitionSubstitutions`, resolved.
    pub substitutions: Substitutions,
    /// What was approximated (a resource's ARN made up from its name, …).
    pub notes: Vec<String>,
    /// The template says EXPRESS.
    pub express: bool,
    /// The name it is deployed under (`StateMachineName`, SAM's `Name`,
    /// Serverless' and Terraform's `name`), resolved: what
    /// `$$.StateMachine.Name` says and a mock file's machine key.
    pub deployed: Option<String>,
    /// Where the definition stands in a file that has no JSON pointers
    /// (Terraform's `definition` attribute): line and column.
    pub position: Option<(usize, usize)>,
}

#[derive(Debug, Clone)]
pub enum Body {
    /// A definition given as an object (`Definition`, Serverless `definition`).
    Object(Value),
    /// A definition given as JSON text (`DefinitionString`).
    Text(String),
    /// A file beside the template (`DefinitionUri`), as written.
    File(String),
    /// A definition in S3 (a packaged template): where, and the file
    /// name of its key (a local copy of that name may stand beside).
    S3 {
        location: String,
        file: Option<String>,
    },
    /// Why the definition cannot be read from here.
    Unreadable(String),
}

const CFN_TYPE: &str = "AWS::StepFunctions::StateMachine";
const SAM_TYPE: &str = "AWS::Serverless::StateMachine";

/// The state machines of `doc` when it is a template; `None` when it is a
/// definition itself (or anything else).
pub fn machines(doc: &Value, given: &Substitutions) -> Option<Vec<Found>> {
    if doc.get("States").is_some() && doc.get("StartAt").is_some() {
        return None;
    }
    if let Some(sf) = doc
        .get("stepFunctions")
        .filter(|_| doc.get("service").is_some())
    {
        return Some(serverless(doc, sf, given));
    }
    let res = doc.get("Resources")?.as_object()?;
    let mut out = Vec::new();
    for (id, r) in res {
        let ty = r.get("Type").and_then(|t| t.as_str()).unwrap_or("");
        if ty != CFN_TYPE && ty != SAM_TYPE {
            continue;
        }
        let base = format!("/Resources/{}/Properties", pointer_token(id));
        let props = r.get("Properties").cloned().unwrap_or(Value::Null);
        let mut c = Cfn::new(doc, given);
        let (pointer, body) = if let Some(d) = props.get("Definition") {
            (format!("{base}/Definition"), Body::Object(c.resolve(d)))
        } else if let Some(d) = props.get("DefinitionString") {
            let body = match c.resolve(d) {
                Value::String(s) => Body::Text(s),
                other => Body::Unreadable(format!(
                    "DefinitionString resolves to {}, not text",
                    kind(&other)
                )),
            };
            (format!("{base}/DefinitionString"), body)
        } else if let Some(u) = props.get("DefinitionUri") {
            let body = match c.resolve(u) {
                Value::String(s) if s.starts_with("s3://") => s3(&Value::String(s)),
                Value::String(s) => Body::File(s),
                other => s3(&other),
            };
            (format!("{base}/DefinitionUri"), body)
        } else if let Some(l) = props.get("DefinitionS3Location") {
            (format!("{base}/DefinitionS3Location"), s3(&c.resolve(l)))
        } else {
            (
                base.clone(),
                Body::Unreadable(
                    "no Definition, DefinitionString, DefinitionUri or DefinitionS3Location".into(),
                ),
            )
        };
        let mut substitutions = Substitutions::default();
        if let Some(Value::Object(m)) = props.get("DefinitionSubstitutions") {
            for (k, v) in m {
                substitutions.set(k.clone(), c.resolve(v));
            }
        }
        // Expansion that passed its bound leaves a cut value: refused.
        let body = match c.over.take() {
            Some(m) => Body::Unreadable(m),
            None => body,
        };
        let deployed =
            ["StateMachineName", "Name"]
                .iter()
                .find_map(|k| match c.resolve(props.get(*k)?) {
                    Value::String(s) if !s.is_empty() => Some(s),
                    _ => None,
                });
        let express = ["StateMachineType", "Type"]
            .iter()
            .any(|k| props.get(*k).and_then(|t| t.as_str()) == Some("EXPRESS"));
        out.push(Found {
            name: id.clone(),
            pointer,
            body,
            substitutions,
            notes: c.notes,
            express,
            deployed,
            position: None,
        });
    }
    Some(out)
}

/// A definition in S3: `s3://bucket/key` or `{Bucket, Key}`.
fn s3(location: &Value) -> Body {
    let (text, key) = match location {
        Value::String(s) => (s.clone(), s.rsplit('/').next().map(str::to_string)),
        other => {
            let key = other.get("Key").and_then(|k| k.as_str());
            let bucket = other.get("Bucket").and_then(|k| k.as_str()).unwrap_or("?");
            (
                format!("s3://{bucket}/{}", key.unwrap_or("?")),
                key.and_then(|k| k.rsplit('/').next()).map(str::to_string),
            )
        }
    };
    Body::S3 {
        location: text,
        file: key.filter(|k| !k.is_empty()),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `stepFunctions.stateMachines` of a serverless.yml.
fn serverless(doc: &Value, sf: &Value, given: &Substitutions) -> Vec<Found> {
    let Some(machines) = sf.get("stateMachines").and_then(|m| m.as_object()) else {
        return Vec::new();
    };
    // The Serverless variables a definition uses most: ${self:…} read the
    // file itself; ${opt:stage, 'dev'} takes its default; ${sls:stage} is dev.
    let service = doc
        .get("service")
        .and_then(|s| s.as_str().or_else(|| s.get("name")?.as_str()))
        .unwrap_or("service")
        .to_string();
    // Functions of the file by key and by their logical id (HelloLambdaFunction).
    let mut functions = Map::new();
    if let Some(fs) = doc.get("functions").and_then(|f| f.as_object()) {
        for (k, f) in fs {
            let name = f
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{service}-dev-{k}"));
            let fake = serde_json::json!({"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": name}});
            functions.insert(k.clone(), fake.clone());
            let mut logical: String = k
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>();
            if let Some(first) = logical.get(..1) {
                logical = first.to_ascii_uppercase() + &logical[1..];
            }
            functions.insert(format!("{logical}LambdaFunction"), fake);
        }
    }
    if let Some(Value::Object(r)) = doc.pointer("/resources/Resources") {
        for (k, v) in r {
            functions.insert(k.clone(), v.clone());
        }
    }
    let template = serde_json::json!({"Resources": functions});
    let mut out = Vec::new();
    for (key, m) in machines {
        let mut c = Cfn::new(&template, given);
        let pointer = format!(
            "/stepFunctions/stateMachines/{}/definition",
            pointer_token(key)
        );
        let body = match m.get("definition") {
            // `definition: ${file(./machine.asl.json)}`: a file beside it.
            Some(Value::String(d)) if file_variable(d).is_some() => {
                match file_variable(d).expect("just seen") {
                    (path, None) => Body::File(path.to_string()),
                    (path, Some(key)) => Body::Unreadable(format!(
                        "${{file({path}):{key}}} reads a part of a file: give the whole file \
                         as the definition (${{file({path})}})"
                    )),
                }
            }
            Some(d) => {
                let mut d = c.resolve(d);
                serverless_variables(&mut d, doc, given, &mut c.notes);
                match c.over.take() {
                    Some(m) => Body::Unreadable(m),
                    None => Body::Object(d),
                }
            }
            None => Body::Unreadable("no definition".into()),
        };
        let express = m.get("type").and_then(|t| t.as_str()) == Some("EXPRESS");
        let deployed = m
            .get("name")
            .and_then(|n| n.as_str())
            .map(|n| serverless_str(n, doc, given, &mut c.notes, 0));
        out.push(Found {
            name: key.clone(),
            pointer,
            body,
            substitutions: Substitutions::default(),
            notes: c.notes,
            express,
            deployed,
            position: None,
        });
    }
    out
}

/// `${file(PATH)}` or `${file(PATH):KEY}`: the path and the key.
fn file_variable(s: &str) -> Option<(&str, Option<&str>)> {
    let inner = s.trim().strip_prefix("${file(")?.strip_suffix('}')?;
    let (path, rest) = inner.split_once(')')?;
    let path = path.trim().trim_matches(['\'', '"']);
    match rest.strip_prefix(':') {
        Some(key) => Some((path, Some(key.trim()))),
        None if rest.trim().is_empty() => Some((path, None)),
        None => None,
    }
}

/// Fills `${self:path}`, `${opt:x, default}`, `${sls:stage}` and the
/// serverless-pseudo-parameters `#{AWS::Region}` forms in strings.
fn serverless_variables(
    v: &mut Value,
    doc: &Value,
    given: &Substitutions,
    notes: &mut Vec<String>,
) {
    match v {
        Value::String(s) => *s = serverless_str(s, doc, given, notes, 0),
        Value::Array(a) => a
            .iter_mut()
            .for_each(|x| serverless_variables(x, doc, given, notes)),
        Value::Object(o) => o
            .values_mut()
            .for_each(|x| serverless_variables(x, doc, given, notes)),
        _ => {}
    }
}

/// One string's Serverless variables; a value read with `${self:…}` may
/// hold variables itself (followed a few levels deep).
fn serverless_str(
    s: &str,
    doc: &Value,
    given: &Substitutions,
    notes: &mut Vec<String>,
    depth: usize,
) -> String {
    let s = s.replace("#{AWS::", "${AWS::");
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find('}') else { break };
        let var = &after[..j];
        let (expr, default) = match var.split_once(',') {
            Some((e, d)) => (e.trim(), Some(d.trim().trim_matches(['\'', '"']))),
            None => (var.trim(), None),
        };
        let value = if let Some(path) = expr.strip_prefix("self:") {
            let ptr: String = path
                .split('.')
                .map(|p| format!("/{}", pointer_token(p)))
                .collect();
            doc.pointer(&ptr).and_then(|x| match x {
                Value::String(s) if depth < 8 => {
                    Some(serverless_str(s, doc, given, notes, depth + 1))
                }
                Value::Number(_) | Value::Bool(_) => Some(x.to_string()),
                _ => None,
            })
        } else if expr == "sls:stage" || expr == "opt:stage" {
            // The stage: `provider.stage` when the file sets it, else the default.
            let provider = doc
                .pointer("/provider/stage")
                .and_then(|s| s.as_str())
                .filter(|s| !s.contains("${"));
            Some(provider.or(default).unwrap_or("dev").to_string())
        } else if expr == "opt:region" || expr == "aws:region" {
            let provider = doc
                .pointer("/provider/region")
                .and_then(|s| s.as_str())
                .filter(|s| !s.contains("${"));
            Some(
                provider
                    .or(default)
                    .map(str::to_string)
                    .unwrap_or_else(|| given.place().region),
            )
        } else if expr == "aws:accountId" {
            Some(given.place().account)
        } else if let Some(name) = expr.strip_prefix("env:") {
            // An environment variable: `--sub env:NAME=…` gives it (asldbg
            // does not read its own environment into a definition).
            given
                .get(expr)
                .map(|v| v.as_str().map(str::to_string).unwrap_or(v.to_string()))
                .or_else(|| {
                    default.is_none().then(|| {
                        notes.push(format!(
                            "${{env:{name}}} has no default: --sub 'env:{name}=VALUE' gives it"
                        ));
                    });
                    None
                })
        } else {
            None
        };
        match value.or_else(|| default.map(str::to_string)) {
            Some(x) => out.push_str(&x),
            None => {
                // Left as a placeholder: --sub can fill it.
                out.push_str(&rest[i..i + 2 + j + 1]);
                let n = format!("${{{var}}}: a Serverless variable asldbg cannot read (--sub '{var}=VALUE' fills it)");
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

/// The machine `--machine NAME` picks, or the only one; else an error that
/// lists the names.
pub fn pick(found: Vec<Found>, name: Option<&str>) -> Result<Found, String> {
    let names = || {
        found
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(n) => {
            let list = names();
            found
                .into_iter()
                .find(|f| f.name == n)
                .ok_or_else(|| format!("no state machine named '{n}' (it has: {list})"))
        }
        None if found.len() == 1 => Ok(found.into_iter().next().expect("one")),
        None if found.is_empty() => Err(
            "no state machine in this template (looked for AWS::StepFunctions::StateMachine and AWS::Serverless::StateMachine resources, or stepFunctions.stateMachines)".into(),
        ),
        None => Err(format!(
            "{} state machines: pick one with --machine NAME ({})",
            found.len(),
            names()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_definition_is_not_a_template() {
        let d = json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}});
        assert!(machines(&d, &Substitutions::default()).is_none());
        assert!(machines(&json!({"x": 1}), &Substitutions::default()).is_none());
    }

    #[test]
    fn cloudformation_machines_in_every_form() {
        let t = json!({"Resources": {
            "Fn": {"Type": "AWS::Lambda::Function"},
            "A": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                "StateMachineType": "EXPRESS",
                "DefinitionString": {"Fn::Join": ["", ["{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"", {"Fn::GetAtt": ["Fn", "Arn"]}, "\",\"End\":true}}}"]]}}},
            "B": {"Type": "AWS::Serverless::StateMachine", "Properties": {
                "DefinitionUri": "sm.asl.json",
                "DefinitionSubstitutions": {"FnArn": {"Fn::GetAtt": ["Fn", "Arn"]}}}},
            "C": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"DefinitionS3Location": {"Bucket": "b", "Key": "k"}}}}});
        let f = machines(&t, &Substitutions::default()).unwrap();
        assert_eq!(f.len(), 3);
        let Body::Text(text) = &f[0].body else {
            panic!("{:?}", f[0].body)
        };
        assert!(
            text.contains("arn:aws:lambda:us-east-1:123456789012:function:Fn"),
            "{text}"
        );
        assert!(f[0].express);
        assert!(matches!(&f[1].body, Body::File(p) if p == "sm.asl.json"));
        assert_eq!(
            f[1].substitutions.get("FnArn"),
            Some(json!("arn:aws:lambda:us-east-1:123456789012:function:Fn"))
        );
        assert!(
            matches!(&f[2].body, Body::S3 { location, .. } if location.starts_with("s3://")),
            "{:?}",
            f[2].body
        );
        let e = pick(f.clone(), None).unwrap_err();
        assert!(
            e.contains("3 state machines") && e.contains("A, B, C"),
            "{e}"
        );
        assert_eq!(pick(f.clone(), Some("B")).unwrap().name, "B");
        assert!(pick(f, Some("Z")).unwrap_err().contains("it has: A, B, C"));
    }

    #[test]
    fn serverless_machines_and_variables() {
        let doc = json!({"service": "shop", "custom": {"table": "orders-${sls:stage}"},
            "functions": {"hello": {"handler": "h.main"}},
            "stepFunctions": {"stateMachines": {"Flow": {"definition": {"StartAt": "T", "States": {
                "T": {"Type": "Task", "Resource": {"Fn::GetAtt": ["hello", "Arn"]},
                      "Parameters": {"Table": "${self:custom.table}-${opt:stage, 'dev'}", "Env": "${env:HOME}"}, "End": true}}}}}}});
        let f = machines(&doc, &Substitutions::default()).unwrap();
        let Body::Object(d) = &f[0].body else {
            panic!()
        };
        assert_eq!(
            d.pointer("/States/T/Resource"),
            Some(&json!(
                "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-hello"
            ))
        );
        assert_eq!(
            d.pointer("/States/T/Parameters/Table"),
            Some(&json!("orders-dev-dev"))
        );
        assert_eq!(
            d.pointer("/States/T/Parameters/Env"),
            Some(&json!("${env:HOME}"))
        );
        assert_eq!(f[0].pointer, "/stepFunctions/stateMachines/Flow/definition");
    }
}
