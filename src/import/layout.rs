//! A list as offices lay it out — paragraphs and tables of cells, from a Word
//! document, a workbook or a CSV file — → the text layout [`super::document`] reads.
//!
//! Every reader of a structured format ([`super::docx`], [`super::xlsx`],
//! [`super::csv`]) turns its file into [`Block`]s; [`compose`] finds the title, the
//! date, the preamble (说明) and the tables in them and writes the text layout,
//! remembering for every line where it came from, so the importer's messages name
//! the table or sheet, row and column instead of a line of text nobody has.
//!
//! Columns are found by their header text, never by position: a header row starts
//! with `序号`, and each of its cells is recognised by what it says
//! (`乡镇（街道）配合职责`, `镇街配合职责`, `承接部门`, `工作方式`, …). The table's
//! kind follows from its columns, and a table heading above it (`一、配合履职事项清单`)
//! or the sheet's name must agree. A header repeated on a later page, empty rows,
//! extra blank columns and title rows are skipped; a cell merged vertically holds
//! its value on every row it spans; a row whose 序号 is merged with the row above,
//! or which has no 序号, category or name but holds items, continues the duty above.

use std::sync::LazyLock;

use entity::DutyKind;
use regex::Regex;

use super::document::parse_title;
use super::text::{chinese_number, fold};
use super::{ImportError, LineError, MAX_ERRORS};

/// At most this many characters in one cell (Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;

/// At most this many rows in one file: lists hold hundreds of duties.
pub const MAX_ROWS: usize = 20_000;

/// One paragraph or line outside a table, or one row of a table.
#[derive(Clone, Debug)]
pub enum Block {
    /// A paragraph (Word) or a row holding one text (a sheet).
    Paragraph {
        /// The text, whitespace as written.
        text: String,
        /// Where it is, e.g. `paragraph 12` or `sheet `说明`, row 3`.
        place: String,
    },
    /// A name that may say which table follows: a sheet's name.
    Label(String),
    /// A row of a table.
    Row(Row),
}

/// One row of a table or sheet.
#[derive(Clone, Debug)]
pub struct Row {
    /// Where it is, e.g. `table 2, row 5` or `sheet `配合`, row 5`.
    pub place: String,
    /// Its cells, one per grid column.
    pub cells: Vec<Cell>,
    /// How columns are named in messages.
    pub columns: ColumnNames,
}

/// How a format names its columns in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnNames {
    /// `A`, `B`, … as Excel does.
    Letters,
    /// `1`, `2`, … for Word tables and CSV files.
    Numbers,
}

impl ColumnNames {
    /// The name of a 0-based column.
    pub fn name(self, column: usize) -> String {
        match self {
            ColumnNames::Letters => format!("column {}", column_letter(column)),
            ColumnNames::Numbers => format!("column {}", column + 1),
        }
    }
}

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column.
pub fn column_letter(mut col: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'A' + (col % 26) as u8));
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.iter().rev().collect()
}

/// One cell of a row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// Its paragraphs or lines, in order; numbers Word generates are part of the text.
    pub lines: Vec<String>,
    /// How the cell is covered by a merge.
    pub merge: Merge,
}

/// Whether a cell is part of a merged region other than its first cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Merge {
    /// A cell of its own, or the first cell of a merged region.
    #[default]
    None,
    /// Below the first cell of a vertical merge: it holds that cell's value.
    Above,
    /// Right of the first cell of a horizontal merge: it is part of that cell.
    Left,
}

impl Cell {
    /// A cell of its own with this text; line breaks separate its lines.
    pub fn text(text: &str) -> Self {
        Cell {
            lines: text
                .split(['\n', '\r'])
                .map(str::to_owned)
                .filter(|l| !l.trim().is_empty())
                .collect(),
            merge: Merge::None,
        }
    }

    fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.trim().is_empty())
    }

    /// The cell as one line, its lines joined by a space.
    fn joined(&self) -> String {
        flat(&self.lines.join(" "))
    }
}

