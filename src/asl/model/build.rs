//! The builder's shared parts: machines, targets, paths, templates, numeric
//! and Fail fields, Assign, retriers and catchers.

use super::*;
use crate::asl::expr_error::ExprError;
use crate::asl::template::Problem;

impl<'a> Builder<'a> {
    pub(super) fn err(&mut self, pointer: &str, message: String) {
        self.diags.push(Diagnostic {
            pointer: pointer.to_string(),
            message,
            expr: None,
        });
    }

    /// A malformed expression, kept with its position.
    pub(super) fn err_expr(&mut self, pointer: &str, e: ExprError) {
        self.diags.push(Diagnostic {
            pointer: pointer.to_string(),
            message: e.to_string(),
            expr: Some(e),
        });
    }

    /// A payload template's problem.
    pub(super) fn err_problem(&mut self, pointer: &str, p: Problem) {
        match p {
            Problem::Expr(e) => self.err_expr(pointer, e),
            Problem::Text(t) => self.err(pointer, t),
        }
    }

    /// Compile a JSONata template (a value with `{% %}` strings) or report where it fails.
    pub(super) fn jt(&mut self, v: Option<&Doc>, p: &str) -> Option<JTemplate> {
        match JTemplate::compile_doc(v?) {
            Ok(t) => {
                let mut found = Vec::new();
                t.exprs_at("", &mut found);
                for (sub, e) in found {
                    self.state_expr(e, &format!("{p}{sub}"));
                }
                Some(t)
            }
            Err(errs) => {
                for (sub, m) in errs {
                    self.err(
                        &format!("{p}{sub}"),
                        format!("invalid JSONata expression: {m}"),
                    );
                }
                None
            }
        }
    }

    /// What AWS refuses in a state's JSONata expression at `p` although it
    /// parses: a field read from the top level (the expression has no data
    /// of its own), `$states.errorOutput` outside a catcher.
    pub(super) fn state_expr(&mut self, e: &Expr, p: &str) {
        if let Some(name) = e.top_level_name() {
            self.err(
                p,
                format!(
                    "Reference to '{name}' at the top level is not supported (a state's data is $states.input)"
                ),
            );
        }
        let in_catcher = p.split('/').collect::<Vec<_>>().windows(3).any(|w| {
            w[0] == "Catch"
                && w[1].bytes().all(|b| b.is_ascii_digit())
                && matches!(w[2], "Output" | "Assign")
        });
        if !in_catcher && e.source.contains("$states.errorOutput") {
            self.err(
                p,
                "$states.errorOutput is only available in a Catch's Output and Assign".into(),
            );
        }
    }

    pub(super) fn jexpr(&mut self, s: &str, p: &str) -> Option<Box<Expr>> {
        match Expr::parse(s) {
            Ok(e) => {
                self.state_expr(&e, p);
                Some(Box::new(e))
            }
            Err(m) => {
                self.err(p, format!("invalid JSONata expression: {m}"));
                None
            }
        }
    }

    /// A `Comment` (of the machine, a state, a rule, a retrier or a
    /// catcher) must be a string.
    pub(super) fn comment(&mut self, o: &Obj, p: &str) {
        if o.get("Comment").is_some_and(|c| !matches!(c, Doc::Str(_))) {
            self.err(&format!("{p}/Comment"), "Comment must be a string".into());
        }
    }

