//! End-to-end tests of the real binary in a pseudo-terminal: keys go in,
//! the screen is read back through a terminal emulator (vt100).

mod common;
use common::pty::Tui;
use common::temp_file;
use std::time::{Duration, Instant};

#[test]
fn opens_the_sample_and_quitting_restores_the_terminal() {
    let t = Tui::start(&["--sample", "credit-card", "--no-mouse"]);
    t.wait_for("Get credit limit");
    t.wait_for("PAUSED");
    t.quit_and_check_restored();
}

#[test]
fn a_breakpoint_stops_a_continue() {
    let mut t = Tui::start(&["--sample", "credit-card", "--no-mouse"]);
    t.wait_for("Get credit limit");
    // Find "Get list of credit bureaus" by name and set a breakpoint.
    t.keys("/list of\r");
    t.keys("b");
    t.wait_for("Breakpoint set on Get list of credit bureaus");
    t.keys("c");
    t.wait_for("Breakpoint: paused before Get list of credit bureaus");
    t.quit_and_check_restored();
}

#[test]
fn steps_into_a_map_iteration() {
    let mut t = Tui::start(&["--sample", "credit-card", "--no-mouse"]);
    t.wait_for("Get credit limit");
    // Find the state before the Map; ↓ (j) follows its edge to the Map.
    t.keys("/get list\r");
    t.keys("j");
    t.keys("u");
    t.wait_for("at Get scores from all credit bureaus");
    t.keys("i");
    // The status line says where in the fan-out (80 columns: whole).
    t.wait_for("at Get all scores [0] (iteration 1 of 3)");
    // The iterations run interleaved: a breakpoint in the Map stops in each.
    t.keys("b");
    t.keys("c");
    t.wait_for("at Get all scores [1] (iteration 2 of 3)");
    t.quit_and_check_restored();
}

#[test]
fn an_edited_value_shows_in_the_output() {
    let def = temp_file(
        "edit.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}}"#,
    );
    let input = temp_file("edit-in.json", "7");
    let mut t = Tui::start(&[&def, "--input", &input, "--no-mouse"]);
    t.wait_for("PAUSED");
    t.keys("s");
    t.wait_for("at B");
    t.keys("e");
    t.wait_for("Input of the next state");
    // The editor holds "7" with the cursor at its start: typing 4 gives 47.
    t.keys("4");
    t.keys("\x1bOQ"); // F2 applies
    t.wait_for("Input of B edited");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    t.keys("2");
    t.wait_for("│47 ");
    // A restart replays the edit where it was made: the run ends with 47
    // again, no question asked.
    t.keys("r");
    t.wait_for("1 edit is replayed");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    t.wait_for("│47 ");
    // U lists the edits; d drops one; the next run has the input as given.
    t.keys("U");
    t.wait_for("input of B = 47");
    t.keys("d");
    t.wait_for("Dropped: input of B = 47");
    t.keys("\x1b");
    t.keys("r");
    t.wait_for("Restarted (breakpoints kept).");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    // The Output pane holds 7 (the title bar has the temporary file's
    // name, whose process id may hold any digits).
    let out = t.screen();
    assert!(
        out.lines().any(|l| l.contains("│7 ")) && !out.lines().any(|l| l.contains("│47")),
        "{out}"
    );
    t.quit_and_check_restored();
}

#[test]
fn an_unmocked_task_is_answered_by_hand() {
    let def = temp_file(
        "task.asl.json",
        r#"{"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.answer", "End": true}}}"#,
    );
    let mut t = Tui::start(&[&def, "--no-mouse"]);
    t.wait_for("PAUSED");
    t.keys("c");
    // The panel says what waits, why, and what it would send; the rest of
    // the screen stays.
    t.wait_for("Task Ask waits for an answer");
    t.wait_for("resource arn:aws:states:::lambda:invoke");
    t.wait_for("no --mocks file answers it");
    t.wait_for("Parameters, evaluated");
    t.wait_for("Graph");
    t.keys("t");
    t.wait_for("Task result (JSON)");
    // Replace the "{}" placeholder.
    t.keys("\x1b[F\x7f\x7f");
    t.keys("{\"answer\": \"forty-two\"}");
    t.keys("\x1bOQ");
    t.wait_for("Task answered");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    t.keys("2");
    t.wait_for("\"forty-two\"");
    t.quit_and_check_restored();
}

#[test]
fn auto_answer_gives_every_task_its_input() {
    let def = temp_file(
        "tasks.asl.json",
        r#"{"StartAt": "One", "States": {
            "One": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"n": 1}, "Next": "Two"},
            "Two": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Parameters": {"m": 2}, "End": true}}}"#,
    );
    let mut t = Tui::start(&[&def, "--no-mouse"]);
    t.wait_for("PAUSED");
    t.keys("c");
    t.wait_for("Task One waits for an answer");
    // { answers {}; a answers every later task with its input.
    t.keys("{");
    t.wait_for("Task answered with {}");
    t.keys("a");
    t.wait_for("Auto-answer on");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    t.keys("2");
    t.wait_for("\"m\": 2");
    t.quit_and_check_restored();
}

#[test]
fn ascii_draws_every_pane_with_ascii_only() {
    let mut t = Tui::start(&["--sample", "credit-card", "--ascii"]);
    t.wait_for("Get credit limit");
    t.keys("s");
    t.wait_for("+Graph---");
    for keys in ["3", "4", "?"] {
        t.keys(keys);
        std::thread::sleep(Duration::from_millis(100));
        let s = t.screen();
        assert!(s.is_ascii(), "not ASCII after {keys}:\n{s}");
    }
    t.keys("\x1b");
    t.quit_and_check_restored();
}

#[test]
fn teaching_mode_stays_at_the_state_until_its_last_stage() {
    let mut t = Tui::start(&["--sample", "data-flow"]);
    t.wait_for("PAUSED");
    t.keys("T");
    t.wait_for("Teaching mode on");
    t.keys("s");
    t.wait_for("at 1 InputPath (stage 1 of 2");
    t.keys("2");
    t.wait_for("the output shows once its last stage is revealed");
    t.keys("s");
    t.wait_for("All 2 stages shown");
    t.wait_for("at 2 Parameters");
    t.quit_and_check_restored();
}

#[test]
fn the_lesson_stays_open_beside_the_data_while_stepping() {
    let mut t = Tui::start(&["--sample", "data-flow"]);
    t.wait_for("PAUSED");
    t.keys("L");
    t.wait_for("Lesson (");
    t.wait_for("Watch for:");
    // Rendered Markdown: bold and code without their markers.
    t.wait_for("• InputPath $.order keeps only");
    assert!(!t.screen().contains("**"), "{}", t.screen());
    t.keys("s");
    t.wait_for("at 2 Parameters");
    assert!(t.screen().contains("Lesson ("), "{}", t.screen());
    t.keys("L");
    t.wait_for("Graph");
    t.quit_and_check_restored();
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    let mut t = Tui::start(&["--sample", "credit-card"]);
    t.wait_for("Get credit limit");
    t.keys("\x03");
    t.ended_and_restored("Ctrl-C");
}

