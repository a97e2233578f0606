use super::*;
use serde_json::json;

fn ev(p: &str, v: &serde_json::Value) -> Result<serde_json::Value, PathError> {
    Path::parse(p)
        .unwrap()
        .eval(&Scope::data(&Val::from(v)))
        .map(|x| x.to_json())
}

#[test]
fn a_union_with_an_unquoted_non_ascii_name_is_a_parse_error() {
    for p in ["$['a',é'b']", "$['a',ü]", "$[é]", "$['a', '"] {
        assert!(Path::parse(p).is_err(), "{p}");
    }
}

#[test]
fn nesting_is_bounded_and_long_chains_are_flat() {
    let deep = format!("$[?({}@.a{})]", "(".repeat(10_000), ")".repeat(10_000));
    let e = Path::parse(&deep).unwrap_err();
    assert!(e.message.contains("nest more than 64"), "{e}");
    assert!(
        e.to_string().len() < 400,
        "the message quotes the path by its ends"
    );
    let nots = format!("$[?({}@.a)]", "!".repeat(10_000));
    assert!(Path::parse(&nots).is_err());
    let filters = format!("$.x{}", "[?(@.a".repeat(100));
    assert!(Path::parse(&filters).is_err());
    // A flat chain of 50,000 terms parses and evaluates without deep recursion.
    let chain = format!("$[?({})]", vec!["@.a"; 50_000].join(" && "));
    assert_eq!(
        ev(&chain, &json!([{"a": 1}, {"b": 2}])).unwrap(),
        json!([{"a": 1}])
    );
    let or = format!("$[?({})]", vec!["@.z"; 50_000].join(" || "));
    assert_eq!(ev(&or, &json!([{"a": 1}])).unwrap(), json!([]));
    let ok = format!("$[?({}@.a{})]", "(".repeat(60), ")".repeat(60));
    assert!(Path::parse(&ok).is_ok());
}

#[test]
fn descendant_paths_that_explode_are_bounded() {
    let mut doc = json!({"b": [1, 2]});
    for _ in 0..120 {
        doc = json!({"a": doc, "b": [1, 2]});
    }
    let got = ev("$..a..a..a..a..a..a", &doc);
    assert!(matches!(got, Err(PathError::TooMuchWork)), "{got:?}");
    // An ordinary descendant path on the same document is fine.
    assert_eq!(ev("$..b", &doc).unwrap().as_array().unwrap().len(), 121);
}

#[test]
fn definite_paths_give_the_value() {
    let v = json!({"a": {"b c": [1, 2, 3]}});
    assert_eq!(ev("$", &v).unwrap(), v);
    assert_eq!(ev("$.a['b c'][1]", &v).unwrap(), json!(2));
    assert_eq!(ev("$.a.['b c'][-1]", &v).unwrap(), json!(3));
    assert_eq!(ev("$.a['b c'].length()", &v).unwrap(), json!(3));
}

#[test]
fn a_backslash_in_a_quoted_name_escapes_only_the_quote_and_itself() {
    // Recorded on AWS: `$['Test\""Name"']` reads the key `Test\""Name"`.
    let v = json!({"Test\\\"\"Name\"": 1, "it's": 2, "a\\b": 3});
    assert_eq!(ev(r#"$['Test\""Name"']"#, &v).unwrap(), json!(1));
    assert_eq!(ev(r"$['it\'s']", &v).unwrap(), json!(2));
    assert_eq!(ev(r"$['a\\b']", &v).unwrap(), json!(3));
}

#[test]
fn missing_definite_path_is_an_error_with_jayway_text() {
    let v = json!({"a": 1});
    assert_eq!(
        ev("$.no.such", &v).unwrap_err(),
        PathError::Missing("Missing property in path $['no']".into())
    );
    assert_eq!(
        ev("$.no", &v).unwrap_err(),
        PathError::Missing("No results for path: $['no']".into())
    );
    assert!(ev("$.a[3]", &json!({"a": [1]})).is_err());
}

#[test]
fn indefinite_paths_give_arrays() {
    let v = json!({"items": [{"v": 1, "s": 0}, {"v": 2, "s": 1}, {"s": 0}]});
    assert_eq!(ev("$.items[*].v", &v).unwrap(), json!([1, 2]));
    assert_eq!(
        ev("$.items[?(@.s == 0)]", &v).unwrap(),
        json!([{"v": 1, "s": 0}, {"s": 0}])
    );
    assert_eq!(ev("$.items[1:].v", &v).unwrap(), json!([2]));
    assert_eq!(ev("$.items[:1]", &v).unwrap(), json!([{"v": 1, "s": 0}]));
    assert_eq!(ev("$..v", &v).unwrap(), json!([1, 2]));
    assert_eq!(ev("$.items[0,1].v", &v).unwrap(), json!([1, 2]));
    assert_eq!(
        ev("$.items[?(@.v > 1 || !@.v)].s", &v).unwrap(),
        json!([1, 0])
    );
    assert_eq!(ev("$.items[?(@.v)].v", &v).unwrap(), json!([1, 2]));
}

#[test]
fn roots() {
    assert_eq!(Path::parse("$$.Execution.Id").unwrap().root, Root::Context);
    assert_eq!(
        Path::parse("$var.x").unwrap().root,
        Root::Variable("var".into())
    );
    assert!(Path::parse("a.b").is_err());
    assert!(Path::parse("$.a[").is_err());
    assert!(Path::parse_reference("$.a[*]").is_err());
}

#[test]
fn set_creates_objects_and_rejects_bad_shapes() {
    let p = Path::parse_reference("$.a.b").unwrap();
    let mut d = Val::from(json!({"x": 1}));
    p.set(&mut d, Val::from(5i64)).unwrap();
    assert_eq!(d.to_json(), json!({"x": 1, "a": {"b": 5}}));
    let mut s = Val::from("str");
    assert!(p.set(&mut s, Val::from(1i64)).is_err());
}

#[test]
fn an_unquoted_word_in_a_filter_parses_and_fails_when_evaluated() {
    let p = Path::parse("$.Labels[?(@.Name==Receipt)]").unwrap();
    let e = p.fails_at_run_time().expect("deferred");
    assert_eq!(e.offset, "$.Labels[?(@.Name==".len());
    assert!(e.message.contains("'Receipt'"), "{e}");
    let got = ev(
        "$.Labels[?(@.Name==Receipt)]",
        &json!({"Labels": [{"Name": "Receipt"}]}),
    );
    assert!(matches!(got, Err(PathError::Malformed(_))), "{got:?}");
    // Quoted, numbers, true/false/null are values as before.
    for ok in [
        "$.a[?(@.n=='Receipt')]",
        "$.a[?(@.n==3)]",
        "$.a[?(@.n==true)]",
        "$.a[?(@.n==null)]",
    ] {
        assert!(
            Path::parse(ok).unwrap().fails_at_run_time().is_none(),
            "{ok}"
        );
    }
}
