use super::*;
use serde_json::json;

fn eval_with(
    src: &str,
    states: serde_json::Value,
    vars: &[(&str, serde_json::Value)],
) -> Result<Option<Val>, JError> {
    let e = Expr::parse(src).unwrap();
    let vars: Vec<(String, Val)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), Val::from(v)))
        .collect();
    let lookup = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let env = Env {
        states: Val::from(states),
        vars: &lookup,
        now_ms: 1_700_000_000_000,
    };
    Session::new(&env, &[&e], 42).eval_expr(&e, "Output")
}

fn ev(src: &str) -> Result<Option<Val>, JError> {
    eval_with(
        src,
        json!({"input": {"items": [{"price": 5, "qty": 2}, {"price": 20, "qty": 3}]}}),
        &[("x", json!(7))],
    )
}

#[test]
fn states_and_variables() {
    assert_eq!(
        ev("{% $states.input.items[price > 10].{'total': price * qty} %}")
            .unwrap()
            .unwrap()
            .to_json(),
        json!({"total": 60})
    );
    assert_eq!(ev("{% $x + 1 %}").unwrap().unwrap().to_json(), json!(8));
    assert_eq!(ev("{% $nothing %}").unwrap(), None);
}

#[test]
fn a_result_that_is_not_a_json_number_is_an_error() {
    for src in ["1/0", "-1/0", "[1, {'a': 0/0}]"] {
        let e = ev(src).unwrap_err();
        assert!(
            matches!(&e.kind, JErrorKind::Failed(m) if m.starts_with("D1001")),
            "{src}: {e:?}"
        );
    }
    assert_eq!(ev("1/4").unwrap().unwrap().to_json(), json!(0.25));
}

#[test]
fn a_caught_panic_of_the_library_is_silent() {
    assert!(!panic_is_caught());
    let r = guarded(|| {
        assert!(panic_is_caught());
        panic!("inside the library")
    });
    assert!(r.is_err());
    assert!(!panic_is_caught());
}

#[test]
fn distinct_and_keys_of_large_arrays_finish_within_the_time_limit() {
    let t = std::time::Instant::now();
    assert_eq!(
        ev("$count($distinct([1..100000].($ % 1000)))")
            .unwrap()
            .unwrap()
            .to_json(),
        json!(1000)
    );
    assert_eq!(
        ev("$count($keys([1..100000].{'k' & $string($ % 5000): 1}))")
            .unwrap()
            .unwrap()
            .to_json(),
        json!(5000)
    );
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
    // The library's results: deep equality, first occurrences in order,
    // sequences kept (one key stays a list inside $map).
    assert_eq!(
        ev("$distinct([1, 1.0, 2, {'a': 1, 'b': [2]}, {'b': [2], 'a': 1}, '1'])")
            .unwrap()
            .unwrap()
            .to_json(),
        json!([1, 2, {"a": 1, "b": [2]}, "1"])
    );
    assert_eq!(
        ev("$map([{'a': 1}, {'b': 2, 'a': 3}], $keys)")
            .unwrap()
            .unwrap()
            .to_json(),
        json!([["a"], ["b", "a"]])
    );
    assert_eq!(
        ev("$keys({'a': 1})").unwrap().unwrap().to_json(),
        json!("a")
    );
    assert_eq!(ev("$keys(5)").unwrap(), None);
    assert_eq!(
        ev("'$distinct'").unwrap().unwrap().to_json(),
        json!("$distinct")
    );
    assert_eq!(ev("$distinct(3)").unwrap().unwrap().to_json(), json!(3));
}

#[test]
fn sequences_past_ten_million_items_are_an_error() {
    let e = ev("$count($append([1..10000000], [1..10000000]))").unwrap_err();
    assert!(
        matches!(&e.kind, JErrorKind::Failed(m) if m.starts_with("D2015")),
        "{e:?}"
    );
}

