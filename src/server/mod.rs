//! HTTP: routes, the GraphQL endpoint (GraphiQL for browsers), and the
//! [`Application`] that ties configuration, database and listener together.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_poem::GraphQLBatchRequest;
use poem::http::{Method, StatusCode, header};
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::web::{Data, Html, Path, Redirect};
use poem::{
    Endpoint, EndpointExt, FromRequest, IntoResponse, Request, Response, Route, Server, get,
    handler,
};
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::db;
use crate::export::{self, ExportError};
use crate::graphql::Api;
use crate::import::{self, Registry, Status};

/// The media type of GraphQL-over-HTTP responses, for clients that accept it.
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The GraphQL endpoint, as the GraphQL-over-HTTP spec has it: queries over GET
/// and POST (`application/json`), responses as `application/json` (always 200) or,
/// for clients that accept it, `application/graphql-response+json` (400 without
/// `data` when the request fails before execution); GraphiQL for a browser's GET.
struct GraphQLEndpoint {
    api: Api,
}

impl Endpoint for GraphQLEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let graphql_json = accept.contains(GRAPHQL_RESPONSE_JSON);
        match *req.method() {
            Method::GET => {
                let query = req.uri().query().unwrap_or("");
                let asks_query = query.split('&').any(|pair| pair.starts_with("query="));
                if accept.contains("text/html") && !asks_query {
                    return Ok(Html(
                        GraphiQLSource::build()
                            .endpoint("/graphql")
                            .title("lvzhi")
                            .finish(),
                    )
                    .into_response());
                }
                if !asks_query {
                    return Ok(request_error(
                        StatusCode::BAD_REQUEST,
                        "a GET request needs a `query` parameter",
                    ));
                }
            }
            Method::POST => {
                let json = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(';').next())
                    .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
                if !json {
                    return Ok(request_error(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "a POST request needs the content type application/json",
                    ));
                }
            }
            _ => {
                return Ok(
                    request_error(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST")
                        .with_header(header::ALLOW, "GET, POST")
                        .into_response(),
                );
            }
        }
        let (req, mut body) = req.split();
        let batch = match GraphQLBatchRequest::from_request(&req, &mut body).await {
            Ok(batch) => batch.0,
            Err(e) => {
                return Ok(request_error(
                    StatusCode::BAD_REQUEST,
                    &format!("malformed GraphQL request: {e}"),
                ));
            }
        };
        let requests = match &batch {
            BatchRequest::Single(r) => std::slice::from_ref(r),
            BatchRequest::Batch(rs) => rs.as_slice(),
        };
        if requests.is_empty() || requests.iter().any(|r| r.query.trim().is_empty()) {
            return Ok(request_error(
                StatusCode::BAD_REQUEST,
                "the request has no `query`",
            ));
        }
        GRAPHQL_REQUESTS.fetch_add(1, Ordering::Relaxed);
        let response = self.api.execute_batch(batch).await;
        Ok(render(&response, graphql_json))
    }
}

/// An error response to a request that could not be read as GraphQL.
fn request_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }] });
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}

/// Serialize a GraphQL response in the negotiated media type.
fn render(response: &BatchResponse, graphql_json: bool) -> Response {
    let mut status = StatusCode::OK;
    // Serialized straight from the response, so fields keep the query's order.
    let body = match response {
        BatchResponse::Single(single)
            if graphql_json
                && single.data == async_graphql::Value::Null
                && !single.errors.is_empty()
                && single.errors.iter().all(|e| e.path.is_empty()) =>
        {
            // The request failed before execution: a 400, and no `data` entry.
            status = StatusCode::BAD_REQUEST;
            serde_json::to_vec(&serde_json::json!({ "errors": single.errors }))
        }
        _ => serde_json::to_vec(response),
    };
    let body = body.unwrap_or_else(|_| {
        br#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#.to_vec()
    });
    let content_type = if graphql_json {
        "application/graphql-response+json; charset=utf-8"
    } else {
        "application/json; charset=utf-8"
    };
    Response::builder()
        .status(status)
        .content_type(content_type)
        .body(body)
}

#[handler]
fn index() -> Redirect {
    Redirect::see_other("/graphql")
}

