//! The interpreter. An [`Execution`] is a value: a stack of frames (the main
//! flow, a Parallel branch, a Map iteration) advanced one event at a time by
//! [`Execution::step`]. No recursion hides a nested branch, nothing sleeps:
//! Wait, retry back-off and timeouts move a virtual clock. The same
//! definition, input, task answers, start time and seed give the same history.

mod choice;
mod concurrency;
mod context;
mod error;
mod events;
mod frame;
pub mod history;
mod jsonata_flow;
mod map;
mod path_flow;
mod probe;
mod recover;
mod snapshot;
mod states;
pub mod task;
mod task_state;

pub use concurrency::Strand;
use concurrency::{Children, MAX_INLINE_CONCURRENCY};
use context::run_context;
pub use error::{error_matches, StateError};
pub use events::EventType;
use events::TaskEnd;
use frame::{Frame, FrameKind, Phase, TaskStep};
pub use frame::{RetryTrace, RuleTrace, StageRecord};
pub use probe::{Probe, Retriable};
pub use snapshot::Snapshot;

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

/// The virtual clock's start when none is given: 2024-11-14T22:13:20Z.
pub const DEFAULT_START_MS: i64 = 1_731_622_400_000;

impl Default for Options {
    fn default() -> Self {
        Options {
            start_time_ms: DEFAULT_START_MS,
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
    /// The running branch or iteration gives up its turn (at the next
    /// step), to go on at this virtual time.
    yielded: Option<i64>,
    /// The context object's `Execution` and `StateMachine` members.
    run_context: (Val, Val),
    /// A single state run as TestState runs it.
    probe: Option<Box<Probe>>,
    /// The probed state's error will be retried (the probe stopped).
    retriable: Option<Retriable>,
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
            yielded: None,
            run_context,
            probe: None,
            retriable: None,
        };
        let role = format!("arn:aws:iam::{}:role/asldbg", ex.opts.account);
        ex.emit_raw(
            0,
            EventType::ExecutionStarted,
            vec![
                ("input", Field::Payload(input.clone())),
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

    /// What an expression sees as `$$` now: the running state's context
    /// object, or, with no state running (the execution ended), the part
    /// that stays the same for the whole run (`Execution`, `StateMachine`).
    pub fn context_or_run(&self) -> Val {
        self.context_object().unwrap_or_else(|| {
            Val::object([
                ("Execution", self.run_context.0.clone()),
                ("StateMachine", self.run_context.1.clone()),
            ])
        })
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
    /// A Parallel's or Map's branches or iterations have all ended and the
    /// state is about to deal with their results (or with the error one of
    /// them ended in): whether they were iterations, and how many ran
    /// (None after an error). None elsewhere.
    pub fn at_container_exit(&self) -> Option<(bool, Option<usize>)> {
        let f = self.frames.last()?;
        let st = &self.def.machines[f.machine].states[f.state];
        match (&st.kind, &f.phase) {
            (Kind::Parallel { branches }, Phase::Finish(_)) => Some((false, Some(branches.len()))),
            (Kind::Map(_), Phase::MapDone { results, .. }) => Some((true, Some(results.len()))),
            (Kind::Parallel { .. }, Phase::Error(_)) => Some((false, None)),
            (Kind::Map(_), Phase::Error(_)) => Some((true, None)),
            _ => None,
        }
    }
    /// At a container's exit, what its branches or iterations gave (the
    /// array its ResultSelector and ResultPath are about to take).
    pub fn container_result(&self) -> Option<Val> {
        let f = self.frames.last()?;
        match (&self.def.machines[f.machine].states[f.state].kind, &f.phase) {
            (Kind::Parallel { .. }, Phase::Finish(v)) => Some(v.clone()),
            (Kind::Map(_), Phase::MapDone { results, .. }) => Some(Val::arr(results.clone())),
            _ => None,
        }
    }
    /// True when the current task waits for an answer.
    pub fn waiting_for_task(&self) -> bool {
        matches!(
            self.frames.last().map(|f| &f.phase),
            Some(Phase::Task(TaskStep::Running { .. }))
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
        self.frames.iter().filter_map(|f| f.kind.index()).collect()
    }

    fn emit_raw(
        &mut self,
        prev: u64,
        t: EventType,
        details: Vec<(&'static str, Field)>,
        state: Option<std::sync::Arc<str>>,
    ) -> u64 {
        let frame = if self.opts.record_history {
            self.frame_path()
        } else {
            Vec::new()
        };
        self.emit_in(frame, prev, t, details, state)
    }

    /// An event of the branch or iteration at `frame` (one that is not
    /// running now: a child that ended or is aborted).
    fn emit_in(
        &mut self,
        frame: Vec<usize>,
        prev: u64,
        t: EventType,
        details: Vec<(&'static str, Field)>,
        state: Option<std::sync::Arc<str>>,
    ) -> u64 {
        self.event_count += 1;
        let id = self.event_count;
        if self.opts.record_history {
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
    fn emit(&mut self, t: EventType, details: Vec<(&'static str, Field)>) -> u64 {
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

    /// An event of the top frame linked to `prev` (not to the frame's last
    /// event), which stays the frame's last event.
    /// `child`: the event belongs to that child of the top frame (which
    /// has ended), not to the top frame itself.
    fn emit_linked(
        &mut self,
        prev: u64,
        t: EventType,
        details: Vec<(&'static str, Field)>,
        state: Option<std::sync::Arc<str>>,
        child: Option<usize>,
    ) {
        if self.frames.last().is_some_and(|f| f.silent) {
            let last = self.top().last_event;
            self.emit(t, details);
            self.top_mut().last_event = last;
        } else {
            let mut frame = self.frame_path();
            frame.extend(child);
            self.emit_in(frame, prev, t, details, state);
        }
    }

    fn state(&self) -> &State {
        let f = self.frames.last().expect("a frame");
        &self.def.machines[f.machine].states[f.state]
    }

    fn def_state(&self) -> (Arc<Definition>, MachineId, StateId) {
        let f = self.frames.last().expect("a frame");
        (self.def.clone(), f.machine, f.state)
    }

    pub fn step(&mut self) -> bool {
        if self.status != Status::Running {
            return false;
        }
        if self.frames.is_empty() {
            return false;
        }
        if self.event_count as usize >= self.opts.max_events {
            let e = StateError::new(
                "States.Runtime",
                format!("The execution reached the limit of {} history events (possible infinite loop).", self.opts.max_events),
            );
            self.finish_execution_failed(e);
            return false;
        }
        if let Some(t) = self.yielded.take() {
            self.park(t);
        }
        let r = self.run_top();
        if let Err(e) = r {
            self.set_phase(Phase::Error(e));
        }
        self.check_execution_timeout();
        self.status == Status::Running && !self.awaiting
    }

    /// Run the top frame's phase (a Parallel or Map gives a child its turn).
    fn run_top(&mut self) -> Result<(), StateError> {
        let Some(frame) = self.frames.last() else {
            return Ok(());
        };
        if matches!(frame.phase, Phase::Children(_)) {
            return self.children();
        }
        // Take the phase out (leaving a cheap placeholder) instead of cloning
        // it: Finish and End carry whole payloads.
        let phase = std::mem::replace(&mut self.top_mut().phase, Phase::Body);
        self.run_phase(phase)
    }

    /// Run one phase of the top frame. The phases of a Task, a Map's end
    /// and a Wait's wake-up belong to their state kind: the kind is checked
    /// here, once (a mismatch is an internal error, reported, not a panic).
    fn run_phase(&mut self, phase: Phase) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        match (phase, &st.kind) {
            (Phase::Enter, _) => {
                self.enter();
                Ok(())
            }
            (Phase::Body, _) => self.body(),
            (Phase::Task(step), Kind::Task(spec)) => match step {
                TaskStep::Scheduled => self.task_schedule(st, spec),
                TaskStep::Started => self.task_start(spec),
                TaskStep::Running { submitted } => {
                    self.task_run(st, spec, submitted);
                    Ok(())
                }
            },
            (Phase::Children(c), Kind::Parallel { .. } | Kind::Map(_)) => {
                self.top_mut().phase = Phase::Children(c);
                self.children()
            }
            (Phase::Waiting, Kind::Wait(_)) => self.waited(),
            (Phase::Finish(result), _) => self.finish(result),
            (Phase::Error(e), _) => {
                self.handle_error(e);
                Ok(())
            }
            (Phase::End(r), _) => {
                self.finish_frame(r);
                Ok(())
            }
            (
                Phase::MapDone {
                    results,
                    run_closed,
                },
                Kind::Map(spec),
            ) => {
                if !run_closed {
                    self.emit(EventType::MapRunSucceeded, vec![]);
                    self.set_phase(Phase::MapDone {
                        results,
                        run_closed: true,
                    });
                } else {
                    self.map_done(st, spec, results);
                }
                Ok(())
            }
            (phase, _) => Err(self.runtime(&format!(
                "internal error: the phase {} does not belong to a {} state",
                phase.name(),
                st.type_name
            ))),
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

    /// A Wait state waits until `until`: the main flow's clock moves at
    /// once; a branch or iteration sleeps (true: its siblings run first).
    fn wait_until(&mut self, until: i64) -> Result<bool, StateError> {
        if until.saturating_sub(self.now_ms) > MAX_WAIT_SECONDS * 1000 {
            return Err(self.runtime("Wait state delay is too long."));
        }
        let sleeps = self.frames.len() > 1 && until > self.now_ms;
        self.sleep_until(until);
        Ok(sleeps)
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
            EventType::ExecutionTimedOut,
            vec![("error", Field::Str("States.Timeout".into()))],
            None,
        );
        self.frames.clear();
        true
    }

    /// The frame being run. Every caller runs inside `step`, which returns
    /// early when there is none.
    fn top(&self) -> &Frame {
        self.frames.last().expect("a running execution has a frame")
    }

    fn top_mut(&mut self) -> &mut Frame {
        self.frames
            .last_mut()
            .expect("a running execution has a frame")
    }

    /// The stage record of the state being run.
    fn stage(&mut self) -> &mut StageRecord {
        &mut self.top_mut().stage
    }

    fn set_phase(&mut self, p: Phase) {
        if let Some(f) = self.frames.last_mut() {
            f.phase = p;
        }
    }
}

pub fn payload_size(v: &Val) -> usize {
    // The size each container remembers: a state that passes most of its
    // input on re-measures only what it changed.
    v.json_size()
}

#[cfg(test)]
mod tests;
