//! The terminal front end. It only drives the debugger API
//! ([`crate::debugger::Session`]); the language and the engine know nothing
//! of it.
//!
//! The loop waits on key, mouse and resize events, SIGTERM, and — while a
//! continue runs — on slices of engine work, so a pause key is seen between
//! slices. It redraws only after a change, inside synchronized updates. The
//! terminal is restored on quit, on Ctrl-C, on SIGTERM and on panic.

pub mod app;
pub mod bench;
pub mod class;
pub mod command;
pub mod compare;
pub mod data_panes;
pub mod diff;
pub mod dispatch;
pub mod exercise;
pub mod explain;
pub mod glyphs;
pub mod graph_pane;
pub mod history;
pub mod json_view;
pub mod keys;
pub mod lab;
pub mod layout;
pub mod lesson;
pub mod markdown;
pub mod outline;
pub mod panes;
pub mod picker;
pub mod popups;
pub mod reload;
pub mod screen;
pub mod stage_blocks;
pub mod stages;
pub mod task_panel;
pub mod theme;
pub mod vars;
pub mod view;
pub mod viewer;
pub mod whatif;

use app::{Action, App};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use crossterm::terminal::{
    self, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, Stdout, Write};
use std::time::{Duration, Instant};

type Term = Terminal<CrosstermBackend<screen::Sixteen<Stdout>>>;

/// Where the front end's events come from: the local terminal (read by
/// crossterm) or bytes from a remote one ([`keys::Decoder`]).
pub trait Input {
    /// The next event; None when the input has ended.
    fn next(&mut self) -> impl std::future::Future<Output = Option<io::Result<Event>>>;
    /// An event already received, without waiting for one.
    fn ready(&mut self) -> io::Result<Option<Event>>;
    /// Ctrl-Z: give the terminal back and stop the process until the shell
    /// continues it (`fg`), then take the terminal again. False where there
    /// is no process to stop (a session over SSH).
    fn suspend(&mut self, _mouse: bool) -> io::Result<bool> {
        Ok(false)
    }
    /// The other end is gone (an SSH client disconnected): whatever the
    /// session was waiting for, it ends now.
    fn gone(&self) -> bool {
        false
    }
}

/// What a front end adds to the loop: the classroom's teacher broadcasts
/// their session, a follower's run is moved by it. The local terminal has
/// none ([`NoHooks`]).
pub trait Hooks {
    /// After the app took events or ran a slice.
    fn after(&mut self, _app: &mut App) {}
    /// Resolves when something outside the terminal changed.
    fn outside(&mut self) -> impl std::future::Future<Output = ()>;
    /// Take in what changed outside; true when the screen changed.
    fn apply(&mut self, _app: &mut App) -> bool {
        false
    }
    /// A frame was drawn (a teacher may be watching it).
    fn drawn(&mut self, _screen: &ratatui::buffer::Buffer) {}
    /// The user pressed a key (a class view shows how long ago).
    fn pressed(&mut self) {}
    /// After each turn: how long this session waits before its next one
    /// (a class session over its share of the CPU).
    fn pace(&mut self, _app: &mut App) -> Option<Duration> {
        None
    }
}

pub struct NoHooks;

impl Hooks for NoHooks {
    fn outside(&mut self) -> impl std::future::Future<Output = ()> {
        std::future::pending()
    }
}

/// The local terminal's events.
struct Local(EventStream);

