//! Engine semantics, each pinned by a small machine.

use super::task::{TaskOutcome, TaskRequest, TaskRunner};
use super::*;
use crate::asl::Definition;
use serde_json::{json, Value};

/// Answers tasks from a script: state name -> outcomes in call order.
struct Script(Vec<(&'static str, TaskOutcome)>);

impl TaskRunner for Script {
    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        match self.0.iter().position(|(s, _)| *s == req.state) {
            Some(i) => self.0.remove(i).1,
            None => TaskOutcome::failed("NoScript", req.state.to_string()),
        }
    }
}

fn ok(v: Value) -> TaskOutcome {
    TaskOutcome::Succeeded(Val::from(v))
}

fn fail(e: &str) -> TaskOutcome {
    TaskOutcome::failed(e, format!("{e} happened"))
}

fn exec(def: Value, input: Value, script: Vec<(&'static str, TaskOutcome)>) -> Execution {
    exec_with(def, input, script, Options::default())
}

fn exec_with(
    def: Value,
    input: Value,
    script: Vec<(&'static str, TaskOutcome)>,
    opts: Options,
) -> Execution {
    let d = Definition::from_value(&def).unwrap_or_else(|e| panic!("invalid test machine: {e:?}"));
    Execution::new(
        Arc::new(d),
        Val::from(input),
        Box::new(Script(script)),
        opts,
    )
}

fn run(def: Value, input: Value, script: Vec<(&'static str, TaskOutcome)>) -> Execution {
    let mut ex = exec(def, input, script);
    ex.run();
    ex
}

fn types(ex: &Execution) -> Vec<&'static str> {
    ex.history().iter().map(|e| e.event_type.as_str()).collect()
}

fn out(ex: &Execution) -> Value {
    ex.output().map(Val::to_json).unwrap_or(Value::Null)
}

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
fn retry_backs_off_on_the_virtual_clock_then_catch_keeps_the_raw_input() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 3}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "C"}]},
        "C": {"Type": "Pass", "End": true}}});
    let ex = run(
        def,
        json!({"in": 1}),
        vec![
            ("T", fail("Boom")),
            ("T", fail("Boom")),
            ("T", fail("Boom")),
        ],
    );
    assert_eq!(ex.status(), Status::Succeeded);
    assert_eq!(
        out(&ex),
        json!({"in": 1, "err": {"Error": "Boom", "Cause": "Boom happened"}})
    );
    // 2 s then 6 s of back-off, no real time.
    assert_eq!(ex.now_ms() - Options::default().start_time_ms, 8_000);
    assert_eq!(
        types(&ex).iter().filter(|t| **t == "TaskScheduled").count(),
        3
    );
}

#[test]
fn only_the_first_matching_retrier_counts_and_max_attempts_zero_never_retries() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]}}});
    let ex = run(
        def,
        json!({}),
        vec![("T", fail("Boom")), ("T", ok(json!(1)))],
    );
    assert_eq!(ex.status(), Status::Failed);
    assert_eq!(ex.error().unwrap().error, "Boom");
}

#[test]
fn states_all_does_not_catch_states_runtime() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.missing", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
        "C": {"Type": "Pass", "End": true}}});
    let ex = run(def, json!({}), vec![("T", ok(json!({})))]);
    assert_eq!(ex.status(), Status::Failed);
    let e = ex.error().unwrap();
    assert_eq!(e.error, "States.Runtime");
    assert!(
        e.cause
            .contains("Invalid path '$.missing' : No results for path: $['missing']"),
        "{}",
        e.cause
    );
    assert!(error_matches("States.ALL", "States.DataLimitExceeded"));
    assert!(error_matches("States.Timeout", "States.HeartbeatTimeout"));
    assert!(!error_matches("States.TaskFailed", "States.Timeout"));
}

#[test]
fn parallel_and_map_keep_declaration_and_item_order() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "M", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}}],
            "ResultPath": "$.par"},
        "M": {"Type": "Map", "ItemsPath": "$.items", "End": true,
              "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "all.$": "$.par"},
              "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}}}}});
    let ex = run(def, json!({"items": [10, 20]}), vec![]);
    assert_eq!(
        out(&ex),
        json!([{"i": 0, "v": 10, "all": ["a", "b"]}, {"i": 1, "v": 20, "all": ["a", "b"]}])
    );
    let t = types(&ex);
    assert!(!t.contains(&"ParallelStateSucceeded"), "AWS writes none");
    assert_eq!(
        t.iter().filter(|x| **x == "MapIterationSucceeded").count(),
        2
    );
}

