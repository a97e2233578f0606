//! Model tests (key sequences through `App::update`) and render snapshots
//! (`TestBackend` + insta) with checks of the styles of key cells.

use super::app::{Action, App, EditTarget, Mode};
use super::panes::Tab;
use super::theme::{ColorMode, Theme};
use super::view;
use crate::asl::value::Val;
use crate::asl::Definition;
use crate::debugger::Session;
use crate::engine::task::{Interactive, NoRunner, TaskRunner};
use crate::engine::{Options, Status};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;
use std::sync::Arc;

fn credit_card(case: &str, mode: ColorMode) -> App {
    super::bench::credit_card_with(case, mode)
}

fn machine(def: serde_json::Value, input: serde_json::Value) -> App {
    let def = Arc::new(Definition::from_value(&def).unwrap());
    let session = Session::new(
        def,
        Val::from(input),
        Box::new(|| {
            Box::new(Interactive {
                inner: Box::new(NoRunner),
            }) as Box<dyn TaskRunner>
        }),
        Options::default(),
    );
    App::new(
        session,
        "test".into(),
        Theme::load("dark", ColorMode::None).unwrap(),
    )
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
        while app.session.is_running() {
            app.update(Action::Tick);
        }
    }
}

fn code(app: &mut App, code: KeyCode, m: KeyModifiers) {
    app.update(Action::Key(KeyEvent::new(code, m)));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        let k = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        code(app, k, KeyModifiers::NONE);
    }
}

fn select(app: &mut App, name: &str) {
    app.selected = app.rows.iter().position(|r| r.name == name).unwrap();
}

fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    app.update(Action::Resize(w, h));
    t.draw(|f| view::draw(f, app)).unwrap();
    t
}

/// The column and row where `text` first appears on screen.
fn locate(t: &Terminal<TestBackend>, text: &str) -> (u16, u16) {
    let s = screen(t);
    let (y, l) = s
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(text))
        .unwrap_or_else(|| panic!("{text} not on screen:\n{s}"));
    let byte = l.find(text).unwrap();
    (l[..byte].chars().count() as u16, y as u16)
}

fn screen(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn breakpoint_then_continue_stops_there() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    select(&mut app, "Get list of credit bureaus");
    press(&mut app, "b");
    assert!(app.message.contains("Breakpoint set"));
    press(&mut app, "c");
    assert_eq!(app.current_name(), "Get list of credit bureaus");
    assert!(app.message.starts_with("Breakpoint"));
    press(&mut app, "b"); // removes it (selection follows the current state)
    press(&mut app, "c");
    assert_eq!(app.session.moment().status(), Status::Succeeded);
}

#[test]
fn stepping_into_a_map_iteration_follows_it() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    select(&mut app, "Get scores from all credit bureaus");
    press(&mut app, "u");
    assert_eq!(app.current_name(), "Get scores from all credit bureaus");
    press(&mut app, "i");
    assert_eq!(app.current_name(), "Get all scores [0] (iteration 1 of 3)");
    // The three iterations run interleaved; `s` follows iteration 0, but
    // never past a state of another iteration that has not been a stop:
    // iterations 1 and 2 are stops, then the Map's exit (its results,
    // shown in the Output pane), then the run goes on to its end.
    press(&mut app, "s");
    assert_eq!(app.current_name(), "Get all scores [1] (iteration 2 of 3)");
    press(&mut app, "s");
    assert_eq!(app.current_name(), "Get all scores [2] (iteration 3 of 3)");
    press(&mut app, "s");
    assert_eq!(
        app.current_name(),
        "Get scores from all credit bureaus (its 3 iterations done)"
    );
    assert!(
        app.message.starts_with("Paused at the end of Get scores"),
        "{}",
        app.message
    );
    let results = app.output_value().0.expect("the Map's results");
    assert_eq!(
        results.to_json().as_array().map(Vec::len),
        Some(3),
        "{results:?}"
    );
    press(&mut app, "s");
    assert_eq!(app.session.moment().status(), Status::Succeeded);
    assert_eq!(
        app.trace.visits.get(
            &(app
                .rows
                .iter()
                .find(|r| r.name == "Get all scores")
                .map(|r| (r.machine, r.state))
                .unwrap())
        ),
        Some(&3)
    );
}

#[test]
fn a_parallel_whose_branch_failed_stops_at_its_exit_with_the_error() {
    let mut app = machine(
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Next": "Done",
                  "Branches": [
                      {"StartAt": "Ok", "States": {"Ok": {"Type": "Pass", "Result": 1, "End": true}}},
                      {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail", "Error": "Boom", "Cause": "bad"}}}],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
            "H": {"Type": "Pass", "End": true},
            "Done": {"Type": "Pass", "End": true}}}),
        json!({}),
    );
    press(&mut app, "sss");
    assert_eq!(app.current_name(), "P (a branch failed)");
    assert!(
        app.message.contains("its error goes to Retry/Catch next"),
        "{}",
        app.message
    );
    // The Output pane shows the error, not a branch's output.
    assert_eq!(
        app.output_value().0.map(|v| v.to_json()),
        Some(json!({"Error": "Boom", "Cause": "bad"}))
    );
    press(&mut app, "s");
    assert_eq!(app.current_name(), "H");
}

#[test]
fn step_over_runs_a_parallel_as_one_step() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    press(&mut app, "sss");
    assert_eq!(
        app.current_name(),
        "Verify applicant's identity and address"
    );
    press(&mut app, "n");
    assert_eq!(app.current_name(), "Get list of credit bureaus");
}