impl Input for Local {
    fn next(&mut self) -> impl std::future::Future<Output = Option<io::Result<Event>>> {
        self.0.next()
    }
    #[cfg(unix)]
    fn suspend(&mut self, mouse: bool) -> io::Result<bool> {
        restore_terminal();
        // SAFETY: raise() only sends a signal to this process; SIGTSTP's
        // default action stops it here, and it returns once continued.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
        terminal::enable_raw_mode()?;
        enter_screen(&mut io::stdout(), mouse)?;
        Ok(true)
    }
    fn ready(&mut self) -> io::Result<Option<Event>> {
        // A zero timeout never sees buffered events; 1 µs does.
        if crossterm::event::poll(Duration::from_micros(1))? {
            crossterm::event::read().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// The sequences that open the debugger's screen on a terminal.
pub fn enter_screen<W: Write>(out: &mut W, mouse: bool) -> io::Result<()> {
    execute!(out, EnterAlternateScreen, EnableBracketedPaste)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    Ok(())
}

/// The sequences that give a terminal back as it was.
pub fn leave_screen<W: Write>(out: &mut W) -> io::Result<()> {
    execute!(
        out,
        EndSynchronizedUpdate,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    )?;
    out.flush()
}

/// An error when the terminal belongs to another process group: started
/// in the background (`cmd &`, or under `timeout` without `--foreground`),
/// the debugger could draw but never read a key (the terminal stops every
/// read), which looks like a screen that hangs.
fn in_the_foreground() -> io::Result<()> {
    #[cfg(unix)]
    {
        // SAFETY: plain queries of this process and of its terminal.
        let (theirs, ours) = unsafe { (libc::tcgetpgrp(libc::STDOUT_FILENO), libc::getpgrp()) };
        if theirs > 0 && theirs != ours {
            return Err(io::Error::other(
                "the debugger cannot read the terminal: it was started in the background \
                 (its process group is not the terminal's; under `timeout`, add --foreground)",
            ));
        }
    }
    Ok(())
}

/// Put the terminal back as it was (idempotent; safe from a panic hook).
pub fn restore_terminal() {
    let _ = leave_screen(&mut io::stdout());
    let _ = terminal::disable_raw_mode();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A panic the JSONata adapter catches is an error, not a crash.
        if crate::asl::jsonata::panic_is_caught() {
            return;
        }
        restore_terminal();
        eprintln!("asldbg crashed; the terminal has been restored. Please report this:");
        previous(info);
    }));
}

/// The terminal in raw mode on the alternate screen, written in the
/// colours it has (see [`screen::Sixteen`]).
fn setup(mouse: bool, colors: theme::ColorMode) -> io::Result<Term> {
    terminal::enable_raw_mode()?;
    let mut out = io::stdout();
    enter_screen(&mut out, mouse)?;
    Terminal::new(CrosstermBackend::new(screen::Sixteen::new(out, colors)))
}

fn draw<B: screen::Screen, H: Hooks>(
    term: &mut Terminal<B>,
    app: &mut App,
    hooks: &mut H,
) -> io::Result<()> {
    if let Some(text) = app.clipboard.take() {
        // OSC 52: the terminal (local or at the other end of SSH) puts the
        // text on its clipboard.
        let out = term.backend_mut();
        out.write_all(viewer::osc52(&text).as_bytes())?;
        Write::flush(out)?;
    }
    execute!(term.backend_mut(), BeginSynchronizedUpdate)?;
    let frame = term.draw(|f| view::draw(f, app))?;
    hooks.drawn(frame.buffer);
    execute!(term.backend_mut(), EndSynchronizedUpdate)
}

/// Gives one terminal event to the app; true when the input has ended.
/// Plain characters and Enter typed into an open editor are gathered in
/// `typed` and inserted at once by [`flush`]: the editor widget re-measures
/// its whole text on every edit, so a long paste without bracketed paste
/// (one key event per character) grew quadratic.
fn handle<B: screen::Screen>(
    term: &mut Terminal<B>,
    app: &mut App,
    input: &mut impl Input,
    ev: Option<io::Result<Event>>,
    typed: &mut String,
) -> io::Result<bool> {
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
    if let Some(Ok(Event::Key(k))) = &ev {
        // Ctrl-Z suspends, as in any terminal program; back on `fg`, the
        // screen is drawn again whole.
        if k.code == KeyCode::Char('z')
            && k.modifiers == KeyModifiers::CONTROL
            && k.kind != KeyEventKind::Release
        {
            flush(app, typed);
            if input.suspend(app.mouse)? {
                redraw_whole(term)?;
                app.update(Action::Resize(app.size.0, app.size.1));
                return Ok(false);
            }
        }
        let plain = k.modifiers.difference(KeyModifiers::SHIFT).is_empty();
        if k.kind != KeyEventKind::Release && plain && app.editing() {
            match k.code {
                KeyCode::Char(c) => {
                    typed.push(c);
                    return Ok(false);
                }
                KeyCode::Enter if !app.one_line_editor() => {
                    typed.push('\n');
                    return Ok(false);
                }
                _ => {}
            }
        }
    }
    flush(app, typed);
    match ev {
        Some(Ok(Event::Key(k))) if k.kind != crossterm::event::KeyEventKind::Release => {
            app.update(Action::Key(k))
        }
        Some(Ok(Event::Mouse(m))) => app.update(Action::Mouse(m)),
        Some(Ok(Event::Resize(w, h))) => {
            // A remote terminal's size is known only from what it says.
            term.backend_mut().resized(w, h);
            term.resize(ratatui::layout::Rect::new(0, 0, w, h))?;
            app.update(Action::Resize(w, h))
        }
        Some(Ok(Event::Paste(text))) => app.update(Action::Paste(text)),
        // The terminal's screen is not known (a remote one that stopped
        // reading lost frames): the next frame draws it whole.
        Some(Ok(Event::FocusGained)) => redraw_whole(term)?,
        Some(Ok(_)) => {}
        Some(Err(e)) => return Err(e),
        None => return Ok(true),
    }
    Ok(false)
}

