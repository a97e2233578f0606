//! A parse error inside a JSONPath or intrinsic function expression, with
//! the offset where it went wrong, shown with a `^` under the column.

/// Where an expression (a JSONPath, an intrinsic call) stopped making sense.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// "JSONPath" or "intrinsic function".
    pub kind: &'static str,
    /// The whole expression.
    pub source: String,
    /// Byte offset in `source` where the problem is.
    pub offset: usize,
    pub message: String,
}

impl ExprError {
    pub fn new(kind: &'static str, source: &str, offset: usize, message: &str) -> ExprError {
        ExprError {
            kind,
            source: source.to_string(),
            offset: offset.min(source.len()),
            message: message.to_string(),
        }
    }

    /// The same problem seen from an enclosing expression that holds this
    /// one at byte `start` (a path argument of an intrinsic call).
    pub fn within(self, kind: &'static str, outer: &str, start: usize) -> ExprError {
        ExprError {
            kind,
            source: outer.to_string(),
            offset: (start + self.offset).min(outer.len()),
            message: format!("in the {} argument: {}", self.kind, self.message),
        }
    }

    /// The offset in characters (for a column), not bytes.
    pub fn char_offset(&self) -> usize {
        let mut at = self.offset;
        while at > 0 && !self.source.is_char_boundary(at) {
            at -= 1;
        }
        self.source[..at].chars().count()
    }

    /// The expression on one line and a `^` under the offending column
    /// (a long expression is windowed around it, `…` marking the cuts),
    /// each line indented by `indent`.
    pub fn caret(&self, indent: &str) -> String {
        let chars: Vec<char> = self.source.chars().collect();
        let at = self.char_offset();
        let (from, to) = if chars.len() > 100 {
            let from = at.saturating_sub(50);
            (from, (from + 100).min(chars.len()))
        } else {
            (0, chars.len())
        };
        let mut line: String = chars[from..to]
            .iter()
            .map(|c| if c.is_control() { ' ' } else { *c })
            .collect();
        let mut col = at - from;
        if from > 0 {
            line.insert(0, '…');
            col += 1;
        }
        if to < chars.len() {
            line.push('…');
        }
        format!("{indent}{line}\n{indent}{}^", " ".repeat(col))
    }
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A very long expression is quoted by its ends.
        let shown = if self.source.chars().count() > 120 {
            let head: String = self.source.chars().take(60).collect();
            let t: Vec<char> = self.source.chars().rev().take(40).collect();
            let tail: String = t.into_iter().rev().collect();
            format!("{head}…{tail}")
        } else {
            self.source.clone()
        };
        write!(
            f,
            "invalid {} '{shown}': {} at position {}",
            self.kind, self.message, self.offset
        )
    }
}

impl std::error::Error for ExprError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_stands_under_the_offending_character() {
        let e = ExprError::new("JSONPath", "$.a[?(@.x >> 1)]", 11, "bad literal");
        assert_eq!(e.caret("  "), "  $.a[?(@.x >> 1)]\n             ^");
        let long = format!("$.{}x[", "a".repeat(200));
        let e = ExprError::new("JSONPath", &long, long.len(), "expected ']'");
        let c = e.caret("");
        let (line, caret) = c.split_once('\n').unwrap();
        assert!(line.starts_with('…'));
        assert_eq!(caret.chars().count(), line.chars().count() + 1);
    }

    #[test]
    fn an_inner_error_is_placed_in_the_outer_expression() {
        let inner = ExprError::new("JSONPath", "$.x[", 4, "expected ']'");
        let e = inner.within("intrinsic function", "States.Format('{}', $.x[)", 20);
        assert_eq!(e.offset, 24);
        assert!(e.to_string().contains("in the JSONPath argument"));
    }
}
