//! Task runners: what answers a Task state. The engine asks a [`TaskRunner`];
//! the mock runner reads AWS Step Functions Local's MockConfigFile format.

use crate::asl::value::Val;
use crate::asl::LoadError;
use std::collections::HashMap;

/// What a Task state asks of its runner.
#[derive(Debug, Clone)]
pub struct TaskRequest<'a> {
    pub state: &'a str,
    pub resource: &'a str,
    pub input: &'a Val,
    /// 0 for the first call of this state in the execution, then 1, 2, …
    pub invocation: u64,
    pub task_token: Option<&'a str>,
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
}

/// Answers from `inner` where it can, and leaves the other tasks pending so
/// that the debugger asks the user.
pub struct Interactive {
    pub inner: Box<dyn TaskRunner>,
}

impl TaskRunner for Interactive {
    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        if self.inner.knows(req) {
            self.inner.invoke(req)
        } else {
            TaskOutcome::Pending
        }
    }
}

/// Answers every task with an error saying it has no mock.
pub struct NoRunner;

impl TaskRunner for NoRunner {
    fn knows(&self, _req: &TaskRequest) -> bool {
        false
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        TaskOutcome::failed("States.Runtime", format!(
                "No mock for Task state '{}' (resource {}): pass --mocks FILE --test-case NAME, or answer it in the debugger",
                req.state, req.resource
            ))
    }
}

/// Serves a Distributed Map's `ItemReader` (`s3:getObject`, `s3:listObjectsV2`)
/// from a local folder laid out as `ROOT/<Bucket>/<Key>`; every other task
/// goes to the inner runner.
pub struct LocalS3 {
    pub root: std::path::PathBuf,
    pub inner: Box<dyn TaskRunner>,
}

impl TaskRunner for LocalS3 {
    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        let get = |k: &str| {
            req.input
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let no_such = |what: String| {
            TaskOutcome::failed(
                "States.ItemReaderFailed",
                format!("{what} (looked under {})", self.root.display()),
            )
        };
        if req.resource.ends_with(":s3:getObject") {
            let path = self.root.join(get("Bucket")).join(get("Key"));
            return match std::fs::read_to_string(&path) {
                Ok(text) => TaskOutcome::Succeeded(Val::str(text)),
                Err(e) => no_such(format!("cannot read {}: {e}", path.display())),
            };
        }
        if req.resource.ends_with(":s3:listObjectsV2") {
            let bucket = self.root.join(get("Bucket"));
            let prefix = get("Prefix");
            let mut keys = Vec::new();
            let mut todo = vec![bucket.clone()];
            while let Some(dir) = todo.pop() {
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    return no_such(format!("cannot list {}", dir.display()));
                };
                for e in rd.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        todo.push(p);
                    } else if let Ok(rel) = p.strip_prefix(&bucket) {
                        let key = rel.to_string_lossy().replace('\\', "/");
                        if key.starts_with(&prefix) {
                            let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                            keys.push((key, size));
                        }
                    }
                }
            }
            keys.sort();
            let items = keys
                .into_iter()
                .map(|(k, size)| Val::object([("Key", Val::from(k)), ("Size", Val::from(size))]))
                .collect();
            return TaskOutcome::Succeeded(Val::arr(items));
        }
        self.inner.invoke(req)
    }

    fn knows(&self, req: &TaskRequest) -> bool {
        req.resource.ends_with(":s3:getObject")
            || req.resource.ends_with(":s3:listObjectsV2")
            || self.inner.knows(req)
    }
}

/// Answers tasks by running a local command: the request goes to its
/// standard input as JSON (`{"state", "resource", "input", "taskToken"}`),
/// and what it prints is the result. A non-zero exit is a task failure
/// (`{"Error", "Cause"}` on standard output names it); output that is not
/// JSON fails the task with the position of the problem.
#[derive(Debug, Clone)]
pub struct CommandRunner {
    pub command: String,
}

impl CommandRunner {
    pub fn run(command: &str, req: &TaskRequest) -> TaskOutcome {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let payload = Val::object([
            ("state", Val::from(req.state)),
            ("resource", Val::from(req.resource)),
            ("input", req.input.clone()),
            (
                "taskToken",
                req.task_token.map(Val::from).unwrap_or_default(),
            ),
        ]);
        let child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .env("ASLDBG_STATE", req.state)
            .env("ASLDBG_RESOURCE", req.resource)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                return TaskOutcome::failed(
                    "Command.StartFailed",
                    format!("cannot run `{command}`: {e}"),
                )
            }
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(payload.to_compact().as_bytes());
        }
        let out = match child.wait_with_output() {
            Ok(o) => o,
            Err(e) => return TaskOutcome::failed("Command.Failed", format!("`{command}`: {e}")),
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let parsed = serde_json::from_str::<serde_json::Value>(stdout.trim());
        if !out.status.success() {
            let (error, cause) = match &parsed {
                Ok(v) if v.get("Error").is_some() => (
                    v.get("Error")
                        .and_then(|e| e.as_str())
                        .unwrap_or("Command.Failed")
                        .to_string(),
                    v.get("Cause")
                        .and_then(|e| e.as_str())
                        .unwrap_or("")
                        .to_string(),
                ),
                _ => (
                    "Command.Failed".to_string(),
                    format!(
                        "`{command}` exited with {}: {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                ),
            };
            return TaskOutcome::failed(error, cause);
        }
        match parsed {
            Ok(v) => TaskOutcome::Succeeded(Val::from(v)),
            Err(e) => TaskOutcome::failed(
                "Command.InvalidOutput",
                format!(
                    "`{command}` printed output that is not JSON: stdout:{}:{}: {e}",
                    e.line(),
                    e.column()
                ),
            ),
        }
    }
}

impl TaskRunner for CommandRunner {
    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        CommandRunner::run(&self.command, req)
    }
}

