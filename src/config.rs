//! Configuration, read once at start-up from the environment and `.env`.
//!
//! Every variable is optional; README.md's configuration table lists them all
//! with their defaults (the same table as `.env.example`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The embedded SQLite file used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://lvzhi.db?mode=rwc";
/// Where `lvzhi serve` listens when `LVZHI_BIND` is not set.
pub const DEFAULT_BIND: &str = "127.0.0.1:8000";

/// Invalid configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable holds a value of the wrong form.
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Where lvzhi runs: production hides what only developers need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Environment {
    /// Introspection, GraphiQL and field suggestions are on.
    #[default]
    Development,
    /// Introspection, GraphiQL and field suggestions are off.
    Production,
}

/// How log lines are written to stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

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
    fn default() -> Self {
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
    fn default() -> Self {
        PoolConfig {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
        }
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
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            bytes: 64 * 1024 * 1024,
            poll: Duration::from_secs(1),
        }
    }
}

/// lvzhi's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Database connection URL.
    pub database_url: String,
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
}

impl Default for Config {
    /// Every default: the embedded SQLite file on 127.0.0.1:8000.
    fn default() -> Self {
        Config {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: DEFAULT_BIND.parse().expect("the default address parses"),
            departments: None,
            admission_lexicon: None,
            log: "info".to_owned(),
            log_format: LogFormat::Text,
            environment: Environment::Development,
            limits: Limits::default(),
            pool: PoolConfig::default(),
            cache: CacheConfig::default(),
            cors_origins: Vec::new(),
            dashboard: true,
            shutdown_timeout: Duration::from_secs(10),
            shutdown_drain: Duration::ZERO,
        }
    }
}

