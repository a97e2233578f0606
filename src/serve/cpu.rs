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

/// Bytes a connection may send in a second, averaged, whatever they carry:
/// its input ([`INPUT_RATE`]) with room for the SSH layer's own packets. A
/// client flooding `SSH_MSG_IGNORE` (which the server decrypts and drops
/// without a look from the session) took a quarter of a core at 200 MB/s.
pub const TRANSPORT_RATE: f64 = 2.0 * INPUT_RATE;

/// Bytes a connection may send at once before [`TRANSPORT_RATE`] applies.
pub const TRANSPORT_BURST: f64 = 2.0 * INPUT_BURST;

/// How long a session that waited for its share counts as busy after its
/// wait, when the class's CPU is split.
const LINGER: Duration = Duration::from_secs(2);

/// How long a session's CPU use is averaged over to tell whether it is
/// busy (a step's burst is not; a run left continuing is).
const WINDOW: Duration = Duration::from_secs(1);

/// What one session used lately.
#[derive(Clone, Copy)]
struct Use {
    /// Its last whole window's use, in cores.
    rate: f64,
    /// When that window ended (the window filling now began then).
    at: Instant,
    /// CPU used in the window filling now.
    cpu: Duration,
    /// Until when it counts as busy for having waited for its share.
    waited: Option<Instant>,
}

impl Use {
    fn new(now: Instant) -> Use {
        Use {
            rate: 0.0,
            at: now,
            cpu: Duration::ZERO,
            waited: None,
        }
    }
}

/// The CPU the students' sessions use together.
pub struct ClassCpu {
    /// Cores the students' sessions may use together.
    total: f64,
    /// Each session's recent use.
    sessions: Mutex<HashMap<usize, Use>>,
}

impl ClassCpu {
    /// `total` cores for every student's session together.
    pub fn new(total: f64) -> ClassCpu {
        ClassCpu {
            total: total.max(0.01),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// `total` of the machine (0 < total ≤ 1) as cores.
    pub fn of_machine(total: f64) -> ClassCpu {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ClassCpu::new(total * cores as f64)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Use>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The share of one core a session whose own is `own` may use now: its
    /// own, or an equal part of the class's total among the busy sessions.
    ///
    /// A session is busy while it waits for its share (and a little after),
    /// or when its last second's use passed half an equal part of the total
    /// among every session. The second counts sessions that never reach
    /// their own share because the machine is saturated: twelve flat out on
    /// two cores get a sixth of a core each from the system, below a
    /// quarter, and would otherwise take both cores between them.
    pub fn share(&self, own: f64, now: Instant) -> f64 {
        let sessions = self.lock();
        let half_part = self.total / (2 * sessions.len().max(1)) as f64;
        let busy = sessions
            .values()
            .filter(|u| {
                u.waited.is_some_and(|until| until > now)
                    // A use not told for two windows is old: it went idle.
                    || (u.rate > half_part && now.saturating_duration_since(u.at) < 2 * WINDOW)
            })
            .count();
        own.min(self.total / busy.max(1) as f64)
    }

    /// Session `id` used `cpu` by `now` since it last said.
    pub fn used(&self, id: usize, cpu: Duration, now: Instant) {
        let mut sessions = self.lock();
        let u = sessions.entry(id).or_insert_with(|| Use::new(now));
        u.cpu += cpu;
        let span = now.saturating_duration_since(u.at);
        if span >= WINDOW {
            u.rate = u.cpu.as_secs_f64() / span.as_secs_f64();
            u.at = now;
            u.cpu = Duration::ZERO;
        }
    }

    /// Session `id` waits `wait` for its share from `now`: it counts as busy
    /// until a little after.
    pub fn waits(&self, id: usize, wait: Duration, now: Instant) {
        let mut sessions = self.lock();
        let u = sessions.entry(id).or_insert_with(|| Use::new(now));
        u.waited = Some(now + wait + LINGER);
    }

    /// Session `id` ended.
    pub fn left(&self, id: usize) {
        self.lock().remove(&id);
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
    fn sessions_held_below_their_share_by_a_saturated_machine_split_the_total() {
        let t0 = Instant::now();
        let cpu = ClassCpu::new(1.5);
        let ms = Duration::from_millis;
        // Twelve sessions flat out on two cores: the system gives each a
        // sixth of a core, below its own quarter, so none ever waits.
        // Three students step now and then: 20 ms in a second.
        for second in 0..3 {
            let now = t0 + Duration::from_secs(second);
            for id in 0..12 {
                cpu.used(id, ms(167), now);
            }
            for id in 12..15 {
                cpu.used(id, ms(20), now);
            }
        }
        let now = t0 + Duration::from_secs(2);
        // The twelve are busy: they split 1.5 cores (an eighth each), and
        // together they use no more than the total.
        let each = cpu.share(0.25, now);
        assert!((each - 1.5 / 12.0).abs() < 1e-9, "{each}");
        // Once they go quiet (nothing said for two windows), each session
        // has its own share again.
        assert_eq!(cpu.share(0.25, now + Duration::from_secs(3)), 0.25);
    }

    #[test]
    fn a_smaller_share_makes_a_busy_session_wait_longer_for_the_same_work() {
        let t0 = Instant::now();
        let s = Duration::from_millis;
        let mut alone = Pace::new(0.25, s(0));
        let mut crowded = Pace::new(0.25, s(0));
        crowded.set_share(0.05, s(0));
        assert_eq!(alone.spend(s(0), t0), None);
        assert_eq!(crowded.spend(s(0), t0), None);
        // 100 ms of CPU: 400 ms at a quarter of a core, 2 s at 5%.
        let a = alone.spend(s(100), t0).unwrap();
        let c = crowded.spend(s(100), t0).unwrap();
        assert!((a.as_secs_f64() - 0.4).abs() < 1e-6, "{a:?}");
        assert!((c.as_secs_f64() - 2.0).abs() < 1e-6, "{c:?}");
    }

    #[test]
    fn a_session_held_to_its_part_of_the_class_loses_its_big_burst() {
        // Twelve sessions a little past their part (a sixth of a core each
        // against an eighth) would each drain a 2 s burst for 48 s while the
        // class used both cores: held to its part, a session keeps a
        // quarter of a second.
        let t0 = Instant::now();
        let s = Duration::from_millis;
        let mut p = Pace::new(0.25, s(2000));
        assert_eq!(p.spend(s(0), t0), None);
        p.set_share(0.125, s(250));
        let w = p.spend(s(1000), t0).unwrap();
        assert!((w.as_secs_f64() - 0.75 / 0.125).abs() < 1e-6, "{w:?}");
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