#[test]
fn sigterm_restores_the_terminal() {
    let t = Tui::start(&["--sample", "credit-card", "--no-mouse"]);
    t.wait_for("Get credit limit");
    let pid = t.child.process_id().expect("a pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    t.ended_and_restored("SIGTERM");
}

#[test]
fn the_graph_pane_follows_arrow_keys_and_folds_containers() {
    let mut t = Tui::start(&["--sample", "credit-card", "--no-mouse"]);
    t.wait_for("Get credit limit");
    t.wait_for("┌Graph");
    t.keys("\x1b[B"); // ↓ along the edge
    t.wait_for("Credit applied >= 5000? (Choice)");
    t.keys("/verify app\r");
    t.wait_for("(Parallel)");
    t.keys("\r"); // Enter folds the Parallel
    t.wait_for("[+2]");
    t.keys("g"); // the list instead of the graph
    t.wait_for("┌States");
    t.quit_and_check_restored();
}

/// A 40 KB JSON document, pasted into the execution-input editor either as
/// a bracketed paste or as typed keys (a terminal without bracketed paste:
/// newlines arrive as Enter), arrives whole and applies.
fn paste_into_the_input_editor(bracketed: bool) {
    let def = temp_file(
        "paste.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#,
    );
    let mut t = Tui::start(&[&def]);
    t.wait_for("PAUSED");
    t.keys("e");
    t.wait_for("Ctrl-O");
    // Delete the "{}" the editor starts with.
    t.keys("\x1b[3~\x1b[3~");
    let members: Vec<String> = (0..1000)
        .map(|i| format!("  \"k{i:03}\": \"{}\"", "v".repeat(30)))
        .collect();
    let doc = format!("{{\n{}\n}}", members.join(",\n"));
    assert!(doc.len() > 40_000);
    let sent = if bracketed {
        format!("\x1b[200~{doc}\x1b[201~")
    } else {
        doc.replace('\n', "\r")
    };
    for chunk in sent.as_bytes().chunks(4096) {
        t.writer.write_all(chunk).unwrap();
    }
    t.writer.flush().unwrap();
    t.wait_for("k999");
    t.keys("\x0f"); // Ctrl-O applies
    t.wait_for("Execution input replaced");
    t.quit_and_check_restored();
}

#[test]
fn a_bracketed_paste_of_40_kb_arrives_whole() {
    paste_into_the_input_editor(true);
}

#[test]
fn a_typed_paste_of_40_kb_arrives_whole_and_quit_is_not_held_up() {
    paste_into_the_input_editor(false);
}

#[test]
fn quitting_kills_a_task_command_still_running() {
    let def = temp_file(
        "slow.asl.json",
        r#"{"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#,
    );
    let pid_file = temp_file("slow.pid", "");
    std::fs::remove_file(&pid_file).unwrap();
    // The command writes the pid of the process that will sleep.
    let command = format!("echo $$ > {pid_file}; exec sleep 600");
    let mut t = Tui::start(&[&def, "--task-command", &command]);
    t.wait_for("PAUSED");
    t.keys("c");
    t.wait_for("Running the task command");
    let start = Instant::now();
    let pid = loop {
        if let Some(p) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            break p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the command did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Running: its /proc entry exists and is not a zombie.
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                !s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(false)
    };
    assert!(alive());
    t.quit_and_check_restored();
    let start = Instant::now();
    while alive() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !alive(),
        "the task command (pid {pid}) outlived the debugger"
    );
}

#[test]
fn the_first_screen_shows_the_input_whole() {
    let t = Tui::start(&["--sample", "credit-card"]);
    t.wait_for("Get credit limit");
    // At 80×24 the Input pane has room for every value of the sample.
    t.wait_for("\"email\": \"jdoe@example.com\",");
    t.wait_for("\"street\": \"123 Main St\",");
    let s = t.screen();
    assert!(!s.contains("jdoe@…"), "{s}");
    // `? help  q quit` always end the hint bar.
    let hints = s.lines().last().unwrap_or("").trim_end().to_string();
    assert!(hints.ends_with("? help  q quit"), "{hints}");
    t.quit_and_check_restored();
}

#[test]
fn panes_are_sized_from_their_content_and_f_maximises() {
    // 200×50: the Input and Output stand beside the tabs; the Output,
    // empty before the first step, keeps one line and gives the Input its rows.
    let mut t = Tui::start_sized(&["--sample", "credit-card"], 50, 200);
    t.wait_for("┌Input");
    t.wait_for("┌Output");
    t.wait_for("(no output yet: step a state)");
    let s = t.screen();
    let rows: Vec<&str> = s.lines().collect();
    let out_row = rows.iter().position(|l| l.contains("┌Output")).unwrap();
    assert!(
        out_row >= 44,
        "the empty Output sits at the bottom: row {out_row}\n{s}"
    );
    assert!(s.contains("3 Stages 4 History"), "{s}");
    // f with the data focused: the tabs take the whole screen, f restores.
    t.keys("3");
    t.keys("f");
    t.wait_for("1 Input 2 Output 3 Stages");
    let s = t.screen();
    assert!(!s.contains("┌Graph") && !s.contains("┌Input"), "{s}");
    t.keys("f");
    t.wait_for("┌Graph");
    t.wait_for("┌Input");
    t.quit_and_check_restored();
    // 100×30: no room for Input and Output beside tabs of 50 columns: one
    // tabbed pane, never a squeezed one.
    let t = Tui::start_sized(&["--sample", "credit-card"], 30, 100);
    t.wait_for("1 In 2 Out 3 Stages");
    let s = t.screen();
    assert!(!s.contains("┌Input"), "{s}");
    t.quit_and_check_restored();
}

/// A Pass state whose ResultPath adds a key holding a long string.
fn result_path_machine() -> (String, String, String) {
    let note = "a fifty-character note: 0123456789abcdefghijklmnop";
    assert_eq!(note.len(), 50);
    let def = temp_file(
        "resultpath.asl.json",
        &serde_json::json!({"StartAt": "Check", "States": {
            "Check": {"Type": "Pass", "Result": {"ok": true, "detail": {"note": note}},
                      "ResultPath": "$.check", "Next": "Done"},
            "Done": {"Type": "Succeed"}}})
        .to_string(),
    );
    let input = temp_file("resultpath-input.json", r#"{"id": "A-17", "price": 40}"#);
    (def, input, note.to_string())
}

#[test]
fn stages_show_the_key_result_path_added_and_enter_shows_it_whole() {
    let (def, input, note) = result_path_machine();
    let mut t = Tui::start(&[&def, "--input", &input]);
    t.wait_for("PAUSED");
    t.keys("s");
    t.wait_for("at Done");
    t.keys("3");
    // The ResultPath block: the key it added, marked +, its value whole.
    t.wait_for("ResultPath  \"$.check\"");
    t.wait_for("+   \"check\": {");
    t.wait_for("+       \"note\":");
    // Enter on the selected block (ResultPath) opens the viewer.
    t.keys("\r");
    t.wait_for("Stages › Check › ResultPath");
    t.wait_for(&format!("\"note\": \"{note}\""));
    // Search, then the breadcrumb names the pointer under the cursor.
    t.keys("/fifty\r");
    t.wait_for("/check/detail/note");
    t.wait_for("match 1 of 1");
    // y copies the node under the cursor with OSC 52.
    t.keys("y");
    t.wait_for("Copied /check/detail/note");
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).to_string();
    assert!(raw.contains("\x1b]52;c;"), "no OSC 52 sequence was written");
    // ← folds the object around the cursor's line; Esc goes back.
    t.keys("\x1b");
    t.wait_for("3 Stages");
    t.quit_and_check_restored();
}

