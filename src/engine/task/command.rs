//! `--task-command CMD`: tasks answered by a local command. The request goes
//! to its standard input as JSON (`{"state", "resource", "input",
//! "taskToken"}`) and what it prints is the result.
//!
//! The command is held to the Task's limits as AWS holds a worker:
//! `TimeoutSeconds` (States.Timeout) and `HeartbeatSeconds`
//! (States.HeartbeatTimeout; every line the command writes to standard error
//! is a heartbeat). Standard input is written while the output is read, so a
//! large payload cannot deadlock; what it prints is capped; and the command
//! runs in a process group of its own that is killed when the task ends,
//! times out or is cancelled (the debugger quits or restarts).

use super::{OwnedRequest, TaskOutcome, TaskRequest, TaskRunner};
use crate::asl::value::Val;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most a command may print on standard output (a result larger than
/// the 256 KiB payload quota fails later with States.DataLimitExceeded unless
/// the quota is lifted; past this cap it fails here).
pub const MAX_RESULT_BYTES: usize = 64 * 1024 * 1024;
/// AWS's cap on a failure's Cause.
pub const MAX_CAUSE_BYTES: usize = 32 * 1024;
/// AWS's cap on a failure's Error name.
pub const MAX_ERROR_BYTES: usize = 256;

/// Runs tasks with a command, synchronously (`asldbg run`).
#[derive(Debug, Clone)]
pub struct CommandRunner {
    pub command: String,
    /// The longest a command may run for a Task that sets no
    /// `TimeoutSeconds` (`--task-timeout`); past it the command is killed
    /// and the task fails with `States.Timeout`. None: it may run for ever,
    /// as AWS waits.
    pub limit: Option<Duration>,
}

/// Stops a command run from another thread: the run ends with `Pending`,
/// and the command's process group is killed at once (the caller may be
/// about to exit, before the run's own thread would notice).
#[derive(Clone, Default)]
pub struct Cancel(Arc<(AtomicBool, std::sync::atomic::AtomicI32)>);

impl Cancel {
    pub fn cancel(&self) {
        self.0 .0.store(true, Ordering::SeqCst);
        let group = self.0 .1.load(Ordering::SeqCst);
        #[cfg(unix)]
        if group > 0 {
            // SAFETY: kill(2) of the process group the run started.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
    }
    fn is_set(&self) -> bool {
        self.0 .0.load(Ordering::SeqCst)
    }
    fn running(&self, group: i32) {
        self.0 .1.store(group, Ordering::SeqCst);
        if self.is_set() {
            self.cancel();
        }
    }
}

/// The process groups of the commands running now, for
/// [`kill_commands_on_signals`] (0: a free slot).
static LIVE: [std::sync::atomic::AtomicI32; 64] =
    [const { std::sync::atomic::AtomicI32::new(0) }; 64];

fn register(pgid: i32, on: bool) {
    let (from, to) = if on { (0, pgid) } else { (pgid, 0) };
    for slot in &LIVE {
        if slot
            .compare_exchange(from, to, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
    }
}

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    for slot in &LIVE {
        let g = slot.load(Ordering::SeqCst);
        if g > 0 {
            // SAFETY: kill(2) is async-signal-safe.
            unsafe {
                libc::kill(-g, libc::SIGKILL);
            }
        }
    }
    // SAFETY: _exit(2) is async-signal-safe; 128 + the signal, as a shell reports it.
    unsafe { libc::_exit(128 + sig) }
}

/// Makes SIGINT, SIGTERM and SIGHUP kill every running task command's process
/// group before the process ends (a command runs in a group of its own, so
/// the terminal's Ctrl-C would not reach it). For headless runs.
pub fn kill_commands_on_signals() {
    #[cfg(unix)]
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installs a handler that only calls async-signal-safe functions.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// The command's process group: killed whole when dropped, so that nothing
/// it started outlives the task.
struct Group(Child, Cancel);

impl Group {
    fn new(c: Child, cancel: &Cancel) -> Group {
        register(c.id() as i32, true);
        cancel.running(c.id() as i32);
        Group(c, cancel.clone())
    }

    fn kill(&mut self) {
        #[cfg(unix)]
        // SAFETY: kill(2) with the negated id of the process group the child
        // leads (process_group(0) below); no memory is involved.
        unsafe {
            libc::kill(-(self.0.id() as i32), libc::SIGKILL);
        }
        let _ = self.0.kill();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
        let _ = self.0.wait();
        register(self.0.id() as i32, false);
        // The group is gone: a later cancel must not signal a reused id.
        self.1 .0 .1.store(0, Ordering::SeqCst);
    }
}

fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Which part of a stream is kept past its cap.
#[derive(Clone, Copy, PartialEq)]
enum Keep {
    /// The first bytes; past the cap the stream counts as over.
    Head,
    /// The last bytes (an error message ends a stream of progress).
    Tail,
}

#[derive(Default)]
struct Drained {
    bytes: Vec<u8>,
    over: bool,
    closed: bool,
    last_line: Option<Instant>,
}

/// A pipe read to its end on a thread of its own, into a bounded buffer.
struct Drain(Arc<Mutex<Drained>>);

impl Drain {
    fn spawn(mut pipe: impl Read + Send + 'static, cap: usize, keep: Keep) -> Drain {
        let shared = Arc::new(Mutex::new(Drained::default()));
        let d = shared.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            loop {
                let n = match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let Ok(mut d) = d.lock() else { break };
                if buf[..n].contains(&b'\n') {
                    d.last_line = Some(Instant::now());
                }
                d.bytes.extend_from_slice(&buf[..n]);
                if d.bytes.len() > cap {
                    match keep {
                        Keep::Head => {
                            d.over = true;
                            break;
                        }
                        Keep::Tail => {
                            let extra = d.bytes.len() - cap;
                            d.bytes.drain(..extra);
                        }
                    }
                }
            }
            if let Ok(mut d) = d.lock() {
                d.closed = true;
            }
        });
        Drain(shared)
    }

    fn over(&self) -> bool {
        self.0.lock().map(|d| d.over).unwrap_or(false)
    }

    /// How long since the last line (or since `start` before any).
    fn since_line(&self, start: Instant) -> Duration {
        let last = self
            .0
            .lock()
            .ok()
            .and_then(|d| d.last_line)
            .unwrap_or(start);
        last.elapsed()
    }

    fn wait_closed(&self, at_most: Duration) {
        let t = Instant::now();
        while t.elapsed() < at_most && !self.0.lock().map(|d| d.closed || d.over).unwrap_or(true) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|d| d.bytes.clone()).unwrap_or_default()
    }
}

