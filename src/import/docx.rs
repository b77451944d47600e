//! A list published as a Word document (.docx) → [`Block`]s: the body's paragraphs
//! and the rows of its tables, cell by cell.
//!
//! What offices' documents hold and how it is read:
//! - text in runs split anywhere (`<w:r><w:t>做好</w:t></w:r><w:r><w:t>房屋</w:t></w:r>`);
//!   tabs become spaces, line breaks (`<w:br/>`) split a cell's lines; deleted text
//!   of tracked changes, field codes, drawings and text boxes are skipped;
//! - Word's automatic numbering (`<w:numPr>`, directly or through the paragraph's
//!   style) is written out as the number Word shows (`1.`, `（一）`, `①`), counted
//!   through the document as Word counts (a restarted list on its own, the others
//!   continuing their abstract list), so items and 序号 read as if numbered by hand;
//! - merged cells: `<w:gridSpan>` spans columns, `<w:vMerge>` continues the cell
//!   above; `<w:gridBefore>` leaves the first grid columns empty;
//! - a table inside a cell is read as more lines of that cell.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::ImportError;
use super::archive::{self, Archive};
use super::layout::{Block, Cell, ColumnNames, MAX_ROWS, Merge, Row};

const WHAT: &str = "a Word document (.docx)";

/// Read a Word document's body.
pub fn blocks(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    let mut archive = archive::open(bytes, WHAT)?;
    archive::require(&archive, "word/document.xml", WHAT)?;
    archive::check_unpacked(&mut archive, WHAT)?;
    let document = part(&mut archive, "word/document.xml")?.unwrap_or_default();
    let numbering = match part(&mut archive, "word/numbering.xml")? {
        Some(xml) => Numbering::parse(&xml)?,
        None => Numbering::default(),
    };
    let styles = match part(&mut archive, "word/styles.xml")? {
        Some(xml) => style_numbering(&xml)?,
        None => HashMap::new(),
    };
    Body::read(&document, &numbering, &styles)
}

fn part(archive: &mut Archive<'_>, name: &str) -> Result<Option<String>, ImportError> {
    let Some(bytes) = archive::read_part(archive, name, WHAT)? else {
        return Ok(None);
    };
    String::from_utf8(bytes).map(Some).map_err(|_| {
        ImportError::Unreadable(format!("the file is {WHAT}, but {name} is not UTF-8 XML"))
    })
}

fn xml_error(name: &str, e: impl std::fmt::Display) -> ImportError {
    ImportError::Unreadable(format!(
        "the file is {WHAT}, but {name} is not well-formed XML ({e})"
    ))
}

/// The local name of an element (`w:p` → `p`).
fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_owned()
}

/// The value of the attribute with local name `name` (`w:val` → `val`).
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name)
            .then(|| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
            .flatten()
            .map(|v| v.into_owned())
    })
}

fn number(e: &BytesStart<'_>) -> Option<u32> {
    attr(e, "val")?.trim().parse().ok()
}

/// One level of a numbering definition.
#[derive(Clone, Debug)]
struct Level {
    start: u32,
    format: String,
    text: String,
}

/// `word/numbering.xml`: abstract definitions and the numbering instances using them.
#[derive(Clone, Debug, Default)]
struct Numbering {
    /// abstractNumId → levels by ilvl.
    abstract_levels: HashMap<u32, HashMap<u32, Level>>,
    /// numId → (abstractNumId, start overrides by ilvl).
    instances: HashMap<u32, (u32, HashMap<u32, u32>)>,
}

