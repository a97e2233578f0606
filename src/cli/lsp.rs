//! `asldbg lsp`: the Language Server Protocol on standard input and output.

use super::common::*;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct LspArgs {
    /// Accepted for clients that pass it (the protocol is always spoken on
    /// standard input and output).
    #[arg(long)]
    stdio: bool,
}

pub(crate) fn run(args: LspArgs) -> ExitCode {
    let _ = args.stdio;
    let (conn, writer) = asldbg::lsp::transport::stdio();
    let served = asldbg::lsp::serve(&conn);
    // What was sent is written before the process ends.
    drop(conn);
    let _ = writer.join();
    match served {
        Ok(true) => ExitCode::SUCCESS,
        // `exit` without `shutdown`: 1, as the protocol says.
        Ok(false) => ExitCode::from(1),
        Err(e) => fail2(format!("lsp: {e}")),
    }
}
