//! Hover: what a state is and does, what a path or expression is, and the
//! value it had on the last run of the nearest test suite's first case.

use super::analysis::Analysis;
use super::nav::state_under;
use crate::asl::value::Val;
use crate::engine::StageRecord;
use crate::testing::suite::{self, Suite};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A run of the definition, for the values hover shows.
pub struct LastRun {
    /// Which suite and case it is (`orders.test.yaml, case "happy path"`).
    pub label: String,
    pub status: String,
    pub stages: Vec<StageRecord>,
    /// What the reader should know (tasks left unanswered, …).
    pub note: Option<String>,
}

/// The suite beside `definition` (in its folder or up to `levels` folders
/// above it) whose `definition` names it.
pub fn find_suite(definition: &Path, levels: usize) -> Option<PathBuf> {
    let target = definition.canonicalize().ok()?;
    let mut dir = target.parent()?.to_path_buf();
    for _ in 0..=levels {
        let mut here: Vec<PathBuf> = Vec::new();
        for d in [dir.clone(), dir.join("tests"), dir.join("test")] {
            if let Ok(entries) = std::fs::read_dir(&d) {
                here.extend(
                    entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.is_file() && suite::is_suite(p)),
                );
            }
        }
        here.sort();
        for s in here {
            let Ok(doc) = crate::asl::read_document_capped(&s.to_string_lossy(), 4 << 20) else {
                continue;
            };
            let named = doc.value.get("definition").and_then(Value::as_str);
            let names_it = named.is_some_and(|n| {
                s.parent()
                    .map(|p| p.join(n))
                    .and_then(|p| p.canonicalize().ok())
                    .is_some_and(|p| p == target)
            });
            if names_it {
                return Some(s);
            }
        }
        dir = dir.parent()?.to_path_buf();
    }
    None
}

/// Run the first case of `suite_file` on `a`'s definition as written in
/// the editor (when it is valid; else as saved). Tasks a local command
/// would answer are left unanswered: the server runs no commands.
pub fn run(suite_file: &Path, a: &Analysis) -> Result<LastRun, String> {
    run_text(suite_file, &a.path, &a.text, None)
}

/// [`run`] on the definition `text` of the file `path`, stopped at
/// `deadline` (the hover then says so).
pub fn run_text(
    suite_file: &Path,
    path: &str,
    text: &str,
    deadline: Option<std::time::Instant>,
) -> Result<LastRun, String> {
    let file = suite_file.to_string_lossy().into_owned();
    let mut s = Suite::load(&file).map_err(|errs| {
        errs.first()
            .map(|e| e.to_string())
            .unwrap_or_else(|| format!("{file}: cannot be read"))
    })?;
    if let crate::asl::Loaded::Ok(o) =
        crate::asl::load_text(path, text.to_string(), &Default::default())
    {
        s.definition = Arc::new(o.definition);
    }
    let commands = s.without_commands();
    let Some(case) = s.cases.first() else {
        return Err(format!("{file}: no cases"));
    };
    let r = suite::run_case_until(&s, case, true, deadline);
    let name = suite_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(file.clone());
    Ok(LastRun {
        label: format!("{name}, case \"{}\"", case.name),
        status: r.outcome.status.clone(),
        stages: r.stages,
        note: if r.outcome.status == "RUNNING" && deadline.is_some() {
            Some("the run was stopped after its time; what it reached is shown".to_string())
        } else {
            commands.then(|| {
                "the suite answers tasks with a local command, which the language server does \
                 not run: tasks no mock answers fail"
                    .to_string()
            })
        },
    })
}

/// The hover text at `offset` (Markdown).
pub fn hover(a: &Analysis, offset: usize, run: Option<&LastRun>) -> Option<String> {
    let ix = &a.index;
    // A state's name, or a transition naming it.
    if ix.name_at(offset).is_some() || ix.ref_at(offset).is_some() {
        let s = state_under(a, offset)?;
        return Some(describe_state(a, s, run));
    }
    let (pointer, on_key) = a.places.at(offset)?;
    let s = ix.state_at(offset)?;
    let st = &ix.states[s];
    let rel = pointer.strip_prefix(st.pointer.as_str())?;
    let v = a.value.as_ref()?.pointer(pointer)?;
    let field = rel.split('/').nth(1).unwrap_or("");
    if field.is_empty() {
        return None;
    }
    let mut out = String::new();
    let what = what_is(field, rel, v, on_key, st.jsonata);
    out.push_str(&what);
    let Some(run) = run else {
        return Some(out);
    };
    let Some(r) = run.stages.iter().find(|r| r.state == st.name) else {
        out.push_str(&format!(
            "\n\n*{} did not run in the last run* ({}: {})",
            st.name, run.label, run.status
        ));
        return Some(out);
    };
    let shown = value_on_run(field, rel, v, on_key, r, run);
    out.push_str(&format!("\n\n**Last run** ({}):\n", run.label));
    out.push_str(&shown);
    if let Some(n) = &run.note {
        out.push_str(&format!("\n\n*{n}*"));
    }
    Some(out)
}

