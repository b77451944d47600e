//! The audit log: [`record`] appends one row for a write — in the write's own
//! transaction when it succeeds, on its own when it was refused — and never
//! a secret. The database refuses to change or delete a row once written.
//! Reading it: [`page`] (newest first, keyset on the id) and [`count`] of the
//! rows an [`AuditFilter`] selects; [`parse_bound`] reads a time bound and
//! [`instant_text`] writes an instant, the same for GraphQL, HTTP and the CLI.

use entity::audit_event;
use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};

use crate::auth::{Action, Actor, Denied, Target, permit, role_name};
use crate::date::Date;
use crate::error::ErrorCode;

/// What is recorded of one operation, besides who did it.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// What was done, e.g. `adjustment.submit`.
    pub operation: &'static str,
    /// What it was done to, e.g. `Adjustment:12`.
    pub target: String,
    /// The target's state before, to be digested.
    pub before: Option<String>,
    /// The target's state after, to be digested.
    pub after: Option<String>,
    /// The 文号 of a publication or import.
    pub document_number: Option<String>,
    /// A short summary for people.
    pub detail: Option<String>,
}

impl Entry {
    /// An entry for `operation` on `target`.
    pub fn new(operation: &'static str, target: impl Into<String>) -> Self {
        Entry {
            operation,
            target: target.into(),
            ..Entry::default()
        }
    }
}

/// SHA-256 (hex) of a state's serialisation.
pub fn digest(state: &str) -> String {
    hex(&Sha256::digest(state.as_bytes()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Append `entry`, done by `actor`, with `result` (`None` for success).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entry: Entry,
    result: Option<ErrorCode>,
) -> Result<(), DbErr> {
    let at = crate::date::now_ms();
    audit_event::ActiveModel {
        at: Set(at),
        actor: Set(actor.name().to_owned()),
        role: Set(actor.role().map(|r| role_name(r).to_owned())),
        client: Set(actor.client.clone()),
        request_id: Set(actor.request_id.clone()),
        operation: Set(entry.operation.to_owned()),
        target: Set(entry.target),
        before_digest: Set(entry.before.as_deref().map(digest)),
        after_digest: Set(entry.after.as_deref().map(digest)),
        result: Set(result.map_or("OK", ErrorCode::as_str).to_owned()),
        document_number: Set(entry.document_number),
        detail: Set(entry.detail),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Which audit rows to read; every field given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The target, exactly (`Adjustment:12`), or every target of a type when it
    /// ends in `:` (`Adjustment:`).
    pub target: Option<String>,
    /// The actor's name, exactly (a token's name, `cli`, `system`, `anonymous`).
    pub actor: Option<String>,
    /// The operation, exactly (`list.import`, `token.create`, …).
    pub operation: Option<String>,
    /// Rows at or after this instant (Unix milliseconds).
    pub from: Option<i64>,
    /// Rows at or before this instant (Unix milliseconds).
    pub to: Option<i64>,
}

impl AuditFilter {
    /// The filter's SQL condition.
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(target) = &self.target {
            cond = cond.add(target_condition(target));
        }
        if let Some(actor) = &self.actor {
            cond = cond.add(audit_event::Column::Actor.eq(actor));
        }
        if let Some(operation) = &self.operation {
            cond = cond.add(audit_event::Column::Operation.eq(operation));
        }
        if let Some(from) = self.from {
            cond = cond.add(audit_event::Column::At.gte(from));
        }
        if let Some(to) = self.to {
            cond = cond.add(audit_event::Column::At.lte(to));
        }
        cond
    }
}

/// `target` exactly, or — ending in `:` — every target it begins. The prefix
/// is compared with `SUBSTR`, not `LIKE`: SQLite's `LIKE` ignores case and
/// both backends' would need its wildcards escaped.
fn target_condition(target: &str) -> SimpleExpr {
    if !target.ends_with(':') {
        return audit_event::Column::Target.eq(target);
    }
    // An `INTEGER`: PostgreSQL has no `substr(text, int, bigint)`.
    let chars = i32::try_from(target.chars().count()).unwrap_or(i32::MAX);
    SimpleExpr::from(
        Func::cust("SUBSTR")
            .arg(Expr::col(audit_event::Column::Target))
            .arg(1)
            .arg(chars),
    )
    .eq(target)
}

/// Up to `first` rows matching `filter`, newest first, after the row `after`
/// (keyset: ids below it). One statement.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    after: Option<i32>,
    first: usize,
) -> Result<Vec<audit_event::Model>, DbErr> {
    let mut cond = filter.condition();
    if let Some(after) = after {
        cond = cond.add(audit_event::Column::Id.lt(after));
    }
    audit_event::Entity::find()
        .filter(cond)
        .order_by_desc(audit_event::Column::Id)
        .limit(first as u64)
        .all(db)
        .await
}

/// How many rows match `filter`. One statement.
pub async fn count(db: &impl ConnectionTrait, filter: &AuditFilter) -> Result<u64, DbErr> {
    audit_event::Entity::find()
        .filter(filter.condition())
        .count(db)
        .await
}

/// A time bound that is neither a day nor an instant in UTC.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{}`: `{text}` is not a day (YYYY-MM-DD) or an instant in UTC (YYYY-MM-DDTHH:MM:SSZ, milliseconds optional)",
    .edge.name()
)]
pub struct InvalidBound {
    /// Which bound.
    pub edge: Edge,
    /// The text given.
    pub text: String,
}

