//! API tokens for admins: the `apiTokens` listing, `createToken` and
//! `revokeToken`. Each resolver authorises with [`crate::auth::permit`]
//! (`ManageTokens`; an admin confined to a county manages only that county's
//! tokens) and calls [`crate::auth::token`]. A refusal of a token holder is
//! audited with its code; one without a token is only logged, so anonymous
//! clients cannot grow the append-only log.

use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, Object, SimpleObject};
use entity::county;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::date::iso_utc;
use super::{conn, id, within_ceiling};
use crate::auth::token::{self, Named, NewToken, TokenError};
use crate::auth::{Action, Actor, Denied, Target, permit};
use crate::date::Date;
use crate::domain::audit::{self, Entry};
use crate::error::{ApiError, ApiResult, ErrorCode, db};

/// What a token may do. Every role may read; the write roles follow the
/// steps of an adjustment's approval.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "Role", remote = "entity::Role")]
pub enum RoleValue {
    /// Reads only (where reads require a token).
    Reader,
    /// Submits and withdraws adjustment requests: a town for its own list, a
    /// department for duties it is a counterpart or receiver of.
    Applicant,
    /// Reviews submitted requests, or rejects them.
    Reviewer,
    /// Approves or rejects reviewed requests; applies changes an OA system
    /// approved itself.
    Approver,
    /// Publishes approved requests as a new edition.
    Publisher,
    /// Manages tokens and reads the audit log.
    Admin,
}

/// An API token, without its secret (only its SHA-256 is stored).
pub struct ApiToken(Named);

/// An API token: who may write (and, where reads are closed, read), in which
/// role and within which county, town or department.
#[Object]
impl ApiToken {
    /// The token's opaque ID.
    async fn id(&self) -> ID {
        id::encode("ApiToken", self.0.token.id)
    }

    /// Its name, unique; what the audit log records as the actor.
    async fn name(&self) -> &str {
        &self.0.token.name
    }

    /// The secret's first characters (`lvz_` and six more), to tell tokens
    /// apart; far too few to guess the rest.
    async fn prefix(&self) -> &str {
        &self.0.token.prefix
    }

    /// What it may do.
    async fn role(&self) -> RoleValue {
        self.0.token.role.into()
    }

    /// The county it is confined to; null for every county.
    async fn county(&self) -> Option<&str> {
        self.0.county.as_deref()
    }

    /// The town (of its county) it is confined to; null for every town.
    async fn town(&self) -> Option<&str> {
        self.0.token.town.as_deref()
    }

    /// The department (of its county) it acts for; null for none.
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }

    /// When it was made, ISO-8601 in UTC (`2025-07-15T08:30:00Z`).
    async fn created_at(&self) -> String {
        iso_utc(self.0.token.created_at)
    }

    /// When it stops working, ISO-8601 in UTC; null for never.
    async fn expires_at(&self) -> Option<String> {
        self.0.token.expires_at.map(iso_utc)
    }

    /// When it was revoked, ISO-8601 in UTC; null while it is not.
    async fn revoked_at(&self) -> Option<String> {
        self.0.token.revoked_at.map(iso_utc)
    }

    /// When it was last accepted, ISO-8601 in UTC, to the minute; null if
    /// never used.
    async fn last_used_at(&self) -> Option<String> {
        self.0.token.last_used_at.map(iso_utc)
    }
}

/// A token to make.
#[derive(InputObject)]
pub struct CreateTokenInput {
    /// Its name, unique (e.g. the system that will hold it: `乌恰镇OA`).
    pub name: String,
    /// Its role.
    pub role: RoleValue,
    /// The county it is confined to, by name; null for every county (only
    /// an admin not confined to a county may make such a token).
    pub county: Option<String>,
    /// The town (of `county`) it is confined to.
    pub town: Option<String>,
    /// The department (of `county`) it acts for, by name or alias.
    pub department: Option<String>,
    /// The day it stops working (from the start of that day, UTC); null for never.
    pub expires_on: Option<Date>,
}

/// A token just made, with its secret — shown this once and never again.
#[derive(SimpleObject)]
pub struct CreatedToken {
    /// The token.
    pub token: ApiToken,
    /// The whole token, to send as `Authorization: Bearer …`; lvzhi keeps
    /// only its SHA-256 and cannot show it again.
    pub secret: String,
}

/// The token listing.
#[derive(Default)]
pub struct TokenQuery;

