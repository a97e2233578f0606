//! `asldbg diff`: compare two runs or histories.

use super::args::*;
use super::common::*;
use super::replay::{history_of, is_history};
use asldbg::asl::value::Val;
use asldbg::asl::{self};
use asldbg::engine::Execution;
use asldbg::outln;
use serde_json::{json, Value};
use std::process::ExitCode;
use std::sync::Arc;

/// One side of `diff`: a history read, or a definition run (and then
/// the definition too). The file is read once.
pub(crate) fn diff_side(
    file: &str,
    exec: &ExecArgs,
    input: Option<&str>,
    case: Option<&str>,
) -> Result<(asldbg::replay::Recording, Option<Arc<asl::Definition>>), ExitCode> {
    let opts = exec.source.options(exec.express(), false).map_err(fail2)?;
    let opened = if asl::is_terraform(file) {
        opened_or_exit(asl::load(file, &opts))?
    } else {
        let doc = asl::load_document(file, &opts).map_err(fail2)?;
        if is_history(&doc.value) {
            return Ok((history_of(file, &doc)?, None));
        }
        opened_or_exit(asl::open(file, doc, &opts))?
    };
    let input = match input {
        Some(f) => read_input(f, true).map_err(fail2)?,
        None => Val::empty_obj(),
    };
    let runner = build_runner(exec, &opened.mock_names(), case)?;
    let mut opts = exec.options().map_err(fail2)?;
    opts.express |= opened.express;
    if let (None, Some(m)) = (&exec.name, opened.run_name()) {
        opts.state_machine_name = m.to_string();
    }
    let def = Arc::new(opened.definition);
    let mut ex = Execution::new(def.clone(), input, runner, opts);
    ex.run();
    let events = asldbg::engine::history::export(ex.history());
    // A run's own history always reads; a failure here is asldbg's.
    let rec = asldbg::replay::recording::read(&events).map_err(|e| {
        fail2(format!(
            "{file}: the run's history does not read back: {}",
            e.message
        ))
    })?;
    Ok((rec, Some(def)))
}

pub(crate) fn diff(args: DiffArgs) -> ExitCode {
    let (a, def_a) = match diff_side(&args.a, &args.exec, args.exec.input.as_deref(), None) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let b_input = args.b_input.as_deref().or(args.exec.input.as_deref());
    let (b, def_b) = match diff_side(&args.b, &args.exec, b_input, args.b_test_case.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let d = asldbg::replay::diff::diff(&a, &b);
    // The graph: --definition, else a definition side's (the first).
    let drawing = if args.graph {
        let def = match &args.definition {
            Some(f) => match load_or_exit(f, &args.exec.source, args.exec.express(), true) {
                Ok(o) => Arc::new(o.definition),
                Err(code) => return code,
            },
            None => match def_a.or(def_b) {
                Some(d) => d,
                None => {
                    return fail2(
                        "--graph needs a definition to draw: both sides are histories, pass --definition DEF",
                    )
                }
            },
        };
        let marks = asldbg::replay::diff::marks(&def, &a, &b);
        let drawn = asldbg::graph::text::render(&asldbg::graph::layout(
            &def,
            0,
            asldbg::graph::Names::Whole,
        ));
        Some(asldbg::graph::text::with_marks(&drawn, &marks))
    } else {
        None
    };
    match args.format {
        Format::Json => {
            let mut j = d.to_json();
            if let (Some(lines), Some(o)) = (&drawing, j.as_object_mut()) {
                o.insert("graph".into(), json!(lines));
            }
            asldbg::output::out_json_pretty(&j)
        }
        Format::Text => {
            if let Some(lines) = &drawing {
                outln!(
                    "graph (heavy: taken by either run; •: entered by both; a, b: by one only):"
                );
                for l in lines {
                    outln!("{l}");
                }
            }
            let compact = |v: &Option<Value>| match v {
                Some(v) => serde_json::to_string(v).unwrap_or_default(),
                None => "(none)".into(),
            };
            outln!("a: {} ({})", args.a, d.a["status"].as_str().unwrap_or("?"));
            outln!("b: {} ({})", args.b, d.b["status"].as_str().unwrap_or("?"));
            if d.same() {
                outln!("the same: every state entered in the same order with the same input and output, the same end");
            }
            if let Some(asldbg::replay::diff::Parted {
                index: i,
                after,
                a: x,
                b: y,
            }) = &d.parted
            {
                let entered = |s: &Option<String>| match s {
                    Some(s) => format!("enters {s}"),
                    None => "has ended".into(),
                };
                match after {
                    Some(after) => outln!(
                        "paths part after {after} (state {}): a {}, b {}",
                        i + 1,
                        entered(x),
                        entered(y)
                    ),
                    None => outln!(
                        "paths part at the start: a {}, b {}",
                        entered(x),
                        entered(y)
                    ),
                }
            }
            for (v, input, output) in &d.states {
                for (what, changes) in [("input", input), ("output", output)] {
                    if changes.is_empty() {
                        continue;
                    }
                    outln!("{} #{} {what}:", v.state, v.visit);
                    for c in changes {
                        let at = if c.pointer.is_empty() {
                            "(whole)"
                        } else {
                            &c.pointer
                        };
                        outln!("  {at}: {} → {}", compact(&c.a), compact(&c.b));
                    }
                }
            }
            for (state, visit, side) in &d.only {
                outln!("only in {side}: {state} #{visit}");
            }
            if !asldbg::asl::json::value_eq(&d.a, &d.b) {
                for k in ["status", "error", "cause"] {
                    if d.a[k] != d.b[k] {
                        outln!(
                            "end {k}: {} → {}",
                            compact(&Some(d.a[k].clone())),
                            compact(&Some(d.b[k].clone()))
                        );
                    }
                }
                let ends = asldbg::replay::diff::changes(&d.a["output"], &d.b["output"]);
                if !ends.is_empty() {
                    outln!("end output:");
                    for c in ends {
                        let at = if c.pointer.is_empty() {
                            "(whole)"
                        } else {
                            &c.pointer
                        };
                        outln!("  {at}: {} → {}", compact(&c.a), compact(&c.b));
                    }
                }
            }
        }
    }
    if d.same() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
