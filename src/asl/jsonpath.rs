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

/// A compiled JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub source: String,
    pub root: Root,
    segs: Vec<Seg>,
    definite: bool,
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

impl Path {
    pub fn parse(src: &str) -> Result<Path, ExprError> {
        let mut p = Parser {
            s: src.as_bytes(),
            i: 0,
            src,
            depth: 0,
        };
        let root = p.root()?;
        let segs = p.segments(false)?;
        if p.i < p.s.len() {
            return Err(p.err("unexpected character"));
        }
        let definite = segs
            .iter()
            .all(|s| matches!(s, Seg::Key(_) | Seg::Index(_) | Seg::Length));
        Ok(Path {
            source: src.to_string(),
            root,
            segs,
            definite,
        })
    }

    /// Parse a reference path (ResultPath, ItemsPath, …): names and indexes only.
    pub fn parse_reference(src: &str) -> Result<Path, ExprError> {
        let p = Path::parse(src)?;
        if !p
            .segs
            .iter()
            .all(|s| matches!(s, Seg::Key(_) | Seg::Index(_)))
        {
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
        Ok(p)
    }

    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// True for the bare root `$`.
    pub fn is_root(&self) -> bool {
        self.segs.is_empty() && self.root == Root::Data
    }

    pub fn eval(&self, scope: &Scope) -> Result<Val, PathError> {
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

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    src: &'a str,
    depth: usize,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}
fn is_name_char(c: u8) -> bool {
    !matches!(
        c,
        b'.' | b'['
            | b']'
            | b' '
            | b')'
            | b'('
            | b','
            | b'='
            | b'!'
            | b'<'
            | b'>'
            | b'&'
            | b'|'
            | b'\''
            | b'"'
    )
}

impl Parser<'_> {
    fn err(&self, what: &str) -> ExprError {
        ExprError::new("JSONPath", self.src, self.i, what)
    }
    fn peek(&self) -> u8 {
        *self.s.get(self.i).unwrap_or(&0)
    }
    fn ws(&mut self) {
        while self.peek() == b' ' {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == c {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn root(&mut self) -> Result<Root, ExprError> {
        if !self.eat(b'$') {
            return Err(self.err("a path must start with '$'"));
        }
        if self.eat(b'$') {
            return Ok(Root::Context);
        }
        if is_ident_start(self.peek()) {
            let st = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric()
                    || self.s[self.i] == b'_'
                    || self.s[self.i] >= 0x80)
            {
                self.i += 1;
            }
            return Ok(Root::Variable(self.src[st..self.i].to_string()));
        }
        Ok(Root::Data)
    }
    fn name(&mut self) -> Result<String, ExprError> {
        let st = self.i;
        while self.i < self.s.len() && is_name_char(self.s[self.i]) {
            self.i += 1;
        }
        if st == self.i {
            return Err(self.err("expected a name"));
        }
        Ok(self.src[st..self.i].to_string())
    }
    fn quoted(&mut self) -> Result<String, ExprError> {
        let q = self.peek();
        if q != b'\'' && q != b'"' {
            return Err(self.err("expected a quoted name"));
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            if self.i >= self.s.len() {
                return Err(self.err("unterminated string"));
            }
            let c = self.s[self.i];
            // A backslash escapes the closing quote or a backslash; before
            // anything else it is an ordinary character (AWS reads
            // `$['a\\"b']` as the key `a\"b`).
            if c == b'\\' && matches!(self.s.get(self.i + 1), Some(&n) if n == q || n == b'\\') {
                out.push(self.s[self.i + 1] as char);
                self.i += 2;
                continue;
            }
            if c == q {
                self.i += 1;
                return Ok(out);
            }
            let ch = self.src[self.i..].chars().next().unwrap();
            out.push(ch);
            self.i += ch.len_utf8();
        }
    }
    fn int(&mut self) -> Result<i64, ExprError> {
        let st = self.i;
        if self.peek() == b'-' {
            self.i += 1;
        }
        while self.peek().is_ascii_digit() {
            self.i += 1;
        }
        self.src[st..self.i]
            .parse()
            .map_err(|_| self.err("expected an integer"))
    }
    /// Segments until the end of input (or, inside a filter, until an operator).
    fn segments(&mut self, in_filter: bool) -> Result<Vec<Seg>, ExprError> {
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                b'.' => {
                    self.i += 1;
                    if self.eat(b'.') {
                        let inner = if self.peek() == b'[' {
                            self.bracket()?
                        } else if self.eat(b'*') {
                            Seg::Wildcard
                        } else {
                            Seg::Key(self.name()?)
                        };
                        segs.push(Seg::Deep(Box::new(inner)));
                    } else if self.eat(b'*') {
                        segs.push(Seg::Wildcard);
                    } else if self.peek() == b'[' {
                        segs.push(self.bracket()?);
                    } else {
                        let n = self.name()?;
                        if self.peek() == b'(' && self.s.get(self.i + 1) == Some(&b')') {
                            self.i += 2;
                            match n.as_str() {
                                "length" | "size" => segs.push(Seg::Length),
                                _ => return Err(self.err(&format!("unsupported function {n}()"))),
                            }
                        } else {
                            segs.push(Seg::Key(n));
                        }
                    }
                }
                b'[' => segs.push(self.bracket()?),
                _ => {
                    if !in_filter && self.i < self.s.len() {
                        return Err(self.err("unexpected character"));
                    }
                    return Ok(segs);
                }
            }
        }
    }
    fn bracket(&mut self) -> Result<Seg, ExprError> {
        self.i += 1; // [
        self.ws();
        let seg = match self.peek() {
            b'*' => {
                self.i += 1;
                Seg::Wildcard
            }
            b'\'' | b'"' => {
                let mut keys = vec![self.quoted()?];
                self.ws();
                while self.eat(b',') {
                    self.ws();
                    keys.push(self.quoted()?);
                    self.ws();
                }
                if keys.len() == 1 {
                    Seg::Key(keys.pop().unwrap())
                } else {
                    Seg::Keys(keys)
                }
            }
            b'?' => {
                self.i += 1;
                self.ws();
                if !self.eat(b'(') {
                    return Err(self.err("expected '(' after '?'"));
                }
                self.deeper()?;
                let f = self.filter_or()?;
                self.depth -= 1;
                self.ws();
                if !self.eat(b')') {
                    return Err(self.err("expected ')'"));
                }
                Seg::Filter(Box::new(f))
            }
            _ => {
                let start = if self.peek() == b':' {
                    None
                } else {
                    Some(self.int()?)
                };
                self.ws();
                if self.eat(b':') {
                    self.ws();
                    let end = if matches!(self.peek(), b']' | b':') {
                        None
                    } else {
                        Some(self.int()?)
                    };
                    let step = if self.eat(b':') { self.int()? } else { 1 };
                    Seg::Slice(start, end, step)
                } else if self.peek() == b',' {
                    let mut idx = vec![start.unwrap()];
                    while self.eat(b',') {
                        self.ws();
                        idx.push(self.int()?);
                        self.ws();
                    }
                    Seg::Indexes(idx)
                } else {
                    Seg::Index(start.ok_or_else(|| self.err("expected an index"))?)
                }
            }
        };
        self.ws();
        if !self.eat(b']') {
            return Err(self.err("expected ']'"));
        }
        Ok(seg)
    }
    /// Enters one more level of nesting, or refuses past [`MAX_NESTING`].
    fn deeper(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err(&format!(
                "filters, parentheses and '!' nest more than {MAX_NESTING} deep"
            )));
        }
        Ok(())
    }
    fn filter_or(&mut self) -> Result<Filter, ExprError> {
        let mut terms = vec![self.filter_and()?];
        loop {
            self.ws();
            if self.s[self.i..].starts_with(b"||") {
                self.i += 2;
                terms.push(self.filter_and()?);
            } else if terms.len() == 1 {
                return Ok(terms.pop().unwrap());
            } else {
                return Ok(Filter::Or(terms));
            }
        }
    }
    fn filter_and(&mut self) -> Result<Filter, ExprError> {
        let mut terms = vec![self.filter_unary()?];
        loop {
            self.ws();
            if self.s[self.i..].starts_with(b"&&") {
                self.i += 2;
                terms.push(self.filter_unary()?);
            } else if terms.len() == 1 {
                return Ok(terms.pop().unwrap());
            } else {
                return Ok(Filter::And(terms));
            }
        }
    }
    fn filter_unary(&mut self) -> Result<Filter, ExprError> {
        self.ws();
        if self.peek() == b'!' && self.s.get(self.i + 1) != Some(&b'=') {
            self.i += 1;
            self.deeper()?;
            let f = Filter::Not(Box::new(self.filter_unary()?));
            self.depth -= 1;
            return Ok(f);
        }
        if self.eat(b'(') {
            self.deeper()?;
            let f = self.filter_or()?;
            self.depth -= 1;
            self.ws();
            if !self.eat(b')') {
                return Err(self.err("expected ')'"));
            }
            return Ok(f);
        }
        let l = self.operand()?;
        self.ws();
        let rest = &self.s[self.i..];
        let (op, n) = if rest.starts_with(b"==") {
            (CmpOp::Eq, 2)
        } else if rest.starts_with(b"!=") {
            (CmpOp::Ne, 2)
        } else if rest.starts_with(b"<=") {
            (CmpOp::Le, 2)
        } else if rest.starts_with(b">=") {
            (CmpOp::Ge, 2)
        } else if rest.starts_with(b"<") {
            (CmpOp::Lt, 1)
        } else if rest.starts_with(b">") {
            (CmpOp::Gt, 1)
        } else if rest.starts_with(b"nin ") {
            (CmpOp::Nin, 3)
        } else if rest.starts_with(b"in ") {
            (CmpOp::In, 2)
        } else if rest.starts_with(b"contains ") {
            (CmpOp::Contains, 8)
        } else {
            return Ok(Filter::Exists(l));
        };
        self.i += n;
        self.ws();
        let r = self.operand()?;
        Ok(Filter::Cmp(l, op, r))
    }
    fn operand(&mut self) -> Result<Operand, ExprError> {
        self.ws();
        match self.peek() {
            b'@' => {
                self.i += 1;
                Ok(Operand::Current(self.segments(true)?))
            }
            b'$' => {
                self.i += 1;
                Ok(Operand::Root(self.segments(true)?))
            }
            b'\'' | b'"' => Ok(Operand::Lit(Val::str(self.quoted()?))),
            b'[' => {
                let st = self.i;
                let mut depth = 0;
                while self.i < self.s.len() {
                    match self.s[self.i] {
                        b'[' => depth += 1,
                        b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                let text = self.src[st..self.i].replace('\'', "\"");
                serde_json::from_str(&text)
                    .map(Operand::Lit)
                    .map_err(|_| self.err("bad array literal"))
            }
            _ => {
                let st = self.i;
                while self.i < self.s.len()
                    && !matches!(
                        self.s[self.i],
                        b' ' | b')' | b'=' | b'!' | b'<' | b'>' | b'&' | b'|'
                    )
                {
                    self.i += 1;
                }
                let word = &self.src[st..self.i];
                serde_json::from_str(word)
                    .map(Operand::Lit)
                    .map_err(|_| self.err("bad literal"))
            }
        }
    }
}

impl std::error::Error for PathError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(p: &str, v: &serde_json::Value) -> Result<serde_json::Value, PathError> {
        Path::parse(p)
            .unwrap()
            .eval(&Scope::data(&Val::from(v)))
            .map(|x| x.to_json())
    }

    #[test]
    fn a_union_with_an_unquoted_non_ascii_name_is_a_parse_error() {
        for p in ["$['a',é'b']", "$['a',ü]", "$[é]", "$['a', '"] {
            assert!(Path::parse(p).is_err(), "{p}");
        }
    }

    #[test]
    fn nesting_is_bounded_and_long_chains_are_flat() {
        let deep = format!("$[?({}@.a{})]", "(".repeat(10_000), ")".repeat(10_000));
        let e = Path::parse(&deep).unwrap_err();
        assert!(e.message.contains("nest more than 64"), "{e}");
        assert!(
            e.to_string().len() < 400,
            "the message quotes the path by its ends"
        );
        let nots = format!("$[?({}@.a)]", "!".repeat(10_000));
        assert!(Path::parse(&nots).is_err());
        let filters = format!("$.x{}", "[?(@.a".repeat(100));
        assert!(Path::parse(&filters).is_err());
        // A flat chain of 50,000 terms parses and evaluates without deep recursion.
        let chain = format!("$[?({})]", vec!["@.a"; 50_000].join(" && "));
        assert_eq!(
            ev(&chain, &json!([{"a": 1}, {"b": 2}])).unwrap(),
            json!([{"a": 1}])
        );
        let or = format!("$[?({})]", vec!["@.z"; 50_000].join(" || "));
        assert_eq!(ev(&or, &json!([{"a": 1}])).unwrap(), json!([]));
        let ok = format!("$[?({}@.a{})]", "(".repeat(60), ")".repeat(60));
        assert!(Path::parse(&ok).is_ok());
    }

    #[test]
    fn descendant_paths_that_explode_are_bounded() {
        let mut doc = json!({"b": [1, 2]});
        for _ in 0..120 {
            doc = json!({"a": doc, "b": [1, 2]});
        }
        let got = ev("$..a..a..a..a..a..a", &doc);
        assert!(matches!(got, Err(PathError::TooMuchWork)), "{got:?}");
        // An ordinary descendant path on the same document is fine.
        assert_eq!(ev("$..b", &doc).unwrap().as_array().unwrap().len(), 121);
    }

    #[test]
    fn definite_paths_give_the_value() {
        let v = json!({"a": {"b c": [1, 2, 3]}});
        assert_eq!(ev("$", &v).unwrap(), v);
        assert_eq!(ev("$.a['b c'][1]", &v).unwrap(), json!(2));
        assert_eq!(ev("$.a.['b c'][-1]", &v).unwrap(), json!(3));
        assert_eq!(ev("$.a['b c'].length()", &v).unwrap(), json!(3));
    }

    #[test]
    fn a_backslash_in_a_quoted_name_escapes_only_the_quote_and_itself() {
        // Recorded on AWS: `$['Test\""Name"']` reads the key `Test\""Name"`.
        let v = json!({"Test\\\"\"Name\"": 1, "it's": 2, "a\\b": 3});
        assert_eq!(ev(r#"$['Test\""Name"']"#, &v).unwrap(), json!(1));
        assert_eq!(ev(r"$['it\'s']", &v).unwrap(), json!(2));
        assert_eq!(ev(r"$['a\\b']", &v).unwrap(), json!(3));
    }

    #[test]
    fn missing_definite_path_is_an_error_with_jayway_text() {
        let v = json!({"a": 1});
        assert_eq!(
            ev("$.no.such", &v).unwrap_err(),
            PathError::Missing("Missing property in path $['no']".into())
        );
        assert_eq!(
            ev("$.no", &v).unwrap_err(),
            PathError::Missing("No results for path: $['no']".into())
        );
        assert!(ev("$.a[3]", &json!({"a": [1]})).is_err());
    }

    #[test]
    fn indefinite_paths_give_arrays() {
        let v = json!({"items": [{"v": 1, "s": 0}, {"v": 2, "s": 1}, {"s": 0}]});
        assert_eq!(ev("$.items[*].v", &v).unwrap(), json!([1, 2]));
        assert_eq!(
            ev("$.items[?(@.s == 0)]", &v).unwrap(),
            json!([{"v": 1, "s": 0}, {"s": 0}])
        );
        assert_eq!(ev("$.items[1:].v", &v).unwrap(), json!([2]));
        assert_eq!(ev("$.items[:1]", &v).unwrap(), json!([{"v": 1, "s": 0}]));
        assert_eq!(ev("$..v", &v).unwrap(), json!([1, 2]));
        assert_eq!(ev("$.items[0,1].v", &v).unwrap(), json!([1, 2]));
        assert_eq!(
            ev("$.items[?(@.v > 1 || !@.v)].s", &v).unwrap(),
            json!([1, 0])
        );
        assert_eq!(ev("$.items[?(@.v)].v", &v).unwrap(), json!([1, 2]));
    }

    #[test]
    fn roots() {
        assert_eq!(Path::parse("$$.Execution.Id").unwrap().root, Root::Context);
        assert_eq!(
            Path::parse("$var.x").unwrap().root,
            Root::Variable("var".into())
        );
        assert!(Path::parse("a.b").is_err());
        assert!(Path::parse("$.a[").is_err());
        assert!(Path::parse_reference("$.a[*]").is_err());
    }

    #[test]
    fn set_creates_objects_and_rejects_bad_shapes() {
        let p = Path::parse_reference("$.a.b").unwrap();
        let mut d = Val::from(json!({"x": 1}));
        p.set(&mut d, Val::from(5i64)).unwrap();
        assert_eq!(d.to_json(), json!({"x": 1, "a": {"b": 5}}));
        let mut s = Val::from("str");
        assert!(p.set(&mut s, Val::from(1i64)).is_err());
    }
}
