//! `asldbg dap`: the Debug Adapter Protocol over standard input and output
//! (or one TCP connection with `--listen`). A launch request's arguments
//! are the debugger's options, named as in a launch.json.

use super::args::*;
use super::common::*;
use asldbg::asl::{self, Loaded};
use asldbg::dap::{lines::Lines, Launched};
use asldbg::debugger::Session;
use clap::Args;
use serde_json::Value;
use std::io::BufReader;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args)]
pub struct DapArgs {
    /// Wait for one editor to connect on ADDR (host:port) instead of
    /// speaking on standard input and output.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
}

pub(crate) fn run(args: DapArgs) -> ExitCode {
    let launcher = |v: &Value| launch(v).map_err(|e| in_launch_words(&e));
    let served = match &args.listen {
        None => asldbg::dap::serve(
            BufReader::new(std::io::stdin()),
            std::io::stdout().lock(),
            &launcher,
        ),
        Some(addr) => {
            let listener = match std::net::TcpListener::bind(addr) {
                Ok(l) => l,
                Err(e) => return fail2(format!("--listen {addr}: {e}")),
            };
            if let Ok(a) = listener.local_addr() {
                asldbg::errln!("asldbg dap: listening on {a}");
            }
            let (stream, _) = match listener.accept() {
                Ok(s) => s,
                Err(e) => return fail2(format!("--listen {addr}: {e}")),
            };
            let reader = match stream.try_clone() {
                Ok(r) => r,
                Err(e) => return fail2(e),
            };
            asldbg::dap::serve(BufReader::new(reader), stream, &launcher)
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail2(format!("dap: {e}")),
    }
}

/// A message that names the command line's flags, in the launch
/// arguments' words (`--no-quota` → `"noQuota": true`).
fn in_launch_words(m: &str) -> String {
    [
        ("--no-quota", "\"noQuota\": true"),
        ("--start-time", "\"startTime\""),
        ("--subs", "\"subs\""),
        ("--sub ", "\"sub\" "),
        ("--machine", "\"machine\""),
        ("--test-case", "\"testCase\""),
        ("--mocks", "\"mocks\""),
        ("--task-command", "\"taskCommand\""),
        ("--s3-dir", "\"s3Dir\""),
        ("--name", "\"stateMachineName\""),
        ("--input", "\"input\""),
    ]
    .iter()
    .fold(m.to_string(), |m, (flag, arg)| m.replace(flag, arg))
}

/// A string argument (None when absent; an error when not a string).
fn text(v: &Value, k: &str) -> Result<Option<String>, String> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("launch: '{k}' must be a string")),
    }
}

/// A file argument: relative paths are taken from `cwd` when it is given.
fn file(v: &Value, k: &str) -> Result<Option<String>, String> {
    let Some(f) = text(v, k)? else {
        return Ok(None);
    };
    Ok(Some(match text(v, "cwd")? {
        Some(cwd) if std::path::Path::new(&f).is_relative() => std::path::Path::new(&cwd)
            .join(&f)
            .to_string_lossy()
            .into_owned(),
        _ => f,
    }))
}

