//! What a client sends, on its way to a session that may be slow to take
//! it.
//!
//! A connection turns the bytes it reads into events and puts them in an
//! [`Inbox`]; the session's thread takes them. At most [`Inbox::LIMIT`]
//! events, and [`Inbox::BYTES`] of them (pastes), wait: past that, the
//! **oldest** waiting events are dropped (and counted), never the newest. A student who held a key down over a slow link and
//! then pressed `q` gets the `q`; the screen shows the present, as the
//! [outbox](super::outbox) does on the way back.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Default)]
struct State<T> {
    /// Each with its weight in bytes.
    events: VecDeque<(T, usize)>,
    /// Their weights together.
    bytes: usize,
    /// The connection is gone: nothing more comes.
    closed: bool,
}

impl<T> State<T> {
    fn take(&mut self) -> Option<T> {
        let (e, b) = self.events.pop_front()?;
        self.bytes -= b;
        Some(e)
    }
}

struct Shared<T> {
    state: Mutex<State<T>>,
    ready: Notify,
    /// Events dropped since the session last looked.
    lost: Arc<AtomicUsize>,
}

impl<T> Shared<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        // A panic elsewhere while holding the lock leaves plain data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The connection's end: dropping it ends the session's input.
pub struct Inbox<T> {
    shared: Arc<Shared<T>>,
}

/// The session's end.
pub struct Taker<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Inbox<T> {
    /// Events that may wait for a session.
    pub const LIMIT: usize = 1024;

    /// Bytes of events that may wait (four of the biggest paste kept).
    pub const BYTES: usize = 4 << 20;

    /// A new inbox; `lost` counts the events it drops.
    pub fn new(lost: Arc<AtomicUsize>) -> (Inbox<T>, Taker<T>) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                events: VecDeque::new(),
                bytes: 0,
                closed: false,
            }),
            ready: Notify::new(),
            lost,
        });
        (
            Inbox {
                shared: shared.clone(),
            },
            Taker { shared },
        )
    }

    /// Put `event`, of `bytes`, last, dropping the oldest waiting to make
    /// room.
    pub fn put(&self, event: T, bytes: usize) {
        let mut s = self.shared.lock();
        while !s.events.is_empty()
            && (s.events.len() >= Self::LIMIT || s.bytes + bytes > Self::BYTES)
        {
            if let Some((_, b)) = s.events.pop_front() {
                s.bytes -= b;
            }
            self.shared.lost.fetch_add(1, Ordering::Relaxed);
        }
        s.bytes += bytes;
        s.events.push_back((event, bytes));
        drop(s);
        self.shared.ready.notify_one();
    }
}

impl<T> Drop for Inbox<T> {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_one();
    }
}

impl<T> Taker<T> {
    /// The next event, waiting for one; None once the connection is gone
    /// and every event was taken.
    pub async fn recv(&mut self) -> Option<T> {
        loop {
            {
                let mut s = self.shared.lock();
                if let Some(e) = s.take() {
                    return Some(e);
                }
                if s.closed {
                    return None;
                }
            }
            // A put between the look and here left a permit: no wake-up
            // is missed.
            self.shared.ready.notified().await;
        }
    }

    /// The next event if one waits.
    pub fn try_recv(&mut self) -> Option<T> {
        self.shared.lock().take()
    }

    /// The connection is gone (what still waits will never be answered on
    /// screen).
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_inbox_drops_the_oldest_and_keeps_the_last_key() {
        let lost = Arc::new(AtomicUsize::new(0));
        let (inbox, mut taker) = Inbox::new(lost.clone());
        // A flood of twice what may wait, then `q`.
        for i in 0..2 * Inbox::<u32>::LIMIT as u32 {
            inbox.put(i, 1);
        }
        inbox.put(u32::MAX, 1);
        assert_eq!(lost.load(Ordering::Relaxed), Inbox::<u32>::LIMIT + 1);
        let mut got = Vec::new();
        while let Some(e) = taker.try_recv() {
            got.push(e);
        }
        assert_eq!(got.len(), Inbox::<u32>::LIMIT);
        assert_eq!(got.last(), Some(&u32::MAX));
        // In order: the newest that fit.
        assert_eq!(got[0], Inbox::<u32>::LIMIT as u32 + 1);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        // Big ones (pastes) wait up to the bytes: a fifth megabyte-sized
        // paste pushes out the first, and a key after it is kept.
        lost.store(0, Ordering::Relaxed);
        for i in 0..5 {
            inbox.put(i, 1 << 20);
        }
        inbox.put(9, 1);
        assert_eq!(lost.load(Ordering::Relaxed), 2);
        let mut got = Vec::new();
        while let Some(e) = taker.try_recv() {
            got.push(e);
        }
        assert_eq!(got, [2, 3, 4, 9]);
    }

    #[test]
    fn the_session_wakes_for_an_event_and_ends_when_the_connection_goes() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (inbox, mut taker) = Inbox::new(Arc::new(AtomicUsize::new(0)));
            let put = tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                inbox.put(7u8, 1);
                inbox.put(8u8, 1);
                // Dropped: the connection has gone.
            });
            let wait = std::time::Duration::from_secs(5);
            assert_eq!(tokio::time::timeout(wait, taker.recv()).await, Ok(Some(7)));
            put.await.unwrap();
            // What waited is still taken, then the end.
            assert!(taker.is_closed());
            assert_eq!(tokio::time::timeout(wait, taker.recv()).await, Ok(Some(8)));
            assert_eq!(tokio::time::timeout(wait, taker.recv()).await, Ok(None));
        });
    }
}
