// lvzhi in a real browser: headless Chromium opens GraphiQL and runs a query,
// then walks the dashboard (list → department → cooperation → network →
// search → download), with every host but this machine blocked.
//
// Fails on any console error, page error, failed or 4xx/5xx request, and on
// any request to another host. Writes a screenshot of each step to the
// artefacts directory, and prints a JSON summary with the time from navigation
// start to the dashboard's first page being interactive (the `lvzhi:interactive`
// mark, set when the first page has rendered its data).
//
// Usage: node run.mjs BASE_URL [ARTEFACTS_DIR]   (run.sh starts lvzhi for it)
// Environment: CHROMIUM (default /usr/bin/chromium); LVZHI_INTERACTIVE_BUDGET_MS
// fails the run when the first page takes longer; LVZHI_BROWSER_RUNS=N loads the
// first page N times (fresh browser context each time) and reports every timing.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = new URL(process.argv[2] || 'http://127.0.0.1:8000/');
const artefacts = process.argv[3] || 'browser-artifacts';
const budget = Number(process.env.LVZHI_INTERACTIVE_BUDGET_MS || 0);
const runs = Number(process.env.LVZHI_BROWSER_RUNS || 1);
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

if (!LOCAL_HOSTS.has(base.hostname)) throw new Error(`${base} is not on this machine`);
await mkdir(artefacts, { recursive: true });

// Chromium's own traffic (updates, sync, safe browsing…) off; every host name
// but localhost resolves to nothing, so even a request page.route cannot see
// goes nowhere. A fresh profile comes with each launch.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-domain-reliability', '--no-pings',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  ],
});

const problems = [];
const blocked = [];
let shot = 0;

/** A browser context at 1366×768 that blocks and records other hosts and fails on errors. */
async function openContext() {
  const context = await browser.newContext({
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    acceptDownloads: true,
    serviceWorkers: 'block',
  });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && !LOCAL_HOSTS.has(url.hostname)) {
      blocked.push(url.href);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (!['http:', 'https:', 'data:', 'blob:'].includes(url.protocol) || (url.host && !LOCAL_HOSTS.has(url.hostname))) {
      blocked.push(url.href);
    }
  });
  const page = await context.newPage();
  current = page;
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const failure = r.failure()?.errorText || '';
    // A download ends its navigation with ERR_ABORTED; blocked hosts are recorded above.
    if (!failure.includes('ERR_ABORTED') && !failure.includes('BLOCKED_BY_CLIENT')) {
      problems.push(`request failed: ${r.url()} ${failure}`);
    }
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { context, page };
}

