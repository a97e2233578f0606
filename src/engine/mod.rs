//! The interpreter. An [`Execution`] is a value: a stack of frames (the main
//! flow, a Parallel branch, a Map iteration) advanced one event at a time by
//! [`Execution::step`]. No recursion hides a nested branch, nothing sleeps:
//! Wait, retry back-off and timeouts move a virtual clock. The same
//! definition, input, task answers, start time and seed give the same history.

pub mod history;
mod query;
pub mod task;

use crate::asl::intrinsics::{uuid_v4, Random};
use crate::asl::json::{as_f64, to_compact};
use crate::asl::jsonpath::{Path, PathError, Scope};
use crate::asl::model::*;
use crate::asl::template::{Template, TemplateError};
use crate::asl::timestamp::{format_millis, parse_timestamp};
use crate::asl::value::{Map, Val};
use history::{Event, Field};
use serde_json::json;
use std::sync::Arc;
use task::{TaskOutcome, TaskRequest, TaskRunner};

pub const PAYLOAD_QUOTA: usize = 262_144;

/// The history a run may make with the quotas lifted (`--no-quota`): far
/// past AWS's 25,000 events, still a bound on a run that loops for ever.
pub const EVENTS_WITHOUT_QUOTA: usize = 1_000_000;
/// The longest Wait (and any `*Seconds` field): 99999999 seconds.
pub const MAX_WAIT_SECONDS: i64 = 99_999_999;
/// A Standard execution's maximum duration: a year.
pub const MAX_STANDARD_SECONDS: u64 = 365 * 24 * 3600;
/// An Express execution's maximum duration: five minutes.
pub const MAX_EXPRESS_SECONDS: u64 = 300;
/// The most one retry back-off or timeout moves the clock (past the longest
/// execution anyway), so that it never leaves the range of a timestamp.
const MAX_CLOCK_STEP_MS: i64 = (MAX_STANDARD_SECONDS as i64 + 1) * 1000;

/// Deterministic pseudo-random numbers (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Random for Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Rng {
    pub fn seeded(seed: u64) -> Rng {
        Rng(seed)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub start_time_ms: i64,
    pub seed: u64,
    pub quota: bool,
    pub max_events: usize,
    pub record_history: bool,
    /// Record the value of each Choice rule's `Variable` (the debugger's
    /// Stages tab shows them; a headless run does not pay for them).
    pub trace_choices: bool,
    pub execution_name: String,
    pub state_machine_name: String,
    pub region: String,
    pub account: String,
    /// An EXPRESS workflow: its execution ARN has the `express:` form and its
    /// context object no `RedriveCount` (express executions cannot be redriven).
    pub express: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            start_time_ms: 1_700_000_000_000,
            seed: 0,
            quota: true,
            max_events: 25_000,
            record_history: true,
            trace_choices: false,
            execution_name: "asldbg-execution".into(),
            state_machine_name: "StateMachine".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            express: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }
}

/// An error as states see it: `{"Error": ..., "Cause": ...}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateError {
    pub error: String,
    pub cause: String,
    /// The failure named no error (a callback failed with none, a Fail
    /// state without `Error`): `error` is empty and states see `null`.
    pub no_error: bool,
    /// The failure gave no cause: `cause` is empty and states see `null`.
    pub no_cause: bool,
}

impl StateError {
    fn new(error: &str, cause: impl Into<String>) -> StateError {
        StateError {
            error: error.into(),
            cause: cause.into(),
            ..StateError::default()
        }
    }
    /// An error whose name or cause may be missing.
    pub fn given(error: Option<String>, cause: Option<String>) -> StateError {
        StateError {
            no_error: error.is_none(),
            no_cause: cause.is_none(),
            error: error.unwrap_or_default(),
            cause: cause.unwrap_or_default(),
        }
    }
    /// The error name, if the failure gave one.
    pub fn name(&self) -> Option<&str> {
        (!self.no_error).then_some(self.error.as_str())
    }
    /// The cause, if the failure gave one.
    pub fn cause(&self) -> Option<&str> {
        (!self.no_cause).then_some(self.cause.as_str())
    }
    fn output(&self) -> Val {
        let or_null = |missing: bool, s: &str| if missing { Val::Null } else { Val::from(s) };
        Val::object([
            ("Error", or_null(self.no_error, &self.error)),
            ("Cause", or_null(self.no_cause, &self.cause)),
        ])
    }
    /// The `error` and `cause` fields of a failure event (the ones given).
    fn fields(&self) -> Vec<(&'static str, Field)> {
        let mut d = Vec::new();
        if !self.no_cause {
            d.push(("cause", Field::Str(self.cause.clone())));
        }
        if !self.no_error {
            d.push(("error", Field::Str(self.error.clone())));
        }
        d
    }
}

impl std::fmt::Display for StateError {
    /// `Error: Cause`, saying when either was not given.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            self.name().unwrap_or("(no error name)"),
            self.cause().unwrap_or("(no cause)")
        )
    }
}

/// Does `pattern` (an `ErrorEquals` entry) catch `error`?
pub fn error_matches(pattern: &str, error: &str) -> bool {
    match pattern {
        // The recordings show States.ALL catching States.DataLimitExceeded
        // raised by a task; only States.Runtime escapes it.
        "States.ALL" => error != "States.Runtime",
        "States.TaskFailed" => {
            error == "States.TaskFailed"
                || !(error.starts_with("States.") || error == "States.Runtime")
        }
        "States.Timeout" => error == "States.Timeout" || error == "States.HeartbeatTimeout",
        p => p == error,
    }
}

/// The value after each stage of a state's processing, for the inspector.
#[derive(Debug, Clone, Default)]
pub struct StageRecord {
    pub frame: Vec<usize>,
    pub state: String,
    pub input: Option<Val>,
    pub after_input_path: Option<Val>,
    pub after_parameters: Option<Val>,
    /// Map: the items ItemsPath, Items or ItemReader gave (before
    /// ItemSelector and ItemBatcher shape each one).
    pub items: Option<Val>,
    pub result: Option<Val>,
    pub after_result_selector: Option<Val>,
    pub after_result_path: Option<Val>,
    pub output: Option<Val>,
    pub assigned: Option<Map>,
    pub error: Option<StateError>,
    pub next: Option<String>,
    /// Choice: each rule evaluated, in order, with its outcome.
    pub rules: Vec<RuleTrace>,
    /// Retries taken (first-matching retrier, attempt, back-off).
    pub retries: Vec<RetryTrace>,
    /// The catcher that handled the error, by index.
    pub caught_by: Option<usize>,
}

/// One Choice rule as it was evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTrace {
    pub index: usize,
    /// The rule (without `Next`) as compact JSON.
    pub rule: String,
    pub matched: bool,
    pub next: String,
    /// Each `Variable` the rule tests and its value (None: not present), as
    /// the rule saw them.
    pub values: Vec<(String, Option<Val>)>,
}

/// One retry: which retrier matched and how long the back-off was.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryTrace {
    pub retrier: usize,
    pub error: String,
    pub attempt: u64,
    pub delay_ms: i64,
}

#[derive(Debug, Clone)]
enum FrameKind {
    Root,
    Branch(usize),
    Iteration(usize),
}

#[derive(Debug, Clone)]
enum Phase {
    Enter,
    Body,
    TaskScheduled,
    TaskStarted,
    TaskRun {
        submitted: bool,
    },
    /// Parallel/Map: the input each child gets, the results so far.
    Children {
        /// MapRunStarted has been written (or is not needed).
        announced: bool,
        next: usize,
        inputs: Vec<Val>,
        results: Vec<Val>,
        failures: usize,
        tolerated: Option<f64>,
        tolerated_pct: Option<f64>,
    },
    /// A result to push through ResultSelector/ResultPath/OutputPath.
    Finish(Val),
    Error(StateError),
    /// The frame has ended; the next step reports it to its parent.
    End(Result<Val, StateError>),
    /// A Map's children are done; `run_closed` once MapRunSucceeded is written.
    MapDone {
        results: Vec<Val>,
        run_closed: bool,
    },
}

#[derive(Debug, Clone)]
struct Frame {
    machine: MachineId,
    state: StateId,
    input: Val,
    phase: Phase,
    vars: Map,
    isolated: bool,
    silent: bool,
    kind: FrameKind,
    last_event: u64,
    entered_event: u64,
    entered_ms: i64,
    retry_count: u64,
    retrier_attempts: Vec<u64>,
    task_input: Option<Val>,
    task_token: Option<String>,
    /// The running task's TimeoutSeconds and HeartbeatSeconds, evaluated.
    task_limits: (Option<u64>, Option<u64>),
    /// The Parallel/Map state has written its *StateStarted event.
    started: bool,
    /// An EvaluationFailed event has been written for the current error.
    eval_reported: bool,
    /// The state's task reported a failure (TaskFailed, TaskTimedOut, …): if
    /// the error leaves a branch or iteration, the task is aborted.
    task_failed: bool,
    stage: StageRecord,
}

/// One execution of a state machine.
pub struct Execution {
    def: Arc<Definition>,
    runner: Box<dyn TaskRunner>,
    opts: Options,
    input: Val,
    frames: Vec<Frame>,
    history: Vec<Event>,
    event_count: u64,
    now_ms: i64,
    rng: Rng,
    status: Status,
    output: Option<Val>,
    error: Option<StateError>,
    task_calls: std::collections::HashMap<String, u64>,
    stages: Vec<StageRecord>,
    /// The events of Distributed Map iterations (their child executions'
    /// histories, without payloads), for marking what ran; kept with the
    /// history, up to the event limit.
    child_events: Vec<Event>,
    /// Answer supplied for a pending task (interactive runners).
    pending_answer: Option<TaskOutcome>,
    pub transitions: u64,
    awaiting: bool,
    /// The context object's `Execution` and `StateMachine` members.
    run_context: (Val, Val),
}

