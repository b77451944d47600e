//! Queries several test files ask, and counting the SQL statements a query runs.

use serde_json::Value;

/// The Bureau query: a department with every cooperation, what it and the town
/// do in each, its partners and its reclaimed duties (the benchmark's query).
pub const BUREAU: &str = "query Bureau($name: String!) { department(name: $name) {
  id name aliases cooperationCount reclaimedCount
  cooperations {
    duty { id seq name category { name } }
    departmentItems { section text }
    townItems { section text }
    partners { name }
  }
  reclaimedDuties { seq name workingMethod } } }";

/// SQL statements one query runs on a fresh schema over `db`.
pub async fn statements(db: &sea_orm::DatabaseConnection, query: &str, variables: Value) -> u64 {
    counted(db, query, variables).await.0
}

/// The SQL statements one query runs on a fresh schema over `db`, and its data.
pub async fn counted(
    db: &sea_orm::DatabaseConnection,
    query: &str,
    variables: Value,
) -> (u64, Value) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let counter = Arc::new(AtomicU64::new(0));
    let mut counted = db.clone();
    let c = counter.clone();
    counted.set_metric_callback(move |_| {
        c.fetch_add(1, Ordering::Relaxed);
    });
    let api = lvzhi::graphql::Api::new(counted);
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables));
    let response = api.execute(request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    (
        counter.load(Ordering::Relaxed),
        response.data.into_json().expect("JSON data"),
    )
}

/// The ID of the only list, and of cooperative duty `seq` (IDs encode database keys).
pub async fn list_and_duty_ids(db: &sea_orm::DatabaseConnection, seq: i32) -> (String, String) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let list = entity::duty_list::Entity::find()
        .one(db)
        .await
        .unwrap()
        .expect("a list");
    let duty = entity::duty::Entity::find()
        .filter(entity::duty::Column::Kind.eq(entity::DutyKind::Cooperative))
        .filter(entity::duty::Column::Seq.eq(seq))
        .one(db)
        .await
        .unwrap()
        .expect("the duty");
    (
        lvzhi::graphql::id::encode("DutyList", list.id).to_string(),
        lvzhi::graphql::id::encode("Duty", duty.id).to_string(),
    )
}
