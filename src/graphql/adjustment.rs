//! Adjustment requests over GraphQL: the mutations of the approval flow
//! (`submitAdjustment`, `reviewAdjustment`, `approveAdjustment`,
//! `rejectAdjustment`, `withdrawAdjustment`, `publishAdjustments`, and
//! `applyAdjustments` for an OA system's own approval) and the reads of
//! requests. Thin: decode, take the request's [`Actor`], call
//! [`crate::domain::adjustment`], encode.

use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, Object, SimpleObject};
use entity::{AdjustmentState, adjustment};

use super::date::iso_utc;
use super::list::{DutyKind, DutyList};
use super::loaders::{CountyLoader, ListLoader, load};
use super::{conn, id, must};
use crate::auth::Actor;
use crate::date::Date;
use crate::domain;
use crate::domain::adjustment::{
    AdjustmentError, PublishRequest, ReformSubmission, Submission, SuccessorSubmission,
};
use crate::edition::adjust::{Draft, ItemDraft, Table};
use crate::error::{ApiError, ApiResult, db};
use crate::import::ImportError;

/// What a request changes.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::AdjustmentOperation", name = "AdjustmentOperation")]
pub enum Operation {
    /// A new duty (`duty` states it whole).
    Add,
    /// A duty taken off the list (`dutyId`).
    Remove,
    /// A duty's name, category, departments, items or working method
    /// changed (`dutyId`; `duty` states the fields that change).
    Modify,
    /// A duty moved to another table (`dutyId`; `duty.kind` is the new table,
    /// with any fields that change; columns the new table lacks are dropped).
    Move,
    /// A department renamed (`reform`: one department, one successor).
    RenameDepartment,
    /// Departments merged (`reform`: several departments, one successor).
    MergeDepartments,
    /// A department split (`reform`: one department, several successors,
    /// each with the duties it takes over).
    SplitDepartment,
}

/// Where a request stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::AdjustmentState", name = "AdjustmentState")]
pub enum State {
    /// Applied for; waiting for review.
    Submitted,
    /// Reviewed; waiting for approval.
    Reviewed,
    /// Approved; waiting for publication.
    Approved,
    /// Refused, with a reason. Final.
    Rejected,
    /// Withdrawn before approval. Final.
    Withdrawn,
    /// Published in an edition. Final.
    Published,
}

/// One responsibility item of a request.
#[derive(InputObject, Clone, Debug)]
pub struct ItemInput {
    /// The item's wording (cleaned as the importer cleans a document's).
    pub text: String,
    /// The section heading it sits under.
    pub section: Option<String>,
    /// Department column only: the departments (names or aliases) it is
    /// attributed to; by default the duty's only counterpart, or all of them.
    pub departments: Option<Vec<String>>,
}

/// A duty's fields in a request: all of them for ADD, those that change for
/// MODIFY and MOVE.
#[derive(InputObject, Clone, Debug, Default)]
pub struct DutyDraftInput {
    /// The table (ADD; MOVE: the table it moves to).
    pub kind: Option<DutyKind>,
    /// ADD and MOVE: the 序号 it takes in its table (later duties move down);
    /// at the end by default.
    pub seq: Option<i32>,
    /// 事项类别.
    pub category: Option<String>,
    /// 事项名称.
    pub name: Option<String>,
    /// Counterpart (配合) or receiving (收回) departments, by name or alias.
    pub departments: Option<Vec<String>>,
    /// 工作方式 of a reclaimed duty.
    pub working_method: Option<String>,
    /// The department column's items (上级部门职责), replacing the duty's.
    pub department_items: Option<Vec<ItemInput>>,
    /// The town column's items (乡镇（街道）配合职责), replacing the duty's.
    pub town_items: Option<Vec<ItemInput>>,
}

/// A department that takes over in a reform.
#[derive(InputObject, Clone, Debug)]
pub struct SuccessorInput {
    /// Its name: a department of the county, or a new one.
    pub name: String,
    /// A new department's short form (e.g. `县卫健局`).
    pub short_name: Option<String>,
    /// For a split: the part of the old remit it takes.
    pub share: Option<String>,
    /// For a split: the duties of the edition it takes over. Every duty that
    /// names the split department must go to at least one successor.
    pub duty_ids: Option<Vec<ID>>,
}

/// A department reform (机构改革) of the county, published with a town's edition.
#[derive(InputObject, Clone, Debug)]
pub struct ReformInput {
    /// The departments reformed, by name or alias.
    pub departments: Vec<String>,
    /// The departments that take over.
    pub successors: Vec<SuccessorInput>,
}

