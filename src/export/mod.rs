//! Export: a stored duty list → an Excel workbook or a CSV file, which the
//! importer reads back.
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
//! - [`crate::import::prepare_file`] reads such a file back ([`crate::import::xlsx`],
//!   [`crate::import::csv`]), edited or not, as it reads workbooks made by hand.
//!
//! The round trip export → edit nothing → read back → import reproduces the stored
//! list exactly (same fingerprint), as `tests/export.rs` checks on the Wuqia list.

pub mod audit_csv;
mod csv_file;
pub mod diff_workbook;
mod layout;
mod load;
mod workbook;

use sea_orm::{DatabaseConnection, DbErr};

use crate::error::code::ErrorCode;

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
}

impl ExportError {
    /// The GraphQL `code` of the error (`NOT_FOUND`, `DATABASE_UNAVAILABLE`,
    /// `TIMEOUT` or `INTERNAL`).
    pub fn code(&self) -> ErrorCode {
        match self {
            ExportError::NotFound(_) => ErrorCode::NotFound,
            ExportError::Database(e) => ErrorCode::of_database(e),
            ExportError::Write(_) => ErrorCode::Internal,
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
