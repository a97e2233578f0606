//! `asldbg lsp`: the Language Server Protocol for ASL definitions and the
//! templates that hold them — `validate`'s problems as diagnostics,
//! navigation between states, completion, hover with the values of the
//! last run of the nearest test suite, and fixes. A front end over the
//! language and the test runner; it knows nothing of the terminal.

pub mod actions;
pub mod analysis;
pub mod bench;
pub mod complete;
pub mod hover;
pub mod index;
pub mod nav;
pub mod text;
pub mod transport;

use analysis::Analysis;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long a burst of changes settles before the file is checked again.
const DEBOUNCE: Duration = Duration::from_millis(25);

struct Doc {
    version: i32,
    analysis: Analysis,
    /// Changed since it was last analysed: analysed at this time (or when
    /// a request needs it).
    due: Option<Instant>,
    /// The text, ahead of `analysis` while `due`.
    text: String,
    /// The last analysis whose text parsed, while the current one does
    /// not (completion reads its states).
    last_good: Option<Analysis>,
}

/// A suite's run for a file, kept while neither changes.
struct Run {
    key: (u64, Option<std::time::SystemTime>),
    state: RunState,
}

enum RunState {
    Done(Result<hover::LastRun, String>),
    /// Running on a thread of its own (a slow suite never holds the
    /// server): its result comes here.
    Going(std::sync::mpsc::Receiver<Result<hover::LastRun, String>>),
}

/// How long a hover waits for a run before it answers without values.
const RUN_WAIT: Duration = Duration::from_millis(250);
/// How long a run may take in all (it is stopped there).
const RUN_LIMIT: Duration = Duration::from_secs(20);

pub struct Server {
    docs: HashMap<Url, Doc>,
    runs: HashMap<Url, Run>,
    /// The workspace's folder: suites are looked for up to it.
    root: Option<PathBuf>,
    /// Files analysed for a request before their changes settled: their
    /// diagnostics are published after it.
    stale: Vec<Url>,
}

