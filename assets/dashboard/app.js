// The dashboard's shell: the list picker, the navigation and the router
// (URLs in routes.js, pages in views.js).
//
// When a page has rendered its data, <body> gets data-ready="{view}" and the
// first time the mark `lvzhi:interactive`: the browser test and
// bench/dashboard.sh measure the time to it.

import { gql, ApiError, LISTS } from './api.js';
import { h, replace } from './dom.js';
import { to, route } from './routes.js';

// The pages and their charts load while the first question is on its way.
const pages = import('./views.js');

const main = document.getElementById('main');
const county = document.getElementById('pick-county');
const town = document.getElementById('pick-town');
const edition = document.getElementById('pick-edition');
const nav = document.getElementById('nav');
const searchForm = document.getElementById('search-form');

let lists = [];
let rendering = 0;

/* ---------- the list picker: county, then town ---------- */

function counties() {
  return [...new Set(lists.map((l) => l.county))];
}

function fillTowns(countyName, listId) {
  replace(town, lists.filter((l) => l.county === countyName).map((l) =>
    // Lists have no editions yet: a town with lists of several months shows
    // each month as its own option.
    h('option', { value: l.id, selected: l.id === listId }, `${l.town}（${l.publishedOn}）`)));
}

function showPicker(list) {
  replace(county, counties().map((c) => h('option', { value: c, selected: c === list.county }, c)));
  fillTowns(list.county, list.id);
  // The place of the edition selector: once lists have editions, this becomes
  // a <select> of the town's editions. Until then it shows the month.
  replace(edition, `${list.publishedOn} 发布`);
}

county.addEventListener('change', () => {
  const first = lists.find((l) => l.county === county.value);
  if (first) location.hash = to.list(first.id);
});
town.addEventListener('change', () => {
  location.hash = to.list(town.value);
});

function showNav(r) {
  const links = [
    ['overview', '概览', to.list(r.listId)],
    ['network', '部门关系网络', to.network(r.listId)],
    ['search', '搜索', to.search(r.listId, '')],
  ];
  replace(nav, links.map(([view, label, href]) =>
    h('a', { href, 'aria-current': view === r.view ? 'page' : false }, label)));
  searchForm.elements.q.value = r.view === 'search' ? r.query : '';
}

searchForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const r = route();
  const q = searchForm.elements.q.value.trim();
  if (r && q) location.hash = to.search(r.listId, q);
});

/* ---------- rendering ---------- */

async function render() {
  const token = ++rendering;
  document.body.removeAttribute('data-ready');
  try {
    if (!lists.length) lists = (await gql(LISTS)).dutyLists;
    const views = await pages;
    if (!lists.length) return show(token, { title: '没有清单', node: h('p', { class: 'empty' }, '数据库中还没有清单：用 lvzhi import 导入。') }, 'empty');
    let r = route();
    let list = r && lists.find((l) => l.id === r.listId);
    if (!list) {
      // No list named (the bare `/`): the first one, rendered at once rather
      // than after another hashchange.
      history.replaceState(null, '', to.list(lists[0].id));
      r = route();
      list = lists[0];
    }
    showPicker(list);
    showNav(r);
    main.setAttribute('aria-busy', 'true');
    const page = await views[r.view](r);
    show(token, page, r.view);
  } catch (e) {
    const message = e instanceof ApiError ? `${e.message}（${e.code || '错误'}）` : String(e);
    show(token, { title: '出错了', node: h('p', { class: 'error', role: 'alert' }, `加载失败：${message}`) }, 'error');
  }
}

/** Put a rendered page on screen, unless a later navigation has overtaken it. */
function show(token, page, view) {
  if (token !== rendering) return;
  replace(main, page.node);
  main.removeAttribute('aria-busy');
  document.title = `${page.title} · 履职事项清单`;
  if (!location.hash.includes('/search/')) window.scrollTo(0, 0);
  document.body.dataset.ready = view;
  if (!performance.getEntriesByName('lvzhi:interactive').length) performance.mark('lvzhi:interactive');
}

window.addEventListener('hashchange', render);
render();
