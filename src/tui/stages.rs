//! The Stages tab: a state's data processing as a pipeline of blocks, one
//! per stage (the field, its expression, the value after it), each drawn as
//! the change from the stage before (`d` shows full values instead). Built
//! once per record and settings, then only the visible rows are wrapped and
//! drawn.

use super::app::App;
use super::diff::{self, Sign};
use super::json_view::{color_line, owned, wrap_line};
use crate::asl::value::Val;
use crate::debugger::pipeline;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::rc::Rc;

/// The Stages pane's lines for one stage record.
pub struct Pipeline {
    pub lines: Vec<Line<'static>>,
    /// The line of each block's header.
    pub headers: Vec<usize>,
    /// Each block's title and value (what `Enter` opens).
    pub values: Vec<(String, Val)>,
}

/// What the pipeline depends on besides the record itself.
#[derive(Clone, PartialEq)]
pub struct Key {
    generation: u64,
    records: usize,
    index: usize,
    diff: bool,
    explain: bool,
    revealed: usize,
}

/// The record the pane shows: the state of the event picked in History,
/// else the selected state's last run, else the last state run (in
/// teaching mode always the last).
pub fn record_index(app: &App) -> Option<usize> {
    let stages = app.session.exec.stages();
    if stages.is_empty() {
        return None;
    }
    if app.teach {
        return Some(stages.len() - 1);
    }
    let from_history = app
        .history_selected
        .and_then(|i| app.session.exec.history().get(i))
        .and_then(|e| e.state.as_deref());
    let selected = from_history.or(app.rows.get(app.selected).map(|r| r.name.as_str()));
    Some(
        stages
            .iter()
            .rposition(|s| Some(s.state.as_str()) == selected)
            .unwrap_or(stages.len() - 1),
    )
}

/// The pipeline for the current record and settings (cached).
pub fn pipeline(app: &App) -> Option<Rc<Pipeline>> {
    let index = record_index(app)?;
    let key = Key {
        generation: app.generation,
        records: app.session.exec.stages().len(),
        index,
        diff: app.stage_diff,
        explain: app.explain,
        revealed: app.revealed,
    };
    if let Some((k, p)) = &*app.pipeline.borrow() {
        if *k == key {
            return Some(p.clone());
        }
    }
    let p = Rc::new(build(app, index));
    *app.pipeline.borrow_mut() = Some((key, p.clone()));
    Some(p)
}

fn build(app: &App, index: usize) -> Pipeline {
    let t = &app.theme;
    let def = app.session.definition();
    let rec = &app.session.exec.stages()[index];
    let st = def
        .find(&rec.state)
        .map(|(m, s)| &def.machines[m].states[s]);
    let stages = pipeline::stages(def, rec);
    // Explanations quote values: made only when shown.
    let why = if app.explain {
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
                    if app.stage_diff {
                        "changes"
                    } else {
                        "full values"
                    },
                    if app.stage_diff {
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
        if i >= app.revealed {
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
        if app.stage_diff && i > 0 && s.base + 1 != i {
            head.push(Span::styled(
                format!("  (changes to the {})", stages[s.base].label),
                t.muted,
            ));
        }
        if i == last_output && rec.output.is_some() && s.key != "Assign" {
            head.push(Span::styled("  → output", t.good));
        }
        p.lines.push(Line::from(head));
        if app.explain {
            if let Some((_, text)) = why.iter().find(|(k, _)| *k == s.key) {
                p.lines.push(Line::styled(
                    format!("  ↳ {text}"),
                    t.muted.add_modifier(Modifier::ITALIC),
                ));
            }
        }
        let body = match (app.stage_diff, i) {
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
            p.lines.push(diff_line(app, l));
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
    if app.explain {
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

fn diff_line(app: &App, l: &diff::DLine) -> Line<'static> {
    let t = &app.theme;
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

/// The selected block (the last one until ↑/↓ picks another).
pub fn selected(app: &App, p: &Pipeline) -> usize {
    app.stage_sel.min(p.headers.len().saturating_sub(1))
}

/// Screen rows line `l` takes when wrapped to `w` columns.
fn rows_of(l: &Line<'static>, w: usize, max: usize) -> usize {
    wrap_line(l.clone(), w, lead(l) + 2, max).len()
}

/// The columns of blank space a line starts with (its sign and indent).
fn lead(l: &Line) -> usize {
    l.spans
        .iter()
        .take(2)
        .map(|s| s.content.chars().take_while(|c| *c == ' ').count())
        .sum()
}

/// The first line drawn: the selected block's header (plus the lines paged
/// past it), or earlier when the pipeline ends within the pane, so the pane
/// is never half empty while there is more above.
pub fn top(app: &App, p: &Pipeline, (w, h): (usize, usize)) -> usize {
    let header = p.headers.get(selected(app, p)).copied().unwrap_or(0);
    let mut top = (header + app.stage_scroll).min(p.lines.len().saturating_sub(1));
    let mut rows = 0;
    for l in &p.lines[top..] {
        rows += rows_of(l, w, h + 1);
        if rows >= h {
            return top;
        }
    }
    while top > 0 {
        let r = rows_of(&p.lines[top - 1], w, h + 1);
        if rows + r > h {
            break;
        }
        rows += r;
        top -= 1;
    }
    top
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(p) = pipeline(app) else {
        f.render_widget(
            Paragraph::new(
                "Step a state to see each stage of its data processing (y explains them).",
            )
            .style(app.theme.muted)
            .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    };
    let (w, h) = (area.width as usize, area.height as usize);
    let mut rows: Vec<Line> = Vec::with_capacity(h);
    let first = top(app, &p, (w, h));
    let selected = p.headers.get(selected(app, &p)).copied();
    for (i, l) in p.lines.iter().enumerate().skip(first) {
        if rows.len() >= h {
            break;
        }
        let mut l = l.clone();
        if Some(i) == selected {
            // The selected block: ▶ and its field in the selection colour.
            if l.spans.len() >= 2 && l.spans[0].content == "▌ " {
                l.spans[0].content = "▶ ".into();
                l.spans[1].style = l.spans[1].style.patch(app.theme.selection);
            } else {
                l = l.patch_style(app.theme.selection);
            }
        }
        let lead = lead(&l);
        for r in wrap_line(l, w, lead + 2, h - rows.len()) {
            if rows.len() < h {
                rows.push(r);
            }
        }
    }
    f.render_widget(Paragraph::new(rows), area);
}
