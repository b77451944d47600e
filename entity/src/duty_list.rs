//! One edition of one town's duty list (履职事项清单).

use sea_orm::entity::prelude::*;

/// Where an edition came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EditionSource {
    /// An imported document (`source_name` is its file name).
    #[default]
    #[sea_orm(string_value = "IMPORT")]
    Import,
    /// A set of approved adjustments to the previous edition.
    #[sea_orm(string_value = "ADJUSTMENT")]
    Adjustment,
}

/// One edition of one town's list. A town's editions are numbered from 1 in order
/// of their effective dates; the one with no `valid_until` is the current edition.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "duty_list")]
pub struct Model {
    /// Surrogate key of the edition; an edition is never rewritten.
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
    /// The edition's number within its town, from 1.
    pub edition: i32,
    /// The day the edition takes effect, `YYYY-MM-DD`.
    pub effective_on: String,
    /// The day the next edition takes effect, `YYYY-MM-DD`; `None` for the
    /// current edition. An as-of read picks `effective_on <= day < valid_until`.
    pub valid_until: Option<String>,
    /// The approving document's number (文号); optional for a first edition.
    pub document_number: Option<String>,
    /// Why the edition was made.
    pub reason: Option<String>,
    /// Where the edition came from.
    pub source: EditionSource,
    /// The imported file's name, or the adjustment set's reference.
    pub source_name: String,
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
