//! JSONata data flow: `$states`, sessions, Arguments, Output and Assign (the
//! tail every JSONata state ends with), and the expression forms of the
//! scalar fields.

use super::*;
use crate::asl::jsonata::{Env, Expr, JError, JTemplate, Session};

const EVAL_ERROR: &str = "States.QueryEvaluationError";

impl Execution {
    /// `$states`: the state input, the context object, and (where defined)
    /// the result or the error output.
    pub(super) fn states_val(
        &self,
        input: &Val,
        result: Option<&Val>,
        error_output: Option<&Val>,
        map_item: Option<(usize, &Val)>,
    ) -> Val {
        let mut m = Map::default();
        m.insert("input".into(), input.clone());
        m.insert("context".into(), self.context(map_item));
        if let Some(r) = result {
            m.insert("result".into(), r.clone());
        }
        if let Some(e) = error_output {
            m.insert("errorOutput".into(), e.clone());
        }
        Val::obj(m)
    }

    /// A session able to evaluate `templates` and `exprs` against `states`.
    pub(super) fn session(
        &mut self,
        states: Val,
        templates: &[Option<&JTemplate>],
        exprs: &[&Expr],
    ) -> Session {
        let mut all: Vec<&Expr> = exprs.to_vec();
        for t in templates.iter().flatten() {
            t.exprs(&mut all);
        }
        // Randomness is drawn from the engine's seeded generator, and only
        // when an expression asks for it, so histories stay reproducible.
        let seed = if all
            .iter()
            .any(|e| e.mentions("random") || e.mentions("uuid"))
        {
            self.rng.next_u64()
        } else {
            0
        };
        let vars = |n: &str| self.lookup_var(n);
        let env = Env {
            states,
            vars: &vars,
            now_ms: self.now_ms,
        };
        Session::new(&env, &all, seed)
    }

    pub(super) fn query_error(&self, e: JError) -> StateError {
        StateError::new(EVAL_ERROR, self.runtime_cause(&e.describe()))
    }

    pub(super) fn query_type_error(
        &self,
        expr: &str,
        field: &str,
        expected: &str,
        v: &Val,
    ) -> StateError {
        StateError::new(
            EVAL_ERROR,
            self.runtime_cause(&format!(
                "The JSONata expression '{expr}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{}' for value: {}",
                crate::asl::json::type_name(v),
                v.to_compact()
            )),
        )
    }

    /// Evaluate an optional template, or fall back to `default`.
    pub(super) fn j_eval(
        &self,
        s: &mut Session,
        t: Option<&JTemplate>,
        field: &str,
        default: Val,
    ) -> Result<Val, StateError> {
        match t {
            Some(t) => s.eval(t, field).map_err(|e| self.query_error(e)),
            None => Ok(default),
        }
    }

    /// JSONata `Assign`: an object whose values are evaluated (all against the
    /// variables as they were before the state).
    pub(super) fn j_assign(
        &self,
        s: &mut Session,
        t: Option<&JTemplate>,
    ) -> Result<Option<Map>, StateError> {
        let Some(t) = t else { return Ok(None) };
        let v = s.eval(t, "Assign").map_err(|e| self.query_error(e))?;
        Ok(v.as_object().cloned())
    }

    /// A numeric field given as an expression.
    pub(super) fn j_number(
        &mut self,
        e: &Expr,
        input: &Val,
        field: &str,
    ) -> Result<f64, StateError> {
        let states = self.states_val(input, None, None, None);
        let mut s = self.session(states, &[], &[e]);
        let v = s
            .eval_expr(e, field)
            .map_err(|er| self.query_error(er))?
            .ok_or_else(|| {
                self.query_error(JError {
                    field: field.into(),
                    expr: e.source.clone(),
                    kind: crate::asl::jsonata::JErrorKind::Undefined,
                })
            })?;
        v.as_f64()
            .ok_or_else(|| self.query_type_error(&e.source, field, "number", &v))
    }

    /// A string field (Fail's Error/Cause) given as an expression.
    pub(super) fn j_string(
        &mut self,
        e: &Expr,
        input: &Val,
        field: &str,
    ) -> Result<String, StateError> {
        let states = self.states_val(input, None, None, None);
        let mut s = self.session(states, &[], &[e]);
        match s.eval_expr(e, field).map_err(|er| self.query_error(er))? {
            Some(Val::Str(x)) => Ok(x.to_string()),
            Some(other) => Err(self.query_type_error(&e.source, field, "string", &other)),
            None => Err(self.query_error(JError {
                field: field.into(),
                expr: e.source.clone(),
                kind: crate::asl::jsonata::JErrorKind::Undefined,
            })),
        }
    }

    /// The JSONata tail of a state, catcher or rule: `Output` (default
    /// `default`) and `Assign`, both against `states` and the variables as
    /// they were before the state.
    pub(super) fn jsonata_tail(
        &mut self,
        t: &JsonataTail,
        states: Val,
        default: Val,
    ) -> Result<(Val, Option<Map>), StateError> {
        self.jsonata_output(t.output.as_ref(), t.assign.as_ref(), states, default)
    }

    /// `Output` (default `default`) and, if given, `Assign`.
    pub(super) fn jsonata_output(
        &mut self,
        output: Option<&JTemplate>,
        assign: Option<&JTemplate>,
        states: Val,
        default: Val,
    ) -> Result<(Val, Option<Map>), StateError> {
        let mut s = self.session(states, &[output, assign], &[]);
        let out = self.j_eval(&mut s, output, "Output", default)?;
        let assigned = self.j_assign(&mut s, assign)?;
        Ok((out, assigned))
    }

    /// The items of a JSONata Map: `Items` (an array or an expression), else
    /// the state input, which must then be an array.
    pub(super) fn map_items_jsonata(
        &mut self,
        items: Option<&JTemplate>,
        input: &Val,
    ) -> Result<Vec<Val>, StateError> {
        let v = match items {
            Some(t) => {
                let states = self.states_val(input, None, None, None);
                let mut s = self.session(states, &[Some(t)], &[]);
                let v = s.eval(t, "Items").map_err(|e| self.query_error(e))?;
                if !v.is_array() {
                    let src = match t {
                        JTemplate::Expr(e) => e.source.clone(),
                        _ => v.to_compact(),
                    };
                    return Err(self.query_type_error(&src, "Items", "array", &v));
                }
                v
            }
            None => input.clone(),
        };
        match v {
            v @ Val::Arr(_) => Ok(v.into_array().unwrap_or_default()),
            other => Err(StateError::new(
                EVAL_ERROR,
                self.runtime_cause(&format!(
                    "Map state input must be an array but was: {}",
                    other.to_compact()
                )),
            )),
        }
    }

    /// One iteration's input from a JSONata ItemSelector.
    pub(super) fn item_selector_jsonata(
        &mut self,
        t: &JTemplate,
        input: &Val,
        index: usize,
        item: &Val,
    ) -> Result<Val, StateError> {
        let states = self.states_val(input, None, None, Some((index, item)));
        let mut s = self.session(states, &[Some(t)], &[]);
        s.eval(t, "ItemSelector").map_err(|e| self.query_error(e))
    }
}
