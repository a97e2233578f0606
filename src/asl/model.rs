//! The typed model of a state machine definition, parsed by hand from a JSON
//! value (so numbers keep their written form) and validated as a whole: every
//! problem is reported with its JSON pointer, none stops the others.

use super::choice::{self, Rule};
use super::jsonata::{Expr, JTemplate};
use super::jsonpath::Path;
use super::template::Template;
use super::timestamp::parse_timestamp;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

pub type MachineId = usize;
pub type StateId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    Jsonata,
}

/// One problem in a definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub pointer: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Definition {
    /// `machines[0]` is the top-level machine; branches and item processors follow.
    pub machines: Vec<Machine>,
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    pub comment: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Machine {
    pub start_at: StateId,
    pub states: Vec<State>,
    pub by_name: HashMap<String, StateId>,
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputSel {
    /// `$` (the default): everything.
    All,
    /// `null`: `{}`.
    Nothing,
    Path(Path),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResultSel {
    /// `$` (the default): the result replaces the input.
    Replace,
    /// `null`: the result is discarded.
    Discard,
    At(Path),
}

/// A number given literally, read from a path, or (JSONata) an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum NumSpec {
    Fixed(Value),
    Path(Path),
    Expr(Box<Expr>),
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub errors: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub jitter_full: bool,
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub errors: Vec<String>,
    pub next: StateId,
    pub result_path: ResultSel,
    pub assign: Option<Template>,
    pub assign_raw: Option<Value>,
    pub assign_j: Option<JTemplate>,
    pub output: Option<JTemplate>,
}

#[derive(Debug, Clone)]
pub enum Condition {
    Rule(Rule),
    /// A JSONata `{% ... %}` condition (evaluated by the JSONata adapter).
    Jsonata(Box<Expr>),
}

#[derive(Debug, Clone)]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: StateId,
    pub assign: Option<Template>,
    pub assign_raw: Option<Value>,
    pub assign_j: Option<JTemplate>,
    pub output: Option<JTemplate>,
    pub raw: Value,
}

#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub resource: String,
    pub timeout: Option<NumSpec>,
    pub heartbeat: Option<NumSpec>,
    pub credentials: Option<Value>,
}

#[derive(Debug, Clone)]
pub enum WaitSpec {
    Seconds(NumSpec),
    Timestamp(String),
    TimestampPath(Path),
    TimestampExpr(Box<Expr>),
}

#[derive(Debug, Clone)]
pub enum FailField {
    None,
    Literal(String),
    Path(Template),
    Expr(Box<Expr>),
}

#[derive(Debug, Clone)]
pub struct MapSpec {
    pub processor: MachineId,
    pub distributed: bool,
    pub items_path: Option<Path>,
    pub items: Option<JTemplate>,
    pub item_selector: Option<Template>,
    pub item_selector_raw: Option<Value>,
    pub item_selector_j: Option<JTemplate>,
    pub max_concurrency: Option<NumSpec>,
    pub tolerated_count: Option<NumSpec>,
    pub tolerated_percentage: Option<NumSpec>,
    pub label: Option<String>,
    pub item_reader: Option<ItemReader>,
    pub item_batcher: Option<ItemBatcher>,
    pub result_writer: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct ItemReader {
    pub resource: String,
    pub parameters: Option<Template>,
    pub arguments: Option<JTemplate>,
    pub input_type: Option<String>,
    pub csv_header_location: Option<String>,
    pub csv_headers: Option<Vec<String>>,
    pub csv_delimiter: Option<String>,
    pub max_items: Option<NumSpec>,
    pub raw: Value,
}

#[derive(Debug, Clone)]
pub struct ItemBatcher {
    pub max_items: Option<NumSpec>,
    pub max_bytes: Option<NumSpec>,
    pub batch_input: Option<Template>,
    pub batch_input_raw: Option<Value>,
    pub batch_input_j: Option<JTemplate>,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Pass {
        result: Option<super::value::Val>,
    },
    Task(TaskSpec),
    Choice {
        choices: Vec<ChoiceRule>,
        default: Option<StateId>,
    },
    Wait(WaitSpec),
    Succeed,
    Fail {
        error: FailField,
        cause: FailField,
    },
    Parallel {
        branches: Vec<MachineId>,
    },
    Map(Box<MapSpec>),
}

#[derive(Debug, Clone)]
pub struct State {
    pub name: std::sync::Arc<str>,
    pub pointer: String,
    pub type_name: String,
    pub query_language: QueryLanguage,
    pub raw: Value,
    pub next: Option<StateId>,
    pub end: bool,
    pub input_path: InputSel,
    pub output_path: InputSel,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultSel,
    pub assign: Option<Template>,
    pub assign_raw: Option<Value>,
    pub assign_j: Option<JTemplate>,
    pub arguments: Option<JTemplate>,
    pub output: Option<JTemplate>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub kind: Kind,
}

impl State {
    pub fn is_jsonata(&self) -> bool {
        self.query_language == QueryLanguage::Jsonata
    }
}

impl Definition {
    pub fn machine(&self, id: MachineId) -> &Machine {
        &self.machines[id]
    }

    /// The state with this name, in whichever machine (top level, branch or
    /// item processor) holds it: state names are unique in a definition.
    pub fn find(&self, name: &str) -> Option<(MachineId, StateId)> {
        self.machines
            .iter()
            .enumerate()
            .find_map(|(m, mc)| mc.by_name.get(name).map(|s| (m, *s)))
    }

