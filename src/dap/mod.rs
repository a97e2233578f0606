//! `asldbg dap`: the debugger behind the Debug Adapter Protocol, so that an
//! editor's own debugging UI (VS Code, neovim, helix, Zed) drives it. A
//! third front end beside the TUI and the class server: it drives only
//! [`Session`] and reads only its [`crate::debugger::Moment`].
//!
//! Threads are the strands of the run: the main flow is thread 1, each
//! Parallel branch and Map iteration running is a thread of its own, named
//! as the TUI names it (`Verify address [1]`). Breakpoints are set on the
//! lines of the definition's file (each line belongs to the state whose
//! text holds it) or on state names; stepping back is the time-travel the
//! TUI has.

pub mod lines;
pub mod protocol;
mod vars;

use crate::asl::value::Val;
use crate::debugger::{BreakAt, Breakpoint, HitCondition, Session, Stop};
use crate::engine::task::{Background, TaskOutcome};
use crate::engine::Status;
use lines::Lines;
use protocol::Incoming;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::mpsc;
use std::time::Duration;
use vars::Refs;

/// What a launch request makes: the session, and where its states stand.
pub struct Launched {
    pub session: Session,
    /// The definition's file (as the client named it), for stack frames
    /// and line breakpoints; None for a definition with no file.
    pub file: Option<String>,
    /// Each state's lines in `file` (None: the file does not hold the
    /// states as written, e.g. a definition given as a string).
    pub lines: Option<Lines>,
    /// The `taskCommand` running tasks on its own thread.
    pub background: Option<Background>,
    /// What the definition, template or mock file said (to the console).
    pub said: Vec<String>,
}

/// Builds a session from a launch request's arguments; an error is the
/// text to show (positioned, as `validate` prints it).
pub type Launcher<'a> = dyn Fn(&Value) -> Result<Launched, String> + 'a;

/// More history events than this at once go to the console in blocks.
const BATCH: usize = 50;

/// Engine steps run at a time, and the longest the client waits for its
/// requests to be read while a command runs.
const SLICE: u64 = 64;
const SLICE_TIME: Duration = Duration::from_millis(10);

/// Serve one client on `input` / `output` until it disconnects (or the
/// stream ends): nothing is left running afterwards.
pub fn serve(
    input: impl BufRead + Send + 'static,
    output: impl Write,
    launch: &Launcher,
) -> io::Result<()> {
    let (tx, rx) = mpsc::channel();
    let mut input = input;
    std::thread::spawn(move || loop {
        let m = protocol::read_message(&mut input);
        let end = !matches!(m, Ok(Incoming::Message(_)) | Ok(Incoming::Malformed(_)));
        if tx.send(m).is_err() || end {
            return;
        }
    });
    let mut a = Adapter::new(output, launch);
    let outcome = a.run(&rx);
    if let Some(b) = a.launched.as_ref().and_then(|l| l.background.as_ref()) {
        b.cancel();
    }
    outcome
}

/// The command the client gave last (to go on with it after a task
/// command answered, or past an error a Catch takes).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Cmd {
    Continue,
    Next,
    StepIn,
    StepOut,
}

#[derive(Clone)]
enum Want {
    Line(String, usize),
    Name(String),
}

/// A breakpoint as the client asked for it.
#[derive(Clone)]
struct Asked {
    id: i64,
    /// Where it was asked for: a line of a file, or a state's name.
    want: Want,
    at: Option<BreakAt>,
    /// The line it stands at (the state's first line).
    line: Option<usize>,
    condition: Option<String>,
    hit: Option<String>,
    log: Option<String>,
    /// Why it is not verified.
    problem: Option<String>,
}

struct Adapter<'l, W: Write> {
    out: W,
    seq: i64,
    launcher: &'l Launcher<'l>,
    launched: Option<Launched>,
    configured: bool,
    stop_on_entry: bool,
    /// Stop at the execution's end (to look at it, go back, restart) and
    /// end the session only when the user goes on; else it ends there.
    stop_at_end: bool,
    /// The launch request's arguments (a restart launches them again).
    launch_args: Value,
    /// `exited` and `terminated` have been sent.
    terminated: bool,
    /// Breakpoints by source path (as the client gave it), and by name.
    by_source: BTreeMap<String, Vec<Asked>>,
    by_name: Vec<Asked>,
    /// Exception filters: every error / those no Catch takes.
    on_error: bool,
    on_uncaught: bool,
    next_bp: i64,
    /// Index in the session's breakpoints → the client's id.
    bp_ids: Vec<i64>,
    /// The command running (None: stopped).
    running: Option<Cmd>,
    /// The command the task command interrupted, while it runs.
    command_waits: Option<Cmd>,
    last: Cmd,
    /// Each strand's thread id, kept for the session (a strand seen again,
    /// after going back, has the id it had).
    ids: BTreeMap<Vec<usize>, i64>,
    /// The strands running now.
    live: std::collections::BTreeSet<Vec<usize>>,
    next_thread: i64,
    refs: Refs,
    /// History events sent to the console so far (the furthest reached).
    sent: usize,
    ended: bool,
    quit: bool,
}

impl<'l, W: Write> Adapter<'l, W> {
    fn new(out: W, launcher: &'l Launcher<'l>) -> Self {
        Adapter {
            out,
            seq: 0,
            launcher,
            launched: None,
            configured: false,
            stop_on_entry: false,
            stop_at_end: false,
            launch_args: Value::Null,
            terminated: false,
            by_source: BTreeMap::new(),
            by_name: Vec::new(),
            on_error: false,
            on_uncaught: false,
            next_bp: 1,
            bp_ids: Vec::new(),
            running: None,
            command_waits: None,
            last: Cmd::Continue,
            ids: BTreeMap::from([(Vec::new(), 1)]),
            live: std::collections::BTreeSet::from([Vec::new()]),
            next_thread: 2,
            refs: Refs::default(),
            sent: 0,
            ended: false,
            quit: false,
        }
    }

