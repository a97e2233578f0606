//! The value viewer: one JSON value full-screen, pretty-printed and coloured,
//! with folding, search, wrap, a JSON-pointer breadcrumb and OSC 52 copy.
//! `Enter` on a stage, an event, a variable, a watch or the Input/Output
//! panes opens it; `Esc` goes back.
//!
//! The value is flattened once into lines (one per pretty-printed line, each
//! knowing its depth, parent and matching bracket), so a frame only touches
//! the rows it draws, and moving, folding and scrolling are O(rows).

use super::json_view::{color_line, owned, wrap_line};
use super::theme::Theme;
use crate::asl::value::Val;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use std::collections::HashSet;

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq)]
enum LineKind {
    Scalar,
    /// `{` or `[` of a non-empty container; `mate` is its closing line.
    Open,
    /// `}` or `]`; `mate` is its opening line.
    Close,
}

#[derive(Debug)]
struct TLine {
    depth: u16,
    kind: LineKind,
    /// The opening line of the container this line is in (NONE at the top).
    parent: u32,
    /// Position in the parent container (member or element index).
    child: u32,
    mate: u32,
    /// Open lines: how many members or elements.
    count: u32,
    is_array: bool,
    /// The line's text without its indent.
    text: String,
}

/// A value flattened into its pretty-printed lines.
pub struct Tree {
    pub root: Val,
    lines: Vec<TLine>,
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn scalar_text(v: &Val) -> String {
    match v {
        Val::Str(s) => json_str(s),
        Val::Num(n) => n.to_string(),
        Val::Bool(b) => b.to_string(),
        Val::Null => "null".into(),
        Val::Arr(_) => "[]".into(),
        Val::Obj(_) => "{}".into(),
    }
}

impl Tree {
    pub fn new(root: Val) -> Tree {
        let mut t = Tree {
            root: Val::Null,
            lines: Vec::new(),
        };
        t.push(&root, None, 0, NONE, 0, true);
        t.root = root;
        t
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn push(
        &mut self,
        v: &Val,
        key: Option<&str>,
        depth: u16,
        parent: u32,
        child: u32,
        last: bool,
    ) {
        let mut text = key.map(|k| json_str(k) + ": ").unwrap_or_default();
        let comma = if last { "" } else { "," };
        let (count, is_array) = match v {
            Val::Arr(a) => (a.len(), true),
            Val::Obj(o) => (o.len(), false),
            _ => (0, false),
        };
        if count == 0 {
            text.push_str(&scalar_text(v));
            text.push_str(comma);
            self.lines.push(TLine {
                depth,
                kind: LineKind::Scalar,
                parent,
                child,
                mate: NONE,
                count: 0,
                is_array,
                text,
            });
            return;
        }
        text.push(if is_array { '[' } else { '{' });
        let open = self.lines.len() as u32;
        self.lines.push(TLine {
            depth,
            kind: LineKind::Open,
            parent,
            child,
            mate: NONE,
            count: count as u32,
            is_array,
            text,
        });
        match v {
            Val::Arr(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.push(x, None, depth + 1, open, i as u32, i + 1 == count);
                }
            }
            Val::Obj(o) => {
                for (i, (k, x)) in o.iter().enumerate() {
                    self.push(x, Some(k), depth + 1, open, i as u32, i + 1 == count);
                }
            }
            _ => {}
        }
        let close = self.lines.len() as u32;
        self.lines.push(TLine {
            depth,
            kind: LineKind::Close,
            parent,
            child,
            mate: open,
            count: 0,
            is_array,
            text: format!("{}{comma}", if is_array { ']' } else { '}' }),
        });
        self.lines[open as usize].mate = close;
    }

    /// The path from the top to line `i`: (member or element index) per level.
    fn path(&self, i: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut at = i;
        while let Some(l) = self.lines.get(at as usize) {
            if l.parent == NONE {
                break;
            }
            out.push(l.child);
            at = l.parent;
        }
        out.reverse();
        out
    }

    /// The value at line `i` (a closing bracket stands for its container).
    pub fn value_at(&self, i: u32) -> &Val {
        let mut v = &self.root;
        for c in self.path(i) {
            v = match v {
                Val::Arr(a) => &a[c as usize],
                Val::Obj(o) => o.get_index(c as usize).map(|(_, x)| x).unwrap_or(v),
                _ => v,
            };
        }
        v
    }

