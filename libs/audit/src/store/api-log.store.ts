import type { AuditDialect, InsertColumn } from './audit-dialect';
import type { ApiLog, ApiLogFilter } from './audit-entry';
import { fromJsonColumn, toJsonColumn, toValuesColumn } from './json-column';
import { insertRows, selectListOf } from './trail-columns';
import { type SqlExecutor, rowsOf } from './sql-executor';
import { keysetCursor } from './page-cursor';
import { SqlFilter } from './sql-filter';

/** An API-trail row ready to insert: redacted, truncated, user and transaction decided. */
export interface StampedApiEntry {
  service: string;
  endpoint: string;
  method: string;
  statusCode: number;
  requestHeaders: Record<string, string> | null;
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
  { name: 'request_body', kind: 'json' },
  { name: 'response_body', kind: 'json' },
  { name: 'duration_ms', kind: 'int' },
  { name: 'error_message', kind: 'text' },
  { name: 'user_id', kind: 'text' },
  { name: 'metadata', kind: 'json' },
  { name: 'transaction_id', kind: 'text' },
  { name: 'created_at', kind: 'time' },
];

const ROWS_PER_INSERT = 200;

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

  async insert(executor: SqlExecutor, entries: readonly StampedApiEntry[]): Promise<void> {
    const rows = entries.map((entry) => [
      entry.service.slice(0, 100),
      entry.endpoint.slice(0, 500),
      entry.method.toUpperCase().slice(0, 10),
      Math.trunc(entry.statusCode) || 0,
      toValuesColumn(entry.requestHeaders),
      toJsonColumn(entry.requestBody),
      toJsonColumn(entry.responseBody),
      Math.max(0, Math.round(entry.durationMs)),
      entry.errorMessage,
      entry.userId,
      toValuesColumn(entry.metadata),
      entry.transactionId,
      this.dialect.writeTime(entry.createdAt),
    ]);
    await insertRows(executor, this.dialect, this.tableName, COLUMNS, rows, ROWS_PER_INSERT);
  }

  /** SPEC.md "Queries": filters combine with AND, `from`/`to` inclusive, newest first by id (keyset: `beforeId`). */
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
    const sql = `SELECT ${this.selectList} FROM ${this.table}${where.toSql()} ORDER BY created_at ASC, id ASC`;
    return rowsOf(await executor.query(sql, where.parameters)).map((row) => this.toLog(row));
  }

  private toLog(row: Record<string, unknown>): ApiLog {
    return {
      id: Number(row.id),
      service: String(row.service),
      endpoint: String(row.endpoint),
      method: String(row.method),
      statusCode: Number(row.status_code),
      requestHeaders: fromJsonColumn(row.request_headers),
      requestBody: fromJsonColumn(row.request_body),
      responseBody: fromJsonColumn(row.response_body),
      durationMs: Number(row.duration_ms),
      errorMessage: (row.error_message as string | null) ?? null,
      userId: (row.user_id as string | null) ?? '',
      metadata: fromJsonColumn(row.metadata),
      transactionId: (row.transaction_id as string | null) ?? '',
      createdAt: this.dialect.readTime(row.created_at),
    };
  }
}