/// Whitespace (tabs and line breaks included) collapsed to single spaces.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A column the importer knows, found by its header text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Seq,
    Category,
    Name,
    Counterpart,
    DepartmentItems,
    TownItems,
    ReceivingAndMethod,
    Receiving,
    Method,
}

impl Column {
    /// The column a header cell names, if any (its text folded).
    fn of(header: &str) -> Option<Column> {
        let h = fold(header);
        let h = h.as_str();
        Some(if matches!(h, "序号" | "编号" | "序") {
            Column::Seq
        } else if h.contains("类别") || h.contains("类型") {
            Column::Category
        } else if h.contains("承接部门") || h.contains("收回部门") {
            if h.contains("工作方式") {
                Column::ReceivingAndMethod
            } else {
                Column::Receiving
            }
        } else if h.contains("工作方式") {
            Column::Method
        } else if h.contains("配合") && h.contains("职责")
            || (h.contains("乡镇") || h.contains("街道") || h.contains("镇街"))
                && h.contains("职责")
        {
            Column::TownItems
        } else if h.contains("部门") && h.contains("职责") {
            Column::DepartmentItems
        } else if h.contains("部门") {
            Column::Counterpart
        } else if h.contains("名称") || matches!(h, "事项" | "履职事项" | "事项内容") {
            Column::Name
        } else {
            return None;
        })
    }

    /// What the column is called in the official header.
    fn label(self) -> &'static str {
        match self {
            Column::Seq => "序号",
            Column::Category => "事项类别",
            Column::Name => "事项名称",
            Column::Counterpart => "对应上级部门",
            Column::DepartmentItems => "上级部门职责",
            Column::TownItems => "乡镇（街道）配合职责",
            Column::ReceivingAndMethod => "承接部门及工作方式",
            Column::Receiving => "承接部门",
            Column::Method => "工作方式",
        }
    }
}

/// A table's columns: which grid column holds each known column.
#[derive(Clone, Debug)]
struct Columns {
    kind: DutyKind,
    /// (grid column, column) for every recognised header cell.
    known: Vec<(usize, Column)>,
    /// (grid column, header text) of header cells lvzhi does not keep.
    other: Vec<(usize, String)>,
}

impl Columns {
    fn find(&self, column: Column) -> Option<usize> {
        self.known
            .iter()
            .find(|(_, c)| *c == column)
            .map(|(at, _)| *at)
    }
}

/// The first non-empty cell of a row folds to `序号`: a header row.
fn is_header(row: &Row) -> bool {
    row.cells
        .iter()
        .find(|c| !c.is_empty())
        .is_some_and(|c| Column::of(&c.joined()) == Some(Column::Seq))
}

/// A header row → the table's columns, or what is wrong with it.
fn columns(row: &Row) -> Result<Columns, LineError> {
    let mut known = Vec::new();
    let mut other = Vec::new();
    for (at, cell) in row.cells.iter().enumerate() {
        if cell.is_empty() || cell.merge == Merge::Left {
            continue;
        }
        let text = cell.joined();
        match Column::of(&text) {
            Some(column) if known.iter().any(|(_, c)| *c == column) => {
                return Err(LineError::at(
                    format!("{}, {}", row.place, row.columns.name(at)),
                    format!(
                        "the header names the column {} twice (`{text}`)",
                        column.label()
                    ),
                ));
            }
            Some(column) => known.push((at, column)),
            None => other.push((at, text)),
        }
    }
    let has = |c: Column| known.iter().any(|(_, k)| *k == c);
    let kind = if has(Column::TownItems) || has(Column::DepartmentItems) {
        DutyKind::Cooperative
    } else if has(Column::ReceivingAndMethod) || has(Column::Receiving) || has(Column::Method) {
        DutyKind::Reclaimed
    } else {
        DutyKind::Basic
    };
    let needed: &[Column] = match kind {
        DutyKind::Basic => &[Column::Seq, Column::Category, Column::Name],
        DutyKind::Cooperative => &[
            Column::Seq,
            Column::Category,
            Column::Name,
            Column::Counterpart,
            Column::DepartmentItems,
            Column::TownItems,
        ],
        DutyKind::Reclaimed if has(Column::ReceivingAndMethod) => {
            &[Column::Seq, Column::Category, Column::Name]
        }
        DutyKind::Reclaimed => &[
            Column::Seq,
            Column::Category,
            Column::Name,
            Column::Receiving,
            Column::Method,
        ],
    };
    let missing: Vec<&str> = needed
        .iter()
        .filter(|c| !has(**c))
        .map(|c| c.label())
        .collect();
    if !missing.is_empty() {
        let found: Vec<String> = row
            .cells
            .iter()
            .filter(|c| !c.is_empty())
            .map(Cell::joined)
            .collect();
        return Err(LineError::at(
            row.place.clone(),
            format!(
                "the header row of the {} table lacks the column{} {} (found `{}`; expected `{}`)",
                kind.table_title(),
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                found.join(" | "),
                kind.header().join(" | ")
            ),
        ));
    }
    Ok(Columns { kind, known, other })
}

