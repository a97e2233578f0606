//! The left pane's list of states (`g`): indented by branch and iteration,
//! with breakpoints, the current state, visited and failed marks and visit
//! counts. It scrolls as the model says ([`App::outline_scroll`], kept in
//! view of the selection by the update), so drawing changes nothing.

use super::app::App;
use super::panes::Focus;
use crate::graph::text::fit as truncate;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let focused = app.focus == Focus::States;
    let b = app.theme.pane("States", focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let h = inner.height as usize;
    let current = app.current();
    let marks = app.shown_marks();
    let lines: Vec<Line> = app
        .rows
        .iter()
        .enumerate()
        .skip(app.outline_scroll)
        .take(h)
        .map(|(i, r)| {
            let id = (r.machine, r.state);
            let bp = if app.session.has_breakpoint(r.machine, r.state) {
                Span::styled("●", app.theme.breakpoint)
            } else {
                Span::raw(" ")
            };
            let mark = if current == Some(id) {
                Span::styled("▶", app.theme.accent)
            } else if marks.failed.contains(&id) {
                Span::styled("✗", app.theme.bad)
            } else if marks.visited.contains(&id) {
                Span::styled("•", app.theme.good)
            } else if let Some(c) = marks.only.get(&id) {
                Span::styled(c.to_string(), app.theme.muted)
            } else {
                Span::raw(" ")
            };
            let visits = marks.visits.get(&id).copied().unwrap_or(0);
            let count = if visits > 1 {
                format!(" ×{visits}")
            } else {
                String::new()
            };
            let mut name_style = if current == Some(id) {
                app.theme.accent
            } else {
                app.theme.base
            };
            if i == app.selected {
                name_style = name_style.patch(app.theme.selection);
            }
            Line::from(vec![
                bp,
                mark,
                Span::raw(" ".repeat(1 + 2 * r.depth)),
                Span::styled(
                    crate::graph::text::type_glyph(&r.type_name).to_string(),
                    app.theme.muted,
                ),
                Span::raw(" "),
                Span::styled(
                    truncate(
                        &r.name,
                        (inner.width as usize).saturating_sub(5 + 2 * r.depth + count.len()),
                    ),
                    name_style,
                ),
                Span::styled(count, app.theme.muted),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
