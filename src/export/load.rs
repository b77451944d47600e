//! One stored list, read whole: its county, departments, duties, items and
//! attributions, in a fixed number of queries, all in one read-only snapshot so
//! an export taken while an import commits never mixes two versions of the list.

use std::collections::HashMap;

use entity::{
    DutyKind, Party, category, county, department, duty, duty_department, duty_list,
    item_department, responsibility_item,
};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, IsolationLevel, QueryFilter, TransactionTrait,
};

use super::ExportError;

/// A list as the writers need it.
pub(super) struct ListData {
    /// The list's county.
    pub county: county::Model,
    /// The list.
    pub list: duty_list::Model,
    /// The county's departments, by id.
    pub departments: HashMap<i32, department::Model>,
    /// Duties ordered by table (basic, cooperative, reclaimed) and 序号.
    pub duties: Vec<DutyData>,
}

/// One duty with its departments and items.
pub(super) struct DutyData {
    /// The table.
    pub kind: DutyKind,
    /// 序号.
    pub seq: i32,
    /// 事项类别.
    pub category: String,
    /// 事项名称.
    pub name: String,
    /// 工作方式 of a reclaimed duty.
    pub working_method: Option<String>,
    /// Counterpart or receiving departments, in document order.
    pub departments: Vec<i32>,
    /// Items ordered by column (department side first) and position.
    pub items: Vec<ItemData>,
}

/// One responsibility item.
pub(super) struct ItemData {
    /// The column.
    pub party: Party,
    /// The section it sits under.
    pub section: Option<String>,
    /// Clean text.
    pub text: String,
    /// Attributed departments, in order (department side only).
    pub departments: Vec<i32>,
}

impl ListData {
    /// The canonical name of a department.
    pub fn name(&self, id: i32) -> &str {
        self.departments.get(&id).map_or("", |d| d.name.as_str())
    }

    /// The short name of a department.
    pub fn short_name(&self, id: i32) -> &str {
        self.departments
            .get(&id)
            .map_or("", |d| d.short_name.as_str())
    }

    /// Canonical names joined with `、`.
    pub fn names(&self, ids: &[i32]) -> String {
        ids.iter()
            .map(|&id| self.name(id))
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The title line as the source document has it:
    /// `新疆维吾尔自治区克孜勒苏柯尔克孜自治州 乌恰县乌恰镇履职事项清单`.
    pub fn title_line(&self) -> String {
        format!(
            "{}{} {}",
            self.county.region, self.county.prefecture, self.list.title
        )
    }

    /// The month line: `2025 年 7 月` for `2025-07`.
    pub fn month_line(&self) -> String {
        let published = self.list.published_on.as_str();
        match published.split_once('-') {
            Some((year, month)) if month.parse::<u32>().is_ok() => {
                format!("{year} 年 {} 月", month.parse::<u32>().unwrap_or_default())
            }
            _ => published.to_owned(),
        }
    }

    /// The `说明` lines: title, month, `说 明`, then the preamble's paragraphs.
    pub fn front_lines(&self) -> Vec<String> {
        let mut lines = vec![self.title_line(), self.month_line(), "说 明".to_owned()];
        lines.extend(
            self.list
                .preamble
                .split('\n')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        );
        lines
    }
}

/// `SELECT id FROM duty WHERE list_id = ?`
fn duties_of(list_id: i32) -> SelectStatement {
    Query::select()
        .column(duty::Column::Id)
        .from(duty::Entity)
        .and_where(duty::Column::ListId.eq(list_id))
        .to_owned()
}

/// Read the list `list_id` in one snapshot; [`ExportError::NotFound`] when
/// there is none.
pub(super) async fn load(db: &DatabaseConnection, list_id: i32) -> Result<ListData, ExportError> {
    let txn = snapshot(db).await?;
    let data = read(&txn, list_id).await?;
    txn.commit().await?;
    Ok(data)
}

/// A read-only transaction that sees one version of the database throughout:
/// repeatable read on PostgreSQL. On SQLite every transaction already reads one
/// snapshot, and sea-orm would only warn at the settings it cannot apply.
async fn snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
        }
        _ => db.begin().await,
    }
}

