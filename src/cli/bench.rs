//! `asldbg bench`: time the engine on the standard workloads of
//! `../shared/bench` (execution only: parsing and start-up excluded).

use super::args::BenchArgs;
use super::common::*;
use asldbg::asl::value::Val;
use asldbg::asl::Definition;
use asldbg::engine::task::{TaskOutcome, TaskRequest, TaskRunner};
use asldbg::engine::{Execution, Options, Status};
use asldbg::outln;
use serde_json::json;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BenchResult {
    pub name: String,
    pub transitions: u64,
    pub best_history: Duration,
    pub best_no_history: Duration,
    pub status: Status,
}

/// Answers every task with its own input (for workloads that measure the
/// data processing around a task, not the task).
struct Echo;

impl TaskRunner for Echo {
    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        TaskOutcome::Succeeded(req.input.clone())
    }
}

/// The JSONata workload: one Task whose Arguments filter and reshape 10,000
/// items (conversion of the input and of the result included).
pub fn jsonata_workload() -> (Definition, Val) {
    let def = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Reshape",
        "States": {
            "Reshape": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": "{% $states.input.items[price > 10].{\"id\": id, \"total\": price * qty} %}",
                "End": true
            }
        }
    });
    let items: Vec<serde_json::Value> = (0..10_000)
        .map(|i| json!({"id": i, "price": i % 50, "qty": 1 + i % 3}))
        .collect();
    let def = Definition::from_value(&def).expect("a valid workload");
    (def, Val::from(json!({"items": items})))
}

fn time_runs(
    def: &Arc<Definition>,
    input: &Val,
    history: bool,
    runs: usize,
) -> (Duration, u64, Status) {
    let mut best = Duration::MAX;
    let mut transitions = 0;
    let mut status = Status::Running;
    for _ in 0..runs {
        let opts = Options {
            quota: false,
            record_history: history,
            max_events: usize::MAX,
            ..Options::default()
        };
        let input = input.clone();
        let start = Instant::now();
        let mut ex = Execution::new(def.clone(), input, Box::new(Echo), opts);
        status = ex.run();
        let took = start.elapsed();
        transitions = ex.transitions;
        best = best.min(took);
        drop(ex);
    }
    (best, transitions, status)
}

/// The workloads of `dir` (each `NAME.asl.json`) whose name holds `only`, sorted.
fn workloads(dir: &str, only: Option<&str>) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{dir}: {e}"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".asl.json")
                .map(str::to_string)
        })
        .filter(|n| only.is_none_or(|o| n.contains(o)))
        .collect();
    names.sort();
    Ok(names)
}

/// Run every workload of `dir`, best of `runs`, with and without history.
pub fn run(dir: &str, runs: usize, only: Option<&str>) -> Result<Vec<BenchResult>, String> {
    let mut out = Vec::new();
    for name in workloads(dir, only)? {
        let def_path = format!("{dir}/{name}.asl.json");
        let def_v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&def_path).map_err(|e| format!("{def_path}: {e}"))?,
        )
        .map_err(|e| format!("{def_path}: {e}"))?;
        let def = Arc::new(
            Definition::from_value(&def_v).map_err(|d| format!("{def_path}: {}", d[0].message))?,
        );
        let in_path = format!("{dir}/{name}.input.json");
        let input = match std::fs::read_to_string(&in_path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| format!("{in_path}: {e}"))?,
            Err(_) if name.contains("5mb") => asldbg::tui::bench::large_payload(5 * 1024 * 1024),
            Err(e) => return Err(format!("{in_path}: {e}")),
        };
        let (best_history, transitions, status) = time_runs(&def, &input, true, runs);
        let (best_no_history, _, _) = time_runs(&def, &input, false, runs);
        out.push(BenchResult {
            name,
            transitions,
            best_history,
            best_no_history,
            status,
        });
    }
    if only.is_none_or(|o| "f_jsonata_filter_10k".contains(o)) {
        let (def, input) = jsonata_workload();
        let def = Arc::new(def);
        let (best_history, transitions, status) = time_runs(&def, &input, true, runs);
        let (best_no_history, _, _) = time_runs(&def, &input, false, runs);
        out.push(BenchResult {
            name: "f_jsonata_filter_10k".into(),
            transitions,
            best_history,
            best_no_history,
            status,
        });
    }
    Ok(out)
}

