//! One numbered responsibility item of a cooperative duty.

use sea_orm::entity::prelude::*;

/// Which column of the cooperative table an item comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Party {
    /// 上级部门职责: what the county department(s) do.
    #[sea_orm(string_value = "DEPARTMENT")]
    Department,
    /// 乡镇（街道）配合职责: what the town does.
    #[sea_orm(string_value = "TOWN")]
    Town,
}

/// An item of one column of a cooperative duty.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "responsibility_item")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The duty.
    pub duty_id: i32,
    /// The column the item comes from.
    pub party: Party,
    /// 1-based order within its column.
    pub position: i32,
    /// The section heading it sits under (e.g. `一、扬尘综合治理`), if the cell has sections.
    pub section: Option<String>,
    /// Clean text: no HTML, no leading number, whitespace normalised.
    pub text: String,
}

/// Relations of an item.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The duty.
    #[sea_orm(
        belongs_to = "super::duty::Entity",
        from = "Column::DutyId",
        to = "super::duty::Column::Id",
        on_delete = "Cascade"
    )]
    Duty,
    /// Departments a department-side item is attributed to.
    #[sea_orm(has_many = "super::item_department::Entity")]
    ItemDepartment,
}

impl Related<super::duty::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Duty.def()
    }
}

impl Related<super::item_department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ItemDepartment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
