/**
 * The page's views live in the URL's fragment, so any view can be shared as a link and the server
 * serves one page whatever the view: `#/search?…`, `#/transactions/<id>`, `#/entities/<type>/<id>?at=…`.
 */
export type Route =
  | { view: 'search'; params: Record<string, string> }
  | { view: 'transaction'; transactionId: string; open?: string }
  | { view: 'entity'; entityType: string; entityId: string; at?: string };

/** Search fields the page knows, in the order a link writes them. */
export const SEARCH_FIELDS = [
  'trail',
  'transactionId',
  'entityType',
  'entityId',
  'action',
  'userId',
  'service',
  'status',
  'from',
  'to',
  'limit',
  'beforeId',
] as const;

/** Fields that filter only the data trail or only the API trail; the other trail ignores them. */
export const DATA_ONLY = ['entityType', 'entityId', 'action'] as const;
export const API_ONLY = ['service', 'status'] as const;

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

function queryOf(search: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    if (value !== '') params[key] = value;
  }
  return params;
}

export function parseRoute(hash: string): Route {
  const body = hash.replace(/^#/, '');
  const [path, search = ''] = body.split('?', 2);
  const query = queryOf(search);
  const parts = path.split('/').filter(Boolean).map(decode);
  if (parts.some((part) => part === undefined)) return { view: 'search', params: {} };
  if (parts[0] === 'transactions' && parts.length === 2) {
    return { view: 'transaction', transactionId: parts[1] as string, open: query.open };
  }
  if (parts[0] === 'entities' && parts.length === 3) {
    return { view: 'entity', entityType: parts[1] as string, entityId: parts[2] as string, at: query.at };
  }
  const params: Record<string, string> = {};
  for (const field of SEARCH_FIELDS) if (query[field] !== undefined) params[field] = query[field];
  return { view: 'search', params };
}

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') search.set(key, value);
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export function formatRoute(route: Route): string {
  switch (route.view) {
    case 'transaction':
      return withQuery(`#/transactions/${encodeURIComponent(route.transactionId)}`, { open: route.open });
    case 'entity':
      return withQuery(`#/entities/${encodeURIComponent(route.entityType)}/${encodeURIComponent(route.entityId)}`, {
        at: route.at,
      });
    default: {
      const ordered: Record<string, string | undefined> = {};
      for (const field of SEARCH_FIELDS) ordered[field] = route.params[field];
      return withQuery('#/search', ordered);
    }
  }
}

/**
 * The query string the JSON search and the export take for these search fields: the fields of the
 * chosen trail only, and for an export no page size or cursor, since it runs the whole filter.
 */
export function apiQuery(params: Record<string, string>, purpose: 'page' | 'export'): URLSearchParams {
  const trail = params.trail === 'api' ? 'api' : 'data';
  const skip = new Set<string>(trail === 'data' ? API_ONLY : DATA_ONLY);
  if (purpose === 'export') {
    skip.add('limit');
    skip.add('beforeId');
  }
  const search = new URLSearchParams({ trail });
  for (const field of SEARCH_FIELDS) {
    const value = params[field];
    if (field !== 'trail' && value !== undefined && value !== '' && !skip.has(field)) search.set(field, value);
  }
  return search;
}