fn io_details(key: &'static str, _v: &Val) -> (&'static str, Field) {
    (key, Field::NotTruncated)
}

/// How a Task resource shows up in history.
enum ResourceKind {
    Lambda,
    Activity,
    Service {
        resource_type: String,
        resource: String,
        pattern: Pattern,
    },
}

#[derive(Clone, Copy, PartialEq)]
enum Pattern {
    RequestResponse,
    Sync,
    Callback,
}

fn classify(resource: &str) -> ResourceKind {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.len() >= 6 && parts[2] == "states" && parts[3].is_empty() && parts[4].is_empty() {
        let rest = parts[5];
        let (svc_action, pattern) = if let Some(x) = rest.strip_suffix(".waitForTaskToken") {
            (x, Pattern::Callback)
        } else if let Some(i) = rest.find(".sync") {
            (&rest[..i], Pattern::Sync)
        } else {
            (rest, Pattern::RequestResponse)
        };
        let (rtype, action) = match svc_action.rsplit_once(':') {
            Some((t, a)) => (t.to_string(), a.to_string()),
            None => (svc_action.to_string(), String::new()),
        };
        let suffix = &rest[svc_action.len()..];
        return ResourceKind::Service {
            resource_type: rtype,
            resource: format!("{action}{suffix}"),
            pattern,
        };
    }
    if resource.contains(":activity:") {
        return ResourceKind::Activity;
    }
    ResourceKind::Lambda
}

impl Frame {
    fn new(
        machine: MachineId,
        state: StateId,
        input: Val,
        kind: FrameKind,
        last_event: u64,
        now: i64,
    ) -> Frame {
        Frame {
            machine,
            state,
            input,
            phase: Phase::Enter,
            vars: Map::default(),
            isolated: false,
            silent: false,
            kind,
            last_event,
            entered_event: 0,
            entered_ms: now,
            retry_count: 0,
            retrier_attempts: Vec::new(),
            task_input: None,
            task_token: None,
            task_limits: (None, None),
            started: false,
            eval_reported: false,
            task_failed: false,
            stage: StageRecord::default(),
        }
    }
}

impl Execution {
    pub fn new(
        def: Arc<Definition>,
        input: Val,
        runner: Box<dyn TaskRunner>,
        opts: Options,
    ) -> Execution {
        let now = opts.start_time_ms;
        let rng = Rng(opts.seed);
        let run_context = run_context(&opts, &input);
        // Room for the whole history up front (the event limit, at most 1M):
        // pages are only touched as events arrive, and a long continue never
        // stops to copy a doubling vector (that slice was the pause key's
        // worst wait).
        let reserve = if opts.record_history {
            opts.max_events.min(1 << 20)
        } else {
            0
        };
        let root = Frame::new(
            0,
            def.machines[0].start_at,
            input.clone(),
            FrameKind::Root,
            0,
            now,
        );
        let mut ex = Execution {
            def,
            runner,
            opts,
            input: input.clone(),
            frames: vec![root],
            history: Vec::with_capacity(reserve),
            event_count: 0,
            now_ms: now,
            rng,
            status: Status::Running,
            output: None,
            error: None,
            task_calls: Default::default(),
            stages: Vec::new(),
            child_events: Vec::new(),
            pending_answer: None,
            transitions: 0,
            awaiting: false,
            run_context,
        };
        let role = format!("arn:aws:iam::{}:role/asldbg", ex.opts.account);
        ex.emit_raw(
            0,
            "ExecutionStarted",
            vec![
                ("input", Field::Payload(input.clone())),
                io_details("inputDetails", &input),
                ("roleArn", Field::Str(role)),
            ],
            None,
        );
        if ex.opts.quota && payload_size(&input) > PAYLOAD_QUOTA {
            ex.finish_execution_failed(StateError::new(
                "States.DataLimitExceeded",
                "The state/task 'ExecutionStarted' returned a result with a size exceeding the maximum number of bytes service limit.",
            ));
        }
        ex
    }