    /// The JSON pointer (RFC 6901) of line `i`'s value.
    pub fn pointer(&self, i: u32) -> String {
        let mut v = &self.root;
        let mut out = String::new();
        for c in self.path(i) {
            out.push('/');
            v = match v {
                Val::Arr(a) => {
                    out.push_str(&c.to_string());
                    &a[c as usize]
                }
                Val::Obj(o) => match o.get_index(c as usize) {
                    Some((k, x)) => {
                        out.push_str(&crate::asl::json::pointer_token(k));
                        x
                    }
                    None => v,
                },
                _ => v,
            };
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }
}

/// Case-insensitive substring test (ASCII folding; other text as typed
/// lower-cased).
/// Where `needle` first stands in `hay`, in display columns, ignoring
/// case (0 where lowercasing changes lengths and it cannot be told).
fn column_ci(hay: &str, needle: &str) -> usize {
    let (h, n) = (hay.to_lowercase(), needle.to_lowercase());
    match h.find(&n) {
        Some(i) if h.len() == hay.len() && hay.is_char_boundary(i) => {
            unicode_width::UnicodeWidthStr::width(&hay[..i])
        }
        _ => 0,
    }
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(&needle.to_lowercase())
    }
}

/// What a key did, for the app to act on.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Stay,
    Close,
    /// Copy this text to the clipboard (OSC 52).
    Copy(String, String),
}

/// Rows of the screen the viewer does not use for the value: title,
/// breadcrumb, status and hint lines.
pub const CHROME: u16 = 4;

pub struct Viewer {
    pub title: String,
    pub tree: Tree,
    folded: HashSet<u32>,
    pub cursor: u32,
    /// First line drawn, and how many of its wrapped rows are above the
    /// pane (a line taller than the pane is scrolled through row by row).
    pub top: u32,
    pub skip: usize,
    pub wrap: bool,
    /// Columns scrolled to the right (wrap off).
    pub left: usize,
    /// Text typed after `/`, while typing.
    pub typing: Option<String>,
    pub query: String,
    matches: Vec<u32>,
    pub status: String,
}

impl Viewer {
    pub fn new(title: impl Into<String>, v: Val) -> Viewer {
        let tree = Tree::new(v);
        Viewer {
            title: title.into(),
            tree,
            folded: HashSet::new(),
            cursor: 0,
            top: 0,
            skip: 0,
            wrap: true,
            left: 0,
            typing: None,
            query: String::new(),
            matches: Vec::new(),
            status: String::new(),
        }
    }

    fn line(&self, i: u32) -> &TLine {
        &self.tree.lines[i as usize]
    }

    /// The line after `i` on screen (folded containers skipped).
    fn next(&self, i: u32) -> Option<u32> {
        let l = self.line(i);
        let n = if l.kind == LineKind::Open && self.folded.contains(&i) {
            l.mate + 1
        } else {
            i + 1
        };
        ((n as usize) < self.tree.len()).then_some(n)
    }

    /// The line before `i` on screen.
    fn prev(&self, i: u32) -> Option<u32> {
        let p = i.checked_sub(1)?;
        let l = self.line(p);
        Some(
            if l.kind == LineKind::Close && self.folded.contains(&l.mate) {
                l.mate
            } else {
                p
            },
        )
    }

    /// The text of line `i` as drawn (a folded container with its summary).
    fn shown_text(&self, i: u32) -> String {
        let l = self.line(i);
        let mut s = " ".repeat(l.depth as usize * 2);
        s.push_str(&l.text);
        if l.kind == LineKind::Open && self.folded.contains(&i) {
            let what = match (l.is_array, l.count) {
                (true, 1) => "1 item".to_string(),
                (true, n) => format!("{n} items"),
                (false, 1) => "1 key".to_string(),
                (false, n) => format!("{n} keys"),
            };
            s.push_str(&format!("…{what}"));
            s.push_str(&self.line(l.mate).text);
        }
        s
    }

