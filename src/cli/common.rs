//! What the commands share: loading a definition or exiting with its problems, the task runner of a headless run, the input file.

use super::args::*;
use asldbg::asl::value::Val;
use asldbg::asl::{self, LoadError, Loaded};
use asldbg::engine::task::{Chain, CommandRunner, LocalS3, MockRunner, NoRunner, TaskRunner};
use asldbg::errln;
use serde_json::Value;
use std::process::ExitCode;

pub(crate) fn fail2(msg: impl std::fmt::Display) -> ExitCode {
    errln!("asldbg: {msg}");
    ExitCode::from(2)
}

/// What opening a definition said that does not stop it: notes, then
/// warnings, a line each.
pub(crate) fn said(o: &asl::Opened) -> Vec<String> {
    o.notes
        .iter()
        .map(|n| format!("note: {n}"))
        .chain(warned(o))
        .collect()
}

/// Only the warnings of [`said`] (a run says the notes with `--verbose`).
pub(crate) fn warned(o: &asl::Opened) -> impl Iterator<Item = String> + '_ {
    o.warnings.iter().map(|w| format!("warning: {w}"))
}

/// The definition with its notes and warnings printed, or every problem
/// printed and exit code 2.
pub(crate) fn load_or_exit(
    file: &str,
    source: &SourceArgs,
    express: bool,
    check_only: bool,
) -> Result<asl::Opened, ExitCode> {
    let opts = source.options(express, check_only).map_err(fail2)?;
    opened_or_exit(asl::load(file, &opts))
}

/// [`load_or_exit`] saying only the warnings (notes with `verbose`).
pub(crate) fn load_quietly_or_exit(
    file: &str,
    source: &SourceArgs,
    express: bool,
    verbose: bool,
) -> Result<asl::Opened, ExitCode> {
    let opts = source.options(express, false).map_err(fail2)?;
    match asl::load(file, &opts) {
        Loaded::Ok(o) if !verbose => {
            for line in warned(&o) {
                errln!("asldbg: {line}");
            }
            Ok(*o)
        }
        other => opened_or_exit(other),
    }
}

/// An opened definition with its notes and warnings printed, or every
/// problem printed and exit code 2.
pub(crate) fn opened_or_exit(loaded: Loaded) -> Result<asl::Opened, ExitCode> {
    match loaded {
        Loaded::Ok(o) => {
            for line in said(&o) {
                errln!("asldbg: {line}");
            }
            Ok(*o)
        }
        Loaded::Unreadable(e) => Err(fail2(e)),
        Loaded::Invalid(errs) => {
            for e in &errs {
                errln!("asldbg: {e}");
            }
            Err(ExitCode::from(2))
        }
    }
}

/// What answers the tasks of a headless run: the mock file's test case
/// (`case`, else `--test-case`, else its first), then `--task-command`,
/// with `--s3-dir` serving ItemReaders.
pub(crate) fn build_runner(
    exec: &ExecArgs,
    template: &[String],
    case: Option<&str>,
) -> Result<Box<dyn TaskRunner>, ExitCode> {
    let runner: Box<dyn TaskRunner> = match &exec.mocks {
        Some(m) => {
            let doc = match asl::read_document(m) {
                Ok(d) => d,
                Err(e) => return Err(fail2(e)),
            };
            let name = mock_machine(&doc.value, exec.name.as_deref(), template);
            let case = case
                .map(str::to_string)
                .or_else(|| exec.test_case.clone())
                .or_else(|| first_test_case(&doc.value, name))
                .unwrap_or_default();
            match MockRunner::from_value(&doc.value, m, name, &case) {
                Ok(r) => Box::new(r),
                Err(e) => {
                    let (line, column) = doc.position(&e.pointer).unwrap_or((1, 1));
                    return Err(fail2(LoadError { line, column, ..e }));
                }
            }
        }
        None => Box::new(NoRunner),
    };
    let runner: Box<dyn TaskRunner> = match exec.task_command.clone() {
        Some(command) => {
            asldbg::engine::task::kill_commands_on_signals();
            Box::new(Chain {
                first: runner,
                then: Box::new(CommandRunner {
                    command,
                    limit: exec.task_timeout()?,
                }),
            })
        }
        None => runner,
    };
    let runner: Box<dyn TaskRunner> = match exec.s3_dir.clone() {
        Some(dir) => Box::new(LocalS3 {
            root: dir.into(),
            inner: runner,
        }),
        None => runner,
    };
    Ok(runner)
}

