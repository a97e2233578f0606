//! `${Name}` placeholders: what CloudFormation's `DefinitionSubstitutions`,
//! SAM, CDK and Terraform's `templatefile` fill in a definition before it
//! reaches Step Functions. A definition kept beside its template still holds
//! them; asldbg fills them from `--sub`/`--subs` and the template, gives the
//! pseudo parameters (`${AWS::Region}`, …) a default, and reports every one
//! left unfilled by name and place instead of failing on the text.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Values for placeholders, by name.
#[derive(Debug, Clone, Default)]
pub struct Substitutions {
    values: BTreeMap<String, Value>,
}

/// The account, region and partition a local run pretends to be in (the
/// same as the engine's defaults).
pub const DEFAULT_ACCOUNT: &str = "123456789012";
pub const DEFAULT_REGION: &str = "us-east-1";

/// A pseudo parameter's stand-in value.
pub fn pseudo_parameter(name: &str) -> Option<&'static str> {
    Some(match name {
        "AWS::Region" => DEFAULT_REGION,
        "AWS::AccountId" => DEFAULT_ACCOUNT,
        "AWS::Partition" => "aws",
        "AWS::URLSuffix" => "amazonaws.com",
        "AWS::StackName" => "stack",
        "AWS::StackId" => {
            "arn:aws:cloudformation:us-east-1:123456789012:stack/stack/00000000-0000-0000-0000-000000000000"
        }
        "AWS::NotificationARNs" | "AWS::NoValue" => "",
        _ => return None,
    })
}

impl Substitutions {
    /// `value` for `${name}`; a later value for the same name wins.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        self.values.insert(name.into(), value);
    }

    /// Adds `NAME=VALUE` (the `--sub` form).
    pub fn set_pair(&mut self, pair: &str) -> Result<(), String> {
        match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                self.set(k.trim(), Value::String(v.to_string()));
                Ok(())
            }
            _ => Err(format!("--sub '{pair}': expected NAME=VALUE")),
        }
    }

    /// Adds every entry of a JSON/YAML object (the `--subs FILE` form);
    /// values are strings, numbers or booleans, as DefinitionSubstitutions'.
    pub fn set_all(&mut self, map: &Map<String, Value>) -> Result<(), (String, String)> {
        for (k, v) in map {
            match v {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                    self.set(k.clone(), v.clone())
                }
                _ => {
                    return Err((
                        format!("/{}", crate::asl::json::pointer_token(k)),
                        format!("the value of '{k}' must be a string, number or boolean"),
                    ))
                }
            }
        }
        Ok(())
    }

    /// The value of `${name}`: given, or a pseudo parameter's default.
    pub fn get(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.values.get(name) {
            return Some(v.clone());
        }
        pseudo_parameter(name).map(|s| Value::String(s.into()))
    }

    /// Merges `other` over `self` (its values win).
    pub fn extend(&mut self, other: &Substitutions) {
        for (k, v) in &other.values {
            self.values.insert(k.clone(), v.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The region, account and partition resources are made up in:
    /// `--sub AWS::Region=…` (and `AWS::AccountId`, `AWS::Partition`) over
    /// the defaults.
    pub fn place(&self) -> Place {
        let text = |name: &str| match self.get(name) {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        Place {
            region: text("AWS::Region"),
            account: text("AWS::AccountId"),
            partition: text("AWS::Partition"),
        }
    }
}

/// Where a local run's made-up resources live (see [`Substitutions::place`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub region: String,
    pub account: String,
    pub partition: String,
}

impl Place {
    /// `arn:PARTITION:SERVICE:REGION:ACCOUNT:REST`.
    pub fn arn(&self, service: &str, rest: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{rest}",
            self.partition, self.region, self.account
        )
    }

    /// An SQS queue's URL.
    pub fn queue_url(&self, name: &str) -> String {
        format!(
            "https://sqs.{}.amazonaws.com/{}/{name}",
            self.region, self.account
        )
    }
}

/// A placeholder nothing filled: its name, the first place it stands (a
/// JSON pointer) and whether a number was needed there.
#[derive(Debug, Clone, PartialEq)]
pub struct Unfilled {
    pub name: String,
    pub pointer: String,
    pub numeric: bool,
}

/// Fields whose value the language needs as a number: a whole-string
/// placeholder there becomes the number it is filled with.
const NUMERIC_FIELDS: &[&str] = &[
    "Seconds",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "MaxConcurrency",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
    "MaxItems",
    "MaxItemsPerBatch",
    "MaxInputBytesPerBatch",
];

/// Whether `s` holds a `${…}` placeholder.
pub fn has_placeholder(s: &str) -> bool {
    scan(s).next().is_some()
}

/// The placeholders in `s`: (byte range of `${…}`, the name inside).
/// `${!Name}` is CloudFormation's escape for a literal `${Name}`.
fn scan(s: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || loop {
        let start = from + s.get(from..)?.find("${")?;
        let Some(len) = s[start + 2..].find('}') else {
            from = s.len();
            return None;
        };
        let end = start + 2 + len + 1;
        from = end;
        let name = &s[start + 2..end - 1];
        if !name.is_empty() && !name.contains(['{', '"', '\n']) {
            return Some((start..end, name));
        }
    })
}

