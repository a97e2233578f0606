//! The state graph: a layered (top-down) layout of a definition and its
//! renderings as text (box drawing), Graphviz DOT and Mermaid.
//!
//! Layout (Sugiyama style): back edges (loops) are set aside, states get
//! longest-path layers from the start, long edges get dummy nodes, a few
//! barycentre sweeps order each layer to reduce crossings, then each layer is
//! packed and slid as a block towards its neighbours above and below (chains
//! line up, the drawing is never wider than its widest layer). Parallel
//! branches and Map processors are laid out the same way, recursively,
//! inside their container's box.
//! Pure functions of the definition: nothing here knows about a terminal.

mod export;
pub mod nav;
pub mod text;

use crate::asl::model::{ChoiceRule, Definition, Kind, MachineId, RuleTest, StateId};
use std::collections::{HashMap, HashSet};

/// A state anywhere in a definition: (machine, state).
pub type Id = (MachineId, StateId);

/// Sets hashed with foldhash (updated for every event of a long run).
pub type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// What an execution did, to be drawn on its graph (plain data: the
/// debugger's trace fills it from the history).
#[derive(Debug, Clone, Default)]
pub struct Marks {
    pub visited: FastSet<Id>,
    /// States whose failure was not (yet) handled.
    pub failed: FastSet<Id>,
    /// States that failed and whose error a Catch took.
    pub caught: FastSet<Id>,
    /// How many times each state was entered.
    pub visits: FastMap<Id, usize>,
    /// Transitions taken: (machine, from, to).
    pub taken: FastSet<(MachineId, StateId, StateId)>,
    /// States only one of two compared runs entered, with that run's
    /// letter (`diff --graph`).
    pub only: FastMap<Id, char>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EdgeKind {
    Next,
    /// A Choice rule (its short label).
    Rule(String),
    Default,
    /// A catcher (the error names).
    Catch(String),
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: StateId,
    pub to: StateId,
    pub kind: EdgeKind,
    /// Goes back up (part of a loop).
    pub back: bool,
}

/// A laid-out state.
#[derive(Debug, Clone)]
pub struct Node {
    pub state: StateId,
    pub name: String,
    pub type_name: String,
    pub layer: usize,
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
    /// Inner layouts of a Parallel's branches or a Map's processor, side by side.
    pub children: Vec<Layout>,
    /// A collapsed container: how many states it hides (0 otherwise).
    pub hidden: usize,
}

/// The layout of one machine (the top level, a branch or an item processor).
#[derive(Debug, Clone)]
pub struct Layout {
    pub machine: MachineId,
    pub start: StateId,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Dummy points of long edges: edge index -> (x, y) of each layer it crosses.
    pub bends: HashMap<usize, Vec<(usize, usize)>>,
    pub w: usize,
    pub h: usize,
}

pub const GAP_X: usize = 3;
pub const GAP_Y: usize = 3;

/// Rows between layers: two when compact (the arrow's row, and one where
/// edges turn and labels go), else three.
fn gap_y(names: Names) -> usize {
    if names == Names::Compact {
        2
    } else {
        GAP_Y
    }
}

/// A Choice rule as an edge label: `$.x > 3`, or a JSONata condition's text.
fn short_rule(raw: Option<&serde_json::Value>, rule: &ChoiceRule) -> String {
    if let RuleTest::Jsonata { condition, .. } = &rule.test {
        return condition.source.clone();
    }
    let o = raw.and_then(|r| r.as_object());
    let var = o
        .and_then(|o| o.get("Variable"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let op = o.and_then(|o| {
        o.iter().find(|(k, _)| {
            !matches!(
                k.as_str(),
                "Variable" | "Next" | "Comment" | "Assign" | "Output"
            )
        })
    });
    match op {
        Some((k, v)) if !var.is_empty() => {
            let sym = match k.trim_end_matches("Path") {
                k if k.ends_with("GreaterThanEquals") => ">=",
                k if k.ends_with("LessThanEquals") => "<=",
                k if k.ends_with("GreaterThan") => ">",
                k if k.ends_with("LessThan") => "<",
                k if k.ends_with("Equals") => "==",
                "StringMatches" => "~",
                other => other,
            };
            format!("{var} {sym} {}", v.to_string().trim_matches('"'))
        }
        Some((k, _)) => k.clone(),
        None => "rule".into(),
    }
}

/// Edges of a machine, with back edges marked (a DFS from the start).
pub fn edges(def: &Definition, m: MachineId) -> Vec<Edge> {
    let mc = &def.machines[m];
    let mut out = Vec::new();
    for (i, st) in mc.states.iter().enumerate() {
        if let Some(n) = st.next {
            out.push(Edge {
                from: i,
                to: n,
                kind: EdgeKind::Next,
                back: false,
            });
        }
        if let Kind::Choice { choices, default } = &st.kind {
            for (ci, c) in choices.iter().enumerate() {
                out.push(Edge {
                    from: i,
                    to: c.next,
                    kind: EdgeKind::Rule(short_rule(
                        def.raw(st).get("Choices").and_then(|a| a.get(ci)),
                        c,
                    )),
                    back: false,
                });
            }
            if let Some(d) = default {
                out.push(Edge {
                    from: i,
                    to: *d,
                    kind: EdgeKind::Default,
                    back: false,
                });
            }
        }
        for c in &st.catch {
            out.push(Edge {
                from: i,
                to: c.next,
                kind: EdgeKind::Catch(c.errors.join(",")),
                back: false,
            });
        }
    }
    // Back edges: edges into a state on the current DFS path.
    let n = mc.states.len();
    let mut state = vec![0u8; n]; // 0 new, 1 on path, 2 done
    let mut stack = vec![(mc.start_at, 0usize)];
    if n > 0 {
        state[mc.start_at] = 1;
    }
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in out.iter().enumerate() {
        outs[e.from].push(i);
    }
    while let Some((v, k)) = stack.pop() {
        let outs = &outs[v];
        if k < outs.len() {
            stack.push((v, k + 1));
            let ei = outs[k];
            let t = out[ei].to;
            match state[t] {
                1 => out[ei].back = true,
                0 => {
                    state[t] = 1;
                    stack.push((t, 0));
                }
                _ => {}
            }
        } else {
            state[v] = 2;
        }
    }
    out
}

/// How much of each state's name its box shows (what does not fit ends
/// in `…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Every name whole (the command line: nothing limits its width).
    Whole,
    /// Up to 32 columns (a pane of the debugger).
    Screen,
    /// Up to 12 columns (`--compact`, `z`).
    Compact,
}

impl Names {
    fn cap(self) -> usize {
        match self {
            Names::Whole => usize::MAX,
            Names::Screen => 32,
            Names::Compact => 12,
        }
    }
}

/// Box size of a state without children: `[glyph name]` plus borders, the
/// name measured in display columns (a CJK character or an emoji takes two).
/// Compact, a box is one row (`[▶⚙ name]`), with no border above or below.
fn leaf_size(name: &str, names: Names) -> (usize, usize) {
    use unicode_width::UnicodeWidthStr;
    let n = crate::output::printable(name).width();
    let w = n.min(names.cap()) + 5;
    (w.max(7), if names == Names::Compact { 1 } else { 3 })
}

/// Lay out machine `m` (recursively for containers), every container expanded.
pub fn layout(def: &Definition, m: MachineId, names: Names) -> Layout {
    layout_with(def, m, names, &HashSet::new())
}

/// How many states machine `m` holds, nested ones included.
pub fn count_states(def: &Definition, m: MachineId) -> usize {
    def.machines[m]
        .states
        .iter()
        .map(|st| {
            1 + inner_machines(&st.kind)
                .into_iter()
                .map(|b| count_states(def, b))
                .sum::<usize>()
        })
        .sum()
}

/// The container state that holds each inner machine: machine -> (machine, state).
pub fn containers(def: &Definition) -> HashMap<MachineId, Id> {
    let mut out = HashMap::new();
    for (m, mc) in def.machines.iter().enumerate() {
        for (s, st) in mc.states.iter().enumerate() {
            for b in inner_machines(&st.kind) {
                out.insert(b, (m, s));
            }
        }
    }
    out
}

/// The Parallel or Map states with these names (for `--collapse`).
pub fn containers_named(def: &Definition, names: &[String]) -> Result<HashSet<Id>, String> {
    names
        .iter()
        .map(|name| {
            let id = def
                .find(name)
                .ok_or_else(|| format!("--collapse: no state is named \"{name}\""))?;
            let st = &def.machines[id.0].states[id.1];
            if inner_machines(&st.kind).is_empty() {
                return Err(format!(
                    "--collapse: \"{name}\" is a {} state (only Parallel and Map states hold others) at {}",
                    st.type_name, st.pointer
                ));
            }
            Ok(id)
        })
        .collect()
}

/// Lay out machine `m`; the containers in `collapsed` are drawn as one box.
pub fn layout_with(
    def: &Definition,
    m: MachineId,
    names: Names,
    collapsed: &HashSet<Id>,
) -> Layout {
    let mc = &def.machines[m];
    let n = mc.states.len();
    let edges = edges(def, m);
    // Layers: longest path over forward edges (in a DAG order).
    let mut indeg = vec![0usize; n];
    for e in edges.iter().filter(|e| !e.back) {
        indeg[e.to] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut queue: Vec<usize> = (0..n).filter(|i| indeg[*i] == 0).collect();
    // Start first.
    queue.sort_by_key(|i| (*i != mc.start_at, *i));
    let mut order = Vec::with_capacity(n);
    // Forward edges by their source, so the walk below is linear.
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate().filter(|(_, e)| !e.back) {
        out_edges[e.from].push(i);
    }
    while let Some(v) = queue.pop() {
        order.push(v);
        for e in out_edges[v].iter().map(|&i| &edges[i]) {
            layer[e.to] = layer[e.to].max(layer[v] + 1);
            indeg[e.to] -= 1;
            if indeg[e.to] == 0 {
                queue.push(e.to);
            }
        }
    }
    let layers = layer.iter().copied().max().map(|x| x + 1).unwrap_or(0);
    // Members of each layer: real states, then one dummy per layer crossed by a long edge.
    #[derive(Clone, Copy, PartialEq)]
    enum Item {
        State(usize),
        Dummy(usize, usize), // (edge, step)
    }
    let mut rows: Vec<Vec<Item>> = vec![Vec::new(); layers];
    for v in &order {
        rows[layer[*v]].push(Item::State(*v));
    }
    for (ei, e) in edges.iter().enumerate() {
        if !e.back && layer[e.to] > layer[e.from] + 1 {
            for (step, l) in (layer[e.from] + 1..layer[e.to]).enumerate() {
                rows[l].push(Item::Dummy(ei, step));
            }
        }
    }
    // Start from the order in which the definition names the targets (rule
    // order for a Choice), so that ties keep reading left to right.
    // Forward edges into each state (out_edges, above, leave each state).
    let mut in_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate().filter(|(_, e)| !e.back) {
        in_edges[e.to].push(i);
    }
    let rank = |it: &Item| -> usize {
        match it {
            Item::State(s) => in_edges[*s].first().copied().unwrap_or(*s),
            Item::Dummy(e, _) => *e,
        }
    };
    for r in rows.iter_mut() {
        r.sort_by_key(|it| rank(it));
    }
    // Crossing reduction: barycentre sweeps down and up.
    // Position of every item in its row, kept up to date as rows are
    // reordered (rebuilding it per row made 1000 states take 250 ms).
    let key_of = |it: &Item| match it {
        Item::State(s) => (0, *s, 0),
        Item::Dummy(e, st) => (1, *e, *st),
    };
    let mut p: HashMap<(usize, usize, usize), f64, foldhash::fast::RandomState> =
        HashMap::default();
    for r in &rows {
        for (i, it) in r.iter().enumerate() {
            p.insert(key_of(it), i as f64);
        }
    }
    let neighbours = |it: &Item, up: bool| -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        match it {
            Item::State(s) => {
                let mine = if up { &in_edges[*s] } else { &out_edges[*s] };
                for &ei in mine {
                    let e = &edges[ei];
                    let long = layer[e.to] > layer[e.from] + 1;
                    out.push(match (up, long) {
                        (true, true) => (1, ei, layer[e.to] - layer[e.from] - 2),
                        (true, false) => (0, e.from, 0),
                        (false, true) => (1, ei, 0),
                        (false, false) => (0, e.to, 0),
                    });
                }
            }
            Item::Dummy(ei, st) => {
                let e = &edges[*ei];
                let last = layer[e.to] - layer[e.from] - 2;
                if up {
                    out.push(if *st == 0 {
                        (0, e.from, 0)
                    } else {
                        (1, *ei, st - 1)
                    });
                } else {
                    out.push(if *st == last {
                        (0, e.to, 0)
                    } else {
                        (1, *ei, st + 1)
                    });
                }
            }
        }
        out
    };
    for (down, l) in sweeps(layers) {
        let mut keyed: Vec<(f64, usize, Item)> = rows[l]
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let ns = neighbours(it, down);
                let vals: Vec<f64> = ns.iter().filter_map(|k| p.get(k)).copied().collect();
                let b = if vals.is_empty() {
                    i as f64
                } else {
                    vals.iter().sum::<f64>() / vals.len() as f64
                };
                (b, i, *it)
            })
            .collect();
        keyed.sort_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
        rows[l] = keyed.into_iter().map(|k| k.2).collect();
        for (i, it) in rows[l].iter().enumerate() {
            p.insert(key_of(it), i as f64);
        }
    }
    // Sizes (containers hold their children side by side).
    let mut nodes: Vec<Option<Node>> = vec![None; n];
    for (i, st) in mc.states.iter().enumerate() {
        let shut = collapsed.contains(&(m, i));
        let inner = inner_machines(&st.kind);
        let hidden = if shut {
            inner.iter().map(|b| count_states(def, *b)).sum()
        } else {
            0
        };
        let children: Vec<Layout> = if shut {
            Vec::new()
        } else {
            inner
                .into_iter()
                .map(|b| layout_with(def, b, names, collapsed))
                .collect()
        };
        let (mut w, mut h) = leaf_size(&st.name, names);
        if hidden > 0 && names == Names::Compact {
            // One row too: `[‖ name +N]`.
            w += format!(" +{hidden}").len();
        } else if hidden > 0 {
            // Room for "[+N]" on the bottom border.
            w = w.max(format!("[+{hidden}]").len() + 4);
            h = 3;
        }
        if !children.is_empty() {
            let cw: usize =
                children.iter().map(|c| c.w).sum::<usize>() + GAP_X * (children.len() - 1);
            let ch = children.iter().map(|c| c.h).max().unwrap_or(0);
            w = w.max(cw + 4);
            // Room below for loops that leave the children's last layer.
            let loops = children.iter().any(|c| c.edges.iter().any(|e| e.back));
            h = ch + 1 + if loops { 2 } else { 0 } + top_room(&children);
        }
        nodes[i] = Some(Node {
            state: i,
            name: st.name.to_string(),
            type_name: st.type_name.clone(),
            layer: layer[i],
            x: 0,
            y: 0,
            w,
            h,
            children,
            hidden,
        });
    }
    // Coordinates: rows top to bottom, items left to right.
    let row_w: Vec<usize> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|it| match it {
                    Item::State(s) => nodes[*s].as_ref().map(|n| n.w).unwrap_or(1),
                    Item::Dummy(..) => 1,
                })
                .sum::<usize>()
                + GAP_X * r.len().saturating_sub(1)
        })
        .collect();
    let width = row_w.iter().copied().max().unwrap_or(0);
    // Each row stays packed (its items side by side, in order), and the
    // whole row slides within the widest row's width towards its
    // neighbours in the row above (then below): a chain lines up under its
    // parent, and the drawing never gets wider than the widest row.
    let widths: Vec<usize> = nodes
        .iter()
        .map(|n| n.as_ref().map(|n| n.w).unwrap_or(1))
        .collect();
    let wid = |it: &Item| match it {
        Item::State(s) => widths[*s],
        Item::Dummy(..) => 1,
    };
    let mut offset: Vec<isize> = row_w.iter().map(|w| ((width - w) / 2) as isize).collect();
    // Centre of each item, kept up to date as rows slide.
    let place = |c: &mut HashMap<(usize, usize, usize), isize, foldhash::fast::RandomState>,
                 r: &[Item],
                 off: isize| {
        let mut x = off;
        for it in r {
            c.insert(key_of(it), x + wid(it) as isize / 2);
            x += (wid(it) + GAP_X) as isize;
        }
    };
    let mut c = HashMap::default();
    for (r, off) in rows.iter().zip(&offset) {
        place(&mut c, r, *off);
    }
    for (down, l) in sweeps(layers) {
        let shifts: Vec<isize> = rows[l]
            .iter()
            .filter_map(|it| {
                let ns: Vec<isize> = neighbours(it, down)
                    .iter()
                    .filter_map(|k| c.get(k))
                    .copied()
                    .collect();
                (!ns.is_empty())
                    .then(|| ns.iter().sum::<isize>() / ns.len() as isize - c[&key_of(it)])
            })
            .collect();
        if shifts.is_empty() {
            continue;
        }
        let n = shifts.len() as f64;
        let shift = (shifts.iter().sum::<isize>() as f64 / n).round() as isize;
        let room = (width - row_w[l]) as isize;
        offset[l] = (offset[l] + shift).clamp(0, room);
        place(&mut c, &rows[l], offset[l]);
    }
    let mut bends: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    // Two rows above the first layer: the start marker, or a loop back to it.
    let mut y = 2;
    for (l, r) in rows.iter().enumerate() {
        let mut x = offset[l] as usize;
        let row_h = r
            .iter()
            .map(|it| match it {
                Item::State(s) => nodes[*s].as_ref().map(|n| n.h).unwrap_or(1),
                Item::Dummy(..) => 1,
            })
            .max()
            .unwrap_or(1);
        for it in r {
            match it {
                Item::State(s) => {
                    let nd = nodes[*s].as_mut().expect("sized");
                    nd.x = x;
                    nd.y = y;
                    x += nd.w + GAP_X;
                }
                Item::Dummy(e, _) => {
                    bends.entry(*e).or_default().push((x, y));
                    x += 1 + GAP_X;
                }
            }
        }
        y += row_h + gap_y(names);
    }
    for b in bends.values_mut() {
        b.sort_by_key(|p| p.1);
    }
    // Children sit inside their container, below its title.
    let mut nodes: Vec<Node> = nodes.into_iter().flatten().collect();
    for nd in &mut nodes {
        let mut cx = nd.x + 2;
        let top = top_room(&nd.children);
        for c in &mut nd.children {
            // The child's own two top rows (start marker) sit under the title.
            shift(c, cx, nd.y + top);
            cx += c.w + GAP_X;
        }
    }
    let backs = edges.iter().filter(|e| e.back).count();
    let w = nodes.iter().map(|n| n.x + n.w).max().unwrap_or(0) + 2 * backs + 1;
    let h = y.saturating_sub(gap_y(names));
    Layout {
        machine: m,
        start: mc.start_at,
        nodes,
        edges,
        bends,
        w: w.max(width),
        h,
    }
}

