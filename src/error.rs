//! Errors of the API layer, as clients see them: a message and a stable `code`
//! in the GraphQL error's `extensions`. Database text never reaches a client.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// An error a GraphQL client receives.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiError {
    /// Code `NOT_FOUND`: the requested object does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Code `BAD_USER_INPUT`: an argument is malformed (e.g. an ID of the wrong form).
    #[error("{0}")]
    BadUserInput(String),
    /// Code `INTERNAL`: something failed on the server; the cause is logged, not sent.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// The `code` clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::Internal => "INTERNAL",
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::Internal
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string())
            .extend_with(|_, ext| ext.set("code", self.code()))
    }
}

/// The result type of resolvers.
pub type ApiResult<T> = Result<T, async_graphql::Error>;

/// Convert a database result into a resolver result, hiding the database's text.
pub fn db<T>(result: Result<T, DbErr>) -> ApiResult<T> {
    result.map_err(|e| ApiError::from(e).extend())
}