#[test]
fn aws_functions() {
    assert_eq!(
        ev("$partition([1,2,3], 2)").unwrap().unwrap().to_json(),
        json!([[1, 2], [3]])
    );
    assert_eq!(
        ev("$range(1, 9, 4)").unwrap().unwrap().to_json(),
        json!([1, 5, 9])
    );
    assert_eq!(
        ev("$hash('input data', 'MD5')").unwrap().unwrap().to_json(),
        json!("812f45842bc6d66ee14572ce20db8e86")
    );
    assert_eq!(
        ev("$parse('{\"a\": [1]}')").unwrap().unwrap().to_json(),
        json!({"a": [1]})
    );
    assert_eq!(ev("$uuid()").unwrap().unwrap().as_str().unwrap().len(), 36);
    let r = ev("$random()").unwrap().unwrap().as_f64().unwrap();
    assert!((0.0..1.0).contains(&r));
    assert_eq!(ev("$random(5)").unwrap(), ev("$random(5)").unwrap());
    assert_eq!(
        ev("$now()").unwrap().unwrap().to_json(),
        json!("2023-11-14T22:13:20.000Z")
    );
    assert_eq!(
        ev("$millis()").unwrap().unwrap().to_json(),
        json!(1_700_000_000_000i64)
    );
    assert_eq!(
        ev("$now('[Y0001]')").unwrap().unwrap().to_json(),
        json!("2023")
    );
    let e = ev("$eval('1')").unwrap_err();
    assert_eq!(
        e.kind,
        JErrorKind::Failed("T1006: Attempted to invoke a non-function".into())
    );
    assert_eq!(
        e.describe(),
        "The JSONata expression '$eval('1')' specified for the field 'Output' threw an error during evaluation. T1006: Attempted to invoke a non-function"
    );
}

#[test]
fn only_jsonata_2_0_6() {
    assert!(Expr::parse("{% $a ?? 1 %}").is_err());
    assert!(Expr::parse("{% $a ?: 1 %}").is_err());
    assert!(Expr::parse("{% $a ? 1 : 2 %}").is_ok());
    assert!(Expr::parse("{% '??' %}").is_ok());
    assert!(Expr::parse("{% ( %}").is_err());
}

