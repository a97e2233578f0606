//! Whether a local event reproduces a recorded one, and where a local run
//! first parts from a recording.
//!
//! Values random by nature (UUIDs, task tokens), times (the recording's
//! clock ran while tasks worked; the local one does not) and execution ARNs
//! (the history does not name its execution) are compared by kind: a UUID
//! for a UUID. Branches and iterations that ran at the same time may have
//! recorded their events in another order than the local scheduler makes
//! them: inside a Parallel or Map, an event may match a later recorded one
//! of the same region.

use super::recording::{details_of, Recorded, Recording};
use crate::asl::json::value_eq;
use crate::engine::history::Event;
use crate::engine::EventType;
use serde_json::{json, Map, Value};

/// Extra equality for strings (the conformance corpus's `<uuid:1>` tokens).
pub type StrHook = fn(&str, &str) -> bool;

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_timestamp(s: &str) -> bool {
    s.len() >= 20
        && s.as_bytes()[4] == b'-'
        && s.contains('T')
        && crate::asl::timestamp::parse_timestamp(s).is_some()
}

fn is_execution_arn(s: &str) -> bool {
    s.starts_with("arn:") && (s.contains(":execution:") || s.contains(":express:"))
}

/// AWS's task tokens: long base64 text.
fn is_token(s: &str) -> bool {
    s.len() >= 100
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'-' | b'_'))
}

/// JSON text (an error's cause written by a function): its value.
fn json_text(s: &str) -> Option<Value> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str(s).ok()
}

/// `got` stands for `expected`: equal, of the same random kind, or the
/// same JSON written with other spacing.
fn same_str(expected: &str, got: &str, hook: Option<StrHook>) -> bool {
    if expected == got {
        return true;
    }
    if let (Some(a), Some(b)) = (json_text(expected), json_text(got)) {
        return same(&a, &b, hook);
    }
    expected == got
        || (is_uuid(expected) && is_uuid(got))
        || (is_token(expected) && (is_uuid(got) || is_token(got)))
        || (is_timestamp(expected) && is_timestamp(got))
        || (is_execution_arn(expected) && is_execution_arn(got))
        || hook.is_some_and(|h| h(expected, got))
}

/// `got` reproduces `expected` (objects key by key, in any key order).
pub fn same(expected: &Value, got: &Value, hook: Option<StrHook>) -> bool {
    match (expected, got) {
        (Value::String(a), Value::String(b)) => same_str(a, b, hook),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y, hook))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| same(x, y, hook)))
        }
        (Value::String(a), other) | (other, Value::String(a))
            if hook.is_some() && !matches!(other, Value::Object(_) | Value::Array(_)) =>
        {
            // A normalised token in the corpus may stand for a number.
            hook.is_some_and(|h| h(a, &other.to_string()))
        }
        _ => value_eq(expected, got),
    }
}

/// The detail fields that say what happened (times, credentials and
/// sizes do not).
const COMPARED: &[&str] = &[
    "name",
    "input",
    "output",
    "error",
    "cause",
    "resource",
    "resourceType",
    "parameters",
    "index",
    "length",
    "assignedVariables",
];

/// A local event as the recording's events are read.
pub struct Local {
    pub event_type: EventType,
    pub details: Map<String, Value>,
    pub json: Value,
}

impl Local {
    pub fn of(e: &Event) -> Local {
        let json = e.to_json();
        let details = json.as_object().map(details_of).unwrap_or_default();
        Local {
            event_type: e.event_type,
            details,
            json,
        }
    }
}

/// The compared fields in which `got` differs from `expected`.
fn differing(expected: &Recorded, got: &Local, hook: Option<StrHook>) -> Vec<String> {
    if expected.event_type != got.event_type {
        return Vec::new();
    }
    COMPARED
        .iter()
        .filter(|k| {
            !expected.truncated(k)
                && match (expected.details.get(**k), got.details.get(**k)) {
                    (None, None) => false,
                    (Some(a), Some(b)) => !same(a, b, hook),
                    _ => true,
                }
        })
        .map(|k| k.to_string())
        .collect()
}

/// Whether `got` reproduces `expected`.
pub fn matches(expected: &Recorded, got: &Local, hook: Option<StrHook>) -> bool {
    if expected.event_type != got.event_type {
        return false;
    }
    // What a callback or .sync service answered when the task was submitted
    // is the service's own metadata (request ids, dates, HTTP headers), which
    // no local run has; the task's result comes with TaskSucceeded.
    let submitted = expected.event_type == EventType::TaskSubmitted;
    COMPARED.iter().all(|k| {
        if submitted && *k == "output" {
            return true;
        }
        if expected.truncated(k) {
            return true;
        }
        match (expected.details.get(*k), got.details.get(*k)) {
            (None, None) => true,
            (Some(a), Some(b)) => same(a, b, hook),
            // A missing cause and an empty one say the same.
            (Some(Value::String(s)), None) | (None, Some(Value::String(s))) => s.is_empty(),
            _ => false,
        }
    })
}

fn opens(t: EventType) -> bool {
    matches!(
        t,
        EventType::ParallelStateStarted | EventType::MapStateStarted
    )
}

