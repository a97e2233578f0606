//! Two runs side by side: where their paths part, and how each state's
//! input and output differ between them, visit by visit. Values random by
//! nature (UUIDs, task tokens, times, execution ARNs) compare by kind.

use super::recording::Recording;
use crate::asl::json::{pointer_token, value_eq};
use crate::engine::EventType;
use serde_json::{json, Value};

/// One visit of a state: what it was given and what it gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub state: String,
    /// 1 for the state's first entry in the run, then 2, 3, …
    pub visit: usize,
    pub input: Option<Value>,
    pub output: Option<Value>,
}

/// The visits of a run, in the order the states were entered.
pub fn visits(rec: &Recording) -> Vec<Visit> {
    let mut out: Vec<Visit> = Vec::new();
    for e in &rec.events {
        let t = e.event_type.as_str();
        let Some(name) = e.name() else { continue };
        if t.ends_with("StateEntered") {
            let visit = out.iter().filter(|v| v.state == name).count() + 1;
            out.push(Visit {
                state: name.to_string(),
                visit,
                input: e.details.get("input").cloned(),
                output: None,
            });
        } else if t.ends_with("StateExited") {
            // The oldest visit of this state still open.
            if let Some(v) = out
                .iter_mut()
                .find(|v| v.state == name && v.output.is_none())
            {
                v.output = e.details.get("output").cloned();
            }
        }
    }
    out
}

/// How a run ended.
pub fn outcome(rec: &Recording) -> Value {
    let Some(last) = rec.events.last() else {
        return json!({"status": "RUNNING", "output": null, "error": null, "cause": null});
    };
    let status = match last.event_type {
        EventType::ExecutionSucceeded => "SUCCEEDED",
        EventType::ExecutionFailed => "FAILED",
        EventType::ExecutionTimedOut => "TIMED_OUT",
        EventType::ExecutionAborted => "ABORTED",
        _ => "RUNNING",
    };
    json!({
        "status": status,
        "output": last.details.get("output"),
        "error": last.details.get("error"),
        "cause": last.details.get("cause"),
    })
}

/// A place where two JSON values differ: its pointer and both sides
/// (`null` where a side has nothing there).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub pointer: String,
    pub a: Option<Value>,
    pub b: Option<Value>,
}

/// Every place where `b` differs from `a`, most specific first found:
/// objects key by key, arrays item by item.
pub fn changes(a: &Value, b: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk(Some(a), Some(b), &mut String::new(), &mut out);
    out
}

fn walk(a: Option<&Value>, b: Option<&Value>, ptr: &mut String, out: &mut Vec<Change>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            for (k, v) in x {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&pointer_token(k));
                walk(Some(v), y.get(k), ptr, out);
                ptr.truncate(len);
            }
            for (k, v) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&pointer_token(k));
                walk(None, Some(v), ptr, out);
                ptr.truncate(len);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            for i in 0..x.len().max(y.len()) {
                let len = ptr.len();
                ptr.push_str(&format!("/{i}"));
                walk(x.get(i), y.get(i), ptr, out);
                ptr.truncate(len);
            }
        }
        // UUIDs, tokens, times and execution ARNs compare by kind, as in a
        // replay: two runs never share them.
        (Some(x), Some(y)) if value_eq(x, y) || super::compare::same(x, y, None) => {}
        (None, None) => {}
        _ => out.push(Change {
            pointer: ptr.clone(),
            a: a.cloned(),
            b: b.cloned(),
        }),
    }
}

/// Where two runs' paths part: the position in their visit lists, the
/// last state both entered before it, and the state each entered there
/// (`None`: that run had ended).
#[derive(Debug, Clone, PartialEq)]
pub struct Parted {
    pub index: usize,
    pub after: Option<String>,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// What differs between two runs.
#[derive(Debug, Clone)]
pub struct RunDiff {
    pub parted: Option<Parted>,
    /// Visits both runs made whose input or output differ.
    pub states: Vec<(Visit, Vec<Change>, Vec<Change>)>,
    /// Visits only one run made: (state, visit, "a" or "b").
    pub only: Vec<(String, usize, &'static str)>,
    pub a: Value,
    pub b: Value,
}

impl RunDiff {
    pub fn same(&self) -> bool {
        self.parted.is_none()
            && self.states.is_empty()
            && self.only.is_empty()
            && value_eq(&self.a, &self.b)
    }

