//! `asldbg serve`: the classroom. An SSH server (russh) whose every
//! connection that asks for a terminal gets its own debugger on the lessons
//! the teacher served — the same front end as the local one, drawn into
//! the SSH channel, its input decoded from the channel's bytes. Only that
//! interactive session is served: exec, subsystems (sftp), forwarding of
//! ports, agents and X11 are refused, and nothing a student types opens a
//! file or runs a command on the host.

use crate::asl::value::Val;
use crate::asl::Definition;
use crate::debugger::Session as DebugSession;
use crate::engine::task::{Interactive, MockRunner, NoRunner, TaskRunner};
use crate::engine::Options;
use crate::tui::app::App;
use crate::tui::keys::Decoder;
use crate::tui::screen::{RemoteBackend, Screen};
use crossterm::event::Event;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use russh::keys::ssh_key::{self, PublicKey};
use russh::keys::PrivateKey;
use russh::server::{Auth, ChannelOpenHandle, Handle, Msg, Session};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub mod bench;
mod cpu;
pub mod guard;
mod inbox;
mod outbox;
mod room;
use guard::{Failures, Log, Seat, Seats, Stage, StartupLimits, Startups, Turn};
use inbox::Inbox;
use outbox::{ChannelWriter, Next, Outbox};

/// One thing the picker offers: a bundled sample or a definition file the
/// teacher named (read once, at start).
#[derive(Clone)]
pub struct Lesson {
    pub name: String,
    pub description: String,
    definition: Arc<Definition>,
    input: Val,
    /// The mock file's test case answering its tasks (read and checked
    /// once, when the lesson is loaded).
    mocks: Option<MockRunner>,
    text: Option<String>,
    /// Its exercises (read and checked once, when the lesson is loaded).
    exercises: Option<Arc<crate::testing::exercises::Lesson>>,
}

/// The problems of exercises that do not load, as one message.
fn exercise_problems(errs: Vec<crate::asl::LoadError>) -> String {
    errs.iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Lesson {
    /// Bundled sample `s`.
    pub fn sample(s: &crate::samples::Sample) -> Result<Lesson, String> {
        let value: serde_json::Value =
            serde_json::from_str(s.definition).map_err(|e| format!("{}: {e}", s.name))?;
        let definition = Definition::from_value(&value)
            .map_err(|e| format!("sample {}: {} problems", s.name, e.len()))?;
        let mocks = match s.mocks {
            Some(m) => {
                let doc: serde_json::Value =
                    serde_json::from_str(m).map_err(|e| format!("{}: {e}", s.name))?;
                let case = s
                    .test_case
                    .map(str::to_string)
                    .or_else(|| first_test_case(&doc))
                    .unwrap_or_default();
                Some(
                    MockRunner::from_value(&doc, "mocks.json", None, &case)
                        .map_err(|e| format!("sample {}: mocks.json: {e}", s.name))?,
                )
            }
            None => None,
        };
        Ok(Lesson {
            name: s.name.to_string(),
            description: s.description.to_string(),
            definition: Arc::new(definition),
            input: Val::parse(s.input).unwrap_or_else(|_| Val::empty_obj()),
            mocks,
            text: Some(s.lesson.to_string()),
            exercises: match crate::testing::exercises::Lesson::of_sample(s) {
                Some(Ok(l)) => Some(Arc::new(l)),
                Some(Err(e)) => return Err(exercise_problems(e)),
                None => None,
            },
        })
    }

    /// Definition file `file`, with `input.json`, `mocks.json` and
    /// `lesson.md` beside it when they are there (a sample's layout).
    pub fn file(file: &str) -> Result<Lesson, String> {
        let opened = match crate::asl::load_definition(file) {
            crate::asl::Loaded::Ok(o) => o,
            crate::asl::Loaded::Unreadable(e) => return Err(e.to_string()),
            crate::asl::Loaded::Invalid(errs) => {
                return Err(errs
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n"))
            }
        };
        let dir = Path::new(file).parent().unwrap_or(Path::new("."));
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        let input = match read("input.json") {
            Some(t) => {
                Val::parse(&t).map_err(|e| format!("{}: {e}", dir.join("input.json").display()))?
            }
            None => Val::empty_obj(),
        };
        let mocks = match read("mocks.json") {
            Some(t) => {
                let file = dir.join("mocks.json").display().to_string();
                let doc: serde_json::Value =
                    serde_json::from_str(&t).map_err(|e| format!("{file}: {e}"))?;
                let case = first_test_case(&doc).unwrap_or_default();
                // A mock file that does not read stops the server at start
                // (it used to leave the lesson's tasks unanswered, unsaid).
                Some(MockRunner::from_value(&doc, &file, None, &case).map_err(|e| e.to_string())?)
            }
            None => None,
        };
        // Exercises beside it that are about this definition.
        let exercises = if dir.join(crate::testing::exercises::FILE).is_file() {
            let l = crate::testing::exercises::Lesson::load_dir(dir).map_err(exercise_problems)?;
            let this = crate::asl::read_document(file).map_err(|e| e.to_string())?;
            crate::asl::json::value_eq(&this.value, &l.base.definition).then(|| Arc::new(l))
        } else {
            None
        };
        Ok(Lesson {
            exercises,
            name: lesson_name(Path::new(file)),
            description: opened
                .definition
                .comment
                .clone()
                .unwrap_or_else(|| "a definition".into()),
            definition: Arc::new(opened.definition),
            input,
            mocks,
            text: read("lesson.md"),
        })
    }

    /// A debugger on this lesson: tasks answered by its mocks, or by the
    /// student (no command, no file is ever opened for it).
    fn app(&self, progress: crate::testing::exercises::Progress, look: Look) -> App {
        let mocks = self.mocks.clone();
        let session = DebugSession::new(
            self.definition.clone(),
            self.input.clone(),
            Box::new(move || {
                let inner: Box<dyn TaskRunner> = match &mocks {
                    Some(m) => Box::new(m.clone()),
                    None => Box::new(NoRunner),
                };
                Box::new(Interactive { inner }) as Box<dyn TaskRunner>
            }),
            Options::default(),
        );
        // The built-in theme always loads, in the colours the student's
        // terminal says it has.
        let theme =
            crate::tui::theme::Theme::load("dark", look.colors).expect("the built-in theme");
        let mut app = App::new(session, self.name.clone(), theme);
        app.glyphs = look.glyphs;
        app.lesson = self.text.clone();
        if app.lesson.is_some() {
            app.message =
                "Ready: L shows the lesson, s steps, c continues, ? shows every key.".into();
        }
        if let Some(ex) = &self.exercises {
            app.course = Some(Box::new(crate::tui::exercise::Course::new(
                ex.clone(),
                progress,
            )));
            app.message = "Ready: L shows the lesson, X an exercise, s steps, ? every key.".into();
        }
        app
    }
}

/// What students see of a lesson served by path: its folder's name when
/// the folder is the lesson's (a `lesson.md` beside it), else the file's
/// stem; never the host's path.
fn lesson_name(file: &Path) -> String {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
    let folder = dir
        .filter(|d| d.join("lesson.md").is_file())
        .and_then(|d| std::fs::canonicalize(d).ok())
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    folder.unwrap_or_else(|| {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut stem = name.as_str();
        for ext in [".json", ".yaml", ".yml"] {
            stem = stem.strip_suffix(ext).unwrap_or(stem);
        }
        stem.strip_suffix(".asl").unwrap_or(stem).to_string()
    })
}

fn first_test_case(mocks: &serde_json::Value) -> Option<String> {
    let m = mocks.get("StateMachines")?.as_object()?.values().next()?;
    m.get("TestCases")?.as_object()?.keys().next().cloned()
}

/// Who the teacher is: their public key, or its SHA256 fingerprint.
#[derive(Clone, Debug)]
pub enum Teacher {
    Key(PublicKey),
    Fingerprint(String),
}

impl Teacher {
    /// From `--teacher`: a public key file, the key itself, or
    /// `SHA256:…` as `ssh-keygen -lf` prints it.
    pub fn parse(text: &str) -> Result<Teacher, String> {
        if text.starts_with("SHA256:") {
            return Ok(Teacher::Fingerprint(text.to_string()));
        }
        let line = match std::fs::read_to_string(text) {
            Ok(t) => t,
            Err(_) if text.contains(' ') => text.to_string(),
            Err(e) => return Err(format!("--teacher {text}: {e}")),
        };
        PublicKey::from_openssh(line.trim())
            .map(Teacher::Key)
            .map_err(|e| format!("--teacher {text}: not a public key or SHA256 fingerprint: {e}"))
    }

    fn is(&self, key: &PublicKey) -> bool {
        match self {
            Teacher::Key(k) => k.key_data() == key.key_data(),
            Teacher::Fingerprint(f) => key.fingerprint(ssh_key::HashAlg::Sha256).to_string() == *f,
        }
    }
}

/// How the server runs.
pub struct Config {
    pub listen: String,
    pub host_key: PathBuf,
    /// Public keys let in (OpenSSH `authorized_keys` format).
    pub authorized_keys: Vec<PublicKey>,
    /// `user:password` pairs let in.
    pub passwords: Vec<(String, String)>,
    pub lessons: Vec<Lesson>,
    pub max_sessions: usize,
    pub idle_timeout: Duration,
    /// The teacher, whose session students can follow (`F`).
    pub teacher: Option<Teacher>,
    /// Keep each session's events and final run here (`--record`).
    pub record: Option<PathBuf>,
    /// The user name logins with a key must give (`class`).
    pub user: String,
    /// Where the log goes besides standard error (`--log`).
    pub log: Option<PathBuf>,
    /// Bytes the `--log` file grows to before it turns over to `FILE.1`.
    pub log_limit: u64,
    pub limits: Limits,
}

/// What one student, one session and the room may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Sessions one student (one key, or one password login) holds at once.
    pub per_student: usize,
    /// Each session's evaluations (watches, conditions, the lesson's own
    /// expressions, edits).
    pub budget: crate::budget::Budget,
    /// Connections that have not logged in.
    pub startups: StartupLimits,
    /// Text one session's editors hold together, drafts included.
    pub editor: usize,
    /// Bytes of events `--record` writes for one session.
    pub record: usize,
    /// Bytes `--record` writes for all the sessions of this server's run.
    pub record_total: u64,
    /// The share of one core a student's session may use, averaged (the
    /// teacher's is not bounded).
    pub cpu_share: f64,
    /// The share of the whole machine (all its cores) the students'
    /// sessions may use together; split equally among those past their own
    /// share when they ask for more.
    pub cpu_total: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_student: 2,
            budget: crate::budget::Budget::SESSION,
            startups: StartupLimits::default(),
            editor: 1 << 20,
            record: 4 << 20,
            record_total: 1 << 30,
            cpu_share: 0.25,
            cpu_total: 0.75,
        }
    }
}

