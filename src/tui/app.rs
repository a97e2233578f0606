//! The front end's model: what is on screen and what each key does.
//! `App::update` takes an [`Action`] and changes the model; drawing is a pure
//! function of the model (`view.rs`). One keymap table drives dispatch, the
//! hint bar and the `?` help.

use super::json_view::PrettyCache;
use super::layout::{self, Extent, GraphWindow, Screen};
use super::panes::{Focus, LeftPane, Tab};
use super::stage_blocks;
use super::theme::Theme;
use crate::asl::model::{Kind, MachineId, StateId};
use crate::asl::value::Val;
use crate::debugger::{BreakAt, Session, Stop};
use crate::engine::task::TaskOutcome;
use crate::engine::Status;
use crossterm::event::{KeyEvent, MouseEvent};
use ratatui_textarea::TextArea;
use std::collections::{HashMap, HashSet};

/// Engine steps per slice while continuing: small enough that a key press
/// (pause) is seen within a few milliseconds.
pub const SLICE: u64 = 20_000;
/// The most watches one debugger keeps, and the longest watch text.
pub const MAX_WATCHES: usize = 32;
pub const MAX_WATCH_TEXT: usize = 4 << 10;

/// A watch's text and its value now (or why it has none).
pub type WatchValue = (String, Result<Val, String>);

/// What the editor and its drafts may hold together, locally.
pub const EDITOR_CAP: usize = 256 << 20;

/// Status messages `M` keeps (the oldest tenth goes when it is full).
pub const LOG_MAX: usize = 2_000;

/// The graph as laid out and drawn for the current compact and collapse
/// settings (computed once per change, not per frame).
pub struct GraphCache {
    pub layout: crate::graph::Layout,
    pub drawn: crate::graph::text::Rendered,
}

/// An incremental search for a state by name (`/`).
pub struct Search {
    pub text: String,
    /// The selection before the search (Esc goes back to it).
    pub before: usize,
}

/// One row of the state list (the left pane's list view, and the order of `/` matches).
#[derive(Debug, Clone)]
pub struct Row {
    pub machine: MachineId,
    pub state: StateId,
    pub depth: usize,
    pub name: String,
    pub type_name: String,
}

/// What an open editor will change.
#[derive(Debug, Clone, PartialEq)]
pub enum EditTarget {
    ExecutionInput,
    StateInput,
    Variable(String),
    TaskResult,
    TaskError,
    Watch,
    /// The condition of breakpoint n (JSONata over the state input).
    BreakCondition(usize),
    /// Make breakpoint n stop only in one Map iteration.
    BreakIteration(usize),
    /// A state of the definition file, at this JSON pointer of the file.
    Definition(String),
    /// The answer to predict exercise n (JSON).
    Prediction(usize),
}

impl EditTarget {
    /// A one-line prompt: Enter applies it (a newline typed or pasted is a
    /// space). The others are editors of JSON, where Enter is a new line.
    pub fn one_line(&self) -> bool {
        matches!(
            self,
            EditTarget::Watch | EditTarget::BreakCondition(_) | EditTarget::BreakIteration(_)
        )
    }

    pub fn title(&self) -> String {
        match self {
            EditTarget::ExecutionInput => "Execution input".into(),
            EditTarget::StateInput => "Input of the next state".into(),
            EditTarget::Variable(n) => format!("Variable ${n}"),
            EditTarget::TaskResult => "Task result (JSON)".into(),
            EditTarget::TaskError => "Task error {\"Error\": ..., \"Cause\": ...}".into(),
            EditTarget::Watch => {
                "Watch: JSONPath ($.a), intrinsic (States.…) or JSONata over the state input".into()
            }
            EditTarget::BreakCondition(_) => {
                "Break only when (JSONata over the state input, e.g. amount > 5000; empty: always)"
                    .into()
            }
            EditTarget::BreakIteration(_) => {
                "Break only in Map iteration number (empty: every iteration)".into()
            }
            EditTarget::Definition(at) => format!("{at} → the definition file (rest kept)"),
            EditTarget::Prediction(n) => {
                format!("Exercise {}: the JSON you expect (Ctrl-O checks it)", n + 1)
            }
        }
    }
}

/// The classroom (`asldbg serve --teacher`): following the teacher.
#[derive(Debug, Default, Clone)]
pub struct Class {
    /// A teacher is named: `F` follows their session.
    pub can_follow: bool,
    /// Following now: the run moves with the teacher's; keys only look.
    pub following: bool,
    /// This is the teacher's session: how many students follow it.
    pub followers: Option<usize>,
    /// The teacher's class view: the students' sessions.
    pub rows: Vec<super::class::ClassRow>,
    /// The session the teacher watches, and its last frame.
    pub watching: Option<usize>,
    pub screen: Option<ratatui::buffer::Buffer>,
    /// The teacher asked to push their lesson and moment to every student.
    pub push: bool,
    /// The teacher's header: how many students have a hand raised.
    pub hands: usize,
}

pub struct Editor {
    pub target: EditTarget,
    pub area: TextArea<'static>,
    pub error: Option<String>,
}

pub enum Mode {
    Normal,
    Search(Search),
    /// The keys and legend; `/` filters them (the text typed, and whether
    /// it is still being typed).
    Help(Option<(String, bool)>),
    Breakpoints {
        selected: usize,
    },
    /// Typing the History filter (`/` in History).
    HistoryFilter,
    /// Typing the number of the History event to go to (`G`).
    GoTo(String),
    /// Typing the file of a history to compare the run with (`D`).
    CompareFile(String),
    /// The edits a restart replays (`U`): drop one with `d`.
    Edits {
        selected: usize,
    },
    Edit(Box<Editor>),
    /// A value full-screen (`Enter` on a stage, event, variable, pane).
    View(Box<super::viewer::Viewer>),
    /// The expression lab (`:`).
    Lab(Box<super::lab::Lab>),
    /// A stage's field edited in the Stages tab (`e`), the stages after it
    /// recomputed as it is typed.
    WhatIf(Box<super::whatif::Edit>),
    /// An exercise of the lesson (`X`).
    Exercise(Box<super::exercise::Open>),
    /// The lesson's exercises with their status (`P`).
    ExerciseList {
        selected: usize,
    },
    /// The teacher's class view (`K`).
    Class {
        selected: usize,
    },
    /// A student's screen, watched by the teacher.
    Watch,
}

pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Text the terminal pasted (bracketed paste): inserted in an open editor
    /// at once, ignored elsewhere (pasted text is not a string of commands).
    Paste(String),
    /// Time to run the next slice of a continue.
    Tick,
    /// Time to look whether the definition file changed.
    Watch,
}

/// A built task panel's run, history length and width.
type TaskPanelKey = (u64, usize, u16);

