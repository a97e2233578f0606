//! Exercises that check themselves: a lesson folder's `exercises.yaml`.
//!
//! ```yaml
//! definition: data-flow.asl.json   # the lesson's machine (beside this file)
//! input: input.json                # its input (default: {})
//! mocks: mocks.json                # what answers its tasks (optional)
//! test-case: Default               # the mock file's test case
//! exercises:
//!   - title: Where does the result go?
//!     text: |
//!       `4 ResultPath` keeps the input and puts the result under one key.
//!     predict:                     # type the value at a moment of the run
//!       state: 4 ResultPath
//!       stage: ResultPath          # input, InputPath, Parameters, Arguments,
//!                                  # items, ItemSelector, result,
//!                                  # ResultSelector, ResultPath, output
//!       solution: {"order": 1, "result": {"ok": true}}
//!   - title: Keep the input
//!     fix:                         # or `write:` (a starter to build on)
//!       starter:                   # states that replace the lesson's
//!         4 ResultPath: {"Type": "Pass", "ResultPath": null, "End": true}
//!       expect: {status: SUCCEEDED, output-contains: {"order": 1}}
//!       solution:
//!         4 ResultPath: {"Type": "Pass", "ResultPath": "$.r", "End": true}
//!   - title: Which state fails?
//!     choose:
//!       answers: [The first, The second]
//!       solution: 2                # the right answer's number
//! ```
//!
//! A fix's `starter` and `solution` are states that replace the lesson's
//! (by name), a whole definition (an object with `StartAt`), or a file
//! beside the exercises holding either. Its check is a suite case: `input`
//! or `input-file`, `test-case`, `answers` and `expect` as in a suite (the
//! lesson's input and test case when left out).
//!
//! Nothing here knows of a terminal: the debugger's exercise pane, the
//! class server and `asldbg lesson check` all use it.

use super::suite::{self, problem, Case, CaseResult, Suite};
use crate::asl::value::Val;
use crate::asl::{self, Definition, Document, LoadError};
use crate::engine::task::{MockRunner, NoRunner, TaskRunner};
use crate::engine::{Execution, Options, StageRecord};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The run a lesson is about: its definition, input and mocks.
#[derive(Clone, Debug)]
pub struct Base {
    /// The definition as JSON (a fix's starter is laid over it).
    pub definition: Value,
    pub input: Val,
    /// The mock file (its name, its content).
    pub mocks: Option<(String, Value)>,
    pub test_case: Option<String>,
}

/// Where a predict exercise looks: a stage of one visit of a state.
#[derive(Clone, Debug, PartialEq)]
pub struct Moment {
    pub state: String,
    pub stage: Stage,
    /// Which visit (1: the first).
    pub visit: usize,
}

/// A stage of a state's data processing, as a predict exercise names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Input,
    InputPath,
    /// Parameters, Arguments or ItemSelector: the value the state works on.
    Parameters,
    Items,
    Result,
    ResultSelector,
    ResultPath,
    Output,
}

/// The names a stage is given by, each with its stage; the first of each
/// is how it is shown.
const STAGES: &[(&str, Stage)] = &[
    ("input", Stage::Input),
    ("InputPath", Stage::InputPath),
    ("Parameters", Stage::Parameters),
    ("Arguments", Stage::Parameters),
    ("ItemSelector", Stage::Parameters),
    ("items", Stage::Items),
    ("result", Stage::Result),
    ("ResultSelector", Stage::ResultSelector),
    ("ResultPath", Stage::ResultPath),
    ("output", Stage::Output),
    ("OutputPath", Stage::Output),
    ("Output", Stage::Output),
];

impl Stage {
    pub fn parse(name: &str) -> Option<Stage> {
        STAGES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, s)| *s)
    }

    /// The value at this stage of record `r`.
    pub fn of(self, r: &StageRecord) -> Option<&Val> {
        match self {
            Stage::Input => r.input.as_ref(),
            Stage::InputPath => r.after_input_path.as_ref(),
            Stage::Parameters => r.after_parameters.as_ref(),
            Stage::Items => r.items.as_ref(),
            Stage::Result => r.result.as_ref(),
            Stage::ResultSelector => r.after_result_selector.as_ref(),
            Stage::ResultPath => r.after_result_path.as_ref(),
            Stage::Output => r.output.as_ref(),
        }
    }

    /// How a person reads it: "the input", "after ResultPath", …
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Input => "its input",
            Stage::InputPath => "after InputPath",
            Stage::Parameters => "after Parameters / Arguments",
            Stage::Items => "its items",
            Stage::Result => "its result",
            Stage::ResultSelector => "after ResultSelector",
            Stage::ResultPath => "after ResultPath",
            Stage::Output => "its output",
        }
    }
}

impl Moment {
    pub fn describe(&self) -> String {
        let visit = match self.visit {
            1 => String::new(),
            n => format!(" (visit {n})"),
        };
        format!("'{}'{visit}, {}", self.state, self.stage.describe())
    }

    /// The value at this moment of a run's records.
    pub fn value<'a>(&self, records: &'a [StageRecord]) -> Option<&'a Val> {
        records
            .iter()
            .filter(|r| r.state == self.state)
            .nth(self.visit.saturating_sub(1))
            .and_then(|r| self.stage.of(r))
    }
}

/// States that replace the lesson's (by name), or a whole definition.
#[derive(Clone, Debug)]
pub enum Patch {
    Whole(Value),
    States(Map<String, Value>),
}

impl Patch {
    /// The lesson's definition with this laid over it.
    pub fn apply(&self, base: &Value) -> Result<Value, String> {
        match self {
            Patch::Whole(v) => Ok(v.clone()),
            Patch::States(states) => {
                let mut def = base.clone();
                for (name, st) in states {
                    if !replace_state(&mut def, name, st) {
                        return Err(format!("the lesson's machine has no state '{name}'"));
                    }
                }
                Ok(def)
            }
        }
    }
}

