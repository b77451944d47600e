//! The editions a read sees from its `listId` and `asOf` (a `Date`, see
//! [`super::date`]) arguments ([`scope`]): one list, the editions in force on
//! a day, or — without either — every town's current edition.

use async_graphql::{ErrorExtensions, ID};

use super::id;
use crate::date::Date;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};

/// The scope of a read's `listId` (`list` names the argument) and `asOf`: one
/// list, the editions in force on a day, or every current edition. Both at
/// once is a `BAD_USER_INPUT` error: a list is one edition already.
pub(crate) fn scope(list: Option<(&ID, &str)>, as_of: Option<Date>) -> ApiResult<Scope> {
    match (list, as_of) {
        (Some((_, name)), Some(_)) => Err(ApiError::BadUserInput(format!(
            "pass `{name}` or `asOf`, not both: a list is one edition already"
        ))
        .extend()),
        (Some((list, _)), None) => Ok(Scope::List(id::decode(list, "DutyList")?)),
        (None, Some(day)) => Ok(Scope::AsOf(day)),
        (None, None) => Ok(Scope::Current),
    }
}
