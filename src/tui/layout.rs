//! Where each pane goes: a pure function from what the panes want (their
//! content's size, the focus, the terminal's size) to rectangles. The
//! drawing and the mouse's hit-testing both use it, so a click always lands
//! on what was drawn there.
//!
//! Panes are sized from their content: the graph pane is as wide as its
//! drawing up to a share of the screen, the Input and Output panes stand
//! beside the tabs only when the tabs keep a readable width, as wide as
//! their JSON needs, and an empty one gives its rows to the other.

use super::panes::{Focus, Tab};
use crate::graph::text::Rendered;
use ratatui::layout::{Constraint, Layout, Rect};

pub const MIN_W: u16 = 40;
pub const MIN_H: u16 = 10;

/// The tabbed data pane never gets narrower than this when the Input and
/// Output panes stand beside it.
pub const TABS_MIN: u16 = 50;
/// Nor do the Input and Output panes.
pub const IO_MIN: u16 = 32;
/// Columns the data keeps while the graph has the keyboard.
const DATA_KEEPS: u16 = 52;
/// Columns the data keeps while it has the keyboard.
const DATA_READS: u16 = 66;

/// What the left pane shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Left {
    List,
    /// The graph, its drawing this many columns wide.
    Graph(u16),
    Lesson,
}

/// The size of a pane's content: its lines and the widest one.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Extent {
    pub rows: usize,
    pub width: usize,
}

/// What the panes want, gathered by the model.
pub struct Wants<'a> {
    pub size: (u16, u16),
    pub focus: Focus,
    /// `f`: the focused pane fills the screen.
    pub maximized: bool,
    pub left: Left,
    /// The rows the waiting task's panel wants at a width (None: no task waits).
    pub task_rows: &'a dyn Fn(u16) -> Option<u16>,
    pub input: Extent,
    pub output: Extent,
}

/// The rectangles of one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Screen {
    pub area: Rect,
    /// Smaller than [`MIN_W`]×[`MIN_H`]: nothing else is drawn.
    pub too_small: bool,
    pub status: Rect,
    /// The left pane (zero wide when the data pane is maximised).
    pub left: Rect,
    pub left_shows: Left,
    /// The waiting task's panel, above the data.
    pub task: Option<Rect>,
    /// The Input and Output panes, when they stand beside the tabs.
    pub io: Option<(Rect, Rect)>,
    /// The tabbed data pane (zero wide when the left pane is maximised).
    pub tabs: Rect,
    pub message: Rect,
    pub hints: Rect,
}

/// What a screen cell belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hit {
    /// Row n (from the top of the list, not counting scroll) of the state list.
    List(usize),
    /// A cell of the graph pane's inside, from its top-left corner.
    Graph(usize, usize),
    /// Elsewhere in the left pane (its border, the lesson).
    Left,
    /// The tabbed pane's row of titles, this many columns into it.
    TabTitles(usize),
    /// The tabbed pane, elsewhere than its titles.
    Tabbed,
    /// The Input or Output pane standing beside the tabs.
    Beside(Tab),
    /// The waiting task's panel.
    Task,
}

fn contains(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
}

/// The inside of a bordered pane.
pub fn inner(r: Rect) -> Rect {
    Rect {
        x: r.x.saturating_add(1),
        y: r.y.saturating_add(1),
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    }
}

impl Screen {
    pub fn hit(&self, x: u16, y: u16) -> Option<Hit> {
        if self.too_small {
            return None;
        }
        if contains(self.left, x, y) {
            let i = inner(self.left);
            if !contains(i, x, y) {
                return Some(Hit::Left);
            }
            let (cx, cy) = ((x - i.x) as usize, (y - i.y) as usize);
            return Some(match self.left_shows {
                Left::List => Hit::List(cy),
                Left::Graph(_) => Hit::Graph(cx, cy),
                Left::Lesson => Hit::Left,
            });
        }
        if let Some((input, output)) = self.io {
            if contains(input, x, y) {
                return Some(Hit::Beside(Tab::Input));
            }
            if contains(output, x, y) {
                return Some(Hit::Beside(Tab::Output));
            }
        }
        if self.task.is_some_and(|r| contains(r, x, y)) {
            return Some(Hit::Task);
        }
        if contains(self.tabs, x, y) {
            let i = inner(self.tabs);
            return Some(if y == i.y && contains(i, x, y) {
                Hit::TabTitles((x - i.x) as usize)
            } else {
                Hit::Tabbed
            });
        }
        None
    }
}

