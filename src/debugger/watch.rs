//! Watch expressions: compiled once when added, evaluated against the state
//! input, the variables and the context object of the moment shown.

use super::Moment;
use crate::asl::value::Val;

enum Compiled {
    /// A JSONPath (`$.a`, `$$.Execution.Id`, `$var`), an intrinsic
    /// function, or a payload template (JSON with `.$` keys).
    Path(crate::asl::template::Template),
    Jsonata(crate::asl::jsonata::Expr),
    /// JSON whose strings hold `{% … %}` (a JSONata state's Arguments).
    JsonataTemplate(crate::asl::jsonata::JTemplate),
}

pub struct Watch {
    pub source: String,
    compiled: Compiled,
}

/// A watch written as a JSONPath (`$.a`, `$$.Execution.Id`, `$var`) or an
/// intrinsic function; anything else is JSONata.
pub fn is_path(text: &str) -> bool {
    let t = text.trim();
    t == "$"
        || t.starts_with("$.")
        || t.starts_with("$$")
        || t.starts_with("$[")
        || t.starts_with("States.")
}

impl Watch {
    /// Compile `text`; a syntax error is returned as a positioned message.
    pub fn new(text: &str) -> Result<Watch, String> {
        let t = text.trim();
        let json = (t.starts_with('{') && !t.starts_with("{%")) || t.starts_with('[');
        let compiled = if let Some(v) = json
            .then(|| serde_json::from_str::<serde_json::Value>(t).ok())
            .flatten()
        {
            // A payload template; one with `{% … %}` strings is JSONata's.
            let first = |errs: Vec<(String, String)>| {
                errs.into_iter()
                    .next()
                    .map(|(p, m)| format!("at {p}: {m}"))
                    .unwrap_or_default()
            };
            if t.contains("{%") {
                Compiled::JsonataTemplate(
                    crate::asl::jsonata::JTemplate::compile(&v).map_err(first)?,
                )
            } else {
                Compiled::Path(crate::asl::template::Template::compile(&v).map_err(|errs| {
                    first(errs.into_iter().map(|(p, m)| (p, m.to_string())).collect())
                })?)
            }
        } else if is_path(t) {
            match crate::asl::template::compile_expr(t) {
                Ok(p) => Compiled::Path(p),
                // `$.a + 1` is no JSONPath, but it is JSONata (an
                // intrinsic's error stays an intrinsic's).
                Err(e) => match crate::asl::jsonata::Expr::parse(t) {
                    Ok(j) if t.starts_with('$') => Compiled::Jsonata(j),
                    _ => return Err(e.to_string()),
                },
            }
        } else {
            Compiled::Jsonata(crate::asl::jsonata::Expr::parse(t)?)
        };
        Ok(Watch {
            source: t.to_string(),
            compiled,
        })
    }

    /// The watch's value for the state about to run (its input, the
    /// variables in scope, the context object); `Ok(None)`: undefined.
    pub fn eval(&self, exec: &Moment) -> Result<Option<Val>, String> {
        let input = exec.current_input().cloned().unwrap_or_default();
        let lookup = |n: &str| exec.lookup_var(n);
        match &self.compiled {
            Compiled::Path(t) => {
                let ctx = || exec.context_or_run();
                let scope = crate::asl::jsonpath::Scope {
                    data: &input,
                    context: &ctx,
                    vars: &lookup,
                };
                let mut rng = crate::engine::Rng::seeded(0);
                match t.eval(&scope, &mut rng) {
                    Ok(v) => Ok(Some(v)),
                    // A path that selects nothing has no value (as JSONata's
                    // undefined): a condition on it is false.
                    Err(crate::asl::template::TemplateError::PathMissing { .. }) => Ok(None),
                    Err(crate::asl::template::TemplateError::Intrinsic { message, .. }) => {
                        Err(short(message))
                    }
                }
            }
            Compiled::Jsonata(e) => {
                let states =
                    Val::object([("input", input.clone()), ("context", exec.context_or_run())]);
                let env = crate::asl::jsonata::Env {
                    states,
                    vars: &lookup,
                    now_ms: exec.now_ms(),
                };
                let mut s = crate::asl::jsonata::Session::new(&env, &[e], 0);
                s.set_data(Some(&input));
                // The watch's row names the expression: only what went wrong.
                s.eval_expr(e, "watch").map_err(jshort)
            }
            Compiled::JsonataTemplate(t) => {
                let ctx = exec.context_or_run();
                let states = Val::object([("input", input.clone()), ("context", ctx)]);
                let env = crate::asl::jsonata::Env {
                    states,
                    vars: &lookup,
                    now_ms: exec.now_ms(),
                };
                let mut exprs = Vec::new();
                t.exprs(&mut exprs);
                let mut s = crate::asl::jsonata::Session::new(&env, &exprs, 0);
                s.eval(t, "watch").map(Some).map_err(jshort)
            }
        }
    }
}

fn jshort(e: crate::asl::jsonata::JError) -> String {
    short(match e.kind {
        crate::asl::jsonata::JErrorKind::Failed(m) => m,
        crate::asl::jsonata::JErrorKind::Undefined => e.describe(),
    })
}

/// An error message cut to a few hundred characters: some quote the value
/// they failed on, which may be megabytes.
fn short(m: String) -> String {
    const MAX: usize = 400;
    if m.chars().count() <= MAX {
        return m;
    }
    let mut cut: String = m.chars().take(MAX - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_jsonata_are_told_apart_and_bad_ones_refused() {
        assert!(is_path("$.a") && is_path("$$.Execution.Id") && is_path("States.Array(1)"));
        // Not a JSONPath, but JSONata: taken as JSONata.
        assert!(matches!(
            Watch::new("$.a + 1").map(|w| w.compiled),
            Ok(Compiled::Jsonata(_))
        ));
        // Neither: the JSONPath's error.
        assert!(Watch::new("$.a[").is_err());
        assert!(!is_path("amount > 5") && !is_path("$sum(items)"));
        assert!(Watch::new("$.a[").is_err());
        assert!(Watch::new("amount >").is_err());
        assert_eq!(Watch::new("  $.a ").unwrap().source, "$.a");
        // Payload templates, as the lab pins them.
        assert!(matches!(
            Watch::new(r#"{"x.$": "$.a", "n": 1}"#).map(|w| w.compiled),
            Ok(Compiled::Path(_))
        ));
        assert!(matches!(
            Watch::new(r#"{"x": "{% $states.input.a %}"}"#).map(|w| w.compiled),
            Ok(Compiled::JsonataTemplate(_))
        ));
        match Watch::new(r#"{"x.$": "$.a["}"#) {
            Err(e) => assert!(e.contains("/x.$"), "{e}"),
            Ok(_) => panic!("a malformed path in a template is refused"),
        }
    }
}