    /// Screen rows line `i` takes in a pane `width` wide.
    fn rows_of(&self, i: u32, width: usize) -> usize {
        if !self.wrap || width == 0 {
            return 1;
        }
        let w = unicode_width::UnicodeWidthStr::width(self.shown_text(i).as_str());
        let l = self.line(i);
        let indent = (l.depth as usize * 2 + 2).min(width / 2);
        if w <= width {
            1
        } else {
            1 + (w - width).div_ceil(width - indent)
        }
    }

    /// Move `top` so that the cursor line is wholly on screen.
    fn follow(&mut self, (w, h): (usize, usize)) {
        if self.cursor < self.top {
            self.top = self.cursor;
        }
        loop {
            let mut used = 0;
            let mut at = Some(self.top);
            let mut fits = false;
            while let Some(i) = at {
                used += self.rows_of(i, w);
                if i == self.cursor {
                    fits = used <= h || i == self.top;
                    break;
                }
                if used >= h {
                    break;
                }
                at = self.next(i);
            }
            if fits {
                return;
            }
            match self.next(self.top) {
                Some(n) if self.top != self.cursor => self.top = n,
                _ => return,
            }
        }
    }

    /// Scroll `d` rows through the cursor line when it is taller than the
    /// pane and at its top; false when the move should go to another line.
    fn scroll_within(&mut self, d: isize, (w, h): (usize, usize)) -> bool {
        if self.top != self.cursor || h == 0 {
            return false;
        }
        let rows = self.rows_of(self.cursor, w);
        let last = rows.saturating_sub(h);
        let to = if d > 0 {
            (self.skip + d.unsigned_abs()).min(last)
        } else {
            self.skip.saturating_sub(d.unsigned_abs())
        };
        if to == self.skip {
            return false;
        }
        self.skip = to;
        self.status = format!(
            "rows {}-{} of the {rows} of this line (↓/↑ scroll through it)",
            to + 1,
            (to + h).min(rows)
        );
        true
    }

    fn move_by(&mut self, d: isize) {
        for _ in 0..d.unsigned_abs() {
            let n = if d > 0 {
                self.next(self.cursor)
            } else {
                self.prev(self.cursor)
            };
            match n {
                Some(n) => self.cursor = n,
                None => break,
            }
        }
    }

    /// Bring the match on the cursor's line into view: sideways (wrap
    /// off), or the wrapped row it is on when the line is taller than the
    /// pane (call after [`Viewer::follow`]).
    fn reveal_match(&mut self, (w, h): (usize, usize)) {
        if self.query.is_empty() || !self.matches.contains(&self.cursor) || w == 0 {
            return;
        }
        let text = self.shown_text(self.cursor);
        let col = column_ci(&text, &self.query);
        let len = unicode_width::UnicodeWidthStr::width(self.query.as_str());
        if !self.wrap {
            if col < self.left || col + len > self.left + w {
                self.left = col.saturating_sub(w / 3);
            }
            return;
        }
        let rows = self.rows_of(self.cursor, w);
        if self.top != self.cursor || rows <= h {
            return;
        }
        let indent = (self.line(self.cursor).depth as usize * 2 + 2).min(w / 2);
        let row = if col < w {
            0
        } else {
            1 + (col - w) / (w - indent).max(1)
        };
        if row < self.skip || row >= self.skip + h {
            self.skip = row.min(rows - h);
        }
    }

    /// Open every folded container around line `i`.
    fn unfold_to(&mut self, i: u32) {
        let mut at = self.line(i).parent;
        while at != NONE {
            self.folded.remove(&at);
            at = self.line(at).parent;
        }
    }

    fn search(&mut self, forward: bool) {
        if self.query.is_empty() {
            return;
        }
        if self.matches.is_empty() {
            self.status = format!("/{}: no match", self.query);
            return;
        }
        let k = if forward {
            self.matches
                .iter()
                .position(|m| *m > self.cursor)
                .unwrap_or(0)
        } else {
            self.matches
                .iter()
                .rposition(|m| *m < self.cursor)
                .unwrap_or(self.matches.len() - 1)
        };
        let hit = self.matches[k];
        self.unfold_to(hit);
        self.cursor = hit;
        self.status = format!(
            "/{}: match {} of {} (n next, N previous)",
            self.query,
            k + 1,
            self.matches.len()
        );
    }

