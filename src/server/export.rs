//! `/export/…`: a list, or one department's part of it, as a file download
//! (XLSX or CSV), written by [`crate::export`]; the diff of two editions as a
//! workbook. A failed export is a JSON error with its code and that code's
//! HTTP status.

use poem::http::header;
use poem::web::{Data, Path, Query};
use poem::{Response, handler};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

use crate::domain::edition::{EditionError, diff_editions};
use crate::error::{ApiError, ErrorCode};
use crate::export::{self, ExportError};

use super::reply;

/// The XLSX media type.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The CSV media type.
const CSV: &str = "text/csv; charset=utf-8";

/// `GET /export/{listId}.xlsx` and `.csv`: the list in the official table layout.
#[handler]
pub async fn export_list(Path(file): Path<String>, db: Data<&DatabaseConnection>) -> Response {
    let Some((list, ext)) = file_key(&file, "DutyList") else {
        return not_found(&file);
    };
    if ext == "csv" {
        download(export::list_csv(&db, list).await, CSV, &file)
    } else {
        download(export::list_xlsx(&db, list).await, XLSX, &file)
    }
}

/// `GET /export/{listId}/departments/{departmentId}.xlsx`: one department's workbook.
#[handler]
pub async fn export_department(
    Path((list, file)): Path<(String, String)>,
    db: Data<&DatabaseConnection>,
) -> Response {
    let list = crate::graphql::id::decode(&async_graphql::ID(list.clone()), "DutyList").ok();
    match (list, file_key(&file, "Department")) {
        (Some(list), Some((department, "xlsx"))) => download(
            export::department_xlsx(&db, list, department).await,
            XLSX,
            &file,
        ),
        _ => not_found(&file),
    }
}

/// The editions `GET /export/diff.xlsx` compares, by list ID.
#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /export/diff.xlsx?from=ID&to=ID`: what changed between two editions of
/// a town's list, one sheet per kind of change ([`export::diff_workbook`]).
#[handler]
pub async fn export_diff(
    Query(query): Query<DiffQuery>,
    db: Data<&DatabaseConnection>,
) -> Response {
    let (from, to) = match (
        list_key(query.from.as_deref()),
        list_key(query.to.as_deref()),
    ) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(message), _) | (_, Err(message)) => {
            return reply::error(ErrorCode::BadUserInput, &message);
        }
    };
    let result = match diff_editions(*db, from, to).await {
        Ok(found) => export::diff_workbook::diff_xlsx(&found.diff),
        Err(error @ EditionError::DifferentTowns { .. }) => {
            return reply::error(ErrorCode::BadUserInput, &error.to_string());
        }
        Err(EditionError::NotFound(key)) => {
            let id = if key == from { &query.from } else { &query.to };
            let id = id.as_deref().unwrap_or_default();
            Err(ExportError::NotFound(format!("duty list `{id}`")))
        }
        Err(EditionError::Database(e)) => Err(ExportError::Database(e)),
        Err(error @ EditionError::Successions(_)) => Err(ExportError::Write(error.to_string())),
    };
    download(result, XLSX, "diff.xlsx")
}

/// The key of a `from`/`to` list ID, or why it is none.
fn list_key(id: Option<&str>) -> Result<i32, String> {
    let id = id.ok_or("pass both `from` and `to`, each a DutyList ID")?;
    crate::graphql::id::decode(&async_graphql::ID(id.to_owned()), "DutyList")
        .map_err(|_| format!("`{id}` is not a DutyList ID"))
}

/// `{id}.xlsx` or `{id}.csv` → (the key of an ID of `type_name`, extension).
fn file_key(file: &str, type_name: &str) -> Option<(i32, &'static str)> {
    let (stem, ext) = file.rsplit_once('.')?;
    let ext = match ext {
        "xlsx" => "xlsx",
        "csv" => "csv",
        _ => return None,
    };
    let key = crate::graphql::id::decode(&async_graphql::ID(stem.to_owned()), type_name).ok()?;
    Some((key, ext))
}

/// A file download, or the export error.
fn download(result: Result<Vec<u8>, ExportError>, content_type: &str, file_name: &str) -> Response {
    match result {
        Ok(bytes) => Response::builder()
            .content_type(content_type)
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            )
            .body(bytes),
        Err(e) => failed(&e),
    }
}

/// The answer to a path that names no list, department or file type.
fn not_found(file: &str) -> Response {
    failed(&ExportError::NotFound(format!("`{file}`")))
}

/// A failed export: its code with that code's status. The text of a server
/// fault is not sent: the client reads the fixed message of the code, and an
/// internal error is logged.
fn failed(error: &ExportError) -> Response {
    let code = error.code();
    let message = match code {
        ErrorCode::DatabaseUnavailable => ApiError::DatabaseUnavailable.to_string(),
        ErrorCode::Timeout => ApiError::Timeout.to_string(),
        _ if code.status().is_server_error() => {
            tracing::error!(error = %error, "export failed");
            ApiError::Internal.to_string()
        }
        _ => error.to_string(),
    };
    reply::error(code, &message)
}
