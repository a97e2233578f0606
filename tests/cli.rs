//! End-to-end tests of the `asldbg` binary: the bundled sample's paths, the
//! exit codes, and the clear one-line errors for bad input.

mod common;
use common::{asldbg, temp_file, text};
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const SAMPLE: &str = "samples/credit-card/credit-card.asl.json";
const INPUT: &str = "samples/credit-card/input.json";
const MOCKS: &str = "samples/credit-card/mocks.json";

fn asldbg_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asldbg"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run asldbg");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `asldbg run` on the credit-card sample with its mocks' test case `case`.
fn run_sample(case: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        SAMPLE,
        "--input",
        INPUT,
        "--mocks",
        MOCKS,
        "--test-case",
        case,
    ];
    args.extend_from_slice(extra);
    asldbg(&args)
}

fn run_case(case: &str) -> (Value, Vec<String>) {
    let o = run_sample(case, &["--format", "json", "--events"]);
    assert!(o.status.code().is_some(), "no panic");
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stdout)));
    let path = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().unwrap().ends_with("StateEntered"))
        .map(|e| {
            e["stateEnteredEventDetails"]["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    (v, path)
}

#[test]
fn credit_card_test_cases_take_their_paths() {
    let (v, path) = run_case("AutoApproved");
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(
        path[..3],
        [
            "Get credit limit",
            "Credit applied >= 5000?",
            "Auto-approve limit"
        ]
    );
    assert_eq!(v["output"]["scores"].as_array().unwrap().len(), 3);

    let (v, path) = run_case("HumanApprovalGranted");
    assert_eq!(v["status"], "SUCCEEDED");
    assert!(path.contains(&"Wait for human approval".to_string()));
    assert!(path.contains(&"Credit limit approved".to_string()));

    let (v, path) = run_case("HumanApprovalRejected");
    assert_eq!(v["status"], "FAILED");
    assert_eq!(v["error"], "CreditLimitRejected");
    assert_eq!(path.last().unwrap(), "Credit limit rejected");

    let (v, path) = run_case("IdentityCheckFails");
    assert_eq!(v["error"], "ApplicationRejected");
    assert!(v["cause"]
        .as_str()
        .unwrap()
        .contains("Check Identity Validation Failed"));
    assert_eq!(path.last().unwrap(), "Application rejected");

    let (v, _) = run_case("ThrottledThenSucceeds");
    assert_eq!(v["status"], "SUCCEEDED");
    let scheduled = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["type"] == "TaskScheduled"
                && e["taskScheduledEventDetails"]["parameters"]
                    .as_str()
                    .unwrap()
                    .contains("RandomNumberforCredit")
        })
        .count();
    assert_eq!(scheduled, 3, "two throttled attempts, then success");
}

