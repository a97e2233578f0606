//! The Amazon States Language: definition model, validation, JSONPath,
//! intrinsic functions, payload templates and choice rules. Pure functions;
//! nothing here knows about execution or the terminal.

pub mod choice;
pub mod deploy;
pub mod doc;
mod document;
pub mod expr_error;
pub mod intrinsics;
pub mod json;
pub mod jsonata;
pub mod jsonpath;
pub mod model;
mod parse;
pub mod placeholders;
pub mod splice;
pub mod template;
pub mod timestamp;
pub mod value;
pub mod yaml;

pub use document::{
    locate, parse_document, read_document, read_document_capped, read_text_capped,
    read_value_capped, read_value_quota, Document, LoadError, MAX_DOCUMENT_BYTES,
};
pub use model::{Definition, Diagnostic};

use document::{display_name, parse_owned};

/// How to open a definition file.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Run it as an EXPRESS workflow (a template can also say so).
    pub express: bool,
    /// Which state machine of a template (`--machine`).
    pub machine: Option<String>,
    /// Placeholder values (`--sub`, `--subs`): they win over the template's.
    pub subs: placeholders::Substitutions,
    /// Only check or draw it (`validate`, `graph`): a placeholder left
    /// unfilled where a number is needed is a warning and stands as 0; for a
    /// run it is an error.
    pub check_only: bool,
    /// Only draw it (`graph`): a definition with problems still opens when
    /// it has a shape, its problems in [`Opened::problems`].
    pub sketch: bool,
}

/// A definition opened from a file, with what was said about it.
#[derive(Debug)]
pub struct Opened {
    pub definition: Definition,
    /// What does not stop a run: unfilled placeholders, and what AWS
    /// accepts at creation but fails when it is reached.
    pub warnings: Vec<LoadError>,
    /// What a template could only approximate (a resource's ARN made up
    /// from its name, a condition not evaluated, …).
    pub notes: Vec<String>,
    /// The state machine's name in its template (what `--machine` takes).
    pub machine: Option<String>,
    /// The name the template deploys it under, when it gives one.
    pub deployed: Option<String>,
    /// EXPRESS, by the options or the template.
    pub express: bool,
    /// Where the definition stands in its file (a JSON pointer; empty when
    /// the definition is the file, or a text of its own).
    pub prefix: String,
    /// What makes it invalid, when it was opened only to be drawn
    /// ([`OpenOptions::sketch`]); empty otherwise.
    pub problems: Vec<LoadError>,
}

impl Opened {
    /// The state machine's name for a run (`$$.StateMachine.Name`, the
    /// mock file's key): the name it is deployed under, else its name in
    /// the template.
    pub fn run_name(&self) -> Option<&str> {
        self.deployed.as_deref().or(self.machine.as_deref())
    }

    /// The names a mock file may key this machine by: the deployed name,
    /// then its name in the template.
    pub fn mock_names(&self) -> Vec<String> {
        self.deployed.iter().chain(&self.machine).cloned().collect()
    }
}

/// Outcome of loading a definition file.
pub enum Loaded {
    Ok(Box<Opened>),
    /// The file could not be read or parsed.
    Unreadable(LoadError),
    /// The file parsed but the definition is invalid.
    Invalid(Vec<LoadError>),
}

pub fn load_definition(file: &str) -> Loaded {
    load(file, &OpenOptions::default())
}

/// Load a definition that will run as an EXPRESS (`express`) or STANDARD workflow.
pub fn load_definition_as(file: &str, express: bool) -> Loaded {
    load(
        file,
        &OpenOptions {
            express,
            ..OpenOptions::default()
        },
    )
}

/// Open `file`: a definition (JSON or YAML), or a template that holds one.
pub fn load(file: &str, opts: &OpenOptions) -> Loaded {
    match read_text_capped(file, MAX_DOCUMENT_BYTES) {
        Ok(text) => load_text(file, text, opts),
        Err(e) => Loaded::Unreadable(e),
    }
}

/// [`load`] on `text` as the content of `file` (the file as it would be
/// written, checked before it is).
pub fn load_text(file: &str, text: String, opts: &OpenOptions) -> Loaded {
    if is_terraform(file) {
        return open_terraform(file, &text, opts);
    }
    let text = match open_plain_json(file, text, opts) {
        Ok(loaded) => return loaded,
        Err(text) => text,
    };
    let name = display_name(file);
    match parse_filling(text.clone(), name, &opts.subs) {
        Ok(doc) => open(file, doc, opts),
        Err(e) if e.message.contains("duplicate key") => open_keeping_last(file, &text, e, opts),
        Err(e) => Loaded::Unreadable(e),
    }
}

