//! A distinct normalised text of the search index.

use sea_orm::entity::prelude::*;

/// One distinct text (folded width, lower case), shared by every field that holds it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_text")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// SHA-256 of the content, hex: the unique key.
    pub hash: String,
    /// The normalised text.
    pub content: String,
    /// Its length in characters.
    pub length: i32,
    /// How many name fields hold it.
    pub name_fields: i32,
    /// How many other fields (items, working methods) hold it.
    pub other_fields: i32,
}

/// Relations of a text.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