#[test]
fn exit_codes_and_text_output() {
    let o = run_sample("AutoApproved", &[]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    assert!(
        out.starts_with("status: SUCCEEDED\npath: Get credit limit → "),
        "{out}"
    );
    let o = run_sample("HumanApprovalRejected", &[]);
    assert_eq!(o.status.code(), Some(1));
    // No mocks at all: the first Task fails naming itself.
    let o = asldbg(&["run", SAMPLE, "--input", INPUT, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["cause"].as_str().unwrap().contains("'Get credit limit'"));
}

#[test]
fn same_seed_same_history_byte_for_byte() {
    let args = ["--format", "json", "--events", "--seed", "3"];
    let a = run_sample("HumanApprovalGranted", &args);
    let b = run_sample("HumanApprovalGranted", &args);
    assert!(a.status.success() && text(&a.stdout).contains("\"events\""));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn validate_reports_every_problem_with_positions() {
    let o = asldbg(&["validate", SAMPLE]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let bad = temp_file(
        "bad.asl.json",
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"Nowhere\"},\n    \"B\": {\"Type\": \"Teleport\"}\n  }\n}\n",
    );
    let o = asldbg(&["validate", &bad]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!("{bad}:4:27: Next 'Nowhere' does not name a state")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{bad}:5:11: unknown state type 'Teleport'")),
        "{out}"
    );
    assert!(out.contains("not reachable"), "{out}");
}

#[test]
fn a_malformed_path_or_intrinsic_is_shown_with_a_caret_under_the_column() {
    let bad = temp_file(
        "caret.asl.json",
        "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\",\n  \"InputPath\": \"$.a[?(@.x >> 1)]\",\n  \"Parameters\": {\"b.$\": \"States.Format('{}', $.x[)\"}, \"End\": true}}}\n",
    );
    let o = asldbg(&["validate", &bad]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    // Line 2: `  "InputPath": "$.a[?(@.x >> 1)]"`, the value's quote at column
    // 16; the parser stops at offset 11 of the path: column 28.
    assert!(
        out.contains(&format!("{bad}:2:28: invalid JSONPath '$.a[?(@.x >> 1)]'")),
        "{out}"
    );
    assert!(
        out.contains("    $.a[?(@.x >> 1)]\n               ^\n"),
        "{out}"
    );
    // A path inside an intrinsic call: placed in the whole call.
    assert!(out.contains("in the JSONPath argument"), "{out}");
    assert!(
        out.contains("    States.Format('{}', $.x[)\n                            ^"),
        "{out}"
    );
}

#[test]
fn unreadable_or_malformed_files_exit_2_with_file_and_position() {
    let o = asldbg(&["validate", "no/such/file.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no/such/file.json:1:1: cannot read file"));

    let broken = temp_file(
        "broken.json",
        "{\n  \"StartAt\": \"A\",\n  \"States\": {,\n}",
    );
    let o = asldbg(&["run", &broken]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!("{broken}:3:")) && err.contains("invalid JSON"),
        "{err}"
    );

    let yaml = temp_file("broken.yaml", "StartAt: A\nStates:\n  A: [unclosed\n");
    let o = asldbg(&["validate", &yaml]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("invalid YAML"),
        "{}",
        text(&o.stderr)
    );

    let o = asldbg(&["run", SAMPLE, "--input", "missing-input.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("missing-input.json:1:1: cannot read file"));

    let o = asldbg_stdin(&["run", SAMPLE, "--input", "-"], "{not json");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("<stdin>"), "{}", text(&o.stderr));

    let unknown_type = temp_file(
        "unknown.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Nope", "End": true}}}"#,
    );
    let o = asldbg(&["run", &unknown_type]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown state type 'Nope'"));
}

#[test]
fn bad_mock_files_are_clear_errors() {
    let o = asldbg(&["run", SAMPLE, "--mocks", MOCKS, "--test-case", "NoSuchCase"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no test case 'NoSuchCase'"),
        "{}",
        text(&o.stderr)
    );

    let mocks = temp_file(
        "mocks.json",
        "{\n  \"StateMachines\": {\"M\": {\"TestCases\": {\"T\": {\"S\": \"R\"}}}},\n  \"MockedResponses\": {\"R\": {\"zero\": {\"Return\": 1}}}\n}",
    );
    let o = asldbg(&["run", SAMPLE, "--mocks", &mocks, "--test-case", "T"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!("{mocks}:3:")) && err.contains("'zero' is not an invocation number"),
        "{err}"
    );
}

#[test]
fn yaml_definitions_and_inputs_run() {
    let def = temp_file(
        "m.asl.yaml",
        "StartAt: Greet\nStates:\n  Greet:\n    Type: Pass\n    Parameters:\n      greeting.$: States.Format('Hello, {}!', $.name)\n    End: true\n",
    );
    let input = temp_file("in.yaml", "name: YAML\n");
    let o = asldbg(&["run", &def, "--input", &input, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["output"]["greeting"], "Hello, YAML!");
}

#[test]
fn distributed_map_reads_items_from_a_local_folder() {
    let root = std::env::temp_dir().join(format!("asldbg-test-{}-s3", std::process::id()));
    std::fs::create_dir_all(root.join("orders")).unwrap();
    std::fs::write(
        root.join("orders/batch.csv"),
        "id,amount\n1,10\n2,25\n3,40\n",
    )
    .unwrap();
    let def = temp_file(
        "dmap.asl.json",
        r#"{"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "End": true, "Label": "orders",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                           "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 2},
                           "Parameters": {"Bucket": "orders", "Key.$": "$.key"}},
            "ItemSelector": {"order.$": "$$.Map.Item.Value.id", "index.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": true}}}}}}"#,
    );
    let input = temp_file("dmap-in.json", r#"{"key": "batch.csv"}"#);
    let o = asldbg(&[
        "run",
        &def,
        "--input",
        &input,
        "--s3-dir",
        root.to_str().unwrap(),
        "--format",
        "json",
        "--events",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["output"],
        serde_json::json!([{"order": "1", "index": 0}, {"order": "2", "index": 1}])
    );
    let types: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"MapRunStarted") && !types.contains(&"MapIterationStarted"),
        "{types:?}"
    );
    std::fs::remove_dir_all(root).ok();
}

