//! The expression lab (`:`): type a JSONPath, an intrinsic, a payload
//! template or JSONata and see its value as you type, against a value of
//! the moment on screen (the input of the state about to run, or any stage
//! of the selected state's last run: Shift-Tab picks), with the context
//! object and the variables in scope. Evaluation is the debugger's
//! ([`crate::debugger::lab`]); this is its screen and keys.
//!
//! The text is evaluated once per frame, not per key: keys that arrive
//! together (typing fast, a paste) are all taken before one evaluation.

use super::app::{App, Mode, MAX_WATCHES, MAX_WATCH_TEXT};
use super::json_view::fit_line;
use super::viewer::Viewer;
use crate::asl::value::Val;
use crate::debugger::lab::{self, Kind, LabError};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use ratatui_textarea::{CursorMove, TextArea};
use std::cell::RefCell;
use std::time::Duration;

/// The most texts the lab's history keeps (oldest go first).
pub const HISTORY_MAX: usize = 100;
/// Rows the typed text may take before it scrolls.
const INPUT_ROWS: usize = 4;
/// The draft of the lab among the editors' drafts.
const DRAFT: &str = "Lab";
/// An evaluation that took this long is not made again on every key: the
/// text is evaluated once typing pauses for [`PAUSE`].
const SLOW: Duration = Duration::from_millis(10);
const PAUSE: Duration = Duration::from_millis(250);

/// A value the lab evaluates against.
pub struct Source {
    pub label: String,
    pub value: Val,
    pub result: Option<Val>,
    pub error_output: Option<Val>,
    /// The state it belongs to is a JSONata state.
    pub jsonata: bool,
    /// A stage of the selected state's last run: evaluated with what that
    /// run saw (its variables, its context object).
    pub of_record: bool,
}

/// What one evaluation showed, kept until the text or the moment changes.
pub struct Shown {
    pub kind: Kind,
    pub error: Option<LabError>,
    /// The value, folded and scrolled like the viewer (None: undefined or error).
    pub viewer: Option<Viewer>,
    pub took: Duration,
}

#[derive(Clone, PartialEq)]
struct ShownKey {
    text: String,
    source: usize,
    generation: u64,
    steps: u64,
    events: usize,
    record: Option<usize>,
}

/// Tab pressed again cycles through these.
struct Cycle {
    /// The bytes of the text the candidate shown stands in.
    start: usize,
    end: usize,
    items: Vec<String>,
    at: usize,
    /// The text after the last completion (another edit ends the cycle).
    after: String,
}

pub struct Lab {
    pub input: TextArea<'static>,
    pub source: usize,
    history_at: Option<usize>,
    draft: String,
    cycle: Option<Cycle>,
    pub status: String,
    /// Rows of an error's text scrolled past (PgDn).
    scroll: usize,
    /// What the selected state's last run saw (variables, context object),
    /// for the stages of that run.
    record_scope: Option<(crate::asl::value::Map, Option<Val>)>,
    /// The value whole, full-screen (Ctrl-V), over the lab.
    pub viewing: Option<Viewer>,
    shown: RefCell<Option<(ShownKey, Shown)>>,
    /// When the text last changed (a slow evaluation waits for a pause).
    edited: std::time::Instant,
    /// A slow evaluation held back until then: the screen is drawn again
    /// at that moment.
    pending: std::cell::Cell<Option<std::time::Instant>>,
}

impl Lab {
    /// When the screen should be drawn again for an evaluation held back
    /// while typing.
    pub fn wake_at(&self) -> Option<std::time::Instant> {
        self.pending.get()
    }
}

fn area_with(text: &str) -> TextArea<'static> {
    let mut a = TextArea::new(vec![text.to_string()]);
    a.move_cursor(CursorMove::End);
    a
}

impl Lab {
    pub fn text(&self) -> String {
        self.input.lines().join(" ")
    }

