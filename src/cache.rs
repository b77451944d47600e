//! The response cache: serialized GraphQL answers kept in memory, keyed by the
//! request (document, operation name, variables), so the questions dashboards
//! repeat are answered without resolvers or SQL.
//!
//! Every write that changes the data (an import, a publication) increments
//! the data version ([`crate::db::data_version`]) in its transaction. [`watch`]
//! reads that version at each wake-up ([`crate::changes`]: this process's own
//! mutations, PostgreSQL's notification of another's commit) and every poll
//! interval; a newer version invalidates every entry, and so does any other
//! sighting of one ([`crate::db::reads::Reads::saw`]: a write through this
//! process, a read from the primary or the replica when one is configured);
//! a failure to read it marks entries stale for a bounded time. So an
//! answer is never more than one poll interval (`LVZHI_RESPONSE_CACHE_POLL_MS`)
//! older than the last write of another process, and on PostgreSQL usually
//! milliseconds. Only answers without errors are kept, and the
//! cache holds at most `LVZHI_RESPONSE_CACHE_BYTES` (0 switches it off).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use quick_cache::Weighter;

use crate::date::now_ms;
use crate::db::reads::Reads;

/// Bytes an entry costs beyond its key and body (allocations and bookkeeping),
/// so many tiny entries cannot exceed the budget.
const ENTRY_OVERHEAD: usize = 128;

/// A cached answer and the generation it was computed in.
#[derive(Clone)]
struct Entry {
    generation: u64,
    body: Bytes,
}

/// An entry weighs its bytes.
#[derive(Clone)]
struct Size;

impl Weighter<Box<str>, Entry> for Size {
    fn weight(&self, key: &Box<str>, entry: &Entry) -> u64 {
        (key.len() + entry.body.len() + ENTRY_OVERHEAD) as u64
    }
}

/// What `/metrics` reports about the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Cacheable requests that were executed.
    pub misses: u64,
    /// Times every entry was dropped (the data changed, or its version could
    /// not be read).
    pub invalidations: u64,
    /// Entries held.
    pub entries: u64,
    /// Bytes held (keys, bodies and overhead).
    pub bytes: u64,
    /// The budget in bytes.
    pub capacity: u64,
}

/// Answers by request, valid for the current generation.
pub struct ResponseCache {
    entries: quick_cache::sync::Cache<Box<str>, Entry, Size>,
    /// Incremented by every invalidation: entries of older generations are
    /// never served, even when a request that started before the invalidation
    /// stores its (possibly stale) answer after it.
    generation: AtomicU64,
    capacity: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
    /// Since when (Unix ms) the data version could not be read; 0 while it
    /// can. Meanwhile answers are served marked stale, for `stale_for`.
    unverified_since: AtomicI64,
    /// How long answers are served stale while the data version cannot be
    /// read (`LVZHI_RESPONSE_CACHE_STALE_MS`); zero: not at all.
    stale_for: Duration,
}

/// A cached answer, and whether it could not be checked against the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cached {
    /// The answer.
    pub body: Bytes,
    /// `Some(for how long)` when the data version could not be read for that
    /// long: the answer may be stale.
    pub stale: Option<Duration>,
}

impl ResponseCache {
    /// A cache of at most `capacity` bytes (must be above 0).
    pub fn new(capacity: u64) -> Self {
        // quick_cache sizes its tables from an item estimate; answers are
        // typically a few KiB.
        let estimated_items = (capacity / 4096).clamp(16, 1 << 20) as usize;
        ResponseCache {
            entries: quick_cache::sync::Cache::with_weighter(estimated_items, capacity, Size),
            generation: AtomicU64::new(0),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            unverified_since: AtomicI64::new(0),
            stale_for: Duration::ZERO,
        }
    }

    /// The cache, serving its answers marked stale for up to `stale_for`
    /// while the data version cannot be read (as HTTP caches do with
    /// `stale-if-error`), instead of dropping them at once.
    pub fn serving_stale_for(mut self, stale_for: Duration) -> Self {
        self.stale_for = stale_for;
        self
    }

