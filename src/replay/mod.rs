//! Replaying an execution recorded on AWS: the local run takes the recorded
//! input and start time, every Task is answered with what the recording says
//! it returned, and the two histories are compared until they first part.
//! This is how a production failure is reproduced, and how a fixed
//! definition is seen to change (or not) the path it takes.

pub mod answers;
pub mod compare;
pub mod diff;
pub mod recording;

use crate::asl::value::Val;
use crate::asl::Definition;
use crate::engine::{Execution, Options, Status};
pub use compare::{Divergence, StrHook};
pub use recording::{Recording, RecordingError};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// What a replay found.
#[derive(Debug)]
pub struct Report {
    pub status: Status,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// `None`: the local run reproduced every recorded event.
    pub divergence: Option<Divergence>,
    /// Events recorded, and made by the local run.
    pub recorded: usize,
    pub local: usize,
    /// Ids of events the history leaves out (`from..=to`): not compared.
    pub left_out: Vec<(u64, u64)>,
}

impl Report {
    /// The report as `replay --format json` prints it.
    pub fn to_json(&self) -> Value {
        json!({
            "status": self.status.as_str(),
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "divergence": self.divergence.as_ref().map(|d| json!({
                "eventId": d.event_id,
                "state": d.state,
                "expected": d.expected,
                "got": d.got,
                "fields": d.fields,
            })),
            "leftOut": self.left_out.iter().map(|(a, b)| json!({"from": a, "to": b})).collect::<Vec<_>>(),
        })
    }
}

/// What `describe-execution` / `describe-state-machine-for-execution` say
/// of the recorded execution (any of their fields may be missing).
#[derive(Debug, Clone, Default)]
pub struct ExecutionInfo {
    pub name: Option<String>,
    pub state_machine: Option<String>,
    pub region: Option<String>,
    pub account: Option<String>,
    /// The definition it ran (`describe-state-machine-for-execution`).
    pub definition: Option<String>,
    pub express: bool,
}

impl ExecutionInfo {
    /// Reads the output of `aws stepfunctions describe-execution`,
    /// `describe-state-machine` or `describe-state-machine-for-execution`.
    pub fn read(v: &Value) -> Result<ExecutionInfo, String> {
        let o = v.as_object().ok_or("expected the JSON object that `aws stepfunctions describe-execution` or `describe-state-machine-for-execution` prints")?;
        let s = |k: &str| o.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let arn = s("executionArn").or_else(|| s("stateMachineArn"));
        if arn.is_none() && s("definition").is_none() {
            return Err("no executionArn, stateMachineArn or definition: expected the output of `aws stepfunctions describe-execution` or `describe-state-machine-for-execution`".into());
        }
        let parts: Vec<String> = arn
            .as_deref()
            .unwrap_or_default()
            .split(':')
            .map(str::to_string)
            .collect();
        let exec = s("executionArn").is_some();
        Ok(ExecutionInfo {
            name: s("name").filter(|_| exec).or_else(|| {
                s("executionArn").and_then(|a| a.rsplit(':').next().map(str::to_string))
            }),
            state_machine: s("stateMachineArn")
                .and_then(|a| a.rsplit(':').next().map(str::to_string))
                .or_else(|| parts.get(6).cloned().filter(|_| exec))
                .or_else(|| s("name").filter(|_| !exec)),
            region: parts.get(3).cloned().filter(|r| !r.is_empty()),
            account: parts.get(4).cloned().filter(|a| !a.is_empty()),
            definition: s("definition"),
            express: s("type").as_deref() == Some("EXPRESS")
                || parts.get(5).map(String::as_str) == Some("express"),
        })
    }
}

impl ExecutionInfo {
    /// What `other` says that this does not (the two outputs of
    /// `describe-execution` and `describe-state-machine-for-execution`).
    fn or(self, other: ExecutionInfo) -> ExecutionInfo {
        ExecutionInfo {
            name: self.name.or(other.name),
            state_machine: self.state_machine.or(other.state_machine),
            region: self.region.or(other.region),
            account: self.account.or(other.account),
            definition: self.definition.or(other.definition),
            express: self.express || other.express,
        }
    }
}

/// The `describe-execution` / `describe-state-machine-for-execution`
/// outputs saved beside a history (`*.json` in its folder, not below it):
/// the files (the one with the definition first) and what they say
/// together. None when there are none; an
/// error naming them when they are of different executions or machines
/// (then `--execution FILE` picks one).
pub fn discover(history: &std::path::Path) -> Result<Option<(Vec<String>, ExecutionInfo)>, String> {
    let dir = match history.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(None);
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && p.file_name() != history.file_name()
                && p.metadata()
                    .is_ok_and(|m| m.is_file() && m.len() <= 10 << 20)
        })
        .collect();
    files.sort();
    let mut found = Vec::new();
    for p in files {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        // Only what the AWS CLI prints for an execution or the machine it
        // ran: an execution's ARN, or a definition with its machine's ARN.
        let execution = s("executionArn");
        let machine = s("stateMachineArn").filter(|_| s("definition").is_some());
        if execution.is_none() && machine.is_none() {
            continue;
        }
        if let Ok(info) = ExecutionInfo::read(&v) {
            found.push((p.display().to_string(), execution, machine, info));
        }
    }
    if found.is_empty() {
        return Ok(None);
    }
    // One execution, one machine: which of several is not guessed.
    type Found = (String, Option<String>, Option<String>, ExecutionInfo);
    let one = |what: &str, arn: fn(&Found) -> &Option<String>| -> Result<(), String> {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for f in &found {
            if let Some(a) = arn(f) {
                if !seen.iter().any(|(_, x)| x == a) {
                    seen.push((&f.0, a));
                }
            }
        }
        if seen.len() < 2 {
            return Ok(());
        }
        let list: Vec<String> = seen.iter().map(|(f, a)| format!("{f} ({a})")).collect();
        Err(format!(
            "the files beside the history describe different {what}: {}; pick one with --execution FILE",
            list.join(", ")
        ))
    };
    one("executions", |f| &f.1)?;
    one("state machines", |f| &f.2)?;
    // The file the definition comes from first (it names the definition).
    found.sort_by_key(|(_, _, _, i)| i.definition.is_none());
    let mut files = Vec::new();
    let mut info = ExecutionInfo::default();
    for (file, _, _, i) in found {
        files.push(file);
        info = info.or(i);
    }
    Ok(Some((files, info)))
}