#[test]
fn history_events_show_payloads_as_json_and_the_message_log_keeps_everything() {
    let (def, input, _) = result_path_machine();
    let mut t = Tui::start(&[&def, "--input", &input]);
    t.wait_for("PAUSED");
    t.keys("s");
    t.wait_for("at Done");
    t.keys("4");
    t.wait_for("PassStateExited");
    t.keys("\r");
    t.wait_for("History › event");
    // The output is JSON, not an escaped string.
    t.wait_for("\"output\": {");
    t.keys("\x1b");
    // / filters the events by type or state name.
    t.keys("/exited");
    t.wait_for("/exited  1 of 3 events");
    assert!(!t.screen().contains("ExecutionStarted"), "{}", t.screen());
    t.keys("\x1b");
    t.wait_for("ExecutionStarted");
    t.keys("M");
    t.wait_for("Messages, oldest first");
    t.wait_for("Paused before Done");
    t.keys("\x1b");
    // f maximises the data pane: the graph's border is gone.
    t.keys("f");
    t.wait_for("Pane maximised");
    assert!(!t.screen().contains("Graph"), "{}", t.screen());
    t.keys("f");
    t.wait_for("Graph");
    t.quit_and_check_restored();
}

#[test]
fn the_context_object_in_variables_wraps_instead_of_being_cut() {
    // At 120×40 the Variables tab is 72 columns wide; the execution ARN in
    // the context object is longer and used to end at the pane's edge.
    let mut t = Tui::start_sized(&["--sample", "variables"], 40, 120);
    t.wait_for("Remember");
    t.keys("5");
    t.wait_for("Context object");
    let s = t.screen();
    let flat: String = s
        .lines()
        .map(|l| l.split('│').rfind(|p| !p.is_empty()).unwrap_or("").trim())
        .collect();
    assert!(
        flat.contains("execution:StateMachine"),
        "the ARN is whole across its wrapped rows:\n{s}"
    );
    t.quit_and_check_restored();
}

#[test]
fn a_failing_branch_aborts_its_waiting_sibling_shown_in_its_branch() {
    // A state whose name needs escaping in a JSON pointer (its ASL tab
    // finds it in the definition by that pointer), then a Parallel whose
    // second branch fails while the first waits: History shows the Wait
    // aborted in branch [0], and the clock did not wait for it.
    let def = temp_file(
        "abort.asl.json",
        r#"{"StartAt": "a/b~c", "States": {
  "a/b~c": {"Type": "Pass", "Parameters": {"note": "the name needs escaping"}, "ResultPath": "$.r", "Next": "P"},
  "P": {"Type": "Parallel", "Branches": [
      {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true}}},
      {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "branch one failed"}}}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}], "Next": "Done"},
  "Done": {"Type": "Pass", "End": true}}}"#,
    );
    let mut t = Tui::start_sized(&[&def, "--no-mouse"], 40, 120);
    t.wait_for("PAUSED");
    t.keys("6");
    t.wait_for("(/States/a~1b~0c)");
    t.wait_for("\"note\": \"the name needs escaping\"");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    t.keys("4");
    t.wait_for("ExecutionSucceeded");
    let s = t.screen();
    let line = |ty: &str| {
        s.lines()
            .find(|l| l.contains(ty))
            .unwrap_or_else(|| panic!("no {ty}:\n{s}"))
            .to_string()
    };
    assert!(line("WaitStateEntered").contains("W[0]"), "{s}");
    assert!(line("FailStateEntered").contains("F[1]"), "{s}");
    assert!(line("WaitStateAborted").contains("W[0]"), "{s}");
    assert!(
        s.contains("clock +0s"),
        "the aborted Wait did not move the clock:\n{s}"
    );
    t.quit_and_check_restored();
}

#[test]
fn a_recorded_execution_replays_in_the_debugger() {
    // The recorded path went through Review; this definition skips it.
    let def = std::fs::read_to_string("tests/fixtures/replay/order.asl.json")
        .unwrap()
        .replace(
            "\"NumericGreaterThan\": 1000",
            "\"NumericGreaterThan\": 2000",
        );
    let fixed = common::temp_file("order-fixed.asl.json", &def);
    let mut t = Tui::start(&[
        "tests/fixtures/replay/history.json",
        "--definition",
        &fixed,
        "--no-mouse",
    ]);
    // Where the run parts from the recording, first on the status line.
    t.wait_for("Diverges at event 14: AWS WaitStateEntered 'Review', here Succeed");
    // The whole message, in the message log.
    t.keys("M");
    t.wait_for("replaying history.json (D compares, at any moment)");
    t.keys("\x1b");
    // Before the Choice decides, D finds the run the recording's so far.
    t.keys("D");
    t.wait_for("This run beside history.json");
    t.wait_for("\"verdict\": \"The same so far: this run's 1 event is history.json's");
    t.wait_for("\"history.json goes on to\": [");
    t.keys("\x1b");
    // The tasks are answered as recorded: a throttle, a retry, the charge.
    t.keys("c");
    t.wait_for("SUCCEEDED");
    t.keys("4");
    t.wait_for("7 TaskFailed          Charge");
    // At the end, D shows where the run parted and both events whole.
    t.keys("D");
    t.wait_for("\"verdict\": \"Parts at event 14 (state Review): history.json has");
    t.wait_for("\"first different event\": {");
    t.keys("\x1b");
    t.wait_for_gone("This run beside history.json");
    t.quit_and_check_restored();
}

#[test]
fn d_compares_the_run_with_a_history_named_at_its_prompt() {
    // Another run of the same machine, its history saved as a file.
    let s = "samples/credit-card";
    let (def, input, mocks) = (
        format!("{s}/credit-card.asl.json"),
        format!("{s}/input.json"),
        format!("{s}/mocks.json"),
    );
    let o = common::asldbg(&[
        "run",
        &def,
        "--input",
        &input,
        "--mocks",
        &mocks,
        "--test-case",
        "HumanApprovalRejected",
        "--events",
        "--format",
        "json",
    ]);
    let rejected = common::temp_file("rejected-run.json", &String::from_utf8_lossy(&o.stdout));
    let mut t = Tui::start_sized(
        &[
            &def,
            "--input",
            &input,
            "--mocks",
            &mocks,
            "--test-case",
            "HumanApprovalGranted",
            "--no-mouse",
        ],
        40,
        120,
    );
    t.wait_for("Ready");
    // A file that is not there: said with the file, the run untouched.
    t.keys("D");
    t.wait_for("Compare with the history in file");
    t.keys("no-such-history.json\r");
    t.wait_for("Compare: no-such-history.json:1:1: cannot read file");
    // The saved run: the same so far, then where the two part.
    t.keys("D");
    t.keys(&rejected);
    t.keys("\r");
    t.wait_for("This run beside rejected-run.json");
    t.wait_for("The same so far: this run's 1 event is rejected-run.json's");
    t.keys("\x1b");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    // D again: the history is kept, the comparison made anew.
    t.keys("D");
    t.wait_for("\"verdict\": \"Parts at event 13 (state Wait for human approval)");
    t.wait_for("rejected-run.json has TaskFailed");
    t.wait_for(
        "\"paths\": \"part after Wait for human approval: this run enters Credit limit approved",
    );
    t.keys("\x1b");
    t.wait_for_gone("This run beside");
    t.quit_and_check_restored();
}

