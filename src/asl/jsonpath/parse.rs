//! The JSONPath parser: text to [`Path`] segments, with the offset of any
//! problem.

use super::*;

pub(super) struct Parser<'a> {
    pub(super) s: &'a [u8],
    pub(super) i: usize,
    pub(super) src: &'a str,
    pub(super) depth: usize,
    /// An unquoted word compared to in a filter (`@.Name==Receipt`): the
    /// definition is accepted, the path fails when it is evaluated.
    pub(super) unquoted: Option<ExprError>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}
fn is_name_char(c: u8) -> bool {
    !matches!(
        c,
        b'.' | b'['
            | b']'
            | b' '
            | b')'
            | b'('
            | b','
            | b'='
            | b'!'
            | b'<'
            | b'>'
            | b'&'
            | b'|'
            | b'\''
            | b'"'
    )
}

impl Parser<'_> {
    pub(super) fn err(&self, what: &str) -> ExprError {
        ExprError::new("JSONPath", self.src, self.i, what)
    }
    pub(super) fn peek(&self) -> u8 {
        *self.s.get(self.i).unwrap_or(&0)
    }
    pub(super) fn ws(&mut self) {
        while self.peek() == b' ' {
            self.i += 1;
        }
    }
    pub(super) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == c {
            self.i += 1;
            true
        } else {
            false
        }
    }
    pub(super) fn root(&mut self) -> Result<Root, ExprError> {
        if !self.eat(b'$') {
            return Err(self.err("a path must start with '$'"));
        }
        if self.eat(b'$') {
            return Ok(Root::Context);
        }
        if is_ident_start(self.peek()) {
            let st = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric()
                    || self.s[self.i] == b'_'
                    || self.s[self.i] >= 0x80)
            {
                self.i += 1;
            }
            return Ok(Root::Variable(self.src[st..self.i].to_string()));
        }
        Ok(Root::Data)
    }
    pub(super) fn name(&mut self) -> Result<String, ExprError> {
        let st = self.i;
        while self.i < self.s.len() && is_name_char(self.s[self.i]) {
            self.i += 1;
        }
        if st == self.i {
            return Err(self.err("expected a name"));
        }
        Ok(self.src[st..self.i].to_string())
    }
    pub(super) fn quoted(&mut self) -> Result<String, ExprError> {
        let q = self.peek();
        if q != b'\'' && q != b'"' {
            return Err(self.err("expected a quoted name"));
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            if self.i >= self.s.len() {
                return Err(self.err("unterminated string"));
            }
            let c = self.s[self.i];
            // A backslash escapes the closing quote or a backslash; before
            // anything else it is an ordinary character (AWS reads
            // `$['a\\"b']` as the key `a\"b`).
            if c == b'\\' && matches!(self.s.get(self.i + 1), Some(&n) if n == q || n == b'\\') {
                out.push(self.s[self.i + 1] as char);
                self.i += 2;
                continue;
            }
            if c == q {
                self.i += 1;
                return Ok(out);
            }
            let ch = self.src[self.i..].chars().next().unwrap();
            out.push(ch);
            self.i += ch.len_utf8();
        }
    }
    pub(super) fn int(&mut self) -> Result<i64, ExprError> {
        let st = self.i;
        if self.peek() == b'-' {
            self.i += 1;
        }
        while self.peek().is_ascii_digit() {
            self.i += 1;
        }
        self.src[st..self.i]
            .parse()
            .map_err(|_| self.err("expected an integer"))
    }
    /// Segments until the end of input (or, inside a filter, until an operator).
    pub(super) fn segments(&mut self, in_filter: bool) -> Result<Vec<Seg>, ExprError> {
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                b'.' => {
                    self.i += 1;
                    if self.eat(b'.') {
                        let inner = if self.peek() == b'[' {
                            self.bracket()?
                        } else if self.eat(b'*') {
                            Seg::Wildcard
                        } else {
                            Seg::Key(self.name()?)
                        };
                        segs.push(Seg::Deep(Box::new(inner)));
                    } else if self.eat(b'*') {
                        segs.push(Seg::Wildcard);
                    } else if self.peek() == b'[' {
                        segs.push(self.bracket()?);
                    } else {
                        let n = self.name()?;
                        if self.peek() == b'(' && self.s.get(self.i + 1) == Some(&b')') {
                            self.i += 2;
                            match n.as_str() {
                                "length" | "size" => segs.push(Seg::Length),
                                _ => return Err(self.err(&format!("unsupported function {n}()"))),
                            }
                        } else {
                            segs.push(Seg::Key(n));
                        }
                    }
                }
                b'[' => segs.push(self.bracket()?),
                _ => {
                    if !in_filter && self.i < self.s.len() {
                        return Err(self.err("unexpected character"));
                    }
                    return Ok(segs);
                }
            }
        }
    }
    pub(super) fn bracket(&mut self) -> Result<Seg, ExprError> {
        self.i += 1; // [
        self.ws();
        let seg = match self.peek() {
            b'*' => {
                self.i += 1;
                Seg::Wildcard
            }
            b'\'' | b'"' => {
                let mut keys = vec![self.quoted()?];
                self.ws();
                while self.eat(b',') {
                    self.ws();
                    keys.push(self.quoted()?);
                    self.ws();
                }
                if keys.len() == 1 {
                    Seg::Key(keys.pop().unwrap())
                } else {
                    Seg::Keys(keys)
                }
            }
            b'?' => {
                self.i += 1;
                self.ws();
                if !self.eat(b'(') {
                    return Err(self.err("expected '(' after '?'"));
                }
                self.deeper()?;
                let f = self.filter_or()?;
                self.depth -= 1;
                self.ws();
                if !self.eat(b')') {
                    return Err(self.err("expected ')'"));
                }
                Seg::Filter(Box::new(f))
            }
            _ => {
                let start = if self.peek() == b':' {
                    None
                } else {
                    Some(self.int()?)
                };
                self.ws();
                if self.eat(b':') {
                    self.ws();
                    let end = if matches!(self.peek(), b']' | b':') {
                        None
                    } else {
                        Some(self.int()?)
                    };
                    let step = if self.eat(b':') { self.int()? } else { 1 };
                    Seg::Slice(start, end, step)
                } else if self.peek() == b',' {
                    let mut idx = vec![start.unwrap()];
                    while self.eat(b',') {
                        self.ws();
                        idx.push(self.int()?);
                        self.ws();
                    }
                    Seg::Indexes(idx)
                } else {
                    Seg::Index(start.ok_or_else(|| self.err("expected an index"))?)
                }
            }
        };
        self.ws();
        if !self.eat(b']') {
            return Err(self.err("expected ']'"));
        }
        Ok(seg)
    }
    /// Enters one more level of nesting, or refuses past [`MAX_NESTING`].
    pub(super) fn deeper(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err(&format!(
                "filters, parentheses and '!' nest more than {MAX_NESTING} deep"
            )));
        }
        Ok(())
    }
    pub(super) fn filter_or(&mut self) -> Result<Filter, ExprError> {
        self.chain(b"||", Parser::filter_and, Filter::Or)
    }
    pub(super) fn filter_and(&mut self) -> Result<Filter, ExprError> {
        self.chain(b"&&", Parser::filter_unary, Filter::And)
    }
    /// Terms read by `term`, joined by `op` (one term stands alone).
    fn chain(
        &mut self,
        op: &[u8],
        term: fn(&mut Self) -> Result<Filter, ExprError>,
        join: fn(Vec<Filter>) -> Filter,
    ) -> Result<Filter, ExprError> {
        let mut terms = vec![term(self)?];
        loop {
            self.ws();
            if self.s[self.i..].starts_with(op) {
                self.i += op.len();
                terms.push(term(self)?);
            } else if terms.len() == 1 {
                return Ok(terms.pop().expect("one term"));
            } else {
                return Ok(join(terms));
            }
        }
    }
    pub(super) fn filter_unary(&mut self) -> Result<Filter, ExprError> {
        self.ws();
        if self.peek() == b'!' && self.s.get(self.i + 1) != Some(&b'=') {
            self.i += 1;
            self.deeper()?;
            let f = Filter::Not(Box::new(self.filter_unary()?));
            self.depth -= 1;
            return Ok(f);
        }
        if self.eat(b'(') {
            self.deeper()?;
            let f = self.filter_or()?;
            self.depth -= 1;
            self.ws();
            if !self.eat(b')') {
                return Err(self.err("expected ')'"));
            }
            return Ok(f);
        }
        let l = self.operand()?;
        self.ws();
        let rest = &self.s[self.i..];
        let (op, n) = if rest.starts_with(b"==") {
            (CmpOp::Eq, 2)
        } else if rest.starts_with(b"!=") {
            (CmpOp::Ne, 2)
        } else if rest.starts_with(b"<=") {
            (CmpOp::Le, 2)
        } else if rest.starts_with(b">=") {
            (CmpOp::Ge, 2)
        } else if rest.starts_with(b"<") {
            (CmpOp::Lt, 1)
        } else if rest.starts_with(b">") {
            (CmpOp::Gt, 1)
        } else if rest.starts_with(b"nin ") {
            (CmpOp::Nin, 3)
        } else if rest.starts_with(b"in ") {
            (CmpOp::In, 2)
        } else if rest.starts_with(b"contains ") {
            (CmpOp::Contains, 8)
        } else {
            return Ok(Filter::Exists(l));
        };
        self.i += n;
        self.ws();
        let r = self.operand()?;
        Ok(Filter::Cmp(l, op, r))
    }
    pub(super) fn operand(&mut self) -> Result<Operand, ExprError> {
        self.ws();
        match self.peek() {
            b'@' => {
                self.i += 1;
                Ok(Operand::Current(self.segments(true)?))
            }
            b'$' => {
                self.i += 1;
                Ok(Operand::Root(self.segments(true)?))
            }
            b'\'' | b'"' => Ok(Operand::Lit(Val::str(self.quoted()?))),
            b'[' => {
                let st = self.i;
                let mut depth = 0;
                while self.i < self.s.len() {
                    match self.s[self.i] {
                        b'[' => depth += 1,
                        b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                let text = self.src[st..self.i].replace('\'', "\"");
                serde_json::from_str(&text)
                    .map(Operand::Lit)
                    .map_err(|_| self.err("bad array literal"))
            }
            _ => {
                let st = self.i;
                while self.i < self.s.len()
                    && !matches!(
                        self.s[self.i],
                        b' ' | b')' | b'=' | b'!' | b'<' | b'>' | b'&' | b'|'
                    )
                {
                    self.i += 1;
                }
                let word = &self.src[st..self.i];
                match serde_json::from_str(word) {
                    Ok(v) => Ok(Operand::Lit(v)),
                    // Step Functions accepts `@.Name==Receipt` when the
                    // machine is created, and Jayway fails on it when the path
                    // is evaluated: so does asldbg.
                    Err(_)
                        if !word.is_empty()
                            && word.bytes().all(|c| {
                                c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
                            }) =>
                    {
                        if self.unquoted.is_none() {
                            self.unquoted = Some(ExprError::new(
                                "JSONPath",
                                self.src,
                                st,
                                &format!("the filter compares to {word}, which is not a value: a string needs quotes ('{word}')"),
                            ));
                        }
                        Ok(Operand::Lit(Val::Null))
                    }
                    Err(_) => Err(self.err("bad literal")),
                }
            }
        }
    }
}
