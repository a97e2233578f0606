//! Task runners: what answers a Task state. The engine asks a [`TaskRunner`];
//! the mock runner reads AWS Step Functions Local's MockConfigFile format.

use crate::asl::value::Val;
use crate::asl::LoadError;
use std::collections::HashMap;

mod command;
mod s3;

pub use command::{
    kill_commands_on_signals, Background, CommandRunner, MAX_CAUSE_BYTES, MAX_RESULT_BYTES,
};
pub use s3::{LocalS3, MAX_LISTED_ENTRIES, MAX_OBJECT_BYTES};

/// What a Task state asks of its runner.
#[derive(Debug, Clone)]
pub struct TaskRequest<'a> {
    pub state: &'a str,
    pub resource: &'a str,
    pub input: &'a Val,
    /// 0 for the first call of this state in the execution, then 1, 2, …
    pub invocation: u64,
    pub task_token: Option<&'a str>,
    /// The Task's `TimeoutSeconds` / `HeartbeatSeconds`, evaluated (a runner
    /// that does real work holds the task to them).
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    Succeeded(Val),
    /// The task failed; `None`: the failure named no error / gave no cause
    /// (a callback's SendTaskFailure may leave out both).
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// The task timed out (`heartbeat`: a heartbeat was missed).
    TimedOut {
        heartbeat: bool,
    },
    /// No answer yet: the debugger must supply one (interactive tasks).
    Pending,
}

impl TaskOutcome {
    /// A failure with an error name and a cause.
    pub fn failed(error: impl Into<String>, cause: impl Into<String>) -> TaskOutcome {
        TaskOutcome::Failed {
            error: Some(error.into()),
            cause: Some(cause.into()),
        }
    }
}

pub trait TaskRunner {
    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome;

    /// Whether this runner has an answer for `state` (an interactive front end
    /// asks the user for the others).
    fn knows(&self, _req: &TaskRequest) -> bool {
        true
    }

    /// A copy that answers the rest of the run as this one would from
    /// here (for the debugger's snapshots); None when it cannot be copied
    /// (a command running in the background), and going back then replays
    /// the run from its start.
    fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
        None
    }

    /// While `on`, the debugger replays a stretch of the run it has already
    /// seen, whose answers it gives itself: a runner with side effects (a
    /// command started in the background) starts nothing and leaves the
    /// task pending. Runners that wrap another pass it on.
    fn hold(&mut self, _on: bool) {}
}

/// Answers from `inner` where it can, and leaves the other tasks pending so
/// that the debugger asks the user.
pub struct Interactive {
    pub inner: Box<dyn TaskRunner>,
}

impl TaskRunner for Interactive {
    fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
        Some(Box::new(Interactive {
            inner: self.inner.snapshot()?,
        }))
    }

    fn hold(&mut self, on: bool) {
        self.inner.hold(on);
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        if self.inner.knows(req) {
            self.inner.invoke(req)
        } else {
            TaskOutcome::Pending
        }
    }
}

/// A read `--s3-dir` can serve (a Distributed Map's ItemReader, mostly).
fn is_item_reader(req: &TaskRequest) -> bool {
    matches!(
        req.resource,
        "arn:aws:states:::s3:getObject" | "arn:aws:states:::s3:listObjectsV2"
    )
}

/// Answers every task with an error saying it has no mock.
pub struct NoRunner;

impl TaskRunner for NoRunner {
    fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
        Some(Box::new(NoRunner))
    }

    fn knows(&self, _req: &TaskRequest) -> bool {
        false
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        if is_item_reader(req) {
            return TaskOutcome::failed("States.Runtime", format!(
                "Nothing answers the S3 read of '{}' (resource {}): for a Map's ItemReader, pass --s3-dir DIR (it reads DIR/<Bucket>/<Key>) or mock '{}' with the items; else pass --mocks FILE --test-case NAME",
                req.state, req.resource, req.state
            ));
        }
        TaskOutcome::failed("States.Runtime", format!(
                "No mock for Task state '{}' (resource {}): pass --mocks FILE --test-case NAME, or answer it in the debugger",
                req.state, req.resource
            ))
    }
}

/// Asks `first` where it has an answer, else `then`.
pub struct Chain {
    pub first: Box<dyn TaskRunner>,
    pub then: Box<dyn TaskRunner>,
}

impl TaskRunner for Chain {
    fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
        Some(Box::new(Chain {
            first: self.first.snapshot()?,
            then: self.then.snapshot()?,
        }))
    }

    fn hold(&mut self, on: bool) {
        self.first.hold(on);
        self.then.hold(on);
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        if self.first.knows(req) {
            self.first.invoke(req)
        } else {
            self.then.invoke(req)
        }
    }

    fn knows(&self, req: &TaskRequest) -> bool {
        self.first.knows(req) || self.then.knows(req)
    }
}

