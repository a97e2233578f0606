//! Snapshots of a running execution, for going back in time: everything
//! but the history, the stage records and the child events, which are
//! kept as lengths — the run that goes on from a snapshot writes the same
//! ones again (the engine is deterministic), so restoring one truncates
//! them instead of copying them.

use super::*;

/// A moment of an execution to come back to (see [`Execution::snapshot`]).
pub struct Snapshot {
    exec: Box<Execution>,
    history: usize,
    stages: usize,
    child_events: usize,
}

impl Snapshot {
    /// History events written when it was taken.
    pub fn history_len(&self) -> usize {
        self.history
    }
}

impl Execution {
    /// While `on`, tasks are answered by what the debugger replays: the
    /// runner starts nothing with side effects ([`TaskRunner::hold`]).
    pub fn hold_tasks(&mut self, on: bool) {
        self.runner.hold(on);
    }

    /// This moment, to come back to; None when the task runner cannot be
    /// copied.
    pub fn snapshot(&self) -> Option<Snapshot> {
        let runner = self.runner.snapshot()?;
        Some(Snapshot {
            exec: Box::new(self.copy_with(runner, Vec::new(), Vec::new(), Vec::new())),
            history: self.history.len(),
            stages: self.stages.len(),
            child_events: self.child_events.len(),
        })
    }

    /// Come back to `snap`, taken earlier in this same run. False (nothing
    /// changed) when this run has not written as much as it had then.
    pub fn restore(&mut self, snap: &Snapshot) -> bool {
        if self.history.len() < snap.history
            || self.stages.len() < snap.stages
            || self.child_events.len() < snap.child_events
        {
            return false;
        }
        let Some(runner) = snap.exec.runner.snapshot() else {
            return false;
        };
        let mut history = std::mem::take(&mut self.history);
        history.truncate(snap.history);
        let mut stages = std::mem::take(&mut self.stages);
        stages.truncate(snap.stages);
        let mut child_events = std::mem::take(&mut self.child_events);
        child_events.truncate(snap.child_events);
        *self = snap.exec.copy_with(runner, history, stages, child_events);
        true
    }

    fn copy_with(
        &self,
        runner: Box<dyn TaskRunner>,
        history: Vec<Event>,
        stages: Vec<StageRecord>,
        child_events: Vec<Event>,
    ) -> Execution {
        Execution {
            def: self.def.clone(),
            runner,
            opts: self.opts.clone(),
            input: self.input.clone(),
            frames: self.frames.clone(),
            history,
            event_count: self.event_count,
            now_ms: self.now_ms,
            rng: self.rng.clone(),
            status: self.status,
            output: self.output.clone(),
            error: self.error.clone(),
            task_calls: self.task_calls.clone(),
            stages,
            child_events,
            pending_answer: self.pending_answer.clone(),
            transitions: self.transitions,
            awaiting: self.awaiting,
            yielded: self.yielded,
            run_context: self.run_context.clone(),
            probe: self.probe.clone(),
            retriable: self.retriable.clone(),
        }
    }
}
