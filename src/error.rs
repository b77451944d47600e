//! Errors of the API layer, as clients see them: a message and a stable `code`
//! in the GraphQL error's `extensions`. Database text never reaches a client.
//! Every code lvzhi sends is an [`ErrorCode`], which also knows its HTTP status.

pub mod code;

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

pub use code::ErrorCode;

/// An error a GraphQL client receives.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiError {
    /// Code `NOT_FOUND`: the requested object does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Code `BAD_USER_INPUT`: an argument is malformed (e.g. an ID of the wrong form,
    /// a page size above the maximum).
    #[error("{0}")]
    BadUserInput(String),
    /// Code `AMBIGUOUS_NAME`: a department name matches departments of several
    /// counties; the message lists them (pass `county` to choose).
    #[error("`{name}` names several departments: {}; pass `county` to choose", .candidates.join("; "))]
    AmbiguousName {
        /// The name asked for.
        name: String,
        /// Each matching department, with its county.
        candidates: Vec<String>,
    },
    /// Code `LIMIT_EXCEEDED`: the request asks more than a configured limit allows
    /// (depth, complexity, aliases, root fields, tokens, batch size, list length);
    /// the message names the limit and its variable.
    #[error("{0}")]
    LimitExceeded(String),
    /// Code `TIMEOUT`: the request ran past its time limit and was cancelled
    /// (HTTP 504).
    #[error("the request took longer than its time limit and was cancelled")]
    Timeout,
    /// Code `DATABASE_UNAVAILABLE`: the database cannot be reached right now; the
    /// request can be retried (HTTP 503).
    #[error("the database is unavailable; try again shortly")]
    DatabaseUnavailable,
    /// Code `INTERNAL`: something failed on the server; the cause is logged, not sent.
    #[error("internal error")]
    Internal,
    /// Code `UNAUTHENTICATED`: the operation needs a valid token (HTTP 401).
    #[error("{0}")]
    Unauthenticated(String),
    /// Code `FORBIDDEN`: the token's role or scope does not allow the
    /// operation on its target (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// Code `CONFLICT`: the write collides with the stored state (HTTP 409).
    #[error("{0}")]
    Conflict(String),
}

impl ApiError {
    /// The `code` clients match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::BadUserInput(_) => ErrorCode::BadUserInput,
            ApiError::AmbiguousName { .. } => ErrorCode::AmbiguousName,
            ApiError::LimitExceeded(_) => ErrorCode::LimitExceeded,
            ApiError::Timeout => ErrorCode::Timeout,
            ApiError::DatabaseUnavailable => ErrorCode::DatabaseUnavailable,
            ApiError::Internal => ErrorCode::Internal,
            ApiError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::Conflict(_) => ErrorCode::Conflict,
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        match crate::db::classify(&e) {
            crate::db::Failure::Unavailable => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::DatabaseUnavailable
            }
            crate::db::Failure::Timeout => {
                tracing::warn!(error = %e, "statement timeout");
                ApiError::Timeout
            }
            crate::db::Failure::Contended => {
                tracing::info!(error = %e, "a write lost a race");
                ApiError::Conflict("another write to the same data committed first; retry".into())
            }
            crate::db::Failure::Other => {
                tracing::error!(error = %e, "database error");
                ApiError::Internal
            }
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string())
            .extend_with(|_, ext| ext.set("code", self.code()))
    }
}

/// Give every error of `response` a `code`: resolver errors carry theirs;
/// async-graphql's limit errors become `LIMIT_EXCEEDED` with a message naming
/// the variable; other request-level errors (no path) are
/// `GRAPHQL_VALIDATION_FAILED`; anything else is `INTERNAL`. Called by
/// [`crate::graphql::Api::execute`] on every response rather than hooked in as
/// a schema extension: any extension sends every field through async-graphql's
/// slower resolution path.
pub fn fill_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_some() {
            continue;
        }
        let code = if !error.path.is_empty() {
            ErrorCode::Internal
        } else if let Some(message) = engine_limit_message(&error.message) {
            error.message = message;
            ErrorCode::LimitExceeded
        } else {
            ErrorCode::GraphqlValidationFailed
        };
        extensions.set("code", code);
    }
}

/// async-graphql's messages for its own limits, reworded to name lvzhi's variable.
fn engine_limit_message(message: &str) -> Option<String> {
    let variable = if message == "Query is too complex." {
        "the query is too complex: its cost is above LVZHI_MAX_COMPLEXITY"
    } else if message == "Query is nested too deep." {
        "the query is nested too deep: its depth is above LVZHI_MAX_DEPTH"
    } else if message.starts_with("The recursion depth of the query")
        || message.contains("recursion limit exceeded")
    {
        "the query is nested too deep for the parser"
    } else if message.starts_with("The number of directives on the field") {
        return Some(format!("{message} (LVZHI_MAX_DIRECTIVES)"));
    } else {
        return None;
    };
    Some(variable.to_owned())
}

/// The result type of resolvers.
pub type ApiResult<T> = Result<T, async_graphql::Error>;

/// A department name that denotes several departments is `AMBIGUOUS_NAME`.
impl From<crate::domain::department::LookupError> for ApiError {
    fn from(error: crate::domain::department::LookupError) -> Self {
        match error {
            crate::domain::department::LookupError::Ambiguous { name, candidates } => {
                ApiError::AmbiguousName { name, candidates }
            }
            crate::domain::department::LookupError::Database(e) => ApiError::from(e),
        }
    }
}

/// Convert a database result into a resolver result, hiding the database's text.
pub fn db<T>(result: Result<T, DbErr>) -> ApiResult<T> {
    result.map_err(|e| ApiError::from(e).extend())
}
