//! `asldbg validate` and `asldbg run`.

use super::args::*;
use super::common::*;
use asldbg::asl::value::Val;
use asldbg::asl::{self, Loaded};
use asldbg::engine::{Execution, Status};
use asldbg::outln;
use serde_json::{json, Value};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) fn validate(file: &str, source: &SourceArgs, express: bool) -> ExitCode {
    let opts = match source.options(express, true) {
        Ok(o) => o,
        Err(e) => return fail2(e),
    };
    // A template with several machines: each one is checked.
    let machines = asl::machines_to_pick(file, &opts);
    if !machines.is_empty() {
        let names: Vec<String> = machines.into_iter().map(|(n, _)| n).collect();
        let mut worst = ExitCode::SUCCESS;
        for loaded in asl::load_each(file, &opts, &names) {
            let code = validate_one(file, loaded);
            if code != ExitCode::SUCCESS && worst == ExitCode::SUCCESS {
                worst = code;
            }
        }
        return worst;
    }
    validate_one(file, asl::load(file, &opts))
}

fn validate_one(file: &str, loaded: Loaded) -> ExitCode {
    match loaded {
        Loaded::Ok(o) => {
            for line in said(&o) {
                outln!("{line}");
            }
            let n: usize = o.definition.machines.iter().map(|m| m.states.len()).sum();
            let which = o
                .machine
                .as_deref()
                .map(|m| format!(" state machine {m}"))
                .unwrap_or_default();
            let warned = match o.warnings.len() {
                0 => String::new(),
                1 => ", 1 warning".into(),
                k => format!(", {k} warnings"),
            };
            let states = if n == 1 { "state" } else { "states" };
            outln!("{file}:{which} valid ({n} {states}{warned})");
            ExitCode::SUCCESS
        }
        Loaded::Unreadable(e) => fail2(e),
        Loaded::Invalid(errs) => {
            for e in &errs {
                outln!("{e}");
            }
            outln!("{file}: {} problem(s)", errs.len());
            ExitCode::from(1)
        }
    }
}

/// The first iteration of a Map that failed and was not caught: its index,
/// state, error and cause (`{"iteration", "state", "error", "cause"}`).
fn first_failed_iteration(stages: &[asldbg::engine::StageRecord]) -> Option<Value> {
    let r = stages
        .iter()
        .find(|r| !r.frame.is_empty() && r.error.is_some() && r.caught_by.is_none())?;
    let e = r.error.as_ref()?;
    Some(json!({
        "iteration": r.frame.first().copied(),
        "state": r.state,
        "error": e.name(),
        "cause": e.cause(),
    }))
}

