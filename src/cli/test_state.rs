//! `asldbg test-state`: AWS's TestState API offline.

use asldbg::testing::test_state::{test_state, Request, Settings};
use asldbg::{errln, outln};
use clap::Args;
use serde_json::{json, Value};
use std::process::ExitCode;

/// The request: from `--cli-input-json` (the JSON `aws stepfunctions
/// test-state` takes), then the flags (which win).
#[derive(Args)]
pub struct TestStateArgs {
    /// The request as the AWS CLI takes it: a file (or `file://FILE`), or
    /// the JSON itself.
    #[arg(long = "cli-input-json", value_name = "REQUEST")]
    cli_input_json: Option<String>,
    /// The state, or a state machine (with --state): a file (or
    /// `file://FILE`), or the JSON itself.
    #[arg(long, value_name = "DEFINITION")]
    definition: Option<String>,
    /// The state to test in a state machine definition.
    #[arg(long = "state", alias = "state-name", value_name = "NAME")]
    state: Option<String>,
    /// The state's input: a file (or `file://FILE`), or the JSON itself.
    #[arg(long, value_name = "JSON")]
    input: Option<String>,
    /// INFO (status and output), DEBUG (and the value after each stage)
    /// or TRACE.
    #[arg(long = "inspection-level", value_name = "LEVEL")]
    inspection_level: Option<String>,
    /// What the state's task gives (a Map's or Parallel's result), as JSON.
    #[arg(long = "mock-result", value_name = "JSON")]
    mock_result: Option<String>,
    /// How the mocked result is checked against the API's output shape:
    /// STRICT (the default: required fields too), PRESENT or NONE.
    #[arg(long = "field-validation-mode", value_name = "MODE")]
    field_validation_mode: Option<String>,
    /// The error the state's task fails with.
    #[arg(long = "mock-error", value_name = "ERROR")]
    mock_error: Option<String>,
    /// The cause of the mocked error.
    #[arg(long = "mock-cause", value_name = "CAUSE")]
    mock_cause: Option<String>,
    /// The variables the state sees, a JSON object.
    #[arg(long, value_name = "JSON")]
    variables: Option<String>,
    /// The context object (`$$`) the state sees, a JSON object.
    #[arg(long, value_name = "JSON")]
    context: Option<String>,
    /// Retries already made by the retrier that matches the error.
    #[arg(long = "retrier-retry-count", value_name = "N")]
    retrier_retry_count: Option<u64>,
    /// The state inside a Map or Parallel the mocked error comes from.
    #[arg(long = "error-caused-by-state", value_name = "NAME")]
    error_caused_by_state: Option<String>,
    /// Map iterations that failed.
    #[arg(long = "map-iteration-failure-count", value_name = "N")]
    map_iteration_failure_count: Option<u64>,
    /// What a Map's ItemReader reads, as in its source.
    #[arg(long = "map-item-reader-data", value_name = "DATA")]
    map_item_reader_data: Option<String>,
}

/// A value given on the command line: `file://PATH` or a path that exists
/// is read; anything else is the value itself.
fn given(what: &str, v: &str) -> Result<String, String> {
    let path = v.strip_prefix("file://");
    let looks_inline = v.trim_start().starts_with(['{', '[', '"']);
    // Read as every input file is: capped, and only a regular file (a
    // FIFO would wait for a writer).
    let read = |p: &str| {
        asldbg::asl::read_text_capped(p, asldbg::asl::MAX_DOCUMENT_BYTES)
            .map_err(|e| format!("{what}: {e}"))
    };
    match path {
        Some(p) => read(p),
        None if !looks_inline && std::path::Path::new(v).is_file() => read(v),
        None => Ok(v.to_string()),
    }
}

fn request(a: &TestStateArgs) -> Result<Request, String> {
    let mut base = match &a.cli_input_json {
        Some(v) => {
            let text = given("--cli-input-json", v)?;
            // Read as asldbg reads every document: a key given twice is an
            // error at its place (serde_json alone kept the last silently).
            asldbg::asl::parse_document(&text, "request.json")
                .map_err(|e| {
                    let e = asldbg::asl::LoadError {
                        file: "--cli-input-json".into(),
                        ..e
                    };
                    e.to_string()
                })?
                .value
        }
        None => json!({}),
    };
    let Some(obj) = base.as_object_mut() else {
        return Err("--cli-input-json: the request must be a JSON object".into());
    };
    let mut set = |k: &str, v: Value| {
        obj.insert(k.into(), v);
    };
    if let Some(d) = &a.definition {
        set("definition", json!(given("--definition", d)?));
    }
    if let Some(s) = &a.state {
        set("stateName", json!(s));
    }
    if let Some(i) = &a.input {
        set("input", json!(given("--input", i)?));
    }
    if let Some(l) = &a.inspection_level {
        set("inspectionLevel", json!(l.to_ascii_uppercase()));
    }
    if let Some(v) = &a.variables {
        set("variables", json!(given("--variables", v)?));
    }
    if let Some(c) = &a.context {
        set("context", json!(given("--context", c)?));
    }
    let mut mock = obj.get("mock").cloned().unwrap_or(json!({}));
    // A flag's mock replaces the request's.
    if let Some(r) = &a.mock_result {
        mock = json!({"result": given("--mock-result", r)?});
    }
    if a.mock_error.is_some() || a.mock_cause.is_some() {
        mock = json!({"errorOutput": {"error": a.mock_error, "cause": a.mock_cause}});
    }
    if let Some(m) = &a.field_validation_mode {
        mock["fieldValidationMode"] = json!(m.to_ascii_uppercase());
    }
    if mock.as_object().is_some_and(|m| !m.is_empty()) {
        obj.insert("mock".into(), mock);
    }
    let mut conf = obj.get("stateConfiguration").cloned().unwrap_or(json!({}));
    if let Some(n) = a.retrier_retry_count {
        conf["retrierRetryCount"] = json!(n);
    }
    if let Some(s) = &a.error_caused_by_state {
        conf["errorCausedByState"] = json!(s);
    }
    if let Some(n) = a.map_iteration_failure_count {
        conf["mapIterationFailureCount"] = json!(n);
    }
    if let Some(d) = &a.map_item_reader_data {
        conf["mapItemReaderData"] = json!(given("--map-item-reader-data", d)?);
    }
    if conf.as_object().is_some_and(|m| !m.is_empty()) {
        obj.insert("stateConfiguration".into(), conf);
    }
    Request::from_json(&base).map_err(|e| e.to_string())
}

/// Print AWS's response (exit 0 whatever the status), or the error AWS
/// would give the request (exit 2).
pub fn run(a: TestStateArgs) -> ExitCode {
    let req = match request(&a) {
        Ok(r) => r,
        Err(e) => {
            errln!("asldbg: {e}");
            return ExitCode::from(2);
        }
    };
    match test_state(&req, &Settings::default()) {
        Ok(resp) => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&resp).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("asldbg: {e}");
            ExitCode::from(2)
        }
    }
}