impl CommandRunner {
    /// Runs `command` for `req` to the end.
    pub fn run(command: &str, req: &TaskRequest) -> TaskOutcome {
        CommandRunner::run_until(command, req, &Cancel::default(), None)
    }

    /// Runs `command` for `req` until it answers, breaks a limit of the task,
    /// or `cancel` is set (then the outcome is `Pending`: nobody waits for it).
    /// `limit`: see [`CommandRunner::limit`].
    pub fn run_until(
        command: &str,
        req: &TaskRequest,
        cancel: &Cancel,
        limit: Option<Duration>,
    ) -> TaskOutcome {
        let payload = Val::object([
            ("state", Val::from(req.state)),
            ("resource", Val::from(req.resource)),
            ("input", req.input.clone()),
            (
                "taskToken",
                req.task_token.map(Val::from).unwrap_or_default(),
            ),
        ])
        .to_compact();
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(command)
            .env("ASLDBG_STATE", req.state)
            .env("ASLDBG_RESOURCE", req.resource)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut group = match cmd.spawn() {
            Ok(c) => Group::new(c, cancel),
            Err(e) => {
                return TaskOutcome::failed(
                    "Command.StartFailed",
                    format!("cannot run `{command}`: {e}"),
                )
            }
        };
        let (Some(mut stdin), Some(stdout), Some(stderr)) = (
            group.0.stdin.take(),
            group.0.stdout.take(),
            group.0.stderr.take(),
        ) else {
            return TaskOutcome::failed("Command.StartFailed", format!("`{command}`: no pipes"));
        };
        // Writing, reading and waiting at once: a command may print before
        // it has read all of a large payload.
        std::thread::spawn(move || {
            let _ = stdin.write_all(payload.as_bytes());
        });
        let out = Drain::spawn(stdout, MAX_RESULT_BYTES, Keep::Head);
        let err = Drain::spawn(stderr, MAX_CAUSE_BYTES, Keep::Tail);
        let too_much = || {
            TaskOutcome::failed(
                "States.DataLimitExceeded",
                format!(
                    "`{command}` printed more than {} MiB",
                    MAX_RESULT_BYTES >> 20
                ),
            )
        };
        let started = Instant::now();
        let timeout = req.timeout_seconds.map(Duration::from_secs);
        let heartbeat = req.heartbeat_seconds.map(Duration::from_secs);
        let status = loop {
            if out.over() {
                return too_much();
            }
            match group.0.try_wait() {
                Ok(Some(s)) => break Ok(s),
                Ok(None) => {}
                Err(e) => break Err(e),
            }
            if cancel.is_set() {
                return TaskOutcome::Pending;
            }
            if timeout.is_some_and(|t| started.elapsed() >= t) {
                return TaskOutcome::TimedOut { heartbeat: false };
            }
            if timeout.is_none() && limit.is_some_and(|l| started.elapsed() >= l) {
                return TaskOutcome::failed(
                    "States.Timeout",
                    format!(
                        "`{command}` ran longer than --task-timeout ({} s) and was stopped (the \
                         Task sets no TimeoutSeconds)",
                        limit.unwrap_or_default().as_secs_f64()
                    ),
                );
            }
            if heartbeat.is_some_and(|h| err.since_line(started) >= h) {
                return TaskOutcome::TimedOut { heartbeat: true };
            }
            std::thread::sleep(Duration::from_millis(3));
        };
        // The command has exited: whatever it left running in its group goes
        // too, so the pipes close; a process that left the group cannot hold
        // the answer up for more than a moment.
        group.kill();
        out.wait_closed(Duration::from_millis(500));
        err.wait_closed(Duration::from_millis(100));
        let status = match status {
            Ok(s) => s,
            Err(e) => return TaskOutcome::failed("Command.Failed", format!("`{command}`: {e}")),
        };
        if out.over() {
            return too_much();
        }
        let out = out.bytes();
        let stdout = String::from_utf8_lossy(&out);
        let parsed = serde_json::from_str::<serde_json::Value>(stdout.trim());
        if !status.success() {
            let stderr = String::from_utf8_lossy(&err.bytes()).trim().to_string();
            let (error, cause) = match &parsed {
                Ok(v) if v.get("Error").is_some() => (
                    v.get("Error")
                        .and_then(|e| e.as_str())
                        .unwrap_or("Command.Failed")
                        .to_string(),
                    v.get("Cause")
                        .and_then(|e| e.as_str())
                        .unwrap_or("")
                        .to_string(),
                ),
                _ => (
                    "Command.Failed".to_string(),
                    format!("`{command}` exited with {status}: {stderr}"),
                ),
            };
            return TaskOutcome::failed(cut(error, MAX_ERROR_BYTES), cut(cause, MAX_CAUSE_BYTES));
        }
        match parsed {
            Ok(v) => TaskOutcome::Succeeded(Val::from(v)),
            Err(e) => TaskOutcome::failed(
                "Command.InvalidOutput",
                format!(
                    "`{command}` printed output that is not JSON: stdout:{}:{}: {e}",
                    e.line(),
                    e.column()
                ),
            ),
        }
    }
}

