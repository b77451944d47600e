//! What a list's preamble states about one of its tables.

use sea_orm::entity::prelude::*;

use crate::DutyKind;

/// The stated counts of one kind of duty; a count the preamble does not give is null.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stated_count")]
pub struct Model {
    /// The list.
    #[sea_orm(primary_key, auto_increment = false)]
    pub list_id: i32,
    /// The table (kind of duty).
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: DutyKind,
    /// Stated number of duties (`共有基本履职事项 81 项`).
    pub duty_count: Option<i32>,
    /// Stated number of categories (`18 个类别`).
    pub category_count: Option<i32>,
    /// Stated number of departments involved (`涉及 34 个部门（单位）`).
    pub department_count: Option<i32>,
    /// The category names the preamble lists, separated by `、`, if it lists them.
    pub category_names: Option<String>,
}

/// Relations of a stated count.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The list.
    #[sea_orm(
        belongs_to = "super::duty_list::Entity",
        from = "Column::ListId",
        to = "super::duty_list::Column::Id",
        on_delete = "Cascade"
    )]
    DutyList,
}

impl Related<super::duty_list::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DutyList.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
