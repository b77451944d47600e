//! The delivery worker inside `lvzhi serve`. It claims subscriptions that
//! have work (a lease in the database, so several processes on one
//! PostgreSQL never deliver to one subscription at once), delivers to each in
//! sequence order, records each attempt and gives the lease back. All its
//! state is in the database: a restarted process, or another one once the
//! lease lapses, carries on where it stopped. It wakes at each change
//! ([`crate::changes`]) and polls as the fallback; deliveries run on their
//! own tasks, so a slow receiver never slows the API or other receivers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, Semaphore};

use super::send::Sender;
use crate::changes::Wake;
use crate::date::now_ms;
use crate::domain::webhook::{
    self as hooks, Attempted, RetryPolicy, Settled, claim, plan, release, settle, skip_to,
};
use entity::{event, webhook, webhook_delivery};
use sea_orm::DbErr;

/// Deliveries made to one subscription per claim, before others get a turn.
const BATCH: usize = 100;

/// Outcomes of this process's attempts, for `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Attempts the receiver answered 2xx.
    pub delivered: AtomicU64,
    /// Attempts that failed and will be retried.
    pub retrying: AtomicU64,
    /// Deliveries given up on (dead letters).
    pub dead: AtomicU64,
    /// Subscriptions disabled by a 410 answer.
    pub gone: AtomicU64,
}

