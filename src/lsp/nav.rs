//! Navigation: a transition's target, a state's references, renaming a
//! state, the states as an outline and as folds.

use super::analysis::Analysis;
use super::text::Span;
use lsp_types::{DocumentSymbol, FoldingRange, FoldingRangeKind, Range, SymbolKind, TextEdit};

/// The state under `offset`: its name written as a key, or a transition
/// naming it.
pub fn state_under(a: &Analysis, offset: usize) -> Option<usize> {
    let ix = &a.index;
    if let Some(s) = ix.name_at(offset) {
        return Some(s);
    }
    let r = ix.ref_at(offset)?;
    ix.in_scope(r.scope, &r.target)
}

/// Go to definition: on a transition, the state it names.
pub fn definition(a: &Analysis, offset: usize) -> Option<Range> {
    let ix = &a.index;
    let r = ix.ref_at(offset)?;
    let s = ix.in_scope(r.scope, &r.target)?;
    Some(a.lines.range(&a.text, ix.states[s].key))
}

/// Every transition into the state under `offset` (and its own name,
/// when `declaration`).
pub fn references(a: &Analysis, offset: usize, declaration: bool) -> Vec<Range> {
    let Some(s) = state_under(a, offset) else {
        return Vec::new();
    };
    spans_of(a, s, declaration)
        .into_iter()
        .map(|sp| a.lines.range(&a.text, sp))
        .collect()
}

fn spans_of(a: &Analysis, s: usize, declaration: bool) -> Vec<Span> {
    let ix = &a.index;
    let st = &ix.states[s];
    let mut out = Vec::new();
    if declaration {
        out.push(st.key);
    }
    out.extend(
        ix.refs
            .iter()
            .filter(|r| r.exact && r.scope == st.scope && r.target == st.name)
            .map(|r| r.span),
    );
    out
}

/// The name's range a rename starts from.
pub fn prepare_rename(a: &Analysis, offset: usize) -> Option<(Range, String)> {
    let s = state_under(a, offset)?;
    let st = &a.index.states[s];
    let span = if a.index.name_at(offset).is_some() {
        st.key
    } else {
        a.index.ref_at(offset)?.span
    };
    Some((a.lines.range(&a.text, span), st.name.clone()))
}

/// Rename the state under `offset` to `new`, with every transition into
/// it; refused when its definition already has a state of that name.
pub fn rename(a: &Analysis, offset: usize, new: &str) -> Result<Vec<TextEdit>, String> {
    let s = state_under(a, offset).ok_or("no state here to rename")?;
    let ix = &a.index;
    let old = &ix.states[s].name;
    if new.is_empty() {
        return Err("a state needs a name".into());
    }
    if new.chars().count() > 80 {
        return Err(format!(
            "'{new}' is longer than the 80 characters a state's name may have"
        ));
    }
    if new == old {
        return Ok(Vec::new());
    }
    if let Some(other) = ix
        .definition_of(s)
        .into_iter()
        .find(|&o| ix.states[o].name == new)
    {
        let line = a.lines.position(&a.text, ix.states[other].key.0).line + 1;
        return Err(format!(
            "the definition already has a state named '{new}' (line {line}): state names are \
             unique in a definition"
        ));
    }
    let st = &ix.states[s];
    let flow = !st.exact
        || ix
            .refs
            .iter()
            .any(|r| !r.exact && r.scope == st.scope && r.target == st.name);
    if flow {
        return Err(format!(
            "'{old}' is named inside a YAML flow collection ({{…}} or […] on one line), where \
             asldbg cannot place an edit safely: write that part in block style to rename it"
        ));
    }
    Ok(spans_of(a, s, true)
        .into_iter()
        .map(|sp| TextEdit {
            range: a.lines.range(&a.text, sp),
            new_text: write_name(a, sp, new),
        })
        .collect())
}

