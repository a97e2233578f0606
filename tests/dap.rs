//! `asldbg dap` driven over its standard input and output, as an editor
//! drives it: a whole session on the credit-card sample, and the
//! protocol's edge cases. (A second, independent client — VS Code's own
//! `DebugClient` — drives it in tests/dap/, run by tests/run.sh.)

mod common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: mpsc::Receiver<Value>,
    seq: i64,
    /// Everything received, in order.
    seen: Vec<Value>,
}

fn read_one(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length:") {
            len = n.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_asldbg"))
            .arg("dap")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run asldbg dap");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_one(&mut r) {
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Client {
            child,
            stdin,
            rx,
            seq: 0,
            seen: Vec::new(),
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        let w = self.stdin.as_mut().unwrap();
        w.write_all(bytes).unwrap();
        w.flush().unwrap();
    }

    fn send(&mut self, command: &str, args: Value) -> i64 {
        self.seq += 1;
        let body =
            json!({"seq": self.seq, "type": "request", "command": command, "arguments": args})
                .to_string();
        self.raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
        self.seq
    }

    fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let v = self
                .rx
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no {what}; received: {:#?}", self.seen));
            self.seen.push(v.clone());
            if pred(&v) {
                return v;
            }
        }
    }

    /// A request's response (whether it succeeded or not).
    fn request(&mut self, command: &str, args: Value) -> Value {
        let seq = self.send(command, args);
        self.wait(command, |v| {
            v["type"] == "response" && v["request_seq"] == seq
        })
    }

    /// A request that must succeed: its body.
    fn ok(&mut self, command: &str, args: Value) -> Value {
        let r = self.request(command, args);
        assert_eq!(r["success"], true, "{command} failed: {r}");
        r["body"].clone()
    }

    fn event(&mut self, name: &str) -> Value {
        self.wait(name, |v| v["type"] == "event" && v["event"] == name)["body"].clone()
    }

    fn stopped(&mut self) -> Value {
        self.event("stopped")
    }

    /// Variables of a reference, by name.
    fn vars(&mut self, r: &Value) -> Vec<Value> {
        self.ok("variables", json!({"variablesReference": r}))["variables"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn scope(&mut self, thread: i64, name: &str) -> Value {
        let frames = self.ok("stackTrace", json!({"threadId": thread}));
        let frame = frames["stackFrames"][0]["id"].clone();
        let scopes = self.ok("scopes", json!({"frameId": frame}));
        scopes["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no scope {name} in {scopes}"))["variablesReference"]
            .clone()
    }

    fn thread_named(&mut self, name: &str) -> i64 {
        let t = self.ok("threads", json!({}));
        t["threads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("no thread {name} in {t}"))["id"]
            .as_i64()
            .unwrap()
    }
}

fn sample(f: &str) -> String {
    format!("{}/samples/credit-card/{f}", env!("CARGO_MANIFEST_DIR"))
}

fn find<'a>(vars: &'a [Value], name: &str) -> &'a Value {
    vars.iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no variable {name} in {vars:?}"))
}

