//! The Choice state: rules tried in order (JSONPath comparisons or JSONata
//! conditions), each traced for the inspector, then the chosen rule's (or
//! the state's) Assign and output.

use super::*;
use crate::asl::jsonata::{Expr, JError, JErrorKind, JTemplate};

impl Execution {
    pub(super) fn choice(
        &mut self,
        st: &State,
        choices: &[ChoiceRule],
        default: Option<StateId>,
        input: &Val,
    ) -> Result<(), StateError> {
        match &st.flow {
            Dataflow::JsonPath(f) => self.choice_jsonpath(st, f, choices, default, input),
            Dataflow::Jsonata(f) => self.choice_jsonata(st, f, choices, default, input),
        }
    }

    fn no_choice(&self, st: &State) -> StateError {
        StateError::new(
            "States.NoChoiceMatched",
            format!("No Matches! for state '{}'", st.name),
        )
    }

    fn trace_rule(
        &mut self,
        index: usize,
        rule: &ChoiceRule,
        matched: bool,
        values: Vec<(String, Option<Val>)>,
    ) {
        let (m, _) = self.current_ids().unwrap_or((0, 0));
        let trace = RuleTrace {
            index,
            rule: rule.text.clone(),
            matched,
            next: self.def.machines[m].states[rule.next].name.to_string(),
            values,
        };
        self.stage().rules.push(trace);
    }

    fn choice_jsonpath(
        &mut self,
        st: &State,
        f: &PathFlow,
        choices: &[ChoiceRule],
        default: Option<StateId>,
        input: &Val,
    ) -> Result<(), StateError> {
        let eff = self.select(&f.input_path, input)?;
        self.stage().after_input_path = Some(eff.clone());
        let mut chosen: Option<(StateId, Option<&Template>)> = None;
        for (ci, c) in choices.iter().enumerate() {
            let RuleTest::JsonPath { rule, assign } = &c.test else {
                continue;
            };
            let ok = {
                let ctx = || self.context(None);
                let vars = |n: &str| self.lookup_var(n);
                rule.eval(&Scope {
                    data: &eff,
                    context: &ctx,
                    vars: &vars,
                })
            };
            if let Ok(matched) = ok {
                let mut paths = Vec::new();
                if self.opts.trace_choices {
                    rule.variables(&mut paths);
                }
                let values = paths
                    .into_iter()
                    .map(|p| {
                        let ctx = || self.context(None);
                        let lookup = |n: &str| self.lookup_var(n);
                        let scope = Scope {
                            data: &eff,
                            context: &ctx,
                            vars: &lookup,
                        };
                        (p.source.clone(), p.eval(&scope).ok())
                    })
                    .collect();
                self.trace_rule(ci, c, matched, values);
            }
            match ok {
                Ok(true) => {
                    chosen = Some((c.next, assign.as_ref()));
                    break;
                }
                Ok(false) => {}
                Err(e) => {
                    return Err(self.runtime(&format!(
                        "Invalid path '{}': The choice state's condition path references an invalid value.",
                        e.path
                    )))
                }
            }
        }
        let (next, assign) = match (chosen, default) {
            (Some((next, Some(a))), _) => (next, Some(a)),
            (Some((next, None)), _) | (None, Some(next)) => (next, f.assign.as_ref()),
            (None, None) => return Err(self.no_choice(st)),
        };
        let (out, assigned) = self.path_input_tail(f, assign, &eff)?;
        self.exit_state(out, assigned, Some(next));
        Ok(())
    }

    fn choice_jsonata(
        &mut self,
        st: &State,
        f: &JsonataFlow,
        choices: &[ChoiceRule],
        default: Option<StateId>,
        input: &Val,
    ) -> Result<(), StateError> {
        let states = self.states_val(input, None, None, None);
        // One session for every condition and tail the state may evaluate.
        let mut templates: Vec<Option<&JTemplate>> =
            vec![f.tail.output.as_ref(), f.tail.assign.as_ref()];
        let mut conds: Vec<&Expr> = Vec::new();
        for c in choices {
            if let RuleTest::Jsonata { condition, tail } = &c.test {
                templates.push(tail.output.as_ref());
                templates.push(tail.assign.as_ref());
                conds.push(condition);
            }
        }
        let mut s = self.session(states, &templates, &conds);
        let mut chosen = None;
        for (ci, c) in choices.iter().enumerate() {
            let RuleTest::Jsonata { condition: e, tail } = &c.test else {
                continue;
            };
            let result = s
                .eval_expr(e, "Condition")
                .map_err(|er| self.query_error(er))?;
            if let Some(Val::Bool(matched)) = result {
                self.trace_rule(ci, c, matched, Vec::new());
            }
            match result {
                Some(Val::Bool(true)) => {
                    chosen = Some((c.next, tail));
                    break;
                }
                Some(Val::Bool(false)) => {}
                Some(other) => {
                    return Err(self.query_type_error(&e.source, "Condition", "boolean", &other))
                }
                None => {
                    return Err(self.query_error(JError {
                        field: "Condition".into(),
                        expr: e.source.clone(),
                        kind: JErrorKind::Undefined,
                    }))
                }
            }
        }
        let (next, output_t, assign_t) = match (chosen, default) {
            (Some((next, tail)), _) => (
                next,
                tail.output.as_ref().or(f.tail.output.as_ref()),
                tail.assign.as_ref().or(f.tail.assign.as_ref()),
            ),
            (None, Some(d)) => (d, f.tail.output.as_ref(), f.tail.assign.as_ref()),
            (None, None) => return Err(self.no_choice(st)),
        };
        let out = self.j_eval(&mut s, output_t, "Output", input.clone())?;
        let assigned = self.j_assign(&mut s, assign_t)?;
        self.exit_state(out, assigned, Some(next));
        Ok(())
    }
}