/// A file with a key given twice. In a template, outside its state
/// machines' definitions, CloudFormation keeps the last value, and so does
/// asldbg, with a warning naming both places; inside a definition (or in a
/// file that is a definition) it stays the error `strict` is.
fn open_keeping_last(file: &str, text: &str, strict: LoadError, opts: &OpenOptions) -> Loaded {
    let Some((doc, duplicates)) = document::parse_keeping_last(text, display_name(file)) else {
        return Loaded::Unreadable(strict);
    };
    let Some(found) = deploy::machines(&doc.value, &opts.subs) else {
        return Loaded::Unreadable(strict);
    };
    let key_of = |p: &str| {
        p.rsplit('/')
            .next()
            .unwrap_or_default()
            .replace("~1", "/")
            .replace("~0", "~")
    };
    let inside = |p: &str| {
        found.iter().any(|f| {
            !f.pointer.is_empty() && (p == f.pointer || p.starts_with(&format!("{}/", f.pointer)))
        })
    };
    if let Some((p, (l1, c1), (line, column))) = duplicates.iter().find(|d| inside(&d.0)) {
        return Loaded::Unreadable(LoadError {
            file: file.into(),
            pointer: p.clone(),
            line: *line,
            column: *column,
            message: format!(
                "duplicate key '{}' in a state machine's definition (first at {l1}:{c1})",
                key_of(p)
            ),
            expr: None,
        });
    }
    let mut loaded = open(file, doc, opts);
    if let Loaded::Ok(o) = &mut loaded {
        for (p, (l1, c1), (line, column)) in &duplicates {
            o.warnings.push(LoadError {
                file: file.into(),
                pointer: p.clone(),
                line: *line,
                column: *column,
                message: format!(
                    "duplicate key '{}' (first at {l1}:{c1}): CloudFormation keeps the last \
                     one, and so does asldbg",
                    key_of(p)
                ),
                expr: None,
            });
        }
    }
    loaded
}

/// Each of `names`, state machines of the template `file`, as [`load`]
/// opens it with `--machine`: the template is read, parsed and searched for
/// machines once, not once a machine (a template of 400 machines took 1.3 s
/// to validate, 4 times one of 100 took 12 times as long).
pub fn load_each(file: &str, opts: &OpenOptions, names: &[String]) -> Vec<Loaded> {
    match read_text_capped(file, MAX_DOCUMENT_BYTES) {
        Ok(text) => load_each_text(file, text, opts, names),
        Err(e) => names
            .iter()
            .map(|_| Loaded::Unreadable(e.clone()))
            .collect(),
    }
}

/// [`load_each`] on `text` as the content of `file`.
pub fn load_each_text(
    file: &str,
    text: String,
    opts: &OpenOptions,
    names: &[String],
) -> Vec<Loaded> {
    let one = |name: &str| OpenOptions {
        machine: Some(name.to_string()),
        ..opts.clone()
    };
    // A template as `load_text` parses it; Terraform, and a template with a
    // key given twice, take its way for each machine.
    let doc = (!is_terraform(file))
        .then(|| parse_filling(text.clone(), display_name(file), &opts.subs).ok())
        .flatten();
    let found = doc
        .as_ref()
        .and_then(|d| deploy::machines(&d.value, &opts.subs));
    names
        .iter()
        .map(|n| {
            match (
                &doc,
                found.as_ref().and_then(|f| f.iter().find(|f| &f.name == n)),
            ) {
                (Some(doc), Some(f)) => open_machine(file, doc, f.clone(), &one(n)),
                _ => load_text(file, text.clone(), &one(n)),
            }
        })
        .collect()
}

/// The state machines of a template that holds more than one, when
/// `opts` does not pick one: each one's name (what `--machine` takes) and
/// a line saying what it is. Empty for a definition, a template with one
/// machine, or a file that does not open (loading it says why).
pub fn machines_to_pick(file: &str, opts: &OpenOptions) -> Vec<(String, String)> {
    if opts.machine.is_some() {
        return Vec::new();
    }
    let Ok(text) = read_text_capped(file, MAX_DOCUMENT_BYTES) else {
        return Vec::new();
    };
    machines_to_pick_in(file, &text, opts)
}

/// [`machines_to_pick`] on `text` as the content of `file`.
pub fn machines_to_pick_in(file: &str, text: &str, opts: &OpenOptions) -> Vec<(String, String)> {
    if opts.machine.is_some() {
        return Vec::new();
    }
    let found = if is_terraform(file) {
        terraform_module(file)
            .ok()
            .and_then(|m| deploy::terraform::machines(text, &m, &opts.subs).ok())
            .unwrap_or_default()
    } else {
        let name = display_name(file);
        let doc = match parse_filling(text.to_string(), name, &opts.subs) {
            Ok(d) => Some(d),
            Err(_) => document::parse_keeping_last(text, name).map(|(d, _)| d),
        };
        doc.and_then(|d| deploy::machines(&d.value, &opts.subs))
            .unwrap_or_default()
    };
    if found.len() < 2 {
        return Vec::new();
    }
    found
        .into_iter()
        .map(|f| {
            let kind = if f.express { "EXPRESS" } else { "STANDARD" };
            let from = match &f.body {
                deploy::Body::Object(_) => "definition in the template".to_string(),
                deploy::Body::Text(_) => "definition string in the template".to_string(),
                deploy::Body::File(p) => format!("definition in {p}"),
                deploy::Body::S3 { location, .. } => format!("definition in {location}"),
                deploy::Body::Unreadable(m) => m.clone(),
            };
            (f.name, format!("{kind}, {from}"))
        })
        .collect()
}

/// The document of `file` as [`load`] reads it (placeholders outside
/// strings filled), for a caller that looks at it before [`open`]ing it.
pub fn load_document(file: &str, opts: &OpenOptions) -> Result<Document, LoadError> {
    read_document_filling(file, MAX_DOCUMENT_BYTES, &opts.subs)
}

/// Reads `file`; text that is not JSON only because of `${…}` placeholders
/// written outside strings (Terraform's templatefile, a DefinitionString)
/// is read with the given values filled in.
fn read_document_filling(
    file: &str,
    cap: u64,
    subs: &placeholders::Substitutions,
) -> Result<Document, LoadError> {
    let text = read_text_capped(file, cap)?;
    parse_filling(text, display_name(file), subs)
}

