//! Edit-and-continue on the definition: the file the debugger opened is
//! watched (and `R` reloads it); a valid new definition replaces the
//! running one — the graph laid out again, breakpoints kept by state, the
//! run re-executed to the same moment or stopped where it parts from the
//! run before — and an invalid one is shown in place while the old one
//! keeps running. `e` on the ASL tab writes the selected state back into
//! the file, the rest of the file as it was.

use super::app::{App, EditTarget};
use crate::asl::{self, Loaded, OpenOptions};
use serde_json::Value;
use std::time::SystemTime;

const NOT_A_FILE: &str =
    "This definition is a bundled sample, not a file: there is nothing to write back to.";

/// The definition file the debugger runs, as it was last read.
#[derive(Debug, Clone)]
pub struct DefinitionFile {
    pub path: String,
    pub opts: OpenOptions,
    /// Where the definition stands in the file (a template's pointer).
    pub prefix: String,
    /// Modification time and size when last read: a change reloads.
    stamp: Option<(SystemTime, u64)>,
    /// A copy that lives in the session, never on disk (an exercise's
    /// starter as the student edits it; in a served session, theirs alone):
    /// `path` only names it.
    pub copy: Option<String>,
}

impl DefinitionFile {
    pub fn new(path: &str, opts: OpenOptions, prefix: &str) -> DefinitionFile {
        DefinitionFile {
            path: path.to_string(),
            opts,
            prefix: prefix.to_string(),
            stamp: stamp_of(path),
            copy: None,
        }
    }

    /// A definition kept in the session as JSON text `text`, shown as `name`.
    pub fn in_session(name: &str, text: String) -> DefinitionFile {
        DefinitionFile {
            path: name.to_string(),
            opts: OpenOptions::default(),
            prefix: String::new(),
            stamp: None,
            copy: Some(text),
        }
    }

    /// The text as it is now: the session's copy, or the file read again.
    fn text(&self) -> Result<String, String> {
        match &self.copy {
            Some(t) => Ok(t.clone()),
            None => std::fs::read_to_string(&self.path).map_err(|e| format!("{}: {e}", self.path)),
        }
    }
}

