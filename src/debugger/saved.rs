//! Session files: breakpoints (with conditions), break-on-error, watches,
//! edits and task answers, the seed and the moment shown, in one JSON file
//! that reopens the debugger where it was. States are named, not numbered,
//! so a file made on an older definition still opens: what no longer exists
//! is reported and left out.

use super::{BreakAt, Breakpoint, Edit, Session};
use crate::asl::value::Val;
use crate::engine::task::TaskOutcome;
use serde_json::{json, Value};

/// The format's version (`"asldbg-session"`).
pub const VERSION: u64 = 1;

fn edit_json(e: &Edit) -> Value {
    match e {
        Edit::ExecutionInput(v) => json!({"kind": "execution-input", "value": v.to_json()}),
        Edit::StateInput {
            event,
            step,
            state,
            value,
        } => {
            json!({"kind": "state-input", "event": event, "step": step, "state": state, "value": value.to_json()})
        }
        Edit::Variable {
            event,
            step,
            state,
            name,
            value,
        } => {
            json!({"kind": "variable", "event": event, "step": step, "state": state, "name": name, "value": value.to_json()})
        }
        Edit::TaskAnswer {
            event,
            step,
            state,
            outcome,
        } => {
            let answer = match outcome {
                TaskOutcome::Succeeded(v) => json!({"result": v.to_json()}),
                TaskOutcome::Failed { error, cause } => json!({"error": error, "cause": cause}),
                TaskOutcome::TimedOut { heartbeat } => {
                    json!({"timedOut": true, "heartbeat": heartbeat})
                }
                TaskOutcome::Pending => json!({}),
            };
            json!({"kind": "task-answer", "event": event, "step": step, "state": state, "answer": answer})
        }
    }
}

/// The session as a session file, with the watches' texts.
pub fn to_json(s: &Session, watches: &[String], lab: &[String]) -> Value {
    let def = s.definition();
    let name = |m: usize, st: usize| def.machines[m].states[st].name.to_string();
    let breakpoints: Vec<Value> = s
        .breakpoints
        .iter()
        .filter_map(|b| {
            let (state, iteration) = match b.at {
                BreakAt::State(m, st) => (name(m, st), None),
                BreakAt::Iteration(m, st, i) => (name(m, st), Some(i)),
                BreakAt::Error => return None,
            };
            Some(json!({
                "state": state,
                "iteration": iteration,
                "enabled": b.enabled,
                "condition": b.condition.as_ref().map(|c| c.source.clone()),
            }))
        })
        .collect();
    let on_error = s.break_on_error || s.breakpoints.iter().any(|b| b.at == BreakAt::Error);
    json!({
        "asldbg-session": VERSION,
        "seed": s.seed(),
        "breakpoints": breakpoints,
        "breakOnError": on_error,
        "watches": watches,
        "lab": lab,
        "edits": s.edits.iter().map(edit_json).collect::<Vec<_>>(),
        "position": {"steps": s.steps, "event": s.exec.history().len()},
    })
}

/// What opening a session file did.
#[derive(Debug, Default)]
pub struct Restored {
    pub watches: Vec<String>,
    /// What was typed in the expression lab, oldest first.
    pub lab: Vec<String>,
    /// What the file names that this definition no longer has.
    pub gone: Vec<String>,
}

/// The items of list `k` of `v` (none when it is missing).
fn list<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = &'a Value> {
    v.get(k).and_then(|x| x.as_array()).into_iter().flatten()
}

fn field<'a>(v: &'a Value, at: &str, k: &str) -> Result<&'a Value, String> {
    v.get(k).ok_or_else(|| format!("{at}: '{k}' is missing"))
}

fn string(v: &Value, at: &str, k: &str) -> Result<String, String> {
    field(v, at, k)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{at}/{k}: must be a string"))
}

fn count(v: &Value, at: &str, k: &str) -> Result<u64, String> {
    field(v, at, k)?
        .as_u64()
        .ok_or_else(|| format!("{at}/{k}: must be a whole number"))
}

