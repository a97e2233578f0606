//! One open file, analysed once per change: its problems as `validate`
//! reports them, and the index every request reads.

use super::index::Index;
use super::text::{Lines, Places};
use crate::asl::{self, LoadError, Loaded, OpenOptions};
use lsp_types::{Diagnostic, DiagnosticSeverity, NumberOrString};
use serde_json::Value;

/// The largest file analysed: AWS takes definitions up to 1 MiB, and a
/// template holding a few of them is far below this.
pub const MAX_BYTES: usize = 16 << 20;

/// What a file holds, as last analysed.
pub struct Analysis {
    pub path: String,
    pub text: String,
    pub lines: Lines,
    pub places: Places,
    pub index: Index,
    /// The parsed document (None: it does not parse, or is Terraform).
    pub value: Option<Value>,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the text is YAML (a rename writes names as YAML does).
    pub yaml: bool,
}

/// Whether `path` is a file the server looks at: a definition or a
/// template (JSON, YAML, Terraform).
pub fn is_ours(path: &str) -> bool {
    let l = path.to_ascii_lowercase();
    [".json", ".yaml", ".yml", ".tf", ".asl"]
        .iter()
        .any(|e| l.ends_with(e))
}

impl Analysis {
    /// Parse, index and check `text` as the content of `path`.
    pub fn new(path: &str, text: String) -> Analysis {
        if text.len() > MAX_BYTES {
            return Analysis::too_large(path, text);
        }
        let mut a = Analysis::parsed(path, text);
        a.diagnostics = a.diagnose();
        a
    }

    /// A file past [`MAX_BYTES`]: one diagnostic saying so, nothing else.
    fn too_large(path: &str, text: String) -> Analysis {
        let diagnostics = vec![Diagnostic {
            range: lsp_types::Range::default(),
            severity: Some(DiagnosticSeverity::INFORMATION),
            source: Some("asldbg".into()),
            message: format!(
                "not checked: {:.1} MB is more than the {} MiB asldbg lsp reads (AWS takes \
                 definitions up to 1 MiB); asldbg validate checks it",
                text.len() as f64 / 1e6,
                MAX_BYTES >> 20
            ),
            ..Diagnostic::default()
        }];
        Analysis {
            path: path.to_string(),
            lines: Lines::new(""),
            text: String::new(),
            places: Places::default(),
            index: Index::default(),
            value: None,
            diagnostics,
            yaml: false,
        }
    }

