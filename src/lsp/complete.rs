//! Completion: what may be written where the cursor is — state names in
//! transitions, the fields a state of its type and query language may have,
//! `Type` values, error names, intrinsic and JSONata functions, `$states`
//! members and the variables assigned upstream.

use super::analysis::Analysis;
use crate::asl::model::{state_fields, QueryLanguage, RETRIER_FIELDS};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, TextEdit,
};
use serde_json::Value;

/// The intrinsic functions with their signatures.
pub const INTRINSICS: &[(&str, &str)] = &[
    (
        "States.Format",
        "(template, ...values) → string: '{}' replaced by each value",
    ),
    ("States.StringToJson", "(string) → the JSON value it holds"),
    ("States.JsonToString", "(value) → its JSON text"),
    ("States.Array", "(...values) → an array of them"),
    ("States.ArrayPartition", "(array, size) → chunks of size"),
    ("States.ArrayContains", "(array, value) → boolean"),
    (
        "States.ArrayRange",
        "(first, last, step) → numbers (at most 1000)",
    ),
    ("States.ArrayGetItem", "(array, index) → the item"),
    ("States.ArrayLength", "(array) → number"),
    (
        "States.ArrayUnique",
        "(array) → the array without duplicates",
    ),
    (
        "States.Base64Encode",
        "(string) → base64 (input at most 10,000 characters)",
    ),
    ("States.Base64Decode", "(base64) → string"),
    (
        "States.Hash",
        "(data, algorithm) → hex digest: MD5, SHA-1, SHA-256, SHA-384, SHA-512",
    ),
    (
        "States.JsonMerge",
        "(left, right, false) → shallow merge, right wins",
    ),
    (
        "States.MathRandom",
        "(start, end[, seed]) → integer in [start, end)",
    ),
    ("States.MathAdd", "(a, b) → a + b (integers)"),
    (
        "States.StringSplit",
        "(string, delimiters) → array of parts",
    ),
    ("States.UUID", "() → a version 4 UUID"),
];

/// What `$states` holds in JSONata.
pub const STATES_MEMBERS: &[(&str, &str)] = &[
    ("input", "the state's input"),
    (
        "result",
        "the task's, Parallel's or Map's result (Output and Assign)",
    ),
    (
        "errorOutput",
        "the error a Catch caught (its Output and Assign)",
    ),
    (
        "context",
        "the context object (Execution, State, StateMachine, Task, Map)",
    ),
];

/// The errors AWS raises, for `ErrorEquals`.
pub const ERRORS: &[(&str, &str)] = &[
    (
        "States.ALL",
        "every error but States.DataLimitExceeded and States.Runtime (alone, last)",
    ),
    (
        "States.Timeout",
        "the task ran past TimeoutSeconds or missed a heartbeat",
    ),
    (
        "States.HeartbeatTimeout",
        "no heartbeat within HeartbeatSeconds",
    ),
    ("States.TaskFailed", "any task failure (not a timeout)"),
    ("States.Permissions", "the role may not run the task"),
    (
        "States.ResultPathMatchFailure",
        "ResultPath cannot be applied to the input",
    ),
    (
        "States.ParameterPathFailure",
        "a path in Parameters selects nothing",
    ),
    ("States.QueryEvaluationError", "a JSONata expression failed"),
    ("States.BranchFailed", "a Parallel branch failed"),
    (
        "States.NoChoiceMatched",
        "no Choice rule matched and there is no Default",
    ),
    ("States.IntrinsicFailure", "an intrinsic function failed"),
    (
        "States.ExceedToleratedFailureThreshold",
        "a Map's failures passed its tolerance",
    ),
    ("States.ItemReaderFailed", "a Map's ItemReader failed"),
    ("States.ResultWriterFailed", "a Map's ResultWriter failed"),
    (
        "States.DataLimitExceeded",
        "a payload passed 256 KiB (not caught by States.ALL)",
    ),
    (
        "States.Runtime",
        "a runtime error (not caught by States.ALL)",
    ),
    (
        "Lambda.ServiceException",
        "Lambda: a service error (retry these)",
    ),
    ("Lambda.AWSLambdaException", "Lambda: a service error"),
    ("Lambda.SdkClientException", "Lambda: a client error"),
    ("Lambda.TooManyRequestsException", "Lambda: throttled"),
    (
        "Lambda.Unknown",
        "Lambda: the function ran out of memory or time",
    ),
];

