//! Definitions where they live: SAM, CloudFormation, CDK synth output and
//! serverless.yml templates opened, validated and run by the binary, with
//! `${…}` placeholders filled and the bad cases refused clearly.

mod common;
use common::{asldbg, temp_file, text};
use serde_json::Value;
use std::process::Output;

const DIR: &str = "tests/fixtures/templates";

/// A folder of this test process's own, made if needed.
fn folder(name: &str) -> std::path::PathBuf {
    let probe = temp_file(&format!("{name}.probe"), "");
    std::path::Path::new(&probe).parent().unwrap().join(name)
}

fn fixture(f: &str) -> String {
    format!("{DIR}/{f}")
}

/// `run --format json --events` of `args`: its report.
fn run_json(args: &[&str]) -> (Value, Output) {
    let mut a = vec!["run", "--format", "json", "--events"];
    a.extend_from_slice(args);
    let out = asldbg(&a);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (v, out)
}

/// The details of the first event of type `t`.
fn event<'a>(report: &'a Value, t: &str) -> &'a Value {
    report["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == t)
        .unwrap_or_else(|| panic!("no {t} in {report}"))
}

/// Seconds between the Wait state's entry and exit.
fn waited(report: &Value) -> f64 {
    let at = |t: &str| {
        let s = event(report, t)["timestamp"].as_str().unwrap().to_string();
        chrono::DateTime::parse_from_rfc3339(&s)
            .unwrap()
            .timestamp_millis() as f64
            / 1000.0
    };
    at("WaitStateExited") - at("WaitStateEntered")
}

#[test]
fn sam_template_with_definition_uri_and_substitutions_runs() {
    let t = fixture("sam/template.yaml");
    let mocks = fixture("sam/mocks.json");
    let v = asldbg(&["validate", &t, "--machine", "OrderMachine"]);
    let out = text(&v.stdout);
    assert!(v.status.success(), "{out}{}", text(&v.stderr));
    assert!(
        out.contains("state machine OrderMachine valid (3 states)"),
        "{out}"
    );
    assert!(
        out.contains("note: GetAtt CheckFunction.Arn stands as arn:aws:lambda:us-east-1:123456789012:function:CheckFunction"),
        "{out}"
    );
    let (r, o) = run_json(&[
        &t,
        "--machine",
        "OrderMachine",
        "--mocks",
        &mocks,
        "--test-case",
        "HappyPath",
    ]);
    assert_eq!(r["status"], "SUCCEEDED", "{r} {}", text(&o.stderr));
    // The substitutions reached the definition: the function's ARN, the
    // table's name, the parameter's default as a number of seconds.
    let l = event(&r, "LambdaFunctionScheduled");
    assert_eq!(
        l["lambdaFunctionScheduledEventDetails"]["resource"],
        "arn:aws:lambda:us-east-1:123456789012:function:CheckFunction"
    );
    let p = &event(&r, "TaskScheduled")["taskScheduledEventDetails"]["parameters"];
    let p: Value = serde_json::from_str(p.as_str().unwrap()).unwrap();
    assert_eq!(p["TableName"], "OrdersTable");
    let wait = waited(&r);
    assert!((wait - 30.0).abs() < 1e-6, "waited {wait} s");
}

