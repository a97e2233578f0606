//! JSONPath with the semantics Step Functions inherits from Jayway JsonPath.
//!
//! A path is compiled once ([`Path::parse`]) and evaluated many times. A
//! *definite* path (only names and indexes) yields the one value it names and
//! fails when that value is missing; an *indefinite* path (wildcard, slice,
//! union, filter, deep scan) yields an array of every match.
//!
//! Roots: `$` is the data, `$$` the context object, `$name` a variable.

use super::expr_error::ExprError;
use super::json::{as_f64, json_eq};
use super::value::Val;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Root {
    Data,
    Context,
    Variable(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(i64),
    Wildcard,
    Slice(Option<i64>, Option<i64>, i64),
    Keys(Vec<String>),
    Indexes(Vec<i64>),
    Deep(Box<Seg>),
    Filter(Box<Filter>),
    Length,
}

#[derive(Debug, Clone, PartialEq)]
enum Filter {
    /// `a || b || …`, flat: a long chain is a list, not a deep tree.
    Or(Vec<Filter>),
    /// `a && b && …`
    And(Vec<Filter>),
    Not(Box<Filter>),
    Exists(Operand),
    Cmp(Operand, CmpOp, Operand),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Nin,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Current(Vec<Seg>),
    Root(Vec<Seg>),
    Lit(Val),
}

/// A compiled JSONPath: shared, so a copy costs a count (a definition
/// that writes the same path in many states parses it once).
#[derive(Debug, Clone, PartialEq)]
pub struct Path(std::sync::Arc<Compiled>);

/// Paths parsed once per text: a definition writes the same few paths
/// (`$.Payload`, `$.detail`) in many states, and a loaded definition holds
/// one of each.
#[derive(Default)]
pub struct Paths(std::collections::HashMap<String, Path, foldhash::fast::RandomState>);

impl Paths {
    /// [`Path::parse`], once per text.
    pub fn parse(&mut self, src: &str) -> Result<Path, ExprError> {
        if let Some(p) = self.0.get(src) {
            return Ok(p.clone());
        }
        let p = Path::parse(src)?;
        self.0.insert(src.to_string(), p.clone());
        Ok(p)
    }

    /// [`Path::parse_reference`], once per text.
    pub fn parse_reference(&mut self, src: &str) -> Result<Path, ExprError> {
        self.parse(src)?.reference()
    }
}

/// What a [`Path`] holds.
#[derive(Debug, PartialEq)]
pub struct Compiled {
    pub source: String,
    pub root: Root,
    segs: Vec<Seg>,
    definite: bool,
    /// Why the path fails whenever it is evaluated although the definition
    /// is accepted (see [`Path::fails_at_run_time`]).
    deferred: Option<Box<ExprError>>,
}

/// Why a path could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum PathError {
    /// A definite path named something that is not there. Carries Jayway's
    /// description, e.g. `Missing property in path $['no']`.
    Missing(String),
    /// `$name` names no variable in scope.
    UnknownVariable(String),
    /// The evaluation would visit more than [`MAX_WORK`] values
    /// (`$..a..a..a` over a deep document grows without bound).
    TooMuchWork,
    /// The path is malformed in a way AWS only finds when it evaluates it.
    Malformed(String),
}

/// The most values one path evaluation may visit or produce.
pub const MAX_WORK: u64 = 10_000_000;

thread_local! {
    /// What the running evaluation may still visit (see [`MAX_WORK`]).
    static WORK_LEFT: std::cell::Cell<u64> = const { std::cell::Cell::new(MAX_WORK) };
}

/// Takes `n` from the running evaluation's budget; false once it is spent.
fn spend(n: u64) -> bool {
    WORK_LEFT.with(|w| {
        let left = w.get();
        w.set(left.saturating_sub(n));
        left >= n
    })
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Missing(m) => f.write_str(m),
            PathError::UnknownVariable(v) => write!(f, "variable ${v} is not defined"),
            PathError::TooMuchWork => write!(
                f,
                "the path visits more than {MAX_WORK} values (asldbg's bound on one evaluation)"
            ),
            PathError::Malformed(m) => f.write_str(m),
        }
    }
}

