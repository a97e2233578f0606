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
                items: self.jt(o.get("Items"), &format!("{sp}/Items")),
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
        let item_batcher = o.get("ItemBatcher").map(|b| {
            let bp = format!("{sp}/ItemBatcher");
            let bo = b.as_object().cloned().unwrap_or_default();
            let batch_input = bo
                .get("BatchInput")
                .and_then(|v| self.shaped(v, &format!("{bp}/BatchInput"), ql));
            ItemBatcher {
                max_items: self.num_spec(&bo, "MaxItemsPerBatch", &bp, ql, false),
                max_bytes: self.num_spec(&bo, "MaxInputBytesPerBatch", &bp, ql, false),
                batch_input,
            }
        });
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
        }
        let cfg = ro
            .get("ReaderConfig")
            .and_then(|c| c.as_object())
            .cloned()
            .unwrap_or_default();
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

    /// A payload template in the state's query language.
    fn shaped(&mut self, v: &Doc, p: &str, ql: QueryLanguage) -> Option<Shaped> {
        match ql {
            QueryLanguage::JsonPath => self.template(v, p, "").map(Shaped::JsonPath),
            QueryLanguage::Jsonata => self.jt(Some(v), p).map(Shaped::Jsonata),
        }
    }
}
