// GraphQL-over-HTTP compliance audit with graphql-http's auditServer.
//
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
//
// Prints one line per audit (status, id, name; the reason for anything not ok),
// then the summary line `audit: N passed, M failed`, where N counts the audits
// that passed and M the MUST audits that failed (status "error"). Exits 1 if
// any MUST audit failed, 0 otherwise; SHOULD warnings ("warn") and MAY
// suggestions ("notice") are printed but do not fail. Exits 2 on bad usage or
// when the audit cannot run at all (e.g. the server is unreachable).
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://HOST:PORT/graphql');
  process.exit(2);
}

let results;
try {
  results = await auditServer({ url, fetchFn: fetch });
} catch (err) {
  console.error(`audit: cannot audit ${url}: ${err?.stack ?? err}`);
  process.exit(2);
}

const count = { ok: 0, warn: 0, error: 0, notice: 0 };
for (const result of results) {
  count[result.status] = (count[result.status] ?? 0) + 1;
  let line = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
  if (result.status !== 'ok') {
    const res = result.response;
    const http = res
      ? ` [HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content-type'}]`
      : '';
    line += ` -- ${result.reason}${http}`;
  }
  console.log(line);
}
console.log(
  `audit: ${count.warn} SHOULD warnings, ${count.notice} MAY notices (not failures)`,
);
console.log(`audit: ${count.ok} passed, ${count.error} failed`);
process.exit(count.error > 0 ? 1 : 0);