#[test]
fn an_edit_that_does_not_parse_keeps_the_text_and_shows_where() {
    let mut app = machine(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}}),
        json!({"x": 1}),
    );
    press(&mut app, "s");
    press(&mut app, "e");
    let Mode::Edit(ed) = &mut app.mode else {
        panic!("editor not open")
    };
    assert_eq!(ed.target, EditTarget::StateInput);
    ed.area.select_all();
    ed.area.cut();
    type_text(&mut app, "{\"x\": 2,\n \"y\": }");
    code(&mut app, KeyCode::Char('o'), KeyModifiers::CONTROL);
    let Mode::Edit(ed) = &app.mode else {
        panic!("a bad edit must stay in the editor")
    };
    assert!(
        ed.error.as_deref().unwrap().starts_with("line 2, column"),
        "{:?}",
        ed.error
    );
    assert_eq!(ed.area.lines().join("\n"), "{\"x\": 2,\n \"y\": }");
    // Esc puts the text aside; e brings it back.
    code(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut app, "e");
    let Mode::Edit(ed) = &mut app.mode else {
        panic!()
    };
    assert_eq!(ed.area.lines().join("\n"), "{\"x\": 2,\n \"y\": }");
    ed.area.select_all();
    ed.area.cut();
    type_text(&mut app, "{\"x\": 2, \"y\": 3}");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    assert!(matches!(app.mode, Mode::Normal));
    press(&mut app, "c");
    assert_eq!(
        app.session.moment().output().unwrap().to_json(),
        json!({"x": 2, "y": 3})
    );
}

#[test]
fn an_unmocked_task_asks_for_its_result_or_error() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Catch": [{"ErrorEquals": ["Typed"], "Next": "C"}]}, "C": {"Type": "Pass", "End": true}}});
    let mut app = machine(def.clone(), json!({}));
    press(&mut app, "c");
    assert!(
        app.message.contains("waits: t types a result"),
        "{}",
        app.message
    );
    press(&mut app, "t");
    let Mode::Edit(ed) = &mut app.mode else {
        panic!("the task result editor opens")
    };
    assert_eq!(ed.target, EditTarget::TaskResult);
    ed.area.select_all();
    ed.area.cut();
    type_text(&mut app, "{\"ok\": true}");
    code(&mut app, KeyCode::Char('o'), KeyModifiers::CONTROL);
    press(&mut app, "c");
    assert_eq!(
        app.session.moment().output().unwrap().to_json(),
        json!({"ok": true})
    );
    // The same with an error.
    let mut app = machine(def, json!({}));
    press(&mut app, "c");
    code(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut app, "x");
    let Mode::Edit(ed) = &mut app.mode else {
        panic!()
    };
    ed.area.select_all();
    ed.area.cut();
    type_text(&mut app, "{\"Error\": \"Typed\", \"Cause\": \"by hand\"}");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    press(&mut app, "c");
    assert_eq!(
        app.session.moment().output().unwrap().to_json(),
        json!({"Error": "Typed", "Cause": "by hand"})
    );
    // An error with neither name nor cause, as SendTaskFailure allows: the
    // execution fails without them.
    let mut app = machine(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}),
        json!({}),
    );
    press(&mut app, "c");
    code(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut app, "x");
    let Mode::Edit(ed) = &mut app.mode else {
        panic!()
    };
    ed.area.select_all();
    ed.area.cut();
    type_text(&mut app, "{\"Error\": null}");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    press(&mut app, "c");
    assert_eq!(app.session.moment().status(), Status::Failed);
    let e = app.session.moment().error().unwrap();
    assert_eq!((e.name(), e.cause()), (None, None));
}

#[test]
fn a_watch_that_fails_where_it_is_added_says_so() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}});
    let mut app = machine(def, json!({"v": 5}));
    press(&mut app, "w");
    type_text(&mut app, "$error('no such thing')");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    assert_eq!(app.watches.len(), 1);
    assert!(
        app.message.starts_with("Watch added, but it fails here:")
            && app.message.contains("no such thing"),
        "{}",
        app.message
    );
}

#[test]
fn the_watches_together_keep_no_more_than_one_watch_may() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}});
    let mut app = machine(def, json!({"v": 5}));
    let keep = crate::budget::get().value_kept();
    // Each just under what one watch keeps: the first is shown, the next
    // would double what the watches hold.
    let big = format!("$pad('x', {})", keep - 100);
    for _ in 0..3 {
        press(&mut app, "w");
        type_text(&mut app, &big);
        code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    }
    let values = app.watch_values();
    assert_eq!(values.len(), 3);
    assert!(values[0].1.is_ok());
    for (_, v) in &values[1..] {
        let e = v.as_ref().unwrap_err();
        let says = format!(
            "the watches keep at most {} of JSON together;",
            crate::budget::show_bytes(keep)
        );
        assert!(e.starts_with(&says), "{e}");
    }
}

#[test]
fn a_paste_past_a_one_line_prompt_says_what_the_prompt_takes() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}});
    let mut app = machine(def, json!({"v": 5}));
    press(&mut app, "w");
    app.update(Action::Paste("x".repeat(5000)));
    assert!(
        app.message.contains("this prompt takes at most 4 KiB"),
        "{}",
        app.message
    );
    app.update(Action::Paste("$.v".into()));
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    assert_eq!(app.watches.len(), 1);
}

