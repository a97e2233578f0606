//! A state's data processing as it ran: the stages that state type really
//! has, each with the field that did it, the field's expression and the
//! value after it. JSONPath states show InputPath, Parameters, ResultSelector,
//! ResultPath and OutputPath; JSONata states Arguments, Output and Assign; a
//! Map its items (ItemsPath, Items or ItemReader) and ItemSelector or
//! ItemBatcher; a caught error the catcher's ResultPath or Output.

use crate::asl::model::{Kind, State};
use crate::asl::value::Val;
use crate::asl::Definition;
use crate::engine::StageRecord;

#[derive(Debug, Clone)]
pub struct Stage {
    /// What kind of stage, for explanations: `input`, `after InputPath`,
    /// `after Parameters`, `after Arguments`, `items`, `result`,
    /// `after ResultSelector`, `after ResultPath`, `output`, `Assign`.
    pub key: &'static str,
    /// The field that made the value, as a person reads it.
    pub label: String,
    /// The field's expression in the definition (compact JSON text).
    pub expr: Option<String>,
    pub value: Val,
    /// The stage this one is best compared with: the one before, except
    /// for ResultPath, which puts the result into the state's input.
    pub base: usize,
}

fn compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The stages of record `r` (the last run of one state), in order. A stage
/// whose field the state does not set and that left the value as it was (a
/// default `$` path) is left out.
pub fn stages(def: &Definition, r: &StageRecord) -> Vec<Stage> {
    let st: Option<&State> = def.find(&r.state).map(|(m, s)| &def.machines[m].states[s]);
    let raw = |k: &str| st.and_then(|s| def.raw(s).get(k)).map(compact);
    let catcher = |k: &str| {
        let c = r.caught_by?;
        st.and_then(|s| def.raw(s).get("Catch")?.get(c)?.get(k))
            .map(compact)
    };
    let jsonata = st.is_some_and(|s| s.is_jsonata());
    let kind = st.map(|s| &s.kind);
    let pass = matches!(kind, Some(Kind::Pass { .. }));
    let mut out: Vec<Stage> = Vec::new();
    let mut push = |key: &'static str, label: String, expr: Option<String>, v: &Option<Val>| {
        let Some(v) = v else { return };
        // A result is news even when it equals what went in (a Pass
        // state's result is its Parameters, so that one is not).
        let always = key == "input" || (key == "result" && (!pass || r.caught_by.is_some()));
        if expr.is_none() && !always {
            if let Some(prev) = out.last() {
                if prev.value == *v {
                    return;
                }
            }
        }
        let base = match key {
            "after ResultPath" => 0,
            _ => out.len().saturating_sub(1),
        };
        out.push(Stage {
            key,
            label,
            expr,
            value: v.clone(),
            base,
        });
    };
    push("input", "input".into(), None, &r.input);
    if !jsonata {
        push(
            "after InputPath",
            "InputPath".into(),
            raw("InputPath"),
            &r.after_input_path,
        );
    }
    match kind {
        Some(Kind::Map(spec)) => {
            let (label, expr) = if spec.item_reader.is_some() {
                ("ItemReader", raw("ItemReader"))
            } else if jsonata {
                ("Items", raw("Items"))
            } else {
                ("ItemsPath", raw("ItemsPath"))
            };
            push("items", format!("items ({label})"), expr, &r.items);
            let (label, expr) = if spec.item_batcher.is_some() {
                ("ItemBatcher", raw("ItemBatcher"))
            } else if raw("ItemSelector").is_some() {
                ("ItemSelector", raw("ItemSelector"))
            } else {
                ("Parameters", raw("Parameters"))
            };
            push(
                "after Parameters",
                format!("each item's input ({label})"),
                expr,
                &r.after_parameters,
            );
        }
        Some(Kind::Choice { .. }) => {}
        _ if jsonata => push(
            "after Arguments",
            "Arguments".into(),
            raw("Arguments"),
            &r.after_parameters,
        ),
        _ => push(
            "after Parameters",
            "Parameters".into(),
            raw("Parameters"),
            &r.after_parameters,
        ),
    }
    let result = match kind {
        _ if r.caught_by.is_some() => "error output (caught)",
        Some(Kind::Task(_)) => "task result",
        Some(Kind::Map(_)) => "results (one per item)",
        Some(Kind::Parallel { .. }) => "results (one per branch)",
        _ => "result",
    };
    push("result", result.into(), None, &r.result);
    push(
        "after ResultSelector",
        "ResultSelector".into(),
        raw("ResultSelector"),
        &r.after_result_selector,
    );
    match r.caught_by {
        Some(c) => {
            let n = c + 1;
            if jsonata {
                push(
                    "output",
                    format!("Catch #{n} Output"),
                    catcher("Output"),
                    &r.output,
                );
            } else {
                push(
                    "after ResultPath",
                    format!("Catch #{n} ResultPath"),
                    catcher("ResultPath"),
                    &r.after_result_path,
                );
                push("output", "output".into(), None, &r.output);
            }
        }
        None => {
            push(
                "after ResultPath",
                "ResultPath".into(),
                raw("ResultPath"),
                &r.after_result_path,
            );
            if jsonata {
                push("output", "Output".into(), raw("Output"), &r.output);
            } else {
                push("output", "OutputPath".into(), raw("OutputPath"), &r.output);
            }
        }
    }
    let assign = match r.caught_by {
        Some(c) => (format!("Catch #{} Assign", c + 1), catcher("Assign")),
        None => ("Assign".to_string(), raw("Assign")),
    };
    if let Some(a) = &r.assigned {
        let base = out.len().saturating_sub(1);
        out.push(Stage {
            base,
            key: "Assign",
            label: assign.0,
            expr: assign.1,
            value: Val::obj(a.clone()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::task::{TaskOutcome, TaskRequest, TaskRunner};
    use crate::engine::{Execution, Options};
    use serde_json::json;
    use std::sync::Arc;

    struct NoTasks;
    impl TaskRunner for NoTasks {
        fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
            TaskOutcome::failed("NoTask", req.state.to_string())
        }
    }

    fn run(
        def: serde_json::Value,
        input: serde_json::Value,
    ) -> (Arc<Definition>, Vec<StageRecord>) {
        let d = Arc::new(Definition::from_value(&def).unwrap());
        let mut ex = Execution::new(
            d.clone(),
            Val::from(&input),
            Box::new(NoTasks),
            Options::default(),
        );
        ex.run();
        (d, ex.stages().to_vec())
    }

    fn labels(d: &Definition, r: &StageRecord) -> Vec<String> {
        stages(d, r).into_iter().map(|s| s.label).collect()
    }

    #[test]
    fn jsonpath_pass_shows_the_fields_it_has() {
        let (d, recs) = run(
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
                "Parameters": {"x.$": "$.a"}, "ResultPath": "$.check", "End": true}}}),
            json!({"a": 1}),
        );
        assert_eq!(labels(&d, &recs[0]), ["input", "Parameters", "ResultPath"]);
        let s = stages(&d, &recs[0]);
        assert_eq!(s[2].expr.as_deref(), Some("\"$.check\""));
        assert_eq!(s[2].value.to_compact(), r#"{"a":1,"check":{"x":1}}"#);
    }

    #[test]
    fn jsonata_states_never_show_jsonpath_stages() {
        let (d, recs) = run(
            json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass",
                "Output": "{% $states.input.a + 1 %}", "Assign": {"v": 2}, "End": true}}}),
            json!({"a": 1}),
        );
        let l = labels(&d, &recs[0]);
        assert!(
            !l.iter()
                .any(|x| x.contains("InputPath") || x.contains("ResultPath")),
            "{l:?}"
        );
        assert_eq!(l, ["input", "Output", "Assign"]);
    }

    #[test]
    fn map_shows_its_items_and_item_selector() {
        let (d, recs) = run(
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs",
                "ItemSelector": {"v.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
                "End": true}}}),
            json!({"xs": [1, 2]}),
        );
        let m = recs.iter().find(|r| r.state == "M").unwrap();
        assert_eq!(
            labels(&d, m),
            [
                "input",
                "items (ItemsPath)",
                "each item's input (ItemSelector)",
                "results (one per item)"
            ]
        );
    }

    #[test]
    fn a_caught_error_shows_the_catchers_result_path() {
        let (d, recs) = run(
            json!({"StartAt": "F", "States": {
                "F": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                      "OutputPath": "$.never",
                      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "E"}],
                      "Next": "E"},
                "E": {"Type": "Succeed"}}}),
            json!({"a": 1}),
        );
        let f = recs.iter().find(|r| r.state == "F").unwrap();
        let l = labels(&d, f);
        assert!(l.contains(&"Catch #1 ResultPath".to_string()), "{l:?}");
        assert!(!l.iter().any(|x| x == "OutputPath"), "{l:?}");
    }
}
