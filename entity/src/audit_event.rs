//! The audit log: one row per write — mutation, import, publication, token
//! change — whether it succeeded or was refused. Append-only: the database
//! refuses UPDATE and DELETE on it (triggers on both backends).

use sea_orm::entity::prelude::*;

/// One audited operation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    /// Surrogate key, in order of writing.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// When (Unix milliseconds).
    pub at: i64,
    /// The token's name, or `cli` for the command line.
    pub actor: String,
    /// The token's role (`None` for the command line or no token).
    pub role: Option<String>,
    /// The client's address.
    pub client: Option<String>,
    /// The request's ID (`x-request-id`).
    pub request_id: Option<String>,
    /// What was done, e.g. `adjustment.submit`, `list.import`, `token.create`.
    pub operation: String,
    /// What it was done to, e.g. `Adjustment:12`, `DutyList:5`, `ApiToken:3`.
    pub target: String,
    /// SHA-256 (hex) of the target's state before, where it had one.
    pub before_digest: Option<String>,
    /// SHA-256 (hex) of the target's state after, where it has one.
    pub after_digest: Option<String>,
    /// `OK`, or the error code that refused it.
    pub result: String,
    /// The 文号 of a publication or import.
    pub document_number: Option<String>,
    /// A short human summary (never a secret).
    pub detail: Option<String>,
}

/// Relations of an audit event.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
