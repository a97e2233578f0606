//! `asldbg serve`: the classroom server (see `asldbg::serve`).

use super::common::duration;
use asldbg::serve::guard::StartupLimits;
use asldbg::serve::{self, Config, Lesson, Limits};
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
    /// A student who presses no key this long is logged out, and a
    /// connection with no traffic this long is closed (30s, 20m, 1h).
    #[arg(long, default_value = "30m", value_name = "DUR")]
    idle_timeout: String,
    /// The user name to log in as with a key (`ssh class@HOST`).
    #[arg(long, default_value = "class", value_name = "NAME")]
    user: String,
    /// Also append the log (connections, logins, failures, sessions,
    /// refusals, budget hits) to FILE; it always goes to standard error.
    #[arg(long, value_name = "FILE")]
    log: Option<String>,
    /// Sessions one student (one key, or one password login) may hold at
    /// once; the teacher's are not limited.
    #[arg(long, default_value_t = 2, value_name = "N")]
    max_per_student: usize,
    /// Memory one evaluation of a session may hold (watches, breakpoint
    /// conditions, the lesson's expressions): 64M, 512K, 1G.
    #[arg(long, default_value = "64M", value_name = "SIZE")]
    session_memory: String,
    /// Time one expression of a session may run (500ms, 2s).
    #[arg(long, default_value = "500ms", value_name = "DUR")]
    eval_time: String,
    /// Time all the evaluations one key press causes may take together.
    #[arg(long, default_value = "1s", value_name = "DUR")]
    key_time: String,
    /// Text a session's editors may hold together, drafts included.
    #[arg(long, default_value = "1M", value_name = "SIZE")]
    editor_limit: String,
    /// Bytes of key presses --record writes for one session (the rest are
    /// counted in the record's events_dropped).
    #[arg(long, default_value = "4M", value_name = "SIZE")]
    record_limit: String,
    /// Bytes --record writes for all the sessions of this server's run;
    /// past it, sessions are no longer recorded (the log says so).
    #[arg(long, default_value = "1G", value_name = "SIZE")]
    record_total: String,
    /// Size the --log file grows to before it is moved to FILE.1 and a
    /// new one begins (the log then takes at most twice this).
    #[arg(long, default_value = "64M", value_name = "SIZE")]
    log_limit: String,
    /// The share of one core a student's session may use, averaged over
    /// time (2 s of CPU free at once); past it, that session waits.
    #[arg(long, default_value = "25%", value_name = "PERCENT")]
    cpu_share: String,
    /// The share of the whole machine (all its cores) the students'
    /// sessions may use together; when more of them want their share than
    /// it holds, it is split equally among those.
    #[arg(long, default_value = "75%", value_name = "PERCENT")]
    cpu_total: String,
    /// Time a connection has to log in (OpenSSH's LoginGraceTime).
    #[arg(long, default_value = "30s", value_name = "DUR")]
    login_grace: String,
    /// Connections not yet logged in, at most; a new one closes, of the
    /// address holding the most, the oldest of those that got least far
    /// (OpenSSH's MaxStartups).
    #[arg(long, default_value_t = 128, value_name = "N")]
    max_startups: usize,
    /// Connections not yet logged in from one address, at most; a new one
    /// closes that address's oldest of those that got least far.
    #[arg(long, default_value_t = 32, value_name = "N")]
    max_startups_per_address: usize,
}

/// `64M`, `512K`, `1G`, `1000` (bytes).
/// A share of one core: `25%` (or `0.25`), more than 0, at most 100%.
fn percent(flag: &str, text: &str) -> Result<f64, String> {
    let t = text.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    };
    match v {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!(
            "--{flag} {text}: expected a share above 0 and at most 100% (25%)"
        )),
    }
}

fn size(flag: &str, text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (n, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: usize = n
        .parse()
        .map_err(|_| format!("--{flag} {text}: expected a number and K, M or G (64M)"))?;
    let shift = match unit.trim_end_matches(['B', 'b', 'i']) {
        "" => 0,
        "K" | "k" => 10,
        "M" | "m" => 20,
        "G" | "g" => 30,
        _ => return Err(format!("--{flag} {text}: the unit is K, M or G")),
    };
    n.checked_shl(shift)
        .filter(|v| *v >> shift == n && *v > 0)
        .ok_or_else(|| format!("--{flag} {text}: out of range"))
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
        idle_timeout: duration("idle-timeout", &args.idle_timeout)?.max(Duration::from_secs(1)),
        user: args.user.clone(),
        log: args.log.as_ref().map(Into::into),
        log_limit: size("log-limit", &args.log_limit)? as u64,
        limits: Limits {
            per_student: args.max_per_student.max(1),
            budget: asldbg::budget::Budget {
                memory: size("session-memory", &args.session_memory)?,
                expr_time: duration("eval-time", &args.eval_time)?,
                per_turn: Some(duration("key-time", &args.key_time)?),
            },
            startups: StartupLimits {
                total: args.max_startups.max(1),
                per_address: args.max_startups_per_address.max(1),
                grace: duration("login-grace", &args.login_grace)?,
            },
            editor: size("editor-limit", &args.editor_limit)?,
            record: size("record-limit", &args.record_limit)?,
            record_total: size("record-total", &args.record_total)? as u64,
            cpu_share: percent("cpu-share", &args.cpu_share)?,
            cpu_total: percent("cpu-total", &args.cpu_total)?,
        },
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

/// A server holds a descriptor per connection: take the most files the
/// system lets this process open (the soft limit raised to the hard one).
#[cfg(unix)]
fn raise_open_files_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

pub fn run(args: ServeArgs) -> ExitCode {
    #[cfg(unix)]
    raise_open_files_limit();
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
    // Who logs in as whom: keys as the class's user, passwords as the
    // users of the password file.
    let login = if config.authorized_keys.is_empty() && !config.passwords.is_empty() {
        "USER@HOST (a user of the password file)".to_string()
    } else {
        format!("{}@HOST", config.user)
    };
    let served =
        rt.block_on(serve::serve(config, key, |addr| {
            outln!(
            "asldbg serve: listening on {addr} ({lessons} lessons{}); students: ssh -p {} {login}",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_as_written_and_nonsense_is_refused() {
        assert_eq!(size("x", "64M"), Ok(64 << 20));
        assert_eq!(size("x", "512K"), Ok(512 << 10));
        assert_eq!(size("x", "1GiB"), Ok(1 << 30));
        assert_eq!(size("x", "1000"), Ok(1000));
        assert!(size("x", "0").is_err());
        assert!(size("x", "64Q").is_err());
        assert!(size("x", "99999999999999999999G").is_err());
        assert_eq!(duration("x", "500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("x", "20m"), Ok(Duration::from_secs(1200)));
        assert!(duration("x", "5 parsecs").is_err());
        assert_eq!(percent("x", "25%"), Ok(0.25));
        assert_eq!(percent("x", "100%"), Ok(1.0));
        assert_eq!(percent("x", "0.5"), Ok(0.5));
        for bad in ["0%", "150%", "-5%", "lots"] {
            assert!(percent("x", bad).is_err(), "{bad}");
        }
    }
}