/// A request for one change to one town's list.
#[derive(InputObject, Clone, Debug)]
pub struct AdjustmentInput {
    /// The edition the request is written against (normally the current one).
    pub list_id: ID,
    /// What it changes.
    pub operation: Operation,
    /// The duty it changes (REMOVE, MODIFY, MOVE): a duty of that edition.
    pub duty_id: Option<ID>,
    /// The duty's fields.
    pub duty: Option<DutyDraftInput>,
    /// A department reform's departments and successors (RENAME_DEPARTMENT,
    /// MERGE_DEPARTMENTS, SPLIT_DEPARTMENT).
    pub reform: Option<ReformInput>,
    /// Who applies (申请单位).
    pub applicant: String,
    /// The legal basis (法律依据).
    pub legal_basis: String,
    /// Why (调整理由).
    pub reason: String,
}

/// Approved requests to publish as their town's next edition.
#[derive(InputObject, Clone, Debug)]
pub struct PublishInput {
    /// The requests, all APPROVED and of one town.
    pub ids: Vec<ID>,
    /// The approving document's number (文号).
    pub document_number: String,
    /// The day the edition takes effect.
    pub effective_on: Date,
    /// Why, beyond the requests' own reasons (which are the default).
    pub reason: Option<String>,
}

/// Changes an OA system approved itself, published at once.
#[derive(InputObject, Clone, Debug)]
pub struct ApplyInput {
    /// The changes, all against one edition of one town.
    pub changes: Vec<AdjustmentInput>,
    /// The approving document's number (文号).
    pub document_number: String,
    /// Who approved them in the OA system.
    pub approver: String,
    /// The day the edition takes effect.
    pub effective_on: Date,
    /// Why, beyond the changes' own reasons.
    pub reason: Option<String>,
}

/// An adjustment request.
pub struct Adjustment(pub adjustment::Model);

/// One item of a request's duty.
#[derive(SimpleObject, Clone, Debug)]
pub struct ProposedItem {
    /// Its wording.
    pub text: String,
    /// Its section heading.
    pub section: Option<String>,
    /// The departments it is attributed to (department column; empty means
    /// the duty's only counterpart, or all of them).
    pub departments: Vec<String>,
}

/// What a request states about its duty (absent fields stay as they are).
#[derive(SimpleObject, Clone, Debug)]
pub struct ProposedDuty {
    /// The table.
    pub kind: Option<DutyKind>,
    /// The 序号 asked for.
    pub seq: Option<i32>,
    /// 事项类别.
    pub category: Option<String>,
    /// 事项名称.
    pub name: Option<String>,
    /// Departments, by canonical name.
    pub departments: Option<Vec<String>>,
    /// 工作方式.
    pub working_method: Option<String>,
    /// The department column's items.
    pub department_items: Option<Vec<ProposedItem>>,
    /// The town column's items.
    pub town_items: Option<Vec<ProposedItem>>,
}

/// An adjustment request (清单调整申请): one change to one duty of a town's
/// list, from its application through review and approval to the edition
/// that published it.
#[Object]
impl Adjustment {
    /// Opaque ID.
    async fn id(&self) -> ID {
        id::encode("Adjustment", self.0.id)
    }

    /// What it changes.
    async fn operation(&self) -> Operation {
        self.0.operation.into()
    }

    /// Where it stands.
    async fn state(&self) -> State {
        self.0.state.into()
    }

    /// The town whose list it changes.
    async fn town(&self) -> &str {
        &self.0.town
    }

    /// The edition it was written against.
    async fn list(&self, ctx: &Context<'_>) -> ApiResult<Option<DutyList>> {
        list_by_id(ctx, self.0.base_list_id).await
    }

    /// The lineage of the duty it changes (see `Duty.lineage`).
    async fn duty_lineage(&self) -> Option<ID> {
        self.0.target_lineage.map(|l| id::encode("Lineage", l))
    }

    /// What it states about the duty (a duty change; null for a reform).
    async fn proposed(&self) -> Option<ProposedDuty> {
        domain::adjustment::draft_of(&self.0).map(proposed)
    }

