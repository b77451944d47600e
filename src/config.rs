//! Configuration, declared once and read once at start-up.
//!
//! Every setting is one field of [`Settings`] (or [`ServeSettings`] for the
//! address): its flag, its variable, its default, its bounds and its help. clap
//! reads the flag, else the variable (after `.env` is loaded), else the default;
//! nothing reads the environment afterwards. README.md's configuration table and
//! `.env.example` list the same settings, and a test holds them to this
//! declaration.

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, Args, Command, FromArgMatches, ValueEnum};

pub use crate::webhook::address::PrivateNetworks;

/// The embedded SQLite file used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://lvzhi.db?mode=rwc";
/// Where `lvzhi serve` listens when `LVZHI_BIND` is not set.
pub const DEFAULT_BIND: &str = "127.0.0.1:8000";

/// Where lvzhi runs: production hides what only developers need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// Introspection, GraphiQL and field suggestions are on.
    #[default]
    Development,
    /// Introspection, GraphiQL and field suggestions are off.
    Production,
}

/// How log lines are written to stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A feature that is on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Switched on.
    On,
    /// Switched off.
    Off,
}

/// The help heading of every setting: where else a setting may come from.
const SETTINGS: &str = "Settings (a flag wins over its variable, which may also be set in .env)";

/// Every setting but the listening address, accepted by each command that
/// reads the configuration.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = SETTINGS)]
pub struct Settings {
    /// The database: postgres://user@host:5432/db, or a SQLite file
    #[arg(long, env = "DATABASE_URL", value_name = "URL",
          default_value = DEFAULT_DATABASE_URL, value_parser = database_url())]
    pub database_url: String,
    /// A PostgreSQL read replica of DATABASE_URL (postgres://…): GraphQL queries read there while it has caught up; unset, every read goes to DATABASE_URL
    #[arg(long, env = "DATABASE_READ_URL", value_name = "URL", value_parser = read_url())]
    pub database_read_url: Option<String>,
    /// Department registry (canonical names and aliases); unset, the bundled seeds/departments.toml
    #[arg(long, env = "LVZHI_DEPARTMENTS", value_name = "FILE", value_parser = path())]
    pub departments: Option<PathBuf>,
    /// Admission lexicon for admission checks; unset, the bundled seeds/admission-lexicon.toml
    #[arg(long, env = "LVZHI_ADMISSION_LEXICON", value_name = "FILE", value_parser = path())]
    pub admission_lexicon: Option<PathBuf>,
    /// Log filter (tracing's EnvFilter syntax); logs go to stderr
    #[arg(long, env = "LVZHI_LOG", value_name = "FILTER", default_value = "info",
          value_parser = text())]
    pub log: String,
    /// Log line format: json writes one JSON object per line
    #[arg(long, env = "LVZHI_LOG_FORMAT", value_name = "FORMAT", default_value = "text",
          value_parser = word::<LogFormat>())]
    pub log_format: LogFormat,
    /// Where lvzhi runs: production switches off introspection, GraphiQL and field suggestions
    #[arg(long = "env", env = "LVZHI_ENV", value_name = "ENV", default_value = "development",
          value_parser = word::<Environment>())]
    pub environment: Environment,
    /// Origins browsers may call the API from, comma-separated (https://dash.example.org), or *; unset, none (no CORS)
    #[arg(long, env = "LVZHI_CORS_ORIGINS", value_name = "ORIGINS", value_parser = origins())]
    pub cors_origins: Option<::std::vec::Vec<String>>,
    /// Whether / serves the reference dashboard to browsers (also in production)
    #[arg(long, env = "LVZHI_DASHBOARD", value_name = "SWITCH", default_value = "on",
          value_parser = word::<Switch>())]
    pub dashboard: Switch,

    /// Deepest selection nesting
    #[arg(long, env = "LVZHI_MAX_DEPTH", value_name = "N", default_value = "16",
          value_parser = whole::<usize>(1, 64), help_heading = LIMITS)]
    pub max_depth: usize,
    /// Highest query cost: each field costs 1 plus its children, list fields multiply their children by their page size
    #[arg(long, env = "LVZHI_MAX_COMPLEXITY", value_name = "N", default_value = "20000",
          value_parser = whole::<usize>(1, U32), help_heading = LIMITS)]
    pub max_complexity: usize,
    /// Aliased fields in a document
    #[arg(long, env = "LVZHI_MAX_ALIASES", value_name = "N", default_value = "50",
          value_parser = whole::<usize>(0, U32), help_heading = LIMITS)]
    pub max_aliases: usize,
    /// Fields selected at the root of an operation
    #[arg(long, env = "LVZHI_MAX_ROOT_FIELDS", value_name = "N", default_value = "20",
          value_parser = whole::<usize>(1, U32), help_heading = LIMITS)]
    pub max_root_fields: usize,
    /// Directives on one field
    #[arg(long, env = "LVZHI_MAX_DIRECTIVES", value_name = "N", default_value = "5",
          value_parser = whole::<usize>(0, U32), help_heading = LIMITS)]
    pub max_directives: usize,
    /// Lexical tokens in a document, counted before it is parsed
    #[arg(long, env = "LVZHI_MAX_TOKENS", value_name = "N", default_value = "15000",
          value_parser = whole::<usize>(1, U32), help_heading = LIMITS)]
    pub max_tokens: usize,
    /// Bytes in a POST body; larger bodies get 413
    #[arg(long, env = "LVZHI_MAX_BODY_BYTES", value_name = "BYTES", default_value = "1048576",
          value_parser = whole::<usize>(1, U32), help_heading = LIMITS)]
    pub max_body_bytes: usize,
    /// Operations in a JSON batch; 0 refuses batches
    #[arg(long, env = "LVZHI_MAX_BATCH", value_name = "N", default_value = "10",
          value_parser = whole::<usize>(0, U32), help_heading = LIMITS)]
    pub max_batch: usize,
    /// Largest first/last of a connection
    #[arg(long, env = "LVZHI_MAX_PAGE_SIZE", value_name = "N", default_value = "100",
          value_parser = whole::<usize>(1, U32), help_heading = LIMITS)]
    pub max_page_size: usize,
    /// Most elements any list field may return
    #[arg(long, env = "LVZHI_MAX_LIST_ITEMS", value_name = "N", default_value = "10000",
          value_parser = whole::<usize>(1, U32), help_heading = LIMITS)]
    pub max_list_items: usize,
    /// Time one request may take; then TIMEOUT (504)
    #[arg(long, env = "LVZHI_REQUEST_TIMEOUT_MS", value_name = "MS", default_value = "10000",
          value_parser = millis(1), help_heading = LIMITS)]
    pub request_timeout_ms: Duration,

    /// Most open database connections
    #[arg(long, env = "LVZHI_DB_MAX_CONNECTIONS", value_name = "N", default_value = "10",
          value_parser = whole::<u32>(1, 1000), help_heading = DATABASE)]
    pub db_max_connections: u32,
    /// How long a request waits for a connection; then DATABASE_UNAVAILABLE (503)
    #[arg(long, env = "LVZHI_DB_ACQUIRE_TIMEOUT_MS", value_name = "MS", default_value = "3000",
          value_parser = millis(1), help_heading = DATABASE)]
    pub db_acquire_timeout_ms: Duration,
    /// PostgreSQL's statement_timeout for every connection; 0 turns it off
    #[arg(long, env = "LVZHI_DB_STATEMENT_TIMEOUT_MS", value_name = "MS", default_value = "5000",
          value_parser = millis(0), help_heading = DATABASE)]
    pub db_statement_timeout_ms: Duration,

    /// Most bytes of cached answers; 0 switches the response cache off
    #[arg(long, env = "LVZHI_RESPONSE_CACHE_BYTES", value_name = "BYTES",
          default_value = "67108864", value_parser = whole::<u64>(0, 1 << 40),
          help_heading = SERVING)]
    pub response_cache_bytes: u64,
    /// How often the data version is read: an import by another process shows within this time
    #[arg(long, env = "LVZHI_RESPONSE_CACHE_POLL_MS", value_name = "MS", default_value = "1000",
          value_parser = millis(1), help_heading = SERVING)]
    pub response_cache_poll_ms: Duration,
    /// While the data version cannot be read (the database is unreachable), how long cached answers are still served, marked stale; 0: not at all
    #[arg(long, env = "LVZHI_RESPONSE_CACHE_STALE_MS", value_name = "MS", default_value = "300000",
          value_parser = millis(0), help_heading = SERVING)]
    pub response_cache_stale_ms: Duration,
    /// After a shutdown signal, how long readiness reports 503 while requests are still served (a load balancer's probe interval)
    #[arg(long, env = "LVZHI_SHUTDOWN_DRAIN_MS", value_name = "MS", default_value = "0",
          value_parser = millis(0), help_heading = SERVING)]
    pub shutdown_drain_ms: Duration,
    /// How long shutdown waits for in-flight requests
    #[arg(long, env = "LVZHI_SHUTDOWN_TIMEOUT_MS", value_name = "MS", default_value = "10000",
          value_parser = millis(0), help_heading = SERVING)]
    pub shutdown_timeout_ms: Duration,

    /// Whether reading (GraphQL and /export) needs a token too; the pages stay reachable
    #[arg(long, env = "LVZHI_READS_REQUIRE_TOKEN", value_name = "BOOL", default_value = "false",
          action = clap::ArgAction::Set, value_parser = boolean(), help_heading = TOKENS)]
    pub reads_require_token: bool,
    /// Seconds a mutation's Idempotency-Key is remembered, from 60 to 2592000 (30 days)
    #[arg(long, env = "LVZHI_IDEMPOTENCY_TTL", value_name = "SECONDS", default_value = "86400",
          value_parser = seconds(60, 30 * DAY_S), help_heading = TOKENS)]
    pub idempotency_ttl: Duration,

    /// Webhook deliveries this process makes at once (one per subscription); 0: this process delivers none
    #[arg(long, env = "LVZHI_WEBHOOK_WORKERS", value_name = "N", default_value = "4",
          value_parser = whole::<usize>(0, 256), help_heading = WEBHOOKS)]
    pub webhook_workers: usize,
    /// Time one delivery attempt may take (connecting, sending, the answer)
    #[arg(long, env = "LVZHI_WEBHOOK_TIMEOUT_MS", value_name = "MS", default_value = "10000",
          value_parser = millis(100), help_heading = WEBHOOKS)]
    pub webhook_timeout_ms: Duration,
    /// Wait before the second attempt; it doubles after each failure (with jitter) up to an hour
    #[arg(long, env = "LVZHI_WEBHOOK_FIRST_RETRY_MS", value_name = "MS", default_value = "5000",
          value_parser = millis(10), help_heading = WEBHOOKS)]
    pub webhook_first_retry_ms: Duration,
    /// Seconds after the first attempt a delivery is retried; then it is kept as a dead letter (default 3 days)
    #[arg(long, env = "LVZHI_WEBHOOK_RETRY_PERIOD", value_name = "SECONDS", default_value = "259200",
          value_parser = seconds(1, 30 * DAY_S), help_heading = WEBHOOKS)]
    pub webhook_retry_period: Duration,
    /// How often the delivery worker looks for work besides when a change wakes it
    #[arg(long, env = "LVZHI_WEBHOOK_POLL_MS", value_name = "MS", default_value = "1000",
          value_parser = millis(10), help_heading = WEBHOOKS)]
    pub webhook_poll_ms: Duration,
    /// Non-public addresses webhooks may go to: false, true (any; a county intranet), or networks (10.20.0.0/16,192.168.5.7)
    #[arg(long, env = "LVZHI_WEBHOOK_ALLOW_PRIVATE", value_name = "NETWORKS", default_value = "false",
          value_parser = private_networks(), help_heading = WEBHOOKS)]
    pub webhook_allow_private: PrivateNetworks,
}