    /// The key of a request, or `None` when its answer must not be cached
    /// (request extensions may change what it means).
    pub fn key(request: &async_graphql::Request) -> Option<Box<str>> {
        if !request.extensions.is_empty() {
            return None;
        }
        let variables = serde_json::to_string(&request.variables).ok()?;
        let name = request.operation_name.as_deref().unwrap_or("");
        // Length-prefixed, so no choice of name, variables and document can
        // produce another request's key (and so read or poison its answer);
        // no name is not the empty name.
        let name_len = request
            .operation_name
            .as_ref()
            .map_or_else(|| "-".to_owned(), |n| n.len().to_string());
        let mut key = format!("{name_len}:{}:", variables.len());
        key.reserve(name.len() + variables.len() + request.query.len());
        key.push_str(name);
        key.push_str(&variables);
        key.push_str(&request.query);
        Some(key.into_boxed_str())
    }

    /// The current generation; pass it to [`ResponseCache::insert`] with the
    /// answer of a request that started now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The answer to the request of `key`, if cached in the current generation.
    pub fn get(&self, key: &str) -> Option<Bytes> {
        self.lookup(key, now_ms()).map(|cached| cached.body)
    }

    /// The answer to the request of `key` at `now` (Unix ms), if cached in the
    /// current generation — marked stale while the data version cannot be
    /// read, and none once that has lasted longer than `stale_for`.
    pub fn lookup(&self, key: &str, now: i64) -> Option<Cached> {
        let current = self.generation();
        let since = self.unverified_since.load(Ordering::Acquire);
        let stale = (since != 0).then(|| Duration::from_millis((now - since).max(0) as u64));
        match self.entries.get(key) {
            Some(entry)
                if entry.generation == current && stale.is_none_or(|s| s <= self.stale_for) =>
            {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(Cached {
                    body: entry.body,
                    stale,
                })
            }
            _ => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// The data version could not be read at `now`: answers are served
    /// marked stale for `stale_for` from the first such time, then dropped.
    pub fn unverified(&self, now: i64) {
        if self.stale_for.is_zero() {
            self.invalidate();
            return;
        }
        let since = match self.unverified_since.compare_exchange(
            0,
            now,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => now,
            Err(since) => since,
        };
        if Duration::from_millis((now - since).max(0) as u64) > self.stale_for {
            self.invalidate();
        }
    }

    /// The data version was read again (and the cache invalidated first if
    /// it changed): answers are fresh again.
    pub fn verified(&self) {
        self.unverified_since.store(0, Ordering::Release);
    }

    /// Keep `body` as the answer to `key`, computed by a request that started
    /// in `generation`. Answers too large for a fair share of the budget are
    /// not kept.
    pub fn insert(&self, key: Box<str>, generation: u64, body: Bytes) {
        let weight = (key.len() + body.len() + ENTRY_OVERHEAD) as u64;
        if generation != self.generation() || weight > self.capacity / 8 {
            return;
        }
        self.entries.insert(key, Entry { generation, body });
    }

    /// Drop every entry: the data changed, or may have.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.invalidations.fetch_add(1, Ordering::Relaxed);
        self.entries.clear();
    }

    /// Counters and sizes for `/metrics`.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            invalidations: self.invalidations.load(Ordering::Relaxed),
            entries: self.entries.len() as u64,
            bytes: self.entries.weight(),
            capacity: self.capacity,
        }
    }
}

