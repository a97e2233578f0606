//! The Amazon States Language: definition model, validation, JSONPath,
//! intrinsic functions, payload templates and choice rules. Pure functions;
//! nothing here knows about execution or the terminal.

pub mod choice;
pub mod intrinsics;
pub mod json;
pub mod jsonata;
pub mod jsonpath;
pub mod model;
pub mod template;
pub mod timestamp;
pub mod value;

pub use model::{Definition, Diagnostic};

use json::SourceMap;
use serde_json::Value;

/// A problem found while loading a file, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: String,
    pub pointer: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        } else {
            write!(
                f,
                "{}:{}:{}: {} (at {})",
                self.file, self.line, self.column, self.message, self.pointer
            )
        }
    }
}

/// A parsed document and where each of its values stands in the text.
pub struct Document {
    pub value: Value,
    pub source_map: SourceMap,
}

fn is_yaml(file: &str, text: &str) -> bool {
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return true;
    }
    if lower.ends_with(".json") {
        return false;
    }
    !matches!(text.trim_start().chars().next(), Some('{') | Some('['))
}

/// Parse JSON (or YAML, by extension or content) text.
pub fn parse_document(text: &str, file: &str) -> Result<Document, LoadError> {
    if is_yaml(file, text) {
        let value: Value = serde_yaml_ng::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            LoadError {
                file: file.into(),
                pointer: String::new(),
                line,
                column,
                message: format!("invalid YAML: {e}"),
            }
        })?;
        let source_map = SourceMap::from_yaml(text, &value);
        return Ok(Document { value, source_map });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
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
        }
    })?;
    Ok(Document {
        source_map: SourceMap::from_json(text),
        value,
    })
}

/// Read a file; a missing or unreadable file is a LoadError at 1:1.
pub fn read_document(file: &str) -> Result<Document, LoadError> {
    let text = std::fs::read_to_string(file).map_err(|e| LoadError {
        file: file.into(),
        pointer: String::new(),
        line: 1,
        column: 1,
        message: format!("cannot read file: {e}"),
    })?;
    parse_document(&text, file)
}

/// Turn definition diagnostics into positioned errors.
pub fn locate(file: &str, map: &SourceMap, diags: Vec<Diagnostic>) -> Vec<LoadError> {
    diags
        .into_iter()
        .map(|d| {
            let (line, column) = map.get(&d.pointer).unwrap_or((1, 1));
            LoadError {
                file: file.into(),
                pointer: d.pointer,
                line,
                column,
                message: d.message,
            }
        })
        .collect()
}

/// Outcome of loading a definition file.
pub enum Loaded {
    Ok(Definition, Document),
    /// The file could not be read or parsed.
    Unreadable(LoadError),
    /// The file parsed but the definition is invalid.
    Invalid(Vec<LoadError>),
}

pub fn load_definition(file: &str) -> Loaded {
    load_definition_as(file, false)
}

/// Load a definition that will run as an EXPRESS (`express`) or STANDARD workflow.
pub fn load_definition_as(file: &str, express: bool) -> Loaded {
    let doc = match read_document(file) {
        Ok(d) => d,
        Err(e) => return Loaded::Unreadable(e),
    };
    match definition_of(file, &doc, express) {
        Ok(d) => Loaded::Ok(d, doc),
        Err(errs) => Loaded::Invalid(errs),
    }
}

/// The definition in a parsed document; for an EXPRESS workflow also the
/// checks only EXPRESS has (no activities, `.sync` or `.waitForTaskToken`).
/// Every problem carries the file, line:column and JSON pointer.
pub fn definition_of(
    file: &str,
    doc: &Document,
    express: bool,
) -> Result<Definition, Vec<LoadError>> {
    let d = Definition::from_value(&doc.value).map_err(|e| locate(file, &doc.source_map, e))?;
    if express {
        let diags = model::express_diagnostics(&d);
        if !diags.is_empty() {
            return Err(locate(file, &doc.source_map, diags));
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_definitions_parse() {
        let text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n";
        let d = parse_document(text, "m.yaml").unwrap();
        assert!(Definition::from_value(&d.value).is_ok());
        assert_eq!(d.source_map.get("/States/A/Type"), Some((4, 5)));
    }

    #[test]
    fn bad_yaml_and_json_report_positions() {
        let e = parse_document("a: [1,\n", "m.yml").err().unwrap();
        assert_eq!(e.file, "m.yml");
        assert!(e.message.starts_with("invalid YAML"));
        let e = parse_document("{\"a\": tru}", "m.json").err().unwrap();
        assert_eq!(e.line, 1);
        assert_eq!(e.file, "m.json");
    }

    #[test]
    fn invalid_definitions_are_located() {
        let text = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}\n  }\n}";
        let d = parse_document(text, "x.json").unwrap();
        let diags = Definition::from_value(&d.value).err().unwrap();
        let errs = locate("x.json", &d.source_map, diags);
        assert_eq!(errs[0].to_string(), "x.json:4:27: Next 'B' does not name a state in the same States block (at /States/A/Next)");
    }
}
