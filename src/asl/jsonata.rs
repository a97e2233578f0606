//! JSONata, as Step Functions runs it: expressions are strings whose whole
//! text is `{% ... %}`, evaluated by `jsonata-core` behind this small adapter
//! so that the evaluator can be replaced.
//!
//! What the adapter adds to the library:
//! - AWS's functions (`$partition`, `$range`, `$hash`, `$random` with an
//!   optional seed, `$uuid`, `$parse`), `$eval` removed, and `$now`/`$millis`
//!   on the engine's virtual clock;
//! - the JSONata 2.0.6 language only (AWS's version): `??` and `?:` rejected;
//! - guards: every evaluation is bounded in time and depth, the known memory
//!   bombs (`$pad` with a huge width, `$formatInteger` of a huge roman numeral)
//!   and `$parseInteger`'s panic on non-ASCII digits become errors, and a panic
//!   inside the library becomes an error instead of killing the debugger;
//! - conversion between our [`Val`] and the library's values, done only for
//!   the variables an expression mentions and once per evaluation session.

use super::intrinsics::uuid_v4;
use super::intrinsics::Random;
use super::value::{Map, Val};
use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{CancelToken, Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::value::JValue;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Time allowed for one expression.
pub const TIME_LIMIT_MS: u64 = 2_000;
/// Evaluation nesting allowed for one expression.
pub const MAX_DEPTH: usize = 1_000;
/// Memory one evaluation may hold (counted by the binary's allocator, see
/// [`crate::alloc`]); past it the evaluation stops with an error.
pub const MAX_MEMORY_BYTES: usize = 1 << 30;
/// The longest sequence one step may build ($append, $range, mapping, …).
pub const MAX_SEQUENCE: usize = 10_000_000;
const MAX_PAD: f64 = 1_000_000.0;

/// A parsed JSONata expression.
#[derive(Debug, Clone)]
pub struct Expr {
    /// The text between `{%` and `%}`, trimmed (as AWS quotes it in errors).
    pub source: String,
    ast: AstNode,
    /// `$names` mentioned in the text (variables and functions alike).
    refs: BTreeSet<String>,
}

/// True when the whole string is an expression.
pub fn is_expr(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

/// Visit the code outside string literals and comments.
fn code_chars(src: &str, mut f: impl FnMut(usize, char)) {
    let b: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '"' || c == '\'' || c == '`' {
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if c == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                i += 1;
            }
            i += 2;
            continue;
        }
        f(i, c);
        i += 1;
    }
}

/// Built-ins the library runs in quadratic time without looking at the time
/// limit (and does not let a host override): calls to them are sent to our
/// replacements ([`install`]).
const REPLACED: [(&str, &str); 2] = [("distinct", "asldbgDistinct"), ("keys", "asldbgKeys")];

/// `src` with `$distinct`/`$keys` renamed to their replacements (outside
/// strings and comments); `None` when it mentions neither.
fn with_replacements(src: &str) -> Option<String> {
    let chars: Vec<char> = src.chars().collect();
    let ident = |c: &char| c.is_alphanumeric() || *c == '_';
    let mut hits: Vec<(usize, usize, &str)> = Vec::new();
    code_chars(src, |i, c| {
        if c != '$' {
            return;
        }
        for (name, new) in REPLACED {
            let n = name.chars().count();
            let matches = chars
                .get(i + 1..i + 1 + n)
                .is_some_and(|w| w.iter().copied().eq(name.chars()))
                && !chars.get(i + 1 + n).is_some_and(ident);
            if matches {
                hits.push((i + 1, n, new));
            }
        }
    });
    if hits.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(src.len() + 16);
    let mut i = 0;
    for (at, n, new) in hits {
        out.extend(&chars[i..at]);
        out.push_str(new);
        i = at + n;
    }
    out.extend(&chars[i..]);
    Some(out)
}

