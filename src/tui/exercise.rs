//! A lesson's exercises in the debugger: `X` opens the one at hand (a
//! popup: its text, then what it asks), `P` lists them with their status,
//! `!` raises a hand in a class. A prediction is typed in the editor and
//! checked against the lesson's own run; a fix loads its starter as a copy
//! that lives in the session (the ASL tab's `e` edits it, the files are
//! never touched) and `Enter` runs the exercise's case on it; a choice is
//! picked with a number. Progress goes into the session file.

use super::app::{App, EditTarget, Mode};
use crate::asl::value::Val;
use crate::asl::Definition;
use crate::engine::StageRecord;
use crate::testing::exercises::{Exercise, Kind, Lesson, Mark, Progress, Verdict};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use std::sync::Arc;
use std::time::Instant;

use super::popups::centered;

/// A lesson's exercises as one student works through them.
pub struct Course {
    pub lesson: Arc<Lesson>,
    pub progress: Progress,
    /// The lesson's own run (what predictions are checked against): made
    /// once, when first asked for.
    records: Option<Result<Arc<Vec<StageRecord>>, String>>,
    /// A hand raised (the teacher's class view shows it).
    pub hand: bool,
    /// The fix exercise whose copy runs now, and what ran before it.
    loaded: Option<Loaded>,
    /// Since when the exercise at hand has been the current one.
    since: Instant,
}

struct Loaded {
    index: usize,
    before_file: Option<super::reload::DefinitionFile>,
    before_input: Val,
}

impl Course {
    pub fn new(lesson: Arc<Lesson>, progress: Progress) -> Course {
        let mut progress = progress;
        progress.current = progress
            .current
            .min(lesson.exercises.len().saturating_sub(1));
        Course {
            lesson,
            progress,
            records: None,
            hand: false,
            loaded: None,
            since: Instant::now(),
        }
    }

    pub fn current(&self) -> Option<&Exercise> {
        self.lesson.exercises.get(self.progress.current)
    }

    /// The progress with the time spent on the exercise at hand counted.
    pub fn progress_now(&self) -> Progress {
        let mut p = self.progress.clone();
        if let Some(e) = self.current() {
            p.mark_mut(e).seconds += self.since.elapsed().as_secs();
        }
        p
    }

    /// The fix exercise whose copy runs now.
    pub fn loaded(&self) -> Option<usize> {
        self.loaded.as_ref().map(|l| l.index)
    }

    /// Count the time spent on the exercise at hand so far.
    fn settle(&mut self) {
        let spent = self.since.elapsed().as_secs();
        self.since = Instant::now();
        let Some(e) = self.lesson.exercises.get(self.progress.current).cloned() else {
            return;
        };
        self.progress.mark_mut(&e).seconds += spent;
    }

    fn records(&mut self) -> Result<Arc<Vec<StageRecord>>, String> {
        if self.records.is_none() {
            self.records = Some(self.lesson.run().map(Arc::new));
        }
        self.records.clone().unwrap_or_else(|| Err("no run".into()))
    }

    /// One line for a status bar or a class list: "3/7 · exercise 4".
    pub fn summary(&self) -> String {
        format!(
            "{}/{} passed · on {}",
            self.progress.passed(&self.lesson),
            self.lesson.exercises.len(),
            self.progress.current + 1
        )
    }

    /// The exercise at hand has been tried and missed three times or more.
    pub fn stuck(&self) -> bool {
        self.current().is_some_and(|e| {
            let m = self.progress.mark(e);
            !m.passed && m.tries >= 3
        })
    }
}

/// The exercise popup's own state.
pub struct Open {
    pub index: usize,
    /// Lines scrolled off the top.
    pub scroll: u16,
    /// A choice exercise: the answer under the cursor.
    pub choice: usize,
}

fn status_mark(m: &Mark) -> (&'static str, &'static str) {
    match (m.passed, m.tries) {
        (true, _) => ("✓", "passed"),
        (false, 0) => ("·", "not tried"),
        (false, _) => ("✗", "not yet"),
    }
}

fn tries(n: u32) -> String {
    match n {
        1 => "1 try".into(),
        n => format!("{n} tries"),
    }
}

