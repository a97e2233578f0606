//! The class's processors: what the students' sessions may use together,
//! and what one connection's input may cost before its session sees it.
//!
//! A session's own share (`--cpu-share`) bounds one student; it does not
//! bound a class: fifty sessions at a quarter of a core each ask for twelve
//! cores. [`ClassCpu`] splits what the class may use (`--cpu-total`, of the
//! whole machine) among the sessions that are past their share, so however
//! many run flat out, the machine keeps room for the students who only step.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Bytes of input a connection's keys, pastes and mouse may send in a
/// second, averaged: a person never types near it, and a client that sends
/// more is read at this pace (the bytes wait in its own socket: decrypting
/// a flood of 20 MB/s took most of a core on the server's side before the
/// session saw a key; at this pace it takes a few percent). Not slower: a
/// client killed mid-flood leaves what its system had queued to be read
/// before the server sees it gone and gives its seat back.
pub const INPUT_RATE: f64 = 1024.0 * 1024.0;

/// Bytes of input a connection may send at once before [`INPUT_RATE`]
/// applies: two of the biggest paste a session keeps.
pub const INPUT_BURST: f64 = 2.0 * 1024.0 * 1024.0;

/// How long a session that waited for its share counts as busy after its
/// wait, when the class's CPU is split.
const LINGER: Duration = Duration::from_secs(2);

/// The CPU the students' sessions use together.
pub struct ClassCpu {
    /// Cores the students' sessions may use together.
    total: f64,
    /// Sessions past their own share lately, and until when they count.
    busy: Mutex<HashMap<usize, Instant>>,
}

impl ClassCpu {
    /// `total` cores for every student's session together.
    pub fn new(total: f64) -> ClassCpu {
        ClassCpu {
            total: total.max(0.01),
            busy: Mutex::new(HashMap::new()),
        }
    }

    /// `total` of the machine (0 < total ≤ 1) as cores.
    pub fn of_machine(total: f64) -> ClassCpu {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ClassCpu::new(total * cores as f64)
    }

    /// The share of one core a session whose own is `own` may use now: its
    /// own, or an equal part of the class's total among the sessions that
    /// want more than that part.
    pub fn share(&self, own: f64, now: Instant) -> f64 {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        busy.retain(|_, until| *until > now);
        own.min(self.total / busy.len().max(1) as f64)
    }

    /// Session `id` waits `wait` for its share from `now`: it counts as busy
    /// until a little after.
    pub fn waits(&self, id: usize, wait: Duration, now: Instant) {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        busy.insert(id, now + wait + LINGER);
    }

    /// Session `id` ended.
    pub fn left(&self, id: usize) {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        busy.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Pace;

    #[test]
    fn busy_sessions_split_the_class_total_and_the_others_keep_their_burst() {
        let t0 = Instant::now();
        let cpu = ClassCpu::new(1.5);
        // Alone, a session has its own share.
        assert_eq!(cpu.share(0.25, t0), 0.25);
        // Six sessions flat out still fit in 1.5 cores at a quarter each.
        for id in 0..6 {
            cpu.waits(id, Duration::from_millis(500), t0);
        }
        assert_eq!(cpu.share(0.25, t0), 0.25);
        // Forty split 1.5 cores: 0.0375 each, and what they use together
        // stays at the total, whatever their number.
        for id in 6..40 {
            cpu.waits(id, Duration::from_millis(500), t0);
        }
        let each = cpu.share(0.25, t0);
        assert!((each - 1.5 / 40.0).abs() < 1e-9, "{each}");
        assert!((each * 40.0 - 1.5).abs() < 1e-9);
        // A student who leaves is no longer counted.
        cpu.left(39);
        assert!((cpu.share(0.25, t0) - 1.5 / 39.0).abs() < 1e-9);
        // Once the busy ones stop waiting (their wait and 2 s more), every
        // session has its own share again.
        assert_eq!(cpu.share(0.25, t0 + Duration::from_secs(3)), 0.25);
    }

    #[test]
    fn a_smaller_share_makes_a_busy_session_wait_longer_for_the_same_work() {
        let t0 = Instant::now();
        let s = Duration::from_millis;
        let mut alone = Pace::new(0.25, s(0));
        let mut crowded = Pace::new(0.25, s(0));
        crowded.set_share(0.05);
        assert_eq!(alone.spend(s(0), t0), None);
        assert_eq!(crowded.spend(s(0), t0), None);
        // 100 ms of CPU: 400 ms at a quarter of a core, 2 s at 5%.
        let a = alone.spend(s(100), t0).unwrap();
        let c = crowded.spend(s(100), t0).unwrap();
        assert!((a.as_secs_f64() - 0.4).abs() < 1e-6, "{a:?}");
        assert!((c.as_secs_f64() - 2.0).abs() < 1e-6, "{c:?}");
    }

    #[test]
    fn input_past_its_burst_is_read_at_the_input_rate() {
        let t0 = Instant::now();
        let mut b = crate::budget::Bucket::new(INPUT_RATE, INPUT_BURST);
        // A paste of a megabyte comes at once.
        assert_eq!(b.take(1_000_000.0, t0), None);
        // A flood past the burst waits what it owes at 1 MiB/s.
        let w = b.take(INPUT_BURST, t0).unwrap();
        let owed = 1_000_000.0 / INPUT_RATE;
        assert!((w.as_secs_f64() - owed).abs() < 1e-6, "{w:?}");
        // After that wait (to the nanosecond it is said in), nothing is
        // owed; what comes next is paced again.
        let paid = t0 + w + Duration::from_micros(1);
        assert_eq!(b.take(0.0, paid), None);
        assert!(b.take(INPUT_RATE, paid).is_some());
    }
}