    /// Parse and validate. All problems are returned at once.
    pub fn from_value(v: &Value) -> Result<Definition, Vec<Diagnostic>> {
        let mut b = Builder {
            diags: Vec::new(),
            machines: Vec::new(),
            all_names: HashMap::new(),
            labels: HashSet::new(),
        };
        let Some(top) = v.as_object() else {
            return Err(vec![Diagnostic {
                pointer: String::new(),
                message: "a state machine definition must be a JSON object".into(),
            }]);
        };
        for k in top.keys() {
            if ![
                "StartAt",
                "States",
                "Comment",
                "Version",
                "TimeoutSeconds",
                "QueryLanguage",
            ]
            .contains(&k.as_str())
            {
                b.err(&format!("/{k}"), format!("unknown top-level field '{k}'"));
            }
        }
        let ql = match top.get("QueryLanguage") {
            None => QueryLanguage::JsonPath,
            Some(Value::String(s)) if s == "JSONPath" => QueryLanguage::JsonPath,
            Some(Value::String(s)) if s == "JSONata" => QueryLanguage::Jsonata,
            Some(_) => {
                b.err(
                    "/QueryLanguage",
                    "QueryLanguage must be \"JSONPath\" or \"JSONata\"".into(),
                );
                QueryLanguage::JsonPath
            }
        };
        if let Some(ver) = top.get("Version") {
            if ver != "1.0" {
                b.err("/Version", "Version must be \"1.0\"".into());
            }
        }
        let timeout_seconds = match top.get("TimeoutSeconds") {
            None => None,
            Some(t) => match t.as_u64() {
                Some(n) if n > 0 => Some(n),
                _ => {
                    b.err(
                        "/TimeoutSeconds",
                        "TimeoutSeconds must be a positive integer".into(),
                    );
                    None
                }
            },
        };
        let comment = top
            .get("Comment")
            .and_then(|c| c.as_str())
            .map(str::to_string);
        b.machine(top, "", ql);
        let scope_diags = scope_diagnostics(&b.machines);
        b.diags.extend(scope_diags);
        if b.diags.is_empty() {
            Ok(Definition {
                machines: b.machines,
                timeout_seconds,
                query_language: ql,
                comment,
            })
        } else {
            Err(b.diags)
        }
    }
}

struct Builder {
    diags: Vec<Diagnostic>,
    machines: Vec<Machine>,
    all_names: HashMap<String, String>,
    labels: HashSet<String>,
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn allowed(type_name: &str, ql: QueryLanguage) -> Option<Vec<&'static str>> {
    let jp = ql == QueryLanguage::JsonPath;
    let mut f: Vec<&str> = COMMON.to_vec();
    let flow = ["Next", "End"];
    let paths = ["InputPath", "OutputPath"];
    match type_name {
        "Pass" => {
            f.extend(flow);
            f.push("Assign");
            if jp {
                f.extend(paths);
                f.extend(["Parameters", "Result", "ResultPath"]);
            } else {
                f.push("Output");
            }
        }
        "Task" => {
            f.extend(flow);
            f.extend([
                "Resource",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Credentials",
                "Assign",
            ]);
            if jp {
                f.extend(paths);
                f.extend([
                    "Parameters",
                    "ResultSelector",
                    "ResultPath",
                    "TimeoutSecondsPath",
                    "HeartbeatSecondsPath",
                ]);
            } else {
                f.extend(["Arguments", "Output"]);
            }
        }
        "Choice" => {
            f.extend(["Choices", "Default", "Assign"]);
            if jp {
                f.extend(paths);
            } else {
                f.push("Output");
            }
        }
        "Wait" => {
            f.extend(flow);
            f.extend(["Seconds", "Timestamp", "Assign"]);
            if jp {
                f.extend(paths);
                f.extend(["SecondsPath", "TimestampPath"]);
            } else {
                f.push("Output");
            }
        }
        "Succeed" => {
            if jp {
                f.extend(paths);
            } else {
                f.push("Output");
            }
        }
        "Fail" => {
            f.extend(["Error", "Cause"]);
            if jp {
                f.extend(["ErrorPath", "CausePath"]);
            }
        }
        "Parallel" => {
            f.extend(flow);
            f.extend(["Branches", "Retry", "Catch", "Assign"]);
            if jp {
                f.extend(paths);
                f.extend(["Parameters", "ResultSelector", "ResultPath"]);
            } else {
                f.extend(["Arguments", "Output"]);
            }
        }
        "Map" => {
            f.extend(flow);
            f.extend([
                "Retry",
                "Catch",
                "Assign",
                "ItemProcessor",
                "Iterator",
                "ItemSelector",
                "MaxConcurrency",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "Label",
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
            ]);
            if jp {
                f.extend(paths);
                f.extend([
                    "Parameters",
                    "ResultSelector",
                    "ResultPath",
                    "ItemsPath",
                    "MaxConcurrencyPath",
                    "ToleratedFailureCountPath",
                    "ToleratedFailurePercentagePath",
                ]);
            } else {
                f.extend(["Items", "Output"]);
            }
        }
        _ => return None,
    }
    Some(f)
}

/// Fields that exist only in the other query language, for a precise message.
fn other_language_field(name: &str, ql: QueryLanguage) -> bool {
    match ql {
        QueryLanguage::Jsonata => [
            "InputPath",
            "OutputPath",
            "Parameters",
            "Result",
            "ResultSelector",
            "ResultPath",
            "ItemsPath",
            "SecondsPath",
            "TimestampPath",
            "TimeoutSecondsPath",
            "HeartbeatSecondsPath",
            "ErrorPath",
            "CausePath",
            "MaxConcurrencyPath",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentagePath",
        ]
        .contains(&name),
        QueryLanguage::JsonPath => ["Arguments", "Output", "Items", "Condition"].contains(&name),
    }
}

/// Optimised service integrations (`arn:aws:states:::service:action`) and the
/// actions AWS recognises for each; `aws-sdk:*` accepts any action.
const INTEGRATIONS: &[(&str, &[&str])] = &[
    ("lambda", &["invoke"]),
    (
        "dynamodb",
        &["getItem", "putItem", "deleteItem", "updateItem"],
    ),
    ("sns", &["publish"]),
    ("sqs", &["sendMessage"]),
    ("states", &["startExecution"]),
    ("events", &["putEvents"]),
    ("ecs", &["runTask"]),
    ("batch", &["submitJob"]),
    ("glue", &["startJobRun"]),
    ("glue-databrew", &["startJobRun"]),
    ("apigateway", &["invoke"]),
    ("http", &["invoke"]),
    ("s3", &["getObject", "listObjectsV2", "putObject"]),
    ("bedrock", &["invokeModel", "createModelCustomizationJob"]),
    ("mediaconvert", &["createJob"]),
    (
        "athena",
        &[
            "startQueryExecution",
            "stopQueryExecution",
            "getQueryExecution",
            "getQueryResults",
        ],
    ),
    (
        "codebuild",
        &[
            "startBuild",
            "stopBuild",
            "batchDeleteBuilds",
            "batchGetReports",
            "startBuildBatch",
        ],
    ),
    (
        "eks",
        &[
            "createCluster",
            "deleteCluster",
            "createFargateProfile",
            "deleteFargateProfile",
            "createNodegroup",
            "deleteNodegroup",
            "runJob",
            "call",
        ],
    ),
    (
        "emr",
        &[
            "createCluster",
            "terminateCluster",
            "addStep",
            "cancelStep",
            "setClusterTerminationProtection",
            "modifyInstanceFleetByName",
            "modifyInstanceGroupByName",
        ],
    ),
    (
        "emr-containers",
        &[
            "startJobRun",
            "createVirtualCluster",
            "deleteVirtualCluster",
        ],
    ),
    (
        "emr-serverless",
        &[
            "createApplication",
            "startApplication",
            "stopApplication",
            "deleteApplication",
            "startJobRun",
            "cancelJobRun",
        ],
    ),
    (
        "sagemaker",
        &[
            "createTrainingJob",
            "createTransformJob",
            "createModel",
            "createEndpoint",
            "createEndpointConfig",
            "createHyperParameterTuningJob",
            "createLabelingJob",
            "createProcessingJob",
            "updateEndpoint",
        ],
    ),
];

/// Check a Task's Resource when it names an optimised integration.
fn check_resource(resource: &str) -> Result<(), String> {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.len() < 6
        || parts[0] != "arn"
        || parts[2] != "states"
        || !parts[3].is_empty()
        || !parts[4].is_empty()
    {
        return Ok(());
    }
    let rest = parts[5];
    let base = rest
        .split(".sync")
        .next()
        .unwrap_or(rest)
        .trim_end_matches(".waitForTaskToken");
    if base.starts_with("aws-sdk:") {
        return Ok(());
    }
    let (service, action) = base.split_once(':').unwrap_or((base, ""));
    match INTEGRATIONS.iter().find(|(s, _)| *s == service) {
        Some((_, actions)) if actions.contains(&action) => Ok(()),
        _ => Err(format!("The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.")),
    }
}

/// Problems that only an EXPRESS state machine has: activities, `.sync` and
/// `.waitForTaskToken` integrations are not supported there.
pub fn express_diagnostics(def: &Definition) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for m in &def.machines {
        for st in &m.states {
            if let Kind::Task(t) = &st.kind {
                let p = format!("{}/Resource", st.pointer);
                if t.resource.contains(":activity:") {
                    out.push(Diagnostic {
                        pointer: p,
                        message: "Express state machine does not support Activity ARN".into(),
                    });
                } else if t.resource.contains(".sync") {
                    out.push(Diagnostic {
                        pointer: p,
                        message:
                            "Express state machine does not support '.sync' service integration"
                                .into(),
                    });
                } else if t.resource.ends_with(".waitForTaskToken") {
                    out.push(Diagnostic {
                        pointer: p,
                        message: "Express state machine does not support '.waitForTaskToken' service integration".into(),
                    });
                }
            }
        }
    }
    out
}

