//! Where things stand in a file's text: byte offsets of every member's key
//! and value (by JSON pointer), and the conversion between byte offsets and
//! the protocol's positions (lines and UTF-16 columns).

use crate::asl::json::pointer_token;
use lsp_types::{Position, Range};
use std::collections::HashMap;

/// A byte range `start..end` in the text.
pub type Span = (usize, usize);

/// The text of one value: its key's span (an object member's name, inside
/// its quotes) and its value's (inside the quotes of a string).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub key: Option<Span>,
    pub value: Span,
    /// Whether the spans are this value's own: false inside a YAML flow
    /// collection (`{…}`, `[…]` on one line), whose members share its
    /// place (nothing is edited there).
    pub exact: bool,
}

/// Every value's [`Place`], by JSON pointer.
#[derive(Debug, Default)]
pub struct Places {
    map: HashMap<String, Place>,
}

impl Places {
    pub fn get(&self, pointer: &str) -> Option<&Place> {
        self.map.get(pointer)
    }

    /// The innermost value at `offset`, and whether `offset` is on its key.
    pub fn at(&self, offset: usize) -> Option<(&str, bool)> {
        let mut best: Option<(&str, bool, usize)> = None;
        for (p, place) in &self.map {
            let on = |s: Span| s.0 <= offset && offset <= s.1;
            let hit = match place.key {
                Some(k) if on(k) => Some((true, k.1 - k.0)),
                _ if on(place.value) => Some((false, place.value.1 - place.value.0)),
                _ => None,
            };
            if let Some((key, width)) = hit {
                if best.is_none_or(|b| width < b.2 || (width == b.2 && p.len() > b.0.len())) {
                    best = Some((p, key, width));
                }
            }
        }
        best.map(|(p, k, _)| (p, k))
    }

    /// The places of a JSON text (None: it is not JSON).
    pub fn json(text: &str) -> Option<Places> {
        let mut s = Scan {
            b: text.as_bytes(),
            text,
            i: 0,
            map: HashMap::new(),
        };
        s.ws();
        let start = s.i;
        s.value("")?;
        let end = s.i;
        s.map.insert(
            String::new(),
            Place {
                key: None,
                value: (start, end),
                exact: true,
            },
        );
        Some(Places { map: s.map })
    }

    /// The places of a YAML text, from where its keys were found
    /// (`positions`: 1-based line and byte column of each value, as
    /// [`crate::asl::json::SourceMap`] has them). A value written in flow
    /// style (`{…}` on one line) shares its parent's place.
    pub fn yaml<'a>(
        text: &str,
        positions: impl Iterator<Item = (&'a str, (usize, usize))>,
    ) -> Places {
        let starts = line_starts(text);
        let line_of = |l: usize| -> &str {
            let s = starts.get(l.wrapping_sub(1)).copied().unwrap_or(text.len());
            let e = starts.get(l).map_or(text.len(), |e| e - 1);
            text.get(s..e.max(s)).unwrap_or("")
        };
        let positions: Vec<(&str, (usize, usize))> = positions.collect();
        // The last line of each value: the deepest line any value inside it
        // stands on.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (p, (line, _)) in &positions {
            let mut q: &str = p;
            loop {
                let e = last.entry(q).or_insert(*line);
                *e = (*e).max(*line);
                match q.rfind('/') {
                    Some(i) => q = &q[..i],
                    None => break,
                }
            }
        }
        let mut map = HashMap::new();
        let by_pointer: HashMap<&str, (usize, usize)> = positions.iter().copied().collect();
        for (p, (line, col)) in &positions {
            let Some(&ls) = starts.get(line - 1) else {
                continue;
            };
            // A member of a flow collection stands where its parent does:
            // no span of its own (and no scan of its long line).
            let parent = p.rfind('/').map(|i| &p[..i]).filter(|q| !q.is_empty());
            if parent.is_some_and(|q| by_pointer.get(q) == Some(&(*line, *col))) {
                let at = ls + col - 1;
                map.insert(
                    p.to_string(),
                    Place {
                        key: None,
                        value: (at, at),
                        exact: false,
                    },
                );
                continue;
            }
            let l = line_of(*line);
            let at = (col - 1).min(l.len());
            let rest = &l[at..];
            let is_item = p
                .rsplit('/')
                .next()
                .is_some_and(|t| t.parse::<usize>().is_ok())
                && !rest.contains(':');
            let (key, value_from) = if is_item || p.is_empty() {
                (None, at)
            } else {
                match yaml_key(rest) {
                    Some((ks, ke, after)) => (Some((ls + at + ks, ls + at + ke)), at + after),
                    None => (None, at),
                }
            };
            let v = &l[value_from.min(l.len())..];
            let trimmed = v.trim_start();
            let vs = value_from + (v.len() - trimmed.len());
            let end_line = last.get(p).copied().unwrap_or(*line);
            let value = if trimmed.is_empty() || end_line > *line {
                // A block value: to the end of its last line.
                let e = starts.get(end_line).map_or(text.len(), |e| e - 1);
                (ls + vs, e.max(ls + vs))
            } else {
                let (a, b) = yaml_scalar(trimmed);
                (ls + vs + a, ls + vs + b)
            };
            map.insert(
                p.to_string(),
                Place {
                    key,
                    value,
                    exact: true,
                },
            );
        }
        Places { map }
    }
}

