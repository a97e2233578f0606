//! What keeps a class up against its own room: the server's log, the
//! bound on connections that have not logged in (OpenSSH's `MaxStartups`
//! and `LoginGraceTime`), the slowing of repeated authentication failures
//! from one address, and the count of sessions each student holds.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Something said at most once each period: [`Every::due`] answers
/// whether it is time, and how many times it went unsaid since.
#[derive(Debug)]
pub struct Every {
    period: Duration,
    last: Option<(Instant, u32)>,
}

impl Every {
    pub fn new(period: Duration) -> Every {
        Every { period, last: None }
    }

    /// `Some(unsaid)` when it should be said now, `unsaid` being how many
    /// times it was due to be said since it last was; `None` otherwise.
    pub fn due(&mut self, now: Instant) -> Option<u32> {
        match &mut self.last {
            Some((at, unsaid)) if now.duration_since(*at) < self.period => {
                *unsaid += 1;
                None
            }
            last => {
                let unsaid = last.map_or(0, |(_, n)| n);
                *last = Some((now, 0));
                Some(unsaid)
            }
        }
    }
}

/// The server's log: one line an event, on standard error and, with
/// `--log FILE`, appended to that file.
pub struct Log {
    file: Option<Mutex<LogFile>>,
    /// Lines of one kind written at most once a second.
    quiet: Mutex<HashMap<&'static str, Every>>,
    /// Lines are also kept here (tests).
    #[cfg(test)]
    pub kept: Mutex<Vec<String>>,
}

/// The `--log` file: past `limit` bytes it is moved to `FILE.1` (the
/// one before dropped) and a new one begins, so a flood of logins over
/// days cannot fill the disk (the log takes at most twice the limit).
struct LogFile {
    path: std::path::PathBuf,
    out: std::fs::File,
    size: u64,
    limit: u64,
}

impl LogFile {
    fn open(path: &Path, limit: u64) -> std::io::Result<LogFile> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let size = out.metadata()?.len();
        Ok(LogFile {
            path: path.to_path_buf(),
            out,
            size,
            limit,
        })
    }

    fn write(&mut self, line: &str) {
        if self.size > 0 && self.size + line.len() as u64 > self.limit {
            let mut old = self.path.clone().into_os_string();
            old.push(".1");
            let turned = std::fs::rename(&self.path, &old)
                .and_then(|_| LogFile::open(&self.path, self.limit));
            match turned {
                Ok(new) => *self = new,
                // Could not start anew: stop writing rather than grow.
                Err(_) => return,
            }
        }
        if self.out.write_all(line.as_bytes()).is_ok() {
            self.size += line.len() as u64;
        }
    }
}

impl Log {
    /// The log on standard error, and appended to `file` (kept under
    /// `limit` bytes, the previous `limit` in `FILE.1`).
    pub fn new(file: Option<&Path>, limit: u64) -> Result<Log, String> {
        let file = match file {
            Some(f) => Some(Mutex::new(
                LogFile::open(f, limit).map_err(|e| format!("--log {}: {e}", f.display()))?,
            )),
            None => None,
        };
        Ok(Log {
            file,
            quiet: Mutex::new(HashMap::new()),
            #[cfg(test)]
            kept: Mutex::new(Vec::new()),
        })
    }

    /// Write a line of kind `kind` at most once a second (a flood of the
    /// same failure is one line a second, with how many it stands for).
    pub fn line_at_most_each_second(&self, kind: &'static str, text: &str) {
        let held = {
            let mut q = self.quiet.lock().unwrap_or_else(|e| e.into_inner());
            let every = q
                .entry(kind)
                .or_insert_with(|| Every::new(Duration::from_secs(1)));
            match every.due(Instant::now()) {
                Some(held) => held,
                None => return,
            }
        };
        if held > 0 {
            self.line(&format!(
                "{text} (and {held} more like it in the last second)"
            ));
        } else {
            self.line(text);
        }
    }

