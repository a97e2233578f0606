//! One evaluation's memory budget, measured with the binary's counting
//! allocator: what an expression holds at its peak stays within the
//! budget it runs under, whatever it builds (strings doubled, arrays and
//! objects grown, values copied), and past it the evaluation fails with
//! U1004 — the process goes on.

use asldbg::asl::jsonata::{Env, Expr, Session};
use asldbg::asl::value::Val;
use asldbg::budget::Budget;
use std::time::Duration;

#[global_allocator]
static GLOBAL: asldbg::alloc::Budgeted<std::alloc::System> =
    asldbg::alloc::Budgeted(std::alloc::System);

/// `src` evaluated under `memory`: its result (or error text) and the
/// most it held at once.
fn eval(src: &str, memory: usize) -> (Result<String, String>, usize) {
    eval_within(src, memory, Duration::from_secs(20))
}

/// `src` evaluated under `memory` and `time`.
fn eval_within(src: &str, memory: usize, time: Duration) -> (Result<String, String>, usize) {
    asldbg::budget::set(Budget {
        memory,
        expr_time: time,
        per_turn: None,
    });
    asldbg::budget::new_turn();
    let e = Expr::parse(src).unwrap();
    let none = |_: &str| None;
    let env = Env {
        states: Val::from(serde_json::json!({"input": {}})),
        vars: &none,
        now_ms: 0,
    };
    let r = Session::new(&env, &[&e], 0).eval_expr(&e, "Output");
    let peak = asldbg::alloc::last_peak();
    let shown = r
        .map(|v| format!("{v:?}").chars().take(60).collect())
        .map_err(|e| e.to_string());
    (shown, peak)
}

const BUDGET: usize = 16 << 20;

#[test]
fn what_an_evaluation_holds_at_its_peak_stays_within_its_budget() {
    let bombs = [
        // A string doubled in a loop.
        "$length($reduce([1..40], function($a, $b){$a & $a}, 'x'))",
        // Doubled, then joined with itself.
        "$reduce([1..40], function($a, $b){$join([$a, $a, $a])}, 'xy')",
        // An array doubled.
        "$count($reduce([1..40], function($a, $b){$append($a, $a)}, [1, 2, 3]))",
        // An object grown key by key.
        "$count($keys($reduce([1..40000], function($a, $b){$merge([$a, {$string($b): $b}])}, {})))",
        // A string padded wide, again and again.
        "$length($reduce([1..40], function($a, $b){$pad($a, $length($a) * 2 + 1, 'ab')}, 'x'))",
        // Strings kept in a growing array.
        "$count($reduce([1..40000], function($a, $b){$append($a, $pad('', 1000, 'x'))}, []))",
        // A value copied into its own text, again and again.
        "$length($reduce([1..30], function($a, $b){$string([$a, $a])}, 'x'))",
        // A long sequence mapped.
        "$count([1..9999999].($ * 2))",
    ];
    let mut over = Vec::new();
    for src in bombs {
        let (r, peak) = eval(src, BUDGET);
        eprintln!("{peak:>11} bytes at the peak: {src} = {r:?}");
        assert!(r.is_err(), "{src} fitted in the budget: {r:?}");
        if peak > BUDGET {
            over.push(format!("{src}: {peak} bytes"));
        }
    }
    assert!(over.is_empty(), "over the budget of {BUDGET}: {over:#?}");
}

#[test]
fn one_call_of_a_built_in_stays_within_the_budget() {
    // Each builds its whole result in one call, between two of the
    // evaluator's steps: the built-in asks the budget as it goes.
    let bombs = [
        // 100,000 matches, each replaced by 40,000 characters: 4 GB.
        "$replace($pad('', 100000, 'x'), 'x', $pad('', 40000, 'y'))",
        // The same with a regex.
        "$replace($pad('', 100000, 'x'), /x/, $pad('', 40000, 'y'))",
        // One match, replaced by itself 20,000 times: 2 GB in one step.
        "$replace($pad('', 100000, 'x'), /x+/, $pad('', 40000, '$0'))",
        // 30,000 items joined by 20,000 characters: 600 MB.
        "$join([1..30000].$string(), $pad('', 20000, 'y'))",
        // A string split into characters, a value each.
        "$count($split($pad('', 1000000, 'x'), ''))",
        "$count($split($pad('', 1000000, 'x'), /x/))",
        // A match object for each character.
        "$count($match($pad('', 1000000, 'x'), /x/))",
        // A deep value pretty-printed: its indentation grows with depth.
        "$length($string($reduce([1..3000], function($a, $b){{'a': $a}}, {}), true))",
        // Widths in pictures.
        "$fromMillis(0, '[Y,100000000]')",
        "$length($pad('x', 1000000, '\u{1F600}'))",
        "$formatInteger(1e15, 'I')",
    ];
    let mut over = Vec::new();
    for src in bombs {
        let started = std::time::Instant::now();
        let (r, peak) = eval(src, BUDGET);
        let took = started.elapsed();
        eprintln!("{peak:>11} bytes at the peak in {took:?}: {src} = {r:?}");
        let r = r.expect_err(src);
        assert!(r.contains("U1004"), "{src}: {r}");
        if peak > BUDGET {
            over.push(format!("{src}: {peak} bytes"));
        }
    }
    assert!(over.is_empty(), "over the budget of {BUDGET}: {over:#?}");
}