fn edit_of(e: &Value, at: &str) -> Result<Edit, String> {
    let kind = string(e, at, "kind")?;
    let val = |k: &str| field(e, at, k).map(Val::from);
    Ok(match kind.as_str() {
        "execution-input" => Edit::ExecutionInput(val("value")?),
        "state-input" => Edit::StateInput {
            event: count(e, at, "event")? as usize,
            step: count(e, at, "step")?,
            state: string(e, at, "state")?,
            value: val("value")?,
        },
        "variable" => Edit::Variable {
            event: count(e, at, "event")? as usize,
            step: count(e, at, "step")?,
            state: string(e, at, "state")?,
            name: string(e, at, "name")?,
            value: val("value")?,
        },
        "task-answer" => {
            let a = field(e, at, "answer")?;
            let outcome = match a.get("result") {
                Some(r) => TaskOutcome::Succeeded(Val::from(r)),
                None if a.get("timedOut").is_some() => TaskOutcome::TimedOut {
                    heartbeat: a
                        .get("heartbeat")
                        .and_then(|h| h.as_bool())
                        .unwrap_or(false),
                },
                None => TaskOutcome::Failed {
                    error: a.get("error").and_then(|x| x.as_str()).map(str::to_string),
                    cause: a.get("cause").and_then(|x| x.as_str()).map(str::to_string),
                },
            };
            Edit::TaskAnswer {
                event: count(e, at, "event")? as usize,
                step: count(e, at, "step")?,
                state: string(e, at, "state")?,
                outcome,
            }
        }
        other => {
            return Err(format!(
                "{at}/kind: '{other}' is not an edit this version knows"
            ))
        }
    })
}

/// An error of [`restore`] on `file` (read into `doc`) at its place:
/// `file:line:column: /pointer: message`.
pub fn positioned(file: &str, doc: &crate::asl::Document, err: &str) -> String {
    let pointer = err
        .strip_prefix('/')
        .and_then(|rest| rest.split(": ").next())
        .map(|p| format!("/{p}"))
        .unwrap_or_default();
    match doc.position(&pointer) {
        Some((line, column)) => format!("{file}:{line}:{column}: {err}"),
        None => format!("{file}: {err}"),
    }
}

