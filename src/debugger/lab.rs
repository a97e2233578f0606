//! The expression lab's evaluator: whatever a state's field may hold — a
//! JSONPath, an intrinsic call, a payload template (JSON with `.$` keys),
//! a JSONata template or expression — evaluated against one value of a
//! paused run, with the context object and the variables in scope, the
//! way the engine evaluates that field. Errors carry AWS's text and, for
//! syntax, the column where the text stopped making sense.
//!
//! Nothing here knows the terminal: the TUI's lab (`:`) and any other
//! front end call [`evaluate`] and [`complete`].

use crate::asl::jsonata::{self, JErrorKind};
use crate::asl::jsonpath::PathError;
use crate::asl::template::{self, Template, TemplateError};
use crate::asl::value::Val;

/// What the text was taken as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Path,
    Intrinsic,
    /// JSON with `.$` keys (JSONPath states' Parameters, ResultSelector, …).
    Template,
    /// JSON whose strings may be `{% … %}` (JSONata states' Arguments, Output).
    JsonataTemplate,
    /// `{% … %}`: as a JSONata state evaluates it (`$` unset, as AWS leaves it).
    Jsonata,
    /// Bare JSONata: `$` is the data too, for trying paths like `a.b`.
    BareJsonata,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Path => "JSONPath",
            Kind::Intrinsic => "intrinsic function",
            Kind::Template => "payload template",
            Kind::JsonataTemplate => "JSONata template",
            Kind::Jsonata => "JSONata",
            Kind::BareJsonata => "JSONata ($ is the data)",
        }
    }
}

/// Why there is no value: AWS's error text and, for a syntax error, the
/// character (not byte) offset in the text typed where it went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct LabError {
    pub message: String,
    pub at: Option<usize>,
}

/// What the lab shows for one text.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub kind: Kind,
    /// `Ok(None)`: the expression selects nothing (JSONata's undefined).
    pub value: Result<Option<Val>, LabError>,
}

/// What an expression is evaluated against.
pub struct Scope<'a> {
    /// `$` of a JSONPath; `$states.input` of JSONata.
    pub data: &'a Val,
    /// `$$` / `$states.context`.
    pub context: &'a dyn Fn() -> Val,
    pub vars: &'a dyn Fn(&str) -> Option<Val>,
    /// `$states.result` / `$states.errorOutput`, when the stage has them.
    pub result: Option<&'a Val>,
    pub error_output: Option<&'a Val>,
    pub now_ms: i64,
    /// The state is a JSONata state: JSON typed is a JSONata template and
    /// text that is no JSONPath is JSONata.
    pub jsonata: bool,
}

/// The character offset of byte `b` of `s`.
fn chars_to(s: &str, b: usize) -> usize {
    let mut b = b.min(s.len());
    while !s.is_char_boundary(b) {
        b -= 1;
    }
    s[..b].chars().count()
}

