//! The left pane's state graph: the drawing laid out once per definition
//! and settings, with the run painted over it (current, visited, failed,
//! caught and breakpointed states, visit counts, the Map iteration running,
//! the edges taken). Which part of the drawing shows is the layout's
//! ([`super::layout::graph_window`]), so a click finds the box drawn there.

use super::app::App;
use super::layout::GraphWindow;
use super::panes::Focus;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App, area: Rect, window: GraphWindow) {
    let focused = app.focus == Focus::States;
    let title = match (app.graph_compact, app.show_coverage) {
        (true, true) => "Graph (compact, test coverage)",
        (true, false) => "Graph (compact)",
        (false, true) => "Graph (test coverage)",
        (false, false) => "Graph",
    };
    let mut b = app.theme.pane_in(title, focused, area.width);
    let inner = b.inner(area);
    // What the window leaves out, on the bottom border (the title has the
    // top one): ←N and N→ at its ends, ↑N ↓N in its middle.
    let [l, r, u, d] = super::layout::off_screen(
        &app.graph().drawn,
        window,
        (inner.width as usize, inner.height as usize),
    );
    let style = app.theme.accent;
    let mark = |s: String| Line::styled(s, style);
    // In ASCII the arrows would become `<` `>` `^` `v`, which are the next
    // state's and an edge label's signs: words instead.
    let words = app.glyphs == super::glyphs::Glyphs::Ascii;
    let side = |n: usize, arrow: &str, word: &str| match (words, arrow) {
        (true, _) => format!("{n} {word}"),
        (false, "→") => format!("{n}→"),
        (false, _) => format!("{arrow}{n}"),
    };
    if l > 0 {
        b = b.title_bottom(mark(side(l, "←", "left")).left_aligned());
    }
    let vertical = match (u, d) {
        (0, 0) => String::new(),
        (0, d) => side(d, "↓", "down"),
        (u, 0) => side(u, "↑", "up"),
        (u, d) => format!("{} {}", side(u, "↑", "up"), side(d, "↓", "down")),
    };
    if !vertical.is_empty() {
        b = b.title_bottom(mark(vertical).centered());
    }
    if r > 0 {
        b = b.title_bottom(mark(side(r, "→", "right")).right_aligned());
    }
    f.render_widget(b, area);
    draw_graph(f, app, inner, window);
}

/// Who owns a cell of the graph: a state's box (and whether the cell is its
/// border or title), painted outer boxes first so nested states win.
#[derive(Clone, Copy)]
struct Owner {
    id: (usize, usize),
    frame: bool,
}

