//! Scopes and variables: the moment's values as DAP variables, expanded
//! lazily (a reference names a value; its members are made only when the
//! client asks), and edits of the state input and the variables.

use crate::asl::value::Val;
use crate::debugger::{pipeline, Moment, Session};

/// History events expand from the console through references above this.
const EVENT_BASE: i64 = 1 << 40;
/// A reference to history event `i` (0-based).
pub(super) fn event_ref(i: usize) -> i64 {
    EVENT_BASE + i as i64
}

/// Arrays longer than this are paged by the client.
const PAGE: usize = 100;

/// What an edit of a value changes.
#[derive(Clone, Debug)]
pub(super) enum Root {
    /// The input of the state about to run.
    Input,
    /// A variable in scope.
    Var(String),
}

#[derive(Clone, Debug)]
enum Key {
    Field(String),
    Index(usize),
}

#[derive(Clone)]
pub(super) struct Place {
    root: Root,
    keys: Vec<Key>,
}

#[derive(Clone)]
pub(super) struct Entry {
    name: String,
    v: Val,
    eval: Option<String>,
    place: Option<Place>,
}

#[derive(Clone)]
pub(super) enum Node {
    Value {
        v: Val,
        eval: Option<String>,
        place: Option<Place>,
    },
    List(Vec<Entry>),
}

/// One variable to show.
pub(super) struct Child {
    pub name: String,
    pub value: String,
    pub kind: Option<&'static str>,
    pub evaluate: Option<String>,
    pub node: Option<Node>,
    pub indexed: Option<usize>,
}

/// The references handed out since the run last moved.
#[derive(Default)]
pub(super) struct Refs {
    nodes: Vec<Node>,
}

impl Refs {
    pub fn clear(&mut self) {
        self.nodes.clear();
    }

    pub fn add(&mut self, n: Node) -> i64 {
        self.nodes.push(n);
        self.nodes.len() as i64
    }

    fn get(&self, r: i64, m: &Moment) -> Option<Node> {
        if r >= EVENT_BASE {
            let e = m.history().get((r - EVENT_BASE) as usize)?;
            return Some(Node::Value {
                v: e.to_readable(),
                eval: None,
                place: None,
            });
        }
        self.nodes
            .get(usize::try_from(r).ok()?.checked_sub(1)?)
            .cloned()
    }