/// Put `st` in place of the state named `name`, wherever it is (a branch,
/// an iteration's processor).
fn replace_state(def: &mut Value, name: &str, st: &Value) -> bool {
    let Some(states) = def.get_mut("States").and_then(Value::as_object_mut) else {
        return false;
    };
    if let Some(slot) = states.get_mut(name) {
        *slot = st.clone();
        return true;
    }
    for s in states.values_mut() {
        for key in ["Branches"] {
            if let Some(Value::Array(bs)) = s.get_mut(key) {
                if bs.iter_mut().any(|b| replace_state(b, name, st)) {
                    return true;
                }
            }
        }
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(p) = s.get_mut(key) {
                if replace_state(p, name, st) {
                    return true;
                }
            }
        }
    }
    false
}

#[derive(Clone, Debug)]
pub enum Kind {
    /// Type the value at a moment of the lesson's run.
    Predict {
        moment: Moment,
        solution: Option<Value>,
    },
    /// Change a starter definition until the case passes (`write`: the
    /// starter is a skeleton to build on).
    Fix {
        write: bool,
        starter: Patch,
        case: Box<Case>,
        solution: Option<Patch>,
    },
    /// Pick one of 2–5 answers.
    Choose {
        answers: Vec<String>,
        /// The right one (0: the first).
        solution: usize,
    },
}

#[derive(Clone, Debug)]
pub struct Exercise {
    /// Its key in progress records: `id`, else its title.
    pub id: String,
    pub title: String,
    /// Markdown.
    pub text: String,
    pub kind: Kind,
    /// Where it stands in its file: a JSON pointer, and its line:column.
    pub pointer: String,
    pub at: (usize, usize),
}

impl Exercise {
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Predict { .. } => "predict",
            Kind::Fix { write: false, .. } => "fix",
            Kind::Fix { write: true, .. } => "write",
            Kind::Choose { .. } => "choose",
        }
    }
}

/// A lesson's exercises and the run they are about.
#[derive(Clone, Debug)]
pub struct Lesson {
    /// The exercises file (for messages).
    pub file: String,
    /// Where its run is named (`test-case`, else the top): line:column.
    pub at: (usize, usize),
    pub base: Base,
    pub exercises: Vec<Exercise>,
}

/// What a check of an answer found.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub passed: bool,
    /// One line: what happened.
    pub summary: String,
    /// What differs, a line each (shown as a hint).
    pub details: Vec<String>,
}

const TOP_FIELDS: &[&str] = &["definition", "input", "mocks", "test-case", "exercises"];
const EXERCISE_FIELDS: &[&str] = &["id", "title", "text", "predict", "fix", "write", "choose"];
const PREDICT_FIELDS: &[&str] = &["state", "stage", "visit", "solution"];
const FIX_FIELDS: &[&str] = &[
    "starter",
    "solution",
    "input",
    "input-file",
    "test-case",
    "answers",
    "expect",
];
const CHOOSE_FIELDS: &[&str] = &["answers", "solution"];

/// The most exercises one file holds (a lesson, not a corpus).
const MAX_EXERCISES: usize = 100;

/// The name of the file in a lesson folder.
pub const FILE: &str = "exercises.yaml";

/// The most an exercises file, or a file it names, may hold (a lesson's
/// text and machines, not data).
pub const MAX_FILE: u64 = 4 << 20;

/// The most text a typed prediction may hold.
pub const MAX_PREDICTION: usize = 64 << 10;

fn unknown(
    file: &str,
    doc: &Document,
    at: &str,
    o: &Map<String, Value>,
    known: &[&str],
    errs: &mut Vec<LoadError>,
) {
    for k in o.keys().filter(|k| !known.contains(&k.as_str())) {
        let hint =
            super::mocks::did_you_mean(k, &known.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .map(|n| format!(" (did you mean '{n}'?)"))
                .unwrap_or_default();
        errs.push(problem(
            file,
            doc,
            &format!("{at}/{}", crate::asl::json::pointer_token(k)),
            format!(
                "unknown field '{k}'{hint}; expected one of {}",
                known.join(", ")
            ),
        ));
    }
}

/// Where files an exercise names are read from: a folder, or nowhere (a
/// bundled lesson, whose exercises hold everything inline).
#[derive(Clone, Copy)]
enum Files<'a> {
    In(&'a Path),
    None,
}

impl Files<'_> {
    fn read(&self, name: &str) -> Result<Document, String> {
        match self {
            Files::In(dir) => {
                let p = dir.join(name);
                // Where it really is (a symbolic link may lead out).
                let real = std::fs::canonicalize(&p).map_err(|e| format!("'{name}': {e}"))?;
                let home = std::fs::canonicalize(dir).map_err(|e| format!("'{name}': {e}"))?;
                if !inside(dir, &p) || !real.starts_with(&home) {
                    return Err(format!("'{name}' is outside the lesson's folder"));
                }
                asl::read_document_capped(&p.to_string_lossy(), MAX_FILE).map_err(|e| e.to_string())
            }
            Files::None => Err(format!(
                "'{name}': a bundled lesson's exercises name no files (write it inline)"
            )),
        }
    }
}

/// Whether `p` is in folder `dir` (no `..` out of it, no absolute path).
fn inside(dir: &Path, p: &Path) -> bool {
    let Ok(rel) = p.strip_prefix(dir) else {
        return false;
    };
    rel.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
}

