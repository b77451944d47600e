//! A list document, line by line → the list's header, preamble and raw duties.
//!
//! The layout is the seed's: a title line (`…自治州 乌恰县乌恰镇履职事项清单`), the
//! month (`2025 年 7 月`), the preamble (`说 明` … up to `目 录`), a table of contents,
//! then the three tables, each a title line followed by a tab-separated header row
//! that repeats on every page. Nothing here knows department names: that is
//! [`super::resolve`]'s job.

use std::collections::HashMap;
use std::sync::LazyLock;

use entity::DutyKind;
use regex::Regex;

use super::cell::{Piece, parse_cell, plain_text};
use super::text::{clean, fold};
use super::{LineError, MAX_ERRORS};

/// A parsed document, before department names are resolved.
#[derive(Clone, Debug)]
pub struct Document {
    /// Province-level region, e.g. `新疆维吾尔自治区`.
    pub region: String,
    /// Prefecture, e.g. `克孜勒苏柯尔克孜自治州`; empty where the title names none.
    pub prefecture: String,
    /// County, e.g. `乌恰县`.
    pub county: String,
    /// Town or street office, e.g. `乌恰镇`.
    pub town: String,
    /// The list's title, e.g. `乌恰县乌恰镇履职事项清单`.
    pub title: String,
    /// Published month, `YYYY-MM`.
    pub published_on: String,
    /// The preamble (说明), one paragraph a line.
    pub preamble: String,
    /// What the preamble states about each table.
    pub stated: Vec<Stated>,
    /// The total number of duties the preamble states (`共有履职事项 172 项`).
    pub stated_total: Option<u32>,
    /// Every row of every table, in document order.
    pub duties: Vec<RawDuty>,
}

/// The counts the preamble states about one table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stated {
    /// The table.
    pub kind: Option<DutyKind>,
    /// Number of duties.
    pub duties: Option<u32>,
    /// Number of categories.
    pub categories: Option<u32>,
    /// Number of departments involved.
    pub departments: Option<u32>,
    /// The category names listed, if any.
    pub category_names: Vec<String>,
}

/// One table row.
#[derive(Clone, Debug)]
pub struct RawDuty {
    /// The table.
    pub kind: DutyKind,
    /// 序号.
    pub seq: u32,
    /// 1-based line of the row in the document.
    pub line: usize,
    /// 事项类别, clean.
    pub category: String,
    /// 事项名称, clean.
    pub name: String,
    /// Counterpart (对应上级部门) or receiving (承接部门) department names, as written.
    pub departments: Vec<String>,
    /// Pieces of the department column (上级部门职责).
    pub department_cell: Vec<Piece>,
    /// Pieces of the town column (乡镇（街道）配合职责).
    pub town_cell: Vec<Piece>,
    /// 工作方式 of a reclaimed duty.
    pub working_method: Option<String>,
}

static MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$").expect("valid regex"));
static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(.+?(?:自治区|省|市))?(.+?(?:自治州|地区|盟|市))?(.+?(?:自治县|自治旗|县|旗|区|市))(.+?(?:街道办事处|街道|民族乡|镇|乡|苏木))$",
    )
    .expect("valid regex")
});
static RECLAIMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^承接部门\s*[:：]\s*(.*?)\s*工作方式\s*[:：]\s*(.*)$").expect("valid regex")
});
static TOTAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"共有履职事项\s*(\d+)\s*项").expect("valid regex"));
static CATEGORIES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"包括\s*(.*?)\s*(\d+)\s*个类别").expect("valid regex"));
static DEPARTMENTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"涉及\s*(\d+)\s*个部门").expect("valid regex"));

/// The largest 序号 accepted: lists hold hundreds of duties, not millions.
pub const MAX_SEQ: u32 = 99_999;

/// The suffix every list title ends with.
pub const TITLE_SUFFIX: &str = "履职事项清单";

/// The table a line is the title of, if it is one.
fn table_kind(line: &str) -> Option<DutyKind> {
    let folded = fold(line);
    DutyKind::ALL
        .into_iter()
        .find(|k| folded == k.table_title())
}

/// Split a department list (`乌恰县水利局、 乌恰县应急管理局`) into names.
pub fn split_names(s: &str) -> Vec<String> {
    s.split(['、', '，', ',', '；', ';'])
        .map(clean)
        .filter(|n| !n.is_empty())
        .collect()
}

