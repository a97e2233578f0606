//! Drawing: pure functions of the model. Small terminals get one data pane
//! with tabs; from 120×30 the input and output sit beside the other tabs.

use super::app::{App, Focus, GraphView, LeftPane, Mode, Tab, KEYMAP, TABS};
use super::json_view::fitted_line;
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
    let list = outline_width(w);
    match app.left {
        LeftPane::List => list,
        LeftPane::Graph if w >= 120 => (w * 2 / 5).max(list),
        LeftPane::Graph if app.focus == Focus::States => (w * 7 / 10).max(list),
        LeftPane::Graph => list,
    }
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
        .constraints([Constraint::Length(left_width(app)), Constraint::Min(10)])
        .split(rows[1]);
    match app.left {
        LeftPane::List => draw_outline(f, app, body[0]),
        LeftPane::Graph => draw_graph_pane(f, app, body[0]),
    }
    if wide(area) {
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
    f.render_widget(
        Paragraph::new(app.message.as_str()).style(app.theme.accent),
        rows[2],
    );
    draw_hints(f, app, rows[3]);
    match &app.mode {
        Mode::Help => draw_help(f, app, area),
        Mode::Lesson => draw_lesson(f, app, area),
        Mode::Breakpoints { selected } => draw_breakpoints(f, app, area, *selected),
        Mode::Edit(_) => draw_editor(f, app, area),
        Mode::Normal | Mode::Search(_) => {}
    }
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
        Span::styled(format!("  at {}", app.current_name()), app.theme.base),
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
    let titles: Vec<Line> = tabs
        .iter()
        .map(|t| {
            let n = TABS.iter().position(|x| x == t).unwrap_or(0) + 1;
            Line::from(if area.width < 44 {
                format!("{n}{}", &t.short()[..1])
            } else if area.width < 100 {
                format!("{n} {}", t.short())
            } else {
                format!("{n} {}", t.title())
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

/// The value the Input pane shows: the selected history event's input, or
/// the input of the state about to run.
fn input_value(app: &App) -> Option<Val> {
    if let Some(e) = app
        .history_selected
        .and_then(|i| app.session.exec.history().get(i))
    {
        if let Some(crate::engine::history::Field::Payload(v)) = e.detail("input") {
            return Some(v.clone());
        }
    }
    app.session.exec.current_input().cloned().or_else(|| {
        app.session
            .exec
            .stages()
            .last()
            .and_then(|s| s.input.clone())
    })
}

/// The Output pane: the selected event's output, else the last state's output
/// (with the input it came from, to mark changed keys).
fn output_value(app: &App) -> (Option<Val>, Option<Val>) {
    if let Some(e) = app
        .history_selected
        .and_then(|i| app.session.exec.history().get(i))
    {
        if let Some(crate::engine::history::Field::Payload(v)) = e.detail("output") {
            return (Some(v.clone()), None);
        }
    }
    if let Some(o) = app.session.exec.output() {
        return (Some(o.clone()), None);
    }
    let last = app
        .session
        .exec
        .stages()
        .iter()
        .rev()
        .find(|s| s.output.is_some());
    (
        last.and_then(|s| s.output.clone()),
        last.and_then(|s| s.input.clone()),
    )
}

/// Lines `scroll..scroll + h` of pretty JSON, coloured, each cut to `w`
/// columns with a `…` where it was cut.
fn json_lines<'a>(
    app: &'a App,
    lines: &'a [String],
    (scroll, h, w): (usize, usize, usize),
    before: Option<&Val>,
    after: Option<&Val>,
) -> Vec<Line<'a>> {
    lines
        .iter()
        .skip(scroll)
        .take(h)
        .map(|l| {
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
            fitted_line(l, w, &app.theme, mark)
        })
        .collect()
}

fn draw_tab_content(f: &mut Frame, app: &mut App, area: Rect, tab: Tab) {
    let h = area.height as usize;
    let scroll = app.scroll.get(&tab).copied().unwrap_or(0);
    match tab {
        Tab::Input => {
            let lines = match input_value(app) {
                Some(v) => app.pretty_input.lines(&v),
                None => std::rc::Rc::new(vec!["(no input)".to_string()]),
            };
            let w = area.width as usize;
            let text = json_lines(app, &lines, (scroll, h, w), None, None);
            f.render_widget(Paragraph::new(text), area);
        }
        Tab::Output => {
            let (out, before) = output_value(app);
            let lines = match &out {
                Some(v) => app.pretty_output.lines(v),
                None => std::rc::Rc::new(vec!["(no output yet: step a state)".to_string()]),
            };
            let w = area.width as usize;
            let text = json_lines(app, &lines, (scroll, h, w), before.as_ref(), out.as_ref());
            f.render_widget(Paragraph::new(text), area);
        }
        Tab::Inspector => {
            let lines = inspector_lines(app, area.width as usize);
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .scroll((scroll as u16, 0)),
                area,
            );
        }
        Tab::History => draw_history(f, app, area),
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

fn value_line<'a>(
    app: &App,
    label: &'a str,
    expr: Option<String>,
    v: &Val,
    w: usize,
) -> Vec<Line<'a>> {
    let mut head = vec![Span::styled(format!("{label:<22}"), app.theme.key)];
    if let Some(e) = expr {
        head.push(Span::styled(e, app.theme.muted));
    }
    vec![
        Line::from(head),
        Line::from(Span::styled(
            format!("  {}", truncate(&v.to_compact(), w.saturating_sub(3))),
            app.theme.string,
        )),
    ]
}

fn inspector_lines(app: &App, w: usize) -> Vec<Line<'static>> {
    let def = app.session.definition();
    let stages = app.session.exec.stages();
    // The selected state's latest record, else the last state run.
    // The state of the selected history event, else the selected state; in
    // teaching mode always the last state run.
    let from_history = app
        .history_selected
        .and_then(|i| app.session.exec.history().get(i))
        .and_then(|e| e.state.as_deref());
    let selected = from_history.or(app.rows.get(app.selected).map(|r| r.name.as_str()));
    let stage = if app.teach {
        stages.last()
    } else {
        stages
            .iter()
            .rev()
            .find(|s| Some(s.state.as_str()) == selected)
            .or(stages.last())
    };
    let Some(stage) = stage else {
        return vec![Line::from(
            "Step a state to see each stage of its data processing (y explains them).",
        )];
    };
    let st = def
        .find(&stage.state)
        .map(|(m, s)| &def.machines[m].states[s]);
    let raw = |k: &str| {
        st.and_then(|s| s.raw.get(k))
            .map(|v| format!("{k} {}", crate::asl::json::to_compact(&Val::from(v))))
    };
    let jsonata = st.is_some_and(|s| s.is_jsonata());
    let mut out: Vec<Line<'static>> = Vec::new();
    let frame = match crate::engine::history::path_label(&stage.frame) {
        l if l.is_empty() => l,
        l => format!(" {l}"),
    };
    out.push(Line::styled(
        format!("{}{}  (its last run)", stage.state, frame),
        app.theme.accent,
    ));
    let why = super::explain::stages(st, stage);
    let assigned = stage.assigned.clone().map(Val::obj);
    let entries: Vec<(&'static str, Option<String>, &Option<Val>)> = vec![
        ("input", None, &stage.input),
        ("after InputPath", raw("InputPath"), &stage.after_input_path),
        (
            if jsonata {
                "after Arguments"
            } else {
                "after Parameters"
            },
            raw(if jsonata { "Arguments" } else { "Parameters" }),
            &stage.after_parameters,
        ),
        ("result", None, &stage.result),
        (
            "after ResultSelector",
            raw("ResultSelector"),
            &stage.after_result_selector,
        ),
        (
            "after ResultPath",
            raw("ResultPath"),
            &stage.after_result_path,
        ),
        (
            "output",
            raw(if jsonata { "Output" } else { "OutputPath" }),
            &stage.output,
        ),
        ("Assign", None, &assigned),
    ];
    let mut shown = 0;
    for (label, expr, v) in entries {
        let Some(v) = v else { continue };
        if shown >= app.revealed {
            out.push(Line::styled("… s reveals the next stage", app.theme.muted));
            return out;
        }
        shown += 1;
        out.extend(value_line(app, label, expr, v, w));
        if app.explain {
            if let Some((_, text)) = why.iter().find(|(k, _)| *k == label) {
                out.push(Line::styled(
                    format!("  ↳ {text}"),
                    app.theme.muted.add_modifier(Modifier::ITALIC),
                ));
            }
        }
    }
    if !stage.rules.is_empty() {
        out.push(Line::styled("Choice rules (in order)", app.theme.key));
        for r in &stage.rules {
            let (mark, st) = if r.matched {
                ("✓", app.theme.good)
            } else {
                ("✗", app.theme.muted)
            };
            out.push(Line::styled(
                format!(" {mark} #{} {} → {}", r.index + 1, r.rule, r.next),
                st,
            ));
        }
        if !stage.rules.iter().any(|r| r.matched) {
            if let Some(n) = &stage.next {
                out.push(Line::styled(
                    format!(" no rule matched: Default → {n}"),
                    app.theme.warn,
                ));
            }
        }
    }
    for r in &stage.retries {
        out.push(Line::styled(
            format!(
                "retry {} after {}: retrier #{} matched, back-off {:.3} s",
                r.attempt,
                r.error,
                r.retrier + 1,
                r.delay_ms as f64 / 1000.0
            ),
            app.theme.warn,
        ));
    }
    if let Some(c) = stage.caught_by {
        let n = stage.next.clone().unwrap_or_default();
        out.push(Line::styled(
            format!("caught by catcher #{} → {n}", c + 1),
            app.theme.warn,
        ));
    }
    if let Some(e) = &stage.error {
        out.push(Line::styled(
            format!("error: {}", e.name().unwrap_or("(no error name)")),
            app.theme.bad,
        ));
        out.push(Line::styled(
            format!("  {}", truncate(&e.cause, w.saturating_sub(3))),
            app.theme.bad,
        ));
    }
    if let Some(n) = &stage.next {
        out.push(Line::from(vec![
            Span::styled("next: ", app.theme.key),
            Span::styled(n.clone(), app.theme.base),
        ]));
    }
    if app.explain {
        for (k, text) in &why {
            if matches!(*k, "choice" | "retry" | "catch" | "error") {
                out.push(Line::styled(
                    format!("↳ {text}"),
                    app.theme.muted.add_modifier(Modifier::ITALIC),
                ));
            }
        }
    }
    out
}

fn variable_lines(app: &App, w: usize) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled("Variables", app.theme.accent)];
    let vars = app.session.exec.variables();
    if vars.is_empty() {
        out.push(Line::styled("  (none assigned yet)", app.theme.muted));
    }
    for (i, (k, v, depth)) in vars.iter().enumerate() {
        let mut st = app.theme.base;
        if i == app.var_selected && app.focus == Focus::Data {
            st = st.patch(app.theme.selection);
        }
        let scope = if *depth == 0 {
            String::new()
        } else {
            format!(" (scope {depth})")
        };
        out.push(Line::from(vec![
            Span::styled(format!("  ${k}{scope} = "), app.theme.key.patch(st)),
            Span::styled(
                truncate(&v.to_compact(), w.saturating_sub(k.len() + 8)),
                app.theme.string,
            ),
        ]));
    }
    out.push(Line::styled("Watches (w adds)", app.theme.accent));
    let input = app
        .session
        .exec
        .current_input()
        .cloned()
        .unwrap_or_default();
    for wexpr in &app.watches {
        let val = if super::app::is_path_watch(wexpr) {
            match crate::asl::template::compile_expr(wexpr) {
                Ok(t) => {
                    let ctx = || app.session.exec.context_object().unwrap_or_default();
                    let vars_fn = |n: &str| {
                        vars.iter()
                            .find(|(k, _, _)| k == n)
                            .map(|(_, v, _)| v.clone())
                    };
                    let scope = crate::asl::jsonpath::Scope {
                        data: &input,
                        context: &ctx,
                        vars: &vars_fn,
                    };
                    let mut rng = crate::engine::Rng::seeded(0);
                    match t.eval(&scope, &mut rng) {
                        Ok(v) => v.to_compact(),
                        Err(e) => format!("{e:?}"),
                    }
                }
                Err(e) => e,
            }
        } else {
            match crate::asl::jsonata::Expr::parse(wexpr) {
                Ok(e) => {
                    let states = Val::object([("input", input.clone())]);
                    let vars_fn = |n: &str| {
                        vars.iter()
                            .find(|(k, _, _)| k == n)
                            .map(|(_, v, _)| v.clone())
                    };
                    let env = crate::asl::jsonata::Env {
                        states,
                        vars: &vars_fn,
                        now_ms: app.session.exec.now_ms(),
                    };
                    let mut s = crate::asl::jsonata::Session::new(&env, &[&e], 0);
                    s.set_data(Some(&input));
                    match s.eval_expr(&e, "watch") {
                        Ok(Some(v)) => v.to_compact(),
                        Ok(None) => "(undefined)".into(),
                        Err(e) => e.describe(),
                    }
                }
                Err(e) => e,
            }
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {wexpr} = "), app.theme.key),
            Span::styled(
                truncate(&val, w.saturating_sub(wexpr.len() + 6)),
                app.theme.string,
            ),
        ]));
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

