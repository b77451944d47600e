// lvzhi's GraphQL API, as the dashboard uses it: one POST per question, the
// endpoint and the export files at URLs relative to the page (so the dashboard
// works behind a proxy that serves lvzhi under a prefix), and answers kept for
// the page's lifetime — the data changes only when a list is imported again.

const ENDPOINT = new URL('graphql', document.baseURI).href;

/** An error the API answered with; `code` is its `extensions.code`. */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const answers = new Map();

/** Run `query` with `variables`; the `data`, or an ApiError. Repeats are answered from memory. */
export function gql(query, variables = {}) {
  const key = JSON.stringify([query, variables]);
  if (!answers.has(key)) {
    const answer = post(query, variables);
    answers.set(key, answer);
    answer.catch(() => answers.delete(key));
  }
  return answers.get(key);
}

async function post(query, variables) {
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new ApiError(`无法连接服务器：${e.message}`, 'NETWORK');
  }
  const body = await response.json().catch(() => null);
  const error = body && body.errors && body.errors[0];
  if (error) throw new ApiError(error.message, error.extensions && error.extensions.code);
  if (!response.ok || !body) throw new ApiError(`服务器返回 ${response.status}`, 'HTTP');
  return body.data;
}

/** URL of a list's workbook (`xlsx` or `csv`). */
export function listFile(listId, ext = 'xlsx') {
  return `export/${encodeURIComponent(listId)}.${ext}`;
}

/** URL of one department's workbook for a list. */
export function departmentFile(listId, departmentId) {
  return `export/${encodeURIComponent(listId)}/departments/${encodeURIComponent(departmentId)}.xlsx`;
}

export const LISTS = `query DashboardLists {
  dutyLists { id title town county prefecture region publishedOn }
}`;

export const OVERVIEW = `query DashboardOverview($list: ID!) {
  dutyList(id: $list) {
    id title town county prefecture region publishedOn
    summary { kind dutyCount categoryCount departmentCount
              statedDutyCount statedCategoryCount statedDepartmentCount }
  }
  townWorkload(listId: $list) { category { name } basicDuties cooperativeDuties townItems }
  departmentWorkloads(listId: $list) {
    department { id name shortName }
    cooperativeDuties reclaimedDuties departmentItems townItems townShare
  }
}`;

export const DEPARTMENT = `query DashboardDepartment($id: ID!, $list: ID!) {
  department(id: $id) {
    id name shortName county aliases
    cooperations(listId: $list) {
      duty { id seq name category { name } }
      departmentItems { id section text }
      townItems { id section text }
      partners { id name shortName }
    }
    reclaimedDuties(listId: $list) {
      id seq name category { name } workingMethod departments { id shortName }
    }
  }
}`;

export const DUTY = `query DashboardDuty($id: ID!) {
  duty(id: $id) {
    id kind seq name category { name } list { id }
    departments { id name shortName }
    departmentItems { id section text departments { id shortName } }
    townItems { id section text }
    workingMethod
  }
}`;

export const NETWORK = `query DashboardNetwork($list: ID!) {
  departmentNetwork(listId: $list) {
    nodes { weight department { id name shortName } }
    edges { weight dutyIds source { id } target { id } }
  }
}`;

export const COOPERATIVE_DUTIES = `query DashboardCooperativeDuties($list: ID!, $after: String) {
  duties(filter: { listId: $list, kind: COOPERATIVE }, first: 100, after: $after) {
    nodes { id seq name }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const SEARCH = `query DashboardSearch($q: String!, $list: ID!, $after: String) {
  search(query: $q, filter: { listId: $list }, first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      duty { id kind seq name category { name } }
      matchedIn departments { id shortName } text highlights { start length }
    }
  }
}`;

/** Every cooperative duty of a list, page by page: id → { seq, name }. */
export async function cooperativeDuties(listId) {
  const byId = new Map();
  let after = null;
  do {
    const { duties } = await gql(COOPERATIVE_DUTIES, { list: listId, after });
    for (const d of duties.nodes) byId.set(d.id, d);
    after = duties.pageInfo.hasNextPage ? duties.pageInfo.endCursor : null;
  } while (after);
  return byId;
}
