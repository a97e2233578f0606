//! The conformance check: run the AWS-recorded cases of
//! `../shared/conformance/cases` through the engine and compare status,
//! output, error, cause and the event list as the corpus README says.

use super::common::*;
use asldbg::asl::json::value_eq;
use asldbg::asl::jsonpath::Path;
use asldbg::asl::value::Val;
use asldbg::asl::Definition;
use asldbg::engine::{Execution, Options};
use asldbg::replay::answers::Answers;
use asldbg::{errln, outln};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

/// `<token>` wildcards and the bare normalised words match anything.
fn wild_str_eq(expected: &str, actual: &str) -> bool {
    if matches!(
        expected,
        "timestamp" | "date" | "start-date" | "stop-date" | "snf_role_arn" | "sfn_role_arn"
    ) {
        return true;
    }
    if !expected.contains('<') {
        return expected == actual;
    }
    // Split on <...> tokens and match the literal pieces in order.
    let mut pieces = Vec::new();
    let mut rest = expected;
    while let Some(i) = rest.find('<') {
        match rest[i..].find('>') {
            Some(j) => {
                pieces.push(&rest[..i]);
                rest = &rest[i + j + 1..];
            }
            None => break,
        }
    }
    pieces.push(rest);
    let mut pos = 0;
    for (k, p) in pieces.iter().enumerate() {
        if k == 0 {
            if !actual.starts_with(p) {
                return false;
            }
            pos = p.len();
        } else if k == pieces.len() - 1 {
            return actual.len() >= pos + p.len() && actual.ends_with(p);
        } else {
            match actual[pos..].find(p) {
                Some(i) => pos += i + p.len(),
                None => return false,
            }
        }
    }
    true
}

fn wild_eq(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), Value::String(a)) => {
            wild_str_eq(e, a)
                || {
                    // JSON documents inside strings (Lambda causes) were re-serialised
                    // by the recorder with other spacing: compare them as JSON.
                    let container = |s: &str| s.starts_with('{') || s.starts_with('[');
                    container(e)
                        && container(a)
                        && matches!((serde_json::from_str::<Value>(e), serde_json::from_str::<Value>(a)), (Ok(x), Ok(y)) if wild_eq(&x, &y))
                }
        }
        (Value::String(e), other) if e.starts_with('<') && e.ends_with('>') => {
            !other.is_null() || e.contains("null")
        }
        (Value::String(e), a) if matches!(e.as_str(), "timestamp" | "date") => !a.is_null(),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| wild_eq(x, y))
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|w| wild_eq(v, w)))
        }
        (Value::String(e), a) if !a.is_string() => {
            // Scalar documents are stored as raw strings.
            serde_json::from_str::<Value>(e)
                .map(|p| value_eq(&p, a))
                .unwrap_or(false)
        }
        _ => value_eq(expected, actual),
    }
}

/// Whether `s` has the shape of a UUID (8-4-4-4-12 hex digits).
fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn replace_uuids(v: &mut Value, rep: &Value) {
    match v {
        Value::String(s) if is_uuid(s) => *v = rep.clone(),
        Value::Object(o) => o.values_mut().for_each(|x| replace_uuids(x, rep)),
        Value::Array(a) => a.iter_mut().for_each(|x| replace_uuids(x, rep)),
        _ => {}
    }
}

/// Apply the recording's JsonpathTransformers to our value, and the
/// RegexTransformers that replaced a UUID generated during the run (the
/// test read it from the output, so the case stores `<<UNRESOLVED:uuid>>`
/// as the pattern): every UUID we generated is replaced the same way.
fn transform(v: &mut Value, transformers: &[Value]) {
    for t in transformers {
        let kind = t.get("transformer").and_then(|x| x.as_str());
        if kind == Some("RegexTransformer") {
            let args = t.get("args").and_then(|a| a.as_array());
            let pattern = args.and_then(|a| a.first()).and_then(|x| x.as_str());
            if let (Some("<<UNRESOLVED:uuid>>"), Some(rep)) = (pattern, args.and_then(|a| a.get(1)))
            {
                replace_uuids(v, rep);
            }
            continue;
        }
        if kind != Some("JsonpathTransformer") {
            continue;
        }
        let args = t.get("args").and_then(|a| a.as_array());
        let path = t
            .get("jsonpath")
            .or_else(|| args.and_then(|a| a.first()))
            .and_then(|x| x.as_str());
        let rep = t.get("replacement").or_else(|| args.and_then(|a| a.get(1)));
        let (Some(path), Some(rep)) = (path, rep) else {
            continue;
        };
        if path.ends_with("executionSucceededEventDetails.output") {
            *v = rep.clone();
            continue;
        }
        // `$..events..executionSucceededEventDetails.output.X`: X inside the output.
        if let Some((_, inner)) = path.split_once("executionSucceededEventDetails.output.") {
            if let Ok(p) = Path::parse_reference(&format!("$.{inner}")) {
                let mut val = Val::from(&*v);
                if p.eval(&asldbg::asl::jsonpath::Scope::data(&val)).is_ok()
                    && p.set(&mut val, Val::from(rep)).is_ok()
                {
                    *v = val.to_json();
                }
            }
            continue;
        }
        let key = path.trim_start_matches("$..");
        if key != path && !key.contains('.') && !key.contains('[') {
            replace_key(v, key, rep);
        } else if let Ok(p) = Path::parse_reference(path) {
            let mut val = Val::from(&*v);
            if p.set(&mut val, Val::from(rep)).is_ok() {
                *v = val.to_json();
            }
        }
    }
}