#[test]
fn a_notice_reaches_the_lab_too() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}});
    let mut app = machine(def, json!({"v": 5}));
    app.notify("Waiting for the CPU".into());
    assert_eq!(app.message, "Waiting for the CPU");
    press(&mut app, ":");
    assert!(matches!(app.mode, Mode::Lab(_)), ": opens the lab");
    app.notify("Back to full speed.".into());
    let t = render(&mut app, 80, 24);
    assert!(screen(&t).contains("Back to full speed."), "{}", screen(&t));
}

#[test]
fn variables_watches_restart_and_quit() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"n": 1}, "Next": "B"}, "B": {"Type": "Pass", "End": true}}});
    let mut app = machine(def, json!({"v": 5}));
    press(&mut app, "s");
    assert_eq!(app.session.moment().variables()[0].0, "n");
    press(&mut app, "w");
    type_text(&mut app, "v * 2");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    let w: Vec<&str> = app.watches.iter().map(|w| w.source.as_str()).collect();
    assert_eq!(w, ["v * 2"]);
    assert!(
        app.message.starts_with("Watch added (Vars"),
        "{}",
        app.message
    );
    assert_eq!(app.tab, Tab::Variables);
    let t = render(&mut app, 100, 30);
    assert!(screen(&t).contains("v * 2 = 10"), "{}", screen(&t));
    press(&mut app, "r");
    assert!(app.session.at_start());
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn too_small_and_resize() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    let t = render(&mut app, 39, 10);
    assert!(screen(&t).contains("too small"));
    let t = render(&mut app, 80, 24);
    assert!(screen(&t).contains("Get credit limit"));
}

#[test]
fn snapshots_of_the_main_screens() {
    for (w, h) in [(40, 12), (80, 24), (160, 48)] {
        let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
        insta::assert_snapshot!(format!("start_{w}x{h}"), screen(&render(&mut app, w, h)));
        select(&mut app, "Verify applicant's identity and address");
        press(&mut app, "bsss3");
        insta::assert_snapshot!(format!("stages_{w}x{h}"), screen(&render(&mut app, w, h)));
        press(&mut app, "4");
        insta::assert_snapshot!(format!("history_{w}x{h}"), screen(&render(&mut app, w, h)));
    }
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    press(&mut app, "?");
    insta::assert_snapshot!("help_80x24", screen(&render(&mut app, 80, 24)));
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    press(&mut app, "ss");
    insta::assert_snapshot!("graph_80x24", screen(&render(&mut app, 80, 24)));
    insta::assert_snapshot!("graph_160x48", screen(&render(&mut app, 160, 48)));
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    press(&mut app, "e");
    insta::assert_snapshot!("editor_80x24", screen(&render(&mut app, 80, 24)));
}

#[test]
fn key_cells_carry_their_styles() {
    let mut app = credit_card("AutoApproved", ColorMode::TrueColor);
    select(&mut app, "Credit applied >= 5000?");
    press(&mut app, "b");
    let t = render(&mut app, 80, 24);
    let buf = t.backend().buffer();
    let at = |text: &str| locate(&t, text);
    // The graph: the current state's name in the accent colour, the
    // breakpointed state's border in the breakpoint colour.
    let (x, y) = at("⚙ Get credit limit");
    assert_eq!(buf[(x, y)].fg, app.theme.accent.fg.unwrap());
    let (x, y) = at("◇ Credit applied");
    assert_eq!(buf[(x - 2, y)].symbol(), "│");
    assert_eq!(buf[(x - 2, y)].fg, app.theme.breakpoint.fg.unwrap());
    // The list (g): the current-state marker and the breakpoint dot.
    press(&mut app, "g");
    let t = render(&mut app, 80, 24);
    let buf = t.backend().buffer();
    assert_eq!(buf[(2, 2)].symbol(), "▶");
    assert_eq!(buf[(2, 2)].fg, app.theme.accent.fg.unwrap());
    assert_eq!(buf[(1, 3)].symbol(), "●");
    assert_eq!(buf[(1, 3)].fg, app.theme.breakpoint.fg.unwrap());
    // JSON keys and strings in the input pane use the theme's token colours.
    let screen_text = screen(&t);
    let row = screen_text
        .lines()
        .position(|l| l.contains("\"firstname\""))
        .unwrap() as u16;
    let col = screen_text
        .lines()
        .nth(row as usize)
        .unwrap()
        .chars()
        .position(|c| c == '"')
        .unwrap() as u16;
    assert_eq!(buf[(col, row)].fg, app.theme.key.fg.unwrap());
}

#[test]
fn stages_explain_choice_rules_retries_and_catches() {
    let mut app = credit_card("ThrottledThenSucceeds", ColorMode::None);
    press(&mut app, "s");
    press(&mut app, "3");
    let text = screen(&render(&mut app, 100, 48));
    assert!(
        text.contains("retry 1 after Lambda.TooManyRequestsException: retrier #1"),
        "{text}"
    );
    assert!(
        text.contains("retry 2 after Lambda.TooManyRequestsException: retrier #1"),
        "{text}"
    );
    assert!(
        text.contains("back-off 1.000 s") && text.contains("back-off 2.000 s"),
        "{text}"
    );
    assert!(
        !text.contains("error: Lambda"),
        "a retried error that was overcome is not the state's error: {text}"
    );
    press(&mut app, "s");
    let text = screen(&render(&mut app, 100, 30));
    assert!(text.contains("Choice rules (in order)"), "{text}");
    // The debugger records the value each rule tested.
    assert!(text.contains("    $.credit.amount = 1200"), "{text}");
    assert!(
        text.contains("✓ #1 {\"Variable\":\"$.credit.amount\",\"NumericLessThan\":5000}"),
        "{text}"
    );
    let mut app = credit_card("IdentityCheckFails", ColorMode::None);
    press(&mut app, "c");
    select(&mut app, "Verify applicant's identity and address");
    press(&mut app, "3");
    let text = screen(&render(&mut app, 150, 40));
    assert!(
        text.contains("caught by catcher #1 → Application rejected"),
        "{text}"
    );
}

