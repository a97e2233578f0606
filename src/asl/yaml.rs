//! YAML documents as JSON values, strictly: a key given twice in one mapping
//! is an error (YAML says keys are unique; a silent "last one wins" hides a
//! second state with the same name), `.nan` and `.inf` are errors (JSON has no
//! such numbers), and nesting deeper than [`MAX_DEPTH`] is refused before the
//! parser spends minutes on it.

use serde::de::{
    self, Deserialize, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::{Map, Value};
use std::fmt;

/// How deep flow collections (`[`, `{`) may nest, as serde_yaml_ng's own
/// recursion limit for block collections.
pub const MAX_DEPTH: usize = 128;

/// A YAML problem with its 1-based line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Keys given twice, when a parse keeps the last one
/// ([`parse_keeping_last`]): the path being read and the pointers of the
/// duplicates found. `None` in a strict parse.
struct Lenient {
    path: Vec<String>,
    duplicates: Vec<String>,
}

thread_local! {
    static LENIENT: std::cell::RefCell<Option<Lenient>> = const { std::cell::RefCell::new(None) };
}

/// Parses `text` as [`parse`] does, except that a key given twice keeps its
/// last value, as CloudFormation reads a template: the JSON pointers of the
/// keys given twice come with the value.
pub fn parse_keeping_last(text: &str) -> Result<(Value, Vec<String>), YamlError> {
    LENIENT.with(|l| {
        *l.borrow_mut() = Some(Lenient {
            path: Vec::new(),
            duplicates: Vec::new(),
        })
    });
    let v = parse(text);
    let found = LENIENT.with(|l| l.borrow_mut().take());
    v.map(|v| (v, found.map(|f| f.duplicates).unwrap_or_default()))
}

/// In a lenient parse, `f` runs with `step` added to the path.
fn inside<T>(step: impl FnOnce() -> String, f: impl FnOnce() -> T) -> T {
    let on = LENIENT.with(|l| match l.borrow_mut().as_mut() {
        Some(l) => {
            l.path.push(step());
            true
        }
        None => false,
    });
    let r = f();
    if on {
        LENIENT.with(|l| {
            if let Some(l) = l.borrow_mut().as_mut() {
                l.path.pop();
            }
        });
    }
    r
}

/// Parses `text` into a JSON value.
pub fn parse(text: &str) -> Result<Value, YamlError> {
    check_depth(text)?;
    let Strict(v) = serde_yaml_ng::from_str::<Strict>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        if message.contains("used as a key has no JSON form") {
            return locate_collection_key(text, (line, column), message);
        }
        locate_duplicate(text, (line, column), message)
    })?;
    Ok(v)
}

/// For a sequence or mapping used as a key the reader points at the start
/// of the mapping that holds it: find the first complex key below that
/// point (`? ` or a flow collection followed by `:`).
fn locate_collection_key(text: &str, at: (usize, usize), message: String) -> YamlError {
    for (i, l) in text.lines().enumerate().skip(at.0.saturating_sub(1)) {
        let t = l.trim_start_matches([' ', '-']);
        let col = l.len() - t.len();
        let flow_key = (t.starts_with('[') || t.starts_with('{'))
            && (t.contains("]:") || t.contains("}:") || t.contains("] :") || t.contains("} :"));
        if t.starts_with("? ") || t == "?" || flow_key {
            return YamlError {
                line: i + 1,
                column: col + 1,
                message,
            };
        }
    }
    YamlError {
        line: at.0,
        column: at.1,
        message,
    }
}