#[Object]
impl TokenQuery {
    /// Every API token, newest first, without secrets: for an admin token;
    /// an admin confined to a county sees its county's tokens only.
    async fn api_tokens(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApiToken>> {
        let actor = actor(ctx);
        let confined = actor.principal.as_ref().and_then(|p| p.county_id);
        let target = Target {
            county_id: confined,
            ..Target::default()
        };
        permit(&actor, Action::ManageTokens, &target).map_err(|denied| refusal(&denied))?;
        let tokens = db(token::list(conn(ctx)).await)?
            .into_iter()
            .filter(|t| confined.is_none() || t.county_id == confined)
            .collect();
        let named = db(token::named(conn(ctx), tokens).await)?;
        within_ceiling(ctx, "apiTokens", named.into_iter().map(ApiToken).collect())
    }
}

/// Making and revoking tokens.
#[derive(Default)]
pub struct TokenMutation;

#[Object]
impl TokenMutation {
    /// Make a token (admin only; an admin confined to a county makes tokens
    /// of that county only). Its secret is in the answer, once. Audited.
    async fn create_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to make.")] input: CreateTokenInput,
    ) -> ApiResult<CreatedToken> {
        let (actor, db) = (actor(ctx), conn(ctx));
        let refused = || {
            let mut entry = Entry::new("token.create", "ApiToken:?");
            entry.detail = Some(input.name.trim().to_owned());
            entry
        };
        let county_id = match input.county.as_deref() {
            Some(name) => county_id(db, name).await?,
            None => None,
        };
        let target = Target {
            county_id,
            town: input.town.as_deref(),
            departments: &[],
        };
        if let Err(denied) = permit(&actor, Action::ManageTokens, &target) {
            return Err(denied_and_audited(db, &actor, refused(), &denied).await);
        }
        let new = NewToken {
            name: input.name.clone(),
            role: input.role.into(),
            county: input.county.clone(),
            town: input.town.clone(),
            department: input.department.clone(),
            expires_at: input.expires_on.map(start_of_day),
        };
        match token::create(db, new, &actor).await {
            Ok(created) => Ok(CreatedToken {
                token: named_one(db, created.token).await?,
                secret: created.secret,
            }),
            Err(e) => Err(failed_and_audited(db, &actor, refused(), e).await),
        }
    }

    /// Revoke the token named `name` (admin only; an admin confined to a
    /// county revokes that county's tokens only); it is refused from then on.
    /// Revoking a revoked token changes nothing. Audited.
    async fn revoke_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's name.")] name: String,
    ) -> ApiResult<ApiToken> {
        let (actor, db) = (actor(ctx), conn(ctx));
        let found = crate::error::db(token::by_name(db, &name).await)?;
        let refused = || {
            let target = found
                .as_ref()
                .map_or("ApiToken:?".to_owned(), |t| format!("ApiToken:{}", t.id));
            let mut entry = Entry::new("token.revoke", target);
            entry.detail = Some(name.trim().to_owned());
            entry
        };
        let target = Target {
            county_id: found.as_ref().and_then(|t| t.county_id),
            town: found.as_ref().and_then(|t| t.town.as_deref()),
            departments: &[],
        };
        if let Err(denied) = permit(&actor, Action::ManageTokens, &target) {
            return Err(denied_and_audited(db, &actor, refused(), &denied).await);
        }
        match token::revoke(db, &name, &actor).await {
            Ok(revoked) => named_one(db, revoked).await,
            Err(e) => Err(failed_and_audited(db, &actor, refused(), e).await),
        }
    }
}

/// The actor of the request (anonymous when the request carries none, as
/// outside the HTTP endpoint).
pub(super) fn actor(ctx: &Context<'_>) -> Actor {
    ctx.data_opt::<Actor>().cloned().unwrap_or_default()
}

/// The id of the county named `name`; `None` when there is none (the write
/// then fails naming the field, if the actor may make it at all).
pub(super) async fn county_id(db: &DatabaseConnection, name: &str) -> ApiResult<Option<i32>> {
    let found = crate::error::db(
        county::Entity::find()
            .filter(county::Column::Name.eq(name.trim()))
            .one(db)
            .await,
    )?;
    Ok(found.map(|c| c.id))
}

/// One token with its names.
async fn named_one(
    db: &DatabaseConnection,
    token: entity::api_token::Model,
) -> ApiResult<ApiToken> {
    let named = crate::error::db(token::named(db, vec![token]).await)?;
    super::must(named.into_iter().next(), "the token just read").map(ApiToken)
}

/// Unix seconds at the start of `day`, UTC.
fn start_of_day(day: Date) -> i64 {
    day.days_since_epoch() * 86_400
}

/// A permission refusal as a client receives it.
pub(super) fn refusal(denied: &Denied) -> async_graphql::Error {
    match denied.code() {
        ErrorCode::Unauthenticated => ApiError::Unauthenticated(denied.to_string()),
        _ => ApiError::Forbidden(denied.to_string()),
    }
    .extend()
}

/// A permission refusal, audited when a token holder was refused.
pub(super) async fn denied_and_audited(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: Entry,
    denied: &Denied,
) -> async_graphql::Error {
    audit_refusal(db, actor, entry, denied.code()).await;
    refusal(denied)
}

/// A failed token change as a client receives it; audited when its input
/// was refused (a database fault is only logged).
async fn failed_and_audited(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: Entry,
    error: TokenError,
) -> async_graphql::Error {
    let api = match error {
        TokenError::BadInput(message) => ApiError::BadUserInput(message),
        TokenError::NotFound(name) => ApiError::NotFound(format!("token `{name}`")),
        TokenError::Database(e) => return ApiError::from(e).extend(),
    };
    audit_refusal(db, actor, entry, api.code()).await;
    api.extend()
}

/// Record a refused token change; anonymous refusals are logged instead.
pub(super) async fn audit_refusal(
    db: &DatabaseConnection,
    actor: &Actor,
    entry: Entry,
    code: ErrorCode,
) {
    if actor.principal.is_none() {
        tracing::info!(
            client = actor.client.as_deref(),
            operation = entry.operation,
            "a token change without a token was refused"
        );
        return;
    }
    if let Err(e) = audit::record(db, actor, entry, Some(code)).await {
        tracing::error!(error = %e, "auditing a refused token change failed");
    }
}