#[test]
fn the_graph_shows_what_the_test_suites_covered() {
    // Coverage of the credit-card suite that reaches only some of it.
    let dir = std::env::temp_dir().join(format!("asldbg-pty-cov-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["credit-card.asl.json", "mocks.json", "input.json"] {
        std::fs::copy(format!("samples/credit-card/{f}"), dir.join(f)).unwrap();
    }
    std::fs::write(
        dir.join("auto.test.yaml"),
        "definition: credit-card.asl.json\nmocks: mocks.json\ncases:\n  - name: auto\n    input-file: input.json\n    test-case: AutoApproved\n    expect: {status: SUCCEEDED}\n",
    )
    .unwrap();
    let cov = dir.join("cov.json");
    let out = common::asldbg(&[
        "test",
        dir.to_str().unwrap(),
        "--coverage-out",
        cov.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stdout));
    let def = dir.join("credit-card.asl.json");
    let mut t = Tui::start_sized(
        &[
            def.to_str().unwrap(),
            "--coverage",
            cov.to_str().unwrap(),
            "--no-mouse",
        ],
        40,
        120,
    );
    t.wait_for("Get credit limit");
    t.keys("C");
    t.wait_for("Graph (test coverage)");
    // The counts first on the status line; states never entered marked ○.
    t.wait_for("Test coverage: states 9/13 · transitions 5/10 · choice rules 1/3 · retriers 0/1");
    t.wait_for("│○⚙ Wait for human approval│");
    t.wait_for("│•⇢ Auto-approve limit│");
    // C again: the run's marks (nothing entered yet).
    t.keys("C");
    t.wait_for("The run again (C: test coverage).");
    t.wait_for("│ ⚙ Wait for human approval│");
    t.quit_and_check_restored();
}

#[test]
fn stepping_back_shows_the_moment_before_and_an_edit_there_forks_the_run() {
    let def = temp_file(
        "back.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 10)"}, "Next": "C"},
            "C": {"Type": "Pass", "End": true}}}"#,
    );
    let input = temp_file("back-in.json", r#"{"n": 1}"#);
    let mut t = Tui::start_sized(&[&def, "--input", &input, "--no-mouse"], 24, 80);
    t.wait_for("PAUSED");
    t.keys("s");
    t.wait_for("at B");
    t.keys("s");
    t.wait_for("at C");
    t.wait_for("\"n\": 12");
    // Back one state: B's input, as it was.
    t.keys("S");
    t.wait_for("at B");
    t.wait_for("⏪ event 3 of 5");
    t.wait_for("\"n\": 2");
    // Replaying forward gives the same run.
    t.keys("s");
    t.wait_for("at C");
    t.wait_for("\"n\": 12");
    // Back again, and edit B's input: the run forks.
    t.keys("S");
    t.wait_for("at B");
    t.keys("e");
    t.wait_for("Input of the next state");
    // The editor holds B's input pretty-printed: the 2 ends line 2.
    t.keys("\x1b[B\x1b[F\x7f100");
    t.keys("\x1bOQ");
    t.wait_for("Forked here");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    t.keys("2");
    t.wait_for("\"n\": 110");
    t.quit_and_check_restored();
}

#[test]
fn a_saved_session_reopens_at_its_moment_and_an_older_one_says_what_is_gone() {
    let def = temp_file(
        "sess.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Pass", "End": true}}}"#,
    );
    let file = std::env::temp_dir().join(format!("asldbg-pty-session-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let history =
        std::env::temp_dir().join(format!("asldbg-pty-history-{}.json", std::process::id()));
    let (f, h) = (file.to_str().unwrap(), history.to_str().unwrap());
    let mut t = Tui::start_sized(
        &[&def, "--session", f, "--save-history", h, "--no-mouse"],
        24,
        80,
    );
    t.wait_for("PAUSED");
    t.keys("s");
    t.wait_for("at B");
    t.keys("W");
    t.wait_for("Session saved to");
    t.quit_and_check_restored();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["position"]["event"], 3);
    let events: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    assert_eq!(events["events"][1]["type"], "PassStateEntered");
    // Reopened: at B again.
    let t = Tui::start_sized(&[&def, "--session", f, "--no-mouse"], 24, 80);
    t.wait_for("at B");
    t.wait_for("restored at event 3");
    t.quit_and_check_restored();
    // On a definition where B is gone, with a breakpoint on it saved.
    let mut saved = saved;
    saved["breakpoints"] = serde_json::json!([{"state": "B", "enabled": true}]);
    std::fs::write(&file, saved.to_string()).unwrap();
    let renamed = temp_file(
        "sess2.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"}, "X": {"Type": "Pass", "End": true}}}"#,
    );
    let t = Tui::start_sized(&[&renamed, "--session", f, "--no-mouse"], 24, 80);
    t.wait_for("No longer in the definition: breakpoint on 'B' (1 in all");
    t.quit_and_check_restored();
}

#[test]
fn editing_the_definition_file_while_it_runs_moves_the_run_to_the_new_one() {
    let text = r#"{
  "StartAt": "A",
  "States": {
    "A": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "B"},
    "B": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 10)"}, "Next": "C"},
    "C": {
      "Type": "Pass",
      "End": true
    }
  }
}"#;
    let def = temp_file("live.asl.json", text);
    let input = temp_file("live-in.json", r#"{"n": 1}"#);
    let mut t = Tui::start_sized(&[&def, "--input", &input, "--no-mouse"], 24, 80);
    t.wait_for("PAUSED");
    t.keys("s");
    t.wait_for("at B");
    t.keys("s");
    t.wait_for("at C");
    t.wait_for("\"n\": 12");
    // G + a number moves the whole debugger to that event.
    t.keys("G3\r");
    t.wait_for("⏪ event 3 of 5");
    t.wait_for("at B");
    t.keys("G5\r");
    t.wait_for("at C");
    // B adds 100 now: the re-run parts from the run before at B's exit,
    // and stops there, showing the new value.
    std::fs::write(&def, text.replace("$.n, 10", "$.n, 100")).unwrap();
    t.wait_for("live.asl.json changed: the run now parts from the one before at event 5");
    t.wait_for("\"n\": 102");
    // An invalid file is shown in place; the definition before runs on.
    std::fs::write(&def, text.replace("\"Next\": \"C\"", "\"Next\": \"D\"")).unwrap();
    t.wait_for("but it is not valid");
    t.keys("6");
    t.wait_for("The file does not load (2 problems)");
    t.wait_for("'D' does not name a state in the same States block");
    t.wait_for("'C' is not reachable from StartAt (at /States/C)");
    // Writing a state back into a file that does not load is refused, the
    // problems whole in the editor, and the file left as it is.
    let broken = std::fs::read_to_string(&def).unwrap();
    t.keys("e");
    t.wait_for("/States/C → the definition file");
    t.keys("\x1bOQ");
    t.wait_for("✗ not written (2 problems)");
    t.wait_for("  reachable from StartAt (at /States/C)");
    assert_eq!(std::fs::read_to_string(&def).unwrap(), broken);
    t.keys("\x1b");
    t.wait_for("Edit put aside");
    // Fixed again (B adds 100): the same moment, the problems gone.
    std::fs::write(&def, text.replace("$.n, 10", "$.n, 100")).unwrap();
    t.wait_for("re-run to the same moment (event 5)");
    t.wait_for_gone("The file does not load");
    // e on the ASL tab edits C and writes it back into the file.
    t.keys("e");
    t.wait_for("/States/C → the definition file");
    t.keys("\x1b[B\x1b[F");
    t.keys(" \"Result\": {\"done\": true},");
    t.keys("\x1bOQ");
    t.wait_for("C written to live.asl.json");
    let written = std::fs::read_to_string(&def).unwrap();
    let want = text.replace("$.n, 10", "$.n, 100").replace(
        "\"C\": {\n      \"Type\": \"Pass\",\n      \"End\": true\n    }",
        "\"C\": {\n      \"Type\": \"Pass\",\n      \"Result\": {\n        \"done\": true\n      },\n      \"End\": true\n    }",
    );
    assert_eq!(written, want, "only C was rewritten");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    t.keys("2");
    t.wait_for("\"done\": true");
    t.quit_and_check_restored();
}

