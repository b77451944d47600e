// The dashboard's pages. Each view takes the route's context, asks the API what
// it needs, and returns { title, node } for app.js to put on the page.

import {
  gql, listFile, departmentFile, cooperativeDuties,
  OVERVIEW, DEPARTMENT, DUTY, NETWORK, SEARCH,
} from './api.js';
import { h, replace } from './dom.js';
import { to } from './routes.js';
import { groupedBars, splitBars } from './charts.js';
import { networkChart } from './network.js';

export const KIND = {
  BASIC: '基本履职事项',
  COOPERATIVE: '配合履职事项',
  RECLAIMED: '上级部门收回事项',
};
const KIND_SHORT = { BASIC: '基本', COOPERATIVE: '配合', RECLAIMED: '收回' };
const MATCHED_IN = {
  NAME: '事项名称',
  DEPARTMENT_ITEM: '上级部门职责',
  TOWN_ITEM: '乡镇（街道）配合职责',
  WORKING_METHOD: '工作方式',
};

const section = (title, ...children) => h('section', { class: 'panel' }, h('h2', {}, title), children);

/* ---------- 概览: the list, its counts, the town's and departments' work ---------- */

export async function overview({ listId }) {
  const data = await gql(OVERVIEW, { list: listId });
  const list = data.dutyList;
  if (!list) return notFound('清单');
  return {
    title: list.title,
    node: h('div', { class: 'overview' },
      listHeader(list),
      h('div', { class: 'cards' }, list.summary.map(summaryCard)),
      h('div', { class: 'columns' },
        townWorkload(data.townWorkload),
        departmentRanking(listId, data.departmentWorkloads))),
  };
}

function listHeader(list) {
  const where = [list.region, list.prefecture, list.county, list.town].filter(Boolean).join(' · ');
  return h('div', { class: 'page-head' },
    h('div', {},
      h('h1', {}, list.title),
      h('p', { class: 'meta' }, `${where} · ${list.publishedOn} 发布`)),
    h('div', { class: 'downloads' },
      h('a', { class: 'button', href: listFile(list.id, 'xlsx'), download: '', id: 'download-list' }, '下载清单 (XLSX)'),
      h('a', { class: 'button secondary', href: listFile(list.id, 'csv'), download: '' }, 'CSV')));
}

/** One table's counts beside what the preamble states; a mismatch is marked in words. */
function summaryCard(k) {
  const stated = (have, want) => {
    if (want === null || want === undefined) return h('span', { class: 'stated' }, '说明未列');
    return have === want
      ? h('span', { class: 'stated ok' }, `✓ 说明所列 ${want}`)
      : h('span', { class: 'stated bad' }, `✗ 说明所列 ${want}`);
  };
  const row = (label, have, want) => h('tr', {}, h('th', {}, label), h('td', {}, have), h('td', {}, stated(have, want)));
  return h('div', { class: `card kind-${k.kind.toLowerCase()}` },
    h('h3', {}, KIND[k.kind]),
    h('div', { class: 'card-body' },
      h('p', { class: 'big' }, h('strong', {}, k.dutyCount), ' 项'),
      h('table', { class: 'counts' },
        h('tbody', {},
          row('事项', k.dutyCount, k.statedDutyCount),
          row('类别', k.categoryCount, k.statedCategoryCount),
          k.kind === 'BASIC' ? null : row('部门', k.departmentCount, k.statedDepartmentCount)))));
}

function townWorkload(rows) {
  const chart = groupedBars({
    caption: '乡镇各类别的基本履职事项和配合履职事项数',
    series: ['基本履职事项', '配合履职事项'],
    rows: rows.map((r) => ({
      label: r.category ? r.category.name : '（无类别）',
      title: `乡镇在配合事项中的职责条目：${r.townItems}`,
      values: [r.basicDuties, r.cooperativeDuties],
    })),
  });
  const items = rows.reduce((n, r) => n + r.townItems, 0);
  return section('乡镇各类别工作量',
    h('p', { class: 'note' }, `每个类别的事项数；乡镇在配合事项中共承担 ${items} 条职责（悬停条形可见各类别条目数）。`),
    chart);
}

