//! A resolved list → rows, in one transaction.
//!
//! IDs stay stable for county OA systems that store them: counties, departments and
//! categories are upserted by name, the list by (county, town, month), and duties
//! by (list, kind, 序号). A list whose content fingerprint is unchanged is left as
//! it is, so importing the same document twice changes nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use entity::{
    category, county, department, department_alias, duty, duty_department, duty_list,
    item_department, responsibility_item, stated_count,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait, Unchanged,
};
use sha2::{Digest, Sha256};

use super::ImportError;
use super::reconcile::Report;
use super::registry::DepartmentDef;
use super::resolve::{ResolvedDuty, ResolvedItem, ResolvedList};
use crate::db::{CHUNK, owned_chunks, rows_per_insert};
use crate::search::{Field, Source};

/// What an import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// A new list (town and edition) was created.
    Created,
    /// An existing list of the same town and edition was replaced.
    Replaced,
    /// The same content was already there; nothing changed.
    Unchanged,
}

/// The result of a successful import.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The list's database id.
    pub list_id: i32,
    /// What happened.
    pub status: Status,
    /// The reconciliation with the preamble.
    pub report: Report,
}

/// Time spent on each step of one store, logged at debug level
/// (`LVZHI_LOG=lvzhi::import::store=debug`): where an import's time goes, for
/// profiling imports at scale without a profiler.
struct Steps {
    at: Instant,
    spent: Vec<(&'static str, Duration)>,
}

impl Steps {
    fn start() -> Self {
        Steps {
            at: Instant::now(),
            spent: Vec::new(),
        }
    }

    /// Close the current step under `name`.
    fn done(&mut self, name: &'static str) {
        let now = Instant::now();
        self.spent.push((name, now - self.at));
        self.at = now;
    }
}

impl std::fmt::Display for Steps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (name, spent)) in self.spent.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{name} {:.1} ms", spent.as_secs_f64() * 1e3)?;
        }
        Ok(())
    }
}

/// The encoding the fingerprint hashes, explicit so that nothing but the content
/// changes it: every string length-prefixed, every optional value tagged, kinds and
/// parties by the values the database stores (which a rename of a Rust variant
/// cannot change).
struct Encoder(Sha256);

impl Encoder {
    fn text(&mut self, s: &str) {
        self.0.update((s.len() as u64).to_le_bytes());
        self.0.update(s.as_bytes());
    }

    fn number(&mut self, n: u32) {
        self.0.update(n.to_le_bytes());
    }

    fn optional_number(&mut self, n: Option<u32>) {
        match n {
            None => self.0.update([0]),
            Some(n) => {
                self.0.update([1]);
                self.number(n);
            }
        }
    }

    fn optional_text(&mut self, s: Option<&str>) {
        match s {
            None => self.0.update([0]),
            Some(s) => {
                self.0.update([1]);
                self.text(s);
            }
        }
    }

    fn names(&mut self, list: &ResolvedList, departments: &[usize]) {
        self.number(departments.len() as u32);
        for &i in departments {
            self.text(&list.departments[i].name);
        }
    }
}

/// A digest of everything the list stores, with departments by name.
pub fn fingerprint(list: &ResolvedList) -> String {
    use sea_orm::ActiveEnum;
    let mut e = Encoder(Sha256::new());
    for s in [
        &list.region,
        &list.prefecture,
        &list.county,
        &list.town,
        &list.title,
        &list.published_on,
        &list.preamble,
    ] {
        e.text(s);
    }
    e.number(list.stated_rows.len() as u32);
    for row in &list.stated_rows {
        e.text(&row.kind.to_value());
        e.optional_number(row.duty_count);
        e.optional_number(row.category_count);
        e.optional_number(row.department_count);
        e.optional_text(row.category_names.as_deref());
    }
    e.number(list.duties.len() as u32);
    for d in &list.duties {
        e.text(&d.kind.to_value());
        e.number(d.seq);
        e.text(&d.category);
        e.text(&d.name);
        e.optional_text(d.working_method.as_deref());
        e.names(list, &d.departments);
        e.number(d.items.len() as u32);
        for item in &d.items {
            e.text(&item.party.to_value());
            e.number(item.position);
            e.optional_text(item.section.as_deref());
            e.text(&item.text);
            e.names(list, &item.departments);
        }
    }
    format!("{:x}", e.0.finalize())
}