#[test]
fn a_terraform_machine_opens_in_the_debugger_and_the_asl_tab_does_not_write_into_it() {
    let tf = "tests/fixtures/templates/terraform/main.tf";
    let mut t = Tui::start_sized(
        &[
            tf,
            "--machine",
            "greeting",
            "--sub",
            "env=prod",
            "--no-mouse",
        ],
        24,
        80,
    );
    t.wait_for("at Greet");
    // The heredoc's ${var.env}, filled from --sub, whole on the ASL tab.
    t.keys("6");
    t.wait_for("Greet  (/States/Greet)");
    t.wait_for("\"env\": \"prod\"");
    t.keys("e");
    t.wait_for("main.tf is a Terraform file: the ASL tab");
    t.keys("c");
    t.wait_for("SUCCEEDED");
    t.quit_and_check_restored();
}

#[test]
fn a_template_with_two_machines_offers_them_to_pick() {
    let mut t = Tui::start(&[
        "tests/fixtures/templates/sam-project/template.yaml",
        "--no-mouse",
    ]);
    t.wait_for("template.yaml — pick a state machine (↑/↓, Enter, q)");
    t.wait_for("OrderStateMachine  STANDARD, definition in statemachine/orders.asl.json");
    t.wait_for("AuditStateMachine  EXPRESS, definition in the template");
    t.keys("j\r");
    t.wait_for("at Record");
    t.quit_and_check_restored();
}

/// The screen's line holding `text`, and the one below it.
fn line_and_next(screen: &str, text: &str) -> (String, String) {
    let lines: Vec<&str> = screen.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no line holds '{text}':\n{screen}"));
    (
        lines[i].to_string(),
        lines.get(i + 1).unwrap_or(&"").to_string(),
    )
}

#[test]
fn the_lab_shows_each_expression_as_it_is_typed() {
    let session = temp_file("lab-session.json", "");
    std::fs::remove_file(&session).unwrap();
    let mut t = Tui::start(&[
        "--sample",
        "credit-card",
        "--no-mouse",
        "--session",
        &session,
    ]);
    t.wait_for("PAUSED");
    t.keys(":");
    t.wait_for("data 1/2: input of Get credit limit (about to run)");
    // The value shows before Enter is pressed.
    t.keys("$.data.identity.email");
    t.wait_for("= JSONPath → a string of 16 characters");
    t.wait_for("\"jdoe@example.com\"");
    // Ctrl-U clears the line.
    t.keys("\x15States.Format('{} {}', $.data.firstname, $.data.lastname)");
    t.wait_for("= intrinsic function → a string of 8 characters");
    t.wait_for("\"Jane Doe\"");
    t.keys("\x15{% $states.input.data.firstname & '!' %}");
    t.wait_for("\"Jane!\"");
    // A syntax error: AWS's message, a caret under the token that broke it.
    t.keys("\x15{% $states.input.data. + ) %}");
    t.wait_for("S0211");
    let (typed, caret) = line_and_next(&t.screen(), "› {% $states");
    let col = typed[..typed.find('+').expect("the + is on screen")]
        .chars()
        .count();
    assert_eq!(
        caret.trim_end(),
        format!("{}^", " ".repeat(col)),
        "{}",
        t.screen()
    );
    // A path that selects nothing: AWS's InputPath error.
    t.keys("\x15$.data.nope");
    t.wait_for("Invalid path '$.data.nope'");
    // Tab completes the keys the data has at the path typed.
    t.keys("\x15$.data.identity.em\t");
    t.wait_for("› $.data.identity.email");
    t.wait_for("\"jdoe@example.com\"");
    t.keys("\x15$.data.\t");
    t.wait_for("tab: [address]  firstname  identity  lastname");
    // Ctrl-Y copies it as a definition holds it; Enter pins it as a watch.
    t.keys("\x15$.data.identity.email");
    t.keys("\x19");
    t.wait_for("for a definition");
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).to_string();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode("\"$.data.identity.email\"");
    assert!(
        raw.contains(&format!("\x1b]52;c;{b64}")),
        "no OSC 52 of the quoted path"
    );
    t.keys("\r");
    t.wait_for("Pinned as watch 1");
    t.keys("\x1b");
    t.wait_for_gone(" lab ");
    t.keys("5");
    t.wait_for("$.data.identity.email");
    // Shift-Tab picks another value: the stages of the state run last.
    t.keys("s");
    t.wait_for("at Credit applied >= 5000?");
    t.keys(":");
    t.wait_for("› $.data.identity.email");
    t.keys("\x1b[Z\x1b[Z\x1b[Z");
    t.wait_for("data 4/7: Get credit limit: task result");
    t.keys("\x15$.Payload");
    t.wait_for("= JSONPath → a number");
    // W saves the lab's history in the session file; a new debugger on it
    // has it under ↑.
    t.keys("\x1b");
    t.wait_for_gone(" lab ");
    t.keys("W");
    t.wait_for("Session saved");
    t.quit_and_check_restored();
    let saved = std::fs::read_to_string(&session).unwrap();
    assert!(saved.contains("\"lab\""), "{saved}");
    assert!(saved.contains("$.Payload"), "{saved}");
    let mut t = Tui::start(&[
        "--sample",
        "credit-card",
        "--no-mouse",
        "--session",
        &session,
    ]);
    t.wait_for("PAUSED");
    t.keys(":");
    t.keys("\x1b[A");
    t.wait_for("› $.Payload");
    t.keys("\x1b[A");
    t.wait_for("› $.data.identity.email");
    t.keys("\x1b");
    t.quit_and_check_restored();
}