pub(crate) fn run(args: RunArgs) -> ExitCode {
    let RunArgs {
        definition,
        exec,
        no_quota,
        format,
        events,
        graph,
        verbose,
    } = args;
    let file = definition.as_str();
    let opened = match load_quietly_or_exit(file, &exec.source, exec.express(), verbose) {
        Ok(d) => d,
        Err(code) => return code,
    };
    if let Some(f) = &exec.mocks {
        if let Ok(doc) = asl::read_document(f) {
            for w in mock_warnings(f, &doc, &opened, exec.name.as_deref()) {
                asldbg::errln!("asldbg: warning: {w}");
            }
        }
    }
    let names = opened.mock_names();
    let def = opened.definition;
    let input = match exec.input.as_deref() {
        None => Val::empty_obj(),
        Some(f) => match read_input(f, !no_quota) {
            Ok(v) => v,
            Err(e) => return fail2(e),
        },
    };
    let runner = match build_runner(&exec, &names, None) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut opts = match exec.options() {
        Ok(o) => o,
        Err(e) => return fail2(e),
    };
    opts.express |= opened.express;
    if exec.name.is_none() {
        if let Some(m) = names.first() {
            opts.state_machine_name = m.to_string();
        }
    }
    opts.quota = !no_quota;
    // The JSON report needs the history only for its events and the graph
    // (the text report prints the path it took).
    opts.record_history = events || graph || !matches!(format, Format::Json);
    if no_quota {
        opts.max_events = asldbg::engine::EVENTS_WITHOUT_QUOTA;
    }
    let def = Arc::new(def);
    // Kept for a second run that records what the first did not (below).
    // Never when a local command answers tasks: it would run twice.
    let again = (!opts.record_history && exec.task_command.is_none())
        .then(|| (input.clone(), opts.clone()));
    let mut ex = Execution::new(def.clone(), input, runner, opts);
    let status = ex.run();
    let drawing = graph.then(|| {
        let mut trace = asldbg::debugger::trace::Trace::default();
        trace.absorb(&def, ex.history());
        trace.absorb_children(&def, ex.child_events());
        let drawn = asldbg::graph::text::render(&asldbg::graph::layout(
            &def,
            0,
            asldbg::graph::Names::Whole,
        ));
        asldbg::graph::text::with_marks(&drawn, &trace)
    });
    let (error, cause) = ex
        .error()
        .map(|e| (json!(e.name()), json!(e.cause())))
        .unwrap_or((Value::Null, Value::Null));
    // A Distributed Map that failed past its tolerance: why its first
    // iteration failed (the Map's own error says only that too many did).
    let first_failed = if error == "States.ExceedToleratedFailureThreshold" {
        match again {
            // The same run again, recording its stages this time: the
            // engine is deterministic, so it fails the same way.
            Some((input, mut o)) => {
                o.record_history = true;
                match build_runner(&exec, &names, None) {
                    Ok(runner) => {
                        let mut second = Execution::new(def.clone(), input, runner, o);
                        second.run();
                        first_failed_iteration(second.stages())
                    }
                    Err(_) => None,
                }
            }
            None => first_failed_iteration(ex.stages()),
        }
    } else {
        None
    };
    match format {
        Format::Json => {
            /// The report, serialised straight from the engine's values (the
            /// output is not copied into another tree first).
            #[derive(serde::Serialize)]
            struct Report<'a> {
                status: &'a str,
                output: Option<&'a Val>,
                error: Value,
                cause: Value,
                #[serde(
                    skip_serializing_if = "Option::is_none",
                    rename = "firstFailedIteration"
                )]
                first_failed: Option<Value>,
                #[serde(skip_serializing_if = "Option::is_none")]
                events: Option<Vec<Value>>,
                #[serde(skip_serializing_if = "Option::is_none")]
                graph: Option<&'a Vec<String>>,
            }
            let report = Report {
                status: status.as_str(),
                output: ex.output(),
                error,
                cause,
                first_failed: first_failed.clone(),
                events: events.then(|| ex.history().iter().map(|e| e.to_json()).collect()),
                graph: drawing.as_ref(),
            };
            asldbg::output::out_json_pretty(&report);
        }
        Format::Text => {
            outln!("status: {}", status.as_str());
            let path = asldbg::engine::history::states_entered(ex.history());
            outln!("path: {}", path.join(" → "));
            if let Some(e) = ex.error() {
                outln!("error: {}", e.name().unwrap_or("(none given)"));
                outln!("cause: {}", e.cause().unwrap_or("(none given)"));
            }
            if let Some(f) = &first_failed {
                outln!(
                    "first failed iteration: [{}] at {}: {}: {}",
                    f["iteration"],
                    f["state"].as_str().unwrap_or("?"),
                    f["error"].as_str().unwrap_or("(none given)"),
                    f["cause"].as_str().unwrap_or("(none given)")
                );
            }
            if let Some(o) = ex.output() {
                outln!(
                    "output:\n{}",
                    serde_json::to_string_pretty(o).unwrap_or_default()
                );
            }
            if let Some(lines) = &drawing {
                outln!("graph:");
                for l in lines {
                    outln!("{l}");
                }
            }
            if events {
                outln!("events:");
                for e in ex.history() {
                    outln!(
                        "{}",
                        serde_json::to_string(&e.to_json()).unwrap_or_default()
                    );
                }
            }
        }
    }
    // The process ends here: its memory goes back to the system at once,
    // without walking the definition, the values and the history to free
    // them one by one (for a 5 MB payload that walk was ~10 ms).
    std::mem::forget(ex);
    std::mem::forget(def);
    match status {
        Status::Succeeded => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}
