//! A county department (上级部门), by its canonical full name.

use sea_orm::entity::prelude::*;

/// One department of a county, e.g. `乌恰县住房和城乡建设局`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "department")]
pub struct Model {
    /// Surrogate key; stable across re-imports (departments are upserted by name).
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The county the department belongs to.
    pub county_id: i32,
    /// Canonical full name.
    pub name: String,
    /// The short form the county uses, e.g. `县住建局`.
    pub short_name: String,
}

/// Relations of a department.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The county.
    #[sea_orm(
        belongs_to = "super::county::Entity",
        from = "Column::CountyId",
        to = "super::county::Column::Id"
    )]
    County,
    /// Names the department is also known by.
    #[sea_orm(has_many = "super::department_alias::Entity")]
    Alias,
}

impl Related<super::county::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::County.def()
    }
}

impl Related<super::department_alias::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Alias.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
