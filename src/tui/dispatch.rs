//! What each input does to the model: [`App::update`] takes an [`Action`];
//! in the main screen a key is looked up in the command table
//! ([`super::command::KEYMAP`]) and the [`Command`] it names runs here, as
//! do the commands a mouse click is turned into (hit-tested against the
//! same [`super::layout`] the drawing uses). The popups (help, lists,
//! editors, the viewer) take their own keys first.

use super::app::{Action, App, EditTarget, Mode, Search, LOG_MAX, SLICE};
use super::command::{self, Command};
use super::panes::{Focus, LeftPane, Tab, TABS};
use crate::asl::value::Val;
use crate::debugger::{BreakAt, Stop};
use crate::engine::task::TaskOutcome;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

impl App {
    /// Scroll the pane of the current tab by `d` lines, never past its
    /// last line at the bottom (as far as its last frame measured it).
    pub(super) fn scroll_by(&mut self, d: isize) {
        let max = self.scroll_max.borrow().get(&self.tab).copied();
        let s = self.scroll.entry(self.tab).or_default();
        let from = max.map_or(*s, |m| (*s).min(m));
        let to = (from as isize).saturating_add(d).max(0) as usize;
        *s = max.map_or(to, |m| to.min(m));
    }

    pub(super) fn move_selection(&mut self, d: isize) {
        match self.focus {
            Focus::States => {
                self.selected = (self.selected as isize + d)
                    .clamp(0, self.rows.len().saturating_sub(1) as isize)
                    as usize;
            }
            Focus::Data => match self.tab {
                Tab::History => {
                    let rows = self.history_rows();
                    if !rows.is_empty() {
                        let cur = self
                            .history_selected
                            .and_then(|s| rows.iter().position(|i| *i == s))
                            .unwrap_or(rows.len() - 1) as isize;
                        let to = (cur + d).clamp(0, rows.len() as isize - 1) as usize;
                        self.history_selected = Some(rows[to]);
                    }
                }
                // ↑/↓ select a variable or watch; a page, Home/End and the
                // wheel scroll the tab (the context object below them).
                Tab::Variables if d.abs() == 1 => {
                    let n = self.session.moment().variables().len() + self.watches.len();
                    self.var_selected = (self.var_selected as isize + d)
                        .clamp(0, n.saturating_sub(1) as isize)
                        as usize;
                }
                Tab::Inspector => {
                    let blocks = self.pipeline().map(|p| p.headers.len()).unwrap_or(0);
                    let sel = self.stage_sel.min(blocks.saturating_sub(1));
                    if d.abs() == 1 || d.abs() >= 1_000 {
                        self.stage_sel = (sel as isize + d.signum() * d.abs().min(1_000_000))
                            .clamp(0, blocks.saturating_sub(1) as isize)
                            as usize;
                        self.stage_scroll = 0;
                    } else {
                        // A page: scroll lines within the selected block.
                        let page = self.size.1.saturating_sub(8).max(3) as isize;
                        self.stage_sel = sel;
                        let max = self.stage_scroll_max.get();
                        let from = max.map_or(self.stage_scroll, |m| self.stage_scroll.min(m));
                        let to = (from as isize + d.signum() * page).max(0) as usize;
                        // Down stops where the pipeline's end is at the bottom.
                        self.stage_scroll = match max {
                            Some(m) if d > 0 && to > m => from.max(m),
                            _ => to,
                        };
                    }
                }
                _ => self.scroll_by(d),
            },
        }
    }

    pub fn update(&mut self, a: Action) {
        // Watches are evaluated again at most once per action (not per
        // frame): anything the action does may change their values.
        self.watch_cache.take();
        self.act(a);
        // The state list scrolls only as far as its selection (its height
        // is the body's: no layout, so no content measured, per action).
        if self.left == LeftPane::List {
            let rows = super::layout::left_rows(self.size);
            self.outline_scroll = super::layout::follow(self.outline_scroll, self.selected, rows);
        }
        // A prompt being typed (`/`, `G`, the history filter, a file name)
        // shows its text on the status line: that is not a message to keep.
        let prompting = matches!(
            self.mode,
            Mode::Search(_) | Mode::GoTo(_) | Mode::HistoryFilter | Mode::CompareFile(_)
        );
        if !prompting && self.log.last() != Some(&self.message) && !self.message.is_empty() {
            if self.log.len() >= LOG_MAX {
                self.log.drain(..LOG_MAX / 10);
            }
            self.log.push(self.message.clone());
        }
    }