/// Store a resolved list: create it, replace the same town and edition, or do
/// nothing when the content is unchanged. All or nothing.
pub async fn store(
    db: &DatabaseConnection,
    list: &ResolvedList,
    report: Report,
) -> Result<Imported, ImportError> {
    let mut steps = Steps::start();
    let fingerprint = fingerprint(list);
    let txn = db.begin().await?;
    let county_id = upsert_county(&txn, list).await?;
    let department_ids = sync_departments(&txn, county_id, &list.departments).await?;
    steps.done("county and departments");
    let existing = find_list(&txn, county_id, list).await?;
    if let Some(found) = existing.as_ref().filter(|l| l.fingerprint == fingerprint) {
        txn.commit().await?;
        return Ok(Imported {
            list_id: found.id,
            status: Status::Unchanged,
            report,
        });
    }
    let (list_id, status) = write_list(&txn, county_id, list, fingerprint, existing).await?;
    let target = Target {
        list,
        list_id,
        replacing: status == Status::Replaced,
        department_ids,
    };
    write_contents(&txn, &target, &mut steps).await?;
    // Last, so the version row is locked only for the commit: running servers
    // see the new version and drop their cached responses.
    crate::db::bump_data_version(&txn).await?;
    txn.commit().await?;
    steps.done("commit");
    tracing::debug!(list = list_id, ?status, %steps, "stored");
    Ok(Imported {
        list_id,
        status,
        report,
    })
}

/// The list being written: where its rows go.
struct Target<'a> {
    list: &'a ResolvedList,
    list_id: i32,
    /// Whether an earlier version is replaced. A new list has no rows to rewrite
    /// and can orphan no category or search text, so it skips those statements.
    replacing: bool,
    /// The database id of each registry department, by registry index.
    department_ids: Vec<i32>,
}

/// What the replaced version of a list used: the only categories and search
/// texts its rewrite can orphan.
#[derive(Default)]
struct OldVersion {
    categories: Vec<i32>,
    texts: Vec<i32>,
}

/// Everything of the list below its own row: stated counts, duties, links, items,
/// attributions and the search index, then what the old version left orphaned.
async fn write_contents(
    txn: &impl ConnectionTrait,
    target: &Target<'_>,
    steps: &mut Steps,
) -> Result<(), DbErr> {
    let old = if target.replacing {
        old_version(txn, target.list_id).await?
    } else {
        OldVersion::default()
    };
    write_stated_counts(txn, target).await?;
    steps.done("list");
    let category_ids = ensure_categories(txn, target.list).await?;
    let duty_ids = upsert_duties(txn, target, &category_ids).await?;
    steps.done("duties");
    if target.replacing {
        delete_links_and_items(txn, &duty_ids).await?;
        steps.done("old rows");
    }
    write_links(txn, target, &duty_ids).await?;
    steps.done("links");
    let mut fields = duty_fields(target.list, &duty_ids);
    let attributions = write_items(txn, target, &duty_ids, &mut fields).await?;
    steps.done("items");
    write_attributions(txn, attributions).await?;
    steps.done("attributions");
    crate::search::write_fields(txn, &fields).await?;
    steps.done("search index");
    crate::search::remove_orphans_among(txn, &old.texts).await?;
    remove_orphan_categories(txn, &old.categories).await?;
    steps.done("orphans");
    Ok(())
}

/// The stored list of the same county, town and edition, if any.
async fn find_list(
    txn: &impl ConnectionTrait,
    county_id: i32,
    list: &ResolvedList,
) -> Result<Option<duty_list::Model>, DbErr> {
    duty_list::Entity::find()
        .filter(duty_list::Column::CountyId.eq(county_id))
        .filter(duty_list::Column::Town.eq(&list.town))
        .filter(duty_list::Column::PublishedOn.eq(&list.published_on))
        .one(txn)
        .await
}