/** How the ranking can be ordered: label, sort key, the chart it draws. */
const RANKINGS = {
  cooperative: { label: '配合事项', key: (w) => w.cooperativeDuties },
  reclaimed: { label: '收回事项', key: (w) => w.reclaimedDuties },
  share: { label: '乡镇承担比例', key: (w) => w.townShare },
  items: { label: '职责条目', key: (w) => w.departmentItems + w.townItems },
};
const TOP = 15;

function departmentRanking(listId, workloads) {
  let order = 'cooperative';
  let all = false;
  const holder = h('div', {});
  const buttons = h('div', { class: 'sort', role: 'group', 'aria-label': '排序' }, '排序：');
  const more = h('button', { type: 'button', class: 'link', id: 'ranking-more' });
  const draw = () => {
    const rank = RANKINGS[order];
    const sorted = workloads
      .filter((w) => w.department)
      .slice()
      .sort((a, b) => rank.key(b) - rank.key(a) || a.department.name.localeCompare(b.department.name, 'zh'));
    const shown = all ? sorted : sorted.slice(0, TOP);
    replace(holder, rankingChart(listId, order, shown));
    for (const b of buttons.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.order === order));
    more.hidden = sorted.length <= TOP;
    more.textContent = all ? `只看前 ${TOP} 个` : `显示全部 ${sorted.length} 个部门`;
  };
  for (const [key, r] of Object.entries(RANKINGS)) {
    buttons.append(h('button', { type: 'button', dataset: { order: key }, onclick: () => { order = key; draw(); } }, r.label));
  }
  more.addEventListener('click', () => { all = !all; draw(); });
  draw();
  return section('部门排名', buttons, holder, more,
    h('p', { class: 'note' }, '乡镇承担比例：部门配合事项中乡镇职责条目占全部职责条目的比例。点击部门名称查看详情。'));
}

function rankingChart(listId, order, rows) {
  const base = (w) => ({
    label: w.department.shortName,
    title: w.department.name,
    href: to.department(listId, w.department.id),
  });
  if (order === 'share' || order === 'items') {
    return splitBars({
      caption: '各部门配合事项中部门与乡镇的职责条目',
      series: ['部门职责条目', '乡镇职责条目（右侧为乡镇占比）'],
      rows: rows.map((w) => ({ ...base(w), a: w.departmentItems, b: w.townItems })),
    });
  }
  const pick = order === 'cooperative' ? (w) => w.cooperativeDuties : (w) => w.reclaimedDuties;
  return groupedBars({
    caption: `各部门${RANKINGS[order].label}数`,
    series: [RANKINGS[order].label],
    rows: rows.map((w) => ({ ...base(w), values: [pick(w)] })),
  });
}

/* ---------- 部门: cooperations side by side, partners, reclaimed duties ---------- */

export async function department({ listId, id }) {
  const { department: d } = await gql(DEPARTMENT, { id, list: listId });
  if (!d) return notFound('部门');
  return {
    title: d.name,
    node: h('div', { class: 'department' },
      h('div', { class: 'page-head' },
        h('div', {},
          h('p', { class: 'crumbs' }, h('a', { href: to.list(listId) }, '概览'), ' › 部门'),
          h('h1', {}, d.name, ' ', h('small', {}, d.shortName)),
          h('p', { class: 'meta' }, `${d.county} · 本清单中配合事项 ${d.cooperations.length} 项，收回事项 ${d.reclaimedDuties.length} 项`)),
        h('div', { class: 'downloads' },
          h('a', { class: 'button', href: departmentFile(listId, d.id), download: '', id: 'download-department' }, '下载部门工作簿 (XLSX)'))),
      d.aliases.length ? h('p', { class: 'aliases' }, '又称：', d.aliases.join('、')) : null,
      partners(listId, d.cooperations),
      section(`配合事项（${d.cooperations.length}）`,
        d.cooperations.length
          ? d.cooperations.map((c) => cooperation(listId, c))
          : h('p', { class: 'empty' }, '本清单中没有该部门的配合事项。')),
      section(`收回事项（${d.reclaimedDuties.length}）`, reclaimed(listId, d.reclaimedDuties))),
  };
}

