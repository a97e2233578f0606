//! Variable scopes: a branch or iteration may read the variables around it
//! but not assign them.

use super::{tok, Diagnostic, Kind, Machine, MachineId, State};

/// Names a state assigns (Assign on the state, its catchers and its rules).
fn assigned_names(st: &State) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |keys: &[String], ptr: String| {
        for k in keys {
            out.push((
                k.trim_end_matches(".$").to_string(),
                format!("{ptr}/{}", tok(k)),
            ));
        }
    };
    add(&st.assigns, format!("{}/Assign", st.pointer));
    for (i, c) in st.catch.iter().enumerate() {
        add(&c.assigns, format!("{}/Catch/{i}/Assign", st.pointer));
    }
    if let Kind::Choice { choices, .. } = &st.kind {
        for (i, c) in choices.iter().enumerate() {
            add(&c.assigns, format!("{}/Choices/{i}/Assign", st.pointer));
        }
    }
    out
}

/// Branches and inline iterations read the variables of the scopes around
/// them but may not assign them (a Distributed Map's children are separate
/// executions and see none). The Parallel or Map state that holds a branch
/// may assign the branch's names itself, in its Assign or its catchers'
/// (AWS accepts that and runs it: the recordings show it).
pub(super) fn scope_diagnostics(machines: &[Machine]) -> Vec<Diagnostic> {
    // parent[m] = (enclosing machine, whether the boundary is a Distributed
    // Map, the state that holds m)
    let mut parent: Vec<Option<(MachineId, bool, usize)>> = vec![None; machines.len()];
    for (mi, m) in machines.iter().enumerate() {
        for (si, st) in m.states.iter().enumerate() {
            match &st.kind {
                Kind::Parallel { branches } => branches
                    .iter()
                    .for_each(|b| parent[*b] = Some((mi, false, si))),
                Kind::Map(spec) => parent[spec.processor] = Some((mi, spec.distributed, si)),
                _ => {}
            }
        }
    }
    // (name, pointer, the state that assigns it)
    let names: Vec<Vec<(String, String, usize)>> = machines
        .iter()
        .map(|m| {
            m.states
                .iter()
                .enumerate()
                .flat_map(|(si, st)| assigned_names(st).into_iter().map(move |(n, p)| (n, p, si)))
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for (mi, own) in names.iter().enumerate() {
        for (name, ptr, _) in own {
            let mut cur = parent[mi];
            while let Some((outer, distributed, holder)) = cur {
                if distributed {
                    break;
                }
                if names[outer]
                    .iter()
                    .any(|(n, _, si)| n == name && *si != holder)
                {
                    out.push(Diagnostic {
                        pointer: ptr.clone(),
                        message: format!("the variable ${name} belongs to an enclosing scope: a Parallel branch or Map iteration may read it but not assign it"),
                        expr: None,
                    });
                    break;
                }
                cur = parent[outer];
            }
        }
    }
    out
}