impl App {
    /// `X`: the exercise at hand.
    pub(super) fn open_exercise(&mut self, index: Option<usize>) {
        let Some(c) = self.course.as_mut() else {
            self.message = "No exercises here: none beside this definition, or they do not load \
                            (M lists why)."
                .into();
            return;
        };
        let i = index.unwrap_or(c.progress.current);
        if i >= c.lesson.exercises.len() {
            return;
        }
        if i != c.progress.current {
            c.settle();
            c.progress.current = i;
        }
        let choice = c
            .current()
            .map(|e| c.progress.mark(e))
            .and_then(|m| m.answer)
            .and_then(|a| a.parse::<usize>().ok())
            .map_or(0, |n| n.saturating_sub(1));
        self.mode = Mode::Exercise(Box::new(Open {
            index: i,
            scroll: 0,
            choice,
        }));
        // Leaving a fix's copy for another exercise: the lesson's own
        // machine runs again (the copy is kept in the progress).
        if self
            .course
            .as_ref()
            .and_then(|c| c.loaded.as_ref())
            .is_some_and(|l| l.index != i)
        {
            self.unload_fix();
        }
    }

    /// `P`: every exercise with its status.
    pub(super) fn list_exercises(&mut self) {
        match &self.course {
            Some(c) => {
                self.mode = Mode::ExerciseList {
                    selected: c.progress.current,
                }
            }
            None => {
                self.message = "No exercises here: none beside this definition, or they do not \
                                load (M lists why)."
                    .into()
            }
        }
    }

    /// `!`: raise (or lower) a hand for the teacher.
    pub(super) fn raise_hand(&mut self) {
        let Some(c) = self.course.as_mut() else {
            self.message = "No exercises here to ask about.".into();
            return;
        };
        c.hand = !c.hand;
        self.message = match (c.hand, self.class.can_follow) {
            (true, true) => "Hand raised: the teacher's class view shows it (! again lowers it).",
            (true, false) => "Hand raised (there is no teacher in this session: ! lowers it).",
            (false, _) => "Hand lowered.",
        }
        .into();
    }

