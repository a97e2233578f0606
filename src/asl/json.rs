//! JSON helpers shared by the language and the engine: numbers that keep their
//! written form (serde_json's `arbitrary_precision`), compact serialisation as
//! AWS writes it into history events, deep equality that treats `1` and `1.0`
//! as the same number, and a source map from JSON pointers to line:column.

use serde_json::{Number, Value};
use std::collections::HashMap;

use super::value::Val;

/// The numeric value of a JSON number as `f64`.
pub fn as_f64(v: &Val) -> Option<f64> {
    v.as_f64()
}

/// An integral JSON number as `i64` (`3` and `3.0` both give 3).
pub fn as_i64(v: &Val) -> Option<i64> {
    let n = v.as_number()?;
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)
    })
}

pub fn num_i64(i: i64) -> Val {
    Val::from(i)
}

/// A number from an `f64`.
pub fn num_f64(f: f64) -> Val {
    Val::from_f64(f)
}

/// Compact JSON as AWS writes payloads into history (no spaces).
pub fn to_compact(v: &Val) -> String {
    v.to_compact()
}

fn num_eq(x: &Number, y: &Number) -> bool {
    if x.to_string() == y.to_string() {
        return true;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(p), Some(q)) => p == q,
        _ => false,
    }
}

/// Deep equality where numbers compare by value.
pub fn json_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => num_eq(x, y),
        (Val::Arr(x), Val::Arr(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| json_eq(p, q))
        }
        (Val::Obj(x), Val::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).map(|w| json_eq(v, w)).unwrap_or(false))
        }
        _ => a == b,
    }
}

/// [`json_eq`] for `serde_json` values.
pub fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| value_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).map(|w| value_eq(v, w)).unwrap_or(false))
        }
        _ => a == b,
    }
}

/// The first place (a JSON pointer, in document order) where `a` and `b`
/// differ, with the value each has there (None: missing). Numbers compare
/// by value, as in [`value_eq`].
pub fn first_difference<'a>(
    a: &'a Value,
    b: &'a Value,
) -> Option<(String, Option<&'a Value>, Option<&'a Value>)> {
    fn walk<'a>(
        a: &'a Value,
        b: &'a Value,
        at: &mut String,
    ) -> Option<(String, Option<&'a Value>, Option<&'a Value>)> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, v) in x {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&pointer_token(k));
                    let found = match y.get(k) {
                        Some(w) => walk(v, w, at),
                        None => Some((at.clone(), Some(v), None)),
                    };
                    if found.is_some() {
                        return found;
                    }
                    at.truncate(len);
                }
                y.iter()
                    .find(|(k, _)| !x.contains_key(*k))
                    .map(|(k, w)| (format!("{at}/{}", pointer_token(k)), None, Some(w)))
            }
            (Value::Array(x), Value::Array(y)) => {
                for i in 0..x.len().max(y.len()) {
                    let len = at.len();
                    at.push_str(&format!("/{i}"));
                    let found = match (x.get(i), y.get(i)) {
                        (Some(v), Some(w)) => walk(v, w, at),
                        (v, w) => Some((at.clone(), v, w)),
                    };
                    if found.is_some() {
                        return found;
                    }
                    at.truncate(len);
                }
                None
            }
            _ if value_eq(a, b) => None,
            _ => Some((at.clone(), Some(a), Some(b))),
        }
    }
    walk(a, b, &mut String::new())
}

/// Name of a JSON type as AWS error texts spell it.
pub fn type_name(v: &Val) -> &'static str {
    match v {
        Val::Null => "null",
        Val::Bool(_) => "boolean",
        Val::Num(_) => "number",
        Val::Str(_) => "string",
        Val::Arr(_) => "array",
        Val::Obj(_) => "object",
    }
}

