//! The terminal a front end draws into. The local one is crossterm's; a
//! remote one ([`RemoteBackend`], at the other end of an SSH channel) is the
//! same escape sequences written to the channel, but nothing about it can be
//! asked of the host: its size is what the client said, and the cursor is
//! where this side last put it. (crossterm would ask the server's own
//! terminal — which a server has none of — or spawn `tput`.)

use super::theme::ColorMode;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::io::{self, Write};

/// What the event loop draws into: a ratatui backend that is also the
/// byte stream (for OSC 52, synchronized updates, mouse modes).
pub trait Screen: Backend<Error = io::Error> + Write {
    /// The terminal is now `w`×`h` (as its user said).
    fn resized(&mut self, _w: u16, _h: u16) {}
}

impl<W: Write> Screen for CrosstermBackend<W> {}

/// A terminal known only by what it sent: see the module's note.
pub struct RemoteBackend<W: Write> {
    inner: CrosstermBackend<W>,
    size: Size,
    cursor: Position,
}

impl<W: Write> RemoteBackend<W> {
    pub fn new(out: W, w: u16, h: u16) -> RemoteBackend<W> {
        RemoteBackend {
            inner: CrosstermBackend::new(out),
            size: Size::new(w, h),
            cursor: Position::ORIGIN,
        }
    }
}

impl<W: Write> Screen for RemoteBackend<W> {
    fn resized(&mut self, w: u16, h: u16) {
        self.size = Size::new(w, h);
    }
}

