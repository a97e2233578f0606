//! What the class server keeps of its students for the teacher: each
//! session's row in the class view (and its screen while the teacher
//! watches it), each student's progress through each lesson's exercises
//! (a reconnect resumes), and the class summary `--record` writes.

use crate::testing::exercises::{Lesson as Exercises, Progress};
use crate::tui::class::ClassRow;
use ratatui::buffer::Buffer;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// One session as the teacher sees it.
pub struct Seen {
    pub row: ClassRow,
    /// The teacher watches it: its frames are kept.
    pub watched: bool,
    pub screen: Option<Buffer>,
}

/// A student's progress through one lesson, and who they are.
#[derive(Clone)]
struct Kept {
    label: String,
    progress: Progress,
    exercises: Arc<Exercises>,
}

#[derive(Default)]
pub struct Room {
    /// The students' sessions now, by session number.
    roster: Mutex<BTreeMap<usize, Seen>>,
    /// Told when a row or a watched screen changed.
    pub changed: tokio::sync::Notify,
    /// Told when the teacher starts watching someone (who draws at once).
    pub watch_started: tokio::sync::Notify,
    /// By student (key fingerprint or login) and lesson.
    progress: Mutex<HashMap<(String, String), Kept>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The most sessions' progress kept (a student is a key: a server up for
/// a term with many classes keeps the newest).
const MAX_KEPT: usize = 10_000;

impl Room {
    /// Put session `id`'s row in (or change it); the teacher is told when
    /// it differs.
    pub fn publish(&self, row: ClassRow) {
        let mut r = lock(&self.roster);
        let changed = match r.get_mut(&row.id) {
            Some(seen) => {
                let same = same_row(&seen.row, &row);
                seen.row = row;
                !same
            }
            None => {
                r.insert(
                    row.id,
                    Seen {
                        row,
                        watched: false,
                        screen: None,
                    },
                );
                true
            }
        };
        drop(r);
        if changed {
            self.changed.notify_waiters();
        }
    }

    /// How many students have a hand raised.
    pub fn hands(&self) -> usize {
        lock(&self.roster).values().filter(|s| s.row.hand).count()
    }

    /// Whether the teacher watches session `id` and has no frame of it yet.
    pub fn wants_frame(&self, id: usize) -> bool {
        lock(&self.roster)
            .get(&id)
            .is_some_and(|s| s.watched && s.screen.is_none())
    }

    pub fn leave(&self, id: usize) {
        if lock(&self.roster).remove(&id).is_some() {
            self.changed.notify_waiters();
        }
    }

    /// Session `id` drew `screen`: kept when the teacher watches it.
    pub fn drawn(&self, id: usize, screen: &Buffer) {
        let mut r = lock(&self.roster);
        if let Some(seen) = r.get_mut(&id).filter(|s| s.watched) {
            seen.screen = Some(screen.clone());
            drop(r);
            self.changed.notify_waiters();
        }
    }

    /// The rows, who needs help first; and the screen of `watching` (which
    /// becomes the only session watched).
    pub fn view(&self, watching: Option<usize>) -> (Vec<ClassRow>, Option<Buffer>) {
        let mut r = lock(&self.roster);
        let mut screen = None;
        let mut started = false;
        for (id, seen) in r.iter_mut() {
            let watched = Some(*id) == watching;
            started |= watched && !seen.watched;
            if !watched {
                seen.screen = None;
            }
            seen.watched = watched;
            if seen.watched {
                screen = seen.screen.clone();
            }
        }
        let mut rows: Vec<ClassRow> = r.values().map(|s| s.row.clone()).collect();
        drop(r);
        if started {
            self.watch_started.notify_waiters();
        }
        crate::tui::class::sort(&mut rows);
        (rows, screen)
    }

    /// What `who` has done of `lesson`'s exercises so far.
    pub fn progress(&self, who: &str, lesson: &str) -> Progress {
        lock(&self.progress)
            .get(&(who.to_string(), lesson.to_string()))
            .map(|k| k.progress.clone())
            .unwrap_or_default()
    }

    pub fn keep(&self, who: &str, label: &str, lesson: &str, ex: Arc<Exercises>, p: Progress) {
        let mut m = lock(&self.progress);
        if m.len() >= MAX_KEPT && !m.contains_key(&(who.to_string(), lesson.to_string())) {
            return;
        }
        // Two sessions of one student: what each did is kept.
        let key = (who.to_string(), lesson.to_string());
        match m.get_mut(&key) {
            Some(k) => {
                k.progress.merge(&p);
                k.label = label.to_string();
            }
            None => {
                m.insert(
                    key,
                    Kept {
                        label: label.to_string(),
                        progress: p,
                        exercises: ex,
                    },
                );
            }
        }
    }

    /// The class summary, the text of `class.json` and of `class.txt`
    /// (per student and lesson: exercises passed, time on each, hints used).
    pub fn summary(&self) -> (String, String) {
        let mut kept: Vec<((String, String), Kept)> = lock(&self.progress)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        kept.sort_by(|a, b| (&a.1.label, &a.0 .1).cmp(&(&b.1.label, &b.0 .1)));
        let mut json = Vec::new();
        let mut text = String::from(
            "student              lesson            passed  time    hints  exercise: tries, time\n",
        );
        for ((who, lesson), k) in &kept {
            let ex = &k.exercises.exercises;
            let marks: Vec<serde_json::Value> = ex
                .iter()
                .map(|e| {
                    let m = k.progress.mark(e);
                    serde_json::json!({
                        "exercise": e.title,
                        "kind": e.kind_name(),
                        "passed": m.passed,
                        "tries": m.tries,
                        "seconds": m.seconds,
                        "hints": m.hints,
                    })
                })
                .collect();
            let passed = k.progress.passed(&k.exercises);
            let seconds: u64 = ex.iter().map(|e| k.progress.mark(e).seconds).sum();
            let hints: u32 = ex.iter().map(|e| k.progress.mark(e).hints).sum();
            json.push(serde_json::json!({
                "student": k.label,
                "id": who,
                "lesson": lesson,
                "passed": passed,
                "of": ex.len(),
                "seconds": seconds,
                "hints": hints,
                "exercises": marks,
            }));
            let each: Vec<String> = ex
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let m = k.progress.mark(e);
                    let mark = if m.passed {
                        "✓"
                    } else if m.tries > 0 {
                        "✗"
                    } else {
                        "·"
                    };
                    format!("{}{mark} {}×, {}s", i + 1, m.tries, m.seconds)
                })
                .collect();
            text.push_str(&format!(
                "{:<20} {:<17} {:>2}/{:<3}  {:>5}s  {:>5}  {}\n",
                k.label,
                lesson,
                passed,
                ex.len(),
                seconds,
                hints,
                each.join("; ")
            ));
        }
        let body =
            serde_json::to_string_pretty(&serde_json::json!({ "class": json })).unwrap_or_default();
        (body + "\n", text)
    }
}

/// Rows that show the same (the idle time aside, which the view works out).
fn same_row(a: &ClassRow, b: &ClassRow) -> bool {
    a.who == b.who
        && a.lesson == b.lesson
        && a.passed == b.passed
        && a.total == b.total
        && a.exercise == b.exercise
        && a.state == b.state
        && a.hand == b.hand
        && a.stuck == b.stuck
}
