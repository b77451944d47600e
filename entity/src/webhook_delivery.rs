//! One event's delivery to one subscription: its attempts and outcome. Kept
//! for good — a dead letter stays visible until it is redelivered.

use sea_orm::entity::prelude::*;

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum State {
    /// Not delivered yet: attempted again at `next_attempt_at`.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The receiver answered 2xx.
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Given up on: the retry period passed, or the receiver answered 410.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// One delivery.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    /// Its number.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The subscription.
    pub webhook_id: i32,
    /// The event.
    pub event_sequence: i64,
    /// Asked for again by an admin (outside sequence order).
    pub redelivery: bool,
    /// Where it stands.
    pub state: State,
    /// Attempts made.
    pub attempts: i32,
    /// When the first attempt was made (Unix milliseconds).
    pub first_attempt_at: Option<i64>,
    /// When the last attempt was made (Unix milliseconds).
    pub last_attempt_at: Option<i64>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When (Unix milliseconds) it is attempted next, while pending.
    pub next_attempt_at: i64,
    /// When it was delivered or given up on (Unix milliseconds).
    pub finished_at: Option<i64>,
}

/// Relations of a delivery.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