impl Lesson {
    /// The exercises of lesson folder `dir` (its `exercises.yaml`), with the
    /// run its top names.
    pub fn load_dir(dir: &Path) -> Result<Lesson, Vec<LoadError>> {
        let file = dir.join(FILE);
        let name = file.to_string_lossy().into_owned();
        let doc = asl::read_document_capped(&name, MAX_FILE).map_err(|e| vec![e])?;
        let mut errs = Vec::new();
        let base = read_base(&name, &doc, dir, &mut errs);
        let exercises = match &base {
            Some(b) => read_exercises(&name, &doc, Files::In(dir), b, &mut errs),
            None => Vec::new(),
        };
        match base {
            Some(base) if errs.is_empty() => Ok(Lesson {
                at: doc
                    .position("/test-case")
                    .or_else(|| doc.position("/definition"))
                    .unwrap_or((1, 1)),
                file: name,
                base,
                exercises,
            }),
            _ => Err(errs),
        }
    }

    /// A bundled sample's exercises, on its run (its definition, input,
    /// mocks and test case); None when it has none.
    pub fn of_sample(s: &crate::samples::Sample) -> Option<Result<Lesson, Vec<LoadError>>> {
        let text = s.exercises?;
        let file = format!("samples/{}/{FILE}", s.name);
        let base = (|| -> Result<Base, String> {
            Ok(Base {
                definition: serde_json::from_str(s.definition).map_err(|e| e.to_string())?,
                input: Val::parse(s.input).map_err(|e| e.to_string())?,
                mocks: match s.mocks {
                    Some(m) => Some((
                        "mocks.json".to_string(),
                        serde_json::from_str(m).map_err(|e| e.to_string())?,
                    )),
                    None => None,
                },
                test_case: s.test_case.map(str::to_string),
            })
        })();
        Some(match base {
            Ok(b) => Lesson::parse(&file, text, b),
            Err(e) => Err(vec![LoadError {
                file,
                pointer: String::new(),
                line: 1,
                column: 1,
                message: e,
                expr: None,
            }]),
        })
    }

    /// A bundled lesson's exercises (`text`), on the run `base`.
    pub fn parse(file: &str, text: &str, base: Base) -> Result<Lesson, Vec<LoadError>> {
        let doc = asl::parse_document(text, file).map_err(|e| vec![e])?;
        let mut errs = Vec::new();
        if !doc.value.is_object() {
            errs.push(problem(
                file,
                &doc,
                "",
                "exercises.yaml is an object with 'exercises'",
            ));
            return Err(errs);
        }
        let exercises = read_exercises(file, &doc, Files::None, &base, &mut errs);
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(Lesson {
            file: file.into(),
            at: (1, 1),
            base,
            exercises,
        })
    }

    /// The lesson's definition, with `patch` laid over it when given.
    pub fn definition(&self, patch: Option<&Patch>) -> Result<Definition, String> {
        let v = match patch {
            Some(p) => p.apply(&self.base.definition)?,
            None => self.base.definition.clone(),
        };
        Definition::from_value(&v).map_err(|errs| {
            let first: Vec<String> = errs.iter().take(3).map(|e| e.to_string()).collect();
            format!("not a valid definition: {}", first.join("; "))
        })
    }

    fn runner(&self) -> Result<Box<dyn TaskRunner>, String> {
        Ok(match (&self.base.mocks, &self.base.test_case) {
            (Some((file, v)), Some(tc)) => Box::new(
                MockRunner::from_value(v, file, None, tc)
                    .map_err(|e| format!("test-case: {} ({file}{})", e.message, e.pointer))?,
            ),
            _ => Box::new(NoRunner),
        })
    }

    /// The lesson's own run, to its end (or to a task nothing answers):
    /// what predict exercises are checked against.
    pub fn run(&self) -> Result<Vec<StageRecord>, String> {
        let def = self.definition(None)?;
        let mut ex = Execution::new(
            Arc::new(def),
            self.base.input.clone(),
            self.runner()?,
            Options::default(),
        );
        ex.run();
        Ok(ex.stages().to_vec())
    }

    /// Check an answer to predict exercise `moment`: `answer` is JSON text.
    pub fn check_prediction(real: Option<&Val>, moment: &Moment, answer: &str) -> Verdict {
        let Some(real) = real else {
            return Verdict {
                passed: false,
                summary: format!("The lesson's run never reaches {}.", moment.describe()),
                details: Vec::new(),
            };
        };
        if answer.len() > MAX_PREDICTION {
            return Verdict {
                passed: false,
                summary: format!(
                    "An answer is at most {} of text.",
                    crate::budget::show_bytes(MAX_PREDICTION)
                ),
                details: Vec::new(),
            };
        }
        let typed = match asl::parse_document(answer, "answer.json") {
            Ok(d) if !d.is_yaml() => d.value,
            Ok(_) | Err(_) => {
                let why = match serde_json::from_str::<Value>(answer) {
                    Err(e) => format!(" ({e})"),
                    Ok(_) => String::new(),
                };
                return Verdict {
                    passed: false,
                    summary: format!("That is not JSON{why}: a string needs its quotes."),
                    details: Vec::new(),
                };
            }
        };
        let real = real.to_json();
        let details = suite::diff(&real, &typed);
        if details.is_empty() {
            Verdict {
                passed: true,
                summary: format!("Right: that is {}.", moment.describe()),
                details,
            }
        } else {
            // Said from the student's side: what they wrote against what is.
            let details = details
                .into_iter()
                .map(|l| {
                    l.replace(": expected ", ": it is ")
                        .replace(", got ", ", you wrote ")
                        .replace(": not expected (got ", ": is not there (you wrote ")
                        .replace(": missing (expected ", ": you left it out (it is ")
                })
                .collect();
            Verdict {
                passed: false,
                summary: "Not quite.".into(),
                details,
            }
        }
    }

    /// Run fix exercise `i`'s case on definition `def` (what the student
    /// made of the starter).
    pub fn run_case(&self, i: usize, def: Arc<Definition>) -> Result<CaseResult, String> {
        let Some(Kind::Fix { case, .. }) = self.exercises.get(i).map(|e| &e.kind) else {
            return Err("not a fix exercise".into());
        };
        let s = Suite::for_lesson(&self.file, def, self.base.mocks.clone(), (**case).clone());
        Ok(suite::run_case(&s, &s.cases[0], false))
    }

