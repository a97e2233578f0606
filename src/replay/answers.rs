//! Tasks answered from a recording: each Task state's recorded service
//! calls, taken in order per state (a Map's iterations and a Parallel's
//! branches may ask in another order: a call made with the same input is
//! taken first).

use super::recording::Recording;
use crate::asl::json::value_eq;
use crate::asl::value::Val;
use crate::engine::task::{TaskOutcome, TaskRequest, TaskRunner};
use crate::engine::EventType;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Answers tasks from recorded service calls, in order per state.
#[derive(Clone)]
pub struct Answers {
    queues: BTreeMap<String, Vec<Value>>,
    /// The last call answered for each state.
    last: BTreeMap<String, Value>,
}

impl Answers {
    pub fn new(queues: BTreeMap<String, Vec<Value>>) -> Answers {
        Answers {
            queues,
            last: BTreeMap::new(),
        }
    }

    /// The recorded call that answers `req`: the state's own call made with
    /// the same input (iterations may have run in another order), else one
    /// of another state's made with the same resource and input (a recorder
    /// that reordered Parallel branches can file a call under the wrong
    /// state), else the state's next call.
    fn take(&mut self, req: &TaskRequest) -> Option<Value> {
        let input = req.input.to_json();
        let same_input = |m: &Value| {
            m.get("input")
                .or_else(|| m.get("parameters"))
                .is_some_and(|i| value_eq(i, &input))
        };
        if let Some(q) = self.queues.get_mut(req.state) {
            if let Some(i) = q.iter().position(same_input) {
                return Some(q.remove(i));
            }
        }
        let same_resource = |m: &Value| {
            m.get("resource")
                .and_then(|r| r.as_str())
                .is_some_and(|r| !r.is_empty() && req.resource.ends_with(r))
        };
        for q in self.queues.values_mut() {
            if let Some(i) = q.iter().position(|m| same_resource(m) && same_input(m)) {
                return Some(q.remove(i));
            }
        }
        let q = self.queues.get_mut(req.state)?;
        (!q.is_empty()).then(|| q.remove(0))
    }
}

impl TaskRunner for Answers {
    fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
        Some(Box::new(self.clone()))
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        let Some(mut m) = self.take(req) else {
            return TaskOutcome::failed(
                "States.Runtime",
                format!(
                    "the recording has no call of Task '{}' left to answer this one with (the local run has taken another path, or called it more often)",
                    req.state
                ),
            );
        };
        // A call whose outcome the recording lost (its events were
        // reordered) repeats the state's previous answer, as Step Functions
        // Local's mocks repeat their last response.
        if m.get("outcome").is_none_or(|o| o.is_null()) {
            if let Some(prev) = self.last.get(req.state) {
                m = prev.clone();
            }
        }
        self.last.insert(req.state.to_string(), m.clone());
        match m.get("outcome").and_then(|o| o.as_str()) {
            Some("succeeded") => {
                TaskOutcome::Succeeded(Val::from(m.get("output").cloned().unwrap_or(Value::Null)))
            }
            Some("timed_out") => TaskOutcome::TimedOut {
                heartbeat: m.get("error").and_then(|e| e.as_str())
                    == Some("States.HeartbeatTimeout"),
            },
            // A failure recorded with no error name or cause (a callback's
            // SendTaskFailure may give neither) keeps them missing.
            _ => TaskOutcome::Failed {
                error: m.get("error").and_then(|e| e.as_str()).map(String::from),
                cause: m.get("cause").and_then(|e| e.as_str()).map(String::from),
            },
        }
    }
}

/// The calls of `rec` and then of its child executions (a Distributed
/// Map's), by state: `{kind, resource, input, outcome, output | error,
/// cause}` in the order they were scheduled.
pub fn calls(rec: &Recording) -> BTreeMap<String, Vec<Value>> {
    let mut out = own_calls(rec);
    for child in &rec.children {
        for (state, list) in calls(child) {
            out.entry(state).or_default().extend(list);
        }
    }
    out
}

