//! The frame: the layout ([`super::layout`]) says where each pane goes,
//! and each pane draws itself from `&App` (one file each: outline,
//! graph_pane, lesson, data_panes, stages, history, vars, task_panel,
//! popups). Drawing changes nothing in the model.

use super::app::{App, Mode};
use super::layout::{self, Left, Screen};
use super::panes::{Focus, Tab, TABS};
use crate::engine::Status;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Tabs, Wrap};
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    f.render_widget(Block::default().style(app.theme.base), area);
    let s = app.screen_at((area.width, area.height));
    if s.too_small {
        let msg = Paragraph::new(format!(
            "Terminal too small: {}×{} (asldbg needs {}×{})",
            area.width,
            area.height,
            layout::MIN_W,
            layout::MIN_H
        ))
        .wrap(Wrap { trim: true })
        .style(app.theme.warn);
        f.render_widget(msg, area);
        return;
    }
    draw_status(f, app, s.status);
    if s.left.width > 0 {
        match s.left_shows {
            Left::Lesson => super::lesson::draw(f, app, s.left),
            Left::List => super::outline::draw(f, app, s.left),
            Left::Graph(_) => super::graph_pane::draw(f, app, s.left, app.graph_window(&s)),
        }
    }
    if let (Some(r), Some(p)) = (s.task, app.task_panel(s.tabs.width.max(1))) {
        super::task_panel::draw(f, &app.theme, r, &p);
    }
    draw_data(f, app, &s);
    // The status line; a message too long for it ends in … (M shows it whole).
    let (shown, cut) =
        super::json_view::fit_line(&app.message, s.message.width.saturating_sub(4) as usize);
    let mut status = Line::styled(shown.to_string(), app.theme.accent);
    if cut {
        status.spans.push(Span::styled("… M", app.theme.muted));
    }
    f.render_widget(Paragraph::new(status), s.message);
    draw_hints(f, app, s.hints);
    match &app.mode {
        Mode::Help(_) => super::popups::help(f, app, area),
        Mode::Breakpoints { selected } => super::popups::breakpoints(f, app, area, *selected),
        Mode::Edits { selected } => super::popups::edits(f, app, area, *selected),
        Mode::Edit(_) => super::popups::editor(f, app, area),
        Mode::View(v) => v.draw(f, &app.theme, area),
        Mode::Lab(lab) => super::lab::draw(f, app, lab, area),
        Mode::Exercise(open) => super::exercise::draw(f, app, open, area),
        Mode::ExerciseList { selected } => super::exercise::draw_list(f, app, *selected, area),
        Mode::Class { selected } => super::class::draw(f, app, *selected, area),
        Mode::Watch => super::class::draw_watch(f, app, area),
        Mode::WhatIf(ed) => super::whatif::draw(f, app, ed, area),
        Mode::Normal
        | Mode::Search(_)
        | Mode::HistoryFilter
        | Mode::GoTo(_)
        | Mode::CompareFile(_) => {}
    }
    super::glyphs::apply(app.glyphs, f.buffer_mut());
}

/// The data: the tabs, with the Input and Output beside them when the
/// layout found room.
fn draw_data(f: &mut Frame, app: &App, s: &Screen) {
    if s.tabs.width == 0 {
        return;
    }
    match s.io {
        Some((input, output)) => {
            draw_pane(f, app, input, Tab::Input);
            draw_pane(f, app, output, Tab::Output);
            let tab = if matches!(app.tab, Tab::Input | Tab::Output) {
                Tab::Inspector
            } else {
                app.tab
            };
            draw_tabbed(f, app, s.tabs, tab, tabs_shown(s));
        }
        None => draw_tabbed(f, app, s.tabs, app.tab, tabs_shown(s)),
    }
}

/// A tab drawn as a pane of its own, titled with its name.
fn draw_pane(f: &mut Frame, app: &App, area: Rect, tab: Tab) {
    let focused = app.focus == Focus::Data && app.tab == tab;
    let b = app.theme.pane_in(tab.title(), focused, area.width);
    let inner = b.inner(area);
    f.render_widget(b, area);
    draw_tab_content(f, app, inner, tab);
}

fn draw_tab_content(f: &mut Frame, app: &App, area: Rect, tab: Tab) {
    let scroll = app.scroll.get(&tab).copied().unwrap_or(0);
    match tab {
        Tab::Input => super::data_panes::input(f, app, area),
        Tab::Output => super::data_panes::output(f, app, area),
        Tab::Inspector => super::stages::draw(f, app, area),
        Tab::History => super::history::draw(f, app, area),
        Tab::Variables => super::vars::draw(f, app, area, scroll),
        Tab::State => super::data_panes::definition(f, app, area),
    }
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let ex = &app.session.moment();
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
        // The classroom: following the teacher, or the teacher's followers.
        Span::styled(
            match (&app.class.followers, app.class.following) {
                (_, true) => "  ▶ FOLLOWING THE TEACHER".to_string(),
                (Some(n), _) if app.class.hands > 0 => {
                    format!("  teacher · {n} following · ✋ {} (K)", app.class.hands)
                }
                (Some(n), _) => format!("  teacher · {n} following"),
                _ => String::new(),
            },
            app.theme.warn.add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!("  at {}", app.header_name()), app.theme.base),
        Span::styled(
            format!("  clock +{elapsed}s  steps {}  ", app.session.steps()),
            app.theme.muted,
        ),
        // The moment shown, when the debugger has gone back.
        Span::styled(
            app.session
                .behind()
                .map(|(at, of)| format!("⏪ event {at} of {of}  "))
                .unwrap_or_default(),
            app.theme.warn.add_modifier(Modifier::BOLD),
        ),
        Span::styled(app.title.clone(), app.theme.muted),
    ]);
    f.render_widget(
        Paragraph::new(fit_spans(line, area.width as usize, app)),
        area,
    );
}

