//! The clock and AWS's limits: waits, timeouts, event and payload quotas, the context object by date and type.

use super::*;

#[test]
fn loops_stop_at_the_event_limit() {
    // Endless, though it has a terminal state (AWS refuses one without).
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.never", "IsPresent": false, "Next": "A"}], "Default": "E"},
        "E": {"Type": "Succeed"}}});
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
    // The largest AWS accepts (99999999 s, over three years).
    let def = json!({"TimeoutSeconds": 99_999_999, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}});
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
