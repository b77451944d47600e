//! The root `Subscription`: `events(after:, types:, listId:)`, the outbox
//! pushed as it grows. Given `after`, a subscriber first gets every event it
//! missed, then each new one as it commits; the filter is the `events`
//! query's, one rule ([`super::event::filter`]), and so is who may read.
//!
//! A subscription reads [`page`]s after its cursor and moves the cursor to
//! each event it sends. Events are numbered without gaps in commit order, so
//! reading after the last one sent misses nothing and repeats nothing, and a
//! subscriber that reconnects with `after:` its last sequence continues
//! exactly. Caught up, it waits for a wake-up ([`crate::changes`]: a
//! PostgreSQL notification, or this process's own write) or the poll
//! interval, whichever comes first, and reads again. The transport
//! (`graphql-transport-ws`) is [`crate::server::websocket`].

use std::collections::VecDeque;
use std::time::Duration;

use async_graphql::{Context, ID, Subscription as GraphQLSubscription};
use entity::event;
use futures_util::Stream;
use sea_orm::DatabaseConnection;

use super::conn;
use super::event::{Event, filter};
use crate::changes::{Changes, Wake};
use crate::domain::event::{EventFilter, page};
use crate::error::ApiResult;

/// How many events a subscription reads at once.
pub const PAGE: u64 = 100;

/// What subscriptions follow: the process's wake-ups, and how long to wait
/// without one before reading again (`LVZHI_RESPONSE_CACHE_POLL_MS`). In the
/// schema's data; a default one (no wake-ups, a 1 s poll) where none was put.
#[derive(Clone)]
pub struct Follow {
    /// Woken when the data or the outbox may have changed.
    pub changes: Changes,
    /// The longest wait between two reads.
    pub poll: Duration,
}

impl Default for Follow {
    fn default() -> Self {
        Follow {
            changes: Changes::default(),
            poll: Duration::from_secs(1),
        }
    }
}

/// The root subscription: changes pushed as they commit.
#[derive(Default)]
pub struct Subscription;

/// The root subscription: changes pushed as they commit.
#[GraphQLSubscription]
impl Subscription {
    /// Every event after sequence `after` (0: from the first), oldest first,
    /// then each new one as it commits: of some types, or about one edition.
    /// A subscriber that reconnects with `after:` the last sequence it got
    /// misses nothing and gets nothing twice. Needs a token (in
    /// `connection_init`); a token confined to a county or town sees its own.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 0)] after: i64,
        types: Option<Vec<String>>,
        list_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = ApiResult<Event>>> {
        let filter = filter(ctx, after, types, list_id.as_ref())?;
        let follow = ctx.data_opt::<Follow>().cloned().unwrap_or_default();
        Ok(follow_events(conn(ctx).clone(), filter, &follow))
    }
}

/// A subscription's reading position.
struct Cursor {
    db: DatabaseConnection,
    /// What it reads; `after` is the last event sent.
    filter: EventFilter,
    wake: Wake,
    poll: Duration,
    /// Read and not yet sent, in sequence order.
    read: VecDeque<event::Model>,
    /// Whether the last read found less than a page: nothing more until a
    /// wake-up.
    caught_up: bool,
}

/// The events matching `filter`, then each new one, for ever; a database
/// failure ends the stream with its error (`DATABASE_UNAVAILABLE` when the
/// database cannot be reached).
pub fn follow_events(
    db: DatabaseConnection,
    filter: EventFilter,
    follow: &Follow,
) -> impl Stream<Item = ApiResult<Event>> + use<> {
    // Followed before the first read: a change committed after it wakes us.
    let cursor = Cursor {
        db,
        filter,
        wake: follow.changes.follow(),
        poll: follow.poll,
        read: VecDeque::new(),
        caught_up: false,
    };
    futures_util::stream::unfold(Some(cursor), |cursor| async move {
        let mut cursor = cursor?;
        loop {
            if let Some(row) = cursor.read.pop_front() {
                cursor.filter.after = row.sequence;
                return Some((Ok(Event(row)), Some(cursor)));
            }
            if cursor.caught_up {
                cursor.wake.wait(cursor.poll).await;
            }
            match page(&cursor.db, &cursor.filter, PAGE).await {
                Ok(rows) => {
                    cursor.caught_up = (rows.len() as u64) < PAGE;
                    cursor.read.extend(rows);
                }
                Err(e) => {
                    tracing::warn!(
                        after = cursor.filter.after,
                        "a subscription's read failed: it ends"
                    );
                    return Some((crate::error::db(Err(e)), None));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn a_database_failure_ends_the_stream_with_database_unavailable() {
        let db = crate::db::connect("sqlite::memory:").await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        db.clone().close().await.unwrap();
        let items: Vec<_> = follow_events(db, EventFilter::default(), &Follow::default())
            .collect()
            .await;
        assert_eq!(items.len(), 1, "one error, then the end");
        let Err(error) = &items[0] else {
            panic!("an error")
        };
        let code = error.extensions.as_ref().and_then(|e| e.get("code"));
        assert_eq!(
            code,
            Some(&async_graphql::Value::from("DATABASE_UNAVAILABLE"))
        );
    }
}
