//! What-if in the Stages tab (`e` on a stage made by a field): the field's
//! value in a one-line editor; as it is typed, the state's last run is done
//! again with it ([`crate::debugger::whatif`]) and every stage shows what
//! changed from the recorded value. `Enter` keeps the edit (written into
//! the definition file, or for this session only when there is no file to
//! write), `Esc` puts everything back. Nothing runs and no history changes
//! until `Enter`.

use super::app::{App, Mode};
use super::diff::{self, Sign};
use super::json_view::fit_line;
use super::stage_blocks::diff_line;
use crate::asl::value::{Map, Val};
use crate::debugger::pipeline::Stage;
use crate::debugger::whatif::{self, WhatIf};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use ratatui_textarea::{CursorMove, TextArea};
use serde_json::Value;
use std::cell::RefCell;

/// The text last recomputed and what it gave (the run again, or why the
/// definition would not validate).
type Recomputed = (String, Result<WhatIf, Vec<String>>);

pub struct Edit {
    input: TextArea<'static>,
    /// The state, the field (a pointer inside the state), the stages as
    /// recorded and what the state saw.
    state: String,
    field: String,
    /// The stage or rule edited, as the Stages tab names it.
    title: String,
    /// Where Enter keeps the edit: the file's name, or "this session only".
    writes: String,
    /// The state calls a task (Task, Map, Parallel): its recorded answer
    /// stands in.
    calls: bool,
    record: crate::engine::StageRecord,
    recorded: Vec<Stage>,
    context: Option<Val>,
    vars: Map,
    scroll: usize,
    status: String,
    shown: RefCell<Option<Recomputed>>,
}

impl Edit {
    fn text(&self) -> String {
        self.input.lines().join(" ")
    }
}

/// The text typed as the field's new value: JSON, or a string typed
/// without quotes (`$.other`). Text that begins as JSON does (`{`, `[`,
/// `"`) must be JSON: its error is given, never taken as a string.
fn value_of(text: &str) -> Result<Value, String> {
    let t = text.trim();
    match crate::asl::parse_document(t, "field.json") {
        Ok(d) => Ok(d.value),
        Err(e) if t.starts_with(['{', '[', '"']) => {
            Err(format!("not JSON (column {}): {}", e.column, e.message))
        }
        Err(_) => Ok(Value::String(t.to_string())),
    }
}

/// A field's value as the editor shows it: a string bare, unless it would
/// read as other JSON; anything else as compact JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) if serde_json::from_str::<Value>(s).is_err() => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

