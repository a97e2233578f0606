//! What one evaluation may spend, and what one turn of a front end may
//! spend on evaluations, on the current thread.
//!
//! Every JSONata evaluation (a watch, a breakpoint condition, an edited
//! definition's or the lesson's own expressions) runs under the thread's
//! [`Budget`]: memory it may hold (counted by [`crate::alloc`]) and time.
//! A front end also marks its *turns* (one input event, or one slice of a
//! run): the evaluations one turn causes share `per_turn` of time, so a
//! watch that costs a second cannot make every step cost a second.
//!
//! Locally the defaults are generous; the class server gives each
//! session's thread a small budget, so one student's expression fails in
//! that student's session only.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Limits for the evaluations of one thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Memory one evaluation may take at its peak (bytes): it is stopped
    /// once it holds a quarter of this (see [`crate::alloc::PEAK_TO_HELD`]).
    pub memory: usize,
    /// Time one expression may run.
    pub expr_time: Duration,
    /// Time all the evaluations of one turn may take together (`None`:
    /// no limit beyond each expression's).
    pub per_turn: Option<Duration>,
}

impl Budget {
    /// Running locally: room for the largest sequence (10M items held,
    /// see [`crate::asl::jsonata::sequence_limit`]).
    pub const LOCAL: Budget = Budget {
        memory: 4 << 30,
        expr_time: Duration::from_secs(2),
        per_turn: None,
    };
    /// A class session's default: 50 of them fit the machine.
    pub const SESSION: Budget = Budget {
        memory: 64 << 20,
        expr_time: Duration::from_millis(500),
        per_turn: Some(Duration::from_secs(1)),
    };
}

impl Budget {
    /// The JSON a watch or the lab keeps to show: the budget ÷ 64, at most
    /// 16 MiB (1 MiB in a class session).
    pub fn value_kept(&self) -> usize {
        (self.memory / 64).min(16 << 20)
    }
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::LOCAL
    }
}

/// A token bucket: it fills at `rate` a second up to `burst`; what is taken
/// past empty is owed, and the taker waits until it is paid back. The
/// class server paces a session's CPU ([`Pace`]) and a connection's input
/// bytes with it.
#[derive(Debug, Clone)]
pub struct Bucket {
    rate: f64,
    burst: f64,
    /// What the bucket holds (negative: owed).
    credit: f64,
    at: Option<Instant>,
}

impl Bucket {
    /// A full bucket that fills at `rate` a second (above 0) up to `burst`.
    pub fn new(rate: f64, burst: f64) -> Bucket {
        Bucket {
            rate: rate.max(f64::MIN_POSITIVE),
            burst,
            credit: burst,
            at: None,
        }
    }

    /// From now on, it fills at `rate` a second.
    pub fn set_rate(&mut self, rate: f64) {
        self.rate = rate.max(f64::MIN_POSITIVE);
    }

    /// From now on, it holds at most `burst` (what it holds past that is
    /// gone).
    pub fn set_burst(&mut self, burst: f64) {
        self.burst = burst;
        self.credit = self.credit.min(burst);
    }

    /// Take `amount` at `now`: how long the taker waits before what it owes
    /// is paid back (None: the bucket is not empty).
    pub fn take(&mut self, amount: f64, now: Instant) -> Option<Duration> {
        if let Some(at) = self.at {
            let refill = now.saturating_duration_since(at).as_secs_f64() * self.rate;
            self.credit = (self.credit + refill).min(self.burst);
        }
        self.at = Some(now);
        self.credit -= amount;
        (self.credit < 0.0).then(|| Duration::from_secs_f64(-self.credit / self.rate))
    }
}

/// A share of one core for a session's thread, averaged: a bucket of CPU
/// time that fills at `share` of the wall clock, up to `burst`. A session
/// that spends more waits (the others do not) until the bucket is back
/// above empty. This bounds what a student holding a key down, or a run
/// left continuing, takes from the class.
#[derive(Debug, Clone)]
pub struct Pace {
    bucket: Bucket,
    /// The thread's CPU time when last seen.
    was: Option<Duration>,
    /// What it spent between the last two looks.
    spent: Duration,
}

impl Pace {
    /// `share` of one core (0 < share ≤ 1), `burst` of CPU free at once.
    pub fn new(share: f64, burst: Duration) -> Pace {
        Pace {
            bucket: Bucket::new(share.clamp(0.001, 1.0), burst.as_secs_f64()),
            was: None,
            spent: Duration::ZERO,
        }
    }

    /// From now on, the share is `share` of one core (the class's CPU is
    /// split among more sessions than it holds at their own share), with
    /// `burst` of CPU free at once.
    pub fn set_share(&mut self, share: f64, burst: Duration) {
        self.bucket.set_rate(share.clamp(0.001, 1.0));
        self.bucket.set_burst(burst.as_secs_f64());
    }

    /// The thread has used `cpu` of CPU time by `now`: how long it waits
    /// before its next turn (None: it is within its share).
    pub fn spend(&mut self, cpu: Duration, now: Instant) -> Option<Duration> {
        let spent = self
            .was
            .map_or(Duration::ZERO, |was| cpu.saturating_sub(was));
        self.was = Some(cpu);
        self.spent = spent;
        self.bucket.take(spent.as_secs_f64(), now)
    }

