//! Helpers for the audit log's tests: tokens made as the operator makes them
//! (`lvzhi token create`), `auditLog` asked with or without one, and the CSV
//! export fetched.

use entity::Role;
use lvzhi::auth::Actor;
use lvzhi::auth::token::{self, NewToken};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use super::app::TestApp;

/// Make a token named `name` with `role`, confined to `county` if given; its secret.
pub async fn token(
    db: &DatabaseConnection,
    name: &str,
    role: Role,
    county: Option<&str>,
) -> String {
    let new = NewToken {
        name: name.to_owned(),
        role,
        county: county.map(str::to_owned),
        town: None,
        department: None,
        expires_at: None,
    };
    token::create(db, new, &Actor::command_line())
        .await
        .expect("the token is made")
        .secret
}

/// Everything of an audit event `auditLog` selects in these tests.
pub const EVENT_FIELDS: &str = "id at actor role client requestId operation target \
                                beforeDigest afterDigest result documentNumber detail";

/// POST `query` with `variables`, with `Authorization: Bearer <secret>` when
/// `secret` is given: the HTTP status and the JSON body.
pub async fn ask(
    app: &TestApp,
    secret: Option<&str>,
    query: &str,
    variables: Value,
) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    let response = request.send().await.expect("the request is answered");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// `auditLog` with `arguments` (a GraphQL argument list, e.g. `first: 2`),
/// selecting the total, the page info and every field of the nodes.
pub async fn audit_log(app: &TestApp, secret: Option<&str>, arguments: &str) -> Value {
    let arguments = if arguments.is_empty() {
        String::new()
    } else {
        format!("({arguments})")
    };
    let query = format!(
        "{{ auditLog{arguments} {{ totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} \
         nodes {{ {EVENT_FIELDS} }} }} }}"
    );
    ask(app, secret, &query, json!({})).await.1
}

/// GET `/export/audit.csv?{query}`, with the token if given.
pub async fn export_csv(app: &TestApp, secret: Option<&str>, query: &str) -> reqwest::Response {
    let mut request = app
        .client
        .get(format!("{}/export/audit.csv?{query}", app.address));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    request.send().await.expect("the request is answered")
}
