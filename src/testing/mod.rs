//! Testing with asldbg: AWS's TestState API run offline ([`test_state`]).

pub mod test_state;
