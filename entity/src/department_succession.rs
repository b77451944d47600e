//! One department succeeding another from a day on (机构改革): a rename, a merge,
//! a split or a reorganisation, as the county's registry records it.

use sea_orm::entity::prelude::*;

/// What a reform did, seen from one predecessor → successor link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SuccessionKind {
    /// One old department became one new one.
    #[sea_orm(string_value = "RENAMED")]
    Renamed,
    /// Several old departments became one new one.
    #[sea_orm(string_value = "MERGED")]
    Merged,
    /// One old department became several new ones.
    #[sea_orm(string_value = "SPLIT")]
    Split,
    /// Several old departments became several new ones.
    #[sea_orm(string_value = "REORGANISED")]
    Reorganised,
}

/// `predecessor` is succeeded by `successor` from `effective_on` on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "department_succession")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The county of both departments.
    pub county_id: i32,
    /// The old department.
    pub predecessor_id: i32,
    /// The new department.
    pub successor_id: i32,
    /// The day it took effect, `YYYY-MM-DD`.
    pub effective_on: String,
    /// For a split: the part of the old remit the successor took.
    pub share: Option<String>,
    /// Rename, merge, split or reorganisation.
    pub kind: SuccessionKind,
}

/// Relations of a succession.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