    fn run(&mut self, rx: &mpsc::Receiver<io::Result<Incoming>>) -> io::Result<()> {
        while !self.quit {
            let busy = self.running.is_some();
            let incoming = if busy {
                match rx.try_recv() {
                    Ok(m) => Some(m),
                    Err(mpsc::TryRecvError::Empty) => None,
                    Err(mpsc::TryRecvError::Disconnected) => return Ok(()),
                }
            } else if self.command_waits.is_some() {
                match rx.recv_timeout(Duration::from_millis(10)) {
                    Ok(m) => Some(m),
                    Err(mpsc::RecvTimeoutError::Timeout) => None,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
                }
            } else {
                match rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return Ok(()),
                }
            };
            match incoming {
                Some(Ok(Incoming::Message(m))) => self.message(m)?,
                Some(Ok(Incoming::Malformed(why))) => {
                    self.console("stderr", &format!("asldbg dap: {why}; skipped"))?
                }
                Some(Ok(Incoming::End)) => return Ok(()),
                Some(Err(e)) => {
                    // The stream cannot be read on: say so, and end.
                    let _ = self.console("stderr", &format!("asldbg dap: {e}"));
                    return Err(e);
                }
                None => {}
            }
            self.poll_command()?;
            if self.running.is_some() {
                self.slice()?;
            }
        }
        Ok(())
    }

    fn session(&mut self) -> Option<&mut Session> {
        self.launched.as_mut().map(|l| &mut l.session)
    }

    fn send(&mut self, mut v: Value) -> io::Result<()> {
        self.seq += 1;
        v["seq"] = json!(self.seq);
        protocol::write_message(&mut self.out, &v)
    }

    fn event(&mut self, event: &str, body: Value) -> io::Result<()> {
        self.send(json!({"type": "event", "event": event, "body": body}))
    }

    fn console(&mut self, category: &str, text: &str) -> io::Result<()> {
        self.event(
            "output",
            json!({"category": category, "output": format!("{text}\n")}),
        )
    }

    fn reply(&mut self, req: &Value, body: Result<Value, String>) -> io::Result<()> {
        let mut r = json!({
            "type": "response",
            "request_seq": req["seq"],
            "command": req["command"],
            "success": body.is_ok(),
        });
        match body {
            Ok(b) => r["body"] = b,
            Err(m) => {
                r["message"] = json!(m);
                r["body"] = json!({"error": {"id": 1, "format": m, "showUser": true}});
            }
        }
        self.send(r)
    }

    fn message(&mut self, m: Value) -> io::Result<()> {
        if m["type"] != "request" {
            // Responses to reverse requests, events: none are expected.
            return Ok(());
        }
        let command = m["command"].as_str().unwrap_or_default().to_string();
        let args = m.get("arguments").cloned().unwrap_or(Value::Null);
        let needs_session = !matches!(
            command.as_str(),
            "initialize" | "launch" | "attach" | "disconnect"
        );
        if needs_session && self.launched.is_none() {
            let known = KNOWN.contains(&command.as_str());
            return self.reply(
                &m,
                Err(if known {
                    format!("'{command}' before launch: launch a definition first")
                } else {
                    format!("unknown request '{command}'")
                }),
            );
        }
        let moves = matches!(
            command.as_str(),
            "continue"
                | "next"
                | "stepIn"
                | "stepOut"
                | "pause"
                | "stepBack"
                | "reverseContinue"
                | "goto"
                | "setVariable"
                | "setExpression"
        );
        if moves && self.terminated {
            return self.reply(
                &m,
                Err("the debug session has ended (terminated): restart it, or disconnect".into()),
            );
        }
        let out = match command.as_str() {
            "initialize" => Ok(capabilities()),
            "launch" => return self.launch(&m, &args),
            "attach" => Err(
                "asldbg runs the execution itself: use a launch configuration (request: launch)"
                    .into(),
            ),
            "setBreakpoints" => self.set_breakpoints(&args),
            "setFunctionBreakpoints" => self.set_function_breakpoints(&args),
            "setExceptionBreakpoints" => self.set_exception_breakpoints(&args),
            "configurationDone" => return self.configuration_done(&m),
            "threads" => Ok(self.threads_body()),
            "stackTrace" => self.stack_trace(&args),
            "scopes" => self.scopes(&args),
            "variables" => self.variables(&args),
            "setVariable" => self.set_variable(&args),
            "setExpression" => self.set_expression(&args),
            "gotoTargets" => self.goto_targets(&args),
            "goto" => return self.goto(&m, &args),
            "evaluate" => self.evaluate(&args),
            "continue" => return self.start(&m, Cmd::Continue),
            "next" => return self.start(&m, Cmd::Next),
            "stepIn" => return self.start(&m, Cmd::StepIn),
            "stepOut" => return self.start(&m, Cmd::StepOut),
            "pause" => return self.pause(&m),
            "stepBack" | "reverseContinue" => return self.back(&m, command == "stepBack"),
            "restart" => return self.restart(&m, &args),
            "source" => Err("the definition is its file: open it in the editor".into()),
            "loadedSources" => Ok(json!({"sources": self.sources()})),
            "terminate" => {
                // The execution ends (as StopExecution ends it); the
                // adapter waits for the client's disconnect.
                self.running = None;
                self.command_waits = None;
                if let Some(l) = self.launched.as_mut() {
                    if let Some(b) = &l.background {
                        b.cancel();
                    }
                    if !l.session.moment().is_done() {
                        l.session.stop();
                    }
                }
                self.reply(&m, Ok(json!({})))?;
                self.emit_history()?;
                return self.end_session();
            }
            "disconnect" => {
                self.quit = true;
                if let Some(b) = self.launched.as_ref().and_then(|l| l.background.as_ref()) {
                    b.cancel();
                }
                return self.reply(&m, Ok(json!({})));
            }
            other => Err(format!("unknown request '{other}'")),
        };
        self.reply(&m, out)
    }

    fn sources(&self) -> Vec<Value> {
        self.launched
            .as_ref()
            .and_then(|l| l.file.as_ref())
            .map(|f| vec![source(f)])
            .unwrap_or_default()
    }

    fn launch(&mut self, m: &Value, args: &Value) -> io::Result<()> {
        if self.launched.is_some() {
            return self.reply(
                m,
                Err("already launched: restart, or disconnect first".into()),
            );
        }
        let flag = |k: &str| match &args[k] {
            Value::Null => Ok(false),
            Value::Bool(b) => Ok(*b),
            _ => Err(format!("launch: '{k}' must be true or false")),
        };
        let flags = flag("stopOnEntry").and_then(|e| Ok((e, flag("stopAtEnd")?)));
        let launched = flags.and_then(|f| Ok((f, (self.launcher)(args)?)));
        match launched {
            Ok(((on_entry, at_end), l)) => {
                let said = l.said.clone();
                self.stop_on_entry = on_entry;
                self.stop_at_end = at_end;
                self.launch_args = args.clone();
                self.launched = Some(l);
                for line in said {
                    self.console("console", &line)?;
                }
                self.reply(m, Ok(json!({})))?;
                self.event("initialized", json!({}))
            }
            Err(e) => {
                self.console("stderr", &e)?;
                self.reply(m, Err(e))
            }
        }
    }

    fn configuration_done(&mut self, m: &Value) -> io::Result<()> {
        self.reply(m, Ok(json!({})))?;
        if self.configured {
            return Ok(());
        }
        self.configured = true;
        self.emit_history()?;
        self.begin()
    }

    /// The run's first moment: paused there when asked, or at a breakpoint
    /// on the first state; else it runs.
    fn begin(&mut self) -> io::Result<()> {
        let l = self.launched.as_mut().expect("launched");
        let hit = l.session.check_breakpoint();
        let logs = l.session.take_logs();
        for line in logs {
            self.console("console", &line)?;
        }
        if let Some(i) = hit {
            let here = self
                .launched
                .as_ref()
                .expect("launched")
                .session
                .moment()
                .label();
            let id = self.bp_ids.get(i).copied();
            return self.stopped("breakpoint", &format!("Breakpoint before {here}"), id);
        }
        if self.stop_on_entry {
            self.stopped("entry", "Paused before the first state", None)
        } else {
            self.go(Cmd::Continue)
        }
    }

    // --- Breakpoints -----------------------------------------------------

    fn set_breakpoints(&mut self, args: &Value) -> Result<Value, String> {
        let path = args["source"]["path"]
            .as_str()
            .or_else(|| args["source"]["name"].as_str())
            .unwrap_or_default()
            .to_string();
        let mut list = Vec::new();
        for b in args["breakpoints"].as_array().into_iter().flatten() {
            let line = b["line"].as_u64().map(|n| n as usize);
            let mut asked = self.asked(b, Want::Line(path.clone(), line.unwrap_or(0)));
            if line.is_none() {
                asked.problem = Some("a breakpoint needs a line (a whole number)".into());
            }
            self.place(&mut asked);
            list.push(asked);
        }
        self.by_source.insert(path.clone(), list);
        self.sync_breakpoints();
        let out: Vec<Value> = self.by_source[&path]
            .iter()
            .map(|a| self.describe(a, Some(&path)))
            .collect();
        Ok(json!({ "breakpoints": out }))
    }

    fn set_function_breakpoints(&mut self, args: &Value) -> Result<Value, String> {
        let mut list = Vec::new();
        for b in args["breakpoints"].as_array().into_iter().flatten() {
            let name = b["name"].as_str().unwrap_or_default().to_string();
            let mut asked = self.asked(b, Want::Name(name));
            self.place(&mut asked);
            list.push(asked);
        }
        self.by_name = list;
        self.sync_breakpoints();
        let out: Vec<Value> = self
            .by_name
            .iter()
            .map(|a| self.describe(a, None))
            .collect();
        Ok(json!({ "breakpoints": out }))
    }

    fn set_exception_breakpoints(&mut self, args: &Value) -> Result<Value, String> {
        let filters: Vec<&str> = args["filters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        self.on_error = filters.contains(&"all");
        self.on_uncaught = filters.contains(&"uncaught");
        let on = self.on_error || self.on_uncaught;
        if let Some(s) = self.session() {
            s.set_break_on_error(on);
        }
        let n = filters.len();
        Ok(json!({"breakpoints": vec![json!({"verified": true}); n]}))
    }

    fn asked(&mut self, b: &Value, want: Want) -> Asked {
        let id = self.next_bp;
        self.next_bp += 1;
        let text = |k: &str| {
            b[k].as_str()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        let wrong = ["condition", "hitCondition", "logMessage"]
            .into_iter()
            .find(|k| !b[*k].is_null() && !b[*k].is_string());
        let mut a = Asked {
            id,
            want,
            at: None,
            line: None,
            condition: text("condition"),
            hit: text("hitCondition"),
            log: text("logMessage"),
            problem: None,
        };
        if let Some(c) = &a.condition {
            if let Err(e) = crate::debugger::watch::Watch::new(c) {
                a.problem = Some(format!("condition: {e}"));
            }
        }
        if let Some(h) = &a.hit {
            if let Err(e) = HitCondition::parse(h) {
                a.problem = Some(e);
            }
        }
        if let Some(k) = wrong {
            a.problem = Some(format!("'{k}' must be a string"));
        }
        a
    }

    /// Find where `a` stands in the definition being debugged: the state
    /// holding its line, or the state of its name.
    fn place(&self, a: &mut Asked) {
        let l = self.launched.as_ref().expect("launched");
        a.at = None;
        match &a.want {
            Want::Line(path, line) => {
                a.line = Some(*line);
                if a.problem.is_some() {
                    return;
                }
                if !l.file.as_deref().is_some_and(|f| same_file(f, path)) {
                    a.problem = Some(format!(
                        "{path} is not the definition being debugged{}",
                        l.file
                            .as_deref()
                            .map(|f| format!(" ({f})"))
                            .unwrap_or_default()
                    ));
                    return;
                }
                let Some(lines) = l.lines.as_ref() else {
                    a.problem = Some(
                        "this file does not hold the states as they run (a definition given as \
                         a string, or built by Terraform): set a function breakpoint on the \
                         state's name"
                            .into(),
                    );
                    return;
                };
                match lines.state_at(*line) {
                    Some((m, s, first)) => {
                        a.at = Some(BreakAt::State(m, s));
                        a.line = Some(first);
                    }
                    None => a.problem = Some("no state's text holds this line".into()),
                }
            }
            Want::Name(name) => {
                if a.problem.is_some() {
                    return;
                }
                let def = l.session.definition();
                match def.find(name) {
                    Some((m, s)) => a.at = Some(BreakAt::State(m, s)),
                    None => {
                        let names: Vec<String> = def
                            .machines
                            .iter()
                            .flat_map(|mc| mc.states.iter().map(|s| s.name.to_string()))
                            .collect();
                        a.problem = Some(match crate::testing::mocks::did_you_mean(name, &names) {
                            Some(n) => format!("no state named '{name}' (did you mean '{n}'?)"),
                            None => format!("no state named '{name}'"),
                        });
                    }
                }
            }
        }
    }

    fn describe(&self, a: &Asked, path: Option<&str>) -> Value {
        let mut v = json!({"id": a.id, "verified": a.problem.is_none() && a.at.is_some()});
        if let Some(p) = &a.problem {
            v["message"] = json!(p);
        }
        if let (Some(line), Some(p)) = (a.line, path) {
            v["line"] = json!(line);
            v["source"] = source(p);
        }
        v
    }

    /// The session's breakpoints, made again from what the client asked.
    fn sync_breakpoints(&mut self) {
        let asked: Vec<Asked> = self
            .by_source
            .values()
            .flatten()
            .chain(&self.by_name)
            .filter(|a| a.problem.is_none())
            .cloned()
            .collect();
        let Some(s) = self.launched.as_mut().map(|l| &mut l.session) else {
            return;
        };
        s.clear_breakpoints();
        self.bp_ids.clear();
        for a in asked {
            let Some(at) = a.at.clone() else { continue };
            let mut b = Breakpoint::new(at);
            b.hit = a.hit.as_deref().and_then(|h| HitCondition::parse(h).ok());
            b.log = a.log.clone();
            let i = s.add_breakpoint(b);
            if let Some(c) = &a.condition {
                let _ = s.set_condition(i, c);
            }
            self.bp_ids.push(a.id);
        }
    }

    // --- Running ---------------------------------------------------------

    fn start(&mut self, m: &Value, cmd: Cmd) -> io::Result<()> {
        let done = self
            .launched
            .as_ref()
            .is_some_and(|l| l.session.moment().is_done());
        if done {
            // Going on from the end ends the session.
            self.reply(m, Ok(json!({})))?;
            return self.end_session();
        }
        let body = if cmd == Cmd::Continue {
            json!({"allThreadsContinued": true})
        } else {
            json!({})
        };
        self.reply(m, Ok(body))?;
        self.go(cmd)
    }

    fn go(&mut self, cmd: Cmd) -> io::Result<()> {
        self.last = cmd;
        let Some(s) = self.session() else {
            return Ok(());
        };
        match cmd {
            Cmd::Continue => s.continue_run(),
            Cmd::Next => s.step_over(),
            Cmd::StepIn => s.step_into(),
            Cmd::StepOut => s.step_out(),
        }
        self.running = Some(cmd);
        self.refs.clear();
        self.event(
            "continued",
            json!({"threadId": self.current_thread(), "allThreadsContinued": true}),
        )
    }

    fn pause(&mut self, m: &Value) -> io::Result<()> {
        self.reply(m, Ok(json!({})))?;
        if self.running.take().is_some() || self.command_waits.take().is_some() {
            if let Some(s) = self.session() {
                s.pause();
            }
            self.stopped("pause", "Paused", None)?;
        }
        Ok(())
    }

    /// One slice of the running command.
    fn slice(&mut self) -> io::Result<()> {
        let Some(s) = self.session() else {
            return Ok(());
        };
        // Small slices up to a few milliseconds: a pause (or any request)
        // is answered at once however slow a state is.
        let started = std::time::Instant::now();
        let mut stop = s.run(SLICE);
        while stop == Stop::Budget && started.elapsed() < SLICE_TIME {
            stop = s.run(SLICE);
        }
        let logs = s.take_logs();
        for l in logs {
            self.console("console", &l)?;
        }
        self.emit_history()?;
        if stop == Stop::Budget {
            return Ok(());
        }
        let cmd = self.running.take().unwrap_or(Cmd::Continue);
        self.after(stop, cmd)
    }

    fn after(&mut self, stop: Stop, cmd: Cmd) -> io::Result<()> {
        let caught = stop == Stop::ErrorRaised && self.caught();
        let l = self.launched.as_mut().expect("launched");
        let here = l.session.moment().label();
        match stop {
            Stop::Stepped => {
                let text = match l.session.moment().container_exit() {
                    Some(exit) => format!("Paused at the end of {here} ({exit})"),
                    None => format!("Paused before {here}"),
                };
                self.stopped("step", &text, None)
            }
            Stop::Breakpoint(i) => {
                let why = l.session.take_condition_error();
                let id = self.bp_ids.get(i).copied();
                let text = match why {
                    Some(e) => format!("Breakpoint before {here}: its condition failed ({e})"),
                    None => format!("Breakpoint before {here}"),
                };
                self.stopped("breakpoint", &text, id)
            }
            Stop::ErrorRaised => {
                if caught && !self.on_error {
                    // Only uncaught errors stop: go on with the command.
                    return self.go(cmd);
                }
                let e = l
                    .session
                    .moment()
                    .error_pending()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                self.stopped(
                    "exception",
                    &format!("Error raised in {here} (before Retry/Catch): {e}"),
                    None,
                )
            }
            Stop::TaskPending => {
                let busy = l.background.as_ref().is_some_and(|b| b.pending());
                if busy {
                    self.command_waits = Some(cmd);
                    return self
                        .console("console", &format!("Running the task command for {here}…"));
                }
                let token = l
                    .session
                    .moment()
                    .task_token()
                    .map(|t| format!(" (task token {t})"))
                    .unwrap_or_default();
                self.console(
                    "console",
                    &format!(
                        "Task {here} waits for an answer{token}: type `answer {{…}}`, \
                         `fail ERROR [CAUSE]` or `heartbeat` here (the Task scope shows its input)"
                    ),
                )?;
                self.stopped("pause", &format!("Task {here} waits for an answer"), None)
            }
            Stop::Paused => self.stopped("pause", "Paused", None),
            Stop::Budget => Ok(()),
            Stop::Finished(status) => self.finished(status),
        }
    }

    /// Whether a Catch of the state raising the error, or of a container
    /// it runs in, takes it.
    fn caught(&self) -> bool {
        let Some(l) = self.launched.as_ref() else {
            return false;
        };
        let m = l.session.moment();
        let Some(e) = m.error_pending() else {
            return false;
        };
        let def = m.definition();
        m.strands()
            .into_iter()
            .find(|s| s.current)
            .into_iter()
            .flat_map(|s| s.stack.into_iter().rev())
            .any(|(mc, st, _)| {
                def.machines[mc].states[st].catch.iter().any(|c| {
                    c.errors
                        .iter()
                        .any(|p| crate::engine::error_matches(p, &e.error))
                })
            })
    }

    fn finished(&mut self, status: Status) -> io::Result<()> {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        self.sync_threads()?;
        let l = self.launched.as_ref().expect("launched");
        let m = l.session.moment();
        let text = match status {
            Status::Succeeded => format!(
                "Execution SUCCEEDED: {}",
                m.output().map(|o| o.preview(2000)).unwrap_or_default()
            ),
            other => format!(
                "Execution {}: {}",
                other.as_str(),
                m.error().map(|e| e.to_string()).unwrap_or_default()
            ),
        };
        self.console("console", &text)?;
        if self.stop_at_end {
            // Stopped at the end: the run can still be looked at, stepped
            // back through or restarted; going on ends the session.
            return self.stopped("end", &format!("{text} (continue ends the session)"), None);
        }
        self.end_session()
    }

    /// `exited` with the execution's outcome, then `terminated` (once).
    fn end_session(&mut self) -> io::Result<()> {
        if self.terminated {
            return Ok(());
        }
        self.terminated = true;
        let ok = self
            .launched
            .as_ref()
            .is_some_and(|l| l.session.moment().status() == Status::Succeeded);
        self.event("exited", json!({"exitCode": if ok { 0 } else { 1 }}))?;
        self.event("terminated", json!({}))
    }

    fn poll_command(&mut self) -> io::Result<()> {
        let Some(cmd) = self.command_waits else {
            return Ok(());
        };
        let l = self.launched.as_mut().expect("launched");
        let done = l
            .background
            .as_ref()
            .and_then(|b| b.slot.lock().ok().and_then(|mut s| s.take()));
        if let Some(outcome) = done {
            self.command_waits = None;
            l.session.answer_task_by_hand(outcome);
            self.console("console", "The task command answered.")?;
            self.go(cmd)?;
        }
        Ok(())
    }

    fn back(&mut self, m: &Value, one: bool) -> io::Result<()> {
        let l = self.launched.as_mut().expect("launched");
        if self.running.is_some() {
            return self.reply(m, Err("pause first".into()));
        }
        let s = &mut l.session;
        let moved = if one {
            s.state_back()
        } else {
            // Back to the last breakpoint passed, else the start.
            let mut moved = false;
            while s.state_back() {
                moved = true;
                let here = s.moment().current_ids();
                if here.is_some_and(|(mc, st)| s.has_breakpoint(mc, st)) {
                    break;
                }
            }
            moved
        };
        self.reply(m, Ok(json!({})))?;
        self.ended = false;
        if !moved {
            return self.stopped("entry", "At the start of the run", None);
        }
        let l = self.launched.as_ref().expect("launched");
        let here = l.session.moment().label();
        if !one {
            // At a breakpoint's state: which one.
            let at = l.session.moment().current_ids();
            let hit = l.session.breakpoints().iter().position(|b| {
                b.enabled
                    && matches!(b.at, BreakAt::State(bm, bs) | BreakAt::Iteration(bm, bs, _)
                        if Some((bm, bs)) == at)
            });
            if let Some(i) = hit {
                let id = self.bp_ids.get(i).copied();
                return self.stopped(
                    "breakpoint",
                    &format!("Back at the breakpoint before {here}"),
                    id,
                );
            }
        }
        self.stopped("step", &format!("Went back: before {here}"), None)
    }

    /// Launch again — the definition as its file reads now, and the
    /// arguments the client sends (else the first ones) — with the same
    /// breakpoints, placed in the new definition.
    fn restart(&mut self, m: &Value, args: &Value) -> io::Result<()> {
        let launch = match &args["arguments"] {
            Value::Object(_) => args["arguments"].clone(),
            _ => self.launch_args.clone(),
        };
        let flags = ["stopOnEntry", "stopAtEnd"]
            .iter()
            .find(|k| !launch[**k].is_null() && !launch[**k].is_boolean());
        if let Some(k) = flags {
            return self.reply(m, Err(format!("restart: '{k}' must be true or false")));
        }
        let fresh = match (self.launcher)(&launch) {
            Ok(l) => l,
            Err(e) => {
                self.console("stderr", &e)?;
                return self.reply(m, Err(e));
            }
        };
        self.running = None;
        self.command_waits = None;
        if let Some(b) = self.launched.as_ref().and_then(|l| l.background.as_ref()) {
            b.cancel();
        }
        self.stop_on_entry = launch["stopOnEntry"]
            .as_bool()
            .unwrap_or(self.stop_on_entry);
        self.stop_at_end = launch["stopAtEnd"].as_bool().unwrap_or(self.stop_at_end);
        let said = fresh.said.clone();
        self.launched = Some(fresh);
        self.launch_args = launch;
        let mut asked: Vec<Asked> = std::mem::take(&mut self.by_name);
        for a in &mut asked {
            a.problem = None;
            self.place(a);
        }
        self.by_name = asked;
        let mut by_source = std::mem::take(&mut self.by_source);
        for a in by_source.values_mut().flatten() {
            a.problem = None;
            self.place(a);
        }
        self.by_source = by_source;
        self.sync_breakpoints();
        let on = self.on_error || self.on_uncaught;
        if let Some(s) = self.session() {
            s.set_break_on_error(on);
        }
        self.ended = false;
        self.terminated = false;
        self.sent = 0;
        self.reply(m, Ok(json!({})))?;
        for line in said {
            self.console("console", &line)?;
        }
        self.console("console", "Restarted.")?;
        self.emit_history()?;
        self.begin()
    }

    fn stopped(&mut self, reason: &str, text: &str, bp: Option<i64>) -> io::Result<()> {
        self.refs.clear();
        self.sync_threads()?;
        let mut body = json!({
            "reason": reason,
            "description": text,
            "text": text,
            "threadId": self.current_thread(),
            "allThreadsStopped": true,
            "preserveFocusHint": false,
        });
        if let Some(id) = bp {
            body["hitBreakpointIds"] = json!([id]);
        }
        self.event("stopped", body)
    }

    // --- Threads and frames ----------------------------------------------

    fn current_thread(&self) -> i64 {
        let path = self
            .launched
            .as_ref()
            .map(|l| l.session.moment().frame_path())
            .unwrap_or_default();
        self.ids.get(&path).copied().unwrap_or(1)
    }

    /// Threads for the strands running now; started/exited events for the
    /// ones that came and went.
    fn sync_threads(&mut self) -> io::Result<()> {
        let Some(l) = self.launched.as_ref() else {
            return Ok(());
        };
        let mut now: Vec<Vec<usize>> = l
            .session
            .moment()
            .strands()
            .into_iter()
            .map(|s| s.path)
            .collect();
        if !now.contains(&Vec::new()) {
            now.push(Vec::new());
        }
        let now: std::collections::BTreeSet<Vec<usize>> = now.into_iter().collect();
        let gone: Vec<Vec<usize>> = self.live.difference(&now).cloned().collect();
        let came: Vec<Vec<usize>> = now.difference(&self.live).cloned().collect();
        self.live = now;
        for p in gone {
            let id = self.ids.get(&p).copied().unwrap_or(1);
            self.event("thread", json!({"reason": "exited", "threadId": id}))?;
        }
        for p in came {
            let next = &mut self.next_thread;
            let id = *self.ids.entry(p).or_insert_with(|| {
                *next += 1;
                *next - 1
            });
            self.event("thread", json!({"reason": "started", "threadId": id}))?;
        }
        Ok(())
    }

    fn threads_body(&self) -> Value {
        let l = self.launched.as_ref().expect("launched");
        let m = l.session.moment();
        let def = m.definition();
        let strands = m.strands();
        let threads: Vec<Value> = self
            .live
            .iter()
            .map(|path| (path, self.ids.get(path).copied().unwrap_or(1)))
            .map(|(path, id)| {
                let name = if path.is_empty() {
                    "main flow".to_string()
                } else {
                    let at = strands
                        .iter()
                        .find(|s| &s.path == path)
                        .and_then(|s| s.stack.last())
                        .map(|(mc, st, _)| def.machines[*mc].states[*st].name.to_string())
                        .unwrap_or_default();
                    format!("{at} {}", crate::engine::history::path_label(path))
                };
                json!({"id": id, "name": name})
            })
            .collect();
        json!({ "threads": threads })
    }

    /// The strand of thread `id`: its frames, innermost first (machine,
    /// state, path).
    fn frames_of(&self, id: i64) -> Vec<(usize, usize, Vec<usize>)> {
        let l = self.launched.as_ref().expect("launched");
        let Some(path) = self.ids.iter().find(|(_, t)| **t == id).map(|(p, _)| p) else {
            return Vec::new();
        };
        l.session
            .moment()
            .strands()
            .into_iter()
            .find(|s| &s.path == path)
            .map(|s| s.stack.into_iter().rev().collect())
            .unwrap_or_default()
    }

    fn stack_trace(&mut self, args: &Value) -> Result<Value, String> {
        let id = args["threadId"].as_i64().unwrap_or(1);
        let frames = self.frames_of(id);
        let l = self.launched.as_ref().expect("launched");
        let def = l.session.definition().clone();
        let start = args["startFrame"].as_u64().unwrap_or(0) as usize;
        let levels = args["levels"].as_u64().filter(|n| *n > 0).unwrap_or(1000) as usize;
        let total = frames.len();
        let out: Vec<Value> = frames
            .iter()
            .enumerate()
            .skip(start)
            .take(levels)
            .map(|(k, (mc, st, path))| {
                let name = &def.machines[*mc].states[*st].name;
                let label = if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{name} {}", crate::engine::history::path_label(path))
                };
                let mut f = json!({
                    "id": id * 10_000 + k as i64,
                    "name": label,
                    "line": 0,
                    "column": 0,
                });
                if let (Some(file), Some(line)) = (
                    l.file.as_ref(),
                    l.lines.as_ref().and_then(|ls| ls.line_of(*mc, *st)),
                ) {
                    f["source"] = source(file);
                    f["line"] = json!(line);
                    f["column"] = json!(1);
                }
                f
            })
            .collect();
        Ok(json!({"stackFrames": out, "totalFrames": total}))
    }

    fn frame(&self, frame_id: i64) -> Option<(bool, usize, usize, Vec<usize>)> {
        let (thread, k) = (frame_id / 10_000, (frame_id % 10_000) as usize);
        let frames = self.frames_of(thread);
        let (mc, st, path) = frames.get(k)?.clone();
        let current = k == 0
            && self
                .launched
                .as_ref()
                .is_some_and(|l| l.session.moment().frame_path() == path);
        Some((current, mc, st, path))
    }

    fn scopes(&mut self, args: &Value) -> Result<Value, String> {
        let frame_id = args["frameId"].as_i64().unwrap_or(0);
        let (current, mc, st, path) = self
            .frame(frame_id)
            .ok_or("no such frame (the run has moved on)")?;
        let l = self.launched.as_ref().expect("launched");
        let scopes = vars::scopes(&l.session.moment(), current, mc, st, &path);
        let out: Vec<Value> = scopes
            .into_iter()
            .map(|(name, node, expensive)| {
                let r = self.refs.add(node);
                json!({"name": name, "variablesReference": r, "expensive": expensive})
            })
            .collect();
        Ok(json!({ "scopes": out }))
    }

    fn variables(&mut self, args: &Value) -> Result<Value, String> {
        let r = args["variablesReference"].as_i64().unwrap_or(0);
        let l = self.launched.as_ref().expect("launched");
        let start = args["start"].as_u64().unwrap_or(0) as usize;
        let count = args["count"]
            .as_u64()
            .filter(|n| *n > 0)
            .map(|n| n as usize);
        let list = self
            .refs
            .children(r, &l.session.moment(), start, count)
            .ok_or("no such variable (the run has moved on)")?;
        let out: Vec<Value> = list
            .into_iter()
            .map(|c| {
                let r = c.node.map(|n| self.refs.add(n)).unwrap_or(0);
                let mut v = json!({
                    "name": c.name,
                    "value": c.value,
                    "variablesReference": r,
                });
                if let Some(t) = c.kind {
                    v["type"] = json!(t);
                }
                if let Some(e) = c.evaluate {
                    v["evaluateName"] = json!(e);
                }
                if let Some(n) = c.indexed {
                    v["indexedVariables"] = json!(n);
                }
                v
            })
            .collect();
        Ok(json!({ "variables": out }))
    }

    fn set_variable(&mut self, args: &Value) -> Result<Value, String> {
        let r = args["variablesReference"].as_i64().unwrap_or(0);
        let name = args["name"].as_str().unwrap_or_default();
        let text = args["value"].as_str().unwrap_or_default();
        let value = Val::parse(text.trim()).map_err(|e| not_json(text, e))?;
        if self.running.is_some() {
            return Err("pause first".into());
        }
        let l = self.launched.as_mut().expect("launched");
        let shown = self.refs.set(r, name, value, &mut l.session)?;
        Ok(json!({"value": shown}))
    }

    fn set_expression(&mut self, args: &Value) -> Result<Value, String> {
        let text = args["expression"].as_str().unwrap_or_default();
        let raw = args["value"].as_str().unwrap_or_default();
        let value = Val::parse(raw.trim()).map_err(|e| not_json(raw, e))?;
        if self.running.is_some() {
            return Err("pause first".into());
        }
        let l = self.launched.as_mut().expect("launched");
        let shown = vars::set_expression(text, value, &mut l.session)?;
        Ok(json!({"value": shown}))
    }

    /// The moments a line's state was at: each history event of that
    /// state so far (going to one travels back, or forward, to it).
    fn goto_targets(&mut self, args: &Value) -> Result<Value, String> {
        let line = args["line"].as_u64().unwrap_or(0) as usize;
        let l = self.launched.as_ref().expect("launched");
        let path = args["source"]["path"].as_str().unwrap_or_default();
        if !l.file.as_deref().is_some_and(|f| same_file(f, path)) {
            return Err(format!("{path} is not the definition being debugged"));
        }
        let (mc, st, first) = l
            .lines
            .as_ref()
            .and_then(|ls| ls.state_at(line))
            .ok_or("no state at this line")?;
        let m = l.session.moment();
        let name = &m.definition().machines[mc].states[st].name;
        let targets: Vec<Value> = m
            .history()
            .iter()
            .enumerate()
            .filter(|(_, e)| e.state.as_deref() == Some(&**name))
            .map(|(i, e)| {
                let mut label = format!("{} {}", e.id, e.event_type.as_str());
                if !e.frame.is_empty() {
                    label.push(' ');
                    label.push_str(&crate::engine::history::path_label(&e.frame));
                }
                json!({"id": i + 1, "label": label, "line": first})
            })
            .collect();
        if targets.is_empty() {
            return Err(format!("'{name}' has not run yet: no moment to go to"));
        }
        Ok(json!({ "targets": targets }))
    }

    fn goto(&mut self, m: &Value, args: &Value) -> io::Result<()> {
        let k = args["targetId"].as_u64().unwrap_or(0) as usize;
        if self.running.is_some() {
            return self.reply(m, Err("pause first".into()));
        }
        let l = self.launched.as_mut().expect("launched");
        if k == 0
            || k > l
                .session
                .moment()
                .history()
                .len()
                .max(l.session.horizon_events())
        {
            return self.reply(m, Err(format!("no history event {k}")));
        }
        l.session.travel_to_event(k);
        self.ended = false;
        self.reply(m, Ok(json!({})))?;
        self.stopped("goto", &format!("At history event {k}"), None)
    }

    fn evaluate(&mut self, args: &Value) -> Result<Value, String> {
        let text = args["expression"]
            .as_str()
            .ok_or("'expression' must be a string")?
            .trim()
            .to_string();
        let context = args["context"].as_str().unwrap_or("repl");
        if context == "repl" {
            if let Some(said) = self.task_command(&text)? {
                return Ok(json!({"result": said, "variablesReference": 0}));
            }
        }
        let l = self.launched.as_ref().expect("launched");
        let w = crate::debugger::watch::Watch::new(&text)?;
        let v = w.eval(&l.session.moment())?;
        let Some(v) = v else {
            return Ok(
                json!({"result": "(nothing: the expression selects no value)", "variablesReference": 0}),
            );
        };
        let (shown, node, indexed) = vars::show(&v, Some(text.clone()));
        let r = node.map(|n| self.refs.add(n)).unwrap_or(0);
        let mut out = json!({"result": shown, "variablesReference": r});
        if let Some(n) = indexed {
            out["indexedVariables"] = json!(n);
        }
        Ok(out)
    }

    /// `answer {…}`, `fail ERROR [CAUSE]`, `heartbeat` in the console: the
    /// waiting task's answer (None: not such a command).
    fn task_command(&mut self, text: &str) -> Result<Option<String>, String> {
        let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        if !matches!(word, "answer" | "fail" | "heartbeat") {
            return Ok(None);
        }
        let l = self.launched.as_mut().expect("launched");
        if !l.session.moment().waiting_for_task() {
            return Err(format!(
                "no task waits for an answer here ({word} answers a Task that waits)"
            ));
        }
        let outcome = match word {
            "answer" => TaskOutcome::Succeeded(
                Val::parse(rest.trim())
                    .map_err(|e| format!("answer: {}", not_json(rest.trim(), e)))?,
            ),
            "fail" => {
                let rest = rest.trim();
                let (error, cause) = rest
                    .split_once(char::is_whitespace)
                    .map_or((rest, None), |(e, c)| (e, Some(c.trim().to_string())));
                TaskOutcome::Failed {
                    error: (!error.is_empty()).then(|| error.to_string()),
                    cause,
                }
            }
            _ => {
                return Ok(Some(
                    "Heartbeat sent: the task keeps waiting (its HeartbeatSeconds start again)"
                        .into(),
                ))
            }
        };
        l.session.answer_task_by_hand(outcome);
        Ok(Some("Answered: continue or step to go on.".into()))
    }

    /// Send the history events not sent yet to the console, one line each
    /// (the whole event expands from its line).
    fn emit_history(&mut self) -> io::Result<()> {
        let Some(l) = self.launched.as_ref() else {
            return Ok(());
        };
        let history = l.session.moment().history();
        if history.len() <= self.sent {
            return Ok(());
        }
        let lines: Vec<(String, i64)> = history[self.sent..]
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let mut line = format!("{:>4} {}", e.id, e.event_type.as_str());
                if let Some(s) = &e.state {
                    line.push(' ');
                    line.push_str(s);
                }
                if !e.frame.is_empty() {
                    line.push(' ');
                    line.push_str(&crate::engine::history::path_label(&e.frame));
                }
                (line, vars::event_ref(self.sent + k))
            })
            .collect();
        self.sent = history.len();
        if lines.len() <= BATCH {
            for (line, r) in lines {
                self.event(
                    "output",
                    json!({"category": "console", "output": format!("{line}\n"), "variablesReference": r}),
                )?;
            }
            return Ok(());
        }
        // A flood (a continue through thousands of events): lines in
        // blocks, so that the client keeps up and a pause is read at once
        // (a line in a block does not expand to its event).
        for block in lines.chunks(BATCH * 10) {
            let text: String = block.iter().map(|(l, _)| format!("{l}\n")).collect();
            self.event("output", json!({"category": "console", "output": text}))?;
        }
        Ok(())
    }
}

