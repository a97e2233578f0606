use super::*;
use serde_json::json;

fn def(v: serde_json::Value) -> Definition {
    Definition::from_value(&v).unwrap()
}

#[test]
fn back_edges_are_found() {
    let d = def(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Choice",
        "Choices": [{"Variable": "$.again", "BooleanEquals": true, "Next": "A"}], "Default": "C"}, "C": {"Type": "Succeed"}}}),
    );
    let e = edges(&d, 0);
    assert_eq!(e.iter().filter(|e| e.back).count(), 1);
    assert!(
        matches!(&e.iter().find(|e| e.back).unwrap().kind, EdgeKind::Rule(l) if l == "$.again == true")
    );
}

#[test]
fn layers_follow_the_flow() {
    let d = def(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Succeed"}}}),
    );
    let l = layout(&d, 0, crate::graph::Names::Screen);
    let y: Vec<usize> = l.nodes.iter().map(|n| n.y).collect();
    assert!(y[0] < y[1] && y[1] < y[2]);
}

fn text_of(d: &Definition) -> String {
    text::render(&layout(d, 0, crate::graph::Names::Screen))
        .lines
        .join("\n")
}

#[test]
fn snapshots_of_the_text_rendering() {
    let cc: serde_json::Value = serde_json::from_str(include_str!(
        "../../samples/credit-card/credit-card.asl.json"
    ))
    .unwrap();
    insta::assert_snapshot!("credit_card", text_of(&def(cc)));
    let choice = json!({"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Choices": [
            {"Variable": "$.a", "NumericGreaterThan": 10, "Next": "A"},
            {"Variable": "$.b", "StringEquals": "x", "Next": "B"},
            {"Variable": "$.c", "BooleanEquals": true, "Next": "C"},
            {"Variable": "$.d", "IsPresent": false, "Next": "D"},
            {"Variable": "$.e", "TimestampLessThan": "2024-01-01T00:00:00Z", "Next": "E"}], "Default": "F"},
        "A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}, "C": {"Type": "Succeed"},
        "D": {"Type": "Succeed"}, "E": {"Type": "Succeed"}, "F": {"Type": "Fail", "Error": "NoRoute"}}});
    insta::assert_snapshot!("choice_five_rules", text_of(&def(choice)));
    let retry = json!({"StartAt": "Try", "States": {
        "Try": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done",
                "Catch": [{"ErrorEquals": ["Flaky"], "Next": "Wait a bit"}]},
        "Wait a bit": {"Type": "Wait", "Seconds": 5, "Next": "Try"},
        "Done": {"Type": "Succeed"}}});
    insta::assert_snapshot!("retry_loop", text_of(&def(retry)));
    let nested = json!({"StartAt": "Outer", "States": {"Outer": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Inner", "States": {
            "Inner": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "A1", "States": {"A1": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Pass", "End": true}}},
                {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}}]}}}}}},
        {"StartAt": "Side", "States": {"Side": {"Type": "Pass", "End": true}}}]}}});
    insta::assert_snapshot!("nested_parallel_map_parallel", text_of(&def(nested)));
    insta::assert_snapshot!("two_hundred_states", text_of(&def(big_machine(200))));
}

/// Every box is disjoint from every other box of the same machine and from
/// its container's border, and every forward edge ends in an arrow right
/// above its target.
fn check(d: &Definition) {
    fn walk(l: &Layout, lines: &[Vec<char>], out: &mut Vec<(usize, usize, usize, usize)>) {
        for (i, a) in l.nodes.iter().enumerate() {
            for b in &l.nodes[i + 1..] {
                let apart =
                    a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                assert!(apart, "{} and {} overlap", a.name, b.name);
            }
            out.push((a.x, a.y, a.w, a.h));
            for c in &a.children {
                for n in &c.nodes {
                    assert!(
                        n.x > a.x && n.y > a.y && n.x + n.w < a.x + a.w && n.y + n.h < a.y + a.h,
                        "{} leaves {}",
                        n.name,
                        a.name
                    );
                }
                walk(c, lines, out);
            }
        }
        for e in l.edges.iter() {
            let a = l.nodes.iter().find(|n| n.state == e.from).unwrap();
            let b = l.nodes.iter().find(|n| n.state == e.to).unwrap();
            let at =
                |x: usize, y: usize| lines.get(y).and_then(|r| r.get(x)).copied().unwrap_or(' ');
            if e.back || b.y <= a.y {
                assert_eq!(
                    at(b.x + b.w - 2, b.y - 1),
                    '▼',
                    "loop {} -> {}",
                    a.name,
                    b.name
                );
            } else {
                assert_eq!(
                    at(b.x + b.w / 2, b.y - 1),
                    '▼',
                    "edge {} -> {}",
                    a.name,
                    b.name
                );
                assert_ne!(
                    at(a.x + a.w / 2, a.y + a.h),
                    ' ',
                    "edge {} -> {} leaves its source",
                    a.name,
                    b.name
                );
            }
        }
    }
    // Expanded, and with every container collapsed to one box.
    let all: HashSet<Id> = containers(d).into_values().collect();
    for collapsed in [HashSet::new(), all] {
        let l = layout_with(d, 0, crate::graph::Names::Screen, &collapsed);
        let drawn = text::render(&l);
        let grid: Vec<Vec<char>> = drawn.lines.iter().map(|s| s.chars().collect()).collect();
        walk(&l, &grid, &mut Vec::new());
        // Every edge's traced cells end at the arrow into its target.
        for e in &drawn.edges {
            let b = drawn.boxes[&(e.machine, e.to)];
            let last = e
                .cells
                .iter()
                .rev()
                .find(|(x, y)| grid.get(*y).and_then(|r| r.get(*x)).copied() == Some('▼'));
            assert!(
                last.is_some_and(|(x, y)| *y + 1 == b.1 && *x >= b.0 && *x < b.0 + b.2),
                "edge {:?} does not end above its target",
                (e.machine, e.from, e.to)
            );
        }
    }
}