    /// Write one line, stamped with the time (UTC, to the second).
    pub fn line(&self, text: &str) {
        let stamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
        // A student's text (a user name) never breaks a line in two.
        let text: String = text
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        let line = format!("{stamp} asldbg serve: {text}\n");
        crate::output::err(&line);
        if let Some(f) = &self.file {
            if let Ok(mut f) = f.lock() {
                f.write(&line);
            }
        }
        #[cfg(test)]
        if let Ok(mut k) = self.kept.lock() {
            k.push(text);
        }
    }
}

/// Ends a connection from outside, whatever it waits for: its reads and
/// writes fail from then on, so the SSH session reading it ends and the
/// socket is closed (asking the session to disconnect is not enough: in
/// the middle of a key exchange it reads before it looks at requests).
#[derive(Default)]
pub struct KillSwitch {
    dead: std::sync::atomic::AtomicBool,
    waker: Mutex<Option<std::task::Waker>>,
}

impl KillSwitch {
    pub fn kill(&self) {
        self.dead.store(true, std::sync::atomic::Ordering::SeqCst);
        let w = self.waker.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = w {
            w.wake();
        }
    }

    fn dead(&self) -> bool {
        self.dead.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A stream that its [`KillSwitch`] can end, read at a pace past a burst:
/// everything a client sends — keys, but also packets the SSH layer takes
/// without asking the server (`SSH_MSG_IGNORE`, keepalives) — is decrypted
/// at most this fast, the rest waiting in its own socket.
pub struct Killable<S> {
    inner: S,
    switch: Arc<KillSwitch>,
    pace: crate::budget::Bucket,
    /// Until when the next read waits (what was read is past the pace).
    wait: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Killable<S> {
    /// `inner`, ended by `switch`, read at `rate` bytes a second past
    /// `burst`.
    pub fn new(inner: S, switch: Arc<KillSwitch>, rate: f64, burst: f64) -> Killable<S> {
        Killable {
            inner,
            switch,
            pace: crate::budget::Bucket::new(rate, burst),
            wait: None,
        }
    }
}

fn killed() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "closed by the server",
    )
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Killable<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.switch.dead() {
            return std::task::Poll::Ready(Err(killed()));
        }
        if let Ok(mut w) = self.switch.waker.lock() {
            *w = Some(cx.waker().clone());
        }
        // Killed between the look and the waker's registration.
        if self.switch.dead() {
            return std::task::Poll::Ready(Err(killed()));
        }
        if let Some(wait) = self.wait.as_mut() {
            use std::future::Future as _;
            std::task::ready!(wait.as_mut().poll(cx));
            self.wait = None;
        }
        let before = buf.filled().len();
        let read = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = read {
            let n = buf.filled().len() - before;
            if let Some(w) = self.pace.take(n as f64, std::time::Instant::now()) {
                self.wait = Some(Box::pin(tokio::time::sleep(w)));
            }
        }
        read
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Killable<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.switch.dead() {
            return std::task::Poll::Ready(Err(killed()));
        }
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Bounds on connections that have not logged in yet.
#[derive(Clone, Copy, Debug)]
pub struct StartupLimits {
    /// At most this many at once; a new one pushes out the oldest of those
    /// that got least far (see [`Stage`]).
    pub total: usize,
    /// At most this many from one address; a new one pushes out that
    /// address's oldest of those that got least far.
    pub per_address: usize,
    /// Time from the connection to a successful login.
    pub grace: Duration,
}

impl Default for StartupLimits {
    fn default() -> StartupLimits {
        StartupLimits {
            total: 128,
            per_address: 32,
            grace: Duration::from_secs(30),
        }
    }
}

/// How far a connection not logged in has got. Connections are pushed
/// out least far first: a flood that opens connections and says nothing
/// (or greets and stalls) from a classroom's shared address pushes out
/// its own, not the student sitting at the password prompt behind the
/// same address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Stage {
    /// Connected: no SSH greeting yet.
    Connected = 0,
    /// Greeted: keys being exchanged, no login tried yet.
    Greeted = 1,
    /// A login was tried (a key offered, a password asked for).
    LoggingIn = 2,
}

/// A connection's [`Stage`], moved on by whoever sees it get further.
#[derive(Clone, Default)]
pub struct Progress(Arc<std::sync::atomic::AtomicU8>);

impl Progress {
    /// It got at least as far as `stage`.
    pub fn reached(&self, stage: Stage) {
        self.0
            .fetch_max(stage as u8, std::sync::atomic::Ordering::Relaxed);
    }
    fn stage(&self) -> u8 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

struct Waiting {
    id: u64,
    ip: IpAddr,
    evict: Arc<Notify>,
    progress: Progress,
}

#[derive(Default)]
struct Table {
    next: u64,
    /// Oldest first.
    waiting: VecDeque<Waiting>,
}

/// The connections that have not logged in yet.
#[derive(Default)]
pub struct Startups {
    table: Mutex<Table>,
}

/// One connection's place among those not logged in: it leaves when
/// dropped (logged in, or gone). `evicted` resolves when a newer
/// connection took its place.
pub struct Slot {
    startups: Arc<Startups>,
    id: u64,
    pub evict: Arc<Notify>,
    pub progress: Progress,
}

impl Table {
    /// The waiting connection to push out when the table is full: one of
    /// the address holding the most places (counting `newcomer`'s), the
    /// least far and oldest of those. A flood from many addresses then
    /// pushes out its own before a student's single connection: only when
    /// every address holds as few as the student's does theirs take its
    /// turn.
    fn fairest(&self, newcomer: Option<IpAddr>) -> Option<usize> {
        let mut held: HashMap<IpAddr, usize> = HashMap::new();
        for w in &self.waiting {
            *held.entry(w.ip).or_default() += 1;
        }
        if let Some(ip) = newcomer {
            *held.entry(ip).or_default() += 1;
        }
        let most = held.values().copied().max()?;
        self.least_far(|w| held.get(&w.ip) == Some(&most))
    }

