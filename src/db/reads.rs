//! Where a read goes: the read replica (`DATABASE_READ_URL`) when it has
//! caught up with the newest data this process has seen, else the primary
//! (`DATABASE_URL`).
//!
//! The data version ([`super::data_version`]) is a row every write
//! increments in its own transaction, so it is replicated with the write and
//! says how fresh a database is. [`Reads`] keeps two numbers: the newest
//! version this process has seen on the primary (the cache watcher's reads,
//! [`crate::cache::watch`]; its own writes; its own reads from the primary)
//! and the replica's version, read by [`Reads::follow_replica`] at each
//! wake-up ([`crate::changes`]) and every poll. A read goes to the replica
//! only while the replica's version is at least the seen one. So, with one
//! replica that only moves forward:
//!
//! - after a write through this process, every later read through it sees the
//!   write (the version is read from the primary before the write is answered);
//! - no answer is older than one this process already gave: a read from the
//!   replica is followed by reads from the same replica or the primary, both
//!   at least as new, and after a read from the primary the seen version is
//!   raised to the primary's before the answer leaves.
//!
//! Raising the seen version drops the response cache: its answers were
//! computed at older versions. A replica that cannot be reached is left out
//! until the follower reaches it again; reads go to the primary meanwhile.
//! Only GraphQL queries are routed here: every write, and every read of what
//! the data version does not count, uses the primary itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::cache::ResponseCache;
use crate::changes::Wake;

/// The replica's version while it is unknown or the replica cannot be reached.
const UNKNOWN: i64 = -1;

/// The first pause before the follower looks again at a replica found
/// behind; it doubles up to the poll interval. Streaming replication usually
/// replays a commit within milliseconds of it.
const FIRST_RECHECK: Duration = Duration::from_millis(2);

/// Which database answers a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Database {
    /// `DATABASE_URL`.
    Primary,
    /// `DATABASE_READ_URL`.
    Replica,
}

impl Database {
    /// The label of the database on `/metrics`.
    pub fn label(self) -> &'static str {
        match self {
            Database::Primary => "primary",
            Database::Replica => "replica",
        }
    }
}

/// Where one read goes.
pub struct Route {
    /// The database chosen.
    pub database: Database,
    /// Its pool.
    pub db: DatabaseConnection,
}

/// The read replica and what the follower last found there.
struct Replica {
    db: DatabaseConnection,
    /// The replica's data version at the follower's last look; [`UNKNOWN`]
    /// before the first and while it cannot be reached.
    version: AtomicI64,
    /// Whether the last look reached it, so a change is logged once.
    reachable: AtomicBool,
}

/// Reads counted for `/metrics`.
#[derive(Default)]
struct Counts {
    replica: AtomicU64,
    primary: AtomicU64,
    /// Queries that could have read the replica but found it behind.
    behind: AtomicU64,
    /// Queries that could have read the replica but found it unreachable
    /// (or failed on it and were answered by the primary).
    unreachable: AtomicU64,
}

/// What `/metrics` reports about reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Whether a replica is configured.
    pub replicated: bool,
    /// Queries answered by the replica.
    pub replica: u64,
    /// Queries answered by the primary.
    pub primary: u64,
    /// Queries sent to the primary because the replica was behind.
    pub behind: u64,
    /// Queries sent to the primary because the replica was unreachable.
    pub unreachable: u64,
    /// The newest data version this process has seen (-1: none yet).
    pub seen: i64,
    /// The replica's data version at the last look (-1: unknown, unreachable).
    pub replica_version: i64,
}

/// The routing of this process's reads; shared by the GraphQL API, the
/// cache watcher and the replica's follower.
pub struct Reads {
    primary: DatabaseConnection,
    replica: Option<Replica>,
    /// The newest data version seen on the primary; only ever raised.
    seen: AtomicI64,
    /// Dropped whenever `seen` rises.
    cache: Option<Arc<ResponseCache>>,
    counts: Counts,
}

impl Reads {
    /// Every read on `primary`: no replica, nothing followed.
    pub fn primary_only(primary: DatabaseConnection) -> Self {
        Self::new(primary, None, UNKNOWN)
    }

    /// Reads on `primary` and, while it has caught up, `replica`; `seen` is
    /// the primary's data version read at start-up.
    pub fn new(
        primary: DatabaseConnection,
        replica: Option<DatabaseConnection>,
        seen: i64,
    ) -> Self {
        Reads {
            primary,
            replica: replica.map(|db| Replica {
                db,
                version: AtomicI64::new(UNKNOWN),
                reachable: AtomicBool::new(true),
            }),
            seen: AtomicI64::new(seen),
            cache: None,
            counts: Counts::default(),
        }
    }