/// The settings of `lvzhi serve`: every setting and the address.
#[derive(Clone, Debug, Args)]
pub struct ServeSettings {
    /// Address to listen on (HOST:PORT)
    #[arg(long, env = "LVZHI_BIND", value_name = "ADDR", default_value = DEFAULT_BIND,
          value_parser = socket_address())]
    pub bind: SocketAddr,
    /// Every other setting.
    #[command(flatten)]
    pub settings: Settings,
}

/// The help heading of the request limits.
const LIMITS: &str = "Request limits";
/// The help heading of the database pool.
const DATABASE: &str = "Database pool";
/// The help heading of the response cache and shutdown.
const SERVING: &str = "Response cache and shutdown";
/// The help heading of the settings about tokens and writes.
const TOKENS: &str = "Tokens and writes";
/// The help heading of webhook delivery.
const WEBHOOKS: &str = "Webhooks";
/// The largest count a size setting takes.
const U32: u64 = u32::MAX as u64;
/// The longest duration a setting takes: a day.
const DAY_MS: u64 = 86_400_000;
/// A day in seconds.
const DAY_S: u64 = 86_400;

/// Limits on what one HTTP request may ask; each has its variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest selection nesting (`LVZHI_MAX_DEPTH`).
    pub depth: usize,
    /// Highest cost: each field costs 1 plus its children, list fields multiply
    /// their children by their page size (`LVZHI_MAX_COMPLEXITY`).
    pub complexity: usize,
    /// Aliased fields in a document (`LVZHI_MAX_ALIASES`).
    pub aliases: usize,
    /// Fields selected at the root of the operation (`LVZHI_MAX_ROOT_FIELDS`).
    pub root_fields: usize,
    /// Directives on one field (`LVZHI_MAX_DIRECTIVES`).
    pub directives: usize,
    /// Lexical tokens in a document, counted before it is parsed (`LVZHI_MAX_TOKENS`).
    pub tokens: usize,
    /// Bytes in a POST body; larger bodies get 413 (`LVZHI_MAX_BODY_BYTES`).
    pub body_bytes: usize,
    /// Operations in a JSON batch; 0 refuses batches (`LVZHI_MAX_BATCH`).
    pub batch: usize,
    /// Largest `first`/`last` of a connection (`LVZHI_MAX_PAGE_SIZE`).
    pub page_size: usize,
    /// Most elements any list field may return (`LVZHI_MAX_LIST_ITEMS`).
    pub list_items: usize,
    /// Time one request may take (`LVZHI_REQUEST_TIMEOUT_MS`).
    pub request_timeout: Duration,
}