impl Config {
    /// Nobody is checked: only on a loopback address.
    fn open(&self) -> bool {
        self.authorized_keys.is_empty() && self.passwords.is_empty()
    }
}

/// Read `authorized_keys`: one key a line, `#` comments and blank lines
/// skipped; a line that is not a key is an error naming it.
pub fn read_authorized_keys(file: &str) -> Result<Vec<PublicKey>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            PublicKey::from_openssh(l.trim())
                .map_err(|e| format!("{file}:{}: not a public key: {e}", i + 1))
        })
        .collect()
}

/// Read a password file: `user:password` a line.
pub fn read_passwords(file: &str) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| match l.split_once(':') {
            Some((u, p)) if !u.is_empty() && !p.is_empty() => Ok((u.to_string(), p.to_string())),
            _ => Err(format!("{file}:{}: expected user:password", i + 1)),
        })
        .collect()
}

/// The host key in `file`, made (Ed25519, mode 0600) on first start.
pub fn host_key(file: &Path) -> Result<PrivateKey, String> {
    let shown = file.display();
    if file.exists() {
        return russh::keys::load_secret_key(file, None).map_err(|e| format!("{shown}: {e}"));
    }
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut seed))
        .map_err(|e| format!("no randomness for a host key: {e}"))?;
    let pair = ssh_key::private::Ed25519Keypair::from_seed(&seed);
    let key = PrivateKey::from(pair);
    let text = key
        .to_openssh(ssh_key::LineEnding::LF)
        .map_err(|e| format!("{shown}: {e}"))?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(file).map_err(|e| format!("{shown}: {e}"))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("{shown}: {e}"))?;
    Ok(key)
}

/// Whether `addr` only listens on this machine.
fn loopback(addr: &std::net::SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Run the server until it is stopped. `ready` is told the address it
/// listens on (port 0 picks one).
pub async fn serve(
    config: Config,
    key: PrivateKey,
    ready: impl FnOnce(std::net::SocketAddr),
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("{}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if config.open() && !loopback(&addr) {
        return Err(format!(
            "refusing to serve {addr} without --authorized-keys or --password-file: anyone who \
             can reach it would get in (without them only a loopback address such as \
             127.0.0.1:2222 is served)"
        ));
    }
    let mut methods = MethodSet::empty();
    if config.open() {
        methods.push(MethodKind::None);
    }
    // Keys are asked for the teacher's too.
    if !config.authorized_keys.is_empty() || config.teacher.is_some() {
        methods.push(MethodKind::PublicKey);
    }
    // An open server that asks for keys (to know the teacher) lets in
    // those with none by any password.
    if !config.passwords.is_empty() || (config.open() && config.teacher.is_some()) {
        methods.push(MethodKind::Password);
    }
    let ssh = Arc::new(russh::server::Config {
        methods: methods.clone(),
        keys: vec![key],
        inactivity_timeout: Some(config.idle_timeout),
        auth_rejection_time: Duration::from_millis(500),
        auth_rejection_time_initial: Some(Duration::ZERO),
        nodelay: true,
        ..Default::default()
    });
    let log = Arc::new(Log::new(config.log.as_deref(), config.log_limit)?);
    ready(addr);
    let (broadcast, _) = tokio::sync::watch::channel(None);
    let config_record_total = config.limits.record_total;
    let class_cpu = cpu::ClassCpu::of_machine(config.limits.cpu_total);
    let mut server = Server {
        config: Arc::new(config),
        active: Arc::new(AtomicUsize::new(0)),
        class: Arc::new(ClassShared {
            broadcast,
            followers: AtomicUsize::new(0),
            followers_changed: tokio::sync::Notify::new(),
            push: tokio::sync::watch::channel(None).0,
            room: room::Room::default(),
            stopping: tokio::sync::watch::channel(false).0,
            sessions: AtomicUsize::new(0),
            cpu: class_cpu,
        }),
        log,
        startups: Arc::new(Startups::default()),
        failures: Arc::new(Failures::default()),
        seats: Arc::new(Seats::default()),
        logins: Arc::new(Seats::default()),
        records: Arc::new(RecordTotal::new(config_record_total)),
        methods,
    };
    server.log.line(&format!("listening on {addr}"));
    let class = server.class.clone();
    let log = server.log.clone();
    tokio::select! {
        _ = accept_loop(&mut server, ssh, &listener) => {}
        signal = stop_signal() => {
            // Every session ends as if its student quit: its record is
            // closed, its terminal given back; then the server exits.
            let n = class.sessions.load(Ordering::SeqCst);
            log.line(&format!("{signal}: ending {n} session(s)"));
            class.stopping.send_replace(true);
            let start = std::time::Instant::now();
            while class.sessions.load(Ordering::SeqCst) > 0 && start.elapsed() < STOP_GRACE {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            // What they last wrote, on its way to the clients.
            tokio::time::sleep(Duration::from_millis(200)).await;
            log.line("stopped");
        }
    }
    Ok(())
}

/// How long a stopping server waits for its sessions to end.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// SIGTERM or SIGINT (Ctrl-C): which came.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Take connections until the server is stopped. Nothing a client does
/// ends it: a failed `accept` (out of file descriptors) is logged and
/// tried again after a pause.
async fn accept_loop(
    server: &mut Server,
    ssh: Arc<russh::server::Config>,
    listener: &tokio::net::TcpListener,
) {
    use russh::server::Server as _;
    let mut pause = Duration::from_millis(10);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => {
                pause = Duration::from_millis(10);
                c
            }
            Err(e) => {
                // Out of file descriptors (or another passing failure): the
                // oldest connection not logged in makes room, else wait.
                let freed = server.startups.evict_oldest();
                if freed > 0 {
                    server.log.line_at_most_each_second(
                        "accept",
                        &format!(
                            "accepting a connection failed: {e}; closed the oldest {freed} \
                             connection(s) not yet logged in to make room"
                        ),
                    );
                    // Their tasks close them.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                } else {
                    server.log.line_at_most_each_second(
                        "accept",
                        &format!(
                            "accepting a connection failed: {e}; trying again in {} ms",
                            pause.as_millis()
                        ),
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                continue;
            }
        };
        let limits = server.config.limits.startups;
        let (slot, pushed) = server.startups.enter(peer.ip(), limits);
        if pushed > 0 {
            server.log.line_at_most_each_second(
                "pushed",
                &format!(
                    "{pushed} connection(s) not yet logged in closed to make room for {peer} \
                 (at most {} waiting, {} from one address)",
                    limits.total, limits.per_address
                ),
            );
        }
        let mut handler = server.new_client(Some(peer));
        handler.progress = slot.progress.clone();
        let authed = handler.authed.clone();
        let opened = handler.opened.clone();
        let log = server.log.clone();
        let ssh = ssh.clone();
        let switch = Arc::new(guard::KillSwitch::default());
        let _ = stream.set_nodelay(true);
        let stream = guard::Killable::new(
            stream,
            switch.clone(),
            cpu::TRANSPORT_RATE,
            cpu::TRANSPORT_BURST,
        );
        tokio::spawn(async move {
            let grace = tokio::time::sleep(limits.grace);
            tokio::pin!(grace);
            let evict = slot.evict.clone();
            let why: &'static str = tokio::select! {
                s = russh::server::run_stream(ssh, stream, {
                    handler
                        .log
                        .line_at_most_each_second("connection", &format!("connection from {peer}"));
                    handler
                }) => match s {
                    Ok(session) => {
                        slot.progress.reached(Stage::Greeted);
                        tokio::pin!(session);
                        let why = tokio::select! {
                            _ = &mut session => return,
                            _ = authed.notified() => None,
                            _ = &mut grace => Some("no login within the grace time"),
                            _ = evict.notified() => Some("pushed out by newer connections not logged in"),
                        };
                        match why {
                            None => {
                                // Logged in: no longer waiting. A session
                                // must open within the grace time: a
                                // connection that opens none (`ssh -N`,
                                // kept up by keepalives) would hold one of
                                // its student's logged-in places for ever.
                                drop(slot);
                                let late = tokio::time::sleep(limits.grace);
                                tokio::select! {
                                    _ = &mut session => return,
                                    _ = opened.notified() => {}
                                    _ = late => {
                                        switch.kill();
                                        let why = "logged in but opened no session within the grace time";
                                        log.line_at_most_each_second(why, &format!("closed {peer}: {why}"));
                                        return;
                                    }
                                }
                                let _ = session.await;
                                return;
                            }
                            Some(why) => {
                                // Its reads fail: the session ends and the
                                // socket closes, whatever it was waiting for.
                                switch.kill();
                                why
                            }
                        }
                    }
                    Err(_) => return,
                },
                _ = &mut grace => "no SSH greeting within the grace time",
                _ = evict.notified() => "pushed out by newer connections not logged in",
            };
            log.line_at_most_each_second(why, &format!("closed {peer}: {why}"));
        });
    }
}

#[derive(Clone)]
struct Server {
    config: Arc<Config>,
    /// Students' debugger sessions running now (teachers' are not counted).
    active: Arc<AtomicUsize>,
    class: Arc<ClassShared>,
    log: Arc<Log>,
    startups: Arc<Startups>,
    failures: Arc<Failures>,
    seats: Arc<Seats>,
    /// Logged-in connections by student (a connection that opens no
    /// session is closed after the login grace time).
    logins: Arc<Seats>,
    /// What `--record` has written in this run, all sessions together.
    records: Arc<RecordTotal>,
    /// How one may log in, offered again after every refusal.
    methods: MethodSet,
}

/// The teacher's moment, as followers take it: the lesson and the
/// session (a session file's content: replayed, the engine being
/// deterministic, it is the same run at the same moment).
struct Broadcast {
    lesson: usize,
    session: serde_json::Value,
    /// The teacher's session ended: followers are let go.
    left: bool,
}

/// What the sessions of one class share.
struct ClassShared {
    broadcast: tokio::sync::watch::Sender<Option<Arc<Broadcast>>>,
    followers: AtomicUsize,
    followers_changed: tokio::sync::Notify,
    /// The teacher's pushes: each moves every student there once.
    push: tokio::sync::watch::Sender<Option<Arc<Broadcast>>>,
    /// The students, for the teacher's class view; their progress.
    room: room::Room,
    /// The server is stopping (SIGTERM, Ctrl-C): every session ends.
    stopping: tokio::sync::watch::Sender<bool>,
    /// Session threads running now (the teacher's too).
    sessions: AtomicUsize,
    /// What the students' sessions use of the machine together.
    cpu: cpu::ClassCpu,
}

impl ClassShared {
    /// Resolves once the server is stopping.
    fn stopped(&self) -> impl std::future::Future<Output = ()> + 'static {
        let mut rx = self.stopping.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }
}

