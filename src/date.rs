//! A calendar day: when an edition takes effect, when a reform took effect, the
//! day an as-of read asks about.

use std::fmt;
use std::str::FromStr;

/// A calendar day, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Text that is neither `YYYY-MM-DD` nor `YYYY-MM`, or no day of the calendar.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date (YYYY-MM-DD or YYYY-MM)")]
pub struct InvalidDate(pub String);

/// Now, in Unix milliseconds: the one clock of the timestamps lvzhi stores
/// (audit lines, events, webhook deliveries) and of the cache's staleness.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Date {
    /// The day, if the calendar has it.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => return None,
        };
        (1..=days)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// Year, month and day.
    pub fn ymd(self) -> (u16, u8, u8) {
        (self.year, self.month, self.day)
    }

    /// Today in UTC: the day a read of the current editions asks about.
    pub fn today() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((seconds / 86_400) as i64)
    }

    /// Days from 1970-01-01 to this day (Howard Hinnant's `days_from_civil`),
    /// the inverse of [`Date::from_days`].
    pub fn days_since_epoch(self) -> i64 {
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let mp = if month > 2 { month - 3 } else { month + 9 };
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The day `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }
}

impl FromStr for Date {
    type Err = InvalidDate;

    /// `YYYY-MM-DD`, or `YYYY-MM` for the first day of the month: lists are
    /// published by month, and a reform effective "from October" is from the 1st.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidDate(text.to_owned());
        let parts: Vec<&str> = text.trim().split('-').collect();
        let number = |part: &str, digits: usize| {
            (part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u16>().ok())
                .flatten()
        };
        let (year, month, day) = match parts.as_slice() {
            [y, m] => (number(y, 4), number(m, 2), Some(1)),
            [y, m, d] => (number(y, 4), number(m, 2), number(d, 2)),
            _ => return Err(invalid()),
        };
        let (Some(year), Some(month), Some(day)) = (year, month, day) else {
            return Err(invalid());
        };
        Date::new(year, month as u8, day as u8).ok_or_else(invalid)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_the_epoch_are_calendar_days() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(11_016).to_string(), "2000-02-29");
        assert_eq!(Date::from_days(20_270).to_string(), "2025-07-01");
        for days in [-1, 0, 59, 11_016, 20_270, 2_000_000] {
            assert_eq!(Date::from_days(days).days_since_epoch(), days);
        }
        assert!(Date::today() > Date::new(2025, 1, 1).unwrap());
    }
}
