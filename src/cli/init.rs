//! `asldbg init DEF`: a mock file, an input and a passing suite, written
//! beside the definition (or in `--dir`), never over a file without `--force`.

use super::args::InitArgs;
use super::common::*;
use asldbg::outln;
use asldbg::testing::init::{scaffold, TEST_CASE};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) fn init(args: InitArgs) -> ExitCode {
    let InitArgs {
        definition,
        dir,
        force,
        source,
    } = args;
    let opened = match load_or_exit(&definition, &source, false, false) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let def_path = Path::new(&definition);
    let stem = def_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = stem
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("machine")
        .to_string();
    let name = opened
        .run_name()
        .map(str::to_string)
        .unwrap_or(stem.clone());
    let dir = match &dir {
        Some(d) => PathBuf::from(d),
        None => match def_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    if dir.exists() && !dir.is_dir() {
        return fail2(format!("--dir {}: not a folder", dir.display()));
    }
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return fail2(format!("{}: {e}", dir.display()));
    }
    // The suite's file name: the machine's name made safe for a file name
    // (a template's key may hold `/`, `..` or nothing at all).
    let suite_name = file_stem_of(opened.machine.as_deref().unwrap_or(&stem));
    let files = [
        dir.join("mocks.json"),
        dir.join("input.json"),
        dir.join(format!("{suite_name}.test.yaml")),
    ];
    // A symbolic link counts as there (even one that leads nowhere): init
    // never writes through one.
    let there: Vec<String> = files
        .iter()
        .filter(|f| f.symlink_metadata().is_ok())
        .map(|f| f.display().to_string())
        .collect();
    if let Some(link) = files.iter().find(|f| {
        f.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    }) {
        return fail2(format!(
            "{} is a symbolic link: init does not write through one (remove it, or --dir \
             writes elsewhere)",
            link.display()
        ));
    }
    if !there.is_empty() && !force {
        return fail2(format!(
            "{} already there: --force overwrites, --dir writes elsewhere",
            there.join(", ")
        ));
    }
    let express = opened.express;
    let machine = opened.machine.clone();
    let s = scaffold(Arc::new(opened.definition), &name, express);
    let relative = relative_to(def_path, &dir);
    let mut suite = format!(
        "# Written by `asldbg init`: the run below is what the machine did with\n\
         # mocks.json and input.json. Edit the answers and the input, add cases, and\n\
         # `asldbg test --update` records a changed output.\n\
         definition: {}\n",
        yaml_text(&relative)
    );
    if let Some(m) = &machine {
        suite.push_str(&format!("machine: {}\n", yaml_text(m)));
    }
    // The name the mocks are keyed by and `$$.StateMachine.Name` says.
    suite.push_str(&format!("name: {}\n", yaml_text(&name)));
    // The placeholder values the run had: the suite's runs have them too.
    if let Some(f) = &source.subs {
        suite.push_str(&format!(
            "subs: {}\n",
            yaml_text(&relative_to(Path::new(f), &dir))
        ));
    }
    let mut given = serde_json::Map::new();
    for pair in &source.sub {
        if let Some((k, v)) = pair.split_once('=') {
            given.insert(k.trim().to_string(), Value::String(v.to_string()));
        }
    }
    if !given.is_empty() {
        suite.push_str(&format!("sub: {}\n", compact(&Value::Object(given))));
    }
    suite.push_str(&format!(
        "mocks: mocks.json\ncases:\n  - name: {TEST_CASE}\n    input-file: input.json\n    test-case: {TEST_CASE}\n    expect:\n      status: {}\n",
        s.status
    ));
    match (&s.output, &s.error) {
        (Some(o), _) => suite.push_str(&format!("      output: {}\n", compact(o))),
        (None, Some(e)) => {
            suite.push_str(&format!(
                "      error: {}\n",
                compact(&Value::String(e.clone()))
            ));
            if let Some(c) = &s.cause {
                suite.push_str(&format!(
                    "      cause: {}\n",
                    compact(&Value::String(c.clone()))
                ));
            }
        }
        _ => {}
    }
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    for (f, text) in files
        .iter()
        .zip([pretty(&s.mocks), pretty(&s.input), suite])
    {
        // Made new unless --force (a file that appeared since is not
        // written over).
        let mut o = std::fs::OpenOptions::new();
        o.write(true).truncate(true);
        if force {
            o.create(true);
        } else {
            o.create_new(true);
        }
        let written = o
            .open(f)
            .and_then(|mut w| std::io::Write::write_all(&mut w, text.as_bytes()));
        if let Err(e) = written {
            return fail2(format!("{}: {e}", f.display()));
        }
        outln!("wrote {}", f.display());
    }
    outln!(
        "{TEST_CASE}: {}{}",
        s.status,
        s.error
            .as_ref()
            .map(|e| format!(" ({e}: {})", s.cause.clone().unwrap_or_default()))
            .unwrap_or_default()
    );
    outln!("path: {}", s.path.join(" → "));
    for n in &s.notes {
        outln!("note: {n}");
    }
    outln!("next: asldbg test {}", files[2].display());
    ExitCode::SUCCESS
}

/// JSON on one line, which YAML reads as written: the line breaks JSON
/// leaves raw (U+0085, U+2028, U+2029) but YAML folds are escaped.
fn compact(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_default()
        .replace('\u{85}', "\\u0085")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A YAML string for `s`: always quoted (`null`, `true`, `1e3` are not
/// strings unquoted).
fn yaml_text(s: &str) -> String {
    compact(&Value::String(s.to_string()))
}

/// `name` as a file name: letters, digits, `-`, `_` and `.` kept, the rest
/// `_`; never empty, never starting with a dot.
fn file_stem_of(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    if safe.is_empty() {
        "machine".to_string()
    } else {
        safe
    }
}

/// `target` as a path relative to the folder `from`.
fn relative_to(target: &Path, from: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (t, f) = (abs(target), abs(from));
    let tc: Vec<_> = t.components().collect();
    let fc: Vec<_> = f.components().collect();
    let common = tc.iter().zip(&fc).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..fc.len() {
        out.push("..");
    }
    for c in &tc[common..] {
        out.push(c);
    }
    out.to_string_lossy().into_owned()
}