/// Rows a container adds under its title when a loop in one of its
/// children goes back to that child's first row: the loop comes in along
/// the row above its target, which would otherwise be the title's.
fn top_room(children: &[Layout]) -> usize {
    let to_top = |c: &Layout| {
        let first = c.nodes.iter().map(|n| n.y).min();
        c.edges.iter().any(|e| {
            e.back
                && c.nodes
                    .iter()
                    .any(|n| n.state == e.to && Some(n.y) == first)
        })
    };
    if children.iter().any(to_top) {
        2
    } else {
        0
    }
}

/// Four sweeps over the layers, down (each layer after the first, looking
/// up) then up (each before the last, looking down): (looking up, layer).
fn sweeps(layers: usize) -> impl Iterator<Item = (bool, usize)> {
    (0..4).flat_map(move |sweep| {
        let down = sweep % 2 == 0;
        let order: Vec<usize> = if down {
            (1..layers).collect()
        } else {
            (0..layers.saturating_sub(1)).rev().collect()
        };
        order.into_iter().map(move |l| (down, l))
    })
}

fn shift(l: &mut Layout, dx: usize, dy: usize) {
    for n in &mut l.nodes {
        n.x += dx;
        n.y += dy;
        for c in &mut n.children {
            shift(c, dx, dy);
        }
    }
    for b in l.bends.values_mut() {
        for p in b {
            p.0 += dx;
            p.1 += dy;
        }
    }
}