/// The table a heading, title row or sheet name announces, if it is one:
/// `一、配合履职事项清单`, `乌恰镇基本履职事项清单`, `上级部门收回事项`.
pub fn label_kind(text: &str) -> Option<DutyKind> {
    static NUMBERING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:附件\d*[:：]?|第[一二三四五六七八九十\d]+部分[:：]?|[一二三四五六七八九十]+[、.．]|\d+[、.．]|[（(][一二三四五六七八九十\d]+[)）])")
            .expect("valid regex")
    });
    let folded = fold(text);
    let rest = NUMBERING.replace(&folded, "");
    if rest.chars().count() > 40 {
        return None;
    }
    let ends = |suffixes: &[&str]| suffixes.iter().any(|s| rest.ends_with(s));
    if ends(&["基本履职事项清单", "基本履职事项"]) {
        Some(DutyKind::Basic)
    } else if ends(&["配合履职事项清单", "配合履职事项"]) {
        Some(DutyKind::Cooperative)
    } else if ends(&["收回事项清单", "收回事项"]) {
        Some(DutyKind::Reclaimed)
    } else {
        None
    }
}

/// A date line: `2025年7月`, `2025 年 7 月 15 日`, `二〇二五年七月` → `YYYY-MM`.
pub fn parse_month(text: &str) -> Option<String> {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[（(]?([0-9〇零一二三四五六七八九]{4})年([0-9]{1,2}|[一二三四五六七八九十]{1,3})月(?:([0-9]{1,2}|[一二三四五六七八九十]{1,3})日)?[)）]?$")
            .expect("valid regex")
    });
    let folded = fold(text);
    let caps = DATE.captures(&folded)?;
    let year: String = caps[1]
        .chars()
        .map(|c| match c {
            '〇' | '零' => '0',
            c => chinese_number(&c.to_string())
                .and_then(|n| char::from_digit(n, 10))
                .unwrap_or(c),
        })
        .collect();
    let month = caps[2]
        .parse::<u32>()
        .ok()
        .or_else(|| chinese_number(&caps[2]))?;
    ((1..=12).contains(&month) && year.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("{year}-{month:02}"))
}

/// The rows of a sheet (workbook or CSV) → blocks: before the sheet's first header
/// row a row is a paragraph (its texts joined), unless it looks like a duty; the
/// sheet's name may announce its table.
pub fn sheet_blocks(name: Option<&str>, rows: Vec<Row>, out: &mut Vec<Block>) {
    if let Some(name) = name {
        out.push(Block::Label(name.to_owned()));
    }
    let mut in_table = false;
    for row in rows {
        in_table |= is_header(&row);
        if in_table || looks_like_duty(&row) {
            out.push(Block::Row(row));
        } else {
            let texts: Vec<String> = row
                .cells
                .iter()
                .filter(|c| !c.is_empty())
                .map(Cell::joined)
                .collect();
            if !texts.is_empty() {
                out.push(Block::Paragraph {
                    text: texts.join(" "),
                    place: row.place,
                });
            }
        }
    }
}