impl Config {
    /// Read the process environment, after loading `.env` from the working
    /// directory if there is one (variables already set win).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case; a malformed one is worth a warning.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            eprintln!("warning: .env ignored: {e}");
        }
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Build from any source of variables (the environment, or a test's map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let invalid = |name: &'static str, value: &str, reason: &str| ConfigError::Invalid {
            name,
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        // A whole number in `min..=max`, or the default when unset.
        let number = |name: &'static str, default: u64, min: u64, max: u64| match set(name) {
            None => Ok(default),
            Some(text) => match text.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(invalid(
                    name,
                    &text,
                    &format!("expected a whole number from {min} to {max}"),
                )),
            },
        };
        let size = |name, default: usize, min| {
            number(name, default as u64, min, u32::MAX as u64).map(|n| n as usize)
        };
        let millis = |name, default: Duration, min| {
            number(name, default.as_millis() as u64, min, 86_400_000).map(Duration::from_millis)
        };
        let defaults = Config::default();

        let bind = match set("LVZHI_BIND") {
            None => defaults.bind,
            Some(text) => text.parse().map_err(|e: std::net::AddrParseError| {
                invalid(
                    "LVZHI_BIND",
                    &text,
                    &format!("{e} (expected HOST:PORT, e.g. 127.0.0.1:8000)"),
                )
            })?,
        };
        let database_url = set("DATABASE_URL").unwrap_or(defaults.database_url);
        if !["postgres://", "postgresql://", "sqlite:"]
            .iter()
            .any(|p| database_url.starts_with(p))
        {
            return Err(invalid(
                "DATABASE_URL",
                &database_url,
                "expected a postgres:// or sqlite: URL",
            ));
        }
        let environment = match set("LVZHI_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(invalid(
                    "LVZHI_ENV",
                    other,
                    "expected development or production",
                ));
            }
        };
        // On in production too: the dashboard only reads the public API that
        // production serves anyway, needs no introspection, and is what analysts
        // on an intranet without another frontend use.
        let dashboard = match set("LVZHI_DASHBOARD").as_deref() {
            None => defaults.dashboard,
            Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(invalid("LVZHI_DASHBOARD", other, "expected on or off")),
        };
        let log_format = match set("LVZHI_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(invalid("LVZHI_LOG_FORMAT", other, "expected text or json")),
        };
        let cors_origins = match set("LVZHI_CORS_ORIGINS") {
            None => Vec::new(),
            Some(text) => {
                let origins: Vec<String> = text
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect();
                if let Some(bad) = origins.iter().find(|o| {
                    o.as_str() != "*" && !(o.starts_with("http://") || o.starts_with("https://"))
                }) {
                    return Err(invalid(
                        "LVZHI_CORS_ORIGINS",
                        &text,
                        &format!(
                            "{bad:?} is not an origin (expected e.g. https://dashboard.example.org, comma-separated, or *)"
                        ),
                    ));
                }
                origins
            }
        };
        let d = Limits::default();
        let limits = Limits {
            depth: number("LVZHI_MAX_DEPTH", d.depth as u64, 1, 64)? as usize,
            complexity: size("LVZHI_MAX_COMPLEXITY", d.complexity, 1)?,
            aliases: size("LVZHI_MAX_ALIASES", d.aliases, 0)?,
            root_fields: size("LVZHI_MAX_ROOT_FIELDS", d.root_fields, 1)?,
            directives: size("LVZHI_MAX_DIRECTIVES", d.directives, 0)?,
            tokens: size("LVZHI_MAX_TOKENS", d.tokens, 1)?,
            body_bytes: size("LVZHI_MAX_BODY_BYTES", d.body_bytes, 1)?,
            batch: size("LVZHI_MAX_BATCH", d.batch, 0)?,
            page_size: size("LVZHI_MAX_PAGE_SIZE", d.page_size, 1)?,
            list_items: size("LVZHI_MAX_LIST_ITEMS", d.list_items, 1)?,
            request_timeout: millis("LVZHI_REQUEST_TIMEOUT_MS", d.request_timeout, 1)?,
        };
        let p = PoolConfig::default();
        let pool = PoolConfig {
            max_connections: number(
                "LVZHI_DB_MAX_CONNECTIONS",
                p.max_connections.into(),
                1,
                1000,
            )? as u32,
            acquire_timeout: millis("LVZHI_DB_ACQUIRE_TIMEOUT_MS", p.acquire_timeout, 1)?,
            statement_timeout: millis("LVZHI_DB_STATEMENT_TIMEOUT_MS", p.statement_timeout, 0)?,
        };
        let c = CacheConfig::default();
        let cache = CacheConfig {
            bytes: number("LVZHI_RESPONSE_CACHE_BYTES", c.bytes, 0, 1 << 40)?,
            poll: millis("LVZHI_RESPONSE_CACHE_POLL_MS", c.poll, 1)?,
        };
        Ok(Config {
            database_url,
            bind,
            departments: set("LVZHI_DEPARTMENTS").map(PathBuf::from),
            admission_lexicon: set("LVZHI_ADMISSION_LEXICON").map(PathBuf::from),
            log: set("LVZHI_LOG").unwrap_or(defaults.log),
            log_format,
            environment,
            limits,
            pool,
            cache,
            cors_origins,
            dashboard,
            shutdown_timeout: millis("LVZHI_SHUTDOWN_TIMEOUT_MS", defaults.shutdown_timeout, 0)?,
            shutdown_drain: millis("LVZHI_SHUTDOWN_DRAIN_MS", defaults.shutdown_drain, 0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|k| map.get(k).cloned())
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
        let err = config(&[("LVZHI_BIND", "localhost")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("LVZHI_BIND"), "{err}");
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
    }

    #[test]
    fn a_bad_number_or_word_names_its_variable_and_what_is_expected() {
        for (name, value) in [
            ("LVZHI_MAX_DEPTH", "deep"),
            ("LVZHI_MAX_DEPTH", "0"),
            ("LVZHI_MAX_BODY_BYTES", "-1"),
            ("LVZHI_ENV", "staging"),
            ("LVZHI_LOG_FORMAT", "xml"),
            ("LVZHI_DASHBOARD", "yes"),
            ("LVZHI_CORS_ORIGINS", "example.org"),
        ] {
            let err = config(&[(name, value)]).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains("expected"), "{err}");
        }
    }

    /// The names in `text` that `pattern`'s first group captures.
    fn names(pattern: &str, text: &str) -> std::collections::BTreeSet<String> {
        regex::Regex::new(pattern)
            .unwrap()
            .captures_iter(text)
            .map(|c| c[1].to_owned())
            .collect()
    }

    #[test]
    fn the_readme_table_and_env_example_list_every_variable_read_here() {
        let readme = include_str!("../README.md");
        let table = readme
            .split("\n## Configuration\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README.md has a Configuration section");
        let documented = names(r"(?m)^\| `([A-Z_]+)` \|", table);
        let example = names(r"(?m)^# ([A-Z_]+)=", include_str!("../.env.example"));
        let mut read = names(
            r#""((?:LVZHI|DATABASE)_[A-Z_]+)""#,
            include_str!("config.rs"),
        );
        // Read by the tests, not by lvzhi; documented all the same.
        read.insert("TEST_DATABASE_URL".to_owned());
        assert_eq!(documented, read, "README.md's configuration table");
        assert_eq!(example, read, ".env.example");
    }

    #[test]
    fn an_unsupported_database_is_refused() {
        assert!(config(&[("DATABASE_URL", "mysql://x")]).is_err());
    }
}