impl Default for Limits {
    /// The declared defaults.
    fn default() -> Self {
        DEFAULTS.limits.clone()
    }
}

/// The database pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most open connections (`LVZHI_DB_MAX_CONNECTIONS`).
    pub max_connections: u32,
    /// How long a request waits for a connection before it fails with
    /// `DATABASE_UNAVAILABLE` (`LVZHI_DB_ACQUIRE_TIMEOUT_MS`).
    pub acquire_timeout: Duration,
    /// PostgreSQL's `statement_timeout` for every connection
    /// (`LVZHI_DB_STATEMENT_TIMEOUT_MS`; 0 turns it off).
    pub statement_timeout: Duration,
}

impl Default for PoolConfig {
    /// The declared defaults.
    fn default() -> Self {
        DEFAULTS.pool.clone()
    }
}

/// The response cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// Most bytes of cached answers; 0 switches the cache off
    /// (`LVZHI_RESPONSE_CACHE_BYTES`).
    pub bytes: u64,
    /// How often the data version is read; an import by another process shows
    /// within this time (`LVZHI_RESPONSE_CACHE_POLL_MS`).
    pub poll: Duration,
    /// How long cached answers are served marked stale while the data
    /// version cannot be read (`LVZHI_RESPONSE_CACHE_STALE_MS`; 0: not at all).
    pub stale: Duration,
}

