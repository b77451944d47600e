//! The permission matrix, walked: every role (and no token) × every mutation
//! of the approval flow × a target inside and outside the token's county,
//! town or department, on each database. Each attempt gets a request in the
//! state its step needs, prepared from the command line; the expected answer
//! follows from the README's matrix, written out below once.

mod common;

use common::app::TestApp;
use common::tokens::{Scope, error_code, post_as, unchecked};
use common::{TestDb, on_each_backend};
use entity::{AdjustmentOperation, AdjustmentState, Role, duty_list};
use lvzhi::auth::Actor;
use lvzhi::domain::adjustment::{self as adjustments, Submission};
use lvzhi::edition::adjust::{Draft, Table};
use lvzhi::graphql::id::encode;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};

on_each_backend!(every_role_may_do_exactly_what_the_matrix_says_and_only_inside_its_scope);

/// The county, town and department of every prepared request.
const COUNTY: &str = "乌恰县";
const TOWN: &str = "乌恰镇";
const DEPARTMENT: &str = "县卫健委";

/// A step of the flow, as a client calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mutation {
    Submit,
    /// A department reform: the county's, so no town's token may ask for it.
    SubmitReform,
    Withdraw,
    Review,
    Approve,
    Reject,
    Publish,
    Apply,
}

const MUTATIONS: [Mutation; 8] = [
    Mutation::Submit,
    Mutation::SubmitReform,
    Mutation::Withdraw,
    Mutation::Review,
    Mutation::Approve,
    Mutation::Reject,
    Mutation::Publish,
    Mutation::Apply,
];

impl Mutation {
    /// The role the matrix gives it (REJECT: reviewer and approver).
    fn allowed(self, role: Role) -> bool {
        match self {
            Mutation::Submit | Mutation::SubmitReform | Mutation::Withdraw => {
                role == Role::Applicant
            }
            Mutation::Review => role == Role::Reviewer,
            Mutation::Approve | Mutation::Apply => role == Role::Approver,
            Mutation::Reject => matches!(role, Role::Reviewer | Role::Approver),
            Mutation::Publish => role == Role::Publisher,
        }
    }

    /// The state a request must be in for this step.
    fn needs(self) -> Option<AdjustmentState> {
        match self {
            Mutation::Submit | Mutation::SubmitReform | Mutation::Apply => None,
            Mutation::Withdraw | Mutation::Review | Mutation::Reject => {
                Some(AdjustmentState::Submitted)
            }
            Mutation::Approve => Some(AdjustmentState::Reviewed),
            Mutation::Publish => Some(AdjustmentState::Approved),
        }
    }
}

/// A token of the matrix: its role, its scope, and whether that scope holds
/// the prepared requests.
struct Holder {
    label: &'static str,
    role: Option<Role>,
    scope: Scope<'static>,
    inside: bool,
}

fn holders() -> Vec<Holder> {
    let county = |c| Scope {
        county: Some(c),
        ..Scope::default()
    };
    let town = |t| Scope {
        county: Some(COUNTY),
        town: Some(t),
        department: None,
    };
    let department = |d| Scope {
        county: Some(COUNTY),
        town: None,
        department: Some(d),
    };
    let mut holders = vec![Holder {
        label: "no token",
        role: None,
        scope: Scope::default(),
        inside: true,
    }];
    for role in [
        Role::Reader,
        Role::Applicant,
        Role::Reviewer,
        Role::Approver,
        Role::Publisher,
        Role::Admin,
    ] {
        holders.push(Holder {
            label: "county",
            role: Some(role),
            scope: county(COUNTY),
            inside: true,
        });
        holders.push(Holder {
            label: "other county",
            role: Some(role),
            scope: county("阿图什市"),
            inside: false,
        });
    }
    holders.extend([
        Holder {
            label: "own town",
            role: Some(Role::Applicant),
            scope: town(TOWN),
            inside: true,
        },
        Holder {
            label: "other town",
            role: Some(Role::Applicant),
            scope: town("吉根乡"),
            inside: false,
        },
        Holder {
            label: "counterpart",
            role: Some(Role::Applicant),
            scope: department(DEPARTMENT),
            inside: true,
        },
        Holder {
            label: "not a counterpart",
            role: Some(Role::Applicant),
            scope: department("县教育局"),
            inside: false,
        },
        Holder {
            label: "every county",
            role: Some(Role::Publisher),
            scope: Scope::default(),
            inside: true,
        },
    ]);
    holders
}

/// The code the matrix expects; `None` for success.
fn expected(holder: &Holder, mutation: Mutation) -> Option<&'static str> {
    match holder.role {
        None => Some("UNAUTHENTICATED"),
        Some(role) if !mutation.allowed(role) => Some("FORBIDDEN"),
        Some(_) if !holder.inside => Some("FORBIDDEN"),
        Some(_) if mutation == Mutation::SubmitReform && holder.scope.town.is_some() => {
            Some("FORBIDDEN")
        }
        Some(_) => None,
    }
}