#[test]
fn the_samples_lay_out_cleanly() {
    for s in crate::samples::SAMPLES {
        let v: serde_json::Value = serde_json::from_str(s.definition).unwrap();
        check(&def(v));
    }
    check(&def(big_machine(200)));
}

mod random {
    use super::*;
    use proptest::prelude::*;

    /// A random machine: each state goes to a later one (or ends), Choice
    /// states add a second target and sometimes a loop back; a few states
    /// are Parallel or Map containers with small inner machines.
    fn machine(spec: &[(u8, usize, usize)]) -> serde_json::Value {
        let n = spec.len();
        let name = |i: usize| format!("S{i}");
        let mut states = serde_json::Map::new();
        for (i, (kind, a, b)) in spec.iter().enumerate() {
            let next = |k: usize| name((i + 1 + k % (n - i).max(1)).min(n - 1));
            let st = if i + 1 == n {
                json!({"Type": "Succeed"})
            } else {
                match kind % 5 {
                    0 => {
                        json!({"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": next(*a)}, {"Variable": "$.y", "IsNull": true, "Next": name(b % (i + 1))}], "Default": name(i + 1)})
                    }
                    1 => json!({"Type": "Parallel", "Next": name(i + 1), "Branches": [
                        {"StartAt": format!("P{i}a"), "States": {format!("P{i}a"): {"Type": "Pass", "End": true}}},
                        {"StartAt": format!("P{i}b"), "States": {format!("P{i}b"): {"Type": "Pass", "Next": format!("P{i}c")}, format!("P{i}c"): {"Type": "Pass", "End": true}}}]}),
                    2 => {
                        json!({"Type": "Map", "Next": name(i + 1), "ItemProcessor": {"StartAt": format!("M{i}"), "States": {format!("M{i}"): {"Type": "Pass", "End": true}}}})
                    }
                    3 => {
                        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": name(i + 1), "Catch": [{"ErrorEquals": ["E"], "Next": next(*b)}]})
                    }
                    _ => json!({"Type": "Pass", "Next": name(i + 1)}),
                }
            };
            states.insert(name(i), st);
        }
        json!({"StartAt": "S0", "States": states})
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn boxes_never_overlap_and_edges_reach_their_targets(spec in proptest::collection::vec((0u8..10, 0usize..20, 0usize..20), 2..25)) {
            let v = machine(&spec);
            // Every state is reachable through the Next chain.
            let d = Definition::from_value(&v).expect("a valid random machine");
            check(&d);
        }

        #[test]
        fn arrow_keys_only_ever_land_on_drawn_boxes(spec in proptest::collection::vec((0u8..10, 0usize..20, 0usize..20), 2..25), fold in 0usize..4) {
            let d = Definition::from_value(&machine(&spec)).expect("a valid random machine");
            // Expanded, or with some containers collapsed.
            let collapsed: HashSet<Id> = containers(&d).into_values().filter(|c| (c.0 + c.1) % 4 < fold).collect();
            let l = layout_with(&d, 0, crate::graph::Names::Screen, &collapsed);
            let drawn = text::render(&l);
            for id in drawn.boxes.keys() {
                for dir in [nav::Dir::Up, nav::Dir::Down, nav::Dir::Left, nav::Dir::Right] {
                    if let Some(to) = nav::step(&l, *id, dir) {
                        prop_assert!(drawn.boxes.contains_key(&to), "{:?} {:?} -> {:?} is not drawn", id, dir, to);
                        prop_assert_ne!(to, *id);
                    }
                }
            }
        }
    }
}