/// The next frame draws every cell (the screen is not what the last frame
/// left). `Terminal::clear` would ask the terminal where its cursor is,
/// an answer the event reader takes first: this only clears.
fn redraw_whole<B: screen::Screen>(term: &mut Terminal<B>) -> io::Result<()> {
    let size = term.size()?;
    term.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

/// Inserts what [`handle`] gathered.
fn flush(app: &mut App, typed: &mut String) {
    if !typed.is_empty() {
        app.update(Action::Paste(std::mem::take(typed)));
    }
}

/// The debugger on `app` in terminal `term`, taking events from `input`,
/// until the user quits, the input ends or `stop` completes (SIGTERM, a
/// server shutting down). The same loop serves the local terminal and an
/// SSH channel.
pub async fn event_loop<B: screen::Screen>(
    term: &mut Terminal<B>,
    app: &mut App,
    input: &mut impl Input,
    hooks: &mut impl Hooks,
    size: (u16, u16),
    stop: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    tokio::pin!(stop);
    app.update(Action::Resize(size.0, size.1));
    draw(term, app, hooks)?;
    let mut mouse_on = app.mouse;
    let mut last_draw = Instant::now();
    // Something changed since the last frame.
    let mut stale = false;
    // How long the last frame took to draw.
    let mut frame_cost = Duration::ZERO;
    // The definition file is looked at a few times a second (one stat).
    let mut watch = tokio::time::interval(Duration::from_millis(300));
    watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let watching = app.definition_file.is_some();
    loop {
        if input.gone() {
            // Keys still queued were sent to a screen no one sees now.
            return Ok(());
        }
        let running = app.session.is_running();
        let waiting = app.command_running.is_some() && !running;
        let wake = app.wake_at();
        tokio::select! {
            biased;
            // SIGTERM before anything the terminal sends.
            _ = &mut stop => return Ok(()),
            ev = input.next() => {
                // What this key press (and those read with it) causes
                // shares one turn of the evaluation budget.
                crate::budget::new_turn();
                if matches!(ev, Some(Ok(Event::Key(_)))) {
                    hooks.pressed();
                }
                let mut typed = String::new();
                if handle(term, app, input, ev, &mut typed)? {
                    return Ok(());
                }
                stale = true;
                // Take the events already read from the terminal here: the
                // stream hands each one over through a thread (~0.2 ms), which
                // made a 40 KB paste without bracketed paste take 10 s. (A
                // zero timeout never sees buffered events; 1 µs does.)
                let burst = Instant::now();
                while !app.quit && burst.elapsed() < Duration::from_millis(50) {
                    let Some(ev) = input.ready()? else { break };
                    if handle(term, app, input, Some(Ok(ev)), &mut typed)? {
                        return Ok(());
                    }
                }
                flush(app, &mut typed);
            }
            // Drawn once no event has come for a moment: events that arrive
            // together (a paste without bracketed paste, a key held down)
            // are all taken before one frame is drawn. A frame per key made
            // a 40 KB paste take a minute, with `q` waiting behind it. (The
            // event stream hands each event over through a thread, so "no
            // event ready now" is not "no event coming".)
            _ = tokio::time::sleep(Duration::from_millis(3)), if stale && !running => {
                let t = Instant::now();
                draw(term, app, hooks)?;
                frame_cost = t.elapsed();
                last_draw = Instant::now();
                stale = false;
            }
            _ = hooks.outside() => {
                stale |= hooks.apply(app);
            }
            // What the lab held back while typing is evaluated at the pause.
            _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now).into()), if wake.is_some() => {
                stale = true;
            }
            _ = watch.tick(), if watching && !app.editing() => {
                let before = app.generation;
                let problems = app.definition_problems.len();
                let said = app.message.clone();
                app.update(Action::Watch);
                stale |= app.generation != before
                    || app.definition_problems.len() != problems
                    || app.message != said;
            }
            _ = tokio::time::sleep(Duration::from_millis(10)), if waiting => {
                app.update(Action::Tick);
                stale = true;
            }
            _ = tokio::task::yield_now(), if running => {
                crate::budget::new_turn();
                app.update(Action::Tick);
                stale = true;
            }
        }
        hooks.after(app);
        if app.quit {
            return Ok(());
        }
        // Until this session is within its share again. Drawing can spend
        // CPU too (a watch is evaluated when it is next shown), so the
        // share is looked at again after each wait, and only then is the
        // wait over (and said to be).
        let mut paced = false;
        while let Some(wait) = hooks.pace(app) {
            if !paced {
                // Why it waits, on screen first (once: a frame costs CPU
                // too); then only this session waits.
                draw(term, app, hooks)?;
                last_draw = Instant::now();
            }
            paced = true;
            // In slices: a student who disconnects while their session
            // waits gives their seat back at once, not when the wait ends.
            let until = Instant::now() + wait;
            loop {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                tokio::select! {
                    biased;
                    _ = &mut stop => return Ok(()),
                    _ = tokio::time::sleep(left.min(Duration::from_millis(100))) => {}
                }
                if input.gone() {
                    return Ok(());
                }
            }
        }
        stale |= paced;
        if app.mouse != mouse_on {
            mouse_on = app.mouse;
            if mouse_on {
                execute!(term.backend_mut(), EnableMouseCapture)?;
            } else {
                execute!(term.backend_mut(), DisableMouseCapture)?;
            }
        }
        // While running or under a flood of events, about 30 frames a
        // second, fewer when a frame is slow (a very long line in an editor),
        // so that drawing never takes more than a fifth of the time.
        let finished_run = running && !app.session.is_running();
        let gap = Duration::from_millis(33).max(frame_cost * 4);
        if stale && (finished_run || last_draw.elapsed() > gap) {
            let t = Instant::now();
            draw(term, app, hooks)?;
            frame_cost = t.elapsed();
            last_draw = Instant::now();
            stale = false;
        }
    }
}

