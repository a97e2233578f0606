//! `asldbg mocks check`: a mock file read against the machine it mocks.
//! What Step Functions Local passes over in silence is said, each at its
//! JSON pointer: a test case naming a state the machine has no Task (or
//! ItemReader Map) by, with the closest name; a machine mocked under a
//! name the definition does not have; invocation keys that leave gaps or
//! overlap.

use crate::asl::model::{Definition, Kind};
use serde_json::Value;

/// One finding: where in the mock file (a JSON pointer) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub pointer: String,
    pub message: String,
}

/// The states a mock may answer: every Task, and every Map with an
/// ItemReader (its reader's calls), in branches and processors too.
pub fn mockable_states(def: &Definition) -> Vec<String> {
    let mut out: Vec<String> = def
        .machines
        .iter()
        .flat_map(|m| &m.states)
        .filter(|s| match &s.kind {
            Kind::Task(_) => true,
            Kind::Map(m) => m.item_reader.is_some(),
            _ => false,
        })
        .map(|s| s.name.to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The name of `names` closest to `wrong`, when one is close enough to be
/// what was meant.
pub fn did_you_mean<'a>(wrong: &str, names: &'a [String]) -> Option<&'a str> {
    let lower = wrong.to_lowercase();
    names
        .iter()
        .map(|n| (strsim::jaro_winkler(&lower, &n.to_lowercase()), n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.as_str())
}

fn token(s: &str) -> String {
    crate::asl::json::pointer_token(s).into_owned()
}

/// Everything wrong with `mocks` for `def`, whose names (deployed, in the
/// template, `--name`) are `names` (empty: not known, not checked).
pub fn check(mocks: &Value, def: &Definition, names: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    let states = mockable_states(def);
    let Some(machines) = mocks.get("StateMachines").and_then(|m| m.as_object()) else {
        return vec![Finding {
            pointer: "/StateMachines".into(),
            message: "a mock file needs a StateMachines object".into(),
        }];
    };
    if names.is_empty() && machines.len() > 1 {
        out.push(Finding {
            pointer: "/StateMachines".into(),
            message: format!(
                "the file mocks {} machines and this one has no name to pick by: pass --name",
                machines.len()
            ),
        });
    }
    if !names.is_empty() && machines.len() > 1 {
        for k in machines.keys().filter(|k| !names.contains(k)) {
            out.push(Finding {
                pointer: format!("/StateMachines/{}", token(k)),
                message: format!(
                    "the machine '{k}' is not this one (it is named {}): its test cases are not \
                     used",
                    names
                        .iter()
                        .map(|n| format!("'{n}'"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            });
        }
    } else if let (Some(k), false) = (machines.keys().next(), names.is_empty()) {
        if !names.contains(k) {
            out.push(Finding {
                pointer: format!("/StateMachines/{}", token(k)),
                message: format!(
                    "the machine is mocked as '{k}' but named '{}': the file's only machine \
                     answers all the same; name it so to keep it working when another is added",
                    names[0]
                ),
            });
        }
    }
    let responses = mocks.get("MockedResponses").and_then(|r| r.as_object());
    for (m, sm) in machines {
        let Some(cases) = sm.get("TestCases").and_then(|c| c.as_object()) else {
            continue;
        };
        for (case, entries) in cases {
            let Some(entries) = entries.as_object() else {
                continue;
            };
            for (state, response) in entries {
                let pointer = format!(
                    "/StateMachines/{}/TestCases/{}/{}",
                    token(m),
                    token(case),
                    token(state)
                );
                if !states.contains(state) {
                    let hint = match did_you_mean(state, &states) {
                        Some(n) => format!(" (did you mean '{n}'?)"),
                        None if states.is_empty() => " (it has none)".to_string(),
                        None => format!(" (it has: {})", states.join(", ")),
                    };
                    out.push(Finding {
                        pointer: pointer.clone(),
                        message: format!(
                            "test case '{case}' mocks '{state}', which is not a Task state of \
                             the machine{hint}: the mock is never used"
                        ),
                    });
                }
                if let Some(r) = response.as_str() {
                    match responses.and_then(|rs| rs.get(r)) {
                        None => out.push(Finding {
                            pointer,
                            message: format!("no MockedResponses entry '{r}'"),
                        }),
                        Some(answers) => {
                            for f in shaped(def, state, r, answers) {
                                if !out.contains(&f) {
                                    out.push(f);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    for (name, r) in responses.into_iter().flatten() {
        let Some(r) = r.as_object() else { continue };
        out.extend(ranges(name, r));
    }
    out
}

/// The answers of response `name` that do not fit the output shape of the
/// operation `state` calls (TestState's STRICT check: AWS refuses such a
/// mock; a local run takes it, and the machine then reads what AWS never
/// answers).
fn shaped(def: &Definition, state: &str, name: &str, answers: &Value) -> Vec<Finding> {
    let Some((m, s)) = def.find(state) else {
        return Vec::new();
    };
    let Kind::Task(t) = &def.machine(m).states[s].kind else {
        return Vec::new();
    };
    let Some(shape) = super::shapes::output_of(&t.resource) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, answer) in answers.as_object().into_iter().flatten() {
        let Some(ret) = answer.get("Return") else {
            continue;
        };
        if let Some(bad) = shape.check(ret, super::shapes::Mode::Strict) {
            out.push(Finding {
                pointer: format!(
                    "/MockedResponses/{}/{}/Return{}",
                    token(name),
                    token(k),
                    bad.pointer
                ),
                message: format!(
                    "'{state}' calls {}, whose answer this is not: {} (TestState refuses \
                     such a mock)",
                    shape.api, bad.message
                ),
            });
        }
    }
    out
}

/// Invocation keys of one response that overlap or leave a gap (calls
/// no key answers take the last answer, which is seldom what was meant).
fn ranges(name: &str, r: &serde_json::Map<String, Value>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut keyed: Vec<(u64, u64, &str)> = Vec::new();
    for (k, answer) in r {
        let pointer = format!("/MockedResponses/{}/{}", token(name), token(k));
        let (a, b) = k.split_once('-').unwrap_or((k, k));
        match (a.trim().parse::<u64>(), b.trim().parse::<u64>()) {
            (Ok(a), Ok(b)) if a <= b => keyed.push((a, b, k.as_str())),
            _ => out.push(Finding {
                pointer: pointer.clone(),
                message: format!(
                    "'{k}' is not an invocation number or a range like \"1-3\" (a run refuses it)"
                ),
            }),
        }
        let has = |f: &str| answer.get(f).is_some();
        if has("Return") == has("Throw") {
            out.push(Finding {
                pointer,
                message: "each answer needs exactly one of Return or Throw (a run refuses it)"
                    .into(),
            });
        }
    }
    keyed.sort();
    let mut next = 0u64;
    for (i, (from, to, k)) in keyed.iter().enumerate() {
        let pointer = format!("/MockedResponses/{}/{}", token(name), token(k));
        if *from > next {
            let missing = if *from == next + 1 {
                format!("{next}")
            } else {
                format!("{next}-{}", from - 1)
            };
            out.push(Finding {
                pointer,
                message: format!(
                    "calls {missing} of '{name}' have no answer (the keys leave a gap before \
                     '{k}')"
                ),
            });
        } else if i > 0 && *from < next {
            out.push(Finding {
                pointer,
                message: format!(
                    "'{k}' overlaps '{}' in '{name}': a call would have two answers",
                    keyed[i - 1].2
                ),
            });
        }
        next = next.max(to.saturating_add(1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> Definition {
        let v = json!({"StartAt": "Charge card", "States": {
            "Charge card": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "P"},
            "P": {"Type": "Parallel", "Branches": [{"StartAt": "Notify", "States": {
                "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": true}}}], "End": true}}});
        Definition::build(&crate::asl::doc::Doc::from_value(&v)).unwrap()
    }

    #[test]
    fn a_misspelled_state_an_unknown_machine_and_bad_ranges_are_found() {
        let mocks = json!({
            "StateMachines": {
                "orders": {"TestCases": {"Happy": {"Charge crad": "Ok", "Notify": "Twice"}}},
                "other": {"TestCases": {}}
            },
            "MockedResponses": {
                "Ok": {"0": {"Return": {}}},
                "Twice": {"0-1": {"Return": {}}, "1": {"Return": {}}, "4": {"Return": {}}}
            }
        });
        let found = check(&mocks, &def(), &["orders".to_string()]);
        let said: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.pointer.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (
                    "/StateMachines/other",
                    "the machine 'other' is not this one (it is named 'orders'): its test cases are not used"
                ),
                (
                    "/StateMachines/orders/TestCases/Happy/Charge crad",
                    "test case 'Happy' mocks 'Charge crad', which is not a Task state of the machine (did you mean 'Charge card'?): the mock is never used"
                ),
                (
                    "/MockedResponses/Twice/1",
                    "'1' overlaps '0-1' in 'Twice': a call would have two answers"
                ),
                (
                    "/MockedResponses/Twice/4",
                    "calls 2-3 of 'Twice' have no answer (the keys leave a gap before '4')"
                ),
            ]
        );
        // A file that is right says nothing.
        let good = json!({"StateMachines": {"orders": {"TestCases": {"Happy": {"Notify": "Ok"}}}},
            "MockedResponses": {"Ok": {"0": {"Return": {}}, "1-2": {"Return": {}}}}});
        assert_eq!(check(&good, &def(), &["orders".to_string()]), []);
    }

    #[test]
    fn an_answer_unlike_what_the_service_answers_is_found_at_its_field() {
        let mocks = json!({
            "StateMachines": {"orders": {"TestCases": {"Happy": {
                "Charge card": "Charged", "Notify": "Sent"}}}},
            "MockedResponses": {
                "Charged": {"0": {"Return": {"StatusCode": 200, "Payload": {"ok": true}}},
                            "1": {"Return": {"StatusCode": "200"}}},
                "Sent": {"0": {"Return": {"MessageId": ["m-1"], "Extra": "fields pass"}}}
            }
        });
        let said: Vec<(String, String)> = check(&mocks, &def(), &["orders".to_string()])
            .into_iter()
            .map(|f| (f.pointer, f.message))
            .collect();
        assert_eq!(
            said,
            [
                (
                    "/MockedResponses/Charged/1/Return/StatusCode".to_string(),
                    "'Charge card' calls lambda Invoke, whose answer this is not: Field \
                     'StatusCode' must be a number (TestState refuses such a mock)"
                        .to_string()
                ),
                (
                    "/MockedResponses/Sent/0/Return/MessageId".to_string(),
                    "'Notify' calls sns Publish, whose answer this is not: Field 'MessageId' \
                     must be a string (TestState refuses such a mock)"
                        .to_string()
                ),
            ]
        );
    }
}
