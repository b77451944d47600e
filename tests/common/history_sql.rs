//! A second edition of a stored list, written with sea-orm: a stand-in for the
//! importer until it stores editions itself. It copies every row of edition 1
//! — duties with their lineages, links, items, attributions, search rows —
//! into a new `duty_list` row numbered 2, with a few known edits, and closes
//! edition 1 (`valid_until`). It also gives edition 1's duties the lineage the
//! importer will give them (their own id) and records a department reform
//! between the two editions, so a diff has a rename to report.

use std::collections::HashMap;

use entity::{
    DutyKind, EditionSource, Party, department, department_succession, duty, duty_department,
    duty_list, item_department, responsibility_item,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};

/// The day edition 2 takes effect.
pub const EDITION_2_DAY: &str = "2026-01-01";
/// The day the department reform took effect (between the two editions).
pub const REFORM_DAY: &str = "2025-10-01";
/// What edition 2 appends to basic duty 1's name.
pub const RENAMED_SUFFIX: &str = "（2026年修订）";
/// What edition 2 appends to the first town item of cooperative duty 3.
pub const REWORDED_SUFFIX: &str = "，每季度报告一次";
/// The name of the basic duty edition 2 adds at the end of its table.
pub const ADDED_NAME: &str = "组织开展基层治理数字化试点工作";
/// The new name of the renamed department.
pub const RENAMED_DEPARTMENT: &str = "中共乌恰县委组织部";

/// What [`second_edition`] made.
#[derive(Debug)]
pub struct SecondEdition {
    /// Edition 1's list id.
    pub first: i32,
    /// Edition 2's list id.
    pub second: i32,
    /// The department edition 2 names [`RENAMED_DEPARTMENT`] instead, by its old name.
    pub renamed_from: String,
    /// How many of edition 1's duties name that department (as a duty's or an item's).
    pub renamed_duties: usize,
}

/// Write edition 2 of the list `first` (see the module documentation). Its
/// edits, against edition 1:
///
/// - basic duty 1 renamed (name + [`RENAMED_SUFFIX`]): MODIFIED;
/// - basic duty 2 deleted: REMOVED, and basic 3… shift up by one;
/// - a basic duty added at the end ([`ADDED_NAME`]): ADDED;
/// - cooperative duties 1 and 2 swap their 序号: one RENUMBERED;
/// - cooperative duty 3's first town item reworded (+ [`REWORDED_SUFFIX`]): MODIFIED;
/// - the first department of cooperative duty 4 renamed [`RENAMED_DEPARTMENT`]
///   on [`REFORM_DAY`]: a RENAMED department, no duty entry.
pub async fn second_edition(db: &DatabaseConnection, first: i32) -> SecondEdition {
    let txn = db.begin().await.expect("a transaction");
    let old = set_lineages_and_close(&txn, first).await;
    let second = new_list(&txn, &old).await;
    let (renamed_from, renamed_to) = reform(&txn, first).await;
    let departments = |id: i32| if id == renamed_from { renamed_to } else { id };
    let duties = duty::Entity::find()
        .filter(duty::Column::ListId.eq(first))
        .order_by_asc(duty::Column::Id)
        .all(&txn)
        .await
        .expect("edition 1's duties");
    let mut copied = Vec::new();
    for d in &duties {
        if let Some(new) = copy_duty(&txn, d, second, &departments).await {
            copied.push(new);
        }
    }
    copied.push(add_duty(&txn, second, &duties).await);
    lvzhi::search::index_duties(&txn, &copied)
        .await
        .expect("edition 2's search rows");
    lvzhi::db::bump_data_version(&txn)
        .await
        .expect("data version");
    let renamed_duties = naming(&txn, first, renamed_from).await;
    let renamed_from = department::Entity::find_by_id(renamed_from)
        .one(&txn)
        .await
        .unwrap()
        .unwrap()
        .name;
    txn.commit().await.expect("edition 2 commits");
    SecondEdition {
        first,
        second,
        renamed_from,
        renamed_duties,
    }
}

