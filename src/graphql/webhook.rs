//! Webhook subscriptions over GraphQL, for admins: `webhooks`, `webhook`,
//! `createWebhook` (its secret shown once), `pauseWebhook`, `resumeWebhook`,
//! `deleteWebhook`, `rotateWebhookSecret`, `redeliverEvent` and
//! `replayWebhook`. Each resolver authorises with [`crate::auth::permit`]
//! (`ManageWebhooks`; an admin confined to a county manages that county's
//! subscriptions, which receive that county's events only) and calls
//! [`crate::domain::webhook`]. Refusals of a token holder are audited.

use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, Object, SimpleObject};
use entity::{duty_list, event, webhook, webhook_delivery};
use sea_orm::{DatabaseConnection, EntityTrait};

use super::event::{Event, parse_kinds};
use super::loaders::{CountyLoader, load};
use super::token::{actor, audit_refusal, county_id, denied_and_audited, refusal};
use super::{conn, id};
use crate::auth::{Action, Actor, Target, permit};
use crate::domain::audit::{Entry, instant_text};
use crate::domain::webhook::{self as hooks, NewWebhook, Switch, WebhookError};
use crate::error::{ApiError, ApiResult, db};
use crate::webhook::address::PrivateNetworks;

/// Whether a subscription is delivered to.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "WebhookState", remote = "entity::WebhookState")]
pub enum WebhookStateValue {
    /// Delivered to.
    Active,
    /// Paused by an admin: events wait, and are delivered in order once resumed.
    Paused,
    /// Switched off because its receiver answered 410 Gone; events wait as
    /// when paused.
    Disabled,
    /// Deleted: never delivered to again; its deliveries stay visible.
    Deleted,
}

/// Where a delivery stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "DeliveryState", remote = "entity::DeliveryState")]
pub enum DeliveryStateValue {
    /// Not delivered yet; attempted again at `nextAttemptAt`.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up on (a dead letter: the retry period passed, or the receiver
    /// answered 410); kept until redelivered.
    Failed,
}

/// A webhook subscription: where lvzhi POSTs which events, signed per the
/// Standard Webhooks specification. Its secret is never shown again.
pub struct Webhook(webhook::Model);

/// A webhook subscription: where lvzhi POSTs which events, signed per the
/// Standard Webhooks specification. Its secret is never shown again.
#[Object]
impl Webhook {
    /// Its opaque ID.
    async fn id(&self) -> ID {
        id::encode("Webhook", self.0.id)
    }

    /// Where events are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// What it is for.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The event types it receives; empty for every type.
    async fn types(&self) -> Vec<String> {
        hooks::kinds_of(&self.0)
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect()
    }

    /// Only events about this edition, if set.
    async fn list_id(&self) -> Option<ID> {
        self.0.list_id.map(|l| id::encode("DutyList", l))
    }

    /// Only events of this county, if set.
    async fn county(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let Some(county) = self.0.county_id else {
            return Ok(None);
        };
        let found = load::<CountyLoader, _>(ctx, county).await?;
        Ok(found.map(|c| c.name.clone()))
    }

    /// Only events of this town, if set.
    async fn town(&self) -> Option<&str> {
        self.0.town.as_deref()
    }

    /// Whether each delivery also carries an HMAC-SM3 signature (`v1sm3,…`).
    async fn hmac_sm3(&self) -> bool {
        self.0.hmac_sm3
    }

    /// Whether it is delivered to.
    async fn state(&self) -> WebhookStateValue {
        self.0.state.into()
    }

    /// Why it is paused, disabled or deleted.
    async fn state_reason(&self) -> Option<&str> {
        self.0.state_reason.as_deref()
    }

    /// The last event sequence number settled for it (delivered, not
    /// matching, or given up on); later events are still to come.
    async fn delivered_through(&self) -> i64 {
        self.0.cursor
    }

    /// Until when the secret before the last rotation still signs too
    /// (ISO 8601, UTC); null when only one secret signs.
    async fn previous_secret_valid_until(&self) -> Option<String> {
        self.0
            .previous_secret_until
            .filter(|until| *until > crate::date::now_ms())
            .map(instant_text)
    }

    /// When it was created (ISO 8601, UTC).
    async fn created_at(&self) -> String {
        instant_text(self.0.created_at)
    }

    /// The token that created it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// Its deliveries, newest first; only those in `state` when given (e.g.
    /// `FAILED`: the dead letters).
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        state: Option<DeliveryStateValue>,
        #[graphql(validator(minimum = 1, maximum = 500), default = 20)] first: i32,
    ) -> ApiResult<Vec<WebhookDelivery>> {
        let rows =
            db(hooks::deliveries(conn(ctx), self.0.id, state.map(Into::into), first as u64).await)?;
        Ok(rows.into_iter().map(WebhookDelivery).collect())
    }
}