    /// Handle a key; `size` is the pane the value is drawn in.
    pub fn key(&mut self, k: KeyEvent, size: (usize, usize)) -> Outcome {
        let (w, h) = size;
        if let Some(t) = &mut self.typing {
            match k.code {
                KeyCode::Esc => {
                    self.typing = None;
                    self.status.clear();
                }
                KeyCode::Enter => {
                    self.query = std::mem::take(t);
                    self.typing = None;
                    let q = self.query.clone();
                    self.matches = (0..self.tree.len() as u32)
                        .filter(|i| {
                            let l = self.line(*i);
                            l.kind != LineKind::Close && contains_ci(&l.text, &q)
                        })
                        .collect();
                    // The first match at or after the cursor (none: the
                    // cursor stays where it is).
                    let back = self.cursor;
                    self.cursor = self.cursor.saturating_sub(1);
                    self.search(true);
                    if self.matches.is_empty() || self.query.is_empty() {
                        self.cursor = back;
                    }
                }
                KeyCode::Backspace => {
                    t.pop();
                }
                KeyCode::Char(c) => t.push(c),
                _ => {}
            }
            self.follow(size);
            self.reveal_match(size);
            return Outcome::Stay;
        }
        let page = h.saturating_sub(1).max(1) as isize;
        let was = self.cursor;
        let by = |v: &mut Viewer, d: isize| {
            if !v.scroll_within(d, size) {
                v.move_by(d)
            }
        };
        match k.code {
            KeyCode::Esc | KeyCode::Char('q') => return Outcome::Close,
            KeyCode::Up | KeyCode::Char('k') => by(self, -1),
            KeyCode::Down | KeyCode::Char('j') => by(self, 1),
            KeyCode::PageUp => by(self, -page),
            KeyCode::PageDown | KeyCode::Char(' ') => by(self, page),
            KeyCode::Home | KeyCode::Char('g') => self.cursor = 0,
            KeyCode::End | KeyCode::Char('G') => {
                let last = self.tree.len().saturating_sub(1) as u32;
                self.cursor = last;
                if let Some(p) = Some(last).filter(|_| last > 0) {
                    // The last line may be the closing bracket of a fold.
                    let l = self.line(p);
                    if l.kind == LineKind::Close && self.folded.contains(&l.mate) {
                        self.cursor = l.mate;
                    }
                }
            }
            KeyCode::Left | KeyCode::Char('h') => {
                let l = self.line(self.cursor);
                if l.kind == LineKind::Open && !self.folded.contains(&self.cursor) {
                    self.folded.insert(self.cursor);
                } else if l.kind == LineKind::Close {
                    self.cursor = l.mate;
                    self.folded.insert(self.cursor);
                } else if l.parent != NONE {
                    self.cursor = l.parent;
                }
            }
            KeyCode::Right | KeyCode::Char('l') => {
                let l = self.line(self.cursor);
                if l.kind == LineKind::Open && !self.folded.remove(&self.cursor) {
                    self.cursor += 1;
                }
            }
            KeyCode::Enter => {
                let l = self.line(self.cursor);
                let open = match l.kind {
                    LineKind::Open => Some(self.cursor),
                    LineKind::Close => Some(l.mate),
                    LineKind::Scalar => None,
                };
                if let Some(o) = open {
                    self.cursor = o;
                    if !self.folded.remove(&o) {
                        self.folded.insert(o);
                    }
                }
            }
            KeyCode::Char('/') => {
                self.typing = Some(String::new());
            }
            KeyCode::Char('n') => self.search(true),
            KeyCode::Char('N') => self.search(false),
            KeyCode::Char('w') => {
                self.wrap = !self.wrap;
                self.left = 0;
                self.skip = 0;
                self.status = format!("Wrap {}", if self.wrap { "on" } else { "off" });
            }
            KeyCode::Char('>') if !self.wrap => self.left += 8,
            KeyCode::Char('<') if !self.wrap => self.left = self.left.saturating_sub(8),
            KeyCode::Char('y') => {
                let p = self.tree.pointer(self.cursor);
                let v = self.tree.value_at(self.cursor).to_pretty();
                return Outcome::Copy(v, p);
            }
            KeyCode::Char('Y') => {
                return Outcome::Copy(self.tree.root.to_pretty(), "/".into());
            }
            _ if k.modifiers.contains(KeyModifiers::CONTROL) => {}
            _ => {}
        }
        if self.cursor != was {
            self.skip = 0;
        }
        self.follow((w, h));
        if matches!(k.code, KeyCode::Char('n' | 'N')) {
            self.reveal_match((w, h));
        }
        Outcome::Stay
    }