    pub fn definition(&self) -> &Arc<Definition> {
        &self.def
    }
    pub fn status(&self) -> Status {
        self.status
    }
    pub fn output(&self) -> Option<&Val> {
        self.output.as_ref()
    }
    pub fn error(&self) -> Option<&StateError> {
        self.error.as_ref()
    }
    pub fn history(&self) -> &[Event] {
        &self.history
    }
    /// Events of Distributed Map iterations (child executions), in order,
    /// without payloads: what ran there, for marks.
    pub fn child_events(&self) -> &[Event] {
        &self.child_events
    }
    pub fn stages(&self) -> &[StageRecord] {
        &self.stages
    }
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }
    pub fn is_done(&self) -> bool {
        self.status != Status::Running
    }
    /// Frame depth of the state about to run (0 = main flow).
    pub fn depth(&self) -> usize {
        self.frames.len().saturating_sub(1)
    }
    /// The state the innermost frame is at.
    pub fn current_state(&self) -> Option<&State> {
        let f = self.frames.last()?;
        Some(&self.def.machines[f.machine].states[f.state])
    }
    /// Machine and state of the innermost frame.
    pub fn current_ids(&self) -> Option<(MachineId, StateId)> {
        self.frames.last().map(|f| (f.machine, f.state))
    }

    /// The error the current state is about to handle (before Retry/Catch).
    pub fn error_pending(&self) -> Option<&StateError> {
        match self.frames.last().map(|f| &f.phase) {
            Some(Phase::Error(e)) => Some(e),
            _ => None,
        }
    }

    /// Variables visible from the current frame, innermost scope first
    /// (name, value, scope depth).
    pub fn variables(&self) -> Vec<(String, Val, usize)> {
        let mut out: Vec<(String, Val, usize)> = Vec::new();
        for (depth, f) in self.frames.iter().enumerate().rev() {
            for (k, v) in &f.vars {
                if !out.iter().any(|(n, _, _)| n == k) {
                    out.push((k.clone(), v.clone(), depth));
                }
            }
            if f.isolated {
                break;
            }
        }
        out
    }

    /// Set a variable in the scope where it lives (or the current one).
    pub fn set_variable(&mut self, name: &str, v: Val) {
        let depth = self
            .variables()
            .into_iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, d)| d);
        let idx = depth.unwrap_or(self.frames.len().saturating_sub(1));
        if let Some(f) = self.frames.get_mut(idx) {
            f.vars.insert(name.to_string(), v);
        }
    }

    /// The context object (`$$`) as the current state sees it.
    pub fn context_object(&self) -> Option<Val> {
        (!self.frames.is_empty()).then(|| self.context(None))
    }

    /// The task input of a task waiting for an answer.
    pub fn pending_task_input(&self) -> Option<&Val> {
        self.frames.last().and_then(|f| f.task_input.as_ref())
    }

    /// The task token of the current task, if it issued one.
    pub fn task_token(&self) -> Option<&str> {
        self.frames.last().and_then(|f| f.task_token.as_deref())
    }

    /// The execution input.
    pub fn execution_input(&self) -> &Val {
        &self.input
    }

    /// The raw input of the current state.
    pub fn current_input(&self) -> Option<&Val> {
        self.frames.last().map(|f| &f.input)
    }
    /// True when the next step would enter a state.
    pub fn at_state_entry(&self) -> bool {
        matches!(self.frames.last().map(|f| &f.phase), Some(Phase::Enter))
    }
    /// True when the current task waits for an answer.
    pub fn waiting_for_task(&self) -> bool {
        matches!(
            self.frames.last().map(|f| &f.phase),
            Some(Phase::TaskRun { .. })
        ) && self.pending_answer.is_none()
            && self.awaiting
    }

    /// Replace the raw input of the state about to be entered (debugger edit).
    pub fn set_current_input(&mut self, v: Val) -> bool {
        match self.frames.last_mut() {
            Some(f) if matches!(f.phase, Phase::Enter) => {
                f.input = v;
                true
            }
            _ => false,
        }
    }

    /// Supply the answer to a task that is waiting (see [`TaskOutcome::Pending`]).
    pub fn answer_task(&mut self, outcome: TaskOutcome) {
        self.pending_answer = Some(outcome);
        self.awaiting = false;
    }

    /// Run to the end (or until a task waits for an answer).
    pub fn run(&mut self) -> Status {
        while self.status == Status::Running {
            if !self.step() {
                break;
            }
        }
        self.status
    }

    /// Branch / iteration indexes from the main flow to the current frame.
    pub fn frame_path(&self) -> Vec<usize> {
        self.frames
            .iter()
            .filter_map(|f| match f.kind {
                FrameKind::Root => None,
                FrameKind::Branch(i) | FrameKind::Iteration(i) => Some(i),
            })
            .collect()
    }

    fn emit_raw(
        &mut self,
        prev: u64,
        t: &'static str,
        details: Vec<(&'static str, Field)>,
        state: Option<std::sync::Arc<str>>,
    ) -> u64 {
        self.event_count += 1;
        let id = self.event_count;
        if self.opts.record_history {
            let frame = self.frame_path();
            self.history.push(Event {
                id,
                previous_event_id: prev,
                timestamp_ms: self.now_ms,
                event_type: t,
                details,
                frame,
                state,
            });
        }
        id
    }

    /// Emit an event for the top frame, linking it to that frame's last event.
    fn emit(&mut self, t: &'static str, details: Vec<(&'static str, Field)>) -> u64 {
        let (prev, silent, state) = match self.frames.last() {
            Some(f) => (
                f.last_event,
                f.silent,
                Some(self.def.machines[f.machine].states[f.state].name.clone()),
            ),
            None => (self.event_count, false, None),
        };
        if silent {
            if self.opts.record_history && self.child_events.len() < self.opts.max_events {
                let frame = self.frame_path();
                self.child_events.push(Event {
                    id: 0,
                    previous_event_id: 0,
                    timestamp_ms: self.now_ms,
                    event_type: t,
                    details: Vec::new(),
                    frame,
                    state,
                });
            }
            return prev;
        }
        let state = if self.opts.record_history {
            state
        } else {
            None
        };
        let id = self.emit_raw(prev, t, details, state);
        if let Some(f) = self.frames.last_mut() {
            f.last_event = id;
        }
        id
    }

    fn state(&self) -> &State {
        let f = self.frames.last().expect("a frame");
        &self.def.machines[f.machine].states[f.state]
    }

    fn def_state(&self) -> (Arc<Definition>, MachineId, StateId) {
        let f = self.frames.last().expect("a frame");
        (self.def.clone(), f.machine, f.state)
    }

    fn context(&self, map_item: Option<(usize, &Val)>) -> Val {
        let f = self.frames.last().expect("a frame");
        let st = &self.def.machines[f.machine].states[f.state];
        let mut c = Map::default();
        // Member order as AWS writes it; Execution and StateMachine are the
        // same for the whole run (built once, shared).
        c.insert("Execution".into(), self.run_context.0.clone());
        c.insert("StateMachine".into(), self.run_context.1.clone());
        let mut state = Map::default();
        state.insert("Name".into(), Val::Str(st.name.clone()));
        state.insert("EnteredTime".into(), Val::from(format_millis(f.entered_ms)));
        // The recordings show RetryCount only on states that can retry.
        if matches!(
            st.kind,
            Kind::Task(_) | Kind::Parallel { .. } | Kind::Map(_)
        ) {
            state.insert("RetryCount".into(), Val::from(f.retry_count));
        }
        c.insert("State".into(), Val::obj(state));
        if let Some(t) = &f.task_token {
            c.insert(
                "Task".into(),
                Val::object([("Token", Val::from(t.as_str()))]),
            );
        }
        if let Some((i, v)) = map_item {
            c.insert(
                "Map".into(),
                Val::object([(
                    "Item",
                    Val::object([("Index", Val::from(i)), ("Value", v.clone())]),
                )]),
            );
        }
        Val::obj(c)
    }

    /// The variable `name` as the current state sees it (the innermost
    /// scope that has it, up to an isolated frame).
    pub fn lookup_var(&self, name: &str) -> Option<Val> {
        for f in self.frames.iter().rev() {
            if let Some(v) = f.vars.get(name) {
                return Some(v.clone());
            }
            if f.isolated {
                return None;
            }
        }
        None
    }

    fn runtime_cause(&self, detail: &str) -> String {
        let f = self.frames.last().expect("a frame");
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). {detail}",
            self.state().name,
            f.entered_event
        )
    }

    fn runtime(&self, detail: &str) -> StateError {
        StateError::new("States.Runtime", self.runtime_cause(detail))
    }

    /// Evaluate a path against `data` in the current frame's scope.
    fn eval_path(&self, p: &Path, data: &Val) -> Result<Val, PathError> {
        let ctx = || self.context(None);
        let vars = |n: &str| self.lookup_var(n);
        p.eval(&Scope {
            data,
            context: &ctx,
            vars: &vars,
        })
    }

    fn select(&self, sel: &InputSel, data: &Val) -> Result<Val, StateError> {
        match sel {
            InputSel::All => Ok(data.clone()),
            InputSel::Nothing => Ok(Val::empty_obj()),
            InputSel::Path(p) => self.eval_path(p, data).map_err(|e| self.path_error(p, e)),
        }
    }

    fn path_error(&self, p: &Path, e: PathError) -> StateError {
        match e {
            PathError::Missing(m) => self.runtime(&format!("Invalid path '{}' : {}", p.source, m)),
            PathError::UnknownVariable(v) => self.runtime(&format!(
                "Invalid path '{}': variable ${v} is not defined",
                p.source
            )),
            PathError::TooMuchWork => self.runtime(&format!("Invalid path '{}': {e}", p.source)),
        }
    }

    fn eval_template(
        &mut self,
        t: &Template,
        data: &Val,
        map_item: Option<(usize, &Val)>,
    ) -> Result<Val, StateError> {
        let mut rng = self.rng.clone();
        let r = {
            let ctx = || self.context(map_item);
            let vars = |n: &str| self.lookup_var(n);
            t.eval(
                &Scope {
                    data,
                    context: &ctx,
                    vars: &vars,
                },
                &mut rng,
            )
        };
        self.rng = rng;
        r.map_err(|e| match e {
            TemplateError::PathMissing { field, path, detail } => match detail {
                PathError::UnknownVariable(_) | PathError::Missing(_) => self.runtime(&format!(
                    "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{}'",
                    to_compact(data)
                )),
                PathError::TooMuchWork => {
                    self.runtime(&format!("The JSONPath '{path}' for the field '{field}': {detail}"))
                }
            },
            TemplateError::Intrinsic { message, .. } => StateError::new("States.IntrinsicFailure", self.runtime_cause(&message)),
        })
    }

    fn apply_result_path(
        &self,
        sel: &ResultSel,
        input: &Val,
        result: Val,
    ) -> Result<Val, StateError> {
        match sel {
            ResultSel::Replace => Ok(result),
            ResultSel::Discard => Ok(input.clone()),
            ResultSel::At(p) => {
                let mut doc = input.clone();
                p.set(&mut doc, result).map_err(|m| {
                    StateError::new("States.ResultPathMatchFailure", self.runtime_cause(&m))
                })?;
                Ok(doc)
            }
        }
    }

    fn check_quota(&self, v: &Val) -> Result<(), StateError> {
        if self.opts.quota && payload_size(v) > PAYLOAD_QUOTA {
            return Err(StateError::new(
                "States.DataLimitExceeded",
                format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    self.state().name
                ),
            ));
        }
        Ok(())
    }

    /// Evaluate JSONPath `Assign` with `$` bound to `data`; values are applied
    /// after the state exits, so every expression sees the old variables.
    fn eval_assign(
        &mut self,
        assign: &Option<Template>,
        data: &Val,
    ) -> Result<Option<Map>, StateError> {
        let Some(t) = assign else { return Ok(None) };
        let v = self.eval_template(t, data, None)?;
        Ok(v.as_object().cloned())
    }

    /// Advance one step. Returns false when nothing more can happen now
    /// (finished, or a task waits for an answer).
    pub fn step(&mut self) -> bool {
        if self.status != Status::Running {
            return false;
        }
        let Some(frame) = self.frames.last() else {
            return false;
        };
        if self.event_count as usize >= self.opts.max_events {
            let e = StateError::new(
                "States.Runtime",
                format!("The execution reached the limit of {} history events (possible infinite loop).", self.opts.max_events),
            );
            self.finish_execution_failed(e);
            return false;
        }
        // Take the phase out (leaving a cheap placeholder) instead of cloning
        // it: Children and Finish carry whole payloads.
        let r = if matches!(frame.phase, Phase::Children { .. }) {
            self.children()
        } else {
            let phase = std::mem::replace(&mut self.frames.last_mut().unwrap().phase, Phase::Body);
            self.run_phase(phase)
        };
        if let Err(e) = r {
            self.set_phase(Phase::Error(e));
        }
        self.check_execution_timeout();
        self.status == Status::Running && !self.awaiting
    }

    fn run_phase(&mut self, phase: Phase) -> Result<(), StateError> {
        match phase {
            Phase::Enter => {
                self.enter();
                Ok(())
            }
            Phase::Body => self.body(),
            Phase::TaskScheduled => self.task_schedule(),
            Phase::TaskStarted => self.task_start(),
            Phase::TaskRun { submitted } => {
                self.task_run(submitted);
                Ok(())
            }
            Phase::Children { .. } => self.children(),
            Phase::Finish(result) => self.finish(result),
            Phase::Error(e) => {
                self.handle_error(e);
                Ok(())
            }
            Phase::End(r) => {
                self.finish_frame(r);
                Ok(())
            }
            Phase::MapDone {
                results,
                run_closed,
            } => {
                if !run_closed {
                    self.emit("MapRunSucceeded", vec![]);
                    self.set_phase(Phase::MapDone {
                        results,
                        run_closed: true,
                    });
                } else {
                    self.map_done(results);
                }
                Ok(())
            }
        }
    }

    /// The virtual time `secs` seconds from now; a Wait of more than
    /// [`MAX_WAIT_SECONDS`] is AWS's "Wait state delay is too long."
    fn after_seconds(&self, secs: f64) -> Result<i64, StateError> {
        if !(0.0..=MAX_WAIT_SECONDS as f64).contains(&secs) {
            return Err(self.runtime("Wait state delay is too long."));
        }
        Ok(self.now_ms.saturating_add(secs as i64 * 1000))
    }

    /// Moves the clock to `until` (never backwards) for a Wait state.
    fn wait_until(&mut self, until: i64) -> Result<(), StateError> {
        if until.saturating_sub(self.now_ms) > MAX_WAIT_SECONDS * 1000 {
            return Err(self.runtime("Wait state delay is too long."));
        }
        self.now_ms = self.now_ms.max(until);
        Ok(())
    }

    /// Moves the clock on by `ms` (retry back-off, a task's timeout),
    /// bounded so that it stays within what a timestamp can show.
    fn advance_clock(&mut self, ms: i64) {
        self.now_ms = self.now_ms.saturating_add(ms.clamp(0, MAX_CLOCK_STEP_MS));
    }

    /// An execution runs until its own `TimeoutSeconds`, and never longer than
    /// AWS's maximum duration (a year for Standard, five minutes for Express).
    fn check_execution_timeout(&mut self) -> bool {
        let max = if self.opts.express {
            MAX_EXPRESS_SECONDS
        } else {
            MAX_STANDARD_SECONDS
        };
        let t = self.def.timeout_seconds.unwrap_or(max).min(max) as i64;
        if self.status != Status::Running
            || self.now_ms.saturating_sub(self.opts.start_time_ms) < t * 1000
        {
            return false;
        }
        self.status = Status::TimedOut;
        self.error = Some(StateError::new("States.Timeout", ""));
        let prev = self.frames.last().map(|f| f.last_event).unwrap_or(0);
        self.emit_raw(
            prev,
            "ExecutionTimedOut",
            vec![("error", Field::Str("States.Timeout".into()))],
            None,
        );
        self.frames.clear();
        true
    }

    fn set_phase(&mut self, p: Phase) {
        if let Some(f) = self.frames.last_mut() {
            f.phase = p;
        }
    }

    fn enter(&mut self) {
        self.transitions += 1;
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let input = self.frames.last().unwrap().input.clone();
        let t = entered_type(&st.type_name);
        let id = self.emit(
            t,
            vec![
                ("input", Field::Payload(input.clone())),
                io_details("inputDetails", &input),
                ("name", Field::Name(st.name.clone())),
            ],
        );
        let now = self.now_ms;
        let path = self.frame_path();
        let f = self.frames.last_mut().unwrap();
        f.entered_event = id;
        f.entered_ms = now;
        f.retry_count = 0;
        f.retrier_attempts = vec![0; st.retry.len()];
        f.started = false;
        f.eval_reported = false;
        f.task_failed = false;
        f.stage = StageRecord {
            frame: path,
            state: st.name.to_string(),
            input: Some(input),
            ..Default::default()
        };
        f.phase = match st.kind {
            Kind::Task(_) => Phase::TaskScheduled,
            _ => Phase::Body,
        };
    }

    fn body(&mut self) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let input = self.frames.last().unwrap().input.clone();
        if st.is_jsonata() && !matches!(st.kind, Kind::Map(_)) {
            return self.body_jsonata(st, &input);
        }
        match &st.kind {
            Kind::Pass { result } => {
                let eff = self.select(&st.input_path, &input)?;
                self.frames.last_mut().unwrap().stage.after_input_path = Some(eff.clone());
                let res = match (result, &st.parameters) {
                    (Some(r), _) => r.clone(),
                    (None, Some(p)) => {
                        let v = self.eval_template(p, &eff, None)?;
                        self.frames.last_mut().unwrap().stage.after_parameters = Some(v.clone());
                        v
                    }
                    (None, None) => eff,
                };
                self.frames.last_mut().unwrap().stage.result = Some(res.clone());
                let assigned = self.eval_assign(&st.assign, &res)?;
                let after = self.apply_result_path(&st.result_path, &input, res)?;
                self.frames.last_mut().unwrap().stage.after_result_path = Some(after.clone());
                let out = self.select(&st.output_path, &after)?;
                self.check_quota(&out)?;
                self.exit_state(out, assigned, st.next);
            }
            Kind::Choice { choices, default } => {
                let eff = self.select(&st.input_path, &input)?;
                let mut chosen: Option<(StateId, &Option<Template>)> = None;
                for (ci, c) in choices.iter().enumerate() {
                    if let Condition::Rule(rule) = &c.condition {
                        let ok = {
                            let ctx = || self.context(None);
                            let vars = |n: &str| self.lookup_var(n);
                            rule.eval(&Scope {
                                data: &eff,
                                context: &ctx,
                                vars: &vars,
                            })
                        };
                        if let Ok(matched) = ok {
                            let mut vars = Vec::new();
                            if self.opts.trace_choices {
                                rule.variables(&mut vars);
                            }
                            let values = vars
                                .into_iter()
                                .map(|p| {
                                    let ctx = || self.context(None);
                                    let lookup = |n: &str| self.lookup_var(n);
                                    let scope = Scope {
                                        data: &eff,
                                        context: &ctx,
                                        vars: &lookup,
                                    };
                                    (p.source.clone(), p.eval(&scope).ok())
                                })
                                .collect();
                            let trace = RuleTrace {
                                index: ci,
                                rule: rule_text(&c.raw),
                                matched,
                                next: def.machines[m].states[c.next].name.to_string(),
                                values,
                            };
                            self.frames.last_mut().unwrap().stage.rules.push(trace);
                        }
                        match ok {
                            Ok(true) => {
                                chosen = Some((c.next, &c.assign));
                                break;
                            }
                            Ok(false) => {}
                            Err(e) => {
                                return Err(self.runtime(&format!(
                                    "Invalid path '{}': The choice state's condition path references an invalid value.",
                                    e.path
                                )))
                            }
                        }
                    }
                }
                let (next, assign) = match chosen {
                    Some(c) => c,
                    None => match default {
                        Some(d) => (*d, &st.assign),
                        None => {
                            return Err(StateError::new(
                                "States.NoChoiceMatched",
                                format!("No Matches! for state '{}'", st.name),
                            ))
                        }
                    },
                };
                let assigned = match (assign, &st.assign) {
                    (Some(_), _) => self.eval_assign(assign, &eff)?,
                    (None, state_assign) => self.eval_assign(state_assign, &eff)?,
                };
                let out = self.select(&st.output_path, &eff)?;
                self.exit_state(out, assigned, Some(next));
            }
            Kind::Wait(w) => {
                let eff = self.select(&st.input_path, &input)?;
                let until = match w {
                    WaitSpec::Seconds(NumSpec::Fixed(v)) => {
                        self.after_seconds(v.as_f64().unwrap_or(0.0))?
                    }
                    WaitSpec::Seconds(NumSpec::Path(p)) => {
                        let v = self.eval_path(p, &eff).map_err(|_| {
                            self.runtime(&format!(
                                "The SecondsPath parameter does not reference an input value: {}",
                                p.source
                            ))
                        })?;
                        match v.as_i64() {
                            Some(n) if n >= 0 => self.after_seconds(n as f64)?,
                            Some(_) => {
                                return Err(self.runtime(&format!(
                                    "The SecondsPath parameter references a negative value: {} == {}",
                                    p.source,
                                    to_compact(&v)
                                )))
                            }
                            None => {
                                return Err(self.runtime(&format!(
                                    "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                                    p.source,
                                    to_compact(&v)
                                )))
                            }
                        }
                    }
                    WaitSpec::Timestamp(t) => parse_timestamp(t)
                        .map(|d| d.timestamp_millis())
                        .unwrap_or(self.now_ms),
                    WaitSpec::TimestampPath(p) => {
                        let v = self.eval_path(p, &eff).map_err(|_| {
                            self.runtime(&format!(
                                "The TimestampPath parameter does not reference an input value: {}",
                                p.source
                            ))
                        })?;
                        match v.as_str().and_then(parse_timestamp) {
                            Some(d) => d.timestamp_millis(),
                            None => {
                                return Err(self.runtime(&format!(
                                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                                    p.source,
                                    v.as_str().map(str::to_string).unwrap_or_else(|| to_compact(&v))
                                )))
                            }
                        }
                    }
                    _ => self.now_ms,
                };
                self.wait_until(until)?;
                let assigned = self.eval_assign(&st.assign, &eff)?;
                let out = self.select(&st.output_path, &eff)?;
                self.exit_state(out, assigned, st.next);
            }
            Kind::Succeed => {
                let eff = self.select(&st.input_path, &input)?;
                let out = self.select(&st.output_path, &eff)?;
                self.exit_state(out, None, None);
            }
            Kind::Fail { error, cause } => {
                let e = self.fail_field(error, &input, "ErrorPath")?;
                let c = self.fail_field(cause, &input, "CausePath")?;
                let err = StateError::given(e, c);
                self.frames.last_mut().unwrap().stage.error = Some(err.clone());
                self.push_stage();
                self.end_frame(Err(err));
            }
            Kind::Parallel { branches } => {
                let eff = self.select(&st.input_path, &input)?;
                let bin = match &st.parameters {
                    Some(p) => self.eval_template(p, &eff, None)?,
                    None => eff,
                };
                self.start_branches(bin, branches.len());
            }
            Kind::Map(spec) => self.map_start(st, spec, &input)?,
            Kind::Task(_) => unreachable!(),
        }
        Ok(())
    }

    /// ParallelStateStarted, then every branch gets a copy of `input`.
    pub(super) fn start_branches(&mut self, input: Val, n: usize) {
        self.emit("ParallelStateStarted", vec![]);
        self.frames.last_mut().unwrap().started = true;
        self.set_phase(Phase::Children {
            announced: true,
            next: 0,
            inputs: vec![input; n],
            results: Vec::with_capacity(n),
            failures: 0,
            tolerated: None,
            tolerated_pct: None,
        });
    }

    fn fail_field(
        &mut self,
        f: &FailField,
        input: &Val,
        field: &str,
    ) -> Result<Option<String>, StateError> {
        Ok(match f {
            FailField::None => None,
            FailField::Literal(s) => Some(s.clone()),
            FailField::Expr(_) => None,
            FailField::Path(t) => {
                let v = match t {
                    Template::Path(p) => self.eval_path(p, input).map_err(|_| {
                        self.runtime(&format!(
                            "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                            p.source,
                            to_compact(input)
                        ))
                    })?,
                    other => self.eval_template(other, input, None)?,
                };
                Some(match v {
                    Val::Str(s) => s.to_string(),
                    other => to_compact(&other),
                })
            }
        })
    }

    fn num_value(
        &mut self,
        spec: &NumSpec,
        data: &Val,
        field: &str,
        float: bool,
    ) -> Result<Option<f64>, StateError> {
        match spec {
            NumSpec::Fixed(v) => Ok(v.as_f64()),
            NumSpec::Expr(e) => self.j_number(e, data, field).map(Some),
            NumSpec::Path(p) => {
                let v = self.eval_path(p, data).map_err(|e| self.path_error(p, e))?;
                // A string holding a number is accepted, as AWS does.
                let parsed = match &v {
                    Val::Num(n) if float || n.is_i64() || n.is_u64() => as_f64(&v),
                    Val::Str(s) if float => s.trim().parse::<f64>().ok(),
                    Val::Str(s) => s.trim().parse::<i64>().ok().map(|i| i as f64),
                    _ => None,
                };
                let ok = parsed.is_some();
                if !ok {
                    let shown = match &v {
                        Val::Str(s) => s.to_string(),
                        other => to_compact(other),
                    };
                    return Err(self.runtime(&format!(
                        "The {field}Path field refers to value \"{shown}\" which is not a valid {}: {}",
                        if float { "float" } else { "integer" },
                        p.source
                    )));
                }
                Ok(parsed)
            }
        }
    }

    fn map_start(&mut self, st: &State, spec: &MapSpec, input: &Val) -> Result<(), StateError> {
        let jsonata = st.is_jsonata();
        let eff = if jsonata {
            input.clone()
        } else {
            self.select(&st.input_path, input)?
        };
        self.frames.last_mut().unwrap().stage.after_input_path = Some(eff.clone());
        let mut items_src = eff.clone();
        if let Some(reader) = &spec.item_reader {
            items_src = self.read_items(reader, &eff, jsonata)?;
        }
        let items: Vec<Val> = if jsonata {
            if spec.item_reader.is_some() {
                items_src.into_array().unwrap_or_default()
            } else {
                self.map_items_jsonata(spec, &eff)?
            }
        } else {
            let items = match &spec.items_path {
                Some(p) => self
                    .eval_path(p, &items_src)
                    .map_err(|e| self.path_error(p, e))?,
                None => items_src,
            };
            if !items.is_array() {
                return Err(self.runtime(&format!(
                    "Map state input must be an array but was: {}",
                    to_compact(&items)
                )));
            }
            items.into_array().unwrap_or_default()
        };
        self.frames.last_mut().unwrap().stage.items = Some(Val::arr(items.clone()));
        if let Some(mc) = &spec.max_concurrency {
            self.num_value(mc, &eff, "MaxConcurrency", false)?;
        }
        // AWS reports MapStateStarted once the items are known, before it
        // checks the concurrency and tolerance settings.
        if spec.item_batcher.is_none() {
            self.emit(
                "MapStateStarted",
                vec![("length", Field::Int(items.len() as i64))],
            );
            self.frames.last_mut().unwrap().started = true;
        }
        let tolerated = match &spec.tolerated_count {
            Some(n) => {
                let v = self.num_value(n, &eff, "ToleratedFailureCount", false)?;
                if v.is_some_and(|x| x < 0.0) {
                    return Err(self.runtime("ToleratedFailureCount cannot be negative."));
                }
                v
            }
            None => None,
        };
        let tolerated_pct = match &spec.tolerated_percentage {
            Some(n) => {
                let v = self.num_value(n, &eff, "ToleratedFailurePercentage", true)?;
                if v.is_some_and(|x| !(0.0..=100.0).contains(&x)) {
                    return Err(
                        self.runtime("ToleratedFailurePercentage must be between 0 and 100.")
                    );
                }
                v
            }
            None => None,
        };
        let mut inputs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            inputs.push(match (&spec.item_selector, &spec.item_selector_j) {
                (Some(t), _) => self.eval_template(t, &eff, Some((i, item)))?,
                (None, Some(t)) => self.item_selector_jsonata(t, &eff, i, item)?,
                (None, None) => item.clone(),
            });
        }
        if let Some(b) = &spec.item_batcher {
            let max_items = match &b.max_items {
                Some(n) => self
                    .num_value(n, &eff, "MaxItemsPerBatch", false)?
                    .map(|x| x as usize),
                None => None,
            };
            let batch_input = match &b.batch_input {
                Some(t) => Some(self.eval_template(t, &eff, None)?),
                None => None,
            };
            let size = max_items.unwrap_or(inputs.len().max(1)).max(1);
            inputs = inputs
                .chunks(size)
                .map(|c| {
                    let mut o = Map::default();
                    if let Some(bi) = &batch_input {
                        o.insert("BatchInput".into(), bi.clone());
                    }
                    o.insert("Items".into(), Val::arr(c.to_vec()));
                    Val::obj(o)
                })
                .collect();
        }
        self.frames.last_mut().unwrap().stage.after_parameters = Some(Val::arr(inputs.clone()));
        if spec.item_batcher.is_some() {
            self.emit(
                "MapStateStarted",
                vec![("length", Field::Int(inputs.len() as i64))],
            );
            self.frames.last_mut().unwrap().started = true;
        }
        let n = inputs.len();
        self.set_phase(Phase::Children {
            announced: !spec.distributed,
            next: 0,
            inputs,
            results: Vec::with_capacity(n),
            failures: 0,
            tolerated,
            tolerated_pct,
        });
        Ok(())
    }

    fn read_items(
        &mut self,
        reader: &ItemReader,
        eff: &Val,
        jsonata: bool,
    ) -> Result<Val, StateError> {
        let params = match (&reader.parameters, &reader.arguments) {
            (Some(t), _) => self.eval_template(t, eff, None)?,
            (None, Some(t)) if jsonata => {
                let states = self.states_val(eff, None, None, None);
                let mut s = self.session(states, &[Some(t)], &[]);
                self.j_eval(&mut s, Some(t), "ItemReader/Arguments", Val::Null)?
            }
            _ => Val::Null,
        };
        let max_items = match &reader.max_items {
            Some(n) => {
                let v = self.num_value(n, eff, "MaxItems", false)?;
                if let Some(x) = v {
                    if x <= 0.0 {
                        return Err(StateError::new(
                            "States.ItemReaderFailed",
                            "field MaxItems must be positive",
                        ));
                    }
                }
                v.map(|x| x as usize)
            }
            None => None,
        };
        // The Map state has no task of its own: a mock or runner answers its
        // ItemReader under the Map state's name.
        let call = self.state().name.to_string();
        let n = self.task_calls.entry(call.clone()).or_insert(0);
        let invocation = *n;
        *n += 1;
        let resource = reader.resource.clone();
        let outcome = self.runner.invoke(&TaskRequest {
            state: &call,
            resource: &resource,
            input: &params,
            invocation,
            task_token: None,
            timeout_seconds: None,
            heartbeat_seconds: None,
        });
        let data = match outcome {
            TaskOutcome::Succeeded(v) => v,
            TaskOutcome::Failed { error, cause } => return Err(StateError::given(error, cause)),
            _ => {
                return Err(StateError::new(
                    "States.ItemReaderFailed",
                    "the item reader gave no data",
                ))
            }
        };
        let mut items = match (reader.input_type.as_deref(), data) {
            (Some("CSV"), Val::Str(text)) => parse_csv(&text, reader)
                .map_err(|m| StateError::new("States.ItemReaderFailed", m))?,
            (Some("JSONL"), Val::Str(text)) => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    serde_json::from_str(l)
                        .map_err(|e| StateError::new("States.ItemReaderFailed", e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?,
            (_, Val::Str(text)) => match Val::parse(&text) {
                Ok(v @ Val::Arr(_)) => v.into_array().unwrap_or_default(),
                Ok(other) => return Ok(other),
                Err(e) => return Err(StateError::new("States.ItemReaderFailed", e.to_string())),
            },
            (_, v @ Val::Arr(_)) => v.into_array().unwrap_or_default(),
            (_, other) => return Ok(other),
        };
        if let Some(m) = max_items {
            items.truncate(m);
        }
        Ok(Val::arr(items))
    }

    fn children(&mut self) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        if let Phase::Children {
            announced: announced @ false,
            ..
        } = &mut self.frames.last_mut().unwrap().phase
        {
            *announced = true;
            if let Kind::Map(spec) = &st.kind {
                let arn = format!(
                    "arn:aws:states:{}:{}:mapRun:{}/{}:{}",
                    self.opts.region,
                    self.opts.account,
                    self.opts.state_machine_name,
                    spec.label.clone().unwrap_or_else(|| st.name.to_string()),
                    uuid_v4(&mut self.rng)
                );
                self.emit("MapRunStarted", vec![("mapRunArn", Field::Str(arn))]);
            }
            return Ok(());
        }
        let Phase::Children { next, inputs, .. } = &self.frames.last().unwrap().phase else {
            unreachable!()
        };
        let (next, total) = (*next, inputs.len());
        let (machine, kind, silent, isolated) = match &st.kind {
            Kind::Parallel { branches } => {
                if next >= branches.len() {
                    return self.children_done(st);
                }
                (branches[next], FrameKind::Branch(next), false, false)
            }
            Kind::Map(spec) => {
                if next >= total {
                    return self.children_done(st);
                }
                if !spec.distributed {
                    self.emit(
                        "MapIterationStarted",
                        vec![
                            ("index", Field::Int(next as i64)),
                            ("name", Field::Name(st.name.clone())),
                        ],
                    );
                }
                (
                    spec.processor,
                    FrameKind::Iteration(next),
                    spec.distributed,
                    spec.distributed,
                )
            }
            _ => unreachable!(),
        };
        let parent = self.frames.last_mut().unwrap();
        let Phase::Children {
            next: n, inputs, ..
        } = &mut parent.phase
        else {
            unreachable!()
        };
        *n += 1;
        let input = std::mem::take(&mut inputs[next]);
        let last = parent.last_event;
        let silent = silent || parent.silent;
        let mut frame = Frame::new(
            machine,
            def.machines[machine].start_at,
            input,
            kind,
            last,
            self.now_ms,
        );
        frame.isolated = isolated;
        frame.silent = silent;
        self.frames.push(frame);
        Ok(())
    }

    fn children_done(&mut self, st: &State) -> Result<(), StateError> {
        let f = self.frames.last_mut().unwrap();
        let Phase::Children { results, .. } = &mut f.phase else {
            unreachable!()
        };
        let results = std::mem::take(results);
        match &st.kind {
            // AWS writes no ParallelStateSucceeded event.
            Kind::Map(spec) => self.set_phase(Phase::MapDone {
                results,
                run_closed: !spec.distributed,
            }),
            _ => self.set_phase(Phase::Finish(Val::arr(results))),
        }
        Ok(())
    }

    /// MapStateSucceeded, then the result (or ResultWriter's descriptor).
    fn map_done(&mut self, results: Vec<Val>) {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let Kind::Map(spec) = &st.kind else {
            unreachable!()
        };
        self.emit("MapStateSucceeded", vec![]);
        let result = match &spec.result_writer {
            Some(writer) => {
                let arn = format!(
                    "arn:aws:states:{}:{}:mapRun:{}",
                    self.opts.region, self.opts.account, st.name
                );
                let params = writer.get("Parameters").or_else(|| writer.get("Arguments"));
                let bucket = Val::from(
                    params
                        .and_then(|p| p.get("Bucket"))
                        .cloned()
                        .unwrap_or_default(),
                );
                let prefix = params
                    .and_then(|p| p.get("Prefix"))
                    .and_then(|p| p.as_str())
                    .unwrap_or("");
                Val::object([
                    ("MapRunArn", Val::from(arn)),
                    (
                        "ResultWriterDetails",
                        Val::object([
                            ("Bucket", bucket),
                            ("Key", Val::from(format!("{prefix}/manifest.json"))),
                        ]),
                    ),
                ])
            }
            None => Val::arr(results),
        };
        self.set_phase(Phase::Finish(result));
    }

    /// A child frame ended: give its result to the parent.
    fn child_returned(
        &mut self,
        kind: FrameKind,
        r: Result<Val, StateError>,
        aborted: Option<std::sync::Arc<str>>,
    ) {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let distributed = matches!(&st.kind, Kind::Map(spec) if spec.distributed);
        match r {
            Ok(v) => {
                if let FrameKind::Iteration(i) = kind {
                    if !distributed {
                        self.emit(
                            "MapIterationSucceeded",
                            vec![
                                ("index", Field::Int(i as i64)),
                                ("name", Field::Name(st.name.clone())),
                            ],
                        );
                    }
                }
                if let Some(Frame {
                    phase: Phase::Children { results, .. },
                    ..
                }) = self.frames.last_mut()
                {
                    results.push(v);
                }
            }
            Err(e) => {
                if let FrameKind::Iteration(i) = kind {
                    if distributed {
                        let f = self.frames.last_mut().unwrap();
                        if let Phase::Children {
                            results,
                            failures,
                            tolerated,
                            tolerated_pct,
                            inputs,
                            ..
                        } = &mut f.phase
                        {
                            *failures += 1;
                            let total = inputs.len().max(1) as f64;
                            let ok_count = tolerated.is_some_and(|t| (*failures as f64) <= t);
                            let ok_pct = tolerated_pct
                                .is_some_and(|p| (*failures as f64) * 100.0 / total <= p);
                            if ok_count || ok_pct {
                                results.push(e.output());
                                return;
                            }
                        }
                        self.emit("MapRunFailed", vec![]);
                        let err = StateError::new(
                            "States.ExceedToleratedFailureThreshold",
                            "The specified tolerated failure threshold was exceeded",
                        );
                        self.set_phase(Phase::Error(err));
                        return;
                    }
                    self.emit(
                        "MapIterationFailed",
                        vec![
                            ("index", Field::Int(i as i64)),
                            ("name", Field::Name(st.name.clone())),
                        ],
                    );
                }
                // The recordings: TaskFailed, TaskStateAborted,
                // ParallelStateFailed; MapIterationFailed, TaskStateAborted,
                // MapStateFailed.
                if let Some(name) = aborted {
                    let prev = self.frames.last().map(|f| f.last_event).unwrap_or(0);
                    let id = self.emit_raw(prev, "TaskStateAborted", vec![], Some(name));
                    if let Some(f) = self.frames.last_mut() {
                        f.last_event = id;
                    }
                }
                self.set_phase(Phase::Error(e));
            }
        }
    }

    fn task_schedule(&mut self) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let Kind::Task(spec) = &st.kind else {
            unreachable!()
        };
        let input = self.frames.last().unwrap().input.clone();
        let eff = self.select(&st.input_path, &input)?;
        self.frames.last_mut().unwrap().stage.after_input_path = Some(eff.clone());
        let kind = classify(&spec.resource);
        if let ResourceKind::Service {
            pattern: Pattern::Callback,
            ..
        } = kind
        {
            let token = uuid_v4(&mut self.rng);
            self.frames.last_mut().unwrap().task_token = Some(token);
        }
        let params = match (&st.parameters, st.is_jsonata()) {
            (_, true) => {
                let states = self.states_val(&input, None, None, None);
                let mut sess = self.session(states, &[st.arguments.as_ref()], &[]);
                let v =
                    self.j_eval(&mut sess, st.arguments.as_ref(), "Arguments", input.clone())?;
                self.frames.last_mut().unwrap().stage.after_parameters = Some(v.clone());
                v
            }
            (Some(p), false) => {
                let v = self.eval_template(p, &eff, None)?;
                self.frames.last_mut().unwrap().stage.after_parameters = Some(v.clone());
                v
            }
            (None, false) => eff,
        };
        let timeout = match &spec.timeout {
            Some(t) => self.num_value(t, &input, "TimeoutSeconds", false)?,
            None => None,
        };
        let heartbeat = match &spec.heartbeat {
            Some(t) => self.num_value(t, &input, "HeartbeatSeconds", false)?,
            None => None,
        };
        let mut d: Vec<(&'static str, Field)> = Vec::new();
        let t = match &kind {
            ResourceKind::Lambda => {
                d.push(("input", Field::Payload(params.clone())));
                d.push(io_details("inputDetails", &params));
                d.push(("resource", Field::Str(spec.resource.clone())));
                if let Some(t) = timeout {
                    d.push(("timeoutInSeconds", Field::Int(t as i64)));
                }
                "LambdaFunctionScheduled"
            }
            ResourceKind::Activity => {
                d.push(("input", Field::Payload(params.clone())));
                d.push(io_details("inputDetails", &params));
                d.push(("resource", Field::Str(spec.resource.clone())));
                if let Some(t) = timeout {
                    d.push(("timeoutInSeconds", Field::Int(t as i64)));
                }
                if let Some(h) = heartbeat {
                    d.push(("heartbeatInSeconds", Field::Int(h as i64)));
                }
                "ActivityScheduled"
            }
            ResourceKind::Service {
                resource_type,
                resource,
                ..
            } => {
                d.push(("parameters", Field::Payload(params.clone())));
                d.push(("region", Field::Str(self.opts.region.clone())));
                d.push(("resource", Field::Str(resource.clone())));
                d.push(("resourceType", Field::Str(resource_type.clone())));
                if let Some(t) = timeout {
                    d.push(("timeoutInSeconds", Field::Int(t as i64)));
                }
                if let Some(h) = heartbeat {
                    d.push(("heartbeatInSeconds", Field::Int(h as i64)));
                }
                "TaskScheduled"
            }
        };
        self.emit(t, d);
        let f = self.frames.last_mut().unwrap();
        f.task_input = Some(params);
        let whole = |s: Option<f64>| s.map(|s| s.clamp(1.0, MAX_WAIT_SECONDS as f64) as u64);
        f.task_limits = (whole(timeout), whole(heartbeat));
        f.phase = Phase::TaskStarted;
        Ok(())
    }

    fn service_details(&self) -> Vec<(&'static str, Field)> {
        let Kind::Task(spec) = &self.state().kind else {
            return vec![];
        };
        match classify(&spec.resource) {
            ResourceKind::Service {
                resource_type,
                resource,
                ..
            } => {
                vec![
                    ("resource", Field::Str(resource)),
                    ("resourceType", Field::Str(resource_type)),
                ]
            }
            _ => vec![],
        }
    }

    fn task_start(&mut self) -> Result<(), StateError> {
        let Kind::Task(spec) = &self.state().kind else {
            unreachable!()
        };
        let (t, d) = match classify(&spec.resource) {
            ResourceKind::Lambda => ("LambdaFunctionStarted", vec![]),
            ResourceKind::Activity => (
                "ActivityStarted",
                vec![("workerName", Field::Str("asldbg".into()))],
            ),
            ResourceKind::Service { .. } => ("TaskStarted", self.service_details()),
        };
        self.emit(t, d);
        self.set_phase(Phase::TaskRun { submitted: false });
        Ok(())
    }

    fn task_run(&mut self, submitted: bool) -> bool {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let Kind::Task(spec) = &st.kind else {
            unreachable!()
        };
        let kind = classify(&spec.resource);
        let pattern = match &kind {
            ResourceKind::Service { pattern, .. } => *pattern,
            _ => Pattern::RequestResponse,
        };
        if !submitted && pattern != Pattern::RequestResponse {
            let mut d = vec![
                ("output", Field::Payload(Val::empty_obj())),
                ("outputDetails", Field::Json(json!({"truncated": false}))),
            ];
            d.extend(self.service_details());
            self.emit("TaskSubmitted", d);
            self.set_phase(Phase::TaskRun { submitted: true });
            return true;
        }
        let outcome = match self.pending_answer.take() {
            Some(o) => o,
            None => {
                let n = self.task_calls.entry(st.name.to_string()).or_insert(0);
                let invocation = *n;
                *n += 1;
                let f = self.frames.last().unwrap();
                let input = f.task_input.clone().unwrap_or(Val::Null);
                let token = f.task_token.clone();
                let (timeout_seconds, heartbeat_seconds) = f.task_limits;
                self.runner.invoke(&TaskRequest {
                    state: &st.name,
                    resource: &spec.resource,
                    input: &input,
                    invocation,
                    task_token: token.as_deref(),
                    timeout_seconds,
                    heartbeat_seconds,
                })
            }
        };
        let (prefix, extra) = match &kind {
            ResourceKind::Lambda => ("LambdaFunction", vec![]),
            ResourceKind::Activity => ("Activity", vec![]),
            ResourceKind::Service { .. } => ("Task", self.service_details()),
        };
        match outcome {
            TaskOutcome::Pending => {
                self.awaiting = true;
                self.set_phase(Phase::TaskRun { submitted: true });
                return false;
            }
            TaskOutcome::Succeeded(v) => {
                if let Err(e) = self.check_quota(&v) {
                    self.set_phase(Phase::Error(e));
                    return true;
                }
                let mut d = vec![
                    ("output", Field::Payload(v.clone())),
                    io_details("outputDetails", &v),
                ];
                d.extend(extra);
                self.emit(event_name(prefix, "Succeeded"), d);
                self.frames.last_mut().unwrap().stage.result = Some(v.clone());
                self.set_phase(Phase::Finish(v));
            }
            TaskOutcome::Failed { error, cause } => {
                self.frames.last_mut().unwrap().task_failed = true;
                let err = StateError::given(error, cause);
                let mut d = err.fields();
                d.extend(extra);
                self.emit(event_name(prefix, "Failed"), d);
                self.set_phase(Phase::Error(err));
            }
            TaskOutcome::TimedOut { heartbeat } => {
                // The virtual clock shows the wait that timed out.
                let f = self.frames.last_mut().unwrap();
                f.task_failed = true;
                let waited = if heartbeat {
                    f.task_limits.1
                } else {
                    f.task_limits.0
                };
                self.advance_clock(waited.unwrap_or(0) as i64 * 1000);
                let error = if heartbeat {
                    "States.HeartbeatTimeout"
                } else {
                    "States.Timeout"
                };
                let mut d = vec![("error", Field::Str(error.into()))];
                d.extend(extra);
                self.emit(event_name(prefix, "TimedOut"), d);
                self.set_phase(Phase::Error(StateError::new(error, "")));
            }
        }
        true
    }

    fn finish(&mut self, result: Val) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let input = self.frames.last().unwrap().input.clone();
        // The raw result (before ResultSelector), unless a stage recorded it.
        self.frames
            .last_mut()
            .unwrap()
            .stage
            .result
            .get_or_insert_with(|| result.clone());
        if st.is_jsonata() {
            return self.finish_jsonata(st, &input, result);
        }
        let selected = match &st.result_selector {
            Some(t) => {
                let v = self.eval_template(t, &result, None)?;
                self.frames.last_mut().unwrap().stage.after_result_selector = Some(v.clone());
                v
            }
            None => result,
        };
        let assigned = self.eval_assign(&st.assign, &selected)?;
        let after = self.apply_result_path(&st.result_path, &input, selected)?;
        self.frames.last_mut().unwrap().stage.after_result_path = Some(after.clone());
        let out = self.select(&st.output_path, &after)?;
        self.check_quota(&out)?;
        self.exit_state(out, assigned, st.next);
        Ok(())
    }

    fn handle_error(&mut self, err: StateError) {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        // A failed JSONata evaluation is reported first, in its own event.
        if err.error == "States.QueryEvaluationError" && !self.frames.last().unwrap().eval_reported
        {
            self.emit(
                "EvaluationFailed",
                vec![
                    ("cause", Field::Str(err.cause.clone())),
                    ("error", Field::Str(err.error.clone())),
                    ("state", Field::Name(st.name.clone())),
                ],
            );
            let f = self.frames.last_mut().unwrap();
            f.eval_reported = true;
            // The recordings show MapStateFailed after it, started or not.
            if matches!(st.kind, Kind::Map(_)) {
                f.started = true;
            }
            self.set_phase(Phase::Error(err));
            return;
        }
        if err.error != "States.Runtime" {
            if let Some(i) = st
                .retry
                .iter()
                .position(|r| r.errors.iter().any(|p| error_matches(p, &err.error)))
            {
                let r = &st.retry[i];
                let f = self.frames.last_mut().unwrap();
                let attempt = f.retrier_attempts[i];
                if attempt < r.max_attempts {
                    f.retrier_attempts[i] += 1;
                    f.retry_count += 1;
                    let mut delay = r.interval_seconds * r.backoff_rate.powi(attempt as i32);
                    if let Some(cap) = r.max_delay_seconds {
                        delay = delay.min(cap);
                    }
                    if r.jitter_full {
                        delay *= self.rng.unit();
                    }
                    // A delay past the execution's maximum duration cannot
                    // happen before the execution times out.
                    let delay_ms = (delay * 1000.0).min(MAX_CLOCK_STEP_MS as f64) as i64;
                    self.advance_clock(delay_ms);
                    let trace = RetryTrace {
                        retrier: i,
                        error: err.error.clone(),
                        attempt: attempt + 1,
                        delay_ms,
                    };
                    let f = self.frames.last_mut().unwrap();
                    f.stage.retries.push(trace);
                    f.started = false;
                    // A new attempt reports its own failed evaluations.
                    f.eval_reported = false;
                    f.task_failed = false;
                    let restart = match st.kind {
                        Kind::Task(_) => Phase::TaskScheduled,
                        _ => Phase::Body,
                    };
                    self.set_phase(restart);
                    return;
                }
            }
            // Not retried: the error stays on the record of this state.
            self.frames.last_mut().unwrap().stage.error = Some(err.clone());
            if self.emit_state_failed(st, &err) {
                self.set_phase(Phase::Error(err));
                return;
            }
            if let Some((ci, c)) = st
                .catch
                .iter()
                .enumerate()
                .find(|(_, c)| c.errors.iter().any(|p| error_matches(p, &err.error)))
            {
                self.frames.last_mut().unwrap().stage.caught_by = Some(ci);
                let input = self.frames.last().unwrap().input.clone();
                let eo = err.output();
                // What the catcher places: the error output, as the result.
                self.frames.last_mut().unwrap().stage.result = Some(eo.clone());
                let r = if st.is_jsonata() {
                    self.catch_jsonata(c, &input, &err)
                        .map(|(out, assigned)| (assigned, out))
                } else {
                    self.eval_assign(&c.assign, &eo).and_then(|assigned| {
                        let after = self.apply_result_path(&c.result_path, &input, eo.clone())?;
                        self.frames.last_mut().unwrap().stage.after_result_path =
                            Some(after.clone());
                        Ok((assigned, after))
                    })
                };
                match r {
                    Ok((assigned, out)) => {
                        self.exit_state(out, assigned, Some(c.next));
                    }
                    Err(e) => self.end_frame(Err(e)),
                }
                return;
            }
        }
        if self.emit_state_failed(st, &err) {
            self.set_phase(Phase::Error(err));
            return;
        }
        self.frames.last_mut().unwrap().stage.error = Some(err.clone());
        self.push_stage();
        self.end_frame(Err(err));
    }

    /// A Parallel or Map that started and will not be retried writes its
    /// *StateFailed event (not for States.Runtime, which stops at once).
    /// Returns true when it wrote the event (the error is handled next step).
    fn emit_state_failed(&mut self, st: &State, err: &StateError) -> bool {
        let f = self.frames.last_mut().unwrap();
        if !f.started || err.error == "States.Runtime" {
            return false;
        }
        f.started = false;
        match st.kind {
            Kind::Parallel { .. } => self.emit("ParallelStateFailed", vec![]),
            Kind::Map(_) => self.emit("MapStateFailed", vec![]),
            _ => return false,
        };
        true
    }

    fn push_stage(&mut self) {
        let f = self.frames.last_mut().unwrap();
        let stage = std::mem::take(&mut f.stage);
        if self.opts.record_history {
            self.stages.push(stage);
        }
    }

    /// Emit the exited event, apply assignments, and move on.
    fn exit_state(&mut self, out: Val, assigned: Option<Map>, next: Option<StateId>) {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let mut d = vec![
            ("name", Field::Name(st.name.clone())),
            ("output", Field::Payload(out.clone())),
            io_details("outputDetails", &out),
        ];
        if let Some(a) = &assigned {
            let vars: serde_json::Map<String, serde_json::Value> = a
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(to_compact(v))))
                .collect();
            d.push((
                "assignedVariables",
                Field::Json(serde_json::Value::Object(vars)),
            ));
            d.push((
                "assignedVariablesDetails",
                Field::Json(json!({"truncated": false})),
            ));
        }
        self.emit(exited_type(&st.type_name), d);
        let f = self.frames.last_mut().unwrap();
        f.stage.output = Some(out.clone());
        f.stage.assigned = assigned.clone();
        f.stage.next = next.map(|n| def.machines[m].states[n].name.to_string());
        if let Some(a) = assigned {
            for (k, v) in a {
                f.vars.insert(k, v);
            }
        }
        self.push_stage();
        let out = out;
        match next {
            Some(n) => {
                let f = self.frames.last_mut().unwrap();
                f.state = n;
                f.input = out;
                f.phase = Phase::Enter;
                f.task_token = None;
                f.task_input = None;
            }
            _ => self.end_frame(Ok(out)),
        }
    }

    /// End the top frame; the next step reports the result (one event per step).
    fn end_frame(&mut self, r: Result<Val, StateError>) {
        self.set_phase(Phase::End(r));
    }

    fn finish_frame(&mut self, r: Result<Val, StateError>) {
        let f = self.frames.pop().expect("a frame");
        match f.kind {
            FrameKind::Root => match r {
                Ok(v) => {
                    self.emit_raw(
                        f.last_event,
                        "ExecutionSucceeded",
                        vec![
                            ("output", Field::Payload(v.clone())),
                            io_details("outputDetails", &v),
                        ],
                        None,
                    );
                    self.status = Status::Succeeded;
                    self.output = Some(v.clone());
                }
                Err(e) => {
                    self.frames.push(f);
                    self.finish_execution_failed(e);
                }
            },
            kind => {
                if let Some(parent) = self.frames.last_mut() {
                    parent.last_event =
                        parent
                            .last_event
                            .max(if f.silent { 0 } else { f.last_event });
                    // The branch or iteration reported a failed evaluation
                    // already; the Parallel or Map does not report it again.
                    if matches!(&r, Err(e) if e.error == "States.QueryEvaluationError") {
                        parent.eval_reported = true;
                    }
                }
                // A task that failed in a branch or iteration the error
                // leaves is aborted (TaskStateAborted, as AWS records it).
                let aborted = (r.is_err() && f.task_failed)
                    .then(|| self.def.machines[f.machine].states[f.state].name.clone());
                self.child_returned(kind, r, aborted);
            }
        }
    }

    /// Stop the execution from outside, as StopExecution does: it ends
    /// ABORTED (ExecutionAborted, with the error and cause if given).
    pub fn stop(&mut self, error: Option<String>, cause: Option<String>) {
        if self.status != Status::Running {
            return;
        }
        self.frames.clear();
        let e = StateError::given(error, cause);
        // The recordings link ExecutionAborted to no earlier event.
        self.emit_raw(0, "ExecutionAborted", e.fields(), None);
        self.status = Status::Aborted;
        self.awaiting = false;
        if !(e.no_error && e.no_cause) {
            self.error = Some(e);
        }
    }

    fn finish_execution_failed(&mut self, e: StateError) {
        let prev = self
            .frames
            .last()
            .map(|f| f.last_event)
            .unwrap_or(self.event_count);
        self.emit_raw(prev, "ExecutionFailed", e.fields(), None);
        self.status = Status::Failed;
        self.error = Some(e);
        self.frames.clear();
    }
}