#[test]
fn a_failing_iteration_fails_the_map_and_can_be_caught() {
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "End": true, "Catch": [{"ErrorEquals": ["Bad"], "Next": "C"}],
              "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad", "Cause": "no"}}}},
        "C": {"Type": "Pass", "End": true}}});
    let ex = run(def, json!([1, 2]), vec![]);
    assert_eq!(out(&ex), json!({"Error": "Bad", "Cause": "no"}));
    let t = types(&ex);
    let i = t.iter().position(|x| *x == "MapIterationFailed").unwrap();
    // Both iterations started (no MaxConcurrency); the second, not yet
    // in a state, is aborted when the first fails.
    assert_eq!(
        &t[i..i + 4],
        [
            "MapIterationFailed",
            "MapIterationAborted",
            "MapStateFailed",
            "MapStateExited"
        ]
    );
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
fn loops_stop_at_the_event_limit() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}});
    let mut ex = exec_with(
        def,
        json!({}),
        vec![],
        Options {
            max_events: 100,
            ..Options::default()
        },
    );
    ex.run();
    assert_eq!(ex.status(), Status::Failed);
    assert_eq!(ex.error().unwrap().error, "States.Runtime");
    assert!(ex.history().len() <= 101);
}

#[test]
fn payload_quota_and_its_override() {
    let big = "x".repeat(300_000);
    let def =
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": big, "End": true}}});
    let ex = run(def.clone(), json!({}), vec![]);
    assert_eq!(ex.error().unwrap().error, "States.DataLimitExceeded");
    let mut ex = exec_with(
        def,
        json!({}),
        vec![],
        Options {
            quota: false,
            ..Options::default()
        },
    );
    assert_eq!(ex.run(), Status::Succeeded);
}

#[test]
fn waits_move_the_virtual_clock_and_execution_timeout_is_uncatchable() {
    let def = json!({"StartAt": "W", "TimeoutSeconds": 10, "States": {
        "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "D"}, "D": {"Type": "Pass", "End": true}}});
    let ex = run(def.clone(), json!({"s": 5}), vec![]);
    assert_eq!(ex.status(), Status::Succeeded);
    assert_eq!(ex.now_ms() - Options::default().start_time_ms, 5_000);
    let ex = run(def, json!({"s": 60}), vec![]);
    assert_eq!(ex.status(), Status::TimedOut);
    assert_eq!(*types(&ex).last().unwrap(), "ExecutionTimedOut");
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
fn a_failed_evaluation_in_an_iteration_is_reported_once() {
    let ex = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "Items": "{% [1] %}",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $nothing %}", "End": true}}},
            "End": true}}}),
        json!({}),
        vec![],
    );
    assert_eq!(ex.status(), Status::Failed);
    assert_eq!(
        types(&ex)[3..],
        [
            "MapIterationStarted",
            "PassStateEntered",
            "EvaluationFailed",
            "MapIterationFailed",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
}

#[test]
fn express_executions_have_an_express_arn_and_no_redrive_count() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"c.$": "$$.Execution"}, "End": true}}});
    let mut ex = exec_with(def.clone(), json!({}), vec![], Options::default());
    ex.run();
    let c = out(&ex)["c"].clone();
    assert!(c["Id"].as_str().unwrap().contains(":execution:"));
    assert_eq!(c["RedriveCount"], 0);
    let express = Options {
        express: true,
        ..Options::default()
    };
    let mut ex = exec_with(def, json!({}), vec![], express);
    ex.run();
    let c = out(&ex)["c"].clone();
    assert!(c["Id"]
        .as_str()
        .unwrap()
        .contains(":express:StateMachine:asldbg-execution:"));
    assert!(c.get("RedriveCount").is_none());
}

