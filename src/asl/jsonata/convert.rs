//! Values to and from the JSONata library's, and the canonical text that
//! tells two values apart.

use super::*;

/// Our value as the library's.
pub(super) fn to_j(v: &Val) -> JValue {
    match v {
        Val::Null => JValue::Null,
        Val::Bool(b) => JValue::Bool(*b),
        Val::Num(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
        Val::Str(s) => JValue::string(&**s),
        Val::Arr(a) => JValue::array(a.iter().map(to_j).collect()),
        Val::Obj(o) => {
            let mut m = indexmap::IndexMap::with_capacity(o.len());
            for (k, v) in o.iter() {
                m.insert(k.clone(), to_j(v));
            }
            JValue::object(m)
        }
    }
}

/// The library's value as ours; `None` for undefined. Whole numbers print
/// without a fraction, as JavaScript prints them.
/// A text that two values share exactly when the library's deep equality
/// (`values_equal`) holds between them: objects with sorted keys, numbers by
/// value. False for a value that equals nothing (a function, NaN).
pub(super) fn canonical(v: &JValue, out: &mut String) -> bool {
    use std::fmt::Write;
    match v {
        JValue::Null => out.push('n'),
        JValue::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        JValue::Number(f) if f.is_nan() => return false,
        JValue::Number(f) => {
            // 0.0 == -0.0
            let _ = write!(out, "#{}", if *f == 0.0 { 0.0 } else { *f });
        }
        JValue::String(s) => {
            let _ = write!(out, "s{}:{s}", s.len());
        }
        JValue::Array(a) => {
            out.push('[');
            for x in a.iter() {
                if !canonical(x, out) {
                    return false;
                }
                out.push(',');
            }
            out.push(']');
        }
        JValue::Object(o) => {
            let mut ks: Vec<&String> = o.keys().collect();
            ks.sort();
            out.push('{');
            for k in ks {
                let _ = write!(out, "{}:{k}=", k.len());
                if !o.get(k).is_some_and(|x| canonical(x, out)) {
                    return false;
                }
                out.push(',');
            }
            out.push('}');
        }
        _ => return false,
    }
    true
}

/// Whether every number in `v` is finite.
/// Whether `v` nests deeper than `limit` arrays and objects, found
/// without recursion (the value may be nested past what a stack holds).
pub(super) fn deeper_than(v: &JValue, limit: usize) -> bool {
    let mut stack: Vec<(&JValue, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &JValue>> = match v {
            JValue::Array(_) => match v.as_array() {
                Some(a) => Box::new(a.iter()),
                None => continue,
            },
            JValue::Object(_) => match v.as_object() {
                Some(o) => Box::new(o.values()),
                None => continue,
            },
            _ => continue,
        };
        if d >= limit {
            return true;
        }
        stack.extend(children.map(|c| (c, d + 1)));
    }
    false
}

pub(super) fn finite(v: &JValue) -> bool {
    match v {
        JValue::Number(f) => f.is_finite(),
        JValue::Array(_) => v.as_array().is_none_or(|a| a.iter().all(finite)),
        JValue::Object(_) => v.as_object().is_none_or(|o| o.values().all(finite)),
        _ => true,
    }
}

pub(super) fn from_j(v: &JValue) -> Option<Val> {
    Some(match v {
        JValue::Undefined => return None,
        JValue::Null => Val::Null,
        JValue::Bool(b) => Val::Bool(*b),
        JValue::Number(f) => {
            if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                Val::from(*f as i64)
            } else {
                Val::from_f64(*f)
            }
        }
        JValue::String(s) => Val::str(&**s),
        JValue::Array(_) => {
            let items = v
                .as_array()
                .map(|a| a.iter().filter_map(from_j).collect())
                .unwrap_or_default();
            Val::arr(items)
        }
        JValue::Object(_) => {
            let m: Map = v
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, x)| from_j(x).map(|x| (k.clone(), x)))
                        .collect()
                })
                .unwrap_or_default();
            Val::obj(m)
        }
        // Functions and regexes have no JSON form.
        _ => Val::Null,
    })
}
