//! Code actions: the fixes a problem names — a transition to a state that
//! does not exist pointed at the closest name, a state with neither `Next`
//! nor `End` given `End`.

use super::analysis::Analysis;
use super::text::Span;
use lsp_types::TextEdit;
use serde_json::Value;

/// A fix: its title and its edits to the file.
pub struct Fix {
    pub title: String,
    pub edits: Vec<TextEdit>,
    /// Whether it is the one fix for its problem.
    pub preferred: bool,
    /// What the problems it fixes say (to tag them).
    pub about: &'static str,
}

/// The fixes for what lies in `span`.
pub fn fixes(a: &Analysis, span: Span) -> Vec<Fix> {
    let ix = &a.index;
    let mut out = Vec::new();
    let overlaps = |s: Span| s.0 <= span.1 && span.0 <= s.1;
    for r in ix.refs.iter().filter(|r| r.exact && overlaps(r.span)) {
        if ix.in_scope(r.scope, &r.target).is_some() {
            continue;
        }
        let names: Vec<String> = ix.scopes[r.scope]
            .states
            .iter()
            .filter(|&&s| Some(s) != r.from)
            .map(|&s| ix.states[s].name.clone())
            .collect();
        let best = crate::testing::mocks::did_you_mean(&r.target, &names)
            .map(str::to_string)
            .or_else(|| closest(&r.target, &names));
        if let Some(best) = best {
            let written = super::nav::write_name(a, r.span, &best);
            out.push(Fix {
                title: format!("Change '{}' to '{best}'", r.target),
                edits: vec![TextEdit {
                    range: a.lines.range(&a.text, r.span),
                    new_text: written,
                }],
                preferred: true,
                about: "does not name a state",
            });
        }
    }
    let Some(v) = &a.value else {
        return out;
    };
    for st in ix.states.iter().filter(|s| s.exact && overlaps(s.key)) {
        let Some(o) = v.pointer(&st.pointer).and_then(Value::as_object) else {
            continue;
        };
        let flows = matches!(
            st.ty.as_deref(),
            Some("Pass" | "Task" | "Wait" | "Parallel" | "Map")
        );
        if flows && !o.contains_key("Next") && !o.contains_key("End") {
            let value = a.places.get(&st.pointer).map_or(st.body, |p| p.value);
            if let Some(edit) = add_member(a, st.body, value, "End", "true") {
                out.push(Fix {
                    title: format!("Add \"End\": true to '{}'", st.name),
                    edits: vec![edit],
                    preferred: true,
                    about: "needs either Next",
                });
            }
        }
    }
    out
}

/// The name of `names` fewest edits from `wrong` (when no name is close
/// enough for [`did_you_mean`](crate::testing::mocks::did_you_mean)),
/// within half its length.
fn closest(wrong: &str, names: &[String]) -> Option<String> {
    names
        .iter()
        .map(|n| (strsim::levenshtein(wrong, n), n))
        .filter(|(d, _)| *d <= wrong.chars().count().max(2) / 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.clone())
}

