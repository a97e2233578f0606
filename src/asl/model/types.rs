//! The model's types: a definition, its machines and states, and what each
//! field compiled to.

use crate::asl::choice::Rule;
use crate::asl::jsonata::{Expr, JTemplate};
use crate::asl::jsonpath::Path;
use crate::asl::template::Template;
use serde_json::Value;
/// A map keyed by state name, hashed with foldhash (built once per
/// definition, looked up for every transition).
pub type NameMap<V> = std::collections::HashMap<String, V, foldhash::fast::RandomState>;

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
    /// A malformed JSONPath or intrinsic call: the expression and where in
    /// it the problem is (shown with a `^`).
    pub expr: Option<crate::asl::expr_error::ExprError>,
}

#[derive(Debug, Clone)]
pub struct Definition {
    /// `machines[0]` is the top-level machine; branches and item processors follow.
    pub machines: Vec<Machine>,
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    pub comment: Option<String>,
    /// The definition as written (each state's JSON is found in it by its
    /// pointer: [`Definition::raw`]), kept whole instead of copied per state.
    pub source: Source,
    /// What AWS accepts at creation but fails on when the state runs (an
    /// unquoted word in a JSONPath filter, …): `validate` shows them.
    pub warnings: Vec<Diagnostic>,
}

#[derive(Debug, Clone)]
pub struct Machine {
    pub start_at: StateId,
    pub states: Vec<State>,
    pub by_name: NameMap<StateId>,
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
    pub flow: CatchFlow,
    /// The variable names its `Assign` gives, as written (for the scope rule).
    pub assigns: Vec<String>,
}

/// What a catcher does with the error output, per query language.
#[derive(Debug, Clone)]
pub enum CatchFlow {
    /// `Assign` sees the error output as `$`; `ResultPath` places it in the
    /// state input.
    JsonPath {
        result_path: ResultSel,
        assign: Option<Template>,
    },
    /// `$states.errorOutput`; `Output` defaults to the error output.
    Jsonata(JsonataTail),
}

/// JSONata's `Output` and `Assign`, evaluated together against `$states`.
#[derive(Debug, Clone, Default)]
pub struct JsonataTail {
    pub output: Option<JTemplate>,
    pub assign: Option<JTemplate>,
}

/// One Choice rule, with the fields of its query language.
#[derive(Debug, Clone)]
pub struct ChoiceRule {
    pub test: RuleTest,
    pub next: StateId,
    /// The variable names its `Assign` gives, as written (for the scope rule).
    pub assigns: Vec<String>,
    /// The rule without Next/Assign/Output/Comment, as compact JSON (a
    /// JSONata rule: the condition's text), made once at load.
    pub text: String,
}

#[derive(Debug, Clone)]
pub enum RuleTest {
    /// A comparison rule; its `Assign` sees the state's effective input.
    JsonPath {
        rule: Box<Rule>,
        assign: Option<Template>,
    },
    /// A `Condition` expression, with the rule's own Output and Assign.
    Jsonata {
        condition: Box<Expr>,
        tail: JsonataTail,
    },
}

#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub resource: String,
    /// How the resource is called and shows up in history, classified once.
    pub call: ResourceKind,
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
    pub items: MapItems,
    pub max_concurrency: Option<NumSpec>,
    pub tolerated_count: Option<NumSpec>,
    pub tolerated_percentage: Option<NumSpec>,
    pub label: Option<String>,
    pub item_reader: Option<ItemReader>,
    pub item_batcher: Option<ItemBatcher>,
    pub result_writer: Option<Value>,
}

/// Where a Map's items come from and how each becomes an iteration's input.
#[derive(Debug, Clone)]
pub enum MapItems {
    JsonPath {
        items_path: Option<Path>,
        /// `ItemSelector` (or the older `Parameters`).
        item_selector: Option<Template>,
    },
    Jsonata {
        /// `Items`: an array or an expression; without it the state input.
        items: Option<JTemplate>,
        item_selector: Option<JTemplate>,
    },
}

/// A value shaped by a JSONPath payload template or a JSONata template.
#[derive(Debug, Clone)]
pub enum Shaped {
    JsonPath(Template),
    Jsonata(JTemplate),
}

