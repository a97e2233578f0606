//! `asldbg lsp` driven by a real language client — neovim's built-in one,
//! headless (tests/lsp/client.lua; tests/run.sh installs neovim) — on a
//! copy of the credit-card sample and its suite; and its diagnostics
//! checked against `validate` on every invalid definition AWS recorded.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("asldbg-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn neovims_language_client_checks_navigates_completes_hovers_and_renames() {
    let dir = scratch("nvim");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/credit-card");
    for f in [
        "credit-card.asl.json",
        "credit-card.test.yaml",
        "mocks.json",
        "input.json",
    ] {
        std::fs::copy(sample.join(f), dir.join(f)).unwrap();
    }
    // A copy with a transition misspelt, as a person would.
    let good = std::fs::read_to_string(sample.join("credit-card.asl.json")).unwrap();
    let broken = good.replacen(
        "\"Next\": \"Credit limit approved\"",
        "\"Next\": \"Credit limit Aproved\"",
        1,
    );
    assert_ne!(good, broken);
    std::fs::write(dir.join("broken.asl.json"), &broken).unwrap();
    let out_file = dir.join("out.json");
    let run = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-c"])
        .arg(format!(
            "luafile {}/tests/lsp/client.lua",
            env!("CARGO_MANIFEST_DIR")
        ))
        .env("DIR", &dir)
        .env("OUT", &out_file)
        .env("ASLDBG", env!("CARGO_BIN_EXE_asldbg"))
        .output()
        .expect("run nvim (tests/run.sh installs neovim)");
    let said = std::fs::read_to_string(&out_file).unwrap_or_else(|_| {
        panic!(
            "nvim wrote nothing: {}{}",
            common::text(&run.stdout),
            common::text(&run.stderr)
        )
    });
    let got: Value = serde_json::from_str(&said).unwrap();
    assert!(got.get("error").is_none(), "{said}");
    // validate's two problems, at the misspelt name (line 70, its value's
    // column) and the state no longer reached.
    let diags = got["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 2, "{said}");
    assert_eq!(diags[0]["line"], 70);
    assert_eq!(diags[0]["col"], 16);
    assert_eq!(
        diags[0]["message"],
        "Next 'Credit limit Aproved' does not name a state in the same States block"
    );
    assert_eq!(diags[0]["severity"], 1);
    assert!(diags[1]["message"]
        .as_str()
        .unwrap()
        .contains("'Credit limit approved' is not reachable"));
    assert_eq!(
        got["actions"],
        serde_json::json!(["Change 'Credit limit Aproved' to 'Credit limit approved'"])
    );
    // Go to the Next target: "Credit applied >= 5000?" is on line 31.
    assert_eq!(got["definition"], 31, "{said}");
    // The state names of the same States block, less the state itself.
    let comp: Vec<&str> = got["completion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(comp.contains(&"Credit applied >= 5000?"), "{comp:?}");
    assert!(comp.contains(&"Get list of credit bureaus"), "{comp:?}");
    assert!(!comp.contains(&"Get credit limit"), "{comp:?}");
    assert!(
        !comp.contains(&"Verify identity"),
        "a branch's state: {comp:?}"
    );
    // Hovering `$.Payload` in ResultSelector: its value on the suite's
    // first case (AutoApproved: the mocked limit).
    let hover = got["hover"].as_str().unwrap();
    assert!(
        hover.contains("credit-card.test.yaml, case \"AutoApproved\""),
        "{hover}"
    );
    assert!(
        hover.contains("`$.Payload` was:\n```json\n2500\n```"),
        "{hover}"
    );
    // The rename: the state's key and StartAt, applied by the client.
    assert_eq!(got["renamed"], serde_json::json!([3, 5]), "{said}");
    let refused = got["refused"].as_str().unwrap_or_default();
    assert!(
        refused.contains("already has a state named 'Verify identity'"),
        "{said}"
    );
    let symbols = got["symbols"].as_array().unwrap();
    assert_eq!(symbols[0], "Fetch the limit");
    assert_eq!(symbols.len(), 10);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The shared conformance corpus (`$SHARED`, else `../shared` beside the
/// project).
fn shared() -> Option<PathBuf> {
    let p = std::env::var_os("SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    p.join("conformance/cases").is_dir().then_some(p)
}

#[test]
fn diagnostics_equal_validate_on_every_recorded_invalid_definition() {
    let Some(shared) = shared() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have the conformance corpus (SHARED)"
        );
        eprintln!("no ../shared/conformance here: the check needs it");
        return;
    };
    let dir = scratch("conformance");
    let mut checked = 0;
    let mut cases: Vec<PathBuf> = std::fs::read_dir(shared.join("conformance/cases"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    for c in cases {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&c).unwrap()).unwrap();
        if case["kind"] != "invalid_definition" {
            continue;
        }
        let text = match (&case["definition"], case["definition_text"].as_str()) {
            (Value::Null, Some(t)) => t.to_string(),
            (Value::Null, None) => continue,
            (d, _) => serde_json::to_string_pretty(d).unwrap(),
        };
        let file = dir.join("case.asl.json");
        std::fs::write(&file, &text).unwrap();
        let file = file.to_string_lossy().into_owned();
        let out = Command::new(env!("CARGO_BIN_EXE_asldbg"))
            .args(["validate", &file])
            .output()
            .unwrap();
        // validate's problems: `FILE:LINE:COLUMN: message (at POINTER)`.
        let mut want: Vec<(u32, String)> = common::text(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{file}:")))
            .filter_map(|l| {
                let (line, rest) = l.split_once(':')?;
                let (_, msg) = rest.split_once(": ")?;
                let msg = msg.rsplit_once(" (at /").map_or(msg, |m| m.0);
                let msg = msg.strip_suffix(" (at )").unwrap_or(msg);
                Some((line.parse().ok()?, msg.to_string()))
            })
            .collect();
        let a = asldbg::lsp::analysis::Analysis::new(&file, text);
        let mut got: Vec<(u32, String)> = a
            .diagnostics
            .iter()
            .map(|d| {
                let first = d.message.lines().next().unwrap_or_default().to_string();
                (d.range.start.line + 1, first)
            })
            .collect();
        want.sort();
        got.sort();
        // (A few are invalid only as EXPRESS workflows, which neither is
        // told here: both say nothing.)
        assert_eq!(got, want, "{}", c.display());
        checked += usize::from(!want.is_empty());
    }
    assert!(
        checked >= 20,
        "only {checked} invalid definitions with problems"
    );
    eprintln!("{checked} invalid definitions: the diagnostics are validate's");
    let _ = std::fs::remove_dir_all(&dir);
}
