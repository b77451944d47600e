//! Word and hand-made Excel files of the Wuqia list: the generators of
//! tests/common/office.rs checked on their own (well-formed packages that hold the
//! whole list), then every rendering imported through `prepare_file` to exactly the
//! list of the text document, into both databases, with overrides for what a file
//! lacks, and hostile files refused with clear errors in bounded memory and time.

mod common;

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx as CalamineXlsx};
use common::office::{self, Docx, Xlsx};
use entity::DutyKind;
use lvzhi::import::cell::Piece;

fn docx_variants() -> Vec<Docx> {
    vec![
        Docx::plain(),
        Docx::word_2016(),
        Docx::auto_numbered(),
        Docx::street_office(),
        Docx::township(),
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
        assert_eq!(
            rows,
            172 + expected_tables + 3 * variant.trailing_empty_rows,
            "{}: rows",
            variant.name
        );
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
            variant.markers.contains(&office::Marker::Auto),
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
            let rows = range
                .rows()
                .map(|row| {
                    row.iter()
                        .map(|cell| match cell {
                            Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect();
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
        .chain([Xlsx::sheet_per_table().without_title_and_month()])
    {
        let bytes = variant.render(doc);
        let book = read_workbook(&bytes);
        let names: Vec<&str> = book.iter().map(|(n, _, _)| n.as_str()).collect();
        match variant.layout {
            office::Layout::SheetPerTable => assert_eq!(
                names,
                ["说明", "基本履职事项", "配合履职事项", "收回事项"],
                "{}",
                variant.name
            ),
            office::Layout::Stacked { .. } => {
                assert_eq!(names, ["乌恰镇履职事项清单"], "{}", variant.name);
                let rows = &book[0].1;
                let title = rows
                    .iter()
                    .position(|r| r.iter().any(|c| c == "一、基本履职事项清单"))
                    .expect("a title row");
                let header = &rows[title + 1];
                let at = header.iter().position(|c| c == "序号").unwrap();
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
        let expected = 3
            + front
            + if variant.merge_categories {
                category_runs
            } else {
                0
            };
        assert_eq!(merged, expected, "{}: merged ranges", variant.name);
        // 序号: one cell per duty in the first column of each table, numbers or text.
        let mut seqs = Vec::new();
        for (_, rows, _) in &book {
            let mut kind = None;
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