impl<W: Write> Write for RemoteBackend<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl<W: Write> Backend for RemoteBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let p = position.into();
        self.cursor = p;
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }
    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }
    fn size(&self) -> io::Result<Size> {
        Ok(self.size)
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::default(),
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

/// The byte stream to a terminal with fewer colours than crossterm
/// writes. crossterm writes every colour as `ESC [ 38;5;N m` (and
/// `48;5;N`), which only a 256-colour terminal reads, and ratatui resets
/// the underline colour (`59`), which few others know. For a 16-colour
/// terminal the 16 named colours are written in their own codes
/// (`3x`/`9x`, `4x`/`10x`) and underline colours left out; for one with no
/// colour (`TERM=dumb`, `NO_COLOR`) every colour parameter is left out (a
/// sequence left with none is not written). Everything else goes through
/// as it is.
pub struct Sixteen<W: Write> {
    out: W,
    colors: ColorMode,
    /// An escape sequence not yet whole (crossterm writes one in pieces).
    pending: Vec<u8>,
}

/// Longer than any colour sequence: what is held back never grows past it.
const PENDING_MAX: usize = 32;

impl<W: Write> Sixteen<W> {
    pub fn new(out: W, colors: ColorMode) -> Sixteen<W> {
        Sixteen {
            out,
            colors,
            pending: Vec::new(),
        }
    }

    /// Whether sequences are rewritten at all.
    fn on(&self) -> bool {
        matches!(self.colors, ColorMode::Ansi16 | ColorMode::None)
    }

    /// A whole SGR sequence as this terminal takes it; None when it stays
    /// as it is, `Some("")` when nothing of it is left.
    fn sixteen(seq: &[u8], colors: ColorMode) -> Option<String> {
        let params = std::str::from_utf8(seq.strip_prefix(b"\x1b[")?.strip_suffix(b"m")?).ok()?;
        let plain = colors == ColorMode::None;
        let p: Vec<&str> = params.split(';').collect();
        let mut out: Vec<String> = Vec::with_capacity(p.len());
        let mut changed = false;
        let mut i = 0;
        while i < p.len() {
            // How many parameters a colour takes: `38;5;N`, `38;2;R;G;B`.
            let colour_len = match (p[i], p.get(i + 1)) {
                ("38" | "48" | "58", Some(&"5")) => Some(3),
                ("38" | "48" | "58", Some(&"2")) => Some(5),
                _ => None,
            };
            if let Some(len) = colour_len {
                let n = p.get(i + 2).and_then(|n| n.parse::<u8>().ok());
                let code = match (p[i], len, n) {
                    _ if plain || p[i] == "58" => None,
                    ("38", 3, Some(n @ 0..=7)) => Some(30 + n),
                    ("38", 3, Some(n @ 8..=15)) => Some(90 + n - 8),
                    ("48", 3, Some(n @ 0..=7)) => Some(40 + n),
                    ("48", 3, Some(n @ 8..=15)) => Some(100 + n - 8),
                    // A colour of another kind keeps its own parameters.
                    _ => {
                        out.extend(p[i..(i + len).min(p.len())].iter().map(|s| s.to_string()));
                        i += len;
                        continue;
                    }
                };
                out.extend(code.map(|c| c.to_string()));
                changed = true;
                i += len;
                continue;
            }
            let dropped = match p[i] {
                "59" => true,
                "39" | "49" => plain,
                _ => false,
            };
            if dropped {
                changed = true;
            } else {
                out.push(p[i].to_string());
            }
            i += 1;
        }
        changed.then(|| {
            if out.is_empty() {
                String::new()
            } else {
                format!("\x1b[{}m", out.join(";"))
            }
        })
    }

    /// Write what is held back, turning a whole colour sequence into its
    /// 16-colour form; an unfinished sequence stays held (unless `all`).
    fn drain(&mut self, all: bool) -> io::Result<()> {
        let mut done = 0;
        let b = std::mem::take(&mut self.pending);
        while done < b.len() {
            let Some(esc) = b[done..].iter().position(|c| *c == 0x1b).map(|i| done + i) else {
                self.out.write_all(&b[done..])?;
                break;
            };
            self.out.write_all(&b[done..esc])?;
            // A CSI sequence ends at its final byte (0x40..=0x7e after `[`).
            let end = (b.get(esc + 1) == Some(&b'['))
                .then(|| {
                    b[esc + 2..]
                        .iter()
                        .position(|c| (0x40..=0x7e).contains(c))
                        .map(|i| esc + 2 + i + 1)
                })
                .flatten();
            match end {
                Some(end) => {
                    match Self::sixteen(&b[esc..end], self.colors) {
                        Some(s) => self.out.write_all(s.as_bytes())?,
                        None => self.out.write_all(&b[esc..end])?,
                    }
                    done = end;
                }
                // Not a CSI sequence, or not whole after as many bytes as
                // any colour takes: as it is.
                None if all
                    || b.len() - esc > PENDING_MAX
                    || (b.len() > esc + 1 && b[esc + 1] != b'[') =>
                {
                    self.out.write_all(&b[esc..esc + 1])?;
                    done = esc + 1;
                }
                None => {
                    self.pending = b[esc..].to_vec();
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for Sixteen<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.on() {
            return self.out.write(buf);
        }
        self.pending.extend_from_slice(buf);
        self.drain(false)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.on() {
            self.drain(true)?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn sixteen_colours_are_written_in_their_own_codes() {
        let mut s = Sixteen::new(Vec::new(), ColorMode::Ansi16);
        // In pieces, as crossterm writes them.
        for piece in [
            "a\x1b[",
            "38;5;",
            "9",
            "m",
            "b\x1b[48;5;0m",
            "\x1b[38;5;196m",
            "\x1b[1;7m\x1b[39m",
            "\x1b[48;5;15m",
            "\x1b]52;c;eA==\x07",
            "\x1b[38;5;3mz",
            "\x1b[38;5;14;49m",
            "\x1b[38;2;1;2;3;48;5;8m",
            "\x1b[59m",
            "\x1b[58;5;3;1m",
        ] {
            s.write_all(piece.as_bytes()).unwrap();
        }
        s.flush().unwrap();
        assert_eq!(
            String::from_utf8(s.out).unwrap(),
            "a\x1b[91mb\x1b[40m\x1b[38;5;196m\x1b[1;7m\x1b[39m\x1b[107m\x1b]52;c;eA==\x07\x1b[33mz\x1b[96;49m\x1b[38;2;1;2;3;100m\x1b[1m"
        );
        // No colour: none written, and a sequence of nothing else goes.
        let mut s = Sixteen::new(Vec::new(), ColorMode::None);
        s.write_all(b"a\x1b[39m\x1b[49m\x1b[59m\x1b[0mb\x1b[1;38;5;9;7mc\x1b[38;2;1;2;3m")
            .unwrap();
        s.flush().unwrap();
        assert_eq!(String::from_utf8(s.out).unwrap(), "a\x1b[0mb\x1b[1;7mc");
        // 256 colours: byte for byte.
        let mut s = Sixteen::new(Vec::new(), ColorMode::Ansi256);
        s.write_all(b"\x1b[38;5;9m\x1b[59m").unwrap();
        assert_eq!(s.out, b"\x1b[38;5;9m\x1b[59m");
    }
    use ratatui::{Terminal, TerminalOptions, Viewport};

    /// Everything a session does to its terminal works with no terminal
    /// on the host (the test runner has none either when it is CI).
    #[test]
    fn a_remote_terminal_is_cleared_resized_and_drawn_without_asking_the_host() {
        #[derive(Clone, Default)]
        struct Out(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Out {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let out = Out::default();
        let backend = RemoteBackend::new(out.clone(), 40, 10);
        let mut term = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 40, 10)),
            },
        )
        .unwrap();
        term.clear().unwrap();
        term.backend_mut().resized(60, 20);
        term.resize(Rect::new(0, 0, 60, 20)).unwrap();
        term.draw(|f| {
            f.render_widget(ratatui::widgets::Paragraph::new("hello"), f.area());
            f.set_cursor_position((3, 4));
        })
        .unwrap();
        assert_eq!(term.get_cursor_position().unwrap(), Position::new(3, 4));
        assert_eq!(term.size().unwrap(), Size::new(60, 20));
        let out = String::from_utf8_lossy(&out.0.lock().unwrap()).into_owned();
        assert!(out.contains("hello"), "{out:?}");
    }
}