/// One line on what the text at the cursor is.
fn what_is(field: &str, rel: &str, v: &Value, on_key: bool, jsonata: bool) -> String {
    let s = v.as_str().unwrap_or("");
    let expr = if s.starts_with("{%") && s.ends_with("%}") {
        "a JSONata expression"
    } else if crate::asl::intrinsics::looks_like_call(s) {
        "an intrinsic function call"
    } else if s.starts_with("$$") {
        "a path into the context object"
    } else if s.starts_with('$') && !s.starts_with("$.") && s != "$" && !s.starts_with("$[") {
        "a variable"
    } else {
        "a reference path"
    };
    let lang = if jsonata { "JSONata" } else { "JSONPath" };
    let about = match field {
        "InputPath" => "InputPath: selects the part of the input the state works on",
        "Parameters" => "Parameters: a payload template, the task's or state's effective input",
        "Arguments" => "Arguments (JSONata): what the task is called with",
        "ResultSelector" => "ResultSelector: a payload template over the task's result",
        "ResultPath" => "ResultPath: where the result goes in the input (null: the input passes)",
        "OutputPath" => "OutputPath: selects the part of the state's output passed on",
        "Output" => "Output (JSONata): the state's output",
        "Assign" => "Assign: variables set when the state ends",
        "ItemsPath" => "ItemsPath: the array a Map iterates",
        "Items" => "Items (JSONata): the array a Map iterates",
        "ItemSelector" => "ItemSelector: each item's input",
        "Result" => "Result: a Pass state's fixed result",
        "Choices" => "a Choice rule",
        "Condition" => "Condition (JSONata): the rule matches when true",
        _ => "",
    };
    let mut out = String::new();
    if !about.is_empty() {
        out.push_str(about);
    } else {
        out.push_str(&format!("`{field}` ({lang})"));
    }
    if !on_key && v.is_string() && rel.len() > field.len() + 1
        || (!on_key && field.ends_with("Path"))
    {
        out.push_str(&format!("\n\n`{s}` is {expr}"));
    } else if on_key && rel.ends_with(".$") {
        out.push_str(&format!("\n\n`{s}` is {expr} (the key ends in `.$`)"));
    }
    out
}

/// The value the text at the cursor had on the run.
fn value_on_run(
    field: &str,
    rel: &str,
    v: &Value,
    on_key: bool,
    r: &StageRecord,
    run: &LastRun,
) -> String {
    let shown = |label: &str, x: &Option<Val>| match x {
        Some(x) => format!("{label}:\n{}", block(x)),
        None => format!("{label}: *(no value: the state stopped before this stage)*"),
    };
    let whole_field = rel.matches('/').count() == 1 || on_key && rel.matches('/').count() == 1;
    let s = v.as_str();
    // A path or expression inside a template: its value, evaluated
    // against what the template was evaluated on.
    if !whole_field {
        if let Some(expr) = s {
            let data = match field {
                "ResultSelector" => r.result.as_ref(),
                "Choices" => r.after_input_path.as_ref().or(r.input.as_ref()),
                _ => r.after_input_path.as_ref().or(r.input.as_ref()),
            };
            if let Some(data) = data {
                if let Some(text) = evaluate(expr, data, r, run) {
                    return text;
                }
            }
        }
    }
    match field {
        "InputPath" => shown("after InputPath", &r.after_input_path),
        "Parameters" | "Arguments" => shown("the effective input", &r.after_parameters),
        "ItemsPath" | "Items" => shown("the items", &r.items),
        "ResultSelector" => shown("after ResultSelector", &r.after_result_selector),
        "Result" => shown("the result", &r.result),
        "ResultPath" => format!(
            "{}\n\n{}",
            shown(
                "before (the input)",
                &r.after_input_path.clone().or(r.input.clone())
            ),
            shown("after ResultPath", &r.after_result_path)
        ),
        "OutputPath" | "Output" => shown("the output", &r.output),
        "Assign" => match &r.assigned {
            Some(m) => format!("assigned:\n{}", block(&Val::obj(m.clone()))),
            None => "assigned: *(nothing: the state did not end)*".into(),
        },
        _ => format!(
            "{}\n\n{}",
            shown("input", &r.input),
            shown("output", &r.output)
        ),
    }
}

