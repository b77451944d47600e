//! Duty lists: which lists there are, and how each adds up per kind.

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::{county, duty_list};

use super::loaders::{SummaryLoader, load};
use super::{conn, id};
use crate::domain;
use crate::error::{ApiResult, db};

/// The three tables of a duty list.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::DutyKind")]
pub enum DutyKind {
    /// 基本履职事项: duties the town does alone.
    Basic,
    /// 配合履职事项: a county department leads, the town assists.
    Cooperative,
    /// 上级部门收回事项: duties taken back by a county department.
    Reclaimed,
}

/// How one table of a list adds up, beside what the list's preamble (说明) states.
#[derive(SimpleObject, Clone, Debug)]
pub struct KindSummary {
    /// The table.
    pub kind: DutyKind,
    /// Duties in the table.
    pub duty_count: i32,
    /// Distinct categories (事项类别) in the table.
    pub category_count: i32,
    /// Distinct departments involved: counterparts (对应上级部门) of cooperative
    /// duties, receiving departments (承接部门) of reclaimed ones; 0 for basic duties.
    pub department_count: i32,
    /// Number of duties the preamble states, if it states one.
    pub stated_duty_count: Option<i32>,
    /// Number of categories the preamble states, if it states one.
    pub stated_category_count: Option<i32>,
    /// Number of departments the preamble states, if it states one.
    pub stated_department_count: Option<i32>,
}

impl From<domain::list::KindSummary> for KindSummary {
    fn from(s: domain::list::KindSummary) -> Self {
        KindSummary {
            kind: s.kind.into(),
            duty_count: s.duty_count,
            category_count: s.category_count,
            department_count: s.department_count,
            stated_duty_count: s.stated_duty_count,
            stated_category_count: s.stated_category_count,
            stated_department_count: s.stated_department_count,
        }
    }
}

/// One edition of one town's duty list (see [`DutyList`]'s GraphQL description).
pub struct DutyList {
    list: duty_list::Model,
    county: county::Model,
}

impl DutyList {
    /// A list and its county.
    pub fn new(list: duty_list::Model, county: county::Model) -> Self {
        DutyList { list, county }
    }

    /// The list's database key.
    pub fn key(&self) -> i32 {
        self.list.id
    }
}

/// One edition of one town's duty list (履职事项清单): its header, preamble and
/// how each of its three tables adds up.
#[Object]
impl DutyList {
    /// Opaque ID, stable across restarts and re-imports of the same town and edition.
    pub async fn id(&self) -> ID {
        id::encode("DutyList", self.list.id)
    }

    /// The list's title, e.g. `乌恰县乌恰镇履职事项清单`.
    async fn title(&self) -> &str {
        &self.list.title
    }

    /// Town or street office (乡镇/街道), e.g. `乌恰镇`.
    async fn town(&self) -> &str {
        &self.list.town
    }

    /// County, e.g. `乌恰县`.
    async fn county(&self) -> &str {
        &self.county.name
    }

    /// Prefecture, e.g. `克孜勒苏柯尔克孜自治州`; null where the list names none.
    async fn prefecture(&self) -> Option<&str> {
        Some(self.county.prefecture.as_str()).filter(|p| !p.is_empty())
    }

    /// Province-level region, e.g. `新疆维吾尔自治区`.
    async fn region(&self) -> &str {
        &self.county.region
    }

    /// Month of publication, `YYYY-MM`.
    async fn published_on(&self) -> &str {
        &self.list.published_on
    }

    /// The preamble (说明), one paragraph per line.
    async fn preamble(&self) -> &str {
        &self.list.preamble
    }

    /// Per table: what the list holds and what its preamble states.
    async fn summary(&self, ctx: &Context<'_>) -> ApiResult<Vec<KindSummary>> {
        let summaries = load::<SummaryLoader, _>(ctx, self.list.id).await?;
        Ok(summaries
            .unwrap_or_default()
            .into_iter()
            .map(KindSummary::from)
            .collect())
    }
}

/// Queries about lists.
#[derive(Default)]
pub struct ListQuery;

/// Queries about lists.
#[Object]
impl ListQuery {
    /// Every list, by county, town and edition (newest first).
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn duty_lists(&self, ctx: &Context<'_>) -> ApiResult<Vec<DutyList>> {
        let rows = db(domain::list::all(conn(ctx)).await)?;
        let rows = super::within_ceiling(ctx, "dutyLists", rows)?;
        Ok(rows
            .into_iter()
            .map(|(list, county)| DutyList::new(list, county))
            .collect())
    }

    /// One list by its ID; null if there is none.
    async fn duty_list(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<DutyList>> {
        let key = id::decode(&id, "DutyList")?;
        let row = db(domain::list::by_id(conn(ctx), key).await)?;
        Ok(row.map(|(list, county)| DutyList::new(list, county)))
    }
}