#[test]
fn a_stage_field_edited_in_the_stages_tab_recomputes_live_and_enter_writes_only_it() {
    let dir = std::env::temp_dir().join(format!("asldbg-whatif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/credit-card");
    for f in ["credit-card.asl.json", "input.json", "mocks.json"] {
        std::fs::copy(sample.join(f), dir.join(f)).unwrap();
    }
    let def = dir
        .join("credit-card.asl.json")
        .to_string_lossy()
        .into_owned();
    let input = dir.join("input.json").to_string_lossy().into_owned();
    let mocks = dir.join("mocks.json").to_string_lossy().into_owned();
    let before = std::fs::read_to_string(&def).unwrap();
    let mut t = Tui::start(&[&def, "--input", &input, "--mocks", &mocks, "--no-mouse"]);
    t.wait_for("PAUSED");
    t.keys("s");
    t.wait_for("at Credit applied >= 5000?");
    // The Stages tab opens on the last block, ResultPath: e edits it.
    t.keys("3");
    t.wait_for("ResultPath  \"$.credit\"");
    t.keys("e");
    t.wait_for("what if  Get credit limit › ResultPath");
    t.wait_for("› $.credit");
    t.keys("\x15$.other");
    // The new output shows before anything is kept.
    t.wait_for("ResultPath  \"$.other\"  ← edited");
    t.wait_for("+   \"other\": {");
    t.wait_for("-   \"credit\": {");
    // An invalid path: the validation error, as AWS words it.
    t.keys("[");
    t.wait_for("not a value the field can hold");
    t.wait_for("invalid JSONPath '$.other['");
    // Esc puts everything back: the file and the run are as they were.
    t.keys("\x1b");
    t.wait_for("put back as it was");
    assert_eq!(std::fs::read_to_string(&def).unwrap(), before);
    t.wait_for("ResultPath  \"$.credit\"");
    // Enter keeps it: the file changes in that field only.
    t.keys("e");
    t.wait_for("› $.credit");
    t.keys("\x15$.other");
    t.wait_for("+   \"other\": {");
    t.keys("\r");
    t.wait_for("ResultPath written to credit-card.asl.json");
    let after = std::fs::read_to_string(&def).unwrap();
    assert_eq!(
        after,
        before.replacen(
            "\"ResultPath\": \"$.credit\"",
            "\"ResultPath\": \"$.other\"",
            1
        )
    );
    t.wait_for("ResultPath  \"$.other\"");
    t.quit_and_check_restored();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_student_predicts_wrong_then_right_and_fixes_a_starter_in_the_asl_tab() {
    let session = std::env::temp_dir().join(format!("asldbg-ex-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&session);
    let args = [
        "--sample",
        "data-flow",
        "--no-mouse",
        "--session",
        session.to_str().unwrap(),
    ];
    let mut t = Tui::start(&args);
    t.wait_for("PAUSED");
    t.keys("L");
    t.wait_for("Exercise 1 of 7 · predict:");
    t.wait_for("0/7 passed · X opens · P lists");
    t.keys("X");
    t.wait_for("Predict '1 InputPath', after InputPath");
    t.keys("\r");
    t.wait_for("Exercise 1: the JSON you expect");
    t.keys("{\"id\": \"A-17\", \"price\": 40}\x0f");
    t.wait_for("✗ Not quite. (1 try)");
    t.wait_for("after a second miss, what differs is shown");
    assert!(!t.screen().contains("/shipping"), "{}", t.screen());
    // The editor opens on the last answer, the cursor after it.
    t.keys("\r");
    t.wait_for("Exercise 1: the JSON you expect");
    t.keys("\x0f");
    t.wait_for("✗ Not quite. (2 tries)");
    t.wait_for("/shipping: you left it out (it is 5)");
    // Not JSON: said in the editor, not a try.
    t.keys("\r");
    t.keys("\x7f, shipping: 5}\x0f");
    t.wait_for("invalid JSON: key must be a string");
    for _ in 0..", shipping: 5}".len() {
        t.keys("\x7f");
    }
    t.keys(", \"shipping\": 5}\x0f");
    t.wait_for("✓ Right: that is '1 InputPath', after InputPath. (3 tries)");
    // The fix: the starter fails, an edit in the ASL tab passes.
    t.keys("P");
    t.wait_for("Exercises: 1 of 7 passed");
    t.keys("jjjjj\r");
    t.wait_for("Exercise 6 of 7 · fix");
    t.keys("\r");
    t.wait_for("Your copy of the machine runs now");
    t.keys("\r");
    t.wait_for("Not yet: the run failed with States.Runtime");
    t.keys("\x1b");
    t.wait_for_gone("Exercise 6 of 7 · fix · not yet");
    t.keys("/4 Res\r6e");
    t.wait_for("/States/4 ResultPath → your copy (A key that is not there)");
    t.keys("\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\x1b[F\x1b[D\x1b[D\x7f\x7f\x7f\x7f\x7fstatus\x0f");
    t.wait_for("4 ResultPath written to your copy");
    t.keys("X\r");
    t.wait_for("✓ Passed: the run succeeded as asked.");
    t.wait_for("SUCCEEDED");
    // The files are untouched; the progress goes into the session file.
    t.keys("W");
    t.wait_for("Session saved");
    t.quit_and_check_restored();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&session).unwrap()).unwrap();
    let marks = &saved["exercises"]["marks"];
    assert_eq!(marks["InputPath picks a part"]["tries"], 3);
    assert_eq!(marks["InputPath picks a part"]["passed"], true);
    assert_eq!(marks["A key that is not there"]["passed"], true);
    assert!(marks["A key that is not there"]["answer"]
        .as_str()
        .unwrap()
        .contains("\"ResultPath\": \"$.status\""));
    // Reopened: where the student was.
    let mut t = Tui::start(&args);
    t.wait_for("restored at event");
    t.keys("P");
    t.wait_for("Exercises: 2 of 7 passed");
    t.keys("\x1b");
    t.wait_for_gone("Exercises: 2 of 7 passed");
    t.quit_and_check_restored();
    let _ = std::fs::remove_file(&session);
}

#[test]
fn stepping_out_of_the_map_stops_at_its_exit_and_the_panes_stay_on_their_content() {
    let session = temp_file("exit-session.json", "");
    let _ = std::fs::remove_file(&session);
    let mut t = Tui::start(&[
        "--sample",
        "credit-card",
        "--no-mouse",
        "--session",
        &session,
    ]);
    t.wait_for("Get credit limit");
    t.keys("/get list\r");
    t.keys("j");
    t.keys("u");
    t.wait_for("at Get scores from all credit bureaus");
    t.keys("i");
    t.wait_for("at Get all scores [0] (iteration 1 of 3)");
    t.keys("s");
    t.wait_for("at Get all scores [1] (iteration 2 of 3)");
    t.keys("s");
    t.wait_for("at Get all scores [2] (iteration 3 of 3)");
    // The last iteration's last state: `s` stops at the Map's exit, its
    // three results in the Output pane, before the state after it.
    t.keys("s");
    t.wait_for("Paused at the end of Get scores from all credit bureaus");
    t.wait_for("(its 3 iterations done)");
    t.keys("2");
    t.wait_for("\"bureau\"");
    // The Stages tab names whose run it shows, however far it is paged.
    t.keys("3");
    t.keys("\x1b[6~\x1b[6~\x1b[6~\x1b[6~");
    t.wait_for("Get all scores [2]  its last run");
    // End in the Input pane puts its last line at the bottom, not the
    // pane into blank space: one ↑ shows the line before it.
    t.keys("1");
    t.keys("\x1b[F");
    t.keys("\x1b[A");
    let screen = t.screen();
    let pane: Vec<&str> = screen
        .lines()
        .skip(3)
        .take(18)
        .map(|l| l.rsplit('│').nth(1).unwrap_or("").trim())
        .collect();
    assert!(
        pane.iter().filter(|l| !l.is_empty()).count() >= 10,
        "End then ↑ left the Input pane nearly empty:\n{screen}"
    );
    // A watch is a one-line prompt: Enter applies it.
    t.keys("w");
    t.wait_for("Watch:");
    t.keys("$.credit\r");
    t.wait_for("Watch added");
    // q with a change the session file lacks asks once; W saves; q quits.
    t.keys("q");
    t.wait_for("Unsaved session changes");
    t.keys("W");
    t.wait_for("Session saved");
    // ? lists the keys; / searches them.
    t.keys("?");
    t.wait_for("/ searches");
    t.keys("/breakpoint");
    t.wait_for("Keys matching \"breakpoint\"");
    t.keys("\r\x1b");
    t.wait_for_gone("Keys matching");
    // Ctrl-Z gives the terminal back (here, with no shell to stop it, it
    // comes straight back) and the screen is drawn again whole.
    t.keys("\x1a");
    t.wait_for("Get scores from all credit bureaus");
    t.wait_for("s step");
    t.quit_and_check_restored();
    let _ = std::fs::remove_file(&session);
}

#[test]
fn started_in_the_background_it_says_it_cannot_read_the_terminal() {
    // `sh -c` has no job control: `timeout` puts the debugger in a process
    // group of its own, which the terminal does not read for.
    let mut cmd = portable_pty::CommandBuilder::new("sh");
    cmd.args([
        "-c",
        &format!(
            "timeout 20 {} --sample credit-card; echo \"exit $?\"; sleep 5",
            env!("CARGO_BIN_EXE_asldbg")
        ),
    ]);
    let t = Tui::spawn(cmd, 24, 80);
    t.wait_for("cannot read the terminal");
    t.wait_for("exit 2");
}

/// The column and row (0-based) where `text` starts on `screen`.
fn cell_of(screen: &str, text: &str) -> (usize, usize) {
    for (row, line) in screen.lines().enumerate() {
        if let Some(i) = line.find(text) {
            return (line[..i].chars().count(), row);
        }
    }
    panic!("'{text}' is not on the screen:\n{screen}");
}

/// An SGR mouse report: button `b` (0 left, 64/65 wheel up/down) at a cell.
fn mouse(t: &mut Tui, b: u8, (x, y): (usize, usize)) {
    t.send(format!("\x1b[<{b};{};{}M", x + 1, y + 1).as_bytes());
    if b < 64 {
        t.send(format!("\x1b[<{b};{};{}m", x + 1, y + 1).as_bytes());
    }
}

#[test]
fn clicks_pick_a_history_event_a_breakpoint_row_and_a_place_in_the_editor() {
    let mut t = Tui::start_sized(&["--sample", "credit-card"], 40, 120);
    t.wait_for("PAUSED");
    t.keys("sss");
    t.wait_for("at Credit limit approved");
    // History: a click on an event's row shows that event.
    t.keys("4");
    t.wait_for("ChoiceStateEntered");
    let at = cell_of(&t.screen(), "ChoiceStateEntered");
    mouse(&mut t, 0, at);
    t.wait_for("\"type\": \"ChoiceStateEntered\"");
    // Two breakpoints, then the list: a click picks a row, a second
    // click on it turns it off, a click outside closes the list.
    t.keys("\x1b");
    let first = cell_of(&t.screen(), "⇢ Credit limit approved");
    mouse(&mut t, 0, first);
    t.keys("b");
    let other = cell_of(&t.screen(), "◇ Credit applied");
    mouse(&mut t, 0, other);
    t.keys("b");
    t.keys("B");
    t.wait_for("[x] Credit applied >= 5000?");
    let row = cell_of(&t.screen(), "[x] Credit applied");
    mouse(&mut t, 0, row);
    mouse(&mut t, 0, row);
    t.wait_for("[ ] Credit applied >= 5000?");
    t.wait_for("[x] Credit limit approved");
    mouse(&mut t, 0, (1, 38));
    t.wait_for_gone("Break on errors");
    // The editor: a click places the cursor where it lands.
    t.keys("1");
    t.keys("e");
    t.wait_for("Input of the next state");
    let (x, y) = cell_of(&t.screen(), "\"firstname\"");
    mouse(&mut t, 0, (x + 1, y));
    t.keys("ZZ");
    t.wait_for("\"ZZfirstname\"");
    t.keys("\x1b");
    t.quit_and_check_restored();
}

#[test]
fn a_click_picks_a_tab_and_the_wheel_scrolls_the_pane_under_the_pointer() {
    let keys: Vec<String> = (0..80).map(|i| format!("\"key{i:02}\": {i}")).collect();
    let input = temp_file("wheel-in.json", &format!("{{{}}}", keys.join(", ")));
    let mut t = Tui::start_sized(&["--sample", "credit-card", "--input", &input], 40, 120);
    t.wait_for("\"key00\": 0");
    // The graph has the keyboard; the wheel over the Input pane scrolls it
    // (3 lines a notch) and the keyboard stays with the graph.
    let at = cell_of(&t.screen(), "\"key05\"");
    mouse(&mut t, 65, at);
    mouse(&mut t, 65, at);
    t.wait_for_gone("\"key04\": 4");
    t.wait_for("\"key05\": 5");
    t.wait_for("hjkl move");
    // Up again: the text moves at once.
    mouse(&mut t, 64, at);
    t.wait_for("\"key02\": 2");
    // A click on a tab's title picks it.
    let hist = cell_of(&t.screen(), "4 Hist");
    mouse(&mut t, 0, hist);
    t.wait_for("ExecutionStarted");
    let asl = cell_of(&t.screen(), "6 ASL");
    mouse(&mut t, 0, asl);
    t.wait_for("(/States/Get credit limit)");
    t.quit_and_check_restored();
}

#[test]
fn slash_in_a_json_pane_searches_its_keys_and_values() {
    let mut t = Tui::start(&["--sample", "credit-card", "--no-mouse"]);
    t.wait_for("PAUSED");
    // The Input tab: `/` searches the JSON, not the state names.
    t.keys("1");
    t.keys("/");
    t.wait_for("(enter finds, esc cancels)");
    t.keys("columbus\r");
    t.wait_for("/columbus: match 1 of 1 (n next, N previous)");
    t.wait_for("/data/address/city");
    t.keys("\x1b");
    t.wait_for_gone("match 1 of 1");
    // Elsewhere `/` still finds a state.
    t.keys("h");
    t.keys("/");
    t.wait_for("type part of a state's name");
    t.keys("\x1b");
    t.quit_and_check_restored();
}

#[test]
fn colours_follow_what_the_terminal_says_it_has() {
    let run = |term: &str, colorterm: Option<&str>| -> String {
        let mut cmd = portable_pty::CommandBuilder::new(env!("CARGO_BIN_EXE_asldbg"));
        cmd.args(["--sample", "credit-card", "--no-mouse"]);
        cmd.env("TERM", term);
        cmd.env_remove("NO_COLOR");
        match colorterm {
            Some(c) => cmd.env("COLORTERM", c),
            None => cmd.env_remove("COLORTERM"),
        }
        let t = Tui::spawn(cmd, 24, 80);
        t.wait_for("PAUSED");
        std::thread::sleep(Duration::from_millis(200));
        let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).into_owned();
        t.quit_and_check_restored();
        raw
    };
    // xterm says 16 colours: the 16 colours' own codes, no 256-colour ones.
    let sixteen = run("xterm", None);
    assert!(
        !sixteen.contains("38;5;") && !sixteen.contains("48;5;"),
        "{sixteen:?}"
    );
    assert!(!sixteen.contains("38;2;"));
    assert!(
        sixteen.contains("\x1b[3") || sixteen.contains("\x1b[9"),
        "{sixteen:?}"
    );
    let indexed = run("xterm-256color", None);
    assert!(indexed.contains("38;5;") && !indexed.contains("38;2;"));
    let rgb = run("xterm", Some("truecolor"));
    assert!(rgb.contains("38;2;"));
    // 16 colours know no underline colour; a dumb terminal no colour at all.
    assert!(!sixteen.contains("\x1b[59m"), "{sixteen:?}");
    let dumb = run("dumb", None);
    for code in ["38;", "48;", "[39m", "[49m", "[59m", ";39m", ";49m"] {
        assert!(!dumb.contains(code), "{code} in {dumb:?}");
    }
}

#[test]
fn the_graph_opens_centred_and_counts_what_is_off_to_each_side() {
    let branch = |n: &str| {
        format!(
            r#"{{"StartAt": "{n} first step of the branch", "States": {{"{n} first step of the branch": {{"Type": "Pass", "Next": "{n} second"}}, "{n} second": {{"Type": "Pass", "End": true}}}}}}"#
        )
    };
    let def = temp_file(
        "wide.asl.json",
        &format!(
            r#"{{"StartAt": "Fan out", "States": {{"Fan out": {{"Type": "Parallel", "Branches": [{}, {}, {}], "Next": "Done"}}, "Done": {{"Type": "Succeed"}}}}}}"#,
            branch("Alpha"),
            branch("Bravo"),
            branch("Charlie")
        ),
    );
    let mut t = Tui::start_sized(&[&def, "--no-mouse"], 40, 120);
    t.wait_for("PAUSED");
    t.keys("s");
    t.wait_for("at Alpha first step of the branch [0]");
    // `i`: the next state that runs, whichever branch it is in.
    for _ in 0..4 {
        if t.screen().contains("at Bravo first step of the branch [1]") {
            break;
        }
        t.keys("i");
        std::thread::sleep(Duration::from_millis(150));
    }
    t.wait_for("at Bravo first step of the branch [1]");
    // Bravo's box whole in the middle; Alpha's two states cut on the
    // left, Charlie's on the right, the Parallel's own box on both, and the
    // border says so.
    t.wait_for("│▶⇢ Bravo first step of the branch│");
    t.wait_for("└←3─");
    t.wait_for("─3→┘");
    t.quit_and_check_restored();
}

#[test]
fn the_asl_tab_writes_back_only_what_was_edited() {
    // Written as people write: tabs, CRLF, escapes, an exponent, a one-line
    // Result, odd spacing.
    let text = "{\r\n\t\"Comment\": \"caf\\u00e9\",\r\n\t\"StartAt\": \"A\",\r\n\t\"States\": {\r\n\t\t\"A\": {\r\n\t\t\t\"Type\": \"Pass\",\r\n\t\t\t\"Result\": {\"n\": 1e3, \"s\": \"\\u00e9\"},\r\n\t\t\t\"ResultPath\" :  \"$.r\",\r\n\t\t\t\"Next\": \"B\"\r\n\t\t},\r\n\t\t\"B\": {\"Type\": \"Succeed\"}\r\n\t}\r\n}\r\n";
    let def = temp_file("bytes.asl.json", text);
    let mut t = Tui::start(&[&def, "--no-mouse"]);
    t.wait_for("PAUSED");
    t.keys("6");
    t.wait_for("(/States/A)");
    t.keys("e");
    t.wait_for("ctrl-o/F2");
    // A member added on the editor's second line: it goes first, in the
    // file's tabs and CRLF; every other byte stays.
    t.keys("\x1b[F");
    t.keys("\r\"Comment\": \"added\",");
    t.keys("\x0f");
    t.wait_for("A written to bytes.asl.json");
    let now = std::fs::read_to_string(&def).unwrap();
    assert_eq!(
        now,
        text.replace(
            "\"A\": {\r\n\t\t\t\"Type\"",
            "\"A\": {\r\n\t\t\t\"Comment\": \"added\",\r\n\t\t\t\"Type\""
        )
    );
    // Applied unchanged: the same JSON, nothing written, and it says so.
    t.keys("e");
    t.wait_for("ctrl-o/F2");
    t.keys("\x0f");
    t.wait_for("Nothing to write: the edit gives the same JSON");
    assert_eq!(std::fs::read_to_string(&def).unwrap(), now);
    t.quit_and_check_restored();
}

#[test]
fn z_draws_a_long_chain_twice_as_dense() {
    let states: Vec<String> = (0..300)
        .map(|i| {
            let next = if i < 299 {
                format!(r#""Next": "Step{:03}""#, i + 1)
            } else {
                r#""End": true"#.to_string()
            };
            format!(r#""Step{i:03}": {{"Type": "Pass", {next}}}"#)
        })
        .collect();
    let def = temp_file(
        "chain.asl.json",
        &format!(
            r#"{{"StartAt": "Step000", "States": {{{}}}}}"#,
            states.join(", ")
        ),
    );
    let mut t = Tui::start(&[&def, "--no-mouse"]);
    t.wait_for("PAUSED");
    let boxes = |s: &str| s.matches("⇢ Step").count();
    let before = boxes(&t.screen());
    t.keys("z");
    t.wait_for("[▶⇢ Step000]");
    let after = boxes(&t.screen());
    assert!(
        after >= 2 * before && after >= 6,
        "{before} → {after}:\n{}",
        t.screen()
    );
    // What is below is counted on the border.
    t.wait_for("↓29");
    t.quit_and_check_restored();
    // In ASCII the count is in words: `v` is an edge label's sign, `>`
    // the next state's.
    let mut t = Tui::start(&[&def, "--no-mouse", "--ascii"]);
    t.wait_for("PAUSED");
    t.keys("z");
    t.wait_for("[>- Step000]");
    t.wait_for("-294 down-");
    t.quit_and_check_restored();
}

#[test]
fn a_slow_lab_expression_is_evaluated_when_typing_pauses() {
    let mut t = Tui::start(&["--sample", "credit-card", "--no-mouse"]);
    t.wait_for("PAUSED");
    t.keys(":");
    t.wait_for("data 1/2");
    // Tens of milliseconds an evaluation: not made again on every key.
    t.keys("{% $count([1..2000000]) %}");
    t.wait_for("2000000");
    t.send(b"\x1b[D\x1b[D\x1b[D + 1");
    // While typing: the last value stays, said to be the text before's.
    t.wait_for("… evaluated when you pause");
    assert!(t.screen().contains("2000000"), "{}", t.screen());
    // At the pause: the new text's value, and the note gone.
    t.wait_for("2000001");
    t.wait_for_gone("evaluated when you pause");
}
