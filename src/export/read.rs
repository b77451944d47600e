//! Reading an exported (and perhaps edited) file back: XLSX or CSV → the text
//! layout the importer reads (`seeds/wuqia-town-duty-list-2025-07.txt`).
//!
//! Only the file's shape is checked here — the sheets or tables are there, each
//! starts with its header row, no text lies outside a table's columns — and every
//! such problem names its sheet (or CSV line) and row. Everything else (序号,
//! categories, department names, counts) is the importer's to validate.
//!
//! A multi-line cell becomes `<p>line</p> <p>line</p>`, so the importer's cell
//! splitter reads each line as a section, department heading or item again; `&`,
//! `<` and `>` are written as entities, so cell text is never read as markup.

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};
use entity::DutyKind;

use super::csv_file::BOM;
use super::{ExportError, FRONT_SHEET};
use crate::import::text::fold;

/// One non-empty row of a sheet or CSV file.
struct Row {
    /// 1-based row (sheet) or line (CSV) number.
    number: usize,
    /// The cells, from column A.
    cells: Vec<String>,
}

impl Row {
    /// The non-empty cells: (0-based column, text).
    fn filled(&self) -> impl Iterator<Item = (usize, &str)> {
        self.cells
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.trim().is_empty())
            .map(|(i, c)| (i, c.as_str()))
    }
}

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column.
fn column_letter(mut col: usize) -> String {
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

/// A short excerpt of a cell for messages.
fn excerpt(s: &str) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(30).collect();
    if flat.chars().count() > 30 {
        out.push('…');
    }
    out
}

