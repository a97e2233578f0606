//! The run as it stands beside a history (recorded on AWS, or another
//! run's `--events`): the first event that differs, where the paths part,
//! how each state's input and output differ, and what the history goes on
//! to do that the run has not reached yet. The debugger's `D` shows it.
//!
//! Events are compared as `asldbg replay` compares them (values random by
//! nature by kind, events of branches that ran at the same time in any
//! order among themselves); states by visit, as `asldbg diff` does.

use super::Session;
use crate::replay::compare::{describe as what, first_divergence, Local};
use crate::replay::diff::{diff, Change};
use crate::replay::recording::{of_run, Recording};
use serde_json::{json, Map, Value};

/// A history to compare the run with, and what to call it.
#[derive(Debug, Clone)]
pub struct Against {
    pub rec: Recording,
    pub label: String,
}

fn changes(c: &[Change], label: &str) -> Vec<Value> {
    c.iter()
        .map(|c| {
            let mut o = Map::new();
            let at = if c.pointer.is_empty() {
                "(whole value)".to_string()
            } else {
                c.pointer.clone()
            };
            o.insert("at".into(), Value::String(at));
            o.insert("this run".into(), c.a.clone().unwrap_or(json!("(nothing)")));
            o.insert(label.into(), c.b.clone().unwrap_or(json!("(nothing)")));
            Value::Object(o)
        })
        .collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Session {
    /// The run up to this moment beside `against`, as a value to read
    /// whole: a one-line `verdict` first, then the details.
    pub fn compare(&self, against: &Against) -> Value {
        let label = against.label.as_str();
        let history = self.exec.history();
        let ended = self.exec.is_done();
        let mine = of_run(history);
        let local: Vec<Local> = history.iter().map(Local::of).collect();
        // Events: the first one that differs among those the run made (a
        // run still going has not yet made the rest).
        let divergence = first_divergence(&against.rec, &local, None)
            .filter(|d| ended || !d.got.is_null() || d.event_id == 0);
        let d = diff(&mine, &against.rec);
        let recorded = against.rec.events.len();
        let mut out = Map::new();
        let verdict = match &divergence {
            None if ended => format!(
                "The same: every event of {label} ({recorded}), in order, made by this run."
            ),
            None => format!(
                "The same so far: this run's {} {label}'s first; it records {} more.",
                plural(history.len(), "event is", "events are"),
                recorded.saturating_sub(history.len())
            ),
            Some(dv) if dv.event_id == 0 => format!(
                "This run goes on after {label} ends: it makes {}.",
                what(&dv.got)
            ),
            Some(dv) if dv.got.is_null() => format!(
                "This run ended at event {}; {label} goes on with event {}: {}.",
                history.len(),
                dv.event_id,
                what(&dv.expected)
            ),
            Some(dv) if dv.fields.is_empty() => format!(
                "Parts at event {}{}: {label} has {}, this run {}.",
                dv.event_id,
                dv.state
                    .as_deref()
                    .map(|s| format!(" (state {s})"))
                    .unwrap_or_default(),
                what(&dv.expected),
                what(&dv.got)
            ),
            Some(dv) => format!(
                "Differs at event {}: {} — this run's {}.",
                dv.event_id,
                what(&dv.expected),
                dv.fields.join(", ")
            ),
        };
        out.insert("verdict".into(), Value::String(verdict));
        out.insert(
            "this run".into(),
            json!({"status": d.a["status"], "events": history.len()}),
        );
        out.insert(
            label.into(),
            json!({"status": d.b["status"], "events": recorded}),
        );
        if let Some(p) = &d.parted {
            let entered = |s: &Option<String>| match s {
                Some(s) => format!("enters {s}"),
                None => "has ended".into(),
            };
            // A run still going that has not gone past the history's
            // path has not parted from it: it is not there yet.
            if p.a.is_some() || ended {
                let mine = entered(&p.a);
                let at = match &p.after {
                    Some(after) => format!("after {after}"),
                    None => "at the start".into(),
                };
                out.insert(
                    "paths".into(),
                    json!(format!(
                        "part {at}: this run {mine}, {label} {}",
                        entered(&p.b)
                    )),
                );
            }
        }
        if let Some(dv) = &divergence {
            let mut first = Map::new();
            first.insert("event".into(), json!(dv.event_id));
            if let Some(st) = &dv.state {
                first.insert("state".into(), json!(st));
            }
            if !dv.fields.is_empty() {
                first.insert("differs in".into(), json!(dv.fields));
            }
            first.insert(label.into(), dv.expected.clone());
            first.insert("this run".into(), dv.got.clone());
            out.insert("first different event".into(), Value::Object(first));
        }
        let states: Vec<Value> = d
            .states
            .iter()
            .map(|(v, i, o)| {
                let mut s = Map::new();
                s.insert("state".into(), json!(v.state));
                s.insert("visit".into(), json!(v.visit));
                if !i.is_empty() {
                    s.insert("input".into(), Value::Array(changes(i, label)));
                }
                if !o.is_empty() {
                    s.insert("output".into(), Value::Array(changes(o, label)));
                }
                Value::Object(s)
            })
            .collect();
        if !states.is_empty() {
            out.insert("states that differ".into(), Value::Array(states));
        }
        let named = |side: &str| -> Vec<Value> {
            d.only
                .iter()
                .filter(|(_, _, s)| *s == side)
                .map(|(st, v, _)| json!(format!("{st} #{v}")))
                .collect()
        };
        let (only_mine, only_theirs) = (named("a"), named("b"));
        if !only_mine.is_empty() {
            out.insert("only in this run".into(), Value::Array(only_mine));
        }
        if !only_theirs.is_empty() {
            // Ahead of a run that is still going and has not parted.
            let key = if !ended && d.parted.as_ref().is_none_or(|p| p.a.is_none()) {
                format!("{label} goes on to")
            } else {
                format!("only in {label}")
            };
            out.insert(key, Value::Array(only_theirs));
        }
        if ended && !crate::asl::json::value_eq(&d.a, &d.b) {
            out.insert("end".into(), json!({"this run": d.a, label: d.b}));
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::value::Val;
    use crate::asl::Definition;
    use crate::engine::task::{NoRunner, TaskRunner};
    use crate::engine::{Execution, Options};
    use std::sync::Arc;

    /// Input `n` picks the Choice's branch: Big (n > 10) or Small.
    fn machine() -> Arc<Definition> {
        Arc::new(
            Definition::from_value(&json!({"StartAt": "Start", "States": {
                "Start": {"Type": "Pass", "Parameters": {"n.$": "$.n", "at.$": "$$.Execution.StartTime"}, "Next": "Size"},
                "Size": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}], "Default": "Small"},
                "Big": {"Type": "Pass", "Result": "big", "End": true},
                "Small": {"Type": "Pass", "Result": "small", "End": true}}}))
            .unwrap(),
        )
    }

    fn session(n: i64) -> Session {
        Session::new(
            machine(),
            Val::from(json!({ "n": n })),
            Box::new(|| Box::new(NoRunner) as Box<dyn TaskRunner>),
            Options::default(),
        )
    }

    /// A finished run's history, as a history file holds it (on another
    /// day: times compare by kind).
    fn recorded(n: i64) -> Against {
        let opts = Options {
            start_time_ms: 1_760_000_000_000,
            ..Options::default()
        };
        let mut ex = Execution::new(
            machine(),
            Val::from(json!({ "n": n })),
            Box::new(NoRunner),
            opts,
        );
        ex.run();
        let doc = crate::engine::history::export(ex.history());
        Against {
            rec: crate::replay::recording::read(&doc).unwrap(),
            label: "h.json".into(),
        }
    }

    #[test]
    fn the_same_run_is_the_same_so_far_and_at_the_end() {
        let h = recorded(20);
        let mut s = session(20);
        s.step();
        s.run_all();
        let v = s.compare(&h);
        let verdict = v["verdict"].as_str().unwrap();
        assert!(verdict.starts_with("The same so far: this run's"), "{v}");
        assert_eq!(v["this run"]["status"], "RUNNING");
        // What the history does next is ahead, not "only in" it.
        assert_eq!(v["h.json goes on to"], json!(["Size #1", "Big #1"]), "{v}");
        assert!(v.get("first different event").is_none(), "{v}");
        // Not parted: the run has only not got there yet.
        assert!(v.get("paths").is_none(), "{v}");
        s.continue_run();
        s.run_all();
        let v = s.compare(&h);
        assert_eq!(
            v["verdict"],
            format!(
                "The same: every event of h.json ({}), in order, made by this run.",
                h.rec.events.len()
            )
        );
        assert!(
            v.get("end").is_none() && v.get("states that differ").is_none(),
            "{v}"
        );
    }

    #[test]
    fn another_path_is_shown_where_it_parts_and_in_each_state() {
        let h = recorded(20);
        let mut s = session(5);
        s.continue_run();
        s.run_all();
        let v = s.compare(&h);
        // The first event that differs: the execution's input.
        assert_eq!(
            v["verdict"], "Differs at event 1: ExecutionStarted — this run's input.",
            "{v}"
        );
        assert_eq!(
            v["first different event"]["h.json"]["details"]["input"],
            json!({"n": 20})
        );
        assert!(v["first different event"].get("state").is_none());
        assert_eq!(
            v["paths"],
            "part after Size: this run enters Small, h.json enters Big"
        );
        let start = &v["states that differ"][0];
        assert_eq!(start["state"], "Start");
        assert_eq!(start["input"][0]["at"], "/n");
        assert_eq!(start["input"][0]["this run"], 5);
        assert_eq!(start["input"][0]["h.json"], 20);
        assert_eq!(v["only in this run"], json!(["Small #1"]));
        assert_eq!(v["only in h.json"], json!(["Big #1"]));
        assert_eq!(v["end"]["this run"]["output"], "small");
        assert_eq!(v["end"]["h.json"]["output"], "big");
    }

    #[test]
    fn a_run_that_ends_first_or_goes_on_says_so() {
        let h = recorded(20);
        // The history is cut after Start: this run goes on past it.
        let mut short = h.clone();
        short.rec.events.truncate(3);
        let mut s = session(20);
        s.continue_run();
        s.run_all();
        let v = s.compare(&short);
        assert!(
            v["verdict"]
                .as_str()
                .unwrap()
                .starts_with("This run goes on after h.json ends"),
            "{v}"
        );
    }
}