    /// These reads, dropping `cache` whenever a newer version is seen.
    pub fn dropping(mut self, cache: Option<Arc<ResponseCache>>) -> Self {
        self.cache = cache;
        self
    }

    /// The primary: for writes and what must read its own writes.
    pub fn primary(&self) -> &DatabaseConnection {
        &self.primary
    }

    /// Whether a replica is configured.
    pub fn replicated(&self) -> bool {
        self.replica.is_some()
    }

    /// Where a query goes, counted: the replica when `replica_may_answer`
    /// (the query reads only what the data version counts) and the replica
    /// has caught up with the newest version seen; else the primary.
    pub fn route(&self, replica_may_answer: bool) -> Route {
        let Some(replica) = self.replica.as_ref().filter(|_| replica_may_answer) else {
            return self.on_primary();
        };
        // Read after the cache's generation (by the caller): a generation
        // newer than a raise of `seen` implies this load sees the raise.
        let seen = self.seen.load(Ordering::Acquire);
        match replica.version.load(Ordering::Acquire) {
            UNKNOWN => {
                self.counts.unreachable.fetch_add(1, Ordering::Relaxed);
                self.on_primary()
            }
            version if version < seen => {
                self.counts.behind.fetch_add(1, Ordering::Relaxed);
                self.on_primary()
            }
            _ => {
                self.counts.replica.fetch_add(1, Ordering::Relaxed);
                Route {
                    database: Database::Replica,
                    db: replica.db.clone(),
                }
            }
        }
    }

    /// A read on the primary, counted.
    fn on_primary(&self) -> Route {
        self.counts.primary.fetch_add(1, Ordering::Relaxed);
        Route {
            database: Database::Primary,
            db: self.primary.clone(),
        }
    }

    /// A read routed to the replica failed because the replica cannot be
    /// reached: leave it out until the follower reaches it again, and send
    /// the read to the primary (counted).
    pub fn replica_failed(&self) -> Route {
        self.unreachable("a read could not reach the replica");
        self.counts.unreachable.fetch_add(1, Ordering::Relaxed);
        self.on_primary()
    }

    /// Raise the seen version to `version`, dropping the response cache when
    /// it rises; whether it rose.
    pub fn saw(&self, version: i64) -> bool {
        let before = self.seen.fetch_max(version, Ordering::AcqRel);
        let rose = version > before;
        if rose && let Some(cache) = &self.cache {
            // After the raise: a request that finds the new generation routes
            // with the new version.
            cache.invalidate();
        }
        rose
    }

    /// With a replica, raise the seen version to the primary's current one:
    /// after a write through this process (later reads then see it) and after
    /// a read from the primary (later reads are then no older). Without a
    /// replica nothing depends on it, and no statement is spent.
    pub async fn caught_up_with_primary(&self) {
        if self.replica.is_none() {
            return;
        }
        match super::data_version(&self.primary).await {
            Ok(version) => {
                self.saw(version);
            }
            // The read or write itself failed or will: the primary is down,
            // and no read goes to the replica that it did not vouch for.
            Err(e) => tracing::debug!(error = %e, "cannot read the primary's data version"),
        }
    }

    /// Follow the replica's data version forever: look at each wake-up and
    /// every `poll`, and again soon (2 ms, doubling up to `poll`) while it is
    /// behind the seen version, so reads return to it as soon as it has
    /// replayed the newest commit. Returns at once without a replica.
    pub async fn follow_replica(self: Arc<Self>, mut wake: Wake, poll: Duration) {
        if self.replica.is_none() {
            return;
        }
        let mut recheck = FIRST_RECHECK;
        loop {
            let pause = if self.look().await {
                let pause = recheck;
                recheck = (recheck * 2).min(poll);
                pause
            } else {
                recheck = FIRST_RECHECK;
                poll
            };
            wake.wait(pause).await;
        }
    }

    /// Read the replica's data version once; whether it is behind the seen one.
    async fn look(&self) -> bool {
        let Some(replica) = &self.replica else {
            return false;
        };
        match super::data_version(&replica.db).await {
            Ok(version) => {
                replica.version.store(version, Ordering::Release);
                if !replica.reachable.swap(true, Ordering::AcqRel) {
                    tracing::info!(
                        version,
                        "the read replica is reachable again: queries read it while it has caught up"
                    );
                }
                // A version on the replica was the primary's once: answers
                // from it may be newer than what the cache holds.
                self.saw(version);
                version < self.seen.load(Ordering::Acquire)
            }
            Err(e) => {
                self.unreachable(&e.to_string());
                false
            }
        }
    }

