//! Writing a changed value back into a JSON file with the fewest bytes
//! changed: the members and elements the new value keeps are left as they
//! are written (their spacing, escapes, number forms, tabs and line ends);
//! only what changed is written again, in the file's own indent unit and
//! line ends. This is what `e` on the ASL tab writes back with.

use serde_json::Value;

/// Where a value is written in the text: its byte range, and for a
/// container, where its members or elements are.
#[derive(Debug)]
enum Span {
    Object {
        start: usize,
        end: usize,
        /// Each member: its key (decoded), where the key starts, its value.
        members: Vec<(String, usize, Span)>,
    },
    Array {
        start: usize,
        end: usize,
        items: Vec<Span>,
    },
    Scalar {
        start: usize,
        end: usize,
    },
}

impl Span {
    fn range(&self) -> (usize, usize) {
        match self {
            Span::Object { start, end, .. }
            | Span::Array { start, end, .. }
            | Span::Scalar { start, end } => (*start, *end),
        }
    }
}

/// A recursive descent over text already known to be valid JSON.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    /// How deep containers nest here: a file nested deeper than this is
    /// written back whole (no stack is spent on it).
    depth: usize,
}

const MAX_DEPTH: usize = 256;

impl Scan<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn string(&mut self) -> Option<(usize, usize)> {
        let start = self.i;
        self.eat(b'"')?;
        loop {
            match self.b.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some((start, self.i));
                }
                _ => self.i += 1,
            }
        }
    }

    fn value(&mut self) -> Option<Span> {
        let start = self.i;
        match self.b.get(self.i)? {
            b'{' | b'[' if self.depth >= MAX_DEPTH => None,
            b'{' => {
                self.i += 1;
                self.depth += 1;
                let mut members = Vec::new();
                self.ws();
                if self.eat(b'}').is_none() {
                    loop {
                        self.ws();
                        let (ks, ke) = self.string()?;
                        let key: String = serde_json::from_slice(&self.b[ks..ke]).ok()?;
                        self.ws();
                        self.eat(b':')?;
                        self.ws();
                        let v = self.value()?;
                        members.push((key, ks, v));
                        self.ws();
                        if self.eat(b',').is_none() {
                            self.eat(b'}')?;
                            break;
                        }
                    }
                }
                self.depth -= 1;
                Some(Span::Object {
                    start,
                    end: self.i,
                    members,
                })
            }
            b'[' => {
                self.i += 1;
                self.depth += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b']').is_none() {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        if self.eat(b',').is_none() {
                            self.eat(b']')?;
                            break;
                        }
                    }
                }
                self.depth -= 1;
                Some(Span::Array {
                    start,
                    end: self.i,
                    items,
                })
            }
            b'"' => {
                let (s, e) = self.string()?;
                Some(Span::Scalar { start: s, end: e })
            }
            _ => {
                while matches!(
                    self.b.get(self.i),
                    Some(b'-' | b'+' | b'.' | b'0'..=b'9' | b'e' | b'E' | b'a'..=b'z')
                ) {
                    self.i += 1;
                }
                (self.i > start).then_some(Span::Scalar { start, end: self.i })
            }
        }
    }
}

/// The span of the value at `pointer` within `root`.
fn find<'s>(root: &'s Span, pointer: &str) -> Option<&'s Span> {
    if pointer.is_empty() {
        return Some(root);
    }
    let mut at = root;
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        at = match at {
            // The last of duplicate keys is the one that counts.
            Span::Object { members, .. } => &members.iter().rev().find(|(k, _, _)| *k == token)?.2,
            Span::Array { items, .. } => items.get(token.parse::<usize>().ok()?)?,
            Span::Scalar { .. } => return None,
        };
    }
    Some(at)
}

/// How the file is written: its indent unit and line end.
pub(crate) struct Style {
    unit: String,
    eol: &'static str,
}

impl Style {
    pub(crate) fn of(text: &str) -> Style {
        // The indent unit: the smallest indentation a line of the file has.
        let unit = text
            .lines()
            .map(|l| {
                l.chars()
                    .take_while(|c| *c == ' ' || *c == '\t')
                    .collect::<String>()
            })
            .filter(|w| !w.is_empty())
            .min_by_key(|w| w.len())
            .unwrap_or_else(|| "  ".to_string());
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Style { unit, eol }
    }

    /// `v` pretty-printed to stand where a line indented `base` goes on.
    pub(crate) fn pretty(&self, v: &Value, base: &str) -> Option<String> {
        use serde::Serialize;
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(self.unit.as_bytes());
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        v.serialize(&mut ser).ok()?;
        let pretty = String::from_utf8(buf).ok()?;
        Some(pretty.replace('\n', &format!("{}{base}", self.eol)))
    }
}

