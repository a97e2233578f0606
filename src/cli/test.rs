//! `asldbg test`: run test suites, report like `cargo test`, write JUnit
//! XML, snapshots and coverage.

use asldbg::testing::coverage::Coverage;
use asldbg::testing::suite::{self, CaseResult, Suite};
use asldbg::{errln, outln};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum, PartialEq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args)]
pub struct TestArgs {
    /// Suite files (*.test.yaml, *.test.json) or folders to search for them
    /// (default: the current folder).
    paths: Vec<String>,
    /// Write the results as JUnit XML (what CI systems read).
    #[arg(long, value_name = "FILE")]
    junit: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the observed output into the cases that say `output: snapshot`.
    #[arg(long)]
    update: bool,
    /// Cases run at once (default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Report what the cases covered of each definition.
    #[arg(long)]
    coverage: bool,
    /// Write the coverage as JSON (for `asldbg graph DEF --coverage FILE`).
    #[arg(long = "coverage-out", value_name = "FILE")]
    coverage_out: Option<String>,
    /// For each Choice rule no case matched, find an input edit that
    /// matches it (checked by running it).
    #[arg(long)]
    suggest: bool,
}

pub fn run(a: TestArgs) -> ExitCode {
    let started = Instant::now();
    let paths = if a.paths.is_empty() {
        vec![".".to_string()]
    } else {
        a.paths.clone()
    };
    let files = match suite::find(&paths) {
        Ok(f) => f,
        Err(e) => {
            errln!("asldbg: {e}");
            return ExitCode::from(2);
        }
    };
    if files.is_empty() {
        errln!(
            "asldbg: no test suites (*.test.yaml, *.test.json) in {}",
            paths.join(", ")
        );
        return ExitCode::from(2);
    }
    let mut suites = Vec::new();
    let mut invalid = 0;
    for f in &files {
        match Suite::load(f) {
            Ok(s) => {
                for w in &s.warnings {
                    errln!("asldbg: warning: {w}");
                }
                suites.push(s)
            }
            Err(errs) => {
                invalid += 1;
                for e in errs {
                    errln!("asldbg: {e}");
                }
            }
        }
    }
    if invalid > 0 {
        errln!("asldbg: {invalid} invalid suite(s); nothing was run");
        return ExitCode::from(2);
    }
    let want_coverage = a.coverage || a.coverage_out.is_some() || a.suggest;
    let jobs = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let mut results = suite::run_all(&suites, jobs, want_coverage);
    if a.update {
        for s in &suites {
            let written = match s.update(&results) {
                Ok(w) => w,
                Err(e) => {
                    errln!("asldbg: {e}");
                    return ExitCode::from(2);
                }
            };
            if !written.is_empty() {
                errln!("asldbg: {}: recorded {} snapshot(s)", s.file, written.len());
            }
            // A snapshot just recorded is what the case expects now.
            let written: std::collections::HashSet<&String> = written.iter().collect();
            for r in results
                .iter_mut()
                .filter(|r| r.suite == s.file && written.contains(&r.case))
            {
                r.failures.retain(|f| !f.starts_with("output: a snapshot"));
            }
        }
    }
    let elapsed = started.elapsed();
    let coverage = if want_coverage {
        suite::coverage(&suites, &results)
    } else {
        Vec::new()
    };
    let suggestions = if a.suggest {
        asldbg::testing::suggest::suggest(&suites, &results)
    } else {
        Vec::new()
    };
    if let Some(path) = &a.junit {
        if let Err(e) = std::fs::write(path, suite::junit(&results, elapsed)) {
            errln!("asldbg: {path}: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(path) = &a.coverage_out {
        let doc =
            json!({"definitions": coverage.iter().map(Coverage::to_json).collect::<Vec<_>>()});
        if let Err(e) = std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap_or_default())
        {
            errln!("asldbg: {path}: {e}");
            return ExitCode::from(2);
        }
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    let failed = results.len() - passed;
    match a.format {
        Format::Json => {
            let doc = json!({
                "passed": passed,
                "failed": failed,
                "seconds": elapsed.as_secs_f64(),
                "cases": results.iter().map(case_json).collect::<Vec<_>>(),
                "coverage": coverage.iter().map(Coverage::to_json).collect::<Vec<_>>(),
                "suggestions": suggestions,
            });
            outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Format::Text => {
            outln!(
                "running {} case(s) from {} suite(s)",
                results.len(),
                suites.len()
            );
            for r in &results {
                outln!(
                    "test {} :: {} ... {}",
                    r.suite,
                    r.case,
                    if r.passed() { "ok" } else { "FAILED" }
                );
            }
            if failed > 0 {
                outln!("\nfailures:");
                for r in results.iter().filter(|r| !r.passed()) {
                    outln!("\n---- {} :: {} ----", r.suite, r.case);
                    for f in &r.failures {
                        outln!("  {f}");
                    }
                    if !r.outcome.path.is_empty() {
                        outln!("  path taken: {}", r.outcome.path.join(" → "));
                    }
                }
            }
            for c in &coverage {
                outln!("");
                for line in c.table() {
                    outln!("{line}");
                }
            }
            if !suggestions.is_empty() {
                outln!("\nsuggestions (each checked by running it):");
                for s in &suggestions {
                    outln!("  {}", s["text"].as_str().unwrap_or_default());
                }
            }
            outln!(
                "\ntest result: {}. {passed} passed; {failed} failed; finished in {:.2}s",
                if failed == 0 { "ok" } else { "FAILED" },
                elapsed.as_secs_f64()
            );
        }
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn case_json(r: &CaseResult) -> Value {
    json!({
        "suite": r.suite,
        "case": r.case,
        "passed": r.passed(),
        "failures": r.failures,
        "status": r.outcome.status,
        "output": r.outcome.output,
        "error": r.outcome.error,
        "cause": r.outcome.cause,
        "path": r.outcome.path,
        "seconds": r.time.as_secs_f64(),
    })
}

/// The coverage of `definition` in a coverage file (`--coverage-out`):
/// the entry for that file, or the only entry.
pub fn coverage_of(file: &str, definition: &str) -> Result<Value, String> {
    let doc = asldbg::asl::read_document(file).map_err(|e| e.to_string())?;
    let entries = doc
        .value
        .get("definitions")
        .and_then(|d| d.as_array())
        .ok_or_else(|| format!("{file}: not a coverage file (asldbg test --coverage-out)"))?;
    let same = |a: &str| {
        let canon = |p: &str| std::fs::canonicalize(p).ok();
        canon(a).is_some() && canon(a) == canon(definition)
    };
    if let Some(e) = entries.iter().find(|e| {
        e.get("definition")
            .and_then(|d| d.as_str())
            .is_some_and(same)
    }) {
        return Ok(e.clone());
    }
    match entries.as_slice() {
        [only] => Ok(only.clone()),
        _ => Err(format!(
            "{file}: no coverage of {definition} (it covers {})",
            entries
                .iter()
                .filter_map(|e| e.get("definition").and_then(|d| d.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The lines under a coverage drawing: what the marks mean, and the counts.
pub fn coverage_legend(report: &Value) -> Vec<String> {
    let mut out = vec![
        String::new(),
        "• entered (×N times)   ○ never entered   heavy lines: transitions taken".to_string(),
    ];
    if let Some(t) = report.get("tallies").and_then(|t| t.as_object()) {
        let parts: Vec<String> = t
            .iter()
            .map(|(k, v)| {
                format!(
                    "{} {}/{}",
                    k.replace('_', " "),
                    v["covered"].as_u64().unwrap_or(0),
                    v["total"].as_u64().unwrap_or(0)
                )
            })
            .collect();
        out.push(parts.join(" · "));
    }
    out
}

/// `asldbg mocks check MOCKS --definition DEF`.
pub(crate) fn mocks(cmd: super::args::MocksCommand) -> ExitCode {
    let super::args::MocksCommand::Check {
        mocks,
        definition,
        name,
        source,
    } = cmd;
    let opened = match super::common::load_or_exit(&definition, &source, false, true) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let doc = match asldbg::asl::read_document(&mocks) {
        Ok(d) => d,
        Err(e) => return super::common::fail2(e),
    };
    let found = super::common::mock_warnings(&mocks, &doc, &opened, name.as_deref());
    for f in &found {
        asldbg::outln!("{f}");
    }
    if found.is_empty() {
        asldbg::outln!("{mocks}: every mock answers a state of {definition}");
        ExitCode::SUCCESS
    } else {
        asldbg::outln!("{mocks}: {} problem(s)", found.len());
        ExitCode::from(1)
    }
}