/// GraphQL requests served since start-up.
static GRAPHQL_REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Counters in the Prometheus text format.
#[handler]
fn metrics() -> Response {
    let body = format!(
        "# HELP lvzhi_graphql_requests_total GraphQL requests executed.\n\
         # TYPE lvzhi_graphql_requests_total counter\n\
         lvzhi_graphql_requests_total {}\n\
         # HELP lvzhi_sql_statements_total SQL statements run.\n\
         # TYPE lvzhi_sql_statements_total counter\n\
         lvzhi_sql_statements_total {}\n",
        GRAPHQL_REQUESTS.load(Ordering::Relaxed),
        db::statements_run()
    );
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

/// The XLSX media type.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file download, or the export error as a status and a JSON body with a `code`.
fn download(result: Result<Vec<u8>, ExportError>, content_type: &str, file_name: &str) -> Response {
    match result {
        Ok(bytes) => Response::builder()
            .content_type(content_type)
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            )
            .body(bytes),
        Err(e) => {
            let status = match e.code() {
                "NOT_FOUND" => StatusCode::NOT_FOUND,
                "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
                _ => {
                    tracing::error!(error = %e, "export failed");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
                "internal error".to_owned()
            } else {
                e.to_string()
            };
            let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": e.code() } }] });
            Response::builder()
                .status(status)
                .content_type("application/json; charset=utf-8")
                .body(body.to_string())
        }
    }
}

/// `{id}.xlsx` or `{id}.csv` → (the key of an ID of `type_name`, extension).
fn file_key(file: &str, type_name: &str) -> Option<(i32, &'static str)> {
    let (stem, ext) = file.rsplit_once('.')?;
    let ext = match ext {
        "xlsx" => "xlsx",
        "csv" => "csv",
        _ => return None,
    };
    let key = crate::graphql::id::decode(&async_graphql::ID(stem.to_owned()), type_name).ok()?;
    Some((key, ext))
}

/// `GET /export/{listId}.xlsx` and `.csv`: the list in the official table layout.
#[handler]
async fn export_list(Path(file): Path<String>, db: Data<&DatabaseConnection>) -> Response {
    let Some((list, ext)) = file_key(&file, "DutyList") else {
        return download(Err(ExportError::NotFound(format!("`{file}`"))), "", "");
    };
    if ext == "csv" {
        download(
            export::list_csv(&db, list).await,
            "text/csv; charset=utf-8",
            &file,
        )
    } else {
        download(export::list_xlsx(&db, list).await, XLSX, &file)
    }
}

/// `GET /export/{listId}/departments/{departmentId}.xlsx`: one department's workbook.
#[handler]
async fn export_department(
    Path((list, file)): Path<(String, String)>,
    db: Data<&DatabaseConnection>,
) -> Response {
    let list = crate::graphql::id::decode(&async_graphql::ID(list.clone()), "DutyList").ok();
    match (list, file_key(&file, "Department")) {
        (Some(list), Some((department, "xlsx"))) => download(
            export::department_xlsx(&db, list, department).await,
            XLSX,
            &file,
        ),
        _ => download(Err(ExportError::NotFound(format!("`{file}`"))), "", ""),
    }
}

/// Every route of lvzhi.
pub fn routes(api: Api, db: DatabaseConnection) -> impl Endpoint {
    Route::new()
        .at("/", get(index))
        .at("/metrics", get(metrics))
        .at("/graphql", GraphQLEndpoint { api })
        .at("/export/:file", get(export_list).data(db.clone()))
        .at(
            "/export/:list/departments/:file",
            get(export_department).data(db),
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
        let db = open_database(config).await?;
        let indexed = crate::search::backfill(&db)
            .await
            .context("cannot build the search index")?;
        if indexed > 0 {
            tracing::info!(
                duties = indexed,
                "indexed duties imported before the search index existed"
            );
        }
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
        let app =
            routes(Api::new(self.db.clone()), self.db.clone()).with(poem::middleware::Tracing);
        let result = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown, Some(Duration::from_secs(10)))
            .await;
        if let Err(e) = self.db.close().await {
            tracing::warn!(error = %e, "closing the database pool failed");
        }
        result
    }
}

/// Connect to the configured database and apply pending migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(&config.database_url).await.with_context(|| {
        format!(
            "cannot connect to the database {}",
            redact(&config.database_url)
        )
    })?;
    db::migrate(&db)
        .await
        .context("cannot run the database migrations")?;
    Ok(db)
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
