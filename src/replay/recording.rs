//! An execution history as the AWS CLI prints it (`aws stepfunctions
//! get-execution-history --output json`), read and checked: events in order
//! (a `--reverse-order` history is turned around), starting and ending the
//! way an execution does. Events left out in between (a history filtered
//! with `--query`) are allowed: they are known by the ids it skips, and
//! are not compared.

use crate::engine::EventType;
use serde_json::{Map, Value};

/// One recorded event.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub id: u64,
    pub previous: u64,
    pub event_type: EventType,
    /// Epoch milliseconds, when the recording has a timestamp.
    pub timestamp_ms: Option<i64>,
    /// The `…EventDetails` object, its JSON-text fields (input, output,
    /// parameters, a variable's value) parsed.
    pub details: Map<String, Value>,
    /// Where the event stands in the file (a JSON pointer).
    pub pointer: String,
}

impl Recorded {
    /// The state the event names (entered and exited events carry it).
    pub fn name(&self) -> Option<&str> {
        self.details.get("name").and_then(|n| n.as_str())
    }

    /// A detail field as a string.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.details.get(key).and_then(|v| v.as_str())
    }

    /// Whether AWS truncated the payload `key` (`inputDetails.truncated`).
    pub fn truncated(&self, key: &str) -> bool {
        self.details
            .get(&format!("{key}Details"))
            .and_then(|d| d.get("truncated"))
            .and_then(|t| t.as_bool())
            .unwrap_or(false)
    }
}

/// A whole recorded execution.
#[derive(Debug, Clone)]
pub struct Recording {
    pub events: Vec<Recorded>,
    /// The file listed the newest event first.
    pub reversed: bool,
    /// The histories of the child executions a Distributed Map started
    /// (their Tasks' calls are not in this one's history).
    pub children: Vec<Recording>,
}

/// Events a history leaves out: ids `from..=to`, after the event at
/// position `after` of [`Recording::events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub after: usize,
    pub from: u64,
    pub to: u64,
}

impl Gap {
    pub fn len(&self) -> usize {
        (self.to - self.from + 1) as usize
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// A problem with the history file: where, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingError {
    pub pointer: String,
    pub message: String,
}

fn fail<T>(pointer: impl Into<String>, message: impl Into<String>) -> Result<T, RecordingError> {
    Err(RecordingError {
        pointer: pointer.into(),
        message: message.into(),
    })
}

/// The most events a history may hold: AWS's quota for one execution's
/// history (a longer one cannot come from AWS).
pub const MAX_EVENTS: usize = 25_000;
/// The largest history file read (25,000 events with large payloads fit).
pub const MAX_BYTES: u64 = 256 << 20;

/// Fields AWS writes as JSON text.
const JSON_TEXT: &[&str] = &["input", "output", "parameters", "result"];

/// A timestamp as the CLI prints it (`2024-05-01T12:00:00.123000+00:00`)
/// or as epoch seconds (`1714564800.123`).
fn timestamp(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_f64().and_then(seconds_to_ms),
        Value::String(s) => crate::asl::timestamp::parse_timestamp(s)
            .map(|d| d.timestamp_millis())
            .or_else(|| s.parse::<f64>().ok().and_then(seconds_to_ms)),
        _ => None,
    }
}

/// Epoch seconds as milliseconds, when they are a time (finite, within
/// what a date can be).
fn seconds_to_ms(s: f64) -> Option<i64> {
    let ms = (s * 1000.0).round();
    (ms.is_finite() && ms.abs() < 8.64e18).then_some(ms as i64)
}