/// The execution's ARN: `…:execution:<machine>:<name>` for STANDARD,
/// `…:express:<machine>:<name>:<id>` for EXPRESS (the id derives from the
/// seed, so runs stay reproducible).
fn execution_arn(o: &Options) -> String {
    if o.express {
        let id = crate::asl::intrinsics::uuid_v4(&mut Rng::seeded(o.seed ^ 0x0E79_5E55_0E79_5E55));
        format!(
            "arn:aws:states:{}:{}:express:{}:{}:{id}",
            o.region, o.account, o.state_machine_name, o.execution_name
        )
    } else {
        format!(
            "arn:aws:states:{}:{}:execution:{}:{}",
            o.region, o.account, o.state_machine_name, o.execution_name
        )
    }
}

/// The context object's `Execution` and `StateMachine` members, in the
/// order AWS writes them (express executions cannot be redriven: no
/// `RedriveCount`).
fn run_context(o: &Options, input: &Val) -> (Val, Val) {
    let mut exec = Map::default();
    exec.insert("Id".into(), Val::from(execution_arn(o)));
    exec.insert("Input".into(), input.clone());
    exec.insert(
        "StartTime".into(),
        Val::from(format_millis(o.start_time_ms)),
    );
    exec.insert("Name".into(), Val::from(o.execution_name.as_str()));
    exec.insert(
        "RoleArn".into(),
        Val::from(format!("arn:aws:iam::{}:role/asldbg", o.account)),
    );
    if !o.express {
        exec.insert("RedriveCount".into(), Val::from(0i64));
    }
    let machine = Val::object([
        (
            "Id",
            Val::from(format!(
                "arn:aws:states:{}:{}:stateMachine:{}",
                o.region, o.account, o.state_machine_name
            )),
        ),
        ("Name", Val::from(o.state_machine_name.as_str())),
    ]);
    (Val::obj(exec), machine)
}

