//! `asldbg serve`: the classroom server (see `asldbg::serve`).

use asldbg::serve::{self, Config, Lesson};
use asldbg::{errln, outln};
use clap::Args;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct ServeArgs {
    /// Samples (by name) or definition files to offer; default: every
    /// bundled sample. A file's `input.json`, `mocks.json` and `lesson.md`
    /// beside it come with it.
    #[arg(value_name = "SAMPLE|DEF")]
    lessons: Vec<String>,
    /// Where to listen. Only a loopback address is served without
    /// --authorized-keys or --password-file.
    #[arg(long, default_value = "127.0.0.1:2222", value_name = "ADDR:PORT")]
    listen: String,
    /// The server's key: made (Ed25519, mode 0600) on first start and kept.
    #[arg(long, value_name = "FILE", default_value = "asldbg_host_ed25519")]
    host_key: String,
    /// Public keys let in (OpenSSH authorized_keys format).
    #[arg(long, value_name = "FILE")]
    authorized_keys: Option<String>,
    /// `user:password` lines let in.
    #[arg(long, value_name = "FILE")]
    password_file: Option<String>,
    /// Debugger sessions at once; more are told the class is full.
    #[arg(long, default_value_t = 50, value_name = "N")]
    max_sessions: usize,
    /// The teacher: a public key file, the key, or its SHA256 fingerprint
    /// (`ssh-keygen -lf`). Students press F to follow the teacher's session.
    #[arg(long, value_name = "KEY")]
    teacher: Option<String>,
    /// Keep each session's key presses and final run (its session file and
    /// history) in DIR, one JSON file a session (opt-in).
    #[arg(long, value_name = "DIR")]
    record: Option<String>,
    /// A connection with no traffic this long is closed (30s, 20m, 1h).
    #[arg(long, default_value = "30m", value_name = "DUR")]
    idle_timeout: String,
}

fn duration(text: &str) -> Result<Duration, String> {
    let (n, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = n
        .parse()
        .map_err(|_| format!("--idle-timeout {text}: expected a number and s, m or h (20m)"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("--idle-timeout {text}: the unit is s, m or h")),
    };
    Ok(Duration::from_secs(secs.max(1)))
}

fn config(args: &ServeArgs) -> Result<Config, String> {
    let mut lessons = Vec::new();
    if args.lessons.is_empty() {
        for s in asldbg::samples::SAMPLES {
            lessons.push(Lesson::sample(s)?);
        }
    }
    for l in &args.lessons {
        lessons.push(match asldbg::samples::find(l) {
            Some(s) => Lesson::sample(s)?,
            None => Lesson::file(l)?,
        });
    }
    Ok(Config {
        listen: args.listen.clone(),
        host_key: args.host_key.clone().into(),
        authorized_keys: match &args.authorized_keys {
            Some(f) => serve::read_authorized_keys(f)?,
            None => Vec::new(),
        },
        passwords: match &args.password_file {
            Some(f) => serve::read_passwords(f)?,
            None => Vec::new(),
        },
        lessons,
        max_sessions: args.max_sessions.max(1),
        idle_timeout: duration(&args.idle_timeout)?,
        record: match &args.record {
            Some(d) => {
                std::fs::create_dir_all(d).map_err(|e| format!("--record {d}: {e}"))?;
                Some(d.into())
            }
            None => None,
        },
        teacher: match &args.teacher {
            Some(t) => Some(serve::Teacher::parse(t)?),
            None => None,
        },
    })
}

pub fn run(args: ServeArgs) -> ExitCode {
    let config = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            errln!("asldbg: {e}");
            return ExitCode::from(2);
        }
    };
    let key = match serve::host_key(&config.host_key) {
        Ok(k) => k,
        Err(e) => {
            errln!("asldbg: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("asldbg: {e}");
            return ExitCode::from(2);
        }
    };
    let lessons = config.lessons.len();
    let open = config.authorized_keys.is_empty() && config.passwords.is_empty();
    let served = rt.block_on(serve::serve(config, key, |addr| {
        outln!(
            "asldbg serve: listening on {addr} ({lessons} lessons{}); students: ssh -p {} class@HOST",
            if open { ", no login asked: loopback only" } else { "" },
            addr.port()
        );
    }));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("asldbg: {e}");
            ExitCode::from(2)
        }
    }
}