/// The `…EventDetails` object of an event, its JSON-text fields parsed.
pub fn details_of(event: &Map<String, Value>) -> Map<String, Value> {
    let mut details = Map::new();
    for (k, v) in event {
        if k.ends_with("EventDetails") {
            if let Value::Object(d) = v {
                details = d.clone();
            }
        }
    }
    for k in JSON_TEXT {
        if let Some(Value::String(s)) = details.get(*k) {
            if let Ok(v) = serde_json::from_str::<Value>(s) {
                details.insert((*k).to_string(), v);
            }
        }
    }
    if let Some(Value::Object(vars)) = details.get_mut("assignedVariables") {
        for v in vars.values_mut() {
            if let Value::String(s) = v {
                if let Ok(x) = serde_json::from_str::<Value>(s) {
                    *v = x;
                }
            }
        }
    }
    details
}

/// `doc` read as a history.
pub fn read(doc: &Value) -> Result<Recording, RecordingError> {
    let (list, base) = match doc {
        Value::Array(a) => (a, ""),
        Value::Object(o) => {
            if o.get("nextToken")
                .or_else(|| o.get("NextToken"))
                .is_some_and(|t| !t.is_null())
            {
                return fail(
                    "/nextToken",
                    "the history has more pages (nextToken): fetch it whole, without --max-items or --page-size",
                );
            }
            match o.get("events") {
                Some(Value::Array(a)) => (a, "/events"),
                _ => {
                    return fail(
                        "",
                        "not an execution history: expected {\"events\": [...]}, as `aws stepfunctions get-execution-history --output json` prints",
                    )
                }
            }
        }
        _ => return fail("", "not an execution history: expected {\"events\": [...]}"),
    };
    if list.is_empty() {
        return fail(base, "the history has no events");
    }
    if list.len() > MAX_EVENTS {
        return fail(
            base,
            format!(
                "the history has {} events: an execution's history holds at most {MAX_EVENTS} \
                 (AWS's quota)",
                list.len()
            ),
        );
    }
    let mut events = events_of(list, base)?;
    // Oldest first, as a run makes them.
    let reversed = events.len() > 1 && events[0].id > events[events.len() - 1].id;
    if reversed {
        events.reverse();
    }
    if let Some(w) = events.windows(2).find(|w| w[1].id <= w[0].id) {
        return fail(
            w[1].pointer.clone(),
            format!(
                "events out of order: event {} comes after event {}",
                w[1].id, w[0].id
            ),
        );
    }
    let first = &events[0];
    if first.event_type != EventType::ExecutionStarted || first.id != 1 {
        return fail(
            first.pointer.clone(),
            format!(
                "the history is truncated: it starts at event {} ({}), not at event 1 (ExecutionStarted)",
                first.id,
                first.event_type.as_str()
            ),
        );
    }
    for e in &events {
        if e.previous >= e.id {
            return fail(
                format!("{}/previousEventId", e.pointer),
                format!(
                    "event {} names event {} as its previous one, which does not come before it",
                    e.id, e.previous
                ),
            );
        }
    }
    let last = &events[events.len() - 1];
    if !ends_execution(last.event_type) {
        return fail(
            last.pointer.clone(),
            format!(
                "the history is truncated, or the execution is still running: it ends at event {} ({}), not with the execution's end (ExecutionSucceeded, ExecutionFailed, ExecutionTimedOut or ExecutionAborted)",
                last.id,
                last.event_type.as_str()
            ),
        );
    }
    Ok(Recording {
        events,
        reversed,
        children: Vec::new(),
    })
}

