import type { AuditDialect, InsertColumn } from './audit-dialect';
import type { DataAction, DataLog, DataLogFilter } from './audit-entry';
import { fromJsonColumn, toValuesColumn } from './json-column';
import { insertRows, selectListOf } from './trail-columns';
import { type SqlExecutor, rowsOf } from './sql-executor';
import { keysetCursor } from './page-cursor';
import { SqlFilter } from './sql-filter';

/** A data-trail row ready to insert: who, when and which transaction are already decided. */
export interface StampedDataEntry {
  entityType: string;
  entityId: string;
  action: DataAction;
  oldValues: Record<string, unknown> | null;
  newValues: Record<string, unknown> | null;
  userId: string;
  userType: string;
  metadata: Record<string, unknown> | null;
  transactionId: string;
  createdAt: Date;
}

const COLUMNS: readonly InsertColumn[] = [
  { name: 'entity_type', kind: 'text' },
  { name: 'entity_id', kind: 'text' },
  { name: 'action', kind: 'text' },
  { name: 'old_values', kind: 'json' },
  { name: 'new_values', kind: 'json' },
  { name: 'user_id', kind: 'text' },
  { name: 'user_type', kind: 'text' },
  { name: 'metadata', kind: 'json' },
  { name: 'transaction_id', kind: 'text' },
  { name: 'created_at', kind: 'time' },
];

// Well under PostgreSQL's 65,535 bind parameters and MySQL's max_allowed_packet for typical rows.
const ROWS_PER_INSERT = 500;

/** Reads and writes the data trail table (`audit_logs` by default) with parameterised SQL only. */
export class DataLogStore {
  private readonly table: string;
  private readonly selectList: string;

  constructor(
    readonly dialect: AuditDialect,
    readonly tableName: string,
  ) {
    this.table = dialect.quote(tableName);
    this.selectList = selectListOf(dialect, COLUMNS);
  }

  /** Writes all entries in as few multi-row INSERTs as possible, through the caller's executor. */
  async insert(executor: SqlExecutor, entries: readonly StampedDataEntry[]): Promise<void> {
    const rows = entries.map((entry) => [
      entry.entityType,
      entry.entityId,
      entry.action,
      toValuesColumn(entry.oldValues),
      toValuesColumn(entry.newValues),
      entry.userId,
      entry.userType,
      toValuesColumn(entry.metadata),
      entry.transactionId,
      this.dialect.writeTime(entry.createdAt),
    ]);
    await insertRows(executor, this.dialect, this.tableName, COLUMNS, rows, ROWS_PER_INSERT);
  }

  /** Filters combine with AND, `from`/`to` inclusive, newest first by id (keyset: `beforeId`); docs/behaviour.md. */
  async find(executor: SqlExecutor, filter: DataLogFilter = {}): Promise<DataLog[]> {
    const where = new SqlFilter(this.dialect)
      .add('entity_type', '=', filter.entityType)
      .add('entity_id', '=', filter.entityId)
      .add('action', '=', filter.action)
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

  /**
   * Rows in the order they happened, optionally up to and including `to`: by time then id, or by id
   * alone (`byId`), the order in which they were written and the one go-audit replays an entity in.
   */
  async findInOrder(
    executor: SqlExecutor,
    filter: Pick<DataLogFilter, 'entityType' | 'entityId' | 'transactionId' | 'to'> & { byId?: boolean },
  ): Promise<DataLog[]> {
    const where = new SqlFilter(this.dialect)
      .add('entity_type', '=', filter.entityType)
      .add('entity_id', '=', filter.entityId)
      .add('transaction_id', '=', filter.transactionId)
      .addTime('created_at', '<=', filter.to);
    const order = filter.byId ? 'id ASC' : `${this.dialect.timeColumn('created_at')} ASC, id ASC`;
    const sql = `SELECT ${this.selectList} FROM ${this.table}${where.toSql()} ORDER BY ${order}`;
    return rowsOf(await executor.query(sql, where.parameters)).map((row) => this.toLog(row));
  }

  private toLog(row: Record<string, unknown>): DataLog {
    return {
      id: Number(row.id),
      entityType: String(row.entity_type),
      entityId: String(row.entity_id),
      action: row.action as DataAction,
      oldValues: fromJsonColumn(row.old_values),
      newValues: fromJsonColumn(row.new_values),
      userId: (row.user_id as string | null) ?? '',
      userType: (row.user_type as string | null) ?? '',
      metadata: fromJsonColumn(row.metadata),
      transactionId: (row.transaction_id as string | null) ?? '',
      createdAt: this.dialect.readTime(row.created_at),
    };
  }
}