impl App {
    /// `e` in the Stages tab: edit the field that made the selected stage.
    pub(super) fn open_what_if(&mut self) {
        let Some(index) = self.record_index() else {
            self.message =
                "No state has run yet: s runs one, then its stages can be edited.".into();
            return;
        };
        let Some(p) = self.pipeline() else { return };
        let sel = self.stage_selected(&p);
        let m = self.session.moment();
        let rec = m.stages()[index].clone();
        let def = self.session.definition().clone();
        let recorded = crate::debugger::pipeline::stages(&def, &rec);
        // Below the stages a Choice lists its rules: e edits the rule.
        let rule = sel
            .checked_sub(recorded.len())
            .and_then(|r| rec.rules.get(r))
            .map(|r| format!("/Choices/{}", r.index));
        let stage = recorded.get(sel);
        let Some(field) = rule.or_else(|| stage.and_then(whatif::field_of)) else {
            let Some(stage) = stage else {
                self.message = "Select a stage (↑/↓) made by a field to edit it.".into();
                return;
            };
            self.message = format!(
                "The {} is not made by a field: e edits InputPath, Parameters, ResultSelector, \
                 ResultPath, OutputPath, Arguments, Output, Assign, ItemsPath, ItemSelector.",
                stage.label
            );
            return;
        };
        let Some(value) = whatif::field_value(&def, &rec.state, &field) else {
            return;
        };
        let title = match stage.filter(|_| !field.starts_with("/Choices/")) {
            Some(s) => s.label.clone(),
            None => format!("Choice rule #{}", sel - recorded.len() + 1),
        };
        let (mi, si) = def.find(&rec.state).unwrap_or_default();
        let st = &def.machines[mi].states[si];
        let writes = match self.state_in_file(st) {
            Ok(_) => self
                .definition_file
                .as_ref()
                .and_then(|f| std::path::Path::new(&f.path).file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Err(_) => "this session only".into(),
        };
        let calls = matches!(
            st.kind,
            crate::asl::model::Kind::Task(_)
                | crate::asl::model::Kind::Map(_)
                | crate::asl::model::Kind::Parallel { .. }
        );
        let (vars, context) = self.scope_of_run(&rec.state);
        let text = text_of(&value);
        let mut input = TextArea::new(vec![text]);
        input.move_cursor(CursorMove::End);
        self.mode = Mode::WhatIf(Box::new(Edit {
            input,
            state: rec.state.clone(),
            field,
            title,
            writes,
            calls,
            context,
            record: rec,
            recorded,
            vars,
            scroll: 0,
            status: String::new(),
            shown: RefCell::new(None),
        }));
    }

    /// What the last run of `state` saw: the variables and the context
    /// object when it was entered (the run goes there and back).
    pub(super) fn scope_of_run(&mut self, state: &str) -> (Map, Option<Val>) {
        let m = self.session.moment();
        let entered = m
            .history()
            .iter()
            .rposition(|e| {
                e.state.as_deref() == Some(state) && e.event_type.as_str().ends_with("StateEntered")
            })
            .map(|i| i + 1);
        let (vars, context) = match entered {
            Some(k) => self.session.scope_at_event(k),
            None => (m.variables(), m.context_object()),
        };
        (vars.into_iter().map(|(k, v, _)| (k, v)).collect(), context)
    }

    pub(super) fn what_if_key(&mut self, k: KeyEvent) {
        let Mode::WhatIf(mut ed) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return;
        };
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => {
                self.message = format!("{} › {}: put back as it was.", ed.state, ed.title);
                return;
            }
            KeyCode::Enter => match self.keep_what_if(&ed) {
                Ok(()) => return,
                Err(e) => ed.status = e,
            },
            KeyCode::PageDown => ed.scroll += 10,
            KeyCode::PageUp => ed.scroll = ed.scroll.saturating_sub(10),
            KeyCode::Char('u') if ctrl => {
                ed.input = TextArea::new(vec![String::new()]);
            }
            _ if ctrl && matches!(k.code, KeyCode::Char('m' | 'j')) => {}
            _ => {
                if ed.text().len() < super::app::MAX_WATCH_TEXT
                    || !matches!(k.code, KeyCode::Char(_))
                {
                    ed.input.input(k);
                    ed.status.clear();
                }
            }
        }
        self.mode = Mode::WhatIf(ed);
    }

    /// Text pasted into the what-if editor: one line.
    pub(super) fn what_if_paste(&mut self, text: &str) {
        if let Mode::WhatIf(ed) = &mut self.mode {
            let room = super::app::MAX_WATCH_TEXT.saturating_sub(ed.text().len());
            let mut t = text.replace(['\r', '\n', '\t'], " ");
            let mut cut = room.min(t.len());
            while !t.is_char_boundary(cut) {
                cut -= 1;
            }
            t.truncate(cut);
            ed.input.insert_str(t);
        }
    }

    /// Keep the edit: into the definition file when the state can be
    /// written back there, else for this session only.
    fn keep_what_if(&mut self, ed: &Edit) -> Result<(), String> {
        let value = value_of(&ed.text()).map_err(|e| format!("not kept: {e}"))?;
        let def = self.session.definition().clone();
        let (m, s) = def.find(&ed.state).ok_or("the state is gone")?;
        let st = &def.machines[m].states[s];
        match self.state_in_file(st) {
            Ok((at, _)) => return self.write_definition(&format!("{at}{}", ed.field), &value),
            // The file changed under the run (or has placeholders): said,
            // not kept behind its back for the session.
            Err(e) if e.contains("is not what runs") => return Err(e),
            Err(_) => {}
        }
        let mut source = def.source.get().clone();
        if let Some(v) = source.pointer_mut(&format!("{}{}", st.pointer, ed.field)) {
            *v = value;
        }
        let new = crate::asl::Definition::from_value(&source).map_err(|errs| {
            format!(
                "not kept: {}",
                errs.first().map(|e| e.to_string()).unwrap_or_default()
            )
        })?;
        let why = match &self.definition_file {
            Some(f) => format!("{} is not written: a template, YAML or Terraform", f.path),
            None => "a bundled sample is not a file".into(),
        };
        self.run_definition(
            new,
            &format!(
                "{} › {} changed for this session only ({why})",
                ed.state, ed.title
            ),
            false,
        );
        Ok(())
    }

    fn what_if_shown<'a>(&self, ed: &'a Edit) -> std::cell::Ref<'a, Option<Recomputed>> {
        let text = ed.text();
        if ed.shown.borrow().as_ref().is_none_or(|(t, _)| *t != text) {
            let def = self.session.definition();
            let r = value_of(&text).map_err(|e| vec![e]).and_then(|v| {
                whatif::recompute(
                    def,
                    &ed.record,
                    &ed.field,
                    v,
                    ed.context.clone(),
                    ed.vars.clone(),
                )
            });
            *ed.shown.borrow_mut() = Some((text, r));
        }
        ed.shown.borrow()
    }
}