    /// The value's rows from the top line, `h` rows of `w` columns.
    pub(super) fn body<'a>(&'a self, theme: &'a Theme, (w, h): (usize, usize)) -> Vec<Line<'a>> {
        let mut out = Vec::with_capacity(h);
        let mut at = Some(self.top);
        while let Some(i) = at {
            if out.len() >= h {
                break;
            }
            let text = self.shown_text(i);
            let l = self.line(i);
            let mut line = owned(color_line(&text, theme, None));
            if i == self.cursor {
                line = line.patch_style(theme.selection);
            }
            if self.wrap {
                let indent = (l.depth as usize * 2 + 2).min(w / 2);
                // The top line may be scrolled past its first rows.
                let hidden = if i == self.top { self.skip } else { 0 };
                for r in wrap_line(line, w, indent, hidden + h - out.len())
                    .into_iter()
                    .skip(hidden)
                {
                    if out.len() < h {
                        out.push(r);
                    }
                }
            } else {
                out.push(super::json_view::window_line(line, self.left, w, theme));
            }
            at = self.next(i);
        }
        out
    }

    /// Draw the viewer over `area` (the whole screen).
    pub fn draw(&self, f: &mut Frame, theme: &Theme, area: Rect) {
        f.render_widget(Clear, area);
        f.render_widget(Paragraph::new("").style(theme.base), area);
        if area.height < CHROME + 1 {
            return;
        }
        let row = |y: u16| Rect {
            x: area.x,
            y: area.y + y,
            width: area.width,
            height: 1,
        };
        let w = area.width as usize;
        let h = (area.height - CHROME) as usize;
        // The title whole, or cut with `…` (a long state name and pointer).
        let (shown, cut) = super::json_view::fit_line(&self.title, w.saturating_sub(7));
        let mut title = Line::from(vec![
            Span::styled(" view ", theme.accent.add_modifier(Modifier::REVERSED)),
            Span::styled(format!(" {shown}"), theme.accent),
        ]);
        if cut {
            title.spans.push(Span::styled("…", theme.muted));
        }
        f.render_widget(Paragraph::new(title), row(0));
        let crumb = format!(
            " {}   line {} of {}",
            self.tree.pointer(self.cursor),
            self.cursor + 1,
            self.tree.len()
        );
        f.render_widget(
            Paragraph::new(super::json_view::fitted_line(&crumb, w, theme, None))
                .style(theme.muted),
            row(1),
        );
        let body = self.body(theme, (w, h));
        f.render_widget(
            Paragraph::new(body),
            Rect {
                x: area.x,
                y: area.y + 2,
                width: area.width,
                height: h as u16,
            },
        );
        let status = match &self.typing {
            Some(t) => format!("/{t}▏ (enter finds, esc cancels)"),
            None => self.status.clone(),
        };
        f.render_widget(
            Paragraph::new(status).style(theme.accent),
            row(area.height - 2),
        );
        let hints = [
            ("esc", "back"),
            ("↑↓ pgdn", "move"),
            ("←→", "fold"),
            ("/ n N", "find"),
            ("w", "wrap"),
            ("y", "copy"),
            ("Y", "copy all"),
        ];
        let mut spans = Vec::new();
        let mut used = 0;
        for (k, d) in hints {
            let len = k.chars().count() + d.len() + 3;
            if used + len > w {
                break;
            }
            spans.push(Span::styled(format!(" {k}"), theme.accent));
            spans.push(Span::styled(format!(" {d} "), theme.muted));
            used += len;
        }
        f.render_widget(Paragraph::new(Line::from(spans)), row(area.height - 1));
    }
}

