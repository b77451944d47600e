//! A county (县/区/旗): the scope within which department names and aliases resolve.

use sea_orm::entity::prelude::*;

/// One county, identified by its region, prefecture and name.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "county")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Province-level region, e.g. `新疆维吾尔自治区`.
    pub region: String,
    /// Prefecture-level division, e.g. `克孜勒苏柯尔克孜自治州`; empty where there is none.
    pub prefecture: String,
    /// County name, e.g. `乌恰县`.
    pub name: String,
}

/// Relations of a county.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Departments of the county.
    #[sea_orm(has_many = "super::department::Entity")]
    Department,
    /// Duty lists of the county's towns.
    #[sea_orm(has_many = "super::duty_list::Entity")]
    DutyList,
}

impl Related<super::department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl Related<super::duty_list::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DutyList.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
