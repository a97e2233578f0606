//! `asldbg serve` with the real OpenSSH client: students' sessions in
//! pseudo-terminals, and what the server must refuse.

mod common;
use common::pty::Tui;
use portable_pty::CommandBuilder;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A folder with two client keys (`in`, let in; `out`, not), the
/// authorized_keys file and a password file.
fn keys(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asldbg-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for k in ["in", "out"] {
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", k, "-f"])
            .arg(dir.join(k))
            .status()
            .expect("ssh-keygen (openssh-client; .ci/run installs it)");
        assert!(made.success());
    }
    std::fs::copy(dir.join("in.pub"), dir.join("authorized_keys")).unwrap();
    std::fs::write(dir.join("passwords"), "class:sesame\n").unwrap();
    dir
}

/// The server on a port of its own; its port.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asldbg"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--host-key"])
        .arg(dir.join("host_key"))
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("asldbg serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Server { child, port }
}

/// A class on two lessons (credit-card, wait), the `in` key let in.
fn class(dir: &Path, extra: &[&str]) -> Server {
    let ak = dir.join("authorized_keys");
    let mut args = vec![
        "credit-card",
        "wait",
        "--authorized-keys",
        ak.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    serve(dir, &args)
}

fn ssh_args(port: u16) -> Vec<String> {
    [
        "-p",
        &port.to_string(),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// `ssh -tt` as a student, in a terminal of `rows`×`cols`.
fn student(port: u16, key: &Path, rows: u16, cols: u16) -> Tui {
    student_with(port, key, rows, cols, &[])
}

/// [`student`], with more of ssh's options (`-o ServerAliveInterval=1`).
fn student_with(port: u16, key: &Path, rows: u16, cols: u16, options: &[&str]) -> Tui {
    let mut cmd = CommandBuilder::new("ssh");
    cmd.arg("-tt");
    cmd.args(ssh_args(port));
    cmd.args(options);
    cmd.args(["-o", "BatchMode=yes", "-i"]);
    cmd.arg(key);
    cmd.arg("class@127.0.0.1");
    Tui::spawn(cmd, rows, cols)
}

/// `ssh` with `key` and `args`, as a command to run outside a terminal.
fn ssh_command(port: u16, key: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("ssh");
    cmd.args(ssh_args(port))
        .args(["-o", "BatchMode=yes", "-i"])
        .arg(key)
        .args(args);
    cmd
}

/// `ssh` (not in a terminal) with `args`: its exit code and stderr.
fn ssh_batch(port: u16, key: &Path, args: &[&str]) -> (i32, String) {
    let out = ssh_command(port, key, args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_student_picks_a_lesson_steps_resizes_and_quits_and_two_are_independent() {
    let dir = keys("session");
    let records = dir.join("records");
    let server = class(&dir, &["--record", records.to_str().unwrap()]);
    let mut a = student(server.port, &dir.join("in"), 24, 80);
    a.wait_for("pick a lesson");
    a.wait_for("▶ credit-card");
    a.wait_for("wait ");
    a.keys("\r");
    a.wait_for("PAUSED  at Get credit limit");
    a.keys("s");
    a.wait_for("at Credit applied >= 5000?");
    // A second student at the same time has a run of their own.
    let mut b = student(server.port, &dir.join("in"), 24, 80);
    b.wait_for("pick a lesson");
    b.keys("\x1b[B\r");
    b.wait_for("clock +0s");
    b.wait_for("wait");
    a.wait_for("at Credit applied >= 5000?");
    // The window grows: the screen is laid out again for 120 columns.
    a.resize(40, 120);
    a.wait_for("←↑↓→ hjkl move");
    a.keys("q");
    let status = a.exit_status(Duration::from_secs(10));
    assert!(status.success(), "ssh exited with {status:?}");
    b.keys("q");
    assert!(b.exit_status(Duration::from_secs(10)).success());
    // --record kept both sessions: who, the lesson, every key, the final
    // run (a session file's content and its history).
    // (Beside them, the class summary: class.json and class.txt.)
    assert!(records.join("class.txt").is_file());
    let mut records: Vec<serde_json::Value> = std::fs::read_dir(&records)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("session-")
        })
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    records.sort_by_key(|r| r["lesson"].as_str().unwrap_or_default().to_string());
    let a = &records[0];
    assert_eq!(a["user"], "class");
    assert_eq!(a["lesson"], "credit-card");
    let keys: Vec<&str> = a["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["Enter", "s", "resize 120x40", "q"], "{a}");
    assert_eq!(a["session"]["position"]["event"], 6);
    assert_eq!(a["history"]["events"][5]["type"], "TaskStateExited");
    assert_eq!(records[1]["lesson"], "wait");
    // The host key was made once, private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("host_key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn only_the_interactive_session_is_served_and_only_to_those_let_in() {
    let dir = keys("refuse");
    let ak = dir.join("authorized_keys");
    let pw = dir.join("passwords");
    let server = serve(
        &dir,
        &[
            "--authorized-keys",
            ak.to_str().unwrap(),
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
    let port = server.port;
    let (inn, out) = (dir.join("in"), dir.join("out"));
    // A key not in authorized_keys.
    let (code, err) = ssh_batch(port, &out, &["class@127.0.0.1"]);
    assert_eq!(code, 255, "{err}");
    assert!(err.contains("Permission denied"), "{err}");
    // A command (exec), stdio forwarding (-W), sftp: refused.
    let (code, err) = ssh_batch(port, &inn, &["class@127.0.0.1", "ls", "/"]);
    assert_ne!(code, 0, "exec was served: {err}");
    assert!(err.contains("exec request failed"), "{err}");
    let (code, err) = ssh_batch(port, &inn, &["-W", "127.0.0.1:22", "class@127.0.0.1"]);
    assert_ne!(code, 0, "-W was served: {err}");
    let sftp = Command::new("sftp")
        .args(["-P", &port.to_string()])
        .args(ssh_args(port).iter().skip(2))
        .args(["-o", "BatchMode=yes", "-i"])
        .arg(&inn)
        .arg("class@127.0.0.1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!sftp.status.success(), "sftp was served");
    assert!(
        String::from_utf8_lossy(&sftp.stderr).contains("subsystem request failed"),
        "{}",
        String::from_utf8_lossy(&sftp.stderr)
    );
    // Passwords: a wrong one is refused, the right one lets in.
    let password = |typed: &str| {
        let mut cmd = CommandBuilder::new("ssh");
        cmd.arg("-tt");
        cmd.args(ssh_args(port));
        cmd.args([
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "NumberOfPasswordPrompts=1",
            "class@127.0.0.1",
        ]);
        let mut t = Tui::spawn(cmd, 24, 80);
        t.wait_for("password:");
        t.keys(&format!("{typed}\r"));
        t
    };
    let mut wrong = password("open-sesame");
    wrong.wait_for("Permission denied");
    assert!(!wrong.exit_status(Duration::from_secs(10)).success());
    let mut right = password("sesame");
    right.wait_for("pick a lesson");
    right.keys("q");
    assert!(right.exit_status(Duration::from_secs(10)).success());
}

#[test]
fn no_one_is_let_in_on_a_public_address_without_keys_or_passwords() {
    let dir = std::env::temp_dir().join(format!("asldbg-serve-{}-public", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_asldbg"))
        .args(["serve", "--listen", "0.0.0.0:0", "--host-key"])
        .arg(dir.join("host_key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to serve 0.0.0.0:") && err.contains("--authorized-keys"),
        "{err}"
    );
}

#[test]
fn students_follow_the_teacher_and_f_again_gives_them_their_own_copy() {
    let dir = keys("follow");
    // The teacher's key is the one not in authorized_keys: --teacher lets
    // it in.
    let teacher_key = dir.join("out.pub");
    let server = class(&dir, &["--teacher", teacher_key.to_str().unwrap()]);
    let mut teacher = student(server.port, &dir.join("out"), 24, 80);
    teacher.wait_for("pick a lesson");
    teacher.keys("\r");
    teacher.wait_for("teacher · 0 following");
    // A student on another lesson follows: they are taken to the
    // teacher's, at the teacher's moment.
    let mut s = student(server.port, &dir.join("in"), 30, 100);
    s.wait_for("pick a lesson");
    s.keys("\x1b[B\r");
    s.wait_for("wait");
    s.keys("F");
    s.wait_for("▶ FOLLOWING THE TEACHER");
    s.wait_for("at Get credit limit");
    teacher.wait_for("teacher · 1 following");
    teacher.keys("s");
    teacher.wait_for("at Credit applied >= 5000?");
    s.wait_for("at Credit applied >= 5000?");
    // Following, the student's keys only look.
    s.keys("s");
    s.wait_for("their keys move the run");
    // F again: their own copy from there, which the teacher's keys no
    // longer move.
    s.keys("F");
    s.wait_for("Your own copy");
    teacher.wait_for("teacher · 0 following");
    s.keys("s");
    s.wait_for("at Wait for human approval");
    teacher.keys("s");
    teacher.wait_for("at Wait for human approval");
    teacher.keys("s");
    teacher.wait_for("at Credit limit approved");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !s.screen().contains("at Credit limit approved"),
        "{}",
        s.screen()
    );
    s.keys("q");
    assert!(s.exit_status(Duration::from_secs(10)).success());
    teacher.keys("q");
    assert!(teacher.exit_status(Duration::from_secs(10)).success());
}

/// The server's resident memory, in KB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A student on credit-card, stepped once: its screen says where it is.
fn stepped_student(port: u16, key: &Path, rows: u16, cols: u16) -> Tui {
    let mut t = student(port, key, rows, cols);
    t.wait_for("pick a lesson");
    t.keys("\r");
    t.wait_for("at Get credit limit");
    t
}

/// The other students go on while one misbehaves: `who` steps and sees it.
fn still_served(t: &mut Tui, who: &str) {
    t.keys("s");
    t.wait_for("at Credit applied >= 5000?");
    t.keys("S");
    t.wait_for("at Get credit limit");
    assert!(t.child.try_wait().unwrap().is_none(), "{who}'s ssh ended");
}

#[test]
fn a_client_that_stalls_floods_or_vanishes_never_blocks_or_crashes_the_others() {
    let dir = keys("misbehave");
    let key = dir.join("in");
    let records = dir.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let log = dir.join("serve.log");
    let server = class(
        &dir,
        &[
            "--max-sessions",
            "3",
            "--max-per-student",
            "3",
            "--record",
            records.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ],
    );
    let pid = server.child.id();
    let port = server.port;
    let mut good = stepped_student(port, &key, 24, 80);
    let before = rss_kb(pid);

    // 1. A client that stops reading while its screen keeps changing (each
    // resize draws the whole 200-column screen, and so does each ? that
    // opens or closes the list of keys): the server keeps a bounded backlog,
    // the others are served meanwhile, and when it reads again it is shown
    // the present, whole.
    let mut slow = stepped_student(port, &key, 50, 200);
    slow.stop_reading();
    let flood = std::time::Instant::now();
    for i in 1..=1000u16 {
        slow.resize(50, 200 - i % 2);
        std::thread::sleep(Duration::from_millis(4));
    }
    // After the last resize, only keys: what the client missed comes back
    // only by the repaint the server asks of the session.
    for _ in 0..400 {
        slow.send(b"?");
        std::thread::sleep(Duration::from_millis(6));
    }
    let flooded = flood.elapsed();
    still_served(&mut good, "a reading student");
    let grown = rss_kb(pid).saturating_sub(before);
    eprintln!("a stalled client flooded for {flooded:?}: the server grew {grown} KB");
    // (Keeping every frame for it, the server grew by ~22 MB here.)
    assert!(grown < 8 << 10, "the server grew {grown} KB");
    slow.read_again();
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        slow.wait_for("at Get credit limit")
    }))
    .is_err()
    {
        // What the sessions that ended took (--record), to see why.
        for f in std::fs::read_dir(&records).unwrap().flatten() {
            let doc = std::fs::read_to_string(f.path()).unwrap();
            let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
            let events = v["events"].as_array().unwrap();
            let last = &events[events.len().saturating_sub(8)..];
            eprintln!(
                "record {}: {} events, the last {}",
                f.path().display(),
                events.len(),
                serde_json::Value::from(last.to_vec())
            );
        }
        let raw = slow.raw.lock().unwrap();
        let tail = String::from_utf8_lossy(&raw[raw.len().saturating_sub(400)..]).into_owned();
        panic!("the stalled student's session did not come back; it last got {tail:?}");
    }
    // Whole: the list of keys closed (400 ?s), the key bar on the last
    // line, the input pane's last line — not some frame of the backlog.
    let start = std::time::Instant::now();
    loop {
        let screen = slow.screen();
        let whole = !screen.contains("Keys (↑/↓")
            && screen.lines().last().unwrap_or("").contains("q quit")
            && screen.contains("\"zip\": \"43219\"");
        if whole {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the stalled student never got the present screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    slow.keys("s");
    slow.wait_for("at Credit applied >= 5000?");
    slow.keys("q");
    assert!(slow.exit_status(Duration::from_secs(20)).success());

    // 2. Garbage: 2 MB of every byte but q and Ctrl-C (escape sequences cut anywhere), then a
    // bracketed paste larger than any kept (its end marker never sent
    // first), then the end marker. ssh's escape character is off, or `~.`
    // in the garbage would end the client rather than test the server.
    let mut cmd = CommandBuilder::new("ssh");
    cmd.arg("-tt");
    cmd.args(ssh_args(port));
    cmd.args(["-e", "none", "-o", "BatchMode=yes", "-i"]);
    cmd.arg(&key);
    cmd.arg("class@127.0.0.1");
    let mut noisy = Tui::spawn(cmd, 24, 80);
    noisy.wait_for("pick a lesson");
    noisy.keys("\r");
    noisy.wait_for("at Get credit limit");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let garbage: Vec<u8> = (0..2 << 20)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        // Not the keys that rightly end a session (q, Ctrl-C).
        .filter(|b| !matches!(b, b'q' | b'Q' | 3))
        .collect();
    for chunk in garbage.chunks(64 << 10) {
        noisy.send(chunk);
    }
    noisy.send(b"\x1b[200~");
    let paste = vec![b'x'; 6 << 20];
    for chunk in paste.chunks(64 << 10) {
        noisy.send(chunk);
    }
    noisy.send(b"\x1b[201~");
    still_served(&mut good, "a student beside the noise");
    assert!(
        server_alive(&server),
        "the server ended while a client sent garbage"
    );

    // 3. Gone mid-frame: killed while a whole screen is on its way.
    noisy.resize(50, 200);
    noisy.child.kill().unwrap();
    let _ = noisy.child.wait();
    still_served(&mut good, "a student after one vanished");
    // What its system still sends of the flood is read (at the pace of a
    // connection's input) before the server sees it gone: then the session
    // ends, the third to.
    log_count(&log, "session end: ", 2);

    // Every misbehaving session was ended and counted out: with three
    // places, two new students still get in.
    let a = stepped_student(port, &key, 24, 80);
    let b = stepped_student(port, &key, 24, 80);
    let grown = rss_kb(pid).saturating_sub(before);
    eprintln!("after garbage and a vanished client: the server grew {grown} KB");
    assert!(grown < 40 << 10, "the server grew {grown} KB");
    for mut t in [a, b, good] {
        t.keys("q");
        assert!(t.exit_status(Duration::from_secs(10)).success());
    }
}

fn server_alive(server: &Server) -> bool {
    std::fs::metadata(format!("/proc/{}", server.child.id())).is_ok()
        && !std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
            .unwrap_or_default()
            .contains("(zombie)")
}

#[test]
fn port_forwarding_either_way_is_refused() {
    let dir = keys("forward");
    let server = class(&dir, &[]);
    // A service of our own the forwarding would reach.
    let target = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    target.set_nonblocking(true).unwrap();
    let target_port = target.local_addr().unwrap().port();
    // -L: ssh listens locally; what connects there is refused by the
    // server (direct-tcpip), and never reaches the target.
    let local = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let local_port = local.local_addr().unwrap().port();
    drop(local);
    let mut l = Command::new("ssh")
        .args(ssh_args(server.port))
        .args([
            "-N",
            "-o",
            "BatchMode=yes",
            "-o",
            "ExitOnForwardFailure=yes",
        ])
        .arg("-L")
        .arg(format!("{local_port}:127.0.0.1:{target_port}"))
        .arg("-i")
        .arg(dir.join("in"))
        .arg("class@127.0.0.1")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let mut conn = loop {
        match std::net::TcpStream::connect(("127.0.0.1", local_port)) {
            Ok(c) => break c,
            Err(_) if start.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(e) => panic!("ssh -L never listened: {e}"),
        }
    };
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 16];
    let read = std::io::Read::read(&mut conn, &mut buf);
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "the forwarded connection was served: {read:?}"
    );
    assert!(
        target.accept().is_err(),
        "the forwarding reached the target"
    );
    let _ = l.kill();
    let out = l.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("Permission denied"), "{err}");
    // -R: the server is asked to listen for the client; it refuses, and
    // ssh (told to give up then) ends with an error.
    let (code, err) = ssh_batch(
        server.port,
        &dir.join("in"),
        &[
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-R",
            &format!("0:127.0.0.1:{target_port}"),
            "class@127.0.0.1",
        ],
    );
    assert_eq!(code, 255, "{err}");
    assert!(err.contains("forwarding failed"), "{err}");
}

/// Another client key `name` in `dir`, let in (added to authorized_keys).
fn add_key(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(name);
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let mut ak = std::fs::read_to_string(dir.join("authorized_keys")).unwrap();
    ak.push_str(&std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap());
    std::fs::write(dir.join("authorized_keys"), ak).unwrap();
    key
}

/// Waits (30 s at most) until the server's log says `text` `n` times: the
/// whole log then.
fn log_count(log: &Path, text: &str, n: usize) -> String {
    let start = std::time::Instant::now();
    loop {
        let l = std::fs::read_to_string(log).unwrap_or_default();
        if l.matches(text).count() >= n {
            return l;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the log never said {text:?} {n} times:\n{l}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the log says `text`: the whole log then.
fn log_has(log: &Path, text: &str) -> String {
    log_count(log, text, 1)
}

/// One `s` then `S` (restart) by a student on credit-card: how long the
/// two took to show.
fn step_and_restart(t: &mut Tui) -> Duration {
    let start = std::time::Instant::now();
    t.send(b"s");
    t.wait_for("at Credit applied >= 5000?");
    t.send(b"S");
    t.wait_for("at Get credit limit");
    start.elapsed()
}

#[test]
fn one_students_bombs_stay_in_their_session_and_one_key_cannot_fill_the_class() {
    let dir = keys("hostile");
    let other = add_key(&dir, "other");
    add_key(&dir, "third");
    let stranger = dir.join("out");
    let teacher = add_key(&dir, "teacher");
    // The teacher's key is named by --teacher only (not a student's).
    let ak = std::fs::read_to_string(dir.join("authorized_keys")).unwrap();
    let teacher_pub = std::fs::read_to_string(dir.join("teacher.pub")).unwrap();
    std::fs::write(dir.join("authorized_keys"), ak.replace(&teacher_pub, "")).unwrap();
    let log = dir.join("serve.log");
    let server = class(
        &dir,
        &[
            "--max-sessions",
            "3",
            "--teacher",
            dir.join("teacher.pub").to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ],
    );
    let (pid, port) = (server.child.id(), server.port);
    let inn = dir.join("in");

    // B, another student, steps at normal speed throughout.
    let mut b = stepped_student(port, &other, 24, 80);
    let normal = step_and_restart(&mut b);
    let base = rss_kb(pid);

    // A's watch bomb: ten million numbers doubled, counted. It fails in
    // A's session (the session's 64 MiB), and so does every re-evaluation.
    let mut a = stepped_student(port, &inn, 50, 200);
    a.keys("w");
    a.keys("$count([1..9999999].($ * 2))");
    a.keys("\x0f");
    a.wait_for("= D2015: The maximu");
    // A string doubled forty times is stopped by the memory count.
    a.keys("w");
    a.keys("$length($reduce([1..40], function($a, $b){$a & $a}, 'x'))");
    a.keys("\x0f");
    a.wait_for("U1004: the expression used more than 64 MiB of memory");
    // Values 50,000 levels deep walked recursively inside JSONata's own
    // functions: the session's stack holds it (8 MiB overflowed, and the
    // abort ended every session).
    a.keys("w");
    a.keys(
        "($x := $reduce([1..50000], function($a, $b){{'a': $a}}, 0); $count($distinct([$x, $x])))",
    );
    a.keys("\x0f");
    std::thread::sleep(Duration::from_secs(2));
    assert!(server_alive(&server), "a deep value ended the server");
    log_has(&log, "stopped by the session's budget (64 MiB of memory");
    // A keeps stepping (each step evaluates the watch again) while B steps.
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        a.send(b"sS");
        worst = worst.max(step_and_restart(&mut b));
    }
    eprintln!("B's step and restart: {normal:?} alone, at worst {worst:?} beside A's bomb");
    assert!(
        worst < Duration::from_secs(2),
        "B waited {worst:?} for a step beside A's watch"
    );

    // A's second session (one key holds at most 2): pastes pile up to the
    // editor's cap and no further.
    let mut a2 = stepped_student(port, &inn, 24, 80);
    a2.keys("w");
    let chunk = vec![b'x'; 900 << 10];
    for _ in 0..3 {
        a2.send(b"\x1b[200~");
        a2.send(&chunk);
        a2.send(b"\x1b[201~");
    }
    a2.wait_for("Not pasted");
    let grown = rss_kb(pid).saturating_sub(base);
    eprintln!("the server grew {grown} KB with a watch bomb and a paste flood");
    // The budget (64 MiB) for each of the two misbehaving sessions, and
    // room for the sessions themselves.
    assert!(grown < (2 * 64 + 48) << 10, "the server grew {grown} KB");

    // A third session with A's key is refused, saying why.
    let mut a3 = student(port, &inn, 24, 80);
    a3.wait_for("you already have 2 sessions open");
    assert!(!a3.exit_status(Duration::from_secs(10)).success());
    log_has(&log, "already holds 2 (--max-per-student)");

    // The class is full (3 sessions): another student is told so, and
    // the teacher still gets in.
    let mut c = student(port, &dir.join("third"), 24, 80);
    c.wait_for("the class is full (3 sessions)");
    assert!(!c.exit_status(Duration::from_secs(10)).success());
    let mut t = student(port, &teacher, 24, 80);
    t.wait_for("pick a lesson");
    t.keys("\r");
    t.wait_for("teacher · 0 following");
    // B follows; when the teacher leaves, B is told and has their copy.
    b.keys("F");
    b.wait_for("▶ FOLLOWING THE TEACHER");
    t.keys("q");
    assert!(t.exit_status(Duration::from_secs(10)).success());
    b.wait_for("The teacher left the class");
    b.wait_for_gone("▶ FOLLOWING THE TEACHER");
    still_served(&mut b, "B after the teacher left");

    // A key login must give the class's user name.
    let (code, err) = ssh_batch(port, &inn, &["root@127.0.0.1"]);
    assert_eq!(code, 255, "{err}");
    // A key not let in: refused and logged with its fingerprint.
    let (code, _) = ssh_batch(port, &stranger, &["class@127.0.0.1"]);
    assert_eq!(code, 255);
    let l = log_has(&log, "authentication failed: unknown key SHA256:");
    assert!(
        l.contains("a known key with the wrong user name, key SHA256:")
            && l.contains("for user \"root\""),
        "{l}"
    );
    // A2's editor is open: Esc puts it aside first.
    a2.keys("\x1b");
    for mut s in [a, a2, b] {
        s.keys("q");
        assert!(s.exit_status(Duration::from_secs(10)).success());
    }
    let l = log_has(&log, "session end:");
    for said in [
        "login: a student as \"class\" from 127.0.0.1:",
        "login: the teacher as \"class\"",
        "opened the lesson credit-card",
        "session start:",
    ] {
        assert!(l.contains(said), "the log does not say {said:?}:\n{l}");
    }
    assert!(
        !l.contains(&dir.display().to_string()),
        "the log names host paths:\n{l}"
    );
}

#[test]
fn thousands_of_idle_connections_neither_end_the_server_nor_keep_a_student_out() {
    let dir = keys("idle");
    let log = dir.join("serve.log");
    // The server with few file descriptors and room for more waiting
    // connections than it has descriptors, so that accepting fails
    // (EMFILE) while the idle connections come.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_asldbg"))
        .args([
            "serve",
            "credit-card",
            "--listen",
            "127.0.0.1:0",
            "--host-key",
        ])
        .arg(dir.join("host_key"))
        .arg("--authorized-keys")
        .arg(dir.join("authorized_keys"))
        .arg("--log")
        .arg(&log)
        .args(["--max-startups", "200", "--max-startups-per-address", "200"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    let server = Server { child, port };
    // 5,000 connections from another loopback address that never speak.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let held = rt.block_on(async {
        let mut held = Vec::new();
        for _ in 0..5000 {
            let s = tokio::net::TcpSocket::new_v4().unwrap();
            s.bind("127.0.0.2:0".parse().unwrap()).unwrap();
            let to = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            if let Ok(Ok(c)) = tokio::time::timeout(Duration::from_secs(2), s.connect(to)).await {
                held.push(c);
            }
        }
        held
    });
    eprintln!("{} idle connections made", held.len());
    assert!(server_alive(&server), "the server ended");
    // A student still gets in and steps, while the idle ones are held.
    let mut s = stepped_student(port, &dir.join("in"), 24, 80);
    still_served(&mut s, "a student beside 5,000 idle connections");
    s.keys("q");
    assert!(s.exit_status(Duration::from_secs(10)).success());
    log_has(&log, "connection(s) not yet logged in to make room");
    assert!(server_alive(&server), "the server ended");
    drop(held);
}

/// How many files the process `pid` has open.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn connections_that_greet_and_stall_are_closed_when_pushed_out_or_past_the_grace() {
    let dir = keys("greet");
    let server = class(&dir, &["--max-startups", "40", "--login-grace", "3s"]);
    let (pid, port) = (server.child.id(), server.port);
    let before = open_files(pid);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // 300 connections that send the SSH greeting, then nothing: a server
    // that only asked them to disconnect kept every one open (in the key
    // exchange it reads before it looks at requests).
    let held = rt.block_on(async {
        use tokio::io::AsyncWriteExt;
        let mut held = Vec::new();
        for i in 0..300u32 {
            let s = tokio::net::TcpSocket::new_v4().unwrap();
            s.bind(std::net::SocketAddr::from((
                [127, 0, 1, (i % 5) as u8 + 1],
                0,
            )))
            .unwrap();
            let to = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            if let Ok(mut c) = s.connect(to).await {
                let _ = c.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
                held.push(c);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        held
    });
    let pushed = open_files(pid).saturating_sub(before);
    eprintln!(
        "{} greeted; the server holds {pushed} more files",
        held.len()
    );
    assert!(pushed <= 40 + 10, "the server holds {pushed} more files");
    // Past the grace time every one of them is closed.
    std::thread::sleep(Duration::from_secs(4));
    let left = open_files(pid).saturating_sub(before);
    assert!(left <= 2, "the server still holds {left} more files");
    // And a student gets in.
    let mut s = stepped_student(port, &dir.join("in"), 24, 80);
    s.keys("q");
    assert!(s.exit_status(Duration::from_secs(10)).success());
    drop(held);
}

#[test]
fn a_student_at_the_password_prompt_outlasts_a_flood_from_their_own_address() {
    // A classroom behind one address (NAT): one student has begun to log
    // in and is typing their password; another machine in the room opens
    // connections that say nothing, or greet and stall, far past the
    // address's 8 places. They push out each other, not the student.
    let dir = keys("nat-flood");
    let pw = dir.join("passwords");
    let server = class(
        &dir,
        &[
            "--password-file",
            pw.to_str().unwrap(),
            "--max-startups",
            "20",
            "--max-startups-per-address",
            "8",
        ],
    );
    let port = server.port;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        use tokio::io::AsyncWriteExt;
        let config = std::sync::Arc::new(russh::client::Config::default());
        let mut h = russh::client::connect(config, ("127.0.0.1", port), AnyHost)
            .await
            .unwrap();
        // The client asks what it may use, as OpenSSH's does first.
        let r = h.authenticate_none("class").await.unwrap();
        assert!(!r.success());
        let mut flood = Vec::new();
        for i in 0..60 {
            if let Ok(mut c) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                if i % 2 == 0 {
                    let _ = c.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
                }
                flood.push(c);
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The password, typed at last.
        let r = h.authenticate_password("class", "sesame").await;
        assert!(
            matches!(&r, Ok(r) if r.success()),
            "pushed out by the flood: {r:?}"
        );
        drop(flood);
    });
}

#[test]
fn the_teacher_sees_the_class_watches_a_student_and_pushes_a_moment() {
    let dir = keys("classview");
    let ann = add_key(&dir, "ann");
    let rec = dir.join("rec");
    let teacher_key = dir.join("out.pub");
    let server = class(
        &dir,
        &[
            "--teacher",
            teacher_key.to_str().unwrap(),
            "--record",
            rec.to_str().unwrap(),
        ],
    );
    let mut teacher = student(server.port, &dir.join("out"), 24, 80);
    teacher.wait_for("pick a lesson");
    teacher.keys("\r");
    teacher.wait_for("teacher · 0 following");
    // One student on the wait lesson answers an exercise…
    let mut s1 = student(server.port, &dir.join("in"), 24, 80);
    s1.wait_for("pick a lesson");
    s1.keys("\x1b[B\r");
    s1.wait_for("at Seconds");
    s1.keys("X");
    s1.wait_for("Exercise 1 of 4 · choose");
    s1.keys("2");
    s1.wait_for("✓ Right: 90 seconds");
    s1.keys("\x1b");
    // … another, on credit-card, raises a hand.
    let mut s2 = student(server.port, &ann, 30, 100);
    s2.wait_for("pick a lesson");
    s2.keys("\r");
    s2.wait_for("at Get credit limit");
    s2.keys("!");
    s2.wait_for("Hand raised");
    // The class, who needs help first.
    teacher.keys("K");
    teacher.wait_for("Class: 2 students");
    teacher.wait_for("✋ann");
    teacher.wait_for("1/4");
    let screen = teacher.screen();
    let ann_row = screen.find("✋ann").unwrap();
    let in_row = screen.find("  in ").unwrap();
    assert!(ann_row < in_row, "{screen}");
    // Watching ann: her screen, live.
    teacher.keys("\r");
    teacher.wait_for("Watching ann (read-only)");
    teacher.wait_for("at Get credit limit");
    s2.keys("s");
    teacher.wait_for("at Credit applied >= 5000?");
    teacher.keys("\x1b");
    teacher.wait_for("Class: 2 students");
    // The teacher's moment, pushed once: both students are taken there
    // (the one on another lesson to the teacher's lesson), not following.
    teacher.keys("q");
    teacher.wait_for_gone("Class: 2 students");
    teacher.keys("s");
    teacher.wait_for("at Credit applied >= 5000?");
    teacher.keys("s");
    teacher.wait_for("at Wait for human approval");
    teacher.keys("Kp");
    teacher.wait_for("went to 2 students");
    s1.wait_for("at Wait for human approval");
    s1.wait_for("The teacher moved everyone to this lesson");
    s2.wait_for("at Wait for human approval");
    assert!(!s2.screen().contains("FOLLOWING"), "{}", s2.screen());
    // Their own copy: their keys move it.
    s2.keys("s");
    s2.wait_for("at Credit limit approved");
    for t in [&mut s1, &mut s2, &mut teacher] {
        t.keys("\x1b");
        t.keys("q");
    }
    for t in [&mut s1, &mut s2] {
        assert!(t.exit_status(Duration::from_secs(10)).success());
    }
    // The class summary, as each session ended.
    let summary = std::fs::read_to_string(rec.join("class.txt")).unwrap();
    assert!(summary.contains("in "), "{summary}");
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("in ") && l.contains("wait") && l.contains("1/4")),
        "{summary}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(rec.join("class.json")).unwrap()).unwrap();
    assert!(json["class"].as_array().unwrap().len() >= 2, "{json}");
}

/// `a` adds the watch `watch` (one that costs CPU each time it is shown)
/// and presses 5 (the Vars tab, where it is shown) every `every` until its
/// session says it waits for its share of the CPU.
fn slowed_by(a: &mut Tui, watch: &str, every: Duration) {
    a.keys("w");
    a.keys(watch);
    a.keys("\r");
    // Evaluated where it is added: one that runs to the limit says so.
    a.wait_for(if watch == TO_THE_LIMIT {
        "Watch added, but it fails here: U1001"
    } else {
        "Watch added (Vars tab"
    });
    let start = std::time::Instant::now();
    while !a.screen().contains("used its share of the server's CPU") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never slowed:\n{}",
            a.screen()
        );
        a.send(b"5");
        std::thread::sleep(every);
    }
}

#[test]
fn a_watch_past_what_the_watches_keep_says_the_limit_where_an_80x24_screen_shows_it() {
    let dir = keys("watch-kept");
    let server = class(&dir, &[]);
    let mut a = stepped_student(server.port, &dir.join("in"), 24, 80);
    // 2 MB of JSON: a session's watches keep 1 MiB (a 64th of its memory).
    a.keys("w");
    a.keys("$pad('x', 2000000)");
    a.keys("\r");
    // The status line is cut at 80 columns: what is kept comes first.
    a.wait_for("Watch added, but it fails here: a watch keeps at most 1 MiB of JSON; this v…");
    a.wait_for("$pad('x', 2000000) = a watch keeps at most…");
    // The message log has it whole.
    a.keys("M");
    a.wait_for("value is 2000002 bytes: narrow the expression");
    assert!(server_alive(&server));
}

/// A watch that runs to the 500 ms time limit each time it is evaluated.
const TO_THE_LIMIT: &str = "$sum([1..3000].($x := $; $sum([1..3000].($ * $x % 7))))";

#[test]
fn a_student_past_their_share_of_the_cpu_waits_and_the_class_goes_on() {
    let dir = keys("cpu-share");
    let other = add_key(&dir, "other");
    let log = dir.join("serve.log");
    let server = class(&dir, &["--cpu-share", "5%", "--log", log.to_str().unwrap()]);
    let port = server.port;
    let inn = dir.join("in");
    let mut b = stepped_student(port, &other, 24, 80);
    // A's watch costs CPU at every key press (within the per-key budget);
    // past 2 s of CPU, A's session waits for its 5% and says so.
    let mut a = stepped_student(port, &inn, 24, 80);
    slowed_by(
        &mut a,
        "$sum([1..1000].($x := $; $sum([1..300].($ * $x % 7))))",
        Duration::from_millis(100),
    );
    log_has(&log, "over its share of the CPU, slowed down");
    // While A waits, keys pile up past its queue (1,024): A is told how
    // many were lost, and so is the log.
    a.send(&[b'5'; 3000]);
    a.wait_for("keys were lost: they came faster than this session takes them");
    log_has(&log, "input event(s) dropped (the queue was full)");
    // B is not: a step and a restart as ever.
    step_and_restart(&mut b);
    assert!(server_alive(&server));
}

/// CPU time (clock ticks) the server's threads other than its sessions'
/// have used: the transport's (decrypting, decoding keys).
fn transport_ticks(pid: u32) -> u64 {
    let mut ticks = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid … utime stime: fields 14 and 15.
        let (comm, rest) = stat.split_once(") ").unwrap();
        if comm.ends_with("(session") {
            continue;
        }
        let f: Vec<&str> = rest.split(' ').collect();
        ticks += f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    }
    ticks
}

#[test]
fn a_flood_of_keys_is_read_at_a_pace_and_costs_the_server_little() {
    let dir = keys("key-flood");
    let log = dir.join("serve.log");
    let other = add_key(&dir, "other");
    let server = class(&dir, &["--cpu-share", "5%", "--log", log.to_str().unwrap()]);
    let mut b = stepped_student(server.port, &other, 24, 80);
    // `yes x | ssh -tt`: as many keys as the client can encrypt (20 MB/s
    // took 57–72% of a core to decrypt and decode, outside any session).
    let inn = dir.join("in");
    let mut yes = Command::new("yes")
        .arg("x")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut flood = ssh_command(server.port, &inn, &["-tt", "class@127.0.0.1"])
        .stdin(yes.stdout.take().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    log_has(&log, "read at that pace");
    // Past its burst (2 MiB), 3 s of the flood.
    let ticks = transport_ticks(server.child.id());
    let start = std::time::Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    let used = (transport_ticks(server.child.id()) - ticks) as f64 / 100.0;
    let share = used / start.elapsed().as_secs_f64();
    eprintln!(
        "the transport used {:.1}% of a core under the flood",
        share * 100.0
    );
    assert!(
        share < 0.15,
        "the transport used {:.0}% of a core",
        share * 100.0
    );
    assert!(flood.try_wait().unwrap().is_none(), "the flood's ssh ended");
    // Another student steps as ever.
    step_and_restart(&mut b);
    let _ = flood.kill();
    let _ = yes.kill();
    let _ = flood.wait();
    let _ = yes.wait();
    assert!(server_alive(&server));
}

#[test]
fn a_slowed_session_says_when_it_is_back_to_full_speed() {
    let dir = keys("full-speed");
    let server = class(&dir, &["--cpu-share", "25%"]);
    let mut a = stepped_student(server.port, &dir.join("in"), 24, 80);
    // A watch that runs to the time limit each time it is shown: a press
    // of 5 (the Vars tab) costs half a second of CPU.
    slowed_by(&mut a, TO_THE_LIMIT, Duration::from_millis(300));
    // No key pressed after: the wait ends, and the notice with it (the
    // frame shown after a wait evaluates the watch again: waited for too).
    a.wait_for("Back to full speed.");
    a.keys("5");
    a.wait_for_gone("Back to full speed.");
}

#[test]
fn a_student_who_leaves_while_their_session_waits_gets_their_seat_back_at_once() {
    let dir = keys("leave-waiting");
    let log = dir.join("serve.log");
    let server = class(
        &dir,
        &[
            "--cpu-share",
            "0.1%",
            "--max-per-student",
            "1",
            "--log",
            log.to_str().unwrap(),
        ],
    );
    let port = server.port;
    let inn = dir.join("in");
    let mut a = stepped_student(port, &inn, 24, 80);
    // A watch that runs to the time limit at every key press: past the
    // burst, the session waits tens of seconds at 0.1% (the overshoot, a
    // fraction of a press's 500 ms, ÷ 0.001).
    slowed_by(&mut a, TO_THE_LIMIT, Duration::from_millis(300));
    // A leaves mid-wait: the session ends and the seat is free at once.
    a.child.kill().unwrap();
    let left = std::time::Instant::now();
    log_has(&log, "session end");
    assert!(
        left.elapsed() < Duration::from_secs(3),
        "{:?}",
        left.elapsed()
    );
    let mut again = stepped_student(port, &inn, 24, 80);
    again.keys("q");
    assert!(!std::fs::read_to_string(&log)
        .unwrap()
        .contains("(--max-per-student)"));
    assert!(server_alive(&server));
}

#[test]
fn sigterm_ends_every_session_with_its_record_closed() {
    let dir = keys("sigterm");
    let records = dir.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let log = dir.join("serve.log");
    let mut server = class(
        &dir,
        &[
            "--record",
            records.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ],
    );
    let mut a = stepped_student(server.port, &dir.join("in"), 24, 80);
    a.keys("s");
    a.wait_for("at Credit applied >= 5000?");
    // A second student still picking a lesson.
    let mut b = student(server.port, &dir.join("in"), 24, 80);
    b.wait_for("pick a lesson");
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the server did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    log_has(&log, "SIGTERM: ending 2 session(s)");
    log_has(&log, "stopped");
    // Both records are whole JSON: the stepping one with its lesson and run.
    let docs: Vec<serde_json::Value> = std::fs::read_dir(&records)
        .unwrap()
        .flatten()
        .filter(|f| f.file_name().to_string_lossy().starts_with("session-"))
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f.path()).unwrap()).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    assert!(
        docs.iter().any(|d| d["lesson"] == "credit-card"),
        "{docs:?}"
    );
    // The students' ssh clients ended (their sessions were closed, not
    // left hanging).
    a.exit_status(Duration::from_secs(10));
    b.exit_status(Duration::from_secs(10));
}

#[test]
fn records_and_the_log_stay_within_their_totals_over_many_sessions() {
    let dir = keys("totals");
    let records = dir.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let log = dir.join("serve.log");
    let server = class(
        &dir,
        &[
            "--record",
            records.to_str().unwrap(),
            "--record-total",
            "8K",
            "--log",
            log.to_str().unwrap(),
            "--log-limit",
            "1K",
        ],
    );
    // One student presses keys past what the run's records may hold.
    let mut a = stepped_student(server.port, &dir.join("in"), 24, 80);
    for _ in 0..60 {
        a.send(b"jkjkjkjkjk");
    }
    a.keys("q");
    assert!(a.exit_status(Duration::from_secs(10)).success());
    // The next session is not recorded, and the log says why.
    let mut b = stepped_student(server.port, &dir.join("in"), 24, 80);
    b.keys("q");
    assert!(b.exit_status(Duration::from_secs(10)).success());
    // In the log, or in what it turned over to.
    let said = "--record-total reached (8 KiB): sessions are no longer recorded";
    let both = || {
        let old = std::fs::read_to_string(dir.join("serve.log.1")).unwrap_or_default();
        old + &std::fs::read_to_string(&log).unwrap_or_default()
    };
    let start = std::time::Instant::now();
    while !both().contains(said) {
        assert!(start.elapsed() < Duration::from_secs(15), "{}", both());
        std::thread::sleep(Duration::from_millis(50));
    }
    let files: Vec<_> = std::fs::read_dir(&records)
        .unwrap()
        .flatten()
        .filter(|f| f.file_name().to_string_lossy().starts_with("session-"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(text.len() <= 8 << 10, "{} bytes", text.len());
    // Whole JSON, saying how many events it could not keep.
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(doc["events_dropped"].as_u64().unwrap() > 0, "{doc}");
    // The log turned over to serve.log.1: neither file past its limit.
    let old = std::fs::read_to_string(dir.join("serve.log.1")).unwrap();
    let now = std::fs::read_to_string(&log).unwrap();
    assert!(old.len() <= 1 << 10 && now.len() <= 1 << 10, "{old}\n{now}");
    assert!(now
        .lines()
        .chain(old.lines())
        .all(|l| l.contains(" asldbg serve: ")));
}

/// A client that answers every host key (the test's own server).
struct AnyHost;

impl russh::client::Handler for AnyHost {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        _: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

#[test]
fn a_password_on_a_server_that_takes_none_is_refused_at_once() {
    let dir = keys("nopassword");
    let server = class(&dir, &[]);
    let port = server.port;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let config = std::sync::Arc::new(russh::client::Config::default());
        let mut h = russh::client::connect(config, ("127.0.0.1", port), AnyHost)
            .await
            .unwrap();
        for user in ["class", "root"] {
            let start = std::time::Instant::now();
            let r = tokio::time::timeout(
                Duration::from_secs(5),
                h.authenticate_password(user, "guess"),
            )
            .await
            .unwrap_or_else(|_| panic!("no answer to a password for {user} in 5 s"))
            .unwrap();
            assert!(!r.success(), "a password let {user} in");
            assert!(
                start.elapsed() < Duration::from_secs(3),
                "{:?}",
                start.elapsed()
            );
        }
    });
}

#[test]
fn password_guesses_side_by_side_are_checked_one_turn_after_another() {
    let dir = keys("queue");
    let pw = dir.join("passwords");
    let server = class(&dir, &["--password-file", pw.to_str().unwrap()]);
    let port = server.port;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let answered: Vec<Duration> = rt.block_on(async move {
        let start = tokio::time::Instant::now();
        let guesses = (0..7).map(|i| {
            tokio::spawn(async move {
                let config = std::sync::Arc::new(russh::client::Config::default());
                let mut h = russh::client::connect(config, ("127.0.0.1", port), AnyHost)
                    .await
                    .unwrap();
                let r = h
                    .authenticate_password("class", format!("guess{i}"))
                    .await
                    .unwrap();
                assert!(!r.success());
                start.elapsed()
            })
        });
        let mut times = Vec::new();
        for g in guesses {
            times.push(g.await.unwrap());
        }
        times.sort();
        times
    });
    // Opened at once, the seven are checked at their turns: 0, 0, 0.25,
    // 0.75, 1.75, 3.75 and 7.75 s (plus the half second every refusal
    // takes), not side by side.
    let at = |i: usize| answered[i].as_secs_f64();
    assert!(at(1) < 3.0, "{answered:?}");
    assert!(
        at(4) >= 1.75 && at(5) >= 3.75 && at(6) >= 7.75,
        "{answered:?}"
    );
}

#[test]
fn a_mistyped_password_is_typed_again_on_the_same_connection() {
    let dir = keys("retype");
    let pw = dir.join("passwords");
    let server = class(&dir, &["--password-file", pw.to_str().unwrap()]);
    let port = server.port;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let config = std::sync::Arc::new(russh::client::Config::default());
        let mut h = russh::client::connect(config, ("127.0.0.1", port), AnyHost)
            .await
            .unwrap();
        // Refused, with every method still on offer (OpenSSH's client
        // asks again, and ends with "Permission denied (publickey,password)",
        // not "()").
        match h.authenticate_password("class", "sesame?").await.unwrap() {
            russh::client::AuthResult::Failure {
                remaining_methods, ..
            } => {
                let offered: Vec<_> = remaining_methods.iter().collect();
                assert!(
                    offered.contains(&&russh::MethodKind::Password)
                        && offered.contains(&&russh::MethodKind::PublicKey),
                    "{offered:?}"
                );
            }
            r => panic!("a wrong password let in: {r:?}"),
        }
        let r = h.authenticate_password("class", "sesame").await.unwrap();
        assert!(r.success(), "the right password, typed again: {r:?}");
    });
}