#[test]
fn a_whole_session_on_credit_card() {
    let mut c = Client::start();
    let caps = c.ok(
        "initialize",
        json!({"adapterID": "asldbg", "linesStartAt1": true}),
    );
    assert_eq!(caps["supportsStepBack"], true);
    c.ok(
        "launch",
        json!({"definition": sample("credit-card.asl.json"), "input": sample("input.json"),
               "mocks": sample("mocks.json")}),
    );
    c.event("initialized");
    // Line 40 lies inside the Choice state's text: the breakpoint moves to
    // its first line.
    let text = std::fs::read_to_string(sample("credit-card.asl.json")).unwrap();
    let choice_line = text
        .lines()
        .position(|l| l.contains("\"Credit applied >= 5000?\": {"))
        .unwrap()
        + 1;
    let bps = c.ok(
        "setBreakpoints",
        json!({"source": {"path": sample("credit-card.asl.json")},
               "breakpoints": [{"line": choice_line + 5}]}),
    );
    assert_eq!(bps["breakpoints"][0]["verified"], true);
    assert_eq!(bps["breakpoints"][0]["line"], choice_line);
    // By name, on the second iteration only (hit count).
    let f = c.ok(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "Get all scores", "hitCondition": "2"},
                                {"name": "Get al scores"}]}),
    );
    assert_eq!(f["breakpoints"][0]["verified"], true);
    assert!(f["breakpoints"][1]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean 'Get all scores'"));
    c.ok("configurationDone", json!({}));
    let s = c.stopped();
    assert_eq!(s["reason"], "breakpoint", "{s}");
    let frames = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(frames["stackFrames"][0]["name"], "Credit applied >= 5000?");
    assert_eq!(frames["stackFrames"][0]["line"], choice_line);

    // Scopes, a nested variable, an edit through setVariable.
    let input = c.scope(1, "Input");
    let top = c.vars(&input);
    let credit = find(&top, "credit")["variablesReference"].clone();
    let inner = c.vars(&credit);
    assert_eq!(find(&inner, "amount")["value"], "2500");
    assert_eq!(find(&inner, "amount")["evaluateName"], "$.credit.amount");
    let set = c.ok(
        "setVariable",
        json!({"variablesReference": credit, "name": "amount", "value": "7000"}),
    );
    assert_eq!(set["value"], "7000");
    let e = c.ok(
        "evaluate",
        json!({"expression": "$.credit", "context": "repl"}),
    );
    assert_eq!(e["result"], r#"{"amount":7000}"#);
    let e = c.ok(
        "evaluate",
        json!({"expression": "$string($.credit.amount * 2)", "context": "hover"}),
    );
    assert_eq!(e["result"], r#""14000""#);
    let bad = c.request(
        "setVariable",
        json!({"variablesReference": credit, "name": "amount", "value": "seven"}),
    );
    assert_eq!(bad["success"], false);
    assert!(
        bad["message"].as_str().unwrap().contains("not JSON"),
        "{bad}"
    );

    // Over 5000 now: the Choice goes to the human approval.
    c.ok("next", json!({"threadId": 1}));
    c.stopped();
    let frames = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(frames["stackFrames"][0]["name"], "Wait for human approval");
    // Back one step: the Choice again, with the edited input.
    c.ok("stepBack", json!({"threadId": 1}));
    c.stopped();
    let frames = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(frames["stackFrames"][0]["name"], "Credit applied >= 5000?");
    let e = c.ok(
        "evaluate",
        json!({"expression": "$.credit.amount", "context": "watch"}),
    );
    assert_eq!(e["result"], "7000");

    // The approval has no mock: it waits, and is answered from the console.
    c.ok("continue", json!({"threadId": 1}));
    let s = c.stopped();
    assert_eq!(s["reason"], "pause", "{s}");
    let r = c.ok(
        "evaluate",
        json!({"expression": "answer {\"approved\": true}", "context": "repl"}),
    );
    assert!(r["result"].as_str().unwrap().starts_with("Answered"), "{r}");
    // On to the Map: the hit condition skips iteration 0.
    c.ok("continue", json!({"threadId": 1}));
    let s = c.stopped();
    assert_eq!(s["reason"], "breakpoint");
    assert!(
        s["description"]
            .as_str()
            .unwrap()
            .contains("Get all scores [1]"),
        "{s}"
    );
    let it = c.thread_named("Get all scores [1]");
    assert_eq!(s["threadId"], it);
    let frames = c.ok("stackTrace", json!({"threadId": it}));
    let names: Vec<&str> = frames["stackFrames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Get all scores [1]", "Get scores from all credit bureaus"]
    );
    // Into the next iteration's first state: a thread of its own.
    c.ok("stepIn", json!({"threadId": it}));
    let s = c.stopped();
    let next = c.thread_named("Get all scores [2]");
    assert_eq!(s["threadId"], next, "{s}");
    // A JSONata watch in the iteration.
    let e = c.ok(
        "evaluate",
        json!({"expression": "$states.input", "context": "watch"}),
    );
    assert!(!e["result"].as_str().unwrap().is_empty());

    // To the end: exited 0, the output in the console.
    c.ok("setFunctionBreakpoints", json!({"breakpoints": []}));
    c.ok("continue", json!({"threadId": next}));
    let exited = c.event("exited");
    assert_eq!(exited["exitCode"], 0);
    c.event("terminated");
    assert!(c.seen.iter().any(|v| v["event"] == "output"
        && v["body"]["output"]
            .as_str()
            .unwrap_or("")
            .contains("ExecutionSucceeded")));
    assert!(c
        .seen
        .iter()
        .any(|v| v["event"] == "thread" && v["body"]["reason"] == "exited"));
    c.ok("disconnect", json!({}));
    assert!(c.child.wait().unwrap().success());
}

#[test]
fn logpoints_set_expression_and_goto_a_past_moment() {
    let mut c = Client::start();
    c.ok("initialize", json!({}));
    c.ok(
        "launch",
        json!({"definition": "samples/credit-card/credit-card.asl.json",
               "cwd": env!("CARGO_MANIFEST_DIR"),
               "input": "samples/credit-card/input.json", "mocks": "samples/credit-card/mocks.json",
               "stopOnEntry": true, "stopAtEnd": true}),
    );
    let log = c.ok(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "Get all scores", "logMessage": "scoring {$} for {{you}}"}]}),
    );
    assert_eq!(log["breakpoints"][0]["verified"], true);
    c.ok("configurationDone", json!({}));
    assert_eq!(c.stopped()["reason"], "entry");
    // Before the first state: its input can be set by path.
    let set = c.ok(
        "setExpression",
        json!({"expression": "$.data['firstname']", "value": "\"Ann\""}),
    );
    assert_eq!(set["value"], r#""Ann""#);
    let e = c.ok(
        "evaluate",
        json!({"expression": "$.data.firstname", "context": "repl"}),
    );
    assert_eq!(e["result"], r#""Ann""#);
    let bad = c.request("setExpression", json!({"expression": "$..x", "value": "1"}));
    assert_eq!(bad["success"], false);
    // The logpoints say their message three times and never stop.
    c.ok("continue", json!({"threadId": 1}));
    let mut stop = c.stopped();
    while stop["reason"] == "pause" {
        // The human approval has no mock here: answer it.
        c.ok(
            "evaluate",
            json!({"expression": "answer {}", "context": "repl"}),
        );
        c.ok("continue", json!({"threadId": 1}));
        stop = c.stopped();
    }
    assert_eq!(stop["reason"], "end", "{stop}");
    assert!(!c.seen.iter().any(|v| v["event"] == "terminated"));
    let said: Vec<String> = c
        .seen
        .iter()
        .filter(|v| v["event"] == "output")
        .filter_map(|v| v["body"]["output"].as_str())
        .filter(|o| o.starts_with("scoring "))
        .map(str::to_string)
        .collect();
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(said[0].ends_with(" for {you}\n"), "{said:?}");
    // One state back from the end: the last state entered.
    c.ok("stepBack", json!({"threadId": 1}));
    let s = c.stopped();
    assert_eq!(s["reason"], "step");
    let frames = c.ok("stackTrace", json!({"threadId": s["threadId"]}));
    assert_eq!(frames["stackFrames"][0]["name"], "Get all scores [2]");
    // And one more: the iteration before.
    c.ok("stepBack", json!({"threadId": 1}));
    let s = c.stopped();
    let frames = c.ok("stackTrace", json!({"threadId": s["threadId"]}));
    assert_eq!(frames["stackFrames"][0]["name"], "Get all scores [1]");
    // On to the end again (the same run: no question asked this time).
    c.ok("continue", json!({"threadId": 1}));
    assert_eq!(c.stopped()["reason"], "end");
    // Go to the moment the second iteration entered its state.
    let text = std::fs::read_to_string(sample("credit-card.asl.json")).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("\"Get all scores\": {"))
        .unwrap()
        + 1;
    let t = c.ok(
        "gotoTargets",
        json!({"source": {"path": sample("credit-card.asl.json")}, "line": line}),
    );
    let targets = t["targets"].as_array().unwrap();
    let second = targets
        .iter()
        .find(|t| {
            t["label"]
                .as_str()
                .unwrap()
                .contains("TaskStateEntered [1]")
        })
        .unwrap_or_else(|| panic!("{t}"));
    c.ok("goto", json!({"threadId": 1, "targetId": second["id"]}));
    assert_eq!(c.stopped()["reason"], "goto");
    let threads = c.ok("threads", json!({}));
    assert!(
        threads.to_string().contains("Get all scores [1]"),
        "{threads}"
    );
    c.ok("disconnect", json!({}));
    assert!(c.child.wait().unwrap().success());
}

