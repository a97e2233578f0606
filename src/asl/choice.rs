//! Choice rules of JSONPath mode: comparison operators (and their `Path`
//! variants), `And`/`Or`/`Not`, `Is*` tests, `StringMatches` and timestamps.
//! A type mismatch is `false`; a missing `Variable` is an error.

use super::doc::Obj;
use super::json::{as_f64, json_eq};
use super::jsonpath::{Path, PathError, Scope};
use super::timestamp::parse_timestamp;
use super::value::Val;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Val(Val),
    Path(Path),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Compare(Kind, Cmp, Operand),
    Matches(String),
    IsNull(bool),
    IsPresent(bool),
    IsNumeric(bool),
    IsString(bool),
    IsBoolean(bool),
    IsTimestamp(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Test {
        variable: Path,
        test: Test,
        operator: String,
    },
}

/// Why a rule could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    pub path: String,
    pub detail: PathError,
}

/// Every comparison operator name with its kind and relation.
pub const COMPARISONS: &[(&str, Kind, Cmp)] = &[
    ("StringEquals", Kind::String, Cmp::Eq),
    ("StringLessThan", Kind::String, Cmp::Lt),
    ("StringGreaterThan", Kind::String, Cmp::Gt),
    ("StringLessThanEquals", Kind::String, Cmp::Le),
    ("StringGreaterThanEquals", Kind::String, Cmp::Ge),
    ("NumericEquals", Kind::Numeric, Cmp::Eq),
    ("NumericLessThan", Kind::Numeric, Cmp::Lt),
    ("NumericGreaterThan", Kind::Numeric, Cmp::Gt),
    ("NumericLessThanEquals", Kind::Numeric, Cmp::Le),
    ("NumericGreaterThanEquals", Kind::Numeric, Cmp::Ge),
    ("BooleanEquals", Kind::Boolean, Cmp::Eq),
    ("TimestampEquals", Kind::Timestamp, Cmp::Eq),
    ("TimestampLessThan", Kind::Timestamp, Cmp::Lt),
    ("TimestampGreaterThan", Kind::Timestamp, Cmp::Gt),
    ("TimestampLessThanEquals", Kind::Timestamp, Cmp::Le),
    ("TimestampGreaterThanEquals", Kind::Timestamp, Cmp::Ge),
];

pub const TYPE_TESTS: &[&str] = &[
    "IsNull",
    "IsPresent",
    "IsNumeric",
    "IsString",
    "IsBoolean",
    "IsTimestamp",
];

