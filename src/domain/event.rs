//! The outbox of changes: [`record`] writes a change's event in the change's
//! own transaction — so there is no change without its event and no event
//! without its change — numbered by one counter row, whose lock is held to the
//! commit: the sequence has no gaps and follows commit order. [`page`] reads
//! them after a sequence number, so a consumer catches up after being down, or
//! rebuilds its view from zero.

use entity::event;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde_json::Value;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A new edition of a town's list: imported or published from adjustments.
    EditionPublished,
    /// An adjustment request submitted.
    AdjustmentSubmitted,
    /// A request reviewed.
    AdjustmentReviewed,
    /// A request approved (by the flow, or an OA system's own approval).
    AdjustmentApproved,
    /// A request rejected.
    AdjustmentRejected,
    /// A request withdrawn.
    AdjustmentWithdrawn,
    /// A request published in an edition.
    AdjustmentPublished,
    /// A department renamed by a published reform.
    DepartmentRenamed,
    /// Departments merged by a published reform.
    DepartmentsMerged,
    /// A department split by a published reform.
    DepartmentSplit,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 10] = [
        Kind::EditionPublished,
        Kind::AdjustmentSubmitted,
        Kind::AdjustmentReviewed,
        Kind::AdjustmentApproved,
        Kind::AdjustmentRejected,
        Kind::AdjustmentWithdrawn,
        Kind::AdjustmentPublished,
        Kind::DepartmentRenamed,
        Kind::DepartmentsMerged,
        Kind::DepartmentSplit,
    ];

    /// The type as consumers read it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::EditionPublished => "list.edition.published",
            Kind::AdjustmentSubmitted => "adjustment.submitted",
            Kind::AdjustmentReviewed => "adjustment.reviewed",
            Kind::AdjustmentApproved => "adjustment.approved",
            Kind::AdjustmentRejected => "adjustment.rejected",
            Kind::AdjustmentWithdrawn => "adjustment.withdrawn",
            Kind::AdjustmentPublished => "adjustment.published",
            Kind::DepartmentRenamed => "department.renamed",
            Kind::DepartmentsMerged => "department.merged",
            Kind::DepartmentSplit => "department.split",
        }
    }

    /// The kind spelled `text`, if there is one.
    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// An event to write.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// What happened.
    pub kind: Kind,
    /// The county concerned.
    pub county_id: Option<i32>,
    /// The town concerned.
    pub town: Option<String>,
    /// The edition concerned.
    pub list_id: Option<i32>,
    /// What it is about, `Type:id`.
    pub subject: String,
    /// A summary.
    pub payload: Value,
}

/// Write `event` in the caller's transaction, with the next sequence number.
pub async fn record(txn: &impl ConnectionTrait, event: NewEvent) -> Result<i64, DbErr> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE event_sequence SET last = last + 1 WHERE id = 1 RETURNING last",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the event sequence row".into()))?;
    let sequence: i64 = row.try_get("", "last")?;
    let occurred_at = crate::date::now_ms();
    let model = event::ActiveModel {
        sequence: sea_orm::Set(sequence),
        kind: sea_orm::Set(event.kind.as_str().to_owned()),
        occurred_at: sea_orm::Set(occurred_at),
        county_id: sea_orm::Set(event.county_id),
        town: sea_orm::Set(event.town),
        list_id: sea_orm::Set(event.list_id),
        subject: sea_orm::Set(event.subject),
        payload: sea_orm::Set(event.payload.to_string()),
    };
    event::Entity::insert(model)
        .exec_without_returning(txn)
        .await?;
    crate::changes::announce(txn).await?;
    Ok(sequence)
}

/// Which events to read.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// After this sequence number (0: from the first).
    pub after: i64,
    /// Of these kinds (any when empty).
    pub kinds: Vec<Kind>,
    /// About this edition.
    pub list_id: Option<i32>,
    /// Of this county (a confined reader's).
    pub county_id: Option<i32>,
    /// Of this town (a confined reader's).
    pub town: Option<String>,
}

/// At most `first` events matching `filter`, in sequence order.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &EventFilter,
    first: u64,
) -> Result<Vec<event::Model>, DbErr> {
    let mut query = event::Entity::find()
        .filter(event::Column::Sequence.gt(filter.after))
        .order_by_asc(event::Column::Sequence);
    if !filter.kinds.is_empty() {
        query = query.filter(event::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_str())));
    }
    if let Some(list) = filter.list_id {
        query = query.filter(event::Column::ListId.eq(list));
    }
    if let Some(county) = filter.county_id {
        query = query.filter(event::Column::CountyId.eq(county));
    }
    if let Some(town) = &filter.town {
        query = query.filter(event::Column::Town.eq(town));
    }
    query.limit(first).all(db).await
}
