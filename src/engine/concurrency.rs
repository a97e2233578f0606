//! Parallel branches and Map iterations run interleaved, as AWS runs them:
//! a deterministic scheduler, no threads. A child runs until it reaches a
//! point where AWS would wait on something outside (a task scheduled,
//! started or answered, a Wait, a retry's back-off); then it is parked in
//! its parent and the next child runs. Children take turns in index order,
//! the one that may go on soonest first (a sleeping child waits for the
//! virtual clock to reach its time), and at most `limit` (MaxConcurrency,
//! at most 40) run at once. A child that fails aborts the siblings still
//! running (MapIterationAborted, TaskStateAborted, …), as the recordings
//! show. The same definition, input and answers give the same interleaving.

use super::*;

/// AWS runs at most 40 iterations of an inline Map at once.
pub const MAX_INLINE_CONCURRENCY: usize = 40;

/// The branches or iterations of a Parallel or Map state.
#[derive(Debug, Clone)]
pub(super) struct Children {
    /// MapRunStarted has been written (or is not needed).
    pub(super) announced: bool,
    /// The next child to start.
    pub(super) next: usize,
    pub(super) inputs: Vec<Val>,
    /// Each child's result, by index.
    pub(super) results: Vec<Val>,
    pub(super) failures: usize,
    pub(super) tolerated: Option<f64>,
    pub(super) tolerated_pct: Option<f64>,
    /// At most this many children run at once.
    pub(super) limit: usize,
    /// Children started and not finished, not running right now.
    pub(super) parked: Vec<Parked>,
    /// The index after the child that ran last (whose turn is next).
    pub(super) cursor: usize,
}

/// A child between two turns: its frames (bottom first) and the virtual
/// time it may go on at.
#[derive(Debug, Clone)]
pub(super) struct Parked {
    pub(super) index: usize,
    pub(super) frames: Vec<Frame>,
    pub(super) ready_at: i64,
}

impl Children {
    pub(super) fn new(inputs: Vec<Val>, limit: usize, announced: bool) -> Children {
        let n = inputs.len();
        Children {
            announced,
            next: 0,
            inputs,
            results: vec![Val::Null; n],
            failures: 0,
            tolerated: None,
            tolerated_pct: None,
            limit: limit.max(1),
            parked: Vec::new(),
            cursor: 0,
        }
    }
}

impl Execution {
    /// The child that is running will wait for something outside: the next
    /// step parks it and gives another child its turn.
    pub(super) fn yield_turn(&mut self) {
        if self.frames.len() > 1 && self.yielded.is_none() {
            self.yielded = Some(self.now_ms);
        }
    }

    /// Sleep until `t` on the virtual clock: in a branch or iteration the
    /// others run meanwhile; in the main flow the clock moves at once.
    pub(super) fn sleep_until(&mut self, t: i64) {
        if self.frames.len() > 1 {
            self.yielded = Some(t.max(self.yielded.unwrap_or(t)));
        } else {
            self.now_ms = self.now_ms.max(t);
        }
    }

    /// Put the running child (the frames above the innermost Parallel or
    /// Map that is running children) back into its parent.
    pub(super) fn park(&mut self, ready_at: i64) {
        let Some(p) = self
            .frames
            .iter()
            .rposition(|f| matches!(f.phase, Phase::Children(_)))
        else {
            return;
        };
        if p + 1 >= self.frames.len() {
            return;
        }
        let frames = self.frames.split_off(p + 1);
        let index = frames[0].kind.index().unwrap_or(0);
        if let Phase::Children(c) = &mut self.frames[p].phase {
            c.parked.push(Parked {
                index,
                frames,
                ready_at,
            });
        }
    }