    /// Check fix exercise `i` on `def`.
    pub fn check_fix(&self, i: usize, def: Arc<Definition>) -> Verdict {
        match self.run_case(i, def) {
            Err(e) => Verdict {
                passed: false,
                summary: e,
                details: Vec::new(),
            },
            Ok(r) if r.passed() => Verdict {
                passed: true,
                summary: format!(
                    "Passed: the run {} as asked.",
                    r.outcome.status.to_ascii_lowercase()
                ),
                details: Vec::new(),
            },
            Ok(r) => Verdict {
                passed: false,
                summary: match (r.outcome.status.as_str(), &r.outcome.error) {
                    ("", _) => "Not yet: the check could not run.".to_string(),
                    (s, Some(e)) => {
                        format!("Not yet: the run {} with {e}.", s.to_ascii_lowercase())
                    }
                    (s, None) => format!(
                        "Not yet: the run {}, but not as asked.",
                        s.to_ascii_lowercase()
                    ),
                },
                details: r
                    .failures
                    .iter()
                    .flat_map(|f| f.lines().map(str::to_string))
                    .collect(),
            },
        }
    }

    /// Check answer `picked` (0: the first) of choose exercise `i`.
    pub fn check_choice(&self, i: usize, picked: usize) -> Verdict {
        let Some(Kind::Choose { answers, solution }) = self.exercises.get(i).map(|e| &e.kind)
        else {
            return Verdict {
                passed: false,
                summary: "not a choose exercise".into(),
                details: Vec::new(),
            };
        };
        let Some(a) = answers.get(picked) else {
            return Verdict {
                passed: false,
                summary: format!("There are {} answers.", answers.len()),
                details: Vec::new(),
            };
        };
        Verdict {
            passed: picked == *solution,
            summary: if picked == *solution {
                format!("Right: {a}")
            } else {
                format!("Not that one: {a}")
            },
            details: Vec::new(),
        }
    }

    /// What is wrong with the lesson as a set of exercises: each must be
    /// answerable (its moment reached), its solution must pass and its
    /// starter must not. One line each, naming the exercise.
    pub fn check(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.exercises.is_empty() {
            out.push(format!("{}: no exercises", self.file));
        }
        let records = match self.run() {
            Ok(r) => r,
            Err(e) => {
                out.push(format!(
                    "{}:{}:{}: the lesson's run: {e}",
                    self.file, self.at.0, self.at.1
                ));
                return out;
            }
        };
        for (i, e) in self.exercises.iter().enumerate() {
            let name = format!(
                "{}:{}:{}: exercise {} '{}'",
                self.file,
                e.at.0,
                e.at.1,
                i + 1,
                e.title
            );
            match &e.kind {
                Kind::Predict { moment, solution } => {
                    let real = moment.value(&records);
                    let states: Vec<String> = self
                        .definition(None)
                        .map(|d| {
                            d.machines
                                .iter()
                                .flat_map(|m| &m.states)
                                .map(|s| s.name.to_string())
                                .collect()
                        })
                        .unwrap_or_default();
                    match (real, solution) {
                        (None, _) if !states.contains(&moment.state) => out.push(format!(
                            "{name}: the machine has no state '{}'{}",
                            moment.state,
                            super::mocks::did_you_mean(&moment.state, &states)
                                .map(|n| format!(" (did you mean '{n}'?)"))
                                .unwrap_or_default()
                        )),
                        (None, _) => out.push(format!("{name}: {}", missing(&records, moment))),
                        (Some(_), None) => {
                            out.push(format!("{name}: no solution (the value it expects)"))
                        }
                        (Some(_), Some(s)) => {
                            let text = s.to_string();
                            let v = Lesson::check_prediction(real, moment, &text);
                            if !v.passed {
                                out.push(format!(
                                    "{name}: the solution is not {}: {}",
                                    moment.describe(),
                                    v.details.join("; ")
                                ));
                            }
                        }
                    }
                }
                Kind::Fix {
                    starter, solution, ..
                } => {
                    match self.definition(Some(starter)) {
                        Err(e) => out.push(format!("{name}: the starter: {e}")),
                        Ok(d) => {
                            if self.check_fix(i, Arc::new(d)).passed {
                                out.push(format!(
                                    "{name}: the starter passes already (there is nothing to do)"
                                ));
                            }
                        }
                    }
                    match solution {
                        None => out.push(format!("{name}: no solution")),
                        Some(s) => match self.definition(Some(s)) {
                            Err(e) => out.push(format!("{name}: the solution: {e}")),
                            Ok(d) => {
                                let v = self.check_fix(i, Arc::new(d));
                                if !v.passed {
                                    out.push(format!(
                                        "{name}: the solution does not pass: {} {}",
                                        v.summary,
                                        v.details.join("; ")
                                    ));
                                }
                            }
                        },
                    }
                }
                Kind::Choose { .. } => {}
            }
        }
        out
    }
}

/// Why `moment` has no value in the run's `records`: the state is never
/// reached, or it has no such stage.
fn missing(records: &[StageRecord], moment: &Moment) -> String {
    let visits = records.iter().filter(|r| r.state == moment.state).count();
    if visits >= moment.visit {
        format!(
            "'{}' has no value {} in the lesson's run (a stage its type or query language does not have)",
            moment.state,
            moment.stage.describe()
        )
    } else if visits > 0 {
        format!(
            "the lesson's run enters '{}' {visits} time{}, not {}",
            moment.state,
            if visits == 1 { "" } else { "s" },
            moment.visit
        )
    } else {
        format!("the lesson's run never reaches '{}'", moment.state)
    }
}