/// In `rest` (a line from a key on), the key's span (inside quotes) and
/// where its value begins (past the colon).
fn yaml_key(rest: &str) -> Option<(usize, usize, usize)> {
    let b = rest.as_bytes();
    match b.first()? {
        q @ (b'"' | b'\'') => {
            let close = rest[1..].find(*q as char)? + 1;
            let colon = rest[close..].find(':')? + close;
            Some((1, close, colon + 1))
        }
        _ => {
            let colon = rest.find(':')?;
            Some((0, rest[..colon].trim_end().len(), colon + 1))
        }
    }
}

/// The span of a YAML scalar written at the start of `v`: inside its quotes,
/// or up to a comment.
fn yaml_scalar(v: &str) -> (usize, usize) {
    if let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') {
        if let Some(e) = v[1..].find(q) {
            return (1, e + 1);
        }
    }
    let end = v.find(" #").unwrap_or(v.len());
    (0, v[..end].trim_end().len())
}

struct Scan<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
    map: HashMap<String, Place>,
}

impl Scan<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    /// A string at `i` (on its opening quote): the span inside the quotes.
    fn string(&mut self) -> Option<Span> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i + 1;
        let mut j = start;
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                b'"' => {
                    self.i = j + 1;
                    return Some((start, j));
                }
                _ => j += 1,
            }
        }
        None
    }

    /// The value at `i`; returns its span (inside the quotes for a string).
    fn value(&mut self, ptr: &str) -> Option<Span> {
        match *self.b.get(self.i)? {
            b'"' => self.string(),
            b'{' => {
                let start = self.i;
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Some((start, self.i));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    let raw = &self.text[key.0..key.1];
                    let name = if raw.contains('\\') {
                        serde_json::from_str::<String>(&self.text[key.0 - 1..key.1 + 1]).ok()?
                    } else {
                        raw.to_string()
                    };
                    let p = format!("{ptr}/{}", pointer_token(&name));
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return None;
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value(&p)?;
                    self.map.insert(
                        p,
                        Place {
                            key: Some(key),
                            value: v,
                            exact: true,
                        },
                    );
                    self.ws();
                    match self.b.get(self.i)? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some((start, self.i));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let start = self.i;
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Some((start, self.i));
                }
                let mut n = 0;
                loop {
                    self.ws();
                    let p = format!("{ptr}/{n}");
                    let v = self.value(&p)?;
                    self.map.insert(
                        p,
                        Place {
                            key: None,
                            value: v,
                            exact: true,
                        },
                    );
                    n += 1;
                    self.ws();
                    match self.b.get(self.i)? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some((start, self.i));
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                let start = self.i;
                while self.i < self.b.len()
                    && !matches!(
                        self.b[self.i],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
                (self.i > start).then_some((start, self.i))
            }
        }
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

/// Byte offsets ↔ protocol positions (0-based lines, UTF-16 columns),
/// in time independent of a line's length: a minified definition is one
/// line of a megabyte.
pub struct Lines {
    starts: Vec<usize>,
    /// Every [`STRIDE`] bytes (at a character boundary): the byte offset,
    /// and the characters and UTF-16 units before it in the text.
    marks: Vec<(usize, usize, usize)>,
}

const STRIDE: usize = 256;

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut marks = vec![(0, 0, 0)];
        let (mut chars, mut units) = (0, 0);
        let mut next = STRIDE;
        for (i, c) in text.char_indices() {
            if i >= next {
                marks.push((i, chars, units));
                next = i + STRIDE;
            }
            chars += 1;
            units += c.len_utf16();
        }
        Lines {
            starts: line_starts(text),
            marks,
        }
    }

    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// The offset where 0-based line `line` begins.
    pub fn start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// Characters and UTF-16 units before byte `offset` (a boundary).
    fn counts(&self, text: &str, offset: usize) -> (usize, usize) {
        let k = self.marks.partition_point(|m| m.0 <= offset) - 1;
        let (at, mut chars, mut units) = self.marks[k];
        for c in text.get(at..offset).unwrap_or("").chars() {
            chars += 1;
            units += c.len_utf16();
        }
        (chars, units)
    }

    /// The byte offset at which `key` (characters or UTF-16 units, by
    /// `units`) reaches `target`, not past `limit`.
    fn seek(&self, text: &str, target: usize, units: bool, limit: usize) -> usize {
        let of = |m: &(usize, usize, usize)| if units { m.2 } else { m.1 };
        let k = self.marks.partition_point(|m| of(m) <= target).max(1) - 1;
        let (at, chars, u) = self.marks[k];
        let mut count = if units { u } else { chars };
        for (i, c) in text[at..].char_indices() {
            if count >= target || at + i >= limit {
                return (at + i).min(limit);
            }
            count += if units { c.len_utf16() } else { 1 };
        }
        text.len().min(limit)
    }

    /// The end of 0-based line `line`'s text (before its newline).
    fn line_end(&self, text: &str, line: usize) -> usize {
        self.starts.get(line + 1).map_or(text.len(), |e| e - 1)
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let col = self.counts(text, offset).1 - self.counts(text, self.starts[line]).1;
        Position::new(line as u32, col as u32)
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(self.position(text, span.0), self.position(text, span.1))
    }

    pub fn offset(&self, text: &str, p: Position) -> usize {
        let line = p.line as usize;
        let Some(&from) = self.starts.get(line) else {
            return text.len();
        };
        let base = self.counts(text, from).1;
        self.seek(
            text,
            base + p.character as usize,
            true,
            self.line_end(text, line).max(from),
        )
    }

    /// The offset of a 1-based line and 1-based column counted in
    /// characters (how problems are placed).
    pub fn offset_of_column(&self, text: &str, line: usize, column: usize) -> usize {
        let l = line.saturating_sub(1);
        let Some(&from) = self.starts.get(l) else {
            return text.len();
        };
        let base = self.counts(text, from).0;
        self.seek(
            text,
            base + column.saturating_sub(1),
            false,
            self.line_end(text, l).max(from),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_places_keys_and_values() {
        let t = "{\n  \"States\": {\"A b\": {\"Next\": \"B\", \"n\": [1, true]}}\n}";
        let p = Places::json(t).unwrap();
        let a = p.get("/States/A b").unwrap();
        assert_eq!(&t[a.key.unwrap().0..a.key.unwrap().1], "A b");
        let n = p.get("/States/A b/Next").unwrap();
        assert_eq!(&t[n.value.0..n.value.1], "B");
        assert_eq!(&t[n.key.unwrap().0..n.key.unwrap().1], "Next");
        let one = p.get("/States/A b/n/1").unwrap();
        assert_eq!(&t[one.value.0..one.value.1], "true");
        let off = t.find("\"B\"").unwrap() + 1;
        assert_eq!(p.at(off), Some(("/States/A b/Next", false)));
        assert_eq!(
            p.at(t.find("Next").unwrap() + 1),
            Some(("/States/A b/Next", true))
        );
        assert!(Places::json("{\"a\": ").is_none());
    }

    #[test]
    fn yaml_places_from_key_positions() {
        let t = "StartAt: A\nStates:\n  A:\n    Type: Pass  # a comment\n    Next: \"B\"\n  B:\n    Type: Succeed\n";
        let v: serde_json::Value = crate::asl::yaml::parse(t).unwrap();
        let sm = crate::asl::json::SourceMap::from_yaml(t, &v);
        let p = Places::yaml(t, sm.positions());
        let span = |s: Span| &t[s.0..s.1];
        let a = p.get("/States/A").unwrap();
        assert_eq!(span(a.key.unwrap()), "A");
        assert!(span(a.value).contains("Next: \"B\""));
        assert_eq!(span(p.get("/States/A/Type").unwrap().value), "Pass");
        assert_eq!(span(p.get("/States/A/Next").unwrap().value), "B");
        assert_eq!(span(p.get("/StartAt").unwrap().value), "A");
    }

    #[test]
    fn positions_count_utf16_units() {
        let t = "a\n😀b\"c\"\n";
        let l = Lines::new(t);
        let off = t.find('b').unwrap();
        assert_eq!(l.position(t, off), Position::new(1, 2));
        assert_eq!(l.offset(t, Position::new(1, 2)), off);
        assert_eq!(l.offset_of_column(t, 2, 2), off);
        // Past the line's end: its end.
        assert_eq!(l.offset(t, Position::new(0, 99)), 1);
        // A long line of wide characters: the same answers far into it.
        let long = format!("x\n{}é\"", "😀".repeat(5000));
        let l = Lines::new(&long);
        let at = long.find('é').unwrap();
        assert_eq!(l.position(&long, at), Position::new(1, 10000));
        assert_eq!(l.offset(&long, Position::new(1, 10000)), at);
        assert_eq!(l.offset_of_column(&long, 2, 5001), at);
    }
}
