//! Fuzzing on stable Rust: generated and mutated input for every parser and
//! loader that reads what a user (or a stranger's definition) hands asldbg.
//! Each target must answer with a value or an error: never a panic, a hang
//! or a runaway allocation.
//!
//! CI runs a bounded number of cases per target; run longer by hand with
//! `ASLDBG_FUZZ_CASES=100000 cargo test --release --test fuzz`
//! (a failure prints the shrunk input that caused it).

use asldbg::asl::intrinsics::{Intrinsic, Random};
use asldbg::asl::jsonata::{Env, Expr, Session};
use asldbg::asl::jsonpath::{Path, Scope};
use asldbg::asl::value::Val;
use asldbg::asl::{load_text, open, parse_document, Definition, Loaded, OpenOptions};
use asldbg::engine::task::{MockRunner, NoRunner};
use asldbg::engine::{Execution, Options};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::Arc;

fn cases() -> u32 {
    std::env::var("ASLDBG_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text made of `pieces` (tokens of the language under test, and a few that
/// are not), so that most inputs get past the first character.
fn text_of(pieces: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces), 0..max).prop_map(|v| v.concat())
}

/// Characters that break a parser's assumptions: quotes, brackets,
/// backslashes, multi-byte and control characters, operators.
const ODD: &[char] = &[
    '\'', '"', '\\', '[', ']', '(', ')', '{', '}', ',', '.', '$', '@', '?', ':', '*', '!', '=',
    '<', '>', '&', '|', '%', ' ', '-', '0', '9', 'a', 'é', '€', '😀', '\u{0}', '\n', '\u{1b}',
    '\u{9b}',
];

/// A valid `seed` with up to four edits: a character inserted, deleted or
/// replaced at a random place. Near-valid text reaches deep into a parser.
fn mutated(seeds: &'static [&'static str]) -> impl Strategy<Value = String> {
    (
        prop::sample::select(seeds),
        prop::collection::vec((0u8..3, any::<usize>(), prop::sample::select(ODD)), 0..5),
    )
        .prop_map(|(seed, edits)| {
            let mut chars: Vec<char> = seed.chars().collect();
            for (kind, at, c) in edits {
                let i = at % (chars.len() + 1);
                match kind {
                    0 => chars.insert(i, c),
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ if i < chars.len() => chars[i] = c,
                    _ => chars.push(c),
                }
            }
            chars.into_iter().collect()
        })
}

const JSONPATH_SEEDS: &[&str] = &[
    "$",
    "$.a.b[0]",
    "$['a','s']",
    "$[\"a\"]['b'][2].c",
    "$.items[?(@.price > 10)].name",
    "$.items[?(@.price > 10 && @.name == 'b' || !@.other)]",
    "$..a",
    "$..[0]",
    "$.items[*]",
    "$.items[0:2]",
    "$.items[-1:]",
    "$.items[0,2]",
    "$.items.length()",
    "$$.Execution.Input",
    "$var.a",
    "$.items[?(@.name in ['a','b'])]",
    "$.items[?(@.name nin ['a'])]",
    "$.s[?(@ contains 'x')]",
    "$.a['b'][?(@.c)]",
    "$.deep..a[?(@ == 2)]",
];

const INTRINSIC_SEEDS: &[&str] = &[
    "States.Format('{} and {}', $.s, $.n)",
    "States.StringToJson('{\"a\": [1]}')",
    "States.JsonToString($.a)",
    "States.Array(1, 'two', $.a, States.Array())",
    "States.ArrayPartition($.items, 2)",
    "States.ArrayContains($.items, 1)",
    "States.ArrayRange(1, 9, 2)",
    "States.ArrayGetItem($.items, 1)",
    "States.ArrayLength($.items)",
    "States.ArrayUnique(States.Array(1, 1, 2))",
    "States.Base64Encode('hé')",
    "States.Base64Decode('aGk=')",
    "States.Hash($.s, 'SHA-256')",
    "States.JsonMerge($.a, $.deep, false)",
    "States.MathRandom(1, 99)",
    "States.MathAdd($.n, 2)",
    "States.StringSplit('a,b;c', ',;')",
    "States.UUID()",
    "States.Format('\\{\\}', 'x')",
];