fn replace_key(v: &mut Value, key: &str, rep: &Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if k == key {
                    *x = rep.clone();
                } else {
                    replace_key(x, key, rep);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| replace_key(x, key, rep)),
        _ => {}
    }
}

fn resolve_placeholders(v: &mut Value, mocks: &Map<String, Value>, state: Option<&str>) {
    match v {
        Value::Object(o) => {
            let is_state = o.contains_key("Type");
            let names: Vec<String> = o.keys().cloned().collect();
            for k in names {
                let child_state = if is_state { state } else { Some(k.as_str()) };
                let _ = child_state;
                let x = o.get_mut(&k).unwrap();
                resolve_placeholders(x, mocks, if is_state { state } else { Some(&k) });
            }
            if is_state {
                if let Some(Value::String(r)) = o.get("Resource") {
                    if r.contains("<<UNRESOLVED:") {
                        let from_mock = state
                            .and_then(|s| mocks.get(s))
                            .and_then(|m| m.get(0))
                            .and_then(|m| m.get("resource"))
                            .and_then(|r| r.as_str());
                        let res = from_mock
                            .map(str::to_string)
                            .unwrap_or_else(|| generic_arn(r));
                        o.insert(
                            "Resource".into(),
                            Value::String(
                                res.replace("<partition>", "aws")
                                    .replace("<region>", "us-east-1"),
                            ),
                        );
                    }
                }
            }
        }
        Value::Array(a) => a
            .iter_mut()
            .for_each(|x| resolve_placeholders(x, mocks, state)),
        Value::String(s) if s.contains("<<UNRESOLVED:") => *s = generic_arn(s),
        _ => {}
    }
}

fn generic_arn(p: &str) -> String {
    let l = p.to_ascii_lowercase();
    if l.contains("activity") {
        "arn:aws:states:us-east-1:111111111111:activity:activity".into()
    } else if l.contains("function") || l.contains("lambda") {
        "arn:aws:lambda:us-east-1:111111111111:function:function".into()
    } else if l.contains("region") {
        "us-east-1".into()
    } else {
        p.replace("<<UNRESOLVED:", "").replace(">>", "")
    }
}

/// Types of expected events, with reordered (Parallel) runs marked.
fn events_match(expected: &[Value], actual: &[String]) -> bool {
    let mut i = 0;
    let mut k = 0;
    while k < expected.len() {
        let reordered = |e: &Value| !e.get("id").is_some_and(|x| x.is_u64());
        if reordered(&expected[k]) {
            let start = k;
            while k < expected.len() && reordered(&expected[k]) {
                k += 1;
            }
            let mut want: Vec<&str> = expected[start..k]
                .iter()
                .filter_map(|e| e.get("type")?.as_str())
                .collect();
            if i + want.len() > actual.len() {
                return false;
            }
            let mut got: Vec<&str> = actual[i..i + want.len()]
                .iter()
                .map(|s| s.as_str())
                .collect();
            want.sort();
            got.sort();
            if want != got {
                return false;
            }
            i += want.len();
        } else {
            let t = expected[k]
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or("");
            if actual.get(i).map(|s| s.as_str()) != Some(t) {
                return false;
            }
            i += 1;
            k += 1;
        }
    }
    i == actual.len()
}

#[derive(Debug, Clone)]
pub struct CaseResult {
    pub id: String,
    pub file: String,
    pub family: String,
    pub kind: String,
    pub jsonata: bool,
    pub passed: bool,
    pub history: Option<bool>,
    pub detail: String,
    /// `asldbg replay` on the recorded history, put in the AWS CLI's shape:
    /// whether it reproduced every event (None: no history recorded).
    pub replay: Option<bool>,
    pub replay_detail: String,
    /// The recording is AWS's as it was: its events keep their ids (no
    /// transformer reordered them) and its input is the one AWS was given
    /// (not a snapshot's normalised copy).
    pub replay_faithful: bool,
}

fn final_status(s: &str) -> bool {
    matches!(s, "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED")
}