/// The text layout of a structured file, with the place of every line.
#[derive(Clone, Debug)]
pub struct Composed {
    /// The document in the text layout.
    pub text: String,
    /// Where each line (0-based) came from.
    pub places: Vec<String>,
}

struct Writer {
    lines: Vec<String>,
    places: Vec<String>,
    errors: Vec<LineError>,
}

impl Writer {
    fn line(&mut self, text: String, place: &str) {
        self.lines.push(text);
        self.places.push(place.to_owned());
    }

    fn error(&mut self, error: LineError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
        }
    }
}

/// The table being written.
struct Table {
    columns: Columns,
    /// The rows of the duty being gathered: it may continue over several rows.
    duty: Option<(String, Vec<Cell>)>,
    /// The cells of the row above, for vertical merges.
    above: Vec<Cell>,
}

/// Blocks → the text layout. `title` and `month` stand in for what the file
/// lacks (from `--county`/`--town` and `--published`); the file's own are used
/// when it has them, and the caller's overrides are applied to the parsed
/// document afterwards.
pub fn compose(
    blocks: &[Block],
    title: Option<&str>,
    month: Option<&str>,
) -> Result<Composed, ImportError> {
    let mut w = Writer {
        lines: Vec::new(),
        places: Vec::new(),
        errors: Vec::new(),
    };
    for block in blocks {
        if let Block::Paragraph { text, place } = block
            && text.chars().count() > MAX_CELL_CHARS
        {
            w.error(LineError::at(
                place.clone(),
                format!("the paragraph is longer than {MAX_CELL_CHARS} characters"),
            ));
        }
    }
    let first_row = blocks
        .iter()
        .position(|b| matches!(b, Block::Row(_)))
        .unwrap_or(blocks.len());
    front(&mut w, &blocks[..first_row], blocks, title, month);
    tables(&mut w, blocks);
    if !w.errors.is_empty() {
        return Err(ImportError::Malformed(w.errors));
    }
    let mut text = w.lines.join("\n");
    text.push('\n');
    Ok(Composed {
        text,
        places: w.places,
    })
}

/// The paragraphs before the first table: title, date, `说明` and the preamble
/// up to the table of contents or the first table heading.
fn front(
    w: &mut Writer,
    blocks: &[Block],
    all: &[Block],
    title: Option<&str>,
    month: Option<&str>,
) {
    let paragraphs: Vec<(&str, &str)> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { text, place } => Some((text.as_str(), place.as_str())),
            _ => None,
        })
        .collect();
    let preamble_at = paragraphs.iter().position(|(t, _)| fold(t) == "说明");
    let cover = &paragraphs[..preamble_at.unwrap_or(paragraphs.len())];
    let start = paragraphs.first().map_or_else(
        || "the start of the file".to_owned(),
        |(_, p)| p.to_string(),
    );
    // A title on one paragraph, or set on two (`乌恰县乌恰镇` / `履职事项清单`).
    let single = cover
        .iter()
        .find(|(t, _)| parse_title(t).is_some())
        .map(|(t, p)| (flat(t), *p));
    let split = || {
        cover.windows(2).find_map(|pair| {
            let joined = format!("{}{}", flat(pair[0].0), flat(pair[1].0));
            parse_title(&joined).map(|_| (joined, pair[0].1))
        })
    };
    match single.or_else(split) {
        Some((text, place)) => w.line(text, place),
        None => match title {
            Some(title) => w.line(title.to_owned(), "--county and --town"),
            None => w.error(LineError::at(
                start.clone(),
                "no title naming county and town (e.g. `乌恰县乌恰镇履职事项清单`) before the preamble; give them with --county and --town",
            )),
        },
    }
    // The date under the title, else one standing alone anywhere (a date at the end, 落款).
    let dated = |(text, place): &(&str, &str)| Some((parse_month(text)?, place.to_string()));
    let anywhere = || {
        all.iter().find_map(|b| match b {
            Block::Paragraph { text, place } => dated(&(text.as_str(), place.as_str())),
            _ => None,
        })
    };
    match cover.iter().find_map(dated).or_else(anywhere) {
        Some((found, place)) => w.line(month_line(&found), &place),
        None => match month {
            Some(month) => w.line(month_line(month), "--published"),
            None => w.error(LineError::at(
                start,
                "no date line (e.g. `2025年7月`) before the preamble; give the month with --published YYYY-MM",
            )),
        },
    }
    let Some(at) = preamble_at else {
        // No preamble: nothing is stated, and reconciliation has nothing to compare.
        w.line("说 明".to_owned(), "the file (it has no 说明)");
        return;
    };
    w.line("说 明".to_owned(), paragraphs[at].1);
    for (text, place) in &paragraphs[at + 1..] {
        let folded = fold(text);
        if folded == "目录" || label_kind(text).is_some() {
            break;
        }
        let line = flat(text);
        if !line.is_empty() {
            w.line(line, place);
        }
    }
}

