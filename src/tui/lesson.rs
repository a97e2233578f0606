//! A sample's lesson beside the data (`L`): its Markdown rendered and
//! wrapped at words; it stays while stepping, ↑/↓ scroll it.

use super::app::App;
use super::panes::Focus;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let b = app
        .theme
        .pane("Lesson (↑/↓ scroll, L closes)", app.focus == Focus::States);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let text = app.lesson.clone().unwrap_or_default();
    let (w, h) = (inner.width as usize, inner.height as usize);
    let mut rows: Vec<Line> = super::exercise::header(app, w);
    for l in super::markdown::render(&text, &app.theme) {
        let indent = if l.spans.first().is_some_and(|s| s.content == "• ") {
            2
        } else {
            0
        };
        rows.extend(super::markdown::word_wrap(l, w, indent));
    }
    let top = app.lesson_scroll.min(rows.len().saturating_sub(1));
    let more = rows.len() > top + h;
    let mut shown: Vec<Line> = rows.into_iter().skip(top).take(h).collect();
    if more {
        if let Some(last) = shown.last_mut() {
            *last = Line::styled("… ↓ for more", app.theme.muted);
        }
    }
    f.render_widget(Paragraph::new(shown), inner);
}