#[test]
fn edges_between_the_same_states_are_drawn_once_with_all_labels() {
    let d = def(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done",
              "Catch": [{"ErrorEquals": ["E"], "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}}));
    let drawn = text::render(&layout(&d, 0, crate::graph::Names::Screen));
    let text = drawn.lines.join("\n");
    assert!(text.contains("▼next, catch E"), "{text}");
    assert_eq!(
        text.matches('▼').count(),
        2,
        "start marker and one arrow: {text}"
    );
    assert_eq!(drawn.edges.len(), 1);
}

#[test]
fn a_run_is_drawn_with_heavy_lines_and_marks() {
    let d = def(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Yes"}], "Default": "No"},
        "Yes": {"Type": "Succeed"}, "No": {"Type": "Succeed"}}}));
    let drawn = text::render(&layout(&d, 0, crate::graph::Names::Screen));
    let mut m = Marks::default();
    let (c, yes) = (d.machines[0].by_name["C"], d.machines[0].by_name["Yes"]);
    m.visited.insert((0, c));
    m.visited.insert((0, yes));
    m.visits.insert((0, c), 2);
    m.taken.insert((0, c, yes));
    let text = text::with_marks(&drawn, &m).join("\n");
    assert!(text.contains("│•◇ C"), "{text}");
    assert!(text.contains("│•✓ Yes"), "{text}");
    assert!(text.contains("│ ✓ No"), "{text}");
    assert!(text.contains("×2"), "{text}");
    // The edge to Yes is heavy, the one to No stays light, and the fork
    // mixes them: up and left heavy, right light.
    assert!(text.contains("┏━━━━┹────┐"), "{text}");
    assert!(text.contains('┃'), "{text}");
}

#[test]
fn a_visit_count_wider_than_its_box_is_shown_or_cut_with_a_sign() {
    let d = def(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "Bc"}, "Bc": {"Type": "Pass", "End": true}}}));
    let drawn = text::render(&layout(&d, 0, crate::graph::Names::Screen));
    let mut m = Marks::default();
    let (a, bc) = (d.machines[0].by_name["A"], d.machines[0].by_name["Bc"]);
    let width = |id| drawn.boxes[&(0, id)].2;
    m.visits.insert((0, a), 100);
    m.visits.insert((0, bc), 12345);
    let text = text::with_marks(&drawn, &m).join("\n");
    // ×100 fits inside A's border (the box is `width(a)` wide), ×12345 does
    // not fit Bc's and is cut with its sign.
    assert!(width(a) >= 6 && width(a) < 8, "{}", width(a));
    assert!(text.contains("└×100"), "{text}");
    assert!(width(bc) < 8, "{}", width(bc));
    assert!(text.contains("└×…"), "{text}");
}

#[test]
fn compact_a_collapsed_container_is_one_row_saying_what_it_holds() {
    let d = def(json!({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}},
            {"StartAt": "C", "States": {"C": {"Type": "Pass", "End": true}}}]},
        "Done": {"Type": "Succeed"}}}));
    let fan = d.machines[0].by_name["Fan"];
    let shut: HashSet<Id> = [(0, fan)].into_iter().collect();
    let l = layout_with(&d, 0, crate::graph::Names::Compact, &shut);
    let drawn = text::render(&l);
    assert_eq!(drawn.boxes[&(0, fan)].3, 1, "{:?}", drawn.lines);
    let text = drawn.lines.join("\n");
    assert!(text.contains("[ ‖ Fan +3]"), "{text}");
}

#[test]
fn a_very_wide_choice_is_drawn_with_bounded_edge_records() {
    let n = 8000;
    let mut states = serde_json::Map::new();
    let choices: Vec<serde_json::Value> = (0..n)
        .map(|i| json!({"Variable": "$.x", "NumericEquals": i, "Next": format!("S{i}")}))
        .collect();
    states.insert(
        "C".into(),
        json!({"Type": "Choice", "Choices": choices, "Default": "S0"}),
    );
    for i in 0..n {
        states.insert(format!("S{i}"), json!({"Type": "Succeed"}));
    }
    let d = def(json!({"StartAt": "C", "States": states}));
    let r = text::render(&layout(&d, 0, crate::graph::Names::Screen));
    let traced: usize = r.edges.iter().map(|e| e.cells.len()).sum();
    assert!(traced <= text::MAX_TRACED_CELLS, "{traced}");
    // Every box is still drawn.
    assert_eq!(r.boxes.len(), n + 1);
}

#[test]
fn a_long_chain_lays_out_in_order() {
    let n = 20_000;
    let mut states = serde_json::Map::new();
    for i in 0..n {
        states.insert(
            format!("P{i}"),
            json!({"Type": "Pass", "Next": format!("P{}", i + 1)}),
        );
    }
    states.insert(format!("P{n}"), json!({"Type": "Succeed"}));
    let d = def(json!({"StartAt": "P0", "States": states}));
    let l = layout(&d, 0, crate::graph::Names::Screen);
    assert_eq!(l.nodes.len(), n + 1);
    assert!(l.nodes.windows(2).all(|w| w[0].y < w[1].y));
}

