//! JSON for the panes: pretty-printed once per value (cached by identity),
//! coloured per visible line by a small tokenizer whose token kinds map to
//! TextMate scopes. Nothing in the frame path parses or re-serialises a
//! whole document.

use super::theme::Theme;
use crate::asl::value::Val;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tok {
    Key,
    Str,
    Num,
    Keyword,
    Punct,
    Space,
}

/// Split one line of pretty JSON into tokens.
pub fn tokenize(line: &str) -> Vec<(Tok, &str)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' => {
                while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                    i += 1;
                }
                Tok::Space
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(b.len());
                // A string followed by ':' is a key.
                let mut j = i;
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                if j < b.len() && b[j] == b':' {
                    Tok::Key
                } else {
                    Tok::Str
                }
            }
            b'-' | b'0'..=b'9' => {
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                Tok::Num
            }
            b't' | b'f' | b'n' => {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                Tok::Keyword
            }
            _ => {
                // One character, however many bytes it takes (text other
                // than JSON comes here too: `…`, folded summaries).
                i += line[i..].chars().next().map_or(1, char::len_utf8);
                Tok::Punct
            }
        };
        out.push((tok, &line[start..i]));
    }
    out
}

pub fn style(t: &Theme, tok: Tok) -> Style {
    match tok {
        Tok::Key => t.key,
        Tok::Str => t.string,
        Tok::Num => t.number,
        Tok::Keyword => t.keyword,
        Tok::Punct | Tok::Space => t.punct,
    }
}

/// A coloured line; `mark` overrides the style of the key (changed keys).
pub fn color_line<'a>(line: &'a str, t: &Theme, mark: Option<Style>) -> Line<'a> {
    let spans: Vec<Span> = tokenize(line)
        .into_iter()
        .map(|(k, s)| {
            let st = match (k, mark) {
                (Tok::Key, Some(m)) => m,
                _ => style(t, k),
            };
            Span::styled(s, st)
        })
        .collect();
    Line::from(spans)
}

/// A line that owns its text.
pub fn owned(line: Line<'_>) -> Line<'static> {
    let style = line.style;
    Line::from(
        line.spans
            .into_iter()
            .map(|s| Span::styled(s.content.into_owned(), s.style))
            .collect::<Vec<_>>(),
    )
    .style(style)
}

/// `line` as it fits in `width` display columns: when it is longer, the
/// text that fits in `width - 1` columns and `true` (the caller ends the line
/// with `…`, so a cut value never passes for the whole one).
pub fn fit_line(line: &str, width: usize) -> (&str, bool) {
    use unicode_width::UnicodeWidthChar;
    if line.len() <= width {
        return (line, false); // bytes ≥ columns for the text JSON shows
    }
    let mut cols = 0;
    let mut end_for_cut = None;
    for (i, c) in line.char_indices() {
        let w = c.width().unwrap_or(0);
        if end_for_cut.is_none() && cols + w > width.saturating_sub(1) {
            end_for_cut = Some(i);
        }
        if cols + w > width {
            return (&line[..end_for_cut.unwrap_or(i)], true);
        }
        cols += w;
    }
    (line, false)
}

/// [`color_line`] cut to `width` columns, ending in a muted `…` when cut.
pub fn fitted_line<'a>(line: &'a str, width: usize, t: &Theme, mark: Option<Style>) -> Line<'a> {
    let (shown, cut) = fit_line(line, width);
    let mut l = color_line(shown, t, mark);
    if cut {
        l.spans.push(Span::styled("…", t.muted));
    }
    l
}

