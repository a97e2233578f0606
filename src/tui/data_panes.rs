//! The JSON panes: the Input and Output of the moment shown, and the ASL of
//! the selected state. Long lines wrap under their start, so no value is
//! cut; top-level keys the state changed are marked in the Output.

use super::app::App;
use super::panes::Tab;
use crate::asl::value::Val;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::rc::Rc;

/// The Input pane: the input of the moment shown, from line `scroll`.
pub fn input(f: &mut Frame, app: &App, area: Rect) {
    let lines = match app.input_value() {
        Some(v) => app.pretty_input.lines(&v),
        None => Rc::new(vec!["(no input)".to_string()]),
    };
    let text = json_lines(app, Tab::Input, &lines, area, None, None);
    f.render_widget(Paragraph::new(text), area);
}

/// The Output pane: the output of the moment shown (keys the state changed
/// marked), or why there is none yet.
pub fn output(f: &mut Frame, app: &App, area: Rect) {
    let (out, before) = app.output_value();
    let lines = match &out {
        Some(v) => app.pretty_output.lines(v),
        None if app.teaching_hold().is_some() => Rc::new(vec![
            "(the output shows once its last stage is revealed: s)".to_string(),
        ]),
        None => Rc::new(vec!["(no output yet: step a state)".to_string()]),
    };
    let text = json_lines(
        app,
        Tab::Output,
        &lines,
        area,
        before.as_ref(),
        out.as_ref(),
    );
    f.render_widget(Paragraph::new(text), area);
}

/// The ASL tab: the selected state's definition and its JSON pointer.
pub fn definition(f: &mut Frame, app: &App, area: Rect) {
    let Some((st, v)) = app.selected_definition() else {
        return;
    };
    let lines = app.pretty_other.lines(&v);
    // The file as it is now cannot run: why, first and whole (wrapped).
    let mut text: Vec<Line> = Vec::new();
    if !app.definition_problems.is_empty() {
        let width = area.width.max(1) as usize;
        let head = format!(
            "The file does not load ({} problem{}); this is the definition still running:",
            app.definition_problems.len(),
            if app.definition_problems.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        for p in std::iter::once(&head).chain(&app.definition_problems) {
            let line = Line::styled(p.clone(), app.theme.bad);
            text.extend(super::markdown::word_wrap(line, width, 2));
        }
    }
    let head = Line::styled(format!("{}  ({})", st.name, st.pointer), app.theme.accent);
    text.extend(super::markdown::word_wrap(
        head,
        area.width.max(1) as usize,
        2,
    ));
    let below = Rect {
        height: area.height.saturating_sub(text.len() as u16),
        ..area
    };
    text.extend(json_lines(app, Tab::State, &lines, below, None, None));
    f.render_widget(Paragraph::new(text), area);
}

/// The first line shown when `lines` are scrolled as far as they go in a
/// pane of `w` × `h`: the last line at the bottom. Only the lines at the
/// end are measured (wrapped as drawn, or one row each when windowed).
fn last_top(lines: &[String], w: usize, h: usize, windowed: bool) -> usize {
    let mut rows = 0;
    for (i, l) in lines.iter().enumerate().rev() {
        rows += if windowed {
            1
        } else {
            use unicode_width::UnicodeWidthStr;
            let indent = l.len() - l.trim_start_matches(' ').len();
            if l.width() <= w {
                1
            } else {
                super::json_view::wrap_line(Line::raw(l.clone()), w, indent + 2, h + 1).len()
            }
        };
        if rows > h {
            return (i + 1).min(lines.len() - 1);
        }
    }
    0
}

/// The pane `tab`'s pretty JSON in `area`, from the line it is scrolled
/// to, coloured, long lines wrapped (the rest indented under their start)
/// so that no value is cut. Scrolled sideways (`>`), lines are not wrapped
/// but windowed, with `…` where they go on.
fn json_lines<'a>(
    app: &'a App,
    tab: Tab,
    lines: &'a [String],
    area: Rect,
    before: Option<&Val>,
    after: Option<&Val>,
) -> Vec<Line<'static>> {
    let (h, w) = (area.height as usize, area.width as usize);
    let left = app.sideways(tab);
    // The last line at the bottom is as far as the pane scrolls.
    let max = last_top(lines, w, h, left > 0);
    app.scroll_max.borrow_mut().insert(tab, max);
    let scroll = app.scroll.get(&tab).copied().unwrap_or(0).min(max);
    let mut out = Vec::with_capacity(h);
    for l in lines.iter().skip(scroll) {
        if out.len() >= h {
            break;
        }
        // A top-level key whose value changed between input and output.
        let mark = match (before, after) {
            (Some(Val::Obj(b)), Some(Val::Obj(a)))
                if l.starts_with("  \"") && !l.starts_with("   ") =>
            {
                let key = l[2..]
                    .split("\":")
                    .next()
                    .map(|k| k.trim_start_matches('"'))
                    .unwrap_or("");
                (b.get(key) != a.get(key)).then_some(app.theme.changed)
            }
            _ => None,
        };
        let indent = l.len() - l.trim_start_matches(' ').len();
        let line = super::json_view::owned(super::json_view::color_line(l, &app.theme, mark));
        if left > 0 {
            out.push(super::json_view::window_line(line, left, w, &app.theme));
            continue;
        }
        for r in super::json_view::wrap_line(line, w, indent + 2, h - out.len()) {
            if out.len() < h {
                out.push(r);
            }
        }
    }
    out
}
