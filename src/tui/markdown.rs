//! A lesson's Markdown as styled lines: headings, bold, emphasis, inline
//! code, lists and code blocks (parsed by pulldown-cmark).

use super::theme::Theme;
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// `text` as lines, before wrapping (each paragraph or item one line).
pub fn render(text: &str, t: &Theme) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut styles: Vec<Style> = vec![t.base];
    let mut in_code_block = false;
    let flush = |cur: &mut Vec<Span<'static>>, out: &mut Vec<Line<'static>>| {
        if !cur.is_empty() {
            out.push(Line::from(std::mem::take(cur)));
        }
    };
    for ev in Parser::new(text) {
        let top = *styles.last().unwrap_or(&t.base);
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut cur, &mut out);
                if !out.is_empty() {
                    out.push(Line::from(""));
                }
                styles.push(match level {
                    HeadingLevel::H1 => t.accent.add_modifier(Modifier::BOLD),
                    _ => t.key.add_modifier(Modifier::BOLD),
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                styles.pop();
                flush(&mut cur, &mut out);
            }
            Event::Start(Tag::Strong) => styles.push(top.add_modifier(Modifier::BOLD)),
            Event::Start(Tag::Emphasis) => styles.push(top.add_modifier(Modifier::ITALIC)),
            Event::End(TagEnd::Strong | TagEnd::Emphasis) => {
                styles.pop();
            }
            Event::Start(Tag::Paragraph) => flush(&mut cur, &mut out),
            Event::End(TagEnd::Paragraph) => {
                flush(&mut cur, &mut out);
                out.push(Line::from(""));
            }
            Event::Start(Tag::Item) => {
                flush(&mut cur, &mut out);
                cur.push(Span::styled("• ", t.accent));
            }
            Event::End(TagEnd::Item) => flush(&mut cur, &mut out),
            Event::End(TagEnd::List(_)) => out.push(Line::from("")),
            Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut cur, &mut out);
                in_code_block = true;
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                out.push(Line::from(""));
            }
            Event::Text(s) if in_code_block => {
                for l in s.lines() {
                    out.push(Line::styled(format!("  {l}"), t.string));
                }
            }
            Event::Text(s) => cur.push(Span::styled(s.into_string(), top)),
            Event::Code(s) => cur.push(Span::styled(s.into_string(), t.string)),
            Event::SoftBreak => cur.push(Span::styled(" ", top)),
            Event::HardBreak => flush(&mut cur, &mut out),
            _ => {}
        }
    }
    flush(&mut cur, &mut out);
    while out.last().is_some_and(|l| l.width() == 0) {
        out.pop();
    }
    out
}

/// Wrap a styled line at spaces into rows of at most `width` columns (a
/// word longer than a row is cut where the row ends); rows after the first
/// start with `indent` spaces.
pub fn word_wrap(line: Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthStr;
    let width = width.max(1);
    let indent = indent.min(width / 2);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        for word in span.content.split_inclusive(' ') {
            let w = word.trim_end_matches(' ').width();
            if used + w > width && used > indent {
                rows.push(Line::from(std::mem::take(&mut cur)));
                cur.push(Span::raw(" ".repeat(indent)));
                used = indent;
            }
            // A space that would pass the edge is left out.
            let piece = if used + word.width() > width {
                word.trim_end_matches(' ')
            } else {
                word
            };
            cur.push(Span::styled(piece.to_string(), span.style));
            used += piece.width();
        }
    }
    rows.push(Line::from(cur));
    // A word wider than the pane: cut by characters.
    rows.into_iter()
        .flat_map(|r| super::json_view::wrap_line(r, width, indent, usize::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorMode;

    #[test]
    fn headings_bold_code_and_items() {
        let t = Theme::load("dark", ColorMode::TrueColor).unwrap();
        let lines = render(
            "# Title\n\nKeep **Stages** open:\n`s` steps.\n\n- one `$.a`\n- two\n",
            &t,
        );
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            text,
            [
                "Title",
                "Keep Stages open: s steps.",
                "",
                "• one $.a",
                "• two"
            ]
        );
        let bold = &lines[1].spans[1];
        assert_eq!(bold.content, "Stages");
        assert!(bold.style.add_modifier.contains(Modifier::BOLD));
        let code = lines[1].spans.iter().find(|s| s.content == "s").unwrap();
        assert_eq!(code.style, t.string, "inline code");
        assert!(lines[0].spans[0]
            .style
            .add_modifier
            .contains(Modifier::BOLD));
        let rows: Vec<String> = word_wrap(Line::from("• one two three four"), 9, 2)
            .iter()
            .map(|l| l.to_string().trim_end().to_string())
            .collect();
        assert_eq!(rows, ["• one two", "  three", "  four"]);
    }
}