impl russh::server::Server for Server {
    type Handler = Connection;
    fn new_client(&mut self, peer: Option<std::net::SocketAddr>) -> Connection {
        Connection {
            log: self.log.clone(),
            server: self.clone(),
            peer,
            user: String::new(),
            who: String::new(),
            label: String::new(),
            teacher: false,
            authed: Arc::new(tokio::sync::Notify::new()),
            opened: Arc::new(tokio::sync::Notify::new()),
            login: None,
            channel: None,
            size: (80, 24),
            term: None,
            input: None,
            resized: Arc::default(),
            lost: Arc::new(AtomicUsize::new(0)),
            decoder: Decoder::default(),
            input_rate: (
                crate::budget::Bucket::new(cpu::INPUT_RATE, cpu::INPUT_BURST),
                false,
            ),
            started: std::time::Instant::now(),
            progress: guard::Progress::default(),
        }
    }
}

/// How a student's terminal draws: its colours and glyphs, from the `TERM`
/// its ssh client sent (ssh sends no `COLORTERM` or `NO_COLOR` unless told
/// to, so only `TERM` counts). A client with no pty request gets 256 colours.
#[derive(Debug, Clone, Copy)]
struct Look {
    colors: crate::tui::theme::ColorMode,
    glyphs: crate::tui::glyphs::Glyphs,
}

impl Look {
    fn for_terminal(term: Option<&str>) -> Look {
        Look {
            colors: crate::tui::theme::ColorMode::for_terminal(term, None, false),
            glyphs: crate::tui::glyphs::Glyphs::for_terminal(term, false),
        }
    }
}

/// One SSH connection: at most one session channel, with one debugger.
struct Connection {
    server: Server,
    log: Arc<Log>,
    peer: Option<std::net::SocketAddr>,
    /// Who logged in (the name given to ssh).
    user: String,
    /// Who the student is, for their count of sessions and the log: the
    /// key's fingerprint, or the user name of a password login.
    who: String,
    /// Logged in with the teacher's key.
    teacher: bool,
    /// How the teacher's class view names the student: the key's comment
    /// in authorized_keys, or the login.
    label: String,
    /// Told when the login succeeds (the connection stops waiting).
    authed: Arc<tokio::sync::Notify>,
    /// Told when the session channel opens (a connection logged in that
    /// opens none, `ssh -N`, is closed after the login grace time).
    opened: Arc<tokio::sync::Notify>,
    /// This connection's place among its student's logged-in connections.
    login: Option<Seat>,
    channel: Option<ChannelId>,
    size: (u16, u16),
    /// The client's `TERM` (from its pty request).
    term: Option<String>,
    /// Where its debugger takes events (once started).
    input: Option<Inbox<Event>>,
    /// The size its debugger takes next (see [`SizeSlot`]).
    resized: Arc<SizeSlot>,
    /// Events its debugger's full queue could not take (told to it).
    lost: Arc<AtomicUsize>,
    decoder: Decoder,
    /// The pace its input is read at past a burst (`cpu::INPUT_RATE`), and
    /// whether the log has said it was slowed.
    input_rate: (crate::budget::Bucket, bool),
    /// When the connection came (its login grace time runs from here).
    started: std::time::Instant,
    /// How far it got before logging in (who is pushed out first).
    progress: guard::Progress,
}

/// A session thread's stack (see where it is spawned).
const SESSION_STACK: usize = 512 << 20;

/// What a channel request other than data (a window change) counts as
/// against the connection's input pace: past the burst, a thousand a
/// second.
const REQUEST_COST: usize = 1024;

/// A terminal's size as a client says it, within what a screen can be:
/// each session keeps two buffers of this many cells.
fn clamp(cols: u32, rows: u32) -> (u16, u16) {
    (cols.clamp(1, 512) as u16, rows.clamp(1, 256) as u16)
}

/// The size a client last asked for that its session has not taken yet.
/// A client sending thousands of window changes a second makes its session
/// draw once per turn at the latest size, not once per request: only the
/// first request after the session took one is queued (to wake it); the
/// others replace the size it will read.
#[derive(Default)]
struct SizeSlot(std::sync::atomic::AtomicU32);

impl SizeSlot {
    /// A new size: true when the session must be woken for it (no size was
    /// waiting).
    fn offer(&self, (w, h): (u16, u16)) -> bool {
        // Both are at least 1 (`clamp`): 0 is free to mean "none".
        self.0.swap((w as u32) << 16 | h as u32, Ordering::AcqRel) == 0
    }

    /// The size waiting, if any.
    fn take(&self) -> Option<(u16, u16)> {
        match self.0.swap(0, Ordering::AcqRel) {
            0 => None,
            v => Some(((v >> 16) as u16, v as u16)),
        }
    }
}

impl Connection {
    /// Past its burst, a connection's input is read at a pace: the rest
    /// waits in its socket, costing the server nothing to decrypt. `bytes`
    /// came (a request that is not data counts as [`REQUEST_COST`]).
    async fn paced(&mut self, bytes: usize) {
        let (rate, said) = &mut self.input_rate;
        if let Some(wait) = rate.take(bytes as f64, std::time::Instant::now()) {
            if !*said {
                *said = true;
                self.log.line(&format!(
                    "{} from {}: sends input faster than {}/s, read at that pace",
                    self.who,
                    self.from(),
                    crate::budget::show_bytes(cpu::INPUT_RATE as usize)
                ));
            }
            tokio::time::sleep(wait).await;
        }
    }

    fn refuse(&self, channel: ChannelId, session: &mut Session) -> Result<(), russh::Error> {
        session.channel_failure(channel)?;
        session.close(channel)
    }

