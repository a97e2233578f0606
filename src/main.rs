//! The `asldbg` command line.

use asldbg::asl::value::Val;
use asldbg::asl::{self, LoadError, Loaded};
use asldbg::conformance;
use asldbg::engine::task::{Chain, CommandRunner, LocalS3, MockRunner, NoRunner, TaskRunner};
use asldbg::engine::{Execution, Options, Status};
use asldbg::{errln, outln};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

mod cli;

/// The allocator: the JSONata path converts whole documents into the
/// library's values and back, and spends ~40% of its time in glibc malloc
/// and free; with mimalloc the 10,000-item benchmark drops from ~11 ms to
/// ~7.5 ms (`asldbg bench --only jsonata`). Built without transparent huge
/// pages: with them, a fault in a fresh 2 MB page could stall on the kernel's
/// compaction for 100+ ms and hold up the pause key (`asldbg bench --ui`).
/// Wrapped in a counter that gives each JSONata evaluation a memory budget.
#[global_allocator]
static GLOBAL: asldbg::alloc::Budgeted<mimalloc::MiMalloc> =
    asldbg::alloc::Budgeted(mimalloc::MiMalloc);

#[derive(Parser)]
#[command(
    name = "asldbg",
    version,
    about = "Run and debug AWS Step Functions state machines locally",
    long_about = "Run and debug AWS Step Functions state machines locally.\n\n`asldbg FILE` opens the debugger on a definition; `asldbg` alone opens a picker of the bundled samples.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    debug: DebugArgs,
}

/// Where the definition is: a template may hold several, and placeholders
/// in it are filled from these.
#[derive(Args, Clone, Default)]
struct SourceArgs {
    /// The state machine to take from a template (CloudFormation, SAM, CDK
    /// synth output or serverless.yml) that holds several.
    #[arg(long, value_name = "NAME")]
    machine: Option<String>,
    /// Fill the ${NAME} placeholder (repeatable; wins over --subs and the
    /// template's DefinitionSubstitutions).
    #[arg(long = "sub", value_name = "NAME=VALUE")]
    sub: Vec<String>,
    /// Fill placeholders from a JSON or YAML object of NAME: VALUE.
    #[arg(long = "subs", value_name = "FILE")]
    subs: Option<String>,
}

impl SourceArgs {
    fn options(&self, express: bool, check_only: bool) -> Result<asl::OpenOptions, LoadError> {
        let mut subs = asl::placeholders::Substitutions::default();
        if let Some(f) = &self.subs {
            let doc = asl::read_document(f)?;
            let Some(map) = doc.value.as_object() else {
                return Err(LoadError {
                    file: f.clone(),
                    pointer: String::new(),
                    line: 1,
                    column: 1,
                    message: "--subs: expected an object of NAME: VALUE".into(),
                    expr: None,
                });
            };
            if let Err((pointer, message)) = subs.set_all(map) {
                let (line, column) = doc.position(&pointer).unwrap_or((1, 1));
                return Err(LoadError {
                    file: f.clone(),
                    pointer,
                    line,
                    column,
                    message,
                    expr: None,
                });
            }
        }
        for pair in &self.sub {
            subs.set_pair(pair).map_err(|message| LoadError {
                file: "--sub".into(),
                pointer: String::new(),
                line: 1,
                column: 1,
                message,
                expr: None,
            })?;
        }
        Ok(asl::OpenOptions {
            express,
            machine: self.machine.clone(),
            subs,
            check_only,
            sketch: false,
        })
    }
}

