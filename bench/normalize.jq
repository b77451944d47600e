# Canonical forms of the benchmark's answers, for bench/run.sh's equality check.
#
# Each question has one function per server; both turn a response into the same
# shape (integer database keys, names, texts, lists in the order the API promises)
# so the two canonical documents must be byte-identical (jq -S -c).
#
# lvzhi's answers are taken as they come: only its opaque IDs are decoded, nothing
# is sorted or filtered, so its orderings are checked, not assumed. PostGraphile's
# generated schema can only order and filter a relation by the relation's own
# columns, so its answers are reshaped with keys it returns (the item position, the
# duty's list and 序号, the item party) — the work a PostGraphile client would do.
#
# Usage: jq -L bench 'include "normalize"; lvzhi_bureau'
#        jq -L bench --argjson dept 5 'include "normalize"; postgraphile_bureau($dept)'

# The database key inside an lvzhi ID (base64url of `Type:key`, no padding).
def lvzhi_key($type):
  if . == null then null
  else
    (gsub("-"; "+") | gsub("_"; "/")) as $b
    | ($b + ("=" * ((4 - ($b | length) % 4) % 4))) | @base64d | split(":")
    | if length == 2 and .[0] == $type then (.[1] | tonumber)
      else error("not an lvzhi \($type) ID: \(.)") end
  end;

def items: [.[] | {section, text}];

# A response with errors or without data has no canonical form.
def answer: if .errors != null or .data == null then error("the response has errors or no data: \(tostring | .[0:500])") else .data end;

# --- Floor: { __typename } -----------------------------------------------------
def lvzhi_floor: answer;
def postgraphile_floor: answer;

# --- Bureau: a department, its cooperations and reclaimed duties --------------------
def lvzhi_bureau:
  answer.department
  | {
      id: (.id | lvzhi_key("Department")),
      name,
      aliases,
      cooperationCount,
      reclaimedCount,
      cooperations: [.cooperations[] | {
        duty: {id: (.duty.id | lvzhi_key("Duty")), seq: .duty.seq, name: .duty.name, category: .duty.category.name},
        departmentItems: (.departmentItems | items),
        townItems: (.townItems | items),
        partners: [.partners[].name]
      }],
      reclaimedDuties: [.reclaimedDuties[] | {seq, name, workingMethod}]
    };

def postgraphile_bureau($dept):
  answer.department as $d
  | if $d == null or $d.id != $dept then error("PostGraphile returned no department \($dept)") else . end
  | [$d.dutyDepartments.nodes[].duty] as $duties
  | [$d.itemDepartments.nodes[].item | select(.party == "DEPARTMENT")] as $items
  | ($duties | map(select(.kind == "COOPERATIVE")) | sort_by(.listId, .seq)) as $coops
  | ($duties | map(select(.kind == "RECLAIMED")) | sort_by(.listId, .seq)) as $reclaimed
  | {
      id: $d.id,
      name: $d.name,
      aliases: ([$d.departmentAliases.nodes[].alias] | sort),
      cooperationCount: ($coops | length),
      reclaimedCount: ($reclaimed | length),
      cooperations: [$coops[] | . as $duty | {
        duty: {id, seq, name, category: .category.name},
        departmentItems: ($items | map(select(.dutyId == $duty.id)) | sort_by(.position) | items),
        townItems: (.townItems.nodes | items),
        partners: [.dutyDepartments.nodes[] | select(.departmentId != $dept) | .department.name]
      }],
      reclaimedDuties: [$reclaimed[] | {seq, name, workingMethod}]
    };

# --- BureauList: the same for one list ---------------------------------------------------
# lvzhi: cooperations(listId:) and reclaimedDuties(listId:), without cooperationCount and
# reclaimedCount (they count all lists). PostGraphile: the list's cooperative and
# reclaimed duties, each with its link to the department (`link`, empty unless the
# duty is the department's) and the duty through that link; the department's items
# are those whose attribution to it (`mine`) exists. Both lists come ordered by 序号.
def lvzhi_bureau_list:
  lvzhi_bureau | del(.cooperationCount, .reclaimedCount);

def postgraphile_bureau_list($dept):
  answer as $a
  | $a.department as $d
  | if $d == null or $d.id != $dept then error("PostGraphile returned no department \($dept)")
    elif $a.dutyList == null then error("PostGraphile returned no list")
    else . end
  | {
      id: $d.id,
      name: $d.name,
      aliases: ([$d.departmentAliases.nodes[].alias] | sort),
      cooperations: [$a.dutyList.cooperations.nodes[].link.nodes[].duty | {
        duty: {id, seq, name, category: .category.name},
        departmentItems: [.departmentItems.nodes[] | select(.mine.totalCount > 0) | {section, text}],
        townItems: (.townItems.nodes | items),
        partners: [.dutyDepartments.nodes[] | select(.departmentId != $dept) | .department.name]
      }],
      reclaimedDuties: [$a.dutyList.reclaimed.nodes[].link.nodes[].duty | {seq, name, workingMethod}]
    };

# A canonical form without its database keys (`id`), which depend on what was imported
# and in which order: the digest bench/run.sh compares across runs.
def without_keys: walk(if type == "object" then del(.id) else . end);

# --- Page: a page of duties of one list ---------------------------------------------
def lvzhi_page:
  answer.duties
  | {
      totalCount,
      hasNextPage: .pageInfo.hasNextPage,
      nodes: [.nodes[] | {id: (.id | lvzhi_key("Duty")), seq, name, kind, category: .category.name,
                          departments: [.departments[].name]}]
    };

def postgraphile_page:
  answer.duties
  | {
      totalCount,
      hasNextPage: .pageInfo.hasNextPage,
      nodes: [.nodes[] | {id, seq, name, kind, category: .category.name,
                          departments: [.dutyDepartments.nodes[].department.name]}]
    };

# --- Duty: one duty with all its items -------------------------------------------------
def lvzhi_duty:
  answer.duty
  | {
      id: (.id | lvzhi_key("Duty")), kind, seq, name, workingMethod,
      category: .category.name,
      departments: [.departments[].name],
      departmentItems: [.departmentItems[] | {section, text, departments: [.departments[].name]}],
      townItems: (.townItems | items)
    };

def postgraphile_duty:
  answer.duty
  | {
      id, kind, seq, name, workingMethod,
      category: .category.name,
      departments: [.dutyDepartments.nodes[].department.name],
      departmentItems: [.departmentItems.nodes[] | {section, text,
                        departments: [.itemDepartmentsByItemId.nodes[].department.name]}],
      townItems: (.townItems.nodes | items)
    };
