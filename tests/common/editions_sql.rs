//! Two editions of the Wuqia list, written with SQL: the seed imported as
//! edition 1, then edition 2 copied from it row by row — list, stated counts,
//! duties (keeping their lineage), department links, items, attributions and
//! search fields — with one duty left out and `县住建局` reformed into a new
//! bureau from the day edition 2 takes effect.
//!
//! This stands in for the importer, which will write editions itself: it lets
//! the read scopes (current, as of a day, one list) be tested without it. It
//! writes the rows directly and bumps no data version, so call it before a
//! server starts over the database.

use std::collections::HashMap;

use entity::department_succession::SuccessionKind;
use entity::{
    DutyKind, EditionSource, department, department_succession, duty, duty_department, duty_list,
    item_department, responsibility_item, stated_count,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, NotSet, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};

/// The day edition 1 takes effect.
pub const FIRST_DAY: &str = "2025-07-01";
/// The day edition 2 takes effect, and the day of the bureau's reform.
pub const SECOND_DAY: &str = "2025-10-01";
/// The cooperative duty (序号) edition 2 leaves out, one of the bureau's.
pub const REMOVED_SEQ: i32 = 32;
/// The name of the removed duty.
pub const REMOVED_NAME: &str = "负责燃气安全知识宣传、隐患上报";
/// The bureau reformed on [`SECOND_DAY`], by the alias the tests ask for.
pub const OLD_BUREAU: &str = "县住建局";
/// The bureau's canonical name before the reform.
pub const OLD_BUREAU_NAME: &str = "乌恰县住房和城乡建设局";
/// The bureau that succeeds it.
pub const NEW_BUREAU_NAME: &str = "乌恰县住房和城乡建设交通局";

/// The two editions' list keys and the two bureaus' department keys.
#[derive(Clone, Copy, Debug)]
pub struct Editions {
    /// Edition 1, in force from [`FIRST_DAY`] until [`SECOND_DAY`].
    pub first: i32,
    /// Edition 2, current from [`SECOND_DAY`] on.
    pub second: i32,
    /// The bureau before the reform.
    pub old_bureau: i32,
    /// The bureau after it.
    pub new_bureau: i32,
}

/// Seed `db` with edition 1 and write edition 2 as described in the module doc.
pub async fn two_editions(test: &super::TestDb) -> Editions {
    test.seed().await;
    let db = &test.db;
    let first = duty_list::Entity::find()
        .one(db)
        .await
        .unwrap()
        .expect("the seeded list");
    let txn = db.begin().await.unwrap();
    let mut old = first.clone().into_active_model();
    old.effective_on = Set(FIRST_DAY.into());
    old.valid_until = Set(Some(SECOND_DAY.into()));
    old.update(&txn).await.unwrap();
    // No longer current: the search index counts it out, as the importer does.
    lvzhi::search::list_currency_changed(&txn, first.id, false)
        .await
        .unwrap();
    let second = duty_list::ActiveModel {
        id: NotSet,
        edition: Set(2),
        published_on: Set("2025-10".into()),
        effective_on: Set(SECOND_DAY.into()),
        valid_until: Set(None),
        document_number: Set(Some("乌政办〔2025〕1号".into())),
        reason: Set(Some("机构改革".into())),
        source: Set(EditionSource::Adjustment),
        source_name: Set("editions_sql".into()),
        // Another content, another fingerprint (of the same length).
        fingerprint: Set(format!("e2{}", &first.fingerprint[2..])),
        ..first.clone().into_active_model()
    }
    .insert(&txn)
    .await
    .unwrap();
    let (old_bureau, new_bureau) = reform(&txn, first.county_id).await;
    copy_stated_counts(&txn, first.id, second.id).await;
    let duties = copy_duties(&txn, first.id, second.id).await;
    let bureau = |d: i32| if d == old_bureau { new_bureau } else { d };
    copy_links(&txn, &duties, second.id, bureau).await;
    copy_items(&txn, &duties, bureau).await;
    let copies: Vec<i32> = duties.values().copied().collect();
    lvzhi::search::index_duties(&txn, &copies).await.unwrap();
    txn.commit().await.unwrap();
    Editions {
        first: first.id,
        second: second.id,
        old_bureau,
        new_bureau,
    }
}

