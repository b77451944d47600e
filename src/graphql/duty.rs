//! Duties and their responsibility items: the paged `duties` connection, `duty(id)`.
//!
//! Both look ahead at what their selection asks of the duties (`needs`): a
//! page's categories and total count come in the page's own statement, its
//! duties' departments and items in one more statement each, run concurrently
//! and seeded into the loaders (see [`super::loaders`]); `duty(id)` runs all
//! three at once, as it knows the key before the first returns.

use async_graphql::connection::PageInfo;
use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Lookahead, Object, SimpleObject,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::{category, duty, duty_department, responsibility_item};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query as SqlQuery};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};

use super::category::Category;
use super::department::{Department, resolve_department};
use super::list::{DutyKind, DutyList};
use super::loaders::{
    CategoryLoader, CountyLoader, Duties, DutyDepartmentsLoader, DutyLoader, ItemDepartmentsLoader,
    ItemsLoader, ListLoader, Needs, also_select, load, related, rows, seed,
};
use super::{DEFAULT_PAGE_SIZE, conn, id, must, page_size};
use crate::error::{ApiError, ApiResult, db};

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
        Ok(departments.into_iter().map(Department).collect())
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
        Ok(departments.into_iter().map(Department).collect())
    }

    /// The duty the item belongs to.
    async fn duty(&self, ctx: &Context<'_>) -> ApiResult<Duty> {
        Ok(Duty(must(
            load::<DutyLoader, _>(ctx, self.0.duty_id).await?,
            "duty",
        )?))
    }
}

/// What `selection`, a selection of `Duty` objects, asks of them besides their
/// own columns.
pub(crate) fn needs(selection: &Lookahead<'_>) -> Needs {
    let department_items = selection.field("departmentItems");
    let town_items = selection.field("townItems");
    Needs {
        category: selection.field("category").exists(),
        departments: selection.field("departments").exists(),
        department_items: department_items.exists(),
        town_items: town_items.exists(),
        item_departments: department_items.field("departments").exists()
            || town_items.field("departments").exists(),
        attributed_items: false,
    }
}