fn draw_history(f: &mut Frame, app: &App, area: Rect) {
    let h = app.session.exec.history();
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
    let rows = parts[0].height as usize;
    let focus = sel.unwrap_or(h.len().saturating_sub(1));
    let start = (focus + 1).saturating_sub(rows);
    let t0 = h.first().map(|e| e.timestamp_ms).unwrap_or(0);
    let lines: Vec<Line> = h
        .iter()
        .enumerate()
        .skip(start)
        .take(rows)
        .map(|(i, e)| {
            let name = e.state.as_deref().unwrap_or("");
            let frame = crate::engine::history::path_label(&e.frame);
            let style = if Some(i) == sel {
                app.theme.selection
            } else if e.event_type.contains("Failed") || e.event_type.contains("TimedOut") {
                app.theme.bad
            } else {
                app.theme.base
            };
            Line::styled(
                format!(
                    "{:>4} {:<26} {name}{frame} +{}s",
                    e.id,
                    e.event_type,
                    (e.timestamp_ms - t0) / 1000
                ),
                style,
            )
        })
        .collect();
    let mut lines = lines;
    // User edits, at the point of the history where they were made.
    for ed in &app.session.edits {
        let (at, what) = match ed {
            crate::debugger::Edit::StateInput { event, .. } => {
                (*event, "✎ user edit: the next state's input".to_string())
            }
            crate::debugger::Edit::Variable { event, name, .. } => {
                (*event, format!("✎ user edit: ${name}"))
            }
            crate::debugger::Edit::ExecutionInput(_) => {
                (0, "✎ user edit: the execution input".to_string())
            }
        };
        if at >= start && at <= start + lines.len() {
            lines.insert(
                (at - start).min(lines.len()),
                Line::styled(format!("     {what}"), app.theme.warn),
            );
        }
    }
    lines.truncate(rows);
    f.render_widget(Paragraph::new(lines), parts[0]);
    if let Some(e) = sel.and_then(|i| h.get(i)) {
        let pretty = serde_json::to_string_pretty(&e.to_json()).unwrap_or_default();
        let text: Vec<Line> = pretty
            .lines()
            .map(|l| fitted_line(l, parts[1].width as usize, &app.theme, None))
            .collect();
        f.render_widget(
            Paragraph::new(text).block(
                Block::default()
                    .borders(Borders::TOP)
                    .border_style(app.theme.border),
            ),
            parts[1],
        );
    }
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
        Mode::Help | Mode::Lesson => vec![("any key", "close")],
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
            .map(|b| (b.keys, b.short))
            .collect(),
    };
    for (k, h) in hints {
        let len = k.chars().count() + h.len() + 3;
        if used + len > area.width as usize {
            break;
        }
        spans.push(Span::styled(format!(" {k}"), app.theme.accent));
        spans.push(Span::styled(format!(" {h} "), app.theme.muted));
        used += len;
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
    let r = centered(
        area,
        area.width.saturating_sub(4).max(36),
        area.height.saturating_sub(2).max(8),
    );
    f.render_widget(Clear, r);
    let text = app.lesson.clone().unwrap_or_default();
    let lines: Vec<Line> = text
        .lines()
        .map(|l| {
            if let Some(h) = l.strip_prefix("# ") {
                Line::styled(h.to_string(), app.theme.accent)
            } else if l.starts_with("Watch for") {
                Line::styled(l.to_string(), app.theme.key)
            } else {
                Line::styled(l.to_string(), app.theme.base)
            }
        })
        .collect();
    let n = lines.len() as u16;
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.popup_scroll.min(n.saturating_sub(1)), 0))
            .block(block(app, "Lesson (↑/↓ scroll)", true)),
        r,
    );
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
