//! The validation rules, each checked both ways: `tests/rules/rules.json`
//! lists every constraint `validate` enforces, with its source in AWS's
//! specification, and definitions AWS accepts and rejects. A definition AWS
//! accepts must load; one it rejects must be refused, with a position.

use asldbg::asl::{load_text, Loaded, OpenOptions};
use serde_json::Value;

fn rules() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/rules/rules.json"
    ))
    .expect("tests/rules/rules.json");
    let doc: Value = serde_json::from_str(&text).expect("rules.json is JSON");
    doc["rules"].as_array().expect("a rules array").clone()
}

#[test]
fn every_rule_accepts_what_aws_accepts_and_rejects_what_it_rejects() {
    let rules = rules();
    assert!(rules.len() >= 80, "{} rules", rules.len());
    let mut wrong = Vec::new();
    for rule in &rules {
        let name = rule["rule"].as_str().expect("a rule's text");
        assert!(
            rule["source"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: no source"
        );
        let cases = rule["cases"].as_array().expect("cases");
        assert!(!cases.is_empty(), "{name}: no case");
        for (i, case) in cases.iter().enumerate() {
            let valid = case["valid"].as_bool().expect("valid: true or false");
            let opts = OpenOptions {
                express: case["type"] == "express",
                check_only: true,
                ..OpenOptions::default()
            };
            let text = serde_json::to_string_pretty(&case["definition"]).unwrap();
            match (valid, load_text("rule.asl.json", text, &opts)) {
                (true, Loaded::Ok(_)) => {}
                (false, Loaded::Invalid(errs)) => {
                    // Said where: each problem names the file's line:column.
                    for e in errs {
                        let said = e.to_string();
                        assert!(
                            said.starts_with("rule.asl.json:"),
                            "{name} case {i}: {said}"
                        );
                    }
                }
                (true, Loaded::Invalid(errs)) => wrong.push(format!(
                    "{name} (case {i}): refused a definition AWS accepts: {}",
                    errs.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                (false, Loaded::Ok(_)) => wrong.push(format!(
                    "{name} (case {i}): accepted a definition AWS rejects: {}",
                    case["definition"]
                )),
                (_, Loaded::Unreadable(e)) => wrong.push(format!("{name} (case {i}): {e}")),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
