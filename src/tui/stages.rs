//! The Stages tab: a state's data processing as a pipeline of blocks, one
//! per stage (the field, its expression, the value after it), each drawn as
//! the change from the stage before (`d` shows full values instead). Built
//! once per record and settings, then only the visible rows are wrapped and
//! drawn.

use super::app::App;
use super::json_view::wrap_line;
use super::stage_blocks::Pipeline;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

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
pub fn top(app: &App, p: &Pipeline, (w, h): (usize, usize), scroll: usize) -> usize {
    let header = p.headers.get(app.stage_selected(p)).copied().unwrap_or(0);
    let mut top = header
        .saturating_add(scroll)
        .min(p.lines.len().saturating_sub(1));
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
    let Some(p) = app.pipeline() else {
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
    // The heading (whose run this is: the state, its branch or iteration)
    // stays on the first row however far the pipeline is scrolled.
    if h == 0 {
        return;
    }
    rows.push(super::view::fit_spans(p.lines[0].clone(), w, app));
    let h = h - 1;
    let first = top(app, &p, (w, h), app.stage_scroll).max(1);
    // Paging further down than this shows nothing new.
    let header = p.headers.get(app.stage_selected(&p)).copied().unwrap_or(0);
    let last = top(app, &p, (w, h), usize::MAX);
    app.stage_scroll_max.set(Some(last.saturating_sub(header)));
    let selected = p.headers.get(app.stage_selected(&p)).copied();
    let h = h + 1;
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
