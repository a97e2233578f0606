//! Reading a file into a document: JSON or YAML text with its source
//! positions found when a problem needs one, and the problems placed at
//! file, line:column and JSON pointer.

use super::expr_error::ExprError;
use super::json::{Duplicate, SourceMap};
use super::model::Diagnostic;
use super::value::Val;
use super::yaml;
use serde_json::Value;

/// A problem found while loading a file, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: String,
    pub pointer: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// A malformed expression in the value: shown with a `^` under the
    /// column where it goes wrong.
    pub expr: Option<Box<ExprError>>,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )?;
        } else {
            write!(
                f,
                "{}:{}:{}: {} (at {})",
                self.file, self.line, self.column, self.message, self.pointer
            )?;
        }
        if let Some(e) = &self.expr {
            write!(f, "\n{}", e.caret("    "))?;
        }
        Ok(())
    }
}

/// A parsed document, and where each of its values stands in the text:
/// found only when a diagnostic asks (a valid document never pays for it).
pub struct Document {
    pub value: Value,
    /// The JSON or YAML text the positions are found in.
    pub(crate) text: Option<String>,
    pub(crate) map: std::cell::OnceCell<SourceMap>,
    pub(crate) yaml: bool,
}

impl Document {
    /// A document with no text to place problems in (they stand at 1:1).
    pub(crate) fn without_positions() -> Document {
        Document {
            value: Value::Null,
            text: None,
            map: Default::default(),
            yaml: false,
        }
    }

    /// Where each value stands (built on first use).
    pub fn source_map(&self) -> &SourceMap {
        self.map.get_or_init(|| match self.text.as_deref() {
            Some(t) if self.yaml => SourceMap::from_yaml(t, &self.value),
            Some(t) => SourceMap::from_json(t),
            None => SourceMap::default(),
        })
    }

    /// Whether the text was YAML.
    pub fn is_yaml(&self) -> bool {
        self.yaml
    }

    /// The line and column of the value at `pointer` (or of the closest
    /// parent that has one).
    pub fn position(&self, pointer: &str) -> Option<(usize, usize)> {
        self.source_map().get(pointer)
    }
}

pub(crate) fn is_yaml(file: &str, text: &str) -> bool {
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return true;
    }
    if lower.ends_with(".json") {
        return false;
    }
    !matches!(text.trim_start().chars().next(), Some('{') | Some('['))
}

/// A JSON syntax error at its line and column.
pub(crate) fn json_error(file: &str, e: serde_json::Error) -> LoadError {
    let msg = e.to_string();
    let msg = msg
        .rfind(" at line ")
        .map(|i| msg[..i].to_string())
        .unwrap_or(msg);
    LoadError {
        file: file.into(),
        pointer: String::new(),
        line: e.line(),
        column: e.column(),
        message: format!("invalid JSON: {msg}"),
        expr: None,
    }
}

/// Parse JSON (or YAML, by extension or content) text.
pub fn parse_document(text: &str, file: &str) -> Result<Document, LoadError> {
    parse_owned(text.to_string(), file)
}

pub(crate) fn parse_owned(text: String, file: &str) -> Result<Document, LoadError> {
    if is_yaml(file, &text) {
        let value = yaml::parse(&text).map_err(|e| LoadError {
            file: file.into(),
            pointer: String::new(),
            line: e.line,
            column: e.column,
            message: format!("invalid YAML: {}", e.message),
            expr: None,
        })?;
        // Positions are found when a problem asks for one.
        return Ok(Document {
            value,
            text: Some(text),
            map: Default::default(),
            yaml: true,
        });
    }
    // A key given twice: JSON parsers keep the last one, which silently drops
    // a state, a field or a mock. The parse notices one; the source map then
    // says where both stand.
    let (value, twice) = super::parse::parse::<Value>(&text).map_err(|e| json_error(file, e))?;
    let source_map = if twice {
        SourceMap::from_json(&text)
    } else {
        SourceMap::default()
    };
    if let Some((pointer, (l1, c1), (line, column))) = source_map.duplicates.first() {
        return Err(LoadError {
            file: file.into(),
            pointer: pointer.clone(),
            line: *line,
            column: *column,
            message: format!(
                "duplicate key '{}' (first at {l1}:{c1}){}",
                pointer
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .replace("~1", "/")
                    .replace("~0", "~"),
                match source_map.duplicates.len() {
                    1 => String::new(),
                    n => format!("; {} more duplicate keys", n - 1),
                }
            ),
            expr: None,
        });
    }
    Ok(Document {
        value,
        text: Some(text),
        map: Default::default(),
        yaml: false,
    })
}