const JSONATA_SEEDS: &[&str] = &[
    "$states.input.items[price > 10].name",
    "$sum($states.input.items.price)",
    "$count($distinct($states.input.items.name))",
    "$keys($states.input)",
    "$map([1..10], function($v, $i){ $v * $i })",
    "$reduce([1..5], function($a, $b){ $a + $b })",
    "$string({'a': [1, 2]})",
    "$partition([1,2,3], 2)",
    "$hash('x', 'MD5')",
    "$parse('{\"a\":1}')",
    "($x := 3; $x * 2)",
    "$states.input.s & '!'",
    "$uppercase($states.input.s)",
    "$formatInteger(12, 'I')",
    "$pad('x', 5)",
    "$range(1, 9, 2)",
    "$filter([1..20], function($v){$v % 2})",
    "$append([1], [2])",
    "$now()",
    "$random()",
    "$exists($states.input.none) ? 1 : 2",
];

/// A document to evaluate against: nested objects and arrays, unicode keys.
fn doc() -> Val {
    Val::from(json!({
        "a": {"b": [1, 2.5, {"c": "x", "é": null}], "d": true},
        "items": [{"price": 5, "name": "a"}, {"price": 20, "name": "b"}, {"other": []}],
        "s": "text", "n": -3, "deep": {"a": {"a": {"a": {"a": [1, {"a": 2}]}}}}
    }))
}

/// Any JSON value, small.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-zA-Z0-9$.@é'\"\\\\{}%]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[A-Za-z$.]{0,8}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

struct Counter(u64);
impl Random for Counter {
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
}

const JSONPATH: &[&str] = &[
    "$",
    "$",
    "$$",
    ".",
    "..",
    "[",
    "]",
    "'",
    "\"",
    "?(",
    ")",
    "(",
    "@",
    ".a",
    ".b",
    ".items",
    "*",
    ",",
    ":",
    "-1",
    "0",
    "2",
    "&&",
    "||",
    "!",
    "==",
    "!=",
    "<",
    ">=",
    " in ",
    " nin ",
    " contains ",
    "'x'",
    "[1,2]",
    "é",
    "\\",
    " ",
    "length()",
    ".é",
    "$var",
    "true",
    "null",
];

const INTRINSIC: &[&str] = &[
    "States.Format(",
    "States.StringToJson(",
    "States.JsonToString(",
    "States.Array(",
    "States.ArrayPartition(",
    "States.ArrayContains(",
    "States.ArrayRange(",
    "States.ArrayGetItem(",
    "States.ArrayLength(",
    "States.ArrayUnique(",
    "States.Base64Encode(",
    "States.Base64Decode(",
    "States.Hash(",
    "States.JsonMerge(",
    "States.MathRandom(",
    "States.MathAdd(",
    "States.StringSplit(",
    "States.UUID(",
    ")",
    ",",
    " ",
    "'",
    "\\",
    "{}",
    "'a'",
    "'{}'",
    "$.a",
    "$.items",
    "$.n",
    "$$.Execution",
    "1",
    "-1e300",
    "1e300",
    "2147483648",
    "0",
    "3.5",
    "true",
    "null",
    "'MD5'",
    "'SHA-256'",
    "é",
];

const JSONATA: &[&str] = &[
    "$",
    "$states.input",
    ".items",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "'a'",
    "\"b\"",
    ":",
    ",",
    ";",
    "1",
    "0",
    "1e308",
    "..",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "=",
    "!=",
    "<",
    "and",
    "or",
    "?",
    "$string(",
    "$number(",
    "$count(",
    "$distinct(",
    "$keys(",
    "$append(",
    "$reduce(",
    "$map(",
    "$filter(",
    "$sum(",
    "$range(",
    "$partition(",
    "$hash(",
    "$uuid()",
    "$now()",
    "$parse(",
    "$pad(",
    "$formatInteger(",
    "function($a, $b){",
    "$a",
    "$b",
    ":=",
    "price",
    "name",
    "[1..1000]",
    "é",
    "/*",
    "*/",
    " ",
];

