//! Test suites: a definition, its mocks, and cases that state what a run
//! must give (status, output, error, the states it enters, variables).
//! A suite is a `*.test.yaml` or `*.test.json` file; the paths in it are
//! relative to it. Cases run in parallel, each on its own engine.
//!
//! ```yaml
//! definition: credit-card.asl.json
//! mocks: mocks.json
//! cases:
//!   - name: auto approved
//!     input-file: input.json
//!     test-case: AutoApproved
//!     expect:
//!       status: SUCCEEDED
//!       path: [Get credit limit, Credit applied >= 5000?, Auto-approve limit]
//! ```

use super::coverage::Coverage;
use crate::asl::value::{Map, Val};
use crate::asl::{self, Definition, Document, LoadError};
use crate::engine::task::{Chain, LocalS3, MockRunner, NoRunner, TaskRunner};
use crate::engine::{Execution, Options, StageRecord};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a case expects of its run; each part left out is not checked.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub status: Option<String>,
    /// The exact output.
    pub output: Option<Value>,
    /// `output: snapshot`: the output is to be recorded (`--update`).
    pub snapshot: bool,
    /// A part of the output (objects: these members; arrays: these
    /// elements, in order).
    pub output_contains: Option<Value>,
    /// `Some(None)`: `error: null`, there must be none.
    pub error: Option<Option<String>>,
    pub cause: Option<Option<String>>,
    /// The states entered, in order (those of Parallel branches and Map
    /// iterations too, as the history has them).
    pub path: Option<Vec<String>>,
    /// Variables the main flow holds at the end (a part of them).
    pub variables: Option<Value>,
    /// What each Task state was called with, by state name.
    pub calls: Vec<(String, Calls)>,
    /// What each state gave, by state name.
    pub states: Vec<(String, StateExpect)>,
}

/// What one Task state's calls must be: each listed call in order (the
/// first ones), and how many there were.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    pub each: Vec<CallExpect>,
    pub count: Option<usize>,
}

/// One call: its parameters exactly, or a part of them.
#[derive(Debug, Clone)]
pub enum CallExpect {
    Exactly(Value),
    Contains(Value),
    /// Anything (`{}`: the call happened).
    Any,
}

/// What one state must have given: its last output (exact or a part) and
/// how many times it was entered.
#[derive(Debug, Clone, Default)]
pub struct StateExpect {
    pub output: Option<Value>,
    pub output_contains: Option<Value>,
    pub visits: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// Where the case stands in its suite file (a JSON pointer).
    pub pointer: String,
    pub input: Val,
    pub test_case: Option<String>,
    /// Inline answers: state name → a MockConfigFile response.
    pub answers: Option<Value>,
    pub s3_dir: Option<PathBuf>,
    /// A local command answering what the mocks do not (`task-command`).
    pub task_command: Option<String>,
    pub expect: Expect,
}

/// A suite, read and checked, its definition loaded once.
pub struct Suite {
    pub file: String,
    pub definition_file: String,
    pub definition: Arc<Definition>,
    pub machine_name: Option<String>,
    pub express: bool,
    mocks: Option<(String, Value)>,
    s3_dir: Option<PathBuf>,
    task_command: Option<String>,
    pub cases: Vec<Case>,
    /// Where each case that asks for a snapshot has its `output` key.
    snapshot_at: Vec<(usize, (usize, usize))>,
    text: String,
    /// What `asldbg mocks check` finds in the suite's mock file.
    pub warnings: Vec<LoadError>,
}

const SUITE_FIELDS: &[&str] = &[
    "definition",
    "machine",
    "name",
    "mocks",
    "s3-dir",
    "task-command",
    "type",
    "sub",
    "subs",
    "cases",
];
const CASE_FIELDS: &[&str] = &[
    "name",
    "input",
    "input-file",
    "test-case",
    "answers",
    "s3-dir",
    "task-command",
    "expect",
];
const EXPECT_FIELDS: &[&str] = &[
    "status",
    "output",
    "output-contains",
    "error",
    "cause",
    "path",
    "variables",
    "calls",
    "states",
];
const CALL_FIELDS: &[&str] = &["parameters", "parameters-contains"];
const STATE_FIELDS: &[&str] = &["output", "output-contains", "visits"];
const STATUSES: &[&str] = &["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

/// Whether `path` names a suite file.
pub fn is_suite(path: &Path) -> bool {
    let n = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    n.ends_with(".test.yaml") || n.ends_with(".test.yml") || n.ends_with(".test.json")
}

/// The suite files that `paths` name: files as given, folders searched
/// recursively (sorted, so that reports read the same each time). A path
/// that does not exist is an error.
pub fn find(paths: &[String]) -> Result<Vec<String>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), String> {
        if depth > 32 {
            return Ok(());
        }
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for e in entries.flatten() {
            let p = e.path();
            // Symbolic links are not followed: a loop cannot hold the search.
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                let hidden = p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.') || n == "target");
                if !hidden {
                    walk(&p, out, depth + 1)?;
                }
            } else if t.is_file() && is_suite(&p) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found, 0)?;
            found.sort();
            out.extend(found.into_iter().map(|p| p.to_string_lossy().into_owned()));
        } else if path.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{p}: no such file or folder"));
        }
    }
    Ok(out)
}

/// A problem in a suite, at its position.
/// A problem at `pointer` of `doc`, with its line:column.
pub(crate) fn problem(
    file: &str,
    doc: &Document,
    pointer: &str,
    message: impl Into<String>,
) -> LoadError {
    let (line, column) = doc.position(pointer).unwrap_or((1, 1));
    LoadError {
        file: file.into(),
        pointer: pointer.into(),
        line,
        column,
        message: message.into(),
        expr: None,
    }
}

/// A path written in a suite: relative to the suite's folder.
fn beside(suite: &str, p: &str) -> PathBuf {
    let base = Path::new(suite).parent().unwrap_or(Path::new(""));
    base.join(p)
}

