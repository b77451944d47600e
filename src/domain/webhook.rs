//! Webhook subscriptions and the state of their deliveries: every read and
//! write of them, for the GraphQL resolvers and the delivery worker alike.
//!
//! A subscription keeps a cursor in the one event sequence: every event up to
//! it is settled (delivered, not matching, or given up on). The event after
//! it — the head — is delivered before any later one, so a receiver gets
//! events in sequence order. A process delivers to a subscription while it
//! holds its lease ([`claim`]); every result is recorded only under the lease
//! ([`settle`]), and a dead process's lease lapses by itself. Deliveries are
//! kept: a failed one (a dead letter) stays until an admin redelivers it.

use entity::{DeliveryState, WebhookState, event, webhook, webhook_delivery};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use crate::auth::Actor;
use crate::date::now_ms;
use crate::domain::audit::{self, Entry};
use crate::domain::event::Kind;
use crate::webhook::address::{self, PrivateNetworks};
use crate::webhook::sign;

/// Why a subscription change was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The input is wrong; the message names the field.
    #[error("{0}")]
    BadInput(String),
    /// No such subscription or event.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// A subscription to make.
#[derive(Clone, Debug, Default)]
pub struct NewWebhook {
    /// Where to POST events.
    pub url: String,
    /// What it is for.
    pub description: Option<String>,
    /// The event types (every type when empty).
    pub kinds: Vec<Kind>,
    /// Only events about this edition.
    pub list_id: Option<i32>,
    /// Only events of this county.
    pub county_id: Option<i32>,
    /// Only events of this town (needs a county).
    pub town: Option<String>,
    /// Also sign with HMAC-SM3.
    pub hmac_sm3: bool,
}

/// The last event's sequence number (0 before any).
pub async fn last_sequence(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT last FROM event_sequence WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the event sequence row".into()))?;
    row.try_get("", "last")
}

/// Check a subscription's URL: its form, and where its host resolves now.
pub async fn check_url(url: &str, allowed: &PrivateNetworks) -> Result<String, WebhookError> {
    let refused = |e: String| WebhookError::BadInput(format!("url: {e}"));
    let parsed = address::permitted_url(url, allowed).map_err(refused)?;
    if address::literal_address(&parsed).is_none() {
        let host = parsed.host_str().unwrap_or_default();
        let port = parsed.port_or_known_default().unwrap_or(80);
        address::permitted_addresses(host, port, allowed)
            .await
            .map_err(refused)?;
    }
    Ok(parsed.to_string())
}

/// Make a subscription, delivering the events written from now on; its
/// secret is in the answer, once. Audited.
pub async fn create(
    db: &DatabaseConnection,
    new: NewWebhook,
    allowed: &PrivateNetworks,
    actor: &Actor,
) -> Result<(webhook::Model, String), WebhookError> {
    let url = check_url(&new.url, allowed).await?;
    if new.town.is_some() && new.county_id.is_none() {
        return Err(WebhookError::BadInput(
            "town: a town is named within its county: give the county too".into(),
        ));
    }
    let secret = sign::new_secret();
    let txn = crate::db::begin_write(db).await?;
    let now = now_ms();
    let model = webhook::ActiveModel {
        url: Set(url),
        description: Set(new
            .description
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())),
        kinds: Set(kinds_text(&new.kinds)),
        list_id: Set(new.list_id),
        county_id: Set(new.county_id),
        town: Set(new.town),
        hmac_sm3: Set(new.hmac_sm3),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        state: Set(WebhookState::Active),
        state_reason: Set(None),
        cursor: Set(last_sequence(&txn).await?),
        due_at: Set(None),
        lease_owner: Set(None),
        lease_until: Set(None),
        created_at: Set(now),
        created_by: Set(actor.name().to_owned()),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, actor, audited("webhook.create", &model), None).await?;
    txn.commit().await?;
    Ok((model, secret))
}

