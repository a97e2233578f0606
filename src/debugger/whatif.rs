//! What-if on a state's field: the state's last run done again with one
//! field changed — from the input it recorded, its task answered with what
//! it recorded (the result, or the error) — as TestState runs one state.
//! Nothing of the session changes: the run, its history and the
//! definition are left as they are; the caller shows the new stages beside
//! the recorded ones and may then write the field into the file.

use super::pipeline::{self, Stage};
use crate::asl::model::{Definition, Kind};
use crate::asl::value::{Map, Val};
use crate::engine::task::TaskOutcome;
use crate::engine::Probe;
use crate::engine::{Execution, Options, StageRecord, Status};
use serde_json::Value;
use std::sync::Arc;

/// The state's run with the field changed.
#[derive(Debug, Clone)]
pub struct WhatIf {
    pub record: StageRecord,
    pub stages: Vec<Stage>,
    /// The state failed (not caught): AWS's error and cause.
    pub error: Option<(String, String)>,
}

/// The field of the state that made `stage`, as a JSON pointer inside the
/// state (`/ResultPath`, `/Catch/0/Output`); `None` for a stage no field
/// made (the input, a task's result).
pub fn field_of(stage: &Stage) -> Option<String> {
    stage.expr.as_ref()?;
    let label = stage.label.as_str();
    if let Some(rest) = label.strip_prefix("Catch #") {
        let (n, field) = rest.split_once(' ')?;
        let n: usize = n.parse().ok()?;
        return Some(format!("/Catch/{}/{field}", n.checked_sub(1)?));
    }
    // "items (ItemsPath)", "each item's input (ItemSelector)".
    let field = match (label.find('('), label.ends_with(')')) {
        (Some(i), true) => &label[i + 1..label.len() - 1],
        _ => label,
    };
    let known = crate::asl::model::state_fields("Map", crate::asl::model::QueryLanguage::JsonPath)
        .into_iter()
        .chain(crate::asl::model::state_fields(
            "Task",
            crate::asl::model::QueryLanguage::Jsonata,
        ))
        .chain(crate::asl::model::state_fields(
            "Map",
            crate::asl::model::QueryLanguage::Jsonata,
        ))
        .chain(crate::asl::model::state_fields(
            "Task",
            crate::asl::model::QueryLanguage::JsonPath,
        ))
        .flatten()
        .any(|f| *f == field);
    known.then(|| format!("/{field}"))
}

/// The field's value as the definition has it.
pub fn field_value(def: &Definition, state: &str, field: &str) -> Option<Value> {
    let (m, s) = def.find(state)?;
    def.raw(&def.machines[m].states[s]).pointer(field).cloned()
}

