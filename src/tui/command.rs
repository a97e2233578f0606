//! What the user can ask of the debugger ([`Command`]) and the one table
//! ([`KEYMAP`]) that binds keys to commands. The table drives dispatch (the
//! first binding whose key and scope match wins), the hint bar (what works
//! where the keyboard is now) and the `?` help, so the three cannot drift
//! apart. Mouse events are turned into the same commands.

use super::panes::{Focus, LeftPane, Tab};
use crate::graph::nav::Dir;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key (or a click) can ask for in the main screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Command {
    Step,
    /// Back to the moment before (one state, as `s` went).
    StepBack,
    /// Back over a whole Parallel or Map.
    BackOver,
    /// One history event back / forward.
    EventBack,
    EventForward,
    /// Move the run to the History event selected.
    JumpToEvent,
    /// Type an event number and move the run there.
    GoToEvent,
    /// The run beside a history: where they part, what differs.
    Compare,
    /// Read the definition file again and run it.
    Reload,
    /// Edit the selected state's JSON and write it back to the file.
    EditDefinition,
    StepOver,
    StepInto,
    StepOut,
    Continue,
    Pause,
    RunUntil,
    ToggleBreakpoint,
    FindState,
    /// `/` in a JSON pane: the value whole, searching its keys and values.
    FindInValue,
    FilterHistory,
    ToggleFold,
    ToggleLeftPane,
    Breakpoints,
    BreakOnError,
    EditInput,
    EditVariable,
    AnswerTask,
    FailTask,
    AnswerEmpty,
    AutoAnswer,
    ViewTaskInput,
    AddWatch,
    /// The expression lab: type an expression, see its value as you type.
    Lab,
    /// Stages: edit the field that made the selected stage, what-if.
    WhatIf,
    DeleteWatch,
    ViewValue,
    ToggleDiff,
    Maximise,
    Messages,
    Teach,
    Heartbeat,
    Explain,
    Compact,
    Coverage,
    SaveSession,
    Lesson,
    /// The lesson's exercise at hand (`X`).
    Exercise,
    /// Every exercise of the lesson with its status (`P`).
    Exercises,
    /// Raise or lower a hand for the teacher (`!`).
    RaiseHand,
    /// The teacher's view of the class (`K`).
    Class,
    /// Follow the teacher's session (the classroom), or stop following.
    Follow,
    Abort,
    Restart,
    Edits,
    NextTab,
    PrevTab,
    PickTab(Tab),
    FocusStates,
    FocusData,
    /// Move the selection of the focused list (or scroll its pane).
    Move(isize),
    GraphMove(Dir),
    /// Half a graph pane down (up); large numbers go to the last box.
    GraphPage(isize),
    LessonScroll(isize),
    /// Scroll the focused JSON pane sideways by this many columns.
    Sideways(isize),
    /// Back to the state about to run (drops the History pick).
    Deselect,
    Mouse,
    Help,
    Quit,
    /// A click on row `n` of the state list.
    PickRow(usize),
    /// A click on the graph drawing at this cell (drawing coordinates).
    PickGraphCell(usize, usize),
}

/// Where a binding works.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scope {
    Anywhere,
    /// The left pane has the keyboard (graph or list).
    States,
    /// The graph has the keyboard.
    Graph,
    /// The lesson beside the data has the keyboard.
    Lesson,
    /// The data pane has the keyboard.
    Data,
    /// The data pane has the keyboard and shows this tab.
    DataTab(Tab),
}

/// Where the keyboard is: what scopes are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub focus: Focus,
    pub left: LeftPane,
    pub lesson_open: bool,
    pub tab: Tab,
}

impl Scope {
    pub fn holds(self, c: &Context) -> bool {
        let states = c.focus == Focus::States;
        match self {
            Scope::Anywhere => true,
            Scope::States => states,
            Scope::Graph => states && c.left == LeftPane::Graph && !c.lesson_open,
            Scope::Lesson => states && c.lesson_open,
            Scope::Data => !states,
            Scope::DataTab(t) => !states && c.tab == t,
        }
    }
}

