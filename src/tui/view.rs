//! Drawing: pure functions of the model. Small terminals get one data pane
//! with tabs; from 120×30 the input and output sit beside the other tabs.

use super::app::{App, Focus, GraphView, LeftPane, Mode, Tab, KEYMAP, TABS};
use crate::asl::value::Val;
use crate::engine::Status;
use crate::graph::text::fit as truncate;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Tabs, Wrap};
use ratatui::Frame;

pub const MIN_W: u16 = 40;
pub const MIN_H: u16 = 10;

fn outline_width(w: u16) -> u16 {
    if w >= 120 {
        34
    } else {
        (w * 2 / 5).clamp(16, 32)
    }
}

/// The left pane's width: the list's, or for the graph a wider pane (from
/// 120 columns, or while it has the keyboard on smaller terminals).
pub fn left_width(app: &App) -> u16 {
    let w = app.size.0;
    if app.maximized {
        // `f`: the focused pane takes the whole width.
        return if app.focus == Focus::States { w } else { 0 };
    }
    let list = outline_width(w);
    if app.lesson_open {
        // The lesson in place of the graph: a readable column, the data
        // keeps the rest.
        return (w * 2 / 5).clamp(list, 60);
    }
    // The graph pane is as wide as its drawing, up to a share of the
    // screen (a larger one while it has the keyboard); the rest is data.
    let share = match app.left {
        LeftPane::List => return list,
        LeftPane::Graph if w >= 120 => (w * 2 / 5).max(list),
        // With the keyboard, wider, but the data keeps 52 columns.
        LeftPane::Graph if app.focus == Focus::States => {
            (w * 7 / 10).min(w.saturating_sub(52)).max(list)
        }
        LeftPane::Graph => list,
    };
    let drawing = (app.graph().drawn.width as u16).saturating_add(2);
    drawing.clamp(16.min(share), share)
}

fn wide(area: Rect) -> bool {
    area.width >= 120 && area.height >= 30
}

fn block<'a>(app: &App, title: &'a str, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            app.theme.border_focus
        } else {
            app.theme.border
        })
        .title(Span::styled(
            title,
            if focused {
                app.theme.accent
            } else {
                app.theme.muted
            },
        ))
}

pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    f.render_widget(Block::default().style(app.theme.base), area);
    if area.width < MIN_W || area.height < MIN_H {
        let msg = Paragraph::new(format!(
            "Terminal too small: {}×{} (asldbg needs {MIN_W}×{MIN_H})",
            area.width, area.height
        ))
        .wrap(Wrap { trim: true })
        .style(app.theme.warn);
        f.render_widget(msg, area);
        return;
    }
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .split(area);
    draw_status(f, app, rows[0]);
    let body = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(left_width(app)), Constraint::Fill(1)])
        .split(rows[1]);
    if body[0].width > 0 && app.lesson_open {
        draw_lesson(f, app, body[0]);
    } else if body[0].width > 0 {
        match app.left {
            LeftPane::List => draw_outline(f, app, body[0]),
            LeftPane::Graph => draw_graph_pane(f, app, body[0]),
        }
    }
    // A task that waits shows its panel above the data tabs.
    let mut data = body[1];
    let shown = data.width > 0 && !(app.maximized && app.focus == Focus::States);
    if let Some(panel) = super::task_panel::panel(app, data.width).filter(|_| shown) {
        let rows = panel.2.min(data.height / 2 + 2);
        let split = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Length(rows), Constraint::Fill(1)])
            .split(data);
        super::task_panel::draw(f, app, split[0], panel);
        data = split[1];
    }
    let body = [body[0], data];
    if body[1].width == 0 || (app.maximized && app.focus == Focus::States) {
        // The left pane is maximised.
    } else if wide(area) && !app.maximized {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
            .split(body[1]);
        let io = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
            .split(cols[0]);
        draw_tab_body(f, app, io[0], Tab::Input, true);
        draw_tab_body(f, app, io[1], Tab::Output, true);
        let tab = if matches!(app.tab, Tab::Input | Tab::Output) {
            Tab::Inspector
        } else {
            app.tab
        };
        draw_tabbed(
            f,
            app,
            cols[1],
            tab,
            &[Tab::Inspector, Tab::History, Tab::Variables, Tab::State],
        );
    } else {
        let tab = app.tab;
        draw_tabbed(f, app, body[1], tab, &TABS);
    }
    // The status line; a message too long for it ends in … (M shows it whole).
    let (shown, cut) =
        super::json_view::fit_line(&app.message, rows[2].width.saturating_sub(4) as usize);
    let mut status = Line::styled(shown.to_string(), app.theme.accent);
    if cut {
        status.spans.push(Span::styled("… M", app.theme.muted));
    }
    f.render_widget(Paragraph::new(status), rows[2]);
    draw_hints(f, app, rows[3]);
    match &app.mode {
        Mode::Help => draw_help(f, app, area),
        Mode::Breakpoints { selected } => draw_breakpoints(f, app, area, *selected),
        Mode::Edits { selected } => draw_edits(f, app, area, *selected),
        Mode::Edit(_) => draw_editor(f, app, area),
        Mode::View(v) => v.draw(f, &app.theme, area),
        Mode::Normal | Mode::Search(_) | Mode::HistoryFilter => {}
    }
    super::glyphs::apply(app.glyphs, f.buffer_mut());
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let ex = &app.session.exec;
    let (label, style) = match ex.status() {
        Status::Running if app.session.is_running() => ("RUNNING", app.theme.warn),
        Status::Running if ex.waiting_for_task() => ("WAITING FOR TASK", app.theme.warn),
        Status::Running => ("PAUSED", app.theme.accent),
        Status::Succeeded => ("SUCCEEDED", app.theme.good),
        s => (s.as_str(), app.theme.bad),
    };
    let secs = (ex.now_ms()
        - crate::engine::Options::default()
            .start_time_ms
            .min(ex.now_ms()))
        / 1000;
    let elapsed = ex
        .history()
        .first()
        .map(|e| (ex.now_ms() - e.timestamp_ms) / 1000)
        .unwrap_or(secs);
    let line = Line::from(vec![
        Span::styled(
            " asldbg ",
            app.theme.accent.add_modifier(Modifier::REVERSED),
        ),
        Span::raw(" "),
        Span::styled(label, style.add_modifier(Modifier::BOLD)),
        Span::styled(format!("  at {}", app.header_name()), app.theme.base),
        Span::styled(
            format!("  clock +{elapsed}s  steps {}  ", app.session.steps),
            app.theme.muted,
        ),
        Span::styled(app.title.clone(), app.theme.muted),
    ]);
    f.render_widget(Paragraph::new(line), area);
}

