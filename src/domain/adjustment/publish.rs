//! Publishing: approved requests applied to the town's current edition and
//! stored, through the importer's own store path, as the next edition
//! (`EditionSource::Adjustment`), each duty pinned to the lineage it continues
//! so the edition's diff shows exactly the requests' changes.
//!
//! Concurrency: the requests are claimed first (APPROVED → PUBLISHED in one
//! conditional UPDATE: of two publishers, one claims them, the other gets a
//! `CONFLICT`), then the town's editions are locked (PostgreSQL; SQLite
//! serialises writers anyway). A request written against an older edition is
//! published only if the editions since left its duty as it was; otherwise it
//! is a `CONFLICT` naming the duty. Publishing requests already published
//! together under the same 文号 answers that publication again, so a client
//! that lost the answer (or a killed process) converges by retrying.

use std::collections::{BTreeSet, HashMap};

use entity::duty_list;
use entity::{AdjustmentState as State, DutyKind, EditionSource, Party, adjustment, county};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    AdjustmentError, Submission, audited, by_id, insert, record_step, refuse_role, required,
    state_name,
};
use crate::auth::{Action, Actor, Target, permit};
use crate::date::Date;
use crate::domain::audit::Entry;
use crate::domain::edition::{StoredVersion, stored_registry, stored_versions};
use crate::edition::DutyVersion;
use crate::edition::adjust::{self, ApplyError, Planned};
use crate::edition::matching::{Pin, Pins};
use crate::import::document::Stated;
use crate::import::resolve::{ResolvedDuty, ResolvedItem, ResolvedList, StatedRow};
use crate::import::{EditionRequest, Report, Status};

/// What a publication is told besides its requests.
#[derive(Clone, Debug)]
pub struct PublishRequest {
    /// The approving document's number (文号).
    pub document_number: String,
    /// The day the edition takes effect.
    pub effective_on: Date,
    /// Why, beyond the requests' own reasons.
    pub reason: Option<String>,
}

/// A published edition and the requests it published.
#[derive(Clone, Debug)]
pub struct Publication {
    /// The new edition.
    pub list: duty_list::Model,
    /// Its requests, by id.
    pub adjustments: Vec<adjustment::Model>,
}

/// Publish the approved requests `ids` (all of one town) as the town's next
/// edition.
pub async fn publish(
    db: &DatabaseConnection,
    actor: &Actor,
    ids: &[i32],
    request: &PublishRequest,
) -> Result<Publication, AdjustmentError> {
    refuse_role(actor, Action::Publish)?;
    let refused = Entry::new("adjustment.publish", targets(ids));
    audited(db, actor, refused, async |txn| {
        let rows = requests(txn, ids).await?;
        let first = &rows[0];
        permit(actor, Action::Publish, &town_target(first))?;
        required(&request.document_number, "documentNumber")?;
        if let Some(done) = published_before(txn, &rows, request).await? {
            return Ok(done);
        }
        claim(txn, actor, &rows).await?;
        publish_claimed(txn, actor, &rows, request).await
    })
    .await
}

/// An OA system's own approval: `changes` (against edition `list_id`) stored
/// as requests approved by `actor` for `approver` and published at once as the
/// next edition — the same request records and audit trail as the flow.
pub async fn apply(
    db: &DatabaseConnection,
    actor: &Actor,
    changes: &[Submission],
    approver: &str,
    request: &PublishRequest,
) -> Result<Publication, AdjustmentError> {
    refuse_role(actor, Action::Apply)?;
    let list = changes.first().map_or(0, |c| c.list_id);
    let refused = Entry::new("adjustment.apply", format!("DutyList:{list}"));
    audited(db, actor, refused, async |txn| {
        if changes.is_empty() {
            return Err(AdjustmentError::BadInput("changes: none given".into()));
        }
        let approver = required(approver, "approver")?;
        required(&request.document_number, "documentNumber")?;
        let mut ids = Vec::with_capacity(changes.len());
        for (n, change) in changes.iter().enumerate() {
            if change.list_id != list {
                return Err(AdjustmentError::BadInput(format!(
                    "changes[{n}].listId: every change of one application is to one edition"
                )));
            }
            let row = insert(txn, actor, change, State::Approved)
                .await
                .map_err(|e| in_change(n, e))?;
            let row = approved_by(txn, actor, row, &approver).await?;
            record_step(txn, actor, "adjustment.apply", None, &row).await?;
            ids.push(row.id);
        }
        let rows = requests(txn, &ids).await?;
        claim(txn, actor, &rows).await?;
        publish_claimed(txn, actor, &rows, request).await
    })
    .await
}