/// For a duplicate key the reader points at the start of the mapping: find
/// the key's two places in it (same indentation, below that point) and put
/// the error at the second, naming the first.
fn locate_duplicate(text: &str, at: (usize, usize), message: String) -> YamlError {
    let plain = YamlError {
        line: at.0,
        column: at.1,
        message: message.clone(),
    };
    let Some(key) = message
        .find("duplicate key ")
        .and_then(|i| serde_json::from_str::<String>(&message[i + 14..]).ok())
    else {
        return plain;
    };
    let indent = at.1.saturating_sub(1);
    let written = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
    ];
    let mut found = Vec::new();
    for (i, l) in text.lines().enumerate().skip(at.0.saturating_sub(1)) {
        let t = l.trim_start_matches([' ', '-']);
        let col = l.len() - t.len();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if col < indent && i + 1 > at.0 {
            break; // the mapping has ended
        }
        if col == indent && written.iter().any(|w| t.starts_with(w.as_str())) {
            found.push((i + 1, col + 1));
            if found.len() == 2 {
                break;
            }
        }
    }
    match found[..] {
        [(l1, c1), (l2, c2)] => YamlError {
            line: l2,
            column: c2,
            message: format!("{message} (first at {l1}:{c1})"),
        },
        _ => plain,
    }
}

