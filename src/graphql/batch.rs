//! Request-scoped batching: every request gets its own DataLoaders, and they
//! fetch when the request has nothing else to do.
//!
//! A DataLoader gathers keys and fetches them in one query. When it fetches
//! decides how many queries a request runs: async-graphql's default (after a
//! time window) splits a level of a large result into several batches whenever
//! the executor is slow to reach every sibling field. Here the fetches a
//! request's loaders start are queued instead, and [`execute`] starts them only
//! once the request's executor is waiting and no earlier fetch is still running:
//! every key of a level is in by then. The number of SQL statements a request
//! runs thus depends on the shape of its query, never on how many rows it
//! returns, and no request waits for a timer.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, Stream, StreamExt};

/// The fetches a request's loaders have started but not yet run.
#[derive(Clone, Default)]
pub struct Queue(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl Queue {
    /// Queue a fetch (the DataLoaders' spawner).
    pub fn push(&self, fetch: BoxFuture<'static, ()>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(fetch);
    }

    /// The first `n` queued fetches, oldest first.
    fn take(&self, n: usize) -> Vec<BoxFuture<'static, ()>> {
        let mut queued = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = n.min(queued.len());
        queued.drain(..n).collect()
    }
}

/// Wakes the outer task and records that the request's executor woke itself
/// (it has work ready, so it is not waiting yet).
struct SelfWake {
    woke: AtomicBool,
    outer: Waker,
}

impl Wake for SelfWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woke.store(true, Ordering::SeqCst);
        self.outer.wake_by_ref();
    }
}

/// Drive `request` (a request's execution whose loaders queue their fetches in
/// `queue`), starting the queued fetches wave by wave.
pub async fn execute<T>(request: impl Future<Output = T> + Send, queue: Queue) -> T {
    let mut request = std::pin::pin!(request);
    let mut running: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
    std::future::poll_fn(move |cx| poll(|cx| request.as_mut().poll(cx), &queue, &mut running, cx))
        .await
}

/// [`execute`] for a subscription: drive `responses` (each resolved with
/// loaders that queue their fetches in `queue`), starting the queued fetches
/// wave by wave while each item resolves.
pub fn stream<S: Stream + Send + Unpin>(responses: S, queue: Queue) -> impl Stream<Item = S::Item> {
    let mut responses = responses;
    let mut running: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
    futures_util::stream::poll_fn(move |cx| {
        poll(|cx| responses.poll_next_unpin(cx), &queue, &mut running, cx)
    })
}

/// Most fetches one request runs at once. A level of thousands of keys is
/// split into batches (of 1,000 keys each); running them all at once would take
/// as many connections, starving other requests and timing out waiting for
/// the pool. Past this many, the rest of the wave waits for the first ones.
const MAX_RUNNING: usize = 4;

fn poll<T>(
    mut next: impl FnMut(&mut Context<'_>) -> Poll<T>,
    queue: &Queue,
    running: &mut FuturesUnordered<BoxFuture<'static, ()>>,
    cx: &mut Context<'_>,
) -> Poll<T> {
    // Bound the work of one poll so other tasks on this thread get their turn.
    for _ in 0..64 {
        while let Poll::Ready(Some(())) = running.poll_next_unpin(cx) {}
        let wake = Arc::new(SelfWake {
            woke: AtomicBool::new(false),
            outer: cx.waker().clone(),
        });
        let waker = Waker::from(wake.clone());
        if let Poll::Ready(result) = next(&mut Context::from_waker(&waker)) {
            return Poll::Ready(result);
        }
        if wake.woke.load(Ordering::SeqCst) {
            continue;
        }
        // The request waits: on running fetches (they wake us), on the database,
        // or on fetches it has queued, which start now, together (up to
        // MAX_RUNNING of them).
        if !running.is_empty() {
            return Poll::Pending;
        }
        let queued = queue.take(MAX_RUNNING);
        if queued.is_empty() {
            return Poll::Pending;
        }
        running.extend(queued);
    }
    cx.waker().wake_by_ref();
    Poll::Pending
}