#[test]
fn breakpoint_conditions_and_iterations_from_the_list() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    select(&mut app, "Get all scores");
    press(&mut app, "bB");
    press(&mut app, "i");
    type_text(&mut app, "2");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    assert!(matches!(app.mode, Mode::Breakpoints { .. }));
    press(&mut app, "c");
    type_text(&mut app, "bureau = 'TransUnion'");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    code(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut app, "c");
    assert_eq!(app.current_name(), "Get all scores [2] (iteration 3 of 3)");
    assert_eq!(
        app.session
            .moment()
            .current_input()
            .unwrap()
            .get("bureau")
            .unwrap()
            .as_str(),
        Some("TransUnion")
    );
    // A condition that does not parse stays in the editor.
    press(&mut app, "B");
    press(&mut app, "c");
    type_text(&mut app, " and (");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    assert!(matches!(&app.mode, Mode::Edit(e) if e.error.is_some()));
}

#[test]
fn jsonpath_and_intrinsic_watches_and_edits_in_the_history() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    for w in ["$.data.lastname", "States.Format('{}!', $.data.firstname)"] {
        press(&mut app, "w");
        type_text(&mut app, w);
        code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    }
    // A watch that does not compile stays in the editor with its error.
    for bad in ["$.data[", "States.Nope(1)", "(1 +"] {
        press(&mut app, "w");
        type_text(&mut app, bad);
        code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
        assert!(
            matches!(&app.mode, Mode::Edit(e) if e.error.is_some()),
            "{bad}"
        );
        code(&mut app, KeyCode::Esc, KeyModifiers::NONE);
        app.drafts.clear();
    }
    assert_eq!(app.watches.len(), 2);
    let text = screen(&render(&mut app, 160, 48));
    assert!(text.contains("$.data.lastname = \"Doe\""), "{text}");
    assert!(text.contains("= \"Jane!\""), "{text}");
    press(&mut app, "s");
    press(&mut app, "e");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    press(&mut app, "4");
    let text = screen(&render(&mut app, 100, 30));
    assert!(
        text.contains("✎ user edit: the next state's input"),
        "{text}"
    );
}

#[test]
fn explanations_and_the_lesson() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    app.lesson = Some(
        crate::samples::find("credit-card")
            .unwrap()
            .lesson
            .to_string(),
    );
    press(&mut app, "L");
    assert!(app.lesson_open);
    let text = screen(&render(&mut app, 100, 40));
    assert!(text.contains("Watch for"), "{text}");
    assert!(!text.contains("**"), "Markdown is rendered: {text}");
    // It stays open while stepping.
    press(&mut app, "sy");
    assert!(app.lesson_open);
    assert!(screen(&render(&mut app, 100, 40)).contains("Lesson"));
    assert!(app.explain);
    let text = screen(&render(&mut app, 160, 60));
    assert!(text.contains("↳ ResultPath `$.credit` put"), "{text}");
    let def = app.session.definition().clone();
    let stage = app.session.moment().stages().last().unwrap().clone();
    let st = def.machines[0]
        .states
        .iter()
        .find(|s| *s.name == *stage.state);
    let why = super::explain::stages(st, &stage);
    let said = |k: &str| {
        why.iter()
            .find(|(l, _)| *l == k)
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        said("after ResultSelector"),
        "ResultSelector kept only amount of the result."
    );
    assert_eq!(
        said("after ResultPath"),
        "ResultPath `$.credit` put the result under `credit` in the state's original input (not the InputPath one)."
    );
    press(&mut app, "s");
    let stage = app.session.moment().stages().last().unwrap().clone();
    let st = def.machines[0]
        .states
        .iter()
        .find(|s| *s.name == *stage.state);
    let why = super::explain::stages(st, &stage);
    assert!(
        why.iter().any(
            |(k, t)| *k == "choice" && t.starts_with("Rule #1 is the first whose test is true")
        ),
        "{why:?}"
    );
}

#[test]
fn teaching_mode_reveals_one_stage_per_key() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    press(&mut app, "T");
    press(&mut app, "s");
    assert_eq!(app.revealed, 1);
    // The screen stays at the state being revealed: header, ▶, Input; its
    // output waits for the last stage.
    assert!(
        app.header_name()
            .starts_with("Get credit limit (stage 1 of"),
        "{}",
        app.header_name()
    );
    let held = app.session.definition().find("Get credit limit");
    assert_eq!(app.moment().0, held);
    assert!(app.output_value().0.is_none());
    let text = screen(&render(&mut app, 100, 40));
    assert!(
        text.contains("… s reveals the next stage") && !text.contains(" ResultPath "),
        "{text}"
    );
    let total = app.stage_count();
    assert!(total >= 5);
    for _ in 1..total {
        press(&mut app, "s");
    }
    assert_eq!(
        app.current_name(),
        "Credit applied >= 5000?",
        "revealing does not step"
    );
    let text = screen(&render(&mut app, 100, 40));
    assert!(
        text.contains(" ResultPath ") && !text.contains("… s reveals"),
        "{text}"
    );
    assert!(
        app.output_value().0.is_some(),
        "all revealed: the output shows"
    );
    assert_eq!(app.header_name(), "Credit applied >= 5000?");
    press(&mut app, "s");
    assert_eq!(app.current_name(), "Auto-approve limit");
}