/// Evaluate `text` (as typed: leading blanks count for columns).
pub fn evaluate(text: &str, scope: &Scope) -> Outcome {
    let lead = text.len() - text.trim_start().len();
    let lead_chars = chars_to(text, lead);
    let t = text.trim();
    let shift = |e: LabError| LabError {
        at: e.at.map(|a| a + lead_chars),
        ..e
    };
    let (kind, value) = if t.is_empty() {
        (Kind::Path, Err(LabError { message: "Type a JSONPath ($.a), an intrinsic (States.Format(…)), a payload template ({\"x.$\": \"$.a\"}) or JSONata ({% … %})".into(), at: None }))
    } else if jsonata::is_expr(t) {
        (Kind::Jsonata, jsonata_value(t, scope, false))
    } else if let Some(open) = t.strip_prefix("{%") {
        // Being typed: `%}` has not come yet.
        let text = format!("{{%{open} %}}");
        (Kind::Jsonata, jsonata_value(&text, scope, false))
    } else if t.starts_with('{') || t.starts_with('[') {
        // Read as a definition's JSON is (its numbers as AWS keeps them).
        match crate::asl::parse_document(t, "lab.json") {
            Ok(doc) if scope.jsonata => {
                (Kind::JsonataTemplate, jsonata_template(&doc.value, scope))
            }
            Ok(doc) => (Kind::Template, payload_template(&doc.value, scope)),
            // `{"a": $x}` is JSONata's object constructor.
            Err(_) if scope.jsonata && jsonata::Expr::parse(t).is_ok() => {
                (Kind::BareJsonata, jsonata_value(t, scope, true))
            }
            Err(e) => (
                Kind::Template,
                Err(LabError {
                    message: e.message,
                    at: Some(json_error_offset(t, e.line, e.column)),
                }),
            ),
        }
    } else if super::watch::is_path(t) || (!scope.jsonata && is_variable_path(t)) {
        match template::compile_expr(t) {
            Ok(compiled) => {
                let kind = match compiled {
                    Template::Call(_) => Kind::Intrinsic,
                    _ => Kind::Path,
                };
                (kind, path_value(&compiled, scope))
            }
            // `$.a + 1` is no JSONPath, but it is JSONata.
            Err(_) if !t.starts_with("States.") && jsonata::Expr::parse(t).is_ok() => {
                (Kind::BareJsonata, jsonata_value(t, scope, true))
            }
            Err(e) => {
                let kind = if t.starts_with("States.") {
                    Kind::Intrinsic
                } else {
                    Kind::Path
                };
                (
                    kind,
                    Err(LabError {
                        at: Some(e.char_offset()),
                        message: e.message,
                    }),
                )
            }
        }
    } else {
        (Kind::BareJsonata, jsonata_value(t, scope, true))
    };
    Outcome {
        kind,
        value: value.map_err(shift),
    }
}

/// `$name…`: a variable read by a JSONPath state's path.
fn is_variable_path(t: &str) -> bool {
    t.strip_prefix('$')
        .and_then(|r| r.chars().next())
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && template::compile_expr(t).is_ok()
}

/// The character offset of (1-based) `line`, `column` in `text`.
fn json_error_offset(text: &str, line: usize, column: usize) -> usize {
    let mut at = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            return at + column.saturating_sub(1).min(l.chars().count());
        }
        at += l.chars().count() + 1;
    }
    text.chars().count()
}

fn rng() -> crate::engine::Rng {
    crate::engine::Rng::seeded(0)
}

fn path_scope<'a>(scope: &'a Scope<'a>) -> crate::asl::jsonpath::Scope<'a> {
    crate::asl::jsonpath::Scope {
        data: scope.data,
        context: scope.context,
        vars: scope.vars,
    }
}

fn path_value(t: &Template, scope: &Scope) -> Result<Option<Val>, LabError> {
    let fail = |message: String| LabError { message, at: None };
    match t.eval(&path_scope(scope), &mut rng()) {
        Ok(v) => Ok(Some(v)),
        Err(TemplateError::PathMissing { path, detail, .. }) => Err(fail(match detail {
            PathError::UnknownVariable(v) => {
                format!("States.Runtime: Invalid path '{path}': variable ${v} is not defined")
            }
            PathError::Missing(m) => format!("States.Runtime: Invalid path '{path}' : {m}"),
            other => format!("States.Runtime: Invalid path '{path}': {other}"),
        })),
        Err(TemplateError::Intrinsic { message, .. }) => {
            Err(fail(format!("States.IntrinsicFailure: {message}")))
        }
    }
}

fn payload_template(json: &serde_json::Value, scope: &Scope) -> Result<Option<Val>, LabError> {
    let t = Template::compile(json).map_err(|errs| {
        let (ptr, p) = &errs[0];
        LabError {
            message: format!("States.Runtime: at {ptr}: {p}"),
            at: None,
        }
    })?;
    match t.eval(&path_scope(scope), &mut rng()) {
        Ok(v) => Ok(Some(v)),
        Err(TemplateError::PathMissing { field, path, .. }) => Err(LabError {
            message: format!(
                "States.Runtime: The JSONPath '{path}' specified for the field '{field}' could not be found in the input"
            ),
            at: None,
        }),
        Err(TemplateError::Intrinsic { message, .. }) => Err(LabError {
            message: format!("States.IntrinsicFailure: {message}"),
            at: None,
        }),
    }
}

