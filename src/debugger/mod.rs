//! Debugging sessions over the engine: breakpoints, step / over / into /
//! out, continue in bounded slices (so a front end stays responsive and can
//! pause at any moment), restart with the same breakpoints and edits, edits
//! of state data, and answers to tasks that wait for the user.
//!
//! Nothing here knows about the terminal; the TUI only drives this API.

pub mod compare;
pub mod lab;
pub mod moment;
pub mod pipeline;
pub mod saved;
pub mod trace;
pub mod watch;
pub mod whatif;

pub use moment::Moment;

use crate::asl::model::{Definition, MachineId, StateId};
use crate::asl::value::Val;
use crate::engine::task::{TaskOutcome, TaskRunner};
use crate::engine::{Execution, Options, Status};
use std::sync::Arc;

/// Where a breakpoint stops.
#[derive(Debug, Clone, PartialEq)]
pub enum BreakAt {
    /// Entering this state (in any branch or iteration).
    State(MachineId, StateId),
    /// Entering this state in iteration `index` of its Map.
    Iteration(MachineId, StateId, usize),
    /// Any error raised by a state, before Retry/Catch handle it.
    Error,
}

pub struct Breakpoint {
    pub at: BreakAt,
    pub enabled: bool,
    /// A JSONPath (`$.amount`, `$$.Execution.Input`, `$var`) or JSONata
    /// expression over the state input and the variables in scope: stop
    /// only when it is true (a JSONPath: when it selects something other
    /// than `false`, `null` or `[]`). Compiled once, when set.
    pub condition: Option<watch::Watch>,
    /// Stop only on some of the hits: `5` or `>= 5` (from the fifth on),
    /// `> 5`, `== 5`, `% 5` (every fifth).
    pub hit: Option<HitCondition>,
    /// Times the breakpoint's place was reached with its condition true.
    pub hits: u64,
    /// A logpoint: instead of stopping, say this (`{expression}` parts
    /// evaluated as conditions are); [`Session::take_logs`] gives it.
    pub log: Option<String>,
}

impl Breakpoint {
    pub fn new(at: BreakAt) -> Breakpoint {
        Breakpoint {
            at,
            enabled: true,
            condition: None,
            hit: None,
            hits: 0,
            log: None,
        }
    }
}

/// Which hits of a breakpoint stop (DAP's `hitCondition`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HitCondition {
    AtLeast(u64),
    MoreThan(u64),
    Exactly(u64),
    Every(u64),
}

impl HitCondition {
    /// `5`, `>= 5`, `> 5`, `== 5`, `= 5`, `% 5`.
    pub fn parse(text: &str) -> Result<HitCondition, String> {
        let t = text.trim();
        let (op, n) = ["==", ">=", "%", ">", "="]
            .iter()
            .find_map(|op| t.strip_prefix(op).map(|n| (*op, n)))
            .unwrap_or(("", t));
        let n: u64 = n.trim().parse().map_err(|_| {
            format!("hit condition '{t}': expected a count: 5, >= 5, > 5, == 5 or % 5")
        })?;
        Ok(match op {
            "" | ">=" => HitCondition::AtLeast(n),
            ">" => HitCondition::MoreThan(n),
            "==" | "=" => HitCondition::Exactly(n),
            _ if n == 0 => return Err(format!("hit condition '{t}': % 0 never stops")),
            _ => HitCondition::Every(n),
        })
    }

    fn holds(&self, hits: u64) -> bool {
        match *self {
            HitCondition::AtLeast(n) => hits >= n,
            HitCondition::MoreThan(n) => hits > n,
            HitCondition::Exactly(n) => hits == n,
            HitCondition::Every(n) => hits.is_multiple_of(n),
        }
    }
}