/// The audit entry of a change to `hook` (its secrets never in it).
fn audited(operation: &'static str, hook: &webhook::Model) -> Entry {
    let mut entry = Entry::new(operation, format!("Webhook:{}", hook.id));
    entry.after = Some(format!(
        "{} {} {} {:?} {:?} {:?} {}",
        hook.url,
        state_name(hook.state),
        hook.kinds,
        hook.list_id,
        hook.county_id,
        hook.town,
        hook.hmac_sm3
    ));
    entry.detail = Some(hook.url.clone());
    entry
}

/// The state as the API spells it.
pub fn state_name(state: WebhookState) -> &'static str {
    match state {
        WebhookState::Active => "ACTIVE",
        WebhookState::Paused => "PAUSED",
        WebhookState::Disabled => "DISABLED",
        WebhookState::Deleted => "DELETED",
    }
}

/// Event types as stored: a JSON array.
fn kinds_text(kinds: &[Kind]) -> String {
    serde_json::Value::from(kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>()).to_string()
}

/// The event types a subscription receives (empty: every type).
pub fn kinds_of(hook: &webhook::Model) -> Vec<Kind> {
    serde_json::from_str::<Vec<String>>(&hook.kinds)
        .unwrap_or_default()
        .iter()
        .filter_map(|k| Kind::parse(k))
        .collect()
}

/// The subscription `id`, deleted ones included.
pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<webhook::Model>, DbErr> {
    webhook::Entity::find_by_id(id).one(db).await
}

/// Every subscription not deleted, oldest first; of one county when given.
pub async fn list(
    db: &impl ConnectionTrait,
    county_id: Option<i32>,
) -> Result<Vec<webhook::Model>, DbErr> {
    let mut query = webhook::Entity::find()
        .filter(webhook::Column::State.ne(WebhookState::Deleted))
        .order_by_asc(webhook::Column::Id);
    if let Some(county) = county_id {
        query = query.filter(webhook::Column::CountyId.eq(county));
    }
    query.all(db).await
}

/// What an admin does to a subscription's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    /// Stop delivering; events wait.
    Pause,
    /// Deliver again (after a pause, or a 410 that disabled it), from where
    /// it stopped.
    Resume,
    /// Never deliver again; its deliveries stay visible.
    Delete,
}

/// Pause, resume or delete `id`. Audited.
pub async fn switch(
    db: &DatabaseConnection,
    id: i32,
    to: Switch,
    actor: &Actor,
) -> Result<webhook::Model, WebhookError> {
    let txn = crate::db::begin_write(db).await?;
    let hook = live(&txn, id).await?;
    let mut active: webhook::ActiveModel = hook.into();
    let operation = match to {
        Switch::Pause => {
            active.state = Set(WebhookState::Paused);
            active.state_reason = Set(Some(format!("paused by {}", actor.name())));
            "webhook.pause"
        }
        Switch::Resume => {
            active.state = Set(WebhookState::Active);
            active.state_reason = Set(None);
            active.due_at = Set(None);
            "webhook.resume"
        }
        Switch::Delete => {
            // The secrets go with it: nothing is ever signed with them again.
            active.state = Set(WebhookState::Deleted);
            active.state_reason = Set(Some(format!("deleted by {}", actor.name())));
            active.secret = Set(String::new());
            active.previous_secret = Set(None);
            active.previous_secret_until = Set(None);
            "webhook.delete"
        }
    };
    active.updated_at = Set(now_ms());
    let hook = active.update(&txn).await?;
    audit::record(&txn, actor, audited(operation, &hook), None).await?;
    txn.commit().await?;
    Ok(hook)
}

/// The subscription `id`, unless deleted.
async fn live(db: &impl ConnectionTrait, id: i32) -> Result<webhook::Model, WebhookError> {
    by_id(db, id)
        .await?
        .filter(|h| h.state != WebhookState::Deleted)
        .ok_or_else(|| WebhookError::NotFound(format!("webhook {id}")))
}