fn parse_filling(
    text: String,
    file: &str,
    subs: &placeholders::Substitutions,
) -> Result<Document, LoadError> {
    if !text.contains("${") {
        return parse_owned(text, file);
    }
    let filled = placeholders::fill_str(&text, subs, &mut Vec::new());
    if filled == text {
        return parse_owned(text, file);
    }
    match parse_owned(text, file) {
        Ok(d) => Ok(d),
        Err(first) => parse_owned(filled, file).map_err(|_| first),
    }
}

/// The definition in a parsed document (a definition, or a template with
/// state machines in it). Every problem carries its file, line:column and
/// JSON pointer. A template that does not say which machine to take, or
/// holds none, is [`Loaded::Unreadable`].
pub fn open(file: &str, doc: Document, opts: &OpenOptions) -> Loaded {
    let Some(found) = deploy::machines(&doc.value, &opts.subs) else {
        return loaded(finish(doc, Origin::file(file), opts, &opts.subs));
    };
    match deploy::pick(found, opts.machine.as_deref()) {
        Ok(found) => open_machine(file, &doc, found, opts),
        Err(message) => Loaded::Unreadable(LoadError {
            file: file.into(),
            pointer: String::new(),
            line: 1,
            column: 1,
            message,
            expr: None,
        }),
    }
}

fn loaded(r: Result<Opened, Vec<LoadError>>) -> Loaded {
    match r {
        Ok(o) => Loaded::Ok(Box::new(o)),
        Err(e) => Loaded::Invalid(e),
    }
}

/// The definition of one machine of a template.
fn open_machine(file: &str, doc: &Document, found: deploy::Found, opts: &OpenOptions) -> Loaded {
    let at = |pointer: &str, message: String| {
        let (line, column) = doc.position(pointer).or(found.position).unwrap_or((1, 1));
        LoadError {
            file: file.into(),
            pointer: pointer.into(),
            line,
            column,
            message,
            expr: None,
        }
    };
    let mut subs = found.substitutions.clone();
    subs.extend(&opts.subs);
    let origin = |file, prefix, notes: Vec<String>| Origin {
        file,
        prefix,
        notes,
        machine: Some(found.name.clone()),
        deployed: found.deployed.clone(),
        express: found.express,
    };
    let what = if found.pointer.ends_with("/DefinitionUri") {
        "DefinitionUri"
    } else {
        "the definition file"
    };
    match &found.body {
        deploy::Body::Object(v) => {
            // Positions come from the template, under the machine's pointer.
            let inner = Document {
                value: v.clone(),
                text: None,
                map: Default::default(),
                yaml: false,
            };
            let place = found.position;
            let o = finish(
                inner,
                origin(file, &found.pointer, found.notes.clone()),
                opts,
                &subs,
            );
            loaded(
                o.map(|mut o| {
                    o.warnings = relocate(doc, place, o.warnings);
                    o.problems = relocate(doc, place, o.problems);
                    o
                })
                .map_err(|errs| relocate(doc, place, errs)),
            )
        }
        deploy::Body::Text(text) => {
            let label = format!("{file} ({} DefinitionString)", found.name);
            match parse_filling(text.clone(), &format!("{label}.json"), &subs) {
                Ok(inner) => loaded(finish(
                    inner,
                    origin(&label, "", found.notes.clone()),
                    opts,
                    &subs,
                )),
                // Not JSON, or a key given twice: the definition cannot be
                // parsed, as a definition file that is not JSON (exit 2).
                Err(mut e) => {
                    e.file = label;
                    Loaded::Unreadable(e)
                }
            }
        }
        deploy::Body::File(path) => {
            let target = match beside(file, path) {
                Ok(t) => t,
                Err(m) => return Loaded::Invalid(vec![at(&found.pointer, format!("{what} {m}"))]),
            };
            if !std::path::Path::new(&target).exists() {
                let hint = if path.contains("${") {
                    " (a variable in its name has no value: --sub NAME=VALUE gives it)"
                } else {
                    ""
                };
                return Loaded::Unreadable(at(
                    &found.pointer,
                    format!("{what} names {target}, which does not exist{hint}"),
                ));
            }
            open_file_of(
                &target,
                origin(&target, "", found.notes.clone()),
                opts,
                &subs,
            )
        }
        deploy::Body::S3 {
            location,
            file: key,
        } => {
            // A packaged template: the definition was uploaded from a file
            // of the same name, which may still stand beside the template.
            match key.as_deref().and_then(|k| local_copy(file, k)) {
                Some(local) => {
                    let mut notes = found.notes.clone();
                    notes.push(format!(
                        "the definition is in S3 ({location}); the local {local} stands in for it"
                    ));
                    open_file_of(&local, origin(&local, "", notes), opts, &subs)
                }
                None => Loaded::Unreadable(at(
                    &found.pointer,
                    format!(
                        "{}: the definition is in S3 ({location}), which asldbg does not read: \
                         download it beside the template{}",
                        found.name,
                        key.as_deref()
                            .map(|k| format!(" as {k}"))
                            .unwrap_or_default()
                    ),
                )),
            }
        }
        deploy::Body::Unreadable(m) => {
            Loaded::Invalid(vec![at(&found.pointer, format!("{}: {m}", found.name))])
        }
    }
}

/// A definition file a template names, read and checked.
fn open_file_of(
    target: &str,
    origin: Origin,
    opts: &OpenOptions,
    subs: &placeholders::Substitutions,
) -> Loaded {
    match read_document_filling(target, MAX_DOCUMENT_BYTES, subs) {
        Ok(inner) => loaded(finish(inner, origin, opts, subs)),
        Err(e) => Loaded::Unreadable(e),
    }
}