impl TaskRunner for CommandRunner {
    fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
        Some(Box::new(self.clone()))
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        CommandRunner::run_until(&self.command, req, &Cancel::default(), self.limit)
    }
}

/// A task command running on its own thread, so that a front end keeps
/// drawing: the task waits (Pending) until the answer lands in `slot`.
/// [`Background::cancel`] kills a command still running (on quit or restart).
#[derive(Clone, Default)]
pub struct Background {
    pub command: String,
    pub slot: Arc<Mutex<Option<TaskOutcome>>>,
    pub busy: Arc<AtomicBool>,
    cancel: Arc<Mutex<Cancel>>,
    /// The debugger replays answers it has: start no command.
    held: bool,
}

impl Background {
    pub fn new(command: String) -> Background {
        Background {
            command,
            ..Background::default()
        }
    }

    /// A command is running, or its answer waits to be taken from `slot`.
    pub fn pending(&self) -> bool {
        self.busy.load(Ordering::SeqCst) || self.slot.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    /// Kills the running command, if any; its answer is dropped.
    pub fn cancel(&self) {
        if let Ok(c) = self.cancel.lock() {
            c.cancel();
        }
    }
}

impl TaskRunner for Background {
    /// A copy shares the slot and the cancel switch: it stands for the
    /// same command line (snapshots replay answers; they start nothing).
    fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
        Some(Box::new(self.clone()))
    }

