//! Idempotency keys: a mutation POSTed with a token and an `Idempotency-Key`
//! header runs once per (token, key); a retry with the same body gets the
//! first answer again (`Idempotent-Replayed: true`), one with another body
//! `CONFLICT`.
//!
//! Before executing, the endpoint [`claim`]s the key: one row holding the
//! SHA-256 of the body and no status yet. A second request finding that row
//! unfinished is refused with `CONFLICT` while the first may still be running
//! (younger than the request time limit); an older unfinished claim belongs
//! to a process that died, and is taken over — by exactly one of the requests
//! that find it, by a compare-and-set on its start time. After executing, the
//! endpoint [`finish`]es the claim with the status and body, except when a
//! server fault failed the request (5xx): then it [`release`]s it, so the retry
//! runs. A key is remembered for `LVZHI_IDEMPOTENCY_TTL`; an expired row is
//! deleted when its key is claimed again, and by [`forget_expired`], which
//! [`super::Application`] runs periodically. Every function takes the time as
//! Unix seconds, so expiry is tested without waiting.

use std::time::Duration;

use entity::idempotency_key;
use poem::http::HeaderValue;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, TryInsertResult,
};
use sha2::{Digest, Sha256};

use crate::domain::audit::hex;

/// The request header that carries a key.
pub const HEADER: &str = "idempotency-key";

/// The response header of a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// The longest key accepted.
pub const MAX_KEY_LENGTH: usize = 255;

/// What a keyed request does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Run: the key is new (or expired, or its first request died).
    Execute,
    /// Answer with the first request's status and body.
    Replay {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
    /// Refuse with `CONFLICT` and this message.
    Conflict(String),
}

/// A keyed request: whose key, which key, which body.
#[derive(Clone, Copy, Debug)]
pub struct Keyed<'a> {
    /// The token that sent it.
    pub token_id: i32,
    /// The key as sent.
    pub key: &'a str,
    /// SHA-256 (hex) of its body ([`request_hash`]).
    pub request_hash: &'a str,
}