    pub(super) fn exercise_list_key(&mut self, k: KeyEvent) {
        let Mode::ExerciseList { selected } = &mut self.mode else {
            return;
        };
        let n = self.course.as_ref().map_or(0, |c| c.lesson.exercises.len());
        match k.code {
            KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                *selected = (*selected + 1).min(n.saturating_sub(1))
            }
            KeyCode::Home | KeyCode::PageUp => *selected = 0,
            KeyCode::End | KeyCode::PageDown => *selected = n.saturating_sub(1),
            KeyCode::Char('!') => self.raise_hand(),
            KeyCode::Enter => {
                let i = *selected;
                self.open_exercise(Some(i));
            }
            _ => self.mode = Mode::Normal,
        }
    }

    pub(super) fn exercise_key(&mut self, k: KeyEvent) {
        let Mode::Exercise(open) = &mut self.mode else {
            return;
        };
        let i = open.index;
        let Some(c) = self.course.as_ref() else {
            self.mode = Mode::Normal;
            return;
        };
        let n = c.lesson.exercises.len();
        let Some(e) = c.lesson.exercises.get(i).cloned() else {
            self.mode = Mode::Normal;
            return;
        };
        match k.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('X') => self.mode = Mode::Normal,
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char('n') if i + 1 < n => {
                self.open_exercise(Some(i + 1))
            }
            KeyCode::Left | KeyCode::Char('h') | KeyCode::Char('p') if i > 0 => {
                self.open_exercise(Some(i - 1))
            }
            KeyCode::Char('P') => self.list_exercises(),
            KeyCode::Char('!') => self.raise_hand(),
            KeyCode::PageDown => open.scroll = open.scroll.saturating_add(5),
            KeyCode::PageUp => open.scroll = open.scroll.saturating_sub(5),
            KeyCode::Up | KeyCode::Char('k') => match &e.kind {
                Kind::Choose { .. } => open.choice = open.choice.saturating_sub(1),
                _ => open.scroll = open.scroll.saturating_sub(1),
            },
            KeyCode::Down | KeyCode::Char('j') => match &e.kind {
                Kind::Choose { answers, .. } => {
                    open.choice = (open.choice + 1).min(answers.len().saturating_sub(1))
                }
                _ => open.scroll = open.scroll.saturating_add(1),
            },
            KeyCode::Char(d @ '1'..='9') => {
                if let Kind::Choose { answers, .. } = &e.kind {
                    let picked = d as usize - '1' as usize;
                    if picked < answers.len() {
                        open.choice = picked;
                        self.check_choice(i, picked);
                    }
                }
            }
            KeyCode::Enter => match &e.kind {
                Kind::Predict { .. } => {
                    let key = format!("{:?}", EditTarget::Prediction(i));
                    self.drafts
                        .entry(key)
                        .or_insert_with(|| c.progress.mark(&e).answer.unwrap_or_default());
                    self.open_editor(EditTarget::Prediction(i));
                }
                Kind::Choose { .. } => {
                    let picked = open.choice;
                    self.check_choice(i, picked);
                }
                Kind::Fix { .. } => {
                    if c.loaded.as_ref().is_some_and(|l| l.index == i) {
                        self.check_fix(i);
                    } else {
                        self.load_fix(i);
                    }
                }
            },
            KeyCode::Char('u') if c.loaded.as_ref().is_some_and(|l| l.index == i) => {
                self.unload_fix();
            }
            _ => {}
        }
    }

    fn record(&mut self, i: usize, answer: Option<String>, v: Verdict) {
        let Some(c) = self.course.as_mut() else {
            return;
        };
        let Some(e) = c.lesson.exercises.get(i).cloned() else {
            return;
        };
        c.settle();
        c.progress.record(&e, answer, &v);
        if v.passed {
            c.hand = false;
        }
        let passed = c.progress.passed(&c.lesson);
        let of = c.lesson.exercises.len();
        self.message = if v.passed {
            format!("✓ {} ({passed} of {of} passed)", v.summary)
        } else {
            format!("✗ {}", v.summary)
        };
    }

    /// A prediction typed in the editor (`Ctrl-O`): checked against the
    /// lesson's run. Text that is not JSON stays in the editor, not a try.
    pub(super) fn check_prediction(&mut self, i: usize, text: &str) -> Result<(), String> {
        let Some(c) = self.course.as_mut() else {
            return Ok(());
        };
        let Some(Kind::Predict { moment, .. }) = c.lesson.exercises.get(i).map(|e| e.kind.clone())
        else {
            return Ok(());
        };
        if let Err(e) = crate::asl::parse_document(text, "answer.json") {
            return Err(format!(
                "line {}, column {}: {} (a prediction is JSON: a string needs its quotes)",
                e.line, e.column, e.message
            ));
        }
        let records = c.records()?;
        let v = Lesson::check_prediction(moment.value(&records), &moment, text);
        self.record(i, Some(text.to_string()), v);
        self.mode = Mode::Exercise(Box::new(Open {
            index: i,
            scroll: 0,
            choice: 0,
        }));
        Ok(())
    }

    fn check_choice(&mut self, i: usize, picked: usize) {
        let Some(c) = self.course.as_ref() else {
            return;
        };
        let v = c.lesson.check_choice(i, picked);
        self.record(i, Some((picked + 1).to_string()), v);
    }

    /// Load fix exercise `i`'s starter (or the copy made of it before) as
    /// the machine that runs, kept in the session.
    fn load_fix(&mut self, i: usize) {
        if self.class.following {
            self.message =
                "Following the teacher: F takes your own copy first, then Enter loads the starter."
                    .into();
            return;
        }
        let Some(c) = self.course.as_ref() else {
            return;
        };
        let Some(e) = c.lesson.exercises.get(i).cloned() else {
            return;
        };
        let Kind::Fix { starter, case, .. } = &e.kind else {
            return;
        };
        let kept = c.progress.mark(&e).answer;
        let text = match kept {
            Some(t) => t,
            None => match starter.apply(&c.lesson.base.definition) {
                Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
                Err(err) => {
                    self.message = format!("The starter does not load: {err}");
                    return;
                }
            },
        };
        let def = match crate::asl::parse_document(&text, "copy.json")
            .map_err(|e| e.to_string())
            .and_then(|d| {
                Definition::from_value(&d.value)
                    .map_err(|errs| errs.first().map(|e| e.to_string()).unwrap_or_default())
            }) {
            Ok(d) => d,
            Err(err) => {
                self.message = format!("The copy does not load: {err}");
                return;
            }
        };
        let before_file = self.definition_file.take();
        let before_input = self.session.moment().execution_input().clone();
        self.definition_file = Some(super::reload::DefinitionFile::in_session(
            &format!("your copy ({})", e.title),
            text,
        ));
        if let Some(c) = self.course.as_mut() {
            c.loaded = Some(Loaded {
                index: i,
                before_file,
                before_input,
            });
        }
        self.session.set_execution_input(case.input.clone());
        self.run_definition(def, "Your copy of the machine runs now", true);
        self.message = format!(
            "Your copy runs now (the lesson's files are not touched): edit a state in the ASL tab \
             (6, then e), then X and Enter check it. {}",
            self.message
        );
    }

    /// Keep the copy in the progress and run the lesson's own machine again.
    fn unload_fix(&mut self) {
        let Some(loaded) = self.course.as_mut().and_then(|c| c.loaded.take()) else {
            return;
        };
        self.keep_copy(loaded.index);
        self.definition_file = loaded.before_file;
        self.session.set_execution_input(loaded.before_input);
        let file_backed = self
            .definition_file
            .as_ref()
            .is_some_and(|f| f.copy.is_none());
        if file_backed {
            self.reload_definition(false);
        } else if let Some(def) = self.course.as_ref().map(|c| c.lesson.definition(None)) {
            match def {
                Ok(d) => self.run_definition(d, "The lesson's machine runs again", true),
                Err(e) => self.message = e,
            }
        }
        self.message = format!(
            "The lesson's machine runs again; your copy is kept (Enter on the exercise brings it back). {}",
            self.message
        );
    }

    /// The copy as it stands, into fix exercise `i`'s progress.
    fn keep_copy(&mut self, i: usize) {
        let text = self.definition_file.as_ref().and_then(|f| f.copy.clone());
        if let (Some(c), Some(text)) = (self.course.as_mut(), text) {
            if let Some(e) = c.lesson.exercises.get(i).cloned() {
                c.progress.mark_mut(&e).answer = Some(text);
            }
        }
    }

    /// Run fix exercise `i`'s case on the machine that runs now.
    fn check_fix(&mut self, i: usize) {
        self.keep_copy(i);
        let def = self.session.definition().clone();
        let Some(c) = self.course.as_ref() else {
            return;
        };
        let v = c.lesson.check_fix(i, def);
        let passed = v.passed;
        let answer = c
            .lesson
            .exercises
            .get(i)
            .map(|e| c.progress.mark(e))
            .and_then(|m| m.answer);
        self.record(i, answer, v);
        if passed {
            // The path it takes, lit on the graph (to its end, or to a
            // breakpoint or a task that waits for an answer).
            self.session.continue_run();
            self.session.run_all();
            self.absorb_history();
            self.follow_current();
            let msg = std::mem::take(&mut self.message);
            self.message = format!("{msg} Your copy ran on: the path it took is lit on the graph.");
            self.mode = Mode::Normal;
        }
    }
}

