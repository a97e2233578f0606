//! Terminal input as bytes → the key, mouse and paste events the front end
//! takes. The local terminal is read by crossterm, whose parser is private;
//! a terminal at the other end of an SSH channel sends the same bytes, and
//! this decoder turns them into the same [`Event`]s, so one front end
//! serves both.
//!
//! Covered: UTF-8 text, control keys (Ctrl-letter, Enter, Tab, Backspace,
//! Esc), Alt-key (Esc + key), the CSI and SS3 keys xterm and its followers
//! send (arrows, Home/End, PgUp/PgDn, Insert/Delete, F1–F12, Shift-Tab,
//! with modifiers), SGR mouse reports and bracketed paste. What it does not
//! know is dropped, never passed on as text.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// The longest paste kept (a larger one is cut there: an editor over SSH,
/// not a file transfer; every session of a class may paste at once).
const MAX_PASTE: usize = 1 << 20;

/// Bytes kept while a sequence is incomplete; past this the buffer is
/// garbage and dropped.
const MAX_PENDING: usize = 64;

/// Turns the bytes a terminal sends into events; bytes of a sequence cut
/// between two reads wait for the rest.
#[derive(Default)]
pub struct Decoder {
    pending: Vec<u8>,
    /// Inside a bracketed paste: the text so far.
    paste: Option<Vec<u8>>,
}

enum Parsed {
    /// An event (or nothing, for a sequence ignored) and the bytes it took.
    Done(Option<Event>, usize),
    /// The bytes so far begin a sequence: wait for more.
    Incomplete,
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Option<Event> {
    Some(Event::Key(KeyEvent::new(code, modifiers)))
}

impl Decoder {
    /// The events in `bytes` (with what earlier reads left).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        self.pending.extend_from_slice(bytes);
        let mut at = 0;
        while at < self.pending.len() {
            if let Some(text) = self.paste.as_mut() {
                // Everything up to the end marker is pasted text.
                const END: &[u8] = b"\x1b[201~";
                let rest = &self.pending[at..];
                match find(rest, END) {
                    Some(i) => {
                        if text.len() < MAX_PASTE {
                            text.extend_from_slice(&rest[..i]);
                        }
                        let text = self.paste.take().unwrap_or_default();
                        let s = String::from_utf8_lossy(&text);
                        out.push(Event::Paste(s.replace("\r\n", "\n").replace('\r', "\n")));
                        at += i + END.len();
                    }
                    None => {
                        // Keep a tail that may begin the end marker.
                        let keep = (1..END.len())
                            .rev()
                            .find(|n| rest.ends_with(&END[..*n]))
                            .unwrap_or(0);
                        let take = rest.len() - keep;
                        if text.len() < MAX_PASTE {
                            text.extend_from_slice(&rest[..take]);
                        }
                        at += take;
                        break;
                    }
                }
                continue;
            }
            match parse(&self.pending[at..]) {
                Parsed::Done(ev, n) => {
                    if matches!(&ev, Some(Event::Paste(_))) {
                        self.paste = Some(Vec::new());
                    } else if let Some(ev) = ev {
                        out.push(ev);
                    }
                    at += n.max(1);
                }
                Parsed::Incomplete => break,
            }
        }
        self.pending.drain(..at);
        if self.pending.len() > MAX_PENDING && self.paste.is_none() {
            self.pending.clear();
        }
        out
    }

