//! HTTP: routes, the GraphQL endpoint (GraphiQL for browsers), and the
//! [`Application`] that ties configuration, database and listener together.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use async_graphql::http::GraphiQLSource;
use async_graphql_poem::GraphQL;
use poem::http::{Method, header};
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::web::{Html, Redirect};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server, get, handler};
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::db;
use crate::graphql::{LvzhiSchema, build_schema};
use crate::import::{self, Registry, Status};

/// The GraphQL endpoint: queries over GET and POST, GraphiQL for a browser's GET.
struct GraphQLEndpoint {
    inner: GraphQL<LvzhiSchema>,
}

impl Endpoint for GraphQLEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let wants_html = req.method() == Method::GET
            && req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"));
        if wants_html {
            return Ok(Html(
                GraphiQLSource::build()
                    .endpoint("/graphql")
                    .title("lvzhi")
                    .finish(),
            )
            .into_response());
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

#[handler]
fn index() -> Redirect {
    Redirect::see_other("/graphql")
}

/// Every route of lvzhi.
pub fn routes(schema: LvzhiSchema) -> impl Endpoint {
    Route::new().at("/", get(index)).at(
        "/graphql",
        GraphQLEndpoint {
            inner: GraphQL::new(schema),
        },
    )
}

/// A ready-to-run lvzhi: migrated database, seeded if empty, listener bound.
pub struct Application {
    acceptor: TcpAcceptor,
    addr: SocketAddr,
    db: DatabaseConnection,
}

impl Application {
    /// Connect and migrate, import the bundled Wuqia list into an empty database,
    /// and bind the listener (port 0 picks a free port).
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let db = db::connect(&config.database_url).await.with_context(|| {
            format!(
                "cannot connect to the database {}",
                redact(&config.database_url)
            )
        })?;
        db::migrate(&db)
            .await
            .context("cannot run the database migrations")?;
        if db::is_empty(&db)
            .await
            .context("cannot read the database")?
        {
            let registry = Registry::load(config.departments.as_deref())?;
            let imported = import::import(&db, import::BUNDLED_LIST, &registry, false)
                .await
                .context("cannot import the bundled Wuqia list")?;
            if imported.status != Status::Unchanged {
                tracing::info!(
                    list_id = imported.list_id,
                    "imported the bundled Wuqia list into the empty database"
                );
            }
        }
        let acceptor = TcpListener::bind(config.bind)
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .context("the listener has no socket address")?;
        Ok(Application { acceptor, addr, db })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve until `shutdown` completes, then let in-flight requests finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let schema = build_schema(self.db.clone());
        let app = routes(schema).with(poem::middleware::Tracing);
        let result = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown, Some(Duration::from_secs(10)))
            .await;
        if let Err(e) = self.db.close().await {
            tracing::warn!(error = %e, "closing the database pool failed");
        }
        result
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("sqlite://lvzhi.db?mode=rwc"),
            "sqlite://lvzhi.db?mode=rwc"
        );
    }
}
