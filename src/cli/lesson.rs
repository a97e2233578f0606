//! `asldbg lesson check DIR…` and `asldbg lesson new NAME`.

use super::args::LessonCommand;
use asldbg::testing::exercises::{self, Lesson};
use asldbg::{errln, outln};
use std::path::Path;
use std::process::ExitCode;

pub fn run(cmd: LessonCommand) -> ExitCode {
    match cmd {
        LessonCommand::Check { dirs } => check(&dirs),
        LessonCommand::New { name } => new(&name),
    }
}

/// Check each folder's exercises; every problem printed, exit 1 if any.
fn check(dirs: &[String]) -> ExitCode {
    let mut bad = 0;
    let mut count = 0;
    for d in dirs {
        let dir = Path::new(d);
        if !dir.is_dir() {
            errln!("{d}: not a folder");
            bad += 1;
            continue;
        }
        if !dir.join(exercises::FILE).is_file() {
            errln!("{d}: no {} (a lesson folder has one)", exercises::FILE);
            bad += 1;
            continue;
        }
        match Lesson::load_dir(dir) {
            Err(errs) => {
                for e in &errs {
                    errln!("{e}");
                }
                bad += errs.len();
            }
            Ok(l) => {
                let problems = l.check();
                for p in &problems {
                    errln!("{p}");
                }
                bad += problems.len();
                count += l.exercises.len();
                if problems.is_empty() {
                    outln!("{d}: {} exercises, all good", l.exercises.len());
                }
            }
        }
    }
    if bad > 0 {
        errln!("{bad} problem{}", if bad == 1 { "" } else { "s" });
        ExitCode::from(1)
    } else {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        outln!(
            "{} in {} checked",
            plural(count, "exercise", "exercises"),
            plural(dirs.len(), "lesson", "lessons")
        );
        ExitCode::SUCCESS
    }
}

const MACHINE: &str = include_str!("lesson_new/machine.asl.json");
const INPUT: &str = include_str!("lesson_new/input.json");
const LESSON: &str = include_str!("lesson_new/lesson.md");
const EXERCISES: &str = include_str!("lesson_new/exercises.yaml");

/// Write folder `name` to start a lesson from (never over one that exists).
fn new(name: &str) -> ExitCode {
    let dir = Path::new(name);
    if dir.exists() {
        errln!("{name} exists already: give a new folder's name");
        return ExitCode::from(2);
    }
    let stem = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != "." && n != "..");
    let Some(stem) = stem else {
        errln!("{name}: not a folder name");
        return ExitCode::from(2);
    };
    let files = [
        (format!("{stem}.asl.json"), MACHINE.to_string()),
        ("input.json".into(), INPUT.to_string()),
        ("lesson.md".into(), LESSON.to_string()),
        (
            exercises::FILE.into(),
            EXERCISES.replace("NAME.asl.json", &format!("{stem}.asl.json")),
        ),
    ];
    if let Err(e) = std::fs::create_dir_all(dir) {
        errln!("{name}: {e}");
        return ExitCode::from(2);
    }
    for (f, text) in &files {
        if let Err(e) = std::fs::write(dir.join(f), text) {
            errln!("{}: {e}", dir.join(f).display());
            return ExitCode::from(2);
        }
    }
    outln!(
        "Wrote {name}/: {stem}.asl.json, input.json, lesson.md, {}.\n\
         Check it: asldbg lesson check {name}\n\
         Try it:   asldbg {name}/{stem}.asl.json --input {name}/input.json",
        exercises::FILE
    );
    ExitCode::SUCCESS
}