    /// Say why there is no session, and end the channel (exit status 1).
    fn turn_away(
        &self,
        channel: ChannelId,
        session: &mut Session,
        why: &str,
    ) -> Result<(), russh::Error> {
        session.channel_success(channel)?;
        session.data(channel, format!("{why}\r\n"))?;
        session.exit_status_request(channel, 1)?;
        session.eof(channel)?;
        session.close(channel)
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        self.progress.reached(Stage::LoggingIn);
        self.user = user.to_string();
        // With a teacher named, keys are asked for (to know the teacher).
        let c = &self.server.config;
        if c.open() && c.teacher.is_none() {
            return Ok(self.let_in(format!("user {}", shown(user)), "no login asked"));
        }
        Ok(self.rejected())
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        self.progress.reached(Stage::LoggingIn);
        self.user = user.to_string();
        let c = &self.server.config;
        let mut waited = Duration::ZERO;
        if !c.open() {
            // Checked at its turn in its address's queue
            // (guard::Failures), within what is left of the grace time.
            let most = c
                .limits
                .startups
                .grace
                .saturating_sub(self.started.elapsed());
            match self
                .server
                .failures
                .attempt(self.peer.map(|p| p.ip()), user, most)
            {
                Turn::After(wait) => {
                    tokio::time::sleep(wait).await;
                    waited = wait;
                }
                Turn::TooFar(wait) => {
                    self.log.line(&format!(
                        "authentication refused unchecked: password for user {:?} from {}: \
                         too many failed attempts from there (the next turn is in {}, past \
                         the login grace time)",
                        shown(user),
                        self.from(),
                        crate::budget::show_time(wait)
                    ));
                    return Ok(self.rejected());
                }
            }
        }
        let c = &self.server.config;
        if c.open() || c.passwords.iter().any(|(u, p)| u == user && p == password) {
            self.label = shown(user).to_string();
            // A right password was no failure (it takes back its own
            // attempt, and forgives no other).
            self.server
                .failures
                .succeeded(self.peer.map(|p| p.ip()), user);
            return Ok(self.let_in(format!("user {}", shown(user)), "password"));
        }
        self.log.line(&format!(
            "authentication failed: password for user {:?} from {}{}",
            shown(user),
            self.from(),
            slowed(waited)
        ));
        Ok(self.rejected())
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        self.progress.reached(Stage::LoggingIn);
        let key = offer.public_key;
        if self.known(key) && self.user_ok(user) {
            return Ok(Auth::Accept);
        }
        // Not slowed (see guard::Failures): a public key is no secret.
        self.log.line(&format!(
            "authentication failed: {} key {} for user {:?} from {}",
            if self.known(key) {
                "a known key with the wrong user name,"
            } else {
                "unknown"
            },
            key.fingerprint(ssh_key::HashAlg::Sha256),
            shown(user),
            self.from(),
        ));
        Ok(self.rejected())
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        self.user = user.to_string();
        let key = key.public_key;
        if !(self.known(key) && self.user_ok(user)) {
            return Ok(self.rejected());
        }
        if self.is_teacher(key) {
            self.teacher = true;
        }
        let fp = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
        let comment = key.comment();
        let listed = self
            .server
            .config
            .authorized_keys
            .iter()
            .find(|k| k.key_data() == key.key_data())
            .map(|k| k.comment().to_string())
            .filter(|c| !c.is_empty());
        let short: String = fp.trim_start_matches("SHA256:").chars().take(8).collect();
        self.label = listed.unwrap_or_else(|| format!("{} ({short})", shown(user)));
        let how = if comment.is_empty() {
            format!("key {fp}")
        } else {
            format!("key {fp} ({comment})")
        };
        Ok(self.let_in(fp, &how))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel.is_some() {
            reply
                .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        }
        self.channel = Some(channel.id());
        reply.accept().await;
        self.opened.notify_one();
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        cols: u32,
        rows: u32,
        _pw: u32,
        _ph: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.paced(REQUEST_COST).await;
        self.term = Some(term.chars().take(64).collect());
        // A client with no terminal of its own (`ssh -tt` from a script)
        // says 0×0: it gets 80×24.
        if cols > 0 && rows > 0 {
            self.size = clamp(cols, rows);
        }
        session.channel_success(channel)
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        cols: u32,
        rows: u32,
        _pw: u32,
        _ph: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // A window that changes a thousand times a second is a script.
        self.paced(REQUEST_COST).await;
        self.size = clamp(cols, rows);
        if let Some(tx) = &self.input {
            if self.resized.offer(self.size) {
                // The session looks at the waiting size first: if this
                // is dropped from a full inbox, the size is still taken.
                tx.put(Event::Resize(self.size.0, self.size.1), 16);
            }
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.input.is_some() || self.channel != Some(channel) {
            return self.refuse(channel, session);
        }
        let config = self.server.config.clone();
        let active = self.server.active.clone();
        // The teacher's sessions are not counted against the class.
        let counted = !self.teacher;
        let seat: Option<Seat>;
        if counted {
            // One student's seats first: their own limit is what they hit.
            seat = self.server.seats.take(&self.who, config.limits.per_student);
            if seat.is_none() {
                self.log.line(&format!(
                    "refused a session to {} from {}: already holds {} (--max-per-student)",
                    self.who,
                    self.from(),
                    config.limits.per_student
                ));
                return self.turn_away(
                    channel,
                    session,
                    &format!(
                        "asldbg: you already have {} sessions open, the most one student may \
                         hold; leave one (q) and try again.",
                        config.limits.per_student
                    ),
                );
            }
            if active.fetch_add(1, Ordering::SeqCst) >= config.max_sessions {
                active.fetch_sub(1, Ordering::SeqCst);
                self.log.line(&format!(
                    "refused a session to {} from {}: the class is full ({} sessions)",
                    self.who,
                    self.from(),
                    config.max_sessions
                ));
                return self.turn_away(
                    channel,
                    session,
                    &format!(
                        "asldbg: the class is full ({} sessions); try again later.",
                        config.max_sessions
                    ),
                );
            }
        } else {
            seat = None;
        }
        session.channel_success(channel)?;
        let (tx, rx) = Inbox::new(self.lost.clone());
        self.input = Some(tx);
        let handle = session.handle();
        let lessons = config.lessons.clone();
        let size = self.size;
        let resized = self.resized.clone();
        let look = Look::for_terminal(self.term.as_deref());
        let record = config.record.as_ref().map(|dir| Recording {
            dir: dir.clone(),
            user: self.user.clone(),
            cap: config.limits.record,
            total: self.server.records.clone(),
        });
        // Numbered: one student's two sessions are told apart in the log.
        static SESSIONS: AtomicUsize = AtomicUsize::new(1);
        let n = SESSIONS.fetch_add(1, Ordering::SeqCst);
        let who = Who {
            log: self.log.clone(),
            name: if self.teacher {
                format!("session {n} (the teacher, {})", self.who)
            } else {
                format!("session {n} ({})", self.who)
            },
        };
        let limits = config.limits;
        let mut class = ClassHooks::new(
            self.server.class.clone(),
            self.teacher,
            config.teacher.is_some(),
        );
        class.id = n;
        class.who = self.who.clone();
        class.label = self.label.clone();
        class.lost = self.lost.clone();
        class.log = Some((who.log.clone(), who.name.clone()));
        if !self.teacher {
            class.pace = Some((
                crate::budget::Pace::new(limits.cpu_share, CPU_BURST),
                limits.cpu_share,
            ));
            class.idle = Some(config.idle_timeout);
        }
        // The debugger is not Send (its caches are per thread): each
        // session runs on a thread of its own, with its own event loop.
        let outbox = Arc::new(Outbox::default());
        tokio::spawn(forward(handle, channel, outbox.clone()));
        // Counted out however the session ends (a panic in it ends only its
        // thread: the others go on; a thread that cannot start drops it at
        // once). The student's seat is given back with it.
        struct Leaving {
            active: Option<Arc<AtomicUsize>>,
            _seat: Option<Seat>,
            class: Arc<ClassShared>,
        }
        impl Drop for Leaving {
            fn drop(&mut self) {
                if let Some(active) = &self.active {
                    active.fetch_sub(1, Ordering::SeqCst);
                }
                self.class.sessions.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.server.class.sessions.fetch_add(1, Ordering::SeqCst);
        let leaving = Leaving {
            active: counted.then_some(active),
            _seat: seat,
            class: self.server.class.clone(),
        };
        // A large stack (reserved, not used, until something recurses that
        // deep): JSONata's own functions walk values recursively ($distinct
        // of two values 50,000 levels deep overflowed 8 MiB and aborted the
        // server), and the session's memory budget bounds how deep a value
        // can be built to well within this.
        let spawned = std::thread::Builder::new()
            .name("session".into())
            .stack_size(SESSION_STACK)
            .spawn(move || {
                let _leaving = leaving;
                // This student's evaluations run under the session's budget.
                crate::budget::set(limits.budget);
                // Timers only: a session opens no file descriptor of its own,
                // so one is never refused for want of them.
                match tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                {
                    Ok(rt) => rt.block_on(run_session(
                        lessons,
                        size,
                        look,
                        (rx, resized),
                        outbox,
                        class,
                        record,
                        who,
                        limits,
                    )),
                    Err(e) => who
                        .log
                        .line(&format!("session of {} not started: {e}", who.name)),
                }
                // What the session held is free: give it back to the system
                // (the allocator keeps a thread's freed pages for its reuse,
                // and this thread ends).
                crate::alloc::release();
            });
        if let Err(e) = spawned {
            self.log.line(&format!("a session could not start: {e}"));
        }
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let shown: String = String::from_utf8_lossy(data).chars().take(80).collect();
        self.log.line(&format!(
            "refused a command ({shown:?}) to {} from {}",
            self.who,
            self.from()
        ));
        self.refuse(channel, session)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let shown: String = name.chars().take(40).collect();
        self.log.line(&format!(
            "refused the subsystem {shown:?} to {} from {}",
            self.who,
            self.from()
        ));
        self.refuse(channel, session)
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        _channel: Channel<Msg>,
        host: &str,
        port: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let shown: String = host.chars().take(80).collect();
        self.log.line(&format!(
            "refused forwarding to {shown}:{port} to {} from {}",
            self.who,
            self.from()
        ));
        reply
            .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single: bool,
        _proto: &str,
        _cookie: &str,
        _screen: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.paced(REQUEST_COST).await;
        session.channel_failure(channel)
    }

    async fn agent_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<bool, Self::Error> {
        self.paced(REQUEST_COST).await;
        session.channel_failure(channel)?;
        Ok(false)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        _value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.paced(REQUEST_COST).await;
        session.channel_failure(channel)
    }

    async fn tcpip_forward(
        &mut self,
        address: &str,
        port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        let shown: String = address.chars().take(80).collect();
        self.log.line(&format!(
            "refused remote forwarding of {shown}:{port} to {} from {}",
            self.who,
            self.from()
        ));
        Ok(false)
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.paced(data.len()).await;
        if self.channel != Some(channel) {
            return Ok(());
        }
        if let Some(tx) = &self.input {
            let mut events = self.decoder.feed(data);
            // A read that ends in Esc (and nothing more) is the Esc key:
            // terminals send a sequence in one piece.
            events.extend(self.decoder.flush());
            for ev in events {
                let bytes = match &ev {
                    Event::Paste(text) => text.len(),
                    _ => 16,
                };
                tx.put(ev, bytes);
            }
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel == Some(channel) {
            // Dropping the sender ends the debugger's input: it quits.
            self.input = None;
        }
        Ok(())
    }
}

/// A client's name as the log shows it: at most 64 characters.
fn shown(name: &str) -> String {
    let mut s: String = name.chars().take(64).collect();
    if s.len() < name.len() {
        s.push('…');
    }
    s
}

/// ", checked after waiting its turn 2 s" for a password that waited in
/// its queue, else nothing.
/// How often the log may say again that one session was slowed.
const SLOWED_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

fn slowed(wait: Duration) -> String {
    if wait.is_zero() {
        String::new()
    } else {
        format!(
            ", checked after waiting its turn {}",
            crate::budget::show_time(wait)
        )
    }
}

impl Connection {
    /// A refused login attempt. Every method stays on offer, as OpenSSH
    /// has it: the client may try again (its next password waits its turn
    /// all the same), and says what the server takes rather than
    /// "Permission denied ()".
    fn rejected(&self) -> Auth {
        Auth::Reject {
            proceed_with_methods: Some(self.server.methods.clone()),
            partial_success: false,
        }
    }

    /// Where the connection comes from, for the log.
    fn from(&self) -> String {
        self.peer
            .map_or_else(|| "an unknown address".into(), |p| p.to_string())
    }

    /// A key login gives the class's user name (any name on a server
    /// that checks nobody).
    fn user_ok(&self, user: &str) -> bool {
        self.server.config.open() || user == self.server.config.user
    }

    /// The login succeeded: `who` is the student (their seats are counted
    /// under it), `how` the method, for the log.
    fn let_in(&mut self, who: String, how: &str) -> Auth {
        if !self.teacher {
            // Each session needs a connection; a few more for reconnecting.
            let most = self.server.config.limits.per_student * 2 + 2;
            match self.server.logins.take(&who, most) {
                Some(seat) => self.login = Some(seat),
                None => {
                    self.log.line(&format!(
                        "refused a login to {who} from {}: already {most} connections logged in",
                        self.from()
                    ));
                    return self.rejected();
                }
            }
        }
        self.who = who;
        self.authed.notify_one();
        self.log.line(&format!(
            "login: {} as {:?} from {} ({how})",
            if self.teacher {
                "the teacher"
            } else {
                "a student"
            },
            shown(&self.user),
            self.from()
        ));
        Auth::Accept
    }

    /// Let in: a listed key, the teacher's, or any on an open server.
    fn known(&self, key: &PublicKey) -> bool {
        let c = &self.server.config;
        c.open()
            || self.is_teacher(key)
            || c.authorized_keys
                .iter()
                .any(|k| k.key_data() == key.key_data())
    }

    fn is_teacher(&self, key: &PublicKey) -> bool {
        self.server
            .config
            .teacher
            .as_ref()
            .is_some_and(|t| t.is(key))
    }
}

/// Send what the debugger draws to the client, as fast as it takes it
/// ([`Outbox`]); when the session ends, the channel ends with exit
/// status 0.
async fn forward(handle: Handle, channel: ChannelId, outbox: Arc<Outbox>) {
    loop {
        match outbox.next() {
            Next::Send(bytes) => {
                if handle.data(channel, bytes).await.is_err() {
                    outbox.gone();
                    return;
                }
            }
            Next::Repaint => outbox.ask_repaint(),
            Next::Wait => outbox.wait().await,
            Next::Done => break,
        }
    }
    let _ = handle.exit_status_request(channel, 0).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

/// The events of one session's channel.
struct Remote {
    rx: inbox::Taker<Event>,
    /// The size the client asked for last (a queued `Resize` only wakes
    /// the session for it).
    resized: Arc<SizeSlot>,
    /// Where the session's frames go: a repaint it wants comes as
    /// `FocusGained` (which draws the screen whole).
    outbox: Arc<Outbox>,
    /// `--record`: every event, with the milliseconds since the start,
    /// written as it comes.
    record: Option<RecordFile>,
    /// Who this is, for the log (evaluations stopped by the budget).
    who: Who,
}

impl Remote {
    /// An event the session takes: noted for `--record`; one that draws
    /// the screen whole lets frames through again.
    fn took(&mut self, ev: &Event) {
        if matches!(ev, Event::Resize(..) | Event::FocusGained) {
            self.outbox.repainting();
        }
        if matches!(ev, Event::FocusGained) {
            return;
        }
        if let Some(r) = &mut self.record {
            r.event(&describe(ev));
        }
    }

    /// Log the evaluations the budget stopped since the last look.
    fn budget_hits(&self) {
        let hits = crate::budget::take_hits();
        if hits > 0 {
            let b = crate::budget::get();
            self.who.log.line(&format!(
                "{}: {hits} evaluation(s) stopped by the session's budget ({} of memory, {} \
                 an expression, {} a key press)",
                self.who.name,
                crate::budget::show_bytes(b.memory),
                crate::budget::show_time(b.expr_time),
                b.per_turn
                    .map_or("no limit".into(), crate::budget::show_time),
            ));
        }
    }
}

/// Who a session is, for the log.
struct Who {
    log: Arc<Log>,
    name: String,
}

/// An event as a record shows it: `s`, `Enter`, `Ctrl-c`, `paste 120
/// bytes`, `resize 120x40`, `mouse Down(Left) 10,4`.
fn describe(ev: &Event) -> String {
    use crossterm::event::{KeyCode, KeyModifiers};
    match ev {
        Event::Key(k) => {
            let mut s = String::new();
            if k.modifiers.contains(KeyModifiers::CONTROL) {
                s.push_str("Ctrl-");
            }
            if k.modifiers.contains(KeyModifiers::ALT) {
                s.push_str("Alt-");
            }
            match k.code {
                KeyCode::Char(c) => s.push(c),
                other => s.push_str(&format!("{other:?}")),
            }
            s
        }
        Event::Paste(t) => format!("paste {} bytes", t.len()),
        Event::Resize(w, h) => format!("resize {w}x{h}"),
        Event::Mouse(m) => format!("mouse {:?} {},{}", m.kind, m.column, m.row),
        other => format!("{other:?}"),
    }
}

impl crate::tui::Input for Remote {
    async fn next(&mut self) -> Option<io::Result<Event>> {
        self.budget_hits();
        let ev = loop {
            if let Some((w, h)) = self.resized.take() {
                break Event::Resize(w, h);
            }
            match tokio::select! {
                ev = self.rx.recv() => ev?,
                _ = self.outbox.repaint_wanted() => Event::FocusGained,
            } {
                // Its size was taken already (with a later request's).
                Event::Resize(..) => {}
                ev => break ev,
            }
        };
        self.took(&ev);
        Some(Ok(ev))
    }
    fn ready(&mut self) -> io::Result<Option<Event>> {
        let ev = loop {
            if let Some((w, h)) = self.resized.take() {
                break Some(Event::Resize(w, h));
            }
            match self.rx.try_recv() {
                // Its size was taken already (with a later request's).
                Some(Event::Resize(..)) => {}
                ev => break ev,
            }
        };
        if let Some(ev) = &ev {
            self.took(ev);
        }
        Ok(ev)
    }
    fn gone(&self) -> bool {
        // The connection dropped its sender: what is still queued will
        // never be answered on screen.
        self.rx.is_closed()
    }
}

/// Where `--record` keeps one session, and who it was.
struct Recording {
    dir: PathBuf,
    user: String,
    /// Bytes of events written at most.
    cap: usize,
    /// What every session's record may write together.
    total: Arc<RecordTotal>,
}

/// The bytes `--record` may write in one run of the server, all sessions
/// together with the class summary (`--record-total`): a class that runs
/// for weeks, or students who log in and out in a loop, cannot fill the
/// disk.
struct RecordTotal {
    used: std::sync::atomic::AtomicU64,
    limit: u64,
    /// The log has said the total was reached.
    said: std::sync::atomic::AtomicBool,
    /// The size of the class summary's files as last written (they are
    /// written over, so only what they grow by is taken).
    summary: std::sync::Mutex<u64>,
}

/// What a record takes before its events: its head, the end it has while
/// it is written, and the end it closes with when the total leaves no
/// room for the final run.
const RECORD_ROOM: usize = 1024;

impl RecordTotal {
    fn new(limit: u64) -> RecordTotal {
        RecordTotal {
            used: 0.into(),
            limit,
            said: false.into(),
            summary: std::sync::Mutex::new(0),
        }
    }

    /// Give back `n` bytes taken.
    fn give(&self, n: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| {
                Some(u.saturating_sub(n))
            });
    }

    /// The total was reached: the log says so, the first time.
    fn reached(&self, log: &Log) {
        if !self.said.swap(true, Ordering::SeqCst) {
            log.line(&format!(
                "--record-total reached ({}): sessions are no longer recorded, records under way \
                 keep no more events (and close without their final run if it does not fit), and \
                 the class summary is no longer updated",
                crate::budget::show_bytes(self.limit as usize)
            ));
        }
    }

    /// Write the class summary's files (`(name, text)`) into `dir` if
    /// what they grow by fits.
    fn write_summary(&self, dir: &Path, files: &[(&str, String)], log: &Log) {
        let mut last = self.summary.lock().unwrap_or_else(|e| e.into_inner());
        let size: u64 = files.iter().map(|(_, text)| text.len() as u64).sum();
        if size > *last && !self.take((size - *last) as usize) {
            self.reached(log);
            return;
        }
        if size < *last {
            self.give(*last - size);
        }
        *last = size;
        for (name, text) in files {
            if let Err(e) = std::fs::write(dir.join(name), text) {
                log.line(&format!(
                    "class summary not written in {}: {e}",
                    dir.display()
                ));
                return;
            }
        }
    }

    /// Take `n` bytes; false (nothing taken) when they would pass the total.
    fn take(&self, n: usize) -> bool {
        let n = n as u64;
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| {
                u.checked_add(n).filter(|t| *t <= self.limit)
            })
            .is_ok()
    }
}

/// One session's record, `DIR/session-<time>-<n>.json`, written as the
/// session goes: the user and every event as they come (up to the cap;
/// past it they are counted, not kept), and when it ends the lesson and
/// the final run (a session file's content and the history in
/// `get-execution-history` shape). The file is whole JSON at every moment:
/// after each event it ends with [`UNFINISHED`], which the next event or
/// the end writes over, so a server killed mid-session leaves the events
/// so far, readable.
struct RecordFile {
    out: Option<std::fs::File>,
    file: PathBuf,
    start: std::time::Instant,
    written: usize,
    cap: usize,
    total: Arc<RecordTotal>,
    log: Arc<Log>,
    events: usize,
    dropped: usize,
}

/// How a record ends while it is written.
const UNFINISHED: &str = "\n],\n\"unfinished\": true\n}\n";

/// Write `text` at the file's position, then [`UNFINISHED`] after it, and
/// go back to where that begins (the next write goes over it).
fn write_then_unfinished(o: &mut std::fs::File, text: &str) -> io::Result<()> {
    use std::io::Seek;
    o.write_all(text.as_bytes())?;
    o.write_all(UNFINISHED.as_bytes())?;
    o.seek(io::SeekFrom::Current(-(UNFINISHED.len() as i64)))?;
    Ok(())
}

/// A record's end: the lesson and the final run, or with `run` `None` (the
/// total left no room for it) nulls and why.
fn record_tail(
    dropped: usize,
    lesson: &str,
    run: Option<(&serde_json::Value, &serde_json::Value)>,
) -> String {
    let (session, history, cut) = match run {
        Some((s, h)) => (s.to_string(), h.to_string(), ""),
        None => (
            "null".into(),
            "null".into(),
            ",\n\"cut\": \"--record-total reached\"",
        ),
    };
    format!(
        "\n],\n\"events_dropped\": {dropped},\n\"lesson\": {},\n\"session\": {session},\n\"history\": {history}{cut}\n}}\n",
        serde_json::json!(lesson)
    )
}

impl RecordFile {
    /// The folder records go in.
    fn dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }

    /// The session's record, or `None` once this run's records have
    /// reached `--record-total` (the log says so, once).
    fn open(rec: &Recording, log: &Arc<Log>) -> Option<RecordFile> {
        let head = format!(
            "{{\n\"user\": {},\n\"events\": [",
            serde_json::json!(rec.user)
        );
        if !rec.total.take(head.len() + RECORD_ROOM) {
            rec.total.reached(log);
            return None;
        }
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let n = COUNT.fetch_add(1, Ordering::SeqCst);
        let file = rec.dir.join(format!("session-{secs}-{n}.json"));
        let mut out = match std::fs::File::create(&file) {
            Ok(f) => Some(f),
            Err(e) => {
                crate::errln!("asldbg serve: {}: {e}", file.display());
                None
            }
        };
        if let Some(o) = &mut out {
            if write_then_unfinished(o, &head).is_err() {
                out = None;
            }
        }
        Some(RecordFile {
            out,
            file,
            start: std::time::Instant::now(),
            written: 0,
            cap: rec.cap,
            total: rec.total.clone(),
            log: log.clone(),
            events: 0,
            dropped: 0,
        })
    }

    fn event(&mut self, what: &str) {
        let ms = self.start.elapsed().as_millis() as u64;
        let line = format!(
            "{}\n{}",
            if self.events == 0 { "" } else { "," },
            serde_json::json!({"ms": ms, "event": what})
        );
        if self.written + line.len() > self.cap {
            self.dropped += 1;
            return;
        }
        if !self.total.take(line.len()) {
            self.total.reached(&self.log);
            self.dropped += 1;
            return;
        }
        // On disk as it comes (a server stopped mid-session keeps it).
        if let Some(o) = &mut self.out {
            if write_then_unfinished(o, &line).is_err() {
                self.out = None;
            }
        }
        self.written += line.len();
        self.events += 1;
    }

    /// Close the record with the lesson and the final run.
    fn finish(mut self, last: Option<(String, serde_json::Value, serde_json::Value)>) {
        let (lesson, session, history) = last.unwrap_or_default();
        let Some(mut o) = self.out.take() else { return };
        let mut tail = record_tail(self.dropped, &lesson, Some((&session, &history)));
        // Past the run's total, the record closes without the final run
        // (its head took room for that end: RECORD_ROOM).
        if !self.total.take(tail.len()) {
            self.total.reached(&self.log);
            tail = record_tail(self.dropped, &lesson, None);
        }
        let written = o
            .write_all(tail.as_bytes())
            .and_then(|_| io::Seek::stream_position(&mut o))
            .and_then(|end| o.set_len(end));
        if let Err(e) = written {
            crate::errln!("asldbg serve: {}: {e}", self.file.display());
        }
    }
}

/// One student's session: the picker, then the debugger on the lesson
/// picked; q (in either) ends it. A follower goes wherever the teacher's
/// lesson is.
#[allow(clippy::too_many_arguments)]
async fn run_session(
    lessons: Vec<Lesson>,
    size: (u16, u16),
    look: Look,
    (rx, resized): (inbox::Taker<Event>, Arc<SizeSlot>),
    outbox: Arc<Outbox>,
    mut class: ClassHooks,
    record: Option<Recording>,
    who: Who,
    limits: Limits,
) {
    let mut writer = ChannelWriter::new(outbox.clone());
    if crate::tui::enter_screen(&mut writer, true).is_err() {
        return;
    }
    let backend = RemoteBackend::new(
        crate::tui::screen::Sixteen::new(writer, look.colors),
        size.0,
        size.1,
    );
    let Ok(mut term) = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, size.0, size.1)),
        },
    ) else {
        return;
    };
    let log = who.log.clone();
    let name = who.name.clone();
    log.line(&format!("session start: {name}"));
    let mut input = Remote {
        rx,
        resized,
        outbox,
        record: record.as_ref().and_then(|r| RecordFile::open(r, &log)),
        who,
    };
    let mut size = size;
    let mut last = None;
    let stopping = class.shared.clone();
    let mut next = tokio::select! {
        picked = pick(&mut term, &lessons, &mut input, &mut size, class.idle) => picked,
        _ = stopping.stopped() => None,
    };
    while let Some(i) = next.take() {
        log.line(&format!("{name} opened the lesson {}", lessons[i].name));
        let mut app = lessons[i].app(
            class.shared.room.progress(&class.who, &lessons[i].name),
            look,
        );
        app.set_editor_cap(limits.editor);
        class.enter(&mut app, i, &lessons[i].name);
        let _ = term.clear();
        let ended = crate::tui::event_loop(
            &mut term,
            &mut app,
            &mut input,
            &mut class,
            size,
            stopping.stopped(),
        )
        .await;
        size = app.size;
        // Their progress, for a reconnect (and the class summary); a hand
        // raised stays raised in the next lesson.
        if let (Some(p), Some(ex), false) = (
            app.exercise_progress(),
            &lessons[i].exercises,
            class.teacher,
        ) {
            class
                .shared
                .room
                .keep(&class.who, &class.label, &lessons[i].name, ex.clone(), p);
        }
        class.hand = app.course.as_ref().is_some_and(|c| c.hand);
        class.lesson_name.clear();
        class.shared.room.leave(class.id);
        if record.is_some() {
            last = Some((
                lessons[i].name.clone(),
                app.session_json(),
                crate::engine::history::export(app.session.moment().history()),
            ));
        }
        if ended.is_ok() && !*stopping.stopping.borrow() {
            next = class.switch.take();
        }
    }
    let _ = crate::tui::leave_screen(term.backend_mut());
    // The cursor shown now: if the client has gone this says so once, and
    // the terminal's own last try (when dropped) does not print a complaint.
    let _ = term.show_cursor();
    input.budget_hits();
    if let Some(r) = input.record.take() {
        let dir = r.dir().to_path_buf();
        let total = r.total.clone();
        r.finish(last);
        // The class summary, as it stands when each session ends.
        let (json, text) = class.shared.room.summary();
        total.write_summary(&dir, &[("class.json", json), ("class.txt", text)], &log);
    }
    log.line(&format!("session end: {name}"));
}

