//! Colours: TextMate `.tmTheme` files (three built in, or any file) resolved
//! once into the styles the panes use. Colours follow what the terminal says
//! it has: `NO_COLOR` (or `TERM=dumb`) turns them off, `COLORTERM=truecolor`
//! gives 24-bit colour, a `TERM` naming 256 colours the nearest of xterm's
//! 256, and any other terminal (`xterm`, `screen`, `linux`, `vt100`) the 16
//! ANSI colours, with its own background and foreground for greys, dimmed
//! muted text and a reversed selection.

use ratatui::style::{Color, Modifier, Style};
use std::io::Cursor;
use std::str::FromStr;
use syntect::highlighting::{
    Color as TmColor, FontStyle, Highlighter, ScopeSelectors, StyleModifier, Theme as TmTheme,
    ThemeSet,
};
use syntect::parsing::Scope;

pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.tmTheme")),
    ("light", include_str!("../../themes/light.tmTheme")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.tmTheme"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColorMode {
    None,
    /// The 16 ANSI colours, on the terminal's own foreground and background.
    Ansi16,
    Ansi256,
    TrueColor,
}

impl ColorMode {
    /// From this process's `NO_COLOR`, `COLORTERM` and `TERM`.
    pub fn detect() -> ColorMode {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let colorterm = std::env::var("COLORTERM").ok();
        let term = std::env::var("TERM").ok();
        ColorMode::for_terminal(term.as_deref(), colorterm.as_deref(), no_color)
    }

    /// What a terminal called `term` (its `TERM`) with `colorterm` (its
    /// `COLORTERM`) can show. No `TERM` at all (a Windows console) is taken
    /// as 256 colours.
    pub fn for_terminal(term: Option<&str>, colorterm: Option<&str>, no_color: bool) -> ColorMode {
        let term = term.map(str::to_ascii_lowercase);
        if no_color || term.as_deref() == Some("dumb") {
            return ColorMode::None;
        }
        if matches!(colorterm, Some("truecolor") | Some("24bit")) {
            return ColorMode::TrueColor;
        }
        match term.as_deref() {
            None | Some("") => ColorMode::Ansi256,
            Some(t) if t.ends_with("-direct") || t.contains("truecolor") => ColorMode::TrueColor,
            Some(t) if t.contains("256") => ColorMode::Ansi256,
            Some(_) => ColorMode::Ansi16,
        }
    }
}

/// The styles every pane draws with.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    /// The colours it was resolved for (what the terminal has).
    pub colors: ColorMode,
    pub base: Style,
    pub muted: Style,
    pub accent: Style,
    pub selection: Style,
    pub string: Style,
    pub key: Style,
    pub number: Style,
    pub keyword: Style,
    pub punct: Style,
    pub good: Style,
    pub bad: Style,
    pub warn: Style,
    pub breakpoint: Style,
    pub changed: Style,
    pub border: Style,
    pub border_focus: Style,
}