impl Suite {
    /// Read `file`, its definition and its mocks; every problem, positioned.
    pub fn load(file: &str) -> Result<Suite, Vec<LoadError>> {
        let doc = asl::read_document(file).map_err(|e| vec![e])?;
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let mut errs = Vec::new();
        let v = doc.value.clone();
        let Some(top) = v.as_object() else {
            return Err(vec![problem(
                file,
                &doc,
                "",
                "a suite is an object with 'definition' and 'cases'",
            )]);
        };
        unknown_fields(file, &doc, "", top, SUITE_FIELDS, "field", &mut errs);
        let string =
            |k: &str, errs: &mut Vec<LoadError>| string_member(file, &doc, "", top, k, errs);
        let definition = string("definition", &mut errs);
        let machine = string("machine", &mut errs);
        let run_name = string("name", &mut errs);
        let task_command = string("task-command", &mut errs);
        let mocks_file = string("mocks", &mut errs);
        let s3_dir = string("s3-dir", &mut errs).map(|d| beside(file, &d));
        let subs = substitutions(file, &doc, top, &mut errs);
        let ty = string("type", &mut errs).map(|t| t.to_ascii_uppercase());
        let express = match ty.as_deref() {
            None | Some("STANDARD") => false,
            Some("EXPRESS") => true,
            Some(t) => {
                errs.push(problem(
                    file,
                    &doc,
                    "/type",
                    format!("type '{t}' is not STANDARD or EXPRESS"),
                ));
                false
            }
        };
        if definition.is_none() && !top.contains_key("definition") {
            errs.push(problem(
                file,
                &doc,
                "",
                "a suite needs 'definition' (the definition or template it tests)",
            ));
        }
        let mocks = match &mocks_file {
            Some(m) => {
                let p = beside(file, m).to_string_lossy().into_owned();
                match asl::read_document(&p) {
                    Ok(d) if !d.value.get("StateMachines").is_some_and(Value::is_object) => {
                        // Whatever a case names or not: a file that is not
                        // a mock file is a mistake in the suite.
                        errs.push(problem(
                            file,
                            &doc,
                            "/mocks",
                            format!(
                                "'{m}' is not a mock file (a MockConfigFile has a \
                                 \"StateMachines\" object)"
                            ),
                        ));
                        None
                    }
                    Ok(d) => Some((p, d)),
                    Err(e) => {
                        errs.push(e);
                        None
                    }
                }
            }
            None => None,
        };
        let cases = match top.get("cases") {
            Some(Value::Array(a)) if !a.is_empty() => {
                let mut out: Vec<Case> = Vec::new();
                // Names seen, by hash: a list scanned per case made 100,000
                // cases quadratic.
                let mut names: std::collections::HashSet<&str> = Default::default();
                for (i, c) in a.iter().enumerate() {
                    let at = format!("/cases/{i}");
                    if let Some(n) = c.get("name").and_then(|n| n.as_str()) {
                        if !names.insert(n) {
                            errs.push(problem(
                                file,
                                &doc,
                                &format!("{at}/name"),
                                format!("two cases are named '{n}'"),
                            ));
                        }
                    }
                    match read_case(file, &doc, &at, c, s3_dir.as_deref()) {
                        Ok(case) => out.push(case),
                        Err(mut e) => errs.append(&mut e),
                    }
                }
                out
            }
            _ => {
                errs.push(problem(
                    file,
                    &doc,
                    "/cases",
                    "'cases' must be a list of at least one case",
                ));
                Vec::new()
            }
        };
        let mocks = mocks;
        let mut warnings = Vec::new();
        let (definition, definition_file, machine_name, express) = match definition {
            Some(d) => {
                let p = beside(file, &d).to_string_lossy().into_owned();
                let opts = asl::OpenOptions {
                    express,
                    machine: machine.clone(),
                    subs: subs.clone(),
                    ..Default::default()
                };
                match asl::load(&p, &opts) {
                    asl::Loaded::Ok(o) => {
                        let name = run_name.clone().or(o.run_name().map(str::to_string));
                        // What a case expects of a state the machine does
                        // not have would pass without checking anything.
                        let mockable = super::mocks::mockable_states(&o.definition);
                        let mut all: Vec<String> = o
                            .definition
                            .machines
                            .iter()
                            .flat_map(|m| &m.states)
                            .map(|st| st.name.to_string())
                            .collect();
                        all.sort();
                        all.dedup();
                        for c in &cases {
                            let named = |kind: &str, names: &[String], state: &str| {
                                let hint = super::mocks::did_you_mean(state, names)
                                    .map(|n| format!(" (did you mean '{n}'?)"))
                                    .unwrap_or_default();
                                format!("'{state}' is not {kind} of the machine{hint}")
                            };
                            for (state, _) in &c.expect.calls {
                                if !mockable.contains(state) {
                                    errs.push(problem(
                                        file,
                                        &doc,
                                        &format!(
                                            "{}/expect/calls/{}",
                                            c.pointer,
                                            crate::asl::json::pointer_token(state)
                                        ),
                                        named("a Task state", &mockable, state),
                                    ));
                                }
                            }
                            for (state, _) in &c.expect.states {
                                if !all.contains(state) {
                                    errs.push(problem(
                                        file,
                                        &doc,
                                        &format!(
                                            "{}/expect/states/{}",
                                            c.pointer,
                                            crate::asl::json::pointer_token(state)
                                        ),
                                        named("a state", &all, state),
                                    ));
                                }
                            }
                        }
                        if let Some((mf, md)) = &mocks {
                            let names = match &run_name {
                                Some(n) => vec![n.clone()],
                                None => o.mock_names(),
                            };
                            for f in super::mocks::check(&md.value, &o.definition, &names) {
                                let (line, column) = md.position(&f.pointer).unwrap_or((1, 1));
                                warnings.push(LoadError {
                                    file: mf.clone(),
                                    pointer: f.pointer,
                                    line,
                                    column,
                                    message: f.message,
                                    expr: None,
                                });
                            }
                        }
                        let express = o.express;
                        (Some(Arc::new(o.definition)), p, name, express)
                    }
                    asl::Loaded::Unreadable(e) => {
                        errs.push(e);
                        (None, p, None, express)
                    }
                    asl::Loaded::Invalid(mut e) => {
                        errs.append(&mut e);
                        (None, p, None, express)
                    }
                }
            }
            None => (None, String::new(), None, express),
        };
        let mocks: Option<(String, Value)> = mocks.map(|(p, d)| (p, d.value));
        // Each case's test case must be in the mock file; its answers
        // well formed.
        if let Some(def) = &definition {
            let s = Suite {
                file: file.into(),
                definition_file: definition_file.clone(),
                definition: def.clone(),
                machine_name: machine_name.clone(),
                express,
                mocks: mocks.clone(),
                s3_dir: s3_dir.clone(),
                task_command: task_command.clone(),
                cases: Vec::new(),
                snapshot_at: Vec::new(),
                text: String::new(),
                warnings: Vec::new(),
            };
            for c in &cases {
                if let Err(e) = s.runner(c) {
                    errs.push(problem(file, &doc, &c.pointer, e));
                }
            }
        }
        if !errs.is_empty() {
            errs.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
            return Err(errs);
        }
        let snapshot_at = cases
            .iter()
            .enumerate()
            .filter(|(_, c)| c.expect.snapshot)
            .filter_map(|(i, c)| Some((i, doc.position(&format!("{}/expect/output", c.pointer))?)))
            .collect();
        Ok(Suite {
            file: file.into(),
            definition_file,
            definition: definition.expect("no problem: the definition loaded"),
            machine_name,
            express,
            mocks,
            s3_dir,
            task_command,
            cases,
            snapshot_at,
            text,
            warnings,
        })
    }

