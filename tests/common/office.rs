//! The bundled Wuqia list rendered as the Word and Excel files county offices make,
//! written here by hand from the parsed text document, independently of lvzhi's
//! readers: a `.docx` (zip + WordprocessingML strings) and hand-made `.xlsx`
//! workbooks (rust_xlsxwriter), each with knobs for the habits that differ between
//! offices. Also the raw material of hostile files: zips written byte by byte, a
//! zip bomb, a part replaced inside a package.
//!
//! Every rendering holds exactly the list of the text document: the same duties,
//! categories, department names as written, sections, department headings and
//! items in order. Only the presentation differs (numbering style, merged cells,
//! runs, column order, header wording…).

use std::fmt::Write as _;
use std::io::{Cursor, Read, Write};
use std::sync::{LazyLock, OnceLock};

use entity::DutyKind;
use lvzhi::import::cell::Piece;
use lvzhi::import::document::RawDuty;
use lvzhi::import::{Document, parse_document};
use regex::Regex;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::WUQIA;

/// The bundled Wuqia document, parsed once per test binary.
pub fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| parse_document(WUQIA).expect("the Wuqia document parses"))
}

/// The title a county office writes: county and town, without region and prefecture.
pub fn title(doc: &Document) -> String {
    format!("{}{}履职事项清单", doc.county, doc.town)
}

/// `2025年7月` from `2025-07`.
pub fn month(doc: &Document) -> String {
    let (year, month) = doc
        .published_on
        .split_once('-')
        .expect("published_on is YYYY-MM");
    format!("{year}年{}月", month.trim_start_matches('0'))
}

// ---------------------------------------------------------------------------
// Cells: pieces → numbered lines
// ---------------------------------------------------------------------------

/// How the items of one cell are numbered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// `1.`
    Dot,
    /// `1、`
    Comma,
    /// `（1）`
    FullParen,
    /// `(1)`
    HalfParen,
    /// Word's automatic numbering (`<w:numPr>`); the number is not in the text.
    Auto,
    /// No number (only where no item could read as a heading, section or number).
    Unnumbered,
}

impl Marker {
    fn label(self, n: u32) -> String {
        match self {
            Marker::Dot => format!("{n}."),
            Marker::Comma => format!("{n}、"),
            Marker::FullParen => format!("（{n}）"),
            Marker::HalfParen => format!("({n})"),
            Marker::Auto | Marker::Unnumbered => String::new(),
        }
    }
}

/// Every marker style, for cells that rotate through them.
pub const ALL_MARKERS: &[Marker] = &[
    Marker::Dot,
    Marker::Auto,
    Marker::Comma,
    Marker::FullParen,
    Marker::Unnumbered,
    Marker::HalfParen,
];

/// One line (paragraph) of an item cell.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    /// `一、扬尘综合治理`
    Section(String),
    /// `县文旅局、县商信局：`
    Heading(String),
    /// An item: its visible number (empty for automatic or no numbering), its text,
    /// and the Word list it belongs to when numbered automatically.
    Item {
        label: String,
        text: String,
        num_id: Option<u32>,
    },
}

/// Whether an item written without a number could read as something else: a
/// department heading (`县住建局：…`), a section (`一、`) or a numbered item.
fn needs_number(text: &str) -> bool {
    let head: String = text.chars().take(40).collect();
    let mut chars = text.chars();
    let first = chars.next().unwrap_or(' ');
    let second = chars.next().unwrap_or(' ');
    head.contains(['：', ':'])
        || first.is_ascii_digit()
        || "（(①②③④⑤⑥⑦⑧⑨⑩".contains(first)
        || ("一二三四五六七八九十".contains(first) && "、．.".contains(second))
}

/// Word lists (`<w:num>`) handed out while rendering a document.
#[derive(Default)]
struct Lists {
    /// (numId, abstractNumId) in order.
    nums: Vec<(u32, u32)>,
}

impl Lists {
    fn fresh(&mut self, abstract_id: u32) -> u32 {
        let id = self.nums.len() as u32 + 1;
        self.nums.push((id, abstract_id));
        id
    }
}

/// The lines of one item cell. Numbering restarts at 1 after each section (as the
/// source does) and, when `restart_after_heading`, after each department heading;
/// otherwise it runs on across headings.
fn lay_out(
    pieces: &[Piece],
    marker: Marker,
    restart_after_heading: bool,
    item_ends: bool,
    lists: &mut Lists,
    abstract_id: u32,
) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut n = 0;
    let mut list: Option<u32> = None;
    for piece in pieces {
        match piece {
            Piece::Section(s) => {
                lines.push(Line::Section(s.clone()));
                n = 0;
                list = None;
            }
            Piece::Heading(names) => {
                lines.push(Line::Heading(format!("{}：", names.join("、"))));
                if restart_after_heading {
                    n = 0;
                    list = None;
                }
            }
            Piece::Item(text) => {
                n += 1;
                let num_id = (marker == Marker::Auto)
                    .then(|| *list.get_or_insert_with(|| lists.fresh(abstract_id)));
                lines.push(Line::Item {
                    label: marker.label(n),
                    text: text.clone(),
                    num_id,
                });
            }
        }
    }
    if item_ends {
        let last = lines.iter().rposition(|l| matches!(l, Line::Item { .. }));
        for (i, line) in lines.iter_mut().enumerate() {
            if let Line::Item { text, .. } = line {
                text.push(if Some(i) == last { '。' } else { '；' });
            }
        }
    }
    lines
}

/// The marker of the `index`-th item cell: the rotation's, unless the cell cannot
/// go unnumbered (an item could read as a heading or number, or, when
/// `one_item_only`, the cell holds several items).
fn marker_for(markers: &[Marker], index: usize, pieces: &[Piece], one_item_only: bool) -> Marker {
    let marker = markers[index % markers.len()];
    if marker != Marker::Unnumbered {
        return marker;
    }
    let items: Vec<&String> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Item(t) => Some(t),
            _ => None,
        })
        .collect();
    if items.iter().any(|t| needs_number(t)) || one_item_only && items.len() > 1 {
        Marker::Dot
    } else {
        Marker::Unnumbered
    }
}

/// A deterministic pseudo-random sequence (the renderings must not change between runs).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % u64::from(below.max(1))) as u32
    }
}

// ---------------------------------------------------------------------------
// DOCX
// ---------------------------------------------------------------------------

/// Which header the town column of the cooperative table has.
pub const TOWN_HEADERS: [&str; 4] = [
    "乡镇（街道）配合职责",
    "镇街配合职责",
    "街道配合职责",
    "乡镇配合职责",
];

/// Where an office breaks a long header over two lines: `对应` / `上级部门`,
/// `上级部门` / `职责`, `乡镇（街道）` / `配合职责`, `承接部门及` / `工作方式`.
pub fn header_break(header: &str) -> Option<(String, String)> {
    let at = ["配合职责", "工作方式", "职责"]
        .iter()
        .filter_map(|m| header.find(m).filter(|&at| at > 0))
        .next()
        .or_else(|| header.starts_with("对应").then_some("对应".len()))?;
    Some((header[..at].to_owned(), header[at..].to_owned()))
}

/// A two-character header spaced out as offices do (`序号` → `序  号`).
pub fn space_out(header: &str) -> String {
    let chars: Vec<char> = header.chars().collect();
    if chars.len() == 2 {
        format!("{}  {}", chars[0], chars[1])
    } else {
        header.to_owned()
    }
}

/// The canonical column order of the cooperative table (indices into its header).
pub const COOPERATIVE_ORDER: [usize; 6] = [0, 1, 2, 3, 4, 5];

/// How the table titles read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableTitles {
    /// `一、基本履职事项清单`
    Numbered,
    /// `乌恰镇配合履职事项清单`
    Town,
    /// `基本履职事项清单`
    Plain,
}

/// How the reclaimed table gives 承接部门 and 工作方式.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reclaimed {
    /// One column `承接部门及工作方式`: `承接部门：X 工作方式：Y` on one line.
    OneLine,
    /// One column, `承接部门：X` and `工作方式：Y` as two paragraphs (two lines in Excel).
    TwoLines,
    /// Two columns `承接部门` and `工作方式`.
    TwoColumns,
}

/// The table of contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contents {
    /// None.
    Absent,
    /// `目  录`, then `1. 基本履职事项清单<tab>1` typed by hand.
    Typed,
    /// Word's own: a TOC field, each entry a hyperlink with a PAGEREF field.
    Field,
}

