//! The `Date` scalar, and the editions a read sees from its `listId` and
//! `asOf` arguments ([`scope`]): one list, the editions in force on a day, or —
//! without either — every town's current edition.

use async_graphql::{
    ErrorExtensions, ID, InputValueError, InputValueResult, Scalar, ScalarType, Value,
};

use super::id;
use crate::date::Date as Day;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};

/// A calendar day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub Day);

/// A calendar day, `YYYY-MM-DD`; `YYYY-MM` is accepted for the first of the
/// month (lists are published by month). Anything else is refused.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text
                .parse()
                .map(Date)
                .map_err(|e: crate::date::InvalidDate| InputValueError::custom(e.to_string())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// Checked while the request is validated, so a bad day is refused before
    /// anything runs.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if text.parse::<Day>().is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

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
        (None, Some(day)) => Ok(Scope::AsOf(day.0)),
        (None, None) => Ok(Scope::Current),
    }
}
