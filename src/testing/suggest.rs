//! For a Choice rule no case matched, an input edit that matches it: the
//! rule must be a plain comparison (`Variable` and one operator with a
//! literal; in JSONata, `$states.input.…` compared with a literal, or
//! tested by `$exists` or as a truth value), or `And`/`Or`/`Not` of such,
//! the value it tests must come unchanged from a case's input, and the edit
//! is kept only when running the edited case matches the rule.

use super::suite::{run_case, Case, CaseResult, Suite};
use crate::asl::model::Kind;
use crate::asl::value::Val;
use crate::engine::StageRecord;
use jsonata_core::ast::{AstNode, BinaryOp, UnaryOp};
use serde_json::{json, Value};

/// A JSON pointer for a plain JSONPath (`$.a.b[0]['c d']`); `None` for
/// anything else (filters, wildcards, the context object, variables).
pub fn pointer_of(path: &str) -> Option<String> {
    let mut rest = path.strip_prefix('$')?;
    let mut out = String::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || name.contains(['*', '@', '(', '?', ' ']) {
                return None;
            }
            out.push('/');
            out.push_str(&crate::asl::json::pointer_token(name));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']")?;
            out.push('/');
            out.push_str(&crate::asl::json::pointer_token(&r[..end]));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let n: usize = r[..end].trim().parse().ok()?;
            out.push_str(&format!("/{n}"));
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(out)
}

/// A value that makes `op value` true (`negated`: false), for a plain
/// comparison. A guess that the run then checks.
pub fn satisfying(op: &str, v: &Value, negated: bool) -> Option<Value> {
    let n = v.as_f64();
    // One more or one less, an integer when the literal is one.
    let step = |d: i64| -> Option<Value> {
        match v.as_i64() {
            Some(i) => Some(json!(i.checked_add(d)?)),
            None => Some(json!(n? + d as f64)),
        }
    };
    let t = v == &json!(true);
    Some(match (op, negated) {
        ("StringEquals" | "NumericEquals" | "BooleanEquals" | "TimestampEquals", false) => {
            v.clone()
        }
        ("NumericLessThanEquals" | "NumericGreaterThanEquals", false) => v.clone(),
        ("NumericGreaterThan", false) | ("NumericLessThanEquals", true) => step(1)?,
        ("NumericLessThan", false) | ("NumericGreaterThanEquals", true) => step(-1)?,
        ("NumericLessThan" | "NumericGreaterThan", true) => v.clone(),
        ("NumericEquals", true) => step(1)?,
        ("StringEquals", true) => json!(format!("{}-other", v.as_str()?)),
        ("BooleanEquals", true) => json!(!v.as_bool()?),
        ("StringMatches", false) if !v.as_str()?.contains('*') => v.clone(),
        ("StringMatches", true) => json!("x"),
        ("TimestampLessThan" | "TimestampLessThanEquals", false)
        | ("TimestampGreaterThanEquals", true) => json!("1970-01-01T00:00:00Z"),
        ("TimestampGreaterThan" | "TimestampGreaterThanEquals", false)
        | ("TimestampLessThanEquals", true) => json!("9999-12-31T23:59:59Z"),
        ("IsNull", _) if t != negated => Value::Null,
        ("IsNull", _) => json!("x"),
        ("IsString", _) if t != negated => json!("text"),
        ("IsNumeric", _) if t != negated => json!(0),
        ("IsBoolean", _) if t != negated => json!(true),
        ("IsNumeric" | "IsBoolean", _) => json!("text"),
        ("IsString", _) => json!(0),
        ("IsPresent", _) if t != negated => json!("present"),
        _ => return None,
    })
}