    pub(super) fn machine(&mut self, obj: &'a Obj<'a>, ptr: &str, ql: QueryLanguage) -> MachineId {
        self.comment(obj, ptr);
        let id = self.machines.len();
        self.machines.push(Machine {
            start_at: 0,
            states: Vec::new(),
            by_name: NameMap::default(),
            pointer: ptr.to_string(),
        });
        // Borrowed, not copied: a copy here copied every nested machine
        // once per level it is nested in.
        let empty: &'static Obj<'static> = &EMPTY;
        let states_obj = match obj.get("States") {
            Some(Doc::Obj(o)) if !o.is_empty() => o,
            Some(_) => {
                self.err(
                    &format!("{ptr}/States"),
                    "States must be a non-empty object".into(),
                );
                empty
            }
            None => {
                self.err(ptr, "missing required field 'States'".into());
                empty
            }
        };
        let mut by_name = NameMap::with_capacity_and_hasher(states_obj.len(), Default::default());
        // Each state's pointer, made once.
        let mut pointers = Vec::with_capacity(states_obj.len());
        for (i, name) in states_obj.keys().enumerate() {
            by_name.insert(name.to_string(), i);
            let sp = format!("{ptr}/States/{}", tok(name));
            if name.is_empty() || name.chars().count() > 80 {
                self.err(
                    &sp,
                    format!("state name '{name}' must have 1 to 80 characters"),
                );
            }
            if let Some(prev) = self.all_names.insert(name, id) {
                let prev = format!("{}/States/{}", self.machines[prev].pointer, tok(name));
                self.err(
                    &sp,
                    format!("duplicate state name '{name}' (also at {prev})"),
                );
            }
            pointers.push(sp);
        }

        let start_at = match obj.get("StartAt") {
            Some(Doc::Str(s)) => match by_name.get(s.as_ref()) {
                Some(i) => *i,
                None => {
                    self.err(
                        &format!("{ptr}/StartAt"),
                        format!("StartAt '{s}' does not name a state in this States block"),
                    );
                    0
                }
            },
            Some(_) => {
                self.err(&format!("{ptr}/StartAt"), "StartAt must be a string".into());
                0
            }
            None => {
                self.err(ptr, "missing required field 'StartAt'".into());
                0
            }
        };
        let mut states = Vec::with_capacity(states_obj.len());
        for ((name, sv), sp) in states_obj.iter().zip(pointers) {
            states.push(self.state(name, sv, sp, ql, &by_name));
        }
        // Reachability from StartAt.
        if !states.is_empty() && states.len() == states_obj.len() {
            let mut seen = vec![false; states.len()];
            let mut todo = vec![start_at];
            while let Some(i) = todo.pop() {
                if i >= seen.len() || seen[i] {
                    continue;
                }
                seen[i] = true;
                let s: &State = &states[i];
                todo.extend(s.next);
                todo.extend(s.catch.iter().map(|c| c.next));
                if let Kind::Choice { choices, default } = &s.kind {
                    todo.extend(choices.iter().map(|c| c.next));
                    todo.extend(*default);
                }
            }
            for (i, s) in states.iter().enumerate() {
                if !seen[i] {
                    self.err(
                        &s.pointer,
                        format!("state '{}' is not reachable from StartAt", s.name),
                    );
                }
            }
            // AWS's MISSING_END_STATE: a machine (and each branch or
            // iteration's) must have a state that ends it.
            let terminal = |s: &State| s.next.is_none() && !matches!(s.kind, Kind::Choice { .. });
            if !states.iter().any(terminal) {
                self.err(
                    &format!("{ptr}/States"),
                    "the workflow has no terminal state (a state with \"End\": true, a Succeed or a Fail state)".into(),
                );
            }
        }
        let m = &mut self.machines[id];
        m.start_at = start_at;
        m.states = states;
        m.by_name = by_name;
        id
    }

    /// The state `o[what]` names (`Next`, `Default`), in `names`; the
    /// pointer of a problem is `{at}/{what}` (made only for a problem).
    pub(super) fn target(
        &mut self,
        o: &Obj,
        at: &str,
        what: &str,
        names: &HashMap<String, StateId>,
    ) -> Option<StateId> {
        match o.get(what)? {
            Doc::Str(s) => match names.get(s.as_ref()) {
                Some(i) => Some(*i),
                None => {
                    self.err(
                        &format!("{at}/{what}"),
                        format!("{what} '{s}' does not name a state in the same States block"),
                    );
                    None
                }
            },
            _ => {
                self.err(&format!("{at}/{what}"), format!("{what} must be a string"));
                None
            }
        }
    }