#[test]
fn hostile_expressions_end_in_bounded_time_and_memory() {
    let start = std::time::Instant::now();
    for src in [
        "$pad('x', 1e12)",
        "$formatInteger(1e21, 'I')",
        // One call of a built-in asking for gigabytes at once, refused
        // before it is made (what is refused as it is built needs the
        // binary's counting allocator: tests/budget.rs).
        "$replace($pad('', 100000, 'x'), 'x', $pad('', 40000, 'y'))",
        "$join([1..100000].$string(), $pad('', 20000, 'y'))",
        "$fromMillis(0, '[Y,2000000000]')",
        "$formatInteger(7, '[' & $pad('', 2000000000, '0') & ']')",
        "($f := function($n) { $f($n + 1) }; $f(0))",
        "[1..1e9]",
        "($loop := function() { $loop() }; $loop())",
    ] {
        assert!(
            matches!(
                ev(src),
                Err(JError {
                    kind: JErrorKind::Failed(_),
                    ..
                })
            ),
            "{src}: {:?}",
            ev(src)
        );
    }
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn a_built_in_called_on_a_path_takes_the_context_as_its_first_argument() {
    // `s.$pad(5, '-')` is `$pad(s, 5, '-')`: the built-ins the budget
    // guards are the library's own, not host functions, which are given
    // only the arguments written.
    let input = json!({"s": "abc", "n": 1999});
    let got = |src: &str| {
        eval_with(src, json!({"input": input.clone()}), &[])
            .unwrap()
            .unwrap()
            .to_json()
    };
    assert_eq!(got("{% $states.input.s.$pad(5, '-') %}"), json!("abc--"));
    assert_eq!(got("{% $states.input.s.$split('b') %}"), json!(["a", "c"]));
    assert_eq!(
        got("{% $states.input.s.$replace('b', 'X') %}"),
        json!("aXc")
    );
    assert_eq!(
        got("{% $states.input.n.$formatInteger('I') %}"),
        json!("MCMXCIX")
    );
}

#[test]
fn templates_name_the_failing_field() {
    let t =
        JTemplate::compile(&json!({"a": {"b": ["{% $missing %}"]}, "lit": "x {% not %}"})).unwrap();
    let lookup = |_: &str| None;
    let env = Env {
        states: Val::empty_obj(),
        vars: &lookup,
        now_ms: 0,
    };
    let mut exprs = Vec::new();
    t.exprs(&mut exprs);
    let e = Session::new(&env, &exprs, 0)
        .eval(&t, "Arguments")
        .unwrap_err();
    assert_eq!(e.field, "Arguments/a/b[0]");
    assert_eq!(e.kind, JErrorKind::Undefined);
    assert!(JTemplate::compile(&json!({"x": "{% ) %}"})).is_err());
}

#[test]
fn numbers_print_like_javascript() {
    assert_eq!(ev("1 + 2").unwrap().unwrap().to_compact(), "3");
    assert_eq!(
        ev("0.1 + 0.2").unwrap().unwrap().to_compact(),
        "0.30000000000000004"
    );
    assert_eq!(ev("1.5").unwrap().unwrap().to_compact(), "1.5");
}

#[test]
fn states_as_a_whole_has_every_member() {
    let states = json!({"input": {"a": 1}, "context": {"State": {"Name": "S"}}, "result": 2});
    let whole = eval_with("{% $states %}", states.clone(), &[])
        .unwrap()
        .unwrap();
    assert_eq!(whole.to_json(), states);
    let keys = eval_with("{% $keys($states) %}", states.clone(), &[])
        .unwrap()
        .unwrap();
    assert_eq!(keys.to_json(), json!(["input", "context", "result"]));
    // A member alone still converts only that member.
    let input = eval_with("{% $states.input %}", states, &[])
        .unwrap()
        .unwrap();
    assert_eq!(input.to_json(), json!({"a": 1}));
    assert!(!uses_whole_states("$states.input.a"));
    assert!(uses_whole_states("$merge([$states, {}])"));
    assert!(!uses_whole_states("$statesman"));
}

#[test]
fn a_result_nested_past_what_a_stack_holds_is_an_error_not_a_crash() {
    // Ten thousand objects one inside the other: converting or printing it
    // recursively overflowed a session thread's stack and ended the server.
    let e = ev("$reduce([1..10000], function($a, $b){ {'a': $a} }, 0)")
        .unwrap_err()
        .describe();
    assert!(e.contains("nested deeper than 512 levels"), "{e}");
    // 500 levels is a value like any other.
    assert!(ev("$reduce([1..500], function($a, $b){ [$a] }, 0)")
        .unwrap()
        .is_some());
}

#[test]
fn round_moves_the_decimal_point_in_the_text_as_jsonata_js_does() {
    let n = |src: &str| ev(src).unwrap().unwrap().to_json();
    // Halves go to the even neighbour, negative numbers too.
    assert_eq!(n("$round(2.5)"), json!(2));
    assert_eq!(n("$round(3.5)"), json!(4));
    assert_eq!(n("$round(-2.5)"), json!(-2));
    assert_eq!(n("$round(-3.5)"), json!(-4));
    assert_eq!(n("$round(123.456, 2)"), json!(123.46));
    assert_eq!(n("$round(125, -1)"), json!(120));
    assert_eq!(n("$round(135, -1)"), json!(140));
    // Only an exact half is a tie (no tolerance).
    assert_eq!(n("$round(2.5000000000001)"), json!(3));
    // 1.005 is 1.00499999… as a double, but its text is 1.005: the text is
    // what is shifted, so it is a tie at 100.5 and goes to the even 100.
    assert_eq!(n("$round(1.005, 2)"), json!(1));
    // A precision far below the number: 0, not 0 / 0.
    assert_eq!(n("$round(1.5, -100000000)"), json!(0));
    assert_eq!(n("$round(-1.5, -400)"), json!(0));
    // Far above: the number does not fit (JavaScript gives NaN).
    let e = ev("$round(1.5, 100000000)").unwrap_err();
    assert!(
        matches!(&e.kind, JErrorKind::Failed(m) if m.starts_with("D1001")),
        "{e:?}"
    );
}

#[test]
fn format_number_takes_at_most_a_hundred_decimals_as_to_fixed_does() {
    let picture = |d: usize| format!("$formatNumber(1.5, '0.{}')", "0".repeat(d));
    let s = ev(&picture(100)).unwrap().unwrap().to_json();
    assert_eq!(s, json!(format!("1.5{}", "0".repeat(99))));
    for d in [101, 308, 400] {
        let e = ev(&picture(d)).unwrap_err();
        assert!(
            matches!(&e.kind, JErrorKind::Failed(m)
                if m.contains("toFixed() digits argument must be between 0 and 100")),
            "{d}: {e:?}"
        );
    }
}
