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
    // A request with a key given twice: where, not the last one silently.
    let req = temp_file(
        "dup-req.json",
        "{\"definition\": \"{\\\"Type\\\":\\\"Pass\\\",\\\"End\\\":true}\",\n \"input\": \"{}\",\n \"input\": \"{}\"}",
    );
    let out = asldbg(&["test-state", "--cli-input-json", &format!("file://{req}")]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("--cli-input-json:3:2: duplicate key 'input' (first at 2:2)"),
        "{err}"
    );
}

/// A folder with a copy of the choice-rules sample and `suite` beside it.
fn suite_dir(name: &str, suite: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("asldbg-suite-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/choice-rules");
    std::fs::copy(
        root.join("choice-rules.asl.json"),
        dir.join("route.asl.json"),
    )
    .unwrap();
    std::fs::write(dir.join("route.test.yaml"), suite).unwrap();
    dir
}

const ROUTE_SUITE: &str = r#"definition: route.asl.json
cases:
  - name: large amount
    input: {"amount": 5000, "customer": "a@example.com", "note": "n", "due": "2030-01-01T00:00:00Z"}
    expect:
      status: SUCCEEDED
      path: [Route, Large]
      output-contains: {"amount": 5000}
  - name: wrong on purpose
    input: {"amount": 5, "customer": "a@example.com", "note": "n", "due": "2030-01-01T00:00:00Z"}
    expect:
      status: SUCCEEDED
      path: [Route, Large]
      output: {"amount": 6}
"#;

