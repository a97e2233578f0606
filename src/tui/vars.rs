//! The Variables tab: the variables in scope, the watches with their values
//! now, and the context object. A value too long for its row ends in `…`;
//! `Enter` shows the selected one whole.

use super::app::App;
use super::panes::Focus;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App, area: Rect, scroll: usize) {
    let lines = lines(app, area.width as usize);
    f.render_widget(
        Paragraph::new(lines).scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        area,
    );
}

fn lines(app: &App, w: usize) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled("Variables", app.theme.accent)];
    let vars = app.session.exec.variables();
    if vars.is_empty() {
        out.push(Line::styled("  (none assigned yet)", app.theme.muted));
    }
    let selected = |i: usize| i == app.var_selected && app.focus == Focus::Data;
    let row = |i: usize, name: String, value: String, style: Style| {
        let head = format!("  {name} = ");
        let room = w.saturating_sub(head.chars().count());
        let (shown, cut) = super::json_view::fit_line(&value, room);
        let mut spans = vec![
            Span::styled(
                head,
                if selected(i) {
                    app.theme.key.patch(app.theme.selection)
                } else {
                    app.theme.key
                },
            ),
            Span::styled(shown.to_string(), style),
        ];
        if cut {
            spans.push(Span::styled("…", app.theme.muted));
        }
        Line::from(spans)
    };
    for (i, (k, v, depth)) in vars.iter().enumerate() {
        let scope = if *depth == 0 {
            String::new()
        } else {
            format!(" (scope {depth})")
        };
        out.push(row(
            i,
            format!("${k}{scope}"),
            v.to_compact(),
            app.theme.string,
        ));
    }
    out.push(Line::styled(
        "Watches (w adds, d deletes; enter shows a value whole)",
        app.theme.accent,
    ));
    for (i, (wexpr, val)) in app.watch_values().into_iter().enumerate() {
        let (text, style) = match val {
            Ok(v) => (v.to_compact(), app.theme.string),
            Err(e) => (e, app.theme.bad),
        };
        out.push(row(vars.len() + i, wexpr, text, style));
    }
    out.push(Line::styled(
        "Context object ($$ / $states.context)",
        app.theme.accent,
    ));
    // Wrapped under their start like the JSON panes: an execution ARN is
    // longer than most panes are wide.
    if let Some(c) = app.session.exec.context_object() {
        for l in c.to_pretty().lines() {
            let indent = l.len() - l.trim_start().len() + 4;
            let line = Line::styled(format!("  {l}"), app.theme.muted);
            out.extend(super::json_view::wrap_line(line, w, indent, usize::MAX));
        }
    }
    out
}