    /// A suite of one case on `definition` (a lesson's exercise: what the
    /// student made of a starter), its tasks answered by `mocks`.
    pub fn for_lesson(
        file: &str,
        definition: Arc<Definition>,
        mocks: Option<(String, Value)>,
        case: Case,
    ) -> Suite {
        Suite {
            file: file.into(),
            definition_file: String::new(),
            definition,
            machine_name: None,
            express: false,
            mocks,
            s3_dir: None,
            task_command: None,
            cases: vec![case],
            snapshot_at: Vec::new(),
            text: String::new(),
            warnings: Vec::new(),
        }
    }

    /// The task runner of case `c`: its inline answers, then its test case
    /// of the mock file; a local S3 folder under both.
    /// Leave tasks that a local command would answer unanswered (a
    /// language server runs no commands); whether any was to.
    pub fn without_commands(&mut self) -> bool {
        let mut had = self.task_command.take().is_some();
        for c in &mut self.cases {
            had |= c.task_command.take().is_some();
        }
        had
    }

    fn runner(&self, c: &Case) -> Result<Box<dyn TaskRunner>, String> {
        let mut runner: Box<dyn TaskRunner> = Box::new(NoRunner);
        if let Some((file, v)) = &self.mocks {
            let name = self.machine_name.as_deref().filter(|m| {
                v.pointer(&format!(
                    "/StateMachines/{}",
                    crate::asl::json::pointer_token(m)
                ))
                .is_some()
            });
            if let Some(tc) = &c.test_case {
                let r = MockRunner::from_value(v, file, name, tc)
                    .map_err(|e| format!("test-case: {} ({}{})", e.message, file, e.pointer))?;
                runner = Box::new(r);
            }
        } else if let Some(tc) = &c.test_case {
            return Err(format!("test-case '{tc}' needs the suite's 'mocks' file"));
        }
        if let Some(a) = &c.answers {
            let inline = answers_runner(a)?;
            runner = Box::new(Chain {
                first: Box::new(inline),
                then: runner,
            });
        }
        if let Some(command) = c.task_command.clone().or_else(|| self.task_command.clone()) {
            // Run in the suite's folder: paths in a suite are relative to it.
            let dir = Path::new(&self.file)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let quoted = dir.to_string_lossy().replace('\'', "'\\''");
            runner = Box::new(Chain {
                first: runner,
                then: Box::new(crate::engine::task::CommandRunner {
                    command: format!("cd '{quoted}' && {command}"),
                    limit: None,
                }),
            });
        }
        if let Some(dir) = c.s3_dir.clone().or_else(|| self.s3_dir.clone()) {
            runner = Box::new(LocalS3 {
                root: dir,
                inner: runner,
            });
        }
        Ok(runner)
    }

    /// Record the observed output in the cases that ask for a snapshot;
    /// the file keeps its text otherwise. Returns the cases written (a run
    /// that gave no output has none to record).
    pub fn update(&self, results: &[CaseResult]) -> Result<Vec<String>, String> {
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        let mut written = Vec::new();
        let lines: Vec<&str> = self.text.split_inclusive('\n').collect();
        // This suite's results by case name, once (not a scan per case).
        let mine: std::collections::HashMap<&str, &CaseResult> = results
            .iter()
            .filter(|r| r.suite == self.file)
            .map(|r| (r.case.as_str(), r))
            .collect();
        // Where each line starts, once.
        let mut starts = Vec::with_capacity(lines.len());
        let mut at = 0;
        for l in &lines {
            starts.push(at);
            at += l.len();
        }
        for &(i, (line, col)) in &self.snapshot_at {
            let c = &self.cases[i];
            let Some(r) = mine.get(c.name.as_str()) else {
                continue;
            };
            let Some(out) = &r.outcome.output else {
                continue;
            };
            if lines.get(line - 1).is_none() {
                continue;
            }
            let start = starts[line - 1];
            let from = lines[line - 1]
                .char_indices()
                .nth(col.saturating_sub(1))
                .map(|(i, _)| i)
                .unwrap_or(0);
            // The position is the value's, or its mapping's when the
            // mapping is written in flow style: the value is the first
            // `snapshot` written as the `output` key's (never another key's
            // value that happens to say snapshot).
            let Some((a, b)) = snapshot_value(&self.text[start + from..]) else {
                return Err(format!(
                    "{}:{line}:{col}: 'output: snapshot' not found where the suite says it is",
                    self.file
                ));
            };
            let (a, b) = (from + a, from + b);
            edits.push((
                start + a,
                start + b,
                serde_json::to_string(out).unwrap_or_default(),
            ));
            written.push(c.name.clone());
        }
        if edits.is_empty() {
            return Ok(written);
        }
        // The new text in one pass (replacing in place moved the rest of the
        // file at each edit).
        edits.sort_by_key(|e| e.0);
        let mut text = String::with_capacity(self.text.len());
        let mut from = 0;
        for (a, b, with) in &edits {
            text.push_str(&self.text[from..*a]);
            text.push_str(with);
            from = *b;
        }
        text.push_str(&self.text[from..]);
        std::fs::write(&self.file, text).map_err(|e| format!("{}: {e}", self.file))?;
        Ok(written)
    }
}

/// Where, in `text`, the first `output: snapshot` member's value is (with
/// its quotes when it has them): the key `output` (quoted or not, a whole
/// word), a colon, then the scalar `snapshot`.
fn snapshot_value(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    let mut at = 0;
    while let Some(k) = text[at..].find("output") {
        let key = at + k;
        at = key + "output".len();
        let mut i = at;
        if key > 0 && word(bytes[key - 1]) || i < bytes.len() && word(bytes[i]) {
            continue;
        }
        // A quoted key ends with its quote.
        if i < bytes.len() && matches!(bytes[i], b'"' | b'\'') {
            i += 1;
        }
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        if bytes.get(i) != Some(&b':') {
            continue;
        }
        i += 1;
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        let quote = bytes.get(i).copied().filter(|q| matches!(q, b'"' | b'\''));
        let v = i + usize::from(quote.is_some());
        if !text[v..].starts_with("snapshot") {
            continue;
        }
        let end = v + "snapshot".len();
        return match quote {
            Some(q) if bytes.get(end) == Some(&q) => Some((i, end + 1)),
            Some(_) => None,
            None if bytes.get(end).is_some_and(|&c| word(c)) => None,
            None => Some((i, end)),
        };
    }
    None
}

