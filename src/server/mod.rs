//! HTTP: routes, middleware and the [`Application`] that ties configuration,
//! database and listener together. The GraphQL endpoint is in [`graphql`],
//! the file downloads in [`export`], request IDs and logs in [`observe`],
//! liveness and readiness in [`health`], the embedded GraphiQL and dashboard
//! pages in [`assets`], error responses outside GraphQL in [`reply`]; who
//! asks in [`gate`], idempotency keys of mutations in [`idempotency`];
//! subscriptions over WebSocket in [`websocket`].

pub mod assets;
pub mod audit;
pub mod export;
pub mod gate;
pub mod graphql;
pub mod health;
pub mod idempotency;
pub mod observe;
pub mod reply;
pub mod websocket;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use poem::http::{Method, header};
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::middleware::Cors;
use poem::web::{Data, Redirect};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server, get, handler};
use sea_orm::DatabaseConnection;

use crate::cache::ResponseCache;
use crate::changes::Changes;
use crate::config::Config;
use crate::db;
use crate::db::reads::Reads;
use crate::graphql::{Api, Follow};
use crate::metrics::Metrics;

use self::gate::{Gate, readers_only};
use self::graphql::GraphQLEndpoint;
use self::health::Health;
use self::websocket::{OrWebSocket, SubscriptionEndpoint};

/// `/`: the dashboard for a browser when it is on; for any other client, as
/// before the dashboard existed, a redirect to the endpoint.
#[handler]
fn index(req: &Request, enabled: Data<&assets::Enabled>) -> Response {
    if enabled.dashboard && assets::wants_html(req) {
        return assets::dashboard_page(req);
    }
    let redirect = Redirect::see_other("/graphql").into_response();
    if enabled.dashboard {
        redirect.with_header(header::VARY, "Accept").into_response()
    } else {
        redirect
    }
}

/// What the metrics page needs.
struct MetricsState {
    metrics: Arc<Metrics>,
    db: DatabaseConnection,
    reads: Arc<Reads>,
    max_connections: u32,
    cache: Option<Arc<ResponseCache>>,
    webhooks: Arc<crate::webhook::worker::Stats>,
    documents: Arc<crate::graphql::documents::Documents>,
}

