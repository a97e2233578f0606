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
    // Each line is one row (cut or wrapped above): the last at the bottom
    // is as far as the tab scrolls.
    let max = lines.len().saturating_sub(area.height as usize);
    app.scroll_max
        .borrow_mut()
        .insert(super::panes::Tab::Variables, max);
    let scroll = scroll.min(max);
    f.render_widget(
        Paragraph::new(lines).scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        area,
    );
}

fn lines(app: &App, w: usize) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled("Variables", app.theme.accent)];
    let vars = app.session.moment().variables();
    if vars.is_empty() {
        out.push(Line::styled("  (none assigned yet)", app.theme.muted));
    }
    let selected = |i: usize| i == app.var_selected && app.focus == Focus::Data;
    // One row a variable or watch: `name = value` on one line; a name that
    // takes more than half the width (a long watch expression) puts a value
    // that does not fit beside it on the next line, so the value is never pushed out of sight.
    // Whatever does not fit ends in `…`.
    let row = |i: usize, name: String, value: String, style: Style| -> Vec<Line<'static>> {
        let key = if selected(i) {
            app.theme.key.patch(app.theme.selection)
        } else {
            app.theme.key
        };
        let fitted = |text: &str, room: usize, style: Style| fitted(text, room, style, app);
        let head = format!("  {name} = ");
        let head_w = unicode_width::UnicodeWidthStr::width(head.as_str());
        let value_w = unicode_width::UnicodeWidthStr::width(value.as_str());
        if head_w <= w / 2 || head_w + value_w <= w {
            let mut spans = vec![Span::styled(head, key)];
            spans.extend(fitted(&value, w.saturating_sub(head_w), style));
            return vec![Line::from(spans)];
        }
        let first = fitted(&format!("  {name} ="), w, key);
        let mut second = vec![Span::raw("    ")];
        second.extend(fitted(&value, w.saturating_sub(4), style));
        vec![Line::from(first), Line::from(second)]
    };
    for (i, (k, v, depth)) in vars.iter().enumerate() {
        let scope = if *depth == 0 {
            String::new()
        } else {
            format!(" (scope {depth})")
        };
        out.extend(row(
            i,
            format!("${k}{scope}"),
            v.to_compact(),
            app.theme.string,
        ));
    }
    out.push(Line::from(fitted(
        "Watches (w adds, d deletes; enter shows a value whole)",
        w,
        app.theme.accent,
        app,
    )));
    for (i, (wexpr, val)) in app.watch_values().into_iter().enumerate() {
        let (text, style) = match val {
            Ok(v) => (v.to_compact(), app.theme.string),
            Err(e) => (e, app.theme.bad),
        };
        out.extend(row(vars.len() + i, wexpr, text, style));
    }
    out.push(Line::from(fitted(
        "Context object ($$ / $states.context)",
        w,
        app.theme.accent,
        app,
    )));
    // Wrapped under their start like the JSON panes: an execution ARN is
    // longer than most panes are wide.
    if let Some(c) = app.session.moment().context_object() {
        for l in c.to_pretty().lines() {
            let indent = l.len() - l.trim_start().len() + 4;
            let line = Line::styled(format!("  {l}"), app.theme.muted);
            out.extend(super::json_view::wrap_line(line, w, indent, usize::MAX));
        }
    }
    out
}

/// `text` in `style` cut to `w` columns, ending in `…` when it does not fit.
fn fitted(text: &str, w: usize, style: Style, app: &App) -> Vec<Span<'static>> {
    match super::json_view::fit_line(text, w) {
        (whole, false) => vec![Span::styled(whole.to_string(), style)],
        _ => {
            let (shown, _) = super::json_view::fit_line(text, w.saturating_sub(1));
            vec![
                Span::styled(shown.to_string(), style),
                Span::styled("…", app.theme.muted),
            ]
        }
    }
}
