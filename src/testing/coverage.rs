//! What a test suite covered of its definition: the states entered, the
//! transitions taken, each Choice rule matched and each Default taken,
//! each retrier fired and catcher taken, the branches of each Parallel and
//! the iterations of each Map that ran; and, for a rule never matched over
//! a plain comparison, an input edit that would match it.

use crate::asl::model::{Kind, MachineId, StateId};
use crate::asl::Definition;
use crate::engine::StageRecord;
use crate::graph::{self, Marks};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The coverage of one definition.
pub struct Coverage {
    pub definition_file: String,
    def: Arc<Definition>,
    pub entered: BTreeMap<String, usize>,
    pub taken: BTreeSet<(String, String)>,
    /// Transitions a catcher took (counted apart from a `Next` or a rule
    /// to the same state: a Parallel that never succeeds leaves its `Next`
    /// uncovered even when its catcher goes the same way).
    pub caught: BTreeSet<(String, String)>,
    pub rules: BTreeSet<(String, usize)>,
    pub defaults: BTreeSet<String>,
    pub retriers: BTreeSet<(String, usize)>,
    pub catchers: BTreeSet<(String, usize)>,
}

/// One kind of item: how many of how many, and those missed.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub kind: &'static str,
    pub covered: usize,
    pub total: usize,
    pub missed: Vec<String>,
}

impl Tally {
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.total as f64
        }
    }
}

fn name(def: &Definition, m: MachineId, s: StateId) -> String {
    def.machines[m].states[s].name.to_string()
}

impl Coverage {
    pub fn new(file: &str, def: Arc<Definition>) -> Coverage {
        Coverage {
            definition_file: file.into(),
            def,
            entered: BTreeMap::new(),
            taken: BTreeSet::new(),
            caught: BTreeSet::new(),
            rules: BTreeSet::new(),
            defaults: BTreeSet::new(),
            retriers: BTreeSet::new(),
            catchers: BTreeSet::new(),
        }
    }

    /// Count what one run's stage records show.
    pub fn record(&mut self, stages: &[StageRecord]) {
        for r in stages {
            *self.entered.entry(r.state.clone()).or_default() += 1;
            if let Some(n) = &r.next {
                let edge = (r.state.clone(), n.clone());
                if r.caught_by.is_some() {
                    self.caught.insert(edge);
                } else {
                    self.taken.insert(edge);
                }
            }
            // A Choice that went on with no rule matched took its Default.
            match r.rules.iter().find(|t| t.matched) {
                Some(t) => {
                    self.rules.insert((r.state.clone(), t.index));
                }
                None if r.next.is_some() && r.caught_by.is_none() && self.is_choice(&r.state) => {
                    self.defaults.insert(r.state.clone());
                }
                None => {}
            }
            for t in &r.retries {
                self.retriers.insert((r.state.clone(), t.retrier));
            }
            if let Some(c) = r.caught_by {
                self.catchers.insert((r.state.clone(), c));
            }
        }
    }

    fn is_choice(&self, state: &str) -> bool {
        self.def.find(state).is_some_and(|(m, s)| {
            matches!(self.def.machines[m].states[s].kind, Kind::Choice { .. })
        })
    }

    /// Every kind of item, counted.
    pub fn tallies(&self) -> Vec<Tally> {
        let def = &self.def;
        let mut states = Tally {
            kind: "states",
            covered: 0,
            total: 0,
            missed: vec![],
        };
        let mut trans = Tally {
            kind: "transitions",
            covered: 0,
            total: 0,
            missed: vec![],
        };
        let mut rules = Tally {
            kind: "choice rules",
            covered: 0,
            total: 0,
            missed: vec![],
        };
        let mut retry = Tally {
            kind: "retriers",
            covered: 0,
            total: 0,
            missed: vec![],
        };
        let mut catch = Tally {
            kind: "catchers",
            covered: 0,
            total: 0,
            missed: vec![],
        };
        let mut branches = Tally {
            kind: "branches",
            covered: 0,
            total: 0,
            missed: vec![],
        };
        let count = |t: &mut Tally, hit: bool, what: String| {
            t.total += 1;
            if hit {
                t.covered += 1;
            } else {
                t.missed.push(what);
            }
        };
        for (m, machine) in def.machines.iter().enumerate() {
            let mut pairs = BTreeSet::new();
            for e in graph::edges(def, m) {
                pairs.insert((e.from, e.to, matches!(e.kind, graph::EdgeKind::Catch(_))));
            }
            for (from, to, by_catch) in pairs {
                let (a, b) = (name(def, m, from), name(def, m, to));
                let edge = (a.clone(), b.clone());
                if by_catch {
                    let hit = self.caught.contains(&edge);
                    count(&mut trans, hit, format!("{a} → {b} (Catch)"));
                } else {
                    let hit = self.taken.contains(&edge);
                    count(&mut trans, hit, format!("{a} → {b}"));
                }
            }
            for st in &machine.states {
                let n = st.name.to_string();
                count(&mut states, self.entered.contains_key(&n), n.clone());
                if let Kind::Choice { choices, default } = &st.kind {
                    for (i, c) in choices.iter().enumerate() {
                        let hit = self.rules.contains(&(n.clone(), i));
                        count(
                            &mut rules,
                            hit,
                            format!("{n}: rule {} {} → {}", i + 1, c.text, name(def, m, c.next)),
                        );
                    }
                    if let Some(d) = default {
                        let hit = self.defaults.contains(&n);
                        count(
                            &mut rules,
                            hit,
                            format!("{n}: Default → {}", name(def, m, *d)),
                        );
                    }
                }
                for (i, r) in st.retry.iter().enumerate() {
                    let hit = self.retriers.contains(&(n.clone(), i));
                    count(
                        &mut retry,
                        hit,
                        format!("{n}: retrier {} [{}]", i + 1, r.errors.join(", ")),
                    );
                }
                for (i, c) in st.catch.iter().enumerate() {
                    let hit = self.catchers.contains(&(n.clone(), i));
                    count(
                        &mut catch,
                        hit,
                        format!(
                            "{n}: catcher {} [{}] → {}",
                            i + 1,
                            c.errors.join(", "),
                            name(def, m, c.next)
                        ),
                    );
                }
                let inner = graph::inner_machines(&st.kind);
                let label = |i: usize| match st.kind {
                    Kind::Map(_) => format!("{n}: iterations"),
                    _ => format!("{n}: branch {}", i + 1),
                };
                for (i, b) in inner.iter().enumerate() {
                    let start = name(def, *b, def.machines[*b].start_at);
                    count(&mut branches, self.entered.contains_key(&start), label(i));
                }
            }
        }
        vec![states, trans, rules, retry, catch, branches]
    }