/// A file named `name` in the template's folder or one folder below it
/// (`statemachine/`), where `sam package` took it from.
fn local_copy(template: &str, name: &str) -> Option<String> {
    use std::path::Path;
    if name.contains(['/', '\\']) || name.starts_with('.') {
        return None;
    }
    let dir = match Path::new(template).parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Through `beside`: a symbolic link of that name leading out of the
    // template's folder is not followed.
    if dir.join(name).is_file() {
        return beside(template, name).ok();
    }
    let mut subdirs: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .take(1024)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    subdirs
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .and_then(|p| beside(template, &p.strip_prefix(dir).ok()?.to_string_lossy()).ok())
}

/// Errors found in a definition taken out of a template: placed by their
/// full pointer in the template's text, or at the definition (`at`) in a
/// file that has no JSON positions (Terraform).
fn relocate(doc: &Document, at: Option<(usize, usize)>, errs: Vec<LoadError>) -> Vec<LoadError> {
    errs.into_iter()
        .map(|mut e| {
            if let Some((l, c)) = doc.position(&e.pointer).or(at) {
                (e.line, e.column) = (l, c);
            }
            e
        })
        .collect()
}

/// The file a template's `DefinitionUri` names, which must stand in the
/// template's own folder or below it, or in the folder asldbg runs in
/// (a SAM project keeps its template in `sam-app/` and its definition in
/// `../step-functions/`): a template cannot make asldbg read anything else.
fn beside(template: &str, uri: &str) -> Result<String, String> {
    use std::path::{Component, Path};
    let rel = Path::new(uri);
    if rel.is_absolute() {
        return Err(format!(
            "'{uri}' must be a path relative to the template's folder"
        ));
    }
    let dir = Path::new(template).parent().unwrap_or(Path::new(""));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    // `./` inside the path said once (`${path.module}/x` is `./x`).
    let target: std::path::PathBuf = dir.join(rel).components().collect();
    let climbs = rel.components().any(|c| c == Component::ParentDir);
    // Out of the template's folder only to a definition's kind of file
    // (a template from elsewhere cannot make asldbg open a key or a log).
    let definition_like = ["json", "yaml", "yml", "asl"].iter().any(|x| {
        rel.extension()
            .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(x))
    });
    if climbs && !definition_like {
        return Err(format!(
            "'{uri}' leads outside the template's folder to a file that is not JSON or YAML: \
             only definition files (.json, .yaml, .yml) are read there"
        ));
    }
    // Where the path really goes (through `..` and symbolic links) must
    // be inside one of the folders allowed.
    let real_dir = std::fs::canonicalize(dir);
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    match (real_dir, std::fs::canonicalize(&target)) {
        (Ok(real_dir), Ok(real)) => {
            let inside =
                real.starts_with(&real_dir) || cwd.as_ref().is_ok_and(|c| real.starts_with(c));
            if !inside {
                return Err(format!(
                    "'{uri}' leads outside the template's folder and the current folder (to \
                     {}): only files inside them are read (run asldbg from the project's folder)",
                    real.display()
                ));
            }
        }
        // A file that does not exist is said so by the caller; a path that
        // climbs out must still stay inside the current folder.
        _ if climbs => {
            let lexical =
                lexical_normal(&std::env::current_dir().unwrap_or_default().join(&target));
            if !cwd.as_ref().is_ok_and(|c| lexical.starts_with(c)) {
                return Err(format!(
                    "'{uri}' leads outside the template's folder and the current folder: only \
                     files inside them are read"
                ));
            }
        }
        _ => {}
    }
    Ok(target.to_string_lossy().into_owned())
}

/// `p` with `.` and `..` taken away without asking the file system.
fn lexical_normal(p: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Where a definition comes from: the file its positions are in, its
/// pointer there, and what its template said of it.
struct Origin<'a> {
    file: &'a str,
    prefix: &'a str,
    notes: Vec<String>,
    machine: Option<String>,
    deployed: Option<String>,
    express: bool,
}

