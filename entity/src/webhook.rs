//! A webhook subscription: where to deliver which events, signed with its
//! secret, and how far delivery has got in the event sequence.

use sea_orm::entity::prelude::*;

/// Whether a subscription is delivered to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum State {
    /// Delivered to.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Paused by an admin: events wait, and are delivered once resumed.
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    /// Switched off by its receiver (410 Gone): events wait as when paused.
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
    /// Deleted by an admin: never delivered to again; its deliveries are kept.
    #[sea_orm(string_value = "DELETED")]
    Deleted,
}

/// One subscription.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    /// Its number.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Where events are POSTed (http or https).
    pub url: String,
    /// What it is for, as its creator wrote.
    pub description: Option<String>,
    /// The event types delivered, as a JSON array (empty: every type).
    pub kinds: String,
    /// Only events about this edition.
    pub list_id: Option<i32>,
    /// Only events of this county.
    pub county_id: Option<i32>,
    /// Only events of this town.
    pub town: Option<String>,
    /// Whether an HMAC-SM3 signature is sent besides the HMAC-SHA256 one.
    pub hmac_sm3: bool,
    /// The signing secret, `whsec_` and base64 (needed in clear to sign).
    pub secret: String,
    /// The secret before the last rotation, still signed with until
    /// `previous_secret_until`.
    pub previous_secret: Option<String>,
    /// Until when (Unix milliseconds) the previous secret still signs.
    pub previous_secret_until: Option<i64>,
    /// Whether it is delivered to.
    pub state: State,
    /// Why it was disabled or paused.
    pub state_reason: Option<String>,
    /// The last event sequence number settled: delivered, skipped as not
    /// matching, or given up on (a dead letter).
    pub cursor: i64,
    /// When (Unix milliseconds) it next needs work though no new event came:
    /// a retry, a redelivery. `None`: when an event comes.
    pub due_at: Option<i64>,
    /// The process delivering to it now.
    pub lease_owner: Option<String>,
    /// Until when (Unix milliseconds) that process's claim holds.
    pub lease_until: Option<i64>,
    /// When it was created (Unix milliseconds).
    pub created_at: i64,
    /// The token that created it.
    pub created_by: String,
    /// When it was last changed (Unix milliseconds).
    pub updated_at: i64,
}

/// Relations of a subscription.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