impl Stats {
    fn count(&self, settled: Settled) {
        let counter = match settled {
            Settled::Delivered => &self.delivered,
            Settled::Retrying { .. } => &self.retrying,
            Settled::DeadLetter => &self.dead,
            Settled::Disabled => &self.gone,
            Settled::LeaseLost => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the worker needs.
pub struct Worker {
    /// The database.
    pub db: DatabaseConnection,
    /// Makes the attempts.
    pub sender: Sender,
    /// When to retry.
    pub policy: RetryPolicy,
    /// Deliveries in flight at once (subscriptions served at once).
    pub workers: usize,
    /// How often to look for work without a wake-up.
    pub poll: Duration,
    /// An attempt's time limit.
    pub timeout: Duration,
    /// Where outcomes are counted.
    pub stats: Arc<Stats>,
}

impl Worker {
    /// Deliver forever (until the task is aborted).
    pub async fn run(self, mut wake: Wake) {
        let owner = owner_name();
        let worker = Arc::new(self);
        let slots = Arc::new(Semaphore::new(worker.workers));
        let done = Arc::new(Notify::new());
        tracing::info!(owner, workers = worker.workers, "webhook delivery started");
        // Whether there may be work to claim: after a wake-up or the poll,
        // after a claim that filled every free slot, and after a turn that
        // left work behind — not after every delivery.
        let mut look = true;
        let more = Arc::new(std::sync::atomic::AtomicBool::new(false));
        loop {
            let free = slots.available_permits();
            if look && free > 0 {
                look = false;
                let now = now_ms();
                match claim(
                    &worker.db,
                    &owner,
                    now,
                    now + worker.lease_ms(),
                    free as u64,
                )
                .await
                {
                    Ok(claimed) => {
                        look = claimed.len() == free;
                        for hook in claimed {
                            let Ok(slot) = slots.clone().acquire_owned().await else {
                                return;
                            };
                            let (worker, owner, done, more) =
                                (worker.clone(), owner.clone(), done.clone(), more.clone());
                            tokio::spawn(async move {
                                if worker.serve(hook.id, &owner).await {
                                    more.store(true, Ordering::Release);
                                }
                                drop(slot);
                                done.notify_one();
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming webhook work failed"),
                }
            }
            tokio::select! {
                () = wake.wait(worker.poll) => look = true,
                () = done.notified() => look |= more.swap(false, Ordering::AcqRel),
            }
        }
    }

    /// How long a claim holds: renewed after each attempt, so twice an
    /// attempt's time limit and a second leaves room for recording it; a dead
    /// process's claim lapses that long after its last attempt began.
    fn lease_ms(&self) -> i64 {
        2 * self.timeout.as_millis() as i64 + 1000
    }

    /// Deliver to subscription `id` under `owner`'s lease: up to [`BATCH`]
    /// deliveries, then give the lease back (the last settle may have) with
    /// when it is due next. Whether it left work behind.
    async fn serve(&self, id: i32, owner: &str) -> bool {
        let (due, more) = match self.deliver(id, owner).await {
            Ok(Turn::Released) => return false,
            Ok(Turn::Hold(due)) => (due, false),
            Ok(Turn::More) => (None, true),
            Err(e) => {
                tracing::warn!(webhook = id, error = %e, "webhook delivery failed; retried after the poll interval");
                (Some(now_ms() + self.poll.as_millis() as i64), false)
            }
        };
        if let Err(e) = release(&self.db, id, owner, due).await {
            tracing::warn!(webhook = id, error = %e, "releasing a webhook's claim failed; it lapses by itself");
        }
        more
    }

    /// The deliveries of one claim, up to [`BATCH`].
    async fn deliver(&self, id: i32, owner: &str) -> Result<Turn, DbErr> {
        let mut made = 0;
        while made < BATCH {
            let plan = plan(&self.db, id, now_ms()).await?;
            let Some(hook) = &plan.hook else {
                return Ok(Turn::Hold(None));
            };
            for (delivery, event) in &plan.redeliveries {
                let settled = self
                    .attempt(
                        hook,
                        (hook.cursor, hook.cursor, false),
                        event,
                        Some(delivery),
                        owner,
                    )
                    .await?;
                made += 1;
                if matches!(settled, Settled::LeaseLost | Settled::Disabled) {
                    return Ok(Turn::Hold(None));
                }
            }
            if let Some(head) = &plan.head
                && head.next_attempt_at > now_ms()
            {
                return Ok(Turn::Hold(Some(head.next_attempt_at)));
            }
            if plan.events.is_empty() {
                if hook.cursor < plan.last {
                    skip_to(&self.db, hook, owner, plan.last).await?;
                }
                return Ok(Turn::Hold(None));
            }
            let mut cursor = hook.cursor;
            for (i, event) in plan.events.iter().enumerate() {
                let retry = if i == 0 { plan.head.as_ref() } else { None };
                // The last event of a complete plan takes the cursor to the
                // plan's last sequence number: nothing to skip afterwards.
                // ... and gives the lease back with it when it is settled.
                let last = i + 1 == plan.events.len() && plan.is_complete();
                let through = if last { plan.last } else { event.sequence };
                match self
                    .attempt(hook, (cursor, through, last), event, retry, owner)
                    .await?
                {
                    Settled::Delivered | Settled::DeadLetter if last => return Ok(Turn::Released),
                    Settled::Delivered | Settled::DeadLetter => cursor = through,
                    Settled::Retrying { next } => return Ok(Turn::Hold(Some(next))),
                    Settled::LeaseLost | Settled::Disabled => return Ok(Turn::Hold(None)),
                }
                made += 1;
            }
        }
        // More work than one turn: claimed again at once (the cursor is behind).
        Ok(Turn::More)
    }

    /// Attempt `event` (its delivery row, if it has one) and record the
    /// outcome; the cursor was at `from`, and moves `through` there when
    /// the event is settled — and the lease is given back then if `release`.
    async fn attempt(
        &self,
        hook: &webhook::Model,
        (from, through, release): (i64, i64, bool),
        event: &event::Model,
        delivery: Option<&webhook_delivery::Model>,
        owner: &str,
    ) -> Result<Settled, DbErr> {
        let outcome = self.sender.send(hook, event, now_ms()).await;
        let at = now_ms();
        let attempted = Attempted {
            event,
            delivery,
            redelivery: delivery.is_some_and(|d| d.redelivery),
            through,
            release,
            outcome: &outcome,
            at,
        };
        let lease = (owner, at + self.lease_ms());
        let settled = settle(
            &self.db,
            hook.id,
            from,
            attempted,
            &self.policy,
            jitter(),
            lease,
        )
        .await?;
        self.stats.count(settled);
        log(hook.id, event.sequence, settled, &outcome);
        Ok(settled)
    }
}

/// How a turn at a subscription ended.
enum Turn {
    /// Its last settle gave the lease back.
    Released,
    /// To be released; its head waits until `Some(at)`.
    Hold(Option<i64>),
    /// To be released with work left: claim again at once.
    More,
}

/// One log line per attempt that did not simply succeed.
fn log(id: i32, sequence: i64, settled: Settled, outcome: &hooks::Outcome) {
    match settled {
        Settled::Delivered => {
            tracing::debug!(webhook = id, sequence, "webhook delivered");
        }
        Settled::Retrying { .. } => {
            tracing::info!(webhook = id, sequence, outcome = ?outcome, "webhook delivery failed; retrying");
        }
        Settled::DeadLetter => {
            tracing::warn!(webhook = id, sequence, outcome = ?outcome, "webhook delivery given up: kept as a dead letter");
        }
        Settled::Disabled => {
            tracing::warn!(
                webhook = id,
                sequence,
                "the receiver answered 410 Gone: webhook disabled"
            );
        }
        Settled::LeaseLost => {
            tracing::warn!(
                webhook = id,
                sequence,
                "the webhook's claim lapsed during an attempt; another process carries on"
            );
        }
    }
}

/// A uniform random number in `[0, 1)`.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

/// This process's name in claims: the host's process id and random bits, so
/// two processes never share one.
fn owner_name() -> String {
    let mut bytes = [0u8; 6];
    let _ = getrandom::fill(&mut bytes);
    let random: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{random}", std::process::id())
}