fn draw_outline(f: &mut Frame, app: &mut App, area: Rect) {
    let focused = app.focus == Focus::States;
    let b = block(app, "States", focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let h = inner.height as usize;
    if app.selected < app.outline_scroll {
        app.outline_scroll = app.selected;
    } else if h > 0 && app.selected >= app.outline_scroll + h {
        app.outline_scroll = app.selected + 1 - h;
    }
    let current = app.current();
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
            } else if app.trace.failed.contains(&id) {
                Span::styled("✗", app.theme.bad)
            } else if app.trace.visited.contains(&id) {
                Span::styled("•", app.theme.good)
            } else {
                Span::raw(" ")
            };
            let visits = app.trace.visits.get(&id).copied().unwrap_or(0);
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

fn draw_tabbed(f: &mut Frame, app: &mut App, area: Rect, tab: Tab, tabs: &[Tab]) {
    let focused = app.focus == Focus::Data;
    let b = block(app, "", focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Min(1)])
        .split(inner);
    // Full tab names where they fit, else short ones, else number and letter.
    let number = |t: &Tab| TABS.iter().position(|x| x == t).unwrap_or(0) + 1;
    let width = |name: fn(Tab) -> &'static str| -> usize {
        tabs.iter().map(|t| name(*t).chars().count() + 3).sum()
    };
    let room = inner.width as usize;
    let titles: Vec<Line> = tabs
        .iter()
        .map(|t| {
            let n = number(t);
            Line::from(if width(Tab::title) <= room {
                format!("{n} {}", t.title())
            } else if width(Tab::short) <= room {
                format!("{n} {}", t.short())
            } else {
                format!("{n}{}", &t.short()[..1])
            })
        })
        .collect();
    let sel = tabs.iter().position(|t| *t == tab).unwrap_or(0);
    f.render_widget(
        Tabs::new(titles)
            .select(sel)
            .style(app.theme.muted)
            .highlight_style(app.theme.accent.add_modifier(Modifier::REVERSED))
            .padding("", "")
            .divider(" "),
        parts[0],
    );
    draw_tab_content(f, app, parts[1], tab);
}

