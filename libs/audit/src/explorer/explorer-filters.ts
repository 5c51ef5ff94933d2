import { DATA_ACTIONS, type ApiLogFilter, type DataAction, type DataLogFilter } from '../store/audit-entry';

/** A query-string value as Express and Fastify hand it over. */
export type QueryValue = string | string[] | undefined;
export type QueryParams = Record<string, QueryValue>;

export type TrailName = 'data' | 'api';

/** A query parameter the explorer cannot use; the controller answers 400 with the message. */
export class ExplorerQueryError extends Error {
  constructor(parameter: string, rule: string) {
    super(`${parameter} ${rule}`);
    this.name = 'ExplorerQueryError';
  }
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
const MAX_TEXT = 200;

function text(params: QueryParams, name: string): string | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw new ExplorerQueryError(name, 'must be given once');
  const value = raw.trim();
  if (value === '') return undefined;
  if (value.length > MAX_TEXT) throw new ExplorerQueryError(name, `must be at most ${MAX_TEXT} characters`);
  return value;
}

function integer(params: QueryParams, name: string, min: number, max: number): number | undefined {
  const value = text(params, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new ExplorerQueryError(name, `must be a whole number from ${min} to ${max}`);
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ExplorerQueryError(name, `must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}

/** An instant with its zone (ISO 8601 with Z or an offset): a bare local time would mean the server's zone. */
export function instant(params: QueryParams, name: string): Date | undefined {
  const value = text(params, name);
  if (value === undefined) return undefined;
  const date = /(Z|[+-]\d\d:?\d\d)$/i.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    throw new ExplorerQueryError(name, 'must be an ISO 8601 instant with a zone, e.g. 2025-01-31T09:30:00.000Z');
  }
  return date;
}

export function trailOf(params: QueryParams): TrailName {
  const trail = text(params, 'trail') ?? 'data';
  if (trail !== 'data' && trail !== 'api') throw new ExplorerQueryError('trail', 'must be "data" or "api"');
  return trail;
}

/** The page size asked for, bounded so that one request cannot ask the database for everything. */
export function pageSize(params: QueryParams): number {
  return integer(params, 'limit', 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
}

/** The data-trail filter of a search or an export: every field optional, combined with AND. */
export function dataFilterOf(params: QueryParams): DataLogFilter {
  const action = text(params, 'action');
  if (action !== undefined && !DATA_ACTIONS.includes(action as DataAction)) {
    throw new ExplorerQueryError('action', `must be one of ${DATA_ACTIONS.join(', ')}`);
  }
  return {
    transactionId: text(params, 'transactionId'),
    entityType: text(params, 'entityType'),
    entityId: text(params, 'entityId'),
    action: action as DataAction | undefined,
    userId: text(params, 'userId'),
    from: instant(params, 'from'),
    to: instant(params, 'to'),
    beforeId: integer(params, 'beforeId', 1, Number.MAX_SAFE_INTEGER),
  };
}

/** The API-trail filter of a search or an export. */
export function apiFilterOf(params: QueryParams): ApiLogFilter {
  return {
    transactionId: text(params, 'transactionId'),
    service: text(params, 'service'),
    statusCode: integer(params, 'status', 0, 999),
    userId: text(params, 'userId'),
    from: instant(params, 'from'),
    to: instant(params, 'to'),
    beforeId: integer(params, 'beforeId', 1, Number.MAX_SAFE_INTEGER),
  };
}