/// A title line → (region, prefecture, county, town, title). Region and
/// prefecture may be missing (`乌恰县乌恰镇履职事项清单`): the department registry
/// knows them. An edition note after the title (`（2025年版）`) is ignored.
pub fn parse_title(line: &str) -> Option<(String, String, String, String, String)> {
    static EDITION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[（(][^（）()]*[)）]$").expect("valid regex"));
    let compact = fold(line);
    let compact = EDITION.replace(&compact, "");
    let place = compact.strip_suffix(TITLE_SUFFIX)?;
    let caps = PLACE.captures(place)?;
    let county = caps[3].to_owned();
    let town = caps[4].to_owned();
    let title = format!("{county}{town}{TITLE_SUFFIX}");
    Some((
        caps.get(1).map_or("", |m| m.as_str()).to_owned(),
        caps.get(2).map_or("", |m| m.as_str()).to_owned(),
        county,
        town,
        title,
    ))
}

/// The counts the preamble states per table, and its total of duties.
fn parse_stated(preamble: &[String]) -> (Vec<Stated>, Option<u32>) {
    let number =
        |re: &Regex, text: &str| re.captures(text).and_then(|c| c[c.len() - 1].parse().ok());
    let whole = preamble.join("\n");
    let stated = DutyKind::ALL
        .into_iter()
        .map(|kind| {
            let paragraph = preamble
                .iter()
                .find(|p| fold(p).starts_with(&format!("{}是", kind.table_title())));
            let count =
                Regex::new(&format!(r"共有{}\s*(\d+)\s*项", kind.label())).expect("valid regex");
            let anywhere =
                Regex::new(&format!(r"{}\s*(\d+)\s*项", kind.label())).expect("valid regex");
            let mut stated = Stated {
                kind: Some(kind),
                ..Stated::default()
            };
            if let Some(p) = paragraph {
                stated.duties = number(&count, p);
                stated.departments = number(&DEPARTMENTS, p);
                if let Some(c) = CATEGORIES.captures(p) {
                    stated.categories = c[2].parse().ok();
                    let list = c[1].strip_prefix("主要").unwrap_or(&c[1]);
                    stated.category_names = split_names(list);
                }
            }
            stated.duties = stated.duties.or_else(|| number(&anywhere, &whole));
            stated
        })
        .collect();
    (stated, number(&TOTAL, &whole))
}

/// Where the parser is in the document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Title,
    Front,
    Preamble,
    Contents,
    Header(DutyKind),
    Rows(DutyKind),
}

/// The parser: where it is, what it has read so far and every problem found.
struct Parser {
    state: State,
    errors: Vec<LineError>,
    /// (region, prefecture, county, town, title) from the title line.
    title: Option<(String, String, String, String, String)>,
    /// `YYYY-MM`.
    month: Option<String>,
    preamble: Vec<String>,
    duties: Vec<RawDuty>,
    /// The line each table's title is on.
    tables: HashMap<DutyKind, usize>,
    /// Per table: the highest 序号 so far.
    last_seq: HashMap<DutyKind, u32>,
    /// The line of each 序号 of each table.
    seq_lines: HashMap<(DutyKind, u32), usize>,
    /// Whether the current table's missing header has been reported.
    header_reported: bool,
}

/// Parse a document. Every problem found is reported with its line; a document with
/// any problem yields no [`Document`].
pub fn parse_document(text: &str) -> Result<Document, Vec<LineError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut parser = Parser::new();
    for (index, line) in lines.iter().enumerate() {
        parser.line(index + 1, line.trim_end_matches('\r'), &lines[index + 1..]);
    }
    parser.check_numbering();
    parser.check_end(lines.len());
    parser.finish()
}

impl Parser {
    fn new() -> Self {
        Parser {
            state: State::Title,
            errors: Vec::new(),
            title: None,
            month: None,
            preamble: Vec::new(),
            duties: Vec::new(),
            tables: HashMap::new(),
            last_seq: HashMap::new(),
            seq_lines: HashMap::new(),
            header_reported: false,
        }
    }

