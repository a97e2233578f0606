//! `Val`: the JSON value the engine computes with. Arrays and objects sit
//! behind `Arc`, so copying a value (into a history event, a stage record, a
//! branch input, a step-back snapshot) costs one reference count, and changing
//! one member copies only the path to it. Each container also remembers the
//! size of its compact JSON text, so the 256 KiB payload check does not
//! re-serialise unchanged data. Numbers keep their written form.

use indexmap::IndexMap;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Number, Value};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Object members in insertion order, hashed with foldhash (faster than
/// SipHash; member order does not depend on it).
pub type Map = IndexMap<String, Val, foldhash::fast::RandomState>;

#[derive(Debug, Default)]
pub struct Node<T> {
    items: T,
    size: OnceLock<usize>,
}

impl<T> std::ops::Deref for Node<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.items
    }
}

impl<T: Clone> Clone for Node<T> {
    fn clone(&self) -> Self {
        Node {
            items: self.items.clone(),
            size: self.size.clone(),
        }
    }
}

#[derive(Clone, Default)]
pub enum Val {
    #[default]
    Null,
    Bool(bool),
    Num(Number),
    Str(Arc<str>),
    Arr(Arc<Node<Vec<Val>>>),
    Obj(Arc<Node<Map>>),
}

impl Val {
    pub fn str(s: impl Into<Arc<str>>) -> Val {
        Val::Str(s.into())
    }
    pub fn arr(items: Vec<Val>) -> Val {
        Val::Arr(Arc::new(Node {
            items,
            size: OnceLock::new(),
        }))
    }
    pub fn obj(items: Map) -> Val {
        Val::Obj(Arc::new(Node {
            items,
            size: OnceLock::new(),
        }))
    }
    pub fn empty_obj() -> Val {
        Val::obj(Map::default())
    }
    /// An object from key/value pairs, in order.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Val)>) -> Val {
        Val::obj(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
    pub fn from_f64(f: f64) -> Val {
        Number::from_f64(f).map(Val::Num).unwrap_or(Val::Null)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
    pub fn is_string(&self) -> bool {
        matches!(self, Val::Str(_))
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Val::Num(_))
    }
    pub fn is_boolean(&self) -> bool {
        matches!(self, Val::Bool(_))
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Val::Obj(_))
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Val::Arr(_))
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Val::Num(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number()?.as_f64()
    }
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number()?.as_u64()
    }
    pub fn as_array(&self) -> Option<&Vec<Val>> {
        match self {
            Val::Arr(a) => Some(&a.items),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Val::Obj(o) => Some(&o.items),
            _ => None,
        }
    }
    pub fn get(&self, key: &str) -> Option<&Val> {
        self.as_object()?.get(key)
    }
    /// Mutable access to an array (copies the array if it is shared).
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Val>> {
        match self {
            Val::Arr(a) => {
                let n = Arc::make_mut(a);
                n.size = OnceLock::new();
                Some(&mut n.items)
            }
            _ => None,
        }
    }
    /// Mutable access to an object (copies the object if it is shared).
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Val::Obj(o) => {
                let n = Arc::make_mut(o);
                n.size = OnceLock::new();
                Some(&mut n.items)
            }
            _ => None,
        }
    }
    /// Take the array out (without copying when it is not shared).
    pub fn into_array(self) -> Option<Vec<Val>> {
        match self {
            Val::Arr(a) => Some(
                Arc::try_unwrap(a)
                    .map(|n| n.items)
                    .unwrap_or_else(|a| a.items.clone()),
            ),
            _ => None,
        }
    }

    /// Length in bytes of the compact JSON text, remembered per container.
    pub fn json_size(&self) -> usize {
        match self {
            Val::Null => 4,
            Val::Bool(true) => 4,
            Val::Bool(false) => 5,
            Val::Num(n) => n.to_string().len(),
            Val::Str(s) => str_size(s),
            Val::Arr(a) => *a.size.get_or_init(|| {
                let n = a.items.len();
                2 + n.saturating_sub(1) + a.items.iter().map(Val::json_size).sum::<usize>()
            }),
            Val::Obj(o) => *o.size.get_or_init(|| {
                let n = o.items.len();
                2 + n.saturating_sub(1)
                    + o.items
                        .iter()
                        .map(|(k, v)| str_size(k) + 1 + v.json_size())
                        .sum::<usize>()
            }),
        }
    }

    /// Same container (cheap identity test used to skip redundant records).
    pub fn ptr_eq(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Arr(a), Val::Arr(b)) => Arc::ptr_eq(a, b),
            (Val::Obj(a), Val::Obj(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => Value::Number(n.clone()),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Arr(a) => Value::Array(a.items.iter().map(Val::to_json).collect()),
            Val::Obj(o) => Value::Object(
                o.items
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Compact JSON text cut to `max` characters (ending in `…` when cut),
    /// for one-line mentions of a value.
    /// Only the first `max` characters are made: a preview of a 5 MB value
    /// costs what a preview of a small one does.
    pub fn preview(&self, max: usize) -> String {
        /// Keeps the first `cap` bytes written, then refuses the rest
        /// (which ends the serialisation).
        struct Capped {
            buf: Vec<u8>,
            cap: usize,
        }
        impl std::io::Write for Capped {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                let n = b.len().min(self.cap - self.buf.len());
                self.buf.extend_from_slice(&b[..n]);
                if n < b.len() {
                    return Err(std::io::Error::other("preview full"));
                }
                Ok(n)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        // A character is at most 4 bytes: past this, more than `max` were
        // written, and the cut (perhaps inside one) is dropped below.
        let mut w = Capped {
            buf: Vec::new(),
            cap: max.saturating_mul(4).saturating_add(4),
        };
        let _ = serde_json::to_writer(&mut w, self);
        let s = String::from_utf8_lossy(&w.buf);
        if s.chars().count() > max {
            format!(
                "{}…",
                s.chars().take(max.saturating_sub(1)).collect::<String>()
            )
        } else {
            s.into_owned()
        }
    }

    /// Compact JSON text.
    pub fn to_compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn to_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parse JSON text.
    pub fn parse(text: &str) -> Result<Val, serde_json::Error> {
        serde_json::from_str::<Val>(text)
    }
}

fn str_size(s: &str) -> usize {
    let mut n = 2;
    for c in s.chars() {
        n += match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        };
    }
    n
}

impl From<&Value> for Val {
    fn from(v: &Value) -> Val {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.clone()),
            Value::String(s) => Val::str(s.as_str()),
            Value::Array(a) => Val::arr(a.iter().map(Val::from).collect()),
            Value::Object(o) => {
                Val::obj(o.iter().map(|(k, v)| (k.clone(), Val::from(v))).collect())
            }
        }
    }
}

