//! Which editions a read sees: one list (one edition of one town), every town's
//! current edition, or every town's edition in force on a day.
//!
//! Reads that span lists take a [`Scope`] and filter their `list_id` column with
//! [`Scope::on`]: a condition in the same statement, so choosing an edition never
//! costs a statement.

use entity::duty_list;
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};

use crate::date::Date;

/// The editions a read sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Every town's current edition (the default).
    #[default]
    Current,
    /// Every town's edition in force on that day: the one with
    /// `effective_on <= day < valid_until`. Towns whose first edition took
    /// effect later are absent.
    AsOf(Date),
    /// One list: one edition of one town, current or not.
    List(i32),
}

impl Scope {
    /// One list when `list` is given, else every current edition.
    pub fn list_or_current(list: Option<i32>) -> Self {
        list.map_or(Scope::Current, Scope::List)
    }

    /// One list when `list` is given, else the editions in force on `as_of`,
    /// else every current edition.
    pub fn of(list: Option<i32>, as_of: Option<Date>) -> Self {
        match (list, as_of) {
            (Some(list), _) => Scope::List(list),
            (None, Some(day)) => Scope::AsOf(day),
            (None, None) => Scope::Current,
        }
    }

    /// The one list, if the scope is one.
    pub fn list(self) -> Option<i32> {
        match self {
            Scope::List(id) => Some(id),
            _ => None,
        }
    }

    /// The condition on the lists themselves (`duty_list`).
    pub fn lists(self) -> Condition {
        match self {
            Scope::Current => Condition::all().add(duty_list::Column::ValidUntil.is_null()),
            Scope::AsOf(day) => in_force_on(day),
            Scope::List(id) => Condition::all().add(duty_list::Column::Id.eq(id)),
        }
    }

    /// Whether the edition `list` — its id, effective day and `valid_until` —
    /// is in the scope: [`Scope::lists`] decided in Rust, for a read that
    /// fetched several scopes at once and tells their rows apart.
    pub fn holds(self, list: i32, effective_on: &str, valid_until: Option<&str>) -> bool {
        match self {
            Scope::Current => valid_until.is_none(),
            Scope::AsOf(day) => {
                let day = day.to_string();
                effective_on <= day.as_str() && valid_until.is_none_or(|until| until > day.as_str())
            }
            Scope::List(id) => list == id,
        }
    }

    /// The day names are read on in this scope (a department renamed by then
    /// answers to its successor): today for the current editions, the day
    /// asked for, or the day one list took effect — a subquery, not a statement.
    pub fn day(self) -> SimpleExpr {
        match self {
            Scope::Current => Expr::val(Date::today().to_string()),
            Scope::AsOf(day) => Expr::val(day.to_string()),
            Scope::List(id) => Expr::from(
                Query::select()
                    .column(duty_list::Column::EffectiveOn)
                    .from(duty_list::Entity)
                    .and_where(duty_list::Column::Id.eq(id))
                    .to_owned(),
            ),
        }
    }

    /// The condition on a column holding a list id (`duty.list_id`, …).
    pub fn on(self, list_id: impl IntoColumnRef) -> SimpleExpr {
        let column = Expr::col(list_id.into_column_ref());
        match self {
            Scope::List(id) => column.eq(id),
            scope => column.in_subquery(
                Query::select()
                    .column(duty_list::Column::Id)
                    .from(duty_list::Entity)
                    .cond_where(scope.lists())
                    .to_owned(),
            ),
        }
    }
}

/// Editions in force on `day`: effective by then, and not yet followed.
fn in_force_on(day: Date) -> Condition {
    let day = day.to_string();
    Condition::all()
        .add(duty_list::Column::EffectiveOn.lte(day.clone()))
        .add(
            Condition::any()
                .add(duty_list::Column::ValidUntil.is_null())
                .add(duty_list::Column::ValidUntil.gt(day)),
        )
}
