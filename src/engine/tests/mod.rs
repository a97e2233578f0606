//! Engine semantics, each pinned by a small machine: the helpers here,
//! the tests by theme in the files beside.

use super::task::{TaskOutcome, TaskRequest, TaskRunner};
use super::*;
use crate::asl::Definition;
use serde_json::{json, Value};

mod concurrency;
mod data_flow;
mod limits;
mod recovery;

/// Answers tasks from a script: state name -> outcomes in call order.
struct Script(Vec<(&'static str, TaskOutcome)>);

impl TaskRunner for Script {
    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        match self.0.iter().position(|(s, _)| *s == req.state) {
            Some(i) => self.0.remove(i).1,
            None => TaskOutcome::failed("NoScript", req.state.to_string()),
        }
    }
}

fn ok(v: Value) -> TaskOutcome {
    TaskOutcome::Succeeded(Val::from(v))
}

fn fail(e: &str) -> TaskOutcome {
    TaskOutcome::failed(e, format!("{e} happened"))
}

fn exec(def: Value, input: Value, script: Vec<(&'static str, TaskOutcome)>) -> Execution {
    exec_with(def, input, script, Options::default())
}

fn exec_with(
    def: Value,
    input: Value,
    script: Vec<(&'static str, TaskOutcome)>,
    opts: Options,
) -> Execution {
    let d = Definition::from_value(&def).unwrap_or_else(|e| panic!("invalid test machine: {e:?}"));
    Execution::new(
        Arc::new(d),
        Val::from(input),
        Box::new(Script(script)),
        opts,
    )
}

fn run(def: Value, input: Value, script: Vec<(&'static str, TaskOutcome)>) -> Execution {
    let mut ex = exec(def, input, script);
    ex.run();
    ex
}

fn types(ex: &Execution) -> Vec<&'static str> {
    ex.history().iter().map(|e| e.event_type.as_str()).collect()
}

fn out(ex: &Execution) -> Value {
    ex.output().map(Val::to_json).unwrap_or(Value::Null)
}
