//! Front-end timings (`asldbg bench --ui`): drawing into an off-screen
//! buffer, so the figures measure our code, not a terminal.

use super::app::{Action, App, SLICE};
use super::theme::{ColorMode, Theme};
use super::view;
use crate::asl::value::Val;
use crate::asl::Definition;
use crate::debugger::Session;
use crate::engine::task::{Interactive, MockRunner, TaskRunner};
use crate::engine::Options;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The debugger on the bundled credit-card sample, tasks answered from its
/// mock file's test case `case` (the benchmarks' and the tests' fixture).
pub(crate) fn credit_card_with(case: &str, mode: ColorMode) -> App {
    let s = crate::samples::find("credit-card").expect("bundled");
    let def: serde_json::Value = serde_json::from_str(s.definition).expect("valid");
    let mocks: serde_json::Value = serde_json::from_str(s.mocks.unwrap_or("{}")).expect("valid");
    let runner = MockRunner::from_value(&mocks, "mocks.json", None, case).expect("valid");
    let session = Session::new(
        Arc::new(Definition::from_value(&def).expect("valid")),
        Val::parse(s.input).expect("valid"),
        Box::new(move || {
            Box::new(Interactive {
                inner: Box::new(runner.clone()),
            }) as Box<dyn TaskRunner>
        }),
        Options::default(),
    );
    App::new(
        session,
        "credit-card".into(),
        Theme::load("dark", mode).expect("built in"),
    )
}

fn credit_card() -> App {
    credit_card_with("HumanApprovalGranted", ColorMode::TrueColor)
}

/// The debugger on `def` with `input`, the payload quota lifted, tasks
/// unanswered.
fn app_on(def: serde_json::Value, input: Val, title: &str) -> App {
    let session = Session::new(
        Arc::new(Definition::from_value(&def).expect("valid")),
        input,
        Box::new(|| Box::new(crate::engine::task::NoRunner) as Box<dyn TaskRunner>),
        Options {
            quota: false,
            ..Options::default()
        },
    );
    App::new(
        session,
        title.into(),
        Theme::load("dark", ColorMode::TrueColor).expect("built in"),
    )
}

/// The slowest keystroke (each the best of `runs`) of typing each of
/// `texts` into the lab, from the key to the finished frame.
fn lab_typing(app: &mut App, (w, h): (u16, u16), runs: usize, texts: &[&str]) -> Duration {
    let key = |c: KeyCode, m: KeyModifiers| Action::Key(KeyEvent::new(c, m));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("backend");
    app.update(Action::Resize(w, h));
    app.update(key(KeyCode::Char(':'), KeyModifiers::NONE));
    let mut worst = Duration::ZERO;
    for text in texts {
        // Each key's best time over the runs.
        let mut each = vec![Duration::MAX; text.chars().count()];
        for _ in 0..runs {
            app.update(key(KeyCode::Char('u'), KeyModifiers::CONTROL));
            term.draw(|f| view::draw(f, app)).expect("draw");
            for (i, ch) in text.chars().enumerate() {
                let t = Instant::now();
                app.update(key(KeyCode::Char(ch), KeyModifiers::NONE));
                term.draw(|f| view::draw(f, app)).expect("draw");
                each[i] = each[i].min(t.elapsed());
            }
        }
        worst = worst.max(each.into_iter().max().unwrap_or_default());
    }
    app.update(key(KeyCode::Esc, KeyModifiers::NONE));
    worst
}

fn best(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..runs).map(|_| f()).min().unwrap_or_default()
}

