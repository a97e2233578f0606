//! A memory budget for one piece of work on one thread.
//!
//! Some expressions ask for memory without end (`$reduce` doubling a string):
//! the allocator aborts the process when the system refuses, which no
//! `catch_unwind` can turn into an error. [`Budgeted`] wraps the global
//! allocator and counts what the current thread allocates while
//! [`with_budget`] runs; past the budget it calls the work's cancel hook once
//! (the JSONata evaluator then stops at its next step) and reports it.
//!
//! The binary installs `Budgeted<MiMalloc>`; where another allocator is in use
//! (unit tests), budgets are not counted and only the time limits apply.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

/// How much more than it holds a piece of work may take in the one step
/// that passes its mark: the allocation that passes it is made before the
/// work sees the cancel (a string or an array doubled, a value copied
/// into its own escaped text: `tests/budget.rs` measures up to 2.7 times
/// the mark). So work is stopped once it holds a quarter of its budget,
/// and its peak stays within the budget.
pub const PEAK_TO_HELD: usize = 4;

/// The global allocator `A`, counting allocations inside [`with_budget`].
pub struct Budgeted<A>(pub A);

/// How the work is stopped, and whether it was (functions and their
/// argument: no allocation, no drop, so they can run inside the allocator).
#[derive(Clone, Copy)]
pub struct CancelHook {
    /// Cancels the work.
    pub cancel: fn(*const ()),
    /// Whether the work was cancelled (by its budget or, say, its time).
    pub cancelled: fn(*const ()) -> bool,
    pub arg: *const (),
}

impl CancelHook {
    /// A hook for work nothing cancels.
    pub fn none() -> CancelHook {
        fn cancel(_: *const ()) {}
        fn cancelled(_: *const ()) -> bool {
            false
        }
        CancelHook {
            cancel,
            cancelled,
            arg: std::ptr::null(),
        }
    }
}

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static USED: Cell<usize> = const { Cell::new(0) };
    static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
    static EXCEEDED: Cell<bool> = const { Cell::new(false) };
    static HOOK: Cell<Option<CancelHook>> = const { Cell::new(None) };
    /// The most `USED` has been inside the budget at hand.
    static PEAK: Cell<usize> = const { Cell::new(0) };
    /// `PEAK` of the last budget this thread ended.
    static LAST_PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(by: usize) {
    if !ACTIVE.get() {
        return;
    }
    let used = USED.get().saturating_add(by);
    USED.set(used);
    if used > PEAK.get() {
        PEAK.set(used);
    }
    if used > LIMIT.get() / PEAK_TO_HELD && !EXCEEDED.get() {
        stop();
    }
}

/// Mark the budget passed and cancel the work.
fn stop() {
    EXCEEDED.set(true);
    if let Some(hook) = HOOK.get() {
        (hook.cancel)(hook.arg);
    }
}

/// Whether the work on this thread may hold `bytes` more than it holds now:
/// asked by a JSONata built-in before it builds a result of known size in
/// one call (a `$replace`, a `$join`), and with 0 now and then while it
/// builds one piece by piece (the allocations in between are not looked at
/// by the evaluator until its next step). No when that would pass the mark
/// (a quarter of the budget, as for what the work holds step by step: the
/// budget is then passed and the work cancelled), or when the work was
/// already cancelled, for its budget or its time. Outside a budget, yes.
pub fn may_hold(bytes: usize) -> bool {
    if !ACTIVE.get() {
        return true;
    }
    if EXCEEDED.get() {
        return false;
    }
    if USED.get().saturating_add(bytes) > LIMIT.get() / PEAK_TO_HELD {
        stop();
        return false;
    }
    !HOOK.get().is_some_and(|hook| (hook.cancelled)(hook.arg))
}

fn shrank(by: usize) {
    if ACTIVE.get() {
        USED.set(USED.get().saturating_sub(by));
    }
}

// SAFETY: every call is passed to the wrapped allocator unchanged; the
// counting touches only const-initialised thread-locals without destructors.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Budgeted<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        self.0.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        self.0.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        self.0.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grew(new_size - layout.size());
        } else {
            shrank(layout.size() - new_size);
        }
        self.0.realloc(ptr, layout, new_size)
    }
}