#[test]
fn executions_started_before_redrive_existed_have_no_redrive_count() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"c.$": "$$.Execution"}, "End": true}}});
    let at = |ms: i64| {
        let opts = Options {
            start_time_ms: ms,
            ..Options::default()
        };
        let mut ex = exec_with(def.clone(), json!({}), vec![], opts);
        ex.run();
        out(&ex)["c"].clone()
    };
    // Recorded on AWS in October 2023: no RedriveCount.
    assert!(at(context::REDRIVE_SINCE_MS - 1)
        .get("RedriveCount")
        .is_none());
    assert_eq!(at(context::REDRIVE_SINCE_MS)["RedriveCount"], 0);
}

#[test]
fn a_failure_without_error_or_cause_shows_them_as_null() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Catch": [{"ErrorEquals": ["States.Runtime"], "ResultPath": "$.runtime", "Next": "Done"},
                        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.all", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": true}}});
    let bare = || TaskOutcome::Failed {
        error: None,
        cause: None,
    };
    let ex = run(def, json!({}), vec![("T", bare())]);
    assert_eq!(out(&ex), json!({"all": {"Error": null, "Cause": null}}));
    let failed = ex
        .history()
        .iter()
        .find(|e| e.event_type == "TaskFailed")
        .unwrap()
        .to_json();
    assert!(
        failed["taskFailedEventDetails"].get("error").is_none(),
        "{failed}"
    );
    assert!(
        failed["taskFailedEventDetails"].get("cause").is_none(),
        "{failed}"
    );
    // Uncaught, the execution fails with neither.
    let ex = run(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}),
        json!({}),
        vec![("T", bare())],
    );
    let e = ex.error().unwrap();
    assert_eq!((e.name(), e.cause()), (None, None));
    assert_eq!(e.to_string(), "(no error name): (no cause)");
    // A Fail state with only an Error gives no Cause.
    let ex = run(
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops"}}}),
        json!({}),
        vec![],
    );
    let e = ex.error().unwrap();
    assert_eq!((e.name(), e.cause()), (Some("Oops"), None));
}

#[test]
fn stop_aborts_a_running_execution_and_nothing_runs_after() {
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "Next": "P"}, "P": {"Type": "Pass", "End": true}}});
    let mut ex = exec(def, json!({}), vec![]);
    ex.step();
    ex.stop(Some("Stopped.ByUser".into()), None);
    assert_eq!(ex.status(), Status::Aborted);
    assert_eq!(
        types(&ex),
        ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    );
    let last = ex.history().last().unwrap().to_json();
    assert_eq!(last["previousEventId"], 0);
    assert_eq!(
        last["executionAbortedEventDetails"]["error"],
        "Stopped.ByUser"
    );
    assert!(!ex.step());
    assert_eq!(ex.error().and_then(|e| e.name()), Some("Stopped.ByUser"));
}

#[test]
fn a_task_failing_out_of_a_branch_or_iteration_is_aborted() {
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
    let par = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
            "Branches": [{"StartAt": "T", "States": {"T": task}}]}}}),
        json!({}),
        vec![("T", fail("Boom"))],
    );
    let t = types(&par);
    let at = t.iter().position(|x| *x == "TaskFailed").unwrap();
    assert_eq!(
        t[at..],
        [
            "TaskFailed",
            "TaskStateAborted",
            "ParallelStateFailed",
            "ExecutionFailed"
        ]
    );
    let map = run(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "T", "States": {"T": task}}}}}),
        json!([1]),
        vec![("T", fail("Boom"))],
    );
    let t = types(&map);
    let at = t.iter().position(|x| *x == "TaskFailed").unwrap();
    assert_eq!(
        t[at..],
        [
            "TaskFailed",
            "MapIterationFailed",
            "TaskStateAborted",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
    // Caught inside the branch, or a top-level task: nothing is aborted.
    let caught = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
            "Branches": [{"StartAt": "T", "States": {
                "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]},
                "F": {"Type": "Pass", "End": true}}}]}}}),
        json!({}),
        vec![("T", fail("Boom"))],
    );
    assert!(!types(&caught).contains(&"TaskStateAborted"));
    let top = run(
        json!({"StartAt": "T", "States": {"T": task}}),
        json!({}),
        vec![("T", fail("Boom"))],
    );
    assert!(!types(&top).contains(&"TaskStateAborted"));
}