    fn set_text(&mut self, text: &str, cursor_chars: usize) {
        self.input = TextArea::new(vec![text.replace('\n', " ")]);
        self.input
            .move_cursor(CursorMove::Jump(0, cursor_chars as u16));
    }

    /// Byte offset of the cursor in [`Lab::text`].
    fn cursor_byte(&self) -> usize {
        let col = self.input.cursor().1;
        let t = self.text();
        t.char_indices().nth(col).map(|(i, _)| i).unwrap_or(t.len())
    }
}

/// The values the lab can evaluate against, in order: the input of the
/// state about to run (or the execution's output once it ended), each
/// stage of the selected state's last run, the execution input.
pub fn sources(app: &App) -> Vec<Source> {
    let m = app.session.moment();
    let def = app.session.definition();
    let mut out = Vec::new();
    let current_jsonata = m.current_state().is_some_and(|s| s.is_jsonata());
    if !m.is_done() {
        if let Some(v) = m.current_input() {
            out.push(Source {
                label: format!("input of {} (about to run)", app.current_name()),
                value: v.clone(),
                result: None,
                error_output: None,
                jsonata: current_jsonata,
                of_record: false,
            });
        }
    } else if let Some(o) = m.output() {
        out.push(Source {
            label: "the execution's output".into(),
            value: o.clone(),
            result: None,
            error_output: None,
            jsonata: current_jsonata,
            of_record: false,
        });
    }
    if let Some(i) = app.record_index() {
        let rec = &m.stages()[i];
        let jsonata = def
            .find(&rec.state)
            .is_some_and(|(mi, si)| def.machines[mi].states[si].is_jsonata());
        let mut after_result = false;
        for st in crate::debugger::pipeline::stages(def, rec) {
            after_result |= st.key == "result";
            let (result, error_output) = match (after_result, rec.caught_by) {
                (false, _) => (None, None),
                (true, None) => (rec.result.clone(), None),
                (true, Some(_)) => (None, rec.result.clone()),
            };
            out.push(Source {
                label: format!("{}: {}", rec.state, st.label),
                value: st.value,
                result,
                error_output,
                jsonata,
                of_record: true,
            });
        }
    }
    out.push(Source {
        label: "the execution's input".into(),
        value: m.execution_input().clone(),
        result: None,
        error_output: None,
        of_record: false,
        jsonata: def.machines[0]
            .states
            .first()
            .is_some_and(|s| s.is_jsonata()),
    });
    out
}

impl App {
    /// Open the lab (`:`) with the text it had, on the stage selected in
    /// the Stages tab or the input of the state about to run.
    pub(super) fn open_lab(&mut self) {
        let text = self.drafts.get(DRAFT).cloned().unwrap_or_default();
        let source = if self.focus == super::panes::Focus::Data
            && self.tab == super::panes::Tab::Inspector
        {
            let stage = self
                .pipeline()
                .map(|p| self.stage_selected(&p))
                .unwrap_or(0);
            // The stages follow the first source (the state's input).
            let first_is_moment = !self.session.moment().is_done()
                && self.session.moment().current_input().is_some()
                || self.session.moment().is_done() && self.session.moment().output().is_some();
            stage + usize::from(first_is_moment)
        } else {
            0
        };
        let record_scope = self
            .record_index()
            .map(|i| self.session.moment().stages()[i].state.clone())
            .map(|state| self.scope_of_run(&state));
        self.mode = Mode::Lab(Box::new(Lab {
            input: area_with(&text),
            source,
            history_at: None,
            draft: String::new(),
            cycle: None,
            status: String::new(),
            scroll: 0,
            record_scope,
            viewing: None,
            shown: RefCell::new(None),
            edited: std::time::Instant::now(),
            pending: std::cell::Cell::new(None),
        }));
    }

