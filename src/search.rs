//! The search index over duty names, responsibility items and working methods,
//! for Chinese queries of any length, on SQLite and PostgreSQL alike: how it is
//! written (by the importer and [`backfill`]) and how its grams are looked up.
//! Answering a query with ranked, counted hits is [`crate::domain::search`].
//!
//! Every field's text is normalised (full-width ASCII folded, lower case: one
//! character for one, so offsets carry over to the original) and stored once per
//! distinct text in `search_text`, with its length and how many fields of current
//! editions hold it, and with each of its characters and each pair of adjacent
//! characters in `search_gram`, with how much of the text their occurrences
//! cover. A word of one or two characters is one gram, so the index alone says
//! which texts hold it and how much; a longer word looks up all its bigrams and
//! the candidates are checked on their content. Each field in `search_field`
//! carries its duty's place, so equally scored hits come in order from an index.
//! Trigram indexes (pg_trgm) cannot answer one- or two-character queries, which
//! are most Chinese queries; an external search server is more than lvzhi needs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use entity::{
    DutyKind, duty, duty_list, responsibility_item, search_field, search_gram, search_text,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
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
    /// The source as stored.
    pub fn code(self) -> &'static str {
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
    let grams = query_grams(words);
    let n = grams.len() as i64;
    Query::select()
        .column(search_gram::Column::TextId)
        .from(search_gram::Entity)
        .and_where(search_gram::Column::Gram.is_in(grams))
        .group_by_col(search_gram::Column::TextId)
        .and_having(Expr::col(search_gram::Column::Gram).count().eq(n))
        .to_owned()
}

/// Characters of `content` covered by the occurrences of `word`, overlapping
/// occurrences merged (`哈哈` covers all three characters of `哈哈哈`); 0 when
/// it does not occur.
pub fn covered(content: &[char], word: &[char]) -> usize {
    if word.is_empty() || word.len() > content.len() {
        return 0;
    }
    let mut total = 0;
    let mut end = 0;
    for start in 0..=content.len() - word.len() {
        if content[start..].starts_with(word) {
            let stop = start + word.len();
            total += stop - start.max(end);
            end = stop;
        }
    }
    total
}

/// Whether every word's grams decide by themselves that the word occurs: a
/// word of one or two characters is one gram of the index.
pub fn decided_by_grams(words: &[String]) -> bool {
    words.iter().all(|w| w.chars().count() <= 2)
}

/// The grams of a query's words, each word's grams once.
pub fn query_grams(words: &[String]) -> BTreeSet<String> {
    words.iter().flat_map(|w| word_grams(w)).collect()
}

/// A duty's id and its place among the lists: the order of equally scored hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DutyPlace {
    /// The duty.
    pub duty_id: i32,
    /// Its list.
    pub list_id: i32,
    /// Its table.
    pub kind: DutyKind,
    /// Its 序号.
    pub seq: i32,
}

impl DutyPlace {
    /// The place of a stored duty.
    pub fn of(d: &duty::Model) -> Self {
        DutyPlace {
            duty_id: d.id,
            list_id: d.list_id,
            kind: d.kind,
            seq: d.seq,
        }
    }
}

/// One searchable field: a duty's name or working method, or an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The duty and its place.
    pub duty: DutyPlace,
    /// Which field.
    pub source: Source,
    /// The item and its position in its column, for item fields.
    pub item: Option<(i32, i32)>,
    /// The field's text, normalised.
    pub content: String,
}

impl Field {
    /// The field of a duty's name.
    pub fn name(duty: DutyPlace, name: &str) -> Self {
        Field::new(duty, Source::Name, None, name)
    }

    /// The field of a reclaimed duty's working method.
    pub fn working_method(duty: DutyPlace, method: &str) -> Self {
        Field::new(duty, Source::WorkingMethod, None, method)
    }

    /// The field of item `id` at `position` of `party`'s column.
    pub fn item(duty: DutyPlace, party: entity::Party, id: i32, position: i32, text: &str) -> Self {
        let source = match party {
            entity::Party::Department => Source::DepartmentItem,
            entity::Party::Town => Source::TownItem,
        };
        Field::new(duty, source, Some((id, position)), text)
    }

    fn new(duty: DutyPlace, source: Source, item: Option<(i32, i32)>, text: &str) -> Self {
        Field {
            duty,
            source,
            item,
            content: normalize(text),
        }
    }
}

