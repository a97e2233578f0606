//! The graph as Graphviz DOT and Mermaid: one walk over the definition
//! (states, Parallel/Map containers as clusters, edges), two syntaxes.

use super::{count_states, edges, inner_machines, EdgeKind, Id};
use crate::asl::model::{Definition, MachineId};
use std::collections::HashSet;

/// How one output language writes each part of the graph.
trait Syntax {
    fn graph_open(&self) -> &'static str;
    fn graph_close(&self) -> &'static str;
    /// The point the run starts from, and its edge to the first state.
    fn start(&self, id: &str) -> String;
    fn start_edge(&self, start: &str, first: &str) -> String;
    fn node(&self, id: &str, label: &str, type_name: &str) -> String;
    fn open_group(&self, id: &str, label: &str) -> String;
    fn close_group(&self) -> &'static str;
    /// The dotted line from a container to its branch's first state.
    fn link(&self, container: &str, first: &str) -> String;
    fn edge(&self, from: &str, to: &str, kind: &EdgeKind) -> String;
}

struct Dot;
struct Mermaid;

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Mermaid labels: quotes as entities (Mermaid has no backslash escapes).
fn mm(s: &str) -> String {
    s.replace('"', "#quot;")
}

impl Syntax for Dot {
    fn graph_open(&self) -> &'static str {
        "digraph StateMachine {\n  rankdir=TB;\n"
    }
    fn graph_close(&self) -> &'static str {
        "}\n"
    }
    fn start(&self, id: &str) -> String {
        format!("{id} [shape=point];")
    }
    fn start_edge(&self, start: &str, first: &str) -> String {
        format!("{start} -> {first};")
    }
    fn node(&self, id: &str, label: &str, type_name: &str) -> String {
        let shape = match type_name {
            "Choice" => "diamond",
            "Succeed" | "Fail" => "doublecircle",
            _ => "box",
        };
        format!(
            "{id} [label=\"{}\\n({type_name})\", shape={shape}];",
            esc(label)
        )
    }
    fn open_group(&self, id: &str, label: &str) -> String {
        format!("subgraph cluster_{id} {{\n  label=\"{}\";", esc(label))
    }
    fn close_group(&self) -> &'static str {
        "}"
    }
    fn link(&self, container: &str, first: &str) -> String {
        format!("{container} -> {first} [style=dotted, arrowhead=none];")
    }
    fn edge(&self, from: &str, to: &str, kind: &EdgeKind) -> String {
        let attrs = match kind {
            EdgeKind::Next => String::new(),
            EdgeKind::Rule(l) => format!(" [label=\"{}\"]", esc(l)),
            EdgeKind::Default => " [label=\"Default\", style=dashed]".into(),
            EdgeKind::Catch(l) => format!(" [label=\"catch {}\", color=red, style=dashed]", esc(l)),
        };
        format!("{from} -> {to}{attrs};")
    }
}

impl Syntax for Mermaid {
    fn graph_open(&self) -> &'static str {
        "flowchart TD\n"
    }
    fn graph_close(&self) -> &'static str {
        ""
    }
    fn start(&self, id: &str) -> String {
        format!("{id}((start))")
    }
    fn start_edge(&self, start: &str, first: &str) -> String {
        format!("{start} --> {first}")
    }
    fn node(&self, id: &str, label: &str, type_name: &str) -> String {
        let label = mm(label);
        match type_name {
            "Choice" => format!("{id}{{\"{label}\"}}"),
            "Succeed" | "Fail" => format!("{id}([\"{label}\"])"),
            _ => format!("{id}[\"{label}\"]"),
        }
    }
    fn open_group(&self, id: &str, label: &str) -> String {
        format!("subgraph {id} [\"{}\"]", mm(label))
    }
    fn close_group(&self) -> &'static str {
        "end"
    }
    fn link(&self, container: &str, first: &str) -> String {
        format!("{container} -.- {first}")
    }
    fn edge(&self, from: &str, to: &str, kind: &EdgeKind) -> String {
        let arrow = match kind {
            EdgeKind::Next => "-->".to_string(),
            EdgeKind::Rule(l) => format!("-->|\"{}\"|", mm(l)),
            EdgeKind::Default => "-.->|Default|".into(),
            EdgeKind::Catch(l) => format!("-.->|\"catch {}\"|", mm(l)),
        };
        format!("{from} {arrow} {to}")
    }
}

