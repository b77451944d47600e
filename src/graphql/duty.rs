//! Duties and their responsibility items: the paged `duties` connection, `duty(id)`.
//!
//! Both look ahead at what their selection asks of the duties
//! ([`super::prefetch`]): a page's categories and total count come in the
//! page's own statement, its duties' departments and items in one more
//! statement each, run concurrently; `duty(id)` runs all three at once, as it
//! knows the key before the first returns. The reads are the domain's
//! ([`crate::domain::duty`]); this module decodes IDs and cursors.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, Object, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::DutyKind as DomainKind;
use entity::{duty, responsibility_item};
use sea_orm::Condition;

use super::category::Category;
use super::department::{Department, resolve_department};
use super::list::{DutyKind, DutyList};
use super::loaders::{
    CategoryLoader, CountyLoader, DutyDepartmentsLoader, DutyLoader, ItemDepartmentsLoader,
    ItemsLoader, ListLoader, VersionsLoader, load,
};
use super::{DEFAULT_PAGE_SIZE, id, must, page_size, prefetch};
use crate::domain::duty::{Filter, PageRequest, Position};
use crate::error::{ApiError, ApiResult};

/// Which column of the cooperative table an item comes from.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::Party")]
pub enum Party {
    /// 上级部门职责: what the county department(s) do.
    Department,
    /// 乡镇（街道）配合职责: what the town does.
    Town,
}

/// One duty (履职事项): a row of one of a list's three tables.
#[derive(Clone)]
pub struct Duty(pub duty::Model);

/// One duty (履职事项): a row of one of a list's three tables, with its category,
/// its departments and, for a cooperative duty, the split of its work.
#[Object]
impl Duty {
    /// Opaque ID, stable across restarts and re-imports of the same list.
    pub async fn id(&self) -> ID {
        id::encode("Duty", self.0.id)
    }

    /// The table the duty is in.
    async fn kind(&self) -> DutyKind {
        self.0.kind.into()
    }

    /// Sequence number (序号) within its table.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// Name (事项名称).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Category (事项类别).
    async fn category(&self, ctx: &Context<'_>) -> ApiResult<Category> {
        let model = must(
            load::<CategoryLoader, _>(ctx, self.0.category_id).await?,
            "category",
        )?;
        Ok(Category::new(model))
    }

    /// The list the duty belongs to.
    async fn list(&self, ctx: &Context<'_>) -> ApiResult<DutyList> {
        let list = must(load::<ListLoader, _>(ctx, self.0.list_id).await?, "list")?;
        let county = must(
            load::<CountyLoader, _>(ctx, list.county_id).await?,
            "county",
        )?;
        Ok(DutyList::new(list, county))
    }

    /// Counterpart departments (对应上级部门) of a cooperative duty, receiving
    /// departments (承接部门) of a reclaimed one, in document order; empty for a basic duty.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn departments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Department>> {
        let departments = load::<DutyDepartmentsLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(departments.into_iter().map(Department::from).collect())
    }

    /// The department column (上级部门职责) of a cooperative duty, item by item, each
    /// with the department(s) it is attributed to.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn department_items(&self, ctx: &Context<'_>) -> ApiResult<Vec<ResponsibilityItem>> {
        items(ctx, self.0.id, entity::Party::Department).await
    }

    /// The town column (乡镇（街道）配合职责) of a cooperative duty, item by item.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn town_items(&self, ctx: &Context<'_>) -> ApiResult<Vec<ResponsibilityItem>> {
        items(ctx, self.0.id, entity::Party::Town).await
    }

    /// Working method (工作方式) of a reclaimed duty.
    async fn working_method(&self) -> Option<&str> {
        self.0.working_method.as_deref()
    }

    /// The duty's lineage: one ID for every edition's version of the duty,
    /// however its wording, table or 序号 changed.
    async fn lineage(&self) -> ID {
        id::encode("Lineage", self.0.lineage)
    }

    /// Every version of the duty, one per edition that has it (this one
    /// included), by edition.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn versions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Duty>> {
        let versions = versions(ctx, self.0.lineage).await?;
        Ok(versions.into_iter().map(|v| Duty(v.duty)).collect())
    }

    /// The version in the town's current edition; null when the current
    /// edition no longer has the duty.
    async fn current_version(&self, ctx: &Context<'_>) -> ApiResult<Option<Duty>> {
        let versions = versions(ctx, self.0.lineage).await?;
        let current = crate::domain::edition::current_version(&versions);
        Ok(current.map(|v| Duty(v.duty.clone())))
    }
}

