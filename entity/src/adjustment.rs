//! An adjustment request (清单调整申请): one change to a town's list, from its
//! application through review and approval to the edition that publishes it.

use sea_orm::entity::prelude::*;

/// What a request changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Operation {
    /// A new duty.
    #[sea_orm(string_value = "ADD")]
    Add,
    /// A duty taken off the list.
    #[sea_orm(string_value = "REMOVE")]
    Remove,
    /// A duty's name, category, items, departments or working method changed.
    #[sea_orm(string_value = "MODIFY")]
    Modify,
    /// A duty moved to another table.
    #[sea_orm(string_value = "MOVE")]
    Move,
    /// A department renamed.
    #[sea_orm(string_value = "RENAME_DEPARTMENT")]
    RenameDepartment,
    /// Departments merged into one.
    #[sea_orm(string_value = "MERGE_DEPARTMENTS")]
    MergeDepartments,
    /// A department split into several.
    #[sea_orm(string_value = "SPLIT_DEPARTMENT")]
    SplitDepartment,
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum State {
    /// Applied for; waiting for review.
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    /// Reviewed; waiting for approval.
    #[sea_orm(string_value = "REVIEWED")]
    Reviewed,
    /// Approved; waiting for publication.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// Refused, with a reason. Final.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Withdrawn by its applicant before approval. Final.
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
    /// Published in an edition. Final.
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
}

/// One request.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "adjustment")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The county of the list.
    pub county_id: i32,
    /// The town whose list it changes.
    pub town: String,
    /// The edition it was written against (optimistic concurrency).
    pub base_list_id: i32,
    /// What it changes.
    pub operation: Operation,
    /// The lineage of the duty it changes (REMOVE, MODIFY, MOVE).
    pub target_lineage: Option<i32>,
    /// The change itself, validated, as JSON (departments by canonical name).
    pub payload: String,
    /// Who applies (申请单位), as they write it.
    pub applicant: String,
    /// The legal basis (法律依据).
    pub legal_basis: String,
    /// Why (调整理由).
    pub reason: String,
    /// Where it stands.
    pub state: State,
    /// The token that submitted it.
    pub submitted_by: String,
    /// When (Unix seconds).
    pub submitted_at: i64,
    /// The token that reviewed it.
    pub reviewed_by: Option<String>,
    /// When.
    pub reviewed_at: Option<i64>,
    /// The token that approved, rejected or withdrew it.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<i64>,
    /// The approver an OA system names for changes it approved itself.
    pub approver: Option<String>,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// The edition that published it.
    pub published_list_id: Option<i32>,
    /// The token that published it.
    pub published_by: Option<String>,
    /// When.
    pub published_at: Option<i64>,
}

/// Relations of a request.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