    /// [`Analysis::new`] without the check (a text repaired to complete in).
    pub fn parsed(path: &str, text: String) -> Analysis {
        let lines = Lines::new(&text);
        let yaml = !asl::is_terraform(path) && is_yaml(path, &text);
        let (value, places) = if asl::is_terraform(path) {
            (None, Places::default())
        } else if yaml {
            match asl::parse_document(&text, path) {
                Ok(doc) => {
                    let places = Places::yaml(&text, doc.source_map().positions());
                    (Some(doc.value), places)
                }
                Err(_) => (None, Places::default()),
            }
        } else {
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => (Some(v), Places::json(&text).unwrap_or_default()),
                Err(_) => (None, Places::default()),
            }
        };
        let index = match &value {
            Some(v) => Index::build(v, &places, &roots(v)).resolve(v),
            None => Index::default(),
        };
        Analysis {
            path: path.to_string(),
            text,
            lines,
            places,
            index,
            value,
            diagnostics: Vec::new(),
            yaml,
        }
    }

    /// Whether the file holds a state machine (or a template of some).
    pub fn holds_machines(&self) -> bool {
        !self.index.scopes.is_empty()
    }

    /// `validate`'s problems, one diagnostic each; every machine of a
    /// template with several.
    fn diagnose(&self) -> Vec<Diagnostic> {
        // A JSON or YAML file with no state machine in it (a package.json,
        // a workflow of some CI) is not ours to judge.
        if self.value.is_some() && !self.holds_machines() && !looks_like_template(&self.value) {
            return Vec::new();
        }
        let opts = OpenOptions {
            check_only: true,
            ..OpenOptions::default()
        };
        let picks = asl::machines_to_pick_in(&self.path, &self.text, &opts);
        // The template parsed once for all its machines.
        let (each, loads): (Vec<OpenOptions>, Vec<Loaded>) = if picks.is_empty() {
            let loaded = asl::load_text(&self.path, self.text.clone(), &opts);
            (vec![opts], vec![loaded])
        } else {
            let names: Vec<String> = picks.into_iter().map(|(m, _)| m).collect();
            let loads = asl::load_each_text(&self.path, self.text.clone(), &opts, &names);
            let each = names
                .into_iter()
                .map(|m| OpenOptions {
                    machine: Some(m),
                    ..opts.clone()
                })
                .collect();
            (each, loads)
        };
        let mut out: Vec<Diagnostic> = Vec::new();
        // A problem outside the machines is found once per machine.
        let mut seen: std::collections::HashSet<(u32, u32, String)> = Default::default();
        for (o, loaded) in each.iter().zip(loads) {
            let found = match loaded {
                Loaded::Ok(opened) => opened
                    .warnings
                    .iter()
                    .map(|w| (w.clone(), DiagnosticSeverity::WARNING))
                    .collect::<Vec<_>>(),
                Loaded::Unreadable(e) => vec![(e, DiagnosticSeverity::ERROR)],
                Loaded::Invalid(errs) => errs
                    .into_iter()
                    .map(|e| (e, DiagnosticSeverity::ERROR))
                    .collect(),
            };
            for (e, sev) in found {
                let d = self.diagnostic(&e, sev, o.machine.as_deref());
                if seen.insert((
                    d.range.start.line,
                    d.range.start.character,
                    d.message.clone(),
                )) {
                    out.push(d);
                }
            }
        }
        out
    }

    /// A problem as a diagnostic, over the key or value it names; one in
    /// another text than the file (a DefinitionString, a file it names) is
    /// shown where the template's machine `machine` gives its definition.
    pub fn diagnostic(
        &self,
        e: &LoadError,
        severity: DiagnosticSeverity,
        machine: Option<&str>,
    ) -> Diagnostic {
        let here = same_file(&e.file, &self.path);
        let (message, offset) = if here {
            (
                e.message.clone(),
                self.lines.offset_of_column(&self.text, e.line, e.column),
            )
        } else {
            // A definition in another text (a DefinitionString, a file it
            // names): the problem where that text stands, with its place.
            let at = self.machine_offset(machine).unwrap_or(0);
            (
                format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message),
                at,
            )
        };
        let mut message = message;
        if let Some(x) = &e.expr {
            message.push('\n');
            message.push_str(&x.caret(""));
        }
        let span = if here {
            self.span_of(e, offset)
        } else {
            self.token_at(offset)
        };
        Diagnostic {
            range: self.lines.range(&self.text, span),
            severity: Some(severity),
            code: (!e.pointer.is_empty()).then(|| NumberOrString::String(e.pointer.clone())),
            source: Some("asldbg".into()),
            message,
            ..Diagnostic::default()
        }
    }

    /// The text a problem names: the member at its pointer (its value when
    /// the message quotes the value, else key and value), when that member
    /// stands where the problem is placed; else the token there.
    fn span_of(&self, e: &LoadError, offset: usize) -> (usize, usize) {
        let line_of = |o: usize| self.lines.position(&self.text, o).line as usize + 1;
        // The pointer as given, or under a template's machine.
        let candidates = std::iter::once(e.pointer.clone()).chain(
            self.index
                .scopes
                .iter()
                .filter(|s| !s.pointer.is_empty() && s.parent.is_none())
                .map(|s| format!("{}{}", s.pointer, e.pointer)),
        );
        for p in candidates {
            let Some(place) = self.places.get(&p) else {
                continue;
            };
            let start = place.key.map_or(place.value.0, |k| k.0);
            if line_of(start) != e.line {
                continue;
            }
            let quoted = self
                .value
                .as_ref()
                .and_then(|v| v.pointer(&p))
                .and_then(Value::as_str)
                .is_some_and(|s| e.message.contains(&format!("'{s}'")));
            // An object or array: its key (the whole would cover lines).
            let container = self
                .value
                .as_ref()
                .and_then(|v| v.pointer(&p))
                .is_some_and(|v| v.is_object() || v.is_array());
            return match place.key {
                Some(k) if container => k,
                Some(_) if quoted => place.value,
                Some(k) => (k.0, place.value.1),
                None => place.value,
            };
        }
        self.token_at(offset)
    }

    /// Where a template's machine (`machine`, else its only one) gives
    /// its definition: the key of its `Definition`, `DefinitionString` or
    /// `DefinitionUri`.
    fn machine_offset(&self, machine: Option<&str>) -> Option<usize> {
        let found = asl::deploy::machines(self.value.as_ref()?, &Default::default())?;
        let f = match machine {
            Some(m) => found.iter().find(|f| f.name == m)?,
            None => found.first()?,
        };
        let p = self.places.get(&f.pointer)?;
        Some(p.key.map_or(p.value.0, |k| k.0))
    }

    /// The key or value that starts at `offset` (a problem's column is
    /// where it is written); else the word there.
    pub fn token_at(&self, offset: usize) -> (usize, usize) {
        let mut best: Option<(usize, usize)> = None;
        if let Some((p, on_key)) = self.places.at(offset + 1) {
            if let Some(place) = self.places.get(p) {
                let s = if on_key {
                    place.key.unwrap_or(place.value)
                } else {
                    place.value
                };
                // A key's or string's span starts inside its quote.
                if s.0 == offset || s.0 == offset + 1 {
                    best = Some(s);
                }
            }
        }
        best.unwrap_or_else(|| {
            let b = self.text.as_bytes();
            let mut e = offset;
            while e < b.len() && !matches!(b[e], b'\n' | b',' | b' ' | b'}' | b']') {
                e += 1;
            }
            (offset, e.max(offset))
        })
    }
}