    /// The coverage as a table, with what was missed.
    pub fn table(&self) -> Vec<String> {
        let mut out = vec![format!("coverage of {}", self.definition_file)];
        for t in self.tallies() {
            out.push(format!(
                "  {:<12} {:>4}/{:<4} {:>5.1}%",
                t.kind,
                t.covered,
                t.total,
                t.percent()
            ));
            for m in &t.missed {
                out.push(format!("      missed: {m}"));
            }
        }
        out
    }

    pub fn to_json(&self) -> Value {
        let tallies: serde_json::Map<String, Value> = self
            .tallies()
            .into_iter()
            .map(|t| {
                (
                    t.kind.replace(' ', "_"),
                    json!({"covered": t.covered, "total": t.total, "percent": (t.percent() * 10.0).round() / 10.0, "missed": t.missed}),
                )
            })
            .collect();
        json!({
            "definition": self.definition_file,
            "tallies": tallies,
            "entered": self.entered,
            "taken": self.taken.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>(),
            "caught": self.caught.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>(),
        })
    }
}

/// The marks a coverage report leaves on the drawing of `def`: states
/// entered (•, with their counts), transitions taken (heavy lines), and
/// states never entered marked ○.
pub fn marks(def: &Definition, report: &Value) -> Marks {
    let mut m = Marks::default();
    let entered: BTreeMap<String, usize> = report
        .get("entered")
        .and_then(|e| e.as_object())
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0) as usize))
                .collect()
        })
        .unwrap_or_default();
    // The drawing has one line for a transition however it was taken.
    let taken: BTreeSet<(String, String)> = ["taken", "caught"]
        .iter()
        .filter_map(|k| report.get(*k).and_then(|t| t.as_array()))
        .flatten()
        .filter_map(|p| {
            Some((
                p.get(0)?.as_str()?.to_string(),
                p.get(1)?.as_str()?.to_string(),
            ))
        })
        .collect();
    for (mi, machine) in def.machines.iter().enumerate() {
        for (si, st) in machine.states.iter().enumerate() {
            match entered.get(&*st.name) {
                Some(n) => {
                    m.visited.insert((mi, si));
                    m.visits.insert((mi, si), *n);
                }
                None => {
                    m.only.insert((mi, si), '○');
                }
            }
        }
        for e in graph::edges(def, mi) {
            let pair = (name(def, mi, e.from), name(def, mi, e.to));
            if taken.contains(&pair) {
                m.taken.insert((mi, e.from, e.to));
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::value::Val;
    use crate::engine::task::MockRunner;
    use crate::engine::{Execution, Options};

    #[test]
    fn a_run_counts_what_it_reached_and_the_rest_is_missed() {
        let def = Definition::from_value(&json!({
            "StartAt": "C",
            "States": {
                "C": {"Type": "Choice", "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "T"},
                    {"Variable": "$.n", "NumericLessThan": -1, "Next": "Done"}
                ], "Default": "Done"},
                "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "f"},
                      "Retry": [{"ErrorEquals": ["Boom"]}],
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                      "Next": "Done"},
                "Done": {"Type": "Succeed"}
            }
        }))
        .unwrap();
        let def = Arc::new(def);
        let mocks = json!({"StateMachines": {"M": {"TestCases": {"t": {"T": "r"}}}},
                           "MockedResponses": {"r": {"0": {"Throw": {"Error": "Boom", "Cause": ""}},
                                                     "1": {"Return": 1}}}});
        let runner = MockRunner::from_value(&mocks, "m", None, "t").unwrap();
        let mut ex = Execution::new(
            def.clone(),
            Val::from(json!({"n": 5})),
            Box::new(runner),
            Options::default(),
        );
        ex.run();
        let mut c = Coverage::new("d.json", def);
        c.record(ex.stages());
        let t = c.tallies();
        let by = |k: &str| t.iter().find(|x| x.kind == k).unwrap().clone();
        assert_eq!((by("states").covered, by("states").total), (3, 3));
        assert_eq!(
            (by("choice rules").covered, by("choice rules").total),
            (1, 3)
        );
        assert_eq!(by("choice rules").missed.len(), 2);
        assert_eq!((by("retriers").covered, by("retriers").total), (1, 1));
        assert_eq!((by("catchers").covered, by("catchers").total), (0, 1));
        // C→T, C→Done, T→Done by Next and T→Done by Catch: a catcher's
        // edge is counted apart from the Next to the same state.
        assert_eq!((by("transitions").covered, by("transitions").total), (2, 4));
        assert!(
            by("transitions")
                .missed
                .contains(&"T → Done (Catch)".to_string()),
            "{:?}",
            by("transitions").missed
        );
    }
}
