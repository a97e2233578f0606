//! Errors: Retry, Catch, States.ALL, failures without error or cause, stop.

use super::*;

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