/// A [`TaskRequest`] that owns its parts (for a runner on another thread).
pub(crate) struct OwnedRequest {
    state: String,
    resource: String,
    input: Val,
    token: Option<String>,
    invocation: u64,
    timeout_seconds: Option<u64>,
    heartbeat_seconds: Option<u64>,
}

impl OwnedRequest {
    pub(crate) fn of(req: &TaskRequest) -> OwnedRequest {
        OwnedRequest {
            state: req.state.to_string(),
            resource: req.resource.to_string(),
            input: req.input.clone(),
            token: req.task_token.map(str::to_string),
            invocation: req.invocation,
            timeout_seconds: req.timeout_seconds,
            heartbeat_seconds: req.heartbeat_seconds,
        }
    }

    pub(crate) fn borrow(&self) -> TaskRequest<'_> {
        TaskRequest {
            state: &self.state,
            resource: &self.resource,
            input: &self.input,
            invocation: self.invocation,
            task_token: self.token.as_deref(),
            timeout_seconds: self.timeout_seconds,
            heartbeat_seconds: self.heartbeat_seconds,
        }
    }
}

#[derive(Debug, Clone)]
enum Answer {
    Return(Val),
    Throw(String, String),
}

/// Step Functions Local's MockConfigFile, resolved for one test case.
#[derive(Debug, Clone)]
pub struct MockRunner {
    /// state name -> ordered (from, to, answer) ranges
    states: HashMap<String, Vec<(u64, u64, Answer)>>,
    calls: HashMap<String, u64>,
    pub test_case: String,
    /// Where the answers come from: the file and its machine (for the
    /// message when a state has none).
    file: String,
    machine: String,
}

impl MockRunner {
    /// Resolve `machine` (or the file's only state machine) and `test_case`.
    pub fn from_value(
        v: &serde_json::Value,
        file: &str,
        machine: Option<&str>,
        test_case: &str,
    ) -> Result<MockRunner, LoadError> {
        let err = |pointer: String, message: String| LoadError {
            file: file.into(),
            pointer,
            line: 1,
            column: 1,
            message,
            expr: None,
        };
        let machines = v
            .get("StateMachines")
            .and_then(|m| m.as_object())
            .ok_or_else(|| {
                err(
                    "/StateMachines".into(),
                    "a mock file needs a StateMachines object".into(),
                )
            })?;
        let (name, sm) = match machine {
            Some(n) => (
                n.to_string(),
                machines.get(n).ok_or_else(|| {
                    err(
                        "/StateMachines".into(),
                        format!("no state machine '{n}' in the mock file"),
                    )
                })?,
            ),
            None if machines.len() == 1 => {
                let (k, v) = machines.iter().next().unwrap();
                (k.clone(), v)
            }
            None => {
                return Err(err(
                    "/StateMachines".into(),
                    format!(
                        "the mock file has {} state machines; choose one with --name",
                        machines.len()
                    ),
                ))
            }
        };
        let cases = sm
            .get("TestCases")
            .and_then(|c| c.as_object())
            .ok_or_else(|| {
                err(
                    format!("/StateMachines/{name}/TestCases"),
                    "a state machine needs a TestCases object".into(),
                )
            })?;
        let case = cases
            .get(test_case)
            .and_then(|c| c.as_object())
            .ok_or_else(|| {
                let known: Vec<&String> = cases.keys().collect();
                err(
                    format!("/StateMachines/{name}/TestCases"),
                    format!("no test case '{test_case}' (known: {known:?})"),
                )
            })?;
        let responses = v.get("MockedResponses").and_then(|m| m.as_object());
        let mut states = HashMap::new();
        for (state, resp) in case {
            let rp = format!("/StateMachines/{name}/TestCases/{test_case}/{state}");
            let rname = resp.as_str().ok_or_else(|| {
                err(
                    rp.clone(),
                    "a test case maps a state to a response name".into(),
                )
            })?;
            let r = responses
                .and_then(|m| m.get(rname))
                .and_then(|r| r.as_object())
                .ok_or_else(|| err(rp.clone(), format!("no MockedResponses entry '{rname}'")))?;
            let mut ranges = Vec::new();
            for (k, a) in r {
                let ap = format!("/MockedResponses/{rname}/{k}");
                let (from, to) = match k.split_once('-') {
                    Some((a, b)) => (a.trim().parse::<u64>().ok(), b.trim().parse::<u64>().ok()),
                    None => (k.trim().parse().ok(), k.trim().parse().ok()),
                };
                let (Some(from), Some(to)) = (from, to) else {
                    return Err(err(
                        ap,
                        format!("'{k}' is not an invocation number or range like \"1-3\""),
                    ));
                };
                if from > to {
                    return Err(err(ap, format!("the range '{k}' ends before it starts")));
                }
                let answer = match (a.get("Return"), a.get("Throw")) {
                    (Some(r), None) => Answer::Return(Val::from(r)),
                    (None, Some(t)) => {
                        let e = t.get("Error").and_then(|e| e.as_str());
                        let c = t.get("Cause").and_then(|e| e.as_str());
                        match (e, c) {
                            (Some(e), c) => Answer::Throw(e.into(), c.unwrap_or_default().into()),
                            _ => {
                                return Err(err(
                                    format!("{ap}/Throw"),
                                    "Throw needs an Error string".into(),
                                ))
                            }
                        }
                    }
                    _ => {
                        return Err(err(
                            ap,
                            "each response needs exactly one of Return or Throw".into(),
                        ))
                    }
                };
                ranges.push((from, to, answer));
            }
            states.insert(state.clone(), ranges);
        }
        Ok(MockRunner {
            states,
            calls: HashMap::new(),
            test_case: test_case.to_string(),
            file: file.to_string(),
            machine: name,
        })
    }
}

