//! `D`: the run beside a history — recorded on AWS or another run's
//! `--events` — shown whole in the value viewer: a verdict first, then the
//! first event that differs, where the paths part, each state's input and
//! output differences, and what the history goes on to do. The history is
//! `--compare FILE`, the one being replayed, or a file named at the prompt
//! (not in a served class: the files there are the server's).

use super::app::{App, Mode};
use crate::asl::value::Val;
use crate::debugger::compare::Against;
use crossterm::event::{KeyCode, KeyEvent};

/// The longest file name the prompt takes.
const MAX_PATH: usize = 4096;

fn prompt(typed: &str) -> String {
    format!("Compare with the history in file (enter opens, esc cancels): {typed}▏")
}

impl App {
    /// `D`: the comparison, or the prompt for a history to compare with.
    pub(super) fn compare_command(&mut self) {
        if self.compare.is_some() {
            self.show_compare();
        } else if self.open_files {
            self.mode = Mode::CompareFile(String::new());
            self.message = prompt("");
        } else {
            self.message =
                "No history to compare with (asldbg DEF --compare HISTORY opens one).".into();
        }
    }

    /// The comparison at this moment, full-screen.
    pub(super) fn show_compare(&mut self) {
        let Some(against) = &self.compare else {
            return;
        };
        let v = self.session.compare(against);
        let title = format!("This run beside {}", against.label);
        self.message = v["verdict"].as_str().unwrap_or_default().to_string();
        self.view(title, Val::from(&v));
    }

    /// Reads `file` as the history to compare with; its problem, placed,
    /// in the status line when it is not one.
    pub fn load_compare(&mut self, file: &str) -> Result<(), String> {
        let rec = crate::replay::recording::load(file).map_err(|e| e.to_string())?;
        let label = std::path::Path::new(file)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.to_string());
        self.compare = Some(Against { rec, label });
        Ok(())
    }

    /// A key while the file name is typed.
    pub(super) fn compare_prompt_key(&mut self, k: KeyEvent) {
        let Mode::CompareFile(typed) = &mut self.mode else {
            return;
        };
        match k.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                self.message = "Compare: cancelled.".into();
            }
            KeyCode::Enter => {
                let file = typed.trim().to_string();
                self.mode = Mode::Normal;
                if file.is_empty() {
                    self.message = "Compare: type the file of a history (aws stepfunctions get-execution-history --output json, or asldbg run --events --format json).".into();
                    return;
                }
                match self.load_compare(&file) {
                    Ok(()) => self.show_compare(),
                    Err(e) => self.message = format!("Compare: {e}"),
                }
            }
            KeyCode::Backspace => {
                typed.pop();
                self.message = prompt(typed);
            }
            KeyCode::Char(c) if typed.len() < MAX_PATH => {
                typed.push(c);
                self.message = prompt(typed);
            }
            _ => {}
        }
    }

    /// Pasted text while the file name is typed: its first line.
    pub(super) fn compare_prompt_paste(&mut self, text: &str) {
        if let Mode::CompareFile(typed) = &mut self.mode {
            let line = text.lines().next().unwrap_or_default();
            let room = MAX_PATH.saturating_sub(typed.len());
            typed.extend(line.chars().filter(|c| !c.is_control()).take(room));
            self.message = prompt(typed);
        }
    }
}