fn stamp_of(path: &str) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl App {
    /// Reload the definition when its file changed since it was read
    /// (called a few times a second).
    pub fn check_definition_file(&mut self) {
        let Some(f) = self.definition_file.as_ref().filter(|f| f.copy.is_none()) else {
            return;
        };
        let now = stamp_of(&f.path);
        // A file being replaced (an editor's save) may be missing for a
        // moment: wait for it to come back.
        if now.is_some() && now != f.stamp {
            self.reload_definition(true);
        }
    }

    /// Read the definition file again and run it (`R`, or the file changed).
    pub fn reload_definition(&mut self, changed: bool) {
        let Some(f) = self.definition_file.as_mut() else {
            self.message = "Nothing to reload: this definition is not a file (a bundled sample; \
                            `asldbg samples` shows where to copy one)."
                .into();
            return;
        };
        f.stamp = stamp_of(&f.path);
        let (path, opts) = (f.path.clone(), f.opts.clone());
        let loaded = match &f.copy {
            Some(t) => asl::load_text("copy.json", t.clone(), &opts),
            None => asl::load(&path, &opts),
        };
        self.take_loaded(&path, loaded, changed);
    }

    /// Run what loading the file gave, or show why it cannot run.
    fn take_loaded(&mut self, path: &str, loaded: Loaded, changed: bool) {
        let name = std::path::Path::new(path)
            .file_name()
            .map_or(path.into(), |n| n.to_string_lossy());
        let what = if changed {
            format!("{name} changed")
        } else {
            format!("{name} reloaded")
        };
        let problems: Vec<String> = match loaded {
            Loaded::Ok(opened) => {
                if let Some(f) = self.definition_file.as_mut() {
                    f.prefix = opened.prefix.clone();
                }
                self.run_definition(opened.definition, &what, true);
                return;
            }
            Loaded::Unreadable(e) => vec![e.to_string()],
            Loaded::Invalid(errs) => errs.iter().map(|e| e.to_string()).collect(),
        };
        self.message = format!(
            "{what}, but it is not valid ({} problem{}; the ASL tab lists them): still running the definition before. {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems[0]
        );
        self.log.extend(problems.iter().cloned());
        self.definition_problems = problems;
    }

    /// Put `def` in place of the running definition and say what the
    /// re-run did.
    /// `follow`: the selection goes to the state the run is at (else it
    /// stays on the state it was on).
    pub(super) fn run_definition(&mut self, def: crate::asl::Definition, what: &str, follow: bool) {
        self.definition_problems.clear();
        if let Some(b) = &self.background {
            b.cancel();
            if let Ok(mut slot) = b.slot.lock() {
                *slot = None;
            }
        }
        self.command_running = None;
        let selected = self.selected_id().map(|id| self.state_pointer(id));
        let collapsed: Vec<String> = self
            .collapsed
            .iter()
            .map(|id| self.state_pointer(*id))
            .collect();
        let shown = self.session.moment().history().len();
        let r = self.session.reload(std::sync::Arc::new(def));
        // Everything laid out or numbered after the old definition.
        self.rows = super::app::outline_rows(self.session.definition());
        self.parents = crate::graph::containers(self.session.definition());
        self.collapsed = collapsed.iter().filter_map(|p| self.state_at(p)).collect();
        self.regraph();
        *self.definition_value.borrow_mut() = None;
        self.trace = Default::default();
        self.generation += 1;
        self.history_selected = None;
        if let Some(report) = &self.coverage_report {
            let marks = crate::testing::coverage::marks(self.session.definition(), report);
            if let Some((m, _)) = self.coverage.as_mut() {
                *m = marks;
            }
        }
        self.absorb_history();
        self.selected = selected
            .and_then(|p| self.state_at(&p))
            .and_then(|id| self.row_of(id))
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
        if follow {
            self.follow_current();
        }
        let n = self.session.moment().history().len();
        let mut msg = match &r.diverged {
            None if n == shown => format!("{what}: re-run to the same moment (event {n})."),
            None => format!("{what}: re-run to event {n}."),
            Some(d) => format!(
                "{what}: the run now parts from the one before at event {}: {}. Stopped there.",
                d.event, d.why
            ),
        };
        if !r.gone.is_empty() {
            msg.push_str(&format!(" No longer there: {}.", r.gone.join(", ")));
        }
        if !self.session.missed().is_empty() {
            msg.push_str(&format!(
                " Edits that no longer apply: {}.",
                self.session.missed().join("; ")
            ));
        }
        self.message = msg;
    }

    /// The JSON pointer of state `id` in the definition.
    fn state_pointer(&self, id: (usize, usize)) -> String {
        self.session.definition().machines[id.0].states[id.1]
            .pointer
            .clone()
    }

    /// The state at pointer `p` of the definition, if there is one.
    fn state_at(&self, p: &str) -> Option<(usize, usize)> {
        let def = self.session.definition();
        def.machines.iter().enumerate().find_map(|(m, mc)| {
            mc.states
                .iter()
                .position(|s| s.pointer == p)
                .map(|s| (m, s))
        })
    }

    /// The selected state's JSON as the file has it, to edit (`e` on the
    /// ASL tab); or why it cannot be written back.
    pub fn definition_to_edit(&self) -> Result<(String, Value), String> {
        if self.definition_file.is_none() {
            return Err(NOT_A_FILE.into());
        }
        let (st, _) = self
            .selected_definition()
            .ok_or("Select a state (in the graph or the list) first.")?;
        self.state_in_file(st)
    }

    /// Where state `st` stands in the definition file, and its JSON there,
    /// when it can be written back (a JSON file holding it as it runs).
    pub(super) fn state_in_file(
        &self,
        st: &crate::asl::model::State,
    ) -> Result<(String, Value), String> {
        let f = self.definition_file.as_ref().ok_or(NOT_A_FILE)?;
        let at = format!("{}{}", f.prefix, st.pointer);
        if f.copy.is_none() && asl::is_terraform(&f.path) {
            return Err(format!(
                "{} is a Terraform file: the ASL tab writes back into JSON files only. Edit it in \
                 your editor: asldbg reloads it when it is saved.",
                f.path
            ));
        }
        let doc = match &f.copy {
            Some(t) => asl::parse_document(t, "copy.json"),
            None => asl::read_document(&f.path),
        }
        .map_err(|e| e.to_string())?;
        if doc.is_yaml() {
            return Err(format!(
                "{} is YAML: the ASL tab writes back into JSON files only. Edit it in your editor: \
                 asldbg reloads it when it is saved.",
                f.path
            ));
        }
        let raw = self.session.definition().raw(st);
        match doc.value.pointer(&at) {
            Some(v) if crate::asl::json::value_eq(v, raw) => Ok((at, v.clone())),
            Some(_) => Err(format!(
                "{} {at} is not what runs (it has ${{…}} placeholders, or the file changed: R reloads it). \
                 Edit it in your editor: asldbg reloads it when it is saved.",
                f.path
            )),
            None => Err(format!(
                "{}: the state is not at {at} (a definition given as a string?). Edit it in your editor: \
                 asldbg reloads it when it is saved.",
                f.path
            )),
        }
    }

    /// Open the editor on the selected state's JSON (`e` on the ASL tab).
    pub(super) fn edit_definition(&mut self) {
        match self.definition_to_edit() {
            Ok((at, _)) => self.open_editor(EditTarget::Definition(at)),
            Err(e) => self.message = e,
        }
    }

    /// Write `value` at pointer `at` of the definition file and run the
    /// result. Nothing is written when the new definition is not valid:
    /// the error says why (and the editor keeps the text).
    pub(super) fn write_definition(&mut self, at: &str, value: &Value) -> Result<(), String> {
        let f = self
            .definition_file
            .clone()
            .ok_or("This definition is not a file.")?;
        let text = f.text()?;
        let new = crate::asl::splice::write_at(&text, at, value)
            .ok_or_else(|| format!("{}: nothing at {at} any more (R reloads it)", f.path))?;
        let as_file = if f.copy.is_some() {
            "copy.json"
        } else {
            &f.path
        };
        match asl::load_text(as_file, new.clone(), &f.opts) {
            Loaded::Ok(opened) => {
                if new == text {
                    // Members reordered, a number respelt: the same JSON, whose
                    // text in the file stays as it was.
                    self.message = format!(
                        "Nothing to write: the edit gives the same JSON as {} holds (members \
                         in another order or a number written another way keep the file's text)",
                        f.path
                    );
                    return Ok(());
                }
                match &f.copy {
                    Some(_) => {
                        if let Some(df) = self.definition_file.as_mut() {
                            df.copy = Some(new);
                        }
                    }
                    None => {
                        std::fs::write(&f.path, &new).map_err(|e| format!("{}: {e}", f.path))?;
                        if let Some(df) = self.definition_file.as_mut() {
                            df.stamp = stamp_of(&f.path);
                        }
                    }
                }
                let token = at.rsplit('/').next().unwrap_or(at);
                let name = token.replace("~1", "/").replace("~0", "~");
                let file = std::path::Path::new(&f.path)
                    .file_name()
                    .map_or(f.path.clone(), |n| n.to_string_lossy().into_owned());
                self.run_definition(
                    opened.definition,
                    &format!("{name} written to {file}"),
                    false,
                );
                Ok(())
            }
            Loaded::Unreadable(e) => Err(format!("not written: {e}")),
            Loaded::Invalid(errs) => {
                let first: Vec<String> = errs.iter().take(3).map(|e| e.to_string()).collect();
                let more = match errs.len() {
                    0..=3 => String::new(),
                    n => format!("; and {} more", n - 3),
                };
                Err(format!(
                    "not written ({} problem{}): {}{more}",
                    errs.len(),
                    if errs.len() == 1 { "" } else { "s" },
                    first.join("; ")
                ))
            }
        }
    }
}