/// The events of `list` (at `base` in the file), as they stand.
fn events_of(list: &[Value], base: &str) -> Result<Vec<Recorded>, RecordingError> {
    let mut events = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let at = format!("{base}/{i}");
        let Some(o) = e.as_object() else {
            return fail(at, "an event must be an object");
        };
        let Some(id) = o.get("id").and_then(|x| x.as_u64()) else {
            return fail(format!("{at}/id"), "an event needs a numeric id");
        };
        let previous = o
            .get("previousEventId")
            .and_then(|x| x.as_u64())
            .unwrap_or(0);
        let Some(ty) = o.get("type").and_then(|t| t.as_str()) else {
            return fail(format!("{at}/type"), "an event needs a type");
        };
        let Ok(event_type) = ty.parse::<EventType>() else {
            return fail(
                format!("{at}/type"),
                format!("'{ty}' is not a Step Functions history event type"),
            );
        };
        let timestamp_ms = match o.get("timestamp") {
            None | Some(Value::Null) => None,
            Some(v) => match timestamp(v) {
                Some(t) => Some(t),
                None => {
                    return fail(
                        format!("{at}/timestamp"),
                        format!(
                            "{v} is not a timestamp (RFC 3339, as the AWS CLI prints it, or epoch \
                             seconds)"
                        ),
                    )
                }
            },
        };
        let details = details_of(o);
        events.push(Recorded {
            id,
            previous,
            event_type,
            timestamp_ms,
            details,
            pointer: at,
        });
    }
    Ok(events)
}

/// The history in `file` (JSON or YAML), or its problem with the file,
/// line:column and pointer.
pub fn load(file: &str) -> Result<Recording, crate::asl::LoadError> {
    let doc = crate::asl::read_document_capped(file, MAX_BYTES)?;
    read_placed(file, &doc)
}

/// [`read`] on the document of `file`, its problem placed at its
/// line:column.
pub fn read_placed(
    file: &str,
    doc: &crate::asl::Document,
) -> Result<Recording, crate::asl::LoadError> {
    read(&doc.value).map_err(|e| {
        let (line, column) = doc.position(&e.pointer).unwrap_or((1, 1));
        crate::asl::LoadError {
            file: file.into(),
            pointer: e.pointer,
            line,
            column,
            message: e.message,
            expr: None,
        }
    })
}

/// A local run's history so far (it may still be running), to compare
/// with a recording.
pub fn of_run(history: &[crate::engine::history::Event]) -> Recording {
    let doc = crate::engine::history::export(history);
    let list = doc.get("events").and_then(|e| e.as_array());
    let events = list
        .and_then(|l| events_of(l, "/events").ok())
        .unwrap_or_default();
    Recording {
        events,
        reversed: false,
        children: Vec::new(),
    }
}

/// The events that end an execution.
pub fn ends_execution(t: EventType) -> bool {
    matches!(
        t,
        EventType::ExecutionSucceeded
            | EventType::ExecutionFailed
            | EventType::ExecutionTimedOut
            | EventType::ExecutionAborted
    )
}