    pub(super) fn act(&mut self, a: Action) {
        match a {
            Action::Resize(w, h) => self.size = (w, h),
            Action::Paste(text) => {
                if matches!(self.mode, Mode::CompareFile(_)) {
                    self.compare_prompt_paste(&text);
                } else if matches!(self.mode, Mode::Lab(_)) {
                    self.lab_paste(&text);
                } else if matches!(self.mode, Mode::WhatIf(_)) {
                    self.what_if_paste(&text);
                } else if let Mode::Edit(_) = &self.mode {
                    let room = self.editor_room();
                    if let Mode::Edit(ed) = &mut self.mode {
                        let line = ed.area.lines().iter().map(|l| l.len()).sum::<usize>();
                        if ed.target.one_line() && line + text.len() > super::app::MAX_WATCH_TEXT {
                            // A one-line prompt (a watch, a condition) takes
                            // a line, not the editor's room.
                            self.message = format!(
                                "Not pasted: {} bytes; this prompt takes at most {} of text.",
                                text.len(),
                                crate::budget::show_bytes(super::app::MAX_WATCH_TEXT)
                            );
                        } else if text.len() > room {
                            self.message = format!(
                                "Not pasted: {} bytes would pass what the editor may hold ({}, \
                                 drafts included).",
                                text.len(),
                                crate::budget::show_bytes(self.editor_cap)
                            );
                        } else {
                            // Terminals send a newline as CR inside a paste;
                            // a one-line prompt takes it as a space.
                            let text = text.replace("\r\n", "\n").replace('\r', "\n");
                            if ed.target.one_line() {
                                ed.area.insert_str(text.replace('\n', " "));
                            } else {
                                ed.area.insert_str(text);
                            }
                            ed.error = None;
                        }
                    }
                } else {
                    self.message = "Paste goes into an editor (e, t, x, w open one).".into();
                }
            }
            Action::Tick => {
                if let Some(resume) = self.command_running {
                    let done = self
                        .background
                        .as_ref()
                        .and_then(|b| b.slot.lock().ok().and_then(|mut s| s.take()));
                    if let Some(outcome) = done {
                        self.command_running = None;
                        // Recorded like an answer typed by hand: going back
                        // and forth (or a reload) replays it instead of
                        // running the command again.
                        self.session.answer_task_by_hand(outcome);
                        self.message = "The task command answered.".into();
                        if resume {
                            self.session.continue_run();
                        } else {
                            self.session.step();
                        }
                    }
                }
                if self.session.is_running() {
                    let stop = self.session.run(SLICE);
                    self.after_stop(stop);
                }
            }
            Action::Watch => {
                self.check_definition_file();
            }
            Action::Mouse(m) => self.mouse_event(m),
            Action::Key(k) => self.key(k),
        }
    }

    /// Where the keyboard is, for the command table's scopes.
    pub fn context(&self) -> command::Context {
        command::Context {
            focus: self.focus,
            left: self.left,
            lesson_open: self.lesson_open,
            tab: self.tab,
        }
    }