/// A state's node: `p` tells apart the machines of one template.
fn node_id(p: &str, m: MachineId, s: usize) -> String {
    format!("{p}m{m}s{s}")
}

/// A collapsed container's name gets the number of states it hides.
fn shown_name(def: &Definition, id: Id, collapsed: &HashSet<Id>) -> String {
    let st = &def.machines[id.0].states[id.1];
    if collapsed.contains(&id) {
        let n: usize = inner_machines(&st.kind)
            .into_iter()
            .map(|b| count_states(def, b))
            .sum();
        format!("{} [+{n}]", st.name)
    } else {
        st.name.to_string()
    }
}

/// Write machine `m`'s states, containers (unless collapsed) and edges.
fn walk(
    syn: &dyn Syntax,
    def: &Definition,
    p: &str,
    m: MachineId,
    collapsed: &HashSet<Id>,
    indent: &str,
    out: &mut String,
) {
    let line = |out: &mut String, text: &str| {
        for l in text.lines() {
            out.push_str(indent);
            out.push_str(l);
            out.push('\n');
        }
    };
    for (i, st) in def.machines[m].states.iter().enumerate() {
        let id = node_id(p, m, i);
        let label = shown_name(def, (m, i), collapsed);
        line(out, &syn.node(&id, &label, &st.type_name));
        if collapsed.contains(&(m, i)) {
            continue;
        }
        for (bi, b) in inner_machines(&st.kind).into_iter().enumerate() {
            let part = if st.type_name == "Map" {
                "items".to_string()
            } else {
                format!("branch {bi}")
            };
            line(
                out,
                &syn.open_group(&format!("{id}_{bi}"), &format!("{} {part}", st.name)),
            );
            walk(syn, def, p, b, collapsed, &format!("{indent}  "), out);
            line(out, syn.close_group());
            line(
                out,
                &syn.link(&id, &node_id(p, b, def.machines[b].start_at)),
            );
        }
    }
    for e in edges(def, m) {
        line(
            out,
            &syn.edge(&node_id(p, m, e.from), &node_id(p, m, e.to), &e.kind),
        );
    }
}

/// One machine drawn at `indent`, its node ids starting with `p`.
fn machine(
    syn: &dyn Syntax,
    def: &Definition,
    collapsed: &HashSet<Id>,
    p: &str,
    indent: &str,
    out: &mut String,
) {
    let start = format!("{p}start");
    out.push_str(&format!("{indent}{}\n", syn.start(&start)));
    walk(syn, def, p, 0, collapsed, indent, out);
    let first = node_id(p, 0, def.machines[0].start_at);
    out.push_str(&format!("{indent}{}\n", syn.start_edge(&start, &first)));
}

fn render(syn: &dyn Syntax, def: &Definition, collapsed: &HashSet<Id>) -> String {
    let mut out = String::from(syn.graph_open());
    machine(syn, def, collapsed, "", "  ", &mut out);
    out.push_str(syn.graph_close());
    out
}

/// Several machines (a template's) in one graph, each a group under its
/// name.
fn render_many(syn: &dyn Syntax, machines: &[Named]) -> String {
    let mut out = String::from(syn.graph_open());
    for (k, (name, def, collapsed)) in machines.iter().enumerate() {
        let p = format!("t{k}");
        for l in syn.open_group(&p, name).lines() {
            out.push_str(&format!("  {l}\n"));
        }
        machine(syn, def, collapsed, &p, "    ", &mut out);
        out.push_str(&format!("  {}\n", syn.close_group()));
    }
    out.push_str(syn.graph_close());
    out
}

/// A machine of a template: its name, its definition, the containers
/// drawn collapsed.
pub type Named<'a> = (&'a str, &'a Definition, &'a HashSet<Id>);

/// Graphviz DOT, with Parallel/Map containers as clusters (the ones in
/// `collapsed` as a single node).
pub fn to_dot(def: &Definition, collapsed: &HashSet<Id>) -> String {
    render(&Dot, def, collapsed)
}