/// The duties with keys `ids`, in key order, with what `needs` asks of them
/// seeded into the loaders: one statement for the duties and their categories,
/// one for their departments, one for their items, all run at once.
pub(crate) async fn fetch(
    ctx: &Context<'_>,
    ids: &[i32],
    needs: Needs,
) -> ApiResult<Vec<duty::Model>> {
    let mut query = duty::Entity::find()
        .filter(duty::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(duty::Column::Id);
    if needs.category {
        query = also_select::<category::Entity, _>(
            query.join(JoinType::InnerJoin, duty::Relation::Category.def()),
            "c_",
        );
    }
    let db_conn = conn(ctx);
    let (found, related) = db(futures_util::future::try_join(
        rows(db_conn, query),
        related(db_conn, &Duties::Ids(ids.to_vec()), needs, &[]),
    )
    .await)?;
    let mut duties = Vec::with_capacity(found.len());
    let mut categories = Vec::new();
    for row in found {
        if needs.category {
            let category = db(category::Model::from_query_result(&row, "c_"))?;
            categories.push((category.id, category));
        }
        duties.push(db(duty::Model::from_query_result(&row, ""))?);
    }
    seed::<CategoryLoader, _>(ctx, categories);
    let found: Vec<i32> = duties.iter().map(|d| d.id).collect();
    related.seed(ctx, &found, &[]);
    Ok(duties)
}

/// Which duties to return; every field given must match.
#[derive(InputObject, Default, Clone, Debug)]
pub struct DutyFilter {
    /// Only duties of this list.
    pub list_id: Option<ID>,
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

/// Where a duty sits in the order of `duties`: list, kind, sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cursor {
    list: i32,
    kind: entity::DutyKind,
    seq: i32,
}

impl Cursor {
    fn of(d: &duty::Model) -> Self {
        Cursor {
            list: d.list_id,
            kind: d.kind,
            seq: d.seq,
        }
    }

    fn encode(self) -> String {
        let kind = match self.kind {
            entity::DutyKind::Basic => "B",
            entity::DutyKind::Cooperative => "C",
            entity::DutyKind::Reclaimed => "R",
        };
        URL_SAFE_NO_PAD.encode(format!("{}:{kind}:{}", self.list, self.seq))
    }

    fn decode(text: &str) -> ApiResult<Self> {
        let parse = || {
            let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
            let mut parts = raw.split(':');
            let list = parts.next()?.parse().ok()?;
            let kind = match parts.next()? {
                "B" => entity::DutyKind::Basic,
                "C" => entity::DutyKind::Cooperative,
                "R" => entity::DutyKind::Reclaimed,
                _ => return None,
            };
            let seq = parts.next()?.parse().ok()?;
            parts.next().is_none().then_some(Cursor { list, kind, seq })
        };
        parse().ok_or_else(|| {
            ApiError::BadUserInput(format!("`{text}` is not a cursor of `duties`")).extend()
        })
    }

    /// Rows strictly after (`forward`) or before this cursor in (list, kind, seq) order.
    /// Kinds are stored as `BASIC` < `COOPERATIVE` < `RECLAIMED`, which is table order.
    fn beyond(self, forward: bool) -> Condition {
        let (list, kind, seq) = (duty::Column::ListId, duty::Column::Kind, duty::Column::Seq);
        let kind_value: String = match self.kind {
            entity::DutyKind::Basic => "BASIC",
            entity::DutyKind::Cooperative => "COOPERATIVE",
            entity::DutyKind::Reclaimed => "RECLAIMED",
        }
        .into();
        let cmp =
            |col: duty::Column, v: sea_orm::Value| if forward { col.gt(v) } else { col.lt(v) };
        Condition::any().add(cmp(list, self.list.into())).add(
            Condition::all().add(list.eq(self.list)).add(
                Condition::any()
                    .add(cmp(kind, kind_value.clone().into()))
                    .add(
                        Condition::all()
                            .add(kind.eq(kind_value))
                            .add(cmp(seq, self.seq.into())),
                    ),
            ),
        )
    }
}

/// The SQL condition of a filter.
pub(crate) async fn condition(ctx: &Context<'_>, filter: &DutyFilter) -> ApiResult<Condition> {
    let mut cond = Condition::all();
    let mut list_id = None;
    if let Some(list) = &filter.list_id {
        let key = id::decode(list, "DutyList")?;
        list_id = Some(key);
        cond = cond.add(duty::Column::ListId.eq(key));
    }
    if let Some(kind) = filter.kind {
        cond = cond.add(duty::Column::Kind.eq(entity::DutyKind::from(kind)));
    }
    if let Some(seq) = filter.seq {
        cond = cond.add(duty::Column::Seq.eq(seq));
    }
    if let Some(name) = &filter.category {
        cond = cond.add(
            duty::Column::CategoryId.in_subquery(
                SqlQuery::select()
                    .column(category::Column::Id)
                    .from(category::Entity)
                    .and_where(category::Column::Name.eq(name.trim()))
                    .to_owned(),
            ),
        );
    }
    if let Some(name) = &filter.department {
        let department = resolve_department(ctx, name, filter.county.as_deref(), list_id).await?;
        let department = department
            .ok_or_else(|| ApiError::NotFound(format!("department `{name}`")).extend())?;
        cond = cond.add(
            duty::Column::Id.in_subquery(
                SqlQuery::select()
                    .column(duty_department::Column::DutyId)
                    .from(duty_department::Entity)
                    .and_where(duty_department::Column::DepartmentId.eq(department.id))
                    .to_owned(),
            ),
        );
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let escaped: String = text
            .chars()
            .flat_map(|c| {
                if matches!(c, '%' | '_' | '\\') {
                    vec!['\\', c]
                } else {
                    vec![c]
                }
            })
            .collect();
        cond = cond.add(
            Expr::col(duty::Column::Name).like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    Ok(cond)
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
        let after = after.as_deref().map(Cursor::decode).transpose()?;
        let before = before.as_deref().map(Cursor::decode).transpose()?;
        let filter = filter.unwrap_or_default();
        let filtered = condition(ctx, &filter).await?;
        let selection = ctx.look_ahead();
        let needs =
            needs(&selection.field("nodes")) | needs(&selection.field("edges").field("node"));
        let counts = selection.field("totalCount").exists();

        let mut query = duty::Entity::find().filter(filtered.clone());
        if let Some(after) = after {
            query = query.filter(after.beyond(true));
        }
        if let Some(before) = before {
            query = query.filter(before.beyond(false));
        }
        let backward = last.is_some();
        let size = last.or(first).unwrap_or(DEFAULT_PAGE_SIZE);
        let order = |q: sea_orm::Select<duty::Entity>, asc: bool| {
            let dir = if asc {
                sea_orm::Order::Asc
            } else {
                sea_orm::Order::Desc
            };
            q.order_by(duty::Column::ListId, dir.clone())
                .order_by(duty::Column::Kind, dir.clone())
                .order_by(duty::Column::Seq, dir)
        };
        let mut query = order(query, !backward).limit(size as u64 + 1);
        if counts {
            // The total rides in the page's statement as a scalar subquery (the
            // database runs it once), instead of a statement of its own.
            query = query.column_as(
                Expr::from(
                    SqlQuery::select()
                        .expr(Expr::cust("COUNT(*)"))
                        .from(duty::Entity)
                        .cond_where(filtered.clone())
                        .to_owned(),
                ),
                "total_count",
            );
        }
        if needs.category {
            query = also_select::<category::Entity, _>(
                query.join(JoinType::InnerJoin, duty::Relation::Category.def()),
                "c_",
            );
        }
        let mut total = None;
        let mut page = Vec::new();
        let mut categories = Vec::new();
        for row in db(rows(conn(ctx), query).await)? {
            if counts && total.is_none() {
                total = Some(db(row.try_get::<i64>("", "total_count"))?);
            }
            if needs.category {
                let category = db(category::Model::from_query_result(&row, "c_"))?;
                categories.push((category.id, category));
            }
            page.push(db(duty::Model::from_query_result(&row, ""))?);
        }
        seed::<CategoryLoader, _>(ctx, categories);
        // An empty page carries no total; only then does it take a statement.
        let total = match total {
            Some(total) => total as u64,
            None if counts => db(duty::Entity::find().filter(filtered).count(conn(ctx)).await)?,
            None => 0,
        };
        let more = page.len() > size;
        page.truncate(size);
        if backward {
            page.reverse();
        }
        if needs.related() {
            let ids: Vec<i32> = page.iter().map(|d| d.id).collect();
            db(related(conn(ctx), &Duties::Ids(ids.clone()), needs, &[]).await)?.seed(
                ctx,
                &ids,
                &[],
            );
        }
        let (has_previous, has_next) = if backward {
            (more, before.is_some())
        } else {
            (after.is_some(), more)
        };
        let edges: Vec<DutyEdge> = page
            .into_iter()
            .map(|d| DutyEdge {
                cursor: Cursor::of(&d).encode(),
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
            total_count: total as i32,
        })
    }

    /// One duty by its ID; null if there is none.
    async fn duty(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Duty>> {
        let key = id::decode(&id, "Duty")?;
        let needs = needs(&ctx.look_ahead());
        Ok(fetch(ctx, &[key], needs).await?.pop().map(Duty))
    }
}