/// The classroom in a session's loop: the teacher's session is broadcast
/// at every change; a follower's run is moved to the teacher's moment.
struct ClassHooks {
    shared: Arc<ClassShared>,
    teacher: bool,
    /// A teacher is named (students can follow).
    class: bool,
    lesson: usize,
    rx: tokio::sync::watch::Receiver<Option<Arc<Broadcast>>>,
    /// Counted among the followers.
    following: bool,
    /// The teacher's last broadcast session, to send only changes.
    last: Option<serde_json::Value>,
    /// The teacher is on another lesson: the follower goes there.
    switch: Option<usize>,
    /// This session's number; who the student is (their progress is kept
    /// under it) and how the class view names them.
    id: usize,
    who: String,
    label: String,
    /// The lesson open now (its name).
    lesson_name: String,
    push: tokio::sync::watch::Receiver<Option<Arc<Broadcast>>>,
    /// A push for another lesson: applied once that lesson is open.
    pushed: Option<Arc<Broadcast>>,
    /// A push came that is not taken yet.
    push_new: bool,
    /// A hand raised in the lesson before (kept into the next).
    hand: bool,
    /// When the student last pressed a key (the class view's idle time).
    last_key: std::time::Instant,
    /// A student's share of the CPU, and the share of one core it has
    /// when the class is not busy (None: the teacher's, or unknown).
    pace: Option<(crate::budget::Pace, f64)>,
    /// Waiting for its share now (said once in the log and on screen).
    slowed: bool,
    /// Where a session slowed down is logged, and its name there.
    log: Option<(Arc<Log>, String)>,
    /// When the log last said this session was slowed (a session
    /// alternating turns with and without a wait is one line each
    /// [`SLOWED_LOG_EVERY`]).
    slowed_logged: guard::Every,
    /// Events the session's full input queue did not take.
    lost: Arc<AtomicUsize>,
    /// A student's session with no key pressed this long ends (the
    /// connection's own idle timeout counts any traffic, and a client's
    /// keepalives would hold the seat for ever).
    idle: Option<std::time::Duration>,
    /// The notice this hook put on the screen last (the app's message is
    /// the student's too: it is ours only while it is still this text).
    said: Option<(Notice, String)>,
}

