//! A town's list, named by the town: the lists a town's name denotes, each with
//! its county, newest edition first. Towns of several counties may share a name;
//! callers narrow the candidates with [`super::in_one_county`] and take the first.

use entity::{county, duty_list};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select};

/// How a caller names a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListName<'a> {
    /// By its key.
    Key(i32),
    /// By its town (trimmed): the newest edition of that town's list.
    Town(&'a str),
}

/// The lists `name` denotes, each with its county, newest first (by publication
/// month, then key): one at most for a key, every edition of every county's
/// town of that name for a town.
pub async fn lists_named(
    db: &impl ConnectionTrait,
    name: ListName<'_>,
) -> Result<Vec<(duty_list::Model, county::Model)>, DbErr> {
    let rows = newest_first(match name {
        ListName::Key(key) => duty_list::Entity::find().filter(duty_list::Column::Id.eq(key)),
        ListName::Town(town) => {
            duty_list::Entity::find().filter(duty_list::Column::Town.eq(town.trim()))
        }
    })
    .find_also_related(county::Entity)
    .all(db)
    .await?;
    // Every list has a county (a foreign key); a row without one cannot be named.
    Ok(rows
        .into_iter()
        .filter_map(|(l, c)| Some((l, c?)))
        .collect())
}

fn newest_first(lists: Select<duty_list::Entity>) -> Select<duty_list::Entity> {
    lists
        .order_by_desc(duty_list::Column::PublishedOn)
        .order_by_desc(duty_list::Column::Id)
}
