//! `asldbg graph`: the state graph as text, Graphviz DOT or Mermaid.

use super::args::*;
use super::common::*;
use asldbg::asl::{self, Loaded};
use asldbg::{errln, outln};
use std::process::ExitCode;

pub(crate) fn graph(args: GraphArgs) -> ExitCode {
    let GraphArgs {
        definition,
        format,
        compact,
        collapse,
        coverage,
        ascii,
        source,
    } = args;
    if ascii && format != GraphFormat::Text {
        return fail2("--ascii draws the text graph (--format text)");
    }
    let look = Look { compact, ascii };
    // A definition with problems is drawn all the same, its states
    // that have them marked ✗, the problems listed on stderr.
    let opts = match source.options(false, true) {
        Ok(o) => asl::OpenOptions { sketch: true, ..o },
        Err(e) => return fail2(e),
    };
    let machines = asl::machines_to_pick(&definition, &opts);
    if machines.is_empty() {
        return draw(
            &definition,
            &opts,
            asl::load(&definition, &opts),
            format,
            look,
            &collapse,
            coverage.as_deref(),
        );
    }
    // A template with several machines: each one drawn under its name
    // (in DOT and Mermaid, one graph with a group each).
    if format != GraphFormat::Text {
        if coverage.is_some() {
            return fail2("--coverage draws the text graph (--format text)");
        }
        return export_many(&definition, &opts, format, &collapse, machines);
    }
    let mut worst = ExitCode::SUCCESS;
    let names: Vec<String> = machines.iter().map(|(n, _)| n.clone()).collect();
    let loads = asl::load_each(&definition, &opts, &names);
    for (i, ((name, what), loaded)) in machines.into_iter().zip(loads).enumerate() {
        if i > 0 {
            outln!("");
        }
        outln!("{}", look.line(&format!("── {name} ({what})")));
        let one = asl::OpenOptions {
            machine: Some(name),
            ..opts.clone()
        };
        let code = draw(
            &definition,
            &one,
            loaded,
            format,
            look,
            &collapse,
            coverage.as_deref(),
        );
        if code != ExitCode::SUCCESS && worst == ExitCode::SUCCESS {
            worst = code;
        }
    }
    worst
}

/// How the text graph is drawn.
#[derive(Clone, Copy)]
struct Look {
    compact: bool,
    ascii: bool,
}

impl Look {
    /// `line` as drawn: with `--ascii`, each character through the
    /// debugger's ASCII table.
    fn line(self, line: &str) -> String {
        use asldbg::tui::glyphs::{map, Glyphs};
        if !self.ascii {
            return line.to_string();
        }
        line.chars()
            .map(|c| map(Glyphs::Ascii, c).unwrap_or(if c.is_ascii() { c } else { '?' }))
            .collect()
    }
}

/// The machine `opts` picks, its notes and problems said on stderr; the
/// exit code when it has no graph to draw.
fn opened(
    definition: &str,
    opts: &asl::OpenOptions,
    loaded: Loaded,
) -> Result<asl::Opened, ExitCode> {
    let opened = match loaded {
        Loaded::Ok(o) => *o,
        Loaded::Unreadable(e) => return Err(fail2(e)),
        Loaded::Invalid(errs) => {
            for e in &errs {
                errln!("asldbg: {e}");
            }
            let which = opts
                .machine
                .as_deref()
                .map(|m| format!(" {m}:"))
                .unwrap_or_default();
            errln!("asldbg: {definition}:{which} no state graph to draw");
            return Err(ExitCode::from(2));
        }
    };
    for line in said(&opened) {
        errln!("asldbg: {line}");
    }
    for e in &opened.problems {
        errln!("asldbg: {e}");
    }
    Ok(opened)
}