impl<'a> Origin<'a> {
    /// A file that is the definition itself.
    fn file(file: &'a str) -> Origin<'a> {
        Origin {
            file,
            prefix: "",
            notes: Vec::new(),
            machine: None,
            deployed: None,
            express: false,
        }
    }
}

/// Placeholders filled, then the model built and checked.
fn finish(
    mut doc: Document,
    origin: Origin,
    opts: &OpenOptions,
    subs: &placeholders::Substitutions,
) -> Result<Opened, Vec<LoadError>> {
    let Origin {
        file,
        prefix,
        notes,
        machine,
        deployed,
        express,
    } = origin;
    let express = opts.express || express;
    // An unfilled number stands as 0 so that the rest is checked; for a run
    // it is an error all the same. A text with no `${` has nothing to fill:
    // the walk over the whole definition is skipped.
    let unfilled = if doc.text.as_deref().is_some_and(|t| !t.contains("${")) {
        Vec::new()
    } else {
        placeholders::fill(&mut doc.value, subs, true)
    };
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for u in unfilled {
        let d = Diagnostic {
            pointer: u.pointer,
            message: if u.numeric {
                format!(
                    "the placeholder ${{{}}} has no value, and a number is needed here (--sub {}=VALUE fills it)",
                    u.name, u.name
                )
            } else {
                format!(
                    "the placeholder ${{{}}} has no value (--sub {}=VALUE fills it)",
                    u.name, u.name
                )
            },
            expr: None,
        };
        if u.numeric && !opts.check_only {
            problems.push(d);
        } else {
            warnings.push(d);
        }
    }
    let tree = doc::Doc::from_value(&doc.value);
    let said = conclude(&tree, opts, express, problems, warnings, |diags| {
        let mut v = locate(file, &doc, diags);
        for e in &mut v {
            e.pointer = format!("{prefix}{}", e.pointer);
        }
        v
    });
    drop(tree);
    let Checked {
        mut definition,
        warnings,
        problems,
    } = said?;
    // The definition keeps the document's value (positions come from the
    // text, which a later diagnostic would read).
    definition.source = model::Source::value(std::mem::take(&mut doc.value));
    Ok(Opened {
        definition,
        warnings,
        notes,
        machine,
        deployed,
        express,
        prefix: prefix.to_string(),
        problems,
    })
}

/// A Terraform file (HCL, read by its name: `.tf`).
pub fn is_terraform(file: &str) -> bool {
    file.to_ascii_lowercase().ends_with(".tf")
}

/// The state machine of a Terraform file (`--machine` picks one of
/// several): its definition as `jsonencode` gives it, or the text or file
/// it names. A definition from a `.tf` file has no JSON positions there:
/// its problems name the file and the pointer inside the definition.
fn open_terraform(file: &str, text: &str, opts: &OpenOptions) -> Loaded {
    let unreadable = |line, column, message| {
        Loaded::Unreadable(LoadError {
            file: file.into(),
            pointer: String::new(),
            line,
            column,
            message,
            expr: None,
        })
    };
    let module = match terraform_module(file) {
        Ok(m) => m,
        Err(e) => return Loaded::Unreadable(e),
    };
    let found = match deploy::terraform::machines(text, &module, &opts.subs) {
        Ok(found) => found,
        Err(e) => {
            return Loaded::Unreadable(LoadError {
                file: e.file.unwrap_or_else(|| file.into()),
                pointer: String::new(),
                line: e.line,
                column: e.column,
                message: format!("invalid Terraform: {}", e.message),
                expr: None,
            })
        }
    };
    if found.is_empty() {
        let (line, message) = module_hint(file, text).unwrap_or((
            1,
            "no aws_sfn_state_machine resource in this Terraform file".into(),
        ));
        return unreadable(line, 1, message);
    }
    match deploy::pick(found, opts.machine.as_deref()) {
        Ok(found) => open_machine(file, &Document::without_positions(), found, opts),
        Err(message) => unreadable(1, 1, message),
    }
}

/// A root module with no state machine of its own that calls modules on
/// disk: the file of each that declares one, to open instead, with the
/// arguments the module block gives as `--sub`s. Only a module folder's
/// regular `.tf` files are looked in (as Terraform reads them), each up to
/// the module file size.
fn module_hint(file: &str, text: &str) -> Option<(usize, String)> {
    use std::path::{Component, Path, PathBuf};
    let modules = deploy::terraform::local_modules(text);
    let dir = Path::new(file).parent().unwrap_or(Path::new(""));
    let holder = |folder: &Path| -> Option<String> {
        let mut tf: Vec<PathBuf> = std::fs::read_dir(folder)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.symlink_metadata()
                    .is_ok_and(|m| m.is_file() && m.len() <= MODULE_FILE_BYTES)
                    && is_terraform(&p.to_string_lossy())
            })
            .collect();
        tf.sort();
        // As many files as a module may have (a folder of thousands is not
        // read whole for a hint).
        tf.into_iter()
            .take(MODULE_FILES)
            .find(|p| {
                std::fs::read_to_string(p).is_ok_and(|t| t.contains("\"aws_sfn_state_machine\""))
            })
            .map(|p| p.display().to_string())
    };
    let mut options = Vec::new();
    // Each folder looked in once, and a hint for the first few modules.
    const SHOWN: usize = 8;
    let mut looked: std::collections::HashMap<PathBuf, Option<String>> = Default::default();
    for m in modules.iter().take(SHOWN) {
        // `./modules/sfn` beside the file, its `.` and `x/..` steps gone
        // (as written: a `..` that climbs above it stays).
        let mut folder = PathBuf::new();
        for c in dir.join(&m.source).components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir
                    if matches!(folder.components().next_back(), Some(Component::Normal(_))) =>
                {
                    folder.pop();
                }
                c => folder.push(c),
            }
        }
        // Looked in only inside the file's folder or the current one, as
        // the files a template names are read.
        let real = std::fs::canonicalize(&folder);
        let inside = |root: std::io::Result<PathBuf>| matches!((&real, &root), (Ok(r), Ok(root)) if r.starts_with(root));
        let base = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if real.is_ok()
            && !inside(std::fs::canonicalize(base))
            && !inside(std::env::current_dir().and_then(std::fs::canonicalize))
        {
            options.push(format!(
                "module \"{}\" is in {} (outside this folder and the current one: run asldbg \
                 from the project's folder to have it looked in)",
                m.name,
                folder.display()
            ));
            continue;
        }
        let found = looked
            .entry(folder.clone())
            .or_insert_with(|| holder(&folder));
        let Some(found) = found.clone() else {
            continue;
        };
        let subs: String = m
            .arguments
            .iter()
            .map(|(k, v)| format!(" --sub {}", shell_word(&format!("{k}={v}"))))
            .collect();
        options.push(format!("module \"{}\" is {found}{subs}", m.name));
    }
    let first = modules.first()?;
    if options.is_empty() {
        return None;
    }
    if modules.len() > SHOWN {
        options.push(format!("and {} more modules", modules.len() - SHOWN));
    }
    Some((
        first.line,
        format!(
            "no aws_sfn_state_machine resource in this Terraform file; the modules it calls \
             hold them, open one of those instead: {}",
            options.join("; ")
        ),
    ))
}