#[test]
fn a_breakpoint_on_the_first_state_stops_and_restart_reads_the_file_again() {
    let text = "{\"StartAt\": \"First\",\n \"States\": {\n  \"First\": {\"Type\": \"Pass\", \"Next\": \"Second\"},\n  \"Second\": {\"Type\": \"Pass\", \"End\": true}}}";
    let def = common::temp_file("dap-restart.asl.json", text);
    let mut c = Client::start();
    c.ok("initialize", json!({}));
    c.ok("launch", json!({"definition": def}));
    let b = c.ok(
        "setBreakpoints",
        json!({"source": {"path": def}, "breakpoints": [{"line": 3}, {"line": 1}, {"line": 99}]}),
    );
    assert_eq!(b["breakpoints"][0]["verified"], true);
    // Lines outside every state's text hold no breakpoint.
    for k in [1, 2] {
        assert_eq!(b["breakpoints"][k]["verified"], false, "{b}");
    }
    c.ok("configurationDone", json!({}));
    let s = c.stopped();
    assert_eq!(s["reason"], "breakpoint", "{s}");
    assert_eq!(s["hitBreakpointIds"][0], b["breakpoints"][0]["id"]);
    // The file changes; a restart runs what it says now, the breakpoint
    // still on its line.
    std::fs::write(&def, text.replace("First", "Renamed")).unwrap();
    c.ok("restart", json!({}));
    let s = c.stopped();
    assert_eq!(s["reason"], "breakpoint", "{s}");
    let frames = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(frames["stackFrames"][0]["name"], "Renamed");
    // A restart whose arguments do not launch keeps the session.
    let r = c.request(
        "restart",
        json!({"arguments": {"definition": "/nonexistent.asl.json"}}),
    );
    assert_eq!(r["success"], false);
    // terminate ends the execution; the adapter waits for disconnect.
    c.ok("terminate", json!({}));
    assert_eq!(c.event("exited")["exitCode"], 1);
    c.event("terminated");
    let t = c.ok("threads", json!({}));
    assert_eq!(t["threads"][0]["id"], 1);
    c.ok("disconnect", json!({}));
    assert!(c.child.wait().unwrap().success());
}

