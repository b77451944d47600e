//! The error codes clients receive, one type for all of them: the wire
//! string of each and the HTTP status of a response that fails with it.
//! Kept apart from [`super::ApiError`] so that every layer (import, export,
//! the server) can name a code without depending on the GraphQL layer.

use poem::http::StatusCode;
use sea_orm::DbErr;

/// Every `code` a client can receive in an error's `extensions`, over GraphQL
/// or from the HTTP endpoints around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `BAD_REQUEST`: the HTTP request is not a GraphQL request (method, media
    /// type, a body that is not JSON, no `query`).
    BadRequest,
    /// `BAD_USER_INPUT`: an argument or an input document is malformed.
    BadUserInput,
    /// `NOT_FOUND`: the requested object does not exist.
    NotFound,
    /// `AMBIGUOUS_NAME`: a name denotes several departments or counties.
    AmbiguousName,
    /// `LIMIT_EXCEEDED`: the request asks more than a configured limit allows.
    LimitExceeded,
    /// `TIMEOUT`: the request ran past its time limit, or a statement past the
    /// database's.
    Timeout,
    /// `DATABASE_UNAVAILABLE`: the database cannot be reached; retry shortly.
    DatabaseUnavailable,
    /// `INTERNAL`: something failed on the server; the cause is logged, not sent.
    Internal,
    /// `GRAPHQL_VALIDATION_FAILED`: the engine refused the document before
    /// execution (syntax, unknown fields, wrong argument types).
    GraphqlValidationFailed,
    /// `UNKNOWN_DEPARTMENT`: an imported document names departments the
    /// registry cannot resolve.
    UnknownDepartment,
    /// `UNKNOWN_COUNTY`: an imported document's county is not in the registry.
    UnknownCounty,
    /// `RECONCILIATION_MISMATCH`: an imported list does not add up to what its
    /// preamble states.
    ReconciliationMismatch,
    /// `OLDER_EDITION`: an imported list takes effect before its town's current
    /// edition, and the import did not ask to add it to the history.
    OlderEdition,
    /// `AMBIGUOUS_MATCH`: an imported edition's duties cannot all be matched to
    /// the previous edition's without guessing; a mapping file settles them.
    AmbiguousMatch,
    /// `UNAUTHENTICATED`: the request needs a token (a write, or a read where
    /// reads require one) and carries none, or a wrong, expired or revoked one.
    Unauthenticated,
    /// `FORBIDDEN`: the token's role or scope does not allow the operation on
    /// its target.
    Forbidden,
    /// `CONFLICT`: the write collides with the stored state: a newer edition
    /// touched the same duty, a request is no longer in the state the step
    /// needs, another writer won a race, or an idempotency key was reused
    /// with another body.
    Conflict,
}

impl ErrorCode {
    /// Every code, for lookups and tests.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::BadRequest,
        ErrorCode::BadUserInput,
        ErrorCode::NotFound,
        ErrorCode::AmbiguousName,
        ErrorCode::LimitExceeded,
        ErrorCode::Timeout,
        ErrorCode::DatabaseUnavailable,
        ErrorCode::Internal,
        ErrorCode::GraphqlValidationFailed,
        ErrorCode::UnknownDepartment,
        ErrorCode::UnknownCounty,
        ErrorCode::ReconciliationMismatch,
        ErrorCode::OlderEdition,
        ErrorCode::AmbiguousMatch,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::Conflict,
    ];

    /// The code as clients read it in `extensions.code`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::AmbiguousName => "AMBIGUOUS_NAME",
            ErrorCode::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::DatabaseUnavailable => "DATABASE_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::UnknownDepartment => "UNKNOWN_DEPARTMENT",
            ErrorCode::UnknownCounty => "UNKNOWN_COUNTY",
            ErrorCode::ReconciliationMismatch => "RECONCILIATION_MISMATCH",
            ErrorCode::OlderEdition => "OLDER_EDITION",
            ErrorCode::AmbiguousMatch => "AMBIGUOUS_MATCH",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Conflict => "CONFLICT",
        }
    }

    /// The code spelled `code` on the wire, if lvzhi has one.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The HTTP status of a response that fails as a whole with this code.
    /// GraphQL responses stay 200 unless a server fault (503, 504) makes a
    /// retry worthwhile, and some refusals have a more precise status (405,
    /// 413, 415), which their endpoint sets.
    pub const fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::BadUserInput
            | ErrorCode::AmbiguousName
            | ErrorCode::LimitExceeded
            | ErrorCode::GraphqlValidationFailed
            | ErrorCode::UnknownDepartment
            | ErrorCode::UnknownCounty
            | ErrorCode::ReconciliationMismatch
            | ErrorCode::AmbiguousMatch => StatusCode::BAD_REQUEST,
            ErrorCode::OlderEdition | ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code of a database failure: unreachable, cancelled by
    /// `statement_timeout`, or anything else.
    pub fn of_database(error: &DbErr) -> Self {
        match crate::db::classify(error) {
            crate::db::Failure::Unavailable => ErrorCode::DatabaseUnavailable,
            crate::db::Failure::Timeout => ErrorCode::Timeout,
            crate::db::Failure::Contended => ErrorCode::Conflict,
            crate::db::Failure::Other => ErrorCode::Internal,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// So that `extensions.set("code", code)` writes the wire string.
impl From<ErrorCode> for async_graphql::Value {
    fn from(code: ErrorCode) -> Self {
        async_graphql::Value::String(code.as_str().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_from_its_wire_string() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("ok"), None);
    }

    #[test]
    fn server_faults_and_only_they_have_a_5xx_status() {
        let faults = [
            ErrorCode::Timeout,
            ErrorCode::DatabaseUnavailable,
            ErrorCode::Internal,
        ];
        for code in ErrorCode::ALL {
            assert_eq!(
                code.status().is_server_error(),
                faults.contains(&code),
                "{code}"
            );
        }
        assert_eq!(
            ErrorCode::DatabaseUnavailable.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(ErrorCode::Timeout.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(ErrorCode::NotFound.status(), StatusCode::NOT_FOUND);
    }
}