/// `text` read as CloudFormation reads a template: a key given twice keeps
/// its last value. Each key given twice comes with where it first stands
/// and where it stands again. A text that does not parse is `None` (the
/// strict parse has said why).
pub(crate) fn parse_keeping_last(text: &str, file: &str) -> Option<(Document, Vec<Duplicate>)> {
    if is_yaml(file, text) {
        let (value, pointers) = yaml::parse_keeping_last(text).ok()?;
        let map = SourceMap::from_yaml(text, &value);
        let lines: Vec<&str> = text.lines().collect();
        let duplicates = pointers
            .into_iter()
            .map(|p| {
                let first = map.get(&p).unwrap_or((1, 1));
                let key = p
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .replace("~1", "/")
                    .replace("~0", "~");
                // Where the key stands again: below the first, at its column.
                let again = lines
                    .iter()
                    .enumerate()
                    .skip(first.0)
                    .find(|(_, l)| {
                        let t = l.trim_start_matches([' ', '-']);
                        l.len() - t.len() + 1 == first.1
                            && [
                                format!("{key}:"),
                                format!("\"{key}\":"),
                                format!("'{key}':"),
                            ]
                            .iter()
                            .any(|w| t.starts_with(w.as_str()))
                    })
                    .map(|(i, _)| (i + 1, first.1))
                    .unwrap_or(first);
                (p, first, again)
            })
            .collect();
        let doc = Document {
            value,
            text: Some(text.to_string()),
            map: map.into(),
            yaml: true,
        };
        return Some((doc, duplicates));
    }
    let (value, _) = super::parse::parse::<Value>(text).ok()?;
    let map = SourceMap::from_json(text);
    let duplicates = map.duplicates.clone();
    let doc = Document {
        value,
        text: Some(text.to_string()),
        map: map.into(),
        yaml: false,
    };
    Some((doc, duplicates))
}

/// The largest file asldbg reads (a definition, mock file or input).
pub const MAX_DOCUMENT_BYTES: u64 = 1 << 30;

/// Read a file; a missing or unreadable file is a LoadError at 1:1.
pub fn read_document(file: &str) -> Result<Document, LoadError> {
    read_document_capped(file, MAX_DOCUMENT_BYTES)
}

/// Read `file` (`-`: standard input) of at most `cap` bytes: a larger one is
/// refused as soon as the cap is passed, without reading the rest.
pub fn read_document_capped(file: &str, cap: u64) -> Result<Document, LoadError> {
    let text = read_text_capped(file, cap)?;
    parse_owned(text, display_name(file))
}

/// The name a file's errors carry (standard input reads as JSON or YAML by content).
pub(crate) fn display_name(file: &str) -> &str {
    if file == "-" {
        "<stdin>.json"
    } else {
        file
    }
}

/// A value file (an execution input) of at most `cap` bytes, parsed straight
/// into the engine's values: no position map and no second tree are made
/// for a valid one (a YAML file, or one with a key given twice, goes the
/// long way that can say where).
pub fn read_value_capped(file: &str, cap: u64) -> Result<Val, LoadError> {
    let text = read_text_capped(file, cap)?;
    value_of_text(file, text)
}

/// Like [`read_value_capped`] for a payload quota: `quota` bytes of text
/// are allowed (inclusive, as AWS counts the input string), not counting
/// the line ending(s) a file ends with.
pub fn read_value_quota(file: &str, quota: u64) -> Result<Val, LoadError> {
    // Room for the file's last line ending ("\r\n" at most, twice).
    let text = read_text_capped(file, quota + 4)?;
    let body = text.trim_end_matches(['\n', '\r']).len() as u64;
    if body > quota {
        return Err(LoadError {
            file: display_name(file).into(),
            pointer: String::new(),
            line: 1,
            column: 1,
            message: format!("larger than {quota} bytes"),
            expr: None,
        });
    }
    value_of_text(file, text)
}

fn value_of_text(file: &str, text: String) -> Result<Val, LoadError> {
    let name = display_name(file);
    if !is_yaml(name, &text) {
        match super::parse::parse::<Val>(&text) {
            Ok((v, false)) => return Ok(v),
            Ok((_, true)) => {} // the long way below says where the key is given twice
            Err(e) => return Err(json_error(name, e)),
        }
    }
    parse_owned(text, name).map(|d| Val::from(&d.value))
}