/// The list's width: a readable column that grows with the screen.
fn list_width(w: u16) -> u16 {
    (w * 2 / 5).clamp(16, 34)
}

/// The left pane's width. The graph pane is as wide as its drawing, up to a
/// share of the screen (a larger one while it has the keyboard), and the
/// data keeps [`DATA_KEEPS`] columns; the share grows with the width, with
/// no step at any size.
fn left_width(wants: &Wants) -> u16 {
    let w = wants.size.0;
    let list = list_width(w);
    match wants.left {
        Left::List => list,
        Left::Lesson => (w * 2 / 5).clamp(list, 60),
        Left::Graph(drawing) => {
            // While the data has the keyboard it keeps DATA_READS columns
            // (until two fifths of the screen leave it more).
            let share = if wants.focus == Focus::States {
                (w * 7 / 10).min(w.saturating_sub(DATA_KEEPS))
            } else {
                (w * 2 / 5).min(w.saturating_sub(DATA_READS).max(list))
            };
            let share = share.max(list);
            drawing.saturating_add(2).clamp(16.min(share), share)
        }
    }
}

/// Split `avail` rows between two panes that want `a` and `b`: both get what
/// they want when they can (the rest shared), else the smaller want is met
/// if it leaves the other half, else half each.
fn share_rows(avail: u16, a: u16, b: u16) -> (u16, u16) {
    let half = avail / 2;
    let first = if a.saturating_add(b) <= avail {
        // Room for both: an empty pane (its border and one line) keeps
        // just that, else the rest is shared.
        match (a <= 3, b <= 3) {
            (true, false) => a,
            (false, true) => avail - b,
            _ => a + (avail - a - b) / 2,
        }
    } else if a <= half {
        a
    } else if b <= avail - half {
        avail - b
    } else {
        half
    };
    (first, avail - first)
}

/// `r` cut into its first `n` columns and the rest.
fn cols(r: Rect, n: u16) -> (Rect, Rect) {
    let [a, b] = Layout::horizontal([Constraint::Length(n), Constraint::Fill(1)]).areas(r);
    (a, b)
}

/// `r` cut into its first `n` rows and the rest.
fn rows(r: Rect, n: u16) -> (Rect, Rect) {
    let [a, b] = Layout::vertical([Constraint::Length(n), Constraint::Fill(1)]).areas(r);
    (a, b)
}

/// The panes' part of a frame of `size`: all but the status line above and
/// the message and hint lines below.
fn body((w, h): (u16, u16)) -> Rect {
    Rect::new(0, 1, w, h.saturating_sub(3))
}

/// The rows of the left pane's inside in a frame of `size` (it always runs
/// the body's whole height): what the state list scrolls by, known without
/// laying out the rest.
pub fn left_rows(size: (u16, u16)) -> usize {
    inner(body(size)).height as usize
}

