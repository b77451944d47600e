//! The department(s) a department-side responsibility item is attributed to.

use sea_orm::entity::prelude::*;

/// One attribution of one item.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "item_department")]
pub struct Model {
    /// The item.
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: i32,
    /// The department.
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_id: i32,
    /// 1-based position among the item's departments.
    pub position: i32,
}

/// Relations of an attribution.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The item.
    #[sea_orm(
        belongs_to = "super::responsibility_item::Entity",
        from = "Column::ItemId",
        to = "super::responsibility_item::Column::Id",
        on_delete = "Cascade"
    )]
    Item,
    /// The department.
    #[sea_orm(
        belongs_to = "super::department::Entity",
        from = "Column::DepartmentId",
        to = "super::department::Column::Id"
    )]
    Department,
}

impl Related<super::responsibility_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Item.def()
    }
}

impl Related<super::department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