impl Default for CacheConfig {
    /// The declared defaults.
    fn default() -> Self {
        DEFAULTS.cache.clone()
    }
}

/// Webhook delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Deliveries made at once; 0: none (`LVZHI_WEBHOOK_WORKERS`).
    pub workers: usize,
    /// One attempt's time limit (`LVZHI_WEBHOOK_TIMEOUT_MS`).
    pub timeout: Duration,
    /// The wait before the second attempt (`LVZHI_WEBHOOK_FIRST_RETRY_MS`).
    pub first_retry: Duration,
    /// How long a delivery is retried (`LVZHI_WEBHOOK_RETRY_PERIOD`).
    pub retry_period: Duration,
    /// The worker's fallback poll (`LVZHI_WEBHOOK_POLL_MS`).
    pub poll: Duration,
    /// Non-public addresses allowed (`LVZHI_WEBHOOK_ALLOW_PRIVATE`).
    pub allow_private: PrivateNetworks,
}

impl Default for WebhookConfig {
    /// The declared defaults.
    fn default() -> Self {
        DEFAULTS.webhooks.clone()
    }
}

/// lvzhi's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Database connection URL.
    pub database_url: String,
    /// A read replica of `database_url` for GraphQL queries
    /// (`DATABASE_READ_URL`); PostgreSQL only.
    pub database_read_url: Option<String>,
    /// Address the server listens on.
    pub bind: SocketAddr,
    /// Department registry file; `None` uses the bundled one.
    pub departments: Option<PathBuf>,
    /// Admission lexicon file; `None` uses the bundled one.
    pub admission_lexicon: Option<PathBuf>,
    /// Log filter.
    pub log: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// Development or production.
    pub environment: Environment,
    /// Request limits.
    pub limits: Limits,
    /// Database pool settings.
    pub pool: PoolConfig,
    /// Response cache settings.
    pub cache: CacheConfig,
    /// Origins allowed to call the API from a browser (CORS); empty = none.
    pub cors_origins: Vec<String>,
    /// Whether `/` serves the reference dashboard to browsers (`LVZHI_DASHBOARD`).
    pub dashboard: bool,
    /// How long shutdown waits for in-flight requests (`LVZHI_SHUTDOWN_TIMEOUT_MS`).
    pub shutdown_timeout: Duration,
    /// How long, after a shutdown signal, readiness reports 503 while requests
    /// are still served, so a load balancer stops sending new ones
    /// (`LVZHI_SHUTDOWN_DRAIN_MS`).
    pub shutdown_drain: Duration,
    /// Whether a read needs a valid token too (`LVZHI_READS_REQUIRE_TOKEN`).
    pub reads_require_token: bool,
    /// How long a mutation's idempotency key is remembered (`LVZHI_IDEMPOTENCY_TTL`).
    pub idempotency_ttl: Duration,
    /// Webhook delivery.
    pub webhooks: WebhookConfig,
}

impl Default for Config {
    /// Every declared default: the embedded SQLite file on 127.0.0.1:8000.
    fn default() -> Self {
        DEFAULTS.clone()
    }
}

/// Every setting at its declared default, whatever the environment holds.
static DEFAULTS: LazyLock<Config> = LazyLock::new(|| {
    let command = ServeSettings::augment_args(Command::new("lvzhi")).mut_args(|arg| arg.env(None));
    let matches = command
        .try_get_matches_from(["lvzhi"])
        .expect("every declared default is valid");
    ServeSettings::from_arg_matches(&matches)
        .expect("every setting has a default or is optional")
        .config()
});

