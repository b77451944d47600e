//! `/healthz` (liveness: the process answers; no database) and `/readyz`
//! (readiness: the database answers a ping in time, and the server is not
//! draining for shutdown).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Response, handler};
use sea_orm::DatabaseConnection;

/// Shared between the readiness probe and shutdown.
#[derive(Default)]
pub struct Health {
    draining: AtomicBool,
}

impl Health {
    /// Shutdown has begun: readiness turns 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

/// How long `/readyz` waits for the database.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);

fn status(code: StatusCode, status: &str) -> Response {
    Response::builder()
        .status(code)
        .content_type("application/json; charset=utf-8")
        .body(serde_json::json!({ "status": status }).to_string())
}

/// Liveness (`/healthz`): 200 while the process serves requests at all.
#[handler]
pub fn healthz() -> Response {
    status(StatusCode::OK, "ok")
}

/// Readiness (`/readyz`): whether to send this instance traffic (not while
/// draining, nor while the database is unreachable).
#[handler]
pub async fn readyz(health: Data<&Arc<Health>>, db: Data<&DatabaseConnection>) -> Response {
    if health.is_draining() {
        return status(StatusCode::SERVICE_UNAVAILABLE, "draining");
    }
    match tokio::time::timeout(PING_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => status(StatusCode::OK, "ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database ping failed");
            status(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => status(StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
