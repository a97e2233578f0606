//! The layout drawn with box-drawing characters: one renderer for
//! `asldbg graph` and the debugger.

use super::{EdgeKind, Layout, Marks, Node};

const U: u8 = 1;
const D: u8 = 2;
const L: u8 = 4;
const R: u8 = 8;

#[derive(Clone, Copy, PartialEq)]
enum Cell {
    Empty,
    Line(u8),
    Char(char),
}

/// The cell after a character two columns wide: the drawing keeps one
/// cell per column, and a line is shown with these left out
/// ([`shown`]). (A word joiner: were one ever printed, it takes no room.)
pub const WIDE_REST: char = '\u{2060}';

/// Columns `ch` takes on a terminal (0 counted as 1: a cell is never empty).
fn char_width(ch: char) -> usize {
    use unicode_width::UnicodeWidthChar;
    ch.width().unwrap_or(1).clamp(1, 2)
}

/// A drawn line as a terminal shows it (without [`WIDE_REST`] cells).
pub fn shown(line: &str) -> String {
    line.replace(WIDE_REST, "")
}

/// A grid of cells where crossing and joining lines merge into the right
/// box-drawing character.
pub struct Canvas {
    pub w: usize,
    pub h: usize,
    /// Each row as far as anything is drawn in it (a row grows when a cell
    /// is written): memory follows what is drawn, not width × height.
    rows: Vec<Vec<Cell>>,
    /// While drawing an edge: the cells it covers.
    trace: Option<Vec<(usize, usize)>>,
    /// Cells recorded in traces so far (bounded by [`MAX_TRACED_CELLS`]).
    traced: usize,
}

/// The most edge cells a drawing records for colouring taken edges: a very
/// wide machine (a Choice with thousands of rules) has edges tens of
/// thousands of cells long; past this they are drawn but not recorded.
pub const MAX_TRACED_CELLS: usize = 4_000_000;

impl Canvas {
    pub fn new(w: usize, h: usize) -> Canvas {
        Canvas {
            w,
            h,
            rows: vec![Vec::new(); h],
            trace: None,
            traced: 0,
        }
    }
    fn at(&mut self, x: usize, y: usize) -> Option<&mut Cell> {
        if let Some(t) = &mut self.trace {
            if self.traced < MAX_TRACED_CELLS {
                self.traced += 1;
                t.push((x, y));
            }
        }
        if x < self.w && y < self.h {
            let row = &mut self.rows[y];
            if row.len() <= x {
                row.resize(x + 1, Cell::Empty);
            }
            Some(&mut row[x])
        } else {
            None
        }
    }

    /// The cell at `x`, `y` (Empty outside what is drawn).
    fn cell(&self, x: usize, y: usize) -> Cell {
        self.rows
            .get(y)
            .and_then(|r| r.get(x))
            .copied()
            .unwrap_or(Cell::Empty)
    }
    fn line(&mut self, x: usize, y: usize, bits: u8) {
        if let Some(c) = self.at(x, y) {
            *c = match *c {
                Cell::Line(b) => Cell::Line(b | bits),
                Cell::Empty => Cell::Line(bits),
                other => other,
            };
        }
    }
    /// Make a cell empty (the inside of a box: lines drawn later may cross it).
    pub fn clear(&mut self, x: usize, y: usize) {
        if let Some(c) = self.rows.get_mut(y).and_then(|r| r.get_mut(x)) {
            *c = Cell::Empty;
        }
    }

