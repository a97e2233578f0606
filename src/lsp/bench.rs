//! `asldbg bench --lsp`: the server over in-memory channels on a generated
//! definition of many states — an edit to its diagnostics, and the
//! requests an editor sends while one types.

use super::*;
use std::time::{Duration, Instant};

/// A definition of `n` states as people write them: Tasks with
/// parameters, retries and catchers, a Choice every tenth state, pretty
/// printed (a state spans several lines).
pub fn definition(n: usize) -> String {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let next = if i + 1 < n {
            serde_json::json!(format!("Step {}", i + 1))
        } else {
            Value::Null
        };
        let mut st = if i % 10 == 5 {
            serde_json::json!({
                "Type": "Choice",
                "Choices": [{"Variable": "$.count", "NumericGreaterThan": i, "Next": next}],
                "Default": next,
            })
        } else {
            serde_json::json!({
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "work", "Payload.$": "$", "step": i},
                "ResultSelector": {"value.$": "$.Payload"},
                "ResultPath": format!("$.results.s{i}"),
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "Next": next,
            })
        };
        if i + 1 == n {
            if let Some(o) = st.as_object_mut() {
                o.remove("Next");
                o.insert("End".into(), Value::Bool(true));
            }
        }
        states.insert(format!("Step {i}"), st);
    }
    states.insert(
        "Failed".into(),
        serde_json::json!({"Type": "Fail", "Error": "Failed"}),
    );
    let def = serde_json::json!({"StartAt": "Step 0", "States": states});
    serde_json::to_string_pretty(&def).unwrap_or_default()
}

/// Time `rounds` edits and requests on a definition of `states` states:
/// each row is what was timed and every sample.
pub fn run(states: usize, rounds: usize) -> Result<Vec<(&'static str, Vec<Duration>)>, String> {
    let (server, client) = Connection::memory();
    let t = std::thread::spawn(move || serve(&server));
    let mut id = 0;
    let mut ask = |method: &str, params: Value| -> Result<Duration, String> {
        id += 1;
        let started = Instant::now();
        client
            .sender
            .send(Message::Request(Request::new(
                RequestId::from(id),
                method.into(),
                params,
            )))
            .map_err(|e| e.to_string())?;
        loop {
            match client.receiver.recv_timeout(Duration::from_secs(30)) {
                Ok(Message::Response(r)) if r.id == RequestId::from(id) => {
                    if let Some(e) = r.error {
                        return Err(format!("{method}: {}", e.message));
                    }
                    return Ok(started.elapsed());
                }
                Ok(_) => {}
                Err(e) => return Err(format!("{method}: {e}")),
            }
        }
    };
    ask("initialize", serde_json::json!({"capabilities": {}}))?;
    let send = |method: &str, params: Value| {
        client
            .sender
            .send(Message::Notification(Notification::new(
                method.into(),
                params,
            )))
            .map_err(|e| e.to_string())
    };
    send("initialized", serde_json::json!({}))?;
    let text = definition(states);
    let uri = "file:///bench/many.asl.json";
    let published = || -> Result<(), String> {
        loop {
            match client.receiver.recv_timeout(Duration::from_secs(30)) {
                Ok(Message::Notification(n)) if n.method == "textDocument/publishDiagnostics" => {
                    return Ok(())
                }
                Ok(_) => {}
                Err(e) => return Err(format!("no diagnostics: {e}")),
            }
        }
    };
    send(
        "textDocument/didOpen",
        serde_json::json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
    )?;
    published()?;
    // Where things are: a Next value, a path, a key position.
    let lines: Vec<&str> = text.lines().collect();
    let find = |needle: &str, from: usize| -> (usize, usize) {
        lines
            .iter()
            .enumerate()
            .skip(from)
            .find_map(|(i, l)| l.find(needle).map(|c| (i, c + needle.len())))
            .unwrap_or((0, 0))
    };
    let middle = lines.len() / 2;
    let (nl, nc) = find("\"Next\": \"", middle);
    let (pl, pc) = find("\"Payload.$\": \"", middle);
    let pos = |l: usize, c: usize| serde_json::json!({"textDocument": {"uri": uri}, "position": {"line": l, "character": c}});
    let (mut change, mut hover, mut complete, mut goto, mut refs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in 0..rounds {
        // One character typed in a Comment-free spot: a step's number.
        let started = Instant::now();
        let digit = (r % 10).to_string();
        send(
            "textDocument/didChange",
            serde_json::json!({"textDocument": {"uri": uri, "version": r + 2},
              "contentChanges": [{"range": {"start": {"line": pl, "character": pc + 1},
                "end": {"line": pl, "character": pc + 1}}, "text": digit}]}),
        )?;
        published()?;
        change.push(started.elapsed());
        hover.push(ask("textDocument/hover", pos(pl, pc))?);
        complete.push(ask("textDocument/completion", pos(nl, nc + 2))?);
        goto.push(ask("textDocument/definition", pos(nl, nc + 2))?);
        let mut p = pos(nl, nc + 2);
        p["context"] = serde_json::json!({"includeDeclaration": true});
        refs.push(ask("textDocument/references", p)?);
    }
    ask("shutdown", Value::Null)?;
    send("exit", Value::Null)?;
    t.join().map_err(|_| "the server panicked".to_string())??;
    Ok(vec![
        ("edit → diagnostics", change),
        ("hover", hover),
        ("completion", complete),
        ("definition", goto),
        ("references", refs),
    ])
}