/// One workload timed as a whole `asldbg run` process, beside its floor.
pub struct ProcessResult {
    pub name: String,
    /// Best wall time of the whole process (start-up, load, run, output).
    pub process: std::time::Duration,
    /// The floor: a one-state run's process plus parsing the same files
    /// with serde_json.
    pub floor: std::time::Duration,
    pub status: String,
}

/// Best wall time of `runs` runs of each command (`exe` with each set of
/// arguments), run in turn (A B A B …): a machine whose speed drifts during
/// the call moves both bests alike, so their ratio holds. Output is thrown
/// away.
fn best_processes<const N: usize>(
    exe: &std::path::Path,
    commands: [&[&str]; N],
    runs: usize,
) -> Result<[std::time::Duration; N], String> {
    let mut best = [std::time::Duration::MAX; N];
    for _ in 0..runs {
        for (args, best) in commands.iter().zip(best.iter_mut()) {
            let t = std::time::Instant::now();
            let st = std::process::Command::new(exe)
                .args(*args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .map_err(|e| format!("{}: {e}", exe.display()))?;
            let d = t.elapsed();
            if st.code().is_none() {
                return Err(format!(
                    "{} {}: killed by a signal",
                    exe.display(),
                    args.join(" ")
                ));
            }
            *best = (*best).min(d);
        }
    }
    Ok(best)
}

/// Time each workload as a whole process (`asldbg run --no-quota`) against
/// the floor measured beside it: the process of a one-state run (its runs
/// taken in turn with the workload's) plus the best serde_json parse of the
/// workload's files.
pub fn process(dir: &str, runs: usize, only: Option<&str>) -> Result<Vec<ProcessResult>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    let tmp = std::env::temp_dir().join(format!("asldbg-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let one = tmp.join("one-state.asl.json");
    std::fs::write(
        &one,
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#,
    )
    .map_err(|e| format!("{}: {e}", one.display()))?;
    let one = one.to_string_lossy().to_string();
    let start: &[&str] = &["run", "--no-quota", &one];
    let mut out = Vec::new();
    for name in workloads(dir, only)? {
        let def = format!("{dir}/{name}.asl.json");
        let mut input = format!("{dir}/{name}.input.json");
        if !std::path::Path::new(&input).exists() && name.contains("5mb") {
            // gen.py writes this one; without it, the same generator's payload.
            let p = tmp.join(format!("{name}.input.json"));
            let text = serde_json::to_string(&asldbg::tui::bench::large_payload(5 * 1024 * 1024))
                .unwrap_or_default();
            std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
            input = p.to_string_lossy().to_string();
        }
        let mut parse = std::time::Duration::MAX;
        for _ in 0..runs {
            let t = std::time::Instant::now();
            for f in [&def, &input] {
                let text = std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?;
                let v: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| format!("{f}: {e}"))?;
                drop(std::hint::black_box(v));
            }
            parse = parse.min(t.elapsed());
        }
        let args = [
            "run",
            "--no-quota",
            &def,
            "--input",
            &input,
            "--format",
            "json",
        ];
        let [start, process] = best_processes(&exe, [start, &args], runs)?;
        let status = std::process::Command::new(&exe)
            .args(args)
            .output()
            .ok()
            .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
            .and_then(|v| v["status"].as_str().map(str::to_string))
            .unwrap_or_else(|| "?".into());
        out.push(ProcessResult {
            name,
            process,
            floor: start + parse,
            status,
        });
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(out)
}

/// The suite benchmark: how long `asldbg test` takes, as a whole process,
/// on a suite of `cases` cases over the credit-card sample (its five test
/// cases in turn, each with its path and output checked).
pub struct SuiteResult {
    pub cases: usize,
    pub passed: usize,
    pub best: Duration,
}

pub fn suite(samples: &str, cases: usize, runs: usize) -> Result<SuiteResult, String> {
    let src = std::path::Path::new(samples).join("credit-card");
    let dir = std::env::temp_dir().join(format!("asldbg-bench-suite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for f in [
        "credit-card.asl.json",
        "mocks.json",
        "input.json",
        "credit-card.test.yaml",
    ] {
        std::fs::copy(src.join(f), dir.join(f))
            .map_err(|e| format!("{}: {e}", src.join(f).display()))?;
    }
    // The sample's own suite, its cases repeated under new names.
    let one =
        std::fs::read_to_string(dir.join("credit-card.test.yaml")).map_err(|e| e.to_string())?;
    let (head, body) = one
        .split_once("cases:\n")
        .ok_or("the credit-card suite has no cases")?;
    let per: Vec<&str> = body.split("\n  - name: ").collect();
    let mut text = format!("{head}cases:\n");
    for i in 0..cases {
        let case = per[i % per.len()].trim_start_matches("  - name: ");
        let (name, rest) = case.split_once('\n').ok_or("a case without a body")?;
        text.push_str(&format!(
            "  - name: \"{} #{i}\"\n{}\n",
            name.trim_matches('"'),
            rest.trim_end()
        ));
    }
    std::fs::remove_file(dir.join("credit-card.test.yaml")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("bench.test.yaml"), text).map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut best = Duration::MAX;
    let mut passed = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = std::process::Command::new(&exe)
            .args(["test", &dir.to_string_lossy(), "--format", "json"])
            .output()
            .map_err(|e| e.to_string())?;
        best = best.min(start.elapsed());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("asldbg test gave no report: {e}"))?;
        passed = v["passed"].as_u64().unwrap_or(0) as usize;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(SuiteResult {
        cases,
        passed,
        best,
    })
}

/// `asldbg bench`: the engine's workloads, or (by its flags) whole
/// processes, the suite runner, the terminal front end or a class.
pub(crate) fn command(args: BenchArgs) -> ExitCode {
    match args {
        BenchArgs {
            suite: true, runs, ..
        } => match suite("samples", 1000, runs) {
            Ok(r) => {
                outln!(
                    "asldbg test on {} cases over samples/credit-card: {:.3} s as a whole process (best of {}), {} passed; target 1 s",
                    r.cases,
                    r.best.as_secs_f64(),
                    runs.max(1),
                    r.passed
                );
                if r.passed == r.cases {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => fail2(e),
        },
        BenchArgs {
            serve: Some(clients),
            ..
        } => {
            let pace = std::time::Duration::from_millis(200);
            match asldbg::serve::bench::run(clients.max(1), 40, pace) {
                Ok(r) => {
                    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
                    outln!(
                        "{} SSH sessions stepping credit-card, a key every {} ms each: key press to finished frame p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} presses)",
                        r.clients,
                        pace.as_millis(),
                        ms(r.percentile(0.5)),
                        ms(r.percentile(0.99)),
                        ms(r.percentile(1.0)),
                        r.latencies.len()
                    );
                    outln!(
                        "server memory with every session open: +{:.1} MB, {:.2} MB a session",
                        r.memory as f64 / 1e6,
                        r.memory as f64 / 1e6 / r.clients as f64
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail2(e),
            }
        }
        BenchArgs {
            dap: true,
            dir,
            runs,
            ..
        } => bench_dap(&dir, runs),
        BenchArgs {
            lsp: true, runs, ..
        } => bench_lsp(runs),
        BenchArgs { ui: true, runs, .. } => {
            for (what, t) in asldbg::tui::bench::run(runs.max(1)) {
                outln!("{:>10.3} ms  {what}", t.as_secs_f64() * 1000.0);
            }
            for (what, bytes) in asldbg::tui::bench::memory() {
                outln!("{:>10.3} MB  {what}", bytes as f64 / 1e6);
            }
            ExitCode::SUCCESS
        }
        BenchArgs {
            dir,
            runs,
            only,
            process: true,
            ..
        } => bench_process(&dir, runs, only.as_deref()),
        BenchArgs {
            dir, runs, only, ..
        } => bench(&dir, runs, only.as_deref()),
    }
}

/// `bench --lsp`: the language server on a definition of 1,000 states.
fn bench_lsp(runs: usize) -> ExitCode {
    let states = 1000;
    let rows = match asldbg::lsp::bench::run(states, (runs.max(1) * 10).max(50)) {
        Ok(r) => r,
        Err(e) => return fail2(e),
    };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    for (what, mut times) in rows {
        times.sort();
        let Some(&last) = times.last() else { continue };
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        let target = if what.starts_with("edit") {
            "target <= 100 ms"
        } else {
            "target p99 <= 20 ms"
        };
        outln!(
            "lsp {what:<20} on {states} states: p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({} samples; {target})",
            ms(at(0.5)),
            ms(at(0.99)),
            ms(last),
            times.len()
        );
    }
    ExitCode::SUCCESS
}

/// `bench --dap`: the adapter on the 5 MB payload workload.
fn bench_dap(dir: &str, runs: usize) -> ExitCode {
    let name = "e_large_payload_5mb";
    let def = format!("{dir}/{name}.asl.json");
    let mut input = format!("{dir}/{name}.input.json");
    if !std::path::Path::new(&input).exists() {
        // gen.py writes it; without it, the same generator's payload.
        let p = std::env::temp_dir().join(format!(
            "asldbg-bench-{}-{name}.input.json",
            std::process::id()
        ));
        let text = serde_json::to_string(&asldbg::tui::bench::large_payload(5 * 1024 * 1024))
            .unwrap_or_default();
        if let Err(e) = std::fs::write(&p, text) {
            return fail2(format!("{}: {e}", p.display()));
        }
        input = p.to_string_lossy().into_owned();
    }
    let n = (runs.max(1) * 40).max(200);
    let rows = match super::dap::bench(&def, &input, n) {
        Ok(r) => r,
        Err(e) => return fail2(e),
    };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    for (what, mut times) in rows {
        if times.is_empty() {
            continue;
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        outln!(
            "dap {what:<20} on {name}: p50 {:>7.2} ms  p99 {:>7.2} ms  ({} requests; target p99 <= 20 ms)",
            ms(at(0.5)),
            ms(at(0.99)),
            times.len()
        );
    }
    ExitCode::SUCCESS
}

pub(crate) fn bench_process(dir: &str, runs: usize, only: Option<&str>) -> ExitCode {
    let results = match process(dir, runs.max(1), only) {
        Ok(r) => r,
        Err(e) => return fail2(e),
    };
    outln!(
        "{:<24} {:>12} {:>12} {:>7}  status",
        "workload",
        "process",
        "floor",
        "ratio"
    );
    for r in &results {
        outln!(
            "{:<24} {:>10.1}ms {:>10.1}ms {:>6.1}x  {}",
            r.name,
            r.process.as_secs_f64() * 1000.0,
            r.floor.as_secs_f64() * 1000.0,
            r.process.as_secs_f64() / r.floor.as_secs_f64().max(1e-9),
            r.status
        );
    }
    ExitCode::SUCCESS
}

pub(crate) fn bench(dir: &str, runs: usize, only: Option<&str>) -> ExitCode {
    let results = match run(dir, runs.max(1), only) {
        Ok(r) => r,
        Err(e) => return fail2(e),
    };
    outln!(
        "{:<24} {:>11} {:>12} {:>14} {:>12} {:>14}  status",
        "workload",
        "transitions",
        "no history",
        "transitions/s",
        "history",
        "transitions/s"
    );
    for r in &results {
        let rate = |d: std::time::Duration| r.transitions as f64 / d.as_secs_f64().max(1e-9);
        outln!(
            "{:<24} {:>11} {:>10.3}ms {:>14.0} {:>10.3}ms {:>14.0}  {}",
            r.name,
            r.transitions,
            r.best_no_history.as_secs_f64() * 1000.0,
            rate(r.best_no_history),
            r.best_history.as_secs_f64() * 1000.0,
            rate(r.best_history),
            r.status.as_str()
        );
    }
    ExitCode::SUCCESS
}