/// The tabs the tabbed pane shows on `s`: all of them, or, with the Input
/// and Output beside it, the others.
pub(super) fn tabs_shown(s: &Screen) -> &'static [Tab] {
    if s.io.is_some() {
        &[Tab::Inspector, Tab::History, Tab::Variables, Tab::State]
    } else {
        &TABS
    }
}

/// The titles of `tabs` in a row `room` columns wide: full names where
/// they fit, else short ones, else number and letter.
fn tab_titles(tabs: &[Tab], room: usize) -> Vec<String> {
    let number = |t: &Tab| TABS.iter().position(|x| x == t).unwrap_or(0) + 1;
    let width = |name: fn(Tab) -> &'static str| -> usize {
        tabs.iter().map(|t| name(*t).chars().count() + 3).sum()
    };
    tabs.iter()
        .map(|t| {
            let n = number(t);
            if width(Tab::title) <= room {
                format!("{n} {}", t.title())
            } else if width(Tab::short) <= room {
                format!("{n} {}", t.short())
            } else {
                format!("{n}{}", &t.short()[..1])
            }
        })
        .collect()
}

/// The tab whose title is `x` columns into a row of `tabs` `room` wide
/// (titles one column apart, as drawn).
pub(super) fn tab_at(tabs: &[Tab], room: usize, x: usize) -> Option<Tab> {
    let mut at = 0;
    for (t, title) in tabs.iter().zip(tab_titles(tabs, room)) {
        let w = unicode_width::UnicodeWidthStr::width(title.as_str());
        if x >= at && x < at + w {
            return Some(*t);
        }
        at += w + 1;
    }
    None
}

fn draw_tabbed(f: &mut Frame, app: &App, area: Rect, tab: Tab, tabs: &[Tab]) {
    let focused = app.focus == Focus::Data;
    let b = app.theme.pane("", focused);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Min(1)])
        .split(inner);
    let titles: Vec<Line> = tab_titles(tabs, inner.width as usize)
        .into_iter()
        .map(Line::from)
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

fn draw_hints(f: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    let mut used = 0usize;
    let hints: Vec<(&str, &str)> = match &app.mode {
        Mode::Edit(ed) if ed.target.one_line() => {
            vec![("enter", "apply"), ("esc", "put aside"), ("←/→", "move")]
        }
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
        Mode::Help(Some((_, true))) => {
            vec![("type", "search"), ("enter", "keep"), ("esc", "clear")]
        }
        Mode::Help(_) => vec![
            ("↑/↓", "scroll"),
            ("/", "search"),
            ("any other key", "close"),
        ],
        Mode::Edits { .. } => vec![("↑/↓", "select"), ("d", "drop"), ("esc", "close")],
        Mode::HistoryFilter => vec![("type", "filter"), ("enter", "keep"), ("esc", "clear")],
        Mode::GoTo(_) => vec![("type", "event number"), ("enter", "go"), ("esc", "cancel")],
        Mode::CompareFile(_) => vec![
            ("type", "history file"),
            ("enter", "compare"),
            ("esc", "cancel"),
        ],
        Mode::View(_)
        | Mode::Lab(_)
        | Mode::WhatIf(_)
        | Mode::Exercise(_)
        | Mode::ExerciseList { .. }
        | Mode::Class { .. }
        | Mode::Watch => vec![],
        Mode::Search(_) => vec![
            ("type", "name"),
            ("↓/↑", "next/previous"),
            ("enter", "keep"),
            ("esc", "go back"),
        ],
        // What works where the keyboard is, from the command table.
        Mode::Normal => super::command::hints(&app.context()),
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

/// `line` cut to `width` columns, ending in a muted `…` where it was cut.
pub(super) fn fit_spans<'a>(line: Line<'a>, width: usize, app: &App) -> Line<'a> {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if line.width() <= width {
        return line;
    }
    // Room for the text and the `…`.
    let budget = width.saturating_sub(1);
    let mut out = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let w = span.content.width();
        if used + w <= budget {
            used += w;
            out.push(span);
            continue;
        }
        let mut cut = String::new();
        for c in span.content.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > budget {
                break;
            }
            used += cw;
            cut.push(c);
        }
        out.push(Span::styled(cut, span.style));
        break;
    }
    out.push(Span::styled("…", app.theme.muted));
    Line::from(out)
}

#[cfg(test)]
mod tests {
    use super::{tab_at, tab_titles, Tab, TABS};

    #[test]
    fn a_click_finds_the_tab_drawn_under_it() {
        // "1 Input 2 Output 3 Stages …" where the full names fit.
        let titles = tab_titles(&TABS, 100);
        assert_eq!(titles[0], "1 Input");
        assert_eq!(tab_at(&TABS, 100, 0), Some(Tab::Input));
        assert_eq!(tab_at(&TABS, 100, 6), Some(Tab::Input));
        assert_eq!(tab_at(&TABS, 100, 7), None);
        assert_eq!(tab_at(&TABS, 100, 8), Some(Tab::Output));
        let last: usize = titles.iter().map(|t| t.len() + 1).sum::<usize>() - 2;
        assert_eq!(tab_at(&TABS, 100, last), Some(Tab::State));
        assert_eq!(tab_at(&TABS, 100, last + 2), None);
        // Narrow: number and letter.
        assert_eq!(tab_titles(&TABS, 20)[1], "2O");
        assert_eq!(tab_at(&TABS, 20, 3), Some(Tab::Output));
    }
}