/// Inline answers as a mock runner: each state's value is a MockConfigFile
/// response: `{"Return": …}` / `{"Throw": …}` for every call, or
/// `{"0": …, "1-2": …}` by call.
fn answers_runner(a: &Value) -> Result<MockRunner, String> {
    let Some(states) = a.as_object() else {
        return Err("answers: an object of state name → response".into());
    };
    let mut case = serde_json::Map::new();
    let mut responses = serde_json::Map::new();
    for (i, (state, resp)) in states.iter().enumerate() {
        let name = format!("answer{i}");
        let by_call = if resp.get("Return").is_some() || resp.get("Throw").is_some() {
            json!({"0-1000000000": resp})
        } else {
            resp.clone()
        };
        case.insert(state.clone(), json!(name));
        responses.insert(name, by_call);
    }
    let config = json!({
        "StateMachines": {"Suite": {"TestCases": {"Inline": case}}},
        "MockedResponses": responses,
    });
    MockRunner::from_value(&config, "answers", Some("Suite"), "Inline").map_err(|e| {
        let at = e.pointer.replace("/MockedResponses/answer", "/answers/#");
        format!("answers: {} ({at})", e.message)
    })
}

/// Each member of `o` (at `at`) that is not one of `allowed`, a problem.
fn unknown_fields(
    file: &str,
    doc: &Document,
    at: &str,
    o: &serde_json::Map<String, Value>,
    allowed: &[&str],
    what: &str,
    errs: &mut Vec<LoadError>,
) {
    for k in o.keys().filter(|k| !allowed.contains(&k.as_str())) {
        errs.push(problem(
            file,
            doc,
            &format!("{at}/{k}"),
            format!("unknown {what} '{k}' (one of {})", allowed.join(", ")),
        ));
    }
}

/// Member `k` of `o` as a string; a problem when it is something else.
fn string_member(
    file: &str,
    doc: &Document,
    at: &str,
    o: &serde_json::Map<String, Value>,
    k: &str,
    errs: &mut Vec<LoadError>,
) -> Option<String> {
    match o.get(k) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/{k}"),
                format!("'{k}' must be a string"),
            ));
            None
        }
    }
}

/// A case read from `c` (at pointer `at` of `doc`) as a suite's would be;
/// its paths are beside `file`.
pub(crate) fn read_case_at(
    file: &str,
    doc: &Document,
    at: &str,
    c: &Value,
) -> Result<Case, Vec<LoadError>> {
    read_case(file, doc, at, c, None)
}

fn read_case(
    file: &str,
    doc: &Document,
    at: &str,
    c: &Value,
    default_s3: Option<&Path>,
) -> Result<Case, Vec<LoadError>> {
    let mut errs = Vec::new();
    let Some(o) = c.as_object() else {
        return Err(vec![problem(
            file,
            doc,
            at,
            "a case is an object with 'name' and 'expect'",
        )]);
    };
    unknown_fields(file, doc, at, o, CASE_FIELDS, "field", &mut errs);
    let string = |k: &str, errs: &mut Vec<LoadError>| string_member(file, doc, at, o, k, errs);
    let name = string("name", &mut errs).unwrap_or_else(|| {
        if !o.contains_key("name") {
            errs.push(problem(file, doc, at, "a case needs a 'name'"));
        }
        String::new()
    });
    let input = match (o.get("input"), string("input-file", &mut errs)) {
        (Some(_), Some(_)) => {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/input-file"),
                "give 'input' or 'input-file', not both",
            ));
            Val::Null
        }
        (Some(v), None) => Val::from(v),
        (None, Some(f)) => {
            let p = beside(file, &f).to_string_lossy().into_owned();
            match asl::read_document(&p) {
                Ok(d) => Val::from(&d.value),
                Err(e) => {
                    errs.push(e);
                    Val::Null
                }
            }
        }
        (None, None) => Val::empty_obj(),
    };
    let test_case = string("test-case", &mut errs);
    let task_command = string("task-command", &mut errs);
    let s3_dir = string("s3-dir", &mut errs)
        .map(|d| beside(file, &d))
        .or_else(|| default_s3.map(Path::to_path_buf));
    let answers = o.get("answers").cloned();
    if answers.as_ref().is_some_and(|a| !a.is_object()) {
        errs.push(problem(
            file,
            doc,
            &format!("{at}/answers"),
            "'answers' maps state names to MockConfigFile responses",
        ));
    }
    let expect = match o.get("expect") {
        Some(e) => read_expect(file, doc, &format!("{at}/expect"), e, &mut errs),
        None => {
            errs.push(problem(
                file,
                doc,
                at,
                "a case needs 'expect' (status, output, output-contains, error, cause, path, \
                 variables, calls, states)",
            ));
            Expect::default()
        }
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Case {
        name,
        pointer: at.into(),
        input,
        test_case,
        answers,
        s3_dir,
        task_command,
        expect,
    })
}

/// The suite's placeholder values: `subs` (a file, beside the suite) under
/// `sub` (an object), as `--subs` and `--sub`.
fn substitutions(
    file: &str,
    doc: &Document,
    top: &serde_json::Map<String, Value>,
    errs: &mut Vec<LoadError>,
) -> asl::placeholders::Substitutions {
    let mut subs = asl::placeholders::Substitutions::default();
    match top.get("subs") {
        None => {}
        Some(Value::String(f)) => {
            let p = beside(file, f).to_string_lossy().into_owned();
            match asl::read_document(&p) {
                Ok(d) => match d.value.as_object() {
                    Some(m) => {
                        if let Err((pointer, message)) = subs.set_all(m) {
                            let (line, column) = d.position(&pointer).unwrap_or((1, 1));
                            errs.push(LoadError {
                                file: p.clone(),
                                pointer,
                                line,
                                column,
                                message,
                                expr: None,
                            });
                        }
                    }
                    None => errs.push(problem(
                        file,
                        doc,
                        "/subs",
                        format!("'{f}' must hold an object of NAME: value"),
                    )),
                },
                Err(e) => errs.push(e),
            }
        }
        Some(_) => errs.push(problem(file, doc, "/subs", "'subs' is a file name")),
    }
    match top.get("sub") {
        None => {}
        Some(Value::Object(m)) => {
            if let Err((pointer, message)) = subs.set_all(m) {
                errs.push(problem(file, doc, &format!("/sub{pointer}"), message));
            }
        }
        Some(_) => errs.push(problem(
            file,
            doc,
            "/sub",
            "'sub' is an object of NAME: value (the --sub values)",
        )),
    }
    subs
}

