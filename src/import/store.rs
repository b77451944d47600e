//! A resolved list → rows of a new edition, in one transaction.
//!
//! IDs stay stable for county OA systems that store them: counties, departments and
//! categories are upserted by name, and an edition, once written, is never
//! rewritten — a changed document becomes the next edition of its town, whose
//! duties keep the lineage of the duties they continue ([`super::edition`]). A
//! list whose content fingerprint is unchanged is left as it is, so importing the
//! same document twice changes nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use entity::{
    EditionSource, category, county, department, department_alias, department_succession, duty,
    duty_department, duty_list, item_department, responsibility_item, stated_count,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, Set, Unchanged,
};
use sha2::{Digest, Sha256};

use super::ImportError;
use super::edition::{self, Changes, EditionRequest, Placement};
use super::reconcile::Report;
use super::registry::DepartmentDef;
use super::registry::Succession;
use super::resolve::{ResolvedDuty, ResolvedItem, ResolvedList};
use crate::date::Date;
use crate::db::{owned_chunks, rows_per_insert};
use crate::domain::audit::{self, Entry};
use crate::search::{DutyPlace, Field};

/// What an import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The town's first edition was created.
    Created,
    /// A new edition of the town's list was created.
    NewEdition,
    /// The same content was already there; nothing changed.
    Unchanged,
}

/// The result of a successful import.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The edition's list id.
    pub list_id: i32,
    /// Its number among the town's editions.
    pub edition: i32,
    /// What happened.
    pub status: Status,
    /// The reconciliation with the preamble.
    pub report: Report,
    /// For a new edition that follows another: the matching and what changed.
    pub changes: Option<Box<Changes>>,
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

/// Store a resolved list as a new edition of its town's list, or do nothing when
/// the content is unchanged. All or nothing; audited as `request.actor`'s.
pub async fn store(
    db: &DatabaseConnection,
    list: &ResolvedList,
    report: Report,
    request: &EditionRequest,
) -> Result<Imported, ImportError> {
    let txn = crate::db::begin_write(db).await?;
    let imported = store_in(&txn, list, report, request).await?;
    txn.commit().await?;
    Ok(imported)
}

/// [`store`] inside the caller's transaction, for writes that make an edition
/// together with other rows (a publication marks its requests published).
/// Bumps the data version last; the caller commits.
pub async fn store_in(
    txn: &DatabaseTransaction,
    list: &ResolvedList,
    report: Report,
    request: &EditionRequest,
) -> Result<Imported, ImportError> {
    let mut steps = Steps::start();
    let fingerprint = fingerprint(list);
    let county_id = upsert_county(txn, list).await?;
    let department_ids = sync_departments(txn, county_id, &list.departments).await?;
    sync_successions(txn, county_id, &list.successions, &department_ids).await?;
    steps.done("county and departments");
    let placed = edition::place(txn, county_id, list, &fingerprint, request).await?;
    let (day, editions, changes) = match placed {
        Placement::Unchanged(found) => {
            audit_store(
                txn,
                request,
                found.id,
                found.edition,
                &fingerprint,
                "unchanged",
            )
            .await?;
            return Ok(Imported {
                list_id: found.id,
                edition: found.edition,
                status: Status::Unchanged,
                report,
                changes: None,
            });
        }
        Placement::New {
            day,
            editions,
            changes,
        } => (day, editions, changes),
    };
    steps.done("matching");
    let number = editions + 1;
    let list_id = insert_list(
        txn,
        county_id,
        list,
        fingerprint.clone(),
        number,
        day,
        request,
    )
    .await?;
    let target = Target {
        list,
        list_id,
        department_ids,
        lineages: changes.as_ref().map(|c| c.lineages()).unwrap_or_default(),
    };
    write_contents(txn, &target, &mut steps).await?;
    let edition = edition::renumber(txn, county_id, &list.town, list_id).await?;
    audit_store(txn, request, list_id, edition, &fingerprint, "new edition").await?;
    let published = published_event(
        county_id,
        list,
        list_id,
        edition,
        day,
        request,
        changes.as_deref(),
    );
    crate::domain::event::record(txn, published).await?;
    // Last, so the version row is locked only for the commit: running servers
    // see the new version and drop their cached responses.
    crate::db::bump_data_version(txn).await?;
    steps.done("stored");
    let status = if changes.is_some() {
        Status::NewEdition
    } else {
        Status::Created
    };
    tracing::debug!(list = list_id, edition, ?status, %steps, "stored");
    Ok(Imported {
        list_id,
        edition,
        status,
        report,
        changes,
    })
}