/// Where the roots of a path point during one evaluation.
/// The context object and variables are produced on demand, so that a path
/// that never mentions them costs nothing.
pub struct Scope<'a> {
    pub data: &'a Val,
    pub context: &'a dyn Fn() -> Val,
    pub vars: &'a dyn Fn(&str) -> Option<Val>,
}

fn no_vars(_: &str) -> Option<Val> {
    None
}
fn no_context() -> Val {
    Val::Null
}

impl<'a> Scope<'a> {
    pub fn data(data: &'a Val) -> Scope<'a> {
        Scope {
            data,
            context: &no_context,
            vars: &no_vars,
        }
    }
}

impl std::ops::Deref for Path {
    type Target = Compiled;
    fn deref(&self) -> &Compiled {
        &self.0
    }
}

impl Path {
    pub fn parse(src: &str) -> Result<Path, ExprError> {
        let mut p = Parser {
            s: src.as_bytes(),
            i: 0,
            src,
            depth: 0,
            unquoted: None,
        };
        let root = p.root()?;
        let segs = p.segments(false)?;
        if p.i < p.s.len() {
            return Err(p.err("unexpected character"));
        }
        let definite = segs
            .iter()
            .all(|s| matches!(s, Seg::Key(_) | Seg::Index(_) | Seg::Length));
        Ok(Path(std::sync::Arc::new(Compiled {
            source: src.to_string(),
            root,
            segs,
            definite,
            deferred: p.unquoted.map(Box::new),
        })))
    }

    /// Parse a reference path (ResultPath, ItemsPath, …): names and indexes only.
    pub fn parse_reference(src: &str) -> Result<Path, ExprError> {
        Path::parse(src)?.reference()
    }

    /// This path, if it is a reference path (names and indexes only).
    fn reference(self) -> Result<Path, ExprError> {
        if !self
            .segs
            .iter()
            .all(|s| matches!(s, Seg::Key(_) | Seg::Index(_)))
        {
            let src = &self.source;
            // Where the first wildcard, filter, slice, union or deep scan is.
            let at = ["..", "*", "?", ":", ",", "length()"]
                .iter()
                .filter_map(|t| src.find(t))
                .min()
                .unwrap_or(0);
            return Err(ExprError::new(
                "reference path",
                src,
                at,
                "a reference path has only names and indexes",
            ));
        }
        Ok(self)
    }

    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// True for the bare root `$`.
    pub fn is_root(&self) -> bool {
        self.segs.is_empty() && self.root == Root::Data
    }

    /// What makes this path fail each time it is evaluated, though AWS
    /// accepts the definition that holds it (`validate` warns of it).
    pub fn fails_at_run_time(&self) -> Option<&ExprError> {
        self.deferred.as_deref()
    }

