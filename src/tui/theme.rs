//! Colours: TextMate `.tmTheme` files (three built in, or any file) resolved
//! once into the styles the panes use. `NO_COLOR` turns colour off; terminals
//! without true colour get the nearest of the 256 xterm colours.

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
    Ansi256,
    TrueColor,
}

impl ColorMode {
    pub fn detect() -> ColorMode {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorMode::None;
        }
        match std::env::var("COLORTERM").as_deref() {
            Ok("truecolor") | Ok("24bit") => ColorMode::TrueColor,
            _ => ColorMode::Ansi256,
        }
    }
}

/// The styles every pane draws with.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
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

fn color(c: Option<TmColor>, mode: ColorMode) -> Color {
    match (c, mode) {
        (_, ColorMode::None) | (None, _) => Color::Reset,
        (Some(c), ColorMode::TrueColor) => Color::Rgb(c.r, c.g, c.b),
        (Some(c), ColorMode::Ansi256) => Color::Indexed(to_256(c.r, c.g, c.b)),
    }
}

fn scope_style(h: &Highlighter, scope: &str, mode: ColorMode, fallback: Modifier) -> Style {
    let s = h.style_mod_for_stack(&[Scope::new(scope).unwrap_or_default()]);
    let mut st = Style::default().fg(color(s.foreground, mode));
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
        let fg = color(tm.settings.foreground, mode);
        let bg = color(tm.settings.background, mode);
        let sel = color(tm.settings.selection.or(tm.settings.line_highlight), mode);
        let accent = color(tm.settings.caret.or(tm.settings.accent), mode);
        let muted = color(tm.settings.gutter_foreground, mode);
        let base = Style::default().fg(fg).bg(bg);
        let _ = (ScopeSelectors::from_str(""), StyleModifier::default());
        let (selection, accent_style, muted_style) = if mode == ColorMode::None {
            (
                Style::default().add_modifier(Modifier::REVERSED),
                Style::default().add_modifier(Modifier::BOLD),
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
            base,
            muted: muted_style,
            accent: accent_style,
            selection,
            string: scope_style(&h, "string.quoted.double.json", mode, Modifier::empty()),
            key: scope_style(&h, "support.type.property-name.json", mode, Modifier::BOLD),
            number: scope_style(&h, "constant.numeric.json", mode, Modifier::empty()),
            keyword: scope_style(&h, "constant.language.json", mode, Modifier::ITALIC),
            punct: scope_style(&h, "punctuation.separator.json", mode, Modifier::empty()),
            good: scope_style(&h, "markup.inserted.asldbg", mode, Modifier::BOLD),
            bad: scope_style(&h, "markup.deleted.asldbg", mode, Modifier::BOLD),
            warn: scope_style(&h, "markup.changed.asldbg", mode, Modifier::UNDERLINED),
            breakpoint: scope_style(&h, "invalid.breakpoint.asldbg", mode, Modifier::BOLD),
            changed: scope_style(&h, "markup.changed.asldbg", mode, Modifier::UNDERLINED)
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
            for m in [ColorMode::None, ColorMode::Ansi256, ColorMode::TrueColor] {
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
    fn nearest_256_colours() {
        assert_eq!(to_256(0, 0, 0), 16);
        assert_eq!(to_256(255, 255, 255), 231);
        assert_eq!(to_256(255, 0, 0), 196);
        assert_eq!(to_256(128, 128, 128), 244);
    }
}