    pub fn put(&mut self, x: usize, y: usize, ch: char) {
        if let Some(c) = self.at(x, y) {
            *c = Cell::Char(ch);
        }
    }
    /// `s` from `x`, in at most `max` columns: a character two columns
    /// wide (CJK, most emoji) takes two cells, the second [`WIDE_REST`].
    pub fn text(&mut self, x: usize, y: usize, s: &str, max: usize) {
        let mut i = 0;
        for ch in s.chars() {
            let w = char_width(ch);
            if i + w > max {
                return;
            }
            self.put(x + i, y, ch);
            if w == 2 {
                self.put(x + i + 1, y, WIDE_REST);
            }
            i += w;
        }
    }
    /// Free cells only (labels never cover lines or boxes).
    /// Text written into empty cells from `x`; where it meets something
    /// already drawn (or the edge) it stops, its last character made `…`.
    fn label(&mut self, x: usize, y: usize, s: &str) {
        let mut i = 0;
        let mut last: Option<(usize, usize)> = None;
        for ch in s.chars() {
            let cw = char_width(ch);
            let (x, w) = (x + i, self.w);
            let blocked =
                x + cw > w || y >= self.h || (x..x + cw).any(|x| self.cell(x, y) != Cell::Empty);
            if blocked {
                if let Some((lx, lw)) = last {
                    self.put(lx, y, '…');
                    if lw == 2 {
                        self.put(lx + 1, y, ' ');
                    }
                }
                return;
            }
            self.put(x, y, ch);
            if cw == 2 {
                self.put(x + 1, y, WIDE_REST);
            }
            last = Some((x, cw));
            i += cw;
        }
    }
    fn vline(&mut self, x: usize, y0: usize, y1: usize) {
        let (a, b) = (y0.min(y1), y0.max(y1));
        for y in a..=b {
            let mut bits = 0;
            if y > a {
                bits |= U;
            }
            if y < b {
                bits |= D;
            }
            if a == b {
                bits = U | D;
            }
            self.line(x, y, bits);
        }
    }
    fn hline(&mut self, y: usize, x0: usize, x1: usize) {
        let (a, b) = (x0.min(x1), x0.max(x1));
        if a == b {
            return;
        }
        for x in a..=b {
            let mut bits = 0;
            if x > a {
                bits |= L;
            }
            if x < b {
                bits |= R;
            }
            self.line(x, y, bits);
        }
    }
    pub fn lines(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|row| {
                let s: String = row
                    .iter()
                    .map(|c| match *c {
                        Cell::Empty => ' ',
                        Cell::Char(c) => c,
                        Cell::Line(b) => glyph(b),
                    })
                    .collect();
                s.trim_end().to_string()
            })
            .collect()
    }
}

fn glyph(b: u8) -> char {
    match b {
        x if x == U | D | L | R => '┼',
        x if x == U | D | R => '├',
        x if x == U | D | L => '┤',
        x if x == D | L | R => '┬',
        x if x == U | L | R => '┴',
        x if x == D | R => '┌',
        x if x == D | L => '┐',
        x if x == U | R => '└',
        x if x == U | L => '┘',
        x if x == L | R || x == L || x == R => '─',
        _ => '│',
    }
}

pub fn type_glyph(t: &str) -> char {
    match t {
        // Not →, an arrow in text (and `>` in ASCII, the current state's).
        "Pass" => '⇢',
        "Task" => '⚙',
        "Choice" => '◇',
        "Wait" => '◷',
        "Succeed" => '✓',
        // Not ✗, the mark of a state that failed.
        "Fail" => '⊗',
        "Parallel" => '‖',
        "Map" => '≡',
        _ => '?',
    }
}

/// The row a box's name is written on: under its top border, or its only
/// row (a compact box).
pub fn title_row(b: (usize, usize, usize, usize)) -> usize {
    if b.3 == 1 {
        b.1
    } else {
        b.1 + 1
    }
}

fn draw_box(c: &mut Canvas, n: &Node) {
    let (x, y, w, h) = (n.x, n.y, n.w, n.h);
    let label = format!(
        "{} {}",
        type_glyph(&n.type_name),
        crate::output::printable(&n.name)
    );
    let max = w.saturating_sub(3);
    if h == 1 {
        // Compact: `[ ⚙ name]` on one row, over whatever edge passed there.
        c.put(x, y, '[');
        c.put(x + w - 1, y, ']');
        for i in 1..w - 1 {
            c.clear(x + i, y);
        }
        // A collapsed container: how many states it holds, at the end.
        let hidden = if n.hidden > 0 {
            format!(" +{}", n.hidden)
        } else {
            String::new()
        };
        let max = max.saturating_sub(hidden.len());
        c.text(x + 2, y, &fit(&label, max), max);
        c.text(x + w - 1 - hidden.len(), y, &hidden, hidden.len());
        return;
    }
    let container = !n.children.is_empty() || n.hidden > 0;
    let (tl, tr, bl, br, hz, vt) = if container {
        ('╭', '╮', '╰', '╯', '─', '│')
    } else {
        ('┌', '┐', '└', '┘', '─', '│')
    };
    c.put(x, y, tl);
    c.put(x + w - 1, y, tr);
    c.put(x, y + h - 1, bl);
    c.put(x + w - 1, y + h - 1, br);
    for i in 1..w - 1 {
        c.put(x + i, y, hz);
        c.put(x + i, y + h - 1, hz);
    }
    for j in 1..h - 1 {
        c.put(x, y + j, vt);
        c.put(x + w - 1, y + j, vt);
        for i in 1..w - 1 {
            c.clear(x + i, y + j);
        }
    }
    // Names are shown with terminal controls escaped (they come from the file).
    c.text(x + 2, y + 1, &fit(&label, max), max);
    if n.hidden > 0 {
        // A collapsed container: how many states it holds.
        c.text(
            x + 2,
            y + h - 1,
            &format!("[+{}]", n.hidden),
            w.saturating_sub(4),
        );
    }
}