/// `text` as one shell word (quoted when it has to be).
fn shell_word(text: &str) -> String {
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_=./:,@%+".contains(&b))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// How many other files of a Terraform module are read, and how large
/// each may be.
const MODULE_FILES: usize = 64;
const MODULE_FILE_BYTES: u64 = 8 << 20;

/// The other files of the module `file` is in, as Terraform reads them:
/// every `.tf` file of its folder, `terraform.tfvars` and `*.auto.tfvars`.
/// Only regular files inside the folder are read (a symbolic link that
/// leads out of it is passed over). A module of more than [`MODULE_FILES`]
/// files, or a file of it that cannot be read (too large, not UTF-8), is
/// an error: a declaration left out would change what the machine is.
fn terraform_module(file: &str) -> Result<deploy::terraform::Module, LoadError> {
    use std::path::Path;
    let path = Path::new(file);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let (Ok(real_dir), Ok(entries)) = (std::fs::canonicalize(dir), std::fs::read_dir(dir)) else {
        return Ok(Default::default());
    };
    let own = std::fs::canonicalize(path).ok();
    let mut names = Vec::new();
    for p in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if !(name.ends_with(".tf") || name == "terraform.tfvars" || name.ends_with(".auto.tfvars"))
        {
            continue;
        }
        let real = std::fs::canonicalize(&p).ok();
        if real
            .as_ref()
            .is_some_and(|r| r.starts_with(&real_dir) && r.is_file())
            && real != own
        {
            names.push(p);
        }
        if names.len() > MODULE_FILES {
            return Err(LoadError {
                file: file.into(),
                pointer: String::new(),
                line: 1,
                column: 1,
                message: format!(
                    "its folder holds more than {MODULE_FILES} other .tf and .tfvars files: \
                     asldbg reads a module of at most that many"
                ),
                expr: None,
            });
        }
    }
    names.sort();
    // Declarations first, then the values that set variables.
    names.sort_by_key(|p| p.to_string_lossy().ends_with(".tfvars"));
    let mut files = Vec::new();
    for p in names {
        let name = p.to_string_lossy().into_owned();
        let text = read_text_capped(&name, MODULE_FILE_BYTES)?;
        files.push((name, text));
    }
    Ok(deploy::terraform::Module { files })
}

/// A plain JSON definition file (no template, no placeholder, no key
/// given twice), read straight into the builder's document: no
/// `serde_json::Value` tree is made on the way (the state JSON the
/// debugger shows is parsed from the kept text when it is first asked
/// for). Anything else comes back to go the long way.
fn open_plain_json(file: &str, text: String, opts: &OpenOptions) -> Result<Loaded, String> {
    let name = display_name(file);
    if document::is_yaml(name, &text) || text.contains("${") {
        return Err(text);
    }
    let built = match doc::parse(&text) {
        Ok((tree, false)) if tree.get("States").is_some() && tree.get("StartAt").is_some() => {
            conclude(&tree, opts, opts.express, Vec::new(), Vec::new(), |diags| {
                document::locate_in_json(file, &text, diags)
            })
        }
        _ => return Err(text),
    };
    Ok(loaded(built.map(|c| {
        let Checked {
            mut definition,
            warnings,
            problems,
        } = c;
        definition.source = model::Source::text(text);
        Opened {
            definition,
            warnings,
            notes: Vec::new(),
            machine: None,
            deployed: None,
            express: opts.express,
            prefix: String::new(),
            problems,
        }
    })))
}

/// A definition that was built and checked, with what was said of it.
struct Checked {
    definition: Definition,
    warnings: Vec<LoadError>,
    /// What makes it invalid, when it is only sketched.
    problems: Vec<LoadError>,
}

/// The model built from `tree` and checked, with what was found before
/// (`problems`, `warnings`), each placed by `locate`; or every problem.
fn conclude(
    tree: &doc::Doc,
    opts: &OpenOptions,
    express: bool,
    mut problems: Vec<Diagnostic>,
    mut warnings: Vec<Diagnostic>,
    locate: impl Fn(Vec<Diagnostic>) -> Vec<LoadError>,
) -> Result<Checked, Vec<LoadError>> {
    let (built, mut diags) = if opts.sketch {
        Definition::sketch(tree)
    } else {
        match Definition::build(tree) {
            Ok(d) => (Some(d), Vec::new()),
            Err(e) => (None, e),
        }
    };
    problems.append(&mut diags);
    if let (Some(d), true) = (&built, express) {
        problems.extend(model::express_diagnostics(d));
    }
    let mut d = match built {
        Some(d) if problems.is_empty() || opts.sketch => d,
        _ => return Err(locate(problems)),
    };
    warnings.append(&mut d.warnings);
    Ok(Checked {
        definition: d,
        warnings: locate(warnings),
        problems: locate(problems),
    })
}