/// Lines for the top of the lesson pane: the exercise at hand.
pub fn header(app: &App, width: usize) -> Vec<Line<'static>> {
    let Some(c) = &app.course else {
        return Vec::new();
    };
    let Some(e) = c.current() else {
        return Vec::new();
    };
    let m = c.progress.mark(e);
    let (glyph, _) = status_mark(&m);
    let style = if m.passed {
        app.theme.good
    } else {
        app.theme.accent
    };
    let head = Line::from(vec![
        Span::styled(
            format!(
                "{glyph} Exercise {} of {} · {}: ",
                c.progress.current + 1,
                c.lesson.exercises.len(),
                e.kind_name()
            ),
            style,
        ),
        Span::styled(e.title.clone(), app.theme.base),
    ]);
    let mut out = super::markdown::word_wrap(head, width, 2);
    let hand = if c.hand { " · ✋ hand up" } else { "" };
    out.extend(super::markdown::word_wrap(
        Line::styled(
            format!(
                "{}/{} passed · X opens · P lists{hand}",
                c.progress.passed(&c.lesson),
                c.lesson.exercises.len()
            ),
            app.theme.muted,
        ),
        width,
        2,
    ));
    out.push(Line::styled("─".repeat(width), app.theme.muted));
    out
}

fn wrap(out: &mut Vec<Line<'static>>, text: String, style: Style, width: usize, indent: usize) {
    out.extend(super::markdown::word_wrap(
        Line::styled(text, style),
        width,
        indent,
    ));
}