/// (what, best time) for each front-end target.
pub fn run(runs: usize) -> Vec<(String, Duration)> {
    let mut out = Vec::new();
    out.push((
        "first frame, credit-card sample, 80x24 (model + draw)".into(),
        best(runs, || {
            let t = Instant::now();
            let app = credit_card();
            let mut term = Terminal::new(TestBackend::new(80, 24)).expect("backend");
            term.draw(|f| view::draw(f, &app)).expect("draw");
            t.elapsed()
        }),
    ));
    out.push((
        "keypress (s) to finished frame, 160x48".into(),
        best(runs, || {
            let mut app = credit_card();
            let mut term = Terminal::new(TestBackend::new(160, 48)).expect("backend");
            term.draw(|f| view::draw(f, &app)).expect("draw");
            let t = Instant::now();
            app.update(Action::Key(KeyEvent::new(
                KeyCode::Char('s'),
                KeyModifiers::NONE,
            )));
            term.draw(|f| view::draw(f, &app)).expect("draw");
            t.elapsed()
        }),
    ));
    // Edit-and-continue: the definition file read again, validated, laid
    // out, and the run re-executed to the moment shown (here its end),
    // then drawn.
    let file = std::env::temp_dir().join(format!("asldbg-bench-{}.asl.json", std::process::id()));
    let sample = crate::samples::find("credit-card").expect("bundled");
    std::fs::write(&file, sample.definition).expect("a temporary file");
    let path = file.to_string_lossy().into_owned();
    out.push((
        "reload the credit-card definition file + re-run to its last moment, to its frame".into(),
        best(runs, || {
            let mut app = credit_card();
            app.definition_file = Some(super::reload::DefinitionFile::new(
                &path,
                Default::default(),
                "",
            ));
            app.session.continue_run();
            app.session.run_all();
            let mut term = Terminal::new(TestBackend::new(120, 40)).expect("backend");
            term.draw(|f| view::draw(f, &app)).expect("draw");
            let end = app.session.moment().history().len();
            let t = Instant::now();
            app.update(Action::Key(KeyEvent::new(
                KeyCode::Char('R'),
                KeyModifiers::NONE,
            )));
            term.draw(|f| view::draw(f, &app)).expect("draw");
            let took = t.elapsed();
            assert_eq!(app.session.moment().history().len(), end, "{}", app.message);
            took
        }),
    ));
    let _ = std::fs::remove_file(&file);
    // The state graph of a 200-state machine: layout once, then its text.
    let big = Definition::from_value(&crate::graph::big_machine(200)).expect("valid");
    out.push((
        "graph layout, 200 states".into(),
        best(runs, || {
            let t = Instant::now();
            let l = crate::graph::layout(&big, 0, crate::graph::Names::Screen);
            std::hint::black_box(&l);
            t.elapsed()
        }),
    ));
    let huge = Definition::from_value(&crate::graph::big_machine(1000)).expect("valid");
    out.push((
        "graph layout + text, 1000 states".into(),
        best(runs, || {
            let t = Instant::now();
            let l = crate::graph::layout(&huge, 0, crate::graph::Names::Screen);
            std::hint::black_box(crate::graph::text::render(&l));
            t.elapsed()
        }),
    ));
    let giant = Definition::from_value(&crate::graph::big_machine(10_000)).expect("valid");
    out.push((
        "graph layout + text, 10,000 states".into(),
        best(runs.min(3), || {
            let t = Instant::now();
            let l = crate::graph::layout(&giant, 0, crate::graph::Names::Screen);
            std::hint::black_box(crate::graph::text::render(&l));
            t.elapsed()
        }),
    ));
    // 1 MB pasted into the editor (bracketed paste: one event), then the frame.
    let pasted: String = {
        let line = "{\"id\": 12345, \"name\": \"a pasted record\", \"tags\": [\"x\", \"y\"]},\n";
        let mut s = String::from("[\n");
        while s.len() < 1 << 20 {
            s.push_str(line);
        }
        s.push_str("{}]\n");
        s
    };
    out.push((
        "1 MB pasted into the editor to finished frame, 160x48".into(),
        best(runs.min(5), || {
            let mut app = credit_card();
            let mut term = Terminal::new(TestBackend::new(160, 48)).expect("backend");
            app.update(Action::Resize(160, 48));
            app.update(Action::Key(KeyEvent::new(
                KeyCode::Char('e'),
                KeyModifiers::NONE,
            )));
            term.draw(|f| view::draw(f, &app)).expect("draw");
            let t = Instant::now();
            app.update(Action::Paste(pasted.clone()));
            term.draw(|f| view::draw(f, &app)).expect("draw");
            t.elapsed()
        }),
    ));
    let l = crate::graph::layout(&big, 0, crate::graph::Names::Screen);
    out.push((
        "graph text rendering, 200 states (whole drawing)".into(),
        best(runs, || {
            let t = Instant::now();
            std::hint::black_box(crate::graph::text::render(&l));
            t.elapsed()
        }),
    ));
    // The graph pane of a 200-state machine, with the keyboard (the widest
    // pane), after a step: what every frame pays while the graph is shown.
    let session = Session::new(
        Arc::new(big),
        serde_json::json!({"again": false}).into(),
        Box::new(|| Box::new(crate::engine::task::NoRunner) as Box<dyn TaskRunner>),
        Options::default(),
    );
    let mut app = App::new(
        session,
        "200 states".into(),
        Theme::load("dark", ColorMode::TrueColor).expect("built in"),
    );
    for _ in 0..50 {
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::NONE,
        )));
    }
    let mut term = Terminal::new(TestBackend::new(160, 48)).expect("backend");
    app.update(Action::Resize(160, 48));
    term.draw(|f| view::draw(f, &app)).expect("draw");
    out.push((
        "graph pane redraw, 200 states, 160x48 (marks, taken edges)".into(),
        best(runs, || {
            let t = Instant::now();
            term.draw(|f| view::draw(f, &app)).expect("draw");
            t.elapsed()
        }),
    ));
    out.push((
        "graph pane: arrow key to finished frame, 200 states".into(),
        best(runs, || {
            let t = Instant::now();
            app.update(Action::Key(KeyEvent::new(
                KeyCode::Down,
                KeyModifiers::NONE,
            )));
            term.draw(|f| view::draw(f, &app)).expect("draw");
            t.elapsed()
        }),
    ));
    out.push((
        "graph: collapse + expand a container, credit-card (re-layout, 2 frames)".into(),
        best(runs, || {
            let mut app = credit_card();
            let mut term = Terminal::new(TestBackend::new(160, 48)).expect("backend");
            term.draw(|f| view::draw(f, &app)).expect("draw");
            let par = app
                .rows
                .iter()
                .position(|r| r.type_name == "Parallel")
                .expect("the sample has a Parallel");
            app.selected = par;
            let t = Instant::now();
            for _ in 0..2 {
                app.update(Action::Key(KeyEvent::new(
                    KeyCode::Enter,
                    KeyModifiers::NONE,
                )));
                term.draw(|f| view::draw(f, &app)).expect("draw");
            }
            t.elapsed()
        }),
    ));
    // The expression lab: every keystroke of typing an expression (the
    // text evaluated against the moment, the frame drawn).
    let mut app = credit_card();
    out.push((
        "lab: keystroke to finished frame, credit-card, 80x24 (worst key of a path, an intrinsic, JSONata)".into(),
        lab_typing(&mut app, (80, 24), runs, &[
            "$.data.identity.email",
            "States.Format('{} {}', $.data.firstname, $.data.lastname)",
            "{% $states.input.data.firstname & ' ' & $states.input.data.lastname %}",
        ]),
    ));
    // A 5 MB document in the input pane.
    let mut app = app_on(
        serde_json::json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}),
        large_payload(5 * 1024 * 1024),
        "5 MB",
    );
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("backend");
    let t = Instant::now();
    term.draw(|f| view::draw(f, &app)).expect("draw");
    out.push((
        "first draw of a 5 MB document, 200x50 (pretty-prints once)".into(),
        t.elapsed(),
    ));
    out.push((
        "redraw, 200x50, 5 MB document loaded".into(),
        best(runs, || {
            let t = Instant::now();
            term.draw(|f| view::draw(f, &app)).expect("draw");
            t.elapsed()
        }),
    ));
    out.push((
        "lab: keystroke to finished frame, 5 MB input, 200x50 (worst key of a path, a filter, JSONata)".into(),
        lab_typing(&mut app, (200, 50), runs, &[
            "$.payload.records[7].name",
            "$.payload.records[?(@.id == 3)].nested",
            "{% $count($states.input.payload.records) %}",
        ]),
    ));
    // The value viewer on that 5 MB document: Enter in the Input pane.
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('1'),
        KeyModifiers::NONE,
    )));
    out.push((
        "viewer: Enter on a 5 MB value to its first frame, 200x50".into(),
        best(runs, || {
            let t = Instant::now();
            app.update(Action::Key(KeyEvent::new(
                KeyCode::Enter,
                KeyModifiers::NONE,
            )));
            term.draw(|f| view::draw(f, &app)).expect("draw");
            let took = t.elapsed();
            app.update(Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
            took
        }),
    ));
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    let mut worst = Duration::ZERO;
    for k in [
        KeyCode::PageDown,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::End,
    ] {
        let took = best(runs, || {
            let t = Instant::now();
            app.update(Action::Key(KeyEvent::new(k, KeyModifiers::NONE)));
            term.draw(|f| view::draw(f, &app)).expect("draw");
            t.elapsed()
        });
        worst = worst.max(took);
    }
    out.push((
        "viewer: scroll/fold key to finished frame, 5 MB value (worst of pgdn, ↓, ←, end)".into(),
        worst,
    ));
    // The Stages pipeline of a state that changes the last of 5,000 records
    // of a 1 MB input (JSONata copies the whole value, so no sub-tree is
    // shared and every record is compared): the structural diff of a 1 MB
    // stage pair, then the frame.
    let mut app = app_on(
        serde_json::json!({"QueryLanguage": "JSONata",
        "StartAt": "A", "States": {"A": {"Type": "Pass",
        "Output": "{% $states.input ~> |payload.records[-1]|{'flag': 'changed'}| %}",
        "End": true}}}),
        large_payload(1024 * 1024),
        "1 MB",
    );
    app.update(Action::Resize(200, 50));
    for c in ['s', '3'] {
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
    out.push((
        "Stages: diff of a 1 MB stage pair + first frame, 200x50".into(),
        best(runs, || {
            app.generation += 1; // drop the cached pipeline
            let t = Instant::now();
            term.draw(|f| view::draw(f, &app)).expect("draw");
            t.elapsed()
        }),
    ));
    // Continue through 100,000 transitions: the longest slice is the
    // longest a pause key can wait.
    let def = Definition::from_value(
        &serde_json::json!({"StartAt": "L", "States": {"L": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "E"}], "Default": "L"},
            "E": {"Type": "Succeed"}}}),
    )
    .expect("valid");
    let session = Session::new(
        Arc::new(def),
        Val::empty_obj(),
        Box::new(|| Box::new(crate::engine::task::NoRunner) as Box<dyn TaskRunner>),
        Options {
            max_events: 200_001,
            ..Options::default()
        },
    );
    let mut app = App::new(
        session,
        "loop".into(),
        Theme::load("dark", ColorMode::TrueColor).expect("built in"),
    );
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::NONE,
    )));
    let mut worst = Duration::ZERO;
    let start = Instant::now();
    while app.session.is_running() {
        let t = Instant::now();
        app.update(Action::Tick);
        worst = worst.max(t.elapsed());
    }
    out.push((
        format!("continue over 100,000 transitions ({SLICE} engine steps a slice): whole run"),
        start.elapsed(),
    ));
    out.push((
        "continue: longest slice = worst wait for the pause key".into(),
        worst,
    ));
    // Going back in time on that run: one event back from its end, and a
    // jump to its middle (replayed from the start, then drawn).
    let events = app.session.moment().history().len();
    let t = Instant::now();
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('['),
        KeyModifiers::NONE,
    )));
    term.draw(|f| view::draw(f, &app)).expect("draw");
    out.push((
        format!("step back one event at the end of that run ({events} events), to its frame"),
        t.elapsed(),
    ));
    let t = Instant::now();
    app.session.travel_to_event(events / 2);
    term.draw(|f| view::draw(f, &app)).expect("draw");
    out.push((
        format!("jump to event {} of that run, to its frame", events / 2),
        t.elapsed(),
    ));
    out
}