/// The input edits (pointer, value) that should make `rule` match: a plain
/// comparison, `Not` of one, `And` of such (all of them) or `Or` (the
/// first that has some). `None`: no guess.
pub fn edits(rule: &Value, negated: bool) -> Option<Vec<(String, Value)>> {
    let o = rule.as_object()?;
    if let Some(inner) = o.get("Not") {
        return edits(inner, !negated);
    }
    let all = |list: &Value| all_of(list.as_array()?.iter().map(|r| edits(r, negated)));
    let any = |list: &Value| list.as_array()?.iter().find_map(|r| edits(r, negated));
    match (o.get("And"), o.get("Or")) {
        (Some(l), _) => return if negated { any(l) } else { all(l) },
        (_, Some(l)) => return if negated { all(l) } else { any(l) },
        _ => {}
    }
    let var = o.get("Variable")?.as_str()?;
    let ops: Vec<(&String, &Value)> = o
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "Variable" | "Next" | "Comment" | "Assign" | "Output"
            )
        })
        .collect();
    let [(op, v)] = ops.as_slice() else {
        return None;
    };
    if let Some(plain) = op.strip_suffix("Path") {
        // Compared with another path: that one is given a value of the
        // operator's kind, the variable one that satisfies the comparison.
        let other = pointer_of(v.as_str()?)?;
        let base = match plain {
            p if p.starts_with("Numeric") => json!(0),
            p if p.starts_with("Boolean") => json!(true),
            p if p.starts_with("Timestamp") => json!("2024-11-14T22:13:20Z"),
            p if p.starts_with("String") => json!("text"),
            _ => return None,
        };
        let mine = satisfying(plain, &base, negated)?;
        return Some(vec![(pointer_of(var)?, mine), (other, base)]);
    }
    Some(vec![(pointer_of(var)?, satisfying(op, v, negated)?)])
}

/// Every edit of each part (all of them must hold), or `None` when one part
/// has no guess.
fn all_of(parts: impl Iterator<Item = Option<Edits>>) -> Option<Edits> {
    let mut out: Edits = Vec::new();
    for part in parts {
        for (p, v) in part? {
            // A definite value wins over "present".
            match out.iter_mut().find(|(q, _)| *q == p) {
                Some(slot) if slot.1 == json!("present") => slot.1 = v,
                Some(_) => {}
                None => out.push((p, v)),
            }
        }
    }
    Some(out)
}

/// Input edits: (JSON pointer, value).
type Edits = Vec<(String, Value)>;

/// The edits that should make a rule match (`negated`: fail), whichever
/// language it is written in.
pub fn rule_edits(rule: &Value, negated: bool) -> Option<Edits> {
    match rule.get("Condition").and_then(Value::as_str) {
        Some(c) => condition_edits(c, negated),
        None => edits(rule, negated),
    }
}

/// The edits that should make a JSONata `Condition` true (`negated`:
/// false): `$states.input.a.b` compared with a literal (`=`, `!=`, `<`,
/// `<=`, `>`, `>=`, `in [..]`), `$exists(…)`, the path alone as a truth
/// value, and `and`, `or`, `$not(…)` of such.
pub fn condition_edits(condition: &str, negated: bool) -> Option<Edits> {
    let body = condition.trim().strip_prefix("{%")?.strip_suffix("%}")?;
    let ast = jsonata_core::parser::parse(body).ok()?;
    node_edits(&ast, negated)
}

/// `$states.input.a.b` (plain names) as a pointer into the state's input.
fn input_pointer(node: &AstNode) -> Option<String> {
    let AstNode::Path { steps } = node else {
        return None;
    };
    let mut it = steps.iter();
    let first = it.next()?;
    let second = it.next()?;
    if !matches!(&first.node, AstNode::Variable(v) if v == "states")
        || !matches!(&second.node, AstNode::Name(n) if n == "input")
        || !first.stages.is_empty()
        || !second.stages.is_empty()
    {
        return None;
    }
    let mut out = String::new();
    for step in it {
        let AstNode::Name(n) = &step.node else {
            return None;
        };
        if !step.stages.is_empty() {
            return None;
        }
        out.push('/');
        out.push_str(&crate::asl::json::pointer_token(n));
    }
    (!out.is_empty()).then_some(out)
}

/// A literal's value (`-3` is a negated number).
fn literal(node: &AstNode) -> Option<Value> {
    match node {
        AstNode::String(s) => Some(json!(s)),
        AstNode::Boolean(b) => Some(json!(b)),
        AstNode::Null => Some(Value::Null),
        AstNode::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => Some(json!(*n as i64)),
        AstNode::Number(n) => Some(json!(n)),
        AstNode::Unary {
            op: UnaryOp::Negate,
            operand,
        } => match literal(operand)? {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Some(json!(-i)),
                None => Some(json!(-n.as_f64()?)),
            },
            _ => None,
        },
        _ => None,
    }
}