#[test]
fn an_end_state_with_a_catch_still_shows_its_end() {
    let d = def(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Pass", "End": true}}}));
    let text = text_of(&d);
    // One ◉ for T (beside its catch edge), one under H.
    assert_eq!(text.matches('◉').count(), 2, "{text}");
}

#[test]
fn a_problem_marks_the_innermost_state_whose_pointer_holds_it() {
    let d = def(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "Pa",
        "Branches": [{"StartAt": "In", "States": {"In": {"Type": "Pass", "End": true}}}]},
        "Pa": {"Type": "Pass", "Next": "Pad"}, "Pad": {"Type": "Pass", "End": true}}}),
    );
    let id = |name: &str| {
        d.machines
            .iter()
            .enumerate()
            .flat_map(|(m, mc)| mc.states.iter().enumerate().map(move |(s, st)| (m, s, st)))
            .find(|(_, _, st)| &*st.name == name)
            .map(|(m, s, _)| (m, s))
            .unwrap()
    };
    let marks = problem_marks(
        &d,
        "/x",
        [
            "/x/States/P/Branches/0/States/In/Parameters/a",
            "/x/States/Pad",
            "/y/States/Pa",
            "/x/Comment",
        ]
        .into_iter(),
    );
    let mut want: FastSet<Id> = FastSet::default();
    want.insert(id("In"));
    want.insert(id("Pad"));
    // Not P (In is inside it), not Pa (another prefix; "Pad" does not hold it).
    assert_eq!(marks.failed, want);
}

/// Compact: each state on one row, two rows between layers, edges that
/// turn under a box joined to it from above, containers framed as before.
#[test]
fn compact_boxes_are_one_row_each() {
    let cc: serde_json::Value = serde_json::from_str(include_str!(
        "../../samples/credit-card/credit-card.asl.json"
    ))
    .unwrap();
    let compact = |d: &Definition| {
        text::render(&layout(d, 0, crate::graph::Names::Compact))
            .lines
            .join("\n")
    };
    let drawn = compact(&def(cc.clone()));
    insta::assert_snapshot!("credit_card_compact", drawn);
    // Twice as many states in the same rows, or near it.
    let tall = |s: &str| s.lines().count();
    assert!(tall(&drawn) * 2 <= tall(&text_of(&def(cc))) + 8);
    let poll = json!({"StartAt": "Poll", "States": {
        "Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "Finish"}], "Default": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Poll"},
        "Finish": {"Type": "Succeed"}}});
    let drawn = compact(&def(poll));
    assert!(drawn.contains("[ ⚙ Poll]"), "{drawn}");
    // The edges leave from under the box: ┴, never ┼.
    assert!(!drawn.contains('┼'), "{drawn}");
    insta::assert_snapshot!("poll_loop_compact", drawn);
}

/// A label that meets another drawing stops there and says it was cut.
#[test]
fn a_label_cut_by_another_ends_in_an_ellipsis() {
    let d = def(json!({"StartAt": "Inc", "States": {
        "Inc": {"Type": "Pass", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "Inc"}],
                  "Default": "Done"},
        "Done": {"Type": "Succeed"}}}));
    let drawn = text::render(&layout(&d, 0, crate::graph::Names::Compact))
        .lines
        .join("\n");
    // The loop's label took the row first; Default stops before it.
    assert!(drawn.contains("▼Def…↺ $.n < 3"), "{drawn}");
}

#[test]
fn a_loop_back_to_a_branchs_first_state_comes_in_below_the_containers_title() {
    // aws-samples' concurrency control: retrying the lock goes back to the
    // branch's first state.
    let d = def(json!({"StartAt": "Get Lock", "States": {
        "Get Lock": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "Acquire",
            "States": {
                "Acquire": {"Type": "Pass", "Next": "Check"},
                "Check": {"Type": "Choice", "Choices": [
                    {"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}],
                    "Default": "Wait"},
                "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Acquire"},
                "Done": {"Type": "Succeed"}}}]}}}));
    let drawn = text_of(&d);
    let lines: Vec<&str> = drawn.lines().collect();
    let title = lines
        .iter()
        .position(|l| l.contains("‖ Get Lock"))
        .expect("the container's title");
    // Nothing but the title between the container's borders on its row,
    // and the loop's arrow on a row of its own above its target.
    let inner = lines[title].trim().trim_matches('│').trim();
    assert_eq!(inner, "‖ Get Lock", "{drawn}");
    let target = lines
        .iter()
        .position(|l| l.contains("Acquire"))
        .expect("the target");
    assert!(lines[target - 2].contains('▼'), "{drawn}");
    check(&d);
}