const TYPES: &[(&str, &str)] = &[
    ("Task", "run work: a Lambda, an AWS API, an activity"),
    ("Pass", "pass or shape data"),
    ("Choice", "branch on the data"),
    ("Wait", "wait for a time"),
    ("Succeed", "end the run successfully"),
    ("Fail", "end the run with an error"),
    ("Parallel", "run branches at once"),
    ("Map", "run steps for each item"),
];

const MACHINE_FIELDS: &[&str] = &[
    "Comment",
    "StartAt",
    "States",
    "TimeoutSeconds",
    "Version",
    "QueryLanguage",
];

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then(|| detail.to_string()),
        ..CompletionItem::default()
    }
}

/// What the cursor at `offset` of the file `a` analysed may complete. A
/// text being typed often does not parse (a key with no value yet, a
/// string not closed, a comma missing): it is completed in the text made
/// whole, else with the states of the file as it last parsed (`last_good`).
pub fn complete_in(
    a: &Analysis,
    offset: usize,
    last_good: Option<&Analysis>,
) -> Vec<CompletionItem> {
    let text = &a.text;
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    if a.value.is_some() {
        return complete(a, text, offset, offset);
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    // Mends, tried in turn: the text with what is being typed made whole.
    let mut mends: Vec<(String, usize)> = Vec::new();
    match context(before, a.yaml) {
        Ctx::Key { start, .. } => {
            let mut key_start = line_start + start;
            if !a.yaml && text[..key_start].ends_with('"') {
                key_start -= 1;
            }
            let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'"';
            let end = offset + text[offset..].bytes().take_while(word).count();
            let (head, rest) = (&text[..key_start], &text[end..]);
            // (With a comma before it too: the one missing after the
            // member above.)
            let fillers: &[&str] = if a.yaml {
                &["__k: 0"]
            } else {
                &["\"__k\": 0", "\"__k\": 0,", ",\"__k\": 0", ",\"__k\": 0,"]
            };
            for filler in fillers {
                let at = key_start + 1 + usize::from(filler.starts_with(','));
                mends.push((format!("{head}{filler}{rest}"), at));
            }
        }
        _ => {
            let (head, rest) = text.split_at(offset);
            for filler in ["\"", "\",", "\"\"", "\"\",", "null", "null,"] {
                mends.push((format!("{head}{filler}{rest}"), offset));
            }
        }
    }
    for (mended, at) in mends {
        let b = Analysis::parsed(&a.path, mended);
        if b.value.is_some() {
            // The context read from the text as typed; the states from
            // the mended one (the same offsets before the cursor).
            return complete(&b, text, offset, at.min(offset));
        }
    }
    // The file as it last parsed: the cursor at the same line and column.
    let Some(g) = last_good.filter(|g| g.value.is_some()) else {
        return Vec::new();
    };
    let at = g.lines.offset(&g.text, a.lines.position(text, offset));
    complete(g, text, offset, at)
}

/// Where the cursor is, read from its line up to it.
#[derive(Debug, PartialEq)]
enum Ctx {
    /// In a member's value (or an item of its array): the key, and where
    /// the value's text begins on the line; `quoted`: inside its quotes.
    Value {
        key: String,
        start: usize,
        quoted: bool,
    },
    /// Where a member's name goes: where it begins on the line.
    Key {
        start: usize,
        quoted: bool,
    },
    None,
}

/// The last JSON string at `s`'s end (`Key` of `… "Key"`).
fn last_string(s: &str) -> Option<String> {
    let h = s.trim_end().strip_suffix('"')?;
    let k = h.rfind('"')?;
    Some(h[k + 1..].to_string())
}

/// The innermost bracket still open in `s` (strings skipped): where, which.
fn open_bracket(s: &str) -> Option<(usize, u8)> {
    let b = s.as_bytes();
    let mut stack: Vec<(usize, u8)> = Vec::new();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'{' | b'[' if !in_str => stack.push((i, b[i])),
            b'}' | b']' if !in_str => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack.pop()
}

/// The key of the array whose `[` ends `head`.
fn array_key(head: &str) -> Option<String> {
    last_string(head.trim_end().strip_suffix(':')?)
}

fn context(before: &str, yaml: bool) -> Ctx {
    if yaml {
        return yaml_context(before);
    }
    // JSON: inside a string when an odd number of quotes stands before.
    let b = before.as_bytes();
    let (mut quotes, mut last_quote, mut i) = (0, 0, 0);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' => {
                quotes += 1;
                last_quote = i;
            }
            _ => {}
        }
        i += 1;
    }
    let value = |key: Option<String>, start: usize, quoted: bool| match key {
        Some(key) => Ctx::Value { key, start, quoted },
        None => Ctx::None,
    };
    if quotes % 2 == 1 {
        let open = last_quote;
        let head = before[..open].trim_end();
        return match head.chars().last() {
            Some(':') => value(last_string(&head[..head.len() - 1]), open + 1, true),
            Some('[') => value(array_key(&head[..head.len() - 1]), open + 1, true),
            Some(',') | Some('{') | None => match open_bracket(head) {
                Some((at, b'[')) => value(array_key(&head[..at]), open + 1, true),
                _ => Ctx::Key {
                    start: open + 1,
                    quoted: true,
                },
            },
            _ => Ctx::None,
        };
    }
    let t = before.trim_end();
    if let Some(h) = t.strip_suffix(':') {
        return value(last_string(h), before.len(), false);
    }
    // A name typed with no quote yet.
    let word = before
        .bytes()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    let head = before[..before.len() - word].trim_end();
    let in_array = matches!(open_bracket(head), Some((_, b'[')));
    match head.chars().last() {
        None | Some('{') | Some(',') if !in_array => Ctx::Key {
            start: before.len() - word,
            quoted: false,
        },
        _ => Ctx::None,
    }
}

