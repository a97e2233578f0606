//! The Stages tab's content: a state's data processing as a pipeline of
//! blocks, one per stage (the field, its expression, the value after it),
//! each as the change from the stage before (or the full value). Built once
//! per record and settings; `stages.rs` draws the visible rows.

use super::diff::{self, Sign};
use super::json_view::{color_line, owned};
use super::theme::Theme;
use crate::asl::model::Definition;
use crate::asl::value::Val;
use crate::debugger::pipeline;
use crate::engine::StageRecord;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

/// The Stages pane's lines for one stage record.
pub struct Pipeline {
    pub lines: Vec<Line<'static>>,
    /// The line of each block's header.
    pub headers: Vec<usize>,
    /// Each block's title and value (what `Enter` opens).
    pub values: Vec<(String, Val)>,
}

/// How the blocks are shown.
#[derive(Clone, Copy, PartialEq)]
pub struct Settings {
    /// Each stage as the change from the one before (else full values).
    pub diff: bool,
    /// Plain-language explanations under the stages.
    pub explain: bool,
    /// Stages shown (teaching mode reveals them one by one).
    pub revealed: usize,
}

/// What a built pipeline depends on: the run, the record, the settings.
#[derive(Clone, PartialEq)]
pub struct Key {
    pub generation: u64,
    pub records: usize,
    pub index: usize,
    pub settings: Settings,
}