/// Insert the list's row, or update the existing one: its id and what happened.
async fn write_list(
    txn: &impl ConnectionTrait,
    county_id: i32,
    list: &ResolvedList,
    fingerprint: String,
    existing: Option<duty_list::Model>,
) -> Result<(i32, Status), DbErr> {
    let imported_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let model = duty_list::ActiveModel {
        county_id: Set(county_id),
        town: Set(list.town.clone()),
        title: Set(list.title.clone()),
        published_on: Set(list.published_on.clone()),
        preamble: Set(list.preamble.clone()),
        fingerprint: Set(fingerprint),
        imported_at: Set(imported_at),
        ..Default::default()
    };
    Ok(match existing {
        Some(found) => {
            duty_list::ActiveModel {
                id: Unchanged(found.id),
                ..model
            }
            .update(txn)
            .await?;
            (found.id, Status::Replaced)
        }
        None => (model.insert(txn).await?.id, Status::Created),
    })
}

/// The categories and search texts of the list's stored version.
async fn old_version(txn: &impl ConnectionTrait, list_id: i32) -> Result<OldVersion, DbErr> {
    let categories: Vec<i32> = duty::Entity::find()
        .select_only()
        .column(duty::Column::CategoryId)
        .distinct()
        .filter(duty::Column::ListId.eq(list_id))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(OldVersion {
        categories,
        texts: crate::search::texts_of_list(txn, list_id).await?,
    })
}

/// The counts the preamble states, in place of the old version's.
async fn write_stated_counts(txn: &impl ConnectionTrait, target: &Target<'_>) -> Result<(), DbErr> {
    if target.replacing {
        stated_count::Entity::delete_many()
            .filter(stated_count::Column::ListId.eq(target.list_id))
            .exec(txn)
            .await?;
    }
    let stated = target
        .list
        .stated_rows
        .iter()
        .map(|row| stated_count::ActiveModel {
            list_id: Set(target.list_id),
            kind: Set(row.kind),
            duty_count: Set(row.duty_count.map(|n| n as i32)),
            category_count: Set(row.category_count.map(|n| n as i32)),
            department_count: Set(row.department_count.map(|n| n as i32)),
            category_names: Set(row.category_names.clone()),
        });
    stated_count::Entity::insert_many(stated).exec(txn).await?;
    Ok(())
}