/// A Mermaid flowchart, with Parallel/Map containers as subgraphs (the
/// ones in `collapsed` as a single node).
pub fn to_mermaid(def: &Definition, collapsed: &HashSet<Id>) -> String {
    render(&Mermaid, def, collapsed)
}

/// The machines of a template in one Graphviz DOT graph, a cluster each.
pub fn many_to_dot(machines: &[Named]) -> String {
    render_many(&Dot, machines)
}

/// The machines of a template in one Mermaid flowchart, a subgraph each.
pub fn many_to_mermaid(machines: &[Named]) -> String {
    render_many(&Mermaid, machines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> Definition {
        Definition::from_value(&json!({"StartAt": "Route", "States": {
            "Route": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericGreaterThan": 1, "Next": "Both"}], "Default": "Stop"},
            "Both": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "L", "States": {"L": {"Type": "Pass", "End": true}}},
                {"StartAt": "R \"q\"", "States": {"R \"q\"": {"Type": "Succeed"}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Stop"}]},
            "Stop": {"Type": "Fail", "Error": "E"}}}))
        .unwrap()
    }

    #[test]
    fn dot_has_clusters_labelled_edges_and_escaped_names() {
        let d = def();
        let dot = to_dot(&d, &HashSet::new());
        for want in [
            "digraph StateMachine {",
            "  m0s0 [label=\"Route\\n(Choice)\", shape=diamond];",
            "  subgraph cluster_m0s1_1 {",
            "    m2s0 [label=\"R \\\"q\\\"\\n(Succeed)\", shape=doublecircle];",
            "  m0s1 -> m1s0 [style=dotted, arrowhead=none];",
            "  m0s0 -> m0s1 [label=\"$.a > 1\"];",
            "  m0s0 -> m0s2 [label=\"Default\", style=dashed];",
            "  m0s1 -> m0s2 [label=\"catch States.ALL\", color=red, style=dashed];",
            "  start -> m0s0;",
        ] {
            assert!(dot.lines().any(|l| l == want), "no line {want:?} in\n{dot}");
        }
        let shut = to_dot(&d, &[(0, 1)].into_iter().collect());
        assert!(
            shut.contains("Both [+2]") && !shut.contains("cluster_"),
            "{shut}"
        );
    }

    #[test]
    fn mermaid_has_subgraphs_and_quoted_labels() {
        let d = def();
        let mmd = to_mermaid(&d, &HashSet::new());
        for want in [
            "flowchart TD",
            "  m0s0{\"Route\"}",
            "  subgraph m0s1_0 [\"Both branch 0\"]",
            "    m2s0([\"R #quot;q#quot;\"])",
            "  end",
            "  m0s1 -.- m2s0",
            "  m0s0 -.->|Default| m0s2",
            "  start --> m0s0",
        ] {
            assert!(mmd.lines().any(|l| l == want), "no line {want:?} in\n{mmd}");
        }
    }

    #[test]
    fn a_templates_machines_are_one_graph_a_group_each_with_ids_kept_apart() {
        let (a, b) = (def(), def());
        let none = HashSet::new();
        let machines = [("Orders", &a, &none), ("Refunds", &b, &none)];
        let dot = many_to_dot(&machines);
        for want in [
            "digraph StateMachine {",
            "  subgraph cluster_t0 {",
            "    label=\"Orders\";",
            "    t0start [shape=point];",
            "    t0m0s0 [label=\"Route\\n(Choice)\", shape=diamond];",
            "    t1m0s0 -> t1m0s1 [label=\"$.a > 1\"];",
            "    t1start -> t1m0s0;",
        ] {
            assert!(dot.lines().any(|l| l == want), "no line {want:?} in\n{dot}");
        }
        assert_eq!(dot.matches("digraph").count(), 1, "{dot}");
        let mmd = many_to_mermaid(&machines);
        for want in [
            "flowchart TD",
            "  subgraph t1 [\"Refunds\"]",
            "    t1start((start))",
            "    t0m0s0 -.->|Default| t0m0s2",
            "  end",
        ] {
            assert!(mmd.lines().any(|l| l == want), "no line {want:?} in\n{mmd}");
        }
    }
}