/** The departments this one shares most duties with. */
function partners(listId, cooperations) {
  const count = new Map();
  for (const c of cooperations) {
    for (const p of c.partners) {
      const seen = count.get(p.id) || { p, n: 0 };
      seen.n += 1;
      count.set(p.id, seen);
    }
  }
  const ranked = [...count.values()].sort((a, b) => b.n - a.n || a.p.name.localeCompare(b.p.name, 'zh'));
  if (!ranked.length) return null;
  return h('p', { class: 'partners' }, '共同配合的部门：',
    ranked.map(({ p, n }) => h('a', { class: 'chip', href: to.department(listId, p.id), title: p.name }, `${p.shortName} ×${n}`)));
}

/** Items under their section headings, numbered as in the list. */
function items(list, attribution) {
  const out = h('div', { class: 'items' });
  let current;
  let ol;
  for (const item of list) {
    if (!ol || item.section !== current) {
      current = item.section;
      if (current) out.append(h('h5', { class: 'item-section' }, current));
      ol = h('ol', {});
      out.append(ol);
    }
    ol.append(h('li', {}, item.text, attribution ? attribution(item) : null));
  }
  if (!list.length) out.append(h('p', { class: 'empty' }, '（无）'));
  return out;
}

function dutyTitle(listId, kind, duty) {
  return h('a', { href: to.duty(listId, duty.id), class: 'duty-link' },
    h('span', { class: `tag kind-${kind.toLowerCase()}` }, `${KIND_SHORT[kind]} ${duty.seq}`), ' ', duty.name);
}

function cooperation(listId, c) {
  return h('article', { class: 'cooperation' },
    h('h3', {}, dutyTitle(listId, 'COOPERATIVE', c.duty), ' ', h('span', { class: 'category' }, c.duty.category.name)),
    h('div', { class: 'split' },
      h('div', { class: 'side dept' }, h('h4', {}, '本部门职责'), items(c.departmentItems)),
      h('div', { class: 'side town' }, h('h4', {}, '乡镇（街道）配合职责'), items(c.townItems))),
    c.partners.length
      ? h('p', { class: 'partners small' }, '共同配合：',
        c.partners.map((p) => h('a', { class: 'chip', href: to.department(listId, p.id), title: p.name }, p.shortName)))
      : null);
}

function reclaimed(listId, duties) {
  if (!duties.length) return h('p', { class: 'empty' }, '本清单中没有由该部门收回的事项。');
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, ['序号', '事项名称', '类别', '工作方式', '承接部门'].map((t) => h('th', {}, t)))),
    h('tbody', {}, duties.map((d) => h('tr', {},
      h('td', { class: 'num' }, d.seq),
      h('td', {}, h('a', { href: to.duty(listId, d.id) }, d.name)),
      h('td', {}, d.category.name),
      h('td', { class: 'method' }, d.workingMethod || ''),
      h('td', {}, d.departments.map((p) => h('a', { class: 'chip', href: to.department(listId, p.id) }, p.shortName)))))));
}

/* ---------- 事项: one duty, both columns with their attributions ---------- */

