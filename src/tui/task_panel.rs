//! The panel of a Task that waits for an answer: what it is, what it would
//! send, why nothing answered it, and the ways to answer — shown above the
//! data tabs, so the rest of the screen stays in view.

use super::app::App;
use super::json_view::{color_line, owned, wrap_line};
use crate::asl::model::Kind;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// The panel's lines for the waiting task, `w` columns wide (None: no task
/// waits).
pub fn lines(app: &App, w: usize) -> Option<Vec<Line<'static>>> {
    let ex = &app.session.exec;
    if !ex.waiting_for_task() {
        return None;
    }
    let t = &app.theme;
    let st = ex.current_state()?;
    let resource = match &st.kind {
        Kind::Task(spec) => spec.resource.to_string(),
        _ => String::new(),
    };
    let mut out: Vec<Line<'static>> = Vec::new();
    let field = |k: &str, v: String, out: &mut Vec<Line<'static>>| {
        let line = Line::from(vec![
            Span::styled(format!("{k:<9}"), t.key),
            Span::styled(v, t.base),
        ]);
        out.extend(wrap_line(line, w, 9, usize::MAX));
    };
    field("resource", resource, &mut out);
    field("why", app.task_source.clone(), &mut out);
    if let Some(tok) = ex.task_token() {
        field("token", format!("{tok} (a callback)"), &mut out);
    }
    let sends = ex
        .pending_task_input()
        .map(|v| v.to_pretty())
        .unwrap_or_else(|| "null".into());
    let label = if st.is_jsonata() {
        "Arguments, evaluated (what the task receives):"
    } else {
        "Parameters, evaluated (what the task receives):"
    };
    out.push(Line::styled(label, t.key));
    for l in sends.lines().take(200) {
        let indent = l.len() - l.trim_start().len();
        out.extend(wrap_line(
            owned(color_line(&format!("  {l}"), t, None)),
            w,
            indent + 4,
            usize::MAX,
        ));
    }
    Some(out)
}

/// The keys that answer, always on the panel's last line.
fn keys(app: &App) -> Line<'static> {
    let t = &app.theme;
    let mut spans = Vec::new();
    for (k, what) in [
        ("t", "result"),
        ("x", "error"),
        ("{", "answer {}"),
        ("a", "auto-answer (input)"),
    ] {
        spans.push(Span::styled(format!(" {k}"), t.accent));
        spans.push(Span::styled(format!(" {what} "), t.muted));
    }
    Line::from(spans)
}

/// The panel for a pane `w` wide, made once per frame: its lines (the
/// keys last) and the rows it wants (None: no task waits).
pub fn panel(app: &App, w: u16) -> Option<(Vec<Line<'static>>, usize, u16)> {
    let inner = w.saturating_sub(2) as usize;
    let body = lines(app, inner)?;
    let keys = wrap_line(keys(app), inner, 1, usize::MAX);
    let rows = (body.len() + keys.len()) as u16 + 2;
    let n_keys = keys.len();
    let mut all = body;
    all.extend(keys);
    Some((all, n_keys, rows))
}

/// Draw `panel` (from [`panel`]) in `area`; what does not fit is cut with a
/// note that `V` shows the task input whole.
pub fn draw(f: &mut Frame, app: &App, area: Rect, panel: (Vec<Line<'static>>, usize, u16)) {
    let (mut body, n_keys, _) = panel;
    let keys = body.split_off(body.len() - n_keys);
    let room = (area.height as usize).saturating_sub(2 + keys.len());
    if body.len() > room {
        body.truncate(room.saturating_sub(1));
        body.push(Line::styled(
            "  … V shows the whole task input",
            app.theme.muted,
        ));
    }
    body.extend(keys);
    let title = format!(
        "Task {} waits for an answer",
        app.session
            .exec
            .current_state()
            .map(|s| s.name.to_string())
            .unwrap_or_default()
    );
    f.render_widget(
        Paragraph::new(body).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.warn)
                .title(Span::styled(title, app.theme.warn)),
        ),
        area,
    );
}
