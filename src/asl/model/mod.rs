//! The typed model of a state machine definition, parsed by hand from a JSON
//! value (so numbers keep their written form) and validated as a whole: every
//! problem is reported with its JSON pointer, none stops the others.

mod build;
mod build_choice;
mod build_map;
mod build_state;
mod fields;
mod integrations;
mod scopes;
#[cfg(test)]
mod tests;
mod types;

use fields::{allowed, other_language_field};
use integrations::check_resource;
pub use integrations::express_diagnostics;
use scopes::scope_diagnostics;
pub use types::*;

use crate::asl::choice::{self, Rule};
use crate::asl::doc::{Doc, Obj, EMPTY};
use crate::asl::jsonata::{Expr, JTemplate};
use crate::asl::jsonpath::{Path, Paths};
use crate::asl::template::Template;
use crate::asl::timestamp::parse_timestamp;
use serde_json::Value;
/// Maps and sets of names hashed with foldhash (a name per state).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// The fields a retrier may have.
pub const RETRIER_FIELDS: &[&str] = &[
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
];

/// The fields a state of type `type_name` may have in `ql` (None: no such
/// type), as AWS checks them.
pub fn state_fields(type_name: &str, ql: QueryLanguage) -> Option<&'static [&'static str]> {
    allowed(type_name, ql)
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
        let mut d = Definition::build(&Doc::from_value(v))?;
        d.source = Source::value(v.clone());
        Ok(d)
    }

    /// The JSON of state `st` as written.
    pub fn raw(&self, st: &State) -> &Value {
        static NULL: Value = Value::Null;
        self.source.get().pointer(&st.pointer).unwrap_or(&NULL)
    }

    /// The model of `v`, without its source.
    pub(crate) fn build(v: &Doc) -> Result<Definition, Vec<Diagnostic>> {
        match Definition::build_anyway(v) {
            (Some(d), diags) if diags.is_empty() => Ok(d),
            (_, diags) => Err(diags),
        }
    }

    /// The model of `v` however many problems it has, when it still has a
    /// shape to draw (every States block holds a state), with the problems.
    pub(crate) fn sketch(v: &Doc) -> (Option<Definition>, Vec<Diagnostic>) {
        let (d, diags) = Definition::build_anyway(v);
        let drawable = d.filter(|d| d.machines.iter().all(|m| !m.states.is_empty()));
        (drawable, diags)
    }

    fn build_anyway(v: &Doc) -> (Option<Definition>, Vec<Diagnostic>) {
        let mut b = Builder {
            diags: Vec::new(),
            warnings: Vec::new(),
            machines: Vec::new(),
            all_names: HashMap::default(),
            paths: Default::default(),
            labels: HashSet::default(),
            top_ql: QueryLanguage::JsonPath,
        };
        let Some(top) = v.as_object() else {
            return (
                None,
                vec![Diagnostic {
                    pointer: String::new(),
                    message: "a state machine definition must be a JSON object".into(),
                    expr: None,
                }],
            );
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
            .contains(&k)
            {
                b.err(&format!("/{k}"), format!("unknown top-level field '{k}'"));
            }
        }
        let ql = match top.get("QueryLanguage") {
            None => QueryLanguage::JsonPath,
            Some(Doc::Str(s)) if s == "JSONPath" => QueryLanguage::JsonPath,
            Some(Doc::Str(s)) if s == "JSONata" => QueryLanguage::Jsonata,
            Some(_) => {
                b.err(
                    "/QueryLanguage",
                    "QueryLanguage must be \"JSONPath\" or \"JSONata\"".into(),
                );
                QueryLanguage::JsonPath
            }
        };
        if let Some(ver) = top.get("Version") {
            if ver.as_str() != Some("1.0") {
                b.err("/Version", "Version must be \"1.0\"".into());
            }
        }
        let timeout_seconds = match top.get("TimeoutSeconds") {
            None => None,
            Some(t) => match t.as_u64() {
                Some(n) if n > 99_999_999 => {
                    b.err(
                        "/TimeoutSeconds",
                        "TimeoutSeconds must be at most 99999999".into(),
                    );
                    None
                }
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
        b.top_ql = ql;
        b.machine(top, "", ql);
        deferred_path_failures(v, &mut Vec::new(), None, &mut b.paths, &mut b.warnings);
        token_outside_callbacks(v, &mut String::new(), &mut b.warnings);
        let scope_diags = scope_diagnostics(&b.machines);
        b.diags.extend(scope_diags);
        let d = Definition {
            machines: b.machines,
            timeout_seconds,
            query_language: ql,
            comment,
            source: Source::default(),
            warnings: b.warnings,
        };
        (Some(d), b.diags)
    }
}

/// JSONPaths that AWS accepts when the machine is created and fails on when
/// they are evaluated (an unquoted word in a filter): warnings, found by
/// the fields that hold paths (`…Path`, `Variable`, `….$`).
fn deferred_path_failures<'a>(
    v: &'a Doc,
    at: &mut Vec<Step<'a>>,
    key: Option<&str>,
    paths: &mut Paths,
    out: &mut Vec<Diagnostic>,
) {
    match v {
        Doc::Str(s) => {
            let holds_path =
                key.is_some_and(|k| k.ends_with(".$") || k.ends_with("Path") || k == "Variable");
            if holds_path && s.starts_with('$') && s.contains("[?") {
                // The builder has parsed the paths it reads: this finds them.
                if let Some(e) = paths
                    .parse(s)
                    .ok()
                    .and_then(|p| p.fails_at_run_time().cloned())
                {
                    // The pointer is made here, for the rare path that fails.
                    let mut pointer = String::new();
                    for step in at.iter() {
                        match step {
                            Step::Key(k) => {
                                pointer.push('/');
                                pointer.push_str(&tok(k));
                            }
                            Step::Index(i) => pointer.push_str(&format!("/{i}")),
                        }
                    }
                    out.push(Diagnostic {
                        pointer,
                        message: format!(
                            "{}; AWS accepts the definition, and the state fails with States.Runtime when it evaluates the path",
                            e.message
                        ),
                        expr: Some(e),
                    });
                }
            }
        }
        Doc::Arr(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(Step::Index(i));
                deferred_path_failures(x, at, None, paths, out);
                at.pop();
            }
        }
        Doc::Obj(o) => {
            for (k, x) in o.iter() {
                at.push(Step::Key(k));
                deferred_path_failures(x, at, Some(k), paths, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// A Task that reads `$$.Task.Token` (or `$states.context.Task.Token`)
/// without `.waitForTaskToken`: the context object has a task token only
/// for a callback, so AWS accepts the definition and the state fails with
/// States.Runtime (JSONata: an undefined field) when it runs. A warning at
/// the field that reads it.
fn token_outside_callbacks(v: &Doc, at: &mut String, out: &mut Vec<Diagnostic>) {
    fn reads_token(v: &Doc, at: &mut String) -> Option<String> {
        match v {
            Doc::Str(s)
                if s.contains("$$.Task.Token") || s.contains("$states.context.Task.Token") =>
            {
                Some(at.clone())
            }
            Doc::Arr(a) => a.iter().enumerate().find_map(|(i, x)| {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                let found = reads_token(x, at);
                at.truncate(len);
                found
            }),
            Doc::Obj(o) => o.iter().find_map(|(k, x)| {
                let len = at.len();
                at.push('/');
                at.push_str(&tok(k));
                let found = reads_token(x, at);
                at.truncate(len);
                found
            }),
            _ => None,
        }
    }
    match v {
        Doc::Obj(o) => {
            let task = matches!(o.get("Type"), Some(Doc::Str(t)) if t == "Task");
            let callback =
                matches!(o.get("Resource"), Some(Doc::Str(r)) if r.ends_with(".waitForTaskToken"));
            if task && !callback {
                for field in ["Parameters", "Arguments"] {
                    let len = at.len();
                    at.push('/');
                    at.push_str(field);
                    if let Some(pointer) = o.get(field).and_then(|f| reads_token(f, at)) {
                        out.push(Diagnostic {
                            pointer,
                            message: "the task token is read here, but only a `.waitForTaskToken` \
                                      Task has one (in `$$.Task.Token`): AWS accepts the \
                                      definition, and the state fails when it runs \
                                      (States.Runtime; in JSONata, States.QueryEvaluationError)"
                                .into(),
                            expr: None,
                        });
                    }
                    at.truncate(len);
                }
            }
            for (k, x) in o.iter() {
                let len = at.len();
                at.push('/');
                at.push_str(&tok(k));
                token_outside_callbacks(x, at, out);
                at.truncate(len);
            }
        }
        Doc::Arr(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                token_outside_callbacks(x, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// One step of the way from the document's root to a value.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

struct Builder<'a> {
    diags: Vec<Diagnostic>,
    /// What AWS accepts at creation but fails on when it is reached.
    warnings: Vec<Diagnostic>,
    machines: Vec<Machine>,
    /// Every state name seen so far, with the machine that has it (names
    /// are unique in the whole definition).
    all_names: HashMap<&'a str, MachineId>,
    /// Each path text parsed once.
    paths: Paths,
    labels: HashSet<String>,
    /// The machine's own QueryLanguage: the default of every state, nested
    /// ones too, and the one a state may not step down from.
    top_ql: QueryLanguage,
}

pub fn is_jsonata_expr(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

fn tok(s: &str) -> std::borrow::Cow<'_, str> {
    super::json::pointer_token(s)
}