    /// One turn of the Parallel or Map state on top: announce the Map Run,
    /// start a child, give a parked child its turn, or finish.
    pub(super) fn children(&mut self) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let now = self.now_ms;
        let Phase::Children(c) = &mut self.top_mut().phase else {
            return Err(self.runtime("internal: no children to run"));
        };
        if !c.announced {
            c.announced = true;
            if let Kind::Map(spec) = &st.kind {
                let arn = format!(
                    "arn:aws:states:{}:{}:mapRun:{}/{}:{}",
                    self.opts.region,
                    self.opts.account,
                    self.opts.state_machine_name,
                    spec.label.clone().unwrap_or_else(|| st.name.to_string()),
                    uuid_v4(&mut self.rng)
                );
                self.emit(
                    EventType::MapRunStarted,
                    vec![("mapRunArn", Field::Str(arn))],
                );
            }
            return Ok(());
        }
        // Start children while there is room: a Map iteration one per step
        // (each writes MapIterationStarted), Parallel branches all at once.
        while let Phase::Children(c) = &mut self.top_mut().phase {
            if c.next >= c.inputs.len() || c.parked.len() >= c.limit {
                break;
            }
            let index = c.next;
            c.next += 1;
            let input = std::mem::take(&mut c.inputs[index]);
            let (machine, kind, silent) = match &st.kind {
                Kind::Parallel { branches } => (branches[index], FrameKind::Branch(index), false),
                Kind::Map(spec) => (
                    spec.processor,
                    FrameKind::Iteration(index),
                    spec.distributed,
                ),
                _ => return Err(self.runtime("internal: children of a state without any")),
            };
            let parent = self.top();
            let mut frame = Frame::new(
                machine,
                def.machines[machine].start_at,
                input,
                kind,
                parent.last_event,
                now,
            );
            frame.isolated = silent;
            frame.silent = silent || parent.silent;
            if let Phase::Children(c) = &mut self.top_mut().phase {
                c.parked.push(Parked {
                    index,
                    frames: vec![frame],
                    ready_at: now,
                });
            }
            if let Kind::Map(spec) = &st.kind {
                if !spec.distributed {
                    self.emit(
                        EventType::MapIterationStarted,
                        vec![
                            ("index", Field::Int(index as i64)),
                            ("name", Field::Name(st.name.clone())),
                        ],
                    );
                    return Ok(());
                }
            }
        }
        let Phase::Children(c) = &mut self.top_mut().phase else {
            return Ok(());
        };
        if c.parked.is_empty() {
            return self.children_done(st);
        }
        // The child that may go on soonest; among equals, the next in turn.
        let n = c.inputs.len().max(1);
        let cursor = c.cursor;
        let pick = c
            .parked
            .iter()
            .enumerate()
            .min_by_key(|(_, p)| (p.ready_at, (p.index + n - cursor % n) % n))
            .map(|(i, _)| i)
            .unwrap_or(0);
        let child = c.parked.remove(pick);
        c.cursor = child.index + 1;
        self.now_ms = self.now_ms.max(child.ready_at);
        self.frames.extend(child.frames);
        // A child about to enter a state stops there (a debugger pauses
        // before the state, inside the branch); otherwise its turn goes on
        // in this same step.
        if matches!(self.top().phase, Phase::Enter) {
            return Ok(());
        }
        self.run_top()
    }

    /// All children are done: the results go on in index order.
    fn children_done(&mut self, st: &State) -> Result<(), StateError> {
        let Phase::Children(c) = &mut self.top_mut().phase else {
            return Ok(());
        };
        let results = std::mem::take(&mut c.results);
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

    /// A child failed: every sibling still running is aborted, each event
    /// linked to the failure.
    pub(super) fn abort_siblings(&mut self, name: &std::sync::Arc<str>, prev: u64) {
        let mut parked = match &mut self.top_mut().phase {
            Phase::Children(c) => {
                c.next = c.inputs.len();
                std::mem::take(&mut c.parked)
            }
            _ => return,
        };
        parked.sort_by_key(|p| p.index);
        let parent_path = self.frame_path();
        for p in parked {
            self.abort_stack(p, Some(name), prev, parent_path.clone());
        }
    }

    /// Abort a parked child whose parent is at `parent_path`: its
    /// iteration (a Map's), then the state each of its frames is in,
    /// innermost first, each event on that frame's branch/iteration path.
    fn abort_stack(
        &mut self,
        p: Parked,
        map: Option<&std::sync::Arc<str>>,
        prev: u64,
        parent_path: Vec<usize>,
    ) {
        // A Distributed Map's child executions (and all inside them) keep
        // their events out of the history.
        let silent = p.frames.first().is_some_and(|f| f.silent);
        if let (Some(name), Some(FrameKind::Iteration(i)), false) =
            (map, p.frames.first().map(|f| f.kind.clone()), silent)
        {
            self.emit_in(
                parent_path.clone(),
                prev,
                EventType::MapIterationAborted,
                vec![
                    ("index", Field::Int(i as i64)),
                    ("name", Field::Name(name.clone())),
                ],
                None,
            );
        }
        // Each frame's path: the parent's, then the child indexes down to it.
        let mut paths = Vec::with_capacity(p.frames.len());
        let mut path = parent_path;
        for f in &p.frames {
            path.extend(f.kind.index());
            paths.push(path.clone());
        }
        let def = self.def.clone();
        for (f, path) in p.frames.into_iter().zip(paths).rev() {
            let st = &def.machines[f.machine].states[f.state];
            if matches!(f.phase, Phase::Enter | Phase::End(_)) {
                continue;
            }
            let t = match (&st.kind, f.phase) {
                (Kind::Parallel { .. } | Kind::Map(_), Phase::Children(c)) => {
                    let inner_map = matches!(st.kind, Kind::Map(_)).then(|| st.name.clone());
                    let mut parked = c.parked;
                    parked.sort_by_key(|p| p.index);
                    for q in parked {
                        self.abort_stack(q, inner_map.as_ref(), prev, path.clone());
                    }
                    match st.kind {
                        Kind::Map(_) => EventType::MapStateAborted,
                        _ => EventType::ParallelStateAborted,
                    }
                }
                (Kind::Parallel { .. }, _) => EventType::ParallelStateAborted,
                (Kind::Map(_), _) => EventType::MapStateAborted,
                (Kind::Task(_), _) => EventType::TaskStateAborted,
                (Kind::Wait(_), _) => EventType::WaitStateAborted,
                _ => continue,
            };
            if !silent {
                self.emit_in(path, prev, t, vec![], Some(st.name.clone()));
            }
        }
    }
}