impl From<&super::doc::Doc<'_>> for Val {
    fn from(v: &super::doc::Doc) -> Val {
        use super::doc::Doc;
        match v {
            Doc::Null => Val::Null,
            Doc::Bool(b) => Val::Bool(*b),
            Doc::Num(n) => Val::Num(n.clone()),
            Doc::Str(s) => Val::str(s.as_ref()),
            Doc::Arr(a) => Val::arr(a.iter().map(Val::from).collect()),
            Doc::Obj(o) => Val::obj(
                o.iter()
                    .map(|(k, v)| (k.to_string(), Val::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<Value> for Val {
    fn from(v: Value) -> Val {
        Val::from(&v)
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::str(s)
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::str(s)
    }
}
impl From<bool> for Val {
    fn from(b: bool) -> Val {
        Val::Bool(b)
    }
}
impl From<i64> for Val {
    fn from(i: i64) -> Val {
        Val::Num(Number::from(i))
    }
}
impl From<u64> for Val {
    fn from(i: u64) -> Val {
        Val::Num(Number::from(i))
    }
}
impl From<usize> for Val {
    fn from(i: usize) -> Val {
        Val::Num(Number::from(i as u64))
    }
}
impl From<Vec<Val>> for Val {
    fn from(v: Vec<Val>) -> Val {
        Val::arr(v)
    }
}

impl PartialEq for Val {
    fn eq(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Null, Val::Null) => true,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Num(a), Val::Num(b)) => a == b,
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Arr(a), Val::Arr(b)) => Arc::ptr_eq(a, b) || a.items == b.items,
            (Val::Obj(a), Val::Obj(b)) => Arc::ptr_eq(a, b) || a.items == b.items,
            _ => false,
        }
    }
}

impl PartialEq<Value> for Val {
    fn eq(&self, other: &Value) -> bool {
        self.to_json() == *other
    }
}

impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_compact())
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_compact())
    }
}