/// What the server can do (the `initialize` answer's capabilities).
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(
                ["\"", "$", ".", " ", "-"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// Serve `conn` until the client says `exit` (or goes): whether it asked
/// to shut down first (the exit code is 1 when it did not).
pub fn serve(conn: &Connection) -> Result<bool, String> {
    let mut server = Server {
        docs: HashMap::new(),
        runs: HashMap::new(),
        root: None,
        stale: Vec::new(),
    };
    let mut initialized = false;
    let mut shutdown = false;
    loop {
        let wait = server
            .docs
            .values()
            .filter_map(|d| d.due)
            .min()
            .map(|t| t.saturating_duration_since(Instant::now()));
        let msg = match wait {
            Some(w) => match conn.receiver.recv_timeout(w) {
                Ok(m) => Some(m),
                Err(e) if e.is_timeout() => None,
                Err(_) => return Ok(true),
            },
            None => match conn.receiver.recv() {
                Ok(m) => Some(m),
                Err(_) => return Ok(true),
            },
        };
        match msg {
            None => server.settle(conn, Instant::now()),
            Some(Message::Request(r)) => {
                let refuse = |code: ErrorCode, m: &str| {
                    Response::new_err(r.id.clone(), code as i32, m.into())
                };
                let resp = if r.method == req::Initialize::METHOD {
                    if initialized {
                        refuse(ErrorCode::InvalidRequest, "already initialized")
                    } else {
                        initialized = true;
                        server.root = root_of(&r.params);
                        Response::new_ok(
                            r.id.clone(),
                            InitializeResult {
                                capabilities: capabilities(),
                                server_info: Some(ServerInfo {
                                    name: "asldbg".into(),
                                    version: Some(env!("CARGO_PKG_VERSION").into()),
                                }),
                            },
                        )
                    }
                } else if !initialized {
                    refuse(ErrorCode::ServerNotInitialized, "initialize first")
                } else if shutdown {
                    refuse(ErrorCode::InvalidRequest, "the server is shutting down")
                } else if r.method == req::Shutdown::METHOD {
                    shutdown = true;
                    Response::new_ok(r.id.clone(), Value::Null)
                } else {
                    server.request(r)
                };
                send(conn, Message::Response(resp));
            }
            Some(Message::Notification(n)) if n.method == note::Exit::METHOD => {
                return Ok(shutdown)
            }
            Some(Message::Notification(n)) => {
                if initialized && !shutdown {
                    server.notification(conn, n);
                }
            }
            Some(Message::Response(_)) => {}
        }
        // Files a request had analysed before their time: their problems.
        for u in std::mem::take(&mut server.stale) {
            server.publish(conn, &u);
        }
    }
}

/// The workspace's folder an `initialize` request names.
fn root_of(params: &Value) -> Option<PathBuf> {
    let params: InitializeParams = serde_json::from_value(params.clone()).unwrap_or_default();
    #[allow(deprecated)]
    params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| f.uri.clone())
        .or(params.root_uri.clone())
        .and_then(|u| u.to_file_path().ok())
}

fn send(conn: &Connection, m: Message) {
    // A client gone: the loop ends at its next receive.
    let _ = conn.sender.send(m);
}

impl Server {
    /// Check every file whose changes have settled by `now`, and publish.
    fn settle(&mut self, conn: &Connection, now: Instant) {
        let due: Vec<Url> = self
            .docs
            .iter()
            .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
            .map(|(u, _)| u.clone())
            .collect();
        for u in due {
            self.analyse(&u);
        }
        for u in std::mem::take(&mut self.stale) {
            self.publish(conn, &u);
        }
    }

    fn analyse(&mut self, uri: &Url) {
        if let Some(d) = self.docs.get_mut(uri) {
            if d.due.take().is_some() {
                let new = Analysis::new(&path_of(uri), d.text.clone());
                let old = std::mem::replace(&mut d.analysis, new);
                if d.analysis.value.is_some() {
                    d.last_good = None;
                } else if old.value.is_some() {
                    d.last_good = Some(old);
                }
                self.stale.push(uri.clone());
            }
        }
    }

    fn publish(&self, conn: &Connection, uri: &Url) {
        let Some(d) = self.docs.get(uri) else { return };
        let params = PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics: d.analysis.diagnostics.clone(),
            version: Some(d.version),
        };
        send(
            conn,
            Message::Notification(Notification::new(
                note::PublishDiagnostics::METHOD.to_string(),
                params,
            )),
        );
    }

    fn notification(&mut self, conn: &Connection, n: Notification) {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else {
                    return;
                };
                let uri = p.text_document.uri;
                let path = path_of(&uri);
                let analysis = Analysis::new(&path, p.text_document.text.clone());
                self.docs.insert(
                    uri.clone(),
                    Doc {
                        version: p.text_document.version,
                        analysis,
                        due: None,
                        text: p.text_document.text,
                        last_good: None,
                    },
                );
                self.publish(conn, &uri);
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else {
                    return;
                };
                let Some(d) = self.docs.get_mut(&p.text_document.uri) else {
                    return;
                };
                for c in p.content_changes {
                    match c.range {
                        Some(r) => {
                            let lines = text::Lines::new(&d.text);
                            let s = lines.offset(&d.text, r.start);
                            let e = lines.offset(&d.text, r.end).max(s);
                            d.text.replace_range(s..e, &c.text);
                        }
                        None => d.text = c.text,
                    }
                }
                d.version = p.text_document.version;
                d.due = Some(Instant::now() + DEBOUNCE);
            }
            note::DidSaveTextDocument::METHOD => {
                // A suite or mock file saved: the runs are made again.
                self.runs.clear();
            }
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) else {
                    return;
                };
                let uri = p.text_document.uri;
                self.docs.remove(&uri);
                self.runs.remove(&uri);
                // Its problems go with it.
                send(
                    conn,
                    Message::Notification(Notification::new(
                        note::PublishDiagnostics::METHOD.to_string(),
                        PublishDiagnosticsParams {
                            uri,
                            diagnostics: Vec::new(),
                            version: None,
                        },
                    )),
                );
            }
            _ => {}
        }
    }

    /// The analysis of `uri` as it stands now.
    fn current(&mut self, uri: &Url) -> Option<&Analysis> {
        self.analyse(uri);
        self.docs.get(uri).map(|d| &d.analysis)
    }

    fn request(&mut self, r: Request) -> Response {
        let id = r.id.clone();
        match self.answer(r) {
            Ok(v) => Response::new_ok(id, v),
            Err((code, m)) => Response::new_err(id, code as i32, m),
        }
    }

    fn answer(&mut self, r: Request) -> Result<Value, (ErrorCode, String)> {
        fn params<P: serde::de::DeserializeOwned>(v: Value) -> Result<P, (ErrorCode, String)> {
            serde_json::from_value(v).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
        }
        let ok = |v: Value| Ok(v);
        match r.method.as_str() {
            req::HoverRequest::METHOD => {
                let p: HoverParams = params(r.params)?;
                let uri = p.text_document_position_params.text_document.uri;
                let pos = p.text_document_position_params.position;
                let text = self.hover(&uri, pos);
                ok(json(&text.map(|t| Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: t,
                    }),
                    range: None,
                })))
            }
            req::Completion::METHOD => {
                let p: CompletionParams = params(r.params)?;
                let uri = p.text_document_position.text_document.uri;
                let pos = p.text_document_position.position;
                self.analyse(&uri);
                let Some(d) = self.docs.get(&uri) else {
                    return ok(Value::Null);
                };
                let a = &d.analysis;
                let off = a.lines.offset(&a.text, pos);
                let items = complete::complete_in(a, off, d.last_good.as_ref());
                ok(json(&CompletionResponse::Array(items)))
            }
            req::GotoDefinition::METHOD => {
                let p: GotoDefinitionParams = params(r.params)?;
                let uri = p.text_document_position_params.text_document.uri;
                let pos = p.text_document_position_params.position;
                let Some(a) = self.current(&uri) else {
                    return ok(Value::Null);
                };
                let off = a.lines.offset(&a.text, pos);
                ok(json(&nav::definition(a, off).map(|range| {
                    GotoDefinitionResponse::Scalar(Location {
                        uri: uri.clone(),
                        range,
                    })
                })))
            }
            req::References::METHOD => {
                let p: ReferenceParams = params(r.params)?;
                let uri = p.text_document_position.text_document.uri;
                let pos = p.text_document_position.position;
                let Some(a) = self.current(&uri) else {
                    return ok(Value::Null);
                };
                let off = a.lines.offset(&a.text, pos);
                let locs: Vec<Location> = nav::references(a, off, p.context.include_declaration)
                    .into_iter()
                    .map(|range| Location {
                        uri: uri.clone(),
                        range,
                    })
                    .collect();
                ok(json(&locs))
            }
            req::PrepareRenameRequest::METHOD => {
                let p: TextDocumentPositionParams = params(r.params)?;
                let Some(a) = self.current(&p.text_document.uri) else {
                    return ok(Value::Null);
                };
                let off = a.lines.offset(&a.text, p.position);
                ok(json(&nav::prepare_rename(a, off).map(
                    |(range, placeholder)| PrepareRenameResponse::RangeWithPlaceholder {
                        range,
                        placeholder,
                    },
                )))
            }
            req::Rename::METHOD => {
                let p: RenameParams = params(r.params)?;
                let uri = p.text_document_position.text_document.uri;
                let pos = p.text_document_position.position;
                let Some(a) = self.current(&uri) else {
                    return ok(Value::Null);
                };
                let off = a.lines.offset(&a.text, pos);
                let edits =
                    nav::rename(a, off, &p.new_name).map_err(|m| (ErrorCode::RequestFailed, m))?;
                let mut changes = HashMap::new();
                changes.insert(uri, edits);
                ok(json(&WorkspaceEdit {
                    changes: Some(changes),
                    ..WorkspaceEdit::default()
                }))
            }
            req::DocumentSymbolRequest::METHOD => {
                let p: DocumentSymbolParams = params(r.params)?;
                let Some(a) = self.current(&p.text_document.uri) else {
                    return ok(Value::Null);
                };
                ok(json(&DocumentSymbolResponse::Nested(nav::symbols(a))))
            }
            req::FoldingRangeRequest::METHOD => {
                let p: FoldingRangeParams = params(r.params)?;
                let Some(a) = self.current(&p.text_document.uri) else {
                    return ok(Value::Null);
                };
                ok(json(&nav::folds(a)))
            }
            req::CodeActionRequest::METHOD => {
                let p: CodeActionParams = params(r.params)?;
                let uri = p.text_document.uri;
                let Some(a) = self.current(&uri) else {
                    return ok(Value::Null);
                };
                let span = (
                    a.lines.offset(&a.text, p.range.start),
                    a.lines.offset(&a.text, p.range.end),
                );
                let actions: Vec<CodeActionOrCommand> = actions::fixes(a, span)
                    .into_iter()
                    .map(|f| {
                        let mut changes = HashMap::new();
                        changes.insert(uri.clone(), f.edits);
                        CodeActionOrCommand::CodeAction(CodeAction {
                            title: f.title,
                            kind: Some(CodeActionKind::QUICKFIX),
                            diagnostics: Some(
                                p.context
                                    .diagnostics
                                    .iter()
                                    .filter(|d| d.message.contains(f.about))
                                    .cloned()
                                    .collect(),
                            ),
                            edit: Some(WorkspaceEdit {
                                changes: Some(changes),
                                ..WorkspaceEdit::default()
                            }),
                            is_preferred: Some(f.preferred),
                            ..CodeAction::default()
                        })
                    })
                    .collect();
                ok(json(&actions))
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("asldbg lsp does not answer {}", r.method),
            )),
        }
    }

    fn hover(&mut self, uri: &Url, pos: Position) -> Option<String> {
        self.analyse(uri);
        let path = uri.to_file_path().ok();
        // The run, made again when the text or the suite changed (once the
        // one going has finished).
        if let Some(path) = &path {
            let d = self.docs.get(uri)?;
            let levels = self
                .root
                .as_ref()
                .and_then(|r| path.strip_prefix(r).ok())
                .map_or(2, |rel| rel.components().count().saturating_sub(1));
            match hover::find_suite(path, levels) {
                Some(suite) => {
                    let modified = std::fs::metadata(&suite).and_then(|m| m.modified()).ok();
                    let key = (hash(&d.analysis.text), modified);
                    let going = matches!(
                        self.runs.get(uri),
                        Some(Run {
                            state: RunState::Going(_),
                            ..
                        })
                    );
                    if !going && self.runs.get(uri).is_none_or(|r| r.key != key) {
                        let (tx, rx) = std::sync::mpsc::channel();
                        let (p, t) = (d.analysis.path.clone(), d.analysis.text.clone());
                        let spawned = std::thread::Builder::new()
                            .name("asldbg-lsp-run".into())
                            .stack_size(64 << 20)
                            .spawn(move || {
                                let deadline = Instant::now() + RUN_LIMIT;
                                let _ = tx.send(hover::run_text(&suite, &p, &t, Some(deadline)));
                            });
                        let state = match spawned {
                            Ok(_) => RunState::Going(rx),
                            Err(e) => RunState::Done(Err(e.to_string())),
                        };
                        self.runs.insert(uri.clone(), Run { key, state });
                    }
                    if let Some(r) = self.runs.get_mut(uri) {
                        if let RunState::Going(rx) = &r.state {
                            let waited = match rx.recv_timeout(RUN_WAIT) {
                                Ok(result) => Some(result),
                                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                                Err(_) => Some(Err("the run ended without a result".into())),
                            };
                            if let Some(result) = waited {
                                r.state = RunState::Done(result);
                            }
                        }
                    }
                }
                None => {
                    self.runs.remove(uri);
                }
            }
        }
        let d = self.docs.get(uri)?;
        let a = &d.analysis;
        let off = a.lines.offset(&a.text, pos);
        let run = self.runs.get(uri);
        let last = match run.map(|r| &r.state) {
            Some(RunState::Done(Ok(r))) => Some(r),
            _ => None,
        };
        let mut text = hover::hover(a, off, last)?;
        if last.is_some() && run.is_some_and(|r| r.key.0 != hash(&a.text)) {
            text.push_str(
                "\n\n*These values are from the text before your last change; hover again for \
                 a run of this one.*",
            );
        }
        match run.map(|r| &r.state) {
            Some(RunState::Done(Err(e))) => {
                text.push_str(&format!("\n\n*The test suite did not run:* {e}"))
            }
            Some(RunState::Going(_)) => text
                .push_str("\n\n*The test suite's run is still going: hover again for its values.*"),
            _ => {}
        }
        Some(text)
    }
}