    /// Carry out one command of the main screen.
    pub fn run(&mut self, cmd: Command) {
        match cmd {
            Command::Quit => self.quit_or_ask(),
            Command::FilterHistory => {
                self.mode = Mode::HistoryFilter;
                self.message =
                    "Filter History by event type or state name (enter keeps, esc clears)".into();
            }
            Command::FindState => {
                self.mode = Mode::Search(Search {
                    text: String::new(),
                    before: self.selected,
                });
                self.message = "/ (type part of a state's name)".into();
            }
            Command::ToggleLeftPane => {
                self.left = match self.left {
                    LeftPane::Graph => LeftPane::List,
                    LeftPane::List => LeftPane::Graph,
                };
                self.focus = Focus::States;
                self.message = match self.left {
                    LeftPane::Graph => "State graph (g: list)".into(),
                    LeftPane::List => "State list (g: graph)".into(),
                };
            }
            Command::Help => self.mode = Mode::Help(None),
            Command::Lab => self.open_lab(),
            Command::WhatIf => self.open_what_if(),
            Command::Exercise => self.open_exercise(None),
            Command::Exercises => self.list_exercises(),
            Command::RaiseHand => self.raise_hand(),
            Command::Class => self.open_class(),
            Command::Lesson => match (&self.lesson, &self.course) {
                (None, None) => self.message = "No lesson: this is not a bundled sample.".into(),
                _ => {
                    self.lesson_open = !self.lesson_open;
                    self.focus = Focus::States;
                    self.message = if self.lesson_open {
                        "Lesson open beside the data (↑/↓ scroll it, L closes); s steps as usual."
                            .into()
                    } else {
                        "Lesson closed (L opens it).".into()
                    };
                }
            },
            Command::LessonScroll(d) => {
                self.lesson_scroll =
                    (self.lesson_scroll as isize).saturating_add(d).max(0) as usize;
            }
            Command::Sideways(d) => match self.tab {
                Tab::Input | Tab::Output | Tab::State => {
                    let left = self.sideways.entry(self.tab).or_default();
                    *left = (*left as isize).saturating_add(d).max(0) as usize;
                    self.message = match *left {
                        0 => format!("{}: lines wrap again", self.tab.title()),
                        n => format!(
                            "{}: {n} columns to the right, lines cut with … (< back)",
                            self.tab.title()
                        ),
                    };
                }
                _ => self.message = "< and > scroll the Input, Output and ASL panes.".into(),
            },
            Command::GraphMove(d) => self.graph_move(d),
            Command::GraphPage(p) => self.graph_page(p),
            Command::ToggleFold => self.toggle_collapse(),
            Command::Coverage => match &self.coverage {
                Some((_, counts)) => {
                    self.show_coverage = !self.show_coverage;
                    self.left = LeftPane::Graph;
                    self.message = if self.show_coverage {
                        format!("Test coverage: {counts} (• entered, ○ never, heavy: taken; C: the run)")
                    } else {
                        "The run again (C: test coverage).".into()
                    };
                }
                None => {
                    self.message = "No coverage loaded: asldbg test --coverage-out FILE, then open with --coverage FILE.".into();
                }
            },
            Command::SaveSession => match self.session_file.clone() {
                Some(file) => {
                    let doc = self.session_json();
                    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
                    let written = std::fs::write(&file, text);
                    if written.is_ok() {
                        self.session_saved();
                    }
                    self.message = match written {
                        Ok(()) => format!(
                            "Session saved to {file} (at event {}; asldbg DEF --session {file} reopens it here).",
                            self.session.moment().history().len()
                        ),
                        Err(e) => format!("Could not save the session: {file}: {e}"),
                    };
                }
                None => {
                    self.message =
                        "Open the debugger with --session FILE to save the session there.".into();
                }
            },
            Command::Compact => {
                self.graph_compact = !self.graph_compact;
                self.regraph();
                self.left = LeftPane::Graph;
                self.message = format!(
                    "Compact graph {}",
                    if self.graph_compact { "on" } else { "off" }
                );
            }
            Command::Explain => {
                self.explain = !self.explain;
                self.tab = Tab::Inspector;
                self.message = format!(
                    "Explanations {}",
                    if self.explain {
                        "on (Stages tab)"
                    } else {
                        "off"
                    }
                );
            }
            Command::Step | Command::StepInto
                if self.teach && self.revealed < self.stage_count() =>
            {
                self.revealed += 1;
                self.tab = Tab::Inspector;
                let n = self.stage_count();
                let held = self.teaching_hold().map(|r| r.state.clone());
                self.message = match held {
                    // The header and the status line name the same state.
                    Some(state) => {
                        format!(
                            "{state}: stage {} of {n} (s reveals the next)",
                            self.revealed
                        )
                    }
                    None => format!(
                        "All {n} stages shown: s runs the next state ({})",
                        self.current_name()
                    ),
                };
            }
            Command::Step | Command::StepInto => {
                if cmd == Command::StepInto {
                    self.command(|s| s.step_into());
                } else {
                    self.command(|s| s.step());
                }
                if self.teach {
                    self.revealed = 1;
                    self.tab = Tab::Inspector;
                    if let Some(r) = self.teaching_hold() {
                        // The run waits before the next state; the screen
                        // stays at the one just run until its stages are
                        // shown: the status line says so, as the header.
                        self.message = format!(
                            "{}: stage 1 of {} (s reveals the next)",
                            r.state,
                            self.stage_count()
                        );
                    }
                }
            }
            Command::Teach => {
                self.teach = !self.teach;
                self.revealed = if self.teach { 1 } else { usize::MAX };
                self.tab = Tab::Inspector;
                self.message = format!(
                    "Teaching mode {}",
                    if self.teach {
                        "on: s reveals one stage at a time"
                    } else {
                        "off"
                    }
                );
            }
            Command::Heartbeat => {
                self.message = match self.session.moment().task_token() {
                    Some(t) if self.session.moment().waiting_for_task() => {
                        format!("Heartbeat sent for task token {t} (asldbg simulates no heartbeat timeout; the task still waits)")
                    }
                    _ => "No callback task waits for a heartbeat.".into(),
                };
            }
            Command::StepOver => self.command(|s| s.step_over()),
            Command::StepOut => self.command(|s| s.step_out()),
            Command::Continue => self.command(|s| s.continue_run()),
            Command::Pause if self.session.is_running() => {
                self.session.pause();
                self.after_stop(Stop::Paused);
            }
            Command::Pause => self.message = "Nothing runs to pause (c continues).".into(),
            Command::RunUntil => {
                if let Some(r) = self.rows.get(self.selected) {
                    let (m, s) = (r.machine, r.state);
                    self.command(|x| x.run_to(m, s));
                }
            }
            Command::ToggleBreakpoint => {
                if let Some(r) = self.rows.get(self.selected) {
                    let at = BreakAt::State(r.machine, r.state);
                    self.session.toggle_breakpoint(at);
                    let on = self.session.has_breakpoint(r.machine, r.state);
                    self.message = format!(
                        "Breakpoint {} on {}",
                        if on { "set" } else { "removed" },
                        r.name
                    );
                }
            }
            Command::Breakpoints => self.mode = Mode::Breakpoints { selected: 0 },
            Command::Edits => self.mode = Mode::Edits { selected: 0 },
            Command::Follow => {
                if !self.class.can_follow {
                    self.message = "F follows the teacher, in a class served with one (asldbg serve --teacher).".into();
                } else {
                    self.class.following = !self.class.following;
                    self.message = if self.class.following {
                        "Following the teacher: the run moves with theirs; you can look around. F: your own copy.".into()
                    } else {
                        "Your own copy, from the teacher's moment: step, edit, try things. F follows again.".into()
                    };
                }
            }
            Command::Reload => self.reload_definition(false),
            Command::EditDefinition => self.edit_definition(),
            Command::Compare => self.compare_command(),
            Command::GoToEvent => {
                self.mode = Mode::GoTo(String::new());
                self.message = go_to_prompt("", self.session.horizon_events());
            }
            Command::Abort => {
                if self.session.moment().is_done() {
                    self.message = "The execution has ended: r restarts it.".into();
                } else {
                    self.session.stop();
                    self.absorb_history();
                    self.message = "Execution aborted (ExecutionAborted): r restarts it.".into();
                }
            }
            Command::BreakOnError => {
                self.session
                    .set_break_on_error(!self.session.break_on_error());
                self.message = format!(
                    "Break on errors {}",
                    if self.session.break_on_error() {
                        "on"
                    } else {
                        "off"
                    }
                );
            }
            Command::EditVariable => match self.session.moment().variables().get(self.var_selected)
            {
                Some((n, _, _)) => {
                    let n = n.clone();
                    self.open_editor(EditTarget::Variable(n));
                }
                None => self.message = "Select a variable to edit (↑/↓).".into(),
            },
            Command::DeleteWatch => {
                let vars = self.session.moment().variables().len();
                match self.var_selected.checked_sub(vars) {
                    Some(i) if i < self.watches.len() => {
                        let w = self.watches.remove(i);
                        self.var_selected = self.var_selected.saturating_sub(1);
                        self.message = format!("Watch {} deleted.", w.source);
                    }
                    _ => self.message = "Select a watch to delete (↑/↓).".into(),
                }
            }
            Command::ToggleDiff => {
                self.stage_diff = !self.stage_diff;
                self.tab = Tab::Inspector;
                self.message = if self.stage_diff {
                    "Stages show what each one changed (d: full values).".into()
                } else {
                    "Stages show full values (d: changes).".into()
                };
            }
            Command::Maximise => {
                self.maximized = !self.maximized;
                self.message = if self.maximized {
                    "Pane maximised (f restores the layout).".into()
                } else {
                    "Layout restored.".into()
                };
            }
            Command::Messages => {
                let log = Val::arr(self.log.iter().map(|m| Val::str(m.as_str())).collect());
                self.view("Messages, oldest first".into(), log);
                if let Mode::View(v) = &mut self.mode {
                    v.cursor = v.tree.len().saturating_sub(2) as u32;
                }
            }
            Command::EditInput => {
                if self.session.at_start() {
                    self.open_editor(EditTarget::ExecutionInput)
                } else if self.session.moment().at_state_entry() {
                    self.open_editor(EditTarget::StateInput)
                } else {
                    self.message = "Nothing to edit here: step to the next state first.".into();
                }
            }
            Command::AnswerTask | Command::FailTask => {
                if self.session.moment().waiting_for_task() {
                    self.open_editor(if cmd == Command::AnswerTask {
                        EditTarget::TaskResult
                    } else {
                        EditTarget::TaskError
                    });
                } else {
                    self.message = "No task waits for an answer.".into();
                }
            }
            Command::AddWatch => self.open_editor(EditTarget::Watch),
            Command::AnswerEmpty => {
                if self.session.moment().waiting_for_task() {
                    self.session
                        .answer_task_by_hand(TaskOutcome::Succeeded(Val::empty_obj()));
                    self.message = "Task answered with {}: s or c goes on.".into();
                } else {
                    self.message = "No task waits for an answer.".into();
                }
            }
            Command::AutoAnswer => {
                self.auto_answer = !self.auto_answer;
                self.message = if self.auto_answer {
                    "Auto-answer on: every task that waits is answered with its own input.".into()
                } else {
                    "Auto-answer off: tasks with no answer wait for you.".into()
                };
                if self.auto_answer && self.session.moment().waiting_for_task() {
                    self.after_stop(Stop::TaskPending);
                }
            }
            Command::ViewTaskInput => match self.session.moment().pending_task_input() {
                Some(v) if self.session.moment().waiting_for_task() => {
                    let title = format!("Input of the waiting task {}", self.current_name());
                    let v = v.clone();
                    self.view(title, v);
                }
                _ => self.message = "No task waits for an answer.".into(),
            },
            Command::Restart => self.restart(),
            Command::StepBack => {
                let moved = self.session.step_back();
                self.travelled(moved, "Already at the start.");
            }
            Command::BackOver => {
                let moved = self.session.back_over();
                self.travelled(moved, "Already at the start.");
            }
            Command::EventBack => {
                let moved = self.session.event_back();
                self.travelled(moved, "Already at the first event.");
            }
            Command::EventForward => {
                let moved = self.session.event_forward();
                self.travelled(
                    moved,
                    "No event further: the run has ended or waits for an answer.",
                );
            }
            Command::JumpToEvent => match self.history_selected {
                Some(i) => {
                    self.session.travel_to_event(i + 1);
                    self.travelled(true, "");
                }
                None => {
                    self.message = "Select an event in History first (↑/↓), then J.".into();
                }
            },
            Command::Mouse => {
                self.mouse = !self.mouse;
                self.message = format!("Mouse {}", if self.mouse { "on" } else { "off" });
            }
            Command::NextTab | Command::PrevTab => {
                let i = TABS.iter().position(|t| *t == self.tab).unwrap_or(0);
                let by = if cmd == Command::NextTab {
                    1
                } else {
                    TABS.len() - 1
                };
                self.tab = TABS[(i + by) % TABS.len()];
                self.focus = Focus::Data;
            }
            Command::PickTab(t) => {
                self.tab = t;
                self.focus = Focus::Data;
            }
            Command::FocusStates => self.focus = Focus::States,
            Command::FocusData => self.focus = Focus::Data,
            Command::Move(d) => self.move_selection(d),
            Command::ViewValue => self.open_viewer(),
            Command::FindInValue => {
                self.open_viewer();
                if let Mode::View(v) = &mut self.mode {
                    v.typing = Some(String::new());
                }
            }
            Command::Deselect => self.history_selected = None,
            Command::PickRow(row) => {
                self.focus = Focus::States;
                if row < self.rows.len() {
                    self.selected = row;
                }
            }
            Command::PickGraphCell(x, y) => {
                self.focus = Focus::States;
                self.graph_pick(x, y);
            }
        }
    }

