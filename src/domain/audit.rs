//! The audit log: [`record`] appends one row for a write — in the write's own
//! transaction when it succeeds, on its own when it was refused — and never
//! a secret. The database refuses to change or delete a row once written.

use std::time::{SystemTime, UNIX_EPOCH};

use entity::audit_event;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use sha2::{Digest, Sha256};

use crate::auth::{Actor, role_name};
use crate::error::ErrorCode;

/// What is recorded of one operation, besides who did it.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// What was done, e.g. `adjustment.submit`.
    pub operation: &'static str,
    /// What it was done to, e.g. `Adjustment:12`.
    pub target: String,
    /// The target's state before, to be digested.
    pub before: Option<String>,
    /// The target's state after, to be digested.
    pub after: Option<String>,
    /// The 文号 of a publication or import.
    pub document_number: Option<String>,
    /// A short summary for people.
    pub detail: Option<String>,
}

impl Entry {
    /// An entry for `operation` on `target`.
    pub fn new(operation: &'static str, target: impl Into<String>) -> Self {
        Entry {
            operation,
            target: target.into(),
            ..Entry::default()
        }
    }
}

/// SHA-256 (hex) of a state's serialisation.
pub fn digest(state: &str) -> String {
    hex(&Sha256::digest(state.as_bytes()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Append `entry`, done by `actor`, with `result` (`None` for success).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entry: Entry,
    result: Option<ErrorCode>,
) -> Result<(), DbErr> {
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    audit_event::ActiveModel {
        at: Set(at),
        actor: Set(actor.name().to_owned()),
        role: Set(actor.role().map(|r| role_name(r).to_owned())),
        client: Set(actor.client.clone()),
        request_id: Set(actor.request_id.clone()),
        operation: Set(entry.operation.to_owned()),
        target: Set(entry.target),
        before_digest: Set(entry.before.as_deref().map(digest)),
        after_digest: Set(entry.after.as_deref().map(digest)),
        result: Set(result.map_or("OK", ErrorCode::as_str).to_owned()),
        document_number: Set(entry.document_number),
        detail: Set(entry.detail),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}