    /// The waiting connection to push out among those `from` accepts: the
    /// least far, the oldest of those.
    fn least_far(&self, from: impl Fn(&Waiting) -> bool) -> Option<usize> {
        self.waiting
            .iter()
            .enumerate()
            .filter(|(_, w)| from(w))
            .min_by_key(|(i, w)| (w.progress.stage(), *i))
            .map(|(i, _)| i)
    }
}

impl Startups {
    /// Take a place for a connection from `ip`; the places of the
    /// connections pushed out to make room are told so. Returns the slot
    /// and how many were pushed out.
    pub fn enter(self: &Arc<Self>, ip: IpAddr, limits: StartupLimits) -> (Slot, usize) {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let mut pushed = 0;
        let from_ip = t.waiting.iter().filter(|w| w.ip == ip).count();
        if from_ip >= limits.per_address.max(1) {
            if let Some(w) = t
                .least_far(|w| w.ip == ip)
                .and_then(|i| t.waiting.remove(i))
            {
                w.evict.notify_one();
                pushed += 1;
            }
        }
        while t.waiting.len() >= limits.total.max(1) {
            match t.fairest(Some(ip)).and_then(|i| t.waiting.remove(i)) {
                Some(w) => {
                    w.evict.notify_one();
                    pushed += 1;
                }
                None => break,
            }
        }
        let id = t.next;
        t.next += 1;
        let evict = Arc::new(Notify::new());
        let progress = Progress::default();
        t.waiting.push_back(Waiting {
            id,
            ip,
            evict: evict.clone(),
            progress: progress.clone(),
        });
        (
            Slot {
                startups: self.clone(),
                id,
                evict,
                progress,
            },
            pushed,
        )
    }

    /// Push out an eighth of the waiting connections, at least one, from
    /// the addresses holding most, least far first (to free their file descriptors when accepting fails for
    /// want of one); how many went.
    pub fn evict_oldest(&self) -> usize {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let n = (t.waiting.len() / 8).max(1).min(t.waiting.len());
        for _ in 0..n {
            if let Some(w) = t.fairest(None).and_then(|i| t.waiting.remove(i)) {
                w.evict.notify_one();
            }
        }
        n
    }