/// Refuses flow collections nested deeper than [`MAX_DEPTH`] at once.
fn check_depth(text: &str) -> Result<(), YamlError> {
    let (mut depth, mut line, mut col) = (0usize, 1usize, 0usize);
    // A quote opens a string only where a scalar starts, and the scan forgets
    // it at the end of the line: an apostrophe in plain text cannot hide the
    // brackets after it.
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut prev = '\n';
    for c in text.chars() {
        col += 1;
        let starts_scalar = matches!(prev, '\n' | ' ' | '\t' | ':' | '[' | '{' | ',' | '-');
        prev = c;
        match c {
            '\n' => {
                line += 1;
                col = 0;
                comment = false;
                quote = None;
                continue;
            }
            _ if comment => continue,
            q @ ('"' | '\'') if quote.is_none() && starts_scalar => quote = Some(q),
            q if quote == Some(q) => quote = None,
            _ if quote.is_some() => {}
            '#' => comment = true,
            '[' | '{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(YamlError {
                        line,
                        column: col,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A JSON value read from YAML with the checks above.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    // Integers past 64 bits stay whole, as JSON keeps them.
    fn visit_i128<E: de::Error>(self, n: i128) -> Result<Value, E> {
        n.to_string()
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .map_err(E::custom)
    }
    fn visit_u128<E: de::Error>(self, n: u128) -> Result<Value, E> {
        n.to_string()
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(f).map(Value::Number).ok_or_else(|| {
            E::custom(format!(
                "{f} is not a JSON number (.nan and .inf have no JSON form; quote them for a string)"
            ))
        })
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Strict::deserialize(d).map(|s| s.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = inside(|| out.len().to_string(), || seq.next_element())? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    /// A tagged value: CloudFormation's short forms (`!Sub`, `!Ref`,
    /// `!GetAtt Res.Attr`, …) become the long forms (`Fn::Sub`, …).
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, variant): (String, _) = data.variant()?;
        let Strict(v) = variant.newtype_variant()?;
        Ok(long_form(&tag, v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(Strict(k)) = map.next_key()? {
            let key =
                match k {
                    Value::String(s) => s,
                    // YAML allows other keys; JSON keys are their text.
                    Value::Null => "null".to_string(),
                    Value::Array(_) | Value::Object(_) => return Err(de::Error::custom(
                        "a sequence or mapping used as a key has no JSON form: keys are strings",
                    )),
                    other => other.to_string(),
                };
            if out.contains_key(&key) {
                let kept = LENIENT.with(|l| match l.borrow_mut().as_mut() {
                    Some(l) => {
                        let mut p = String::new();
                        for step in l.path.iter().chain([&key]) {
                            p.push('/');
                            p.push_str(&crate::asl::json::pointer_token(step));
                        }
                        l.duplicates.push(p);
                        true
                    }
                    None => false,
                });
                if !kept {
                    return Err(de::Error::custom(format!(
                        "duplicate key {}",
                        Value::String(key)
                    )));
                }
            }
            let Strict(v) = inside(|| key.clone(), || map.next_value())?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// The long form of a CloudFormation short-form tag.
fn long_form(tag: &str, v: Value) -> Value {
    let tag = tag.trim_start_matches('!');
    let (key, v) = match (tag, v) {
        ("Ref" | "Condition", v) => (tag.to_string(), v),
        ("GetAtt", Value::String(s)) => {
            let parts = match s.split_once('.') {
                Some((r, a)) => vec![Value::String(r.into()), Value::String(a.into())],
                None => vec![Value::String(s)],
            };
            ("Fn::GetAtt".into(), Value::Array(parts))
        }
        (t, v) => (format!("Fn::{t}"), v),
    };
    let mut m = Map::new();
    m.insert(key, v);
    Value::Object(m)
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for YamlError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_reads_as_json() {
        let v = parse("a: 1\nb: [x, 2.5, true, null]\nc: {d: e}\n").unwrap();
        assert_eq!(
            v,
            json!({"a": 1, "b": ["x", 2.5, true, null], "c": {"d": "e"}})
        );
    }

    #[test]
    fn cloudformation_short_forms_read_as_long_forms() {
        let v = parse(
            "A: !Sub 'arn:${AWS::Partition}:x'\nB: !GetAtt Fn.Arn\nC: !Ref P\nD: !Join ['', [a, !Ref P]]\nE: !Sub\n  - '${X}'\n  - X: !GetAtt Q.Arn\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "A": {"Fn::Sub": "arn:${AWS::Partition}:x"},
                "B": {"Fn::GetAtt": ["Fn", "Arn"]},
                "C": {"Ref": "P"},
                "D": {"Fn::Join": ["", ["a", {"Ref": "P"}]]},
                "E": {"Fn::Sub": ["${X}", {"X": {"Fn::GetAtt": ["Q", "Arn"]}}]}
            })
        );
    }

    #[test]
    fn a_key_given_twice_is_an_error_naming_both_places() {
        let text =
            "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n  A:\n    Type: Succeed\n";
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, 6, "{e:?}");
        assert!(e.message.contains("duplicate key \"A\""), "{e:?}");
        assert!(e.message.contains("first at 3:3"), "{e:?}");
    }

    #[test]
    fn integers_past_64_bits_stay_whole_and_collection_keys_are_refused_where_they_stand() {
        let v = parse("a: 123456789012345678901234567890\nb: -98765432109876543210\n").unwrap();
        assert_eq!(v["a"].to_string(), "123456789012345678901234567890");
        assert_eq!(v["b"].to_string(), "-98765432109876543210");
        for t in ["x: 1\n? [a, b]\n: 1\n", "x: 1\n{a: 1}: x\n"] {
            let e = parse(t).unwrap_err();
            assert!(
                e.message.contains("used as a key has no JSON form"),
                "{t}: {e:?}"
            );
            assert_eq!(e.line, 2, "{t}: {e:?}");
        }
        // Numbers and booleans as keys are their text, as before.
        assert_eq!(
            parse("200: ok\ntrue: y\n").unwrap(),
            json!({"200": "ok", "true": "y"})
        );
    }

    #[test]
    fn nan_and_infinity_are_errors_not_null() {
        for t in ["a: .nan\n", "a: .inf\n", "a: [-.inf]\n"] {
            let e = parse(t).unwrap_err();
            assert!(e.message.contains("not a JSON number"), "{t}: {e:?}");
        }
        assert_eq!(parse("a: '.nan'\n").unwrap(), json!({"a": ".nan"}));
    }

    #[test]
    fn deep_nesting_is_refused_at_once() {
        let t = std::time::Instant::now();
        let text = "[".repeat(200_000);
        let e = parse(&text).unwrap_err();
        assert!(e.message.contains("deeper than 128"), "{e:?}");
        assert_eq!((e.line, e.column), (1, 129));
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        // Brackets inside strings and comments do not count…
        let quoted = format!("a: '{}'\n# {}\n", "[".repeat(300), "{".repeat(300));
        assert!(parse(&quoted).is_ok());
        // …but an apostrophe inside plain text does not start a string.
        let sneaky = format!("a: it's {}\n", "[".repeat(200_000));
        assert!(parse(&sneaky)
            .unwrap_err()
            .message
            .contains("deeper than 128"));
    }
}