impl TaskRunner for MockRunner {
    fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
        Some(Box::new(self.clone()))
    }

    fn knows(&self, req: &TaskRequest) -> bool {
        self.states.contains_key(req.state)
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        let n = self.calls.entry(req.state.to_string()).or_insert(0);
        let k = *n;
        *n += 1;
        let Some(ranges) = self.states.get(req.state) else {
            // What was looked for, and what the file has.
            let mut mocked: Vec<&str> = self.states.keys().map(String::as_str).collect();
            mocked.sort();
            return TaskOutcome::failed(
                "States.Runtime",
                format!(
                    "No mock for Task state '{}' (resource {}) in test case '{}' of machine '{}' \
                     in {}: it mocks {} (`asldbg mocks check` says which names are wrong)",
                    req.state,
                    req.resource,
                    self.test_case,
                    self.machine,
                    self.file,
                    if mocked.is_empty() {
                        "no state".to_string()
                    } else {
                        mocked
                            .iter()
                            .map(|m| format!("'{m}'"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            );
        };
        match ranges
            .iter()
            .find(|(a, b, _)| (*a..=*b).contains(&k))
            .or_else(|| ranges.iter().max_by_key(|r| r.1))
        {
            Some((_, _, Answer::Return(v))) => TaskOutcome::Succeeded(v.clone()),
            Some((_, _, Answer::Throw(e, c))) => TaskOutcome::failed(e.clone(), c.clone()),
            None => NoRunner.invoke(req),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ranges_and_throws() {
        let f = json!({
            "StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}},
            "MockedResponses": {"R": {"0-1": {"Throw": {"Error": "E", "Cause": "c"}}, "2": {"Return": {"ok": 1}}}}
        });
        let mut r = MockRunner::from_value(&f, "m.json", None, "T").unwrap();
        let req = TaskRequest {
            state: "S",
            resource: "x",
            input: &Val::Null,
            invocation: 0,
            task_token: None,
            timeout_seconds: None,
            heartbeat_seconds: None,
        };
        assert!(matches!(r.invoke(&req), TaskOutcome::Failed { .. }));
        assert!(matches!(r.invoke(&req), TaskOutcome::Failed { .. }));
        assert_eq!(
            r.invoke(&req),
            TaskOutcome::Succeeded(Val::from(json!({"ok": 1})))
        );
        let other = TaskRequest {
            state: "Other",
            ..req
        };
        assert!(
            matches!(r.invoke(&other), TaskOutcome::Failed { error, .. } if error.as_deref() == Some("States.Runtime"))
        );
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        assert!(MockRunner::from_value(&json!({}), "m.json", None, "T").is_err());
        let f = json!({"StateMachines": {"M": {"TestCases": {"T": {"S": "Nope"}}}}, "MockedResponses": {}});
        let e = MockRunner::from_value(&f, "m.json", None, "T").unwrap_err();
        assert!(e.message.contains("Nope"));
        assert!(MockRunner::from_value(&f, "m.json", None, "Missing").is_err());
        let backwards = json!({"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}},
            "MockedResponses": {"R": {"999999999-0": {"Return": 1}}}});
        let e = MockRunner::from_value(&backwards, "m.json", None, "T").unwrap_err();
        assert!(e.message.contains("ends before it starts"), "{e:?}");
        assert_eq!(e.pointer, "/MockedResponses/R/999999999-0");
    }
}