/// `2025-07` → `2025 年 7 月`, the text layout's date line.
fn month_line(month: &str) -> String {
    let (year, m) = month.split_once('-').unwrap_or((month, "0"));
    format!("{year} 年 {} 月", m.trim_start_matches('0'))
}

/// The tables: header rows, title rows, labels and duty rows.
fn tables(w: &mut Writer, blocks: &[Block]) {
    let mut table: Option<Table> = None;
    let mut label: Option<String> = None;
    let mut seen: Vec<DutyKind> = Vec::new();
    let mut rows = 0usize;
    // Two table headings in a row are a table of contents, not a heading.
    let mut after_label = false;
    for block in blocks {
        match block {
            Block::Paragraph { text, .. } => {
                let is_label = label_kind(text).is_some();
                label = match (is_label, after_label) {
                    (true, false) => Some(text.clone()),
                    (true, true) => None,
                    (false, _) => label,
                };
                after_label = is_label;
            }
            Block::Label(text) => {
                if label_kind(text).is_some() {
                    label = Some(text.clone());
                }
                after_label = false;
            }
            Block::Row(row) => {
                rows += 1;
                if rows > MAX_ROWS {
                    w.error(LineError::at(
                        row.place.clone(),
                        format!(
                            "the file has more than {MAX_ROWS} table rows; a duty list has hundreds"
                        ),
                    ));
                    return;
                }
                if let Some(error) = oversized_cell(row) {
                    w.error(error);
                    continue;
                }
                row_block(w, &mut table, &mut label, &mut seen, row);
            }
        }
    }
    if let Some(t) = table.as_mut() {
        flush(w, t);
    }
}

fn oversized_cell(row: &Row) -> Option<LineError> {
    row.cells.iter().enumerate().find_map(|(at, cell)| {
        let chars: usize = cell.lines.iter().map(|l| l.chars().count()).sum();
        (chars > MAX_CELL_CHARS).then(|| {
            LineError::at(
                format!("{}, {}", row.place, row.columns.name(at)),
                format!("the cell is longer than {MAX_CELL_CHARS} characters ({chars})"),
            )
        })
    })
}

/// The only text of a row whose other cells are empty (a title row), if it is one.
fn single_text(row: &Row) -> Option<String> {
    let filled: Vec<&Cell> = row
        .cells
        .iter()
        .filter(|c| !c.is_empty() && c.merge != Merge::Above)
        .collect();
    match filled.as_slice() {
        [only] => Some(only.joined()),
        _ => None,
    }
}

/// Whether a row's text looks like a duty (a number first, then more text).
fn looks_like_duty(row: &Row) -> bool {
    let filled: Vec<String> = row
        .cells
        .iter()
        .filter(|c| !c.is_empty())
        .map(Cell::joined)
        .collect();
    filled.len() >= 3 && seq_text(&filled[0]).parse::<u32>().is_ok()
}

