//! The terminal a front end draws into. The local one is crossterm's; a
//! remote one ([`RemoteBackend`], at the other end of an SSH channel) is the
//! same escape sequences written to the channel, but nothing about it can be
//! asked of the host: its size is what the client said, and the cursor is
//! where this side last put it. (crossterm would ask the server's own
//! terminal — which a server has none of — or spawn `tput`.)

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

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
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