/// Which end of a time range a bound is: a day as the start means its first
/// millisecond, as the end its last, so `from: 2026-01-01, to: 2026-01-31`
/// covers all of January.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// `from`: inclusive, a day from its start.
    Start,
    /// `to`: inclusive, a day to its end.
    End,
}

impl Edge {
    /// The argument's name.
    pub fn name(self) -> &'static str {
        match self {
            Edge::Start => "from",
            Edge::End => "to",
        }
    }
}

impl AuditFilter {
    /// The filter of the arguments of `auditLog`, the export's query and the
    /// command line: blank text is no condition; `from`/`to` go through
    /// [`parse_bound`].
    pub fn parse(
        target: Option<&str>,
        actor: Option<&str>,
        operation: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, InvalidBound> {
        let text = |value: Option<&str>| {
            value
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let bound =
            |value: Option<&str>, edge| text(value).map(|v| parse_bound(&v, edge)).transpose();
        Ok(AuditFilter {
            target: text(target),
            actor: text(actor),
            operation: text(operation),
            from: bound(from, Edge::Start)?,
            to: bound(to, Edge::End)?,
        })
    }
}

/// Why an actor may not read the audit log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadRefused {
    /// No token, or not an admin's.
    #[error(transparent)]
    Denied(Denied),
    /// An admin confined to a county, town or department: the log's rows carry
    /// no county to confine them by.
    #[error(
        "the audit log spans every county: only an admin token not confined to a county, town or department may read it"
    )]
    Confined,
}

impl ReadRefused {
    /// `UNAUTHENTICATED` or `FORBIDDEN`.
    pub fn code(&self) -> ErrorCode {
        match self {
            ReadRefused::Denied(denied) => denied.code(),
            ReadRefused::Confined => ErrorCode::Forbidden,
        }
    }
}

/// Whether `actor` may read the audit log: an admin whose token is confined to
/// nothing (or the command line). Its rows have no county, so a county's admin
/// would see every county's.
pub fn may_read(actor: &Actor) -> Result<(), ReadRefused> {
    permit(actor, Action::ReadAudit, &Target::default()).map_err(|denied| match denied {
        Denied::Scope { .. } => ReadRefused::Confined,
        other => ReadRefused::Denied(other),
    })
}

const MS_PER_DAY: i64 = 86_400_000;

/// The instant (Unix milliseconds) of a bound written as a day `YYYY-MM-DD`
/// or an instant `YYYY-MM-DDTHH:MM:SS[.mmm]Z`.
pub fn parse_bound(text: &str, edge: Edge) -> Result<i64, InvalidBound> {
    let invalid = || InvalidBound {
        edge,
        text: text.to_owned(),
    };
    let text = text.trim();
    let (day, time) = match text.split_once('T') {
        Some((day, time)) => (day, Some(time)),
        None => (text, None),
    };
    // `YYYY-MM` is a valid `Date` elsewhere but no day here.
    if day.len() != 10 {
        return Err(invalid());
    }
    let date: Date = day.parse().map_err(|_| invalid())?;
    let midnight = epoch_days(date) * MS_PER_DAY;
    match (time, edge) {
        (None, Edge::Start) => Ok(midnight),
        (None, Edge::End) => Ok(midnight + MS_PER_DAY - 1),
        (Some(time), _) => time_of_day(time)
            .map(|ms| midnight + ms)
            .ok_or_else(invalid),
    }
}

