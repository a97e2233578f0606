//! The lines of a definition's file each state's text spans, for
//! breakpoints set on a line and for the line a stack frame shows.

use crate::asl::model::{Definition, MachineId, StateId};
use std::collections::HashMap;

/// Each state's first and last line in the file (1-based).
pub struct Lines {
    spans: Vec<(usize, usize, MachineId, StateId)>,
    by_state: HashMap<(MachineId, StateId), usize>,
}

impl Lines {
    /// The spans of `def`'s states in `doc` (the file it was read from;
    /// `prefix`: where the definition stands in it). None when the file
    /// does not hold the definition's states as they are (a definition
    /// given as a string, or produced by a Terraform expression).
    pub fn of(def: &Definition, doc: &crate::asl::Document, prefix: &str) -> Option<Lines> {
        let mut index: HashMap<String, (MachineId, StateId)> = HashMap::new();
        for (m, mc) in def.machines.iter().enumerate() {
            for (s, st) in mc.states.iter().enumerate() {
                let at = format!("{prefix}{}", st.pointer);
                // The file must hold this state (a string definition does
                // not: its pointer stops at the string).
                doc.value.pointer(&at)?.as_object()?;
                index.insert(at, (m, s));
            }
        }
        let mut first: HashMap<(MachineId, StateId), usize> = HashMap::new();
        let mut last: HashMap<(MachineId, StateId), usize> = HashMap::new();
        for (pointer, (line, _)) in doc.source_map().positions() {
            // Every state this value lies in (a nested state's value lies
            // in its Parallel or Map too).
            let mut p = pointer;
            loop {
                if let Some(&id) = index.get(p) {
                    let f = first.entry(id).or_insert(line);
                    *f = (*f).min(line);
                    let l = last.entry(id).or_insert(line);
                    *l = (*l).max(line);
                }
                match p.rfind('/') {
                    Some(i) => p = &p[..i],
                    None => break,
                }
            }
        }
        let mut spans: Vec<(usize, usize, MachineId, StateId)> = index
            .values()
            .filter_map(|id| Some((*first.get(id)?, *last.get(id)?, id.0, id.1)))
            .collect();
        spans.sort();
        let by_state = spans.iter().map(|&(f, _, m, s)| ((m, s), f)).collect();
        Some(Lines { spans, by_state })
    }

    /// The state whose text holds `line` (the innermost, when states
    /// nest), with its first line; a line between two states goes to the
    /// next one below it.
    /// A line before the first state or after the last one's text holds
    /// none.
    pub fn state_at(&self, line: usize) -> Option<(MachineId, StateId, usize)> {
        let first = self.spans.first()?.0;
        let last = self.spans.iter().map(|s| s.1).max()?;
        if line < first || line > last {
            return None;
        }
        let holding = self
            .spans
            .iter()
            .filter(|(f, l, _, _)| *f <= line && line <= *l)
            // The innermost: the one that starts last.
            .max_by_key(|(f, _, _, _)| *f);
        let near = holding
            .or_else(|| self.spans.iter().find(|(f, _, _, _)| *f > line))
            .or_else(|| self.spans.last());
        near.map(|&(f, _, m, s)| (m, s, f))
    }

    /// The first line of a state's text.
    pub fn line_of(&self, m: MachineId, s: StateId) -> Option<usize> {
        self.by_state.get(&(m, s)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_belongs_to_the_innermost_state_that_holds_it() {
        let text = r#"{
  "StartAt": "A",
  "States": {
    "A": {
      "Type": "Pass",
      "Next": "P"
    },

    "P": {
      "Type": "Parallel",
      "Branches": [
        {"StartAt": "B", "States": {
          "B": {"Type": "Pass", "End": true}
        }}
      ],
      "End": true
    }
  }
}"#;
        let doc = crate::asl::parse_document(text, "t.asl.json").unwrap();
        let def = Definition::from_value(&doc.value).unwrap();
        let lines = Lines::of(&def, &doc, "").unwrap();
        let name = |line| {
            lines
                .state_at(line)
                .map(|(m, s, first)| format!("{}@{first}", def.machines[m].states[s].name))
        };
        assert_eq!(name(1), None);
        assert_eq!(name(4).as_deref(), Some("A@4"));
        assert_eq!(name(6).as_deref(), Some("A@4"));
        // Between two states: the next one.
        assert_eq!(name(8).as_deref(), Some("P@9"));
        assert_eq!(name(13).as_deref(), Some("B@13"));
        assert_eq!(name(16).as_deref(), Some("P@9"));
        assert_eq!(name(18), None);
        assert_eq!(name(1000), None);
    }
}