fn yaml_context(before: &str) -> Ctx {
    let t = before.trim_start();
    let mut lead = before.len() - t.len();
    let t = match t.strip_prefix("- ") {
        Some(r) => {
            lead += 2;
            r
        }
        None => t,
    };
    if let Some((k, v)) = t.split_once(':') {
        let key = k.trim().trim_matches(|c| c == '"' || c == '\'');
        if key.is_empty() || key.contains(' ') {
            return Ctx::None;
        }
        let vstart = lead + k.len() + 1 + (v.len() - v.trim_start().len());
        let v = v.trim_start();
        // A flow list (`[a, b`): its last item.
        let (item_at, item) = match v.rfind([',', '[']) {
            Some(i) if v.starts_with('[') => (i + 1, &v[i + 1..]),
            _ => (0, v),
        };
        let pad = item.len() - item.trim_start().len();
        let quoted = item.trim_start().starts_with(['"', '\'']);
        return Ctx::Value {
            key: key.to_string(),
            start: vstart + item_at + pad + usize::from(quoted),
            quoted,
        };
    }
    if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ctx::Key {
            start: lead,
            quoted: false,
        }
    } else {
        Ctx::None
    }
}

/// What the cursor at `offset` of `text` may complete. `a` is the file as
/// parsed and `at` the cursor's offset in it (where its states are). Each
/// item replaces what is typed of the word (and the rest of the word or
/// quoted text after the cursor).
pub fn complete(a: &Analysis, text: &str, offset: usize, at: usize) -> Vec<CompletionItem> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let state = a.index.state_at(at);
    let after = &text[offset..];
    // The positions of `text` (the analysis' own, when it is its text).
    let own;
    let lines = if text == a.text {
        &a.lines
    } else {
        own = super::text::Lines::new(text);
        &own
    };
    // YAML's `Key:` with no space yet: one before the value.
    let pad = if a.yaml && before.ends_with(':') {
        " "
    } else {
        ""
    };
    let edit = |start: usize, quoted: bool, items: Vec<CompletionItem>, wrap: bool| {
        let end = if quoted {
            match after.find(['"', '\n']) {
                Some(e) if after.as_bytes()[e] == b'"' => e,
                _ => 0,
            }
        } else if wrap && after.starts_with('"') {
            // The cursor before a string: the string is replaced.
            after[1..].find('"').map_or(0, |e| e + 2)
        } else {
            after
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
                .count()
        };
        let range = lines.range(text, (line_start + start.min(before.len()), offset + end));
        items
            .into_iter()
            .map(|mut i| {
                let word = i.insert_text.take().unwrap_or_else(|| i.label.clone());
                let new_text = if wrap {
                    format!("\"{word}\"")
                } else {
                    format!("{pad}{word}")
                };
                i.filter_text = Some(i.label.clone());
                i.text_edit = Some(CompletionTextEdit::Edit(TextEdit { range, new_text }));
                i
            })
            .collect::<Vec<_>>()
    };
    // Inside `{% … %}`: JSONata, the word from its `$`.
    if let Some(open) = before.rfind("{%") {
        if !before[open..].contains("%}") {
            let expr = &before[open + 2..];
            let word = expr
                .bytes()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
                .count();
            let head = &expr[..expr.len() - word];
            let items = if head.ends_with("$states.") {
                STATES_MEMBERS
                    .iter()
                    .map(|(m, d)| item(m, CompletionItemKind::FIELD, d))
                    .collect()
            } else if head.ends_with('.') {
                // A member of some other value: not known here.
                Vec::new()
            } else {
                jsonata(a, state, expr)
            };
            return edit(before.len() - word, false, items, false);
        }
    }
    let json = !a.yaml;
    match context(before, a.yaml) {
        Ctx::Value { key, start, quoted } => {
            let wrap = json && !quoted;
            let values = |v: &[&str]| {
                v.iter()
                    .map(|t| item(t, CompletionItemKind::ENUM_MEMBER, ""))
                    .collect()
            };
            match key.as_str() {
                "Next" | "Default" | "StartAt" => {
                    edit(start, quoted, state_names(a, at, state, &key), wrap)
                }
                "Type" => {
                    let types = TYPES
                        .iter()
                        .map(|(t, d)| item(t, CompletionItemKind::ENUM_MEMBER, d))
                        .collect();
                    edit(start, quoted, types, wrap)
                }
                "QueryLanguage" => edit(start, quoted, values(&["JSONPath", "JSONata"]), wrap),
                "JitterStrategy" => edit(start, quoted, values(&["FULL", "NONE"]), wrap),
                "ErrorEquals" => edit(start, quoted, errors(a), wrap),
                _ => {
                    // A path or an intrinsic: the word at the cursor.
                    let partial = &before[start.min(before.len())..];
                    let word = partial
                        .bytes()
                        .rev()
                        .take_while(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'$')
                        })
                        .count();
                    let items = path_value(a, state, &partial[partial.len() - word..]);
                    edit(before.len() - word, false, items, wrap)
                }
            }
        }
        Ctx::Key { start, quoted } => {
            // An item of ErrorEquals on a line of its own.
            if a.places
                .at(at)
                .is_some_and(|(p, _)| p.contains("/ErrorEquals"))
            {
                return edit(start, quoted, errors(a), json && !quoted);
            }
            edit(start, quoted, fields(a, at, state), json && !quoted)
        }
        Ctx::None => Vec::new(),
    }
}