/// Escape one JSON-pointer token (RFC 6901).
pub fn pointer_token(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['~', '/']) {
        std::borrow::Cow::Owned(s.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A key given twice in one object: its JSON pointer, the line:column of its
/// first and of its second occurrence.
pub type Duplicate = (String, (usize, usize), (usize, usize));

/// 1-based line and column of every value in a JSON text, keyed by JSON pointer.
/// For object members the position is that of the member's key, which is what a
/// person looks for in an editor.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    positions: HashMap<String, (usize, usize)>,
    /// Keys given twice in one object: the pointer, where the key first
    /// stands and where it stands again (JSON parsers keep the last one).
    pub duplicates: Vec<Duplicate>,
}

impl SourceMap {
    /// Every value's pointer and line:column, in no order.
    pub fn positions(&self) -> impl Iterator<Item = (&str, (usize, usize))> {
        self.positions.iter().map(|(p, at)| (p.as_str(), *at))
    }

    pub fn get(&self, pointer: &str) -> Option<(usize, usize)> {
        // Fall back to the closest parent that has a position.
        let mut p = pointer;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// Scan `text` (already known to be valid JSON) and record positions.
    pub fn from_json(text: &str) -> SourceMap {
        let mut s = Scanner::new(text, None);
        s.ws();
        let at = (s.line, s.col);
        s.value(String::new(), at);
        SourceMap {
            positions: s.map,
            duplicates: s.duplicates,
        }
    }

    /// A source map for YAML: positions of mapping keys found by a line scan.
    /// YAML has no cheap exact mapping, so keys are matched by indentation order;
    /// when a key cannot be found the parent's position is used.
    pub fn from_yaml(text: &str, value: &Value) -> SourceMap {
        let mut map = HashMap::new();
        let lines: Vec<&str> = text.lines().collect();
        /// Every pointer inside `v` (below `ptr`) at `at`: a value written
        /// in flow style (`{…}`, `[…]`) on one line has no lines of its own.
        fn all_at(
            v: &Value,
            ptr: &str,
            at: (usize, usize),
            map: &mut HashMap<String, (usize, usize)>,
        ) {
            match v {
                Value::Object(o) => {
                    for (k, child) in o {
                        let p = format!("{ptr}/{}", pointer_token(k));
                        map.insert(p.clone(), at);
                        all_at(child, &p, at, map);
                    }
                }
                Value::Array(a) => {
                    for (i, child) in a.iter().enumerate() {
                        let p = format!("{ptr}/{i}");
                        map.insert(p.clone(), at);
                        all_at(child, &p, at, map);
                    }
                }
                _ => {}
            }
        }
        /// The indentation of `line` (spaces before its text).
        fn indent(line: &str) -> usize {
            line.len() - line.trim_start_matches(' ').len()
        }
        /// A line with nothing to read (blank, or only a comment).
        fn empty(line: &str) -> bool {
            let t = line.trim_start();
            t.is_empty() || t.starts_with('#')
        }
        /// Returns the last line a key of `v` was found on (or `start`):
        /// the next item of a list is looked for after it.
        fn walk(
            v: &Value,
            ptr: String,
            start: usize,
            lines: &[&str],
            map: &mut HashMap<String, (usize, usize)>,
        ) -> usize {
            let mut last = start;
            if let Value::Object(o) = v {
                let mut from = start;
                // The column of this mapping's keys, once one is found: a
                // line less indented ends the mapping (a key not found is
                // not looked for in the rest of the file, nor in the next
                // item of a list).
                let mut keys_at: Option<usize> = None;
                for (k, child) in o {
                    let needle_plain = format!("{k}:");
                    let needle_q = format!("\"{k}\":");
                    let needle_sq = format!("'{k}':");
                    for (li, line) in lines.iter().enumerate().skip(from) {
                        if empty(line) {
                            continue;
                        }
                        if keys_at.is_some_and(|c| indent(line) < c && li > start) {
                            break;
                        }
                        let t = line.trim_start().trim_start_matches("- ");
                        if t.starts_with(&needle_plain)
                            || t.starts_with(&needle_q)
                            || t.starts_with(&needle_sq)
                        {
                            let col = line.len() - t.len() + 1;
                            keys_at.get_or_insert(col - 1);
                            let p = format!("{ptr}/{}", pointer_token(k));
                            map.insert(p.clone(), (li + 1, col));
                            // A flow value (`key: {…}` / `key: […]`) has no
                            // lines of its own: its members take its position.
                            let value = t.split_once(':').map_or("", |x| x.1).trim_start();
                            let flow = value.starts_with('{') || value.starts_with('[');
                            let end = if flow {
                                all_at(child, &p, (li + 1, col), map);
                                li
                            } else {
                                walk(child, p, li, lines, map)
                            };
                            last = last.max(end).max(li);
                            from = li + 1;
                            break;
                        }
                    }
                }
            } else if let Value::Array(a) = v {
                let mut from = start;
                for (i, child) in a.iter().enumerate() {
                    let p = format!("{ptr}/{i}");
                    // An item written in flow style on its own line
                    // (`- {Variable: $.x, Next: A}`): it and all it holds
                    // are on that line.
                    let next = (from..lines.len())
                        .find(|&li| !empty(lines[li]) && lines[li].trim_start().starts_with('-'));
                    if let Some(li) = next {
                        let t = lines[li].trim_start();
                        if let Some(item) = t.strip_prefix("- ") {
                            let item = item.trim_start();
                            let col = lines[li].len() - item.len() + 1;
                            if item.starts_with('{') || item.starts_with('[') {
                                map.insert(p.clone(), (li + 1, col));
                                all_at(child, &p, (li + 1, col), map);
                                last = last.max(li);
                                from = li + 1;
                                continue;
                            }
                            // A block item: it starts where its text does.
                            map.insert(p.clone(), (li + 1, col));
                        }
                    }
                    let end = walk(child, p, from, lines, map);
                    if end > from || (end == from && child.is_object()) {
                        from = end + 1;
                    }
                    last = last.max(end);
                }
            }
            last
        }
        map.insert(String::new(), (1, 1));
        walk(value, String::new(), 0, &lines, &mut map);
        SourceMap {
            positions: map,
            // The YAML reader refuses duplicate keys itself.
            duplicates: Vec::new(),
        }
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    col: usize,
    map: HashMap<String, (usize, usize)>,
    duplicates: Vec<Duplicate>,
    /// The value whose byte range [`value_span`] looks for, and the range.
    want: Option<String>,
    span: Option<(usize, usize)>,
}

impl Scanner<'_> {
    /// A scanner at the start of `text`, looking for the value at `want`.
    fn new<'a>(text: &'a str, want: Option<&str>) -> Scanner<'a> {
        Scanner {
            b: text.as_bytes(),
            i: 0,
            line: 1,
            col: 1,
            map: HashMap::new(),
            duplicates: Vec::new(),
            want: want.map(str::to_string),
            span: None,
        }
    }

    fn bump(&mut self) {
        if self.i < self.b.len() {
            if self.b[self.i] == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if self.b[self.i] & 0xC0 != 0x80 {
                self.col += 1;
            }
            self.i += 1;
        }
    }
    fn peek(&self) -> u8 {
        *self.b.get(self.i).unwrap_or(&0)
    }
    fn ws(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            self.bump();
        }
    }
    fn string(&mut self) -> String {
        let start = self.i;
        self.bump(); // opening quote
        while self.i < self.b.len() && self.peek() != b'"' {
            if self.peek() == b'\\' {
                self.bump();
            }
            self.bump();
        }
        self.bump();
        let raw = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("\"\"");
        serde_json::from_str::<String>(raw).unwrap_or_default()
    }
    fn value(&mut self, ptr: String, at: (usize, usize)) {
        let start = self.i;
        if self.want.as_deref() == Some(ptr.as_str()) {
            self.value_here(ptr, at);
            self.span = Some((start, self.i));
        } else {
            self.value_here(ptr, at);
        }
    }
    fn value_here(&mut self, ptr: String, at: (usize, usize)) {
        self.map.insert(ptr.clone(), at);
        match self.peek() {
            b'{' => {
                self.bump();
                let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
                loop {
                    self.ws();
                    if self.peek() == b'}' || self.i >= self.b.len() {
                        self.bump();
                        break;
                    }
                    let key_at = (self.line, self.col);
                    let key = self.string();
                    if let Some(first) = seen.insert(key.clone(), key_at) {
                        self.duplicates.push((
                            format!("{ptr}/{}", pointer_token(&key)),
                            first,
                            key_at,
                        ));
                    }
                    self.ws();
                    self.bump(); // ':'
                    self.ws();
                    self.value(format!("{ptr}/{}", pointer_token(&key)), key_at);
                    self.ws();
                    if self.peek() == b',' {
                        self.bump();
                    }
                }
            }
            b'[' => {
                self.bump();
                let mut idx = 0;
                loop {
                    self.ws();
                    if self.peek() == b']' || self.i >= self.b.len() {
                        self.bump();
                        break;
                    }
                    let el_at = (self.line, self.col);
                    self.value(format!("{ptr}/{idx}"), el_at);
                    idx += 1;
                    self.ws();
                    if self.peek() == b',' {
                        self.bump();
                    }
                }
            }
            b'"' => {
                self.string();
            }
            _ => {
                while self.i < self.b.len()
                    && !matches!(
                        self.peek(),
                        b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'
                    )
                {
                    self.bump();
                }
            }
        }
    }
}