/// A line outside the tables (`说明`): tabs and line breaks become spaces.
fn front_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cell text as markup-free HTML text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A table cell in the document: one line as is, several as `<p>` paragraphs;
/// tabs become spaces.
fn document_cell(text: &str) -> String {
    let lines: Vec<String> = text
        .split(['\n', '\r'])
        .map(|l| escape(&front_line(l)))
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

/// The `说明` rows → document lines: one line a row, in the first column only.
fn front_lines(rows: &[Row], place: &dyn Fn(usize) -> String) -> Result<Vec<String>, ExportError> {
    rows.iter()
        .map(|row| {
            let filled: Vec<(usize, &str)> = row.filled().collect();
            match filled.as_slice() {
                [(0, text)] => Ok(front_line(text)),
                _ => {
                    let (col, text) = filled
                        .iter()
                        .find(|(col, _)| *col > 0)
                        .copied()
                        .unwrap_or((0, ""));
                    Err(ExportError::Format(format!(
                        "{}: the {FRONT_SHEET} part holds one line a row in column A, found `{}` in column {}",
                        place(row.number),
                        excerpt(text),
                        column_letter(col)
                    )))
                }
            }
        })
        .collect()
}

fn check_header(
    kind: DutyKind,
    row: &Row,
    place: &dyn Fn(usize) -> String,
) -> Result<(), ExportError> {
    let expected: Vec<String> = kind.header().iter().map(|h| fold(h)).collect();
    let keep = row
        .cells
        .iter()
        .rposition(|c| !c.trim().is_empty())
        .map_or(0, |i| i + 1);
    let found: Vec<String> = row.cells[..keep].iter().map(|c| fold(c)).collect();
    if found == expected {
        return Ok(());
    }
    Err(ExportError::Format(format!(
        "{}: the header row of the {} table should be `{}`, found `{}`",
        place(row.number),
        kind.table_title(),
        kind.header().join(" | "),
        row.cells[..keep]
            .iter()
            .map(|c| excerpt(c))
            .collect::<Vec<_>>()
            .join(" | ")
    )))
}

/// One table → its title line, header line and rows. `rows` starts with the header
/// row; `title_place` names where the table starts, for a table without rows.
fn table_lines(
    kind: DutyKind,
    rows: &[Row],
    place: &dyn Fn(usize) -> String,
    title_place: &str,
    out: &mut Vec<String>,
) -> Result<(), ExportError> {
    let Some((header, body)) = rows.split_first() else {
        return Err(ExportError::Format(format!(
            "{title_place}: the {} table has no header row (expected `{}`)",
            kind.table_title(),
            kind.header().join(" | ")
        )));
    };
    check_header(kind, header, place)?;
    out.push(kind.table_title().to_owned());
    out.push(kind.header().join("\t"));
    let width = kind.header().len();
    for row in body {
        if row.cells.first().is_some_and(|c| fold(c) == "序号") {
            // A repeated header row (as on every page of the source document).
            check_header(kind, row, place)?;
            continue;
        }
        if let Some((col, text)) = row.filled().find(|(col, _)| *col >= width) {
            return Err(ExportError::Format(format!(
                "{}: `{}` in column {} lies outside the {} columns of the {} table",
                place(row.number),
                excerpt(text),
                column_letter(col),
                width,
                kind.table_title()
            )));
        }
        let cells: Vec<String> = (0..width)
            .map(|i| {
                row.cells
                    .get(i)
                    .map_or_else(String::new, |c| document_cell(c))
            })
            .collect();
        out.push(cells.join("\t"));
    }
    Ok(())
}

fn document(lines: Vec<String>) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// An exported workbook (sheets `说明`, `基本履职事项清单`, `配合履职事项清单`,
/// `上级部门收回事项清单`) → a list document in the importer's text layout.
///
/// Fails with [`ExportError::Unreadable`] when the bytes are not an XLSX workbook,
/// and with [`ExportError::Format`] (naming the sheet and row) when a sheet is
/// missing, a table does not start with its header row, or a cell lies outside
/// the table's columns.
pub fn xlsx_to_document(bytes: &[u8]) -> Result<String, ExportError> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| ExportError::Unreadable(format!("the file is not an XLSX workbook ({e})")))?;
    let names = workbook.sheet_names();
    let mut sheet = |wanted: &str| -> Result<(String, Vec<Row>), ExportError> {
        let name = names
            .iter()
            .find(|n| fold(n) == fold(wanted))
            .ok_or_else(|| {
                ExportError::Format(format!(
                    "the workbook has no sheet `{wanted}` (its sheets: {})",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        let range = workbook
            .worksheet_range(name)
            .map_err(|e| ExportError::Unreadable(format!("sheet `{name}` cannot be read ({e})")))?;
        Ok((name.clone(), sheet_rows(name, &range)?))
    };
    let (front_name, front) = sheet(FRONT_SHEET)?;
    if front.is_empty() {
        return Err(ExportError::Format(format!(
            "sheet `{front_name}` is empty: it should hold the title line, the month, `说 明` and the preamble, one a row in column A"
        )));
    }
    let mut lines = front_lines(&front, &|row| format!("sheet `{front_name}`, row {row}"))?;
    for kind in DutyKind::ALL {
        let (name, rows) = sheet(kind.table_title())?;
        table_lines(
            kind,
            &rows,
            &|row| format!("sheet `{name}`, row {row}"),
            &format!("sheet `{name}`"),
            &mut lines,
        )?;
    }
    Ok(document(lines))
}

/// The non-empty rows of a sheet, with their Excel row numbers.
fn sheet_rows(sheet: &str, range: &Range<Data>) -> Result<Vec<Row>, ExportError> {
    let Some((first_row, first_col)) = range.start() else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for (index, data) in range.rows().enumerate() {
        let number = first_row as usize + index + 1;
        let mut cells = vec![String::new(); first_col as usize];
        for (offset, value) in data.iter().enumerate() {
            let text = match value {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Error(e) => {
                    return Err(ExportError::Format(format!(
                        "sheet `{sheet}`, row {number}, column {}: the cell holds the error {e}",
                        column_letter(first_col as usize + offset)
                    )));
                }
                other => other.to_string(),
            };
            cells.push(text);
        }
        if cells.iter().any(|c| !c.trim().is_empty()) {
            rows.push(Row { number, cells });
        }
    }
    Ok(rows)
}

/// The 1-based line of the record starting at byte `at`, given the offsets of the
/// text's line feeds (csv's own line count is off by one after a CRLF record end).
fn line_of(text: &str, breaks: &[usize], at: usize) -> usize {
    let start = at
        + text
            .get(at..)
            .unwrap_or_default()
            .bytes()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
    breaks.partition_point(|&b| b < start) + 1
}

/// An exported CSV file (the `说明` rows, then each table's title row, header row
/// and rows) → a list document in the importer's text layout.
///
/// Fails with [`ExportError::Unreadable`] when the bytes are not UTF-8 CSV, and with
/// [`ExportError::Format`] (naming the CSV line) when a table is missing or
/// repeated, does not start with its header row, or has a cell outside its columns.
pub fn csv_to_document(bytes: &[u8]) -> Result<String, ExportError> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        ExportError::Unreadable(format!(
            "the file is not UTF-8 CSV (byte {} is not UTF-8; save it as “CSV UTF-8”)",
            bytes.len() - body.len() + e.valid_up_to() + 1
        ))
    })?;
    if text.contains('\0') {
        return Err(ExportError::Unreadable(
            "the file is not a CSV file: it holds NUL bytes".to_owned(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let breaks: Vec<usize> = text.match_indices('\n').map(|(at, _)| at).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| ExportError::Unreadable(format!("the file is not CSV ({e})")))?;
        let number = record
            .position()
            .map_or(0, |p| line_of(text, &breaks, p.byte() as usize));
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if cells.iter().any(|c| !c.trim().is_empty()) {
            rows.push(Row { number, cells });
        }
    }
    let place = |line: usize| format!("CSV line {line}");
    let title = |row: &Row| -> Option<DutyKind> {
        let filled: Vec<(usize, &str)> = row.filled().collect();
        match filled.as_slice() {
            [(0, text)] => DutyKind::ALL
                .into_iter()
                .find(|k| fold(text) == k.table_title()),
            _ => None,
        }
    };
    // Where each table starts: its title row.
    let starts: Vec<(usize, DutyKind)> = rows
        .iter()
        .enumerate()
        .filter_map(|(at, row)| Some((at, title(row)?)))
        .collect();
    let first_table = starts.first().map_or(rows.len(), |(at, _)| *at);
    if first_table == 0 {
        return Err(ExportError::Format(match rows.first() {
            None => "the CSV file is empty".to_owned(),
            Some(row) => format!(
                "{}: the file starts with a table; the {FRONT_SHEET} rows (title line, month, `说 明`, preamble) come first",
                place(row.number)
            ),
        }));
    }
    let mut lines = front_lines(&rows[..first_table], &place)?;
    let mut seen: Vec<(DutyKind, usize)> = Vec::new();
    for (index, &(at, kind)) in starts.iter().enumerate() {
        let start = rows[at].number;
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == kind) {
            return Err(ExportError::Format(format!(
                "{}: a second {} table (the first starts on line {first})",
                place(start),
                kind.table_title()
            )));
        }
        seen.push((kind, start));
        let end = starts.get(index + 1).map_or(rows.len(), |(next, _)| *next);
        table_lines(kind, &rows[at + 1..end], &place, &place(start), &mut lines)?;
    }
    if let Some(missing) = DutyKind::ALL
        .into_iter()
        .find(|k| !seen.iter().any(|(s, _)| s == k))
    {
        return Err(ExportError::Format(format!(
            "the CSV file has no {0} table: a row holding just `{0}`, then its header row `{1}`",
            missing.table_title(),
            missing.header().join(",")
        )));
    }
    Ok(document(lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_in_excel() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn multi_line_cells_become_paragraphs_and_text_stays_text() {
        assert_eq!(document_cell("a\tb"), "a b");
        assert_eq!(
            document_cell("一、甲\r\n1.x<5\n\n2.y & z"),
            "<p>一、甲</p> <p>1.x&lt;5</p> <p>2.y &amp; z</p>"
        );
        assert_eq!(document_cell(" \n "), "");
    }
}