/// Run one case; `None` when the case is not runnable locally.
pub fn run_case(file: &str, c: &Value) -> Option<CaseResult> {
    let kind = c.get("kind")?.as_str()?.to_string();
    let family = std::path::Path::new(file)
        .file_name()?
        .to_str()?
        .split('.')
        .next()?
        .to_string();
    let features: Vec<&str> = c
        .get("features")
        .and_then(|f| f.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    let jsonata =
        features.contains(&"JSONata") || family.contains("jsonata") || file.contains("jsonata");
    let id = c
        .get("id")
        .and_then(|i| i.as_str())
        .unwrap_or(file)
        .to_string();
    let mut res = CaseResult {
        id,
        file: file.to_string(),
        family,
        kind: kind.clone(),
        jsonata,
        passed: false,
        history: None,
        detail: String::new(),
        replay: None,
        replay_detail: String::new(),
        replay_faithful: false,
    };
    let mocks = c
        .get("mocks")
        .and_then(|m| m.as_object())
        .cloned()
        .unwrap_or_default();
    let mut def_v = c.get("definition").cloned().unwrap_or(Value::Null);
    resolve_placeholders(&mut def_v, &mocks, None);
    // The express test suites create EXPRESS state machines; executions
    // record their type.
    let express = res.family.contains("express")
        || c.pointer("/extra/execution_type").and_then(|t| t.as_str()) == Some("EXPRESS");
    if kind == "invalid_definition" {
        let invalid = def_v.is_null()
            || match Definition::from_value(&def_v) {
                Err(_) => true,
                Ok(d) => express && !asldbg::asl::model::express_diagnostics(&d).is_empty(),
            };
        res.passed = invalid;
        if !invalid {
            res.detail = "definition accepted".into();
        }
        return Some(res);
    }
    if kind == "validate_definition" {
        // ValidateStateMachineDefinition's answer: OK or FAIL, as ours.
        let want_ok =
            c.pointer("/expected/status").and_then(|x| x.as_str()) == Some("VALIDATION_OK");
        let express = c
            .pointer("/extra/state_machine_type")
            .and_then(|t| t.as_str())
            == Some("EXPRESS");
        let doc = if def_v.is_null() {
            let text = c
                .get("definition_text")
                .and_then(|t| t.as_str())
                .unwrap_or("");
            asldbg::asl::parse_document(text, "definition.json").ok()
        } else {
            asldbg::asl::parse_document(&def_v.to_string(), "definition.json").ok()
        };
        let ok =
            doc.is_some_and(|d| asldbg::asl::definition_of("definition.json", d, express).is_ok());
        res.passed = ok == want_ok;
        if !res.passed {
            res.detail = format!(
                "validation {} where AWS says {}",
                if ok { "OK" } else { "FAIL" },
                if want_ok { "OK" } else { "FAIL" }
            );
        }
        return Some(res);
    }
    if kind == "test_state" {
        return test_state_case(c, &def_v, res);
    }
    if kind != "execution" {
        return None;
    }
    let expected = c.get("expected")?;
    let status = expected.get("status")?.as_str()?;
    let needs = c
        .get("needs_services")
        .and_then(|n| n.as_array())
        .map(|a| !a.is_empty())
        .unwrap_or(false);
    if !final_status(status) || (needs && mocks.is_empty()) {
        return None;
    }
    let def = match Definition::from_value(&def_v) {
        Ok(d) => d,
        Err(d) => {
            res.detail = format!("definition rejected: {} {}", d[0].pointer, d[0].message);
            return Some(res);
        }
    };
    if let Some((ok, detail)) = replay_case(c, &def, &mocks, express, status) {
        res.replay = Some(ok);
        res.replay_detail = detail;
        res.replay_faithful = faithful(c);
    }
    let mut input = c.get("input").cloned().unwrap_or(json!({}));
    resolve_placeholders(&mut input, &mocks, None);
    let queues = mocks
        .iter()
        .map(|(k, v)| (k.clone(), v.as_array().cloned().unwrap_or_default()))
        .collect();
    // The recordings were made in account 111111111111.
    let opts = Options {
        max_events: 25_000,
        account: "111111111111".into(),
        express,
        ..Options::default()
    };
    let mut ex = Execution::new(
        Arc::new(def),
        Val::from(input),
        Box::new(Answers::new(queues)),
        opts,
    );
    // A recording that ends in ExecutionAborted was stopped from outside
    // (StopExecution): stop ours at the same point of its history.
    let events = c.get("events").and_then(|e| e.as_array());
    let aborted_at = events.and_then(|ev| {
        (ev.last()?.get("type")?.as_str()? == "ExecutionAborted").then(|| ev.len() - 1)
    });
    match aborted_at {
        Some(n) => {
            while ex.history().len() < n && ex.step() {}
            ex.stop(None, None);
        }
        None => {
            ex.run();
        }
    }
    let transformers: Vec<Value> = c
        .get("snapshot_transformers")
        .and_then(|t| t.as_array())
        .cloned()
        .unwrap_or_default();
    let mut output = ex.output().map(Val::to_json).unwrap_or(Value::Null);
    transform(&mut output, &transformers);
    let got_status = ex.status().as_str();
    let (err, cause) = ex
        .error()
        .map(|e| (json!(e.name()), json!(e.cause())))
        .unwrap_or((Value::Null, Value::Null));
    let exp_out = expected.get("output").cloned().unwrap_or(Value::Null);
    let exp_err = expected.get("error").cloned().unwrap_or(Value::Null);
    let exp_cause = expected.get("cause").cloned().unwrap_or(Value::Null);
    let mut problems = Vec::new();
    if got_status != status {
        problems.push(format!("status {got_status} != {status}"));
    }
    if status == "SUCCEEDED" && !wild_eq(&exp_out, &output) {
        problems.push(format!(
            "output {} != {}",
            serde_json::to_string(&output).unwrap_or_default(),
            serde_json::to_string(&exp_out).unwrap_or_default()
        ));
    }
    if status != "SUCCEEDED" {
        if !exp_err.is_null() && !wild_eq(&exp_err, &err) {
            problems.push(format!("error {err} != {exp_err}"));
        }
        let cause_ok = match (&exp_cause, &cause) {
            (Value::Null, _) => true,
            (Value::String(e), Value::String(a))
                if expected.get("cause_reserialized") == Some(&Value::Bool(true)) =>
            {
                match (
                    serde_json::from_str::<Value>(e),
                    serde_json::from_str::<Value>(a),
                ) {
                    (Ok(x), Ok(y)) => wild_eq(&x, &y),
                    _ => wild_str_eq(e, a),
                }
            }
            (Value::String(e), Value::String(a)) => {
                wild_str_eq(e, a) || (e.is_empty() && a.is_empty())
            }
            _ => false,
        };
        if !cause_ok {
            problems.push(format!("cause {cause} != {exp_cause}"));
        }
    }
    if let Some(events) = c.get("events").and_then(|e| e.as_array()) {
        let mut types: Vec<String> = ex
            .history()
            .iter()
            .map(|e| e.event_type.as_str().to_string())
            .collect();
        // The recording asked GetExecutionHistory for the newest event first.
        let reversed = c
            .pointer("/source/snapshot_keys/history")
            .and_then(|k| k.as_str())
            .is_some_and(|k| k.contains("reverseOrder[True]"));
        if reversed {
            types.reverse();
        }
        let ok = events_match(events, &types);
        res.history = Some(ok);
        if !ok && problems.is_empty() {
            res.detail = format!(
                "history: got [{}] want [{}]",
                types.join(","),
                events
                    .iter()
                    .filter_map(|e| e.get("type")?.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
    }
    res.passed = problems.is_empty();
    if !problems.is_empty() {
        res.detail = problems.join("; ");
    }
    Some(res)
}

/// The case's recorded events as `aws stepfunctions get-execution-history
/// --output json` prints them: payloads as JSON text, epoch timestamps,
/// numeric ids (events a transformer reordered lost theirs: they get their
/// place's).
fn cli_history(events: &[Value], input: Option<&Value>, start: f64) -> Value {
    let text = |v: &Value| match v {
        Value::String(s) => Value::String(s.clone()),
        other => Value::String(serde_json::to_string(other).unwrap_or_default()),
    };
    let n = events.len() as u64;
    let descending = events.first().and_then(|e| e.get("id")?.as_u64())
        > events.last().and_then(|e| e.get("id")?.as_u64());
    // A transformer that reordered events (a Parallel's) took their ids:
    // they take the ids after the last one kept, so the ids the recording
    // skips (events it left out) stay known. When they do not fit, all
    // events take their place's id.
    let renumber = events
        .iter()
        .any(|e| !e.get("id").is_some_and(|x| x.is_u64()));
    let kept = (renumber && !descending)
        .then(|| {
            let mut last = 0u64;
            let mut ids = Vec::with_capacity(events.len());
            for e in events {
                last = match e.get("id").and_then(|x| x.as_u64()) {
                    Some(id) if id <= last => return None,
                    Some(id) => id,
                    None => last + 1,
                };
                ids.push(last);
            }
            Some(ids)
        })
        .flatten();
    let out: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut e = e.clone();
            let place = if let Some(ids) = &kept {
                ids[i]
            } else if descending {
                n - i as u64
            } else {
                i as u64 + 1
            };
            let o_type = e.get("type").cloned();
            if let Some(o) = e.as_object_mut() {
                if renumber {
                    o.insert("id".into(), json!(place));
                    if o.get("previousEventId").and_then(|p| p.as_u64()) >= Some(place) {
                        o.insert("previousEventId".into(), json!(0));
                    }
                }
                if !o.get("previousEventId").is_some_and(|x| x.is_u64()) {
                    o.insert("previousEventId".into(), json!(0));
                }
                o.insert("timestamp".into(), json!(start + place as f64));
                for (k, d) in o.iter_mut() {
                    if !k.ends_with("EventDetails") {
                        continue;
                    }
                    if let Some(d) = d.as_object_mut() {
                        // The recorded input lost its timestamps to the
                        // snapshot's normalisation: the test's own literal
                        // is what AWS was given.
                        if let (Some(i), Some(Value::String(t))) = (input, o_type.as_ref()) {
                            if t == "ExecutionStarted" {
                                d.insert("input".into(), i.clone());
                            }
                        }
                        for f in ["input", "output", "parameters"] {
                            if let Some(v) = d.get(f).map(text) {
                                d.insert(f.into(), v);
                            }
                        }
                        // The snapshot parsed JSON causes; AWS gives text.
                        if let Some(c) = d.get("cause").filter(|c| !c.is_string()) {
                            let t = text(c);
                            d.insert("cause".into(), t);
                        }
                    }
                }
            }
            e
        })
        .collect();
    json!({ "events": out })
}

/// The corpus's normalised values against ours: `<token>` wildcards, the
/// bare words that stand for names and ARNs (`activity_arn`,
/// `sqs_queue_url`), and ARNs whose segments match so.
fn corpus_str_eq(expected: &str, actual: &str) -> bool {
    let token = |s: &str| {
        (s.starts_with('<') && s.ends_with('>'))
            || (s.contains('_')
                && s.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'))
    };
    // An unresolved placeholder of the definition stands as its bare name.
    if wild_str_eq(expected, actual) || token(expected) || token(actual) {
        return true;
    }
    let (e, a): (Vec<&str>, Vec<&str>) =
        (expected.split(':').collect(), actual.split(':').collect());
    e.len() > 1
        && e.len() == a.len()
        && e.iter()
            .zip(&a)
            .all(|(x, y)| x == y || token(x) || wild_str_eq(x, y))
}

/// Whether the case's history is AWS's as recorded (see
/// [`CaseResult::replay_faithful`]).
fn faithful(c: &Value) -> bool {
    let events = c.get("events").and_then(|e| e.as_array());
    let ids_kept =
        events.is_some_and(|ev| ev.iter().all(|e| e.get("id").is_some_and(|x| x.is_u64())));
    // A timestamp in the input that the snapshot normalised away.
    let exact_input = c.get("input_source").and_then(|s| s.as_str()) == Some("test-code")
        || !c.get("input").map(|i| i.to_string()).is_some_and(|t| {
            [
                "\"timestamp\"",
                "\"date\"",
                "<timestamp",
                "-date>",
                "-time>",
            ]
            .iter()
            .any(|w| t.contains(w))
        });
    ids_kept && exact_input
}

/// A local event's details rewritten as the case's snapshot transformers
/// rewrote the recorded ones.
fn normalise_event(key: &str, d: &mut Map<String, Value>, transformers: &[Value]) {
    if key == "executionSucceededEventDetails" {
        if let Some(v) = d.get_mut("output") {
            transform(v, transformers);
        }
        return;
    }
    for t in transformers {
        let kind = t.get("transformer").and_then(|x| x.as_str());
        let args = t.get("args").and_then(|a| a.as_array());
        if kind == Some("RegexTransformer") {
            let pattern = args.and_then(|a| a.first()).and_then(|x| x.as_str());
            if let (Some("<<UNRESOLVED:uuid>>"), Some(rep)) = (pattern, args.and_then(|a| a.get(1)))
            {
                for f in ["input", "output"] {
                    if let Some(v) = d.get_mut(f) {
                        replace_uuids(v, rep);
                    }
                }
            }
            continue;
        }
        if kind != Some("JsonpathTransformer") {
            continue;
        }
        let path = t
            .get("jsonpath")
            .or_else(|| args.and_then(|a| a.first()))
            .and_then(|x| x.as_str());
        let rep = t.get("replacement").or_else(|| args.and_then(|a| a.get(1)));
        let (Some(rest), Some(rep)) = (path.and_then(|p| p.strip_prefix("$..")), rep) else {
            continue;
        };
        let rest = rest.strip_prefix("events..").unwrap_or(rest);
        match rest.split_once('.') {
            // `$..stateExitedEventDetails.output[.X]`: in such events.
            Some((dk, tail)) => {
                if dk != key {
                    continue;
                }
                let (field, inner) = tail.split_once('.').unwrap_or((tail, ""));
                let Some(v) = d.get_mut(field) else {
                    continue;
                };
                if inner.is_empty() {
                    *v = rep.clone();
                } else if let Ok(p) = Path::parse_reference(&format!("$.{inner}")) {
                    let mut val = Val::from(&*v);
                    if p.eval(&asldbg::asl::jsonpath::Scope::data(&val)).is_ok()
                        && p.set(&mut val, Val::from(rep)).is_ok()
                    {
                        *v = val.to_json();
                    }
                }
            }
            // `$..Key`: the key anywhere in the payloads.
            None => {
                for f in ["input", "output"] {
                    if let Some(v) = d.get_mut(f) {
                        replace_key(v, rest, rep);
                    }
                }
            }
        }
    }
}

/// When the case was recorded on AWS (`source.recorded_date`,
/// `dd-mm-yyyy, HH:MM:SS`), in epoch seconds: its history's clock.
fn recorded_at(c: &Value) -> Option<f64> {
    let d = c.pointer("/source/recorded_date")?.as_str()?;
    let t = chrono::NaiveDateTime::parse_from_str(d, "%d-%m-%Y, %H:%M:%S").ok()?;
    Some(t.and_utc().timestamp() as f64)
}

/// `asldbg replay` of the case's recorded history: whether the local run
/// reproduced it, and where it parted.
fn replay_case(
    c: &Value,
    def: &Definition,
    mocks: &Map<String, Value>,
    express: bool,
    status: &str,
) -> Option<(bool, String)> {
    let events = c.get("events")?.as_array()?;
    if events.is_empty() {
        return None;
    }
    let exact = c.get("input_source").and_then(|s| s.as_str()) == Some("test-code");
    let input = exact.then(|| c.get("input")).flatten();
    let mut history = cli_history(
        events,
        input
            .map(|i| Value::String(serde_json::to_string(i).unwrap_or_default()))
            .as_ref(),
        recorded_at(c).unwrap_or(asldbg::engine::DEFAULT_START_MS as f64 / 1000.0),
    );
    resolve_placeholders(&mut history, mocks, None);
    let rec = match asldbg::replay::recording::read(&history) {
        Ok(r) => r,
        Err(e) => return Some((false, format!("history: {} ({})", e.message, e.pointer))),
    };
    let opts = Options {
        max_events: 25_000,
        account: "111111111111".into(),
        express,
        ..Options::default()
    };
    let transformers: Vec<Value> = c
        .get("snapshot_transformers")
        .and_then(|t| t.as_array())
        .cloned()
        .unwrap_or_default();
    let normalise = |key: &str, d: &mut Map<String, Value>| normalise_event(key, d, &transformers);
    let how = asldbg::replay::Comparison {
        hook: Some(corpus_str_eq),
        normalise: Some(&normalise),
    };
    let r = asldbg::replay::replay_with(Arc::new(def.clone()), &rec, opts, &how);
    let mut problems = Vec::new();
    if r.status.as_str() != status {
        problems.push(format!("status {} != {status}", r.status.as_str()));
    }
    if let Some(d) = &r.divergence {
        problems.push(format!(
            "diverges at event {} ({}): expected {} got {}",
            d.event_id,
            d.state.as_deref().unwrap_or("-"),
            d.expected,
            d.got
        ));
    }
    Some((problems.is_empty(), problems.join("; ")))
}

/// Run every case file in `dir`.
pub fn run_dir(dir: &str) -> Result<Vec<CaseResult>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{dir}: cannot read directory: {e}"))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f.to_string_lossy().to_string();
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{name}: {e}"))?;
        let Ok(c) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if let Some(r) = run_case(&name, &c) {
            out.push(r);
        }
    }
    Ok(out)
}

/// A value of a TestState response as JSON: AWS gives JSON documents as
/// strings (the recorder parsed some of them back).
fn document(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    }
}