/// Every version of a lineage, by edition.
async fn versions(
    ctx: &Context<'_>,
    lineage: i32,
) -> ApiResult<Vec<crate::domain::edition::Version>> {
    Ok(load::<VersionsLoader, _>(ctx, lineage)
        .await?
        .unwrap_or_default())
}

/// The items of one column of a duty.
pub(crate) async fn items(
    ctx: &Context<'_>,
    duty: i32,
    party: entity::Party,
) -> ApiResult<Vec<ResponsibilityItem>> {
    let items = load::<ItemsLoader, _>(ctx, (duty, party))
        .await?
        .unwrap_or_default();
    Ok(items.into_iter().map(ResponsibilityItem).collect())
}

/// One numbered item of a cooperative duty's department or town column.
#[derive(Clone)]
pub struct ResponsibilityItem(pub responsibility_item::Model);

/// One numbered item of a cooperative duty's department column (上级部门职责) or
/// town column (乡镇（街道）配合职责), in clean text.
#[Object]
impl ResponsibilityItem {
    /// Opaque ID; items are rewritten when their list is re-imported with changes.
    pub async fn id(&self) -> ID {
        id::encode("ResponsibilityItem", self.0.id)
    }

    /// The column the item comes from.
    async fn party(&self) -> Party {
        self.0.party.into()
    }

    /// 1-based order within its column.
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// The section heading the item sits under (e.g. `一、扬尘综合治理`), if the cell has sections.
    async fn section(&self) -> Option<&str> {
        self.0.section.as_deref()
    }

    /// The item's text: no HTML, no leading number.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// The department(s) a department-side item is attributed to; empty for town items.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn departments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Department>> {
        let departments = load::<ItemDepartmentsLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(departments.into_iter().map(Department::from).collect())
    }

    /// The duty the item belongs to.
    async fn duty(&self, ctx: &Context<'_>) -> ApiResult<Duty> {
        Ok(Duty(must(
            load::<DutyLoader, _>(ctx, self.0.duty_id).await?,
            "duty",
        )?))
    }
}

/// Which duties to return; every field given must match. Without `listId` or
/// `asOf`, the duties of every town's current edition.
#[derive(InputObject, Default, Clone, Debug)]
pub struct DutyFilter {
    /// Only duties of this list (any edition, current or not).
    pub list_id: Option<ID>,
    /// Only duties of the editions in force on this day, one per town (not
    /// with `listId`).
    pub as_of: Option<crate::date::Date>,
    /// Only duties of this table.
    pub kind: Option<DutyKind>,
    /// Only duties of this category (事项类别), by exact name.
    pub category: Option<String>,
    /// Only the duty with this sequence number (序号).
    pub seq: Option<i32>,
    /// Only duties this department is a counterpart or receiving department of, by
    /// canonical name or any alias (`县住建局`).
    pub department: Option<String>,
    /// With `department`: the county whose department is meant, when the name is
    /// ambiguous across counties.
    pub county: Option<String>,
    /// Only duties whose name contains this text.
    pub text: Option<String>,
}

/// A page of duties (a Relay connection).
#[derive(SimpleObject)]
pub struct DutyConnection {
    /// The page's duties, each with its cursor.
    pub edges: Vec<DutyEdge>,
    /// The page's duties.
    pub nodes: Vec<Duty>,
    /// Whether there are pages before and after, and the cursors at the page's ends.
    pub page_info: PageInfo,
    /// Number of duties matching the filter, across all pages.
    pub total_count: i32,
}

/// A duty on a page, with its cursor.
#[derive(SimpleObject)]
pub struct DutyEdge {
    /// Pass as `after` or `before` to page from this duty.
    pub cursor: String,
    /// The duty.
    pub node: Duty,
}

/// The opaque cursor of a position in the order of `duties`.
fn encode_cursor(at: Position) -> String {
    let kind = match at.kind {
        DomainKind::Basic => "B",
        DomainKind::Cooperative => "C",
        DomainKind::Reclaimed => "R",
    };
    URL_SAFE_NO_PAD.encode(format!("{}:{kind}:{}", at.list, at.seq))
}

/// The position a cursor of `duties` stands for.
fn decode_cursor(text: &str) -> ApiResult<Position> {
    let parse = || {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let mut parts = raw.split(':');
        let list = parts.next()?.parse().ok()?;
        let kind = match parts.next()? {
            "B" => DomainKind::Basic,
            "C" => DomainKind::Cooperative,
            "R" => DomainKind::Reclaimed,
            _ => return None,
        };
        let seq = parts.next()?.parse().ok()?;
        parts
            .next()
            .is_none()
            .then_some(Position { list, kind, seq })
    };
    parse().ok_or_else(|| {
        ApiError::BadUserInput(format!("`{text}` is not a cursor of `duties`")).extend()
    })
}