#[test]
fn a_template_with_several_machines_names_them() {
    let o = asldbg(&["run", &fixture("sam/template.yaml")]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.contains("2 state machines: pick one with --machine NAME (OrderMachine, ExpressMachine)"),
        "{e}"
    );
    let o = asldbg(&[
        "validate",
        &fixture("sam/template.yaml"),
        "--machine",
        "Nope",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("no state machine named 'Nope' (it has: OrderMachine, ExpressMachine)"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn an_unfilled_placeholder_warns_in_validate_and_stops_a_run_until_filled() {
    let t = fixture("sam/template.yaml");
    let v = asldbg(&["validate", &t, "--machine", "ExpressMachine"]);
    let out = text(&v.stdout);
    assert!(v.status.success(), "{out}");
    assert!(
        out.contains("warning: tests/fixtures/templates/sam/template.yaml:43:13: the placeholder ${ReminderSeconds} has no value, and a number is needed here (--sub ReminderSeconds=VALUE fills it)"),
        "{out}"
    );
    assert!(out.contains("valid (2 states, 1 warning)"), "{out}");
    let o = asldbg(&["run", &t, "--machine", "ExpressMachine"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("template.yaml:43:13: the placeholder ${ReminderSeconds} has no value"),
        "{}",
        text(&o.stderr)
    );
    let mocks = fixture("sam/mocks.json");
    let (r, o) = run_json(&[
        &t,
        "--machine",
        "ExpressMachine",
        "--sub",
        "ReminderSeconds=5",
        "--mocks",
        &mocks,
    ]);
    assert_eq!(r["status"], "SUCCEEDED", "{r} {}", text(&o.stderr));
    assert_eq!(r["output"], serde_json::json!({"ok": true}));
    // !Sub resolved the optimised integration's partition.
    let s = &event(&r, "TaskScheduled")["taskScheduledEventDetails"];
    assert_eq!(s["resourceType"], "lambda");
    // --subs FILE does the same; --sub wins over it.
    let subs = temp_file("subs.yaml", "ReminderSeconds: 7\n");
    let (r, _) = run_json(&[
        &t,
        "--machine",
        "ExpressMachine",
        "--subs",
        &subs,
        "--mocks",
        &mocks,
    ]);
    let wait = waited(&r);
    assert!((wait - 7.0).abs() < 1e-6, "waited {wait} s");
}

#[test]
fn cloudformation_json_with_fn_join_runs() {
    let mocks = temp_file(
        "cfn-mocks.json",
        r#"{"StateMachines": {"Machine": {"TestCases": {"T": {"Work": "W", "Queue": "Q"}}}},
            "MockedResponses": {"W": {"0": {"Return": {"n": 1}}}, "Q": {"0": {"Return": {"MessageId": "m"}}}}}"#,
    );
    let (r, o) = run_json(&[&fixture("cfn.json"), "--mocks", &mocks]);
    assert_eq!(r["status"], "SUCCEEDED", "{r} {}", text(&o.stderr));
    assert_eq!(r["output"], serde_json::json!({"n": 1}));
    assert_eq!(
        event(&r, "LambdaFunctionScheduled")["lambdaFunctionScheduledEventDetails"]["resource"],
        "arn:aws:lambda:us-east-1:123456789012:function:worker-fn"
    );
    let p = &event(&r, "TaskScheduled")["taskScheduledEventDetails"]["parameters"];
    assert!(
        p.as_str()
            .unwrap()
            .contains("https://sqs.us-east-1.amazonaws.com/123456789012/Jobs"),
        "{p}"
    );
    // The notes are said with --verbose, on standard error: the run's
    // report stays clean JSON.
    assert!(!text(&o.stderr).contains("note:"), "{}", text(&o.stderr));
    let t = fixture("cfn.json");
    let o = asldbg(&[
        "run",
        "--format",
        "json",
        "--verbose",
        "--mocks",
        &mocks,
        &t,
    ]);
    assert!(serde_json::from_slice::<Value>(&o.stdout).is_ok());
    assert!(text(&o.stderr).contains("note: Ref Jobs (AWS::SQS::Queue) stands as"));
}

#[test]
fn cdk_synth_output_runs() {
    let t = fixture("cdk.out/OrdersStack.template.json");
    let v = asldbg(&["validate", &t]);
    assert!(
        text(&v.stdout).contains("state machine StateMachine2E01A3A5 valid (4 states)"),
        "{}{}",
        text(&v.stdout),
        text(&v.stderr)
    );
    let mocks = temp_file(
        "cdk-mocks.json",
        r#"{"StateMachines": {"M": {"TestCases": {"T": {"Submit Job": "S"}}}},
            "MockedResponses": {"S": {"0": {"Return": {"Payload": {"status": "DONE"}}}}}}"#,
    );
    let (r, o) = run_json(&[&t, "--mocks", &mocks]);
    assert_eq!(r["status"], "SUCCEEDED", "{r} {}", text(&o.stderr));
    let p = &event(&r, "TaskScheduled")["taskScheduledEventDetails"]["parameters"];
    assert!(
        p.as_str()
            .unwrap()
            .contains("arn:aws:lambda:us-east-1:123456789012:function:SubmitLambda5A2E7D5C"),
        "{p}"
    );
    let o = asldbg(&["graph", &t]);
    assert!(text(&o.stdout).contains("Is Done?"), "{}", text(&o.stdout));
}

#[test]
fn serverless_yml_runs() {
    let t = fixture("serverless/serverless.yml");
    let mocks = temp_file(
        "sls-mocks.json",
        r#"{"StateMachines": {"Checkout": {"TestCases": {"T": {"Reserve": "R", "Record": "D"}}}},
            "MockedResponses": {"R": {"0": {"Return": {"orderId": "o-9"}}}, "D": {"0": {"Return": {}}}}}"#,
    );
    let (r, o) = run_json(&[&t, "--mocks", &mocks]);
    assert_eq!(r["status"], "SUCCEEDED", "{r} {}", text(&o.stderr));
    assert_eq!(
        event(&r, "LambdaFunctionScheduled")["lambdaFunctionScheduledEventDetails"]["resource"],
        "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-reserve"
    );
    let p = &event(&r, "TaskScheduled")["taskScheduledEventDetails"]["parameters"];
    let p: Value = serde_json::from_str(p.as_str().unwrap()).unwrap();
    assert_eq!(p["TableName"], "orders-dev");
    assert_eq!(p["Item"]["id"]["S"], "o-9");
}

#[test]
fn placeholders_written_outside_strings_are_filled_before_parsing() {
    // Terraform's templatefile: a number placeholder without quotes.
    let f = temp_file(
        "tf.asl.json",
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": ${wait}, "End": true}}}"#,
    );
    let o = asldbg(&["run", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("invalid JSON"),
        "{}",
        text(&o.stderr)
    );
    let (r, o) = run_json(&[&f, "--sub", "wait=3"]);
    assert_eq!(r["status"], "SUCCEEDED", "{r} {}", text(&o.stderr));
}

#[test]
fn bad_templates_are_clear_errors() {
    let none = temp_file("none.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n");
    let o = asldbg(&["validate", &none]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("none.yaml:1:1: no state machine in this template"),
        "{}",
        text(&o.stderr)
    );
    let outside = temp_file(
        "outside.yaml",
        "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: ../../etc/passwd\n",
    );
    let o = asldbg(&["run", &outside]);
    assert_eq!(o.status.code(), Some(2));
    // A definition-like file outside both the template's folder and the
    // current one: refused too.
    let outside_json = temp_file(
        "outside-json.yaml",
        "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: ../elsewhere/machine.json\n",
    );
    let o2 = asldbg(&["run", &outside_json]);
    assert_eq!(o2.status.code(), Some(2));
    assert!(
        text(&o2.stderr).contains("leads outside the template's folder and the current folder"),
        "{}",
        text(&o2.stderr)
    );
    assert!(
        text(&o.stderr).contains("outside.yaml:5:7: DefinitionUri '../../etc/passwd' leads outside the template's folder to a file that is not JSON or YAML"),
        "{}",
        text(&o.stderr)
    );
    // Inside the folder by name, outside through a symbolic link: refused,
    // unread.
    #[cfg(unix)]
    {
        let dir = std::path::Path::new(&outside)
            .parent()
            .unwrap()
            .join("linked");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink("/", dir.join("root")).unwrap();
        let t = dir.join("template.yaml");
        std::fs::write(
            &t,
            "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: root/etc/hostname\n",
        )
        .unwrap();
        let o = asldbg(&["run", t.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            text(&o.stderr).contains("template.yaml:5:7: DefinitionUri 'root/etc/hostname' leads outside the template's folder and the current folder (to /etc/hostname)"),
            "{}",
            text(&o.stderr)
        );
        let tf = dir.join("main.tf");
        std::fs::write(
            &tf,
            "resource \"aws_sfn_state_machine\" \"m\" {\n  name = \"m\"\n  definition = file(\"root/etc/hostname\")\n}\n",
        )
        .unwrap();
        let o = asldbg(&["run", tf.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            text(&o.stderr).contains("leads outside the template's folder"),
            "{}",
            text(&o.stderr)
        );
    }
    let s3 = temp_file(
        "s3.json",
        r#"{"Resources": {"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"DefinitionS3Location": {"Bucket": "b", "Key": "k"}}}}}"#,
    );
    let o = asldbg(&["run", &s3]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains(
            "s3.json:1:81: M: the definition is in S3 (s3://b/k), which asldbg does not read: \
             download it beside the template as k"
        ),
        "{}",
        text(&o.stderr)
    );
    let bad_sub = asldbg(&["validate", &fixture("cfn.json"), "--sub", "novalue"]);
    assert_eq!(bad_sub.status.code(), Some(2));
    assert!(text(&bad_sub.stderr).contains("expected NAME=VALUE"));
}

#[test]
fn terraform_state_machines_open_from_jsonencode_a_heredoc_and_templatefile() {
    let t = fixture("terraform/main.tf");
    // Several machines: validate checks each one; a run asks which.
    let out = asldbg(&["validate", &t]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for m in ["orders", "greeting", "templated"] {
        assert!(
            text(&out.stdout).contains(&format!("state machine {m} valid")),
            "{}",
            text(&out.stdout)
        );
    }
    let out = asldbg(&["run", &t]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "3 state machines: pick one with --machine NAME (orders, greeting, templated)"
        ),
        "{}",
        text(&out.stderr)
    );
    // jsonencode({…}): references made up from the resources' names, said in notes.
    let out = asldbg(&["validate", &t, "--machine", "orders"]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("state machine orders valid (3 states)"),
        "{said}"
    );
    assert!(
        said.contains("aws_lambda_function.check.arn → arn:aws:lambda:us-east-1:123456789012:function:check-order"),
        "{said}"
    );
    // A heredoc: var.env from its default, or from --sub.
    let (v, out) = run_json(&[&t, "--machine", "greeting"]);
    assert_eq!(v["output"]["env"], "dev", "{}", text(&out.stderr));
    let (v, _) = run_json(&[&t, "--machine", "greeting", "--sub", "env=prod"]);
    assert_eq!(v["output"]["env"], "prod");
    // templatefile(path, {…}): the file beside it, its ${…} filled (a number too).
    let (v, out) = run_json(&[&t, "--machine", "templated"]);
    assert_eq!(v["status"], "SUCCEEDED", "{}", text(&out.stderr));
    assert_eq!(
        v["output"]["queue"],
        "arn:aws:sqs:us-east-1:123456789012:orders-dlq"
    );
    assert_eq!(waited(&v), 3.0);
    // The machine's EXPRESS type counts: no .sync integration in it.
    let bad = temp_file(
        "express.tf",
        r#"resource "aws_sfn_state_machine" "x" {
  type = "EXPRESS"
  definition = jsonencode({ StartAt = "A", States = { A = { Type = "Task", Resource = "arn:aws:states:::ecs:runTask.sync", End = true } } })
}"#,
    );
    let out = asldbg(&["validate", &bad]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("Express state machine does not support '.sync'"),
        "{}",
        text(&out.stdout)
    );
    // Not HCL: where the parser stopped.
    let broken = temp_file(
        "broken.tf",
        "resource \"aws_sfn_state_machine\" \"x\" {\n  definition = \n}\n",
    );
    let out = asldbg(&["validate", &broken]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("broken.tf:2:16: invalid Terraform"), "{err}");
}

/// A Terraform module as projects lay one out: variables.tf, tfvars, a
/// template_file data source rendering a file, data sources in ARNs.
#[test]
fn a_terraform_module_with_data_sources_and_variables_files_runs() {
    let t = fixture("terraform-module/main.tf");
    let out = asldbg(&["validate", &t]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(
            "data.aws_region.current.name → us-east-1 (as CloudFormation's AWS::Region; --sub \
             AWS::Region=… sets it)"
        ),
        "{said}"
    );
    let (v, out) = run_json(&[&t, "--sub", "AWS::Region=eu-west-1"]);
    let check = event(&v, "LambdaFunctionScheduled");
    assert_eq!(
        check["lambdaFunctionScheduledEventDetails"]["resource"],
        "arn:aws:lambda:eu-west-1:123456789012:function:shop-check",
        "{}",
        text(&out.stderr)
    );
    // terraform.tfvars set wait_seconds = 1 over the default 10.
    let (v, _) = run_json(&[&t, "--task-command", "echo {}"]);
    assert_eq!(waited(&v), 1.0, "{v}");
    // The machine's name is `name`: what $$.StateMachine.Name says.
    assert_eq!(v["output"]["machine"], "shop-orders", "{v}");
    // The notes are said by validate; a run says them with --verbose.
    let quiet = asldbg(&["run", &t, "--task-command", "echo {}"]);
    assert!(
        !text(&quiet.stderr).contains("note:"),
        "{}",
        text(&quiet.stderr)
    );
    let loud = asldbg(&["run", &t, "--task-command", "echo {}", "--verbose"]);
    assert!(
        text(&loud.stderr).contains("note: data.aws_region"),
        "{}",
        text(&loud.stderr)
    );
    // A problem in the definition is placed at its `definition =` line.
    let dir = folder("tf-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("main.tf");
    std::fs::write(
        &bad,
        "variable \"x\" {}\n\nresource \"aws_sfn_state_machine\" \"m\" {\n  name = \"m\"\n  definition = jsonencode({ StartAt = \"Nope\", States = { A = { Type = \"Pass\", End = true } } })\n}\n",
    )
    .unwrap();
    let out = asldbg(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("main.tf:5:3:"),
        "{}",
        text(&out.stdout)
    );
    // A definition file that is not there: at the definition line, exit 2.
    std::fs::write(
        &bad,
        "resource \"aws_sfn_state_machine\" \"m\" {\n  name = \"m\"\n  definition = file(\"${path.module}/missing.asl.json\")\n}\n",
    )
    .unwrap();
    let out = asldbg(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("main.tf:3:3: the definition file names")
            && text(&out.stderr).contains("missing.asl.json, which does not exist"),
        "{}",
        text(&out.stderr)
    );
}

/// A SAM project with the company real ones keep: Globals, Mappings,
/// Conditions, a parameter and a resource given twice, two machines.
#[test]
fn a_sam_project_with_duplicates_conditions_and_names_runs() {
    let t = fixture("sam-project/template.yaml");
    let mocks = fixture("sam-project/mocks.json");
    // Keys given twice outside the definitions: kept last, with a warning
    // naming both lines. Both machines are checked.
    let out = asldbg(&["validate", &t]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(
            "template.yaml:44:3: duplicate key 'OrdersTable' (first at 38:3): CloudFormation \
             keeps the last one, and so does asldbg"
        ),
        "{said}"
    );
    assert!(
        said.contains("state machine OrderStateMachine valid"),
        "{said}"
    );
    assert!(
        said.contains("state machine AuditStateMachine valid"),
        "{said}"
    );
    let out = asldbg(&["graph", &t]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("── AuditStateMachine (EXPRESS"),
        "{}",
        text(&out.stdout)
    );
    // Conditions evaluated: us-east-1 is not China, Stage is not prod;
    // the name is the template's Name, the mock file keyed by it.
    let args = ["--machine", "OrderStateMachine", "--mocks", mocks.as_str()];
    let mut plain = vec![t.as_str()];
    plain.extend(args);
    let (v, out) = run_json(&plain);
    assert_eq!(v["status"], "SUCCEEDED", "{}", text(&out.stderr));
    assert_eq!(
        v["output"],
        serde_json::json!({"table": "orders-test", "endpoint": "https://api.example.amazonaws.com", "machine": "stack-orders-test"})
    );
    let mut china = vec![t.as_str()];
    china.extend(args);
    china.extend(["--sub", "AWS::Partition=aws-cn", "--sub", "Stage=prod"]);
    let (v, out) = run_json(&china);
    assert_eq!(v["status"], "SUCCEEDED", "{}", text(&out.stderr));
    assert_eq!(
        v["output"],
        serde_json::json!({"table": "orders", "endpoint": "https://api.example.amazonaws.com.cn", "machine": "stack-orders-prod"})
    );
    // Inside a definition a key given twice stays an error.
    let dup = temp_file(
        "dup-in-def.yaml",
        "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Definition:\n        StartAt: A\n        States:\n          A: {Type: Pass, End: true}\n          A: {Type: Succeed}\n",
    );
    let out = asldbg(&["validate", &dup]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("dup-in-def.yaml:9:11: duplicate key 'A' in a state machine's definition (first at 8:11)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_packaged_template_uses_the_local_copy_or_says_it_cannot_read_s3() {
    let t = fixture("packaged/packaged.yaml");
    let (v, out) = run_json(&[&t, "--machine", "Orders", "--verbose"]);
    assert_eq!(v["output"], "local copy", "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "the local tests/fixtures/templates/packaged/statemachine/orders.asl.json stands in"
        ),
        "{}",
        text(&out.stderr)
    );
    let out = asldbg(&["run", &t, "--machine", "Gone"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("packaged.yaml:12:7: Gone: the definition is in S3 (s3://my-artifacts/orders-app/9a8b7c6d)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_packaged_templates_local_copy_is_not_followed_out_of_its_folder() {
    #[cfg(unix)]
    {
        let t = temp_file(
            "pack-link.yaml",
            "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: s3://b/k/secret.json\n",
        );
        let dir = std::path::Path::new(&t).parent().unwrap();
        let outside =
            std::env::temp_dir().join(format!("asldbg-secret-{}.json", std::process::id()));
        std::fs::write(
            &outside,
            r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
        )
        .unwrap();
        let _ = std::fs::remove_file(dir.join("secret.json"));
        std::os::unix::fs::symlink(&outside, dir.join("secret.json")).unwrap();
        let o = asldbg(&["run", &t]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
        assert!(
            text(&o.stderr).contains("which asldbg does not read"),
            "{}",
            text(&o.stderr)
        );
    }
}

#[test]
fn a_terraform_module_that_terraform_refuses_is_refused() {
    let dir = folder("tf-twice");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.tf"), "locals {\n  x = \"a\"\n}\n").unwrap();
    std::fs::write(dir.join("b.tf"), "locals {\n  x = \"b\"\n}\n").unwrap();
    std::fs::write(
        dir.join("main.tf"),
        "resource \"aws_sfn_state_machine\" \"m\" {\n  definition = jsonencode({ StartAt = \"P\", States = { P = { Type = \"Pass\", Result = local.x, End = true } } })\n}\n",
    )
    .unwrap();
    let o = asldbg(&["validate", dir.join("main.tf").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    // At the second definition, naming the first.
    let e = text(&o.stderr);
    assert!(
        e.contains("b.tf:2:3: invalid Terraform: the local value 'x' is defined twice in this module, first at ")
            && e.contains("a.tf:2:3 (Terraform refuses it)"),
        "{e}"
    );
}

#[test]
fn a_root_module_that_calls_a_module_on_disk_says_which_file_to_open() {
    let dir = folder("tf-root");
    let module = dir.join("modules").join("sfn");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\nmodule \"workflow\" {\n  source = \"./modules/sfn\"\n  prefix = \"shop floor\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        module.join("main.tf"),
        "variable \"prefix\" {}\nresource \"aws_sfn_state_machine\" \"m\" {\n  definition = jsonencode({ StartAt = \"P\", States = { P = { Type = \"Pass\", Result = var.prefix, End = true } } })\n}\n",
    )
    .unwrap();
    // A file of the module that holds no machine is not the one named.
    std::fs::write(
        module.join("a-outputs.tf"),
        "output \"x\" {\n  value = 1\n}\n",
    )
    .unwrap();
    let root = dir.join("main.tf");
    let o = asldbg(&["validate", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    let file = module.join("main.tf");
    // At the module block, naming its file and the --sub its argument is.
    assert!(
        e.contains(&format!(
            "main.tf:5:1: no aws_sfn_state_machine resource in this Terraform file; the modules \
             it calls hold them, open one of those instead: module \"workflow\" is {} --sub \
             'prefix=shop floor'",
            file.display()
        )),
        "{e}"
    );
    // A module above the file's folder (and not under the current one) is
    // named, not looked in.
    let env = dir.join("env");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(
        env.join("main.tf"),
        "module \"up\" {\n  source = \"../modules/sfn\"\n}\n",
    )
    .unwrap();
    let o = asldbg(&["validate", env.join("main.tf").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.contains("module \"up\" is in ") && e.contains("run asldbg from the project's folder"),
        "{e}"
    );
    // What it says works.
    let o = asldbg(&["run", file.to_str().unwrap(), "--sub", "prefix=shop floor"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("shop floor"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn a_serverless_definition_from_a_file_runs_with_its_stage_in_its_name() {
    let (v, out) = run_json(&[&fixture("serverless-file/serverless.yml")]);
    assert_eq!(
        v["output"]["machine"],
        "checkout-qa",
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn eighty_thousand_distinct_refs_are_noted_in_linear_time() {
    // Each note was looked for in the list of notes so far: 8 s here.
    let mut res = serde_json::Map::new();
    let mut states = serde_json::Map::new();
    for i in 0..2000 {
        let params: serde_json::Map<String, serde_json::Value> = (0..40)
            .map(|j| {
                (
                    format!("q{j}"),
                    serde_json::json!({"Ref": format!("Q{}", i * 40 + j)}),
                )
            })
            .collect();
        let mut st = serde_json::json!({"Type": "Pass", "Parameters": params});
        if i < 1999 {
            st["Next"] = serde_json::json!(format!("S{}", i + 1));
        } else {
            st["End"] = serde_json::json!(true);
        }
        states.insert(format!("S{i}"), st);
    }
    for i in 0..80_000 {
        res.insert(
            format!("Q{i}"),
            serde_json::json!({"Type": "AWS::SQS::Queue"}),
        );
    }
    res.insert(
        "M".into(),
        serde_json::json!({"Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"Definition": {"StartAt": "S0", "States": states}}}),
    );
    let f = temp_file(
        "refs.json",
        &serde_json::json!({ "Resources": res }).to_string(),
    );
    let t = std::time::Instant::now();
    let o = asldbg(&["validate", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn a_resource_only_the_deployed_stack_knows_stays_a_placeholder() {
    // A parameter with no Default, an import and an attribute of a
    // resource the template does not hold: unknown until deployed, they
    // stay placeholders (a warning), not malformed ARNs (an error).
    let t = temp_file(
        "stand-ins.yaml",
        "Parameters:\n  LambdaArn: {Type: String}\nResources:\n  SM:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Definition:\n        StartAt: A\n        States:\n          A: {Type: Task, Resource: !Ref LambdaArn, Next: B}\n          B: {Type: Task, Resource: !ImportValue SharedFn, Next: C}\n          C: {Type: Task, Resource: !GetAtt Elsewhere.Arn, End: true}\n",
    );
    let v = asldbg(&["validate", &t]);
    let out = text(&v.stdout);
    assert!(v.status.success(), "{out}{}", text(&v.stderr));
    assert!(out.contains("valid (3 states"), "{out}");
    assert!(out.contains("${LambdaArn}"), "{out}");
    let mocks = temp_file(
        "stand-ins-mocks.json",
        r#"{"StateMachines": {"SM": {"TestCases": {"T": {"A": "R", "B": "R", "C": "R"}}}},
            "MockedResponses": {"R": {"0": {"Return": {"ok": true}}}}}"#,
    );
    let (r, o) = run_json(&[&t, "--mocks", &mocks]);
    assert_eq!(r["status"], "SUCCEEDED", "{r}{}", text(&o.stderr));
}

#[test]
fn dot_and_mermaid_draw_every_machine_of_a_template_in_one_graph() {
    let t = fixture("sam/template.yaml");
    let o = asldbg(&["graph", &t, "--format", "dot"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let dot = text(&o.stdout);
    assert_eq!(dot.matches("digraph").count(), 1, "{dot}");
    for want in [
        "  subgraph cluster_t0 {",
        "    label=\"OrderMachine\";",
        "    label=\"ExpressMachine\";",
        "    t1start -> t1m0s0;",
    ] {
        assert!(dot.lines().any(|l| l == want), "no {want:?} in\n{dot}");
    }
    let o = asldbg(&["graph", &t, "--format", "mermaid"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mmd = text(&o.stdout);
    assert!(
        mmd.lines()
            .any(|l| l == "  subgraph t1 [\"ExpressMachine\"]"),
        "{mmd}"
    );
    // --collapse names a container of any of them; one of none is refused.
    let o = asldbg(&["graph", &t, "--format", "dot", "--collapse", "Nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("\"Nope\""), "{}", text(&o.stderr));
}
