//! A unigram or bigram of a search text.

use sea_orm::entity::prelude::*;

/// One gram of one text.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_gram")]
pub struct Model {
    /// One or two characters.
    #[sea_orm(primary_key, auto_increment = false)]
    pub gram: String,
    /// The text holding it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub text_id: i32,
    /// Characters of the text its occurrences cover, overlaps merged.
    pub covered: i32,
}

/// Relations of a gram.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