    fn hold(&mut self, on: bool) {
        self.held = on;
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        if self.held {
            return TaskOutcome::Pending;
        }
        let command = self.command.clone();
        let slot = self.slot.clone();
        let busy = self.busy.clone();
        let cancel = Cancel::default();
        if let Ok(mut c) = self.cancel.lock() {
            *c = cancel.clone();
        }
        let req = OwnedRequest::of(req);
        busy.store(true, Ordering::SeqCst);
        std::thread::spawn(move || {
            let outcome = CommandRunner::run_until(&command, &req.borrow(), &cancel, None);
            if !cancel.is_set() {
                if let Ok(mut s) = slot.lock() {
                    *s = Some(outcome);
                }
            }
            busy.store(false, Ordering::SeqCst);
        });
        TaskOutcome::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(input: &Val) -> TaskRequest<'_> {
        TaskRequest {
            state: "S",
            resource: "r",
            input,
            invocation: 0,
            task_token: None,
            timeout_seconds: None,
            heartbeat_seconds: None,
        }
    }

    #[test]
    fn task_commands_answer_with_json_or_fail_clearly() {
        let input = Val::from(json!({"n": 2}));
        let req = request(&input);
        let ok = CommandRunner::run("python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({\"double\": d[\"input\"][\"n\"] * 2}))'", &req);
        assert_eq!(ok, TaskOutcome::Succeeded(Val::from(json!({"double": 4}))));
        let bad = CommandRunner::run("echo 'not json'", &req);
        assert!(
            matches!(&bad, TaskOutcome::Failed { error: Some(error), cause: Some(cause) } if error == "Command.InvalidOutput" && cause.contains("stdout:1:")),
            "{bad:?}"
        );
        let failed = CommandRunner::run(
            "echo '{\"Error\": \"My.Error\", \"Cause\": \"because\"}'; exit 3",
            &req,
        );
        assert_eq!(failed, TaskOutcome::failed("My.Error", "because"));
    }

