//! Answering a search: the duties whose names, items or working methods hold
//! every word of a query, as ranked hits with the matches located. The index it
//! reads, and how queries and texts are normalised, is [`crate::search`].

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use entity::{DutyKind, duty, responsibility_item, search_field, search_gram, search_text};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use super::duty::Filter;
use super::rows;
use super::scope::Scope;
use crate::db::CHUNK;
use crate::db::columns::{self, columns};
use crate::search::{Source, candidate_texts, decided_by_grams, normalize, query_grams, words};

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

/// A page of hits and how many there are in all.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// The hits from the offset asked for, best first.
    pub hits: Vec<Hit>,
    /// Every hit's count, across pages.
    pub total: usize,
}

/// The hits `offset..offset + limit` of every field matching all `words` among
/// the duties of `filter`, best first, ties in list, kind, 序号, source and item
/// order; and their count.
///
/// Work grows with the distinct texts holding the words and with the page,
/// not with the fields sharing those texts: the texts are scored from the
/// index's coverage counts, grouped by score, counted (from the texts' own
/// counts for the current editions unfiltered, else in one grouped statement)
/// and only the groups the page falls in are read, in order, from the index.
pub async fn search(
    db: &impl ConnectionTrait,
    words: &[String],
    filter: &Filter,
    offset: usize,
    limit: usize,
) -> Result<Page, DbErr> {
    if words.is_empty() {
        return Ok(Page {
            hits: Vec::new(),
            total: 0,
        });
    }
    let texts = matching_texts(db, words).await?;
    if texts.is_empty() {
        return Ok(Page {
            hits: Vec::new(),
            total: 0,
        });
    }
    let within = FieldFilter::of(filter);
    let groups = match within.current_only {
        true => Group::all(texts.values().map(|t| (t, t.name_fields, t.other_fields))),
        false => {
            let counts = count_fields(db, &texts, &within).await?;
            Group::all(texts.values().map(|t| {
                let (names, others) = counts.get(&t.id).copied().unwrap_or_default();
                (t, names, others)
            }))
        }
    };
    let total = groups.iter().map(|g| g.count).sum();
    let fields = page_fields(db, &groups, &within, offset, limit).await?;
    let rows = Rows::of(db, &fields).await?;
    let hits = fields
        .iter()
        .filter_map(|f| rows.hit(f, words, texts.get(&f.text_id)?))
        .collect();
    Ok(Page { hits, total })
}

/// A text holding every word, with what its score and counts need.
#[derive(Clone, Debug)]
struct Text {
    id: i32,
    /// Characters the words' occurrences cover (each word on its own, at most
    /// the whole text).
    covered: i64,
    length: i64,
    name_fields: i64,
    other_fields: i64,
}

/// The texts holding every word. Words of one or two characters are decided
/// by the grams alone, with their coverage from the index; longer words are
/// checked in the candidate texts' content.
async fn matching_texts(
    db: &impl ConnectionTrait,
    words: &[String],
) -> Result<HashMap<i32, Text>, DbErr> {
    let texts = if decided_by_grams(words) {
        scored_by_grams(db, words).await?
    } else {
        scored_by_content(db, words).await?
    };
    Ok(texts.into_iter().map(|t| (t.id, t)).collect())
}

/// The statement that finds the texts holding `words` through the gram
/// index: with their coverage for words of one or two characters, else the
/// candidates to check.
pub fn texts_statement(words: &[String]) -> SelectStatement {
    match decided_by_grams(words) {
        true => scored_texts(words),
        false => candidate_texts(words),
    }
}

/// Texts holding every gram of `words` (each word one gram), with the grams'
/// coverage summed: one grouped statement over the gram index.
async fn scored_by_grams(db: &impl ConnectionTrait, words: &[String]) -> Result<Vec<Text>, DbErr> {
    let rows = db.query_all(&scored_texts(words)).await?;
    rows.iter()
        .map(|r| {
            let length: i32 = r.try_get_by_index(2)?;
            let covered: i64 = r.try_get_by_index(1)?;
            Ok(Text {
                id: r.try_get_by_index(0)?,
                covered: std::cmp::min(covered, length as i64),
                length: length as i64,
                name_fields: r.try_get_by_index::<i32>(3)? as i64,
                other_fields: r.try_get_by_index::<i32>(4)? as i64,
            })
        })
        .collect()
}

