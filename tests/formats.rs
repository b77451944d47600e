//! Word and hand-made Excel files of the Wuqia list: the generators of
//! tests/common/office.rs checked on their own (well-formed packages that hold the
//! whole list), then every rendering imported through `prepare_file` to exactly the
//! list of the text document, into both databases, with overrides for what a file
//! lacks, and hostile files refused with clear errors in bounded memory and time.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use calamine::{Reader, Xlsx as CalamineXlsx};
use common::lists::assert_same_list;
use common::office::{self, Docx, Xlsx};
use common::{TestDb, WUQIA, on_each_backend, registry, snapshot, wuqia};
use entity::{
    DutyKind, Party, duty, duty_department, duty_list, item_department, responsibility_item,
};
use lvzhi::import::cell::Piece;
use lvzhi::import::reconcile::Count;
use lvzhi::import::{self, Document, ImportError, Options, Overrides, Prepared, Status};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

on_each_backend!(hostile_files_change_nothing_in_a_seeded_database,);

fn docx_variants() -> Vec<Docx> {
    vec![
        Docx::plain(),
        Docx::word_2016(),
        Docx::auto_numbered(),
        Docx::street_office(),
        Docx::township(),
    ]
}

/// Habits beyond the main variants, each on top of one of them.
fn docx_extras() -> Vec<Docx> {
    vec![
        Docx {
            name: "street_office, title broken over two lines",
            title_break: true,
            ..Docx::street_office()
        },
        Docx {
            name: "word_2016, unaccepted tracked changes",
            tracked_changes: true,
            ..Docx::word_2016()
        },
        Docx {
            name: "auto_numbered, item lines in one paragraph",
            items_in_one_paragraph: true,
            ..Docx::auto_numbered()
        },
        Docx {
            name: "township, header cells on two lines",
            header_breaks: true,
            ..Docx::township()
        },
        Docx {
            name: "word_2016, departments one per paragraph",
            departments_one_per_line: true,
            ..Docx::word_2016()
        },
        Docx {
            name: "auto_numbered, two-character headers spaced out",
            spaced_headers: true,
            ..Docx::auto_numbered()
        },
        Docx {
            name: "township, header rows repeated inside the tables",
            header_every: Some(9),
            ..Docx::township()
        },
        Docx {
            name: "word_2016, empty paragraphs in item cells",
            blank_paragraphs: true,
            ..Docx::word_2016()
        },
        Docx {
            name: "street_office, a tab after each item number",
            tab_after_number: true,
            ..Docx::street_office()
        },
        Docx {
            name: "word_2016, 序号 by Word's automatic numbering",
            auto_numbered_seq: true,
            ..Docx::word_2016()
        },
        Docx {
            name: "plain, the town header with half-width brackets",
            town_header: "乡镇(街道)配合职责",
            ..Docx::plain()
        },
        Docx {
            name: "word_2016, table titles in a merged first row",
            title_in_table: true,
            ..Docx::word_2016()
        },
        Docx {
            name: "auto_numbered, smart tags around dates and measures",
            smart_tags: true,
            ..Docx::auto_numbered()
        },
    ]
}

fn xlsx_variants() -> Vec<Xlsx> {
    vec![
        Xlsx::plain(),
        Xlsx::sheet_per_table(),
        Xlsx::one_sheet(),
        Xlsx::one_sheet_from_column_b(),
    ]
}

/// Habits beyond the main variants, each on top of one of them.
fn xlsx_extras() -> Vec<Xlsx> {
    vec![
        Xlsx {
            name: "one_sheet, header cells on two lines",
            header_breaks: true,
            ..Xlsx::one_sheet()
        },
        Xlsx {
            name: "sheet_per_table, leftover empty sheets",
            leftover_sheets: true,
            ..Xlsx::sheet_per_table()
        },
        Xlsx {
            name: "sheet_per_table, departments one per line",
            departments_one_per_line: true,
            ..Xlsx::sheet_per_table()
        },
        Xlsx {
            name: "one_sheet_from_column_b, two-character headers spaced out",
            spaced_headers: true,
            ..Xlsx::one_sheet_from_column_b()
        },
        Xlsx {
            name: "sheet_per_table, Windows line ends in cells",
            crlf: true,
            ..Xlsx::sheet_per_table()
        },
        Xlsx {
            name: "one_sheet, a space after each item number",
            space_after_number: true,
            ..Xlsx::one_sheet()
        },
        Xlsx {
            name: "sheet_per_table, no title rows",
            title_rows: false,
            ..Xlsx::sheet_per_table()
        },
        Xlsx {
            name: "sheet_per_table, long duties continued on a second row",
            continued_rows: true,
            ..Xlsx::sheet_per_table()
        },
    ]
}

/// Every text the list holds: names, categories, departments as written, sections,
/// headings, items, working methods.
fn list_texts() -> Vec<String> {
    let doc = office::document();
    let mut texts = Vec::new();
    for d in &doc.duties {
        texts.push(d.category.clone());
        texts.push(d.name.clone());
        texts.extend(d.departments.iter().cloned());
        texts.extend(d.working_method.iter().cloned());
        for piece in d.department_cell.iter().chain(&d.town_cell) {
            texts.push(match piece {
                Piece::Section(s) => s.clone(),
                Piece::Heading(names) => format!("{}：", names.join("、")),
                Piece::Item(t) => t.clone(),
            });
        }
    }
    texts
}

/// The text of each paragraph of a WordprocessingML part (the `w:t` runs joined).
fn paragraphs(xml: &str) -> Vec<String> {
    let unescape = |s: &str| {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    };
    xml.split("</w:p>")
        .map(|p| {
            let mut text = String::new();
            for run in p.split("<w:t").skip(1) {
                if !(run.starts_with('>') || run.starts_with(' ')) {
                    continue; // <w:tbl…>, <w:tc…>, <w:tab/>…
                }
                let Some(start) = run.find('>') else { continue };
                let Some(end) = run.find("</w:t>") else {
                    continue;
                };
                text.push_str(&unescape(&run[start + 1..end]));
            }
            text
        })
        .collect()
}