export async function duty({ listId, id }) {
  const { duty: d } = await gql(DUTY, { id });
  if (!d) return notFound('事项');
  const deptLink = (p) => h('a', { class: 'chip', href: to.department(listId, p.id), title: p.name }, p.shortName);
  const body = [];
  if (d.kind === 'COOPERATIVE') {
    body.push(h('div', { class: 'split' },
      h('div', { class: 'side dept' }, h('h4', {}, '上级部门职责'),
        items(d.departmentItems, (item) => h('span', { class: 'by' }, item.departments.map(deptLink)))),
      h('div', { class: 'side town' }, h('h4', {}, '乡镇（街道）配合职责'), items(d.townItems))));
  }
  if (d.kind === 'RECLAIMED') {
    body.push(h('div', { class: 'panel' }, h('h4', {}, '工作方式'), h('p', { class: 'method' }, d.workingMethod || '')));
  }
  return {
    title: d.name,
    node: h('div', { class: 'duty' },
      h('p', { class: 'crumbs' }, h('a', { href: to.list(listId) }, '概览'), ` › ${KIND[d.kind]}`),
      h('h1', {}, h('span', { class: `tag kind-${d.kind.toLowerCase()}` }, `${KIND_SHORT[d.kind]} ${d.seq}`), ' ', d.name),
      h('p', { class: 'meta' }, `类别：${d.category.name}`),
      d.departments.length
        ? h('p', { class: 'partners' }, d.kind === 'RECLAIMED' ? '承接部门：' : '对应上级部门：', d.departments.map(deptLink))
        : null,
      body),
  };
}

/* ---------- 关系网络: departments and the duties they share ---------- */

export async function network({ listId }) {
  const { departmentNetwork: net } = await gql(NETWORK, { list: listId });
  const names = new Map(net.nodes.map((n) => [n.department.id, n.department]));
  const edges = net.edges
    .filter((e) => e.source && e.target)
    .map((e) => ({ ...e, label: `${names.get(e.source.id).shortName} — ${names.get(e.target.id).shortName}` }));
  const maxWeight = Math.max(1, ...edges.map((e) => e.weight));
  let min = Math.min(2, maxWeight);
  const holder = h('div', { class: 'network-holder' });
  const select = h('select', { id: 'network-min', onchange: () => { min = Number(select.value); draw(); } },
    Array.from({ length: maxWeight }, (_, i) => h('option', { value: i + 1, selected: i + 1 === min }, `≥ ${i + 1}`)));
  const draw = () => {
    const shown = edges.filter((e) => e.weight >= min)
      .map((e) => ({ ...e, labelled: e.weight >= Math.max(min, 4) }));
    replace(holder, networkChart({
      nodes: net.nodes.filter((n) => n.department),
      edges: shown,
      href: (id) => to.department(listId, id),
      caption: `部门关系网络：${net.nodes.length} 个部门，${shown.length} 条连线`,
    }));
  };
  draw();
  return {
    title: '部门关系网络',
    node: h('div', { class: 'network-page' },
      h('div', { class: 'page-head' }, h('div', {},
        h('h1', {}, '部门关系网络'),
        h('p', { class: 'meta' }, `${net.nodes.length} 个部门。两个部门同为某配合事项的对应上级部门即连线：线越宽，共享的事项越多（4 项及以上标出数字）；部门名称后的数字为其配合事项数。指向部门可只看它的连线，点击进入部门页。`))),
      h('div', { class: 'columns network-columns' },
        h('section', { class: 'panel' },
          h('label', { class: 'inline' }, '只显示共享事项数 ', select, ' 的连线'),
          holder),
        section('共享事项最多的部门', pairs(listId, edges, names)))),
  };
}

