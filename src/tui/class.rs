//! The teacher's view of the class (`K`, teachers only): one row per
//! student, who needs help first; `Enter` watches a student's screen live
//! (read-only), `p` pushes the teacher's lesson and moment to everyone once.
//! The rows and the watched screen are put here by the class server; this
//! draws them and takes the keys.

use super::app::{App, Mode};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use std::time::{Duration, Instant};

/// One student's session, as the teacher sees it.
#[derive(Clone, Debug)]
pub struct ClassRow {
    /// The session's number (what `Enter` watches).
    pub id: usize,
    /// The key's comment, or the login.
    pub who: String,
    pub lesson: String,
    pub passed: usize,
    pub total: usize,
    /// The exercise at hand (its number and title).
    pub exercise: String,
    /// The state the run is at.
    pub state: String,
    pub last_key: Instant,
    pub hand: bool,
    /// Missed the exercise at hand three times or more.
    pub stuck: bool,
}

impl ClassRow {
    fn needs_help(&self) -> bool {
        self.hand || self.stuck
    }
}

/// Who needs help first: a raised hand, then stuck, then the fewest
/// exercises passed, then the longest without a key.
pub fn sort(rows: &mut [ClassRow]) {
    rows.sort_by(|a, b| {
        b.hand
            .cmp(&a.hand)
            .then(b.stuck.cmp(&a.stuck))
            .then(a.passed.cmp(&b.passed))
            .then(a.last_key.cmp(&b.last_key))
            .then(a.id.cmp(&b.id))
    });
}

fn ago(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        _ => format!("{}h", s / 3600),
    }
}

/// A cell's text cut to `w` columns, with `…` when cut.
fn cell(text: &str, w: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let (fit, cut) = super::json_view::fit_line(text, w);
    if cut {
        format!("{fit}…")
    } else {
        format!("{fit}{}", " ".repeat(w.saturating_sub(fit.width())))
    }
}

impl App {
    /// `K`: the class view (the teacher's session only).
    pub(super) fn open_class(&mut self) {
        if self.class.followers.is_none() {
            self.message = "The class view is the teacher's (asldbg serve --teacher KEY).".into();
            return;
        }
        self.mode = Mode::Class { selected: 0 };
        self.message = "The class: enter watches a student, p pushes your moment to all.".into();
    }

    pub(super) fn class_key(&mut self, k: KeyEvent) {
        let n = self.class.rows.len();
        match &mut self.mode {
            Mode::Class { selected } => match k.code {
                KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => {
                    *selected = (*selected + 1).min(n.saturating_sub(1))
                }
                KeyCode::Enter => {
                    if let Some(r) = self.class.rows.get(*selected) {
                        self.class.watching = Some(r.id);
                        self.class.screen = None;
                        self.mode = Mode::Watch;
                    }
                }
                KeyCode::Char('p') => {
                    self.class.push = true;
                    self.message = "Your lesson and moment go to every student (once; they do \
                                    not follow)."
                        .into();
                }
                _ => self.mode = Mode::Normal,
            },
            Mode::Watch => {
                // Read-only: any key goes back to the class.
                let selected = self
                    .class
                    .rows
                    .iter()
                    .position(|r| Some(r.id) == self.class.watching)
                    .unwrap_or(0);
                self.class.watching = None;
                self.class.screen = None;
                self.mode = if k.code == KeyCode::Char('q') {
                    Mode::Normal
                } else {
                    Mode::Class { selected }
                };
            }
            _ => {}
        }
    }
}

