//! The search index over duty names, responsibility items and working methods,
//! for Chinese queries of any length, on SQLite and PostgreSQL alike: how it is
//! written (by the importer and [`backfill`]) and how its grams are looked up.
//! Answering a query with ranked hits is [`crate::domain::search`].
//!
//! Every field's text is normalised (full-width ASCII folded, lower case: one
//! character for one, so offsets carry over to the original) and stored once per
//! distinct text in `search_text`, with each of its characters and each pair of
//! adjacent characters in `search_gram`. A query word of one character looks up
//! its unigram, a longer one all its bigrams; the texts holding every gram of
//! every word are the candidates (an index range per gram, never a scan of item
//! text), and a substring check on the candidates gives the exact hits.
//! Trigram indexes (pg_trgm) cannot answer one- or two-character queries, which
//! are most Chinese queries; an external search server is more than lvzhi needs.

use std::collections::{BTreeSet, HashMap};

use entity::{duty, responsibility_item, search_field, search_gram, search_text};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};
use sha2::{Digest, Sha256};

use crate::db::{CHUNK, owned_chunks, rows_per_insert};

/// Where a hit matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The duty's name.
    Name,
    /// An item of the department column.
    DepartmentItem,
    /// An item of the town column.
    TownItem,
    /// The working method of a reclaimed duty.
    WorkingMethod,
}

impl Source {
    fn code(self) -> &'static str {
        match self {
            Source::Name => "NAME",
            Source::DepartmentItem => "DEPARTMENT_ITEM",
            Source::TownItem => "TOWN_ITEM",
            Source::WorkingMethod => "WORKING_METHOD",
        }
    }

    /// The source stored as `code`.
    pub fn parse(code: &str) -> Option<Self> {
        [
            Source::Name,
            Source::DepartmentItem,
            Source::TownItem,
            Source::WorkingMethod,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// Fold full-width ASCII forms and ASCII case, one character for one.
pub fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The unigrams and bigrams of a normalised text (none spanning whitespace).
pub fn grams(content: &str) -> BTreeSet<String> {
    let chars: Vec<char> = content.chars().collect();
    let mut out = BTreeSet::new();
    for (i, c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        out.insert(c.to_string());
        if let Some(next) = chars.get(i + 1).filter(|n| !n.is_whitespace()) {
            out.insert(format!("{c}{next}"));
        }
    }
    out
}

/// The grams a query word needs: its unigram, or its bigrams.
fn word_grams(word: &str) -> BTreeSet<String> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() == 1 {
        return BTreeSet::from([word.to_owned()]);
    }
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

/// Split a query into normalised words.
pub fn words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = normalize(query)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    words.dedup();
    words
}

/// The texts holding every gram of every word: an index range per gram.
pub fn candidate_texts(words: &[String]) -> SelectStatement {
    let grams: BTreeSet<String> = words.iter().flat_map(|w| word_grams(w)).collect();
    let n = grams.len() as i64;
    Query::select()
        .column(search_gram::Column::TextId)
        .from(search_gram::Entity)
        .and_where(search_gram::Column::Gram.is_in(grams))
        .group_by_col(search_gram::Column::TextId)
        .and_having(Expr::col(search_gram::Column::Gram).count().eq(n))
        .to_owned()
}

/// One searchable field: a duty's name or working method, or an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The duty.
    pub duty_id: i32,
    /// Which field.
    pub source: Source,
    /// The item, for item fields.
    pub item_id: Option<i32>,
    /// The field's text, normalised.
    pub content: String,
}

impl Field {
    /// The field of `text` (normalised here).
    pub fn new(duty_id: i32, source: Source, item_id: Option<i32>, text: &str) -> Self {
        Field {
            duty_id,
            source,
            item_id,
            content: normalize(text),
        }
    }

    /// The source of an item of `party`.
    pub fn item_source(party: entity::Party) -> Source {
        match party {
            entity::Party::Department => Source::DepartmentItem,
            entity::Party::Town => Source::TownItem,
        }
    }
}

