//! Parallel and Map: children (branches, iterations), the item reader and
//! batcher, results, tolerated failures.

use super::*;

impl Execution {
    pub(super) fn map_start(
        &mut self,
        st: &State,
        spec: &MapSpec,
        input: &Val,
    ) -> Result<(), StateError> {
        let eff = match &st.flow {
            Dataflow::JsonPath(f) => self.select(&f.input_path, input)?,
            Dataflow::Jsonata(_) => input.clone(),
        };
        self.stage().after_input_path = Some(eff.clone());
        let read = match &spec.item_reader {
            Some(reader) => Some(self.read_items(reader, &eff)?),
            None => None,
        };
        let items: Vec<Val> = match (&spec.items, read) {
            (MapItems::Jsonata { .. }, Some(read)) => read.into_array().unwrap_or_default(),
            (MapItems::Jsonata { items, .. }, None) => {
                self.map_items_jsonata(items.as_ref(), &eff)?
            }
            (MapItems::JsonPath { items_path, .. }, read) => {
                let src = read.unwrap_or_else(|| eff.clone());
                let items = match items_path {
                    Some(p) => self.eval_path(p, &src).map_err(|e| self.path_error(p, e))?,
                    None => src,
                };
                if !items.is_array() {
                    // A context path's message names the path without its
                    // first `$` (recorded by TestState).
                    let context_path = items_path
                        .as_ref()
                        .and_then(|p| p.source.strip_prefix('$'))
                        .filter(|p| p.starts_with('$'));
                    return Err(self.runtime(&match context_path {
                        Some(p) => format!("Reference path \"{p}\" must point to array."),
                        None => format!(
                            "Map state input must be an array but was: {}",
                            to_compact(&items)
                        ),
                    }));
                }
                items.into_array().unwrap_or_default()
            }
        };
        self.top_mut().stage.items = Some(Val::arr(items.clone()));
        let max_concurrency = match &spec.max_concurrency {
            Some(mc) => self.num_value(mc, &eff, "MaxConcurrency", false)?,
            None => None,
        };
        // AWS reports MapStateStarted once the items are known, before it
        // checks the concurrency and tolerance settings.
        if spec.item_batcher.is_none() {
            self.emit(
                EventType::MapStateStarted,
                vec![("length", Field::Int(items.len() as i64))],
            );
            self.top_mut().started = true;
        }
        let tolerated = match &spec.tolerated_count {
            Some(n) => {
                let v = self.num_value(n, &eff, "ToleratedFailureCount", false)?;
                if v.is_some_and(|x| x < 0.0) {
                    return Err(self.runtime("ToleratedFailureCount cannot be negative."));
                }
                v
            }
            None => None,
        };
        let tolerated_pct = match &spec.tolerated_percentage {
            Some(n) => {
                let v = self.num_value(n, &eff, "ToleratedFailurePercentage", true)?;
                if v.is_some_and(|x| !(0.0..=100.0).contains(&x)) {
                    return Err(
                        self.runtime("ToleratedFailurePercentage must be between 0 and 100.")
                    );
                }
                v
            }
            None => None,
        };
        let stage = &mut self.top_mut().stage;
        stage.max_concurrency = Some(max_concurrency.unwrap_or(0.0));
        stage.tolerated_count = tolerated;
        stage.tolerated_percentage = tolerated_pct;
        let mut inputs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            inputs.push(match &spec.items {
                MapItems::JsonPath {
                    item_selector: Some(t),
                    ..
                } => self.eval_template(t, &eff, Some((i, item)))?,
                MapItems::Jsonata {
                    item_selector: Some(t),
                    ..
                } => self.item_selector_jsonata(t, &eff, i, item)?,
                _ => item.clone(),
            });
        }
        if let Some(b) = &spec.item_batcher {
            let max_items = match &b.max_items {
                Some(n) => self
                    .num_value(n, &eff, "MaxItemsPerBatch", false)?
                    .map(|x| x as usize),
                None => None,
            };
            let batch_input = match &b.batch_input {
                Some(t) => Some(self.shaped(t, &eff, "ItemBatcher/BatchInput")?),
                None => None,
            };
            let size = max_items.unwrap_or(inputs.len().max(1)).max(1);
            inputs = inputs
                .chunks(size)
                .map(|c| {
                    let mut o = Map::default();
                    if let Some(bi) = &batch_input {
                        o.insert("BatchInput".into(), bi.clone());
                    }
                    o.insert("Items".into(), Val::arr(c.to_vec()));
                    Val::obj(o)
                })
                .collect();
        }
        self.top_mut().stage.after_parameters = Some(Val::arr(inputs.clone()));
        if spec.item_batcher.is_some() {
            self.emit(
                EventType::MapStateStarted,
                vec![("length", Field::Int(inputs.len() as i64))],
            );
            self.top_mut().started = true;
        }
        // 0 (or none) is "as many as possible": AWS runs at most 40 inline
        // iterations at once; the same bound keeps a Distributed Map's
        // simulated child executions in memory few at a time.
        let limit = match max_concurrency {
            Some(n) if n >= 1.0 => (n as usize).min(MAX_INLINE_CONCURRENCY),
            _ => MAX_INLINE_CONCURRENCY,
        };
        if let Some(r) = self.probe_children(tolerated, tolerated_pct, inputs.len()) {
            self.set_phase(Phase::Finish(r?));
            return Ok(());
        }
        let mut children = Children::new(inputs, limit, !spec.distributed);
        children.tolerated = tolerated;
        children.tolerated_pct = tolerated_pct;
        self.set_phase(Phase::Children(Box::new(children)));
        Ok(())
    }

    pub(super) fn read_items(&mut self, reader: &ItemReader, eff: &Val) -> Result<Val, StateError> {
        let params = match &reader.params {
            Some(t) => self.shaped(t, eff, "ItemReader/Arguments")?,
            None => Val::Null,
        };
        let max_items = match &reader.max_items {
            Some(n) => {
                let v = self.num_value(n, eff, "MaxItems", false)?;
                if let Some(x) = v {
                    if x <= 0.0 {
                        return Err(StateError::new(
                            "States.ItemReaderFailed",
                            "field MaxItems must be positive",
                        ));
                    }
                }
                v.map(|x| x as usize)
            }
            None => None,
        };
        // The Map state has no task of its own: a mock or runner answers its
        // ItemReader under the Map state's name.
        let given = self.probing().and_then(|p| p.item_reader_data.clone());
        let call = self.state().name.to_string();
        let n = self.task_calls.entry(call.clone()).or_insert(0);
        let invocation = *n;
        *n += 1;
        let resource = reader.resource.clone();
        let outcome = match given {
            Some(data) => TaskOutcome::Succeeded(data),
            None => self.runner.invoke(&TaskRequest {
                state: &call,
                resource: &resource,
                input: &params,
                invocation,
                task_token: None,
                timeout_seconds: None,
                heartbeat_seconds: None,
            }),
        };
        let data = match outcome {
            TaskOutcome::Succeeded(v) => v,
            TaskOutcome::Failed { error, cause } => return Err(StateError::given(error, cause)),
            _ => {
                return Err(StateError::new(
                    "States.ItemReaderFailed",
                    "the item reader gave no data",
                ))
            }
        };
        let mut items = match (reader.input_type.as_deref(), data) {
            (Some("CSV"), Val::Str(text)) => parse_csv(&text, reader)
                .map_err(|m| StateError::new("States.ItemReaderFailed", m))?,
            (Some("JSONL"), Val::Str(text)) => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    serde_json::from_str(l)
                        .map_err(|e| StateError::new("States.ItemReaderFailed", e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?,
            (_, Val::Str(text)) => match Val::parse(&text) {
                Ok(v @ Val::Arr(_)) => v.into_array().unwrap_or_default(),
                Ok(other) => return Ok(other),
                Err(e) => return Err(StateError::new("States.ItemReaderFailed", e.to_string())),
            },
            (_, v @ Val::Arr(_)) => v.into_array().unwrap_or_default(),
            (_, other) => return Ok(other),
        };
        if let Some(m) = max_items {
            items.truncate(m);
        }
        Ok(Val::arr(items))
    }

    /// MapStateSucceeded, then the result (or ResultWriter's descriptor).
    pub(super) fn map_done(&mut self, st: &State, spec: &MapSpec, results: Vec<Val>) {
        self.emit(EventType::MapStateSucceeded, vec![]);
        let result = match &spec.result_writer {
            Some(writer) => {
                let arn = format!(
                    "arn:aws:states:{}:{}:mapRun:{}",
                    self.opts.region, self.opts.account, st.name
                );
                let params = writer.get("Parameters").or_else(|| writer.get("Arguments"));
                let bucket = Val::from(
                    params
                        .and_then(|p| p.get("Bucket"))
                        .cloned()
                        .unwrap_or_default(),
                );
                let prefix = params
                    .and_then(|p| p.get("Prefix"))
                    .and_then(|p| p.as_str())
                    .unwrap_or("");
                Val::object([
                    ("MapRunArn", Val::from(arn)),
                    (
                        "ResultWriterDetails",
                        Val::object([
                            ("Bucket", bucket),
                            ("Key", Val::from(format!("{prefix}/manifest.json"))),
                        ]),
                    ),
                ])
            }
            None => Val::arr(results),
        };
        self.set_phase(Phase::Finish(result));
    }

    /// A child frame ended: give its result to the parent (by index: the
    /// children finish in any order); a failure aborts the siblings still
    /// running and becomes the parent's error.
    pub(super) fn child_returned(
        &mut self,
        kind: FrameKind,
        r: Result<Val, StateError>,
        aborted: Option<std::sync::Arc<str>>,
    ) {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let distributed = matches!(&st.kind, Kind::Map(spec) if spec.distributed);
        let index = kind.index().unwrap_or(0);
        let e = match r {
            Ok(v) => {
                if let FrameKind::Iteration(i) = kind {
                    if !distributed {
                        self.emit(
                            EventType::MapIterationSucceeded,
                            vec![
                                ("index", Field::Int(i as i64)),
                                ("name", Field::Name(st.name.clone())),
                            ],
                        );
                    }
                }
                if let Phase::Children(c) = &mut self.top_mut().phase {
                    if let Some(slot) = c.results.get_mut(index) {
                        *slot = v;
                    }
                }
                return;
            }
            Err(e) => e,
        };
        // Every event of the failure links to the event that failed.
        let prev = self.top().last_event;
        if distributed {
            if let Phase::Children(c) = &mut self.top_mut().phase {
                c.failures += 1;
                let total = c.inputs.len().max(1) as f64;
                let ok_count = c.tolerated.is_some_and(|t| (c.failures as f64) <= t);
                let ok_pct = c
                    .tolerated_pct
                    .is_some_and(|p| (c.failures as f64) * 100.0 / total <= p);
                if ok_count || ok_pct {
                    if let Some(slot) = c.results.get_mut(index) {
                        *slot = e.output();
                    }
                    return;
                }
            }
            self.abort_siblings(&st.name, prev);
            self.emit(EventType::MapRunFailed, vec![]);
            let err = StateError::new(
                "States.ExceedToleratedFailureThreshold",
                "The specified tolerated failure threshold was exceeded",
            );
            self.set_phase(Phase::Error(err));
            return;
        }
        if let FrameKind::Iteration(i) = kind {
            self.emit_linked(
                prev,
                EventType::MapIterationFailed,
                vec![
                    ("index", Field::Int(i as i64)),
                    ("name", Field::Name(st.name.clone())),
                ],
                Some(st.name.clone()),
                None,
            );
        }
        // The recordings: TaskFailed, TaskStateAborted, ParallelStateFailed;
        // MapIterationFailed, TaskStateAborted, (each sibling still running:
        // MapIterationAborted, TaskStateAborted), MapStateFailed.
        if let Some(name) = aborted {
            self.emit_linked(
                prev,
                EventType::TaskStateAborted,
                vec![],
                Some(name),
                Some(index),
            );
        }
        self.abort_siblings(&st.name, prev);
        self.set_phase(Phase::Error(e));
    }
}

pub(super) fn parse_csv(text: &str, reader: &ItemReader) -> Result<Vec<Val>, String> {
    let delim = match reader.csv_delimiter.as_deref() {
        None | Some("COMMA") => ',',
        Some("PIPE") => '|',
        Some("SEMICOLON") => ';',
        Some("SPACE") => ' ',
        Some("TAB") => '\t',
        Some(other) => return Err(format!("unknown CSVDelimiter {other}")),
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        let mut row = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                c if c == delim && !quoted => row.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        row.push(cur);
        rows.push(row);
    }
    let headers: Vec<String> = match reader.csv_header_location.as_deref() {
        Some("GIVEN") => reader.csv_headers.clone().unwrap_or_default(),
        _ => {
            if rows.is_empty() {
                return Ok(vec![]);
            }
            rows.remove(0)
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut o = Map::default();
            for (i, h) in headers.iter().enumerate() {
                o.insert(h.clone(), Val::str(r.get(i).cloned().unwrap_or_default()));
            }
            Val::obj(o)
        })
        .collect())
}

impl Execution {
    /// A payload template (JSONPath, on `eff`) or a JSONata template
    /// (against `$states.input` = `eff`) of a Map's reader or batcher.
    fn shaped(&mut self, t: &Shaped, eff: &Val, field: &str) -> Result<Val, StateError> {
        match t {
            Shaped::JsonPath(t) => self.eval_template(t, eff, None),
            Shaped::Jsonata(t) => {
                let states = self.states_val(eff, None, None, None);
                let mut s = self.session(states, &[Some(t)], &[]);
                self.j_eval(&mut s, Some(t), field, Val::Null)
            }
        }
    }
}