/// Memory figures (bytes): what going back in time keeps. Counted by the
/// binary's allocator (0 elsewhere).
pub fn memory() -> Vec<(String, usize)> {
    let def = Arc::new(
        Definition::from_value(
            &serde_json::json!({"StartAt": "L", "States": {"L": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "E"}], "Default": "L"},
            "E": {"Type": "Succeed"}}}),
        )
        .expect("valid"),
    );
    let run = |every: u64| {
        crate::alloc::live_bytes_of(|| {
            let mut s = Session::new(
                def.clone(),
                Val::empty_obj(),
                Box::new(|| Box::new(crate::engine::task::NoRunner) as Box<dyn TaskRunner>),
                Options {
                    max_events: 200_001,
                    ..Options::default()
                },
            );
            s.set_snapshot_every(every);
            s.continue_run();
            s.run_all();
            s
        })
    };
    let (plain, without) = run(u64::MAX);
    let (snapped, with) = run(crate::debugger::SNAPSHOT_EVERY);
    let events = plain.moment().history().len();
    drop((plain, snapped));
    vec![
        (
            format!(
                "a 100,000-transition run kept by the debugger ({events} events, no snapshots)"
            ),
            without,
        ),
        (
            format!(
                "its snapshots (every {} engine steps): target <= the run's own",
                crate::debugger::SNAPSHOT_EVERY
            ),
            with.saturating_sub(without),
        ),
    ]
}