fn states(scope: &Scope) -> Val {
    let mut members = vec![
        ("input", scope.data.clone()),
        ("context", (scope.context)()),
    ];
    if let Some(r) = scope.result {
        members.push(("result", r.clone()));
    }
    if let Some(e) = scope.error_output {
        members.push(("errorOutput", e.clone()));
    }
    Val::object(members)
}

fn jerror(e: jsonata::JError) -> LabError {
    LabError {
        message: match e.kind {
            JErrorKind::Failed(m) => format!("States.QueryEvaluationError: {m}"),
            JErrorKind::Undefined => e.describe(),
        },
        at: None,
    }
}

fn jsonata_value(t: &str, scope: &Scope, bare: bool) -> Result<Option<Val>, LabError> {
    let e = jsonata::Expr::parse(t).map_err(|m| {
        // The position inside `{% … %}` counts from the text's start.
        let (inner, skip) = match jsonata::is_expr(t) {
            true => {
                let inner = &t[2..t.len() - 2];
                let blank = inner.len() - inner.trim_start().len();
                (inner, 2 + chars_to(inner, blank))
            }
            false => (t, 0),
        };
        LabError {
            at: Some(skip + jsonata_error_at(inner)),
            message: format!("States.QueryEvaluationError: {m}"),
        }
    })?;
    let env = jsonata::Env {
        states: states(scope),
        vars: scope.vars,
        now_ms: scope.now_ms,
    };
    let mut s = jsonata::Session::new(&env, &[&e], 0);
    if bare {
        s.set_data(Some(scope.data));
    }
    match s.eval_expr(&e, "lab") {
        Ok(v) => Ok(v),
        Err(err) => match err.kind {
            // Undefined is a value to show, not an error, in the lab.
            JErrorKind::Undefined => Ok(None),
            _ => Err(jerror(err)),
        },
    }
}

fn jsonata_template(json: &serde_json::Value, scope: &Scope) -> Result<Option<Val>, LabError> {
    let t = jsonata::JTemplate::compile(json).map_err(|errs| {
        let (ptr, m) = &errs[0];
        LabError {
            message: format!("States.QueryEvaluationError: at {ptr}: {m}"),
            at: None,
        }
    })?;
    let env = jsonata::Env {
        states: states(scope),
        vars: scope.vars,
        now_ms: scope.now_ms,
    };
    let mut exprs = Vec::new();
    t.exprs(&mut exprs);
    let mut s = jsonata::Session::new(&env, &exprs, 0);
    s.eval(&t, "lab").map(Some).map_err(jerror)
}

/// Where a JSONata text stops parsing: the shortest prefix whose error is
/// not "unexpected end" ends at the character that broke it (the parser
/// itself reports no position). The whole text's length when only its end
/// is missing.
pub fn jsonata_error_at(text: &str) -> usize {
    let t = text.trim();
    let chars: Vec<(usize, char)> = t.char_indices().collect();
    // Long texts are not scanned prefix by prefix (each parse is linear).
    if chars.len() <= 2_000 {
        for (n, (i, c)) in chars.iter().enumerate() {
            let prefix = &t[..i + c.len_utf8()];
            if let Err(m) = jsonata::Expr::parse(prefix) {
                let at_end = m.contains("S0207")
                    || m.contains("Eof")
                    || m.contains("end of expression") || m.contains("Unexpected end")
                    || m.contains("S0101") // an open string
                    || m.contains("S0106") // an open comment
                    || m.contains("S0105"); // an open quoted name
                if !at_end {
                    return n;
                }
            }
        }
    }
    chars.len()
}

/// What a front end may offer at the cursor: the completions of the word
/// that ends there, and where that word starts (a byte offset of `text`).
#[derive(Debug, Clone, PartialEq)]
pub struct Completions {
    pub start: usize,
    pub items: Vec<String>,
}

/// The most completions offered at once.
const MAX_ITEMS: usize = 200;

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '$' | '.' | '@' | '[' | ']' | '*' | '-')
}

