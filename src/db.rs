//! Database connection and migrations: PostgreSQL in production, an embedded
//! SQLite file by default. The server, the CLI's `migrate`, `import` and
//! `export` all open the configured database here ([`open_database`],
//! [`open_pool`]); [`startup`] prepares it for serving; [`reads`] routes a
//! query to the read replica ([`open_replica_pool`]) or the primary. The pool fails fast: a request waits at most the
//! acquire timeout for a connection, and PostgreSQL cancels statements that run
//! longer than `statement_timeout`. Batching rules every writer follows (rows per
//! multi-row INSERT, values per `IN` list) live here too.

use std::sync::atomic::{AtomicU64, Ordering};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, RuntimeErr, Statement,
    TransactionTrait,
};

use crate::config::{Config, PoolConfig};

pub mod columns;
pub mod reads;
pub mod startup;

/// SQL statements run through connections made by [`connect`], since start-up.
static STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// How many SQL statements lvzhi has run since start-up (exported on `/metrics`).
pub fn statements_run() -> u64 {
    STATEMENTS.load(Ordering::Relaxed)
}

/// Connect to `url` with the default pool settings.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, &PoolConfig::default()).await
}

/// Connect to `url`, counting every statement. SQLite files are created when missing.
pub async fn connect_with(url: &str, pool: &PoolConfig) -> Result<DatabaseConnection, DbErr> {
    counted(Database::connect(options(url, pool)).await?)
}

/// A pool over `url` that connects only when a connection is first needed,
/// counting every statement: a database that is down at start-up does not
/// stop the server (its reads go elsewhere until it is up).
pub async fn connect_lazily(url: &str, pool: &PoolConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = options(url, pool);
    options.connect_lazy(true);
    counted(Database::connect(options).await?)
}

/// `db`, its statements counted in [`statements_run`].
fn counted(mut db: DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    db.set_metric_callback(|_| {
        STATEMENTS.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
}

/// The pool settings of every connection lvzhi opens.
fn options(url: &str, pool: &PoolConfig) -> ConnectOptions {
    let url = if url.starts_with("sqlite:") && !url.contains('?') && !url.contains(":memory:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_owned()
    };
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(pool.max_connections)
        .acquire_timeout(pool.acquire_timeout)
        .connect_timeout(pool.acquire_timeout)
        // A ping (one round trip) only for a connection idle for a while, which
        // may have been cut off; under load connections are never idle that
        // long, and a ping per checkout cost each request a round trip per statement.
        .test_before_acquire_if_idle_for(std::time::Duration::from_secs(1));
    let millis = pool.statement_timeout.as_millis().to_string();
    options.map_sqlx_postgres_opts(move |opts| {
        // sqlx prepares every statement; PostgreSQL would still plan each
        // execution anew when it guesses a custom plan may beat the generic one,
        // which took more of its CPU than running lvzhi's index lookups. Their
        // generic plans are the same index scans (EXPLAIN at 1,000 towns).
        let opts = opts.options([("plan_cache_mode", "force_generic_plan")]);
        if millis == "0" {
            opts
        } else {
            opts.options([("statement_timeout", millis.as_str())])
        }
    });
    options
}

/// Why the configured database cannot be opened. The URL in a message has no
/// password ([`redact`]).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The database cannot be reached, or the URL is invalid.
    #[error("cannot connect to the database {url}")]
    Connect {
        /// The database URL, redacted.
        url: String,
        /// Why.
        source: DbErr,
    },
    /// A migration failed.
    #[error("cannot run the database migrations")]
    Migrate(#[source] DbErr),
}

/// Connect to the configured database and apply pending migrations. The
/// connection has no statement timeout: it is for start-up work and the CLI
/// (imports, exports), not for requests.
pub async fn open_database(config: &Config) -> Result<DatabaseConnection, OpenError> {
    let pool = PoolConfig {
        statement_timeout: std::time::Duration::ZERO,
        ..config.pool.clone()
    };
    let db = connect_configured(config, &pool).await?;
    migrate(&db).await.map_err(OpenError::Migrate)?;
    Ok(db)
}

/// The pool that serves requests: the configured database with every
/// configured pool setting, the statement timeout included.
pub async fn open_pool(config: &Config) -> Result<DatabaseConnection, OpenError> {
    connect_configured(config, &config.pool).await
}

/// The read replica's pool (`DATABASE_READ_URL`), with the serving pool's
/// settings; `None` without one. It connects lazily: a replica that is down
/// at start-up leaves reads on the primary ([`reads::Reads`]) instead of
/// stopping the server.
pub async fn open_replica_pool(config: &Config) -> Result<Option<DatabaseConnection>, OpenError> {
    let Some(url) = &config.database_read_url else {
        return Ok(None);
    };
    connect_lazily(url, &config.pool)
        .await
        .map(Some)
        .map_err(|source| OpenError::Connect {
            url: redact(url),
            source,
        })
}

/// The webhook delivery worker's own pool on PostgreSQL, a connection per
/// delivery in flight (at most 8): its few statements per delivery then never
/// queue behind the requests for the serving pool's connections, nor they
/// behind it. On SQLite, which has one writer at a time anyway, the serving
/// pool itself.
pub async fn open_delivery_pool(
    config: &Config,
    serving: &DatabaseConnection,
) -> Result<DatabaseConnection, OpenError> {
    if serving.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(serving.clone());
    }
    let pool = PoolConfig {
        max_connections: config.webhooks.workers.clamp(1, 8) as u32,
        ..config.pool.clone()
    };
    connect_configured(config, &pool).await
}

/// Connect to the configured database with `pool`'s settings.
async fn connect_configured(
    config: &Config,
    pool: &PoolConfig,
) -> Result<DatabaseConnection, OpenError> {
    connect_with(&config.database_url, pool)
        .await
        .map_err(|source| OpenError::Connect {
            url: redact(&config.database_url),
            source,
        })
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

/// Apply every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database holds no duty list yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(entity::duty_list::Entity::find().count(db).await? == 0)
}

/// Update the planner's statistics after an import: without them PostgreSQL
/// plans queries on freshly loaded tables as if they were empty (autovacuum may
/// be off, or not have run yet). On PostgreSQL also VACUUM, which marks the new
/// rows visible to all so that index-only scans (the search index's pages of
/// hits) need not visit the table; SQLite's VACUUM would rewrite the file.
pub async fn analyze(db: &DatabaseConnection) -> Result<(), DbErr> {
    let statement = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "VACUUM (ANALYZE)",
        _ => "ANALYZE",
    };
    db.execute_unprepared(statement).await.map(|_| ())
}

