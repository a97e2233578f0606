//! What an open file holds, for navigation, completion and hover: its
//! state machines (the file itself, or each definition written inside a
//! template), their states, and every transition with where it is written.
//! Built from the document as it was last parsed, whether or not the
//! definition is valid.

use super::text::{Places, Span};
use crate::asl::json::pointer_token;
use serde_json::Value;

/// One state as written.
#[derive(Debug, Clone)]
pub struct StateInfo {
    pub name: String,
    /// Its JSON pointer in the file.
    pub pointer: String,
    /// Its name's span (the key).
    pub key: Span,
    /// Its whole text, key to closing brace.
    pub body: Span,
    pub ty: Option<String>,
    /// Whether its name's span is its own (not inside a YAML flow mapping).
    pub exact: bool,
    /// Whether it is written in JSONata (its own or its machine's choice).
    pub jsonata: bool,
    /// The States block it belongs to.
    pub scope: usize,
}

/// One States block: a definition's, a Parallel branch's or a Map's
/// processor's.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The pointer of the object holding `StartAt` and `States`.
    pub pointer: String,
    pub states: Vec<usize>,
    /// The state this block runs in (None for a definition).
    pub parent: Option<usize>,
    pub jsonata: bool,
}

impl Index {
    /// The States blocks that run inside state `s` (a Parallel's branches,
    /// a Map's processor).
    pub fn blocks_in(&self, s: usize) -> &[usize] {
        self.inner.get(s).map_or(&[], Vec::as_slice)
    }
}

/// A transition: a field naming a state.
#[derive(Debug, Clone)]
pub struct Ref {
    pub target: String,
    /// The span of the name (inside its quotes).
    pub span: Span,
    pub pointer: String,
    pub scope: usize,
    /// The state it leaves (None for `StartAt`).
    pub from: Option<usize>,
    /// `StartAt`, `Next`, `Default`, or `Catch` (a catcher's `Next`),
    /// `Choices` (a rule's `Next`).
    pub field: &'static str,
    /// Whether its span is its own (not inside a YAML flow collection).
    pub exact: bool,
}

#[derive(Debug, Default)]
pub struct Index {
    pub states: Vec<StateInfo>,
    pub scopes: Vec<Scope>,
    pub refs: Vec<Ref>,
    /// Each state's blocks (see [`Index::blocks_in`]).
    inner: Vec<Vec<usize>>,
}

impl Index {
    /// The machines whose definitions start at `roots` (pointers into
    /// `value`) as written in the text placed by `places`.
    pub fn build(value: &Value, places: &Places, roots: &[String]) -> Index {
        let mut ix = Index::default();
        for r in roots {
            if let Some(v) = value.pointer(r) {
                let jsonata = v.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata");
                ix.machine(v, r, places, None, jsonata);
            }
        }
        ix
    }

    fn machine(
        &mut self,
        v: &Value,
        ptr: &str,
        places: &Places,
        parent: Option<usize>,
        jsonata: bool,
    ) {
        let scope = self.scopes.len();
        if let Some(p) = parent {
            self.inner[p].push(scope);
        }
        self.scopes.push(Scope {
            pointer: ptr.to_string(),
            states: Vec::new(),
            parent,
            jsonata,
        });
        self.reference(&format!("{ptr}/StartAt"), places, scope, None, "StartAt");
        let Some(states) = v.get("States").and_then(Value::as_object) else {
            return;
        };
        for (name, st) in states {
            let p = format!("{ptr}/States/{}", pointer_token(name));
            let Some(place) = places.get(&p) else {
                continue;
            };
            let own = st.get("QueryLanguage").and_then(Value::as_str);
            let jsonata = own.map_or(jsonata, |q| q == "JSONata");
            let id = self.states.len();
            self.states.push(StateInfo {
                name: name.clone(),
                pointer: p.clone(),
                key: place.key.unwrap_or(place.value),
                body: (place.key.map_or(place.value.0, |k| k.0), place.value.1),
                ty: st.get("Type").and_then(Value::as_str).map(str::to_string),
                exact: place.exact,
                jsonata,
                scope,
            });
            self.scopes[scope].states.push(id);
            self.inner.push(Vec::new());
            let here = Some(id);
            self.reference(&format!("{p}/Next"), places, scope, here, "Next");
            self.reference(&format!("{p}/Default"), places, scope, here, "Default");
            for (list, field) in [("Choices", "Choices"), ("Catch", "Catch")] {
                let n = st.get(list).and_then(Value::as_array).map_or(0, Vec::len);
                for i in 0..n {
                    let at = format!("{p}/{list}/{i}/Next");
                    self.reference(&at, places, scope, here, field);
                }
            }
            if let Some(bs) = st.get("Branches").and_then(Value::as_array) {
                for (i, b) in bs.iter().enumerate() {
                    self.machine(b, &format!("{p}/Branches/{i}"), places, here, jsonata);
                }
            }
            for k in ["ItemProcessor", "Iterator"] {
                if let Some(b) = st.get(k).filter(|b| b.is_object()) {
                    self.machine(b, &format!("{p}/{k}"), places, here, jsonata);
                }
            }
        }
    }