/// What the class server tells a student about their share of it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Notice {
    /// Waiting for the CPU share.
    Slowed,
    /// Keys were dropped.
    Lost,
    /// The wait is over.
    Back,
}

impl ClassHooks {
    /// Says in the log that the session was slowed, at most once each
    /// [`SLOWED_LOG_EVERY`], with how many slowdowns the line stands for.
    fn log_slowed(&mut self, now: std::time::Instant) {
        let Some((log, name)) = &self.log else {
            return;
        };
        if let Some(unsaid) = self.slowed_logged.due(now) {
            let more = if unsaid > 0 {
                format!(" (and {unsaid} more time(s) since it was last said)")
            } else {
                String::new()
            };
            log.line(&format!(
                "{name}: over its share of the CPU, slowed down{more}"
            ));
        }
    }

    fn new(shared: Arc<ClassShared>, teacher: bool, class: bool) -> ClassHooks {
        let rx = shared.broadcast.subscribe();
        let mut push = shared.push.subscribe();
        // Only pushes made from now on.
        push.mark_unchanged();
        ClassHooks {
            shared,
            teacher,
            class,
            lesson: 0,
            rx,
            following: false,
            last: None,
            switch: None,
            id: 0,
            who: String::new(),
            label: String::new(),
            lesson_name: String::new(),
            push,
            pushed: None,
            push_new: false,
            hand: false,
            last_key: std::time::Instant::now(),
            pace: None,
            slowed: false,
            slowed_logged: guard::Every::new(SLOWED_LOG_EVERY),
            log: None,
            lost: Arc::new(AtomicUsize::new(0)),
            idle: None,
            said: None,
        }
    }