fn read_base(file: &str, doc: &Document, dir: &Path, errs: &mut Vec<LoadError>) -> Option<Base> {
    let Some(top) = doc.value.as_object() else {
        errs.push(problem(
            file,
            doc,
            "",
            "exercises.yaml is an object with 'exercises'",
        ));
        return None;
    };
    unknown(file, doc, "", top, TOP_FIELDS, errs);
    let string = |k: &str, errs: &mut Vec<LoadError>| match top.get(k) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errs.push(problem(
                file,
                doc,
                &format!("/{k}"),
                format!("'{k}' is a file name"),
            ));
            None
        }
    };
    let files = Files::In(dir);
    let definition = match string("definition", errs) {
        Some(d) => d,
        None => match guess_definition(dir) {
            Ok(d) => d,
            Err(e) => {
                errs.push(problem(file, doc, "", e));
                return None;
            }
        },
    };
    let definition = match files.read(&definition) {
        Ok(d) => d.value,
        Err(e) => {
            errs.push(problem(file, doc, "/definition", e));
            return None;
        }
    };
    let input = match string("input", errs) {
        Some(f) => match files.read(&f) {
            Ok(d) => Val::from(&d.value),
            Err(e) => {
                errs.push(problem(file, doc, "/input", e));
                Val::empty_obj()
            }
        },
        None => Val::empty_obj(),
    };
    let mocks = match string("mocks", errs) {
        Some(f) => match files.read(&f) {
            Ok(d) => Some((dir.join(&f).to_string_lossy().into_owned(), d.value)),
            Err(e) => {
                errs.push(problem(file, doc, "/mocks", e));
                None
            }
        },
        None => None,
    };
    let test_case = string("test-case", errs);
    if test_case.is_some() && mocks.is_none() {
        errs.push(problem(
            file,
            doc,
            "/test-case",
            "'test-case' names a test case of 'mocks', which is not given",
        ));
    }
    Some(Base {
        definition,
        input,
        mocks,
        test_case,
    })
}

/// The folder's definition when the exercises do not name it: the one
/// `*.asl.json` (or `*.asl.yaml`), or the one named as the folder.
fn guess_definition(dir: &Path) -> Result<String, String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".asl.json") || n.ends_with(".asl.yaml"))
        .collect();
    found.sort();
    let folder = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if let Some(n) = found
        .iter()
        .find(|n| n.starts_with(&format!("{folder}.asl.")))
    {
        return Ok(n.clone());
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err("no 'definition' given and no *.asl.json beside the exercises".into()),
        _ => Err(format!(
            "no 'definition' given and several beside the exercises ({}): name one",
            found.join(", ")
        )),
    }
}

fn read_exercises(
    file: &str,
    doc: &Document,
    files: Files<'_>,
    base: &Base,
    errs: &mut Vec<LoadError>,
) -> Vec<Exercise> {
    let list = match doc.value.get("exercises") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => {
            errs.push(problem(
                file,
                doc,
                "/exercises",
                "'exercises' must be a list of at least one exercise",
            ));
            return Vec::new();
        }
    };
    if list.len() > MAX_EXERCISES {
        errs.push(problem(
            file,
            doc,
            "/exercises",
            format!("at most {MAX_EXERCISES} exercises in one lesson"),
        ));
        return Vec::new();
    }
    let mut out: Vec<Exercise> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let at = format!("/exercises/{i}");
        if let Some(x) = read_exercise(file, doc, &at, e, files, base, errs) {
            if out.iter().any(|o| o.id == x.id) {
                errs.push(problem(
                    file,
                    doc,
                    &at,
                    format!("two exercises are called '{}' (give one an 'id')", x.id),
                ));
            }
            out.push(x);
        }
    }
    out
}

fn read_exercise(
    file: &str,
    doc: &Document,
    at: &str,
    e: &Value,
    files: Files<'_>,
    base: &Base,
    errs: &mut Vec<LoadError>,
) -> Option<Exercise> {
    let Some(o) = e.as_object() else {
        errs.push(problem(
            file,
            doc,
            at,
            "an exercise is an object with 'title' and one of predict, fix, write, choose",
        ));
        return None;
    };
    unknown(file, doc, at, o, EXERCISE_FIELDS, errs);
    let text_of = |k: &str, errs: &mut Vec<LoadError>| match o.get(k) {
        None => None,
        Some(Value::String(s)) => Some(s.trim_end().to_string()),
        Some(_) => {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/{k}"),
                format!("'{k}' is text"),
            ));
            None
        }
    };
    let title = text_of("title", errs);
    let text = text_of("text", errs).unwrap_or_default();
    let id = text_of("id", errs);
    let Some(title) = title.filter(|t| !t.is_empty()) else {
        errs.push(problem(file, doc, at, "an exercise needs a 'title'"));
        return None;
    };
    let kinds: Vec<&str> = ["predict", "fix", "write", "choose"]
        .into_iter()
        .filter(|k| o.contains_key(*k))
        .collect();
    let kind = match kinds.as_slice() {
        [k] => *k,
        [] => {
            errs.push(problem(
                file,
                doc,
                at,
                format!("exercise '{title}' needs one of predict, fix, write, choose"),
            ));
            return None;
        }
        _ => {
            errs.push(problem(
                file,
                doc,
                at,
                format!(
                    "exercise '{title}' has {}: one kind each",
                    kinds.join(" and ")
                ),
            ));
            return None;
        }
    };
    let kat = format!("{at}/{kind}");
    let Some(spec) = o.get(kind).and_then(Value::as_object) else {
        errs.push(problem(file, doc, &kat, format!("'{kind}' is an object")));
        return None;
    };
    let kind = match kind {
        "predict" => read_predict(file, doc, &kat, spec, errs)?,
        "choose" => read_choose(file, doc, &kat, spec, errs)?,
        k => match read_fix(file, doc, &kat, spec, files, base, errs)? {
            Kind::Fix {
                starter,
                case,
                solution,
                ..
            } => Kind::Fix {
                write: k == "write",
                starter,
                case,
                solution,
            },
            other => other,
        },
    };
    Some(Exercise {
        id: id.unwrap_or_else(|| title.clone()),
        title,
        text,
        kind,
        pointer: at.into(),
        at: doc.position(at).unwrap_or((1, 1)),
    })
}

