//! Adjustment requests (清单调整申请) and their approval: [`submit`] a change
//! to one duty of a town's list, then [`review`], [`approve`] or [`reject`]
//! it, or [`withdraw`] it before approval; [`publish`] makes approved requests
//! the town's next edition, and [`apply`] does all of it at once for changes
//! an OA system approved itself. Every step is authorised by
//! [`crate::auth::permit`], runs in one transaction with its audit line, and
//! is refused — and the refusal audited — when the request is no longer in the
//! state the step needs: of two racing approvers or publishers, exactly one wins.

mod publish;
mod reform;

use std::collections::HashMap;

use entity::{AdjustmentOperation as Operation, AdjustmentState as State, adjustment, county};
use entity::{department, duty_list};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

pub use publish::{Publication, PublishRequest, apply, publish};

use crate::auth::{Action, Actor, Denied, permit, role_allows};
use crate::domain::audit::{self, Entry};
use crate::domain::department::{LookupError, find_by_name};
use crate::domain::edition::stored_versions;
use crate::domain::event;
use crate::domain::scope::Scope;
use crate::edition::DutyVersion;
use crate::edition::adjust::{self, Draft, FieldError};
use crate::error::ErrorCode;
use crate::import::ImportError;

/// Why a step was refused. Nothing is written when it is (but the audit line).
#[derive(Debug, thiserror::Error)]
pub enum AdjustmentError {
    /// The input is wrong (`BAD_USER_INPUT`); the message names the field.
    #[error("{0}")]
    BadInput(String),
    /// No such request, list or duty (`NOT_FOUND`).
    #[error("{0} not found")]
    NotFound(String),
    /// The actor may not do it (`UNAUTHENTICATED`, `FORBIDDEN`).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The stored state forbids it (`CONFLICT`): a request in another state, a
    /// newer edition that changed the same duty, a racing writer that won.
    #[error("{0}")]
    Conflict(String),
    /// Storing the edition failed (its own code: `OLDER_EDITION`, …).
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl AdjustmentError {
    /// The code a client receives.
    pub fn code(&self) -> ErrorCode {
        match self {
            AdjustmentError::BadInput(_) => ErrorCode::BadUserInput,
            AdjustmentError::NotFound(_) => ErrorCode::NotFound,
            AdjustmentError::Denied(d) => d.code(),
            AdjustmentError::Conflict(_) => ErrorCode::Conflict,
            AdjustmentError::Import(ImportError::Database(e)) | AdjustmentError::Database(e) => {
                ErrorCode::of_database(e)
            }
            AdjustmentError::Import(e) => e.code(),
        }
    }
}

impl From<FieldError> for AdjustmentError {
    fn from(e: FieldError) -> Self {
        AdjustmentError::BadInput(e.to_string())
    }
}

/// A request to submit, as a client states it (department names as written).
#[derive(Clone, Debug)]
pub struct Submission {
    /// The edition it is written against.
    pub list_id: i32,
    /// What it changes.
    pub operation: Operation,
    /// The duty it changes (REMOVE, MODIFY, MOVE), a duty of that edition.
    pub duty_id: Option<i32>,
    /// The duty's fields (ADD: all; MODIFY, MOVE: those it changes).
    pub draft: Draft,
    /// A department reform's departments and successors (RENAME_DEPARTMENT,
    /// MERGE_DEPARTMENTS, SPLIT_DEPARTMENT).
    pub reform: Option<ReformSubmission>,
    /// Who applies (申请单位).
    pub applicant: String,
    /// The legal basis (法律依据).
    pub legal_basis: String,
    /// Why (调整理由).
    pub reason: String,
}

/// A department reform as a client states it (names as written).
#[derive(Clone, Debug, Default)]
pub struct ReformSubmission {
    /// The departments reformed, by name or alias.
    pub departments: Vec<String>,
    /// The departments that take over.
    pub successors: Vec<SuccessorSubmission>,
}

/// A department that takes over, as a client states it.
#[derive(Clone, Debug, Default)]
pub struct SuccessorSubmission {
    /// Its name: an existing department of the county, or a new one.
    pub name: String,
    /// A new department's short form.
    pub short_name: Option<String>,
    /// For a split: the part of the old remit it takes.
    pub share: Option<String>,
    /// For a split: the duties (of the edition) it takes over.
    pub duty_ids: Vec<i32>,
}

/// Whether `operation` reforms departments rather than changing a duty.
pub fn is_reform(operation: Operation) -> bool {
    matches!(
        operation,
        Operation::RenameDepartment | Operation::MergeDepartments | Operation::SplitDepartment
    )
}

/// Now, in Unix seconds.
fn now() -> i64 {
    crate::auth::token::now()
}

/// Run `work` in one transaction and commit it; when it fails, roll back and
/// audit the refusal as `refused` with its code (a database failure is logged,
/// not audited: the audit log may be what failed).
async fn audited<T>(
    db: &DatabaseConnection,
    actor: &Actor,
    refused: Entry,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, AdjustmentError>,
) -> Result<T, AdjustmentError> {
    let txn = crate::db::begin_write(db).await?;
    match work(&txn).await {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(error) => {
            txn.rollback().await?;
            if !matches!(
                error.code(),
                ErrorCode::Internal | ErrorCode::DatabaseUnavailable
            ) {
                let mut entry = refused;
                entry.detail = Some(error.to_string());
                audit::record(db, actor, entry, Some(error.code())).await?;
            }
            Err(error)
        }
    }
}

/// Submit a request: checked against its edition as the importer checks a
/// document (departments of the list's county, the table's rules), stored
/// SUBMITTED with its departments by canonical name.
pub async fn submit(
    db: &DatabaseConnection,
    actor: &Actor,
    submission: Submission,
) -> Result<adjustment::Model, AdjustmentError> {
    let refused = Entry::new(
        "adjustment.submit",
        format!("DutyList:{}", submission.list_id),
    );
    audited(db, actor, refused, async |txn| {
        let row = insert(txn, actor, &submission, State::Submitted).await?;
        record_step(txn, actor, "adjustment.submit", None, &row).await?;
        Ok(row)
    })
    .await
}

/// Check `submission` and insert it in `state`, by `actor`.
async fn insert(
    txn: &DatabaseTransaction,
    actor: &Actor,
    submission: &Submission,
    state: State,
) -> Result<adjustment::Model, AdjustmentError> {
    refuse_role(actor, submission_action(state))?;
    let checked = check(txn, submission).await?;
    permit(actor, submission_action(state), &checked.target())?;
    let row = adjustment::ActiveModel {
        county_id: Set(checked.list.county_id),
        town: Set(checked.list.town.clone()),
        base_list_id: Set(checked.list.id),
        operation: Set(submission.operation),
        target_lineage: Set(checked.lineage),
        payload: Set(checked.payload.clone()),
        applicant: Set(required(&submission.applicant, "applicant")?),
        legal_basis: Set(required(&submission.legal_basis, "legalBasis")?),
        reason: Set(required(&submission.reason, "reason")?),
        state: Set(state),
        submitted_by: Set(actor.name().to_owned()),
        submitted_at: Set(now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row)
}

/// What submitting in `state` asks of the actor: SUBMITTED needs an
/// applicant, anything further (an OA system's own approval) an approver.
fn submission_action(state: State) -> Action {
    match state {
        State::Submitted => Action::Submit,
        _ => Action::Apply,
    }
}

/// Refuse, before reading anything, an actor without a token or with a role
/// that may never take `action`.
fn refuse_role(actor: &Actor, action: Action) -> Result<(), Denied> {
    match &actor.principal {
        Some(p) if role_allows(p.role, action) => Ok(()),
        // The rule itself says why: no token, or the role.
        _ => permit(actor, action, &Default::default()),
    }
}

/// A text field that must not be empty, trimmed.
fn required(value: &str, field: &str) -> Result<String, AdjustmentError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AdjustmentError::BadInput(format!(
            "{field}: must not be empty"
        )));
    }
    Ok(value.to_owned())
}