/// Read the list `list_id` through `db`.
async fn read(db: &impl ConnectionTrait, list_id: i32) -> Result<ListData, ExportError> {
    let list = duty_list::Entity::find_by_id(list_id)
        .one(db)
        .await?
        .ok_or_else(|| ExportError::NotFound(format!("duty list {list_id}")))?;
    let county = county::Entity::find_by_id(list.county_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("county {}", list.county_id)))?;
    let departments: HashMap<i32, department::Model> = department::Entity::find()
        .filter(department::Column::CountyId.eq(county.id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let categories = categories(db, list_id).await?;
    let mut departments_of = departments_of(db, list_id).await?;
    let mut items_of = items_of(db, list_id).await?;
    let mut duties: Vec<DutyData> = duty::Entity::find()
        .filter(duty::Column::ListId.eq(list_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| {
            let linked = departments_of.remove(&d.id).unwrap_or_default();
            if let Some(missing) = linked.iter().find(|id| !departments.contains_key(id)) {
                return Err(DbErr::RecordNotFound(format!(
                    "department {missing} of duty {} in county {}",
                    d.id, county.id
                )));
            }
            Ok(DutyData {
                kind: d.kind,
                seq: d.seq,
                category: categories.get(&d.category_id).cloned().unwrap_or_default(),
                name: d.name,
                working_method: d.working_method,
                departments: linked,
                items: items_of.remove(&d.id).unwrap_or_default(),
            })
        })
        .collect::<Result<_, DbErr>>()?;
    duties.sort_by_key(|d| (d.kind, d.seq));
    Ok(ListData {
        county,
        list,
        departments,
        duties,
    })
}

/// The names of the categories of the list's duties, by key.
async fn categories(
    db: &impl ConnectionTrait,
    list_id: i32,
) -> Result<HashMap<i32, String>, DbErr> {
    Ok(category::Entity::find()
        .filter(
            category::Column::Id.in_subquery(
                Query::select()
                    .column(duty::Column::CategoryId)
                    .from(duty::Entity)
                    .and_where(duty::Column::ListId.eq(list_id))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// Each duty's departments, in document order, by duty key.
async fn departments_of(
    db: &impl ConnectionTrait,
    list_id: i32,
) -> Result<HashMap<i32, Vec<i32>>, DbErr> {
    let mut links = duty_department::Entity::find()
        .filter(duty_department::Column::DutyId.in_subquery(duties_of(list_id)))
        .all(db)
        .await?;
    links.sort_by_key(|l| (l.duty_id, l.position));
    let mut departments_of: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in links {
        departments_of
            .entry(link.duty_id)
            .or_default()
            .push(link.department_id);
    }
    Ok(departments_of)
}

/// Each duty's items with their attributions, by column and position, by duty key.
async fn items_of(
    db: &impl ConnectionTrait,
    list_id: i32,
) -> Result<HashMap<i32, Vec<ItemData>>, DbErr> {
    let mut items = responsibility_item::Entity::find()
        .filter(responsibility_item::Column::DutyId.in_subquery(duties_of(list_id)))
        .all(db)
        .await?;
    items.sort_by_key(|i| (i.duty_id, i.party, i.position));
    let mut attributed = attributions(db, list_id).await?;
    let mut items_of: HashMap<i32, Vec<ItemData>> = HashMap::new();
    for item in items {
        items_of.entry(item.duty_id).or_default().push(ItemData {
            party: item.party,
            section: item.section,
            text: item.text,
            departments: attributed.remove(&item.id).unwrap_or_default(),
        });
    }
    Ok(items_of)
}

/// The departments each item of the list is attributed to, in order, by item key.
async fn attributions(
    db: &impl ConnectionTrait,
    list_id: i32,
) -> Result<HashMap<i32, Vec<i32>>, DbErr> {
    let mut attributions = item_department::Entity::find()
        .filter(
            item_department::Column::ItemId.in_subquery(
                Query::select()
                    .column(responsibility_item::Column::Id)
                    .from(responsibility_item::Entity)
                    .and_where(responsibility_item::Column::DutyId.in_subquery(duties_of(list_id)))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    attributions.sort_by_key(|a| (a.item_id, a.position));
    let mut attributed: HashMap<i32, Vec<i32>> = HashMap::new();
    for a in attributions {
        attributed
            .entry(a.item_id)
            .or_default()
            .push(a.department_id);
    }
    Ok(attributed)
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database, Statement};

    use super::*;

    async fn show(txn: &DatabaseTransaction, setting: &str) -> String {
        let sql = format!("SHOW {setting}");
        let row = txn
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    }

    #[tokio::test]
    async fn a_snapshot_on_postgres_is_read_only_and_repeatable_read() {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("skipped: TEST_DATABASE_URL is unset, no PostgreSQL to test on");
            return;
        };
        let db = Database::connect(url).await.unwrap();
        let txn = snapshot(&db).await.unwrap();
        assert_eq!(show(&txn, "transaction_isolation").await, "repeatable read");
        assert_eq!(show(&txn, "transaction_read_only").await, "on");
        txn.rollback().await.unwrap();
    }
}
