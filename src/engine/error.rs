//! A state's error: its name and cause, how it shows in history and output,
//! and how a Retry or Catch pattern matches it.

use super::*;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateError {
    pub error: String,
    pub cause: String,
    /// The failure named no error (a callback failed with none, a Fail
    /// state without `Error`): `error` is empty and states see `null`.
    pub no_error: bool,
    /// The failure gave no cause: `cause` is empty and states see `null`.
    pub no_cause: bool,
}

impl StateError {
    pub(super) fn new(error: &str, cause: impl Into<String>) -> StateError {
        StateError {
            error: error.into(),
            cause: cause.into(),
            ..StateError::default()
        }
    }
    /// An error whose name or cause may be missing.
    pub fn given(error: Option<String>, cause: Option<String>) -> StateError {
        StateError {
            no_error: error.is_none(),
            no_cause: cause.is_none(),
            error: error.unwrap_or_default(),
            cause: cause.unwrap_or_default(),
        }
    }
    /// The error name, if the failure gave one.
    pub fn name(&self) -> Option<&str> {
        (!self.no_error).then_some(self.error.as_str())
    }
    /// The cause, if the failure gave one.
    pub fn cause(&self) -> Option<&str> {
        (!self.no_cause).then_some(self.cause.as_str())
    }
    pub(super) fn output(&self) -> Val {
        let or_null = |missing: bool, s: &str| if missing { Val::Null } else { Val::from(s) };
        Val::object([
            ("Error", or_null(self.no_error, &self.error)),
            ("Cause", or_null(self.no_cause, &self.cause)),
        ])
    }
    /// The `error` and `cause` fields of a failure event (the ones given).
    pub(super) fn fields(&self) -> Vec<(&'static str, Field)> {
        let mut d = Vec::new();
        if !self.no_cause {
            d.push(("cause", Field::Str(self.cause.clone())));
        }
        if !self.no_error {
            d.push(("error", Field::Str(self.error.clone())));
        }
        d
    }
}

impl std::fmt::Display for StateError {
    /// `Error: Cause`, saying when either was not given.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            self.name().unwrap_or("(no error name)"),
            self.cause().unwrap_or("(no cause)")
        )
    }
}

/// Does `pattern` (an `ErrorEquals` entry) catch `error`?
pub fn error_matches(pattern: &str, error: &str) -> bool {
    match pattern {
        // The recordings show States.ALL catching States.DataLimitExceeded
        // raised by a task; only States.Runtime escapes it.
        "States.ALL" => error != "States.Runtime",
        "States.TaskFailed" => {
            error == "States.TaskFailed"
                || !(error.starts_with("States.") || error == "States.Runtime")
        }
        "States.Timeout" => error == "States.Timeout" || error == "States.HeartbeatTimeout",
        p => p == error,
    }
}

impl std::error::Error for StateError {}