    /// The departments it reforms and those that take over (a reform; null
    /// for a duty change).
    async fn proposed_reform(&self) -> Option<ProposedReform> {
        domain::adjustment::reform_of(&self.0).map(|r| ProposedReform {
            departments: r.predecessors,
            successors: r
                .successors
                .into_iter()
                .map(|s| ProposedSuccessor {
                    name: s.name,
                    short_name: s.short_name,
                    share: s.share,
                    duty_lineages: s
                        .lineages
                        .into_iter()
                        .map(|l| id::encode("Lineage", l))
                        .collect(),
                })
                .collect(),
        })
    }

    /// Who applies (申请单位).
    async fn applicant(&self) -> &str {
        &self.0.applicant
    }

    /// The legal basis (法律依据).
    async fn legal_basis(&self) -> &str {
        &self.0.legal_basis
    }

    /// Why (调整理由).
    async fn reason(&self) -> &str {
        &self.0.reason
    }

    /// The token that submitted it.
    async fn submitted_by(&self) -> &str {
        &self.0.submitted_by
    }

    /// When (ISO 8601, UTC).
    async fn submitted_at(&self) -> String {
        iso_utc(self.0.submitted_at)
    }

    /// The token that reviewed it.
    async fn reviewed_by(&self) -> Option<&str> {
        self.0.reviewed_by.as_deref()
    }

    /// When.
    async fn reviewed_at(&self) -> Option<String> {
        self.0.reviewed_at.map(iso_utc)
    }

    /// The token that approved, rejected or withdrew it.
    async fn decided_by(&self) -> Option<&str> {
        self.0.decided_by.as_deref()
    }

    /// When.
    async fn decided_at(&self) -> Option<String> {
        self.0.decided_at.map(iso_utc)
    }

    /// The approver an OA system named for changes it approved itself.
    async fn approver(&self) -> Option<&str> {
        self.0.approver.as_deref()
    }

    /// Why it was rejected.
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }

    /// The edition that published it.
    async fn published_in(&self, ctx: &Context<'_>) -> ApiResult<Option<DutyList>> {
        match self.0.published_list_id {
            Some(list) => list_by_id(ctx, list).await,
            None => Ok(None),
        }
    }

    /// The token that published it.
    async fn published_by(&self) -> Option<&str> {
        self.0.published_by.as_deref()
    }

    /// When.
    async fn published_at(&self) -> Option<String> {
        self.0.published_at.map(iso_utc)
    }
}

fn proposed(draft: Draft) -> ProposedDuty {
    let items = |items: Option<Vec<ItemDraft>>| {
        items.map(|items| {
            items
                .into_iter()
                .map(|i| ProposedItem {
                    text: i.text,
                    section: i.section,
                    departments: i.departments,
                })
                .collect()
        })
    };
    ProposedDuty {
        kind: draft.kind.map(|t| entity::DutyKind::from(t).into()),
        seq: draft.seq.map(|s| s as i32),
        category: draft.category,
        name: draft.name,
        departments: draft.departments,
        working_method: draft.working_method,
        department_items: items(draft.department_items),
        town_items: items(draft.town_items),
    }
}

/// A department that takes over in a reform request.
#[derive(SimpleObject, Clone, Debug)]
pub struct ProposedSuccessor {
    /// Its canonical name.
    pub name: String,
    /// Its short form, for a new department.
    pub short_name: Option<String>,
    /// For a split: the part of the old remit it takes.
    pub share: Option<String>,
    /// For a split: the lineages (see `Duty.lineage`) of the duties it takes over.
    pub duty_lineages: Vec<ID>,
}

/// What a reform request states.
#[derive(SimpleObject, Clone, Debug)]
pub struct ProposedReform {
    /// The departments reformed, by canonical name.
    pub departments: Vec<String>,
    /// The departments that take over.
    pub successors: Vec<ProposedSuccessor>,
}

/// A published edition and the requests it published.
#[derive(SimpleObject)]
pub struct Publication {
    /// The new edition.
    pub list: DutyList,
    /// Its requests.
    pub adjustments: Vec<Adjustment>,
}

/// An edition through the request's loaders: the lists of a page of requests
/// load in one batch, whatever their number.
pub(super) async fn list_by_id(ctx: &Context<'_>, key: i32) -> ApiResult<Option<DutyList>> {
    let Some(list) = load::<ListLoader, _>(ctx, key).await? else {
        return Ok(None);
    };
    let county = must(
        load::<CountyLoader, _>(ctx, list.county_id).await?,
        "county",
    )?;
    Ok(Some(DutyList::new(list, county)))
}