/// Parse the operator part of a rule object (one of the operator fields).
/// Returns `Ok(None)` when the object carries no operator.
pub fn parse_test(rule: &Obj) -> Result<Option<(String, Test)>, String> {
    let mut found: Vec<(String, Test)> = Vec::new();
    for (k, v) in rule.iter() {
        if let Some((_, kind, cmp)) = COMPARISONS.iter().find(|(n, _, _)| *n == k) {
            let ok = match kind {
                Kind::String | Kind::Timestamp => v.is_string(),
                Kind::Numeric => v.is_number(),
                Kind::Boolean => v.is_boolean(),
            };
            if !ok {
                return Err(format!("the value of '{k}' has the wrong type"));
            }
            if *kind == Kind::Timestamp && parse_timestamp(v.as_str().unwrap()).is_none() {
                return Err(format!("the value of '{k}' is not an RFC 3339 timestamp"));
            }
            found.push((
                k.to_string(),
                Test::Compare(*kind, *cmp, Operand::Val(Val::from(v))),
            ));
        } else if let Some(base) = k.strip_suffix("Path") {
            if let Some((_, kind, cmp)) = COMPARISONS.iter().find(|(n, _, _)| *n == base) {
                let s = v
                    .as_str()
                    .ok_or_else(|| format!("the value of '{k}' must be a path"))?;
                let p = Path::parse(s).map_err(|e| e.to_string())?;
                found.push((k.to_string(), Test::Compare(*kind, *cmp, Operand::Path(p))));
            }
        } else if k == "StringMatches" {
            let s = v
                .as_str()
                .ok_or("the value of 'StringMatches' must be a string")?;
            found.push((k.to_string(), Test::Matches(s.to_string())));
        } else if TYPE_TESTS.contains(&k) {
            let b = v
                .as_bool()
                .ok_or_else(|| format!("the value of '{k}' must be true or false"))?;
            let t = match k {
                "IsNull" => Test::IsNull(b),
                "IsPresent" => Test::IsPresent(b),
                "IsNumeric" => Test::IsNumeric(b),
                "IsString" => Test::IsString(b),
                "IsBoolean" => Test::IsBoolean(b),
                _ => Test::IsTimestamp(b),
            };
            found.push((k.to_string(), t));
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(format!(
            "a rule may carry only one comparison operator, found {}",
            found
                .iter()
                .map(|f| f.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `*` matches any run of characters; `\*` and `\\` are literal.
pub fn string_matches(s: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => toks.push(Tok::Ch(it.next().unwrap_or('\\'))),
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Ch(c)),
        }
    }
    let s: Vec<char> = s.chars().collect();
    // Classic wildcard matching with back-tracking on the last star.
    let (mut i, mut j) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while i < s.len() {
        if j < toks.len() && toks[j] == Tok::Ch(s[i]) {
            i += 1;
            j += 1;
        } else if j < toks.len() && toks[j] == Tok::Star {
            star = Some(j);
            mark = i;
            j += 1;
        } else if let Some(st) = star {
            j = st + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    while j < toks.len() && toks[j] == Tok::Star {
        j += 1;
    }
    j == toks.len()
}

fn ordering_ok(o: Ordering, c: Cmp) -> bool {
    match c {
        Cmp::Eq => o == Ordering::Equal,
        Cmp::Lt => o == Ordering::Less,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::Le => o != Ordering::Greater,
        Cmp::Ge => o != Ordering::Less,
    }
}

fn compare(kind: Kind, cmp: Cmp, v: &Val, rhs: &Val) -> bool {
    match kind {
        Kind::String => match (v.as_str(), rhs.as_str()) {
            (Some(a), Some(b)) => ordering_ok(a.cmp(b), cmp),
            _ => false,
        },
        Kind::Numeric => match (v, rhs) {
            (Val::Num(_), Val::Num(_)) => {
                if cmp == Cmp::Eq && json_eq(v, rhs) {
                    return true;
                }
                match as_f64(v)
                    .zip(as_f64(rhs))
                    .and_then(|(a, b)| a.partial_cmp(&b))
                {
                    Some(o) => ordering_ok(o, cmp),
                    None => false,
                }
            }
            _ => false,
        },
        Kind::Boolean => match (v, rhs) {
            (Val::Bool(a), Val::Bool(b)) => a == b,
            _ => false,
        },
        Kind::Timestamp => {
            match (
                v.as_str().and_then(parse_timestamp),
                rhs.as_str().and_then(parse_timestamp),
            ) {
                (Some(a), Some(b)) => ordering_ok(a.cmp(&b), cmp),
                _ => false,
            }
        }
    }
}

impl Rule {
    /// The `Variable` paths the rule tests, in the order written.
    pub fn variables<'a>(&'a self, out: &mut Vec<&'a Path>) {
        match self {
            Rule::And(rs) | Rule::Or(rs) => rs.iter().for_each(|r| r.variables(out)),
            Rule::Not(r) => r.variables(out),
            Rule::Test { variable, .. } => {
                if !out.iter().any(|p| p.source == variable.source) {
                    out.push(variable)
                }
            }
        }
    }

    pub fn eval(&self, scope: &Scope) -> Result<bool, RuleError> {
        match self {
            Rule::And(rs) => {
                for r in rs {
                    if !r.eval(scope)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rs) => {
                for r in rs {
                    if r.eval(scope)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(r) => Ok(!r.eval(scope)?),
            Rule::Test { variable, test, .. } => {
                let value = variable.eval(scope);
                if let Test::IsPresent(b) = test {
                    let present = match &value {
                        Ok(Val::Arr(a)) if !variable.is_definite() => !a.is_empty(),
                        Ok(_) => true,
                        Err(_) => false,
                    };
                    return Ok(present == *b);
                }
                let v = value.map_err(|detail| RuleError {
                    path: variable.source.clone(),
                    detail,
                })?;
                Ok(match test {
                    Test::IsNull(b) => v.is_null() == *b,
                    Test::IsNumeric(b) => v.is_number() == *b,
                    Test::IsString(b) => v.is_string() == *b,
                    Test::IsBoolean(b) => v.is_boolean() == *b,
                    Test::IsTimestamp(b) => v.as_str().and_then(parse_timestamp).is_some() == *b,
                    Test::IsPresent(_) => unreachable!(),
                    Test::Matches(p) => v.as_str().is_some_and(|s| string_matches(s, p)),
                    Test::Compare(kind, cmp, op) => {
                        let rhs = match op {
                            Operand::Val(x) => x.clone(),
                            Operand::Path(p) => p.eval(scope).map_err(|detail| RuleError {
                                path: p.source.clone(),
                                detail,
                            })?,
                        };
                        compare(*kind, *cmp, &v, &rhs)
                    }
                })
            }
        }
    }
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Invalid path '{}': {}", self.path, self.detail)
    }
}

impl std::error::Error for RuleError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: serde_json::Value) -> Rule {
        let o = v.as_object().unwrap();
        let doc = crate::asl::doc::Doc::from_value(&v);
        let (op, test) = parse_test(doc.as_object().unwrap()).unwrap().unwrap();
        Rule::Test {
            variable: Path::parse(o["Variable"].as_str().unwrap()).unwrap(),
            test,
            operator: op,
        }
    }

    #[test]
    fn wildcards() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("", "*"));
        assert!(string_matches("abcabc", "*abc"));
        assert!(!string_matches("abc", "abd"));
    }

    #[test]
    fn mismatched_types_are_false_and_missing_is_an_error() {
        let d = Val::from(json!({"n": 1, "s": "x", "t": "2016-03-14T01:59:00Z"}));
        let sc = Scope::data(&d);
        assert!(rule(json!({"Variable": "$.n", "NumericEquals": 1.0}))
            .eval(&sc)
            .unwrap());
        assert!(!rule(json!({"Variable": "$.s", "NumericEquals": 1}))
            .eval(&sc)
            .unwrap());
        assert!(
            rule(json!({"Variable": "$.t", "TimestampLessThan": "2016-03-14T02:00:00+00:00"}))
                .eval(&sc)
                .unwrap()
        );
        assert!(
            rule(json!({"Variable": "$.n", "NumericLessThanEqualsPath": "$.n"}))
                .eval(&sc)
                .unwrap()
        );
        assert!(rule(json!({"Variable": "$.nope", "StringEquals": "x"}))
            .eval(&sc)
            .is_err());
        assert!(!rule(json!({"Variable": "$.nope", "IsPresent": true}))
            .eval(&sc)
            .unwrap());
    }
}
