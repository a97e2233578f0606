//! A structural diff of two JSON values, as lines to draw: members added
//! (`+`), removed (`-`), changed (both), and runs of unchanged members folded
//! to one line, the way a good JSON diff tool shows them. The Stages pane
//! draws each stage as the change from the stage before it.

use crate::asl::value::Val;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Context: unchanged, shown whole.
    Same,
    Add,
    Del,
    /// Unchanged and folded (`…5 keys unchanged`, `{…12 keys unchanged}`).
    Fold,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DLine {
    pub sign: Sign,
    pub depth: usize,
    pub text: String,
}

/// Unchanged members in a row, from this many on, fold to one line.
const RUN: usize = 4;

fn key_prefix(key: Option<&str>) -> String {
    key.map(|k| serde_json::to_string(k).unwrap_or_default() + ": ")
        .unwrap_or_default()
}

/// `…5 keys unchanged` / `…1 item unchanged`.
fn unchanged(n: usize, array: bool) -> String {
    let members = if array {
        plural(n, "item", "items")
    } else {
        plural(n, "key", "keys")
    };
    format!("…{members} unchanged")
}

fn summary(v: &Val) -> Option<String> {
    match v {
        Val::Obj(o) if !o.is_empty() => Some(format!("{{{}}}", unchanged(o.len(), false))),
        Val::Arr(a) if !a.is_empty() => Some(format!("[{}]", unchanged(a.len(), true))),
        _ => None,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Lines one diff (or one full value) may take: a block of the pipeline
/// stays readable, and building it stays cheap however large the value
/// (the viewer shows the value whole).
pub const CAP: usize = 400;

/// `v` pretty-printed under `key`, every line with `sign` (up to [`CAP`]).
fn whole(out: &mut Vec<DLine>, sign: Sign, key: Option<&str>, v: &Val, depth: usize) {
    walk(out, sign, key, v, depth, true);
}

fn walk(out: &mut Vec<DLine>, sign: Sign, key: Option<&str>, v: &Val, depth: usize, last: bool) {
    if out.len() >= CAP {
        return;
    }
    let comma = if last { "" } else { "," };
    let line =
        |out: &mut Vec<DLine>, depth: usize, text: String| out.push(DLine { sign, depth, text });
    match v {
        Val::Obj(o) if !o.is_empty() => {
            line(out, depth, key_prefix(key) + "{");
            for (i, (k, x)) in o.iter().enumerate() {
                walk(out, sign, Some(k), x, depth + 1, i + 1 == o.len());
                if out.len() >= CAP {
                    return;
                }
            }
            line(out, depth, format!("}}{comma}"));
        }
        Val::Arr(a) if !a.is_empty() => {
            line(out, depth, key_prefix(key) + "[");
            for (i, x) in a.iter().enumerate() {
                walk(out, sign, None, x, depth + 1, i + 1 == a.len());
                if out.len() >= CAP {
                    return;
                }
            }
            line(out, depth, format!("]{comma}"));
        }
        _ => line(out, depth, key_prefix(key) + &v.to_compact() + comma),
    }
}

/// Ends `out` with a note when [`CAP`] cut it short.
fn capped(mut out: Vec<DLine>) -> Vec<DLine> {
    if out.len() >= CAP {
        out.truncate(CAP);
        out.push(DLine {
            sign: Sign::Fold,
            depth: 0,
            text: format!("… more than {CAP} lines: enter shows the value whole"),
        });
    }
    out
}

/// An unchanged member: scalars as context, containers folded.
fn same(out: &mut Vec<DLine>, key: Option<&str>, v: &Val, depth: usize) {
    match summary(v) {
        Some(s) => out.push(DLine {
            sign: Sign::Fold,
            depth,
            text: key_prefix(key) + &s,
        }),
        None => out.push(DLine {
            sign: Sign::Same,
            depth,
            text: key_prefix(key) + &v.to_compact(),
        }),
    }
}

enum Entry<'a> {
    Same(Option<&'a str>, &'a Val),
    Changed(Option<&'a str>, &'a Val, &'a Val),
    Added(Option<&'a str>, &'a Val),
    Removed(Option<&'a str>, &'a Val),
}

fn entries(out: &mut Vec<DLine>, list: Vec<Entry>, depth: usize, array: bool) {
    let mut i = 0;
    while i < list.len() && out.len() < CAP {
        let run = list[i..]
            .iter()
            .take_while(|e| matches!(e, Entry::Same(..)))
            .count();
        if run >= RUN {
            out.push(DLine {
                sign: Sign::Fold,
                depth,
                text: unchanged(run, array),
            });
            i += run;
            continue;
        }
        match &list[i] {
            Entry::Same(k, v) => same(out, *k, v, depth),
            Entry::Changed(k, b, a) => node(out, *k, b, a, depth),
            Entry::Added(k, v) => whole(out, Sign::Add, *k, v, depth),
            Entry::Removed(k, v) => whole(out, Sign::Del, *k, v, depth),
        }
        i += 1;
    }
}

fn node(out: &mut Vec<DLine>, key: Option<&str>, b: &Val, a: &Val, depth: usize) {
    if b == a {
        return same(out, key, a, depth);
    }
    match (b, a) {
        (Val::Obj(bo), Val::Obj(ao)) if !bo.is_empty() && !ao.is_empty() => {
            out.push(DLine {
                sign: Sign::Same,
                depth,
                text: key_prefix(key) + "{",
            });
            let mut list: Vec<Entry> = ao
                .iter()
                .map(|(k, av)| match bo.get(k) {
                    Some(bv) if bv == av => Entry::Same(Some(k.as_str()), av),
                    Some(bv) => Entry::Changed(Some(k.as_str()), bv, av),
                    None => Entry::Added(Some(k.as_str()), av),
                })
                .collect();
            list.extend(
                bo.iter()
                    .filter(|(k, _)| !ao.contains_key(*k))
                    .map(|(k, bv)| Entry::Removed(Some(k.as_str()), bv)),
            );
            entries(out, list, depth + 1, false);
            out.push(DLine {
                sign: Sign::Same,
                depth,
                text: "}".into(),
            });
        }
        (Val::Arr(ba), Val::Arr(aa)) if !ba.is_empty() && !aa.is_empty() => {
            out.push(DLine {
                sign: Sign::Same,
                depth,
                text: key_prefix(key) + "[",
            });
            entries(out, align(ba, aa), depth + 1, true);
            out.push(DLine {
                sign: Sign::Same,
                depth,
                text: "]".into(),
            });
        }
        _ => {
            whole(out, Sign::Del, key, b, depth);
            whole(out, Sign::Add, key, a, depth);
        }
    }
}

/// Arrays whose middles (after the common prefix and suffix) are at most
/// this many cells (one length times the other) are aligned item by item;
/// larger ones are compared by position.
const ALIGN_CELLS: usize = 250_000;

/// The items of `b` and `a` paired as a diff tool pairs lines: the common
/// prefix and suffix, then a longest common subsequence of the rest stay
/// unchanged, so an item inserted or removed does not make every later item
/// "changed". Between two common items, removed and added items are paired
/// in order as changes (an object edited in place shows its own diff), the
/// surplus is added or removed.
fn align<'a>(b: &'a [Val], a: &'a [Val]) -> Vec<Entry<'a>> {
    let pre = b.iter().zip(a).take_while(|(x, y)| x == y).count();
    let suf = b[pre..]
        .iter()
        .rev()
        .zip(a[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (bm, am) = (&b[pre..b.len() - suf], &a[pre..a.len() - suf]);
    let mut out: Vec<Entry> = a[..pre].iter().map(|v| Entry::Same(None, v)).collect();
    let common = if bm.len().saturating_mul(am.len()) <= ALIGN_CELLS {
        lcs(bm, am)
    } else {
        Vec::new()
    };
    let (mut i, mut j) = (0, 0);
    for (ci, cj) in common.into_iter().chain([(bm.len(), am.len())]) {
        let (gone, new) = (&bm[i..ci], &am[j..cj]);
        let paired = gone.len().min(new.len());
        for (x, y) in gone.iter().zip(new) {
            out.push(Entry::Changed(None, x, y));
        }
        out.extend(gone[paired..].iter().map(|v| Entry::Removed(None, v)));
        out.extend(new[paired..].iter().map(|v| Entry::Added(None, v)));
        if let Some(v) = am.get(cj) {
            out.push(Entry::Same(None, v));
        }
        (i, j) = (ci + 1, cj + 1);
    }
    out.extend(a[a.len() - suf..].iter().map(|v| Entry::Same(None, v)));
    out
}

/// The index pairs of a longest common subsequence of `b` and `a`.
fn lcs(b: &[Val], a: &[Val]) -> Vec<(usize, usize)> {
    let (n, m) = (b.len(), a.len());
    let w = m + 1;
    // t[i * w + j]: the LCS length of b[i..] and a[j..].
    let mut t = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i * w + j] = if b[i] == a[j] {
                t[(i + 1) * w + j + 1] + 1
            } else {
                t[(i + 1) * w + j].max(t[i * w + j + 1])
            };
        }
    }
    let mut out = Vec::with_capacity(t[0] as usize);
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if b[i] == a[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if t[(i + 1) * w + j] >= t[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The change from `before` to `after` (up to [`CAP`] lines).
pub fn diff(before: &Val, after: &Val) -> Vec<DLine> {
    let mut out = Vec::new();
    node(&mut out, None, before, after, 0);
    capped(out)
}

/// Members shown by [`outline`] before the rest is counted.
const OUTLINE_MEMBERS: usize = 50;

/// `v` one level deep: scalar members whole, containers folded to their
/// size (`"items": […3 items]`). The first stage of a pipeline is drawn so,
/// as the context the changes below it apply to.
pub fn outline(v: &Val) -> Vec<DLine> {
    let fold = |key: Option<&str>, x: &Val| -> DLine {
        let text = match x {
            Val::Obj(o) if !o.is_empty() => format!("{{…{}}}", plural(o.len(), "key", "keys")),
            Val::Arr(a) if !a.is_empty() => format!("[…{}]", plural(a.len(), "item", "items")),
            x => x.to_compact(),
        };
        let sign = if matches!(x, Val::Obj(o) if !o.is_empty())
            || matches!(x, Val::Arr(a) if !a.is_empty())
        {
            Sign::Fold
        } else {
            Sign::Same
        };
        DLine {
            sign,
            depth: 1,
            text: key_prefix(key) + &text,
        }
    };
    let (open, close, members): (&str, &str, Vec<DLine>) = match v {
        Val::Obj(o) if !o.is_empty() => (
            "{",
            "}",
            o.iter()
                .take(OUTLINE_MEMBERS)
                .map(|(k, x)| fold(Some(k), x))
                .collect(),
        ),
        Val::Arr(a) if !a.is_empty() => (
            "[",
            "]",
            a.iter()
                .take(OUTLINE_MEMBERS)
                .map(|x| fold(None, x))
                .collect(),
        ),
        _ => return full(v),
    };
    let total = match v {
        Val::Obj(o) => o.len(),
        Val::Arr(a) => a.len(),
        _ => 0,
    };
    let mut out = vec![DLine {
        sign: Sign::Same,
        depth: 0,
        text: open.into(),
    }];
    out.extend(members);
    if total > OUTLINE_MEMBERS {
        out.push(DLine {
            sign: Sign::Fold,
            depth: 1,
            text: format!("…{} more (enter shows all)", total - OUTLINE_MEMBERS),
        });
    }
    out.push(DLine {
        sign: Sign::Same,
        depth: 0,
        text: close.into(),
    });
    out
}

/// `v` whole, as unchanged lines (the "full value" view).
pub fn full(v: &Val) -> Vec<DLine> {
    let mut out = Vec::new();
    whole(&mut out, Sign::Same, None, v, 0);
    capped(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn show(b: serde_json::Value, a: serde_json::Value) -> String {
        diff(&Val::from(&b), &Val::from(&a))
            .iter()
            .map(|l| {
                let s = match l.sign {
                    Sign::Same => ' ',
                    Sign::Add => '+',
                    Sign::Del => '-',
                    Sign::Fold => '=',
                };
                format!("{s}{}{}", "  ".repeat(l.depth), l.text)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn an_added_key_is_plus_and_its_value_whole() {
        let d = show(
            json!({"id": 1, "name": "x"}),
            json!({"id": 1, "name": "x", "check": {"ok": true, "by": "fraud"}}),
        );
        let want = [
            " {",
            "   \"id\": 1",
            "   \"name\": \"x\"",
            "+  \"check\": {",
            "+    \"ok\": true,",
            "+    \"by\": \"fraud\"",
            "+  }",
            " }",
        ];
        assert_eq!(d, want.join("\n"));
    }

    #[test]
    fn changed_scalars_show_both_ways_and_removed_keys_minus() {
        let d = show(json!({"a": 1, "b": "old"}), json!({"a": 2}));
        assert_eq!(d, " {\n-  \"a\": 1\n+  \"a\": 2\n-  \"b\": \"old\"\n }");
    }

    #[test]
    fn an_item_inserted_or_removed_leaves_the_others_unchanged() {
        let b = json!([1, 2, 3, 4, 5, 6]);
        assert_eq!(
            show(b.clone(), json!([0, 1, 2, 3, 4, 5, 6])),
            " [\n+  0\n=  …6 items unchanged\n ]"
        );
        assert_eq!(
            show(b, json!([1, 2, 3, 5, 6])),
            " [\n   1\n   2\n   3\n-  4\n   5\n   6\n ]"
        );
        // An object edited in place shows its own change, not a swap.
        let d = show(
            json!([{"id": 1, "n": 1}, {"id": 2, "n": 1}, 9]),
            json!([{"id": 1, "n": 1}, {"id": 2, "n": 2}, 9, 10]),
        );
        assert_eq!(
            d,
            " [\n=  {…2 keys unchanged}\n   {\n     \"id\": 2\n-    \"n\": 1\n+    \"n\": 2\n   }\n   9\n+  10\n ]"
        );
    }

    #[test]
    fn unchanged_sub_trees_and_runs_fold() {
        let big: serde_json::Map<String, serde_json::Value> =
            (0..12).map(|i| (format!("k{i}"), json!(i))).collect();
        let d = show(
            json!({"a": 1, "b": 2, "c": 3, "d": 4, "deep": big, "x": 1}),
            json!({"a": 1, "b": 2, "c": 3, "d": 4, "deep": big, "x": 2}),
        );
        assert_eq!(d, " {\n=  …5 keys unchanged\n-  \"x\": 1\n+  \"x\": 2\n }");
        let d = show(json!({"deep": big, "x": 1}), json!({"deep": big, "x": 2}));
        assert!(d.contains("=  \"deep\": {…12 keys unchanged}"), "{d}");
    }

    #[test]
    fn an_outline_folds_members_one_level_down() {
        let o = outline(&Val::from(
            &json!({"id": 7, "items": [1, 2, 3], "who": {"a": 1}}),
        ));
        let text: Vec<&str> = o.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            text,
            [
                "{",
                "\"id\": 7",
                "\"items\": […3 items]",
                "\"who\": {…1 key}",
                "}"
            ]
        );
    }

    #[test]
    fn a_huge_value_is_cut_at_the_cap_with_a_note() {
        let big = Val::from(&json!((0..10_000).collect::<Vec<_>>()));
        for d in [full(&big), diff(&Val::Null, &big)] {
            assert_eq!(d.len(), CAP + 1);
            assert!(d[CAP].text.contains("enter shows the value whole"));
        }
    }

    #[test]
    fn arrays_by_position_and_whole_replacements() {
        let d = show(json!([1, 2, 3]), json!([1, 5, 3, 4]));
        assert_eq!(d, " [\n   1\n-  2\n+  5\n   3\n+  4\n ]");
        let d = show(json!({"a": 1}), json!("text"));
        assert_eq!(d, "-{\n-  \"a\": 1\n-}\n+\"text\"");
        assert_eq!(
            show(json!({"a": 1}), json!({"a": 1})),
            "={…1 key unchanged}"
        );
    }
}