#[test]
fn a_callback_task_shows_its_token_and_takes_a_heartbeat() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token"}, "End": true}}});
    let mut app = machine(def, json!({}));
    press(&mut app, "c");
    let token = app.session.moment().task_token().unwrap().to_string();
    assert!(app.message.contains(&token), "{}", app.message);
    code(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut app, "H");
    assert!(
        app.message.starts_with("Heartbeat sent for task token"),
        "{}",
        app.message
    );
    press(&mut app, "x");
    code(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    press(&mut app, "c");
    assert_eq!(app.session.moment().error().unwrap().error, "Custom.Error");
}

#[test]
fn task_commands_run_off_the_ui_thread() {
    use crate::engine::task::{Background, Chain};
    let def = Arc::new(
        Definition::from_value(&json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}))
            .unwrap(),
    );
    let bg = Background::new("sleep 0.2; echo '{\"slow\": true}'".into());
    let b2 = bg.clone();
    let session = Session::new(
        def,
        Val::empty_obj(),
        Box::new(move || {
            Box::new(Interactive {
                inner: Box::new(Chain {
                    first: Box::new(NoRunner),
                    then: Box::new(b2.clone()),
                }),
            }) as Box<dyn TaskRunner>
        }),
        Options::default(),
    );
    let mut app = App::new(
        session,
        "t".into(),
        Theme::load("dark", ColorMode::None).unwrap(),
    );
    app.background = Some(bg);
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::NONE,
    )));
    // The key returns at once: the command is still running.
    assert!(app.command_running.is_some(), "{}", app.message);
    assert!(app.message.starts_with("Running the task command"));
    let start = std::time::Instant::now();
    while app.session.moment().status() == Status::Running {
        assert!(start.elapsed().as_secs() < 10, "the command never answered");
        std::thread::sleep(std::time::Duration::from_millis(10));
        app.update(Action::Tick);
    }
    assert_eq!(
        app.session.moment().output().unwrap().to_json(),
        json!({"slow": true})
    );
}

#[test]
fn the_graph_counts_visits_of_states_entered_more_than_once() {
    let def = json!({
        "StartAt": "Count",
        "States": {
            "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Again?"},
            "Again?": {"Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "Count"}],
                "Default": "Done"},
            "Done": {"Type": "Succeed"}
        }
    });
    let mut app = machine(def, json!({"n": 0}));
    press(&mut app, "c");
    let s = screen(&render(&mut app, 80, 24));
    // On the box's bottom border.
    assert!(s.contains("×3─┘") || s.contains("×3─╯"), "{s}");
    assert!(!s.contains("×1"), "{s}");
}

#[test]
fn the_graph_marks_a_caught_error() {
    let def = json!({
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel",
                "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }
    });
    let mut app = machine(def, json!({}));
    press(&mut app, "c");
    let p = (0, app.session.definition().machines[0].by_name["P"]);
    assert!(app.trace.caught.contains(&p));
    assert!(!app.trace.failed.contains(&p));
    assert!(screen(&render(&mut app, 80, 24)).contains('↯'));
    // A state that never failed carries no mark.
    let mut app = machine(
        json!({"StartAt": "T", "States": {"T": {"Type": "Pass", "End": true}}}),
        json!({}),
    );
    press(&mut app, "c");
    assert!(app.trace.caught.is_empty());
    assert!(!screen(&render(&mut app, 80, 24)).contains('↯'));
}

#[test]
fn z_toggles_a_compact_graph() {
    let widest = |app: &App| {
        app.graph
            .get()
            .map(|g| {
                g.drawn
                    .lines
                    .iter()
                    .map(|l| l.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0)
    };
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    let _ = render(&mut app, 80, 24);
    let wide = widest(&app);
    press(&mut app, "z");
    assert!(app.graph_compact);
    let _ = render(&mut app, 80, 24);
    let compact = widest(&app);
    assert!(wide > 0 && compact < wide, "compact {compact}, wide {wide}");
    press(&mut app, "z");
    let _ = render(&mut app, 80, 24);
    assert_eq!(widest(&app), wide);
}

#[test]
fn the_help_scrolls_when_it_is_taller_than_the_screen() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    press(&mut app, "?");
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("scroll"), "{s}");
    assert!(!s.contains("Glyphs:"), "{s}");
    press(&mut app, &"j".repeat(80));
    assert!(matches!(app.mode, Mode::Help(_)));
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("Glyphs:"), "{s}");
    press(&mut app, "x");
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.popup_scroll, 0);
}

fn selected_name(app: &App) -> String {
    app.rows[app.selected].name.clone()
}

