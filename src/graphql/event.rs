//! The outbox over GraphQL: `events(after:, types:, listId:)`, every change in
//! sequence order, for a consumer to catch up after being down or rebuild
//! its view from zero. Events name requests, which are not public: reading
//! them needs a token (any role), within its county and town ([`filter`], the
//! one rule of the query and of the `events` subscription,
//! [`super::subscription`]).

use async_graphql::{Context, ErrorExtensions, ID, Json, Object};
use entity::event;

use super::adjustment::{list_by_id, reader};
use super::list::DutyList;
use super::{conn, id};
use crate::domain::event::{EventFilter, Kind, page};
use crate::error::{ApiError, ApiResult, db};

/// One change, as the outbox recorded it in the change's own transaction.
pub struct Event(pub event::Model);

/// One change, as the outbox recorded it in the change's own transaction.
#[Object]
impl Event {
    /// Its place in the one sequence of all events: from 1, without gaps, in
    /// commit order. Pass the last one seen as `after` to continue.
    async fn sequence(&self) -> i64 {
        self.0.sequence
    }

    /// What happened: `list.edition.published`, `adjustment.submitted`,
    /// `adjustment.reviewed`, `adjustment.approved`, `adjustment.rejected`,
    /// `adjustment.withdrawn`, `adjustment.published`, `department.renamed`,
    /// `department.merged` or `department.split`.
    #[graphql(name = "type")]
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    /// When (ISO 8601, UTC, milliseconds).
    async fn occurred_at(&self) -> String {
        crate::domain::audit::instant_text(self.0.occurred_at)
    }

    /// The town concerned.
    async fn town(&self) -> Option<&str> {
        self.0.town.as_deref()
    }

    /// The edition concerned: the new edition, or the one a request is for.
    async fn list(&self, ctx: &Context<'_>) -> ApiResult<Option<DutyList>> {
        match self.0.list_id {
            Some(list) => list_by_id(ctx, list).await,
            None => Ok(None),
        }
    }

    /// What it is about, as `Type:key` (`DutyList:5`, `Adjustment:12`).
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// A summary: for an edition its number, day, 文号, source and the diff's
    /// counts against the edition it follows; for a request its operation,
    /// state and duty; for a reform the departments before and after.
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.payload).unwrap_or_default())
    }
}

/// Reads of the outbox.
#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// Events after sequence `after` (0: from the first), oldest first, of
    /// some types or about one edition; at most `first`. A token confined to a
    /// county or town sees its own.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 0)] after: i64,
        types: Option<Vec<String>>,
        list_id: Option<ID>,
        #[graphql(validator(minimum = 1, maximum = 500), default = 100)] first: i32,
    ) -> ApiResult<Vec<Event>> {
        let filter = filter(ctx, after, types, list_id.as_ref())?;
        let rows = db(page(conn(ctx), &filter, first as u64).await)?;
        Ok(rows.into_iter().map(Event).collect())
    }
}

/// Which events a reader asks for — the query's and the subscription's one
/// rule: after `after`, of `types` (each a known type), about `list_id`,
/// within the reader's county and town. Needs a token (`UNAUTHENTICATED`).
pub(super) fn filter(
    ctx: &Context<'_>,
    after: i64,
    types: Option<Vec<String>>,
    list_id: Option<&ID>,
) -> ApiResult<EventFilter> {
    let reader = reader(ctx)?;
    Ok(EventFilter {
        after,
        kinds: parse_kinds(types.as_deref().unwrap_or_default())?,
        list_id: list_id.map(|l| id::decode(l, "DutyList")).transpose()?,
        county_id: reader.county_id,
        town: reader.town.clone(),
    })
}

/// Event types as a client spells them; an unknown one is `BAD_USER_INPUT`.
pub fn parse_kinds(types: &[String]) -> ApiResult<Vec<Kind>> {
    types
        .iter()
        .map(|t| {
            Kind::parse(t).ok_or_else(|| {
                ApiError::BadUserInput(format!("types: `{t}` is not an event type")).extend()
            })
        })
        .collect()
}