    fn remember(&mut self, text: &str) {
        let t = text.trim();
        if t.is_empty() || self.lab_history.last().is_some_and(|l| l == t) {
            return;
        }
        self.lab_history.retain(|l| l != t);
        self.lab_history.push(t.to_string());
        if self.lab_history.len() > HISTORY_MAX {
            self.lab_history.remove(0);
        }
    }

    /// A key while the lab is open.
    pub(super) fn lab_key(&mut self, k: KeyEvent) {
        let Mode::Lab(mut lab) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return;
        };
        let size = self.lab_result_size();
        lab.edited = std::time::Instant::now();
        if let Some(v) = &mut lab.viewing {
            match v.key(k, self.viewer_size()) {
                super::viewer::Outcome::Close => lab.viewing = None,
                super::viewer::Outcome::Copy(text, pointer) => {
                    v.status = format!("Copied {pointer} ({} bytes) with OSC 52", text.len());
                    self.clipboard = Some(text);
                }
                super::viewer::Outcome::Stay => {}
            }
            self.mode = Mode::Lab(lab);
            return;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let n_sources = sources(self).len().max(1);
        if k.code != KeyCode::Tab {
            lab.cycle = None;
        }
        match k.code {
            KeyCode::Esc => {
                let text = lab.text();
                self.remember(&text);
                self.drafts.insert(DRAFT.into(), text);
                return;
            }
            KeyCode::Enter => {
                let text = lab.text();
                self.remember(&text);
                lab.status = self.pin(&text);
            }
            KeyCode::Up | KeyCode::Down => {
                let n = self.lab_history.len();
                if n > 0 {
                    let next = match (k.code, lab.history_at) {
                        (KeyCode::Up, None) => {
                            lab.draft = lab.text();
                            Some(n - 1)
                        }
                        (KeyCode::Up, Some(i)) => Some(i.saturating_sub(1)),
                        (KeyCode::Down, Some(i)) if i + 1 < n => Some(i + 1),
                        (KeyCode::Down, _) => None,
                        _ => lab.history_at,
                    };
                    if next != lab.history_at || next.is_some() {
                        let text = match next {
                            Some(i) => self.lab_history[i].clone(),
                            None => std::mem::take(&mut lab.draft),
                        };
                        let len = text.chars().count();
                        lab.set_text(&text, len);
                        lab.history_at = next;
                    }
                }
            }
            KeyCode::BackTab => lab.source = (lab.source + 1) % n_sources,
            KeyCode::Tab => {
                if !self.complete(&mut lab) {
                    lab.source = (lab.source + 1) % n_sources;
                }
            }
            KeyCode::PageDown | KeyCode::PageUp => {
                if let Some((_, shown)) = &mut *lab.shown.borrow_mut() {
                    match &mut shown.viewer {
                        Some(v) => {
                            v.key(k, size);
                        }
                        // An error's text scrolls.
                        None if k.code == KeyCode::PageDown => lab.scroll += size.1.max(1),
                        None => lab.scroll = lab.scroll.saturating_sub(size.1.max(1)),
                    }
                }
            }
            KeyCode::Char('v') if ctrl => {
                let shown = lab.shown.borrow();
                if let Some(v) = shown.as_ref().and_then(|(_, s)| s.viewer.as_ref()) {
                    let mut full =
                        Viewer::new(format!("lab: {}", lab.text().trim()), v.tree.root.clone());
                    full.status = "esc goes back to the lab · / searches · y copies".into();
                    drop(shown);
                    lab.viewing = Some(full);
                }
            }
            // Ctrl-U clears the line.
            KeyCode::Char('u') if ctrl => {
                lab.set_text("", 0);
                lab.history_at = None;
            }
            KeyCode::Char('y') if ctrl && lab.text().trim().is_empty() => {
                lab.status = "Nothing to copy: type an expression.".into();
            }
            KeyCode::Char('y') if ctrl => {
                let text = lab.text();
                let kind = lab
                    .shown
                    .borrow()
                    .as_ref()
                    .map(|(_, s)| s.kind)
                    .unwrap_or(Kind::Path);
                let copied = lab::for_definition(&text, kind);
                lab.status = format!(
                    "Copied {} for a definition (OSC 52: the terminal must allow clipboard writes)",
                    crate::budget::show_bytes(copied.len())
                );
                self.clipboard = Some(copied);
            }
            _ => {
                let grows = matches!(k.code, KeyCode::Char(_)) && !ctrl;
                if grows && lab.text().len() >= MAX_WATCH_TEXT {
                    lab.status = format!(
                        "The lab takes at most {} of text.",
                        crate::budget::show_bytes(MAX_WATCH_TEXT)
                    );
                } else if !(ctrl && matches!(k.code, KeyCode::Char('m' | 'j'))) {
                    // One line: Enter and its control forms never split it.
                    lab.input.input(k);
                    lab.history_at = None;
                    lab.status.clear();
                    lab.scroll = 0;
                }
            }
        }
        self.mode = Mode::Lab(lab);
    }