    /// How many wait now.
    pub fn waiting(&self) -> usize {
        self.table.lock().map(|t| t.waiting.len()).unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut t) = self.startups.table.lock() {
            if let Some(i) = t.waiting.iter().position(|w| w.id == self.id) {
                t.waiting.remove(i);
            }
        }
    }
}

/// Password attempts by address (as OpenSSH's per-source penalties: not by
/// user name, which every student of a class may share, so that a guesser
/// elsewhere cannot lock them out). Each attempt is taken as a failure
/// until it succeeds, and takes the next turn of its address: the first
/// two at once, then each 250 ms after the one
/// before, doubling to 16 s (as OpenSSH slows guessing). A password is
/// checked only at its turn, so connections opened side by side wait in
/// one queue instead of guessing at once. A turn further off than the
/// login grace time is not given: the attempt is refused unchecked, and
/// the queue does not grow. A success takes back its own attempt only: it
/// forgives no other (a student's own login, or a guesser's with a
/// password of their own, must not reset the count of guesses at another
/// user from that address). Failures are forgiven with time instead, one
/// for each 30 s without an attempt, all after ten minutes.
///
/// Keys are not counted: offering a public key is no guess at a secret,
/// and students behind one address (a school's NAT) offer the keys their
/// agents hold before the one the class knows. russh's own bound on the
/// attempts of one connection (10) holds for them.
#[derive(Default)]
pub struct Failures {
    by: Mutex<HashMap<String, Source>>,
}

/// One address's or one user's attempts.
struct Source {
    /// Attempts not followed by a success.
    count: u32,
    /// The earliest turn the next attempt may take.
    next: Instant,
    /// The last attempt.
    at: Instant,
}

/// Past this many remembered sources, those not heard from for a while go.
const FAILURES_KEPT: usize = 10_000;
const FORGET_AFTER: Duration = Duration::from_secs(600);
/// One failure is forgiven for each this long without an attempt.
const FORGIVE_EVERY: Duration = Duration::from_secs(30);

/// When a password attempt may be checked.
#[derive(Debug, PartialEq, Eq)]
pub enum Turn {
    /// After this wait.
    After(Duration),
    /// Not before this long: more than the attempt's connection may wait.
    TooFar(Duration),
}

impl Failures {
    /// The queue an attempt waits in: its address's (its user's only
    /// where the address is not known).
    fn key(ip: Option<IpAddr>, user: &str) -> String {
        match ip {
            Some(ip) => format!("ip {ip}"),
            None => format!("user {user}"),
        }
    }

    /// A password attempt from `ip` as `user`, whose connection may wait
    /// at most `most`: when its password may be checked.
    pub fn attempt(&self, ip: Option<IpAddr>, user: &str, most: Duration) -> Turn {
        self.attempt_at(ip, user, most, Instant::now())
    }

    fn attempt_at(&self, ip: Option<IpAddr>, user: &str, most: Duration, now: Instant) -> Turn {
        let mut by = self.by.lock().unwrap_or_else(|e| e.into_inner());
        if by.len() > FAILURES_KEPT {
            by.retain(|_, s| now.duration_since(s.at) < FORGET_AFTER);
        }
        let s = by.entry(Self::key(ip, user)).or_insert(Source {
            count: 0,
            next: now,
            at: now,
        });
        let quiet = now.duration_since(s.at);
        if quiet > FORGET_AFTER {
            // Forgotten: a fresh queue.
            s.count = 0;
            s.next = now;
        } else {
            let forgiven = quiet.as_secs() / FORGIVE_EVERY.as_secs();
            s.count = s.count.saturating_sub(forgiven.min(u32::MAX as u64) as u32);
        }
        let turn = s.next.max(now);
        let wait = turn - now;
        if wait > most {
            return Turn::TooFar(wait);
        }
        s.count = s.count.saturating_add(1);
        s.at = now;
        s.next = turn + delay(s.count);
        Turn::After(wait)
    }