    /// The notice of ours on the screen now, if the student's own actions
    /// have not replaced it.
    fn showing(&self, app: &App) -> Option<Notice> {
        self.said
            .as_ref()
            .filter(|(_, text)| app.message == *text)
            .map(|(kind, _)| *kind)
    }

    fn say(&mut self, app: &mut App, kind: Notice, text: String) {
        app.notify(text.clone());
        self.said = Some((kind, text));
    }

    /// Put the teacher's moment `b` into this student's run (their own
    /// copy: they do not follow).
    fn take_moment(&mut self, app: &mut App, b: &Broadcast, what: &str) {
        match crate::debugger::saved::restore(&mut app.session, &b.session) {
            Ok(_) => {
                app.moved_from_outside();
                app.message = format!(
                    "{what}: at event {} (your own copy: your keys move it).",
                    app.session.moment().history().len()
                );
            }
            Err(e) => app.message = format!("The teacher's moment did not load: {e}"),
        }
    }

    /// This student's row in the teacher's class view.
    fn publish(&self, app: &App) {
        if self.teacher || self.lesson_name.is_empty() {
            return;
        }
        let (passed, total, exercise, hand, stuck) = match &app.course {
            Some(c) => (
                c.progress.passed(&c.lesson),
                c.lesson.exercises.len(),
                c.current()
                    .map(|e| format!("{}. {}", c.progress.current + 1, e.title))
                    .unwrap_or_default(),
                c.hand,
                c.stuck(),
            ),
            None => (0, 0, "(no exercises)".into(), false, false),
        };
        self.shared.room.publish(crate::tui::class::ClassRow {
            id: self.id,
            who: self.label.clone(),
            lesson: self.lesson_name.clone(),
            passed,
            total,
            exercise,
            state: app.current_name(),
            last_key: self.last_key,
            hand,
            stuck,
        });
    }

    /// A debugger on lesson `i` starts in this session.
    fn enter(&mut self, app: &mut App, i: usize, name: &str) {
        self.lesson = i;
        self.lesson_name = name.to_string();
        self.last = None;
        if let Some(c) = app.course.as_mut() {
            c.hand |= std::mem::take(&mut self.hand);
        }
        if let Some(b) = self.pushed.take() {
            self.take_moment(app, &b, "The teacher moved everyone to this lesson");
        }
        self.publish(app);
        app.class.can_follow = self.class && !self.teacher;
        app.class.following = self.following;
        if self.teacher {
            app.class.followers = Some(self.shared.followers.load(Ordering::SeqCst));
        }
        if self.following {
            // Take the teacher's moment at once.
            self.rx.mark_changed();
        }
    }

    /// The teacher's class view: the rows and the watched screen, fresh.
    fn view_class(&self, app: &mut App) {
        let open = matches!(
            app.mode,
            crate::tui::app::Mode::Class { .. } | crate::tui::app::Mode::Watch
        );
        let watching = if open { app.class.watching } else { None };
        app.class.hands = self.shared.room.hands();
        let (rows, screen) = self.shared.room.view(watching);
        if open {
            app.class.rows = rows;
            if screen.is_some() {
                app.class.screen = screen;
            }
        }
    }

    fn set_following(&mut self, on: bool) {
        if on == self.following {
            return;
        }
        self.following = on;
        if on {
            self.shared.followers.fetch_add(1, Ordering::SeqCst);
            self.rx.mark_changed();
        } else {
            self.shared.followers.fetch_sub(1, Ordering::SeqCst);
        }
        self.shared.followers_changed.notify_waiters();
    }
}

impl Drop for ClassHooks {
    fn drop(&mut self) {
        self.shared.room.leave(self.id);
        self.shared.cpu.left(self.id);
        self.set_following(false);
        if self.teacher {
            self.shared.broadcast.send_replace(Some(Arc::new(Broadcast {
                lesson: self.lesson,
                session: serde_json::Value::Null,
                left: true,
            })));
        }
    }
}

/// How a session is told keys were dropped.
const LOST: &str = "they came faster than this session takes them";

/// How a session is told it waits for its share of the CPU.
const SLOWED: &str = "This session has used its share of the server's CPU";

/// CPU a session may spend at once before its share applies.
const CPU_BURST: std::time::Duration = std::time::Duration::from_secs(2);

/// CPU a session may spend at once while the class's total holds it below
/// its own share.
const CLASS_BURST: std::time::Duration = std::time::Duration::from_millis(250);

impl crate::tui::Hooks for ClassHooks {
    fn pressed(&mut self) {
        self.last_key = std::time::Instant::now();
    }

    fn pace(&mut self, app: &mut App) -> Option<std::time::Duration> {
        let (pace, own) = self.pace.as_mut()?;
        let now = std::time::Instant::now();
        // Its own share, or its part of the class's when many want more.
        let share = self.shared.cpu.share(*own, now);
        // Held below its own share by the class's total: a small burst, or
        // the total is spent from bursts (a session a little past its part
        // takes a minute to drain 2 s).
        let burst = if share < *own { CLASS_BURST } else { CPU_BURST };
        pace.set_share(share, burst);
        let wait = pace.spend(crate::budget::Pace::thread_cpu()?, now);
        self.shared.cpu.used(self.id, pace.spent(), now);
        if let Some(w) = wait {
            self.shared.cpu.waits(self.id, w, now);
        }
        match wait {
            Some(w) => {
                let first = !self.slowed;
                if first {
                    self.slowed = true;
                    self.log_slowed(now);
                }
                // Said at first, and kept true while the notice shows (keys
                // pressed during a wait are taken after it, each a wait; a
                // frame's few milliseconds are not worth saying).
                // Keys lost stay said: the student learns why more than the
                // wait (the log has both).
                let showing = self.showing(app);
                if (first && showing != Some(Notice::Lost))
                    || (showing == Some(Notice::Slowed) && w >= std::time::Duration::from_secs(1))
                {
                    // Whole seconds past one: "21 s", not "21161 ms".
                    let w = if w >= std::time::Duration::from_secs(1) {
                        std::time::Duration::from_secs(w.as_secs_f64().round() as u64)
                    } else {
                        w
                    };
                    let text = format!(
                        "{SLOWED}: it waits {} (the class goes on).",
                        crate::budget::show_time(w)
                    );
                    self.say(app, Notice::Slowed, text);
                }
            }
            None if self.slowed => {
                self.slowed = false;
                // Said while it waited: not true any more.
                if self.showing(app) == Some(Notice::Slowed) {
                    self.say(app, Notice::Back, "Back to full speed.".into());
                }
            }
            None => {}
        }
        wait
    }

    fn drawn(&mut self, screen: &ratatui::buffer::Buffer) {
        if !self.teacher {
            self.shared.room.drawn(self.id, screen);
        }
    }