#[test]
fn huge_wait_seconds_paths_are_too_long_instead_of_wrapping_the_clock() {
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}});
    for s in [
        json!(18446744073709552u64),
        json!(100_000_000),
        json!(i64::MAX),
    ] {
        let ex = run(def.clone(), json!({"s": s}), vec![]);
        assert_eq!(ex.status(), Status::Failed, "{s}");
        assert!(ex
            .error()
            .unwrap()
            .cause()
            .unwrap()
            .contains("Wait state delay is too long"));
    }
    let ex = run(def, json!({"s": 99_999_999}), vec![]);
    // A wait longer than a Standard execution's year times out the execution.
    assert_eq!(ex.status(), Status::TimedOut);
}

#[test]
fn literal_waits_and_timeouts_past_99999999_seconds_are_invalid() {
    for def in [
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": i64::MAX, "End": true}}}),
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": i64::MAX, "End": true}}}),
    ] {
        let e = Definition::from_value(&def).unwrap_err();
        assert!(format!("{e:?}").contains("at most 99999999"), "{e:?}");
    }
}

#[test]
fn a_huge_execution_timeout_does_not_time_out_at_once() {
    let def = json!({"TimeoutSeconds": i64::MAX, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}});
    let ex = run(def, json!({}), vec![]);
    assert_eq!(ex.status(), Status::Succeeded);
}

#[test]
fn a_huge_backoff_rate_keeps_the_clock_moving_forward_within_range() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 1e308, "MaxAttempts": 5}], "End": true}}});
    let ex = run(
        def,
        json!({}),
        vec![
            ("T", fail("E")),
            ("T", fail("E")),
            ("T", fail("E")),
            ("T", ok(json!(1))),
        ],
    );
    let stamps: Vec<i64> = ex.history().iter().map(|e| e.timestamp_ms).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
    // The second back-off is past a year: the execution times out then.
    assert_eq!(ex.status(), Status::TimedOut);
    for e in ex.history() {
        assert!(!e.to_json()["timestamp"].as_str().unwrap_or("").is_empty());
    }
}

#[test]
fn an_express_execution_times_out_after_five_minutes() {
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 301, "End": true}}});
    let opts = Options {
        express: true,
        ..Options::default()
    };
    let mut ex = exec_with(def, json!({}), vec![], opts);
    ex.run();
    assert_eq!(ex.status(), Status::TimedOut);
}

#[test]
fn a_task_that_times_out_moves_the_clock_by_its_timeout() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 30, "End": true}}});
    let ex = run(
        def,
        json!({}),
        vec![("T", TaskOutcome::TimedOut { heartbeat: false })],
    );
    assert_eq!(ex.error().unwrap().error, "States.Timeout");
    let first = ex.history().first().unwrap().timestamp_ms;
    let last = ex.history().last().unwrap().timestamp_ms;
    assert_eq!(last - first, 30_000);
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

