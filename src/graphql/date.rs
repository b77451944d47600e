//! Days and instants on the wire: the `Date` scalar (`YYYY-MM-DD`, read from
//! `YYYY-MM` too) and instants as ISO-8601 UTC strings.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::date::Date;

/// A calendar day, `YYYY-MM-DD` (e.g. `2025-07-01`). As an argument, `YYYY-MM`
/// is read as the first day of that month.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text.parse().map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// Checked while the request is validated, so a malformed day is refused
    /// (`GRAPHQL_VALIDATION_FAILED`) before anything runs.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if text.parse::<Date>().is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// Unix seconds as an ISO-8601 instant in UTC, `2025-07-15T08:30:00Z`.
pub fn iso_utc(seconds: i64) -> String {
    let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = crate::date::Date::from_days(days).ymd();
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_in_utc_to_the_second() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(1_752_568_200), "2025-07-15T08:30:00Z");
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn a_date_goes_out_as_a_day_and_comes_in_from_a_day_or_a_month() {
        let day = Date::new(2025, 7, 1).unwrap();
        assert_eq!(ScalarType::to_value(&day), Value::from("2025-07-01"));
        assert_eq!(
            <Date as ScalarType>::parse(Value::from("2025-07")).ok(),
            Some(day)
        );
        assert!(<Date as ScalarType>::parse(Value::from("2025-13-01")).is_err());
        assert!(<Date as ScalarType>::parse(Value::from(20250701)).is_err());
    }
}