    /// Start the run over: keeps breakpoints, replays the edits.
    /// After the run moved in time: every pane shows the new moment.
    /// Move the whole debugger to History event `n` (`G`, `J`): as far as
    /// the run goes when it has fewer.
    pub(super) fn go_to_event(&mut self, n: usize) {
        let before = self.session.moment().history().len();
        self.session.travel_to_event(n);
        let at = self.session.moment().history().len();
        self.travelled(at != before, &format!("Already at event {at}."));
        if at < n {
            self.message = format!(
                "The run has {at} events (it ends or waits there): at event {at}. {}",
                self.message
            );
        }
    }

    fn travelled(&mut self, moved: bool, stuck: &str) {
        if !moved {
            self.message = stuck.into();
            return;
        }
        // A task command of the other moment must not answer this one.
        if let Some(b) = &self.background {
            b.cancel();
            if let Ok(mut slot) = b.slot.lock() {
                *slot = None;
            }
        }
        self.generation += 1;
        self.history_selected = None;
        self.absorb_history();
        self.follow_current();
        let n = self.session.moment().history().len();
        self.message = match self.session.behind() {
            Some((at, of)) => format!(
                "⏪ at event {at} of {of}: s and c replay the same run; an edit here forks it."
            ),
            None => format!("At event {n}, the front of the run."),
        };
    }