    /// Leave the replica out until the follower reaches it again; logged once.
    fn unreachable(&self, why: &str) {
        let Some(replica) = &self.replica else {
            return;
        };
        replica.version.store(UNKNOWN, Ordering::Release);
        if replica.reachable.swap(false, Ordering::AcqRel) {
            tracing::warn!(
                error = why,
                "the read replica cannot be reached: queries read the primary until it can"
            );
        }
    }

    /// Counts and versions for `/metrics`.
    pub fn stats(&self) -> ReadStats {
        let counted = |n: &AtomicU64| n.load(Ordering::Relaxed);
        ReadStats {
            replicated: self.replica.is_some(),
            replica: counted(&self.counts.replica),
            primary: counted(&self.counts.primary),
            behind: counted(&self.counts.behind),
            unreachable: counted(&self.counts.unreachable),
            seen: self.seen.load(Ordering::Acquire),
            replica_version: self
                .replica
                .as_ref()
                .map_or(UNKNOWN, |r| r.version.load(Ordering::Acquire)),
        }
    }

    /// Close the replica's pool (the primary's belongs to the server).
    pub async fn close_replica(&self) {
        if let Some(replica) = &self.replica
            && let Err(e) = replica.db.clone().close().await
        {
            tracing::warn!(error = %e, "closing the replica's pool failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    /// Reads over two pools that connect nowhere, `seen` at 5, the replica's
    /// version set to `replica` as if the follower had read it.
    fn reads(replica: i64) -> Reads {
        let reads = Reads::new(
            DatabaseConnection::default(),
            Some(DatabaseConnection::default()),
            5,
        );
        reads
            .replica
            .as_ref()
            .unwrap()
            .version
            .store(replica, Ordering::Release);
        reads
    }

    #[test]
    fn a_query_reads_the_replica_only_while_its_version_is_at_least_the_seen_one() {
        assert_eq!(reads(UNKNOWN).route(true).database, Database::Primary);
        assert_eq!(reads(4).route(true).database, Database::Primary);
        assert_eq!(reads(5).route(true).database, Database::Replica);
        assert_eq!(reads(6).route(true).database, Database::Replica);
        // A query of what the data version does not count: the primary.
        assert_eq!(reads(6).route(false).database, Database::Primary);
        let caught_up = reads(5);
        caught_up.saw(6);
        assert_eq!(caught_up.route(true).database, Database::Primary);
        let stats = caught_up.stats();
        assert_eq!((stats.primary, stats.behind, stats.seen), (1, 1, 6));
    }

    #[test]
    fn without_a_replica_every_query_reads_the_primary() {
        let reads = Reads::primary_only(DatabaseConnection::default());
        assert_eq!(reads.route(true).database, Database::Primary);
        let stats = reads.stats();
        assert!(!stats.replicated);
        assert_eq!((stats.primary, stats.replica, stats.unreachable), (1, 0, 0));
    }

    #[test]
    fn a_newer_version_seen_drops_the_response_cache_and_an_answer_begun_before_is_not_kept() {
        let cache = Arc::new(ResponseCache::new(1 << 20));
        let reads = reads(5).dropping(Some(cache.clone()));
        cache.insert("k".into(), cache.generation(), Bytes::from_static(b"{}"));
        let begun = cache.generation();
        assert!(!reads.saw(5), "the same version is nothing new");
        assert!(cache.get("k").is_some());
        assert!(reads.saw(6));
        assert_eq!(cache.get("k"), None);
        cache.insert("late".into(), begun, Bytes::from_static(b"{}"));
        assert_eq!(cache.get("late"), None);
        assert!(!reads.saw(4), "the seen version never goes back");
        assert_eq!(reads.stats().seen, 6);
    }

    #[test]
    fn a_replica_a_read_failed_on_is_left_out_until_the_follower_reads_it_again() {
        let failed = reads(5);
        assert_eq!(failed.replica_failed().database, Database::Primary);
        assert_eq!(failed.route(true).database, Database::Primary);
        assert_eq!(failed.stats().unreachable, 2);
        assert_eq!(failed.stats().replica_version, UNKNOWN);
    }
}
