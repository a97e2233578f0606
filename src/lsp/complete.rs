//! Completion: what may be written where the cursor is — state names in
//! transitions, the fields a state of its type and query language may have,
//! `Type` values, error names, intrinsic and JSONata functions, `$states`
//! members and the variables assigned upstream.

use super::analysis::Analysis;
use crate::asl::model::{state_fields, QueryLanguage};
use lsp_types::{CompletionItem, CompletionItemKind, Documentation, MarkupContent, MarkupKind};
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

/// JSONata's functions (those AWS provides, its own additions included).
pub const JSONATA: &[(&str, &str)] = &[
    ("$sum", "(array) → number"),
    ("$count", "(array) → number"),
    ("$max", "(array) → number"),
    ("$min", "(array) → number"),
    ("$average", "(array) → number"),
    ("$string", "(value[, prettify]) → string"),
    ("$substring", "(str, start[, length]) → string"),
    ("$substringBefore", "(str, chars) → string"),
    ("$substringAfter", "(str, chars) → string"),
    ("$uppercase", "(str) → string"),
    ("$lowercase", "(str) → string"),
    ("$length", "(str) → number"),
    ("$trim", "(str) → string"),
    ("$pad", "(str, width[, char]) → string"),
    ("$contains", "(str, pattern) → boolean"),
    ("$split", "(str, separator[, limit]) → array"),
    ("$join", "(array[, separator]) → string"),
    ("$match", "(str, pattern[, limit]) → array"),
    ("$replace", "(str, pattern, replacement[, limit]) → string"),
    ("$eval", "(expr[, context]) → value"),
    ("$base64encode", "(str) → string"),
    ("$base64decode", "(str) → string"),
    ("$encodeUrlComponent", "(str) → string"),
    ("$encodeUrl", "(str) → string"),
    ("$decodeUrlComponent", "(str) → string"),
    ("$decodeUrl", "(str) → string"),
    ("$number", "(arg) → number"),
    ("$abs", "(number) → number"),
    ("$floor", "(number) → number"),
    ("$ceil", "(number) → number"),
    ("$round", "(number[, precision]) → number"),
    ("$power", "(base, exponent) → number"),
    ("$sqrt", "(number) → number"),
    (
        "$random",
        "([seed]) → number in [0, 1) (AWS: an optional seed)",
    ),
    ("$formatNumber", "(number, picture[, options]) → string"),
    ("$formatBase", "(number[, radix]) → string"),
    ("$formatInteger", "(number, picture) → string"),
    ("$parseInteger", "(string, picture) → number"),
    ("$boolean", "(arg) → boolean"),
    ("$not", "(arg) → boolean"),
    ("$exists", "(arg) → boolean"),
    ("$append", "(array1, array2) → array"),
    ("$reverse", "(array) → array"),
    ("$shuffle", "(array) → array"),
    ("$distinct", "(array) → array"),
    ("$sort", "(array[, function]) → array"),
    ("$zip", "(array1, ...) → array"),
    ("$keys", "(object) → array"),
    ("$lookup", "(object, key) → value"),
    ("$spread", "(object) → array"),
    ("$merge", "(array<object>) → object"),
    ("$sift", "(object, function) → object"),
    ("$each", "(object, function) → array"),
    ("$error", "(message) → fails the evaluation"),
    ("$assert", "(condition, message) → fails when false"),
    ("$type", "(value) → string"),
    ("$map", "(array, function) → array"),
    ("$filter", "(array, function) → array"),
    ("$single", "(array, function) → value"),
    ("$reduce", "(array, function[, init]) → value"),
    ("$now", "([picture[, timezone]]) → timestamp string"),
    ("$millis", "() → number"),
    ("$fromMillis", "(number[, picture[, timezone]]) → string"),
    ("$toMillis", "(timestamp[, picture]) → number"),
    ("$partition", "(array, size) → chunks of size (AWS)"),
    ("$range", "(start, end, step) → numbers (AWS)"),
    (
        "$hash",
        "(data[, algorithm]) → hex digest (AWS): MD5, SHA-1, SHA-256, …",
    ),
    ("$uuid", "() → a version 4 UUID (AWS)"),
    ("$parse", "(json_string) → the value it holds (AWS)"),
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
const RETRIER_FIELDS: &[&str] = &[
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
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
/// string not closed): it is completed in the text made whole.
pub fn complete_in(a: &Analysis, offset: usize) -> Vec<CompletionItem> {
    let text = &a.text;
    let offset = offset.min(text.len());
    if a.value.is_some() {
        return complete(a, text, offset);
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let (mended, at) = if is_key_position(before) {
        let key_start = line_start + (before.len() - before.trim_start().len());
        let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'"';
        let end = offset + text[offset..].bytes().take_while(word).count();
        let rest = &text[end..];
        let mut t = text[..key_start].to_string();
        if a.yaml {
            t.push_str("__k: 0");
        } else {
            t.push_str("\"__k\": 0");
            if rest.trim_start().starts_with('"') {
                t.push(',');
            }
        }
        t.push_str(rest);
        (t, key_start + 1)
    } else {
        // An open string: closed where the cursor is.
        let rest_of_line = text[offset..].split('\n').next().unwrap_or("");
        if rest_of_line.trim_start().starts_with('"') {
            return Vec::new();
        }
        (format!("{}\"{}", &text[..offset], &text[offset..]), offset)
    };
    let b = Analysis::parsed(&a.path, mended);
    if b.value.is_none() {
        return Vec::new();
    }
    // Completed as typed: the prefix is the original one.
    complete(&b, text, at.min(offset)).into_iter().collect()
}

/// What the cursor at `offset` of `text` may complete. `a` is the file as
/// last parsed (the text itself when it parses): where its states are.
pub fn complete(a: &Analysis, text: &str, offset: usize) -> Vec<CompletionItem> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let state = a.index.state_at(offset);
    // Inside `{% … %}`: JSONata.
    if let Some(open) = before.rfind("{%") {
        if !before[open..].contains("%}") {
            return jsonata(a, state, &before[open + 2..]);
        }
    }
    if let Some((key, partial)) = member_value(before) {
        return match key.as_str() {
            "Next" | "Default" | "StartAt" => state_names(a, offset, state, &key),
            "Type" => TYPES
                .iter()
                .map(|(t, d)| item(t, CompletionItemKind::ENUM_MEMBER, d))
                .collect(),
            "QueryLanguage" => ["JSONPath", "JSONata"]
                .iter()
                .map(|t| item(t, CompletionItemKind::ENUM_MEMBER, ""))
                .collect(),
            "JitterStrategy" => ["FULL", "NONE"]
                .iter()
                .map(|t| item(t, CompletionItemKind::ENUM_MEMBER, ""))
                .collect(),
            "ErrorEquals" => errors(a),
            _ => path_value(a, state, &partial),
        };
    }
    // An item of ErrorEquals on a line of its own.
    if let Some((p, _)) = a.places.at(offset) {
        if p.contains("/ErrorEquals") {
            return errors(a);
        }
    }
    if is_key_position(before) {
        return fields(a, offset, state);
    }
    Vec::new()
}

/// When `before` ends inside a member's value (`"Key": "partia` in JSON,
/// `Key: partia` in YAML, `["x", "partia` after `"ErrorEquals":`): the key
/// and what is typed of the value.
fn member_value(before: &str) -> Option<(String, String)> {
    // JSON: the last `"Key": "` whose string is still open.
    let quotes = before.matches('"').count() - before.matches("\\\"").count();
    if quotes % 2 == 1 {
        let open = before.rfind('"')?;
        let partial = before[open + 1..].to_string();
        let head = before[..open].trim_end();
        if let Some(h) = head.strip_suffix(':') {
            let h = h.trim_end().strip_suffix('"')?;
            let k = h.rfind('"')?;
            return Some((h[k + 1..].to_string(), partial));
        }
        // An array item: the key before the open bracket.
        let bracket = head.rfind('[')?;
        let h = head[..bracket].trim_end().strip_suffix(':')?;
        let h = h.trim_end().strip_suffix('"')?;
        let k = h.rfind('"')?;
        return Some((h[k + 1..].to_string(), partial));
    }
    // YAML: `Key: partial` (the key plain or quoted).
    let t = before.trim_start().trim_start_matches("- ");
    let (k, v) = t.split_once(':')?;
    let k = k.trim().trim_matches(|c| c == '"' || c == '\'');
    if k.is_empty() || k.contains(' ') || before.trim_start().starts_with('"') {
        return None;
    }
    let v = v.trim_start().trim_start_matches(['"', '\'', '[']);
    let v = v.rsplit([',', ' ']).next().unwrap_or(v);
    Some((k.to_string(), v.trim_start_matches(['"', '\'']).to_string()))
}

/// Whether `before` is where an object's member name goes.
fn is_key_position(before: &str) -> bool {
    let t = before.trim_start();
    let t = t.strip_prefix('"').unwrap_or(t);
    let t = t.strip_prefix("- ").unwrap_or(t);
    t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
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
        out.extend(INTRINSICS.iter().map(|(n, sig)| CompletionItem {
            insert_text: Some(format!("{n}(")),
            ..item(n, CompletionItemKind::FUNCTION, sig)
        }));
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
    let mut out: Vec<CompletionItem> = JSONATA
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
        let got = labels(complete(&a, T, at(r#""Next": """#) - 1));
        assert_eq!(got, ["Load", "Done", "Boom"]);
    }

    #[test]
    fn fields_of_the_state_and_only_those() {
        // A new line in Done, where a key goes.
        let t = T.replace("\"End\": true}", "\"End\": true,\n      \"\"}");
        let a = Analysis::new("m.asl.json", t.clone());
        assert!(a.value.is_none(), "the key has no value yet");
        let off = t.find("      \"\"}").unwrap() + 7;
        let got = labels(complete_in(&a, off));
        assert!(got.contains(&"TimeoutSeconds".to_string()), "{got:?}");
        assert!(got.contains(&"Catch".to_string()));
        assert!(!got.contains(&"Retry".to_string()), "has it already");
        assert!(!got.contains(&"Choices".to_string()), "not a Task's");
    }

    #[test]
    fn intrinsics_errors_and_variables() {
        let a = Analysis::new("m.asl.json", T.to_string());
        let got = labels(complete(&a, T, at("\"States.")));
        assert!(got.contains(&"States.Format".to_string()), "{got:?}");
        let got = labels(complete(&a, T, at("[\"States.ALL")));
        assert!(got.contains(&"States.TaskFailed".to_string()), "{got:?}");
        assert!(got.contains(&"My.Error".to_string()), "{got:?}");
        // JSONata in Done: $total assigned by Load, upstream of it.
        let t = T.replace("\"States.\"", "\"{% $t %}\"");
        let a = Analysis::new("m.asl.json", t.clone());
        let off = t.find("$t ").unwrap() + 2;
        let got = labels(complete(&a, &t, off));
        assert!(got.contains(&"$total".to_string()) && got.contains(&"$sum".to_string()));
        let off = t.find("$t ").unwrap();
        let t2 = format!("{}$states.{}", &t[..off], &t[off..]);
        let got = labels(complete(&a, &t2, off + 8));
        assert_eq!(got, ["input", "result", "errorOutput", "context"]);
        let got = labels(complete(&a, T, at("\"Type\": \"")));
        assert!(got.contains(&"Parallel".to_string()));
    }
}
