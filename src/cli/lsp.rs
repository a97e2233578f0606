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
    let (conn, threads) = lsp_server::Connection::stdio();
    let served = asldbg::lsp::serve(&conn);
    drop(conn);
    let joined = threads.join();
    match (served, joined) {
        (Ok(()), _) => ExitCode::SUCCESS,
        (Err(e), _) => fail2(format!("lsp: {e}")),
    }
}