/// A key from its header: 1 to 255 visible ASCII characters; the error names
/// the header and what is wrong.
pub fn parse_key(value: &HeaderValue) -> Result<String, String> {
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_LENGTH {
        return Err(format!(
            "the Idempotency-Key header must hold 1 to {MAX_KEY_LENGTH} characters, not {}",
            bytes.len()
        ));
    }
    if !bytes.iter().all(u8::is_ascii_graphic) {
        return Err(
            "the Idempotency-Key header must hold visible ASCII characters only (no spaces)"
                .to_owned(),
        );
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// SHA-256 (hex) of a request body.
pub fn request_hash(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

/// Claim `request`'s key at `now`: remembered until `now + ttl`; an unfinished
/// claim younger than `running` (the request time limit) is still running.
pub async fn claim(
    db: &impl ConnectionTrait,
    request: Keyed<'_>,
    now: i64,
    ttl: Duration,
    running: Duration,
) -> Result<Claim, DbErr> {
    forget_expired_key(db, request, now).await?;
    if insert_claim(db, request, now, ttl).await? {
        return Ok(Claim::Execute);
    }
    let Some(found) =
        idempotency_key::Entity::find_by_id((request.token_id, request.key.to_owned()))
            .one(db)
            .await?
    else {
        // Deleted between the insert and the read (expired meanwhile): try once more.
        return Ok(if insert_claim(db, request, now, ttl).await? {
            Claim::Execute
        } else {
            in_progress(request.key)
        });
    };
    if found.request_hash != request.request_hash {
        return Ok(Claim::Conflict(format!(
            "the Idempotency-Key `{}` was used with another request body; use a new key for a new request",
            request.key
        )));
    }
    if let (Some(status), Some(body)) = (found.status, found.response) {
        return Ok(Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
        });
    }
    let running = i64::try_from(running.as_secs_f64().ceil() as u64).unwrap_or(i64::MAX);
    if now - found.created_at < running
        || !take_over(db, request, found.created_at, now, ttl).await?
    {
        return Ok(in_progress(request.key));
    }
    tracing::warn!(
        token = request.token_id,
        "an unfinished idempotency claim outlived the request time limit: taken over"
    );
    Ok(Claim::Execute)
}

/// The refusal of a key whose first request still runs.
fn in_progress(key: &str) -> Claim {
    Claim::Conflict(format!(
        "a request with the Idempotency-Key `{key}` is in progress; retry when it has finished"
    ))
}

/// Delete the row of `request`'s key if it expired by `now`.
async fn forget_expired_key(
    db: &impl ConnectionTrait,
    request: Keyed<'_>,
    now: i64,
) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::TokenId.eq(request.token_id))
        .filter(idempotency_key::Column::Key.eq(request.key))
        .filter(idempotency_key::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(())
}

/// Insert an unfinished claim; `false` when the key has a row already.
async fn insert_claim(
    db: &impl ConnectionTrait,
    request: Keyed<'_>,
    now: i64,
    ttl: Duration,
) -> Result<bool, DbErr> {
    let row = idempotency_key::ActiveModel {
        token_id: Set(request.token_id),
        key: Set(request.key.to_owned()),
        request_hash: Set(request.request_hash.to_owned()),
        status: Set(None),
        response: Set(None),
        created_at: Set(now),
        expires_at: Set(expiry(now, ttl)),
    };
    let inserted = idempotency_key::Entity::insert(row)
        .on_conflict_do_nothing_on([
            idempotency_key::Column::TokenId,
            idempotency_key::Column::Key,
        ])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

/// Restart an unfinished claim that started at `started`, unless another
/// request restarted (or finished) it first.
async fn take_over(
    db: &impl ConnectionTrait,
    request: Keyed<'_>,
    started: i64,
    now: i64,
    ttl: Duration,
) -> Result<bool, DbErr> {
    let updated = idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::CreatedAt, Expr::value(now))
        .col_expr(
            idempotency_key::Column::ExpiresAt,
            Expr::value(expiry(now, ttl)),
        )
        .filter(idempotency_key::Column::TokenId.eq(request.token_id))
        .filter(idempotency_key::Column::Key.eq(request.key))
        .filter(idempotency_key::Column::Status.is_null())
        .filter(idempotency_key::Column::CreatedAt.eq(started))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// When a key claimed at `now` may be forgotten.
fn expiry(now: i64, ttl: Duration) -> i64 {
    now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
}

/// Store the answer of a claimed key's request.
pub async fn finish(
    db: &impl ConnectionTrait,
    token_id: i32,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), DbErr> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::Status,
            Expr::value(i32::from(status)),
        )
        .col_expr(
            idempotency_key::Column::Response,
            Expr::value(body.to_owned()),
        )
        .filter(idempotency_key::Column::TokenId.eq(token_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Drop a claim whose request a server fault failed, so a retry runs it.
pub async fn release(db: &impl ConnectionTrait, token_id: i32, key: &str) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::TokenId.eq(token_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::Status.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Delete every key expired by `now`; how many.
pub async fn forget_expired(db: &impl ConnectionTrait, now: i64) -> Result<u64, DbErr> {
    let deleted = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Forget expired keys every `every`, for as long as the server runs. The
/// first sweep waits `every` too: at start-up nothing has expired that the
/// last sweep left, and a write then would contend with start-up work.
pub async fn sweep(db: sea_orm::DatabaseConnection, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match forget_expired(&db, crate::auth::token::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(keys = n, "expired idempotency keys forgotten"),
            Err(e) => tracing::warn!(error = %e, "forgetting expired idempotency keys failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_one_to_255_visible_ascii_characters() {
        let key = |text: &str| parse_key(&HeaderValue::from_str(text).unwrap());
        assert_eq!(key("order-42_retry.1").unwrap(), "order-42_retry.1");
        assert!(key(&"k".repeat(255)).is_ok());
        assert!(key(&"k".repeat(256)).unwrap_err().contains("1 to 255"));
        assert!(key("").unwrap_err().contains("1 to 255"));
        assert!(key("two words").unwrap_err().contains("visible ASCII"));
        let latin1 = HeaderValue::from_bytes(b"caf\xe9").unwrap();
        assert!(parse_key(&latin1).unwrap_err().contains("visible ASCII"));
    }

    #[test]
    fn bodies_are_told_apart_by_their_sha256() {
        assert_eq!(
            request_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_ne!(request_hash(b"{\"a\":1}"), request_hash(b"{\"a\":2}"));
    }
}
