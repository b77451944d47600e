//! Answering a search: the duties whose names, items or working methods hold
//! every word of a query, as ranked hits with the matches located. The index it
//! reads, and how queries and texts are normalised, is [`crate::search`].

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use entity::{duty, responsibility_item, search_field, search_text};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::search::{Source, candidate_texts, words};

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// Why a query cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Longer than [`MAX_QUERY_CHARS`].
    #[error("the query is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
    /// Nothing but spaces.
    #[error("the query has no word")]
    NoWord,
}

/// The normalised words of `query`, the words [`search`] looks for.
pub fn query_words(query: &str) -> Result<Vec<String>, QueryError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let words = words(query);
    if words.is_empty() {
        return Err(QueryError::NoWord);
    }
    Ok(words)
}

/// One field a query matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The duty.
    pub duty: duty::Model,
    /// Where it matched.
    pub source: Source,
    /// The matched item, for item fields.
    pub item: Option<responsibility_item::Model>,
    /// The matched text, as stored (duty name, item text or working method).
    pub text: String,
    /// Each match: character offset and length in `text`, in order, not overlapping.
    pub matches: Vec<(usize, usize)>,
    /// Relevance; higher first.
    pub score: f64,
}

/// Every field matching all `words` among duties meeting `condition`, best first,
/// ties in list, kind, 序号, source and item order.
pub async fn search(
    db: &impl ConnectionTrait,
    words: &[String],
    condition: Condition,
) -> Result<Vec<Hit>, DbErr> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let fields = candidate_fields(db, words, condition).await?;
    let rows = Rows::of(db, &fields).await?;
    let mut hits: Vec<Hit> = fields.iter().filter_map(|f| rows.hit(f, words)).collect();
    hits.sort_by(rank);
    Ok(hits)
}

/// The fields of duties meeting `condition` whose texts hold every gram of
/// `words` (the index's answer, before the exact check).
async fn candidate_fields(
    db: &impl ConnectionTrait,
    words: &[String],
    condition: Condition,
) -> Result<Vec<search_field::Model>, DbErr> {
    search_field::Entity::find()
        .filter(search_field::Column::TextId.in_subquery(candidate_texts(words)))
        .filter(
            search_field::Column::DutyId.in_subquery(
                Query::select()
                    .column(duty::Column::Id)
                    .from(duty::Entity)
                    .cond_where(condition)
                    .to_owned(),
            ),
        )
        .all(db)
        .await
}

/// The duties, items and indexed texts some fields point at, by key.
struct Rows {
    duties: HashMap<i32, duty::Model>,
    items: HashMap<i32, responsibility_item::Model>,
    contents: HashMap<i32, String>,
}

impl Rows {
    /// The rows `fields` point at, one statement per table.
    async fn of(db: &impl ConnectionTrait, fields: &[search_field::Model]) -> Result<Self, DbErr> {
        let duty_ids: BTreeSet<i32> = fields.iter().map(|f| f.duty_id).collect();
        let item_ids: BTreeSet<i32> = fields.iter().filter_map(|f| f.item_id).collect();
        let text_ids: BTreeSet<i32> = fields.iter().map(|f| f.text_id).collect();
        let duties = duty::Entity::find()
            .filter(duty::Column::Id.is_in(duty_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        let items = responsibility_item::Entity::find()
            .filter(responsibility_item::Column::Id.is_in(item_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let contents = search_text::Entity::find()
            .filter(search_text::Column::Id.is_in(text_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.content))
            .collect();
        Ok(Rows {
            duties,
            items,
            contents,
        })
    }

    /// The hit of field `f`, unless its text lacks a word (the grams all occur,
    /// but not every word as a whole).
    fn hit(&self, f: &search_field::Model, words: &[String]) -> Option<Hit> {
        let duty = self.duties.get(&f.duty_id)?;
        let source = Source::parse(&f.source)?;
        let content = self.contents.get(&f.text_id)?;
        let matches = locate(content, words)?;
        let item = f.item_id.and_then(|i| self.items.get(&i)).cloned();
        let text = match source {
            Source::Name => duty.name.clone(),
            Source::WorkingMethod => duty.working_method.clone().unwrap_or_default(),
            _ => item.as_ref().map(|i| i.text.clone()).unwrap_or_default(),
        };
        Some(Hit {
            duty: duty.clone(),
            source,
            item,
            text,
            score: score(source, content, &matches),
            matches,
        })
    }
}

/// Name matches rank above everything else; within a source, the share of the
/// text the matches cover.
fn score(source: Source, content: &str, matches: &[(usize, usize)]) -> f64 {
    let weight = match source {
        Source::Name => 2.0,
        _ => 1.0,
    };
    let length = content.chars().count().max(1) as f64;
    let covered: usize = matches.iter().map(|m| m.1).sum();
    weight + covered as f64 / length
}

/// Best first; ties in list, kind, 序号, source and item order.
fn rank(a: &Hit, b: &Hit) -> Ordering {
    let place = |h: &Hit| {
        (
            h.duty.list_id,
            h.duty.kind,
            h.duty.seq,
            h.source,
            h.item.as_ref().map(|i| i.position),
        )
    };
    b.score
        .total_cmp(&a.score)
        .then_with(|| place(a).cmp(&place(b)))
}

/// Where each word occurs in `content` (character offsets), merged; `None`
/// unless every word occurs.
fn locate(content: &str, words: &[String]) -> Option<Vec<(usize, usize)>> {
    let chars: Vec<char> = content.chars().collect();
    let mut spans = Vec::new();
    for word in words {
        let w: Vec<char> = word.chars().collect();
        let mut found = false;
        for start in 0..chars.len().saturating_sub(w.len() - 1) {
            if chars[start..].starts_with(&w) {
                spans.push((start, w.len()));
                found = true;
            }
        }
        if !found {
            return None;
        }
    }
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, len) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.0 + last.1 => last.1 = last.1.max(start + len - last.0),
            _ => merged.push((start, len)),
        }
    }
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_must_occur_and_matches_merge() {
        assert_eq!(
            locate("督促燃气企业入户排查", &["燃气".into(), "入户".into()]),
            Some(vec![(2, 2), (6, 2)])
        );
        assert_eq!(
            locate("燃气站", &["燃气".into(), "气站".into()]),
            Some(vec![(0, 3)])
        );
        assert_eq!(locate("燃气", &["入户".into()]), None);
    }

    #[test]
    fn queries_are_bounded_and_need_a_word() {
        assert_eq!(
            query_words(" 燃气　入户 "),
            Ok(vec!["燃气".into(), "入户".into()])
        );
        assert_eq!(query_words("　 "), Err(QueryError::NoWord));
        assert_eq!(query_words(&"林".repeat(101)), Err(QueryError::TooLong));
        assert!(query_words(&"林".repeat(100)).is_ok());
    }
}