impl Settings {
    /// The configuration these settings make, listening on the default address.
    pub fn config(&self) -> Config {
        Config {
            database_url: self.database_url.clone(),
            database_read_url: self.database_read_url.clone(),
            bind: DEFAULT_BIND.parse().expect("the default address parses"),
            departments: self.departments.clone(),
            admission_lexicon: self.admission_lexicon.clone(),
            log: self.log.clone(),
            log_format: self.log_format,
            environment: self.environment,
            limits: self.limits(),
            pool: PoolConfig {
                max_connections: self.db_max_connections,
                acquire_timeout: self.db_acquire_timeout_ms,
                statement_timeout: self.db_statement_timeout_ms,
            },
            cache: CacheConfig {
                bytes: self.response_cache_bytes,
                poll: self.response_cache_poll_ms,
                stale: self.response_cache_stale_ms,
            },
            cors_origins: self.cors_origins.clone().unwrap_or_default(),
            dashboard: self.dashboard == Switch::On,
            shutdown_timeout: self.shutdown_timeout_ms,
            shutdown_drain: self.shutdown_drain_ms,
            reads_require_token: self.reads_require_token,
            idempotency_ttl: self.idempotency_ttl,
            webhooks: WebhookConfig {
                workers: self.webhook_workers,
                timeout: self.webhook_timeout_ms,
                first_retry: self.webhook_first_retry_ms,
                retry_period: self.webhook_retry_period,
                poll: self.webhook_poll_ms,
                allow_private: self.webhook_allow_private.clone(),
            },
        }
    }

    /// The request limits these settings make.
    fn limits(&self) -> Limits {
        Limits {
            depth: self.max_depth,
            complexity: self.max_complexity,
            aliases: self.max_aliases,
            root_fields: self.max_root_fields,
            directives: self.max_directives,
            tokens: self.max_tokens,
            body_bytes: self.max_body_bytes,
            batch: self.max_batch,
            page_size: self.max_page_size,
            list_items: self.max_list_items,
            request_timeout: self.request_timeout_ms,
        }
    }
}

impl Config {
    /// Whether the settings fit together (each one alone was checked as it
    /// was read): a read replica is PostgreSQL's streaming replica of a
    /// PostgreSQL `DATABASE_URL`. The error names the settings.
    pub fn check(&self) -> Result<(), String> {
        match &self.database_read_url {
            Some(_) if !is_postgres(&self.database_url) => Err(format!(
                "DATABASE_READ_URL (--database-read-url) needs DATABASE_URL (--database-url) to be PostgreSQL too, \
                 not {}: a read replica is a streaming replica of a PostgreSQL primary",
                crate::db::redact(&self.database_url)
            )),
            _ => Ok(()),
        }
    }
}

/// Whether `url` names a PostgreSQL database.
fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl ServeSettings {
    /// The configuration these settings make.
    pub fn config(&self) -> Config {
        Config {
            bind: self.bind,
            ..self.settings.config()
        }
    }
}

/// Load `.env` from the working directory into the environment (variables
/// already set win); call it once, before the command line is parsed.
pub fn load_dotenv() {
    // A missing .env is the normal case; a malformed one is worth a warning.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("warning: .env ignored: {e}");
    }
}

/// `command` with every variable that is set but blank taken as unset (clap
/// would parse the blank value), in its subcommands too.
pub fn without_blank_variables(command: Command) -> Command {
    let blank = |arg: &Arg| {
        arg.get_env()
            .and_then(std::env::var_os)
            .is_some_and(|value| value.to_str().is_some_and(|v| v.trim().is_empty()))
    };
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    let command = command.mut_args(|arg| if blank(&arg) { arg.env(None) } else { arg });
    names.into_iter().fold(command, |command, name| {
        command.mut_subcommand(name, without_blank_variables)
    })
}

/// Turns a setting's trimmed text into its value, or says what was expected.
type Parse<T> = Arc<dyn Fn(&str) -> Result<T, String> + Send + Sync>;

/// A setting's parser: the value's text, trimmed, becomes a value or the
/// reason it cannot; the error names the flag, the variable and that reason.
#[derive(Clone)]
struct SettingParser<T> {
    parse: Parse<T>,
    /// The words the setting takes, when it takes a fixed set (for the help).
    words: Vec<PossibleValue>,
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for SettingParser<T> {
    type Value = T;

    fn parse_ref(
        &self,
        command: &Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let text = value
            .to_str()
            .ok_or_else(|| "expected UTF-8 text".to_owned());
        text.and_then(|text| (self.parse)(text.trim()))
            .map_err(|reason| invalid(command, arg, value, &reason))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        (!self.words.is_empty()).then(|| Box::new(self.words.iter().cloned()) as _)
    }
}

/// The error for a setting's invalid value, naming its flag and its variable.
fn invalid(command: &Command, arg: Option<&Arg>, value: &OsStr, reason: &str) -> clap::Error {
    let flag = arg
        .and_then(Arg::get_long)
        .map(|long| format!("--{long}"))
        .unwrap_or_default();
    let variable = arg
        .and_then(Arg::get_env)
        .map(|env| format!(" ({})", env.to_string_lossy()))
        .unwrap_or_default();
    clap::Error::raw(
        ErrorKind::ValueValidation,
        format!("invalid value {value:?} for {flag}{variable}: {reason}\n"),
    )
    .with_cmd(command)
}

/// A parser from `parse`.
fn setting<T>(
    parse: impl Fn(&str) -> Result<T, String> + Send + Sync + 'static,
) -> SettingParser<T> {
    SettingParser {
        parse: Arc::new(parse),
        words: Vec::new(),
    }
}

/// Any text.
fn text() -> SettingParser<String> {
    setting(|text| Ok(text.to_owned()))
}

/// A file's path.
fn path() -> SettingParser<PathBuf> {
    setting(|text| Ok(PathBuf::from(text)))
}

/// A whole number from `min` to `max`.
fn whole<T: TryFrom<u64>>(min: u64, max: u64) -> SettingParser<T> {
    setting(move |text| {
        text.parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| format!("expected a whole number from {min} to {max}"))
    })
}