pub fn draw(f: &mut Frame, app: &App, selected: usize, area: Rect) {
    let rows = &app.class.rows;
    // The status line below stays in sight (what a push did).
    let area = Rect {
        height: area.height.saturating_sub(2).max(3),
        ..area
    };
    f.render_widget(Clear, area);
    let title = format!(
        "Class: {} student{} (↑/↓, enter watches, p pushes your moment, esc)",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    let b = app.theme.pane_in(&title, true, area.width);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = inner.width as usize;
    // who, lesson, passed, exercise, state, idle, flag.
    let fixed = 2 + 6 + 5 + 2;
    let rest = w.saturating_sub(fixed + 6);
    let who_w = (rest * 22 / 100).max(6);
    let lesson_w = (rest * 18 / 100).max(6);
    let ex_w = (rest * 32 / 100).max(6);
    let state_w = rest.saturating_sub(who_w + lesson_w + ex_w).max(4);
    let now = Instant::now();
    let mut lines: Vec<Line> = vec![Line::styled(
        format!(
            "  {} {} {:<5} {} {} {:>5}",
            cell("who", who_w),
            cell("lesson", lesson_w),
            "done",
            cell("exercise", ex_w),
            cell("at", state_w),
            "idle"
        ),
        app.theme.muted,
    )];
    if rows.is_empty() {
        lines.push(Line::styled(
            "  No student has a lesson open yet.",
            app.theme.muted,
        ));
    }
    let room = inner.height.saturating_sub(1) as usize;
    let top = selected.saturating_sub(room.saturating_sub(1));
    for (i, r) in rows.iter().enumerate().skip(top).take(room) {
        let flag = if r.hand {
            "✋"
        } else if r.stuck {
            "? "
        } else if i == selected {
            "▶ "
        } else {
            "  "
        };
        let text = format!(
            "{flag}{} {} {:<5} {} {} {:>5}",
            cell(&r.who, who_w),
            cell(&r.lesson, lesson_w),
            format!("{}/{}", r.passed, r.total),
            cell(&r.exercise, ex_w),
            cell(&r.state, state_w),
            ago(now.saturating_duration_since(r.last_key))
        );
        let style = if i == selected {
            app.theme.selection
        } else if r.needs_help() {
            app.theme.warn
        } else {
            app.theme.base
        };
        lines.push(Line::styled(text, style));
    }
    f.render_widget(Paragraph::new(lines).style(app.theme.base), inner);
}

/// The watched student's screen, as they see it, under a banner.
pub fn draw_watch(f: &mut Frame, app: &App, area: Rect) {
    f.render_widget(Clear, area);
    let who = app
        .class
        .rows
        .iter()
        .find(|r| Some(r.id) == app.class.watching)
        .map_or("a student who left".to_string(), |r| r.who.clone());
    let cut = match &app.class.screen {
        Some(s) if s.area.width > area.width || s.area.height + 1 > area.height => format!(
            " · theirs is {}×{}: cut at your right and bottom edges",
            s.area.width, s.area.height
        ),
        _ => String::new(),
    };
    let banner = format!(" Watching {who} (read-only){cut} · any key: back to the class ");
    let (fit, cut) = super::json_view::fit_line(&banner, area.width as usize);
    let banner = if cut {
        format!("{fit}…")
    } else {
        fit.to_string()
    };
    f.render_widget(
        Paragraph::new(Line::styled(banner, app.theme.selection)),
        Rect { height: 1, ..area },
    );
    let below = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let Some(screen) = &app.class.screen else {
        f.render_widget(
            Paragraph::new("Waiting for the student's next frame…").style(app.theme.muted),
            below,
        );
        return;
    };
    copy(screen, f.buffer_mut(), below);
}

/// `from`'s cells into `to` at `at` (what does not fit is left out; a
/// screen bigger than the teacher's is cut at the right and bottom edges).
fn copy(from: &Buffer, to: &mut Buffer, at: Rect) {
    let src = from.area;
    let w = src.width.min(at.width);
    let h = src.height.min(at.height);
    for y in 0..h {
        for x in 0..w {
            if let (Some(c), Some(d)) = (
                from.cell((src.x + x, src.y + y)),
                to.cell_mut((at.x + x, at.y + y)),
            ) {
                *d = c.clone();
            }
        }
    }
}