/// Open session file `v` on `s`: its seed, breakpoints, edits, then the
/// moment it was at. A malformed file changes nothing (the error names
/// the JSON pointer); states the definition no longer has are reported.
pub fn restore(s: &mut Session, v: &Value) -> Result<Restored, String> {
    match v.get("asldbg-session").and_then(|x| x.as_u64()) {
        Some(VERSION) => {}
        Some(n) => {
            return Err(format!(
                "/asldbg-session: version {n}; this asldbg reads version {VERSION}"
            ))
        }
        None => return Err("not an asldbg session file (no \"asldbg-session\" version)".into()),
    }
    // Read everything first: a bad file leaves the session as it was.
    let seed = v.get("seed").and_then(|x| x.as_u64());
    let mut out = Restored::default();
    let def = s.definition().clone();
    let mut breakpoints = Vec::new();
    for (i, b) in list(v, "breakpoints").enumerate() {
        let at = format!("/breakpoints/{i}");
        let state = string(b, &at, "state")?;
        let Some((m, st)) = def.find(&state) else {
            out.gone.push(format!("breakpoint on '{state}'"));
            continue;
        };
        let condition = match b.get("condition").and_then(|c| c.as_str()) {
            Some(text) => {
                Some(super::watch::Watch::new(text).map_err(|e| format!("{at}/condition: {e}"))?)
            }
            None => None,
        };
        let mut bp = Breakpoint::new(match b.get("iteration").and_then(|x| x.as_u64()) {
            Some(i) => BreakAt::Iteration(m, st, i as usize),
            None => BreakAt::State(m, st),
        });
        bp.enabled = b.get("enabled").and_then(|x| x.as_bool()).unwrap_or(true);
        bp.condition = condition;
        breakpoints.push(bp);
    }
    let mut edits = Vec::new();
    for (i, e) in list(v, "edits").enumerate() {
        let edit = edit_of(e, &format!("/edits/{i}"))?;
        let state = match &edit {
            Edit::ExecutionInput(_) => None,
            Edit::StateInput { state, .. }
            | Edit::Variable { state, .. }
            | Edit::TaskAnswer { state, .. } => Some(state.clone()),
        };
        match state {
            Some(st) if def.find(&st).is_none() => {
                out.gone.push(format!("edit: {}", edit.describe()))
            }
            _ => edits.push(edit),
        }
    }
    for (i, w) in list(v, "watches").enumerate() {
        out.watches.push(
            w.as_str()
                .ok_or_else(|| format!("/watches/{i}: must be a string"))?
                .to_string(),
        );
    }
    for (i, w) in list(v, "lab").enumerate() {
        out.lab.push(
            w.as_str()
                .ok_or_else(|| format!("/lab/{i}: must be a string"))?
                .to_string(),
        );
    }
    let steps = v
        .pointer("/position/steps")
        .and_then(|x| x.as_u64())
        .unwrap_or(0);
    s.breakpoints = breakpoints;
    s.break_on_error = v
        .get("breakOnError")
        .and_then(|x| x.as_bool())
        .unwrap_or(false);
    s.load_edits(edits, seed);
    s.travel(steps);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bad_session_file_is_named_at_its_line_and_column() {
        let text =
            "{\n  \"asldbg-session\": 1,\n  \"breakpoints\": [\n    {\"state\": 7}\n  ]\n}\n";
        let doc = crate::asl::parse_document(text, "s.json").unwrap();
        let mut s = session(DEF);
        let e = super::restore(&mut s, &doc.value).unwrap_err();
        let at = super::positioned("s.json", &doc, &e);
        assert!(at.starts_with("s.json:4:"), "{at}");
        assert!(at.contains("/breakpoints/0"), "{at}");
    }

    use super::*;
    use crate::asl::Definition;
    use crate::engine::task::{NoRunner, TaskRunner};
    use crate::engine::Options;
    use std::sync::Arc;

    const DEF: &str = r#"{"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 10)"}, "Next": "C"},
        "C": {"Type": "Pass", "End": true}}}"#;

    fn session(def: &str) -> Session {
        Session::new(
            Arc::new(Definition::from_value(&serde_json::from_str(def).unwrap()).unwrap()),
            Val::from(json!({"n": 1})),
            Box::new(|| Box::new(NoRunner) as Box<dyn TaskRunner>),
            Options::default(),
        )
    }

    #[test]
    fn a_session_file_reopens_at_the_same_moment_with_its_edits_and_breakpoints() {
        let mut s = session(DEF);
        let (m, b) = s.definition().find("B").unwrap();
        s.toggle_breakpoint(BreakAt::State(m, b));
        s.set_condition(0, "{% $states.input.n > 1 %}").unwrap();
        s.step();
        s.run_all();
        assert!(s.set_state_input(Val::from(json!({"n": 100}))));
        s.step();
        s.run_all();
        let file = to_json(&s, &["$.n".to_string()], &["$.a".to_string()]);
        // Through text, as on disk.
        let file: Value = serde_json::from_str(&file.to_string()).unwrap();
        let mut t = session(DEF);
        let r = restore(&mut t, &file).unwrap();
        assert!(r.gone.is_empty());
        assert_eq!(r.watches, ["$.n"]);
        assert_eq!(t.steps, s.steps);
        assert_eq!(
            t.exec.current_input().map(Val::to_json),
            Some(json!({"n": 110}))
        );
        assert_eq!(t.breakpoints.len(), 1);
        assert_eq!(
            t.breakpoints[0].condition.as_ref().unwrap().source,
            "{% $states.input.n > 1 %}"
        );
        assert_eq!(t.edits, s.edits);
        // Saved again, it is the same file.
        assert_eq!(to_json(&t, &r.watches, &r.lab), file);
    }

    #[test]
    fn a_file_from_an_older_definition_reports_what_no_longer_exists() {
        let mut s = session(DEF);
        let (m, b) = s.definition().find("B").unwrap();
        s.toggle_breakpoint(BreakAt::State(m, b));
        s.step();
        s.run_all();
        assert!(s.set_state_input(Val::from(json!({"n": 5}))));
        let file = to_json(&s, &[], &[]);
        let renamed = DEF.replace("\"B\"", "\"B2\"");
        let mut t = session(&renamed);
        let r = restore(&mut t, &file).unwrap();
        assert_eq!(
            r.gone,
            ["breakpoint on 'B'", "edit: input of B = {\"n\":5}"]
        );
        assert!(t.breakpoints.is_empty());
        // A malformed file changes nothing and names where it is wrong.
        let mut bad = file.clone();
        bad["edits"] = json!([{"kind": "state-input", "step": "x"}]);
        let e = restore(&mut t, &bad).unwrap_err();
        assert!(e.starts_with("/edits/0"), "{e}");
        let e = restore(&mut t, &json!({"breakpoints": []})).unwrap_err();
        assert!(e.contains("not an asldbg session file"), "{e}");
    }
}