/// The stages of the run done again, each against the one recorded.
fn stage_lines(t: &super::theme::Theme, ed: &Edit, w: &WhatIf) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let edited = |s: &Stage| whatif::field_of(s).as_deref() == Some(ed.field.as_str());
    // What comes before the edited field is as it was: said in one line.
    let first = w.stages.iter().position(edited).unwrap_or(0);
    if first > 0 {
        let names: Vec<&str> = w.stages[..first].iter().map(|s| s.label.as_str()).collect();
        out.push(Line::styled(
            format!("({}: as recorded)", names.join(", ")),
            t.muted,
        ));
    }
    let recorded_first = ed
        .recorded
        .iter()
        .position(|r| whatif::field_of(r).as_deref() == Some(ed.field.as_str()))
        .unwrap_or(0);
    let header = |s: &Stage, out: &mut Vec<Line<'static>>| {
        let mut head = vec![
            Span::styled("▌ ", t.accent),
            Span::styled(s.label.clone(), t.key.add_modifier(Modifier::BOLD)),
        ];
        if let Some(e) = &s.expr {
            head.push(Span::styled(format!("  {e}"), t.muted));
        }
        if edited(s) {
            head.push(Span::styled("  ← edited", t.warn));
        }
        out.push(Line::from(head));
    };
    // The recorded stages in order, each with what it is now.
    for r in &ed.recorded[recorded_first.min(first)..] {
        match w
            .stages
            .iter()
            .find(|s| s.key == r.key && s.label == r.label)
        {
            Some(s) => {
                header(s, &mut out);
                let d = diff::diff(&r.value, &s.value);
                if r.value == s.value || matches!(d.as_slice(), [l] if l.sign == Sign::Fold) {
                    out.push(Line::styled("  (as recorded)", t.muted));
                } else {
                    out.push(Line::styled("  changed from the recorded value:", t.warn));
                    out.extend(d.iter().map(|l| diff_line(t, l)));
                }
            }
            None => {
                header(r, &mut out);
                out.push(Line::styled("  not reached now", t.muted));
            }
        }
    }
    // Stages the recorded run did not have (an error caught now).
    for s in &w.stages[first..] {
        if !ed
            .recorded
            .iter()
            .any(|r| r.key == s.key && r.label == s.label)
        {
            header(s, &mut out);
            out.push(Line::styled(
                "  (new: the recorded run has no such stage)",
                t.warn,
            ));
            out.extend(diff::full(&s.value).iter().map(|l| diff_line(t, l)));
        }
    }
    if !w.record.rules.is_empty() {
        out.push(Line::styled("Choice rules (in order)", t.key));
    }
    for r in &w.record.rules {
        let was = ed
            .record
            .rules
            .iter()
            .find(|o| o.index == r.index)
            .map(|o| o.matched);
        let (mark, style) = match r.matched {
            true => ("✓", t.good),
            false => ("✗", t.muted),
        };
        let change = match was {
            Some(w) if w != r.matched => {
                format!("  (was {})", if w { "✓" } else { "✗" })
            }
            _ => String::new(),
        };
        out.push(Line::styled(
            format!("{mark} #{} {} → {}{change}", r.index + 1, r.rule, r.next),
            if change.is_empty() { style } else { t.warn },
        ));
    }
    if let Some((name, cause)) = &w.error {
        out.push(Line::styled(
            format!("✗ the state would fail: {name}"),
            t.bad,
        ));
        out.push(Line::styled(format!("  cause: {cause}"), t.bad));
    }
    if let Some(c) = w.record.caught_by {
        out.push(Line::styled(
            format!("caught by catcher #{}", c + 1),
            t.warn,
        ));
    }
    match (&w.record.next, &ed.record.next) {
        (Some(n), Some(was)) if n != was => {
            out.push(Line::styled(format!("next: {n} (was {was})"), t.warn))
        }
        (Some(n), _) => out.push(Line::from(vec![
            Span::styled("next: ", t.key),
            Span::styled(n.clone(), t.base),
        ])),
        _ => {}
    }
    out
}

