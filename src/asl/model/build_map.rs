//! Map states: the item processor, items, selector, reader and batcher.

use super::*;

impl<'a> Builder<'a> {
    pub(super) fn map(&mut self, o: &'a Obj<'a>, sp: &str, ql: QueryLanguage) -> MapSpec {
        let (proc_key, pv) = match (o.get("ItemProcessor"), o.get("Iterator")) {
            (Some(p), None) => ("ItemProcessor", p),
            (None, Some(p)) => ("Iterator", p),
            (Some(p), Some(_)) => {
                self.err(
                    sp,
                    "ItemProcessor and Iterator are mutually exclusive".into(),
                );
                ("ItemProcessor", p)
            }
            (None, None) => {
                self.err(sp, "a Map state needs an ItemProcessor".into());
                ("ItemProcessor", &Doc::Null)
            }
        };
        let pp = format!("{sp}/{proc_key}");
        let empty: &'static Obj<'static> = &EMPTY;
        let po = pv.as_object().unwrap_or(empty);
        self.machine_fields(po, &pp, true);
        let mut distributed = false;
        if let Some(cfg) = po.get("ProcessorConfig") {
            match cfg.get("Mode").and_then(|m| m.as_str()) {
                None | Some("INLINE") => {}
                Some("DISTRIBUTED") => distributed = true,
                Some(_) => self.err(
                    &format!("{pp}/ProcessorConfig/Mode"),
                    "Mode must be INLINE or DISTRIBUTED".into(),
                ),
            }
            if let Some(et) = cfg.get("ExecutionType") {
                if et != "STANDARD" && et != "EXPRESS" {
                    self.err(
                        &format!("{pp}/ProcessorConfig/ExecutionType"),
                        "ExecutionType must be STANDARD or EXPRESS".into(),
                    );
                }
            } else if distributed {
                self.err(
                    &format!("{pp}/ProcessorConfig"),
                    "a DISTRIBUTED ProcessorConfig needs an ExecutionType (STANDARD or EXPRESS)"
                        .into(),
                );
            }
            if let Some(c) = cfg.as_object() {
                self.only_fields(
                    c,
                    &format!("{pp}/ProcessorConfig"),
                    &["Mode", "ExecutionType"],
                );
            }
        }
        // A branch's or iteration's states default to the machine's
        // language, not the Map's (AWS: a JSONata Map in a JSONPath
        // machine may hold JSONPath states).
        let processor = self.machine(po, &pp, self.top_ql);
        let (sel_key, sel) = match (o.get("ItemSelector"), o.get("Parameters")) {
            (Some(s), _) => ("ItemSelector", Some(s)),
            (None, Some(p)) => ("Parameters", Some(p)),
            _ => ("ItemSelector", None),
        };
        let items = match ql {
            QueryLanguage::JsonPath => MapItems::JsonPath {
                items_path: o
                    .get("ItemsPath")
                    .and_then(|v| self.ref_path(v, sp, "ItemsPath")),
                item_selector: sel.and_then(|s| self.template(s, sp, sel_key)),
            },
            QueryLanguage::Jsonata => MapItems::Jsonata {
                items: {
                    // An array, or an expression that gives one.
                    if o.get("Items").is_some_and(|v| match v {
                        Doc::Str(s) => !is_jsonata_expr(s),
                        Doc::Arr(_) | Doc::Obj(_) => false,
                        _ => true,
                    }) {
                        self.err(
                            &format!("{sp}/Items"),
                            "Items must be an array or a JSONata expression ({% … %})".into(),
                        );
                    }
                    self.jt(o.get("Items"), &format!("{sp}/Items"))
                },
                item_selector: self.jt(sel, &format!("{sp}/{sel_key}")),
            },
        };
        let label = match o.get("Label") {
            None => None,
            Some(Doc::Str(l)) => {
                let bad = l.chars().count() > 40
                    || l.chars().any(|c| {
                        c.is_whitespace()
                            || c.is_control()
                            || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
                    });
                if bad {
                    self.err(&format!("{sp}/Label"), "Label must have at most 40 characters and no whitespace, brackets, wildcards or special characters".into());
                }
                if !self.labels.insert(l.to_string()) {
                    self.err(&format!("{sp}/Label"), format!("Label '{l}' is used twice"));
                }
                Some(l.to_string())
            }
            Some(_) => {
                self.err(&format!("{sp}/Label"), "Label must be a string".into());
                None
            }
        };
        if !distributed {
            for f in [
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
                "Label",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
            ] {
                if o.contains_key(f)
                    && f != "ToleratedFailureCount"
                    && f != "ToleratedFailurePercentage"
                {
                    self.err(
                        &format!("{sp}/{f}"),
                        format!("{f} is only allowed in a Map state in DISTRIBUTED mode"),
                    );
                }
            }
        }
        let item_reader = o
            .get("ItemReader")
            .map(|r| self.item_reader(r, &format!("{sp}/ItemReader"), ql));
        // Of a Map's `…Path` fields only ItemsPath may read the context
        // object (AWS: "Value is not a Reference Path").
        for f in [
            "MaxConcurrencyPath",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentagePath",
        ] {
            self.not_context(o, sp, f);
        }
        let item_batcher = o.get("ItemBatcher").map(|b| {
            let bp = format!("{sp}/ItemBatcher");
            let bo = b.as_object().cloned().unwrap_or_default();
            let mut known = vec!["MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"];
            if ql == QueryLanguage::JsonPath {
                known.extend(["MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"]);
            }
            self.only_fields(&bo, &bp, &known);
            for f in ["MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"] {
                self.not_context(&bo, &bp, f);
            }
            let batch_input = bo
                .get("BatchInput")
                .and_then(|v| self.shaped(v, &format!("{bp}/BatchInput"), ql));
            ItemBatcher {
                max_items: self.num_spec(&bo, "MaxItemsPerBatch", &bp, ql, false),
                max_bytes: self.num_spec(&bo, "MaxInputBytesPerBatch", &bp, ql, false),
                batch_input,
            }
        });
        if let Some(w) = o.get("ResultWriter") {
            self.result_writer(w, &format!("{sp}/ResultWriter"));
        }
        MapSpec {
            processor,
            distributed,
            items,
            max_concurrency: self.num_spec(o, "MaxConcurrency", sp, ql, false),
            tolerated_count: self.num_spec(o, "ToleratedFailureCount", sp, ql, false),
            tolerated_percentage: self.num_spec(o, "ToleratedFailurePercentage", sp, ql, true),
            label,
            item_reader,
            item_batcher,
            result_writer: o.get("ResultWriter").map(Doc::to_value),
        }
    }

