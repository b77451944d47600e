//! Duty lists: which lists there are, and how each adds up per kind.

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::{county, duty_list};

use super::date::iso_utc;
use super::edition::EditionSource;
use super::loaders::{EditionsLoader, SummaryLoader, load};
use super::{conn, id, must};
use crate::date::Date;
use crate::domain;
use crate::domain::edition::Town;
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

    /// Every edition of the list's town, by edition number.
    async fn town_editions(&self, ctx: &Context<'_>) -> ApiResult<Vec<duty_list::Model>> {
        let editions = load::<EditionsLoader, _>(ctx, Town::of(&self.list)).await?;
        Ok(editions.unwrap_or_default())
    }

    /// Another list of the same county.
    fn sibling(&self, list: duty_list::Model) -> DutyList {
        DutyList::new(list, self.county.clone())
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

    /// The edition's number within its town, from 1.
    async fn edition(&self) -> i32 {
        self.list.edition
    }

    /// The day the edition takes effect (for a list stored before editions had
    /// days, the first day of its month).
    async fn effective_on(&self) -> ApiResult<Date> {
        must(domain::edition::effective_on(&self.list), "effective day")
    }

    /// The day the next edition takes effect: this one is in force before it.
    /// Null for the current edition.
    async fn valid_until(&self) -> Option<Date> {
        self.list.valid_until.as_deref()?.parse().ok()
    }

    /// Whether this is the town's current edition (no later edition yet).
    async fn is_current(&self) -> bool {
        self.list.valid_until.is_none()
    }

    /// The approving document's number (文号), if recorded.
    async fn document_number(&self) -> Option<&str> {
        self.list.document_number.as_deref()
    }

    /// Why the edition was made, if recorded.
    async fn reason(&self) -> Option<&str> {
        self.list.reason.as_deref()
    }

    /// Where the edition came from.
    async fn source(&self) -> EditionSource {
        self.list.source.into()
    }

    /// The imported file's name, or the adjustment set's reference; null if
    /// not recorded.
    async fn source_name(&self) -> Option<&str> {
        Some(self.list.source_name.as_str()).filter(|n| !n.is_empty())
    }

    /// When the edition was published in lvzhi (imported), ISO-8601 in UTC
    /// (`2025-07-15T08:30:00Z`).
    async fn published_at(&self) -> String {
        iso_utc(self.list.imported_at)
    }

    /// Every edition of the town's list, this one included, by edition number.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn editions(&self, ctx: &Context<'_>) -> ApiResult<Vec<DutyList>> {
        let editions = self.town_editions(ctx).await?;
        Ok(editions.into_iter().map(|l| self.sibling(l)).collect())
    }

    /// The town's current edition (this one, if it is current).
    async fn current_edition(&self, ctx: &Context<'_>) -> ApiResult<DutyList> {
        let editions = self.town_editions(ctx).await?;
        let current = domain::edition::current_of(&editions).cloned();
        Ok(self.sibling(current.unwrap_or_else(|| self.list.clone())))
    }

    /// The edition before this one; null for the first.
    async fn previous_edition(&self, ctx: &Context<'_>) -> ApiResult<Option<DutyList>> {
        let editions = self.town_editions(ctx).await?;
        let previous = domain::edition::previous_of(&editions, &self.list).cloned();
        Ok(previous.map(|l| self.sibling(l)))
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
    /// Every town's current edition, by county, town and edition (newest
    /// first); with `asOf`, each town's edition in force on that day (none
    /// for a town whose first edition took effect later).
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn duty_lists(
        &self,
        ctx: &Context<'_>,
        as_of: Option<crate::date::Date>,
    ) -> ApiResult<Vec<DutyList>> {
        let scope = super::scope::scope(None, as_of)?;
        let rows = db(domain::list::all(conn(ctx), scope).await)?;
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
