//! Moving a selection over a laid-out graph with the arrow keys: down to a
//! successor and up to a predecessor along the edges, left and right across
//! a layer, into a Parallel or Map container (down from its title) and out of
//! it again (up from a branch's first state, down from its last).

use super::{Id, Layout, Node};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Up,
    Down,
    Left,
    Right,
}

/// The layout that draws `id`'s machine, with the container it sits in
/// (None for the top level).
fn home(l: &Layout, id: Id, parent: Option<Id>) -> Option<(&Layout, Option<Id>)> {
    if l.machine == id.0 {
        return Some((l, parent));
    }
    l.nodes.iter().find_map(|n| {
        n.children
            .iter()
            .find_map(|c| home(c, id, Some((l.machine, n.state))))
    })
}

fn node(l: &Layout, s: usize) -> Option<&Node> {
    l.nodes.iter().find(|n| n.state == s)
}

fn centre(n: &Node) -> (usize, usize) {
    (n.x + n.w / 2, n.y + n.h / 2)
}

/// Of `candidates`, the one nearest to `n` horizontally (then the first).
fn nearest<'a>(n: &Node, candidates: impl Iterator<Item = &'a Node>) -> Option<&'a Node> {
    let cx = centre(n).0 as isize;
    candidates.min_by_key(|c| (centre(c).0 as isize - cx).abs())
}

/// Where the arrow key `dir` moves the selection from `from`, if anywhere.
pub fn step(root: &Layout, from: Id, dir: Dir) -> Option<Id> {
    let (l, parent) = home(root, from, None)?;
    let n = node(l, from.1)?;
    match dir {
        Dir::Down => match n.children.first() {
            // Into an expanded container: its first branch's first state.
            Some(c) => Some((c.machine, c.start)),
            None => successor(root, from),
        },
        Dir::Up => {
            let sources = |back: bool| {
                l.edges
                    .iter()
                    .filter(move |e| e.to == n.state && e.back == back && e.from != n.state)
                    .filter_map(|e| node(l, e.from))
            };
            nearest(n, sources(false))
                .or_else(|| nearest(n, sources(true)))
                .map(|p| (l.machine, p.state))
                // Out of a branch or iteration: its container.
                .or(parent)
        }
        Dir::Left | Dir::Right => {
            let right = dir == Dir::Right;
            let (cx, _) = centre(n);
            let beside = l
                .nodes
                .iter()
                .filter(|c| c.state != n.state && c.y < n.y + n.h && n.y < c.y + c.h)
                .filter(|c| {
                    let x = centre(c).0;
                    if right {
                        x > cx
                    } else {
                        x < cx
                    }
                });
            if let Some(c) = nearest(n, beside) {
                return Some((l.machine, c.state));
            }
            // Across to the neighbouring branch of the same Parallel.
            let p = parent?;
            let (pl, _) = home(root, p, None)?;
            let branches = &node(pl, p.1)?.children;
            let i = branches.iter().position(|b| b.machine == l.machine)?;
            let j = if right { i + 1 } else { i.checked_sub(1)? };
            let b = branches.get(j)?;
            let cy = centre(n).1 as isize;
            b.nodes
                .iter()
                .min_by_key(|c| (centre(c).1 as isize - cy).abs())
                .map(|c| (b.machine, c.state))
        }
    }
}

