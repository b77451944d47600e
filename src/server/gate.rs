//! Who asks, at the HTTP edge: the `Authorization: Bearer …` token checked
//! ([`crate::auth::token::authenticate`]), a refused one answered 401 — or,
//! after repeated refusals from one address, 429 after a delay
//! ([`crate::auth::throttle`]) — and reads closed to requests without a valid
//! token when `LVZHI_READS_REQUIRE_TOKEN` is set. [`Gate::check`] is the check
//! itself, which the WebSocket's `connection_init` shares. A token is never
//! logged.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use sea_orm::DatabaseConnection;

use crate::auth::throttle::{Throttle, Verdict};
use crate::auth::token::Refused;
use crate::auth::{Actor, Principal};
use crate::error::ErrorCode;

use super::observe::RequestId;
use super::reply;

/// The token check of every endpoint that has one.
#[derive(Debug)]
pub struct Gate {
    db: DatabaseConnection,
    throttle: Throttle,
    reads_require_token: bool,
}

impl Gate {
    /// Tokens checked against `db`; reads closed when `reads_require_token`.
    pub fn new(db: DatabaseConnection, reads_require_token: bool) -> Self {
        Gate {
            db,
            throttle: Throttle::default(),
            reads_require_token,
        }
    }

    /// Whether a read needs a valid token.
    pub fn reads_closed(&self) -> bool {
        self.reads_require_token
    }

    /// Who asks: the holder of the request's bearer token, checked, or no one.
    /// A token that is present but not valid is refused (401, or 429 when its
    /// address keeps presenting them), never passed over as no token.
    pub async fn actor(&self, req: &Request) -> Result<Actor, Response> {
        let address = req.remote_addr().as_socket_addr().map(|a| a.ip());
        let mut actor = Actor {
            client: address.map(|a| a.to_string()),
            request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
            ..Actor::default()
        };
        let Some(presented) = bearer(req).map_err(invalid_token)? else {
            return Ok(actor);
        };
        match self.check(presented, address).await {
            Ok(principal) => {
                actor.principal = Some(principal);
                Ok(actor)
            }
            Err(TokenRefused::Invalid { slowed: None }) => Err(invalid_token(
                "the token is not valid (unknown, expired or revoked)",
            )),
            Err(TokenRefused::Invalid {
                slowed: Some(retry_after),
            }) => Err(slowed(retry_after)),
            Err(TokenRefused::Unavailable(code)) => Err(reply::error_with_status(
                code.status(),
                code,
                "cannot check the token now",
            )),
        }
    }

    /// The holder of `presented`, a token from `address`, checked as every
    /// endpoint checks it (the WebSocket's `connection_init` too): an invalid
    /// one is counted against its address and, past the free failures,
    /// refused only after a delay.
    pub async fn check(
        &self,
        presented: &str,
        address: Option<IpAddr>,
    ) -> Result<Principal, TokenRefused> {
        match crate::auth::token::authenticate(&self.db, presented).await {
            Ok(principal) => Ok(principal),
            Err(Refused::Invalid) => Err(TokenRefused::Invalid {
                slowed: self.refuse(address).await,
            }),
            Err(Refused::Database(e)) => {
                tracing::error!(error = %e, "checking a token failed");
                Err(TokenRefused::Unavailable(ErrorCode::of_database(&e)))
            }
        }
    }

    /// [`Gate::actor`] for a read: without a valid token, refused (401) where
    /// reads are closed.
    pub async fn reader(&self, req: &Request) -> Result<Actor, Response> {
        let actor = self.actor(req).await?;
        if self.reads_require_token && actor.principal.is_none() {
            return Err(token_required(
                "reading needs a token here (LVZHI_READS_REQUIRE_TOKEN): send `Authorization: Bearer <token>`",
            ));
        }
        Ok(actor)
    }

    /// An invalid token from `address`: counted, and slowed down past the
    /// free failures (then when to retry, in seconds). Logged with the
    /// address, never the token.
    async fn refuse(&self, address: Option<IpAddr>) -> Option<u64> {
        let verdict = address.map_or(Verdict::Refuse, |a| self.throttle.failed(a, Instant::now()));
        match verdict {
            Verdict::Refuse => {
                tracing::warn!(client = ?address, "a request's token was refused");
                None
            }
            Verdict::Slow { delay, retry_after } => {
                tracing::warn!(
                    client = ?address,
                    delay_ms = delay.as_millis() as u64,
                    "a request's token was refused again: slowed down"
                );
                tokio::time::sleep(delay).await;
                Some(retry_after)
            }
        }
    }
}

/// Why [`Gate::check`] did not accept a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefused {
    /// Unknown, expired or revoked; `slowed` (when to retry, in seconds) when
    /// its address keeps presenting such tokens and the refusal was delayed.
    Invalid {
        /// When the address may retry without delay, when it was slowed down.
        slowed: Option<u64>,
    },
    /// The database could not tell (`DATABASE_UNAVAILABLE`, `TIMEOUT`, …).
    Unavailable(ErrorCode),
}

/// `endpoint`, answered only for a request `gate` lets read (any valid token
/// where reads are closed; anyone otherwise, without checking a token).
pub fn readers_only<E: Endpoint + 'static>(endpoint: E, gate: Arc<Gate>) -> impl Endpoint {
    endpoint.around(move |endpoint, req| {
        let gate = gate.clone();
        async move {
            if gate.reads_closed()
                && let Err(refused) = gate.reader(&req).await
            {
                return Ok(refused);
            }
            Ok(endpoint.call(req).await?.into_response())
        }
    })
}

/// The token of an `Authorization: Bearer …` header; `None` without the
/// header; why not, for any other scheme or a malformed value.
fn bearer(req: &Request) -> Result<Option<&str>, &'static str> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| "the Authorization header is not text")?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err("the Authorization header must be `Bearer <token>`"),
    }
}

/// A refused token (401), with the challenge RFC 6750 asks for.
fn invalid_token(message: &str) -> Response {
    reply::error(ErrorCode::Unauthenticated, message)
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        )
        .into_response()
}

/// A request without a token where one is needed (401), with the challenge
/// RFC 6750 asks for when no credentials were sent.
pub fn token_required(message: &str) -> Response {
    reply::error(ErrorCode::Unauthenticated, message)
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(CHALLENGE),
        )
        .into_response()
}

/// The challenge of a request that sent no token.
pub const CHALLENGE: &str = "Bearer realm=\"lvzhi\"";

/// A refused token from an address that keeps presenting them (429).
fn slowed(retry_after: u64) -> Response {
    reply::error_with_status(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unauthenticated,
        &format!(
            "the token is not valid, and too many invalid tokens came from this address; \
             retry after {retry_after} s"
        ),
    )
    .with_header(header::RETRY_AFTER, retry_after)
    .with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    )
    .into_response()
}