#[test]
fn within_its_budget_an_expression_keeps_what_it_needs() {
    // A small share of the budget, built the ways above: it is not
    // stopped (what it holds on the way stays well under a quarter of the
    // budget, with room for how allocations differ between machines).
    for src in [
        "$length($reduce([1..19], function($a, $b){$a & $a}, 'x'))",
        "$count($reduce([1..14], function($a, $b){$append($a, $a)}, [1, 2]))",
        "$count([1..20000].($ * 2))",
        // The built-ins that ask the budget, on work well within it.
        "$length($replace($pad('', 10000, 'x'), 'x', 'yy'))",
        "$length($replace($pad('', 10000, 'x'), /x/, '$0$0'))",
        "$length($join([1..10000].$string(), ', '))",
        "$count($split($pad('', 10000, 'x'), ''))",
        "$count($match($pad('', 2000, 'x'), /x/))",
        "$length($string($reduce([1..100], function($a, $b){{'a': $a}}, {}), true))",
        "$fromMillis(0, '[Y,10]')",
        "$formatInteger(3999, 'I')",
    ] {
        let (r, peak) = eval(src, BUDGET);
        eprintln!("{peak:>11} bytes at the peak: {src} = {r:?}");
        assert!(r.is_ok(), "{src}: {r:?}");
    }
}

#[test]
fn a_built_in_that_takes_long_on_a_long_picture_stops_at_the_time_limit() {
    // Pictures parsed in time that grows with their length squared: the
    // built-in asks whether it may go on, and is told no once the time is up.
    for src in [
        "$formatNumber(1, $pad('', 400000, ',0'))",
        "$formatNumber(1, $pad('', 400000, '#,') & '0')",
        "$formatInteger(1, $pad('', 400000, ',0'))",
        "$fromMillis(0, '[Y' & $pad('', 400000, ',0') & ']')",
    ] {
        let started = std::time::Instant::now();
        let (r, _) = eval_within(src, 16 * BUDGET, Duration::from_millis(300));
        let took = started.elapsed();
        eprintln!("{took:?}: {src} = {r:?}");
        let r = r.expect_err(src);
        assert!(r.contains("U1001"), "{src}: {r}");
        assert!(took < Duration::from_secs(2), "{src} took {took:?}");
    }
}

#[test]
fn descendants_of_a_deep_value_stop_at_the_time_limit() {
    // `**` walks every value below; on a deep chain it looked at the clock
    // only when the walk was over (and copied each level's vector into its
    // parent's, so the walk itself was quadratic).
    let deep = "($d := $reduce([1..50000], function($a, $i){ {'a': $a} }, 0); $count($d.**))";
    let (r, _) = eval_within(deep, 64 * BUDGET, Duration::from_secs(20));
    assert_eq!(r.as_deref(), Ok("Some(50001)"), "{deep}");

    let wide = "($d := $reduce([1..50000], function($a, $i){ {'a': $a, 'b': [1, 2, 3]} }, 0); $count($d.**.**.**))";
    let started = std::time::Instant::now();
    let (r, _) = eval_within(wide, 64 * BUDGET, Duration::from_millis(300));
    let took = started.elapsed();
    let r = r.expect_err(wide);
    assert!(r.contains("D1012") || r.contains("U1001"), "{wide}: {r}");
    assert!(took < Duration::from_secs(2), "{wide} took {took:?}");
}