    pub fn eval(&self, scope: &Scope) -> Result<Val, PathError> {
        if let Some(e) = &self.deferred {
            return Err(PathError::Malformed(e.message.clone()));
        }
        let owned;
        let base: &Val = match &self.root {
            Root::Data => scope.data,
            Root::Context => {
                owned = (scope.context)();
                &owned
            }
            Root::Variable(name) => {
                owned =
                    (scope.vars)(name).ok_or_else(|| PathError::UnknownVariable(name.clone()))?;
                &owned
            }
        };
        if self.definite {
            let mut cur = base;
            let mut tmp;
            let last = self.segs.len().saturating_sub(1);
            for (i, seg) in self.segs.iter().enumerate() {
                // Jayway's rendering of the path so far, for error texts only.
                let trail = || self.trail(i);
                match seg {
                    Seg::Key(k) => {
                        match cur {
                            Val::Obj(o) => match o.get(k) {
                                Some(v) => cur = v,
                                // Jayway: a missing leaf has "no results", a
                                // missing step on the way is a "missing property".
                                None if i == last => {
                                    return Err(PathError::Missing(format!("No results for path: {}", trail())))
                                }
                                None => {
                                    return Err(PathError::Missing(format!("Missing property in path {}", trail())))
                                }
                            },
                            _ => {
                                return Err(PathError::Missing(format!(
                                    "Expected to find an object with property {} in path $ but found '{}'",
                                    trail(),
                                    java_type(cur)
                                )))
                            }
                        }
                    }
                    Seg::Index(i) => match cur {
                        Val::Arr(a) => {
                            let idx = if *i < 0 { a.len() as i64 + i } else { *i };
                            match a.get(idx as usize).filter(|_| idx >= 0) {
                                Some(v) => cur = v,
                                None => {
                                    return Err(PathError::Missing(format!(
                                        "Index out of bounds in path {}",
                                        trail()
                                    )))
                                }
                            }
                        }
                        _ => {
                            return Err(PathError::Missing(format!(
                                "Filter: {} can only be applied to arrays. Current context is: {}",
                                trail(),
                                super::json::to_compact(cur)
                            )))
                        }
                    },
                    Seg::Length => {
                        tmp = match cur {
                            Val::Arr(a) => Val::from(a.len()),
                            Val::Obj(o) => Val::from(o.len()),
                            Val::Str(s) => Val::from(s.chars().count()),
                            _ => {
                                return Err(PathError::Missing(format!(
                                    "Missing property in path {}",
                                    trail()
                                )))
                            }
                        };
                        cur = &tmp;
                        let _ = &tmp;
                    }
                    _ => unreachable!(),
                }
            }
            Ok(cur.clone())
        } else {
            WORK_LEFT.with(|w| w.set(MAX_WORK));
            let mut cur: Vec<&Val> = vec![base];
            let mut lens: Vec<Val> = Vec::new();
            for seg in &self.segs {
                if let Seg::Length = seg {
                    lens = cur
                        .iter()
                        .filter_map(|v| match v {
                            Val::Arr(a) => Some(Val::from(a.len())),
                            _ => None,
                        })
                        .collect();
                    continue;
                }
                let mut next = Vec::new();
                for v in cur {
                    let before = next.len();
                    apply(seg, v, scope, &mut next);
                    if !spend((next.len() - before) as u64 + 1) {
                        return Err(PathError::TooMuchWork);
                    }
                }
                cur = next;
            }
            if !lens.is_empty() {
                return Ok(Val::arr(lens));
            }
            Ok(Val::arr(cur.into_iter().cloned().collect()))
        }
    }

    /// Jayway's rendering of the first `upto + 1` segments: `$['a'][0]`.
    fn trail(&self, upto: usize) -> String {
        let mut t = String::from("$");
        for seg in &self.segs[..=upto.min(self.segs.len().saturating_sub(1))] {
            match seg {
                Seg::Key(k) => t.push_str(&format!("['{k}']")),
                Seg::Index(i) => t.push_str(&format!("[{i}]")),
                _ => {}
            }
        }
        t
    }