/// A key as a binding names it (Shift is part of the character).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Key(pub KeyCode);

impl Key {
    fn matches(self, k: &KeyEvent) -> bool {
        // Ctrl and Alt chords are not bindings of this table.
        let chord = k
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        !chord && self.0 == k.code
    }
}

const fn c(ch: char) -> Key {
    Key(KeyCode::Char(ch))
}

/// One row of the keymap.
pub struct Binding {
    pub keys: &'static [Key],
    /// The keys as the hint bar and the help show them.
    pub label: &'static str,
    pub command: Command,
    pub scope: Scope,
    /// One word for the hint bar ("": never hinted).
    pub short: &'static str,
    /// The help line ("": an alias the help does not list again).
    pub help: &'static str,
}

const fn bind(
    keys: &'static [Key],
    label: &'static str,
    command: Command,
    scope: Scope,
    short: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        label,
        command,
        scope,
        short,
        help,
    }
}

use Command as C;
use Scope as S;

/// Stepping comes first: the hint bar always starts with these.
const STEPPING: usize = 5;

/// The keymap: the first binding whose key matches and whose scope holds
/// runs; narrower scopes therefore stand before [`Scope::Anywhere`].
#[rustfmt::skip]
pub const KEYMAP: &[Binding] = &[
    bind(&[c('s')], "s", C::Step, S::Anywhere, "step", "step (one state; enters branches and iterations)"),
    bind(&[c('n')], "n", C::StepOver, S::Anywhere, "over", "step over (a whole Parallel or Map)"),
    bind(&[c('i')], "i", C::StepInto, S::Anywhere, "into", "the next state that runs, in any branch or iteration"),
    bind(&[c('o')], "o", C::StepOut, S::Anywhere, "out", "finish this branch or iteration, stop at what runs next"),
    bind(&[c('c')], "c", C::Continue, S::Anywhere, "continue", "continue to a breakpoint or the end"),
    bind(&[c('S')], "S", C::StepBack, S::Anywhere, "back", "step back (one state, as s went): every pane as it was then"),
    bind(&[c('N')], "N", C::BackOver, S::Anywhere, "", "step back over a whole Parallel or Map"),
    bind(&[c('[')], "[ / ]", C::EventBack, S::Anywhere, "", "one history event back / forward"),
    bind(&[c(']')], "", C::EventForward, S::Anywhere, "", ""),
    bind(&[c('J')], "J", C::JumpToEvent, S::DataTab(Tab::History), "jump", "History: move the run to the selected event (s and c replay from there)"),
    bind(&[c('G')], "G", C::GoToEvent, S::Anywhere, "", "go to event number … (the whole debugger moves there)"),
    bind(&[c(' '), c('p')], "space", C::Pause, S::Anywhere, "pause", "pause a running continue (p too)"),
    bind(&[c('u')], "u", C::RunUntil, S::States, "until", "run until the selected state"),
    bind(&[c('b')], "b", C::ToggleBreakpoint, S::States, "break", "toggle a breakpoint on the selected state"),
    // The lesson beside the data takes the scrolling keys while it has the keyboard.
    bind(&[Key(KeyCode::Up), c('k')], "↑/↓ pgup/pgdn", C::LessonScroll(-1), S::Lesson, "scroll", "lesson: scroll it (home: its top)"),
    bind(&[Key(KeyCode::Down), c('j')], "", C::LessonScroll(1), S::Lesson, "", ""),
    bind(&[Key(KeyCode::PageUp)], "", C::LessonScroll(-10), S::Lesson, "", ""),
    bind(&[Key(KeyCode::PageDown)], "", C::LessonScroll(10), S::Lesson, "", ""),
    bind(&[Key(KeyCode::Home)], "", C::LessonScroll(-1_000_000), S::Lesson, "", ""),
    // The graph: arrows follow its edges.
    bind(&[Key(KeyCode::Up), c('k')], "←↑↓→ hjkl", C::GraphMove(Dir::Up), S::Graph, "move", "graph: follow edges, in/out of containers (→ at the edge: data)"),
    bind(&[Key(KeyCode::Down), c('j')], "", C::GraphMove(Dir::Down), S::Graph, "", ""),
    bind(&[Key(KeyCode::Left), c('h')], "", C::GraphMove(Dir::Left), S::Graph, "", ""),
    bind(&[Key(KeyCode::Right), c('l')], "", C::GraphMove(Dir::Right), S::Graph, "", ""),
    bind(&[Key(KeyCode::PageDown)], "pgup/dn home/end", C::GraphPage(1), S::Graph, "", "graph: half a pane down/up, first/last state"),
    bind(&[Key(KeyCode::PageUp)], "", C::GraphPage(-1), S::Graph, "", ""),
    bind(&[Key(KeyCode::End)], "", C::GraphPage(1_000), S::Graph, "", ""),
    bind(&[Key(KeyCode::Home)], "", C::GraphPage(-1_000), S::Graph, "", ""),
    bind(&[Key(KeyCode::Enter)], "enter", C::ToggleFold, S::Graph, "fold", "graph: collapse / expand a Parallel or Map (or the one around)"),
    bind(&[Key(KeyCode::Enter)], "enter", C::ViewValue, S::Data, "view", "show the value whole: stage, event, variable, watch, In/Out/ASL"),
    bind(&[c('>')], "< / >", C::Sideways(8), S::Data, "", "JSON panes: scroll right / left (lines stop wrapping; back at 0 they wrap)"),
    bind(&[c('<')], "", C::Sideways(-8), S::Data, "", ""),
    bind(&[c('/')], "/", C::FilterHistory, S::DataTab(Tab::History), "filter", "History: filter the events by type or state name"),
    bind(&[c('/')], "/", C::FindInValue, S::DataTab(Tab::Input), "find", "Input, Output, ASL: search the JSON's keys and values (the value whole; n/N next/previous)"),
    bind(&[c('/')], "/", C::FindInValue, S::DataTab(Tab::Output), "find", ""),
    bind(&[c('/')], "/", C::FindInValue, S::DataTab(Tab::State), "find", ""),
    bind(&[c('/')], "/", C::FindState, S::Anywhere, "find", "find a state by name"),
    bind(&[c('e')], "e", C::EditVariable, S::DataTab(Tab::Variables), "edit", "Variables: edit the selected variable"),
    bind(&[c('e')], "e", C::WhatIf, S::DataTab(Tab::Inspector), "what-if", "Stages: edit the field that made the selected stage; every stage after it recomputes as you type (enter keeps it)"),
    bind(&[c('e')], "e", C::EditDefinition, S::DataTab(Tab::State), "edit", "ASL: edit the state's JSON; written back to the file (rest kept), then reloaded"),
    bind(&[c('e')], "e", C::EditInput, S::Anywhere, "edit", "edit the input of the next state (at the start: the execution's)"),
    bind(&[c('d')], "d", C::DeleteWatch, S::DataTab(Tab::Variables), "delete", "Variables: delete the selected watch"),
    bind(&[c('d')], "d", C::ToggleDiff, S::Anywhere, "diff/full", "Stages: what each stage changed, or full values"),
    bind(&[c('t')], "t", C::AnswerTask, S::Anywhere, "answer", "answer the waiting task with a result"),
    bind(&[c('x')], "x", C::FailTask, S::Anywhere, "fail-task", "answer the waiting task with an error"),
    bind(&[c('{')], "{", C::AnswerEmpty, S::Anywhere, "", "answer the waiting task with {}"),
    bind(&[c('a')], "a", C::AutoAnswer, S::Anywhere, "", "answer every task that waits with its own input (on/off)"),
    bind(&[c('V')], "V", C::ViewTaskInput, S::Anywhere, "", "show the input of the waiting task whole"),
    bind(&[c(':')], ":", C::Lab, S::Anywhere, "lab", "expression lab: a path, template or JSONata evaluated as you type"),
    bind(&[c('w')], "w", C::AddWatch, S::Anywhere, "watch", "add a watch expression"),
    bind(&[c('g')], "g", C::ToggleLeftPane, S::Anywhere, "graph/list", "left pane: state graph or list"),
    bind(&[c('B')], "B", C::Breakpoints, S::Anywhere, "breakpoints", "list breakpoints (enable, condition, remove)"),
    bind(&[c('E')], "E", C::BreakOnError, S::Anywhere, "on-error", "break on errors (before Retry/Catch)"),
    bind(&[c('f')], "f", C::Maximise, S::Anywhere, "maximise", "the focused pane fills the screen (f again restores)"),
    bind(&[c('D')], "D", C::Compare, S::Anywhere, "", "compare the run with a history (--compare FILE, the one replayed, or a file named here): where they part, what differs"),
    bind(&[c('M')], "M", C::Messages, S::Anywhere, "messages", "every status message and error so far, whole"),
    bind(&[c('T')], "T", C::Teach, S::Anywhere, "teach", "teaching mode: s reveals one processing stage at a time"),
    bind(&[c('H')], "H", C::Heartbeat, S::Anywhere, "heartbeat", "send a heartbeat for the waiting callback task"),
    bind(&[c('y')], "y", C::Explain, S::Anywhere, "explain", "explain each stage in plain words (on/off)"),
    bind(&[c('z')], "z", C::Compact, S::Anywhere, "compact", "compact state graph (small boxes, short names) on/off"),
    bind(&[c('C')], "C", C::Coverage, S::Anywhere, "coverage", "graph and list: what the test suites covered (--coverage FILE) or the run"),
    bind(&[c('W')], "W", C::SaveSession, S::Anywhere, "save", "save the session (breakpoints, watches, edits, the moment) to --session FILE"),
    bind(&[c('F')], "F", C::Follow, S::Anywhere, "", "class: follow the teacher's session (again: your own copy from there)"),
    bind(&[c('L')], "L", C::Lesson, S::Anywhere, "lesson", "the sample's lesson beside the data (again: closes)"),
    bind(&[c('X')], "X", C::Exercise, S::Anywhere, "exercise", "the lesson's exercise at hand: predict a value, fix a state, choose an answer"),
    bind(&[c('P')], "P", C::Exercises, S::Anywhere, "", "the lesson's exercises, each with its status (enter opens one)"),
    bind(&[c('K')], "K", C::Class, S::Anywhere, "", "class (the teacher's): every student's lesson, exercises and state; enter watches one, p pushes your moment"),
    bind(&[c('!')], "!", C::RaiseHand, S::Anywhere, "", "class: raise (or lower) your hand; the teacher's class view shows it"),
    bind(&[c('A')], "A", C::Abort, S::Anywhere, "abort", "abort the execution, as StopExecution does (ABORTED)"),
    bind(&[c('r')], "r", C::Restart, S::Anywhere, "restart", "restart: keeps breakpoints, replays edits where they were made"),
    bind(&[c('R')], "R", C::Reload, S::Anywhere, "reload", "reload the definition file (it is also watched): re-runs to this moment or to where the run parts"),
    bind(&[c('U')], "U", C::Edits, S::Anywhere, "edits", "edits a restart replays (state input, variables, task answers); d drops one"),
    bind(&[Key(KeyCode::Tab)], "tab", C::NextTab, S::Anywhere, "tabs", "next tab (shift-tab: previous; focuses the data pane)"),
    bind(&[Key(KeyCode::BackTab)], "", C::PrevTab, S::Anywhere, "", ""),
    bind(&[c('1')], "1-6", C::PickTab(Tab::Input), S::Anywhere, "", "pick a tab: Input Output Stages History Variables ASL"),
    bind(&[c('2')], "", C::PickTab(Tab::Output), S::Anywhere, "", ""),
    bind(&[c('3')], "", C::PickTab(Tab::Inspector), S::Anywhere, "", ""),
    bind(&[c('4')], "", C::PickTab(Tab::History), S::Anywhere, "", ""),
    bind(&[c('5')], "", C::PickTab(Tab::Variables), S::Anywhere, "", ""),
    bind(&[c('6')], "", C::PickTab(Tab::State), S::Anywhere, "", ""),
    bind(&[Key(KeyCode::Left), c('h')], "←/→ h/l", C::FocusStates, S::Anywhere, "focus", "keyboard to the states (←) or the data (→)"),
    bind(&[Key(KeyCode::Right), c('l')], "", C::FocusData, S::Anywhere, "", ""),
    bind(&[Key(KeyCode::Up), c('k')], "↑/↓ pgup/pgdn", C::Move(-1), S::Anywhere, "move", "lists: move the selection; panes: scroll (home/end too)"),
    bind(&[Key(KeyCode::Down), c('j')], "", C::Move(1), S::Anywhere, "", ""),
    bind(&[Key(KeyCode::PageUp)], "", C::Move(-10), S::Anywhere, "", ""),
    bind(&[Key(KeyCode::PageDown)], "", C::Move(10), S::Anywhere, "", ""),
    bind(&[Key(KeyCode::Home)], "", C::Move(-1_000_000), S::Anywhere, "", ""),
    bind(&[Key(KeyCode::End)], "", C::Move(1_000_000), S::Anywhere, "", ""),
    bind(&[Key(KeyCode::Esc)], "esc", C::Deselect, S::Anywhere, "", "back to the state about to run (drops the History pick)"),
    bind(&[c('m')], "m", C::Mouse, S::Anywhere, "mouse", "mouse on/off (off keeps copy-paste over SSH)"),
    bind(&[c('?')], "?", C::Help, S::Anywhere, "help", "this help"),
    bind(&[c('q')], "q", C::Quit, S::Anywhere, "quit", "quit"),
];