/// Runs `f` with a budget of `limit` bytes for what this thread allocates
/// (less what it frees) at its peak; `hook` is called once when what it
/// holds passes `limit / PEAK_TO_HELD`.
/// Returns `f`'s result and whether the budget was passed.
pub fn with_budget<R>(limit: usize, hook: CancelHook, f: impl FnOnce() -> R) -> (R, bool) {
    let saved = (
        ACTIVE.get(),
        USED.get(),
        LIMIT.get(),
        EXCEEDED.get(),
        HOOK.get(),
        PEAK.get(),
    );
    ACTIVE.set(true);
    USED.set(0);
    PEAK.set(0);
    LIMIT.set(limit);
    EXCEEDED.set(false);
    HOOK.set(Some(hook));
    let r = f();
    let exceeded = EXCEEDED.get();
    LAST_PEAK.set(PEAK.get());
    ACTIVE.set(saved.0);
    USED.set(saved.1);
    LIMIT.set(saved.2);
    EXCEEDED.set(saved.3);
    HOOK.set(saved.4);
    // An enclosing budget saw this one's peak on top of what it held.
    PEAK.set(saved.5.max(saved.1.saturating_add(PEAK.get())));
    (r, exceeded)
}

/// The most the last budget ended on this thread held at once (0 where
/// [`Budgeted`] is not the global allocator).
pub fn last_peak() -> usize {
    LAST_PEAK.get()
}

/// How the global allocator gives freed memory back to the system now
/// (set by the binary; an allocator that keeps freed pages for reuse holds
/// them until this thread allocates again, which an idle session may not).
static RELEASE: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Set how freed memory is given back (once, at start).
pub fn set_release(f: fn()) {
    let _ = RELEASE.set(f);
}

/// Give this thread's freed memory back to the system (after a piece of
/// work that passed its budget freed a lot at once).
pub fn release() {
    if let Some(f) = RELEASE.get() {
        f();
    }
}

/// Runs `f` and gives the bytes it left allocated on this thread (what it
/// allocated less what it freed), for benchmarks of memory. Only counted
/// where [`Budgeted`] is the global allocator (the binary): elsewhere 0.
pub fn live_bytes_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let mut used = 0;
    let (r, _) = with_budget(usize::MAX, CancelHook::none(), || {
        let r = f();
        used = USED.get();
        r
    });
    (r, used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    static SYSTEM: Budgeted<std::alloc::System> = Budgeted(std::alloc::System);

    fn flag(p: *const ()) {
        // SAFETY: the test passes a pointer to a live AtomicBool.
        unsafe { (*(p as *const AtomicBool)).store(true, Ordering::SeqCst) }
    }

    fn flagged(p: *const ()) -> bool {
        // SAFETY: as in `flag`.
        unsafe { (*(p as *const AtomicBool)).load(Ordering::SeqCst) }
    }

    fn hook_on(hit: &AtomicBool) -> CancelHook {
        CancelHook {
            cancel: flag,
            cancelled: flagged,
            arg: hit as *const AtomicBool as *const (),
        }
    }

    #[test]
    fn passing_the_budget_calls_the_hook_once_and_is_reported() {
        let hit = AtomicBool::new(false);
        let hook = hook_on(&hit);
        let layout = Layout::from_size_align(4096, 8).unwrap();
        // Stopped at a quarter of 40,000 bytes held.
        let ((), over) = with_budget(40_000, hook, || unsafe {
            let a = SYSTEM.alloc(layout);
            let b = SYSTEM.alloc(layout);
            SYSTEM.dealloc(a, layout);
            SYSTEM.dealloc(b, layout);
        });
        assert!(
            !over && !hit.load(Ordering::SeqCst),
            "8 KiB live is within 10,000 bytes"
        );
        let ((), over) = with_budget(40_000, hook, || unsafe {
            let ps: Vec<*mut u8> = (0..4).map(|_| SYSTEM.alloc(layout)).collect();
            for p in ps {
                SYSTEM.dealloc(p, layout);
            }
        });
        assert!(over && hit.load(Ordering::SeqCst));
        // Outside a budget nothing is counted.
        assert!(!ACTIVE.get());
    }

    #[test]
    fn what_would_pass_the_mark_is_refused_before_it_is_allocated() {
        assert!(
            may_hold(usize::MAX),
            "outside a budget anything may be held"
        );
        let hit = AtomicBool::new(false);
        let ((), over) = with_budget(40_000, hook_on(&hit), || {
            assert!(may_hold(9_000), "within a quarter of the budget");
            assert!(!hit.load(Ordering::SeqCst));
            assert!(!may_hold(11_000), "past a quarter of the budget");
            assert!(hit.load(Ordering::SeqCst), "the work is cancelled");
            assert!(!may_hold(0), "and stays stopped");
        });
        assert!(over, "a refusal is the budget passed");
        // Cancelled for another reason (its time): refused, budget not passed.
        let time_up = AtomicBool::new(true);
        let ((), over) = with_budget(40_000, hook_on(&time_up), || {
            assert!(!may_hold(0));
        });
        assert!(!over);
    }
}
