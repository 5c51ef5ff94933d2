/** The JSON-able values of one side of a change, keyed by column name. */
export type AuditValues = Record<string, unknown>;

export type DataAction = 'create' | 'update' | 'delete' | 'soft_delete' | 'restore';

export const DATA_ACTIONS: readonly DataAction[] = ['create', 'update', 'delete', 'soft_delete', 'restore'];

/** One data-trail row to be written (docs/behaviour.md, "Data row format"). */
export interface DataEntry {
  entityType: string;
  entityId: string;
  action: DataAction;
  oldValues?: AuditValues | null;
  newValues?: AuditValues | null;
  userId?: string;
  userType?: string;
  metadata?: Record<string, unknown> | null;
  /** Set to override the transaction ID in scope. */
  transactionId?: string;
  /** Set by the store when omitted. */
  createdAt?: Date;
}

/** One data-trail row as stored and returned by queries. */
export interface DataLog {
  id: number;
  entityType: string;
  entityId: string;
  action: DataAction;
  oldValues: AuditValues | null;
  newValues: AuditValues | null;
  userId: string;
  userType: string;
  metadata: Record<string, unknown> | null;
  transactionId: string;
  createdAt: Date;
}

/** One API-trail row to be written (docs/behaviour.md, "API row format"). */
export interface ApiEntry {
  service: string;
  endpoint: string;
  method: string;
  /** 0 when no response came. */
  statusCode: number;
  requestHeaders?: Record<string, string> | null;
  /** Redacted with the same header rules as the request headers. */
  responseHeaders?: Record<string, string> | null;
  requestBody?: unknown;
  responseBody?: unknown;
  durationMs: number;
  errorMessage?: string | null;
  userId?: string;
  metadata?: Record<string, unknown> | null;
  transactionId?: string;
  createdAt?: Date;
}

/** One API-trail row as stored and returned by queries. */
export interface ApiLog {
  id: number;
  service: string;
  endpoint: string;
  method: string;
  statusCode: number;
  requestHeaders: Record<string, string> | null;
  /** Null when no response came, and on rows written before schema 1.1 (always set by queries). */
  responseHeaders?: Record<string, string> | null;
  requestBody: unknown;
  responseBody: unknown;
  durationMs: number;
  errorMessage: string | null;
  userId: string;
  metadata: Record<string, unknown> | null;
  transactionId: string;
  createdAt: Date;
}

export interface DataLogFilter {
  entityType?: string;
  entityId?: string;
  action?: DataAction;
  userId?: string;
  transactionId?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  offset?: number;
  /**
   * Keyset cursor: only rows with an id below this one. Pass the last id of the previous page (see
   * `nextCursor`) to walk newest-first pages that stay fast however deep they go, unlike `offset`.
   */
  beforeId?: number;
}

export interface ApiLogFilter {
  service?: string;
  statusCode?: number;
  userId?: string;
  transactionId?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  offset?: number;
  /**
   * Keyset cursor: only rows with an id below this one. Pass the last id of the previous page (see
   * `nextCursor`) to walk newest-first pages that stay fast however deep they go, unlike `offset`.
   */
  beforeId?: number;
}