pub struct App {
    pub session: Session,
    pub title: String,
    pub theme: Theme,
    pub rows: Vec<Row>,
    pub selected: usize,
    pub outline_scroll: usize,
    pub focus: Focus,
    pub tab: Tab,
    pub scroll: HashMap<Tab, usize>,
    /// The furthest each JSON pane can be scrolled (its last line at the
    /// bottom), as its last frame measured it: scrolling stops there.
    pub scroll_max: std::cell::RefCell<HashMap<Tab, usize>>,
    /// The History tab's rows as last drawn: (screen row, event index),
    /// for a click to pick its event.
    pub history_rows_drawn: std::cell::RefCell<Vec<(u16, usize)>>,
    /// Where the editor's text was last drawn, for a click to place the
    /// cursor.
    pub editor_area_drawn: std::cell::Cell<Option<ratatui::layout::Rect>>,
    /// The furthest the Stages tab's selected block can be paged (its
    /// pipeline's end at the bottom), as its last frame measured it.
    pub stage_scroll_max: std::cell::Cell<Option<usize>>,
    /// Columns a JSON pane is scrolled to the right (0: its lines wrap).
    pub sideways: HashMap<Tab, usize>,
    pub history_selected: Option<usize>,
    pub var_selected: usize,
    pub mode: Mode,
    pub message: String,
    /// What the execution has done so far (visited, failed, caught, visit
    /// counts, transitions taken), from its history.
    pub trace: crate::debugger::trace::Trace,
    /// What test suites covered (`--coverage FILE`), and its counts in a line.
    pub coverage: Option<(crate::graph::Marks, String)>,
    /// The graph and the list show the coverage instead of the run (`C`).
    pub show_coverage: bool,
    /// The coverage report (`--coverage FILE`): drawn again on a reload.
    pub coverage_report: Option<serde_json::Value>,
    /// The definition file, watched for changes (None: a bundled sample).
    pub definition_file: Option<super::reload::DefinitionFile>,
    /// Why the definition file as it is now cannot run (the definition
    /// before it still runs); the ASL tab shows them.
    pub definition_problems: Vec<String>,
    /// The classroom's state of this session (served with a teacher).
    pub class: Class,
    /// Where `W` saves the session (`--session FILE`).
    pub session_file: Option<String>,
    /// What the session file holds (or would, when it is new) as of the
    /// last save: `q` asks once before what differs is lost.
    saved_session: Option<serde_json::Value>,
    /// `q` was pressed once with unsaved changes to the session.
    quit_asked: bool,
    /// The history `D` compares the run with (`--compare FILE`, the one
    /// replayed, or one named at `D`).
    pub compare: Option<crate::debugger::compare::Against>,
    /// The user may name files to open here (`D`): not in a served class,
    /// where the files are the server's.
    pub open_files: bool,
    pub watches: Vec<crate::debugger::watch::Watch>,
    pub drafts: HashMap<String, String>,
    /// What was typed in the expression lab, oldest first (kept in the
    /// session file).
    pub lab_history: Vec<String>,
    /// Each watch's value at this moment, evaluated once per action.
    pub(super) watch_cache: std::cell::RefCell<Option<Vec<WatchValue>>>,
    /// Text the editor and the drafts may hold together (a class session's
    /// is small: every student may paste at once).
    pub editor_cap: usize,
    pub mouse: bool,
    /// Plain-language explanations in the Stages pane.
    pub explain: bool,
    /// Teaching mode: `s` first reveals the last state's stages one by one.
    pub teach: bool,
    /// How many stages of the last state the Stages pane shows in teaching mode.
    pub revealed: usize,
    /// The sample's lesson text, if there is one.
    pub lesson: Option<String>,
    /// The lesson's exercises and how far this student is (`X`, `P`).
    pub course: Option<Box<super::exercise::Course>>,
    /// Local task commands run on their own thread (`--task-command`).
    pub background: Option<crate::engine::task::Background>,
    /// A task command is running; `Some(true)` when a continue should go on after it.
    pub command_running: Option<bool>,
    pub quit: bool,
    /// The last command was a continue (a task command resumes it).
    pub last_was_continue: bool,
    pub size: (u16, u16),
    pub pretty_input: PrettyCache,
    pub pretty_output: PrettyCache,
    pub pretty_other: PrettyCache,
    /// What the left pane shows.
    pub left: LeftPane,
    /// The state graph, laid out once per definition and settings.
    pub graph: std::cell::OnceCell<GraphCache>,
    /// Draw the graph with narrower boxes (`z`), for small terminals.
    pub graph_compact: bool,
    /// Parallel and Map states drawn as one box.
    pub collapsed: HashSet<(MachineId, StateId)>,
    /// The container state of each branch and item processor.
    pub parents: HashMap<MachineId, (MachineId, StateId)>,
    /// Stages of the last record (run, records) → count, and the selected
    /// state's definition as a value: both asked several times a frame.
    pub stage_total: std::cell::Cell<Option<((u64, usize), usize)>>,
    pub definition_value: std::cell::RefCell<Option<((MachineId, StateId), Val)>>,
    /// The waiting task's panel, built once per task and width.
    pub task_panel:
        std::cell::RefCell<Option<(TaskPanelKey, std::rc::Rc<super::task_panel::Panel>)>>,
    /// First line shown of the help or lesson popup (↑/↓ scroll it).
    pub popup_scroll: u16,
    /// Text to put on the terminal's clipboard (OSC 52) with the next frame.
    pub clipboard: Option<String>,
    /// Every status message and error, whole, in order (`M` shows them).
    pub log: Vec<String>,
    /// The Stages tab: the selected block, lines paged past its header,
    /// changes (true) or full values.
    pub stage_sel: usize,
    pub stage_scroll: usize,
    pub stage_diff: bool,
    /// `f`: the focused pane fills the screen.
    pub maximized: bool,
    /// The lesson is shown in the left pane (`L`), and its first line.
    pub lesson_open: bool,
    pub lesson_scroll: usize,
    /// History shows only events whose type or state holds this (any case).
    pub history_filter: String,
    /// Why a task may wait for the user (what answers tasks in this run).
    pub task_source: String,
    /// Answer every task that waits with its own input, and go on.
    pub auto_answer: bool,
    /// Glyphs the terminal has (`--ascii`, TERM=linux).
    pub glyphs: super::glyphs::Glyphs,
    /// Changes when the run starts over, so cached views of it are dropped.
    pub generation: u64,
    /// The Stages pipeline, built once per record and settings.
    pub pipeline:
        std::cell::RefCell<Option<(stage_blocks::Key, std::rc::Rc<stage_blocks::Pipeline>)>>,
}

/// The state list's rows: every state, branches and iterations indented
/// under their Parallel or Map.
pub(super) fn outline_rows(def: &crate::asl::Definition) -> Vec<Row> {
    let mut rows = Vec::new();
    outline(def, 0, 0, &mut rows);
    rows
}

fn outline(def: &crate::asl::Definition, m: MachineId, depth: usize, out: &mut Vec<Row>) {
    for (i, st) in def.machines[m].states.iter().enumerate() {
        out.push(Row {
            machine: m,
            state: i,
            depth,
            name: st.name.to_string(),
            type_name: st.type_name.clone(),
        });
        match &st.kind {
            Kind::Parallel { branches } => branches
                .iter()
                .for_each(|b| outline(def, *b, depth + 1, out)),
            Kind::Map(spec) => outline(def, spec.processor, depth + 1, out),
            _ => {}
        }
    }
}

