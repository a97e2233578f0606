//! One state run on its own, as AWS's TestState API runs it: the state's
//! task (or a Map's or Parallel's children together) answered by a mock,
//! the retries already made given, and the run stopped where the state
//! decides: it goes on to its next state, an error will be retried, is
//! caught, or fails.

use super::*;

/// What a probe is told beyond the state and its input.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// What the state's task gives; for a Map or Parallel, what its
    /// iterations or branches give together (their children do not run).
    pub mock: Option<TaskOutcome>,
    /// Retries already made by the retrier that matches the error.
    pub retrier_retry_count: u64,
    /// Map iterations that failed (checked against the tolerated failures).
    pub map_iteration_failures: u64,
    /// The context object (`$$`) the state sees, whole.
    pub context: Option<Val>,
    /// What a Map's ItemReader reads, as it is in its source.
    pub item_reader_data: Option<Val>,
}

/// An error that the state's retrier will retry: the probe stops there.
#[derive(Debug, Clone, PartialEq)]
pub struct Retriable {
    pub retrier: usize,
    pub delay_ms: i64,
    pub error: StateError,
}

impl Execution {
    /// Run state `state` of machine `machine` on `input` alone (its
    /// variables `vars` set), as TestState does. The run ends when the
    /// state has decided: see [`Execution::retriable`] and the last
    /// [`StageRecord`] of the main flow.
    pub fn probe(
        def: Arc<Definition>,
        (machine, state): (MachineId, StateId),
        input: Val,
        vars: Map,
        probe: Probe,
        runner: Box<dyn TaskRunner>,
        opts: Options,
    ) -> Execution {
        let mut ex = Execution::new(def, input.clone(), runner, opts);
        if let Some(c) = &probe.context {
            let member = |k: &str| c.get(k).filter(|v| v.is_object()).cloned();
            if let (Some(e), Some(m)) = (member("Execution"), member("StateMachine")) {
                ex.run_context = (e, m);
            }
        }
        if let Some(f) = ex.frames.first_mut() {
            f.machine = machine;
            f.state = state;
            f.vars = vars;
        }
        ex.probe = Some(Box::new(probe));
        ex
    }

    /// The error the probed state will retry (the probe stopped there).
    pub fn retriable(&self) -> Option<&Retriable> {
        self.retriable.as_ref()
    }

    /// The probe, when the state running is the probed one (not a child
    /// of a Map or Parallel).
    pub(super) fn probing(&self) -> Option<&Probe> {
        self.probe.as_deref().filter(|_| self.frames.len() == 1)
    }

    /// The context object a probe was given, for the probed state.
    pub(super) fn probe_context(&self) -> Option<&Val> {
        self.probing()?.context.as_ref()
    }

    /// A probed Map or Parallel does not run its children: the mock is
    /// their result, checked against the tolerated failures. `None`: no
    /// mock, the children run.
    pub(super) fn probe_children(
        &self,
        tolerated: Option<f64>,
        tolerated_pct: Option<f64>,
        count: usize,
    ) -> Option<Result<Val, StateError>> {
        let p = self.probing()?;
        let mock = p.mock.as_ref()?;
        let failed = p.map_iteration_failures as f64;
        let over_count = tolerated.is_some_and(|t| failed > t);
        let over_pct =
            tolerated_pct.is_some_and(|t| count > 0 && failed * 100.0 / count as f64 > t);
        if over_count || over_pct {
            return Some(Err(StateError::new(
                "States.ExceedToleratedFailureThreshold",
                "The specified tolerated failure threshold was exceeded",
            )));
        }
        Some(match mock {
            TaskOutcome::Succeeded(v) => Ok(v.clone()),
            TaskOutcome::Failed { error, cause } => {
                Err(StateError::given(error.clone(), cause.clone()))
            }
            TaskOutcome::TimedOut { .. } => Err(StateError::new("States.Timeout", "")),
            TaskOutcome::Pending => {
                Err(StateError::new("States.Runtime", "the mock gave no result"))
            }
        })
    }

    /// A probed state whose error retrier `i` will retry stops here.
    /// Returns true when it stopped.
    pub(super) fn probe_retry(&mut self, i: usize, delay_ms: i64, err: &StateError) -> bool {
        if self.probing().is_none() {
            return false;
        }
        let f = self.top_mut();
        f.stage.retries.push(RetryTrace {
            retrier: i,
            error: err.error.clone(),
            attempt: f.retrier_attempts[i],
            delay_ms,
        });
        f.stage.error = Some(err.clone());
        self.push_stage();
        self.retriable = Some(Retriable {
            retrier: i,
            delay_ms,
            error: err.clone(),
        });
        self.status = Status::Failed;
        self.error = Some(err.clone());
        self.frames.clear();
        true
    }

    /// A probed state that goes on to `next` stops instead: its output is
    /// the run's.
    pub(super) fn probe_exit(&mut self, out: &Val) -> bool {
        if self.probing().is_none() {
            return false;
        }
        self.status = Status::Succeeded;
        self.output = Some(out.clone());
        self.frames.clear();
        true
    }
}