fn state_names(
    a: &Analysis,
    offset: usize,
    state: Option<usize>,
    key: &str,
) -> Vec<CompletionItem> {
    let ix = &a.index;
    let scope = if key == "StartAt" {
        // The innermost States block whose object holds the cursor.
        (0..ix.scopes.len())
            .filter_map(|s| {
                let p = a.places.get(&ix.scopes[s].pointer)?;
                (p.value.0 <= offset && offset <= p.value.1).then_some((s, p.value.1 - p.value.0))
            })
            .min_by_key(|x| x.1)
            .map(|x| x.0)
    } else {
        state.map(|s| ix.states[s].scope)
    };
    let Some(scope) = scope else {
        return Vec::new();
    };
    ix.scopes[scope]
        .states
        .iter()
        .filter(|&&s| key == "StartAt" || Some(s) != state)
        .map(|&s| {
            let st = &ix.states[s];
            item(
                &st.name,
                CompletionItemKind::REFERENCE,
                st.ty.as_deref().unwrap_or(""),
            )
        })
        .collect()
}

fn errors(a: &Analysis) -> Vec<CompletionItem> {
    let mut out: Vec<CompletionItem> = ERRORS
        .iter()
        .map(|(e, d)| item(e, CompletionItemKind::CONSTANT, d))
        .collect();
    // The errors this definition's Fail states throw.
    if let Some(v) = &a.value {
        for st in &a.index.states {
            if st.ty.as_deref() != Some("Fail") {
                continue;
            }
            let e = v
                .pointer(&format!("{}/Error", st.pointer))
                .and_then(Value::as_str);
            if let Some(e) = e.filter(|e| !e.starts_with("{%")) {
                if !out.iter().any(|i| i.label == e) {
                    out.push(item(
                        e,
                        CompletionItemKind::CONSTANT,
                        &format!("thrown by {}", st.name),
                    ));
                }
            }
        }
    }
    out
}