/// `name` as it goes in place of the text at `span`: inside a JSON string
/// escaped; in YAML inside its quotes as those quotes escape, or plain when
/// it reads back as the same string, else double-quoted.
pub fn write_name(a: &Analysis, span: Span, name: &str) -> String {
    let json = || {
        let q = serde_json::to_string(name).unwrap_or_default();
        q[1..q.len() - 1].to_string()
    };
    if !a.yaml {
        return json();
    }
    let b = a.text.as_bytes();
    let quote = span.0.checked_sub(1).and_then(|i| b.get(i)).copied();
    match quote {
        Some(b'"') if b.get(span.1) == Some(&b'"') => json(),
        Some(b'\'') if b.get(span.1) == Some(&b'\'') => name.replace('\'', "''"),
        _ if yaml_plain(name) => name.to_string(),
        _ => serde_json::to_string(name).unwrap_or_default(),
    }
}

/// Whether `s` written plain in YAML reads back as the string `s`.
fn yaml_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let lower = s.to_ascii_lowercase();
    let special = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".nan", ".inf", "-.inf",
        ".inf",
    ];
    !(s.trim() != s
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.chars().any(|c| c.is_control())
        || special.contains(&lower.as_str())
        || s.parse::<f64>().is_ok()
        || lower.starts_with("0x")
        || lower.starts_with("0o"))
}

/// The states as a tree: a Parallel's branches and a Map's processor
/// under it.
pub fn symbols(a: &Analysis) -> Vec<DocumentSymbol> {
    let ix = &a.index;
    // The top scopes (a definition each).
    let tops: Vec<usize> = (0..ix.scopes.len())
        .filter(|&s| ix.scopes[s].parent.is_none())
        .collect();
    let several = tops.len() > 1;
    let mut out = Vec::new();
    for t in tops {
        let states = scope_symbols(a, t);
        if several {
            let p = &ix.scopes[t].pointer;
            let name = p
                .split('/')
                .nth(2)
                .unwrap_or("definition")
                .replace("~1", "/")
                .replace("~0", "~");
            let span = a
                .places
                .get(p)
                .map(|pl| (pl.key.map_or(pl.value.0, |k| k.0), pl.value.1))
                .unwrap_or((0, 0));
            let sel = a.places.get(p).and_then(|pl| pl.key).unwrap_or(span);
            #[allow(deprecated)]
            out.push(DocumentSymbol {
                name,
                detail: Some("state machine".into()),
                kind: SymbolKind::CLASS,
                tags: None,
                deprecated: None,
                range: a.lines.range(&a.text, span),
                selection_range: a.lines.range(&a.text, sel),
                children: Some(states),
            });
        } else {
            out.extend(states);
        }
    }
    out
}

fn scope_symbols(a: &Analysis, scope: usize) -> Vec<DocumentSymbol> {
    let ix = &a.index;
    ix.scopes[scope]
        .states
        .iter()
        .map(|&s| {
            let st = &ix.states[s];
            let inner = ix.blocks_in(s);
            let children: Vec<DocumentSymbol> = if st.ty.as_deref() == Some("Parallel") {
                inner
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| branch_symbol(a, c, &format!("branch {}", i + 1)))
                    .collect()
            } else {
                inner.iter().flat_map(|&c| scope_symbols(a, c)).collect()
            };
            let kind = match st.ty.as_deref() {
                Some("Task") => SymbolKind::FUNCTION,
                Some("Choice") => SymbolKind::ENUM,
                Some("Parallel") | Some("Map") => SymbolKind::MODULE,
                Some("Succeed") | Some("Fail") => SymbolKind::EVENT,
                Some("Wait") => SymbolKind::EVENT,
                _ => SymbolKind::OBJECT,
            };
            #[allow(deprecated)]
            DocumentSymbol {
                name: st.name.clone(),
                detail: st.ty.clone(),
                kind,
                tags: None,
                deprecated: None,
                range: a.lines.range(&a.text, st.body),
                selection_range: a.lines.range(&a.text, st.key),
                children: (!children.is_empty()).then_some(children),
            }
        })
        .collect()
}

fn branch_symbol(a: &Analysis, scope: usize, name: &str) -> DocumentSymbol {
    let p = &a.index.scopes[scope].pointer;
    let span = a.places.get(p).map(|pl| pl.value).unwrap_or((0, 0));
    #[allow(deprecated)]
    DocumentSymbol {
        name: name.to_string(),
        detail: None,
        kind: SymbolKind::NAMESPACE,
        tags: None,
        deprecated: None,
        range: a.lines.range(&a.text, span),
        selection_range: a.lines.range(&a.text, (span.0, span.0)),
        children: Some(scope_symbols(a, scope)),
    }
}