/// The byte range of the value at `pointer` in `text` (valid JSON).
pub fn value_span(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let mut s = Scanner::new(text, Some(pointer));
    s.ws();
    s.value(String::new(), (1, 1));
    s.span
}

/// `text` (valid JSON) with the value at `pointer` replaced by `new`, the
/// rest of the text as it was: `new` is written with the file's own indent
/// unit and line ends, under the indentation of the line it starts on.
pub fn replace_value(text: &str, pointer: &str, new: &Value) -> Option<String> {
    let (start, end) = value_span(text, pointer)?;
    let style = super::splice::Style::of(text);
    let written = style.pretty(new, super::splice::indent_of(text, start))?;
    Some(format!("{}{written}{}", &text[..start], &text[end..]))
}

/// Parse JSON text with a readable error: `file:line:column: message`.
pub fn parse_json(text: &str, file: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "{file}:{}:{}: invalid JSON: {}",
            e.line(),
            e.column(),
            strip_pos(&e.to_string())
        )
    })
}

fn strip_pos(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_keep_their_written_form() {
        let v = Val::parse(r#"{"a":0.0,"b":1e2,"c":10000000000000000000000}"#).unwrap();
        assert_eq!(
            to_compact(&v),
            r#"{"a":0.0,"b":1e+2,"c":10000000000000000000000}"#
        );
    }

    #[test]
    fn json_eq_compares_numbers_by_value() {
        assert!(json_eq(
            &Val::from(json!({"a": [1]})),
            &Val::parse(r#"{"a":[1.0]}"#).unwrap()
        ));
        assert!(!json_eq(&Val::from(json!(1)), &Val::from(json!("1"))));
        assert!(value_eq(
            &json!([1]),
            &serde_json::from_str(r#"[1.0]"#).unwrap()
        ));
    }

    #[test]
    fn duplicate_keys_are_noticed_by_the_parse_as_by_the_source_map() {
        let has_duplicate_keys =
            |t: &str| crate::asl::parse::parse::<Value>(t).is_ok_and(|(_, twice)| twice);
        let many: String = (0..40).map(|i| format!("\"k{i}\": {i},")).collect();
        let cases = [
            (r#"{"a": 1, "b": {"a": 2}}"#, false),
            (r#"[{"a": 1}, {"a": 2}]"#, false),
            (r#"{"a": 1, "b": 2, "a": 3}"#, true),
            (r#"{"a": 1, "\u0061": 2}"#, true),
            (
                r#"{"x": "{\"a\": 1, \"a\": 2}", "y": "}", "z": ["a", "a"]}"#,
                false,
            ),
            (r#"{"o": {"p": [1, {"q": 1, "q": 2}]}}"#, true),
            (r#"{"a\"b": 1, "a\"b": 2}"#, true),
            (r#"{"a\\": 1, "b": {"a\\": 2}, "c": "\\"}"#, false),
            (r#"{"a\\": 1, "b": 2, "a\\": 3}"#, true),
        ];
        for (text, dup) in cases {
            assert_eq!(has_duplicate_keys(text), dup, "{text}");
            assert_eq!(
                !SourceMap::from_json(text).duplicates.is_empty(),
                dup,
                "{text}"
            );
        }
        // Large objects.
        let text = format!("{{{many} \"k3\": 0}}");
        assert!(has_duplicate_keys(&text));
        let text = format!("{{{many} \"last\": 0}}");
        assert!(!has_duplicate_keys(&text));
        // An object inside a large one has its own keys.
        let text = format!("{{{many} \"in\": {{\"k1\": 1, \"k2\": 2}}, \"last\": 0}}");
        assert!(!has_duplicate_keys(&text));
        let text = format!("{{{many} \"in\": {{\"k1\": 1, \"k1\": 2}}}}");
        assert!(has_duplicate_keys(&text));
        let text = format!("{{\"in\": {{{many} \"z\": 1}}, \"k1\": 0, \"in\": 2}}");
        assert!(has_duplicate_keys(&text));
    }

    #[test]
    fn source_map_points_at_keys() {
        let text = "{\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\"}\n  }\n}";
        let m = SourceMap::from_json(text);
        assert_eq!(m.get("/States"), Some((2, 3)));
        assert_eq!(m.get("/States/A/Type"), Some((3, 11)));
        assert_eq!(m.get("/States/A/Missing"), Some((3, 5)));
    }

    #[test]
    fn keys_given_twice_are_found_with_both_positions() {
        let text = "{\"States\": {\n  \"A\": 1,\n  \"B\": {\"x\": 1, \"x\": 2},\n  \"A\": 3}}";
        let m = SourceMap::from_json(text);
        assert_eq!(
            m.duplicates,
            vec![
                ("/States/B/x".to_string(), (3, 9), (3, 17)),
                ("/States/A".to_string(), (2, 3), (4, 3)),
            ]
        );
    }

    #[test]
    fn parse_errors_name_file_and_position() {
        let e = parse_json("{\n  \"a\": ,\n}", "x.json").unwrap_err();
        assert!(e.starts_with("x.json:2:8:"), "{e}");
    }

    #[test]
    fn one_value_is_rewritten_and_the_rest_of_the_text_kept() {
        let text = "{\n    \"StartAt\": \"A\",  \"Comment\" : \"keep  me\",\n    \"States\": {\n        \"A\": {\"Type\": \"Pass\", \"End\": true},\n        \"B\": {\"Type\": \"Succeed\"}\n    }\n}\n";
        let (a, b) = value_span(text, "/States/A").unwrap();
        assert_eq!(&text[a..b], "{\"Type\": \"Pass\", \"End\": true}");
        let (a, b) = value_span(text, "/Comment").unwrap();
        assert_eq!(&text[a..b], "\"keep  me\"");
        assert_eq!(value_span(text, "/States/C"), None);
        let out = replace_value(
            text,
            "/States/A",
            &json!({"Type": "Pass", "Result": 1, "End": true}),
        )
        .unwrap();
        // The file's four-space unit, under the line's own indentation;
        // everything else byte for byte.
        assert_eq!(
            out,
            "{\n    \"StartAt\": \"A\",  \"Comment\" : \"keep  me\",\n    \"States\": {\n        \"A\": {\n            \"Type\": \"Pass\",\n            \"Result\": 1,\n            \"End\": true\n        },\n        \"B\": {\"Type\": \"Succeed\"}\n    }\n}\n"
        );
        let crlf = text.replace('\n', "\r\n");
        let out = replace_value(&crlf, "/States/B", &json!({"Type": "Fail"})).unwrap();
        assert!(
            out.contains("\"B\": {\r\n            \"Type\": \"Fail\"\r\n        }"),
            "{out}"
        );
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap()["States"]["B"]["Type"],
            "Fail"
        );
    }

    #[test]
    fn the_first_difference_is_found_in_document_order() {
        let a = json!({"x": 1, "y": {"z": [1, 2, 3]}, "w": true});
        let b = json!({"x": 1.0, "y": {"z": [1, 5]}, "w": false});
        let (at, was, now) = first_difference(&a, &b).unwrap();
        assert_eq!(at, "/y/z/1");
        assert_eq!((was, now), (Some(&json!(2)), Some(&json!(5))));
        let (x, y) = (json!({"a": 1}), json!({"a": 1, "b": 2}));
        let (at, was, now) = first_difference(&x, &y).unwrap();
        assert_eq!((at.as_str(), was, now), ("/b", None, Some(&json!(2))));
        assert_eq!(first_difference(&a, &a.clone()), None);
    }
}