    /// Text pasted into the lab: one line, cut at the lab's limit.
    pub(super) fn lab_paste(&mut self, text: &str) {
        if let Mode::Lab(lab) = &mut self.mode {
            let room = MAX_WATCH_TEXT.saturating_sub(lab.text().len());
            let mut t: String = text.replace(['\r', '\n', '\t'], " ");
            if t.len() > room {
                let mut cut = room;
                while !t.is_char_boundary(cut) {
                    cut -= 1;
                }
                t.truncate(cut);
                lab.status = format!(
                    "The paste was cut: the lab takes at most {} of text.",
                    crate::budget::show_bytes(MAX_WATCH_TEXT)
                );
            }
            lab.input.insert_str(t);
            lab.history_at = None;
            lab.edited = std::time::Instant::now();
        }
    }

    /// Pin `text` as a watch; what happened, for the status row.
    fn pin(&mut self, text: &str) -> String {
        if text.trim().is_empty() {
            return "Nothing to pin: type an expression.".into();
        }
        if self.watches.len() >= MAX_WATCHES {
            return format!("At most {MAX_WATCHES} watches: delete one (d in the Vars tab) first.");
        }
        if self.watches.iter().any(|w| w.source == text.trim()) {
            return "Already a watch (Vars tab).".into();
        }
        match crate::debugger::watch::Watch::new(text) {
            Ok(w) => {
                self.watches.push(w);
                format!(
                    "Pinned as watch {} (Vars tab shows it at every step).",
                    self.watches.len()
                )
            }
            Err(e) => format!("Not pinned: {e}"),
        }
    }

    /// Complete the word before the cursor; false when there is nothing
    /// to complete there.
    fn complete(&self, lab: &mut Lab) -> bool {
        let text = lab.text();
        if let Some(c) = &mut lab.cycle {
            if c.after == text && c.items.len() > 1 {
                c.at = (c.at + 1) % c.items.len();
                let item = &c.items[c.at];
                let new = format!("{}{}{}", &text[..c.start], item, &text[c.end..]);
                c.end = c.start + item.len();
                let cursor = new[..c.end].chars().count();
                c.after = new.clone();
                lab.status = cycle_status(&c.items, c.at);
                lab.set_text(&new, cursor);
                return true;
            }
        }
        let sources = sources(self);
        let Some(src) = sources.get(lab.source.min(sources.len().saturating_sub(1))) else {
            return false;
        };
        let names: Vec<String> = self
            .session
            .moment()
            .variables()
            .into_iter()
            .map(|(n, _, _)| n)
            .collect();
        let cursor = lab.cursor_byte();
        let c = self.with_scope(lab, src, |scope| {
            lab::complete(&text, cursor, scope, &names)
        });
        if c.items.is_empty() {
            return false;
        }
        let typed = &text[c.start..cursor];
        let common = common_prefix(&c.items);
        let (insert, cycle) = if c.items.len() == 1 {
            (c.items[0].clone(), false)
        } else if common.len() > typed.len() {
            (common, false)
        } else {
            (c.items[0].clone(), true)
        };
        let new = format!("{}{}{}", &text[..c.start], insert, &text[cursor..]);
        let at = new[..c.start + insert.len()].chars().count();
        lab.status = if c.items.len() == 1 {
            String::new()
        } else {
            cycle_status(&c.items, if cycle { 0 } else { usize::MAX })
        };
        lab.cycle = cycle.then(|| Cycle {
            start: c.start,
            end: c.start + insert.len(),
            items: c.items,
            at: 0,
            after: new.clone(),
        });
        lab.set_text(&new, at);
        true
    }