#[test]
fn a_task_with_no_mock_waits_and_is_answered_from_the_console() {
    let mut c = Client::start();
    c.ok("initialize", json!({"adapterID": "asldbg"}));
    c.ok(
        "launch",
        json!({"definition": sample("credit-card.asl.json"), "input": sample("input.json")}),
    );
    c.ok("setExceptionBreakpoints", json!({"filters": ["uncaught"]}));
    c.ok("configurationDone", json!({}));
    let s = c.stopped();
    assert_eq!(s["reason"], "pause", "{s}");
    assert!(s["description"]
        .as_str()
        .unwrap()
        .contains("waits for an answer"));
    let task = c.scope(1, "Task (waits for an answer)");
    let task = c.vars(&task);
    assert!(find(&task, "Resource")["value"]
        .as_str()
        .unwrap()
        .contains("arn:aws:states:::"));
    let r = c.request(
        "evaluate",
        json!({"expression": "answer {oops", "context": "repl"}),
    );
    assert_eq!(r["success"], false);
    let r = c.ok(
        "evaluate",
        json!({"expression": "answer {\"ok\": true}", "context": "repl"}),
    );
    assert!(r["result"].as_str().unwrap().starts_with("Answered"));
    c.ok("next", json!({"threadId": 1}));
    let s = c.stopped();
    assert_ne!(s["description"], "");
    let frames = c.ok("stackTrace", json!({"threadId": 1}));
    assert_ne!(
        frames["stackFrames"][0]["name"],
        "Verify applicant's identity and address"
    );
    c.ok("disconnect", json!({}));
    assert!(c.child.wait().unwrap().success());
}