/// The current edition's id.
async fn current(db: &DatabaseConnection) -> i32 {
    duty_list::Entity::find()
        .filter(duty_list::Column::ValidUntil.is_null())
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// A new cooperative duty with 县卫健委 as its counterpart, named `name`.
fn new_duty(list_id: i32, name: &str) -> Submission {
    Submission {
        list_id,
        operation: AdjustmentOperation::Add,
        duty_id: None,
        draft: Draft {
            kind: Some(Table::Cooperative),
            category: Some("卫生健康".into()),
            name: Some(name.into()),
            departments: Some(vec![DEPARTMENT.into()]),
            town_items: Some(vec![lvzhi::edition::adjust::ItemDraft {
                text: "配合开展宣传".into(),
                ..Default::default()
            }]),
            ..Draft::default()
        },
        reform: None,
        applicant: "乌恰镇人民政府".into(),
        legal_basis: "依据".into(),
        reason: "理由".into(),
    }
}

/// A request in `state`, taken there from the command line.
async fn prepared(db: &DatabaseConnection, state: AdjustmentState, name: &str) -> i32 {
    let cli = Actor::command_line();
    let list = current(db).await;
    let id = adjustments::submit(db, &cli, new_duty(list, name))
        .await
        .unwrap()
        .id;
    if matches!(state, AdjustmentState::Reviewed | AdjustmentState::Approved) {
        adjustments::review(db, &cli, id).await.unwrap();
    }
    if state == AdjustmentState::Approved {
        adjustments::approve(db, &cli, id).await.unwrap();
    }
    id
}

/// The GraphQL text of an attempt and its variables.
fn attempt(
    mutation: Mutation,
    id: Option<i32>,
    list: i32,
    name: &str,
    n: usize,
) -> (String, Value) {
    let input = json!({
        "listId": encode("DutyList", list), "operation": "ADD",
        "duty": { "kind": "COOPERATIVE", "category": "卫生健康", "name": name,
                  "departments": [DEPARTMENT], "townItems": [{ "text": "配合开展宣传" }] },
        "applicant": "乌恰镇人民政府", "legalBasis": "依据", "reason": "理由",
    });
    let id = id.map(|id| encode("Adjustment", id));
    let simple = |field: &str| {
        (
            format!("mutation($id: ID!) {{ {field}(id: $id) {{ state }} }}"),
            json!({ "id": id }),
        )
    };
    match mutation {
        Mutation::Submit => (
            "mutation($input: AdjustmentInput!) { submitAdjustment(input: $input) { state } }".into(),
            json!({ "input": input }),
        ),
        Mutation::SubmitReform => (
            "mutation($input: AdjustmentInput!) { submitAdjustment(input: $input) { state } }".into(),
            json!({ "input": {
                "listId": encode("DutyList", list), "operation": "RENAME_DEPARTMENT",
                "reform": { "departments": [DEPARTMENT],
                            "successors": [{ "name": format!("乌恰县卫生健康局{n}"), "shortName": format!("县卫健局{n}") }] },
                "applicant": "县委编办", "legalBasis": "依据", "reason": "理由",
            }}),
        ),
        Mutation::Withdraw => simple("withdrawAdjustment"),
        Mutation::Review => simple("reviewAdjustment"),
        Mutation::Approve => simple("approveAdjustment"),
        Mutation::Reject => (
            "mutation($id: ID!) { rejectAdjustment(id: $id, reason: \"不符合条件\") { state } }".into(),
            json!({ "id": id }),
        ),
        Mutation::Publish => (
            "mutation($input: PublishInput!) { publishAdjustments(input: $input) { list { edition } } }".into(),
            json!({ "input": { "ids": [id], "documentNumber": format!("文号{n}"), "effectiveOn": "2026-01-01" } }),
        ),
        Mutation::Apply => (
            "mutation($input: ApplyInput!) { applyAdjustments(input: $input) { list { edition } } }".into(),
            json!({ "input": { "changes": [input], "documentNumber": format!("文号{n}"),
                               "approver": "县长", "effectiveOn": "2026-01-01" } }),
        ),
    }
}

async fn every_role_may_do_exactly_what_the_matrix_says_and_only_inside_its_scope(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let db = &app.db.db;
    let mut tokens = Vec::new();
    for (n, holder) in holders().iter().enumerate() {
        let secret = match holder.role {
            Some(role) => Some(unchecked(db, &format!("token{n}"), role, holder.scope).await),
            None => None,
        };
        tokens.push(secret);
    }
    let mut walked = 0;
    let mut mismatches = Vec::new();
    for mutation in MUTATIONS {
        for (n, holder) in holders().iter().enumerate() {
            let name = format!("新事项{walked}");
            let id = match mutation.needs() {
                Some(state) => Some(prepared(db, state, &name).await),
                None => None,
            };
            let list = current(db).await;
            let (query, variables) = attempt(mutation, id, list, &format!("{name}甲"), walked);
            let (_, body) = post_as(&app, tokens[n].as_deref(), &query, variables).await;
            let want = expected(holder, mutation);
            if error_code(&body) != want {
                mismatches.push(format!(
                    "{mutation:?} by {:?} ({}): expected {want:?}, got {body}",
                    holder.role, holder.label
                ));
            }
            walked += 1;
        }
    }
    assert_eq!(walked, MUTATIONS.len() * holders().len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