const YAML: &[&str] = &[
    "StartAt: A\n",
    "States:\n",
    "  A:\n",
    "    Type: Pass\n",
    "    End: true\n",
    "    Next: B\n",
    "  B:\n",
    "    Type: Succeed\n",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ": ",
    ",",
    "'",
    "\"",
    "&a ",
    "*a",
    "!!str ",
    ".nan",
    ".inf",
    "~",
    "#c\n",
    "\n",
    "  ",
    "\t",
    "? ",
    "|\n",
    ">\n",
    "é",
    "A: 1\n",
];

fn sample_definitions() -> Vec<(&'static str, Value)> {
    asldbg::samples::SAMPLES
        .iter()
        .map(|s| (s.name, serde_json::from_str(s.definition).unwrap()))
        .collect()
}

/// `v` with the value at the `choice`-th pointer replaced by `by`.
fn mutate(v: &mut Value, choice: usize, by: Value) {
    fn pointers(v: &Value, p: String, out: &mut Vec<String>) {
        out.push(p.clone());
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    pointers(
                        x,
                        format!("{p}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    )
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    pointers(x, format!("{p}/{i}"), out)
                }
            }
            _ => {}
        }
    }
    let mut ps = Vec::new();
    pointers(v, String::new(), &mut ps);
    let p = &ps[choice % ps.len()];
    if p.is_empty() {
        return;
    }
    if let Some(slot) = v.pointer_mut(p) {
        *slot = by;
    }
}

/// Runs a valid definition for at most a few thousand events.
/// What a load said: that it opened (with its warnings), or every error.
fn said(l: &Loaded) -> String {
    match l {
        Loaded::Ok(o) => format!(
            "opened {} states; {:?}",
            o.definition
                .machines
                .iter()
                .map(|m| m.states.len())
                .sum::<usize>(),
            o.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>()
        ),
        Loaded::Unreadable(e) => format!("unreadable: {e}"),
        Loaded::Invalid(errs) => format!(
            "invalid: {:?}",
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        ),
    }
}