impl Numbering {
    fn parse(xml: &str) -> Result<Self, ImportError> {
        let mut numbering = Numbering::default();
        let mut reader = Reader::from_str(xml);
        let mut abstract_id: Option<u32> = None;
        let mut num_id: Option<u32> = None;
        let mut level: Option<(u32, Level)> = None;
        let mut override_level: Option<u32> = None;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| xml_error("word/numbering.xml", e))?;
            match event {
                Event::Start(e) | Event::Empty(e) => match local(&e).as_str() {
                    "abstractNum" => {
                        abstract_id = attr(&e, "abstractNumId").and_then(|v| v.parse().ok())
                    }
                    "num" => {
                        num_id = attr(&e, "numId").and_then(|v| v.parse().ok());
                    }
                    "abstractNumId" => {
                        if let (Some(id), Some(target)) = (num_id, number(&e)) {
                            numbering.instances.entry(id).or_default().0 = target;
                        }
                    }
                    "lvlOverride" => override_level = attr(&e, "ilvl").and_then(|v| v.parse().ok()),
                    "startOverride" => {
                        if let (Some(id), Some(ilvl), Some(start)) =
                            (num_id, override_level, number(&e))
                        {
                            numbering
                                .instances
                                .entry(id)
                                .or_default()
                                .1
                                .insert(ilvl, start);
                        }
                    }
                    "lvl" if num_id.is_none() => {
                        let ilvl = attr(&e, "ilvl").and_then(|v| v.parse().ok()).unwrap_or(0);
                        level = Some((
                            ilvl,
                            Level {
                                start: 1,
                                format: "decimal".to_owned(),
                                text: format!("%{}.", ilvl + 1),
                            },
                        ));
                    }
                    "start" => {
                        if let (Some((_, l)), Some(n)) = (level.as_mut(), number(&e)) {
                            l.start = n;
                        }
                    }
                    "numFmt" => {
                        if let (Some((_, l)), Some(v)) = (level.as_mut(), attr(&e, "val")) {
                            l.format = v;
                        }
                    }
                    "lvlText" => {
                        if let Some((_, l)) = level.as_mut() {
                            l.text = attr(&e, "val").unwrap_or_default();
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    "lvl" => {
                        if let (Some(id), Some((ilvl, l))) = (abstract_id, level.take()) {
                            numbering
                                .abstract_levels
                                .entry(id)
                                .or_default()
                                .insert(ilvl, l);
                        }
                    }
                    "abstractNum" => abstract_id = None,
                    "num" => num_id = None,
                    "lvlOverride" => override_level = None,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(numbering)
    }

    /// Whose counter a numbering instance advances: its own when it restarts
    /// (`startOverride`), else its abstract list's, which Word continues across
    /// every instance of it.
    fn counter(&self, num_id: u32) -> Option<Counter> {
        let (abstract_id, overrides) = self.instances.get(&num_id)?;
        Some(if overrides.is_empty() {
            Counter::Abstract(*abstract_id)
        } else {
            Counter::Instance(num_id)
        })
    }

    /// The level `ilvl` of numbering instance `num_id`, with its start override.
    fn level(&self, num_id: u32, ilvl: u32) -> Option<Level> {
        let (abstract_id, overrides) = self.instances.get(&num_id)?;
        let mut level = self.abstract_levels.get(abstract_id)?.get(&ilvl)?.clone();
        if let Some(start) = overrides.get(&ilvl) {
            level.start = *start;
        }
        Some(level)
    }
}

/// The counter a numbered paragraph advances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Counter {
    /// A numbering instance that restarts its list.
    Instance(u32),
    /// An abstract list, continued by every instance without a restart.
    Abstract(u32),
}

/// `word/styles.xml`: the numbering a paragraph style carries (styleId → (numId, ilvl)).
fn style_numbering(xml: &str) -> Result<HashMap<String, (u32, u32)>, ImportError> {
    let mut styles = HashMap::new();
    let mut reader = Reader::from_str(xml);
    let mut style: Option<String> = None;
    let mut num: (Option<u32>, u32) = (None, 0);
    loop {
        match reader
            .read_event()
            .map_err(|e| xml_error("word/styles.xml", e))?
        {
            Event::Start(e) | Event::Empty(e) => match local(&e).as_str() {
                "style" => {
                    style = attr(&e, "styleId");
                    num = (None, 0);
                }
                "numId" => num.0 = number(&e),
                "ilvl" => num.1 = number(&e).unwrap_or(0),
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "style" => {
                if let (Some(id), (Some(num_id), ilvl)) = (style.take(), num) {
                    styles.insert(id, (num_id, ilvl));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(styles)
}

/// A number in a numbering format (`decimal`, `chineseCounting`, …); bullets and
/// `none` have none.
fn format_number(n: u32, format: &str) -> Option<String> {
    Some(match format {
        "bullet" | "none" => return None,
        "decimalZero" => format!("{n:02}"),
        "chineseCounting"
        | "chineseCountingThousand"
        | "chineseLegalSimplified"
        | "ideographTraditional"
        | "japaneseCounting"
        | "taiwaneseCounting" => chinese(n),
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" if (1..=20).contains(&n) => {
            char::from_u32('①' as u32 + n - 1)?.to_string()
        }
        "decimalEnclosedParen" if (1..=20).contains(&n) => format!("({n})"),
        "decimalFullWidth" | "decimalFullWidth2" => n
            .to_string()
            .chars()
            .filter_map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32))
            .collect(),
        // Past a few hundred, a list's number is written in digits (and a hostile
        // start value cannot make a letter or a numeral millions of characters long).
        "lowerLetter" if n <= 260 => letter(n, b'a'),
        "upperLetter" if n <= 260 => letter(n, b'A'),
        "lowerRoman" if n < 4000 => roman(n).to_lowercase(),
        "upperRoman" if n < 4000 => roman(n),
        _ => n.to_string(),
    })
}

/// 1 → 一, 10 → 十, 21 → 二十一 (up to 99).
fn chinese(n: u32) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n as usize].to_owned(),
        10..=19 => format!(
            "十{}",
            if n == 10 {
                ""
            } else {
                DIGITS[(n - 10) as usize]
            }
        ),
        20..=99 => format!(
            "{}十{}",
            DIGITS[(n / 10) as usize],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        _ => n.to_string(),
    }
}

fn letter(n: u32, base: u8) -> String {
    let n = n.max(1) - 1;
    let c = char::from(base + (n % 26) as u8);
    std::iter::repeat_n(c, (n / 26 + 1) as usize).collect()
}

fn roman(mut n: u32) -> String {
    const NUMERALS: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, numeral) in NUMERALS {
        while n >= value {
            out.push_str(numeral);
            n -= value;
        }
    }
    out
}

/// A paragraph being read.
#[derive(Default)]
struct Paragraph {
    text: String,
    num_id: Option<u32>,
    ilvl: u32,
    style: Option<String>,
}

/// Reads `word/document.xml` into blocks.
struct Body<'a> {
    numbering: &'a Numbering,
    styles: &'a HashMap<String, (u32, u32)>,
    /// Counters of automatic numbering, as Word keeps them through the document.
    counters: HashMap<Counter, [Option<u32>; 9]>,
    blocks: Vec<Block>,
    paragraphs: usize,
    tables: usize,
    depth: usize,
    row: Option<Vec<Cell>>,
    rows: usize,
    cell: Option<Cell>,
    /// How many grid columns the cell being read spans.
    span: usize,
    /// Rows read in all tables.
    all_rows: usize,
}

