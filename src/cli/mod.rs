//! Commands of the `asldbg` binary that live in their own files.

pub mod serve;
pub mod test;
pub mod test_state;