#[test]
fn task_commands_answer_unmocked_tasks() {
    let def = temp_file(
        "cmd.asl.json",
        r#"{"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#,
    );
    let input = temp_file("cmd-in.json", r#"{"n": 21}"#);
    let cmd = r#"python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"state": r["state"], "double": r["input"]["n"] * 2}))'"#;
    let o = asldbg(&[
        "run",
        &def,
        "--input",
        &input,
        "--task-command",
        cmd,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["output"],
        serde_json::json!({"state": "Ask", "double": 42})
    );
    let o = asldbg(&[
        "run",
        &def,
        "--task-command",
        "echo oops",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"], "Command.InvalidOutput");
    assert!(v["cause"].as_str().unwrap().contains("stdout:1:"), "{v}");
}

#[test]
fn graph_prints_text_dot_and_mermaid_with_collapsed_containers() {
    let cc = "samples/credit-card/credit-card.asl.json";
    let par = "Verify applicant's identity and address";
    let out = asldbg(&["graph", cc]);
    assert!(out.status.success());
    let full = text(&out.stdout);
    assert!(full.contains("⚙ Verify identity"), "{full}");
    let out = asldbg(&["graph", cc, "--collapse", par]);
    let shut = text(&out.stdout);
    assert!(
        shut.contains("[+2]") && !shut.contains("Verify identity"),
        "{shut}"
    );
    assert!(shut.lines().count() < full.lines().count());
    let dot = text(&asldbg(&["graph", cc, "--format", "dot", "--collapse", par]).stdout);
    assert!(dot.starts_with("digraph") && dot.contains("[+2]"), "{dot}");
    assert!(!dot.contains("Verify identity"), "{dot}");
    let mmd = text(&asldbg(&["graph", cc, "--format", "mermaid"]).stdout);
    assert!(
        mmd.starts_with("flowchart TD") && mmd.contains("Verify identity"),
        "{mmd}"
    );
    // Only Parallel and Map states can be collapsed; unknown names are named.
    let out = asldbg(&["graph", cc, "--collapse", "Get credit limit"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("is a Task state") && err.contains(cc), "{err}");
    let out = asldbg(&["graph", cc, "--collapse", "Nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no state is named \"Nope\""));
    // --ascii: the same drawing in ASCII, a letter per state type; compact
    // with a container collapsed, that box is one row saying what it holds.
    let out = asldbg(&["graph", cc, "--ascii"]);
    let ascii = text(&out.stdout);
    assert!(out.status.success() && ascii.is_ascii(), "{ascii}");
    assert!(ascii.contains("| T Get credit limit|"), "{ascii}");
    assert!(ascii.contains("| P Verify applicant's identity"), "{ascii}");
    let out = asldbg(&["graph", cc, "--ascii", "--compact", "--collapse", par]);
    let small = text(&out.stdout);
    assert!(
        small.is_ascii() && small.contains("[ P Verify appl~ +2]"),
        "{small}"
    );
    let out = asldbg(&["graph", cc, "--ascii", "--format", "dot"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn express_workflows_get_their_own_context_and_checks() {
    let def = temp_file(
        "express.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"ctx.$": "$$.Execution"}, "End": true}}}"#,
    );
    let ctx = |extra: &[&str]| -> Value {
        let mut args = vec!["run", def.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        let o = asldbg(&args);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["output"]["ctx"].clone()
    };
    let standard = ctx(&[]);
    assert!(standard["Id"]
        .as_str()
        .unwrap()
        .contains(":execution:StateMachine:"));
    assert_eq!(standard["RedriveCount"], 0);
    let express = ctx(&["--type", "express"]);
    let id = express["Id"].as_str().unwrap();
    assert!(
        id.contains(":express:StateMachine:asldbg-execution:"),
        "{id}"
    );
    assert!(express.get("RedriveCount").is_none(), "{express}");
    // The same seed gives the same execution ARN.
    assert_eq!(ctx(&["--type", "EXPRESS"])["Id"], express["Id"]);
    // What EXPRESS cannot run is refused with its position.
    let cb = temp_file(
        "express-callback.json",
        "{\"StartAt\": \"B\", \"States\": {\n  \"B\": {\"Type\": \"Task\", \"Resource\": \"arn:aws:states:::sqs:sendMessage.waitForTaskToken\", \"End\": true}}}",
    );
    // The debugger refuses it the same way, before it opens.
    let o = asldbg(&[&cb, "--type", "express"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("does not support '.waitForTaskToken'"));
    let o = asldbg(&["run", &cb, "--type", "express"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("express-callback.json:2:")
            && err.contains("does not support '.waitForTaskToken'")
            && err.contains("/States/B/Resource"),
        "{err}"
    );
}

#[test]
fn run_draws_the_path_taken_on_the_graph() {
    let o = run_sample("AutoApproved", &["--graph"]);
    assert!(o.status.success());
    let out = text(&o.stdout);
    let graph = out.split("graph:\n").nth(1).expect("a graph section");
    assert!(graph.contains("│•⚙ Get credit limit│"), "{graph}");
    assert!(graph.contains("│•⇢ Auto-approve limit│"), "{graph}");
    // The human approval branch was not taken: no mark, light lines.
    assert!(graph.contains("│ ⚙ Wait for human approval│"), "{graph}");
    assert!(graph.contains('┃') && graph.contains('━'), "{graph}");
    let o = run_sample("AutoApproved", &["--graph", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let lines = v["graph"].as_array().unwrap();
    assert!(lines
        .iter()
        .any(|l| l.as_str().unwrap().contains("•⚙ Get credit limit")));
}

#[test]
fn names_errors_and_causes_cannot_drive_the_terminal() {
    // A state name that sets the window title and writes the clipboard, an
    // error that clears the screen, a cause with a one-byte CSI.
    let def = temp_file(
        "escape.asl.json",
        r#"{"StartAt": "A\u001b]0;pwned\u0007", "States": {"A\u001b]0;pwned\u0007": {"Type": "Fail", "Error": "E\u001b[2J", "Cause": "c\u009b\u001b]52;c;eA==\u0007"}}}"#,
    );
    for args in [
        vec!["run", def.as_str()],
        vec!["run", def.as_str(), "--events", "--graph"],
        vec!["validate", def.as_str()],
        vec!["graph", def.as_str()],
        vec!["graph", def.as_str(), "--format", "mermaid"],
    ] {
        let o = asldbg(&args);
        let all = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
        assert!(
            !all.contains(&0x1b) && !all.contains(&0x07) && !text(&all).contains('\u{9b}'),
            "{args:?} printed a control character: {}",
            text(&all)
        );
    }
    let o = asldbg(&["run", def.as_str()]);
    assert!(
        text(&o.stdout).contains("error: E\\u001b[2J"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn a_closed_standard_output_ends_quietly() {
    for args in [
        vec![
            "run", SAMPLE, "--input", INPUT, "--mocks", MOCKS, "--events",
        ],
        vec!["graph", SAMPLE],
        vec!["samples"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_asldbg"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before anything is read (`| head -0`).
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert!(
            !text(&o.stderr).contains("panicked") && o.stderr.is_empty(),
            "{args:?}: {}",
            text(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn item_readers_cannot_read_outside_the_s3_folder() {
    let dir = std::env::temp_dir().join(format!("asldbg-test-{}-s3", std::process::id()));
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::write(dir.join("b/x.json"), "[1, 2]").unwrap();
    let def = temp_file(
        "reader.asl.json",
        r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket.$": "$.b", "Key.$": "$.k"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}"#,
    );
    let s3 = dir.to_string_lossy().into_owned();
    let run = |input: &str| {
        let input = temp_file("reader-input.json", input);
        asldbg(&[
            "run", &def, "--input", &input, "--s3-dir", &s3, "--format", "json",
        ])
    };
    let ok: Value = serde_json::from_slice(&run(r#"{"b": "b", "k": "x.json"}"#).stdout).unwrap();
    assert_eq!(ok["output"], serde_json::json!([1, 2]));
    for input in [
        r#"{"b": "b", "k": "../../../../../../etc/passwd"}"#,
        r#"{"b": "b", "k": "/etc/passwd"}"#,
        r#"{"b": "../../../../../..", "k": "etc/passwd"}"#,
    ] {
        let o = run(input);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["error"], "States.ItemReaderFailed", "{input}");
        assert!(!text(&o.stdout).contains("root:"), "{input}");
    }
}

#[test]
fn a_task_command_is_held_to_the_task_timeout() {
    let def = temp_file(
        "timeout.asl.json",
        r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 1, "End": true}}}"#,
    );
    let t = std::time::Instant::now();
    let o = asldbg(&[
        "run",
        &def,
        "--task-command",
        "sleep 600",
        "--format",
        "json",
    ]);
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "FAILED");
    assert_eq!(v["error"], "States.Timeout");
}

#[test]
fn task_timeout_stops_a_hung_command_whose_task_sets_no_timeout() {
    let def = temp_file(
        "hung.asl.json",
        r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#,
    );
    let t = std::time::Instant::now();
    let o = asldbg(&[
        "run",
        &def,
        "--task-command",
        "sleep 600",
        "--task-timeout",
        "300ms",
        "--format",
        "json",
    ]);
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"], "States.Timeout", "{v}");
    assert!(
        v["cause"].as_str().unwrap().contains("--task-timeout"),
        "{v}"
    );
    let o = asldbg(&[
        "run",
        &def,
        "--task-command",
        "true",
        "--task-timeout",
        "soon",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--task-timeout soon"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn graph_draws_a_hundred_thousand_unreachable_states_without_stalling() {
    // Each unreachable state is a problem, found by pointer once (a scan of
    // every state per problem took a minute here).
    let mut states = serde_json::Map::new();
    states.insert("S".into(), serde_json::json!({"Type": "Succeed"}));
    for i in 0..100_000 {
        states.insert(
            format!("U{i}"),
            serde_json::json!({"Type": "Pass", "End": true}),
        );
    }
    let def = temp_file(
        "unreachable.asl.json",
        &serde_json::json!({"StartAt": "S", "States": states}).to_string(),
    );
    let t = std::time::Instant::now();
    let o = asldbg(&["graph", &def]);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        t.elapsed()
    );
    assert!(
        text(&o.stderr).contains("100000 problem(s); the states that have them are marked ✗"),
        "{}",
        &text(&o.stderr)[text(&o.stderr).len().saturating_sub(300)..]
    );
}

#[test]
fn exactly_256_kib_of_input_is_taken_and_one_byte_more_is_not() {
    let pad = 262_144 - r#"{"a":""}"#.len();
    let exact = format!("{{\"a\":\"{}\"}}", "x".repeat(pad));
    assert_eq!(exact.len(), 262_144);
    let pass = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
    let def = temp_file("quota.asl.json", pass);
    // With the newline a file ends with, too.
    for input in [exact.clone(), format!("{exact}\n")] {
        let o = asldbg_stdin(&["run", &def, "--input", "-", "--format", "json"], &input);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    let over = format!("{{\"a\":\"{}\"}}", "x".repeat(pad + 1));
    let o = asldbg_stdin(&["run", &def, "--input", "-"], &over);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("256 KiB payload quota"),
        "{}",
        text(&o.stderr)
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_or_folder_given_as_a_file_is_refused_at_once() {
    let dir = std::env::temp_dir().join(format!("asldbg-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("input.json");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let t = std::time::Instant::now();
    let fifo = fifo.to_str().unwrap();
    let o = asldbg(&["run", SAMPLE, "--input", fifo]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("not a regular file"),
        "{}",
        text(&o.stderr)
    );
    let o = asldbg(&["validate", fifo]);
    assert_eq!(o.status.code(), Some(2));
    let o = asldbg(&["run", SAMPLE, "--mocks", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn an_input_over_the_quota_is_refused_before_it_is_read_whole() {
    let big = format!("{{\"a\": \"{}\"}}", "x".repeat(300_000));
    let o = asldbg_stdin(&["run", SAMPLE, "--input", "-"], &big);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("larger than the 256 KiB payload quota"),
        "{}",
        text(&o.stderr)
    );
    let o = asldbg_stdin(&["run", SAMPLE, "--input", "-", "--no-quota"], "\0\0\0");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("NUL byte"), "{}", text(&o.stderr));
}

#[test]
fn two_states_with_one_name_are_reported_with_both_positions() {
    let def = temp_file(
        "dup.asl.json",
        "{\"StartAt\": \"A\", \"States\": {\n  \"A\": {\"Type\": \"Pass\", \"End\": true},\n  \"A\": {\"Type\": \"Fail\"}\n}}",
    );
    let o = asldbg(&["validate", &def]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains(":3:3: duplicate key 'A' (first at 2:3) (at /States/A)"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_jsonata_expression_that_eats_memory_fails_the_state() {
    // Each step doubles the string: 2^40 characters if nothing stops it.
    let def = temp_file(
        "doubling.asl.json",
        r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% $reduce([1..40], function($a, $b){$a & $a}, 'xxxxxxxxxxxxxxxx') %}", "End": true}}}"#,
    );
    let o = asldbg(&["run", &def, "--no-quota", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"], "States.QueryEvaluationError", "{v}");
    assert!(v["cause"].as_str().unwrap().contains("U1004"), "{v}");
}

#[test]
fn a_value_nested_300000_levels_inside_jsonata_does_not_abort_the_process() {
    // $distinct walks its values recursively inside the JSONata library:
    // 300,000 levels overflowed the main thread's 8 MiB stack.
    let def = temp_file(
        "deep.asl.json",
        r#"{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% ($x := $reduce([1..300000], function($a, $b){{'a': $a}}, 0); $count($distinct([$x, $x]))) %}", "End": true}}}"#,
    );
    let o = asldbg(&["run", &def, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["output"], 1, "{v}");
}

#[test]
fn no_quota_lifts_the_history_limit_of_standard_workflows() {
    // A loop of 10,000 turns: ~30,000 events, past AWS's 25,000.
    let def = temp_file(
        "long-loop.asl.json",
        r#"{"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Add"},
            "Add": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "More?"},
            "More?": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": 10000, "Next": "Add"}], "Default": "Done"},
            "Done": {"Type": "Succeed"}}}"#,
    );
    let o = asldbg(&["run", &def, "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "FAILED", "{v}");
    assert!(
        v["cause"]
            .as_str()
            .unwrap()
            .contains("25000 history events"),
        "{v}"
    );
    let o = asldbg(&["run", &def, "--format", "json", "--no-quota"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
    assert_eq!(v["output"]["i"], 10000, "{v}");
    let help = text(&asldbg(&["run", "--help"]).stdout);
    assert!(help.contains("25,000-event"), "{help}");
}

#[test]
fn bench_process_times_whole_runs_against_the_floor() {
    let def = temp_file(
        "w_small.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}}"#,
    );
    let dir = std::path::Path::new(&def)
        .parent()
        .unwrap()
        .to_string_lossy()
        .to_string();
    std::fs::write(format!("{dir}/w_small.input.json"), r#"{"x": 1}"#).unwrap();
    let o = asldbg(&["bench", &dir, "--process", "--runs", "2"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    let row = out.lines().find(|l| l.starts_with("w_small")).expect(&out);
    assert!(row.ends_with("SUCCEEDED"), "{row}");
    assert!(row.contains("ms") && row.contains('x'), "{row}");
}

#[test]
fn bench_dap_times_the_adapters_answers() {
    // The 5 MB workload's definition; its input is generated when missing.
    let def = temp_file(
        "e_large_payload_5mb.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$", "Next": "B"}, "B": {"Type": "Pass", "End": true}}}"#,
    );
    let dir = std::path::Path::new(&def)
        .parent()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let o = asldbg(&["bench", &dir, "--dap", "--runs", "1"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    for what in ["next (to stopped)", "stackTrace", "variables (Input)"] {
        let row = out.lines().find(|l| l.contains(what)).expect(&out);
        assert!(row.contains("p50") && row.contains("p99"), "{row}");
    }
}

#[test]
fn an_unquoted_word_in_a_filter_warns_and_fails_the_state_as_aws_does() {
    let def = temp_file(
        "unquoted.asl.json",
        r#"{"StartAt": "Pick", "States": {
  "Pick": {"Type": "Pass", "Parameters": {"receipt.$": "$.Labels[?(@.Name==Receipt)]"}, "End": true}}}"#,
    );
    let v = asldbg(&["validate", &def]);
    let out = text(&v.stdout);
    assert!(v.status.success(), "{out}");
    assert!(
        out.contains(":2:76: the filter compares to Receipt, which is not a value: a string needs quotes ('Receipt'); AWS accepts the definition"),
        "{out}"
    );
    assert!(out.contains("valid (1 state, 1 warning)"), "{out}");
    let input = temp_file("labels.json", r#"{"Labels": [{"Name": "Receipt"}]}"#);
    let o = asldbg(&["run", &def, "--input", &input, "--format", "json"]);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "States.Runtime");
    assert!(
        r["cause"]
            .as_str()
            .unwrap()
            .contains("Invalid path '$.Labels[?(@.Name==Receipt)]' for the field 'receipt.$'"),
        "{r}"
    );
}

#[test]
fn graph_draws_an_invalid_definition_with_its_problems_marked() {
    let def = temp_file(
        "broken.asl.json",
        r#"{"StartAt": "A", "States": {
  "A": {"Type": "Pass", "Next": "B"},
  "B": {"Type": "Wait", "Seconds": -1, "Next": "Nowhere"}}}"#,
    );
    let o = asldbg(&["graph", &def]);
    assert_eq!(o.status.code(), Some(1));
    let g = text(&o.stdout);
    assert!(g.contains("✗◷ B"), "{g}");
    assert!(g.contains("⇢ A") && !g.contains("✗⇢ A"), "{g}");
    let e = text(&o.stderr);
    assert!(
        e.contains(":3:25: Seconds must be a non-negative integer"),
        "{e}"
    );
    assert!(
        e.contains("2 problem(s); the states that have them are marked ✗"),
        "{e}"
    );
}

#[test]
fn a_parallel_may_assign_its_branches_names_in_its_own_catch() {
    let def = temp_file(
        "parallel-catch-assign.asl.json",
        r#"{"QueryLanguage": "JSONata", "StartAt": "P", "States": {
  "P": {"Type": "Parallel", "Next": "Done",
        "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"step": "caught"}, "Next": "Done"}],
        "Branches": [{"StartAt": "B", "States": {
          "B": {"Type": "Pass", "Assign": {"step": "inner"}, "Next": "F"},
          "F": {"Type": "Fail", "Error": "Boom"}}}]},
  "Done": {"Type": "Pass", "Output": "{% $step %}", "End": true}}}"#,
    );
    let o = asldbg(&["run", &def, "--format", "json"]);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["status"], "SUCCEEDED", "{r} {}", text(&o.stderr));
    assert_eq!(r["output"], "caught");
}

#[test]
fn a_distributed_map_failed_past_its_tolerance_names_its_first_failed_iteration() {
    let def = temp_file(
        "dmap-fail.asl.json",
        r#"{"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items",
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    "StartAt": "Check", "States": {"Check": {"Type": "Choice",
      "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Fine"}], "Default": "Bad"},
      "Fine": {"Type": "Succeed"}, "Bad": {"Type": "Fail", "Error": "NotOk", "Cause": "item refused"}}},
  "End": true}}}"#,
    );
    let input = temp_file(
        "dmap-in.json",
        r#"{"items": [{"ok": true}, {"ok": false}, {"ok": false}]}"#,
    );
    let out = asldbg(&["run", &def, "--input", &input]);
    let said = text(&out.stdout);
    assert!(
        said.contains("error: States.ExceedToleratedFailureThreshold"),
        "{said}"
    );
    assert!(
        said.contains("first failed iteration: [1] at Bad: NotOk: item refused"),
        "{said}"
    );
    let out = asldbg(&["run", &def, "--input", &input, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["firstFailedIteration"],
        serde_json::json!({"iteration": 1, "state": "Bad", "error": "NotOk", "cause": "item refused"})
    );
}

#[test]
fn lesson_new_passes_lesson_check_and_a_broken_lesson_is_named_and_why() {
    let dir = std::env::temp_dir().join(format!("asldbg-lesson-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let lesson = dir.join("greet");
    let l = lesson.to_str().unwrap();
    let out = asldbg(&["lesson", "new", l]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = asldbg(&["lesson", "check", l]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("3 exercises, all good"));
    // Never over a folder that is there.
    assert_eq!(asldbg(&["lesson", "new", l]).status.code(), Some(2));
    // A wrong solution, a starter that passes, a file from outside.
    let file = lesson.join("exercises.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    let broken = yaml
        .replace("\"Hello, Ada!\"}}", "\"Hello Ada\"}}")
        .replace("ResultPath: $.name", "ResultPath: $.out")
        .replace("input: input.json", "input: ../../../etc/passwd");
    std::fs::write(&file, broken).unwrap();
    let out = asldbg(&["lesson", "check", l]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("'../../../etc/passwd' is outside the lesson's folder"),
        "{err}"
    );
    std::fs::write(
        &file,
        yaml.replace("\"Hello, Ada!\"}}", "\"Hello Ada\"}}")
            .replace("ResultPath: $.name", "ResultPath: $.out"),
    )
    .unwrap();
    let out = asldbg(&["lesson", "check", l]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("exercises.yaml:6:5: exercise 1 'What does Greet give?': the solution is not 'Greet', after ResultPath: /out/greeting: it is \"Hello, Ada!\", you wrote \"Hello Ada\""), "{err}");
    assert!(
        err.contains("exercise 2 'Keep the name': the starter passes already"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