/// The data version: a number that changes whenever the data does (every
/// import that writes increments it in its transaction). Servers compare it to
/// tell when their cached responses are stale.
pub async fn data_version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM data_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the data_version row".to_owned()))?;
    row.try_get("", "version")
}

/// Increment the data version; call it inside the transaction that changes the
/// data, as its last statement (the row stays locked until the commit).
pub async fn bump_data_version(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "UPDATE data_version SET version = version + 1 WHERE id = 1",
    ))
    .await?;
    crate::changes::announce(db).await
}

/// `n` fresh ids of `table`'s identity column `id`, in increasing order, for
/// rows the caller then inserts with their ids set (so a row can name itself,
/// as a duty starting its lineage does, without an UPDATE after the insert).
/// PostgreSQL draws them from the column's sequence; SQLite, whose writers
/// hold the database's write lock from their first statement
/// ([`begin_write`]), continues after the largest id it ever gave.
pub async fn reserve_ids(
    db: &impl ConnectionTrait,
    table: &'static str,
    n: usize,
) -> Result<Vec<i32>, DbErr> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT nextval(pg_get_serial_sequence($1, 'id'))::int4 AS id \
                 FROM generate_series(1, $2) ORDER BY 1",
                [table.into(), (n as i32).into()],
            ))
            .await?;
        return rows.iter().map(|r| r.try_get_by_index::<i32>(0)).collect();
    }
    // AUTOINCREMENT keeps the largest id ever given in sqlite_sequence.
    let last = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT COALESCE(MAX(x), 0) FROM (SELECT seq AS x FROM sqlite_sequence \
                 WHERE name = ? UNION ALL SELECT MAX(id) FROM \"{table}\")"
            ),
            [table.into()],
        ))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    let id =
        |i: i64| i32::try_from(i).map_err(|_| DbErr::Custom(format!("{table}: ids exhausted")));
    Ok((id(last + 1)?..=id(last + n as i64)?).collect())
}