/// Whether `c` only looks (allowed while following the teacher, whose
/// session moves the run).
pub fn only_looks(c: Command) -> bool {
    use Command::*;
    matches!(
        c,
        FindState
            | FindInValue
            | Lab
            | Exercise
            | Exercises
            | RaiseHand
            | Class
            | FilterHistory
            | ToggleFold
            | ToggleLeftPane
            | ViewValue
            | ViewTaskInput
            | ToggleDiff
            | Maximise
            | Messages
            | Compare
            | Explain
            | Compact
            | Coverage
            | Lesson
            | Follow
            | NextTab
            | PrevTab
            | PickTab(_)
            | FocusStates
            | FocusData
            | Move(_)
            | GraphMove(_)
            | GraphPage(_)
            | LessonScroll(_)
            | Sideways(_)
            | Deselect
            | Mouse
            | Help
            | Quit
            | PickRow(_)
            | PickGraphCell(..)
    )
}

/// The command `k` runs where the keyboard is, if any.
pub fn lookup(k: &KeyEvent, cx: &Context) -> Option<Command> {
    KEYMAP
        .iter()
        .find(|b| b.scope.holds(cx) && b.keys.iter().any(|key| key.matches(k)))
        .map(|b| b.command)
}

/// Whether `b` is the binding its first key reaches in `cx` (a binding
/// shadowed by a narrower one is not hinted).
fn reachable(b: &Binding, cx: &Context) -> bool {
    b.scope.holds(cx)
        && b.keys.first().is_some_and(|k| {
            let ev = KeyEvent::new(k.0, KeyModifiers::NONE);
            lookup(&ev, cx) == Some(b.command)
        })
}