fn read_expect(
    file: &str,
    doc: &Document,
    at: &str,
    e: &Value,
    errs: &mut Vec<LoadError>,
) -> Expect {
    let Some(o) = e.as_object() else {
        errs.push(problem(file, doc, at, "'expect' is an object"));
        return Expect::default();
    };
    unknown_fields(file, doc, at, o, EXPECT_FIELDS, "expectation", errs);
    // `error: null` / `cause: null`: there must be none.
    let nullable = |k: &str, errs: &mut Vec<LoadError>| match o.get(k) {
        Some(Value::Null) => Some(None),
        _ => string_member(file, doc, at, o, k, errs).map(Some),
    };
    let error = nullable("error", errs);
    let cause = nullable("cause", errs);
    let calls = read_calls(file, doc, at, o.get("calls"), errs);
    let states = read_states(file, doc, at, o.get("states"), errs);
    let mut string = |k: &str| string_member(file, doc, at, o, k, errs);
    let status = string("status");
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/status"),
                format!("status '{s}' is not one of {}", STATUSES.join(", ")),
            ));
        }
    }
    let path = match o.get("path") {
        None => None,
        Some(Value::Array(a)) if a.iter().all(|s| s.is_string()) => Some(
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect(),
        ),
        Some(_) => {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/path"),
                "'path' is a list of state names",
            ));
            None
        }
    };
    let variables = o.get("variables").cloned();
    if variables.as_ref().is_some_and(|v| !v.is_object()) {
        errs.push(problem(
            file,
            doc,
            &format!("{at}/variables"),
            "'variables' is an object of variable → value",
        ));
    }
    let snapshot = o.get("output").is_some_and(|v| v == "snapshot");
    Expect {
        status,
        output: o.get("output").filter(|_| !snapshot).cloned(),
        snapshot,
        output_contains: o.get("output-contains").cloned(),
        error,
        cause,
        path,
        variables,
        calls,
        states,
    }
}

/// A non-negative whole number, or a problem at `at`.
fn count_at(
    file: &str,
    doc: &Document,
    at: &str,
    v: &Value,
    errs: &mut Vec<LoadError>,
) -> Option<usize> {
    match v.as_u64() {
        Some(n) => Some(n as usize),
        None => {
            errs.push(problem(
                file,
                doc,
                at,
                "a count is a whole number, 0 or more",
            ));
            None
        }
    }
}

