//! Entering a state, and the states that do their work in one step: Pass,
//! Wait, Succeed, Fail, and the start of Parallel (Choice, Map and Task
//! have their own files).

use super::*;

impl Execution {
    pub(super) fn enter(&mut self) {
        self.transitions += 1;
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let input = self.top().input.clone();
        let t = EventType::entered(&st.kind);
        let id = self.emit(
            t,
            vec![
                ("input", Field::Payload(input.clone())),
                ("name", Field::Name(st.name.clone())),
            ],
        );
        let now = self.now_ms;
        let path = self.frame_path();
        // A probed state may have been retried already (TestState's
        // retrierRetryCount).
        let retried = self.probing().map_or(0, |p| p.retrier_retry_count);
        let f = self.top_mut();
        f.entered_event = id;
        f.entered_ms = now;
        f.retry_count = retried;
        f.retrier_attempts = vec![0; st.retry.len()];
        f.started = false;
        f.eval_reported = false;
        f.task_failed = false;
        f.stage = StageRecord {
            frame: path,
            state: st.name.to_string(),
            input: Some(input),
            ..Default::default()
        };
        f.phase = Phase::start(&st.kind);
    }

    /// The work of a state after it is entered (a Task has its own phases).
    pub(super) fn body(&mut self) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let input = self.top().input.clone();
        match &st.kind {
            Kind::Pass { result } => self.pass(st, result.as_ref(), &input),
            Kind::Choice { choices, default } => self.choice(st, choices, *default, &input),
            Kind::Wait(w) => self.wait(st, w, &input),
            Kind::Succeed => self.succeed(st, &input),
            Kind::Fail { error, cause } => {
                let e = self.fail_field(error, &input, "Error")?;
                let c = self.fail_field(cause, &input, "Cause")?;
                let err = StateError::given(e, c);
                self.stage().error = Some(err.clone());
                self.push_stage();
                self.end_frame(Err(err));
                Ok(())
            }
            Kind::Parallel { branches } => {
                let bin = self.arguments(st, &input)?;
                if let Some(r) = self.probe_children(None, None, branches.len()) {
                    self.set_phase(Phase::Finish(r?));
                    return Ok(());
                }
                self.start_branches(bin, branches.len());
                Ok(())
            }
            Kind::Map(spec) => self.map_start(st, spec, &input),
            Kind::Task(spec) => self.task_schedule(st, spec),
        }
    }

    /// What a Task or Parallel works on: InputPath then Parameters
    /// (JSONPath), or Arguments (JSONata); recorded as stages.
    pub(super) fn arguments(&mut self, st: &State, input: &Val) -> Result<Val, StateError> {
        let eff = self.effective_input(st, input)?;
        self.parameters(st, input, eff)
    }

    /// Parameters on the effective input (JSONPath), Arguments against
    /// `$states.input` (JSONata); without them, the effective input.
    pub(super) fn parameters(
        &mut self,
        st: &State,
        input: &Val,
        eff: Val,
    ) -> Result<Val, StateError> {
        let v = match &st.flow {
            Dataflow::JsonPath(f) => match &f.parameters {
                Some(p) => self.eval_template(p, &eff, None)?,
                None => return Ok(eff),
            },
            Dataflow::Jsonata(JsonataFlow {
                arguments: Some(t), ..
            }) => {
                let states = self.states_val(input, None, None, None);
                let mut sess = self.session(states, &[Some(t)], &[]);
                self.j_eval(&mut sess, Some(t), "Arguments", Val::Null)?
            }
            _ => return Ok(eff),
        };
        self.stage().after_parameters = Some(v.clone());
        Ok(v)
    }

    /// The state input as a state without Parameters sees it: after
    /// InputPath (JSONPath); the input itself (JSONata).
    pub(super) fn effective_input(&mut self, st: &State, input: &Val) -> Result<Val, StateError> {
        match &st.flow {
            Dataflow::JsonPath(f) => {
                let eff = self.select(&f.input_path, input)?;
                self.stage().after_input_path = Some(eff.clone());
                Ok(eff)
            }
            Dataflow::Jsonata(_) => Ok(input.clone()),
        }
    }

    fn pass(&mut self, st: &State, result: Option<&Val>, input: &Val) -> Result<(), StateError> {
        let (out, assigned) = match &st.flow {
            Dataflow::JsonPath(f) => {
                let res = match result {
                    Some(r) => {
                        let eff = self.select(&f.input_path, input)?;
                        self.stage().after_input_path = Some(eff);
                        r.clone()
                    }
                    None => self.arguments(st, input)?,
                };
                self.stage().result = Some(res.clone());
                self.path_result_tail(f, input, res)?
            }
            Dataflow::Jsonata(f) => {
                let states = self.states_val(input, None, None, None);
                let r = self.jsonata_tail(&f.tail, states, input.clone())?;
                self.check_quota(&r.0)?;
                r
            }
        };
        self.exit_state(out, assigned, st.next);
        Ok(())
    }

    fn succeed(&mut self, st: &State, input: &Val) -> Result<(), StateError> {
        let out = match &st.flow {
            Dataflow::JsonPath(f) => {
                let eff = self.select(&f.input_path, input)?;
                self.stage().after_input_path = Some(eff.clone());
                self.select(&f.output_path, &eff)?
            }
            Dataflow::Jsonata(f) => {
                let states = self.states_val(input, None, None, None);
                // A Succeed state assigns nothing.
                let (out, _) =
                    self.jsonata_output(f.tail.output.as_ref(), None, states, input.clone())?;
                self.check_quota(&out)?;
                out
            }
        };
        self.exit_state(out, None, None);
        Ok(())
    }

    fn wait(&mut self, st: &State, w: &WaitSpec, input: &Val) -> Result<(), StateError> {
        let eff = self.effective_input(st, input)?;
        let until = self.wait_target(w, &eff)?;
        if self.wait_until(until)? {
            // The state exits when it wakes.
            self.set_phase(Phase::Waiting);
            return Ok(());
        }
        self.wait_tail(st, input, &eff)
    }

    /// A Wait state in a branch or iteration, woken at its time.
    pub(super) fn waited(&mut self) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let input = self.top().input.clone();
        let eff = self.effective_input(st, &input)?;
        self.wait_tail(st, &input, &eff)
    }

    fn wait_tail(&mut self, st: &State, input: &Val, eff: &Val) -> Result<(), StateError> {
        let (out, assigned) = match &st.flow {
            Dataflow::JsonPath(f) => self.path_input_tail(f, f.assign.as_ref(), eff)?,
            Dataflow::Jsonata(f) => {
                let states = self.states_val(input, None, None, None);
                self.jsonata_tail(&f.tail, states, input.clone())?
            }
        };
        self.exit_state(out, assigned, st.next);
        Ok(())
    }

    /// The virtual time a Wait state waits until.
    fn wait_target(&mut self, w: &WaitSpec, eff: &Val) -> Result<i64, StateError> {
        Ok(match w {
            WaitSpec::Seconds(NumSpec::Fixed(v)) => {
                self.after_seconds(v.as_f64().unwrap_or(0.0))?
            }
            WaitSpec::Seconds(NumSpec::Expr(e)) => {
                let secs = self.j_number(e, eff, "Seconds")?;
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
            WaitSpec::Seconds(NumSpec::Path(p)) => {
                let v = self.eval_path(p, eff).map_err(|_| {
                    self.runtime(&format!(
                        "The SecondsPath parameter does not reference an input value: {}",
                        p.source
                    ))
                })?;
                match v.as_i64() {
                    Some(n) if n >= 0 => self.after_seconds(n as f64)?,
                    Some(_) => {
                        return Err(self.runtime(&format!(
                            "The SecondsPath parameter references a negative value: {} == {}",
                            p.source,
                            to_compact(&v)
                        )))
                    }
                    None => {
                        return Err(self.runtime(&format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                            p.source,
                            to_compact(&v)
                        )))
                    }
                }
            }
            WaitSpec::Timestamp(t) => parse_timestamp(t)
                .map(|d| d.timestamp_millis())
                .unwrap_or(self.now_ms),
            WaitSpec::TimestampExpr(e) => {
                let t = self.j_string(e, eff, "Timestamp")?;
                match parse_timestamp(&t) {
                    Some(d) => d.timestamp_millis(),
                    None => {
                        return Err(StateError::new(
                            "States.QueryEvaluationError",
                            self.runtime_cause(&format!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {t}"
                            )),
                        ))
                    }
                }
            }
            WaitSpec::TimestampPath(p) => {
                let v = self.eval_path(p, eff).map_err(|_| {
                    self.runtime(&format!(
                        "The TimestampPath parameter does not reference an input value: {}",
                        p.source
                    ))
                })?;
                match v.as_str().and_then(parse_timestamp) {
                    Some(d) => d.timestamp_millis(),
                    None => {
                        return Err(self.runtime(&format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                            p.source,
                            v.as_str().map(str::to_string).unwrap_or_else(|| to_compact(&v))
                        )))
                    }
                }
            }
        })
    }

    /// ParallelStateStarted, then every branch gets a copy of `input`.
    pub(super) fn start_branches(&mut self, input: Val, n: usize) {
        self.emit(EventType::ParallelStateStarted, vec![]);
        self.top_mut().started = true;
        self.set_phase(Phase::Children(Box::new(Children::new(
            vec![input; n],
            n,
            true,
        ))));
    }

    /// A Fail state's Error or Cause (`field`), literal, from its `…Path`
    /// or (JSONata) an expression.
    pub(super) fn fail_field(
        &mut self,
        f: &FailField,
        input: &Val,
        field: &str,
    ) -> Result<Option<String>, StateError> {
        Ok(match f {
            FailField::None => None,
            FailField::Literal(s) => Some(s.clone()),
            FailField::Expr(e) => Some(self.j_string(e, input, field)?),
            FailField::Path(t) => {
                let v = match t {
                    Template::Path(p) => self.eval_path(p, input).map_err(|_| {
                        self.runtime(&format!(
                            "The JSONPath '{}' specified for the field '{field}Path' could not be found in the input '{}'",
                            p.source,
                            to_compact(input)
                        ))
                    })?,
                    other => self.eval_template(other, input, None)?,
                };
                Some(match v {
                    Val::Str(s) => s.to_string(),
                    other => to_compact(&other),
                })
            }
        })
    }

    pub(super) fn num_value(
        &mut self,
        spec: &NumSpec,
        data: &Val,
        field: &str,
        float: bool,
    ) -> Result<Option<f64>, StateError> {
        match spec {
            NumSpec::Fixed(v) => Ok(v.as_f64()),
            NumSpec::Expr(e) => self.j_number(e, data, field).map(Some),
            NumSpec::Path(p) => {
                let v = self.eval_path(p, data).map_err(|e| self.path_error(p, e))?;
                // A string holding a number is accepted, as AWS does.
                let parsed = match &v {
                    Val::Num(n) if float || n.is_i64() || n.is_u64() => as_f64(&v),
                    Val::Str(s) if float => s.trim().parse::<f64>().ok(),
                    Val::Str(s) => s.trim().parse::<i64>().ok().map(|i| i as f64),
                    _ => None,
                };
                let ok = parsed.is_some();
                if !ok {
                    let shown = match &v {
                        Val::Str(s) => s.to_string(),
                        other => to_compact(other),
                    };
                    return Err(self.runtime(&format!(
                        "The {field}Path field refers to value \"{shown}\" which is not a valid {}: {}",
                        if float { "float" } else { "integer" },
                        p.source
                    )));
                }
                Ok(parsed)
            }
        }
    }
}