/// The outbox's event of a new edition: its number, day, 文号 and source, and
/// for an edition that follows another, the diff's counts.
fn published_event(
    county_id: i32,
    list: &ResolvedList,
    list_id: i32,
    edition: i32,
    day: Date,
    request: &EditionRequest,
    changes: Option<&Changes>,
) -> crate::domain::event::NewEvent {
    use crate::edition::diff::Change;
    use sea_orm::ActiveEnum;
    let counts = changes.map(|c| {
        let d = &c.diff;
        serde_json::json!({
            "follows": c.previous.id,
            "added": d.count(Change::Added),
            "removed": d.count(Change::Removed),
            "modified": d.count(Change::Modified),
            "moved": d.count(Change::Moved),
            "renumbered": d.count(Change::Renumbered),
            "departments": d.departments.len(),
        })
    });
    crate::domain::event::NewEvent {
        kind: crate::domain::event::Kind::EditionPublished,
        county_id: Some(county_id),
        town: Some(list.town.clone()),
        list_id: Some(list_id),
        subject: format!("DutyList:{list_id}"),
        payload: serde_json::json!({
            "edition": edition,
            "effectiveOn": day.to_string(),
            "documentNumber": request.document_number,
            "source": request.source.to_value(),
            "sourceName": request.source_name,
            "duties": list.duties.len(),
            "changes": counts,
        }),
    }
}

/// The audit log's line for a stored (or unchanged) edition.
async fn audit_store(
    txn: &impl ConnectionTrait,
    request: &EditionRequest,
    list_id: i32,
    edition: i32,
    fingerprint: &str,
    what: &str,
) -> Result<(), DbErr> {
    let operation = match request.source {
        EditionSource::Import => "list.import",
        EditionSource::Adjustment => "list.publish",
    };
    let mut entry = Entry::new(operation, format!("DutyList:{list_id}"));
    entry.after = Some(fingerprint.to_owned());
    entry.document_number = request.document_number.clone();
    entry.detail = Some(format!(
        "{what}: edition {edition} from {}",
        request.source_name
    ));
    audit::record(txn, &request.actor, entry, None).await
}

/// The edition being written: where its rows go.
struct Target<'a> {
    list: &'a ResolvedList,
    list_id: i32,
    /// The database id of each registry department, by registry index.
    department_ids: Vec<i32>,
    /// Each duty's lineage (document order), where it continues a duty of the
    /// previous edition; empty for a town's first edition.
    lineages: Vec<Option<i32>>,
}

/// Everything of the edition below its own row: stated counts, duties, links,
/// items, attributions and the search index.
async fn write_contents(
    txn: &impl ConnectionTrait,
    target: &Target<'_>,
    steps: &mut Steps,
) -> Result<(), DbErr> {
    write_stated_counts(txn, target).await?;
    steps.done("list");
    let category_ids = ensure_categories(txn, target.list).await?;
    let duty_ids = insert_duties(txn, target, &category_ids).await?;
    steps.done("duties");
    write_links(txn, target, &duty_ids).await?;
    steps.done("links");
    let mut fields = duty_fields(target, &duty_ids);
    let attributions = write_items(txn, target, &duty_ids, &mut fields).await?;
    steps.done("items");
    write_attributions(txn, attributions).await?;
    steps.done("attributions");
    crate::search::write_fields(txn, &fields).await?;
    steps.done("search index");
    Ok(())
}

/// Insert the edition's row, with its content's fingerprint, a number after the
/// town's others (until [`edition::renumber`] puts it in its place) and its
/// day; its id.
async fn insert_list(
    txn: &impl ConnectionTrait,
    county_id: i32,
    list: &ResolvedList,
    fingerprint: String,
    number: i32,
    day: Date,
    request: &EditionRequest,
) -> Result<i32, DbErr> {
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
        edition: Set(number),
        effective_on: Set(day.to_string()),
        valid_until: Set(None),
        document_number: Set(request.document_number.clone()),
        reason: Set(request.reason.clone()),
        source: Set(request.source),
        source_name: Set(request.source_name.clone()),
        ..Default::default()
    };
    Ok(model.insert(txn).await?.id)
}

