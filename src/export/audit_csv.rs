//! The audit log as CSV, for `GET /export/audit.csv` and `lvzhi audit export`:
//! UTF-8 with a byte order mark (so Excel reads Chinese text as UTF-8), a
//! header row, RFC 4180 quoting and CRLF record ends, newest row first.
//!
//! Written as a stream of chunks, one keyset page of the log each, so an
//! export of any length holds one page in memory and starts at once.

use csv::{Terminator, WriterBuilder};
use entity::audit_event;
use futures_util::Stream;
use sea_orm::DatabaseConnection;

use super::ExportError;
use crate::domain::audit::{self, AuditFilter};
use crate::import::csv::BOM;

/// The header row: the columns of the log, named as in the table.
pub const HEADER: [&str; 13] = [
    "id",
    "at",
    "actor",
    "role",
    "client",
    "request_id",
    "operation",
    "target",
    "before_digest",
    "after_digest",
    "result",
    "document_number",
    "detail",
];

/// Rows per chunk (one statement each).
const CHUNK_ROWS: usize = 500;

/// One row's cells, in the order of [`HEADER`]; `at` as an ISO-8601 instant.
fn cells(row: &audit_event::Model) -> [String; 13] {
    let text = |value: &Option<String>| inert(value.as_deref().unwrap_or_default());
    [
        row.id.to_string(),
        audit::instant_text(row.at),
        inert(&row.actor),
        text(&row.role),
        text(&row.client),
        text(&row.request_id),
        row.operation.clone(),
        inert(&row.target),
        text(&row.before_digest),
        text(&row.after_digest),
        row.result.clone(),
        text(&row.document_number),
        text(&row.detail),
    ]
}

/// Free text (a token's or a file's name, a message) as a spreadsheet shows
/// it and never runs it: a cell starting like a formula (`=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a leading `'`, as OWASP advises against
/// CSV injection.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// `rows` as CSV records; the `first` chunk starts with the BOM and header row.
fn records(first: bool, rows: &[audit_event::Model]) -> Result<Vec<u8>, ExportError> {
    let write_error = |e: csv::Error| ExportError::Write(e.to_string());
    let prefix: &[u8] = if first { BOM } else { b"" };
    let mut writer = WriterBuilder::new()
        .terminator(Terminator::CRLF)
        .from_writer(prefix.to_vec());
    if first {
        writer.write_record(HEADER).map_err(write_error)?;
    }
    for row in rows {
        writer.write_record(cells(row)).map_err(write_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| ExportError::Write(e.to_string()))
}

/// Where a stream of the log is.
enum Cursor {
    /// Nothing written yet.
    Start,
    /// After the row with this id.
    After(i32),
    /// Done, or failed.
    End,
}

/// The rows `filter` selects as CSV chunks: the BOM and header row first (even
/// when no row matches), then a page of rows per chunk, newest first. A failed
/// read ends the stream with its error.
pub fn stream(
    db: DatabaseConnection,
    filter: AuditFilter,
) -> impl Stream<Item = Result<Vec<u8>, ExportError>> {
    futures_util::stream::unfold(Cursor::Start, move |cursor| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let (first, after) = match cursor {
                Cursor::Start => (true, None),
                Cursor::After(id) => (false, Some(id)),
                Cursor::End => return None,
            };
            let rows = match audit::page(&db, &filter, after, CHUNK_ROWS).await {
                Ok(rows) => rows,
                Err(e) => return Some((Err(ExportError::Database(e)), Cursor::End)),
            };
            let next = match rows.last() {
                Some(last) if rows.len() == CHUNK_ROWS => Cursor::After(last.id),
                _ => Cursor::End,
            };
            let chunk = records(first, &rows);
            let next = if chunk.is_err() { Cursor::End } else { next };
            Some((chunk, next))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_would_start_a_formula_is_made_inert() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("乌恰镇OA"), "乌恰镇OA");
    }

    #[test]
    fn a_row_is_quoted_where_it_must_be_and_its_instant_is_written_out() {
        let row = audit_event::Model {
            id: 7,
            at: 1_768_465_800_250,
            actor: "oa, county".into(),
            role: Some("ADMIN".into()),
            client: None,
            request_id: None,
            operation: "list.import".into(),
            target: "Town:乌恰县/乌恰镇".into(),
            before_digest: None,
            after_digest: None,
            result: "OLDER_EDITION".into(),
            document_number: None,
            detail: Some("june.txt: \"older\"".into()),
        };
        let bytes = records(true, &[row]).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "\u{feff}id,at,actor,role,client,request_id,operation,target,before_digest,after_digest,result,document_number,detail\r\n\
             7,2026-01-15T08:30:00.250Z,\"oa, county\",ADMIN,,,list.import,Town:乌恰县/乌恰镇,,,OLDER_EDITION,,\"june.txt: \"\"older\"\"\"\r\n"
        );
    }
}