fn row_block(
    w: &mut Writer,
    table: &mut Option<Table>,
    label: &mut Option<String>,
    seen: &mut Vec<DutyKind>,
    row: &Row,
) {
    if row
        .cells
        .iter()
        .all(|c| c.is_empty() || c.merge != Merge::None)
    {
        return;
    }
    if is_header(row) {
        let columns = match columns(row) {
            Ok(columns) => columns,
            Err(error) => {
                w.error(error);
                *table = None;
                return;
            }
        };
        let continues = table
            .as_ref()
            .is_some_and(|t| t.columns.kind == columns.kind && label.is_none());
        if continues {
            // The header again, on a later page or at the top of a table's next part.
            if let Some(t) = table.as_mut() {
                t.columns = columns;
                t.above.clear();
            }
            return;
        }
        if let Some(t) = table.as_mut() {
            flush(w, t);
        }
        start_table(w, table, label, seen, row, columns);
        return;
    }
    if let Some(text) = single_text(row).filter(|t| label_kind(t).is_some()) {
        // A title row inside a table or sheet announces the next table.
        *label = Some(text);
        return;
    }
    let Some(t) = table.as_mut() else {
        if looks_like_duty(row) {
            w.error(LineError::at(
                row.place.clone(),
                "a table row with no header row above it (a header row starts with 序号)",
            ));
        }
        return;
    };
    if label.is_some() {
        // A new table announced but without its header row.
        w.error(LineError::at(
            row.place.clone(),
            format!(
                "the table `{}` has no header row (a header row starts with 序号)",
                label.as_deref().unwrap_or_default()
            ),
        ));
        *table = None;
        return;
    }
    if single_text(row).is_some() && row.cells.iter().any(|c| c.merge == Merge::Left) {
        // A note merged across the table (`注：…`) is not a duty.
        return;
    }
    duty_row(w, t, row);
}

fn start_table(
    w: &mut Writer,
    table: &mut Option<Table>,
    label: &mut Option<String>,
    seen: &mut Vec<DutyKind>,
    row: &Row,
    columns: Columns,
) {
    let kind = columns.kind;
    if let Some(announced) = label.as_deref().and_then(label_kind)
        && announced != kind
    {
        w.error(LineError::at(
            row.place.clone(),
            format!(
                "the table under `{}` has the columns of the {} table (`{}`)",
                label.as_deref().unwrap_or_default(),
                kind.table_title(),
                kind.header().join(" | ")
            ),
        ));
    }
    if seen.contains(&kind) {
        w.error(LineError::at(
            row.place.clone(),
            format!("a second {} table", kind.table_title()),
        ));
    }
    seen.push(kind);
    *label = None;
    w.line(kind.table_title().to_owned(), &row.place);
    w.line(kind.header().join("\t"), &row.place);
    *table = Some(Table {
        columns,
        duty: None,
        above: Vec::new(),
    });
}

/// One row of a table: a duty, or the continuation of the duty above.
fn duty_row(w: &mut Writer, t: &mut Table, row: &Row) {
    // Vertically merged cells take the value of the cell above.
    let mut cells = row.cells.clone();
    for (at, cell) in cells.iter_mut().enumerate() {
        if cell.merge == Merge::Above
            && let Some(above) = t.above.get(at)
        {
            cell.lines = above.lines.clone();
        }
    }
    for (at, text) in &t.columns.other {
        if let Some(cell) = row.cells.get(*at).filter(|c| !c.is_empty()) {
            w.error(LineError::at(
                format!("{}, {}", row.place, row.columns.name(*at)),
                format!(
                    "`{}` under the column `{text}`, which a duty list does not have; remove the column or move its text",
                    excerpt(&cell.joined())
                ),
            ));
        }
    }
    let known: Vec<usize> = t.columns.known.iter().map(|(at, _)| *at).collect();
    if let Some((at, cell)) = row.cells.iter().enumerate().find(|(at, c)| {
        !c.is_empty()
            && c.merge == Merge::None
            && !known.contains(at)
            && !t.columns.other.iter().any(|(o, _)| o == at)
    }) {
        w.error(LineError::at(
            format!("{}, {}", row.place, row.columns.name(at)),
            format!(
                "`{}` lies outside the columns of the {} table",
                excerpt(&cell.joined()),
                t.columns.kind.table_title()
            ),
        ));
    }
    let identity = [Column::Seq, Column::Category, Column::Name];
    let seq_merged = t
        .columns
        .find(Column::Seq)
        .and_then(|at| row.cells.get(at))
        .is_some_and(|c| c.merge == Merge::Above);
    let no_identity = identity.iter().all(|c| {
        t.columns
            .find(*c)
            .and_then(|at| row.cells.get(at))
            .is_none_or(|cell| cell.is_empty() || cell.merge == Merge::Above)
    });
    t.above = cells.clone();
    match t.duty.as_mut() {
        Some((_, gathered)) if seq_merged || no_identity => {
            // The duty goes on: its items continue in this row.
            for (at, cell) in row.cells.iter().enumerate() {
                if cell.merge == Merge::None
                    && let Some(into) = gathered.get_mut(at)
                {
                    into.lines.extend(cell.lines.iter().cloned());
                }
            }
        }
        _ => {
            flush(w, t);
            t.duty = Some((row.place.clone(), cells));
        }
    }
}