/** The heaviest pairs as a table; a pair opens to the duties it shares. */
function pairs(listId, edges, names) {
  const dept = (id) => h('a', { href: to.department(listId, id), title: names.get(id).name }, names.get(id).shortName);
  const rows = edges.slice(0, 20).map((e) => {
    const detail = h('td', { colspan: 3, class: 'shared' });
    const detailRow = h('tr', { hidden: true }, detail);
    const toggle = h('button', {
      type: 'button', class: 'link', 'aria-expanded': 'false',
      onclick: async () => {
        const open = detailRow.hidden;
        detailRow.hidden = !open;
        toggle.setAttribute('aria-expanded', String(open));
        if (open && !detail.childNodes.length) {
          const byId = await cooperativeDuties(listId);
          replace(detail, h('ul', {}, e.dutyIds.map((id) => {
            const d = byId.get(id);
            return h('li', {}, d ? h('a', { href: to.duty(listId, id) }, `配合 ${d.seq} ${d.name}`) : id);
          })));
        }
      },
    }, `${e.weight} 项`);
    return [h('tr', {}, h('td', {}, dept(e.source.id)), h('td', {}, dept(e.target.id)), h('td', { class: 'num' }, toggle)), detailRow];
  });
  return h('table', { class: 'grid pairs' },
    h('thead', {}, h('tr', {}, h('th', {}, '部门'), h('th', {}, '部门'), h('th', {}, '共享事项'))),
    h('tbody', {}, rows));
}

/* ---------- 搜索: hits with the matched words marked ---------- */

export async function search({ listId, query }) {
  const form = h('form', { class: 'search-page', role: 'search' },
    h('input', { type: 'search', name: 'q', value: query, placeholder: '输入词语，多个词用空格分开', 'aria-label': '搜索词' }),
    h('button', { type: 'submit' }, '搜索'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = form.elements.q.value.trim();
    if (q) location.hash = to.search(listId, q);
  });
  const results = h('div', { class: 'results' });
  if (query) await searchPage(listId, query, null, results);
  return {
    title: query ? `搜索：${query}` : '搜索',
    node: h('div', {}, h('h1', {}, '搜索'), form, results),
  };
}

async function searchPage(listId, query, after, results) {
  const { search: page } = await gql(SEARCH, { q: query, list: listId, after });
  if (!after) {
    results.append(h('p', { class: 'meta', id: 'search-count' },
      page.totalCount ? `共 ${page.totalCount} 处匹配` : '没有找到匹配的事项。'));
  }
  const list = results.querySelector('ol.hits') || results.appendChild(h('ol', { class: 'hits' }));
  for (const hit of page.nodes) list.append(searchHit(listId, hit));
  results.querySelector('.more')?.remove();
  if (page.pageInfo.hasNextPage) {
    const more = h('button', { type: 'button', class: 'more' }, '更多结果');
    more.addEventListener('click', () => searchPage(listId, query, page.pageInfo.endCursor, results));
    results.append(more);
  }
}

function searchHit(listId, hit) {
  return h('li', { class: 'hit' },
    h('h3', {}, dutyTitle(listId, hit.duty.kind, hit.duty), ' ', h('span', { class: 'category' }, hit.duty.category.name)),
    h('p', { class: 'where' }, `匹配：${MATCHED_IN[hit.matchedIn]}`,
      hit.departments.length ? ['（', hit.departments.map((d) => d.shortName).join('、'), '）'] : null),
    h('p', { class: 'snippet' }, highlighted(hit.text, hit.highlights)));
}

/** `text` around its first match, every match in <mark>. Offsets count characters. */
function highlighted(text, ranges) {
  const chars = Array.from(text);
  const first = ranges.length ? ranges[0].start : 0;
  const from = chars.length > 120 ? Math.max(0, first - 40) : 0;
  const to = Math.min(chars.length, from + 120);
  const out = [from > 0 ? '…' : null];
  let at = from;
  for (const r of ranges) {
    const start = Math.max(r.start, at);
    const end = Math.min(r.start + r.length, to);
    if (end <= start) continue;
    out.push(chars.slice(at, start).join(''), h('mark', {}, chars.slice(start, end).join('')));
    at = end;
  }
  out.push(chars.slice(at, to).join(''), to < chars.length ? '…' : null);
  return out;
}

function notFound(what) {
  return { title: `找不到${what}`, node: h('p', { class: 'error' }, `找不到该${what}：链接可能已失效。`) };
}

