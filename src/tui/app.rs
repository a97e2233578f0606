//! The front end's model: what is on screen and what each key does.
//! `App::update` takes an [`Action`] and changes the model; drawing is a pure
//! function of the model (`view.rs`). One keymap table drives dispatch, the
//! hint bar and the `?` help.

use super::json_view::PrettyCache;
use super::theme::Theme;
use crate::asl::model::{Kind, MachineId, StateId};
use crate::asl::value::Val;
use crate::debugger::{BreakAt, Session, Stop};
use crate::engine::task::TaskOutcome;
use crate::engine::Status;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui_textarea::TextArea;
use std::collections::{HashMap, HashSet};

/// Engine steps per slice while continuing: small enough that a key press
/// (pause) is seen within a few milliseconds.
pub const SLICE: u64 = 20_000;

/// Status messages `M` keeps (the oldest tenth goes when it is full).
pub const LOG_MAX: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Input,
    Output,
    Inspector,
    History,
    Variables,
    State,
}

pub const TABS: [Tab; 6] = [
    Tab::Input,
    Tab::Output,
    Tab::Inspector,
    Tab::History,
    Tab::Variables,
    Tab::State,
];

impl Tab {
    /// A short title for narrow terminals.
    pub fn short(self) -> &'static str {
        match self {
            Tab::Input => "In",
            Tab::Output => "Out",
            Tab::Inspector => "Stages",
            Tab::History => "Hist",
            Tab::Variables => "Vars",
            Tab::State => "ASL",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Tab::Input => "Input",
            Tab::Output => "Output",
            Tab::Inspector => "Stages",
            Tab::History => "History",
            Tab::Variables => "Variables",
            Tab::State => "ASL",
        }
    }
}

/// Which pane has the keyboard: the states (graph or list) on the left, or
/// the data tabs on the right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Focus {
    /// The left pane: the graph or the list of states.
    States,
    Data,
}

/// What the left pane shows (`g` switches).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LeftPane {
    /// The state graph (the default).
    Graph,
    /// The states as an indented list.
    List,
}

/// The graph as laid out and drawn for the current compact and collapse
/// settings (computed once per change, not per frame).
pub struct GraphCache {
    pub layout: crate::graph::Layout,
    pub drawn: crate::graph::text::Rendered,
}

/// Where the graph pane was last drawn: screen origin and the graph cell at
/// its top-left corner (for mouse clicks).
#[derive(Debug, Clone, Copy, Default)]
pub struct GraphView {
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
    pub left: usize,
    pub top: usize,
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
}

impl EditTarget {
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
        }
    }
}

pub struct Editor {
    pub target: EditTarget,
    pub area: TextArea<'static>,
    pub error: Option<String>,
}

pub enum Mode {
    Normal,
    Search(Search),
    Help,
    Breakpoints {
        selected: usize,
    },
    /// Typing the History filter (`/` in History).
    HistoryFilter,
    /// The edits a restart replays (`R`): drop one with `d`.
    Edits {
        selected: usize,
    },
    Edit(Box<Editor>),
    /// A value full-screen (`Enter` on a stage, event, variable, pane).
    View(Box<super::viewer::Viewer>),
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
}

/// A key binding: the one table for dispatch, hints and help.
pub struct Binding {
    pub keys: &'static str,
    /// One word for the hint bar.
    pub short: &'static str,
    pub help: &'static str,
    /// Shown in the hint bar when this pane has focus (None: always).
    pub pane: Option<Focus>,
}

