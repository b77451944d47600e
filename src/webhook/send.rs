//! One delivery attempt: the event as a Standard Webhooks message, signed
//! with every valid secret of the subscription, POSTed within the attempt's
//! time limit. Redirects are not followed, at most [`BODY_BOUND`] bytes of the
//! answer are read, and a name is resolved only to the addresses
//! [`super::address`] permits.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use entity::{event, webhook};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::json;

use super::address::{GuardedResolver, PrivateNetworks, permitted_url};
use super::sign;
use crate::domain::webhook::Outcome;

/// The most bytes of a receiver's answer read (for the error shown to admins).
pub const BODY_BOUND: usize = 4096;
/// The most characters of an answer kept as a delivery's error.
const ERROR_CHARS: usize = 200;

/// The message ID of an event: the receiver's idempotency key, the same for
/// every attempt and redelivery.
pub fn message_id(event: &event::Model) -> String {
    format!("evt_{}", event.sequence)
}

/// The body POSTed for `event`: `type`, `timestamp` and `data`, as the
/// Standard Webhooks specification suggests.
pub fn message(event: &event::Model) -> Vec<u8> {
    let summary: serde_json::Value =
        serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null);
    let body = json!({
        "type": event.kind,
        "timestamp": crate::domain::audit::instant_text(event.occurred_at),
        "data": {
            "id": message_id(event),
            "sequence": event.sequence,
            "subject": event.subject,
            "town": event.town,
            "listId": event.list_id.map(|l| crate::graphql::id::encode("DutyList", l).to_string()),
            "summary": summary,
        }
    });
    body.to_string().into_bytes()
}

/// Makes attempts; one per process, its connections reused.
pub struct Sender {
    client: reqwest::Client,
    allowed: Arc<PrivateNetworks>,
}

impl Sender {
    /// A sender whose attempts take at most `timeout` each.
    pub fn new(allowed: PrivateNetworks, timeout: Duration) -> anyhow::Result<Sender> {
        let allowed = Arc::new(allowed);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .dns_resolver(Arc::new(GuardedResolver(allowed.clone())))
            .user_agent(concat!("lvzhi-webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(2)
            .build()
            .context("cannot make the webhook HTTP client")?;
        Ok(Sender { client, allowed })
    }

    /// POST `event` to `hook` now (`now`: Unix ms).
    pub async fn send(&self, hook: &webhook::Model, event: &event::Model, now: i64) -> Outcome {
        let failed = |error: String| Outcome::Failed {
            status: None,
            error,
        };
        let url = match permitted_url(&hook.url, &self.allowed) {
            Ok(url) => url,
            Err(e) => return failed(e),
        };
        let body = message(event);
        let headers = match headers(hook, event, now, &body) {
            Ok(headers) => headers,
            Err(e) => return failed(e),
        };
        let response = self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await;
        match response {
            Ok(response) => outcome(response).await,
            Err(e) => failed(describe(&e)),
        }
    }
}

/// The Standard Webhooks headers of a message.
fn headers(
    hook: &webhook::Model,
    event: &event::Model,
    now: i64,
    body: &[u8],
) -> Result<HeaderMap, String> {
    let id = message_id(event);
    let timestamp = now.div_euclid(1000);
    let mut secrets = vec![hook.secret.as_str()];
    if let (Some(previous), Some(until)) = (&hook.previous_secret, hook.previous_secret_until)
        && until > now
    {
        secrets.push(previous);
    }
    let signature = sign::signature_header(&secrets, hook.hmac_sm3, &id, timestamp, body);
    if signature.is_empty() {
        return Err("the subscription's secret is unusable: rotate it".into());
    }
    let value = |text: String| HeaderValue::from_str(&text).map_err(|e| e.to_string());
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("webhook-id", value(id)?);
    headers.insert("webhook-timestamp", value(timestamp.to_string())?);
    headers.insert("webhook-signature", value(signature)?);
    Ok(headers)
}

/// What an answer means: 2xx delivered, 410 gone, anything else failed (a
/// redirect too: it is not followed).
async fn outcome(mut response: reqwest::Response) -> Outcome {
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Outcome::Delivered { status };
    }
    if status == 410 {
        return Outcome::Gone;
    }
    let mut read = Vec::new();
    while read.len() < BODY_BOUND {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                read.extend_from_slice(&chunk[..chunk.len().min(BODY_BOUND - read.len())])
            }
            _ => break,
        }
    }
    let text: String = String::from_utf8_lossy(&read)
        .chars()
        .take(ERROR_CHARS)
        .collect();
    let reason = if response.status().is_redirection() {
        "a redirect (not followed)".to_owned()
    } else {
        format!("the receiver answered {status}")
    };
    Outcome::Failed {
        status: Some(status),
        error: if text.trim().is_empty() {
            reason
        } else {
            format!("{reason}: {}", text.trim())
        },
    }
}

/// A transport failure in words, without the URL's query (it may hold keys).
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "no answer within the time limit"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {detail}")
    }
}