/// A value that may be a path or an intrinsic (`"x.$": "…"`, InputPath, …).
fn path_value(a: &Analysis, state: Option<usize>, partial: &str) -> Vec<CompletionItem> {
    let word = partial
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$'))
        .next()
        .unwrap_or("");
    let mut out = Vec::new();
    if word.is_empty() || "States.".starts_with(word) || word.starts_with("States.") {
        out.extend(
            INTRINSICS
                .iter()
                .map(|(n, sig)| item(n, CompletionItemKind::FUNCTION, sig)),
        );
    }
    if word.starts_with('$') && !word.starts_with("$.") && !word.starts_with("$$") {
        out.extend(variables(a, state));
    }
    out
}

fn jsonata(a: &Analysis, state: Option<usize>, expr: &str) -> Vec<CompletionItem> {
    if expr.ends_with("$states.") {
        return STATES_MEMBERS
            .iter()
            .map(|(m, d)| item(m, CompletionItemKind::FIELD, d))
            .collect();
    }
    let mut out: Vec<CompletionItem> = crate::asl::jsonata::FUNCTIONS
        .iter()
        .map(|(n, sig)| item(n, CompletionItemKind::FUNCTION, sig))
        .collect();
    out.push(item(
        "$states",
        CompletionItemKind::VARIABLE,
        "input, result, errorOutput, context",
    ));
    out.extend(variables(a, state));
    // Typed from the `$`: the label replaces the word, `$` included.
    out
}