/// Lay out a frame of `wants.size`.
pub fn screen(wants: &Wants) -> Screen {
    let area = Rect::new(0, 0, wants.size.0, wants.size.1);
    let line = |y: u16| Rect::new(0, y, area.width, 1.min(area.height));
    let mut s = Screen {
        area,
        too_small: area.width < MIN_W || area.height < MIN_H,
        status: line(0),
        left: Rect::default(),
        left_shows: wants.left,
        task: None,
        io: None,
        tabs: Rect::default(),
        message: line(area.height.saturating_sub(2)),
        hints: line(area.height.saturating_sub(1)),
    };
    if s.too_small {
        return s;
    }
    let body = body(wants.size);
    let left_w = match (wants.maximized, wants.focus) {
        (true, Focus::States) => body.width,
        (true, Focus::Data) => 0,
        _ => left_width(wants),
    };
    let (left, mut data) = cols(body, left_w);
    s.left = left;
    if data.width == 0 {
        return s;
    }
    // A task that waits: its panel above the data, at most half of it.
    if let Some(want) = (wants.task_rows)(data.width) {
        let (panel, rest) = rows(data, want.min(data.height / 2 + 2));
        s.task = Some(panel);
        data = rest;
    }
    // Input and Output beside the tabs, when the tabs keep their width.
    let io_want = (wants.input.width.max(wants.output.width) as u16)
        .saturating_add(4)
        .clamp(IO_MIN, (data.width * 45 / 100).max(IO_MIN));
    let io_w = io_want.min(data.width.saturating_sub(TABS_MIN));
    if !wants.maximized && io_w >= IO_MIN && data.height >= 14 {
        let (io, tabs) = cols(data, io_w);
        let want = |e: Extent| (e.rows.min(u16::MAX as usize - 2) as u16).max(1) + 2;
        let (a, _) = share_rows(io.height, want(wants.input), want(wants.output));
        let (input, output) = rows(io, a.max(3).min(io.height.saturating_sub(3)));
        s.io = Some((input, output));
        s.tabs = tabs;
    } else {
        s.tabs = data;
    }
    s
}

/// What part of the graph drawing a pane shows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GraphWindow {
    /// The drawing's column and row at the pane's top-left corner.
    pub left: usize,
    pub top: usize,
}

/// The window on the graph drawing for a pane of `w`×`h` cells: the box of
/// `focus` centred (its left part at the left edge when it is wider than
/// the pane), the drawing's edges never further in than the pane's.
pub fn graph_window(
    drawn: &Rendered,
    focus: Option<(usize, usize)>,
    (w, h): (usize, usize),
) -> GraphWindow {
    let b = focus.and_then(|k| drawn.boxes.get(&k));
    let fy = b.map(|b| b.1 + b.3 / 2).unwrap_or(0);
    let top = fy
        .saturating_sub(h / 2)
        .min(drawn.lines.len().saturating_sub(h));
    let left = b
        .map(|b| {
            if b.2 + 2 > w {
                b.0.saturating_sub(1)
            } else {
                (b.0 + b.2 / 2).saturating_sub(w / 2)
            }
        })
        .unwrap_or(0)
        .min(drawn.width.saturating_sub(w));
    GraphWindow { left, top }
}

/// How many states' boxes (a Parallel's or Map's too) a window on the
/// drawing does not show whole, on each side: left, right, above, below
/// (one cut by the pane's edge counts on that side; one off to a corner on
/// both).
pub fn off_screen(
    drawn: &Rendered,
    GraphWindow { left, top }: GraphWindow,
    (w, h): (usize, usize),
) -> [usize; 4] {
    let mut n = [0; 4];
    for b in drawn.boxes.values() {
        n[0] += usize::from(b.0 < left);
        n[1] += usize::from(b.0 + b.2 > left + w);
        n[2] += usize::from(b.1 < top);
        n[3] += usize::from(b.1 + b.3 > top + h);
    }
    n
}

