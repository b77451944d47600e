//! The CSV writer: the list workbook's content in one file, for spreadsheets and
//! scripts that do not read XLSX.
//!
//! UTF-8 with a byte order mark (so Excel reads the Chinese text as UTF-8), RFC 4180
//! quoting and CRLF record ends; a multi-line cell is quoted and keeps its `\n`s.

use csv::{Terminator, WriterBuilder};
use entity::DutyKind;

use super::ExportError;
use super::layout::{self, Value};
use super::load::ListData;
use crate::import::csv::BOM;

/// The list as CSV: `说明` rows, then each table's title row, header row and rows.
pub(super) fn list(data: &ListData) -> Result<Vec<u8>, ExportError> {
    let write_error = |e: csv::Error| ExportError::Write(e.to_string());
    let mut writer = WriterBuilder::new()
        .flexible(true)
        .terminator(Terminator::CRLF)
        .from_writer(BOM.to_vec());
    for line in data.front_lines() {
        writer.write_record([line]).map_err(write_error)?;
    }
    for table in layout::tables(data) {
        let kind: DutyKind = table.kind;
        writer
            .write_record([kind.table_title()])
            .map_err(write_error)?;
        writer.write_record(kind.header()).map_err(write_error)?;
        for row in &table.rows {
            writer
                .write_record(row.iter().map(Value::text))
                .map_err(write_error)?;
        }
    }
    writer
        .into_inner()
        .map_err(|e| ExportError::Write(e.to_string()))
}
