//! The departments of a duty: counterparts (对应上级部门) of a cooperative duty,
//! receiving departments (承接部门) of a reclaimed one, in document order.

use sea_orm::entity::prelude::*;

/// One department of one duty.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "duty_department")]
pub struct Model {
    /// The duty.
    #[sea_orm(primary_key, auto_increment = false)]
    pub duty_id: i32,
    /// The department.
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_id: i32,
    /// 1-based position in the document's list of departments.
    pub position: i32,
    /// The duty's list (its edition), copied from the duty: a department's
    /// duties in the current editions are found through the index
    /// (department, list) without reading the duties of every edition.
    pub list_id: i32,
}

/// Relations of a duty–department link.
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
    /// The department.
    #[sea_orm(
        belongs_to = "super::department::Entity",
        from = "Column::DepartmentId",
        to = "super::department::Column::Id"
    )]
    Department,
}

impl Related<super::duty::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Duty.def()
    }
}

impl Related<super::department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
