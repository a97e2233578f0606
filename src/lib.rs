//! asldbg: run and debug AWS Step Functions state machines locally.
//!
//! Layers: [`asl`] is the language (pure), [`engine`] the interpreter. The
//! command line and the terminal front end sit on top and are the only parts
//! that do I/O with a person.

pub mod alloc;
pub mod asl;
pub mod debugger;
pub mod engine;
pub mod graph;
pub mod output;
pub mod replay;
pub mod samples;
pub mod serve;
pub mod testing;
pub mod tui;

// The project's own harnesses (benchmarks, the conformance and JSONata
// suite runners): the binary's `bench`, `conformance` and `jsonata-suite`
// commands and the fuzz tests use them; they are not the library's face.
#[doc(hidden)]
pub mod bench;
#[doc(hidden)]
pub mod conformance;
#[doc(hidden)]
pub mod jsonata_suite;