/// A string of a template evaluated as the engine would, for hover.
fn evaluate(expr: &str, data: &Val, r: &StageRecord, run: &LastRun) -> Option<String> {
    let vars = variables_before(r, run);
    let lookup = |n: &str| vars.get(n).cloned();
    if let Some(inner) = expr.strip_prefix("{%").and_then(|e| e.strip_suffix("%}")) {
        let e = crate::asl::jsonata::Expr::parse(inner.trim()).ok()?;
        let mut states = vec![("input", r.input.clone().unwrap_or_default())];
        if let Some(x) = &r.result {
            states.push(("result", x.clone()));
        }
        let env = crate::asl::jsonata::Env {
            states: Val::object(states),
            vars: &lookup,
            // The run's clock: the suite's runs start at the default time.
            now_ms: crate::engine::DEFAULT_START_MS,
        };
        let mut s = crate::asl::jsonata::Session::new(&env, &[&e], 0);
        s.set_data(r.input.as_ref());
        return Some(match s.eval_expr(&e, "hover") {
            Ok(Some(v)) => format!("`{}` was:\n{}", expr.trim(), block(&v)),
            Ok(None) => format!("`{}` was undefined", expr.trim()),
            Err(e) => format!("`{}` failed: {}", expr.trim(), e.describe()),
        });
    }
    if !(expr.starts_with('$') || crate::asl::intrinsics::looks_like_call(expr)) {
        return None;
    }
    let t = crate::asl::template::compile_expr(expr).ok()?;
    let ctx = || Val::Null;
    let scope = crate::asl::jsonpath::Scope {
        data,
        context: &ctx,
        vars: &lookup,
    };
    let mut rng = crate::engine::Rng::seeded(0);
    Some(match t.eval(&scope, &mut rng) {
        Ok(v) => format!("`{expr}` was:\n{}", block(&v)),
        Err(crate::asl::template::TemplateError::PathMissing { .. }) if expr.starts_with("$$") => {
            format!("`{expr}`: the context object is not kept from the run")
        }
        Err(e) => format!("`{expr}` failed: {e:?}"),
    })
}