/// Names a state assigns (Assign on the state, its catchers and its rules).
fn assigned_names(st: &State) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |raw: &Option<Value>, ptr: String| {
        if let Some(Value::Object(o)) = raw {
            for k in o.keys() {
                out.push((
                    k.trim_end_matches(".$").to_string(),
                    format!("{ptr}/{}", tok(k)),
                ));
            }
        }
    };
    add(&st.assign_raw, format!("{}/Assign", st.pointer));
    for (i, c) in st.catch.iter().enumerate() {
        add(&c.assign_raw, format!("{}/Catch/{i}/Assign", st.pointer));
    }
    if let Kind::Choice { choices, .. } = &st.kind {
        for (i, c) in choices.iter().enumerate() {
            add(&c.assign_raw, format!("{}/Choices/{i}/Assign", st.pointer));
        }
    }
    out
}

/// Branches and inline iterations read the variables of the scopes around
/// them but may not assign them (a Distributed Map's children are separate
/// executions and see none).
fn scope_diagnostics(machines: &[Machine]) -> Vec<Diagnostic> {
    // parent[m] = (enclosing machine, whether the boundary is a Distributed Map)
    let mut parent: Vec<Option<(MachineId, bool)>> = vec![None; machines.len()];
    for (mi, m) in machines.iter().enumerate() {
        for st in &m.states {
            match &st.kind {
                Kind::Parallel { branches } => {
                    branches.iter().for_each(|b| parent[*b] = Some((mi, false)))
                }
                Kind::Map(spec) => parent[spec.processor] = Some((mi, spec.distributed)),
                _ => {}
            }
        }
    }
    let names: Vec<Vec<(String, String)>> = machines
        .iter()
        .map(|m| m.states.iter().flat_map(assigned_names).collect())
        .collect();
    let mut out = Vec::new();
    for (mi, own) in names.iter().enumerate() {
        for (name, ptr) in own {
            let mut cur = parent[mi];
            while let Some((outer, distributed)) = cur {
                if distributed {
                    break;
                }
                if names[outer].iter().any(|(n, _)| n == name) {
                    out.push(Diagnostic {
                        pointer: ptr.clone(),
                        message: format!("the variable ${name} belongs to an enclosing scope: a Parallel branch or Map iteration may read it but not assign it"),
                    });
                    break;
                }
                cur = parent[outer];
            }
        }
    }
    out
}