/// The text of an OSC 52 "set clipboard" sequence for `text`.
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn viewer(v: serde_json::Value) -> Viewer {
        Viewer::new("t", Val::from(&v))
    }

    fn texts(v: &Viewer) -> Vec<String> {
        let mut out = vec![];
        let mut at = Some(v.top);
        while let Some(i) = at {
            out.push(v.shown_text(i));
            at = v.next(i);
        }
        out
    }

    #[test]
    fn lines_match_pretty_printing() {
        let v = json!({"a": [1, {"b": "x"}], "c": {}, "d": [], "e": null});
        let t = Tree::new(Val::from(&v));
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let ours: Vec<String> = (0..t.len() as u32)
            .map(|i| {
                let l = &t.lines[i as usize];
                format!("{}{}", " ".repeat(l.depth as usize * 2), l.text)
            })
            .collect();
        assert_eq!(ours.join("\n"), pretty);
    }

    #[test]
    fn pointers_and_values_under_the_cursor() {
        let v = json!({"a/b": [1, {"c~": "x"}]});
        let t = Tree::new(Val::from(&v));
        // Line 4 is "c~": "x".
        assert_eq!(t.lines[4].text, "\"c~\": \"x\"");
        assert_eq!(t.pointer(4), "/a~1b/1/c~0");
        assert_eq!(t.value_at(4).as_str(), Some("x"));
        assert_eq!(t.pointer(0), "/");
        // A closing bracket stands for its container.
        assert_eq!(t.value_at(5).to_compact(), r#"{"c~":"x"}"#);
    }

    #[test]
    fn folding_hides_a_container_and_moving_skips_it() {
        let mut v = viewer(json!({"a": {"x": 1, "y": 2}, "b": 3}));
        let size = (80, 20);
        v.key(key(KeyCode::Down), size); // "a": {
        v.key(key(KeyCode::Left), size); // fold it
        assert_eq!(texts(&v), ["{", "  \"a\": {…2 keys},", "  \"b\": 3", "}"]);
        v.key(key(KeyCode::Down), size);
        assert_eq!(v.shown_text(v.cursor), "  \"b\": 3");
        v.key(key(KeyCode::Up), size);
        assert_eq!(v.cursor, 1);
        v.key(key(KeyCode::Right), size); // unfold
        assert_eq!(texts(&v).len(), 7);
        // Enter folds too; ← on a member goes to its container.
        v.key(key(KeyCode::Down), size);
        v.key(key(KeyCode::Left), size);
        assert_eq!(v.cursor, 1);
    }

    #[test]
    fn a_match_far_along_a_long_line_is_brought_into_view() {
        let long = format!("{}needle{}", "a".repeat(300), "b".repeat(300));
        let v = Val::from(serde_json::json!({"x": 1, "long": long}));
        let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        // Wrap off: scrolled sideways to it.
        let mut vw = Viewer::new("t", v.clone());
        vw.key(key('w'), (40, 10));
        for c in "/needle".chars() {
            vw.key(key(c), (40, 10));
        }
        vw.key(enter, (40, 10));
        let col = column_ci(&vw.shown_text(vw.cursor), "needle");
        assert!(col > 300, "{col}");
        assert!(
            vw.left <= col && col + 6 <= vw.left + 40,
            "{} {col}",
            vw.left
        );
        // Wrapped in a pane shorter than the line: the row with it shows.
        let mut vw = Viewer::new("t", v);
        for c in "/NEEDLE".chars() {
            vw.key(key(c), (40, 5));
        }
        vw.key(enter, (40, 5));
        assert_eq!(vw.top, vw.cursor);
        let indent = 4;
        let row = 1 + (col - 40) / (40 - indent);
        assert!(
            vw.skip <= row && row < vw.skip + 5,
            "row {row}, skip {}",
            vw.skip
        );
        assert!(vw.skip > 0);
    }

    #[test]
    fn search_finds_inside_folds_and_cycles() {
        let mut v = viewer(json!({"a": {"deep": {"name": "Needle"}}, "b": "needle too"}));
        let size = (80, 20);
        v.key(key(KeyCode::Down), size);
        v.key(key(KeyCode::Left), size); // fold "a"
        v.key(key(KeyCode::Char('/')), size);
        for c in "NEEDLE".chars() {
            v.key(key(KeyCode::Char(c)), size);
        }
        v.key(key(KeyCode::Enter), size);
        assert_eq!(v.tree.pointer(v.cursor), "/a/deep/name");
        assert!(v.status.contains("match 1 of 2"), "{}", v.status);
        v.key(key(KeyCode::Char('n')), size);
        assert_eq!(v.tree.pointer(v.cursor), "/b");
        v.key(key(KeyCode::Char('n')), size);
        assert_eq!(v.tree.pointer(v.cursor), "/a/deep/name");
        v.key(key(KeyCode::Char('N')), size);
        assert_eq!(v.tree.pointer(v.cursor), "/b");
        // No match, or nothing typed: the cursor stays.
        let at = v.cursor;
        for text in ["zzz", ""] {
            v.key(key(KeyCode::Char('/')), size);
            for c in text.chars() {
                v.key(key(KeyCode::Char(c)), size);
            }
            v.key(key(KeyCode::Enter), size);
            assert_eq!(v.cursor, at, "/{text}");
        }
    }

    #[test]
    fn the_cursor_stays_on_screen_with_wrapped_lines() {
        let long = "x".repeat(300);
        let items: Vec<_> = (0..10).map(|_| long.clone()).collect();
        let mut v = viewer(json!(items));
        let size = (40, 10);
        // Each item wraps to 1 + ceil((308 - 40) / 36) = 9 rows.
        assert_eq!(v.rows_of(1, 40), 9);
        for _ in 0..3 {
            v.key(key(KeyCode::Down), size);
        }
        assert_eq!(v.cursor, 3);
        assert_eq!(v.top, 3);
        v.key(key(KeyCode::Char('w')), size);
        v.key(key(KeyCode::Home), size);
        assert_eq!(v.top, 0);
    }

    #[test]
    fn a_line_taller_than_the_pane_scrolls_through_its_rows() {
        // A 2,000-character string: 100 rows of 20 columns, in a pane of 10.
        let long: String = (0..2_000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let mut v = viewer(serde_json::json!({"note": long, "after": 1}));
        let t = Theme::load("dark", super::super::theme::ColorMode::None).unwrap();
        let size = (20, 10);
        let rows = |v: &Viewer| -> Vec<String> {
            v.body(&t, size).iter().map(|l| l.to_string()).collect()
        };
        v.key(key(KeyCode::Down), size);
        assert_eq!(v.cursor, 1);
        assert!(rows(&v)[0].contains("\"note\""), "{:?}", rows(&v));
        // ↓ now scrolls through the line instead of leaving it.
        v.key(key(KeyCode::Down), size);
        assert_eq!((v.cursor, v.top, v.skip), (1, 1, 1));
        for _ in 0..500 {
            v.key(key(KeyCode::Down), size);
            if v.cursor != 1 {
                break;
            }
        }
        // The last rows of the string were on screen before the cursor moved on.
        assert_eq!(v.cursor, 2, "then ↓ goes on to the next line");
        let mut v = viewer(serde_json::json!({"note": long.clone(), "after": 1}));
        v.key(key(KeyCode::Down), size);
        let total = v.rows_of(1, 20);
        for _ in 0..total - 10 {
            v.key(key(KeyCode::Down), size);
        }
        let shown = rows(&v).join("").replace(' ', "");
        assert!(shown.contains(&long[long.len() - 30..]), "{shown}");
        assert_eq!(v.skip, total - 10);
        // ↑ scrolls back up through it.
        v.key(key(KeyCode::Up), size);
        assert_eq!(v.skip, total - 11);
    }

    #[test]
    fn copy_gives_the_node_under_the_cursor() {
        let mut v = viewer(json!({"a": {"b": [1, 2]}}));
        let size = (80, 20);
        v.key(key(KeyCode::Down), size);
        v.key(key(KeyCode::Down), size);
        match v.key(key(KeyCode::Char('y')), size) {
            Outcome::Copy(text, p) => {
                assert_eq!(p, "/a/b");
                assert_eq!(text, "[\n  1,\n  2\n]");
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }
}