    pub(super) fn restart(&mut self) {
        // A task command of the old run must not answer the new one.
        if let Some(b) = &self.background {
            b.cancel();
            if let Ok(mut slot) = b.slot.lock() {
                *slot = None;
            }
        }
        self.session.restart();
        self.generation += 1;
        self.history_selected = None;
        self.absorb_history();
        self.follow_current();
        let n = self.session.replayable().len();
        self.message = match n {
            0 => "Restarted (breakpoints kept).".into(),
            1 => "Restarted: 1 edit is replayed when the run reaches it (U lists it).".into(),
            n => format!(
                "Restarted: {n} edits are replayed when the run reaches them (U lists them)."
            ),
        };
    }

    /// A mouse event: the wheel scrolls the pane under the pointer (the
    /// viewer and the popups, what they show), leaving the keyboard where it
    /// is; a click picks the pane, a tab by its title, and in the left pane
    /// the state under it, found on the same layout the screen was drawn with.
    pub(super) fn mouse_event(&mut self, m: MouseEvent) {
        use super::layout::Hit;
        if !self.mouse {
            return;
        }
        let wheel = match m.kind {
            MouseEventKind::ScrollDown => Some(3),
            MouseEventKind::ScrollUp => Some(-3),
            _ => None,
        };
        if let Some(by) = wheel {
            let over_panes = matches!(
                self.mode,
                Mode::Normal
                    | Mode::Search(_)
                    | Mode::GoTo(_)
                    | Mode::HistoryFilter
                    | Mode::CompareFile(_)
            );
            if !over_panes {
                // A popup, an editor or the viewer: what it shows scrolls.
                let code = if by > 0 { KeyCode::Down } else { KeyCode::Up };
                for _ in 0..3 {
                    self.key(KeyEvent::new(code, KeyModifiers::NONE));
                }
                return;
            }
            let screen = self.screen();
            let under = match screen.hit(m.column, m.row) {
                Some(Hit::List(_) | Hit::Graph(..) | Hit::Left) => {
                    if screen.left_shows == super::layout::Left::Lesson {
                        self.run(Command::LessonScroll(by));
                        return;
                    }
                    // The graph and the list show their selection only while
                    // they have the keyboard: the wheel gives it to them.
                    self.focus = Focus::States;
                    self.move_selection(by);
                    return;
                }
                Some(Hit::Beside(tab)) => Some((Focus::Data, tab)),
                Some(Hit::TabTitles(_) | Hit::Tabbed) => {
                    // With Input and Output beside it, the tabbed pane
                    // shows Stages while either of them is the tab.
                    let shown = super::view::tabs_shown(&screen);
                    let tab = if shown.contains(&self.tab) {
                        self.tab
                    } else {
                        shown[0]
                    };
                    Some((Focus::Data, tab))
                }
                Some(Hit::Task) | None => None,
            };
            if let Some((focus, tab)) = under {
                let kept = (self.focus, self.tab);
                (self.focus, self.tab) = (focus, tab);
                self.move_selection(by);
                (self.focus, self.tab) = kept;
            }
            return;
        }
        if let MouseEventKind::Down(_) = m.kind {
            if !matches!(self.mode, Mode::Normal) {
                self.popup_click(m.column, m.row);
                return;
            }
            let screen = self.screen();
            match screen.hit(m.column, m.row) {
                Some(Hit::List(row)) => self.run(Command::PickRow(row + self.outline_scroll)),
                Some(Hit::Graph(x, y)) => {
                    let w = self.graph_window(&screen);
                    self.run(Command::PickGraphCell(x + w.left, y + w.top))
                }
                Some(Hit::Left) => self.focus = Focus::States,
                Some(Hit::TabTitles(x)) => {
                    self.focus = Focus::Data;
                    let shown = super::view::tabs_shown(&screen);
                    let room = super::layout::inner(screen.tabs).width as usize;
                    if let Some(tab) = super::view::tab_at(shown, room, x) {
                        self.tab = tab;
                    }
                }
                Some(Hit::Beside(tab)) => {
                    self.focus = Focus::Data;
                    self.tab = tab;
                }
                Some(Hit::Task) => self.focus = Focus::Data,
                Some(Hit::Tabbed) => {
                    self.focus = Focus::Data;
                    // The tabbed pane's own tab, not the Input or Output
                    // beside it.
                    let shown = super::view::tabs_shown(&screen);
                    if !shown.contains(&self.tab) {
                        self.tab = shown[0];
                    }
                    // A History row picks its event (as ↑/↓ to it would).
                    if self.tab == Tab::History {
                        let drawn = self.history_rows_drawn.borrow();
                        if let Some((_, i)) = drawn.iter().find(|(y, _)| *y == m.row) {
                            let i = *i;
                            drop(drawn);
                            self.history_selected = Some(i);
                        }
                    }
                }
                None => {}
            }
        }
    }