pub fn is_jsonata_expr(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

fn tok(s: &str) -> String {
    super::json::pointer_token(s)
}

impl Builder {
    fn err(&mut self, pointer: &str, message: String) {
        self.diags.push(Diagnostic {
            pointer: pointer.to_string(),
            message,
        });
    }

    /// Compile a JSONata template (a value with `{% %}` strings) or report where it fails.
    fn jt(&mut self, v: Option<&Value>, p: &str) -> Option<JTemplate> {
        match JTemplate::compile(v?) {
            Ok(t) => Some(t),
            Err(errs) => {
                for (sub, m) in errs {
                    self.err(
                        &format!("{p}{sub}"),
                        format!("invalid JSONata expression: {m}"),
                    );
                }
                None
            }
        }
    }

    fn jexpr(&mut self, s: &str, p: &str) -> Option<Box<Expr>> {
        match Expr::parse(s) {
            Ok(e) => Some(Box::new(e)),
            Err(m) => {
                self.err(p, format!("invalid JSONata expression: {m}"));
                None
            }
        }
    }

    fn machine(&mut self, obj: &Map<String, Value>, ptr: &str, ql: QueryLanguage) -> MachineId {
        let id = self.machines.len();
        self.machines.push(Machine {
            start_at: 0,
            states: Vec::new(),
            by_name: HashMap::new(),
            pointer: ptr.to_string(),
        });
        // Borrowed, not copied: a copy here copied every nested machine
        // once per level it is nested in.
        let empty = Map::new();
        let states_obj = match obj.get("States") {
            Some(Value::Object(o)) if !o.is_empty() => o,
            Some(_) => {
                self.err(
                    &format!("{ptr}/States"),
                    "States must be a non-empty object".into(),
                );
                &empty
            }
            None => {
                self.err(ptr, "missing required field 'States'".into());
                &empty
            }
        };
        let mut by_name = HashMap::new();
        for (i, name) in states_obj.keys().enumerate() {
            by_name.insert(name.clone(), i);
            let sp = format!("{ptr}/States/{}", tok(name));
            if name.is_empty() || name.chars().count() > 80 {
                self.err(
                    &sp,
                    format!("state name '{name}' must have 1 to 80 characters"),
                );
            }
            if let Some(prev) = self.all_names.insert(name.clone(), sp.clone()) {
                self.err(
                    &sp,
                    format!("duplicate state name '{name}' (also at {prev})"),
                );
            }
        }
        self.machines[id].by_name = by_name.clone();
        let start_at = match obj.get("StartAt") {
            Some(Value::String(s)) => match by_name.get(s) {
                Some(i) => *i,
                None => {
                    self.err(
                        &format!("{ptr}/StartAt"),
                        format!("StartAt '{s}' does not name a state in this States block"),
                    );
                    0
                }
            },
            Some(_) => {
                self.err(&format!("{ptr}/StartAt"), "StartAt must be a string".into());
                0
            }
            None => {
                self.err(ptr, "missing required field 'StartAt'".into());
                0
            }
        };
        let mut states = Vec::new();
        for (name, sv) in states_obj {
            let sp = format!("{ptr}/States/{}", tok(name));
            states.push(self.state(name, sv, &sp, ql, &by_name));
        }
        // Reachability from StartAt.
        if !states.is_empty() && states.len() == states_obj.len() {
            let mut seen = vec![false; states.len()];
            let mut todo = vec![start_at];
            while let Some(i) = todo.pop() {
                if i >= seen.len() || seen[i] {
                    continue;
                }
                seen[i] = true;
                let s: &State = &states[i];
                todo.extend(s.next);
                todo.extend(s.catch.iter().map(|c| c.next));
                if let Kind::Choice { choices, default } = &s.kind {
                    todo.extend(choices.iter().map(|c| c.next));
                    todo.extend(*default);
                }
            }
            for (i, s) in states.iter().enumerate() {
                if !seen[i] {
                    self.err(
                        &s.pointer,
                        format!("state '{}' is not reachable from StartAt", s.name),
                    );
                }
            }
        }
        let m = &mut self.machines[id];
        m.start_at = start_at;
        m.states = states;
        id
    }

    fn target(
        &mut self,
        v: Option<&Value>,
        ptr: &str,
        what: &str,
        names: &HashMap<String, StateId>,
    ) -> Option<StateId> {
        match v? {
            Value::String(s) => match names.get(s) {
                Some(i) => Some(*i),
                None => {
                    self.err(
                        ptr,
                        format!("{what} '{s}' does not name a state in the same States block"),
                    );
                    None
                }
            },
            _ => {
                self.err(ptr, format!("{what} must be a string"));
                None
            }
        }
    }

    fn input_sel(&mut self, o: &Map<String, Value>, f: &str, ptr: &str) -> InputSel {
        match o.get(f) {
            None => InputSel::All,
            Some(Value::Null) => InputSel::Nothing,
            Some(Value::String(s)) => match Path::parse(s) {
                Ok(p) if p.is_root() => InputSel::All,
                Ok(p) => InputSel::Path(p),
                Err(e) => {
                    self.err(&format!("{ptr}/{f}"), e);
                    InputSel::All
                }
            },
            Some(_) => {
                self.err(
                    &format!("{ptr}/{f}"),
                    format!("{f} must be a string or null"),
                );
                InputSel::All
            }
        }
    }

    fn ref_path(&mut self, v: &Value, p: &str, f: &str) -> Option<Path> {
        match v.as_str().map(Path::parse_reference) {
            Some(Ok(path)) => Some(path),
            Some(Err(e)) => {
                self.err(p, e);
                None
            }
            None => {
                self.err(p, format!("{f} must be a reference path string"));
                None
            }
        }
    }

    fn template(&mut self, v: &Value, p: &str) -> Option<Template> {
        match Template::compile(v) {
            Ok(t) => Some(t),
            Err(errs) => {
                for (sub, m) in errs {
                    self.err(&format!("{p}{sub}"), m);
                }
                None
            }
        }
    }

    /// A numeric field with its `Path` variant (and JSONata expression form).
    /// AWS's bound on a literal Seconds / TimeoutSeconds / HeartbeatSeconds.
    fn at_most_99999999(&mut self, spec: &Option<NumSpec>, ptr: &str, f: &str) {
        if let Some(NumSpec::Fixed(v)) = spec {
            if v.as_u64().is_some_and(|n| n > 99_999_999) {
                self.err(ptr, format!("{f} must be at most 99999999"));
            }
        }
    }

    fn num_spec(
        &mut self,
        o: &Map<String, Value>,
        f: &str,
        ptr: &str,
        ql: QueryLanguage,
        pct: bool,
    ) -> Option<NumSpec> {
        let pf = format!("{f}Path");
        if o.contains_key(f) && o.contains_key(&pf) {
            self.err(
                &format!("{ptr}/{f}"),
                format!("{f} and {pf} are mutually exclusive"),
            );
        }
        if let Some(v) = o.get(f) {
            if let Some(s) = v.as_str() {
                if ql == QueryLanguage::Jsonata && is_jsonata_expr(s) {
                    return self.jexpr(s, &format!("{ptr}/{f}")).map(NumSpec::Expr);
                }
            }
            let ok = if pct {
                v.as_f64().is_some_and(|x| (0.0..=100.0).contains(&x))
            } else {
                v.as_u64().is_some()
            };
            if !ok {
                self.err(
                    &format!("{ptr}/{f}"),
                    format!(
                        "{f} must be a {}",
                        if pct {
                            "number from 0 to 100"
                        } else {
                            "non-negative integer"
                        }
                    ),
                );
                return None;
            }
            return Some(NumSpec::Fixed(v.clone()));
        }
        if let Some(v) = o.get(&pf) {
            return self
                .ref_path(v, &format!("{ptr}/{pf}"), &pf)
                .map(NumSpec::Path);
        }
        None
    }

    fn fail_field(
        &mut self,
        o: &Map<String, Value>,
        f: &str,
        ptr: &str,
        ql: QueryLanguage,
    ) -> FailField {
        let pf = format!("{f}Path");
        if o.contains_key(f) && o.contains_key(&pf) {
            self.err(
                &format!("{ptr}/{f}"),
                format!("{f} and {pf} are mutually exclusive"),
            );
        }
        match (o.get(f), o.get(&pf)) {
            (Some(Value::String(s)), _) if ql == QueryLanguage::Jsonata && is_jsonata_expr(s) => {
                self.jexpr(s, &format!("{ptr}/{f}"))
                    .map(FailField::Expr)
                    .unwrap_or(FailField::None)
            }
            (Some(Value::String(s)), _) => FailField::Literal(s.clone()),
            (Some(_), _) => {
                self.err(&format!("{ptr}/{f}"), format!("{f} must be a string"));
                FailField::None
            }
            (None, Some(Value::String(s))) => match super::template::compile_expr(s) {
                Ok(t) => FailField::Path(t),
                Err(e) => {
                    self.err(&format!("{ptr}/{pf}"), e);
                    FailField::None
                }
            },
            (None, Some(_)) => {
                self.err(&format!("{ptr}/{pf}"), format!("{pf} must be a string"));
                FailField::None
            }
            (None, None) => FailField::None,
        }
    }

    fn error_list(&mut self, v: Option<&Value>, ptr: &str, last: bool) -> Vec<String> {
        let list: Vec<String> = match v {
            Some(Value::Array(a)) if !a.is_empty() && a.iter().all(|x| x.is_string()) => {
                a.iter().map(|x| x.as_str().unwrap().to_string()).collect()
            }
            _ => {
                self.err(
                    &format!("{ptr}/ErrorEquals"),
                    "ErrorEquals must be a non-empty array of strings".into(),
                );
                return Vec::new();
            }
        };
        if list.iter().any(|e| e == "States.ALL") && (list.len() > 1 || !last) {
            self.err(
                &format!("{ptr}/ErrorEquals"),
                "States.ALL must appear alone and in the last retrier or catcher".into(),
            );
        }
        list
    }

    fn state(
        &mut self,
        name: &str,
        sv: &Value,
        sp: &str,
        parent_ql: QueryLanguage,
        names: &HashMap<String, StateId>,
    ) -> State {
        let empty = Map::new();
        let o = match sv.as_object() {
            Some(o) => o,
            None => {
                self.err(sp, format!("state '{name}' must be an object"));
                &empty
            }
        };
        let type_name = match o.get("Type") {
            Some(Value::String(t)) => t.clone(),
            Some(_) => {
                self.err(&format!("{sp}/Type"), "Type must be a string".into());
                String::new()
            }
            None => {
                self.err(sp, format!("state '{name}' has no Type"));
                String::new()
            }
        };
        let ql = match o.get("QueryLanguage") {
            None => parent_ql,
            Some(Value::String(s)) if s == "JSONPath" => {
                if parent_ql == QueryLanguage::Jsonata {
                    self.err(
                        &format!("{sp}/QueryLanguage"),
                        "a JSONPath state is not allowed in a JSONata state machine".into(),
                    );
                }
                QueryLanguage::JsonPath
            }
            Some(Value::String(s)) if s == "JSONata" => QueryLanguage::Jsonata,
            Some(_) => {
                self.err(
                    &format!("{sp}/QueryLanguage"),
                    "QueryLanguage must be \"JSONPath\" or \"JSONata\"".into(),
                );
                parent_ql
            }
        };
        match allowed(&type_name, ql) {
            Some(fields) => {
                for k in o.keys() {
                    if !fields.contains(&k.as_str()) {
                        let msg = if other_language_field(k, ql) {
                            format!(
                                "the field '{k}' is not supported in {} states (QueryLanguage {})",
                                if ql == QueryLanguage::Jsonata {
                                    "JSONata"
                                } else {
                                    "JSONPath"
                                },
                                if ql == QueryLanguage::Jsonata {
                                    "JSONata; use Arguments/Output/Assign"
                                } else {
                                    "JSONPath"
                                }
                            )
                        } else {
                            format!("the field '{k}' is not allowed in a {type_name} state")
                        };
                        self.err(&format!("{sp}/{}", tok(k)), msg);
                    }
                }
            }
            None if !type_name.is_empty() => {
                self.err(
                    &format!("{sp}/Type"),
                    format!("unknown state type '{type_name}' (expected Pass, Task, Choice, Wait, Succeed, Fail, Parallel or Map)"),
                );
            }
            None => {}
        }
        // Flow.
        let terminal_type = matches!(type_name.as_str(), "Choice" | "Succeed" | "Fail");
        let next = self.target(o.get("Next"), &format!("{sp}/Next"), "Next", names);
        let end = match o.get("End") {
            None => false,
            Some(Value::Bool(true)) => true,
            Some(_) => {
                self.err(&format!("{sp}/End"), "End must be true when present".into());
                false
            }
        };
        if !terminal_type && !type_name.is_empty() && allowed(&type_name, ql).is_some() {
            if o.contains_key("Next") && end {
                self.err(sp, format!("state '{name}' has both Next and End"));
            } else if !o.contains_key("Next") && !end {
                self.err(
                    sp,
                    format!("state '{name}' needs either Next or \"End\": true"),
                );
            }
        }
        let jp = ql == QueryLanguage::JsonPath;
        let input_path = if jp {
            self.input_sel(o, "InputPath", sp)
        } else {
            InputSel::All
        };
        let output_path = if jp {
            self.input_sel(o, "OutputPath", sp)
        } else {
            InputSel::All
        };
        let parameters = if jp {
            o.get("Parameters")
                .and_then(|v| self.template(v, &format!("{sp}/Parameters")))
        } else {
            None
        };
        let result_selector = if jp {
            o.get("ResultSelector").and_then(|v| {
                if !v.is_object() {
                    self.err(
                        &format!("{sp}/ResultSelector"),
                        "ResultSelector must be an object".into(),
                    );
                }
                self.template(v, &format!("{sp}/ResultSelector"))
            })
        } else {
            None
        };
        let result_path = match o.get("ResultPath") {
            None => ResultSel::Replace,
            Some(Value::Null) => ResultSel::Discard,
            Some(v) => match self.ref_path(v, &format!("{sp}/ResultPath"), "ResultPath") {
                Some(p) if p.is_root() => ResultSel::Replace,
                Some(p) => ResultSel::At(p),
                None => ResultSel::Replace,
            },
        };
        let (assign, assign_raw) = self.assign(o.get("Assign"), &format!("{sp}/Assign"), ql);
        let jsonata = ql == QueryLanguage::Jsonata;
        let assign_j = if jsonata {
            self.jt(o.get("Assign"), &format!("{sp}/Assign"))
        } else {
            None
        };
        let arguments = if jsonata {
            self.jt(o.get("Arguments"), &format!("{sp}/Arguments"))
        } else {
            None
        };
        let output = if jsonata {
            self.jt(o.get("Output"), &format!("{sp}/Output"))
        } else {
            None
        };
        // Retry / Catch.
        let mut retry = Vec::new();
        if let Some(r) = o.get("Retry") {
            match r.as_array() {
                Some(a) => {
                    for (i, rv) in a.iter().enumerate() {
                        let rp = format!("{sp}/Retry/{i}");
                        retry.push(self.retrier(rv, &rp, i + 1 == a.len()));
                    }
                }
                None => self.err(&format!("{sp}/Retry"), "Retry must be an array".into()),
            }
        }
        let mut catch = Vec::new();
        if let Some(c) = o.get("Catch") {
            match c.as_array() {
                Some(a) => {
                    for (i, cv) in a.iter().enumerate() {
                        let cp = format!("{sp}/Catch/{i}");
                        if let Some(c) = self.catcher(cv, &cp, i + 1 == a.len(), ql, names) {
                            catch.push(c);
                        }
                    }
                }
                None => self.err(&format!("{sp}/Catch"), "Catch must be an array".into()),
            }
        }
        let kind = match type_name.as_str() {
            "Pass" => Kind::Pass {
                result: o.get("Result").map(super::value::Val::from),
            },
            "Task" => {
                let resource = match o.get("Resource") {
                    Some(Value::String(r)) => r.clone(),
                    _ => {
                        self.err(sp, "a Task state needs a Resource string".into());
                        String::new()
                    }
                };
                if let Err(m) = check_resource(&resource) {
                    self.err(&format!("{sp}/Resource"), m);
                }
                let timeout = self.num_spec(o, "TimeoutSeconds", sp, ql, false);
                let heartbeat = self.num_spec(o, "HeartbeatSeconds", sp, ql, false);
                if let (Some(NumSpec::Fixed(t)), Some(NumSpec::Fixed(h))) = (&timeout, &heartbeat) {
                    if h.as_u64() >= t.as_u64() {
                        self.err(
                            &format!("{sp}/HeartbeatSeconds"),
                            "HeartbeatSeconds must be smaller than TimeoutSeconds".into(),
                        );
                    }
                }
                if let Some(NumSpec::Fixed(t)) = &timeout {
                    if t.as_u64() == Some(0) {
                        self.err(
                            &format!("{sp}/TimeoutSeconds"),
                            "TimeoutSeconds must be positive".into(),
                        );
                    }
                }
                for (f, spec) in [
                    ("TimeoutSeconds", &timeout),
                    ("HeartbeatSeconds", &heartbeat),
                ] {
                    self.at_most_99999999(spec, &format!("{sp}/{f}"), f);
                }
                if let Some(c) = o.get("Credentials") {
                    match c.as_object() {
                        Some(m)
                            if m.keys().all(|k| k == "RoleArn" || k == "RoleArn.$")
                                && !m.is_empty() => {}
                        Some(_)
                            if !jp
                                && c.as_object()
                                    .is_some_and(|m| m.keys().all(|k| k == "RoleArn")) => {}
                        _ => self.err(
                            &format!("{sp}/Credentials"),
                            "Credentials must be an object with a RoleArn".into(),
                        ),
                    }
                }
                Kind::Task(TaskSpec {
                    resource,
                    timeout,
                    heartbeat,
                    credentials: o.get("Credentials").cloned(),
                })
            }
            "Choice" => {
                let mut choices = Vec::new();
                match o.get("Choices").and_then(|c| c.as_array()) {
                    Some(a) if !a.is_empty() => {
                        for (i, cv) in a.iter().enumerate() {
                            let cp = format!("{sp}/Choices/{i}");
                            if let Some(c) = self.choice_rule(cv, &cp, ql, names) {
                                choices.push(c);
                            }
                        }
                    }
                    _ => self.err(sp, "a Choice state needs a non-empty Choices array".into()),
                }
                let default =
                    self.target(o.get("Default"), &format!("{sp}/Default"), "Default", names);
                Kind::Choice { choices, default }
            }
            "Wait" => {
                let forms = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
                    .iter()
                    .filter(|f| o.contains_key(**f))
                    .count();
                if forms != 1 {
                    self.err(sp, "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath".into());
                }
                if let Some(Value::String(t)) = o.get("Timestamp") {
                    if ql == QueryLanguage::Jsonata && is_jsonata_expr(t) {
                        match self.jexpr(t, &format!("{sp}/Timestamp")) {
                            Some(e) => Kind::Wait(WaitSpec::TimestampExpr(e)),
                            None => Kind::Wait(WaitSpec::Seconds(NumSpec::Fixed(Value::from(0)))),
                        }
                    } else {
                        if parse_timestamp(t).is_none() {
                            self.err(
                                &format!("{sp}/Timestamp"),
                                "String does not match RFC3339 timestamp".into(),
                            );
                        }
                        Kind::Wait(WaitSpec::Timestamp(t.clone()))
                    }
                } else if let Some(tp) = o.get("TimestampPath") {
                    match self.ref_path(tp, &format!("{sp}/TimestampPath"), "TimestampPath") {
                        Some(p) => Kind::Wait(WaitSpec::TimestampPath(p)),
                        None => Kind::Wait(WaitSpec::Seconds(NumSpec::Fixed(Value::from(0)))),
                    }
                } else {
                    let s = self.num_spec(o, "Seconds", sp, ql, false);
                    self.at_most_99999999(&s, &format!("{sp}/Seconds"), "Seconds");
                    Kind::Wait(WaitSpec::Seconds(
                        s.unwrap_or(NumSpec::Fixed(Value::from(0))),
                    ))
                }
            }
            "Succeed" => Kind::Succeed,
            "Fail" => Kind::Fail {
                error: self.fail_field(o, "Error", sp, ql),
                cause: self.fail_field(o, "Cause", sp, ql),
            },
            "Parallel" => {
                let mut branches = Vec::new();
                match o.get("Branches").and_then(|b| b.as_array()) {
                    Some(a) if !a.is_empty() => {
                        for (i, bv) in a.iter().enumerate() {
                            let bp = format!("{sp}/Branches/{i}");
                            match bv.as_object() {
                                Some(bo) => {
                                    self.machine_fields(bo, &bp, false);
                                    branches.push(self.machine(bo, &bp, ql));
                                }
                                None => self.err(&bp, "a branch must be an object".into()),
                            }
                        }
                    }
                    _ => self.err(
                        sp,
                        "a Parallel state needs a non-empty Branches array".into(),
                    ),
                }
                Kind::Parallel { branches }
            }
            "Map" => Kind::Map(Box::new(self.map(o, sp, ql))),
            _ => Kind::Succeed,
        };
        State {
            name: name.into(),
            pointer: sp.to_string(),
            type_name,
            query_language: ql,
            raw: sv.clone(),
            next,
            end,
            input_path,
            output_path,
            parameters,
            result_selector,
            result_path,
            assign,
            assign_raw,
            assign_j,
            arguments,
            output,
            retry,
            catch,
            kind,
        }
    }

    fn machine_fields(&mut self, o: &Map<String, Value>, p: &str, map: bool) {
        for k in o.keys() {
            let ok = ["StartAt", "States", "Comment"].contains(&k.as_str())
                || (map && k == "ProcessorConfig");
            if !ok {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("the field '{k}' is not allowed here"),
                );
            }
        }
    }

    fn assign(
        &mut self,
        v: Option<&Value>,
        p: &str,
        ql: QueryLanguage,
    ) -> (Option<Template>, Option<Value>) {
        let Some(v) = v else { return (None, None) };
        let Some(o) = v.as_object() else {
            self.err(p, "Assign must be an object".into());
            return (None, None);
        };
        for k in o.keys() {
            let name = if ql == QueryLanguage::JsonPath {
                k.strip_suffix(".$").unwrap_or(k)
            } else {
                k.as_str()
            };
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && name.chars().count() <= 80;
            if !valid {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("'{name}' is not a valid variable name"),
                );
            } else if name == "states" {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    "'states' is a reserved variable name".into(),
                );
            }
        }
        if ql == QueryLanguage::JsonPath {
            (self.template(v, p), Some(v.clone()))
        } else {
            (None, Some(v.clone()))
        }
    }

    fn retrier(&mut self, v: &Value, p: &str, last: bool) -> Retrier {
        let empty = Map::new();
        let o = v.as_object().unwrap_or(&empty);
        for k in o.keys() {
            if ![
                "ErrorEquals",
                "IntervalSeconds",
                "MaxAttempts",
                "BackoffRate",
                "MaxDelaySeconds",
                "JitterStrategy",
                "Comment",
            ]
            .contains(&k.as_str())
            {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("the field '{k}' is not allowed in a retrier"),
                );
            }
        }
        let errors = self.error_list(o.get("ErrorEquals"), p, last);
        let interval_seconds = match o.get("IntervalSeconds") {
            None => 1.0,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=99_999_999).contains(&n) => n as f64,
                _ => {
                    self.err(
                        &format!("{p}/IntervalSeconds"),
                        "IntervalSeconds must be an integer from 1 to 99999999".into(),
                    );
                    1.0
                }
            },
        };
        let max_attempts = match o.get("MaxAttempts") {
            None => 3,
            Some(v) => match v.as_u64() {
                Some(n) if n <= 99_999_999 => n,
                _ => {
                    self.err(
                        &format!("{p}/MaxAttempts"),
                        "MaxAttempts must be an integer from 0 to 99999999".into(),
                    );
                    3
                }
            },
        };
        let backoff_rate = match o.get("BackoffRate") {
            None => 2.0,
            Some(v) => match v.as_f64() {
                Some(f) if f >= 1.0 => f,
                _ => {
                    self.err(
                        &format!("{p}/BackoffRate"),
                        "BackoffRate must be a number of at least 1.0".into(),
                    );
                    2.0
                }
            },
        };
        let max_delay_seconds = match o.get("MaxDelaySeconds") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=31_622_400).contains(&n) => Some(n as f64),
                _ => {
                    self.err(
                        &format!("{p}/MaxDelaySeconds"),
                        "MaxDelaySeconds must be an integer from 1 to 31622400".into(),
                    );
                    None
                }
            },
        };
        let jitter_full = match o.get("JitterStrategy") {
            None => false,
            Some(v) if v == "FULL" => true,
            Some(v) if v == "NONE" => false,
            Some(_) => {
                self.err(
                    &format!("{p}/JitterStrategy"),
                    "JitterStrategy must be \"FULL\" or \"NONE\"".into(),
                );
                false
            }
        };
        Retrier {
            errors,
            interval_seconds,
            max_attempts,
            backoff_rate,
            max_delay_seconds,
            jitter_full,
        }
    }

    fn catcher(
        &mut self,
        v: &Value,
        p: &str,
        last: bool,
        ql: QueryLanguage,
        names: &HashMap<String, StateId>,
    ) -> Option<Catcher> {
        let empty = Map::new();
        let o = v.as_object().unwrap_or(&empty);
        for k in o.keys() {
            let ok = ["ErrorEquals", "Next", "Comment", "Assign"].contains(&k.as_str())
                || (ql == QueryLanguage::JsonPath && k == "ResultPath")
                || (ql == QueryLanguage::Jsonata && k == "Output");
            if !ok {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("the field '{k}' is not allowed in a catcher"),
                );
            }
        }
        let errors = self.error_list(o.get("ErrorEquals"), p, last);
        if !o.contains_key("Next") {
            self.err(p, "a catcher needs Next".into());
        }
        let next = self.target(o.get("Next"), &format!("{p}/Next"), "Next", names);
        let result_path = match o.get("ResultPath") {
            None => ResultSel::Replace,
            Some(Value::Null) => ResultSel::Discard,
            Some(v) => match self.ref_path(v, &format!("{p}/ResultPath"), "ResultPath") {
                Some(pp) if pp.is_root() => ResultSel::Replace,
                Some(pp) => ResultSel::At(pp),
                None => ResultSel::Replace,
            },
        };
        let (assign, assign_raw) = self.assign(o.get("Assign"), &format!("{p}/Assign"), ql);
        Some(Catcher {
            errors,
            next: next?,
            result_path,
            assign,
            assign_raw,
            assign_j: if ql == QueryLanguage::Jsonata {
                self.jt(o.get("Assign"), &format!("{p}/Assign"))
            } else {
                None
            },
            output: if ql == QueryLanguage::Jsonata {
                self.jt(o.get("Output"), &format!("{p}/Output"))
            } else {
                None
            },
        })
    }

    fn rule(&mut self, v: &Value, p: &str, top: bool) -> Option<Rule> {
        let Some(o) = v.as_object() else {
            self.err(p, "a choice rule must be an object".into());
            return None;
        };
        if !top && o.contains_key("Next") {
            self.err(
                &format!("{p}/Next"),
                "a nested rule may not have Next".into(),
            );
        }
        let combinators = ["And", "Or", "Not"]
            .iter()
            .filter(|k| o.contains_key(**k))
            .count();
        if combinators > 0 {
            if combinators > 1 || o.contains_key("Variable") {
                self.err(
                    p,
                    "a rule has exactly one of And, Or, Not or Variable".into(),
                );
            }
            if let Some(n) = o.get("Not") {
                return self
                    .rule(n, &format!("{p}/Not"), false)
                    .map(|r| Rule::Not(Box::new(r)));
            }
            let key = if o.contains_key("And") { "And" } else { "Or" };
            let Some(list) = o
                .get(key)
                .and_then(|l| l.as_array())
                .filter(|l| !l.is_empty())
            else {
                self.err(
                    &format!("{p}/{key}"),
                    format!("{key} must be a non-empty array of rules"),
                );
                return None;
            };
            let mut rules = Vec::new();
            for (i, r) in list.iter().enumerate() {
                rules.push(self.rule(r, &format!("{p}/{key}/{i}"), false)?);
            }
            return Some(if key == "And" {
                Rule::And(rules)
            } else {
                Rule::Or(rules)
            });
        }
        for k in o.keys() {
            let known = ["Variable", "Next", "Comment", "Assign"].contains(&k.as_str())
                || choice::COMPARISONS
                    .iter()
                    .any(|(n, _, _)| n == k || k.strip_suffix("Path") == Some(n))
                || choice::TYPE_TESTS.contains(&k.as_str())
                || k == "StringMatches";
            if !known {
                self.err(
                    &format!("{p}/{}", tok(k)),
                    format!("the field '{k}' is not allowed in a choice rule"),
                );
            }
        }
        let variable = match o.get("Variable").and_then(|v| v.as_str()) {
            Some(s) => match Path::parse(s) {
                Ok(p) => p,
                Err(e) => {
                    self.err(&format!("{p}/Variable"), e);
                    return None;
                }
            },
            None => {
                self.err(p, "a choice rule needs a Variable (or And/Or/Not)".into());
                return None;
            }
        };
        match choice::parse_test(o) {
            Ok(Some((operator, test))) => Some(Rule::Test {
                variable,
                test,
                operator,
            }),
            Ok(None) => {
                self.err(p, "a choice rule needs a comparison operator".into());
                None
            }
            Err(e) => {
                self.err(p, e);
                None
            }
        }
    }

    fn choice_rule(
        &mut self,
        v: &Value,
        p: &str,
        ql: QueryLanguage,
        names: &HashMap<String, StateId>,
    ) -> Option<ChoiceRule> {
        let o = v.as_object()?;
        if !o.contains_key("Next") {
            self.err(p, "a choice rule needs Next".into());
        }
        let next = self.target(o.get("Next"), &format!("{p}/Next"), "Next", names);
        let (assign, assign_raw) = self.assign(o.get("Assign"), &format!("{p}/Assign"), ql);
        let condition = if ql == QueryLanguage::Jsonata {
            for k in o.keys() {
                if !["Condition", "Next", "Comment", "Assign", "Output"].contains(&k.as_str()) {
                    self.err(
                        &format!("{p}/{}", tok(k)),
                        format!("the field '{k}' is not allowed in a JSONata choice rule"),
                    );
                }
            }
            match o.get("Condition") {
                Some(Value::String(s)) if is_jsonata_expr(s) => {
                    Condition::Jsonata(self.jexpr(s, &format!("{p}/Condition"))?)
                }
                Some(Value::Bool(b)) => Condition::Jsonata(
                    self.jexpr(&format!("{{% {b} %}}"), &format!("{p}/Condition"))?,
                ),
                _ => {
                    self.err(
                        p,
                        "a JSONata choice rule needs a Condition expression".into(),
                    );
                    return None;
                }
            }
        } else {
            Condition::Rule(self.rule(v, p, true)?)
        };
        Some(ChoiceRule {
            condition,
            next: next?,
            assign,
            assign_raw,
            assign_j: if ql == QueryLanguage::Jsonata {
                self.jt(o.get("Assign"), &format!("{p}/Assign"))
            } else {
                None
            },
            output: if ql == QueryLanguage::Jsonata {
                self.jt(o.get("Output"), &format!("{p}/Output"))
            } else {
                None
            },
            raw: v.clone(),
        })
    }

    fn map(&mut self, o: &Map<String, Value>, sp: &str, ql: QueryLanguage) -> MapSpec {
        let (proc_key, pv) = match (o.get("ItemProcessor"), o.get("Iterator")) {
            (Some(p), None) => ("ItemProcessor", p),
            (None, Some(p)) => ("Iterator", p),
            (Some(p), Some(_)) => {
                self.err(
                    sp,
                    "ItemProcessor and Iterator are mutually exclusive".into(),
                );
                ("ItemProcessor", p)
            }
            (None, None) => {
                self.err(sp, "a Map state needs an ItemProcessor".into());
                ("ItemProcessor", &Value::Null)
            }
        };
        let pp = format!("{sp}/{proc_key}");
        let empty = Map::new();
        let po = pv.as_object().unwrap_or(&empty);
        self.machine_fields(po, &pp, true);
        let mut distributed = false;
        if let Some(cfg) = po.get("ProcessorConfig") {
            match cfg.get("Mode").and_then(|m| m.as_str()) {
                None | Some("INLINE") => {}
                Some("DISTRIBUTED") => distributed = true,
                Some(_) => self.err(
                    &format!("{pp}/ProcessorConfig/Mode"),
                    "Mode must be INLINE or DISTRIBUTED".into(),
                ),
            }
            if let Some(et) = cfg.get("ExecutionType") {
                if et != "STANDARD" && et != "EXPRESS" {
                    self.err(
                        &format!("{pp}/ProcessorConfig/ExecutionType"),
                        "ExecutionType must be STANDARD or EXPRESS".into(),
                    );
                }
            }
        }
        let processor = self.machine(po, &pp, ql);
        let items_path = o
            .get("ItemsPath")
            .and_then(|v| self.ref_path(v, &format!("{sp}/ItemsPath"), "ItemsPath"));
        let (sel_key, sel) = match (o.get("ItemSelector"), o.get("Parameters")) {
            (Some(s), _) => ("ItemSelector", Some(s)),
            (None, Some(p)) => ("Parameters", Some(p)),
            _ => ("ItemSelector", None),
        };
        let item_selector = if ql == QueryLanguage::JsonPath {
            sel.and_then(|s| self.template(s, &format!("{sp}/{sel_key}")))
        } else {
            None
        };
        let label = match o.get("Label") {
            None => None,
            Some(Value::String(l)) => {
                let bad = l.chars().count() > 40
                    || l.chars().any(|c| {
                        c.is_whitespace()
                            || c.is_control()
                            || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
                    });
                if bad {
                    self.err(&format!("{sp}/Label"), "Label must have at most 40 characters and no whitespace, brackets, wildcards or special characters".into());
                }
                if !self.labels.insert(l.clone()) {
                    self.err(&format!("{sp}/Label"), format!("Label '{l}' is used twice"));
                }
                Some(l.clone())
            }
            Some(_) => {
                self.err(&format!("{sp}/Label"), "Label must be a string".into());
                None
            }
        };
        if !distributed {
            for f in [
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
                "Label",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
            ] {
                if o.contains_key(f)
                    && f != "ToleratedFailureCount"
                    && f != "ToleratedFailurePercentage"
                {
                    self.err(
                        &format!("{sp}/{f}"),
                        format!("{f} is only allowed in a Map state in DISTRIBUTED mode"),
                    );
                }
            }
        }
        let item_reader = o
            .get("ItemReader")
            .map(|r| self.item_reader(r, &format!("{sp}/ItemReader"), ql));
        let item_batcher = o.get("ItemBatcher").map(|b| {
            let bp = format!("{sp}/ItemBatcher");
            let bo = b.as_object().cloned().unwrap_or_default();
            let batch_input = if ql == QueryLanguage::JsonPath {
                bo.get("BatchInput")
                    .and_then(|v| self.template(v, &format!("{bp}/BatchInput")))
            } else {
                None
            };
            ItemBatcher {
                max_items: self.num_spec(&bo, "MaxItemsPerBatch", &bp, ql, false),
                max_bytes: self.num_spec(&bo, "MaxInputBytesPerBatch", &bp, ql, false),
                batch_input,
                batch_input_j: if ql == QueryLanguage::Jsonata {
                    self.jt(bo.get("BatchInput"), &format!("{bp}/BatchInput"))
                } else {
                    None
                },
                batch_input_raw: bo.get("BatchInput").cloned(),
            }
        });
        MapSpec {
            processor,
            distributed,
            items_path,
            items: if ql == QueryLanguage::Jsonata {
                self.jt(o.get("Items"), &format!("{sp}/Items"))
            } else {
                None
            },
            item_selector,
            item_selector_j: if ql == QueryLanguage::Jsonata {
                self.jt(sel, &format!("{sp}/{sel_key}"))
            } else {
                None
            },
            item_selector_raw: sel.cloned(),
            max_concurrency: self.num_spec(o, "MaxConcurrency", sp, ql, false),
            tolerated_count: self.num_spec(o, "ToleratedFailureCount", sp, ql, false),
            tolerated_percentage: self.num_spec(o, "ToleratedFailurePercentage", sp, ql, true),
            label,
            item_reader,
            item_batcher,
            result_writer: o.get("ResultWriter").cloned(),
        }
    }

    fn item_reader(&mut self, r: &Value, rp: &str, ql: QueryLanguage) -> ItemReader {
        let ro = r.as_object().cloned().unwrap_or_default();
        let resource = ro
            .get("Resource")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        if resource.is_empty() {
            self.err(rp, "an ItemReader needs a Resource".into());
        }
        let cfg = ro
            .get("ReaderConfig")
            .and_then(|c| c.as_object())
            .cloned()
            .unwrap_or_default();
        let s = |k: &str| cfg.get(k).and_then(|v| v.as_str()).map(str::to_string);
        ItemReader {
            parameters: if ql == QueryLanguage::JsonPath {
                ro.get("Parameters")
                    .and_then(|p| self.template(p, &format!("{rp}/Parameters")))
            } else {
                None
            },
            arguments: if ql == QueryLanguage::Jsonata {
                self.jt(ro.get("Arguments"), &format!("{rp}/Arguments"))
            } else {
                None
            },
            input_type: s("InputType"),
            csv_header_location: s("CSVHeaderLocation"),
            csv_headers: cfg.get("CSVHeaders").and_then(|h| h.as_array()).map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            }),
            csv_delimiter: s("CSVDelimiter"),
            max_items: self.num_spec(&cfg, "MaxItems", &format!("{rp}/ReaderConfig"), ql, false),
            resource,
            raw: r.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
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
                "T": {"Type": "Task", "Resource": "r", "End": true,
                      "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}
            }
        }));
        assert_eq!(e.len(), 4, "{e:?}");
    }
}
