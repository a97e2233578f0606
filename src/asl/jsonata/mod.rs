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

use super::doc::Doc;
use super::intrinsics::uuid_v4;
use super::intrinsics::Random;
use super::value::{Map, Val};
use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{CancelToken, Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::value::JValue;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Time allowed for one expression when running locally (a thread's
/// [`crate::budget`] may allow less).
pub const TIME_LIMIT_MS: u64 = 2_000;
/// Evaluation nesting allowed for one expression.
pub const MAX_DEPTH: usize = 1_000;
/// The deepest a result may nest (arrays and objects).
pub const MAX_RESULT_DEPTH: usize = 512;
/// The longest sequence one step may build ($append, $range, mapping, …).
pub const MAX_SEQUENCE: usize = 10_000_000;

/// What one item of a sequence holds while it is built (measured by
/// `tests/budget.rs`: `[1..n].($ * 2)` holds 120 bytes an item).
pub const SEQUENCE_ITEM_BYTES: usize = 120;

/// The longest sequence an evaluation with `memory` bytes may build: a
/// sequence is made at its full length before the memory count can stop
/// it, so its length is bounded beforehand to what the memory an
/// evaluation may hold (a quarter of its budget, see
/// [`crate::alloc::PEAK_TO_HELD`]) takes, at most [`MAX_SEQUENCE`].
pub fn sequence_limit(memory: usize) -> usize {
    (memory / crate::alloc::PEAK_TO_HELD / SEQUENCE_ITEM_BYTES).min(MAX_SEQUENCE)
}

/// JSONata's functions (those AWS provides, its own additions included).
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("$sum", "(array) → number"),
    ("$count", "(array) → number"),
    ("$max", "(array) → number"),
    ("$min", "(array) → number"),
    ("$average", "(array) → number"),
    ("$string", "(value[, prettify]) → string"),
    ("$substring", "(str, start[, length]) → string"),
    ("$substringBefore", "(str, chars) → string"),
    ("$substringAfter", "(str, chars) → string"),
    ("$uppercase", "(str) → string"),
    ("$lowercase", "(str) → string"),
    ("$length", "(str) → number"),
    ("$trim", "(str) → string"),
    ("$pad", "(str, width[, char]) → string"),
    ("$contains", "(str, pattern) → boolean"),
    ("$split", "(str, separator[, limit]) → array"),
    ("$join", "(array[, separator]) → string"),
    ("$match", "(str, pattern[, limit]) → array"),
    ("$replace", "(str, pattern, replacement[, limit]) → string"),
    ("$eval", "(expr[, context]) → value"),
    ("$base64encode", "(str) → string"),
    ("$base64decode", "(str) → string"),
    ("$encodeUrlComponent", "(str) → string"),
    ("$encodeUrl", "(str) → string"),
    ("$decodeUrlComponent", "(str) → string"),
    ("$decodeUrl", "(str) → string"),
    ("$number", "(arg) → number"),
    ("$abs", "(number) → number"),
    ("$floor", "(number) → number"),
    ("$ceil", "(number) → number"),
    ("$round", "(number[, precision]) → number"),
    ("$power", "(base, exponent) → number"),
    ("$sqrt", "(number) → number"),
    (
        "$random",
        "([seed]) → number in [0, 1) (AWS: an optional seed)",
    ),
    ("$formatNumber", "(number, picture[, options]) → string"),
    ("$formatBase", "(number[, radix]) → string"),
    ("$formatInteger", "(number, picture) → string"),
    ("$parseInteger", "(string, picture) → number"),
    ("$boolean", "(arg) → boolean"),
    ("$not", "(arg) → boolean"),
    ("$exists", "(arg) → boolean"),
    ("$append", "(array1, array2) → array"),
    ("$reverse", "(array) → array"),
    ("$shuffle", "(array) → array"),
    ("$distinct", "(array) → array"),
    ("$sort", "(array[, function]) → array"),
    ("$zip", "(array1, ...) → array"),
    ("$keys", "(object) → array"),
    ("$lookup", "(object, key) → value"),
    ("$spread", "(object) → array"),
    ("$merge", "(array<object>) → object"),
    ("$sift", "(object, function) → object"),
    ("$each", "(object, function) → array"),
    ("$error", "(message) → fails the evaluation"),
    ("$assert", "(condition, message) → fails when false"),
    ("$type", "(value) → string"),
    ("$map", "(array, function) → array"),
    ("$filter", "(array, function) → array"),
    ("$single", "(array, function) → value"),
    ("$reduce", "(array, function[, init]) → value"),
    ("$now", "([picture[, timezone]]) → timestamp string"),
    ("$millis", "() → number"),
    ("$fromMillis", "(number[, picture[, timezone]]) → string"),
    ("$toMillis", "(timestamp[, picture]) → number"),
    ("$partition", "(array, size) → chunks of size (AWS)"),
    ("$range", "(start, end, step) → numbers (AWS)"),
    (
        "$hash",
        "(data[, algorithm]) → hex digest (AWS): MD5, SHA-1, SHA-256, …",
    ),
    ("$uuid", "() → a version 4 UUID (AWS)"),
    ("$parse", "(json_string) → the value it holds (AWS)"),
];

/// A parsed JSONata expression.
#[derive(Debug, Clone)]
pub struct Expr {
    /// The text between `{%` and `%}`, trimmed (as AWS quotes it in errors).
    pub source: String,
    ast: AstNode,
    /// `$names` mentioned in the text (variables and functions alike).
    refs: BTreeSet<String>,
    /// `$states` is used whole, not only through members (found once, at
    /// parse: a session binds all of it then).
    whole_states: bool,
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
    /// A field the expression reads from its top level, where a state's
    /// expression has no data (it reads `$states.input`): AWS refuses the
    /// definition ("Reference to 'x' at the top level is not supported").
    /// Names inside a path after its first step, in predicates, lambdas
    /// and the like read the data those give, and are not looked at.
    pub fn top_level_name(&self) -> Option<String> {
        let mut todo: Vec<&AstNode> = vec![&self.ast];
        while let Some(n) = todo.pop() {
            match n {
                AstNode::Name(s) => return Some(s.clone()),
                AstNode::Path { steps } => todo.extend(steps.first().map(|s| &s.node)),
                AstNode::Binary { lhs, rhs, .. } => todo.extend([&**lhs, &**rhs]),
                AstNode::Unary { operand, .. } => todo.push(operand),
                AstNode::Function { args, .. } => todo.extend(args),
                AstNode::Call { procedure, args } => {
                    todo.push(procedure);
                    todo.extend(args);
                }
                AstNode::Array(items) | AstNode::Block(items) => todo.extend(items),
                AstNode::Object(pairs) => pairs.iter().for_each(|(k, v)| todo.extend([k, v])),
                AstNode::Conditional {
                    condition,
                    then_branch,
                    else_branch,
                } => {
                    todo.extend([&**condition, &**then_branch]);
                    todo.extend(else_branch.as_deref());
                }
                _ => {}
            }
        }
        None
    }

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
        let whole_states = uses_whole_states(&source);
        Ok(Expr {
            source,
            ast,
            refs,
            whole_states,
        })
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

fn has_expr(v: &Doc) -> bool {
    match v {
        Doc::Str(s) => is_expr(s),
        Doc::Arr(a) => a.iter().any(has_expr),
        Doc::Obj(o) => o.values().any(has_expr),
        _ => false,
    }
}

impl JTemplate {
    /// Compile; errors carry the JSON pointer suffix of the bad expression.
    pub fn compile(v: &serde_json::Value) -> Result<JTemplate, Vec<(String, String)>> {
        Self::compile_doc(&Doc::from_value(v))
    }

    /// [`JTemplate::compile`] on a document.
    pub fn compile_doc(v: &Doc) -> Result<JTemplate, Vec<(String, String)>> {
        let mut errs = Vec::new();
        let t = Self::build(v, "", &mut errs);
        if errs.is_empty() {
            Ok(t)
        } else {
            Err(errs)
        }
    }

    fn build(v: &Doc, ptr: &str, errs: &mut Vec<(String, String)>) -> JTemplate {
        if !has_expr(v) {
            return JTemplate::Lit(Val::from(v));
        }
        match v {
            Doc::Str(s) => match Expr::parse(s) {
                Ok(e) => JTemplate::Expr(Box::new(e)),
                Err(m) => {
                    errs.push((ptr.to_string(), m));
                    JTemplate::Lit(Val::Null)
                }
            },
            Doc::Arr(a) => JTemplate::Arr(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| Self::build(x, &format!("{ptr}/{i}"), errs))
                    .collect(),
            ),
            Doc::Obj(o) => JTemplate::Obj(
                o.iter()
                    .map(|(k, x)| {
                        (
                            k.to_string(),
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

    /// Every expression in the template with the JSON pointer (below the
    /// template) of the string that holds it.
    pub fn exprs_at<'a>(&'a self, ptr: &str, out: &mut Vec<(String, &'a Expr)>) {
        match self {
            JTemplate::Lit(_) => {}
            JTemplate::Expr(e) => out.push((ptr.to_string(), e)),
            JTemplate::Obj(f) => f.iter().for_each(|(k, t)| {
                t.exprs_at(&format!("{ptr}/{}", super::json::pointer_token(k)), out)
            }),
            JTemplate::Arr(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, t)| t.exprs_at(&format!("{ptr}/{i}"), out)),
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

/// Whether `src` uses `$states` as a whole (`$states`, `$keys($states)`,
/// `$states[…]`), not only through its members (`$states.input`).
fn uses_whole_states(src: &str) -> bool {
    src.match_indices("$states").any(|(i, m)| {
        let rest = src[i + m.len()..].trim_start();
        let name_goes_on = src[i + m.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        !name_goes_on && !rest.starts_with('.')
    })
}

/// One evaluation session: `$states` converted once, the variables that the
/// session's expressions mention bound once.
pub struct Session {
    ev: Evaluator,
    data: JValue,
    /// Held while the session lives; the watchdog cancels it at the deadline.
    _deadline: std::sync::Arc<CancelToken>,
    /// What the thread's budget allowed when the session began.
    budget: crate::budget::Budget,
    allowance: crate::budget::Allowance,
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
                let whole = exprs.iter().any(|e| e.whole_states);
                let states = match env.states.as_object() {
                    Some(_) if whole => env.states.clone(),
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
        let budget = crate::budget::get();
        let allowance = crate::budget::allowance();
        let deadline = builtins::watchdog::token(allowance.time);
        if allowance.time.is_zero() {
            deadline.cancel();
        }
        let opts = EvaluatorOptions {
            cancel: Some((*deadline).clone()),
            max_stack_depth: Some(MAX_DEPTH),
            max_sequence_length: Some(sequence_limit(budget.memory)),
            ..Default::default()
        };
        // The built-ins that build a large result in one call ask the
        // thread's budget first (vendor/README.md).
        jsonata_core::guard::set_may_hold(crate::alloc::may_hold);
        let mut ev = Evaluator::with_options(ctx, opts);
        install(&mut ev, Rc::new(Cell::new(seed)), env.now_ms);
        Session {
            ev,
            data: JValue::Null,
            _deadline: deadline,
            budget,
            allowance,
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
        let deadline = builtins::watchdog::token(std::time::Duration::from_millis(time_ms));
        let opts = EvaluatorOptions {
            cancel: Some((*deadline).clone()),
            max_stack_depth: Some(depth),
            max_sequence_length: Some(MAX_SEQUENCE),
            ..Default::default()
        };
        s.ev = Evaluator::with_options(ctx, opts);
        s._deadline = deadline;
        s.allowance = crate::budget::Allowance {
            time: std::time::Duration::from_millis(time_ms),
            by_turn: false,
        };
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
        fn cancelled(token: *const ()) -> bool {
            // SAFETY: as in `cancel`.
            unsafe { (*(token as *const CancelToken)).is_cancelled() }
        }
        let hook = crate::alloc::CancelHook {
            cancel,
            cancelled,
            arg: std::sync::Arc::as_ptr(&self._deadline) as *const (),
        };
        let memory = self.budget.memory;
        let (r, too_much_memory) = crate::budget::timed(|| {
            crate::alloc::with_budget(memory, hook, || guarded(|| ev.evaluate(&e.ast, data)))
        });
        let fail = |m: String| JError {
            field: field.to_string(),
            expr: e.source.clone(),
            kind: JErrorKind::Failed(m),
        };
        if too_much_memory {
            crate::budget::hit();
            crate::alloc::release();
            return Err(fail(format!(
                "U1004: the expression used more than {} of memory",
                crate::budget::show_bytes(memory)
            )));
        }
        if let Ok(Err(er)) = &r {
            if er.code() == Some("D2015") {
                // The sequence bound follows the memory budget.
                crate::budget::hit();
            }
            // A built-in that asks whether it may go on is told no once the
            // time is up (`alloc::may_hold`), and fails its own way.
            if matches!(er.code(), Some("D1012") | Some("U1003")) || self._deadline.is_cancelled() {
                crate::budget::hit();
                return Err(fail(if self.allowance.by_turn {
                    format!(
                        "U1001: Timeout: this key press's evaluations ran longer than their {} together",
                        crate::budget::show_time(self.budget.per_turn.unwrap_or_default())
                    )
                } else {
                    format!(
                        "U1001: Timeout: the expression ran longer than the limit ({})",
                        crate::budget::show_time(self.allowance.time)
                    )
                }));
            }
        }
        match r {
            // Every consumer of a value (its JSON text, the panes, a
            // comparison) walks it: a result nested past what the stack
            // holds would end the process, not the evaluation.
            Ok(Ok(v)) if deeper_than(&v, MAX_RESULT_DEPTH) => Err(fail(format!(
                "D1001: the result is nested deeper than {MAX_RESULT_DEPTH} levels"
            ))),
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

mod builtins;
mod convert;
#[cfg(test)]
mod tests;

use builtins::install;
use convert::{canonical, deeper_than, finite, from_j, to_j};