/// An edit adding `key: value` as the last member of the object whose text
/// is `body` (a state, key to closing brace).
fn add_member(a: &Analysis, body: Span, object: Span, key: &str, value: &str) -> Option<TextEdit> {
    let t = &a.text;
    let flow = t[object.0..object.1].trim_end();
    if a.yaml && flow.starts_with('{') {
        if !flow.ends_with('}') || flow.contains('\n') {
            // A flow mapping over several lines: not edited.
            return None;
        }
        // A flow mapping (`A: {Type: Pass}`): a member before its `}`.
        let close = object.0 + flow.len() - 1;
        let inner = flow[1..flow.len() - 1].trim_end();
        let empty = inner.trim().is_empty() || inner.ends_with(',');
        let at = a.lines.position(t, close);
        return Some(TextEdit {
            range: lsp_types::Range::new(at, at),
            new_text: format!("{}{key}: {value}", if empty { " " } else { ", " }),
        });
    }
    if a.yaml {
        // A line below the state's name, indented as its first field.
        let line_end = body.0 + t[body.0..].find('\n')?;
        let next = &t[line_end + 1..];
        let indent: String = next.chars().take_while(|c| *c == ' ').collect();
        let at = a.lines.position(t, line_end + 1);
        return Some(TextEdit {
            range: lsp_types::Range::new(at, at),
            new_text: format!("{indent}{key}: {value}\n"),
        });
    }
    // Before the closing brace, after the last member.
    let close = body.1.checked_sub(1)?;
    if t.as_bytes().get(close) != Some(&b'}') {
        return None;
    }
    let inner = &t[..close];
    let last = inner.trim_end().len();
    let open_brace = t[body.0..close].find('{')? + body.0;
    let empty = t[open_brace + 1..close].trim().is_empty();
    // The indent of the last member's line, when members stand on lines.
    let line_start = inner[..last].rfind('\n').map_or(0, |i| i + 1);
    let multiline = t[open_brace..close].contains('\n');
    let indent: String = inner[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let sep = if empty { "" } else { "," };
    let new_text = if multiline && !empty {
        format!("{sep}\n{indent}\"{key}\": {value}")
    } else {
        format!("{sep} \"{key}\": {value}")
    };
    let at = a.lines.position(t, last);
    Some(TextEdit {
        range: lsp_types::Range::new(at, at),
        new_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(t: &str, a: &Analysis, edits: &[TextEdit]) -> String {
        let mut out = t.to_string();
        for e in edits.iter().rev() {
            let s = a.lines.offset(t, e.range.start);
            let en = a.lines.offset(t, e.range.end);
            out.replace_range(s..en, &e.new_text);
        }
        out
    }

    #[test]
    fn a_misspelt_target_and_a_missing_end_are_fixed() {
        let t = "{\n  \"StartAt\": \"Frist\",\n  \"States\": {\n    \"First\": {\n      \"Type\": \"Pass\"\n    }\n  }\n}";
        let a = Analysis::new("m.asl.json", t.to_string());
        let fs = fixes(&a, (0, t.len()));
        assert_eq!(
            fs.len(),
            2,
            "{:?}",
            fs.iter().map(|f| &f.title).collect::<Vec<_>>()
        );
        let mut fixed = t.to_string();
        for f in fs.iter().rev() {
            // Edits far apart: applied from the end.
            fixed = apply(
                &fixed,
                &Analysis::new("m.asl.json", fixed.clone()),
                &f.edits,
            );
        }
        let a2 = Analysis::new("m.asl.json", fixed.clone());
        assert!(a2.diagnostics.is_empty(), "{fixed}\n{:?}", a2.diagnostics);
        assert!(
            fixed.contains("\"Type\": \"Pass\",\n      \"End\": true"),
            "{fixed}"
        );
    }

    #[test]
    fn yaml_gets_a_line() {
        let t = "StartAt: A\nStates:\n  A:\n    Type: Pass\n";
        let a = Analysis::new("m.asl.yaml", t.to_string());
        let fs = fixes(&a, (0, t.len()));
        assert_eq!(fs.len(), 1);
        let fixed = apply(t, &a, &fs[0].edits);
        assert_eq!(
            fixed,
            "StartAt: A\nStates:\n  A:\n    End: true\n    Type: Pass\n"
        );
        assert!(Analysis::new("m.asl.yaml", fixed).diagnostics.is_empty());
        // A state written in flow style gets the member inside its braces.
        let t = "StartAt: A\nStates:\n  A: {Type: Pass}\n";
        let a = Analysis::new("m.asl.yaml", t.to_string());
        let fs = fixes(&a, (0, t.len()));
        let fixed = apply(t, &a, &fs[0].edits);
        assert_eq!(fixed, "StartAt: A\nStates:\n  A: {Type: Pass, End: true}\n");
    }
}
