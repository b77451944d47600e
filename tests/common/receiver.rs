//! A webhook receiver for tests: a real HTTP server on port 0 that records
//! every delivery and answers with the status the test sets (or never, to
//! hang an attempt), and an independent check of Standard Webhooks signatures.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Body, Request, Response, Server};
use serde_json::Value;
use tokio::sync::Notify;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: String,
    /// `webhook-signature`.
    pub signature: String,
    /// The body as sent.
    pub raw: Vec<u8>,
    /// The body as JSON.
    pub body: Value,
    /// What the receiver answered.
    pub answered: u16,
}

#[derive(Default)]
struct State {
    got: Mutex<Vec<Delivery>>,
    arrived: Notify,
    /// The status to answer; 0: never answer.
    answer: AtomicU16,
}

/// A running receiver.
pub struct Receiver {
    /// Its URL.
    pub url: String,
    state: Arc<State>,
}

impl Receiver {
    /// A receiver answering 200 until told otherwise.
    pub async fn start() -> Receiver {
        let state = Arc::new(State::default());
        state.answer.store(200, Ordering::SeqCst);
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let shared = state.clone();
        let endpoint = poem::endpoint::make(move |req: Request| {
            let state = shared.clone();
            async move { receive(&state, req).await }
        });
        tokio::spawn(Server::new_with_acceptor(acceptor).run(endpoint));
        Receiver {
            url: format!("http://{addr}/hooks/lvzhi"),
            state,
        }
    }

    /// Answer `status` from now on (0: never answer).
    pub fn answer(&self, status: u16) {
        self.state.answer.store(status, Ordering::SeqCst);
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Delivery> {
        self.state.got.lock().unwrap().clone()
    }

    /// Wait (at most a minute) until `done` holds of the requests so far.
    pub async fn until(&self, what: &str, done: impl Fn(&[Delivery]) -> bool) -> Vec<Delivery> {
        let wait = async {
            loop {
                let arrived = self.state.arrived.notified();
                let got = self.received();
                if done(&got) {
                    return got;
                }
                arrived.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .unwrap_or_else(|_| panic!("the receiver never got {what}: {:#?}", self.received()))
    }

    /// Wait until `n` distinct events were answered 2xx; their first such
    /// deliveries, in arrival order.
    pub async fn delivered(&self, n: usize) -> Vec<Delivery> {
        let got = self
            .until(&format!("{n} events delivered"), |got| {
                distinct_ok(got).len() >= n
            })
            .await;
        distinct_ok(&got)
    }
}

/// The first 2xx-answered delivery of each event, in arrival order.
pub fn distinct_ok(got: &[Delivery]) -> Vec<Delivery> {
    let mut seen = std::collections::HashSet::new();
    got.iter()
        .filter(|d| (200..300).contains(&d.answered) && seen.insert(d.id.clone()))
        .cloned()
        .collect()
}

async fn receive(state: &State, req: Request) -> Response {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let raw = req.into_body().into_vec().await.unwrap_or_default();
    let answer = state.answer.load(Ordering::SeqCst);
    state.got.lock().unwrap().push(Delivery {
        id,
        timestamp,
        signature,
        body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        raw,
        answered: answer,
    });
    state.arrived.notify_waiters();
    if answer == 0 {
        std::future::pending::<()>().await;
    }
    Response::builder()
        .status(poem::http::StatusCode::from_u16(answer).unwrap())
        .body(Body::from_string("{}".to_owned()))
}

/// Whether some `v1` entry of the delivery's signature is the HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under `secret` — as the specification tells a
/// receiver to check, written here independently of lvzhi's signer.
pub fn verifies(secret: &str, d: &Delivery) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", d.id, d.timestamp).as_bytes());
    mac.update(&d.raw);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    d.signature
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .any(|sig| sig == expected)
}