impl Recording {
    /// The events the history leaves out (ids it skips), oldest first.
    pub fn gaps(&self) -> Vec<Gap> {
        self.events
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[1].id > w[0].id + 1)
            .map(|(k, w)| Gap {
                after: k,
                from: w[0].id + 1,
                to: w[1].id - 1,
            })
            .collect()
    }

    /// The event with this id, if the history holds it.
    pub fn by_id(&self, id: u64) -> Option<&Recorded> {
        let i = self.events.binary_search_by_key(&id, |e| e.id).ok()?;
        self.events.get(i)
    }

    /// The execution input (`ExecutionStarted`).
    pub fn input(&self) -> Value {
        self.events[0]
            .details
            .get("input")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()))
    }

    /// When the execution started, in epoch milliseconds.
    pub fn start_ms(&self) -> Option<i64> {
        self.events[0].timestamp_ms
    }

    /// The account of the role the execution ran as, if the history shows it.
    pub fn account(&self) -> Option<String> {
        let role = self.events[0].text("roleArn")?;
        let account = role.split(':').nth(4)?;
        (!account.is_empty() && account.bytes().all(|b| b.is_ascii_digit()))
            .then(|| account.to_string())
    }

    /// The state names the recording enters, once each, in order.
    pub fn states(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for e in &self.events {
            if e.event_type.as_str().ends_with("StateEntered") {
                if let Some(n) = e.name() {
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn history(events: Value) -> Value {
        json!({ "events": events })
    }

    fn started(id: u64) -> Value {
        json!({"id": id, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": "2024-05-01T12:00:00.123000+00:00",
               "executionStartedEventDetails": {"input": "{\"a\":1}", "roleArn": "arn:aws:iam::210987654321:role/r"}})
    }

    #[test]
    fn cli_histories_read_in_either_order() {
        let evs = json!([
            started(1),
            {"id": 2, "previousEventId": 1, "type": "PassStateEntered", "timestamp": 1714564800.5,
             "stateEnteredEventDetails": {"name": "P", "input": "{\"a\":1}"}},
            {"id": 3, "previousEventId": 2, "type": "ExecutionSucceeded", "timestamp": 1714564801,
             "executionSucceededEventDetails": {"output": "1"}}
        ]);
        let r = read(&history(evs.clone())).unwrap();
        assert!(!r.reversed);
        assert_eq!(r.input(), json!({"a": 1}));
        assert_eq!(r.start_ms(), Some(1714564800123));
        assert_eq!(r.account().as_deref(), Some("210987654321"));
        assert_eq!(r.events[1].timestamp_ms, Some(1714564800500));
        // More events than AWS keeps for one execution: refused.
        let many: Vec<Value> = (1..=MAX_EVENTS as u64 + 1)
            .map(|i| json!({"id": i, "previousEventId": i - 1, "type": "PassStateEntered"}))
            .collect();
        let e = read(&history(Value::Array(many))).unwrap_err();
        assert!(e.message.contains("25001 events"), "{}", e.message);
        // A timestamp that is none is an error at its place, not ignored.
        let mut bad = history(evs.clone());
        bad["events"][1]["timestamp"] = json!("yesterday-ish");
        let e = read(&bad).unwrap_err();
        assert_eq!(e.pointer, "/events/1/timestamp");
        assert!(
            e.message.contains("\"yesterday-ish\" is not a timestamp"),
            "{}",
            e.message
        );
        assert_eq!(r.states(), vec!["P"]);
        let mut rev = evs.as_array().unwrap().clone();
        rev.reverse();
        let r = read(&history(Value::Array(rev))).unwrap();
        assert!(r.reversed);
        assert_eq!(r.events[0].event_type, EventType::ExecutionStarted);
    }

    #[test]
    fn events_left_out_are_known_by_the_ids_skipped() {
        let evs = json!([
            started(1),
            {"id": 2, "previousEventId": 1, "type": "PassStateEntered",
             "stateEnteredEventDetails": {"name": "P", "input": "{}"}},
            {"id": 5, "previousEventId": 4, "type": "ExecutionSucceeded",
             "executionSucceededEventDetails": {"output": "1"}}
        ]);
        let r = read(&history(evs)).unwrap();
        assert_eq!(
            r.gaps(),
            vec![Gap {
                after: 1,
                from: 3,
                to: 4
            }]
        );
        assert_eq!(
            r.by_id(5).map(|e| e.event_type),
            Some(EventType::ExecutionSucceeded)
        );
        assert!(r.by_id(3).is_none());
    }

    #[test]
    fn broken_histories_say_what_is_wrong() {
        let end = json!({"id": 3, "previousEventId": 2, "type": "ExecutionSucceeded"});
        let entered = json!({"id": 2, "previousEventId": 1, "type": "PassStateEntered"});
        let cases = [
            (json!({"executions": []}), "not an execution history"),
            (
                history(json!([started(1), entered.clone()])),
                "still running",
            ),
            (
                history(json!([started(1), end.clone(), entered.clone()])),
                "out of order",
            ),
            (
                history(json!([entered.clone(), end.clone()])),
                "starts at event 2",
            ),
            (
                history(json!([started(1), {"id": 2, "type": "Nope"}])),
                "'Nope' is not",
            ),
            (
                json!({"events": [started(1)], "nextToken": "x"}),
                "more pages",
            ),
        ];
        for (doc, want) in cases {
            let e = read(&doc).unwrap_err();
            assert!(e.message.contains(want), "{doc}: {e:?}");
        }
    }
}
