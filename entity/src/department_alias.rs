//! Another name of a department, unique within its county.

use sea_orm::entity::prelude::*;

/// `县住建局` → `乌恰县住房和城乡建设局`, within one county.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "department_alias")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The county the alias resolves in (denormalised for the unique index).
    pub county_id: i32,
    /// The department the alias names.
    pub department_id: i32,
    /// The alias text.
    pub alias: String,
}

/// Relations of an alias.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The department.
    #[sea_orm(
        belongs_to = "super::department::Entity",
        from = "Column::DepartmentId",
        to = "super::department::Column::Id",
        on_delete = "Cascade"
    )]
    Department,
}

impl Related<super::department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
