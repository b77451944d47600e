//! Wake-ups when the data or the outbox may have changed, for everything that
//! follows them: the response cache's invalidation, the webhook delivery
//! worker and the GraphQL subscriptions.
//!
//! On PostgreSQL every write transaction that changes the data or writes an
//! event also sends `NOTIFY lvzhi_changes` ([`announce`]), which PostgreSQL
//! delivers at the commit to every process listening ([`listen`]). A process
//! also wakes itself after each of its own mutations ([`Changes::poke`]). A
//! wake-up says only "look again": each follower reads what it needs, and
//! still looks every poll interval, because a notification sent while the
//! listening connection was down is lost — and SQLite has none.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};
use tokio::sync::watch;

/// The PostgreSQL channel lvzhi notifies and listens on.
pub const CHANNEL: &str = "lvzhi_changes";

/// The wake-up source of one process; cheap to clone.
#[derive(Clone)]
pub struct Changes {
    tx: Arc<watch::Sender<u64>>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            tx: Arc::new(watch::Sender::new(0)),
        }
    }
}

impl Changes {
    /// Wake every follower: something may have changed.
    pub fn poke(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A follower's end.
    pub fn follow(&self) -> Wake {
        Wake(self.tx.subscribe())
    }
}

/// A follower's end of [`Changes`].
pub struct Wake(watch::Receiver<u64>);

impl Wake {
    /// Return at the next wake-up, or after `fallback` at the latest.
    pub async fn wait(&mut self, fallback: Duration) {
        // A closed sender cannot happen while `Changes` lives; then the
        // fallback alone paces the follower.
        tokio::select! {
            changed = self.0.changed() => {
                if changed.is_err() {
                    tokio::time::sleep(fallback).await;
                }
            }
            () = tokio::time::sleep(fallback) => {}
        }
    }
}

/// Inside a write transaction: have PostgreSQL wake every listening process
/// when it commits (nothing on SQLite, whose followers poll). Repeated in one
/// transaction, PostgreSQL sends it once.
pub async fn announce(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_string(
        DatabaseBackend::Postgres,
        format!("NOTIFY {CHANNEL}"),
    ))
    .await
    .map(|_| ())
}

/// On PostgreSQL, listen on [`CHANNEL`] over a connection of its own and poke
/// `changes` at each notification, reconnecting after a failure (with a poke,
/// as notifications may have been missed). Returns at once on SQLite.
pub async fn listen(changes: Changes, database_url: String) {
    if !database_url.starts_with("postgres") {
        return;
    }
    let mut delay = Duration::from_millis(250);
    loop {
        match follow_notifications(&changes, &database_url).await {
            Ok(()) => delay = Duration::from_millis(250),
            Err(e) => {
                tracing::warn!(error = %e, retry_ms = delay.as_millis() as u64,
                    "listening for change notifications failed: polling until it works again");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
        changes.poke();
    }
}

/// Poke `changes` at every notification until the connection fails.
async fn follow_notifications(
    changes: &Changes,
    database_url: &str,
) -> Result<(), sea_orm::sqlx::Error> {
    use sea_orm::sqlx::postgres::PgListener;
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    tracing::debug!("listening for change notifications");
    // What committed before the listening began was not notified here.
    changes.poke();
    loop {
        // `None`: the connection was lost (and is re-established at the next
        // call); whatever was notified meanwhile is lost, so look again.
        listener.try_recv().await?;
        changes.poke();
    }
}
