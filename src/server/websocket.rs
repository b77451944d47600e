//! GraphQL over WebSocket: subscriptions ([`crate::graphql::subscription`]) at
//! `/graphql/ws`, and at `/graphql` for a request that asks to upgrade
//! ([`OrWebSocket`]), in the `graphql-transport-ws` protocol only — the one
//! the `graphql-ws` npm library speaks; async-graphql calls it
//! `Protocols::GraphQLWS`. The legacy subscriptions-transport-ws protocol,
//! whose subprotocol is confusingly named `graphql-ws`, is refused before the
//! upgrade (400), as is a request that names no subprotocol we speak.
//!
//! Who asks is told in `connection_init`, as browsers cannot set headers on a
//! WebSocket: `{"Authorization": "Bearer lvz_…"}` (any case) or `{"token":
//! "lvz_…"}`, checked by the HTTP endpoints' own check ([`Gate::check`], with
//! its throttle). An unknown, expired or revoked token — or none, where reads
//! need one (`LVZHI_READS_REQUIRE_TOKEN`) — closes the socket with 4403
//! `Forbidden`, before any `connection_ack`; a database that cannot tell
//! closes it with 4500. Without a token a connection is accepted, and
//! `events` then answers `UNAUTHENTICATED`, as the query does. The checked
//! [`Actor`] goes into every operation's data, as the HTTP endpoint puts it.
//!
//! The protocol itself is async-graphql's; this module maps its close codes
//! to the spec's (4400 for a malformed message, 4401 for a `subscribe` before
//! the `connection_ack`), closes a socket that sends no `connection_init`
//! within [`INIT_TIMEOUT`] (4408), and holds messages to the body size limit.
//! Operations run through [`Api::execute_stream`]: the schema's limits, no
//! response cache, mutations refused.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_graphql::http::{WebSocket as Protocol, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor};
use futures_util::stream::BoxStream;
use futures_util::{SinkExt, StreamExt, future};
use poem::http::{Method, header};
use poem::web::websocket::{Message, WebSocket, WebSocketConfig, WebSocketStream};
use poem::{Endpoint, FromRequest, IntoResponse, Request, Response};
use serde_json::Value;

use crate::auth::{Actor, Principal};
use crate::error::ErrorCode;
use crate::graphql::Api;

use super::gate::{Gate, TokenRefused};
use super::observe::RequestId;
use super::reply;

/// The one subprotocol spoken: `graphql-transport-ws`.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// How long a socket may stay open without sending `connection_init`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The WebSocket endpoint of the GraphQL API.
#[derive(Clone)]
pub struct SubscriptionEndpoint {
    /// The executable API.
    pub api: Api,
    /// The token check, its throttle, and whether reads need a token.
    pub gate: Arc<Gate>,
}

impl Endpoint for SubscriptionEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if !is_upgrade(&req) {
            return Ok(reply::error(
                ErrorCode::BadRequest,
                "this is the GraphQL WebSocket endpoint: open a WebSocket with the \
                 graphql-transport-ws subprotocol",
            ));
        }
        if !offers_subprotocol(&req) {
            return Ok(reply::error(
                ErrorCode::BadRequest,
                "only the graphql-transport-ws subprotocol is spoken here (not the legacy \
                 graphql-ws of subscriptions-transport-ws): ask for it in Sec-WebSocket-Protocol",
            ));
        }
        let actor = Actor {
            client: client_address(&req).map(|a| a.to_string()),
            request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
            ..Actor::default()
        };
        let (req, mut body) = req.split();
        let websocket = WebSocket::from_request(&req, &mut body).await?;
        let bytes = self.api.limits().body_bytes;
        let config = WebSocketConfig::default()
            .max_message_size(Some(bytes))
            .max_frame_size(Some(bytes));
        let api = self.api.clone();
        let gate = self.gate.clone();
        Ok(websocket
            .protocols([SUBPROTOCOL])
            .config(config)
            .on_upgrade(move |socket| serve(socket, api, gate, actor))
            .into_response())
    }
}

/// `http` for HTTP requests, and the WebSocket endpoint for a request that
/// asks to upgrade: most clients (GraphiQL among them) subscribe on the URL
/// they query.
pub struct OrWebSocket<E> {
    /// The HTTP endpoint.
    pub http: E,
    /// The WebSocket endpoint.
    pub websocket: SubscriptionEndpoint,
}

