//! History events in the shape of `GetExecutionHistory`.

use crate::asl::json::to_compact;
use crate::asl::timestamp::format_millis;
use crate::asl::value::Val;
use serde_json::{Map, Value};

/// A detail field. Payloads stay as values until export, where AWS writes them
/// as JSON strings.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Str(String),
    Payload(Val),
    /// A state name (shared with the definition).
    Name(std::sync::Arc<str>),
    Int(i64),
    /// Rare (assigned variables): boxed, so every detail stays small.
    Json(Box<Value>),
}

/// AWS follows every `input` and `output` payload with `inputDetails` /
/// `outputDetails` (`{"truncated": false}`: payloads are never cut
/// locally); the export writes it, the history does not store it.
fn details_of(key: &str) -> Option<&'static str> {
    match key {
        "input" => Some("inputDetails"),
        "output" => Some("outputDetails"),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp_ms: i64,
    pub event_type: super::EventType,
    pub details: Vec<(&'static str, Field)>,
    /// The frame path (branch / iteration indexes) that produced the event.
    pub frame: Vec<usize>,
    /// The state the event belongs to, if any.
    pub state: Option<std::sync::Arc<str>>,
}

/// `events` in `GetExecutionHistory` shape (`{"events": [...]}`), as
/// `--save-history`, replay and the classroom's records write it.
pub fn export(events: &[Event]) -> Value {
    let list: Vec<Value> = events.iter().map(Event::to_json).collect();
    let mut m = Map::new();
    m.insert("events".into(), Value::Array(list));
    Value::Object(m)
}

/// The states a history entered, in order, each with its branch or
/// iteration (`Check[1]`): the path `run` prints.
pub fn states_entered(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event_type.as_str().ends_with("StateEntered"))
        .map(|e| {
            let name = e.state.as_deref().unwrap_or_default();
            format!("{name}{}", path_label(&e.frame))
        })
        .collect()
}

/// A branch/iteration path as the debugger shows it: `[1.0]` (Map
/// iteration 1, its Parallel's branch 0); empty for the main flow.
pub fn path_label(path: &[usize]) -> String {
    if path.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = path.iter().map(|i| i.to_string()).collect();
    format!("[{}]", parts.join("."))
}

fn details_key(t: &str) -> String {
    let mut key = match t {
        t if t.ends_with("StateEntered") => "stateEntered".to_string(),
        t if t.ends_with("StateExited") => "stateExited".to_string(),
        t => {
            let mut c = t.chars();
            let first = c.next().map(|f| f.to_ascii_lowercase()).unwrap_or_default();
            format!("{first}{}", c.as_str())
        }
    };
    key.push_str("EventDetails");
    key
}