/// Whether a condition's value counts as true.
fn truthy(v: &Option<Val>) -> bool {
    match v {
        None | Some(Val::Null) | Some(Val::Bool(false)) => false,
        Some(Val::Arr(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// The step (or step over/out) is done.
    Stepped,
    Breakpoint(usize),
    ErrorRaised,
    /// A task waits for the user's answer.
    TaskPending,
    Finished(Status),
    /// The slice's budget ran out: call again to go on.
    Budget,
    Paused,
}

/// What a running command waits for.
#[derive(Debug, Clone, PartialEq)]
enum Goal {
    /// The next state entry of the branch or iteration the command started
    /// in (deeper, or after it ends, outside): with branches and iterations
    /// running interleaved, a step follows one of them — but never passes
    /// the entry of a state in another branch or iteration that has not
    /// been a stop yet, so every branch and iteration is stepped through.
    Step(Vec<usize>),
    /// The next state entry, in whichever branch or iteration (`i`): every
    /// one in the order the engine runs them. (It started in the branch or
    /// iteration at this path: a container it leaves stops at its exit.)
    Into(Vec<usize>),
    /// The end of the branch or iteration the command started in (`o`):
    /// the next state entry once it has ended — another branch's, the next
    /// iteration's, or after the container.
    Out(Vec<usize>),
    /// The next state entry at depth <= d, in the same branch or iteration.
    Depth(usize, Vec<usize>),
    /// Only breakpoints, errors (when asked) and the end.
    Continue,
    /// Entering this state (or a breakpoint before it).
    RunTo(MachineId, StateId),
}

/// An edit the user made, kept so that a restart can replay it at the same
/// moment of the run: after the same number of engine steps (the engine is
/// deterministic, so that is the same state and visit), in the same state.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    ExecutionInput(Val),
    StateInput {
        /// History length when it was made (where History shows it).
        event: usize,
        step: u64,
        state: String,
        value: Val,
    },
    Variable {
        event: usize,
        step: u64,
        state: String,
        name: String,
        value: Val,
    },
    /// A task answered by hand (a result or an error).
    TaskAnswer {
        event: usize,
        step: u64,
        state: String,
        outcome: TaskOutcome,
    },
}

impl Edit {
    /// The engine step after which the edit applies (None: the execution
    /// input, which a restart starts from).
    pub fn step(&self) -> Option<u64> {
        match self {
            Edit::ExecutionInput(_) => None,
            Edit::StateInput { step, .. }
            | Edit::Variable { step, .. }
            | Edit::TaskAnswer { step, .. } => Some(*step),
        }
    }

    /// Where History shows the edit (its event index).
    pub fn event(&self) -> usize {
        match self {
            Edit::ExecutionInput(_) => 0,
            Edit::StateInput { event, .. }
            | Edit::Variable { event, .. }
            | Edit::TaskAnswer { event, .. } => *event,
        }
    }

    /// One line about the edit, for lists.
    pub fn describe(&self) -> String {
        let short = |v: &Val| v.preview(40);
        match self {
            Edit::ExecutionInput(v) => format!("execution input = {}", short(v)),
            Edit::StateInput { state, value, .. } => {
                format!("input of {state} = {}", short(value))
            }
            Edit::Variable {
                state, name, value, ..
            } => format!("${name} = {} (before {state})", short(value)),
            Edit::TaskAnswer { state, outcome, .. } => match outcome {
                TaskOutcome::Succeeded(v) => format!("task {state} answered {}", short(v)),
                TaskOutcome::Failed { error, .. } => format!(
                    "task {state} failed with {}",
                    error.as_deref().unwrap_or("(no error name)")
                ),
                other => format!("task {state}: {other:?}"),
            },
        }
    }
}

/// What [`Session::reload`] did.
#[derive(Debug, Default)]
pub struct Reloaded {
    /// Breakpoints on states the new definition no longer has.
    pub gone: Vec<String>,
    /// Where the re-run parted from the run before (None: it reached the
    /// same moment through the same events).
    pub diverged: Option<Divergence>,
}

/// The first history event where a re-run differs from the run before.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The event's number (1-based, as History shows it).
    pub event: usize,
    /// What differs, in one line: the event before and now, or the first
    /// field that changed.
    pub why: String,
}

impl Divergence {
    fn between(
        event: usize,
        was: Option<&crate::engine::history::Event>,
        now: Option<&crate::engine::history::Event>,
    ) -> Divergence {
        let label = |e: &crate::engine::history::Event| match &e.state {
            Some(s) => format!("{} ({s})", e.event_type.as_str()),
            None => e.event_type.as_str().to_string(),
        };
        let why = match (was, now) {
            (Some(w), Some(n)) if w.event_type != n.event_type || w.state != n.state => {
                format!("was {}, now {}", label(w), label(n))
            }
            (Some(w), Some(n)) => {
                let (a, b) = (w.to_readable().to_json(), n.to_readable().to_json());
                match crate::asl::json::first_difference(&a, &b) {
                    Some((at, x, y)) => {
                        // `/stateExitedEventDetails/output/x` reads as `output/x`.
                        let at = match at.split_once("EventDetails/") {
                            Some((head, rest)) if !head[1..].contains('/') => rest.to_string(),
                            _ => at,
                        };
                        let show = |v: Option<&serde_json::Value>| {
                            v.map_or("nothing".to_string(), |v| Val::from(v).preview(60))
                        };
                        format!("{} {at}: was {}, now {}", label(n), show(x), show(y))
                    }
                    None => label(n),
                }
            }
            (Some(w), None) => format!("was {}, now the run stops before it", label(w)),
            (None, Some(n)) => format!("now {}", label(n)),
            (None, None) => String::new(),
        };
        Divergence { event, why }
    }
}

pub type RunnerFactory = Box<dyn Fn() -> Box<dyn TaskRunner>>;

pub struct Session {
    def: Arc<Definition>,
    input: Val,
    /// Why the last breakpoint condition could not be evaluated (it then
    /// stops: a condition that fails is not taken as false).
    condition_error: std::cell::RefCell<Option<String>>,
    /// What logpoints said, not yet taken.
    logs: Vec<String>,
    make_runner: RunnerFactory,
    opts: Options,
    exec: Execution,
    breakpoints: Vec<Breakpoint>,
    break_on_error: bool,
    edits: Vec<Edit>,
    /// Edits still to replay in this run (indexes into `edits`, by step).
    pending: Vec<usize>,
    /// Edits a restart could not replay (their state was not there).
    missed: Vec<String>,
    goal: Option<Goal>,
    /// Engine steps taken since the session (re)started.
    steps: u64,
    /// Where the debugger paused (engine steps, frame depth), in order:
    /// the moments `step_back` and `back_over` go back to.
    pauses: Vec<(u64, usize)>,
    /// Each state that has been a stop, in its branch or iteration (frame
    /// path), with the engine step of its first stop: a step does not pass
    /// one that has not (see [`Goal::Step`]).
    stops: std::collections::HashMap<(Vec<usize>, MachineId, StateId, bool), u64>,
    /// The furthest moment reached (engine steps, history events): after
    /// going back it lies ahead, and stepping on replays the run up to it.
    horizon: (u64, usize),
    /// The last edit was made in the past and forked the run: how many
    /// edits of the old future it dropped.
    forked: Option<usize>,
    /// Snapshots of the run every [`SNAPSHOT_EVERY`] engine steps (by step):
    /// going back restores the last one before the moment and replays
    /// only from there.
    snapshots: Vec<(u64, crate::engine::Snapshot)>,
    /// Engine steps between two snapshots (default [`SNAPSHOT_EVERY`]).
    snapshot_every: u64,
    /// What the runner was last told about replaying (None: a new
    /// execution's runner, told nothing yet).
    held: Option<bool>,
}

/// Engine steps between two snapshots: going back replays at most this
/// many (~1 ms), and a snapshot costs the frames, not the history.
pub const SNAPSHOT_EVERY: u64 = 2048;

impl Session {
    pub fn new(
        def: Arc<Definition>,
        input: Val,
        make_runner: RunnerFactory,
        opts: Options,
    ) -> Session {
        // The Stages tab shows the values Choice rules tested.
        let opts = Options {
            trace_choices: true,
            ..opts
        };
        let exec = Execution::new(def.clone(), input.clone(), make_runner(), opts.clone());
        Session {
            def,
            input,
            condition_error: Default::default(),
            logs: Vec::new(),
            make_runner,
            opts,
            exec,
            breakpoints: Vec::new(),
            break_on_error: false,
            edits: Vec::new(),
            pending: Vec::new(),
            missed: Vec::new(),
            goal: None,
            steps: 0,
            pauses: vec![(0, 0)],
            stops: Default::default(),
            horizon: (0, 1),
            forked: None,
            snapshots: Vec::new(),
            snapshot_every: SNAPSHOT_EVERY,
            held: None,
        }
    }

    pub fn definition(&self) -> &Arc<Definition> {
        &self.def
    }

    /// What a front end may read of the run at the moment it stands at.
    pub fn moment(&self) -> Moment<'_> {
        Moment::of(&self.exec)
    }

    pub fn breakpoints(&self) -> &[Breakpoint] {
        &self.breakpoints
    }

    /// Add a breakpoint; its index.
    pub fn add_breakpoint(&mut self, b: Breakpoint) -> usize {
        self.breakpoints.push(b);
        self.breakpoints.len() - 1
    }

    pub fn clear_breakpoints(&mut self) {
        self.breakpoints.clear();
    }

    pub fn remove_breakpoint(&mut self, i: usize) {
        if i < self.breakpoints.len() {
            self.breakpoints.remove(i);
        }
    }

    /// Turn breakpoint `i` off, or on again.
    pub fn toggle_enabled(&mut self, i: usize) {
        if let Some(b) = self.breakpoints.get_mut(i) {
            b.enabled = !b.enabled;
        }
    }

    /// Breakpoint `i` stops only in iteration `n` of its Map (None: on
    /// every visit).
    pub fn set_iteration(&mut self, i: usize, n: Option<usize>) -> Result<(), String> {
        let b = self
            .breakpoints
            .get_mut(i)
            .ok_or_else(|| format!("there is no breakpoint {}", i + 1))?;
        let (m, s) = match b.at {
            BreakAt::State(m, s) | BreakAt::Iteration(m, s, _) => (m, s),
            BreakAt::Error => return Err("an error breakpoint has no iteration".into()),
        };
        b.at = match n {
            Some(n) => BreakAt::Iteration(m, s, n),
            None => BreakAt::State(m, s),
        };
        Ok(())
    }

    /// Stop when a state raises an error, before its Retry and Catch.
    pub fn break_on_error(&self) -> bool {
        self.break_on_error
    }

    pub fn set_break_on_error(&mut self, on: bool) {
        self.break_on_error = on;
    }

    /// The edits made, in the order they were made.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// Edits the last restart could not replay (their state was not there).
    pub fn missed(&self) -> &[String] {
        &self.missed
    }

    /// Engine steps taken since the session (re)started.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The last edit forked the run (it was made in the past): how many
    /// edits of the old future it dropped (told once).
    pub fn take_forked(&mut self) -> Option<usize> {
        self.forked.take()
    }

    /// History events of the furthest moment reached.
    pub fn horizon_events(&self) -> usize {
        self.horizon.1
    }

    /// Engine steps between two snapshots (default [`SNAPSHOT_EVERY`]).
    pub fn set_snapshot_every(&mut self, n: u64) {
        self.snapshot_every = n;
    }

    /// The seed of `States.UUID`, `States.MathRandom`, task tokens and jitter.
    pub fn seed(&self) -> u64 {
        self.opts.seed
    }

    /// Take `edits` (and `seed`) as the session's, from the start: an
    /// execution input among them is the run's input. The run restarts.
    pub fn load_edits(&mut self, edits: Vec<Edit>, seed: Option<u64>) {
        if let Some(seed) = seed {
            self.opts.seed = seed;
        }
        for e in &edits {
            if let Edit::ExecutionInput(v) = e {
                self.input = v.clone();
            }
        }
        self.edits = edits;
        self.snapshots.clear();
        self.pauses = vec![(0, 0)];
        self.horizon = (0, 1);
        self.restart();
    }

    pub fn is_running(&self) -> bool {
        self.goal.is_some()
    }

    /// The running command is a continue (not a step).
    pub fn is_continuing(&self) -> bool {
        matches!(self.goal, Some(Goal::Continue))
    }

    /// Nothing has happened yet (the execution input may still be edited).
    pub fn at_start(&self) -> bool {
        self.steps == 0
    }

    /// Start again from the beginning, with the same breakpoints and the
    /// execution input as edited; every other edit is replayed when the run
    /// reaches the moment it was made.
    pub fn restart(&mut self) {
        self.exec = Execution::new(
            self.def.clone(),
            self.input.clone(),
            (self.make_runner)(),
            self.opts.clone(),
        );
        self.held = None;
        self.goal = None;
        self.steps = 0;
        self.missed.clear();
        for b in &mut self.breakpoints {
            b.hits = 0;
        }
        self.pending = self.pending_after(None);
        self.replay_due();
    }

    /// One engine step, then the edits due and a snapshot. While the next
    /// edit to replay is a task's answer, the task runner is told to start
    /// nothing: the task it answers is the next one the runner would be
    /// asked (every task before it was answered by a mock, or by an edit
    /// that comes first), and it gets the recorded answer instead of a
    /// command run again.
    fn engine_step(&mut self) -> bool {
        let replaying = self
            .pending
            .first()
            .is_some_and(|&i| matches!(self.edits[i], Edit::TaskAnswer { .. }));
        if self.held != Some(replaying) {
            self.exec.hold_tasks(replaying);
            self.held = Some(replaying);
        }
        let progressed = self.exec.step();
        self.steps += 1;
        self.after_step();
        progressed
    }

    /// Apply the edits made at this step of an earlier run.
    fn replay_due(&mut self) {
        while let Some(&i) = self.pending.first() {
            let Some(step) = self.edits[i].step() else {
                self.pending.remove(0);
                continue;
            };
            if step > self.steps {
                return;
            }
            self.pending.remove(0);
            let here = self
                .exec
                .current_state()
                .map(|s| s.name.to_string())
                .unwrap_or_default();
            let edit = self.edits[i].clone();
            let applied = match &edit {
                Edit::StateInput { state, value, .. } if *state == here && step == self.steps => {
                    self.exec.set_current_input(value.clone())
                }
                Edit::Variable {
                    state, name, value, ..
                } if *state == here && step == self.steps => {
                    self.exec.set_variable(name, value.clone());
                    true
                }
                Edit::TaskAnswer { state, outcome, .. }
                    if *state == here && step == self.steps && self.exec.waiting_for_task() =>
                {
                    self.exec.answer_task(outcome.clone());
                    true
                }
                _ => false,
            };
            if !applied {
                self.missed.push(edit.describe());
            }
        }
    }

    /// Edits a restart replays, in the order they apply.
    pub fn replayable(&self) -> Vec<(usize, &Edit)> {
        self.edits
            .iter()
            .enumerate()
            .filter(|(_, e)| e.step().is_some())
            .collect()
    }

    /// Forget edit `i` (a restart no longer replays it).
    pub fn drop_edit(&mut self, i: usize) {
        if i < self.edits.len() {
            // The run from that edit on is another one.
            self.snapshots.clear();
            self.horizon = (self.steps, self.exec.history().len());
            self.edits.remove(i);
            self.pending.retain(|p| *p != i);
            for p in &mut self.pending {
                if *p > i {
                    *p -= 1;
                }
            }
        }
    }

    /// Replace the execution input (restarts the execution).
    pub fn set_execution_input(&mut self, v: Val) {
        self.snapshots.clear();
        self.input = v.clone();
        self.edits.retain(|e| !matches!(e, Edit::ExecutionInput(_)));
        self.edits.push(Edit::ExecutionInput(v));
        self.restart();
    }

    fn here(&self) -> String {
        self.exec
            .current_state()
            .map(|s| s.name.to_string())
            .unwrap_or_default()
    }

    /// Replace the input of the state about to be entered.
    pub fn set_state_input(&mut self, v: Val) -> bool {
        let ok = self.exec.set_current_input(v.clone());
        if ok {
            self.fork();
            self.edits.push(Edit::StateInput {
                event: self.exec.history().len(),
                step: self.steps,
                state: self.here(),
                value: v,
            });
        }
        ok
    }

    pub fn set_variable(&mut self, name: &str, v: Val) {
        self.fork();
        self.exec.set_variable(name, v.clone());
        self.edits.push(Edit::Variable {
            event: self.exec.history().len(),
            step: self.steps,
            state: self.here(),
            name: name.to_string(),
            value: v,
        });
    }

    /// Answer the waiting task by hand (or with what a task command
    /// printed); replaying the run — a restart, going back, a reload —
    /// gives the same answer at the same moment.
    pub fn answer_task_by_hand(&mut self, outcome: TaskOutcome) {
        self.fork();
        self.edits.push(Edit::TaskAnswer {
            event: self.exec.history().len(),
            step: self.steps,
            state: self.here(),
            outcome: outcome.clone(),
        });
        self.exec.answer_task(outcome);
    }

    /// Answer the task that waits (a result or an error).
    pub fn answer_task(&mut self, outcome: TaskOutcome) {
        self.exec.answer_task(outcome);
    }

    pub fn toggle_breakpoint(&mut self, at: BreakAt) {
        match self.breakpoints.iter().position(|b| b.at == at) {
            Some(i) => {
                self.breakpoints.remove(i);
            }
            None => self.breakpoints.push(Breakpoint::new(at)),
        }
    }

    pub fn has_breakpoint(&self, m: MachineId, s: StateId) -> bool {
        self.breakpoints.iter().any(|b| b.enabled && matches!(b.at, BreakAt::State(bm, bs) | BreakAt::Iteration(bm, bs, _) if bm == m && bs == s))
    }

    /// Begin a command; [`Session::run`] carries it out.
    pub fn step(&mut self) {
        self.goal = Some(Goal::Step(self.exec.frame_path()));
    }
    /// The next state that runs, in any branch or iteration.
    pub fn step_into(&mut self) {
        self.goal = Some(Goal::Into(self.exec.frame_path()));
    }
    /// Run a whole Parallel or Map (or any state) as one step.
    pub fn step_over(&mut self) {
        self.goal = Some(Goal::Depth(self.exec.depth(), self.exec.frame_path()));
    }
    /// Run to the end of the current branch or iteration.
    pub fn step_out(&mut self) {
        let path = self.exec.frame_path();
        self.goal = Some(if path.is_empty() {
            // Not in a branch or iteration: out of the whole run's level.
            Goal::Depth(self.exec.depth().saturating_sub(1), path)
        } else {
            Goal::Out(path)
        });
    }
    pub fn continue_run(&mut self) {
        self.goal = Some(Goal::Continue);
    }
    pub fn run_to(&mut self, m: MachineId, s: StateId) {
        self.goal = Some(Goal::RunTo(m, s));
    }
    pub fn pause(&mut self) {
        self.goal = None;
    }

    /// Abort the execution, as StopExecution would (status ABORTED). Done
    /// at a moment gone back to, it drops the old future (as an edit does):
    /// the aborted run is the one shown.
    pub fn stop(&mut self) {
        self.fork();
        self.goal = None;
        self.exec.stop(None, None);
        self.note_horizon();
    }

    /// Set (or with an empty text clear) breakpoint `i`'s condition: a
    /// JSONPath or JSONata expression, compiled now. On a syntax error the
    /// breakpoint is left as it was.
    pub fn set_condition(&mut self, i: usize, text: &str) -> Result<(), String> {
        let t = text.trim();
        let condition = if t.is_empty() {
            None
        } else {
            Some(watch::Watch::new(t)?)
        };
        let b = self
            .breakpoints
            .get_mut(i)
            .ok_or_else(|| format!("there is no breakpoint {}", i + 1))?;
        b.condition = condition;
        Ok(())
    }

    /// The breakpoint that stops at this moment, if any (a run stops at
    /// breakpoints as it enters states; the first state is entered before
    /// any command runs, so a front end that does not pause there asks
    /// here). Counts the hit, and logpoints say their message.
    pub fn check_breakpoint(&mut self) -> Option<usize> {
        self.breakpoint_hit()
    }

    /// What logpoints said since the last call, in order.
    pub fn take_logs(&mut self) -> Vec<String> {
        std::mem::take(&mut self.logs)
    }

    /// The breakpoint that stops here, if any: its place is reached, its
    /// condition holds and its hit count says so. Logpoints reached say
    /// their message and do not stop.
    fn breakpoint_hit(&mut self) -> Option<usize> {
        if !self.exec.at_state_entry() {
            return None;
        }
        let (m, s) = self.exec.current_ids()?;
        let index = self.exec.frame_path().last().copied();
        let mut stop = None;
        for i in 0..self.breakpoints.len() {
            let b = &self.breakpoints[i];
            let here = b.enabled
                && match b.at {
                    BreakAt::State(bm, bs) => bm == m && bs == s,
                    BreakAt::Iteration(bm, bs, n) => bm == m && bs == s && index == Some(n),
                    BreakAt::Error => false,
                };
            if !here || !b.condition.as_ref().is_none_or(|c| self.condition_holds(c)) {
                continue;
            }
            let b = &mut self.breakpoints[i];
            b.hits += 1;
            if !b.hit.is_none_or(|h| h.holds(b.hits)) {
                continue;
            }
            match b.log.clone() {
                Some(text) => {
                    let said = self.interpolate(&text);
                    self.logs.push(said);
                }
                None => {
                    stop.get_or_insert(i);
                }
            }
        }
        stop
    }

    /// A logpoint's message: each `{expression}` replaced by its value
    /// (a string as it is, anything else as JSON); `{{` and `}}` are braces.
    fn interpolate(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find(['{', '}']) {
            out.push_str(&rest[..i]);
            let c = rest.as_bytes()[i];
            if rest[i + 1..].starts_with(c as char) {
                out.push(c as char);
                rest = &rest[i + 2..];
                continue;
            }
            if c == b'}' {
                out.push('}');
                rest = &rest[i + 1..];
                continue;
            }
            let Some(end) = rest[i..].find('}') else {
                out.push_str(&rest[i..]);
                return out;
            };
            let expr = &rest[i + 1..i + end];
            let shown = match watch::Watch::new(expr).and_then(|w| w.eval(&self.moment())) {
                Ok(Some(Val::Str(s))) => s.to_string(),
                Ok(Some(v)) => v.to_json().to_string(),
                Ok(None) => "(nothing)".into(),
                Err(e) => format!("<{expr}: {e}>"),
            };
            out.push_str(&shown);
            rest = &rest[i + end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn condition_holds(&self, c: &watch::Watch) -> bool {
        match c.eval(&self.moment()) {
            Ok(v) => truthy(&v),
            // A condition that cannot be evaluated (it failed, or passed
            // the evaluation budget) stops, saying why, rather than being
            // taken as false and letting the run go on unseen.
            Err(why) => {
                *self.condition_error.borrow_mut() = Some(format!("{}: {why}", c.source));
                true
            }
        }
    }

    /// Why the breakpoint just hit stopped although its condition could
    /// not be evaluated (once).
    pub fn take_condition_error(&self) -> Option<String> {
        self.condition_error.borrow_mut().take()
    }

    /// Whether the state entered now (or the container left now), in its
    /// branch or iteration (`path`), has been a stop before this moment of
    /// the run.
    fn been_a_stop(&self, path: &[usize]) -> bool {
        let Some((m, s)) = self.exec.current_ids() else {
            return true;
        };
        let exit = self.exec.at_container_exit().is_some();
        self.stops
            .get(&(path.to_vec(), m, s, exit))
            .is_some_and(|&at| at < self.steps)
    }

    /// The state entered now (or the container left now) is a stop:
    /// remembered with the moment (a moment gone back before forgets it).
    fn note_stop(&mut self) {
        let exit = self.exec.at_container_exit().is_some();
        if let (true, Some((m, s))) = (self.exec.at_state_entry() || exit, self.exec.current_ids())
        {
            let at = self.steps;
            let e = self
                .stops
                .entry((self.exec.frame_path(), m, s, exit))
                .or_insert(at);
            if *e > at {
                *e = at;
            }
        }
    }

    /// A command that started inside a Parallel's branch or a Map's
    /// iteration (at `start`) stops where the container, its children all
    /// ended, is about to deal with their results: `s`, `i`, `o` and `n`
    /// never go past a container without showing its exit. `s` follows its
    /// own branch out, or stops at any exit not yet a stop.
    fn container_exit_stops(&self, goal: &Goal) -> bool {
        if self.exec.at_container_exit().is_none() {
            return false;
        }
        let here = self.exec.frame_path();
        match goal {
            Goal::Step(start) => {
                start.len() > here.len()
                    && (follows(&here, start)
                        || !self.exec.path_alive(start)
                        || !self.been_a_stop(&here))
            }
            Goal::Into(start) | Goal::Out(start) | Goal::Depth(_, start) => {
                start.len() > here.len() && follows(&here, start)
                    || matches!(goal, Goal::Into(_)) && !self.been_a_stop(&here)
            }
            Goal::Continue | Goal::RunTo(..) => false,
        }
    }

    /// Carry out the current command for at most `budget` engine steps.
    pub fn run(&mut self, budget: u64) -> Stop {
        let stop = self.run_goal(budget);
        if !matches!(stop, Stop::Budget) {
            self.note_pause();
            self.note_stop();
        }
        self.note_horizon();
        stop
    }

    /// Remember this moment as one the user saw (for `step_back`).
    fn note_pause(&mut self) {
        let here = (self.steps, self.exec.depth());
        match self.pauses.binary_search_by_key(&here.0, |p| p.0) {
            Ok(i) => self.pauses[i] = here,
            Err(i) => self.pauses.insert(i, here),
        }
    }

    fn note_horizon(&mut self) {
        if self.steps >= self.horizon.0 {
            self.horizon = (self.steps, self.exec.history().len());
        }
    }

    /// The moment shown and the furthest one reached, in history events,
    /// when the debugger has gone back (None: at the front of the run).
    pub fn behind(&self) -> Option<(usize, usize)> {
        (self.steps < self.horizon.0).then(|| (self.exec.history().len(), self.horizon.1))
    }

    /// Go back (or forward) to `target` engine steps: from the last
    /// snapshot before it (or the start) the run is replayed — same
    /// answers, same edits at the same moments — so every value is as it was
    /// when the run first passed there.
    pub fn travel(&mut self, target: u64) {
        let ahead = target > self.steps;
        self.travel_until(|s| s.steps >= target, ahead, |steps, _| steps <= target);
    }

    /// Apply the edits due at this step, and take a snapshot every
    /// [`SNAPSHOT_EVERY`] steps (once per moment of the run).
    fn after_step(&mut self) {
        if !self.pending.is_empty() {
            self.replay_due();
        }
        if self.steps.is_multiple_of(self.snapshot_every.max(1))
            && self.snapshots.last().is_none_or(|(s, _)| *s < self.steps)
        {
            if let Some(snap) = self.exec.snapshot() {
                self.snapshots.push((self.steps, snap));
            }
        }
    }

    /// Move until `done` holds (or the run ends or waits for an answer no
    /// edit gives): from here when the moment is `ahead`, else from the last
    /// `usable` snapshot (by its steps and history length) or the start.
    fn travel_until(
        &mut self,
        done: impl Fn(&Session) -> bool,
        ahead: bool,
        usable: impl Fn(u64, usize) -> bool,
    ) {
        if !ahead {
            let keep = (self.pauses.clone(), self.horizon, self.forked);
            let from = self
                .snapshots
                .iter()
                .rposition(|(s, snap)| usable(*s, snap.history_len()));
            let restored = from.is_some_and(|i| self.exec.restore(&self.snapshots[i].1));
            if restored {
                self.held = None;
                let steps = self.snapshots[from.unwrap_or(0)].0;
                self.steps = steps;
                self.goal = None;
                self.missed.clear();
                self.pending = self.pending_after(Some(steps));
            } else {
                self.restart();
            }
            (self.pauses, self.horizon, self.forked) = keep;
        }
        self.advance_while(|s| !done(s));
        self.note_horizon();
    }

    /// Step the engine while `go_on` holds, the run goes on and no task
    /// waits for an answer that no edit gives.
    fn advance_while(&mut self, go_on: impl Fn(&Session) -> bool) {
        while go_on(self) && !self.exec.is_done() {
            let progressed = self.engine_step();
            if !progressed && self.exec.waiting_for_task() {
                break;
            }
        }
    }

    /// The edits made after engine step `steps`, in the order they apply.
    fn pending_after(&self, steps: Option<u64>) -> Vec<usize> {
        let mut pending: Vec<usize> = (0..self.edits.len())
            .filter(|i| {
                self.edits[*i]
                    .step()
                    .is_some_and(|s| steps.is_none_or(|after| s > after))
            })
            .collect();
        pending.sort_by_key(|i| (self.edits[*i].step(), *i));
        pending
    }

    /// Back to the moment the debugger paused before this one (one state,
    /// as `s` went). False at the start.
    pub fn step_back(&mut self) -> bool {
        match self.pauses.iter().rev().find(|p| p.0 < self.steps) {
            Some(&(t, _)) => {
                self.travel(t);
                true
            }
            None => false,
        }
    }

    /// Back to the entry of the state entered last before this moment (in
    /// whichever branch or iteration): one state back, however the run got
    /// here. False at the start.
    pub fn state_back(&mut self) -> bool {
        let h = self.exec.history();
        // At a state's entry its StateEntered is not written yet: the last
        // one written is the state before.
        let Some(i) = h
            .iter()
            .rposition(|e| e.event_type.as_str().ends_with("StateEntered"))
        else {
            return false;
        };
        // The moment its state was about to be entered: event i (1-based)
        // the last written, that state's strand's turn, at its entry.
        let (name, frame) = (h[i].state.clone(), h[i].frame.clone());
        self.travel_until(
            move |s| {
                let n = s.exec.history().len();
                n > i
                    || (n == i
                        && s.exec.at_state_entry()
                        && s.exec.current_state().map(|st| &*st.name) == name.as_deref()
                        && s.exec.frame_path() == frame)
            },
            false,
            |_, h| h < i,
        );
        true
    }

    /// Back over a whole Parallel or Map: to the last pause before this one
    /// at this frame depth or above.
    pub fn back_over(&mut self) -> bool {
        let depth = self.exec.depth();
        match self
            .pauses
            .iter()
            .rev()
            .find(|p| p.0 < self.steps && p.1 <= depth)
        {
            Some(&(t, _)) => {
                self.travel(t);
                true
            }
            None => false,
        }
    }

    /// To the moment history event `k` (1-based: `ExecutionStarted` is 1)
    /// was the last one written.
    pub fn travel_to_event(&mut self, k: usize) {
        let k = k.max(1);
        let ahead = k > self.exec.history().len();
        self.travel_until(|s| s.exec.history().len() >= k, ahead, |_, h| h < k);
    }

    /// The variables in scope and the context object as they were when
    /// history event `k` had just been written (the run is moved there and
    /// back: it is deterministic, so it ends where it was).
    pub fn scope_at_event(&mut self, k: usize) -> (Vec<(String, Val, usize)>, Option<Val>) {
        let here = self.steps;
        self.travel_to_event(k);
        let m = self.moment();
        let out = (m.variables(), m.context_object());
        self.travel(here);
        out
    }

    /// One history event back. False at the first.
    pub fn event_back(&mut self) -> bool {
        let n = self.exec.history().len();
        if n <= 1 {
            return false;
        }
        self.travel_to_event(n - 1);
        true
    }

    /// One history event forward (replaying the run where it went before).
    /// False when the run has ended or waits for an answer.
    pub fn event_forward(&mut self) -> bool {
        let n = self.exec.history().len();
        self.advance_while(|s| s.exec.history().len() == n);
        self.note_pause();
        self.note_horizon();
        self.exec.history().len() > n
    }

    /// An edit in the past forks the run: the old future's edits are
    /// dropped (the run goes on from this edit).
    fn fork(&mut self) {
        if self.steps >= self.horizon.0 {
            return;
        }
        let now = self.steps;
        let before = self.edits.len();
        self.edits.retain(|e| e.step().is_none_or(|s| s <= now));
        self.forked = Some(before - self.edits.len());
        self.pending.clear();
        self.pauses.retain(|p| p.0 <= now);
        self.snapshots.retain(|(s, _)| *s <= now);
        self.horizon = (now, self.exec.history().len());
    }

    /// Run `def` in place of the definition: breakpoints follow their
    /// states (by place in the definition, else by name), and the run is
    /// re-executed from the start — same input, seed, answers and edits —
    /// to the moment shown, or only up to the first history event where it
    /// parts from the run before (the old future is dropped either way).
    pub fn reload(&mut self, def: Arc<Definition>) -> Reloaded {
        let mut out = Reloaded::default();
        let old_def = std::mem::replace(&mut self.def, def);
        let new_def = self.def.clone();
        let moved = |m: MachineId, s: StateId| -> Option<(MachineId, StateId)> {
            let st = &old_def.machines[m].states[s];
            new_def
                .machines
                .iter()
                .enumerate()
                .find_map(|(nm, mc)| {
                    mc.states
                        .iter()
                        .position(|n| n.pointer == st.pointer && n.name == st.name)
                        .map(|ns| (nm, ns))
                })
                .or_else(|| new_def.find(&st.name))
                .or_else(|| {
                    // Renamed: at the same place of the same machine stands a
                    // state the old definition did not have, and the old name
                    // is gone.
                    let nm = new_def.machines.get(m)?;
                    let ns = nm.states.get(s)?;
                    let same_shape = nm.states.len() == old_def.machines[m].states.len()
                        && nm.pointer == old_def.machines[m].pointer;
                    (same_shape && old_def.find(&ns.name).is_none()).then_some((m, s))
                })
        };
        self.breakpoints.retain_mut(|b| {
            let (m, s) = match b.at {
                BreakAt::State(m, s) | BreakAt::Iteration(m, s, _) => (m, s),
                BreakAt::Error => return true,
            };
            match moved(m, s) {
                Some((nm, ns)) => {
                    b.at = match b.at {
                        BreakAt::Iteration(_, _, i) => BreakAt::Iteration(nm, ns, i),
                        _ => BreakAt::State(nm, ns),
                    };
                    true
                }
                None => {
                    let name = &old_def.machines[m].states[s].name;
                    out.gone.push(format!("breakpoint on '{name}'"));
                    false
                }
            }
        });
        let target = self.steps;
        let before = std::mem::replace(
            &mut self.exec,
            Execution::new(
                self.def.clone(),
                self.input.clone(),
                (self.make_runner)(),
                self.opts.clone(),
            ),
        );
        let old = before.history();
        self.held = None;
        self.snapshots.clear();
        self.goal = None;
        self.steps = 0;
        self.missed.clear();
        self.pending = self.pending_after(None);
        self.replay_due();
        let mut checked = 0;
        loop {
            let now = self.exec.history();
            while checked < now.len() && checked < old.len() {
                if now[checked] != old[checked] {
                    out.diverged = Some(Divergence::between(
                        checked + 1,
                        Some(&old[checked]),
                        Some(&now[checked]),
                    ));
                    break;
                }
                checked += 1;
            }
            if out.diverged.is_some() || self.steps >= target || self.exec.is_done() {
                break;
            }
            let progressed = self.engine_step();
            if !progressed && self.exec.waiting_for_task() {
                break;
            }
        }
        let now = self.exec.history();
        if out.diverged.is_none() && now.len() < old.len() {
            out.diverged = Some(Divergence::between(
                now.len() + 1,
                Some(&old[now.len()]),
                None,
            ));
        }
        self.edits
            .retain(|e| e.step().is_none_or(|s| s <= self.steps));
        self.pauses.retain(|p| p.0 <= self.steps);
        self.horizon = (self.steps, self.exec.history().len());
        self.forked = None;
        self.note_pause();
        out
    }

    fn run_goal(&mut self, budget: u64) -> Stop {
        let Some(goal) = self.goal.clone() else {
            return Stop::Paused;
        };
        let mut taken = 0;
        loop {
            if self.exec.is_done() {
                self.goal = None;
                return Stop::Finished(self.exec.status());
            }
            if taken >= budget {
                return Stop::Budget;
            }
            let progressed = self.engine_step();
            taken += 1;
            if self.exec.is_done() {
                self.goal = None;
                return Stop::Finished(self.exec.status());
            }
            if !progressed && self.exec.waiting_for_task() {
                self.goal = None;
                return Stop::TaskPending;
            }
            let wants_errors = self.break_on_error
                || self
                    .breakpoints
                    .iter()
                    .any(|b| b.enabled && b.at == BreakAt::Error);
            if wants_errors && self.exec.error_pending().is_some() && !matches!(goal, Goal::Step(_))
            {
                self.goal = None;
                return Stop::ErrorRaised;
            }
            if let Some(i) = self.breakpoint_hit() {
                self.goal = None;
                return Stop::Breakpoint(i);
            }
            if self.container_exit_stops(&goal) {
                self.goal = None;
                return Stop::Stepped;
            }
            if self.exec.at_state_entry() {
                let done = match goal {
                    // Once the branch followed has ended, a sibling's
                    // next state will do.
                    Goal::Step(ref start) => {
                        let path = self.exec.frame_path();
                        follows(&path, start)
                            || !self.exec.path_alive(start)
                            || !self.been_a_stop(&path)
                    }
                    Goal::Into(_) => true,
                    Goal::Out(ref start) => !self.exec.path_alive(start),
                    Goal::Depth(d, ref start) => {
                        self.exec.depth() <= d && follows(&self.exec.frame_path(), start)
                    }
                    Goal::Continue => false,
                    Goal::RunTo(m, s) => self.exec.current_ids() == Some((m, s)),
                };
                if done {
                    self.goal = None;
                    return Stop::Stepped;
                }
            }
        }
    }

    /// Run a command to its end (tests, headless use).
    pub fn run_all(&mut self) -> Stop {
        loop {
            match self.run(u64::MAX) {
                Stop::Budget => continue,
                other => return other,
            }
        }
    }
}

/// A frame at `path` belongs to the branch or iteration at `start`: one is
/// inside the other (the same, deeper, or outside after it ended).
fn follows(path: &[usize], start: &[usize]) -> bool {
    let n = path.len().min(start.len());
    path[..n] == start[..n]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::task::NoRunner;
    use serde_json::json;

    fn session(def: serde_json::Value) -> Session {
        let d = Arc::new(Definition::from_value(&def).unwrap());
        Session::new(
            d,
            Val::from(json!({"xs": [1, 2, 3]})),
            Box::new(|| Box::new(NoRunner) as Box<dyn TaskRunner>),
            Options::default(),
        )
    }

    fn map_machine() -> serde_json::Value {
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "M"},
            "M": {"Type": "Map", "ItemsPath": "$.xs", "Next": "Z",
                  "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}, "Y": {"Type": "Pass", "End": true}}}},
            "Z": {"Type": "Pass", "End": true}}})
    }

    fn name(s: &Session) -> String {
        s.exec
            .current_state()
            .map(|st| st.name.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_breakpoint_follows_its_state_through_a_rename() {
        let mut s = session(map_machine());
        let (m, y) = s.definition().find("Y").unwrap();
        s.toggle_breakpoint(BreakAt::State(m, y));
        let renamed = serde_json::to_string(&map_machine())
            .unwrap()
            .replace("\"Y\"", "\"Why\"");
        let def: serde_json::Value = serde_json::from_str(&renamed).unwrap();
        let r = s.reload(Arc::new(Definition::from_value(&def).unwrap()));
        assert!(r.gone.is_empty(), "{:?}", r.gone);
        assert_eq!(s.breakpoints().len(), 1);
        s.continue_run();
        assert!(matches!(s.run_all(), Stop::Breakpoint(0)));
        assert_eq!(name(&s), "Why");
    }

    #[test]
    fn after_the_end_a_watch_still_sees_the_runs_own_context() {
        let mut s = session(map_machine());
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Finished(Status::Succeeded));
        assert!(s.moment().context_object().is_none());
        // The execution's and the machine's part of `$$` stay the run's.
        let input = watch::Watch::new("$$.Execution.Input.xs").unwrap();
        assert_eq!(
            input.eval(&s.moment()).map(|v| v.map(|v| v.to_json())),
            Ok(Some(json!([1, 2, 3])))
        );
        let name = watch::Watch::new("{% $states.context.StateMachine.Name %}").unwrap();
        assert!(
            matches!(name.eval(&s.moment()), Ok(Some(Val::Str(_)))),
            "{:?}",
            name.eval(&s.moment())
        );
        // No state runs: `$$.State` is not there.
        let state = watch::Watch::new("$$.State.Name").unwrap();
        assert_eq!(state.eval(&s.moment()), Ok(None));
    }

    #[test]
    fn the_moment_says_where_it_stands_in_the_fan_out_and_lists_the_strands() {
        let mut s = session(map_machine());
        assert_eq!(s.moment().fan_out(), "");
        let mut seen = Vec::new();
        while !s.moment().is_done() {
            s.step_into();
            s.run_all();
            if name(&s) == "X" {
                seen.push(s.moment().fan_out());
                // The iteration running is a strand, beside the main flow.
                let strands = s.moment().strands();
                assert!(strands.iter().any(|st| st.path.is_empty() && !st.current));
                let here = strands.iter().find(|st| st.current).unwrap();
                assert_eq!(here.path, s.moment().frame_path());
                assert_eq!(here.stack.len(), 2, "{here:?}");
            }
        }
        assert_eq!(
            seen,
            ["iteration 1 of 3", "iteration 2 of 3", "iteration 3 of 3"]
        );
        // One state back from the end: the last state entered (Z).
        assert!(s.state_back());
        assert_eq!(name(&s), "Z");
        assert!(s.moment().at_state_entry());
        assert!(s.state_back());
        assert_eq!(
            (name(&s), s.moment().frame_path()),
            ("Y".to_string(), vec![2])
        );
    }

    #[test]
    fn restart_replays_state_input_variable_and_task_answer_edits() {
        let def = json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"v": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Arguments": {}, "QueryLanguage": "JSONata", "Next": "Z"},
            "Z": {"Type": "Pass", "Parameters": {"in.$": "$", "v.$": "$v"}, "End": true}}});
        // Tasks wait for the user, as in the debugger.
        let mut s = Session::new(
            Arc::new(Definition::from_value(&def).unwrap()),
            Val::from(json!({"xs": [1, 2, 3]})),
            Box::new(|| {
                Box::new(crate::engine::task::Interactive {
                    inner: Box::new(NoRunner),
                }) as Box<dyn TaskRunner>
            }),
            Options::default(),
        );
        let run = |s: &mut Session| {
            s.step();
            s.run_all()
        };
        run(&mut s); // before B
        assert_eq!(name(&s), "B");
        s.set_state_input(Val::from(json!({"edited": true})));
        s.set_variable("v", Val::from(json!(42)));
        run(&mut s); // before T
        assert_eq!(run(&mut s), Stop::TaskPending);
        s.answer_task_by_hand(TaskOutcome::Succeeded(Val::from(json!({"by": "hand"}))));
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Finished(Status::Succeeded));
        let first = s.exec.output().cloned();
        assert_eq!(
            first.as_ref().map(Val::to_json),
            Some(json!({"in": {"by": "hand"}, "v": 42}))
        );
        // A restart replays all three at their moments: the run ends the
        // same without a question.
        s.restart();
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Finished(Status::Succeeded));
        assert_eq!(s.exec.output().cloned(), first);
        assert!(s.missed.is_empty(), "{:?}", s.missed);
        assert_eq!(s.replayable().len(), 3);
        // Dropped, the task answer is asked for again.
        let i = s
            .edits
            .iter()
            .position(|e| matches!(e, Edit::TaskAnswer { .. }))
            .unwrap();
        s.drop_edit(i);
        s.restart();
        s.continue_run();
        assert_eq!(s.run_all(), Stop::TaskPending);
        // The variable edit was replayed before B ran.
        assert!(s
            .exec
            .variables()
            .iter()
            .any(|(k, v, _)| k == "v" && v.to_json() == json!(42)));
    }

    #[test]
    fn step_visits_every_state_and_over_skips_the_map() {
        // The current state is the one about to run.
        let mut s = session(map_machine());
        assert_eq!(name(&s), "A");
        s.step();
        assert_eq!(s.run_all(), Stop::Stepped);
        assert_eq!(name(&s), "M");
        s.step_over();
        s.run_all();
        assert_eq!(name(&s), "Z");
        assert_eq!(s.exec.depth(), 0);
    }

    #[test]
    fn a_step_follows_its_iteration_while_the_others_run() {
        let mut s = session(
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemsPath": "$.xs",
            "ItemProcessor": {"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                "P": {"Type": "Pass", "End": true}}}}}}),
        );
        s.step();
        s.run_all();
        assert_eq!((name(&s), s.exec.frame_path()), ("W".to_string(), vec![0]));
        // Iterations 1 and 2 enter their Wait while 0 waits: a step stops
        // at each (a state of an iteration not yet a stop is never passed),
        // then follows the iteration it is in.
        let mut stops = Vec::new();
        loop {
            s.step();
            if matches!(s.run_all(), Stop::Finished(_)) {
                break;
            }
            stops.push((name(&s), s.exec.frame_path()));
        }
        let st = |n: &str, i: usize| (n.to_string(), vec![i]);
        assert_eq!(stops[..2], [st("W", 1), st("W", 2)]);
        for i in 0..3 {
            assert!(stops.contains(&st("P", i)), "{stops:?}");
        }
        let entered_w = s
            .exec
            .history()
            .iter()
            .filter(|e| e.event_type == "WaitStateEntered")
            .count();
        assert_eq!(entered_w, 3);
    }

    #[test]
    fn step_into_then_out_of_an_iteration() {
        let mut s = session(map_machine());
        for _ in 0..2 {
            s.step();
            s.run_all();
        }
        assert_eq!(
            (name(&s).as_str(), s.exec.depth(), s.exec.frame_path()),
            ("X", 1, vec![0])
        );
        // Out of iteration 0: the next iteration is where it stops, then
        // the one after, then the Map's exit (its results not yet taken),
        // then the state after it.
        for (want, path, exit) in [
            ("X", vec![1], false),
            ("X", vec![2], false),
            ("M", vec![], true),
        ] {
            s.step_out();
            s.run_all();
            assert_eq!(
                (
                    name(&s).as_str(),
                    s.exec.frame_path(),
                    s.exec.at_container_exit()
                ),
                (want, path, exit.then_some((true, Some(3))))
            );
        }
        assert_eq!(
            s.moment().container_exit().as_deref(),
            Some("its 3 iterations done")
        );
        s.step();
        s.run_all();
        assert_eq!((name(&s).as_str(), s.exec.at_state_entry()), ("Z", true));
        // `n` at an iteration's last state also stops at the exit; from
        // outside, `n` runs the Map whole.
        let mut s = session(map_machine());
        s.step();
        s.run_all();
        s.step_over();
        s.run_all();
        assert_eq!(name(&s), "Z");
    }

    #[test]
    fn breakpoints_on_states_iterations_and_conditions() {
        let mut s = session(map_machine());
        let d = s.definition().clone();
        let inner = d
            .machines
            .iter()
            .position(|m| m.by_name.contains_key("Y"))
            .unwrap();
        let y = d.machines[inner].by_name["Y"];
        s.toggle_breakpoint(BreakAt::Iteration(inner, y, 2));
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Breakpoint(0));
        assert_eq!((name(&s).as_str(), s.exec.frame_path()), ("Y", vec![2]));
        s.breakpoints.clear();
        s.restart();
        s.breakpoints
            .push(Breakpoint::new(BreakAt::State(inner, y)));
        s.set_condition(0, "{% $states.input = 2 %}").unwrap();
        s.continue_run();
        s.run_all();
        assert_eq!(s.exec.current_input().unwrap().to_json(), json!(2));
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Finished(Status::Succeeded));
    }

    #[test]
    fn continue_runs_in_bounded_slices() {
        let mut s = session(
            json!({"StartAt": "L", "States": {"L": {"Type": "Pass", "Next": "C"},
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.never", "IsPresent": false, "Next": "L"}], "Default": "E"},
                "E": {"Type": "Succeed"}}}),
        );
        s.continue_run();
        assert_eq!(s.run(1000), Stop::Budget);
        assert!(s.is_running());
        s.pause();
        assert_eq!(s.run(1000), Stop::Paused);
    }

    #[test]
    fn edits_flow_into_the_run_and_restart_keeps_breakpoints() {
        let mut s = session(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}}),
        );
        s.toggle_breakpoint(BreakAt::State(0, 1));
        s.continue_run();
        s.run_all();
        assert!(s.set_state_input(Val::from(json!({"edited": true}))));
        s.continue_run();
        s.run_all();
        assert_eq!(s.exec.output().unwrap().to_json(), json!({"edited": true}));
        s.set_execution_input(Val::from(json!({"fresh": 1})));
        assert!(s.at_start() && s.has_breakpoint(0, 1));
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Breakpoint(0));
    }

    #[test]
    fn break_on_error_stops_before_catch() {
        let mut s = session(json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
            "C": {"Type": "Pass", "End": true}}}));
        s.break_on_error = true;
        s.continue_run();
        assert_eq!(s.run_all(), Stop::ErrorRaised);
        assert_eq!(s.exec.error_pending().unwrap().error, "States.Runtime");
    }

    #[test]
    fn unmocked_tasks_wait_for_an_answer() {
        use crate::engine::task::Interactive;
        let def = Arc::new(
            Definition::from_value(&json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}))
                .unwrap(),
        );
        let mut s = Session::new(
            def,
            Val::empty_obj(),
            Box::new(|| {
                Box::new(Interactive {
                    inner: Box::new(NoRunner),
                }) as Box<dyn TaskRunner>
            }),
            Options::default(),
        );
        s.continue_run();
        assert_eq!(s.run_all(), Stop::TaskPending);
        s.answer_task(TaskOutcome::Succeeded(Val::from(
            json!({"typed": "by hand"}),
        )));
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Finished(Status::Succeeded));
        assert_eq!(
            s.exec.output().unwrap().to_json(),
            json!({"typed": "by hand"})
        );
    }
}