impl App {
    /// The marks the graph and the state list show: the run's, or what the
    /// test suites covered when that view is on.
    pub fn shown_marks(&self) -> &crate::graph::Marks {
        match &self.coverage {
            Some((m, _)) if self.show_coverage => m,
            _ => &self.trace,
        }
    }

    /// Tell the user `text` wherever they are looking: the status row, and
    /// the lab's own while the lab covers it (a class session slowed down
    /// for its share of the CPU says so even there).
    pub fn notify(&mut self, text: String) {
        if let Mode::Lab(lab) = &mut self.mode {
            lab.status = text.clone();
        }
        self.message = text;
    }

    pub fn new(session: Session, title: String, theme: Theme) -> App {
        let rows = outline_rows(session.definition());
        let parents = crate::graph::containers(session.definition());
        let mut app = App {
            session,
            title,
            theme,
            rows,
            selected: 0,
            outline_scroll: 0,
            focus: Focus::States,
            tab: Tab::Input,
            scroll: HashMap::new(),
            scroll_max: Default::default(),
            history_rows_drawn: Default::default(),
            editor_area_drawn: Default::default(),
            stage_scroll_max: Default::default(),
            sideways: HashMap::new(),
            history_selected: None,
            var_selected: 0,
            mode: Mode::Normal,
            message: "Ready: s steps, c continues, ? shows every key.".into(),
            trace: Default::default(),
            coverage: None,
            show_coverage: false,
            coverage_report: None,
            class: Class::default(),
            definition_file: None,
            definition_problems: Vec::new(),
            session_file: None,
            saved_session: None,
            quit_asked: false,
            compare: None,
            open_files: false,
            watches: Vec::new(),
            drafts: HashMap::new(),
            lab_history: Vec::new(),
            watch_cache: Default::default(),
            editor_cap: EDITOR_CAP,
            mouse: true,
            explain: false,
            teach: false,
            revealed: usize::MAX,
            lesson: None,
            course: None,
            background: None,
            command_running: None,
            quit: false,
            last_was_continue: false,
            size: (80, 24),
            pretty_input: PrettyCache::default(),
            pretty_output: PrettyCache::default(),
            pretty_other: PrettyCache::default(),
            left: LeftPane::Graph,
            graph: std::cell::OnceCell::new(),
            graph_compact: false,
            collapsed: HashSet::new(),
            parents,
            task_panel: Default::default(),
            stage_total: Default::default(),
            definition_value: Default::default(),
            popup_scroll: 0,
            clipboard: None,
            log: Vec::new(),
            stage_sel: 0,
            stage_scroll: 0,
            stage_diff: true,
            generation: 0,
            pipeline: Default::default(),
            maximized: false,
            lesson_open: false,
            lesson_scroll: 0,
            history_filter: String::new(),
            task_source: "no --mocks file answers it, and no --task-command".into(),
            auto_answer: false,
            glyphs: super::glyphs::Glyphs::Unicode,
        };
        app.follow_current();
        app
    }

    /// The state the execution is at (about to run), if any.
    pub fn current(&self) -> Option<(MachineId, StateId)> {
        self.session.moment().current_ids()
    }

    /// The graph for the current settings, laid out and drawn on first use.
    pub fn graph(&self) -> &GraphCache {
        self.graph.get_or_init(|| {
            let layout = crate::graph::layout_with(
                self.session.definition(),
                0,
                if self.graph_compact {
                    crate::graph::Names::Compact
                } else {
                    crate::graph::Names::Screen
                },
                &self.collapsed,
            );
            let drawn = crate::graph::text::render(&layout);
            GraphCache { layout, drawn }
        })
    }

    pub(super) fn regraph(&mut self) {
        self.graph = std::cell::OnceCell::new();
    }

    /// Where the panes go in a frame of the current size (see [`layout`]).
    pub fn screen(&self) -> Screen {
        self.screen_at(self.size)
    }

    /// Where the panes go in a frame of `size`.
    pub fn screen_at(&self, size: (u16, u16)) -> Screen {
        let task_rows = |w: u16| self.task_panel(w).map(|p| p.rows);
        let left = match (self.lesson_open, self.left) {
            (true, _) => layout::Left::Lesson,
            (false, LeftPane::List) => layout::Left::List,
            (false, LeftPane::Graph) => {
                layout::Left::Graph(self.graph().drawn.width.min(u16::MAX as usize) as u16)
            }
        };
        let extent = |cache: &PrettyCache, v: Option<Val>| {
            v.map(|v| cache.extent(&v))
                .map(|(rows, width)| Extent { rows, width })
                .unwrap_or(Extent { rows: 1, width: 0 })
        };
        layout::screen(&layout::Wants {
            size,
            focus: self.focus,
            maximized: self.maximized,
            left,
            task_rows: &task_rows,
            input: extent(&self.pretty_input, self.input_value()),
            output: extent(&self.pretty_output, self.output_value().0),
        })
    }

    /// The waiting task's panel at width `w` (None: no task waits), built
    /// once per task and width.
    pub fn task_panel(&self, w: u16) -> Option<std::rc::Rc<super::task_panel::Panel>> {
        let ex = &self.session.moment();
        if !ex.waiting_for_task() {
            return None;
        }
        let key = (self.generation, ex.history().len(), w);
        if let Some((k, p)) = &*self.task_panel.borrow() {
            if *k == key {
                return Some(p.clone());
            }
        }
        let p = std::rc::Rc::new(super::task_panel::panel(
            ex,
            &self.theme,
            &self.task_source,
            w,
        )?);
        *self.task_panel.borrow_mut() = Some((key, p.clone()));
        Some(p)
    }

    /// The box the graph pane keeps in view: the selection while the pane
    /// has the keyboard, else the state of the moment shown (or the
    /// selection).
    pub fn graph_focus(&self) -> Option<(MachineId, StateId)> {
        let selected = self.selected_id().map(|s| self.shown(s));
        if self.focus == Focus::States {
            return selected;
        }
        self.moment().0.map(|c| self.shown(c)).or(selected)
    }

    /// The part of the graph drawing the left pane of `s` shows.
    pub fn graph_window(&self, s: &Screen) -> GraphWindow {
        let i = layout::inner(s.left);
        layout::graph_window(
            &self.graph().drawn,
            self.graph_focus(),
            (i.width as usize, i.height as usize),
        )
    }

    /// The box that stands for `id` on the graph: `id` itself, or the
    /// outermost collapsed container that hides it.
    pub fn shown(&self, id: (MachineId, StateId)) -> (MachineId, StateId) {
        let mut out = id;
        let mut at = id;
        while let Some(p) = self.parents.get(&at.0) {
            if self.collapsed.contains(p) {
                out = *p;
            }
            at = *p;
        }
        out
    }