/// Split a styled line into rows of at most `width` columns; rows after the
/// first start with `indent` spaces (the line's own indent and two more), so
/// a wrapped value reads as one. A row ends after a word when the next word
/// does not fit (a space where a row breaks is left out), and inside a word
/// only when that word is longer than half a row (a long string, a URL):
/// text reads as text, and a value is never scattered over half-empty rows.
/// At most `max_rows` rows are made (a line of a megabyte costs no more
/// than the rows drawn).
pub fn wrap_line(
    line: Line<'static>,
    width: usize,
    indent: usize,
    max_rows: usize,
) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let indent = indent.min(width.saturating_sub(1));
    let base = line.style;
    let mut rows: Vec<Line<'static>> = Vec::new();
    // The row being filled: its characters with their style and width, the
    // columns it takes (with its indent), and where the text after its last
    // space between words starts.
    let mut cur: Vec<(char, Style, usize)> = Vec::new();
    let mut lead = 0;
    let mut used = 0;
    let mut after_space: Option<usize> = None;
    for span in line.spans {
        for c in span.content.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width && used > lead {
                let carry_from = match after_space {
                    _ if c == ' ' => cur.len(),
                    Some(i)
                        if 2 * cur[i..].iter().map(|x| x.2).sum::<usize>() <= width - indent =>
                    {
                        i
                    }
                    _ => cur.len(),
                };
                let carried = cur.split_off(carry_from);
                // The space the row breaks at is left out.
                if cur.last().is_some_and(|x| x.0 == ' ') && !carried.is_empty() {
                    cur.pop();
                }
                rows.push(row(std::mem::take(&mut cur), lead, base));
                if rows.len() >= max_rows {
                    return rows;
                }
                lead = indent;
                used = indent + carried.iter().map(|x| x.2).sum::<usize>();
                cur = carried;
                after_space = None;
                if c == ' ' {
                    continue;
                }
            }
            if c == ' ' && cur.iter().any(|x| x.0 != ' ') {
                after_space = Some(cur.len() + 1);
            }
            cur.push((c, span.style, cw));
            used += cw;
        }
    }
    rows.push(row(cur, lead, base));
    rows
}

/// One row of [`wrap_line`]: `lead` spaces, then its characters, one span
/// per run of a style.
fn row(cells: Vec<(char, Style, usize)>, lead: usize, base: Style) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    if lead > 0 {
        spans.push(Span::raw(" ".repeat(lead)));
    }
    let mut piece = String::new();
    let mut style = None;
    for (c, st, _) in cells {
        if style.is_some_and(|s| s != st) {
            spans.push(Span::styled(
                std::mem::take(&mut piece),
                style.unwrap_or_default(),
            ));
        }
        style = Some(st);
        piece.push(c);
    }
    if !piece.is_empty() {
        spans.push(Span::styled(piece, style.unwrap_or_default()));
    }
    Line::from(spans).style(base)
}

/// Columns `left..left + width` of a styled line, ending in a muted `…` when
/// more follows and starting with one when columns are scrolled off.
pub fn window_line(line: Line<'static>, left: usize, width: usize, t: &Theme) -> Line<'static> {
    use unicode_width::UnicodeWidthChar;
    let base = line.style;
    let total: usize = line.spans.iter().map(|s| s.width()).sum();
    let cut_right = total > left + width;
    let room = width.saturating_sub(usize::from(cut_right));
    let mut out: Vec<Span<'static>> = Vec::new();
    if left > 0 && total > 0 {
        out.push(Span::styled("…", t.muted));
    }
    let mut col = 0;
    let mut used = usize::from(left > 0 && total > 0);
    for span in line.spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let cw = c.width().unwrap_or(0);
            if col >= left + usize::from(left > 0) && used + cw <= room {
                piece.push(c);
                used += cw;
            }
            col += cw;
        }
        if !piece.is_empty() {
            out.push(Span::styled(piece, span.style));
        }
    }
    if cut_right {
        out.push(Span::styled("…", t.muted));
    }
    Line::from(out).style(base)
}

/// Pretty text of the last value shown, kept until another value comes.
#[derive(Default)]
pub struct PrettyCache {
    last: RefCell<Option<Pretty>>,
}

/// A value, its pretty lines and the widest of them.
type Pretty = (Val, Rc<Vec<String>>, usize);

impl PrettyCache {
    pub fn lines(&self, v: &Val) -> Rc<Vec<String>> {
        self.get(v).0
    }

    /// The lines of `v` and the widest one, in columns (what the layout
    /// sizes a pane from).
    pub fn extent(&self, v: &Val) -> (usize, usize) {
        let (lines, widest) = self.get(v);
        (lines.len(), widest)
    }