/// Write the gathered duty as one line of the text layout.
fn flush(w: &mut Writer, t: &mut Table) {
    let Some((place, cells)) = t.duty.take() else {
        return;
    };
    let get = |column: Column| -> Cell {
        t.columns
            .find(column)
            .and_then(|at| cells.get(at))
            .cloned()
            .unwrap_or_default()
    };
    let mut line = vec![
        escape(&seq_text(&get(Column::Seq).joined())),
        escape(&get(Column::Category).joined()),
        escape(&get(Column::Name).joined()),
    ];
    match t.columns.kind {
        DutyKind::Basic => {}
        DutyKind::Cooperative => {
            line.push(escape(&get(Column::Counterpart).lines.join("、")));
            line.push(item_cell(&get(Column::DepartmentItems)));
            line.push(item_cell(&get(Column::TownItems)));
        }
        DutyKind::Reclaimed => {
            let cell = if t.columns.find(Column::ReceivingAndMethod).is_some() {
                get(Column::ReceivingAndMethod).joined()
            } else {
                let receiving = get(Column::Receiving).lines.join("、");
                let method = get(Column::Method).joined();
                format!(
                    "承接部门：{} 工作方式：{}",
                    strip_label(&receiving, "承接部门"),
                    strip_label(&method, "工作方式")
                )
            };
            line.push(escape(&flat(&cell)));
        }
    }
    w.line(line.join("\t"), &place);
}

/// `承接部门：县住建局` in a column of its own → `县住建局`.
fn strip_label<'a>(text: &'a str, label: &str) -> &'a str {
    let text = text.trim();
    text.strip_prefix(label)
        .map(|rest| rest.trim_start_matches([':', '：', ' ']))
        .unwrap_or(text)
}

/// A 序号 as offices write it: `12`, `12.`, `12、`, `（12）`.
fn seq_text(text: &str) -> String {
    fold(text)
        .trim_start_matches(['(', '（'])
        .trim_end_matches(['.', '、', '．', ')', '）'])
        .to_owned()
}

