//! Data flow: paths, ResultPath, stages, Choice, variables, JSONata, edits and determinism.

use super::*;

#[test]
fn result_path_merges_into_the_raw_input_and_stages_are_recorded() {
    let ex = run(
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "InputPath": "$.a", "Parameters": {"x.$": "$.b"},
            "ResultPath": "$.r", "OutputPath": "$.r", "End": true}}}),
        json!({"a": {"b": 1}, "keep": true}),
        vec![],
    );
    assert_eq!(ex.status(), Status::Succeeded);
    assert_eq!(out(&ex), json!({"x": 1}));
    let st = &ex.stages()[0];
    assert_eq!(
        st.after_input_path.as_ref().unwrap().to_json(),
        json!({"b": 1})
    );
    assert_eq!(
        st.after_parameters.as_ref().unwrap().to_json(),
        json!({"x": 1})
    );
    assert_eq!(
        st.after_result_path.as_ref().unwrap().to_json(),
        json!({"a": {"b": 1}, "keep": true, "r": {"x": 1}})
    );
    assert_eq!(
        types(&ex),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn null_paths() {
    let ex = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": null, "Result": 5, "ResultPath": null, "End": true}}}),
        json!({"a": 1}),
        vec![],
    );
    assert_eq!(out(&ex), json!({"a": 1}));
    let ex = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "OutputPath": null, "End": true}}}),
        json!({"a": 1}),
        vec![],
    );
    assert_eq!(out(&ex), json!({}));
}

#[test]
fn step_advances_one_event_and_pauses_inside_iterations() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}}}}});
    let mut ex = exec(def, json!([1, 2, 3]), vec![]);
    let mut seen_inner = false;
    let mut last = ex.history().len();
    while ex.status() == Status::Running {
        ex.step();
        assert!(ex.history().len() <= last + 1, "one event per step at most");
        last = ex.history().len();
        if ex.depth() == 1 && ex.at_state_entry() {
            assert_eq!(&*ex.current_state().unwrap().name, "X");
            seen_inner = true;
        }
    }
    assert!(seen_inner);
    assert_eq!(out(&ex), json!([1, 2, 3]));
}

#[test]
fn an_edit_of_the_pending_input_flows_on() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}});
    let mut ex = exec(def, json!({"x": 1}), vec![]);
    while !(ex.at_state_entry() && ex.current_state().map(|s| &*s.name == "B").unwrap_or(false)) {
        ex.step();
    }
    assert!(ex.set_current_input(Val::from(json!({"x": 2}))));
    ex.run();
    assert_eq!(out(&ex), json!({"x": 2}));
}

#[test]
fn choice_errors() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
        "D": {"Type": "Succeed"}}});
    let ex = run(def.clone(), json!({"n": 2}), vec![]);
    assert_eq!(ex.error().unwrap().error, "States.NoChoiceMatched");
    let ex = run(def.clone(), json!({}), vec![]);
    assert_eq!(ex.error().unwrap().error, "States.Runtime");
    let ex = run(def, json!({"n": 1.0}), vec![]);
    assert_eq!(ex.status(), Status::Succeeded);
}

#[test]
fn variables_are_visible_from_the_next_state_and_inside_branches() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1, "y.$": "$.in"}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": 2, "old.$": "$x"}, "Parameters": {"x.$": "$x"}, "Next": "P"},
        "P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "R", "States": {"R": {"Type": "Pass", "Parameters": {"x.$": "$x", "old.$": "$old", "y.$": "$y"}, "End": true}}}]}}});
    let ex = run(def, json!({"in": "v"}), vec![]);
    assert_eq!(out(&ex), json!([{"x": 2, "old": 1, "y": "v"}]));
}

#[test]
fn a_pending_task_waits_for_its_answer() {
    struct Ask;
    impl TaskRunner for Ask {
        fn invoke(&mut self, _: &TaskRequest) -> TaskOutcome {
            TaskOutcome::Pending
        }
    }
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token"}, "End": true}}});
    let d = Definition::from_value(&def).unwrap();
    let mut ex = Execution::new(
        Arc::new(d),
        Val::empty_obj(),
        Box::new(Ask),
        Options::default(),
    );
    assert_eq!(ex.run(), Status::Running);
    assert!(ex.waiting_for_task());
    ex.answer_task(ok(json!({"approved": true})));
    assert_eq!(ex.run(), Status::Succeeded);
    assert_eq!(out(&ex), json!({"approved": true}));
    assert!(types(&ex).contains(&"TaskSubmitted"));
}

