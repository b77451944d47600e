//! Events for tests: requests submitted through the domain layer, as the
//! command line would, each writing one `adjustment.submitted` event.

use entity::{AdjustmentOperation, DutyKind, duty, duty_list};
use lvzhi::auth::Actor;
use lvzhi::domain::adjustment::{self as adjustments, Submission};
use lvzhi::edition::adjust::{Draft, Table};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// The cooperative duty numbered `seq` of the current list.
pub async fn cooperative(db: &DatabaseConnection, seq: i32) -> duty::Model {
    let list = duty_list::Entity::find()
        .order_by_desc(duty_list::Column::Id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    duty::Entity::find()
        .filter(duty::Column::ListId.eq(list.id))
        .filter(duty::Column::Kind.eq(DutyKind::Cooperative))
        .filter(duty::Column::Seq.eq(seq))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

/// Submit a request moving cooperative duty `seq` to 收回 (one
/// `adjustment.submitted` event); its id.
pub async fn submit(db: &DatabaseConnection, seq: i32) -> i32 {
    let duty = cooperative(db, seq).await;
    let submission = Submission {
        list_id: duty.list_id,
        operation: AdjustmentOperation::Move,
        duty_id: Some(duty.id),
        draft: Draft {
            kind: Some(Table::Reclaimed),
            ..Draft::default()
        },
        reform: None,
        applicant: "乌恰镇人民政府".into(),
        legal_basis: "依据".into(),
        reason: "理由".into(),
    };
    adjustments::submit(db, &Actor::command_line(), submission)
        .await
        .unwrap()
        .id
}