/// A Word rendering of a list and the habits it follows.
#[derive(Clone, Debug)]
pub struct Docx {
    /// The variant's name, for failure messages.
    pub name: &'static str,
    /// Title paragraph (`乌恰县乌恰镇履职事项清单`).
    pub title: bool,
    /// The title broken after the town with a line break (`<w:br/>`), as on cover pages.
    pub title_break: bool,
    /// Date paragraph (`2025年7月`).
    pub month: bool,
    /// How `说明` is spaced (`说  明`, `说　明`…).
    pub preamble_heading: &'static str,
    /// Preamble paragraphs indented with two ideographic spaces rather than `w:ind`.
    pub indent_with_spaces: bool,
    /// The table of contents.
    pub contents: Contents,
    /// How the table titles read.
    pub table_titles: TableTitles,
    /// The page break as a run at the start of each table title rather than its own paragraph.
    pub break_in_title: bool,
    /// The town column's header.
    pub town_header: &'static str,
    /// The reclaimed table's layout.
    pub reclaimed: Reclaimed,
    /// The cooperative table's column order (indices into the canonical header).
    pub cooperative_order: [usize; 6],
    /// Item numbering styles, one per item cell in rotation.
    pub markers: &'static [Marker],
    /// Numbering restarts after a department heading (else it runs on).
    pub restart_after_heading: bool,
    /// Items end with `；`, the last of a cell with `。`.
    pub item_ends: bool,
    /// Category cells merged vertically over consecutive duties of one category.
    pub merge_categories: bool,
    /// Runs split at arbitrary places, with `w:proofErr` and bookmarks here and there.
    pub ragged_runs: bool,
    /// The cooperative table split after this 序号: a page break and a second table
    /// repeating the header row by hand.
    pub split_cooperative_after: Option<u32>,
    /// Empty rows at the end of each table.
    pub trailing_empty_rows: usize,
    /// Counterpart departments one per paragraph instead of joined with `、`.
    pub departments_one_per_line: bool,
    /// Header rows marked to repeat on every page (`<w:tblHeader/>`).
    pub repeat_header: bool,
    /// Cells without properties (no widths, alignment or fonts): the smallest XML a
    /// table can be, for very long tables.
    pub compact: bool,
    /// Unaccepted tracked changes here and there: a deletion (`w:del`/`w:delText`) and
    /// an insertion (`w:ins`) in the text; the text shown is the list's.
    pub tracked_changes: bool,
    /// The lines of an item cell in one paragraph, separated by line breaks (`<w:br/>`,
    /// Shift+Enter) rather than one paragraph each.
    pub items_in_one_paragraph: bool,
    /// Long header cells broken over two lines (`对应<br/>上级部门`).
    pub header_breaks: bool,
    /// Two-character headers spaced out (`序  号`).
    pub spaced_headers: bool,
    /// The header row repeated as an ordinary row inside a table every this many
    /// duties (as conversions from PDF leave it).
    pub header_every: Option<usize>,
    /// Empty paragraphs in item cells: before each section and heading but the first,
    /// and at the end.
    pub blank_paragraphs: bool,
    /// A tab (`<w:tab/>`) between an item's number and its text.
    pub tab_after_number: bool,
    /// 序号 cells numbered by Word's automatic numbering (one list per table, running
    /// on across a split): the cells hold no text, Word shows 1, 2, 3…
    pub auto_numbered_seq: bool,
    /// Each table's title as its first row, one cell spanning every column (as a table
    /// pasted from Excel has it), instead of a paragraph above the table.
    pub title_in_table: bool,
    /// Chinese Word's smart tags around the runs of dates (`chsdate`: the month
    /// paragraph) and of measures (`chmetcnv`: `34.2平方公里`).
    pub smart_tags: bool,
}

impl Docx {
    /// The plainest rendering: every habit at its simplest (hostile files start from it).
    pub fn plain() -> Self {
        Docx {
            name: "plain",
            title: true,
            title_break: false,
            month: true,
            preamble_heading: "说  明",
            indent_with_spaces: false,
            contents: Contents::Absent,
            table_titles: TableTitles::Plain,
            break_in_title: false,
            town_header: TOWN_HEADERS[0],
            reclaimed: Reclaimed::OneLine,
            cooperative_order: COOPERATIVE_ORDER,
            markers: &[Marker::Dot],
            restart_after_heading: false,
            item_ends: false,
            merge_categories: false,
            ragged_runs: false,
            split_cooperative_after: None,
            trailing_empty_rows: 0,
            departments_one_per_line: false,
            repeat_header: true,
            compact: false,
            tracked_changes: false,
            items_in_one_paragraph: false,
            header_breaks: false,
            spaced_headers: false,
            header_every: None,
            blank_paragraphs: false,
            tab_after_number: false,
            auto_numbered_seq: false,
            title_in_table: false,
            smart_tags: false,
        }
    }

    /// Word 2016 as most county offices use it: every numbering style in rotation,
    /// merged categories, ragged runs, Word's table of contents, `一、` table titles,
    /// the cooperative table split over a page, empty rows at the ends, items ending
    /// with `；`/`。`.
    pub fn word_2016() -> Self {
        Docx {
            name: "word_2016",
            contents: Contents::Field,
            table_titles: TableTitles::Numbered,
            markers: ALL_MARKERS,
            item_ends: true,
            merge_categories: true,
            ragged_runs: true,
            split_cooperative_after: Some(35),
            trailing_empty_rows: 2,
            ..Docx::plain()
        }
    }

    /// Word's automatic numbering in every cell (a fresh list per cell and section,
    /// restarted after headings too), `镇街配合职责`, the reclaimed table in two columns,
    /// the cooperative columns in another order, `乌恰镇配合履职事项清单` titles.
    pub fn auto_numbered() -> Self {
        Docx {
            name: "auto_numbered",
            preamble_heading: "说　明",
            indent_with_spaces: true,
            contents: Contents::Typed,
            table_titles: TableTitles::Town,
            break_in_title: true,
            town_header: TOWN_HEADERS[1],
            reclaimed: Reclaimed::TwoColumns,
            cooperative_order: [0, 2, 1, 3, 5, 4],
            markers: &[Marker::Auto],
            restart_after_heading: true,
            merge_categories: true,
            trailing_empty_rows: 1,
            ..Docx::plain()
        }
    }

    /// A street office's file: `街道配合职责`, `（1）` and `(1)` numbering, categories
    /// repeated on every row, 承接部门 and 工作方式 on two lines of one cell, header rows
    /// not marked to repeat.
    pub fn street_office() -> Self {
        Docx {
            name: "street_office",
            preamble_heading: "说明",
            town_header: TOWN_HEADERS[2],
            reclaimed: Reclaimed::TwoLines,
            markers: &[Marker::FullParen, Marker::HalfParen],
            item_ends: true,
            ragged_runs: true,
            repeat_header: false,
            split_cooperative_after: Some(12),
            ..Docx::plain()
        }
    }

    /// A township's file: `乡镇配合职责`, `1、` numbering and unnumbered items where
    /// nothing could misread, restarted after headings, merged categories, ragged runs.
    pub fn township() -> Self {
        Docx {
            name: "township",
            contents: Contents::Typed,
            table_titles: TableTitles::Numbered,
            town_header: TOWN_HEADERS[3],
            markers: &[Marker::Comma, Marker::Unnumbered],
            restart_after_heading: true,
            merge_categories: true,
            ragged_runs: true,
            trailing_empty_rows: 3,
            ..Docx::plain()
        }
    }

    /// The same rendering without title and date paragraphs.
    pub fn without_title_and_month(self) -> Self {
        Docx {
            title: false,
            month: false,
            ..self
        }
    }

    /// The `.docx` package of a document.
    pub fn render(&self, doc: &Document) -> Vec<u8> {
        self.render_with(doc, true)
    }

    /// The package, its parts deflated (as Word does) or stored.
    pub fn render_with(&self, doc: &Document, deflate: bool) -> Vec<u8> {
        let mut writer = DocxWriter {
            options: self,
            rng: Lcg(0x5eed_0001 ^ self.name.len() as u64),
            bookmarks: 0,
            seq_list: None,
            lists: Lists::default(),
            cells: 0,
        };
        let body = writer.body(doc);
        let document = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:wpc="http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:w10="urn:schemas-microsoft-com:office:word" xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml" mc:Ignorable="w14"><w:body>{body}<w:sectPr><w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/><w:pgMar w:top="1417" w:right="1440" w:bottom="1417" w:left="1440" w:header="851" w:footer="992" w:gutter="0"/><w:cols w:space="425"/><w:docGrid w:type="lines" w:linePitch="312"/></w:sectPr></w:body></w:document>"#
        );
        let numbering = writer.lists.numbering_xml();
        zip_package(
            &[
                ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
                ("_rels/.rels", ROOT_RELS.as_bytes()),
                ("word/document.xml", document.as_bytes()),
                ("word/_rels/document.xml.rels", DOCUMENT_RELS.as_bytes()),
                ("word/styles.xml", STYLES.as_bytes()),
                ("word/numbering.xml", numbering.as_bytes()),
            ],
            deflate,
        )
    }
}

/// The abstract list of automatically numbered 序号 cells.
const SEQ_LIST: u32 = 3;

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:eastAsia="仿宋_GB2312" w:hAnsi="Times New Roman" w:cs="Times New Roman"/><w:kern w:val="2"/><w:sz w:val="21"/><w:szCs w:val="24"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault><w:pPrDefault/></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/><w:pPr><w:widowControl w:val="0"/><w:jc w:val="both"/></w:pPr></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:jc w:val="center"/></w:pPr><w:rPr><w:rFonts w:eastAsia="方正小标宋简体"/><w:sz w:val="44"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:rFonts w:eastAsia="黑体"/><w:sz w:val="32"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="TOC1"><w:name w:val="toc 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:ind w:firstLineChars="200" w:firstLine="420"/></w:pPr></w:style><w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style><w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:left w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:right w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="auto"/></w:tblBorders></w:tblPr></w:style></w:styles>"#;