    #[test]
    fn task_timeout_stops_a_hung_command_only_where_the_task_sets_no_timeout() {
        let input = Val::Null;
        let req = request(&input);
        let t = Instant::now();
        let mut r = CommandRunner {
            command: "sleep 600".into(),
            limit: Some(Duration::from_millis(300)),
        };
        let got = r.invoke(&req);
        assert!(
            matches!(&got, TaskOutcome::Failed { error: Some(e), cause: Some(c) }
                if e == "States.Timeout" && c.contains("--task-timeout")),
            "{got:?}"
        );
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        // The Task's own TimeoutSeconds is AWS's: it holds, not the flag.
        let req = TaskRequest {
            timeout_seconds: Some(1),
            ..request(&input)
        };
        let t = Instant::now();
        assert_eq!(r.invoke(&req), TaskOutcome::TimedOut { heartbeat: false });
        assert!(t.elapsed() >= Duration::from_secs(1));
    }

    #[test]
    fn a_command_past_the_task_timeout_times_out_and_is_killed() {
        let input = Val::Null;
        let req = TaskRequest {
            timeout_seconds: Some(1),
            ..request(&input)
        };
        let marker = std::env::temp_dir().join(format!("asldbg-cmd-{}", std::process::id()));
        let t = Instant::now();
        // The child of the shell would touch the marker if it outlived the task.
        let cmd = format!("(sleep 2; touch {}) & sleep 600", marker.display());
        let got = CommandRunner::run(&cmd, &req);
        assert_eq!(got, TaskOutcome::TimedOut { heartbeat: false });
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        std::thread::sleep(Duration::from_secs(3) - t.elapsed());
        assert!(!marker.exists(), "the command's group was not killed");
    }

    #[test]
    fn a_command_without_heartbeats_misses_the_heartbeat() {
        let input = Val::Null;
        let req = TaskRequest {
            timeout_seconds: Some(30),
            heartbeat_seconds: Some(1),
            ..request(&input)
        };
        let got = CommandRunner::run("sleep 30", &req);
        assert_eq!(got, TaskOutcome::TimedOut { heartbeat: true });
        // Lines on standard error are heartbeats.
        let beating = "for i in 1 2 3 4; do echo beat >&2; sleep 0.4; done; echo 7";
        assert_eq!(
            CommandRunner::run(beating, &req),
            TaskOutcome::Succeeded(Val::from(json!(7)))
        );
    }

    #[test]
    fn a_large_payload_does_not_deadlock_a_command_that_prints_first() {
        let big = Val::from(json!({"blob": "x".repeat(1 << 20)}));
        let req = TaskRequest {
            timeout_seconds: Some(20),
            ..request(&big)
        };
        // Prints 200 KB before reading anything, then reads everything.
        let cmd = "head -c 200000 /dev/zero | tr '\\0' ' '; echo 1; cat >/dev/null";
        assert_eq!(
            CommandRunner::run(cmd, &req),
            TaskOutcome::Succeeded(Val::from(json!(1)))
        );
    }

    #[test]
    fn what_a_command_prints_is_capped() {
        let input = Val::Null;
        let req = request(&input);
        let got = CommandRunner::run("yes", &req);
        assert!(
            matches!(&got, TaskOutcome::Failed { error: Some(e), .. } if e == "States.DataLimitExceeded"),
            "{got:?}"
        );
        let long = CommandRunner::run("head -c 100000 /dev/zero | tr '\\0' a >&2; exit 1", &req);
        let TaskOutcome::Failed { cause: Some(c), .. } = long else {
            panic!("{long:?}")
        };
        assert!(c.len() <= MAX_CAUSE_BYTES, "{}", c.len());
    }

    #[test]
    fn a_cancelled_background_command_is_killed_and_its_answer_dropped() {
        let input = Val::Null;
        let mut bg = Background::new("sleep 600; echo 1".into());
        assert_eq!(bg.invoke(&request(&input)), TaskOutcome::Pending);
        std::thread::sleep(Duration::from_millis(100));
        assert!(bg.busy.load(Ordering::SeqCst));
        bg.cancel();
        let t = Instant::now();
        while bg.busy.load(Ordering::SeqCst) && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            !bg.busy.load(Ordering::SeqCst),
            "still running after cancel"
        );
        assert!(bg.slot.lock().unwrap().is_none());
    }
}