#[test]
fn unknown_keys_offered_first_do_not_slow_a_student_behind_one_address() {
    let dir = keys("nat");
    let server = class(&dir, &[]);
    let port = server.port;
    let (inn, out) = (dir.join("in"), dir.join("out"));
    // A room behind one address: twenty clients offering keys the class
    // does not know.
    let strangers: Vec<_> = (0..20)
        .map(|_| {
            let out = out.clone();
            std::thread::spawn(move || ssh_batch(port, &out, &["class@127.0.0.1"]))
        })
        .collect();
    for s in strangers {
        let (code, err) = s.join().unwrap();
        assert_eq!(code, 255, "{err}");
    }
    // Then a student whose agent offers an unknown key before the one the
    // class knows: let in at once (the exec it asks is refused after).
    let start = std::time::Instant::now();
    let (_, err) = ssh_batch(
        port,
        &out,
        &["-i", inn.to_str().unwrap(), "class@127.0.0.1", "true"],
    );
    assert!(err.contains("exec request failed"), "not let in: {err}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_server_killed_mid_session_leaves_its_records_whole_json() {
    let dir = keys("killed");
    let records = dir.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let server = class(&dir, &["--record", records.to_str().unwrap()]);
    let mut a = stepped_student(server.port, &dir.join("in"), 24, 80);
    still_served(&mut a, "A");
    // SIGKILL: nothing of the server's runs after it.
    drop(server);
    let file = std::fs::read_dir(&records)
        .unwrap()
        .flatten()
        .find(|f| f.file_name().to_string_lossy().starts_with("session-"))
        .expect("a record");
    let text = std::fs::read_to_string(file.path()).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(doc["unfinished"], true, "{doc}");
    let events = doc["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["event"] == "s"),
        "the step is kept: {doc}"
    );
}

#[test]
fn a_student_who_presses_nothing_is_logged_out_whatever_keepalives_the_client_sends() {
    let dir = keys("idle");
    let log = dir.join("serve.log");
    let server = class(
        &dir,
        &["--idle-timeout", "3s", "--log", log.to_str().unwrap()],
    );
    let port = server.port;
    let inn = dir.join("in");
    // Keepalives every second: traffic that is no key press.
    let keepalives = ["-o", "ServerAliveInterval=1"];
    let connected = |t: &mut Tui| t.child.try_wait().unwrap().is_none();
    // At the lesson picker.
    let mut a = student_with(port, &inn, 24, 80, &keepalives);
    a.wait_for("pick a lesson");
    // Nor are resizes (a script sends them as easily).
    let start = std::time::Instant::now();
    for i in 0..5u16 {
        std::thread::sleep(Duration::from_millis(700));
        if !connected(&mut a) {
            break;
        }
        a.resize(24, 80 - i % 2);
    }
    log_has(&log, "ended at the lesson picker: no key pressed for 3 s");
    let ended = start.elapsed();
    assert!(ended < Duration::from_secs(5), "ended after {ended:?}");
    // In a lesson: each key press starts the time again.
    let mut b = student_with(port, &inn, 24, 80, &keepalives);
    b.wait_for("pick a lesson");
    b.keys("\r");
    b.wait_for("at Get credit limit");
    for _ in 0..3 {
        std::thread::sleep(Duration::from_secs(2));
        b.keys("s");
        b.keys("S");
    }
    assert!(connected(&mut b));
    assert!(!std::fs::read_to_string(&log)
        .unwrap()
        .contains("): ended: no key pressed"));
    log_has(&log, "): ended: no key pressed for 3 s (--idle-timeout)");
    assert!(server_alive(&server));
}

#[test]
fn a_login_that_opens_no_session_is_closed_after_the_grace_time() {
    let dir = keys("no-session");
    let log = dir.join("serve.log");
    let server = class(
        &dir,
        &["--login-grace", "2s", "--log", log.to_str().unwrap()],
    );
    // `ssh -N` logs in and opens nothing; its keepalives would hold the
    // connection (and one of the student's logged-in places) for ever.
    let in_ = dir.join("in");
    let mut n = ssh_command(
        server.port,
        &in_,
        &["-N", "-o", "ServerAliveInterval=1", "class@127.0.0.1"],
    )
    .stdin(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    log_has(&log, "login: a student");
    let start = std::time::Instant::now();
    loop {
        if n.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "ssh -N still connected after 10 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    log_has(
        &log,
        "logged in but opened no session within the grace time",
    );
    // A student who opens a session is not cut off by it.
    let mut a = stepped_student(server.port, &dir.join("in"), 24, 80);
    std::thread::sleep(Duration::from_secs(3));
    still_served(&mut a, "a");
    assert!(server_alive(&server));
}