/// The counts the preamble states.
async fn write_stated_counts(txn: &impl ConnectionTrait, target: &Target<'_>) -> Result<(), DbErr> {
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
            list_id: Set(target.list_id),
        })
        .collect();
    for chunk in owned_chunks(links, rows_per_insert(4)) {
        duty_department::Entity::insert_many(chunk)
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The search index's fields of the duties themselves (name, working method),
/// from what is written here rather than read back.
fn duty_fields(target: &Target<'_>, duty_ids: &[i32]) -> Vec<Field> {
    let list = target.list;
    let items: usize = list.duties.iter().map(|d| d.items.len()).sum();
    let mut fields = Vec::with_capacity(list.duties.len() + items);
    for (d, &duty_id) in list.duties.iter().zip(duty_ids) {
        let place = duty_place(target, d, duty_id);
        fields.push(Field::name(place, &d.name));
        if let Some(method) = &d.working_method {
            fields.push(Field::working_method(place, method));
        }
    }
    fields
}

/// Where a duty of the edition stands, for the search index.
fn duty_place(target: &Target<'_>, d: &ResolvedDuty, duty_id: i32) -> DutyPlace {
    DutyPlace {
        duty_id,
        list_id: target.list_id,
        kind: d.kind,
        seq: d.seq as i32,
    }
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
    let places: HashMap<i32, DutyPlace> = (target.list.duties.iter().zip(duty_ids))
        .map(|(d, &duty_id)| (duty_id, duty_place(target, d, duty_id)))
        .collect();
    let mut attributions = Vec::new();
    for chunk in items.chunks(rows_per_insert(5)) {
        let ids = insert_items(txn, chunk).await?;
        for (duty_id, item) in chunk {
            let position = item.position as i32;
            let item_id = *ids
                .get(&(*duty_id, item.party, position))
                .ok_or_else(|| not_returned("item"))?;
            let place = *places.get(duty_id).ok_or_else(|| not_returned("duty"))?;
            fields.push(Field::item(
                place, item.party, item_id, position, &item.text,
            ));
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

/// Insert the edition's duties, several per statement: their ids, in document
/// order. A duty that continues one of the previous edition takes its lineage;
/// any other starts its own, named by its id — reserved before the insert, so
/// the row is written once.
async fn insert_duties(
    db: &impl ConnectionTrait,
    target: &Target<'_>,
    category_ids: &HashMap<String, i32>,
) -> Result<Vec<i32>, DbErr> {
    let list = target.list;
    let ids = crate::db::reserve_ids(db, "duty", list.duties.len()).await?;
    let rows: Vec<duty::ActiveModel> = (list.duties.iter().zip(&ids))
        .enumerate()
        .map(|(index, (d, &id))| {
            let lineage = target.lineages.get(index).copied().flatten();
            new_duty(id, target.list_id, d, category_ids[&d.category], lineage)
        })
        .collect();
    for chunk in owned_chunks(rows, rows_per_insert(8)) {
        duty::Entity::insert_many(chunk).exec(db).await?;
    }
    Ok(ids)
}

/// The row of duty `id`; a duty continuing no lineage starts its own, `id`.
fn new_duty(
    id: i32,
    list_id: i32,
    d: &ResolvedDuty,
    category_id: i32,
    lineage: Option<i32>,
) -> duty::ActiveModel {
    duty::ActiveModel {
        id: Set(id),
        list_id: Set(list_id),
        kind: Set(d.kind),
        seq: Set(d.seq as i32),
        category_id: Set(category_id),
        name: Set(d.name.clone()),
        working_method: Set(d.working_method.clone()),
        lineage: Set(lineage.unwrap_or(id)),
    }
}

/// Record the county's successions as the registry has them: insert the new
/// links, update the day, share and kind of known ones. Links the registry no
/// longer has stay (an older registry file may lack a newer reform).
async fn sync_successions(
    db: &impl ConnectionTrait,
    county_id: i32,
    successions: &[Succession],
    department_ids: &[i32],
) -> Result<(), DbErr> {
    if successions.is_empty() {
        return Ok(());
    }
    let stored: HashMap<(i32, i32), department_succession::Model> =
        department_succession::Entity::find()
            .filter(department_succession::Column::CountyId.eq(county_id))
            .all(db)
            .await?
            .into_iter()
            .map(|s| ((s.predecessor_id, s.successor_id), s))
            .collect();
    for s in successions {
        let key = (department_ids[s.predecessor], department_ids[s.successor]);
        let model = department_succession::ActiveModel {
            county_id: Set(county_id),
            predecessor_id: Set(key.0),
            successor_id: Set(key.1),
            effective_on: Set(s.on.to_string()),
            share: Set(s.share.clone()),
            kind: Set(s.kind),
            ..Default::default()
        };
        match stored.get(&key) {
            None => {
                model.insert(db).await?;
            }
            Some(found)
                if (&found.effective_on, &found.share, found.kind)
                    != (&s.on.to_string(), &s.share, s.kind) =>
            {
                department_succession::ActiveModel {
                    id: Unchanged(found.id),
                    ..model
                }
                .update(db)
                .await?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}