    /// Expand every collapsed container around `id` so that it is drawn.
    pub(super) fn reveal(&mut self, id: (MachineId, StateId)) {
        let mut at = id;
        let mut changed = false;
        while let Some(p) = self.parents.get(&at.0).copied() {
            changed |= self.collapsed.remove(&p);
            at = p;
        }
        if changed {
            self.regraph();
        }
    }

    /// The moment the panes show: the event selected in History (its state
    /// and branch/iteration path), else the state about to run.
    pub fn moment(&self) -> (Option<(MachineId, StateId)>, Vec<usize>) {
        if let Some(r) = self.teaching_hold() {
            let id = self.session.definition().find(&r.state);
            return (id, r.frame.clone());
        }
        let picked = self
            .history_selected
            .and_then(|i| self.session.moment().history().get(i))
            .and_then(|e| {
                let id = self.session.definition().find(e.state.as_deref()?)?;
                Some((id, e.frame.clone()))
            });
        match picked {
            Some((id, path)) => (Some(id), path),
            None => (self.current(), self.session.moment().frame_path()),
        }
    }

    pub fn selected_id(&self) -> Option<(MachineId, StateId)> {
        self.rows.get(self.selected).map(|r| (r.machine, r.state))
    }

    pub(super) fn select_id(&mut self, id: (MachineId, StateId)) {
        if let Some(i) = self.row_of(id) {
            self.selected = i;
        }
    }

    /// An arrow key in the graph: along the edges, across a layer, into and
    /// out of containers. → with nothing to the right moves to the data pane.
    pub(super) fn graph_move(&mut self, dir: crate::graph::nav::Dir) {
        let Some(from) = self.selected_id().map(|i| self.shown(i)) else {
            return;
        };
        match crate::graph::nav::step(&self.graph().layout, from, dir) {
            Some(to) => {
                self.select_id(to);
                self.message = self.describe(to);
            }
            None if dir == crate::graph::nav::Dir::Right => self.focus = Focus::Data,
            None => {
                self.select_id(from);
                self.message = format!(
                    "Nothing {} {}",
                    match dir {
                        crate::graph::nav::Dir::Up => "above",
                        crate::graph::nav::Dir::Down => "after",
                        _ => "left of",
                    },
                    self.row_name(from)
                );
            }
        }
    }

    /// PgDn/PgUp in the graph: the box about half a pane below (above) the
    /// selection, nearest to its column; End/Home go as far as there are boxes.
    pub(super) fn graph_page(&mut self, pages: isize) {
        let Some(from) = self.selected_id().map(|i| self.shown(i)) else {
            return;
        };
        let boxes = &self.graph().drawn.boxes;
        let Some(b) = boxes.get(&from) else { return };
        let centre =
            |b: &(usize, usize, usize, usize)| ((b.0 + b.2 / 2) as isize, (b.1 + b.3 / 2) as isize);
        let (cx, cy) = centre(b);
        let step = (super::layout::inner(self.screen().left).height as isize / 2).max(4);
        let target = cy + pages.saturating_mul(step);
        let hit = boxes
            .iter()
            .filter(|(_, b)| {
                let y = centre(b).1;
                if pages > 0 {
                    y > cy
                } else {
                    y < cy
                }
            })
            .min_by_key(|(k, b)| {
                let (x, y) = centre(b);
                ((y - target).abs() * 4 + (x - cx).abs(), **k)
            })
            .map(|(k, _)| *k);
        if let Some(id) = hit {
            self.select_id(id);
            self.message = self.describe(id);
        }
    }

    pub(super) fn row_name(&self, id: (MachineId, StateId)) -> String {
        self.session.definition().machines[id.0].states[id.1]
            .name
            .to_string()
    }

    /// One line about a selected state: its type, visits, breakpoint.
    pub(super) fn describe(&self, id: (MachineId, StateId)) -> String {
        let st = &self.session.definition().machines[id.0].states[id.1];
        let mut s = format!("{} ({})", st.name, st.type_name);
        match self.trace.visits.get(&id).copied().unwrap_or(0) {
            0 => {}
            1 => s.push_str(", visited"),
            n => s.push_str(&format!(", visited {n} times")),
        }
        if self.session.has_breakpoint(id.0, id.1) {
            s.push_str(", breakpoint");
        }
        if !crate::graph::inner_machines(&st.kind).is_empty() {
            s.push_str(if self.collapsed.contains(&id) {
                "; enter expands"
            } else {
                "; enter collapses"
            });
        }
        s
    }

    /// Enter in the graph: collapse or expand the selected container; inside
    /// a branch, collapse the container around it.
    pub(super) fn toggle_collapse(&mut self) {
        let Some(id) = self.selected_id().map(|i| self.shown(i)) else {
            return;
        };
        let def = self.session.definition().clone();
        let is_container = |i: (MachineId, StateId)| {
            !crate::graph::inner_machines(&def.machines[i.0].states[i.1].kind).is_empty()
        };
        let target = if is_container(id) {
            Some(id)
        } else {
            self.parents.get(&id.0).copied()
        };
        let Some(t) = target else {
            self.message = format!("{} is not a Parallel or Map", self.row_name(id));
            return;
        };
        let name = self.row_name(t);
        if self.collapsed.remove(&t) {
            self.message = format!("Expanded {name}");
        } else {
            self.collapsed.insert(t);
            self.message = format!("Collapsed {name} (enter expands it)");
        }
        self.select_id(t);
        self.regraph();
    }

