//! The Task state: scheduled, started, submitted, answered; then the result.

use super::*;

impl Execution {
    pub(super) fn task_schedule(&mut self, st: &State, spec: &TaskSpec) -> Result<(), StateError> {
        let input = self.top().input.clone();
        let eff = self.effective_input(st, &input)?;
        if let ResourceKind::Service {
            pattern: Pattern::Callback,
            ..
        } = spec.call
        {
            let token = uuid_v4(&mut self.rng);
            self.top_mut().task_token = Some(token);
        }
        let params = self.parameters(st, &input, eff)?;
        let timeout = match &spec.timeout {
            Some(t) => self.num_value(t, &input, "TimeoutSeconds", false)?,
            None => None,
        };
        let heartbeat = match &spec.heartbeat {
            Some(t) => self.num_value(t, &input, "HeartbeatSeconds", false)?,
            None => None,
        };
        let mut d: Vec<(&'static str, Field)> = Vec::new();
        match &spec.call {
            ResourceKind::Lambda => {
                d.push(("input", Field::Payload(params.clone())));
                d.push(("resource", Field::Str(spec.resource.clone())));
                if let Some(t) = timeout {
                    d.push(("timeoutInSeconds", Field::Int(t as i64)));
                }
            }
            ResourceKind::Activity => {
                d.push(("input", Field::Payload(params.clone())));
                d.push(("resource", Field::Str(spec.resource.clone())));
                if let Some(t) = timeout {
                    d.push(("timeoutInSeconds", Field::Int(t as i64)));
                }
                if let Some(h) = heartbeat {
                    d.push(("heartbeatInSeconds", Field::Int(h as i64)));
                }
            }
            ResourceKind::Service {
                resource_type,
                resource,
                ..
            } => {
                d.push(("parameters", Field::Payload(params.clone())));
                d.push(("region", Field::Str(self.opts.region.clone())));
                d.push(("resource", Field::Str(resource.clone())));
                d.push(("resourceType", Field::Str(resource_type.clone())));
                if let Some(t) = timeout {
                    d.push(("timeoutInSeconds", Field::Int(t as i64)));
                }
                if let Some(h) = heartbeat {
                    d.push(("heartbeatInSeconds", Field::Int(h as i64)));
                }
            }
        };
        self.emit(EventType::scheduled(&spec.call), d);
        self.yield_turn();
        let f = self.top_mut();
        f.task_input = Some(params);
        let whole = |s: Option<f64>| s.map(|s| s.clamp(1.0, MAX_WAIT_SECONDS as f64) as u64);
        f.task_limits = (whole(timeout), whole(heartbeat));
        f.phase = Phase::Task(TaskStep::Started);
        Ok(())
    }

    pub(super) fn service_details(&self) -> Vec<(&'static str, Field)> {
        let Kind::Task(spec) = &self.state().kind else {
            return vec![];
        };
        match &spec.call {
            ResourceKind::Service {
                resource_type,
                resource,
                ..
            } => {
                vec![
                    ("resource", Field::Str(resource.clone())),
                    ("resourceType", Field::Str(resource_type.clone())),
                ]
            }
            _ => vec![],
        }
    }

    pub(super) fn task_start(&mut self, spec: &TaskSpec) -> Result<(), StateError> {
        let d = match &spec.call {
            ResourceKind::Lambda => vec![],
            ResourceKind::Activity => vec![("workerName", Field::Str("asldbg".into()))],
            ResourceKind::Service { .. } => self.service_details(),
        };
        self.emit(EventType::started(&spec.call), d);
        self.yield_turn();
        self.set_phase(Phase::Task(TaskStep::Running { submitted: false }));
        Ok(())
    }

    pub(super) fn task_run(&mut self, st: &State, spec: &TaskSpec, submitted: bool) -> bool {
        let kind = &spec.call;
        let pattern = match kind {
            ResourceKind::Service { pattern, .. } => *pattern,
            _ => Pattern::RequestResponse,
        };
        if !submitted && pattern != Pattern::RequestResponse {
            let mut d = vec![("output", Field::Payload(Val::empty_obj()))];
            d.extend(self.service_details());
            self.emit(EventType::TaskSubmitted, d);
            self.yield_turn();
            self.set_phase(Phase::Task(TaskStep::Running { submitted: true }));
            return true;
        }
        let outcome = match self.pending_answer.take() {
            Some(o) => o,
            None => {
                let n = self.task_calls.entry(st.name.to_string()).or_insert(0);
                let invocation = *n;
                *n += 1;
                let f = self.top();
                let input = f.task_input.clone().unwrap_or(Val::Null);
                let token = f.task_token.clone();
                let (timeout_seconds, heartbeat_seconds) = f.task_limits;
                self.runner.invoke(&TaskRequest {
                    state: &st.name,
                    resource: &spec.resource,
                    input: &input,
                    invocation,
                    task_token: token.as_deref(),
                    timeout_seconds,
                    heartbeat_seconds,
                })
            }
        };
        let extra = self.service_details();
        match outcome {
            TaskOutcome::Pending => {
                self.awaiting = true;
                self.set_phase(Phase::Task(TaskStep::Running { submitted: true }));
                return false;
            }
            TaskOutcome::Succeeded(v) => {
                if let Err(e) = self.check_quota(&v) {
                    self.set_phase(Phase::Error(e));
                    return true;
                }
                let mut d = vec![("output", Field::Payload(v.clone()))];
                d.extend(extra);
                self.emit(EventType::task_end(kind, TaskEnd::Succeeded), d);
                self.yield_turn();
                self.top_mut().stage.result = Some(v.clone());
                self.set_phase(Phase::Finish(v));
            }
            TaskOutcome::Failed { error, cause } => {
                self.top_mut().task_failed = true;
                let err = StateError::given(error, cause);
                let mut d = err.fields();
                d.extend(extra);
                self.emit(EventType::task_end(kind, TaskEnd::Failed), d);
                self.yield_turn();
                self.set_phase(Phase::Error(err));
            }
            TaskOutcome::TimedOut { heartbeat } => {
                // The virtual clock shows the wait that timed out.
                let f = self.top_mut();
                f.task_failed = true;
                let waited = if heartbeat {
                    f.task_limits.1
                } else {
                    f.task_limits.0
                };
                self.advance_clock(waited.unwrap_or(0) as i64 * 1000);
                let error = if heartbeat {
                    "States.HeartbeatTimeout"
                } else {
                    "States.Timeout"
                };
                let mut d = vec![("error", Field::Str(error.into()))];
                d.extend(extra);
                self.emit(EventType::task_end(kind, TaskEnd::TimedOut), d);
                self.yield_turn();
                self.set_phase(Phase::Error(StateError::new(error, "")));
            }
        }
        true
    }

    /// A Task, Parallel or Map result through the state's data-flow tail,
    /// then the state exits.
    pub(super) fn finish(&mut self, result: Val) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let input = self.top().input.clone();
        // The raw result (before ResultSelector), unless a stage recorded it.
        self.stage().result.get_or_insert_with(|| result.clone());
        let (out, assigned) = match &st.flow {
            Dataflow::JsonPath(f) => self.path_result_tail(f, &input, result)?,
            Dataflow::Jsonata(f) => {
                let states = self.states_val(&input, Some(&result), None, None);
                let r = self.jsonata_tail(&f.tail, states, result)?;
                self.check_quota(&r.0)?;
                r
            }
        };
        self.exit_state(out, assigned, st.next);
        Ok(())
    }
}
