//! End-to-end tests of `asldbg test-state` (AWS's TestState offline) and
//! `asldbg test` (suites, JUnit, coverage).

mod common;
use common::{asldbg, temp_file, text};
use serde_json::{json, Value};

#[test]
fn test_state_answers_a_cli_input_json_request_as_aws_does() {
    let req = json!({
        "definition": r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"Payload.$":"$"},"ResultSelector":{"v.$":"$.Payload"},"Next":"After"}"#,
        "input": r#"{"n":1}"#,
        "inspectionLevel": "DEBUG",
        "roleArn": "arn:aws:iam::123456789012:role/ignored",
        "mock": {"result": r#"{"Payload":42}"#}
    });
    let file = temp_file("req.json", &req.to_string());
    let out = asldbg(&["test-state", "--cli-input-json", &format!("file://{file}")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let resp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resp["status"], "SUCCEEDED");
    assert_eq!(resp["nextState"], "After");
    assert_eq!(resp["output"], json!(r#"{"v":42}"#));
    assert_eq!(
        resp["inspectionData"]["afterParameters"],
        json!(r#"{"Payload":{"n":1}}"#)
    );
    // Flags build or change the request: a mocked error that is not caught.
    let out = asldbg(&[
        "test-state",
        "--cli-input-json",
        &file,
        "--mock-error",
        "Boom",
        "--mock-cause",
        "it broke",
        "--inspection-level",
        "info",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let resp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        resp,
        json!({"status": "FAILED", "error": "Boom", "cause": "it broke"})
    );
}

#[test]
fn test_state_refuses_what_aws_refuses_with_exit_2() {
    let out = asldbg(&[
        "test-state",
        "--definition",
        r#"{"Type":"Pass","Resutl":1,"End":true}"#,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("InvalidDefinition: definition:1:"), "{err}");
    assert!(err.contains("(at /Resutl)"), "{err}");
    let out = asldbg(&[
        "test-state",
        "--definition",
        r#"{"Type":"Pass","End":true}"#,
        "--input",
        "{not json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("InvalidExecutionInput"));
}