/// How an execution is set up: shared by `run` and the debugger.
#[derive(Args)]
struct ExecArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Execution input: a file, or - for standard input (default: {}, or a sample's input).
    #[arg(long)]
    input: Option<String>,
    /// A Step Functions Local MockConfigFile.
    #[arg(long)]
    mocks: Option<String>,
    /// The test case in the mock file (default: a sample's, or the file's first).
    #[arg(long = "test-case")]
    test_case: Option<String>,
    /// The state machine's name in the mock file (default: its only one).
    #[arg(long)]
    name: Option<String>,
    /// Virtual start time (RFC 3339; default 2024-11-14T22:13:20Z). Before
    /// 2023-11-15 the context object has no Execution.RedriveCount, as on AWS then.
    #[arg(long = "start-time")]
    start_time: Option<String>,
    /// Seed for States.UUID, States.MathRandom, task tokens and retry jitter.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Serve Distributed Map ItemReaders (s3:getObject, s3:listObjectsV2) from DIR/<Bucket>/<Key>.
    #[arg(long = "s3-dir")]
    s3_dir: Option<String>,
    /// Answer tasks the mocks do not answer with a local command (JSON request on stdin, JSON result
    /// on stdout); in the debugger it runs on its own thread.
    #[arg(long = "task-command")]
    task_command: Option<String>,
    /// Workflow type: EXPRESS rejects activities, .sync and .waitForTaskToken, and its
    /// context object has an express execution ARN and no RedriveCount.
    #[arg(long = "type", value_enum, ignore_case = true, default_value_t = WorkflowType::Standard)]
    workflow_type: WorkflowType,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum WorkflowType {
    Standard,
    Express,
}

impl ExecArgs {
    fn express(&self) -> bool {
        self.workflow_type == WorkflowType::Express
    }

    /// Options for the engine (start time, seed, name).
    fn options(&self) -> Result<Options, String> {
        let mut opts = Options {
            seed: self.seed,
            express: self.express(),
            ..Options::default()
        };
        if let Some(n) = &self.name {
            opts.state_machine_name = n.clone();
        }
        if let Some(t) = &self.start_time {
            match asl::timestamp::parse_timestamp(t) {
                Some(d) => opts.start_time_ms = d.timestamp_millis(),
                None => return Err(format!("--start-time: '{t}' is not an RFC 3339 timestamp")),
            }
        }
        Ok(opts)
    }
}

/// Options of the debugger (`asldbg [FILE]`); they mirror `run`.
#[derive(Args)]
struct DebugArgs {
    /// The definition to debug (JSON or YAML).
    definition: Option<String>,
    /// Open a bundled sample (see `asldbg samples`).
    #[arg(long, conflicts_with = "definition")]
    sample: Option<String>,
    #[command(flatten)]
    exec: ExecArgs,
    /// Colour theme: dark, light, high-contrast, or a .tmTheme file.
    #[arg(long, default_value = "dark")]
    theme: String,
    /// Start with the mouse off (keeps the terminal's copy-paste over SSH).
    #[arg(long = "no-mouse")]
    no_mouse: bool,
    /// Draw with ASCII only (TERM=linux: the Linux console's glyphs).
    #[arg(long)]
    ascii: bool,
    /// Replay a recorded execution: the file given is its history (`aws
    /// stepfunctions get-execution-history --output json`), this the
    /// definition to run it on; tasks are answered as recorded.
    #[arg(long = "definition", value_name = "DEF")]
    replay_definition: Option<String>,
    /// What test suites covered (the JSON of `asldbg test --coverage-out`):
    /// `C` shows it on the graph.
    #[arg(long, value_name = "FILE")]
    coverage: Option<String>,
    /// A session file: opened where it was when it exists (breakpoints,
    /// watches, edits, the seed, the moment); `W` saves to it.
    #[arg(long, value_name = "FILE")]
    session: Option<String>,
    /// On quit, write the run's history (`get-execution-history` shape).
    #[arg(long = "save-history", value_name = "FILE")]
    save_history: Option<String>,
    /// With a history: what `describe-state-machine-for-execution` (its
    /// definition) or `describe-execution` printed.
    #[arg(long, value_name = "FILE")]
    execution: Option<String>,
    /// A history to compare the run with (`get-execution-history` output,
    /// or `asldbg run --events --format json`): `D` shows where they part
    /// and what differs.
    #[arg(long, value_name = "HISTORY")]
    compare: Option<String>,
    /// The histories of the child executions a Distributed Map started
    /// (files, or folders of `*.json` histories): their Tasks' calls
    /// answer the Map's iterations (with a history to replay).
    #[arg(long, value_name = "PATH")]
    children: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum GraphFormat {
    Text,
    Dot,
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    Text,
    Json,
}

/// What a run needs besides the definition (shared with the debugger).
#[derive(Args)]
struct RunArgs {
    /// The definition (JSON or YAML).
    definition: String,
    #[command(flatten)]
    exec: ExecArgs,
    /// Lift AWS's quotas: the 256 KiB payload quota, and the 25,000-event
    /// history of a Standard workflow (to 1,000,000 events, still a bound on
    /// a run that loops for ever).
    #[arg(long = "no-quota")]
    no_quota: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Include the execution history.
    #[arg(long)]
    events: bool,
    /// Also draw the state graph with the run on it: transitions taken in
    /// heavy lines, visited (•) and failed (✗) states, ×N visits.
    #[arg(long)]
    graph: bool,
}

#[derive(Args)]
struct ReplayArgs {
    /// The history: what `aws stepfunctions get-execution-history
    /// --execution-arn ARN --output json` prints (--reverse-order too).
    history: String,
    /// The definition to replay it on (a fixed one, to see whether the fix
    /// changes the path); default: the one in --execution.
    #[arg(long)]
    definition: Option<String>,
    /// What `aws stepfunctions describe-state-machine-for-execution` (the
    /// definition it ran) or `describe-execution` (its name and ARN) printed.
    #[arg(long, value_name = "FILE")]
    execution: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the recorded Task answers as a Step Functions Local
    /// MockConfigFile (test case "Recorded"): the execution becomes a test.
    #[arg(long = "export-mocks", value_name = "FILE")]
    export_mocks: Option<String>,
    /// The histories of the child executions a Distributed Map started
    /// (files, or folders of `*.json` histories): their Tasks' calls
    /// answer the Map's iterations.
    #[arg(long, value_name = "PATH")]
    children: Vec<String>,
    #[command(flatten)]
    source: SourceArgs,
}

#[derive(Args)]
struct DiffArgs {
    /// A history (recorded with `aws stepfunctions get-execution-history
    /// --output json`, or `asldbg run --events --format json` output), or
    /// a definition (or template) to run with the options below.
    a: String,
    /// The other side, the same way.
    b: String,
    /// How a definition side runs: --input, --mocks, --test-case, ….
    #[command(flatten)]
    exec: ExecArgs,
    /// The second side's input, when it differs (default: --input).
    #[arg(long = "b-input", value_name = "FILE")]
    b_input: Option<String>,
    /// The second side's test case in the mock file (default: --test-case).
    #[arg(long = "b-test-case", value_name = "NAME")]
    b_test_case: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also draw both runs on one graph: transitions either took in heavy
    /// lines, `•` states both entered, `a`/`b` those only one entered.
    #[arg(long)]
    graph: bool,
    /// The definition to draw when both sides are histories.
    #[arg(long, value_name = "DEF")]
    definition: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a state machine headless and print the result.
    Run(RunArgs),
    /// List the bundled samples.
    Samples,
    /// Print the state graph (text, Graphviz DOT or Mermaid).
    Graph {
        definition: String,
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
        /// Small boxes with abbreviated names, for large machines.
        #[arg(long)]
        compact: bool,
        /// Draw this Parallel or Map state as one box (repeatable).
        #[arg(long, value_name = "STATE")]
        collapse: Vec<String>,
        /// Show what tests covered (the JSON of `asldbg test --coverage-out`):
        /// transitions taken in heavy lines, states entered marked •, states
        /// never entered marked ○.
        #[arg(long, value_name = "FILE")]
        coverage: Option<String>,
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Check a definition and report every problem with its position.
    Validate {
        definition: String,
        #[command(flatten)]
        source: SourceArgs,
        /// Check it as an EXPRESS workflow.
        #[arg(long = "type", value_enum, ignore_case = true, default_value_t = WorkflowType::Standard)]
        workflow_type: WorkflowType,
    },
    /// Replay an execution recorded on AWS: run the definition on the
    /// recorded input, answer each Task as the recording says it was
    /// answered, and report the first event where the local run parts from
    /// the recording (exit 0: reproduced, 1: diverges, 2: bad input).
    Replay(ReplayArgs),
    /// Compare two runs: where their paths part, then how each state's
    /// input and output differ, visit by visit (exit 0: the same, 1: they
    /// differ, 2: bad input).
    Diff(DiffArgs),
    /// Run test suites (*.test.yaml, *.test.json): each case runs the
    /// definition on its input and mocks and checks what it expects
    /// (exit 0: all pass, 1: a case failed, 2: an invalid suite).
    Test(cli::test::TestArgs),
    /// AWS's TestState API offline: run one state (of a state or a state
    /// machine definition) with a mock, and print the response AWS gives:
    /// status, output, next state, error, and at DEBUG the value after each
    /// stage (exit 0 whatever the status; 2: a request AWS would refuse).
    TestState(cli::test_state::TestStateArgs),
    /// Teach a class over SSH: each student who connects (`ssh -p 2222
    /// class@HOST`) gets their own debugger on the lessons served.
    Serve(cli::serve::ServeArgs),
    /// Time the engine on the standard workloads (../shared/bench).
    Bench {
        #[arg(default_value = "../shared/bench")]
        dir: String,
        /// Runs per workload (the best one counts).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Only workloads whose name contains this.
        #[arg(long)]
        only: Option<String>,
        /// Time the terminal front end instead of the engine.
        #[arg(long)]
        ui: bool,
        /// Time each workload as a whole `asldbg run` process, next to the
        /// floor (a one-state run's process + serde_json parsing the files).
        #[arg(long)]
        process: bool,
        /// Time `asldbg test` on a suite of 1,000 cases over the credit-card
        /// sample (target: at most 1 s).
        #[arg(long)]
        suite: bool,
        /// A class on this machine: `asldbg serve` with this many real
        /// OpenSSH clients stepping through the credit-card lesson (key
        /// press to frame, p50/p99; memory per session).
        #[arg(long, value_name = "CLIENTS")]
        serve: Option<usize>,
    },
    /// Run the JSONata reference suite (../shared/jsonata-suite) through our adapter.
    JsonataSuite {
        #[arg(default_value = "../shared/jsonata-suite")]
        dir: String,
        /// Exit 1 when fewer cases pass.
        #[arg(long)]
        floor: Option<usize>,
        /// Print each failing case.
        #[arg(long)]
        verbose: bool,
    },
    /// Run the AWS-recorded conformance corpus.
    Conformance {
        dir: String,
        /// Write a JSON report of every case.
        #[arg(long)]
        json: Option<String>,
        /// Print each failing case.
        #[arg(long)]
        verbose: bool,
        /// A floor file (`key=count` lines): exit 1 when a count drops below it.
        #[arg(long)]
        floor: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return debug(cli.debug);
    };
    match command {
        Command::Run(args) => run(args),
        Command::Replay(args) => replay(args),
        Command::Diff(args) => diff(args),
        Command::TestState(args) => cli::test_state::run(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Test(args) => cli::test::run(args),
        Command::Validate {
            definition,
            source,
            workflow_type,
        } => validate(&definition, &source, workflow_type == WorkflowType::Express),
        Command::Graph {
            definition,
            format,
            compact,
            collapse,
            coverage,
            source,
        } => {
            // A definition with problems is drawn all the same, its states
            // that have them marked ✗, the problems listed on stderr.
            let opts = match source.options(false, true) {
                Ok(o) => asl::OpenOptions { sketch: true, ..o },
                Err(e) => return fail2(e),
            };
            let opened = match asl::load(&definition, &opts) {
                Loaded::Ok(o) => *o,
                Loaded::Unreadable(e) => return fail2(e),
                Loaded::Invalid(errs) => {
                    for e in &errs {
                        errln!("asldbg: {e}");
                    }
                    errln!("asldbg: {definition}: no state graph to draw");
                    return ExitCode::from(2);
                }
            };
            for line in said(&opened) {
                errln!("asldbg: {line}");
            }
            for e in &opened.problems {
                errln!("asldbg: {e}");
            }
            let def = opened.definition;
            let mut marks = asldbg::graph::problem_marks(
                &def,
                &opened.prefix,
                opened.problems.iter().map(|e| e.pointer.as_str()),
            );
            let mut legend = None;
            if let Some(file) = &coverage {
                if format != GraphFormat::Text {
                    return fail2("--coverage draws the text graph (--format text)");
                }
                let report = match cli::test::coverage_of(file, &definition) {
                    Ok(r) => r,
                    Err(e) => return fail2(e),
                };
                marks = asldbg::testing::coverage::marks(&def, &report);
                legend = Some(cli::test::coverage_legend(&report));
            }
            let collapsed = match asldbg::graph::containers_named(&def, &collapse) {
                Ok(c) => c,
                Err(e) => {
                    errln!("{definition}: {e}");
                    return ExitCode::from(2);
                }
            };
            match format {
                GraphFormat::Text => {
                    let l = asldbg::graph::layout_with(&def, 0, compact, &collapsed);
                    let drawn = asldbg::graph::text::render(&l);
                    for line in asldbg::graph::text::with_marks(&drawn, &marks) {
                        outln!("{line}");
                    }
                    for line in legend.iter().flatten() {
                        outln!("{line}");
                    }
                }
                GraphFormat::Dot => asldbg::output::out(&asldbg::graph::to_dot(&def, &collapsed)),
                GraphFormat::Mermaid => {
                    asldbg::output::out(&asldbg::graph::to_mermaid(&def, &collapsed))
                }
            }
            if opened.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                errln!(
                    "asldbg: {definition}: {} problem(s); the states that have them are marked ✗",
                    opened.problems.len()
                );
                ExitCode::from(1)
            }
        }
        Command::Samples => {
            for s in asldbg::samples::SAMPLES {
                outln!("{:<20} {}", s.name, s.description);
            }
            ExitCode::SUCCESS
        }
        Command::Bench {
            suite: true, runs, ..
        } => match asldbg::bench::suite("samples", 1000, runs) {
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
        Command::Bench {
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
        Command::Bench { ui: true, runs, .. } => {
            for (what, t) in asldbg::tui::bench::run(runs.max(1)) {
                outln!("{:>10.3} ms  {what}", t.as_secs_f64() * 1000.0);
            }
            for (what, bytes) in asldbg::tui::bench::memory() {
                outln!("{:>10.3} MB  {what}", bytes as f64 / 1e6);
            }
            ExitCode::SUCCESS
        }
        Command::Bench {
            dir,
            runs,
            only,
            process: true,
            ..
        } => bench_process(&dir, runs, only.as_deref()),
        Command::Bench {
            dir, runs, only, ..
        } => bench(&dir, runs, only.as_deref()),
        Command::JsonataSuite {
            dir,
            floor,
            verbose,
        } => jsonata_suite(&dir, floor, verbose),
        Command::Conformance {
            dir,
            json,
            verbose,
            floor,
        } => conformance_cmd(&dir, json, verbose, floor),
    }
}

fn fail2(msg: impl std::fmt::Display) -> ExitCode {
    errln!("asldbg: {msg}");
    ExitCode::from(2)
}

/// What opening a definition said that does not stop it: notes, then
/// warnings, a line each.
fn said(o: &asl::Opened) -> Vec<String> {
    o.notes
        .iter()
        .map(|n| format!("note: {n}"))
        .chain(o.warnings.iter().map(|w| format!("warning: {w}")))
        .collect()
}

/// The definition with its notes and warnings printed, or every problem
/// printed and exit code 2.
fn load_or_exit(
    file: &str,
    source: &SourceArgs,
    express: bool,
    check_only: bool,
) -> Result<asl::Opened, ExitCode> {
    let opts = source.options(express, check_only).map_err(fail2)?;
    opened_or_exit(asl::load(file, &opts))
}

/// An opened definition with its notes and warnings printed, or every
/// problem printed and exit code 2.
fn opened_or_exit(loaded: Loaded) -> Result<asl::Opened, ExitCode> {
    match loaded {
        Loaded::Ok(o) => {
            for line in said(&o) {
                errln!("asldbg: {line}");
            }
            Ok(*o)
        }
        Loaded::Unreadable(e) => Err(fail2(e)),
        Loaded::Invalid(errs) => {
            for e in &errs {
                errln!("asldbg: {e}");
            }
            Err(ExitCode::from(2))
        }
    }
}

fn validate(file: &str, source: &SourceArgs, express: bool) -> ExitCode {
    let opts = match source.options(express, true) {
        Ok(o) => o,
        Err(e) => return fail2(e),
    };
    match asl::load(file, &opts) {
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
            outln!("{file}:{which} valid ({n} states{warned})");
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

fn run(args: RunArgs) -> ExitCode {
    let RunArgs {
        definition,
        exec,
        no_quota,
        format,
        events,
        graph,
    } = args;
    let file = definition.as_str();
    let opened = match load_or_exit(file, &exec.source, exec.express(), false) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let def = opened.definition;
    let input = match exec.input.as_deref() {
        None => Val::empty_obj(),
        Some(f) => match read_input(f, !no_quota) {
            Ok(v) => v,
            Err(e) => return fail2(e),
        },
    };
    let runner = match build_runner(&exec, opened.machine.as_deref(), None) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut opts = match exec.options() {
        Ok(o) => o,
        Err(e) => return fail2(e),
    };
    opts.express |= opened.express;
    if exec.name.is_none() {
        if let Some(m) = opened.machine {
            opts.state_machine_name = m;
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
    let mut ex = Execution::new(def.clone(), input, runner, opts);
    let status = ex.run();
    let drawing = graph.then(|| {
        let mut trace = asldbg::debugger::trace::Trace::default();
        trace.absorb(&def, ex.history());
        trace.absorb_children(&def, ex.child_events());
        let drawn = asldbg::graph::text::render(&asldbg::graph::layout(&def, 0, false));
        asldbg::graph::text::with_marks(&drawn, &trace)
    });
    let (error, cause) = ex
        .error()
        .map(|e| (json!(e.name()), json!(e.cause())))
        .unwrap_or((Value::Null, Value::Null));
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
                events: events.then(|| ex.history().iter().map(|e| e.to_json()).collect()),
                graph: drawing.as_ref(),
            };
            asldbg::output::out_json_pretty(&report);
        }
        Format::Text => {
            outln!("status: {}", status.as_str());
            let path: Vec<String> = ex
                .history()
                .iter()
                .filter(|e| e.event_type.as_str().ends_with("StateEntered"))
                .map(|e| {
                    let name = e.state.as_deref().unwrap_or_default();
                    format!("{name}{}", asldbg::engine::history::path_label(&e.frame))
                })
                .collect();
            outln!("path: {}", path.join(" → "));
            if let Some(e) = ex.error() {
                outln!("error: {}", e.name().unwrap_or("(none given)"));
                outln!("cause: {}", e.cause().unwrap_or("(none given)"));
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

/// What answers the tasks of a headless run: the mock file's test case
/// (`case`, else `--test-case`, else its first), then `--task-command`,
/// with `--s3-dir` serving ItemReaders.
fn build_runner(
    exec: &ExecArgs,
    machine: Option<&str>,
    case: Option<&str>,
) -> Result<Box<dyn TaskRunner>, ExitCode> {
    let runner: Box<dyn TaskRunner> = match &exec.mocks {
        Some(m) => {
            let doc = match asl::read_document(m) {
                Ok(d) => d,
                Err(e) => return Err(fail2(e)),
            };
            let name = mock_machine(&doc.value, exec.name.as_deref(), machine);
            let case = case
                .map(str::to_string)
                .or_else(|| exec.test_case.clone())
                .or_else(|| first_test_case(&doc.value, name))
                .unwrap_or_default();
            match MockRunner::from_value(&doc.value, m, name, &case) {
                Ok(r) => Box::new(r),
                Err(e) => {
                    let (line, column) = doc.position(&e.pointer).unwrap_or((1, 1));
                    return Err(fail2(LoadError { line, column, ..e }));
                }
            }
        }
        None => Box::new(NoRunner),
    };
    let runner: Box<dyn TaskRunner> = match exec.task_command.clone() {
        Some(command) => {
            asldbg::engine::task::kill_commands_on_signals();
            Box::new(Chain {
                first: runner,
                then: Box::new(CommandRunner { command }),
            })
        }
        None => runner,
    };
    let runner: Box<dyn TaskRunner> = match exec.s3_dir.clone() {
        Some(dir) => Box::new(LocalS3 {
            root: dir.into(),
            inner: runner,
        }),
        None => runner,
    };
    Ok(runner)
}

/// A recorded history, its execution's details and the definition to
/// replay it on, read and checked; every problem is exit 2.
struct ReplaySetup {
    rec: asldbg::replay::Recording,
    info: asldbg::replay::ExecutionInfo,
    opened: asl::Opened,
    label: String,
}

fn replay_setup(
    history: &str,
    definition: Option<&str>,
    execution: Option<&str>,
    children: &[String],
    source: &SourceArgs,
) -> Result<ReplaySetup, ExitCode> {
    let doc = asl::read_document(history).map_err(fail2)?;
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
fn child_histories(paths: &[String]) -> Result<Vec<(String, asldbg::replay::Recording)>, ExitCode> {
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
            let doc = asl::read_document(&f).map_err(fail2)?;
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
    fn options(&self) -> Options {
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

fn replay(args: ReplayArgs) -> ExitCode {
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
fn is_history(v: &Value) -> bool {
    v.get("States").is_none() && v.get("events").is_some_and(|e| e.is_array())
}

/// The history in `doc`, or its problem printed with the file, line:column
/// and pointer (exit 2).
fn history_of(file: &str, doc: &asl::Document) -> Result<asldbg::replay::Recording, ExitCode> {
    asldbg::replay::recording::read_placed(file, doc).map_err(fail2)
}

/// One side of `diff`: a history read, or a definition run (and then
/// the definition too). The file is read once.
fn diff_side(
    file: &str,
    exec: &ExecArgs,
    input: Option<&str>,
    case: Option<&str>,
) -> Result<(asldbg::replay::Recording, Option<Arc<asl::Definition>>), ExitCode> {
    let opts = exec.source.options(exec.express(), false).map_err(fail2)?;
    let doc = asl::load_document(file, &opts).map_err(fail2)?;
    if is_history(&doc.value) {
        return Ok((history_of(file, &doc)?, None));
    }
    let opened = opened_or_exit(asl::open(file, doc, &opts))?;
    let input = match input {
        Some(f) => read_input(f, true).map_err(fail2)?,
        None => Val::empty_obj(),
    };
    let runner = build_runner(exec, opened.machine.as_deref(), case)?;
    let mut opts = exec.options().map_err(fail2)?;
    opts.express |= opened.express;
    if let (None, Some(m)) = (&exec.name, &opened.machine) {
        opts.state_machine_name = m.clone();
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

fn diff(args: DiffArgs) -> ExitCode {
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
        let drawn = asldbg::graph::text::render(&asldbg::graph::layout(&def, 0, false));
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

fn conformance_cmd(
    dir: &str,
    report: Option<String>,
    verbose: bool,
    floor: Option<String>,
) -> ExitCode {
    let results = match conformance::run_dir(dir) {
        Ok(r) => r,
        Err(e) => return fail2(e),
    };
    let mut fam: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &results {
        let e = fam.entry(r.family.clone()).or_default();
        e.1 += 1;
        if r.passed {
            e.0 += 1;
        }
        if verbose && !r.passed {
            outln!("FAIL {} :: {}", r.file, r.detail);
        }
    }
    outln!("{:<28} {:>6} {:>6}", "family", "passed", "total");
    for (f, (p, t)) in &fam {
        outln!("{f:<28} {p:>6} {t:>6}");
    }
    let exec: Vec<_> = results.iter().filter(|r| r.kind == "execution").collect();
    let jp: Vec<_> = exec.iter().filter(|r| !r.jsonata).collect();
    let jp_pass = jp.iter().filter(|r| r.passed).count();
    let with_hist: Vec<_> = exec.iter().filter(|r| r.history.is_some()).collect();
    let hist_ok = with_hist.iter().filter(|r| r.history == Some(true)).count();
    let inv: Vec<_> = results
        .iter()
        .filter(|r| r.kind == "invalid_definition")
        .collect();
    let inv_ok = inv.iter().filter(|r| r.passed).count();
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    outln!(
        "JSONPath executions: {jp_pass}/{} ({:.1}%)",
        jp.len(),
        pct(jp_pass, jp.len())
    );
    let all_pass = exec.iter().filter(|r| r.passed).count();
    outln!(
        "all executions: {all_pass}/{} ({:.1}%)",
        exec.len(),
        pct(all_pass, exec.len())
    );
    outln!(
        "history matches: {hist_ok}/{} ({:.1}%)",
        with_hist.len(),
        pct(hist_ok, with_hist.len())
    );
    outln!("invalid definitions rejected: {inv_ok}/{}", inv.len());
    let val: Vec<_> = results
        .iter()
        .filter(|r| r.kind == "validate_definition")
        .collect();
    let val_ok = val.iter().filter(|r| r.passed).count();
    outln!(
        "ValidateStateMachineDefinition answers matched (OK or FAIL): {val_ok}/{}",
        val.len()
    );
    let ts: Vec<_> = results.iter().filter(|r| r.kind == "test_state").collect();
    let ts_ok = ts.iter().filter(|r| r.passed).count();
    outln!(
        "TestState responses matched: {ts_ok}/{} ({:.1}%)",
        ts.len(),
        pct(ts_ok, ts.len())
    );
    let replayed: Vec<_> = results.iter().filter(|r| r.replay.is_some()).collect();
    let replay_ok = replayed.iter().filter(|r| r.replay == Some(true)).count();
    outln!(
        "replay of recorded histories (AWS CLI shape): {replay_ok}/{} reproduced ({:.1}%)",
        replayed.len(),
        pct(replay_ok, replayed.len())
    );
    let faithful: Vec<_> = replayed.iter().filter(|r| r.replay_faithful).collect();
    let faithful_ok = faithful.iter().filter(|r| r.replay == Some(true)).count();
    outln!(
        "  of them as AWS recorded them (ids kept, input not normalised): {faithful_ok}/{} ({:.1}%)",
        faithful.len(),
        pct(faithful_ok, faithful.len())
    );
    if verbose {
        for r in replayed.iter().filter(|r| r.replay == Some(false)) {
            outln!("REPLAY {} :: {}", r.file, r.replay_detail);
        }
    }
    if let Some(path) = report {
        let cases: Vec<Value> = results
            .iter()
            .map(|r| json!({"id": r.id, "file": r.file, "family": r.family, "kind": r.kind, "jsonata": r.jsonata, "passed": r.passed, "history": r.history, "detail": r.detail, "replay": r.replay, "replay_detail": r.replay_detail, "replay_faithful": r.replay_faithful}))
            .collect();
        if let Err(e) = std::fs::write(
            &path,
            serde_json::to_string_pretty(&json!({"cases": cases})).unwrap_or_default(),
        ) {
            return fail2(format!("{path}: {e}"));
        }
    }
    let passed = results.iter().filter(|r| r.passed).count();
    let mut code = ExitCode::SUCCESS;
    if let Some(floor) = floor {
        let text = match std::fs::read_to_string(&floor) {
            Ok(t) => t,
            Err(e) => return fail2(format!("{floor}: {e}")),
        };
        let counts = [
            ("passed", passed),
            ("jsonpath", jp_pass),
            ("history", hist_ok),
            ("invalid", inv_ok),
            ("replay", replay_ok),
            ("validate", val_ok),
            ("test_state", ts_ok),
        ];
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return fail2(format!("{floor}:{}:1: expected key=count", n + 1));
            };
            let Some((_, got)) = counts.iter().find(|(name, _)| *name == k.trim()) else {
                return fail2(format!("{floor}:{}:1: unknown key '{}'", n + 1, k.trim()));
            };
            let Ok(want) = v.trim().parse::<usize>() else {
                return fail2(format!(
                    "{floor}:{}:{}: '{}' is not a count",
                    n + 1,
                    k.len() + 2,
                    v.trim()
                ));
            };
            if *got < want {
                errln!(
                    "conformance floor broken: {} = {got}, floor {want}",
                    k.trim()
                );
                code = ExitCode::from(1);
            } else if *got > want {
                outln!(
                    "conformance: {} = {got} is above the floor {want}; raise it in {floor}",
                    k.trim()
                );
            }
        }
    }
    outln!("{} passed, {} failed", passed, results.len() - passed);
    code
}

fn bench_process(dir: &str, runs: usize, only: Option<&str>) -> ExitCode {
    let results = match asldbg::bench::process(dir, runs.max(1), only) {
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

fn bench(dir: &str, runs: usize, only: Option<&str>) -> ExitCode {
    let results = match asldbg::bench::run(dir, runs.max(1), only) {
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

fn jsonata_suite(dir: &str, floor: Option<usize>, verbose: bool) -> ExitCode {
    let report = match asldbg::jsonata_suite::run(dir) {
        Ok(r) => r,
        Err(e) => return fail2(e),
    };
    let total = report.cases.len() + report.unreadable.len();
    if verbose {
        for c in report.cases.iter().filter(|c| !c.passed) {
            outln!("FAIL {}#{} :: {}", c.file, c.index, c.detail);
        }
    }
    let aws = report.cases.iter().filter(|c| c.aws_difference).count();
    for u in &report.unreadable {
        outln!("skipped (not valid UTF-8 JSON: lone surrogate): {u}");
    }
    outln!("cases judged by AWS's behaviour (?? and ?: rejected, no $eval): {aws}");
    let passed = report.passed();
    outln!("jsonata suite: {passed} of {total} cases pass");
    if let Some(f) = floor {
        if passed < f {
            errln!("jsonata suite floor broken: {passed} < {f}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

/// `asldbg [FILE]`: the terminal debugger.
fn debug(args: DebugArgs) -> ExitCode {
    use asldbg::debugger::Session;
    use asldbg::engine::task::Interactive;
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
            match asldbg::tui::pick(&items) {
                Ok(Some(i)) => Some(&asldbg::samples::SAMPLES[i]),
                Ok(None) => return ExitCode::SUCCESS,
                Err(e) => return fail2(e),
            }
        }
    };
    let open_opts = match args.exec.source.options(args.exec.express(), false) {
        Ok(o) => o,
        Err(e) => return fail2(e),
    };
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
    // A file is watched: when it changes the debugger runs the new one.
    let watched = args
        .definition
        .as_ref()
        .map(|f| asldbg::tui::reload::DefinitionFile::new(f, open_opts.clone(), &opened.prefix));
    let def = opened.definition;
    let input = match (&args.exec.input, sample) {
        (Some(f), _) => match read_input(f, true) {
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
    let background = args
        .exec
        .task_command
        .clone()
        .map(asldbg::engine::task::Background::new);
    let with_command = {
        let background = background.clone();
        move |first: Box<dyn TaskRunner>| -> Box<dyn TaskRunner> {
            match &background {
                Some(b) => Box::new(Chain {
                    first,
                    then: Box::new(b.clone()),
                }),
                None => first,
            }
        }
    };
    let mut task_source = if args.exec.task_command.is_some() {
        "the --task-command did not answer it".to_string()
    } else {
        "no --mocks file answers it, and no --task-command".to_string()
    };
    let runner: asldbg::debugger::RunnerFactory = match mocks_doc {
        Some((file, doc)) => {
            let name = mock_machine(
                &doc.value,
                args.exec.name.as_deref(),
                opened.machine.as_deref(),
            );
            let case = args
                .exec
                .test_case
                .clone()
                .or_else(|| sample.and_then(|s| s.test_case).map(str::to_string))
                .or_else(|| first_test_case(&doc.value, name))
                .unwrap_or_default();
            task_source = format!(
                "{file} has no answer for this state in test case {case}, and no --task-command"
            );
            match MockRunner::from_value(&doc.value, &file, name, &case) {
                Ok(m) => Box::new(move || {
                    Box::new(Interactive {
                        inner: with_command(Box::new(m.clone())),
                    }) as Box<dyn TaskRunner>
                }),
                Err(e) => {
                    let (line, column) = doc.position(&e.pointer).unwrap_or((1, 1));
                    return fail2(LoadError { line, column, ..e });
                }
            }
        }
        None => Box::new(move || {
            Box::new(Interactive {
                inner: with_command(Box::new(NoRunner)),
            }) as Box<dyn TaskRunner>
        }),
    };
    let mut opts = match args.exec.options() {
        Ok(o) => o,
        Err(e) => return fail2(e),
    };
    opts.express |= opened.express;
    if args.exec.name.is_none() {
        if let Some(m) = &opened.machine {
            opts.state_machine_name = m.clone();
        }
    }
    let theme = match theme::Theme::load(&args.theme, theme::ColorMode::detect()) {
        Ok(t) => t,
        Err(e) => return fail2(e),
    };
    let runner: asldbg::debugger::RunnerFactory = match args.exec.s3_dir.clone() {
        Some(dir) => Box::new(move || {
            Box::new(LocalS3 {
                root: dir.clone().into(),
                inner: runner(),
            }) as Box<dyn TaskRunner>
        }),
        None => runner,
    };
    let coverage = match &args.coverage {
        Some(file) => {
            let of = args.definition.as_deref().unwrap_or_default();
            match cli::test::coverage_of(file, of) {
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
            cli::test::coverage_legend(report).pop().unwrap_or_default(),
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
                Err(e) => return fail2(format!("{file}: {e}")),
            };
            let mut gone = restored.gone;
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
                    app.session.exec.history().len()
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
    let ran = asldbg::tui::run_with(app);
    for line in &to_say {
        errln!("asldbg: {line}");
    }
    match ran {
        Ok(app) => {
            if let Some(file) = &args.save_history {
                let doc = asldbg::engine::history::export(app.session.exec.history());
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
fn debug_replay(args: &DebugArgs, history: &str) -> ExitCode {
    use asldbg::debugger::Session;
    use asldbg::engine::task::Interactive;
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
        Box::new(Interactive {
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

/// The execution input from a file or `-` (standard input). With the quota
/// on, an input over 256 KiB is refused as StartExecution refuses it, before
/// more of it is read; without, inputs up to 1 GiB are read.
fn read_input(file: &str, quota: bool) -> Result<Val, LoadError> {
    let cap = if quota {
        asldbg::engine::PAYLOAD_QUOTA as u64
    } else {
        asl::MAX_DOCUMENT_BYTES
    };
    match asl::read_value_capped(file, cap) {
        Ok(v) => Ok(v),
        Err(mut e) if quota && e.message.starts_with("larger than") => {
            e.message = format!(
                "the input is larger than the 256 KiB payload quota (--no-quota lifts it, up to {} MiB)",
                asl::MAX_DOCUMENT_BYTES >> 20
            );
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// The state machine of a mock file to answer from: `--name`, else the
/// template's machine when the file has one by that name.
fn mock_machine<'a>(
    mocks: &Value,
    name: Option<&'a str>,
    template_machine: Option<&'a str>,
) -> Option<&'a str> {
    name.or_else(|| {
        template_machine.filter(|m| mocks.pointer(&format!("/StateMachines/{m}")).is_some())
    })
}

/// The first test case of machine `name` (default: the file's first machine).
fn first_test_case(mocks: &Value, name: Option<&str>) -> Option<String> {
    let machines = mocks.get("StateMachines")?.as_object()?;
    let m = match name {
        Some(n) => machines.get(n)?,
        None => machines.values().next()?,
    };
    m.get("TestCases")?.as_object()?.keys().next().cloned()
}