    /// A click while a popup or the editor is open: a row of the
    /// Breakpoints or Edits list picks it (the picked one again toggles a
    /// breakpoint); in the editor it places the cursor; outside a list
    /// popup it closes it. Elsewhere it does nothing (an editor's text is
    /// never lost to a stray click).
    fn popup_click(&mut self, x: u16, y: u16) {
        let screen = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1);
        let inside = |r: ratatui::layout::Rect| {
            let i = super::layout::inner(r);
            (x >= i.x && x < i.x + i.width && y >= i.y && y < i.y + i.height)
                .then(|| (y - i.y) as usize)
        };
        match &mut self.mode {
            Mode::Breakpoints { selected } => {
                let r = super::popups::breakpoints_area(screen);
                let n = self.session.breakpoints().len();
                match inside(r) {
                    Some(row) if row < n && row == *selected => self.session.toggle_enabled(row),
                    Some(row) if row < n => *selected = row,
                    Some(_) => {}
                    None => self.mode = Mode::Normal,
                }
            }
            Mode::Edits { selected } => {
                let r = super::popups::edits_area(screen);
                let n = self.session.replayable().len();
                match inside(r) {
                    Some(row) if row < n => *selected = row,
                    Some(_) => {}
                    None => self.mode = Mode::Normal,
                }
            }
            Mode::Edit(ed) => {
                let Some(a) = self.editor_area_drawn.get() else {
                    return;
                };
                if x >= a.x && x < a.x + a.width && y >= a.y && y < a.y + a.height {
                    let (top, left) = ed.area.scroll_offset();
                    let at = ed
                        .area
                        .screen_to_data((y - a.y + top) as usize, (x - a.x + left) as usize);
                    ed.area
                        .move_cursor(ratatui_textarea::CursorMove::Jump(at.0 as u16, at.1 as u16));
                }
            }
            _ => {}
        }
    }

    pub(super) fn key(&mut self, k: KeyEvent) {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        let viewer_size = self.viewer_size();
        match &mut self.mode {
            Mode::Lab(_) => return self.lab_key(k),
            Mode::Exercise(_) => return self.exercise_key(k),
            Mode::ExerciseList { .. } => return self.exercise_list_key(k),
            Mode::Class { .. } | Mode::Watch => return self.class_key(k),
            Mode::WhatIf(_) => return self.what_if_key(k),
            Mode::View(v) => {
                match v.key(k, viewer_size) {
                    super::viewer::Outcome::Close => self.mode = Mode::Normal,
                    super::viewer::Outcome::Copy(text, pointer) => {
                        v.status = format!(
                            "Copied {pointer} ({} bytes) with OSC 52 (the terminal must allow clipboard writes)",
                            text.len()
                        );
                        self.clipboard = Some(text);
                    }
                    super::viewer::Outcome::Stay => {}
                }
                return;
            }
            Mode::Edit(ed) => {
                let apply = (k.modifiers.contains(KeyModifiers::CONTROL)
                    && k.code == KeyCode::Char('o'))
                    || k.code == KeyCode::F(2)
                    || (k.code == KeyCode::Enter && ed.target.one_line());
                if apply {
                    self.apply_editor();
                } else if k.code == KeyCode::Esc {
                    // Keep what was typed for the next time this editor opens.
                    let key = format!("{:?}", ed.target);
                    let target = ed.target.clone();
                    self.drafts.insert(key, ed.area.lines().join("\n"));
                    if let EditTarget::Prediction(i) = target {
                        // Back to the exercise it answers.
                        self.open_exercise(Some(i));
                        self.message = "Answer put aside (Enter reopens it with your text).".into();
                        return;
                    }
                    self.mode = Mode::Normal;
                    self.message = "Edit put aside (e reopens it with your text).".into();
                } else {
                    let grows = matches!(k.code, KeyCode::Char(_) | KeyCode::Enter | KeyCode::Tab)
                        && !k.modifiers.contains(KeyModifiers::CONTROL)
                        && !k.modifiers.contains(KeyModifiers::ALT);
                    if grows && self.editor_room() == 0 {
                        self.message = format!(
                            "The editor is full: it holds at most {} (drafts included).",
                            crate::budget::show_bytes(self.editor_cap)
                        );
                    } else if let Mode::Edit(ed) = &mut self.mode {
                        ed.area.input(k);
                        ed.error = None;
                    }
                }
                return;
            }
            Mode::Search(search) => {
                let before = search.before;
                match k.code {
                    KeyCode::Esc => {
                        self.selected = before;
                        self.mode = Mode::Normal;
                        self.message = "Search cancelled.".into();
                    }
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        self.focus = Focus::States;
                        if let Some(id) = self.selected_id() {
                            self.message = self.describe(id);
                        }
                    }
                    KeyCode::Down | KeyCode::Tab => {
                        let t = search.text.clone();
                        let from = self.selected + 1;
                        self.find(&t, from, true);
                    }
                    KeyCode::Up | KeyCode::BackTab => {
                        let t = search.text.clone();
                        let from = self.selected.wrapping_sub(1);
                        self.find(&t, from.min(self.rows.len()), false);
                    }
                    KeyCode::Backspace => {
                        search.text.pop();
                        let t = search.text.clone();
                        self.find(&t, before, true);
                    }
                    KeyCode::Char(c) => {
                        search.text.push(c);
                        let t = search.text.clone();
                        self.find(&t, before, true);
                    }
                    _ => {}
                }
                return;
            }
            Mode::Help(Some((text, true))) => {
                match k.code {
                    KeyCode::Esc => self.mode = Mode::Help(None),
                    KeyCode::Enter => self.mode = Mode::Help(Some((text.clone(), false))),
                    KeyCode::Backspace => {
                        let mut t = text.clone();
                        t.pop();
                        self.mode = Mode::Help(Some((t, true)));
                    }
                    KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                        let mut t = text.clone();
                        if t.chars().count() < 80 {
                            t.push(c);
                        }
                        self.mode = Mode::Help(Some((t, true)));
                    }
                    _ => {}
                }
                self.popup_scroll = 0;
                return;
            }
            Mode::Help(_) => {
                match k.code {
                    KeyCode::Char('/') => {
                        self.mode = Mode::Help(Some((String::new(), true)));
                        self.popup_scroll = 0;
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.popup_scroll = self.popup_scroll.saturating_sub(1)
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        self.popup_scroll = self.popup_scroll.saturating_add(1)
                    }
                    KeyCode::PageUp => self.popup_scroll = self.popup_scroll.saturating_sub(10),
                    KeyCode::PageDown => self.popup_scroll = self.popup_scroll.saturating_add(10),
                    _ => {
                        self.mode = Mode::Normal;
                        self.popup_scroll = 0;
                    }
                }
                return;
            }
            Mode::CompareFile(_) => {
                self.compare_prompt_key(k);
                return;
            }
            Mode::GoTo(typed) => {
                match k.code {
                    KeyCode::Esc => {
                        self.mode = Mode::Normal;
                        self.message = "Go to: cancelled.".into();
                    }
                    KeyCode::Enter => {
                        let n = typed.parse::<usize>().ok();
                        self.mode = Mode::Normal;
                        match n {
                            Some(n) if n >= 1 => self.go_to_event(n),
                            _ => {
                                self.message =
                                    "Go to: type an event number (1 is ExecutionStarted).".into()
                            }
                        }
                    }
                    KeyCode::Backspace => {
                        typed.pop();
                        self.message = go_to_prompt(typed, self.session.horizon_events());
                    }
                    KeyCode::Char(c) if c.is_ascii_digit() && typed.len() < 12 => {
                        typed.push(c);
                        self.message = go_to_prompt(typed, self.session.horizon_events());
                    }
                    _ => {}
                }
                return;
            }
            Mode::HistoryFilter => {
                match k.code {
                    KeyCode::Esc => {
                        self.history_filter.clear();
                        self.mode = Mode::Normal;
                        self.message = "History filter cleared.".into();
                    }
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        self.message = format!(
                            "History: {} events match /{} (/ changes the filter)",
                            self.history_rows().len(),
                            self.history_filter
                        );
                    }
                    KeyCode::Backspace => {
                        self.history_filter.pop();
                    }
                    KeyCode::Char(c) => self.history_filter.push(c),
                    _ => {}
                }
                // The selection stays on an event the filter keeps.
                let rows = self.history_rows();
                if let Some(s) = self.history_selected {
                    if !rows.contains(&s) {
                        self.history_selected = rows.last().copied();
                    }
                }
                return;
            }
            Mode::Edits { selected } => {
                let list: Vec<usize> = self
                    .session
                    .replayable()
                    .into_iter()
                    .map(|(i, _)| i)
                    .collect();
                match k.code {
                    KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        *selected = (*selected + 1).min(list.len().saturating_sub(1))
                    }
                    KeyCode::Char('d') | KeyCode::Delete if *selected < list.len() => {
                        let i = list[*selected];
                        let what = self.session.edits()[i].describe();
                        self.session.drop_edit(i);
                        *selected = (*selected).min(list.len().saturating_sub(2));
                        self.message = format!("Dropped: {what} (the next restart leaves it out)");
                    }
                    _ => self.mode = Mode::Normal,
                }
                return;
            }
            Mode::Breakpoints { selected } => {
                let n = self.session.breakpoints().len();
                match k.code {
                    KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        *selected = (*selected + 1).min(n.saturating_sub(1))
                    }
                    KeyCode::Char(' ') | KeyCode::Enter if *selected < n => {
                        self.session.toggle_enabled(*selected);
                    }
                    KeyCode::Char('c') if *selected < n => {
                        let i = *selected;
                        self.open_editor(EditTarget::BreakCondition(i));
                    }
                    KeyCode::Char('i') if *selected < n => {
                        let i = *selected;
                        self.open_editor(EditTarget::BreakIteration(i));
                    }
                    KeyCode::Char('d') | KeyCode::Delete if *selected < n => {
                        self.session.remove_breakpoint(*selected);
                        *selected = (*selected).min(n.saturating_sub(2));
                    }
                    _ => self.mode = Mode::Normal,
                }
                return;
            }
            Mode::Normal => {}
        }
        if let Some(cmd) = command::lookup(&k, &self.context()) {
            if self.class.following && !command::only_looks(cmd) {
                self.message =
                    "Following the teacher: their keys move the run. F takes your own copy from here."
                        .into();
                return;
            }
            self.run(cmd);
        }
    }
}

/// The `G` prompt on the status line.
fn go_to_prompt(typed: &str, known: usize) -> String {
    format!("Go to event (1–{known} so far; enter goes, esc cancels): {typed}▏")
}