/// Id, summed coverage, length and field counts of the texts holding every
/// gram of `words`. The grams are grouped first and only the texts holding all
/// of them are looked up by key: joined before grouping, the planner would
/// expect a row of `search_text` per gram occurrence and scan the table.
fn scored_texts(words: &[String]) -> SelectStatement {
    let grams = query_grams(words);
    let n = grams.len() as i64;
    let (matched, covered) = (Alias::new("matched"), Alias::new("covered"));
    let gram = |c: search_gram::Column| Expr::col((search_gram::Entity, c));
    let holding_all = Query::select()
        .expr(gram(search_gram::Column::TextId))
        .expr_as(gram(search_gram::Column::Covered).sum(), covered.clone())
        .from(search_gram::Entity)
        .and_where(gram(search_gram::Column::Gram).is_in(grams))
        .group_by_col((search_gram::Entity, search_gram::Column::TextId))
        .and_having(gram(search_gram::Column::Gram).count().eq(n))
        .to_owned();
    let text = |c: search_text::Column| Expr::col((search_text::Entity, c));
    Query::select()
        .expr(text(search_text::Column::Id))
        .expr(Expr::col((matched.clone(), covered)))
        .expr(text(search_text::Column::Length))
        .expr(text(search_text::Column::NameFields))
        .expr(text(search_text::Column::OtherFields))
        .from_subquery(holding_all, matched.clone())
        .inner_join(
            search_text::Entity,
            text(search_text::Column::Id).equals((matched, search_gram::Column::TextId)),
        )
        .to_owned()
}

/// Texts holding every word, for words longer than a gram: the candidates
/// holding every gram, checked and scored on their content.
async fn scored_by_content(
    db: &impl ConnectionTrait,
    words: &[String],
) -> Result<Vec<Text>, DbErr> {
    let candidates = search_text::Entity::find()
        .filter(search_text::Column::Id.in_subquery(candidate_texts(words)))
        .all(db)
        .await?;
    let words: Vec<Vec<char>> = words.iter().map(|w| w.chars().collect()).collect();
    Ok(candidates
        .into_iter()
        .filter_map(|t| {
            let content: Vec<char> = t.content.chars().collect();
            let mut covered = 0;
            for w in &words {
                let c = crate::search::covered(&content, w);
                if c == 0 {
                    return None;
                }
                covered += c;
            }
            Some(Text {
                id: t.id,
                covered: covered.min(content.len()) as i64,
                length: t.length as i64,
                name_fields: t.name_fields as i64,
                other_fields: t.other_fields as i64,
            })
        })
        .collect())
}

/// The fields a search reads: those of the filter's editions, and of the
/// filter's duties when it asks more than editions.
struct FieldFilter {
    condition: Condition,
    /// Every current edition and nothing more: the texts' own counts count.
    current_only: bool,
}

impl FieldFilter {
    fn of(filter: &Filter) -> Self {
        let scope_only = filter.is_scope_only();
        let mut condition = Condition::all().add(
            filter
                .scope
                .on((search_field::Entity, search_field::Column::ListId)),
        );
        if !scope_only {
            condition = condition.add(
                search_field::Column::DutyId.in_subquery(
                    Query::select()
                        .column(duty::Column::Id)
                        .from(duty::Entity)
                        .cond_where(filter.condition())
                        .to_owned(),
                ),
            );
        }
        FieldFilter {
            condition,
            current_only: scope_only && filter.scope == Scope::Current,
        }
    }
}

/// Name and other fields per text under `within`: one grouped statement per
/// chunk of texts.
async fn count_fields(
    db: &impl ConnectionTrait,
    texts: &HashMap<i32, Text>,
    within: &FieldFilter,
) -> Result<HashMap<i32, (i64, i64)>, DbErr> {
    let ids: Vec<i32> = texts.keys().copied().collect();
    let mut counts: HashMap<i32, (i64, i64)> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i32, String, i64)> = search_field::Entity::find()
            .select_only()
            .column(search_field::Column::TextId)
            .column(search_field::Column::Source)
            .column_as(search_field::Column::Id.count(), "fields")
            .filter(search_field::Column::TextId.is_in(chunk.iter().copied()))
            .filter(within.condition.clone())
            .group_by(search_field::Column::TextId)
            .group_by(search_field::Column::Source)
            .into_tuple()
            .all(db)
            .await?;
        for (text_id, source, n) in rows {
            let entry = counts.entry(text_id).or_default();
            match Source::parse(&source) {
                Some(Source::Name) => entry.0 += n,
                _ => entry.1 += n,
            }
        }
    }
    Ok(counts)
}

