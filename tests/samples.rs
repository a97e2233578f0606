//! Every sample and every test case runs headless and takes its intended
//! path to its intended result (the `*.test.yaml` suite beside each sample,
//! run by `asldbg test samples`); every sample validates and has a lesson
//! that says what to watch for.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn asldbg(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_asldbg"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run asldbg")
}

/// `asldbg test` on `path`, its JSON report.
fn suite_report(path: &str) -> Value {
    let o = asldbg(&["test", path, "--format", "json"]);
    let report: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&o.stderr)));
    assert_eq!(o.status.code(), Some(0), "{path}: {report:#}");
    report
}

#[test]
fn every_sample_and_test_case_takes_its_intended_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let lesson = std::fs::read_to_string(dir.join("lesson.md"))
            .unwrap_or_else(|_| panic!("{name}: lesson.md"));
        assert!(
            lesson.contains("Watch for"),
            "{name}: the lesson names what to observe"
        );
        // Each definition validates and has its suite.
        for f in std::fs::read_dir(dir).unwrap() {
            let f = f.unwrap().path();
            let file = f.to_string_lossy().to_string();
            if let Some(stem) = file.strip_suffix(".asl.json") {
                let v = asldbg(&["validate", &file]);
                assert_eq!(v.status.code(), Some(0), "{file}");
                assert!(
                    Path::new(&format!("{stem}.test.yaml")).is_file(),
                    "{file} has a suite"
                );
            }
        }
    }
    let report = suite_report("samples");
    assert_eq!(report["failed"], 0, "{report:#}");
    let cases = report["cases"].as_array().unwrap();
    assert!(
        cases.len() >= 25,
        "every sample ran ({} cases)",
        cases.len()
    );
    // Every case states its status, path and output.
    for d in &dirs {
        for f in std::fs::read_dir(d).unwrap() {
            let f = f.unwrap().path();
            if f.to_string_lossy().ends_with(".test.yaml") {
                let text = std::fs::read_to_string(&f).unwrap();
                let n = text.matches("  - name: ").count();
                for field in ["status: ", "path:", "output: "] {
                    assert_eq!(text.matches(field).count(), n, "{}: {field}", f.display());
                }
            }
        }
    }
}

#[test]
fn the_jsonata_credit_card_matches_the_jsonpath_one() {
    let report = suite_report("samples/credit-card");
    let cases = report["cases"].as_array().unwrap();
    let of = |suite: &str, case: &str| {
        cases
            .iter()
            .find(|c| c["suite"].as_str().unwrap().ends_with(suite) && c["case"] == case)
            .unwrap_or_else(|| panic!("{suite} :: {case}"))
            .clone()
    };
    for case in [
        "AutoApproved",
        "HumanApprovalGranted",
        "HumanApprovalRejected",
        "IdentityCheckFails",
        "ThrottledThenSucceeds",
    ] {
        let (a, b) = (
            of("credit-card.test.yaml", case),
            of("credit-card.jsonata.test.yaml", case),
        );
        for k in ["status", "error", "path", "output"] {
            assert_eq!(a[k], b[k], "{case}: {k}");
        }
    }
    // The intended path of each test case, spelled out.
    let path = |c: &str| {
        of("credit-card.test.yaml", c)["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(path("AutoApproved").contains(&"Auto-approve limit".to_string()));
    assert!(path("HumanApprovalGranted").contains(&"Credit limit approved".to_string()));
    assert_eq!(
        path("HumanApprovalRejected").last().unwrap(),
        "Credit limit rejected"
    );
    assert_eq!(
        path("IdentityCheckFails").last().unwrap(),
        "Application rejected"
    );
    assert_eq!(
        of("credit-card.test.yaml", "IdentityCheckFails")["error"],
        "ApplicationRejected"
    );
    assert_eq!(
        of("credit-card.test.yaml", "ThrottledThenSucceeds")["status"],
        "SUCCEEDED"
    );
}

#[test]
fn samples_are_listed_and_open_by_name() {
    let o = asldbg(&["samples"]);
    let text = String::from_utf8_lossy(&o.stdout);
    for dir in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")).unwrap() {
        let name = dir.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            text.contains(&name),
            "`asldbg samples` lists {name}: {text}"
        );
    }
    let o = asldbg(&["--sample", "no-such-sample"]);
    assert_eq!(o.status.code(), Some(2));
}