/// Give `id` a new secret; the old one keeps signing (as a second signature)
/// for `grace_ms`. The new secret is in the answer, once. Audited.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    id: i32,
    grace_ms: i64,
    actor: &Actor,
) -> Result<(webhook::Model, String), WebhookError> {
    let txn = crate::db::begin_write(db).await?;
    let hook = live(&txn, id).await?;
    let secret = sign::new_secret();
    let now = now_ms();
    let previous = hook.secret.clone();
    let mut active: webhook::ActiveModel = hook.into();
    active.secret = Set(secret.clone());
    active.previous_secret = Set((grace_ms > 0).then_some(previous));
    active.previous_secret_until = Set((grace_ms > 0).then_some(now + grace_ms));
    active.updated_at = Set(now);
    let hook = active.update(&txn).await?;
    let mut entry = audited("webhook.rotate_secret", &hook);
    entry.detail = Some(format!(
        "the previous secret signs for {} s more",
        grace_ms / 1000
    ));
    audit::record(&txn, actor, entry, None).await?;
    txn.commit().await?;
    Ok((hook, secret))
}

/// Deliver event `sequence` to `id` again, outside sequence order (a dead
/// letter, or one the receiver lost). Audited.
pub async fn redeliver(
    db: &DatabaseConnection,
    id: i32,
    sequence: i64,
    actor: &Actor,
) -> Result<webhook_delivery::Model, WebhookError> {
    let txn = crate::db::begin_write(db).await?;
    let hook = live(&txn, id).await?;
    let found = event::Entity::find_by_id(sequence).one(&txn).await?;
    let event = found.ok_or_else(|| WebhookError::NotFound(format!("event {sequence}")))?;
    if !matches(&hook, &event) {
        return Err(WebhookError::BadInput(format!(
            "sequence: event {sequence} is not one webhook {id} receives (its types, edition or county)"
        )));
    }
    if sequence > hook.cursor {
        return Err(WebhookError::BadInput(format!(
            "sequence: event {sequence} is still to be delivered to webhook {id}, in order"
        )));
    }
    let now = now_ms();
    let delivery = webhook_delivery::ActiveModel {
        webhook_id: Set(id),
        event_sequence: Set(sequence),
        redelivery: Set(true),
        state: Set(DeliveryState::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut entry = audited("webhook.redeliver", &hook);
    entry.detail = Some(format!("event {sequence}"));
    audit::record(&txn, actor, entry, None).await?;
    txn.commit().await?;
    Ok(delivery)
}

/// Deliver to `id` again every event it receives after sequence `after`, in
/// order, before any new one. Audited.
pub async fn replay(
    db: &DatabaseConnection,
    id: i32,
    after: i64,
    actor: &Actor,
) -> Result<webhook::Model, WebhookError> {
    let txn = crate::db::begin_write(db).await?;
    let hook = live(&txn, id).await?;
    let last = last_sequence(&txn).await?;
    if !(0..=last).contains(&after) {
        return Err(WebhookError::BadInput(format!(
            "after: expected a sequence number from 0 to {last}, the last event's"
        )));
    }
    // The head's pending retry is superseded: the replay sends from `after`
    // in order, that event among them if the subscription receives it.
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::State, Expr::value("FAILED"))
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value(format!("superseded by a replay after event {after}")),
        )
        .col_expr(webhook_delivery::Column::FinishedAt, Expr::value(now_ms()))
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .filter(webhook_delivery::Column::Redelivery.eq(false))
        .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending))
        .exec(&txn)
        .await?;
    let mut active: webhook::ActiveModel = hook.into();
    active.cursor = Set(after);
    active.due_at = Set(None);
    active.updated_at = Set(now_ms());
    let hook = active.update(&txn).await?;
    let mut entry = audited("webhook.replay", &hook);
    entry.detail = Some(format!("after event {after}"));
    audit::record(&txn, actor, entry, None).await?;
    txn.commit().await?;
    Ok(hook)
}