fn draw_tab_body(f: &mut Frame, app: &mut App, area: Rect, tab: Tab, _framed: bool) {
    let focused = app.focus == Focus::Data && app.tab == tab;
    let b = block(app, tab.title(), focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    draw_tab_content(f, app, inner, tab);
}

/// Pretty JSON from line `scroll`, coloured, long lines wrapped (the rest
/// indented under their start) so that no value is cut, up to `h` rows of
/// `w` columns.
fn json_lines<'a>(
    app: &'a App,
    lines: &'a [String],
    (scroll, h, w): (usize, usize, usize),
    before: Option<&Val>,
    after: Option<&Val>,
) -> Vec<Line<'static>> {
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
        for r in super::json_view::wrap_line(line, w, indent + 2, h - out.len()) {
            if out.len() < h {
                out.push(r);
            }
        }
    }
    out
}

fn draw_tab_content(f: &mut Frame, app: &mut App, area: Rect, tab: Tab) {
    let h = area.height as usize;
    let scroll = app.scroll.get(&tab).copied().unwrap_or(0);
    match tab {
        Tab::Input => {
            let lines = match app.input_value() {
                Some(v) => app.pretty_input.lines(&v),
                None => std::rc::Rc::new(vec!["(no input)".to_string()]),
            };
            let w = area.width as usize;
            let text = json_lines(app, &lines, (scroll, h, w), None, None);
            f.render_widget(Paragraph::new(text), area);
        }
        Tab::Output => {
            let (out, before) = app.output_value();
            let lines = match &out {
                Some(v) => app.pretty_output.lines(v),
                None if app.teaching_hold().is_some() => std::rc::Rc::new(vec![
                    "(the output shows once its last stage is revealed: s)".to_string(),
                ]),
                None => std::rc::Rc::new(vec!["(no output yet: step a state)".to_string()]),
            };
            let w = area.width as usize;
            let text = json_lines(app, &lines, (scroll, h, w), before.as_ref(), out.as_ref());
            f.render_widget(Paragraph::new(text), area);
        }
        Tab::Inspector => super::stages::draw(f, app, area),
        Tab::History => super::history::draw(f, app, area),
        Tab::Variables => {
            let lines = variable_lines(app, area.width as usize);
            f.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), area);
        }
        Tab::State => {
            let def = app.session.definition().clone();
            let Some(r) = app.rows.get(app.selected) else {
                return;
            };
            let st = &def.machines[r.machine].states[r.state];
            let v = Val::from(&st.raw);
            let lines = app.pretty_other.lines(&v);
            let mut text = vec![Line::styled(
                format!("{}  ({})", st.name, st.pointer),
                app.theme.accent,
            )];
            text.extend(json_lines(
                app,
                &lines,
                (scroll, h.saturating_sub(1), area.width as usize),
                None,
                None,
            ));
            f.render_widget(Paragraph::new(text), area);
        }
    }
}

