//! API tokens: made random (`lvz_` and 43 base64url characters, 256 bits), shown
//! once, stored only as their SHA-256; checked by that hash and compared in
//! constant time; never logged. Every change of a token is audited.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::{Role, api_token, county, department, duty_list};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, Unchanged,
};
use sha2::{Digest, Sha256};

use super::{Actor, Principal, role_name};
use crate::domain::audit::{self, Entry, hex};
use crate::domain::department::{LookupError, find_by_name};
use crate::domain::scope::Scope;
use crate::error::ErrorCode;

/// What every token starts with, so secret scanners can spot a leaked one.
pub const TOKEN_PREFIX: &str = "lvz_";

/// How many characters of a token are stored in the clear to tell tokens apart.
const SHOWN: usize = TOKEN_PREFIX.len() + 6;

/// How stale `last_used_at` may grow before an accepted request updates it:
/// a write per minute per token at most, not one per request.
const LAST_USE_GRANULARITY: i64 = 60;

/// A token to make.
#[derive(Clone, Debug)]
pub struct NewToken {
    /// Its name, unique.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The county it is confined to, by name.
    pub county: Option<String>,
    /// The town it is confined to (needs `county`).
    pub town: Option<String>,
    /// The department it acts for, by name or alias (needs `county`).
    pub department: Option<String>,
    /// When it stops working (Unix seconds).
    pub expires_at: Option<i64>,
}

/// A token just made: its row and the secret, which is never shown again.
#[derive(Clone, Debug)]
pub struct Created {
    /// The stored row.
    pub token: api_token::Model,
    /// The whole token, to give to its holder.
    pub secret: String,
}

/// Why a token could not be made or revoked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The request is wrong (code `BAD_USER_INPUT`); the message names the field.
    #[error("{0}")]
    BadInput(String),
    /// No such token (code `NOT_FOUND`).
    #[error("no token is named `{0}`")]
    NotFound(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl TokenError {
    /// The code a client receives.
    pub fn code(&self) -> ErrorCode {
        match self {
            TokenError::BadInput(_) => ErrorCode::BadUserInput,
            TokenError::NotFound(_) => ErrorCode::NotFound,
            TokenError::Database(e) => ErrorCode::of_database(e),
        }
    }
}

/// Why a presented token was refused; deliberately one answer for every cause
/// (unknown, malformed, expired, revoked) so a client learns nothing.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Not a valid token.
    #[error("the token is not valid")]
    Invalid,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A new random token.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The stored form of a token: lower-case hex SHA-256.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Equal in time that depends only on the length.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Make a token and audit it. The secret is in the result only.
pub async fn create(
    db: &DatabaseConnection,
    new: NewToken,
    actor: &Actor,
) -> Result<Created, TokenError> {
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(TokenError::BadInput("name: a token needs a name".into()));
    }
    if new.expires_at.is_some_and(|at| at <= now()) {
        return Err(TokenError::BadInput("expires: the day has passed".into()));
    }
    let txn = crate::db::begin_write(db).await?;
    let (county_id, town, department_id) = scope_of(&txn, &new).await?;
    if api_token::Entity::find()
        .filter(api_token::Column::Name.eq(&name))
        .count(&txn)
        .await?
        > 0
    {
        return Err(TokenError::BadInput(format!(
            "name: a token named `{name}` exists already"
        )));
    }
    let secret = generate().map_err(|e| TokenError::BadInput(format!("no randomness: {e}")))?;
    let token = api_token::ActiveModel {
        name: Set(name),
        prefix: Set(secret[..SHOWN].to_owned()),
        secret_hash: Set(secret_hash(&secret)),
        role: Set(new.role),
        county_id: Set(county_id),
        town: Set(town),
        department_id: Set(department_id),
        created_at: Set(now()),
        expires_at: Set(new.expires_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut entry = Entry::new("token.create", format!("ApiToken:{}", token.id));
    entry.after = Some(described(&token));
    entry.detail = Some(format!("{} ({})", token.name, role_name(token.role)));
    audit::record(&txn, actor, entry, None).await?;
    txn.commit().await?;
    Ok(Created { token, secret })
}

/// The ids of a new token's county, town and department, checked.
async fn scope_of(
    db: &impl ConnectionTrait,
    new: &NewToken,
) -> Result<(Option<i32>, Option<String>, Option<i32>), TokenError> {
    let Some(county_name) = new.county.as_deref().map(str::trim) else {
        if new.town.is_some() || new.department.is_some() {
            return Err(TokenError::BadInput(
                "county: a town or department token needs its county".into(),
            ));
        }
        return Ok((None, None, None));
    };
    let county = county::Entity::find()
        .filter(county::Column::Name.eq(county_name))
        .one(db)
        .await?
        .ok_or_else(|| {
            TokenError::BadInput(format!("county: no county is named `{county_name}`"))
        })?;
    let town = match new.town.as_deref().map(str::trim) {
        None => None,
        Some(town) => {
            let lists = duty_list::Entity::find()
                .filter(duty_list::Column::CountyId.eq(county.id))
                .filter(duty_list::Column::Town.eq(town))
                .count(db)
                .await?;
            if lists == 0 {
                return Err(TokenError::BadInput(format!(
                    "town: {county_name} has no list of a town named `{town}`"
                )));
            }
            Some(town.to_owned())
        }
    };
    let department = match new.department.as_deref() {
        None => None,
        Some(name) => {
            let found = find_by_name(db, name, Some(county_name), Scope::Current)
                .await
                .map_err(|e| match e {
                    LookupError::Database(e) => TokenError::Database(e),
                    other => TokenError::BadInput(format!("department: {other}")),
                })?
                .ok_or_else(|| {
                    TokenError::BadInput(format!(
                        "department: {county_name} has no department named `{name}`"
                    ))
                })?;
            Some(found.id)
        }
    };
    Ok((Some(county.id), town, department))
}

/// Every token, newest first (their secrets are not stored).
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await
}

/// The token named `name`, if any.
pub async fn by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name.trim()))
        .one(db)
        .await
}

