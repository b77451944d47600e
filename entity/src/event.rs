//! The outbox: one row per change, numbered without gaps in commit order,
//! written in the change's own transaction.

use sea_orm::entity::prelude::*;

/// One event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    /// Its place in the one sequence of all events, from 1, without gaps.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sequence: i64,
    /// What happened, e.g. `list.edition.published`, `adjustment.approved`.
    pub kind: String,
    /// When (Unix milliseconds).
    pub occurred_at: i64,
    /// The county concerned.
    pub county_id: Option<i32>,
    /// The town concerned.
    pub town: Option<String>,
    /// The edition concerned (a new edition; a request's edition).
    pub list_id: Option<i32>,
    /// What it is about, e.g. `DutyList:5`, `Adjustment:12`, `Department:3`.
    pub subject: String,
    /// A summary as JSON (for an edition: its number, day, 文号 and the diff's counts).
    pub payload: String,
}

/// Relations of an event.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