    /// Write `value` at this reference path inside `doc`, creating missing
    /// objects on the way. Fails (ResultPathMatchFailure) when the document's
    /// shape does not allow it.
    pub fn set(&self, doc: &mut Val, value: Val) -> Result<(), String> {
        let mut cur = doc;
        let n = self.segs.len();
        if n == 0 {
            *cur = value;
            return Ok(());
        }
        let shape_error = |v: &Val| {
            format!(
                "Unable to apply ResultPath \"{}\" to input \"{}\"",
                self.source,
                v.to_compact()
            )
        };
        let mut value = Some(value);
        for (i, seg) in self.segs.iter().enumerate() {
            let last = i + 1 == n;
            match seg {
                Seg::Key(k) => {
                    if !cur.is_object() {
                        return Err(shape_error(cur));
                    }
                    let o = cur.as_object_mut().expect("an object");
                    if last {
                        o.insert(k.clone(), value.take().unwrap_or_default());
                        return Ok(());
                    }
                    let entry = o.entry(k.clone()).or_insert_with(Val::empty_obj);
                    if !matches!(entry, Val::Obj(_) | Val::Arr(_)) {
                        *entry = Val::empty_obj();
                    }
                    cur = entry;
                }
                Seg::Index(idx) => {
                    if !cur.is_array() {
                        return Err(shape_error(cur));
                    }
                    let a = cur.as_array_mut().expect("an array");
                    let j = if *idx < 0 { a.len() as i64 + idx } else { *idx };
                    if j < 0 || j as usize >= a.len() {
                        return Err(format!(
                            "Unable to apply ResultPath \"{}\": index out of bounds",
                            self.source
                        ));
                    }
                    if last {
                        a[j as usize] = value.take().unwrap_or_default();
                        return Ok(());
                    }
                    cur = &mut a[j as usize];
                }
                _ => return Err(format!("'{}' is not a valid reference path", self.source)),
            }
        }
        Ok(())
    }
}

/// Jayway names JSON types by their Java classes in its error messages.
fn java_type(v: &Val) -> &'static str {
    match v {
        Val::Arr(_) => "net.minidev.json.JSONArray",
        Val::Str(_) => "java.lang.String",
        Val::Num(_) => "java.lang.Integer",
        Val::Bool(_) => "java.lang.Boolean",
        Val::Null => "null",
        Val::Obj(_) => "java.util.LinkedHashMap",
    }
}

fn slice_bounds(len: i64, start: Option<i64>, end: Option<i64>) -> (i64, i64) {
    let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
    (start.map(norm).unwrap_or(0), end.map(norm).unwrap_or(len))
}

fn apply<'v>(seg: &Seg, v: &'v Val, scope: &Scope, out: &mut Vec<&'v Val>) {
    match seg {
        Seg::Key(k) => {
            if let Val::Obj(o) = v {
                if let Some(x) = o.get(k) {
                    out.push(x);
                }
            }
        }
        Seg::Keys(ks) => {
            if let Val::Obj(o) = v {
                for k in ks {
                    if let Some(x) = o.get(k) {
                        out.push(x);
                    }
                }
            }
        }
        Seg::Index(i) => {
            if let Val::Arr(a) = v {
                let j = if *i < 0 { a.len() as i64 + i } else { *i };
                if j >= 0 {
                    if let Some(x) = a.get(j as usize) {
                        out.push(x);
                    }
                }
            }
        }
        Seg::Indexes(is) => {
            for i in is {
                apply(&Seg::Index(*i), v, scope, out);
            }
        }
        Seg::Wildcard => match v {
            Val::Obj(o) => out.extend(o.values()),
            Val::Arr(a) => out.extend(a.iter()),
            _ => {}
        },
        Seg::Slice(s, e, step) => {
            if let Val::Arr(a) = v {
                let (from, to) = slice_bounds(a.len() as i64, *s, *e);
                let mut i = from;
                while i < to {
                    out.push(&a[i as usize]);
                    i += (*step).max(1);
                }
            }
        }
        Seg::Deep(inner) => {
            fn walk<'v>(inner: &Seg, v: &'v Val, scope: &Scope, out: &mut Vec<&'v Val>) {
                if !spend(1) {
                    return;
                }
                apply(inner, v, scope, out);
                match v {
                    Val::Obj(o) => o.values().for_each(|c| walk(inner, c, scope, out)),
                    Val::Arr(a) => a.iter().for_each(|c| walk(inner, c, scope, out)),
                    _ => {}
                }
            }
            walk(inner, v, scope, out);
        }
        Seg::Filter(f) => match v {
            Val::Arr(a) => out.extend(a.iter().filter(|x| spend(1) && test(f, x, scope))),
            Val::Obj(_) if test(f, v, scope) => out.push(v),
            _ => {}
        },
        Seg::Length => {}
    }
}

