//! A program in a pseudo-terminal for end-to-end tests: keys go in, the
//! screen is read back through a terminal emulator (vt100).

use portable_pty::{native_pty_system, CommandBuilder, PtySize};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Tui {
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte asldbg wrote (escape sequences the screen does not keep,
    /// such as OSC 52).
    pub raw: Arc<Mutex<Vec<u8>>>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    /// Kept as long as the terminal is used (and for resizing it).
    master: Box<dyn portable_pty::MasterPty + Send>,
    /// The terminal does not read what the program writes (a stalled
    /// client): the program's writes block once the pty's buffer is full.
    stalled: Arc<AtomicBool>,
}

impl Tui {
    pub fn start(args: &[&str]) -> Tui {
        Tui::start_sized(args, 24, 80)
    }

    /// The `asldbg` binary with `args` in a `rows`×`cols` terminal.
    pub fn start_sized(args: &[&str], rows: u16, cols: u16) -> Tui {
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_asldbg"));
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        Tui::spawn(cmd, rows, cols)
    }

    /// `cmd` in a `rows`×`cols` pseudo-terminal (TERM=xterm-256color unless
    /// `cmd` says another).
    pub fn spawn(mut cmd: CommandBuilder, rows: u16, cols: u16) -> Tui {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pty");
        if cmd.get_env("TERM").is_none() {
            cmd.env("TERM", "xterm-256color");
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn asldbg");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let p = parser.clone();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let r = raw.clone();
        let stalled = Arc::new(AtomicBool::new(false));
        let st = stalled.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                if st.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                let Ok(n) = reader.read(&mut buf) else { break };
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Tui {
            parser,
            raw,
            writer,
            child,
            master: pair.master,
            stalled,
        }
    }

    /// Stop reading the program's output (until [`Tui::read_again`]).
    pub fn stop_reading(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    pub fn read_again(&self) {
        self.stalled.store(false, Ordering::SeqCst);
    }

    /// Bytes sent as typed, all at once (no pause after).
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn wait_for(&self, text: &str) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if self.screen().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "'{text}' did not appear; the screen was:\n{}",
            self.screen()
        );
    }

    pub fn wait_for_gone(&self, text: &str) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if !self.screen().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("'{text}' stayed; the screen was:\n{}", self.screen());
    }

    /// The terminal is now `rows`×`cols` (the program gets SIGWINCH).
    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
    }

    /// The program's exit status once it ends (within `limit`).
    pub fn exit_status(&mut self, limit: Duration) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(start.elapsed() < limit, "the program did not end");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn keys(&mut self, k: &str) {
        self.writer.write_all(k.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn quit_and_check_restored(mut self) {
        self.keys("q");
        let status = self.ended_and_restored("q");
        assert!(status.success(), "asldbg exited with {status:?}");
    }

    /// Wait until asldbg ends (after `what`), check that it left the
    /// alternate screen and showed the cursor again, and give its status.
    pub fn ended_and_restored(mut self, what: &str) -> portable_pty::ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{what} did not end asldbg"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(100));
        let p = self.parser.lock().unwrap();
        assert!(
            !p.screen().alternate_screen(),
            "the alternate screen must be left"
        );
        assert!(!p.screen().hide_cursor(), "the cursor must be shown again");
        status
    }
}
