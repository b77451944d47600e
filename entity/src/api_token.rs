//! An API token: who may write (and, where reads are closed, read), in which
//! role and within which county, town or department. Only the SHA-256 of the
//! secret is stored; the secret itself is shown once, when the token is made.

use sea_orm::entity::prelude::*;

/// What a token may do. Every role may read; the write roles follow the steps
/// of an adjustment's approval, so no one token both applies and approves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    /// Reads only (where reads require a token).
    #[sea_orm(string_value = "READER")]
    Reader,
    /// Submits and withdraws adjustment requests: a town for its own list, a
    /// department for duties it is a counterpart or receiver of.
    #[sea_orm(string_value = "APPLICANT")]
    Applicant,
    /// Reviews submitted requests (编办, 司法局), or rejects them.
    #[sea_orm(string_value = "REVIEWER")]
    Reviewer,
    /// Approves or rejects reviewed requests; applies changes an OA system
    /// approved itself.
    #[sea_orm(string_value = "APPROVER")]
    Approver,
    /// Publishes approved requests as a new edition.
    #[sea_orm(string_value = "PUBLISHER")]
    Publisher,
    /// Manages tokens and reads the audit log.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// One token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_token")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// A name people recognise (`乌恰镇OA`), unique; what the audit log records.
    #[sea_orm(unique)]
    pub name: String,
    /// The secret's first characters (`lvz_` and a few more): enough to tell
    /// tokens apart in a listing, far too few to guess the rest.
    pub prefix: String,
    /// Lower-case hex SHA-256 of the whole secret.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// What it may do.
    pub role: Role,
    /// The county it is confined to; `None` for every county.
    pub county_id: Option<i32>,
    /// The town (within its county) it is confined to.
    pub town: Option<String>,
    /// The department (of its county) it acts for.
    pub department_id: Option<i32>,
    /// When it was made (Unix seconds).
    pub created_at: i64,
    /// When it stops working (Unix seconds); `None` never.
    pub expires_at: Option<i64>,
    /// When it was revoked (Unix seconds).
    pub revoked_at: Option<i64>,
    /// When it was last accepted (Unix seconds).
    pub last_used_at: Option<i64>,
}

/// Relations of a token.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