    pub(super) fn input_sel(&mut self, o: &Obj, f: &str, ptr: &str) -> InputSel {
        match o.get(f) {
            None => InputSel::All,
            Some(Doc::Null) => InputSel::Nothing,
            Some(Doc::Str(s)) => match self.paths.parse(s) {
                Ok(p) if p.is_root() => InputSel::All,
                Ok(p) => InputSel::Path(p),
                Err(e) => {
                    self.err_expr(&format!("{ptr}/{f}"), e);
                    InputSel::All
                }
            },
            Some(_) => {
                self.err(
                    &format!("{ptr}/{f}"),
                    format!("{f} must be a string or null"),
                );
                InputSel::All
            }
        }
    }

    /// The reference path `v` of the field `f` of the object at `at`.
    pub(super) fn ref_path(&mut self, v: &Doc, at: &str, f: &str) -> Option<Path> {
        match v.as_str().map(|s| self.paths.parse_reference(s)) {
            Some(Ok(path)) => Some(path),
            Some(Err(e)) => {
                self.err_expr(&format!("{at}/{f}"), e);
                None
            }
            None => {
                self.err(
                    &format!("{at}/{f}"),
                    format!("{f} must be a reference path string"),
                );
                None
            }
        }
    }

    /// The payload template `v`, the field `f` of the object at `at` (or
    /// the value at `at` itself when `f` is empty); the pointer of a
    /// problem is made only for a problem.
    pub(super) fn template(&mut self, v: &Doc, at: &str, f: &str) -> Option<Template> {
        match Template::compile_doc(v, &mut self.paths) {
            Ok(t) => Some(t),
            Err(errs) => {
                for (sub, m) in errs {
                    let pointer = if f.is_empty() {
                        format!("{at}{sub}")
                    } else {
                        format!("{at}/{f}{sub}")
                    };
                    self.err_problem(&pointer, m);
                }
                None
            }
        }
    }

    /// A numeric field with its `Path` variant (and JSONata expression form).
    /// AWS's bound on a literal Seconds / TimeoutSeconds / HeartbeatSeconds.
    pub(super) fn at_most_99999999(&mut self, spec: &Option<NumSpec>, ptr: &str, f: &str) {
        if let Some(NumSpec::Fixed(v)) = spec {
            if v.as_u64().is_some_and(|n| n > 99_999_999) {
                self.err(ptr, format!("{f} must be at most 99999999"));
            }
        }
    }

    pub(super) fn num_spec(
        &mut self,
        o: &Obj,
        f: &str,
        ptr: &str,
        ql: QueryLanguage,
        pct: bool,
    ) -> Option<NumSpec> {
        let pf = format!("{f}Path");
        if o.contains_key(f) && o.contains_key(&pf) {
            self.err(
                &format!("{ptr}/{f}"),
                format!("{f} and {pf} are mutually exclusive"),
            );
        }
        if let Some(v) = o.get(f) {
            if let Some(s) = v.as_str() {
                if ql == QueryLanguage::Jsonata && is_jsonata_expr(s) {
                    return self.jexpr(s, &format!("{ptr}/{f}")).map(NumSpec::Expr);
                }
            }
            let ok = if pct {
                v.as_f64().is_some_and(|x| (0.0..=100.0).contains(&x))
            } else {
                v.as_u64().is_some()
            };
            if !ok {
                self.err(
                    &format!("{ptr}/{f}"),
                    format!(
                        "{f} must be a {}",
                        if pct {
                            "number from 0 to 100"
                        } else {
                            "non-negative integer"
                        }
                    ),
                );
                return None;
            }
            return Some(NumSpec::Fixed(v.to_value()));
        }
        if let Some(v) = o.get(&pf) {
            return self.ref_path(v, ptr, &pf).map(NumSpec::Path);
        }
        None
    }

