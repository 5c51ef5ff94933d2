import {
  type DataSource,
  type EntityMetadata,
  type ObjectLiteral,
  type QueryBuilder,
  type QueryRunner,
  SelectQueryBuilder,
  type ValueTransformer,
} from 'typeorm';
import type { AuditValues } from '../../store/audit-entry';
import { type AuditDialect, dialectFor } from '../../store/audit-dialect';
import { toAuditValue } from '../../trails/data/column-values';

type ColumnMetadata = EntityMetadata['columns'][number];

/** One row as the database holds it: its key as trail text, its column values, its raw key for narrowing. */
export interface StoredRow {
  entityId: string;
  values: AuditValues;
  /** The primary-key values as the driver returned them, to name this row again in a statement. */
  key: unknown[];
}

// An OR of this many keys per statement keeps each statement small on a large bulk write.
export const KEYS_PER_STATEMENT = 500;

/**
 * The columns the table has: relation join columns included (TypeORM marks an implicit foreign key,
 * and every column of a join table, as `isVirtual` because no entity property holds it), computed
 * `@VirtualColumn`s left out.
 */
function storedColumns(metadata: EntityMetadata): ColumnMetadata[] {
  return metadata.columns.filter((column) => !column.isVirtualProperty);
}

/** TypeORM applies transformers left to right on the way to the database: the trail keeps that side. */
function transformTo(transformer: ValueTransformer | ValueTransformer[], value: unknown): unknown {
  const chain = Array.isArray(transformer) ? transformer : [transformer];
  return chain.reduce((current, step) => step.to(current), value);
}

/**
 * Reads rows with raw column selects and turns each value the way TypeORM hydrates it (dates, JSON,
 * booleans, numbers the driver returns as text), then back to the database side of any transformer,
 * the side the trail keeps. Every column is read, foreign keys and defaults included.
 */
export class RowReader {
  private readonly dialect: AuditDialect;

  constructor(private readonly dataSource: DataSource) {
    this.dialect = dialectFor(dataSource.options.type);
  }

  /** Rows matching the WHERE of `statement` (an update, delete or soft-delete builder), optionally locked. */
  async matching(
    statement: QueryBuilder<ObjectLiteral>,
    metadata: EntityMetadata,
    queryRunner: QueryRunner,
    lock: boolean,
  ): Promise<StoredRow[]> {
    // A SelectQueryBuilder built from the statement's builder copies its expression map: the same
    // conditions, brackets, parameters, whereInIds and (MySQL) order and limit, as the statement will use.
    const select = new SelectQueryBuilder(statement);
    select.setQueryRunner(queryRunner);
    const map = select.expressionMap;
    map.queryType = 'select';
    map.selects = [];
    map.returning = '';
    map.valuesSet = undefined;
    map.withDeleted = true;
    // A builder from `repository.createQueryBuilder('x').softDelete().from(Entity)` keeps the first
    // alias beside the one `from` set; an UPDATE names one table, so the SELECT must too.
    const main = map.mainAlias!;
    map.aliases = map.aliases.filter((alias) => alias.type !== 'from' || alias.name === main.name);
    const alias = map.mainAlias!.name;
    return this.read(select, alias, metadata, lock);
  }

