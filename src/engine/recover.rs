//! Retry and Catch: what a state does with an error.

use super::*;

impl Execution {
    pub(super) fn handle_error(&mut self, err: StateError) {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        // A failed JSONata evaluation is reported first, in its own event.
        if err.error == "States.QueryEvaluationError" && !self.top().eval_reported {
            self.emit(
                EventType::EvaluationFailed,
                vec![
                    ("cause", Field::Str(err.cause.clone())),
                    ("error", Field::Str(err.error.clone())),
                    ("state", Field::Name(st.name.clone())),
                ],
            );
            let f = self.top_mut();
            f.eval_reported = true;
            // The recordings show MapStateFailed after it, started or not.
            if matches!(st.kind, Kind::Map(_)) {
                f.started = true;
            }
            self.set_phase(Phase::Error(err));
            return;
        }
        if err.error != "States.Runtime" {
            if let Some(i) = st
                .retry
                .iter()
                .position(|r| r.errors.iter().any(|p| error_matches(p, &err.error)))
            {
                let r = &st.retry[i];
                let given = self.probing().map(|p| p.retrier_retry_count);
                let f = self.top_mut();
                if let Some(n) = given {
                    f.retrier_attempts[i] = n;
                }
                let attempt = f.retrier_attempts[i];
                if attempt >= r.max_attempts {
                    f.stage.exhausted_retrier = Some(i);
                }
                if attempt < r.max_attempts {
                    f.retrier_attempts[i] += 1;
                    f.retry_count += 1;
                    let mut delay = r.interval_seconds * r.backoff_rate.powi(attempt as i32);
                    if let Some(cap) = r.max_delay_seconds {
                        delay = delay.min(cap);
                    }
                    if r.jitter_full {
                        delay *= self.rng.unit();
                    }
                    // A delay past the execution's maximum duration cannot
                    // happen before the execution times out.
                    let delay_ms = (delay * 1000.0).min(MAX_CLOCK_STEP_MS as f64) as i64;
                    if self.probe_retry(i, delay_ms, &err) {
                        return;
                    }
                    let wake = self.now_ms.saturating_add(delay_ms);
                    self.sleep_until(wake);
                    let trace = RetryTrace {
                        retrier: i,
                        error: err.error.clone(),
                        attempt: attempt + 1,
                        delay_ms,
                    };
                    let f = self.top_mut();
                    f.stage.retries.push(trace);
                    f.started = false;
                    // A new attempt reports its own failed evaluations.
                    f.eval_reported = false;
                    f.task_failed = false;
                    self.set_phase(Phase::start(&st.kind));
                    return;
                }
            }
            // Not retried: the error stays on the record of this state.
            self.top_mut().stage.error = Some(err.clone());
            if self.emit_state_failed(st, &err) {
                self.set_phase(Phase::Error(err));
                return;
            }
            if let Some((ci, c)) = st
                .catch
                .iter()
                .enumerate()
                .find(|(_, c)| c.errors.iter().any(|p| error_matches(p, &err.error)))
            {
                self.top_mut().stage.caught_by = Some(ci);
                let input = self.top().input.clone();
                let eo = err.output();
                // What the catcher places: the error output, as the result.
                self.top_mut().stage.result = Some(eo.clone());
                let r = match &c.flow {
                    CatchFlow::Jsonata(tail) => {
                        let states = self.states_val(&input, None, Some(&eo), None);
                        self.jsonata_tail(tail, states, eo)
                            .map(|(out, assigned)| (assigned, out))
                    }
                    CatchFlow::JsonPath {
                        result_path,
                        assign,
                    } => self.eval_assign(assign.as_ref(), &eo).and_then(|assigned| {
                        let after = self.apply_result_path(result_path, &input, eo)?;
                        self.stage().after_result_path = Some(after.clone());
                        Ok((assigned, after))
                    }),
                };
                match r {
                    Ok((assigned, out)) => {
                        self.exit_state(out, assigned, Some(c.next));
                    }
                    Err(e) => self.end_frame(Err(e)),
                }
                return;
            }
        }
        if self.emit_state_failed(st, &err) {
            self.set_phase(Phase::Error(err));
            return;
        }
        self.top_mut().stage.error = Some(err.clone());
        self.push_stage();
        self.end_frame(Err(err));
    }

    /// A Parallel or Map that started and will not be retried writes its
    /// *StateFailed event (not for States.Runtime, which stops at once).
    /// Returns true when it wrote the event (the error is handled next step).
    pub(super) fn emit_state_failed(&mut self, st: &State, err: &StateError) -> bool {
        let f = self.top_mut();
        if !f.started || err.error == "States.Runtime" {
            return false;
        }
        f.started = false;
        match st.kind {
            Kind::Parallel { .. } => self.emit(EventType::ParallelStateFailed, vec![]),
            Kind::Map(_) => self.emit(EventType::MapStateFailed, vec![]),
            _ => return false,
        };
        true
    }
}