fn read_predict(
    file: &str,
    doc: &Document,
    at: &str,
    o: &Map<String, Value>,
    errs: &mut Vec<LoadError>,
) -> Option<Kind> {
    unknown(file, doc, at, o, PREDICT_FIELDS, errs);
    let state = match o.get("state") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            errs.push(problem(
                file,
                doc,
                at,
                "'predict' needs 'state' (a state's name)",
            ));
            return None;
        }
    };
    let names: Vec<&str> = STAGES.iter().map(|(n, _)| *n).collect();
    let stage = match o.get("stage") {
        None => Stage::Output,
        Some(Value::String(s)) => match Stage::parse(s) {
            Some(st) => st,
            None => {
                errs.push(problem(
                    file,
                    doc,
                    &format!("{at}/stage"),
                    format!("stage '{s}' is not one of {}", names.join(", ")),
                ));
                return None;
            }
        },
        Some(_) => {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/stage"),
                "'stage' is a name",
            ));
            return None;
        }
    };
    let visit = match o.get("visit") {
        None => 1,
        Some(v) => match v.as_u64().filter(|n| *n >= 1) {
            Some(n) => n as usize,
            None => {
                errs.push(problem(
                    file,
                    doc,
                    &format!("{at}/visit"),
                    "'visit' is a whole number from 1",
                ));
                return None;
            }
        },
    };
    Some(Kind::Predict {
        moment: Moment {
            state,
            stage,
            visit,
        },
        solution: o.get("solution").cloned(),
    })
}

fn read_choose(
    file: &str,
    doc: &Document,
    at: &str,
    o: &Map<String, Value>,
    errs: &mut Vec<LoadError>,
) -> Option<Kind> {
    unknown(file, doc, at, o, CHOOSE_FIELDS, errs);
    let answers: Vec<String> = match o.get("answers") {
        Some(Value::Array(a)) if (2..=5).contains(&a.len()) && a.iter().all(Value::is_string) => a
            .iter()
            .map(|s| s.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/answers"),
                "'answers' is a list of 2 to 5 texts",
            ));
            return None;
        }
    };
    let solution = match o.get("solution").and_then(Value::as_u64) {
        Some(n) if n >= 1 && (n as usize) <= answers.len() => n as usize - 1,
        _ => {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/solution"),
                format!(
                    "'solution' is the right answer's number (1 to {})",
                    answers.len()
                ),
            ));
            return None;
        }
    };
    Some(Kind::Choose { answers, solution })
}

fn read_patch(
    file: &str,
    doc: &Document,
    at: &str,
    v: &Value,
    files: Files<'_>,
    errs: &mut Vec<LoadError>,
) -> Option<Patch> {
    let v = match v {
        Value::String(name) => match files.read(name) {
            Ok(d) => d.value,
            Err(e) => {
                errs.push(problem(file, doc, at, e));
                return None;
            }
        },
        v => v.clone(),
    };
    match v {
        Value::Object(o) if o.contains_key("StartAt") => Some(Patch::Whole(Value::Object(o))),
        Value::Object(o) if !o.is_empty() && o.values().all(|s| s.get("Type").is_some()) => {
            Some(Patch::States(o))
        }
        _ => {
            errs.push(problem(
                file,
                doc,
                at,
                "a definition (with StartAt), states by name (each with a Type), or a file holding either",
            ));
            None
        }
    }
}

fn read_fix(
    file: &str,
    doc: &Document,
    at: &str,
    o: &Map<String, Value>,
    files: Files<'_>,
    base: &Base,
    errs: &mut Vec<LoadError>,
) -> Option<Kind> {
    unknown(file, doc, at, o, FIX_FIELDS, errs);
    let starter = match o.get("starter") {
        Some(v) => read_patch(file, doc, &format!("{at}/starter"), v, files, errs),
        None => {
            errs.push(problem(
                file,
                doc,
                at,
                "needs a 'starter' (what the student begins with)",
            ));
            None
        }
    };
    let solution = o
        .get("solution")
        .and_then(|v| read_patch(file, doc, &format!("{at}/solution"), v, files, errs));
    // The case: the suite's reader, on this object less starter and
    // solution; an input file is read here, from the lesson's folder only.
    let mut case_value: Map<String, Value> = o
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "starter" | "solution" | "input-file"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(f) = o.get("input-file") {
        if o.contains_key("input") {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/input-file"),
                "give 'input' or 'input-file', not both",
            ));
            return None;
        }
        let Some(name) = f.as_str() else {
            errs.push(problem(
                file,
                doc,
                &format!("{at}/input-file"),
                "'input-file' is a file name",
            ));
            return None;
        };
        match files.read(name) {
            Ok(d) => {
                case_value.insert("input".into(), d.value);
            }
            Err(e) => {
                errs.push(problem(file, doc, &format!("{at}/input-file"), e));
                return None;
            }
        }
    }
    case_value.insert("name".into(), Value::String("exercise".into()));
    if !o.contains_key("expect") {
        errs.push(problem(
            file,
            doc,
            at,
            "needs 'expect' (status, output, output-contains, path, calls, states…: what passes)",
        ));
        return None;
    }
    let dir = match files {
        Files::In(d) => d.to_path_buf(),
        Files::None => PathBuf::new(),
    };
    let case = match suite::read_case_at(
        &dir.join(FILE).to_string_lossy(),
        doc,
        at,
        &Value::Object(case_value),
    ) {
        Ok(c) => c,
        Err(mut e) => {
            errs.append(&mut e);
            return None;
        }
    };
    let mut case = case;
    // What the case leaves out is the lesson's: its input, its test case.
    if !o.contains_key("input") && !o.contains_key("input-file") {
        case.input = base.input.clone();
    }
    if !o.contains_key("test-case") && !o.contains_key("answers") {
        case.test_case = base.test_case.clone();
    }
    Some(Kind::Fix {
        write: false,
        starter: starter?,
        case: Box::new(case),
        solution,
    })
}

