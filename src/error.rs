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
            ApiError::AmbiguousName { .. } => "AMBIGUOUS_NAME",
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

/// Code of errors the GraphQL engine raises before execution (syntax, unknown
/// fields, wrong argument types, exceeded limits).
pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// An extension that gives every error a `code`: resolver errors carry theirs;
/// request-level errors (no path) are `GRAPHQL_VALIDATION_FAILED`; anything else
/// is `INTERNAL`.
pub struct ErrorCodes;

impl async_graphql::extensions::ExtensionFactory for ErrorCodes {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl async_graphql::extensions::Extension for ErrorCodes {
    async fn request(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        next: async_graphql::extensions::NextRequest<'_>,
    ) -> async_graphql::Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            let extensions = error.extensions.get_or_insert_with(Default::default);
            if extensions.get("code").is_none() {
                let code = if error.path.is_empty() {
                    GRAPHQL_VALIDATION_FAILED
                } else {
                    "INTERNAL"
                };
                extensions.set("code", code);
            }
        }
        response
    }
}

/// The result type of resolvers.
pub type ApiResult<T> = Result<T, async_graphql::Error>;

/// Convert a database result into a resolver result, hiding the database's text.
pub fn db<T>(result: Result<T, DbErr>) -> ApiResult<T> {
    result.map_err(|e| ApiError::from(e).extend())
}