/// `/metrics`: the Prometheus text format.
#[handler]
async fn metrics_page(state: Data<&Arc<MetricsState>>) -> Response {
    let mut body = state.metrics.render(
        &state.db,
        state.max_connections,
        state.cache.as_ref().map(|c| c.stats()),
    );
    crate::metrics::render_reads(&mut body, &state.reads.stats());
    crate::metrics::render_documents(&mut body, state.documents.hits());
    crate::metrics::render_events(&mut body, &state.db, &state.webhooks).await;
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

/// The delivery worker `config` asks for.
fn delivery_worker(
    config: &Config,
    sender: crate::webhook::send::Sender,
    db: DatabaseConnection,
    stats: Arc<crate::webhook::worker::Stats>,
) -> crate::webhook::worker::Worker {
    let hooks = &config.webhooks;
    crate::webhook::worker::Worker {
        db,
        sender,
        policy: crate::domain::webhook::RetryPolicy {
            first_delay_ms: hooks.first_retry.as_millis() as i64,
            max_delay_ms: 3_600_000,
            period_ms: hooks.retry_period.as_millis() as i64,
        },
        workers: hooks.workers,
        poll: hooks.poll,
        timeout: hooks.timeout,
        stats,
    }
}

/// Every route of lvzhi, with its middleware.
fn routes(
    config: &Config,
    reads: Arc<Reads>,
    health: Arc<Health>,
    cache: Option<Arc<ResponseCache>>,
    lexicon: crate::admission::Lexicon,
    changes: Changes,
    webhooks: Arc<crate::webhook::worker::Stats>,
) -> impl Endpoint + use<> {
    let metrics = Arc::new(Metrics::default());
    let db = reads.primary().clone();
    // Subscriptions follow this process's wake-ups, and look again every poll.
    let follow = Follow {
        changes: changes.clone(),
        poll: config.cache.poll,
    };
    let api = Api::following(db.clone(), &config.limits, config.environment, follow)
        .with_lexicon(lexicon)
        .with_webhook_networks(config.webhooks.allow_private.clone())
        .reading(reads.clone());
    let metrics_state = Arc::new(MetricsState {
        metrics: metrics.clone(),
        db: db.clone(),
        reads,
        max_connections: config.pool.max_connections,
        cache: cache.clone(),
        webhooks,
        documents: api.documents().clone(),
    });
    let enabled = assets::Enabled {
        graphiql: config.environment == crate::config::Environment::Development,
        dashboard: config.dashboard,
    };
    assets::prepare();
    let gate = Arc::new(Gate::new(db.clone(), config.reads_require_token));
    let websocket = SubscriptionEndpoint {
        api: api.clone(),
        gate: gate.clone(),
    };
    let route = Route::new()
        .at("/", get(index).data(enabled))
        .at("/assets/:version/*path", get(assets::serve).data(enabled))
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz).data(health).data(db.clone()))
        .at("/metrics", get(metrics_page).data(metrics_state))
        .at(
            "/graphql",
            OrWebSocket {
                http: GraphQLEndpoint {
                    api,
                    environment: config.environment,
                    metrics,
                    cache,
                    gate: gate.clone(),
                    idempotency_ttl: config.idempotency_ttl,
                    changes,
                },
                websocket: websocket.clone(),
            },
        )
        .at("/graphql/ws", websocket)
        // A static segment wins over `:file`: `diff.xlsx` is no list.
        .at(
            "/export/diff.xlsx",
            readers_only(get(export::export_diff).data(db.clone()), gate.clone()),
        )
        .at(
            "/export/:file",
            readers_only(get(export::export_list).data(db.clone()), gate.clone()),
        )
        .at(
            "/export/audit.csv",
            get(audit::export_audit).data(db.clone()).data(gate.clone()),
        )
        .at(
            "/export/:list/departments/:file",
            readers_only(get(export::export_department).data(db), gate),
        );
    // No CORS headers at all unless origins are configured: browsers then refuse
    // cross-origin reads.
    let cors = (!config.cors_origins.is_empty()).then(|| {
        let cors = Cors::new()
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::AUTHORIZATION,
                header::HeaderName::from_static(idempotency::HEADER),
                header::HeaderName::from_static(observe::REQUEST_ID),
            ])
            .expose_headers([
                header::HeaderName::from_static(observe::REQUEST_ID),
                header::HeaderName::from_static(idempotency::REPLAYED),
                header::HeaderName::from_static(graphql::STALE),
            ])
            .max_age(600);
        if config.cors_origins.iter().any(|o| o == "*") {
            cors
        } else {
            cors.allow_origins(config.cors_origins.iter().map(String::as_str))
        }
    });
    route
        .with_if(cors.is_some(), cors.unwrap_or_default())
        .around(observe::observe)
}

/// The routing of reads `config` asks for: with a replica, its pool and the
/// primary's data version read now (an import committed from now on raises it
/// and drops whatever was cached); without one, the primary alone, its
/// version read only for the cache.
async fn reads(
    config: &Config,
    db: &DatabaseConnection,
    cache: Option<Arc<ResponseCache>>,
) -> anyhow::Result<Reads> {
    let replica = db::open_replica_pool(config).await?;
    let seen = if cache.is_some() || replica.is_some() {
        db::data_version(db)
            .await
            .context("cannot read the data version")?
    } else {
        -1
    };
    Ok(Reads::new(db.clone(), replica, seen).dropping(cache))
}

/// How often expired idempotency keys are deleted (besides when their key is
/// claimed again).
const KEY_SWEEP: Duration = Duration::from_secs(600);

/// A ready-to-run lvzhi: migrated database, seeded if empty, listener bound.
pub struct Application {
    acceptor: TcpAcceptor,
    addr: SocketAddr,
    db: DatabaseConnection,
    config: Config,
    health: Arc<Health>,
    /// The response cache.
    cache: Option<Arc<ResponseCache>>,
    /// Where queries read: the primary, and the replica while it has caught up.
    reads: Arc<Reads>,
    /// The admission lexicon (`LVZHI_ADMISSION_LEXICON`, or the bundled one).
    lexicon: crate::admission::Lexicon,
    /// The webhook client and the worker's pool, when this process delivers
    /// (`LVZHI_WEBHOOK_WORKERS`).
    delivery: Option<(crate::webhook::send::Sender, DatabaseConnection)>,
}