    /// `f` run with what an expression sees at this moment: `src` as the
    /// data, the context object and the variables in scope.
    fn with_scope<R>(&self, lab: &Lab, src: &Source, f: impl FnOnce(&lab::Scope) -> R) -> R {
        let m = self.session.moment();
        let run = lab.record_scope.as_ref().filter(|_| src.of_record);
        let context = || match run {
            Some((_, c)) => c.clone().unwrap_or_default(),
            None => m.context_or_run(),
        };
        let vars = |n: &str| match run {
            Some((v, _)) => v.get(n).cloned(),
            None => m.lookup_var(n),
        };
        f(&lab::Scope {
            data: &src.value,
            context: &context,
            vars: &vars,
            result: src.result.as_ref(),
            error_output: src.error_output.as_ref(),
            now_ms: m.now_ms(),
            jsonata: src.jsonata,
        })
    }

    /// The result pane's size (for paging it).
    fn lab_result_size(&self) -> (usize, usize) {
        let (w, h) = self.size;
        (
            w as usize,
            (h as usize).saturating_sub(8 + INPUT_ROWS).max(1),
        )
    }

    /// The lab's evaluation of what is typed now, made once per change of
    /// the text, the data picked or the moment.
    fn lab_shown<'a>(&self, lab: &'a Lab) -> std::cell::RefMut<'a, Option<(ShownKey, Shown)>> {
        let text = lab.text();
        let m = self.session.moment();
        let key = ShownKey {
            text: text.clone(),
            source: lab.source,
            generation: self.generation,
            steps: self.session.steps(),
            events: m.history().len(),
            record: self.record_index(),
        };
        let mut cell = lab.shown.borrow_mut();
        if cell.as_ref().is_some_and(|(k, _)| *k == key) {
            lab.pending.set(None);
            return cell;
        }
        // Only the text changed, the last evaluation was slow, and typing
        // goes on: what was shown stays (said to be the last text's) until
        // a pause.
        let only_text = cell.as_ref().is_some_and(|(k, shown)| {
            shown.took >= SLOW
                && ShownKey {
                    text: text.clone(),
                    ..k.clone()
                } == key
        });
        let since = lab.edited.elapsed();
        if only_text && since < PAUSE {
            lab.pending.set(Some(lab.edited + PAUSE));
            return cell;
        }
        lab.pending.set(None);
        let started = std::time::Instant::now();
        let sources = sources(self);
        let src = &sources[lab.source.min(sources.len() - 1)];
        let outcome = self.with_scope(lab, src, |scope| lab::evaluate(&text, scope));
        // What the lab keeps to show is bounded with the budget (a class
        // session's is small), as a watch's is.
        let keep = crate::budget::get().value_kept();
        let (error, viewer) = match outcome.value {
            Ok(Some(v)) => match v.json_size() {
                n if n > keep => (
                    Some(LabError {
                        message: format!(
                            "the value is {} of JSON, more than the lab shows ({}): narrow the expression",
                            crate::budget::show_bytes(n),
                            crate::budget::show_bytes(keep)
                        ),
                        at: None,
                    }),
                    None,
                ),
                _ => (None, Some(Viewer::new("lab", v))),
            },
            Ok(None) => (None, None),
            Err(e) => (Some(e), None),
        };
        *cell = Some((
            key,
            Shown {
                kind: outcome.kind,
                error,
                viewer,
                took: started.elapsed(),
            },
        ));
        cell
    }
}