/// A problem of the `n`th change, its fields named under `changes[n]`.
fn in_change(n: usize, error: AdjustmentError) -> AdjustmentError {
    match error {
        AdjustmentError::BadInput(message) => {
            AdjustmentError::BadInput(format!("changes[{n}].{message}"))
        }
        other => other,
    }
}

/// Record who approved a request an OA system approved itself.
async fn approved_by(
    txn: &DatabaseTransaction,
    actor: &Actor,
    row: adjustment::Model,
    approver: &str,
) -> Result<adjustment::Model, AdjustmentError> {
    let now = super::now();
    adjustment::Entity::update_many()
        .col_expr(adjustment::Column::ReviewedBy, Expr::value(actor.name()))
        .col_expr(adjustment::Column::ReviewedAt, Expr::value(now))
        .col_expr(adjustment::Column::DecidedBy, Expr::value(actor.name()))
        .col_expr(adjustment::Column::DecidedAt, Expr::value(now))
        .col_expr(adjustment::Column::Approver, Expr::value(approver))
        .filter(adjustment::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    by_id(txn, row.id).await
}

/// `Adjustment:1,2,3`, the audit target of a publication's requests.
fn targets(ids: &[i32]) -> String {
    format!("Adjustment:{}", joined(ids))
}

/// `1,2,3`.
fn joined(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

/// The permission target of a town's list.
fn town_target(row: &adjustment::Model) -> Target<'_> {
    Target {
        county_id: Some(row.county_id),
        town: Some(&row.town),
        departments: &[],
    }
}

/// The requests `ids`, by id: every one found, all of one town.
async fn requests(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<adjustment::Model>, AdjustmentError> {
    if ids.is_empty() {
        return Err(AdjustmentError::BadInput("ids: no request given".into()));
    }
    let rows = adjustment::Entity::find()
        .filter(adjustment::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(adjustment::Column::Id)
        .all(db)
        .await?;
    if let Some(missing) = ids.iter().find(|id| !rows.iter().any(|r| r.id == **id)) {
        return Err(AdjustmentError::NotFound(format!("adjustment {missing}")));
    }
    let first = &rows[0];
    if let Some(other) = rows
        .iter()
        .find(|r| (r.county_id, &r.town) != (first.county_id, &first.town))
    {
        return Err(AdjustmentError::BadInput(format!(
            "ids: adjustment {} is for {}, adjustment {} for {}; one publication makes one town's edition",
            first.id, first.town, other.id, other.town
        )));
    }
    Ok(rows)
}

/// The publication that already published exactly these requests under the
/// same 文号, if any: a retry converges on it.
async fn published_before(
    db: &impl ConnectionTrait,
    rows: &[adjustment::Model],
    request: &PublishRequest,
) -> Result<Option<Publication>, AdjustmentError> {
    let lists: BTreeSet<Option<i32>> = rows.iter().map(|r| r.published_list_id).collect();
    let [Some(list_id)] = lists.into_iter().collect::<Vec<_>>()[..] else {
        return Ok(None);
    };
    let list = duty_list::Entity::find_by_id(list_id).one(db).await?;
    let Some(list) =
        list.filter(|l| l.document_number.as_deref() == Some(request.document_number.trim()))
    else {
        return Ok(None);
    };
    let published = adjustment::Entity::find()
        .filter(adjustment::Column::PublishedListId.eq(list_id))
        .count(db)
        .await?;
    Ok((published == rows.len() as u64).then(|| Publication {
        list,
        adjustments: rows.to_vec(),
    }))
}

/// Claim the requests: APPROVED → PUBLISHED in one conditional UPDATE, the
/// first write of the transaction (on SQLite it takes the write lock, so
/// racing publishers queue here). Any request not APPROVED is a `CONFLICT`.
async fn claim(
    txn: &DatabaseTransaction,
    actor: &Actor,
    rows: &[adjustment::Model],
) -> Result<(), AdjustmentError> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let claimed = adjustment::Entity::update_many()
        .col_expr(adjustment::Column::State, Expr::value(State::Published))
        .col_expr(adjustment::Column::PublishedBy, Expr::value(actor.name()))
        .col_expr(adjustment::Column::PublishedAt, Expr::value(super::now()))
        .filter(adjustment::Column::Id.is_in(ids.iter().copied()))
        .filter(adjustment::Column::State.eq(State::Approved))
        .exec(txn)
        .await?
        .rows_affected;
    if claimed == rows.len() as u64 {
        return Ok(());
    }
    // Read again: the state another writer committed, not the one read before.
    // The rows this claim took read PUBLISHED by this actor, without an edition
    // yet; every other row is why the claim failed.
    let now = requests(txn, &ids).await?;
    let taken = |r: &adjustment::Model| {
        r.state == State::Published
            && r.published_list_id.is_none()
            && r.published_by.as_deref() == Some(actor.name())
    };
    let blocked: Vec<String> = now
        .iter()
        .filter(|r| !taken(r))
        .map(|r| format!("adjustment {} is {}", r.id, state_name(r.state)))
        .collect();
    Err(AdjustmentError::Conflict(format!(
        "only APPROVED requests can be published: {}",
        if blocked.is_empty() {
            "another publication claimed them first".to_owned()
        } else {
            blocked.join(", ")
        }
    )))
}

/// Apply the claimed requests to the town's current edition and store the
/// result as the next edition; mark the requests published in it.
async fn publish_claimed(
    txn: &DatabaseTransaction,
    actor: &Actor,
    rows: &[adjustment::Model],
    request: &PublishRequest,
) -> Result<Publication, AdjustmentError> {
    let current = lock_current(txn, &rows[0]).await?;
    let mut lists: Vec<i32> = rows.iter().map(|r| r.base_list_id).collect();
    lists.push(current.id);
    lists.sort_unstable();
    lists.dedup();
    let editions = stored_versions(txn, &lists).await?.into_map();
    let now: &[StoredVersion] = editions.get(&current.id).map_or(&[], Vec::as_slice);
    for row in rows {
        let then = editions
            .get(&row.base_list_id)
            .map_or(&[][..], Vec::as_slice);
        unchanged_since(row, then, now, &current)?;
    }
    let planned: Vec<Planned> = now.iter().map(planned).collect();
    let (reforms, changes): (Vec<&adjustment::Model>, Vec<&adjustment::Model>) =
        rows.iter().partition(|r| super::is_reform(r.operation));
    let adjustments = changes
        .into_iter()
        .map(to_apply)
        .collect::<Result<Vec<_>, _>>()?;
    let mut made = adjust::apply(&planned, &adjustments).map_err(|e| applied(e, rows, &current))?;
    let reforms = reforms
        .into_iter()
        .map(|row| reformed(row, &mut made))
        .collect::<Result<Vec<_>, _>>()?;
    let list = resolved_list(txn, &current, &made, request.effective_on, &reforms).await?;
    let edition = EditionRequest {
        effective_on: Some(request.effective_on),
        document_number: Some(request.document_number.trim().to_owned()),
        reason: request.reason.clone().or_else(|| Some(reasons(rows))),
        source_name: format!("adjustments {}", joined(&ids_of(rows))),
        allow_older: false,
        pins: pins(&planned, &made),
        source: EditionSource::Adjustment,
        actor: actor.clone(),
    };
    let report = Report::of(&list);
    let imported = crate::import::store::store_in(txn, &list, report, &edition).await?;
    for reform in &reforms {
        super::reform::record_event(txn, &current, imported.list_id, reform).await?;
    }
    if imported.status == Status::Unchanged {
        return Err(AdjustmentError::BadInput(
            "ids: the requests leave the list as it is".into(),
        ));
    }
    mark_published(txn, actor, rows, imported.list_id).await
}

fn ids_of(rows: &[adjustment::Model]) -> Vec<i32> {
    rows.iter().map(|r| r.id).collect()
}

/// The requests' reasons, one per line: the edition's reason when the
/// publication gives none.
fn reasons(rows: &[adjustment::Model]) -> String {
    rows.iter()
        .map(|r| format!("adjustment {}: {}", r.id, r.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Point the requests at their edition and audit each.
async fn mark_published(
    txn: &DatabaseTransaction,
    actor: &Actor,
    rows: &[adjustment::Model],
    list_id: i32,
) -> Result<Publication, AdjustmentError> {
    let ids = ids_of(rows);
    adjustment::Entity::update_many()
        .col_expr(adjustment::Column::PublishedListId, Expr::value(list_id))
        .filter(adjustment::Column::Id.is_in(ids.iter().copied()))
        .exec(txn)
        .await?;
    let published = requests(txn, &ids).await?;
    for (before, after) in rows.iter().zip(&published) {
        record_step(txn, actor, "adjustment.publish", Some(before), after).await?;
    }
    let list = duty_list::Entity::find_by_id(list_id)
        .one(txn)
        .await?
        .ok_or_else(|| AdjustmentError::NotFound(format!("list {list_id}")))?;
    Ok(Publication {
        list,
        adjustments: published,
    })
}

/// The town's current edition, its editions locked against other writers
/// until the transaction ends (PostgreSQL: `FOR UPDATE`; SQLite has one writer).
async fn lock_current(
    txn: &DatabaseTransaction,
    row: &adjustment::Model,
) -> Result<duty_list::Model, AdjustmentError> {
    let editions = duty_list::Entity::find()
        .filter(duty_list::Column::CountyId.eq(row.county_id))
        .filter(duty_list::Column::Town.eq(&row.town))
        .lock_exclusive()
        .all(txn)
        .await?;
    editions
        .into_iter()
        .find(|e| e.valid_until.is_none())
        .ok_or_else(|| AdjustmentError::NotFound(format!("a current edition of {}", row.town)))
}

/// A request written against an older edition than the current one may be
/// published only if its duty is, but for its 序号, as the request saw it.
fn unchanged_since(
    row: &adjustment::Model,
    then: &[StoredVersion],
    now: &[StoredVersion],
    current: &duty_list::Model,
) -> Result<(), AdjustmentError> {
    let Some(lineage) = row.target_lineage else {
        return Ok(());
    };
    if row.base_list_id == current.id {
        return Ok(());
    }
    let find = |versions: &[StoredVersion]| {
        versions
            .iter()
            .find(|v| v.lineage == lineage)
            .map(|v| v.version.clone())
    };
    let seen = find(then);
    let name = seen
        .as_ref()
        .map_or_else(String::new, |v| format!(" 「{}」", v.name));
    let since = format!(
        "edition {} (in effect from {}{}), published after the edition this request was written against",
        current.edition,
        current.effective_on,
        current
            .document_number
            .as_deref()
            .map_or_else(String::new, |n| format!(", {n}"))
    );
    match find(now) {
        None => Err(AdjustmentError::Conflict(format!(
            "adjustment {}: its duty{name} was removed by {since}",
            row.id
        ))),
        Some(later) if seen.as_ref().map(ignoring_seq) != Some(ignoring_seq(&later)) => {
            Err(AdjustmentError::Conflict(format!(
                "adjustment {}: its duty{name} was changed by {since}; submit it again against that edition",
                row.id
            )))
        }
        Some(_) => Ok(()),
    }
}

/// A version with its 序号 blanked: renumbering by other changes is no change.
fn ignoring_seq(version: &DutyVersion) -> DutyVersion {
    let mut v = version.clone();
    v.place.seq = 0;
    v
}

/// A stored duty as a duty of the edition being made.
pub(super) fn planned(stored: &StoredVersion) -> Planned {
    Planned {
        lineage: Some(stored.lineage),
        version: stored.version.clone(),
    }
}

/// A stored request, ready to apply.
fn to_apply(row: &adjustment::Model) -> Result<adjust::Adjustment, AdjustmentError> {
    let draft = super::draft_of(row).ok_or_else(|| {
        AdjustmentError::Conflict(format!(
            "adjustment {}: its stored change cannot be read",
            row.id
        ))
    })?;
    Ok(adjust::Adjustment {
        id: row.id,
        operation: row.operation,
        lineage: row.target_lineage,
        draft,
    })
}

/// The reform a stored request states, applied to the edition being made; a
/// duty a split assigns to no successor (one a newer edition added) is a
/// `CONFLICT` naming it.
fn reformed(
    row: &adjustment::Model,
    made: &mut [Planned],
) -> Result<adjust::Reform, AdjustmentError> {
    let reform = super::reform_of(row).ok_or_else(|| {
        AdjustmentError::Conflict(format!(
            "adjustment {}: its stored reform cannot be read",
            row.id
        ))
    })?;
    adjust::reform_duties(made, &reform)
        .map_err(|e| AdjustmentError::Conflict(format!("adjustment {}: {e}", row.id)))?;
    Ok(reform)
}

/// A failure to apply: a `CONFLICT` when the current edition differs from the
/// one a request was checked against (a newer edition, or an earlier request
/// of the same publication), else `BAD_USER_INPUT`.
fn applied(
    error: ApplyError,
    rows: &[adjustment::Model],
    current: &duty_list::Model,
) -> AdjustmentError {
    let id = match &error {
        ApplyError::Missing { id } | ApplyError::Invalid { id, .. } => *id,
    };
    let stale = rows.iter().any(|r| r.base_list_id != current.id) || rows.len() > 1;
    match error {
        ApplyError::Missing { .. } => AdjustmentError::Conflict(format!(
            "adjustment {id}: its duty is no longer in the list (an earlier request of this publication removed it)"
        )),
        ApplyError::Invalid { error, .. } if stale => {
            AdjustmentError::Conflict(format!("adjustment {id}: {error}"))
        }
        ApplyError::Invalid { error, .. } => AdjustmentError::BadInput(error.to_string()),
    }
}

/// Every duty pinned: a continuing duty to its predecessor, a new one as
/// added, a dropped one as removed — the matching guesses nothing.
fn pins(before: &[Planned], after: &[Planned]) -> Pins {
    let at: HashMap<i32, crate::edition::Place> = after
        .iter()
        .filter_map(|p| Some((p.lineage?, p.version.place)))
        .collect();
    let continuing = before.iter().map(|old| {
        let lineage = old.lineage.unwrap_or_default();
        match at.get(&lineage) {
            Some(&new) => Pin::Same {
                old: old.version.place,
                new,
            },
            None => Pin::Removed {
                old: old.version.place,
            },
        }
    });
    let added = after
        .iter()
        .filter(|p| p.lineage.is_none())
        .map(|p| Pin::Added {
            new: p.version.place,
        });
    Pins::exact(
        "the publication",
        continuing.chain(added).collect::<Vec<_>>(),
    )
}

/// The edition to store: the current edition's front matter, the county's
/// stored departments and successions with the publication's reforms, the
/// made duties, and counts stated from what the edition holds.
async fn resolved_list(
    txn: &DatabaseTransaction,
    current: &duty_list::Model,
    made: &[Planned],
    day: Date,
    reforms: &[adjust::Reform],
) -> Result<ResolvedList, AdjustmentError> {
    let county = county::Entity::find_by_id(current.county_id)
        .one(txn)
        .await?
        .ok_or_else(|| AdjustmentError::NotFound(format!("county {}", current.county_id)))?;
    let (departments, successions) = stored_registry(txn, county.id).await?;
    let (departments, successions) =
        super::reform::registry_with(departments, successions, reforms, day)?;
    let index: HashMap<&str, usize> = departments
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.as_str(), i))
        .collect();
    let duties = made
        .iter()
        .map(|p| resolved_duty(&p.version, &index))
        .collect::<Result<Vec<_>, _>>()?;
    let stated_rows = stated_rows(&duties);
    let (y, m, _) = day.ymd();
    let mut list = ResolvedList {
        region: county.region,
        prefecture: county.prefecture,
        county: county.name,
        town: current.town.clone(),
        title: current.title.clone(),
        published_on: format!("{y:04}-{m:02}"),
        preamble: current.preamble.clone(),
        stated: Vec::new(),
        stated_total: Some(duties.len() as u32),
        departments: Vec::new(),
        successions,
        duties,
        stated_rows,
    };
    list.stated = list.stated_rows.iter().map(stated).collect();
    list.departments = departments;
    Ok(list)
}

/// A made duty with its departments as indices into the county's.
fn resolved_duty(
    version: &DutyVersion,
    index: &HashMap<&str, usize>,
) -> Result<ResolvedDuty, AdjustmentError> {
    let ids = |names: &[String]| {
        names
            .iter()
            .map(|n| {
                index.get(n.as_str()).copied().ok_or_else(|| {
                    AdjustmentError::Conflict(format!(
                        "the county no longer has the department {n}"
                    ))
                })
            })
            .collect::<Result<Vec<usize>, _>>()
    };
    let mut positions: HashMap<Party, u32> = HashMap::new();
    let items = version
        .items
        .iter()
        .map(|item| {
            let position = positions.entry(item.party).or_insert(0);
            *position += 1;
            Ok(ResolvedItem {
                party: item.party,
                position: *position,
                section: item.section.clone(),
                text: item.text.clone(),
                departments: ids(&item.departments)?,
            })
        })
        .collect::<Result<Vec<_>, AdjustmentError>>()?;
    Ok(ResolvedDuty {
        kind: version.place.kind,
        seq: version.place.seq,
        line: 0,
        category: version.category.clone(),
        name: version.name.clone(),
        departments: ids(&version.departments)?,
        working_method: version.working_method.clone(),
        items,
    })
}

/// Each table's counts as the edition holds them: an adjusted edition states
/// what it is (its preamble's wording is the published one's).
fn stated_rows(duties: &[ResolvedDuty]) -> Vec<StatedRow> {
    DutyKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let table: Vec<&ResolvedDuty> = duties.iter().filter(|d| d.kind == kind).collect();
            if table.is_empty() {
                return None;
            }
            let categories: BTreeSet<&str> = table.iter().map(|d| d.category.as_str()).collect();
            let departments: BTreeSet<usize> = table
                .iter()
                .flat_map(|d| d.departments.iter().copied())
                .collect();
            Some(StatedRow {
                kind,
                duty_count: Some(table.len() as u32),
                category_count: Some(categories.len() as u32),
                department_count: (kind != DutyKind::Basic).then_some(departments.len() as u32),
                category_names: None,
            })
        })
        .collect()
}

fn stated(row: &StatedRow) -> Stated {
    Stated {
        kind: Some(row.kind),
        duties: row.duty_count,
        categories: row.category_count,
        departments: row.department_count,
        category_names: Vec::new(),
    }
}
