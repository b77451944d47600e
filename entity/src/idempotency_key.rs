//! Idempotency keys: the first response to a mutation sent with an
//! `Idempotency-Key` header, replayed to a retry with the same key and body.

use sea_orm::entity::prelude::*;

/// One key of one token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    /// The token that sent it (keys are per token).
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_id: i32,
    /// The key as sent.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// SHA-256 (hex) of the request body.
    pub request_hash: String,
    /// The response's HTTP status; `None` while the first request runs.
    pub status: Option<i32>,
    /// The response body.
    pub response: Option<String>,
    /// When the key was first seen (Unix seconds).
    pub created_at: i64,
    /// When it may be forgotten (Unix seconds).
    pub expires_at: i64,
}

/// Relations of a key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