/// One event's delivery to one subscription.
pub struct WebhookDelivery(webhook_delivery::Model);

/// One event's delivery to one subscription: its attempts and outcome.
#[Object]
impl WebhookDelivery {
    /// Its opaque ID.
    async fn id(&self) -> ID {
        id::encode("WebhookDelivery", self.0.id)
    }

    /// The event's sequence number.
    async fn sequence(&self) -> i64 {
        self.0.event_sequence
    }

    /// The event delivered.
    async fn event(&self, ctx: &Context<'_>) -> ApiResult<Option<Event>> {
        let found = db(event::Entity::find_by_id(self.0.event_sequence)
            .one(conn(ctx))
            .await)?;
        Ok(found.map(Event))
    }

    /// Whether an admin asked for it again, outside sequence order.
    async fn redelivery(&self) -> bool {
        self.0.redelivery
    }

    /// Where it stands.
    async fn state(&self) -> DeliveryStateValue {
        self.0.state.into()
    }

    /// Attempts made.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// When the last attempt was made (ISO 8601, UTC).
    async fn last_attempt_at(&self) -> Option<String> {
        self.0.last_attempt_at.map(instant_text)
    }

    /// The receiver's last HTTP status, if it answered.
    async fn last_status(&self) -> Option<i32> {
        self.0.last_status
    }

    /// Why the last attempt failed.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// When it is tried next (ISO 8601, UTC); null unless pending.
    async fn next_attempt_at(&self) -> Option<String> {
        (self.0.state == entity::DeliveryState::Pending)
            .then(|| instant_text(self.0.next_attempt_at))
    }

    /// When it was delivered or given up on (ISO 8601, UTC).
    async fn finished_at(&self) -> Option<String> {
        self.0.finished_at.map(instant_text)
    }
}

/// A subscription to make.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// Where to POST events: an http or https URL. Loopback, private and
    /// link-local addresses only where `LVZHI_WEBHOOK_ALLOW_PRIVATE` allows.
    pub url: String,
    /// The event types to receive (`list.edition.published`, …); every type
    /// when absent or empty.
    pub types: Option<Vec<String>>,
    /// Only events about this edition.
    pub list_id: Option<ID>,
    /// Only events of this county, by name (an admin confined to a county
    /// gets its own).
    pub county: Option<String>,
    /// Only events of this town (of `county`).
    pub town: Option<String>,
    /// Also sign each delivery with HMAC-SM3 (`v1sm3,…`), for receivers that
    /// must use the national algorithms. Default false.
    #[graphql(default = false)]
    pub hmac_sm3: bool,
    /// What it is for.
    pub description: Option<String>,
}

/// A subscription with its new secret — shown this once and never again.
#[derive(SimpleObject)]
pub struct WebhookWithSecret {
    /// The subscription.
    pub webhook: Webhook,
    /// The signing secret (`whsec_…`), for the receiver to verify
    /// `webhook-signature`; lvzhi cannot show it again.
    pub secret: String,
}

/// Reading subscriptions.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Every webhook subscription not deleted, oldest first (admin only; an
    /// admin confined to a county sees its county's).
    async fn webhooks(&self, ctx: &Context<'_>) -> ApiResult<Vec<Webhook>> {
        let actor = actor(ctx);
        let confined = actor.principal.as_ref().and_then(|p| p.county_id);
        let target = Target {
            county_id: confined,
            ..Target::default()
        };
        permit(&actor, Action::ManageWebhooks, &target).map_err(|denied| refusal(&denied))?;
        let rows = db(hooks::list(conn(ctx), confined).await)?;
        Ok(rows.into_iter().map(Webhook).collect())
    }

    /// One subscription, deleted ones included (admin only).
    async fn webhook(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Webhook> {
        may_manage_any(&actor(ctx)).map_err(|denied| refusal(&denied))?;
        let hook = found(conn(ctx), &id).await?;
        permit(&actor(ctx), Action::ManageWebhooks, &target_of(&hook))
            .map_err(|denied| refusal(&denied))?;
        Ok(Webhook(hook))
    }
}