/// Every machine of a template in one DOT or Mermaid graph; `--collapse`
/// names containers of any of them.
fn export_many(
    definition: &str,
    opts: &asl::OpenOptions,
    format: GraphFormat,
    collapse: &[String],
    machines: Vec<(String, String)>,
) -> ExitCode {
    let mut drawn = Vec::new();
    let mut problems = 0;
    let names: Vec<String> = machines.into_iter().map(|(n, _)| n).collect();
    let loads = asl::load_each(definition, opts, &names);
    for (name, loaded) in names.into_iter().zip(loads) {
        let one = asl::OpenOptions {
            machine: Some(name.clone()),
            ..opts.clone()
        };
        let opened = match opened(definition, &one, loaded) {
            Ok(o) => o,
            Err(code) => return code,
        };
        problems += opened.problems.len();
        drawn.push((name, opened.definition));
    }
    // A name to collapse must be a container of some machine.
    let mut collapsed = Vec::new();
    for (_, def) in &drawn {
        let mine: Vec<String> = collapse
            .iter()
            .filter(|n| asldbg::graph::containers_named(def, std::slice::from_ref(n)).is_ok())
            .cloned()
            .collect();
        collapsed.push(asldbg::graph::containers_named(def, &mine).unwrap_or_default());
    }
    for name in collapse {
        let anywhere = drawn.iter().any(|(_, def)| {
            asldbg::graph::containers_named(def, std::slice::from_ref(name)).is_ok()
        });
        if !anywhere {
            errln!("{definition}: no Parallel or Map state named {name:?} in any of its machines");
            return ExitCode::from(2);
        }
    }
    let named: Vec<asldbg::graph::Named> = drawn
        .iter()
        .zip(&collapsed)
        .map(|((name, def), c)| (name.as_str(), def, c))
        .collect();
    asldbg::output::out(&match format {
        GraphFormat::Mermaid => asldbg::graph::many_to_mermaid(&named),
        _ => asldbg::graph::many_to_dot(&named),
    });
    if problems == 0 {
        ExitCode::SUCCESS
    } else {
        errln!("asldbg: {definition}: {problems} problem(s)");
        ExitCode::from(1)
    }
}

/// One state machine drawn.
#[allow(clippy::too_many_arguments)]
fn draw(
    definition: &str,
    opts: &asl::OpenOptions,
    loaded: Loaded,
    format: GraphFormat,
    look: Look,
    collapse: &[String],
    coverage: Option<&str>,
) -> ExitCode {
    let opened = match opened(definition, opts, loaded) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let def = opened.definition;
    let mut marks = asldbg::graph::problem_marks(
        &def,
        &opened.prefix,
        opened.problems.iter().map(|e| e.pointer.as_str()),
    );
    let mut legend = None;
    if let Some(file) = coverage {
        if format != GraphFormat::Text {
            return fail2("--coverage draws the text graph (--format text)");
        }
        let report = match super::test::coverage_of(file, definition) {
            Ok(r) => r,
            Err(e) => return fail2(e),
        };
        marks = asldbg::testing::coverage::marks(&def, &report);
        legend = Some(super::test::coverage_legend(&report));
    }
    let collapsed = match asldbg::graph::containers_named(&def, collapse) {
        Ok(c) => c,
        Err(e) => {
            errln!("{definition}: {e}");
            return ExitCode::from(2);
        }
    };
    match format {
        GraphFormat::Text => {
            let l = asldbg::graph::layout_with(
                &def,
                0,
                if look.compact {
                    asldbg::graph::Names::Compact
                } else {
                    asldbg::graph::Names::Whole
                },
                &collapsed,
            );
            let drawn = asldbg::graph::text::render(&l);
            for line in asldbg::graph::text::with_marks(&drawn, &marks) {
                outln!("{}", look.line(&line));
            }
            for line in legend.iter().flatten() {
                outln!("{}", look.line(line));
            }
        }
        GraphFormat::Dot => asldbg::output::out(&asldbg::graph::to_dot(&def, &collapsed)),
        GraphFormat::Mermaid => asldbg::output::out(&asldbg::graph::to_mermaid(&def, &collapsed)),
    }
    if opened.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        errln!(
            "asldbg: {definition}: {} problem(s); the states that have them are marked {}",
            opened.problems.len(),
            look.line("✗")
        );
        ExitCode::from(1)
    }
}