/// The whitespace that starts the line `at` is on.
pub(crate) fn indent_of(text: &str, at: usize) -> &str {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let rest = &text[line_start..];
    &rest[..rest.len() - rest.trim_start_matches([' ', '\t']).len()]
}

/// `v` on one line, as people write it there: `{"a": 1, "b": [1, 2]}`.
fn one_line(v: &Value) -> String {
    match v {
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(one_line).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(o) => {
            let members: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), one_line(v)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

/// One change to the text: bytes `start..end` become `with`.
type Edit = (usize, usize, String);

/// The edits that turn the value written at `span` into `new`.
fn edits(text: &str, span: &Span, new: &Value, style: &Style, out: &mut Vec<Edit>) -> Option<()> {
    let (start, end) = span.range();
    let old: Value = serde_json::from_str(&text[start..end]).ok()?;
    if super::json::value_eq(&old, new) {
        return Some(());
    }
    // Written again whole: on one line where it was on one line.
    let whole = |out: &mut Vec<Edit>| -> Option<()> {
        let written = if text[start..end].contains('\n') {
            style.pretty(new, indent_of(text, start))?
        } else {
            one_line(new)
        };
        out.push((start, end, written));
        Some(())
    };
    match (span, new) {
        (Span::Object { members, .. }, Value::Object(nm)) if !members.is_empty() => {
            // A member written twice: which one counts is the reader's; the
            // object is written again whole.
            let mut keys = std::collections::HashSet::new();
            if !members.iter().all(|(k, _, _)| keys.insert(k.as_str())) {
                return whole(out);
            }
            let kept: Vec<bool> = members.iter().map(|(k, _, _)| nm.contains_key(k)).collect();
            if !kept.iter().any(|k| *k) {
                return whole(out);
            };
            // Members kept: changed in place.
            for ((k, _, v), keep) in members.iter().zip(&kept) {
                if *keep {
                    edits(text, v, &nm[k], style, out)?;
                }
            }
            // Members gone: each run of them, with the comma that joined it
            // to the member after it (or, at the end, before it).
            let mut i = 0;
            while i < members.len() {
                if kept[i] {
                    i += 1;
                    continue;
                }
                let j = (i..members.len())
                    .find(|x| kept[*x])
                    .unwrap_or(members.len());
                if j < members.len() {
                    out.push((members[i].1, members[j].1, String::new()));
                } else {
                    out.push((
                        members[i - 1].2.range().1,
                        members[j - 1].2.range().1,
                        String::new(),
                    ));
                }
                i = j;
            }
            // Members added: where they stand among the kept ones (after
            // the kept member before them, else before the first kept one),
            // one to a line as their siblings are (or on their line, when
            // they share one).
            let first_key = members[0].1;
            let one_line = !text[start..first_key].contains('\n');
            let base = indent_of(text, first_key);
            let member = |k: &str, v: &Value| -> Option<String> {
                let key = serde_json::to_string(k).ok()?;
                let value = if one_line {
                    serde_json::to_string(v).ok()?
                } else {
                    style.pretty(v, base)?
                };
                Some(format!("{key}: {value}"))
            };
            let sep = if one_line {
                " ".to_string()
            } else {
                format!("{}{base}", style.eol)
            };
            let end_of = |k: &str| {
                members
                    .iter()
                    .find(|(m, _, _)| m == k)
                    .map(|m| m.2.range().1)
            };
            let mut anchor: Option<usize> = None;
            let mut before_first = String::new();
            let mut after: Vec<(usize, String)> = Vec::new();
            for (k, v) in nm {
                if keys.contains(k.as_str()) {
                    anchor = end_of(k);
                    continue;
                }
                let m = member(k, v)?;
                match anchor {
                    Some(at) => match after.last_mut() {
                        Some((a, text)) if *a == at => text.push_str(&format!(",{sep}{m}")),
                        _ => after.push((at, format!(",{sep}{m}"))),
                    },
                    None => before_first.push_str(&format!("{m},{sep}")),
                }
            }
            if !before_first.is_empty() {
                let at = members[kept.iter().position(|k| *k).unwrap_or(0)].1;
                out.push((at, at, before_first));
            }
            for (at, text) in after {
                out.push((at, at, text));
            }
            Some(())
        }
        (Span::Array { items, .. }, Value::Array(na)) if items.len() == na.len() => {
            for (s, v) in items.iter().zip(na) {
                edits(text, s, v, style, out)?;
            }
            Some(())
        }
        _ => whole(out),
    }
}

/// `text` (valid JSON) with the value at `pointer` made `new`, changing as
/// few bytes as it can: the members and elements `new` keeps stay byte for
/// byte (a value equal in JSON, such as `1e3` and `1000` or `"\u00e9"` and
/// `"é"`, is kept as written). `None`: nothing at `pointer`.
pub fn write_at(text: &str, pointer: &str, new: &Value) -> Option<String> {
    let mut scan = Scan {
        b: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    scan.ws();
    let style = Style::of(text);
    let root = scan.value();
    let Some(root) = root else {
        // Nested too deep to look inside: the value written again whole.
        return super::json::replace_value(text, pointer, new);
    };
    let span = find(&root, pointer)?;
    let mut out = Vec::new();
    if edits(text, span, new, &style, &mut out).is_none() {
        return super::json::replace_value(text, pointer, new);
    }
    // From the end, so that each edit's offsets still hold; at one place an
    // insertion goes after what is removed there.
    out.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    let mut s = text.to_string();
    for (a, b, with) in out {
        s.replace_range(a..b, &with);
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A file written the way people write them: a one-line Result, escapes,
    /// an exponent, tabs, CRLF, odd spacing, a trailing newline.
    const FILE: &str = "{\r\n\t\"Comment\": \"caf\\u00e9\",\r\n\t\"StartAt\": \"A\",\r\n\t\"States\": {\r\n\t\t\"A\": {\r\n\t\t\t\"Type\": \"Pass\",\r\n\t\t\t\"Result\": {\"n\": 1e3, \"s\": \"\\u00e9\", \"l\": [1, 2]},\r\n\t\t\t\"ResultPath\" :  \"$.r\",\r\n\t\t\t\"Next\": \"B\"\r\n\t\t},\r\n\t\t\"B\": {\"Type\": \"Succeed\"}\r\n\t}\r\n}\r\n";

    fn state_a() -> Value {
        serde_json::from_str::<Value>(FILE).unwrap()["States"]["A"].clone()
    }

    #[test]
    fn an_unchanged_value_is_written_back_byte_for_byte() {
        // What the editor gives back parses to equal JSON: `1e3` as 1000,
        // `\u00e9` as é. Nothing changes.
        let v = json!({"Type": "Pass", "Result": {"n": 1000, "s": "é", "l": [1, 2]}, "ResultPath": "$.r", "Next": "B"});
        assert_eq!(write_at(FILE, "/States/A", &v).unwrap(), FILE);
        assert_eq!(write_at(FILE, "/States/A", &state_a()).unwrap(), FILE);
    }

    #[test]
    fn only_the_members_edited_change() {
        let mut v = state_a();
        v["ResultPath"] = json!("$.out");
        let out = write_at(FILE, "/States/A", &v).unwrap();
        assert_eq!(out, FILE.replace("\"$.r\"", "\"$.out\""));
        // Deep inside the one-line Result: only that number.
        let mut v = state_a();
        v["Result"]["l"][1] = json!(5);
        let out = write_at(FILE, "/States/A", &v).unwrap();
        assert_eq!(out, FILE.replace("[1, 2]", "[1, 5]"));
    }

    #[test]
    fn members_added_and_removed_keep_the_rest_and_the_files_style() {
        // Removed in the middle, at the end, and added.
        let v = json!({"Type": "Pass", "Result": {"n": 1000, "s": "é", "l": [1, 2]}, "Next": "B", "Comment": "new"});
        let out = write_at(FILE, "/States/A", &v).unwrap();
        assert_eq!(
            out,
            FILE.replace("\t\t\t\"ResultPath\" :  \"$.r\",\r\n", "")
                .replace(
                    "\"Next\": \"B\"\r\n\t\t}",
                    "\"Next\": \"B\",\r\n\t\t\t\"Comment\": \"new\"\r\n\t\t}"
                )
        );
        let written = serde_json::from_str::<Value>(&out).unwrap();
        assert!(crate::asl::json::value_eq(&written["States"]["A"], &v));
        // The last member removed: the comma before it goes with it.
        let v = json!({"Type": "Pass", "Result": {"n": 1000, "s": "é", "l": [1, 2]}, "ResultPath": "$.r"});
        let out = write_at(FILE, "/States/A", &v).unwrap();
        assert_eq!(out, FILE.replace(",\r\n\t\t\t\"Next\": \"B\"", ""));
        // The first removed, on a one-line object; one added beside.
        let v = json!({"s": "é", "l": [1, 2], "x": true});
        let out = write_at(FILE, "/States/A/Result", &v).unwrap();
        assert_eq!(
            out,
            FILE.replace(
                "{\"n\": 1e3, \"s\": \"\\u00e9\", \"l\": [1, 2]}",
                "{\"s\": \"\\u00e9\", \"l\": [1, 2], \"x\": true}"
            )
        );
        // A run of members removed, then one added after the last kept.
        let v = json!({"Type": "Pass", "End": true});
        let out = write_at(FILE, "/States/A", &v).unwrap();
        assert_eq!(
            out,
            FILE.replace(
                "\"Type\": \"Pass\",\r\n\t\t\t\"Result\": {\"n\": 1e3, \"s\": \"\\u00e9\", \"l\": [1, 2]},\r\n\t\t\t\"ResultPath\" :  \"$.r\",\r\n\t\t\t\"Next\": \"B\"",
                "\"Type\": \"Pass\",\r\n\t\t\t\"End\": true"
            )
        );
    }

    #[test]
    fn members_added_go_where_they_were_typed() {
        // Between two kept members, and before the first.
        let v = json!({"Comment": "first", "Type": "Pass", "Result": {"n": 1000, "s": "é", "l": [1, 2]}, "InputPath": "$", "ResultPath": "$.r", "Next": "B"});
        let out = write_at(FILE, "/States/A", &v).unwrap();
        assert_eq!(
            out,
            FILE.replace(
                "\"Type\": \"Pass\",",
                "\"Comment\": \"first\",\r\n\t\t\t\"Type\": \"Pass\","
            )
            .replace("[1, 2]},", "[1, 2]},\r\n\t\t\t\"InputPath\": \"$\",")
        );
        // The first kept member removed, one added before what is left.
        let v = json!({"x": 0, "s": "é", "l": [1, 2]});
        let out = write_at(FILE, "/States/A/Result", &v).unwrap();
        assert!(
            out.contains("{\"x\": 0, \"s\": \"\\u00e9\", \"l\": [1, 2]}"),
            "{out}"
        );
    }

    #[test]
    fn a_new_container_is_written_in_the_files_indent_and_line_ends() {
        let mut v = state_a();
        v["Parameters"] = json!({"a.$": "$.x", "b": [1]});
        let out = write_at(FILE, "/States/A", &v).unwrap();
        assert!(
            out.contains("\"Next\": \"B\",\r\n\t\t\t\"Parameters\": {\r\n\t\t\t\t\"a.$\": \"$.x\",\r\n\t\t\t\t\"b\": [\r\n\t\t\t\t\t1\r\n\t\t\t\t]\r\n\t\t\t}\r\n\t\t}"),
            "{out}"
        );
        assert!(!out.replace("\r\n", "").contains('\n'));
        // The whole rest of the file as it was.
        assert!(out.starts_with(&FILE[..FILE.find("\"Next\": \"B\"").unwrap()]));
        assert!(out.ends_with("\t\t\"B\": {\"Type\": \"Succeed\"}\r\n\t}\r\n}\r\n"));
    }

    #[test]
    fn a_value_of_another_kind_or_length_is_written_again_whole() {
        let mut v = state_a();
        v["Result"]["l"] = json!([1, 2, 3]);
        let out = write_at(FILE, "/States/A", &v).unwrap();
        // On one line, as it was.
        assert!(out.contains("\"l\": [1, 2, 3]}"), "{out}");
        assert!(out.contains("\"n\": 1e3"));
        let written = serde_json::from_str::<Value>(&out).unwrap();
        assert!(crate::asl::json::value_eq(&written["States"]["A"], &v));
        // A one-line value of another kind: on one line too.
        v["Type"] = json!({"not": "a string"});
        let out = write_at(FILE, "/States/A", &v).unwrap();
        assert!(out.contains("\"Type\": {\"not\": \"a string\"},"), "{out}");
        // A multi-line one (the state B on its line; C spread): in the
        // file's indent.
        let text = FILE.replace(
            "\"B\": {\"Type\": \"Succeed\"}",
            "\"B\": {\r\n\t\t\t\"Type\": \"Succeed\"\r\n\t\t}",
        );
        let out = write_at(&text, "/States/B", &json!([1])).unwrap();
        assert!(out.contains("\"B\": [\r\n\t\t\t1\r\n\t\t]"), "{out}");
        // Every member gone: the object whole.
        let out = write_at(FILE, "/States/B", &json!({})).unwrap();
        assert!(out.contains("\"B\": {}"), "{out}");
        assert_eq!(write_at(FILE, "/States/C", &json!(1)), None);
    }

    #[test]
    fn keys_with_escapes_and_duplicates() {
        let text = "{\"a\\/b\": 1, \"c\": 2, \"c\": 3}";
        let out = write_at(text, "/a~1b", &json!(5)).unwrap();
        assert_eq!(out, "{\"a\\/b\": 5, \"c\": 2, \"c\": 3}");
        // The object with a duplicate key is written whole when it changes.
        let out = write_at(text, "", &json!({"a/b": 1, "c": 4})).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            json!({"a/b": 1, "c": 4})
        );
    }
}
