//! DataLoaders: nested fields of many parents load in one batched query each.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{DutyKind, duty, duty_department, stated_count};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
};

use super::list::KindSummary;
use crate::error::ApiError;

/// Per-kind counts of lists, parsed and stated, by list id: three GROUP BY queries
/// for any number of lists.
pub struct SummaryLoader {
    /// The database.
    pub db: DatabaseConnection,
}

impl Loader<i32> for SummaryLoader {
    type Value = Vec<KindSummary>;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let counts: Vec<(i32, DutyKind, i64, i64)> = duty::Entity::find()
            .select_only()
            .column(duty::Column::ListId)
            .column(duty::Column::Kind)
            .column_as(Expr::col(duty::Column::Id).count(), "duties")
            .column_as(
                Expr::col(duty::Column::CategoryId).count_distinct(),
                "categories",
            )
            .filter(duty::Column::ListId.is_in(keys.iter().copied()))
            .group_by(duty::Column::ListId)
            .group_by(duty::Column::Kind)
            .into_tuple()
            .all(&self.db)
            .await?;
        let departments: Vec<(i32, DutyKind, i64)> = duty_department::Entity::find()
            .select_only()
            .column(duty::Column::ListId)
            .column(duty::Column::Kind)
            .column_as(
                Expr::col((
                    duty_department::Entity,
                    duty_department::Column::DepartmentId,
                ))
                .count_distinct(),
                "departments",
            )
            .join(JoinType::InnerJoin, duty_department::Relation::Duty.def())
            .filter(duty::Column::ListId.is_in(keys.iter().copied()))
            .group_by(duty::Column::ListId)
            .group_by(duty::Column::Kind)
            .into_tuple()
            .all(&self.db)
            .await?;
        let stated = stated_count::Entity::find()
            .filter(stated_count::Column::ListId.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;

        let mut out: HashMap<i32, Vec<KindSummary>> = keys
            .iter()
            .map(|&list| {
                (
                    list,
                    DutyKind::ALL
                        .into_iter()
                        .map(|kind| KindSummary::empty(kind.into()))
                        .collect(),
                )
            })
            .collect();
        for (list, kind, duties, categories) in counts {
            if let Some(s) = entry(&mut out, list, kind) {
                s.duty_count = duties as i32;
                s.category_count = categories as i32;
            }
        }
        for (list, kind, count) in departments {
            if let Some(s) = entry(&mut out, list, kind) {
                s.department_count = count as i32;
            }
        }
        for row in stated {
            if let Some(s) = entry(&mut out, row.list_id, row.kind) {
                s.stated_duty_count = row.duty_count;
                s.stated_category_count = row.category_count;
                s.stated_department_count = row.department_count;
            }
        }
        Ok(out)
    }
}

fn entry(
    out: &mut HashMap<i32, Vec<KindSummary>>,
    list: i32,
    kind: DutyKind,
) -> Option<&mut KindSummary> {
    out.get_mut(&list)?
        .iter_mut()
        .find(|s| DutyKind::from(s.kind) == kind)
}