impl Event {
    /// The event as AWS's JSON (payloads as compact strings).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(self.id));
        m.insert(
            "previousEventId".into(),
            Value::from(self.previous_event_id),
        );
        m.insert(
            "timestamp".into(),
            Value::String(format_millis(self.timestamp_ms)),
        );
        m.insert(
            "type".into(),
            Value::String(self.event_type.as_str().to_string()),
        );
        if !self.details.is_empty() || needs_empty_details(self.event_type.as_str()) {
            let mut d = Map::new();
            for (k, f) in &self.details {
                let v = match f {
                    Field::Str(s) => Value::String(s.clone()),
                    Field::Payload(p) => Value::String(to_compact(p)),
                    Field::Name(n) => Value::String(n.to_string()),
                    Field::Int(i) => Value::from(*i),
                    Field::Json(v) => (**v).clone(),
                };
                d.insert((*k).to_string(), v);
                if let (Field::Payload(_), Some(dk)) = (f, details_of(k)) {
                    d.insert(dk.into(), serde_json::json!({"truncated": false}));
                }
            }
            m.insert(details_key(self.event_type.as_str()), Value::Object(d));
        }
        Value::Object(m)
    }

    /// The event for reading: as [`Event::to_json`], but payloads (and text
    /// fields holding a JSON object or array, such as task parameters or a
    /// Lambda error's cause) are JSON values, not escaped strings; the
    /// branch/iteration path is added as `"frame"` when there is one.
    pub fn to_readable(&self) -> Val {
        let mut m = crate::asl::value::Map::default();
        m.insert("id".into(), num(self.id as i64));
        m.insert("previousEventId".into(), num(self.previous_event_id as i64));
        m.insert(
            "timestamp".into(),
            Val::str(format_millis(self.timestamp_ms)),
        );
        m.insert("type".into(), Val::str(self.event_type.as_str()));
        if !self.frame.is_empty() {
            m.insert("frame".into(), Val::str(path_label(&self.frame)));
        }
        if !self.details.is_empty() {
            let mut d = crate::asl::value::Map::default();
            for (k, f) in &self.details {
                let v = match f {
                    Field::Str(s) => {
                        let t = s.trim_start();
                        match (t.starts_with('{') || t.starts_with('['))
                            .then(|| Val::parse(s).ok())
                            .flatten()
                        {
                            Some(v) => v,
                            None => Val::str(s.as_str()),
                        }
                    }
                    Field::Payload(p) => p.clone(),
                    Field::Name(n) => Val::str(n.clone()),
                    Field::Int(i) => num(*i),
                    Field::Json(v) => Val::from(&**v),
                };
                d.insert((*k).to_string(), v);
                if let (Field::Payload(_), Some(dk)) = (f, details_of(k)) {
                    d.insert(dk.into(), Val::object([("truncated", Val::Bool(false))]));
                }
            }
            m.insert(details_key(self.event_type.as_str()), Val::obj(d));
        }
        Val::obj(m)
    }

    pub fn detail(&self, key: &str) -> Option<&Field> {
        self.details.iter().find(|(k, _)| *k == key).map(|(_, f)| f)
    }
}

fn needs_empty_details(_t: &str) -> bool {
    false
}

fn num(i: i64) -> Val {
    crate::asl::json::num_i64(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readable_events_hold_payloads_as_json() {
        let e = Event {
            id: 3,
            previous_event_id: 2,
            timestamp_ms: 0,
            event_type: crate::engine::EventType::TaskScheduled,
            details: vec![
                ("parameters", Field::Str(r#"{"FunctionName":"f"}"#.into())),
                ("resource", Field::Str("invoke".into())),
                ("output", Field::Payload(Val::from(json!({"a": [1]})))),
            ],
            frame: vec![1, 0],
            state: None,
        };
        assert_eq!(
            e.to_readable().to_json(),
            json!({"id": 3, "previousEventId": 2, "timestamp": format_millis(0),
                   "type": "TaskScheduled", "frame": "[1.0]",
                   "taskScheduledEventDetails": {"parameters": {"FunctionName": "f"},
                        "resource": "invoke", "output": {"a": [1]},
                        "outputDetails": {"truncated": false}}})
        );
    }

    #[test]
    fn path_labels() {
        assert_eq!(path_label(&[]), "");
        assert_eq!(path_label(&[2]), "[2]");
        assert_eq!(path_label(&[1, 0]), "[1.0]");
    }

    #[test]
    fn exported_shape() {
        let e = Event {
            id: 2,
            previous_event_id: 1,
            timestamp_ms: 0,
            event_type: crate::engine::EventType::PassStateEntered,
            details: vec![
                ("name", Field::Str("A".into())),
                ("input", Field::Payload(Val::from(json!({"a": 1})))),
            ],
            frame: vec![],
            state: Some("A".into()),
        };
        assert_eq!(
            e.to_json(),
            json!({"id": 2, "previousEventId": 1, "timestamp": "1970-01-01T00:00:00.000Z", "type": "PassStateEntered",
                   "stateEnteredEventDetails": {"name": "A", "input": "{\"a\":1}", "inputDetails": {"truncated": false}}})
        );
        assert_eq!(
            details_key("MapIterationStarted"),
            "mapIterationStartedEventDetails"
        );
    }
}