#[test]
fn every_docx_rendering_is_a_well_formed_package_holding_the_whole_list() {
    let doc = office::document();
    let texts = list_texts();
    for variant in docx_variants()
        .into_iter()
        .chain(docx_extras())
        .chain([Docx::word_2016().without_title_and_month()])
    {
        let bytes = variant.render(doc);
        let parts = office::unzip(&bytes);
        let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "word/document.xml",
                "word/_rels/document.xml.rels",
                "word/styles.xml",
                "word/numbering.xml"
            ],
            "{}",
            variant.name
        );
        for (name, data) in &parts {
            let xml = std::str::from_utf8(data).expect("UTF-8 XML");
            office::check_xml(xml).unwrap_or_else(|e| panic!("{} {name}: {e}", variant.name));
        }
        let xml = std::str::from_utf8(&parts[2].1).unwrap();
        let tables = xml.matches("<w:tbl>").count();
        let expected_tables = 3 + usize::from(variant.split_cooperative_after.is_some());
        assert_eq!(tables, expected_tables, "{}", variant.name);
        let rows = xml.matches("<w:tr>").count();
        let repeated_headers: usize = match (variant.header_every, variant.split_cooperative_after)
        {
            (None, _) => 0,
            (Some(n), None) => [81, 70, 21].iter().map(|d| (d - 1) / n).sum(),
            (Some(_), Some(_)) => unimplemented!("repeated headers in a split table"),
        };
        let title_rows = if variant.title_in_table { 3 } else { 0 };
        assert_eq!(
            rows,
            172 + expected_tables + repeated_headers + title_rows + 3 * variant.trailing_empty_rows,
            "{}: rows",
            variant.name
        );
        // Each habit is in the XML.
        for (on, mark) in [
            (variant.tracked_changes, "<w:delText>"),
            (variant.tracked_changes, "<w:ins "),
            (variant.title_break, "</w:t></w:r><w:r><w:br/></w:r>"),
            (
                variant.header_breaks || variant.items_in_one_paragraph,
                "<w:r><w:br/></w:r>",
            ),
            (variant.spaced_headers, "序  号"),
            (variant.tab_after_number, "<w:r><w:tab/></w:r>"),
            (
                variant.contents == office::Contents::Field,
                "<w:sdtContent>",
            ),
            (variant.contents == office::Contents::Field, "PAGEREF"),
            (
                variant.split_cooperative_after.is_some(),
                r#"</w:tbl><w:p><w:r><w:br w:type="page"/></w:r></w:p><w:tbl>"#,
            ),
            (variant.ragged_runs, "<w:proofErr"),
            (variant.smart_tags, r#"w:element="chsdate""#),
            (variant.smart_tags, r#"w:element="chmetcnv""#),
            (
                variant.auto_numbered_seq,
                r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr><w:jc w:val="center"/></w:pPr></w:p></w:tc>"#,
            ),
            (variant.ragged_runs, "<w:bookmarkStart"),
            (variant.repeat_header, "<w:tblHeader/>"),
        ] {
            if on {
                assert!(xml.contains(mark), "{}: {mark}", variant.name);
            }
        }
        let paragraphs = paragraphs(xml);
        let all = paragraphs.join("\n");
        for text in &texts {
            assert!(
                all.contains(text.as_str()),
                "{}: `{text}` is in the document",
                variant.name
            );
        }
        assert_eq!(
            paragraphs.iter().any(|p| p == "乌恰县乌恰镇履职事项清单"),
            variant.title,
            "{}",
            variant.name
        );
        assert_eq!(
            paragraphs.iter().any(|p| p == "2025年7月"),
            variant.month,
            "{}",
            variant.name
        );
        for line in doc.preamble.lines() {
            assert!(
                paragraphs
                    .iter()
                    .any(|p| p.trim_start_matches('\u{3000}') == line),
                "{}: the preamble paragraph `{line}`",
                variant.name
            );
        }
        assert_eq!(
            xml.contains("<w:numPr>"),
            variant.markers.contains(&office::Marker::Auto) && !variant.items_in_one_paragraph
                || variant.auto_numbered_seq,
            "{}",
            variant.name
        );
        assert_eq!(
            xml.contains(r#"<w:vMerge w:val="restart"/>"#),
            variant.merge_categories,
            "{}",
            variant.name
        );
        let numbering = std::str::from_utf8(&parts[5].1).unwrap();
        for id in xml
            .split(r#"<w:numId w:val=""#)
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
        {
            assert!(
                numbering.contains(&format!(r#"<w:num w:numId="{id}">"#)),
                "{}: numId {id} is defined",
                variant.name
            );
        }
    }
}

/// Every sheet of a workbook as rows of cell text (whole numbers without `.0`), with
/// the merged regions of each.
fn read_workbook(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>, usize)> {
    let mut book = CalamineXlsx::new(Cursor::new(bytes)).expect("an XLSX workbook");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).expect("a readable sheet");
            let rows = common::workbook::rows(&range);
            let merged = book
                .merge_cells_by_sheet_name(&name)
                .expect("merged cells")
                .len();
            (name, rows, merged)
        })
        .collect()
}

#[test]
fn every_xlsx_rendering_opens_in_calamine_and_holds_the_whole_list() {
    let doc = office::document();
    let texts = list_texts();
    for variant in xlsx_variants()
        .into_iter()
        .chain(xlsx_extras())
        .chain([Xlsx::sheet_per_table().without_title_and_month()])
    {
        let bytes = variant.render(doc);
        let book = read_workbook(&bytes);
        let names: Vec<&str> = book.iter().map(|(n, _, _)| n.as_str()).collect();
        match variant.layout {
            office::Layout::SheetPerTable => assert_eq!(
                names[..4],
                ["说明", "基本履职事项", "配合履职事项", "收回事项"],
                "{}",
                variant.name
            ),
            office::Layout::Stacked { .. } => {
                assert_eq!(names[0], "乌恰镇履职事项清单", "{}", variant.name);
                let rows = &book[0].1;
                let title = rows
                    .iter()
                    .position(|r| r.iter().any(|c| c == "一、基本履职事项清单"))
                    .expect("a title row");
                let header = &rows[title + 1];
                let at = header
                    .iter()
                    .position(|c| c.split_whitespace().collect::<String>() == "序号")
                    .unwrap();
                assert!(
                    header
                        .iter()
                        .any(|c| c.contains("配合职责") || c.contains("事项名称")),
                    "{}: {header:?}",
                    variant.name
                );
                // Ranges start at the first used cell: column A unused means B comes first.
                assert_eq!(at, 0, "{}: the header starts the range", variant.name);
            }
        }
        let cells: Vec<&String> = book
            .iter()
            .flat_map(|(_, rows, _)| rows.iter().flatten())
            .collect();
        let all = cells
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        for text in &texts {
            assert!(
                all.contains(text.as_str()),
                "{}: `{text}` is in the workbook",
                variant.name
            );
        }
        for line in doc.preamble.lines() {
            assert!(
                cells.iter().any(|c| c.as_str() == line),
                "{}: the preamble paragraph `{line}`",
                variant.name
            );
        }
        assert_eq!(
            cells
                .iter()
                .any(|c| c.as_str() == "乌恰县乌恰镇履职事项清单"),
            variant.title,
            "{}",
            variant.name
        );
        // Each habit is in the cells.
        for (on, mark) in [
            (variant.crlf, "\r\n"),
            (variant.header_breaks, "对应\n上级部门"),
            (variant.spaced_headers, "序  号"),
            (variant.space_after_number, "1、 "),
            (variant.departments_one_per_line, "县委组织部\n乌恰县"),
        ] {
            if on {
                assert!(
                    cells.iter().any(|c| c.contains(mark)),
                    "{}: {mark:?}",
                    variant.name
                );
            }
        }
        if variant.leftover_sheets {
            assert_eq!(names[names.len() - 2..], ["Sheet2", "Sheet3"]);
        }
        let merged: usize = book.iter().map(|(_, _, m)| m).sum();
        let category_runs = doc
            .duties
            .chunk_by(|a, b| a.kind == b.kind && a.category == b.category)
            .filter(|run| run.len() > 1)
            .count();
        let front = match variant.layout {
            office::Layout::SheetPerTable => 0,
            office::Layout::Stacked { .. } => {
                1 + doc.preamble.lines().count() + 2 * usize::from(variant.title)
            }
        };
        let titles = if variant.title_rows { 3 } else { 0 };
        let expected = titles
            + front
            + if variant.merge_categories {
                category_runs
            } else {
                0
            };
        if variant.continued_rows {
            // 序号, 事项名称, 对应上级部门, the blank column (and the category) of each
            // continued duty are merged too.
            assert!(merged > expected + 3, "{}: merged ranges", variant.name);
        } else {
            assert_eq!(merged, expected, "{}: merged ranges", variant.name);
        }
        // 序号: one cell per duty in the first column of each table, numbers or text.
        let mut seqs = Vec::new();
        for (name, rows, _) in &book {
            let mut kind = office::TABLE_SHEETS
                .iter()
                .position(|n| n == name)
                .map(|i| DutyKind::ALL[i]);
            for row in rows {
                let first = row.iter().find(|c| !c.is_empty());
                if let Some(k) = DutyKind::ALL
                    .into_iter()
                    .find(|k| row.iter().any(|c| c.ends_with(k.table_title())))
                {
                    kind = Some(k);
                }
                if let (Some(k), Some(seq)) = (kind, first.and_then(|c| c.parse::<u32>().ok())) {
                    seqs.push((k, seq));
                }
            }
        }
        let expected: Vec<(DutyKind, u32)> = doc.duties.iter().map(|d| (d.kind, d.seq)).collect();
        assert_eq!(seqs, expected, "{}: 序号 of every table", variant.name);
    }
}

#[test]
fn the_crc_of_repeated_bytes_by_doubling_equals_the_crc_byte_by_byte() {
    for n in [0u64, 1, 2, 3, 7, 64, 1000, 4097, 65_537] {
        let direct = office::crc32(&vec![b' '; n as usize]);
        assert_eq!(office::crc32_repeated(b' ', n), direct, "{n} bytes");
    }
    assert_eq!(office::crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn the_zip_bomb_is_a_valid_zip_whose_document_unpacks_to_spaces() {
    // A small stream of the same construction unpacks exactly, checksum included.
    let (data, size) = office::deflate_repeated(b' ', 1000);
    let crc = office::crc32_repeated(b' ', size);
    let small = office::raw_zip(&[office::RawEntry {
        name: "word/document.xml",
        method: 8,
        data: &data,
        crc,
        size: size as u32,
    }]);
    let parts = office::unzip(&small);
    assert_eq!(parts[0].1, vec![b' '; size as usize]);

    let bomb = office::zip_bomb_docx(None);
    assert!(bomb.len() < 3 << 20, "{} bytes", bomb.len());
    let mut archive = zip::ZipArchive::new(Cursor::new(&bomb)).expect("a zip archive");
    let mut document = archive.by_name("word/document.xml").unwrap();
    assert!(document.size() > 299 << 20);
    let mut head = vec![0; 1 << 20];
    document.read_exact(&mut head).unwrap();
    assert!(head.iter().all(|b| *b == b' '));
}

// ---------------------------------------------------------------------------
// Through the reader: prepare_file and import_file
// ---------------------------------------------------------------------------

fn prepare(file_name: &str, bytes: &[u8], options: &Options, what: &str) -> Prepared {
    import::prepare_file(file_name, bytes, registry(), options)
        .unwrap_or_else(|e| panic!("{what} ({file_name}) is refused:\n{e}"))
}

/// A prepared file holds exactly the Wuqia list of the text document, and its report
/// counts what the preamble states.
fn assert_wuqia(prepared: &Prepared, what: &str) {
    assert_same_list(&prepared.list, &wuqia().list, what);
    for (kind, duties, categories, departments) in [
        (DutyKind::Basic, 81, 18, None),
        (DutyKind::Cooperative, 70, 16, Some(34)),
        (DutyKind::Reclaimed, 21, 7, Some(12)),
    ] {
        let row = prepared
            .report
            .rows
            .iter()
            .find(|r| r.kind == kind)
            .unwrap_or_else(|| panic!("{what}: a report row for {}", kind.label()));
        let at = format!("{what}: {}", kind.label());
        assert_eq!(
            row.duties,
            Count {
                parsed: duties,
                stated: Some(duties)
            },
            "{at}: duties"
        );
        assert_eq!(
            row.categories,
            Count {
                parsed: categories,
                stated: Some(categories)
            },
            "{at}: categories"
        );
        if let Some(departments) = departments {
            assert_eq!(
                row.departments,
                Count {
                    parsed: departments,
                    stated: Some(departments)
                },
                "{at}: departments"
            );
        }
    }
    assert_eq!(prepared.report, wuqia().report, "{what}: the report");
    assert_eq!(
        import::store::fingerprint(&prepared.list),
        import::store::fingerprint(&wuqia().list),
        "{what}: the fingerprint"
    );
}

fn docx_prepares_to_the_wuqia_list(variant: Docx, file_name: &str) {
    let bytes = variant.render(office::document());
    let prepared = prepare(file_name, &bytes, &Options::default(), variant.name);
    assert_wuqia(&prepared, &format!("docx {}", variant.name));
}

fn xlsx_prepares_to_the_wuqia_list(variant: Xlsx, file_name: &str) {
    let bytes = variant.render(office::document());
    let prepared = prepare(file_name, &bytes, &Options::default(), variant.name);
    assert_wuqia(&prepared, &format!("xlsx {}", variant.name));
}

#[test]
fn the_wuqia_list_as_a_plain_docx_prepares_to_the_list_of_the_text_document() {
    docx_prepares_to_the_wuqia_list(Docx::plain(), "乌恰镇履职事项清单.docx");
}

#[test]
fn the_wuqia_list_as_a_word_2016_docx_with_every_numbering_style_merged_categories_ragged_runs_and_a_split_table_prepares_to_the_same_list()
 {
    docx_prepares_to_the_wuqia_list(Docx::word_2016(), "乌恰镇履职事项清单.docx");
}

#[test]
fn the_wuqia_list_as_an_auto_numbered_docx_with_reordered_columns_and_two_reclaimed_columns_prepares_to_the_same_list()
 {
    docx_prepares_to_the_wuqia_list(Docx::auto_numbered(), "乌恰镇履职事项清单.docx");
}

#[test]
fn the_wuqia_list_as_a_street_office_docx_with_parenthesised_numbers_and_unmerged_categories_prepares_to_the_same_list()
 {
    docx_prepares_to_the_wuqia_list(Docx::street_office(), "乌恰镇履职事项清单（街道）.docx");
}

#[test]
fn the_wuqia_list_as_a_township_docx_with_unnumbered_items_and_an_upper_case_extension_prepares_to_the_same_list()
 {
    docx_prepares_to_the_wuqia_list(Docx::township(), "乌恰镇履职事项清单（定稿）.DOCX");
}

#[test]
fn the_wuqia_list_as_a_plain_hand_made_xlsx_prepares_to_the_list_of_the_text_document() {
    xlsx_prepares_to_the_wuqia_list(Xlsx::plain(), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn the_wuqia_list_as_an_xlsx_with_a_sheet_per_table_merged_cells_blank_rows_and_a_blank_column_prepares_to_the_same_list()
 {
    xlsx_prepares_to_the_wuqia_list(Xlsx::sheet_per_table(), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn the_wuqia_list_as_an_xlsx_with_every_table_stacked_on_one_sheet_prepares_to_the_same_list() {
    xlsx_prepares_to_the_wuqia_list(Xlsx::one_sheet(), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn the_wuqia_list_as_an_xlsx_on_one_sheet_starting_at_column_b_prepares_to_the_same_list() {
    xlsx_prepares_to_the_wuqia_list(Xlsx::one_sheet_from_column_b(), "乌恰镇履职事项清单.XLSX");
}

fn docx_extra(name: &str) -> Docx {
    docx_extras()
        .into_iter()
        .find(|v| v.name.contains(name))
        .unwrap()
}

fn xlsx_extra(name: &str) -> Xlsx {
    xlsx_extras()
        .into_iter()
        .find(|v| v.name.contains(name))
        .unwrap()
}

#[test]
fn counterpart_departments_one_per_line_of_their_cell_read_like_names_joined_with_commas() {
    docx_prepares_to_the_wuqia_list(docx_extra("departments one per"), "乌恰镇履职事项清单.docx");
    xlsx_prepares_to_the_wuqia_list(xlsx_extra("departments one per"), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn a_docx_title_broken_over_two_lines_by_a_line_break_still_names_county_and_town() {
    docx_prepares_to_the_wuqia_list(docx_extra("title broken"), "乌恰镇履职事项清单.docx");
}

#[test]
fn unaccepted_tracked_changes_read_as_the_text_word_shows_deletions_dropped_insertions_kept() {
    docx_prepares_to_the_wuqia_list(docx_extra("tracked changes"), "乌恰镇履职事项清单.docx");
}

#[test]
fn item_lines_separated_by_line_breaks_within_one_paragraph_read_as_separate_items() {
    docx_prepares_to_the_wuqia_list(docx_extra("one paragraph"), "乌恰镇履职事项清单.docx");
}

#[test]
fn header_cells_broken_over_two_lines_or_spaced_out_are_recognised() {
    docx_prepares_to_the_wuqia_list(docx_extra("header cells"), "乌恰镇履职事项清单.docx");
    xlsx_prepares_to_the_wuqia_list(xlsx_extra("header cells"), "乌恰镇履职事项清单.xlsx");
    docx_prepares_to_the_wuqia_list(docx_extra("spaced out"), "乌恰镇履职事项清单.docx");
    xlsx_prepares_to_the_wuqia_list(xlsx_extra("spaced out"), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn seq_cells_numbered_by_word_automatic_numbering_give_their_numbers() {
    docx_prepares_to_the_wuqia_list(docx_extra("序号 by Word"), "乌恰镇履职事项清单.docx");
}

#[test]
fn the_town_header_with_half_width_brackets_is_recognised() {
    docx_prepares_to_the_wuqia_list(docx_extra("half-width"), "乌恰镇履职事项清单.docx");
}

#[test]
fn workbook_sheets_without_title_rows_are_known_by_their_headers() {
    xlsx_prepares_to_the_wuqia_list(xlsx_extra("no title rows"), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn a_table_title_in_a_merged_first_row_of_the_docx_table_is_recognised() {
    docx_prepares_to_the_wuqia_list(docx_extra("merged first row"), "乌恰镇履职事项清单.docx");
}

#[test]
fn a_long_duty_continued_on_a_second_row_under_merged_cells_reads_as_one_duty() {
    xlsx_prepares_to_the_wuqia_list(xlsx_extra("continued"), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn text_inside_word_smart_tags_such_as_the_month_is_read() {
    docx_prepares_to_the_wuqia_list(docx_extra("smart tags"), "乌恰镇履职事项清单.docx");
}

#[test]
fn header_rows_repeated_inside_a_docx_table_are_skipped() {
    docx_prepares_to_the_wuqia_list(
        docx_extra("header rows repeated"),
        "乌恰镇履职事项清单.docx",
    );
}

#[test]
fn empty_paragraphs_between_the_lines_of_a_docx_cell_are_ignored() {
    docx_prepares_to_the_wuqia_list(docx_extra("empty paragraphs"), "乌恰镇履职事项清单.docx");
}

#[test]
fn a_tab_or_a_space_between_an_item_number_and_its_text_is_not_part_of_the_text() {
    docx_prepares_to_the_wuqia_list(docx_extra("a tab after"), "乌恰镇履职事项清单.docx");
    xlsx_prepares_to_the_wuqia_list(xlsx_extra("a space after"), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn windows_line_ends_in_workbook_cells_separate_lines_like_plain_ones() {
    xlsx_prepares_to_the_wuqia_list(xlsx_extra("Windows line ends"), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn the_empty_sheets_a_workbook_starts_with_are_ignored() {
    xlsx_prepares_to_the_wuqia_list(xlsx_extra("leftover"), "乌恰镇履职事项清单.xlsx");
}

#[test]
fn a_word_or_excel_file_without_an_extension_is_known_by_its_bytes() {
    docx_prepares_to_the_wuqia_list(Docx::word_2016(), "乌恰镇履职事项清单");
    xlsx_prepares_to_the_wuqia_list(Xlsx::sheet_per_table(), "乌恰镇履职事项清单");
    docx_prepares_to_the_wuqia_list(Docx::plain(), "download.bin");
}

// --- overrides -------------------------------------------------------------

fn wuqia_overrides() -> Options {
    Options {
        allow_mismatch: false,
        overrides: Overrides {
            county: Some("乌恰县".to_owned()),
            town: Some("乌恰镇".to_owned()),
            published: Some("2025-07".to_owned()),
        },
        ..Options::default()
    }
}

#[test]
fn a_docx_or_xlsx_without_title_and_month_imports_with_county_town_and_month_given_as_overrides() {
    let variant = Docx::word_2016().without_title_and_month();
    let bytes = variant.render(office::document());
    let prepared = prepare(
        "清单.docx",
        &bytes,
        &wuqia_overrides(),
        "docx without title",
    );
    assert_wuqia(&prepared, "docx without title and month, with overrides");

    let variant = Xlsx::sheet_per_table().without_title_and_month();
    let bytes = variant.render(office::document());
    let prepared = prepare(
        "清单.xlsx",
        &bytes,
        &wuqia_overrides(),
        "xlsx without title",
    );
    assert_wuqia(&prepared, "xlsx without title and month, with overrides");
}

/// The error's text, lower case, and whether it names the town or county, and
/// whether it names the month.
fn names_missing(error: &ImportError) -> (String, bool, bool) {
    let text = error.to_string().to_lowercase();
    let place = ["town", "county"].iter().any(|w| text.contains(w));
    let month = ["month", "published"].iter().any(|w| text.contains(w));
    (text, place, month)
}

#[test]
fn a_docx_or_xlsx_without_title_and_month_is_refused_without_overrides_with_an_error_naming_what_is_missing()
 {
    for (name, bytes) in [
        (
            "清单.docx",
            Docx::word_2016()
                .without_title_and_month()
                .render(office::document()),
        ),
        (
            "清单.xlsx",
            Xlsx::sheet_per_table()
                .without_title_and_month()
                .render(office::document()),
        ),
    ] {
        let error = import::prepare_file(name, &bytes, registry(), &Options::default())
            .err()
            .unwrap_or_else(|| panic!("{name} without title and month is refused"));
        assert!(
            matches!(error, ImportError::Malformed(_)),
            "{name}: Malformed, found {error:?}"
        );
        let (text, place, month) = names_missing(&error);
        assert!(
            place && month,
            "{name}: the error names the town and the month: {text}"
        );

        // Only the town given: the month is still missing, and named.
        let town_only = Options {
            overrides: Overrides {
                county: Some("乌恰县".to_owned()),
                town: Some("乌恰镇".to_owned()),
                published: None,
            },
            ..Options::default()
        };
        let error = import::prepare_file(name, &bytes, registry(), &town_only)
            .err()
            .unwrap_or_else(|| panic!("{name} without a month is refused"));
        let (text, _, month) = names_missing(&error);
        assert!(month, "{name}: the error names the month: {text}");
    }
}

#[test]
fn overrides_naming_an_unknown_county_or_no_month_are_refused_with_what_is_wrong() {
    let bytes = Docx::word_2016()
        .without_title_and_month()
        .render(office::document());
    let mut options = wuqia_overrides();
    options.overrides.published = Some("2025-13".to_owned());
    let Err(error) = import::prepare_file("清单.docx", &bytes, registry(), &options) else {
        panic!("a 13th month is refused");
    };
    let text = error.to_string();
    assert!(
        text.contains("2025-13"),
        "the error quotes the month: {text}"
    );

    let mut options = wuqia_overrides();
    options.overrides.county = Some("不存在县".to_owned());
    let Err(error) = import::prepare_file("清单.docx", &bytes, registry(), &options) else {
        panic!("an unknown county is refused");
    };
    let text = error.to_string();
    assert!(
        matches!(error, ImportError::UnknownCounty(_)) && text.contains("不存在县"),
        "an unknown county, named: {error:?}"
    );
}

#[test]
fn a_docx_with_a_title_but_no_month_needs_only_the_published_override() {
    let variant = Docx {
        name: "word_2016 without month",
        month: false,
        ..Docx::word_2016()
    };
    let bytes = variant.render(office::document());
    let Err(error) = import::prepare_file("清单.docx", &bytes, registry(), &Options::default())
    else {
        panic!("a docx without a month is refused");
    };
    let (text, _, month) = names_missing(&error);
    assert!(month, "the error names the month: {text}");
    let options = Options {
        overrides: Overrides {
            published: Some("2025-07".to_owned()),
            ..Overrides::default()
        },
        ..Options::default()
    };
    let prepared = prepare("清单.docx", &bytes, &options, variant.name);
    assert_wuqia(&prepared, "docx without month, with the published override");
}

// --- into the database -----------------------------------------------------

/// What one department is given by a stored list: its cooperations (duty, its
/// items, the town's, its partners) and its reclaimed duties.
#[derive(Debug, Default, PartialEq)]
struct DepartmentView {
    cooperations: Vec<Cooperation>,
    reclaimed: Vec<Reclaim>,
}

/// (序号, name, category, 工作方式, the other receiving departments).
type Reclaim = (i32, String, String, Option<String>, Vec<String>);

/// (序号, name, category, the department's items, the town's items, partners);
/// items as (position, section, text).
type Cooperation = (
    i32,
    String,
    String,
    Vec<(i32, Option<String>, String)>,
    Vec<(i32, Option<String>, String)>,
    Vec<String>,
);

async fn department_views(db: &DatabaseConnection) -> BTreeMap<String, DepartmentView> {
    let names = common::department_names(db).await;
    let categories = common::category_names(db).await;
    let duties = duty::Entity::find()
        .order_by_asc(duty::Column::Kind)
        .order_by_asc(duty::Column::Seq)
        .all(db)
        .await
        .unwrap();
    let mut counterparts: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in duty_department::Entity::find()
        .order_by_asc(duty_department::Column::Position)
        .all(db)
        .await
        .unwrap()
    {
        counterparts
            .entry(link.duty_id)
            .or_default()
            .push(link.department_id);
    }
    let mut attributed: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in item_department::Entity::find().all(db).await.unwrap() {
        attributed
            .entry(link.item_id)
            .or_default()
            .push(link.department_id);
    }
    let mut items: HashMap<i32, Vec<responsibility_item::Model>> = HashMap::new();
    for item in responsibility_item::Entity::find()
        .order_by_asc(responsibility_item::Column::Position)
        .all(db)
        .await
        .unwrap()
    {
        items.entry(item.duty_id).or_default().push(item);
    }
    let mut views: BTreeMap<String, DepartmentView> = BTreeMap::new();
    for duty in &duties {
        let departments = counterparts.get(&duty.id).cloned().unwrap_or_default();
        for &department in &departments {
            let partners: Vec<String> = departments
                .iter()
                .filter(|&&d| d != department)
                .map(|d| names[d].clone())
                .collect();
            let view = views.entry(names[&department].clone()).or_default();
            let side = |party: Party, only: Option<i32>| -> Vec<(i32, Option<String>, String)> {
                items
                    .get(&duty.id)
                    .into_iter()
                    .flatten()
                    .filter(|i| i.party == party)
                    .filter(|i| {
                        only.is_none_or(|d| attributed.get(&i.id).is_some_and(|ds| ds.contains(&d)))
                    })
                    .map(|i| (i.position, i.section.clone(), i.text.clone()))
                    .collect()
            };
            match duty.kind {
                DutyKind::Cooperative => view.cooperations.push((
                    duty.seq,
                    duty.name.clone(),
                    categories[&duty.category_id].clone(),
                    side(Party::Department, Some(department)),
                    side(Party::Town, None),
                    partners,
                )),
                DutyKind::Reclaimed => view.reclaimed.push((
                    duty.seq,
                    duty.name.clone(),
                    categories[&duty.category_id].clone(),
                    duty.working_method.clone(),
                    partners,
                )),
                DutyKind::Basic => {}
            }
        }
    }
    views
}

async fn fingerprints(db: &DatabaseConnection) -> Vec<String> {
    duty_list::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.fingerprint)
        .collect()
}

/// The Word and Excel files imported into `file_db` give every department what the
/// text gives it in `text_db`; imported after the text, they change nothing.
async fn office_files_import_like_the_text(text_db: TestDb, file_db: TestDb) {
    let backend = text_db.backend;
    let doc = office::document();
    let docx = Docx::word_2016().render(doc);
    let xlsx = Xlsx::sheet_per_table().render(doc);
    let options = Options::default();

    let text = import::import(&text_db.db, WUQIA, registry(), false)
        .await
        .expect("the text imports");
    assert_eq!(text.status, Status::Created);

    let from_docx = import::import_file(
        &file_db.db,
        "乌恰镇履职事项清单.docx",
        &docx,
        registry(),
        &options,
    )
    .await
    .unwrap_or_else(|e| panic!("{backend}: the docx imports:\n{e}"));
    assert_eq!(from_docx.status, Status::Created, "{backend}");
    assert_eq!(from_docx.report, text.report, "{backend}: the report");
    let expected = department_views(&text_db.db).await;
    let involved: BTreeSet<usize> = wuqia()
        .list
        .duties
        .iter()
        .flat_map(|d| d.departments.iter().copied())
        .collect();
    assert_eq!(
        expected.len(),
        involved.len(),
        "{backend}: departments involved"
    );
    let found = department_views(&file_db.db).await;
    for (name, view) in &expected {
        assert_eq!(
            found.get(name),
            Some(view),
            "{backend}: {name}, imported from the docx"
        );
    }
    assert_eq!(found.len(), expected.len(), "{backend}");
    assert_eq!(
        fingerprints(&file_db.db).await,
        fingerprints(&text_db.db).await,
        "{backend}"
    );

    let from_xlsx = import::import_file(
        &file_db.db,
        "乌恰镇履职事项清单.xlsx",
        &xlsx,
        registry(),
        &options,
    )
    .await
    .unwrap_or_else(|e| panic!("{backend}: the xlsx imports:\n{e}"));
    assert_eq!(
        (from_xlsx.status, from_xlsx.list_id),
        (Status::Unchanged, from_docx.list_id),
        "{backend}: the xlsx after the docx"
    );

    let before = snapshot(&text_db.db).await;
    for (name, bytes) in [
        ("乌恰镇履职事项清单.docx", &docx),
        ("乌恰镇履职事项清单.xlsx", &xlsx),
    ] {
        let again = import::import_file(&text_db.db, name, bytes, registry(), &options)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {name} imports:\n{e}"));
        assert_eq!(
            (again.status, again.list_id),
            (Status::Unchanged, text.list_id),
            "{backend}: {name} after the text"
        );
    }
    assert_eq!(
        snapshot(&text_db.db).await,
        before,
        "{backend}: nothing changed"
    );
}

#[tokio::test]
async fn word_and_excel_files_give_every_department_the_cooperations_of_the_text_import_sqlite() {
    office_files_import_like_the_text(TestDb::sqlite().await, TestDb::sqlite().await).await;
}

#[tokio::test]
async fn word_and_excel_files_give_every_department_the_cooperations_of_the_text_import_postgres() {
    let Some(url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!(
            "SKIPPED: TEST_DATABASE_URL is not set, so the PostgreSQL import of Word and Excel files is not tested"
        );
        return;
    };
    office_files_import_like_the_text(TestDb::postgres(&url).await, TestDb::postgres(&url).await)
        .await;
}

// --- hostile files ---------------------------------------------------------

/// One hostile file and what its refusal must say.
struct Hostile {
    what: &'static str,
    file_name: &'static str,
    /// Unreadable (true), or either Unreadable or Malformed (false).
    unreadable: bool,
    /// The error's text must contain one word of each group (case-insensitive).
    says: &'static [&'static [&'static str]],
    make: fn() -> Vec<u8>,
}

const MIB: u64 = 1 << 20;

/// A document with a 10 MB 事项名称 at basic 序号 5.
fn long_cell_document() -> Document {
    let mut doc = office::document().clone();
    let duty = doc
        .duties
        .iter_mut()
        .find(|d| d.kind == DutyKind::Basic && d.seq == 5)
        .unwrap();
    duty.name = "做好".repeat(10_000_000 / 6);
    doc
}

/// A document of 100,000 basic duties (short ones: the table is long, not large).
fn hundred_thousand_rows() -> Document {
    let mut doc = office::document().clone();
    let mut template = doc.duties[0].clone();
    template.name = "做好工作".to_owned();
    doc.duties = (1..=100_000)
        .map(|seq| {
            let mut duty = template.clone();
            duty.seq = seq;
            duty
        })
        .collect();
    doc
}

fn hostile_cases() -> Vec<Hostile> {
    vec![
        Hostile {
            what: "random bytes named .docx",
            file_name: "清单.docx",
            unreadable: true,
            says: &[&["zip", "word", "docx"]],
            make: || office::random_bytes(64 << 10, 7),
        },
        Hostile {
            what: "random bytes named .xlsx",
            file_name: "清单.xlsx",
            unreadable: true,
            says: &[&["zip", "workbook", "xlsx", "excel"]],
            make: || office::random_bytes(64 << 10, 8),
        },
        Hostile {
            what: "a zip that is not a Word document",
            file_name: "清单.docx",
            unreadable: true,
            says: &[&["word", "docx"], &["document.xml"]],
            make: || office::zip_package(&[("readme.txt", "乌恰镇履职事项清单".as_bytes())], true),
        },
        Hostile {
            what: "a zip that is not a workbook",
            file_name: "清单.xlsx",
            unreadable: true,
            says: &[&["workbook", "xlsx", "excel"]],
            make: || office::zip_package(&[("readme.txt", "乌恰镇履职事项清单".as_bytes())], true),
        },
        Hostile {
            what: "a zip bomb (word/document.xml unpacks to 300 MiB of spaces)",
            file_name: "清单.docx",
            unreadable: true,
            says: &[&["unpack"], &["more than"]],
            make: || office::zip_bomb_docx(None),
        },
        Hostile {
            what: "a zip bomb whose headers state 4 KiB",
            file_name: "清单.docx",
            unreadable: true,
            says: &[
                &["unpack", "larger than", "damaged"],
                &["document.xml", "more than"],
            ],
            make: || office::zip_bomb_docx(Some(4096)),
        },
        Hostile {
            what: "a docx cell of 10 MB",
            file_name: "清单.docx",
            unreadable: false,
            says: &[&["table 1, row 6, column 3"], &["32767", "32,767"]],
            make: || Docx::plain().render_with(&long_cell_document(), true),
        },
        Hostile {
            what: "an xlsx cell of 10 MB",
            file_name: "清单.xlsx",
            unreadable: false,
            says: &[
                &["sheet `基本履职事项`, row 7, column c"],
                &["32767", "32,767"],
            ],
            make: || {
                let bytes = Xlsx::plain()
                    .render_with(office::document(), |sheet, kind| {
                        if kind == DutyKind::Basic {
                            sheet.write_string(6, 2, "LVZHI-LONG-CELL")?;
                        }
                        Ok(())
                    })
                    .unwrap();
                let long = "做好".repeat(10_000_000 / 6);
                office::replace_in_part(
                    &bytes,
                    "xl/sharedStrings.xml",
                    "LVZHI-LONG-CELL",
                    &long,
                    true,
                )
            },
        },
        Hostile {
            what: "a docx table of 100,000 rows",
            file_name: "清单.docx",
            unreadable: false,
            says: &[&["table 1"], &["20000", "20,000"], &["rows"]],
            make: || {
                Docx {
                    compact: true,
                    ..Docx::plain()
                }
                .render_with(&hundred_thousand_rows(), true)
            },
        },
        Hostile {
            what: "an xlsx sheet of 100,000 rows",
            file_name: "清单.xlsx",
            unreadable: false,
            says: &[&["sheet `基本履职事项`"], &["20000", "20,000"], &["rows"]],
            make: || Xlsx::plain().render(&hundred_thousand_rows()),
        },
        Hostile {
            what: "序号 as formulas (=A3+1) without cached values",
            file_name: "清单.xlsx",
            unreadable: false,
            says: &[&["sheet `基本履职事项`, row 4, column a"], &["formula"]],
            make: || {
                Xlsx::plain()
                    .render_with(office::document(), |sheet, kind| {
                        if kind == DutyKind::Basic {
                            sheet.set_formula_result_default("");
                            // 序号 2 is on row 4 (title, header, 序号 1 above it).
                            for row in 3..=82u32 {
                                sheet.write_formula(row, 0, format!("=A{row}+1").as_str())?;
                            }
                        }
                        Ok(())
                    })
                    .unwrap()
            },
        },
        Hostile {
            what: "a docx cut in half",
            file_name: "清单.docx",
            unreadable: true,
            says: &[&["zip", "word", "docx", "truncated"]],
            make: || {
                let bytes = Docx::word_2016().render(office::document());
                bytes[..bytes.len() / 2].to_vec()
            },
        },
        Hostile {
            what: "an xlsx cut in half",
            file_name: "清单.xlsx",
            unreadable: true,
            says: &[&["zip", "workbook", "xlsx", "excel", "truncated"]],
            make: || {
                let bytes = Xlsx::sheet_per_table().render(office::document());
                bytes[..bytes.len() / 2].to_vec()
            },
        },
        Hostile {
            what: "an empty file named .docx",
            file_name: "清单.docx",
            unreadable: true,
            says: &[&["zip", "word", "docx", "empty"]],
            make: Vec::new,
        },
    ]
}

/// Every hostile file with its bytes, made once per test binary.
fn hostile_files() -> &'static [(Hostile, Vec<u8>)] {
    static FILES: OnceLock<Vec<(Hostile, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        hostile_cases()
            .into_iter()
            .map(|case| {
                let bytes = (case.make)();
                (case, bytes)
            })
            .collect()
    })
}

/// The refusal of a hostile file, checked: its variant and what its text says.
/// Returns the start of the message.
fn check_refusal(case: &Hostile, result: Result<Prepared, ImportError>) -> String {
    let error = match result {
        Ok(_) => panic!("{}: accepted", case.what),
        Err(e) => e,
    };
    let text = error.to_string();
    let excerpt: String = text.chars().take(2000).collect();
    let kind_ok = match &error {
        ImportError::Unreadable(_) => true,
        ImportError::Malformed(_) => !case.unreadable,
        _ => false,
    };
    assert!(
        kind_ok,
        "{}: refused as {} (expected Unreadable{}):\n{excerpt}",
        case.what,
        format!("{error:?}").chars().take(200).collect::<String>(),
        if case.unreadable { "" } else { " or Malformed" },
    );
    let lower = text.to_lowercase();
    for group in case.says {
        assert!(
            group.iter().any(|w| lower.contains(&w.to_lowercase())),
            "{}: the error says one of {group:?}:\n{excerpt}",
            case.what,
        );
    }
    assert!(
        text.len() < 20_000,
        "{}: the error is {} bytes long (it should not echo the file)",
        case.what,
        text.len()
    );
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(2)
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" / ")
}

/// A field of /proc/self/status in bytes (Linux): `VmRSS`, `VmHWM`.
fn memory(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Set this variable to `<case index>:<file>` to refuse one hostile file and measure it.
const HOSTILE_CHILD: &str = "LVZHI_FORMATS_HOSTILE_CHILD";
const HOSTILE_TEST: &str = "hostile_files_are_refused_with_clear_errors_in_bounded_memory_and_time";

/// In a child process: refuse one hostile file read from disk, and check the error,
/// the time and the growth of resident memory (the peak over the resident size
/// before, with nothing else running in the process).
fn refuse_one_hostile_file(spec: &str) {
    let (index, path) = spec.split_once(':').expect("<index>:<path>");
    let case = &hostile_cases()[index.parse::<usize>().expect("a case index")];
    let bytes = std::fs::read(path).expect("the hostile file");
    let _ = registry();
    let _ = std::fs::write("/proc/self/clear_refs", "5"); // resets VmHWM where allowed
    let before = memory("VmRSS:");
    let started = Instant::now();
    let result = import::prepare_file(case.file_name, &bytes, registry(), &Options::default());
    let elapsed = started.elapsed();
    let peak = memory("VmHWM:");
    let summary = check_refusal(case, result);
    assert!(
        elapsed < Duration::from_secs(60),
        "{}: refused after {elapsed:?}",
        case.what
    );
    let grown = match (before, peak) {
        (Some(before), Some(peak)) => {
            let grown = peak.saturating_sub(before);
            assert!(
                grown < 200 * MIB,
                "{}: resident memory grew by {} MiB while refusing a {} KiB file",
                case.what,
                grown / MIB,
                bytes.len() >> 10
            );
            format!("+{} MiB", grown / MIB)
        }
        _ => "memory not measured".to_owned(),
    };
    println!(
        "HOSTILE {}: refused in {elapsed:.1?}, {grown}: {summary}",
        case.what
    );
}

#[test]
fn hostile_files_are_refused_with_clear_errors_in_bounded_memory_and_time() {
    if let Ok(spec) = std::env::var(HOSTILE_CHILD) {
        refuse_one_hostile_file(&spec);
        return;
    }
    // Each file is refused in a child process of its own, which reads it from disk
    // and measures itself: no other test, and not the making of the file, counts.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut failures = Vec::new();
    for (index, (case, bytes)) in hostile_files().iter().enumerate() {
        let path = dir.path().join(format!("hostile-{index}"));
        std::fs::write(&path, bytes).expect("write the hostile file");
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([HOSTILE_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(HOSTILE_CHILD, format!("{index}:{}", path.display()))
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        match stdout.lines().find(|l| l.contains("HOSTILE ")) {
            Some(line) if output.status.success() && stdout.contains("1 passed") => {
                println!("{}", &line[line.find("HOSTILE ").unwrap() + 8..]);
            }
            _ => {
                let panic: Vec<&str> = stderr
                    .lines()
                    .skip_while(|l| !l.contains("panicked"))
                    .take_while(|l| !l.starts_with("stack backtrace") && !l.starts_with("note:"))
                    .collect();
                failures.push(format!("{}:\n{}", case.what, panic.join("\n")));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

async fn hostile_files_change_nothing_in_a_seeded_database(test: TestDb) {
    test.seed().await;
    let before = snapshot(&test.db).await;
    for (case, bytes) in hostile_files() {
        let result = import::import_file(
            &test.db,
            case.file_name,
            bytes,
            registry(),
            &Options::default(),
        )
        .await;
        assert!(result.is_err(), "{}: {} accepted", test.backend, case.what);
        assert_eq!(
            snapshot(&test.db).await,
            before,
            "{}: {} changed the database",
            test.backend,
            case.what
        );
    }
}

/// Run the `lvzhi` binary with a fresh SQLite database, in an empty directory.
fn lvzhi(args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lvzhi"))
        .args(args)
        .current_dir(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
        )
        .env("LVZHI_LOG", "warn")
        .env_remove("LVZHI_DEPARTMENTS")
        .output()
        .expect("lvzhi runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn the_import_command_takes_town_county_and_month_for_a_word_document_that_lacks_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("乌恰镇.docx");
    std::fs::write(
        &file,
        Docx::word_2016()
            .without_title_and_month()
            .render(office::document()),
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let (ok, text) = lvzhi(&["import", "--dry-run", file]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("give them with --county and --town"),
        "{text}"
    );
    assert!(text.contains("--published YYYY-MM"), "{text}");

    let (ok, text) = lvzhi(&[
        "import",
        "--dry-run",
        "--county",
        "乌恰县",
        "--town",
        "乌恰镇",
        "--published",
        "2025-07",
        file,
    ]);
    assert!(ok, "{text}");
    assert!(
        text.contains("| 配合履职事项 | 70 = 70 | 16 = 16 | 34 = 34 |"),
        "{text}"
    );
    assert!(text.contains("valid; nothing written (dry run)"), "{text}");

    // A wrong override is refused before any file is read.
    let (ok, text) = lvzhi(&["import", "--published", "2025-13", "/nonexistent.docx"]);
    assert!(!ok);
    assert!(
        text.contains("--published: `2025-13` is not a month"),
        "{text}"
    );
    assert!(!text.contains("nonexistent"), "{text}");
}

/// Pieces Word documents are made of, for generating hostile ones.
fn word_piece() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop::sample::select(vec![
        "<w:p>",
        "</w:p>",
        "<w:tbl>",
        "</w:tbl>",
        "<w:tr>",
        "</w:tr>",
        "<w:tc>",
        "</w:tc>",
        "<w:tcPr><w:vMerge/></w:tcPr>",
        "<w:tcPr><w:vMerge w:val=\"restart\"/></w:tcPr>",
        "<w:tcPr><w:gridSpan w:val=\"999999\"/></w:tcPr>",
        "<w:trPr><w:gridBefore w:val=\"4000000000\"/></w:trPr>",
        "<w:pPr><w:numPr><w:ilvl w:val=\"4294967295\"/><w:numId w:val=\"1\"/></w:numPr></w:pPr>",
        "<w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"2\"/></w:numPr></w:pPr>",
        "<w:pPr><w:pStyle w:val=\"List\"/></w:pPr>",
        "<w:r><w:t>",
        "</w:t></w:r>",
        "<w:br/>",
        "<w:tab/>",
        "序号",
        "事项类别",
        "事项名称",
        "对应上级部门",
        "上级部门职责",
        "乡镇配合职责",
        "承接部门",
        "工作方式",
        "1",
        "2",
        "党的建设",
        "乌恰县乌恰镇履职事项清单",
        "2025年7月",
        "说明",
        "一、基本履职事项清单",
        "县住建局：",
        "1.",
        "（一）",
        "&amp;",
        "&#x4E00;",
        "&#0;",
        "&bogus;",
        "<w:drawing>",
        "</w:drawing>",
    ])
    .prop_map(str::to_owned)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    #[test]
    fn a_word_document_of_any_structure_reads_as_a_list_or_an_error_never_a_panic(
        pieces in proptest::collection::vec(word_piece(), 0..120),
        start in proptest::prelude::any::<u32>(),
        format in proptest::sample::select(vec!["decimal", "lowerLetter", "upperRoman", "chineseCounting", "decimalEnclosedCircle", "bullet", "ordinal"]),
    ) {
        let document = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{}</w:body></w:document>"#,
            pieces.concat()
        );
        let numbering = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="{start}"/><w:numFmt w:val="{format}"/><w:lvlText w:val="%1.%2%9"/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start}"/></w:lvlOverride></w:num></w:numbering>"#
        );
        let styles = r#"<?xml version="1.0"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:styleId="List"><w:pPr><w:numPr><w:ilvl w:val="99"/><w:numId w:val="2"/></w:numPr></w:pPr></w:style></w:styles>"#;
        let bytes = office::zip_package(
            &[
                ("word/document.xml", document.as_bytes()),
                ("word/numbering.xml", numbering.as_bytes()),
                ("word/styles.xml", styles.as_bytes()),
            ],
            true,
        );
        let _ = import::prepare_file("list.docx", &bytes, registry(), &Options::default());
    }
}