fn node_edits(node: &AstNode, negated: bool) -> Option<Edits> {
    match node {
        AstNode::Block(v) if v.len() == 1 => node_edits(&v[0], negated),
        AstNode::Binary { op, lhs, rhs } => {
            let both = [lhs.as_ref(), rhs.as_ref()];
            match (op, negated) {
                (BinaryOp::And, false) | (BinaryOp::Or, true) => {
                    all_of(both.iter().map(|n| node_edits(n, negated)))
                }
                (BinaryOp::And, true) | (BinaryOp::Or, false) => {
                    both.iter().find_map(|n| node_edits(n, negated))
                }
                (BinaryOp::In, false) => {
                    let AstNode::Array(items) = rhs.as_ref() else {
                        return None;
                    };
                    Some(vec![(input_pointer(lhs)?, literal(items.first()?)?)])
                }
                _ => {
                    // The path on either side; the operator turned round when
                    // it is on the right (`5 < x` is `x > 5`).
                    let (path, lit, op) = match (input_pointer(lhs), input_pointer(rhs)) {
                        (Some(p), None) => (p, literal(rhs)?, *op),
                        (None, Some(p)) => (p, literal(lhs)?, flipped(*op)?),
                        _ => return None,
                    };
                    let (name, negated) = match op {
                        BinaryOp::NotEqual => (comparison(BinaryOp::Equal, &lit)?, !negated),
                        op => (comparison(op, &lit)?, negated),
                    };
                    if lit.is_null() {
                        return Some(vec![(path, satisfying("IsNull", &json!(true), negated)?)]);
                    }
                    Some(vec![(path, satisfying(name, &lit, negated)?)])
                }
            }
        }
        AstNode::Function { name, args, .. } if args.len() == 1 => match name.as_str() {
            "not" => node_edits(&args[0], !negated),
            "exists" if !negated => Some(vec![(input_pointer(&args[0])?, json!("present"))]),
            "boolean" => node_edits(&args[0], negated),
            _ => None,
        },
        // The value alone: true when it is truthy.
        path => Some(vec![(input_pointer(path)?, json!(!negated))]),
    }
}

/// The operator seen from the other side.
fn flipped(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Equal | BinaryOp::NotEqual => op,
        BinaryOp::LessThan => BinaryOp::GreaterThan,
        BinaryOp::LessThanOrEqual => BinaryOp::GreaterThanOrEqual,
        BinaryOp::GreaterThan => BinaryOp::LessThan,
        BinaryOp::GreaterThanOrEqual => BinaryOp::LessThanOrEqual,
        _ => return None,
    })
}

/// The JSONPath Choice operator a JSONata comparison with `lit` is.
fn comparison(op: BinaryOp, lit: &Value) -> Option<&'static str> {
    Some(match (op, lit) {
        (BinaryOp::Equal, Value::String(_)) => "StringEquals",
        (BinaryOp::Equal, Value::Bool(_)) => "BooleanEquals",
        (BinaryOp::Equal, Value::Null) => "IsNull",
        (BinaryOp::Equal, Value::Number(_)) => "NumericEquals",
        (BinaryOp::LessThan, Value::Number(_)) => "NumericLessThan",
        (BinaryOp::LessThanOrEqual, Value::Number(_)) => "NumericLessThanEquals",
        (BinaryOp::GreaterThan, Value::Number(_)) => "NumericGreaterThan",
        (BinaryOp::GreaterThanOrEqual, Value::Number(_)) => "NumericGreaterThanEquals",
        _ => return None,
    })
}

fn record_of<'a>(r: &'a CaseResult, state: &str) -> Option<&'a StageRecord> {
    r.stages.iter().find(|s| s.state == state)
}

