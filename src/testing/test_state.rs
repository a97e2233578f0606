//! AWS's TestState API, offline: the request `aws stepfunctions test-state`
//! sends, run on the engine (one state, stopped where it decides), and the
//! response AWS gives, in AWS's shape: JSON documents as strings, the stage
//! values as `inspectionData` from the same stage records the debugger's
//! Stages view shows.

use crate::asl::model::{Kind, State};
use crate::asl::value::{Map, Val};
use crate::asl::{Definition, LoadError};
use crate::engine::task::{TaskOutcome, TaskRequest, TaskRunner};
use crate::engine::{Execution, Options, Probe, StageRecord, Status};
use serde_json::{json, Value};
use std::sync::Arc;

/// The state a single-state definition is run as (AWS's context object
/// shows this name).
pub const SINGLE_STATE_NAME: &str = "StateName";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    #[default]
    Info,
    Debug,
    Trace,
}

/// A request AWS would refuse: its error name and message.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// `ValidationException`, `InvalidDefinition` or `InvalidExecutionInput`.
    pub name: &'static str,
    pub message: String,
    /// AWS would run it, calling a real service; asldbg needs a mock.
    pub needs_service: bool,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

fn refused(name: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        name,
        message: message.into(),
        needs_service: false,
    }
}

/// A TestState request (`aws stepfunctions test-state --cli-input-json`).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub definition: String,
    pub input: Option<String>,
    pub inspection_level: Level,
    pub reveal_secrets: bool,
    pub variables: Option<String>,
    pub state_name: Option<String>,
    pub mock_result: Option<String>,
    pub mock_error: Option<(Option<String>, Option<String>)>,
    pub field_validation_mode: Option<String>,
    pub context: Option<String>,
    pub retrier_retry_count: Option<u64>,
    pub error_caused_by_state: Option<String>,
    pub map_iteration_failure_count: Option<u64>,
    pub map_item_reader_data: Option<String>,
}

/// `stateConfiguration.mapItemReaderData`'s longest (AWS's constraint).
pub const MAX_ITEM_READER_DATA: usize = 262_144;

fn string_field(v: &Value, key: &str) -> Result<Option<String>, Refused> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(refused(
            "ValidationException",
            format!("'{key}' must be a string"),
        )),
    }
}

fn count_field(v: &Value, key: &str) -> Result<Option<u64>, Refused> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(n) => n.as_u64().map(Some).ok_or_else(|| {
            refused(
                "ValidationException",
                format!("'{key}' must be an integer of at least 0"),
            )
        }),
    }
}

const REQUEST_FIELDS: &[&str] = &[
    "definition",
    "roleArn",
    "input",
    "inspectionLevel",
    "revealSecrets",
    "variables",
    "stateName",
    "mock",
    "context",
    "stateConfiguration",
];