/// The definition in a parsed document; for an EXPRESS workflow also the
/// checks only EXPRESS has (no activities, `.sync` or `.waitForTaskToken`).
/// Every problem carries the file, line:column and JSON pointer.
pub fn definition_of(
    file: &str,
    doc: Document,
    express: bool,
) -> Result<Definition, Vec<LoadError>> {
    let opts = OpenOptions {
        express,
        ..OpenOptions::default()
    };
    match open(file, doc, &opts) {
        Loaded::Ok(o) => Ok(o.definition),
        Loaded::Unreadable(e) => Err(vec![e]),
        Loaded::Invalid(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a load came to, every part a user sees (a machine's name map
    /// is left out: its order is its hasher's).
    fn describe(l: &Loaded) -> String {
        match l {
            Loaded::Ok(o) => {
                let d = &o.definition;
                let machines: Vec<_> = d
                    .machines
                    .iter()
                    .map(|m| format!("{} {} {:?}", m.pointer, m.start_at, m.states))
                    .collect();
                let raw: Vec<_> = d
                    .machines
                    .iter()
                    .flat_map(|m| &m.states)
                    .map(|s| d.raw(s).to_string())
                    .collect();
                format!(
                    "ok {machines:?} {:?} {:?} {:?} {:?} {:?} {raw:?}",
                    d.timeout_seconds, d.comment, o.warnings, o.problems, o.express
                )
            }
            Loaded::Unreadable(e) => format!("unreadable {e:?}"),
            Loaded::Invalid(e) => format!("invalid {e:?}"),
        }
    }

    /// `s` without JSONata's step numbers (a count kept across parses).
    fn no_step_ids(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("StepId(") {
            out.push_str(&rest[..i + 7]);
            rest = rest[i + 7..].trim_start_matches(|c: char| c.is_ascii_digit());
        }
        out + rest
    }

    /// A plain JSON file read straight into the builder's document, and the
    /// same text the long way (a `serde_json::Value` first): the same model,
    /// state JSON, warnings and errors at the same places.
    fn both_ways(file: &str, text: &str, opts: &OpenOptions) -> String {
        let fast = match open_plain_json(file, text.to_string(), opts) {
            Ok(l) => l,
            Err(_) => panic!("{file}: the plain path refused it"),
        };
        let long = match parse_owned(text.to_string(), file) {
            Ok(doc) => open(file, doc, opts),
            Err(e) => Loaded::Unreadable(e),
        };
        let (fast, long) = (describe(&fast), describe(&long));
        assert_eq!(no_step_ids(&fast), no_step_ids(&long), "{file}");
        fast
    }

    #[test]
    fn each_machine_of_a_template_loads_as_it_loads_alone() {
        // Valid, invalid (its error placed in the template), a
        // DefinitionString, an EXPRESS one with substitutions, and one
        // whose DefinitionUri names a file that is not there.
        let text = "AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Good:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: A
        States:
          A: {Type: Pass, End: true}
  Bad:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: A
        States:
          A: {Type: Pass, Next: Nowhere}
  AsText:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: '{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}}'
  Fast:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      DefinitionSubstitutions: {Arn: arn:aws:lambda:us-east-1:123456789012:function:f}
      Definition:
        StartAt: A
        States:
          A: {Type: Task, Resource: '${Arn}', End: true}
  Missing:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/none.asl.json
";
        let file = "template.yaml";
        let opts = OpenOptions::default();
        let names: Vec<String> = machines_to_pick_in(file, text, &opts)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names.len(), 5, "{names:?}");
        let each = load_each_text(file, text.to_string(), &opts, &names);
        assert_eq!(each.len(), names.len());
        for (name, got) in names.iter().zip(&each) {
            let one = OpenOptions {
                machine: Some(name.clone()),
                ..opts.clone()
            };
            let alone = load_text(file, text.to_string(), &one);
            assert_eq!(
                no_step_ids(&describe(got)),
                no_step_ids(&describe(&alone)),
                "{name}"
            );
        }
        assert!(
            describe(&each[1]).starts_with("invalid"),
            "{}",
            describe(&each[1])
        );
        assert!(
            describe(&each[4]).starts_with("unreadable"),
            "{}",
            describe(&each[4])
        );
    }

    #[test]
    fn a_plain_json_file_loads_as_the_long_way_loads_it() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            for f in std::fs::read_dir(entry.unwrap().path()).unwrap() {
                let path = f.unwrap().path();
                let name = path.to_string_lossy().to_string();
                if name.ends_with(".asl.json") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    assert!(both_ways(&name, &text, &OpenOptions::default()).starts_with("ok"));
                    seen += 1;
                }
            }
        }
        assert!(seen >= 13, "{seen} samples");
        let invalid = [
            // An unknown field, a Next to nowhere, an unreachable state.
            r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B", "Bogus": 1}, "C": {"Type": "Succeed"}}}"#,
            // A malformed path (its column inside the string) and a bad template.
            "{\"StartAt\": \"A\",\n \"States\": {\"A\": {\"Type\": \"Pass\", \"InputPath\": \"$.a[\", \"Parameters\": {\"x.$\": 1}, \"End\": true}}}",
            // Not an object at all, and a state that is not one.
            r#"{"StartAt": "A", "States": {"A": 3}}"#,
            // Choice rules, retriers and catchers with problems.
            r#"{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "1", "Next": "D"}, {"And": [], "Next": "D"}]}, "D": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Retry": [{"ErrorEquals": []}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Nowhere"}], "End": true}}}"#,
        ];
        for text in invalid {
            assert!(both_ways("bad.json", text, &OpenOptions::default()).starts_with("invalid"));
        }
        // Accepted with a warning: a filter AWS fails on when it runs.
        let warned = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "OutputPath": "$.items[?(@.kind == fruit)]", "End": true}}}"#;
        let said = both_ways("warned.json", warned, &OpenOptions::default());
        assert!(said.contains("States.Runtime"), "{said}");
        // EXPRESS checks, and a sketch that keeps a drawable invalid machine.
        let sync = r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "End": true}}}"#;
        let express = OpenOptions {
            express: true,
            ..OpenOptions::default()
        };
        assert!(both_ways("x.json", sync, &express).starts_with("invalid"));
        let sketch = OpenOptions {
            sketch: true,
            check_only: true,
            ..OpenOptions::default()
        };
        assert!(both_ways("s.json", invalid[0], &sketch).starts_with("ok"));
    }

    #[test]
    fn what_is_not_a_plain_json_definition_goes_the_long_way() {
        let opts = OpenOptions::default();
        for (file, text) in [
            (
                "m.yaml",
                "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n",
            ),
            ("t.json", r#"{"Resources": {}}"#),
            (
                "p.json",
                r#"{"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": ${Wait}, "End": true}}}"#,
            ),
            (
                "d.json",
                r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Fail"}}}"#,
            ),
            ("e.json", r#"{"StartAt": "A", "#),
        ] {
            assert_eq!(
                open_plain_json(file, text.into(), &opts).err().as_deref(),
                Some(text),
                "{file}"
            );
        }
        // The long way then says where the key is given twice.
        let Loaded::Unreadable(e) = load_text("d.json", r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Fail"}}}"#.into(), &opts) else {
            panic!("a key given twice is an error");
        };
        assert!(e.message.starts_with("duplicate key 'A'"), "{e}");
    }

    #[test]
    fn a_definition_string_that_does_not_parse_is_unreadable_as_a_file_would_be() {
        let opts = OpenOptions::default();
        let t = "Resources:\n  SM:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      \
                 DefinitionString: '{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true},\
                 \"A\":{\"Type\":\"Fail\"}}}'\n";
        let Loaded::Unreadable(e) = load_text("t.yaml", t.into(), &opts) else {
            panic!("a key given twice in a DefinitionString cannot be parsed");
        };
        assert_eq!(e.file, "t.yaml (SM DefinitionString)");
        assert!(e.message.starts_with("duplicate key 'A'"), "{e}");
    }

    #[test]
    fn yaml_definitions_parse() {
        let text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n";
        let d = parse_document(text, "m.yaml").unwrap();
        assert!(Definition::from_value(&d.value).is_ok());
        assert_eq!(d.position("/States/A/Type"), Some((4, 5)));
    }

    #[test]
    fn a_valid_document_is_never_mapped_for_positions() {
        let text = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#;
        let d = parse_document(text, "m.json").unwrap();
        assert!(locate("m.json", &d, Vec::new()).is_empty());
        assert!(d.map.get().is_none(), "no diagnostic, no source map");
        let diag = Diagnostic {
            pointer: "/States/A".into(),
            message: "m".into(),
            expr: None,
        };
        let e = locate("m.json", &d, vec![diag]);
        assert_eq!((e[0].line, e[0].column), (1, 29));
    }

    #[test]
    fn bad_yaml_and_json_report_positions() {
        let e = parse_document("a: [1,\n", "m.yml").err().unwrap();
        assert_eq!(e.file, "m.yml");
        assert!(e.message.starts_with("invalid YAML"));
        let e = parse_document("{\"a\": tru}", "m.json").err().unwrap();
        assert_eq!(e.line, 1);
        assert_eq!(e.file, "m.json");
    }

    #[test]
    fn duplicate_state_names_are_errors_in_json_and_yaml() {
        let json = "{\"StartAt\": \"A\", \"States\": {\n \"A\": {\"Type\": \"Pass\", \"End\": true},\n \"A\": {\"Type\": \"Fail\"}}}";
        let e = parse_document(json, "d.json").err().unwrap();
        assert_eq!(
            e.to_string(),
            "d.json:3:2: duplicate key 'A' (first at 2:2) (at /States/A)"
        );
        let yaml =
            "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n  A:\n    Type: Fail\n";
        let e = parse_document(yaml, "d.yaml").err().unwrap();
        assert_eq!((e.line, e.column), (6, 3), "{e}");
        assert!(e.message.contains("first at 3:3"), "{e}");
    }

    #[test]
    fn files_are_read_up_to_a_cap_and_binary_data_is_refused() {
        let dir = std::env::temp_dir().join(format!("asldbg-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.json");
        std::fs::write(&big, format!("[{}1]", "1,".repeat(1000))).unwrap();
        let e = read_document_capped(big.to_str().unwrap(), 100)
            .err()
            .unwrap();
        assert_eq!(e.message, "larger than 100 bytes");
        assert!(read_document_capped(big.to_str().unwrap(), 1 << 20).is_ok());
        let bin = dir.join("bin.json");
        std::fs::write(&bin, b"{\"a\": \"\0\"}").unwrap();
        let e = read_document_capped(bin.to_str().unwrap(), 1 << 20)
            .err()
            .unwrap();
        assert!(e.message.contains("NUL byte at offset 7"), "{e}");
        let e = read_document(dir.to_str().unwrap()).err().unwrap();
        assert!(e.message.contains("cannot read file"), "{e}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn invalid_definitions_are_located() {
        let text = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}\n  }\n}";
        let d = parse_document(text, "x.json").unwrap();
        let diags = Definition::from_value(&d.value).err().unwrap();
        let errs = locate("x.json", &d, diags);
        assert_eq!(errs[0].to_string(), "x.json:4:27: Next 'B' does not name a state in the same States block (at /States/A/Next)");
    }
}