/// A fold per state that spans lines.
pub fn folds(a: &Analysis) -> Vec<FoldingRange> {
    a.index
        .states
        .iter()
        .filter_map(|st| {
            let r = a.lines.range(&a.text, st.body);
            (r.end.line > r.start.line).then(|| FoldingRange {
                start_line: r.start.line,
                start_character: None,
                end_line: r.end.line,
                end_character: None,
                kind: Some(FoldingRangeKind::Region),
                collapsed_text: Some(st.name.clone()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"{
  "StartAt": "First",
  "States": {
    "First": {"Type": "Pass", "Next": "Fan"},
    "Fan": {
      "Type": "Parallel",
      "Branches": [
        {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": true}}}
      ],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "First"}],
      "End": true
    }
  }
}"#;

    fn at(s: &str, nth: usize) -> usize {
        T.match_indices(s).nth(nth).unwrap().0 + 1
    }

    #[test]
    fn definition_references_and_rename() {
        let a = Analysis::new("m.asl.json", T.to_string());
        // "Fan" in First's Next → the Fan state's key (line 4, 0-based).
        let r = definition(&a, at("\"Fan\"", 0)).unwrap();
        assert_eq!(r.start.line, 4);
        let refs = references(&a, at("\"First\"", 1), true);
        assert_eq!(refs.len(), 3, "{refs:?}"); // StartAt, its key, the Catch
        let edits = rename(&a, at("\"First\"", 0), "Start \"here\"").unwrap();
        assert_eq!(edits.len(), 3);
        assert!(edits.iter().all(|e| e.new_text == "Start \\\"here\\\""));
        let err = rename(&a, at("\"First\"", 0), "Left").unwrap_err();
        assert!(err.contains("already has a state named 'Left'"), "{err}");
    }

    #[test]
    fn yaml_names_are_quoted_when_plain_would_not_read_back() {
        let t =
            "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: 'B'\n  B:\n    Type: Succeed\n";
        for new in [
            "a: b",
            "#x",
            "true",
            "123",
            "Café ☕ ",
            "it's",
            "plain name",
        ] {
            let a = Analysis::new("m.asl.yaml", t.to_string());
            let off = t.find("  B:").unwrap() + 2;
            let mut edits = rename(&a, off, new).unwrap();
            edits.sort_by_key(|e| std::cmp::Reverse((e.range.start.line, e.range.start.character)));
            let mut out = t.to_string();
            for e in &edits {
                let (s, en) = (
                    a.lines.offset(t, e.range.start),
                    a.lines.offset(t, e.range.end),
                );
                out.replace_range(s..en, &e.new_text);
            }
            let b = Analysis::new("m.asl.yaml", out.clone());
            assert!(
                b.diagnostics.is_empty(),
                "{new:?}: {out}\n{:?}",
                b.diagnostics
            );
            assert!(b.index.named(new).is_some(), "{new:?}: {out}");
        }
    }

    #[test]
    fn yaml_flow_collections_are_never_edited() {
        let t = "StartAt: A\nStates:\n  A: {Type: Pass, Next: B}\n  B: {Type: Succeed}\n";
        let a = Analysis::new("m.asl.yaml", t.to_string());
        let off = t.find("  B:").unwrap() + 2;
        let err = rename(&a, off, "Zz").unwrap_err();
        assert!(err.contains("flow collection"), "{err}");
        // Nothing in A's braces is taken for B.
        let inside = t.find("Next: B").unwrap() + 6;
        assert!(state_under(&a, inside).is_none());
    }

    #[test]
    fn outline_nests_branches_and_folds_each_state() {
        let a = Analysis::new("m.asl.json", T.to_string());
        let s = symbols(&a);
        assert_eq!(s.len(), 2);
        let fan = &s[1];
        assert_eq!(fan.name, "Fan");
        let branch = &fan.children.as_ref().unwrap()[0];
        assert_eq!(branch.name, "branch 1");
        assert_eq!(branch.children.as_ref().unwrap()[0].name, "Left");
        let f = folds(&a);
        assert!(
            f.iter().any(|f| f.start_line == 4 && f.end_line == 11),
            "{f:?}"
        );
    }
}