/// The hint bar in the main screen, in order: stepping, then what the
/// focused pane adds, then the rest (`? help` and `q quit` are the caller's
/// to put last, so that they are never cut).
pub fn hints(cx: &Context) -> Vec<(&'static str, &'static str)> {
    let hinted = |b: &&Binding| !b.short.is_empty() && reachable(b, cx);
    let tail = |b: &&Binding| !matches!(b.command, Command::Help | Command::Quit);
    KEYMAP[..STEPPING]
        .iter()
        .chain(
            KEYMAP[STEPPING..]
                .iter()
                .filter(|b| b.scope != Scope::Anywhere),
        )
        .chain(
            KEYMAP[STEPPING..]
                .iter()
                .filter(|b| b.scope == Scope::Anywhere),
        )
        .filter(hinted)
        .filter(tail)
        .map(|b| (b.label, b.short))
        .collect()
}

/// The `?` help: every binding that has a line, with its keys.
pub fn help() -> impl Iterator<Item = (&'static str, &'static str)> {
    KEYMAP
        .iter()
        .filter(|b| !b.help.is_empty())
        .map(|b| (b.label, b.help))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(focus: Focus, tab: Tab) -> Context {
        Context {
            focus,
            left: LeftPane::Graph,
            lesson_open: false,
            tab,
        }
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn narrower_scopes_win() {
        let history = cx(Focus::Data, Tab::History);
        let graph = cx(Focus::States, Tab::History);
        assert_eq!(
            lookup(&key(KeyCode::Char('/')), &history),
            Some(C::FilterHistory)
        );
        assert_eq!(lookup(&key(KeyCode::Char('/')), &graph), Some(C::FindState));
        assert_eq!(
            lookup(&key(KeyCode::Up), &graph),
            Some(C::GraphMove(Dir::Up))
        );
        assert_eq!(lookup(&key(KeyCode::Up), &history), Some(C::Move(-1)));
        let lesson = Context {
            lesson_open: true,
            ..graph
        };
        assert_eq!(
            lookup(&key(KeyCode::Up), &lesson),
            Some(C::LessonScroll(-1))
        );
        let vars = cx(Focus::Data, Tab::Variables);
        assert_eq!(
            lookup(&key(KeyCode::Char('d')), &vars),
            Some(C::DeleteWatch)
        );
        assert_eq!(
            lookup(&key(KeyCode::Char('d')), &history),
            Some(C::ToggleDiff)
        );
    }

    #[test]
    fn chords_are_not_plain_keys() {
        let k = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&k, &cx(Focus::States, Tab::Input)), None);
        // Shift is part of the character.
        let k = KeyEvent::new(KeyCode::Char('B'), KeyModifiers::SHIFT);
        assert_eq!(
            lookup(&k, &cx(Focus::States, Tab::Input)),
            Some(C::Breakpoints)
        );
    }

    #[test]
    fn hints_show_what_works_here() {
        let vars = hints(&cx(Focus::Data, Tab::Variables));
        assert_eq!(
            &vars[..STEPPING].iter().map(|h| h.1).collect::<Vec<_>>(),
            &["step", "over", "into", "out", "continue"]
        );
        assert!(vars.contains(&("d", "delete")), "{vars:?}");
        assert!(
            !vars.contains(&("d", "diff/full")),
            "a shadowed binding is not hinted: {vars:?}"
        );
        assert!(!vars.iter().any(|h| h.1 == "quit" || h.1 == "help"));
        let graph = hints(&cx(Focus::States, Tab::Input));
        assert!(graph.contains(&("enter", "fold")));
        assert!(!graph.contains(&("enter", "view")));
    }

    #[test]
    fn every_key_has_one_meaning_per_scope() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for b in &KEYMAP[i + 1..] {
                let same_key = a.keys.iter().any(|k| b.keys.contains(k));
                assert!(
                    !(same_key && a.scope == b.scope),
                    "{:?} and {:?} share a key in {:?}",
                    a.command,
                    b.command,
                    a.scope
                );
            }
        }
        // Every command the table binds can be found in the help.
        for b in KEYMAP.iter().filter(|b| !b.help.is_empty()) {
            assert!(!b.label.is_empty(), "{:?} has help but no label", b.command);
        }
    }
}
