//! Department reforms (机构改革) as requests: a rename, a merge or a split of
//! the county's departments, checked against the edition it is written for
//! (the departments exist, a new successor has its short form and takes no
//! other department's name, a split says which successor takes each duty),
//! and, when published, the successors and successions added to the county's
//! stored departments and the edition's links rewritten — so `listDiff`
//! reports the department as RENAMED, MERGED or SPLIT and the duties as
//! succeeded, and the old name answers as its successor from that day on.

use entity::duty_list;
use sea_orm::DatabaseTransaction;

use super::{AdjustmentError, Checked, DepartmentNames, Submission, canonical, payload};
use crate::date::Date;
use crate::domain::department::{LookupError, find_by_name};
use crate::domain::edition::stored_versions;
use crate::domain::scope::Scope;
use crate::edition::adjust::{self, Reform, Successor};
use crate::import::registry::{DepartmentDef, Succession, succession_kind};

/// Check a reform submission against edition `list`.
pub(super) async fn check(
    txn: &DatabaseTransaction,
    s: &Submission,
    list: duty_list::Model,
) -> Result<Checked, AdjustmentError> {
    let stated = s.reform.as_ref().ok_or_else(|| {
        AdjustmentError::BadInput(
            "reform: a department reform states its departments and successors".into(),
        )
    })?;
    if s.duty_id.is_some() || !s.draft.is_empty() {
        return Err(AdjustmentError::BadInput(
            "duty: a department reform changes no duty directly".into(),
        ));
    }
    let names = DepartmentNames::of_county(txn, list.county_id).await?;
    let mut reform = Reform::default();
    for (n, name) in stated.departments.iter().enumerate() {
        let field = format!("reform.departments[{n}]");
        reform
            .predecessors
            .push(canonical(txn, &names, name, &field).await?);
    }
    let edition = stored_versions(txn, &[list.id]).await?.into_map();
    let versions = edition.get(&list.id).cloned().unwrap_or_default();
    for (n, successor) in stated.successors.iter().enumerate() {
        let field = format!("reform.successors[{n}]");
        let (name, short_name) = successor_name(txn, &names, successor, &field).await?;
        let mut lineages = Vec::with_capacity(successor.duty_ids.len());
        for (m, id) in successor.duty_ids.iter().enumerate() {
            let found = versions.iter().find(|v| v.duty_id == *id).ok_or_else(|| {
                AdjustmentError::BadInput(format!(
                    "{field}.dutyIds[{m}]: not a duty of edition {} of {}'s list",
                    list.edition, list.town
                ))
            })?;
            lineages.push(found.lineage);
        }
        reform.successors.push(Successor {
            name,
            short_name,
            share: successor
                .share
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            lineages,
        });
    }
    adjust::check_reform(s.operation, &reform)?;
    let mut planned: Vec<adjust::Planned> = versions.iter().map(super::publish::planned).collect();
    adjust::reform_duties(&mut planned, &reform)?;
    let mut concerned = reform.predecessors.clone();
    concerned.extend(reform.successors.iter().map(|s| s.name.clone()));
    let departments = concerned
        .iter()
        .filter_map(|n| names.ids.get(n).copied())
        .collect();
    Ok(Checked {
        list,
        lineage: None,
        payload: payload(&reform)?,
        departments,
        town_only: false,
    })
}

/// A successor's canonical name, and its short form when it is new: an
/// existing department of the county is taken as it is; a new one needs a
/// short form that names no other department.
async fn successor_name(
    txn: &DatabaseTransaction,
    names: &DepartmentNames,
    successor: &super::SuccessorSubmission,
    field: &str,
) -> Result<(String, Option<String>), AdjustmentError> {
    let county = names.county.name.as_str();
    let lookup = |e: LookupError| match e {
        LookupError::Database(e) => AdjustmentError::Database(e),
        other => AdjustmentError::BadInput(format!("{field}: {other}")),
    };
    let name = successor.name.trim();
    if name.is_empty() {
        return Err(AdjustmentError::BadInput(format!(
            "{field}.name: a successor needs its name"
        )));
    }
    if let Some(found) = find_by_name(txn, name, Some(county), Scope::Current)
        .await
        .map_err(lookup)?
    {
        return Ok((found.name, None));
    }
    let short = successor
        .short_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            AdjustmentError::BadInput(format!(
                "{field}.shortName: {name} is a new department of {county}: give its short form"
            ))
        })?;
    if let Some(other) = find_by_name(txn, short, Some(county), Scope::Current)
        .await
        .map_err(lookup)?
    {
        return Err(AdjustmentError::BadInput(format!(
            "{field}.shortName: `{short}` already names {}",
            other.name
        )));
    }
    Ok((name.to_owned(), Some(short.to_owned())))
}

/// The county's departments and successions with `reforms` added: each new
/// successor as a department, each predecessor → successor link dated `day`.
pub(super) fn registry_with(
    mut departments: Vec<DepartmentDef>,
    mut successions: Vec<Succession>,
    reforms: &[Reform],
    day: Date,
) -> Result<(Vec<DepartmentDef>, Vec<Succession>), AdjustmentError> {
    for reform in reforms {
        for successor in &reform.successors {
            if !departments.iter().any(|d| d.name == successor.name) {
                let short_name = successor
                    .short_name
                    .clone()
                    .unwrap_or_else(|| successor.name.clone());
                let aliases = if short_name != successor.name {
                    vec![short_name.clone()]
                } else {
                    Vec::new()
                };
                departments.push(DepartmentDef {
                    name: successor.name.clone(),
                    short_name,
                    aliases,
                });
            }
        }
        let index = |name: &str| {
            departments
                .iter()
                .position(|d| d.name == name)
                .ok_or_else(|| {
                    AdjustmentError::Conflict(format!(
                        "the county no longer has the department {name}"
                    ))
                })
        };
        let kind = succession_kind(reform.successors.len(), reform.predecessors.len());
        for predecessor in &reform.predecessors {
            for successor in &reform.successors {
                successions.push(Succession {
                    predecessor: index(predecessor)?,
                    successor: index(&successor.name)?,
                    on: day,
                    share: successor.share.clone(),
                    kind,
                });
            }
        }
    }
    Ok((departments, successions))
}

/// The outbox's event of a published reform: the departments before and after.
pub(super) async fn record_event(
    txn: &DatabaseTransaction,
    current: &duty_list::Model,
    list_id: i32,
    reform: &Reform,
) -> Result<(), AdjustmentError> {
    use crate::domain::event::{Kind, NewEvent, record};
    let kind = match (reform.predecessors.len(), reform.successors.len()) {
        (1, 1) => Kind::DepartmentRenamed,
        (_, 1) => Kind::DepartmentsMerged,
        _ => Kind::DepartmentSplit,
    };
    let event = NewEvent {
        kind,
        county_id: Some(current.county_id),
        town: Some(current.town.clone()),
        list_id: Some(list_id),
        subject: format!("DutyList:{list_id}"),
        payload: serde_json::json!({
            "before": reform.predecessors,
            "after": reform.successors.iter().map(|s| &s.name).collect::<Vec<_>>(),
        }),
    };
    record(txn, event).await?;
    Ok(())
}