/// `calls: {STATE: [call…]}` (exactly these calls, in order) or
/// `{STATE: {count: N, each: [call…]}}` (N calls, the first ones these); a
/// call is `{parameters: …}`, `{parameters-contains: …}` or `{}`.
fn read_calls(
    file: &str,
    doc: &Document,
    at: &str,
    v: Option<&Value>,
    errs: &mut Vec<LoadError>,
) -> Vec<(String, Calls)> {
    let Some(v) = v else { return Vec::new() };
    let at = format!("{at}/calls");
    let Some(m) = v.as_object() else {
        errs.push(problem(
            file,
            doc,
            &at,
            "'calls' maps Task state names to their calls",
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (state, c) in m {
        let here = format!("{at}/{}", crate::asl::json::pointer_token(state));
        let one = |i: usize, call: &Value, errs: &mut Vec<LoadError>| {
            let here = format!("{here}/{i}");
            let Some(o) = call.as_object() else {
                errs.push(problem(
                    file,
                    doc,
                    &here,
                    "a call is {parameters: …} or {parameters-contains: …}",
                ));
                return CallExpect::Any;
            };
            unknown_fields(file, doc, &here, o, CALL_FIELDS, "field", errs);
            match (o.get("parameters"), o.get("parameters-contains")) {
                (Some(_), Some(_)) => {
                    errs.push(problem(
                        file,
                        doc,
                        &here,
                        "give 'parameters' or 'parameters-contains', not both",
                    ));
                    CallExpect::Any
                }
                (Some(p), None) => CallExpect::Exactly(p.clone()),
                (None, Some(p)) => CallExpect::Contains(p.clone()),
                (None, None) => CallExpect::Any,
            }
        };
        let calls = match c {
            Value::Array(a) => Calls {
                each: a.iter().enumerate().map(|(i, x)| one(i, x, errs)).collect(),
                count: Some(a.len()),
            },
            Value::Object(o) => {
                unknown_fields(file, doc, &here, o, &["count", "each"], "field", errs);
                let count = o
                    .get("count")
                    .and_then(|n| count_at(file, doc, &format!("{here}/count"), n, errs));
                let each = match o.get("each") {
                    None => Vec::new(),
                    Some(Value::Array(a)) => {
                        let base = format!("{here}/each");
                        a.iter()
                            .enumerate()
                            .map(|(i, x)| {
                                let mut e = Vec::new();
                                let r = one(i, x, &mut e);
                                for mut p in e {
                                    p.pointer = p.pointer.replacen(&here, &base, 1);
                                    errs.push(p);
                                }
                                r
                            })
                            .collect()
                    }
                    Some(_) => {
                        errs.push(problem(
                            file,
                            doc,
                            &format!("{here}/each"),
                            "'each' is a list of calls",
                        ));
                        Vec::new()
                    }
                };
                Calls { each, count }
            }
            _ => {
                errs.push(problem(
                    file,
                    doc,
                    &here,
                    "a state's calls are a list, or {count: N, each: [...]}",
                ));
                continue;
            }
        };
        out.push((state.clone(), calls));
    }
    out
}

/// `states: {STATE: {output: …, output-contains: …, visits: N}}`.
fn read_states(
    file: &str,
    doc: &Document,
    at: &str,
    v: Option<&Value>,
    errs: &mut Vec<LoadError>,
) -> Vec<(String, StateExpect)> {
    let Some(v) = v else { return Vec::new() };
    let at = format!("{at}/states");
    let Some(m) = v.as_object() else {
        errs.push(problem(
            file,
            doc,
            &at,
            "'states' maps state names to what they gave",
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (state, e) in m {
        let here = format!("{at}/{}", crate::asl::json::pointer_token(state));
        let Some(o) = e.as_object() else {
            errs.push(problem(
                file,
                doc,
                &here,
                "a state's expectation is {output, output-contains, visits}",
            ));
            continue;
        };
        unknown_fields(file, doc, &here, o, STATE_FIELDS, "expectation", errs);
        out.push((
            state.clone(),
            StateExpect {
                output: o.get("output").cloned(),
                output_contains: o.get("output-contains").cloned(),
                visits: o
                    .get("visits")
                    .and_then(|n| count_at(file, doc, &format!("{here}/visits"), n, errs)),
            },
        ));
    }
    out
}

/// What a case's run gave.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub status: String,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub path: Vec<String>,
    pub variables: serde_json::Map<String, Value>,
    /// Each Task state's calls in order: what its resource was called with.
    pub calls: std::collections::BTreeMap<String, Vec<Value>>,
    /// Each state entered: how many times, and its last output.
    pub states: std::collections::BTreeMap<String, (usize, Option<Value>)>,
}

/// A case's result: what went wrong (nothing: it passed).
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub suite: String,
    pub case: String,
    pub failures: Vec<String>,
    pub outcome: Outcome,
    pub time: Duration,
    /// The stage records of the run (for coverage).
    pub stages: Vec<StageRecord>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Run case `c` of suite `s`.
pub fn run_case(s: &Suite, c: &Case, coverage: bool) -> CaseResult {
    run_case_until(s, c, coverage, None)
}

/// [`run_case`], stopped (still RUNNING) at `deadline`.
pub fn run_case_until(
    s: &Suite,
    c: &Case,
    coverage: bool,
    deadline: Option<Instant>,
) -> CaseResult {
    let started = Instant::now();
    let runner = match s.runner(c) {
        Ok(r) => r,
        Err(e) => {
            return CaseResult {
                suite: s.file.clone(),
                case: c.name.clone(),
                failures: vec![e],
                outcome: Outcome::default(),
                time: started.elapsed(),
                stages: Vec::new(),
            }
        }
    };
    let mut opts = Options {
        express: s.express,
        ..Options::default()
    };
    if let Some(m) = &s.machine_name {
        opts.state_machine_name = m.clone();
    }
    let mut ex = Execution::new(s.definition.clone(), c.input.clone(), runner, opts);
    match deadline {
        None => {
            ex.run();
        }
        Some(d) => {
            while ex.step() {
                if Instant::now() >= d {
                    break;
                }
            }
        }
    }
    let path: Vec<String> = ex
        .history()
        .iter()
        .filter(|e| e.event_type.as_str().ends_with("StateEntered"))
        .filter_map(|e| e.state.as_deref().map(str::to_string))
        .collect();
    // The main flow's variables: what its states assigned, in order.
    let mut vars = Map::default();
    for r in ex.stages().iter().filter(|r| r.frame.is_empty()) {
        for (k, v) in r.assigned.iter().flatten() {
            vars.insert(k.clone(), v.clone());
        }
    }
    let (calls, states) = calls_and_states(ex.history());
    let outcome = Outcome {
        calls,
        states,
        status: ex.status().as_str().to_string(),
        output: ex.output().map(Val::to_json),
        error: ex.error().and_then(|e| e.name()).map(str::to_string),
        cause: ex.error().and_then(|e| e.cause()).map(str::to_string),
        path,
        variables: vars.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
    };
    let failures = check(&c.expect, &outcome);
    CaseResult {
        suite: s.file.clone(),
        case: c.name.clone(),
        failures,
        outcome,
        time: started.elapsed(),
        stages: if coverage {
            ex.stages().to_vec()
        } else {
            Vec::new()
        },
    }
}

/// The calls of each Task state and the visits and last output of each
/// state, from a run's history (branches and iterations together).
#[allow(clippy::type_complexity)]
fn calls_and_states(
    history: &[crate::engine::history::Event],
) -> (
    std::collections::BTreeMap<String, Vec<Value>>,
    std::collections::BTreeMap<String, (usize, Option<Value>)>,
) {
    use crate::engine::history::Field;
    use crate::engine::EventType as E;
    let mut calls: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    let mut states: std::collections::BTreeMap<String, (usize, Option<Value>)> = Default::default();
    let payload = |e: &crate::engine::history::Event, key: &str| {
        e.details
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, f)| match f {
                Field::Payload(v) => v.to_json(),
                Field::Json(v) => (**v).clone(),
                Field::Str(s) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
                Field::Name(n) => Value::String(n.to_string()),
                Field::Int(i) => json!(i),
            })
    };
    for e in history {
        let Some(state) = e.state.as_deref() else {
            continue;
        };
        let t = e.event_type.as_str();
        match e.event_type {
            E::TaskScheduled => calls
                .entry(state.to_string())
                .or_default()
                .push(payload(e, "parameters").unwrap_or(Value::Null)),
            E::LambdaFunctionScheduled | E::ActivityScheduled => calls
                .entry(state.to_string())
                .or_default()
                .push(payload(e, "input").unwrap_or(Value::Null)),
            _ if t.ends_with("StateEntered") => states.entry(state.to_string()).or_default().0 += 1,
            _ if t.ends_with("StateExited") => {
                states.entry(state.to_string()).or_default().1 = payload(e, "output")
            }
            _ => {}
        }
    }
    (calls, states)
}

/// What in `o` does not meet `e`, a message each.
pub fn check(e: &Expect, o: &Outcome) -> Vec<String> {
    let mut out = Vec::new();
    let failed_with = || match (&o.error, &o.cause) {
        (Some(e), Some(c)) => format!(" ({e}: {c})"),
        (Some(e), None) => format!(" ({e})"),
        _ => String::new(),
    };
    if let Some(s) = &e.status {
        if *s != o.status {
            out.push(format!(
                "status: expected {s}, got {}{}",
                o.status,
                failed_with()
            ));
        }
    }
    let got = o.output.clone().unwrap_or(Value::Null);
    if let Some(want) = &e.output {
        let d = diff(want, &got);
        if !d.is_empty() {
            out.push(format!("output differs:\n{}", indent(&d)));
        }
    }
    if e.snapshot {
        out.push(match &o.output {
            Some(_) => "output: a snapshot not recorded yet (run with --update)".into(),
            None => format!(
                "output: a snapshot not recorded yet, and the run gave no output to record ({}{})",
                o.status,
                failed_with()
            ),
        });
    }
    if let Some(want) = &e.output_contains {
        let d = contains(want, &got, "");
        if !d.is_empty() {
            out.push(format!(
                "output does not contain what is expected:\n{}",
                indent(&d)
            ));
        }
    }
    for (what, want, got) in [("error", &e.error, &o.error), ("cause", &e.cause, &o.cause)] {
        if let Some(w) = want {
            if w != got {
                let said = |v: &Option<String>| {
                    v.as_ref()
                        .map_or("none".to_string(), |g| json!(g).to_string())
                };
                out.push(format!("{what}: expected {}, got {}", said(w), said(got)));
            }
        }
    }
    for (state, want) in &e.calls {
        let got = o.calls.get(state).map(Vec::as_slice).unwrap_or_default();
        if let Some(n) = want.count {
            if n != got.len() {
                out.push(format!(
                    "calls of '{state}': expected {n}, got {}{}",
                    got.len(),
                    if o.states.contains_key(state) || o.calls.contains_key(state) {
                        String::new()
                    } else {
                        " (the run never entered it)".to_string()
                    }
                ));
            }
        }
        for (i, w) in want.each.iter().enumerate() {
            let Some(g) = got.get(i) else {
                if want.count.is_none() {
                    out.push(format!(
                        "calls of '{state}': call {} expected, got {} call(s)",
                        i + 1,
                        got.len()
                    ));
                }
                break;
            };
            let d = match w {
                CallExpect::Exactly(p) => diff(p, g),
                CallExpect::Contains(p) => contains(p, g, ""),
                CallExpect::Any => Vec::new(),
            };
            if !d.is_empty() {
                out.push(format!(
                    "call {} of '{state}': its parameters differ:\n{}",
                    i + 1,
                    indent(&d)
                ));
            }
        }
    }
    for (state, want) in &e.states {
        let (visits, output) = o.states.get(state).cloned().unwrap_or_default();
        if let Some(n) = want.visits {
            if n != visits {
                out.push(format!("visits of '{state}': expected {n}, got {visits}"));
            }
        }
        if want.output.is_none() && want.output_contains.is_none() {
            continue;
        }
        let Some(got) = output else {
            out.push(format!(
                "output of '{state}': expected one, but {}",
                if visits == 0 {
                    "the run never entered it"
                } else {
                    "it never gave one (it failed, or the run stopped in it)"
                }
            ));
            continue;
        };
        if let Some(w) = &want.output {
            let d = diff(w, &got);
            if !d.is_empty() {
                out.push(format!("output of '{state}' differs:\n{}", indent(&d)));
            }
        }
        if let Some(w) = &want.output_contains {
            let d = contains(w, &got, "");
            if !d.is_empty() {
                out.push(format!(
                    "output of '{state}' does not contain what is expected:\n{}",
                    indent(&d)
                ));
            }
        }
    }
    if let Some(want) = &e.path {
        if *want != o.path {
            let at = want
                .iter()
                .zip(&o.path)
                .position(|(a, b)| a != b)
                .unwrap_or(want.len().min(o.path.len()));
            let name = |p: &[String], i: usize| {
                p.get(i)
                    .map_or("(the end)".to_string(), |s| format!("'{s}'"))
            };
            out.push(format!(
                "path parts at step {}: expected {}, got {}\n    expected: {}\n    got:      {}",
                at + 1,
                name(want, at),
                name(&o.path, at),
                want.join(" → "),
                o.path.join(" → ")
            ));
        }
    }
    if let Some(want) = &e.variables {
        let d = contains(want, &Value::Object(o.variables.clone()), "");
        if !d.is_empty() {
            out.push(format!("variables:\n{}", indent(&d)));
        }
    }
    out
}

fn indent(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The most differences a report lists for one value.
const MAX_DIFFS: usize = 20;

/// Where `got` differs from `want`, by JSON pointer (numbers compare by
/// value: 1 and 1.0 are the same).
pub fn diff(want: &Value, got: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at(want, got, "", &mut out);
    if out.len() > MAX_DIFFS {
        let more = out.len() - MAX_DIFFS;
        out.truncate(MAX_DIFFS);
        out.push(format!("… and {more} more"));
    }
    out
}

fn at(p: &str) -> &str {
    if p.is_empty() {
        "(the whole value)"
    } else {
        p
    }
}

fn diff_at(want: &Value, got: &Value, p: &str, out: &mut Vec<String>) {
    if out.len() > MAX_DIFFS {
        return;
    }
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let kp = format!("{p}/{}", crate::asl::json::pointer_token(k));
                match g.get(k) {
                    Some(gv) => diff_at(wv, gv, &kp, out),
                    None => out.push(format!("{kp}: missing (expected {})", short(wv))),
                }
            }
            for (k, gv) in g.iter().filter(|(k, _)| !w.contains_key(*k)) {
                let kp = format!("{p}/{}", crate::asl::json::pointer_token(k));
                out.push(format!("{kp}: not expected (got {})", short(gv)));
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                diff_at(wv, gv, &format!("{p}/{i}"), out);
            }
            if w.len() != g.len() {
                out.push(format!(
                    "{}: expected {} items, got {}",
                    at(p),
                    w.len(),
                    g.len()
                ));
            }
        }
        _ if crate::asl::json::value_eq(want, got) => {}
        _ => out.push(format!(
            "{}: expected {}, got {}",
            at(p),
            short(want),
            short(got)
        )),
    }
}

/// A value in a report line: compact JSON, at most 120 characters (the
/// whole value is in the JSON report).
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        let cut: String = s.chars().take(119).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// Where `got` does not contain `want`: objects need want's members (each
/// contained), arrays want's elements in order (each contained in a later
/// one), other values equality.
pub fn contains(want: &Value, got: &Value, p: &str) -> Vec<String> {
    let mut out = Vec::new();
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let kp = format!("{p}/{}", crate::asl::json::pointer_token(k));
                match g.get(k) {
                    Some(gv) => out.extend(contains(wv, gv, &kp)),
                    None => out.push(format!("{kp}: missing (expected {})", short(wv))),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            let mut from = 0;
            for (i, wv) in w.iter().enumerate() {
                match (from..g.len()).find(|&j| contains(wv, &g[j], "").is_empty()) {
                    Some(j) => from = j + 1,
                    None => {
                        out.push(format!(
                            "{}: no item contains {} (item {i} of the expected list, in order)",
                            at(p),
                            short(wv)
                        ));
                        break;
                    }
                }
            }
        }
        _ if crate::asl::json::value_eq(want, got) => {}
        _ => out.push(format!(
            "{}: expected {}, got {}",
            at(p),
            short(want),
            short(got)
        )),
    }
    out
}

