//! The panes of the screen and which one has the keyboard: the words the
//! model, the command table, the layout and the drawing share.

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