impl FromIterator<Val> for Val {
    fn from_iter<I: IntoIterator<Item = Val>>(iter: I) -> Val {
        Val::arr(iter.into_iter().collect())
    }
}

impl Serialize for Val {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Val::Null => s.serialize_unit(),
            Val::Bool(b) => s.serialize_bool(*b),
            Val::Num(n) => n.serialize(s),
            Val::Str(x) => s.serialize_str(x),
            Val::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.items.len()))?;
                for v in &a.items {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Val::Obj(o) => {
                let mut m = s.serialize_map(Some(o.items.len()))?;
                for (k, v) in &o.items {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_preview_is_the_compact_text_cut_with_an_ellipsis() {
        let v = Val::parse(r#"{"a":"éééééé","b":[1,2,3]}"#).unwrap();
        assert_eq!(v.preview(100), v.to_compact());
        assert_eq!(v.preview(10), r#"{"a":"ééé…"#);
        assert_eq!(v.preview(v.to_compact().chars().count()), v.to_compact());
        // Four-byte characters cut anywhere still give whole ones.
        let wide = Val::str("😀".repeat(50));
        assert_eq!(wide.preview(5), "\"😀😀😀…");
        // A large value is not written whole to preview it.
        let big = Val::arr(vec![Val::str("x".repeat(1000)); 5000]);
        assert_eq!(big.preview(8).chars().count(), 8);
    }

    #[test]
    fn round_trip_and_sizes() {
        let text = r#"{"a":[1,2.50,"x\"y\n"],"b":{"c":null,"d":true},"é":"ü"}"#;
        let v = Val::parse(text).unwrap();
        assert_eq!(v.to_compact(), text);
        assert_eq!(v.json_size(), text.len());
    }

    proptest::proptest! {
        #[test]
        fn the_remembered_size_is_the_compact_text_length(
            s in "\\PC*|[\\x00-\\x1f\"\\\\\u{7f}-\u{3000}]{0,20}",
            n in proptest::num::f64::NORMAL,
            i in proptest::num::i64::ANY,
        ) {
            let v = Val::from(json!({"s": s, "n": n, "i": i, "a": [s.clone(), null, true]}));
            proptest::prop_assert_eq!(v.json_size(), serde_json::to_string(&v).unwrap().len());
        }
    }

    #[test]
    fn parsing_straight_to_values_matches_going_through_serde_json() {
        for text in [
            r#"{"a":[1,2.50,-0,1e400,123456789012345678901234567890,"x\"y\n"],"b":{},"c":[],"d":null,"e":false}"#,
            "3.14159265358979323846264338327950288",
            r#""just a string""#,
            "[]",
        ] {
            let direct = Val::parse(text).unwrap();
            let via = Val::from(&serde_json::from_str::<Value>(text).unwrap());
            assert_eq!(direct.to_compact(), via.to_compact(), "{text}");
            assert_eq!(direct, via);
        }
        assert!(Val::parse("{\"a\": }").is_err());
    }

    #[test]
    fn clones_share_and_mutation_copies_only_the_spine() {
        let a = Val::from(json!({"big": [1, 2, 3], "n": 1}));
        let mut b = a.clone();
        assert!(a.ptr_eq(&b));
        b.as_object_mut()
            .unwrap()
            .insert("n".into(), Val::from(2i64));
        assert_eq!(a.get("n"), Some(&Val::from(1i64)));
        assert!(a.get("big").unwrap().ptr_eq(b.get("big").unwrap()));
        assert_eq!(b.json_size(), b.to_compact().len());
    }
}
