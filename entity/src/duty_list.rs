//! One edition of one town's duty list (履职事项清单).

use sea_orm::entity::prelude::*;

/// A published list: one town, one edition (month).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "duty_list")]
pub struct Model {
    /// Surrogate key; stable when the same town and edition is imported again.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The county of the town.
    pub county_id: i32,
    /// Town or street office (乡镇/街道), e.g. `乌恰镇`.
    pub town: String,
    /// The list's title, e.g. `乌恰县乌恰镇履职事项清单`.
    pub title: String,
    /// Published month, `YYYY-MM`.
    pub published_on: String,
    /// The preamble (说明), paragraphs separated by newlines.
    pub preamble: String,
    /// SHA-256 of the resolved content; an import with the same fingerprint is a no-op.
    pub fingerprint: String,
    /// When this content was imported (Unix seconds).
    pub imported_at: i64,
}

/// Relations of a duty list.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The county.
    #[sea_orm(
        belongs_to = "super::county::Entity",
        from = "Column::CountyId",
        to = "super::county::Column::Id"
    )]
    County,
    /// The duties of the list.
    #[sea_orm(has_many = "super::duty::Entity")]
    Duty,
    /// The counts the preamble states.
    #[sea_orm(has_many = "super::stated_count::Entity")]
    StatedCount,
}

impl Related<super::county::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::County.def()
    }
}

impl Related<super::duty::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Duty.def()
    }
}

impl Related<super::stated_count::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StatedCount.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
