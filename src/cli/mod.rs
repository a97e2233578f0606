//! The commands of the `asldbg` binary, a file each, over the library.

pub mod args;
pub mod bench;
pub mod common;
pub mod conformance;
pub mod dap;
pub mod debug;
pub mod diff;
pub mod graph;
pub mod init;
pub mod jsonata_suite;
pub mod lesson;
pub mod lsp;
pub mod replay;
pub mod run;
pub mod serve;
pub mod test;
pub mod test_state;