impl<'a> Body<'a> {
    fn read(
        xml: &str,
        numbering: &'a Numbering,
        styles: &'a HashMap<String, (u32, u32)>,
    ) -> Result<Vec<Block>, ImportError> {
        let mut body = Body {
            numbering,
            styles,
            counters: HashMap::new(),
            blocks: Vec::new(),
            paragraphs: 0,
            tables: 0,
            depth: 0,
            row: None,
            rows: 0,
            cell: None,
            span: 1,
            all_rows: 0,
        };
        let mut reader = Reader::from_str(xml);
        let mut paragraph: Option<Paragraph> = None;
        let mut in_text = false;
        // Inside a subtree whose text is not the body's (drawings, deleted text…).
        let mut skip = 0usize;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| xml_error("word/document.xml", e))?;
            match event {
                Event::Start(e) => {
                    let name = local(&e);
                    if skip > 0 || is_skipped(&name) {
                        skip += 1;
                        continue;
                    }
                    match name.as_str() {
                        "p" => paragraph = Some(Paragraph::default()),
                        "t" => in_text = true,
                        "tbl" => body.start_table(),
                        "tr" if body.depth == 1 => body.row = Some(Vec::new()),
                        "tc" if body.depth == 1 => {
                            body.cell = Some(Cell::default());
                            body.span = 1;
                        }
                        _ => body.element(&name, &e, paragraph.as_mut()),
                    }
                }
                Event::Empty(e) => {
                    let name = local(&e);
                    if skip == 0 {
                        body.element(&name, &e, paragraph.as_mut());
                    }
                }
                Event::Text(t) if in_text && skip == 0 => {
                    if let Some(p) = paragraph.as_mut() {
                        p.text.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) if in_text && skip == 0 => {
                    if let Some(p) = paragraph.as_mut() {
                        let name = r.xml10_content();
                        if let Ok(Some(c)) = r.resolve_char_ref() {
                            p.text.push(c);
                        } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name)
                        {
                            p.text.push_str(s);
                        }
                    }
                }
                Event::End(e) => {
                    let name = e.local_name().as_ref().to_owned();
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    match name.as_str() {
                        "t" => in_text = false,
                        "p" => {
                            if let Some(p) = paragraph.take() {
                                body.end_paragraph(p);
                            }
                        }
                        "tc" if body.depth == 1 => body.end_cell(),
                        "tr" if body.depth == 1 => {
                            body.end_row();
                            if body.all_rows > MAX_ROWS {
                                // Refused as soon as seen, without reading the rest.
                                return Err(ImportError::Unreadable(format!(
                                    "table {}, row {}: the document's tables have more than {MAX_ROWS} rows; a duty list has hundreds",
                                    body.tables, body.rows
                                )));
                            }
                        }
                        "tbl" => body.end_table(),
                        _ => {}
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(body.blocks)
    }

    /// An element inside a paragraph or table that changes what is read.
    fn element(&mut self, name: &str, e: &BytesStart<'_>, paragraph: Option<&mut Paragraph>) {
        match (name, paragraph) {
            ("tab", Some(p)) => p.text.push(' '),
            ("br", Some(p)) => {
                let page = attr(e, "type").is_some_and(|t| t == "page" || t == "column");
                p.text.push(if page { ' ' } else { '\n' });
            }
            ("cr", Some(p)) => p.text.push('\n'),
            ("noBreakHyphen", Some(p)) => p.text.push('-'),
            ("numId", Some(p)) => p.num_id = number(e),
            ("ilvl", Some(p)) => p.ilvl = number(e).unwrap_or(0).min(8),
            ("pStyle", Some(p)) => p.style = attr(e, "val"),
            ("gridSpan", None) if self.depth == 1 => {
                self.span = number(e).unwrap_or(1).clamp(1, 64) as usize;
            }
            ("vMerge", None) if self.depth == 1 => {
                let restart = attr(e, "val").is_some_and(|v| v == "restart");
                if let Some(cell) = self.cell.as_mut()
                    && !restart
                {
                    cell.merge = Merge::Above;
                }
            }
            ("hMerge", None) if self.depth == 1 => {
                let restart = attr(e, "val").is_some_and(|v| v == "restart");
                if let Some(cell) = self.cell.as_mut()
                    && !restart
                {
                    cell.merge = Merge::Left;
                }
            }
            ("gridBefore", None) if self.depth == 1 => {
                if let (Some(row), Some(n)) = (self.row.as_mut(), number(e)) {
                    row.extend((0..n.min(64)).map(|_| Cell::default()));
                }
            }
            _ => {}
        }
    }
}

/// Subtrees whose text is not the body's: drawings and text boxes, embedded
/// objects, the old side of moved text, the fallback copy of alternate content.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "drawing" | "pict" | "object" | "AlternateContent" | "moveFrom" | "del"
    )
}