fn cycle_status(items: &[String], at: usize) -> String {
    let shown: Vec<String> = items
        .iter()
        .enumerate()
        .take(30)
        .map(|(i, s)| {
            let s = s.strip_prefix('.').unwrap_or(s);
            if i == at {
                format!("[{s}]")
            } else {
                s.to_string()
            }
        })
        .collect();
    let more = match items.len() {
        n if n > 30 => format!(" … ({n} in all)"),
        _ => String::new(),
    };
    format!("tab: {}{more}", shown.join("  "))
}

fn common_prefix(items: &[String]) -> String {
    let first = &items[0];
    let mut n = first.len();
    for s in &items[1..] {
        n = n.min(
            first
                .char_indices()
                .zip(s.chars())
                .find(|((_, a), b)| a != b)
                .map(|((i, _), _)| i)
                .unwrap_or(first.len().min(s.len())),
        );
    }
    while !first.is_char_boundary(n) {
        n -= 1;
    }
    first[..n].to_string()
}

fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `chars` cut into rows of at most `width` columns (wide characters
/// take two, combining marks none): each row's first and end index.
fn wrap_chars(chars: &[char], width: usize) -> Vec<(usize, usize)> {
    let width = width.max(2);
    let mut rows = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, c) in chars.iter().enumerate() {
        let w = char_width(*c);
        if used + w > width && i > start {
            rows.push((start, i));
            start = i;
            used = 0;
        }
        used += w;
    }
    rows.push((start, chars.len()));
    if used >= width {
        // The cursor after the last character needs a cell.
        rows.push((chars.len(), chars.len()));
    }
    rows
}