    /// The CPU time spent between the last two calls to [`Pace::spend`].
    pub fn spent(&self) -> Duration {
        self.spent
    }

    /// The CPU time this thread has used (None where it cannot be known).
    pub fn thread_cpu() -> Option<Duration> {
        #[cfg(unix)]
        {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: clock_gettime writes one timespec, which `ts` is.
            let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
            (r == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
        }
        #[cfg(not(unix))]
        {
            None
        }
    }
}

thread_local! {
    static BUDGET: Cell<Budget> = const { Cell::new(Budget::LOCAL) };
    /// Evaluation time spent in the current turn.
    static SPENT: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    /// Evaluations stopped by the budget since the counter was last taken.
    static HITS: Cell<u32> = const { Cell::new(0) };
}

/// The current thread's budget.
pub fn get() -> Budget {
    BUDGET.get()
}

/// Set the current thread's budget (a class session's thread, at start).
pub fn set(b: Budget) {
    BUDGET.set(b);
}

/// A new turn starts: its evaluations get `per_turn` afresh.
pub fn new_turn() {
    SPENT.set(Duration::ZERO);
}

/// What the budget allows the next evaluation, and why it would stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    pub time: Duration,
    /// The turn's time, not the expression's, is what bounds it.
    pub by_turn: bool,
}

/// The time the next evaluation may take.
pub fn allowance() -> Allowance {
    let b = BUDGET.get();
    match b.per_turn {
        Some(turn) => {
            let left = turn.saturating_sub(SPENT.get());
            if left < b.expr_time {
                Allowance {
                    time: left,
                    by_turn: true,
                }
            } else {
                Allowance {
                    time: b.expr_time,
                    by_turn: false,
                }
            }
        }
        None => Allowance {
            time: b.expr_time,
            by_turn: false,
        },
    }
}

/// Runs one evaluation, counting its time against the turn.
pub fn timed<R>(f: impl FnOnce() -> R) -> R {
    let t = Instant::now();
    let r = f();
    SPENT.set(SPENT.get().saturating_add(t.elapsed()));
    r
}

/// An evaluation was stopped by the budget.
pub fn hit() {
    HITS.set(HITS.get().saturating_add(1));
}

/// How many evaluations the budget stopped since the last call.
pub fn take_hits() -> u32 {
    HITS.replace(0)
}

/// `n` bytes as people read them: `64 MiB`, `512 KiB`, `100 bytes`.
pub fn show_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// A duration as people read it: `500 ms`, `2 s`.
pub fn show_time(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_session_past_its_share_of_a_core_waits_for_it() {
        let t0 = Instant::now();
        let s = |n: u64| Duration::from_millis(n);
        // A quarter of a core, 2 s of CPU free at once.
        let mut p = super::Pace::new(0.25, Duration::from_secs(2));
        assert_eq!(p.spend(s(0), t0), None);
        // 1.5 s of CPU in 1.5 s of wall time: within the burst.
        assert_eq!(p.spend(s(1500), t0 + s(1500)), None);
        // 1 s more in the next second: 0.75 s in the bucket (never more
        // than 2), 1 s spent: 0.25 s owed, paid back in 1 s.
        let wait = p.spend(s(2500), t0 + s(2500)).unwrap();
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-6, "{wait:?}");
        // After waiting it, what it owes is paid: the next turn is free.
        assert_eq!(p.spend(s(2500), t0 + s(3500)), None);
        // Idle for a long time: the bucket is full again, never more.
        assert_eq!(p.spend(s(4400), t0 + s(60_000)), None);
        assert!(p.spend(s(4600), t0 + s(60_000)).is_some());
        assert!(super::Pace::thread_cpu().is_some());
    }

    use super::*;

    #[test]
    fn a_turn_shares_its_time_between_evaluations_and_starts_afresh() {
        set(Budget {
            memory: 1 << 20,
            expr_time: Duration::from_millis(300),
            per_turn: Some(Duration::from_millis(400)),
        });
        new_turn();
        assert_eq!(
            allowance(),
            Allowance {
                time: Duration::from_millis(300),
                by_turn: false
            }
        );
        timed(|| std::thread::sleep(Duration::from_millis(250)));
        let a = allowance();
        assert!(a.by_turn && a.time <= Duration::from_millis(150), "{a:?}");
        timed(|| std::thread::sleep(Duration::from_millis(200)));
        assert_eq!(allowance().time, Duration::ZERO);
        new_turn();
        assert!(!allowance().by_turn);
        set(Budget::LOCAL);
        assert_eq!(allowance().time, Duration::from_secs(2));
    }

    #[test]
    fn sizes_and_times_read_as_people_write_them() {
        assert_eq!(show_bytes(64 << 20), "64 MiB");
        assert_eq!(show_bytes(512 << 10), "512 KiB");
        assert_eq!(show_bytes(1000), "1000 bytes");
        assert_eq!(show_time(Duration::from_millis(500)), "500 ms");
        assert_eq!(show_time(Duration::from_secs(2)), "2 s");
    }
}