#[cfg(test)]
mod time_travel_tests {
    use super::*;
    use crate::engine::task::MockRunner;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// The standard bench workloads' shapes (`../shared/bench/gen.py`) at
    /// a size a property test can afford: a Pass chain with paths, a Map of
    /// Choice + Pass, an intrinsics loop, a Parallel of Pass chains, a
    /// payload moved by InputPath/ResultPath/OutputPath.
    fn workload(i: usize) -> (Value, Value) {
        let chain = |n: usize, name: &dyn Fn(usize) -> String, body: &dyn Fn(usize) -> Value| {
            let mut states = serde_json::Map::new();
            for k in 0..n {
                let mut st = body(k);
                if k + 1 == n {
                    st["End"] = json!(true);
                } else {
                    st["Next"] = json!(name(k + 1));
                }
                states.insert(name(k), st);
            }
            json!({"StartAt": name(0), "States": states})
        };
        match i % 5 {
            0 => (
                chain(
                    25,
                    &|k| format!("P{k}"),
                    &|k| json!({"Type": "Pass", "Parameters": {"step": k, "prev.$": "$.last.step", "tag.$": "$.tag"}, "ResultPath": "$.last"}),
                ),
                json!({"tag": "a", "last": {"step": -1}}),
            ),
            1 => (
                json!({"StartAt": "M", "States": {
                    "M": {"Type": "Map", "ItemsPath": "$.items", "ResultSelector": {"r.$": "$"}, "Next": "Count",
                          "ItemProcessor": {"StartAt": "C", "States": {
                              "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericGreaterThanEquals": 50, "Next": "Big"}], "Default": "Small"},
                              "Big": {"Type": "Pass", "Parameters": {"i.$": "$.id", "b": 1}, "End": true},
                              "Small": {"Type": "Pass", "Parameters": {"i.$": "$.id", "b": 0}, "End": true}}}},
                    "Count": {"Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.r)"}, "End": true}}}),
                json!({"items": (0..12).map(|k| json!({"id": k, "v": k * 9 % 100})).collect::<Vec<_>>()}),
            ),
            2 => (
                json!({"StartAt": "Check", "States": {
                    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": 8, "Next": "Work"}], "Default": "Done"},
                    "Work": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "s.$": "States.Format('[{},\"{}\"]', $.i, $.name)", "name.$": "$.name"}, "Next": "Hash"},
                    "Hash": {"Type": "Pass", "Parameters": {"i.$": "$.i", "name.$": "$.name", "obj.$": "States.StringToJson($.s)", "h.$": "States.Hash($.s, 'SHA-256')"}, "Next": "Check"},
                    "Done": {"Type": "Succeed"}}}),
                json!({"i": 0, "name": "c"}),
            ),
            3 => {
                let branches: Vec<Value> = (0..3)
                    .map(|b| {
                        chain(6, &|k| format!("B{b}S{k}"), &|k| {
                            json!({"Type": "Pass", "Parameters": {"b": b, "i": k, "x.$": "$.x"}})
                        })
                    })
                    .collect();
                (
                    json!({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "Branches": branches, "End": true}}}),
                    json!({"x": 1}),
                )
            }
            _ => (
                chain(8, &|k| format!("E{k}"), &|k| {
                    if k % 2 == 0 {
                        json!({"Type": "Pass", "InputPath": "$", "Parameters": {"payload.$": "$.payload", "step": k}, "OutputPath": "$"})
                    } else {
                        json!({"Type": "Pass", "InputPath": "$.payload", "Parameters": {"payload.$": "$"}, "ResultPath": "$.wrapped", "OutputPath": "$.wrapped"})
                    }
                }),
                json!({"payload": {"recs": [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}]}}),
            ),
        }
    }

    /// Machine `i`: a bundled sample (its tasks answered by its mocks) or,
    /// past them, a bench workload.
    fn machine_session(i: usize) -> Session {
        let n = crate::samples::SAMPLES.len();
        let i = i % (n + 5);
        if i < n {
            return sample_session(i);
        }
        let (def, input) = workload(i - n);
        Session::new(
            Arc::new(Definition::from_value(&def).unwrap()),
            Val::from(input),
            Box::new(|| Box::new(crate::engine::task::NoRunner) as Box<dyn TaskRunner>),
            Options::default(),
        )
    }

    /// A session on bundled sample `i`, its tasks answered by its mocks.
    fn sample_session(i: usize) -> Session {
        let s = &crate::samples::SAMPLES[i % crate::samples::SAMPLES.len()];
        let def =
            Arc::new(Definition::from_value(&serde_json::from_str(s.definition).unwrap()).unwrap());
        let input = Val::parse(s.input).unwrap();
        let mocks: Option<Value> = s.mocks.map(|m| serde_json::from_str(m).unwrap());
        let case = s.test_case.unwrap_or_default().to_string();
        let factory: RunnerFactory = Box::new(move || match &mocks {
            Some(m) => Box::new(MockRunner::from_value(m, "mocks", None, &case).unwrap())
                as Box<dyn TaskRunner>,
            None => Box::new(crate::engine::task::NoRunner),
        });
        Session::new(def, input, factory, Options::default())
    }

    /// States in their branch or iteration (frame path, name, and whether
    /// it is a Parallel's or Map's exit rather than a state's entry).
    type Visited = std::collections::BTreeSet<(Vec<usize>, String, bool)>;

    /// Press one key (`s` or `i`) until the run ends (or waits for a task
    /// nobody answers): every state entered, in its branch or iteration,
    /// and the ones that were stops.
    fn stepped_through(i: usize, key: char) -> (Visited, Visited, Stop) {
        let mut s = sample_session(i);
        let mut stops = std::collections::BTreeSet::new();
        let here = |s: &Session| {
            s.exec.current_state().map(|st| {
                let exit = s.exec.at_container_exit().is_some();
                (s.exec.frame_path(), st.name.to_string(), exit)
            })
        };
        stops.extend(here(&s));
        let mut last = Stop::Paused;
        for _ in 0..10_000 {
            match key {
                'i' => s.step_into(),
                _ => s.step(),
            }
            last = s.run_all();
            if matches!(last, Stop::Finished(_) | Stop::TaskPending) {
                break;
            }
            stops.extend(here(&s));
        }
        let entered = s
            .exec
            .history()
            .iter()
            .filter_map(|e| {
                let t = e.event_type.as_str();
                let exit = matches!(t, "ParallelStateExited" | "MapStateExited");
                (t.ends_with("StateEntered") || exit)
                    .then(|| Some((e.frame.clone(), e.state.as_deref()?.to_string(), exit)))?
            })
            .collect();
        (entered, stops, last)
    }

    #[test]
    fn stepping_with_s_or_i_stops_at_every_state_of_every_branch_and_iteration_and_container_exit()
    {
        for (i, sample) in crate::samples::SAMPLES.iter().enumerate() {
            for key in ['s', 'i'] {
                let (entered, stops, last) = stepped_through(i, key);
                let missed: Vec<_> = entered.difference(&stops).collect();
                assert!(
                    missed.is_empty(),
                    "{}: with only {key}, these states ran but were never a stop: {missed:?} \
                     (the run ended {last:?})",
                    sample.name
                );
            }
        }
    }

    /// Everything a moment shows.
    fn moment(s: &Session) -> Value {
        let ex = &s.exec;
        json!({
            "steps": s.steps,
            "history": ex.history().iter().map(|e| e.to_readable().to_json()).collect::<Vec<_>>(),
            "input": ex.current_input().map(Val::to_json),
            "variables": ex.variables().into_iter().map(|(k, v, d)| json!([k, v.to_json(), d])).collect::<Vec<_>>(),
            "context": ex.context_object().map(|c| c.to_json()),
            "clock": ex.now_ms(),
            "status": ex.status().as_str(),
            "output": ex.output().map(Val::to_json),
            "stages": ex.stages().len(),
        })
    }

    /// `s` pressed `n` times (or until the run ends); how many moved it.
    fn steps(s: &mut Session, n: usize) -> usize {
        let mut moved = 0;
        for _ in 0..n {
            let before = s.steps;
            s.step();
            s.run_all();
            if s.steps == before {
                break;
            }
            moved += 1;
        }
        moved
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn forward_n_then_back_m_is_forward_n_minus_m(which in 0usize..64, n in 1usize..40, m in 0usize..40, every in prop_oneof![Just(SNAPSHOT_EVERY), 1u64..6]) {
            let mut a = machine_session(which);
            // Snapshots every few steps, or (the machines are short) none.
            a.snapshot_every = every;
            let moved = steps(&mut a, n);
            let m = m.min(moved);
            for _ in 0..m {
                prop_assert!(a.step_back());
            }
            let mut b = machine_session(which);
            steps(&mut b, moved - m);
            prop_assert_eq!(moment(&a), moment(&b));
            // And forward again replays the same run.
            steps(&mut a, m);
            let mut c = machine_session(which);
            steps(&mut c, moved);
            prop_assert_eq!(moment(&a), moment(&c));
        }
    }

    #[test]
    fn events_back_and_forward_and_a_fork_drops_the_old_future() {
        let mut s = sample_session(0);
        steps(&mut s, 6);
        let front = moment(&s);
        let events = s.exec.history().len();
        assert!(s.event_back());
        assert_eq!(s.exec.history().len(), events - 1);
        assert_eq!(s.behind(), Some((events - 1, events)));
        assert!(s.event_forward());
        assert_eq!(s.exec.history().len(), events);
        // At the front again, the same moment.
        assert_eq!(moment(&s)["history"], front["history"]);
        s.travel_to_event(3);
        assert_eq!(s.exec.history().len(), 3);
        // An edit back there forks: the horizon comes back to here.
        let at = s.steps;
        s.set_variable("x", Val::from(1i64));
        assert_eq!(s.forked, Some(0));
        assert_eq!(s.horizon.0, at);
        assert_eq!(s.behind(), None);
        assert!(s.pauses.iter().all(|p| p.0 <= at));
    }

    #[test]
    fn aborting_in_the_past_makes_that_the_run_shown() {
        let mut s = sample_session(0);
        steps(&mut s, 6);
        s.travel_to_event(3);
        assert!(s.behind().is_some());
        s.stop();
        assert_eq!(
            s.behind(),
            None,
            "the header must not say ⏪ after an abort"
        );
        assert_eq!(s.exec.status(), Status::Aborted);
        assert_eq!(s.exec.history().len(), 4);
    }

    #[test]
    fn going_back_restores_a_snapshot_and_replays_only_from_there() {
        // A loop of 5,000 Pass states' worth of steps.
        let def = Arc::new(
            Definition::from_value(&json!({"StartAt": "L", "States": {
                "L": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "C"},
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 2500, "Next": "L"}], "Default": "E"},
                "E": {"Type": "Succeed"}}}))
            .unwrap(),
        );
        let make = || {
            Session::new(
                def.clone(),
                Val::from(json!({"n": 0})),
                Box::new(|| Box::new(crate::engine::task::NoRunner) as Box<dyn TaskRunner>),
                Options::default(),
            )
        };
        let mut a = make();
        a.snapshot_every = 500;
        a.continue_run();
        a.run_all();
        let end = a.exec.history().len();
        assert!(a.snapshots.len() >= 10, "{} snapshots", a.snapshots.len());
        for k in [end - 1, end / 2, 3, end / 3 + 7] {
            a.travel_to_event(k);
            let mut b = make();
            b.travel_to_event(k);
            assert_eq!(moment(&a), moment(&b), "event {k}");
        }
        // And on to the end again: the same run.
        a.continue_run();
        a.run_all();
        assert_eq!(a.exec.history().len(), end);
        assert_eq!(a.exec.output().map(Val::to_json), Some(json!({"n": 2500})));
    }

    fn reloaded(s: &mut Session, def: Value) -> Reloaded {
        s.reload(Arc::new(Definition::from_value(&def).unwrap()))
    }

    #[test]
    fn a_reload_re_runs_to_the_same_moment_and_keeps_breakpoints_by_state() {
        let (def, _) = workload(0);
        let mut s = machine_session(crate::samples::SAMPLES.len());
        let (m, p) = s.definition().find("P20").unwrap();
        s.toggle_breakpoint(BreakAt::State(m, p));
        steps(&mut s, 6);
        s.set_variable("seen", Val::from(1i64));
        steps(&mut s, 2);
        let before = moment(&s);
        // A later state changes (and one more is added before it in the
        // file): the run up to here is the same, so it reaches this moment.
        let mut changed = def.clone();
        changed["States"]["P22"]["Parameters"]["step"] = json!("changed");
        let r = reloaded(&mut s, changed);
        assert_eq!(r.diverged, None);
        assert!(r.gone.is_empty());
        assert_eq!(moment(&s), before);
        assert_eq!(s.edits.len(), 1, "the edit was replayed");
        assert!(s.missed.is_empty());
        let (m, p) = s.definition().find("P20").unwrap();
        assert!(s.has_breakpoint(m, p));
        // Continuing runs the new definition.
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Breakpoint(0));
        s.continue_run();
        s.run_all();
        let out = s
            .exec
            .history()
            .iter()
            .rev()
            .find_map(|e| match e.detail("output") {
                Some(crate::engine::history::Field::Payload(v))
                    if e.state.as_deref() == Some("P22") =>
                {
                    Some(v.to_json())
                }
                _ => None,
            });
        assert_eq!(out.unwrap()["last"]["step"], json!("changed"));
    }

    #[test]
    fn a_reload_stops_where_the_new_definition_parts_from_the_run() {
        let (def, _) = workload(0);
        let mut s = machine_session(crate::samples::SAMPLES.len());
        let (m, p) = s.definition().find("P9").unwrap();
        s.toggle_breakpoint(BreakAt::State(m, p));
        steps(&mut s, 8);
        let events = s.exec.history().len();
        let mut changed = def.clone();
        changed["States"]["P2"]["Parameters"]["step"] = json!(200);
        // P9 is gone: its breakpoint with it.
        let mut states = changed["States"].as_object().unwrap().clone();
        states.remove("P9");
        states["P8"]["Next"] = json!("P10");
        changed["States"] = Value::Object(states);
        let r = reloaded(&mut s, changed);
        assert_eq!(r.gone, ["breakpoint on 'P9'"]);
        assert!(s.breakpoints.is_empty());
        let d = r.diverged.expect("P2's output differs");
        // ExecutionStarted, then P0, P1 entered/exited (4), P2 entered: its
        // exit is the first event that differs.
        assert_eq!(d.event, 7, "{d:?}");
        assert_eq!(s.exec.history().len(), 7);
        assert!(d.why.contains("PassStateExited (P2)"), "{}", d.why);
        assert!(
            d.why.contains(" output/last/step: was 2, now 200"),
            "{}",
            d.why
        );
        assert!(events > 7);
        assert_eq!(s.behind(), None, "the old future is dropped");
        // A definition where the run takes another way says so.
        let mut other = def.clone();
        other["StartAt"] = json!("Q");
        other["States"]["Q"] = json!({"Type": "Pass", "Next": "P0"});
        let d = reloaded(&mut s, other).diverged.unwrap();
        assert_eq!(d.event, 2);
        assert_eq!(d.why, "was PassStateEntered (P0), now PassStateEntered (Q)");
    }

    /// A runner like a background task command: it starts something (and
    /// counts it) unless held, and leaves the task pending.
    struct Spawner {
        started: std::rc::Rc<std::cell::Cell<usize>>,
        held: bool,
    }

    impl TaskRunner for Spawner {
        fn invoke(&mut self, _req: &crate::engine::task::TaskRequest) -> TaskOutcome {
            if !self.held {
                self.started.set(self.started.get() + 1);
            }
            TaskOutcome::Pending
        }
        fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
            Some(Box::new(Spawner {
                started: self.started.clone(),
                held: self.held,
            }))
        }
        fn hold(&mut self, on: bool) {
            self.held = on;
        }
    }

    #[test]
    fn going_back_over_a_task_a_command_answered_replays_its_answer_without_running_it() {
        let started = std::rc::Rc::new(std::cell::Cell::new(0));
        let count = started.clone();
        let def = json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Z"},
            "Z": {"Type": "Pass", "End": true}}});
        let mut s = Session::new(
            Arc::new(Definition::from_value(&def).unwrap()),
            Val::from(json!({})),
            Box::new(move || {
                Box::new(Spawner {
                    started: count.clone(),
                    held: false,
                }) as Box<dyn TaskRunner>
            }),
            Options::default(),
        );
        s.snapshot_every = 1;
        s.continue_run();
        assert_eq!(s.run_all(), Stop::TaskPending);
        assert_eq!(started.get(), 1);
        // The command's answer, as the front end gives it.
        s.answer_task_by_hand(TaskOutcome::Succeeded(Val::from(json!({"from": "cmd"}))));
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Finished(Status::Succeeded));
        let end = moment(&s);
        // Back to the start and forward again, through snapshots or not.
        s.travel_to_event(2);
        s.continue_run();
        assert_eq!(s.run_all(), Stop::Finished(Status::Succeeded));
        assert_eq!(moment(&s), end);
        s.snapshots.clear();
        s.travel_to_event(3);
        s.travel_to_event(end["history"].as_array().unwrap().len());
        assert_eq!(moment(&s), end);
        assert_eq!(started.get(), 1, "the command ran once");
        // Past the furthest moment reached, a task starts its command again.
        s.drop_edit(0);
        s.restart();
        s.continue_run();
        assert_eq!(s.run_all(), Stop::TaskPending);
        assert_eq!(started.get(), 2);
    }
}
