//! A searchable field: a duty's name, one of its items, or its working method.

use sea_orm::entity::prelude::*;

/// One field, pointing at its duty (and item) and at its text.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_field")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The duty.
    pub duty_id: i32,
    /// `NAME`, `DEPARTMENT_ITEM`, `TOWN_ITEM` or `WORKING_METHOD`.
    pub source: String,
    /// The item, for item fields.
    pub item_id: Option<i32>,
    /// The normalised text.
    pub text_id: i32,
    /// The duty's list.
    pub list_id: i32,
    /// The duty's table.
    pub kind: crate::duty::DutyKind,
    /// The duty's 序号.
    pub seq: i32,
    /// The item's position in its duty, for item fields.
    pub position: Option<i32>,
}

/// Relations of a field.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