/// Whether `hook` receives `event`: its types, edition, county and town.
pub fn matches(hook: &webhook::Model, event: &event::Model) -> bool {
    let kinds = kinds_of(hook);
    (kinds.is_empty() || kinds.iter().any(|k| k.as_str() == event.kind))
        && hook.list_id.is_none_or(|l| event.list_id == Some(l))
        && hook.county_id.is_none_or(|c| event.county_id == Some(c))
        && hook
            .town
            .as_ref()
            .is_none_or(|t| event.town.as_ref() == Some(t))
}

/// `hook`'s filters as a condition on events.
fn event_condition(hook: &webhook::Model) -> Condition {
    let mut condition = Condition::all();
    let kinds = kinds_of(hook);
    if !kinds.is_empty() {
        condition = condition.add(event::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
    }
    if let Some(list) = hook.list_id {
        condition = condition.add(event::Column::ListId.eq(list));
    }
    if let Some(county) = hook.county_id {
        condition = condition.add(event::Column::CountyId.eq(county));
    }
    if let Some(town) = &hook.town {
        condition = condition.add(event::Column::Town.eq(town.as_str()));
    }
    condition
}

/// The first event after `after` that `hook` receives, up to `last`.
pub async fn next_event(
    db: &impl ConnectionTrait,
    hook: &webhook::Model,
    after: i64,
    last: i64,
) -> Result<Option<event::Model>, DbErr> {
    event::Entity::find()
        .filter(event::Column::Sequence.gt(after))
        .filter(event::Column::Sequence.lte(last))
        .filter(event_condition(hook))
        .order_by_asc(event::Column::Sequence)
        .one(db)
        .await
}

/// Deliveries of `id`, newest first: the failed ones only when `failed`.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    id: i32,
    state: Option<DeliveryState>,
    first: u64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    let mut query = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .order_by_desc(webhook_delivery::Column::Id);
    if let Some(state) = state {
        query = query.filter(webhook_delivery::Column::State.eq(state));
    }
    query.limit(first).all(db).await
}

// ---- The delivery worker's side -------------------------------------------

/// Claim up to `limit` subscriptions that have work — an event after the
/// cursor (unless the head waits for its retry), or a pending delivery that
/// is due — for `owner` until `until` (Unix ms). On PostgreSQL, concurrent
/// claimers skip each other's rows; on SQLite, the write lock orders them.
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    now: i64,
    until: i64,
    limit: u64,
) -> Result<Vec<webhook::Model>, DbErr> {
    let backend = db.get_database_backend();
    let (lock, owner_param) = match backend {
        DatabaseBackend::Postgres => (" FOR UPDATE SKIP LOCKED", "$1"),
        _ => ("", "?"),
    };
    // The numbers are lvzhi's own, written into the statement; the owner is bound.
    let sql = format!(
        "UPDATE webhook SET lease_owner = {owner_param}, lease_until = {until} WHERE id IN (\
           SELECT w.id FROM webhook w WHERE w.state = 'ACTIVE' \
           AND (w.lease_until IS NULL OR w.lease_until < {now}) \
           AND ((w.cursor < (SELECT last FROM event_sequence WHERE id = 1) \
                 AND (w.due_at IS NULL OR w.due_at <= {now})) \
             OR EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.webhook_id = w.id \
                 AND d.state = 'PENDING' AND d.next_attempt_at <= {now})) \
           ORDER BY w.id LIMIT {limit}{lock}) RETURNING *"
    );
    let txn = crate::db::begin_write(db).await?;
    let claimed = webhook::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, [owner.into()]))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(claimed)
}

/// Events fetched for a subscription at once: its deliveries then cost two
/// statements each (in one transaction) besides the attempt.
const PLAN_EVENTS: u64 = 20;