/// The state graph, scrolled to follow the selection (while the pane has
/// the keyboard) or the current state, with the execution drawn on it:
/// current, visited, failed, caught and breakpointed states, visit counts,
/// the Map iteration being run, and the edges taken so far.
fn draw_graph(f: &mut Frame, app: &App, area: Rect, GraphWindow { left, top }: GraphWindow) {
    let g = app.graph();
    let (lines, boxes) = (&g.drawn.lines, &g.drawn.boxes);
    // The state about to run, or the one of the event selected in History
    // (with the branch/iteration path it ran in).
    let (at, path) = app.moment();
    let current = at.map(|c| app.shown(c));
    // The run's marks, or what the test suites covered.
    let shown = app.shown_marks();
    let selected = app.selected_id().map(|s| app.shown(s));
    let (h, w) = (area.height as usize, area.width as usize);
    // Owners of the visible cells: boxes by decreasing size (containers
    // before what they hold). A container owns only its border and title.
    let mut owner: Vec<Option<Owner>> = vec![None; w * h];
    let mut order: Vec<_> = boxes.iter().collect();
    order.sort_by_key(|(k, b)| (std::cmp::Reverse(b.2 * b.3), **k));
    for (k, b) in order {
        let container = g.drawn.containers.contains(k);
        for y in b.1.max(top)..(b.1 + b.3).min(top + h) {
            for x in b.0.max(left)..(b.0 + b.2).min(left + w) {
                // A compact box (one row) has only its brackets for a frame.
                let frame =
                    x == b.0 || x == b.0 + b.2 - 1 || (b.3 > 1 && (y == b.1 || y == b.1 + b.3 - 1));
                let cell = &mut owner[(y - top) * w + (x - left)];
                if frame || !container || y == b.1 + 1 {
                    *cell = Some(Owner { id: *k, frame });
                } else {
                    *cell = None;
                }
            }
        }
    }
    // Taken edges (and the one into the state about to run): coloured, and
    // drawn heavy so they read without colour.
    let arriving = app
        .current()
        .filter(|_| !app.show_coverage)
        .and_then(|c| app.trace.arriving(c, &app.session.moment().frame_path()));
    let trail: std::collections::HashSet<(usize, usize)> = g
        .drawn
        .edges
        .iter()
        .filter(|e| {
            let t = (e.machine, e.from, e.to);
            shown.taken.contains(&t) || arriving == Some(t)
        })
        .flat_map(|e| e.cells.iter().copied())
        .collect();
    let mut trodden = vec![false; w * h];
    for &(x, y) in &trail {
        if x >= left && x < left + w && y >= top && y < top + h {
            trodden[(y - top) * w + (x - left)] = true;
        }
    }
    // The visible lines and one more above and below, as characters.
    let near: Vec<Vec<char>> = (top.saturating_sub(1)..(top + h + 1).min(lines.len()))
        .map(|y| lines[y].chars().collect())
        .collect();
    let first = top.saturating_sub(1);
    let light = |x: usize, y: usize| {
        y.checked_sub(first)
            .and_then(|r| near.get(r))
            .and_then(|row| row.get(x))
            .copied()
    };
    // Breakpoints, on the box that shows them (a collapsed container shows
    // those of the states inside it).
    let breakpoints: std::collections::HashSet<(usize, usize)> = app
        .rows
        .iter()
        .filter(|r| app.session.has_breakpoint(r.machine, r.state))
        .map(|r| app.shown((r.machine, r.state)))
        .collect();
    let style_of = |o: Option<Owner>, trod: bool| -> Style {
        let Some(o) = o else {
            return if trod {
                app.theme.good
            } else {
                app.theme.muted
            };
        };
        let id = o.id;
        let mut st = if Some(id) == current {
            app.theme.accent
        } else if shown.failed.contains(&id) {
            app.theme.bad
        } else if shown.visited.contains(&id) {
            app.theme.good
        } else {
            app.theme.base
        };
        if o.frame && breakpoints.contains(&id) {
            st = app.theme.breakpoint;
        }
        if Some(id) == selected && !o.frame {
            st = st.patch(app.theme.selection);
        }
        st
    };
    // Marks written over the drawing: the run's (×N visits, ↯ caught, • / ✗
    // in the box), ▶ the current state, ● breakpoints, #i the Map iteration
    // the current state runs in.
    let mut marks = crate::graph::text::box_marks(&g.drawn, shown);
    for (k, b) in boxes.iter() {
        if Some(*k) == current {
            marks.push((b.0 + 1, crate::graph::text::title_row(*b), "▶".into()));
        }
        if breakpoints.contains(k) {
            // On the top border; a compact box's opening bracket.
            let x = if b.3 == 1 { b.0 } else { b.0 + 1 };
            marks.push((x, b.1, "●".into()));
        }
    }
    if let Some(cur) = at {
        let mut chain = Vec::new();
        let mut at = cur;
        while let Some(p) = app.parents.get(&at.0) {
            chain.push(*p);
            at = *p;
        }
        chain.reverse();
        let def = app.session.definition();
        for (c, i) in chain.iter().zip(path.iter()) {
            let is_map = matches!(
                def.machines[c.0].states[c.1].kind,
                crate::asl::model::Kind::Map(_)
            );
            if let (true, Some(b)) = (is_map, boxes.get(c)) {
                let label = format!("#{i}");
                if b.2 >= label.len() + 6 {
                    marks.push((b.0 + 2, b.1, label));
                }
            }
        }
    }
    let text: Vec<Line> = lines
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(y, l)| {
            let mut full: Vec<char> = l.chars().collect();
            for x in left..(left + w).min(full.len()) {
                if trodden[(y - top) * w + (x - left)] {
                    full[x] =
                        crate::graph::text::path_glyph(light, |x, y| trail.contains(&(x, y)), x, y);
                }
            }
            for (mx, _, label) in marks.iter().filter(|m| m.1 == y) {
                for (i, ch) in label.chars().enumerate() {
                    if let Some(slot) = full.get_mut(mx + i) {
                        *slot = ch;
                    }
                }
            }
            let row = (y - top) * w;
            let mut spans: Vec<Span> = Vec::new();
            let mut run = String::new();
            let mut run_style = None;
            for (i, ch) in full.into_iter().skip(left).take(w).enumerate() {
                let st = style_of(owner[row + i], trodden[row + i]);
                if Some(st) != run_style && !run.is_empty() {
                    spans.push(Span::styled(
                        std::mem::take(&mut run),
                        run_style.unwrap_or_default(),
                    ));
                }
                run_style = Some(st);
                // The second column of a wide character is already taken
                // by it (at the left edge, its first column is off-pane).
                match ch {
                    crate::graph::text::WIDE_REST if i == 0 => run.push(' '),
                    crate::graph::text::WIDE_REST => {}
                    ch => run.push(ch),
                }
            }
            if !run.is_empty() {
                spans.push(Span::styled(run, run_style.unwrap_or_default()));
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(text), area);
}
