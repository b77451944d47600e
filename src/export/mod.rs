//! Export: a stored duty list → an Excel workbook or a CSV file, and such a file →
//! a list document the importer reads.
//!
//! A county office exports a list, edits it in Excel and loads it back:
//!
//! - [`list_xlsx`] writes the list as a workbook: a `说明` sheet (title line, month,
//!   `说 明`, the preamble's paragraphs) and one sheet per table with the official
//!   header row. Item cells hold one line per section heading (`一、扬尘综合治理`),
//!   department heading (`乌恰县住房和城乡建设局：`) and numbered item (`1.…`), so the
//!   importer attributes every item as before.
//! - [`list_csv`] writes the same content in one UTF-8 CSV file (with BOM, RFC 4180
//!   quoting): the `说明` rows, then each table's title row, header row and rows.
//! - [`department_xlsx`] writes one department's share of a list (export only).
//! - [`xlsx_to_document`], [`csv_to_document`] and [`to_document`] turn such a file
//!   back into the text layout of `seeds/wuqia-town-duty-list-2025-07.txt`, which
//!   [`crate::import::prepare`] then validates line by line.
//!
//! The round trip export → edit nothing → read back → import reproduces the stored
//! list exactly (same fingerprint), as `tests/export.rs` checks on the Wuqia list.

mod csv_file;
mod layout;
mod load;
mod read;
mod workbook;

use sea_orm::{DatabaseConnection, DbErr};

pub use read::{csv_to_document, xlsx_to_document};

/// The name of the workbook's first sheet, holding the title, month and preamble.
pub const FRONT_SHEET: &str = "说明";

/// Why an export, or reading an exported file back, failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The list, or the department within the list's county, does not exist
    /// (GraphQL code `NOT_FOUND`).
    #[error("{0} not found")]
    NotFound(String),
    /// The database failed (GraphQL code `DATABASE_UNAVAILABLE` or `TIMEOUT` when
    /// it is unreachable or too slow, else `INTERNAL`; the text is logged, never sent).
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// The file could not be produced, e.g. a cell longer than Excel's 32,767
    /// characters (GraphQL code `INTERNAL`).
    #[error("cannot write the file: {0}")]
    Write(String),
    /// The bytes are not an XLSX workbook, or not a UTF-8 CSV file
    /// (GraphQL code `BAD_USER_INPUT`).
    #[error("{0}")]
    Unreadable(String),
    /// The file is a workbook or CSV file but not laid out as an exported list: a
    /// missing sheet or table, a wrong header row, text outside the table's columns.
    /// The message names the sheet (or CSV line) and row (GraphQL code `BAD_USER_INPUT`).
    #[error("{0}")]
    Format(String),
}

impl ExportError {
    /// The GraphQL `code` of the error (`NOT_FOUND`, `BAD_USER_INPUT`,
    /// `DATABASE_UNAVAILABLE`, `TIMEOUT` or `INTERNAL`).
    pub fn code(&self) -> &'static str {
        match self {
            ExportError::NotFound(_) => "NOT_FOUND",
            ExportError::Database(e) => match crate::db::classify(e) {
                crate::db::Failure::Unavailable => crate::error::DATABASE_UNAVAILABLE,
                crate::db::Failure::Timeout => crate::error::TIMEOUT,
                crate::db::Failure::Other => "INTERNAL",
            },
            ExportError::Write(_) => "INTERNAL",
            ExportError::Unreadable(_) | ExportError::Format(_) => "BAD_USER_INPUT",
        }
    }
}

/// The list `list_id` as an XLSX workbook: sheets `说明`, `基本履职事项清单`,
/// `配合履职事项清单` and `上级部门收回事项清单`.
///
/// Fails with [`ExportError::NotFound`] when there is no such list.
pub async fn list_xlsx(db: &DatabaseConnection, list_id: i32) -> Result<Vec<u8>, ExportError> {
    let data = load::load(db, list_id).await?;
    workbook::list(&data)
}

/// The list `list_id` as one CSV file (UTF-8 with BOM, RFC 4180 quoting, CRLF line
/// ends): the `说明` rows as one-cell rows, then for each table a one-cell row with its
/// title, its header row and its rows.
///
/// Fails with [`ExportError::NotFound`] when there is no such list.
pub async fn list_csv(db: &DatabaseConnection, list_id: i32) -> Result<Vec<u8>, ExportError> {
    let data = load::load(db, list_id).await?;
    csv_file::list(&data)
}

/// One department's share of the list `list_id` as an XLSX workbook: a `说明` sheet,
/// its cooperative duties (its own items, the town's items, the partner departments)
/// and the duties it took back (with the working method).
///
/// Fails with [`ExportError::NotFound`] when there is no such list, or no such
/// department in the list's county.
pub async fn department_xlsx(
    db: &DatabaseConnection,
    list_id: i32,
    department_id: i32,
) -> Result<Vec<u8>, ExportError> {
    let data = load::load(db, list_id).await?;
    if !data.departments.contains_key(&department_id) {
        return Err(ExportError::NotFound(format!(
            "department {department_id} of the county of list {list_id}"
        )));
    }
    workbook::department(&data, department_id)
}

/// A file a user uploads as a list → the text the importer reads.
///
/// `Some(text)` for a workbook (a name ending in `.xlsx`, or bytes starting with the
/// ZIP signature `PK\x03\x04`) and for a CSV file (a name ending in `.csv`); `None`
/// for anything else, which the caller treats as a document in the text layout.
pub fn to_document(file_name: &str, bytes: &[u8]) -> Result<Option<String>, ExportError> {
    let name = file_name.trim().to_lowercase();
    if name.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        xlsx_to_document(bytes).map(Some)
    } else if name.ends_with(".csv") {
        csv_to_document(bytes).map(Some)
    } else {
        Ok(None)
    }
}
