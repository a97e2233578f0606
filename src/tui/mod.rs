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
pub mod explain;
pub mod json_view;
pub mod theme;
pub mod view;

use app::{Action, App};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
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

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Put the terminal back as it was (idempotent; safe from a panic hook).
pub fn restore_terminal() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
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

fn setup(mouse: bool) -> io::Result<Term> {
    terminal::enable_raw_mode()?;
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    Terminal::new(CrosstermBackend::new(out))
}

fn draw(term: &mut Term, app: &mut App) -> io::Result<()> {
    execute!(io::stdout(), BeginSynchronizedUpdate)?;
    term.draw(|f| view::draw(f, app))?;
    execute!(io::stdout(), EndSynchronizedUpdate)
}

async fn event_loop(term: &mut Term, app: &mut App) -> io::Result<()> {
    let mut events = EventStream::new();
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let size = term.size()?;
    app.update(Action::Resize(size.width, size.height));
    draw(term, app)?;
    let mut mouse_on = app.mouse;
    let mut last_draw = Instant::now();
    loop {
        let running = app.session.is_running();
        let waiting = app.command_running.is_some() && !running;
        #[cfg(unix)]
        let term_signal = sigterm.recv();
        #[cfg(not(unix))]
        let term_signal = std::future::pending::<Option<()>>();
        let mut dirty = true;
        tokio::select! {
            biased;
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != crossterm::event::KeyEventKind::Release => app.update(Action::Key(k)),
                Some(Ok(Event::Mouse(m))) => app.update(Action::Mouse(m)),
                Some(Ok(Event::Resize(w, h))) => app.update(Action::Resize(w, h)),
                Some(Ok(_)) => dirty = false,
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            _ = term_signal => return Ok(()),
                        _ = tokio::time::sleep(Duration::from_millis(10)), if waiting => app.update(Action::Tick),
            _ = tokio::task::yield_now(), if running => {
                app.update(Action::Tick);
                // While running, redraw about 30 times a second.
                dirty = !app.session.is_running() || last_draw.elapsed() > Duration::from_millis(33);
            }
        }
        if app.quit {
            return Ok(());
        }
        if app.mouse != mouse_on {
            mouse_on = app.mouse;
            if mouse_on {
                execute!(io::stdout(), EnableMouseCapture)?;
            } else {
                execute!(io::stdout(), DisableMouseCapture)?;
            }
        }
        if dirty {
            draw(term, app)?;
            last_draw = Instant::now();
        }
    }
}

/// Run the debugger on `app` until the user quits.
pub fn run(mut app: App) -> io::Result<()> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() {
        return Err(io::Error::other(
            "the debugger needs a terminal (use `asldbg run` for headless runs)",
        ));
    }
    install_panic_hook();
    let mut term = setup(app.mouse)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let r = rt.block_on(event_loop(&mut term, &mut app));
    restore_terminal();
    // A task command still running is killed with its process group.
    if let Some(b) = &app.background {
        b.cancel();
    }
    r
}

/// A full-screen list to pick a bundled sample; `None` when the user quits.
pub fn pick(items: &[(String, String)]) -> io::Result<Option<usize>> {
    use crossterm::event::{self, KeyCode};
    use ratatui::text::Line;
    use ratatui::widgets::{Block, Borders, Paragraph};
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() {
        return Err(io::Error::other(
            "the sample picker needs a terminal (try `asldbg samples`)",
        ));
    }
    install_panic_hook();
    let mut term = setup(false)?;
    let mut sel = 0usize;
    let result = loop {
        term.draw(|f| {
            let lines: Vec<Line> = items
                .iter()
                .enumerate()
                .map(|(i, (n, d))| {
                    let mark = if i == sel { "▶ " } else { "  " };
                    Line::from(format!("{mark}{n:<24} {d}"))
                })
                .collect();
            let p = Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" asldbg — pick a sample (↑/↓, Enter, q) "),
            );
            f.render_widget(p, f.area());
        })?;
        if let Event::Key(k) = event::read()? {
            match k.code {
                KeyCode::Up | KeyCode::Char('k') => sel = sel.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => {
                    sel = (sel + 1).min(items.len().saturating_sub(1))
                }
                KeyCode::Enter => break Some(sel),
                KeyCode::Char('q') | KeyCode::Esc => break None,
                KeyCode::Char('c')
                    if k.modifiers
                        .contains(crossterm::event::KeyModifiers::CONTROL) =>
                {
                    break None
                }
                _ => {}
            }
        }
    };
    restore_terminal();
    Ok(result)
}

#[cfg(test)]
mod tests;