impl Request {
    /// The request from the JSON the AWS CLI's `--cli-input-json` takes.
    pub fn from_json(v: &Value) -> Result<Request, Refused> {
        let Some(obj) = v.as_object() else {
            return Err(refused(
                "ValidationException",
                "the request must be a JSON object",
            ));
        };
        if let Some(k) = obj.keys().find(|k| !REQUEST_FIELDS.contains(&k.as_str())) {
            return Err(refused(
                "ValidationException",
                format!(
                    "unknown parameter '{k}' (TestState takes {})",
                    REQUEST_FIELDS.join(", ")
                ),
            ));
        }
        let definition = string_field(v, "definition")?
            .ok_or_else(|| refused("ValidationException", "'definition' is required"))?;
        let inspection_level = match string_field(v, "inspectionLevel")?.as_deref() {
            None | Some("INFO") => Level::Info,
            Some("DEBUG") => Level::Debug,
            Some("TRACE") => Level::Trace,
            Some(other) => {
                return Err(refused(
                    "ValidationException",
                    format!("inspectionLevel '{other}' is not one of INFO, DEBUG, TRACE"),
                ))
            }
        };
        let mut r = Request {
            definition,
            input: string_field(v, "input")?,
            inspection_level,
            reveal_secrets: v
                .get("revealSecrets")
                .and_then(|b| b.as_bool())
                .unwrap_or(false),
            variables: string_field(v, "variables")?,
            state_name: string_field(v, "stateName")?,
            context: string_field(v, "context")?,
            ..Request::default()
        };
        if let Some(m) = v.get("mock").filter(|m| !m.is_null()) {
            r.mock_result = string_field(m, "result")?;
            r.field_validation_mode = string_field(m, "fieldValidationMode")?;
            if let Some(f) = &r.field_validation_mode {
                if !["STRICT", "PRESENT", "NONE"].contains(&f.as_str()) {
                    return Err(refused(
                        "ValidationException",
                        format!(
                            "1 validation error detected: Value '{f}' at \
                             'mock.fieldValidationMode' failed to satisfy constraint: Member \
                             must satisfy enum value set: [STRICT, PRESENT, NONE]"
                        ),
                    ));
                }
            }
            if let Some(e) = m.get("errorOutput").filter(|e| !e.is_null()) {
                r.mock_error = Some((string_field(e, "error")?, string_field(e, "cause")?));
            }
        }
        if let Some(c) = v.get("stateConfiguration").filter(|c| !c.is_null()) {
            r.retrier_retry_count = count_field(c, "retrierRetryCount")?;
            r.map_iteration_failure_count = count_field(c, "mapIterationFailureCount")?;
            r.error_caused_by_state = string_field(c, "errorCausedByState")?;
            r.map_item_reader_data = string_field(c, "mapItemReaderData")?;
            // AWS's length constraint on the field (TestStateConfiguration).
            if let Some(d) = &r.map_item_reader_data {
                let n = d.chars().count();
                if n > MAX_ITEM_READER_DATA {
                    return Err(refused(
                        "ValidationException",
                        format!(
                            "1 validation error detected: Value at \
                             'stateConfiguration.mapItemReaderData' failed to satisfy \
                             constraint: Member must have length less than or equal to \
                             {MAX_ITEM_READER_DATA} (it has {n})"
                        ),
                    ));
                }
            }
        }
        Ok(r)
    }
}

/// Where the run happens (the context object's ARNs).
#[derive(Debug, Clone)]
pub struct Settings {
    pub account: String,
    pub region: String,
    pub start_time_ms: i64,
}

impl Default for Settings {
    fn default() -> Self {
        let o = Options::default();
        Settings {
            account: o.account,
            region: o.region,
            start_time_ms: o.start_time_ms,
        }
    }
}

/// JSON text a request carries in a string field.
fn json_text(field: &str, text: &str, name: &'static str) -> Result<Val, Refused> {
    Val::parse(text).map_err(|e| refused(name, format!("'{field}' is not valid JSON: {e}")))
}