/// Draw the lab over `area` (the whole screen).
pub fn draw(f: &mut Frame, app: &App, lab: &Lab, area: Rect) {
    let t = &app.theme;
    if let Some(v) = &lab.viewing {
        v.draw(f, t, area);
        return;
    }
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new("").style(t.base), area);
    let w = area.width as usize;
    if area.height < 8 || w < 20 {
        return;
    }
    let sources = sources(app);
    let src_i = lab.source.min(sources.len().saturating_sub(1));
    let mut rows: Vec<Line> = Vec::new();
    // Title: what the text is evaluated against.
    let head = format!(
        " data {}/{}: {}",
        src_i + 1,
        sources.len(),
        sources.get(src_i).map(|s| s.label.as_str()).unwrap_or("")
    );
    let (fit, cut) = fit_line(&head, w.saturating_sub(6));
    let mut title = vec![
        Span::styled(" lab ", t.accent.add_modifier(Modifier::REVERSED)),
        Span::styled(fit.to_string(), t.accent),
    ];
    if cut {
        title.push(Span::styled("…", t.muted));
    }
    rows.push(Line::from(title));
    let shown_cell = app.lab_shown(lab);
    let (key, shown) = shown_cell.as_ref().expect("evaluated");
    // The text, wrapped, the cursor reversed, a caret under a syntax error.
    let text = lab.text();
    // Held back while typing: what is shown is the last text's.
    let held = key.text != text;
    let error_at = shown.error.as_ref().and_then(|e| e.at).filter(|_| !held);
    rows.extend(input_lines(t, &text, lab.input.cursor().1, w, error_at));
    // What the text is and what it gave.
    let took = match shown.took.as_micros() {
        us if us >= 1_000 => format!("  {:.1} ms", us as f64 / 1000.0),
        _ => String::new(),
    };
    let wrap = |l: Line<'static>| super::markdown::word_wrap(l, w, 2);
    let mut error_rows = Vec::new();
    let verdict: Vec<Line> = match (&shown.error, &shown.viewer) {
        (Some(e), _) if text.trim().is_empty() => wrap(Line::styled(e.message.clone(), t.muted)),
        (Some(e), _) => {
            // The error whole, in the value's place (PgDn scrolls it).
            error_rows = wrap(Line::styled(e.message.clone(), t.bad));
            vec![Line::styled(
                format!("✗ {}: an error{took}", shown.kind.describe()),
                t.bad,
            )]
        }
        (None, Some(v)) => wrap(Line::styled(
            format!(
                "= {} → {}{took}",
                shown.kind.describe(),
                describe(&v.tree.root)
            ),
            t.good,
        )),
        (None, None) => wrap(Line::styled(
            format!(
                "= {} → nothing (undefined: a field would fail or be left out){took}",
                shown.kind.describe()
            ),
            t.warn,
        )),
    };
    if held {
        rows.extend(wrap(Line::styled(
            format!(
                "… evaluated when you pause (it takes {}); below: the text before",
                crate::budget::show_time(shown.took)
            ),
            t.muted,
        )));
    }
    rows.extend(verdict);
    let top = rows.len() as u16;
    f.render_widget(
        Paragraph::new(rows),
        Rect {
            height: top.min(area.height),
            ..area
        },
    );
    // The value, as the viewer shows it.
    let body_h = area.height.saturating_sub(top + 2) as usize;
    let body_area = Rect {
        x: area.x,
        y: area.y + top,
        width: area.width,
        height: body_h as u16,
    };
    if !error_rows.is_empty() {
        let body = scrolled(t, error_rows, lab.scroll, body_h);
        f.render_widget(Paragraph::new(body), body_area);
    }
    if let Some(v) = &shown.viewer {
        f.render_widget(Paragraph::new(v.body(t, (w, body_h))), body_area);
    }
    let status = if lab.status.is_empty() {
        "tab: complete · shift-tab: other data · pgup/pgdn: scroll the value"
    } else {
        lab.status.as_str()
    };
    footer(
        f,
        t,
        area,
        status,
        &[
            ("enter", "pin"),
            ("tab", "complete"),
            ("S-tab", "data"),
            ("↑↓", "history"),
            ("ctrl-v", "view"),
            ("ctrl-y", "copy"),
            ("esc", "close"),
        ],
    );
}

/// `room` rows of `rows` from row `from`; the last says how many more
/// there are when they do not all fit.
pub(super) fn scrolled(
    t: &super::theme::Theme,
    rows: Vec<Line<'static>>,
    from: usize,
    room: usize,
) -> Vec<Line<'static>> {
    let n = rows.len();
    let from = from.min(n.saturating_sub(1));
    let mut out: Vec<Line> = rows.into_iter().skip(from).take(room).collect();
    if from + room < n && room > 0 {
        out.truncate(room - 1);
        out.push(Line::styled(
            format!("… {} more rows (PgDn)", n - from - (room - 1)),
            t.muted,
        ));
    }
    out
}

/// The last two rows of a full-screen editor: a status line (cut with
/// `…`) and the keys, as many as fit.
pub(super) fn footer(
    f: &mut Frame,
    t: &super::theme::Theme,
    area: Rect,
    status: &str,
    hints: &[(&str, &str)],
) {
    let w = area.width as usize;
    let row = |y: u16| Rect {
        x: area.x,
        y: area.y + y,
        width: area.width,
        height: 1,
    };
    let (fit, cut) = fit_line(status, w.saturating_sub(1));
    let mut line = vec![Span::styled(fit.to_string(), t.accent)];
    if cut {
        line.push(Span::styled("…", t.muted));
    }
    f.render_widget(Paragraph::new(Line::from(line)), row(area.height - 2));
    let mut spans = Vec::new();
    let mut used = 0;
    for (k, d) in hints {
        let len = k.chars().count() + d.chars().count() + 3;
        if used + len > w {
            break;
        }
        spans.push(Span::styled(format!(" {k}"), t.accent));
        spans.push(Span::styled(format!(" {d} "), t.muted));
        used += len;
    }
    f.render_widget(Paragraph::new(Line::from(spans)), row(area.height - 1));
}