/// The execution input from a file or `-` (standard input). With the quota
/// on, an input over 256 KiB is refused as StartExecution refuses it, before
/// more of it is read; without, inputs up to 1 GiB are read.
pub(crate) fn read_input(file: &str, quota: bool) -> Result<Val, LoadError> {
    let read = if quota {
        asl::read_value_quota(file, asldbg::engine::PAYLOAD_QUOTA as u64)
    } else {
        asl::read_value_capped(file, asl::MAX_DOCUMENT_BYTES)
    };
    match read {
        Ok(v) => Ok(v),
        Err(mut e) if quota && e.message.starts_with("larger than") => {
            e.message = format!(
                "the input is larger than the 256 KiB payload quota (--no-quota lifts it, up to {} MiB)",
                asl::MAX_DOCUMENT_BYTES >> 20
            );
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// What `asldbg mocks check` finds in `mocks` (the file `file`) for the
/// opened machine, as warnings placed in the mock file.
pub(crate) fn mock_warnings(
    file: &str,
    mocks: &asl::Document,
    opened: &asl::Opened,
    name: Option<&str>,
) -> Vec<LoadError> {
    let names: Vec<String> = match name {
        Some(n) => vec![n.to_string()],
        None => opened.mock_names(),
    };
    asldbg::testing::mocks::check(&mocks.value, &opened.definition, &names)
        .into_iter()
        .map(|f| {
            let (line, column) = mocks.position(&f.pointer).unwrap_or((1, 1));
            LoadError {
                file: file.into(),
                pointer: f.pointer,
                line,
                column,
                message: f.message,
                expr: None,
            }
        })
        .collect()
}

/// The state machine of a mock file to answer from: `--name`, else the
/// template's machine when the file has one by its deployed name or by its
/// name in the template.
pub(crate) fn mock_machine<'a>(
    mocks: &Value,
    name: Option<&'a str>,
    template: &'a [String],
) -> Option<&'a str> {
    name.or_else(|| {
        template
            .iter()
            .map(String::as_str)
            .find(|m| mocks.get("StateMachines").and_then(|s| s.get(*m)).is_some())
    })
}

/// The first test case of machine `name` (default: the file's first machine).
pub(crate) fn first_test_case(mocks: &Value, name: Option<&str>) -> Option<String> {
    let machines = mocks.get("StateMachines")?.as_object()?;
    let m = match name {
        Some(n) => machines.get(n)?,
        None => machines.values().next()?,
    };
    m.get("TestCases")?.as_object()?.keys().next().cloned()
}

/// `500ms`, `30s`, `20m`, `1h` (a bare number is seconds).
pub(crate) fn duration(flag: &str, text: &str) -> Result<std::time::Duration, String> {
    let (n, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = n
        .parse()
        .map_err(|_| format!("--{flag} {text}: expected a number and ms, s, m or h (20m)"))?;
    let ms = match unit {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(format!("--{flag} {text}: the unit is ms, s, m or h")),
    };
    let ms = ms.ok_or_else(|| format!("--{flag} {text}: out of range"))?;
    Ok(std::time::Duration::from_millis(ms.max(1)))
}

/// What answers the tasks in the debugger (the TUI and `asldbg dap`).
pub(crate) struct DebugRunner {
    pub(crate) factory: asldbg::debugger::RunnerFactory,
    /// The `--task-command`, run on its own thread.
    pub(crate) background: Option<asldbg::engine::task::Background>,
    /// Why a task waits for the user, in one line.
    pub(crate) task_source: String,
}

/// The debugger's task runner: the mock file's test case (`mocks`: its
/// name and document; the case from `--test-case`, else `case`, else the
/// file's first), then the task command on its own thread, then the user;
/// `--s3-dir` serving ItemReaders around it all.
pub(crate) fn debug_runner(
    exec: &ExecArgs,
    names: &[String],
    mocks: Option<(String, asl::Document)>,
    case: Option<&str>,
) -> Result<DebugRunner, LoadError> {
    use asldbg::engine::task::{Background, Interactive};
    let background = exec.task_command.clone().map(Background::new);
    let with_command = {
        let background = background.clone();
        move |first: Box<dyn TaskRunner>| -> Box<dyn TaskRunner> {
            match &background {
                Some(b) => Box::new(Chain {
                    first,
                    then: Box::new(b.clone()),
                }),
                None => first,
            }
        }
    };
    let mut task_source = if exec.task_command.is_some() {
        "the --task-command did not answer it".to_string()
    } else {
        "no --mocks file answers it, and no --task-command".to_string()
    };
    let factory: asldbg::debugger::RunnerFactory = match mocks {
        Some((file, doc)) => {
            let name = mock_machine(&doc.value, exec.name.as_deref(), names);
            let case = exec
                .test_case
                .clone()
                .or_else(|| case.map(str::to_string))
                .or_else(|| first_test_case(&doc.value, name))
                .unwrap_or_default();
            task_source = format!(
                "{file} has no answer for this state in test case {case}, and no --task-command"
            );
            match MockRunner::from_value(&doc.value, &file, name, &case) {
                Ok(m) => Box::new(move || {
                    Box::new(Interactive {
                        inner: with_command(Box::new(m.clone())),
                    }) as Box<dyn TaskRunner>
                }),
                Err(e) => {
                    let (line, column) = doc.position(&e.pointer).unwrap_or((1, 1));
                    return Err(LoadError { line, column, ..e });
                }
            }
        }
        None => Box::new(move || {
            Box::new(Interactive {
                inner: with_command(Box::new(NoRunner)),
            }) as Box<dyn TaskRunner>
        }),
    };
    let factory: asldbg::debugger::RunnerFactory = match exec.s3_dir.clone() {
        Some(dir) => Box::new(move || {
            Box::new(LocalS3 {
                root: dir.clone().into(),
                inner: factory(),
            }) as Box<dyn TaskRunner>
        }),
        None => factory,
    };
    Ok(DebugRunner {
        factory,
        background,
        task_source,
    })
}
