//! Counters and a latency histogram, exported on `/metrics` in the Prometheus
//! text format. Hand-written rather than a metrics crate: a handful of atomics
//! and one small map cover what operators need.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::cache::CacheStats;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// At most this many distinct operation names get their own label; the rest
/// count as `other`, so clients cannot grow the metrics without bound.
const MAX_OPERATIONS: usize = 200;

/// The server's metrics.
#[derive(Default)]
pub struct Metrics {
    http_requests: AtomicU64,
    operations: Mutex<BTreeMap<(String, String), u64>>,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    database_unavailable: AtomicU64,
}

impl Metrics {
    /// One HTTP request reached the GraphQL endpoint and was executed.
    pub fn graphql_request(&self, took: Duration) {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// One GraphQL operation finished with `outcome` (`ok` or an error code).
    pub fn operation(&self, name: Option<&str>, outcome: &str) {
        if outcome == crate::error::ErrorCode::DatabaseUnavailable.as_str() {
            self.database_unavailable.fetch_add(1, Ordering::Relaxed);
        }
        let name = match name {
            None => "anonymous",
            Some(n) if is_graphql_name(n) => n,
            Some(_) => "invalid",
        };
        let mut map = self.operations.lock().unwrap_or_else(|e| e.into_inner());
        let key = (name.to_owned(), outcome.to_owned());
        let known = map.len() < MAX_OPERATIONS || map.keys().any(|(n, _)| n == name);
        let key = if known {
            key
        } else {
            ("other".to_owned(), outcome.to_owned())
        };
        *map.entry(key).or_default() += 1;
    }

    /// The metrics in the Prometheus text format; the response cache's when it is on.
    pub fn render(
        &self,
        db: &DatabaseConnection,
        max_connections: u32,
        cache: Option<CacheStats>,
    ) -> String {
        let mut out = String::new();
        scalar(
            &mut out,
            "lvzhi_graphql_requests_total",
            "counter",
            "HTTP requests executed by the GraphQL endpoint (a batch counts once).",
            self.http_requests.load(Ordering::Relaxed),
        );
        header(
            &mut out,
            "lvzhi_graphql_operations_total",
            "counter",
            "GraphQL operations by operation name and outcome (ok, or the first error's code).",
        );
        for ((name, outcome), n) in self
            .operations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "lvzhi_graphql_operations_total{{operation=\"{name}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        header(
            &mut out,
            "lvzhi_graphql_request_duration_seconds",
            "histogram",
            "Time from receiving a GraphQL request to its response.",
        );
        for (bucket, bound) in self.latency_buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "lvzhi_graphql_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "lvzhi_graphql_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n\
             lvzhi_graphql_request_duration_seconds_sum {}\n\
             lvzhi_graphql_request_duration_seconds_count {count}",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        scalar(
            &mut out,
            "lvzhi_sql_statements_total",
            "counter",
            "SQL statements run: by requests, and the response cache's check of the data version.",
            crate::db::statements_run(),
        );
        let (size, idle) = crate::db::pool_state(db);
        header(
            &mut out,
            "lvzhi_db_pool_connections",
            "gauge",
            "Open database connections, idle or in use.",
        );
        let _ = writeln!(
            out,
            "lvzhi_db_pool_connections{{state=\"idle\"}} {idle}\n\
             lvzhi_db_pool_connections{{state=\"in_use\"}} {}",
            (size as usize).saturating_sub(idle)
        );
        scalar(
            &mut out,
            "lvzhi_db_pool_max_connections",
            "gauge",
            "The pool's connection ceiling (LVZHI_DB_MAX_CONNECTIONS).",
            max_connections.into(),
        );
        scalar(
            &mut out,
            "lvzhi_db_unavailable_total",
            "counter",
            "Operations that failed with DATABASE_UNAVAILABLE: no pool connection within the acquire timeout, or a lost connection.",
            self.database_unavailable.load(Ordering::Relaxed),
        );
        if let Some(cache) = cache {
            for (name, kind, help, value) in [
                (
                    "lvzhi_response_cache_hits_total",
                    "counter",
                    "GraphQL requests answered from the response cache.",
                    cache.hits,
                ),
                (
                    "lvzhi_response_cache_misses_total",
                    "counter",
                    "Cacheable GraphQL requests that were executed.",
                    cache.misses,
                ),
                (
                    "lvzhi_response_cache_invalidations_total",
                    "counter",
                    "Times the response cache was emptied: the data version changed or could not be read.",
                    cache.invalidations,
                ),
                (
                    "lvzhi_response_cache_entries",
                    "gauge",
                    "Answers held by the response cache.",
                    cache.entries,
                ),
                (
                    "lvzhi_response_cache_bytes",
                    "gauge",
                    "Bytes held by the response cache.",
                    cache.bytes,
                ),
                (
                    "lvzhi_response_cache_capacity_bytes",
                    "gauge",
                    "The response cache's budget (LVZHI_RESPONSE_CACHE_BYTES).",
                    cache.capacity,
                ),
            ] {
                scalar(&mut out, name, kind, help, value);
            }
        }
        out
    }
}