/// What a claimed subscription has to deliver now, read in a few statements.
#[derive(Debug, Default)]
pub struct Plan {
    /// The subscription as it is now (its secrets may have been rotated, its
    /// cursor replayed, since the claim); `None` once paused or deleted.
    pub hook: Option<webhook::Model>,
    /// Redeliveries asked for that are due, with their events.
    pub redeliveries: Vec<(webhook_delivery::Model, event::Model)>,
    /// The head's pending delivery (a retry), if it has one.
    pub head: Option<webhook_delivery::Model>,
    /// The next events after the cursor that the subscription receives, in
    /// order (the head first).
    pub events: Vec<event::Model>,
    /// The last event sequence number when the plan was read.
    pub last: i64,
}

impl Plan {
    /// Whether `events` holds every event up to `last` the subscription
    /// receives: once they are settled, the cursor may move up to `last`.
    pub fn is_complete(&self) -> bool {
        (self.events.len() as u64) < PLAN_EVENTS
    }
}

/// Read what subscription `id` has to deliver now.
pub async fn plan(db: &DatabaseConnection, id: i32, now: i64) -> Result<Plan, DbErr> {
    // The last sequence number first, then the subscription: a secret
    // rotation committed before any event of the plan is then seen.
    let last = last_sequence(db).await?;
    let current = by_id(db, id).await?;
    let Some(hook) = current.filter(|h| h.state == WebhookState::Active) else {
        return Ok(Plan::default());
    };
    let pending = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending))
        .order_by_asc(webhook_delivery::Column::Id)
        .all(db)
        .await?;
    let (redelivery_rows, head_rows): (Vec<_>, Vec<_>) =
        pending.into_iter().partition(|d| d.redelivery);
    let due: Vec<_> = redelivery_rows
        .into_iter()
        .filter(|d| d.next_attempt_at <= now)
        .collect();
    let redeliveries = if due.is_empty() {
        Vec::new()
    } else {
        let events = event::Entity::find()
            .filter(event::Column::Sequence.is_in(due.iter().map(|d| d.event_sequence)))
            .all(db)
            .await?;
        due.into_iter()
            .filter_map(|d| {
                let event = events.iter().find(|e| e.sequence == d.event_sequence)?;
                Some((d, event.clone()))
            })
            .collect()
    };
    let events = event::Entity::find()
        .filter(event::Column::Sequence.gt(hook.cursor))
        .filter(event::Column::Sequence.lte(last))
        .filter(event_condition(&hook))
        .order_by_asc(event::Column::Sequence)
        .limit(PLAN_EVENTS)
        .all(db)
        .await?;
    let head = events.first().and_then(|first| {
        head_rows
            .into_iter()
            .find(|d| d.event_sequence == first.sequence)
    });
    Ok(Plan {
        hook: Some(hook),
        redeliveries,
        head,
        events,
        last,
    })
}

/// Move the cursor of `hook` on to `to` when its plan found nothing to
/// deliver, under `owner`'s lease — unless a replay moved it meanwhile.
pub async fn skip_to(
    db: &impl ConnectionTrait,
    hook: &webhook::Model,
    owner: &str,
    to: i64,
) -> Result<(), DbErr> {
    webhook::Entity::update_many()
        .col_expr(webhook::Column::Cursor, Expr::value(to))
        .filter(webhook::Column::Id.eq(hook.id))
        .filter(webhook::Column::LeaseOwner.eq(owner))
        .filter(webhook::Column::Cursor.eq(hook.cursor))
        .exec(db)
        .await
        .map(|_| ())
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// The receiver answered 410 Gone: it wants no more.
    Gone,
    /// Anything else: another status, a timeout, a refused connection.
    Failed {
        /// Its status, if it answered.
        status: Option<u16>,
        /// Why, for the admin.
        error: String,
    },
}

/// When to try a failed delivery again.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Before the second attempt; doubling after each failure.
    pub first_delay_ms: i64,
    /// The longest wait between attempts.
    pub max_delay_ms: i64,
    /// How long after the first attempt to keep trying; then a dead letter.
    pub period_ms: i64,
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failure: exponential, with "equal
    /// jitter" (half fixed, half random) so receivers that come back are not
    /// hit by every sender at once. `random` is uniform in `[0, 1)`.
    pub fn delay_ms(&self, attempts: i32, random: f64) -> i64 {
        let doublings = (attempts.max(1) - 1).min(30) as u32;
        let full = self
            .first_delay_ms
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_ms);
        full / 2 + ((full / 2) as f64 * random) as i64
    }
}