    /// A password login succeeded from `ip` as `user`: its attempt was no
    /// failure (the others stay counted).
    pub fn succeeded(&self, ip: Option<IpAddr>, user: &str) {
        let mut by = self.by.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = by.get_mut(&Self::key(ip, user)) {
            s.count = s.count.saturating_sub(1);
        }
    }
}

/// The wait after the `n`th failure in a row: none for the first (a
/// client tries its keys one by one), then 250 ms doubling to 16 s.
pub fn delay(n: u32) -> Duration {
    match n {
        0 | 1 => Duration::ZERO,
        n => Duration::from_millis(250u64 << (n - 2).min(6)),
    }
}

/// Sessions held by each student (a key's fingerprint, or the user name
/// of a password login).
#[derive(Default)]
pub struct Seats {
    held: Mutex<HashMap<String, usize>>,
}

/// A student's seat, given back when dropped.
pub struct Seat {
    seats: Arc<Seats>,
    who: String,
}

impl Seats {
    /// A seat for `who` if they hold fewer than `max`.
    pub fn take(self: &Arc<Self>, who: &str, max: usize) -> Option<Seat> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let n = held.entry(who.to_string()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Seat {
            seats: self.clone(),
            who: who.to_string(),
        })
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        if let Ok(mut held) = self.seats.held.lock() {
            if let Some(n) = held.get_mut(&self.who) {
                *n -= 1;
                if *n == 0 {
                    held.remove(&self.who);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn something_said_every_period_counts_what_went_unsaid() {
        let mut e = Every::new(Duration::from_secs(10));
        let t = Instant::now();
        assert_eq!(e.due(t), Some(0));
        // Seven more within the period: none said.
        for i in 1..=7 {
            assert_eq!(e.due(t + Duration::from_millis(500 * i)), None);
        }
        // The next after the period says how many it stands for.
        assert_eq!(e.due(t + Duration::from_secs(10)), Some(7));
        assert_eq!(e.due(t + Duration::from_secs(11)), None);
        assert_eq!(e.due(t + Duration::from_secs(30)), Some(1));
    }

    #[test]
    fn a_killed_stream_ends_a_read_that_waits() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use tokio::io::AsyncReadExt;
            // The other end never writes.
            let (a, _b) = tokio::io::duplex(64);
            let switch = Arc::new(KillSwitch::default());
            let mut k = Killable::new(a, switch.clone(), 1e9, 1e9);
            let s2 = switch.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                s2.kill();
            });
            let mut buf = [0u8; 8];
            let r = tokio::time::timeout(Duration::from_secs(5), k.read(&mut buf)).await;
            assert!(matches!(r, Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionAborted));
        });
    }

    #[test]
    fn a_stream_is_read_at_its_pace_past_its_burst() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (a, mut b) = tokio::io::duplex(1 << 16);
            let switch = Arc::new(KillSwitch::default());
            // 10 KB a second past a burst of 10 KB.
            let mut k = Killable::new(a, switch.clone(), 10_000.0, 10_000.0);
            tokio::spawn(async move {
                let chunk = [7u8; 1000];
                while b.write_all(&chunk).await.is_ok() {}
            });
            let t0 = std::time::Instant::now();
            let mut got = 0;
            let mut buf = [0u8; 1000];
            // The burst comes at once, then 5 KB more take about half a
            // second.
            while got < 15_000 {
                got += k.read(&mut buf).await.unwrap();
            }
            let took = t0.elapsed();
            assert!(took >= Duration::from_millis(400), "{took:?}");
            assert!(took < Duration::from_secs(3), "{took:?}");
            // A wait is ended by the switch like any read.
            switch.kill();
            let r = tokio::time::timeout(Duration::from_secs(5), k.read(&mut buf)).await;
            assert!(matches!(r, Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionAborted));
        });
    }

    #[test]
    fn a_full_table_pushes_out_the_oldest_and_an_address_its_own_oldest() {
        let s = Arc::new(Startups::default());
        let limits = StartupLimits {
            total: 3,
            per_address: 2,
            grace: Duration::from_secs(1),
        };
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.1".parse().unwrap();
        let (a1, n) = s.enter(a, limits);
        assert_eq!(n, 0);
        let (_a2, _) = s.enter(a, limits);
        // A third from a: a1 goes, not b's.
        let (_a3, n) = s.enter(a, limits);
        assert_eq!(n, 1);
        assert_eq!(s.waiting(), 2);
        drop(a1);
        assert_eq!(s.waiting(), 2, "a pushed-out slot leaves once");
        let (b1, n) = s.enter(b, limits);
        assert_eq!((n, s.waiting()), (0, 3));
        let (_b2, n) = s.enter(b, limits);
        assert_eq!((n, s.waiting()), (1, 3), "full: the oldest (a2) goes");
        drop(b1);
        assert_eq!(s.waiting(), 2);
    }

    #[test]
    fn a_flood_from_many_addresses_pushes_out_its_own_before_a_student() {
        let s = Arc::new(Startups::default());
        let limits = StartupLimits {
            total: 128,
            per_address: 32,
            grace: Duration::from_secs(30),
        };
        let flood: Vec<IpAddr> = (1..=40)
            .map(|i| format!("127.1.0.{i}").parse().unwrap())
            .collect();
        let pushed = |slot: &Slot| {
            let t = s.table.lock().unwrap();
            !t.waiting.iter().any(|w| w.id == slot.id)
        };
        // The flood fills the table, each connection at the password
        // prompt (as far as a connection gets without a login).
        let mut held = Vec::new();
        for i in 0..128 {
            let (slot, _) = s.enter(flood[i % 40], limits);
            slot.progress.reached(Stage::LoggingIn);
            held.push(slot);
        }
        // A student from the classroom comes in, just connected; the flood
        // goes on reconnecting as fast as it is pushed out.
        let room: IpAddr = "127.0.0.1".parse().unwrap();
        let (student, n) = s.enter(room, limits);
        assert_eq!(n, 1, "the table was full: one of the flood's went");
        for i in 0..1000 {
            let (slot, _) = s.enter(flood[i % 40], limits);
            slot.progress.reached(Stage::LoggingIn);
            held.push(slot);
            assert!(!pushed(&student), "after {i} more from the flood");
        }
        assert_eq!(s.waiting(), 128);
    }

    #[test]
    fn those_that_got_least_far_are_pushed_out_first() {
        let s = Arc::new(Startups::default());
        let limits = StartupLimits {
            total: 4,
            per_address: 3,
            grace: Duration::from_secs(1),
        };
        let room: IpAddr = "10.0.0.1".parse().unwrap();
        // A student behind the room's address at the password prompt,
        // then a flood from the same address that never greets.
        let (student, _) = s.enter(room, limits);
        student.progress.reached(Stage::LoggingIn);
        let (greeted, _) = s.enter(room, limits);
        greeted.progress.reached(Stage::Greeted);
        let (silent, _) = s.enter(room, limits);
        let (_flood, n) = s.enter(room, limits);
        assert_eq!(n, 1);
        let pushed = |slot: &Slot| {
            let t = s.table.lock().unwrap();
            !t.waiting.iter().any(|w| w.id == slot.id)
        };
        assert!(pushed(&silent) && !pushed(&greeted) && !pushed(&student));
        // The next from the room: the one that said nothing goes before
        // the one that greeted; the student stays.
        let (flood2, _) = s.enter(room, limits);
        assert!(!pushed(&greeted) && !pushed(&student));
        let (_flood3, _) = s.enter(room, limits);
        assert!(pushed(&flood2) && !pushed(&greeted) && !pushed(&student));
        // Full from elsewhere: again the least far, not the oldest.
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let others: Vec<_> = (0..3).map(|_| s.enter(other, limits).0).collect();
        assert_eq!(s.waiting(), 4);
        assert!(!pushed(&greeted) && !pushed(&student));
        assert!(pushed(&others[0]) && !pushed(&others[2]));
        // Stages only move on.
        student.progress.reached(Stage::Connected);
        assert_eq!(student.progress.stage(), Stage::LoggingIn as u8);
    }

    #[test]
    fn password_attempts_take_turns_doubling_apart_and_only_time_forgives_them() {
        let f = Failures::default();
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        let now = Instant::now();
        let most = Duration::from_secs(30);
        let ms = |n| Turn::After(Duration::from_millis(n));
        // Side by side (one instant): the first two at once, then each a
        // doubling wait after the one before.
        let turns: Vec<Turn> = (0..6)
            .map(|_| f.attempt_at(Some(ip), "a", most, now))
            .collect();
        assert_eq!(turns, [ms(0), ms(0), ms(250), ms(750), ms(1750), ms(3750)]);
        // Another address, for the same user, has its own queue: a guesser
        // cannot lock out the class's shared user name.
        let other: IpAddr = "127.0.0.10".parse().unwrap();
        assert_eq!(f.attempt_at(Some(other), "a", most, now), ms(0));
        // Another user from the first address, in the address's queue.
        assert_eq!(f.attempt_at(Some(ip), "b", most, now), ms(7750));
        // A turn further off than the connection may wait is not given,
        // and does not push the queue.
        let short = Duration::from_secs(10);
        assert!(matches!(
            f.attempt_at(Some(ip), "c", short, now),
            Turn::TooFar(w) if w > short
        ));
        assert!(matches!(
            f.attempt_at(Some(ip), "c", most, now),
            Turn::After(_)
        ));
        // A success takes back its own attempt, and forgives no other: a
        // login of one's own between guesses does not reset them.
        let before = f.by.lock().unwrap()["ip 127.0.0.9"].count;
        f.succeeded(Some(ip), "b");
        assert_eq!(f.by.lock().unwrap()["ip 127.0.0.9"].count, before - 1);
        assert!(matches!(
            f.attempt_at(Some(ip), "d", most, now),
            Turn::TooFar(w) if w > Duration::from_secs(5)
        ));
        // Time forgives: one failure for each 30 s without an attempt.
        let count = f.by.lock().unwrap()["ip 127.0.0.9"].count;
        let _ = f.attempt_at(Some(ip), "e", most, now + Duration::from_secs(95));
        assert_eq!(f.by.lock().unwrap()["ip 127.0.0.9"].count, count - 3 + 1);
        // Ten minutes later nothing is remembered.
        let later = now + FORGET_AFTER + Duration::from_secs(60);
        assert_eq!(f.attempt_at(Some(other), "a", most, later), ms(0));
        assert_eq!(delay(40), Duration::from_secs(16));
    }

    #[test]
    fn a_student_holds_at_most_max_seats_and_gets_them_back() {
        let s = Arc::new(Seats::default());
        let one = s.take("SHA256:x", 2).unwrap();
        let _two = s.take("SHA256:x", 2).unwrap();
        assert!(s.take("SHA256:x", 2).is_none());
        assert!(s.take("SHA256:y", 2).is_some());
        drop(one);
        assert!(s.take("SHA256:x", 2).is_some());
    }

    #[test]
    fn a_flood_of_one_kind_of_line_is_one_line_a_second() {
        let log = Log::new(None, u64::MAX).unwrap();
        for _ in 0..100 {
            log.line_at_most_each_second("accept", "accepting failed");
        }
        assert_eq!(log.kept.lock().unwrap().len(), 1);
        std::thread::sleep(Duration::from_millis(1100));
        log.line_at_most_each_second("accept", "accepting failed");
        let kept = log.kept.lock().unwrap();
        assert_eq!(kept.len(), 2);
        assert!(kept[1].contains("and 99 more like it"), "{kept:?}");
    }

    #[test]
    fn the_log_file_past_its_limit_turns_over_to_file_1() {
        let dir = std::env::temp_dir().join(format!("asldbg-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("serve.log");
        // What an earlier run left counts towards the limit.
        std::fs::write(&path, "x".repeat(150)).unwrap();
        let log = Log::new(Some(&path), 300).unwrap();
        for i in 0..20 {
            log.line(&format!("connection {i}"));
        }
        let now = std::fs::read_to_string(&path).unwrap();
        let before = std::fs::read_to_string(dir.join("serve.log.1")).unwrap();
        assert!(
            now.len() <= 300 && before.len() <= 300,
            "{now:?} {before:?}"
        );
        assert!(now.ends_with("connection 19\n"), "{now:?}");
        assert!(
            !before.starts_with('x'),
            "turned over more than once: {before:?}"
        );
        // Every line is whole, in one file or the other.
        for l in now.lines().chain(before.lines()) {
            assert!(l.contains("asldbg serve: connection "), "{l:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_log_line_cannot_be_split_by_what_a_client_sent() {
        let log = Log::new(None, u64::MAX).unwrap();
        log.line("auth failed for user \"a\nFAKE line\"");
        let kept = log.kept.lock().unwrap();
        assert_eq!(kept.len(), 1);
        assert!(!kept[0].contains('\n'));
    }
}