/// A machine of `n` states in a chain, with a Choice every tenth state that
/// can loop back (benchmarks and tests).
pub fn big_machine(n: usize) -> serde_json::Value {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let next = format!("S{:03}", i + 1);
        let st = if i + 1 == n {
            serde_json::json!({"Type": "Succeed"})
        } else if i % 10 == 5 {
            serde_json::json!({"Type": "Choice", "Choices": [{"Variable": "$.again", "BooleanEquals": true, "Next": format!("S{:03}", i - 3)}], "Default": next})
        } else {
            serde_json::json!({"Type": "Pass", "Next": next})
        };
        states.insert(format!("S{i:03}"), st);
    }
    serde_json::json!({"StartAt": "S000", "States": states})
}

/// The machines inside a state: a Parallel's branches or a Map's processor.
pub fn inner_machines(kind: &Kind) -> Vec<MachineId> {
    match kind {
        Kind::Parallel { branches } => branches.clone(),
        Kind::Map(spec) => vec![spec.processor],
        _ => Vec::new(),
    }
}

pub use export::{many_to_dot, many_to_mermaid, to_dot, to_mermaid, Named};

#[cfg(test)]
mod tests;

/// Marks for the states that problems point into (by JSON pointer, the
/// definition standing at `prefix` in its file): failed (✗), so that a
/// drawing of an invalid definition shows where it is wrong.
pub fn problem_marks<'a>(
    def: &Definition,
    prefix: &str,
    pointers: impl Iterator<Item = &'a str>,
) -> Marks {
    let mut marks = Marks::default();
    // Each state by its pointer, once: a problem's state is found by its
    // pointer's longest prefix that is one (linear in the problems, not
    // problems × states).
    let mut at: FastMap<&str, Id> = FastMap::default();
    for (m, mc) in def.machines.iter().enumerate() {
        for (s, st) in mc.states.iter().enumerate() {
            at.insert(st.pointer.as_str(), (m, s));
        }
    }
    for p in pointers {
        let Some(inner) = p.strip_prefix(prefix) else {
            continue;
        };
        // The innermost state whose pointer the problem's starts with.
        let mut probe = inner;
        loop {
            if let Some(id) = at.get(probe) {
                marks.failed.insert(*id);
                break;
            }
            match probe.rfind('/') {
                Some(i) => probe = &probe[..i],
                None => break,
            }
        }
    }
    marks
}
