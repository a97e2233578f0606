//! `asldbg replay`: re-run a recorded execution from its history.

use super::args::*;
use super::common::*;
use asldbg::asl::{self, Loaded};
use asldbg::engine::Options;
use asldbg::{errln, outln};
use serde_json::Value;
use std::process::ExitCode;
use std::sync::Arc;

/// A recorded history, its execution's details and the definition to
/// replay it on, read and checked; every problem is exit 2.
pub(crate) struct ReplaySetup {
    pub(crate) rec: asldbg::replay::Recording,
    pub(crate) info: asldbg::replay::ExecutionInfo,
    pub(crate) opened: asl::Opened,
    pub(crate) label: String,
}

pub(crate) fn replay_setup(
    history: &str,
    definition: Option<&str>,
    execution: Option<&str>,
    children: &[String],
    source: &SourceArgs,
) -> Result<ReplaySetup, ExitCode> {
    let doc =
        asl::read_document_capped(history, asldbg::replay::recording::MAX_BYTES).map_err(fail2)?;
    let mut rec = history_of(history, &doc)?;
    let kids = child_histories(children)?;
    // Without --execution: what the AWS CLI printed of the execution, if
    // it was saved beside the history.
    let found = match execution {
        Some(_) => None,
        None => asldbg::replay::discover(std::path::Path::new(history))
            .map_err(|m| fail2(format!("{history}: {m}")))?,
    };
    let info = match (execution, &found) {
        (Some(f), _) => {
            let d = asl::read_document(f).map_err(fail2)?;
            asldbg::replay::ExecutionInfo::read(&d.value).map_err(|m| fail2(format!("{f}: {m}")))?
        }
        (None, Some((files, info))) => {
            asldbg::errln!(
                "asldbg: {history}: with {} (found beside it)",
                files.join(" and ")
            );
            info.clone()
        }
        (None, None) => Default::default(),
    };
    let described = execution
        .map(str::to_string)
        .or_else(|| found.as_ref().map(|(files, _)| files[0].clone()));
    let express = info.express;
    let opts = source.options(express, false).map_err(fail2)?;
    let (label, loaded) = match (definition, &info.definition, described.as_deref()) {
        (Some(f), _, _) => (f.to_string(), asl::load(f, &opts)),
        (None, Some(text), Some(f)) => {
            let label = format!("{f} (definition)");
            let loaded = match asl::parse_document(text, &format!("{label}.json")) {
                Ok(d) => asl::open(&label, d, &opts),
                Err(e) => Loaded::Unreadable(e),
            };
            (label, loaded)
        }
        _ => {
            return Err(fail2(format!(
                "{history}: which definition? pass --definition FILE, or --execution FILE with what `aws stepfunctions describe-state-machine-for-execution` printed (or save that beside the history)"
            )))
        }
    };
    let opened = opened_or_exit(loaded)?;
    asldbg::replay::check(&opened.definition, &rec)
        .map_err(|m| fail2(format!("{history}: {m} ({label})")))?;
    for (file, child) in kids {
        asldbg::replay::check(&opened.definition, &child)
            .map_err(|m| fail2(format!("{file}: {m} ({label})")))?;
        rec.children.push(child);
    }
    if rec.children.is_empty()
        && rec
            .events
            .iter()
            .any(|e| e.event_type == asldbg::engine::EventType::MapRunStarted)
    {
        asldbg::errln!(
            "asldbg: {history}: it ran a Distributed Map, whose iterations' Task calls are in its child executions' histories: pass them with --children DIR (see the README)"
        );
    }
    Ok(ReplaySetup {
        rec,
        info,
        opened,
        label,
    })
}