    pub fn children(
        &self,
        r: i64,
        m: &Moment,
        start: usize,
        count: Option<usize>,
    ) -> Option<Vec<Child>> {
        let take = count.unwrap_or(usize::MAX);
        Some(match self.get(r, m)? {
            Node::List(entries) => entries
                .into_iter()
                .skip(start)
                .take(take)
                .map(|e| child(e.name, &e.v, e.eval, e.place))
                .collect(),
            Node::Value { v, eval, place } => match &v {
                Val::Obj(_) => v
                    .as_object()
                    .into_iter()
                    .flatten()
                    .skip(start)
                    .take(take)
                    .map(|(k, c)| {
                        child(
                            k.clone(),
                            c,
                            eval.as_ref().map(|e| member(e, k)),
                            place.as_ref().map(|p| p.with(Key::Field(k.clone()))),
                        )
                    })
                    .collect(),
                Val::Arr(_) => v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .skip(start)
                    .take(take)
                    .map(|(i, c)| {
                        child(
                            format!("[{i}]"),
                            c,
                            eval.as_ref().map(|e| format!("{e}[{i}]")),
                            place.as_ref().map(|p| p.with(Key::Index(i))),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            },
        })
    }

    /// Set member `name` of reference `r` to `value`, through the session
    /// (so that a restart or going back replays it); the value as shown.
    pub fn set(&self, r: i64, name: &str, value: Val, s: &mut Session) -> Result<String, String> {
        let m = s.moment();
        let place = match self
            .get(r, &m)
            .ok_or("no such variable (the run has moved on)")?
        {
            Node::List(entries) => entries
                .into_iter()
                .find(|e| e.name == name)
                .and_then(|e| e.place),
            Node::Value { v, place, .. } => place.map(|p| {
                let key = match &v {
                    Val::Arr(_) => name
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse()
                        .map(Key::Index)
                        .unwrap_or(Key::Field(name.to_string())),
                    _ => Key::Field(name.to_string()),
                };
                p.with(key)
            }),
        }
        .ok_or("only the state input and the variables can be changed")?;
        apply(&place, value.clone(), s)?;
        Ok(show(&value, None).0)
    }
}

/// Set the value at `place` through the session.
fn apply(place: &Place, value: Val, s: &mut Session) -> Result<(), String> {
    let m = s.moment();
    let root = match &place.root {
        Root::Input => m.current_input().cloned(),
        Root::Var(n) => m.lookup_var(n),
    }
    .ok_or("there is nothing here to change")?;
    let new = replace(&root, &place.keys, value).ok_or(
        "that member is not there: only members the value has can be set (set the whole \
         object to add one)",
    )?;
    match &place.root {
        Root::Input => {
            if !m.at_state_entry() || !s.set_state_input(new) {
                return Err(
                    "the input can be changed before a state runs: step to a state's entry".into(),
                );
            }
        }
        Root::Var(n) => {
            let n = n.clone();
            s.set_variable(&n, new)
        }
    }
    Ok(())
}

/// `setExpression`: `$` / `$.a.b[0]` / `$['a b']` (the state input) or
/// `$name.a` (a variable) set to `value`; the value as shown.
pub(super) fn set_expression(text: &str, value: Val, s: &mut Session) -> Result<String, String> {
    let place = parse_place(text.trim()).ok_or_else(|| {
        format!(
            "'{text}' cannot be set: give a path into the input ($.a.b[0]) or a variable ($name.a)"
        )
    })?;
    apply(&place, value.clone(), s)?;
    Ok(show(&value, None).0)
}

/// A plain path: `$` then `.name`, `['name']` or `[index]` parts; or
/// `$name` then such parts.
fn parse_place(t: &str) -> Option<Place> {
    let rest = t.strip_prefix('$')?;
    let (root, mut rest) = if rest.is_empty() || rest.starts_with(['.', '[']) {
        (Root::Input, rest)
    } else {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        (Root::Var(rest[..end].to_string()), &rest[end..])
    };
    let mut keys = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            // A plain name (anything else is written ['like this']).
            if end == 0
                || !r[..end]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            {
                return None;
            }
            keys.push(Key::Field(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']")?;
            keys.push(Key::Field(r[..end].to_string()));
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            keys.push(Key::Index(r[..end].trim().parse().ok()?));
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(Place { root, keys })
}

impl Place {
    fn with(&self, k: Key) -> Place {
        let mut keys = self.keys.clone();
        keys.push(k);
        Place {
            root: self.root.clone(),
            keys,
        }
    }
}

/// `v` with the member at `keys` replaced.
fn replace(v: &Val, keys: &[Key], new: Val) -> Option<Val> {
    let Some((first, rest)) = keys.split_first() else {
        return Some(new);
    };
    let mut out = v.clone();
    match first {
        Key::Field(k) => {
            let o = out.as_object_mut()?;
            let inner = replace(o.get(k)?, rest, new)?;
            o.insert(k.clone(), inner);
        }
        Key::Index(i) => {
            let a = out.as_array_mut()?;
            let inner = replace(a.get(*i)?, rest, new)?;
            a[*i] = inner;
        }
    }
    Some(out)
}

/// A JSONPath to member `k` of the value at `path`.
fn member(path: &str, k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !k.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{path}.{k}")
    } else {
        format!("{path}['{}']", k.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn child(name: String, v: &Val, eval: Option<String>, place: Option<Place>) -> Child {
    let (value, node, indexed) = show(v, eval.clone());
    let node = node.map(|n| match n {
        Node::Value { v, eval, .. } => Node::Value { v, eval, place },
        other => other,
    });
    Child {
        name,
        value,
        kind: Some(crate::asl::json::type_name(v)),
        evaluate: eval,
        node,
        indexed,
    }
}

/// A value as one line (cut with `…`), the node its members expand from
/// (None: a scalar or an empty container), and its length when the client
/// should page through it.
pub(super) fn show(v: &Val, eval: Option<String>) -> (String, Option<Node>, Option<usize>) {
    let line = v.preview(400);
    let (expands, len) = match v {
        Val::Arr(_) => {
            let n = v.as_array().map_or(0, Vec::len);
            (n > 0, Some(n))
        }
        Val::Obj(_) => (v.as_object().is_some_and(|o| !o.is_empty()), None),
        _ => (false, None),
    };
    let node = expands.then(|| Node::Value {
        v: v.clone(),
        eval,
        place: None,
    });
    (line, node, len.filter(|n| *n > PAGE))
}

fn value_node(v: Val, eval: &str, root: Option<Root>) -> Node {
    Node::Value {
        v,
        eval: Some(eval.to_string()),
        place: root.map(|root| Place {
            root,
            keys: Vec::new(),
        }),
    }
}

/// The scopes of a frame: `current` is the state about to run in the
/// strand whose turn it is (its live data); another frame shows what its
/// state's last run did. Each: name, node, expensive.
pub(super) fn scopes(
    m: &Moment,
    current: bool,
    mc: usize,
    st: usize,
    path: &[usize],
) -> Vec<(String, Node, bool)> {
    let def = m.definition();
    let state = &def.machines[mc].states[st];
    let last = m
        .stages()
        .iter()
        .rev()
        .find(|r| *r.state == *state.name && r.frame == path);
    let mut out = Vec::new();
    if current {
        if let Some(input) = m.current_input() {
            let root = m.at_state_entry().then_some(Root::Input);
            out.push((
                "Input".to_string(),
                value_node(input.clone(), "$", root),
                false,
            ));
        }
        let vars: Vec<Entry> = m
            .variables()
            .into_iter()
            .map(|(n, v, _)| Entry {
                eval: Some(format!("${n}")),
                place: Some(Place {
                    root: Root::Var(n.clone()),
                    keys: Vec::new(),
                }),
                name: n,
                v,
            })
            .collect();
        out.push(("Variables".to_string(), Node::List(vars), false));
    } else if let Some(input) = last.and_then(|r| r.input.clone()) {
        out.push(("Input".to_string(), value_node(input, "$", None), false));
    }
    if let Some(r) = last {
        let stages: Vec<Entry> = pipeline::stages(def, r)
            .into_iter()
            .map(|s| Entry {
                name: s.label,
                v: s.value,
                eval: None,
                place: None,
            })
            .collect();
        out.push(("Stages (last run)".to_string(), Node::List(stages), false));
    }
    if current {
        if m.waiting_for_task() {
            let mut task = Vec::new();
            if let Some(res) = def.raw(state).get("Resource") {
                task.push(Entry {
                    name: "Resource".into(),
                    v: Val::from(res),
                    eval: None,
                    place: None,
                });
            }
            if let Some(i) = m.pending_task_input() {
                task.push(Entry {
                    name: "Parameters".into(),
                    v: i.clone(),
                    eval: None,
                    place: None,
                });
            }
            if let Some(t) = m.task_token() {
                task.push(Entry {
                    name: "TaskToken".into(),
                    v: Val::str(t),
                    eval: None,
                    place: None,
                });
            }
            out.push((
                "Task (waits for an answer)".to_string(),
                Node::List(task),
                false,
            ));
        }
        if let Some(c) = m.context_object() {
            out.push(("Context ($$)".to_string(), value_node(c, "$$", None), false));
        }
    }
    let mut exec = vec![Entry {
        name: "Status".into(),
        v: Val::str(m.status().as_str()),
        eval: None,
        place: None,
    }];
    exec.push(Entry {
        name: "Input".into(),
        v: m.execution_input().clone(),
        eval: None,
        place: None,
    });
    if let Some(o) = m.output() {
        exec.push(Entry {
            name: "Output".into(),
            v: o.clone(),
            eval: None,
            place: None,
        });
    }
    if let Some(e) = m.error() {
        exec.push(Entry {
            name: "Error".into(),
            v: Val::object([
                ("Error", Val::str(e.error.as_str())),
                ("Cause", Val::str(e.cause.as_str())),
            ]),
            eval: None,
            place: None,
        });
    }
    out.push(("Execution".to_string(), Node::List(exec), true));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &str) -> Option<String> {
        parse_place(t).map(|p| format!("{:?} {:?}", p.root, p.keys))
    }

    #[test]
    fn places_to_set_are_plain_paths_into_the_input_or_a_variable() {
        assert_eq!(keys("$").unwrap(), "Input []");
        assert_eq!(
            keys("$.a['b c'][2].d").unwrap(),
            r#"Input [Field("a"), Field("b c"), Index(2), Field("d")]"#
        );
        assert_eq!(keys("$total.n").unwrap(), r#"Var("total") [Field("n")]"#);
        for bad in [
            "$.a..b",
            "$..a",
            "$.a[?(@.x)]",
            "a",
            "$$.Execution",
            "$.a[",
            "$.a + 1",
        ] {
            assert!(keys(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_member_is_replaced_deep_inside_and_the_rest_kept() {
        let v = Val::parse(r#"{"a": [1, {"b": 2}], "c": 3}"#).unwrap();
        let p = parse_place("$.a[1].b").unwrap();
        let new = replace(&v, &p.keys, Val::parse("9").unwrap()).unwrap();
        assert_eq!(new.to_compact(), r#"{"a":[1,{"b":9}],"c":3}"#);
        let missing = parse_place("$.x.y").unwrap();
        assert!(replace(&v, &missing.keys, Val::Null).is_none());
    }
}