/// A duration in milliseconds, from `min` to a day.
fn millis(min: u64) -> SettingParser<Duration> {
    let whole = whole::<u64>(min, DAY_MS).parse;
    setting(move |text| whole(text).map(Duration::from_millis))
}

/// A duration in whole seconds, from `min` to `max`.
fn seconds(min: u64, max: u64) -> SettingParser<Duration> {
    let whole = whole::<u64>(min, max).parse;
    setting(move |text| whole(text).map(Duration::from_secs))
}

/// `true` or `false` (in any case).
fn boolean() -> SettingParser<bool> {
    setting(|text| match text.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    })
}

/// One of `T`'s words.
fn word<T: ValueEnum + Clone + Send + Sync + 'static>() -> SettingParser<T> {
    let words: Vec<PossibleValue> = T::value_variants()
        .iter()
        .filter_map(ValueEnum::to_possible_value)
        // The words alone: their doc comments are for readers of the code.
        .map(|word| word.help(None))
        .collect();
    let expected = format!(
        "expected {}",
        words
            .iter()
            .map(PossibleValue::get_name)
            .collect::<Vec<_>>()
            .join(" or ")
    );
    SettingParser {
        words,
        ..setting(move |text| T::from_str(text, false).map_err(|_| expected.clone()))
    }
}

/// A PostgreSQL or SQLite URL.
fn database_url() -> SettingParser<String> {
    setting(|url| {
        ["postgres://", "postgresql://", "sqlite:"]
            .iter()
            .any(|prefix| url.starts_with(prefix))
            .then(|| url.to_owned())
            .ok_or_else(|| "expected a postgres:// or sqlite: URL".to_owned())
    })
}

/// A PostgreSQL URL: read replicas are PostgreSQL's.
fn read_url() -> SettingParser<String> {
    setting(|url| {
        is_postgres(url)
            .then(|| url.to_owned())
            .ok_or_else(|| "expected a postgres:// URL (read replicas are PostgreSQL's)".to_owned())
    })
}

/// `false`, `true`, or comma-separated networks.
fn private_networks() -> SettingParser<PrivateNetworks> {
    setting(PrivateNetworks::parse)
}

/// HOST:PORT.
fn socket_address() -> SettingParser<SocketAddr> {
    setting(|text| {
        text.parse()
            .map_err(|e| format!("{e} (expected HOST:PORT, e.g. 127.0.0.1:8000)"))
    })
}

