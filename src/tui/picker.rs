//! The full-screen list that picks a sample (local) or a lesson (served):
//! one drawing and one set of keys for both.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

pub struct Picker<'a> {
    /// Name and description of each item.
    items: &'a [(String, String)],
    title: &'a str,
    pub sel: usize,
}

/// What a key did.
#[derive(Debug, PartialEq)]
pub enum Picked {
    Item(usize),
    Leave,
}

impl<'a> Picker<'a> {
    pub fn new(items: &'a [(String, String)], title: &'a str) -> Picker<'a> {
        Picker {
            items,
            title,
            sel: 0,
        }
    }

    /// The list, scrolled to keep the selection in view; a line too long
    /// for the screen ends in `…`.
    pub fn draw(&self, f: &mut Frame) {
        let rows = f.area().height.saturating_sub(2) as usize;
        let top = self.sel.saturating_sub(rows.saturating_sub(1));
        let width = f.area().width.saturating_sub(2) as usize;
        let name_width = self.items.iter().map(|(n, _)| n.chars().count()).max();
        let name_width = name_width.unwrap_or(0).min(24);
        let lines: Vec<Line> = self
            .items
            .iter()
            .enumerate()
            .skip(top)
            .map(|(i, (name, description))| {
                let mark = if i == self.sel { "▶ " } else { "  " };
                let text = format!("{mark}{name:<name_width$}  {description}");
                let (shown, cut) = super::json_view::fit_line(&text, width);
                Line::from(if cut {
                    format!("{shown}…")
                } else {
                    shown.to_string()
                })
            })
            .collect();
        f.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(self.title)),
            f.area(),
        );
    }

    /// ↑/↓ (k/j) move, Enter picks, q, Esc or Ctrl-C leaves.
    pub fn key(&mut self, k: KeyEvent) -> Option<Picked> {
        match k.code {
            KeyCode::Up | KeyCode::Char('k') => self.sel = self.sel.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.sel = (self.sel + 1).min(self.items.len().saturating_sub(1))
            }
            KeyCode::Enter => return Some(Picked::Item(self.sel)),
            KeyCode::Char('q') | KeyCode::Esc => return Some(Picked::Leave),
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                return Some(Picked::Leave)
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn keys_move_within_the_list_pick_and_leave() {
        let items = vec![
            ("a".to_string(), String::new()),
            ("b".into(), String::new()),
        ];
        let mut p = Picker::new(&items, "t");
        assert_eq!(p.key(key(KeyCode::Up)), None);
        assert_eq!(p.sel, 0);
        p.key(key(KeyCode::Char('j')));
        p.key(key(KeyCode::Down));
        assert_eq!(p.key(key(KeyCode::Enter)), Some(Picked::Item(1)));
        assert_eq!(p.key(key(KeyCode::Esc)), Some(Picked::Leave));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(p.key(ctrl_c), Some(Picked::Leave));
    }

    #[test]
    fn a_long_line_ends_in_an_ellipsis_and_the_selection_stays_in_view() {
        let items: Vec<(String, String)> = (0..30)
            .map(|i| {
                (
                    format!("item{i}"),
                    "a description far too long for a narrow screen".into(),
                )
            })
            .collect();
        let mut p = Picker::new(&items, " pick ");
        for _ in 0..20 {
            p.key(key(KeyCode::Down));
        }
        let mut term = Terminal::new(TestBackend::new(30, 8)).unwrap();
        term.draw(|f| p.draw(f)).unwrap();
        let screen: Vec<String> = (0..8)
            .map(|y| {
                (0..30)
                    .map(|x| term.backend().buffer()[(x, y)].symbol().to_string())
                    .collect()
            })
            .collect();
        assert!(screen.iter().any(|l| l.contains("▶ item20")), "{screen:#?}");
        assert!(screen[1].contains('…'), "{screen:#?}");
    }
}