/// The first row of a list `rows` high that keeps `selected` in view,
/// moving as little as possible from `scroll`.
pub fn follow(scroll: usize, selected: usize, rows: usize) -> usize {
    if selected < scroll {
        selected
    } else if rows > 0 && selected >= scroll + rows {
        selected + 1 - rows
    } else {
        scroll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wants(size: (u16, u16), focus: Focus, left: Left, io: Extent) -> Screen {
        screen(&Wants {
            size,
            focus,
            maximized: false,
            left,
            task_rows: &|_| None,
            input: io,
            output: io,
        })
    }

    const JSON: Extent = Extent {
        rows: 12,
        width: 40,
    };

    #[test]
    fn the_tabs_never_drop_below_their_minimum_width() {
        // Every width from 40 to 240: the tabs are either the whole data
        // pane or at least TABS_MIN wide; nothing falls off a cliff.
        let mut last = 0;
        for w in MIN_W..240 {
            let s = wants((w, 40), Focus::Data, Left::Graph(40), JSON);
            let data = w - s.left.width;
            assert!(
                s.tabs.width == data || s.tabs.width >= TABS_MIN,
                "{w}: {s:?}"
            );
            if let Some((i, o)) = s.io {
                assert!(i.width >= IO_MIN && o.width == i.width);
            }
            // The data pane as a whole never shrinks as the screen grows.
            assert!(data >= last, "{w}: data {data} after {last}");
            last = data;
        }
    }

    #[test]
    fn panes_tile_the_body() {
        for (w, h) in [(80, 24), (120, 40), (200, 50), (40, 10)] {
            for focus in [Focus::States, Focus::Data] {
                let s = wants((w, h), focus, Left::Graph(60), JSON);
                let mut cells = 0u32;
                let mut rects = vec![s.left, s.tabs];
                rects.extend(s.task);
                if let Some((i, o)) = s.io {
                    rects.extend([i, o]);
                }
                for r in &rects {
                    cells += r.width as u32 * r.height as u32;
                }
                assert_eq!(cells, w as u32 * (h as u32 - 3), "{w}×{h} {focus:?}: {s:?}");
                for y in 1..h - 2 {
                    for x in 0..w {
                        assert_eq!(rects.iter().filter(|r| contains(**r, x, y)).count(), 1);
                    }
                }
            }
        }
    }

    #[test]
    fn an_empty_output_gives_its_rows_to_the_input() {
        let s = screen(&Wants {
            size: (200, 50),
            focus: Focus::Data,
            maximized: false,
            left: Left::Graph(40),
            task_rows: &|_| None,
            input: Extent {
                rows: 30,
                width: 50,
            },
            output: Extent { rows: 1, width: 30 },
        });
        let (i, o) = s.io.expect("room for Input and Output at 200 columns");
        assert_eq!(o.height, 3, "{s:?}");
        assert_eq!(i.height, 47 - 3);
        // As wide as the JSON needs, not a fixed share.
        assert_eq!(i.width, 54);
    }

    #[test]
    fn the_graph_pane_is_as_wide_as_its_drawing_up_to_a_share() {
        let s = wants((200, 50), Focus::Data, Left::Graph(30), JSON);
        assert_eq!(s.left.width, 32);
        let s = wants((200, 50), Focus::Data, Left::Graph(150), JSON);
        assert_eq!(s.left.width, 80);
        // While the graph has the keyboard the data keeps its columns,
        // but the graph never gets narrower than the list would be.
        let s = wants((120, 40), Focus::States, Left::Graph(150), JSON);
        assert_eq!(s.left.width, 120 - DATA_KEEPS);
        let s = wants((80, 24), Focus::States, Left::Graph(150), JSON);
        assert_eq!(s.left.width, list_width(80));
        // While the data has it, the data keeps DATA_READS columns.
        let s = wants((100, 40), Focus::Data, Left::Graph(150), JSON);
        assert_eq!(s.left.width, 100 - DATA_READS);
    }

    #[test]
    fn clicks_land_where_the_panes_are() {
        let s = wants((80, 24), Focus::States, Left::List, JSON);
        assert_eq!(s.hit(3, 2), Some(Hit::List(0)));
        assert_eq!(s.hit(0, 2), Some(Hit::Left));
        assert_eq!(s.hit(79, 5), Some(Hit::Tabbed));
        assert_eq!(s.hit(5, 0), None);
        let s = wants((80, 24), Focus::States, Left::Graph(20), JSON);
        assert_eq!(s.hit(4, 5), Some(Hit::Graph(3, 3)));
    }

    #[test]
    fn a_list_scrolls_only_as_far_as_the_selection() {
        assert_eq!(follow(0, 5, 10), 0);
        assert_eq!(follow(0, 12, 10), 3);
        assert_eq!(follow(8, 4, 10), 4);
        assert_eq!(follow(3, 9, 10), 3);
    }
}