/// A submission checked against its edition.
struct Checked {
    list: duty_list::Model,
    lineage: Option<i32>,
    /// The change as stored: its draft or reform, with canonical names.
    payload: String,
    /// The ids of the departments it concerns: the duty's before and after,
    /// or the reformed departments.
    departments: Vec<i32>,
    /// Whether it concerns the town's list alone (a duty change), not the
    /// county's departments (a reform, which no town's token may ask for).
    town_only: bool,
}

impl Checked {
    fn target(&self) -> crate::auth::Target<'_> {
        crate::auth::Target {
            county_id: Some(self.list.county_id),
            town: self.town_only.then_some(self.list.town.as_str()),
            departments: &self.departments,
        }
    }
}

/// A value as the payload column stores it.
fn payload(value: &impl serde::Serialize) -> Result<String, AdjustmentError> {
    serde_json::to_string(value).map_err(|e| AdjustmentError::BadInput(format!("duty: {e}")))
}

/// Check a submission against its edition: the list and duty exist, the
/// departments are the county's, the change makes a valid duty there (applied
/// to the whole edition, so a duplicate name or a 序号 out of range is found).
async fn check(txn: &DatabaseTransaction, s: &Submission) -> Result<Checked, AdjustmentError> {
    let list = duty_list::Entity::find_by_id(s.list_id)
        .one(txn)
        .await?
        .ok_or_else(|| AdjustmentError::NotFound(format!("list {}", s.list_id)))?;
    if is_reform(s.operation) {
        return reform::check(txn, s, list).await;
    }
    if s.reform.is_some() {
        return Err(AdjustmentError::BadInput(
            "reform: only a department reform states one".into(),
        ));
    }
    let names = DepartmentNames::of_county(txn, list.county_id).await?;
    let draft = resolve_names(txn, &names, &s.draft).await?;
    let edition = stored_versions(txn, &[list.id]).await?.into_map();
    let versions = edition.get(&list.id).cloned().unwrap_or_default();
    let target = match (s.operation, s.duty_id) {
        (Operation::Add, Some(_)) => {
            return Err(AdjustmentError::BadInput(
                "dutyId: an ADD names no duty".into(),
            ));
        }
        (Operation::Add, None) => None,
        (_, None) => {
            return Err(AdjustmentError::BadInput(
                "dutyId: this operation needs the duty it changes".into(),
            ));
        }
        (_, Some(id)) => Some(versions.iter().find(|v| v.duty_id == id).ok_or_else(|| {
            AdjustmentError::BadInput(format!(
                "dutyId: the duty is not in edition {} of {}'s list",
                list.edition, list.town
            ))
        })?),
    };
    let adjustment = adjust::Adjustment {
        id: 0,
        operation: s.operation,
        lineage: target.map(|t| t.lineage),
        draft: draft.clone(),
    };
    let planned: Vec<adjust::Planned> = versions.iter().map(publish::planned).collect();
    let made = adjust::apply(&planned, std::slice::from_ref(&adjustment)).map_err(|e| match e {
        adjust::ApplyError::Invalid { error, .. } => AdjustmentError::from(error),
        other => AdjustmentError::BadInput(other.to_string()),
    })?;
    let after = made
        .iter()
        .find(|p| p.lineage.is_some() && p.lineage == adjustment.lineage)
        .or_else(|| made.iter().find(|p| p.lineage.is_none()))
        .map(|p| &p.version);
    let mut departments = names.ids(target.map(|t| &t.version));
    departments.extend(names.ids(after));
    Ok(Checked {
        lineage: adjustment.lineage,
        list,
        payload: payload(&draft.cleaned())?,
        departments,
        town_only: true,
    })
}

