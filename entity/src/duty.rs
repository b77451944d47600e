//! One duty (履职事项) of a list.

use sea_orm::entity::prelude::*;

/// The three tables of a duty list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DutyKind {
    /// 基本履职事项: the town does it alone.
    #[sea_orm(string_value = "BASIC")]
    Basic,
    /// 配合履职事项: a county department leads, the town assists.
    #[sea_orm(string_value = "COOPERATIVE")]
    Cooperative,
    /// 上级部门收回事项: taken back by a county department.
    #[sea_orm(string_value = "RECLAIMED")]
    Reclaimed,
}

/// A duty: one row of one of the list's tables.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "duty")]
pub struct Model {
    /// Surrogate key; stable across re-imports of the same list (upserted by list, kind and seq).
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The list.
    pub list_id: i32,
    /// The table the duty is in.
    pub kind: DutyKind,
    /// Sequence number (序号) within its table.
    pub seq: i32,
    /// Category (事项类别).
    pub category_id: i32,
    /// Name (事项名称), clean text.
    pub name: String,
    /// Working method (工作方式) of a reclaimed duty.
    pub working_method: Option<String>,
    /// The duty's lineage: the id of its first version. A duty matched across
    /// editions keeps its lineage however its wording, table or 序号 change.
    pub lineage: i32,
}

/// Relations of a duty.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The list.
    #[sea_orm(
        belongs_to = "super::duty_list::Entity",
        from = "Column::ListId",
        to = "super::duty_list::Column::Id",
        on_delete = "Cascade"
    )]
    DutyList,
    /// The category.
    #[sea_orm(
        belongs_to = "super::category::Entity",
        from = "Column::CategoryId",
        to = "super::category::Column::Id"
    )]
    Category,
    /// Counterpart or receiving departments.
    #[sea_orm(has_many = "super::duty_department::Entity")]
    DutyDepartment,
    /// Responsibility items.
    #[sea_orm(has_many = "super::responsibility_item::Entity")]
    ResponsibilityItem,
}

impl Related<super::duty_list::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DutyList.def()
    }
}

impl Related<super::category::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Category.def()
    }
}

impl Related<super::duty_department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DutyDepartment.def()
    }
}

impl Related<super::responsibility_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResponsibilityItem.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl DutyKind {
    /// Every kind, in the order the tables appear in a list.
    pub const ALL: [DutyKind; 3] = [DutyKind::Basic, DutyKind::Cooperative, DutyKind::Reclaimed];

    /// The Chinese name of the kind, e.g. `配合履职事项`.
    pub fn label(self) -> &'static str {
        match self {
            DutyKind::Basic => "基本履职事项",
            DutyKind::Cooperative => "配合履职事项",
            DutyKind::Reclaimed => "上级部门收回事项",
        }
    }

    /// The title of the kind's table, e.g. `配合履职事项清单`.
    pub fn table_title(self) -> &'static str {
        match self {
            DutyKind::Basic => "基本履职事项清单",
            DutyKind::Cooperative => "配合履职事项清单",
            DutyKind::Reclaimed => "上级部门收回事项清单",
        }
    }

    /// The header row of the kind's table.
    pub fn header(self) -> &'static [&'static str] {
        match self {
            DutyKind::Basic => &["序号", "事项类别", "事项名称"],
            DutyKind::Cooperative => &[
                "序号",
                "事项类别",
                "事项名称",
                "对应上级部门",
                "上级部门职责",
                "乡镇（街道）配合职责",
            ],
            DutyKind::Reclaimed => &["序号", "事项类别", "事项名称", "承接部门及工作方式"],
        }
    }
}
