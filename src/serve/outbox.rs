//! What a session draws, on its way to a client that may not be reading.
//!
//! The debugger's thread hands each frame (one flush of the terminal
//! backend) to an [`Outbox`]; a task on the server's runtime sends them
//! down the SSH channel, waiting whenever the client's window is full. A
//! client that stops reading (a suspended `ssh`, a stalled network) must
//! not make the server keep every frame it is drawn: once more than
//! [`Outbox::LIMIT`] bytes wait, the waiting frames are dropped, and so is
//! every frame after them (each one a difference from a screen the client
//! never got) until the client has taken what was already on its way. Then
//! the session is woken to draw the whole screen afresh — the client sees
//! the present, not a backlog.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Default)]
struct State {
    frames: VecDeque<Vec<u8>>,
    /// Bytes in `frames`.
    bytes: usize,
    /// Frames were dropped: the client's screen is not what the session
    /// thinks it is until it draws it whole.
    dropped: bool,
    /// The session was asked to repaint (once per drop).
    asked: bool,
    /// The session has ended (its writer is gone).
    finished: bool,
    /// The client has gone: nothing more is sent.
    gone: bool,
    /// The session was told so (once: the terminal's last writes as it
    /// is put away are not errors worth reporting).
    told: bool,
}

#[derive(Default)]
pub struct Outbox {
    state: Mutex<State>,
    /// A frame (or the end) for the sender.
    ready: Notify,
    /// The session is wanted to draw its screen whole.
    repaint: Notify,
}

/// What the sender does next.
#[derive(Debug, PartialEq)]
pub enum Next {
    Send(Vec<u8>),
    /// Frames were dropped and the client has taken the rest: the session
    /// must draw its screen whole.
    Repaint,
    /// Nothing to send yet.
    Wait,
    /// The session ended and everything was sent.
    Done,
}

impl Outbox {
    /// The bytes that may wait for a slow client (a full 200×50 frame is
    /// ~40 KB; many frames' worth).
    pub const LIMIT: usize = 512 << 10;

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A frame from the session. Err once the client has gone.
    pub fn put(&self, frame: Vec<u8>) -> io::Result<()> {
        let mut s = self.lock();
        if s.gone {
            if s.told {
                return Ok(());
            }
            s.told = true;
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client has gone",
            ));
        }
        if s.dropped || frame.is_empty() {
            return Ok(());
        }
        if s.bytes + frame.len() > Self::LIMIT {
            s.frames.clear();
            s.bytes = 0;
            s.dropped = true;
            s.asked = false;
        } else {
            s.bytes += frame.len();
            s.frames.push_back(frame);
        }
        drop(s);
        self.ready.notify_one();
        Ok(())
    }

    /// The session is about to draw its screen whole (it was asked to, or
    /// its terminal was cleared): frames count again.
    pub fn repainting(&self) {
        let mut s = self.lock();
        s.dropped = false;
        s.asked = false;
    }

    /// What the sender does next (it calls [`Outbox::wait`] on `Wait`).
    pub fn next(&self) -> Next {
        let mut s = self.lock();
        if let Some(f) = s.frames.pop_front() {
            s.bytes -= f.len();
            return Next::Send(f);
        }
        if s.finished {
            return Next::Done;
        }
        if s.dropped && !s.asked {
            s.asked = true;
            return Next::Repaint;
        }
        Next::Wait
    }

    pub async fn wait(&self) {
        self.ready.notified().await
    }

    /// The sender asks the session for a whole screen ([`Next::Repaint`]).
    pub fn ask_repaint(&self) {
        self.repaint.notify_one();
    }

    /// Resolves when the session is wanted to draw its screen whole.
    pub async fn repaint_wanted(&self) {
        self.repaint.notified().await
    }

    /// The session ended.
    pub fn finish(&self) {
        self.lock().finished = true;
        self.ready.notify_one();
    }

    /// The client went away: the session's next frame fails (and those
    /// after it go nowhere).
    pub fn gone(&self) {
        let mut s = self.lock();
        s.gone = true;
        s.frames.clear();
        s.bytes = 0;
    }

    /// Bytes waiting now.
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.lock().bytes
    }
}

/// The terminal backend's writer: bytes gathered, handed over at each
/// flush (one frame, one SSH message); the session's end when dropped.
pub struct ChannelWriter {
    buf: Vec<u8>,
    pub outbox: Arc<Outbox>,
}

impl ChannelWriter {
    pub fn new(outbox: Arc<Outbox>) -> ChannelWriter {
        ChannelWriter {
            buf: Vec::new(),
            outbox,
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.outbox.put(std::mem::take(&mut self.buf))
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.flush();
        self.outbox.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> Vec<u8> {
        vec![b'x'; n]
    }

    #[test]
    fn frames_go_out_in_order_then_the_end() {
        let o = Outbox::default();
        o.put(b"one".to_vec()).unwrap();
        o.put(b"two".to_vec()).unwrap();
        assert_eq!(o.next(), Next::Send(b"one".to_vec()));
        assert_eq!(o.next(), Next::Send(b"two".to_vec()));
        assert_eq!(o.next(), Next::Wait);
        o.finish();
        assert_eq!(o.next(), Next::Done);
    }

    #[test]
    fn a_client_that_does_not_read_costs_at_most_the_limit_then_gets_one_repaint() {
        let o = Outbox::default();
        let mut most = 0;
        for _ in 0..10_000 {
            o.put(frame(40 << 10)).unwrap();
            most = most.max(o.waiting());
        }
        assert!(most <= Outbox::LIMIT, "{most} bytes waited");
        // Everything kept was dropped (a backlog of differences from a
        // screen the client never saw is worthless), and so is what comes
        // until the session repaints.
        assert_eq!(o.next(), Next::Repaint);
        o.put(frame(10)).unwrap();
        assert_eq!(o.next(), Next::Wait, "asked once, nothing queued");
        o.repainting();
        o.put(b"whole screen".to_vec()).unwrap();
        assert_eq!(o.next(), Next::Send(b"whole screen".to_vec()));
        assert_eq!(o.next(), Next::Wait);
    }

    #[test]
    fn after_the_client_has_gone_the_session_is_told() {
        let o = Outbox::default();
        o.put(frame(5)).unwrap();
        o.gone();
        assert_eq!(o.waiting(), 0);
        let err = o.put(frame(5)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        o.put(frame(5)).unwrap();
        assert_eq!(o.waiting(), 0);
    }

    #[test]
    fn a_dropped_writer_flushes_and_ends_the_session() {
        let o = Arc::new(Outbox::default());
        {
            let mut w = ChannelWriter::new(o.clone());
            w.write_all(b"last").unwrap();
        }
        assert_eq!(o.next(), Next::Send(b"last".to_vec()));
        assert_eq!(o.next(), Next::Done);
    }
}
