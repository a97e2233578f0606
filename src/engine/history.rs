//! History events in the shape of `GetExecutionHistory`.

use crate::asl::json::to_compact;
use crate::asl::timestamp::format_millis;
use crate::asl::value::Val;
use serde_json::{Map, Value};

/// A detail field. Payloads stay as values until export, where AWS writes them
/// as JSON strings.
#[derive(Debug, Clone)]
pub enum Field {
    Str(String),
    Payload(Val),
    /// A state name (shared with the definition).
    Name(std::sync::Arc<str>),
    /// `{"truncated": false}`: payloads are never cut locally.
    NotTruncated,
    Int(i64),
    Json(Value),
}

#[derive(Debug, Clone)]
pub struct Event {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp_ms: i64,
    pub event_type: &'static str,
    pub details: Vec<(&'static str, Field)>,
    /// The frame path (branch / iteration indexes) that produced the event.
    pub frame: Vec<usize>,
    /// The state the event belongs to, if any.
    pub state: Option<std::sync::Arc<str>>,
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
        m.insert("type".into(), Value::String(self.event_type.to_string()));
        if !self.details.is_empty() || needs_empty_details(self.event_type) {
            let mut d = Map::new();
            for (k, f) in &self.details {
                let v = match f {
                    Field::Str(s) => Value::String(s.clone()),
                    Field::Payload(p) => Value::String(to_compact(p)),
                    Field::Name(n) => Value::String(n.to_string()),
                    Field::NotTruncated => serde_json::json!({"truncated": false}),
                    Field::Int(i) => Value::from(*i),
                    Field::Json(v) => v.clone(),
                };
                d.insert((*k).to_string(), v);
            }
            m.insert(details_key(self.event_type), Value::Object(d));
        }
        Value::Object(m)
    }

    pub fn detail(&self, key: &str) -> Option<&Field> {
        self.details.iter().find(|(k, _)| *k == key).map(|(_, f)| f)
    }
}

fn needs_empty_details(_t: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
            event_type: "PassStateEntered",
            details: vec![
                ("name", Field::Str("A".into())),
                ("input", Field::Payload(Val::from(json!({"a": 1})))),
                ("inputDetails", Field::Json(json!({"truncated": false}))),
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
