//! `GET /export/audit.csv`: the audit log as a CSV download, for the same
//! readers as `auditLog` (an admin token confined to no county, sent as
//! `Authorization: Bearer …`), with the same filters as query parameters.
//! Streamed a page at a time ([`crate::export::audit_csv`]); never cached.

use futures_util::StreamExt;
use std::sync::Arc;

use super::gate::Gate;
use poem::http::{HeaderValue, header};
use poem::web::{Data, Query};
use poem::{Body, IntoResponse, Request, Response, handler};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

use crate::domain::audit::{self, AuditFilter, ReadRefused};
use crate::error::ErrorCode;
use crate::export::audit_csv;

use super::reply;

/// The filters of `GET /export/audit.csv`, as `auditLog` takes them.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    target: Option<String>,
    actor: Option<String>,
    operation: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /export/audit.csv?target=&actor=&operation=&from=&to=`: the rows the
/// filters select, newest first; 401 without a valid token, 403 for any
/// other reader than an unconfined admin, 400 for a malformed bound.
#[handler]
pub async fn export_audit(
    req: &Request,
    Query(query): Query<AuditQuery>,
    db: Data<&DatabaseConnection>,
    gate: Data<&Arc<Gate>>,
) -> Response {
    let actor = match gate.actor(req).await {
        Ok(actor) => actor,
        Err(refused) => return refused,
    };
    if let Err(refused) = audit::may_read(&actor) {
        return refusal(&refused);
    }
    let filter = match AuditFilter::parse(
        query.target.as_deref(),
        query.actor.as_deref(),
        query.operation.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    ) {
        Ok(filter) => filter,
        Err(e) => return reply::error(ErrorCode::BadUserInput, &e.to_string()),
    };
    let body = audit_csv::stream(db.clone(), filter).map(|chunk| {
        chunk.map_err(|e| {
            // The status is sent; cutting the body off is how the client learns.
            tracing::error!(error = %e, "the audit export failed");
            std::io::Error::other("the audit export failed")
        })
    });
    Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit.csv\"",
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_bytes_stream(body))
}

/// 401 (with the challenge RFC 6750 asks for) or 403.
fn refusal(refused: &ReadRefused) -> Response {
    let code = refused.code();
    let response = reply::error(code, &refused.to_string());
    if code == ErrorCode::Unauthenticated {
        response
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
            .into_response()
    } else {
        response
    }
}