/// The variables states upstream of `state` assign (`Assign` keys).
fn variables(a: &Analysis, state: Option<usize>) -> Vec<CompletionItem> {
    let (Some(s), Some(v)) = (state, &a.value) else {
        return Vec::new();
    };
    let ix = &a.index;
    let mut out: Vec<CompletionItem> = Vec::new();
    for u in ix.upstream(s) {
        let st = &ix.states[u];
        let mut assigns: Vec<&serde_json::Map<String, Value>> = Vec::new();
        if let Some(o) = v
            .pointer(&format!("{}/Assign", st.pointer))
            .and_then(Value::as_object)
        {
            assigns.push(o);
        }
        for list in ["Catch", "Choices"] {
            for c in v
                .pointer(&format!("{}/{list}", st.pointer))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(o) = c.get("Assign").and_then(Value::as_object) {
                    assigns.push(o);
                }
            }
        }
        for o in assigns {
            for k in o.keys() {
                let name = format!("${}", k.trim_end_matches(".$"));
                if !out.iter().any(|i| i.label == name) {
                    out.push(item(
                        &name,
                        CompletionItemKind::VARIABLE,
                        &format!("assigned by {}", st.name),
                    ));
                }
            }
        }
    }
    out
}

/// The fields the object at the cursor may have, less those it has.
fn fields(a: &Analysis, offset: usize, state: Option<usize>) -> Vec<CompletionItem> {
    let Some(v) = &a.value else {
        return Vec::new();
    };
    // The innermost object whose text holds the cursor.
    let mut inner: Option<(&str, usize)> = None;
    for s in a
        .index
        .states
        .iter()
        .map(|s| s.pointer.as_str())
        .chain(a.index.scopes.iter().map(|s| s.pointer.as_str()))
    {
        if let Some(p) = a.places.get(s) {
            if p.value.0 < offset && offset < p.value.1 {
                let w = p.value.1 - p.value.0;
                if inner.is_none_or(|i| w < i.1) {
                    inner = Some((s, w));
                }
            }
        }
    }
    // A retrier or catcher inside the state.
    if let Some(s) = state {
        let sp = &a.index.states[s].pointer;
        for list in ["Retry", "Catch"] {
            let n = v
                .pointer(&format!("{sp}/{list}"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            for i in 0..n {
                let p = format!("{sp}/{list}/{i}");
                if let Some(pl) = a.places.get(&p) {
                    if pl.value.0 < offset && offset < pl.value.1 {
                        let has = v.pointer(&p).and_then(Value::as_object);
                        let jsonata = a.index.states[s].jsonata;
                        let names: Vec<&str> = if list == "Retry" {
                            RETRIER_FIELDS.to_vec()
                        } else if jsonata {
                            vec!["ErrorEquals", "Next", "Comment", "Assign", "Output"]
                        } else {
                            vec!["ErrorEquals", "Next", "Comment", "Assign", "ResultPath"]
                        };
                        return field_items(&names, has);
                    }
                }
            }
        }
    }
    let Some((p, _)) = inner else {
        return Vec::new();
    };
    let has = v.pointer(p).and_then(Value::as_object);
    if let Some(st) = a.index.states.iter().find(|st| st.pointer == p) {
        let ql = if st.jsonata {
            QueryLanguage::Jsonata
        } else {
            QueryLanguage::JsonPath
        };
        return match st.ty.as_deref().and_then(|t| state_fields(t, ql)) {
            Some(f) => field_items(f, has),
            None => field_items(&["Type", "Comment", "QueryLanguage"], has),
        };
    }
    field_items(MACHINE_FIELDS, has)
}

fn field_items(
    names: &[&str],
    has: Option<&serde_json::Map<String, Value>>,
) -> Vec<CompletionItem> {
    names
        .iter()
        .filter(|n| !has.is_some_and(|h| h.contains_key(**n)))
        .map(|n| CompletionItem {
            documentation: Some(Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: format!("`{n}`"),
            })),
            ..item(n, CompletionItemKind::PROPERTY, "")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"{
  "StartAt": "Load",
  "States": {
    "Load": {"Type": "Pass", "Assign": {"total": 1}, "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true, "Next": ""}], "Default": "Done"},
    "Done": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"v.$": "States."},
      "Retry": [{"ErrorEquals": ["States.ALL"]}],
      "End": true},
    "Boom": {"Type": "Fail", "Error": "My.Error"}
  }
}"#;

    fn labels(v: Vec<CompletionItem>) -> Vec<String> {
        v.into_iter().map(|i| i.label).collect()
    }

    fn at(s: &str) -> usize {
        T.find(s).unwrap() + s.len()
    }

    #[test]
    fn transitions_complete_state_names() {
        let a = Analysis::new("m.asl.json", T.to_string());
        let got = labels(complete(
            &a,
            T,
            at(r#""Next": """#) - 1,
            at(r#""Next": """#) - 1,
        ));
        assert_eq!(got, ["Load", "Done", "Boom"]);
    }

    #[test]
    fn fields_of_the_state_and_only_those() {
        // A new line in Done, where a key goes.
        let t = T.replace("\"End\": true}", "\"End\": true,\n      \"\"}");
        let a = Analysis::new("m.asl.json", t.clone());
        assert!(a.value.is_none(), "the key has no value yet");
        let off = t.find("      \"\"}").unwrap() + 7;
        let got = labels(complete_in(&a, off, None));
        assert!(got.contains(&"TimeoutSeconds".to_string()), "{got:?}");
        assert!(got.contains(&"Catch".to_string()));
        assert!(!got.contains(&"Retry".to_string()), "has it already");
        assert!(!got.contains(&"Choices".to_string()), "not a Task's");
    }

    #[test]
    fn intrinsics_errors_and_variables() {
        let a = Analysis::new("m.asl.json", T.to_string());
        let got = labels(complete(&a, T, at("\"States."), at("\"States.")));
        assert!(got.contains(&"States.Format".to_string()), "{got:?}");
        let got = labels(complete(&a, T, at("[\"States.ALL"), at("[\"States.ALL")));
        assert!(got.contains(&"States.TaskFailed".to_string()), "{got:?}");
        assert!(got.contains(&"My.Error".to_string()), "{got:?}");
        // JSONata in Done: $total assigned by Load, upstream of it.
        let t = T.replace("\"States.\"", "\"{% $t %}\"");
        let a = Analysis::new("m.asl.json", t.clone());
        let off = t.find("$t ").unwrap() + 2;
        let got = labels(complete(&a, &t, off, off));
        assert!(got.contains(&"$total".to_string()) && got.contains(&"$sum".to_string()));
        let off = t.find("$t ").unwrap();
        let t2 = format!("{}$states.{}", &t[..off], &t[off..]);
        let got = labels(complete(&a, &t2, off + 8, off));
        assert_eq!(got, ["input", "result", "errorOutput", "context"]);
        let got = labels(complete(&a, T, at("\"Type\": \""), at("\"Type\": \"")));
        assert!(got.contains(&"Parallel".to_string()));
    }

    fn edit_of(i: &CompletionItem) -> (lsp_types::Range, String) {
        match i.text_edit.as_ref().unwrap() {
            CompletionTextEdit::Edit(e) => (e.range, e.new_text.clone()),
            CompletionTextEdit::InsertAndReplace(_) => unreachable!(),
        }
    }

    #[test]
    fn items_replace_what_is_typed() {
        // `States.Ma|`: the item replaces the whole word, not after it.
        let t = T.replace("\"States.\"", "\"States.Ma\"");
        let a = Analysis::new("m.asl.json", t.clone());
        let off = t.find("States.Ma").unwrap() + 9;
        let got = complete(&a, &t, off, off);
        let add = got.iter().find(|i| i.label == "States.MathAdd").unwrap();
        let (r, new) = edit_of(add);
        let s = a.lines.offset(&t, r.start);
        let e = a.lines.offset(&t, r.end);
        assert_eq!(&t[s..e], "States.Ma");
        assert_eq!(new, "States.MathAdd");
        // In the middle of a quoted name: the whole name is replaced.
        let off = T.find("\"Check\"").unwrap() + 3;
        let a = Analysis::new("m.asl.json", T.to_string());
        let got = complete(&a, T, off, off);
        let (r, _) = edit_of(&got[0]);
        assert_eq!(
            &T[a.lines.offset(T, r.start)..a.lines.offset(T, r.end)],
            "Check"
        );
    }

    #[test]
    fn keys_after_a_closed_array_on_the_same_line() {
        let t = T.replace(
            "\"Retry\": [{\"ErrorEquals\": [\"States.ALL\"]}]",
            "\"Retry\": [{\"ErrorEquals\": [\"States.ALL\"], \"\": 1}]",
        );
        let a = Analysis::new("m.asl.json", t.clone());
        let off = t.find("\"\": 1").unwrap() + 1;
        let got = labels(complete(&a, &t, off, off));
        assert!(got.contains(&"MaxAttempts".to_string()), "{got:?}");
        assert!(!got.contains(&"States.Format".to_string()), "{got:?}");
    }

    #[test]
    fn text_that_does_not_parse_yet() {
        // A string not closed, on a line with no comma after it.
        let t = T.replace("{\"Type\": \"Fail\",", "{\"Type\": \"Fa\n      ");
        let a = Analysis::new("m.asl.json", t.clone());
        assert!(a.value.is_none());
        let off = t.find("\"Fa\n").unwrap() + 3;
        assert!(labels(complete_in(&a, off, None)).contains(&"Fail".to_string()));
        // A key with no value yet: names with their quotes.
        let t = T.replace("\"Default\": \"Done\"", "\"Default\": ");
        let a = Analysis::new("m.asl.json", t.clone());
        let off = t.find("\"Default\": ").unwrap() + 11;
        let got = complete_in(&a, off, None);
        let done = got.iter().find(|i| i.label == "Done").unwrap();
        assert_eq!(edit_of(done).1, "\"Done\"");
        // A comma missing elsewhere: the states of the file as it last parsed.
        let good = Analysis::new("m.asl.json", T.to_string());
        let t = T
            .replace("\"Next\": \"Check\"}", "\"Next\": \"\"}")
            .replace("\"End\": true}", "\"End\": true \"x\": 1}");
        let a = Analysis::new("m.asl.json", t.clone());
        let off = t.find("\"Next\": \"\"}").unwrap() + 9;
        let got = labels(complete_in(&a, off, Some(&good)));
        assert!(got.contains(&"Check".to_string()), "{got:?}");
    }

    #[test]
    fn edits_that_keep_the_text_valid() {
        // The cursor before a name already there: the name is replaced.
        let t = T.to_string();
        let off = t.find("\"Default\": ").unwrap() + 11;
        let a = Analysis::new("m.asl.json", t.clone());
        let got = complete(&a, &t, off, off);
        let (r, new) = edit_of(got.iter().find(|i| i.label == "Load").unwrap());
        let mut out = t.clone();
        out.replace_range(a.lines.offset(&t, r.start)..a.lines.offset(&t, r.end), &new);
        assert!(out.contains("\"Default\": \"Load\"}"), "{out}");
        // `$states.in`: the members, over what is typed.
        let t = T.replace("\"States.\"", "\"{% $states.in %}\"");
        let a = Analysis::new("m.asl.json", t.clone());
        let off = t.find("$states.in").unwrap() + 10;
        assert_eq!(labels(complete(&a, &t, off, off))[0], "input");
        // YAML's `Next:` with no space: one is written.
        let y = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next:\n  B:\n    Type: Succeed\n";
        let a = Analysis::new("m.asl.yaml", y.to_string());
        let off = y.find("Next:").unwrap() + 5;
        let got = complete_in(&a, off, None);
        assert_eq!(
            edit_of(got.iter().find(|i| i.label == "B").unwrap()).1,
            " B"
        );
    }
}
