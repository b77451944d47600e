//! A CSV file (lvzhi's own export, or a sheet saved as CSV) → [`Block`]s, as one
//! sheet without merged cells. UTF-8 only, with or without a BOM: an older Excel
//! saves CSV in GBK, and the message says how to save it as “CSV UTF-8”.

use super::ImportError;
use super::layout::{self, Block, Cell, ColumnNames, MAX_ROWS, Row};

/// The byte-order mark Excel writes at the start of a UTF-8 CSV file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Read a CSV file.
pub fn blocks(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        ImportError::Unreadable(format!(
            "the file is not UTF-8 CSV (byte {} is not UTF-8; save it as “CSV UTF-8”)",
            bytes.len() - body.len() + e.valid_up_to() + 1
        ))
    })?;
    if text.contains('\0') {
        return Err(ImportError::Unreadable(
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
            record.map_err(|e| ImportError::Unreadable(format!("the file is not CSV ({e})")))?;
        let number = record
            .position()
            .map_or(0, |p| line_of(text, &breaks, p.byte() as usize));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() >= MAX_ROWS {
            return Err(ImportError::Unreadable(format!(
                "the CSV file has more than {MAX_ROWS} rows; a duty list has hundreds"
            )));
        }
        rows.push(Row {
            place: format!("CSV line {number}"),
            cells: record.iter().map(Cell::text).collect(),
            columns: ColumnNames::Numbers,
        });
    }
    let mut out = Vec::new();
    layout::sheet_blocks(None, rows, &mut out);
    Ok(out)
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