/// A hit's score as an exact fraction: the source's weight (2 for a name, 1
/// for the rest) plus the share of the text the words cover. Exact, so equal
/// scores group the same way on every backend and every run.
#[derive(Clone, Copy, Debug)]
struct Score {
    weight: i64,
    covered: i64,
    length: i64,
}

impl Score {
    /// The score of a name field (`name`) or another field holding `text`.
    fn of(name: bool, text: &Text) -> Self {
        Score {
            weight: if name { 2 } else { 1 },
            covered: text.covered,
            length: text.length,
        }
    }

    /// The length, never 0 (an empty text matches nothing anyway).
    fn length(self) -> i64 {
        std::cmp::max(self.length, 1)
    }

    fn value(self) -> f64 {
        self.weight as f64 + self.covered as f64 / self.length() as f64
    }

    fn numerator(self) -> i128 {
        (self.weight * self.length() + self.covered) as i128
    }
}

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.numerator() * other.length() as i128)
            .cmp(&(other.numerator() * self.length() as i128))
    }
}

/// Fields of one score: the name fields (or the other fields) of texts
/// scoring the same, in list, kind, 序号, source and item order.
struct Group {
    names: bool,
    texts: Vec<i32>,
    count: usize,
}

impl Group {
    /// The condition on a field's source: names, or the others.
    fn source(&self) -> sea_orm::sea_query::SimpleExpr {
        match self.names {
            true => search_field::Column::Source.eq(Source::Name.code()),
            false => search_field::Column::Source.ne(Source::Name.code()),
        }
    }

    /// Whether the field is one of the group's.
    fn holds(&self, f: &FieldRow) -> bool {
        (f.source == Source::Name.code()) == self.names
            && self.texts.binary_search(&f.text_id).is_ok()
    }

    /// Every non-empty group of `texts` (each with its name and other field
    /// counts), best first.
    fn all<'a>(texts: impl Iterator<Item = (&'a Text, i64, i64)>) -> Vec<Group> {
        let mut by_score: BTreeMap<(Reverse<Score>, bool), (Vec<i32>, usize)> = BTreeMap::new();
        for (t, names, others) in texts {
            for (names_group, n) in [(true, names), (false, others)] {
                if n > 0 {
                    let score = Score::of(names_group, t);
                    let entry = by_score.entry((Reverse(score), !names_group)).or_default();
                    entry.0.push(t.id);
                    entry.1 += n as usize;
                }
            }
        }
        by_score
            .into_iter()
            .map(|((_, not_names), (mut texts, count))| {
                texts.sort_unstable();
                Group {
                    names: !not_names,
                    texts,
                    count,
                }
            })
            .collect()
    }
}

/// Fields of consecutive groups read whole in one statement, at most: a page
/// that spans many small groups (a town's list, a rare word) costs one
/// statement, not one per group.
const SMALL_GROUPS: usize = 200;

/// The fields at `offset..offset + limit` of the groups' order.
async fn page_fields(
    db: &impl ConnectionTrait,
    groups: &[Group],
    within: &FieldFilter,
    offset: usize,
    limit: usize,
) -> Result<Vec<FieldRow>, DbErr> {
    let slices = page_slices(groups, offset, limit);
    let mut fields = Vec::new();
    let mut i = 0;
    while i < slices.len() {
        let (mut j, mut rows, mut texts) = (i, 0, 0);
        while let Some(slice) = slices.get(j) {
            rows += slice.group.count;
            texts += slice.group.texts.len();
            if rows > SMALL_GROUPS || texts > CHUNK {
                break;
            }
            j += 1;
        }
        if j > i + 1 {
            fields.extend(small_groups(db, &slices[i..j], within).await?);
            i = j;
        } else {
            let s = &slices[i];
            fields.extend(group_fields(db, s.group, within, s.skip, s.take).await?);
            i += 1;
        }
    }
    Ok(fields)
}

/// The part of one group a page takes.
struct Slice<'a> {
    group: &'a Group,
    skip: usize,
    take: usize,
}