fn closes(t: EventType) -> bool {
    matches!(
        t,
        EventType::ParallelStateSucceeded
            | EventType::ParallelStateFailed
            | EventType::ParallelStateAborted
            | EventType::MapStateSucceeded
            | EventType::MapStateFailed
            | EventType::MapStateAborted
    )
}

/// Where the local run first parts from the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The recorded event the local run did not reproduce (0: the local run
    /// went on after the recording ended).
    pub event_id: u64,
    /// The state of that event.
    pub state: Option<String>,
    /// The recorded event (`null`: none left).
    pub expected: Value,
    /// What the local run did instead (`null`: it ended).
    pub got: Value,
    /// When both are events of one type: the detail fields that differ.
    pub fields: Vec<String>,
}

/// The recorded event `r` as readable JSON.
/// An event as [`readable`] shows it, in a few words: its type and the
/// state it names (`WaitStateEntered 'Review'`; `nothing` for none).
pub fn describe(v: &Value) -> String {
    let name = v
        .pointer("/details/name")
        .and_then(|n| n.as_str())
        .map(|n| format!(" '{n}'"))
        .unwrap_or_default();
    format!("{}{name}", v["type"].as_str().unwrap_or("nothing"))
}

pub fn readable(r: &Recorded) -> Value {
    json!({"id": r.id, "type": r.event_type.as_str(), "details": r.details})
}

fn readable_local(l: &Local) -> Value {
    json!({"id": l.json.get("id"), "type": l.event_type.as_str(), "details": l.details})
}

/// The state a recorded event belongs to (its chain back to an entered event).
pub fn state_of(rec: &Recording, i: usize) -> Option<String> {
    let mut e = rec.events.get(i)?;
    for _ in 0..rec.events.len() {
        if e.event_type.as_str().ends_with("StateEntered") || e.name().is_some() {
            return e.name().map(str::to_string);
        }
        e = rec.by_id(e.previous)?;
    }
    None
}

/// Matches `local` against `rec` in order; the first divergence, if any.
/// Where the history leaves events out (ids it skips), as many local
/// events may go unmatched there.
pub fn first_divergence(
    rec: &Recording,
    local: &[Local],
    hook: Option<StrHook>,
) -> Option<Divergence> {
    let n = rec.events.len();
    // How deep in Parallel/Map regions each recorded event stands, and the
    // end of the region around it (events of a region may come in any
    // order among themselves).
    let mut depth = vec![0usize; n];
    let mut d = 0usize;
    for (i, e) in rec.events.iter().enumerate() {
        if closes(e.event_type) {
            d = d.saturating_sub(1);
        }
        depth[i] = d;
        if opens(e.event_type) {
            d += 1;
        }
    }
    // The end of each event's region, found once for all (the first later
    // event that stands shallower), with a stack of the events still open.
    let mut region_end = vec![n; n];
    let mut open: Vec<usize> = Vec::new();
    for j in 0..n {
        while open.last().is_some_and(|&i| depth[j] < depth[i]) {
            region_end[open.pop().expect("checked")] = j;
        }
        open.push(j);
    }
    for (i, end) in region_end.iter_mut().enumerate() {
        if depth[i] == 0 {
            *end = i + 1;
        }
    }
    // Events the history leaves out: as many local events as it skipped
    // there may match nothing.
    let mut skips = vec![0usize; n + 1];
    for g in rec.gaps() {
        skips[g.after + 1] += g.len();
    }
    let mut used = vec![false; n];
    let mut next = 0usize;
    for l in local {
        while next < n && used[next] {
            next += 1;
        }
        if next >= n {
            return Some(Divergence {
                event_id: 0,
                state: l
                    .details
                    .get("name")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                expected: Value::Null,
                got: readable_local(l),
                fields: Vec::new(),
            });
        }
        let end = region_end[next];
        match (next..end).find(|&j| !used[j] && matches(&rec.events[j], l, hook)) {
            Some(j) => used[j] = true,
            None if skips[next] > 0 => skips[next] -= 1,
            None => {
                return Some(Divergence {
                    event_id: rec.events[next].id,
                    state: state_of(rec, next),
                    expected: readable(&rec.events[next]),
                    got: readable_local(l),
                    fields: differing(&rec.events[next], l, hook),
                })
            }
        }
    }
    (0..n).find(|&j| !used[j]).map(|j| Divergence {
        event_id: rec.events[j].id,
        state: state_of(rec, j),
        expected: readable(&rec.events[j]),
        got: Value::Null,
        fields: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_compare_by_kind() {
        let u1 = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let u2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
        assert!(same(&json!({"id": u1}), &json!({"id": u2}), None));
        assert!(same(
            &json!("2024-05-01T12:00:00.123Z"),
            &json!("2023-11-14T22:13:20.000Z"),
            None
        ));
        assert!(same(
            &json!("arn:aws:states:eu-west-1:1:execution:m:real-name"),
            &json!("arn:aws:states:us-east-1:123456789012:execution:StateMachine:asldbg-execution"),
            None
        ));
        assert!(same(&json!("A".repeat(120)), &json!(u1), None));
        assert!(!same(&json!({"id": u1}), &json!({"id": "not"}), None));
        assert!(!same(&json!({"a": 1}), &json!({"a": 1, "b": 2}), None));
        assert!(same(&json!({"a": 1.0}), &json!({"a": 1}), None));
    }
}
