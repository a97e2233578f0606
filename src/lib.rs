//! asldbg: run and debug AWS Step Functions state machines locally.
//!
//! Layers: [`asl`] is the language (pure), [`engine`] the interpreter. The
//! command line and the terminal front end sit on top and are the only parts
//! that do I/O with a person.

pub mod alloc;
pub mod asl;
pub mod budget;
pub mod dap;
pub mod debugger;
pub mod engine;
pub mod graph;
pub mod lsp;
pub mod output;
pub mod replay;
pub mod samples;
pub mod serve;
pub mod testing;
pub mod tui;