/// A token with the names of its county and department, for listings.
#[derive(Clone, Debug)]
pub struct Named {
    /// The stored row.
    pub token: api_token::Model,
    /// Its county's name.
    pub county: Option<String>,
    /// Its department's name.
    pub department: Option<String>,
}

/// `tokens` with the names of their counties and departments (two statements).
pub async fn named(
    db: &impl ConnectionTrait,
    tokens: Vec<api_token::Model>,
) -> Result<Vec<Named>, DbErr> {
    let counties: Vec<i32> = tokens.iter().filter_map(|t| t.county_id).collect();
    let departments: Vec<i32> = tokens.iter().filter_map(|t| t.department_id).collect();
    let counties = crate::domain::by_ids::<county::Entity>(db, &counties).await?;
    let departments = crate::domain::by_ids::<department::Entity>(db, &departments).await?;
    Ok(tokens
        .into_iter()
        .map(|token| Named {
            county: token
                .county_id
                .and_then(|id| counties.get(&id))
                .map(|c| c.name.clone()),
            department: token
                .department_id
                .and_then(|id| departments.get(&id))
                .map(|d| d.name.clone()),
            token,
        })
        .collect())
}

/// Revoke the token named `name` and audit it; revoking it again changes nothing.
pub async fn revoke(
    db: &DatabaseConnection,
    name: &str,
    actor: &Actor,
) -> Result<api_token::Model, TokenError> {
    let txn = crate::db::begin_write(db).await?;
    let token = api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name.trim()))
        .one(&txn)
        .await?
        .ok_or_else(|| TokenError::NotFound(name.trim().to_owned()))?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let before = described(&token);
    let revoked = api_token::ActiveModel {
        id: Unchanged(token.id),
        revoked_at: Set(Some(now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let mut entry = Entry::new("token.revoke", format!("ApiToken:{}", token.id));
    entry.before = Some(before);
    entry.after = Some(described(&revoked));
    entry.detail = Some(revoked.name.clone());
    audit::record(&txn, actor, entry, None).await?;
    txn.commit().await?;
    Ok(revoked)
}

/// What a token's audit digest covers: everything but secrets and last use.
fn described(token: &api_token::Model) -> String {
    format!(
        "{}|{}|{}|{:?}|{:?}|{:?}|{:?}|{:?}",
        token.id,
        token.name,
        role_name(token.role),
        token.county_id,
        token.town,
        token.department_id,
        token.expires_at,
        token.revoked_at
    )
}

/// The principal a presented token stands for: found by its hash, compared in
/// constant time, refused alike when unknown, expired or revoked. Records its
/// use (at most once a minute).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    presented: &str,
) -> Result<Principal, Refused> {
    let hash = secret_hash(presented);
    let found = api_token::Entity::find()
        .filter(api_token::Column::SecretHash.eq(&hash))
        .one(db)
        .await?;
    let now = now();
    let token = found
        .filter(|t| constant_time_eq(t.secret_hash.as_bytes(), hash.as_bytes()))
        .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|at| at > now))
        .ok_or(Refused::Invalid)?;
    if token
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USE_GRANULARITY)
    {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(token.id))
            .exec(db)
            .await?;
    }
    Ok(Principal {
        token_id: token.id,
        name: token.name,
        role: token.role,
        county_id: token.county_id,
        town: token.town,
        department_id: token.department_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(secret_hash(&a).len(), 64);
        assert_ne!(secret_hash(&a), secret_hash(&b));
    }

    #[test]
    fn constant_time_comparison_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