impl<E: Endpoint> Endpoint for OrWebSocket<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if is_upgrade(&req) {
            self.websocket.call(req).await
        } else {
            self.http.call(req).await.map(IntoResponse::into_response)
        }
    }
}

/// Whether `req` asks to become a WebSocket.
fn is_upgrade(req: &Request) -> bool {
    req.method() == Method::GET
        && req
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"))
}

/// Whether `req` offers `graphql-transport-ws` among its subprotocols.
fn offers_subprotocol(req: &Request) -> bool {
    req.headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == SUBPROTOCOL)
}

fn client_address(req: &Request) -> Option<IpAddr> {
    req.remote_addr().as_socket_addr().map(|a| a.ip())
}

/// Where a connection stands with its `connection_init`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admission {
    /// None received yet.
    Waiting,
    /// Received; the token is being checked.
    Checking,
    /// Acknowledged.
    Admitted,
    /// Refused: the socket closes with this code and reason.
    Refused(Close),
}

/// A close frame of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Close {
    code: u16,
    reason: &'static str,
}

/// An unknown, expired or revoked token, or none where reads need one.
const FORBIDDEN: Close = Close {
    code: 4403,
    reason: "Forbidden",
};

/// The token could not be checked (the database).
const CANNOT_CHECK: Close = Close {
    code: 4500,
    reason: "cannot check the token now",
};

/// No `connection_init` in time.
const INIT_TIMED_OUT: Close = Close {
    code: 4408,
    reason: "Connection initialisation timeout",
};

/// One connection's executor: the API, with the connection's actor in each
/// operation's data.
#[derive(Clone)]
struct Connection {
    api: Api,
    actor: Arc<OnceLock<Actor>>,
}

impl Connection {
    fn request(&self, request: async_graphql::Request) -> async_graphql::Request {
        // The protocol runs no operation before `connection_ack`, which
        // follows setting the actor.
        request.data(self.actor.get().cloned().unwrap_or_default())
    }
}

impl Executor for Connection {
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        self.api.execute(self.request(request)).await
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        _session: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        self.api.execute_stream(self.request(request))
    }
}

/// Speak `graphql-transport-ws` over `socket` until either side closes it.
async fn serve(socket: WebSocketStream, api: Api, gate: Arc<Gate>, actor: Actor) {
    let (mut sink, incoming) = socket.split();
    let incoming = incoming
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(m) if m.is_text() || m.is_binary() => Some(m.into_bytes()),
                _ => None,
            })
        });
    let admission = Arc::new(Mutex::new(Admission::Waiting));
    let connection = Connection {
        api,
        actor: Arc::default(),
    };
    let init = {
        let admission = admission.clone();
        let admitted = connection.actor.clone();
        move |payload: Value| async move {
            set(&admission, Admission::Checking);
            match admit(&gate, &payload, &actor).await {
                Ok(principal) => {
                    let _ = admitted.set(Actor { principal, ..actor });
                    set(&admission, Admission::Admitted);
                    Ok(Data::default())
                }
                Err(close) => {
                    set(&admission, Admission::Refused(close));
                    Err(async_graphql::Error::new(close.reason))
                }
            }
        }
    };
    let mut protocol = std::pin::pin!(
        Protocol::new(connection, incoming, WebSocketProtocols::GraphQLWS).on_connection_init(init)
    );
    let deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        let waiting = get(&admission) == Admission::Waiting;
        let message = tokio::select! {
            message = protocol.next() => match message {
                Some(message) => message,
                None => break,
            },
            () = &mut deadline, if waiting => {
                WsMessage::Close(INIT_TIMED_OUT.code, INIT_TIMED_OUT.reason.to_owned())
            }
        };
        let (message, last) = match message {
            WsMessage::Text(text) => (Message::Text(text), false),
            WsMessage::Close(code, reason) => {
                let (code, reason) = close_frame(get(&admission), code, reason);
                (Message::close_with(code, reason), true)
            }
        };
        if sink.send(message).await.is_err() || last {
            break;
        }
    }
}

fn set(admission: &Mutex<Admission>, to: Admission) {
    *admission.lock().unwrap_or_else(|e| e.into_inner()) = to;
}

