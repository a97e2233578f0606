//! JSONPath data flow: paths, payload templates, ResultPath, Assign, and the
//! tails every JSONPath state ends with.

use super::*;

impl Execution {
    pub(super) fn runtime_cause(&self, detail: &str) -> String {
        // TestState gives the message alone (no execution, no event ids).
        if self.probing().is_some() {
            return detail.to_string();
        }
        let f = self.frames.last().expect("a frame");
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). {detail}",
            self.state().name,
            f.entered_event
        )
    }

    pub(super) fn runtime(&self, detail: &str) -> StateError {
        StateError::new("States.Runtime", self.runtime_cause(detail))
    }

    /// Evaluate a path against `data` in the current frame's scope.
    pub(super) fn eval_path(&self, p: &Path, data: &Val) -> Result<Val, PathError> {
        let ctx = || self.context(None);
        let vars = |n: &str| self.lookup_var(n);
        p.eval(&Scope {
            data,
            context: &ctx,
            vars: &vars,
        })
    }

    pub(super) fn select(&self, sel: &InputSel, data: &Val) -> Result<Val, StateError> {
        match sel {
            InputSel::All => Ok(data.clone()),
            InputSel::Nothing => Ok(Val::empty_obj()),
            InputSel::Path(p) => self.eval_path(p, data).map_err(|e| self.path_error(p, e)),
        }
    }

    pub(super) fn path_error(&self, p: &Path, e: PathError) -> StateError {
        match e {
            PathError::Missing(m) => self.runtime(&format!("Invalid path '{}' : {}", p.source, m)),
            PathError::UnknownVariable(v) => self.runtime(&format!(
                "Invalid path '{}': variable ${v} is not defined",
                p.source
            )),
            PathError::TooMuchWork | PathError::Malformed(_) => {
                self.runtime(&format!("Invalid path '{}': {e}", p.source))
            }
        }
    }

    pub(super) fn eval_template(
        &mut self,
        t: &Template,
        data: &Val,
        map_item: Option<(usize, &Val)>,
    ) -> Result<Val, StateError> {
        let mut rng = self.rng.clone();
        let r = {
            let ctx = || self.context(map_item);
            let vars = |n: &str| self.lookup_var(n);
            t.eval(
                &Scope {
                    data,
                    context: &ctx,
                    vars: &vars,
                },
                &mut rng,
            )
        };
        self.rng = rng;
        r.map_err(|e| match e {
            TemplateError::PathMissing { field, path, detail } => match detail {
                PathError::UnknownVariable(_) | PathError::Missing(_) => self.runtime(&format!(
                    "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{}'",
                    to_compact(data)
                )),
                PathError::TooMuchWork => {
                    self.runtime(&format!("The JSONPath '{path}' for the field '{field}': {detail}"))
                }
                PathError::Malformed(_) => self.runtime(&format!(
                    "Invalid path '{path}' for the field '{field}': {detail}"
                )),
            },
            TemplateError::Intrinsic { message, .. } => StateError::new("States.IntrinsicFailure", self.runtime_cause(&message)),
        })
    }

    pub(super) fn apply_result_path(
        &self,
        sel: &ResultSel,
        input: &Val,
        result: Val,
    ) -> Result<Val, StateError> {
        match sel {
            ResultSel::Replace => Ok(result),
            ResultSel::Discard => Ok(input.clone()),
            ResultSel::At(p) => {
                let mut doc = input.clone();
                p.set(&mut doc, result).map_err(|m| {
                    StateError::new("States.ResultPathMatchFailure", self.runtime_cause(&m))
                })?;
                Ok(doc)
            }
        }
    }

    pub(super) fn check_quota(&self, v: &Val) -> Result<(), StateError> {
        if self.opts.quota && payload_size(v) > PAYLOAD_QUOTA {
            return Err(StateError::new(
                "States.DataLimitExceeded",
                format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    self.state().name
                ),
            ));
        }
        Ok(())
    }

    /// Evaluate JSONPath `Assign` with `$` bound to `data`; values are applied
    /// after the state exits, so every expression sees the old variables.
    pub(super) fn eval_assign(
        &mut self,
        assign: Option<&Template>,
        data: &Val,
    ) -> Result<Option<Map>, StateError> {
        let Some(t) = assign else { return Ok(None) };
        let v = self.eval_template(t, data, None)?;
        Ok(v.as_object().cloned())
    }

    /// The JSONPath tail of a state with a result (Task, Parallel, Map,
    /// Pass): ResultSelector → Assign (on the selected result) → ResultPath
    /// (into the raw state input) → OutputPath, then the payload quota.
    pub(super) fn path_result_tail(
        &mut self,
        f: &PathFlow,
        input: &Val,
        result: Val,
    ) -> Result<(Val, Option<Map>), StateError> {
        let selected = match &f.result_selector {
            Some(t) => {
                let v = self.eval_template(t, &result, None)?;
                self.stage().after_result_selector = Some(v.clone());
                v
            }
            None => result,
        };
        let assigned = self.eval_assign(f.assign.as_ref(), &selected)?;
        let after = self.apply_result_path(&f.result_path, input, selected)?;
        self.stage().after_result_path = Some(after.clone());
        let out = self.select(&f.output_path, &after)?;
        self.check_quota(&out)?;
        Ok((out, assigned))
    }

    /// The JSONPath tail of a state without a result (Choice, Wait,
    /// Succeed): `assign` and OutputPath on the effective input.
    pub(super) fn path_input_tail(
        &mut self,
        f: &PathFlow,
        assign: Option<&Template>,
        eff: &Val,
    ) -> Result<(Val, Option<Map>), StateError> {
        let assigned = self.eval_assign(assign, eff)?;
        let out = self.select(&f.output_path, eff)?;
        Ok((out, assigned))
    }
}