/// Read the primary's data version at each wake-up and every `interval`,
/// forever: a newer one is handed to `reads` ([`Reads::saw`]), which drops
/// the cache's entries — computed at older versions — and routes later reads
/// by it. While it cannot be read, cached answers are served marked stale for
/// a bounded time. Spawned by the server next to its listener when the cache
/// is on or a replica is configured.
pub async fn watch(
    reads: Arc<Reads>,
    cache: Option<Arc<ResponseCache>>,
    interval: Duration,
    mut wake: crate::changes::Wake,
) {
    let mut readable = true;
    loop {
        wake.wait(interval).await;
        match crate::db::data_version(reads.primary()).await {
            Ok(version) => {
                if !readable {
                    tracing::info!("the data version is readable again");
                    readable = true;
                }
                if reads.saw(version) {
                    tracing::info!(to = version, "the data changed: cached responses dropped");
                }
                // After the invalidation: a stale answer is never taken for fresh.
                if let Some(cache) = &cache {
                    cache.verified();
                }
            }
            Err(e) => {
                // Freshness cannot be checked: cached answers are served marked
                // stale for a while (`LVZHI_RESPONSE_CACHE_STALE_MS`), then dropped.
                if let Some(cache) = &cache {
                    cache.unverified(now_ms());
                }
                if readable {
                    tracing::warn!(error = %e, "cannot read the data version: cached responses are served marked stale until it can be read, for a bounded time");
                    readable = false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, variables: serde_json::Value) -> async_graphql::Request {
        async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables))
    }

    #[test]
    fn requests_differing_in_document_name_or_variables_get_different_keys() {
        let plain = request("{ a }", serde_json::json!({}));
        let empty_name = request("{ a }", serde_json::json!({})).operation_name("");
        let named = request("{ a }", serde_json::json!({})).operation_name("A");
        let with_vars = request("{ a }", serde_json::json!({ "x": 1 }));
        let other = request("{ b }", serde_json::json!({}));
        let keys = [&plain, &empty_name, &named, &with_vars, &other]
            .map(|r| ResponseCache::key(r).unwrap());
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(
            ResponseCache::key(&request("{ a }", serde_json::json!({}))),
            Some(keys[0].clone())
        );
    }

    #[test]
    fn moving_text_between_name_variables_and_document_changes_the_key() {
        let a = request("{}{ a }", serde_json::json!({})).operation_name("A");
        let b = request("{ a }", serde_json::json!({})).operation_name("A{}");
        assert_ne!(ResponseCache::key(&a), ResponseCache::key(&b));
    }

    #[test]
    fn requests_with_extensions_are_not_cached() {
        let mut r = request("{ a }", serde_json::json!({}));
        r.extensions
            .insert("persistedQuery".to_owned(), async_graphql::Value::Null);
        assert_eq!(ResponseCache::key(&r), None);
    }

    #[test]
    fn an_answer_is_served_until_the_cache_is_invalidated() {
        let cache = ResponseCache::new(1 << 20);
        let key: Box<str> = "k".into();
        assert_eq!(cache.get(&key), None);
        cache.insert(key.clone(), cache.generation(), Bytes::from_static(b"{}"));
        assert_eq!(cache.get(&key), Some(Bytes::from_static(b"{}")));
        cache.invalidate();
        assert_eq!(cache.get(&key), None);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.invalidations), (1, 2, 1));
        assert_eq!(stats.entries, 0);
    }

    #[test]
    fn while_the_data_version_cannot_be_read_answers_are_served_stale_for_a_bounded_time() {
        let cache = ResponseCache::new(1 << 20).serving_stale_for(Duration::from_secs(10));
        cache.insert("k".into(), cache.generation(), Bytes::from_static(b"{}"));
        cache.unverified(1_000);
        let stale = cache.lookup("k", 4_000).unwrap();
        assert_eq!(stale.stale, Some(Duration::from_secs(3)));
        assert_eq!(cache.lookup("k", 12_000), None);
        cache.verified();
        assert_eq!(cache.lookup("k", 12_000).unwrap().stale, None);
        cache.unverified(20_000);
        cache.unverified(31_000);
        assert_eq!(cache.stats().entries, 0, "dropped once past the bound");
    }

    #[test]
    fn without_a_stale_bound_an_unreadable_version_drops_every_answer() {
        let cache = ResponseCache::new(1 << 20);
        cache.insert("k".into(), cache.generation(), Bytes::from_static(b"{}"));
        cache.unverified(1_000);
        assert_eq!(cache.lookup("k", 1_000), None);
    }

    #[test]
    fn an_answer_computed_before_an_invalidation_is_never_served() {
        let cache = ResponseCache::new(1 << 20);
        let started = cache.generation();
        cache.invalidate();
        cache.insert("k".into(), started, Bytes::from_static(b"old"));
        assert_eq!(cache.get("k"), None);
    }

    #[test]
    fn the_cache_stays_within_its_byte_budget() {
        let capacity = 64 * 1024;
        let cache = ResponseCache::new(capacity);
        let body = Bytes::from(vec![b'x'; 1000]);
        for i in 0..1000 {
            cache.insert(format!("k{i}").into(), cache.generation(), body.clone());
        }
        let stats = cache.stats();
        assert!(stats.bytes <= capacity, "{stats:?}");
        assert!(stats.entries > 10, "{stats:?}");
        // An answer above an eighth of the budget is not kept.
        cache.insert(
            "big".into(),
            cache.generation(),
            Bytes::from(vec![b'x'; capacity as usize / 4]),
        );
        assert_eq!(cache.get("big"), None);
    }
}