#[test]
fn arrow_keys_walk_the_graph_along_its_edges() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    let _ = render(&mut app, 80, 24);
    let mut walk = |k: KeyCode| {
        code(&mut app, k, KeyModifiers::NONE);
        selected_name(&app)
    };
    assert_eq!(walk(KeyCode::Down), "Credit applied >= 5000?");
    assert_eq!(walk(KeyCode::Down), "Auto-approve limit");
    assert_eq!(walk(KeyCode::Right), "Wait for human approval");
    assert_eq!(walk(KeyCode::Down), "Credit limit approved");
    assert_eq!(
        walk(KeyCode::Down),
        "Verify applicant's identity and address"
    );
    // Into the Parallel, across its branches, and out again.
    assert_eq!(walk(KeyCode::Down), "Verify identity");
    assert_eq!(walk(KeyCode::Right), "Verify address");
    assert_eq!(walk(KeyCode::Down), "Get list of credit bureaus");
    assert_eq!(walk(KeyCode::Up), "Verify applicant's identity and address");
    // The pane follows the selection.
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("‖ Verify applicant's"), "{s}");
    // → with nothing to the right hands the keyboard to the data pane; ←
    // brings it back.
    code(&mut app, KeyCode::Right, KeyModifiers::NONE);
    assert_eq!(app.focus, super::panes::Focus::Data);
    code(&mut app, KeyCode::Left, KeyModifiers::NONE);
    assert_eq!(app.focus, super::panes::Focus::States);
    // b sets a breakpoint on the state the graph selected.
    press(&mut app, "b");
    let par = app.selected_id().unwrap();
    assert!(app.session.has_breakpoint(par.0, par.1));
}

#[test]
fn enter_collapses_and_expands_a_container() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    select(&mut app, "Verify identity");
    code(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        selected_name(&app),
        "Verify applicant's identity and address"
    );
    let s = screen(&render(&mut app, 160, 48));
    assert!(s.contains("[+2]"), "{s}");
    assert!(!s.contains("⚙ Verify identity"), "{s}");
    // The execution inside a collapsed container shows on the container.
    press(&mut app, "c");
    assert!(app
        .trace
        .visited
        .iter()
        .any(|i| app.rows[app.row_of(*i).unwrap()].name == "Verify identity"));
    code(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    let s = screen(&render(&mut app, 160, 48));
    assert!(
        s.contains("⚙ Verify identity") && !s.contains("[+2]"),
        "{s}"
    );
    // A breakpoint inside a collapsed container shows on its border.
    let mut app = credit_card("HumanApprovalGranted", ColorMode::TrueColor);
    select(&mut app, "Verify address");
    press(&mut app, "b");
    code(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    let t = render(&mut app, 160, 48);
    let (x, y) = locate(&t, "‖ Verify applicant");
    let buf = t.backend().buffer();
    assert_eq!(buf[(x - 2, y)].symbol(), "│");
    assert_eq!(buf[(x - 2, y)].fg, app.theme.breakpoint.fg.unwrap());
    // Enter on a state that holds nothing and sits in no container says so.
    select(&mut app, "Get credit limit");
    code(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        app.message.contains("not a Parallel or Map"),
        "{}",
        app.message
    );
}

#[test]
fn slash_finds_a_state_by_name_and_esc_goes_back() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    // A match inside a collapsed container opens it.
    select(&mut app, "Get all scores");
    code(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(app.collapsed.len(), 1);
    select(&mut app, "Get credit limit");
    press(&mut app, "/");
    type_text(&mut app, "SCORES");
    assert_eq!(selected_name(&app), "Get scores from all credit bureaus");
    assert!(app.message.contains("match 1 of 2"), "{}", app.message);
    code(&mut app, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(selected_name(&app), "Get all scores");
    assert!(app.collapsed.is_empty(), "the match was made visible");
    code(&mut app, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(selected_name(&app), "Get scores from all credit bureaus");
    code(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(selected_name(&app), "Get credit limit");
    assert!(matches!(app.mode, Mode::Normal));
    // Enter keeps the match; a name that matches nothing says so.
    press(&mut app, "/");
    type_text(&mut app, "zzz");
    assert!(app.message.contains("no state matches"), "{}", app.message);
    code(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    code(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    code(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    type_text(&mut app, "bureaus\n");
    assert_eq!(selected_name(&app), "Get list of credit bureaus");
    assert!(matches!(app.mode, Mode::Normal));
}

#[test]
fn taken_edges_are_drawn_in_the_visited_colour() {
    let mut app = credit_card("AutoApproved", ColorMode::TrueColor);
    press(&mut app, "c");
    assert_eq!(app.session.moment().status(), Status::Succeeded);
    let def = app.session.definition().clone();
    let id = |n: &str| def.machines[0].by_name[n];
    assert!(app.trace.taken.contains(&(
        0,
        id("Credit applied >= 5000?"),
        id("Auto-approve limit")
    )));
    assert!(!app.trace.taken.contains(&(
        0,
        id("Credit applied >= 5000?"),
        id("Wait for human approval")
    )));
    // Map iterations each take their own path: no edge from one
    // iteration's last state to the next one's first.
    assert!(app.trace.taken.iter().all(|(m, a, b)| *m == 0 || a != b));
    select(&mut app, "Credit applied >= 5000?");
    let t = render(&mut app, 160, 48);
    let buf = t.backend().buffer();
    let s = screen(&t);
    let rows: Vec<&str> = s.lines().collect();
    // The two arrows under the Choice: the taken one (left) is green, the
    // other one muted.
    let y = rows
        .iter()
        .position(|l| l.contains("▼$.credit.amount <"))
        .unwrap();
    let arrows: Vec<u16> = rows[y]
        .chars()
        .enumerate()
        .filter(|(_, c)| *c == '▼')
        .map(|(i, _)| i as u16)
        .collect();
    assert_eq!(arrows.len(), 2, "{}", rows[y]);
    assert_eq!(buf[(arrows[0], y as u16)].fg, app.theme.good.fg.unwrap());
    assert_eq!(buf[(arrows[1], y as u16)].fg, app.theme.muted.fg.unwrap());
}

#[test]
fn g_switches_the_left_pane_between_graph_and_list() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    let s = screen(&render(&mut app, 80, 24));
    assert!(
        s.contains("┌Graph") && s.contains("⚙ Get credit limit"),
        "{s}"
    );
    press(&mut app, "g");
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("┌States") && !s.contains("┌Graph"), "{s}");
    // In the list, ↓ moves row by row.
    code(&mut app, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(selected_name(&app), "Credit applied >= 5000?");
    code(&mut app, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(selected_name(&app), "Auto-approve limit");
}

#[test]
fn a_click_on_a_box_selects_its_state() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    let t = render(&mut app, 80, 24);
    let (x, y) = locate(&t, "◇ Credit applied");
    click(&mut app, x + 3, y);
    assert_eq!(selected_name(&app), "Credit applied >= 5000?");
}

fn click(app: &mut App, column: u16, row: u16) {
    app.update(Action::Mouse(crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }));
}

#[test]
fn clicks_land_on_what_was_drawn_in_a_scrolled_graph_and_list() {
    // The graph scrolled down to a state far from the top: a click on a box
    // drawn there selects that box (the drawing and the hit-test share one
    // layout and one window on the graph).
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    select(&mut app, "Get all scores");
    let t = render(&mut app, 80, 24);
    let (x, y) = locate(&t, "Get list of credit bureaus");
    assert!(y > 8, "the graph is scrolled down");
    click(&mut app, x + 2, y);
    assert_eq!(selected_name(&app), "Get list of credit bureaus");
    // The list, on a screen short enough that it scrolls past its first rows.
    press(&mut app, "g");
    render(&mut app, 80, 12);
    for _ in 0..30 {
        code(&mut app, KeyCode::Down, KeyModifiers::NONE);
    }
    let t = render(&mut app, 80, 12);
    assert!(app.outline_scroll > 0, "the list scrolled");
    let (x, y) = locate(&t, "Verify identity");
    click(&mut app, x + 2, y);
    assert_eq!(selected_name(&app), "Verify identity");
    // A click in the data pane gives it the keyboard.
    click(&mut app, 70, 5);
    assert_eq!(app.focus, super::panes::Focus::Data);
}

#[test]
fn json_panes_scroll_sideways_and_mark_what_is_off_screen() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    press(&mut app, "1>");
    let s = screen(&render(&mut app, 80, 24));
    // 8 columns to the right: `    "firstname"` loses its indent and
    // the line is marked as going on to the left.
    assert!(s.contains("│…tname\": \"Jane\","), "{s}");
    assert!(
        app.message.contains("8 columns to the right"),
        "{}",
        app.message
    );
    press(&mut app, "<");
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("    \"firstname\": \"Jane\","), "{s}");
    let data: String = s
        .lines()
        .map(|l| l.chars().skip(32).collect::<String>())
        .collect();
    assert!(!data.contains('…'), "wrapping again, nothing is cut: {s}");
}

#[test]
fn the_graph_shows_which_map_iteration_runs() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    select(&mut app, "Get all scores");
    press(&mut app, "u");
    assert!(
        app.current_name().starts_with("Get all scores"),
        "{}",
        app.current_name()
    );
    let s = screen(&render(&mut app, 160, 48));
    assert!(s.contains("╭─#0"), "{s}");
    // A breakpoint inside the Map stops at each iteration in turn.
    press(&mut app, "b");
    press(&mut app, "c");
    assert_eq!(app.current_name(), "Get all scores [1] (iteration 2 of 3)");
    let s = screen(&render(&mut app, 160, 48));
    assert!(s.contains("╭─#1"), "{s}");
}

#[test]
fn an_event_picked_in_history_shows_its_state_and_iteration_on_the_graph() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::TrueColor);
    press(&mut app, "c");
    assert_eq!(app.session.moment().status(), Status::Succeeded);
    let i = app
        .session
        .moment()
        .history()
        .iter()
        .position(|e| e.state.as_deref() == Some("Get all scores") && e.frame == [2])
        .unwrap();
    // In the History tab (the data pane has the keyboard), pick the event.
    press(&mut app, "4");
    app.history_selected = Some(i);
    let t = render(&mut app, 160, 48);
    assert!(screen(&t).contains("╭─#2─"), "{}", screen(&t));
    let (x, y) = locate(&t, "⚙ Get all scores");
    assert_eq!(
        t.backend().buffer()[(x, y)].fg,
        app.theme.accent.fg.unwrap()
    );
}

