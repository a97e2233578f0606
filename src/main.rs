//! The `asldbg` command line: each command lives in `src/cli/`.

use clap::Parser;
use cli::args::{Cli, Command, WorkflowType};
use std::process::ExitCode;

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

/// The stack the command runs on: reserved, and used only by what recurses
/// that deep (JSONata's own functions walk values recursively: a value
/// 50,000 levels deep, built within the memory budget, overflowed the main
/// thread's 8 MiB and aborted the process).
const STACK: usize = 512 << 20;

fn main() -> ExitCode {
    // SAFETY: mimalloc's collection of this thread's heap; no argument.
    asldbg::alloc::set_release(|| unsafe { libmimalloc_sys::mi_collect(true) });
    match std::thread::Builder::new()
        .name("asldbg".into())
        .stack_size(STACK)
        .spawn(command)
    {
        Ok(t) => t.join().unwrap_or(ExitCode::from(101)),
        // No room for the large stack: run here, as before.
        Err(_) => command(),
    }
}

fn command() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return cli::debug::debug(cli.debug);
    };
    match command {
        Command::Run(args) => cli::run::run(args),
        Command::Mocks(args) => cli::test::mocks(args),
        Command::Init(args) => cli::init::init(args),
        Command::Lesson(args) => cli::lesson::run(args),
        Command::Replay(args) => cli::replay::replay(args),
        Command::Diff(args) => cli::diff::diff(args),
        Command::TestState(args) => cli::test_state::run(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Dap(args) => cli::dap::run(args),
        Command::Lsp(args) => cli::lsp::run(args),
        Command::Test(args) => cli::test::run(args),
        Command::Validate {
            definition,
            source,
            workflow_type,
        } => cli::run::validate(&definition, &source, workflow_type == WorkflowType::Express),
        Command::Graph(args) => cli::graph::graph(args),
        Command::Samples => {
            for s in asldbg::samples::SAMPLES {
                asldbg::outln!("{:<20} {}", s.name, s.description);
            }
            ExitCode::SUCCESS
        }
        Command::Bench(args) => cli::bench::command(args),
        Command::JsonataSuite {
            dir,
            floor,
            verbose,
        } => cli::jsonata_suite::jsonata_suite(&dir, floor, verbose),
        Command::Conformance {
            dir,
            json,
            verbose,
            floor,
        } => cli::conformance::conformance_cmd(&dir, json, verbose, floor),
    }
}
