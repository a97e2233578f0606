//! `Doc`: a definition document as the model builder reads it. Its strings
//! borrow from the text they were parsed from (a string with an escape is
//! the only one copied) and an object is a list of members, so a 1000-state
//! definition is read with two allocations a state instead of twenty, and a
//! field is found by comparing a few short keys instead of hashing. The
//! builder reads nothing else: a `serde_json::Value` (a template's machine,
//! a test's definition) is looked at through a `Doc` that borrows from it.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Doc<'a> {
    #[default]
    Null,
    Bool(bool),
    Num(Number),
    Str(Cow<'a, str>),
    Arr(Vec<Doc<'a>>),
    Obj(Obj<'a>),
}

/// An object's members in the order written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Obj<'a>(Vec<(Cow<'a, str>, Doc<'a>)>);

/// The object a missing or mistyped one stands for (its problem reported).
pub static EMPTY: Obj<'static> = Obj(Vec::new());

impl<'a> Obj<'a> {
    /// The member `key` (objects in a definition are small: a look along
    /// the members beats hashing the key).
    pub fn get(&self, key: &str) -> Option<&Doc<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Doc<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Doc<'a>> {
        self.0.iter().map(|(_, v)| v)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The object as a `serde_json` map.
    pub fn to_map(&self) -> serde_json::Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_value()))
            .collect()
    }
}

impl<'a> Doc<'a> {
    /// A document that borrows every string of `v`.
    pub fn from_value(v: &'a Value) -> Doc<'a> {
        match v {
            Value::Null => Doc::Null,
            Value::Bool(b) => Doc::Bool(*b),
            Value::Number(n) => Doc::Num(n.clone()),
            Value::String(s) => Doc::Str(Cow::Borrowed(s)),
            Value::Array(a) => Doc::Arr(a.iter().map(Doc::from_value).collect()),
            Value::Object(o) => Doc::Obj(Obj(o
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), Doc::from_value(v)))
                .collect())),
        }
    }

    /// The same JSON as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        match self {
            Doc::Null => Value::Null,
            Doc::Bool(b) => Value::Bool(*b),
            Doc::Num(n) => Value::Number(n.clone()),
            Doc::Str(s) => Value::String(s.to_string()),
            Doc::Arr(a) => Value::Array(a.iter().map(Doc::to_value).collect()),
            Doc::Obj(o) => Value::Object(o.to_map()),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Doc<'a>> {
        self.as_object()?.get(key)
    }
    pub fn as_object(&self) -> Option<&Obj<'a>> {
        match self {
            Doc::Obj(o) => Some(o),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&Vec<Doc<'a>>> {
        match self {
            Doc::Arr(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Doc::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Doc::Num(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number()?.as_u64()
    }
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number()?.as_f64()
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Doc::Null)
    }
    pub fn is_string(&self) -> bool {
        matches!(self, Doc::Str(_))
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Doc::Num(_))
    }
    pub fn is_boolean(&self) -> bool {
        matches!(self, Doc::Bool(_))
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Doc::Obj(_))
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Doc::Arr(_))
    }
}

impl PartialEq<str> for Doc<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Doc<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl Serialize for Doc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Doc::Null => s.serialize_unit(),
            Doc::Bool(b) => s.serialize_bool(*b),
            Doc::Num(n) => n.serialize(s),
            Doc::Str(t) => s.serialize_str(t),
            Doc::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for x in a {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Doc::Obj(o) => o.serialize(s),
        }
    }
}

impl Serialize for Obj<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `text` as a document, and whether some object in it gives a key twice
/// (the document then holds both: the caller says where, the long way).
/// Errors are serde_json's own.
pub(crate) fn parse(text: &str) -> Result<(Doc<'_>, bool), serde_json::Error> {
    let mut twice = false;
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Seed { twice: &mut twice }.deserialize(&mut de)?;
    de.end()?;
    Ok((v, twice))
}

struct Seed<'s> {
    twice: &'s mut bool,
}