/// Checks that `rec` can be a run of `def`: the states it enters must be
/// the definition's (a history of another machine names none of them).
pub fn check(def: &Definition, rec: &Recording) -> Result<(), String> {
    let states = rec.states();
    if states.is_empty() || states.iter().any(|s| def.find(s).is_some()) {
        return Ok(());
    }
    let shown: Vec<&str> = states.iter().take(5).copied().collect();
    Err(format!(
        "the history is not of this definition: it enters {}{}, and the definition has none of them",
        shown.join(", "),
        if states.len() > 5 { ", …" } else { "" }
    ))
}

/// Rewrites a local event's details (named by their key) before comparing.
pub type Normalise<'a> = dyn Fn(&str, &mut Map<String, Value>) + 'a;

/// How the histories are compared beyond the rules of [`compare`]: the
/// conformance corpus's normalised tokens, and its rewriting of values.
#[derive(Default)]
pub struct Comparison<'a> {
    pub hook: Option<StrHook>,
    /// Applied to each local event's details (named by their key, e.g.
    /// `stateExitedEventDetails`) before it is compared.
    pub normalise: Option<&'a Normalise<'a>>,
}

/// Runs `def` as the recording says and compares the histories. `opts`
/// gives the execution's name and type; its start time and account come
/// from the recording.
pub fn replay(def: Arc<Definition>, rec: &Recording, opts: Options) -> Report {
    replay_with(def, rec, opts, &Comparison::default())
}

/// [`replay`], comparing as `how` says.
pub fn replay_with(
    def: Arc<Definition>,
    rec: &Recording,
    mut opts: Options,
    how: &Comparison,
) -> Report {
    if let Some(t) = rec.start_ms() {
        opts.start_time_ms = t;
    }
    if let Some(a) = rec.account() {
        opts.account = a;
    }
    opts.record_history = true;
    let mut ex = Execution::new(
        def,
        Val::from(rec.input()),
        Box::new(answers::Answers::new(answers::calls(rec))),
        opts,
    );
    // An execution stopped from outside (StopExecution) is stopped at the
    // same point of its history.
    let n = rec.events.len();
    if rec.events[n - 1].event_type == crate::engine::EventType::ExecutionAborted {
        while ex.history().len() < n - 1 && ex.step() {}
        ex.stop(None, None);
    } else {
        ex.run();
    }
    let mut local: Vec<compare::Local> = ex.history().iter().map(compare::Local::of).collect();
    if let Some(f) = how.normalise {
        for l in local.iter_mut() {
            let key = l
                .json
                .as_object()
                .and_then(|o| o.keys().find(|k| k.ends_with("EventDetails")).cloned())
                .unwrap_or_default();
            f(&key, &mut l.details);
        }
    }
    let divergence = compare::first_divergence(rec, &local, how.hook);
    Report {
        status: ex.status(),
        output: ex.output().map(Val::to_json),
        error: ex.error().and_then(|e| e.name().map(str::to_string)),
        cause: ex.error().and_then(|e| e.cause().map(str::to_string)),
        divergence,
        recorded: n,
        local: local.len(),
        left_out: rec.gaps().iter().map(|g| (g.from, g.to)).collect(),
    }
}

/// The recorded answers as a Step Functions Local MockConfigFile: machine
/// `machine`, test case `case`, each Task state's calls in order.
pub fn mock_config(rec: &Recording, machine: &str, case: &str) -> Value {
    let mut cases = Map::new();
    let mut responses = Map::new();
    for (state, calls) in answers::calls(rec) {
        let name = format!("{state} ({case})");
        let mut by_call = Map::new();
        for (i, c) in calls.iter().enumerate() {
            let answer = match c.get("outcome").and_then(|o| o.as_str()) {
                Some("succeeded") => {
                    json!({"Return": c.get("output").cloned().unwrap_or(Value::Null)})
                }
                Some("timed_out") => json!({"Throw": {
                    "Error": c.get("error").cloned().filter(|e| !e.is_null()).unwrap_or(json!("States.Timeout")),
                    "Cause": c.get("cause").cloned().filter(|e| !e.is_null()).unwrap_or(json!("")),
                }}),
                Some(_) => json!({"Throw": {
                    "Error": c.get("error").cloned().filter(|e| !e.is_null()).unwrap_or(json!("")),
                    "Cause": c.get("cause").cloned().filter(|e| !e.is_null()).unwrap_or(json!("")),
                }}),
                // The recording ends before the call was answered.
                None => continue,
            };
            by_call.insert(i.to_string(), answer);
        }
        if by_call.is_empty() {
            continue;
        }
        cases.insert(state, Value::String(name.clone()));
        responses.insert(name, Value::Object(by_call));
    }
    json!({
        "StateMachines": {machine: {"TestCases": {case: cases}}},
        "MockedResponses": responses,
    })
}