/// Suggestions for every suite's unmatched plain Choice rules, each checked
/// by running the edited case: `{"text", "suite", "case", "state", "rule",
/// "pointer", "value"}`.
pub fn suggest(suites: &[Suite], results: &[CaseResult]) -> Vec<Value> {
    let mut out = Vec::new();
    for s in suites {
        let mine: Vec<&CaseResult> = results.iter().filter(|r| r.suite == s.file).collect();
        let def = &s.definition;
        for machine in &def.machines {
            for st in &machine.states {
                let Kind::Choice { choices, .. } = &st.kind else {
                    continue;
                };
                let raw = def.raw(st);
                // Where the edited values are, as the rules name them.
                let root = if st.is_jsonata() {
                    "$states.input"
                } else {
                    "$"
                };
                for i in 0..choices.len() {
                    let matched = mine.iter().any(|r| {
                        r.stages.iter().any(|x| {
                            x.state == *st.name && x.rules.iter().any(|t| t.matched && t.index == i)
                        })
                    });
                    if matched {
                        continue;
                    }
                    let Some(want) = raw
                        .pointer(&format!("/Choices/{i}"))
                        .and_then(|r| rule_edits(r, false))
                    else {
                        continue;
                    };
                    let reached = mine.iter().any(|r| record_of(r, &st.name).is_some());
                    match first_edit(s, &mine, (&st.name, raw, root), i, &want) {
                        Ok(found) => out.push(found),
                        // Say why there is none, when the state was reached.
                        Err(why) if reached => out.push(json!({
                            "text": format!(
                                "{}: '{}' rule {} needs {}; {why}",
                                s.file,
                                st.name,
                                i + 1,
                                describe(&want, root),
                            ),
                            "suite": s.file,
                            "state": &*st.name,
                            "rule": i + 1,
                            "checked": false,
                        })),
                        Err(_) => {}
                    }
                }
            }
        }
    }
    out
}