/// The definition as a state machine, and the state to test in it. A
/// single state is put in a machine of its own, under
/// [`SINGLE_STATE_NAME`], with a Succeed state for each state it names
/// (problems are reported at the positions of the text as given).
fn machine_of(req: &Request) -> Result<(Definition, String), Refused> {
    let invalid = |errs: Vec<LoadError>, shift: Option<&str>| {
        let lines: Vec<String> = errs
            .into_iter()
            .map(|mut e| {
                e.file = "definition".into();
                if let Some(prefix) = shift {
                    e.line = e.line.saturating_sub(1).max(1);
                    e.pointer = e
                        .pointer
                        .strip_prefix(prefix)
                        .map(str::to_string)
                        .unwrap_or(e.pointer);
                }
                e.to_string()
            })
            .collect();
        refused("InvalidDefinition", lines.join("\n"))
    };
    let doc = crate::asl::parse_document(&req.definition, "definition.json")
        .map_err(|e| invalid(vec![e], None))?;
    if doc.value.get("States").is_some() {
        let Some(name) = req.state_name.clone() else {
            return Err(refused(
                "ValidationException",
                "the definition is a state machine: 'stateName' names the state to test",
            ));
        };
        let def = crate::asl::definition_of("definition.json", doc, false)
            .map_err(|e| invalid(e, None))?;
        if def.find(&name).is_none() {
            return Err(refused(
                "ValidationException",
                format!("the definition has no state named '{name}'"),
            ));
        }
        return Ok((def, name));
    }
    if !doc.value.is_object() {
        return Err(refused(
            "InvalidDefinition",
            "the definition must be a JSON object: a state, or a state machine",
        ));
    }
    if let Some(n) = &req.state_name {
        if n != SINGLE_STATE_NAME {
            return Err(refused(
                "ValidationException",
                format!("'stateName' ({n}) is for a state machine; the definition is one state"),
            ));
        }
    }
    let mut targets: Vec<String> = Vec::new();
    let st = &doc.value;
    let mut push = |v: Option<&Value>| {
        if let Some(t) = v.and_then(|t| t.as_str()) {
            if t != SINGLE_STATE_NAME && !targets.iter().any(|x| x == t) {
                targets.push(t.to_string());
            }
        }
    };
    push(st.get("Next"));
    push(st.get("Default"));
    for list in ["Choices", "Catch"] {
        for c in st
            .get(list)
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
        {
            push(c.get("Next"));
        }
    }
    let stubs: String = targets
        .iter()
        .map(|t| format!(",{}:{{\"Type\":\"Succeed\"}}", Value::from(t.as_str())))
        .collect();
    // The state's text keeps its lines: one line is put before it.
    let text = format!(
        "{{\"StartAt\":\"{SINGLE_STATE_NAME}\",\"States\":{{\"{SINGLE_STATE_NAME}\":\n{}\n{stubs}}}}}",
        req.definition
    );
    let prefix = format!("/States/{SINGLE_STATE_NAME}");
    let doc = crate::asl::parse_document(&text, "definition.json")
        .map_err(|e| invalid(vec![e], Some(&prefix)))?;
    let def = crate::asl::definition_of("definition.json", doc, false)
        .map_err(|e| invalid(e, Some(&prefix)))?;
    Ok((def, SINGLE_STATE_NAME.to_string()))
}

/// Answers the tested state's task with the mock; a task it cannot answer
/// fails (asldbg calls no AWS service).
pub(crate) struct MockAnswer(pub(crate) Option<TaskOutcome>);

impl TaskRunner for MockAnswer {
    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        match &self.0 {
            Some(o) => o.clone(),
            None => TaskOutcome::failed(
                "States.Runtime",
                format!(
                    "asldbg calls no AWS service: the task of state '{}' ({}) needs a mock",
                    req.state, req.resource
                ),
            ),
        }
    }
}

/// Whether a state, or a state inside it, runs a task.
fn runs_tasks(def: &Definition, st: &State) -> bool {
    match &st.kind {
        Kind::Task(_) => true,
        Kind::Parallel { .. } | Kind::Map(_) => {
            // Its children are the machines whose states sit below it.
            let at = format!("{}/", st.pointer);
            def.machines
                .iter()
                .flat_map(|m| m.states.iter())
                .any(|s| s.pointer.starts_with(&at) && matches!(s.kind, Kind::Task(_)))
        }
        _ => false,
    }
}