/// A county's departments by canonical name.
pub(super) struct DepartmentNames {
    county: county::Model,
    ids: HashMap<String, i32>,
}

impl DepartmentNames {
    pub(super) async fn of_county(
        db: &impl ConnectionTrait,
        county_id: i32,
    ) -> Result<Self, DbErr> {
        let county = county::Entity::find_by_id(county_id)
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("county {county_id}")))?;
        let ids = department::Entity::find()
            .filter(department::Column::CountyId.eq(county_id))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.name, d.id))
            .collect();
        Ok(DepartmentNames { county, ids })
    }

    /// The ids of a duty's departments.
    fn ids(&self, duty: Option<&DutyVersion>) -> Vec<i32> {
        duty.map(|d| {
            d.departments
                .iter()
                .filter_map(|n| self.ids.get(n).copied())
                .collect()
        })
        .unwrap_or_default()
    }
}

/// The draft with every department name (duty and items) resolved within the
/// list's county by the one rule for names ([`find_by_name`]): canonical names.
async fn resolve_names(
    db: &impl ConnectionTrait,
    names: &DepartmentNames,
    draft: &Draft,
) -> Result<Draft, AdjustmentError> {
    let mut out = draft.clone();
    if let Some(departments) = out.departments.as_mut() {
        for (n, name) in departments.iter_mut().enumerate() {
            *name = canonical(db, names, name, &format!("duty.departments[{n}]")).await?;
        }
    }
    if let Some(items) = out.department_items.as_mut() {
        for (n, item) in items.iter_mut().enumerate() {
            for (m, name) in item.departments.iter_mut().enumerate() {
                let field = format!("duty.departmentItems[{n}].departments[{m}]");
                *name = canonical(db, names, name, &field).await?;
            }
        }
    }
    Ok(out)
}

