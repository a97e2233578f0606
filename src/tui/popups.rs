//! What opens over the screen: the `?` help (from the command table), the
//! breakpoint list, the edits a restart replays, and the editor.

use super::app::{App, Mode};
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// A `w`×`h` rectangle in the middle of `area` (at most `area`).
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
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
    " Editors (e, t, x and the ASL tab): ctrl-o or F2 applies (enter in the one-line prompts: w, a breakpoint's condition or iteration), esc puts the text aside; ctrl-u undo, ctrl-r redo, ctrl-a/ctrl-e line start/end, alt-f/alt-b word, ctrl-k cut to the end, ctrl-w cut a word, ctrl-y paste what was cut, alt-</alt-> first/last line, ctrl-v/alt-v page",
    "",
    " Legend: ▶ next state  • visited  ✗ failed  ↯ caught  ● breakpoint  ×N visits (list, graph)",
    " Glyphs: ⇢ Pass  ⚙ Task  ◇ Choice  ◷ Wait  ✓ Succeed  ⊗ Fail  ‖ Parallel  ≡ Map",
    " Graph:  ◆▼ start  ◉ end  ↺ loop  ▼label rule/Default/catch  #i Map iteration running  [+N] collapsed (N states)  ×N visits  ↯ caught  ←N N→ ↑N ↓N states not shown whole on that side (on the bottom border); taken edges green, the current state in the accent colour, breakpoints on the border",
];

pub fn help(f: &mut Frame, app: &App, area: Rect) {
    // Keys in a column as wide as the widest label; help text wraps
    // under its own column, so the popup fits 80 columns.
    let r = centered(area, 80, area.height);
    let col = super::command::help()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let w = r.width.saturating_sub(2) as usize;
    let filter = match &app.mode {
        super::app::Mode::Help(Some((t, _))) => Some(t.as_str()),
        _ => None,
    };
    // `/` keeps the keys whose names or help hold the text (any case).
    let wanted = filter.map(str::to_lowercase).unwrap_or_default();
    let mut lines: Vec<Line> = Vec::new();
    let mut found = 0;
    for (keys, help) in super::command::help() {
        if !wanted.is_empty()
            && !keys.to_lowercase().contains(&wanted)
            && !help.to_lowercase().contains(&wanted)
        {
            continue;
        }
        found += 1;
        let line = Line::from(vec![
            Span::styled(format!(" {keys:<0$}", col - 1), app.theme.accent),
            Span::styled(help, app.theme.base),
        ]);
        lines.extend(super::markdown::word_wrap(line, w, col));
    }
    if wanted.is_empty() {
        lines.push(Line::from(""));
        for l in LEGEND {
            let line = Line::styled(l, app.theme.muted);
            lines.extend(super::markdown::word_wrap(line, w, 9));
        }
    } else if found == 0 {
        lines.push(Line::styled(" No key matches.", app.theme.muted));
    }
    let r = centered(area, 80, lines.len() as u16 + 2);
    f.render_widget(Clear, r);
    // Taller than the screen (80×24): ↑/↓ scroll, up to the last line.
    let inner = r.height.saturating_sub(2);
    let top = app
        .popup_scroll
        .min((lines.len() as u16).saturating_sub(inner));
    let title = match filter {
        Some(t) => format!("Keys matching \"{t}\": {found} (esc clears)"),
        None if lines.len() as u16 > inner => {
            "Keys (↑/↓ scroll, / searches, any other key closes)".to_string()
        }
        None => "Keys (/ searches)".to_string(),
    };
    f.render_widget(
        Paragraph::new(lines)
            .scroll((top, 0))
            .block(app.theme.pane_in(&title, true, r.width))
            .style(app.theme.base),
        r,
    );
}

/// Where the Breakpoints popup stands on a screen of `area`.
pub(super) fn breakpoints_area(area: Rect) -> Rect {
    centered(area, 60, 14)
}

/// Where the Edits popup stands on a screen of `area`.
pub(super) fn edits_area(area: Rect) -> Rect {
    centered(area, 76, 14)
}

pub fn breakpoints(f: &mut Frame, app: &App, area: Rect, selected: usize) {
    let r = breakpoints_area(area);
    f.render_widget(Clear, r);
    let def = app.session.definition();
    let mut lines: Vec<Line> = app
        .session
        .breakpoints()
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
            if app.session.break_on_error() {
                "on"
            } else {
                "off"
            }
        ),
        app.theme.muted,
    ));
    f.render_widget(
        Paragraph::new(lines)
            .block(app.theme.pane("Breakpoints", true))
            .style(app.theme.base),
        r,
    );
}

pub fn edits(f: &mut Frame, app: &App, area: Rect, selected: usize) {
    let r = edits_area(area);
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
    for m in app.session.missed() {
        lines.push(Line::styled(
            format!(" not replayed (its state was not reached): {m}"),
            app.theme.warn,
        ));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(
                app.theme
                    .pane("Edits a restart replays (d drops one)", true),
            )
            .style(app.theme.base),
        r,
    );
}

pub fn editor(f: &mut Frame, app: &App, area: Rect) {
    let Mode::Edit(ed) = &app.mode else { return };
    let r = centered(
        area,
        area.width.saturating_sub(4).max(36),
        area.height.saturating_sub(4).max(8),
    );
    f.render_widget(Clear, r);
    // A title longer than the border ends in … (never cut silently).
    let full = match (&ed.target, &app.definition_file) {
        (super::app::EditTarget::Definition(at), Some(f)) if f.copy.is_some() => {
            format!("{at} → {} (rest kept)", f.path)
        }
        _ => ed.target.title(),
    };
    let (shown, cut) = super::json_view::fit_line(&full, r.width.saturating_sub(4) as usize);
    let title = if cut {
        format!("{shown}…")
    } else {
        full.clone()
    };
    let b = app.theme.pane_in(&title, true, r.width);
    let inner = b.inner(r);
    f.render_widget(b, r);
    // The error whole, wrapped, in up to half the editor's height.
    let status: Vec<Line> = match &ed.error {
        Some(e) => {
            let mut rows = super::markdown::word_wrap(
                Line::styled(format!("✗ {e}"), app.theme.bad),
                inner.width.max(1) as usize,
                2,
            );
            let room = (inner.height / 2).max(1) as usize;
            if rows.len() > room {
                rows.truncate(room);
                rows[room - 1] = Line::styled("  … (the rest: fix these first)", app.theme.bad);
            }
            rows
        }
        None if ed.target.one_line() => vec![Line::styled(
            "Enter applies, Esc puts the text aside",
            app.theme.muted,
        )],
        None => vec![Line::styled(
            "Ctrl-O or F2 applies, Esc puts the text aside; ? (outside) lists keys",
            app.theme.muted,
        )],
    };
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(1), Constraint::Length(status.len() as u16)])
        .split(inner);
    f.render_widget(&ed.area, parts[0]);
    app.editor_area_drawn.set(Some(parts[0]));
    f.render_widget(Paragraph::new(status).style(Style::default()), parts[1]);
}