fn get(admission: &Mutex<Admission>) -> Admission {
    *admission.lock().unwrap_or_else(|e| e.into_inner())
}

/// The close frame the spec gives for async-graphql's `code`: a refused
/// `connection_init` with our code, a malformed message with 4400, a
/// `subscribe` before the `connection_ack` with 4401.
fn close_frame(admission: Admission, code: u16, reason: String) -> (u16, String) {
    match (admission, code) {
        (Admission::Refused(close), _) => (close.code, close.reason.to_owned()),
        (_, 1002) => (4400, reason),
        (Admission::Waiting | Admission::Checking, 1011) => (4401, "Unauthorized".to_owned()),
        _ => (code, reason),
    }
}

/// Who a `connection_init` payload says asks: its token's holder, checked,
/// or no one; refused when its token is not valid, or when it has none and
/// reads need one.
async fn admit(gate: &Gate, payload: &Value, actor: &Actor) -> Result<Option<Principal>, Close> {
    let address = actor.client.as_deref().and_then(|a| a.parse().ok());
    let Some(presented) = presented_token(payload).map_err(|why| {
        tracing::warn!(client = ?address, why, "a WebSocket's connection_init was refused");
        FORBIDDEN
    })?
    else {
        if gate.reads_closed() {
            tracing::info!(client = ?address, "a WebSocket without a token was refused: reads need one");
            return Err(FORBIDDEN);
        }
        return Ok(None);
    };
    match gate.check(presented, address).await {
        Ok(principal) => Ok(Some(principal)),
        Err(TokenRefused::Invalid { .. }) => Err(FORBIDDEN),
        Err(TokenRefused::Unavailable(_)) => Err(CANNOT_CHECK),
    }
}

/// The token of a `connection_init` payload: `Authorization` (in any case)
/// as `Bearer <token>`, or `token`; `None` without either (or without a
/// payload object); why not, for a value of another form.
fn presented_token(payload: &Value) -> Result<Option<&str>, &'static str> {
    let Some(fields) = payload.as_object() else {
        return Ok(None);
    };
    let authorization = fields
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value)
        .filter(|value| !value.is_null());
    if let Some(value) = authorization {
        let text = value.as_str().ok_or("Authorization is not text")?;
        return match text.trim().split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Ok(Some(token.trim()))
            }
            _ => Err("Authorization must be `Bearer <token>`"),
        };
    }
    match fields.get("token") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(token)) if !token.trim().is_empty() => Ok(Some(token.trim())),
        Some(_) => Err("token must be the token's text"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_token_is_read_from_authorization_in_any_case_or_from_token() {
        for payload in [
            json!({ "Authorization": "Bearer lvz_x" }),
            json!({ "authorization": "bearer lvz_x" }),
            json!({ "token": "lvz_x" }),
            json!({ "token": " lvz_x ", "other": 1 }),
        ] {
            assert_eq!(presented_token(&payload), Ok(Some("lvz_x")), "{payload}");
        }
        for payload in [
            json!(null),
            json!({}),
            json!({ "Authorization": null }),
            json!("lvz_x"),
        ] {
            assert_eq!(presented_token(&payload), Ok(None), "{payload}");
        }
        for payload in [
            json!({ "Authorization": "lvz_x" }),
            json!({ "Authorization": "Basic abc" }),
            json!({ "Authorization": 5 }),
            json!({ "token": "" }),
            json!({ "token": ["lvz_x"] }),
        ] {
            assert!(presented_token(&payload).is_err(), "{payload}");
        }
    }

    #[test]
    fn close_codes_follow_the_spec() {
        assert_eq!(
            close_frame(Admission::Refused(FORBIDDEN), 1002, "x".into()),
            (4403, "Forbidden".to_owned())
        );
        assert_eq!(
            close_frame(Admission::Admitted, 1002, "bad".into()),
            (4400, "bad".to_owned())
        );
        assert_eq!(
            close_frame(Admission::Waiting, 1011, "x".into()),
            (4401, "Unauthorized".to_owned())
        );
        assert_eq!(
            close_frame(Admission::Admitted, 4429, "Too many".into()),
            (4429, "Too many".to_owned())
        );
    }
}