/// Whether a document looks like a template (CloudFormation, SAM,
/// Serverless): its problems are ours even when no machine was found.
fn looks_like_template(v: &Option<Value>) -> bool {
    v.as_ref().is_some_and(|v| {
        v.get("Resources").is_some()
            || v.get("AWSTemplateFormatVersion").is_some()
            || v.get("stepFunctions").is_some()
            || v.get("StartAt").is_some()
            || v.get("States").is_some()
    })
}

fn is_yaml(path: &str, text: &str) -> bool {
    let l = path.to_ascii_lowercase();
    // JSON is YAML: a `.yaml` file written as JSON is read as JSON (its
    // places are exact).
    if text.trim_start().starts_with('{') && serde_json::from_str::<Value>(text).is_ok() {
        return false;
    }
    if l.ends_with(".yaml") || l.ends_with(".yml") {
        return true;
    }
    if l.ends_with(".json") {
        return false;
    }
    !matches!(text.trim_start().chars().next(), Some('{') | Some('['))
}

fn same_file(a: &str, b: &str) -> bool {
    a == b || {
        let (pa, pb) = (std::path::Path::new(a), std::path::Path::new(b));
        pa.file_name() == pb.file_name()
            && matches!((pa.canonicalize(), pb.canonicalize()), (Ok(x), Ok(y)) if x == y)
    }
}

/// The definitions a document holds: the document itself, or each one
/// written as an object in a template.
pub fn roots(v: &Value) -> Vec<String> {
    if v.get("States").is_some() || v.get("StartAt").is_some() {
        return vec![String::new()];
    }
    asl::deploy::machines(v, &Default::default())
        .unwrap_or_default()
        .into_iter()
        .filter(|f| matches!(f.body, asl::deploy::Body::Object(_)))
        .map(|f| f.pointer)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_validates_at_the_key_or_value_they_name() {
        let t = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"Bb\"},\
                 \"B\":{\"Type\":\"Pass\",\"End\":true}}}";
        let a = Analysis::new("x.asl.json", t.to_string());
        let msgs: Vec<&str> = a.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert!(
            msgs[0].contains("Next 'Bb' does not name a state"),
            "{msgs:?}"
        );
        let r = a.diagnostics[0].range;
        let (s, e) = (
            a.lines.offset(&a.text, r.start),
            a.lines.offset(&a.text, r.end),
        );
        assert_eq!(&t[s..e], "Bb");
        assert_eq!(a.diagnostics[0].severity, Some(DiagnosticSeverity::ERROR));
        // A JSON file with no machine in it: nothing to say.
        assert!(Analysis::new("package.json", "{\"name\": 1}".into())
            .diagnostics
            .is_empty());
    }

    #[test]
    fn a_template_with_two_machines_is_checked_whole() {
        let t = "Resources:\n  One:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: A\n        States:\n          A:\n            Type: Pass\n            Next: Nope\n  Two:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: B\n        States:\n          B:\n            Type: Pass\n            End: true\n";
        let a = Analysis::new("template.yaml", t.to_string());
        assert_eq!(a.index.scopes.len(), 2);
        assert_eq!(a.diagnostics.len(), 1, "{:?}", a.diagnostics);
        assert_eq!(a.diagnostics[0].range.start.line, 9);
    }
}