fn event_name(prefix: &str, suffix: &str) -> &'static str {
    match (prefix, suffix) {
        ("LambdaFunction", "Succeeded") => "LambdaFunctionSucceeded",
        ("LambdaFunction", "Failed") => "LambdaFunctionFailed",
        ("LambdaFunction", _) => "LambdaFunctionTimedOut",
        ("Activity", "Succeeded") => "ActivitySucceeded",
        ("Activity", "Failed") => "ActivityFailed",
        ("Activity", _) => "ActivityTimedOut",
        (_, "Succeeded") => "TaskSucceeded",
        (_, "Failed") => "TaskFailed",
        _ => "TaskTimedOut",
    }
}

fn entered_type(t: &str) -> &'static str {
    match t {
        "Pass" => "PassStateEntered",
        "Task" => "TaskStateEntered",
        "Choice" => "ChoiceStateEntered",
        "Wait" => "WaitStateEntered",
        "Succeed" => "SucceedStateEntered",
        "Fail" => "FailStateEntered",
        "Parallel" => "ParallelStateEntered",
        _ => "MapStateEntered",
    }
}

fn exited_type(t: &str) -> &'static str {
    match t {
        "Pass" => "PassStateExited",
        "Task" => "TaskStateExited",
        "Choice" => "ChoiceStateExited",
        "Wait" => "WaitStateExited",
        "Succeed" => "SucceedStateExited",
        "Parallel" => "ParallelStateExited",
        _ => "MapStateExited",
    }
}

