//! Parallel and Map: order, interleaving, MaxConcurrency, aborted siblings.

use super::*;

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