/// The canonical name of department `name` of the county; a name the county
/// lacks is refused naming the field, and the county it belongs to if another.
pub(super) async fn canonical(
    db: &impl ConnectionTrait,
    names: &DepartmentNames,
    name: &str,
    field: &str,
) -> Result<String, AdjustmentError> {
    let county = &names.county.name;
    let lookup = |e: LookupError| match e {
        LookupError::Database(e) => AdjustmentError::Database(e),
        other => AdjustmentError::BadInput(format!("{field}: {other}")),
    };
    if let Some(found) = find_by_name(db, name, Some(county), Scope::Current)
        .await
        .map_err(lookup)?
    {
        return Ok(found.name);
    }
    let elsewhere = find_by_name(db, name, None, Scope::Current)
        .await
        .ok()
        .flatten();
    let message = match elsewhere {
        Some(_) => format!(
            "{field}: `{}` is a department of another county, not {county}",
            name.trim()
        ),
        None => format!(
            "{field}: {county} has no department named `{}`",
            name.trim()
        ),
    };
    Err(AdjustmentError::BadInput(message))
}

/// Review a SUBMITTED request.
pub async fn review(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<adjustment::Model, AdjustmentError> {
    step(db, actor, id, Step::Review, None).await
}

/// Approve a REVIEWED request.
pub async fn approve(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<adjustment::Model, AdjustmentError> {
    step(db, actor, id, Step::Approve, None).await
}

/// Reject a request before its approval, with the reason.
pub async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    reason: &str,
) -> Result<adjustment::Model, AdjustmentError> {
    step(db, actor, id, Step::Reject, Some(reason)).await
}

/// Withdraw a request before its approval.
pub async fn withdraw(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<adjustment::Model, AdjustmentError> {
    step(db, actor, id, Step::Withdraw, None).await
}

/// A step of the approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Review,
    Approve,
    Reject,
    Withdraw,
}

impl Step {
    fn action(self) -> Action {
        match self {
            Step::Review => Action::Review,
            Step::Approve => Action::Approve,
            Step::Reject => Action::Reject,
            Step::Withdraw => Action::Withdraw,
        }
    }

    fn operation(self) -> &'static str {
        match self {
            Step::Review => "adjustment.review",
            Step::Approve => "adjustment.approve",
            Step::Reject => "adjustment.reject",
            Step::Withdraw => "adjustment.withdraw",
        }
    }

    /// The states it starts from, and the state it leads to.
    fn transition(self) -> (&'static [State], State) {
        match self {
            Step::Review => (&[State::Submitted], State::Reviewed),
            Step::Approve => (&[State::Reviewed], State::Approved),
            Step::Reject => (&[State::Submitted, State::Reviewed], State::Rejected),
            Step::Withdraw => (&[State::Submitted, State::Reviewed], State::Withdrawn),
        }
    }
}