/// What the popup says of exercise `e`: its text, what it asks, the last
/// check; and the keys, for the footer.
fn body(
    app: &App,
    c: &Course,
    e: &Exercise,
    open: &Open,
    w: usize,
) -> (Vec<Line<'static>>, String) {
    let t = &app.theme;
    let m = c.progress.mark(e);
    let mut out: Vec<Line<'static>> = Vec::new();
    out.extend(super::markdown::word_wrap(
        Line::styled(e.title.clone(), t.accent),
        w,
        0,
    ));
    out.push(Line::from(""));
    for l in super::markdown::render(&e.text, t) {
        let indent = if l.spans.first().is_some_and(|s| s.content == "• ") {
            2
        } else {
            0
        };
        out.extend(super::markdown::word_wrap(l, w, indent));
    }
    out.push(Line::from(""));
    let loaded = c.loaded.as_ref().is_some_and(|l| l.index == open.index);
    let keys = match &e.kind {
        Kind::Predict { moment, .. } => {
            wrap(
                &mut out,
                format!("Predict {}: type the JSON you expect.", moment.describe()),
                t.base,
                w,
                0,
            );
            if let Some(a) = &m.answer {
                wrap(&mut out, "Your last answer:".into(), t.muted, w, 0);
                for l in a.lines() {
                    wrap(&mut out, format!("  {l}"), t.string, w, 4);
                }
            }
            "enter: type an answer"
        }
        Kind::Choose { answers, .. } => {
            let last = m.answer.as_deref().and_then(|a| a.parse::<usize>().ok());
            for (k, a) in answers.iter().enumerate() {
                let cursor = if k == open.choice { "▶ " } else { "  " };
                let picked = match (last == Some(k + 1), m.passed) {
                    (true, true) => " ✓",
                    (true, false) => " ✗",
                    _ => "",
                };
                let style = if k == open.choice {
                    t.selection
                } else {
                    t.base
                };
                wrap(
                    &mut out,
                    format!("{cursor}{}. {a}{picked}", k + 1),
                    style,
                    w,
                    5,
                );
            }
            if answers.len() > 9 {
                "↑↓ enter: answer"
            } else {
                "number or ↑↓ enter: answer"
            }
        }
        Kind::Fix { case, .. } => {
            let what = if loaded {
                "Your copy of the machine runs now (in this session only; the lesson's files are \
                 never touched). Select a state (in the graph, or / and its name), then 6 for the \
                 ASL tab and e to edit it. Then X and Enter run the check."
            } else if m.answer.is_some() {
                "Enter brings your copy of the machine back, as you left it."
            } else {
                "Enter loads the starter: a copy of the machine, yours to change."
            };
            wrap(&mut out, what.into(), t.base, w, 0);
            let goal = goal(&case.expect);
            if !goal.is_empty() {
                wrap(&mut out, format!("It passes when {goal}."), t.muted, w, 0);
            }
            if loaded {
                "enter: check · u: the lesson's machine back"
            } else {
                "enter: load the copy"
            }
        }
    };
    if let Some(v) = &m.verdict {
        out.push(Line::from(""));
        let (glyph, style) = if v.passed {
            ("✓", t.good)
        } else {
            ("✗", t.bad)
        };
        wrap(
            &mut out,
            format!("{glyph} {} ({})", v.summary, tries(m.tries)),
            style,
            w,
            2,
        );
        // What differs: after the second try of a prediction (a hint),
        // always for a fix (the check's own report).
        let show = !v.passed
            && (matches!(e.kind, Kind::Fix { .. }) || m.tries >= 2)
            && !v.details.is_empty();
        if show {
            let head = match e.kind {
                Kind::Predict { .. } => "What differs (as in the Stages tab's diff):",
                _ => "What the check found:",
            };
            wrap(&mut out, head.into(), t.muted, w, 0);
            for d in v.details.iter().flat_map(|d| d.lines()) {
                wrap(&mut out, format!("  {d}"), t.warn, w, 4);
            }
        } else if !v.passed && matches!(e.kind, Kind::Predict { .. }) {
            wrap(
                &mut out,
                "Try again: after a second miss, what differs is shown.".into(),
                t.muted,
                w,
                0,
            );
        }
    }
    (out, keys.into())
}