/// Comma-separated origins (a trailing `/` dropped), or `*`.
fn origins() -> SettingParser<Vec<String>> {
    setting(|text| {
        let origins: Vec<String> = text
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        match origins
            .iter()
            .find(|o| o.as_str() != "*" && !(o.starts_with("http://") || o.starts_with("https://")))
        {
            Some(bad) => Err(format!(
                "{bad:?} is not an origin (expected e.g. https://dashboard.example.org, comma-separated, or *)"
            )),
            None => Ok(origins),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The declaration, with each variable the test process holds left out
    /// (so a developer's environment cannot leak in): tests give theirs as flags.
    fn declaration() -> Command {
        let held = |arg: &Arg| arg.get_env().and_then(std::env::var_os).is_some();
        ServeSettings::augment_args(Command::new("lvzhi"))
            .mut_args(|arg| if held(&arg) { arg.env(None) } else { arg })
    }

    /// The configuration from `vars`, each given as its flag, blank ones left
    /// out as at start-up; or the error clap prints.
    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        let command = declaration();
        let flags = vars
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| {
                let long = declared()
                    .into_iter()
                    .find(|setting| setting.variable == *name)
                    .map(|setting| setting.flag)
                    .unwrap_or_else(|| panic!("{name} is not declared"));
                format!("--{long}={value}")
            });
        let matches = command
            .try_get_matches_from(std::iter::once("lvzhi".to_owned()).chain(flags))
            .map_err(|e| e.to_string())?;
        let config = ServeSettings::from_arg_matches(&matches)
            .map_err(|e| e.to_string())?
            .config();
        config.check()?;
        Ok(config)
    }

    /// One declared setting.
    struct Declared {
        variable: String,
        flag: String,
        default: Option<String>,
    }

    /// Every declared setting, in declaration order.
    fn declared() -> Vec<Declared> {
        ServeSettings::augment_args(Command::new("lvzhi"))
            .get_arguments()
            .filter_map(|arg| {
                Some(Declared {
                    variable: arg.get_env()?.to_str()?.to_owned(),
                    flag: arg.get_long()?.to_owned(),
                    default: arg
                        .get_default_values()
                        .first()
                        .map(|d| d.to_string_lossy().into_owned()),
                })
            })
            .collect()
    }

    #[test]
    fn nothing_set_means_embedded_sqlite_on_localhost_8000() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.bind.to_string(), DEFAULT_BIND);
        assert_eq!(c.departments, None);
        assert_eq!(c, Config::default());
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let c = Config::default();
        assert_eq!(c.log, "info");
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.environment, Environment::Development);
        assert!(c.cors_origins.is_empty());
        assert!(c.dashboard);
        assert_eq!(c.shutdown_timeout, Duration::from_secs(10));
        assert_eq!(c.shutdown_drain, Duration::ZERO);
        assert!(!c.reads_require_token);
        assert_eq!(c.idempotency_ttl, Duration::from_secs(86_400));
        assert_eq!(
            c.limits,
            Limits {
                depth: 16,
                complexity: 20_000,
                aliases: 50,
                root_fields: 20,
                directives: 5,
                tokens: 15_000,
                body_bytes: 1 << 20,
                batch: 10,
                page_size: 100,
                list_items: 10_000,
                request_timeout: Duration::from_secs(10),
            }
        );
        assert_eq!(
            c.pool,
            PoolConfig {
                max_connections: 10,
                acquire_timeout: Duration::from_secs(3),
                statement_timeout: Duration::from_secs(5),
            }
        );
        assert_eq!(
            c.cache,
            CacheConfig {
                bytes: 64 * 1024 * 1024,
                poll: Duration::from_secs(1),
                stale: Duration::from_secs(300),
            }
        );
    }

    #[test]
    fn variables_override_the_defaults() {
        let c = config(&[
            ("DATABASE_URL", "postgres://u@h/db"),
            ("LVZHI_BIND", "0.0.0.0:9000"),
        ])
        .unwrap();
        assert_eq!(c.database_url, "postgres://u@h/db");
        assert_eq!(c.bind.port(), 9000);
    }

    #[test]
    fn a_bad_bind_address_is_named_in_the_error() {
        let err = config(&[("LVZHI_BIND", "localhost")]).unwrap_err();
        assert!(
            err.contains("LVZHI_BIND") && err.contains("--bind"),
            "{err}"
        );
    }

    #[test]
    fn limits_timeouts_and_origins_are_read_from_their_variables() {
        let c = config(&[
            ("LVZHI_ENV", "production"),
            ("LVZHI_LOG_FORMAT", "json"),
            ("LVZHI_MAX_DEPTH", "7"),
            ("LVZHI_MAX_BATCH", "0"),
            ("LVZHI_REQUEST_TIMEOUT_MS", "2500"),
            ("LVZHI_DB_STATEMENT_TIMEOUT_MS", "0"),
            (
                "LVZHI_CORS_ORIGINS",
                "https://a.example, http://b.example:8080/",
            ),
        ])
        .unwrap();
        assert_eq!(c.environment, Environment::Production);
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.limits.depth, 7);
        assert_eq!(c.limits.batch, 0);
        assert_eq!(c.limits.request_timeout, Duration::from_millis(2500));
        assert_eq!(c.pool.statement_timeout, Duration::ZERO);
        assert_eq!(
            c.cors_origins,
            ["https://a.example", "http://b.example:8080"]
        );
        assert_eq!(c.limits.aliases, Limits::default().aliases);
        assert!(c.dashboard);
        assert!(!config(&[("LVZHI_DASHBOARD", "off")]).unwrap().dashboard);
        let closed = config(&[
            ("LVZHI_READS_REQUIRE_TOKEN", "TRUE"),
            ("LVZHI_IDEMPOTENCY_TTL", "60"),
        ])
        .unwrap();
        assert!(closed.reads_require_token);
        assert_eq!(closed.idempotency_ttl, Duration::from_secs(60));
    }

    #[test]
    fn values_are_trimmed_and_blank_ones_are_unset() {
        let c = config(&[("LVZHI_MAX_DEPTH", " 7 "), ("LVZHI_LOG", "  ")]).unwrap();
        assert_eq!(c.limits.depth, 7);
        assert_eq!(c.log, "info");
    }

    #[test]
    fn a_bad_number_or_word_names_its_variable_and_what_is_expected() {
        for (name, value, expected) in [
            ("LVZHI_MAX_DEPTH", "deep", "from 1 to 64"),
            ("LVZHI_MAX_DEPTH", "0", "from 1 to 64"),
            ("LVZHI_MAX_DEPTH", "65", "from 1 to 64"),
            ("LVZHI_MAX_BODY_BYTES", "-1", "from 1 to 4294967295"),
            ("LVZHI_DB_MAX_CONNECTIONS", "1001", "from 1 to 1000"),
            ("LVZHI_REQUEST_TIMEOUT_MS", "0", "from 1 to 86400000"),
            (
                "LVZHI_RESPONSE_CACHE_BYTES",
                "1099511627777",
                "from 0 to 1099511627776",
            ),
            ("LVZHI_ENV", "staging", "development or production"),
            ("LVZHI_LOG_FORMAT", "xml", "text or json"),
            ("LVZHI_DASHBOARD", "yes", "on or off"),
            ("LVZHI_READS_REQUIRE_TOKEN", "yes", "true or false"),
            ("LVZHI_IDEMPOTENCY_TTL", "59", "from 60 to 2592000"),
            ("LVZHI_CORS_ORIGINS", "example.org", "is not an origin"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert!(err.contains(name) && err.contains(expected), "{err}");
        }
    }

    #[test]
    fn each_flag_is_its_variable_without_the_prefix() {
        for setting in declared() {
            let flag = setting.flag.replace('-', "_").to_uppercase();
            let variable = setting.variable.trim_start_matches("LVZHI_");
            assert_eq!(flag, variable, "--{}", setting.flag);
        }
    }

    /// The names in `text` that `pattern`'s first group captures, each with
    /// the second group.
    fn rows(pattern: &str, text: &str) -> BTreeMap<String, String> {
        regex::Regex::new(pattern)
            .unwrap()
            .captures_iter(text)
            .map(|c| (c[1].to_owned(), c[2].to_owned()))
            .collect()
    }

    /// Read by the tests, not by lvzhi; documented all the same.
    const TESTS_ONLY: &str = "TEST_DATABASE_URL";

    #[test]
    fn the_readme_table_lists_every_declared_setting_with_its_default() {
        let readme = include_str!("../README.md");
        let table = readme
            .split("\n## Configuration\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README.md has a Configuration section");
        let mut documented = rows(r"(?m)^\| `([A-Z_]+)` \| ([^|]*) \|", table);
        assert!(documented.remove(TESTS_ONLY).is_some(), "{TESTS_ONLY}");
        for setting in declared() {
            let cell = documented
                .remove(&setting.variable)
                .unwrap_or_else(|| panic!("README.md lacks {}", setting.variable));
            match setting.default {
                Some(default) => assert!(
                    cell.starts_with(&format!("`{default}`")),
                    "README.md: {} defaults to `{default}`, not {cell}",
                    setting.variable
                ),
                None => assert!(
                    !cell.starts_with('`'),
                    "README.md: {} has no default, not {cell}",
                    setting.variable
                ),
            }
        }
        assert!(
            documented.is_empty(),
            "README.md documents undeclared {documented:?}"
        );
    }

    #[test]
    fn env_example_lists_every_declared_setting_with_its_default() {
        let example = include_str!("../.env.example");
        let lines: Vec<(String, String)> = regex::Regex::new(r"(?m)^# ([A-Z_]+)=(.*)$")
            .unwrap()
            .captures_iter(example)
            .map(|c| (c[1].to_owned(), c[2].to_owned()))
            .collect();
        let mut listed: std::collections::BTreeSet<&str> =
            lines.iter().map(|(name, _)| name.as_str()).collect();
        assert!(listed.remove(TESTS_ONLY), "{TESTS_ONLY}");
        for setting in declared() {
            assert!(
                listed.remove(setting.variable.as_str()),
                ".env.example lacks {}",
                setting.variable
            );
            if let Some(default) = setting.default {
                assert!(
                    lines.contains(&(setting.variable.clone(), default.clone())),
                    ".env.example: {} defaults to {default}",
                    setting.variable
                );
            }
        }
        assert!(
            listed.is_empty(),
            ".env.example lists undeclared {listed:?}"
        );
    }

    #[test]
    fn an_unsupported_database_is_refused() {
        let err = config(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(err.contains("DATABASE_URL"), "{err}");
    }

    #[test]
    fn a_read_replica_is_a_postgresql_url_beside_a_postgresql_primary() {
        let c = config(&[
            ("DATABASE_URL", "postgres://u@primary/db"),
            ("DATABASE_READ_URL", "postgres://u@replica/db"),
        ])
        .unwrap();
        assert_eq!(
            c.database_read_url.as_deref(),
            Some("postgres://u@replica/db")
        );
        assert_eq!(Config::default().database_read_url, None);
        let err = config(&[("DATABASE_READ_URL", "sqlite://replica.db")]).unwrap_err();
        assert!(
            err.contains("DATABASE_READ_URL") && err.contains("postgres://"),
            "{err}"
        );
        let err = config(&[("DATABASE_READ_URL", "postgres://u@replica/db")]).unwrap_err();
        assert!(
            err.contains("DATABASE_READ_URL")
                && err.contains("DATABASE_URL")
                && err.contains("PostgreSQL"),
            "{err}"
        );
    }
}
