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

/// The text typed as the field's new value: JSON, or else a string (a
/// path typed without quotes).
fn value_of(text: &str) -> Value {
    let t = text.trim();
    match crate::asl::parse_document(t, "field.json") {
        Ok(d) => d.value,
        Err(_) => Value::String(t.to_string()),
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
        let vars: Map = m.variables().into_iter().map(|(k, v, _)| (k, v)).collect();
        let text = text_of(&value);
        let mut input = TextArea::new(vec![text]);
        input.move_cursor(CursorMove::End);
        self.mode = Mode::WhatIf(Box::new(Edit {
            input,
            state: rec.state.clone(),
            field,
            context: m.context_object(),
            record: rec,
            recorded,
            vars,
            scroll: 0,
            status: String::new(),
            shown: RefCell::new(None),
        }));
    }

    pub(super) fn what_if_key(&mut self, k: KeyEvent) {
        let Mode::WhatIf(mut ed) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return;
        };
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => {
                self.message = format!("{} › {}: put back as it was.", ed.state, &ed.field[1..]);
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
        let value = value_of(&ed.text());
        let def = self.session.definition().clone();
        let (m, s) = def.find(&ed.state).ok_or("the state is gone")?;
        let st = &def.machines[m].states[s];
        if let Ok((at, _)) = self.state_in_file(st) {
            return self.write_definition(&format!("{at}{}", ed.field), &value);
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
            Some(f) => format!("{} is not written (a template or YAML)", f.path),
            None => "a bundled sample is not a file".into(),
        };
        self.run_definition(
            new,
            &format!(
                "{} › {} changed for this session only ({why})",
                ed.state,
                &ed.field[1..]
            ),
            false,
        );
        Ok(())
    }

    fn what_if_shown<'a>(&self, ed: &'a Edit) -> std::cell::Ref<'a, Option<Recomputed>> {
        let text = ed.text();
        if ed.shown.borrow().as_ref().is_none_or(|(t, _)| *t != text) {
            let def = self.session.definition();
            let r = whatif::recompute(
                def,
                &ed.record,
                &ed.field,
                value_of(&text),
                ed.context.clone(),
                ed.vars.clone(),
            );
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
    for s in &w.stages[first..] {
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
        match ed
            .recorded
            .iter()
            .find(|r| r.key == s.key && r.label == s.label)
        {
            Some(r) if r.value == s.value => out.push(Line::styled("  (as recorded)", t.muted)),
            Some(r) => {
                let d = diff::diff(&r.value, &s.value);
                if matches!(d.as_slice(), [l] if l.sign == Sign::Fold) {
                    out.push(Line::styled("  (as recorded)", t.muted));
                } else {
                    out.push(Line::styled("  changed from the recorded value:", t.warn));
                    out.extend(d.iter().map(|l| diff_line(t, l)));
                }
            }
            None => {
                out.push(Line::styled(
                    "  (new: the recorded run has no such stage)",
                    t.warn,
                ));
                out.extend(diff::full(&s.value).iter().map(|l| diff_line(t, l)));
            }
        }
    }
    for r in &ed.recorded {
        if !w
            .stages
            .iter()
            .any(|s| s.key == r.key && s.label == r.label)
        {
            out.push(Line::styled(
                format!("▌ {}: not reached now", r.label),
                t.muted,
            ));
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
    let head = format!(" {} › {}", ed.state, &ed.field[1..]);
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
            "the state's last run again, from its recorded input; the task's recorded answer stands in:",
            t.muted,
        ),
        w,
        0,
    ));
    let shown = app.what_if_shown(ed);
    let body: Vec<Line> = match shown.as_ref().map(|(_, r)| r) {
        Some(Ok(wi)) => stage_lines(t, ed, wi),
        Some(Err(errs)) => {
            let mut v = vec![Line::styled("✗ the definition would not validate:", t.bad)];
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
    let n = wrapped.len();
    let from = ed.scroll.min(n.saturating_sub(1));
    let mut shown_rows: Vec<Line> = wrapped.into_iter().skip(from).take(room).collect();
    if from + room < n && room > 0 {
        shown_rows.truncate(room - 1);
        shown_rows.push(Line::styled(
            format!("… {} more rows (PgDn)", n - from - (room - 1)),
            t.muted,
        ));
    }
    rows.extend(shown_rows);
    f.render_widget(Paragraph::new(rows), area);
    let row = |y: u16| Rect {
        x: area.x,
        y: area.y + y,
        width: area.width,
        height: 1,
    };
    let file = match &app.definition_file {
        Some(f) => std::path::Path::new(&f.path)
            .file_name()
            .map_or(f.path.clone(), |n| n.to_string_lossy().into_owned()),
        None => "this session".into(),
    };
    let status = if ed.status.is_empty() {
        format!("enter keeps it ({file}) · esc puts it back")
    } else {
        ed.status.clone()
    };
    let (fit, cut) = fit_line(&status, w.saturating_sub(1));
    let mut line = vec![Span::styled(fit.to_string(), t.accent)];
    if cut {
        line.push(Span::styled("…", t.muted));
    }
    f.render_widget(Paragraph::new(Line::from(line)), row(area.height - 2));
    let hints = [
        ("enter", "keep"),
        ("esc", "put back"),
        ("pgup/pgdn", "scroll"),
        ("^u", "clear"),
    ];
    let mut spans = Vec::new();
    let mut used = 0;
    for (k, d) in hints {
        let len = k.chars().count() + d.chars().count() + 3;
        if used + len > w {
            break;
        }
        spans.push(Span::styled(format!(" {k}"), t.accent));
        spans.push(Span::styled(format!(" {d} "), t.muted));
        used += len;
    }
    f.render_widget(Paragraph::new(Line::from(spans)), row(area.height - 1));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_field_is_typed_as_json_or_as_a_bare_string() {
        assert_eq!(value_of("$.other"), json!("$.other"));
        assert_eq!(value_of("\"$.other\""), json!("$.other"));
        assert_eq!(value_of("null"), json!(null));
        assert_eq!(value_of(r#"{"a.$": "$.b"}"#), json!({"a.$": "$.b"}));
        assert_eq!(text_of(&json!("$.credit")), "$.credit");
        assert_eq!(text_of(&json!("null")), "\"null\"");
        assert_eq!(text_of(&json!({"a": 1})), r#"{"a":1}"#);
    }
}
