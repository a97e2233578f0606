//! The command line's arguments (clap).

use asldbg::asl::{self, LoadError};
use asldbg::engine::Options;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "asldbg",
    version,
    about = "Run and debug AWS Step Functions state machines locally",
    long_about = "Run and debug AWS Step Functions state machines locally.\n\n`asldbg FILE` opens the debugger on a definition; `asldbg` alone opens a picker of the bundled samples.",
    args_conflicts_with_subcommands = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) debug: DebugArgs,
}

/// Where the definition is: a template may hold several, and placeholders
/// in it are filled from these.
#[derive(Args, Clone, Default)]
pub(crate) struct SourceArgs {
    /// The state machine to take from a template (CloudFormation, SAM, CDK
    /// synth output or serverless.yml) that holds several.
    #[arg(long, value_name = "NAME")]
    pub(crate) machine: Option<String>,
    /// Fill the ${NAME} placeholder (repeatable; wins over --subs and the
    /// template's DefinitionSubstitutions).
    #[arg(long = "sub", value_name = "NAME=VALUE")]
    pub(crate) sub: Vec<String>,
    /// Fill placeholders from a JSON or YAML object of NAME: VALUE.
    #[arg(long = "subs", value_name = "FILE")]
    pub(crate) subs: Option<String>,
}

