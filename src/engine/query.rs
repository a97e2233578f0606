//! JSONata states in the interpreter: `$states`, Arguments, Output, Assign,
//! Condition and the expression forms of the scalar fields.

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

    /// Pass, Choice, Wait, Succeed, Fail and Parallel in JSONata mode.
    pub(super) fn body_jsonata(&mut self, st: &State, input: &Val) -> Result<(), StateError> {
        match &st.kind {
            Kind::Pass { .. } | Kind::Succeed => {
                let states = self.states_val(input, None, None, None);
                let mut s = self.session(states, &[st.output.as_ref(), st.assign_j.as_ref()], &[]);
                let out = self.j_eval(&mut s, st.output.as_ref(), "Output", input.clone())?;
                let assigned = if matches!(st.kind, Kind::Succeed) {
                    None
                } else {
                    self.j_assign(&mut s, st.assign_j.as_ref())?
                };
                self.check_quota(&out)?;
                let next = if matches!(st.kind, Kind::Succeed) {
                    None
                } else {
                    st.next
                };
                self.exit_state(out, assigned, next);
            }
            Kind::Choice { choices, default } => {
                let states = self.states_val(input, None, None, None);
                let mut templates: Vec<Option<&JTemplate>> =
                    vec![st.output.as_ref(), st.assign_j.as_ref()];
                let mut conds: Vec<&Expr> = Vec::new();
                for c in choices {
                    templates.push(c.output.as_ref());
                    templates.push(c.assign_j.as_ref());
                    if let Condition::Jsonata(e) = &c.condition {
                        conds.push(e);
                    }
                }
                let mut s = self.session(states, &templates, &conds);
                let mut chosen = None;
                let (m, _) = self.current_ids().unwrap_or((0, 0));
                for (ci, c) in choices.iter().enumerate() {
                    let Condition::Jsonata(e) = &c.condition else {
                        continue;
                    };
                    let result = s
                        .eval_expr(e, "Condition")
                        .map_err(|er| self.query_error(er))?;
                    if let Some(Val::Bool(matched)) = result {
                        let next = self.def.machines[m].states[c.next].name.to_string();
                        let trace = RuleTrace {
                            index: ci,
                            rule: e.source.clone(),
                            matched,
                            next,
                            values: Vec::new(),
                        };
                        self.frames.last_mut().unwrap().stage.rules.push(trace);
                    }
                    match result {
                        Some(Val::Bool(true)) => {
                            chosen = Some(c);
                            break;
                        }
                        Some(Val::Bool(false)) => {}
                        Some(other) => {
                            return Err(self.query_type_error(
                                &e.source,
                                "Condition",
                                "boolean",
                                &other,
                            ))
                        }
                        None => {
                            return Err(self.query_error(JError {
                                field: "Condition".into(),
                                expr: e.source.clone(),
                                kind: crate::asl::jsonata::JErrorKind::Undefined,
                            }))
                        }
                    }
                }
                let (next, output_t, assign_t) = match chosen {
                    Some(c) => (
                        c.next,
                        c.output.as_ref().or(st.output.as_ref()),
                        c.assign_j.as_ref().or(st.assign_j.as_ref()),
                    ),
                    None => match default {
                        Some(d) => (*d, st.output.as_ref(), st.assign_j.as_ref()),
                        None => {
                            return Err(StateError::new(
                                "States.NoChoiceMatched",
                                format!("No Matches! for state '{}'", st.name),
                            ))
                        }
                    },
                };
                let out = self.j_eval(&mut s, output_t, "Output", input.clone())?;
                let assigned = self.j_assign(&mut s, assign_t)?;
                self.exit_state(out, assigned, Some(next));
            }
            Kind::Wait(w) => {
                let until = match w {
                    WaitSpec::Seconds(NumSpec::Expr(e)) => {
                        let secs = self.j_number(e, input, "Seconds")?;
                        if secs < 0.0 || secs.fract() != 0.0 {
                            return Err(self.query_type_error(
                                &e.source,
                                "Seconds",
                                "non-negative integer",
                                &Val::from_f64(secs),
                            ));
                        }
                        self.after_seconds(secs)?
                    }
                    WaitSpec::Seconds(NumSpec::Fixed(v)) => {
                        self.after_seconds(v.as_f64().unwrap_or(0.0))?
                    }
                    WaitSpec::TimestampExpr(e) => {
                        let t = self.j_string(e, input, "Timestamp")?;
                        match parse_timestamp(&t) {
                            Some(d) => d.timestamp_millis(),
                            None => {
                                return Err(StateError::new(
                                    EVAL_ERROR,
                                    self.runtime_cause(&format!(
                                        "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {t}"
                                    )),
                                ))
                            }
                        }
                    }
                    WaitSpec::Timestamp(t) => parse_timestamp(t)
                        .map(|d| d.timestamp_millis())
                        .unwrap_or(self.now_ms),
                    _ => self.now_ms,
                };
                self.wait_until(until)?;
                let states = self.states_val(input, None, None, None);
                let mut s = self.session(states, &[st.output.as_ref(), st.assign_j.as_ref()], &[]);
                let out = self.j_eval(&mut s, st.output.as_ref(), "Output", input.clone())?;
                let assigned = self.j_assign(&mut s, st.assign_j.as_ref())?;
                self.exit_state(out, assigned, st.next);
            }
            Kind::Fail { error, cause } => {
                let mut field = |f: &FailField, name: &str| -> Result<Option<String>, StateError> {
                    Ok(match f {
                        FailField::Literal(s) => Some(s.clone()),
                        FailField::Expr(e) => Some(self.j_string(e, input, name)?),
                        _ => None,
                    })
                };
                let e = field(error, "Error")?;
                let c = field(cause, "Cause")?;
                let err = StateError::given(e, c);
                self.frames.last_mut().unwrap().stage.error = Some(err.clone());
                self.push_stage();
                self.end_frame(Err(err));
            }
            Kind::Parallel { branches } => {
                let states = self.states_val(input, None, None, None);
                let mut s = self.session(states, &[st.arguments.as_ref()], &[]);
                let bin = self.j_eval(&mut s, st.arguments.as_ref(), "Arguments", input.clone())?;
                self.frames.last_mut().unwrap().stage.after_parameters = Some(bin.clone());
                self.start_branches(bin, branches.len());
            }
            Kind::Task(_) | Kind::Map(_) => unreachable!("handled in their own phases"),
        }
        Ok(())
    }

    /// Task/Parallel/Map result in JSONata mode: Output (default the result) and Assign.
    pub(super) fn finish_jsonata(
        &mut self,
        st: &State,
        input: &Val,
        result: Val,
    ) -> Result<(), StateError> {
        let states = self.states_val(input, Some(&result), None, None);
        let mut s = self.session(states, &[st.output.as_ref(), st.assign_j.as_ref()], &[]);
        let out = self.j_eval(&mut s, st.output.as_ref(), "Output", result)?;
        let assigned = self.j_assign(&mut s, st.assign_j.as_ref())?;
        self.check_quota(&out)?;
        self.exit_state(out, assigned, st.next);
        Ok(())
    }

    /// A catcher in JSONata mode: Output (default the error output) and Assign.
    pub(super) fn catch_jsonata(
        &mut self,
        c: &Catcher,
        input: &Val,
        err: &StateError,
    ) -> Result<(Val, Option<Map>), StateError> {
        let eo = err.output();
        let states = self.states_val(input, None, Some(&eo), None);
        let mut s = self.session(states, &[c.output.as_ref(), c.assign_j.as_ref()], &[]);
        let out = self.j_eval(&mut s, c.output.as_ref(), "Output", eo)?;
        let assigned = self.j_assign(&mut s, c.assign_j.as_ref())?;
        Ok((out, assigned))
    }

    /// The items of a JSONata Map: `Items` (an array or an expression), else
    /// the state input, which must then be an array.
    pub(super) fn map_items_jsonata(
        &mut self,
        spec: &MapSpec,
        input: &Val,
    ) -> Result<Vec<Val>, StateError> {
        let v = match &spec.items {
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
