use super::*;

fn item(party: Party, text: &str, departments: &[&str]) -> ItemVersion {
    ItemVersion {
        party,
        section: None,
        text: text.to_owned(),
        departments: departments.iter().map(|d| d.to_string()).collect(),
    }
}

fn duty(kind: DutyKind, seq: u32, name: &str, departments: &[&str]) -> DutyVersion {
    let cooperative = kind == DutyKind::Cooperative;
    DutyVersion {
        place: Place { kind, seq },
        category: "类别".to_owned(),
        name: name.to_owned(),
        departments: departments.iter().map(|d| d.to_string()).collect(),
        working_method: (kind == DutyKind::Reclaimed).then(|| "承接".to_owned()),
        items: if cooperative {
            vec![
                item(Party::Department, "部门做", departments),
                item(Party::Town, "乡镇配合", &[]),
            ]
        } else {
            Vec::new()
        },
    }
}

/// 基本 1–2, 配合 1–2, 收回 1, lineages 1–5.
fn edition() -> Vec<Planned> {
    [
        duty(DutyKind::Basic, 1, "甲", &[]),
        duty(DutyKind::Basic, 2, "乙", &[]),
        duty(DutyKind::Cooperative, 1, "丙", &["县A局"]),
        duty(DutyKind::Cooperative, 2, "丁", &["县A局", "县B局"]),
        duty(DutyKind::Reclaimed, 1, "戊", &["县B局"]),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, version)| Planned {
        lineage: Some(i as i32 + 1),
        version,
    })
    .collect()
}

fn change(id: i32, operation: Operation, lineage: Option<i32>, draft: Draft) -> Adjustment {
    Adjustment {
        id,
        operation,
        lineage,
        draft,
    }
}

fn places(duties: &[Planned]) -> Vec<(Option<i32>, DutyKind, u32, &str)> {
    duties
        .iter()
        .map(|d| {
            let p = d.version.place;
            (d.lineage, p.kind, p.seq, d.version.name.as_str())
        })
        .collect()
}

#[test]
fn a_removal_renumbers_the_rest_of_its_table() {
    let made = apply(
        &edition(),
        &[change(1, Operation::Remove, Some(1), Draft::default())],
    )
    .unwrap();
    assert_eq!(
        places(&made)[..2],
        [
            (Some(2), DutyKind::Basic, 1, "乙"),
            (Some(3), DutyKind::Cooperative, 1, "丙"),
        ]
    );
    assert_eq!(made.len(), 4);
}

#[test]
fn a_moved_duty_keeps_its_lineage_and_loses_the_columns_its_new_table_lacks() {
    let draft = Draft {
        kind: Some(Table::Reclaimed),
        working_method: Some("县A局承接".to_owned()),
        ..Draft::default()
    };
    let made = apply(&edition(), &[change(1, Operation::Move, Some(4), draft)]).unwrap();
    let moved = made.iter().find(|d| d.lineage == Some(4)).unwrap();
    assert_eq!(
        moved.version.place,
        Place {
            kind: DutyKind::Reclaimed,
            seq: 2
        }
    );
    assert_eq!(moved.version.departments, ["县A局", "县B局"]);
    assert_eq!(moved.version.working_method.as_deref(), Some("县A局承接"));
    assert!(moved.version.items.is_empty());
    let cooperative: Vec<_> = made
        .iter()
        .filter(|d| d.version.place.kind == DutyKind::Cooperative)
        .map(|d| (d.lineage, d.version.place.seq))
        .collect();
    assert_eq!(cooperative, [(Some(3), 1)]);
}