/// Completions at byte `cursor` of `text`: keys present in the data at the
/// path being typed (`$.a.`, `$$.Execution.`, `$states.input.`, bare
/// JSONata `a.b.`), intrinsic and JSONata function names, `$states`
/// members and variable names.
pub fn complete(text: &str, cursor: usize, scope: &Scope, var_names: &[String]) -> Completions {
    let mut cursor = cursor.min(text.len());
    while !text.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = &text[..cursor];
    let start = word_start(before);
    let word = &text[start..cursor];
    let none = Completions {
        start: cursor,
        items: Vec::new(),
    };
    if word.is_empty() {
        return none;
    }
    let jsonata_text = scope.jsonata
        || text.trim_start().starts_with("{%")
        || !(word.starts_with('$') || word.starts_with('@'));
    // The segments before the last `.` (a quoted one as its name), and the
    // part typed after it.
    let (segments, last_at) = segments_of(word);
    let last = &word[last_at..];
    let head = &word[..last_at.saturating_sub(1)];
    let mut items: Vec<String>;
    let replace_from;
    if head.is_empty() {
        replace_from = start;
        items = if word.starts_with('$') {
            let mut names: Vec<String> = var_names.iter().map(|v| format!("${v}")).collect();
            if jsonata_text || !word.starts_with("$$") {
                names.extend(jsonata::FUNCTIONS.iter().map(|(n, _)| n.to_string()));
                names.push("$states".into());
            }
            names
        } else if "States.".starts_with(word) || word.starts_with("States") {
            crate::asl::intrinsics::FUNCTIONS
                .iter()
                .map(|n| format!("{n}("))
                .collect()
        } else {
            // Bare JSONata: the data's top-level keys.
            keys(scope.data)
        };
        items.retain(|i| i.starts_with(word) && i != word);
    } else {
        replace_from = start + last_at;
        let root = segments.first().map(String::as_str).unwrap_or("");
        let rest: Vec<&str> = segments.iter().skip(1).map(String::as_str).collect();
        let base: Option<Val> = match root {
            "States" => {
                return Completions {
                    start,
                    items: crate::asl::intrinsics::FUNCTIONS
                        .iter()
                        .filter(|n| n.starts_with(word))
                        .map(|n| format!("{n}("))
                        .collect(),
                }
            }
            "$" | "@" => Some(scope.data.clone()),
            "$$" => Some((scope.context)()),
            "$states" if rest.is_empty() => {
                items = ["input", "context", "result", "errorOutput"]
                    .iter()
                    .filter(|m| match **m {
                        "result" => scope.result.is_some(),
                        "errorOutput" => scope.error_output.is_some(),
                        _ => true,
                    })
                    .map(|m| m.to_string())
                    .filter(|m| m.starts_with(last) && m != last)
                    .collect();
                return Completions {
                    start: replace_from,
                    items,
                };
            }
            "$states" => Some(states(scope)),
            r if r.starts_with('$') => (scope.vars)(r.trim_start_matches('$')),
            _ => {
                // Bare JSONata: a path from the data's root.
                walk(scope.data, &[root]).cloned()
            }
        };
        let Some(base) = base else { return none };
        let Some(at) = walk(&base, &rest) else {
            return none;
        };
        // A JSONPath (`$.`, `@.`, `$$.`, a JSONPath state's `$var.`) writes
        // a key that is no plain name as `['a b']`, in place of its dot;
        // JSONata quotes it in backticks.
        let jsonpath = matches!(root, "$" | "@" | "$$")
            || (root.starts_with('$') && root != "$states" && !jsonata_text);
        let mut keys: Vec<String> = keys(at)
            .into_iter()
            .filter(|k| k.starts_with(last))
            // JSONata cannot quote a name that holds a backtick.
            .filter(|k| jsonpath || !k.contains('`'))
            .collect();
        keys.sort();
        if keys.len() == 1 && keys[0] == last {
            return none;
        }
        keys.truncate(MAX_ITEMS);
        let items = if jsonpath {
            keys.iter()
                .map(|k| match plain(k) {
                    true => format!(".{k}"),
                    false => format!("['{}']", k.replace('\\', "\\\\").replace('\'', "\\'")),
                })
                .collect()
        } else {
            keys.iter()
                .map(|k| match plain(k) {
                    true => k.clone(),
                    false => format!("`{k}`"),
                })
                .collect()
        };
        return Completions {
            start: if jsonpath {
                replace_from - 1
            } else {
                replace_from
            },
            items,
        };
    }
    items.sort();
    items.dedup();
    items.truncate(MAX_ITEMS);
    Completions {
        start: replace_from,
        items,
    }
}