/// Take `step` on request `id`: authorised on the request's town and
/// departments, then one conditional UPDATE from the states the step starts
/// from — a request another actor moved first is a `CONFLICT`.
async fn step(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    step: Step,
    reason: Option<&str>,
) -> Result<adjustment::Model, AdjustmentError> {
    refuse_role(actor, step.action())?;
    let refused = Entry::new(step.operation(), format!("Adjustment:{id}"));
    audited(db, actor, refused, async |txn| {
        let before = by_id(txn, id).await?;
        let departments = departments_of(txn, &before).await?;
        permit(
            actor,
            step.action(),
            &crate::auth::Target {
                county_id: Some(before.county_id),
                town: Some(&before.town),
                departments: &departments,
            },
        )?;
        let (from, to) = step.transition();
        let reason = match (step, reason) {
            (Step::Reject, Some(r)) => Some(required(r, "reason")?),
            _ => None,
        };
        let mut update = adjustment::Entity::update_many()
            .col_expr(adjustment::Column::State, Expr::value(to))
            .filter(adjustment::Column::Id.eq(id))
            .filter(adjustment::Column::State.is_in(from.iter().copied()));
        let who = Expr::value(actor.name().to_owned());
        update = match step {
            Step::Review => update
                .col_expr(adjustment::Column::ReviewedBy, who)
                .col_expr(adjustment::Column::ReviewedAt, Expr::value(now())),
            _ => update
                .col_expr(adjustment::Column::DecidedBy, who)
                .col_expr(adjustment::Column::DecidedAt, Expr::value(now()))
                .col_expr(adjustment::Column::RejectionReason, Expr::value(reason)),
        };
        if update.exec(txn).await?.rows_affected != 1 {
            return Err(wrong_state(&by_id(txn, id).await?, step.operation(), from));
        }
        let after = by_id(txn, id).await?;
        record_step(txn, actor, step.operation(), Some(&before), &after).await?;
        Ok(after)
    })
    .await
}

/// The refusal of a step on a request in another state.
fn wrong_state(row: &adjustment::Model, operation: &str, from: &[State]) -> AdjustmentError {
    let wanted: Vec<&str> = from.iter().map(|s| state_name(*s)).collect();
    AdjustmentError::Conflict(format!(
        "adjustment {} is {}; {operation} needs it {}",
        row.id,
        state_name(row.state),
        wanted.join(" or ")
    ))
}

/// A state as the API spells it.
pub fn state_name(state: State) -> &'static str {
    match state {
        State::Submitted => "SUBMITTED",
        State::Reviewed => "REVIEWED",
        State::Approved => "APPROVED",
        State::Rejected => "REJECTED",
        State::Withdrawn => "WITHDRAWN",
        State::Published => "PUBLISHED",
    }
}

/// A request by id.
pub async fn by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<adjustment::Model, AdjustmentError> {
    adjustment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AdjustmentError::NotFound(format!("adjustment {id}")))
}

/// The ids of the departments a stored request concerns: those its draft names
/// and those of the duty it changes, in the edition it was written against.
async fn departments_of(
    db: &impl ConnectionTrait,
    row: &adjustment::Model,
) -> Result<Vec<i32>, AdjustmentError> {
    if let Some(reform) = reform_of(row) {
        let mut names = reform.predecessors;
        names.extend(reform.successors.into_iter().map(|s| s.name));
        return department_ids(db, row.county_id, names).await;
    }
    let draft: Draft = serde_json::from_str(&row.payload)
        .map_err(|e| AdjustmentError::Conflict(format!("adjustment {}: {e}", row.id)))?;
    let mut names: Vec<String> = draft.departments.unwrap_or_default();
    if let Some(lineage) = row.target_lineage {
        let edition = stored_versions(db, &[row.base_list_id]).await?.into_map();
        let target = edition
            .get(&row.base_list_id)
            .and_then(|vs| vs.iter().find(|v| v.lineage == lineage));
        names.extend(
            target
                .into_iter()
                .flat_map(|v| v.version.departments.clone()),
        );
    }
    department_ids(db, row.county_id, names).await
}

/// The ids of the county's departments named `names`.
async fn department_ids(
    db: &impl ConnectionTrait,
    county_id: i32,
    names: Vec<String>,
) -> Result<Vec<i32>, AdjustmentError> {
    let ids = department::Entity::find()
        .select_only()
        .column(department::Column::Id)
        .filter(department::Column::CountyId.eq(county_id))
        .filter(department::Column::Name.is_in(names))
        .into_tuple::<i32>()
        .all(db)
        .await?;
    Ok(ids)
}