/// Delete the duties' links and items, which are rewritten whole; deleting items
/// cascades to their attributions (and to their search fields).
async fn delete_links_and_items(txn: &impl ConnectionTrait, duty_ids: &[i32]) -> Result<(), DbErr> {
    for chunk in duty_ids.chunks(CHUNK) {
        duty_department::Entity::delete_many()
            .filter(duty_department::Column::DutyId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
        responsibility_item::Entity::delete_many()
            .filter(responsibility_item::Column::DutyId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    crate::search::delete_fields(txn, duty_ids).await
}

/// Each duty's counterpart or receiving departments, in their order.
async fn write_links(
    txn: &impl ConnectionTrait,
    target: &Target<'_>,
    duty_ids: &[i32],
) -> Result<(), DbErr> {
    let links: Vec<_> = target
        .list
        .duties
        .iter()
        .zip(duty_ids)
        .flat_map(|(d, &duty_id)| {
            d.departments
                .iter()
                .enumerate()
                .map(move |(i, dep)| (duty_id, *dep, i as i32 + 1))
        })
        .map(|(duty_id, dep, position)| duty_department::ActiveModel {
            duty_id: Set(duty_id),
            department_id: Set(target.department_ids[dep]),
            position: Set(position),
        })
        .collect();
    for chunk in owned_chunks(links, rows_per_insert(3)) {
        duty_department::Entity::insert_many(chunk)
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The search index's fields of the duties themselves (name, working method),
/// from what is written here rather than read back.
fn duty_fields(list: &ResolvedList, duty_ids: &[i32]) -> Vec<Field> {
    let items: usize = list.duties.iter().map(|d| d.items.len()).sum();
    let mut fields = Vec::with_capacity(list.duties.len() + items);
    for (d, &duty_id) in list.duties.iter().zip(duty_ids) {
        fields.push(Field::new(duty_id, Source::Name, None, &d.name));
        if let Some(method) = &d.working_method {
            fields.push(Field::new(duty_id, Source::WorkingMethod, None, method));
        }
    }
    fields
}

/// Insert the items, adding their search fields to `fields`; returns their
/// attributions, which need the items' new ids.
async fn write_items(
    txn: &impl ConnectionTrait,
    target: &Target<'_>,
    duty_ids: &[i32],
    fields: &mut Vec<Field>,
) -> Result<Vec<item_department::ActiveModel>, DbErr> {
    let items: Vec<_> = target
        .list
        .duties
        .iter()
        .zip(duty_ids)
        .flat_map(|(d, &duty_id)| d.items.iter().map(move |i| (duty_id, i)))
        .collect();
    let mut attributions = Vec::new();
    for chunk in items.chunks(rows_per_insert(5)) {
        let ids = insert_items(txn, chunk).await?;
        for (duty_id, item) in chunk {
            let item_id = *ids
                .get(&(*duty_id, item.party, item.position as i32))
                .ok_or_else(|| not_returned("item"))?;
            let source = Field::item_source(item.party);
            fields.push(Field::new(*duty_id, source, Some(item_id), &item.text));
            attributions.extend(item.departments.iter().enumerate().map(|(i, dep)| {
                item_department::ActiveModel {
                    item_id: Set(item_id),
                    department_id: Set(target.department_ids[*dep]),
                    position: Set(i as i32 + 1),
                }
            }));
        }
    }
    Ok(attributions)
}

/// One statement of items: the new ids by (duty, party, position).
async fn insert_items(
    txn: &impl ConnectionTrait,
    chunk: &[(i32, &ResolvedItem)],
) -> Result<HashMap<(i32, entity::Party, i32), i32>, DbErr> {
    let rows = chunk
        .iter()
        .map(|(duty_id, item)| responsibility_item::ActiveModel {
            duty_id: Set(*duty_id),
            party: Set(item.party),
            position: Set(item.position as i32),
            section: Set(item.section.clone()),
            text: Set(item.text.clone()),
            ..Default::default()
        });
    let inserted = responsibility_item::Entity::insert_many(rows)
        .exec_with_returning(txn)
        .await?;
    Ok(inserted
        .into_iter()
        .map(|m| ((m.duty_id, m.party, m.position), m.id))
        .collect())
}

/// Insert the items' attributions to departments, several per statement.
async fn write_attributions(
    txn: &impl ConnectionTrait,
    attributions: Vec<item_department::ActiveModel>,
) -> Result<(), DbErr> {
    for chunk in owned_chunks(attributions, rows_per_insert(3)) {
        item_department::Entity::insert_many(chunk)
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Delete the categories no list uses any more (only the replaced list's can
/// have become so).
async fn remove_orphan_categories(
    txn: &impl ConnectionTrait,
    old_categories: &[i32],
) -> Result<(), DbErr> {
    for chunk in old_categories.chunks(CHUNK) {
        category::Entity::delete_many()
            .filter(category::Column::Id.is_in(chunk.iter().copied()))
            .filter(
                category::Column::Id.not_in_subquery(
                    Query::select()
                        .column(duty::Column::CategoryId)
                        .from(duty::Entity)
                        .and_where(duty::Column::CategoryId.is_in(chunk.iter().copied()))
                        .to_owned(),
                ),
            )
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The database did not return a row it inserted (a broken invariant, not bad input).
fn not_returned(what: &str) -> DbErr {
    DbErr::Custom(format!("an inserted {what} was not returned"))
}

/// The county's id, inserting the county if it is new.
async fn upsert_county(db: &impl ConnectionTrait, list: &ResolvedList) -> Result<i32, DbErr> {
    let found = county::Entity::find()
        .filter(county::Column::Region.eq(&list.region))
        .filter(county::Column::Prefecture.eq(&list.prefecture))
        .filter(county::Column::Name.eq(&list.county))
        .one(db)
        .await?;
    if let Some(found) = found {
        return Ok(found.id);
    }
    let model = county::ActiveModel {
        region: Set(list.region.clone()),
        prefecture: Set(list.prefecture.clone()),
        name: Set(list.county.clone()),
        ..Default::default()
    };
    Ok(model.insert(db).await?.id)
}

/// Bring the county's departments and aliases in line with the registry; returns
/// the database id of each registry department, by registry index.
async fn sync_departments(
    db: &impl ConnectionTrait,
    county_id: i32,
    defs: &[DepartmentDef],
) -> Result<Vec<i32>, DbErr> {
    let (mut ids, new) = update_departments(db, county_id, defs).await?;
    insert_departments(db, county_id, defs, &new, &mut ids).await?;
    sync_aliases(db, county_id, defs, &ids).await?;
    Ok(ids)
}

/// Update the short names of the county's known departments: the id of each
/// registry department (0 for a new one) and the indices of the new ones.
async fn update_departments(
    db: &impl ConnectionTrait,
    county_id: i32,
    defs: &[DepartmentDef],
) -> Result<(Vec<i32>, Vec<usize>), DbErr> {
    let existing: HashMap<String, department::Model> = department::Entity::find()
        .filter(department::Column::CountyId.eq(county_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.name.clone(), d))
        .collect();
    let mut ids = Vec::with_capacity(defs.len());
    let mut new = Vec::new();
    for (index, def) in defs.iter().enumerate() {
        let id = match existing.get(&def.name) {
            Some(found) if found.short_name == def.short_name => found.id,
            Some(found) => {
                department::ActiveModel {
                    id: Unchanged(found.id),
                    short_name: Set(def.short_name.clone()),
                    ..Default::default()
                }
                .update(db)
                .await?
                .id
            }
            None => {
                new.push(index);
                0
            }
        };
        ids.push(id);
    }
    Ok((ids, new))
}

/// Insert the departments at `new` and fill in their ids. A new county's
/// departments go in one statement rather than one each.
async fn insert_departments(
    db: &impl ConnectionTrait,
    county_id: i32,
    defs: &[DepartmentDef],
    new: &[usize],
    ids: &mut [i32],
) -> Result<(), DbErr> {
    for chunk in new.chunks(rows_per_insert(3)) {
        let inserted =
            department::Entity::insert_many(chunk.iter().map(|&index| department::ActiveModel {
                county_id: Set(county_id),
                name: Set(defs[index].name.clone()),
                short_name: Set(defs[index].short_name.clone()),
                ..Default::default()
            }))
            .exec_with_returning(db)
            .await?;
        let by_name: HashMap<String, i32> = inserted.into_iter().map(|d| (d.name, d.id)).collect();
        for &index in chunk {
            ids[index] = *by_name
                .get(&defs[index].name)
                .ok_or_else(|| not_returned("department"))?;
        }
    }
    Ok(())
}

/// Make the county's aliases those of the registry: delete the stale ones,
/// insert the missing ones.
async fn sync_aliases(
    db: &impl ConnectionTrait,
    county_id: i32,
    defs: &[DepartmentDef],
    ids: &[i32],
) -> Result<(), DbErr> {
    let wanted: HashMap<&str, i32> = defs
        .iter()
        .zip(ids)
        .flat_map(|(def, &id)| def.aliases.iter().map(move |a| (a.as_str(), id)))
        .collect();
    let current = department_alias::Entity::find()
        .filter(department_alias::Column::CountyId.eq(county_id))
        .all(db)
        .await?;
    let (kept, stale) = partition_aliases(&current, &wanted, defs, ids);
    if !stale.is_empty() {
        department_alias::Entity::delete_many()
            .filter(department_alias::Column::Id.is_in(stale))
            .exec(db)
            .await?;
    }
    let mut missing: Vec<_> = wanted
        .iter()
        .filter(|(alias, _)| !kept.contains(alias))
        .collect();
    missing.sort();
    let rows: Vec<_> = missing
        .into_iter()
        .map(|(alias, &department_id)| department_alias::ActiveModel {
            county_id: Set(county_id),
            department_id: Set(department_id),
            alias: Set((*alias).to_owned()),
            ..Default::default()
        })
        .collect();
    for chunk in owned_chunks(rows, rows_per_insert(4)) {
        department_alias::Entity::insert_many(chunk)
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The stored aliases the registry still wants (by name), and the ids of the
/// stale ones to delete.
fn partition_aliases<'a>(
    current: &'a [department_alias::Model],
    wanted: &HashMap<&str, i32>,
    defs: &[DepartmentDef],
    ids: &[i32],
) -> (Vec<&'a str>, Vec<i32>) {
    let canonical: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    let mut kept = Vec::new();
    let mut stale = Vec::new();
    for a in current {
        if wanted.get(a.alias.as_str()) == Some(&a.department_id) {
            kept.push(a.alias.as_str());
        } else if ids.contains(&a.department_id)
            || wanted.contains_key(a.alias.as_str())
            || canonical.contains(&a.alias.as_str())
        {
            // Aliases of departments the registry no longer lists stay (other lists
            // may use them) unless the registry now gives that name to a department.
            stale.push(a.id);
        }
    }
    (kept, stale)
}

/// The id of every category the list uses, by name, inserting the new ones.
async fn ensure_categories(
    db: &impl ConnectionTrait,
    list: &ResolvedList,
) -> Result<HashMap<String, i32>, DbErr> {
    let mut names: Vec<&str> = list.duties.iter().map(|d| d.category.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut ids: HashMap<String, i32> = category::Entity::find()
        .filter(category::Column::Name.is_in(names.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect();
    for name in names {
        if !ids.contains_key(name) {
            let id = category::ActiveModel {
                name: Set(name.to_owned()),
                ..Default::default()
            }
            .insert(db)
            .await?
            .id;
            ids.insert(name.to_owned(), id);
        }
    }
    Ok(ids)
}

/// A duty the store does not have yet: its index in the document and its row.
type NewDuty = (usize, duty::ActiveModel);

/// Upsert the list's duties by (kind, 序号), deleting those the document no longer
/// has; returns each duty's id, in document order.
async fn upsert_duties(
    db: &impl ConnectionTrait,
    target: &Target<'_>,
    category_ids: &HashMap<String, i32>,
) -> Result<Vec<i32>, DbErr> {
    let mut existing = stored_duties(db, target).await?;
    let mut ids = Vec::with_capacity(target.list.duties.len());
    let mut new: Vec<NewDuty> = Vec::new();
    for (index, d) in target.list.duties.iter().enumerate() {
        let category_id = category_ids[&d.category];
        match existing.remove(&(d.kind, d.seq as i32)) {
            Some(found) => ids.push(update_duty(db, found, d, category_id).await?),
            None => {
                ids.push(0);
                new.push((index, new_duty(target.list_id, d, category_id)));
            }
        }
    }
    let gone: Vec<i32> = existing.values().map(|d| d.id).collect();
    for chunk in gone.chunks(CHUNK) {
        duty::Entity::delete_many()
            .filter(duty::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    insert_duties(db, target.list, &new, &mut ids).await?;
    Ok(ids)
}

/// The stored duties of the list by (kind, 序号).
async fn stored_duties(
    db: &impl ConnectionTrait,
    target: &Target<'_>,
) -> Result<HashMap<(entity::DutyKind, i32), duty::Model>, DbErr> {
    // A new list has no duties yet: one round trip saved per import.
    if !target.replacing {
        return Ok(HashMap::new());
    }
    Ok(duty::Entity::find()
        .filter(duty::Column::ListId.eq(target.list_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| ((d.kind, d.seq), d))
        .collect())
}

/// Update a stored duty where the document changed it; its id.
async fn update_duty(
    db: &impl ConnectionTrait,
    found: duty::Model,
    d: &ResolvedDuty,
    category_id: i32,
) -> Result<i32, DbErr> {
    if found.category_id != category_id
        || found.name != d.name
        || found.working_method != d.working_method
    {
        duty::ActiveModel {
            id: Unchanged(found.id),
            category_id: Set(category_id),
            name: Set(d.name.clone()),
            working_method: Set(d.working_method.clone()),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    Ok(found.id)
}

/// The row of a duty the list did not have.
fn new_duty(list_id: i32, d: &ResolvedDuty, category_id: i32) -> duty::ActiveModel {
    duty::ActiveModel {
        list_id: Set(list_id),
        kind: Set(d.kind),
        seq: Set(d.seq as i32),
        category_id: Set(category_id),
        name: Set(d.name.clone()),
        working_method: Set(d.working_method.clone()),
        ..Default::default()
    }
}

/// Insert the new duties, several per statement, and fill in their ids.
async fn insert_duties(
    db: &impl ConnectionTrait,
    list: &ResolvedList,
    new: &[NewDuty],
    ids: &mut [i32],
) -> Result<(), DbErr> {
    for chunk in new.chunks(rows_per_insert(6)) {
        let inserted = duty::Entity::insert_many(chunk.iter().map(|(_, m)| m.clone()))
            .exec_with_returning(db)
            .await?;
        let by_key: HashMap<(entity::DutyKind, i32), i32> = inserted
            .into_iter()
            .map(|m| ((m.kind, m.seq), m.id))
            .collect();
        for (index, _) in chunk {
            let d = &list.duties[*index];
            ids[*index] = *by_key
                .get(&(d.kind, d.seq as i32))
                .ok_or_else(|| not_returned("duty"))?;
        }
    }
    Ok(())
}