/// A fix's goal in words, from its expectations.
fn goal(e: &crate::testing::suite::Expect) -> String {
    let mut parts = Vec::new();
    match e.status.as_deref() {
        Some("SUCCEEDED") => parts.push("the run succeeds".to_string()),
        Some("FAILED") => parts.push("the run fails".to_string()),
        Some(s) => parts.push(format!("the run ends {}", s.to_ascii_lowercase())),
        None => {}
    }
    if let Some(o) = &e.output {
        parts.push(format!("its output is {}", short(o)));
    }
    if let Some(o) = &e.output_contains {
        parts.push(format!("its output holds {}", short(o)));
    }
    if let Some(p) = &e.path {
        parts.push(format!("it goes {}", p.join(" → ")));
    }
    if !e.calls.is_empty() {
        let names: Vec<&str> = e.calls.iter().map(|(n, _)| n.as_str()).collect();
        parts.push(format!("{} is called as asked", names.join(", ")));
    }
    parts.join(", ")
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(199).collect::<String>())
    } else {
        s
    }
}

pub fn draw(f: &mut Frame, app: &App, open: &Open, area: Rect) {
    let Some(c) = &app.course else { return };
    let Some(e) = c.lesson.exercises.get(open.index) else {
        return;
    };
    let width = area.width.saturating_sub(4).clamp(30, 90);
    let w = width.saturating_sub(2).max(1) as usize;
    let (lines, keys) = body(app, c, e, open, w);
    let mut nav = vec![keys];
    if open.index > 0 || open.index + 1 < c.lesson.exercises.len() {
        nav.push("←/→ others".into());
    }
    nav.push("P list".into());
    nav.push("! hand".into());
    nav.push("esc close".into());
    let footer = super::markdown::word_wrap(Line::styled(nav.join(" · "), app.theme.muted), w, 0);
    // As tall as what it says (the screen behind stays in sight), at most
    // the screen less two rows.
    let want = (lines.len() + footer.len() + 3) as u16;
    let r = centered(area, width, want.min(area.height.saturating_sub(2).max(8)));
    f.render_widget(Clear, r);
    let m = c.progress.mark(e);
    let (_, state) = status_mark(&m);
    let title = format!(
        "Exercise {} of {} · {} · {state}",
        open.index + 1,
        c.lesson.exercises.len(),
        e.kind_name()
    );
    let b = app.theme.pane_in(&title, true, r.width);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let room = (inner.height as usize).saturating_sub(footer.len());
    let top = (open.scroll as usize).min(lines.len().saturating_sub(room));
    let more = lines.len() > top + room;
    let mut shown: Vec<Line> = lines.into_iter().skip(top).take(room).collect();
    if more {
        if let Some(last) = shown.last_mut() {
            *last = Line::styled("… ↓ or pgdn for more", app.theme.muted);
        }
    }
    while shown.len() < room {
        shown.push(Line::from(""));
    }
    shown.extend(footer);
    f.render_widget(Paragraph::new(shown).style(app.theme.base), inner);
}

pub fn draw_list(f: &mut Frame, app: &App, selected: usize, area: Rect) {
    let Some(c) = &app.course else { return };
    let n = c.lesson.exercises.len();
    let r = centered(
        area,
        area.width.saturating_sub(4).clamp(30, 90),
        (n as u16 + 3).min(area.height),
    );
    f.render_widget(Clear, r);
    let title = format!(
        "Exercises: {} of {n} passed (↑/↓, enter opens, esc)",
        c.progress.passed(&c.lesson)
    );
    let b = app.theme.pane_in(&title, true, r.width);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let w = inner.width as usize;
    let rows = inner.height.saturating_sub(1) as usize;
    let top = selected.saturating_sub(rows.saturating_sub(1));
    let mut lines: Vec<Line> = Vec::new();
    for (i, e) in c.lesson.exercises.iter().enumerate().skip(top).take(rows) {
        let m = c.progress.mark(e);
        let (glyph, _) = status_mark(&m);
        let extra = match m.tries {
            0 => String::new(),
            n => format!(" ({})", tries(n)),
        };
        let text = format!(
            "{glyph} {:>2}. {:<7} {}{extra}",
            i + 1,
            e.kind_name(),
            e.title
        );
        let (fit, cut) = super::json_view::fit_line(&text, w);
        let text = if cut { format!("{fit}…") } else { text };
        let style = if i == selected {
            app.theme.selection
        } else if m.passed {
            app.theme.good
        } else {
            app.theme.base
        };
        lines.push(Line::styled(text, style));
    }
    let hand = if c.hand {
        " ✋ hand raised (! lowers it)"
    } else {
        ""
    };
    lines.push(Line::styled(
        format!("{}{hand}", if n > rows { "… more: ↑/↓" } else { "" }),
        app.theme.muted,
    ));
    f.render_widget(Paragraph::new(lines).style(app.theme.base), inner);
}