async function screenshot(page, name) {
  const file = join(artefacts, `${String(++shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Wait until the dashboard has rendered `view` with its data. */
async function ready(page, view) {
  await page.waitForSelector(`body[data-ready="${view}"]`, { timeout: 15000 });
  const error = await page.$('main .error');
  if (error) throw new Error(`the ${view} page shows an error: ${await error.textContent()}`);
}

/**
 * Poll `fn(arg)` in the page until it is true. (page.waitForFunction compiles
 * its predicate with eval, which the pages' Content-Security-Policy refuses;
 * page.evaluate is not subject to it.)
 */
async function until(page, fn, arg, timeout = 15000) {
  const end = Date.now() + timeout;
  while (!(await page.evaluate(fn, arg))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await page.waitForTimeout(50);
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const steps = [];
let current = null;
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    steps.push({ step: name, ms: Date.now() - started });
    console.error(`ok   ${name}`);
  } catch (e) {
    console.error(`FAIL ${name}: ${e.message}`);
    if (current) await screenshot(current, 'failed').catch(() => {});
    throw e;
  }
}

/** GraphiQL: set a query in the editor, run it, read the answer, open the docs. */
async function graphiql(page) {
  await page.goto(new URL('graphql', base).href);
  await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 15000 });
  await page.evaluate(() => {
    document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(
      '{ dutyLists { town county publishedOn summary { kind dutyCount statedDutyCount } } }');
  });
  await page.click('.graphiql-execute-button');
  await until(page, () => {
    const cm = document.querySelector('.result-window .CodeMirror');
    return cm && cm.CodeMirror.getValue().includes('乌恰镇');
  });
  const answer = await page.evaluate(() =>
    JSON.parse(document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()));
  check(answer.data.dutyLists.some((l) => l.town === '乌恰镇'), `unexpected answer ${JSON.stringify(answer)}`);
  // The documentation explorer reads the schema by introspection.
  await page.click('button[aria-label="Show Documentation Explorer"]');
  await until(page, () => document.querySelector('.graphiql-plugin')?.textContent.includes('query: Query'));
  await screenshot(page, 'graphiql');
}

/**
 * Load the dashboard's first page: milliseconds from navigation start to the
 * page being interactive (its data rendered, its handlers attached), to
 * DOMContentLoaded, and the requests and bytes it took.
 */
async function firstPage(page) {
  await page.goto(base.href);
  await ready(page, 'overview');
  return page.evaluate(() => {
    const [nav] = performance.getEntriesByType('navigation');
    const resources = performance.getEntriesByType('resource');
    return {
      interactiveMs: Math.round(performance.getEntriesByName('lvzhi:interactive')[0].startTime),
      domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
      requests: resources.length + 1,
      bytes: resources.reduce((n, r) => n + r.encodedBodySize, nav.encodedBodySize),
    };
  });
}

/** Download by clicking `selector`: the file must be an XLSX workbook, served with 200. */
async function download(page, selector) {
  const href = await page.$eval(selector, (a) => a.href);
  const response = await page.request.get(href);
  check(response.status() === 200, `${href}: status ${response.status()}`);
  check(response.headers()['content-type'] === XLSX, `${href}: ${response.headers()['content-type']}`);
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  check(!(await file.failure()), `${href}: download failed: ${await file.failure()}`);
  const bytes = await readFile(await file.path());
  check(bytes.subarray(0, 2).toString() === 'PK' && bytes.length > 1000, `${href}: not an XLSX workbook`);
  return { href: new URL(href).pathname, bytes: bytes.length };
}

async function dashboard(page) {
  const summary = {};
  await step('dashboard: the first page shows the list', async () => {
    summary.firstPage = await firstPage(page);
    const cards = await page.$$eval('.card h3', (hs) => hs.map((x) => x.textContent));
    check(cards.length === 3, `summary cards: ${cards}`);
    check(await page.$$eval('.chart', (c) => c.length) === 2, 'two bar charts');
    const labels = await page.$$eval('.chart text.value', (t) => t.length);
    check(labels > 20, `bars carry value labels (${labels})`);
    await screenshot(page, 'overview');
  });
  await step('dashboard: the list picker switches county and back', async () => {
    const counties = await page.$$eval('#pick-county option', (o) => o.map((x) => x.value));
    const other = counties.find((c) => c !== '乌恰县');
    if (other) {
      await page.selectOption('#pick-county', other);
      await until(page, (c) => document.querySelector('h1')?.textContent.includes(c), other);
      await ready(page, 'overview');
      await page.selectOption('#pick-county', '乌恰县');
      await until(page, () => document.querySelector('h1')?.textContent.includes('乌恰镇'));
      await ready(page, 'overview');
    }
    summary.counties = counties.length;
  });
  await step('dashboard: the ranking sorts by the town\'s share', async () => {
    await page.click('.sort button[data-order="share"]');
    check(await page.$eval('.sort button[data-order="share"]', (b) => b.getAttribute('aria-pressed')) === 'true', 'sorted');
    await screenshot(page, 'ranking-by-town-share');
    await page.click('.sort button[data-order="cooperative"]');
  });
  await step('dashboard: a department shows its cooperations side by side', async () => {
    await page.click('.chart a[href*="/d/"]');
    await ready(page, 'department');
    const cooperations = await page.$$('.cooperation');
    check(cooperations.length > 0, 'cooperations listed');
    check(await page.$$eval('.cooperation .side.dept li', (l) => l.length) > 0, 'department items');
    check(await page.$$eval('.cooperation .side.town li', (l) => l.length) > 0, 'town items');
    await screenshot(page, 'department');
    summary.departmentWorkbook = await download(page, '#download-department');
  });
  await step('dashboard: a cooperation shows both columns and its departments', async () => {
    await page.click('.cooperation a.duty-link');
    await ready(page, 'duty');
    check(await page.$$eval('.side.dept li', (l) => l.length) > 0, 'department column');
    check(await page.$$eval('.side.town li', (l) => l.length) > 0, 'town column');
    await screenshot(page, 'cooperation');
  });
  await step('dashboard: the department network draws nodes and weighted edges', async () => {
    await page.click('#nav a[href$="/network"]');
    await ready(page, 'network');
    check(await page.$$eval('.network .node', (n) => n.length) > 10, 'nodes');
    check(await page.$$eval('.network .edge', (e) => e.length) > 10, 'edges');
    await page.click('.pairs button.link');
    await page.waitForSelector('.pairs .shared li a');
    await screenshot(page, 'network');
  });
  await step('dashboard: search marks the words it found', async () => {
    await page.fill('#search-form input', '燃气 入户');
    await page.press('#search-form input', 'Enter');
    await ready(page, 'search');
    const marks = await page.$$eval('.hit mark', (m) => m.map((x) => x.textContent));
    check(marks.includes('燃气') && marks.includes('入户'), `highlights: ${marks}`);
    await screenshot(page, 'search');
  });
  await step('dashboard: the list downloads as XLSX', async () => {
    await page.click('#nav a:first-child'); // 概览
    await ready(page, 'overview');
    summary.listWorkbook = await download(page, '#download-list');
  });
  return summary;
}

let summary = {};
let failed = false;
try {
  const { context, page } = await openContext();
  await step('GraphiQL runs a query', () => graphiql(page));
  summary = await dashboard(page);
  await context.close();
  // More loads of the first page, each in a fresh context (empty browser cache).
  summary.interactiveRunsMs = [summary.firstPage.interactiveMs];
  for (let i = 1; i < runs; i++) {
    const fresh = await openContext();
    summary.interactiveRunsMs.push((await firstPage(fresh.page)).interactiveMs);
    await fresh.context.close();
  }
} catch (e) {
  failed = true;
  problems.push(e.stack || String(e));
} finally {
  await browser.close();
}

const worst = Math.max(...(summary.interactiveRunsMs || [Infinity]));
if (budget && worst > budget) problems.push(`the first page took ${worst} ms to be interactive, over ${budget} ms`);
if (blocked.length) problems.push(`requests to other hosts: ${[...new Set(blocked)].join(', ')}`);
console.log(JSON.stringify({ base: base.href, artefacts, steps, ...summary, blocked, problems }, null, 2));
if (failed || problems.length) {
  console.error(`browser test FAILED: ${problems.length} problem(s)`);
  process.exit(1);
}
console.error(`browser test passed; screenshots in ${artefacts}`);
