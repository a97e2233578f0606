//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`, JSONPath
//! `Assign`): static JSON with `"key.$"` members whose values are paths or
//! intrinsic calls. Compiled once; evaluation clones only what it must.

use super::doc::Doc;
use super::expr_error::ExprError;
use super::intrinsics::{looks_like_call, Intrinsic, IntrinsicError, Random};
use super::jsonpath::{Path, PathError, Paths, Scope};
use super::value::{Map, Val};
use serde_json::Value as JsonValue;

#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// A subtree without any `.$` key: copied as is.
    Lit(Val),
    Obj(Vec<(String, Template)>),
    Arr(Vec<Template>),
    Path(Path),
    Call(Intrinsic),
}

/// Why a template could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateError {
    /// A `.$` path found nothing: (field name with `.$`, path text).
    PathMissing {
        field: String,
        path: String,
        detail: PathError,
    },
    Intrinsic {
        field: String,
        message: String,
    },
}

fn has_dynamic(v: &Doc) -> bool {
    match v {
        Doc::Obj(o) => o.iter().any(|(k, v)| k.ends_with(".$") || has_dynamic(v)),
        Doc::Arr(a) => a.iter().any(has_dynamic),
        _ => false,
    }
}

/// A problem in a payload template: a malformed expression (with its
/// position) or a misuse of a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Expr(ExprError),
    Text(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Expr(e) => e.fmt(f),
            Problem::Text(t) => f.write_str(t),
        }
    }
}

impl Template {
    /// Compile; errors carry a JSON pointer suffix relative to the template.
    pub fn compile(v: &JsonValue) -> Result<Template, Vec<(String, Problem)>> {
        Self::compile_in(v, &mut Paths::default())
    }

    /// [`Template::compile`], its paths parsed through `paths`.
    pub fn compile_in(
        v: &JsonValue,
        paths: &mut Paths,
    ) -> Result<Template, Vec<(String, Problem)>> {
        Self::compile_doc(&Doc::from_value(v), paths)
    }

    /// [`Template::compile_in`] on a document.
    pub fn compile_doc(v: &Doc, paths: &mut Paths) -> Result<Template, Vec<(String, Problem)>> {
        let mut errs = Vec::new();
        let t = Self::build(v, &mut String::new(), &mut errs, paths);
        if errs.is_empty() {
            Ok(t)
        } else {
            Err(errs)
        }
    }

    /// `ptr` is the pointer of `v` inside the template, grown and cut back
    /// as the walk goes (no string is made for a field that has no problem).
    fn build(
        v: &Doc,
        ptr: &mut String,
        errs: &mut Vec<(String, Problem)>,
        paths: &mut Paths,
    ) -> Template {
        if !has_dynamic(v) {
            return Template::Lit(Val::from(v));
        }
        match v {
            Doc::Obj(o) => {
                let mut out = Vec::with_capacity(o.len());
                for (k, val) in o.iter() {
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&super::json::pointer_token(k));
                    if let Some(stripped) = k.strip_suffix(".$") {
                        if o.contains_key(stripped) {
                            errs.push((
                                ptr.clone(),
                                Problem::Text(format!(
                                    "the field '{k}' collides with the field '{stripped}'"
                                )),
                            ));
                        }
                        match val {
                            Doc::Str(s) => match compile_expr_in(s, paths) {
                                Ok(t) => out.push((stripped.to_string(), t)),
                                Err(e) => errs.push((ptr.clone(), Problem::Expr(e))),
                            },
                            _ => errs.push((ptr.clone(), Problem::Text(format!("the value of '{k}' must be a path or an intrinsic function (a string)")))),
                        }
                    } else {
                        out.push((k.to_string(), Self::build(val, ptr, errs, paths)));
                    }
                    ptr.truncate(len);
                }
                Template::Obj(out)
            }
            Doc::Arr(a) => Template::Arr(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let len = ptr.len();
                        use std::fmt::Write;
                        let _ = write!(ptr, "/{i}");
                        let t = Self::build(x, ptr, errs, paths);
                        ptr.truncate(len);
                        t
                    })
                    .collect(),
            ),
            other => Template::Lit(Val::from(other)),
        }
    }

    pub fn eval(&self, scope: &Scope, rng: &mut dyn Random) -> Result<Val, TemplateError> {
        match self {
            Template::Lit(v) => Ok(v.clone()),
            Template::Arr(a) => a
                .iter()
                .map(|t| t.eval(scope, rng))
                .collect::<Result<Vec<_>, _>>()
                .map(Val::arr),
            Template::Obj(fields) => {
                let mut m = Map::with_capacity_and_hasher(fields.len(), Default::default());
                for (k, t) in fields {
                    // The field an error names is made only for an error.
                    let v = t.eval(scope, rng).map_err(|e| {
                        e.in_field(|| match t {
                            Template::Path(_) | Template::Call(_) => format!("{k}.$"),
                            _ => k.clone(),
                        })
                    })?;
                    m.insert(k.clone(), v);
                }
                Ok(Val::obj(m))
            }
            Template::Path(p) => p.eval(scope).map_err(|detail| TemplateError::PathMissing {
                field: String::new(),
                path: p.source.clone(),
                detail,
            }),
            Template::Call(c) => c.eval(scope, rng).map_err(|e| match e {
                IntrinsicError::Failure(message) => TemplateError::Intrinsic {
                    field: String::new(),
                    message,
                },
                IntrinsicError::Path(path, detail) => TemplateError::PathMissing {
                    field: String::new(),
                    path,
                    detail,
                },
            }),
        }
    }
}

