//! What an execution has done so far, read from its history events:
//! visited, failed and caught states, visit counts and the transitions
//! taken. Incremental, so that a debugger can feed it each new slice of a
//! long run; the same bookkeeping marks the graph in the TUI and in
//! `asldbg run --graph`.

use crate::asl::model::{Definition, MachineId, StateId};
use crate::engine::history::Event;
use crate::graph::Marks;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub marks: Marks,
    /// Per machine: the last state its running frame left, and that frame's
    /// branch/iteration path (branches and iterations run one after another,
    /// so one frame per machine is live at a time).
    last_exit: Vec<Option<(StateId, Vec<usize>)>>,
    /// Events absorbed so far.
    seen: usize,
    /// Events of Distributed Map iterations absorbed so far.
    seen_child: usize,
    /// Attempts of the state each frame runs (its task scheduled, its
    /// branches or iterations started): a retry is a further attempt.
    attempts: std::collections::HashMap<((MachineId, StateId), Vec<usize>), u32>,
    /// States entered and not yet exited, in the order entered: a state
    /// that fails with no event of its own (a Pass's path, a Choice with no
    /// match) is the last of them when the execution fails.
    open: Vec<(MachineId, StateId)>,
}

impl std::ops::Deref for Trace {
    type Target = Marks;
    fn deref(&self) -> &Marks {
        &self.marks
    }
}

impl Trace {
    /// The transition under way: from the state the frame at `path` left
    /// last to `next`, the state it is about to enter.
    pub fn arriving(
        &self,
        next: (MachineId, StateId),
        path: &[usize],
    ) -> Option<(MachineId, StateId, StateId)> {
        match self.last_exit.get(next.0)? {
            Some((prev, frame)) if frame == path => Some((next.0, *prev, next.1)),
            _ => None,
        }
    }

    /// Take in the events after the ones seen so far (a shorter history, after
    /// a restart or an edit, starts over).
    pub fn absorb(&mut self, def: &Definition, history: &[Event]) {
        if history.len() < self.seen {
            *self = Trace::default();
        }
        let from = self.seen;
        self.take(def, &history[from..]);
        self.seen = history.len();
    }

    /// Take in the events of Distributed Map iterations (their child
    /// executions) after the ones seen so far, so that the states they ran
    /// are marked like those of inline iterations.
    pub fn absorb_children(&mut self, def: &Definition, children: &[Event]) {
        if children.len() < self.seen_child {
            self.seen_child = 0;
        }
        let from = self.seen_child;
        self.take(def, &children[from..]);
        self.seen_child = children.len();
    }