/// A one-line text as the lab and the what-if show it: wrapped to `w`
/// (at most a few rows, around the cursor), the cursor reversed, a `^`
/// under character `error_at`.
pub(super) fn input_lines(
    t: &super::theme::Theme,
    text: &str,
    cursor: usize,
    w: usize,
    error_at: Option<usize>,
) -> Vec<Line<'static>> {
    let mut rows = Vec::new();
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let tw = w.saturating_sub(2).max(1);
    let wrapped = wrap_chars(&chars, tw);
    let cursor = cursor.min(chars.len());
    let cur_row = wrapped.iter().rposition(|(s, _)| *s <= cursor).unwrap_or(0);
    let first = cur_row.saturating_sub(INPUT_ROWS - 1);
    for (r, (s, e)) in wrapped.iter().enumerate().skip(first).take(INPUT_ROWS) {
        let prompt = if r == 0 {
            "› "
        } else if r == first && first > 0 {
            "… "
        } else {
            "  "
        };
        let mut spans = vec![Span::styled(prompt, t.accent)];
        let seg: String = chars[*s..*e].iter().collect();
        if (*s..=*e).contains(&cursor) && r == cur_row {
            let at = cursor - s;
            let before: String = chars[*s..s + at].iter().collect();
            let under: String = chars
                .get(s + at)
                .map(|c| c.to_string())
                .unwrap_or(" ".into());
            let after: String = chars[(s + at + 1).min(*e)..*e].iter().collect();
            spans.push(Span::styled(before, t.base));
            spans.push(Span::styled(under, t.base.add_modifier(Modifier::REVERSED)));
            spans.push(Span::styled(after, t.base));
        } else {
            spans.push(Span::styled(seg, t.base));
        }
        rows.push(Line::from(spans));
        if let Some(at) = error_at {
            let at = at.min(chars.len());
            let last = r + 1 == wrapped.len();
            if (*s..*e).contains(&at) || (last && at == chars.len()) {
                let col: usize = chars[*s..at].iter().map(|c| char_width(*c)).sum();
                rows.push(Line::styled(format!("  {}^", " ".repeat(col)), t.bad));
            }
        }
    }
    if first + INPUT_ROWS < wrapped.len() {
        rows.push(Line::styled("  … (more below the cursor)", t.muted));
    }
    rows
}

/// A value's kind and size, in a few words.
fn describe(v: &Val) -> String {
    match v {
        Val::Null => "null".into(),
        Val::Bool(_) => "a boolean".into(),
        Val::Num(_) => "a number".into(),
        Val::Str(s) => format!("a string of {} characters", s.chars().count()),
        Val::Arr(a) => match a.len() {
            1 => "an array of 1 item".into(),
            n => format!("an array of {n} items"),
        },
        Val::Obj(o) => match o.len() {
            1 => "an object of 1 key".into(),
            n => format!("an object of {n} keys"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_helpers() {
        assert_eq!(
            common_prefix(&["email".into(), "emails".into(), "emu".into()]),
            "em"
        );
        assert_eq!(common_prefix(&["a".into()]), "a");
        let chars: Vec<char> = "abcdef".chars().collect();
        assert_eq!(wrap_chars(&chars, 3), vec![(0, 3), (3, 6), (6, 6)]);
        assert_eq!(wrap_chars(&[], 3), vec![(0, 0)]);
        // Wide characters take two columns.
        let wide: Vec<char> = "a日本b".chars().collect();
        assert_eq!(wrap_chars(&wide, 4), vec![(0, 2), (2, 4)]);
    }
}