/// Changing subscriptions.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Subscribe a receiver to events written from now on (admin only). The
    /// secret is in the answer, once. Audited.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription.")] input: CreateWebhookInput,
    ) -> ApiResult<WebhookWithSecret> {
        let (actor, db) = (actor(ctx), conn(ctx));
        let refused = || {
            let mut entry = Entry::new("webhook.create", "Webhook:?");
            entry.detail = Some(input.url.trim().to_owned());
            entry
        };
        let kinds = parse_kinds(input.types.as_deref().unwrap_or_default())?;
        let list = match &input.list_id {
            Some(list) => Some(list_of(db, list).await?),
            None => None,
        };
        let mut county = match input.county.as_deref() {
            Some(name) => Some(county_id(db, name).await?.ok_or_else(|| {
                ApiError::BadUserInput(format!("county: no county is named `{name}`")).extend()
            })?),
            None => list.as_ref().map(|l| l.county_id),
        };
        // Least privilege: a county's admin subscribes to its county's events only.
        if county.is_none() {
            county = actor.principal.as_ref().and_then(|p| p.county_id);
        }
        let town = input
            .town
            .clone()
            .or_else(|| actor.principal.as_ref().and_then(|p| p.town.clone()));
        let target = Target {
            county_id: county,
            town: town.as_deref(),
            departments: &[],
        };
        if let Err(denied) = permit(&actor, Action::ManageWebhooks, &target) {
            return Err(denied_and_audited(db, &actor, refused(), &denied).await);
        }
        let new = NewWebhook {
            url: input.url.clone(),
            description: input.description.clone(),
            kinds,
            list_id: list.map(|l| l.id),
            county_id: county,
            town,
            hmac_sm3: input.hmac_sm3,
        };
        match hooks::create(db, new, &networks(ctx), &actor).await {
            Ok((hook, secret)) => Ok(WebhookWithSecret {
                webhook: Webhook(hook),
                secret,
            }),
            Err(e) => Err(failed_and_audited(db, &actor, refused(), e).await),
        }
    }

    /// Stop delivering to a subscription; events wait for it. Audited.
    async fn pause_webhook(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Webhook> {
        switch(ctx, &id, Switch::Pause).await
    }

    /// Deliver again to a paused subscription, or one its receiver's 410
    /// disabled, from the first event it has not received. Audited.
    async fn resume_webhook(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Webhook> {
        switch(ctx, &id, Switch::Resume).await
    }

    /// Delete a subscription: never delivered to again, its secrets erased;
    /// its deliveries stay visible. Audited.
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Webhook> {
        switch(ctx, &id, Switch::Delete).await
    }

    /// Give a subscription a new secret. For `graceSeconds` (default a day)
    /// the old one signs too — `webhook-signature` carries both — so the
    /// receiver can switch without losing a delivery. The new secret is in
    /// the answer, once. Audited.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(validator(minimum = 0, maximum = 2592000), default = 86400)] grace_seconds: i32,
    ) -> ApiResult<WebhookWithSecret> {
        let (actor, db) = (actor(ctx), conn(ctx));
        let hook = authorised(ctx, &id, "webhook.rotate_secret").await?;
        match hooks::rotate_secret(db, hook.id, i64::from(grace_seconds) * 1000, &actor).await {
            Ok((hook, secret)) => Ok(WebhookWithSecret {
                webhook: Webhook(hook),
                secret,
            }),
            Err(e) => {
                Err(
                    failed_and_audited(db, &actor, entry_for("webhook.rotate_secret", &hook), e)
                        .await,
                )
            }
        }
    }

    /// Deliver one event to a subscription again, now and outside sequence
    /// order — a dead letter, or one its receiver lost. The same
    /// `webhook-id`, so a receiver that has it already can tell. Audited.
    async fn redeliver_event(
        &self,
        ctx: &Context<'_>,
        webhook_id: ID,
        #[graphql(desc = "The event's sequence number.")] sequence: i64,
    ) -> ApiResult<WebhookDelivery> {
        let (actor, db) = (actor(ctx), conn(ctx));
        let hook = authorised(ctx, &webhook_id, "webhook.redeliver").await?;
        match hooks::redeliver(db, hook.id, sequence, &actor).await {
            Ok(delivery) => Ok(WebhookDelivery(delivery)),
            Err(e) => {
                Err(failed_and_audited(db, &actor, entry_for("webhook.redeliver", &hook), e).await)
            }
        }
    }

    /// Deliver again, in order and before any new event, every event the
    /// subscription receives after sequence `after` (0: from the first).
    /// Audited.
    async fn replay_webhook(&self, ctx: &Context<'_>, id: ID, after: i64) -> ApiResult<Webhook> {
        let (actor, db) = (actor(ctx), conn(ctx));
        let hook = authorised(ctx, &id, "webhook.replay").await?;
        match hooks::replay(db, hook.id, after, &actor).await {
            Ok(hook) => Ok(Webhook(hook)),
            Err(e) => {
                Err(failed_and_audited(db, &actor, entry_for("webhook.replay", &hook), e).await)
            }
        }
    }
}