/// Milliseconds since midnight of `HH:MM:SS[.mmm]Z`.
fn time_of_day(time: &str) -> Option<i64> {
    let time = time.strip_suffix('Z')?;
    let (clock, millis) = match time.split_once('.') {
        Some((clock, millis)) if millis.len() == 3 => (clock, digits(millis)?),
        Some(_) => return None,
        None => (time, 0),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let (h, m, s) = (two(h)?, two(m)?, two(s)?);
    (h < 24 && m < 60 && s < 60).then_some(((h * 60 + m) * 60 + s) * 1000 + millis)
}

/// Two ASCII digits.
fn two(text: &str) -> Option<i64> {
    (text.len() == 2).then(|| digits(text)).flatten()
}

/// ASCII digits only, as a number.
fn digits(text: &str) -> Option<i64> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())
        .flatten()
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`, the inverse of
/// [`Date::from_days`]).
fn epoch_days(date: Date) -> i64 {
    let (year, month, day) = date.ymd();
    let (month, day) = (i64::from(month), i64::from(day));
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An audit row's `at` as an ISO-8601 instant in UTC with milliseconds,
/// `2026-01-15T08:30:00.250Z`.
pub fn instant_text(at: i64) -> String {
    let (days, ms) = (at.div_euclid(MS_PER_DAY), at.rem_euclid(MS_PER_DAY));
    let (year, month, day) = Date::from_days(days).ymd();
    let seconds = ms / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_bounds_a_range_from_its_first_to_its_last_millisecond() {
        assert_eq!(parse_bound("1970-01-01", Edge::Start), Ok(0));
        assert_eq!(parse_bound("1970-01-01", Edge::End), Ok(MS_PER_DAY - 1));
        assert_eq!(
            parse_bound("2026-01-15", Edge::Start),
            Ok(1_768_435_200_000)
        );
    }

    #[test]
    fn an_instant_is_read_to_the_millisecond_and_written_back_the_same() {
        for text in ["2026-01-15T08:30:00.250Z", "2000-02-29T23:59:59.999Z"] {
            let at = parse_bound(text, Edge::End).unwrap();
            assert_eq!(instant_text(at), text);
        }
        assert_eq!(
            parse_bound("2026-01-15T08:30:00Z", Edge::Start),
            Ok(1_768_435_200_000 + 30_600_000)
        );
        assert_eq!(instant_text(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn epoch_days_invert_from_days() {
        for days in [-700_000, -1, 0, 1, 10_957, 20_468, 2_932_896] {
            assert_eq!(epoch_days(Date::from_days(days)), days, "{days}");
        }
    }

    #[test]
    fn anything_else_is_no_bound() {
        for text in [
            "",
            "2026-01",
            "2026-02-30",
            "2026-01-15T08:30:00",
            "2026-01-15T24:00:00Z",
            "2026-01-15T08:30:00.5Z",
            "2026-01-15T08:30Z",
            "2026-01-15T08:30:00+08:00",
            "yesterday",
        ] {
            assert!(parse_bound(text, Edge::Start).is_err(), "{text}");
        }
    }

    fn holder(role: entity::Role, county_id: Option<i32>) -> Actor {
        Actor {
            principal: Some(crate::auth::Principal {
                token_id: 1,
                name: "t".into(),
                role,
                county_id,
                town: None,
                department_id: None,
            }),
            ..Actor::default()
        }
    }

    #[test]
    fn only_an_unconfined_admin_or_the_command_line_reads_the_log() {
        use entity::Role;
        assert_eq!(may_read(&holder(Role::Admin, None)), Ok(()));
        assert_eq!(may_read(&Actor::command_line()), Ok(()));
        assert_eq!(
            may_read(&holder(Role::Admin, Some(3))),
            Err(ReadRefused::Confined)
        );
        let reader = may_read(&holder(Role::Reader, None)).unwrap_err();
        assert_eq!(reader.code(), ErrorCode::Forbidden);
        let anonymous = may_read(&Actor::default()).unwrap_err();
        assert_eq!(anonymous.code(), ErrorCode::Unauthenticated);
    }

    #[test]
    fn blank_arguments_are_no_condition_and_a_bad_bound_is_named() {
        let filter =
            AuditFilter::parse(Some(" "), Some("cli"), None, None, Some("2026-01-31")).unwrap();
        assert_eq!(
            filter,
            AuditFilter {
                actor: Some("cli".into()),
                to: Some(parse_bound("2026-02-01", Edge::Start).unwrap() - 1),
                ..AuditFilter::default()
            }
        );
        let error = AuditFilter::parse(None, None, None, Some("soon"), None).unwrap_err();
        assert!(error.to_string().starts_with("`from`: `soon`"), "{error}");
    }
}