impl TemplateError {
    /// The error with the field it happened in, when a deeper one has not
    /// named it already.
    fn in_field(mut self, field: impl FnOnce() -> String) -> TemplateError {
        let (TemplateError::PathMissing { field: f, .. }
        | TemplateError::Intrinsic { field: f, .. }) = &mut self;
        if f.is_empty() {
            *f = field();
        }
        self
    }
}

/// A `.$` value: an intrinsic call or a path.
pub fn compile_expr(s: &str) -> Result<Template, ExprError> {
    compile_expr_in(s, &mut Paths::default())
}

/// [`compile_expr`], a path parsed through `paths`.
pub fn compile_expr_in(s: &str, paths: &mut Paths) -> Result<Template, ExprError> {
    if looks_like_call(s) {
        Intrinsic::parse(s).map(Template::Call)
    } else {
        paths.parse(s).map(Template::Path)
    }
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::PathMissing {
                field,
                path,
                detail,
            } => write!(
                f,
                "The JSONPath '{path}' specified for the field '{field}' could not be found: {detail}"
            ),
            TemplateError::Intrinsic { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

impl std::error::Error for TemplateError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct R;
    impl Random for R {
        fn next_u64(&mut self) -> u64 {
            4
        }
    }

    #[test]
    fn dollar_keys_are_evaluated_at_any_depth() {
        let t = Template::compile(
            &json!({"a": "$.x", "b.$": "$.x", "c": [{"d.$": "States.Array($.x)"}], "e": {"f": 1}}),
        )
        .unwrap();
        let v = t
            .eval(&Scope::data(&Val::from(json!({"x": 7}))), &mut R)
            .unwrap();
        assert_eq!(
            v.to_json(),
            json!({"a": "$.x", "b": 7, "c": [{"d": [7]}], "e": {"f": 1}})
        );
    }

    #[test]
    fn missing_path_names_the_field() {
        let t = Template::compile(&json!({"value.$": "$.nope"})).unwrap();
        match t.eval(&Scope::data(&Val::empty_obj()), &mut R) {
            Err(TemplateError::PathMissing { field, path, .. }) => {
                assert_eq!(field, "value.$");
                assert_eq!(path, "$.nope");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn compile_errors() {
        assert!(Template::compile(&json!({"a.$": 1})).is_err());
        assert!(Template::compile(&json!({"a.$": "$.x", "a": 1})).is_err());
        assert!(Template::compile(&json!({"a.$": "States.Bogus()"})).is_err());
    }
}