/// The domain's filter for `filter`: IDs decoded, the editions chosen, the
/// department resolved on the editions' day (an unknown one is `NOT_FOUND`).
pub(crate) async fn domain_filter(ctx: &Context<'_>, filter: &DutyFilter) -> ApiResult<Filter> {
    let list = filter.list_id.as_ref().map(|l| (l, "filter.listId"));
    let scope = super::scope::scope(list, filter.as_of)?;
    let department = match &filter.department {
        None => None,
        Some(name) => {
            let found = resolve_department(ctx, name, filter.county.as_deref(), scope).await?;
            let found =
                found.ok_or_else(|| ApiError::NotFound(format!("department `{name}`")).extend())?;
            Some(found.id)
        }
    };
    Ok(Filter {
        scope,
        kind: filter.kind.map(DomainKind::from),
        category: filter.category.clone(),
        seq: filter.seq,
        department,
        text: filter.text.clone(),
    })
}

/// The SQL condition of a filter.
pub(crate) async fn condition(ctx: &Context<'_>, filter: &DutyFilter) -> ApiResult<Condition> {
    Ok(domain_filter(ctx, filter).await?.condition())
}

/// Queries about duties.
#[derive(Default)]
pub struct DutyQuery;

/// Queries about duties.
#[Object]
impl DutyQuery {
    /// Duties matching a filter, a page at a time (Relay connection), ordered by
    /// list, kind (basic, cooperative, reclaimed) and sequence number. Pages hold at
    /// most 100 duties (`first`/`last` above that are an error); 20 by default.
    #[graphql(complexity = "super::page_cost(first.or(last), child_complexity)")]
    async fn duties(
        &self,
        ctx: &Context<'_>,
        filter: Option<DutyFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<DutyConnection> {
        let first = page_size(ctx, "first", first)?;
        let last = page_size(ctx, "last", last)?;
        if first.is_some() && last.is_some() {
            return Err(
                ApiError::BadUserInput("pass either `first` or `last`, not both".into()).extend(),
            );
        }
        let after = after.as_deref().map(decode_cursor).transpose()?;
        let before = before.as_deref().map(decode_cursor).transpose()?;
        let filter = domain_filter(ctx, &filter.unwrap_or_default()).await?;
        let selection = ctx.look_ahead();
        let needs = prefetch::duty_needs(&selection.field("nodes"))
            | prefetch::duty_needs(&selection.field("edges").field("node"));
        let backward = last.is_some();
        let request = PageRequest {
            filter,
            after,
            before,
            size: last.or(first).unwrap_or(DEFAULT_PAGE_SIZE),
            backward,
            total: selection.field("totalCount").exists(),
            categories: needs.category,
        };
        let page = prefetch::page(ctx, &request, needs).await?;
        let more = page.more;
        let (has_previous, has_next) = if backward {
            (more, before.is_some())
        } else {
            (after.is_some(), more)
        };
        let edges: Vec<DutyEdge> = page
            .duties
            .into_iter()
            .map(|d| DutyEdge {
                cursor: encode_cursor(Position::of(&d)),
                node: Duty(d),
            })
            .collect();
        Ok(DutyConnection {
            page_info: PageInfo {
                has_previous_page: has_previous,
                has_next_page: has_next,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            edges,
            total_count: page.total.unwrap_or(0) as i32,
        })
    }

    /// One duty by its ID; null if there is none.
    async fn duty(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Duty>> {
        let key = id::decode(&id, "Duty")?;
        let needs = prefetch::duty_needs(&ctx.look_ahead());
        Ok(prefetch::duties(ctx, &[key], needs).await?.pop().map(Duty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_stands_for_the_position_it_was_made_from() {
        for kind in DomainKind::ALL {
            let at = Position {
                list: 12,
                kind,
                seq: 345,
            };
            assert_eq!(decode_cursor(&encode_cursor(at)).ok(), Some(at));
        }
    }

    #[test]
    fn anything_else_is_not_a_cursor() {
        let trailing = URL_SAFE_NO_PAD.encode("1:B:2:3");
        let unknown_kind = URL_SAFE_NO_PAD.encode("1:X:2");
        for text in ["", "not base64!", trailing.as_str(), unknown_kind.as_str()] {
            assert!(decode_cursor(text).is_err(), "{text}");
        }
    }
}
