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
                    return Err(self.runtime(&format!(
                        "Map state input must be an array but was: {}",
                        to_compact(&items)
                    )));
                }
                items.into_array().unwrap_or_default()
            }
        };
        self.frames.last_mut().unwrap().stage.items = Some(Val::arr(items.clone()));
        if let Some(mc) = &spec.max_concurrency {
            self.num_value(mc, &eff, "MaxConcurrency", false)?;
        }
        // AWS reports MapStateStarted once the items are known, before it
        // checks the concurrency and tolerance settings.
        if spec.item_batcher.is_none() {
            self.emit(
                EventType::MapStateStarted,
                vec![("length", Field::Int(items.len() as i64))],
            );
            self.frames.last_mut().unwrap().started = true;
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
        self.frames.last_mut().unwrap().stage.after_parameters = Some(Val::arr(inputs.clone()));
        if spec.item_batcher.is_some() {
            self.emit(
                EventType::MapStateStarted,
                vec![("length", Field::Int(inputs.len() as i64))],
            );
            self.frames.last_mut().unwrap().started = true;
        }
        let n = inputs.len();
        self.set_phase(Phase::Children {
            announced: !spec.distributed,
            next: 0,
            inputs,
            results: Vec::with_capacity(n),
            failures: 0,
            tolerated,
            tolerated_pct,
        });
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
        let call = self.state().name.to_string();
        let n = self.task_calls.entry(call.clone()).or_insert(0);
        let invocation = *n;
        *n += 1;
        let resource = reader.resource.clone();
        let outcome = self.runner.invoke(&TaskRequest {
            state: &call,
            resource: &resource,
            input: &params,
            invocation,
            task_token: None,
            timeout_seconds: None,
            heartbeat_seconds: None,
        });
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

    pub(super) fn children(&mut self) -> Result<(), StateError> {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        if let Phase::Children {
            announced: announced @ false,
            ..
        } = &mut self.frames.last_mut().unwrap().phase
        {
            *announced = true;
            if let Kind::Map(spec) = &st.kind {
                let arn = format!(
                    "arn:aws:states:{}:{}:mapRun:{}/{}:{}",
                    self.opts.region,
                    self.opts.account,
                    self.opts.state_machine_name,
                    spec.label.clone().unwrap_or_else(|| st.name.to_string()),
                    uuid_v4(&mut self.rng)
                );
                self.emit(
                    EventType::MapRunStarted,
                    vec![("mapRunArn", Field::Str(arn))],
                );
            }
            return Ok(());
        }
        let Phase::Children { next, inputs, .. } = &self.frames.last().unwrap().phase else {
            unreachable!()
        };
        let (next, total) = (*next, inputs.len());
        let (machine, kind, silent, isolated) = match &st.kind {
            Kind::Parallel { branches } => {
                if next >= branches.len() {
                    return self.children_done(st);
                }
                (branches[next], FrameKind::Branch(next), false, false)
            }
            Kind::Map(spec) => {
                if next >= total {
                    return self.children_done(st);
                }
                if !spec.distributed {
                    self.emit(
                        EventType::MapIterationStarted,
                        vec![
                            ("index", Field::Int(next as i64)),
                            ("name", Field::Name(st.name.clone())),
                        ],
                    );
                }
                (
                    spec.processor,
                    FrameKind::Iteration(next),
                    spec.distributed,
                    spec.distributed,
                )
            }
            _ => unreachable!(),
        };
        let parent = self.frames.last_mut().unwrap();
        let Phase::Children {
            next: n, inputs, ..
        } = &mut parent.phase
        else {
            unreachable!()
        };
        *n += 1;
        let input = std::mem::take(&mut inputs[next]);
        let last = parent.last_event;
        let silent = silent || parent.silent;
        let mut frame = Frame::new(
            machine,
            def.machines[machine].start_at,
            input,
            kind,
            last,
            self.now_ms,
        );
        frame.isolated = isolated;
        frame.silent = silent;
        self.frames.push(frame);
        Ok(())
    }

    pub(super) fn children_done(&mut self, st: &State) -> Result<(), StateError> {
        let f = self.frames.last_mut().unwrap();
        let Phase::Children { results, .. } = &mut f.phase else {
            unreachable!()
        };
        let results = std::mem::take(results);
        match &st.kind {
            // AWS writes no ParallelStateSucceeded event.
            Kind::Map(spec) => self.set_phase(Phase::MapDone {
                results,
                run_closed: !spec.distributed,
            }),
            _ => self.set_phase(Phase::Finish(Val::arr(results))),
        }
        Ok(())
    }

    /// MapStateSucceeded, then the result (or ResultWriter's descriptor).
    pub(super) fn map_done(&mut self, results: Vec<Val>) {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let Kind::Map(spec) = &st.kind else {
            unreachable!()
        };
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

    /// A child frame ended: give its result to the parent.
    pub(super) fn child_returned(
        &mut self,
        kind: FrameKind,
        r: Result<Val, StateError>,
        aborted: Option<std::sync::Arc<str>>,
    ) {
        let (def, m, s) = self.def_state();
        let st = &def.machines[m].states[s];
        let distributed = matches!(&st.kind, Kind::Map(spec) if spec.distributed);
        match r {
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
                if let Some(Frame {
                    phase: Phase::Children { results, .. },
                    ..
                }) = self.frames.last_mut()
                {
                    results.push(v);
                }
            }
            Err(e) => {
                if let FrameKind::Iteration(i) = kind {
                    if distributed {
                        let f = self.frames.last_mut().unwrap();
                        if let Phase::Children {
                            results,
                            failures,
                            tolerated,
                            tolerated_pct,
                            inputs,
                            ..
                        } = &mut f.phase
                        {
                            *failures += 1;
                            let total = inputs.len().max(1) as f64;
                            let ok_count = tolerated.is_some_and(|t| (*failures as f64) <= t);
                            let ok_pct = tolerated_pct
                                .is_some_and(|p| (*failures as f64) * 100.0 / total <= p);
                            if ok_count || ok_pct {
                                results.push(e.output());
                                return;
                            }
                        }
                        self.emit(EventType::MapRunFailed, vec![]);
                        let err = StateError::new(
                            "States.ExceedToleratedFailureThreshold",
                            "The specified tolerated failure threshold was exceeded",
                        );
                        self.set_phase(Phase::Error(err));
                        return;
                    }
                    self.emit(
                        EventType::MapIterationFailed,
                        vec![
                            ("index", Field::Int(i as i64)),
                            ("name", Field::Name(st.name.clone())),
                        ],
                    );
                }
                // The recordings: TaskFailed, TaskStateAborted,
                // ParallelStateFailed; MapIterationFailed, TaskStateAborted,
                // MapStateFailed.
                if let Some(name) = aborted {
                    let prev = self.frames.last().map(|f| f.last_event).unwrap_or(0);
                    let id = self.emit_raw(prev, EventType::TaskStateAborted, vec![], Some(name));
                    if let Some(f) = self.frames.last_mut() {
                        f.last_event = id;
                    }
                }
                self.set_phase(Phase::Error(e));
            }
        }
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
