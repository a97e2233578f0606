//! Choice rules (JSONPath comparisons and JSONata conditions).

use super::*;

impl<'a> Builder<'a> {
    pub(super) fn rule(&mut self, v: &Doc, p: &str, top: bool) -> Option<Rule> {
        let Some(o) = v.as_object() else {
            self.err(p, "a choice rule must be an object".into());
            return None;
        };
        self.comment(o, p);
        if !top && o.contains_key("Next") {
            self.err(
                &format!("{p}/Next"),
                "a nested rule may not have Next".into(),
            );
        }
        let combinators = ["And", "Or", "Not"]
            .iter()
            .filter(|k| o.contains_key(k))
            .count();
        if combinators > 0 {
            if combinators > 1 || o.contains_key("Variable") {
                self.err(
                    p,
                    "a rule has exactly one of And, Or, Not or Variable".into(),
                );
            }
            if let Some(n) = o.get("Not") {
                return self
                    .rule(n, &format!("{p}/Not"), false)
                    .map(|r| Rule::Not(Box::new(r)));
            }
            let key = if o.contains_key("And") { "And" } else { "Or" };
            let Some(list) = o
                .get(key)
                .and_then(|l| l.as_array())
                .filter(|l| !l.is_empty())
            else {
                self.err(
                    &format!("{p}/{key}"),
                    format!("{key} must be a non-empty array of rules"),
                );
                return None;
            };
            let mut rules = Vec::new();
            for (i, r) in list.iter().enumerate() {
                rules.push(self.rule(r, &format!("{p}/{key}/{i}"), false)?);
            }
            return Some(if key == "And" {
                Rule::And(rules)
            } else {
                Rule::Or(rules)
            });
        }
        for k in o.keys() {
            let known = ["Variable", "Next", "Comment", "Assign"].contains(&k)
                || choice::COMPARISONS
                    .iter()
                    .any(|(n, _, _)| *n == k || k.strip_suffix("Path") == Some(n))
                || choice::TYPE_TESTS.contains(&k)
                || k == "StringMatches";
            if !known {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("the field '{k}' is not allowed in a choice rule"),
                );
            }
        }
        let variable = match o.get("Variable").and_then(|v| v.as_str()) {
            Some(s) => match self.paths.parse(s) {
                Ok(p) => p,
                Err(e) => {
                    self.err_expr(&format!("{p}/Variable"), e);
                    return None;
                }
            },
            None => {
                self.err(p, "a choice rule needs a Variable (or And/Or/Not)".into());
                return None;
            }
        };
        match choice::parse_test(o) {
            Ok(Some((operator, test))) => Some(Rule::Test {
                variable,
                test,
                operator,
            }),
            Ok(None) => {
                self.err(p, "a choice rule needs a comparison operator".into());
                None
            }
            Err(e) => {
                self.err(p, e);
                None
            }
        }
    }

    pub(super) fn choice_rule(
        &mut self,
        v: &Doc,
        p: &str,
        ql: QueryLanguage,
        names: &HashMap<String, StateId>,
    ) -> Option<ChoiceRule> {
        let o = v.as_object()?;
        self.comment(o, p);
        if !o.contains_key("Next") {
            self.err(p, "a choice rule needs Next".into());
        }
        let next = self.target(o, p, "Next", names);
        let (assign, assigns) = self.assign(o.get("Assign"), &format!("{p}/Assign"), ql);
        let test = if ql == QueryLanguage::Jsonata {
            for k in o.keys() {
                if !["Condition", "Next", "Comment", "Assign", "Output"].contains(&k) {
                    self.err(
                        &format!("{p}/{}", tok(k)),
                        format!("the field '{k}' is not allowed in a JSONata choice rule"),
                    );
                }
            }
            let condition = match o.get("Condition") {
                Some(Doc::Str(s)) if is_jsonata_expr(s) => {
                    self.jexpr(s, &format!("{p}/Condition"))?
                }
                Some(Doc::Bool(b)) => {
                    self.jexpr(&format!("{{% {b} %}}"), &format!("{p}/Condition"))?
                }
                _ => {
                    self.err(
                        p,
                        "a JSONata choice rule needs a Condition expression".into(),
                    );
                    return None;
                }
            };
            RuleTest::Jsonata {
                condition,
                tail: self.jsonata_tail(o, p),
            }
        } else {
            RuleTest::JsonPath {
                rule: Box::new(self.rule(v, p, true)?),
                assign,
            }
        };
        let text = match &test {
            RuleTest::Jsonata { condition, .. } => condition.source.clone(),
            RuleTest::JsonPath { .. } => rule_text(v),
        };
        Some(ChoiceRule {
            test,
            next: next?,
            assigns,
            text,
        })
    }
}

/// A Choice rule without its `Next` (and Assign, Output, Comment), as
/// compact JSON.
pub fn rule_text(raw: &Doc) -> String {
    match raw.as_object() {
        Some(o) => {
            use serde::ser::{SerializeMap, Serializer};
            let mut out = Vec::new();
            let mut ser = serde_json::Serializer::new(&mut out);
            let written = ser.serialize_map(None).and_then(|mut map| {
                for (k, v) in o.iter() {
                    if !["Next", "Assign", "Output", "Comment"].contains(&k) {
                        map.serialize_entry(k, v)?;
                    }
                }
                map.end()
            });
            match written {
                Ok(()) => String::from_utf8(out).unwrap_or_default(),
                Err(_) => String::new(),
            }
        }
        None => serde_json::to_string(raw).unwrap_or_default(),
    }
}