    fn reference(
        &mut self,
        pointer: &str,
        places: &Places,
        scope: usize,
        from: Option<usize>,
        field: &'static str,
    ) {
        let Some(place) = places.get(pointer) else {
            return;
        };
        self.refs.push(Ref {
            target: String::new(),
            span: place.value,
            pointer: pointer.to_string(),
            scope,
            from,
            field,
            exact: place.exact,
        });
    }

    /// Fill each reference's target from the document's values.
    pub fn resolve(mut self, value: &Value) -> Index {
        self.refs.retain_mut(|r| match value.pointer(&r.pointer) {
            Some(Value::String(s)) => {
                r.target = s.clone();
                true
            }
            _ => false,
        });
        self
    }

    /// The state named `name` in `scope`.
    pub fn in_scope(&self, scope: usize, name: &str) -> Option<usize> {
        self.scopes
            .get(scope)?
            .states
            .iter()
            .copied()
            .find(|&s| self.states[s].name == name)
    }

    /// The state named `name` anywhere (names are unique in a definition;
    /// the first one when a file breaks that rule or holds several machines).
    pub fn named(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }

    /// The innermost state whose text holds `offset`.
    pub fn state_at(&self, offset: usize) -> Option<usize> {
        self.states
            .iter()
            .enumerate()
            .filter(|(_, s)| s.exact && s.body.0 <= offset && offset <= s.body.1)
            .min_by_key(|(_, s)| s.body.1 - s.body.0)
            .map(|(i, _)| i)
    }

    /// The reference whose name's text holds `offset`.
    pub fn ref_at(&self, offset: usize) -> Option<&Ref> {
        self.refs
            .iter()
            .find(|r| r.exact && r.span.0 <= offset && offset <= r.span.1)
    }

    /// The state whose name (its key) holds `offset`.
    pub fn name_at(&self, offset: usize) -> Option<usize> {
        self.states
            .iter()
            .position(|s| s.exact && s.key.0 <= offset && offset <= s.key.1)
    }

    /// The states of the same machine (top level) as state `id`, with the
    /// states nested in them: the set a name must be unique in.
    pub fn definition_of(&self, id: usize) -> Vec<usize> {
        let mut scope = self.states[id].scope;
        while let Some(p) = self.scopes[scope].parent {
            scope = self.states[p].scope;
        }
        let top = &self.scopes[scope].pointer;
        (0..self.states.len())
            .filter(|&s| {
                let p = &self.states[s].pointer;
                p.starts_with(top.as_str()) && p[top.len()..].starts_with("/States/")
            })
            .collect()
    }

    /// The states that can run before `id` in its States block, the blocks
    /// around it included: the ones whose assignments it may read.
    pub fn upstream(&self, id: usize) -> Vec<usize> {
        // The transitions into each state, once.
        let mut into: std::collections::HashMap<(usize, &str), Vec<usize>> = Default::default();
        for r in &self.refs {
            if let Some(f) = r.from {
                into.entry((r.scope, r.target.as_str()))
                    .or_default()
                    .push(f);
            }
        }
        let mut seen = vec![false; self.states.len()];
        let mut out = Vec::new();
        let mut todo = vec![id];
        while let Some(s) = todo.pop() {
            let scope = self.states[s].scope;
            for &f in into
                .get(&(scope, self.states[s].name.as_str()))
                .into_iter()
                .flatten()
            {
                if !seen[f] {
                    seen[f] = true;
                    out.push(f);
                    todo.push(f);
                }
            }
            // The state a branch or iteration runs in, and what ran before it.
            if let Some(p) = self.scopes[scope].parent {
                if !seen[p] {
                    seen[p] = true;
                    todo.push(p);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(t: &str) -> Index {
        let v: Value = serde_json::from_str(t).unwrap();
        let p = Places::json(t).unwrap();
        Index::build(&v, &p, &[String::new()]).resolve(&v)
    }

    #[test]
    fn states_scopes_and_transitions() {
        let t = r#"{"StartAt":"A","States":{
            "A":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"Next":"C",
                 "Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}]},
            "C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"A"}],"Default":"D"},
            "D":{"Type":"Succeed"}}}"#;
        let ix = index(t);
        assert_eq!(ix.states.len(), 4);
        assert_eq!(ix.scopes.len(), 2);
        let fields: Vec<(&str, &str)> = ix
            .refs
            .iter()
            .map(|r| (r.field, r.target.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("StartAt", "A"),
                ("Next", "C"),
                ("Catch", "C"),
                ("StartAt", "B"),
                ("Default", "D"),
                ("Choices", "A")
            ]
        );
        let b = ix.named("B").unwrap();
        assert_eq!(ix.states[b].scope, 1);
        // B runs inside A; A runs after C (the loop back).
        let c = ix.named("C").unwrap();
        let up: Vec<&str> = ix
            .upstream(b)
            .iter()
            .map(|&s| ix.states[s].name.as_str())
            .collect();
        assert!(up.contains(&"C"), "{up:?}");
        assert!(ix.upstream(c).contains(&ix.named("A").unwrap()));
        assert_eq!(ix.definition_of(b).len(), 4);
        let off = t.find("\"D\"}").unwrap() + 1;
        assert_eq!(ix.ref_at(off).map(|r| r.target.as_str()), Some("D"));
    }
}
