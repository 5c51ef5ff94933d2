import { DATA_ACTIONS, type ApiLogFilter, type DataLogFilter } from '../store/audit-entry';
import { closestKey } from '../options/audit-options.validation';
import type { PurgeOptions } from './purge/audit-purge';

/**
 * The largest page `query` and `queryApiCalls` return: a bigger `limit` is refused rather than
 * quietly cut. No `limit` (or 0) still means every matching row, as before; page with `beforeId`.
 */
export const MAX_QUERY_LIMIT = 1000;

/** A bad argument to a query or a purge; the message names the method and the field. */
export class AuditQueryError extends Error {
  constructor(method: string, field: string, rule: string, value: unknown) {
    super(`nestjs-audit-trail: ${method}: ${field} ${rule} (got ${describe(value)})`);
    this.name = 'AuditQueryError';
  }
}

function describe(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

type Check = (method: string, field: string, value: unknown) => unknown;

// Absent, null and '' are "no condition", as the stores have always read them.
const absent = (value: unknown) => value === undefined || value === null || value === '';

const text: Check = (method, field, value) => {
  if (absent(value)) return undefined;
  if (typeof value === 'string') return value;
  // `entityId: 42` is the same row as `'42'`; anything else would reach the driver as it is.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new AuditQueryError(method, `filter ${field}`, 'must be a string', value);
};

const instant: Check = (method, field, value) => {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new AuditQueryError(method, `filter ${field}`, 'must be a valid Date', value);
  }
  return value;
};

function integerIn(min: number, max: number, rule: string): Check {
  return (method, field, value) => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new AuditQueryError(method, `filter ${field}`, rule, value);
    }
    return value;
  };
}

const limit = integerIn(0, MAX_QUERY_LIMIT, `must be an integer from 1 to ${MAX_QUERY_LIMIT}, or 0 for no limit`);
const offset = integerIn(0, Number.MAX_SAFE_INTEGER, 'must be an integer >= 0');
const beforeId = integerIn(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'must be the integer id of a row');

const action: Check = (method, field, value) => {
  if (absent(value)) return undefined;
  if (!DATA_ACTIONS.includes(value as never)) {
    throw new AuditQueryError(method, `filter ${field}`, `must be one of ${DATA_ACTIONS.join(', ')}`, value);
  }
  return value;
};

/** One declaration per filter: its keys, and the check of each. */
const DATA_FILTER: Record<keyof DataLogFilter, Check> = {
  entityType: text,
  entityId: text,
  action,
  userId: text,
  transactionId: text,
  from: instant,
  to: instant,
  limit,
  offset,
  beforeId,
};

const API_FILTER: Record<keyof ApiLogFilter, Check> = {
  service: text,
  statusCode: integerIn(0, 999, 'must be an integer from 0 to 999'),
  userId: text,
  transactionId: text,
  from: instant,
  to: instant,
  limit,
  offset,
  beforeId,
};

function checked<T>(method: string, filter: unknown, checks: Record<string, Check>): T {
  // null is "no filter", like undefined: `query(null)` is how some callers spell "everything".
  if (filter === undefined || filter === null) return {} as T;
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new AuditQueryError(method, 'filter', 'must be an object', filter);
  }
  const known = Object.keys(checks);
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filter)) {
    const check = checks[key];
    if (!check) {
      // A misspelt condition would otherwise be dropped and the query return every row.
      if (value === undefined) continue;
      throw new AuditQueryError(method, `filter ${key}`, `is unknown (did you mean ${closestKey(key, known)}?)`, value);
    }
    const normalized = check(method, key, value);
    if (normalized !== undefined) result[key] = normalized;
  }
  return result as T;
}

/** A `query` filter, checked: a bad field is an AuditQueryError naming it, never a raw driver error. */
export function checkDataLogFilter(filter: unknown): DataLogFilter {
  return checked<DataLogFilter>('query', filter, DATA_FILTER);
}

/** A `queryApiCalls` filter, checked like `checkDataLogFilter`. */
export function checkApiLogFilter(filter: unknown): ApiLogFilter {
  return checked<ApiLogFilter>('queryApiCalls', filter, API_FILTER);
}

const PURGE_OPTIONS: Record<keyof PurgeOptions, Check> = {
  dryRun: (method, field, value) => {
    if (value === undefined) return undefined;
    // `dryRun: 'true'` read as false would delete for real what the caller meant to count.
    if (typeof value !== 'boolean')
      throw new AuditQueryError(method, `option ${field}`, 'must be true or false', value);
    return value;
  },
  batchSize: (method, field, value) => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new AuditQueryError(method, `option ${field}`, 'must be an integer >= 1', value);
    }
    return value;
  },
};

/** `purge` options, checked before anything is deleted; null or undefined: the defaults. */
export function checkPurgeOptions(options: unknown): PurgeOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new AuditQueryError('purge', 'options', 'must be an object such as { dryRun, batchSize }', options);
  }
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const check = PURGE_OPTIONS[key as keyof PurgeOptions];
    if (!check) {
      const closest = closestKey(key, Object.keys(PURGE_OPTIONS));
      throw new AuditQueryError('purge', `option ${key}`, `is unknown (did you mean ${closest}?)`, value);
    }
    const normalized = check('purge', key, value);
    if (normalized !== undefined) result[key] = normalized;
  }
  return result as PurgeOptions;
}