/// The GraphQL error of a refused step; database text never reaches a client.
fn refused(error: AdjustmentError) -> async_graphql::Error {
    match error {
        AdjustmentError::Database(e) | AdjustmentError::Import(ImportError::Database(e)) => {
            ApiError::from(e).extend()
        }
        other => {
            let code = other.code();
            async_graphql::Error::new(other.to_string()).extend_with(|_, e| e.set("code", code))
        }
    }
}

fn actor<'a>(ctx: &'a Context<'_>) -> &'a Actor {
    static NOBODY: std::sync::LazyLock<Actor> = std::sync::LazyLock::new(Actor::default);
    ctx.data_opt::<Actor>().unwrap_or(&NOBODY)
}

fn submission(input: AdjustmentInput) -> ApiResult<Submission> {
    let duty = input.duty.unwrap_or_default();
    let seq = match duty.seq {
        Some(seq) if seq < 1 => {
            return Err(ApiError::BadUserInput("duty.seq: 序号 counts from 1".into()).extend());
        }
        seq => seq.map(|s| s as u32),
    };
    let items = |items: Option<Vec<ItemInput>>| {
        items.map(|items| {
            items
                .into_iter()
                .map(|i| ItemDraft {
                    text: i.text,
                    section: i.section,
                    departments: i.departments.unwrap_or_default(),
                })
                .collect()
        })
    };
    Ok(Submission {
        list_id: id::decode(&input.list_id, "DutyList")?,
        operation: input.operation.into(),
        duty_id: input
            .duty_id
            .as_ref()
            .map(|d| id::decode(d, "Duty"))
            .transpose()?,
        draft: Draft {
            kind: duty.kind.map(|k| Table::from(entity::DutyKind::from(k))),
            seq,
            category: duty.category,
            name: duty.name,
            departments: duty.departments,
            working_method: duty.working_method,
            department_items: items(duty.department_items),
            town_items: items(duty.town_items),
        },
        reform: input.reform.map(reform).transpose()?,
        applicant: input.applicant,
        legal_basis: input.legal_basis,
        reason: input.reason,
    })
}