    fn take(&mut self, def: &Definition, events: &[Event]) {
        // Events share their state's name (one Arc per state): remember the
        // last one looked up, so a long run does not hash every name.
        let mut last: Option<(Arc<str>, (MachineId, StateId))> = None;
        let m = &mut self.marks;
        for e in events {
            if e.event_type == "ExecutionFailed" {
                if let Some(id) = self.open.last() {
                    m.failed.insert(*id);
                }
                continue;
            }
            let Some(name) = &e.state else { continue };
            let id = match &last {
                Some((n, id)) if Arc::ptr_eq(n, name) => *id,
                _ => {
                    let Some(id) = def.find(name) else { continue };
                    last = Some((name.clone(), id));
                    id
                }
            };
            let attempt = e.event_type.as_str().ends_with("Scheduled")
                || e.event_type == "ParallelStateStarted"
                || e.event_type == "MapStateStarted";
            if attempt {
                let n = self.attempts.entry((id, e.frame.clone())).or_default();
                *n += 1;
                // A retry runs the state again: it counts as a visit (×N).
                if *n > 1 {
                    *m.visits.entry(id).or_default() += 1;
                }
            }
            if e.event_type.as_str().ends_with("StateEntered") {
                self.open.push(id);
                self.attempts.remove(&(id, e.frame.clone()));
                m.visited.insert(id);
                *m.visits.entry(id).or_default() += 1;
                // The edge from the state this frame left last.
                if let Some(Some((prev, frame))) = self.last_exit.get_mut(id.0).map(Option::take) {
                    if frame == e.frame {
                        m.taken.insert((id.0, prev, id.1));
                    }
                }
            }
            if e.event_type.as_str().ends_with("StateExited") {
                if let Some(i) = self.open.iter().rposition(|o| *o == id) {
                    self.open.remove(i);
                }
                if self.last_exit.len() <= id.0 {
                    self.last_exit.resize(id.0 + 1, None);
                }
                self.last_exit[id.0] = Some((id.1, e.frame.clone()));
            }
            // Map iterations fail and succeed on their own (tolerated
            // failures); only the state's own events count here.
            if e.event_type.as_str().starts_with("MapIteration") {
                continue;
            }
            if e.event_type.as_str().ends_with("Failed") || e.event_type == "FailStateEntered" {
                m.failed.insert(id);
            }
            // A retry that succeeds clears the failure.
            if e.event_type.as_str().ends_with("Succeeded") {
                m.failed.remove(&id);
            }
            // A state that still has a failure when it exits was caught.
            if e.event_type.as_str().ends_with("StateExited") && m.failed.remove(&id) {
                m.caught.insert(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::value::Val;
    use crate::engine::task::{TaskOutcome, TaskRequest, TaskRunner};
    use crate::engine::{Execution, Options};
    use serde_json::json;

    /// Fails each task's first call, then succeeds.
    struct FlakyOnce(std::collections::HashSet<String>);
    impl TaskRunner for FlakyOnce {
        fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
            if self.0.insert(req.state.to_string()) {
                TaskOutcome::failed("Flaky", "first call")
            } else {
                TaskOutcome::Succeeded(Val::from(json!({})))
            }
        }
    }

    fn trace_of(def: serde_json::Value, input: serde_json::Value) -> (Definition, Trace) {
        let d = Definition::from_value(&def).unwrap();
        let mut ex = Execution::new(
            Arc::new(d.clone()),
            Val::from(input),
            Box::new(FlakyOnce(Default::default())),
            Options::default(),
        );
        ex.run();
        let mut t = Trace::default();
        // Two halves, as a debugger absorbs slices.
        let h = ex.history();
        t.absorb(&d, &h[..h.len() / 2]);
        t.absorb(&d, h);
        (d, t)
    }

    #[test]
    fn a_state_that_fails_with_no_event_of_its_own_is_marked_failed() {
        for def in [
            // A Pass whose path is not in its input.
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}),
            // A Choice no rule matches, with no Default.
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "C"}]},
                "C": {"Type": "Succeed"}}}),
        ] {
            let (d, t) = trace_of(def, json!({"n": 2}));
            let b = d.find("B").unwrap();
            let a = d.find("A").unwrap();
            assert!(t.failed.contains(&b), "{:?}", t.marks);
            assert!(!t.failed.contains(&a));
        }
    }

    #[test]
    fn a_retried_task_that_succeeds_is_neither_failed_nor_caught() {
        let (d, t) = trace_of(
            json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 1}], "End": true}}}),
            json!({}),
        );
        let id = (0, d.machines[0].by_name["T"]);
        assert!(t.visited.contains(&id));
        assert!(!t.failed.contains(&id) && !t.caught.contains(&id));
        // The first attempt and the retry: ×2 on the graph.
        assert_eq!(t.visits[&id], 2, "a retry runs the state again");
    }

    #[test]
    fn distributed_map_iterations_are_marked_like_inline_ones() {
        let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}}}});
        let d = std::sync::Arc::new(Definition::from_value(&def).unwrap());
        let mut ex = Execution::new(
            d.clone(),
            Val::from(json!([1, 2, 3])),
            Box::new(FlakyOnce(Default::default())),
            Options::default(),
        );
        ex.run();
        let mut t = Trace::default();
        t.absorb(&d, ex.history());
        let inner = d
            .machines
            .iter()
            .position(|m| m.by_name.contains_key("A"))
            .unwrap();
        let a = (inner, d.machines[inner].by_name["A"]);
        assert!(
            !t.visited.contains(&a),
            "child executions write no parent events"
        );
        t.absorb_children(&d, ex.child_events());
        assert!(t.visited.contains(&a));
        assert_eq!(t.visits[&a], 3);
    }

    #[test]
    fn map_iterations_take_only_their_own_transitions() {
        let (d, t) = trace_of(
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                "ItemProcessor": {"StartAt": "A", "States": {
                    "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}}}}}),
            json!([1, 2, 3]),
        );
        let p = d.machines.len() - 1;
        let (a, b) = (d.machines[p].by_name["A"], d.machines[p].by_name["B"]);
        assert!(t.taken.contains(&(p, a, b)));
        assert!(
            !t.taken.contains(&(p, b, a)),
            "no edge from one iteration's end to the next's start"
        );
        assert_eq!(t.visits[&(p, a)], 3);
        // A shorter history (a restart) starts over.
        let mut t2 = t.clone();
        t2.absorb(&d, &[]);
        assert!(t2.visited.is_empty() && t2.taken.is_empty());
    }
}