impl Lists {
    /// `word/numbering.xml`: three single-level decimal lists (`%1.`, `%1、`, `（%1）`)
    /// and every `w:num` handed out, each restarting at 1 as Word writes a restarted list.
    fn numbering_xml(&self) -> String {
        let mut xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="{W_NS}">"#
        );
        for (id, text) in [(0, "%1."), (1, "%1、"), (2, "（%1）")] {
            write!(
                xml,
                r#"<w:abstractNum w:abstractNumId="{id}"><w:nsid w:val="1A2B3C4{id}"/><w:multiLevelType w:val="singleLevel"/><w:tmpl w:val="0409000F"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="420" w:hanging="420"/></w:pPr></w:lvl></w:abstractNum>"#
            )
            .unwrap();
        }
        // The 序号 column's list: the bare number, centred, nothing after it.
        write!(
            xml,
            r#"<w:abstractNum w:abstractNumId="{SEQ_LIST}"><w:nsid w:val="5E0C1D2E"/><w:multiLevelType w:val="singleLevel"/><w:tmpl w:val="0409000F"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:suff w:val="nothing"/><w:lvlText w:val="%1"/><w:lvlJc w:val="center"/><w:pPr><w:ind w:left="0" w:firstLine="0"/></w:pPr></w:lvl></w:abstractNum>"#
        )
        .unwrap();
        for &(num, abstract_id) in &self.nums {
            write!(
                xml,
                r#"<w:num w:numId="{num}"><w:abstractNumId w:val="{abstract_id}"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>"#
            )
            .unwrap();
        }
        xml.push_str("</w:numbering>");
        xml
    }
}

/// XML text escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// One table cell before it is written.
enum Cell {
    /// One paragraph.
    Text(String),
    /// Several paragraphs.
    Paragraphs(Vec<String>),
    /// Item lines.
    Lines(Vec<Line>),
    /// The first cell of a vertical merge.
    MergeStart(String),
    /// A cell merged into the one above.
    MergeContinue,
    /// Nothing.
    Empty,
    /// One paragraph of two lines (a line break between them).
    Broken(String, String),
    /// An empty paragraph numbered by a Word list.
    Numbered(u32),
}

struct DocxWriter<'a> {
    options: &'a Docx,
    /// The Word list numbering the 序号 cells of the current table.
    seq_list: Option<u32>,
    rng: Lcg,
    bookmarks: u32,
    lists: Lists,
    cells: usize,
}

const RPR_PLAIN: &str = "";
const RPR_TABLE: &str = r#"<w:rFonts w:hint="eastAsia"/><w:sz w:val="21"/>"#;
const RPR_BOLD: &str = r#"<w:rFonts w:hint="eastAsia"/><w:b/><w:bCs/>"#;

