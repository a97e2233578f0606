//! Every sample and every test case runs headless and takes its intended
//! path to its intended result (`expect.json` beside each sample); every
//! sample validates and has a lesson that says what to watch for.

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

#[test]
fn every_sample_and_test_case_takes_its_intended_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut runs = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let expect: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expect.json"))
                .unwrap_or_else(|_| panic!("{name}: expect.json")),
        )
        .unwrap();
        let lesson = std::fs::read_to_string(dir.join("lesson.md"))
            .unwrap_or_else(|_| panic!("{name}: lesson.md"));
        assert!(
            lesson.contains("Watch for"),
            "{name}: the lesson names what to observe"
        );
        for (def, cases) in expect.as_object().unwrap() {
            let def_path = dir.join(def);
            let def_path = def_path.to_str().unwrap();
            assert!(def.ends_with(".asl.json"), "{name}: {def}");
            let v = asldbg(&["validate", def_path]);
            assert_eq!(
                v.status.code(),
                Some(0),
                "{name}: {}",
                String::from_utf8_lossy(&v.stdout)
            );
            for (case, want) in cases.as_object().unwrap() {
                let input = dir.join("input.json");
                let mocks = dir.join("mocks.json");
                let s3 = dir.join("data");
                let mut args = vec![
                    "run",
                    def_path,
                    "--input",
                    input.to_str().unwrap(),
                    "--format",
                    "json",
                    "--events",
                ];
                match case.as_str() {
                    "default" => {}
                    "s3-dir" => args.extend(["--s3-dir", s3.to_str().unwrap()]),
                    c => args.extend(["--mocks", mocks.to_str().unwrap(), "--test-case", c]),
                }
                let o = asldbg(&args);
                let got: Value = serde_json::from_slice(&o.stdout)
                    .unwrap_or_else(|e| panic!("{name}/{case}: {e}"));
                let path: Vec<Value> = got["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["type"].as_str().unwrap().ends_with("StateEntered"))
                    .map(|e| e["stateEnteredEventDetails"]["name"].clone())
                    .collect();
                assert_eq!(got["status"], want["status"], "{name}/{def}/{case}");
                assert_eq!(got["error"], want["error"], "{name}/{def}/{case}");
                assert_eq!(
                    Value::Array(path),
                    want["path"],
                    "{name}/{def}/{case}: path"
                );
                assert_eq!(got["output"], want["output"], "{name}/{def}/{case}: output");
                runs += 1;
            }
        }
    }
    assert!(runs >= 25, "every sample ran ({runs} runs)");
}

#[test]
fn the_jsonata_credit_card_matches_the_jsonpath_one() {
    let e: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/credit-card/expect.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let (a, b) = (
        &e["credit-card.asl.json"],
        &e["credit-card.jsonata.asl.json"],
    );
    for case in [
        "AutoApproved",
        "HumanApprovalGranted",
        "HumanApprovalRejected",
        "IdentityCheckFails",
        "ThrottledThenSucceeds",
    ] {
        assert_eq!(a[case], b[case], "{case}");
    }
    // The intended path of each test case, spelled out.
    let path = |c: &str| {
        a[c]["path"]
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
    assert_eq!(a["IdentityCheckFails"]["error"], "ApplicationRejected");
    assert_eq!(a["ThrottledThenSucceeds"]["status"], "SUCCEEDED");
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
