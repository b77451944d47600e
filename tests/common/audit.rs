//! Helpers for the audit log's tests: `auditLog` asked with or without a
//! token, and the CSV export fetched.

use serde_json::{Value, json};

use super::app::TestApp;

/// Everything of an audit event `auditLog` selects in these tests.
pub const EVENT_FIELDS: &str = "id at actor role client requestId operation target \
                                beforeDigest afterDigest result documentNumber detail";

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
    super::tokens::post_as(app, secret, &query, json!({}))
        .await
        .1
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