fn reform(input: ReformInput) -> ApiResult<ReformSubmission> {
    let successors = input
        .successors
        .into_iter()
        .map(|s| {
            let duty_ids = s
                .duty_ids
                .unwrap_or_default()
                .iter()
                .map(|d| id::decode(d, "Duty"))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(SuccessorSubmission {
                name: s.name,
                short_name: s.short_name,
                share: s.share,
                duty_ids,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(ReformSubmission {
        departments: input.departments,
        successors,
    })
}

async fn publication(
    ctx: &Context<'_>,
    p: domain::adjustment::Publication,
) -> ApiResult<Publication> {
    let list = list_by_id(ctx, p.list.id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("list {}", p.list.id)).extend())?;
    Ok(Publication {
        list,
        adjustments: p.adjustments.into_iter().map(Adjustment).collect(),
    })
}

/// The approval flow's mutations.
#[derive(Default)]
pub struct AdjustmentMutation;

#[Object]
impl AdjustmentMutation {
    /// Apply for a change to a town's list (APPLICANT: a town's token for its
    /// own list, a department's for duties it is a counterpart or receiver
    /// of). Checked as the importer checks a document; stored SUBMITTED.
    async fn submit_adjustment(
        &self,
        ctx: &Context<'_>,
        input: AdjustmentInput,
    ) -> ApiResult<Adjustment> {
        let submission = submission(input)?;
        domain::adjustment::submit(conn(ctx), actor(ctx), submission)
            .await
            .map(Adjustment)
            .map_err(refused)
    }

    /// Review a SUBMITTED request (REVIEWER).
    async fn review_adjustment(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Adjustment> {
        let key = id::decode(&id, "Adjustment")?;
        domain::adjustment::review(conn(ctx), actor(ctx), key)
            .await
            .map(Adjustment)
            .map_err(refused)
    }

    /// Approve a REVIEWED request (APPROVER).
    async fn approve_adjustment(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Adjustment> {
        let key = id::decode(&id, "Adjustment")?;
        domain::adjustment::approve(conn(ctx), actor(ctx), key)
            .await
            .map(Adjustment)
            .map_err(refused)
    }

    /// Reject a request before its approval, with the reason (REVIEWER or APPROVER).
    async fn reject_adjustment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> ApiResult<Adjustment> {
        let key = id::decode(&id, "Adjustment")?;
        domain::adjustment::reject(conn(ctx), actor(ctx), key, &reason)
            .await
            .map(Adjustment)
            .map_err(refused)
    }

    /// Withdraw a request before its approval (APPLICANT).
    async fn withdraw_adjustment(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Adjustment> {
        let key = id::decode(&id, "Adjustment")?;
        domain::adjustment::withdraw(conn(ctx), actor(ctx), key)
            .await
            .map(Adjustment)
            .map_err(refused)
    }

    /// Publish APPROVED requests of one town as its next edition, with its
    /// 文号 (PUBLISHER). A request written against an older edition whose
    /// duty a newer edition changed is a CONFLICT naming it. Publishing the
    /// same requests with the same 文号 again answers the same publication.
    async fn publish_adjustments(
        &self,
        ctx: &Context<'_>,
        input: PublishInput,
    ) -> ApiResult<Publication> {
        let ids = input
            .ids
            .iter()
            .map(|i| id::decode(i, "Adjustment"))
            .collect::<ApiResult<Vec<_>>>()?;
        let request = PublishRequest {
            document_number: input.document_number,
            effective_on: input.effective_on,
            reason: input.reason,
        };
        let published = domain::adjustment::publish(conn(ctx), actor(ctx), &ids, &request)
            .await
            .map_err(refused)?;
        publication(ctx, published).await
    }

    /// Changes an OA system approved itself (APPROVER), stored as approved
    /// requests and published at once as the next edition with the OA
    /// system's 文号 and approver: the same records and audit trail as the flow.
    async fn apply_adjustments(
        &self,
        ctx: &Context<'_>,
        input: ApplyInput,
    ) -> ApiResult<Publication> {
        let changes = input
            .changes
            .into_iter()
            .map(submission)
            .collect::<ApiResult<Vec<_>>>()?;
        let request = PublishRequest {
            document_number: input.document_number,
            effective_on: input.effective_on,
            reason: input.reason,
        };
        let published =
            domain::adjustment::apply(conn(ctx), actor(ctx), &changes, &input.approver, &request)
                .await
                .map_err(refused)?;
        publication(ctx, published).await
    }
}

/// Reads of requests: not public documents, so any token may read them
/// within its county and town; without a token they are UNAUTHENTICATED.
#[derive(Default)]
pub struct AdjustmentQuery;

#[Object]
impl AdjustmentQuery {
    /// One request by its ID; null if there is none.
    async fn adjustment(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Adjustment>> {
        let key = id::decode(&id, "Adjustment")?;
        let row = match domain::adjustment::by_id(conn(ctx), key).await {
            Ok(row) => row,
            Err(AdjustmentError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(refused(e)),
        };
        let reader = reader(ctx)?;
        let outside = reader.county_id.is_some_and(|c| c != row.county_id)
            || reader.town.as_ref().is_some_and(|t| *t != row.town);
        if outside {
            return Err(ApiError::Forbidden(
                "the token's county or town does not include this request".into(),
            )
            .extend());
        }
        Ok(Some(Adjustment(row)))
    }

    /// Requests by ID, oldest first: of one edition (written against it or
    /// published in it), of a town, or in some states. A token confined to a
    /// county or town sees only its own.
    async fn adjustments(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
        town: Option<String>,
        states: Option<Vec<State>>,
        #[graphql(validator(minimum = 1, maximum = 100), default = 20)] first: i32,
        after: Option<ID>,
    ) -> ApiResult<Vec<Adjustment>> {
        let reader = reader(ctx)?;
        let filter = domain::adjustment::Filter {
            county_id: reader.county_id,
            town: reader.town.clone().or(town),
            states: states
                .unwrap_or_default()
                .into_iter()
                .map(AdjustmentState::from)
                .collect(),
            list_id: list_id
                .as_ref()
                .map(|l| id::decode(l, "DutyList"))
                .transpose()?,
        };
        let after = after
            .as_ref()
            .map(|a| id::decode(a, "Adjustment"))
            .transpose()?;
        let rows = db(domain::adjustment::page(conn(ctx), &filter, after, first as u64).await)?;
        Ok(rows.into_iter().map(Adjustment).collect())
    }
}

/// The token reading requests: any role, within its county and town.
pub(super) fn reader<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a crate::auth::Principal> {
    actor(ctx).principal.as_ref().ok_or_else(|| {
        ApiError::Unauthenticated(crate::auth::Denied::Unauthenticated.to_string()).extend()
    })
}