    /// States whose name holds `text` (any case), in list order.
    pub(super) fn matches(&self, text: &str) -> Vec<usize> {
        let t = text.to_lowercase();
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.name.to_lowercase().contains(&t))
            .map(|(i, _)| i)
            .collect()
    }

    /// Select the first match at or after row `from` (`forward`), or before it.
    pub(super) fn find(&mut self, text: &str, from: usize, forward: bool) {
        let m = self.matches(text);
        if text.is_empty() {
            self.message = "/ (type part of a state's name)".into();
            return;
        }
        let hit = if forward {
            m.iter().find(|i| **i >= from).or(m.first())
        } else {
            m.iter().rev().find(|i| **i <= from).or(m.last())
        };
        match hit.copied() {
            Some(i) => {
                self.selected = i;
                let id = (self.rows[i].machine, self.rows[i].state);
                self.reveal(id);
                let k = m.iter().position(|x| *x == i).unwrap_or(0) + 1;
                self.message = format!(
                    "/{text}  match {k} of {} (↓/↑ next/previous, enter keeps, esc goes back)",
                    m.len()
                );
            }
            None => self.message = format!("/{text}  no state matches"),
        }
    }

    /// The box at cell (`gx`, `gy`) of the graph drawing, selected (the
    /// innermost, when boxes nest).
    pub fn graph_pick(&mut self, gx: usize, gy: usize) {
        let hit = self
            .graph()
            .drawn
            .boxes
            .iter()
            .filter(|(_, b)| gx >= b.0 && gx < b.0 + b.2 && gy >= b.1 && gy < b.1 + b.3)
            .min_by_key(|(_, b)| b.2 * b.3)
            .map(|(k, _)| *k);
        if let Some(id) = hit {
            self.select_id(id);
            self.message = self.describe(id);
        }
    }

    pub fn row_of(&self, id: (MachineId, StateId)) -> Option<usize> {
        self.rows.iter().position(|r| (r.machine, r.state) == id)
    }

    /// Select the state the execution is at (the graph follows it).
    pub fn follow_current(&mut self) {
        if let Some(i) = self.current().and_then(|c| self.row_of(c)) {
            self.selected = i;
        }
    }

    /// What of the session a user would lose on quitting without saving:
    /// breakpoints, watches, edits, the seed (not the moment, which every
    /// step moves, nor what a session keeps as it goes: the lab's recent
    /// texts, the time spent on exercises).
    fn session_kept(&self) -> serde_json::Value {
        let mut v = self.session_json();
        if let Some(o) = v.as_object_mut() {
            o.remove("position");
            o.remove("exercises");
            o.remove("lab");
        }
        v
    }

    /// The session as it stands is what its file holds (on opening, and
    /// after `W`).
    pub fn session_saved(&mut self) {
        self.saved_session = self.session_file.is_some().then(|| self.session_kept());
        self.quit_asked = false;
    }

    /// `q`: quits, unless the session has changes its file lacks and this
    /// is the first `q` since (then it says so; `q` again quits).
    pub(super) fn quit_or_ask(&mut self) {
        let unsaved = self
            .saved_session
            .as_ref()
            .is_some_and(|saved| *saved != self.session_kept());
        if unsaved && !self.quit_asked {
            self.quit_asked = true;
            self.message =
                "Unsaved session changes: W saves them, q again quits without saving.".into();
        } else {
            self.quit = true;
        }
    }

    /// The session as a session file has it, with the watches' texts.
    pub fn session_json(&self) -> serde_json::Value {
        let watches: Vec<String> = self.watches.iter().map(|w| w.source.clone()).collect();
        let mut v = crate::debugger::saved::to_json(&self.session, &watches, &self.lab_history);
        if let (Some(p), Some(o)) = (self.exercise_progress(), v.as_object_mut()) {
            o.insert("exercises".into(), p.to_json());
        }
        v
    }

    /// The progress through the lesson's exercises as it stands: time on
    /// the one at hand counted, a fix's copy as it is now (for when the
    /// exercise is opened again).
    pub fn exercise_progress(&self) -> Option<crate::testing::exercises::Progress> {
        let c = self.course.as_ref()?;
        let mut p = c.progress_now();
        let copy = self.definition_file.as_ref().and_then(|f| f.copy.clone());
        if let (Some(e), Some(copy)) = (c.loaded().and_then(|i| c.lesson.exercises.get(i)), copy) {
            p.mark_mut(e).answer = Some(copy);
        }
        Some(p)
    }

    /// The run was moved from outside (the teacher's, when following):
    /// every view of it is drawn again at its moment.
    pub fn moved_from_outside(&mut self) {
        self.generation += 1;
        self.watch_cache.take();
        self.history_selected = None;
        self.trace = Default::default();
        self.absorb_history();
        self.follow_current();
    }

    /// Record visited and failed states from new history events.
    pub fn absorb_history(&mut self) {
        self.trace
            .absorb(self.session.definition(), self.session.moment().history());
        self.trace.absorb_children(
            self.session.definition(),
            self.session.moment().child_events(),
        );
    }

    pub(super) fn after_stop(&mut self, stop: Stop) {
        self.absorb_history();
        self.follow_current();
        self.message = match stop {
            Stop::Stepped if self.session.moment().container_exit().is_some() => {
                match self.session.moment().container_result() {
                    Some(_) => format!(
                        "Paused at the end of {}: its result goes on next",
                        self.current_name()
                    ),
                    None => format!(
                        "Paused at the end of {}: its error goes to Retry/Catch next",
                        self.current_name()
                    ),
                }
            }
            Stop::Stepped => format!("Paused before {}", self.current_name()),
            Stop::Breakpoint(_) => match self.session.take_condition_error() {
                Some(e) => format!(
                    "Breakpoint: paused before {}: its condition failed ({e})",
                    self.current_name()
                ),
                None => format!("Breakpoint: paused before {}", self.current_name()),
            },
            Stop::ErrorRaised => {
                let e = self
                    .session
                    .moment()
                    .error_pending()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                format!(
                    "Error raised in {} (before Retry/Catch): {e}",
                    self.current_name()
                )
            }
            Stop::TaskPending if self.background.as_ref().is_some_and(|b| b.pending()) => {
                self.command_running = Some(self.last_was_continue);
                format!("Running the task command for {}…", self.current_name())
            }
            Stop::TaskPending if self.auto_answer => {
                let input = self
                    .session
                    .moment()
                    .pending_task_input()
                    .cloned()
                    .unwrap_or_default();
                let name = self.current_name();
                self.session.answer_task(TaskOutcome::Succeeded(input));
                // Go on with the command the task interrupted (the loop
                // runs it in slices).
                if self.last_was_continue {
                    self.session.continue_run();
                } else {
                    self.session.step();
                }
                format!("Task {name} answered with its input (auto-answer on: a turns it off)")
            }
            Stop::TaskPending => {
                let token = self
                    .session
                    .moment()
                    .task_token()
                    .map(|t| format!(" (task token {t})"))
                    .unwrap_or_default();
                format!(
                    "Task {}{token} waits: t types a result, x an error, {{ answers {{}}, a answers every task with its input",
                    self.current_name()
                )
            }
            Stop::Finished(s) => match s {
                Status::Succeeded => "Execution succeeded (r restarts).".into(),
                _ => {
                    let e = self
                        .session
                        .moment()
                        .error()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    format!("Execution {}: {e}", s.as_str())
                }
            },
            Stop::Budget => format!("Running… {} steps", self.session.steps()),
            Stop::Paused => format!("Paused before {}", self.current_name()),
        };
    }

    /// Columns the JSON pane of `tab` is scrolled right (0: it wraps).
    pub fn sideways(&self, tab: Tab) -> usize {
        self.sideways.get(&tab).copied().unwrap_or(0)
    }

    /// The stage record the Stages pane shows: the state of the event
    /// picked in History, else the selected state's last run, else the last
    /// state run (in teaching mode always the last).
    pub fn record_index(&self) -> Option<usize> {
        let stages = self.session.moment().stages();
        if stages.is_empty() {
            return None;
        }
        if self.teach {
            return Some(stages.len() - 1);
        }
        let from_history = self
            .history_selected
            .and_then(|i| self.session.moment().history().get(i))
            .and_then(|e| e.state.as_deref());
        let selected = from_history.or(self.rows.get(self.selected).map(|r| r.name.as_str()));
        Some(
            stages
                .iter()
                .rposition(|s| Some(s.state.as_str()) == selected)
                .unwrap_or(stages.len() - 1),
        )
    }

    /// The Stages pipeline for the current record and settings, built once
    /// per change of either.
    pub fn pipeline(&self) -> Option<std::rc::Rc<stage_blocks::Pipeline>> {
        let index = self.record_index()?;
        let key = stage_blocks::Key {
            generation: self.generation,
            records: self.session.moment().stages().len(),
            index,
            settings: stage_blocks::Settings {
                diff: self.stage_diff,
                explain: self.explain,
                revealed: self.revealed,
            },
        };
        if let Some((k, p)) = &*self.pipeline.borrow() {
            if *k == key {
                return Some(p.clone());
            }
        }
        let rec = &self.session.moment().stages()[index];
        let p = std::rc::Rc::new(stage_blocks::build(
            self.session.definition(),
            rec,
            &self.theme,
            key.settings,
        ));
        *self.pipeline.borrow_mut() = Some((key, p.clone()));
        Some(p)
    }

    /// The selected block of `p` (the last one until ↑/↓ picks another).
    pub fn stage_selected(&self, p: &stage_blocks::Pipeline) -> usize {
        self.stage_sel.min(p.headers.len().saturating_sub(1))
    }

    /// In teaching mode, while the stages of the last state run are being
    /// revealed, that state's record: the screen stays at that state (its
    /// input, the graph's ▶, the header) and its output waits for the last
    /// stage.
    pub fn teaching_hold(&self) -> Option<&crate::engine::StageRecord> {
        if !self.teach || self.revealed >= self.stage_count() {
            return None;
        }
        self.session.moment().stages().last()
    }

    /// The header's "at …": the state about to run, or in teaching mode the
    /// one whose stages are being revealed.
    pub fn header_name(&self) -> String {
        match self.teaching_hold() {
            Some(r) => {
                let frame = crate::engine::history::path_label(&r.frame);
                let sep = if frame.is_empty() { "" } else { " " };
                format!(
                    "{}{sep}{frame} (stage {} of {}: s reveals the next)",
                    r.state,
                    self.revealed,
                    self.stage_count()
                )
            }
            None => self.current_name(),
        }
    }

    /// Stages of the last state run that the Stages pane can show.
    pub fn stage_count(&self) -> usize {
        let records = self.session.moment().stages();
        let key = (self.generation, records.len());
        if let Some((k, n)) = self.stage_total.get() {
            if k == key {
                return n;
            }
        }
        let n = records
            .last()
            .map(|r| crate::debugger::pipeline::stages(self.session.definition(), r).len())
            .unwrap_or(0);
        self.stage_total.set(Some((key, n)));
        n
    }

    /// The selected state's definition as a value (what the ASL tab and
    /// its viewer show), converted once per state picked.
    pub fn selected_definition(&self) -> Option<(&crate::asl::model::State, Val)> {
        let r = self.rows.get(self.selected)?;
        let id = (r.machine, r.state);
        let def = self.session.definition();
        let st = &def.machines[id.0].states[id.1];
        let mut cache = self.definition_value.borrow_mut();
        let v = match &*cache {
            Some((k, v)) if *k == id => v.clone(),
            _ => {
                let v = Val::from(def.raw(st));
                *cache = Some((id, v.clone()));
                v
            }
        };
        Some((st, v))
    }

    /// The value the Input pane shows: the selected history event's input,
    /// or the input of the state about to run.
    pub fn input_value(&self) -> Option<Val> {
        if let Some(r) = self.teaching_hold() {
            return r.input.clone();
        }
        if let Some(e) = self
            .history_selected
            .and_then(|i| self.session.moment().history().get(i))
        {
            if let Some(crate::engine::history::Field::Payload(v)) = e.detail("input") {
                return Some(v.clone());
            }
        }
        self.session.moment().current_input().cloned().or_else(|| {
            self.session
                .moment()
                .stages()
                .last()
                .and_then(|s| s.input.clone())
        })
    }

    /// The Output pane: the selected event's output, else the last state's
    /// output (with the input it came from, to mark changed keys).
    pub fn output_value(&self) -> (Option<Val>, Option<Val>) {
        if self.teaching_hold().is_some() {
            return (None, None);
        }
        if let Some(e) = self
            .history_selected
            .and_then(|i| self.session.moment().history().get(i))
        {
            if let Some(crate::engine::history::Field::Payload(v)) = e.detail("output") {
                return (Some(v.clone()), None);
            }
        }
        if let Some(o) = self.session.moment().output() {
            return (Some(o.clone()), None);
        }
        // At a Parallel's or Map's exit: what its children gave, or the
        // error one of them ended in.
        if self.session.moment().container_exit().is_some() {
            if let Some(r) = self.session.moment().container_result() {
                return (Some(r), None);
            }
            if let Some(e) = self.session.moment().error_pending() {
                let text = |t: Option<&str>| t.map(Val::str).unwrap_or(Val::Null);
                let error = Val::object([("Error", text(e.name())), ("Cause", text(e.cause()))]);
                return (Some(error), None);
            }
        }
        let last = self
            .session
            .moment()
            .stages()
            .iter()
            .rev()
            .find(|s| s.output.is_some());
        (
            last.and_then(|s| s.output.clone()),
            last.and_then(|s| s.input.clone()),
        )
    }

    /// The screen rows and columns the value viewer draws the value in.
    pub fn viewer_size(&self) -> (usize, usize) {
        (
            self.size.0 as usize,
            self.size.1.saturating_sub(super::viewer::CHROME) as usize,
        )
    }

    pub(super) fn view(&mut self, title: String, v: Val) {
        let mut viewer = super::viewer::Viewer::new(title, v);
        viewer.status = "esc goes back · / searches · y copies the value under the cursor".into();
        self.mode = Mode::View(Box::new(viewer));
    }

    /// `Enter` in the data pane: the value it shows, full-screen.
    pub(super) fn open_viewer(&mut self) {
        match self.tab {
            Tab::Input => match self.input_value() {
                Some(v) => self.view(format!("Input of {}", self.moment_name()), v),
                None => self.message = "No input to show yet.".into(),
            },
            Tab::Output => match self.output_value().0 {
                Some(v) => self.view(format!("Output · {}", self.moment_name()), v),
                None => self.message = "No output yet: step a state.".into(),
            },
            Tab::Inspector => {
                let picked = self
                    .pipeline()
                    .and_then(|p| p.values.get(self.stage_selected(&p)).cloned());
                match picked {
                    Some((title, v)) => self.view(format!("Stages › {title}"), v),
                    None => self.message = "Step a state first: no stage to show.".into(),
                }
            }
            Tab::History => {
                let h = self.session.moment().history();
                let i = self.history_selected.unwrap_or(h.len().saturating_sub(1));
                match h.get(i) {
                    Some(e) => {
                        let title = format!("History › event {} {}", e.id, e.event_type);
                        let v = e.to_readable();
                        self.view(title, v)
                    }
                    None => self.message = "No events yet.".into(),
                }
            }
            Tab::Variables => match self.var_rows().into_iter().nth(self.var_selected) {
                Some((title, v)) => self.view(title, v),
                None => self.message = "No variable or watch to show.".into(),
            },
            Tab::State => {
                if let Some((st, v)) = self.selected_definition() {
                    let title = format!("Definition of {} ({})", st.name, st.pointer);
                    self.view(title, v);
                }
            }
        }
    }

    /// The History events the filter keeps, by index.
    pub fn history_rows(&self) -> Vec<usize> {
        let h = self.session.moment().history();
        if self.history_filter.is_empty() {
            return (0..h.len()).collect();
        }
        let f = self.history_filter.to_lowercase();
        h.iter()
            .enumerate()
            .filter(|(_, e)| {
                e.event_type.as_str().to_lowercase().contains(&f)
                    || e.state
                        .as_deref()
                        .is_some_and(|s| s.to_lowercase().contains(&f))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The Vars tab's selectable rows: variables, then watches, each with a
    /// title and its value now.
    pub fn var_rows(&self) -> Vec<(String, Val)> {
        let mut out: Vec<(String, Val)> = self
            .session
            .moment()
            .variables()
            .into_iter()
            .map(|(k, v, _)| (format!("${k}"), v))
            .collect();
        for (w, v) in self.watch_values() {
            out.push((format!("watch {w}"), v.unwrap_or_else(Val::str)));
        }
        out
    }

    /// Each watch and its value now (or why it has none).
    pub fn watch_values(&self) -> Vec<WatchValue> {
        if let Some(v) = &*self.watch_cache.borrow() {
            if v.len() == self.watches.len()
                && v.iter()
                    .zip(&self.watches)
                    .all(|((s, _), w)| *s == w.source)
            {
                return v.clone();
            }
        }
        // What the watches keep to show is bounded with the budget, all of
        // them together (1 MiB of JSON in a class session, 16 MiB locally):
        // thirty-two watches of a megabyte each would hold 32 in a class.
        let keep = crate::budget::get().value_kept();
        let mut kept = 0usize;
        let values: Vec<_> = self
            .watches
            .iter()
            .map(|w| {
                let v = w
                    .eval(&self.session.moment())
                    .map(|v| v.unwrap_or_else(|| Val::str("(undefined)")))
                    .and_then(|v| match v.json_size() {
                        // The limit first: a narrow pane shows the start.
                        n if n > keep => Err(format!(
                            "a watch keeps at most {} of JSON; this value is {}: narrow the \
                             expression",
                            crate::budget::show_bytes(keep),
                            crate::budget::show_bytes(n)
                        )),
                        n if kept + n > keep => Err(format!(
                            "the watches keep at most {} of JSON together; this value is {} \
                             and the watches above keep {}: narrow an expression",
                            crate::budget::show_bytes(keep),
                            crate::budget::show_bytes(n),
                            crate::budget::show_bytes(kept)
                        )),
                        n => {
                            kept += n;
                            Ok(v)
                        }
                    });
                (w.source.clone(), v)
            })
            .collect();
        *self.watch_cache.borrow_mut() = Some(values.clone());
        values
    }

    /// The state (and branch/iteration) the panes show, for titles.
    pub(super) fn moment_name(&self) -> String {
        match self
            .history_selected
            .and_then(|i| self.session.moment().history().get(i))
        {
            Some(e) => format!(
                "event {} {}",
                e.id,
                e.state.as_deref().unwrap_or(e.event_type.as_str())
            ),
            None => self.current_name(),
        }
    }

    pub fn current_name(&self) -> String {
        let m = self.session.moment();
        let mut name = m.label();
        // Where in the fan-out: `(branch 2 of 2)`, `(iteration 3 of 3)`.
        let at = m.fan_out();
        if let Some(exit) = m.container_exit() {
            name.push_str(&format!(" ({exit})"));
        } else if !at.is_empty() && !m.is_done() {
            name.push_str(&format!(" ({at})"));
        }
        name
    }

    /// When the screen must be drawn again with nothing pressed (an
    /// evaluation held back while typing in the lab).
    pub fn wake_at(&self) -> Option<std::time::Instant> {
        match &self.mode {
            Mode::Lab(lab) => lab.wake_at(),
            _ => None,
        }
    }

    /// Whether the loop should call `update(Tick)` soon.
    pub fn needs_tick(&self) -> bool {
        self.session.is_running() || self.command_running.is_some()
    }

    /// Run a command until it stops (or its first slice, for continue).
    pub(super) fn command(&mut self, start: impl FnOnce(&mut Session)) {
        if self.session.moment().is_done() {
            self.message = "The execution has ended: r restarts it.".into();
            return;
        }
        if self.session.moment().waiting_for_task() {
            self.message = "A task waits for an answer: t (result) or x (error).".into();
            return;
        }
        start(&mut self.session);
        self.last_was_continue = self.session.is_continuing();
        self.history_selected = None;
        // The Stages tab opens on the last block: what the state ended with.
        self.stage_sel = usize::MAX;
        self.stage_scroll = 0;
        let stop = self.session.run(SLICE);
        self.after_stop(stop);
    }

    /// Limit what the editor and its drafts hold together (a class session).
    pub fn set_editor_cap(&mut self, bytes: usize) {
        self.editor_cap = bytes;
    }

    /// Bytes the open editor may still take: the cap less its text and the
    /// drafts of the other editors.
    pub(super) fn editor_room(&self) -> usize {
        let Mode::Edit(ed) = &self.mode else {
            return 0;
        };
        let own = format!("{:?}", ed.target);
        let text: usize = ed.area.lines().iter().map(|l| l.len() + 1).sum();
        let drafts: usize = self
            .drafts
            .iter()
            .filter(|(k, _)| **k != own)
            .map(|(_, v)| v.len())
            .sum();
        self.editor_cap.saturating_sub(text + drafts)
    }

    /// Whether an editor is open (typed text goes into it).
    pub fn editing(&self) -> bool {
        matches!(self.mode, Mode::Edit(_))
    }

    /// The editor open is a one-line prompt (Enter applies it).
    pub fn one_line_editor(&self) -> bool {
        matches!(&self.mode, Mode::Edit(ed) if ed.target.one_line())
    }

    pub fn open_editor(&mut self, target: EditTarget) {
        let key = format!("{target:?}");
        let text = match self.drafts.get(&key) {
            Some(d) => d.clone(),
            None => match &target {
                EditTarget::ExecutionInput => self.session.moment().execution_input().to_pretty(),
                EditTarget::StateInput => self
                    .session
                    .moment()
                    .current_input()
                    .map(Val::to_pretty)
                    .unwrap_or_else(|| "{}".into()),
                EditTarget::Variable(n) => self
                    .session
                    .moment()
                    .variables()
                    .into_iter()
                    .find(|(k, _, _)| k == n)
                    .map(|(_, v, _)| v.to_pretty())
                    .unwrap_or_default(),
                EditTarget::TaskResult => "{}".into(),
                EditTarget::TaskError => {
                    "{\n  \"Error\": \"Custom.Error\",\n  \"Cause\": \"Typed in the debugger\"\n}"
                        .into()
                }
                EditTarget::Watch => String::new(),
                EditTarget::BreakCondition(i) => self
                    .session
                    .breakpoints()
                    .get(*i)
                    .and_then(|b| b.condition.as_ref())
                    .map(|c| c.source.clone())
                    .unwrap_or_default(),
                EditTarget::BreakIteration(i) => {
                    match self.session.breakpoints().get(*i).map(|b| &b.at) {
                        Some(BreakAt::Iteration(_, _, n)) => n.to_string(),
                        _ => String::new(),
                    }
                }
                EditTarget::Definition(_) => match self.definition_to_edit() {
                    Ok((_, v)) => serde_json::to_string_pretty(&v).unwrap_or_default(),
                    Err(_) => String::new(),
                },
                EditTarget::Prediction(_) => String::new(),
            },
        };
        let mut area = TextArea::from(text.lines().map(str::to_string).collect::<Vec<_>>());
        area.set_cursor_line_style(ratatui::style::Style::default());
        if let EditTarget::Prediction(_) = target {
            // After the last answer, to change it.
            area.move_cursor(ratatui_textarea::CursorMove::Bottom);
            area.move_cursor(ratatui_textarea::CursorMove::End);
        }
        self.mode = Mode::Edit(Box::new(Editor {
            target,
            area,
            error: None,
        }));
    }

    /// Apply the editor's text; on a parse error the editor stays open with
    /// the error shown and nothing typed is lost.
    pub(super) fn apply_editor(&mut self) {
        let Mode::Edit(ed) = &mut self.mode else {
            return;
        };
        let text = ed.area.lines().join("\n");
        let key = format!("{:?}", ed.target);
        if let EditTarget::BreakCondition(i) | EditTarget::BreakIteration(i) = ed.target {
            let t = text.trim();
            if matches!(ed.target, EditTarget::BreakCondition(_)) {
                if let Err(e) = self.session.set_condition(i, t) {
                    ed.error = Some(e);
                    return;
                }
            }
            if let EditTarget::BreakIteration(_) = ed.target {
                let n = if t.is_empty() {
                    None
                } else {
                    match t.parse::<usize>() {
                        Ok(n) => Some(n),
                        Err(_) => {
                            ed.error =
                                Some(format!("'{t}' is not an iteration number (0, 1, 2, …)"));
                            return;
                        }
                    }
                };
                if self.session.set_iteration(i, n).is_err() {
                    self.mode = Mode::Breakpoints { selected: i };
                    return;
                }
            }
            self.mode = Mode::Breakpoints { selected: i };
            return;
        }
        if let EditTarget::Prediction(i) = ed.target {
            match self.check_prediction(i, &text) {
                Ok(()) => {
                    self.drafts.remove(&key);
                }
                Err(e) => {
                    if let Mode::Edit(ed) = &mut self.mode {
                        ed.error = Some(e);
                    }
                }
            }
            return;
        }
        if ed.target == EditTarget::Watch {
            // A JSONPath or intrinsic compiles as a path expression; anything
            // else is JSONata. Compiled here once, evaluated at each step.
            if self.watches.len() >= MAX_WATCHES {
                ed.error = Some(format!(
                    "At most {MAX_WATCHES} watches: delete one (d in the Vars tab) first."
                ));
                return;
            }
            if text.len() > MAX_WATCH_TEXT {
                ed.error = Some(format!(
                    "A watch is at most {} of text (this is {} bytes).",
                    crate::budget::show_bytes(MAX_WATCH_TEXT),
                    text.len()
                ));
                return;
            }
            match crate::debugger::watch::Watch::new(&text) {
                Ok(w) => {
                    self.watches.push(w);
                    self.drafts.remove(&key);
                    self.mode = Mode::Normal;
                    self.tab = Tab::Variables;
                    // Evaluated now (the Vars tab shows it next): one the
                    // budget stops, or that fails, is not said to be fine.
                    self.message = match self.watch_values().pop() {
                        Some((_, Err(e))) => format!(
                            "Watch added, but it fails here: {} (d in the Vars tab deletes it).",
                            e.lines().next().unwrap_or_default()
                        ),
                        _ => "Watch added (Vars tab; d deletes the selected one).".into(),
                    };
                }
                Err(e) => ed.error = Some(e),
            }
            return;
        }
        let v = match crate::asl::parse_document(&text, "edit.json") {
            Ok(d) => Val::from(&d.value),
            Err(e) => {
                ed.error = Some(format!(
                    "line {}, column {}: {}",
                    e.line, e.column, e.message
                ));
                return;
            }
        };
        let target = ed.target.clone();
        if let EditTarget::Definition(at) = &target {
            // Written only when the new definition is valid; else the
            // editor stays open with the reason.
            let value = v.to_json();
            return match self.write_definition(at, &value) {
                Ok(()) => {
                    self.drafts.remove(&key);
                    self.mode = Mode::Normal;
                }
                Err(e) => {
                    if let Mode::Edit(ed) = &mut self.mode {
                        ed.error = Some(e);
                    }
                }
            };
        }
        self.drafts.remove(&key);
        self.mode = Mode::Normal;
        match target {
            EditTarget::ExecutionInput => {
                self.session.set_execution_input(v);
                self.generation += 1;
                self.absorb_history();
                self.message = "Execution input replaced; the run starts over.".into();
            }
            EditTarget::StateInput => {
                if self.session.set_state_input(v) {
                    self.message = format!("Input of {} edited.", self.current_name());
                } else {
                    self.message = "The input can be edited only before a state is entered.".into();
                }
            }
            EditTarget::Variable(n) => {
                self.session.set_variable(&n, v);
                self.message = format!("${n} edited.");
            }
            EditTarget::TaskResult => {
                self.session.answer_task_by_hand(TaskOutcome::Succeeded(v));
                self.message = "Task answered: s or c goes on.".into();
            }
            EditTarget::TaskError => {
                // A null or missing Error/Cause fails the task without one,
                // as SendTaskFailure may.
                let field = |k: &str| v.get(k).and_then(|e| e.as_str()).map(String::from);
                self.session.answer_task_by_hand(TaskOutcome::Failed {
                    error: field("Error"),
                    cause: field("Cause"),
                });
                self.message = "Task failed as typed: s or c goes on.".into();
            }
            EditTarget::Watch
            | EditTarget::BreakCondition(_)
            | EditTarget::BreakIteration(_)
            | EditTarget::Definition(_)
            | EditTarget::Prediction(_) => {}
        }
        // An edit made after going back forks the run.
        if let Some(n) = self.session.take_forked() {
            let dropped = match n {
                0 => String::new(),
                1 => " (its 1 later edit dropped)".into(),
                n => format!(" (its {n} later edits dropped)"),
            };
            self.message = format!(
                "{} Forked here: the old future is gone{dropped}; the run goes on from this edit.",
                self.message
            );
        }
    }
}