    pub(super) fn fail_field(
        &mut self,
        o: &Obj,
        f: &str,
        ptr: &str,
        ql: QueryLanguage,
    ) -> FailField {
        let pf = format!("{f}Path");
        if o.contains_key(f) && o.contains_key(&pf) {
            self.err(
                &format!("{ptr}/{f}"),
                format!("{f} and {pf} are mutually exclusive"),
            );
        }
        match (o.get(f), o.get(&pf)) {
            (Some(Doc::Str(s)), _) if ql == QueryLanguage::Jsonata && is_jsonata_expr(s) => self
                .jexpr(s, &format!("{ptr}/{f}"))
                .map(FailField::Expr)
                .unwrap_or(FailField::None),
            (Some(Doc::Str(s)), _) => FailField::Literal(s.to_string()),
            (Some(_), _) => {
                self.err(&format!("{ptr}/{f}"), format!("{f} must be a string"));
                FailField::None
            }
            (None, Some(Doc::Str(s))) => {
                match crate::asl::template::compile_expr_in(s, &mut self.paths) {
                    Ok(t) => FailField::Path(t),
                    Err(e) => {
                        self.err_expr(&format!("{ptr}/{pf}"), e);
                        FailField::None
                    }
                }
            }
            (None, Some(_)) => {
                self.err(&format!("{ptr}/{pf}"), format!("{pf} must be a string"));
                FailField::None
            }
            (None, None) => FailField::None,
        }
    }

    pub(super) fn error_list(&mut self, v: Option<&Doc>, ptr: &str, last: bool) -> Vec<String> {
        let list: Vec<String> = match v {
            Some(Doc::Arr(a)) if !a.is_empty() && a.iter().all(|x| x.is_string()) => {
                a.iter().map(|x| x.as_str().unwrap().to_string()).collect()
            }
            _ => {
                self.err(
                    &format!("{ptr}/ErrorEquals"),
                    "ErrorEquals must be a non-empty array of strings".into(),
                );
                return Vec::new();
            }
        };
        if list.iter().any(|e| e == "States.ALL") && (list.len() > 1 || !last) {
            self.err(
                &format!("{ptr}/ErrorEquals"),
                "States.ALL must appear alone and in the last retrier or catcher".into(),
            );
        }
        list
    }