  /** Rows by their primary keys, in chunks. */
  async byKeys(metadata: EntityMetadata, queryRunner: QueryRunner, keys: unknown[][]): Promise<StoredRow[]> {
    const rows: StoredRow[] = [];
    for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
      const chunk = keys.slice(start, start + KEYS_PER_STATEMENT);
      const select = this.dataSource.createQueryBuilder(queryRunner).from(metadata.target, 'audit_row').withDeleted();
      const [condition, parameters] = keyCondition(select, metadata, chunk, 'audit_key');
      select.where(condition, parameters);
      rows.push(...(await this.read(select, 'audit_row', metadata, false)));
    }
    return rows;
  }

  /** Rows by id maps as TypeORM reports them after an insert (`InsertResult.identifiers`). */
  async byIdentifiers(
    metadata: EntityMetadata,
    queryRunner: QueryRunner,
    identifiers: ObjectLiteral[],
  ): Promise<StoredRow[]> {
    const rows: StoredRow[] = [];
    for (let start = 0; start < identifiers.length; start += KEYS_PER_STATEMENT) {
      const select = this.dataSource
        .createQueryBuilder(queryRunner)
        .from(metadata.target, 'audit_row')
        .withDeleted()
        .whereInIds(identifiers.slice(start, start + KEYS_PER_STATEMENT));
      rows.push(...(await this.read(select, 'audit_row', metadata, false)));
    }
    return rows;
  }

  /** Rows whose `columns` (database names) equal one of the given value tuples: an upsert's conflict target. */
  async byColumns(
    metadata: EntityMetadata,
    queryRunner: QueryRunner,
    columns: ColumnMetadata[],
    tuples: unknown[][],
    lock: boolean,
  ): Promise<StoredRow[]> {
    const rows: StoredRow[] = [];
    for (let start = 0; start < tuples.length; start += KEYS_PER_STATEMENT) {
      const select = this.dataSource.createQueryBuilder(queryRunner).from(metadata.target, 'audit_row').withDeleted();
      const [condition, parameters] = tupleCondition(
        select,
        columns,
        tuples.slice(start, start + KEYS_PER_STATEMENT),
        'audit_col',
      );
      select.where(condition, parameters);
      rows.push(...(await this.read(select, 'audit_row', metadata, lock)));
    }
    return rows;
  }

  private async read(
    select: SelectQueryBuilder<ObjectLiteral>,
    alias: string,
    metadata: EntityMetadata,
    lock: boolean,
  ): Promise<StoredRow[]> {
    const columns = storedColumns(metadata);
    const escapedAlias = select.escape(alias);
    const sub = this.dialect.microseconds;
    columns.forEach((column, index) => {
      const expression = `${escapedAlias}.${select.escape(column.databaseName)}`;
      if (index === 0) select.select(expression, 'c0');
      else select.addSelect(expression, `c${index}`);
      // JavaScript dates stop at milliseconds; the stored microseconds are read beside them.
      if (sub && this.keepsMicroseconds(column)) select.addSelect(sub(expression), `u${index}`);
    });
    if (lock && this.dialect.rowLock) select.setLock('pessimistic_write');
    const raws: ObjectLiteral[] = await select.getRawMany();
    const primaryIndexes = metadata.primaryColumns.map((primary) => columns.indexOf(primary));
    return raws.map((raw) => {
      const values: AuditValues = {};
      columns.forEach((column, index) => {
        values[column.databaseName] = this.valueOf(column, raw[`c${index}`], raw[`u${index}`]);
      });
      const key = primaryIndexes.map((index) => raw[`c${index}`]);
      const idParts = metadata.primaryColumns.map((primary) => values[primary.databaseName]);
      const entityId = idParts.length === 1 ? String(idParts[0]) : JSON.stringify(idParts);
      return { entityId, values, key };
    });
  }

  private valueOf(column: ColumnMetadata, raw: unknown, microseconds?: unknown): unknown {
    if (raw === null || raw === undefined) return null;
    let value = this.dataSource.driver.prepareHydratedValue(raw, column);
    if (column.transformer) value = transformTo(column.transformer, value);
    if (
      value instanceof Date &&
      typeof microseconds === 'string' &&
      /^\d{6}$/.test(microseconds) &&
      !microseconds.endsWith('000')
    ) {
      // "2026-04-18T14:23:18.136123Z": the instant as stored, to the microsecond, where it has more
      // than milliseconds (a value written from a JavaScript Date keeps its usual form).
      return Number.isNaN(value.getTime()) ? null : `${value.toISOString().slice(0, 20)}${microseconds}Z`;
    }
    return toAuditValue(value);
  }

  /** Time columns declared with more than millisecond precision (PostgreSQL's default is microseconds). */
  private keepsMicroseconds(column: ColumnMetadata): boolean {
    const type = String(this.dataSource.driver.normalizeType(column)).toLowerCase();
    if (!/^(timestamp|datetime|time)/.test(type) || type === 'time' || type.startsWith('time ')) return false;
    // PostgreSQL's timestamps keep microseconds unless told otherwise; MySQL's DATETIME keeps seconds.
    const precision = column.precision ?? (this.dialect.name === 'postgres' ? 6 : 0);
    return precision > 3;
  }
}

/** `(pk = :a0) OR ...` for a set of keys, unqualified so it reads the same in UPDATE, DELETE and SELECT. */
export function keyCondition(
  builder: QueryBuilder<ObjectLiteral>,
  metadata: EntityMetadata,
  keys: unknown[][],
  prefix: string,
): [string, ObjectLiteral] {
  return tupleCondition(builder, metadata.primaryColumns, keys, prefix);
}

function tupleCondition(
  builder: QueryBuilder<ObjectLiteral>,
  columns: ColumnMetadata[],
  tuples: unknown[][],
  prefix: string,
): [string, ObjectLiteral] {
  if (tuples.length === 0) return ['1 = 0', {}];
  const parameters: ObjectLiteral = {};
  if (columns.length === 1) {
    const name = `${prefix}_list`;
    parameters[name] = tuples.map((tuple) => tuple[0]);
    return [`${builder.escape(columns[0].databaseName)} IN (:...${name})`, parameters];
  }
  const parts = tuples.map((tuple, row) => {
    const equalities = columns.map((column, index) => {
      const name = `${prefix}_${row}_${index}`;
      parameters[name] = tuple[index];
      return tuple[index] === null
        ? `${builder.escape(column.databaseName)} IS NULL`
        : `${builder.escape(column.databaseName)} = :${name}`;
    });
    return `(${equalities.join(' AND ')})`;
  });
  return [`(${parts.join(' OR ')})`, parameters];
}