/// A document of about `bytes` in the shape of the benchmark's 5 MB input
/// (records of id, name, vals, flag, nested), from a fixed seed: the
/// viewer's timings here use it, and `asldbg bench` when `gen.py`'s file is
/// not there.
pub fn large_payload(bytes: usize) -> Val {
    use crate::asl::intrinsics::Random;
    let mut rng = crate::engine::Rng::seeded(42);
    let mut recs = Vec::new();
    let mut size = 0;
    let letters: Vec<char> = ('a'..='z').chain('A'..='Z').collect();
    let word = |rng: &mut crate::engine::Rng, n: usize, set: usize| -> String {
        (0..n)
            .map(|_| letters[(rng.next_u64() % set as u64) as usize])
            .collect()
    };
    while size < bytes {
        let r = serde_json::json!({
            "id": recs.len(),
            "name": word(&mut rng, 24, 52),
            "vals": (0..8).map(|_| rng.next_u64() % 1_000_001).collect::<Vec<_>>(),
            "flag": rng.next_u64().is_multiple_of(2),
            "nested": {"a": crate::asl::json::num_f64((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64), "b": word(&mut rng, 16, 26)}
        });
        size += serde_json::to_string(&r).map(|s| s.len()).unwrap_or(0) + 1;
        recs.push(r);
    }
    Val::from(serde_json::json!({"payload": {"records": recs}}))
}