/// The audit line of a step: the request's state before and after.
async fn record_step(
    db: &impl ConnectionTrait,
    actor: &Actor,
    operation: &'static str,
    before: Option<&adjustment::Model>,
    after: &adjustment::Model,
) -> Result<(), DbErr> {
    let mut entry = Entry::new(operation, format!("Adjustment:{}", after.id));
    entry.before = before.map(described);
    entry.after = Some(described(after));
    entry.detail = Some(format!(
        "{} {} of {}: {}",
        operation_name(after.operation),
        after
            .target_lineage
            .map_or_else(String::new, |l| format!("lineage {l}")),
        after.town,
        state_name(after.state)
    ));
    audit::record(db, actor, entry, None).await?;
    event::record(db, step_event(operation, after))
        .await
        .map(|_| ())
}

/// The outbox's event of a step: the request's new state, its operation and
/// the lineage of its duty.
fn step_event(operation: &str, row: &adjustment::Model) -> event::NewEvent {
    let kind = match operation {
        "adjustment.submit" => event::Kind::AdjustmentSubmitted,
        "adjustment.review" => event::Kind::AdjustmentReviewed,
        "adjustment.approve" | "adjustment.apply" => event::Kind::AdjustmentApproved,
        "adjustment.reject" => event::Kind::AdjustmentRejected,
        "adjustment.withdraw" => event::Kind::AdjustmentWithdrawn,
        _ => event::Kind::AdjustmentPublished,
    };
    event::NewEvent {
        kind,
        county_id: Some(row.county_id),
        town: Some(row.town.clone()),
        list_id: Some(row.published_list_id.unwrap_or(row.base_list_id)),
        subject: format!("Adjustment:{}", row.id),
        payload: serde_json::json!({
            "operation": operation_name(row.operation),
            "state": state_name(row.state),
            "lineage": row.target_lineage,
            "rejectionReason": row.rejection_reason,
        }),
    }
}

/// What a request's audit digest covers: every column.
fn described(row: &adjustment::Model) -> String {
    format!("{row:?}")
}

/// An operation as the API spells it.
pub fn operation_name(operation: Operation) -> &'static str {
    match operation {
        Operation::Add => "ADD",
        Operation::Remove => "REMOVE",
        Operation::Modify => "MODIFY",
        Operation::Move => "MOVE",
        Operation::RenameDepartment => "RENAME_DEPARTMENT",
        Operation::MergeDepartments => "MERGE_DEPARTMENTS",
        Operation::SplitDepartment => "SPLIT_DEPARTMENT",
    }
}

/// Which requests to read.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Of this county.
    pub county_id: Option<i32>,
    /// Of this town.
    pub town: Option<String>,
    /// In these states (any when empty).
    pub states: Vec<State>,
    /// Written against this edition or published in it.
    pub list_id: Option<i32>,
}

/// Requests matching `filter`, by id, after `after`, at most `first`.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &Filter,
    after: Option<i32>,
    first: u64,
) -> Result<Vec<adjustment::Model>, DbErr> {
    let mut query = adjustment::Entity::find().order_by_asc(adjustment::Column::Id);
    if let Some(county) = filter.county_id {
        query = query.filter(adjustment::Column::CountyId.eq(county));
    }
    if let Some(town) = &filter.town {
        query = query.filter(adjustment::Column::Town.eq(town));
    }
    if !filter.states.is_empty() {
        query = query.filter(adjustment::Column::State.is_in(filter.states.iter().copied()));
    }
    if let Some(list) = filter.list_id {
        query = query.filter(
            Condition::any()
                .add(adjustment::Column::BaseListId.eq(list))
                .add(adjustment::Column::PublishedListId.eq(list)),
        );
    }
    if let Some(after) = after {
        query = query.filter(adjustment::Column::Id.gt(after));
    }
    query.limit(first).all(db).await
}

/// The draft a duty change states.
pub fn draft_of(row: &adjustment::Model) -> Option<Draft> {
    (!is_reform(row.operation))
        .then(|| serde_json::from_str(&row.payload).ok())
        .flatten()
}

/// The reform a department reform states.
pub fn reform_of(row: &adjustment::Model) -> Option<adjust::Reform> {
    is_reform(row.operation)
        .then(|| serde_json::from_str(&row.payload).ok())
        .flatten()
}