/// Where each state's box is, for hit tests and highlighting:
/// (machine, state) -> (x, y, w, h).
pub type Boxes = std::collections::HashMap<(usize, usize), (usize, usize, usize, usize)>;

/// The cells one edge covers (its line, arrow and label).
#[derive(Debug, Clone)]
pub struct EdgeCells {
    pub machine: usize,
    pub from: usize,
    pub to: usize,
    pub cells: Vec<(usize, usize)>,
}

/// A drawn graph: its text, where each box is and where each edge runs.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub lines: Vec<String>,
    pub boxes: Boxes,
    pub edges: Vec<EdgeCells>,
    /// The boxes drawn with their branches inside (expanded containers).
    pub containers: std::collections::HashSet<(usize, usize)>,
    /// The longest line, in characters.
    pub width: usize,
}

/// The lanes right of the boxes that carry loops up: a loop takes the
/// first lane free over its rows (loops that do not overlap share one), so
/// the drawing widens with the loops that overlap, not with all of them.
pub struct Lanes {
    base: usize,
    /// Per lane, the row spans it carries.
    used: Vec<Vec<(usize, usize)>>,
}

impl Lanes {
    fn new(base: usize) -> Lanes {
        Lanes {
            base,
            used: Vec::new(),
        }
    }

    /// The column of a lane free from row `top` to row `bottom`.
    fn take(&mut self, top: usize, bottom: usize) -> usize {
        let free =
            |spans: &Vec<(usize, usize)>| spans.iter().all(|&(a, b)| bottom + 1 < a || b + 1 < top);
        let i = match self.used.iter().position(free) {
            Some(i) => i,
            None => {
                self.used.push(Vec::new());
                self.used.len() - 1
            }
        };
        self.used[i].push((top, bottom));
        self.base + 2 * i
    }
}

fn draw(c: &mut Canvas, l: &Layout, out: &mut Rendered, lane: &mut Lanes) {
    let center = |n: &Node| n.x + n.w / 2;
    let node: std::collections::HashMap<usize, &Node> =
        l.nodes.iter().map(|n| (n.state, n)).collect();
    // Edges between the same two states (a Next and a catcher, two rules)
    // are drawn once, with all their labels.
    let mut between: std::collections::HashMap<(usize, usize), Vec<&super::Edge>> =
        std::collections::HashMap::new();
    for e in &l.edges {
        between.entry((e.from, e.to)).or_default().push(e);
    }
    // Edges first; boxes are drawn over them.
    for (ei, e) in l.edges.iter().enumerate() {
        let (Some(&a), Some(&b)) = (node.get(&e.from), node.get(&e.to)) else {
            continue;
        };
        let same = &between[&(e.from, e.to)];
        if !std::ptr::eq(same[0], e) {
            continue;
        }
        let label = if same.len() == 1 {
            edge_label(&e.kind)
        } else {
            let all: Vec<String> = same
                .iter()
                .map(|x| edge_label(&x.kind).unwrap_or_else(|| "next".into()))
                .collect();
            Some(all.join(", "))
        };
        c.trace = Some(Vec::new());
        draw_edge(c, l, e, ei, label, a, b, lane);
        let cells = c.trace.take().unwrap_or_default();
        out.edges.push(EdgeCells {
            machine: l.machine,
            from: e.from,
            to: e.to,
            cells,
        });
    }
    for n in &l.nodes {
        draw_box(c, n);
        out.boxes.insert((l.machine, n.state), (n.x, n.y, n.w, n.h));
        if !n.children.is_empty() {
            out.containers.insert((l.machine, n.state));
        }
        for ch in &n.children {
            let mut inner_lane =
                Lanes::new(ch.nodes.iter().map(|x| x.x + x.w).max().unwrap_or(0) + 1);
            draw(c, ch, out, &mut inner_lane);
        }
    }
    // End markers: under each state that ends the execution (no Next,
    // Default or rule edge; a catcher's edge does not count), where the cell
    // is free. Branches and iterations end at their container's border.
    for n in l.nodes.iter().filter(|_| l.machine == 0) {
        let ends = !l
            .edges
            .iter()
            .any(|e| e.from == n.state && !matches!(e.kind, EdgeKind::Catch(_)));
        if ends {
            // Under the box; when a catcher's edge leaves from there, beside
            // it (an End state with a Catch ends the execution too).
            let (x, y) = (center(n), n.y + n.h);
            let free = |c: &Canvas, x: usize| x < c.w && y < c.h && c.cell(x, y) == Cell::Empty;
            if let Some(x) = [x, x + 2, x.saturating_sub(2)]
                .into_iter()
                .find(|x| free(c, *x))
            {
                c.label(x, y, "◉");
            }
        }
    }
}