fn run_bounded(def: Definition, input: Val) {
    let mut ex = Execution::new(Arc::new(def), input, Box::new(NoRunner), Options::default());
    for _ in 0..3000 {
        if !ex.step() {
            break;
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn jsonpath_parses_and_evaluates_without_panicking(
        src in prop_oneof![text_of(JSONPATH, 24), mutated(JSONPATH_SEEDS)],
    ) {
        let d = doc();
        for text in [src.clone(), format!("${src}")] {
            if let Ok(p) = Path::parse(&text) {
                let _ = p.eval(&Scope::data(&d));
                let mut target = d.clone();
                let _ = p.set(&mut target, Val::from(1i64));
            }
            let _ = Path::parse_reference(&text);
        }
    }

    #[test]
    fn intrinsics_parse_and_evaluate_without_panicking(
        src in prop_oneof![text_of(INTRINSIC, 16), mutated(INTRINSIC_SEEDS)],
        seed in any::<u64>(),
    ) {
        if let Ok(f) = Intrinsic::parse(&src) {
            let _ = f.eval(&Scope::data(&doc()), &mut Counter(seed));
        }
    }

    #[test]
    fn jsonata_parses_and_evaluates_within_its_limits(
        src in prop_oneof![text_of(JSONATA, 14), mutated(JSONATA_SEEDS)],
    ) {
        if let Ok(e) = Expr::parse(&format!("{{% {src} %}}")) {
            let vars = |_: &str| None;
            let env = Env {
                states: Val::from(json!({"input": doc().to_json()})),
                vars: &vars,
                now_ms: 0,
            };
            let mut s = Session::with_limits(&env, &[&e], 7, 200, 100);
            let _ = s.eval_expr(&e, "Output");
        }
    }

    #[test]
    fn json_documents_load_without_panicking(
        which in any::<usize>(),
        cuts in prop::collection::vec((any::<usize>(), "[\\[\\]{}\",:\\\\é0-9a-z ]{0,3}"), 0..4),
    ) {
        let defs = sample_definitions();
        let (_, v) = &defs[which % defs.len()];
        let mut text = serde_json::to_string_pretty(v).unwrap();
        for (at, insert) in cuts {
            let mut i = at % (text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            let end = (i + insert.len()).min(text.len());
            let mut end = end;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(i..end, &insert);
        }
        if let Ok(doc) = parse_document(&text, "fuzz.json") {
            if let Ok(def) = Definition::from_value(&doc.value) {
                run_bounded(def, Val::from(json!({})));
            }
        }
        // Opened as a file is opened (a plain definition read straight into
        // the builder's document), it says what the long way says.
        let opts = OpenOptions::default();
        let plain = load_text("fuzz.json", text.clone(), &opts);
        let long = match parse_document(&text, "fuzz.json") {
            Ok(doc) => open("fuzz.json", doc, &opts),
            Err(e) => Loaded::Unreadable(e),
        };
        prop_assert_eq!(said(&plain), said(&long));
    }

    #[test]
    fn yaml_documents_load_without_panicking(src in text_of(YAML, 30)) {
        if let Ok(doc) = parse_document(&src, "fuzz.yaml") {
            if let Ok(def) = Definition::from_value(&doc.value) {
                run_bounded(def, Val::from(json!({})));
            }
        }
    }

    #[test]
    fn mutated_definitions_validate_and_run_without_panicking(
        which in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), json_value()), 1..4),
        input in json_value(),
    ) {
        let defs = sample_definitions();
        let (_, v) = &defs[which % defs.len()];
        let mut v = v.clone();
        for (at, by) in edits {
            mutate(&mut v, at, by);
        }
        // `graph` draws whatever has a shape, problems and all.
        let doc = asldbg::asl::parse_document(&v.to_string(), "fuzz.json").unwrap();
        let opts = asldbg::asl::OpenOptions { sketch: true, check_only: true, ..Default::default() };
        if let asldbg::asl::Loaded::Ok(o) = asldbg::asl::open("fuzz.json", doc, &opts) {
            for m in 0..o.definition.machines.len() {
                let drawn = asldbg::graph::text::render(&asldbg::graph::layout(&o.definition, m, asldbg::graph::Names::Screen));
                let marks = asldbg::graph::problem_marks(&o.definition, "", o.problems.iter().map(|e| e.pointer.as_str()));
                let _ = asldbg::graph::text::with_marks(&drawn, &marks);
            }
        }
        if let Ok(def) = Definition::from_value(&v) {
            run_bounded(def, Val::from(input));
        }
    }

    #[test]
    fn mock_files_load_without_panicking(
        edits in prop::collection::vec((any::<usize>(), json_value()), 0..4),
        case in "[A-Za-z]{0,4}",
    ) {
        let mut v = json!({
            "StateMachines": {"M": {"TestCases": {"T": {"S": "R", "U": "Q"}}}},
            "MockedResponses": {
                "R": {"0": {"Return": {"ok": 1}}, "1-3": {"Throw": {"Error": "E", "Cause": "c"}}},
                "Q": {"0": {"Return": 1}}
            }
        });
        for (at, by) in edits {
            mutate(&mut v, at, by);
        }
        let _ = MockRunner::from_value(&v, "mocks.json", None, "T");
        let _ = MockRunner::from_value(&v, "mocks.json", Some("M"), &case);
    }

    #[test]
    fn recorded_histories_replay_without_panicking(
        which in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), json_value()), 0..4),
    ) {
        let defs = sample_definitions();
        let (name, def) = &defs[which % defs.len()];
        let mut case = json!({
            "id": format!("fuzz::{name}"),
            "kind": "execution",
            "definition": def,
            "input": {},
            "expected": {"status": "SUCCEEDED", "output": {}, "error": null, "cause": null},
            "events": [
                {"id": 1, "previousEventId": 0, "type": "ExecutionStarted",
                 "executionStartedEventDetails": {"input": {}}},
                {"id": 2, "previousEventId": 1, "type": "PassStateEntered",
                 "stateEnteredEventDetails": {"name": "A", "input": {}}}
            ],
            "mocks": {"A": [{"kind": "lambda", "outcome": "succeeded", "output": {}}]},
            "features": []
        });
        for (at, by) in edits {
            mutate(&mut case, at, by);
        }
        // The conformance runner is the binary's: run it as a user would.
        let dir = std::env::temp_dir().join(format!("asldbg-fuzz-case-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("fuzz.json"), case.to_string()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_asldbg"))
            .arg("conformance")
            .arg(&dir)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        prop_assert!(
            out.status.code().is_some_and(|c| c <= 2) && !stderr.contains("panicked"),
            "{:?}\n{stderr}\n{case}",
            out.status
        );
    }

    #[test]
    fn aws_cli_histories_read_and_replay_without_panicking(
        edits in prop::collection::vec((any::<usize>(), json_value()), 0..4),
        reverse in any::<bool>(),
    ) {
        let mut h: Value = serde_json::from_str(include_str!("fixtures/replay/history.json")).unwrap();
        for (at, by) in edits {
            mutate(&mut h, at, by);
        }
        if reverse {
            if let Some(a) = h.get_mut("events").and_then(|e| e.as_array_mut()) {
                a.reverse();
            }
        }
        let def: Value = serde_json::from_str(include_str!("fixtures/replay/order.asl.json")).unwrap();
        if let Ok(rec) = asldbg::replay::recording::read(&h) {
            let def = Definition::from_value(&def).unwrap();
            if asldbg::replay::check(&def, &rec).is_ok() {
                let r = asldbg::replay::replay(Arc::new(def), &rec, Options::default());
                let _ = r.to_json();
                let _ = asldbg::replay::mock_config(&rec, "m", "c");
            }
        }
    }

    #[test]
    fn test_state_requests_answer_or_refuse_without_panicking(
        edits in prop::collection::vec((any::<usize>(), json_value()), 0..4),
        which in 0usize..3,
    ) {
        use asldbg::testing::test_state::{test_state, Request, Settings};
        let defs = [
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                   "ResultSelector": {"v.$": "$.Payload"}, "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 2}],
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}], "Next": "N"}),
            json!({"Type": "Map", "ItemsPath": "$.xs", "ToleratedFailureCount": 1, "MaxConcurrency": 2,
                   "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}),
            json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {"C": {"Type": "Choice",
                   "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "D"}], "Default": "D"}, "D": {"Type": "Succeed"}}}),
        ];
        let mut req = json!({
            "definition": defs[which].to_string(),
            "stateName": if which == 2 { json!("C") } else { Value::Null },
            "input": "{\"xs\": [1, 2], \"n\": 3}",
            "inspectionLevel": "DEBUG",
            "mock": {"result": "[1, 2]"},
            "context": "{\"Execution\": {}}",
            "stateConfiguration": {"retrierRetryCount": 1, "mapIterationFailureCount": 1}
        });
        for (at, by) in edits {
            mutate(&mut req, at, by);
        }
        if let Ok(r) = Request::from_json(&req) {
            let _ = test_state(&r, &Settings::default());
        }
    }

    #[test]
    fn test_suites_load_and_run_without_panicking(
        edits in prop::collection::vec((any::<usize>(), json_value()), 0..4),
    ) {
        let mut suite = json!({
            "definition": "route.asl.json",
            "cases": [
                {"name": "a", "input": {"amount": 5}, "answers": {"X": {"Return": 1}},
                 "expect": {"status": "SUCCEEDED", "path": ["Route"], "output-contains": {"amount": 5},
                            "variables": {}, "output": "snapshot"}}
            ]
        });
        for (at, by) in edits {
            mutate(&mut suite, at, by);
        }
        let dir = std::env::temp_dir().join(format!("asldbg-fuzz-suite-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let def = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/choice-rules/choice-rules.asl.json");
        std::fs::copy(def, dir.join("route.asl.json")).unwrap();
        let file = dir.join("f.test.json");
        std::fs::write(&file, suite.to_string()).unwrap();
        if let Ok(s) = asldbg::testing::suite::Suite::load(file.to_str().unwrap()) {
            let suites = vec![s];
            let results = asldbg::testing::suite::run_all(&suites, 2, true);
            let _ = asldbg::testing::suite::coverage(&suites, &results);
            let _ = asldbg::testing::suggest::suggest(&suites, &results);
            let _ = asldbg::testing::suite::junit(&results, std::time::Duration::ZERO);
        }
    }
}