/// Every request this adapter answers.
const KNOWN: &[&str] = &[
    "initialize",
    "launch",
    "attach",
    "setBreakpoints",
    "setFunctionBreakpoints",
    "setExceptionBreakpoints",
    "configurationDone",
    "threads",
    "stackTrace",
    "scopes",
    "variables",
    "setVariable",
    "setExpression",
    "gotoTargets",
    "goto",
    "evaluate",
    "continue",
    "next",
    "stepIn",
    "stepOut",
    "pause",
    "stepBack",
    "reverseContinue",
    "restart",
    "source",
    "loadedSources",
    "disconnect",
    "terminate",
];

fn capabilities() -> Value {
    json!({
        "supportsConfigurationDoneRequest": true,
        "supportsFunctionBreakpoints": true,
        "supportsConditionalBreakpoints": true,
        "supportsHitConditionalBreakpoints": true,
        "supportsLogPoints": true,
        "supportsEvaluateForHovers": true,
        "supportsStepBack": true,
        "supportsSetVariable": true,
        "supportsSetExpression": true,
        "supportsGotoTargetsRequest": true,
        "supportsRestartRequest": true,
        "supportsTerminateRequest": true,
        "supportsLoadedSourcesRequest": true,
        "supportsDelayedStackTraceLoading": true,
        "exceptionBreakpointFilters": [
            {"filter": "all", "label": "Every error", "description": "Stop when a state raises an error, before its Retry and Catch", "default": false},
            {"filter": "uncaught", "label": "Uncaught errors", "description": "Stop when a state raises an error that no Catch (of the state or a container) takes", "default": true}
        ],
    })
}

/// A value typed that is not JSON, quoted short.
fn not_json(text: &str, e: impl std::fmt::Display) -> String {
    let shown: String = text.chars().take(60).collect();
    let cut = if shown.len() < text.len() { "…" } else { "" };
    format!("'{shown}{cut}' is not JSON ({e}): a string is written in quotes, \"like this\"")
}

fn source(path: &str) -> Value {
    let name = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string());
    json!({"name": name, "path": path})
}

/// Whether two paths name one file (as given, or once resolved).
fn same_file(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
