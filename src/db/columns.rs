//! Models read from a row by the position of their columns. sea-orm's
//! `FromQueryResult` looks each column up by its name (hashing the name, and
//! formatting `{prefix}{column}` for a joined model) and formats an error
//! message for each NULL of an optional column before turning it into `None`:
//! on the hot reads (a page of duties, a duty's items and departments) that
//! was a sixth of a request's CPU (`bench/results/2026-11-30-profile-page.md`).
//! Here [`At::find`] finds where a model's columns start once per statement,
//! by their names, and [`At::read`] then reads every row by position.
//!
//! A model's columns are listed once, in [`columns!`]; a test checks each
//! list against the entity's own columns, in the order a select of the
//! entity (or [`crate::domain`]'s `also_select`) writes them.

use std::marker::PhantomData;

use sea_orm::sqlx::{self, Row as _};
use sea_orm::{ActiveEnum, DbErr, QueryResult};

/// A model read from consecutive columns of a row.
pub trait Columns: Sized {
    /// The model's columns, in the entity's column order.
    const NAMES: &'static [&'static str];

    /// The model from the columns that start at `first`.
    fn read(row: &Row<'_>, first: usize) -> Result<Self, DbErr>;
}

/// A row of either backend.
pub enum Row<'a> {
    /// A PostgreSQL row.
    Postgres(&'a sqlx::postgres::PgRow),
    /// An SQLite row.
    Sqlite(&'a sqlx::sqlite::SqliteRow),
}

impl<'a> Row<'a> {
    /// The backend's row under `result`.
    pub fn of(result: &'a QueryResult) -> Result<Self, DbErr> {
        if let Some(row) = result.try_as_pg_row() {
            Ok(Row::Postgres(row))
        } else if let Some(row) = result.try_as_sqlite_row() {
            Ok(Row::Sqlite(row))
        } else {
            Err(DbErr::Type("a row of neither PostgreSQL nor SQLite".into()))
        }
    }

    /// The value at `*at`, moving `at` to the next column.
    pub fn next<T: Cell>(&self, at: &mut usize) -> Result<T, DbErr> {
        let value = T::get(self, *at);
        *at += 1;
        value
    }
}

/// A value a column holds, read from either backend by position.
pub trait Cell: Sized {
    /// The value at column `i` of `row`.
    fn get(row: &Row<'_>, i: usize) -> Result<Self, DbErr>;
}

/// A column of a type both backends decode. The column was found by its name
/// ([`At::find`]) and its type is the migrations', so sqlx's check of the
/// declared type against the Rust type is skipped; a value that does not
/// decode (a NULL, a wrong width, text that is not UTF-8) is still an error.
fn plain<T>(row: &Row<'_>, i: usize) -> Result<T, DbErr>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>,
{
    let value = match row {
        Row::Postgres(row) => row.try_get_unchecked(i),
        Row::Sqlite(row) => row.try_get_unchecked(i),
    };
    value.map_err(|e| DbErr::Type(format!("column {i}: {e}")))
}

impl Cell for i32 {
    fn get(row: &Row<'_>, i: usize) -> Result<Self, DbErr> {
        plain(row, i)
    }
}

impl Cell for String {
    fn get(row: &Row<'_>, i: usize) -> Result<Self, DbErr> {
        plain(row, i)
    }
}

impl Cell for Option<String> {
    fn get(row: &Row<'_>, i: usize) -> Result<Self, DbErr> {
        plain(row, i)
    }
}

impl Cell for Option<i32> {
    fn get(row: &Row<'_>, i: usize) -> Result<Self, DbErr> {
        plain(row, i)
    }
}

/// A string-valued entity enum.
fn enumerated<E: ActiveEnum<Value = String>>(row: &Row<'_>, i: usize) -> Result<E, DbErr> {
    E::try_from_value(&plain::<String>(row, i)?)
}

impl Cell for entity::DutyKind {
    fn get(row: &Row<'_>, i: usize) -> Result<Self, DbErr> {
        enumerated(row, i)
    }
}

impl Cell for entity::Party {
    fn get(row: &Row<'_>, i: usize) -> Result<Self, DbErr> {
        enumerated(row, i)
    }
}

/// Where a model's columns start in the rows of one statement.
pub struct At<M> {
    first: usize,
    model: PhantomData<fn() -> M>,
}

impl<M: Columns> At<M> {
    /// Where `row` holds `M`'s columns, named `{prefix}{column}`, one after
    /// the other; an error if it does not hold them so.
    pub fn find(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        let names = row.column_names();
        let named =
            |name: &str, column: &str| name.strip_prefix(prefix).is_some_and(|rest| rest == column);
        let first = names
            .iter()
            .position(|name| named(name, M::NAMES[0]))
            .filter(|&first| {
                M::NAMES
                    .iter()
                    .enumerate()
                    .all(|(k, column)| names.get(first + k).is_some_and(|name| named(name, column)))
            })
            .ok_or_else(|| {
                DbErr::Type(format!(
                    "the row does not hold the columns {prefix}{} in order: {names:?}",
                    M::NAMES.join(&format!(", {prefix}"))
                ))
            })?;
        Ok(At {
            first,
            model: PhantomData,
        })
    }

    /// The key (the first column, `id`) of the model in `row`.
    pub fn key(&self, row: &QueryResult) -> Result<i32, DbErr> {
        cell(row, self.first)
    }

    /// The model in `row`.
    pub fn read(&self, row: &QueryResult) -> Result<M, DbErr> {
        M::read(&Row::of(row)?, self.first)
    }

    /// The model in `row`, or `None` where its first column (its key, of a
    /// left-joined model) is NULL.
    pub fn read_optional(&self, row: &QueryResult) -> Result<Option<M>, DbErr> {
        let row = Row::of(row)?;
        match Option::<i32>::get(&row, self.first)? {
            Some(_) => M::read(&row, self.first).map(Some),
            None => Ok(None),
        }
    }
}

/// The position of the column `name` in `row`, to read it by position in
/// every row of the statement.
pub fn position(row: &QueryResult, name: &str) -> Result<usize, DbErr> {
    row.column_names()
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| DbErr::Type(format!("the row has no column {name}")))
}

/// The value at column `i` of `row`.
pub fn cell<T: Cell>(row: &QueryResult, i: usize) -> Result<T, DbErr> {
    T::get(&Row::of(row)?, i)
}

/// The rows of one statement read as `M`, its columns found in the first row.
pub fn read_all<M: Columns>(rows: &[QueryResult], prefix: &str) -> Result<Vec<M>, DbErr> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let at = At::<M>::find(first, prefix)?;
    rows.iter().map(|row| at.read(row)).collect()
}

/// `Columns` for a model: its fields in the order its statements select them
/// (for an entity's model, the entity's column order).
macro_rules! columns {
    ($model:path { $($field:ident),+ $(,)? }) => {
        impl $crate::db::columns::Columns for $model {
            const NAMES: &'static [&'static str] = &[$(stringify!($field)),+];

            fn read(
                row: &$crate::db::columns::Row<'_>,
                first: usize,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut at = first;
                Ok(Self { $($field: row.next(&mut at)?),+ })
            }
        }
    };
}
pub(crate) use columns;

