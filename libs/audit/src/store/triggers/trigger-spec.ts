import type { DataSource, EntityMetadata } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/**
 * How a column's value is written into old/new values, so that a trigger formats it the way ORM
 * mode does (trails/data/column-values.ts): instants as ISO text, booleans as JSON booleans, JSON
 * columns parsed, exact numbers and 64-bit integers as the text the driver would hand back.
 */
export type TriggerValueKind =
  'plain' | 'boolean' | 'json' | 'timestamp' | 'timestamptz' | 'decimal' | 'bigint' | 'binary';

export interface TriggerColumn {
  name: string;
  kind: TriggerValueKind;
}

/**
 * Everything the triggers of one table are generated from. The same object is embedded in the
 * installed trigger, so a start-up check can say exactly what changed since they were installed.
 */
export interface TableTriggerSpec {
  /** Version of the generated SQL; bumped when the generator changes, so old triggers are refreshed. */
  v: number;
  table: string;
  /** The data-trail table the rows go into. */
  auditTable: string;
  /** Primary-key columns in metadata order (the order of a compound `entity_id`). */
  primaryKey: TriggerColumn[];
  /** Recorded columns (excluded ones left out: they never leave the database). */
  columns: TriggerColumn[];
  /** Columns left out by `excludeFields`. */
  excluded: string[];
  /** The delete-date column: NULL → value is `soft_delete`, value → NULL is `restore`. */
  deleteDate: string | null;
  /** Update-date and version columns: an update that moves only these records nothing (as in ORM mode). */
  bookkeeping: string[];
  /**
   * Audited tables whose rows the database deletes (`ON DELETE CASCADE`) or nulls (`SET NULL`) when
   * a row of this table goes. Only MariaDB/MySQL needs them: InnoDB runs no trigger for those changes.
   */
  cascades: CascadeSpec[];
}

export interface CascadeSpec {
  onDelete: 'CASCADE' | 'SET NULL';
  /** Child foreign-key columns and the columns of this table they reference, in pairs. */
  columns: string[];
  referenced: string[];
  child: Pick<TableTriggerSpec, 'table' | 'primaryKey' | 'columns'>;
}

/**
 * Bumped whenever the generated triggers change, so that installed ones are reported as drifted and
 * refreshed. 2: PostgreSQL cuts the row's time to the millisecond instead of rounding it;
 * MariaDB/MySQL triggers read one user variable per context field instead of parsing one JSON per row;
 * every dialect leaves out the entity applyRestore is writing (the silence).
 */
export const TRIGGER_SPEC_VERSION = 2;

/** What decides which tables get triggers: the data-trail options. */
export interface TriggerOptions {
  auditTable: string;
  excludeFields: ReadonlySet<string>;
  excludeEntities: ReadonlySet<string>;
}

const BOOLEAN = new Set(['boolean', 'bool']);
const JSON_TYPES = new Set(['simple-json', 'json', 'jsonb']);
const TIMESTAMP = new Set(['timestamp', 'timestamp without time zone', 'datetime', 'datetime2', 'smalldatetime']);
const TIMESTAMPTZ = new Set(['timestamptz', 'timestamp with time zone', 'datetimeoffset']);
const DECIMAL = new Set(['decimal', 'numeric', 'dec', 'fixed', 'money']);
const BIGINT = new Set(['bigint', 'int8']);
const BINARY = new Set(['bytea', 'blob', 'tinyblob', 'mediumblob', 'longblob', 'binary', 'varbinary']);

/** The value kind of one column, from its declared TypeORM type. */
export function valueKindOf(column: ColumnMetadata): TriggerValueKind {
  const type = column.type as unknown;
  if (type === Boolean) return 'boolean';
  if (type === Date) return 'timestamp';
  if (typeof type === 'function' && (type === Buffer || type.prototype instanceof Uint8Array)) return 'binary';
  const name = typeof type === 'string' ? type.toLowerCase() : '';
  if (BOOLEAN.has(name)) return 'boolean';
  if (JSON_TYPES.has(name)) return 'json';
  if (TIMESTAMPTZ.has(name)) return 'timestamptz';
  if (TIMESTAMP.has(name)) return 'timestamp';
  if (DECIMAL.has(name)) return 'decimal';
  if (BIGINT.has(name)) return 'bigint';
  if (BINARY.has(name)) return 'binary';
  return 'plain';
}

/** Same rule as ORM mode: the audit table itself, excluded entities and keyless tables get nothing. */
export function isAuditedTable(metadata: EntityMetadata, options: TriggerOptions): boolean {
  return (
    metadata.tableName !== options.auditTable &&
    !options.excludeEntities.has(metadata.tableName) &&
    !options.excludeEntities.has(metadata.name) &&
    metadata.primaryColumns.length > 0 &&
    (metadata.tableType === 'regular' || metadata.tableType === 'junction' || metadata.tableType === 'closure-junction')
  );
}