/// Each worker's stack: as large as the command's (see `main`).
const WORKER_STACK: usize = 512 << 20;

/// Run every case of `suites` on `jobs` threads; results in suite and case
/// order.
pub fn run_all(suites: &[Suite], jobs: usize, coverage: bool) -> Vec<CaseResult> {
    let work: Vec<(usize, usize)> = suites
        .iter()
        .enumerate()
        .flat_map(|(s, suite)| (0..suite.cases.len()).map(move |c| (s, c)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<CaseResult>>> =
        std::sync::Mutex::new(vec![None; work.len()]);
    let jobs = jobs.clamp(1, work.len().max(1));
    let work_on = || loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(&(s, c)) = work.get(i) else { break };
        let r = run_case(&suites[s], &suites[s].cases[c], coverage);
        if let Ok(mut all) = results.lock() {
            all[i] = Some(r);
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            // The command's own stack (reserved, used only by what recurses
            // that deep: JSONata walking a value 50,000 levels deep
            // overflowed a worker's default 2 MiB and aborted the run).
            let big = std::thread::Builder::new()
                .name("case".into())
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, work_on);
            if big.is_err() {
                scope.spawn(work_on);
            }
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// Coverage of every suite's definition by the results.
pub fn coverage(suites: &[Suite], results: &[CaseResult]) -> Vec<Coverage> {
    let mut out: Vec<Coverage> = Vec::new();
    for s in suites {
        let key = s.definition_file.clone();
        let idx = match out.iter().position(|c| c.definition_file == key) {
            Some(i) => i,
            None => {
                out.push(Coverage::new(&key, s.definition.clone()));
                out.len() - 1
            }
        };
        for r in results.iter().filter(|r| r.suite == s.file) {
            out[idx].record(&r.stages);
        }
    }
    out
}

/// JUnit XML of the results (the format CI systems read).
pub fn junit(results: &[CaseResult], total: Duration) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = results.iter().filter(|r| !r.passed()).count();
    x.push_str(&format!(
        "<testsuites name=\"asldbg\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{:.3}\">\n",
        results.len(),
        total.as_secs_f64()
    ));
    let mut suites: Vec<&str> = Vec::new();
    for r in results {
        if !suites.contains(&r.suite.as_str()) {
            suites.push(&r.suite);
        }
    }
    for s in suites {
        let cases: Vec<&CaseResult> = results.iter().filter(|r| r.suite == s).collect();
        let time: Duration = cases.iter().map(|c| c.time).sum();
        x.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3}\">\n",
            xml(s),
            cases.len(),
            cases.iter().filter(|c| !c.passed()).count(),
            time.as_secs_f64()
        ));
        for c in cases {
            x.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.6}\"",
                xml(&c.case),
                xml(s),
                c.time.as_secs_f64()
            ));
            if c.passed() {
                x.push_str("/>\n");
            } else {
                let first = c.failures[0].lines().next().unwrap_or_default();
                x.push_str(&format!(
                    ">\n      <failure message=\"{}\" type=\"AssertionError\">{}</failure>\n    </testcase>\n",
                    xml(first),
                    xml(&c.failures.join("\n"))
                ));
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// Text for XML: the five special characters escaped, and the characters
/// XML 1.0 cannot hold replaced.
fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_replaced_is_the_output_keys_value_only() {
        fn find(t: &str) -> Option<&str> {
            snapshot_value(t).map(|(a, b)| &t[a..b])
        }
        let t = r#"{path: [A, "snapshot"], output: snapshot}"#;
        let (a, b) = snapshot_value(t).unwrap();
        assert_eq!(
            (&t[a..b], a > t.find("output").unwrap()),
            ("snapshot", true)
        );
        assert_eq!(find(r#"{"output": "snapshot"}"#), Some("\"snapshot\""));
        assert_eq!(
            find("{note: output, output : 'snapshot' }"),
            Some("'snapshot'")
        );
        assert_eq!(find("{myoutput: snapshot, output: snapshots}"), None);
        assert_eq!(find("output:\n  snapshot"), Some("snapshot"));
    }

    #[test]
    fn a_diff_names_each_difference_by_pointer() {
        let d = diff(
            &json!({"a": {"b": 1, "c": [1, 2]}, "gone": true, "n": 1.0}),
            &json!({"a": {"b": 2, "c": [1]}, "extra": 0, "n": 1}),
        );
        assert_eq!(
            d,
            [
                "/a/b: expected 1, got 2",
                "/a/c: expected 2 items, got 1",
                "/gone: missing (expected true)",
                "/extra: not expected (got 0)",
            ]
        );
        assert!(diff(&json!([1, {"x": "y"}]), &json!([1, {"x": "y"}])).is_empty());
    }

    #[test]
    fn contains_takes_members_and_items_in_order() {
        let got =
            json!({"a": 1, "b": {"c": 2, "d": 3}, "xs": [{"id": 1, "v": 0}, {"id": 2}, {"id": 3}]});
        assert!(contains(
            &json!({"b": {"c": 2}, "xs": [{"id": 1}, {"id": 3}]}),
            &got,
            ""
        )
        .is_empty());
        assert_eq!(
            contains(&json!({"xs": [{"id": 3}, {"id": 1}]}), &got, ""),
            ["/xs: no item contains {\"id\":1} (item 1 of the expected list, in order)"]
        );
        assert_eq!(
            contains(&json!({"z": 1}), &got, ""),
            ["/z: missing (expected 1)"]
        );
    }

    #[test]
    fn check_reports_each_unmet_expectation() {
        let o = Outcome {
            status: "FAILED".into(),
            error: Some("Boom".into()),
            cause: Some("why".into()),
            path: vec!["A".into(), "B".into()],
            ..Outcome::default()
        };
        let e = Expect {
            status: Some("SUCCEEDED".into()),
            error: Some(Some("Other".into())),
            path: Some(vec!["A".into(), "C".into()]),
            ..Expect::default()
        };
        let f = check(&e, &o);
        assert_eq!(f[0], "status: expected SUCCEEDED, got FAILED (Boom: why)");
        assert_eq!(f[1], "error: expected \"Other\", got \"Boom\"");
        assert!(
            f[2].starts_with("path parts at step 2: expected 'C', got 'B'"),
            "{}",
            f[2]
        );
        assert_eq!(f.len(), 3);
    }

    #[test]
    fn junit_escapes_what_xml_cannot_hold() {
        let r = CaseResult {
            suite: "s<1>.test.yaml".into(),
            case: "a \"b\" & 'c'".into(),
            failures: vec!["bad \u{1b}[31m <x>".into()],
            outcome: Outcome::default(),
            time: Duration::from_millis(1),
            stages: Vec::new(),
        };
        let x = junit(&[r], Duration::from_millis(2));
        assert!(
            x.contains("name=\"a &quot;b&quot; &amp; &apos;c&apos;\""),
            "{x}"
        );
        assert!(x.contains("bad \u{FFFD}[31m &lt;x&gt;"), "{x}");
        assert!(x.contains("classname=\"s&lt;1&gt;.test.yaml\""), "{x}");
    }
}
