//! Events for tests: requests submitted through the domain layer, as the
//! command line would, each writing one `adjustment.submitted` event.

use entity::{AdjustmentOperation, DutyKind, duty, duty_list};
use lvzhi::auth::Actor;
use lvzhi::date::Date;
use lvzhi::domain::adjustment::{self as adjustments, PublishRequest, Submission};
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

/// Submit, review, approve and publish one request: edition 2.
pub async fn publish_edition(db: &DatabaseConnection) -> duty_list::Model {
    let cli = Actor::command_line();
    let id = submit(db, 1).await;
    adjustments::review(db, &cli, id).await.unwrap();
    adjustments::approve(db, &cli, id).await.unwrap();
    let request = PublishRequest {
        document_number: "乌政办发〔2026〕12号".into(),
        effective_on: "2026-01-01".parse::<Date>().unwrap(),
        reason: None,
    };
    adjustments::publish(db, &cli, &[id], &request)
        .await
        .unwrap()
        .list
}