#[test]
fn an_added_duty_takes_the_seq_it_asks_for_and_later_duties_move_down() {
    let draft = Draft {
        kind: Some(Table::Basic),
        seq: Some(1),
        category: Some("新类别".to_owned()),
        name: Some(" 新 事项 ".to_owned()),
        ..Draft::default()
    };
    let made = apply(&edition(), &[change(1, Operation::Add, None, draft)]).unwrap();
    assert_eq!(
        places(&made)[..3],
        [
            (None, DutyKind::Basic, 1, "新事项"),
            (Some(1), DutyKind::Basic, 2, "甲"),
            (Some(2), DutyKind::Basic, 3, "乙"),
        ]
    );
}

#[test]
fn a_seq_past_the_end_of_its_table_is_refused_naming_the_field() {
    let draft = Draft {
        kind: Some(Table::Basic),
        seq: Some(4),
        category: Some("类别".to_owned()),
        name: Some("新".to_owned()),
        ..Draft::default()
    };
    let error = apply(&edition(), &[change(7, Operation::Add, None, draft)]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "adjustment 7: duty.seq: the 基本履职事项 table takes 序号 1 to 3"
    );
}

#[test]
fn a_second_duty_of_the_same_name_in_a_table_is_refused() {
    let draft = Draft {
        kind: Some(Table::Basic),
        category: Some("类别".to_owned()),
        name: Some("甲".to_owned()),
        ..Draft::default()
    };
    let error = apply(&edition(), &[change(1, Operation::Add, None, draft)]).unwrap_err();
    assert!(error.to_string().contains("duty.name"), "{error}");
}

#[test]
fn each_table_holds_a_duty_to_its_own_columns() {
    let basic_with_departments = Draft {
        kind: Some(Table::Basic),
        category: Some("类别".to_owned()),
        name: Some("新".to_owned()),
        departments: Some(vec!["县A局".to_owned()]),
        ..Draft::default()
    };
    let error = revise(Operation::Add, &basic_with_departments, None).unwrap_err();
    assert_eq!(error.field, "duty.departments");
    let cooperative_without = Draft {
        kind: Some(Table::Cooperative),
        category: Some("类别".to_owned()),
        name: Some("新".to_owned()),
        ..Draft::default()
    };
    let error = revise(Operation::Add, &cooperative_without, None).unwrap_err();
    assert_eq!(error.field, "duty.departments");
    let nameless = Draft {
        kind: Some(Table::Basic),
        category: Some("类别".to_owned()),
        name: Some("  ".to_owned()),
        ..Draft::default()
    };
    assert_eq!(
        revise(Operation::Add, &nameless, None).unwrap_err().field,
        "duty.name"
    );
}

#[test]
fn an_item_without_text_is_refused_naming_its_place() {
    let target = duty(DutyKind::Cooperative, 1, "丙", &["县A局"]);
    let draft = Draft {
        town_items: Some(vec![
            ItemDraft {
                text: "第一项".to_owned(),
                ..ItemDraft::default()
            },
            ItemDraft {
                text: " ；".to_owned(),
                ..ItemDraft::default()
            },
        ]),
        ..Draft::default()
    };
    let error = revise(Operation::Modify, &draft, Some(&target)).unwrap_err();
    assert_eq!(error.field, "duty.townItems[1].text");
}

#[test]
fn a_department_item_naming_no_department_goes_to_all_counterparts() {
    let target = duty(DutyKind::Cooperative, 2, "丁", &["县A局", "县B局"]);
    let draft = Draft {
        department_items: Some(vec![
            ItemDraft {
                text: "共同指导".to_owned(),
                ..ItemDraft::default()
            },
            ItemDraft {
                text: "B局负责".to_owned(),
                departments: vec!["县B局".to_owned()],
                ..ItemDraft::default()
            },
        ]),
        ..Draft::default()
    };
    let revised = revise(Operation::Modify, &draft, Some(&target)).unwrap();
    let attributed: Vec<_> = revised
        .items
        .iter()
        .map(|i| (i.party, i.departments.clone()))
        .collect();
    assert_eq!(
        attributed,
        [
            (
                Party::Department,
                vec!["县A局".to_owned(), "县B局".to_owned()]
            ),
            (Party::Department, vec!["县B局".to_owned()]),
            (Party::Town, vec![]),
        ]
    );
    let stranger = Draft {
        department_items: Some(vec![ItemDraft {
            text: "C局负责".to_owned(),
            departments: vec!["县C局".to_owned()],
            ..ItemDraft::default()
        }]),
        ..Draft::default()
    };
    let error = revise(Operation::Modify, &stranger, Some(&target)).unwrap_err();
    assert_eq!(error.field, "duty.departmentItems[0].departments");
}