/// The text of `file` (`-`: standard input), at most `cap` bytes of UTF-8;
/// what is not a regular file is refused unread.
pub fn read_text_capped(file: &str, cap: u64) -> Result<String, LoadError> {
    use std::io::Read;
    let fail = |message: String| LoadError {
        file: if file == "-" {
            "<stdin>".into()
        } else {
            file.into()
        },
        pointer: String::new(),
        line: 1,
        column: 1,
        message,
        expr: None,
    };
    // Read in chunks: text with a NUL byte is neither JSON nor YAML, so
    // binary junk is refused at its first chunk, not after a gigabyte.
    // Each chunk is read straight into the text's buffer, sized beforehand
    // when the file says how long it is (no copy, no regrowth).
    fn read_text(mut r: impl Read, cap: u64, bytes: &mut Vec<u8>) -> std::io::Result<()> {
        loop {
            let start = bytes.len();
            let n = match (&mut r).take(1 << 16).read_to_end(bytes) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(i) = memchr::memchr(0, &bytes[start..start + n]) {
                return Err(std::io::Error::other(format!(
                    "binary data (a NUL byte at offset {}), not JSON or YAML text",
                    start + i
                )));
            }
            if bytes.len() as u64 > cap {
                return Ok(());
            }
        }
    }
    let mut bytes = Vec::new();
    let mut too_big = false;
    let read = if file == "-" {
        read_text(std::io::stdin().lock(), cap, &mut bytes)
    } else {
        // Looked at before it is opened: opening a FIFO waits for a writer.
        std::fs::metadata(file)
            .and_then(|meta| {
                if !meta.is_file() {
                    return Err(std::io::Error::other(
                        "not a regular file (a FIFO, device or folder is not read)",
                    ));
                }
                Ok(())
            })
            .and_then(|()| std::fs::File::open(file))
            .and_then(|f| {
                let meta = f.metadata()?;
                if !meta.is_file() {
                    return Err(std::io::Error::other("not a regular file"));
                }
                // A file that says it is over the cap is refused unread (no
                // buffer is reserved for it).
                if meta.len() > cap {
                    too_big = true;
                    return Ok(());
                }
                // One more byte than the file has: the read that finds its end.
                bytes.reserve(meta.len() as usize + 1);
                read_text(f, cap, &mut bytes)
            })
    };
    read.map_err(|e| fail(format!("cannot read file: {e}")))?;
    if too_big || bytes.len() as u64 > cap {
        return Err(fail(format!("larger than {cap} bytes")));
    }
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = upto.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        LoadError {
            line,
            column,
            ..fail("not UTF-8 text".into())
        }
    })
}

/// Turn definition diagnostics into positioned errors. A malformed
/// expression is placed on its offending character when the file holds
/// the string as written (no escapes before it).
pub fn locate(file: &str, doc: &Document, diags: Vec<Diagnostic>) -> Vec<LoadError> {
    // No diagnostic, no source map: a valid document never pays for one.
    if diags.is_empty() {
        return Vec::new();
    }
    locate_with(file, doc.source_map(), doc.text.as_deref(), diags)
}

/// [`locate`] in a JSON text.
pub(crate) fn locate_in_json(file: &str, text: &str, diags: Vec<Diagnostic>) -> Vec<LoadError> {
    if diags.is_empty() {
        return Vec::new();
    }
    locate_with(file, &SourceMap::from_json(text), Some(text), diags)
}

fn locate_with(
    file: &str,
    map: &SourceMap,
    text: Option<&str>,
    diags: Vec<Diagnostic>,
) -> Vec<LoadError> {
    diags
        .into_iter()
        .map(|d| {
            let (line, mut column) = map.get(&d.pointer).unwrap_or((1, 1));
            if let (Some(e), Some(text)) = (&d.expr, text) {
                if let Some(c) = column_in_string(text, line, column, e) {
                    column = c;
                }
            }
            LoadError {
                file: file.into(),
                pointer: d.pointer,
                line,
                column,
                message: d.message,
                expr: d.expr.map(Box::new),
            }
        })
        .collect()
}

/// The column of `e`'s offending character when the JSON string at
/// `line`:`column` (the member's key, or the value itself) spells the
/// expression unescaped.
pub(crate) fn column_in_string(
    text: &str,
    line: usize,
    column: usize,
    e: &ExprError,
) -> Option<usize> {
    let chars: Vec<char> = text.lines().nth(line.checked_sub(1)?)?.chars().collect();
    let mut at = column.checked_sub(1)?;
    // Past a member's key and its colon, to the value.
    if chars.get(at) == Some(&'"') {
        let mut i = at + 1;
        while i < chars.len() && chars[i] != '"' {
            i += if chars[i] == '\\' { 2 } else { 1 };
        }
        let mut j = i + 1;
        while chars.get(j).is_some_and(|c| c.is_whitespace()) {
            j += 1;
        }
        if chars.get(j) == Some(&':') {
            j += 1;
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            at = j;
        }
    }
    if chars.get(at) != Some(&'"') {
        return None;
    }
    let upto: Vec<char> = e.source.get(..e.offset)?.chars().collect();
    if upto.iter().any(|c| matches!(c, '\\' | '"'))
        || chars.get(at + 1..at + 1 + upto.len())? != upto.as_slice()
    {
        return None;
    }
    Some(at + 2 + upto.len())
}

impl std::error::Error for LoadError {}