// Join-table and relation-only columns are `isVirtual` in TypeORM but real columns in the table.
function stored(column: ColumnMetadata): boolean {
  return !column.isVirtualProperty;
}

/** The trigger specification of one entity's table. */
export function tableTriggerSpec(metadata: EntityMetadata, options: TriggerOptions): TableTriggerSpec {
  const excluded = (column: ColumnMetadata) =>
    options.excludeFields.has(column.databaseName) || options.excludeFields.has(column.propertyName);
  const toColumn = (column: ColumnMetadata): TriggerColumn => ({
    name: column.databaseName,
    kind: valueKindOf(column),
  });
  const columns = new Map<string, ColumnMetadata>();
  for (const column of metadata.columns) if (stored(column)) columns.set(column.databaseName, column);
  const all = [...columns.values()];
  return {
    v: TRIGGER_SPEC_VERSION,
    table: metadata.tableName,
    auditTable: options.auditTable,
    primaryKey: metadata.primaryColumns.map(toColumn),
    columns: all.filter((column) => !excluded(column)).map(toColumn),
    excluded: all
      .filter(excluded)
      .map((column) => column.databaseName)
      .sort(),
    deleteDate: metadata.deleteDateColumn?.databaseName ?? null,
    bookkeeping: [metadata.updateDateColumn?.databaseName, metadata.versionColumn?.databaseName].filter(
      (name): name is string => typeof name === 'string',
    ),
    cascades: [],
  };
}

/** The specifications of every audited table of the DataSource (join tables of many-to-many relations included). */
export function triggerSpecsFor(dataSource: DataSource, options: TriggerOptions): TableTriggerSpec[] {
  const byTable = new Map<string, TableTriggerSpec>();
  for (const metadata of dataSource.entityMetadatas) {
    if (!isAuditedTable(metadata, options) || byTable.has(metadata.tableName)) continue;
    byTable.set(metadata.tableName, tableTriggerSpec(metadata, options));
  }
  for (const metadata of dataSource.entityMetadatas) {
    const child = byTable.get(metadata.tableName);
    if (!child) continue;
    for (const foreignKey of metadata.foreignKeys) {
      const parent =
        byTable.get(foreignKey.referencedTablePath) ?? byTable.get(foreignKey.referencedEntityMetadata.tableName);
      const onDelete = foreignKey.onDelete?.toUpperCase();
      if (!parent || (onDelete !== 'CASCADE' && onDelete !== 'SET NULL')) continue;
      const cascade: CascadeSpec = {
        onDelete,
        columns: foreignKey.columnNames,
        referenced: foreignKey.referencedColumnNames,
        child: { table: child.table, primaryKey: child.primaryKey, columns: child.columns },
      };
      if (!parent.cascades.some((known) => JSON.stringify(known) === JSON.stringify(cascade)))
        parent.cascades.push(cascade);
    }
  }
  return [...byTable.values()].sort((a, b) => a.table.localeCompare(b.table));
}

const SPEC_MARK = 'audit-trail-spec ';

/** The spec as it is embedded in a trigger's text: one line, no comment terminator inside. */
export function specComment(spec: TableTriggerSpec): string {
  return `/* ${SPEC_MARK}${JSON.stringify(spec).replace(/\//g, '\\/')} */`;
}

/** The spec embedded in an installed trigger's text, or undefined when there is none (not ours, or too old). */
export function specFromText(text: string | null | undefined): TableTriggerSpec | undefined {
  if (!text) return undefined;
  const start = text.indexOf(SPEC_MARK);
  if (start < 0) return undefined;
  const end = text.indexOf(' */', start);
  if (end < 0) return undefined;
  try {
    return JSON.parse(text.slice(start + SPEC_MARK.length, end)) as TableTriggerSpec;
  } catch {
    return undefined;
  }
}

/** Identifiers we put into generated SQL: names TypeORM gave to tables and columns, checked once more. */
export function assertSafeName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$ -]{0,62}$/.test(name)) {
    throw new Error(`nestjs-audit-trail: database capture cannot put the name ${JSON.stringify(name)} into a trigger`);
  }
  return name;
}

/** `audit_trail_<table>_<suffix>` within the 63/64-character limit of PostgreSQL and MySQL names. */
export function shortName(table: string, suffix: string): string {
  const name = `audit_trail_${table}_${suffix}`;
  if (name.length <= 63) return name;
  let hash = 0;
  for (const char of table) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  const tag = hash.toString(36);
  return `audit_trail_${table.slice(0, 63 - 14 - tag.length - suffix.length)}_${tag}_${suffix}`;
}