/// The state after `from` along its first edge (forward ones first); from
/// the last state of a branch, the state after its container.
fn successor(root: &Layout, from: Id) -> Option<Id> {
    let (l, parent) = home(root, from, None)?;
    let n = node(l, from.1)?;
    let targets = |back: bool| {
        l.edges
            .iter()
            .filter(move |e| e.from == n.state && e.back == back && e.to != n.state)
            .filter_map(|e| node(l, e.to))
    };
    // The first edge as the definition orders them: Next, the Choice rules
    // in order, Default, then the catchers (← and → reach the others).
    let first = targets(false).next().or_else(|| targets(true).next());
    match first {
        Some(t) => Some((l.machine, t.state)),
        None => successor(root, parent?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::Definition;

    fn credit_card() -> (Definition, Layout) {
        let v: serde_json::Value = serde_json::from_str(include_str!(
            "../../samples/credit-card/credit-card.asl.json"
        ))
        .unwrap();
        let d = Definition::from_value(&v).unwrap();
        let l = super::super::layout(&d, 0, crate::graph::Names::Screen);
        (d, l)
    }

    fn id(d: &Definition, name: &str) -> Id {
        d.find(name).unwrap_or_else(|| panic!("no state {name}"))
    }

    fn name(d: &Definition, i: Id) -> String {
        d.machines[i.0].states[i.1].name.to_string()
    }

    /// Press `keys` from `start`; the names visited.
    fn walk(d: &Definition, l: &Layout, start: &str, keys: &[Dir]) -> Vec<String> {
        let mut at = id(d, start);
        keys.iter()
            .map(|k| {
                at = step(l, at, *k).unwrap_or(at);
                name(d, at)
            })
            .collect()
    }

    #[test]
    fn down_follows_the_edges_and_enters_containers() {
        use Dir::*;
        let (d, l) = credit_card();
        let names = walk(
            &d,
            &l,
            "Get credit limit",
            &[Down, Down, Right, Down, Down, Down],
        );
        assert_eq!(
            names,
            [
                "Credit applied >= 5000?",
                "Auto-approve limit",
                "Wait for human approval",
                "Credit limit approved",
                "Verify applicant's identity and address",
                "Verify identity",
            ]
        );
    }

    #[test]
    fn sideways_crosses_branches_and_up_leaves_the_container() {
        use Dir::*;
        let (d, l) = credit_card();
        let names = walk(&d, &l, "Verify identity", &[Right, Right, Left, Up, Up]);
        assert_eq!(
            names,
            [
                "Verify address",
                "Verify address",
                "Verify identity",
                "Verify applicant's identity and address",
                "Credit limit approved",
            ]
        );
        // Down from a branch's last state leaves through the container's exit.
        let after = step(&l, id(&d, "Verify address"), Down).map(|i| name(&d, i));
        assert_eq!(after.as_deref(), Some("Get list of credit bureaus"));
    }

    #[test]
    fn loops_are_followed_when_nothing_else_leads_on() {
        // B's only way on is back to A (Z, the end AWS asks for, is A's).
        let d = Definition::from_value(&serde_json::json!({"StartAt": "A", "States": {
            "A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "B"}], "Default": "Z"},
            "B": {"Type": "Pass", "Next": "A"},
            "Z": {"Type": "Succeed"}}}))
        .unwrap();
        let l = super::super::layout(&d, 0, crate::graph::Names::Screen);
        assert_eq!(step(&l, (0, 1), Dir::Down), Some((0, 0)));
        assert_eq!(step(&l, (0, 0), Dir::Up), Some((0, 1)));
        assert_eq!(step(&l, (0, 0), Dir::Left), None);
    }

    #[test]
    fn a_collapsed_container_hides_its_states() {
        let (d, _) = credit_card();
        let par = id(&d, "Verify applicant's identity and address");
        let l = super::super::layout_with(
            &d,
            0,
            crate::graph::Names::Screen,
            &[par].into_iter().collect(),
        );
        let hidden = id(&d, "Verify identity");
        assert!(
            step(&l, hidden, Dir::Down).is_none(),
            "a hidden state has no box"
        );
        // Down from a collapsed container goes past it, not into it.
        assert_eq!(
            step(&l, par, Dir::Down).map(|i| name(&d, i)).as_deref(),
            Some("Get list of credit bureaus")
        );
        let drawn = super::super::text::render(&l);
        assert!(!drawn.boxes.contains_key(&hidden));
        let text = drawn.lines.join("\n");
        assert!(text.contains("[+2]"), "{text}");
        assert!(!text.contains("Verify identity"), "{text}");
    }
}