/// The fields of a TestState response (or of its inspectionData) that
/// differ from the recorded one.
fn response_diff(expected: &Value, got: &Value, at: &str, out: &mut Vec<String>) {
    let (Some(e), Some(g)) = (expected.as_object(), got.as_object()) else {
        return;
    };
    for k in e.keys().chain(g.keys().filter(|k| !e.contains_key(*k))) {
        if k == "ResponseMetadata" {
            continue;
        }
        let name = format!("{at}{k}");
        match (e.get(k), g.get(k)) {
            (Some(x), Some(y)) if k == "inspectionData" => {
                response_diff(x, y, "inspectionData.", out)
            }
            (Some(x), Some(y)) => {
                let same = match (x, y) {
                    (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                    (Value::Object(_), Value::Object(_)) if k == "errorDetails" => {
                        let num = |v: &Value| -> Vec<(String, f64)> {
                            v.as_object()
                                .into_iter()
                                .flatten()
                                .map(|(k, n)| (k.clone(), n.as_f64().unwrap_or(f64::NAN)))
                                .collect()
                        };
                        let (mut a, mut b) = (num(x), num(y));
                        a.sort_by(|p, q| p.0.cmp(&q.0));
                        b.sort_by(|p, q| p.0.cmp(&q.0));
                        a == b
                    }
                    _ => wild_eq(&document(x), &document(y)),
                };
                if !same {
                    out.push(format!("{name}: got {y}, AWS {x}"));
                }
            }
            (Some(x), None) => out.push(format!("{name}: missing (AWS {x})")),
            (None, Some(y)) => out.push(format!("{name}: not in AWS's response (got {y})")),
            (None, None) => {}
        }
    }
}

/// A TestState case: the recorded request run by `asldbg test-state`,
/// its response compared with AWS's. `None` when the state calls a real
/// service without a mock (not runnable offline).
fn test_state_case(c: &Value, def: &Value, mut res: CaseResult) -> Option<CaseResult> {
    use asldbg::testing::test_state::{test_state, Request, Settings};
    let args = c.pointer("/extra/test_state_args")?;
    let expected = c.pointer("/extra/test_state_response")?;
    let mut request = args.clone();
    let obj = request.as_object_mut()?;
    obj.insert("definition".into(), json!(def.to_string()));
    let input = c.get("input").cloned().unwrap_or(json!({}));
    obj.insert("input".into(), json!(input.to_string()));
    let req = match Request::from_json(&request) {
        Ok(r) => r,
        Err(e) => {
            res.detail = format!("request refused: {e}");
            return Some(res);
        }
    };
    // The recordings were made in account 111111111111.
    let settings = Settings {
        account: "111111111111".into(),
        ..Settings::default()
    };
    let got = match test_state(&req, &settings) {
        Ok(g) => g,
        Err(e) if e.needs_service => return None,
        Err(e) => {
            res.detail = format!("request refused: {e}");
            return Some(res);
        }
    };
    let mut diffs = Vec::new();
    response_diff(expected, &got, "", &mut diffs);
    res.passed = diffs.is_empty();
    res.detail = diffs.join("; ");
    Some(res)
}

pub(crate) fn conformance_cmd(
    dir: &str,
    report: Option<String>,
    verbose: bool,
    floor: Option<String>,
) -> ExitCode {
    let results = match run_dir(dir) {
        Ok(r) => r,
        Err(e) => return fail2(e),
    };
    let mut fam: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &results {
        let e = fam.entry(r.family.clone()).or_default();
        e.1 += 1;
        if r.passed {
            e.0 += 1;
        }
        if verbose && !r.passed {
            outln!("FAIL {} :: {}", r.file, r.detail);
        }
    }
    outln!("{:<28} {:>6} {:>6}", "family", "passed", "total");
    for (f, (p, t)) in &fam {
        outln!("{f:<28} {p:>6} {t:>6}");
    }
    let exec: Vec<_> = results.iter().filter(|r| r.kind == "execution").collect();
    let jp: Vec<_> = exec.iter().filter(|r| !r.jsonata).collect();
    let jp_pass = jp.iter().filter(|r| r.passed).count();
    let with_hist: Vec<_> = exec.iter().filter(|r| r.history.is_some()).collect();
    let hist_ok = with_hist.iter().filter(|r| r.history == Some(true)).count();
    let inv: Vec<_> = results
        .iter()
        .filter(|r| r.kind == "invalid_definition")
        .collect();
    let inv_ok = inv.iter().filter(|r| r.passed).count();
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    outln!(
        "JSONPath executions: {jp_pass}/{} ({:.1}%)",
        jp.len(),
        pct(jp_pass, jp.len())
    );
    let all_pass = exec.iter().filter(|r| r.passed).count();
    outln!(
        "all executions: {all_pass}/{} ({:.1}%)",
        exec.len(),
        pct(all_pass, exec.len())
    );
    outln!(
        "history matches: {hist_ok}/{} ({:.1}%)",
        with_hist.len(),
        pct(hist_ok, with_hist.len())
    );
    outln!("invalid definitions rejected: {inv_ok}/{}", inv.len());
    let val: Vec<_> = results
        .iter()
        .filter(|r| r.kind == "validate_definition")
        .collect();
    let val_ok = val.iter().filter(|r| r.passed).count();
    outln!(
        "ValidateStateMachineDefinition answers matched (OK or FAIL): {val_ok}/{}",
        val.len()
    );
    let ts: Vec<_> = results.iter().filter(|r| r.kind == "test_state").collect();
    let ts_ok = ts.iter().filter(|r| r.passed).count();
    outln!(
        "TestState responses matched: {ts_ok}/{} ({:.1}%)",
        ts.len(),
        pct(ts_ok, ts.len())
    );
    let replayed: Vec<_> = results.iter().filter(|r| r.replay.is_some()).collect();
    let replay_ok = replayed.iter().filter(|r| r.replay == Some(true)).count();
    outln!(
        "replay of recorded histories (AWS CLI shape): {replay_ok}/{} reproduced ({:.1}%)",
        replayed.len(),
        pct(replay_ok, replayed.len())
    );
    let faithful: Vec<_> = replayed.iter().filter(|r| r.replay_faithful).collect();
    let faithful_ok = faithful.iter().filter(|r| r.replay == Some(true)).count();
    outln!(
        "  of them as AWS recorded them (ids kept, input not normalised): {faithful_ok}/{} ({:.1}%)",
        faithful.len(),
        pct(faithful_ok, faithful.len())
    );
    if verbose {
        for r in replayed.iter().filter(|r| r.replay == Some(false)) {
            outln!("REPLAY {} :: {}", r.file, r.replay_detail);
        }
    }
    if let Some(path) = report {
        let cases: Vec<Value> = results
            .iter()
            .map(|r| json!({"id": r.id, "file": r.file, "family": r.family, "kind": r.kind, "jsonata": r.jsonata, "passed": r.passed, "history": r.history, "detail": r.detail, "replay": r.replay, "replay_detail": r.replay_detail, "replay_faithful": r.replay_faithful}))
            .collect();
        if let Err(e) = std::fs::write(
            &path,
            serde_json::to_string_pretty(&json!({"cases": cases})).unwrap_or_default(),
        ) {
            return fail2(format!("{path}: {e}"));
        }
    }
    let passed = results.iter().filter(|r| r.passed).count();
    let mut code = ExitCode::SUCCESS;
    if let Some(floor) = floor {
        let text = match std::fs::read_to_string(&floor) {
            Ok(t) => t,
            Err(e) => return fail2(format!("{floor}: {e}")),
        };
        let counts = [
            ("passed", passed),
            ("jsonpath", jp_pass),
            ("history", hist_ok),
            ("invalid", inv_ok),
            ("replay", replay_ok),
            ("validate", val_ok),
            ("test_state", ts_ok),
        ];
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return fail2(format!("{floor}:{}:1: expected key=count", n + 1));
            };
            let Some((_, got)) = counts.iter().find(|(name, _)| *name == k.trim()) else {
                return fail2(format!("{floor}:{}:1: unknown key '{}'", n + 1, k.trim()));
            };
            let Ok(want) = v.trim().parse::<usize>() else {
                return fail2(format!(
                    "{floor}:{}:{}: '{}' is not a count",
                    n + 1,
                    k.len() + 2,
                    v.trim()
                ));
            };
            if *got < want {
                errln!(
                    "conformance floor broken: {} = {got}, floor {want}",
                    k.trim()
                );
                code = ExitCode::from(1);
            } else if *got > want {
                outln!(
                    "conformance: {} = {got} is above the floor {want}; raise it in {floor}",
                    k.trim()
                );
            }
        }
    }
    outln!("{} passed, {} failed", passed, results.len() - passed);
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_normalised_tokens() {
        assert!(wild_str_eq(
            "arn:<partition>:states:<region>:111:x",
            "arn:aws:states:us-east-1:111:x"
        ));
        assert!(wild_str_eq("<uuid:1>", "abc"));
        assert!(!wild_str_eq("a<x>b", "ac"));
        assert!(wild_eq(&json!("timestamp"), &json!("2020-01-01")));
        assert!(wild_eq(&json!("0.0"), &json!(0)));
    }

    #[test]
    fn reordered_parallel_events_compare_as_a_multiset() {
        let exp = vec![
            json!({"id": 1, "type": "A"}),
            json!({"id": [0], "type": "B"}),
            json!({"id": [0], "type": "C"}),
            json!({"id": 4, "type": "D"}),
        ];
        let got: Vec<String> = ["A", "C", "B", "D"].iter().map(|s| s.to_string()).collect();
        assert!(events_match(&exp, &got));
        let bad: Vec<String> = ["A", "C", "D", "B"].iter().map(|s| s.to_string()).collect();
        assert!(!events_match(&exp, &bad));
    }

    #[test]
    fn a_scrubbed_runtime_uuid_is_replaced_in_our_output_too() {
        let t = vec![
            json!({"transformer": "RegexTransformer", "args": ["<<UNRESOLVED:uuid>>", "generated-uuid"]}),
        ];
        let mut v = json!({"a": "e220a839-7b1d-4daf-ae78-9e6aa1b965f4", "b": ["x", "e220a839-7b1d-4daf-ae78-9e6aa1b965fZ"]});
        transform(&mut v, &t);
        assert_eq!(
            v,
            json!({"a": "generated-uuid", "b": ["x", "e220a839-7b1d-4daf-ae78-9e6aa1b965fZ"]})
        );
        // Other regex transformers are the recorder's business, not ours.
        let t = vec![
            json!({"transformer": "RegexTransformer", "args": ["<<UNRESOLVED:snf_role_arn>>", "snf_role_arn"]}),
        ];
        let mut v = json!({"a": "e220a839-7b1d-4daf-ae78-9e6aa1b965f4"});
        transform(&mut v, &t);
        assert_eq!(v["a"], "e220a839-7b1d-4daf-ae78-9e6aa1b965f4");
    }
}