#[test]
fn capital_a_aborts_the_execution_as_stop_execution_does() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    press(&mut app, "ss");
    press(&mut app, "A");
    assert_eq!(app.session.moment().status(), Status::Aborted);
    assert_eq!(
        app.session.moment().history().last().map(|e| e.event_type),
        Some(crate::engine::EventType::ExecutionAborted)
    );
    let s = screen(&render(&mut app, 80, 24));
    assert!(s.contains("ABORTED"), "{s}");
    // Nothing runs after it; r starts over.
    press(&mut app, "s");
    assert!(app.message.contains("r restarts"), "{}", app.message);
    press(&mut app, "r");
    assert_eq!(app.session.moment().status(), Status::Running);
}

#[test]
fn page_keys_in_the_graph_move_by_half_a_pane() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    let _ = render(&mut app, 80, 24);
    code(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
    let after_one = selected_name(&app);
    assert_ne!(after_one, "Get credit limit");
    code(&mut app, KeyCode::End, KeyModifiers::NONE);
    let last = selected_name(&app);
    assert!(
        last == "Get scores from all credit bureaus" || last == "Get all scores",
        "{last}"
    );
    code(&mut app, KeyCode::Home, KeyModifiers::NONE);
    assert_eq!(selected_name(&app), "Get credit limit");
    code(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    assert_eq!(
        selected_name(&app),
        "Get credit limit",
        "nothing above the start"
    );
}

#[test]
fn without_colour_the_graph_still_marks_the_run() {
    let mut app = credit_card("HumanApprovalGranted", ColorMode::None);
    select(&mut app, "Credit applied >= 5000?");
    press(&mut app, "b");
    let s = screen(&render(&mut app, 100, 30));
    assert!(s.contains("│▶⚙ Get credit limit│"), "{s}");
    assert!(s.contains("┌●─"), "the breakpoint on the border: {s}");
    press(&mut app, "c");
    let s = screen(&render(&mut app, 100, 30));
    assert!(s.contains("│•⚙ Get credit limit│"), "{s}");
    assert!(s.contains("│▶◇ Credit applied"), "{s}");
    // The edge into the state about to run is drawn heavy; the ones below
    // it, not taken yet, stay light.
    assert!(s.contains('┃'), "{s}");
    assert!(!s.contains('━'), "{s}");
}

#[test]
fn json_panes_wrap_long_values_whole() {
    let pane = |email: &str, w: u16, h: u16| {
        let mut app = machine(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}),
            json!({"identity": {"email": email}}),
        );
        press(&mut app, "1");
        press(&mut app, "f"); // the data pane takes the whole width
        let t = render(&mut app, w, h);
        let rows: Vec<String> = screen(&t)
            .lines()
            .map(|l| l.trim_matches(|c| c == '│' || c == ' ').to_string())
            .collect();
        let at = rows
            .iter()
            .position(|l| l.contains("\"email\""))
            .expect("the email line is on screen");
        (rows[at].clone(), rows[at..at + 3].join(""))
    };
    let long = format!("jdoe@example.com{}", "-x".repeat(40));
    let (first, joined) = pane(&long, 60, 24);
    assert!(!first.contains(&long), "wider than the pane: {first}");
    assert!(
        joined.contains(&long),
        "wrapped, the value is there whole: {joined}"
    );
    // What fits is on one line.
    let (first, _) = pane("jdoe@example.com", 60, 24);
    assert!(first.contains("\"jdoe@example.com\""), "{first}");
}

