//! Writing through the API in tests: tokens made straight in the database (any
//! role and scope, whatever the token command would check) and GraphQL posted
//! with one.

use entity::{Role, api_token, county};
use lvzhi::auth::token::{generate, secret_hash};
use lvzhi::domain::department::find_by_name;
use lvzhi::domain::scope::Scope as DomainScope;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use super::app::TestApp;

/// Where a test token is confined.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scope<'a> {
    /// County by name.
    pub county: Option<&'a str>,
    /// Town.
    pub town: Option<&'a str>,
    /// Department by name or alias (of `county`).
    pub department: Option<&'a str>,
}

/// 乌恰县, the bundled list's county.
pub const WUQIA_COUNTY: Scope<'static> = Scope {
    county: Some("乌恰县"),
    town: None,
    department: None,
};

/// 乌恰县乌恰镇.
pub const WUQIA_TOWN: Scope<'static> = Scope {
    county: Some("乌恰县"),
    town: Some("乌恰镇"),
    department: None,
};

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

/// A token named `name` with `role` in `scope`; its secret.
pub async fn token(db: &DatabaseConnection, name: &str, role: Role, scope: Scope<'_>) -> String {
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