/// The variables the main flow had assigned before `r`'s state.
fn variables_before(r: &StageRecord, run: &LastRun) -> std::collections::HashMap<String, Val> {
    let mut out = std::collections::HashMap::new();
    for s in &run.stages {
        if std::ptr::eq(s, r) {
            break;
        }
        for (k, v) in s.assigned.iter().flatten() {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// A value as a fenced JSON block, cut to what a hover can show.
fn block(v: &Val) -> String {
    const MAX: usize = 1500;
    let j = serde_json::to_string_pretty(&v.to_json()).unwrap_or_default();
    let cut = if j.len() > MAX {
        let mut end = MAX;
        while !j.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}\n… ({} bytes in all)", &j[..end], j.len())
    } else {
        j
    };
    format!("```json\n{cut}\n```")
}

/// A state in a few lines: type, resource, retries, catchers, transitions.
fn describe_state(a: &Analysis, s: usize, run: Option<&LastRun>) -> String {
    let st = &a.index.states[s];
    let v = a
        .value
        .as_ref()
        .and_then(|v| v.pointer(&st.pointer))
        .cloned()
        .unwrap_or(Value::Null);
    let lang = if st.jsonata { "JSONata" } else { "JSONPath" };
    let mut lines = vec![format!(
        "**{}** — {} ({lang})",
        st.name,
        st.ty.as_deref().unwrap_or("no Type")
    )];
    if let Some(r) = v.get("Resource").and_then(Value::as_str) {
        lines.push(format!("Resource: `{r}`"));
    }
    let errs = |o: &Value| {
        o.get("ErrorEquals")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    for r in v
        .get("Retry")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let n = |k: &str| r.get(k).map(|x| x.to_string());
        lines.push(format!(
            "Retry [{}]: {} attempts, {} s apart, ×{}",
            errs(r),
            n("MaxAttempts").unwrap_or("3".into()),
            n("IntervalSeconds").unwrap_or("1".into()),
            n("BackoffRate").unwrap_or("2".into()),
        ));
    }
    for c in v
        .get("Catch")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        lines.push(format!(
            "Catch [{}] → {}",
            errs(c),
            c.get("Next").and_then(Value::as_str).unwrap_or("?")
        ));
    }
    let mut next: Vec<String> = Vec::new();
    for c in v
        .get("Choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(n) = c.get("Next").and_then(Value::as_str) {
            next.push(format!("rule → {n}"));
        }
    }
    if let Some(d) = v.get("Default").and_then(Value::as_str) {
        next.push(format!("Default → {d}"));
    }
    if let Some(n) = v.get("Next").and_then(Value::as_str) {
        next.push(format!("Next → {n}"));
    }
    if v.get("End").and_then(Value::as_bool) == Some(true) {
        next.push("End".into());
    }
    if !next.is_empty() {
        lines.push(next.join(" · "));
    }
    let into: Vec<&str> = a
        .index
        .refs
        .iter()
        .filter(|r| r.scope == st.scope && r.target == st.name)
        .map(|r| {
            r.from
                .map_or("StartAt", |f| a.index.states[f].name.as_str())
        })
        .collect();
    if !into.is_empty() {
        lines.push(format!("Entered from: {}", into.join(", ")));
    }
    let mut out = lines.join("  \n");
    if let Some(n) = run.and_then(|r| r.note.as_ref()) {
        out.push_str(&format!("\n\n*{n}*"));
    }
    if let Some(run) = run {
        match run.stages.iter().find(|r| r.state == st.name) {
            Some(r) => {
                out.push_str(&format!("\n\n**Last run** ({}):\n", run.label));
                out.push_str(&format!(
                    "input:\n{}\noutput:\n{}",
                    r.input.as_ref().map_or("*(none)*".into(), block),
                    r.output
                        .as_ref()
                        .map_or("*(none: it did not end)*".into(), block),
                ));
                if let Some(e) = &r.error {
                    out.push_str(&format!(
                        "\nerror: `{}`",
                        e.name().unwrap_or("(no error name)")
                    ));
                }
            }
            None if run.status == "RUNNING" => out.push_str(&format!(
                "\n\n*Not reached before the last run was stopped* ({})",
                run.label
            )),
            None => out.push_str(&format!(
                "\n\n*Not reached in the last run* ({}: {})",
                run.label, run.status
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEF: &str = r#"{
  "StartAt": "Charge",
  "States": {
    "Charge": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"amount.$": "$.order.total", "id.$": "States.Format('o-{}', $.order.id)"},
      "ResultPath": "$.charge",
      "Next": "Done"
    },
    "Done": {"Type": "Succeed"}
  }
}"#;

    fn folder(name: &str, suite: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("asldbg-hover-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("tests")).unwrap();
        std::fs::write(d.join("orders.asl.json"), DEF).unwrap();
        std::fs::write(d.join("tests/orders.test.yaml"), suite).unwrap();
        d
    }

    fn hover_at(a: &Analysis, needle: &str, run: &LastRun) -> String {
        let off = a.text.find(needle).unwrap() + 2;
        hover(a, off, Some(run)).unwrap()
    }

    #[test]
    fn values_come_from_the_suites_first_case() {
        let suite = "definition: ../orders.asl.json\ncases:\n  - name: big order\n    input: {order: {total: 42, id: 7}}\n    answers:\n      Charge: {Return: {ok: true}}\n    expect: {status: SUCCEEDED}\n";
        let d = folder("values", suite);
        let def = d.join("orders.asl.json");
        let found = find_suite(&def, 0).unwrap();
        assert!(found.ends_with("tests/orders.test.yaml"));
        let a = Analysis::new(&def.to_string_lossy(), DEF.to_string());
        let run = run(&found, &a).unwrap();
        assert_eq!(run.status, "SUCCEEDED");
        let h = hover_at(&a, "$.order.total", &run);
        assert!(h.contains("orders.test.yaml, case \"big order\""), "{h}");
        assert!(h.contains("was:\n```json\n42\n```"), "{h}");
        let h = hover_at(&a, "States.Format", &run);
        assert!(
            h.contains("an intrinsic function call") && h.contains("\"o-7\""),
            "{h}"
        );
        let h = hover_at(&a, "\"$.charge\"", &run);
        assert!(
            h.contains("before (the input)") && h.contains("after ResultPath"),
            "{h}"
        );
        assert!(h.contains("\"charge\": {\n    \"ok\": true"), "{h}");
        // A state's name: its summary and what it did.
        let h = hover_at(&a, "\"Charge\": {", &run);
        assert!(h.starts_with("**Charge** — Task (JSONPath)"), "{h}");
        assert!(
            h.contains("Next → Done") && h.contains("Entered from: StartAt"),
            "{h}"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_suites_command_is_never_run() {
        let d = std::env::temp_dir().join(format!("asldbg-hover-ran-{}", std::process::id()));
        let marker = d.join("ran");
        let suite = format!(
            "definition: ../orders.asl.json\ntask-command: touch {}\ncases:\n  - name: one\n    input: {{order: {{total: 1, id: 1}}}}\n    expect: {{status: SUCCEEDED}}\n",
            marker.display()
        );
        let d = folder("command", &suite);
        let def = d.join("orders.asl.json");
        let a = Analysis::new(&def.to_string_lossy(), DEF.to_string());
        let run = run(&find_suite(&def, 0).unwrap(), &a).unwrap();
        assert!(!marker.exists(), "the command ran");
        assert_eq!(run.status, "FAILED");
        assert!(run.note.as_deref().unwrap().contains("does not run"));
        // What ran before the task still has its values.
        let h = hover_at(&a, "$.order.total", &run);
        assert!(h.contains("was:\n```json\n1\n```"), "{h}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