/// (Re)build the index of a list's duties: names, items and working methods, as
/// the database holds them.
pub async fn index_duties(db: &impl ConnectionTrait, duty_ids: &[i32]) -> Result<(), DbErr> {
    delete_fields(db, duty_ids).await?;
    let mut fields: Vec<Field> = Vec::new();
    for chunk in duty_ids.chunks(CHUNK) {
        for d in duty::Entity::find()
            .filter(duty::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            fields.push(Field::new(d.id, Source::Name, None, &d.name));
            if let Some(method) = &d.working_method {
                fields.push(Field::new(d.id, Source::WorkingMethod, None, method));
            }
        }
        let items = responsibility_item::Entity::find()
            .filter(responsibility_item::Column::DutyId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for i in items {
            let source = Field::item_source(i.party);
            fields.push(Field::new(i.duty_id, source, Some(i.id), &i.text));
        }
    }
    write_fields(db, &fields).await
}

/// Remove the fields of duties, before they are indexed again.
pub async fn delete_fields(db: &impl ConnectionTrait, duty_ids: &[i32]) -> Result<(), DbErr> {
    for chunk in duty_ids.chunks(CHUNK) {
        search_field::Entity::delete_many()
            .filter(search_field::Column::DutyId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Index fields of duties that have none: each distinct text once, with its grams,
/// then the fields. The importer passes the fields it has just written, so nothing
/// is read back.
pub async fn write_fields(db: &impl ConnectionTrait, fields: &[Field]) -> Result<(), DbErr> {
    let text_ids = ensure_texts(db, fields.iter().map(|f| f.content.as_str())).await?;
    let mut rows = Vec::with_capacity(fields.len());
    for f in fields {
        let text_id = *text_ids
            .get(f.content.as_str())
            .ok_or_else(|| DbErr::Custom("an indexed text has no id".to_owned()))?;
        rows.push(search_field::ActiveModel {
            duty_id: Set(f.duty_id),
            source: Set(f.source.code().to_owned()),
            item_id: Set(f.item_id),
            text_id: Set(text_id),
            ..Default::default()
        });
    }
    for chunk in owned_chunks(rows, rows_per_insert(4)) {
        search_field::Entity::insert_many(chunk).exec(db).await?;
    }
    Ok(())
}

fn hash(content: &str) -> String {
    format!("{:x}", Sha256::digest(content.as_bytes()))
}

/// The id of each distinct text, inserting (with its grams) those not yet indexed.
async fn ensure_texts<'a>(
    db: &impl ConnectionTrait,
    contents: impl Iterator<Item = &'a str>,
) -> Result<HashMap<&'a str, i32>, DbErr> {
    let distinct: BTreeSet<&str> = contents.collect();
    let by_hash: HashMap<String, &str> = distinct.iter().map(|c| (hash(c), *c)).collect();
    let mut ids: HashMap<&str, i32> = HashMap::new();
    let hashes: Vec<&String> = by_hash.keys().collect();
    for chunk in hashes.chunks(CHUNK) {
        // Ids and hashes only: the content is what the caller already has.
        let found: Vec<(i32, String)> = search_text::Entity::find()
            .select_only()
            .column(search_text::Column::Id)
            .column(search_text::Column::Hash)
            .filter(search_text::Column::Hash.is_in(chunk.iter().map(|h| (*h).clone())))
            .into_tuple()
            .all(db)
            .await?;
        for (id, hash) in found {
            if let Some(content) = by_hash.get(&hash) {
                ids.insert(content, id);
            }
        }
    }
    let missing: Vec<&str> = distinct
        .iter()
        .copied()
        .filter(|c| !ids.contains_key(c))
        .collect();
    for chunk in missing.chunks(rows_per_insert(2)) {
        let rows = chunk.iter().map(|c| search_text::ActiveModel {
            hash: Set(hash(c)),
            content: Set((*c).to_owned()),
            ..Default::default()
        });
        let inserted = search_text::Entity::insert_many(rows)
            .exec_with_returning(db)
            .await?;
        let mut grams = Vec::new();
        for t in inserted {
            if let Some(content) = by_hash.get(&t.hash) {
                ids.insert(content, t.id);
                grams.extend(grams_of(content, t.id));
            }
        }
        for g in owned_chunks(grams, rows_per_insert(2)) {
            search_gram::Entity::insert_many(g).exec(db).await?;
        }
    }
    Ok(ids)
}

fn grams_of(content: &str, text_id: i32) -> Vec<search_gram::ActiveModel> {
    grams(content)
        .into_iter()
        .map(|gram| search_gram::ActiveModel {
            gram: Set(gram),
            text_id: Set(text_id),
        })
        .collect()
}

/// Remove texts no field holds any more (their grams go with them).
pub async fn remove_orphans(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    search_text::Entity::delete_many()
        .filter(
            search_text::Column::Id.not_in_subquery(
                Query::select()
                    .column(search_field::Column::TextId)
                    .from(search_field::Entity)
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Index every duty that has no field yet (lists imported before the index existed).
pub async fn backfill(db: &impl ConnectionTrait) -> Result<usize, DbErr> {
    // NOT EXISTS, not NOT IN: PostgreSQL turns NOT IN over a large subquery
    // into a per-row scan (minutes at 1,000 towns), NOT EXISTS into an anti-join.
    let missing: Vec<i32> = duty::Entity::find()
        .filter(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(search_field::Entity)
                    .and_where(
                        Expr::col((search_field::Entity, search_field::Column::DutyId))
                            .equals((duty::Entity, duty::Column::Id)),
                    )
                    .to_owned(),
            )
            .not(),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    if !missing.is_empty() {
        index_duties(db, &missing).await?;
        // Search answers changed: cached responses of running servers are stale.
        crate::db::bump_data_version(db).await?;
    }
    Ok(missing.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_keeps_one_character_for_one() {
        assert_eq!(normalize("ＡＰＰ和12345热线"), "app和12345热线");
        assert_eq!(normalize("燃气").chars().count(), 2);
    }

    #[test]
    fn grams_are_unigrams_and_bigrams() {
        assert_eq!(
            grams("燃气站"),
            BTreeSet::from([
                "燃".into(),
                "气".into(),
                "站".into(),
                "燃气".into(),
                "气站".into()
            ])
        );
        assert_eq!(word_grams("林"), BTreeSet::from(["林".to_owned()]));
        assert_eq!(
            word_grams("燃气站"),
            BTreeSet::from(["燃气".to_owned(), "气站".to_owned()])
        );
    }
}
