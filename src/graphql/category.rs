//! Categories (事项类别) and how many duties each holds.

use async_graphql::{Context, ID, Object};
use entity::category;

use super::id;
use super::list::DutyKind;
use super::loaders::{CategoryCountLoader, load};
use super::scope::scope;
use crate::date::Date;
use crate::domain;
use crate::domain::category::CountKey;
use crate::domain::scope::Scope;
use crate::error::{ApiResult, db};

/// A category, with the duty filter its `dutyCount` counts under.
pub struct Category {
    model: category::Model,
    kind: Option<entity::DutyKind>,
    scope: Scope,
    count: Option<i32>,
}

impl Category {
    /// A category whose `dutyCount` counts its duties of every kind in every
    /// town's current edition.
    pub fn new(model: category::Model) -> Self {
        Category {
            model,
            kind: None,
            scope: Scope::Current,
            count: None,
        }
    }
}

/// A duty category (事项类别), e.g. `应急管理及消防`.
#[Object]
impl Category {
    /// Opaque ID.
    pub async fn id(&self) -> ID {
        id::encode("Category", self.model.id)
    }

    /// The category's name.
    async fn name(&self) -> &str {
        &self.model.name
    }

    /// Number of duties in the category — of the kind and lists the `categories`
    /// query was asked for, or of all kinds in every town's current edition elsewhere.
    async fn duty_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        if let Some(count) = self.count {
            return Ok(count);
        }
        let key = CountKey {
            category: self.model.id,
            kind: self.kind,
            scope: self.scope,
        };
        Ok(load::<CategoryCountLoader, _>(ctx, key).await?.unwrap_or(0))
    }
}

/// Queries about categories.
#[derive(Default)]
pub struct CategoryQuery;

/// Queries about categories.
#[Object]
impl CategoryQuery {
    /// The categories that have duties of `kind` (all kinds if omitted) in `listId`
    /// (every town's current edition if omitted; the editions in force on `asOf`
    /// with that), in the order they first appear, each with its count.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn categories(
        &self,
        ctx: &Context<'_>,
        kind: Option<DutyKind>,
        list_id: Option<ID>,
        as_of: Option<Date>,
    ) -> ApiResult<Vec<Category>> {
        let kind = kind.map(entity::DutyKind::from);
        let scope = scope(list_id.as_ref().map(|l| (l, "listId")), as_of)?;
        let rows = db(domain::category::with_counts(super::conn(ctx), kind, scope).await)?;
        let rows = super::within_ceiling(ctx, "categories", rows)?;
        Ok(rows
            .into_iter()
            .map(|(model, count)| Category {
                model,
                kind,
                scope,
                count: Some(count),
            })
            .collect())
    }
}