impl Application {
    /// Connect and migrate, import the bundled Wuqia list into an empty database,
    /// and bind the listener (port 0 picks a free port).
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        // Start-up work (migrations, indexing, seeding) may run long on a big
        // database: it uses its own connection without the requests' statement
        // timeout, and the serving pool is opened after it.
        // Settings that do not fit together and a malformed lexicon are
        // refused before anything else happens.
        config.check().map_err(anyhow::Error::msg)?;
        let lexicon = match &config.admission_lexicon {
            Some(path) => crate::admission::Lexicon::load(path)?,
            None => crate::admission::Lexicon::bundled().clone(),
        };
        let sender = (config.webhooks.workers > 0)
            .then(|| {
                crate::webhook::send::Sender::new(
                    config.webhooks.allow_private.clone(),
                    config.webhooks.timeout,
                )
            })
            .transpose()?;
        let maintenance = db::open_database(config).await?;
        db::startup::prepare(config, &maintenance).await?;
        maintenance.close().await.ok();
        let db = db::open_pool(config).await?;
        let cache = (config.cache.bytes > 0).then(|| {
            Arc::new(ResponseCache::new(config.cache.bytes).serving_stale_for(config.cache.stale))
        });
        let reads = Arc::new(reads(config, &db, cache.clone()).await?);
        let acceptor = TcpListener::bind(config.bind)
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .context("the listener has no socket address")?;
        let delivery = match sender {
            Some(sender) => Some((sender, db::open_delivery_pool(config, &db).await?)),
            None => None,
        };
        Ok(Application {
            delivery,
            lexicon,
            acceptor,
            addr,
            db,
            config: config.clone(),
            health: Arc::default(),
            cache,
            reads,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve until `shutdown` completes. Then readiness turns 503 and, after the
    /// drain delay, the listener closes; in-flight requests get up to the
    /// shutdown timeout to finish, and the pool closes.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let health = self.health.clone();
        let drain_delay = self.config.shutdown_drain;
        let drained = async move {
            shutdown.await;
            health.start_draining();
            tracing::info!(
                drain_ms = drain_delay.as_millis() as u64,
                "shutting down: readiness is now 503"
            );
            tokio::time::sleep(drain_delay).await;
        };
        let changes = Changes::default();
        let listener = tokio::spawn(crate::changes::listen(
            changes.clone(),
            self.config.database_url.clone(),
        ));
        // The primary's data version is followed for the cache and for the
        // routing of reads; the replica's for the routing.
        let watcher = (self.cache.is_some() || self.reads.replicated()).then(|| {
            tokio::spawn(crate::cache::watch(
                self.reads.clone(),
                self.cache.clone(),
                self.config.cache.poll,
                changes.follow(),
            ))
        });
        let replica = tokio::spawn(
            self.reads
                .clone()
                .follow_replica(changes.follow(), self.config.cache.poll),
        );
        let sweeper = tokio::spawn(idempotency::sweep(self.db.clone(), KEY_SWEEP));
        let stats = Arc::new(crate::webhook::worker::Stats::default());
        let delivery = self.delivery.map(|(sender, pool)| {
            let worker = delivery_worker(&self.config, sender, pool.clone(), stats.clone());
            (tokio::spawn(worker.run(changes.follow())), pool)
        });
        let app = routes(
            &self.config,
            self.reads.clone(),
            self.health.clone(),
            self.cache,
            self.lexicon,
            changes,
            stats,
        );
        let result = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, drained, Some(self.config.shutdown_timeout))
            .await;
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        sweeper.abort();
        listener.abort();
        replica.abort();
        self.reads.close_replica().await;
        if let Some((worker, pool)) = delivery {
            worker.abort();
            // On SQLite it is the serving pool, closed below.
            if pool.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                pool.close().await.ok();
            }
        }
        if let Err(e) = self.db.close().await {
            tracing::warn!(error = %e, "closing the database pool failed");
        }
        tracing::info!("stopped");
        result
    }
}