columns!(entity::duty::Model {
    id,
    list_id,
    kind,
    seq,
    category_id,
    name,
    working_method,
    lineage,
});
columns!(entity::category::Model { id, name });
columns!(entity::department::Model {
    id,
    county_id,
    name,
    short_name,
});
columns!(entity::responsibility_item::Model {
    id,
    duty_id,
    party,
    position,
    section,
    text,
});
columns!(entity::duty_department::Model {
    duty_id,
    department_id,
    position,
    list_id,
});
columns!(entity::item_department::Model {
    item_id,
    department_id,
    position,
});
columns!(entity::county::Model {
    id,
    region,
    prefecture,
    name,
});

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, IdenStatic, Iterable};

    use super::*;

    fn entity_columns<E: EntityTrait>() -> Vec<&'static str> {
        E::Column::iter().map(|c| c.as_str()).collect()
    }

    async fn one_row(sql: &str) -> QueryResult {
        use sea_orm::ConnectionTrait;
        let db = crate::db::connect("sqlite::memory:").await.unwrap();
        let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
        db.query_one_raw(statement).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn a_model_is_read_where_its_columns_are_found_by_name() {
        let row = one_row("SELECT 7 AS total, 3 AS c_id, '林草' AS c_name").await;
        let at = At::<entity::category::Model>::find(&row, "c_").unwrap();
        let category = at.read(&row).unwrap();
        assert_eq!((category.id, category.name.as_str()), (3, "林草"));
        assert_eq!(
            cell::<i32>(&row, position(&row, "total").unwrap()).unwrap(),
            7
        );
    }

    #[tokio::test]
    async fn columns_missing_or_out_of_order_are_an_error_naming_them() {
        let row = one_row("SELECT '林草' AS name, 3 AS id").await;
        let error = At::<entity::category::Model>::find(&row, "")
            .err()
            .expect("out of order")
            .to_string();
        assert!(error.contains("id, name"), "{error}");
        let error = At::<entity::category::Model>::find(&row, "c_")
            .err()
            .expect("absent")
            .to_string();
        assert!(error.contains("c_id, c_name"), "{error}");
        assert!(position(&row, "total").is_err());
    }

    #[tokio::test]
    async fn a_left_joined_model_without_a_key_is_none() {
        let row = one_row("SELECT NULL AS d_id, NULL AS d_name").await;
        let at = At::<entity::category::Model>::find(&row, "d_").unwrap();
        assert!(at.read_optional(&row).unwrap().is_none());
    }

    #[test]
    fn every_model_lists_its_entitys_columns_in_order() {
        macro_rules! same {
            ($($model:ident),+) => {$(
                assert_eq!(
                    entity_columns::<entity::$model::Entity>(),
                    entity::$model::Model::NAMES,
                    stringify!($model)
                );
            )+};
        }
        same!(
            duty,
            category,
            department,
            responsibility_item,
            duty_department,
            item_department,
            county
        );
    }
}