impl DocxWriter<'_> {
    /// The runs of a text, a measure in it (`34.2平方公里`) inside a smart tag when the
    /// rendering has them.
    fn runs(&mut self, text: &str, rpr: &str) -> String {
        static MEASURE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(\d+(?:\.\d+)?)(平方公里|公里|万元|万人|米)").expect("valid regex")
        });
        if !self.options.smart_tags {
            return self.tracked_runs(text, rpr);
        }
        let Some(caps) = MEASURE.captures(text) else {
            return self.tracked_runs(text, rpr);
        };
        let whole = caps.get(0).unwrap();
        format!(
            r#"{}<w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" w:element="chmetcnv"><w:smartTagPr><w:attr w:name="TCSC" w:val="0"/><w:attr w:name="NumberType" w:val="1"/><w:attr w:name="Negative" w:val="False"/><w:attr w:name="HasSpace" w:val="False"/><w:attr w:name="SourceValue" w:val="{}"/><w:attr w:name="UnitName" w:val="{}"/></w:smartTagPr>{}</w:smartTag>{}"#,
            self.tracked_runs(&text[..whole.start()], rpr),
            &caps[1],
            &caps[2],
            self.plain_runs(whole.as_str(), rpr),
            self.tracked_runs(&text[whole.end()..], rpr),
        )
    }

    /// The runs of a text, with a tracked deletion and insertion in some paragraphs
    /// when the rendering has tracked changes.
    fn tracked_runs(&mut self, text: &str, rpr: &str) -> String {
        if text.is_empty() {
            return String::new();
        }
        let chars: Vec<char> = text.chars().collect();
        if !self.options.tracked_changes || chars.len() < 8 || self.rng.next(3) != 0 {
            return self.plain_runs(text, rpr);
        }
        const DELETED: [&str; 4] = ["及时", "相关工作", "（暂定）", "等"];
        self.bookmarks += 1;
        let id = self.bookmarks;
        let deleted = DELETED[id as usize % DELETED.len()];
        let (third, two_thirds) = (chars.len() / 3, 2 * chars.len() / 3);
        let head: String = chars[..third].iter().collect();
        let inserted: String = chars[third..two_thirds].iter().collect();
        let tail: String = chars[two_thirds..].iter().collect();
        let rpr_xml = if rpr.is_empty() {
            String::new()
        } else {
            format!("<w:rPr>{rpr}</w:rPr>")
        };
        format!(
            r#"{}<w:del w:id="{}" w:author="乌恰镇党政办" w:date="2025-06-20T09:30:00Z"><w:r>{rpr_xml}<w:delText>{}</w:delText></w:r></w:del><w:ins w:id="{}" w:author="乌恰镇党政办" w:date="2025-06-20T09:31:00Z">{}</w:ins>{}"#,
            self.plain_runs(&head, rpr),
            9000 + 2 * id,
            escape(deleted),
            9001 + 2 * id,
            self.plain_runs(&inserted, rpr),
            self.plain_runs(&tail, rpr),
        )
    }

    /// The runs of a text: one run, or (ragged) runs split at arbitrary places with
    /// proofing marks and bookmarks between some of them.
    fn plain_runs(&mut self, text: &str, rpr: &str) -> String {
        let rpr = if rpr.is_empty() {
            String::new()
        } else {
            format!("<w:rPr>{rpr}</w:rPr>")
        };
        let run = |chunk: &str| {
            let space =
                if chunk.starts_with(char::is_whitespace) || chunk.ends_with(char::is_whitespace) {
                    r#" xml:space="preserve""#
                } else {
                    ""
                };
            format!("<w:r>{rpr}<w:t{space}>{}</w:t></w:r>", escape(chunk))
        };
        if !self.options.ragged_runs {
            return run(text);
        }
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        let mut at = 0;
        let mut open_proof = false;
        while at < chars.len() {
            let len = 1 + self.rng.next(14) as usize;
            let end = (at + len).min(chars.len());
            let chunk: String = chars[at..end].iter().collect();
            match self.rng.next(12) {
                0 if !open_proof => {
                    out.push_str(r#"<w:proofErr w:type="spellStart"/>"#);
                    open_proof = true;
                }
                1 if open_proof => {
                    out.push_str(r#"<w:proofErr w:type="spellEnd"/>"#);
                    open_proof = false;
                }
                2 => {
                    self.bookmarks += 1;
                    let id = self.bookmarks;
                    write!(
                        out,
                        r#"<w:bookmarkStart w:id="{id}" w:name="_Hlk{}"/><w:bookmarkEnd w:id="{id}"/>"#,
                        170_000_000 + id * 37
                    )
                    .unwrap();
                }
                3 => out
                    .push_str(r#"<w:proofErr w:type="gramStart"/><w:proofErr w:type="gramEnd"/>"#),
                _ => {}
            }
            out.push_str(&run(&chunk));
            at = end;
        }
        if open_proof {
            out.push_str(r#"<w:proofErr w:type="spellEnd"/>"#);
        }
        out
    }

    fn paragraph(&mut self, ppr: &str, text: &str, rpr: &str) -> String {
        let ppr = if ppr.is_empty() {
            String::new()
        } else {
            format!("<w:pPr>{ppr}</w:pPr>")
        };
        if text.is_empty() {
            return format!("<w:p>{ppr}</w:p>");
        }
        format!("<w:p>{ppr}{}</w:p>", self.runs(text, rpr))
    }

    fn page_break() -> &'static str {
        r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#
    }

    fn body(&mut self, doc: &Document) -> String {
        let o = self.options;
        let mut body = String::new();
        if o.title {
            if o.title_break {
                body.push_str(&format!(
                    r#"<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr>{}<w:r><w:br/></w:r>{}</w:p>"#,
                    self.runs(&format!("{}{}", doc.county, doc.town), RPR_PLAIN),
                    self.runs("履职事项清单", RPR_PLAIN)
                ));
            } else {
                let title = title(doc);
                body.push_str(&self.paragraph(r#"<w:pStyle w:val="Title"/>"#, &title, RPR_PLAIN));
            }
        }
        if o.month && o.smart_tags {
            let (year, month) = doc.published_on.split_once('-').expect("YYYY-MM");
            let month = month.trim_start_matches('0');
            body.push_str(&format!(
                r#"<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" w:element="chsdate"><w:smartTagPr><w:attr w:name="Year" w:val="{year}"/><w:attr w:name="Month" w:val="{month}"/><w:attr w:name="Day" w:val="1"/><w:attr w:name="IsLunarDate" w:val="False"/><w:attr w:name="IsROCDate" w:val="False"/></w:smartTagPr><w:r><w:t>{year}年{month}</w:t></w:r><w:r><w:t>月</w:t></w:r></w:smartTag></w:p>"#
            ));
        } else if o.month {
            let month = month(doc);
            body.push_str(&self.paragraph(r#"<w:jc w:val="center"/>"#, &month, RPR_PLAIN));
        }
        body.push_str(&self.paragraph(r#"<w:jc w:val="center"/>"#, o.preamble_heading, RPR_BOLD));
        for line in doc.preamble.lines() {
            let is_heading = line.starts_with(|c: char| "一二三四五六七八九十".contains(c))
                && line.chars().nth(1) == Some('、');
            if is_heading {
                body.push_str(&self.paragraph(
                    r#"<w:ind w:firstLineChars="200" w:firstLine="640"/>"#,
                    line,
                    RPR_BOLD,
                ));
            } else if o.indent_with_spaces {
                body.push_str(&self.paragraph("", &format!("\u{3000}\u{3000}{line}"), RPR_PLAIN));
            } else {
                body.push_str(&self.paragraph(
                    r#"<w:ind w:firstLineChars="200" w:firstLine="640"/>"#,
                    line,
                    RPR_PLAIN,
                ));
            }
        }
        let kinds: Vec<DutyKind> = DutyKind::ALL
            .into_iter()
            .filter(|k| doc.duties.iter().any(|d| d.kind == *k))
            .collect();
        let pages = [1, 7, 20];
        match o.contents {
            Contents::Absent => {}
            Contents::Typed => {
                body.push_str(Self::page_break());
                body.push_str(&self.paragraph(r#"<w:jc w:val="center"/>"#, "目  录", RPR_BOLD));
                for (i, kind) in kinds.iter().enumerate() {
                    let entry = format!("{}. {}", i + 1, kind.table_title());
                    body.push_str(&format!(
                        r#"<w:p><w:pPr><w:pStyle w:val="TOC1"/><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="13958"/></w:tabs></w:pPr>{}<w:r><w:tab/></w:r>{}</w:p>"#,
                        self.runs(&entry, RPR_PLAIN),
                        self.runs(&pages[i].to_string(), RPR_PLAIN)
                    ));
                }
            }
            Contents::Field => {
                body.push_str(Self::page_break());
                // Word keeps its table of contents in a content control.
                body.push_str(r#"<w:sdt><w:sdtPr><w:id w:val="147458720"/><w:docPartObj><w:docPartGallery w:val="Table of Contents"/><w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtEndPr/><w:sdtContent>"#);
                body.push_str(&self.paragraph(r#"<w:jc w:val="center"/>"#, "目  录", RPR_BOLD));
                for (i, kind) in kinds.iter().enumerate() {
                    let anchor = format!("_Toc17{}", 5000 + i);
                    let begin = if i == 0 {
                        r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> TOC \o "1-3" \h \z \u </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>"#
                    } else {
                        ""
                    };
                    let entry = format!("{}. {}", i + 1, kind.table_title());
                    body.push_str(&format!(
                        r#"<w:p><w:pPr><w:pStyle w:val="TOC1"/><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="13958"/></w:tabs></w:pPr>{begin}<w:hyperlink w:anchor="{anchor}" w:history="1">{}<w:r><w:tab/></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGEREF {anchor} \h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:hyperlink></w:p>"#,
                        self.runs(&entry, RPR_PLAIN),
                        pages[i]
                    ));
                }
                body.push_str(r#"<w:p><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>"#);
                body.push_str("</w:sdtContent></w:sdt>");
            }
        }
        for (i, kind) in kinds.iter().enumerate() {
            let heading = match o.table_titles {
                TableTitles::Numbered => {
                    format!("{}、{}", ["一", "二", "三"][i], kind.table_title())
                }
                TableTitles::Town => format!("{}{}", doc.town, kind.table_title()),
                TableTitles::Plain => kind.table_title().to_owned(),
            };
            let anchor = format!("_Toc17{}", 5000 + i);
            let bookmark = if o.contents == Contents::Field {
                self.bookmarks += 1;
                format!(
                    r#"<w:bookmarkStart w:id="{}" w:name="{anchor}"/>"#,
                    self.bookmarks
                )
            } else {
                String::new()
            };
            let bookmark_end = if bookmark.is_empty() {
                String::new()
            } else {
                format!(r#"<w:bookmarkEnd w:id="{}"/>"#, self.bookmarks)
            };
            let page_break = if o.break_in_title && !o.title_in_table {
                r#"<w:r><w:br w:type="page"/></w:r>"#
            } else {
                body.push_str(Self::page_break());
                ""
            };
            if !o.title_in_table {
                body.push_str(&format!(
                    r#"<w:p><w:pPr><w:pStyle w:val="Heading1"/><w:jc w:val="center"/></w:pPr>{page_break}{bookmark}{}{bookmark_end}</w:p>"#,
                    self.runs(&heading, RPR_PLAIN)
                ));
            }
            let duties: Vec<&RawDuty> = doc.duties.iter().filter(|d| d.kind == *kind).collect();
            self.seq_list = o.auto_numbered_seq.then(|| self.lists.fresh(SEQ_LIST));
            let parts: Vec<&[&RawDuty]> = match o.split_cooperative_after {
                Some(seq) if *kind == DutyKind::Cooperative => {
                    let at = duties
                        .iter()
                        .position(|d| d.seq > seq)
                        .unwrap_or(duties.len());
                    vec![&duties[..at], &duties[at..]]
                }
                _ => vec![&duties[..]],
            };
            let last_part = parts.len() - 1;
            for (p, part) in parts.into_iter().enumerate() {
                if p > 0 {
                    body.push_str(Self::page_break());
                }
                let trailing = if p == last_part {
                    o.trailing_empty_rows
                } else {
                    0
                };
                let title = (o.title_in_table && p == 0).then_some(heading.as_str());
                let table = self.table(*kind, part, trailing, title);
                body.push_str(&table);
            }
        }
        body
    }

    /// The header of a table, as this rendering words and orders it.
    fn header(&self, kind: DutyKind) -> Vec<String> {
        let o = self.options;
        match kind {
            DutyKind::Basic => kind.header().iter().map(|h| (*h).to_owned()).collect(),
            DutyKind::Cooperative => {
                let mut canonical: Vec<String> =
                    kind.header().iter().map(|h| (*h).to_owned()).collect();
                canonical[5] = o.town_header.to_owned();
                o.cooperative_order
                    .iter()
                    .map(|&i| canonical[i].clone())
                    .collect()
            }
            DutyKind::Reclaimed => match o.reclaimed {
                Reclaimed::TwoColumns => ["序号", "事项类别", "事项名称", "承接部门", "工作方式"]
                    .map(str::to_owned)
                    .to_vec(),
                _ => kind.header().iter().map(|h| (*h).to_owned()).collect(),
            },
        }
    }

    fn widths(&self, kind: DutyKind) -> Vec<u32> {
        match kind {
            DutyKind::Basic => vec![900, 2200, 10858],
            DutyKind::Cooperative => {
                let canonical = [620, 1100, 2100, 1800, 4169, 4169];
                self.options
                    .cooperative_order
                    .iter()
                    .map(|&i| canonical[i])
                    .collect()
            }
            DutyKind::Reclaimed => match self.options.reclaimed {
                Reclaimed::TwoColumns => vec![700, 1300, 3400, 2600, 5958],
                _ => vec![700, 1300, 3400, 8558],
            },
        }
    }

    fn table(
        &mut self,
        kind: DutyKind,
        duties: &[&RawDuty],
        trailing_empty_rows: usize,
        title: Option<&str>,
    ) -> String {
        let o = self.options;
        let widths = self.widths(kind);
        let mut xml = String::from(
            r#"<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="13958" w:type="dxa"/><w:jc w:val="center"/><w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>"#,
        );
        for w in &widths {
            write!(xml, r#"<w:gridCol w:w="{w}"/>"#).unwrap();
        }
        xml.push_str("</w:tblGrid>");
        let header_texts = self.header(kind);
        let header = || -> Vec<Cell> {
            header_texts
                .iter()
                .cloned()
                .map(|h| match header_break(&h).filter(|_| o.header_breaks) {
                    Some((first, second)) => Cell::Broken(first, second),
                    None if o.spaced_headers => Cell::Text(space_out(&h)),
                    None => Cell::Text(h),
                })
                .collect()
        };
        let trpr = if o.repeat_header {
            "<w:trPr><w:tblHeader/><w:jc w:val=\"center\"/></w:trPr>"
        } else {
            "<w:trPr><w:jc w:val=\"center\"/></w:trPr>"
        };
        if let Some(title) = title {
            let span = widths.len();
            let total: u32 = widths.iter().sum();
            let paragraph = self.paragraph(r#"<w:jc w:val="center"/>"#, title, RPR_BOLD);
            write!(
                xml,
                r#"<w:tr>{trpr}<w:tc><w:tcPr><w:tcW w:w="{total}" w:type="dxa"/><w:gridSpan w:val="{span}"/><w:tcBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:right w:val="nil"/></w:tcBorders><w:vAlign w:val="center"/></w:tcPr>{paragraph}</w:tc></w:tr>"#
            )
            .unwrap();
        }
        let header_before = |i: usize| o.header_every.is_some_and(|n| i > 0 && i.is_multiple_of(n));
        let cells = header();
        xml.push_str(&self.row(trpr, cells, &widths, true));
        for (i, duty) in duties.iter().enumerate() {
            if header_before(i) {
                let cells = header();
                xml.push_str(&self.row("", cells, &widths, true));
            }
            let merged_above = o.merge_categories
                && i > 0
                && !header_before(i)
                && duties[i - 1].category == duty.category;
            let merges_below = o.merge_categories
                && !header_before(i + 1)
                && duties
                    .get(i + 1)
                    .is_some_and(|next| next.category == duty.category);
            let category = if merged_above {
                Cell::MergeContinue
            } else if merges_below {
                Cell::MergeStart(duty.category.clone())
            } else {
                Cell::Text(duty.category.clone())
            };
            let cells = self.duty_cells(duty, category);
            xml.push_str(&self.row("", cells, &widths, false));
        }
        for _ in 0..trailing_empty_rows {
            let cells = widths.iter().map(|_| Cell::Empty).collect();
            xml.push_str(&self.row("", cells, &widths, false));
        }
        xml.push_str("</w:tbl>");
        xml
    }

    fn item_cell(&mut self, pieces: &[Piece]) -> Cell {
        let o = self.options;
        let index = self.cells;
        self.cells += 1;
        let marker = match marker_for(o.markers, index, pieces, o.items_in_one_paragraph) {
            // Word numbers paragraphs, not the lines of one.
            Marker::Auto if o.items_in_one_paragraph => Marker::Dot,
            m => m,
        };
        Cell::Lines(lay_out(
            pieces,
            marker,
            o.restart_after_heading,
            o.item_ends,
            &mut self.lists,
            (index % 3) as u32,
        ))
    }

    fn duty_cells(&mut self, duty: &RawDuty, category: Cell) -> Vec<Cell> {
        let o = self.options;
        let seq = match self.seq_list {
            Some(list) => Cell::Numbered(list),
            None => Cell::Text(duty.seq.to_string()),
        };
        let name = Cell::Text(duty.name.clone());
        match duty.kind {
            DutyKind::Basic => vec![seq, category, name],
            DutyKind::Cooperative => {
                let departments = if o.departments_one_per_line {
                    Cell::Paragraphs(duty.departments.clone())
                } else {
                    Cell::Text(duty.departments.join("、"))
                };
                let department_cell = self.item_cell(&duty.department_cell);
                let town_cell = self.item_cell(&duty.town_cell);
                let mut canonical: Vec<Option<Cell>> = vec![
                    Some(seq),
                    Some(category),
                    Some(name),
                    Some(departments),
                    Some(department_cell),
                    Some(town_cell),
                ];
                o.cooperative_order
                    .iter()
                    .map(|&i| canonical[i].take().expect("a permutation"))
                    .collect()
            }
            DutyKind::Reclaimed => {
                let departments = duty.departments.join("、");
                let method = duty.working_method.clone().unwrap_or_default();
                match o.reclaimed {
                    Reclaimed::OneLine => vec![
                        seq,
                        category,
                        name,
                        Cell::Text(format!("承接部门：{departments} 工作方式：{method}")),
                    ],
                    Reclaimed::TwoLines => vec![
                        seq,
                        category,
                        name,
                        Cell::Paragraphs(vec![
                            format!("承接部门：{departments}"),
                            format!("工作方式：{method}"),
                        ]),
                    ],
                    Reclaimed::TwoColumns => vec![
                        seq,
                        category,
                        name,
                        Cell::Text(departments),
                        Cell::Text(method),
                    ],
                }
            }
        }
    }

    fn row(&mut self, trpr: &str, cells: Vec<Cell>, widths: &[u32], header: bool) -> String {
        let mut xml = format!("<w:tr>{trpr}");
        let compact = self.options.compact;
        for (cell, width) in cells.into_iter().zip(widths) {
            let centered = if compact {
                ""
            } else {
                r#"<w:jc w:val="center"/>"#
            };
            let rpr = match (compact, header) {
                (true, _) => RPR_PLAIN,
                (false, true) => RPR_BOLD,
                (false, false) => RPR_TABLE,
            };
            let (merge, paragraphs) = match cell {
                Cell::Text(t) => ("", self.paragraph(centered, &t, rpr)),
                Cell::MergeStart(t) => (
                    r#"<w:vMerge w:val="restart"/>"#,
                    self.paragraph(centered, &t, rpr),
                ),
                Cell::MergeContinue => ("<w:vMerge/>", self.paragraph(centered, "", rpr)),
                Cell::Empty => ("", "<w:p/>".to_owned()),
                Cell::Paragraphs(ps) => (
                    "",
                    ps.iter()
                        .map(|p| self.paragraph(r#"<w:jc w:val="left"/>"#, p, rpr))
                        .collect(),
                ),
                Cell::Lines(lines) if self.options.items_in_one_paragraph => {
                    ("", self.lines_in_one_paragraph(&lines))
                }
                Cell::Lines(lines) => ("", self.lines(&lines)),
                Cell::Numbered(list) => (
                    "",
                    format!(
                        r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{list}"/></w:numPr><w:jc w:val="center"/></w:pPr></w:p>"#
                    ),
                ),
                Cell::Broken(first, second) => (
                    "",
                    format!(
                        "<w:p><w:pPr>{centered}</w:pPr>{}<w:r><w:br/></w:r>{}</w:p>",
                        self.runs(&first, rpr),
                        self.runs(&second, rpr)
                    ),
                ),
            };
            if compact && merge.is_empty() {
                write!(xml, "<w:tc>{paragraphs}</w:tc>").unwrap();
            } else {
                write!(
                    xml,
                    r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{merge}<w:vAlign w:val="center"/></w:tcPr>{paragraphs}</w:tc>"#
                )
                .unwrap();
            }
        }
        xml.push_str("</w:tr>");
        xml
    }

    /// Item lines as one paragraph, a line break between lines.
    fn lines_in_one_paragraph(&mut self, lines: &[Line]) -> String {
        let mut xml = String::from(r#"<w:p><w:pPr><w:jc w:val="left"/></w:pPr>"#);
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                xml.push_str("<w:r><w:br/></w:r>");
            }
            let runs = match line {
                Line::Section(s) => self.runs(s, RPR_TABLE),
                Line::Heading(h) => self.runs(h, RPR_BOLD),
                Line::Item { label, text, .. } => self.runs(&format!("{label}{text}"), RPR_TABLE),
            };
            xml.push_str(&runs);
        }
        xml.push_str("</w:p>");
        xml
    }

    fn lines(&mut self, lines: &[Line]) -> String {
        let mut xml = String::new();
        let blank = r#"<w:p><w:pPr><w:jc w:val="left"/></w:pPr></w:p>"#;
        for (i, line) in lines.iter().enumerate() {
            if self.options.blank_paragraphs
                && i > 0
                && matches!(line, Line::Section(_) | Line::Heading(_))
            {
                xml.push_str(blank);
            }
            let p = match line {
                Line::Section(s) => self.paragraph(r#"<w:jc w:val="left"/>"#, s, RPR_TABLE),
                Line::Heading(h) => self.paragraph(r#"<w:jc w:val="left"/>"#, h, RPR_BOLD),
                Line::Item {
                    label,
                    text,
                    num_id: Some(num),
                } => {
                    debug_assert!(label.is_empty());
                    self.paragraph(
                        &format!(
                            r#"<w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num}"/></w:numPr><w:ind w:firstLineChars="0"/><w:jc w:val="left"/>"#
                        ),
                        text,
                        RPR_TABLE,
                    )
                }
                Line::Item {
                    label,
                    text,
                    num_id: None,
                } if self.options.tab_after_number && !label.is_empty() => format!(
                    r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs><w:ind w:left="420" w:hanging="420"/><w:jc w:val="left"/></w:pPr>{}<w:r><w:tab/></w:r>{}</w:p>"#,
                    self.runs(label, RPR_TABLE),
                    self.runs(text, RPR_TABLE)
                ),
                Line::Item {
                    label,
                    text,
                    num_id: None,
                } => self.paragraph(
                    r#"<w:jc w:val="left"/>"#,
                    &format!("{label}{text}"),
                    RPR_TABLE,
                ),
            };
            xml.push_str(&p);
        }
        if self.options.blank_paragraphs {
            xml.push_str(blank);
        }
        xml
    }
}

// ---------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------

/// How a hand-made workbook is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A `说明` sheet, then one sheet per table (`基本履职事项`, `配合履职事项`, `收回事项`),
    /// each with a merged title row above its header.
    SheetPerTable,
    /// One sheet: the 说明 paragraphs at the top, then the three tables stacked, each
    /// under a merged title row (`一、基本履职事项清单`), starting at this column (0 = A).
    Stacked {
        /// First column.
        first_col: u16,
    },
}

/// A hand-made Excel rendering of a list and its habits.
#[derive(Clone, Debug)]
pub struct Xlsx {
    /// The variant's name, for failure messages.
    pub name: &'static str,
    /// The layout.
    pub layout: Layout,
    /// Title and date rows.
    pub title: bool,
    /// The town column's header.
    pub town_header: &'static str,
    /// The reclaimed table's layout.
    pub reclaimed: Reclaimed,
    /// Item numbering styles, one per item cell in rotation (`Auto` counts as `1.`).
    pub markers: &'static [Marker],
    /// Numbering restarts after a department heading.
    pub restart_after_heading: bool,
    /// Items end with `；`, the last of a cell with `。`.
    pub item_ends: bool,
    /// Category cells merged over consecutive duties of one category.
    pub merge_categories: bool,
    /// Every `n`-th 序号 written as text rather than a number (0: never).
    pub seq_as_text_every: u32,
    /// An empty row after every other change of category.
    pub blank_rows: bool,
    /// An extra blank column in each table, before this column of the table (None: none).
    pub blank_column: Option<usize>,
    /// Counterpart departments one per line of their cell instead of joined with `、`.
    pub departments_one_per_line: bool,
    /// Long header cells broken over two lines (`对应\n上级部门`).
    pub header_breaks: bool,
    /// The empty sheets a new workbook starts with left at the end (`Sheet2`, `Sheet3`).
    pub leftover_sheets: bool,
    /// Two-character headers spaced out (`序  号`).
    pub spaced_headers: bool,
    /// Lines of a cell separated by `\r\n` (Windows line ends, stored as `_x000D_`).
    pub crlf: bool,
    /// A space between an item's number and its text (`1. 做好…`).
    pub space_after_number: bool,
    /// A merged title row above each table's header (else the header comes first).
    pub title_rows: bool,
    /// Long cooperative duties (eight lines or more in 上级部门职责) continued on a
    /// second row: both item cells split between the rows at a line, 序号, 事项名称 and
    /// 对应上级部门 merged over the two (as offices do when a cell outgrows a page).
    pub continued_rows: bool,
}

/// The sheet names of [`Layout::SheetPerTable`].
pub const TABLE_SHEETS: [&str; 3] = ["基本履职事项", "配合履职事项", "收回事项"];

impl Xlsx {
    /// The plainest hand-made workbook: a sheet per table, `1.` numbering, nothing
    /// merged but the titles, no blank rows or columns (hostile files start from it).
    pub fn plain() -> Self {
        Xlsx {
            name: "plain",
            layout: Layout::SheetPerTable,
            title: true,
            town_header: TOWN_HEADERS[0],
            reclaimed: Reclaimed::OneLine,
            markers: &[Marker::Dot],
            restart_after_heading: false,
            item_ends: false,
            merge_categories: false,
            seq_as_text_every: 0,
            blank_rows: false,
            blank_column: None,
            departments_one_per_line: false,
            header_breaks: false,
            leftover_sheets: false,
            spaced_headers: false,
            crlf: false,
            space_after_number: false,
            title_rows: true,
            continued_rows: false,
        }
    }

    /// A `说明` sheet and one sheet per table: merged title rows and categories,
    /// multi-line item cells in rotating numbering styles, some 序号 as text, empty
    /// rows between some duties, an extra blank column, 承接部门 and 工作方式 on two
    /// lines of one cell.
    pub fn sheet_per_table() -> Self {
        Xlsx {
            name: "sheet_per_table",
            reclaimed: Reclaimed::TwoLines,
            markers: &[
                Marker::Dot,
                Marker::Comma,
                Marker::FullParen,
                Marker::HalfParen,
                Marker::Unnumbered,
            ],
            item_ends: true,
            merge_categories: true,
            seq_as_text_every: 7,
            blank_rows: true,
            blank_column: Some(3),
            ..Xlsx::plain()
        }
    }

    /// Everything on one sheet from column A: `乡镇配合职责`, `1、` numbering
    /// restarted after headings, the reclaimed table in two columns.
    pub fn one_sheet() -> Self {
        Xlsx {
            name: "one_sheet",
            layout: Layout::Stacked { first_col: 0 },
            town_header: TOWN_HEADERS[3],
            reclaimed: Reclaimed::TwoColumns,
            markers: &[Marker::Comma, Marker::Dot],
            restart_after_heading: true,
            merge_categories: true,
            seq_as_text_every: 5,
            ..Xlsx::plain()
        }
    }

    /// Everything on one sheet from column B: `街道配合职责`, `（1）` numbering,
    /// categories repeated on every row, blank rows.
    pub fn one_sheet_from_column_b() -> Self {
        Xlsx {
            name: "one_sheet_from_column_b",
            layout: Layout::Stacked { first_col: 1 },
            town_header: TOWN_HEADERS[2],
            markers: &[Marker::FullParen, Marker::HalfParen, Marker::Unnumbered],
            item_ends: true,
            blank_rows: true,
            ..Xlsx::plain()
        }
    }

    /// The same rendering without title and date rows.
    pub fn without_title_and_month(self) -> Self {
        Xlsx {
            title: false,
            ..self
        }
    }

    /// The workbook of a document.
    pub fn render(&self, doc: &Document) -> Vec<u8> {
        self.render_with(doc, |_, _| Ok(()))
            .expect("the workbook renders")
    }

    /// The workbook, with `edit` applied to each table's sheet after it is written
    /// (arguments: the sheet, the table) — for hostile files.
    pub fn render_with(
        &self,
        doc: &Document,
        mut edit: impl FnMut(&mut Worksheet, DutyKind) -> Result<(), XlsxError>,
    ) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let mut writer = XlsxWriter {
            options: self,
            cells: 0,
            formats: Formats::new(),
        };
        match self.layout {
            Layout::SheetPerTable => {
                let sheet = book.add_worksheet();
                sheet.set_name("说明")?;
                sheet.set_column_width(0, 120)?;
                let mut row = 0;
                writer.front(sheet, doc, &mut row, 0, 0)?;
                for (kind, name) in DutyKind::ALL.into_iter().zip(TABLE_SHEETS) {
                    if !doc.duties.iter().any(|d| d.kind == kind) {
                        continue;
                    }
                    let sheet = book.add_worksheet();
                    sheet.set_name(name)?;
                    let title = format!("{}{}", doc.town, kind.table_title());
                    let mut row = 0;
                    writer.table(sheet, doc, kind, &title, &mut row, 0)?;
                    edit(sheet, kind)?;
                }
            }
            Layout::Stacked { first_col } => {
                let sheet = book.add_worksheet();
                sheet.set_name(format!("{}履职事项清单", doc.town))?;
                let mut row = 0;
                let width = 6 + u16::from(self.blank_column.is_some());
                writer.front(sheet, doc, &mut row, first_col, first_col + width - 1)?;
                let numbers = ["一", "二", "三"];
                let mut n = 0;
                for kind in DutyKind::ALL {
                    if !doc.duties.iter().any(|d| d.kind == kind) {
                        continue;
                    }
                    row += 1;
                    let title = format!("{}、{}", numbers[n], kind.table_title());
                    n += 1;
                    writer.table(sheet, doc, kind, &title, &mut row, first_col)?;
                    edit(sheet, kind)?;
                }
            }
        }
        if self.leftover_sheets {
            for name in ["Sheet2", "Sheet3"] {
                book.add_worksheet().set_name(name)?;
            }
        }
        book.save_to_buffer()
    }
}

struct Formats {
    title: Format,
    heading: Format,
    wrap: Format,
    paragraph: Format,
    center: Format,
}

impl Formats {
    fn new() -> Self {
        let border = |f: Format| f.set_border(FormatBorder::Thin);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(18)
                .set_align(FormatAlign::Center),
            heading: border(
                Format::new()
                    .set_bold()
                    .set_align(FormatAlign::Center)
                    .set_text_wrap(),
            ),
            wrap: border(
                Format::new()
                    .set_text_wrap()
                    .set_align(FormatAlign::VerticalCenter),
            ),
            paragraph: Format::new().set_text_wrap(),
            center: border(
                Format::new()
                    .set_text_wrap()
                    .set_align(FormatAlign::Center)
                    .set_align(FormatAlign::VerticalCenter),
            ),
        }
    }
}

struct XlsxWriter<'a> {
    options: &'a Xlsx,
    cells: usize,
    formats: Formats,
}

impl XlsxWriter<'_> {
    /// Title, date, `说 明` and the preamble, one paragraph a row, merged across
    /// `first_col..=last_col` when that is more than one column.
    fn front(
        &mut self,
        sheet: &mut Worksheet,
        doc: &Document,
        row: &mut u32,
        first_col: u16,
        last_col: u16,
    ) -> Result<(), XlsxError> {
        let o = self.options;
        let mut lines: Vec<(String, &Format)> = Vec::new();
        if o.title {
            lines.push((title(doc), &self.formats.title));
            lines.push((month(doc), &self.formats.title));
        }
        lines.push(("说 明".to_owned(), &self.formats.title));
        for line in doc.preamble.lines() {
            lines.push((line.to_owned(), &self.formats.paragraph));
        }
        for (text, format) in lines {
            if last_col > first_col {
                sheet.merge_range(*row, first_col, *row, last_col, &text, format)?;
            } else {
                sheet.write_string_with_format(*row, first_col, &text, format)?;
            }
            if text.chars().count() > 60 {
                sheet.set_row_height(*row, 15 * (1 + text.chars().count() / 60) as u32)?;
            }
            *row += 1;
        }
        Ok(())
    }

    /// The header of a table.
    fn header(&self, kind: DutyKind) -> Vec<String> {
        let o = self.options;
        let mut header: Vec<String> = kind.header().iter().map(|h| (*h).to_owned()).collect();
        match kind {
            DutyKind::Cooperative => header[5] = o.town_header.to_owned(),
            DutyKind::Reclaimed if o.reclaimed == Reclaimed::TwoColumns => {
                header.truncate(3);
                header.push("承接部门".to_owned());
                header.push("工作方式".to_owned());
            }
            _ => {}
        }
        header
    }

    fn lines(&mut self, pieces: &[Piece]) -> String {
        let newline = self.newline();
        self.line_texts(pieces).join(newline)
    }

    fn line_texts(&mut self, pieces: &[Piece]) -> Vec<String> {
        let o = self.options;
        let index = self.cells;
        self.cells += 1;
        let marker = match marker_for(o.markers, index, pieces, true) {
            Marker::Auto => Marker::Dot,
            m => m,
        };
        let mut lists = Lists::default();
        lay_out(
            pieces,
            marker,
            o.restart_after_heading,
            o.item_ends,
            &mut lists,
            0,
        )
        .into_iter()
        .map(|line| match line {
            Line::Section(s) | Line::Heading(s) => s,
            Line::Item { label, text, .. } if o.space_after_number && !label.is_empty() => {
                format!("{label} {text}")
            }
            Line::Item { label, text, .. } => format!("{label}{text}"),
        })
        .collect()
    }

    fn newline(&self) -> &'static str {
        if self.options.crlf { "\r\n" } else { "\n" }
    }

    /// One table: a merged title row, the header row, a row per duty.
    fn table(
        &mut self,
        sheet: &mut Worksheet,
        doc: &Document,
        kind: DutyKind,
        title: &str,
        row: &mut u32,
        first_col: u16,
    ) -> Result<(), XlsxError> {
        let o = self.options;
        let mut header = self.header(kind);
        if let Some(at) = o.blank_column {
            header.insert(at.min(header.len()), String::new());
        }
        let width = header.len() as u16;
        let last_col = first_col + width - 1;
        // The category's column within the table (after a blank column inserted before it).
        let category_col: u16 = if o.blank_column.is_some_and(|b| b <= 1) {
            2
        } else {
            1
        };
        let widths: Vec<f64> = header
            .iter()
            .map(|h| match h.as_str() {
                "序号" => 6.0,
                "事项类别" => 12.0,
                "事项名称" if kind == DutyKind::Basic => 90.0,
                "事项名称" => 28.0,
                "" => 4.0,
                "对应上级部门" | "承接部门" => 22.0,
                _ => 50.0,
            })
            .collect();
        for (i, w) in widths.iter().enumerate() {
            sheet.set_column_width(first_col + i as u16, *w)?;
        }
        if o.title_rows {
            sheet.merge_range(*row, first_col, *row, last_col, title, &self.formats.title)?;
            *row += 1;
        }
        for (i, h) in header.iter().enumerate() {
            let h = match header_break(h).filter(|_| o.header_breaks) {
                Some((first, second)) => format!("{first}\n{second}"),
                None if o.spaced_headers => space_out(h),
                None => h.clone(),
            };
            sheet.write_string_with_format(
                *row,
                first_col + i as u16,
                &h,
                &self.formats.heading,
            )?;
        }
        *row += 1;
        let duties: Vec<&RawDuty> = doc.duties.iter().filter(|d| d.kind == kind).collect();
        // (first row, last row, category) of each merge to make.
        let mut merges: Vec<(u32, u32, String)> = Vec::new();
        let mut boundaries = 0;
        for (i, duty) in duties.iter().enumerate() {
            // The cells of a continuation row, if the duty has one.
            let mut continuation: Option<Vec<String>> = None;
            let mut cells: Vec<String> = vec![
                duty.seq.to_string(),
                duty.category.clone(),
                duty.name.clone(),
            ];
            match kind {
                DutyKind::Basic => {}
                DutyKind::Cooperative => {
                    cells.push(if o.departments_one_per_line {
                        duty.departments.join(self.newline())
                    } else {
                        duty.departments.join("、")
                    });
                    let department_lines = self.line_texts(&duty.department_cell);
                    let town_lines = self.line_texts(&duty.town_cell);
                    let newline = self.newline();
                    if o.continued_rows && department_lines.len() >= 8 {
                        let (d1, d2) = department_lines.split_at(department_lines.len() / 2);
                        let (t1, t2) = town_lines.split_at(town_lines.len() / 2);
                        let (t1, t2) = if t1.is_empty() { (t2, t1) } else { (t1, t2) };
                        cells.push(d1.join(newline));
                        cells.push(t1.join(newline));
                        let mut next = vec![String::new(); 4];
                        next.push(d2.join(newline));
                        next.push(t2.join(newline));
                        continuation = Some(next);
                    } else {
                        cells.push(department_lines.join(newline));
                        cells.push(town_lines.join(newline));
                    }
                }
                DutyKind::Reclaimed => {
                    let departments = duty.departments.join("、");
                    let method = duty.working_method.clone().unwrap_or_default();
                    match o.reclaimed {
                        Reclaimed::OneLine => {
                            cells.push(format!("承接部门：{departments} 工作方式：{method}"));
                        }
                        Reclaimed::TwoLines => {
                            let newline = self.newline();
                            cells.push(format!(
                                "承接部门：{departments}{newline}工作方式：{method}"
                            ));
                        }
                        Reclaimed::TwoColumns => {
                            cells.push(departments);
                            cells.push(method);
                        }
                    }
                }
            }
            if let Some(at) = o.blank_column {
                cells.insert(at.min(cells.len()), String::new());
                if let Some(next) = continuation.as_mut() {
                    next.insert(at.min(next.len()), String::new());
                }
            }
            let rows_here: u32 = if continuation.is_some() { 2 } else { 1 };
            for (c, text) in cells.iter().enumerate() {
                let col = first_col + c as u16;
                let continued = continuation.as_ref().map(|next| next[c].as_str());
                // A column the continuation row leaves empty is merged over both rows.
                let merge_down = continued.is_some_and(str::is_empty);
                if let Some(next) = continued.filter(|t| !t.is_empty()) {
                    sheet.write_string_with_format(*row + 1, col, next, &self.formats.wrap)?;
                }
                if merge_down && c as u16 != category_col {
                    let format = if c == 0 {
                        &self.formats.center
                    } else {
                        &self.formats.wrap
                    };
                    sheet.merge_range(*row, col, *row + 1, col, text, format)?;
                }
                if c == 0 {
                    if o.seq_as_text_every > 0 && duty.seq.is_multiple_of(o.seq_as_text_every) {
                        sheet.write_string_with_format(*row, col, text, &self.formats.center)?;
                    } else {
                        sheet.write_number_with_format(
                            *row,
                            col,
                            f64::from(duty.seq),
                            &self.formats.center,
                        )?;
                    }
                } else if c as u16 == category_col && (o.merge_categories || merge_down) {
                    // Written by the merge below (or alone when the run is one row).
                    let last = *row + rows_here - 1;
                    match merges.last_mut() {
                        Some(m)
                            if o.merge_categories && m.1 + 1 == *row && m.2 == duty.category =>
                        {
                            m.1 = last;
                        }
                        _ => merges.push((*row, last, duty.category.clone())),
                    }
                } else if merge_down {
                    // Written by the merge above.
                } else if text.is_empty() {
                    sheet.write_blank(*row, col, &self.formats.wrap)?;
                } else if c as u16 == category_col {
                    sheet.write_string_with_format(*row, col, text, &self.formats.center)?;
                } else {
                    sheet.write_string_with_format(*row, col, text, &self.formats.wrap)?;
                }
            }
            *row += rows_here;
            let next_differs = duties
                .get(i + 1)
                .is_some_and(|next| next.category != duty.category);
            if o.blank_rows && next_differs {
                boundaries += 1;
                if boundaries % 2 == 1 {
                    *row += 1;
                }
            }
        }
        let category_col = first_col + category_col;
        for (first, last, category) in merges {
            if first == last {
                sheet.write_string_with_format(
                    first,
                    category_col,
                    &category,
                    &self.formats.center,
                )?;
            } else {
                sheet.merge_range(
                    first,
                    category_col,
                    last,
                    category_col,
                    &category,
                    &self.formats.center,
                )?;
            }
        }
        *row += 1;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Zip packages, by the zip crate and by hand
// ---------------------------------------------------------------------------

/// A zip package of the given parts, deflated or stored.
pub fn zip_package(parts: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let method = if deflate {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(false);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        zip.start_file(*name, options).expect("start a zip entry");
        zip.write_all(bytes).expect("write a zip entry");
    }
    zip.finish().expect("finish the zip").into_inner()
}

/// The parts of a zip package, in order.
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("a zip entry");
            let mut data = Vec::new();
            file.read_to_end(&mut data).expect("read a zip entry");
            (file.name().expect("a UTF-8 entry name").into_owned(), data)
        })
        .collect()
}

/// The package with `from` replaced by `to` in one part, its parts deflated or stored.
pub fn replace_in_part(bytes: &[u8], part: &str, from: &str, to: &str, deflate: bool) -> Vec<u8> {
    let parts: Vec<(String, Vec<u8>)> = unzip(bytes)
        .into_iter()
        .map(|(name, data)| {
            if name == part {
                let text = String::from_utf8(data).expect("an XML part is UTF-8");
                assert!(text.contains(from), "{part} holds {from}");
                (name, text.replacen(from, to, 1).into_bytes())
            } else {
                (name, data)
            }
        })
        .collect();
    let borrowed: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_package(&borrowed, deflate)
}

fn crc_table() -> &'static [u32; 256] {
    static TABLE: OnceLock<[u32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0u32; 256];
        for (n, entry) in table.iter_mut().enumerate() {
            let mut c = n as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *entry = c;
        }
        table
    })
}

/// CRC-32 (the zip one) of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    let table = crc_table();
    let mut c = !0u32;
    for &b in data {
        c = table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

fn gf2_times(matrix: &[u32; 32], mut vector: u32) -> u32 {
    let mut sum = 0;
    let mut i = 0;
    while vector != 0 {
        if vector & 1 != 0 {
            sum ^= matrix[i];
        }
        vector >>= 1;
        i += 1;
    }
    sum
}

fn gf2_square(matrix: &[u32; 32]) -> [u32; 32] {
    let mut square = [0u32; 32];
    for (n, row) in square.iter_mut().enumerate() {
        *row = gf2_times(matrix, matrix[n]);
    }
    square
}

/// The CRC-32 of `a ++ b` from the CRCs of `a` and `b` and the length of `b` (zlib's
/// `crc32_combine`): the bomb's checksum without running over 300 MiB.
pub fn crc32_combine(mut crc1: u32, crc2: u32, mut len2: u64) -> u32 {
    if len2 == 0 {
        return crc1;
    }
    let mut odd = [0u32; 32];
    odd[0] = 0xEDB8_8320;
    for (n, row) in odd.iter_mut().enumerate().skip(1) {
        *row = 1 << (n - 1);
    }
    let mut even = gf2_square(&odd); // two zero bits
    odd = gf2_square(&even); // four zero bits
    loop {
        even = gf2_square(&odd);
        if len2 & 1 != 0 {
            crc1 = gf2_times(&even, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
        odd = gf2_square(&even);
        if len2 & 1 != 0 {
            crc1 = gf2_times(&odd, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
    }
    crc1 ^ crc2
}

/// The CRC-32 of `count` copies of `byte`, by doubling.
pub fn crc32_repeated(byte: u8, count: u64) -> u32 {
    let mut result = crc32(&[]);
    let mut have = 0u64;
    let mut block = crc32(&[byte]);
    let mut block_len = 1u64;
    let mut rest = count;
    while rest > 0 {
        if rest & 1 != 0 {
            result = if have == 0 {
                block
            } else {
                crc32_combine(result, block, block_len)
            };
            have += block_len;
        }
        rest >>= 1;
        if rest > 0 {
            block = crc32_combine(block, block, block_len);
            block_len *= 2;
        }
    }
    result
}

/// Writes a deflate bit stream.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, len: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(reversed, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A raw deflate stream of `1 + 258 × matches` copies of `byte`: one literal, then
/// back-references of length 258 at distance 1, in one fixed-Huffman block
/// (13 bits per 258 bytes). Returns the stream and its unpacked length.
pub fn deflate_repeated(byte: u8, matches: u64) -> (Vec<u8>, u64) {
    let mut bits = Bits {
        out: Vec::with_capacity((matches * 13 / 8 + 16) as usize),
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE 01: fixed Huffman codes
    assert!(byte < 144, "literals 0–143 have 8-bit codes 0x30 + value");
    bits.code(0x30 + u32::from(byte), 8);
    for _ in 0..matches {
        bits.code(0xC0 + (285 - 280), 8); // length 258: symbol 285, 8-bit code
        bits.code(0, 5); // distance 1: code 0, no extra bits
    }
    bits.code(0, 7); // end of block: symbol 256
    (bits.finish(), 1 + 258 * matches)
}

/// One entry of a zip written by hand.
pub struct RawEntry<'a> {
    /// Its name.
    pub name: &'a str,
    /// 0 stored, 8 deflated.
    pub method: u16,
    /// The bytes as stored in the archive.
    pub data: &'a [u8],
    /// CRC-32 of the unpacked bytes.
    pub crc: u32,
    /// The unpacked size the headers declare.
    pub size: u32,
}

impl<'a> RawEntry<'a> {
    /// A stored entry.
    pub fn stored(name: &'a str, data: &'a [u8]) -> Self {
        RawEntry {
            name,
            method: 0,
            data,
            crc: crc32(data),
            size: data.len() as u32,
        }
    }
}

/// A zip archive written byte by byte (no zip64): local headers, data, central
/// directory, end record.
pub fn raw_zip(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&e.method.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            h.extend_from_slice(&e.crc.to_le_bytes());
            h.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&e.size.to_le_bytes());
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(e.name.as_bytes());
            h
        };
        out.extend_from_slice(&header(0x0403_4b50, false));
        out.extend_from_slice(e.data);
        central.extend_from_slice(&header(0x0201_4b50, true));
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A `.docx` whose `word/document.xml` unpacks to ~300 MiB of spaces (whitespace an
/// XML parser keeps reading) from ~2 MB. `declared_size`: the unpacked size the
/// headers state (`None`: the true one; a bomb may lie).
pub fn zip_bomb_docx(declared_size: Option<u32>) -> Vec<u8> {
    let (data, size) = deflate_repeated(b' ', 1_219_274);
    let crc = crc32_repeated(b' ', size);
    raw_zip(&[
        RawEntry::stored("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        RawEntry::stored("_rels/.rels", ROOT_RELS.as_bytes()),
        RawEntry {
            name: "word/document.xml",
            method: 8,
            data: &data,
            crc,
            size: declared_size.unwrap_or(size as u32),
        },
        RawEntry::stored("word/_rels/document.xml.rels", DOCUMENT_RELS.as_bytes()),
        RawEntry::stored("word/styles.xml", STYLES.as_bytes()),
    ])
}

/// Bytes that look like nothing: a deterministic pseudo-random sequence.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Lcg(seed);
    (0..len).map(|_| rng.next(256) as u8).collect()
}

/// Whether an XML text is well-formed as far as tags go: every start tag closed in
/// order, attributes quoted, no stray `<` or `&`. A check of the generator, not a parser.
pub fn check_xml(xml: &str) -> Result<(), String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = xml;
    let mut at = 0;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if let Some(amp) = text.find('&') {
            let entity = &text[amp..];
            if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e))
            {
                return Err(format!("a bare & at byte {}", at + amp));
            }
        }
        let close = rest[open..]
            .find('>')
            .ok_or_else(|| format!("an unclosed tag at byte {}", at + open))?
            + open;
        let tag = &rest[open + 1..close];
        if tag.starts_with('?') || tag.starts_with('!') {
            // declaration or comment
        } else if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(top) if top == name.trim() => {}
                top => {
                    return Err(format!("</{name}> at byte {} closes {top:?}", at + open));
                }
            }
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name = body.split_whitespace().next().unwrap_or("");
            if name.is_empty() || !body.matches('"').count().is_multiple_of(2) {
                return Err(format!("a malformed tag <{tag}> at byte {}", at + open));
            }
            if !self_closing {
                stack.push(name);
            }
        }
        at += close + 1;
        rest = &rest[close + 1..];
    }
    if let Some(top) = stack.pop() {
        return Err(format!("<{top}> is never closed"));
    }
    Ok(())
}
