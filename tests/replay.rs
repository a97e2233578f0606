//! `asldbg replay`: an execution recorded on AWS (the AWS CLI's history
//! JSON) replayed on a definition, reproduced or shown where it parts, its
//! answers exported as mocks, and broken histories refused clearly.

mod common;
use common::{asldbg, temp_file, text};
use serde_json::Value;
use std::process::Output;

const DIR: &str = "tests/fixtures/replay";

fn f(name: &str) -> String {
    format!("{DIR}/{name}")
}

/// The recorded order machine with its review threshold raised (orders of
/// 1500 no longer go to Review), written as `name`.
fn raised_threshold(name: &str) -> String {
    let def = std::fs::read_to_string(f("order.asl.json"))
        .unwrap()
        .replace(
            "\"NumericGreaterThan\": 1000",
            "\"NumericGreaterThan\": 2000",
        );
    temp_file(name, &def)
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&o.stdout), text(&o.stderr)))
}

#[test]
fn a_recorded_execution_is_reproduced() {
    let o = asldbg(&[
        "replay",
        &f("history.json"),
        "--definition",
        &f("order.asl.json"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = json_of(&o);
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["divergence"], Value::Null);
    // The clock started at the recording's start; the retried task was
    // answered as recorded (a throttle, then the charge).
    assert_eq!(r["output"]["startedAt"], "2024-05-01T12:00:00.123Z");
    assert_eq!(r["output"]["charge"]["charged"], 1500);
    let t = asldbg(&[
        "replay",
        &f("history.json"),
        "--definition",
        &f("order.asl.json"),
    ]);
    let out = text(&t.stdout);
    assert!(
        out.contains("18 events recorded, 18 made by the local run"),
        "{out}"
    );
    assert!(
        out.contains("reproduced: every recorded event, in order"),
        "{out}"
    );
}

#[test]
fn the_definition_and_names_can_come_from_describe_output_and_the_history_may_be_reversed() {
    let o = asldbg(&[
        "replay",
        &f("history-reversed.json"),
        "--execution",
        &f("describe-state-machine-for-execution.json"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let o = asldbg(&[
        "replay",
        &f("history.json"),
        "--definition",
        &f("order.asl.json"),
        "--execution",
        &f("describe-execution.json"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

#[test]
fn describe_output_saved_beside_the_history_is_found_and_must_be_of_one_execution() {
    let dir = std::env::temp_dir().join(format!("asldbg-replay-beside-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let copy = |name: &str, to: &str| std::fs::copy(f(name), dir.join(to)).unwrap();
    copy("history.json", "history.json");
    let history = dir.join("history.json");
    let history = history.to_str().unwrap();
    // Alone, the history names no definition.
    for args in [vec!["replay", history], vec![history]] {
        let o = asldbg(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            text(&o.stderr).contains("which definition?"),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }
    // With what the AWS CLI printed saved beside it (any names): found,
    // said, and used (the definition, the execution's name).
    copy("describe-state-machine-for-execution.json", "machine.json");
    copy("describe-execution.json", "execution.json");
    let o = asldbg(&["replay", history, "--format", "json"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("machine.json") && err.contains("execution.json"),
        "{err}"
    );
    assert!(err.contains("found beside it"), "{err}");
    assert_eq!(json_of(&o)["status"], "SUCCEEDED");
    // Two executions' outputs: which one is not guessed.
    let other = std::fs::read_to_string(f("describe-execution.json"))
        .unwrap()
        .replace(":o-17-charge\"", ":o-18-other\"");
    std::fs::write(dir.join("execution-2.json"), other).unwrap();
    let o = asldbg(&["replay", history]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("describe different executions") && err.contains("--execution FILE"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_changed_definition_shows_where_it_parts_from_the_recording() {
    let fixed = raised_threshold("order-fixed.asl.json");
    let o = asldbg(&[
        "replay",
        &f("history.json"),
        "--definition",
        &fixed,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let r = json_of(&o);
    let d = &r["divergence"];
    assert_eq!(d["eventId"], 14, "{r}");
    assert_eq!(d["state"], "Review");
    assert_eq!(d["expected"]["type"], "WaitStateEntered");
    assert_eq!(d["got"]["type"], "SucceedStateEntered");
    assert_eq!(d["got"]["details"]["name"], "Done");
    let t = text(&asldbg(&["replay", &f("history.json"), "--definition", &fixed]).stdout);
    assert!(
        t.contains("diverges at event 14 (state Review)\nAWS recorded WaitStateEntered 'Review'; the local run: SucceedStateEntered 'Done'"),
        "{t}"
    );
    // A changed value is named by its field.
    let def = std::fs::read_to_string(f("order.asl.json"))
        .unwrap()
        .replace(
            "\"ResultPath\": \"$.charge\"",
            "\"ResultPath\": \"$.payment\"",
        );
    let other = temp_file("order-renamed.asl.json", &def);
    let t = text(&asldbg(&["replay", &f("history.json"), "--definition", &other]).stdout);
    assert!(
        t.contains("TaskStateExited 'Charge': the local run differs in output"),
        "{t}"
    );
}

#[test]
fn the_recorded_answers_become_a_mock_file_that_reruns_the_execution() {
    let mocks = temp_file("recorded-mocks.json", "");
    let o = asldbg(&[
        "replay",
        &f("history.json"),
        "--definition",
        &f("order.asl.json"),
        "--export-mocks",
        &mocks,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&mocks).unwrap()).unwrap();
    let answers = &m["MockedResponses"]["Charge (Recorded)"];
    assert_eq!(
        answers["0"]["Throw"]["Error"],
        "Lambda.TooManyRequestsException"
    );
    assert_eq!(answers["1"]["Return"]["Payload"]["charged"], 1500);
    let input = temp_file("order-input.json", r#"{"id": "o-17", "amount": 1500}"#);
    let r = asldbg(&[
        "run",
        &f("order.asl.json"),
        "--input",
        &input,
        "--mocks",
        &mocks,
        "--test-case",
        "Recorded",
        "--format",
        "json",
    ]);
    let r = json_of(&r);
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["output"]["charge"]["charged"], 1500);
}

#[test]
fn broken_histories_are_clear_errors() {
    let h: Value =
        serde_json::from_str(&std::fs::read_to_string(f("history.json")).unwrap()).unwrap();
    let events = h["events"].as_array().unwrap().clone();
    let write = |name: &str, ev: Vec<Value>| {
        temp_file(name, &serde_json::json!({"events": ev}).to_string())
    };
    let truncated = write("truncated.json", events[..events.len() - 1].to_vec());
    let mut swapped = events.clone();
    swapped.swap(3, 5);
    let swapped = write("swapped.json", swapped);
    let not_history = temp_file("not-history.json", r#"{"executions": []}"#);
    let (history, def) = (f("history.json"), f("order.asl.json"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&truncated, "--definition", &def], "the history is truncated, or the execution is still running: it ends at event 17 (SucceedStateExited)"),
        (vec![&swapped, "--definition", &def], "events out of order: event 5 comes after event 6"),
        (vec![&not_history, "--definition", &def], "not-history.json:1:1: not an execution history"),
        (vec![&history, "--definition", "samples/parallel/parallel.asl.json"], "the history is not of this definition: it enters Tag, Charge, Large?, Review, Done"),
    ];
    for (args, want) in cases {
        let mut a = vec!["replay"];
        a.extend(args.iter().copied());
        let o = asldbg(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {}", text(&o.stdout));
        let e = text(&o.stderr);
        assert!(e.contains(want), "{a:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
    // The error names the file and where in it.
    let o = asldbg(&["replay", &swapped, "--definition", &f("order.asl.json")]);
    assert!(
        text(&o.stderr).contains("swapped.json:"),
        "{}",
        text(&o.stderr)
    );
    assert!(
        text(&o.stderr).contains("(at /events/4)"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn diff_shows_where_two_runs_part_and_what_changed() {
    // A history against itself.
    let h = f("history.json");
    let o = asldbg(&["diff", &h, &h]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains("the same: every state entered in the same order"));
    // The recorded run against a fixed definition run locally.
    let def = std::fs::read_to_string(f("order.asl.json"))
        .unwrap()
        .replace(
            "\"NumericGreaterThan\": 1000",
            "\"NumericGreaterThan\": 2000",
        )
        .replace(
            "\"ResultPath\": \"$.charge\"",
            "\"ResultPath\": \"$.payment\"",
        );
    let fixed = temp_file("order-diff.asl.json", &def);
    let mocks = temp_file(
        "order-mocks.json",
        r#"{"StateMachines": {"order": {"TestCases": {"T": {"Charge": "C"}}}},
            "MockedResponses": {"C": {"0": {"Return": {"Payload": {"charged": 1500}}}}}}"#,
    );
    let input = temp_file("order-in.json", r#"{"id": "o-17", "amount": 1500}"#);
    let o = asldbg(&["diff", &h, &fixed, "--input", &input, "--mocks", &mocks]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let out = text(&o.stdout);
    assert!(
        out.contains("paths part after Large? (state 4): a enters Review, b enters Done"),
        "{out}"
    );
    assert!(out.contains("only in a: Review #1"), "{out}");
    assert!(
        out.contains("Charge #1 output:\n  /charge: {\"charged\":1500} → (none)\n  /payment: (none) → {\"charged\":1500}"),
        "{out}"
    );
    let j = asldbg(&[
        "diff", &h, &fixed, "--input", &input, "--mocks", &mocks, "--format", "json",
    ]);
    let r = json_of(&j);
    assert_eq!(r["same"], false);
    assert_eq!(r["parted"]["after"], "Large?");
    assert_eq!(r["parted"]["a"], "Review");
    assert_eq!(r["parted"]["b"], "Done");
    assert_eq!(r["only"][0]["state"], "Review");
}

#[test]
fn diff_runs_one_definition_two_ways() {
    let o = asldbg(&[
        "diff",
        "samples/credit-card/credit-card.asl.json",
        "samples/credit-card/credit-card.asl.json",
        "--input",
        "samples/credit-card/input.json",
        "--mocks",
        "samples/credit-card/mocks.json",
        "--test-case",
        "AutoApproved",
        "--b-test-case",
        "HumanApprovalGranted",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("Get credit limit #1 output:"), "{out}");
    let o = asldbg(&["diff", &f("history.json"), "no-such-file.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no-such-file.json:1:1: cannot read file"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn diff_draws_both_runs_on_one_graph() {
    let fixed = raised_threshold("order-graph.asl.json");
    let mocks = temp_file(
        "order-graph-mocks.json",
        r#"{"StateMachines": {"order": {"TestCases": {"T": {"Charge": "C"}}}},
            "MockedResponses": {"C": {"0": {"Return": {"Payload": {"charged": 1500}}}}}}"#,
    );
    let input = temp_file("order-graph-in.json", r#"{"id": "o-17", "amount": 1500}"#);
    let h = f("history.json");
    let o = asldbg(&[
        "diff", &h, &fixed, "--input", &input, "--mocks", &mocks, "--graph",
    ]);
    let out = text(&o.stdout);
    assert!(out.contains("│a◷ Review│"), "{out}");
    assert!(out.contains("│•✓ Done│"), "{out}");
    assert!(out.contains("│•◇ Large?│"), "{out}");
    assert!(out.contains('┃'), "the transitions taken are heavy: {out}");
    // Two histories need a definition to draw.
    let o = asldbg(&["diff", &h, &h, "--graph"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--graph needs a definition to draw"));
    let o = asldbg(&[
        "diff",
        &h,
        &h,
        "--graph",
        "--definition",
        &f("order.asl.json"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o.stdout).contains("│•◷ Review│"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn a_history_opened_as_a_definition_or_diffed_broken_says_what_to_do() {
    // The debugger given a history without its definition (and none
    // beside it).
    let alone = std::env::temp_dir().join(format!("asldbg-history-alone-{}", std::process::id()));
    std::fs::create_dir_all(&alone).unwrap();
    std::fs::copy(f("history.json"), alone.join("history.json")).unwrap();
    let o = asldbg(&[alone.join("history.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("history.json: which definition? pass --definition FILE"),
        "{}",
        text(&o.stderr)
    );
    // A broken history on one side of a diff is placed in its own file.
    let h: Value =
        serde_json::from_str(&std::fs::read_to_string(f("history.json")).unwrap()).unwrap();
    let mut events = h["events"].as_array().unwrap().clone();
    events.swap(3, 5);
    let pretty = serde_json::to_string_pretty(&serde_json::json!({ "events": events })).unwrap();
    let swapped = temp_file("diff-swapped.json", &pretty);
    let o = asldbg(&["diff", &f("history.json"), &swapped]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    let line = pretty
        .lines()
        .position(|l| l.contains("\"id\": 6"))
        .expect("event 6");
    assert!(
        e.contains("diff-swapped.json:")
            && e.contains("events out of order")
            && e.contains("(at /events/4)"),
        "{e}"
    );
    assert!(
        !e.contains("diff-swapped.json:1:1:"),
        "placed on its line ({line}): {e}"
    );
}

#[test]
fn a_history_with_events_left_out_is_compared_where_it_has_them() {
    // What `--query 'events[?type!=`TaskStarted` && !starts_with(type, `Choice`)]'` prints.
    let h: Value =
        serde_json::from_str(&std::fs::read_to_string(f("history.json")).unwrap()).unwrap();
    let events: Vec<Value> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let t = e["type"].as_str().unwrap();
            t != "TaskStarted" && !t.starts_with("Choice")
        })
        .cloned()
        .collect();
    let filtered = temp_file(
        "filtered-history.json",
        &serde_json::json!({ "events": events }).to_string(),
    );
    let o = asldbg(&[
        "replay",
        &filtered,
        "--definition",
        &f("order.asl.json"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let r = json_of(&o);
    assert_eq!(r["divergence"], Value::Null, "{r}");
    // The retried task was still answered as recorded: the TaskFailed's
    // link to its call went through a TaskStarted that is gone.
    assert_eq!(r["output"]["charge"]["charged"], 1500, "{r}");
    assert_eq!(
        r["leftOut"],
        serde_json::json!([{"from": 6, "to": 6}, {"from": 9, "to": 9}, {"from": 12, "to": 13}])
    );
    let t = text(&asldbg(&["replay", &filtered, "--definition", &f("order.asl.json")]).stdout);
    assert!(
        t.contains("events 12..13 are not in the history (left out of it): the local run's events there are not compared"),
        "{t}"
    );
    assert!(
        t.contains("reproduced: every recorded event, in order"),
        "{t}"
    );
    // What the history does hold is still compared: a changed threshold
    // parts from it where the recorded Wait is.
    let fixed = raised_threshold("order-fixed-filtered.asl.json");
    let o = asldbg(&[
        "replay",
        &filtered,
        "--definition",
        &fixed,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let r = json_of(&o);
    assert_eq!(r["divergence"]["eventId"], 14, "{r}");
    assert_eq!(r["divergence"]["got"]["type"], "SucceedStateEntered");
}

#[test]
fn a_distributed_map_is_answered_from_its_child_executions_histories() {
    let (history, def, children) = (
        f("distributed/history.json"),
        f("distributed/batch.asl.json"),
        f("distributed/children"),
    );
    // Without them, the iterations' Tasks have no answer, and it says
    // where the answers are.
    let o = asldbg(&["replay", &history, "--definition", &def, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains("it ran a Distributed Map, whose iterations' Task calls are in its child executions' histories: pass them with --children DIR"),
        "{}",
        text(&o.stderr)
    );
    // With the folder of child histories (named in another order than
    // the items: each call is matched by its input), it reproduces.
    let o = asldbg(&[
        "replay",
        &history,
        "--definition",
        &def,
        "--children",
        &children,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = json_of(&o);
    assert_eq!(r["divergence"], Value::Null, "{r}");
    assert_eq!(
        r["output"]["priced"],
        serde_json::json!([{"id": "o-1", "total": 20}, {"id": "o-2", "total": 50}])
    );
    assert!(!text(&o.stderr).contains("Distributed Map"));
    // The children's answers go into the exported mocks too.
    let mocks = temp_file("distributed-mocks.json", "");
    let o = asldbg(&[
        "replay",
        &history,
        "--definition",
        &def,
        "--children",
        &children,
        "--export-mocks",
        &mocks,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&mocks).unwrap()).unwrap();
    assert_eq!(
        m["MockedResponses"]["Price (Recorded)"]
            .as_object()
            .unwrap()
            .len(),
        2,
        "{m}"
    );
    // A child history of another machine, or a folder with none: exit 2.
    let o = asldbg(&[
        "replay",
        &history,
        "--definition",
        &def,
        "--children",
        &f("history.json"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("history.json: the history is not of this definition"),
        "{}",
        text(&o.stderr)
    );
    let empty = std::env::temp_dir().join(format!("asldbg-no-children-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.to_string_lossy().into_owned();
    let o = asldbg(&[
        "replay",
        &history,
        "--definition",
        &def,
        "--children",
        &empty,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no execution history in it"),
        "{}",
        text(&o.stderr)
    );
}