/// Create the new bureau and record that it succeeds the old one from
/// [`SECOND_DAY`]; both keys.
async fn reform(txn: &impl sea_orm::ConnectionTrait, county: i32) -> (i32, i32) {
    let old = department::Entity::find()
        .filter(department::Column::Name.eq(OLD_BUREAU_NAME))
        .one(txn)
        .await
        .unwrap()
        .expect("the housing bureau");
    let new = department::ActiveModel {
        id: NotSet,
        county_id: Set(county),
        name: Set(NEW_BUREAU_NAME.into()),
        short_name: Set("县住建交通局".into()),
    }
    .insert(txn)
    .await
    .unwrap();
    department_succession::ActiveModel {
        id: NotSet,
        county_id: Set(county),
        predecessor_id: Set(old.id),
        successor_id: Set(new.id),
        effective_on: Set(SECOND_DAY.into()),
        share: Set(None),
        kind: Set(SuccessionKind::Renamed),
    }
    .insert(txn)
    .await
    .unwrap();
    (old.id, new.id)
}

async fn copy_stated_counts(txn: &impl sea_orm::ConnectionTrait, from: i32, to: i32) {
    let rows = stated_count::Entity::find()
        .filter(stated_count::Column::ListId.eq(from))
        .all(txn)
        .await
        .unwrap();
    for row in rows {
        stated_count::ActiveModel {
            list_id: Set(to),
            ..row.into_active_model()
        }
        .insert(txn)
        .await
        .unwrap();
    }
}

/// Copy every duty of list `from` into `to` but the removed one; new key by old.
async fn copy_duties(txn: &impl sea_orm::ConnectionTrait, from: i32, to: i32) -> HashMap<i32, i32> {
    let duties = duty::Entity::find()
        .filter(duty::Column::ListId.eq(from))
        .order_by_asc(duty::Column::Id)
        .all(txn)
        .await
        .unwrap();
    let mut copied = HashMap::new();
    for d in duties {
        if d.kind == DutyKind::Cooperative && d.seq == REMOVED_SEQ {
            continue;
        }
        let old = d.id;
        let lineage = if d.lineage == 0 { d.id } else { d.lineage };
        let new = duty::ActiveModel {
            id: NotSet,
            list_id: Set(to),
            lineage: Set(lineage),
            ..d.into_active_model()
        }
        .insert(txn)
        .await
        .unwrap();
        copied.insert(old, new.id);
    }
    copied
}

async fn copy_links(
    txn: &impl sea_orm::ConnectionTrait,
    duties: &HashMap<i32, i32>,
    list: i32,
    bureau: impl Fn(i32) -> i32,
) {
    let links = duty_department::Entity::find()
        .filter(duty_department::Column::DutyId.is_in(duties.keys().copied()))
        .all(txn)
        .await
        .unwrap();
    for link in links {
        duty_department::ActiveModel {
            duty_id: Set(duties[&link.duty_id]),
            department_id: Set(bureau(link.department_id)),
            position: Set(link.position),
            list_id: Set(list),
        }
        .insert(txn)
        .await
        .unwrap();
    }
}

/// Copy the items of the copied duties with their attributions; new key by old.
async fn copy_items(
    txn: &impl sea_orm::ConnectionTrait,
    duties: &HashMap<i32, i32>,
    bureau: impl Fn(i32) -> i32,
) -> HashMap<i32, i32> {
    let items = responsibility_item::Entity::find()
        .filter(responsibility_item::Column::DutyId.is_in(duties.keys().copied()))
        .order_by_asc(responsibility_item::Column::Id)
        .all(txn)
        .await
        .unwrap();
    let mut copied = HashMap::new();
    for item in items {
        let old = item.id;
        let new = responsibility_item::ActiveModel {
            id: NotSet,
            duty_id: Set(duties[&item.duty_id]),
            ..item.into_active_model()
        }
        .insert(txn)
        .await
        .unwrap();
        copied.insert(old, new.id);
    }
    let attributions = item_department::Entity::find()
        .filter(item_department::Column::ItemId.is_in(copied.keys().copied()))
        .all(txn)
        .await
        .unwrap();
    for a in attributions {
        item_department::ActiveModel {
            item_id: Set(copied[&a.item_id]),
            department_id: Set(bureau(a.department_id)),
            position: Set(a.position),
        }
        .insert(txn)
        .await
        .unwrap();
    }
    copied
}