/// Where GraphQL queries were answered, appended to `out`: by the primary or
/// the replica; with a replica, why queries it could have answered went to
/// the primary, and the data versions that decide it.
pub fn render_reads(out: &mut String, reads: &crate::db::reads::ReadStats) {
    labelled(
        out,
        "lvzhi_reads_total",
        "GraphQL queries by the database that answered them (primary: DATABASE_URL, replica: DATABASE_READ_URL).",
        "database",
        [("primary", reads.primary), ("replica", reads.replica)],
    );
    if !reads.replicated {
        return;
    }
    labelled(
        out,
        "lvzhi_replica_fallbacks_total",
        "Queries the replica could have answered that the primary answered: it was behind the newest data version seen, or unreachable (or not yet read since start-up).",
        "reason",
        [("behind", reads.behind), ("unreachable", reads.unreachable)],
    );
    for (name, help, value) in [
        (
            "lvzhi_data_version_seen",
            "The newest data version this process has seen on the primary.",
            reads.seen,
        ),
        (
            "lvzhi_replica_data_version",
            "The replica's data version at its follower's last look; -1 while unknown or unreachable.",
            reads.replica_version,
        ),
    ] {
        header(out, name, "gauge", help);
        let _ = writeln!(out, "{name} {value}");
    }
}

/// The `# HELP` and `# TYPE` lines of a metric.
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A metric with one value and no labels.
fn scalar(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    header(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

/// The parsed-document cache ([`crate::graphql::documents`]).
pub fn render_documents(out: &mut String, hits: u64) {
    scalar(
        out,
        "lvzhi_document_cache_hits_total",
        "counter",
        "GraphQL requests whose document was parsed and checked before, and not again.",
        hits,
    );
}

/// A counter with one label: a line per value of the label.
fn labelled<const N: usize>(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    values: [(&str, u64); N],
) {
    header(out, name, "counter", help);
    for (value, count) in values {
        let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
    }
}

/// Whether `s` is a GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`), safe as a label value.
fn is_graphql_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && s.len() <= 100
}

/// The outbox and webhook delivery, appended to `out`: events written (by
/// every process: the outbox's last sequence number), this process's
/// delivery attempts by outcome, and per subscription the age of the oldest
/// event it has still to receive. Without the database, the first and last
/// are left out.
pub async fn render_events(
    out: &mut String,
    db: &DatabaseConnection,
    stats: &crate::webhook::worker::Stats,
) {
    labelled(
        out,
        "lvzhi_webhook_deliveries_total",
        "Webhook delivery attempts made by this process, by outcome (delivered, retrying, dead_letter, gone).",
        "outcome",
        [
            ("delivered", &stats.delivered),
            ("retrying", &stats.retrying),
            ("dead_letter", &stats.dead),
            ("gone", &stats.gone),
        ]
        .map(|(outcome, counter)| (outcome, counter.load(Ordering::Relaxed))),
    );
    let now = crate::date::now_ms();
    let read = async {
        let last = crate::domain::webhook::last_sequence(db).await?;
        let backlog = crate::domain::webhook::backlog(db, now).await?;
        Ok::<_, sea_orm::DbErr>((last, backlog))
    };
    let Ok((last, backlog)) = read.await else {
        return;
    };
    scalar(
        out,
        "lvzhi_events_written_total",
        "counter",
        "Events in the outbox, by every process (its last sequence number).",
        last.max(0) as u64,
    );
    header(
        out,
        "lvzhi_webhook_oldest_undelivered_seconds",
        "gauge",
        "Per webhook subscription, the age of the oldest event it has still to receive (0: none).",
    );
    for (id, age) in backlog {
        let _ = writeln!(
            out,
            "lvzhi_webhook_oldest_undelivered_seconds{{webhook=\"{id}\"}} {age:.3}"
        );
    }
}