#[derive(Debug, Clone)]
pub struct ItemReader {
    pub resource: String,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata).
    pub params: Option<Shaped>,
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
    pub batch_input: Option<Shaped>,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Pass {
        result: Option<crate::asl::value::Val>,
    },
    Task(Box<TaskSpec>),
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
    pub next: Option<StateId>,
    pub end: bool,
    /// How data flows through the state, in its query language.
    pub flow: Dataflow,
    /// The variable names its `Assign` gives, as written (for the scope rule).
    pub assigns: Vec<String>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub kind: Kind,
}

/// A state's data-flow fields: the query language is a type, so a JSONPath
/// state has no JSONata fields to forget and the other way round.
#[derive(Debug, Clone)]
pub enum Dataflow {
    JsonPath(Box<PathFlow>),
    Jsonata(JsonataFlow),
}

/// InputPath → Parameters → (task) → ResultSelector → ResultPath →
/// OutputPath; `Assign` sees the result (after ResultSelector).
#[derive(Debug, Clone)]
pub struct PathFlow {
    pub input_path: InputSel,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultSel,
    pub output_path: InputSel,
    pub assign: Option<Template>,
}

/// `Arguments` → (task) → `Output` and `Assign`, against `$states`.
#[derive(Debug, Clone, Default)]
pub struct JsonataFlow {
    pub arguments: Option<JTemplate>,
    pub tail: JsonataTail,
}

impl State {
    pub fn is_jsonata(&self) -> bool {
        matches!(self.flow, Dataflow::Jsonata(_))
    }

    pub fn query_language(&self) -> QueryLanguage {
        match self.flow {
            Dataflow::JsonPath(_) => QueryLanguage::JsonPath,
            Dataflow::Jsonata(_) => QueryLanguage::Jsonata,
        }
    }
}

/// How a Task resource is called and shows up in history.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceKind {
    Lambda,
    Activity,
    Service {
        resource_type: String,
        resource: String,
        pattern: Pattern,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pattern {
    RequestResponse,
    Sync,
    Callback,
}

impl ResourceKind {
    pub fn classify(resource: &str) -> ResourceKind {
        let parts: Vec<&str> = resource.splitn(6, ':').collect();
        if parts.len() >= 6 && parts[2] == "states" && parts[3].is_empty() && parts[4].is_empty() {
            let rest = parts[5];
            let (svc_action, pattern) = if let Some(x) = rest.strip_suffix(".waitForTaskToken") {
                (x, Pattern::Callback)
            } else if let Some(i) = rest.find(".sync") {
                (&rest[..i], Pattern::Sync)
            } else {
                (rest, Pattern::RequestResponse)
            };
            let (rtype, action) = match svc_action.rsplit_once(':') {
                Some((t, a)) => (t.to_string(), a.to_string()),
                None => (svc_action.to_string(), String::new()),
            };
            let suffix = &rest[svc_action.len()..];
            return ResourceKind::Service {
                resource_type: rtype,
                resource: format!("{action}{suffix}"),
                pattern,
            };
        }
        if resource.contains(":activity:") {
            return ResourceKind::Activity;
        }
        ResourceKind::Lambda
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for Diagnostic {}

/// The definition as written, for showing a state's JSON: a value, or the
/// JSON text it was read from, parsed the first time it is asked for (a
/// run that shows no state's JSON never builds that tree). Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Source(std::sync::Arc<SourceInner>);

#[derive(Debug, Default)]
struct SourceInner {
    text: Option<String>,
    value: std::sync::OnceLock<Value>,
}

impl Source {
    pub fn value(v: Value) -> Source {
        Source(std::sync::Arc::new(SourceInner {
            text: None,
            value: v.into(),
        }))
    }

    /// The JSON text of a definition that parsed.
    pub fn text(t: String) -> Source {
        Source(std::sync::Arc::new(SourceInner {
            text: Some(t),
            value: Default::default(),
        }))
    }

    pub fn get(&self) -> &Value {
        self.0.value.get_or_init(|| {
            self.0
                .text
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default()
        })
    }
}