    fn after(&mut self, app: &mut App) {
        let lost = self.lost.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let text = format!(
                "{lost} key{} lost: {LOST} (the last {} are kept; a paste is kept whole).",
                if lost == 1 { " was" } else { "s were" },
                Inbox::<Event>::LIMIT
            );
            self.say(app, Notice::Lost, text);
            if let Some((log, name)) = &self.log {
                // A flood of keys is a line a second in the log, not one
                // per turn (the log is bounded: it would push out the rest).
                log.line_at_most_each_second(
                    "input dropped",
                    &format!("{name}: {lost} input event(s) dropped (the queue was full)"),
                );
            }
        }
        if self.teacher {
            if app.class.push {
                app.class.push = false;
                let n = self.shared.room.view(None).0.len();
                self.shared.push.send_replace(Some(Arc::new(Broadcast {
                    lesson: self.lesson,
                    session: app.session_json(),
                    left: false,
                })));
                app.message = format!(
                    "Your lesson and moment went to {n} student{} (they do not follow).",
                    if n == 1 { "" } else { "s" }
                );
            }
            self.view_class(app);
            let doc = app.session_json();
            if self.last.as_ref() != Some(&doc) {
                self.shared.broadcast.send_replace(Some(Arc::new(Broadcast {
                    lesson: self.lesson,
                    session: doc.clone(),
                    left: false,
                })));
                self.last = Some(doc);
            }
            app.class.followers = Some(self.shared.followers.load(Ordering::SeqCst));
        } else {
            self.set_following(app.class.following);
            self.publish(app);
        }
    }

    async fn outside(&mut self) {
        if self.teacher {
            // The class view's idle times move on their own: once a second.
            tokio::select! {
                _ = self.shared.followers_changed.notified() => {}
                _ = self.shared.room.changed.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        } else {
            let following = self.following;
            let idle_ends = self
                .idle
                .map(|d| tokio::time::Instant::from_std(self.last_key + d));
            tokio::select! {
                _ = tokio::time::sleep_until(idle_ends.unwrap_or_else(tokio::time::Instant::now)), if idle_ends.is_some() => {}
                r = self.rx.changed(), if following => {
                    if r.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
                r = self.push.changed() => {
                    if r.is_err() {
                        std::future::pending::<()>().await;
                    }
                    // (changed() marks the push seen: remember it is new.)
                    self.push_new = true;
                }
                _ = self.shared.room.watch_started.notified() => {}
            }
        }
    }

    fn apply(&mut self, app: &mut App) -> bool {
        if let Some(idle) = self.idle.filter(|d| self.last_key.elapsed() >= *d) {
            if !app.quit {
                app.quit = true;
                if let Some((log, name)) = &self.log {
                    log.line(&format!(
                        "{name}: ended: no key pressed for {} (--idle-timeout)",
                        crate::budget::show_time(idle)
                    ));
                }
            }
            return false;
        }
        if self.teacher {
            app.class.followers = Some(self.shared.followers.load(Ordering::SeqCst));
            self.view_class(app);
            return true;
        }
        if self.shared.room.wants_frame(self.id) {
            // The teacher started watching: a frame now, not at the next key.
            return true;
        }
        if std::mem::take(&mut self.push_new) {
            let pushed = self.push.borrow_and_update().clone();
            if let Some(b) = pushed {
                if b.lesson != self.lesson {
                    // The debugger ends here and opens the teacher's lesson,
                    // at the teacher's moment.
                    self.pushed = Some(b);
                    self.switch = self.pushed.as_ref().map(|b| b.lesson);
                    app.quit = true;
                } else if !self.following {
                    self.take_moment(app, &b, "The teacher moved everyone here");
                }
                return true;
            }
        }
        if !self.following {
            return false;
        }
        let Some(b) = self.rx.borrow_and_update().clone() else {
            app.message = "Following the teacher, who has not opened a lesson yet.".into();
            return true;
        };
        if b.left {
            app.class.following = false;
            self.set_following(false);
            app.message =
                "The teacher left the class: no longer following; this copy is yours.".into();
            return true;
        }
        if b.lesson != self.lesson {
            // The debugger ends here and opens the teacher's lesson.
            self.switch = Some(b.lesson);
            app.quit = true;
            return true;
        }
        match crate::debugger::saved::restore(&mut app.session, &b.session) {
            Ok(r) => {
                app.watches = r
                    .watches
                    .iter()
                    .filter_map(|w| crate::debugger::watch::Watch::new(w).ok())
                    .collect();
                app.moved_from_outside();
                app.message = format!(
                    "Following the teacher: at event {}. F: your own copy from here.",
                    app.session.moment().history().len()
                );
            }
            Err(e) => app.message = format!("The teacher's session did not load: {e}"),
        }
        true
    }
}

/// The lesson picker: ↑/↓ and Enter; q or Esc ends the session.
async fn pick(
    term: &mut Terminal<RemoteBackend<crate::tui::screen::Sixteen<ChannelWriter>>>,
    lessons: &[Lesson],
    input: &mut Remote,
    size: &mut (u16, u16),
    idle: Option<std::time::Duration>,
) -> Option<usize> {
    use crate::tui::picker::{Picked, Picker};
    use crate::tui::Input;
    let items: Vec<(String, String)> = lessons
        .iter()
        .map(|l| (l.name.clone(), l.description.clone()))
        .collect();
    let mut picker = Picker::new(
        &items,
        " asldbg class — pick a lesson (↑/↓, Enter; q leaves) ",
    );
    // A student who presses nothing for the idle timeout leaves: only keys
    // count (a client's keepalives keep the connection itself busy, and a
    // script can send resizes as well as it can send keepalives).
    let mut last_key = tokio::time::Instant::now();
    loop {
        if term.draw(|f| picker.draw(f)).is_err() {
            return None;
        }
        let next = match idle {
            Some(d) => match tokio::time::timeout_at(last_key + d, input.next()).await {
                Ok(e) => e,
                Err(_) => {
                    input.who.log.line(&format!(
                        "{}: ended at the lesson picker: no key pressed for {} (--idle-timeout)",
                        input.who.name,
                        crate::budget::show_time(d)
                    ));
                    return None;
                }
            },
            None => input.next().await,
        };
        if let Some(Ok(Event::Key(_) | Event::Paste(_))) = &next {
            last_key = tokio::time::Instant::now();
        }
        match next? {
            Ok(Event::Resize(w, h)) => {
                *size = (w, h);
                term.backend_mut().resized(w, h);
                let _ = term.resize(Rect::new(0, 0, w, h));
            }
            Ok(Event::FocusGained) => {
                let _ = term.clear();
            }
            Ok(Event::Key(k)) => match picker.key(k) {
                Some(Picked::Item(i)) => return Some(i),
                Some(Picked::Leave) => return None,
                None => {}
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_whole_json_while_it_is_written_and_after_it_ends() {
        let dir = std::env::temp_dir().join(format!("asldbg-record-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = Arc::new(Log::new(None, u64::MAX).unwrap());
        let total = Arc::new(RecordTotal::new(1 << 20));
        let rec = Recording {
            dir: dir.clone(),
            user: "class".into(),
            cap: 1 << 20,
            total: total.clone(),
        };
        let read = |r: &RecordFile| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(&r.file).unwrap()).unwrap()
        };
        let mut r = RecordFile::open(&rec, &log).unwrap();
        assert_eq!(read(&r)["unfinished"], true);
        r.event("key j");
        r.event("key k");
        // As a server killed now leaves it.
        let now = read(&r);
        assert_eq!(now["unfinished"], true);
        assert_eq!(now["events"].as_array().unwrap().len(), 2, "{now}");
        let file = r.file.clone();
        r.finish(Some((
            "wait".into(),
            serde_json::json!({"v": 1}),
            serde_json::json!([]),
        )));
        let done: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(done["lesson"], "wait");
        assert_eq!(done["events"][1]["event"], "key k");
        assert!(done.get("unfinished").is_none(), "{done}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_class_summary_counts_toward_the_record_total_and_the_log_says_when_it_is_reached() {
        let dir = std::env::temp_dir().join(format!("asldbg-summary-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = Log::new(None, u64::MAX).unwrap();
        let total = RecordTotal::new(100);
        let files = |n: usize| [("class.json", "j".repeat(n)), ("class.txt", "t".repeat(n))];
        total.write_summary(&dir, &files(30), &log);
        assert_eq!(
            std::fs::read_to_string(dir.join("class.txt"))
                .unwrap()
                .len(),
            30
        );
        // Written over: only what it grows by is taken (60 of 100, then 80).
        total.write_summary(&dir, &files(40), &log);
        assert_eq!(
            std::fs::read_to_string(dir.join("class.txt"))
                .unwrap()
                .len(),
            40
        );
        assert!(log.kept.lock().unwrap().is_empty());
        // Past the total: not written, and the log says so once.
        total.write_summary(&dir, &files(60), &log);
        total.write_summary(&dir, &files(70), &log);
        assert_eq!(
            std::fs::read_to_string(dir.join("class.txt"))
                .unwrap()
                .len(),
            40
        );
        let kept = log.kept.lock().unwrap().clone();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept[0].contains("--record-total reached"), "{kept:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_bundled_sample_is_a_lesson() {
        for s in crate::samples::SAMPLES {
            let l = Lesson::sample(s).unwrap();
            let app = l.app(
                Default::default(),
                Look::for_terminal(Some("xterm-256color")),
            );
            assert_eq!(app.title, s.name);
        }
    }

    #[test]
    fn a_made_host_key_is_kept_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("asldbg-hostkey-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = dir.join("host_ed25519");
        let made = host_key(&file).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = host_key(&file).unwrap();
        assert_eq!(made.public_key(), again.public_key());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
