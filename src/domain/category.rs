//! Categories (事项类别) and how many duties each holds, counted in SQL.

use std::collections::HashMap;

use entity::{DutyKind, category, duty};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use super::scope::Scope;
use super::{Complete, grouped};

/// Which duties of a category a count counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CountKey {
    /// The category.
    pub category: i32,
    /// Only duties of this kind.
    pub kind: Option<DutyKind>,
    /// Only duties of the lists of this scope.
    pub scope: Scope,
}

/// The duty count of each key: one GROUP BY per distinct kind and scope
/// (a request rarely has more than one).
pub async fn counts(
    db: &impl ConnectionTrait,
    keys: &[CountKey],
) -> Result<Complete<CountKey, i32>, DbErr> {
    let mut out = HashMap::new();
    let filters = grouped(keys.iter().map(|k| ((k.kind, k.scope), k.category)));
    for ((kind, scope), categories) in filters {
        let mut query = duty::Entity::find()
            .select_only()
            .column(duty::Column::CategoryId)
            .column_as(Expr::col(duty::Column::Id).count(), "duties")
            .filter(duty::Column::CategoryId.is_in(categories.iter().copied()))
            .filter(scope.on((duty::Entity, duty::Column::ListId)))
            .group_by(duty::Column::CategoryId);
        if let Some(kind) = kind {
            query = query.filter(duty::Column::Kind.eq(kind));
        }
        let counts: HashMap<i32, i64> = query
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for category in categories {
            let count = counts.get(&category).copied().unwrap_or(0) as i32;
            out.insert(
                CountKey {
                    category,
                    kind,
                    scope,
                },
                count,
            );
        }
    }
    Ok(Complete::for_keys(keys.iter().copied(), out))
}

/// The categories that have duties of `kind` (all kinds if `None`) in the
/// lists of `scope`, in the order they first appear, each with its count (one
/// GROUP BY).
pub async fn with_counts(
    db: &impl ConnectionTrait,
    kind: Option<DutyKind>,
    scope: Scope,
) -> Result<Vec<(category::Model, i32)>, DbErr> {
    let mut query = category::Entity::find()
        .select_only()
        .column(category::Column::Id)
        .column(category::Column::Name)
        .column_as(
            Expr::col((duty::Entity, duty::Column::Id)).count(),
            "duties",
        )
        .join(JoinType::InnerJoin, category::Relation::Duty.def())
        .filter(scope.on((duty::Entity, duty::Column::ListId)))
        .group_by(category::Column::Id)
        .group_by(category::Column::Name)
        .order_by_asc(Expr::col((duty::Entity, duty::Column::Id)).min());
    if let Some(kind) = kind {
        query = query.filter(duty::Column::Kind.eq(kind));
    }
    let rows: Vec<(i32, String, i64)> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, count)| (category::Model { id, name }, count as i32))
        .collect())
}
