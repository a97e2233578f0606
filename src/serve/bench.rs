//! `asldbg bench --serve`: a class on this machine. The server runs in this
//! process; real OpenSSH clients (`ssh -tt`, one process each) connect,
//! open the credit-card lesson and step through it, a key every
//! `pace`; each key press is timed to the end of the frame it brings (the
//! synchronized-update end every frame is wrapped in). Memory is this
//! process's resident size with every session open, less before.

use super::{serve, Config, Lesson};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

/// What a class run measured.
pub struct Report {
    pub clients: usize,
    /// Key press to finished frame, every press of every client, sorted.
    pub latencies: Vec<Duration>,
    /// Resident memory added with every session open (bytes).
    pub memory: u64,
}

impl Report {
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }
}

fn resident() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The end of a frame: every frame is one synchronized update.
const FRAME_END: &[u8] = b"\x1b[?2026l";

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// One student: connect, open the first lesson, press `keys` keys (`s`
/// to its end, then `r` to start over) a `pace` apart; the time of each.
fn student(port: u16, keys: usize, pace: Duration) -> Result<Vec<Duration>, String> {
    let mut child = Command::new("ssh")
        .args(["-tt", "-p", &port.to_string()])
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args([
            "-o",
            "LogLevel=ERROR",
            "-o",
            "BatchMode=yes",
            "class@127.0.0.1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("ssh (the OpenSSH client): {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std_mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    // Bytes until `what` has come (within 20 s).
    let wait = |what: &[u8]| -> Result<(), String> {
        let mut seen = Vec::new();
        let limit = Instant::now() + Duration::from_secs(20);
        while !contains(&seen, what) {
            let left = limit.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(b) => {
                    seen.extend_from_slice(&b);
                    // Keep only a tail that may hold the start of `what`.
                    if seen.len() > 1 << 16 {
                        seen.drain(..seen.len() - what.len());
                    }
                }
                Err(_) => return Err("no answer within 20 s".into()),
            }
        }
        Ok(())
    };
    wait(b"lesson")?;
    // Let the picker's frame finish, then open the lesson.
    std::thread::sleep(Duration::from_millis(50));
    while rx.try_recv().is_ok() {}
    stdin.write_all(b"\r").map_err(|e| e.to_string())?;
    wait(FRAME_END)?;
    let mut times = Vec::with_capacity(keys);
    for i in 0..keys {
        std::thread::sleep(pace);
        while rx.try_recv().is_ok() {}
        // Fifteen steps take credit-card to its end; then it starts over.
        let key: &[u8] = if i % 16 == 15 { b"r" } else { b"s" };
        let t = Instant::now();
        stdin.write_all(key).map_err(|e| e.to_string())?;
        stdin.flush().map_err(|e| e.to_string())?;
        wait(FRAME_END)?;
        times.push(t.elapsed());
    }
    let _ = stdin.write_all(b"q");
    let _ = stdin.flush();
    let _ = child.wait();
    Ok(times)
}

/// `clients` students at once, `keys` key presses each, `pace` apart.
pub fn run(clients: usize, keys: usize, pace: Duration) -> Result<Report, String> {
    let dir = std::env::temp_dir().join(format!("asldbg-class-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let key = super::host_key(&dir.join("host_key"))?;
    let sample = crate::samples::find("credit-card").ok_or("no credit-card sample")?;
    let config = Config {
        listen: "127.0.0.1:0".into(),
        host_key: dir.join("host_key"),
        authorized_keys: Vec::new(),
        passwords: Vec::new(),
        lessons: vec![Lesson::sample(sample)?],
        max_sessions: clients,
        idle_timeout: Duration::from_secs(600),
        teacher: None,
        record: None,
        user: "class".into(),
        log: None,
        log_limit: u64::MAX,
        limits: crate::serve::Limits::default(),
    };
    let before = resident();
    let (ready_tx, ready_rx) = std_mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let _ = rt.block_on(serve(config, key, move |addr| {
            let _ = ready_tx.send(addr.port());
        }));
    });
    let port = ready_rx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| "the server did not start")?;
    // Every student connects, then they all step; memory is read while
    // every session is open (halfway through).
    let (mem_tx, mem_rx) = std_mpsc::channel::<()>();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let mem_tx = mem_tx.clone();
            std::thread::spawn(move || {
                let r = student(port, keys, pace);
                let _ = mem_tx.send(());
                r
            })
        })
        .collect();
    drop(mem_tx);
    // Halfway: about keys/2 presses in.
    std::thread::sleep(pace * (keys as u32 / 2) + Duration::from_secs(2));
    let during = resident();
    let mut latencies = Vec::new();
    for h in handles {
        latencies.extend(h.join().map_err(|_| "a student thread failed")??);
    }
    while mem_rx.try_recv().is_ok() {}
    latencies.sort();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Report {
        clients,
        latencies,
        memory: during.saturating_sub(before),
    })
}