#[test]
fn a_suite_reports_each_case_writes_junit_and_exits_1_on_a_failure() {
    let dir = suite_dir("junit", ROUTE_SUITE);
    let junit = dir.join("junit.xml");
    let out = asldbg(&[
        "test",
        dir.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains(":: large amount ... ok"), "{stdout}");
    assert!(
        stdout.contains(":: wrong on purpose ... FAILED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("path parts at step 2: expected 'Large', got 'Standard'"),
        "{stdout}"
    );
    assert!(stdout.contains("/amount: expected 6, got 5"), "{stdout}");
    assert!(
        stdout.contains("test result: FAILED. 1 passed; 1 failed"),
        "{stdout}"
    );
    // The JUnit file parses, and says the same.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut root) = (Vec::new(), 0, None);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |k: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k)
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                                .unwrap()
                                .into_owned()
                        })
                };
                match e.name().as_ref() {
                    "testsuites" => root = Some((attr("tests"), attr("failures"))),
                    "testcase" => cases.push(attr("name").unwrap()),
                    "failure" => failures += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(root, Some((Some("2".into()), Some("1".into()))));
    assert_eq!(cases, ["large amount", "wrong on purpose"]);
    assert_eq!(failures, 1);
    // JSON format: the same results, for scripts.
    let out = asldbg(&["test", dir.to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["passed"].clone(), v["failed"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(v["cases"][1]["path"], json!(["Route", "Standard"]));
}

#[test]
fn coverage_counts_a_choice_rule_never_matched_and_suggest_finds_the_input_that_matches_it() {
    let suite = ROUTE_SUITE
        .replace("output: {\"amount\": 6}", "output-contains: {}")
        .replace(
            "path: [Route, Large]\n      output-contains: {}",
            "path: [Route, Standard]\n      output-contains: {}",
        );
    let dir = suite_dir("coverage", &suite);
    let cov = dir.join("cov.json");
    let out = asldbg(&[
        "test",
        dir.to_str().unwrap(),
        "--coverage-out",
        cov.to_str().unwrap(),
        "--suggest",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&cov).unwrap()).unwrap();
    let rules = &report["definitions"][0]["tallies"]["choice_rules"];
    // Route has 5 rules and a Default: rule 2 and the Default were taken.
    assert_eq!(rules["total"], json!(6), "{rules}");
    assert_eq!(rules["covered"], json!(2), "{rules}");
    assert!(rules["missed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m.as_str().unwrap().starts_with("Route: rule 1 ")));
    // The And rule on $.priority is matched once the input has it; the Or
    // rule once $.note is null.
    assert!(
        stdout.contains("'Route' rule 1 is matched by case 'large amount' with $.priority = \"urgent\" in its input (now absent)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("'Route' rule 5 is matched by case"),
        "{stdout}"
    );
    // The drawing marks the states never entered.
    let def = dir.join("route.asl.json");
    let out = asldbg(&[
        "graph",
        def.to_str().unwrap(),
        "--coverage",
        cov.to_str().unwrap(),
    ]);
    let drawing = text(&out.stdout);
    assert!(drawing.contains("○") && drawing.contains("•"), "{drawing}");
    assert!(drawing.contains("choice rules 2/6"), "{drawing}");
}

#[test]
fn update_records_a_snapshot_in_place_and_the_next_run_checks_it() {
    let suite = "# kept as written\ndefinition: route.asl.json\ncases:\n  - name: snap\n    input: {\"amount\": 1, \"customer\": \"a@example.com\", \"note\": \"n\", \"due\": \"2030-01-01T00:00:00Z\"}\n    expect:\n      output: snapshot # recorded by --update\n";
    let dir = suite_dir("update", suite);
    let file = dir.join("route.test.yaml");
    let out = asldbg(&["test", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("run with --update"));
    let out = asldbg(&["test", file.to_str().unwrap(), "--update"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let now = std::fs::read_to_string(&file).unwrap();
    assert!(now.starts_with("# kept as written\n"), "{now}");
    assert!(
        now.contains("      output: {\"amount\":1,\"customer\":\"a@example.com\",\"note\":\"n\",\"due\":\"2030-01-01T00:00:00Z\"} # recorded by --update\n"),
        "{now}"
    );
    let out = asldbg(&["test", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // A changed output now fails against the snapshot.
    std::fs::write(&file, now.replace("\"amount\":1,", "\"amount\":2,")).unwrap();
    let out = asldbg(&["test", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("/amount: expected 2, got 1"));
}

#[test]
fn update_replaces_only_the_output_snapshot_when_another_value_says_snapshot() {
    let suite = "definition: route.asl.json\ncases:\n  - name: snap\n    input: {\"amount\": 1, \"customer\": \"a@example.com\", \"note\": \"snapshot\", \"due\": \"2030-01-01T00:00:00Z\"}\n    expect: {status: SUCCEEDED, output: snapshot}\n";
    let dir = suite_dir("update-flow", suite);
    let file = dir.join("route.test.yaml");
    let out = asldbg(&["test", file.to_str().unwrap(), "--update"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let now = std::fs::read_to_string(&file).unwrap();
    assert!(
        now.contains("\"note\": \"snapshot\", \"due\""),
        "the input was rewritten:\n{now}"
    );
    assert!(
        now.contains("expect: {status: SUCCEEDED, output: {\"amount\":1,"),
        "{now}"
    );
    let out = asldbg(&["test", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_mocks_file_that_is_not_a_mock_file_is_an_error_even_when_no_case_uses_it() {
    let suite = "definition: route.asl.json\nmocks: /etc/hostname\ncases:\n  - name: a\n    input: {\"amount\": 1, \"customer\": \"a@example.com\", \"note\": \"n\", \"due\": \"2030-01-01T00:00:00Z\"}\n    expect: {status: SUCCEEDED}\n";
    let dir = suite_dir("not-mocks", suite);
    std::fs::write(dir.join("hostname.json"), "[1, 2]").unwrap();
    let file = dir.join("route.test.yaml");
    std::fs::write(&file, suite.replace("/etc/hostname", "hostname.json")).unwrap();
    let out = asldbg(&["test", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("route.test.yaml:2:1: 'hostname.json' is not a mock file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_hundred_thousand_cases_run_and_update_in_linear_time() {
    // Each case's name was looked for in a list of all the names before it,
    // and each recorded snapshot in a list of all the results: 33 s here.
    let mut suite = String::from("definition: route.asl.json\ncases:\n");
    for i in 0..100_000 {
        suite.push_str(&format!(
            "  - name: c{i}\n    input: {{\"amount\": 1, \"customer\": \"a@example.com\", \"note\": \"n\", \"due\": \"2030-01-01T00:00:00Z\"}}\n    expect: {{output: snapshot}}\n"
        ));
    }
    let dir = suite_dir("many", &suite);
    let file = dir.join("route.test.yaml");
    let t = std::time::Instant::now();
    let out = asldbg(&["test", file.to_str().unwrap(), "--update"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = asldbg(&["test", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("100000 passed"));
    assert!(
        t.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn an_invalid_suite_is_exit_2_with_each_problem_at_its_position() {
    let suite = "definition: route.asl.json\nmock: m.json\ncases:\n  - name: a\n    expect:\n      status: DONE\n  - name: a\n    inpt: {}\n    expect: {}\n";
    let dir = suite_dir("invalid", suite);
    let out = asldbg(&["test", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let file = dir.join("route.test.yaml");
    let f = file.to_str().unwrap();
    for want in [
        format!("{f}:2:1: unknown field 'mock'"),
        format!("{f}:6:7: status 'DONE' is not one of"),
        format!("{f}:7:5: two cases are named 'a'"),
        format!("{f}:8:5: unknown field 'inpt'"),
    ] {
        assert!(err.contains(&want), "{want}\n{err}");
    }
    assert!(text(&out.stdout).is_empty(), "nothing was run");
    let out = asldbg(&["test", "/no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_readme_suite_runs_as_written() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let at = readme.find("## Testing in CI").expect("the section");
    let block = &readme[at..];
    let start = block.find("```yaml\n").unwrap() + 8;
    let suite = &block[start..start + block[start..].find("```").unwrap()];
    let dir = std::env::temp_dir().join(format!("asldbg-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/credit-card");
    for f in ["credit-card.asl.json", "mocks.json", "input.json"] {
        std::fs::copy(sample.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("readme.test.yaml"), suite).unwrap();
    let out = asldbg(&["test", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("2 passed; 0 failed"));
}

/// A suite of a real project: a template's machine with its placeholders
/// (`sub`), its deployed name (`name`), a local command for the Tasks the
/// mocks leave, and what each Task was called with.
#[test]
fn a_suite_asserts_what_each_task_was_called_with_and_what_each_state_gave() {
    let dir = std::env::temp_dir().join(format!("asldbg-suite-{}-calls", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("charge.asl.json"),
        r#"{"StartAt": "Charge card", "States": {
  "Charge card": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "${ChargeFn}", "Payload": {"card.$": "$.card", "amount.$": "$.amount", "by.$": "$$.StateMachine.Name"}},
    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 2}],
    "ResultSelector": {"id.$": "$.Payload.id"}, "ResultPath": "$.charge", "Next": "Notify"},
  "Notify": {"Type": "Map", "ItemsPath": "$.emails", "ItemSelector": {"to.$": "$$.Map.Item.Value"},
    "ItemProcessor": {"StartAt": "Send", "States": {"Send": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
      "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message.$": "$.to"}, "End": true}}},
    "ResultPath": null, "Next": "Done"},
  "Done": {"Type": "Pass", "Parameters": {"charged.$": "$.charge.id"}, "End": true}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("mocks.json"),
        r#"{"StateMachines": {"billing": {"TestCases": {"Busy once": {"Charge card": "BusyThenOk"}}}},
            "MockedResponses": {"BusyThenOk": {"0": {"Throw": {"Error": "Busy", "Cause": "try again"}},
                                                "1": {"Return": {"Payload": {"id": "ch_1"}, "StatusCode": 200}}}}}"#,
    )
    .unwrap();
    let suite = r#"definition: charge.asl.json
name: billing
type: express
sub: {ChargeFn: "arn:aws:lambda:us-east-1:123456789012:function:charge"}
mocks: mocks.json
task-command: "echo '{\"MessageId\": \"m\"}'"
cases:
  - name: charged after one retry, both told
    test-case: Busy once
    input: {"card": "4242", "amount": 5, "emails": ["a@x", "b@x"]}
    expect:
      status: SUCCEEDED
      error: null
      cause: null
      output: {"charged": "ch_1"}
      calls:
        Charge card:
          - parameters: {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:charge", "Payload": {"card": "4242", "amount": 5, "by": "billing"}}
          - parameters-contains: {"Payload": {"amount": 5}}
        Send: {count: 2, each: [{parameters-contains: {"Message": "a@x"}}, {parameters-contains: {"Message": "b@x"}}]}
      states:
        Charge card: {output-contains: {"charge": {"id": "ch_1"}}, visits: 1}
        Send: {visits: 2, output: {"MessageId": "m"}}
  - name: every expectation wrong
    test-case: Busy once
    input: {"card": "4242", "amount": 5, "emails": ["a@x"]}
    expect:
      error: "States.TaskFailed"
      cause: null
      calls:
        Charge card: [{parameters-contains: {"Payload": {"amount": 6}}}]
        Send: {count: 3}
      states:
        Done: {output: {"charged": "ch_2"}, visits: 2}
"#;
    std::fs::write(dir.join("billing.test.yaml"), suite).unwrap();
    let out = asldbg(&["test", dir.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(":: charged after one retry, both told ... ok"),
        "{stdout}"
    );
    for said in [
        "error: expected \"States.TaskFailed\", got none",
        "calls of 'Charge card': expected 1, got 2",
        "call 1 of 'Charge card': its parameters differ:\n    /Payload/amount: expected 6, got 5",
        "calls of 'Send': expected 3, got 1",
        "output of 'Done' differs:\n    /charged: expected \"ch_2\", got \"ch_1\"",
        "visits of 'Done': expected 2, got 1",
    ] {
        assert!(stdout.contains(said), "{said}\n---\n{stdout}");
    }
    assert!(
        stdout.contains("test result: FAILED. 1 passed; 1 failed"),
        "{stdout}"
    );
    // `error: null` fails a run that failed; a malformed expectation is
    // placed in the suite.
    std::fs::write(
        dir.join("billing.test.yaml"),
        "definition: charge.asl.json\nsub: {ChargeFn: f}\ncases:\n  - name: no mock\n    expect: {error: null}\n  - name: bad\n    expect:\n      calls: {Charge card: [{parameter: 1}]}\n      states: {Done: {visits: -1}}\n  - name: unknown\n    expect:\n      calls: {Charge crad: []}\n      states: {Refund: {visits: 0}}\n",
    )
    .unwrap();
    let out = asldbg(&["test", dir.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}{err}", text(&out.stdout));
    assert!(
        err.contains("billing.test.yaml:8:7: unknown field 'parameter' (one of parameters, parameters-contains)"),
        "{err}"
    );
    assert!(
        err.contains(
            "a count is a whole number, 0 or more (at /cases/1/expect/states/Done/visits)"
        ),
        "{err}"
    );
    // A state the machine does not have would pass without checking.
    assert!(
        err.contains(
            "'Charge crad' is not a Task state of the machine (did you mean 'Charge card'?)"
        ),
        "{err}"
    );
    assert!(
        err.contains("'Refund' is not a state of the machine (at /cases/2/expect/states/Refund)"),
        "{err}"
    );
    std::fs::write(
        dir.join("billing.test.yaml"),
        "definition: charge.asl.json\nsub: {ChargeFn: f}\ncases:\n  - name: no mock\n    expect: {error: null}\n",
    )
    .unwrap();
    let out = asldbg(&["test", dir.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("error: expected none, got \"States.Runtime\""),
        "{stdout}"
    );
}

#[test]
fn mocks_check_finds_a_misspelled_state_and_gaps_and_the_run_names_what_it_looked_for() {
    let mocks = temp_file(
        "check-mocks.json",
        r#"{"StateMachines": {"stack-orders-test": {"TestCases": {"HappyPath": {"Chek": "Checked"}}}},
 "MockedResponses": {"Checked": {"0": {"Return": {"ok": true}}, "2": {"Return": {}}}}}"#,
    );
    let t = "tests/fixtures/templates/sam-project/template.yaml";
    let args = ["--definition", t, "--machine", "OrderStateMachine"];
    let mut check = vec!["mocks", "check", mocks.as_str()];
    check.extend(args);
    let out = asldbg(&check);
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("check-mocks.json:1:70: test case 'HappyPath' mocks 'Chek', which is not a Task state of the machine (did you mean 'Check'?)"),
        "{said}"
    );
    assert!(
        said.contains("check-mocks.json:2:65: calls 1 of 'Checked' have no answer"),
        "{said}"
    );
    // The same said as warnings by a run, whose failure names what it
    // looked for and what the file has.
    let out = asldbg(&[
        "run",
        t,
        "--machine",
        "OrderStateMachine",
        "--mocks",
        &mocks,
    ]);
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: ") && err.contains("(did you mean 'Check'?)"),
        "{err}"
    );
    assert!(
        text(&out.stdout).contains("No mock for Task state 'Check' (resource arn:aws:lambda:us-east-1:123456789012:function:test-check) in test case 'HappyPath' of machine 'stack-orders-test'"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("it mocks 'Chek'"),
        "{}",
        text(&out.stdout)
    );
    // A right file: exit 0.
    let out = asldbg(&[
        "mocks",
        "check",
        "tests/fixtures/templates/sam-project/mocks.json",
        "--definition",
        t,
        "--machine",
        "OrderStateMachine",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

/// `asldbg init` then `asldbg test`, with no edit in between, on projects
/// laid out as real ones are.
#[test]
fn init_writes_mocks_an_input_and_a_suite_that_passes_at_once() {
    let base = std::env::temp_dir().join(format!("asldbg-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    for (i, (def, machine)) in [
        (
            "tests/fixtures/templates/sam-project/template.yaml",
            Some("OrderStateMachine"),
        ),
        ("tests/fixtures/templates/terraform-module/main.tf", None),
        (
            "tests/fixtures/templates/serverless-file/serverless.yml",
            None,
        ),
        ("samples/credit-card/credit-card.asl.json", None),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = base.join(i.to_string());
        let d = dir.to_str().unwrap();
        let mut args = vec!["init", def, "--dir", d];
        if let Some(m) = machine {
            args.extend(["--machine", m]);
        }
        let out = asldbg(&args);
        let said = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{def}: {said}{}",
            text(&out.stderr)
        );
        assert!(said.contains("HappyPath: SUCCEEDED"), "{def}: {said}");
        // The way the recorded run went, as `run` prints it.
        assert!(said.contains("\npath: "), "{def}: {said}");
        let out = asldbg(&["test", d]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{def}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        // Every Task is answered, in the service's shape.
        let mocks: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("mocks.json")).unwrap())
                .unwrap();
        let out = asldbg(
            &[
                "mocks",
                "check",
                dir.join("mocks.json").to_str().unwrap(),
                "--definition",
                def,
            ]
            .into_iter()
            .chain(machine.map(|m| ["--machine", m]).into_iter().flatten())
            .collect::<Vec<_>>(),
        );
        assert_eq!(out.status.code(), Some(0), "{def}: {}", text(&out.stdout));
        // A Lambda called by its ARN answers its payload; through
        // lambda:invoke, the invoke response around it.
        let answer =
            |state: &str| &mocks["MockedResponses"][format!("{state}HappyPath")]["0"]["Return"];
        if i == 0 {
            assert!(answer("Check").is_object(), "{mocks}");
        }
        if i == 3 {
            let limit = answer("Get credit limit");
            assert_eq!(limit["StatusCode"], 200, "{mocks}");
            assert_eq!(limit["ExecutedVersion"], "$LATEST", "{mocks}");
            assert!(limit.get("Payload").is_some(), "{mocks}");
        }
    }
    // Nothing is written over without --force.
    let d = base.join("3");
    let out = asldbg(&[
        "init",
        "samples/credit-card/credit-card.asl.json",
        "--dir",
        d.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("already there: --force overwrites"),
        "{}",
        text(&out.stderr)
    );
    let out = asldbg(&[
        "init",
        "samples/credit-card/credit-card.asl.json",
        "--dir",
        d.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(0));
}

/// What a hostile template or a strange name cannot make `init` do: write
/// outside its folder, through a symbolic link, or a suite that does not
/// read back.
#[test]
fn init_writes_only_inside_its_folder_and_its_suites_read_back() {
    let base = std::env::temp_dir().join(format!("asldbg-init-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    // A machine key that is a path.
    let t = base.join("t.json");
    std::fs::write(
        &t,
        r#"{"Resources": {"../../escaped": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"Definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}}"#,
    )
    .unwrap();
    let out_dir = base.join("out");
    let out = asldbg(&[
        "init",
        t.to_str().unwrap(),
        "--dir",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        out_dir.join("_.._escaped.test.yaml").exists(),
        "{}",
        text(&out.stdout)
    );
    assert!(!base.join("escaped.test.yaml").exists());
    assert!(!std::env::temp_dir().join("escaped.test.yaml").exists());
    let out = asldbg(&["test", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // A definition named like a YAML keyword: its suite still reads back.
    let odd = base.join("odd");
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(
        odd.join("null.asl.json"),
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "a\u2028b", "End": true}}}"#,
    )
    .unwrap();
    let out = asldbg(&["init", odd.join("null.asl.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = asldbg(&["test", odd.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // A symbolic link where a file would go, even one leading nowhere.
    #[cfg(unix)]
    {
        let sl = base.join("sl");
        std::fs::create_dir_all(&sl).unwrap();
        let target = base.join("created-by-init.json");
        std::os::unix::fs::symlink(&target, sl.join("mocks.json")).unwrap();
        let out = asldbg(&[
            "init",
            odd.join("null.asl.json").to_str().unwrap(),
            "--dir",
            sl.to_str().unwrap(),
            "--force",
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("is a symbolic link"),
            "{}",
            text(&out.stderr)
        );
        assert!(!target.exists());
    }
}

#[test]
fn a_case_walking_a_value_deeper_than_a_default_stack_runs_to_its_end() {
    // JSONata's own functions walk values recursively: 50,000 levels
    // overflowed a worker thread's default 2 MiB and aborted `asldbg test`.
    let dir = std::env::temp_dir().join(format!("asldbg-suite-{}-deep", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("deep.asl.json"),
        r#"{"QueryLanguage": "JSONata", "StartAt": "Deep", "States": {"Deep": {"Type": "Pass",
  "Output": "{% ($x := $reduce([1..50000], function($a, $b){{'a': $a}}, 0); $count($distinct([$x, $x]))) %}",
  "End": true}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("deep.test.yaml"),
        "definition: deep.asl.json\ncases:\n  - name: deep\n    input: {}\n    expect: {status: SUCCEEDED, output: 1}\n",
    )
    .unwrap();
    let out = asldbg(&["test", dir.join("deep.test.yaml").to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn suggest_finds_inputs_for_jsonata_conditions_too() {
    let dir = std::env::temp_dir().join(format!("asldbg-suggest-jsonata-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("orders.asl.json"),
        r#"{"QueryLanguage": "JSONata", "StartAt": "Route", "States": {
  "Route": {"Type": "Choice", "Choices": [
    {"Condition": "{% $states.input.order.total > 1000 and $states.input.customer.tier = 'gold' %}", "Next": "Concierge"},
    {"Condition": "{% $exists($states.input.coupon) %}", "Next": "Discount"},
    {"Condition": "{% $states.input.order.total <= 0 %}", "Next": "Reject"}],
    "Default": "Standard"},
  "Concierge": {"Type": "Pass", "Output": {"route": "concierge"}, "End": true},
  "Discount": {"Type": "Pass", "Output": {"route": "discount"}, "End": true},
  "Reject": {"Type": "Fail", "Error": "Rejected"},
  "Standard": {"Type": "Pass", "Output": {"route": "standard"}, "End": true}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("orders.test.yaml"),
        "definition: orders.asl.json\ncases:\n  - name: plain order\n    input: {\"order\": {\"total\": 50}, \"customer\": {\"tier\": \"silver\"}}\n    expect:\n      output: {\"route\": \"standard\"}\n",
    )
    .unwrap();
    let out = asldbg(&["test", dir.to_str().unwrap(), "--suggest"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    for said in [
        "'Route' rule 1 is matched by case 'plain order' with $states.input.order.total = 1001, $states.input.customer.tier = \"gold\" in its input (now 50, \"silver\")",
        "'Route' rule 2 is matched by case 'plain order' with $states.input.coupon = \"present\" in its input (now absent)",
        "'Route' rule 3 is matched by case 'plain order' with $states.input.order.total = 0 in its input (now 50)",
    ] {
        assert!(stdout.contains(said), "{said}\n{stdout}");
    }
}