#[test]
fn the_message_log_is_bounded() {
    let mut app = machine(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}),
        json!({}),
    );
    for i in 0..super::app::LOG_MAX + 50 {
        app.message = format!("message {i}");
        app.update(Action::Resize(80, 24));
    }
    assert!(app.log.len() <= super::app::LOG_MAX);
    assert_eq!(
        app.log.last().map(String::as_str),
        Some(format!("message {}", super::app::LOG_MAX + 49).as_str())
    );
}

#[test]
fn d_names_no_file_where_files_may_not_be_opened() {
    // As served to a class: App::new lets nobody name files.
    let mut app = credit_card("HumanApprovalGranted", ColorMode::Ansi256);
    press(&mut app, "D");
    assert!(matches!(app.mode, Mode::Normal));
    assert!(
        app.message.starts_with("No history to compare with"),
        "{}",
        app.message
    );
    // Where the user may (the local debugger), D asks for one; a pasted
    // name goes in whole, on one line.
    app.open_files = true;
    press(&mut app, "D");
    assert!(matches!(app.mode, Mode::CompareFile(_)));
    app.update(Action::Paste("/tmp/a b.json\nrest".into()));
    assert!(matches!(&app.mode, Mode::CompareFile(t) if t == "/tmp/a b.json"));
    code(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.message, "Compare: cancelled.");
}

#[test]
fn a_long_watch_shows_its_value_on_the_next_line_and_cuts_with_a_marker() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    press(&mut app, "s");
    let long = "$reduce([1..10000], function($a, $b){{'a': $a}}, 0)";
    app.watches
        .push(crate::debugger::watch::Watch::new(long).unwrap());
    app.tab = Tab::Variables;
    let s = screen(&render(&mut app, 80, 24));
    // The expression takes the row; its value (here why it has none) is
    // on the next, cut with `…`, never pushed out of sight.
    assert!(s.contains("D1001: the result is nested"), "{s}");
    let heading = s.lines().find(|l| l.contains("Watches (w adds")).unwrap();
    assert!(
        heading.trim_end_matches(['│', ' ']).ends_with('…'),
        "{heading}"
    );
    let value_line = s.lines().find(|l| l.contains("D1001")).unwrap();
    assert!(value_line.contains('…'), "{value_line}");
}

#[test]
fn the_variables_tab_pages_down_to_the_end_of_the_context_object() {
    let mut app = credit_card("AutoApproved", ColorMode::None);
    press(&mut app, "s");
    app.tab = Tab::Variables;
    app.focus = super::panes::Focus::Data;
    let first = screen(&render(&mut app, 80, 24));
    // Taller than the pane: End reaches its last line, PgDn no further.
    code(&mut app, KeyCode::End, KeyModifiers::NONE);
    let end = screen(&render(&mut app, 80, 24));
    assert_ne!(end, first);
    assert!(!end.contains("Watches (w adds"), "{end}");
    code(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
    assert_eq!(screen(&render(&mut app, 80, 24)), end);
    // ↑ moves at once: the tab stays on its content.
    code(&mut app, KeyCode::Home, KeyModifiers::NONE);
    assert_eq!(screen(&render(&mut app, 80, 24)), first);
}