/// What settling an attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// Delivered.
    Delivered,
    /// To be tried again at `next` (Unix ms).
    Retrying {
        /// When.
        next: i64,
    },
    /// Given up on: a dead letter.
    DeadLetter,
    /// The receiver answered 410: the subscription is disabled.
    Disabled,
    /// The lease was lost meanwhile: nothing recorded (another process
    /// delivers now).
    LeaseLost,
}

/// One attempt, to record.
#[derive(Clone, Copy, Debug)]
pub struct Attempted<'a> {
    /// The event.
    pub event: &'a event::Model,
    /// Its delivery row, if it has one (a retry, a redelivery); a first
    /// attempt's row is written with its outcome.
    pub delivery: Option<&'a webhook_delivery::Model>,
    /// Whether it is a redelivery (outside sequence order: the cursor stays).
    pub redelivery: bool,
    /// Where the cursor moves once it is settled: the event, or beyond it
    /// when no event the subscription receives comes before.
    pub through: i64,
    /// Whether settling it (delivered or given up on) gives the lease back:
    /// the last of a turn.
    pub release: bool,
    /// How it ended.
    pub outcome: &'a Outcome,
    /// When it ended (Unix ms).
    pub at: i64,
}

/// Record an attempt under `owner`'s lease, renewing the lease to
/// `lease_until`; when the head was delivered or given up on, the cursor
/// moves from `from` (where the attempt found it) to the event — unless a
/// replay moved it meanwhile. One transaction of two statements.
pub async fn settle(
    db: &DatabaseConnection,
    hook_id: i32,
    from: i64,
    attempt: Attempted<'_>,
    policy: &RetryPolicy,
    random: f64,
    (owner, lease_until): (&str, i64),
) -> Result<Settled, DbErr> {
    let previous = attempt.delivery;
    let attempts = previous.map_or(0, |d| d.attempts) + 1;
    let first = previous
        .and_then(|d| d.first_attempt_at)
        .unwrap_or(attempt.at);
    let (settled, next) = match attempt.outcome {
        Outcome::Delivered { .. } => (Settled::Delivered, attempt.at),
        Outcome::Gone => (Settled::Disabled, attempt.at),
        Outcome::Failed { .. } => {
            let next = attempt.at + policy.delay_ms(attempts, random);
            if next - first > policy.period_ms {
                (Settled::DeadLetter, attempt.at)
            } else {
                (Settled::Retrying { next }, next)
            }
        }
    };
    let moves = !attempt.redelivery && matches!(settled, Settled::Delivered | Settled::DeadLetter);
    let to = if moves { attempt.through } else { from };
    let txn = crate::db::begin_write(db).await?;
    // Given back, the lease has no owner and no expiry (PostgreSQL refuses a
    // column set twice in one statement: each is set once here).
    let released = moves && attempt.release;
    let mut update = webhook::Entity::update_many()
        .col_expr(
            webhook::Column::LeaseUntil,
            Expr::value((!released).then_some(lease_until)),
        )
        .col_expr(
            webhook::Column::Cursor,
            Expr::case(webhook::Column::Cursor.eq(from), Expr::value(to))
                .finally(Expr::col(webhook::Column::Cursor))
                .into(),
        );
    if released {
        update = update
            .col_expr(
                webhook::Column::LeaseOwner,
                Expr::value(Option::<String>::None),
            )
            .col_expr(webhook::Column::DueAt, Expr::value(Option::<i64>::None));
    }
    if settled == Settled::Disabled {
        update = update
            .col_expr(webhook::Column::State, Expr::value("DISABLED"))
            .col_expr(
                webhook::Column::StateReason,
                Expr::value("the receiver answered 410 Gone"),
            )
            .col_expr(webhook::Column::UpdatedAt, Expr::value(attempt.at));
    }
    let held = update
        .filter(webhook::Column::Id.eq(hook_id))
        .filter(webhook::Column::LeaseOwner.eq(owner))
        .exec(&txn)
        .await?;
    if held.rows_affected == 0 {
        return Ok(Settled::LeaseLost);
    }
    delivery_row(hook_id, attempt, settled, (attempts, first, next))
        .save(&txn)
        .await?;
    txn.commit().await?;
    Ok(settled)
}

