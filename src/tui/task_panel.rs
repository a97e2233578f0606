//! The panel of a Task that waits for an answer: what it is, what it would
//! send, why nothing answered it, and the ways to answer — shown above the
//! data tabs, so the rest of the screen stays in view.

use super::json_view::{color_line, owned, wrap_line};
use super::theme::Theme;
use crate::asl::model::Kind;
use crate::debugger::Moment;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// The panel's lines for the waiting task, `w` columns wide (None: no task
/// waits); `why` says why nothing answered it.
fn lines(ex: &Moment, t: &Theme, why: &str, w: usize) -> Option<Vec<Line<'static>>> {
    if !ex.waiting_for_task() {
        return None;
    }
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
    field("why", why.to_string(), &mut out);
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
fn keys(t: &Theme) -> Line<'static> {
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

/// The panel of a waiting task at one width: its lines (the keys last).
pub struct Panel {
    lines: Vec<Line<'static>>,
    /// How many of the lines are the keys.
    keys: usize,
    /// The rows it wants, borders included.
    pub rows: u16,
    title: String,
}

/// The panel for a pane `w` wide (None: no task waits).
pub fn panel(ex: &Moment, t: &Theme, why: &str, w: u16) -> Option<Panel> {
    let inner = w.saturating_sub(2) as usize;
    let mut lines = lines(ex, t, why, inner)?;
    let keys = super::markdown::word_wrap(keys(t), inner, 1);
    let rows = (lines.len() + keys.len()) as u16 + 2;
    let n_keys = keys.len();
    lines.extend(keys);
    let title = format!(
        "Task {} waits for an answer",
        ex.current_state()
            .map(|s| s.name.to_string())
            .unwrap_or_default()
    );
    Some(Panel {
        lines,
        keys: n_keys,
        rows,
        title,
    })
}

/// Draw `panel` in `area`; what does not fit is cut with a note that `V`
/// shows the task input whole.
pub fn draw(f: &mut Frame, t: &Theme, area: Rect, panel: &Panel) {
    let mut body = panel.lines[..panel.lines.len() - panel.keys].to_vec();
    let keys = &panel.lines[panel.lines.len() - panel.keys..];
    let room = (area.height as usize).saturating_sub(2 + keys.len());
    if body.len() > room {
        body.truncate(room.saturating_sub(1));
        body.push(Line::styled("  … V shows the whole task input", t.muted));
    }
    body.extend(keys.iter().cloned());
    f.render_widget(
        Paragraph::new(body).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.warn)
                .title(Span::styled(panel.title.clone(), t.warn)),
        ),
        area,
    );
}