/// Draw the what-if over `area` (the whole screen).
pub fn draw(f: &mut Frame, app: &App, ed: &Edit, area: Rect) {
    let t = &app.theme;
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new("").style(t.base), area);
    let w = area.width as usize;
    if area.height < 8 || w < 20 {
        return;
    }
    let mut rows: Vec<Line> = Vec::new();
    let head = format!(" {} › {}", ed.state, ed.title);
    let (fit, cut) = fit_line(&head, w.saturating_sub(10));
    let mut title = vec![
        Span::styled(" what if ", t.accent.add_modifier(Modifier::REVERSED)),
        Span::styled(fit.to_string(), t.accent),
    ];
    if cut {
        title.push(Span::styled("…", t.muted));
    }
    rows.push(Line::from(title));
    rows.extend(super::lab::input_lines(
        t,
        &ed.text(),
        ed.input.cursor().1,
        w,
        None,
    ));
    rows.extend(super::markdown::word_wrap(
        Line::styled(
            match ed.calls {
                true => {
                    "the state's last run again, from its recorded input and variables; its \
                         recorded answer stands in for the task (a Map's or Parallel's children \
                         do not run again):"
                }
                false => "the state's last run again, from its recorded input and variables:",
            },
            t.muted,
        ),
        w,
        0,
    ));
    let shown = app.what_if_shown(ed);
    let body: Vec<Line> = match shown.as_ref().map(|(_, r)| r) {
        Some(Ok(wi)) => stage_lines(t, ed, wi),
        Some(Err(errs)) => {
            let mut v = vec![Line::styled("✗ not a value the field can hold:", t.bad)];
            for e in errs {
                v.extend(super::markdown::word_wrap(
                    Line::styled(format!("  {e}"), t.bad),
                    w,
                    4,
                ));
            }
            v
        }
        None => Vec::new(),
    };
    let wrapped: Vec<Line> = body
        .into_iter()
        .flat_map(|l| super::markdown::word_wrap(l, w, 4))
        .collect();
    let top = rows.len() as u16;
    let room = area.height.saturating_sub(top + 2) as usize;
    let shown_rows = super::lab::scrolled(t, wrapped, ed.scroll, room);
    rows.extend(shown_rows);
    f.render_widget(Paragraph::new(rows), area);
    let status = match ed.status.is_empty() {
        true => format!("enter keeps it ({}) · esc puts it back", ed.writes),
        false => ed.status.clone(),
    };
    super::lab::footer(
        f,
        t,
        area,
        &status,
        &[
            ("enter", "keep"),
            ("esc", "put back"),
            ("pgup/pgdn", "scroll"),
            ("ctrl-u", "clear"),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_field_is_typed_as_json_or_as_a_bare_string() {
        assert_eq!(value_of("$.other"), Ok(json!("$.other")));
        assert_eq!(value_of("\"$.other\""), Ok(json!("$.other")));
        assert_eq!(value_of("null"), Ok(json!(null)));
        assert_eq!(value_of(r#"{"a.$": "$.b"}"#), Ok(json!({"a.$": "$.b"})));
        // Broken JSON is an error, not a string.
        assert!(value_of(r#"{"items": 1"#).is_err());
        assert_eq!(text_of(&json!("$.credit")), "$.credit");
        assert_eq!(text_of(&json!("null")), "\"null\"");
        assert_eq!(text_of(&json!({"a": 1})), r#"{"a":1}"#);
    }
}
