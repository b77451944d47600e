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
use super::resolve::ResolvedList;
use crate::db::{CHUNK, owned_chunks, rows_per_insert};

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
    let existing = duty_list::Entity::find()
        .filter(duty_list::Column::CountyId.eq(county_id))
        .filter(duty_list::Column::Town.eq(&list.town))
        .filter(duty_list::Column::PublishedOn.eq(&list.published_on))
        .one(&txn)
        .await?;
    if let Some(found) = existing.as_ref().filter(|l| l.fingerprint == fingerprint) {
        txn.commit().await?;
        return Ok(Imported {
            list_id: found.id,
            status: Status::Unchanged,
            report,
        });
    }
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
    let (list_id, status) = match &existing {
        Some(found) => {
            duty_list::ActiveModel {
                id: Unchanged(found.id),
                ..model
            }
            .update(&txn)
            .await?;
            (found.id, Status::Replaced)
        }
        None => (model.insert(&txn).await?.id, Status::Created),
    };
    // A new list has no rows to rewrite and can orphan no category or search text,
    // so it skips those statements; a replaced list notes what it used, the only
    // categories and texts its rewrite can orphan.
    let replacing = status == Status::Replaced;
    let (old_categories, old_texts) = if replacing {
        let categories: Vec<i32> = duty::Entity::find()
            .select_only()
            .column(duty::Column::CategoryId)
            .distinct()
            .filter(duty::Column::ListId.eq(list_id))
            .into_tuple()
            .all(&txn)
            .await?;
        (
            categories,
            crate::search::texts_of_list(&txn, list_id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };

    if replacing {
        stated_count::Entity::delete_many()
            .filter(stated_count::Column::ListId.eq(list_id))
            .exec(&txn)
            .await?;
    }
    let stated = list
        .stated_rows
        .iter()
        .map(|row| stated_count::ActiveModel {
            list_id: Set(list_id),
            kind: Set(row.kind),
            duty_count: Set(row.duty_count.map(|n| n as i32)),
            category_count: Set(row.category_count.map(|n| n as i32)),
            department_count: Set(row.department_count.map(|n| n as i32)),
            category_names: Set(row.category_names.clone()),
        });
    stated_count::Entity::insert_many(stated).exec(&txn).await?;
    steps.done("list");

    let category_ids = ensure_categories(&txn, list).await?;
    let duty_ids = upsert_duties(&txn, list_id, replacing, list, &category_ids).await?;
    steps.done("duties");

    // Links and items are rewritten whole; deleting items cascades to their attributions
    // (and to their search fields).
    if replacing {
        for chunk in duty_ids.chunks(CHUNK) {
            duty_department::Entity::delete_many()
                .filter(duty_department::Column::DutyId.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
            responsibility_item::Entity::delete_many()
                .filter(responsibility_item::Column::DutyId.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
        crate::search::delete_fields(&txn, &duty_ids).await?;
        steps.done("old rows");
    }
    let links: Vec<_> = list
        .duties
        .iter()
        .zip(&duty_ids)
        .flat_map(|(d, &duty_id)| {
            d.departments
                .iter()
                .enumerate()
                .map(move |(i, dep)| (duty_id, *dep, i as i32 + 1))
        })
        .map(|(duty_id, dep, position)| duty_department::ActiveModel {
            duty_id: Set(duty_id),
            department_id: Set(department_ids[dep]),
            position: Set(position),
        })
        .collect();
    for chunk in owned_chunks(links, rows_per_insert(3)) {
        duty_department::Entity::insert_many(chunk)
            .exec(&txn)
            .await?;
    }
    steps.done("links");

    let items: Vec<_> = list
        .duties
        .iter()
        .zip(&duty_ids)
        .flat_map(|(d, &duty_id)| d.items.iter().map(move |i| (duty_id, i)))
        .collect();
    let mut attributions = Vec::new();
    // The search index's fields, from what is written here rather than read back.
    let mut fields: Vec<crate::search::Field> = Vec::with_capacity(list.duties.len() + items.len());
    for (d, &duty_id) in list.duties.iter().zip(&duty_ids) {
        fields.push(crate::search::Field::new(
            duty_id,
            crate::search::Source::Name,
            None,
            &d.name,
        ));
        if let Some(method) = &d.working_method {
            fields.push(crate::search::Field::new(
                duty_id,
                crate::search::Source::WorkingMethod,
                None,
                method,
            ));
        }
    }
    for chunk in items.chunks(rows_per_insert(5)) {
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
            .exec_with_returning(&txn)
            .await?;
        let ids: HashMap<(i32, entity::Party, i32), i32> = inserted
            .into_iter()
            .map(|m| ((m.duty_id, m.party, m.position), m.id))
            .collect();
        for (duty_id, item) in chunk {
            let item_id = *ids
                .get(&(*duty_id, item.party, item.position as i32))
                .ok_or_else(|| not_returned("item"))?;
            fields.push(crate::search::Field::new(
                *duty_id,
                crate::search::Field::item_source(item.party),
                Some(item_id),
                &item.text,
            ));
            attributions.extend(item.departments.iter().enumerate().map(|(i, dep)| {
                item_department::ActiveModel {
                    item_id: Set(item_id),
                    department_id: Set(department_ids[*dep]),
                    position: Set(i as i32 + 1),
                }
            }));
        }
    }
    steps.done("items");
    for chunk in owned_chunks(attributions, rows_per_insert(3)) {
        item_department::Entity::insert_many(chunk)
            .exec(&txn)
            .await?;
    }
    steps.done("attributions");

    crate::search::write_fields(&txn, &fields).await?;
    steps.done("search index");
    crate::search::remove_orphans_among(&txn, &old_texts).await?;

    // Categories no list uses any more (only the replaced list's can have become so).
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
            .exec(&txn)
            .await?;
    }
    steps.done("orphans");
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

/// The database did not return a row it inserted (a broken invariant, not bad input).
fn not_returned(what: &str) -> DbErr {
    DbErr::Custom(format!("an inserted {what} was not returned"))
}

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
    // A new county's departments in one statement rather than one each.
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
    let wanted: HashMap<&str, i32> = defs
        .iter()
        .zip(&ids)
        .flat_map(|(def, &id)| def.aliases.iter().map(move |a| (a.as_str(), id)))
        .collect();
    let canonical: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    let current = department_alias::Entity::find()
        .filter(department_alias::Column::CountyId.eq(county_id))
        .all(db)
        .await?;
    let mut kept = Vec::new();
    let stale: Vec<i32> = current
        .iter()
        .filter(|a| {
            let keep = wanted.get(a.alias.as_str()) == Some(&a.department_id);
            if keep {
                kept.push(a.alias.as_str());
            }
            // Aliases of departments the registry no longer lists stay (other lists may use
            // them) unless the registry now gives that name to a department.
            !keep
                && (ids.contains(&a.department_id)
                    || wanted.contains_key(a.alias.as_str())
                    || canonical.contains(&a.alias.as_str()))
        })
        .map(|a| a.id)
        .collect();
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
    Ok(ids)
}

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

/// Upsert the list's duties by (kind, 序号), deleting those the document no longer
/// has; returns each duty's id, in document order.
async fn upsert_duties(
    db: &impl ConnectionTrait,
    list_id: i32,
    replacing: bool,
    list: &ResolvedList,
    category_ids: &HashMap<String, i32>,
) -> Result<Vec<i32>, DbErr> {
    // A new list has no duties yet: one round trip saved per import.
    let mut existing: HashMap<(entity::DutyKind, i32), duty::Model> = if replacing {
        duty::Entity::find()
            .filter(duty::Column::ListId.eq(list_id))
            .all(db)
            .await?
            .into_iter()
            .map(|d| ((d.kind, d.seq), d))
            .collect()
    } else {
        HashMap::new()
    };
    let mut ids = Vec::with_capacity(list.duties.len());
    let mut new = Vec::new();
    for (index, d) in list.duties.iter().enumerate() {
        let category_id = category_ids[&d.category];
        match existing.remove(&(d.kind, d.seq as i32)) {
            Some(found) => {
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
                ids.push(found.id);
            }
            None => {
                ids.push(0);
                new.push((
                    index,
                    duty::ActiveModel {
                        list_id: Set(list_id),
                        kind: Set(d.kind),
                        seq: Set(d.seq as i32),
                        category_id: Set(category_id),
                        name: Set(d.name.clone()),
                        working_method: Set(d.working_method.clone()),
                        ..Default::default()
                    },
                ));
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
    Ok(ids)
}