impl Execution {
    /// Whether the branch or iteration at `path` (as [`Execution::frame_path`]
    /// gives it) is still running, in its turn or parked.
    pub fn path_alive(&self, path: &[usize]) -> bool {
        alive(&self.frames, path)
    }
}

/// `stack[0]` is at the level already matched; find `path` below it.
fn alive(stack: &[Frame], path: &[usize]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return !stack.is_empty();
    };
    let Some(here) = stack.first() else {
        return false;
    };
    if stack.get(1).and_then(|f| f.kind.index()) == Some(*first) {
        return alive(&stack[1..], rest);
    }
    match &here.phase {
        Phase::Children(c) => c
            .parked
            .iter()
            .find(|p| p.index == *first)
            .is_some_and(|p| alive(&p.frames, rest)),
        _ => false,
    }
}

/// One line of work running in an execution: the main flow, or a Parallel
/// branch / Map iteration that has started and not ended (in its turn or
/// parked between turns).
#[derive(Debug, Clone, PartialEq)]
pub struct Strand {
    /// Branch / iteration indexes from the main flow (as
    /// [`Execution::frame_path`] gives them; empty: the main flow).
    pub path: Vec<usize>,
    /// The states it stands in, outermost first: the containers above it,
    /// then its own states (the last is where it is); each with the path
    /// of the branch or iteration it runs in.
    pub stack: Vec<(MachineId, StateId, Vec<usize>)>,
    /// The strand whose turn it is (the one the next step moves).
    pub current: bool,
}

impl Execution {
    /// Every strand of the run, the current one marked, in path order
    /// (the main flow first). Empty once the execution has ended.
    pub fn strands(&self) -> Vec<Strand> {
        let mut out = Vec::new();
        walk_strands(&self.frames, &[], &[], true, &mut out);
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }
}

fn walk_strands(
    frames: &[Frame],
    base_stack: &[(MachineId, StateId, Vec<usize>)],
    base_path: &[usize],
    current: bool,
    out: &mut Vec<Strand>,
) {
    if frames.is_empty() {
        return;
    }
    let mut stack = base_stack.to_vec();
    let mut path = base_path.to_vec();
    for (i, f) in frames.iter().enumerate() {
        if let Some(k) = f.kind.index() {
            if i > 0 {
                // The strand above stands at its container while this runs.
                out.push(Strand {
                    path: path.clone(),
                    stack: stack.clone(),
                    current: false,
                });
            }
            path.push(k);
        }
        stack.push((f.machine, f.state, path.clone()));
        if let Phase::Children(c) = &f.phase {
            for p in &c.parked {
                walk_strands(&p.frames, &stack, &path, false, out);
            }
        }
    }
    out.push(Strand {
        path,
        stack,
        current,
    });
}

impl Execution {
    /// Where the current strand stands in each fan-out around it, outermost
    /// first: (a Map iteration, not a Parallel branch; its index; how many
    /// branches or iterations the container runs).
    pub fn fan_out(&self) -> Vec<(bool, usize, usize)> {
        self.frames
            .windows(2)
            .filter_map(|w| {
                let (iteration, index) = match w[1].kind {
                    FrameKind::Root => return None,
                    FrameKind::Branch(i) => (false, i),
                    FrameKind::Iteration(i) => (true, i),
                };
                let total = match &w[0].phase {
                    Phase::Children(c) => c.inputs.len(),
                    _ => index + 1,
                };
                Some((iteration, index, total))
            })
            .collect()
    }
}