/// Pause, resume or delete the subscription `id`.
async fn switch(ctx: &Context<'_>, id: &ID, to: Switch) -> ApiResult<Webhook> {
    let operation = match to {
        Switch::Pause => "webhook.pause",
        Switch::Resume => "webhook.resume",
        Switch::Delete => "webhook.delete",
    };
    let (actor, db) = (actor(ctx), conn(ctx));
    let hook = authorised(ctx, id, operation).await?;
    match hooks::switch(db, hook.id, to, &actor).await {
        Ok(hook) => Ok(Webhook(hook)),
        Err(e) => Err(failed_and_audited(db, &actor, entry_for(operation, &hook), e).await),
    }
}

/// The subscription `id`, if the request's token may manage it; a refusal
/// is audited.
async fn authorised(
    ctx: &Context<'_>,
    id: &ID,
    operation: &'static str,
) -> ApiResult<webhook::Model> {
    let (actor, db) = (actor(ctx), conn(ctx));
    if let Err(denied) = may_manage_any(&actor) {
        let entry = Entry::new(operation, "Webhook:?");
        return Err(denied_and_audited(db, &actor, entry, &denied).await);
    }
    let hook = found(db, id).await?;
    if let Err(denied) = permit(&actor, Action::ManageWebhooks, &target_of(&hook)) {
        return Err(denied_and_audited(db, &actor, entry_for(operation, &hook), &denied).await);
    }
    Ok(hook)
}

/// Whether the actor may manage any subscription at all (a token whose role
/// allows it, inside its own scope) — asked before a subscription is looked
/// up, so whether one exists is not told to whoever may not see it.
fn may_manage_any(actor: &Actor) -> Result<(), crate::auth::Denied> {
    let own = actor.principal.as_ref();
    let department = own.and_then(|p| p.department_id);
    let target = Target {
        county_id: own.and_then(|p| p.county_id),
        town: own.and_then(|p| p.town.as_deref()),
        departments: department.as_slice(),
    };
    permit(actor, Action::ManageWebhooks, &target)
}

/// The audit entry of a refused change to `hook`.
fn entry_for(operation: &'static str, hook: &webhook::Model) -> Entry {
    let mut entry = Entry::new(operation, format!("Webhook:{}", hook.id));
    entry.detail = Some(hook.url.clone());
    entry
}

/// What a subscription is, for scope checks: its county and town.
fn target_of(hook: &webhook::Model) -> Target<'_> {
    Target {
        county_id: hook.county_id,
        town: hook.town.as_deref(),
        departments: &[],
    }
}

/// The subscription of ID `id`, deleted ones included.
async fn found(db: &DatabaseConnection, id: &ID) -> ApiResult<webhook::Model> {
    let key = id::decode(id, "Webhook")?;
    db_found(hooks::by_id(db, key).await, || {
        format!("webhook `{}`", id.as_str())
    })
}

/// The edition of ID `id`.
async fn list_of(db: &DatabaseConnection, id: &ID) -> ApiResult<duty_list::Model> {
    let key = id::decode(id, "DutyList")?;
    db_found(duty_list::Entity::find_by_id(key).one(db).await, || {
        format!("list `{}`", id.as_str())
    })
}

/// A row that must exist: `NOT_FOUND` naming `what` otherwise.
fn db_found<T>(
    result: Result<Option<T>, sea_orm::DbErr>,
    what: impl FnOnce() -> String,
) -> ApiResult<T> {
    db(result)?.ok_or_else(|| ApiError::NotFound(what()).extend())
}

/// The networks webhooks may go to besides public addresses.
fn networks(ctx: &Context<'_>) -> PrivateNetworks {
    ctx.data_opt::<Arc<PrivateNetworks>>()
        .map(|n| (**n).clone())
        .unwrap_or_default()
}

/// A refused subscription change as a client receives it; audited when the
/// input was refused (a database fault is only logged).
async fn failed_and_audited(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: Entry,
    error: WebhookError,
) -> async_graphql::Error {
    let api = match error {
        WebhookError::BadInput(message) => ApiError::BadUserInput(message),
        WebhookError::NotFound(what) => ApiError::NotFound(what),
        WebhookError::Database(e) => return ApiError::from(e).extend(),
    };
    audit_refusal(db, actor, entry, api.code()).await;
    api.extend()
}