/// How serde_json (with `arbitrary_precision`) hands a number over: a map
/// of this one key to the number's text.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Doc<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Doc<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Doc<'de>, E> {
        Ok(Doc::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Doc<'de>, E> {
        Ok(Doc::Num(i.into()))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Doc<'de>, E> {
        Ok(Doc::Num(u.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Doc<'de>, E> {
        Number::from_f64(f)
            .map(Doc::Num)
            .ok_or_else(|| E::custom("not a JSON number"))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(s)))
    }
    fn visit_unit<E>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }
    fn visit_none<E>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Doc<'de>, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(Seed {
            twice: &mut *self.twice,
        })? {
            items.push(v);
        }
        Ok(Doc::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc<'de>, A::Error> {
        let Some(first) = map.next_key_seed(Key)? else {
            return Ok(Doc::Obj(Obj::default()));
        };
        if first == NUMBER_TOKEN {
            let text: String = map.next_value()?;
            return text
                .parse::<Number>()
                .map(Doc::Num)
                .map_err(serde::de::Error::custom);
        }
        let v = map.next_value_seed(Seed {
            twice: &mut *self.twice,
        })?;
        let mut members = vec![(first, v)];
        while let Some(k) = map.next_key_seed(Key)? {
            let v = map.next_value_seed(Seed {
                twice: &mut *self.twice,
            })?;
            members.push((k, v));
        }
        if !*self.twice && gives_a_key_twice(&members) {
            *self.twice = true;
        }
        Ok(Doc::Obj(Obj(members)))
    }
}

fn gives_a_key_twice(members: &[(Cow<'_, str>, Doc<'_>)]) -> bool {
    if members.len() <= 16 {
        return members
            .iter()
            .enumerate()
            .any(|(i, (k, _))| members[..i].iter().any(|(j, _)| j == k));
    }
    let mut seen: std::collections::HashSet<&str, foldhash::fast::RandomState> =
        std::collections::HashSet::with_capacity_and_hasher(members.len(), Default::default());
    !members.iter().all(|(k, _)| seen.insert(k))
}

/// An object's key, borrowed from the text when it has no escape.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_what_serde_json_reads_and_borrows_its_strings() {
        let texts = [
            r#"{"a": 1, "b": [1.50, -0, 1e400, 12345678901234567890123], "c": {"d": null, "e": true}, "s": "x\"y", "k\n": "v"}"#,
            r#"[]"#,
            r#"{}"#,
            r#""text""#,
            r#"-3.25e-7"#,
        ];
        for t in texts {
            let (d, twice) = parse(t).unwrap();
            let v: Value = serde_json::from_str(t).unwrap();
            assert_eq!(d.to_value(), v, "{t}");
            assert_eq!(
                serde_json::to_string(&d).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
            assert_eq!(Doc::from_value(&v), d, "{t}");
            assert!(!twice, "{t}");
        }
        let (d, _) = parse(r#"{"plain": "text", "esc": "a\u0041"}"#).unwrap();
        assert!(matches!(
            d.get("plain"),
            Some(Doc::Str(Cow::Borrowed("text")))
        ));
        assert!(matches!(d.get("esc"), Some(Doc::Str(Cow::Owned(s))) if s == "aA"));
        let o = d.as_object().unwrap();
        assert_eq!(o.keys().collect::<Vec<_>>(), ["plain", "esc"]);
        assert_eq!(o.get("nope"), None);
    }

    #[test]
    fn a_key_given_twice_is_noticed_in_small_and_large_objects() {
        let big: String = (0..40).map(|i| format!("\"k{i}\": {i}, ")).collect();
        for t in [
            r#"{"a": 1, "a": 2}"#.to_string(),
            r#"[{"x": {"p": [1, {"q": 1, "q": 2}]}}]"#.to_string(),
            r#"{"a\"b": 1, "a\"b": 2}"#.to_string(),
            format!("{{{big} \"k7\": 0}}"),
        ] {
            assert!(parse(&t).unwrap().1, "{t}");
        }
        assert!(!parse(&format!("{{{big} \"last\": 0}}")).unwrap().1);
        for t in [r#"{"a": }"#, "1 2", ""] {
            assert_eq!(
                parse(t).unwrap_err().to_string(),
                serde_json::from_str::<Value>(t).unwrap_err().to_string()
            );
        }
    }
}