impl SourceArgs {
    pub(crate) fn options(
        &self,
        express: bool,
        check_only: bool,
    ) -> Result<asl::OpenOptions, LoadError> {
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
pub(crate) struct ExecArgs {
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    /// Execution input: a file, or - for standard input (default: {}, or a sample's input).
    #[arg(long)]
    pub(crate) input: Option<String>,
    /// A Step Functions Local MockConfigFile.
    #[arg(long)]
    pub(crate) mocks: Option<String>,
    /// The test case in the mock file (default: a sample's, or the file's first).
    #[arg(long = "test-case")]
    pub(crate) test_case: Option<String>,
    /// The state machine's name in the mock file (default: its only one).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Virtual start time (RFC 3339; default 2024-11-14T22:13:20Z). Before
    /// 2023-11-15 the context object has no Execution.RedriveCount, as on AWS then.
    #[arg(long = "start-time")]
    pub(crate) start_time: Option<String>,
    /// Seed for States.UUID, States.MathRandom, task tokens and retry jitter.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Serve Distributed Map ItemReaders (s3:getObject, s3:listObjectsV2) from DIR/<Bucket>/<Key>.
    #[arg(long = "s3-dir")]
    pub(crate) s3_dir: Option<String>,
    /// Answer tasks the mocks do not answer with a local command (JSON request on stdin, JSON result
    /// on stdout); in the debugger it runs on its own thread.
    #[arg(long = "task-command")]
    pub(crate) task_command: Option<String>,
    /// Stop a --task-command still running after DURATION (500ms, 30s, 5m)
    /// when its Task sets no TimeoutSeconds: the task fails with
    /// States.Timeout. Without it such a command may run for ever, as AWS
    /// would wait (in the debugger, A aborts it).
    #[arg(long = "task-timeout", value_name = "DURATION")]
    pub(crate) task_timeout: Option<String>,
    /// Workflow type: EXPRESS rejects activities, .sync and .waitForTaskToken, and its
    /// context object has an express execution ARN and no RedriveCount.
    #[arg(long = "type", value_enum, ignore_case = true, default_value_t = WorkflowType::Standard)]
    pub(crate) workflow_type: WorkflowType,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
pub(crate) enum WorkflowType {
    Standard,
    Express,
}

impl ExecArgs {
    /// `--task-timeout`, read.
    pub(crate) fn task_timeout(&self) -> Result<Option<std::time::Duration>, ExitCode> {
        self.task_timeout
            .as_deref()
            .map(|t| super::common::duration("task-timeout", t))
            .transpose()
            .map_err(super::common::fail2)
    }

    pub(crate) fn express(&self) -> bool {
        self.workflow_type == WorkflowType::Express
    }

    /// Options for the engine (start time, seed, name).
    pub(crate) fn options(&self) -> Result<Options, String> {
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
pub(crate) struct DebugArgs {
    /// The definition to debug (JSON or YAML).
    pub(crate) definition: Option<String>,
    /// Open a bundled sample (see `asldbg samples`).
    #[arg(long, conflicts_with = "definition")]
    pub(crate) sample: Option<String>,
    #[command(flatten)]
    pub(crate) exec: ExecArgs,
    /// Colour theme: dark, light, high-contrast, or a .tmTheme file.
    #[arg(long, default_value = "dark")]
    pub(crate) theme: String,
    /// Start with the mouse off (keeps the terminal's copy-paste over SSH).
    #[arg(long = "no-mouse")]
    pub(crate) no_mouse: bool,
    /// Draw with ASCII only (TERM=linux: the Linux console's glyphs).
    #[arg(long)]
    pub(crate) ascii: bool,
    /// Replay a recorded execution: the file given is its history (`aws
    /// stepfunctions get-execution-history --output json`), this the
    /// definition to run it on; tasks are answered as recorded.
    #[arg(long = "definition", value_name = "DEF")]
    pub(crate) replay_definition: Option<String>,
    /// What test suites covered (the JSON of `asldbg test --coverage-out`):
    /// `C` shows it on the graph.
    #[arg(long, value_name = "FILE")]
    pub(crate) coverage: Option<String>,
    /// A session file: opened where it was when it exists (breakpoints,
    /// watches, edits, the seed, the moment); `W` saves to it.
    #[arg(long, value_name = "FILE")]
    pub(crate) session: Option<String>,
    /// On quit, write the run's history (`get-execution-history` shape).
    #[arg(long = "save-history", value_name = "FILE")]
    pub(crate) save_history: Option<String>,
    /// With a history: what `describe-state-machine-for-execution` (its
    /// definition) or `describe-execution` printed.
    #[arg(long, value_name = "FILE")]
    pub(crate) execution: Option<String>,
    /// A history to compare the run with (`get-execution-history` output,
    /// or `asldbg run --events --format json`): `D` shows where they part
    /// and what differs.
    #[arg(long, value_name = "HISTORY")]
    pub(crate) compare: Option<String>,
    /// The histories of the child executions a Distributed Map started
    /// (files, or folders of `*.json` histories): their Tasks' calls
    /// answer the Map's iterations (with a history to replay).
    #[arg(long, value_name = "PATH")]
    pub(crate) children: Vec<String>,
    /// Lift AWS's quotas, as `run --no-quota` does: the 256 KiB payload
    /// quota, and the 25,000-event history of a Standard workflow.
    #[arg(long = "no-quota")]
    pub(crate) no_quota: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
pub(crate) enum GraphFormat {
    Text,
    Dot,
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
pub(crate) enum Format {
    Text,
    Json,
}

/// What a run needs besides the definition (shared with the debugger).
#[derive(Args)]
pub(crate) struct RunArgs {
    /// The definition (JSON or YAML).
    pub(crate) definition: String,
    #[command(flatten)]
    pub(crate) exec: ExecArgs,
    /// Lift AWS's quotas: the 256 KiB payload quota, and the 25,000-event
    /// history of a Standard workflow (to 1,000,000 events, still a bound on
    /// a run that loops for ever).
    #[arg(long = "no-quota")]
    pub(crate) no_quota: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Include the execution history.
    #[arg(long)]
    pub(crate) events: bool,
    /// Also draw the state graph with the run on it: transitions taken in
    /// heavy lines, visited (•) and failed (✗) states, ×N visits.
    #[arg(long)]
    pub(crate) graph: bool,
    /// Also print the template's notes (what a reference stands as, …):
    /// `validate` prints them always.
    #[arg(long, short = 'v')]
    pub(crate) verbose: bool,
}

#[derive(Args)]
pub(crate) struct ReplayArgs {
    /// The history: what `aws stepfunctions get-execution-history
    /// --execution-arn ARN --output json` prints (--reverse-order too).
    pub(crate) history: String,
    /// The definition to replay it on (a fixed one, to see whether the fix
    /// changes the path); default: the one in --execution.
    #[arg(long)]
    pub(crate) definition: Option<String>,
    /// What `aws stepfunctions describe-state-machine-for-execution` (the
    /// definition it ran) or `describe-execution` (its name and ARN) printed.
    #[arg(long, value_name = "FILE")]
    pub(crate) execution: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Write the recorded Task answers as a Step Functions Local
    /// MockConfigFile (test case "Recorded"): the execution becomes a test.
    #[arg(long = "export-mocks", value_name = "FILE")]
    pub(crate) export_mocks: Option<String>,
    /// The histories of the child executions a Distributed Map started
    /// (files, or folders of `*.json` histories): their Tasks' calls
    /// answer the Map's iterations.
    #[arg(long, value_name = "PATH")]
    pub(crate) children: Vec<String>,
    #[command(flatten)]
    pub(crate) source: SourceArgs,
}

#[derive(Args)]
pub(crate) struct DiffArgs {
    /// A history (recorded with `aws stepfunctions get-execution-history
    /// --output json`, or `asldbg run --events --format json` output), or
    /// a definition (or template) to run with the options below.
    pub(crate) a: String,
    /// The other side, the same way.
    pub(crate) b: String,
    /// How a definition side runs: --input, --mocks, --test-case, ….
    #[command(flatten)]
    pub(crate) exec: ExecArgs,
    /// The second side's input, when it differs (default: --input).
    #[arg(long = "b-input", value_name = "FILE")]
    pub(crate) b_input: Option<String>,
    /// The second side's test case in the mock file (default: --test-case).
    #[arg(long = "b-test-case", value_name = "NAME")]
    pub(crate) b_test_case: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Also draw both runs on one graph: transitions either took in heavy
    /// lines, `•` states both entered, `a`/`b` those only one entered.
    #[arg(long)]
    pub(crate) graph: bool,
    /// The definition to draw when both sides are histories.
    #[arg(long, value_name = "DEF")]
    pub(crate) definition: Option<String>,
}

#[derive(Args)]
pub(crate) struct InitArgs {
    /// The definition or template to write a mock file, an input and a
    /// suite for.
    pub(crate) definition: String,
    /// Where to write them (default: beside the definition).
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<String>,
    /// Overwrite files that are there already.
    #[arg(long)]
    pub(crate) force: bool,
    #[command(flatten)]
    pub(crate) source: SourceArgs,
}

#[derive(Subcommand)]
pub(crate) enum MocksCommand {
    /// Read a mock file against the machine it mocks: test cases naming no
    /// Task state (with the closest name), machines under another name,
    /// invocation keys with gaps or overlaps. Exit 1 when something is found.
    Check {
        /// The mock file (Step Functions Local's MockConfigFile).
        mocks: String,
        /// The definition or template it mocks.
        #[arg(long, value_name = "DEF")]
        definition: String,
        /// The machine's name in the mock file, when not its deployed name.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        #[command(flatten)]
        source: SourceArgs,
    },
}

#[derive(Subcommand)]
pub(crate) enum LessonCommand {
    /// Check lesson folders headless: every exercise in `exercises.yaml`
    /// well formed, every moment it names reached by the lesson's run, each
    /// reference solution passing and no starter passing already (exit 0:
    /// all good, 1: a problem, each named).
    Check {
        #[arg(required = true)]
        dirs: Vec<String>,
    },
    /// Write a lesson folder NAME (a machine, its input, lesson.md and
    /// exercises.yaml with one exercise of each kind) that passes
    /// `lesson check`, to edit.
    New { name: String },
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run a state machine headless and print the result.
    Run(RunArgs),
    /// Mock files: `asldbg mocks check MOCKS --definition DEF`.
    #[command(subcommand)]
    Mocks(MocksCommand),
    /// Write mocks.json, input.json and NAME.test.yaml for a definition: a
    /// suite that passes at once, to edit.
    Init(InitArgs),
    /// List the bundled samples.
    Samples,
    /// Lessons for a class: `asldbg lesson check DIR…` checks each lesson
    /// folder's exercises; `asldbg lesson new NAME` writes a folder to
    /// start from.
    #[command(subcommand)]
    Lesson(LessonCommand),
    /// Print the state graph (text, Graphviz DOT or Mermaid).
    Graph(GraphArgs),
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
    Test(super::test::TestArgs),
    /// AWS's TestState API offline: run one state (of a state or a state
    /// machine definition) with a mock, and print the response AWS gives:
    /// status, output, next state, error, and at DEBUG the value after each
    /// stage (exit 0 whatever the status; 2: a request AWS would refuse).
    TestState(super::test_state::TestStateArgs),
    /// Teach a class over SSH: each student who connects (`ssh -p 2222
    /// class@HOST`) gets their own debugger on the lessons served.
    Serve(super::serve::ServeArgs),
    /// The debugger for editors: the Debug Adapter Protocol on standard
    /// input and output (VS Code, neovim, helix, Zed; see the README).
    Dap(super::dap::DapArgs),
    /// The language server for editors: `validate`'s problems as you type,
    /// go to a state, rename it, completion, and hover with the values of
    /// the nearest test suite's run (the Language Server Protocol on
    /// standard input and output; see the README).
    Lsp(super::lsp::LspArgs),
    /// Time the engine on the standard workloads (../shared/bench).
    Bench(BenchArgs),
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

#[derive(Args)]
pub(crate) struct GraphArgs {
    pub(crate) definition: String,
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub(crate) format: GraphFormat,
    /// Small boxes with abbreviated names, for large machines.
    #[arg(long)]
    pub(crate) compact: bool,
    /// Draw this Parallel or Map state as one box (repeatable).
    #[arg(long, value_name = "STATE")]
    pub(crate) collapse: Vec<String>,
    /// Show what tests covered (the JSON of `asldbg test --coverage-out`):
    /// transitions taken in heavy lines, states entered marked •, states
    /// never entered marked ○.
    #[arg(long, value_name = "FILE")]
    pub(crate) coverage: Option<String>,
    /// Plain ASCII (the text format): lines as `+ - |`, each mark and
    /// state type its own letter, as the debugger's `--ascii` draws them.
    #[arg(long)]
    pub(crate) ascii: bool,
    #[command(flatten)]
    pub(crate) source: SourceArgs,
}

#[derive(Args)]
pub(crate) struct BenchArgs {
    #[arg(default_value = "../shared/bench")]
    pub(crate) dir: String,
    /// Runs per workload (the best one counts).
    #[arg(long, default_value_t = 5)]
    pub(crate) runs: usize,
    /// Only workloads whose name contains this.
    #[arg(long)]
    pub(crate) only: Option<String>,
    /// Time the terminal front end instead of the engine.
    #[arg(long)]
    pub(crate) ui: bool,
    /// Time each workload as a whole `asldbg run` process, next to the
    /// floor (a one-state run's process + serde_json parsing the files).
    #[arg(long)]
    pub(crate) process: bool,
    /// Time `asldbg test` on a suite of 1,000 cases over the credit-card
    /// sample (target: at most 1 s).
    #[arg(long)]
    pub(crate) suite: bool,
    /// A class on this machine: `asldbg serve` with this many real
    /// OpenSSH clients stepping through the credit-card lesson (key
    /// press to frame, p50/p99; memory per session).
    #[arg(long, value_name = "CLIENTS")]
    pub(crate) serve: Option<usize>,
    /// The debug adapter (`asldbg dap`) on the 5 MB workload: request to
    /// answer for next, stackTrace and variables, p50/p99 (target p99 <= 20 ms).
    #[arg(long)]
    pub(crate) dap: bool,
    /// The language server (`asldbg lsp`) on a generated definition of
    /// 1,000 states: an edit to its diagnostics (target <= 100 ms) and
    /// hover, completion, definition and references, p50/p99.
    #[arg(long)]
    pub(crate) lsp: bool,
}
