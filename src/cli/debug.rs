//! The debugger (`asldbg FILE`), and the debugger on a recorded history (`--replay`).

use super::args::*;
use super::common::*;
use super::replay::{is_history, replay_setup};
use asldbg::asl::value::Val;
use asldbg::asl::{self, Loaded};
use asldbg::engine::task::TaskRunner;
use asldbg::errln;
use std::process::ExitCode;
use std::sync::Arc;

/// `asldbg [FILE]`: the terminal debugger.
pub(crate) fn debug(args: DebugArgs) -> ExitCode {
    use asldbg::debugger::Session;
    use asldbg::tui::{app::App, theme};
    if let Some(history) = &args.definition {
        if args.replay_definition.is_some() || args.execution.is_some() {
            return debug_replay(&args, history);
        }
    }
    // Which definition: a file, a named sample, or one picked from the list.
    let sample = match (&args.definition, &args.sample) {
        (Some(_), _) => None,
        (None, Some(n)) => match asldbg::samples::find(n) {
            Some(s) => Some(s),
            None => return fail2(format!("no sample named '{n}' (see `asldbg samples`)")),
        },
        (None, None) => {
            let items: Vec<(String, String)> = asldbg::samples::SAMPLES
                .iter()
                .map(|s| (s.name.to_string(), s.description.to_string()))
                .collect();
            match asldbg::tui::pick(&items, asldbg::tui::glyphs::Glyphs::detect(args.ascii)) {
                Ok(Some(i)) => Some(&asldbg::samples::SAMPLES[i]),
                Ok(None) => return ExitCode::SUCCESS,
                Err(e) => return fail2(e),
            }
        }
    };
    let mut open_opts = match args.exec.source.options(args.exec.express(), false) {
        Ok(o) => o,
        Err(e) => return fail2(e),
    };
    // A template with several machines: the user picks one, as from the samples.
    if let Some(f) = &args.definition {
        let machines = asl::machines_to_pick(f, &open_opts);
        if !machines.is_empty() {
            let names: Vec<&str> = machines.iter().map(|(n, _)| n.as_str()).collect();
            match asldbg::tui::pick_from(
                &machines,
                &format!(
                    " {} — pick a state machine (↑/↓, Enter, q) ",
                    std::path::Path::new(f)
                        .file_name()
                        .map_or(f.clone(), |n| n.to_string_lossy().into_owned())
                ),
                &format!(
                    "{f} holds {} state machines: pick one with --machine NAME ({})",
                    machines.len(),
                    names.join(", ")
                ),
                asldbg::tui::glyphs::Glyphs::detect(args.ascii),
            ) {
                Ok(Some(i)) => open_opts.machine = Some(machines[i].0.clone()),
                Ok(None) => return ExitCode::SUCCESS,
                Err(e) => return fail2(e),
            }
        }
    }
    let (label, loaded) = match (&args.definition, sample) {
        (Some(f), _) => (f.clone(), asl::load(f, &open_opts)),
        (None, Some(s)) => {
            let label = format!("sample {}", s.name);
            let loaded = match asl::parse_document(s.definition, &format!("{}.asl.json", s.name)) {
                Err(e) => Loaded::Unreadable(e),
                Ok(doc) => asl::open(&label, doc, &open_opts),
            };
            (label, loaded)
        }
        (None, None) => unreachable!("a sample was chosen above"),
    };
    let opened = match loaded {
        Loaded::Ok(o) => *o,
        Loaded::Unreadable(e) => return fail2(e),
        // Not a definition: perhaps a history given without its definition
        // (looked at only now, so that a definition is read once).
        Loaded::Invalid(_)
            if args
                .definition
                .as_deref()
                .is_some_and(|f| asl::read_document(f).is_ok_and(|d| is_history(&d.value))) =>
        {
            // Its definition may be saved beside it (what the AWS CLI
            // printed); if not, replay says what to pass.
            return debug_replay(&args, &label);
        }
        Loaded::Invalid(errs) => {
            for e in errs {
                errln!("asldbg: {e}");
            }
            return ExitCode::from(2);
        }
    };
    if !args.children.is_empty() {
        return fail2("--children goes with a recorded history to replay: asldbg HISTORY --definition DEF --children DIR");
    }
    let mut to_say = said(&opened);
    // What the mock file leaves unused or unanswered, said on load.
    if let Some(f) = &args.exec.mocks {
        if let Ok(doc) = asl::read_document(f) {
            let found = mock_warnings(f, &doc, &opened, args.exec.name.as_deref());
            to_say.extend(found.into_iter().map(|w| format!("warning: {w}")));
        }
    }
    // A file is watched: when it changes the debugger runs the new one.
    let watched = args
        .definition
        .as_ref()
        .map(|f| asldbg::tui::reload::DefinitionFile::new(f, open_opts.clone(), &opened.prefix));
    let names = opened.mock_names();
    let def = opened.definition;
    let input = match (&args.exec.input, sample) {
        (Some(f), _) => match read_input(f, !args.no_quota) {
            Ok(v) => v,
            Err(e) => return fail2(e),
        },
        (None, Some(s)) => Val::parse(s.input).unwrap_or_else(|_| Val::empty_obj()),
        (None, None) => Val::empty_obj(),
    };
    let mocks_doc = match (&args.exec.mocks, sample.and_then(|s| s.mocks)) {
        (Some(f), _) => match asl::read_document(f) {
            Ok(d) => Some((f.clone(), d)),
            Err(e) => return fail2(e),
        },
        (None, Some(text)) => asl::parse_document(text, "mocks.json")
            .ok()
            .map(|d| ("mocks.json".to_string(), d)),
        (None, None) => None,
    };
    let case = sample.and_then(|s| s.test_case);
    let DebugRunner {
        factory: runner,
        background,
        task_source,
    } = match debug_runner(&args.exec, &names, mocks_doc, case) {
        Ok(r) => r,
        Err(e) => return fail2(e),
    };
    let mut opts = match args.exec.options() {
        Ok(o) => o,
        Err(e) => return fail2(e),
    };
    opts.express |= opened.express;
    if args.exec.name.is_none() {
        if let Some(m) = names.first() {
            opts.state_machine_name = m.to_string();
        }
    }
    if args.no_quota {
        opts.quota = false;
        opts.max_events = asldbg::engine::EVENTS_WITHOUT_QUOTA;
    }
    let theme = match theme::Theme::load(&args.theme, theme::ColorMode::detect()) {
        Ok(t) => t,
        Err(e) => return fail2(e),
    };
    let coverage = match &args.coverage {
        Some(file) => {
            let of = args.definition.as_deref().unwrap_or_default();
            match super::test::coverage_of(file, of) {
                Ok(report) => Some(report),
                Err(e) => return fail2(e),
            }
        }
        None => None,
    };
    let session = Session::new(Arc::new(def), input, runner, opts);
    let mut app = App::new(session, label, theme);
    app.coverage = coverage.as_ref().map(|report| {
        (
            asldbg::testing::coverage::marks(app.session.definition(), report),
            super::test::coverage_legend(report)
                .pop()
                .unwrap_or_default(),
        )
    });
    app.coverage_report = coverage;
    app.definition_file = watched;
    app.open_files = true;
    if let Some(file) = &args.compare {
        if let Err(e) = app.load_compare(file) {
            return fail2(e);
        }
    }
    app.mouse = !args.no_mouse;
    app.glyphs = asldbg::tui::glyphs::Glyphs::detect(args.ascii);
    app.background = background;
    app.task_source = task_source;
    // A sample's lesson, or a lesson.md beside the definition.
    app.lesson = match (sample, &args.definition) {
        (Some(s), _) => Some(s.lesson.to_string()),
        (None, Some(f)) => std::path::Path::new(f)
            .parent()
            .and_then(|d| std::fs::read_to_string(d.join("lesson.md")).ok()),
        _ => None,
    };
    if app.lesson.is_some() {
        app.message = "Ready: L shows the lesson, s steps, c continues, ? shows every key.".into();
    }
    // A sample's exercises, or an exercises.yaml beside the definition
    // that is about this definition.
    let exercises = match (sample, &args.definition) {
        (Some(s), _) => asldbg::testing::exercises::Lesson::of_sample(s),
        (None, Some(f)) => lesson_beside(f),
        _ => None,
    };
    match exercises {
        Some(Ok(l)) => {
            app.course = Some(Box::new(asldbg::tui::exercise::Course::new(
                std::sync::Arc::new(l),
                Default::default(),
            )));
            app.message = "Ready: L shows the lesson, X an exercise, s steps, ? every key.".into();
        }
        Some(Err(errs)) => {
            app.message = format!(
                "The lesson's exercises do not load ({} problem{}, listed on exit): {}",
                errs.len(),
                if errs.len() == 1 { "" } else { "s" },
                errs[0]
            );
            to_say.extend(errs.iter().map(|e| e.to_string()));
            app.log.extend(errs.iter().map(|e| e.to_string()));
        }
        None => {}
    }
    // What the file said that does not stop a run: the first warning (or
    // note) on the status line, all of them on the way out.
    if let Some(w) = opened.warnings.first() {
        app.message = format!(
            "warning ({} in all, listed on exit): {w}",
            opened.warnings.len()
        );
    } else if let Some(n) = opened.notes.first() {
        app.message = format!("note ({} in all, listed on exit): {n}", opened.notes.len());
    }
    if let Some(file) = &args.session {
        app.session_file = Some(file.clone());
        if std::path::Path::new(file).exists() {
            let doc = match asl::read_document(file) {
                Ok(d) => d,
                Err(e) => return fail2(e),
            };
            let restored = match asldbg::debugger::saved::restore(&mut app.session, &doc.value) {
                Ok(r) => r,
                Err(e) => return fail2(asldbg::debugger::saved::positioned(file, &doc, &e)),
            };
            let mut gone = restored.gone;
            let keep = restored
                .lab
                .len()
                .saturating_sub(asldbg::tui::lab::HISTORY_MAX);
            app.lab_history = restored.lab[keep..].to_vec();
            if let (Some(c), Some(p)) = (app.course.as_mut(), doc.value.get("exercises")) {
                c.progress = asldbg::testing::exercises::Progress::from_json(p);
                c.progress.current = c
                    .progress
                    .current
                    .min(c.lesson.exercises.len().saturating_sub(1));
            }
            for w in restored.watches {
                match asldbg::debugger::watch::Watch::new(&w) {
                    Ok(w) => app.watches.push(w),
                    Err(e) => gone.push(format!("watch {w}: {e}")),
                }
            }
            app.absorb_history();
            app.message = match gone.len() {
                0 => format!(
                    "Session {file} restored at event {}.",
                    app.session.moment().history().len()
                ),
                n => format!(
                    "No longer in the definition: {} ({n} in all, listed on exit); session {file} restored.",
                    gone[0]
                ),
            };
            to_say.extend(
                gone.iter()
                    .map(|g| format!("{file}: no longer in the definition: {g}")),
            );
        }
    }
    // The selection (and the graph with it) on the state the restored
    // session is at.
    app.absorb_history();
    app.follow_current();
    app.session_saved();
    let ran = asldbg::tui::run_with(app);
    for line in &to_say {
        errln!("asldbg: {line}");
    }
    match ran {
        Ok(app) => {
            if let Some(file) = &args.save_history {
                let doc = asldbg::engine::history::export(app.session.moment().history());
                if let Err(e) =
                    std::fs::write(file, serde_json::to_string_pretty(&doc).unwrap_or_default())
                {
                    return fail2(format!("{file}: {e}"));
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail2(e),
    }
}

/// `asldbg HISTORY --definition DEF`: the debugger on a recorded execution,
/// its tasks answered as recorded; the status line says whether (and where)
/// the local run parts from the recording.
pub(crate) fn debug_replay(args: &DebugArgs, history: &str) -> ExitCode {
    use asldbg::debugger::Session;
    use asldbg::tui::{app::App, theme};
    let setup = match replay_setup(
        history,
        args.replay_definition.as_deref(),
        args.execution.as_deref(),
        &args.children,
        &args.exec.source,
    ) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let theme = match theme::Theme::load(&args.theme, theme::ColorMode::detect()) {
        Ok(t) => t,
        Err(e) => return fail2(e),
    };
    let opts = setup.options();
    let def = Arc::new(setup.opened.definition);
    // Where the local run parts from the recording, found headless first.
    let report = asldbg::replay::replay(def.clone(), &setup.rec, opts.clone());
    let short = std::path::Path::new(history)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| history.to_string());
    let message = match &report.divergence {
        None => format!(
            "Replaying {short}: the local run reproduces all {} recorded events. s steps, c continues, D compares.",
            report.recorded
        ),
        Some(d) => {
            let what = asldbg::replay::compare::describe;
            let differs = if d.fields.is_empty() {
                String::new()
            } else {
                format!(" (differs in {})", d.fields.join(", "))
            };
            format!(
                "Diverges at event {}: AWS {}, here {}{differs}; replaying {short} (D compares, at any moment)",
                d.event_id,
                what(&d.expected),
                what(&d.got)
            )
        }
    };
    let answers = asldbg::replay::answers::Answers::new(asldbg::replay::answers::calls(&setup.rec));
    let runner: asldbg::debugger::RunnerFactory = Box::new(move || {
        Box::new(asldbg::engine::task::Interactive {
            inner: Box::new(answers.clone()),
        }) as Box<dyn TaskRunner>
    });
    let input = Val::from(setup.rec.input());
    let session = Session::new(def, input, runner, opts);
    let mut app = App::new(session, format!("{history} on {}", setup.label), theme);
    app.mouse = !args.no_mouse;
    app.glyphs = asldbg::tui::glyphs::Glyphs::detect(args.ascii);
    app.task_source = format!("{history} has no recorded answer for it");
    app.message = message;
    app.open_files = true;
    app.compare = Some(asldbg::debugger::compare::Against {
        rec: setup.rec,
        label: short,
    });
    if let Some(file) = &args.compare {
        if let Err(e) = app.load_compare(file) {
            return fail2(e);
        }
    }
    match asldbg::tui::run(app) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail2(e),
    }
}

/// The exercises in the folder of definition file `f`, when they are about
/// it (their `definition` is this file's machine).
fn lesson_beside(
    f: &str,
) -> Option<Result<asldbg::testing::exercises::Lesson, Vec<asl::LoadError>>> {
    use asldbg::testing::exercises::{Lesson, FILE};
    let dir = std::path::Path::new(f)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !dir.join(FILE).is_file() {
        return None;
    }
    let lesson = Lesson::load_dir(dir);
    if let Ok(l) = &lesson {
        let this = asl::read_document(f).ok()?;
        if !asldbg::asl::json::value_eq(&this.value, &l.base.definition) {
            return None;
        }
    }
    Some(lesson)
}