/// Begin a write transaction. On SQLite it takes the write lock at once, as
/// `BEGIN IMMEDIATE` would (sea-orm begins deferred): a transaction that read
/// first and then wrote would find its snapshot stale when another writer
/// committed in between, and two such transactions can each make the other
/// fail. So writers queue (up to the busy timeout) and each reads what the one
/// before committed. PostgreSQL needs nothing: its row locks and conditional
/// updates order writers.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DatabaseBackend::Sqlite {
        txn.execute_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "UPDATE data_version SET version = version WHERE id = 1",
        ))
        .await?;
    }
    Ok(txn)
}

/// The pool's open and idle connections (for `/metrics`).
pub fn pool_state(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}

/// What a database error means for a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The database cannot be reached: no connection within the acquire
    /// timeout, a refused or broken connection, or a server shutting down.
    Unavailable,
    /// The statement ran past `statement_timeout` and was cancelled.
    Timeout,
    /// Another writer got there first: SQLite busy or locked, a PostgreSQL
    /// serialization failure or deadlock, or a second edition of one number
    /// of a town. Nothing was written; the write may be retried.
    Contended,
    /// Anything else: a bug or a data problem.
    Other,
}

/// Classify a database error.
pub fn classify(e: &DbErr) -> Failure {
    let sqlx = match e {
        // No connection could be had or opened, whatever the server said
        // (a database that does not exist, refused credentials): the
        // database as configured cannot be reached. (sea-orm makes `Conn`
        // only of errors connecting or acquiring, never of a statement's.)
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return Failure::Unavailable,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return Failure::Other,
    };
    use sea_orm::sqlx::Error;
    match &**sqlx {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed
        | Error::Protocol(_) => Failure::Unavailable,
        Error::Database(db) => match db.code().as_deref() {
            // query_canceled: statement_timeout.
            Some("57014") => Failure::Timeout,
            // Class 08 (connection exception), 57P01-57P03 (admin shutdown,
            // crash shutdown, cannot connect now).
            Some(code) if code.starts_with("08") || code.starts_with("57P") => Failure::Unavailable,
            Some(code) if contended(code, db.message()) => Failure::Contended,
            _ => Failure::Other,
        },
        _ => Failure::Other,
    }
}

/// Whether a database error (`code`, `message`) means another writer got there
/// first. SQLite: BUSY (5) and its extended codes, LOCKED (6); PostgreSQL:
/// serialization failure, deadlock, lock not available; both: a unique
/// violation of a town's edition number (two editions numbered at once).
fn contended(code: &str, message: &str) -> bool {
    let edition_number = message.contains("ux_duty_list_number")
        || message.contains("duty_list.county_id, duty_list.town, duty_list.edition");
    match code {
        "40001" | "40P01" | "55P03" => true,
        "23505" | "2067" | "1555" => edition_number,
        // SQLite's primary code is the low byte of its extended one.
        sqlite => sqlite
            .parse::<i32>()
            .is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
    }
}

/// Bind parameters per statement: under SQLite's limit (32,766) and PostgreSQL's
/// (65,535), so a multi-row INSERT of many rows is still one statement.
const MAX_PARAMS: usize = 30_000;

/// Values per `IN (…)` list, well under both databases' parameter limits.
pub const CHUNK: usize = 5_000;

/// Rows per multi-row INSERT of a table with `columns` columns: as many as one
/// statement may bind, because every statement is a round trip (and with many
/// towns to import, the rows written are many).
pub fn rows_per_insert(columns: usize) -> usize {
    MAX_PARAMS / columns.max(1)
}

/// Rows split into owned chunks of at most `size`, so a multi-row INSERT takes its
/// rows without cloning each one (as `chunks(size)` + `to_vec()` would).
pub fn owned_chunks<T>(mut rows: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let size = size.max(1);
    let mut out = Vec::with_capacity(rows.len() / size + 1);
    while rows.len() > size {
        let rest = rows.split_off(size);
        out.push(std::mem::replace(&mut rows, rest));
    }
    if !rows.is_empty() {
        out.push(rows);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{owned_chunks, redact};

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

    #[test]
    fn owned_chunks_keep_every_row_in_order() {
        let chunks = owned_chunks((0..7).collect::<Vec<_>>(), 3);
        assert_eq!(chunks, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        assert!(owned_chunks(Vec::<u8>::new(), 3).is_empty());
        assert_eq!(owned_chunks(vec![1, 2], 0), [vec![1], vec![2]]);
    }
}