    pub fn to_json(&self) -> Value {
        let changes = |c: &[Change]| -> Vec<Value> {
            c.iter()
                .map(|c| json!({"pointer": c.pointer, "a": c.a, "b": c.b}))
                .collect()
        };
        json!({
            "same": self.same(),
            "parted": self.parted.as_ref().map(|p| json!({"index": p.index, "after": p.after, "a": p.a, "b": p.b})),
            "states": self.states.iter().map(|(v, i, o)| json!({
                "state": v.state, "visit": v.visit, "input": changes(i), "output": changes(o),
            })).collect::<Vec<_>>(),
            "only": self.only.iter().map(|(s, v, side)| json!({"state": s, "visit": v, "in": side})).collect::<Vec<_>>(),
            "a": self.a,
            "b": self.b,
        })
    }
}

/// Compares two runs.
pub fn diff(a: &Recording, b: &Recording) -> RunDiff {
    let (va, vb) = (visits(a), visits(b));
    let parted = (0..va.len().max(vb.len()))
        .find(|&i| va.get(i).map(|v| &v.state) != vb.get(i).map(|v| &v.state))
        .map(|i| Parted {
            index: i,
            after: i.checked_sub(1).map(|j| va[j].state.clone()),
            a: va.get(i).map(|v| v.state.clone()),
            b: vb.get(i).map(|v| v.state.clone()),
        });
    let mut states = Vec::new();
    let mut only = Vec::new();
    for v in &va {
        match vb.iter().find(|w| w.state == v.state && w.visit == v.visit) {
            Some(w) => {
                let side = |x: &Option<Value>, y: &Option<Value>| match (x, y) {
                    (Some(x), Some(y)) => changes(x, y),
                    (None, None) => Vec::new(),
                    _ => vec![Change {
                        pointer: String::new(),
                        a: x.clone(),
                        b: y.clone(),
                    }],
                };
                let (i, o) = (side(&v.input, &w.input), side(&v.output, &w.output));
                if !i.is_empty() || !o.is_empty() {
                    states.push((v.clone(), i, o));
                }
            }
            None => only.push((v.state.clone(), v.visit, "a")),
        }
    }
    for w in &vb {
        if !va.iter().any(|v| v.state == w.state && v.visit == w.visit) {
            only.push((w.state.clone(), w.visit, "b"));
        }
    }
    RunDiff {
        parted,
        states,
        only,
        a: outcome(a),
        b: outcome(b),
    }
}

/// The states a state may go to next: `Next`, Choice rules and
/// `Default`, catchers.
fn successors(st: &crate::asl::model::State) -> Vec<crate::asl::model::StateId> {
    let mut out: Vec<_> = st.next.into_iter().collect();
    out.extend(st.catch.iter().map(|c| c.next));
    if let crate::asl::model::Kind::Choice { choices, default } = &st.kind {
        out.extend(choices.iter().map(|c| c.next));
        out.extend(*default);
    }
    out
}

/// Both runs on `def`'s graph: the transitions either took (heavy), the
/// states both entered (`•`), and those only one entered (`a` or `b`).
pub fn marks(def: &crate::asl::Definition, a: &Recording, b: &Recording) -> crate::graph::Marks {
    let mut m = crate::graph::Marks::default();
    let mut entered = |rec: &Recording| {
        let vs = visits(rec);
        let mut seen = std::collections::HashSet::new();
        for w in vs.windows(2) {
            if let (Some((m1, s1)), Some((m2, s2))) = (def.find(&w[0].state), def.find(&w[1].state))
            {
                if m1 == m2 && successors(&def.machines[m1].states[s1]).contains(&s2) {
                    m.taken.insert((m1, s1, s2));
                }
            }
        }
        for v in &vs {
            if let Some(id) = def.find(&v.state) {
                seen.insert(id);
            }
        }
        seen
    };
    let (sa, sb) = (entered(a), entered(b));
    for id in sa.union(&sb) {
        match (sa.contains(id), sb.contains(id)) {
            (true, true) => {
                m.visited.insert(*id);
            }
            (true, false) => {
                m.only.insert(*id, 'a');
            }
            _ => {
                m.only.insert(*id, 'b');
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structural_changes_name_their_pointers() {
        let c = changes(
            &json!({"a": 1, "b": {"c": [1, 2]}, "gone": true}),
            &json!({"a": 1, "b": {"c": [1, 3, 4]}, "new": "x"}),
        );
        let ptrs: Vec<&str> = c.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(ptrs, vec!["/b/c/1", "/b/c/2", "/gone", "/new"]);
        assert_eq!(c[0].a, Some(json!(2)));
        assert_eq!(c[0].b, Some(json!(3)));
        assert_eq!(c[1].a, None);
        assert!(changes(&json!({"x": 1.0}), &json!({"x": 1})).is_empty());
        assert!(changes(
            &json!({"id": "0f8fad5b-d9cb-469f-a165-70867728950e"}),
            &json!({"id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"})
        )
        .is_empty());
    }
}