/// (Re)build the index of duties: names, items and working methods, as the
/// database holds them.
pub async fn index_duties(db: &impl ConnectionTrait, duty_ids: &[i32]) -> Result<(), DbErr> {
    delete_fields(db, duty_ids).await?;
    let mut fields: Vec<Field> = Vec::new();
    for chunk in duty_ids.chunks(CHUNK) {
        let mut places = HashMap::new();
        for d in duty::Entity::find()
            .filter(duty::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            let place = DutyPlace::of(&d);
            places.insert(d.id, place);
            fields.push(Field::name(place, &d.name));
            if let Some(method) = &d.working_method {
                fields.push(Field::working_method(place, method));
            }
        }
        let items = responsibility_item::Entity::find()
            .filter(responsibility_item::Column::DutyId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for i in items {
            if let Some(place) = places.get(&i.duty_id) {
                fields.push(Field::item(*place, i.party, i.id, i.position, &i.text));
            }
        }
    }
    write_fields(db, &fields).await
}

/// Remove the fields of duties, before they are indexed again, and take those
/// of current editions off their texts' counts.
pub async fn delete_fields(db: &impl ConnectionTrait, duty_ids: &[i32]) -> Result<(), DbErr> {
    for chunk in duty_ids.chunks(CHUNK) {
        let held: Vec<(i32, String, i32)> = search_field::Entity::find()
            .select_only()
            .column(search_field::Column::TextId)
            .column(search_field::Column::Source)
            .column(search_field::Column::ListId)
            .filter(search_field::Column::DutyId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let current = current_lists(db, held.iter().map(|h| h.2)).await?;
        let counted = held
            .iter()
            .filter(|h| current.contains(&h.2))
            .map(|(t, s, _)| (*t, s.as_str() == Source::Name.code()));
        FieldCounts::of(counted).apply(db, -1).await?;
        search_field::Entity::delete_many()
            .filter(search_field::Column::DutyId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Count the fields of `list` in (`current`) or out of their texts' counts,
/// when the edition becomes or stops being its town's current one.
pub async fn list_currency_changed(
    db: &impl ConnectionTrait,
    list_id: i32,
    current: bool,
) -> Result<(), DbErr> {
    let held: Vec<(i32, String)> = search_field::Entity::find()
        .select_only()
        .column(search_field::Column::TextId)
        .column(search_field::Column::Source)
        .filter(
            search_field::Column::DutyId.in_subquery(
                Query::select()
                    .column(duty::Column::Id)
                    .from(duty::Entity)
                    .and_where(duty::Column::ListId.eq(list_id))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    let counts = FieldCounts::of(
        held.iter()
            .map(|(t, s)| (*t, s.as_str() == Source::Name.code())),
    );
    counts.apply(db, if current { 1 } else { -1 }).await
}

/// Which of `lists` are their town's current edition.
async fn current_lists(
    db: &impl ConnectionTrait,
    lists: impl Iterator<Item = i32>,
) -> Result<HashSet<i32>, DbErr> {
    let lists: BTreeSet<i32> = lists.collect();
    let mut current = HashSet::new();
    for chunk in lists.into_iter().collect::<Vec<_>>().chunks(CHUNK) {
        let ids: Vec<i32> = duty_list::Entity::find()
            .select_only()
            .column(duty_list::Column::Id)
            .filter(duty_list::Column::Id.is_in(chunk.iter().copied()))
            .filter(duty_list::Column::ValidUntil.is_null())
            .into_tuple()
            .all(db)
            .await?;
        current.extend(ids);
    }
    Ok(current)
}

/// Index fields of duties that have none: each distinct text once, with its grams,
/// then the fields, then the counts of texts held by current editions. The importer passes the fields it
/// has just written, so nothing is read back.
pub async fn write_fields(db: &impl ConnectionTrait, fields: &[Field]) -> Result<(), DbErr> {
    let text_ids = ensure_texts(db, fields.iter().map(|f| f.content.as_str())).await?;
    let current = current_lists(db, fields.iter().map(|f| f.duty.list_id)).await?;
    let mut rows = Vec::with_capacity(fields.len());
    let mut held = Vec::with_capacity(fields.len());
    for f in fields {
        let text_id = *text_ids
            .get(f.content.as_str())
            .ok_or_else(|| DbErr::Custom("an indexed text has no id".to_owned()))?;
        if current.contains(&f.duty.list_id) {
            held.push((text_id, f.source == Source::Name));
        }
        rows.push(search_field::ActiveModel {
            duty_id: Set(f.duty.duty_id),
            source: Set(f.source.code().to_owned()),
            item_id: Set(f.item.map(|i| i.0)),
            text_id: Set(text_id),
            list_id: Set(f.duty.list_id),
            kind: Set(f.duty.kind),
            seq: Set(f.duty.seq),
            position: Set(f.item.map(|i| i.1)),
            ..Default::default()
        });
    }
    for chunk in owned_chunks(rows, rows_per_insert(8)) {
        search_field::Entity::insert_many(chunk).exec(db).await?;
    }
    FieldCounts::of(held.into_iter()).apply(db, 1).await
}

/// Fields of current editions per text, name fields apart: what a write adds
/// to or a delete takes from `search_text`'s counts.
#[derive(Default)]
struct FieldCounts(BTreeMap<i32, (i32, i32)>);

impl FieldCounts {
    fn of(fields: impl Iterator<Item = (i32, bool)>) -> Self {
        let mut counts = FieldCounts::default();
        for (text_id, is_name) in fields {
            let entry = counts.0.entry(text_id).or_default();
            if is_name {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
        counts
    }

    /// Add the counts (`sign` 1) or take them off (`sign` -1): one statement
    /// per distinct change (most texts gain one field). Rows are locked in id
    /// order first, so concurrent imports sharing texts cannot deadlock.
    async fn apply(&self, db: &impl ConnectionTrait, sign: i32) -> Result<(), DbErr> {
        let ids: Vec<i32> = self.0.keys().copied().collect();
        for chunk in ids.chunks(CHUNK) {
            let _locked: Vec<i32> = search_text::Entity::find()
                .select_only()
                .column(search_text::Column::Id)
                .filter(search_text::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(search_text::Column::Id)
                .lock_exclusive()
                .into_tuple()
                .all(db)
                .await?;
        }
        let mut by_change: BTreeMap<(i32, i32), Vec<i32>> = BTreeMap::new();
        for (id, change) in &self.0 {
            by_change.entry(*change).or_default().push(*id);
        }
        for ((names, others), ids) in by_change {
            for chunk in ids.chunks(CHUNK) {
                search_text::Entity::update_many()
                    .col_expr(
                        search_text::Column::NameFields,
                        Expr::col(search_text::Column::NameFields).add(sign * names),
                    )
                    .col_expr(
                        search_text::Column::OtherFields,
                        Expr::col(search_text::Column::OtherFields).add(sign * others),
                    )
                    .filter(search_text::Column::Id.is_in(chunk.iter().copied()))
                    .exec(db)
                    .await?;
            }
        }
        Ok(())
    }
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
    for chunk in missing.chunks(rows_per_insert(3)) {
        let rows = chunk.iter().map(|c| search_text::ActiveModel {
            hash: Set(hash(c)),
            content: Set((*c).to_owned()),
            length: Set(c.chars().count() as i32),
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
        for g in owned_chunks(grams, rows_per_insert(3)) {
            search_gram::Entity::insert_many(g).exec(db).await?;
        }
    }
    Ok(ids)
}

fn grams_of(content: &str, text_id: i32) -> Vec<search_gram::ActiveModel> {
    let chars: Vec<char> = content.chars().collect();
    grams(content)
        .into_iter()
        .map(|gram| {
            let gram_chars: Vec<char> = gram.chars().collect();
            search_gram::ActiveModel {
                covered: Set(covered(&chars, &gram_chars) as i32),
                gram: Set(gram),
                text_id: Set(text_id),
            }
        })
        .collect()
}

/// Duties indexed together by [`backfill`].
const BACKFILL_BATCH: usize = 2_000;

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
        // A batch at a time: a whole country's fields would not fit in memory.
        for batch in missing.chunks(BACKFILL_BATCH) {
            index_duties(db, batch).await?;
        }
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
    fn coverage_counts_each_character_once() {
        let of = |content: &str, word: &str| {
            let c: Vec<char> = content.chars().collect();
            let w: Vec<char> = word.chars().collect();
            covered(&c, &w)
        };
        assert_eq!(of("燃气站燃气", "燃气"), 4);
        assert_eq!(of("哈哈哈", "哈哈"), 3);
        assert_eq!(of("林林林", "林"), 3);
        assert_eq!(of("燃气", "入户"), 0);
        assert_eq!(of("林", "林业"), 0);
        assert_eq!(of("", "林"), 0);
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