/// Nearest xterm-256 colour of an RGB value.
pub fn to_256(r: u8, g: u8, b: u8) -> u8 {
    let cube = |v: u8| -> u8 {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    let (cr, cg, cb) = (cube(r), cube(g), cube(b));
    let levels = [0u8, 95, 135, 175, 215, 255];
    let cube_rgb = (
        levels[cr as usize],
        levels[cg as usize],
        levels[cb as usize],
    );
    let avg = (r as u32 + g as u32 + b as u32) / 3;
    let gray_idx = if avg > 238 {
        23
    } else {
        (avg.saturating_sub(8) / 10) as u8
    };
    let gray = 8 + 10 * gray_idx as u32;
    let dist = |a: (u32, u32, u32)| {
        let d = |x: u32, y: u8| (x as i64 - y as i64).pow(2);
        d(a.0, r) + d(a.1, g) + d(a.2, b)
    };
    if dist((gray, gray, gray)) < dist((cube_rgb.0 as u32, cube_rgb.1 as u32, cube_rgb.2 as u32)) {
        232 + gray_idx
    } else {
        16 + 36 * cr + 6 * cg + cb
    }
}

/// The ANSI colour a text colour becomes on a 16-colour terminal. Greys
/// and near-whites are the terminal's own foreground (`Reset`), mid greys
/// its dark grey; black and white are never chosen, as one of them is the
/// terminal's background, whichever it is.
pub fn to_16(r: u8, g: u8, b: u8) -> Color {
    to_16_on(r, g, b, false)
}

/// [`to_16`] for a terminal with a light background (`light`): the pale
/// colours (yellow, and the bright ones) are left out, as they cannot be
/// read on white; a colour takes the nearest of the others.
pub fn to_16_on(r: u8, g: u8, b: u8, light: bool) -> Color {
    let (hi, lo) = (r.max(g).max(b), r.min(g).min(b));
    // Greys: the terminal's own foreground (dark grey may be its
    // background, as on Solarized Dark).
    if hi - lo < 40 {
        return Color::Reset;
    }
    // xterm's default palette.
    const PALETTE: [(Color, (u8, u8, u8)); 12] = [
        (Color::Red, (205, 0, 0)),
        (Color::Green, (0, 205, 0)),
        (Color::Yellow, (205, 205, 0)),
        (Color::Blue, (0, 0, 238)),
        (Color::Magenta, (205, 0, 205)),
        (Color::Cyan, (0, 205, 205)),
        (Color::LightRed, (255, 0, 0)),
        (Color::LightGreen, (0, 255, 0)),
        (Color::LightYellow, (255, 255, 0)),
        (Color::LightBlue, (92, 92, 255)),
        (Color::LightMagenta, (255, 0, 255)),
        (Color::LightCyan, (0, 255, 255)),
    ];
    // Compared by hue (each channel over the colour's own range), then
    // by brightness: a pale green is still green.
    let norm =
        |v: u8, hi: u8, lo: u8| (v as i32 - lo as i32) * 255 / (hi as i32 - lo as i32).max(1);
    let want = (norm(r, hi, lo), norm(g, hi, lo), norm(b, hi, lo));
    PALETTE
        .iter()
        .filter(|(c, _)| {
            !light
                || matches!(
                    c,
                    Color::Red | Color::Green | Color::Blue | Color::Magenta | Color::Cyan
                )
        })
        .min_by_key(|(_, (pr, pg, pb))| {
            let (phi, plo) = ((*pr).max(*pg).max(*pb), (*pr).min(*pg).min(*pb));
            let p = (
                norm(*pr, phi, plo),
                norm(*pg, phi, plo),
                norm(*pb, phi, plo),
            );
            let hue = (p.0 - want.0).pow(2) + (p.1 - want.1).pow(2) + (p.2 - want.2).pow(2);
            let light = (phi as i32 - hi as i32).pow(2);
            hue * 4 + light
        })
        .map(|(c, _)| *c)
        .unwrap_or(Color::Reset)
}

/// `c` in `mode`; `light`: the theme is for a light background (what the
/// 16 colours are chosen against).
fn color(c: Option<TmColor>, mode: ColorMode, light: bool) -> Color {
    match (c, mode) {
        (_, ColorMode::None) | (None, _) => Color::Reset,
        (Some(c), ColorMode::Ansi16) => to_16_on(c.r, c.g, c.b, light),
        (Some(c), ColorMode::TrueColor) => Color::Rgb(c.r, c.g, c.b),
        (Some(c), ColorMode::Ansi256) => Color::Indexed(to_256(c.r, c.g, c.b)),
    }
}

fn scope_style(
    h: &Highlighter,
    scope: &str,
    (mode, light): (ColorMode, bool),
    fallback: Modifier,
) -> Style {
    let s = h.style_mod_for_stack(&[Scope::new(scope).unwrap_or_default()]);
    let mut st = Style::default().fg(color(s.foreground, mode, light));
    if let Some(fs) = s.font_style {
        if fs.contains(FontStyle::BOLD) {
            st = st.add_modifier(Modifier::BOLD);
        }
        if fs.contains(FontStyle::ITALIC) {
            st = st.add_modifier(Modifier::ITALIC);
        }
    }
    if mode == ColorMode::None {
        st = Style::default().add_modifier(fallback);
    }
    st
}

impl Theme {
    /// A bordered pane: accent title and border while it has the keyboard.
    /// A bordered pane titled `title`, cut with `…` to fit `width` columns
    /// (the pane's own width: the title sits on its top border).
    pub fn pane_in(
        &self,
        title: &str,
        focused: bool,
        width: u16,
    ) -> ratatui::widgets::Block<'static> {
        let (shown, cut) = super::json_view::fit_line(title, (width as usize).saturating_sub(3));
        let text = if cut {
            format!("{shown}…")
        } else {
            shown.to_string()
        };
        self.pane(text, focused)
    }

    pub fn pane<'a>(
        &self,
        title: impl Into<std::borrow::Cow<'a, str>>,
        focused: bool,
    ) -> ratatui::widgets::Block<'a> {
        use ratatui::widgets::{Block, Borders};
        let (border, title_style) = if focused {
            (self.border_focus, self.accent)
        } else {
            (self.border, self.muted)
        };
        Block::default()
            .borders(Borders::ALL)
            .border_style(border)
            .title(ratatui::text::Span::styled(title, title_style))
    }

    /// A built-in name (`dark`, `light`, `high-contrast`) or a `.tmTheme` file.
    pub fn load(name_or_file: &str, mode: ColorMode) -> Result<Theme, String> {
        let (name, tm) = match BUILTIN.iter().find(|(n, _)| *n == name_or_file) {
            Some((n, text)) => (
                n.to_string(),
                ThemeSet::load_from_reader(&mut Cursor::new(text.as_bytes()))
                    .map_err(|e| format!("theme {n}: {e}"))?,
            ),
            None => {
                let f = std::fs::File::open(name_or_file).map_err(|e| {
                    let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
                    format!(
                        "{name_or_file}: {e} (built-in themes: {})",
                        names.join(", ")
                    )
                })?;
                let t = ThemeSet::load_from_reader(&mut std::io::BufReader::new(f))
                    .map_err(|e| format!("{name_or_file}: not a TextMate theme: {e}"))?;
                (name_or_file.to_string(), t)
            }
        };
        Ok(Theme::from_tm(&name, &tm, mode))
    }

    pub fn from_tm(name: &str, tm: &TmTheme, mode: ColorMode) -> Theme {
        let h = Highlighter::new(tm);
        // A theme for a light background (its own is light).
        let light = tm.settings.background.is_some_and(|c| {
            (0.2126 * c.r as f64 + 0.7152 * c.g as f64 + 0.0722 * c.b as f64) > 128.0
        });
        // With 16 colours the theme's own background and foreground may
        // be the terminal's opposite: the terminal's are kept.
        let (fg, bg) = if mode == ColorMode::Ansi16 {
            (Color::Reset, Color::Reset)
        } else {
            (
                color(tm.settings.foreground, mode, light),
                color(tm.settings.background, mode, light),
            )
        };
        let sel = color(
            tm.settings.selection.or(tm.settings.line_highlight),
            mode,
            light,
        );
        let accent = color(tm.settings.caret.or(tm.settings.accent), mode, light);
        let muted = color(tm.settings.gutter_foreground, mode, light);
        let base = Style::default().fg(fg).bg(bg);
        let _ = (ScopeSelectors::from_str(""), StyleModifier::default());
        let (selection, accent_style, muted_style) = if mode == ColorMode::None {
            (
                Style::default().add_modifier(Modifier::REVERSED),
                Style::default().add_modifier(Modifier::BOLD),
                Style::default().add_modifier(Modifier::DIM),
            )
        } else if mode == ColorMode::Ansi16 {
            // Muted text dimmed, not dark grey: on many 16-colour palettes
            // (Solarized Dark) dark grey is the background.
            (
                Style::default().add_modifier(Modifier::REVERSED),
                Style::default().fg(accent).add_modifier(Modifier::BOLD),
                Style::default().add_modifier(Modifier::DIM),
            )
        } else {
            (
                Style::default().bg(sel),
                Style::default().fg(accent).add_modifier(Modifier::BOLD),
                Style::default().fg(muted),
            )
        };
        Theme {
            name: name.to_string(),
            colors: mode,
            base,
            muted: muted_style,
            accent: accent_style,
            selection,
            string: scope_style(
                &h,
                "string.quoted.double.json",
                (mode, light),
                Modifier::empty(),
            ),
            key: scope_style(
                &h,
                "support.type.property-name.json",
                (mode, light),
                Modifier::BOLD,
            ),
            number: scope_style(
                &h,
                "constant.numeric.json",
                (mode, light),
                Modifier::empty(),
            ),
            keyword: scope_style(
                &h,
                "constant.language.json",
                (mode, light),
                Modifier::ITALIC,
            ),
            punct: scope_style(
                &h,
                "punctuation.separator.json",
                (mode, light),
                Modifier::empty(),
            ),
            good: scope_style(&h, "markup.inserted.asldbg", (mode, light), Modifier::BOLD),
            bad: scope_style(&h, "markup.deleted.asldbg", (mode, light), Modifier::BOLD),
            warn: scope_style(
                &h,
                "markup.changed.asldbg",
                (mode, light),
                Modifier::UNDERLINED,
            ),
            breakpoint: scope_style(
                &h,
                "invalid.breakpoint.asldbg",
                (mode, light),
                Modifier::BOLD,
            ),
            changed: scope_style(
                &h,
                "markup.changed.asldbg",
                (mode, light),
                Modifier::UNDERLINED,
            )
            .add_modifier(Modifier::BOLD),
            border: muted_style,
            border_focus: accent_style,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_load_in_every_mode() {
        for (n, _) in BUILTIN {
            for m in [
                ColorMode::None,
                ColorMode::Ansi16,
                ColorMode::Ansi256,
                ColorMode::TrueColor,
            ] {
                let t = Theme::load(n, m).unwrap();
                assert_eq!(t.name, *n);
                if m == ColorMode::None {
                    assert_eq!(t.string.fg, None);
                    assert!(t.selection.add_modifier.contains(Modifier::REVERSED));
                }
            }
        }
        assert!(matches!(
            Theme::load("dark", ColorMode::TrueColor).unwrap().string.fg,
            Some(Color::Rgb(0x98, 0xc3, 0x79))
        ));
        assert!(Theme::load("no-such-theme", ColorMode::Ansi256)
            .unwrap_err()
            .contains("built-in themes"));
    }

    /// WCAG 2 relative luminance of an sRGB colour.
    fn luminance(c: Color) -> f64 {
        let Color::Rgb(r, g, b) = c else {
            panic!("{c:?} is not an RGB colour")
        };
        let lin = |v: u8| {
            let v = v as f64 / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    fn contrast(a: Color, b: Color) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn every_text_colour_reaches_wcag_aa_on_the_background_and_the_selection() {
        let mut low = Vec::new();
        for (n, _) in BUILTIN {
            let t = Theme::load(n, ColorMode::TrueColor).unwrap();
            let bg = t.base.bg.unwrap();
            let sel = t.selection.bg.unwrap();
            let texts = [
                ("text", t.base),
                ("muted", t.muted),
                ("accent", t.accent),
                ("string", t.string),
                ("key", t.key),
                ("number", t.number),
                ("keyword", t.keyword),
                ("punctuation", t.punct),
                ("good", t.good),
                ("bad", t.bad),
                ("warn", t.warn),
                ("breakpoint", t.breakpoint),
            ];
            for (what, st) in texts {
                let fg = st.fg.unwrap();
                for (on, back) in [("background", bg), ("selection", sel)] {
                    let c = contrast(fg, back);
                    if c < 4.5 {
                        low.push(format!("{n}: {what} on the {on} {c:.2}:1"));
                    }
                }
            }
        }
        assert!(low.is_empty(), "below 4.5:1 (WCAG AA):\n{}", low.join("\n"));
    }

    #[test]
    fn colours_follow_what_the_terminal_says_it_has() {
        use ColorMode as C;
        let m = ColorMode::for_terminal;
        assert_eq!(m(Some("xterm"), None, false), C::Ansi16);
        assert_eq!(m(Some("screen"), None, false), C::Ansi16);
        assert_eq!(m(Some("linux"), None, false), C::Ansi16);
        assert_eq!(m(Some("vt100"), None, false), C::Ansi16);
        assert_eq!(m(Some("xterm-256color"), None, false), C::Ansi256);
        assert_eq!(m(Some("tmux-256color"), None, false), C::Ansi256);
        assert_eq!(m(Some("xterm"), Some("truecolor"), false), C::TrueColor);
        assert_eq!(
            m(Some("xterm-256color"), Some("24bit"), false),
            C::TrueColor
        );
        assert_eq!(m(Some("xterm-direct"), None, false), C::TrueColor);
        assert_eq!(m(Some("dumb"), None, false), C::None);
        assert_eq!(m(Some("xterm-256color"), Some("truecolor"), true), C::None);
        assert_eq!(m(None, None, false), C::Ansi256);
    }

    #[test]
    fn sixteen_colours_keep_the_terminals_background_and_tell_the_roles_apart() {
        for (n, _) in BUILTIN {
            let t = Theme::load(n, ColorMode::Ansi16).unwrap();
            assert_eq!(t.base.bg, Some(Color::Reset), "{n}");
            assert!(t.selection.add_modifier.contains(Modifier::REVERSED), "{n}");
            // Nothing is drawn black or white: one of them is the background.
            for st in [
                t.string, t.key, t.number, t.keyword, t.good, t.bad, t.accent,
            ] {
                let fg = st.fg.unwrap();
                assert!(
                    !matches!(
                        fg,
                        Color::Black | Color::White | Color::Indexed(_) | Color::Rgb(..)
                    ),
                    "{n}: {fg:?}"
                );
            }
        }
        let dark = Theme::load("dark", ColorMode::Ansi16).unwrap();
        assert_ne!(dark.good.fg, dark.bad.fg);
        assert_eq!(to_16(0x98, 0xc3, 0x79), Color::Green);
        assert_eq!(to_16(0xe0, 0x6c, 0x75), Color::Red);
        assert_eq!(to_16(0x30, 0x60, 0xe0), Color::Blue);
        assert_eq!(to_16(0x56, 0xb6, 0xc2), Color::Cyan);
        assert_eq!(to_16(0xab, 0xb2, 0xbf), Color::Reset);
        assert_eq!(to_16(0x5c, 0x63, 0x70), Color::Reset);
        assert!(dark.muted.add_modifier.contains(Modifier::DIM));
        // The light theme is for a white terminal: nothing pale on it, and
        // keys, strings and numbers still apart.
        let light = Theme::load("light", ColorMode::Ansi16).unwrap();
        for st in [
            light.string,
            light.key,
            light.number,
            light.keyword,
            light.good,
            light.bad,
            light.accent,
            light.warn,
        ] {
            let fg = st.fg.unwrap();
            assert!(
                !matches!(
                    fg,
                    Color::Yellow
                        | Color::LightYellow
                        | Color::LightGreen
                        | Color::LightCyan
                        | Color::LightBlue
                        | Color::LightRed
                        | Color::LightMagenta
                ),
                "light: {fg:?}"
            );
        }
        assert_ne!(light.key.fg, light.string.fg);
        assert_ne!(light.good.fg, light.bad.fg);
        assert_eq!(to_16_on(0xb5, 0x89, 0x00, true), Color::Red);
    }

    #[test]
    fn nearest_256_colours() {
        assert_eq!(to_256(0, 0, 0), 16);
        assert_eq!(to_256(255, 255, 255), 231);
        assert_eq!(to_256(255, 0, 0), 196);
        assert_eq!(to_256(128, 128, 128), 244);
    }
}