/// A Map of three tasks, each iteration's task answered in call order.
fn map_of_tasks(max_concurrency: Option<u64>) -> Value {
    let mut m = json!({"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}});
    if let Some(n) = max_concurrency {
        m["MaxConcurrency"] = json!(n);
    }
    json!({"StartAt": "M", "States": {"M": m}})
}

#[test]
fn iterations_run_interleaved_and_a_failure_aborts_the_ones_still_running() {
    // As AWS recorded a Map of four timed-out Lambda calls: every iteration
    // starts, each goes as far as its task, the tasks start and answer in
    // turn, then the first failure aborts the others.
    let ex = run(
        map_of_tasks(None),
        json!([0, 1, 2]),
        vec![
            ("T", fail("Boom")),
            ("T", ok(json!(1))),
            ("T", ok(json!(2))),
        ],
    );
    assert_eq!(ex.status(), Status::Failed);
    let t = types(&ex);
    assert_eq!(
        t,
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapIterationStarted",
            "MapIterationStarted",
            "MapIterationStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskStarted",
            "TaskStarted",
            "TaskFailed",
            "TaskSucceeded",
            "TaskSucceeded",
            "MapIterationFailed",
            "TaskStateAborted",
            "MapIterationAborted",
            "TaskStateAborted",
            "MapIterationAborted",
            "TaskStateAborted",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
    // Every abort is linked to the failure that caused it.
    let failed = ex
        .history()
        .iter()
        .find(|e| e.event_type == "TaskFailed")
        .unwrap();
    for e in ex.history().iter().filter(|e| {
        matches!(
            e.event_type.as_str(),
            "MapIterationFailed" | "TaskStateAborted" | "MapIterationAborted"
        )
    }) {
        assert_eq!(e.previous_event_id, failed.id, "{:?}", e.event_type);
    }
    // Each aborted task is shown in its own iteration; the Map's events in
    // the Map's frame.
    let frames: Vec<(&str, Vec<usize>)> = ex
        .history()
        .iter()
        .filter(|e| e.event_type.as_str().contains("Abort"))
        .map(|e| (e.event_type.as_str(), e.frame.clone()))
        .collect();
    assert_eq!(
        frames,
        [
            ("TaskStateAborted", vec![0]),
            ("MapIterationAborted", vec![]),
            ("TaskStateAborted", vec![1]),
            ("MapIterationAborted", vec![]),
            ("TaskStateAborted", vec![2]),
        ]
    );
}

#[test]
fn max_concurrency_one_runs_iterations_one_after_another() {
    let ex = run(
        map_of_tasks(Some(1)),
        json!([0, 1]),
        vec![("T", ok(json!("a"))), ("T", ok(json!("b")))],
    );
    assert_eq!(out(&ex), json!(["a", "b"]));
    let t = types(&ex);
    let started: Vec<usize> = t
        .iter()
        .enumerate()
        .filter(|(_, x)| **x == "MapIterationStarted")
        .map(|(i, _)| i)
        .collect();
    let first_done = t
        .iter()
        .position(|x| *x == "MapIterationSucceeded")
        .unwrap();
    assert!(started[1] > first_done, "{t:?}");
}

#[test]
fn results_keep_item_order_whatever_order_iterations_finish_in() {
    // Iteration 0 waits, iteration 1 does not: 1 finishes first.
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "P"},
            "P": {"Type": "Pass", "OutputPath": "$.v", "End": true}}}}}});
    let ex = run(
        def,
        json!([{"s": 5, "v": "slow"}, {"s": 0, "v": "fast"}]),
        vec![],
    );
    assert_eq!(out(&ex), json!(["slow", "fast"]));
    let done: Vec<i64> = ex
        .history()
        .iter()
        .filter(|e| e.event_type == "MapIterationSucceeded")
        .map(|e| match e.details.iter().find(|(k, _)| *k == "index") {
            Some((_, history::Field::Int(i))) => *i,
            _ => -1,
        })
        .collect();
    assert_eq!(done, [1, 0]);
}

#[test]
fn parallel_waits_overlap_on_the_virtual_clock() {
    // Two branches that each wait 10 s take 10 s, not 20.
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
    "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 10, "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 10, "End": true}}}
    ]}}});
    let ex = run(def, json!({}), vec![]);
    assert_eq!(ex.status(), Status::Succeeded);
    assert_eq!(ex.now_ms() - Options::default().start_time_ms, 10_000);
}

#[test]
fn a_failing_branch_aborts_a_waiting_sibling() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
    "Branches": [
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}},
        {"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}
    ]}}});
    let ex = run(def, json!({}), vec![("T", fail("Boom"))]);
    assert_eq!(ex.status(), Status::Failed);
    let t = types(&ex);
    let i = t.iter().position(|x| *x == "TaskFailed").unwrap();
    assert_eq!(
        &t[i..],
        [
            "TaskFailed",
            "TaskStateAborted",
            "WaitStateAborted",
            "ParallelStateFailed",
            "ExecutionFailed"
        ]
    );
    // The clock did not wait for the aborted Wait.
    assert_eq!(ex.now_ms(), Options::default().start_time_ms);
}

#[test]
fn the_interleaving_is_the_same_every_run() {
    let runs: Vec<Vec<String>> = (0..3)
        .map(|_| {
            let ex = run(
                map_of_tasks(None),
                json!([0, 1, 2, 3]),
                vec![
                    ("T", ok(json!(0))),
                    ("T", fail("X")),
                    ("T", ok(json!(2))),
                    ("T", ok(json!(3))),
                ],
            );
            ex.history()
                .iter()
                .map(|e| format!("{} {:?}", e.event_type, e.frame))
                .collect()
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[1], runs[2]);
}
