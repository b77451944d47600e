//! The audit log as a connection: `auditLog`, newest first, for admins whose
//! token is confined to no county. The read and the rule of who may read it
//! are the domain's ([`crate::domain::audit`]); this module decodes arguments
//! and cursors.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, ErrorExtensions, ID, Object, SimpleObject};
use entity::audit_event;

use super::{DEFAULT_PAGE_SIZE, conn, id, page_size};
use crate::auth::Actor;
use crate::domain::audit::{self, AuditFilter, ReadRefused};
use crate::error::{ApiError, ApiResult};

/// One audited operation: who did what to what, when, and with what result.
pub struct AuditEvent(pub audit_event::Model);

/// One audited operation — a mutation, an import, a publication, a token
/// change — whether it succeeded or was refused. Never holds a secret.
#[Object]
impl AuditEvent {
    /// Opaque ID; also the event's cursor in `auditLog`.
    async fn id(&self) -> ID {
        id::encode("AuditEvent", self.0.id)
    }

    /// When, as an ISO-8601 instant in UTC with milliseconds (`2026-01-15T08:30:00.250Z`).
    async fn at(&self) -> String {
        audit::instant_text(self.0.at)
    }

    /// Who: the token's name, `cli` for the command line, `system` for lvzhi
    /// at start-up, `anonymous` for a request without a token.
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// The token's role (`ADMIN`, `APPROVER`, …); null without a token.
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }

    /// The client's address; null at the command line.
    async fn client(&self) -> Option<&str> {
        self.0.client.as_deref()
    }

    /// The request's ID (the `x-request-id` header of its response).
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// What was done, e.g. `list.import`, `token.create`, `adjustment.submit`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }

    /// What it was done to, as `Type:key`, e.g. `DutyList:5`, `ApiToken:3`,
    /// `Town:乌恰县/乌恰镇`; `DutyList:?` for an import refused before its town was known.
    async fn target(&self) -> &str {
        &self.0.target
    }

    /// SHA-256 (hex) of the target's state before, where it had one.
    async fn before_digest(&self) -> Option<&str> {
        self.0.before_digest.as_deref()
    }

    /// SHA-256 (hex) of the target's state after, where it has one.
    async fn after_digest(&self) -> Option<&str> {
        self.0.after_digest.as_deref()
    }

    /// `OK`, or the error code that refused it (e.g. `OLDER_EDITION`, `FORBIDDEN`).
    async fn result(&self) -> &str {
        &self.0.result
    }

    /// The document number (文号) of a publication or import.
    async fn document_number(&self) -> Option<&str> {
        self.0.document_number.as_deref()
    }

    /// A short summary for people.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
}

/// A page of the audit log (a Relay connection), newest first.
#[derive(SimpleObject)]
pub struct AuditEventConnection {
    /// The page's events, each with its cursor.
    pub edges: Vec<AuditEventEdge>,
    /// The page's events.
    pub nodes: Vec<AuditEvent>,
    /// Whether there are pages before and after, and the cursors at the page's ends.
    pub page_info: PageInfo,
    /// Number of events matching the filter, across all pages.
    pub total_count: i32,
}

/// An audit event on a page, with its cursor.
#[derive(SimpleObject)]
pub struct AuditEventEdge {
    /// Pass as `after` to page on from this event.
    pub cursor: String,
    /// The event.
    pub node: AuditEvent,
}

/// The id an `auditLog` cursor stands for.
fn decode_cursor(cursor: &str) -> ApiResult<i32> {
    id::decode(&ID(cursor.to_owned()), "AuditEvent").map_err(|_| {
        ApiError::BadUserInput(format!("`{cursor}` is not a cursor of `auditLog`")).extend()
    })
}

/// Refuse whoever may not read the audit log.
fn authorise(ctx: &Context<'_>) -> ApiResult<()> {
    let anonymous = Actor::default();
    let actor = ctx.data_opt::<Actor>().unwrap_or(&anonymous);
    audit::may_read(actor).map_err(|refused| {
        let message = refused.to_string();
        match refused {
            ReadRefused::Denied(crate::auth::Denied::Unauthenticated) => {
                ApiError::Unauthenticated(message)
            }
            _ => ApiError::Forbidden(message),
        }
        .extend()
    })
}

/// The audit log.
#[derive(Default)]
pub struct AuditQuery;

/// The audit log.
#[Object]
impl AuditQuery {
    /// The audit log, newest first, a page at a time (Relay connection; pages of
    /// 20 by default). Every argument given must match: `target` exactly
    /// (`Adjustment:12`), or every target of a type when it ends in `:`
    /// (`Adjustment:`); `actor` and `operation` exactly; `from` and `to`, both
    /// inclusive, a day (`2026-01-15`: from its start, to its end) or an instant
    /// in UTC (`2026-01-15T08:30:00Z`, milliseconds optional).
    ///
    /// Admins only, and only an admin token confined to no county, town or
    /// department: the log's rows carry no county, so a county's admin would see
    /// every county's — such a token gets `FORBIDDEN`, as does any other role;
    /// a request without a token gets `UNAUTHENTICATED`.
    #[graphql(complexity = "super::page_cost(first, child_complexity)")]
    // Flat arguments, as the other filters of the log's readers (the export's
    // query, the command line's flags) are.
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        target: Option<String>,
        actor: Option<String>,
        operation: Option<String>,
        from: Option<String>,
        to: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<AuditEventConnection> {
        authorise(ctx)?;
        let size = page_size(ctx, "first", first)?.unwrap_or(DEFAULT_PAGE_SIZE);
        let after = after.as_deref().map(decode_cursor).transpose()?;
        let filter = AuditFilter::parse(
            target.as_deref(),
            actor.as_deref(),
            operation.as_deref(),
            from.as_deref(),
            to.as_deref(),
        )
        .map_err(|e| ApiError::BadUserInput(e.to_string()).extend())?;
        let total = ctx.look_ahead().field("totalCount").exists();
        let (mut rows, count) =
            futures_util::try_join!(audit::page(conn(ctx), &filter, after, size + 1), async {
                if total {
                    audit::count(conn(ctx), &filter).await.map(Some)
                } else {
                    Ok(None)
                }
            })
            .map_err(|e| ApiError::from(e).extend())?;
        let more = rows.len() > size;
        rows.truncate(size);
        Ok(connection(rows, after.is_some(), more, count.unwrap_or(0)))
    }
}

/// The connection of a page of rows.
fn connection(
    rows: Vec<audit_event::Model>,
    has_previous_page: bool,
    has_next_page: bool,
    total: u64,
) -> AuditEventConnection {
    let edges: Vec<AuditEventEdge> = rows
        .into_iter()
        .map(|row| AuditEventEdge {
            cursor: id::encode("AuditEvent", row.id).0,
            node: AuditEvent(row),
        })
        .collect();
    AuditEventConnection {
        page_info: PageInfo {
            has_previous_page,
            has_next_page,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        nodes: edges.iter().map(|e| AuditEvent(e.node.0.clone())).collect(),
        edges,
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_the_event_id_and_nothing_else_is_one() {
        let cursor = id::encode("AuditEvent", 42).0;
        assert_eq!(decode_cursor(&cursor).ok(), Some(42));
        let duty = id::encode("Duty", 42).0;
        for text in ["", "42", duty.as_str()] {
            assert!(decode_cursor(text).is_err(), "{text}");
        }
    }
}