/// Run the request: AWS's response, or why AWS would refuse it.
pub fn test_state(req: &Request, settings: &Settings) -> Result<Value, Refused> {
    let (def, name) = machine_of(req)?;
    let input = match &req.input {
        Some(t) => json_text("input", t, "InvalidExecutionInput")?,
        None => Val::empty_obj(),
    };
    let vars: Map = match &req.variables {
        Some(t) => match json_text("variables", t, "ValidationException")? {
            v if v.is_object() => v.as_object().cloned().unwrap_or_default(),
            _ => {
                return Err(refused(
                    "ValidationException",
                    "'variables' must be a JSON object",
                ))
            }
        },
        None => Map::default(),
    };
    let mock = match (&req.mock_result, &req.mock_error) {
        (Some(_), Some(_)) => {
            return Err(refused(
                "ValidationException",
                "a mock has either 'result' or 'errorOutput', not both",
            ))
        }
        (Some(r), None) => Some(TaskOutcome::Succeeded(json_text(
            "mock.result",
            r,
            "ValidationException",
        )?)),
        (None, Some((e, c))) => Some(TaskOutcome::Failed {
            error: e.clone(),
            cause: c.clone(),
        }),
        (None, None) => None,
    };
    let (m, s) = def.find(&name).expect("machine_of found the state");
    let st = &def.machines[m].states[s];
    if mock.is_none() && runs_tasks(&def, st) {
        return Err(Refused {
            needs_service: true,
            ..refused(
                "ValidationException",
                format!(
                    "state '{name}' runs a task: asldbg calls no AWS service, so give a mock (mock.result or mock.errorOutput)"
                ),
            )
        });
    }
    if mock.is_some()
        && !matches!(
            st.kind,
            Kind::Task(_) | Kind::Map(_) | Kind::Parallel { .. }
        )
    {
        return Err(refused(
            "ValidationException",
            format!(
                "State type '{}' is not supported when a mock is specified",
                st.type_name
            ),
        ));
    }
    // The mocked result against the API's model (`fieldValidationMode`,
    // STRICT unless said otherwise).
    if let (Some(TaskOutcome::Succeeded(v)), Kind::Task(t)) = (&mock, &st.kind) {
        let mode = match req.field_validation_mode.as_deref() {
            Some("NONE") => None,
            Some("PRESENT") => Some(crate::testing::shapes::Mode::Present),
            _ => Some(crate::testing::shapes::Mode::Strict),
        };
        let shape = crate::testing::shapes::output_of(&t.resource);
        if let (Some(mode), Some(shape)) = (mode, shape) {
            if let Some(bad) = shape.check(&v.to_json(), mode) {
                return Err(refused(
                    "ValidationException",
                    format!("Mock result schema validation error: {}", bad.message),
                ));
            }
        }
    }
    if let Some(caused) = &req.error_caused_by_state {
        if req.mock_error.is_none() {
            return Err(refused(
                "ValidationException",
                "'errorCausedByState' goes with a mocked error (mock.errorOutput)",
            ));
        }
        if def.find(caused).is_none() {
            return Err(refused(
                "ValidationException",
                format!("'errorCausedByState' names no state of the definition: '{caused}'"),
            ));
        }
    }
    let retried = req.retrier_retry_count.unwrap_or(0);
    let context = match &req.context {
        Some(t) => json_text("context", t, "ValidationException")?,
        None => default_context(settings, &input, &name, st, retried),
    };
    let probe = Probe {
        mock: mock.clone(),
        retrier_retry_count: retried,
        map_iteration_failures: req.map_iteration_failure_count.unwrap_or(0),
        context: Some(context),
        item_reader_data: req.map_item_reader_data.clone().map(Val::from),
    };
    let opts = Options {
        start_time_ms: settings.start_time_ms,
        account: settings.account.clone(),
        region: settings.region.clone(),
        express: true,
        max_events: 25_000,
        ..Options::default()
    };
    let def = Arc::new(def);
    let mut ex = Execution::probe(
        def.clone(),
        (m, s),
        input.clone(),
        vars.clone(),
        probe,
        Box::new(MockAnswer(mock)),
        opts,
    );
    ex.run();
    let st = &def.machines[m].states[s];
    let record = ex
        .stages()
        .iter()
        .rev()
        .find(|r| r.frame.is_empty() && r.state == *st.name)
        .cloned()
        .unwrap_or_else(|| StageRecord {
            input: Some(input),
            ..StageRecord::default()
        });
    let mut resp = serde_json::Map::new();
    let status = if ex.retriable().is_some() {
        "RETRIABLE"
    } else {
        match ex.status() {
            Status::Succeeded if record.caught_by.is_some() => "CAUGHT_ERROR",
            Status::Succeeded => "SUCCEEDED",
            _ => "FAILED",
        }
    };
    let error = match status {
        "CAUGHT_ERROR" => record.error.clone(),
        "SUCCEEDED" => None,
        _ => ex.error().cloned(),
    };
    if let Some(e) = &error {
        if let Some(n) = e.name() {
            resp.insert("error".into(), json!(n));
        }
        if let Some(c) = e.cause() {
            resp.insert("cause".into(), json!(c));
        }
    }
    if matches!(status, "SUCCEEDED" | "CAUGHT_ERROR") {
        if let Some(o) = ex.output() {
            resp.insert("output".into(), json!(o.to_compact()));
        }
        if let Some(n) = &record.next {
            resp.insert("nextState".into(), json!(n));
        }
    }
    resp.insert("status".into(), json!(status));
    if req.inspection_level != Level::Info {
        let mut data = inspection(&def, st, &record);
        let mut details = serde_json::Map::new();
        if let Some(r) = ex.retriable() {
            details.insert("retryIndex".into(), json!(r.retrier));
            details.insert(
                "retryBackoffIntervalSeconds".into(),
                json!(r.delay_ms / 1000),
            );
        } else if let Some(i) = record.exhausted_retrier {
            details.insert("retryIndex".into(), json!(i));
        }
        if let Some(c) = record.caught_by {
            details.insert("catchIndex".into(), json!(c));
        }
        if !details.is_empty() {
            data.insert("errorDetails".into(), Value::Object(details));
        }
        if let Some(a) = &record.assigned {
            let mut all = vars;
            for (k, v) in a {
                all.insert(k.clone(), v.clone());
            }
            data.insert("variables".into(), json!(Val::obj(all).to_compact()));
        }
        resp.insert("inspectionData".into(), Value::Object(data));
    }
    Ok(Value::Object(resp))
}