/// Where the path that ends `before` starts: word characters, and quoted
/// names whole (`$['a b'].`, `` `a b`. ``), whatever they hold.
fn word_start(before: &str) -> usize {
    let b = before.as_bytes();
    let mut i = before.len();
    while i > 0 {
        let c = b[i - 1];
        // A bracketed quoted name: back to its `['` or `["`.
        if c == b']' && i >= 2 && matches!(b[i - 2], b'\'' | b'"') {
            let q = b[i - 2];
            let open = [b'[', q];
            match before[..i - 2].rfind(std::str::from_utf8(&open).unwrap_or("['")) {
                Some(at) => {
                    i = at;
                    continue;
                }
                None => break,
            }
        }
        // A backticked name: back to its opening backtick.
        if c == b'`' {
            match before[..i - 1].rfind('`') {
                Some(at) => {
                    i = at;
                    continue;
                }
                None => break,
            }
        }
        let ch = before[..i].chars().next_back().expect("not empty");
        if !word_char(ch) {
            break;
        }
        i -= ch.len_utf8();
    }
    i
}

/// The segments of `word` before its last separating `.` (a quoted name
/// is its name; `[0]` stays with its segment), and the byte where the
/// part after that `.` starts (0: no `.`).
fn segments_of(word: &str) -> (Vec<String>, usize) {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut last_at = 0;
    let mut it = word.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            '.' => {
                segments.push(std::mem::take(&mut current));
                last_at = i + 1;
            }
            '`' => {
                // To the closing backtick (or the end).
                for (_, c) in it.by_ref() {
                    if c == '`' {
                        break;
                    }
                    current.push(c);
                }
            }
            '[' if matches!(it.peek(), Some((_, '\'' | '"'))) => {
                let (_, q) = it.next().expect("peeked");
                // A quoted name as its own segment: `$['a b']` is `$`, `a b`.
                if !current.is_empty() {
                    segments.push(std::mem::take(&mut current));
                }
                let mut escaped = false;
                for (_, c) in it.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        c if c == q && !escaped => break,
                        c => {
                            escaped = false;
                            current.push(c);
                        }
                    }
                }
                if matches!(it.peek(), Some((_, ']'))) {
                    it.next();
                }
            }
            c => current.push(c),
        }
    }
    (segments, last_at)
}

/// A key that can follow a `.` as it is: a letter or `_`, then letters,
/// digits and `_`.
fn plain(k: &str) -> bool {
    k.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Follow `segments` (`a`, `b[0]`, `c[*]`) from `v`; through an array
/// without an index, its first element (JSONata maps over arrays).
fn walk<'v>(mut v: &'v Val, segments: &[&str]) -> Option<&'v Val> {
    for seg in segments {
        let (name, index) = match seg.find('[') {
            Some(i) => (&seg[..i], Some(&seg[i..])),
            None => (*seg, None),
        };
        let name = name.trim_matches('`');
        if !name.is_empty() {
            if let Val::Arr(a) = v {
                v = a.first()?;
            }
            v = v.get(name)?;
        }
        if let Some(ix) = index {
            let inner = ix.trim_start_matches('[').split(']').next().unwrap_or("");
            if let Val::Arr(a) = v {
                v = match inner.parse::<usize>() {
                    Ok(n) => a.get(n)?,
                    Err(_) => a.first()?,
                };
            }
        }
    }
    if let Val::Arr(a) = v {
        // Keys of the elements: what `.x` maps over.
        return a.first().filter(|f| f.as_object().is_some()).or(Some(v));
    }
    Some(v)
}

fn keys(v: &Val) -> Vec<String> {
    v.as_object()
        .map(|o| o.keys().map(|k| k.to_string()).collect())
        .unwrap_or_default()
}

