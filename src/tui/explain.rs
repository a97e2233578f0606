//! Plain-language explanations of a state's processing, built from the real
//! expressions and values (the `y` key in the Stages pane).

use crate::asl::model::{CatchFlow, Dataflow, InputSel, Kind, ResultSel, State};
use crate::asl::value::Val;
use crate::engine::StageRecord;

fn short(v: &Val) -> String {
    v.preview(40)
}

/// Where a reference path such as `$.a.b` points, in words.
fn place(p: &str) -> String {
    let inner = p.trim_start_matches("$.").trim_start_matches('$');
    if inner.is_empty() {
        "the whole document".into()
    } else {
        format!("`{inner}`")
    }
}

/// (stage label, sentence) pairs; labels match the Stages pane, plus
/// `choice`, `retry`, `catch` and `error`.
pub fn stages(st: Option<&State>, r: &StageRecord) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some(st) = st else { return out };
    if let Some(v) = &r.input {
        out.push((
            "input",
            format!(
                "The state received {} from the previous state (or the execution input).",
                short(v)
            ),
        ));
    }
    match &st.flow {
        Dataflow::Jsonata(f) => {
            if r.after_parameters.is_some() {
                out.push(("after Arguments", "Arguments evaluated its {% %} expressions against $states.input to build what the task receives.".into()));
            }
            if r.output.is_some() {
                let how = if f.tail.output.is_some() {
                    "Output evaluated its expression (with $states.result where there is a result)"
                } else {
                    "With no Output field, the state passed on its result (or its input)"
                };
                out.push((
                    "output",
                    format!("{how}; that value goes to the next state."),
                ));
            }
        }
        Dataflow::JsonPath(f) => {
            match &f.input_path {
                InputSel::Path(p) => out.push((
                    "after InputPath",
                    format!(
                        "InputPath `{}` selected {} of the input as the effective input.",
                        p.source,
                        place(&p.source)
                    ),
                )),
                InputSel::Nothing => out.push((
                    "after InputPath",
                    "InputPath null discarded the input: the effective input is {}.".into(),
                )),
                InputSel::All => {}
            }
            if let (Some(_), Some(v)) = (&f.parameters, &r.after_parameters) {
                out.push(("after Parameters", format!("Parameters built {} from the effective input; only keys ending in .$ were evaluated.", short(v))));
            }
            if let Some(v) = &r.result {
                let what = match st.type_name.as_str() {
                    "Pass" if matches!(st.kind, Kind::Pass { result: Some(_) }) => {
                        "Result is the static value written in the definition".to_string()
                    }
                    "Pass" => "A Pass state's result is its (possibly reshaped) input".to_string(),
                    "Parallel" => {
                        "The branches' outputs, in branch order, form the result".to_string()
                    }
                    "Map" => "The iterations' outputs, in item order, form the result".to_string(),
                    _ => "The task returned this result".to_string(),
                };
                out.push(("result", format!("{what}: {}.", short(v))));
            }
            if f.result_selector.is_some() {
                let keys: Vec<String> = r
                    .after_result_selector
                    .as_ref()
                    .and_then(|v| v.as_object())
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                out.push((
                    "after ResultSelector",
                    format!(
                        "ResultSelector kept only {} of the result.",
                        keys.join(", ")
                    ),
                ));
            }
            if r.after_result_path.is_some() {
                let text = match &f.result_path {
                ResultSel::At(p) => format!("ResultPath `{}` put the result under {} in the state's original input (not the InputPath one).", p.source, place(&p.source)),
                ResultSel::Discard => "ResultPath null threw the result away: the original input goes on unchanged.".into(),
                ResultSel::Replace => "ResultPath `$` (the default) made the result the whole output: the original input is gone.".into(),
            };
                out.push(("after ResultPath", text));
            }
            if r.output.is_some() {
                let text = match &f.output_path {
                    InputSel::Path(p) => format!(
                        "OutputPath `{}` passed only {} on to the next state.",
                        p.source,
                        place(&p.source)
                    ),
                    InputSel::Nothing => "OutputPath null passed {} on to the next state.".into(),
                    InputSel::All => {
                        "With no OutputPath, everything goes on to the next state.".into()
                    }
                };
                out.push(("output", text));
            }
        }
    }
    if let Some(a) = &r.assigned {
        let names: Vec<String> = a.keys().map(|k| format!("${k}")).collect();
        out.push(("Assign", format!("Assign set {}; every expression in it saw the values from before this state, and later states see the new ones.", names.join(", "))));
    }
    if let Some(m) = r.rules.iter().find(|x| x.matched) {
        out.push(("choice", format!("Rule #{} is the first whose test is true ({}), so the execution goes to {}; later rules were not tried.", m.index + 1, m.rule, m.next)));
    } else if !r.rules.is_empty() {
        if let Some(n) = &r.next {
            out.push((
                "choice",
                format!("No rule was true, so the Default state {n} runs next."),
            ));
        }
    }
    for t in &r.retries {
        out.push((
            "retry",
            format!(
                "{} matched retrier #{} (the first whose ErrorEquals lists it): attempt {} waited {:.3} s of virtual time, then the state ran again from its original input.",
                t.error,
                t.retrier + 1,
                t.attempt,
                t.delay_ms as f64 / 1000.0
            ),
        ));
    }
    if let (Some(c), Some(n)) = (r.caught_by, &r.next) {
        let rp = st.catch.get(c).map(|x| match &x.flow {
            CatchFlow::Jsonata(t) if t.output.is_some() => {
                "its Output built the output from $states.errorOutput".into()
            }
            CatchFlow::Jsonata(_) => "the error object became the whole output".into(),
            CatchFlow::JsonPath { result_path, .. } => match result_path {
                ResultSel::At(p) => format!(
                    "its ResultPath `{}` placed the error in the original input",
                    p.source
                ),
                ResultSel::Discard => "its ResultPath null kept the original input".into(),
                ResultSel::Replace => "the error object became the whole output".into(),
            },
        });
        out.push((
            "catch",
            format!(
                "Catcher #{} matched; {}, and the execution goes to {n}.",
                c + 1,
                rp.unwrap_or_default()
            ),
        ));
    } else if let Some(e) = &r.error {
        out.push((
            "error",
            format!(
                "{} was not caught here: it ends this branch, iteration or the execution.",
                e.error
            ),
        ));
    }
    out
}