/// Lineage = id where the importer left none; edition 1 dated and closed.
async fn set_lineages_and_close(txn: &DatabaseTransaction, first: i32) -> duty_list::Model {
    duty::Entity::update_many()
        .col_expr(duty::Column::Lineage, Expr::col(duty::Column::Id))
        .filter(duty::Column::ListId.eq(first))
        .filter(duty::Column::Lineage.eq(0))
        .exec(txn)
        .await
        .expect("lineages");
    let list = duty_list::Entity::find_by_id(first)
        .one(txn)
        .await
        .unwrap()
        .expect("edition 1");
    let mut closed: duty_list::ActiveModel = list.clone().into();
    if list.effective_on.is_empty() {
        closed.effective_on = Set(format!("{}-01", list.published_on));
    }
    closed.valid_until = Set(Some(EDITION_2_DAY.to_owned()));
    closed.update(txn).await.expect("edition 1 closed")
}

/// Edition 2's list row.
async fn new_list(txn: &DatabaseTransaction, old: &duty_list::Model) -> i32 {
    duty_list::ActiveModel {
        id: NotSet,
        county_id: Set(old.county_id),
        town: Set(old.town.clone()),
        title: Set(old.title.clone()),
        published_on: Set("2026-01".to_owned()),
        preamble: Set(old.preamble.clone()),
        fingerprint: Set("edition 2 (test)".to_owned()),
        imported_at: Set(1_767_225_600),
        edition: Set(2),
        effective_on: Set(EDITION_2_DAY.to_owned()),
        valid_until: Set(None),
        document_number: Set(Some("乌政办发〔2026〕1号".to_owned())),
        reason: Set(Some("机构改革后调整".to_owned())),
        source: Set(EditionSource::Adjustment),
        source_name: Set("2026年第1批调整".to_owned()),
    }
    .insert(txn)
    .await
    .expect("edition 2's list")
    .id
}

/// The department renamed on [`REFORM_DAY`] (the first of cooperative duty 4)
/// and its new department: (old id, new id).
async fn reform(txn: &DatabaseTransaction, first: i32) -> (i32, i32) {
    let duty4 = at(txn, first, DutyKind::Cooperative, 4).await;
    let link = duty_department::Entity::find()
        .filter(duty_department::Column::DutyId.eq(duty4.id))
        .order_by_asc(duty_department::Column::Position)
        .one(txn)
        .await
        .unwrap()
        .expect("cooperative duty 4 has a department");
    let county = county_of(txn, first).await;
    let new = department::ActiveModel {
        id: NotSet,
        county_id: Set(county),
        name: Set(RENAMED_DEPARTMENT.to_owned()),
        short_name: Set("中共县委组织部".to_owned()),
    }
    .insert(txn)
    .await
    .expect("the new department")
    .id;
    department_succession::ActiveModel {
        id: NotSet,
        county_id: Set(county),
        predecessor_id: Set(link.department_id),
        successor_id: Set(new),
        effective_on: Set(REFORM_DAY.to_owned()),
        share: Set(None),
        kind: Set(department_succession::SuccessionKind::Renamed),
    }
    .insert(txn)
    .await
    .expect("the succession");
    (link.department_id, new)
}

/// The county of a list.
async fn county_of(txn: &DatabaseTransaction, list: i32) -> i32 {
    duty_list::Entity::find_by_id(list)
        .one(txn)
        .await
        .unwrap()
        .unwrap()
        .county_id
}

/// The duty of `list` at a place.
async fn at(txn: &DatabaseTransaction, list: i32, kind: DutyKind, seq: i32) -> duty::Model {
    duty::Entity::find()
        .filter(duty::Column::ListId.eq(list))
        .filter(duty::Column::Kind.eq(kind))
        .filter(duty::Column::Seq.eq(seq))
        .one(txn)
        .await
        .unwrap()
        .expect("the duty exists")
}

/// Copy duty `d` into list `second` with its edits; its new id, or `None` for
/// the deleted duty.
async fn copy_duty(
    txn: &DatabaseTransaction,
    d: &duty::Model,
    second: i32,
    departments: &impl Fn(i32) -> i32,
) -> Option<i32> {
    let (kind, seq) = (d.kind, d.seq);
    let (name, seq) = match (kind, seq) {
        (DutyKind::Basic, 1) => (format!("{}{RENAMED_SUFFIX}", d.name), 1),
        (DutyKind::Basic, 2) => return None,
        (DutyKind::Basic, n) => (d.name.clone(), n - 1),
        (DutyKind::Cooperative, 1) => (d.name.clone(), 2),
        (DutyKind::Cooperative, 2) => (d.name.clone(), 1),
        (_, n) => (d.name.clone(), n),
    };
    let new = duty::ActiveModel {
        id: NotSet,
        list_id: Set(second),
        kind: Set(kind),
        seq: Set(seq),
        category_id: Set(d.category_id),
        name: Set(name),
        working_method: Set(d.working_method.clone()),
        lineage: Set(d.lineage),
    }
    .insert(txn)
    .await
    .expect("a copied duty")
    .id;
    copy_links(txn, d.id, (new, second), departments).await;
    let reword = kind == DutyKind::Cooperative && d.seq == 3;
    copy_items(txn, d.id, new, reword, departments).await;
    Some(new)
}