/// Asks `first` where it has an answer, else `then`.
pub struct Chain {
    pub first: Box<dyn TaskRunner>,
    pub then: Box<dyn TaskRunner>,
}

impl TaskRunner for Chain {
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

/// A task command running on its own thread, so that a front end keeps
/// drawing: the task waits (Pending) until the answer lands in `slot`.
#[derive(Clone, Default)]
pub struct Background {
    pub command: String,
    pub slot: std::sync::Arc<std::sync::Mutex<Option<TaskOutcome>>>,
    pub busy: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl TaskRunner for Background {
    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        use std::sync::atomic::Ordering;
        let command = self.command.clone();
        let slot = self.slot.clone();
        let busy = self.busy.clone();
        let req = OwnedRequest {
            state: req.state.to_string(),
            resource: req.resource.to_string(),
            input: req.input.clone(),
            token: req.task_token.map(str::to_string),
        };
        busy.store(true, Ordering::SeqCst);
        std::thread::spawn(move || {
            let r = TaskRequest {
                state: &req.state,
                resource: &req.resource,
                input: &req.input,
                invocation: 0,
                task_token: req.token.as_deref(),
            };
            let outcome = CommandRunner::run(&command, &r);
            if let Ok(mut s) = slot.lock() {
                *s = Some(outcome);
            }
            busy.store(false, Ordering::SeqCst);
        });
        TaskOutcome::Pending
    }
}

struct OwnedRequest {
    state: String,
    resource: String,
    input: Val,
    token: Option<String>,
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
        })
    }
}

impl TaskRunner for MockRunner {
    fn knows(&self, req: &TaskRequest) -> bool {
        self.states.contains_key(req.state)
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        let n = self.calls.entry(req.state.to_string()).or_insert(0);
        let k = *n;
        *n += 1;
        let Some(ranges) = self.states.get(req.state) else {
            return NoRunner.invoke(req);
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
    fn local_s3_reads_bucket_folders() {
        let root = std::env::temp_dir().join(format!("asldbg-s3-{}", std::process::id()));
        std::fs::create_dir_all(root.join("b/data")).unwrap();
        std::fs::write(root.join("b/data/items.csv"), "a,b\n1,2\n").unwrap();
        let mut r = LocalS3 {
            root: root.clone(),
            inner: Box::new(NoRunner),
        };
        let params = Val::from(json!({"Bucket": "b", "Key": "data/items.csv"}));
        let get = TaskRequest {
            state: "M",
            resource: "arn:aws:states:::s3:getObject",
            input: &params,
            invocation: 0,
            task_token: None,
        };
        assert_eq!(
            r.invoke(&get),
            TaskOutcome::Succeeded(Val::from("a,b\n1,2\n"))
        );
        let params = Val::from(json!({"Bucket": "b", "Prefix": "data/"}));
        let list = TaskRequest {
            resource: "arn:aws:states:::s3:listObjectsV2",
            input: &params,
            ..get.clone()
        };
        assert_eq!(
            r.invoke(&list),
            TaskOutcome::Succeeded(Val::from(json!([{"Key": "data/items.csv", "Size": 8}])))
        );
        let params = Val::from(json!({"Bucket": "b", "Key": "nope"}));
        let missing = TaskRequest {
            input: &params,
            ..get
        };
        assert!(
            matches!(r.invoke(&missing), TaskOutcome::Failed { error, .. } if error.as_deref() == Some("States.ItemReaderFailed"))
        );
        std::fs::remove_dir_all(root).ok();
    }

    #[test]
    fn task_commands_answer_with_json_or_fail_clearly() {
        let input = Val::from(json!({"n": 2}));
        let req = TaskRequest {
            state: "S",
            resource: "r",
            input: &input,
            invocation: 0,
            task_token: None,
        };
        let ok = CommandRunner::run("python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({\"double\": d[\"input\"][\"n\"] * 2}))'", &req);
        assert_eq!(ok, TaskOutcome::Succeeded(Val::from(json!({"double": 4}))));
        let bad = CommandRunner::run("echo 'not json'", &req);
        assert!(
            matches!(&bad, TaskOutcome::Failed { error: Some(error), cause: Some(cause) } if error == "Command.InvalidOutput" && cause.contains("stdout:1:")),
            "{bad:?}"
        );
        let failed = CommandRunner::run(
            "echo '{\"Error\": \"My.Error\", \"Cause\": \"because\"}'; exit 3",
            &req,
        );
        assert_eq!(failed, TaskOutcome::failed("My.Error", "because"));
        let mut chain = Chain {
            first: Box::new(NoRunner),
            then: Box::new(CommandRunner {
                command: "echo 1".into(),
            }),
        };
        assert_eq!(
            chain.invoke(&req),
            TaskOutcome::Succeeded(Val::from(json!(1)))
        );
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        assert!(MockRunner::from_value(&json!({}), "m.json", None, "T").is_err());
        let f = json!({"StateMachines": {"M": {"TestCases": {"T": {"S": "Nope"}}}}, "MockedResponses": {}});
        let e = MockRunner::from_value(&f, "m.json", None, "T").unwrap_err();
        assert!(e.message.contains("Nope"));
        assert!(MockRunner::from_value(&f, "m.json", None, "Missing").is_err());
    }
}