/// The blocks of stage record `rec` of a state of `def`.
pub fn build(def: &Definition, rec: &StageRecord, t: &Theme, set: Settings) -> Pipeline {
    let st = def
        .find(&rec.state)
        .map(|(m, s)| &def.machines[m].states[s]);
    let stages = pipeline::stages(def, rec);
    // Explanations quote values: made only when shown.
    let why = if set.explain {
        super::explain::stages(st, rec)
    } else {
        Vec::new()
    };
    let frame = match crate::engine::history::path_label(&rec.frame) {
        l if l.is_empty() => l,
        l => format!(" {l}"),
    };
    let mut p = Pipeline {
        lines: vec![Line::from(vec![
            Span::styled(format!("{}{frame}", rec.state), t.accent),
            Span::styled(
                format!(
                    "  its last run · {} ({})",
                    if set.diff { "changes" } else { "full values" },
                    if set.diff {
                        "d: full values"
                    } else {
                        "d: changes"
                    }
                ),
                t.muted,
            ),
        ])],
        headers: Vec::new(),
        values: Vec::new(),
    };
    let last_output = stages.len().saturating_sub(1);
    for (i, s) in stages.iter().enumerate() {
        if i >= set.revealed {
            p.lines.push(Line::styled(
                "… s reveals the next stage",
                t.muted.add_modifier(Modifier::ITALIC),
            ));
            return p;
        }
        p.headers.push(p.lines.len());
        p.values
            .push((format!("{} › {}", rec.state, s.label), s.value.clone()));
        let mut head = vec![
            Span::styled("▌ ", t.accent),
            Span::styled(s.label.clone(), t.key.add_modifier(Modifier::BOLD)),
        ];
        if let Some(e) = &s.expr {
            head.push(Span::styled(format!("  {e}"), t.muted));
        }
        if set.diff && i > 0 && s.base + 1 != i {
            head.push(Span::styled(
                format!("  (changes to the {})", stages[s.base].label),
                t.muted,
            ));
        }
        if i == last_output && rec.output.is_some() && s.key != "Assign" {
            head.push(Span::styled("  → output", t.good));
        }
        p.lines.push(Line::from(head));
        if set.explain {
            if let Some((_, text)) = why.iter().find(|(k, _)| *k == s.key) {
                p.lines.push(Line::styled(
                    format!("  ↳ {text}"),
                    t.muted.add_modifier(Modifier::ITALIC),
                ));
            }
        }
        let body = match (set.diff, i) {
            // A result is a new value, not a change of what went in.
            (true, i) if i > 0 && !matches!(s.key, "Assign" | "result") => {
                let prev = &stages[s.base].value;
                let d = diff::diff(prev, &s.value);
                if matches!(d.as_slice(), [l] if l.sign == Sign::Fold || prev == &s.value) {
                    p.lines.push(Line::styled("  (no change)", t.muted));
                    continue;
                }
                d
            }
            (true, 0) => diff::outline(&s.value),
            _ => diff::full(&s.value),
        };
        for l in &body {
            p.lines.push(diff_line(t, l));
        }
    }
    if !rec.rules.is_empty() {
        p.lines.push(Line::styled("Choice rules (in order)", t.key));
    }
    for r in &rec.rules {
        let (mark, st) = if r.matched {
            ("✓", t.good)
        } else {
            ("✗", t.muted)
        };
        p.headers.push(p.lines.len());
        p.values.push((
            format!("{} › rule #{}", rec.state, r.index + 1),
            Val::parse(&r.rule).unwrap_or_else(|_| Val::str(r.rule.as_str())),
        ));
        p.lines.push(Line::styled(
            format!("{mark} #{} {} → {}", r.index + 1, r.rule, r.next),
            st,
        ));
        for (path, v) in &r.values {
            let v = v
                .as_ref()
                .map(Val::to_compact)
                .unwrap_or_else(|| "(not present)".into());
            p.lines.push(Line::from(vec![
                Span::styled(format!("    {path} = "), t.key),
                Span::styled(v, t.string),
            ]));
        }
    }
    if !rec.rules.is_empty() && !rec.rules.iter().any(|r| r.matched) {
        if let Some(n) = &rec.next {
            p.lines.push(Line::styled(
                format!("no rule matched: Default → {n}"),
                t.warn,
            ));
        }
    }
    for r in &rec.retries {
        p.lines.push(Line::styled(
            format!(
                "retry {} after {}: retrier #{} matched, back-off {:.3} s",
                r.attempt,
                r.error,
                r.retrier + 1,
                r.delay_ms as f64 / 1000.0
            ),
            t.warn,
        ));
    }
    if let Some(c) = rec.caught_by {
        let n = rec.next.clone().unwrap_or_default();
        p.lines.push(Line::styled(
            format!("caught by catcher #{} → {n}", c + 1),
            t.warn,
        ));
    }
    if let Some(e) = &rec.error {
        p.headers.push(p.lines.len());
        p.values.push((
            format!("{} › error", rec.state),
            Val::object([
                ("Error", Val::str(e.name().unwrap_or(""))),
                ("Cause", Val::str(e.cause.as_str())),
            ]),
        ));
        p.lines.push(Line::styled(
            format!("error: {}", e.name().unwrap_or("(no error name)")),
            t.bad,
        ));
        p.lines
            .push(Line::styled(format!("  cause: {}", e.cause), t.bad));
    }
    if let Some(n) = &rec.next {
        p.lines.push(Line::from(vec![
            Span::styled("next: ", t.key),
            Span::styled(n.clone(), t.base),
        ]));
    }
    if set.explain {
        for (k, text) in &why {
            if matches!(*k, "choice" | "retry" | "catch" | "error") {
                p.lines.push(Line::styled(
                    format!("↳ {text}"),
                    t.muted.add_modifier(Modifier::ITALIC),
                ));
            }
        }
    }
    p
}

pub(super) fn diff_line(t: &Theme, l: &diff::DLine) -> Line<'static> {
    let indent = "  ".repeat(l.depth);
    let (sign, style) = match l.sign {
        Sign::Add => ("+ ", Some(t.good)),
        Sign::Del => ("- ", Some(t.bad)),
        Sign::Fold => ("  ", Some(t.muted)),
        Sign::Same => ("  ", None),
    };
    let mut spans = vec![Span::styled(
        sign,
        style.unwrap_or(t.muted).add_modifier(Modifier::BOLD),
    )];
    spans.push(Span::raw(indent));
    match style {
        Some(s) => spans.push(Span::styled(l.text.clone(), s)),
        None => spans.extend(owned(color_line(&l.text, t, None)).spans),
    }
    Line::from(spans)
}