    /// The bytes held for an incomplete sequence, as the keys they are
    /// when nothing more comes (a lone Esc is the Esc key).
    pub fn flush(&mut self) -> Vec<Event> {
        if self.paste.is_some() || self.pending.is_empty() {
            return Vec::new();
        }
        let held = std::mem::take(&mut self.pending);
        let mut out = Vec::new();
        if held == b"\x1b" {
            out.extend(key(KeyCode::Esc, KeyModifiers::NONE));
        } else if held.len() == 2 && held[0] == 0x1b {
            // Esc then a key that begins no sequence: Alt+key.
            if let Parsed::Done(Some(Event::Key(k)), _) = parse(&held[1..]) {
                out.extend(key(k.code, k.modifiers | KeyModifiers::ALT));
            }
        }
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One event from the start of `b` (not empty).
fn parse(b: &[u8]) -> Parsed {
    match b[0] {
        0x1b => parse_escape(b),
        b'\r' | b'\n' => Parsed::Done(key(KeyCode::Enter, KeyModifiers::NONE), 1),
        b'\t' => Parsed::Done(key(KeyCode::Tab, KeyModifiers::NONE), 1),
        0x7f | 0x08 => Parsed::Done(key(KeyCode::Backspace, KeyModifiers::NONE), 1),
        0 => Parsed::Done(key(KeyCode::Char(' '), KeyModifiers::CONTROL), 1),
        c @ 1..=26 => Parsed::Done(
            key(KeyCode::Char((b'a' + c - 1) as char), KeyModifiers::CONTROL),
            1,
        ),
        c @ 28..=31 => Parsed::Done(
            key(
                KeyCode::Char((b'4' + c - 28) as char),
                KeyModifiers::CONTROL,
            ),
            1,
        ),
        c if c < 0x80 => Parsed::Done(key(KeyCode::Char(c as char), KeyModifiers::NONE), 1),
        c => {
            let len = match c {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => return Parsed::Done(None, 1),
            };
            if b.len() < len {
                return Parsed::Incomplete;
            }
            match std::str::from_utf8(&b[..len])
                .ok()
                .and_then(|s| s.chars().next())
            {
                Some(ch) => Parsed::Done(key(KeyCode::Char(ch), KeyModifiers::NONE), len),
                None => Parsed::Done(None, 1),
            }
        }
    }
}

fn parse_escape(b: &[u8]) -> Parsed {
    let Some(&next) = b.get(1) else {
        return Parsed::Incomplete;
    };
    match next {
        b'[' => parse_csi(b),
        b'O' => match b.get(2) {
            None => Parsed::Incomplete,
            Some(&c) => {
                let code = match c {
                    b'A' => KeyCode::Up,
                    b'B' => KeyCode::Down,
                    b'C' => KeyCode::Right,
                    b'D' => KeyCode::Left,
                    b'H' => KeyCode::Home,
                    b'F' => KeyCode::End,
                    b'P'..=b'S' => KeyCode::F(c - b'P' + 1),
                    _ => return Parsed::Done(None, 3),
                };
                Parsed::Done(key(code, KeyModifiers::NONE), 3)
            }
        },
        0x1b => Parsed::Done(key(KeyCode::Esc, KeyModifiers::NONE), 1),
        _ => match parse(&b[1..]) {
            Parsed::Done(Some(Event::Key(k)), n) => {
                Parsed::Done(key(k.code, k.modifiers | KeyModifiers::ALT), n + 1)
            }
            Parsed::Done(_, n) => Parsed::Done(None, n + 1),
            Parsed::Incomplete => Parsed::Incomplete,
        },
    }
}

/// The modifiers whose bits (`[shift, alt, ctrl]`) are set in `bits`.
fn modifier_bits(bits: u16, [shift, alt, ctrl]: [u16; 3]) -> KeyModifiers {
    let mut m = KeyModifiers::NONE;
    for (bit, modifier) in [
        (shift, KeyModifiers::SHIFT),
        (alt, KeyModifiers::ALT),
        (ctrl, KeyModifiers::CONTROL),
    ] {
        if bits & bit != 0 {
            m |= modifier;
        }
    }
    m
}

/// xterm's modifier parameter (1 + bits: shift 1, alt 2, ctrl 4).
fn modifiers(p: u16) -> KeyModifiers {
    modifier_bits(p.saturating_sub(1), [1, 2, 4])
}

fn parse_csi(b: &[u8]) -> Parsed {
    // ESC [ params final: params are 0x30–0x3f, the final byte 0x40–0x7e.
    let mut end = 2;
    loop {
        match b.get(end) {
            None => return Parsed::Incomplete,
            Some(0x30..=0x3f) => end += 1,
            Some(0x40..=0x7e) => break,
            // Not a CSI sequence after all: drop the two bytes seen.
            Some(_) => return Parsed::Done(None, 2),
        }
        if end > MAX_PENDING {
            return Parsed::Done(None, end);
        }
    }
    let n = end + 1;
    let params = &b[2..end];
    let fin = b[end];
    if params.first() == Some(&b'<') && (fin == b'M' || fin == b'm') {
        return Parsed::Done(mouse(&params[1..], fin == b'M'), n);
    }
    let nums: Vec<u16> = std::str::from_utf8(params)
        .unwrap_or("")
        .split(';')
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    let m = modifiers(nums.get(1).copied().unwrap_or(1));
    let code = match fin {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'Z' => return Parsed::Done(key(KeyCode::BackTab, KeyModifiers::SHIFT), n),
        b'P'..=b'S' => KeyCode::F(fin - b'P' + 1),
        b'~' => match nums.first().copied().unwrap_or(0) {
            1 | 7 => KeyCode::Home,
            2 => KeyCode::Insert,
            3 => KeyCode::Delete,
            4 | 8 => KeyCode::End,
            5 => KeyCode::PageUp,
            6 => KeyCode::PageDown,
            11..=15 => KeyCode::F((nums[0] - 10) as u8),
            17..=21 => KeyCode::F((nums[0] - 11) as u8),
            23 | 24 => KeyCode::F((nums[0] - 12) as u8),
            200 => return Parsed::Done(Some(Event::Paste(String::new())), n),
            _ => return Parsed::Done(None, n),
        },
        _ => return Parsed::Done(None, n),
    };
    Parsed::Done(key(code, m), n)
}

/// An SGR mouse report (`ESC [ < b ; x ; y M|m`), 1-based cells.
fn mouse(params: &[u8], press: bool) -> Option<Event> {
    let s = std::str::from_utf8(params).ok()?;
    let mut it = s.split(';').map(|p| p.parse::<u16>().ok());
    let (b, x, y) = (it.next()??, it.next()??, it.next()??);
    // SGR: shift 4, alt (meta) 8, ctrl 16.
    let m = modifier_bits(b, [4, 8, 16]);
    let button = match b & 3 {
        0 => MouseButton::Left,
        1 => MouseButton::Middle,
        _ => MouseButton::Right,
    };
    let kind = if b & 64 != 0 {
        match b & 3 {
            0 => MouseEventKind::ScrollUp,
            1 => MouseEventKind::ScrollDown,
            2 => MouseEventKind::ScrollLeft,
            _ => MouseEventKind::ScrollRight,
        }
    } else if b & 32 != 0 {
        if b & 3 == 3 {
            MouseEventKind::Moved
        } else {
            MouseEventKind::Drag(button)
        }
    } else if press {
        MouseEventKind::Down(button)
    } else {
        MouseEventKind::Up(button)
    };
    Some(Event::Mouse(MouseEvent {
        kind,
        column: x.saturating_sub(1),
        row: y.saturating_sub(1),
        modifiers: m,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn k(code: KeyCode) -> Event {
        Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn km(code: KeyCode, m: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new(code, m))
    }

    #[test]
    fn keys_text_and_control() {
        let mut d = Decoder::default();
        assert_eq!(
            d.feed("sé\r\t\x7f\x03".as_bytes()),
            [
                k(KeyCode::Char('s')),
                k(KeyCode::Char('é')),
                k(KeyCode::Enter),
                k(KeyCode::Tab),
                k(KeyCode::Backspace),
                km(KeyCode::Char('c'), KeyModifiers::CONTROL),
            ]
        );
        assert_eq!(
            d.feed(b"\x1b[A\x1bOB\x1b[5~\x1b[6~\x1b[H\x1b[4~\x1b[3~\x1b[Z\x1bOQ\x1b[15~\x1b[24~"),
            [
                k(KeyCode::Up),
                k(KeyCode::Down),
                k(KeyCode::PageUp),
                k(KeyCode::PageDown),
                k(KeyCode::Home),
                k(KeyCode::End),
                k(KeyCode::Delete),
                km(KeyCode::BackTab, KeyModifiers::SHIFT),
                k(KeyCode::F(2)),
                k(KeyCode::F(5)),
                k(KeyCode::F(12)),
            ]
        );
        assert_eq!(
            d.feed(b"\x1b[1;5C\x1bx"),
            [
                km(KeyCode::Right, KeyModifiers::CONTROL),
                km(KeyCode::Char('x'), KeyModifiers::ALT),
            ]
        );
    }

    #[test]
    fn a_sequence_cut_between_reads_waits_and_a_lone_esc_is_the_key() {
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b[").is_empty());
        assert_eq!(d.feed(b"B"), [k(KeyCode::Down)]);
        assert!(d.feed(b"\x1b").is_empty());
        assert_eq!(d.flush(), [k(KeyCode::Esc)]);
        // A UTF-8 character in two reads.
        assert!(d.feed(&[0xc3]).is_empty());
        assert_eq!(d.feed(&[0xa9]), [k(KeyCode::Char('é'))]);
    }

    #[test]
    fn bracketed_paste_is_one_event_even_across_reads() {
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b[200~{\"a\":\r 1}\x1b[20").is_empty());
        assert_eq!(
            d.feed(b"1~q"),
            [Event::Paste("{\"a\":\n 1}".into()), k(KeyCode::Char('q'))]
        );
    }

    #[test]
    fn sgr_mouse_reports() {
        let mut d = Decoder::default();
        let ev = d.feed(b"\x1b[<0;10;5M\x1b[<65;3;4M");
        assert_eq!(
            ev,
            [
                Event::Mouse(MouseEvent {
                    kind: MouseEventKind::Down(MouseButton::Left),
                    column: 9,
                    row: 4,
                    modifiers: KeyModifiers::NONE
                }),
                Event::Mouse(MouseEvent {
                    kind: MouseEventKind::ScrollDown,
                    column: 2,
                    row: 3,
                    modifiers: KeyModifiers::NONE
                }),
            ]
        );
    }

    proptest! {
        #[test]
        fn garbage_never_panics_and_never_holds_more_than_a_sequence(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut d = Decoder::default();
            for chunk in bytes.chunks(7) {
                d.feed(chunk);
                prop_assert!(d.pending.len() <= MAX_PENDING || d.paste.is_some());
            }
            d.flush();
        }
    }
}
