//! Glyphs for terminals that lack them. The drawing uses Unicode box
//! drawing (light, heavy, rounded) and symbols (▶ ● ✗ ⚙ …); the Linux
//! console's font has only the light and double box lines and the CP437
//! symbols, and `--ascii` asks for plain ASCII. A finished frame is mapped
//! cell by cell, so every pane is covered by this one table.

use ratatui::buffer::Buffer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyphs {
    Unicode,
    /// TERM=linux: light and double box lines and CP437 symbols.
    Console,
    /// `--ascii`: ASCII only.
    Ascii,
}

impl Glyphs {
    /// `--ascii`, else what `TERM` says.
    pub fn detect(ascii: bool) -> Glyphs {
        if ascii {
            Glyphs::Ascii
        } else if std::env::var("TERM").is_ok_and(|t| t == "linux") {
            Glyphs::Console
        } else {
            Glyphs::Unicode
        }
    }
}

/// The light box-drawing character with the same arms as `c` (heavy,
/// mixed, dashed and rounded lines), if `c` is one.
fn light_box(c: char) -> Option<char> {
    let u = c as u32;
    Some(match u {
        0x2500 | 0x2501 | 0x2504 | 0x2505 | 0x2508 | 0x2509 | 0x254C | 0x254D => '─',
        0x2502 | 0x2503 | 0x2506 | 0x2507 | 0x250A | 0x250B | 0x254E | 0x254F => '│',
        0x250C..=0x250F | 0x256D => '┌',
        0x2510..=0x2513 | 0x256E => '┐',
        0x2514..=0x2517 | 0x2570 => '└',
        0x2518..=0x251B | 0x256F => '┘',
        0x251C..=0x2523 => '├',
        0x2524..=0x252B => '┤',
        0x252C..=0x2533 => '┬',
        0x2534..=0x253B => '┴',
        0x253C..=0x254B => '┼',
        0x2574 | 0x2576 | 0x2578 | 0x257A | 0x257C | 0x257E => '─',
        0x2575 | 0x2577 | 0x2579 | 0x257B | 0x257D | 0x257F => '│',
        _ => return None,
    })
}

/// What `c` becomes with `g` (None: it stays).
pub fn map(g: Glyphs, c: char) -> Option<char> {
    if g == Glyphs::Unicode || c.is_ascii() {
        return None;
    }
    let boxed = light_box(c);
    if g == Glyphs::Console {
        if let Some(b) = boxed {
            return (b != c).then_some(b);
        }
        return Some(match c {
            // In the console font (CP437) as they are.
            '▼' | '•' | '≡' | '≥' | '≤' | 'µ' | '·' | '←' | '↑' | '→' | '↓' | '▌' | '»' | '«'
            | '║' | '═' | '×' | '°' => return None,
            c if ('\u{2550}'..='\u{256C}').contains(&c) => return None,
            '▶' => '►',
            '●' => '*',
            '◉' => 'o',
            '✗' => 'x',
            '⊗' => 'F',
            '↯' => '!',
            '⚙' => 'T',
            '◇' => '♦',
            '◷' => 'W',
            '✓' => '√',
            '‖' => '║',
            '↺' => '@',
            '↳' => '»',
            '›' => '»',
            '…' => '~',
            '✎' => '*',
            '▏' => '|',
            '—' => '-',
            _ => return None,
        });
    }
    Some(match boxed.unwrap_or(c) {
        '─' => '-',
        '│' => '|',
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' => '+',
        c if ('\u{2550}'..='\u{256C}').contains(&c) => '+',
        '▼' | '↓' => 'v',
        '▶' | '→' | '›' | '↳' | '»' => '>',
        '←' | '«' => '<',
        '↑' => '^',
        '●' | '•' | '✎' => '*',
        '◉' | '↺' => '@',
        '✗' | '×' => 'x',
        '⊗' => 'F',
        '↯' => '!',
        '⚙' => 'T',
        '◇' => '?',
        '◷' => 'W',
        '✓' => '+',
        '‖' | '≡' => '=',
        '…' => '~',
        '▌' | '▏' => '|',
        '—' => '-',
        '·' => '.',
        '≥' => '>',
        '≤' => '<',
        'µ' => 'u',
        _ => return None,
    })
}

/// Map every cell of a drawn frame.
pub fn apply(g: Glyphs, buf: &mut Buffer) {
    if g == Glyphs::Unicode {
        return;
    }
    for cell in buf.content.iter_mut() {
        let mut chars = cell.symbol().chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if let Some(m) = map(g, c) {
                cell.set_char(m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_rounded_and_mixed_lines_become_light_or_ascii() {
        for (c, console, ascii) in [
            ('┃', '│', '|'),
            ('━', '─', '-'),
            ('┺', '┴', '+'),
            ('╋', '┼', '+'),
            ('╭', '┌', '+'),
            ('╿', '│', '|'),
        ] {
            assert_eq!(map(Glyphs::Console, c), Some(console), "{c}");
            assert_eq!(map(Glyphs::Ascii, c), Some(ascii), "{c}");
        }
        // Light lines are in the console font: they stay.
        assert_eq!(map(Glyphs::Console, '┼'), None);
        assert_eq!(map(Glyphs::Ascii, '▶'), Some('>'));
        assert_eq!(map(Glyphs::Console, '▶'), Some('►'));
        assert_eq!(map(Glyphs::Unicode, '▶'), None);
        assert_eq!(map(Glyphs::Ascii, 'a'), None);
    }
}