/// A Choice rule without its `Next`, as compact JSON.
pub fn rule_text(raw: &serde_json::Value) -> String {
    let mut v = raw.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("Next");
        o.remove("Assign");
        o.remove("Output");
        o.remove("Comment");
    }
    serde_json::to_string(&v).unwrap_or_default()
}

/// Size in bytes of the compact JSON text of `v`, without building it.
pub fn payload_size(v: &Val) -> usize {
    // The size each container remembers: a state that passes most of its
    // input on re-measures only what it changed.
    v.json_size()
}

fn parse_csv(text: &str, reader: &ItemReader) -> Result<Vec<Val>, String> {
    let delim = match reader.csv_delimiter.as_deref() {
        None | Some("COMMA") => ',',
        Some("PIPE") => '|',
        Some("SEMICOLON") => ';',
        Some("SPACE") => ' ',
        Some("TAB") => '\t',
        Some(other) => return Err(format!("unknown CSVDelimiter {other}")),
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        let mut row = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                c if c == delim && !quoted => row.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        row.push(cur);
        rows.push(row);
    }
    let headers: Vec<String> = match reader.csv_header_location.as_deref() {
        Some("GIVEN") => reader.csv_headers.clone().unwrap_or_default(),
        _ => {
            if rows.is_empty() {
                return Ok(vec![]);
            }
            rows.remove(0)
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut o = Map::default();
            for (i, h) in headers.iter().enumerate() {
                o.insert(h.clone(), Val::str(r.get(i).cloned().unwrap_or_default()));
            }
            Val::obj(o)
        })
        .collect())
}

#[cfg(test)]
mod tests;