/// The histories in `paths` (files, or folders whose `*.json` files that
/// hold `events` are read, in name order); every problem is exit 2.
pub(crate) fn child_histories(
    paths: &[String],
) -> Result<Vec<(String, asldbg::replay::Recording)>, ExitCode> {
    let mut out = Vec::new();
    for p in paths {
        let files: Vec<String> = if std::path::Path::new(p).is_dir() {
            let mut f: Vec<String> = std::fs::read_dir(p)
                .map_err(|e| fail2(format!("{p}: cannot read the folder: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json") && f.is_file())
                .map(|f| f.to_string_lossy().into_owned())
                .collect();
            f.sort();
            f
        } else {
            vec![p.clone()]
        };
        let before = out.len();
        for f in files {
            let doc = asl::read_document_capped(&f, asldbg::replay::recording::MAX_BYTES)
                .map_err(fail2)?;
            // In a folder, what is not a history (describe output) is left.
            if !is_history(&doc.value) && std::path::Path::new(p).is_dir() {
                continue;
            }
            let rec = history_of(&f, &doc)?;
            out.push((f, rec));
        }
        if out.len() == before {
            return Err(fail2(format!("{p}: no execution history in it")));
        }
    }
    Ok(out)
}

impl ReplaySetup {
    /// The engine's options for the recorded execution: its name, machine,
    /// region and account where the recording or --execution say them.
    pub(crate) fn options(&self) -> Options {
        let mut o = Options {
            express: self.opened.express || self.info.express,
            ..Options::default()
        };
        if let Some(n) = &self.info.name {
            o.execution_name = n.clone();
        }
        if let Some(m) = self
            .info
            .state_machine
            .as_ref()
            .or(self.opened.deployed.as_ref())
            .or(self.opened.machine.as_ref())
        {
            o.state_machine_name = m.clone();
        }
        if let Some(r) = &self.info.region {
            o.region = r.clone();
        }
        if let Some(a) = &self.info.account {
            o.account = a.clone();
        }
        if let Some(t) = self.rec.start_ms() {
            o.start_time_ms = t;
        }
        o
    }
}

pub(crate) fn replay(args: ReplayArgs) -> ExitCode {
    let setup = match replay_setup(
        &args.history,
        args.definition.as_deref(),
        args.execution.as_deref(),
        &args.children,
        &args.source,
    ) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(f) = &args.export_mocks {
        let machine = setup.options().state_machine_name;
        let mocks = asldbg::replay::mock_config(&setup.rec, &machine, "Recorded");
        let text = serde_json::to_string_pretty(&mocks).unwrap_or_default();
        if let Err(e) = std::fs::write(f, text + "\n") {
            return fail2(format!("{f}: cannot write: {e}"));
        }
        errln!("asldbg: wrote the recorded answers to {f} (state machine {machine}, test case Recorded)");
    }
    let opts = setup.options();
    let report = asldbg::replay::replay(Arc::new(setup.opened.definition), &setup.rec, opts);
    match args.format {
        Format::Json => asldbg::output::out_json_pretty(&report.to_json()),
        Format::Text => {
            outln!(
                "replayed {} on {}: {} events recorded, {} made by the local run",
                args.history,
                setup.label,
                report.recorded,
                report.local
            );
            outln!("status: {}", report.status.as_str());
            if let Some(e) = &report.error {
                outln!("error: {e}");
            }
            if let Some(c) = &report.cause {
                outln!("cause: {c}");
            }
            for (a, b) in &report.left_out {
                let which = if a == b {
                    format!("event {a} is")
                } else {
                    format!("events {a}..{b} are")
                };
                outln!("{which} not in the history (left out of it): the local run's events there are not compared");
            }
            match &report.divergence {
                None => outln!("reproduced: every recorded event, in order"),
                Some(d) => {
                    let state = d
                        .state
                        .as_deref()
                        .map(|s| format!(" (state {s})"))
                        .unwrap_or_default();
                    let what = asldbg::replay::compare::describe;
                    if d.event_id == 0 {
                        outln!("diverges after the recording ends{state}: the local run goes on");
                    } else {
                        outln!("diverges at event {}{state}", d.event_id);
                    }
                    if d.fields.is_empty() {
                        outln!(
                            "AWS recorded {}; the local run: {}",
                            what(&d.expected),
                            what(&d.got)
                        );
                    } else {
                        outln!(
                            "{}: the local run differs in {}",
                            what(&d.expected),
                            d.fields.join(", ")
                        );
                    }
                    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
                    outln!("AWS recorded:");
                    if d.expected.is_null() {
                        outln!("  (nothing more: the execution had ended)");
                    } else {
                        for l in pretty(&d.expected).lines() {
                            outln!("  {l}");
                        }
                    }
                    outln!("the local run:");
                    if d.got.is_null() {
                        outln!("  (nothing more: it ended {})", report.status.as_str());
                    } else {
                        for l in pretty(&d.got).lines() {
                            outln!("  {l}");
                        }
                    }
                }
            }
        }
    }
    if report.divergence.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Whether a document holds an execution history rather than a definition.
pub(crate) fn is_history(v: &Value) -> bool {
    v.get("States").is_none() && v.get("events").is_some_and(|e| e.is_array())
}

/// The history in `doc`, or its problem printed with the file, line:column
/// and pointer (exit 2).
pub(crate) fn history_of(
    file: &str,
    doc: &asl::Document,
) -> Result<asldbg::replay::Recording, ExitCode> {
    asldbg::replay::recording::read_placed(file, doc).map_err(fail2)
}