    pub(super) fn item_reader(&mut self, r: &Doc, rp: &str, ql: QueryLanguage) -> ItemReader {
        let ro = r.as_object().cloned().unwrap_or_default();
        let resource = ro
            .get("Resource")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        if resource.is_empty() {
            self.err(rp, "an ItemReader needs a Resource".into());
        } else if !crate::asl::placeholders::has_placeholder(&resource)
            && !["s3:getObject", "s3:listObjectsV2"]
                .iter()
                .any(|a| resource.strip_prefix("arn:aws:states:::") == Some(a))
        {
            self.err(
                &format!("{rp}/Resource"),
                "an ItemReader's Resource must be arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2".into(),
            );
        }
        let cfg = ro
            .get("ReaderConfig")
            .and_then(|c| c.as_object())
            .cloned()
            .unwrap_or_default();
        let cp = format!("{rp}/ReaderConfig");
        for (f, allowed) in [
            (
                "InputType",
                &["CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"][..],
            ),
            ("CSVHeaderLocation", &["FIRST_ROW", "GIVEN"][..]),
            (
                "CSVDelimiter",
                &["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"][..],
            ),
        ] {
            self.one_of(&cfg, &cp, f, allowed);
        }
        if cfg.get("CSVHeaderLocation").and_then(|v| v.as_str()) == Some("GIVEN")
            && !cfg.contains_key("CSVHeaders")
        {
            self.err(&cp, "CSVHeaderLocation GIVEN needs CSVHeaders".into());
        }
        if cfg
            .get("MaxItems")
            .and_then(|v| v.as_u64())
            .is_some_and(|n| n > 100_000_000)
        {
            self.err(
                &format!("{cp}/MaxItems"),
                "MaxItems: Maximum value is 100000000".into(),
            );
        }
        if ql == QueryLanguage::Jsonata && cfg.contains_key("MaxItemsPath") {
            self.err(&format!("{cp}/MaxItemsPath"), "The QueryLanguage is set to 'JSONata', but field 'MaxItemsPath' is only supported for the 'JSONPath' QueryLanguage".into());
        }
        self.not_context(&cfg, &cp, "MaxItemsPath");
        let s = |k: &str| cfg.get(k).and_then(|v| v.as_str()).map(str::to_string);
        ItemReader {
            params: match ql {
                QueryLanguage::JsonPath => ro
                    .get("Parameters")
                    .and_then(|p| self.shaped(p, &format!("{rp}/Parameters"), ql)),
                QueryLanguage::Jsonata => ro
                    .get("Arguments")
                    .and_then(|p| self.shaped(p, &format!("{rp}/Arguments"), ql)),
            },
            input_type: s("InputType"),
            csv_header_location: s("CSVHeaderLocation"),
            csv_headers: cfg.get("CSVHeaders").and_then(|h| h.as_array()).map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            }),
            csv_delimiter: s("CSVDelimiter"),
            max_items: self.num_spec(&cfg, "MaxItems", &format!("{rp}/ReaderConfig"), ql, false),
            resource,
            raw: r.to_value(),
        }
    }

    /// A ResultWriter: its Resource (S3's putObject, when it has one) and
    /// the WriterConfig's values.
    fn result_writer(&mut self, w: &Doc, wp: &str) {
        let Some(wo) = w.as_object() else {
            self.err(wp, "ResultWriter must be an object".into());
            return;
        };
        if let Some(r) = wo.get("Resource").and_then(|r| r.as_str()) {
            if !crate::asl::placeholders::has_placeholder(r) && r != "arn:aws:states:::s3:putObject"
            {
                self.err(
                    &format!("{wp}/Resource"),
                    "a ResultWriter's Resource must be arn:aws:states:::s3:putObject".into(),
                );
            }
        }
        if let Some(c) = wo.get("WriterConfig").and_then(|c| c.as_object()) {
            let cp = format!("{wp}/WriterConfig");
            self.one_of(c, &cp, "OutputType", &["JSON", "JSONL"]);
            self.one_of(c, &cp, "Transformation", &["NONE", "COMPACT", "FLATTEN"]);
        }
    }

    /// The string field `f` of `o`, when present, is one of `allowed`.
    fn one_of(&mut self, o: &Obj, p: &str, f: &str, allowed: &[&str]) {
        if let Some(v) = o.get(f) {
            if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
                self.err(
                    &format!("{p}/{f}"),
                    format!("{f} must be one of {}", allowed.join(", ")),
                );
            }
        }
    }

    /// Every field of `o` (at `p`) is one of `known`: AWS refuses others.
    fn only_fields(&mut self, o: &Obj, p: &str, known: &[&str]) {
        for k in o.keys() {
            if !known.contains(&k) {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("Field '{k}' is not supported here"),
                );
            }
        }
    }

    /// The path field `f` of `o` reads the state's input (or a variable),
    /// not the context object.
    fn not_context(&mut self, o: &Obj, p: &str, f: &str) {
        if o.get(f)
            .and_then(|v| v.as_str())
            .is_some_and(|s| s.starts_with("$$"))
        {
            self.err(
                &format!("{p}/{f}"),
                format!("{f}: Value is not a Reference Path"),
            );
        }
    }

    /// A payload template in the state's query language.
    fn shaped(&mut self, v: &Doc, p: &str, ql: QueryLanguage) -> Option<Shaped> {
        match ql {
            QueryLanguage::JsonPath => self.template(v, p, "").map(Shaped::JsonPath),
            QueryLanguage::Jsonata => self.jt(Some(v), p).map(Shaped::Jsonata),
        }
    }
}