#[test]
fn same_inputs_and_seed_give_the_same_history_byte_for_byte() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"u.$": "States.UUID()", "r.$": "States.MathRandom(1, 1000)"}, "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Retry": [{"ErrorEquals": ["States.ALL"], "JitterStrategy": "FULL", "MaxAttempts": 3}]}}});
    let history = |seed: u64| {
        let mut ex = exec_with(
            def.clone(),
            json!({}),
            vec![("T", fail("E")), ("T", fail("E")), ("T", ok(json!(1)))],
            Options {
                seed,
                ..Options::default()
            },
        );
        ex.run();
        serde_json::to_string(&ex.history().iter().map(|e| e.to_json()).collect::<Vec<_>>())
            .unwrap()
    };
    assert_eq!(history(7), history(7));
    assert_ne!(history(7), history(8));
}

#[test]
fn jsonata_output_and_assign_see_the_variables_from_before_the_state() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}", "old": "{% $x %}"}, "Output": {"seen": "{% $x %}"}, "Next": "C"},
        "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "old": "{% $old %}", "prev": "{% $states.input.seen %}"}, "End": true}}});
    let ex = run(def, json!({}), vec![]);
    assert_eq!(out(&ex), json!({"x": 2, "old": 1, "prev": 1}));
}

#[test]
fn jsonata_task_arguments_result_and_catch() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"Payload": "{% $states.input.n * 2 %}"},
              "Output": "{% $states.result.Payload + 1 %}", "Next": "U"},
        "U": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Catch": [{"ErrorEquals": ["Boom"], "Output": {"err": "{% $states.errorOutput.Error %}", "in": "{% $states.input %}"}, "Next": "C"}]},
        "C": {"Type": "Succeed"}}});
    let ex = run(
        def,
        json!({"n": 20}),
        vec![("T", ok(json!({"Payload": 40}))), ("U", fail("Boom"))],
    );
    assert_eq!(out(&ex), json!({"err": "Boom", "in": 41}));
    assert_eq!(
        ex.stages()[0].after_parameters.as_ref().unwrap().to_json(),
        json!({"Payload": 40})
    );
}

#[test]
fn jsonata_choice_map_and_evaluation_errors() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $count($states.input.xs) > 1 %}", "Next": "M"}], "Default": "F"},
        "M": {"Type": "Map", "Items": "{% $states.input.xs %}", "End": true,
              "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}", "i": "{% $states.context.Map.Item.Index %}"},
              "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $states.input.v * 10 + $states.input.i %}", "End": true}}}},
        "F": {"Type": "Fail", "Error": "{% 'Too' & 'Few' %}", "Cause": "n/a"}}});
    let ex = run(def.clone(), json!({"xs": [1, 2]}), vec![]);
    assert_eq!(out(&ex), json!([10, 21]));
    let ex = run(def, json!({"xs": [1]}), vec![]);
    assert_eq!(ex.error().unwrap().error, "TooFew");
    let bad = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $nope %}", "End": true}}});
    let ex = run(bad, json!({}), vec![]);
    let e = ex.error().unwrap();
    assert_eq!(e.error, "States.QueryEvaluationError");
    assert!(e.cause.ends_with("The JSONata expression '$nope' specified for the field 'Output' returned nothing (undefined)."), "{}", e.cause);
    assert!(types(&ex).contains(&"EvaluationFailed"));
}

#[test]
fn choice_variable_values_are_recorded_only_when_asked() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Z"}], "Default": "Z"},
        "Z": {"Type": "Succeed"}}});
    let plain = run(def.clone(), json!({"n": 5}), vec![]);
    assert!(plain.stages()[0].rules[0].values.is_empty());
    let mut traced = exec_with(
        def,
        json!({"n": 5}),
        vec![],
        Options {
            trace_choices: true,
            ..Options::default()
        },
    );
    traced.run();
    let values = &traced.stages()[0].rules[0].values;
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].0, "$.n");
    assert_eq!(values[0].1.as_ref().map(Val::to_json), Some(json!(5)));
}

#[test]
fn item_batcher_batch_input_is_evaluated_in_both_query_languages() {
    for (ql, batch_input) in [
        ("JSONPath", json!({"tag.$": "$.tag"})),
        ("JSONata", json!({"tag": "{% $states.input.tag %}"})),
    ] {
        let def = json!({
            "QueryLanguage": ql,
            "StartAt": "M",
            "States": {"M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
                },
                "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": batch_input},
                "End": true
            }}
        });
        let def = match ql {
            "JSONPath" => {
                let mut d = def;
                d["States"]["M"]["ItemsPath"] = json!("$.items");
                d
            }
            _ => {
                let mut d = def;
                d["States"]["M"]["Items"] = json!("{% $states.input.items %}");
                d
            }
        };
        let ex = run(def, json!({"tag": "t", "items": [1, 2, 3]}), vec![]);
        assert_eq!(ex.status(), Status::Succeeded, "{ql}: {:?}", ex.error());
        assert_eq!(
            out(&ex),
            json!([
                {"BatchInput": {"tag": "t"}, "Items": [1, 2]},
                {"BatchInput": {"tag": "t"}, "Items": [3]}
            ]),
            "{ql}"
        );
    }
}