    fn get(&self, v: &Val) -> (Rc<Vec<String>>, usize) {
        if let Some((old, lines, widest)) = &*self.last.borrow() {
            if old.ptr_eq(v) || (!matches!(v, Val::Arr(_) | Val::Obj(_)) && old == v) {
                return (lines.clone(), *widest);
            }
        }
        // The widest line is measured as the lines are made (a second
        // pass over half a million lines cost as much as making them).
        let mut widest = 0;
        let lines: Rc<Vec<String>> = Rc::new(
            v.to_pretty()
                .lines()
                .map(|l| {
                    // Pretty JSON is mostly ASCII: its bytes are its columns.
                    let w = match l.is_ascii() {
                        true => l.len(),
                        false => unicode_width::UnicodeWidthStr::width(l),
                    };
                    widest = widest.max(w);
                    l.to_string()
                })
                .collect(),
        );
        *self.last.borrow_mut() = Some((v.clone(), lines.clone(), widest));
        (lines, widest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_too_wide_is_cut_with_an_ellipsis_in_the_last_column() {
        assert_eq!(fit_line("\"a\": 1", 20), ("\"a\": 1", false));
        assert_eq!(fit_line("abcdef", 6), ("abcdef", false));
        assert_eq!(fit_line("abcdefg", 6), ("abcde", true));
        // Wide characters count two columns; the cut never splits one.
        assert_eq!(fit_line("日本語テキスト", 7), ("日本語", true));
        assert_eq!(fit_line("日本語", 6), ("日本語", false));
        assert_eq!(fit_line("x", 0), ("", true));
    }

    #[test]
    fn wrapped_rows_keep_every_character_and_the_indent() {
        let text = |rows: &[Line]| rows.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        // A word that does not fit starts the next row; a long one is cut.
        let l = Line::from(vec![Span::raw("  \"k\": "), Span::raw("\"abcdefghij\"")]);
        let rows = wrap_line(l.clone(), 10, 4, usize::MAX);
        assert_eq!(wrap_line(l, 10, 4, 2).len(), 2);
        assert_eq!(text(&rows), ["  \"k\":", "    \"abcde", "    fghij\""]);
        assert!(rows.iter().all(|r| r.width() <= 10));
        // Prose breaks between words, the space it breaks at left out.
        let l = Line::from("▶ ResultPath \"$.approval\" (changes to the input) → output");
        let rows = wrap_line(l, 30, 4, usize::MAX);
        assert_eq!(
            text(&rows),
            [
                "▶ ResultPath \"$.approval\"",
                "    (changes to the input) →",
                "    output"
            ]
        );
        // Every character but the spaces rows break at, in order, with its style.
        let red = Style::default().fg(ratatui::style::Color::Red);
        let l = Line::from(vec![Span::raw("ab cd "), Span::styled("ef gh ij", red)]);
        let rows = wrap_line(l, 5, 1, usize::MAX);
        assert_eq!(text(&rows), ["ab cd", " ef", " gh", " ij"]);
        assert!(rows[1]
            .spans
            .iter()
            .any(|s| s.content == "ef" && s.style == red));
        // Leading spaces are the line's indent, not a place to break.
        let rows = wrap_line(Line::from("      abcdefgh"), 8, 2, usize::MAX);
        assert_eq!(text(&rows), ["      ab", "  cdefgh"]);
    }

    #[test]
    fn a_window_marks_what_is_off_either_side() {
        let t = Theme::load("dark", super::super::theme::ColorMode::TrueColor).unwrap();
        let l = || Line::from("0123456789abcdef");
        assert_eq!(window_line(l(), 0, 8, &t).to_string(), "0123456…");
        assert_eq!(window_line(l(), 4, 8, &t).to_string(), "…56789a…");
        assert_eq!(window_line(l(), 10, 8, &t).to_string(), "…bcdef");
        assert_eq!(window_line(l(), 0, 20, &t).to_string(), "0123456789abcdef");
    }

    proptest::proptest! {
        #[test]
        fn any_text_tokenizes_back_to_itself(line in ".{0,40}") {
            let joined: String = tokenize(&line).into_iter().map(|(_, t)| t).collect();
            proptest::prop_assert_eq!(joined, line);
        }
    }

    #[test]
    fn tokens() {
        let t = tokenize(r#"  "a": ["x", 1.5e3, true, null],"#);
        let kinds: Vec<Tok> = t
            .iter()
            .filter(|(k, _)| *k != Tok::Space)
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(
            kinds,
            [
                Tok::Key,
                Tok::Punct,
                Tok::Punct,
                Tok::Str,
                Tok::Punct,
                Tok::Num,
                Tok::Punct,
                Tok::Keyword,
                Tok::Punct,
                Tok::Keyword,
                Tok::Punct,
                Tok::Punct
            ]
        );
        assert_eq!(tokenize(r#""a\"b": 1"#)[0], (Tok::Key, r#""a\"b""#));
    }

    #[test]
    fn pretty_text_is_cached_by_identity() {
        let c = PrettyCache::default();
        let v = Val::from(serde_json::json!({"a": [1, 2]}));
        let a = c.lines(&v);
        let b = c.lines(&v.clone());
        assert!(Rc::ptr_eq(&a, &b));
        assert_eq!(a.len(), 6);
    }
}