pub const KEYMAP: &[Binding] = &[
    Binding {
        keys: "s",
        short: "step",
        help: "step (one state; enters branches and iterations)",
        pane: None,
    },
    Binding {
        keys: "n",
        short: "over",
        help: "step over (a whole Parallel or Map)",
        pane: None,
    },
    Binding {
        keys: "i",
        short: "into",
        help: "step into the next branch or iteration",
        pane: None,
    },
    Binding {
        keys: "o",
        short: "out",
        help: "step out of the branch or iteration",
        pane: None,
    },
    Binding {
        keys: "c",
        short: "continue",
        help: "continue to a breakpoint or the end",
        pane: None,
    },
    Binding {
        keys: "space",
        short: "pause",
        help: "pause a running continue",
        pane: None,
    },
    Binding {
        keys: "u",
        short: "until",
        help: "run until the selected state",
        pane: Some(Focus::States),
    },
    Binding {
        keys: "b",
        short: "break",
        help: "toggle a breakpoint on the selected state",
        pane: Some(Focus::States),
    },
    Binding {
        keys: "/",
        short: "find",
        help: "find a state by name (in History: filter the events)",
        pane: None,
    },
    Binding {
        keys: "enter",
        short: "fold",
        help: "graph: collapse / expand a Parallel or Map (or the one around)",
        pane: Some(Focus::States),
    },
    Binding {
        keys: "g",
        short: "graph/list",
        help: "left pane: state graph or list",
        pane: Some(Focus::States),
    },
    Binding {
        keys: "B",
        short: "breakpoints",
        help: "list breakpoints (enable, remove)",
        pane: None,
    },
    Binding {
        keys: "E",
        short: "on-error",
        help: "break on errors (before Retry/Catch)",
        pane: None,
    },
    Binding {
        keys: "e",
        short: "edit",
        help: "edit the input of the next state (Vars tab: the variable)",
        pane: None,
    },
    Binding {
        keys: "t",
        short: "answer",
        help: "answer the waiting task with a result",
        pane: None,
    },
    Binding {
        keys: "{ / a",
        short: "answer {}/auto",
        help: "answer the waiting task with {} / answer every task with its input",
        pane: None,
    },
    Binding {
        keys: "x",
        short: "fail-task",
        help: "answer the waiting task with an error",
        pane: None,
    },
    Binding {
        keys: "w",
        short: "watch",
        help: "add a watch expression",
        pane: None,
    },
    Binding {
        keys: "enter",
        short: "view",
        help: "show the value whole: stage, event, variable, watch, In/Out",
        pane: Some(Focus::Data),
    },
    Binding {
        keys: "d",
        short: "diff/full",
        help: "Stages: changes or full values; Vars: delete the watch",
        pane: Some(Focus::Data),
    },
    Binding {
        keys: "f",
        short: "maximise",
        help: "the focused pane fills the screen (f again restores)",
        pane: None,
    },
    Binding {
        keys: "M",
        short: "messages",
        help: "every status message and error so far, whole",
        pane: None,
    },
    Binding {
        keys: "T",
        short: "teach",
        help: "teaching mode: s reveals one processing stage at a time",
        pane: None,
    },
    Binding {
        keys: "H",
        short: "heartbeat",
        help: "send a heartbeat for the waiting callback task",
        pane: None,
    },
    Binding {
        keys: "y",
        short: "explain",
        help: "explain each stage in plain words (on/off)",
        pane: None,
    },
    Binding {
        keys: "z",
        short: "compact",
        help: "compact state graph (small boxes, short names) on/off",
        pane: Some(Focus::States),
    },
    Binding {
        keys: "L",
        short: "lesson",
        help: "the sample's lesson beside the data (again: closes)",
        pane: None,
    },
    Binding {
        keys: "A",
        short: "abort",
        help: "abort the execution, as StopExecution does (ABORTED)",
        pane: None,
    },
    Binding {
        keys: "r",
        short: "restart",
        help: "restart: keeps breakpoints, replays edits where they were made",
        pane: None,
    },
    Binding {
        keys: "R",
        short: "edits",
        help: "edits a restart replays (state input, variables, task answers); d drops one",
        pane: None,
    },
    Binding {
        keys: "tab",
        short: "tabs",
        help: "next tab (1-6 pick one; focuses the data pane)",
        pane: None,
    },
    Binding {
        keys: "←↑↓→",
        short: "move",
        help: "graph: follow edges, in/out of containers (→ at edge: data)",
        pane: Some(Focus::States),
    },
    Binding {
        keys: "←/→",
        short: "focus",
        help: "data pane: ← back to the states",
        pane: Some(Focus::Data),
    },
    Binding {
        keys: "↑/↓ pgup/pgdn",
        short: "move",
        help: "lists: move/scroll; graph: pgup/pgdn half a pane, home/end",
        pane: None,
    },
    Binding {
        keys: "m",
        short: "mouse",
        help: "mouse on/off (off keeps copy-paste over SSH)",
        pane: None,
    },
    Binding {
        keys: "?",
        short: "help",
        help: "help",
        pane: None,
    },
    Binding {
        keys: "q",
        short: "quit",
        help: "quit",
        pane: None,
    },
];

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
    pub history_selected: Option<usize>,
    pub var_selected: usize,
    pub mode: Mode,
    pub message: String,
    /// What the execution has done so far (visited, failed, caught, visit
    /// counts, transitions taken), from its history.
    pub trace: crate::debugger::trace::Trace,
    pub watches: Vec<crate::debugger::watch::Watch>,
    pub drafts: HashMap<String, String>,
    pub mouse: bool,
    /// Plain-language explanations in the Stages pane.
    pub explain: bool,
    /// Teaching mode: `s` first reveals the last state's stages one by one.
    pub teach: bool,
    /// How many stages of the last state the Stages pane shows in teaching mode.
    pub revealed: usize,
    /// The sample's lesson text, if there is one.
    pub lesson: Option<String>,
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
    /// Where the graph pane was last drawn (mouse clicks).
    pub graph_view: std::cell::Cell<GraphView>,
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
        std::cell::RefCell<Option<(super::stages::Key, std::rc::Rc<super::stages::Pipeline>)>>,
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
    pub fn new(session: Session, title: String, theme: Theme) -> App {
        let mut rows = Vec::new();
        outline(session.definition(), 0, 0, &mut rows);
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
            history_selected: None,
            var_selected: 0,
            mode: Mode::Normal,
            message: "Ready: s steps, c continues, ? shows every key.".into(),
            trace: Default::default(),
            watches: Vec::new(),
            drafts: HashMap::new(),
            mouse: true,
            explain: false,
            teach: false,
            revealed: usize::MAX,
            lesson: None,
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
            graph_view: Default::default(),
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
        self.session.exec.current_ids()
    }

    /// The graph for the current settings, laid out and drawn on first use.
    pub fn graph(&self) -> &GraphCache {
        self.graph.get_or_init(|| {
            let layout = crate::graph::layout_with(
                self.session.definition(),
                0,
                self.graph_compact,
                &self.collapsed,
            );
            let drawn = crate::graph::text::render(&layout);
            GraphCache { layout, drawn }
        })
    }

    fn regraph(&mut self) {
        self.graph = std::cell::OnceCell::new();
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
    fn reveal(&mut self, id: (MachineId, StateId)) {
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
            .and_then(|i| self.session.exec.history().get(i))
            .and_then(|e| {
                let id = self.session.definition().find(e.state.as_deref()?)?;
                Some((id, e.frame.clone()))
            });
        match picked {
            Some((id, path)) => (Some(id), path),
            None => (self.current(), self.session.exec.frame_path()),
        }
    }

    pub fn selected_id(&self) -> Option<(MachineId, StateId)> {
        self.rows.get(self.selected).map(|r| (r.machine, r.state))
    }

    fn select_id(&mut self, id: (MachineId, StateId)) {
        if let Some(i) = self.row_of(id) {
            self.selected = i;
        }
    }

    /// An arrow key in the graph: along the edges, across a layer, into and
    /// out of containers. → with nothing to the right moves to the data pane.
    fn graph_move(&mut self, dir: crate::graph::nav::Dir) {
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
    fn graph_page(&mut self, pages: isize) {
        let Some(from) = self.selected_id().map(|i| self.shown(i)) else {
            return;
        };
        let boxes = &self.graph().drawn.boxes;
        let Some(b) = boxes.get(&from) else { return };
        let centre =
            |b: &(usize, usize, usize, usize)| ((b.0 + b.2 / 2) as isize, (b.1 + b.3 / 2) as isize);
        let (cx, cy) = centre(b);
        let step = (self.graph_view.get().h as isize / 2).max(4);
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

    fn row_name(&self, id: (MachineId, StateId)) -> String {
        self.session.definition().machines[id.0].states[id.1]
            .name
            .to_string()
    }

    /// One line about a selected state: its type, visits, breakpoint.
    fn describe(&self, id: (MachineId, StateId)) -> String {
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
    fn toggle_collapse(&mut self) {
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
    fn matches(&self, text: &str) -> Vec<usize> {
        let t = text.to_lowercase();
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.name.to_lowercase().contains(&t))
            .map(|(i, _)| i)
            .collect()
    }

    /// Select the first match at or after row `from` (`forward`), or before it.
    fn find(&mut self, text: &str, from: usize, forward: bool) {
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

    /// A click in the graph pane selects the box under it.
    fn graph_click(&mut self, col: u16, row: u16) -> bool {
        let v = self.graph_view.get();
        if col < v.x || row < v.y || col >= v.x + v.w || row >= v.y + v.h {
            return false;
        }
        let (gx, gy) = ((col - v.x) as usize + v.left, (row - v.y) as usize + v.top);
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
        true
    }

    pub fn row_of(&self, id: (MachineId, StateId)) -> Option<usize> {
        self.rows.iter().position(|r| (r.machine, r.state) == id)
    }

    fn follow_current(&mut self) {
        if let Some(i) = self.current().and_then(|c| self.row_of(c)) {
            self.selected = i;
        }
    }

    /// Record visited and failed states from new history events.
    fn absorb_history(&mut self) {
        self.trace
            .absorb(self.session.definition(), self.session.exec.history());
        self.trace
            .absorb_children(self.session.definition(), self.session.exec.child_events());
    }

    fn after_stop(&mut self, stop: Stop) {
        self.absorb_history();
        self.follow_current();
        self.message = match stop {
            Stop::Stepped => format!("Paused before {}", self.current_name()),
            Stop::Breakpoint(_) => format!("Breakpoint: paused before {}", self.current_name()),
            Stop::ErrorRaised => {
                let e = self
                    .session
                    .exec
                    .error_pending()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                format!(
                    "Error raised in {} (before Retry/Catch): {e}",
                    self.current_name()
                )
            }
            Stop::TaskPending
                if self.background.as_ref().is_some_and(|b| {
                    b.busy.load(std::sync::atomic::Ordering::SeqCst)
                        || b.slot.lock().map(|s| s.is_some()).unwrap_or(false)
                }) =>
            {
                self.command_running = Some(self.last_was_continue);
                format!("Running the task command for {}…", self.current_name())
            }
            Stop::TaskPending if self.auto_answer => {
                let input = self
                    .session
                    .exec
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
                    .exec
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
                        .exec
                        .error()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    format!("Execution {}: {e}", s.as_str())
                }
            },
            Stop::Budget => format!("Running… {} steps", self.session.steps),
            Stop::Paused => format!("Paused before {}", self.current_name()),
        };
    }

    /// In teaching mode, while the stages of the last state run are being
    /// revealed, that state's record: the screen stays at that state (its
    /// input, the graph's ▶, the header) and its output waits for the last
    /// stage.
    pub fn teaching_hold(&self) -> Option<&crate::engine::StageRecord> {
        if !self.teach || self.revealed >= self.stage_count() {
            return None;
        }
        self.session.exec.stages().last()
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
        self.session
            .exec
            .stages()
            .last()
            .map(|r| crate::debugger::pipeline::stages(self.session.definition(), r).len())
            .unwrap_or(0)
    }

    /// The value the Input pane shows: the selected history event's input,
    /// or the input of the state about to run.
    pub fn input_value(&self) -> Option<Val> {
        if let Some(r) = self.teaching_hold() {
            return r.input.clone();
        }
        if let Some(e) = self
            .history_selected
            .and_then(|i| self.session.exec.history().get(i))
        {
            if let Some(crate::engine::history::Field::Payload(v)) = e.detail("input") {
                return Some(v.clone());
            }
        }
        self.session.exec.current_input().cloned().or_else(|| {
            self.session
                .exec
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
            .and_then(|i| self.session.exec.history().get(i))
        {
            if let Some(crate::engine::history::Field::Payload(v)) = e.detail("output") {
                return (Some(v.clone()), None);
            }
        }
        if let Some(o) = self.session.exec.output() {
            return (Some(o.clone()), None);
        }
        let last = self
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

    /// The screen rows and columns the value viewer draws the value in.
    pub fn viewer_size(&self) -> (usize, usize) {
        (
            self.size.0 as usize,
            self.size.1.saturating_sub(super::viewer::CHROME) as usize,
        )
    }

    fn view(&mut self, title: String, v: Val) {
        let mut viewer = super::viewer::Viewer::new(title, v);
        viewer.status = "esc goes back · / searches · y copies the value under the cursor".into();
        self.mode = Mode::View(Box::new(viewer));
    }

    /// `Enter` in the data pane: the value it shows, full-screen.
    fn open_viewer(&mut self) {
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
                let picked = super::stages::pipeline(self)
                    .and_then(|p| p.values.get(super::stages::selected(self, &p)).cloned());
                match picked {
                    Some((title, v)) => self.view(format!("Stages › {title}"), v),
                    None => self.message = "Step a state first: no stage to show.".into(),
                }
            }
            Tab::History => {
                let h = self.session.exec.history();
                let i = self.history_selected.unwrap_or(h.len().saturating_sub(1));
                match h.get(i) {
                    Some(e) => {
                        let title = format!("History › event {} {}", e.id, e.event_type);
                        let v = super::history::event_value(e);
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
                if let Some(r) = self.rows.get(self.selected) {
                    let st = &self.session.definition().machines[r.machine].states[r.state];
                    let title = format!("Definition of {} ({})", st.name, st.pointer);
                    let v = Val::from(&st.raw);
                    self.view(title, v);
                }
            }
        }
    }

    /// The History events the filter keeps, by index.
    pub fn history_rows(&self) -> Vec<usize> {
        let h = self.session.exec.history();
        if self.history_filter.is_empty() {
            return (0..h.len()).collect();
        }
        let f = self.history_filter.to_lowercase();
        h.iter()
            .enumerate()
            .filter(|(_, e)| {
                e.event_type.to_lowercase().contains(&f)
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
            .exec
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
    pub fn watch_values(&self) -> Vec<(String, Result<Val, String>)> {
        self.watches
            .iter()
            .map(|w| {
                let v = w
                    .eval(&self.session.exec)
                    .map(|v| v.unwrap_or_else(|| Val::str("(undefined)")));
                (w.source.clone(), v)
            })
            .collect()
    }

    /// The state (and branch/iteration) the panes show, for titles.
    fn moment_name(&self) -> String {
        match self
            .history_selected
            .and_then(|i| self.session.exec.history().get(i))
        {
            Some(e) => format!(
                "event {} {}",
                e.id,
                e.state.as_deref().unwrap_or(e.event_type)
            ),
            None => self.current_name(),
        }
    }

    pub fn current_name(&self) -> String {
        let mut name = self
            .session
            .exec
            .current_state()
            .map(|s| s.name.to_string())
            .unwrap_or_else(|| "(end)".into());
        let path = self.session.exec.frame_path();
        if !path.is_empty() {
            name.push(' ');
            name.push_str(&crate::engine::history::path_label(&path));
        }
        name
    }

    /// Whether the loop should call `update(Tick)` soon.
    pub fn needs_tick(&self) -> bool {
        self.session.is_running() || self.command_running.is_some()
    }

    /// Run a command until it stops (or its first slice, for continue).
    fn command(&mut self, start: impl FnOnce(&mut Session)) {
        if self.session.exec.is_done() {
            self.message = "The execution has ended: r restarts it.".into();
            return;
        }
        if self.session.exec.waiting_for_task() {
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

    /// Whether an editor is open (typed text goes into it).
    pub fn editing(&self) -> bool {
        matches!(self.mode, Mode::Edit(_))
    }

    pub fn open_editor(&mut self, target: EditTarget) {
        let key = format!("{target:?}");
        let text = match self.drafts.get(&key) {
            Some(d) => d.clone(),
            None => match &target {
                EditTarget::ExecutionInput => self.session.exec.execution_input().to_pretty(),
                EditTarget::StateInput => self
                    .session
                    .exec
                    .current_input()
                    .map(Val::to_pretty)
                    .unwrap_or_else(|| "{}".into()),
                EditTarget::Variable(n) => self
                    .session
                    .exec
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
                    .breakpoints
                    .get(*i)
                    .and_then(|b| b.condition.as_ref())
                    .map(|c| c.source.clone())
                    .unwrap_or_default(),
                EditTarget::BreakIteration(i) => {
                    match self.session.breakpoints.get(*i).map(|b| &b.at) {
                        Some(BreakAt::Iteration(_, _, n)) => n.to_string(),
                        _ => String::new(),
                    }
                }
            },
        };
        let mut area = TextArea::from(text.lines().map(str::to_string).collect::<Vec<_>>());
        area.set_cursor_line_style(ratatui::style::Style::default());
        self.mode = Mode::Edit(Box::new(Editor {
            target,
            area,
            error: None,
        }));
    }

    /// Apply the editor's text; on a parse error the editor stays open with
    /// the error shown and nothing typed is lost.
    fn apply_editor(&mut self) {
        let Mode::Edit(ed) = &mut self.mode else {
            return;
        };
        let text = ed.area.lines().join("\n");
        let key = format!("{:?}", ed.target);
        if let EditTarget::BreakCondition(i) | EditTarget::BreakIteration(i) = ed.target {
            let t = text.trim();
            let Some(b) = self.session.breakpoints.get_mut(i) else {
                self.mode = Mode::Breakpoints { selected: 0 };
                return;
            };
            if matches!(ed.target, EditTarget::BreakCondition(_)) {
                if t.is_empty() {
                    b.condition = None;
                } else {
                    match crate::asl::jsonata::Expr::parse(t) {
                        Ok(e) => b.condition = Some(e),
                        Err(e) => {
                            ed.error = Some(e);
                            return;
                        }
                    }
                }
            } else {
                let (m, st) = match b.at {
                    BreakAt::State(m, s) | BreakAt::Iteration(m, s, _) => (m, s),
                    BreakAt::Error => {
                        self.mode = Mode::Breakpoints { selected: i };
                        return;
                    }
                };
                if t.is_empty() {
                    b.at = BreakAt::State(m, st);
                } else {
                    match t.parse::<usize>() {
                        Ok(n) => b.at = BreakAt::Iteration(m, st, n),
                        Err(_) => {
                            ed.error =
                                Some(format!("'{t}' is not an iteration number (0, 1, 2, …)"));
                            return;
                        }
                    }
                }
            }
            self.mode = Mode::Breakpoints { selected: i };
            return;
        }
        if ed.target == EditTarget::Watch {
            // A JSONPath or intrinsic compiles as a path expression; anything
            // else is JSONata. Compiled here once, evaluated at each step.
            match crate::debugger::watch::Watch::new(&text) {
                Ok(w) => {
                    self.watches.push(w);
                    self.drafts.remove(&key);
                    self.mode = Mode::Normal;
                    self.tab = Tab::Variables;
                    self.message = "Watch added (Vars tab; d deletes the selected one).".into();
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
            EditTarget::Watch | EditTarget::BreakCondition(_) | EditTarget::BreakIteration(_) => {}
        }
    }

    fn scroll_by(&mut self, d: isize) {
        let s = self.scroll.entry(self.tab).or_default();
        *s = (*s as isize + d).max(0) as usize;
    }

    fn move_selection(&mut self, d: isize) {
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
                Tab::Variables => {
                    let n = self.session.exec.variables().len() + self.watches.len();
                    self.var_selected = (self.var_selected as isize + d)
                        .clamp(0, n.saturating_sub(1) as isize)
                        as usize;
                }
                Tab::Inspector => {
                    let blocks = super::stages::pipeline(self)
                        .map(|p| p.headers.len())
                        .unwrap_or(0);
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
                        self.stage_scroll =
                            (self.stage_scroll as isize + d.signum() * page).max(0) as usize;
                    }
                }
                _ => self.scroll_by(d),
            },
        }
    }

    pub fn update(&mut self, a: Action) {
        self.act(a);
        if self.log.last() != Some(&self.message) && !self.message.is_empty() {
            if self.log.len() >= LOG_MAX {
                self.log.drain(..LOG_MAX / 10);
            }
            self.log.push(self.message.clone());
        }
    }

    fn act(&mut self, a: Action) {
        match a {
            Action::Resize(w, h) => self.size = (w, h),
            Action::Paste(text) => {
                if let Mode::Edit(ed) = &mut self.mode {
                    // Terminals send a newline as CR inside a paste.
                    ed.area
                        .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
                    ed.error = None;
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
                        self.session.answer_task(outcome);
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
            Action::Mouse(m) => self.mouse_event(m),
            Action::Key(k) => self.key(k),
        }
    }

    fn mouse_event(&mut self, m: MouseEvent) {
        if !self.mouse {
            return;
        }
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp
                if matches!(self.mode, Mode::View(_)) =>
            {
                let code = if m.kind == MouseEventKind::ScrollDown {
                    KeyCode::Down
                } else {
                    KeyCode::Up
                };
                for _ in 0..3 {
                    self.key(KeyEvent::new(code, KeyModifiers::NONE));
                }
            }
            MouseEventKind::ScrollDown => self.move_selection(3),
            MouseEventKind::ScrollUp => self.move_selection(-3),
            MouseEventKind::Down(_) => {
                let left_w = super::view::left_width(self);
                if m.column < left_w {
                    self.focus = Focus::States;
                    if self.left == LeftPane::Graph {
                        self.graph_click(m.column, m.row);
                        return;
                    }
                    let row = m.row.saturating_sub(2) as usize + self.outline_scroll;
                    if row < self.rows.len() {
                        self.selected = row;
                    }
                } else {
                    self.focus = Focus::Data;
                }
            }
            _ => {}
        }
    }

    fn key(&mut self, k: KeyEvent) {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        let viewer_size = self.viewer_size();
        match &mut self.mode {
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
                    || k.code == KeyCode::F(2);
                if apply {
                    self.apply_editor();
                } else if k.code == KeyCode::Esc {
                    // Keep what was typed for the next time this editor opens.
                    let key = format!("{:?}", ed.target);
                    self.drafts.insert(key, ed.area.lines().join("\n"));
                    self.mode = Mode::Normal;
                    self.message = "Edit put aside (e reopens it with your text).".into();
                } else {
                    ed.area.input(k);
                    ed.error = None;
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
            Mode::Help => {
                match k.code {
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
                        let what = self.session.edits[i].describe();
                        self.session.drop_edit(i);
                        *selected = (*selected).min(list.len().saturating_sub(2));
                        self.message = format!("Dropped: {what} (the next restart leaves it out)");
                    }
                    _ => self.mode = Mode::Normal,
                }
                return;
            }
            Mode::Breakpoints { selected } => {
                let n = self.session.breakpoints.len();
                match k.code {
                    KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        *selected = (*selected + 1).min(n.saturating_sub(1))
                    }
                    KeyCode::Char(' ') | KeyCode::Enter if *selected < n => {
                        let b = &mut self.session.breakpoints[*selected];
                        b.enabled = !b.enabled;
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
                        self.session.breakpoints.remove(*selected);
                        *selected = (*selected).min(n.saturating_sub(2));
                    }
                    _ => self.mode = Mode::Normal,
                }
                return;
            }
            Mode::Normal => {}
        }
        if self.focus == Focus::States && self.lesson_open {
            let d: isize = match k.code {
                KeyCode::Up | KeyCode::Char('k') => -1,
                KeyCode::Down | KeyCode::Char('j') => 1,
                KeyCode::PageUp => -10,
                KeyCode::PageDown => 10,
                KeyCode::Home => -1_000_000,
                _ => 0,
            };
            if d != 0 {
                self.lesson_scroll = (self.lesson_scroll as isize + d).max(0) as usize;
                return;
            }
        }
        if self.focus == Focus::States && self.left == LeftPane::Graph {
            use crate::graph::nav::Dir;
            let dir = match k.code {
                KeyCode::Up | KeyCode::Char('k') => Some(Dir::Up),
                KeyCode::Down | KeyCode::Char('j') => Some(Dir::Down),
                KeyCode::Left | KeyCode::Char('h') => Some(Dir::Left),
                KeyCode::Right | KeyCode::Char('l') => Some(Dir::Right),
                _ => None,
            };
            if let Some(d) = dir {
                self.graph_move(d);
                return;
            }
            if k.code == KeyCode::Enter {
                self.toggle_collapse();
                return;
            }
            let page = match k.code {
                KeyCode::PageDown => Some(1),
                KeyCode::PageUp => Some(-1),
                KeyCode::End => Some(1_000),
                KeyCode::Home => Some(-1_000),
                _ => None,
            };
            if let Some(p) = page {
                self.graph_page(p);
                return;
            }
        }
        match k.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('/') if self.focus == Focus::Data && self.tab == Tab::History => {
                self.mode = Mode::HistoryFilter;
                self.message =
                    "Filter History by event type or state name (enter keeps, esc clears)".into();
            }
            KeyCode::Char('/') => {
                self.mode = Mode::Search(Search {
                    text: String::new(),
                    before: self.selected,
                });
                self.message = "/ (type part of a state's name)".into();
            }
            KeyCode::Char('g') => {
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
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Char('L') => match self.lesson {
                Some(_) => {
                    self.lesson_open = !self.lesson_open;
                    self.focus = Focus::States;
                    self.message = if self.lesson_open {
                        "Lesson open beside the data (↑/↓ scroll it, L closes); s steps as usual."
                            .into()
                    } else {
                        "Lesson closed (L opens it).".into()
                    };
                }
                None => self.message = "No lesson: this is not a bundled sample.".into(),
            },
            KeyCode::Char('z') => {
                self.graph_compact = !self.graph_compact;
                self.regraph();
                self.left = LeftPane::Graph;
                self.message = format!(
                    "Compact graph {}",
                    if self.graph_compact { "on" } else { "off" }
                );
            }
            KeyCode::Char('y') => {
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
            KeyCode::Char('s') if self.teach && self.revealed < self.stage_count() => {
                self.revealed += 1;
                self.tab = Tab::Inspector;
                let n = self.stage_count();
                self.message = if self.revealed < n {
                    format!("Stage {} of {n} (s reveals the next)", self.revealed)
                } else {
                    format!("All {n} stages shown: s runs the next state")
                };
            }
            KeyCode::Char('s') | KeyCode::Char('i') => {
                self.command(|s| s.step());
                if self.teach {
                    self.revealed = 1;
                    self.tab = Tab::Inspector;
                }
            }
            KeyCode::Char('T') => {
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
            KeyCode::Char('H') => {
                self.message = match self.session.exec.task_token() {
                    Some(t) if self.session.exec.waiting_for_task() => {
                        format!("Heartbeat sent for task token {t} (asldbg simulates no heartbeat timeout; the task still waits)")
                    }
                    _ => "No callback task waits for a heartbeat.".into(),
                };
            }
            KeyCode::Char('n') => self.command(|s| s.step_over()),
            KeyCode::Char('o') => self.command(|s| s.step_out()),
            KeyCode::Char('c') => self.command(|s| s.continue_run()),
            KeyCode::Char(' ') | KeyCode::Char('p') if self.session.is_running() => {
                self.session.pause();
                self.after_stop(Stop::Paused);
            }
            KeyCode::Char('u') => {
                if let Some(r) = self.rows.get(self.selected) {
                    let (m, s) = (r.machine, r.state);
                    self.command(|x| x.run_to(m, s));
                }
            }
            KeyCode::Char('b') => {
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
            KeyCode::Char('B') => self.mode = Mode::Breakpoints { selected: 0 },
            KeyCode::Char('R') => self.mode = Mode::Edits { selected: 0 },
            KeyCode::Char('A') => {
                if self.session.exec.is_done() {
                    self.message = "The execution has ended: r restarts it.".into();
                } else {
                    self.session.stop();
                    self.absorb_history();
                    self.message = "Execution aborted (ExecutionAborted): r restarts it.".into();
                }
            }
            KeyCode::Char('E') => {
                self.session.break_on_error = !self.session.break_on_error;
                self.message = format!(
                    "Break on errors {}",
                    if self.session.break_on_error {
                        "on"
                    } else {
                        "off"
                    }
                );
            }
            KeyCode::Char('e') if self.focus == Focus::Data && self.tab == Tab::Variables => {
                match self.session.exec.variables().get(self.var_selected) {
                    Some((n, _, _)) => {
                        let n = n.clone();
                        self.open_editor(EditTarget::Variable(n));
                    }
                    None => self.message = "Select a variable to edit (↑/↓).".into(),
                }
            }
            KeyCode::Char('d') if self.focus == Focus::Data && self.tab == Tab::Variables => {
                let vars = self.session.exec.variables().len();
                match self.var_selected.checked_sub(vars) {
                    Some(i) if i < self.watches.len() => {
                        let w = self.watches.remove(i);
                        self.var_selected = self.var_selected.saturating_sub(1);
                        self.message = format!("Watch {} deleted.", w.source);
                    }
                    _ => self.message = "Select a watch to delete (↑/↓).".into(),
                }
            }
            KeyCode::Char('d') if self.tab == Tab::Inspector || self.focus == Focus::Data => {
                self.stage_diff = !self.stage_diff;
                self.tab = Tab::Inspector;
                self.message = if self.stage_diff {
                    "Stages show what each one changed (d: full values).".into()
                } else {
                    "Stages show full values (d: changes).".into()
                };
            }
            KeyCode::Char('f') => {
                self.maximized = !self.maximized;
                self.message = if self.maximized {
                    "Pane maximised (f restores the layout).".into()
                } else {
                    "Layout restored.".into()
                };
            }
            KeyCode::Char('M') => {
                let log = Val::arr(self.log.iter().map(|m| Val::str(m.as_str())).collect());
                self.view("Messages, oldest first".into(), log);
                if let Mode::View(v) = &mut self.mode {
                    v.cursor = v.tree.len().saturating_sub(2) as u32;
                }
            }
            KeyCode::Char('e') => {
                if self.session.at_start() {
                    self.open_editor(EditTarget::ExecutionInput)
                } else if self.session.exec.at_state_entry() {
                    self.open_editor(EditTarget::StateInput)
                } else {
                    self.message = "Nothing to edit here: step to the next state first.".into();
                }
            }
            KeyCode::Char('t') | KeyCode::Char('x') => {
                if self.session.exec.waiting_for_task() {
                    self.open_editor(if k.code == KeyCode::Char('t') {
                        EditTarget::TaskResult
                    } else {
                        EditTarget::TaskError
                    });
                } else {
                    self.message = "No task waits for an answer.".into();
                }
            }
            KeyCode::Char('w') => self.open_editor(EditTarget::Watch),
            KeyCode::Char('{') => {
                if self.session.exec.waiting_for_task() {
                    self.session
                        .answer_task_by_hand(TaskOutcome::Succeeded(Val::empty_obj()));
                    self.message = "Task answered with {}: s or c goes on.".into();
                } else {
                    self.message = "No task waits for an answer.".into();
                }
            }
            KeyCode::Char('a') => {
                self.auto_answer = !self.auto_answer;
                self.message = if self.auto_answer {
                    "Auto-answer on: every task that waits is answered with its own input.".into()
                } else {
                    "Auto-answer off: tasks with no answer wait for you.".into()
                };
                if self.auto_answer && self.session.exec.waiting_for_task() {
                    self.after_stop(Stop::TaskPending);
                }
            }
            KeyCode::Char('V') => match self.session.exec.pending_task_input() {
                Some(v) if self.session.exec.waiting_for_task() => {
                    let title = format!("Input of the waiting task {}", self.current_name());
                    let v = v.clone();
                    self.view(title, v);
                }
                _ => self.message = "No task waits for an answer.".into(),
            },
            KeyCode::Char('r') => {
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
                    1 => "Restarted: 1 edit is replayed when the run reaches it (R lists it).".into(),
                    n => format!(
                        "Restarted: {n} edits are replayed when the run reaches them (R lists them)."
                    ),
                };
            }
            KeyCode::Char('m') => {
                self.mouse = !self.mouse;
                self.message = format!("Mouse {}", if self.mouse { "on" } else { "off" });
            }
            KeyCode::Tab => {
                let i = TABS.iter().position(|t| *t == self.tab).unwrap_or(0);
                self.tab = TABS[(i + 1) % TABS.len()];
                self.focus = Focus::Data;
            }
            KeyCode::BackTab => {
                let i = TABS.iter().position(|t| *t == self.tab).unwrap_or(0);
                self.tab = TABS[(i + TABS.len() - 1) % TABS.len()];
                self.focus = Focus::Data;
            }
            KeyCode::Char(c @ '1'..='6') => {
                self.tab = TABS[(c as u8 - b'1') as usize];
                self.focus = Focus::Data;
            }
            KeyCode::Left | KeyCode::Char('h') => self.focus = Focus::States,
            KeyCode::Right | KeyCode::Char('l') => self.focus = Focus::Data,
            KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
            KeyCode::PageUp => self.move_selection(-10),
            KeyCode::PageDown => self.move_selection(10),
            KeyCode::Home => self.move_selection(-1_000_000),
            KeyCode::End => self.move_selection(1_000_000),
            KeyCode::Enter if self.focus == Focus::Data => self.open_viewer(),
            KeyCode::Esc => self.history_selected = None,
            _ => {}
        }
    }
}