/// The calls in `rec`'s own history.
fn own_calls(rec: &Recording) -> BTreeMap<String, Vec<Value>> {
    use EventType::*;
    let at = |id: u64| rec.by_id(id);
    // The state an event belongs to: the entered event its chain leads back to.
    let state_of = |mut id: u64| -> Option<String> {
        for _ in 0..rec.events.len() {
            let e = at(id)?;
            if e.event_type.as_str().ends_with("StateEntered") {
                return e.name().map(str::to_string);
            }
            id = e.previous;
        }
        None
    };
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    // Scheduled event id -> (state, index in its list)
    let mut open: BTreeMap<u64, (String, usize)> = BTreeMap::new();
    for e in &rec.events {
        let kind = match e.event_type {
            TaskScheduled => "task",
            LambdaFunctionScheduled => "lambda",
            ActivityScheduled => "activity",
            _ => continue,
        };
        // A history whose previousEventId links were lost (an export that
        // dropped them): the Task entered last before the call.
        let Some(state) = state_of(e.previous).or_else(|| {
            rec.events
                .iter()
                .take_while(|p| p.id < e.id)
                .filter(|p| p.event_type == TaskStateEntered)
                .last()
                .and_then(|p| p.name().map(str::to_string))
        }) else {
            continue;
        };
        let input = e
            .details
            .get("parameters")
            .or_else(|| e.details.get("input"))
            .cloned()
            .unwrap_or(Value::Null);
        let resource = e.text("resource").unwrap_or_default().to_string();
        let list = out.entry(state.clone()).or_default();
        list.push(json!({"kind": kind, "resource": resource, "input": input, "outcome": null}));
        open.insert(e.id, (state, list.len() - 1));
    }
    for e in &rec.events {
        let (outcome, failed) = match e.event_type {
            TaskSucceeded | LambdaFunctionSucceeded | ActivitySucceeded => ("succeeded", false),
            TaskTimedOut | LambdaFunctionTimedOut | ActivityTimedOut => ("timed_out", true),
            TaskFailed
            | TaskStartFailed
            | TaskSubmitFailed
            | LambdaFunctionFailed
            | LambdaFunctionStartFailed
            | ActivityFailed => ("failed", true),
            LambdaFunctionScheduleFailed | ActivityScheduleFailed => ("failed", true),
            _ => continue,
        };
        // Back to the call it answers (through Started, Submitted, …).
        let mut id = e.previous;
        let mut call = None;
        // The chain leads to an event the history left out (or none).
        let mut lost = id == 0;
        for _ in 0..rec.events.len() {
            if let Some(c) = open.get(&id) {
                call = Some(c.clone());
                break;
            }
            match at(id) {
                Some(p) if !p.event_type.as_str().ends_with("StateEntered") => id = p.previous,
                Some(_) => break,
                None => {
                    lost = true;
                    break;
                }
            }
        }
        // Links lost: the oldest call still unanswered.
        if call.is_none() && lost {
            call = open
                .iter()
                .filter(|(id, _)| **id < e.id)
                .map(|(_, c)| c.clone())
                .find(|(state, i)| {
                    out.get(state)
                        .and_then(|l| l.get(*i))
                        .is_some_and(|c| c.get("outcome").is_none_or(|o| o.is_null()))
                });
        }
        let slot = match call {
            Some((state, i)) => out.get_mut(&state).and_then(|l| l.get_mut(i)),
            // Refused before it was scheduled (LambdaFunctionScheduleFailed).
            None => match state_of(e.previous) {
                Some(state) => {
                    let list = out.entry(state).or_default();
                    list.push(json!({"kind": "task", "resource": "", "input": null}));
                    list.last_mut()
                }
                None => None,
            },
        };
        let Some(Value::Object(m)) = slot else {
            continue;
        };
        m.insert("outcome".into(), json!(outcome));
        if failed {
            m.insert(
                "error".into(),
                e.details.get("error").cloned().unwrap_or(Value::Null),
            );
            m.insert(
                "cause".into(),
                e.details.get("cause").cloned().unwrap_or(Value::Null),
            );
        } else {
            m.insert(
                "output".into(),
                e.details.get("output").cloned().unwrap_or(Value::Null),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_calls_are_found_by_input_and_lost_outcomes_repeat() {
        let call = |input: Value, outcome: Value| json!({"resource": "invoke", "parameters": input, "outcome": outcome, "output": {"for": input}, "error": "Boom", "cause": "c"});
        // Both calls filed under B (a reordered Parallel); A's has A's input.
        let mut queues = BTreeMap::new();
        queues.insert(
            "B".to_string(),
            vec![
                call(json!({"f": "a"}), json!("succeeded")),
                call(json!({"f": "b"}), json!("succeeded")),
            ],
        );
        queues.insert(
            "T".to_string(),
            vec![
                call(json!({}), json!("failed")),
                call(json!({}), Value::Null),
            ],
        );
        let mut r = Answers::new(queues);
        let ask = |r: &mut Answers, state: &str, input: Value| {
            let v = Val::from(input);
            r.invoke(&TaskRequest {
                state,
                resource: "arn:aws:states:::lambda:invoke",
                input: &v,
                invocation: 0,
                task_token: None,
                timeout_seconds: None,
                heartbeat_seconds: None,
            })
        };
        assert_eq!(
            ask(&mut r, "A", json!({"f": "a"})),
            TaskOutcome::Succeeded(Val::from(json!({"for": {"f": "a"}})))
        );
        assert_eq!(
            ask(&mut r, "B", json!({"f": "b"})),
            TaskOutcome::Succeeded(Val::from(json!({"for": {"f": "b"}})))
        );
        let failed = TaskOutcome::failed("Boom", "c");
        assert_eq!(ask(&mut r, "T", json!({})), failed);
        // The retry's outcome was not recorded: the previous answer repeats.
        assert_eq!(ask(&mut r, "T", json!({})), failed);
        assert!(
            matches!(ask(&mut r, "T", json!({})), TaskOutcome::Failed { error, .. } if error.as_deref() == Some("States.Runtime"))
        );
    }

    #[test]
    fn calls_are_read_from_a_history_by_their_chains() {
        let h = json!({"events": [
            {"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "executionStartedEventDetails": {"input": "{}"}},
            {"id": 2, "previousEventId": 0, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "T", "input": "{}"}},
            {"id": 3, "previousEventId": 2, "type": "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails": {"resource": "arn:aws:lambda:us-east-1:1:function:f", "input": "{\"n\":1}"}},
            {"id": 4, "previousEventId": 3, "type": "LambdaFunctionStarted"},
            {"id": 5, "previousEventId": 4, "type": "LambdaFunctionFailed", "lambdaFunctionFailedEventDetails": {"error": "E", "cause": "c"}},
            {"id": 6, "previousEventId": 5, "type": "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails": {"resource": "arn:aws:lambda:us-east-1:1:function:f", "input": "{\"n\":1}"}},
            {"id": 7, "previousEventId": 6, "type": "LambdaFunctionStarted"},
            {"id": 8, "previousEventId": 7, "type": "LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails": {"output": "{\"ok\":true}"}},
            {"id": 9, "previousEventId": 8, "type": "TaskStateExited", "stateExitedEventDetails": {"name": "T", "output": "{}"}},
            {"id": 10, "previousEventId": 9, "type": "ExecutionSucceeded", "executionSucceededEventDetails": {"output": "{}"}}
        ]});
        let rec = crate::replay::recording::read(&h).unwrap();
        let c = calls(&rec);
        let t = &c["T"];
        assert_eq!(t.len(), 2);
        assert_eq!(t[0]["outcome"], "failed");
        assert_eq!(t[0]["error"], "E");
        assert_eq!(t[0]["input"], json!({"n": 1}));
        assert_eq!(t[1]["outcome"], "succeeded");
        assert_eq!(t[1]["output"], json!({"ok": true}));
    }
}
