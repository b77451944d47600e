//! sea-orm entities of lvzhi's relational model.
//!
//! One module per table. A [`duty_list`] belongs to a [`county`]; its [`duty`] rows
//! each have a [`category`], link to county [`department`]s through
//! [`duty_department`], and (cooperative duties) carry [`responsibility_item`]s,
//! whose department-side rows are attributed through [`item_department`].
//! Department names resolve through [`department_alias`], scoped to the county, and
//! from a reform's day on through [`department_succession`] to the successor.
//! A town's lists are its editions; a duty's `lineage` ties its versions together.
//! [`search_text`], [`search_gram`] and [`search_field`] are the search index.
//! Writes: [`adjustment`] requests, [`api_token`]s, the append-only
//! [`audit_event`] log and [`idempotency_key`]s; [`event`] is the outbox of changes, delivered to
//! [`webhook`] subscriptions as [`webhook_delivery`]s.

pub mod adjustment;
pub mod api_token;
pub mod audit_event;
pub mod category;
pub mod county;
pub mod department;
pub mod department_alias;
pub mod department_succession;
pub mod duty;
pub mod duty_department;
pub mod duty_list;
pub mod event;
pub mod idempotency_key;
pub mod item_department;
pub mod responsibility_item;
pub mod search_field;
pub mod search_gram;
pub mod search_text;
pub mod stated_count;
pub mod webhook;
pub mod webhook_delivery;

pub use adjustment::{Operation as AdjustmentOperation, State as AdjustmentState};
pub use api_token::Role;
pub use duty::DutyKind;
pub use duty_list::EditionSource;
pub use responsibility_item::Party;
pub use webhook::State as WebhookState;
pub use webhook_delivery::State as DeliveryState;