async fn copy_links(
    txn: &DatabaseTransaction,
    from: i32,
    (to, list): (i32, i32),
    departments: &impl Fn(i32) -> i32,
) {
    let links = duty_department::Entity::find()
        .filter(duty_department::Column::DutyId.eq(from))
        .all(txn)
        .await
        .unwrap();
    for link in links {
        duty_department::ActiveModel {
            duty_id: Set(to),
            department_id: Set(departments(link.department_id)),
            position: Set(link.position),
            list_id: Set(list),
        }
        .insert(txn)
        .await
        .expect("a copied link");
    }
}

/// Copy the items of duty `from` to `to`; with `reword`, the first town item
/// gets [`REWORDED_SUFFIX`].
async fn copy_items(
    txn: &DatabaseTransaction,
    from: i32,
    to: i32,
    reword: bool,
    departments: &impl Fn(i32) -> i32,
) {
    let items = responsibility_item::Entity::find()
        .filter(responsibility_item::Column::DutyId.eq(from))
        .all(txn)
        .await
        .unwrap();
    for item in items {
        let mut text = item.text.clone();
        if reword && item.party == Party::Town && item.position == 1 {
            text.push_str(REWORDED_SUFFIX);
        }
        let new = responsibility_item::ActiveModel {
            id: NotSet,
            duty_id: Set(to),
            party: Set(item.party),
            position: Set(item.position),
            section: Set(item.section.clone()),
            text: Set(text),
        }
        .insert(txn)
        .await
        .expect("a copied item")
        .id;
        let attributions = item_department::Entity::find()
            .filter(item_department::Column::ItemId.eq(item.id))
            .all(txn)
            .await
            .unwrap();
        for a in attributions {
            item_department::ActiveModel {
                item_id: Set(new),
                department_id: Set(departments(a.department_id)),
                position: Set(a.position),
            }
            .insert(txn)
            .await
            .expect("a copied attribution");
        }
    }
}

/// The basic duty edition 2 adds after its last: a lineage of its own.
async fn add_duty(txn: &DatabaseTransaction, second: i32, old: &[duty::Model]) -> i32 {
    let basic = old.iter().filter(|d| d.kind == DutyKind::Basic).count() as i32;
    let category = old
        .iter()
        .find(|d| d.kind == DutyKind::Basic)
        .unwrap()
        .category_id;
    let added = duty::ActiveModel {
        id: NotSet,
        list_id: Set(second),
        kind: Set(DutyKind::Basic),
        // One deleted, one added: as many basic duties as before.
        seq: Set(basic),
        category_id: Set(category),
        name: Set(ADDED_NAME.to_owned()),
        working_method: Set(None),
        lineage: Set(0),
    }
    .insert(txn)
    .await
    .expect("the added duty");
    let mut lineage: duty::ActiveModel = added.clone().into();
    lineage.lineage = Set(added.id);
    lineage.update(txn).await.expect("its lineage");
    added.id
}

/// How many duties of `list` name `department`, as a duty's or an item's.
async fn naming(txn: &DatabaseTransaction, list: i32, department: i32) -> usize {
    let duties: HashMap<i32, ()> = duty::Entity::find()
        .filter(duty::Column::ListId.eq(list))
        .all(txn)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.id, ()))
        .collect();
    let mut naming: Vec<i32> = duty_department::Entity::find()
        .filter(duty_department::Column::DepartmentId.eq(department))
        .all(txn)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.duty_id)
        .filter(|d| duties.contains_key(d))
        .collect();
    let items = responsibility_item::Entity::find()
        .filter(responsibility_item::Column::DutyId.is_in(duties.keys().copied()))
        .all(txn)
        .await
        .unwrap();
    let item_duty: HashMap<i32, i32> = items.iter().map(|i| (i.id, i.duty_id)).collect();
    naming.extend(
        item_department::Entity::find()
            .filter(item_department::Column::DepartmentId.eq(department))
            .all(txn)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|a| item_duty.get(&a.item_id).copied()),
    );
    naming.sort_unstable();
    naming.dedup();
    naming.len()
}