/// How one student stands on one exercise.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mark {
    /// Answers checked.
    pub tries: u32,
    pub passed: bool,
    /// Times what differs was shown (after the second wrong try).
    pub hints: u32,
    /// Seconds spent with it open as the current exercise.
    pub seconds: u64,
    /// The last answer typed (a prediction), the copy of the machine (a
    /// fix), the answer's number (a choice): what is shown again.
    pub answer: Option<String>,
    /// What the last check said.
    pub verdict: Option<Verdict>,
}

/// A student's progress through one lesson's exercises.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// The exercise at hand (its index).
    pub current: usize,
    /// By exercise id.
    pub marks: std::collections::BTreeMap<String, Mark>,
}

/// The most text an answer kept in progress holds (a machine's copy).
const MAX_ANSWER: usize = 256 << 10;

impl Progress {
    pub fn mark(&self, e: &Exercise) -> Mark {
        self.marks.get(&e.id).cloned().unwrap_or_default()
    }

    pub fn mark_mut(&mut self, e: &Exercise) -> &mut Mark {
        self.marks.entry(e.id.clone()).or_default()
    }

    /// How many of `l`'s exercises are passed.
    pub fn passed(&self, l: &Lesson) -> usize {
        l.exercises
            .iter()
            .filter(|e| self.marks.get(&e.id).is_some_and(|m| m.passed))
            .count()
    }

    /// Record `v` as the result of a check of `e` answered with `answer`.
    pub fn record(&mut self, e: &Exercise, answer: Option<String>, v: &Verdict) {
        let m = self.mark_mut(e);
        if m.passed {
            // Passed once, passed: later answers (practice) are checked and
            // said, but neither counted nor kept.
            return;
        }
        m.tries += 1;
        m.passed |= v.passed;
        if !v.passed && m.tries >= 2 && !v.details.is_empty() {
            m.hints += 1;
        }
        if let Some(a) = answer {
            m.answer = Some(a);
        }
        m.verdict = Some(v.clone());
    }

    /// Take in `other`, the same student's progress from another session:
    /// a pass stays, counts and times are the larger, the answer of the
    /// one that passed (else of `other`, the later) is kept.
    pub fn merge(&mut self, other: &Progress) {
        self.current = other.current;
        for (id, o) in &other.marks {
            let m = self.marks.entry(id.clone()).or_default();
            let take_answer = o.passed || !m.passed;
            m.tries = m.tries.max(o.tries);
            m.hints = m.hints.max(o.hints);
            m.seconds = m.seconds.max(o.seconds);
            if take_answer {
                m.answer = o.answer.clone().or(m.answer.take());
                m.verdict = o.verdict.clone().or(m.verdict.take());
            }
            m.passed |= o.passed;
        }
    }

    pub fn to_json(&self) -> Value {
        let marks: Map<String, Value> = self
            .marks
            .iter()
            .map(|(k, m)| {
                (
                    k.clone(),
                    serde_json::json!({
                        "tries": m.tries,
                        "passed": m.passed,
                        "hints": m.hints,
                        "seconds": m.seconds,
                        "answer": m.answer,
                        "verdict": m.verdict.as_ref().map(|v| serde_json::json!({
                            "passed": v.passed,
                            "summary": v.summary,
                            "details": v.details,
                        })),
                    }),
                )
            })
            .collect();
        serde_json::json!({"current": self.current, "marks": marks})
    }

