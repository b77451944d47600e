//! Tokens for tests — made through `lvzhi::auth::token::create` as the command
//! line makes them ([`made`]), or written straight into the table for scopes
//! the command would refuse ([`unchecked`]: a town without a list, a county
//! without lists) — and requests that carry one.

use entity::{Role, api_token, county};
use lvzhi::auth::Actor;
use lvzhi::auth::token::{NewToken, create, generate, secret_hash};
use lvzhi::domain::department::find_by_name;
use lvzhi::domain::scope::Scope as DomainScope;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use super::app::TestApp;

/// The county of the bundled list.
pub const COUNTY: &str = "乌恰县";

/// The town of the bundled list.
pub const TOWN: &str = "乌恰镇";

/// A token's scope: county, town and department, by name.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scope<'a> {
    /// The county it is confined to.
    pub county: Option<&'a str>,
    /// The town it is confined to.
    pub town: Option<&'a str>,
    /// The department it acts for.
    pub department: Option<&'a str>,
}

impl Scope<'static> {
    /// Every county.
    pub const EVERYWHERE: Scope<'static> = Scope {
        county: None,
        town: None,
        department: None,
    };

    /// The bundled list's county.
    pub const COUNTY: Scope<'static> = Scope {
        county: Some(COUNTY),
        town: None,
        department: None,
    };

    /// The bundled list's town.
    pub const TOWN: Scope<'static> = Scope {
        county: Some(COUNTY),
        town: Some(TOWN),
        department: None,
    };
}

/// A new token named `name` with `role` and `scope`, made as `lvzhi token
/// create` makes it; its secret.
pub async fn made(db: &DatabaseConnection, name: &str, role: Role, scope: Scope<'_>) -> String {
    let new = NewToken {
        name: name.to_owned(),
        role,
        county: scope.county.map(str::to_owned),
        town: scope.town.map(str::to_owned),
        department: scope.department.map(str::to_owned),
        expires_at: None,
    };
    create(db, new, &Actor::command_line())
        .await
        .expect("the token is made")
        .secret
}

/// The `Authorization` header value of `token`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl TestApp {
    /// A new token named `name` with `role` and `scope`; its secret.
    pub async fn token_named(&self, name: &str, role: Role, scope: Scope<'_>) -> String {
        made(&self.db.db, name, role, scope).await
    }

    /// A new token with `role` and `scope`, named after them; its secret.
    pub async fn token(&self, role: Role, scope: Scope<'_>) -> String {
        let name = format!(
            "{role:?} {} {}",
            scope.county.unwrap_or("*"),
            lvzhi::auth::token::generate().unwrap()
        );
        self.token_named(&name, role, scope).await
    }

    /// POST `body` to `/graphql` with `token` as the bearer token.
    pub async fn post_with_token(&self, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/graphql", self.address))
            .header("authorization", bearer(token))
            .json(body)
            .send()
            .await
            .expect("the request is answered")
    }

    /// POST the bytes `body` to `/graphql` with `token` and `Idempotency-Key: key`.
    pub async fn post_keyed(&self, token: &str, key: &str, body: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/graphql", self.address))
            .header("authorization", bearer(token))
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the request is answered")
    }

    /// GET `path` with `token` as the bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header("authorization", bearer(token))
            .send()
            .await
            .expect("the request is answered")
    }
}

/// A county's id, made if the database lacks it (a county with no lists, for
/// out-of-scope tokens).
pub async fn county_id(db: &DatabaseConnection, name: &str) -> i32 {
    if let Some(found) = county::Entity::find()
        .filter(county::Column::Name.eq(name))
        .one(db)
        .await
        .unwrap()
    {
        return found.id;
    }
    county::ActiveModel {
        region: Set("新疆维吾尔自治区".into()),
        prefecture: Set("克孜勒苏柯尔克孜自治州".into()),
        name: Set(name.into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// A token named `name` with `role` in `scope`, written straight into the
/// table (the scope is not checked); its secret.
pub async fn unchecked(
    db: &DatabaseConnection,
    name: &str,
    role: Role,
    scope: Scope<'_>,
) -> String {
    let county = match scope.county {
        Some(c) => Some(county_id(db, c).await),
        None => None,
    };
    let department = match scope.department {
        Some(d) => Some(
            find_by_name(db, d, scope.county, DomainScope::Current)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("no department {d}"))
                .id,
        ),
        None => None,
    };
    let secret = generate().unwrap();
    api_token::ActiveModel {
        name: Set(name.into()),
        prefix: Set(secret[..10].into()),
        secret_hash: Set(secret_hash(&secret)),
        role: Set(role),
        county_id: Set(county),
        town: Set(scope.town.map(str::to_owned)),
        department_id: Set(department),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    secret
}

/// POST a GraphQL request with `token` (none: no header); the status and body.
pub async fn post_as(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the request is answered");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

/// The `code` of a response's first error, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// `data.<field>` of a response that must have succeeded.
pub fn data<'a>(body: &'a Value, field: &str) -> &'a Value {
    assert!(body.get("errors").is_none(), "errors: {body}");
    &body["data"][field]
}
