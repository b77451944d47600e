//! A duty category (事项类别), shared by all lists.

use sea_orm::entity::prelude::*;

/// One category name, e.g. `应急管理及消防`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "category")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The category name, verbatim.
    #[sea_orm(unique)]
    pub name: String,
}

/// Relations of a category.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Duties in the category.
    #[sea_orm(has_many = "super::duty::Entity")]
    Duty,
}

impl Related<super::duty::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Duty.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
