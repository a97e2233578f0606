//! Testing with asldbg: AWS's TestState API run offline ([`test_state`]),
//! test suites with expectations ([`suite`]) and what they covered
//! ([`coverage`]).

pub mod coverage;
pub mod exercises;
pub mod init;
pub mod mocks;
pub mod shapes;
pub mod suggest;
pub mod suite;
pub mod test_state;
