//! A small client of the `graphql-transport-ws` protocol for tests, over
//! tokio-tungstenite: open a socket with a subprotocol, `connection_init` →
//! `connection_ack`, `subscribe` with an id, read `next`, `error` and
//! `complete`, answer `ping` with `pong`, and see the close frame. Every wait
//! for a message fails the test after [`WAIT`]; nothing sleeps.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use super::app::TestApp;

/// The longest wait for one message.
pub const WAIT: Duration = Duration::from_secs(20);

/// The subprotocol lvzhi speaks.
pub const TRANSPORT_WS: &str = "graphql-transport-ws";

/// What the server sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// `connection_ack`.
    Ack,
    /// `next`: a result of operation `id`.
    Next { id: String, payload: Value },
    /// `error`: operation `id` failed before executing.
    Error { id: String, errors: Value },
    /// `complete`: operation `id` is over.
    Complete { id: String },
    /// `pong`.
    Pong,
    /// The server closed the socket with this code and reason.
    Closed { code: u16, reason: String },
}

/// One socket to lvzhi.
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// The `ws://` URL of `path` on `app`.
pub fn url(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.address.replacen("http://", "ws://", 1))
}

impl WsClient {
    /// Open a socket to `path` asking for `subprotocols` (comma-separated;
    /// none when empty); the handshake's error when the server refuses it.
    pub async fn open(
        app: &TestApp,
        path: &str,
        subprotocols: &str,
    ) -> Result<WsClient, tokio_tungstenite::tungstenite::Error> {
        let mut request = url(app, path).into_client_request()?;
        if !subprotocols.is_empty() {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(subprotocols).unwrap(),
            );
        }
        let (socket, response) = tokio::time::timeout(WAIT, connect_async(request))
            .await
            .expect("the handshake is answered in time")?;
        if !subprotocols.is_empty() {
            assert_eq!(
                response
                    .headers()
                    .get("sec-websocket-protocol")
                    .and_then(|v| v.to_str().ok()),
                Some(TRANSPORT_WS),
                "the server speaks graphql-transport-ws"
            );
        }
        Ok(WsClient { socket })
    }

    /// Open a socket to `path` and initialise it with `payload`: the
    /// acknowledged client, or the close frame that refused it.
    pub async fn connect(app: &TestApp, path: &str, payload: Value) -> Result<WsClient, Received> {
        let mut client = WsClient::open(app, path, TRANSPORT_WS)
            .await
            .expect("the handshake succeeds");
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        match client.receive().await {
            Received::Ack => Ok(client),
            other => Err(other),
        }
    }

    /// [`WsClient::connect`] to `/graphql/ws` with `token` as
    /// `Authorization: Bearer …`, which must be acknowledged.
    pub async fn with_token(app: &TestApp, token: &str) -> WsClient {
        WsClient::connect(
            app,
            "/graphql/ws",
            json!({ "Authorization": format!("Bearer {token}") }),
        )
        .await
        .expect("the connection is acknowledged")
    }

    /// Send one protocol message.
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("the message is sent");
    }

    /// Start operation `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// Stop operation `id`.
    pub async fn complete(&mut self, id: &str) {
        self.send(json!({ "id": id, "type": "complete" })).await;
    }

    /// Send a `ping` and wait for its `pong` (answering the server's pings);
    /// every other message before it is returned, in order.
    pub async fn ping(&mut self) -> Vec<Received> {
        self.send(json!({ "type": "ping" })).await;
        let mut before = Vec::new();
        loop {
            match self.receive().await {
                Received::Pong => return before,
                closed @ Received::Closed { .. } => panic!("closed before the pong: {closed:?}"),
                other => before.push(other),
            }
        }
    }

    /// The next message, answering the server's pings on the way; fails the
    /// test when none comes within [`WAIT`].
    pub async fn receive(&mut self) -> Received {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no message from the server within {WAIT:?}"));
            let text = match frame {
                None => {
                    return Received::Closed {
                        code: 1006,
                        reason: "the connection ended without a close frame".into(),
                    };
                }
                Some(Err(e)) => {
                    return Received::Closed {
                        code: 1006,
                        reason: e.to_string(),
                    };
                }
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(frame) => Received::Closed {
                            code: frame.code.into(),
                            reason: frame.reason.to_string(),
                        },
                        None => Received::Closed {
                            code: 1005,
                            reason: String::new(),
                        },
                    };
                }
                Some(Ok(Message::Text(text))) => text.to_string(),
                Some(Ok(Message::Binary(bytes))) => String::from_utf8(bytes.to_vec()).unwrap(),
                Some(Ok(_)) => continue, // WebSocket-level ping/pong frames
            };
            let message: Value = serde_json::from_str(&text).expect("a JSON message");
            let id = || message["id"].as_str().expect("an id").to_owned();
            return match message["type"].as_str() {
                Some("connection_ack") => Received::Ack,
                Some("next") => Received::Next {
                    id: id(),
                    payload: message["payload"].clone(),
                },
                Some("error") => Received::Error {
                    id: id(),
                    errors: message["payload"].clone(),
                },
                Some("complete") => Received::Complete { id: id() },
                Some("pong") => Received::Pong,
                Some("ping") => {
                    self.send(json!({ "type": "pong" })).await;
                    continue;
                }
                _ => panic!("not a graphql-transport-ws message: {text}"),
            };
        }
    }

    /// The payload of the next message, which must be a `next` of `id`.
    pub async fn next_of(&mut self, id: &str) -> Value {
        match self.receive().await {
            Received::Next { id: got, payload } if got == id => payload,
            other => panic!("expected `next` of {id}, got {other:?}"),
        }
    }

    /// Close the socket (as a client that goes away).
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