/// The text of a substituted value.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `s` with its placeholders filled; the names left unfilled go to `missing`.
pub fn fill_str(s: &str, subs: &Substitutions, missing: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (range, name) in scan(s) {
        out.push_str(&s[last..range.start]);
        last = range.end;
        if let Some(lit) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(lit);
            out.push('}');
        } else if let Some(v) = subs.get(name) {
            out.push_str(&text_of(&v));
        } else {
            missing.push(name.to_string());
            out.push_str(&s[range]);
        }
    }
    out.push_str(&s[last..]);
    out
}

/// Fills every placeholder in the string values of `v` (keys are left as
/// written). A field of [`NUMERIC_FIELDS`] that is one whole placeholder
/// takes the number it is filled with; when nothing fills it and `stand_in`
/// is set, it becomes 0 so that the rest of the definition can be checked.
/// Returns the unfilled names, each once, at its first place.
pub fn fill(v: &mut Value, subs: &Substitutions, stand_in: bool) -> Vec<Unfilled> {
    let mut out: Vec<Unfilled> = Vec::new();
    walk(v, &mut String::new(), None, subs, stand_in, &mut out);
    out
}

fn walk(
    v: &mut Value,
    ptr: &mut String,
    key: Option<&str>,
    subs: &Substitutions,
    stand_in: bool,
    out: &mut Vec<Unfilled>,
) {
    match v {
        Value::String(s) => {
            if !s.contains("${") {
                return;
            }
            let numeric = key.is_some_and(|k| NUMERIC_FIELDS.contains(&k));
            let whole = scan(s)
                .next()
                .filter(|(r, _)| r.start == 0 && r.end == s.len())
                .map(|(_, n)| n.to_string());
            let mut missing = Vec::new();
            let filled = fill_str(s, subs, &mut missing);
            let unfilled_numeric = numeric && whole.is_some() && !missing.is_empty();
            for name in missing {
                match out.iter_mut().find(|u| u.name == name) {
                    Some(u) => u.numeric |= unfilled_numeric,
                    None => out.push(Unfilled {
                        name,
                        pointer: ptr.clone(),
                        numeric: unfilled_numeric,
                    }),
                }
            }
            if numeric && whole.is_some() {
                if unfilled_numeric {
                    if stand_in {
                        *v = Value::from(0);
                    }
                    return;
                }
                if let Ok(n @ Value::Number(_)) = serde_json::from_str::<Value>(filled.trim()) {
                    *v = n;
                    return;
                }
            }
            *s = filled;
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&i.to_string());
                walk(x, ptr, None, subs, stand_in, out);
                ptr.truncate(len);
            }
        }
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&crate::asl::json::pointer_token(k));
                walk(x, ptr, Some(k), subs, stand_in, out);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subs(pairs: &[(&str, Value)]) -> Substitutions {
        let mut s = Substitutions::default();
        for (k, v) in pairs {
            s.set(*k, v.clone());
        }
        s
    }

    #[test]
    fn placeholders_are_filled_in_strings_and_numeric_fields_become_numbers() {
        let mut v = json!({"States": {
            "W": {"Type": "Wait", "Seconds": "${Timeout}", "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Fn}",
                  "Parameters": {"Note": "${!Literal} and ${Timeout}"}, "End": true}}});
        let u = fill(
            &mut v,
            &subs(&[("Timeout", json!("30")), ("Fn", json!("Work"))]),
            false,
        );
        assert!(u.is_empty(), "{u:?}");
        assert_eq!(v.pointer("/States/W/Seconds"), Some(&json!(30)));
        assert_eq!(
            v.pointer("/States/T/Resource"),
            Some(&json!(
                "arn:aws:lambda:us-east-1:123456789012:function:Work"
            ))
        );
        assert_eq!(
            v.pointer("/States/T/Parameters/Note"),
            Some(&json!("${Literal} and 30"))
        );
    }

    #[test]
    fn an_unfilled_placeholder_is_reported_once_at_its_first_place() {
        let mut v = json!({"States": {
            "A": {"Type": "Task", "Resource": "${Fn}", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": "${T}", "Next": "B"},
            "B": {"Type": "Task", "Resource": "${Fn}", "End": true}}});
        let u = fill(&mut v, &Substitutions::default(), true);
        assert_eq!(
            u,
            vec![
                Unfilled {
                    name: "Fn".into(),
                    pointer: "/States/A/Resource".into(),
                    numeric: false
                },
                Unfilled {
                    name: "T".into(),
                    pointer: "/States/W/Seconds".into(),
                    numeric: true
                },
            ]
        );
        // The stand-in lets the rest be checked; the strings stay as written.
        assert_eq!(v.pointer("/States/W/Seconds"), Some(&json!(0)));
        assert_eq!(v.pointer("/States/B/Resource"), Some(&json!("${Fn}")));
    }

    #[test]
    fn sub_pairs_and_maps() {
        let mut s = Substitutions::default();
        assert!(s.set_pair("A=b=c").is_ok());
        assert!(s.set_pair("=x").is_err());
        assert!(s.set_pair("nothing").is_err());
        assert_eq!(s.get("A"), Some(json!("b=c")));
        let m = json!({"N": 3, "Bad": {"x": 1}});
        assert!(s.set_all(m.as_object().unwrap()).is_err());
        assert_eq!(s.get("AWS::Partition"), Some(json!("aws")));
        assert_eq!(s.get("Nope"), None);
    }
}