impl Expr {
    /// Parse `{% expr %}` (or bare expression text).
    pub fn parse(text: &str) -> Result<Expr, String> {
        let inner = if is_expr(text) {
            &text[2..text.len() - 2]
        } else {
            text
        };
        let source = inner.trim().to_string();
        let ast = jsonata_core::parser::parse(&source).map_err(|e| {
            let m = e.to_string();
            if m.contains("Unclosed comment") {
                "S0106: Comment has no closing tag".to_string()
            } else {
                normalize(&m)
            }
        })?;
        let ast = match with_replacements(&source) {
            Some(text) => jsonata_core::parser::parse(&text).unwrap_or(ast),
            None => ast,
        };
        // AWS runs JSONata 2.0.6, which has neither `??` nor `?:`.
        let tree = format!("{ast:?}");
        for (op, name) in [("??", "op: Coalesce"), ("?:", "op: Default")] {
            if tree.contains(name) {
                return Err(format!(
                    "S0201: Syntax error: the operator '{op}' is not part of JSONata 2.0.6, the version Step Functions runs"
                ));
            }
        }
        let mut refs = BTreeSet::new();
        let mut cur: Option<String> = None;
        code_chars(&source, |_, c| match (&mut cur, c) {
            (None, '$') => cur = Some(String::new()),
            (Some(name), c) if c.is_alphanumeric() || c == '_' => name.push(c),
            (Some(_), _) => {
                if let Some(n) = cur.take().filter(|n| !n.is_empty()) {
                    refs.insert(n);
                }
                if c == '$' {
                    cur = Some(String::new());
                }
            }
            _ => {}
        });
        if let Some(n) = cur.filter(|n| !n.is_empty()) {
            refs.insert(n);
        }
        Ok(Expr { source, ast, refs })
    }

    pub fn mentions(&self, name: &str) -> bool {
        self.refs.contains(name)
    }
}

/// Expressions are equal when their texts are.
impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.source == other.source
    }
}

/// A JSON value in which `{% %}` strings, at any depth, are expressions.
#[derive(Debug, Clone)]
pub enum JTemplate {
    Lit(Val),
    Expr(Box<Expr>),
    Obj(Vec<(String, JTemplate)>),
    Arr(Vec<JTemplate>),
}

fn has_expr(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => is_expr(s),
        serde_json::Value::Array(a) => a.iter().any(has_expr),
        serde_json::Value::Object(o) => o.values().any(has_expr),
        _ => false,
    }
}

impl JTemplate {
    /// Compile; errors carry the JSON pointer suffix of the bad expression.
    pub fn compile(v: &serde_json::Value) -> Result<JTemplate, Vec<(String, String)>> {
        let mut errs = Vec::new();
        let t = Self::build(v, "", &mut errs);
        if errs.is_empty() {
            Ok(t)
        } else {
            Err(errs)
        }
    }

    fn build(v: &serde_json::Value, ptr: &str, errs: &mut Vec<(String, String)>) -> JTemplate {
        if !has_expr(v) {
            return JTemplate::Lit(Val::from(v));
        }
        match v {
            serde_json::Value::String(s) => match Expr::parse(s) {
                Ok(e) => JTemplate::Expr(Box::new(e)),
                Err(m) => {
                    errs.push((ptr.to_string(), m));
                    JTemplate::Lit(Val::Null)
                }
            },
            serde_json::Value::Array(a) => JTemplate::Arr(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| Self::build(x, &format!("{ptr}/{i}"), errs))
                    .collect(),
            ),
            serde_json::Value::Object(o) => JTemplate::Obj(
                o.iter()
                    .map(|(k, x)| {
                        (
                            k.clone(),
                            Self::build(
                                x,
                                &format!("{ptr}/{}", super::json::pointer_token(k)),
                                errs,
                            ),
                        )
                    })
                    .collect(),
            ),
            other => JTemplate::Lit(Val::from(other)),
        }
    }

    /// Every expression in the template.
    pub fn exprs<'a>(&'a self, out: &mut Vec<&'a Expr>) {
        match self {
            JTemplate::Lit(_) => {}
            JTemplate::Expr(e) => out.push(e),
            JTemplate::Obj(f) => f.iter().for_each(|(_, t)| t.exprs(out)),
            JTemplate::Arr(a) => a.iter().for_each(|t| t.exprs(out)),
        }
    }

    pub fn mentions(&self, name: &str) -> bool {
        let mut v = Vec::new();
        self.exprs(&mut v);
        v.iter().any(|e| e.mentions(name))
    }
}

