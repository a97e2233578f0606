//! `asldbg jsonata-suite DIR`: the JSONata reference test suite
//! (`../shared/jsonata-suite`) run through our adapter ([`asldbg::asl::jsonata`]).
//!
//! Where Step Functions deliberately differs from jsonata-js, the case is
//! judged by AWS's behaviour and counted as a known difference:
//! - `??` and `?:` (groups `coalescing-operator`, `default-operator`) came
//!   after JSONata 2.0.6, the version AWS runs: they must be rejected;
//! - `$eval` (group `function-eval`) is not available on AWS: it must fail with T1006.

use super::common::*;
use asldbg::asl::jsonata::{Env, Expr, JErrorKind, Session};
use asldbg::asl::value::Val;
use asldbg::{errln, outln};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub file: String,
    pub index: usize,
    pub passed: bool,
    /// Judged by AWS's behaviour instead of jsonata-js's.
    pub aws_difference: bool,
    pub detail: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub cases: Vec<CaseOutcome>,
    /// Case files no strict JSON parser can read (lone UTF-16 surrogates).
    pub unreadable: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed).count()
    }
}

fn num_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p == q || ((p - q).abs() <= 1e-12 * p.abs().max(q.abs())),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| num_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| num_eq(v, w)))
        }
        _ => a == b,
    }
}

fn code_of(msg: &str) -> &str {
    msg.split(':').next().unwrap_or("").trim()
}

fn run_one(case: &Value, group_dir: &Path, datasets: &Path, group: &str) -> (bool, bool, String) {
    let expr_text = match (
        case.get("expr").and_then(|e| e.as_str()),
        case.get("expr-file").and_then(|e| e.as_str()),
    ) {
        (Some(e), _) => e.to_string(),
        (None, Some(f)) => std::fs::read_to_string(group_dir.join(f)).unwrap_or_default(),
        _ => return (false, false, "no expression".into()),
    };
    let data: Option<Val> = match (case.get("data"), case.get("dataset")) {
        (Some(d), _) => Some(Val::from(d)),
        (None, Some(Value::String(name))) => {
            std::fs::read_to_string(datasets.join(format!("{name}.json")))
                .ok()
                .and_then(|t| Val::parse(&t).ok())
        }
        _ => None,
    };
    let expected_code = case.get("code").and_then(|c| c.as_str()).or_else(|| {
        case.get("error")
            .and_then(|e| e.get("code"))
            .and_then(|c| c.as_str())
    });
    let aws_rejects = matches!(group, "coalescing-operator" | "default-operator");
    let aws_no_eval = group == "function-eval";
    let outcome: Result<Option<Val>, String> = match Expr::parse(&expr_text) {
        Err(m) => Err(m),
        Ok(expr) => {
            let bindings: Vec<(String, Val)> = case
                .get("bindings")
                .and_then(|b| b.as_object())
                .map(|o| o.iter().map(|(k, v)| (k.clone(), Val::from(v))).collect())
                .unwrap_or_default();
            let lookup = |n: &str| {
                bindings
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.clone())
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            let env = Env {
                states: Val::Null,
                vars: &lookup,
                now_ms: now,
            };
            // The suite's own limits where it sets them (it expects U1001 past them).
            let mut s = match (
                case.get("depth").and_then(|d| d.as_u64()),
                case.get("timelimit").and_then(|t| t.as_u64()),
            ) {
                (Some(d), Some(t)) => Session::with_limits(&env, &[&expr], 1, d as usize, t),
                _ => Session::new(&env, &[&expr], 1),
            };
            s.set_data(data.as_ref());
            s.eval_expr(&expr, "expr").map_err(|e| match e.kind {
                JErrorKind::Failed(m) => m,
                JErrorKind::Undefined => "undefined".into(),
            })
        }
    };
    if aws_rejects {
        // The expression uses ?? or ?: — AWS cannot parse it.
        let uses_new_operator = matches!(&outcome, Err(m) if m.contains("not part of JSONata 2.0.6"))
            || expr_text.contains("??")
            || expr_text.contains("?:");
        if uses_new_operator {
            return (
                outcome.is_err(),
                true,
                format!("AWS rejects ?? and ?:; got {outcome:?}"),
            );
        }
    }
    if aws_no_eval && expr_text.contains("$eval") {
        let ok = matches!(&outcome, Err(m) if code_of(m) == "T1006");
        return (
            ok,
            true,
            format!("$eval is not available on AWS; got {outcome:?}"),
        );
    }
    if let Some(code) = expected_code {
        return match &outcome {
            Err(m) if code_of(m) == code => (true, false, String::new()),
            other => (
                false,
                false,
                format!("expected error {code}, got {other:?}"),
            ),
        };
    }
    if case.get("undefinedResult") == Some(&Value::Bool(true)) {
        return match &outcome {
            Ok(None) => (true, false, String::new()),
            other => (false, false, format!("expected undefined, got {other:?}")),
        };
    }
    let want = case.get("result").cloned().unwrap_or(Value::Null);
    match &outcome {
        Ok(Some(v)) if num_eq(&v.to_json(), &want) => (true, false, String::new()),
        other => (false, false, format!("expected {want}, got {other:?}")),
    }
}

pub fn run(dir: &str) -> Result<Report, String> {
    let root = Path::new(dir);
    let groups = root.join("groups");
    let datasets = root.join("datasets");
    let mut group_dirs: Vec<_> = std::fs::read_dir(&groups)
        .map_err(|e| format!("{}: {e}", groups.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    group_dirs.sort();
    let mut report = Report::default();
    for g in group_dirs {
        let group = g
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let mut files: Vec<_> = std::fs::read_dir(&g)
            .map_err(|e| format!("{}: {e}", g.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let name = f
                .strip_prefix(root)
                .unwrap_or(&f)
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&f).map_err(|e| format!("{name}: {e}"))?;
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                report.unreadable.push(name);
                continue;
            };
            let cases = match v {
                Value::Array(a) => a,
                one => vec![one],
            };
            for (index, c) in cases.iter().enumerate() {
                let (passed, aws_difference, detail) = run_one(c, &g, &datasets, &group);
                report.cases.push(CaseOutcome {
                    file: name.clone(),
                    index,
                    passed,
                    aws_difference,
                    detail,
                });
            }
        }
    }
    Ok(report)
}

pub(crate) fn jsonata_suite(dir: &str, floor: Option<usize>, verbose: bool) -> ExitCode {
    let report = match run(dir) {
        Ok(r) => r,
        Err(e) => return fail2(e),
    };
    let total = report.cases.len() + report.unreadable.len();
    if verbose {
        for c in report.cases.iter().filter(|c| !c.passed) {
            outln!("FAIL {}#{} :: {}", c.file, c.index, c.detail);
        }
    }
    let aws = report.cases.iter().filter(|c| c.aws_difference).count();
    for u in &report.unreadable {
        outln!("skipped (not valid UTF-8 JSON: lone surrogate): {u}");
    }
    outln!("cases judged by AWS's behaviour (?? and ?: rejected, no $eval): {aws}");
    let passed = report.passed();
    outln!("jsonata suite: {passed} of {total} cases pass");
    if let Some(f) = floor {
        if passed < f {
            errln!("jsonata suite floor broken: {passed} < {f}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