    fn error(&mut self, line: usize, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(LineError::line(line, message));
        }
    }

    /// Read one line; `rest` is every line after it.
    fn line(&mut self, line_no: usize, line: &str, rest: &[&str]) {
        if line.trim().is_empty() {
            return;
        }
        if let Some(kind) = self.table_start(line, rest) {
            self.start_table(kind, line_no);
            return;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        match self.state {
            State::Title => self.title_line(line, line_no),
            State::Front => self.front_line(line, line_no),
            State::Preamble | State::Contents => self.preamble_line(line, &cells, line_no),
            State::Header(kind) => self.header_line(kind, &cells, line_no),
            State::Rows(kind) => self.table_line(kind, line, &cells, line_no),
        }
    }

    /// The table a line is the title of. Before the first table, a bare table
    /// title followed by another title is the table of contents, not a table.
    fn table_start(&self, line: &str, rest: &[&str]) -> Option<DutyKind> {
        let kind = table_kind(line)?;
        let in_tables = matches!(self.state, State::Header(_) | State::Rows(_));
        (in_tables || !next_is_title(rest)).then_some(kind)
    }

    fn start_table(&mut self, kind: DutyKind, line_no: usize) {
        if matches!(self.state, State::Title | State::Front) {
            self.error(
                line_no,
                format!(
                    "the table {} starts before the preamble (说明)",
                    kind.table_title()
                ),
            );
        }
        if let Some(first) = self.tables.insert(kind, line_no) {
            self.error(
                line_no,
                format!(
                    "a second {} table (the first starts on line {first})",
                    kind.table_title()
                ),
            );
        }
        if let State::Header(previous) = self.state
            && !self.header_reported
        {
            self.error(
                self.tables.get(&previous).copied().unwrap_or(line_no),
                format!("the {} table has no header row", previous.table_title()),
            );
        }
        self.state = State::Header(kind);
        self.header_reported = false;
    }

    fn title_line(&mut self, line: &str, line_no: usize) {
        self.title = parse_title(line);
        if self.title.is_none() {
            self.error(
                line_no,
                format!(
                    "expected the list's title naming county and town (e.g. `新疆维吾尔自治区克孜勒苏柯尔克孜自治州 乌恰县乌恰镇履职事项清单`), found `{}`",
                    excerpt(line)
                ),
            );
        }
        self.state = State::Front;
    }

    /// Between the title and the preamble: the month, then `说 明`.
    fn front_line(&mut self, line: &str, line_no: usize) {
        if let Some(caps) = MONTH.captures(line.trim()) {
            let m: u32 = caps[2].parse().unwrap_or(0);
            if (1..=12).contains(&m) {
                self.month = Some(format!("{}-{m:02}", &caps[1]));
            } else {
                self.error(line_no, format!("`{}` is not a month", line.trim()));
            }
        } else if fold(line) == "说明" {
            self.state = State::Preamble;
        } else {
            self.error(
                line_no,
                format!(
                    "unexpected text before the preamble (说明): `{}`",
                    excerpt(line)
                ),
            );
        }
    }

    /// The preamble's paragraphs, then (after `目 录`) the table of contents.
    fn preamble_line(&mut self, line: &str, cells: &[&str], line_no: usize) {
        if cells.len() >= 3 {
            self.error(
                line_no,
                "a table row before the first table's title and header",
            );
        } else if fold(line) == "目录" {
            self.state = State::Contents;
        } else if self.state == State::Preamble {
            self.preamble.push(clean(line));
        }
    }

    /// After a table's title: its header row, and anything before it reported once.
    fn header_line(&mut self, kind: DutyKind, cells: &[&str], line_no: usize) {
        if is_header(cells) {
            self.check_header(kind, cells, line_no);
            self.state = State::Rows(kind);
        } else if !self.header_reported {
            self.error(
                line_no,
                format!(
                    "text before the header row of the {} table (expected `{}`)",
                    kind.table_title(),
                    kind.header().join(" | ")
                ),
            );
            self.header_reported = true;
        }
    }

    /// Inside a table: a repeated header, or a row.
    fn table_line(&mut self, kind: DutyKind, line: &str, cells: &[&str], line_no: usize) {
        if is_header(cells) {
            self.check_header(kind, cells, line_no);
        } else if cells.len() == 1 {
            self.error(
                line_no,
                format!(
                    "unexpected text inside the {} table, not a tab-separated row: `{}`",
                    kind.table_title(),
                    excerpt(line)
                ),
            );
        } else {
            // The 序号 is checked even on a row that is otherwise malformed, so one
            // bad row is not also reported as a missing number.
            let fresh = self.number_row(kind, cells[0], line_no);
            if let Some(duty) = self.parse_row(kind, cells, line_no).filter(|_| fresh) {
                self.duties.push(duty);
            }
        }
    }

    /// Record a row's 序号: false when the table already has it.
    fn number_row(&mut self, kind: DutyKind, cell: &str, line_no: usize) -> bool {
        let Some(seq) = fold(cell)
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_SEQ).contains(n))
        else {
            return true;
        };
        if let Some(first) = self.seq_lines.get(&(kind, seq)).copied() {
            self.error(
                line_no,
                format!(
                    "duplicate 序号 {seq} in the {} table (also on line {first})",
                    kind.table_title()
                ),
            );
            return false;
        }
        let last = self.last_seq.get(&kind).copied().unwrap_or(0);
        if seq < last {
            self.error(
                line_no,
                format!("序号 {seq} is out of order: it follows 序号 {last}"),
            );
        }
        self.last_seq.insert(kind, last.max(seq));
        self.seq_lines.insert((kind, seq), line_no);
        true
    }

    /// Gaps in each table's numbering, reported where the numbering skips.
    fn check_numbering(&mut self) {
        let mut numbered: Vec<((DutyKind, u32), usize)> =
            self.seq_lines.iter().map(|(k, l)| (*k, *l)).collect();
        numbered.sort();
        let mut expected: HashMap<DutyKind, u32> = HashMap::new();
        for ((kind, seq), line) in numbered {
            let next = expected.entry(kind).or_insert(1);
            if seq > *next {
                let missing = if seq - *next == 1 {
                    next.to_string()
                } else {
                    format!("{}–{}", next, seq - 1)
                };
                self.error(
                    line,
                    format!(
                        "missing 序号 {missing} in the {} table before 序号 {seq}",
                        kind.table_title()
                    ),
                );
            }
            *next = seq.saturating_add(1);
        }
    }

    /// What the end of a document of `lines` lines leaves missing.
    fn check_end(&mut self, lines: usize) {
        match self.state {
            State::Title => self.error(1, "the document is empty"),
            State::Front | State::Preamble | State::Contents => self.error(
                lines.max(1),
                "the document has no table (基本履职事项清单, 配合履职事项清单 or 上级部门收回事项清单)",
            ),
            State::Header(_) if self.header_reported => {}
            State::Header(kind) => self.error(
                self.tables.get(&kind).copied().unwrap_or(lines),
                format!("the {} table has no header row", kind.table_title()),
            ),
            State::Rows(_) => {}
        }
        // A missing month matters only in a document that is otherwise sound.
        if self.month.is_none() && self.errors.is_empty() {
            self.error(
                1,
                "no publication month (e.g. `2025 年 7 月`) before the preamble",
            );
        }
    }

    /// The document, or every problem in the order of the lines.
    fn finish(mut self) -> Result<Document, Vec<LineError>> {
        if !self.errors.is_empty() {
            self.errors.sort_by(|a, b| a.at.cmp(&b.at));
            return Err(self.errors);
        }
        let (region, prefecture, county, town, title) = self.title.unwrap_or_default();
        let (stated, stated_total) = parse_stated(&self.preamble);
        Ok(Document {
            region,
            prefecture,
            county,
            town,
            title,
            published_on: self.month.unwrap_or_default(),
            preamble: self.preamble.join("\n"),
            stated,
            stated_total,
            duties: self.duties,
        })
    }

    fn check_header(&mut self, kind: DutyKind, cells: &[&str], line: usize) {
        let found: Vec<String> = trim_trailing_empty(cells).iter().map(|c| fold(c)).collect();
        let expected: Vec<String> = kind.header().iter().map(|c| fold(c)).collect();
        if found != expected {
            self.error(
                line,
                format!(
                    "the header row of the {} table should be `{}`, found `{}`",
                    kind.table_title(),
                    kind.header().join(" | "),
                    cells
                        .iter()
                        .map(|c| c.trim())
                        .collect::<Vec<_>>()
                        .join(" | ")
                ),
            );
        }
    }

    /// A row → its duty, or `None` with the problems reported.
    fn parse_row(&mut self, kind: DutyKind, cells: &[&str], line: usize) -> Option<RawDuty> {
        let cells = self.row_cells(kind, cells, line)?;
        let before = self.errors.len();
        let seq = self.seq(cells[0], line);
        let category = plain_text(cells[1]);
        if category.is_empty() {
            self.error(line, format!("序号 {seq} has an empty 事项类别"));
        }
        let name = plain_text(cells[2]);
        if name.is_empty() {
            self.error(line, format!("序号 {seq} has an empty 事项名称"));
        }
        let mut duty = RawDuty {
            kind,
            seq,
            line,
            category,
            name,
            departments: Vec::new(),
            department_cell: Vec::new(),
            town_cell: Vec::new(),
            working_method: None,
        };
        match kind {
            DutyKind::Basic => {}
            DutyKind::Cooperative => self.cooperative_cells(&mut duty, cells),
            DutyKind::Reclaimed => self.reclaimed_cell(&mut duty, cells[3]),
        }
        (self.errors.len() == before).then_some(duty)
    }

    /// A row's cells, trailing empty ones dropped, if it has the table's columns.
    fn row_cells<'c>(
        &mut self,
        kind: DutyKind,
        cells: &'c [&'c str],
        line: usize,
    ) -> Option<&'c [&'c str]> {
        let columns = kind.header().len();
        let cells = if cells.len() > columns {
            trim_trailing_empty(cells)
        } else {
            cells
        };
        if cells.len() != columns {
            self.error(
                line,
                format!(
                    "a row of the {} table needs {columns} tab-separated columns ({}), this one has {}",
                    kind.table_title(),
                    kind.header().join(", "),
                    cells.len()
                ),
            );
            return None;
        }
        Some(cells)
    }

    /// The 序号 cell's number; 0 (reported) when it is not one.
    fn seq(&mut self, cell: &str, line: usize) -> u32 {
        match fold(cell).parse::<u32>() {
            Ok(n) if (1..=MAX_SEQ).contains(&n) => n,
            _ => {
                self.error(
                    line,
                    format!(
                        "序号 `{}` is not a whole number from 1 to {MAX_SEQ}",
                        excerpt(cell)
                    ),
                );
                0
            }
        }
    }

    /// A cooperative row's departments, department side and town side.
    fn cooperative_cells(&mut self, duty: &mut RawDuty, cells: &[&str]) {
        let (seq, line) = (duty.seq, duty.line);
        duty.departments = split_names(&plain_text(cells[3]));
        if duty.departments.is_empty() {
            self.error(line, format!("序号 {seq} has an empty 对应上级部门"));
        }
        duty.department_cell = parse_cell(cells[4], true);
        if !has_item(&duty.department_cell) {
            self.error(line, format!("序号 {seq} has no item in 上级部门职责"));
        }
        duty.town_cell = parse_cell(cells[5], false);
        if !has_item(&duty.town_cell) {
            self.error(
                line,
                format!("序号 {seq} has no item in 乡镇（街道）配合职责"),
            );
        }
    }

    /// A reclaimed row's `承接部门：… 工作方式：…` cell.
    fn reclaimed_cell(&mut self, duty: &mut RawDuty, cell: &str) {
        let (seq, line) = (duty.seq, duty.line);
        let cell = plain_text(cell);
        let Some(caps) = RECLAIMED.captures(&cell) else {
            self.error(
                line,
                format!("序号 {seq}: 承接部门及工作方式 should read `承接部门：… 工作方式：…`, found `{}`", excerpt(&cell)),
            );
            return;
        };
        duty.departments = split_names(&caps[1]);
        let method = clean(&caps[2]);
        if duty.departments.is_empty() {
            self.error(line, format!("序号 {seq} names no 承接部门"));
        }
        if method.is_empty() {
            self.error(line, format!("序号 {seq} has an empty 工作方式"));
        }
        duty.working_method = Some(method);
    }
}