/// Why an expression gave no usable value.
#[derive(Debug, Clone, PartialEq)]
pub struct JError {
    /// `Output/result`-style path of the field that holds the expression.
    pub field: String,
    pub expr: String,
    pub kind: JErrorKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JErrorKind {
    /// The expression returned nothing.
    Undefined,
    /// `CODE: message`, as jsonata-js words it.
    Failed(String),
}

impl JError {
    /// AWS's cause text, without the "An error occurred while executing..." prefix.
    pub fn describe(&self) -> String {
        match &self.kind {
            JErrorKind::Undefined => format!(
                "The JSONata expression '{}' specified for the field '{}' returned nothing (undefined).",
                self.expr, self.field
            ),
            JErrorKind::Failed(m) => format!(
                "The JSONata expression '{}' specified for the field '{}' threw an error during evaluation. {m}",
                self.expr, self.field
            ),
        }
    }
}

/// What expressions can see: `$states` and the workflow's variables.
pub struct Env<'a> {
    /// `{input, context, result?, errorOutput?}`.
    pub states: Val,
    pub vars: &'a dyn Fn(&str) -> Option<Val>,
    /// Virtual clock, for `$now()` and `$millis()`.
    pub now_ms: i64,
}

/// Our value as the library's.
fn to_j(v: &Val) -> JValue {
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
fn canonical(v: &JValue, out: &mut String) -> bool {
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
fn finite(v: &JValue) -> bool {
    match v {
        JValue::Number(f) => f.is_finite(),
        JValue::Array(_) => v.as_array().is_none_or(|a| a.iter().all(finite)),
        JValue::Object(_) => v.as_object().is_none_or(|o| o.values().all(finite)),
        _ => true,
    }
}

fn from_j(v: &JValue) -> Option<Val> {
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

fn err(m: impl Into<String>) -> EvaluatorError {
    EvaluatorError::EvaluationError(m.into())
}

fn num_arg(args: &[JValue], i: usize) -> Option<f64> {
    args.get(i).and_then(|v| v.as_f64())
}

/// Run the real built-in `name` on `args` in a plain evaluator (used after a
/// guard has checked the arguments).
fn builtin(name: &str, args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let mut ctx = Context::new();
    let params: Vec<String> = (0..args.len()).map(|i| format!("$a{i}")).collect();
    for (i, a) in args.iter().enumerate() {
        ctx.bind(format!("a{i}"), a.clone());
    }
    let ast = jsonata_core::parser::parse(&format!("${name}({})", params.join(", ")))
        .map_err(|e| err(e.to_string()))?;
    let opts = EvaluatorOptions {
        timeout_ms: Some(TIME_LIMIT_MS),
        max_stack_depth: Some(MAX_DEPTH),
        ..Default::default()
    };
    Evaluator::with_options(ctx, opts).evaluate(&ast, &JValue::Null)
}

struct SeedRng(Rc<Cell<u64>>);

impl Random for SeedRng {
    fn next_u64(&mut self) -> u64 {
        let mut z = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

type HostBox = Box<dyn Fn(&[JValue]) -> Result<JValue, EvaluatorError>>;

/// Functions AWS adds, removes or changes, plus the guards.
fn install(ev: &mut Evaluator, rng: Rc<Cell<u64>>, now_ms: i64) {
    let reg = |ev: &mut Evaluator, name: &str, f: HostBox| {
        let f = Rc::new(f);
        let g = f.clone();
        if ev.register_fn(name, move |a: &[JValue]| f(a)).is_err() {
            let _ = ev.register_fn_override(name, move |a: &[JValue]| g(a));
        }
    };
    reg(
        ev,
        "partition",
        Box::new(|a| {
            let arr = a
                .first()
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default();
            let n = num_arg(a, 1)
                .ok_or_else(|| err("T0410: Argument 2 of function $partition must be a number"))?;
            if n < 1.0 || n.fract() != 0.0 {
                return Err(err(
                    "D3140: The chunk size of $partition must be a positive integer",
                ));
            }
            Ok(JValue::array(
                arr.chunks(n as usize)
                    .map(|c| JValue::array(c.to_vec()))
                    .collect(),
            ))
        }),
    );
    reg(
        ev,
        "range",
        Box::new(|a| {
            let (Some(s), Some(e)) = (num_arg(a, 0), num_arg(a, 1)) else {
                return Err(err("T0410: $range needs numeric start and end"));
            };
            let step = num_arg(a, 2).unwrap_or(1.0);
            if step == 0.0 {
                return Err(err("D3141: The step of $range must not be 0"));
            }
            let count = ((e - s) / step).floor() + 1.0;
            if count > 10_000_000.0 {
                return Err(err(
                    "D2014: $range results in too many elements (> 10,000,000)",
                ));
            }
            let mut out = Vec::new();
            let mut x = s;
            while (step > 0.0 && x <= e) || (step < 0.0 && x >= e) {
                out.push(JValue::Number(x));
                x += step;
            }
            // A sequence, as AWS returns it: one item is that item.
            Ok(match out.len() {
                0 => JValue::Undefined,
                1 => out.pop().unwrap_or(JValue::Undefined),
                _ => JValue::array(out),
            })
        }),
    );
    reg(
        ev,
        "hash",
        Box::new(|a| {
            use sha2::Digest;
            let data = a
                .first()
                .and_then(|v| v.as_str())
                .ok_or_else(|| err("T0410: Argument 1 of function $hash must be a string"))?;
            let alg = a.get(1).and_then(|v| v.as_str()).unwrap_or("SHA-256");
            let d = data.as_bytes();
            let bytes: Vec<u8> = match alg {
                "MD5" => md5::Md5::digest(d).to_vec(),
                "SHA-1" => sha1::Sha1::digest(d).to_vec(),
                "SHA-256" => sha2::Sha256::digest(d).to_vec(),
                "SHA-384" => sha2::Sha384::digest(d).to_vec(),
                "SHA-512" => sha2::Sha512::digest(d).to_vec(),
                other => return Err(err(format!("D3142: Unsupported hash algorithm '{other}'"))),
            };
            Ok(JValue::string(
                bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            ))
        }),
    );
    let r = rng.clone();
    reg(
        ev,
        "random",
        Box::new(move |a| {
            let x = match num_arg(a, 0) {
                Some(seed) => SeedRng(Rc::new(Cell::new(seed.to_bits()))).next_u64(),
                None => SeedRng(r.clone()).next_u64(),
            };
            Ok(JValue::Number(unit(x)))
        }),
    );
    let r = rng;
    reg(
        ev,
        "uuid",
        Box::new(move |_| Ok(JValue::string(uuid_v4(&mut SeedRng(r.clone()))))),
    );
    reg(
        ev,
        "parse",
        Box::new(|a| {
            let s = a
                .first()
                .and_then(|v| v.as_str())
                .ok_or_else(|| err("T0410: Argument 1 of function $parse must be a string"))?;
            let v = Val::parse(s).map_err(|e| err(format!("D3143: $parse: invalid JSON: {e}")))?;
            Ok(to_j(&v))
        }),
    );
    reg(
        ev,
        "eval",
        Box::new(|_| {
            Err(EvaluatorError::ReferenceError(
                "T1006: Attempted to invoke a non-function".into(),
            ))
        }),
    );
    reg(
        ev,
        "millis",
        Box::new(move |_| Ok(JValue::Number(now_ms as f64))),
    );
    reg(
        ev,
        "now",
        Box::new(move |a| {
            let mut args = vec![JValue::Number(now_ms as f64)];
            args.extend(a.iter().cloned());
            builtin("fromMillis", &args)
        }),
    );
    // $distinct and $keys compare every item with every other in the
    // library, and do not stop for the time limit: 100,000 items took up to a
    // minute. The same results (the library's logic, sequences included),
    // found with a hash of each value (see REPLACED).
    reg(
        ev,
        "asldbgDistinct",
        Box::new(|a| match a.first() {
            None | Some(JValue::Undefined) => Ok(JValue::Undefined),
            Some(JValue::Array(arr)) if arr.len() > 1 => {
                let mut seen = std::collections::HashSet::new();
                let mut key = String::new();
                let mut out = Vec::new();
                for v in arr.iter() {
                    key.clear();
                    // A value with no JSON form (a function) equals nothing.
                    if !canonical(v, &mut key) || seen.insert(key.clone()) {
                        out.push(v.clone());
                    }
                }
                let mut result = JValue::array(out);
                if arr.sequence {
                    result.mark_sequence();
                }
                Ok(result)
            }
            Some(other) => Ok(other.clone()),
        }),
    );
    reg(
        ev,
        "asldbgKeys",
        Box::new(|a| {
            let mut keys: Vec<JValue> = Vec::new();
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
            let objects: Vec<&jsonata_core::value::JMap> = match a.first() {
                Some(JValue::Object(o)) => vec![&**o],
                Some(JValue::Array(arr)) => arr
                    .iter()
                    .filter_map(|item| match item {
                        JValue::Object(o) => Some(&**o),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for o in objects {
                for k in o.keys() {
                    if !seen.contains(k.as_str()) {
                        seen.insert(k.clone());
                        keys.push(JValue::string(k.clone()));
                    }
                }
            }
            Ok(JValue::sequence(keys))
        }),
    );
    reg(
        ev,
        "pad",
        Box::new(|a| {
            if num_arg(a, 1).is_some_and(|w| w.abs() > MAX_PAD) {
                return Err(err(format!(
                    "D3144: $pad width over the limit of {MAX_PAD} characters"
                )));
            }
            builtin("pad", a)
        }),
    );
    reg(
        ev,
        "formatInteger",
        Box::new(|a| {
            // Roman numerals repeat 'M' once per thousand.
            let roman = a
                .get(1)
                .and_then(|p| p.as_str())
                .is_some_and(|p| p.contains('I') || p.contains('i'));
            if roman && num_arg(a, 0).is_some_and(|n| !n.is_finite() || n.abs() > 1e7) {
                return Err(err(
                    "D3145: $formatInteger: the number is too large to format",
                ));
            }
            builtin("formatInteger", a)
        }),
    );
}

/// Cancels evaluations that run past their deadline. The library's own
/// timeout reads the clock at every step; a watchdog thread that flips a
/// cancel flag costs the evaluator one atomic load instead.
mod watchdog {
    use super::CancelToken;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::{Duration, Instant};

    type Entry = (Instant, Arc<CancelToken>);
    static PENDING: OnceLock<Mutex<Vec<Entry>>> = OnceLock::new();

    fn pending() -> &'static Mutex<Vec<Entry>> {
        PENDING.get_or_init(|| {
            let spawned = std::thread::Builder::new()
                .name("jsonata-watchdog".into())
                .spawn(|| loop {
                    std::thread::sleep(Duration::from_millis(20));
                    let now = Instant::now();
                    if let Ok(mut list) = pending().lock() {
                        list.retain(|(deadline, token)| {
                            // Only the watchdog holds finished sessions' tokens.
                            let running = Arc::strong_count(token) > 1;
                            if running && *deadline <= now {
                                token.cancel();
                            }
                            running && *deadline > now
                        });
                    }
                });
            drop(spawned);
            Mutex::new(Vec::new())
        })
    }

    /// A token that is cancelled `limit` from now, while the caller holds it.
    pub fn token(limit: Duration) -> Arc<CancelToken> {
        let t = Arc::new(CancelToken::new());
        if let Ok(mut list) = pending().lock() {
            list.push((Instant::now() + limit, t.clone()));
        }
        t
    }
}

/// One evaluation session: `$states` converted once, the variables that the
/// session's expressions mention bound once.
pub struct Session {
    ev: Evaluator,
    data: JValue,
    /// Held while the session lives; the watchdog cancels it at the deadline.
    _deadline: std::sync::Arc<CancelToken>,
}

impl Session {
    /// `exprs`: every expression the session may evaluate (to bind only the
    /// variables they mention). `seed` feeds `$random()` and `$uuid()`.
    pub fn new(env: &Env, exprs: &[&Expr], seed: u64) -> Session {
        let mut ctx = Context::new();
        let mut names = BTreeSet::new();
        for e in exprs {
            names.extend(e.refs.iter().cloned());
        }
        for n in &names {
            if n == "states" {
                // Convert only the members of `$states` the expressions name
                // (the context alone holds a second copy of the execution input).
                let states = match env.states.as_object() {
                    Some(members) => Val::obj(
                        members
                            .iter()
                            .filter(|(k, _)| exprs.iter().any(|e| e.source.contains(k.as_str())))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    ),
                    None => env.states.clone(),
                };
                ctx.bind("states".into(), to_j(&states));
            } else if let Some(v) = (env.vars)(n) {
                ctx.bind(n.clone(), to_j(&v));
            }
        }
        let deadline = watchdog::token(std::time::Duration::from_millis(TIME_LIMIT_MS));
        let opts = EvaluatorOptions {
            cancel: Some((*deadline).clone()),
            max_stack_depth: Some(MAX_DEPTH),
            max_sequence_length: Some(MAX_SEQUENCE),
            ..Default::default()
        };
        let mut ev = Evaluator::with_options(ctx, opts);
        install(&mut ev, Rc::new(Cell::new(seed)), env.now_ms);
        Session {
            ev,
            data: JValue::Null,
            _deadline: deadline,
        }
    }

    /// Like [`Session::new`] with other limits (the reference suite sets its own).
    pub fn with_limits(
        env: &Env,
        exprs: &[&Expr],
        seed: u64,
        depth: usize,
        time_ms: u64,
    ) -> Session {
        let mut s = Session::new(env, exprs, seed);
        let mut ctx = Context::new();
        for e in exprs {
            for n in &e.refs {
                if let Some(v) = (env.vars)(n) {
                    ctx.bind(n.clone(), to_j(&v));
                }
            }
        }
        let deadline = watchdog::token(std::time::Duration::from_millis(time_ms));
        let opts = EvaluatorOptions {
            cancel: Some((*deadline).clone()),
            max_stack_depth: Some(depth),
            max_sequence_length: Some(MAX_SEQUENCE),
            ..Default::default()
        };
        s.ev = Evaluator::with_options(ctx, opts);
        s._deadline = deadline;
        install(&mut s.ev, Rc::new(Cell::new(seed)), env.now_ms);
        s
    }

    /// Set the context value `$` (Step Functions leaves it null; the
    /// reference suite gives documents).
    pub fn set_data(&mut self, data: Option<&Val>) {
        self.data = data.map(to_j).unwrap_or(JValue::Undefined);
    }

    /// Evaluate one expression; `Ok(None)` is undefined.
    pub fn eval_expr(&mut self, e: &Expr, field: &str) -> Result<Option<Val>, JError> {
        let ev = &mut self.ev;
        let data = &self.data;
        fn cancel(token: *const ()) {
            // SAFETY: points at the session's token, alive while it evaluates.
            unsafe { (*(token as *const CancelToken)).cancel() }
        }
        let token = std::sync::Arc::as_ptr(&self._deadline) as *const ();
        let (r, too_much_memory) =
            crate::alloc::with_budget(MAX_MEMORY_BYTES, (cancel, token), || {
                guarded(|| ev.evaluate(&e.ast, data))
            });
        let fail = |m: String| JError {
            field: field.to_string(),
            expr: e.source.clone(),
            kind: JErrorKind::Failed(m),
        };
        if too_much_memory {
            return Err(fail(format!(
                "U1004: the expression used more than {} MiB of memory",
                MAX_MEMORY_BYTES >> 20
            )));
        }
        match r {
            // JSON has no Infinity or NaN: AWS fails such a result (1/0).
            Ok(Ok(v)) if !finite(&v) => Err(fail(
                "D1001: Number out of range: the result holds Infinity or NaN".into(),
            )),
            Ok(Ok(v)) => Ok(from_j(&v)),
            Ok(Err(er)) => Err(fail(aws_message(&er))),
            Err(_) => Err(fail(
                "U1002: the JSONata evaluator failed on this expression".into(),
            )),
        }
    }

    /// Evaluate a template; an expression that gives nothing is an error.
    pub fn eval(&mut self, t: &JTemplate, field: &str) -> Result<Val, JError> {
        match t {
            JTemplate::Lit(v) => Ok(v.clone()),
            JTemplate::Expr(e) => self.eval_expr(e, field)?.ok_or_else(|| JError {
                field: field.to_string(),
                expr: e.source.clone(),
                kind: JErrorKind::Undefined,
            }),
            JTemplate::Obj(fields) => {
                let mut m = Map::with_capacity_and_hasher(fields.len(), Default::default());
                for (k, t) in fields {
                    m.insert(k.clone(), self.eval(t, &format!("{field}/{k}"))?);
                }
                Ok(Val::obj(m))
            }
            JTemplate::Arr(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, t) in a.iter().enumerate() {
                    out.push(self.eval(t, &format!("{field}[{i}]"))?);
                }
                Ok(Val::arr(out))
            }
        }
    }
}

thread_local! {
    /// Set while [`guarded`] runs a call whose panic becomes an error.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the panic being reported happens inside [`guarded`]: it will be
/// caught and turned into an error, so a panic hook must stay silent (and
/// must not restore the terminal of a debugger that keeps running).
pub fn panic_is_caught() -> bool {
    GUARDED.with(Cell::get)
}

/// Runs `f`, catching a panic of the library as an `Err`, without the panic
/// hook printing anything.
fn guarded<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !panic_is_caught() {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was));
    r
}

/// `CODE: message` from a message that may carry a prefix before the code
/// ("Invalid syntax: S0201: ...").
fn normalize(m: &str) -> String {
    let b = m.as_bytes();
    for i in 0..b.len().saturating_sub(5) {
        let code = b[i].is_ascii_uppercase()
            && b[i + 1..i + 5].iter().all(u8::is_ascii_digit)
            && b[i + 5] == b':';
        if code && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            return m[i..].to_string();
        }
    }
    m.to_string()
}

/// jsonata-js's wording: `CODE: message` without the library's prefixes.
fn aws_message(e: &EvaluatorError) -> String {
    let m = normalize(e.message());
    match e.code() {
        // jsonata-js does not name the function.
        Some("T1006") => "T1006: Attempted to invoke a non-function".into(),
        Some("D1011") | Some("U1001") => format!(
            "U1001: Stack overflow error: {}",
            m.split_once(": ").map(|x| x.1).unwrap_or(&m)
        ),
        Some("D1012") | Some("U1003") => {
            "U1001: Timeout: the expression ran longer than the limit".to_string()
        }
        _ => m,
    }
}

impl std::fmt::Display for JError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl std::error::Error for JError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval_with(
        src: &str,
        states: serde_json::Value,
        vars: &[(&str, serde_json::Value)],
    ) -> Result<Option<Val>, JError> {
        let e = Expr::parse(src).unwrap();
        let vars: Vec<(String, Val)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), Val::from(v)))
            .collect();
        let lookup = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let env = Env {
            states: Val::from(states),
            vars: &lookup,
            now_ms: 1_700_000_000_000,
        };
        Session::new(&env, &[&e], 42).eval_expr(&e, "Output")
    }

    fn ev(src: &str) -> Result<Option<Val>, JError> {
        eval_with(
            src,
            json!({"input": {"items": [{"price": 5, "qty": 2}, {"price": 20, "qty": 3}]}}),
            &[("x", json!(7))],
        )
    }

    #[test]
    fn states_and_variables() {
        assert_eq!(
            ev("{% $states.input.items[price > 10].{'total': price * qty} %}")
                .unwrap()
                .unwrap()
                .to_json(),
            json!({"total": 60})
        );
        assert_eq!(ev("{% $x + 1 %}").unwrap().unwrap().to_json(), json!(8));
        assert_eq!(ev("{% $nothing %}").unwrap(), None);
    }

    #[test]
    fn a_result_that_is_not_a_json_number_is_an_error() {
        for src in ["1/0", "-1/0", "[1, {'a': 0/0}]"] {
            let e = ev(src).unwrap_err();
            assert!(
                matches!(&e.kind, JErrorKind::Failed(m) if m.starts_with("D1001")),
                "{src}: {e:?}"
            );
        }
        assert_eq!(ev("1/4").unwrap().unwrap().to_json(), json!(0.25));
    }

    #[test]
    fn a_caught_panic_of_the_library_is_silent() {
        assert!(!panic_is_caught());
        let r = guarded(|| {
            assert!(panic_is_caught());
            panic!("inside the library")
        });
        assert!(r.is_err());
        assert!(!panic_is_caught());
    }

    #[test]
    fn distinct_and_keys_of_large_arrays_finish_within_the_time_limit() {
        let t = std::time::Instant::now();
        assert_eq!(
            ev("$count($distinct([1..100000].($ % 1000)))")
                .unwrap()
                .unwrap()
                .to_json(),
            json!(1000)
        );
        assert_eq!(
            ev("$count($keys([1..100000].{'k' & $string($ % 5000): 1}))")
                .unwrap()
                .unwrap()
                .to_json(),
            json!(5000)
        );
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            t.elapsed()
        );
        // The library's results: deep equality, first occurrences in order,
        // sequences kept (one key stays a list inside $map).
        assert_eq!(
            ev("$distinct([1, 1.0, 2, {'a': 1, 'b': [2]}, {'b': [2], 'a': 1}, '1'])")
                .unwrap()
                .unwrap()
                .to_json(),
            json!([1, 2, {"a": 1, "b": [2]}, "1"])
        );
        assert_eq!(
            ev("$map([{'a': 1}, {'b': 2, 'a': 3}], $keys)")
                .unwrap()
                .unwrap()
                .to_json(),
            json!([["a"], ["b", "a"]])
        );
        assert_eq!(
            ev("$keys({'a': 1})").unwrap().unwrap().to_json(),
            json!("a")
        );
        assert_eq!(ev("$keys(5)").unwrap(), None);
        assert_eq!(
            ev("'$distinct'").unwrap().unwrap().to_json(),
            json!("$distinct")
        );
        assert_eq!(ev("$distinct(3)").unwrap().unwrap().to_json(), json!(3));
    }

    #[test]
    fn sequences_past_ten_million_items_are_an_error() {
        let e = ev("$count($append([1..10000000], [1..10000000]))").unwrap_err();
        assert!(
            matches!(&e.kind, JErrorKind::Failed(m) if m.starts_with("D2015")),
            "{e:?}"
        );
    }

    #[test]
    fn aws_functions() {
        assert_eq!(
            ev("$partition([1,2,3], 2)").unwrap().unwrap().to_json(),
            json!([[1, 2], [3]])
        );
        assert_eq!(
            ev("$range(1, 9, 4)").unwrap().unwrap().to_json(),
            json!([1, 5, 9])
        );
        assert_eq!(
            ev("$hash('input data', 'MD5')").unwrap().unwrap().to_json(),
            json!("812f45842bc6d66ee14572ce20db8e86")
        );
        assert_eq!(
            ev("$parse('{\"a\": [1]}')").unwrap().unwrap().to_json(),
            json!({"a": [1]})
        );
        assert_eq!(ev("$uuid()").unwrap().unwrap().as_str().unwrap().len(), 36);
        let r = ev("$random()").unwrap().unwrap().as_f64().unwrap();
        assert!((0.0..1.0).contains(&r));
        assert_eq!(ev("$random(5)").unwrap(), ev("$random(5)").unwrap());
        assert_eq!(
            ev("$now()").unwrap().unwrap().to_json(),
            json!("2023-11-14T22:13:20.000Z")
        );
        assert_eq!(
            ev("$millis()").unwrap().unwrap().to_json(),
            json!(1_700_000_000_000i64)
        );
        assert_eq!(
            ev("$now('[Y0001]')").unwrap().unwrap().to_json(),
            json!("2023")
        );
        let e = ev("$eval('1')").unwrap_err();
        assert_eq!(
            e.kind,
            JErrorKind::Failed("T1006: Attempted to invoke a non-function".into())
        );
        assert_eq!(
            e.describe(),
            "The JSONata expression '$eval('1')' specified for the field 'Output' threw an error during evaluation. T1006: Attempted to invoke a non-function"
        );
    }

    #[test]
    fn only_jsonata_2_0_6() {
        assert!(Expr::parse("{% $a ?? 1 %}").is_err());
        assert!(Expr::parse("{% $a ?: 1 %}").is_err());
        assert!(Expr::parse("{% $a ? 1 : 2 %}").is_ok());
        assert!(Expr::parse("{% '??' %}").is_ok());
        assert!(Expr::parse("{% ( %}").is_err());
    }

    #[test]
    fn hostile_expressions_end_in_bounded_time_and_memory() {
        let start = std::time::Instant::now();
        for src in [
            "$pad('x', 1e12)",
            "$formatInteger(1e21, 'I')",
            "($f := function($n) { $f($n + 1) }; $f(0))",
            "[1..1e9]",
            "($loop := function() { $loop() }; $loop())",
        ] {
            assert!(
                matches!(
                    ev(src),
                    Err(JError {
                        kind: JErrorKind::Failed(_),
                        ..
                    })
                ),
                "{src}: {:?}",
                ev(src)
            );
        }
        assert!(start.elapsed().as_secs() < 20);
    }

    #[test]
    fn templates_name_the_failing_field() {
        let t = JTemplate::compile(&json!({"a": {"b": ["{% $missing %}"]}, "lit": "x {% not %}"}))
            .unwrap();
        let lookup = |_: &str| None;
        let env = Env {
            states: Val::empty_obj(),
            vars: &lookup,
            now_ms: 0,
        };
        let mut exprs = Vec::new();
        t.exprs(&mut exprs);
        let e = Session::new(&env, &exprs, 0)
            .eval(&t, "Arguments")
            .unwrap_err();
        assert_eq!(e.field, "Arguments/a/b[0]");
        assert_eq!(e.kind, JErrorKind::Undefined);
        assert!(JTemplate::compile(&json!({"x": "{% ) %}"})).is_err());
    }

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(ev("1 + 2").unwrap().unwrap().to_compact(), "3");
        assert_eq!(
            ev("0.1 + 0.2").unwrap().unwrap().to_compact(),
            "0.30000000000000004"
        );
        assert_eq!(ev("1.5").unwrap().unwrap().to_compact(), "1.5");
    }
}