fn resolve(op: &Operand, cur: &Val, scope: &Scope) -> Option<Val> {
    let (base, segs) = match op {
        Operand::Lit(v) => return Some(v.clone()),
        Operand::Current(s) => (cur, s),
        Operand::Root(s) => (scope.data, s),
    };
    let definite = segs
        .iter()
        .all(|s| matches!(s, Seg::Key(_) | Seg::Index(_) | Seg::Length));
    if definite {
        let mut v = base.clone();
        for s in segs {
            v = match (s, &v) {
                (Seg::Key(k), Val::Obj(o)) => o.get(k)?.clone(),
                (Seg::Index(i), Val::Arr(a)) => {
                    let j = if *i < 0 { a.len() as i64 + i } else { *i };
                    a.get(usize::try_from(j).ok()?)?.clone()
                }
                (Seg::Length, Val::Arr(a)) => Val::from(a.len()),
                (Seg::Length, Val::Str(s)) => Val::from(s.chars().count()),
                _ => return None,
            };
        }
        Some(v)
    } else {
        let mut cur: Vec<&Val> = vec![base];
        for s in segs {
            let mut next = Vec::new();
            for v in cur {
                apply(s, v, scope, &mut next);
                if !spend(1) {
                    return None;
                }
            }
            cur = next;
        }
        Some(Val::arr(cur.into_iter().cloned().collect()))
    }
}

fn compare(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::Num(_), Val::Num(_)) => as_f64(a)?.partial_cmp(&as_f64(b)?),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn test(f: &Filter, cur: &Val, scope: &Scope) -> bool {
    match f {
        Filter::Or(fs) => fs.iter().any(|f| test(f, cur, scope)),
        Filter::And(fs) => fs.iter().all(|f| test(f, cur, scope)),
        Filter::Not(a) => !test(a, cur, scope),
        Filter::Exists(op) => match resolve(op, cur, scope) {
            Some(Val::Bool(b)) if matches!(op, Operand::Lit(_)) => b,
            Some(_) => true,
            None => false,
        },
        Filter::Cmp(l, op, r) => {
            let (Some(a), Some(b)) = (resolve(l, cur, scope), resolve(r, cur, scope)) else {
                return matches!(op, CmpOp::Ne);
            };
            use std::cmp::Ordering::*;
            match op {
                CmpOp::Eq => json_eq(&a, &b),
                CmpOp::Ne => !json_eq(&a, &b),
                CmpOp::Lt => compare(&a, &b) == Some(Less),
                CmpOp::Le => matches!(compare(&a, &b), Some(Less | Equal)),
                CmpOp::Gt => compare(&a, &b) == Some(Greater),
                CmpOp::Ge => matches!(compare(&a, &b), Some(Greater | Equal)),
                CmpOp::In => b
                    .as_array()
                    .is_some_and(|arr| arr.iter().any(|x| json_eq(x, &a))),
                CmpOp::Nin => b
                    .as_array()
                    .is_some_and(|arr| !arr.iter().any(|x| json_eq(x, &a))),
                CmpOp::Contains => match (&a, &b) {
                    (Val::Arr(arr), _) => arr.iter().any(|x| json_eq(x, &b)),
                    (Val::Str(s), Val::Str(t)) => s.contains(&**t),
                    _ => false,
                },
            }
        }
    }
}

/// How deep filters, parentheses and `!` may nest in one path (parsing and
/// evaluating recurse that deep).
pub const MAX_NESTING: usize = 64;

impl std::error::Error for PathError {}

mod parse;
#[cfg(test)]
mod tests;

use parse::Parser;