#[test]
fn a_modify_may_not_move_renumber_or_change_nothing() {
    let target = duty(DutyKind::Basic, 1, "甲", &[]);
    let renumbering = Draft {
        seq: Some(2),
        ..Draft::default()
    };
    assert_eq!(
        revise(Operation::Modify, &renumbering, Some(&target))
            .unwrap_err()
            .field,
        "duty.seq"
    );
    let moving = Draft {
        kind: Some(Table::Cooperative),
        ..Draft::default()
    };
    assert_eq!(
        revise(Operation::Modify, &moving, Some(&target))
            .unwrap_err()
            .field,
        "duty.kind"
    );
    assert_eq!(
        revise(Operation::Modify, &Draft::default(), Some(&target))
            .unwrap_err()
            .field,
        "duty"
    );
}

#[test]
fn a_request_whose_duty_an_earlier_one_removed_cannot_apply() {
    let rename = Draft {
        name: Some("甲改".to_owned()),
        ..Draft::default()
    };
    let error = apply(
        &edition(),
        &[
            change(1, Operation::Remove, Some(1), Draft::default()),
            change(2, Operation::Modify, Some(1), rename),
        ],
    )
    .unwrap_err();
    assert_eq!(error, ApplyError::Missing { id: 2 });
}

fn reform(predecessors: &[&str], successors: &[(&str, &[i32])]) -> Reform {
    Reform {
        predecessors: predecessors.iter().map(|p| p.to_string()).collect(),
        successors: successors
            .iter()
            .map(|(name, lineages)| Successor {
                name: name.to_string(),
                lineages: lineages.to_vec(),
                ..Successor::default()
            })
            .collect(),
    }
}

#[test]
fn a_merge_names_its_successor_once_where_a_duty_named_several_predecessors() {
    let mut duties = edition();
    let merge = reform(&["县A局", "县B局"], &[("县AB局", &[])]);
    check_reform(Operation::MergeDepartments, &merge).unwrap();
    reform_duties(&mut duties, &merge).unwrap();
    let both = &duties[3].version;
    assert_eq!(both.departments, ["县AB局"]);
    assert_eq!(both.items[0].departments, ["县AB局"]);
    assert_eq!(duties[4].version.departments, ["县AB局"]);
    assert_eq!(duties[0].version.departments, Vec::<String>::new());
}

#[test]
fn a_split_gives_each_duty_to_the_successors_that_take_it_and_refuses_a_duty_none_takes() {
    let split = reform(&["县B局"], &[("县B一局", &[4]), ("县B二局", &[4, 5])]);
    check_reform(Operation::SplitDepartment, &split).unwrap();
    let mut duties = edition();
    reform_duties(&mut duties, &split).unwrap();
    assert_eq!(
        duties[3].version.departments,
        ["县A局", "县B一局", "县B二局"]
    );
    assert_eq!(duties[4].version.departments, ["县B二局"]);
    let partial = reform(&["县B局"], &[("县B一局", &[4]), ("县B二局", &[4])]);
    let error = reform_duties(&mut edition(), &partial).unwrap_err();
    assert!(
        error.message.starts_with("收回 1 「戊」 names 县B局"),
        "{error}"
    );
    assert_eq!(
        check_reform(Operation::RenameDepartment, &split)
            .unwrap_err()
            .field,
        "reform"
    );
}
