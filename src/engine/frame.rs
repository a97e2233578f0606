//! Frames (the main flow, a branch, an iteration) and their phases, the
//! stage record each state leaves, and how a state exits and a frame ends.

use super::*;

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
    /// The retrier that matched the error but had no attempts left.
    pub exhausted_retrier: Option<usize>,
    /// Map: MaxConcurrency, ToleratedFailureCount and
    /// ToleratedFailurePercentage as evaluated.
    pub max_concurrency: Option<f64>,
    pub tolerated_count: Option<f64>,
    pub tolerated_percentage: Option<f64>,
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
pub(super) enum FrameKind {
    Root,
    Branch(usize),
    Iteration(usize),
}

impl FrameKind {
    /// The branch or iteration index (None: the main flow).
    pub(super) fn index(&self) -> Option<usize> {
        match self {
            FrameKind::Root => None,
            FrameKind::Branch(i) | FrameKind::Iteration(i) => Some(*i),
        }
    }
}

/// Where a frame stands in its state. A Task's own steps are their own type
/// ([`TaskStep`]); `Children` belongs to Parallel and Map, `Waiting` to Wait,
/// `MapDone` to Map; `run_phase` matches each with its state's kind.
#[derive(Debug, Clone)]
pub(super) enum Phase {
    Enter,
    Body,
    /// A Task between its scheduling and its answer.
    Task(TaskStep),
    /// Parallel/Map: its branches or iterations, run by the scheduler.
    Children(Box<Children>),
    /// A Wait state inside a branch or iteration sleeps until its time
    /// (the scheduler runs the others meanwhile); then it exits.
    Waiting,
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

/// A Task's steps: scheduled, started, then running until it is answered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum TaskStep {
    Scheduled,
    Started,
    Running {
        /// Its call has gone to the runner (or is waiting for a person).
        submitted: bool,
    },
}

impl Phase {
    /// The first phase of a state of `kind` once it is entered (and of
    /// each retry).
    pub(super) fn start(kind: &Kind) -> Phase {
        match kind {
            Kind::Task(_) => Phase::Task(TaskStep::Scheduled),
            _ => Phase::Body,
        }
    }

    pub(super) fn name(&self) -> &'static str {
        match self {
            Phase::Enter => "Enter",
            Phase::Body => "Body",
            Phase::Task(TaskStep::Scheduled) => "TaskScheduled",
            Phase::Task(TaskStep::Started) => "TaskStarted",
            Phase::Task(TaskStep::Running { .. }) => "TaskRunning",
            Phase::Children(_) => "Children",
            Phase::Waiting => "Waiting",
            Phase::Finish(_) => "Finish",
            Phase::Error(_) => "Error",
            Phase::End(_) => "End",
            Phase::MapDone { .. } => "MapDone",
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Frame {
    pub(super) machine: MachineId,
    pub(super) state: StateId,
    pub(super) input: Val,
    pub(super) phase: Phase,
    pub(super) vars: Map,
    pub(super) isolated: bool,
    pub(super) silent: bool,
    pub(super) kind: FrameKind,
    pub(super) last_event: u64,
    pub(super) entered_event: u64,
    pub(super) entered_ms: i64,
    pub(super) retry_count: u64,
    pub(super) retrier_attempts: Vec<u64>,
    pub(super) task_input: Option<Val>,
    pub(super) task_token: Option<String>,
    /// The running task's TimeoutSeconds and HeartbeatSeconds, evaluated.
    pub(super) task_limits: (Option<u64>, Option<u64>),
    /// The Parallel/Map state has written its *StateStarted event.
    pub(super) started: bool,
    /// An EvaluationFailed event has been written for the current error.
    pub(super) eval_reported: bool,
    /// The state's task reported a failure (TaskFailed, TaskTimedOut, …): if
    /// the error leaves a branch or iteration, the task is aborted.
    pub(super) task_failed: bool,
    pub(super) stage: StageRecord,
}

impl Frame {
    pub(super) fn new(
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
    pub(super) fn push_stage(&mut self) {
        let f = self.top_mut();
        let stage = std::mem::take(&mut f.stage);
        if self.opts.record_history {
            self.stages.push(stage);
        }
    }

    /// Emit the exited event, apply assignments, and move on.
    pub(super) fn exit_state(&mut self, out: Val, assigned: Option<Map>, next: Option<StateId>) {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let mut d = vec![
            ("name", Field::Name(st.name.clone())),
            ("output", Field::Payload(out.clone())),
        ];
        // An empty Assign leaves no trace in the history (recorded on AWS).
        if let Some(a) = assigned.as_ref().filter(|a| !a.is_empty()) {
            let vars: serde_json::Map<String, serde_json::Value> = a
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(to_compact(v))))
                .collect();
            d.push((
                "assignedVariables",
                Field::Json(Box::new(serde_json::Value::Object(vars))),
            ));
            d.push((
                "assignedVariablesDetails",
                Field::Json(Box::new(json!({"truncated": false}))),
            ));
        }
        self.emit(EventType::exited(&st.kind), d);
        let f = self.top_mut();
        f.stage.output = Some(out.clone());
        f.stage.assigned = assigned.clone();
        f.stage.next = next.map(|n| def.machines[m].states[n].name.to_string());
        if let Some(a) = assigned {
            for (k, v) in a {
                f.vars.insert(k, v);
            }
        }
        self.push_stage();
        if next.is_some() && self.probe_exit(&out) {
            return;
        }
        match next {
            Some(n) => {
                let f = self.top_mut();
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
    pub(super) fn end_frame(&mut self, r: Result<Val, StateError>) {
        self.set_phase(Phase::End(r));
    }

    pub(super) fn finish_frame(&mut self, r: Result<Val, StateError>) {
        let f = self.frames.pop().expect("a frame");
        match f.kind {
            FrameKind::Root => match r {
                Ok(v) => {
                    self.emit_raw(
                        f.last_event,
                        EventType::ExecutionSucceeded,
                        vec![("output", Field::Payload(v.clone()))],
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
        self.emit_raw(0, EventType::ExecutionAborted, e.fields(), None);
        self.status = Status::Aborted;
        self.awaiting = false;
        if !(e.no_error && e.no_cause) {
            self.error = Some(e);
        }
    }

    pub(super) fn finish_execution_failed(&mut self, e: StateError) {
        let prev = self
            .frames
            .last()
            .map(|f| f.last_event)
            .unwrap_or(self.event_count);
        self.emit_raw(prev, EventType::ExecutionFailed, e.fields(), None);
        self.status = Status::Failed;
        self.error = Some(e);
        self.frames.clear();
    }
}
