//! A host's bound on what one call of a built-in may build.
//!
//! The evaluator's own limits (time, depth, sequence length) are looked at
//! between its steps; a built-in that builds its whole result in one call
//! (`$replace` with a long replacement and many matches, `$join` with a long
//! separator, `$split` into characters, a width in a picture) can ask the
//! system for gigabytes before the next step comes. A host that counts what
//! an evaluation holds installs [`set_may_hold`]; such built-ins then ask it
//! before making a value of known size, and now and then while building one
//! piece by piece, and fail with `U1004` when it says no.
//!
//! (Added by asldbg to jsonata-core 2.2.13; see `vendor/README.md`.)

use crate::functions::FunctionError;
use std::sync::OnceLock;

static MAY_HOLD: OnceLock<fn(usize) -> bool> = OnceLock::new();

/// Install the host's answer to "may the evaluation on this thread hold
/// `bytes` more than it holds now?" (asked with 0 while a result grows: "may
/// it go on?"). Set once per process; later calls are ignored.
pub fn set_may_hold(f: fn(usize) -> bool) {
    let _ = MAY_HOLD.set(f);
}

/// `Err(U1004)` when the host says the evaluation may not hold `bytes` more.
pub(crate) fn hold(bytes: usize) -> Result<(), FunctionError> {
    match MAY_HOLD.get() {
        Some(may) if !may(bytes) => Err(FunctionError::RuntimeError(format!(
            "U1004: the result would take more memory than the evaluation may use ({bytes} bytes more)"
        ))),
        _ => Ok(()),
    }
}
