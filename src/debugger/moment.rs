//! [`Moment`]: what a front end may read of the run at the moment the
//! debugger stands at — the history, the stage records, the state about to
//! run and the strands (branches, iterations) it runs in, the variables in
//! scope, the context object, the task that waits. Read-only: every change
//! goes through [`super::Session`]'s methods, so that a restart, going back
//! or a reload replays it.

use crate::asl::model::{Definition, MachineId, State, StateId};
use crate::asl::value::Val;
use crate::engine::history::Event;
use crate::engine::{Execution, StageRecord, StateError, Status, Strand};
use std::sync::Arc;

#[derive(Clone, Copy)]
pub struct Moment<'a> {
    exec: &'a Execution,
}

impl<'a> Moment<'a> {
    pub(super) fn of(exec: &'a Execution) -> Moment<'a> {
        Moment { exec }
    }
    pub fn definition(&self) -> &'a Arc<Definition> {
        self.exec.definition()
    }
    pub fn status(&self) -> Status {
        self.exec.status()
    }
    /// The execution's output, once it succeeded.
    pub fn output(&self) -> Option<&'a Val> {
        self.exec.output()
    }
    /// The execution's error, once it failed.
    pub fn error(&self) -> Option<&'a StateError> {
        self.exec.error()
    }
    pub fn history(&self) -> &'a [Event] {
        self.exec.history()
    }
    /// Events of Distributed Map iterations (child executions).
    pub fn child_events(&self) -> &'a [Event] {
        self.exec.child_events()
    }
    /// What each stage of each state's processing gave, in run order.
    pub fn stages(&self) -> &'a [StageRecord] {
        self.exec.stages()
    }
    /// The virtual clock (ms since the epoch).
    pub fn now_ms(&self) -> i64 {
        self.exec.now_ms()
    }
    pub fn is_done(&self) -> bool {
        self.exec.is_done()
    }
    /// Frame depth of the state about to run (0 = main flow).
    pub fn depth(&self) -> usize {
        self.exec.depth()
    }
    /// The state about to run (or running) in the current strand.
    pub fn current_state(&self) -> Option<&'a State> {
        self.exec.current_state()
    }
    pub fn current_ids(&self) -> Option<(MachineId, StateId)> {
        self.exec.current_ids()
    }
    /// The error the current state is about to handle (before Retry/Catch).
    pub fn error_pending(&self) -> Option<&'a StateError> {
        self.exec.error_pending()
    }
    /// Variables in scope, innermost first (name, value, scope depth).
    pub fn variables(&self) -> Vec<(String, Val, usize)> {
        self.exec.variables()
    }
    pub fn lookup_var(&self, name: &str) -> Option<Val> {
        self.exec.lookup_var(name)
    }
    /// `$$` as the current state sees it.
    pub fn context_object(&self) -> Option<Val> {
        self.exec.context_object()
    }
    /// `$$` for an expression typed now: the running state's, or the run's
    /// own part once it ended.
    pub fn context_or_run(&self) -> Val {
        self.exec.context_or_run()
    }
    /// The input of the task waiting for an answer.
    pub fn pending_task_input(&self) -> Option<&'a Val> {
        self.exec.pending_task_input()
    }
    pub fn task_token(&self) -> Option<&'a str> {
        self.exec.task_token()
    }
    pub fn execution_input(&self) -> &'a Val {
        self.exec.execution_input()
    }
    /// The raw input of the current state.
    pub fn current_input(&self) -> Option<&'a Val> {
        self.exec.current_input()
    }
    /// The next step enters a state.
    pub fn at_state_entry(&self) -> bool {
        self.exec.at_state_entry()
    }
    /// A Parallel or Map whose branches or iterations have all ended, about
    /// to deal with their results: `3 iterations done`, `2 branches done`,
    /// `a branch failed` (None elsewhere).
    pub fn container_exit(&self) -> Option<String> {
        let (iterations, n) = self.exec.at_container_exit()?;
        let what = if iterations { "iteration" } else { "branch" };
        Some(match n {
            Some(1) => format!("its 1 {what} done"),
            Some(n) if iterations => format!("its {n} iterations done"),
            Some(n) => format!("its {n} branches done"),
            None if iterations => "an iteration failed".into(),
            None => "a branch failed".into(),
        })
    }
    /// At a container's exit, the array its branches or iterations gave.
    pub fn container_result(&self) -> Option<Val> {
        self.exec.container_result()
    }
    /// A task waits for the user's answer.
    pub fn waiting_for_task(&self) -> bool {
        self.exec.waiting_for_task()
    }
    /// Branch / iteration indexes from the main flow to the current strand.
    pub fn frame_path(&self) -> Vec<usize> {
        self.exec.frame_path()
    }
    /// Every strand running (main flow, branches, iterations), in path order.
    pub fn strands(&self) -> Vec<Strand> {
        self.exec.strands()
    }
    /// Where the current strand stands in the fan-outs around it, innermost
    /// first: `branch 2 of 2`, `iteration 3 of 3, in branch 1 of 2`
    /// (empty in the main flow).
    pub fn fan_out(&self) -> String {
        let parts: Vec<String> = self
            .exec
            .fan_out()
            .into_iter()
            .rev()
            .map(|(iteration, i, n)| {
                let what = if iteration { "iteration" } else { "branch" };
                format!("{what} {} of {n}", i + 1)
            })
            .collect();
        parts.join(", in ")
    }

    /// The state about to run with its branch/iteration path, as the
    /// debugger names it (`Verify address [1]`; `(end)` once it has ended).
    pub fn label(&self) -> String {
        let mut name = self
            .current_state()
            .map(|s| s.name.to_string())
            .unwrap_or_else(|| "(end)".into());
        let path = self.frame_path();
        if !path.is_empty() {
            name.push(' ');
            name.push_str(&crate::engine::history::path_label(&path));
        }
        name
    }
}