/// Run the last run `rec` of its state again with the field at `field`
/// (a pointer inside the state) set to `value`. `context` and `vars` are
/// what the state saw. An edit that makes the definition invalid gives
/// AWS's validation messages.
pub fn recompute(
    def: &Definition,
    rec: &StageRecord,
    field: &str,
    value: Value,
    context: Option<Val>,
    vars: Map,
) -> Result<WhatIf, Vec<String>> {
    let (m, s) = def
        .find(&rec.state)
        .ok_or_else(|| vec![format!("no state '{}' in the definition", rec.state)])?;
    let st = &def.machines[m].states[s];
    let mut source = def.source.get().clone();
    let at = format!("{}{field}", st.pointer);
    match source.pointer_mut(&at) {
        Some(v) => *v = value,
        None => return Err(vec![format!("the state has no field at {field}")]),
    }
    let new = Arc::new(Definition::from_value(&source).map_err(|errs| {
        errs.iter()
            .take(4)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    })?);
    let (nm, ns) = new
        .find(&rec.state)
        .ok_or_else(|| vec![format!("no state '{}' in the definition", rec.state)])?;
    // The task answers what it answered in the run.
    let calls = matches!(
        new.machines[nm].states[ns].kind,
        Kind::Task(_) | Kind::Map(_) | Kind::Parallel { .. }
    );
    let mock = calls.then(|| match (&rec.error, &rec.result) {
        (Some(e), _) => TaskOutcome::Failed {
            error: e.name().map(str::to_string),
            cause: e.cause().map(str::to_string),
        },
        (None, Some(r)) => TaskOutcome::Succeeded(r.clone()),
        (None, None) => TaskOutcome::Succeeded(Val::empty_obj()),
    });
    let input = rec.input.clone().unwrap_or_else(Val::empty_obj);
    let probe = Probe {
        mock: mock.clone(),
        context,
        ..Probe::default()
    };
    let mut ex = Execution::probe(
        new.clone(),
        (nm, ns),
        input.clone(),
        vars,
        probe,
        Box::new(crate::testing::test_state::MockAnswer(mock)),
        // AWS's payload quota holds: a value over it fails as in a run.
        Options::default(),
    );
    ex.run();
    let record = ex
        .stages()
        .iter()
        .rev()
        .find(|r| r.frame.is_empty() && r.state == rec.state)
        .cloned()
        .unwrap_or_else(|| StageRecord {
            state: rec.state.clone(),
            input: Some(input),
            ..StageRecord::default()
        });
    let error = match ex.status() {
        Status::Succeeded => None,
        _ if ex.retriable().is_some() => None,
        _ => ex.error().map(|e| {
            (
                e.name().unwrap_or("(no error name)").to_string(),
                e.cause.clone(),
            )
        }),
    };
    Ok(WhatIf {
        stages: pipeline::stages(&new, &record),
        record,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::task::{TaskRequest, TaskRunner};
    use serde_json::json;

    struct Answer;
    impl TaskRunner for Answer {
        fn invoke(&mut self, _: &TaskRequest) -> TaskOutcome {
            TaskOutcome::Succeeded(Val::from(&json!({"Payload": 7500})))
        }
    }

    fn run(def: serde_json::Value) -> (Definition, Vec<StageRecord>) {
        let d = Arc::new(Definition::from_value(&def).unwrap());
        let mut ex = Execution::new(
            d.clone(),
            Val::from(&json!({"a": 1})),
            Box::new(Answer),
            Options::default(),
        );
        ex.run();
        ((*d).clone(), ex.stages().to_vec())
    }

    fn def() -> serde_json::Value {
        json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                  "ResultSelector": {"amount.$": "$.Payload"}, "ResultPath": "$.credit", "Next": "E"},
            "E": {"Type": "Succeed"}}})
    }

    #[test]
    fn a_changed_result_path_recomputes_the_stages_after_it_only() {
        let (d, recs) = run(def());
        let t = recs.iter().find(|r| r.state == "T").unwrap();
        let stages = pipeline::stages(&d, t);
        let rp = stages.iter().find(|s| s.label == "ResultPath").unwrap();
        assert_eq!(field_of(rp).as_deref(), Some("/ResultPath"));
        let w = recompute(&d, t, "/ResultPath", json!("$.other"), None, Map::default()).unwrap();
        assert!(w.error.is_none());
        assert_eq!(
            w.record.output.as_ref().unwrap().to_json(),
            json!({"a": 1, "other": {"amount": 7500}})
        );
        // The task was not called again: its recorded result stood in.
        assert_eq!(w.record.result, t.result);
        // The definition the session runs is unchanged.
        assert_eq!(field_value(&d, "T", "/ResultPath"), Some(json!("$.credit")));
    }

    #[test]
    fn a_field_that_fails_shows_aws_error_and_an_invalid_one_its_validation() {
        let (d, recs) = run(def());
        let t = recs.iter().find(|r| r.state == "T").unwrap();
        let w = recompute(
            &d,
            t,
            "/ResultSelector",
            json!({"x.$": "$.nope"}),
            None,
            Map::default(),
        )
        .unwrap();
        let (name, cause) = w.error.unwrap();
        assert_eq!(name, "States.Runtime");
        assert!(cause.contains("$.nope"), "{cause}");
        let e = recompute(&d, t, "/ResultPath", json!("$.a["), None, Map::default()).unwrap_err();
        assert!(e[0].contains("ResultPath"), "{e:?}");
        assert!(recompute(&d, t, "/Nope", json!(1), None, Map::default()).is_err());
    }

    #[test]
    fn a_choice_rule_changed_picks_another_next_state() {
        let (d, recs) = run(json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"Variable": "$.a", "NumericGreaterThan": 0, "Next": "Big"}],
                "Default": "Small"},
            "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}}));
        let c = recs.iter().find(|r| r.state == "C").unwrap();
        assert_eq!(c.next.as_deref(), Some("Big"));
        let rule = json!({"Variable": "$.a", "NumericGreaterThan": 5, "Next": "Big"});
        let w = recompute(&d, c, "/Choices/0", rule, None, Map::default()).unwrap();
        assert_eq!(w.record.next.as_deref(), Some("Small"));
        assert!(!w.record.rules[0].matched);
    }

    #[test]
    fn fields_are_found_from_their_stages() {
        let stage = |label: &str| Stage {
            key: "x",
            label: label.into(),
            expr: Some("\"$\"".into()),
            value: Val::Null,
            base: 0,
        };
        assert_eq!(
            field_of(&stage("Catch #2 ResultPath")).as_deref(),
            Some("/Catch/1/ResultPath")
        );
        assert_eq!(
            field_of(&stage("items (ItemsPath)")).as_deref(),
            Some("/ItemsPath")
        );
        assert_eq!(
            field_of(&stage("each item's input (ItemSelector)")).as_deref(),
            Some("/ItemSelector")
        );
        assert_eq!(field_of(&stage("Output")).as_deref(), Some("/Output"));
        assert_eq!(field_of(&stage("task result")), None);
    }
}