/// The edits as a person reads them: `$.a = 1, $.b = "x"`.
/// (`root`: `$`, or `$states.input` in JSONata.)
fn describe(edits: &[(String, Value)], root: &str) -> String {
    edits
        .iter()
        .map(|(p, v)| format!("{root}{} = {v}", p.replace('/', ".")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first case whose edited input matches rule `i` of `state` (`raw`:
/// the Choice as written). When an earlier rule matches the edited input
/// first, edits that make it fail are added, one rule at a time.
fn first_edit(
    s: &Suite,
    results: &[&CaseResult],
    (state, raw, root): (&str, &Value, &str),
    i: usize,
    want: &[(String, Value)],
) -> Result<Value, String> {
    let mut why = "no case's input holds those values unchanged (a state before the Choice sets them): change what that state gives (its mock or answer)".to_string();
    'cases: for r in results {
        let Some(rec) = record_of(r, state) else {
            continue;
        };
        let Some(case) = s.cases.iter().find(|c| c.name == r.case) else {
            continue;
        };
        let Some(seen) = rec.after_input_path.as_ref().or(rec.input.as_ref()) else {
            continue;
        };
        let seen = seen.to_json();
        let mut want = want.to_vec();
        let mut again;
        loop {
            let mut input = case.input.to_json();
            let mut was = Vec::new();
            for (ptr, v) in &want {
                let before = seen.pointer(ptr).cloned();
                // The value the rule tests must stand at the same place in
                // the case's input (it came through unchanged).
                let same = match (&before, input.pointer(ptr)) {
                    (Some(b), Some(v)) => b == v,
                    (None, None) => parent_exists(&input, ptr),
                    _ => false,
                };
                if !same || !set(&mut input, ptr, v.clone()) {
                    continue 'cases;
                }
                was.push(before.map_or("absent".to_string(), |b| b.to_string()));
            }
            let edited = Case {
                input: Val::from(&input),
                ..case.clone()
            };
            again = run_case(s, &edited, true);
            let matched = again
                .stages
                .iter()
                .find(|x| x.state == state)
                .and_then(|x| x.rules.iter().find(|t| t.matched))
                .map(|t| t.index);
            if matched == Some(i) {
                return Ok(json!({
                    "text": format!(
                        "{}: '{state}' rule {} is matched by case '{}' with {} in its input (now {})",
                        s.file,
                        i + 1,
                        case.name,
                        describe(&want, root),
                        was.join(", ")
                    ),
                    "suite": s.file,
                    "case": case.name,
                    "state": state,
                    "rule": i + 1,
                    "edits": want.iter().map(|(p, v)| json!({"pointer": p, "value": v})).collect::<Vec<_>>(),
                    "checked": true,
                }));
            }
            // An earlier rule matched first: make it fail too, if that adds
            // an edit.
            let Some(j) = matched.filter(|j| *j < i) else {
                break;
            };
            let not = raw
                .pointer(&format!("/Choices/{j}"))
                .and_then(|r| rule_edits(r, true))
                .unwrap_or_default();
            let before = want.len();
            for (p, v) in not {
                if !want.iter().any(|(q, _)| *q == p) {
                    want.push((p, v));
                }
            }
            if want.len() == before {
                break;
            }
        }
        let went = again
            .stages
            .iter()
            .find(|x| x.state == state)
            .map(|x| match x.rules.iter().find(|t| t.matched) {
                Some(t) => format!("rule {} matched", t.index + 1),
                None => "no rule matched".to_string(),
            })
            .unwrap_or_else(|| "the run did not reach it".to_string());
        why = format!(
            "case '{}' edited so still went another way ({went})",
            case.name
        );
    }
    Err(why)
}

fn parent_exists(v: &Value, ptr: &str) -> bool {
    let parent = &ptr[..ptr.rfind('/').unwrap_or(0)];
    v.pointer(parent).is_some_and(|p| p.is_object())
}

/// Set the value at `ptr` (its parent must exist).
fn set(v: &mut Value, ptr: &str, to: Value) -> bool {
    let Some(cut) = ptr.rfind('/') else {
        return false;
    };
    let key = ptr[cut + 1..].replace("~1", "/").replace("~0", "~");
    match v.pointer_mut(&ptr[..cut]) {
        Some(Value::Object(o)) => {
            o.insert(key, to);
            true
        }
        Some(Value::Array(a)) => match key.parse::<usize>() {
            Ok(n) if n < a.len() => {
                a[n] = to;
                true
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_become_pointers_and_others_do_not() {
        assert_eq!(pointer_of("$.a.b[0]['c d']").as_deref(), Some("/a/b/0/c d"));
        assert_eq!(pointer_of("$").as_deref(), Some(""));
        assert_eq!(pointer_of("$.a[?(@.x)]"), None);
        assert_eq!(pointer_of("$$.Execution.Input"), None);
        assert_eq!(pointer_of("$.a.*"), None);
    }

    #[test]
    fn a_value_is_found_for_each_plain_operator() {
        assert_eq!(
            satisfying("NumericGreaterThan", &json!(5), false),
            Some(json!(6))
        );
        assert_eq!(
            satisfying("NumericLessThan", &json!(5), false),
            Some(json!(4))
        );
        assert_eq!(
            satisfying("NumericLessThan", &json!(5), true),
            Some(json!(5))
        );
        // Not greater than 5: 5 itself (6 would be greater).
        assert_eq!(
            satisfying("NumericGreaterThan", &json!(5), true),
            Some(json!(5))
        );
        assert_eq!(
            satisfying("NumericGreaterThanEquals", &json!(5), true),
            Some(json!(4))
        );
        assert_eq!(
            satisfying("NumericLessThanEquals", &json!(5), true),
            Some(json!(6))
        );
        assert_eq!(satisfying("NumericEquals", &json!(5), true), Some(json!(6)));
        assert_eq!(
            satisfying("StringEquals", &json!("x"), false),
            Some(json!("x"))
        );
        assert_eq!(satisfying("StringMatches", &json!("a*"), false), None);
        assert_eq!(satisfying("IsNull", &json!(true), false), Some(Value::Null));
        assert_eq!(satisfying("IsNull", &json!(true), true), Some(json!("x")));
    }

    #[test]
    fn compound_rules_give_every_edit_they_need() {
        let and = json!({"And": [{"Variable": "$.p", "IsPresent": true}, {"Variable": "$.p", "StringEquals": "urgent"}, {"Variable": "$.n", "NumericGreaterThan": 1}]});
        assert_eq!(
            edits(&and, false),
            Some(vec![
                ("/p".to_string(), json!("urgent")),
                ("/n".to_string(), json!(2))
            ])
        );
        let or = json!({"Or": [{"Variable": "$.a[?(@)]", "IsNull": true}, {"Variable": "$.b", "BooleanEquals": true}]});
        assert_eq!(
            edits(&or, false),
            Some(vec![("/b".to_string(), json!(true))])
        );
        let not = json!({"Not": {"Variable": "$.c", "StringEquals": "x"}});
        assert_eq!(
            edits(&not, false),
            Some(vec![("/c".to_string(), json!("x-other"))])
        );
    }

    #[test]
    fn a_comparison_with_another_path_sets_both_sides() {
        let e = |op: &str, negated| {
            edits(
                &json!({"Variable": "$.stock", op: "$.order.quantity"}),
                negated,
            )
        };
        let pair = |a: Value, b: Value| {
            Some(vec![
                ("/stock".to_string(), a),
                ("/order/quantity".to_string(), b),
            ])
        };
        assert_eq!(
            e("NumericGreaterThanEqualsPath", false),
            pair(json!(0), json!(0))
        );
        assert_eq!(e("NumericGreaterThanPath", false), pair(json!(1), json!(0)));
        assert_eq!(e("NumericGreaterThanPath", true), pair(json!(0), json!(0)));
        assert_eq!(
            e("StringEqualsPath", true),
            pair(json!("text-other"), json!("text"))
        );
        assert_eq!(
            e("TimestampLessThanPath", false),
            pair(json!("1970-01-01T00:00:00Z"), json!("2024-11-14T22:13:20Z"))
        );
        // A context path on the other side: no guess.
        let ctx = json!({"Variable": "$.a", "NumericEqualsPath": "$$.Execution.Input.a"});
        assert_eq!(edits(&ctx, false), None);
    }

    #[test]
    fn jsonata_conditions_on_the_input_give_their_edits() {
        let c = |t: &str| condition_edits(t, false);
        let e = |p: &str, v: Value| Some(vec![(p.to_string(), v)]);
        assert_eq!(
            c("{% $states.input.credit.amount >= 5000 %}"),
            e("/credit/amount", json!(5000))
        );
        assert_eq!(
            c("{% 5000 < $states.input.amount %}"),
            e("/amount", json!(5001))
        );
        assert_eq!(c("{% $states.input.n > -2.5 %}"), e("/n", json!(-1.5)));
        assert_eq!(
            c("{% $states.input.kind = 'gold' %}"),
            e("/kind", json!("gold"))
        );
        assert_eq!(
            c("{% $states.input.kind != 'gold' %}"),
            e("/kind", json!("gold-other"))
        );
        assert_eq!(c("{% $states.input.ok = true %}"), e("/ok", json!(true)));
        assert_eq!(
            c("{% $states.input.note = null %}"),
            e("/note", Value::Null)
        );
        assert_eq!(
            c("{% $states.input.tier in ['a', 'b'] %}"),
            e("/tier", json!("a"))
        );
        assert_eq!(
            c("{% $exists($states.input.coupon) %}"),
            e("/coupon", json!("present"))
        );
        assert_eq!(c("{% $states.input.vip %}"), e("/vip", json!(true)));
        assert_eq!(c("{% $not($states.input.vip) %}"), e("/vip", json!(false)));
        assert_eq!(
            c("{% $states.input.a > 1 and ($states.input.b = 'x' or $states.input.c < 0) %}"),
            Some(vec![
                ("/a".to_string(), json!(2)),
                ("/b".to_string(), json!("x"))
            ])
        );
        // Negated (an earlier rule made to fail): `and` needs one part false.
        assert_eq!(
            condition_edits("{% $states.input.a > 1 and $states.input.b = 'x' %}", true),
            e("/a", json!(1))
        );
        // What is not the input compared with a literal: no guess.
        for t in [
            "{% $charged > $threshold %}",
            "{% $count($states.input.items) > 2 %}",
            "{% $states.input.items[0].n > 2 %}",
            "{% $states.context.Execution.Name = 'x' %}",
            "$states.input.a > 1",
            "{% $states.input.a > %}",
        ] {
            assert_eq!(c(t), None, "{t}");
        }
    }
}