/// Whether a cell has at least one item.
fn has_item(cell: &[Piece]) -> bool {
    cell.iter().any(|piece| matches!(piece, Piece::Item(_)))
}

/// Whether the next non-empty line is another table title (as in a table of contents).
fn next_is_title(lines: &[&str]) -> bool {
    lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| table_kind(l).is_some())
}

/// Whether a row is a table's header row (it starts with `序号`).
fn is_header(cells: &[&str]) -> bool {
    cells.len() > 1 && fold(cells[0]) == "序号"
}

/// The cells without the empty ones at the end.
fn trim_trailing_empty<'a>(cells: &'a [&'a str]) -> &'a [&'a str] {
    let keep = cells
        .iter()
        .rposition(|c| !c.trim().is_empty())
        .map_or(0, |i| i + 1);
    &cells[..keep]
}

/// The start of a long line, for error messages.
pub fn excerpt(s: &str) -> String {
    let s = s.trim();
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_region_prefecture_county_and_town() {
        let (region, prefecture, county, town, title) =
            parse_title("新疆维吾尔自治区克孜勒苏柯尔克孜自治州 乌恰县乌恰镇履职事项清单").unwrap();
        assert_eq!(
            [region.as_str(), &prefecture, &county, &town, &title],
            [
                "新疆维吾尔自治区",
                "克孜勒苏柯尔克孜自治州",
                "乌恰县",
                "乌恰镇",
                "乌恰县乌恰镇履职事项清单"
            ]
        );
        let (region, prefecture, county, town, _) =
            parse_title("北京市东城区东华门街道履职事项清单").unwrap();
        assert_eq!(
            [region.as_str(), &prefecture, &county, &town],
            ["北京市", "", "东城区", "东华门街道"]
        );
        assert!(parse_title("履职事项清单").is_none());
        // Without region and prefecture (the registry knows them), with an edition note.
        let (region, prefecture, county, town, title) =
            parse_title("乌恰县乌恰镇履职事项清单（2025年版）").unwrap();
        assert_eq!(
            [region.as_str(), &prefecture, &county, &town, &title],
            ["", "", "乌恰县", "乌恰镇", "乌恰县乌恰镇履职事项清单"]
        );
    }

    #[test]
    fn department_lists_split_on_any_separator_and_lose_stray_spaces() {
        assert_eq!(
            split_names("乌恰县水利局、 乌恰县应急管理局,县公安局"),
            ["乌恰县水利局", "乌恰县应急管理局", "县公安局"]
        );
    }

    const HEAD: &str = "新疆维吾尔自治区克孜勒苏柯尔克孜自治州 乌恰县乌恰镇履职事项清单\n2025 年 7 月\n说 明\n一、基本情况\n";
    const BASIC_HEADER: &str = "基本履职事项清单\n序号\t事项类别\t事项名称\n";

    fn errors(body: &str) -> Vec<String> {
        parse_document(&format!("{HEAD}{body}"))
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn rows_out_of_order_are_reported_as_such() {
        let errs = errors(&format!(
            "{BASIC_HEADER}1\t甲\t一\n2\t甲\t二\n4\t甲\t四\n3\t甲\t三\n"
        ));
        assert_eq!(errs, ["line 10: 序号 3 is out of order: it follows 序号 4"]);
    }

    #[test]
    fn a_gap_is_reported_where_the_numbering_skips() {
        let errs = errors(&format!("{BASIC_HEADER}1\t甲\t一\n4\t甲\t四\n"));
        assert_eq!(
            errs,
            ["line 8: missing 序号 2–3 in the 基本履职事项清单 table before 序号 4"]
        );
    }

    #[test]
    fn a_huge_sequence_number_is_refused() {
        let errs = errors(&format!("{BASIC_HEADER}4294967295\t甲\t一\n"));
        assert_eq!(
            errs,
            ["line 7: 序号 `4294967295` is not a whole number from 1 to 99999"]
        );
    }

    #[test]
    fn a_table_without_its_header_is_reported_once_at_its_title() {
        let errs = errors("基本履职事项清单\n1\t甲\t一\n2\t甲\t二\n");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with("line 6: text before the header row"),
            "{errs:?}"
        );
    }

    #[test]
    fn bare_table_titles_in_the_contents_are_not_tables() {
        let doc =
            format!("{HEAD}目 录\n基本履职事项清单\n配合履职事项清单\n{BASIC_HEADER}1\t甲\t一\n");
        let parsed = parse_document(&doc).expect("valid");
        assert_eq!(parsed.duties.len(), 1);
    }
}