    pub(super) fn machine_fields(&mut self, o: &Obj, p: &str, map: bool) {
        for k in o.keys() {
            let ok =
                ["StartAt", "States", "Comment"].contains(&k) || (map && k == "ProcessorConfig");
            if !ok {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("the field '{k}' is not allowed here"),
                );
            }
        }
    }

    pub(super) fn assign(
        &mut self,
        v: Option<&Doc>,
        p: &str,
        ql: QueryLanguage,
    ) -> (Option<Template>, Vec<String>) {
        let Some(v) = v else {
            return (None, Vec::new());
        };
        let Some(o) = v.as_object() else {
            self.err(p, "Assign must be an object".into());
            return (None, Vec::new());
        };
        for k in o.keys() {
            let name = if ql == QueryLanguage::JsonPath {
                k.strip_suffix(".$").unwrap_or(k)
            } else {
                k
            };
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && name.chars().count() <= 80;
            if !valid {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("'{name}' is not a valid variable name"),
                );
            } else if name == "states" {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    "'states' is a reserved variable name".into(),
                );
            }
        }
        let keys = o.keys().map(str::to_string).collect();
        if ql == QueryLanguage::JsonPath {
            (self.template(v, p, ""), keys)
        } else {
            (None, keys)
        }
    }

    /// `ResultPath` of a state or catcher at `at`: `$` (the default) puts
    /// the result in place of the input, `null` discards it.
    pub(super) fn result_path(&mut self, o: &Obj, at: &str) -> ResultSel {
        match o.get("ResultPath") {
            None => ResultSel::Replace,
            Some(Doc::Null) => ResultSel::Discard,
            Some(v) => match self.ref_path(v, at, "ResultPath") {
                // It places the result in the state's input: not in the
                // context object, nor in a variable.
                Some(p) if p.root != crate::asl::jsonpath::Root::Data => {
                    self.err(
                        &format!("{at}/ResultPath"),
                        "ResultPath must be a reference path into the state's input ($ or $.…)"
                            .into(),
                    );
                    ResultSel::Replace
                }
                Some(p) if p.is_root() => ResultSel::Replace,
                Some(p) => ResultSel::At(p),
                None => ResultSel::Replace,
            },
        }
    }

    /// JSONata's `Output` and `Assign` of a state, catcher or rule at `p`.
    pub(super) fn jsonata_tail(&mut self, o: &Obj, p: &str) -> JsonataTail {
        JsonataTail {
            output: o
                .get("Output")
                .and_then(|v| self.jt(Some(v), &format!("{p}/Output"))),
            assign: o
                .get("Assign")
                .and_then(|v| self.jt(Some(v), &format!("{p}/Assign"))),
        }
    }

    pub(super) fn retrier(&mut self, v: &Doc, p: &str, last: bool) -> Retrier {
        let empty: &'static Obj<'static> = &EMPTY;
        let o = v.as_object().unwrap_or(empty);
        self.comment(o, p);
        for k in o.keys() {
            if !super::RETRIER_FIELDS.contains(&k) {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("the field '{k}' is not allowed in a retrier"),
                );
            }
        }
        let errors = self.error_list(o.get("ErrorEquals"), p, last);
        let interval_seconds = match o.get("IntervalSeconds") {
            None => 1.0,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=99_999_999).contains(&n) => n as f64,
                _ => {
                    self.err(
                        &format!("{p}/IntervalSeconds"),
                        "IntervalSeconds must be an integer from 1 to 99999999".into(),
                    );
                    1.0
                }
            },
        };
        let max_attempts = match o.get("MaxAttempts") {
            None => 3,
            Some(v) => match v.as_u64() {
                Some(n) if n <= 99_999_999 => n,
                _ => {
                    self.err(
                        &format!("{p}/MaxAttempts"),
                        "MaxAttempts must be an integer from 0 to 99999999".into(),
                    );
                    3
                }
            },
        };
        let backoff_rate = match o.get("BackoffRate") {
            None => 2.0,
            Some(v) => match v.as_f64() {
                Some(f) if f >= 1.0 => f,
                _ => {
                    self.err(
                        &format!("{p}/BackoffRate"),
                        "BackoffRate must be a number of at least 1.0".into(),
                    );
                    2.0
                }
            },
        };
        let max_delay_seconds = match o.get("MaxDelaySeconds") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=31_622_400).contains(&n) => Some(n as f64),
                _ => {
                    self.err(
                        &format!("{p}/MaxDelaySeconds"),
                        "MaxDelaySeconds must be an integer from 1 to 31622400".into(),
                    );
                    None
                }
            },
        };
        let jitter_full = match o.get("JitterStrategy") {
            None => false,
            Some(v) if v == "FULL" => true,
            Some(v) if v == "NONE" => false,
            Some(_) => {
                self.err(
                    &format!("{p}/JitterStrategy"),
                    "JitterStrategy must be \"FULL\" or \"NONE\"".into(),
                );
                false
            }
        };
        Retrier {
            errors,
            interval_seconds,
            max_attempts,
            backoff_rate,
            max_delay_seconds,
            jitter_full,
        }
    }

    pub(super) fn catcher(
        &mut self,
        v: &Doc,
        p: &str,
        last: bool,
        ql: QueryLanguage,
        names: &HashMap<String, StateId>,
    ) -> Option<Catcher> {
        let empty: &'static Obj<'static> = &EMPTY;
        let o = v.as_object().unwrap_or(empty);
        self.comment(o, p);
        for k in o.keys() {
            let ok = ["ErrorEquals", "Next", "Comment", "Assign"].contains(&k)
                || (ql == QueryLanguage::JsonPath && k == "ResultPath")
                || (ql == QueryLanguage::Jsonata && k == "Output");
            if !ok {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("the field '{k}' is not allowed in a catcher"),
                );
            }
        }
        let errors = self.error_list(o.get("ErrorEquals"), p, last);
        if !o.contains_key("Next") {
            self.err(p, "a catcher needs Next".into());
        }
        let next = self.target(o, p, "Next", names);
        let result_path = self.result_path(o, p);
        let (assign, assigns) = self.assign(o.get("Assign"), &format!("{p}/Assign"), ql);
        let flow = match ql {
            QueryLanguage::JsonPath => CatchFlow::JsonPath {
                result_path,
                assign,
            },
            QueryLanguage::Jsonata => CatchFlow::Jsonata(self.jsonata_tail(o, p)),
        };
        Some(Catcher {
            errors,
            next: next?,
            flow,
            assigns,
        })
    }
}