/// Build the session a launch request asks for.
fn launch(v: &Value) -> Result<Launched, String> {
    let definition = file(v, "definition")?
        .ok_or("launch: 'definition' (the definition or template file to debug) is missing")?;
    let sub = match v.get("sub") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, x)| match x {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect(),
        Some(_) => return Err("launch: 'sub' must be an object of NAME: VALUE".into()),
    };
    let kind = match text(v, "workflowType")? {
        Some(t) => Some(t),
        None => text(v, "type")?,
    };
    let workflow_type = match kind.as_deref().map(str::to_ascii_uppercase) {
        // `type` is also the launch configuration's debugger type.
        None => WorkflowType::Standard,
        Some(t) if t == "ASLDBG" || t == "STANDARD" => WorkflowType::Standard,
        Some(t) if t == "EXPRESS" => WorkflowType::Express,
        Some(t) => {
            return Err(format!(
                "launch: 'workflowType' is STANDARD or EXPRESS, not '{t}'"
            ))
        }
    };
    let seed = match v.get("seed") {
        None | Some(Value::Null) => 0,
        Some(x) => x.as_u64().ok_or("launch: 'seed' must be a whole number")?,
    };
    let exec = ExecArgs {
        source: SourceArgs {
            machine: text(v, "machine")?,
            sub,
            subs: file(v, "subs")?,
        },
        input: file(v, "input")?,
        mocks: file(v, "mocks")?,
        test_case: text(v, "testCase")?,
        name: text(v, "stateMachineName")?,
        start_time: text(v, "startTime")?,
        seed,
        s3_dir: file(v, "s3Dir")?,
        task_command: text(v, "taskCommand")?,
        task_timeout: None,
        workflow_type,
    };
    let mut open_opts = exec
        .source
        .options(exec.express(), false)
        .map_err(|e| e.to_string())?;
    if open_opts.machine.is_none() {
        let machines = asl::machines_to_pick(&definition, &open_opts);
        match machines.as_slice() {
            [] => {}
            [(only, _)] => open_opts.machine = Some(only.clone()),
            several => {
                let names: Vec<&str> = several.iter().map(|(n, _)| n.as_str()).collect();
                return Err(format!(
                    "{definition} holds {} state machines: pick one with \"machine\" ({})",
                    several.len(),
                    names.join(", ")
                ));
            }
        }
    }
    let opened = match asl::load(&definition, &open_opts) {
        Loaded::Ok(o) => *o,
        Loaded::Unreadable(e) => return Err(e.to_string()),
        Loaded::Invalid(errs) => {
            return Err(errs
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"))
        }
    };
    let mut said: Vec<String> = said(&opened);
    let no_quota = match v.get("noQuota") {
        None | Some(Value::Null) => false,
        Some(x) => x
            .as_bool()
            .ok_or("launch: 'noQuota' must be true or false")?,
    };
    let input = match (v.get("inputJson"), &exec.input) {
        (Some(j), None) if !j.is_null() => {
            let val = asldbg::asl::value::Val::from(j);
            if !no_quota && asldbg::engine::payload_size(&val) > asldbg::engine::PAYLOAD_QUOTA {
                return Err(
                    "launch: 'inputJson' is larger than the 256 KiB payload quota".to_string(),
                );
            }
            val
        }
        (Some(j), Some(_)) if !j.is_null() => {
            return Err("launch: give 'input' (a file) or 'inputJson' (a value), not both".into())
        }
        (_, Some(f)) => read_input(f, !no_quota).map_err(|e| e.to_string())?,
        _ => asldbg::asl::value::Val::empty_obj(),
    };
    let mocks = match &exec.mocks {
        Some(f) => {
            let doc = asl::read_document(f).map_err(|e| e.to_string())?;
            let found = mock_warnings(f, &doc, &opened, exec.name.as_deref());
            said.extend(found.into_iter().map(|w| format!("warning: {w}")));
            Some((f.clone(), doc))
        }
        None => None,
    };
    let names = opened.mock_names();
    let runner = debug_runner(&exec, &names, mocks, None).map_err(|e| e.to_string())?;
    let mut opts = exec.options()?;
    opts.express |= opened.express;
    opts.quota = !no_quota;
    if no_quota {
        // As `run --no-quota`: the history may outgrow AWS's 25,000 events.
        opts.max_events = asldbg::engine::EVENTS_WITHOUT_QUOTA;
    }
    if exec.name.is_none() {
        if let Some(m) = names.first() {
            opts.state_machine_name = m.to_string();
        }
    }
    // Where each state's text stands, for breakpoints on lines.
    let lines = asl::read_document(&definition)
        .ok()
        .and_then(|doc| Lines::of(&opened.definition, &doc, &opened.prefix));
    if lines.is_none() {
        said.push(format!(
            "note: {definition} does not hold the states as they run (a definition given as a \
             string, or built by Terraform): set breakpoints on state names (function breakpoints)"
        ));
    }
    let mut session = Session::new(Arc::new(opened.definition), input, runner.factory, opts);
    if let Some(f) = file(v, "session")? {
        if std::path::Path::new(&f).exists() {
            let doc = asl::read_document(&f).map_err(|e| e.to_string())?;
            let restored = asldbg::debugger::saved::restore(&mut session, &doc.value)
                .map_err(|e| asldbg::debugger::saved::positioned(&f, &doc, &e))?;
            said.extend(
                restored
                    .gone
                    .iter()
                    .map(|g| format!("{f}: no longer in the definition: {g}")),
            );
        }
    }
    Ok(Launched {
        session,
        file: Some(definition),
        lines,
        background: runner.background,
        said,
    })
}