/// `text` as it would be written into a definition: a JSON string (a
/// JSONata expression inside `{% %}` when the text is bare JSONata), or
/// the JSON itself for a template.
pub fn for_definition(text: &str, kind: Kind) -> String {
    let t = text.trim();
    match kind {
        Kind::Template | Kind::JsonataTemplate => t.to_string(),
        Kind::BareJsonata => serde_json::to_string(&format!("{{% {t} %}}")).unwrap_or_default(),
        _ => serde_json::to_string(t).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with<R>(data: serde_json::Value, jsonata: bool, f: impl FnOnce(&Scope) -> R) -> R {
        let data = Val::from(&data);
        let ctx = || Val::from(&json!({"Execution": {"Id": "arn:x", "Input": {"a": 1}}}));
        let vars = |n: &str| (n == "total").then(|| Val::from(&json!({"sum": 3})));
        let scope = Scope {
            data: &data,
            context: &ctx,
            vars: &vars,
            result: None,
            error_output: None,
            now_ms: 0,
            jsonata,
        };
        f(&scope)
    }

    fn value(text: &str, jsonata: bool) -> (Kind, Result<Option<serde_json::Value>, LabError>) {
        with(
            json!({"data": {"identity": {"email": "jdoe@example.com"}, "firstname": "Jane", "lastname": "Doe", "n": [1, 2, 3]}}),
            jsonata,
            |s| {
                let o = evaluate(text, s);
                (o.kind, o.value.map(|v| v.map(|v| v.to_json())))
            },
        )
    }

    #[test]
    fn every_kind_of_field_evaluates_as_the_engine_does() {
        assert_eq!(
            value("$.data.identity.email", false),
            (Kind::Path, Ok(Some(json!("jdoe@example.com"))))
        );
        assert_eq!(
            value(
                "States.Format('{} {}', $.data.firstname, $.data.lastname)",
                false
            ),
            (Kind::Intrinsic, Ok(Some(json!("Jane Doe"))))
        );
        assert_eq!(
            value(r#"{"who.$": "$.data.firstname", "n": 1}"#, false),
            (Kind::Template, Ok(Some(json!({"who": "Jane", "n": 1}))))
        );
        assert_eq!(
            value(
                "{% $states.input.data.firstname & ' ' & $states.input.data.lastname %}",
                false
            ),
            (Kind::Jsonata, Ok(Some(json!("Jane Doe"))))
        );
        assert_eq!(
            value("$sum(data.n)", false),
            (Kind::BareJsonata, Ok(Some(json!(6))))
        );
        assert_eq!(
            value("$$.Execution.Input.a", false),
            (Kind::Path, Ok(Some(json!(1))))
        );
        assert_eq!(value("$total.sum", false).1, Ok(Some(json!(3))));
        assert_eq!(
            value(r#"{"x": "{% $states.input.data.n[1] %}"}"#, true),
            (Kind::JsonataTemplate, Ok(Some(json!({"x": 2}))))
        );
        // In a JSONata state `$` is not the input (the engine, as AWS,
        // leaves it null); bare, it is the data.
        assert_eq!(value("{% $ %}", true).1, Ok(Some(json!(null))));
        assert_eq!(value("data.firstname", true).1, Ok(Some(json!("Jane"))));
        assert_eq!(value("data.missing", false).1, Ok(None));
    }

    #[test]
    fn errors_carry_aws_text_and_the_column() {
        let (_, r) = value("$.data.nope", false);
        let e = r.unwrap_err();
        assert!(
            e.message
                .starts_with("States.Runtime: Invalid path '$.data.nope'"),
            "{e:?}"
        );
        assert_eq!(e.at, None);
        let (_, r) = value("  $.data[", false);
        let e = r.unwrap_err();
        assert!(e.at.is_some_and(|a| a >= 2), "{e:?}");
        // JSONata: the caret under the token that broke it.
        let (_, r) = value("{% $states.input.data + ) %}", false);
        let e = r.unwrap_err();
        assert!(e.message.contains("S0"), "{e:?}");
        assert_eq!(e.at, Some("{% $states.input.data + ".len()), "{e:?}");
        let (_, r) = value("States.Format('{}', ", false);
        assert!(r.is_err());
        let (_, r) = value(r#"{"a": }"#, false);
        let e = r.unwrap_err();
        assert_eq!(e.at, Some(6), "{e:?}");
        let (_, r) = value("States.MathAdd($.data.firstname, 1)", false);
        assert!(r
            .unwrap_err()
            .message
            .starts_with("States.IntrinsicFailure"));
        let (_, r) = value("$number('x')", false);
        assert!(r.unwrap_err().message.contains("QueryEvaluationError"));
    }

    #[test]
    fn completion_offers_what_the_data_has() {
        let data =
            json!({"data": {"identity": {"email": "e", "phone": "p"}, "items": [{"sku": 1}]}});
        let vars = vec!["total".to_string()];
        let c = |text: &str, jsonata: bool| {
            with(data.clone(), jsonata, |s| {
                let c = complete(text, text.len(), s, &vars);
                (text[..c.start].to_string(), c.items)
            })
        };
        assert_eq!(
            c("$.data.identity.", false),
            (
                "$.data.identity".into(),
                vec![".email".into(), ".phone".into()]
            )
        );
        assert_eq!(c("$.data.identity.e", false).1, [".email"]);
        assert_eq!(c("$.data.items[0].", false).1, [".sku"]);
        assert_eq!(c("$$.Execution.", false).1, [".Id", ".Input"]);
        assert_eq!(c("States.Fo", false).1, ["States.Format("]);
        assert_eq!(c("$states.in", true).1, ["input"]);
        assert_eq!(c("$states.input.data.", true).1, ["identity", "items"]);
        assert_eq!(c("data.items.", true).1, ["sku"]);
        assert!(c("$su", true).1.contains(&"$sum".to_string()));
        assert_eq!(c("$tot", false).1, ["$total"]);
        assert_eq!(c("$total.", false).1, [".sum"]);
        // Keys that are no plain names are quoted as each language does.
        let odd = json!({"o": {"a b": 1, "x'y": 2, "$w": 3, "ab": 4, "abc": 5}});
        let c2 = |text: &str| {
            with(odd.clone(), false, |s| {
                complete(text, text.len(), s, &[]).items
            })
        };
        assert_eq!(
            c2("$.o."),
            ["['$w']", "['a b']", ".ab", ".abc", r"['x\'y']"]
        );
        assert_eq!(c2("o."), ["`$w`", "`a b`", "ab", "abc", "`x'y`"]);
        // A word typed whole is a candidate while others go on from it.
        assert_eq!(c2("$.o.ab"), [".ab", ".abc"]);
        assert!(c2("$.o.abc").is_empty());
        assert!(c("$.nothing.", false).1.is_empty());
        assert!(c("", false).1.is_empty());
        // After a quoted segment, the keys under it.
        let quoted = json!({"a b": {"c.d": {"x": 1, "y": 2}}});
        let c3 = |text: &str, jsonata: bool| {
            with(quoted.clone(), jsonata, |s| {
                let c = complete(text, text.len(), s, &[]);
                (text[..c.start].to_string(), c.items)
            })
        };
        assert_eq!(c3("$['a b'].", false).1, [r"['c.d']"]);
        assert_eq!(
            c3("$['a b']['c.d'].", false),
            ("$['a b']['c.d']".into(), vec![".x".into(), ".y".into()])
        );
        assert_eq!(c3("$[\"a b\"]['c.d'].x", false).1, Vec::<String>::new());
        assert_eq!(c3("`a b`.`c.d`.", true).1, ["x", "y"]);
        assert_eq!(c3("{% $states.input.`a b`.", true).1, ["`c.d`"]);
    }

    #[test]
    fn copied_text_is_what_a_definition_holds() {
        assert_eq!(for_definition("$.a", Kind::Path), "\"$.a\"");
        assert_eq!(for_definition("a.b", Kind::BareJsonata), "\"{% a.b %}\"");
        assert_eq!(
            for_definition("States.Format('{}', $.a)", Kind::Intrinsic),
            "\"States.Format('{}', $.a)\""
        );
        assert_eq!(
            for_definition("{\"a.$\": \"$.b\"}", Kind::Template),
            "{\"a.$\": \"$.b\"}"
        );
    }
}
