//! One state, field by field.

use super::*;

impl<'a> Builder<'a> {
    pub(super) fn state(
        &mut self,
        name: &str,
        sv: &'a Doc<'a>,
        pointer: String,
        parent_ql: QueryLanguage,
        names: &HashMap<String, StateId>,
    ) -> State {
        let sp: &str = &pointer;
        let empty: &'static Obj<'static> = &EMPTY;
        let o = match sv.as_object() {
            Some(o) => o,
            None => {
                self.err(sp, format!("state '{name}' must be an object"));
                empty
            }
        };
        self.comment(o, sp);
        let type_name = match o.get("Type") {
            Some(Doc::Str(t)) => t.to_string(),
            Some(_) => {
                self.err(&format!("{sp}/Type"), "Type must be a string".into());
                String::new()
            }
            None => {
                self.err(sp, format!("state '{name}' has no Type"));
                String::new()
            }
        };
        let ql = match o.get("QueryLanguage") {
            None => parent_ql,
            Some(Doc::Str(s)) if s == "JSONPath" => {
                if self.top_ql == QueryLanguage::Jsonata {
                    self.err(
                        &format!("{sp}/QueryLanguage"),
                        "a JSONPath state is not allowed in a JSONata state machine".into(),
                    );
                }
                QueryLanguage::JsonPath
            }
            Some(Doc::Str(s)) if s == "JSONata" => QueryLanguage::Jsonata,
            Some(_) => {
                self.err(
                    &format!("{sp}/QueryLanguage"),
                    "QueryLanguage must be \"JSONPath\" or \"JSONata\"".into(),
                );
                parent_ql
            }
        };
        match allowed(&type_name, ql) {
            Some(fields) => {
                for k in o.keys() {
                    if !fields.contains(&k) {
                        let msg = if other_language_field(k, ql) {
                            format!(
                                "the field '{k}' is not supported in {} states (QueryLanguage {})",
                                if ql == QueryLanguage::Jsonata {
                                    "JSONata"
                                } else {
                                    "JSONPath"
                                },
                                if ql == QueryLanguage::Jsonata {
                                    "JSONata; use Arguments/Output/Assign"
                                } else {
                                    "JSONPath"
                                }
                            )
                        } else {
                            format!("the field '{k}' is not allowed in a {type_name} state")
                        };
                        self.err(&format!("{sp}/{}", tok(k)), msg);
                    }
                }
            }
            None if !type_name.is_empty() => {
                self.err(
                    &format!("{sp}/Type"),
                    format!("unknown state type '{type_name}' (expected Pass, Task, Choice, Wait, Succeed, Fail, Parallel or Map)"),
                );
            }
            None => {}
        }
        // Flow.
        let terminal_type = matches!(type_name.as_str(), "Choice" | "Succeed" | "Fail");
        let next = self.target(o, sp, "Next", names);
        let end = match o.get("End") {
            None => false,
            Some(Doc::Bool(true)) => true,
            Some(_) => {
                self.err(&format!("{sp}/End"), "End must be true when present".into());
                false
            }
        };
        if !terminal_type && !type_name.is_empty() && allowed(&type_name, ql).is_some() {
            if o.contains_key("Next") && end {
                self.err(sp, format!("state '{name}' has both Next and End"));
            } else if !o.contains_key("Next") && !end {
                self.err(
                    sp,
                    format!("state '{name}' needs either Next or \"End\": true"),
                );
            }
        }
        let jp = ql == QueryLanguage::JsonPath;
        let (assign, assigns) = match o.get("Assign") {
            Some(a) => self.assign(Some(a), &format!("{sp}/Assign"), ql),
            None => (None, Vec::new()),
        };
        let flow = if jp {
            Dataflow::JsonPath(Box::new(self.path_flow(o, sp, assign)))
        } else {
            if o.get("Arguments").is_some_and(|v| match v {
                Doc::Str(s) => !is_jsonata_expr(s),
                Doc::Obj(_) => false,
                _ => true,
            }) {
                self.err(
                    &format!("{sp}/Arguments"),
                    "Arguments must be an object or a JSONata expression ({% … %})".into(),
                );
            }
            Dataflow::Jsonata(JsonataFlow {
                arguments: o
                    .get("Arguments")
                    .and_then(|v| self.jt(Some(v), &format!("{sp}/Arguments"))),
                tail: self.jsonata_tail(o, sp),
            })
        };
        // Retry / Catch.
        let mut retry = Vec::new();
        if let Some(r) = o.get("Retry") {
            match r.as_array() {
                Some(a) => {
                    for (i, rv) in a.iter().enumerate() {
                        let rp = format!("{sp}/Retry/{i}");
                        retry.push(self.retrier(rv, &rp, i + 1 == a.len()));
                    }
                }
                None => self.err(&format!("{sp}/Retry"), "Retry must be an array".into()),
            }
        }
        let mut catch = Vec::new();
        if let Some(c) = o.get("Catch") {
            match c.as_array() {
                Some(a) => {
                    for (i, cv) in a.iter().enumerate() {
                        let cp = format!("{sp}/Catch/{i}");
                        if let Some(c) = self.catcher(cv, &cp, i + 1 == a.len(), ql, names) {
                            catch.push(c);
                        }
                    }
                }
                None => self.err(&format!("{sp}/Catch"), "Catch must be an array".into()),
            }
        }
        let kind = match type_name.as_str() {
            "Pass" => Kind::Pass {
                result: o.get("Result").map(crate::asl::value::Val::from),
            },
            "Task" => {
                let resource = match o.get("Resource") {
                    Some(Doc::Str(r)) => r.to_string(),
                    _ => {
                        self.err(sp, "a Task state needs a Resource string".into());
                        String::new()
                    }
                };
                if let Err(m) = check_resource(&resource) {
                    self.err(&format!("{sp}/Resource"), m);
                }
                let timeout = self.num_spec(o, "TimeoutSeconds", sp, ql, false);
                let heartbeat = self.num_spec(o, "HeartbeatSeconds", sp, ql, false);
                if let (Some(NumSpec::Fixed(t)), Some(NumSpec::Fixed(h))) = (&timeout, &heartbeat) {
                    if h.as_u64() >= t.as_u64() {
                        self.err(
                            &format!("{sp}/HeartbeatSeconds"),
                            "HeartbeatSeconds must be smaller than TimeoutSeconds".into(),
                        );
                    }
                }
                for (f, spec) in [
                    ("TimeoutSeconds", &timeout),
                    ("HeartbeatSeconds", &heartbeat),
                ] {
                    if let Some(NumSpec::Fixed(t)) = spec {
                        if t.as_u64() == Some(0) {
                            self.err(&format!("{sp}/{f}"), format!("{f} must be positive"));
                        }
                    }
                }
                for (f, spec) in [
                    ("TimeoutSeconds", &timeout),
                    ("HeartbeatSeconds", &heartbeat),
                ] {
                    self.at_most_99999999(spec, &format!("{sp}/{f}"), f);
                }
                if let Some(c) = o.get("Credentials") {
                    match c.as_object() {
                        Some(m)
                            if m.keys().all(|k| k == "RoleArn" || k == "RoleArn.$")
                                && !m.is_empty() => {}
                        Some(_)
                            if !jp
                                && c.as_object()
                                    .is_some_and(|m| m.keys().all(|k| k == "RoleArn")) => {}
                        _ => self.err(
                            &format!("{sp}/Credentials"),
                            "Credentials must be an object with a RoleArn".into(),
                        ),
                    }
                }
                Kind::Task(Box::new(TaskSpec {
                    call: ResourceKind::classify(&resource),
                    resource,
                    timeout,
                    heartbeat,
                    credentials: o.get("Credentials").map(Doc::to_value),
                }))
            }
            "Choice" => {
                let mut choices = Vec::new();
                match o.get("Choices").and_then(|c| c.as_array()) {
                    Some(a) if !a.is_empty() => {
                        for (i, cv) in a.iter().enumerate() {
                            let cp = format!("{sp}/Choices/{i}");
                            if let Some(c) = self.choice_rule(cv, &cp, ql, names) {
                                choices.push(c);
                            }
                        }
                    }
                    _ => self.err(sp, "a Choice state needs a non-empty Choices array".into()),
                }
                let default = self.target(o, sp, "Default", names);
                Kind::Choice { choices, default }
            }
            "Wait" => {
                let forms = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
                    .iter()
                    .filter(|f| o.contains_key(f))
                    .count();
                if forms != 1 {
                    self.err(sp, "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath".into());
                }
                if o.get("Timestamp")
                    .is_some_and(|t| !matches!(t, Doc::Str(_)))
                {
                    self.err(
                        &format!("{sp}/Timestamp"),
                        "Timestamp must be a string (an RFC3339 timestamp)".into(),
                    );
                }
                if let Some(Doc::Str(t)) = o.get("Timestamp") {
                    if ql == QueryLanguage::Jsonata && is_jsonata_expr(t) {
                        match self.jexpr(t, &format!("{sp}/Timestamp")) {
                            Some(e) => Kind::Wait(WaitSpec::TimestampExpr(e)),
                            None => Kind::Wait(WaitSpec::Seconds(NumSpec::Fixed(Value::from(0)))),
                        }
                    } else {
                        if parse_timestamp(t).is_none() {
                            self.err(
                                &format!("{sp}/Timestamp"),
                                "String does not match RFC3339 timestamp".into(),
                            );
                        }
                        Kind::Wait(WaitSpec::Timestamp(t.to_string()))
                    }
                } else if let Some(tp) = o.get("TimestampPath") {
                    match self.ref_path(tp, sp, "TimestampPath") {
                        Some(p) => Kind::Wait(WaitSpec::TimestampPath(p)),
                        None => Kind::Wait(WaitSpec::Seconds(NumSpec::Fixed(Value::from(0)))),
                    }
                } else {
                    let s = self.num_spec(o, "Seconds", sp, ql, false);
                    self.at_most_99999999(&s, &format!("{sp}/Seconds"), "Seconds");
                    Kind::Wait(WaitSpec::Seconds(
                        s.unwrap_or(NumSpec::Fixed(Value::from(0))),
                    ))
                }
            }
            "Succeed" => Kind::Succeed,
            "Fail" => Kind::Fail {
                error: self.fail_field(o, "Error", sp, ql),
                cause: self.fail_field(o, "Cause", sp, ql),
            },
            "Parallel" => {
                let mut branches = Vec::new();
                match o.get("Branches").and_then(|b| b.as_array()) {
                    Some(a) if !a.is_empty() => {
                        for (i, bv) in a.iter().enumerate() {
                            let bp = format!("{sp}/Branches/{i}");
                            match bv.as_object() {
                                Some(bo) => {
                                    self.machine_fields(bo, &bp, false);
                                    branches.push(self.machine(bo, &bp, self.top_ql));
                                }
                                None => self.err(&bp, "a branch must be an object".into()),
                            }
                        }
                    }
                    _ => self.err(
                        sp,
                        "a Parallel state needs a non-empty Branches array".into(),
                    ),
                }
                Kind::Parallel { branches }
            }
            "Map" => Kind::Map(Box::new(self.map(o, sp, ql))),
            _ => Kind::Succeed,
        };
        State {
            name: name.into(),
            pointer,
            type_name,
            next,
            end,
            flow,
            assigns,
            retry,
            catch,
            kind,
        }
    }

    /// The JSONPath fields of a state.
    fn path_flow(&mut self, o: &Obj, sp: &str, assign: Option<Template>) -> PathFlow {
        let input_path = self.input_sel(o, "InputPath", sp);
        let output_path = self.input_sel(o, "OutputPath", sp);
        let parameters = o
            .get("Parameters")
            .and_then(|v| self.template(v, sp, "Parameters"));
        let result_selector = o.get("ResultSelector").and_then(|v| {
            if !v.is_object() {
                self.err(
                    &format!("{sp}/ResultSelector"),
                    "ResultSelector must be an object".into(),
                );
            }
            self.template(v, sp, "ResultSelector")
        });
        let result_path = self.result_path(o, sp);
        PathFlow {
            input_path,
            parameters,
            result_selector,
            result_path,
            output_path,
            assign,
        }
    }
}
