// The dashboard's URLs: every page lives in the fragment, `#/l/{listId}/…`, so
// each can be bookmarked and the server serves one HTML page at `/`.

/** Routes within the list `l`. */
export const to = {
  list: (l) => `#/l/${l}`,
  department: (l, d) => `#/l/${l}/d/${d}`,
  duty: (l, d) => `#/l/${l}/duty/${d}`,
  network: (l) => `#/l/${l}/network`,
  search: (l, q) => `#/l/${l}/search/${encodeURIComponent(q)}`,
};

/** The current fragment → { listId, view, id?, query? }, or null without a list. */
export function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] !== 'l' || !parts[1]) return null;
  const [, listId, page, arg] = parts;
  switch (page) {
    case 'd': return { listId, view: 'department', id: arg };
    case 'duty': return { listId, view: 'duty', id: arg };
    case 'network': return { listId, view: 'network' };
    case 'search': return { listId, view: 'search', query: arg || '' };
    default: return { listId, view: 'overview' };
  }
}