/// Request → answer times of the adapter (`asldbg bench --dap`): `next`
/// to its `stopped` event, `stackTrace` and `variables` (the Input scope)
/// to their responses, on `definition` run with `input`, `n` of each.
/// The adapter runs in this process, on pipes, as an editor's would.
pub(crate) fn bench(
    definition: &str,
    input: &str,
    n: usize,
) -> Result<Vec<(&'static str, Vec<std::time::Duration>)>, String> {
    use asldbg::dap::protocol::{read_message, write_message, Incoming};
    use serde_json::json;
    use std::time::Instant;
    let (to_adapter_r, mut to_adapter) = std::io::pipe().map_err(|e| e.to_string())?;
    let (from_adapter, from_adapter_w) = std::io::pipe().map_err(|e| e.to_string())?;
    let adapter = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let launcher = |v: &Value| launch(v);
            asldbg::dap::serve(BufReader::new(to_adapter_r), from_adapter_w, &launcher)
        })
        .map_err(|e| e.to_string())?;
    let mut from = BufReader::new(from_adapter);
    let mut seq = 0;
    let mut send =
        |w: &mut std::io::PipeWriter, command: &str, args: Value| -> Result<i64, String> {
            seq += 1;
            write_message(
                w,
                &json!({"seq": seq, "type": "request", "command": command, "arguments": args}),
            )
            .map_err(|e| e.to_string())?;
            Ok(seq)
        };
    // The next message that `pred` accepts (the others are skipped).
    let mut until = |pred: &dyn Fn(&Value) -> bool| -> Result<Value, String> {
        loop {
            match read_message(&mut from).map_err(|e| e.to_string())? {
                Incoming::Message(m) if pred(&m) => return Ok(m),
                Incoming::Message(_) => {}
                other => return Err(format!("the adapter stopped answering: {other:?}")),
            }
        }
    };
    let response = |s: i64| move |m: &Value| m["type"] == "response" && m["request_seq"] == s;
    let stopped = |m: &Value| m["event"] == "stopped";
    send(&mut to_adapter, "initialize", json!({}))?;
    let s = send(
        &mut to_adapter,
        "launch",
        json!({"definition": definition, "input": input, "noQuota": true, "stopOnEntry": true, "stopAtEnd": true}),
    )?;
    let r = until(&response(s))?;
    if r["success"] != true {
        return Err(format!("launch: {}", r["message"]));
    }
    send(&mut to_adapter, "configurationDone", json!({}))?;
    until(&stopped)?;
    let (mut next, mut frames, mut vars) = (Vec::new(), Vec::new(), Vec::new());
    while next.len() < n {
        let t = Instant::now();
        send(&mut to_adapter, "next", json!({"threadId": 1}))?;
        let m = until(&stopped)?;
        next.push(t.elapsed());
        if m["body"]["reason"] == "end" {
            let s = send(&mut to_adapter, "restart", json!({}))?;
            until(&response(s))?;
            until(&stopped)?;
            continue;
        }
        let t = Instant::now();
        let s = send(&mut to_adapter, "stackTrace", json!({"threadId": 1}))?;
        let st = until(&response(s))?;
        frames.push(t.elapsed());
        let frame = st["body"]["stackFrames"][0]["id"].clone();
        let s = send(&mut to_adapter, "scopes", json!({"frameId": frame}))?;
        let sc = until(&response(s))?;
        let Some(input) = sc["body"]["scopes"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == "Input"))
            .map(|x| x["variablesReference"].clone())
        else {
            continue;
        };
        let t = Instant::now();
        let s = send(
            &mut to_adapter,
            "variables",
            json!({"variablesReference": input}),
        )?;
        until(&response(s))?;
        vars.push(t.elapsed());
    }
    let s = send(&mut to_adapter, "disconnect", json!({}))?;
    until(&response(s))?;
    drop(to_adapter);
    let _ = adapter.join();
    Ok(vec![
        ("next (to stopped)", next),
        ("stackTrace", frames),
        ("variables (Input)", vars),
    ])
}