/// The context object AWS gives a tested state when the request has none:
/// an express execution of its own.
fn default_context(s: &Settings, input: &Val, name: &str, st: &State, retried: u64) -> Val {
    let machine = "TestStateMachine";
    let execution = "test-state";
    let start = crate::asl::timestamp::format_millis(s.start_time_ms);
    let mut state = Map::default();
    state.insert("Name".into(), Val::from(name));
    state.insert("EnteredTime".into(), Val::from(start.as_str()));
    if matches!(
        st.kind,
        Kind::Task(_) | Kind::Map(_) | Kind::Parallel { .. }
    ) {
        state.insert("RetryCount".into(), Val::from(retried));
    }
    Val::object([
        (
            "Execution",
            Val::object([
                (
                    "Id",
                    Val::from(format!(
                        "arn:aws:states:{}:{}:express:{machine}:{execution}",
                        s.region, s.account
                    )),
                ),
                ("Input", input.clone()),
                ("Name", Val::from(execution)),
                (
                    "RoleArn",
                    Val::from(format!("arn:aws:iam::{}:role/asldbg", s.account)),
                ),
                ("StartTime", Val::from(start.as_str())),
            ]),
        ),
        ("State", Val::obj(state)),
        (
            "StateMachine",
            Val::object([
                (
                    "Id",
                    Val::from(format!(
                        "arn:aws:states:{}:{}:stateMachine:{machine}",
                        s.region, s.account
                    )),
                ),
                ("Name", Val::from(machine)),
            ]),
        ),
    ])
}