/// Run the debugger on `app` until the user quits.
pub fn run(app: App) -> io::Result<()> {
    run_with(app).map(|_| ())
}

/// Run the debugger and hand the app back (its session as the user left it).
pub fn run_with(mut app: App) -> io::Result<App> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() {
        return Err(io::Error::other(
            "the debugger needs a terminal (use `asldbg run` for headless runs)",
        ));
    }
    in_the_foreground()?;
    install_panic_hook();
    let mut term = setup(app.mouse, app.theme.colors)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let r = rt.block_on(async {
        let size = term.size()?;
        let mut input = Local(EventStream::new());
        #[cfg(unix)]
        let mut sigterm =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        #[cfg(unix)]
        let stop = async move {
            sigterm.recv().await;
        };
        #[cfg(not(unix))]
        let stop = std::future::pending::<()>();
        event_loop(
            &mut term,
            &mut app,
            &mut input,
            &mut NoHooks,
            (size.width, size.height),
            stop,
        )
        .await
    });
    restore_terminal();
    // A task command still running is killed with its process group.
    if let Some(b) = &app.background {
        b.cancel();
    }
    r.map(|_| app)
}

/// A full-screen list to pick a bundled sample; `None` when the user quits.
pub fn pick(items: &[(String, String)], glyphs: glyphs::Glyphs) -> io::Result<Option<usize>> {
    pick_from(
        items,
        " asldbg — pick a sample (↑/↓, Enter, q) ",
        "the sample picker needs a terminal (try `asldbg samples`)",
        glyphs,
    )
}

/// A full-screen list titled `title`, drawn with `glyphs`; `None` when the
/// user quits. Without a terminal, an error saying `no_terminal`.
pub fn pick_from(
    items: &[(String, String)],
    title: &str,
    no_terminal: &str,
    glyphs: glyphs::Glyphs,
) -> io::Result<Option<usize>> {
    use crossterm::event;
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() {
        return Err(io::Error::other(no_terminal.to_string()));
    }
    in_the_foreground()?;
    install_panic_hook();
    let mut term = setup(false, theme::ColorMode::detect())?;
    let mut picker = picker::Picker::new(items, title);
    let result = loop {
        term.draw(|f| {
            picker.draw(f);
            glyphs::apply(glyphs, f.buffer_mut());
        })?;
        if let Event::Key(k) = event::read()? {
            match picker.key(k) {
                Some(picker::Picked::Item(i)) => break Some(i),
                Some(picker::Picked::Leave) => break None,
                None => {}
            }
        }
    };
    restore_terminal();
    Ok(result)
}

#[cfg(test)]
mod tests;
