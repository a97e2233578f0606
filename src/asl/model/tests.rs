use super::*;
use serde_json::json;

fn errs(v: Value) -> Vec<String> {
    match Definition::from_value(&v) {
        Ok(_) => vec![],
        Err(d) => d
            .into_iter()
            .map(|d| format!("{} {}", d.pointer, d.message))
            .collect(),
    }
}

#[test]
fn a_valid_machine_parses() {
    let d = Definition::from_value(&json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "C"}], "Default": "D"},
            "C": {"Type": "Succeed"},
            "D": {"Type": "Fail", "Error": "E"}
        }
    }))
    .unwrap();
    assert_eq!(d.machines[0].states.len(), 4);
}

#[test]
fn every_problem_is_reported_with_its_pointer() {
    let e = errs(json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "Nope", "Bogus": 1},
            "B": {"Type": "Pass", "End": true, "Next": "A"},
            "C": {"Type": "Weird"},
            "D": {"Type": "Task", "Resource": "x", "End": true, "Arguments": {}}
        }
    }));
    let joined = e.join("\n");
    assert!(
        joined.contains("/States/A/Next Next 'Nope' does not name a state"),
        "{joined}"
    );
    assert!(
        joined.contains("/States/A/Bogus the field 'Bogus' is not allowed in a Pass state"),
        "{joined}"
    );
    assert!(
        joined.contains("/States/B state 'B' has both Next and End"),
        "{joined}"
    );
    assert!(
        joined.contains("/States/C/Type unknown state type 'Weird'"),
        "{joined}"
    );
    assert!(
        joined.contains(
            "/States/D/Arguments the field 'Arguments' is not supported in JSONPath states"
        ),
        "{joined}"
    );
    assert!(joined.contains("not reachable"), "{joined}");
}

#[test]
fn transitions_may_not_leave_a_branch() {
    let e = errs(json!({
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "P"}}}
            ]}
        }
    }));
    assert!(
        e.iter()
            .any(|m| m.contains("/States/P/Branches/0/States/X/Next")),
        "{e:?}"
    );
}

#[test]
fn branches_may_not_assign_outer_variables() {
    let e = errs(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"total": 0}, "Next": "P"},
        "P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"total.$": "$.x", "mine": 1}, "End": true}}}]}}}));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("/States/P/Branches/0/States/B/Assign/total.$ the variable $total belongs to an enclosing scope"), "{e:?}");
    // The Parallel itself may assign a branch's name, in its own Assign or
    // its catcher's (AWS runs such a definition).
    assert!(errs(json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": true, "Assign": {"status": "done"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"status": "failed"}, "Next": "F"}],
              "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"status": "inner"}, "End": true}}}]},
        "F": {"Type": "Fail"}}})).is_empty());
    // A Distributed Map's children are separate executions.
    assert!(errs(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"total": 0}, "Next": "M"},
        "M": {"Type": "Map", "End": true, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"total": 1}, "End": true}}}}}})).is_empty());
}

#[test]
fn unknown_integrations_and_express_limits() {
    let e = errs(
        json!({"StartAt": "Q", "States": {"Q": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": true}}}),
    );
    assert!(e[0].contains("is not recognized"), "{e:?}");
    let d = Definition::from_value(&json!({"StartAt": "Q", "States": {
        "Q": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "Next": "R"},
        "R": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "End": true}}}))
    .unwrap();
    assert_eq!(express_diagnostics(&d).len(), 1);
}

#[test]
fn bad_paths_timestamps_and_states_all() {
    let e = errs(json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "InputPath": "nope", "ResultPath": "$.a[*]", "Next": "W"},
            "W": {"Type": "Wait", "Timestamp": "2016-12-05 21:29:29Z", "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                  "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}
        }
    }));
    assert_eq!(e.len(), 4, "{e:?}");
}

#[test]
fn nested_states_default_to_the_machines_language_not_their_containers() {
    // Recorded (ValidateStateMachineDefinition): a JSONata Map in a
    // JSONPath machine may hold a JSONPath state.
    let d = Definition::from_value(&json!({"StartAt": "Map", "QueryLanguage": "JSONPath", "States": {
        "Map": {"Type": "Map", "QueryLanguage": "JSONata", "End": true,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Pass",
                                  "States": {"Pass": {"QueryLanguage": "JSONPath", "Type": "Pass", "End": true}}}}}}))
    .unwrap();
    assert!(matches!(
        d.machines[1].states[0].flow,
        Dataflow::JsonPath(_)
    ));
    // Stepping down from a JSONata machine is still refused.
    let e = errs(
        json!({"StartAt": "P", "QueryLanguage": "JSONata", "States": {
        "P": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}),
    );
    assert!(
        e[0].contains("a JSONPath state is not allowed in a JSONata state machine"),
        "{e:?}"
    );
}

#[test]
fn a_path_written_in_many_states_is_compiled_once() {
    use crate::asl::jsonpath::Compiled;
    use crate::asl::template::Template;
    let d = Definition::from_value(&json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Parameters": {"x.$": "$.in"}, "ResultPath": "$.out", "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"y.$": "$.in"}, "ResultPath": "$.out", "End": true}
        }
    }))
    .unwrap();
    let flow = |s: usize| match &d.machines[0].states[s].flow {
        Dataflow::JsonPath(f) => f.as_ref().clone(),
        Dataflow::Jsonata(_) => panic!("a JSONPath state"),
    };
    let (a, b) = (flow(0), flow(1));
    let (ResultSel::At(ra), ResultSel::At(rb)) = (&a.result_path, &b.result_path) else {
        panic!("both write ResultPath $.out");
    };
    assert!(std::ptr::eq::<Compiled>(&**ra, &**rb));
    let param = |t: &Option<Template>| match t {
        Some(Template::Obj(fields)) => match &fields[0].1 {
            Template::Path(p) => p.clone(),
            other => panic!("a path, not {other:?}"),
        },
        other => panic!("Parameters, not {other:?}"),
    };
    let (pa, pb) = (param(&a.parameters), param(&b.parameters));
    assert!(std::ptr::eq::<Compiled>(&*pa, &*pb));
    assert_eq!(pa.source, "$.in");
    // A different text is its own path.
    assert!(!std::ptr::eq::<Compiled>(&*pa, &**ra));
}

#[test]
fn a_task_token_read_outside_a_callback_is_a_warning_at_its_field() {
    let warnings = |v: Value| -> Vec<String> {
        Definition::from_value(&v)
            .expect("AWS accepts it")
            .warnings
            .into_iter()
            .map(|d| d.pointer)
            .collect()
    };
    let task = |resource: &str| {
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
            "Branches": [{"StartAt": "S", "States": {"S": {"Type": "Task",
                "Resource": resource, "End": true,
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}}}}]}}})
    };
    assert_eq!(
        warnings(task("arn:aws:states:::sqs:sendMessage")),
        ["/States/P/Branches/0/States/S/Parameters/MessageBody/token.$"]
    );
    assert!(warnings(task("arn:aws:states:::sqs:sendMessage.waitForTaskToken")).is_empty());
    // JSONata's spelling, in Arguments.
    let jsonata = json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Arguments": {"FunctionName": "f", "Payload": {"t": "{% $states.context.Task.Token %}"}}}}});
    assert_eq!(warnings(jsonata), ["/States/S/Arguments/Payload/t"]);
}