/// An item cell: one line as is, several as `<p>` paragraphs, so the cell splitter
/// reads each line as a section, department heading or item.
fn item_cell(cell: &Cell) -> String {
    let lines: Vec<String> = cell
        .lines
        .iter()
        .map(|l| escape(&flat(l)))
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => String::new(),
        [line] => line.clone(),
        _ => lines
            .iter()
            .map(|l| format!("<p>{l}</p>"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Cell text as markup-free HTML text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A short excerpt of a cell for messages.
pub fn excerpt(s: &str) -> String {
    let flat = flat(s);
    let mut out: String = flat.chars().take(30).collect();
    if flat.chars().count() > 30 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_in_excel() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn header_cells_are_recognised_by_what_they_say() {
        for town in [
            "乡镇（街道）配合职责",
            "镇街配合职责",
            "街道配合职责",
            "乡镇配合职责",
            "配合职责",
        ] {
            assert_eq!(Column::of(town), Some(Column::TownItems), "{town}");
        }
        assert_eq!(Column::of("上级部门职责"), Some(Column::DepartmentItems));
        assert_eq!(Column::of("对应上级部门"), Some(Column::Counterpart));
        assert_eq!(
            Column::of("承接部门及工作方式"),
            Some(Column::ReceivingAndMethod)
        );
        assert_eq!(Column::of("承接部门"), Some(Column::Receiving));
        assert_eq!(Column::of("工作方式"), Some(Column::Method));
        assert_eq!(Column::of("序 号"), Some(Column::Seq));
        assert_eq!(Column::of("事项类别"), Some(Column::Category));
        assert_eq!(Column::of("事项名称"), Some(Column::Name));
        assert_eq!(Column::of("备注"), None);
    }

    #[test]
    fn table_headings_name_their_table_and_contents_lines_do_not() {
        assert_eq!(label_kind("一、基本履职事项清单"), Some(DutyKind::Basic));
        assert_eq!(
            label_kind("乌恰镇配合履职事项清单"),
            Some(DutyKind::Cooperative)
        );
        assert_eq!(
            label_kind("（三）上级部门收回事项"),
            Some(DutyKind::Reclaimed)
        );
        assert_eq!(label_kind("1. 基本履职事项清单\t1"), None);
        assert_eq!(
            label_kind("基本履职事项清单是本镇必须为、负全责的事项。"),
            None
        );
    }

    #[test]
    fn date_lines_give_the_month() {
        assert_eq!(parse_month("2025年7月").as_deref(), Some("2025-07"));
        assert_eq!(
            parse_month("2025 年 7 月 15 日").as_deref(),
            Some("2025-07")
        );
        assert_eq!(parse_month("二〇二五年七月").as_deref(), Some("2025-07"));
        assert_eq!(parse_month("（2025年12月）").as_deref(), Some("2025-12"));
        assert_eq!(parse_month("2025年13月"), None);
        assert_eq!(parse_month("共有 2025 年"), None);
    }

    fn paragraph(text: &str, at: usize) -> Block {
        Block::Paragraph {
            text: text.to_owned(),
            place: format!("paragraph {at}"),
        }
    }

    fn row(at: usize, cells: Vec<Cell>) -> Block {
        Block::Row(Row {
            place: format!("table 1, row {at}"),
            cells,
            columns: ColumnNames::Numbers,
        })
    }

    #[test]
    fn a_title_on_two_paragraphs_a_closing_date_and_a_merged_category_compose_the_text_layout() {
        let above = Cell {
            lines: Vec::new(),
            merge: Merge::Above,
        };
        let blocks = [
            paragraph("乌恰县乌恰镇", 1),
            paragraph("履职事项清单", 2),
            paragraph("说  明", 3),
            paragraph("一、基本情况", 4),
            paragraph("一、基本履职事项清单", 5),
            row(1, ["序 号", "类别", "事项名称"].map(Cell::text).to_vec()),
            row(2, ["1", "党的建设", "甲"].map(Cell::text).to_vec()),
            row(3, vec![Cell::text("2."), above, Cell::text("乙\n丙")]),
            paragraph("二〇二五年七月", 6),
        ];
        let composed = compose(&blocks, None, None).unwrap();
        assert_eq!(
            composed.text,
            "乌恰县乌恰镇履职事项清单\n2025 年 7 月\n说 明\n一、基本情况\n基本履职事项清单\n序号\t事项类别\t事项名称\n1\t党的建设\t甲\n2\t党的建设\t乙 丙\n"
        );
        assert_eq!(
            composed.places,
            [
                "paragraph 1",
                "paragraph 6",
                "paragraph 3",
                "paragraph 4",
                "table 1, row 1",
                "table 1, row 1",
                "table 1, row 2",
                "table 1, row 3"
            ]
        );
    }

    #[test]
    fn sequence_numbers_lose_the_punctuation_offices_add() {
        assert_eq!(seq_text("12."), "12");
        assert_eq!(seq_text("（3）"), "3");
        assert_eq!(seq_text("７"), "7");
    }
}
