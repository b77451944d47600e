//! sea-orm entities of lvzhi's relational model.
//!
//! One module per table. A [`duty_list`] belongs to a [`county`]; its [`duty`] rows
//! each have a [`category`], link to county [`department`]s through
//! [`duty_department`], and (cooperative duties) carry [`responsibility_item`]s,
//! whose department-side rows are attributed through [`item_department`].
//! Department names resolve through [`department_alias`], scoped to the county.

pub mod category;
pub mod county;
pub mod department;
pub mod department_alias;
pub mod duty;
pub mod duty_department;
pub mod duty_list;
pub mod item_department;
pub mod responsibility_item;
pub mod stated_count;

pub use duty::DutyKind;
pub use responsibility_item::Party;