/// The groups `offset..offset + limit` falls in, each with its part.
fn page_slices(groups: &[Group], offset: usize, limit: usize) -> Vec<Slice<'_>> {
    let mut slices = Vec::new();
    let (mut start, mut left) = (0, limit);
    for group in groups {
        if left == 0 {
            break;
        }
        let end = start + group.count;
        if end > offset {
            let skip = offset.saturating_sub(start);
            let take = left.min(group.count - skip);
            slices.push(Slice { group, skip, take });
            left -= take;
        }
        start = end;
    }
    slices
}

/// Several small groups read whole in one statement, each cut to its part.
async fn small_groups(
    db: &impl ConnectionTrait,
    slices: &[Slice<'_>],
    within: &FieldFilter,
) -> Result<Vec<FieldRow>, DbErr> {
    let mut any = Condition::any();
    for s in slices {
        any = any.add(
            Condition::all()
                .add(search_field::Column::TextId.is_in(s.group.texts.iter().copied()))
                .add(s.group.source()),
        );
    }
    let query = field_rows().filter(any).filter(within.condition.clone());
    let rows = read_fields(db, query.into_query()).await?;
    let mut fields = Vec::new();
    for s in slices {
        let mut mine: Vec<&FieldRow> = rows.iter().filter(|r| s.group.holds(r)).collect();
        mine.sort_by(|a, b| place(a).cmp(&place(b)));
        fields.extend(mine.into_iter().skip(s.skip).take(s.take).cloned());
    }
    Ok(fields)
}

/// Most texts whose fields [`group_fields`] reads text by text.
const MERGED_TEXTS: usize = 64;

/// Fields `skip..skip + take` of one group, read in order from the index:
/// text by text, at most `skip + take` of each, merged, when that reads fewer
/// fields than the group holds; else the group's fields in one statement per
/// chunk of texts (several statements merged).
async fn group_fields(
    db: &impl ConnectionTrait,
    group: &Group,
    within: &FieldFilter,
    skip: usize,
    take: usize,
) -> Result<Vec<FieldRow>, DbErr> {
    let texts = group.texts.len();
    if texts > 1 && texts <= MERGED_TEXTS && texts * (skip + take) < group.count {
        let merged = merged_fields(group, within, skip, take);
        return read_fields(db, merged).await;
    }
    let chunks: Vec<&[i32]> = group.texts.chunks(CHUNK).collect();
    let single = chunks.len() == 1;
    let mut fields = Vec::new();
    for chunk in chunks {
        let (offset, limit) = if single {
            (skip, take)
        } else {
            (0, skip + take)
        };
        let query = in_place_order(field_rows())
            .filter(search_field::Column::TextId.is_in(chunk.iter().copied()))
            .filter(group.source())
            .filter(within.condition.clone())
            .offset(offset as u64)
            .limit(limit as u64);
        let found = read_fields(db, query.into_query()).await?;
        fields.extend(found);
    }
    if !single {
        fields.sort_by(|a, b| place(a).cmp(&place(b)));
        fields = fields.into_iter().skip(skip).take(take).collect();
    }
    Ok(fields)
}

/// Fields `skip..skip + take` of `group`, one text at a time: the first
/// `skip + take` fields of each text, each an ordered range of the index,
/// merged in the same order. A page thus costs the same at 10 towns or 10,000,
/// where the group's fields, sorted whole, grow with the towns.
fn merged_fields(group: &Group, within: &FieldFilter, skip: usize, take: usize) -> SelectStatement {
    let of_text = |(i, &text): (usize, &i32)| {
        let first = in_place_order(field_rows())
            .filter(search_field::Column::TextId.eq(text))
            .filter(group.source())
            .filter(within.condition.clone())
            .limit((skip + take) as u64)
            .into_query();
        // SQLite orders and limits a compound's members only as subqueries.
        Query::select()
            .column(Asterisk)
            .from_subquery(first, Alias::new(format!("t{i}")))
            .to_owned()
    };
    let mut parts = group.texts.iter().enumerate().map(of_text);
    let mut union = parts.next().unwrap_or_else(|| Query::select().to_owned());
    for part in parts {
        union.union(UnionType::All, part);
    }
    let mut merged = Query::select()
        .column(Asterisk)
        .from_subquery(union, Alias::new("fields"))
        .to_owned();
    for column in PLACE_ORDER {
        merged.order_by(column, sea_orm::Order::Asc);
    }
    merged.offset(skip as u64).limit(take as u64).to_owned()
}

/// The columns a group's fields are in order by (the index's, after the text).
const PLACE_ORDER: [search_field::Column; 5] = [
    search_field::Column::ListId,
    search_field::Column::Kind,
    search_field::Column::Seq,
    search_field::Column::Source,
    search_field::Column::Position,
];

/// `query` in [`PLACE_ORDER`].
fn in_place_order(
    query: sea_orm::Select<search_field::Entity>,
) -> sea_orm::Select<search_field::Entity> {
    PLACE_ORDER
        .into_iter()
        .fold(query, |query, column| query.order_by_asc(column))
}

/// The columns of [`FieldRow`].
fn field_rows() -> sea_orm::Select<search_field::Entity> {
    search_field::Entity::find().select_only().columns([
        search_field::Column::TextId,
        search_field::Column::ListId,
        search_field::Column::Kind,
        search_field::Column::Seq,
        search_field::Column::Source,
        search_field::Column::Position,
        search_field::Column::DutyId,
        search_field::Column::ItemId,
    ])
}

/// The fields `query` (of [`field_rows`]' columns) selects.
async fn read_fields(
    db: &impl ConnectionTrait,
    query: SelectStatement,
) -> Result<Vec<FieldRow>, DbErr> {
    columns::read_all(&db.query_all(&query).await?, "")
}

/// A field as a page reads it: the columns of the index on texts' fields, so
/// that PostgreSQL reads them from the index alone.
#[derive(Clone, Debug)]
struct FieldRow {
    text_id: i32,
    list_id: i32,
    kind: DutyKind,
    seq: i32,
    source: String,
    position: Option<i32>,
    duty_id: i32,
    item_id: Option<i32>,
}

columns!(FieldRow {
    text_id,
    list_id,
    kind,
    seq,
    source,
    position,
    duty_id,
    item_id,
});

/// The order of a group's fields, as the index keeps it.
fn place(f: &FieldRow) -> (i32, DutyKind, i32, &str, Option<i32>) {
    (f.list_id, f.kind, f.seq, f.source.as_str(), f.position)
}

/// The duties and items some fields point at, by key.
struct Rows {
    duties: HashMap<i32, duty::Model>,
    items: HashMap<i32, responsibility_item::Model>,
}

impl Rows {
    /// The rows `fields` point at, one statement per table.
    async fn of(db: &impl ConnectionTrait, fields: &[FieldRow]) -> Result<Self, DbErr> {
        let duty_ids: BTreeSet<i32> = fields.iter().map(|f| f.duty_id).collect();
        let item_ids: BTreeSet<i32> = fields.iter().filter_map(|f| f.item_id).collect();
        let duties = duty::Entity::find().filter(duty::Column::Id.is_in(duty_ids));
        let duties = columns::read_all::<duty::Model>(&rows(db, duties).await?, "")?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        let items = match item_ids.is_empty() {
            true => HashMap::new(),
            false => {
                let items = responsibility_item::Entity::find()
                    .filter(responsibility_item::Column::Id.is_in(item_ids));
                columns::read_all::<responsibility_item::Model>(&rows(db, items).await?, "")?
                    .into_iter()
                    .map(|i| (i.id, i))
                    .collect()
            }
        };
        Ok(Rows { duties, items })
    }

    /// The hit of field `f`, whose text `text` holds every word.
    fn hit(&self, f: &FieldRow, words: &[String], text: &Text) -> Option<Hit> {
        let duty = self.duties.get(&f.duty_id)?;
        let source = Source::parse(&f.source)?;
        let item = f.item_id.and_then(|i| self.items.get(&i)).cloned();
        let text_of_field = match source {
            Source::Name => duty.name.clone(),
            Source::WorkingMethod => duty.working_method.clone().unwrap_or_default(),
            _ => item.as_ref().map(|i| i.text.clone()).unwrap_or_default(),
        };
        // The indexed text is this one normalised, one character for one.
        let matches = locate(&normalize(&text_of_field), words)?;
        let score = Score::of(source == Source::Name, text);
        Some(Hit {
            duty: duty.clone(),
            source,
            item,
            text: text_of_field,
            score: score.value(),
            matches,
        })
    }
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