/// The delivery row after an attempt: its outcome, attempts, first attempt
/// and next try.
fn delivery_row(
    hook_id: i32,
    attempt: Attempted<'_>,
    settled: Settled,
    (attempts, first, next): (i32, i64, i64),
) -> webhook_delivery::ActiveModel {
    let (state, status, error) = match attempt.outcome {
        Outcome::Delivered { status } => (DeliveryState::Delivered, Some(i32::from(*status)), None),
        Outcome::Gone => (
            DeliveryState::Failed,
            Some(410),
            Some("410 Gone: the receiver asked for no more".to_owned()),
        ),
        Outcome::Failed { status, error } => {
            let state = if matches!(settled, Settled::Retrying { .. }) {
                DeliveryState::Pending
            } else {
                DeliveryState::Failed
            };
            (state, status.map(i32::from), Some(error.clone()))
        }
    };
    let mut row = match attempt.delivery {
        Some(d) => d.clone().into(),
        None => webhook_delivery::ActiveModel {
            webhook_id: Set(hook_id),
            event_sequence: Set(attempt.event.sequence),
            redelivery: Set(attempt.redelivery),
            ..Default::default()
        },
    };
    row.state = Set(state);
    row.attempts = Set(attempts);
    row.first_attempt_at = Set(Some(first));
    row.last_attempt_at = Set(Some(attempt.at));
    row.last_status = Set(status);
    row.last_error = Set(error);
    row.next_attempt_at = Set(next);
    row.finished_at = Set((!matches!(settled, Settled::Retrying { .. })).then_some(attempt.at));
    row
}

/// Give up `owner`'s lease on `id`; its head waits until `due`, if given.
pub async fn release(
    db: &DatabaseConnection,
    id: i32,
    owner: &str,
    due: Option<i64>,
) -> Result<(), DbErr> {
    webhook::Entity::update_many()
        .col_expr(
            webhook::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            webhook::Column::LeaseUntil,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(webhook::Column::DueAt, Expr::value(due))
        .filter(webhook::Column::Id.eq(id))
        .filter(webhook::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await
        .map(|_| ())
}

/// For `/metrics`: per subscription delivered to, its id and the age in
/// seconds of the oldest event it still has to receive (0 when none).
pub async fn backlog(db: &impl ConnectionTrait, now: i64) -> Result<Vec<(i32, f64)>, DbErr> {
    let last = last_sequence(db).await?;
    let mut ages = Vec::new();
    for hook in list(db, None).await? {
        let oldest = next_event(db, &hook, hook.cursor, last).await?;
        let age = oldest.map_or(0.0, |e| (now - e.occurred_at).max(0) as f64 / 1000.0);
        ages.push((hook.id, age));
    }
    Ok(ages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_longest_wait() {
        let policy = RetryPolicy {
            first_delay_ms: 5_000,
            max_delay_ms: 3_600_000,
            period_ms: 86_400_000,
        };
        assert_eq!(policy.delay_ms(1, 0.0), 2_500);
        assert_eq!(policy.delay_ms(1, 0.999_999), 4_999);
        assert_eq!(policy.delay_ms(2, 0.0), 5_000);
        assert_eq!(policy.delay_ms(3, 0.5), 15_000);
        assert_eq!(policy.delay_ms(40, 1.0), 3_600_000);
    }
}