fn draw_graph_pane(f: &mut Frame, app: &mut App, area: Rect) {
    let focused = app.focus == Focus::States;
    let title = if app.graph_compact {
        "Graph (compact)"
    } else {
        "Graph"
    };
    let b = block(app, title, focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    draw_graph(f, app, inner);
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
fn draw_graph(f: &mut Frame, app: &App, area: Rect) {
    let g = app.graph();
    let (lines, boxes) = (&g.drawn.lines, &g.drawn.boxes);
    // The state about to run, or the one of the event selected in History
    // (with the branch/iteration path it ran in).
    let (at, path) = app.moment();
    let current = at.map(|c| app.shown(c));
    let selected = app.selected_id().map(|s| app.shown(s));
    let focus = if app.focus == Focus::States {
        selected
    } else {
        current.or(selected)
    };
    let (h, w) = (area.height as usize, area.width as usize);
    let fy = focus
        .and_then(|k| boxes.get(&k))
        .map(|b| b.1 + b.3 / 2)
        .unwrap_or(0);
    let graph_w = g.drawn.width;
    let top = fy.saturating_sub(h / 2).min(lines.len().saturating_sub(h));
    // Sideways only as far as needed to show the whole box (or its left part).
    let left = focus
        .and_then(|k| boxes.get(&k))
        .map(|b| {
            if b.0 + b.2 < w {
                0
            } else if b.2 + 2 > w {
                b.0.saturating_sub(1)
            } else {
                b.0 + b.2 + 1 - w
            }
        })
        .unwrap_or(0)
        .min(graph_w.saturating_sub(w));
    app.graph_view.set(GraphView {
        x: area.x,
        y: area.y,
        w: area.width,
        h: area.height,
        left,
        top,
    });
    // Owners of the visible cells: boxes by decreasing size (containers
    // before what they hold). A container owns only its border and title.
    let mut owner: Vec<Option<Owner>> = vec![None; w * h];
    let mut order: Vec<_> = boxes.iter().collect();
    order.sort_by_key(|(k, b)| (std::cmp::Reverse(b.2 * b.3), **k));
    for (k, b) in order {
        let container = g.drawn.containers.contains(k);
        for y in b.1.max(top)..(b.1 + b.3).min(top + h) {
            for x in b.0.max(left)..(b.0 + b.2).min(left + w) {
                let frame = x == b.0 || x == b.0 + b.2 - 1 || y == b.1 || y == b.1 + b.3 - 1;
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
        .and_then(|c| app.trace.arriving(c, &app.session.exec.frame_path()));
    let trail: std::collections::HashSet<(usize, usize)> = g
        .drawn
        .edges
        .iter()
        .filter(|e| {
            let t = (e.machine, e.from, e.to);
            app.trace.taken.contains(&t) || arriving == Some(t)
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
        } else if app.trace.failed.contains(&id) {
            app.theme.bad
        } else if app.trace.visited.contains(&id) {
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
    let mut marks = crate::graph::text::box_marks(&g.drawn, &app.trace);
    for (k, b) in boxes.iter() {
        if Some(*k) == current {
            marks.push((b.0 + 1, b.1 + 1, "▶".into()));
        }
        if breakpoints.contains(k) {
            marks.push((b.0 + 1, b.1, "●".into()));
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
                run.push(ch);
            }
            if !run.is_empty() {
                spans.push(Span::styled(run, run_style.unwrap_or_default()));
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(text), area);
}

fn variable_lines(app: &App, w: usize) -> Vec<Line<'static>> {
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
    if let Some(c) = app.session.exec.context_object() {
        for l in c.to_pretty().lines() {
            out.push(Line::styled(format!("  {l}"), app.theme.muted));
        }
    }
    out
}

fn draw_hints(f: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    let mut used = 0usize;
    let hints: Vec<(&str, &str)> = match &app.mode {
        Mode::Edit(_) => vec![
            ("ctrl-o/F2", "apply"),
            ("esc", "put aside"),
            ("arrows", "move"),
        ],
        Mode::Breakpoints { .. } => vec![
            ("space", "enable/disable"),
            ("c", "condition"),
            ("i", "iteration"),
            ("d", "delete"),
            ("esc", "close"),
        ],
        Mode::Help => vec![("any key", "close")],
        Mode::Edits { .. } => vec![("↑/↓", "select"), ("d", "drop"), ("esc", "close")],
        Mode::HistoryFilter => vec![("type", "filter"), ("enter", "keep"), ("esc", "clear")],
        Mode::View(_) => vec![],
        Mode::Search(_) => vec![
            ("type", "name"),
            ("↓/↑", "next/previous"),
            ("enter", "keep"),
            ("esc", "go back"),
        ],
        // Stepping first, then what the focused pane adds, then the rest.
        Mode::Normal => KEYMAP[..5]
            .iter()
            .chain(KEYMAP[5..].iter().filter(|b| b.pane == Some(app.focus)))
            .chain(KEYMAP[5..].iter().filter(|b| b.pane.is_none()))
            .filter(|b| !matches!(b.keys, "?" | "q"))
            .map(|b| (b.keys, b.short))
            .collect(),
    };
    // `? help  q quit` always stand at the end of the bar.
    let tail: &[(&str, &str)] = match &app.mode {
        Mode::Normal => &[("?", "help"), ("q", "quit")],
        _ => &[],
    };
    let len = |(k, h): &(&str, &str)| k.chars().count() + h.chars().count() + 3;
    let room = (area.width as usize).saturating_sub(tail.iter().map(len).sum());
    for (k, h) in hints.iter().chain(tail.iter()) {
        let n = len(&(k, h));
        if used + n > room && !tail.contains(&(k, h)) {
            continue;
        }
        spans.push(Span::styled(format!(" {k}"), app.theme.accent));
        spans.push(Span::styled(format!(" {h} "), app.theme.muted));
        used += n;
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The marks and glyphs, under the keys in the help.
const LEGEND: [&str; 5] = [
    " Legend: ▶ next state  • visited  ✗ failed  ↯ caught  ● breakpoint  ×N visits (list, graph)",
    " Glyphs: → Pass ⚙ Task ◇ Choice ◷ Wait ✓ Succeed ✗ Fail ‖ Parallel ≡ Map",
    " Graph:  ●▼ start  ◉ end  ↺ loop  ▼label rule/Default/catch  #i Map iteration running",
    "         [+N] collapsed (N states)  ×N visits  ↯ caught; taken edges green, current",
    "         state in the accent colour, breakpoints on the border",
];

fn draw_help(f: &mut Frame, app: &App, area: Rect) {
    let r = centered(area, 80, (KEYMAP.len() + LEGEND.len()) as u16 + 3);
    f.render_widget(Clear, r);
    let mut lines: Vec<Line> = KEYMAP
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<14}", b.keys), app.theme.accent),
                Span::styled(b.help, app.theme.base),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.extend(LEGEND.iter().map(|l| Line::styled(*l, app.theme.muted)));
    // Taller than the screen (80×24): ↑/↓ scroll, up to the last line.
    let inner = r.height.saturating_sub(2);
    let top = app
        .popup_scroll
        .min((lines.len() as u16).saturating_sub(inner));
    let title = if lines.len() as u16 > inner {
        "Keys (↑/↓ scroll, any other key closes)"
    } else {
        "Keys"
    };
    f.render_widget(
        Paragraph::new(lines)
            .scroll((top, 0))
            .block(block(app, title, true))
            .style(app.theme.base),
        r,
    );
}

fn draw_lesson(f: &mut Frame, app: &App, area: Rect) {
    let b = block(
        app,
        "Lesson (↑/↓ scroll, L closes)",
        app.focus == Focus::States,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    let text = app.lesson.clone().unwrap_or_default();
    let (w, h) = (inner.width as usize, inner.height as usize);
    let mut rows: Vec<Line> = Vec::new();
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

fn draw_breakpoints(f: &mut Frame, app: &App, area: Rect, selected: usize) {
    let r = centered(area, 60, 14);
    f.render_widget(Clear, r);
    let def = app.session.definition();
    let mut lines: Vec<Line> = app
        .session
        .breakpoints
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let what = match &b.at {
                crate::debugger::BreakAt::State(m, s) => {
                    def.machines[*m].states[*s].name.to_string()
                }
                crate::debugger::BreakAt::Iteration(m, s, n) => {
                    format!("{} (iteration {n})", def.machines[*m].states[*s].name)
                }
                crate::debugger::BreakAt::Error => "any error".into(),
            };
            let cond = b
                .condition
                .as_ref()
                .map(|c| format!(" if {}", c.source))
                .unwrap_or_default();
            let st = if i == selected {
                app.theme.selection
            } else {
                app.theme.base
            };
            Line::styled(
                format!(" [{}] {what}{cond}", if b.enabled { "x" } else { " " }),
                st,
            )
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            " No breakpoints: select a state and press b.",
            app.theme.muted,
        ));
    }
    lines.push(Line::styled(
        format!(
            " Break on errors: {}",
            if app.session.break_on_error {
                "on"
            } else {
                "off"
            }
        ),
        app.theme.muted,
    ));
    f.render_widget(
        Paragraph::new(lines)
            .block(block(app, "Breakpoints", true))
            .style(app.theme.base),
        r,
    );
}

fn draw_edits(f: &mut Frame, app: &App, area: Rect, selected: usize) {
    let r = centered(area, 76, 14);
    f.render_widget(Clear, r);
    let w = r.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = app
        .session
        .replayable()
        .into_iter()
        .enumerate()
        .map(|(k, (_, e))| {
            let text = format!(" {}", e.describe());
            let (shown, cut) = super::json_view::fit_line(&text, w);
            let mut l = Line::styled(
                shown.to_string(),
                if k == selected {
                    app.theme.selection
                } else {
                    app.theme.base
                },
            );
            if cut {
                l.spans.push(Span::styled("…", app.theme.muted));
            }
            l
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            " No edits: e edits a state's input, Vars e a variable, t/x answer a task.",
            app.theme.muted,
        ));
    }
    for m in &app.session.missed {
        lines.push(Line::styled(
            format!(" not replayed (its state was not reached): {m}"),
            app.theme.warn,
        ));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(block(app, "Edits a restart replays (d drops one)", true))
            .style(app.theme.base),
        r,
    );
}

fn draw_editor(f: &mut Frame, app: &App, area: Rect) {
    let Mode::Edit(ed) = &app.mode else { return };
    let r = centered(
        area,
        area.width.saturating_sub(4).max(36),
        area.height.saturating_sub(4).max(8),
    );
    f.render_widget(Clear, r);
    let title = ed.target.title();
    let b = block(app, &title, true);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(1), Constraint::Length(1)])
        .split(inner);
    f.render_widget(&ed.area, parts[0]);
    let status = match &ed.error {
        Some(e) => Line::styled(format!("✗ {e}"), app.theme.bad),
        None => Line::styled(
            "Ctrl-O or F2 applies, Esc puts the text aside",
            app.theme.muted,
        ),
    };
    f.render_widget(Paragraph::new(status).style(Style::default()), parts[1]);
}