impl Body<'_> {
    fn start_table(&mut self) {
        self.depth += 1;
        if self.depth == 1 {
            self.tables += 1;
            self.rows = 0;
        }
    }

    fn end_table(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn end_cell(&mut self) {
        if let (Some(row), Some(cell)) = (self.row.as_mut(), self.cell.take()) {
            row.push(cell);
            row.extend((1..self.span).map(|_| Cell {
                lines: Vec::new(),
                merge: Merge::Left,
            }));
        }
        self.span = 1;
    }

    fn end_row(&mut self) {
        if let Some(cells) = self.row.take() {
            self.rows += 1;
            self.all_rows += 1;
            self.blocks.push(Block::Row(Row {
                place: format!("table {}, row {}", self.tables, self.rows),
                cells,
                columns: ColumnNames::Numbers,
            }));
        }
    }

    fn end_paragraph(&mut self, p: Paragraph) {
        // An empty numbered paragraph shows its number alone (a 序号 cell numbered by Word).
        let text = match self.marker(&p) {
            Some(marker) => format!("{marker}{}", p.text.trim_start()),
            None => p.text,
        };
        if self.depth > 0 {
            if let Some(cell) = self.cell.as_mut() {
                cell.lines.extend(
                    text.split('\n')
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_owned),
                );
            }
            return;
        }
        // A line break inside a paragraph (a title set on two lines) is a space.
        self.paragraphs += 1;
        if !text.trim().is_empty() {
            self.blocks.push(Block::Paragraph {
                text: text.replace('\n', " "),
                place: format!("paragraph {}", self.paragraphs),
            });
        }
    }

    /// The number Word shows before an automatically numbered paragraph.
    fn marker(&mut self, p: &Paragraph) -> Option<String> {
        let (num_id, ilvl) = match p.num_id {
            Some(id) => (id, p.ilvl),
            None => *p.style.as_ref().and_then(|s| self.styles.get(s))?,
        };
        if num_id == 0 {
            return None;
        }
        let ilvl = ilvl.min(8);
        let level = self.numbering.level(num_id, ilvl)?;
        if matches!(level.format.as_str(), "bullet" | "none") {
            // A bullet (often a Symbol-font character) is no number and no text.
            return None;
        }
        let numbering = self.numbering;
        let counters = self
            .counters
            .entry(numbering.counter(num_id)?)
            .or_insert([None; 9]);
        let at = (ilvl as usize).min(8);
        counters[at] = Some(counters[at].map_or(level.start, |n| n.saturating_add(1)));
        for deeper in counters.iter_mut().skip(at + 1) {
            *deeper = None;
        }
        let mut text = level.text.clone();
        for l in (0..=at).rev() {
            let placeholder = format!("%{}", l + 1);
            if !text.contains(&placeholder) {
                continue;
            }
            let this = numbering.level(num_id, l as u32)?;
            let n = counters[l].unwrap_or(this.start);
            text = text.replace(&placeholder, &format_number(n, &this.format)?);
        }
        // A number without its punctuation (`%1` and a tab) reads as one with it.
        if text.ends_with(|c: char| c.is_ascii_digit()) {
            text.push('.');
        } else if text.ends_with(|c: char| "一二三四五六七八九十".contains(c)) {
            text.push('、');
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_word_shows_them() {
        assert_eq!(format_number(3, "decimal").as_deref(), Some("3"));
        assert_eq!(
            format_number(12, "chineseCounting").as_deref(),
            Some("十二")
        );
        assert_eq!(
            format_number(20, "chineseCounting").as_deref(),
            Some("二十")
        );
        assert_eq!(
            format_number(3, "decimalEnclosedCircle").as_deref(),
            Some("③")
        );
        assert_eq!(format_number(4, "upperRoman").as_deref(), Some("IV"));
        assert_eq!(format_number(28, "lowerLetter").as_deref(), Some("bb"));
        assert_eq!(format_number(1, "bullet"), None);
    }
}
