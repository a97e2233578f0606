//! JSON text straight into a tree — the engine's [`Val`] or a
//! `serde_json::Value` — noticing on the way whether an object gives a key
//! twice (a JSON parser keeps the last one, which silently drops a state, a
//! field or a mock), so a valid document is read in one pass.

use super::value::{Map as ValMap, Val};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

/// A tree the parser can build.
pub(crate) trait Tree: Sized {
    type Object: Default;
    fn null() -> Self;
    fn bool(b: bool) -> Self;
    fn number(n: Number) -> Self;
    fn string(s: String) -> Self;
    fn str(s: &str) -> Self;
    fn array(items: Vec<Self>) -> Self;
    fn object(o: Self::Object) -> Self;
    fn with_capacity(n: usize) -> Self::Object;
    /// Adds `k`; false when the object had it already.
    fn insert(o: &mut Self::Object, k: String, v: Self) -> bool;
}

impl Tree for Val {
    type Object = ValMap;
    fn null() -> Val {
        Val::Null
    }
    fn bool(b: bool) -> Val {
        Val::Bool(b)
    }
    fn number(n: Number) -> Val {
        Val::Num(n)
    }
    fn string(s: String) -> Val {
        Val::str(s)
    }
    fn str(s: &str) -> Val {
        Val::str(s)
    }
    fn array(items: Vec<Val>) -> Val {
        Val::arr(items)
    }
    fn object(o: ValMap) -> Val {
        Val::obj(o)
    }
    fn with_capacity(n: usize) -> ValMap {
        ValMap::with_capacity_and_hasher(n, Default::default())
    }
    fn insert(o: &mut ValMap, k: String, v: Val) -> bool {
        o.insert(k, v).is_none()
    }
}

impl Tree for Value {
    type Object = Map<String, Value>;
    fn null() -> Value {
        Value::Null
    }
    fn bool(b: bool) -> Value {
        Value::Bool(b)
    }
    fn number(n: Number) -> Value {
        Value::Number(n)
    }
    fn string(s: String) -> Value {
        Value::String(s)
    }
    fn str(s: &str) -> Value {
        Value::String(s.to_string())
    }
    fn array(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
    fn object(o: Map<String, Value>) -> Value {
        Value::Object(o)
    }
    fn with_capacity(n: usize) -> Map<String, Value> {
        Map::with_capacity(n)
    }
    fn insert(o: &mut Map<String, Value>, k: String, v: Value) -> bool {
        o.insert(k, v).is_none()
    }
}

/// Built straight from the parser's events: no `serde_json::Value` tree is
/// made and dropped on the way (for a 5 MB input that was half the memory
/// and a fifth of the time of a run).
impl<'de> serde::Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Val, D::Error> {
        Seed::<Val>::new(None).deserialize(d)
    }
}

/// `text` as a `T`, and whether some object in it gives a key twice (the
/// tree then holds the last one).
pub(crate) fn parse<T: Tree>(text: &str) -> Result<(T, bool), serde_json::Error> {
    let twice = Cell::new(false);
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Seed::<T>::new(Some(&twice)).deserialize(&mut de)?;
    de.end()?;
    Ok((v, twice.get()))
}

/// Builds a `T` from the parser's events; counts keys given twice in
/// `twice` when there is one.
pub(crate) struct Seed<'a, T> {
    twice: Option<&'a Cell<bool>>,
    tree: PhantomData<T>,
}

impl<'a, T> Seed<'a, T> {
    pub(crate) fn new(twice: Option<&'a Cell<bool>>) -> Self {
        Seed {
            twice,
            tree: PhantomData,
        }
    }
}

impl<T> Clone for Seed<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Seed<'_, T> {}

/// How serde_json (with `arbitrary_precision`) hands a number over: a map
/// of this one key to the number's text.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl<'de, T: Tree> DeserializeSeed<'de> for Seed<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Tree> Visitor<'de> for Seed<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<T, E> {
        Ok(T::bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<T, E> {
        Ok(T::number(i.into()))
    }
    fn visit_u64<E>(self, u: u64) -> Result<T, E> {
        Ok(T::number(u.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<T, E> {
        Number::from_f64(f)
            .map(T::number)
            .ok_or_else(|| E::custom("not a JSON number"))
    }
    fn visit_str<E>(self, s: &str) -> Result<T, E> {
        Ok(T::str(s))
    }
    fn visit_string<E>(self, s: String) -> Result<T, E> {
        Ok(T::string(s))
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::null())
    }
    fn visit_none<E>(self) -> Result<T, E> {
        Ok(T::null())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(T::array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(T::object(T::Object::default()));
        };
        if first == NUMBER_TOKEN {
            let text: String = map.next_value()?;
            return text
                .parse::<Number>()
                .map(T::number)
                .map_err(serde::de::Error::custom);
        }
        // The members are gathered first, so the object is made once at
        // its size (growing it member by member rehashed it and left it up
        // to twice the memory it needs).
        let mut members = vec![(first, map.next_value_seed(self)?)];
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(self)?;
            members.push((k, v));
        }
        let mut out = T::with_capacity(members.len());
        for (k, v) in members {
            if !T::insert(&mut out, k, v) {
                if let Some(t) = self.twice {
                    t.set(true);
                }
            }
        }
        Ok(T::object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_are_what_serde_json_reads_and_keys_given_twice_are_noticed() {
        let texts = [
            r#"{"a": 1, "b": [1.50, -0, 1e400, 12345678901234567890123], "c": {"d": null, "e": true}, "s": "x\"y"}"#,
            r#"[]"#,
            r#"{}"#,
            r#""text""#,
            r#"-3.25e-7"#,
        ];
        for t in texts {
            let (v, twice) = parse::<Value>(t).unwrap();
            assert_eq!(v, serde_json::from_str::<Value>(t).unwrap(), "{t}");
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                serde_json::to_string(&serde_json::from_str::<Value>(t).unwrap()).unwrap()
            );
            assert!(!twice, "{t}");
            let (w, twice) = parse::<Val>(t).unwrap();
            assert_eq!(w.to_json(), v, "{t}");
            assert!(!twice);
        }
        for t in [
            r#"{"a": 1, "a": 2}"#,
            r#"[{"x": {"p": [1, {"q": 1, "q": 2}]}}]"#,
            r#"{"a\"b": 1, "a\"b": 2}"#,
        ] {
            let (v, twice) = parse::<Value>(t).unwrap();
            assert!(twice, "{t}");
            assert_eq!(
                v,
                serde_json::from_str::<Value>(t).unwrap(),
                "the last one is kept"
            );
            assert!(parse::<Val>(t).unwrap().1, "{t}");
        }
        // Not JSON, or more after the value: serde_json's own errors.
        for t in [r#"{"a": }"#, "1 2", ""] {
            let e = parse::<Value>(t).unwrap_err();
            assert_eq!(
                e.to_string(),
                serde_json::from_str::<Value>(t).unwrap_err().to_string()
            );
        }
    }
}
