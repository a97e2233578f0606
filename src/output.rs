//! What the command line prints for a person: text that came from a
//! definition, an input or a task (state names, errors, causes, values) must
//! not drive the terminal of whoever runs asldbg. [`printable`] escapes the
//! characters a terminal acts on, and [`out`]/[`err`] write through it and end
//! the process quietly when the reader has gone (`asldbg run … | head -1`).

use std::borrow::Cow;
use std::io::Write;

/// Whether a terminal could act on `c`: C0 controls other than newline and
/// tab (ESC starts every escape sequence, BEL ends an OSC, CR overwrites a
/// line), DEL, the C1 controls (U+009B is a one-character CSI) and the
/// bidirectional overrides that make text read differently from what it is.
fn dangerous(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every character a terminal would act on written as a JSON-style
/// escape (`\u001b`), so that it is visible and, inside a JSON string, still
/// the same value.
pub fn printable(s: &str) -> Cow<'_, str> {
    // Printable ASCII, tabs and newlines (almost all output) are checked
    // byte by byte, which the compiler vectorises; the rest char by char.
    let plain = |b: &u8| (0x20..0x7f).contains(b) || *b == b'\n' || *b == b'\t';
    if s.as_bytes().iter().all(plain) || !s.chars().any(dangerous) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if dangerous(c) {
            o.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            o.push(c);
        }
    }
    Cow::Owned(o)
}

fn write_to(mut w: impl Write, text: &str) {
    let safe = printable(text);
    if let Err(e) = w.write_all(safe.as_bytes()).and_then(|()| w.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader has what it wanted (`| head`): stop without a word.
            std::process::exit(0);
        }
    }
}

/// Writes `text` to standard output with [`printable`]; a closed pipe ends
/// the process quietly.
pub fn out(text: &str) {
    write_to(std::io::stdout().lock(), text);
}

/// Writes `text` to standard error with [`printable`].
pub fn err(text: &str) {
    write_to(std::io::stderr().lock(), text);
}

/// A JSON formatter that writes like serde_json's pretty printer but
/// escapes, inside strings, the characters [`printable`] escapes (serde_json
/// already escapes C0 controls; DEL, C1 controls and bidirectional
/// overrides would reach the terminal raw).
struct SafePretty<'a>(serde_json::ser::PrettyFormatter<'a>);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name<W: ?Sized + Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> std::io::Result<()> {
            self.0.$name(w $(, $arg)*)
        })*
    };
}

impl serde_json::ser::Formatter for SafePretty<'_> {
    delegate! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        w.write_all(printable(fragment).as_bytes())
    }
}

/// `value` as pretty JSON on standard output, written as it is serialised
/// (no copy of the whole text is made first), with a final newline; a
/// closed pipe ends the process quietly.
pub fn out_json_pretty<T: serde::Serialize>(value: &T) {
    let stdout = std::io::stdout().lock();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let r = {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut w,
            SafePretty(serde_json::ser::PrettyFormatter::new()),
        );
        value
            .serialize(&mut ser)
            .map_err(std::io::Error::from)
            .and_then(|()| w.write_all(b"\n"))
            .and_then(|()| w.flush())
    };
    if let Err(e) = r {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// `println!` through [`out`].
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => {{
        let mut s = format!($($t)*);
        s.push('\n');
        $crate::output::out(&s);
    }};
}

/// `eprintln!` through [`err`].
#[macro_export]
macro_rules! errln {
    ($($t:tt)*) => {{
        let mut s = format!($($t)*);
        s.push('\n');
        $crate::output::err(&s);
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_escaped_and_plain_text_is_untouched() {
        assert!(matches!(printable("Ship → done\tok\n"), Cow::Borrowed(_)));
        assert_eq!(
            printable("a\u{1b}]0;pwned\u{7}b\u{1b}]52;c;eA==\u{7}"),
            "a\\u001b]0;pwned\\u0007b\\u001b]52;c;eA==\\u0007"
        );
        assert_eq!(
            printable("x\r\u{9b}2J\u{202e}y"),
            "x\\u000d\\u009b2J\\u202ey"
        );
        // Inside a JSON string the escape keeps the value.
        let j = serde_json::to_string("\u{9b}").unwrap();
        let back: String = serde_json::from_str(&printable(&j)).unwrap();
        assert_eq!(back, "\u{9b}");
    }
}
