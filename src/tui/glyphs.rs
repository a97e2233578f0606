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
        Glyphs::for_terminal(std::env::var("TERM").ok().as_deref(), ascii)
    }

    /// `ascii`, else what a terminal called `term` can draw.
    pub fn for_terminal(term: Option<&str>, ascii: bool) -> Glyphs {
        match term {
            _ if ascii => Glyphs::Ascii,
            Some("linux") => Glyphs::Console,
            Some("vt100") | Some("vt102") | Some("vt220") | Some("ansi") => Glyphs::Ascii,
            _ => Glyphs::Unicode,
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
            '◆' => '■',
            '○' => '°',
            '⇢' => '→',
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
            '✎' => '%',
            '✋' => '!',
            '▏' => '|',
            '—' => '-',
            '⏪' => '«',
            _ => return None,
        });
    }
    Some(match boxed.unwrap_or(c) {
        '─' => '-',
        '│' => '|',
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' => '+',
        c if ('\u{2550}'..='\u{256C}').contains(&c) => '+',
        _ => return ascii_mark(c),
    })
}

/// The ASCII stand-in of each mark and glyph the panes draw. Each meaning
/// has its own: the legend in `?` (drawn through this table) reads true.
const ASCII: &[(char, char, &str)] = &[
    ('▶', '>', "the next state"),
    ('•', 'o', "visited"),
    ('✗', 'X', "failed"),
    ('↯', '!', "an error caught"),
    ('●', '*', "a breakpoint"),
    ('×', 'x', "visits (xN)"),
    ('⇢', '-', "Pass"),
    ('⚙', 'T', "Task"),
    ('◇', '?', "Choice"),
    ('◷', 'W', "Wait"),
    ('✓', '+', "Succeed, passed"),
    ('⊗', 'F', "Fail"),
    ('‖', 'P', "Parallel"),
    ('≡', 'M', "Map"),
    ('◆', 'S', "the start"),
    ('◉', '=', "an end"),
    ('↺', '@', "a loop"),
    ('▼', 'v', "an edge's label"),
    ('○', '_', "never entered (coverage)"),
    ('✎', '%', "a user's edit (history)"),
    ('✋', 'H', "a raised hand"),
    ('⏪', '<', "in the past"),
    ('…', '~', "cut"),
];

/// Text characters (arrows, punctuation) and their ASCII.
fn ascii_mark(c: char) -> Option<char> {
    if let Some((_, a, _)) = ASCII.iter().find(|(u, _, _)| *u == c) {
        return Some(*a);
    }
    Some(match c {
        '↓' => 'v',
        '→' | '›' | '↳' | '»' => '>',
        '←' | '«' => '<',
        '↑' => '^',
        '▌' | '▏' => '|',
        '—' | '–' => '-',
        '·' => '.',
        '≥' => '>',
        '≤' => '<',
        'µ' => 'u',
        '°' => 'o',
        '“' | '”' => '"',
        '‘' | '’' => '\'',
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

    #[test]
    fn each_mark_keeps_its_own_ascii_glyph() {
        let mut seen = std::collections::HashMap::new();
        for (u, a, meaning) in ASCII {
            assert_eq!(map(Glyphs::Ascii, *u), Some(*a));
            if let Some(other) = seen.insert(*a, *meaning) {
                panic!("{a:?} means both {other} and {meaning}");
            }
            // Not a box line's ASCII either.
            assert!(!"-|+".contains(*a) || *u == '⇢' || *u == '✓', "{u} → {a}");
        }
    }

    /// Every non-ASCII character written in the drawing code (its strings,
    /// char literals and comments alike) has a stand-in under `--ascii`:
    /// nothing reaches an ASCII terminal unmapped but what the user wrote.
    #[test]
    fn every_glyph_the_panes_draw_has_an_ascii_stand_in() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = std::collections::BTreeMap::new();
        for dir in ["tui", "graph"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "rs")
                    || path
                        .file_name()
                        .is_some_and(|n| n == "tests.rs" || n == "glyphs.rs")
                {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // The tests at the end are not drawn.
                let drawn = text.split("#[cfg(test)]").next().unwrap_or("");
                for line in drawn.lines() {
                    let code = line.trim_start();
                    // Nor are comments.
                    if code.starts_with("//") {
                        continue;
                    }
                    for c in code.chars().filter(|c| !c.is_ascii()) {
                        if map(Glyphs::Ascii, c).is_none() {
                            missing
                                .entry(c)
                                .or_insert_with(|| format!("{}: {code}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "no ASCII stand-in for:\n{}",
            missing
                .iter()
                .map(|(c, at)| format!("{c:?} {at}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
