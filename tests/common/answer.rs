//! A request's answer as the limit and fault tests read it: status, JSON body
//! and how long it took.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::app::TestApp;

/// The answer to a hostile request: its status, its body, how long it took.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body as JSON, or `{"raw": text}` when it is not JSON.
    pub body: Value,
    /// From sending the request to the end of the body.
    pub took: Duration,
}

impl Answer {
    /// The `code` of the first error.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }
}

/// Send `request` and read its answer.
pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let started = Instant::now();
    let response = request.send().await.expect("the request is answered");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let took = started.elapsed();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
    Answer { status, body, took }
}

/// POST `body` with `content_type` to `/graphql`.
pub async fn post_raw(app: &TestApp, content_type: &str, body: Vec<u8>) -> Answer {
    send(
        app.client
            .post(format!("{}/graphql", app.address))
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

/// POST `body` as JSON to `/graphql`.
pub async fn post_json(app: &TestApp, body: &Value) -> Answer {
    post_raw(app, "application/json", serde_json::to_vec(body).unwrap()).await
}