/// The stage values of `r` as TestState's `inspectionData` names them,
/// with the fields AWS gives for each state type (as recorded).
fn inspection(def: &Definition, st: &State, r: &StageRecord) -> serde_json::Map<String, Value> {
    let raw = def.raw(st);
    let has = |k: &str| raw.get(k).is_some();
    let mut d = serde_json::Map::new();
    let mut put = |k: &str, v: Option<&Val>| {
        if let Some(v) = v {
            d.insert(k.into(), json!(v.to_compact()));
        }
    };
    put("input", r.input.as_ref());
    // Without Parameters, the value after them is the one after InputPath.
    let params = r.after_parameters.as_ref().or(if has("Parameters") {
        None
    } else {
        r.after_input_path.as_ref()
    });
    let selected = |r: &StageRecord| {
        r.after_result_selector
            .as_ref()
            .or_else(|| {
                (!has("ResultSelector"))
                    .then_some(r.result.as_ref())
                    .flatten()
            })
            .cloned()
    };
    if st.is_jsonata() {
        match &st.kind {
            Kind::Task(_) | Kind::Parallel { .. } => {
                put("afterArguments", r.after_parameters.as_ref());
                put(
                    "result",
                    r.result.as_ref().filter(|_| r.caught_by.is_none()),
                );
            }
            Kind::Map(_) => {
                if has("ItemBatcher") {
                    put("afterItemBatcher", r.after_parameters.as_ref());
                } else if has("ItemSelector") {
                    put("afterItemSelector", r.after_parameters.as_ref());
                }
            }
            _ => {}
        }
    } else {
        match &st.kind {
            Kind::Pass { result: Some(_) } => {
                put("result", r.result.as_ref());
                put("afterResultSelector", r.result.as_ref());
                put("afterResultPath", r.after_result_path.as_ref());
            }
            Kind::Pass { result: None } => {
                put("afterInputPath", r.after_input_path.as_ref());
                put("afterParameters", params);
                put("afterResultSelector", r.result.as_ref());
                put("afterResultPath", r.after_result_path.as_ref());
            }
            Kind::Task(_) | Kind::Parallel { .. } => {
                put("afterInputPath", r.after_input_path.as_ref());
                put("afterParameters", params);
                if r.caught_by.is_none() {
                    put("result", r.result.as_ref());
                    put("afterResultSelector", selected(r).as_ref());
                }
                put("afterResultPath", r.after_result_path.as_ref());
            }
            Kind::Map(_) => {
                put("afterInputPath", r.after_input_path.as_ref());
                put("afterItemsPath", r.items.as_ref());
                if has("ItemBatcher") {
                    put("afterItemBatcher", r.after_parameters.as_ref());
                } else if has("ItemSelector") {
                    put("afterItemSelector", r.after_parameters.as_ref());
                }
                if r.caught_by.is_none() {
                    put("afterResultSelector", selected(r).as_ref());
                }
                put("afterResultPath", r.after_result_path.as_ref());
            }
            // A Fail state has no InputPath: its input is as given.
            _ => put(
                "afterInputPath",
                r.after_input_path.as_ref().or(if has("InputPath") {
                    None
                } else {
                    r.input.as_ref()
                }),
            ),
        }
    }
    if let Some(n) = r.max_concurrency {
        d.insert("maxConcurrency".into(), json!(n as i64));
    }
    if let Some(n) = r.tolerated_count {
        d.insert("toleratedFailureCount".into(), json!(n as i64));
    }
    if let Some(p) = r.tolerated_percentage {
        d.insert("toleratedFailurePercentage".into(), json!(p));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(req: Value) -> Result<Value, Refused> {
        test_state(&Request::from_json(&req)?, &Settings::default())
    }

    fn doc(v: &Value, k: &str) -> Value {
        serde_json::from_str(v[k].as_str().expect("a JSON string")).unwrap()
    }

    #[test]
    fn a_pass_state_shows_each_stage_at_debug() {
        let r = run(json!({
            "definition": r#"{"Type":"Pass","InputPath":"$.a","Parameters":{"x.$":"$.b"},"ResultPath":"$.r","Next":"N"}"#,
            "input": r#"{"a":{"b":1}}"#,
            "inspectionLevel": "DEBUG"
        }))
        .unwrap();
        assert_eq!(r["status"], "SUCCEEDED");
        assert_eq!(r["nextState"], "N");
        assert_eq!(doc(&r, "output"), json!({"a": {"b": 1}, "r": {"x": 1}}));
        let d = &r["inspectionData"];
        assert_eq!(doc(d, "afterInputPath"), json!({"b": 1}));
        assert_eq!(doc(d, "afterParameters"), json!({"x": 1}));
        assert_eq!(
            doc(d, "afterResultPath"),
            json!({"a": {"b": 1}, "r": {"x": 1}})
        );
        // INFO gives no inspection data.
        let info = run(json!({"definition": r#"{"Type":"Pass","End":true}"#})).unwrap();
        assert!(info.get("inspectionData").is_none());
    }

    #[test]
    fn retries_left_make_it_retriable_with_the_backoff_and_none_left_fail_it() {
        let def = r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
            "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3}],"End":true}"#;
        let req = |n: u64| {
            json!({"definition": def, "inspectionLevel": "DEBUG",
                   "mock": {"errorOutput": {"error": "Boom", "cause": "c"}},
                   "stateConfiguration": {"retrierRetryCount": n}})
        };
        let r = run(req(2)).unwrap();
        assert_eq!(r["status"], "RETRIABLE");
        assert_eq!(
            r["inspectionData"]["errorDetails"],
            json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 18})
        );
        let r = run(req(3)).unwrap();
        assert_eq!(r["status"], "FAILED");
        assert_eq!(r["error"], "Boom");
        assert_eq!(
            r["inspectionData"]["errorDetails"],
            json!({"retryIndex": 0})
        );
    }

    #[test]
    fn a_caught_error_names_the_catcher_and_its_next_state() {
        let r = run(json!({
            "definition": r#"{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody":"m"},
                "Catch":[{"ErrorEquals":["Other"],"Next":"A"},{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"B"}],"End":true}"#,
            "input": r#"{"k":1}"#,
            "inspectionLevel": "DEBUG",
            "mock": {"errorOutput": {"error": "Boom", "cause": "why"}}
        }))
        .unwrap();
        assert_eq!(r["status"], "CAUGHT_ERROR");
        assert_eq!(r["nextState"], "B");
        assert_eq!(r["error"], "Boom");
        assert_eq!(
            doc(&r, "output"),
            json!({"k": 1, "err": {"Error": "Boom", "Cause": "why"}})
        );
        assert_eq!(
            r["inspectionData"]["errorDetails"],
            json!({"catchIndex": 1})
        );
    }

    #[test]
    fn a_map_takes_the_mock_as_its_result_and_counts_failed_iterations() {
        let def = r#"{"Type":"Map","ItemsPath":"$.xs","ToleratedFailureCount":1,
            "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}"#;
        let req = |failed: u64| {
            json!({"definition": def, "input": r#"{"xs":[1,2,3]}"#, "inspectionLevel": "DEBUG",
                   "mock": {"result": "[9,9,9]"},
                   "stateConfiguration": {"mapIterationFailureCount": failed}})
        };
        let r = run(req(1)).unwrap();
        assert_eq!(r["status"], "SUCCEEDED");
        assert_eq!(doc(&r, "output"), json!([9, 9, 9]));
        assert_eq!(
            doc(&r["inspectionData"], "afterItemsPath"),
            json!([1, 2, 3])
        );
        assert_eq!(r["inspectionData"]["toleratedFailureCount"], json!(1));
        let r = run(req(2)).unwrap();
        assert_eq!(r["status"], "FAILED");
        assert_eq!(r["error"], "States.ExceedToleratedFailureThreshold");
    }

    #[test]
    fn a_state_of_a_machine_is_named_and_its_choice_decides_the_next_state() {
        let def = r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big"}],"Default":"Small"},
            "Big":{"Type":"Succeed"},"Small":{"Type":"Succeed"}}}"#;
        let r = run(json!({"definition": def, "stateName": "C", "input": r#"{"n":5}"#})).unwrap();
        assert_eq!(r["nextState"], "Big");
        let e = run(json!({"definition": def, "input": "{}"})).unwrap_err();
        assert_eq!(e.name, "ValidationException");
        let e = run(json!({"definition": def, "stateName": "Nope"})).unwrap_err();
        assert!(e.message.contains("Nope"), "{e}");
    }

    /// AWS's own answers (recorded against TestState, November 2025).
    #[test]
    fn a_mocked_result_is_checked_against_the_apis_model_as_its_mode_says() {
        let start = r#"{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"a"},"End":true}"#;
        let with = |result: Value, mode: Option<&str>| {
            let mut mock = json!({"result": result.to_string()});
            if let Some(m) = mode {
                mock["fieldValidationMode"] = json!(m);
            }
            run(json!({"definition": start, "mock": mock}))
        };
        let e = with(json!({}), None).unwrap_err();
        assert_eq!(e.name, "ValidationException");
        assert_eq!(
            e.message,
            "Mock result schema validation error: Required field 'ExecutionArn' is missing"
        );
        let e = with(
            json!({"ExecutionArn": "a", "StartDate": 1764103483}),
            Some("STRICT"),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Mock result schema validation error: Field 'StartDate' must be a string"
        );
        // PRESENT: what is there must be right; NONE: nothing is checked.
        let r = with(json!({"Other": 1}), Some("PRESENT")).unwrap();
        assert_eq!(r["status"], "SUCCEEDED");
        assert_eq!(r["output"], r#"{"Other":1}"#);
        assert!(with(json!({"StartDate": 5}), Some("PRESENT")).is_err());
        assert!(with(json!({"StartDate": 5}), Some("NONE")).is_ok());
        let e = with(json!({}), Some("LAX")).unwrap_err();
        assert!(e.message.contains("[STRICT, PRESENT, NONE]"), "{e}");
        // A state no mock may answer, in AWS's words.
        let e = run(json!({"definition": r#"{"Type":"Pass","End":true}"#,
            "mock": {"result": "{}"}}))
        .unwrap_err();
        assert_eq!(
            e.message,
            "State type 'Pass' is not supported when a mock is specified"
        );
    }

    #[test]
    fn requests_aws_would_refuse_are_refused_with_its_error_names() {
        let task = r#"{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true}"#;
        let e = run(json!({"definition": task})).unwrap_err();
        assert_eq!(e.name, "ValidationException");
        assert!(e.needs_service);
        assert!(e.message.contains("mock"), "{e}");
        let e = run(json!({"definition": r#"{"Type":"Pass","End":true}"#, "input": "{nope"}))
            .unwrap_err();
        assert_eq!(e.name, "InvalidExecutionInput");
        let e = run(json!({"definition": "{\"Type\":\"Pass\",\n\"Bogus\":1,\"End\":true}"}))
            .unwrap_err();
        assert_eq!(e.name, "InvalidDefinition");
        assert!(e.message.starts_with("definition:2:"), "{e}");
        assert!(e.message.contains("(at /Bogus)"), "{e}");
        let e = run(json!({"definition": "{}", "inspectionLevel": "LOUD"})).unwrap_err();
        assert_eq!(e.name, "ValidationException");
        let e = Request::from_json(&json!({"definition": "{}", "stateNme": "x"})).unwrap_err();
        assert!(e.message.contains("stateNme"), "{e}");
        // ItemReader data past AWS's 262,144 characters: refused before it is read.
        let e = Request::from_json(&json!({"definition": "{}",
            "stateConfiguration": {"mapItemReaderData": "a,b\n".repeat(70_000)}}))
        .unwrap_err();
        assert_eq!(e.name, "ValidationException");
        assert!(
            e.message
                .contains("less than or equal to 262144 (it has 280000)"),
            "{e}"
        );
    }

    #[test]
    fn the_context_given_is_the_whole_context_object() {
        let r = run(json!({
            "definition": r#"{"Type":"Pass","Parameters":{"c.$":"$$"},"End":true}"#,
            "context": r#"{"Execution":{"Name":"x"}}"#
        }))
        .unwrap();
        assert_eq!(
            doc(&r, "output"),
            json!({"c": {"Execution": {"Name": "x"}}})
        );
    }
}