fn hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// The file a URI names (its text, for a URI that is no file).
fn path_of(uri: &Url) -> String {
    uri.to_file_path()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| uri.path().to_string())
}

/// An answer as JSON.
fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// An id for tests that build requests.
#[cfg(test)]
fn request_id(n: i32) -> RequestId {
    RequestId::from(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(conn: &Connection, id: i32, method: &str, params: Value) -> Value {
        conn.sender
            .send(Message::Request(Request::new(
                request_id(id),
                method.into(),
                params,
            )))
            .unwrap();
        loop {
            match conn.receiver.recv_timeout(Duration::from_secs(10)).unwrap() {
                Message::Response(r) if r.id == request_id(id) => {
                    return r.result.unwrap_or_else(|| {
                        serde_json::to_value(r.error.map(|e| e.message)).unwrap()
                    })
                }
                _ => {}
            }
        }
    }

    fn notify(conn: &Connection, method: &str, params: Value) {
        conn.sender
            .send(Message::Notification(Notification::new(
                method.into(),
                params,
            )))
            .unwrap();
    }

    /// The diagnostics published next for the file.
    fn diagnostics(conn: &Connection) -> Vec<Value> {
        loop {
            if let Message::Notification(n) =
                conn.receiver.recv_timeout(Duration::from_secs(10)).unwrap()
            {
                if n.method == "textDocument/publishDiagnostics" {
                    return n.params["diagnostics"].as_array().unwrap().clone();
                }
            }
        }
    }

    #[test]
    fn a_session_over_memory() {
        let (server, client) = Connection::memory();
        let t = std::thread::spawn(move || serve(&server));
        let init = exchange(
            &client,
            1,
            "initialize",
            serde_json::json!({"capabilities": {}}),
        );
        assert_eq!(
            init["capabilities"]["renameProvider"]["prepareProvider"],
            true
        );
        notify(&client, "initialized", serde_json::json!({}));
        let uri = "file:///nowhere/m.asl.json";
        let text = "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"End\": true}}}";
        notify(
            &client,
            "textDocument/didOpen",
            serde_json::json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
        );
        assert!(diagnostics(&client).is_empty());
        // An edit that breaks it: problems after the change settles.
        notify(
            &client,
            "textDocument/didChange",
            serde_json::json!({"textDocument": {"uri": uri, "version": 2},
              "contentChanges": [{"range": {"start": {"line": 0, "character": 13}, "end": {"line": 0, "character": 14}}, "text": "B"}]}),
        );
        let d = diagnostics(&client);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0]["message"].as_str().unwrap().contains("StartAt 'B'"),
            "{d:?}"
        );
        let syms = exchange(
            &client,
            2,
            "textDocument/documentSymbol",
            serde_json::json!({"textDocument": {"uri": uri}}),
        );
        assert_eq!(syms[0]["name"], "A");
        let unknown = exchange(&client, 3, "textDocument/nope", serde_json::json!({}));
        assert!(unknown.as_str().unwrap().contains("does not answer"));
        // A request right after a change: its problems are still published.
        notify(
            &client,
            "textDocument/didChange",
            serde_json::json!({"textDocument": {"uri": uri, "version": 3},
              "contentChanges": [{"range": {"start": {"line": 0, "character": 13}, "end": {"line": 0, "character": 14}}, "text": "A"}]}),
        );
        exchange(
            &client,
            5,
            "textDocument/documentSymbol",
            serde_json::json!({"textDocument": {"uri": uri}}),
        );
        assert!(diagnostics(&client).is_empty());
        let again = exchange(
            &client,
            6,
            "initialize",
            serde_json::json!({"capabilities": {}}),
        );
        assert_eq!(again, "already initialized");
        exchange(&client, 4, "shutdown", Value::Null);
        let late = exchange(
            &client,
            7,
            "textDocument/documentSymbol",
            serde_json::json!({"textDocument": {"uri": uri}}),
        );
        assert_eq!(late, "the server is shutting down");
        notify(&client, "exit", Value::Null);
        assert!(t.join().unwrap().unwrap(), "shut down, then exit");
    }
}
