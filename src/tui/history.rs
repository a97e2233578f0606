//! The History tab: the events so far (with the user's edits where they
//! were made) and, for the event picked, its details with payloads shown as
//! JSON, wrapped (`Enter` opens it in the viewer).

use super::app::App;
use super::json_view::{color_line, fitted_line, owned, wrap_line};
use crate::asl::value::Val;
use crate::engine::history::Event;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// An event as the viewer and the details pane show it.
pub fn event_value(e: &Event) -> Val {
    e.to_readable()
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let h = app.session.moment().history();
    let sel = app.history_selected;
    let detail_h = if sel.is_some() {
        (area.height / 2).max(3)
    } else {
        0
    };
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(1), Constraint::Length(detail_h)])
        .split(area);
    let w = parts[0].width as usize;
    // The events the filter (`/`) keeps, by index.
    let shown = app.history_rows();
    let mut rows = parts[0].height as usize;
    let mut head: Option<Line> = None;
    if !app.history_filter.is_empty() || matches!(app.mode, super::app::Mode::HistoryFilter) {
        head = Some(Line::styled(
            format!(
                "/{}  {} of {} events (type or state name; esc in the filter clears it)",
                app.history_filter,
                shown.len(),
                h.len()
            ),
            app.theme.accent,
        ));
        rows = rows.saturating_sub(1);
    }
    let focus_pos = sel
        .and_then(|s| shown.iter().position(|i| *i == s))
        .unwrap_or(shown.len().saturating_sub(1));
    let focus = shown.get(focus_pos).copied().unwrap_or(0);
    let start = (focus_pos + 1).saturating_sub(rows);
    let visible = || shown.iter().skip(start).take(rows).map(|i| &h[*i]);
    let t0 = h.first().map(|e| e.timestamp_ms).unwrap_or(0);
    // The type column is as wide as the longest type on screen; a name that
    // does not fit goes on under it, whole.
    let pad = visible()
        .map(|e| e.event_type.as_str().len())
        .max()
        .unwrap_or(0);
    // Aligned while the names fit beside the widest type; else one space.
    let widest_name = visible()
        .map(|e| {
            e.state.as_deref().map_or(0, |n| n.chars().count())
                + crate::engine::history::path_label(&e.frame).len()
        })
        .max()
        .unwrap_or(0);
    let pad = if 6 + pad + widest_name + if w >= 64 { 6 } else { 0 } > w {
        0
    } else {
        pad
    };
    let mut lines: Vec<Line> = Vec::new();
    // Which event each line belongs to (a click picks it).
    let mut owners: Vec<Option<usize>> = Vec::new();
    // The first line of each event drawn, by event index.
    let mut line_of: Vec<(usize, usize)> = Vec::new();
    for (i, e) in shown.iter().skip(start).map(|i| (*i, &h[*i])) {
        if lines.len() >= rows && i > focus {
            break;
        }
        line_of.push((i, lines.len()));
        let name = e.state.as_deref().unwrap_or("");
        let frame = crate::engine::history::path_label(&e.frame);
        let style = if Some(i) == sel {
            app.theme.selection
        } else if e.event_type.as_str().contains("Failed")
            || e.event_type.as_str().contains("TimedOut")
        {
            app.theme.bad
        } else {
            app.theme.base
        };
        // The clock column only where there is room for it (the details
        // and the viewer always have the timestamp).
        let clock = if w >= 64 {
            format!("{:>5} ", format!("+{}s", (e.timestamp_ms - t0) / 1000))
        } else {
            String::new()
        };
        let text = format!("{:>4} {clock}{:<pad$} {name}{frame}", e.id, e.event_type);
        for r in wrap_line(Line::styled(text, style), w, 6.min(w / 2), rows) {
            lines.push(r);
            owners.push(Some(i));
        }
    }
    // User edits, at the point of the history where they were made (before
    // the event of that index), the later ones first.
    let mut marks: Vec<(usize, String)> = app
        .session
        .edits()
        .iter()
        .map(|ed| {
            let what = match ed {
                crate::debugger::Edit::ExecutionInput(_) => "the execution input".to_string(),
                crate::debugger::Edit::StateInput { .. } => "the next state's input".to_string(),
                crate::debugger::Edit::Variable { name, .. } => format!("${name}"),
                crate::debugger::Edit::TaskAnswer { .. } => "the task's answer".to_string(),
            };
            (ed.event(), format!("✎ user edit: {what}"))
        })
        .collect();
    marks.sort_by_key(|m| std::cmp::Reverse(m.0));
    // The last line of the focused event.
    let mut focus_line = match line_of.iter().position(|(i, _)| *i == focus) {
        Some(k) => line_of
            .get(k + 1)
            .map(|x| x.1)
            .unwrap_or(lines.len())
            .saturating_sub(1),
        None => 0,
    };
    for (at, what) in marks {
        let line = match line_of.iter().find(|(i, _)| *i == at) {
            Some((_, l)) => *l,
            None if app.history_filter.is_empty() && at == h.len() => lines.len(),
            None => continue,
        };
        lines.insert(line, Line::styled(format!("     {what}"), app.theme.warn));
        owners.insert(line, None);
        if line <= focus_line {
            focus_line += 1;
        }
    }
    // The selected (or last) event stays on screen when names wrap.
    let drop = (focus_line + 1).saturating_sub(rows);
    lines.drain(..drop.min(lines.len()));
    owners.drain(..drop.min(owners.len()));
    lines.truncate(rows);
    owners.truncate(rows);
    if let Some(head) = head {
        lines.insert(0, head);
        owners.insert(0, None);
    }
    *app.history_rows_drawn.borrow_mut() = owners
        .iter()
        .enumerate()
        .filter_map(|(row, i)| Some((parts[0].y + row as u16, (*i)?)))
        .collect();
    f.render_widget(Paragraph::new(lines), parts[0]);
    let Some(e) = sel.and_then(|i| h.get(i)) else {
        return;
    };
    let room = parts[1].height.saturating_sub(1) as usize;
    let pretty = event_value(e).to_pretty();
    let mut text: Vec<Line> = Vec::new();
    let mut more = false;
    for l in pretty.lines() {
        let indent = l.len() - l.trim_start().len();
        for r in wrap_line(
            owned(color_line(l, &app.theme, None)),
            w,
            indent + 2,
            room + 1,
        ) {
            if text.len() < room {
                text.push(r);
            } else {
                more = true;
            }
        }
        if more {
            break;
        }
    }
    if more {
        text.pop();
        text.push(fitted_line(
            "… enter shows the whole event",
            w,
            &app.theme,
            Some(app.theme.muted),
        ));
    }
    f.render_widget(
        Paragraph::new(text).block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(app.theme.border),
        ),
        parts[1],
    );
}
