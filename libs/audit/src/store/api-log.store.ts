import type { AuditDialect, InsertColumn } from './audit-dialect';
import type { ApiLog, ApiLogFilter } from './audit-entry';
import { fromJsonColumn, toJsonColumn, toValuesColumn } from './json-column';
import { selectListOf } from './trail-columns';
import { type SqlExecutor, rowsOf } from './sql-executor';
import { keysetCursor } from './page-cursor';
import { SqlFilter } from './sql-filter';

/** An API-trail row ready to insert: redacted, truncated, user and transaction decided. */
export interface StampedApiEntry {
  /** Unique per call: writing the same call twice leaves one row (see `insert`). */
  callId?: string | null;
  service: string;
  endpoint: string;
  method: string;
  statusCode: number;
  requestHeaders: Record<string, string> | null;
  /** Redacted like the request headers; null when no response came. */
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

const COLUMNS: readonly InsertColumn[] = [
  { name: 'service', kind: 'text' },
  { name: 'endpoint', kind: 'text' },
  { name: 'method', kind: 'text' },
  { name: 'status_code', kind: 'int' },
  { name: 'request_headers', kind: 'json' },
  { name: 'response_headers', kind: 'json' },
  { name: 'request_body', kind: 'json' },
  { name: 'response_body', kind: 'json' },
  { name: 'duration_ms', kind: 'int' },
  { name: 'error_message', kind: 'text' },
  { name: 'user_id', kind: 'text' },
  { name: 'metadata', kind: 'json' },
  { name: 'transaction_id', kind: 'text' },
  { name: 'created_at', kind: 'time' },
];

/** The INSERT writes `call_id` too; reads leave it out, it is the module's bookkeeping. */
const INSERT_COLUMNS: readonly InsertColumn[] = [...COLUMNS, { name: 'call_id', kind: 'text' }];

const ROWS_PER_INSERT = 200;

/**
 * What a row whose `call_id` is stored already does: `update` takes the new values (a call's
 * outcome replacing its pending row, or the same row sent again), `ignore` keeps the stored row.
 */
export type OnStoredCall = 'update' | 'ignore';

function conflictClause(dialect: AuditDialect, onStored: OnStoredCall): string {
  const updated = COLUMNS.map((column) => column.name);
  if (dialect.name === 'mysql') {
    return onStored === 'ignore'
      ? ' ON DUPLICATE KEY UPDATE call_id = call_id'
      : ` ON DUPLICATE KEY UPDATE ${updated.map((name) => `${name} = VALUES(${name})`).join(', ')}`;
  }
  return onStored === 'ignore'
    ? ' ON CONFLICT (call_id) DO NOTHING'
    : ` ON CONFLICT (call_id) DO UPDATE SET ${updated.map((name) => `${name} = excluded.${name}`).join(', ')}`;
}

/** Reads and writes the API trail table (`audit_api_logs` by default) with parameterised SQL only. */
export class ApiLogStore {
  private readonly table: string;
  private readonly selectList: string;

  constructor(
    readonly dialect: AuditDialect,
    readonly tableName: string,
  ) {
    this.table = dialect.quote(tableName);
    this.selectList = selectListOf(dialect, COLUMNS);
  }

  /**
   * Inserts rows in multi-row statements. Idempotent by `call_id`: a batch sent again after its
   * reply was lost leaves one row per call, whatever had been stored (`onStored` says which values win).
   */
  async insert(
    executor: SqlExecutor,
    entries: readonly StampedApiEntry[],
    onStored: OnStoredCall = 'update',
  ): Promise<void> {
    const rows = entries.map((entry) => [
      entry.service.slice(0, 100),
      entry.endpoint.slice(0, 500),
      entry.method.toUpperCase().slice(0, 10),
      Math.trunc(entry.statusCode) || 0,
      toValuesColumn(entry.requestHeaders),
      toValuesColumn(entry.responseHeaders),
      toJsonColumn(entry.requestBody),
      toJsonColumn(entry.responseBody),
      Math.max(0, Math.round(entry.durationMs)),
      entry.errorMessage,
      entry.userId,
      toValuesColumn(entry.metadata),
      entry.transactionId,
      this.dialect.writeTime(entry.createdAt),
      entry.callId ?? null,
    ]);
    const conflict = conflictClause(this.dialect, onStored);
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const [sql, parameters] = this.dialect.insertMany(
        this.tableName,
        INSERT_COLUMNS,
        rows.slice(start, start + ROWS_PER_INSERT),
      );
      await executor.query(sql + conflict, parameters);
    }
  }

  /** The call IDs among `entries` that are stored: a row that went in despite an error is found here. */
  async storedCallIds(executor: SqlExecutor, entries: readonly StampedApiEntry[]): Promise<Set<string>> {
    const ids = entries.map((entry) => entry.callId).filter((id): id is string => !!id);
    if (ids.length === 0) return new Set();
    const placeholders = ids.map((_, i) => this.dialect.placeholder(i + 1)).join(', ');
    const rows = rowsOf(
      await executor.query(`SELECT call_id FROM ${this.table} WHERE call_id IN (${placeholders})`, ids),
    );
    return new Set(rows.map((row) => String(row.call_id)));
  }

  /** Filters combine with AND, `from`/`to` inclusive, newest first by id (keyset: `beforeId`); docs/behaviour.md. */
  async find(executor: SqlExecutor, filter: ApiLogFilter = {}): Promise<ApiLog[]> {
    const where = new SqlFilter(this.dialect)
      .add('service', '=', filter.service)
      .add('status_code', '=', filter.statusCode)
      .add('user_id', '=', filter.userId)
      .add('transaction_id', '=', filter.transactionId)
      .addTime('created_at', '>=', filter.from)
      .addTime('created_at', '<=', filter.to)
      .add('id', '<', keysetCursor(filter.beforeId));
    const sql =
      `SELECT ${this.selectList} FROM ${this.table}${where.toSql()} ORDER BY id DESC` +
      this.dialect.limitOffset(filter.limit, filter.offset);
    return rowsOf(await executor.query(sql, where.parameters)).map((row) => this.toLog(row));
  }

  /** Rows of one transaction in the order they happened (time, then id). */
  async findInOrder(executor: SqlExecutor, transactionId: string): Promise<ApiLog[]> {
    const where = new SqlFilter(this.dialect).add('transaction_id', '=', transactionId);
    const sql = `SELECT ${this.selectList} FROM ${this.table}${where.toSql()} ORDER BY ${this.dialect.timeColumn('created_at')} ASC, id ASC`;
    return rowsOf(await executor.query(sql, where.parameters)).map((row) => this.toLog(row));
  }

  private toLog(row: Record<string, unknown>): ApiLog {
    return {
      id: Number(row.id),
      service: String(row.service),
      endpoint: String(row.endpoint),
      method: String(row.method),
      // go-audit leaves status_code and duration_ms NULL when it knows none; 0 says the same here.
      statusCode: Number(row.status_code ?? 0),
      requestHeaders: fromJsonColumn(row.request_headers),
      responseHeaders: fromJsonColumn(row.response_headers),
      requestBody: fromJsonColumn(row.request_body),
      responseBody: fromJsonColumn(row.response_body),
      durationMs: Number(row.duration_ms ?? 0),
      errorMessage: (row.error_message as string | null) ?? null,
      userId: (row.user_id as string | null) ?? '',
      metadata: fromJsonColumn(row.metadata),
      transactionId: (row.transaction_id as string | null) ?? '',
      createdAt: this.dialect.readTime(row.created_at),
    };
  }
}