    /// Progress as [`Progress::to_json`] wrote it; what does not read is
    /// left out (a session file edited by hand loses that part only).
    pub fn from_json(v: &Value) -> Progress {
        let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let marks = v
            .get("marks")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .take(MAX_EXERCISES)
            .map(|(k, m)| {
                let verdict = m.get("verdict").filter(|v| v.is_object()).map(|v| Verdict {
                    passed: v.get("passed").and_then(Value::as_bool).unwrap_or(false),
                    summary: text(v, "summary").unwrap_or_default(),
                    details: v
                        .get("details")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|d| d.as_str().map(str::to_string))
                        .take(50)
                        .collect(),
                });
                (
                    k.clone(),
                    Mark {
                        tries: n(m, "tries").min(u32::MAX as u64) as u32,
                        passed: m.get("passed").and_then(Value::as_bool).unwrap_or(false),
                        hints: n(m, "hints").min(u32::MAX as u64) as u32,
                        seconds: n(m, "seconds"),
                        answer: text(m, "answer").filter(|a| a.len() <= MAX_ANSWER),
                        verdict,
                    },
                )
            })
            .collect();
        Progress {
            current: n(v, "current") as usize,
            marks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(text: &str) -> Result<Lesson, Vec<LoadError>> {
        let base = Base {
            definition: serde_json::json!({
                "StartAt": "A",
                "States": {
                    "A": {"Type": "Pass", "Parameters": {"x.$": "$.n"}, "ResultPath": "$.a", "Next": "P"},
                    "P": {"Type": "Parallel", "Branches": [
                        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}
                    ], "End": true}
                }
            }),
            input: Val::parse(r#"{"n": 1}"#).unwrap(),
            mocks: None,
            test_case: None,
        };
        Lesson::parse("t/exercises.yaml", text, base)
    }

    #[test]
    fn a_problem_in_an_exercise_is_named_with_its_line_and_pointer() {
        let errs = lesson(
            "exercises:\n  - title: one\n    predict:\n      state: A\n      stage: Nowhere\n",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(
            (errs[0].line, errs[0].pointer.as_str()),
            (5, "/exercises/0/predict/stage")
        );
        assert!(
            errs[0].message.contains("stage 'Nowhere' is not one of"),
            "{}",
            errs[0]
        );
        let errs = lesson("exercises:\n  - title: two kinds\n    predict: {state: A}\n    choose: {answers: [a, b], solution: 1}\n").unwrap_err();
        assert!(
            errs[0].message.contains("predict and choose"),
            "{}",
            errs[0]
        );
        let errs = lesson("exercises:\n  - title: t\n    choose: {answers: [a, b], solution: 3}\n")
            .unwrap_err();
        assert!(errs[0].message.contains("1 to 2"), "{}", errs[0]);
        let errs =
            lesson("exercises:\n  - title: t\n    fix: {starter: {A: {Type: Pass, End: true}}}\n")
                .unwrap_err();
        assert!(errs[0].message.contains("needs 'expect'"), "{}", errs[0]);
        let errs = lesson("exercises:\n  - title: t\n    fix: {starter: other.asl.json, expect: {status: SUCCEEDED}}\n").unwrap_err();
        assert!(errs[0].message.contains("name no files"), "{}", errs[0]);
    }

    #[test]
    fn a_prediction_is_checked_structurally_and_says_what_differs() {
        let l = lesson("exercises:\n  - title: p\n    predict: {state: A, stage: ResultPath, solution: {n: 1, a: {x: 1}}}\n").unwrap();
        let records = l.run().unwrap();
        let Kind::Predict { moment, .. } = &l.exercises[0].kind else {
            panic!("a predict exercise")
        };
        let real = moment.value(&records);
        let right = Lesson::check_prediction(real, moment, r#"{"a": {"x": 1.0}, "n": 1}"#);
        assert!(right.passed, "{right:?}");
        let wrong = Lesson::check_prediction(real, moment, r#"{"n": 1, "a": {"x": 2}}"#);
        assert!(!wrong.passed);
        assert_eq!(wrong.details, vec!["/a/x: it is 1, you wrote 2"]);
        let bare = Lesson::check_prediction(real, moment, "hello");
        assert!(
            !bare.passed && bare.summary.contains("not JSON"),
            "{bare:?}"
        );
        assert!(l.check().is_empty(), "{:?}", l.check());
    }

    #[test]
    fn a_starter_replaces_states_by_name_inside_branches_too() {
        let l = lesson("exercises:\n  - title: f\n    fix:\n      starter: {B: {Type: Fail, Error: No}}\n      expect: {status: SUCCEEDED}\n      solution: {B: {Type: Pass, End: true}}\n").unwrap();
        let Kind::Fix { starter, .. } = &l.exercises[0].kind else {
            panic!("a fix exercise")
        };
        let def = l.definition(Some(starter)).unwrap();
        assert!(!l.check_fix(0, Arc::new(def)).passed);
        assert!(l.check().is_empty(), "{:?}", l.check());
        let missing = Patch::States(
            serde_json::from_str(r#"{"Nope": {"Type": "Pass", "End": true}}"#).unwrap(),
        );
        assert!(l
            .definition(Some(&missing))
            .unwrap_err()
            .contains("no state 'Nope'"));
    }

    #[test]
    fn a_starter_that_passes_or_a_solution_that_fails_is_a_problem() {
        let l = lesson("exercises:\n  - title: f\n    fix:\n      starter: {B: {Type: Pass, End: true}}\n      expect: {status: SUCCEEDED}\n      solution: {B: {Type: Fail, Error: No}}\n").unwrap();
        let p = l.check();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].starts_with("t/exercises.yaml:2:5: exercise 1 'f'"),
            "{p:?}"
        );
        assert!(
            p.iter().any(|l| l.contains("the starter passes already")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|l| l.contains("the solution does not pass")),
            "{p:?}"
        );
    }

    #[test]
    fn progress_reads_back_what_it_wrote() {
        let l = lesson("exercises:\n  - title: c\n    choose: {answers: [a, b], solution: 2}\n")
            .unwrap();
        let mut p = Progress::default();
        let v = l.check_choice(0, 0);
        assert!(!v.passed);
        p.record(&l.exercises[0], Some("1".into()), &v);
        let v = l.check_choice(0, 1);
        assert!(v.passed);
        p.record(&l.exercises[0], Some("2".into()), &v);
        assert_eq!(p.passed(&l), 1);
        assert_eq!(Progress::from_json(&p.to_json()), p);
        assert_eq!(p.mark(&l.exercises[0]).tries, 2);
        // Once passed, a later miss is practice: neither counted nor kept.
        p.record(&l.exercises[0], Some("1".into()), &l.check_choice(0, 0));
        let m = p.mark(&l.exercises[0]);
        assert_eq!(
            (m.tries, m.passed, m.answer.as_deref()),
            (2, true, Some("2"))
        );
    }

    #[test]
    fn two_sessions_of_one_student_add_up() {
        let l = lesson("exercises:\n  - title: a\n    choose: {answers: [x, y], solution: 1}\n  - title: b\n    choose: {answers: [x, y], solution: 2}\n").unwrap();
        let (a, b) = (&l.exercises[0], &l.exercises[1]);
        let mut one = Progress::default();
        one.record(a, Some("1".into()), &l.check_choice(0, 0));
        let mut two = Progress::default();
        two.record(b, Some("1".into()), &l.check_choice(1, 0));
        two.record(b, Some("2".into()), &l.check_choice(1, 1));
        // The first session ends after the second began from nothing.
        one.merge(&two);
        assert_eq!(one.passed(&l), 2);
        assert_eq!(one.mark(b).tries, 2);
        // A miss in a later session does not take a pass away.
        let mut three = Progress::default();
        three.record(a, Some("2".into()), &l.check_choice(0, 1));
        one.merge(&three);
        assert!(one.mark(a).passed);
        assert_eq!(one.mark(a).answer.as_deref(), Some("1"));
    }
}