#[test]
fn bad_launches_and_requests_get_error_responses() {
    let mut c = Client::start();
    c.ok("initialize", json!({}));
    let r = c.request("threads", json!({}));
    assert_eq!(r["success"], false);
    assert!(r["message"].as_str().unwrap().contains("before launch"));
    let bad = common::temp_file(
        "dap-bad.asl.json",
        "{\"StartAt\": \"A\",\n \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}}}",
    );
    let r = c.request("launch", json!({"definition": bad}));
    assert_eq!(r["success"], false);
    // The same positioned text `validate` prints.
    let said = common::asldbg(&["validate", &bad]);
    let first = common::text(&said.stdout);
    let first = first.lines().next().unwrap().trim_start_matches("asldbg: ");
    assert!(
        r["message"].as_str().unwrap().contains(first),
        "{r} vs {first}"
    );
    let r = c.request(
        "launch",
        json!({"definition": sample("credit-card.asl.json"), "seed": "x"}),
    );
    assert!(r["message"].as_str().unwrap().contains("'seed'"), "{r}");
    c.ok(
        "launch",
        json!({"definition": sample("credit-card.asl.json"), "stopOnEntry": true}),
    );
    let r = c.request("frobnicate", json!({}));
    assert_eq!(r["message"], "unknown request 'frobnicate'");
    // A header with a bad length is skipped and said; the next request works.
    c.raw(b"Content-Length: banana\r\n\r\n");
    let o = c.wait("an output about the bad header", |v| {
        v["event"] == "output"
            && v["body"]["output"]
                .as_str()
                .unwrap_or("")
                .contains("banana")
    });
    assert_eq!(o["body"]["category"], "stderr");
    let t = c.ok("threads", json!({}));
    assert_eq!(t["threads"][0]["name"], "main flow");
    c.ok("disconnect", json!({}));
    assert!(c.child.wait().unwrap().success());
}

#[test]
fn a_client_that_goes_away_mid_run_leaves_nothing_running() {
    // An endless loop (its way out never taken): the adapter is busy
    // running it.
    let def = common::temp_file(
        "loop.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "E"}], "Default": "A"},
            "E": {"Type": "Succeed"}}}"#,
    );
    let mut c = Client::start();
    c.ok("initialize", json!({}));
    c.ok("launch", json!({"definition": def}));
    c.ok("configurationDone", json!({}));
    c.ok("pause", json!({"threadId": 1}));
    let s = c.stopped();
    assert_eq!(s["reason"], "pause");
    c.ok("continue", json!({"threadId": 1}));
    // The editor is gone.
    drop(c.stdin.take());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = c.child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the adapter kept running after its client left"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn vs_codes_own_debug_client_drives_a_session() {
    // tests/run.sh installs the client (npm ci in tests/dap).
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dap");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/@vscode/debugadapter-testsupport")
            .exists(),
        "the DebugClient is not installed: run the tests with `bash tests/run.sh`"
    );
    let out = Command::new("node")
        .args(["--test", "credit-card.test.js"])
        .current_dir(dir)
        .env("ASLDBG", env!("CARGO_BIN_EXE_asldbg"))
        .output()
        .expect("run node (tests/run.sh installs it)");
    let said = common::text(&out.stdout);
    assert!(out.status.success(), "{said}{}", common::text(&out.stderr));
    assert!(
        said.contains("# pass 2") && said.contains("# fail 0"),
        "{said}"
    );
}