/// An edge's label (a Next edge has none).
fn edge_label(kind: &EdgeKind) -> Option<String> {
    match kind {
        EdgeKind::Next => None,
        EdgeKind::Rule(l) => Some(l.clone()),
        EdgeKind::Default => Some("Default".into()),
        EdgeKind::Catch(l) => Some(format!("catch {l}")),
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_edge(
    c: &mut Canvas,
    l: &Layout,
    e: &super::Edge,
    ei: usize,
    label: Option<String>,
    a: &Node,
    b: &Node,
    lane: &mut Lanes,
) {
    let center = |n: &Node| n.x + n.w / 2;
    if e.back || b.y <= a.y {
        // A loop: down out of the source's right part, along the gap
        // below it to a lane right of every box, up to the gap above the
        // target, and down into the target's right part. Only gap rows and
        // the lane carry it, so it crosses no box.
        let ex = a.x + a.w.saturating_sub(2);
        let below = a.y + a.h;
        let above = b.y.saturating_sub(2);
        // Its rows, with the label's row under the turn.
        let x = lane.take(above.min(below), above.max(below) + 1);
        let tx = b.x + b.w.saturating_sub(2);
        c.vline(ex, a.y + a.h - 1, below);
        c.hline(below, ex, x);
        c.vline(x, above, below);
        c.hline(above, tx, x);
        c.vline(tx, above, b.y - 1);
        c.put(tx, b.y - 1, '▼');
        let label = label.unwrap_or_else(|| "loop".into());
        c.label(ex + 2, below + 1, &format!("↺ {}", fit(&label, 18)));
        return;
    }
    let mut points: Vec<(usize, usize)> = l.bends.get(&ei).cloned().unwrap_or_default();
    points.push((center(b), b.y));
    let (mut cx, mut cy) = (center(a), a.y + a.h - 1);
    // Start one cell below the source box.
    cy += 1;
    for (i, (px, py)) in points.into_iter().enumerate() {
        let channel = py.saturating_sub(2).max(cy);
        if i == 0 && channel == cy {
            // Turning on the row right under the source (a compact box):
            // the line comes from above only.
            c.line(cx, cy, U);
        } else {
            c.vline(cx, cy, channel);
        }
        c.hline(channel, cx, px);
        cx = px;
        cy = channel;
    }
    c.vline(cx, cy, b.y - 1);
    c.put(cx, b.y - 1, '▼');
    if let Some(lb) = label {
        // Beside the arrow into the target, up to the next arrow on that row.
        let room = l
            .nodes
            .iter()
            .filter(|n| n.y == b.y && n.x + n.w / 2 > cx)
            .map(|n| n.x + n.w / 2 - cx - 2)
            .chain(
                l.bends
                    .values()
                    .flatten()
                    .filter(|p| p.1 == b.y && p.0 > cx)
                    .map(|p| p.0 - cx - 2),
            )
            .min()
            .unwrap_or(18)
            .min(18);
        if room >= 3 {
            c.label(cx + 1, b.y - 1, &fit(&lb, room));
        }
    }
}

/// `s` in at most `n` characters, cut with `…`.
/// `s` in at most `n` display columns, ending in `…` when cut.
pub fn fit(s: &str, n: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if s.width() <= n {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = char_width(ch);
        if used + w > n.saturating_sub(1) {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.push('…');
    out
}

/// The whole layout as text lines, plus where each box and edge is.
pub fn render(l: &Layout) -> Rendered {
    let back = l.edges.iter().filter(|e| e.back).count();
    let w = l.w + 2 * back + 24;
    let mut c = Canvas::new(w, l.h + 4);
    let mut out = Rendered::default();
    let mut lane = Lanes::new(l.nodes.iter().map(|n| n.x + n.w).max().unwrap_or(0) + 2);
    draw(&mut c, l, &mut out, &mut lane);
    // Start marker above the first state.
    if let Some(s) = l.nodes.iter().find(|n| n.state == l.start) {
        // Not ●, a breakpoint's mark.
        c.put(s.x + s.w / 2, 0, '◆');
        c.put(s.x + s.w / 2, 1, '▼');
    }
    let mut lines = c.lines();
    while lines.last().is_some_and(|s| s.is_empty()) {
        lines.pop();
    }
    out.width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    out.lines = lines;
    out
}

/// The marks an execution leaves on the boxes, as (x, y, text) to write over
/// the drawing: `×N` visits on the bottom border, `↯` (a caught error) on the
/// top border, and `✗` failed or `•` visited left of the type glyph (the
/// list's marks, so that the drawing reads without colour too). A compact
/// box has `↯` and `×N` at the end of its name, inside its brackets.
pub fn box_marks(r: &Rendered, m: &Marks) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (k, b) in &r.boxes {
        let n = m.visits.get(k).copied().unwrap_or(0);
        let label = format!("×{n}");
        let len = label.chars().count();
        if b.3 == 1 {
            // Compact: inside the brackets, at the end of the name (`↯`
            // then `×N`), never over the box's neighbours.
            let mut right = String::new();
            if m.caught.contains(k) {
                right.push('↯');
            }
            if n > 1 {
                right.push_str(&label);
            }
            let w = right.chars().count();
            if w > 0 && b.2 >= w + 5 {
                out.push((b.0 + b.2 - 1 - w, b.1, right));
            }
        } else {
            // On the bottom border, before its corner; on a narrow box
            // from just after the other corner, and cut to `×…` on one
            // narrower still (never left out without a sign).
            let bottom = b.1 + b.3 - 1;
            if n > 1 && b.2 >= len + 4 {
                out.push((b.0 + b.2 - 2 - len, bottom, label));
            } else if n > 1 && b.2 >= len + 2 {
                out.push((b.0 + 1, bottom, label));
            } else if n > 1 && b.2 >= 4 {
                out.push((b.0 + 1, bottom, "×…".into()));
            }
            if m.caught.contains(k) && b.2 >= 5 {
                out.push((b.0 + b.2 - 3, b.1, "↯".into()));
            }
        }
        let only = m.only.get(k).map(|c| c.to_string());
        let mark = if let Some(c) = only.as_deref() {
            Some(c)
        } else if m.failed.contains(k) {
            Some("✗")
        } else if m.visited.contains(k) {
            Some("•")
        } else {
            None
        };
        if let Some(mark) = mark {
            out.push((b.0 + 1, title_row(*b), mark.into()));
        }
    }
    out
}

/// The arms (U, D, L, R) of a light line-drawing character.
fn arms(c: char) -> u8 {
    match c {
        '─' => L | R,
        '│' => U | D,
        '┌' => D | R,
        '┐' => D | L,
        '└' => U | R,
        '┘' => U | L,
        '├' => U | D | R,
        '┤' => U | D | L,
        '┬' => D | L | R,
        '┴' => U | L | R,
        '┼' => U | D | L | R,
        _ => 0,
    }
}

/// The box-drawing character with these arms, the `heavy` ones drawn heavy
/// (Unicode has every mix: `┺` is left light, up and right heavy).
fn weighted(arms: u8, heavy: u8) -> char {
    match (arms, heavy) {
        (12, 0) => '─',
        (12, 4) => '╾',
        (12, 8) => '╼',
        (12, 12) => '━',
        (3, 0) => '│',
        (3, 2) => '╽',
        (3, 1) => '╿',
        (3, 3) => '┃',
        (10, 0) => '┌',
        (10, 2) => '┎',
        (10, 8) => '┍',
        (10, 10) => '┏',
        (6, 0) => '┐',
        (6, 2) => '┒',
        (6, 4) => '┑',
        (6, 6) => '┓',
        (9, 0) => '└',
        (9, 8) => '┕',
        (9, 1) => '┖',
        (9, 9) => '┗',
        (5, 0) => '┘',
        (5, 4) => '┙',
        (5, 1) => '┚',
        (5, 5) => '┛',
        (11, 0) => '├',
        (11, 2) => '┟',
        (11, 8) => '┝',
        (11, 1) => '┞',
        (11, 10) => '┢',
        (11, 3) => '┠',
        (11, 9) => '┡',
        (11, 11) => '┣',
        (7, 0) => '┤',
        (7, 2) => '┧',
        (7, 4) => '┥',
        (7, 1) => '┦',
        (7, 6) => '┪',
        (7, 3) => '┨',
        (7, 5) => '┩',
        (7, 7) => '┫',
        (14, 0) => '┬',
        (14, 2) => '┰',
        (14, 4) => '┭',
        (14, 8) => '┮',
        (14, 6) => '┱',
        (14, 10) => '┲',
        (14, 12) => '┯',
        (14, 14) => '┳',
        (13, 0) => '┴',
        (13, 4) => '┵',
        (13, 8) => '┶',
        (13, 1) => '┸',
        (13, 12) => '┷',
        (13, 5) => '┹',
        (13, 9) => '┺',
        (13, 13) => '┻',
        (15, 0) => '┼',
        (15, 2) => '╁',
        (15, 4) => '┽',
        (15, 8) => '┾',
        (15, 1) => '╀',
        (15, 6) => '╅',
        (15, 10) => '╆',
        (15, 3) => '╂',
        (15, 12) => '┿',
        (15, 5) => '╃',
        (15, 9) => '╄',
        (15, 14) => '╈',
        (15, 7) => '╉',
        (15, 11) => '╊',
        (15, 13) => '╇',
        (15, 15) => '╋',
        _ => glyph(arms),
    }
}

/// The glyph of cell (x, y) on a taken edge: its arms heavy, except where
/// an untaken edge's line joins it (the neighbour points back and is not
/// `trodden`). `at` reads the light drawing.
pub fn path_glyph(
    at: impl Fn(usize, usize) -> Option<char>,
    trodden: impl Fn(usize, usize) -> bool,
    x: usize,
    y: usize,
) -> char {
    let Some(c) = at(x, y) else { return ' ' };
    let a = arms(c);
    if a == 0 {
        return c;
    }
    let mut heavy = 0;
    for (bit, back, nx, ny) in [
        (U, D, Some(x), y.checked_sub(1)),
        (D, U, Some(x), Some(y + 1)),
        (L, R, x.checked_sub(1), Some(y)),
        (R, L, Some(x + 1), Some(y)),
    ] {
        let (taken, joined) = match (nx, ny) {
            (Some(nx), Some(ny)) => (
                trodden(nx, ny),
                at(nx, ny).is_some_and(|n| arms(n) & back != 0),
            ),
            _ => (false, false),
        };
        if a & bit != 0 && (taken || !joined) {
            heavy |= bit;
        }
    }
    weighted(a, heavy)
}

/// The drawing with an execution on it, for plain text: the transitions
/// taken in heavy lines (junctions mixed where an untaken edge joins), and
/// the box marks of [`box_marks`].
pub fn with_marks(r: &Rendered, m: &Marks) -> Vec<String> {
    let mut grid: Vec<Vec<char>> = r.lines.iter().map(|l| l.chars().collect()).collect();
    let trodden: std::collections::HashSet<(usize, usize)> = r
        .edges
        .iter()
        .filter(|e| m.taken.contains(&(e.machine, e.from, e.to)))
        .flat_map(|e| e.cells.iter().copied())
        .collect();
    let light = grid.clone();
    let at = |x: usize, y: usize| light.get(y).and_then(|row| row.get(x)).copied();
    for &(x, y) in &trodden {
        grid[y][x] = path_glyph(at, |x, y| trodden.contains(&(x, y)), x, y);
    }
    for (x, y, text) in box_marks(r, m) {
        for (i, ch) in text.chars().enumerate() {
            if let Some(c) = grid.get_mut(y).and_then(|row| row.get_mut(x + i)) {
                *c = ch;
            }
        }
    }
    grid.into_iter()
        .map(|row| row.into_iter().filter(|c| *c != WIDE_REST).collect())
        .collect()
}
