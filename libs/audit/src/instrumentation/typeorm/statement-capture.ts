import {
  type DataSource,
  DeleteQueryBuilder,
  type EntityMetadata,
  InsertQueryBuilder,
  type InsertResult,
  type ObjectLiteral,
  type QueryRunner,
  UpdateQueryBuilder,
} from 'typeorm';
// Not re-exported from typeorm's index; softDelete(), restore(), softRemove() and recover() build one.
import { SoftDeleteQueryBuilder } from 'typeorm/query-builder/SoftDeleteQueryBuilder';
import type { DataAction } from '../../store/audit-entry';
import type { DataTrailRecorder, RowScope } from '../../trails/data/data-trail.recorder';
import { toAuditValue } from '../../trails/data/column-values';
import { KEYS_PER_STATEMENT, RowReader, type StoredRow, keyCondition } from './row-reader';

type ColumnMetadata = EntityMetadata['columns'][number];
type Builder =
  UpdateQueryBuilder<ObjectLiteral> | DeleteQueryBuilder<ObjectLiteral> | InsertQueryBuilder<ObjectLiteral>;
type Execute = (this: Builder) => Promise<unknown>;

/** What one audited DataSource needs to capture its statements. */
interface Capture {
  recorder: DataTrailRecorder;
  reader: RowReader;
}

const captures = new Map<DataSource, Capture>();
const originals = new Map<{ prototype: { execute: Execute } }, Execute>();
const BUILDERS = [
  InsertQueryBuilder,
  UpdateQueryBuilder,
  DeleteQueryBuilder,
  SoftDeleteQueryBuilder,
] as unknown as Array<{
  prototype: { execute: Execute };
}>;

/**
 * ORM capture at the one place every TypeORM write goes through: the `execute` of the insert,
 * update, delete and soft-delete query builders. `save`, `remove`, `softRemove`, `recover`, cascades,
 * orphan removal, many-to-many join rows, `update/delete/increment/upsert/...` by criteria and
 * QueryBuilder writes however obtained all end there, so one mechanism records all of them.
 *
 * For each statement on an audited table, inside the caller's transaction or one opened here (so the
 * audit rows commit or roll back with the write): the matching rows are read first (locked where the
 * database has row locks), the statement runs narrowed to exactly those rows (a row committed by
 * someone else in between is left alone rather than changed without a trail row), the rows are read
 * again, and each row's change is recorded from what the database held before and after.
 *
 * The patches are on the builders' prototypes, shared by every DataSource in the process; they are
 * installed with the first attached DataSource and removed with the last, and statements of a
 * DataSource that is not attached run untouched.
 */
export function attachStatementCapture(dataSource: DataSource, recorder: DataTrailRecorder): () => void {
  captures.set(dataSource, { recorder, reader: new RowReader(dataSource) });
  if (originals.size === 0) {
    for (const builder of BUILDERS) {
      const original = builder.prototype.execute;
      originals.set(builder, original);
      builder.prototype.execute = function capturedExecute(this: Builder) {
        return captured(this, original);
      };
    }
  }
  return () => {
    captures.delete(dataSource);
    if (captures.size > 0) return;
    for (const [builder, original] of originals) builder.prototype.execute = original;
    originals.clear();
  };
}

function captured(builder: Builder, original: Execute): Promise<unknown> {
  const capture = captures.get(builder.connection);
  const map = builder.expressionMap;
  const metadata = map.mainAlias?.hasMetadata ? map.mainAlias.metadata : undefined;
  if (!capture || !metadata || !capture.recorder.audits(metadata)) return original.call(builder);
  if (builder instanceof InsertQueryBuilder && map.insertFromSelect) {
    // INSERT ... SELECT names no rows up front; the statement runs as written and is not attributed.
    return original.call(builder);
  }
  return inTransaction(builder, async (queryRunner) => {
    if (builder instanceof InsertQueryBuilder) return captureInsert(builder, original, metadata, queryRunner, capture);
    // Rows inserted earlier in this transaction are read back before anything may change them.
    await resolveDeferredInserts(queryRunner);
    return captureChange(builder, original, metadata, queryRunner, capture);
  });
}

/** The query runner a builder was given (TypeORM keeps it protected). */
function runnerOf(builder: Builder): QueryRunner | undefined {
  return (builder as unknown as { queryRunner?: QueryRunner }).queryRunner;
}

/**
 * Runs `work` in the transaction the statement would run in, or in one opened (and committed) here
 * around the statement. On SQLite TypeORM shares one query runner for the whole DataSource, so a fresh
 * runner may already be inside another call's transaction: the statement joins it, as it would
 * without the module.
 */
async function inTransaction<T>(builder: Builder, work: (queryRunner: QueryRunner) => Promise<T>): Promise<T> {
  const given = runnerOf(builder);
  const queryRunner = given ?? builder.connection.createQueryRunner();
  if (!given) builder.setQueryRunner(queryRunner);
  try {
    if (queryRunner.isTransactionActive) return await work(queryRunner);
    await queryRunner.startTransaction();
    try {
      const result = await work(queryRunner);
      await queryRunner.commitTransaction();
      return result;
    } catch (error) {
      await queryRunner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  } finally {
    if (!given) {
      (builder as unknown as { queryRunner?: QueryRunner }).queryRunner = undefined;
      await queryRunner.release();
    }
  }
}

function actionOf(builder: Builder): DataAction {
  const type = builder.expressionMap.queryType;
  if (type === 'delete') return 'delete';
  if (type === 'soft-delete') return 'soft_delete';
  if (type === 'restore') return 'restore';
  return 'update';
}

/** UPDATE, DELETE, soft delete and restore: read, run narrowed to what was read, read again, record. */
async function captureChange(
  builder: Builder,
  original: Execute,
  metadata: EntityMetadata,
  queryRunner: QueryRunner,
  { reader, recorder }: Capture,
): Promise<unknown> {
  const action = actionOf(builder);
  const before = await reader.matching(builder, metadata, queryRunner, true);
  const result = await runNarrowed(builder, original, metadata, before);
  if (action === 'delete') {
    for (const row of before) {
      await recorder.recordRow(queryRunner, {
        metadata,
        action,
        entityId: row.entityId,
        before: row.values,
        after: null,
      });
    }
    return result;
  }
  // A statement that sets the primary key moves the row to a new key: it is read back there.
  const rekey = newKeyOf(builder, metadata);
  const after = await reader.byKeys(
    metadata,
    queryRunner,
    before.map((row) => rekey(row.key)),
  );
  const afterByKey = new Map(after.map((row) => [keyText(row.key), row]));
  for (const row of before) {
    const next = afterByKey.get(keyText(rekey(row.key)));
    if (!next) continue;
    if (next.entityId === row.entityId) {
      await recorder.recordRow(queryRunner, {
        metadata,
        action,
        entityId: row.entityId,
        before: row.values,
        after: next.values,
      });
      continue;
    }
    // The trail names an entity by its key, so a row whose key changed ends under the old key and
    // begins under the new one, each side with the values the database held.
    await recorder.recordRow(queryRunner, {
      metadata,
      action: 'delete',
      entityId: row.entityId,
      before: row.values,
      after: null,
    });
    await recorder.recordRow(queryRunner, {
      metadata,
      action: 'create',
      entityId: next.entityId,
      before: null,
      after: next.values,
    });
  }
  return result;
}

function keyText(key: unknown[]): string {
  return JSON.stringify(key.map((part) => (part instanceof Date ? part.toISOString() : String(part))));
}

/** Maps a row's key to the key it has after the statement: the SET's literal key values, if any. */
function newKeyOf(builder: Builder, metadata: EntityMetadata): (key: unknown[]) => unknown[] {
  const values = builder.expressionMap.valuesSet;
  if (!values || Array.isArray(values)) return (key) => key;
  const driver = builder.connection.driver;
  const replaced = metadata.primaryColumns.map((column) => {
    const value = column.getEntityValue(values as ObjectLiteral);
    return value === undefined || typeof value === 'function'
      ? undefined
      : driver.preparePersistentValue(value, column);
  });
  if (replaced.every((value) => value === undefined)) return (key) => key;
  return (key) => key.map((part, index) => replaced[index] ?? part);
}

/**
 * Runs a copy of the statement with the keys read beforehand added to its WHERE, so it changes exactly
 * the rows that were read (and locked). The caller's builder is left as it was. A large key set runs
 * as several statements whose results are summed.
 */
async function runNarrowed(
  builder: Builder,
  original: Execute,
  metadata: EntityMetadata,
  rows: StoredRow[],
): Promise<unknown> {
  const chunks: StoredRow[][] = [];
  for (let start = 0; start < rows.length; start += KEYS_PER_STATEMENT) {
    chunks.push(rows.slice(start, start + KEYS_PER_STATEMENT));
  }
  if (chunks.length === 0) chunks.push([]);
  let combined: { affected?: number; raw?: unknown; generatedMaps?: ObjectLiteral[] } | undefined;
  for (const chunk of chunks) {
    const narrowed = builder.clone() as UpdateQueryBuilder<ObjectLiteral>;
    narrowed.setQueryRunner(runnerOf(builder)!);
    const [condition, parameters] = keyCondition(
      narrowed,
      metadata,
      chunk.map((row) => row.key),
      'audit_narrow',
    );
    // TypeORM brackets this condition apart from the caller's own (`WHERE (a OR b) AND (keys)`), so an
    // `orWhere` cannot escape the narrowing.
    const map = narrowed.expressionMap;
    map.extraAppendedAndWhereCondition = map.extraAppendedAndWhereCondition
      ? `(${map.extraAppendedAndWhereCondition}) AND ${condition}`
      : condition;
    narrowed.setParameters(parameters);
    const result = (await original.call(narrowed)) as {
      affected?: number;
      raw?: unknown;
      generatedMaps?: ObjectLiteral[];
    };
    if (!combined) {
      combined = result;
      continue;
    }
    // Several statements answer as one: counts add up, RETURNING rows and generated maps follow on.
    if (typeof combined.affected === 'number' && typeof result.affected === 'number') {
      combined.affected += result.affected;
    }
    if (Array.isArray(combined.raw) && Array.isArray(result.raw)) combined.raw = [...combined.raw, ...result.raw];
    if (combined.generatedMaps && result.generatedMaps) combined.generatedMaps.push(...result.generatedMaps);
  }
  return combined;
}

/**
 * INSERT, and upsert (INSERT ... ON CONFLICT / ON DUPLICATE KEY) which TypeORM builds as an insert:
 * the rows are read back after the statement by the keys TypeORM reports, so a `create` row holds the
 * row as stored: database defaults, generated and foreign-key columns included. For an upsert the
 * rows that already existed are read first and recorded as updates (or not at all when unchanged).
 */
async function captureInsert(
  builder: InsertQueryBuilder<ObjectLiteral>,
  original: Execute,
  metadata: EntityMetadata,
  queryRunner: QueryRunner,
  capture: Capture,
): Promise<unknown> {
  const { reader, recorder } = capture;
  const map = builder.expressionMap;
  const isUpsert = Boolean(map.onUpdate || map.onIgnore);
  const target = isUpsert ? conflictTarget(builder, metadata) : undefined;
  // Existing rows are read without a lock: on MySQL/MariaDB a locking read of keys that do not exist
  // yet takes gap locks that deadlock against concurrent inserts. The statement itself locks the rows
  // it touches, and the read after it (in the same transaction) sees them as they are.
  if (target) await resolveDeferredInserts(queryRunner);
  const existing = target ? await reader.byColumns(metadata, queryRunner, target.columns, target.tuples, false) : [];
  const result = (await original.call(withIdentifiers(builder))) as InsertResult;
  if (!target) {
    deferInsert(queryRunner, { capture, metadata, identifiers: result.identifiers.filter(isCompleteId(metadata)) });
    return result;
  }
  const stored = await reader.byColumns(metadata, queryRunner, target.columns, target.tuples, false);
  const previous = new Map(existing.map((row) => [row.entityId, row]));
  for (const row of stored) {
    const before = previous.get(row.entityId);
    await recorder.recordRow(queryRunner, {
      metadata,
      action: before ? 'update' : 'create',
      entityId: row.entityId,
      before: before?.values ?? null,
      after: row.values,
    });
  }
  return result;
}

/** Inserted rows whose read-back waits for the next statement that could change a row, or the commit. */
interface DeferredInsert {
  capture: Capture;
  metadata: EntityMetadata;
  identifiers: ObjectLiteral[];
  depth: number;
  at: Date;
  scope: RowScope;
}

const deferredInserts = new WeakMap<QueryRunner, DeferredInsert[]>();

function depthOf(queryRunner: QueryRunner): number {
  return (queryRunner as unknown as { transactionDepth?: number }).transactionDepth ?? 1;
}

function deferInsert(queryRunner: QueryRunner, insert: Omit<DeferredInsert, 'depth' | 'at' | 'scope'>): void {
  // A row written while its entity is left unrecorded (applyRestore) is decided now, not at commit.
  const { recorder } = insert.capture;
  const table = insert.metadata.tableName;
  insert.identifiers = insert.identifiers.filter(
    (id) => !recorder.isSilenced(queryRunner, table, idText(insert.metadata, id)),
  );
  if (insert.identifiers.length === 0) return;
  const list = deferredInserts.get(queryRunner) ?? [];
  list.push({ ...insert, depth: depthOf(queryRunner), at: new Date(), scope: recorder.scopeNow() });
  deferredInserts.set(queryRunner, list);
}

/**
 * Reads back the rows inserted so far in this transaction and records their `create` rows, stamped
 * with the time of their own statement. Deferring the read lets a transaction of many inserts read
 * them back in a few statements instead of one each; it is done before any UPDATE, DELETE or upsert
 * (which could change them) and before COMMIT, so each row is read as its INSERT left it. An INSERT of
 * other rows changes none of them, so inserts do not force it.
 */
export async function resolveDeferredInserts(queryRunner: QueryRunner): Promise<void> {
  const list = deferredInserts.get(queryRunner);
  if (!list?.length) return;
  deferredInserts.delete(queryRunner);
  const groups = new Map<EntityMetadata, DeferredInsert[]>();
  for (const insert of list) groups.set(insert.metadata, [...(groups.get(insert.metadata) ?? []), insert]);
  for (const [metadata, inserts] of groups) {
    const { reader, recorder } = inserts[0].capture;
    const origin = new Map<string, DeferredInsert>();
    for (const insert of inserts) {
      for (const id of insert.identifiers) origin.set(idText(metadata, id), insert);
    }
    const rows = await reader.byIdentifiers(
      metadata,
      queryRunner,
      inserts.flatMap((insert) => insert.identifiers),
    );
    for (const row of rows) {
      await recorder.recordRow(queryRunner, {
        metadata,
        action: 'create',
        entityId: row.entityId,
        before: null,
        after: row.values,
        at: (origin.get(row.entityId) ?? inserts[0]).at,
        // An id that cannot be matched to its statement takes the innermost depth: a rollback may
        // then drop its row, but never keeps a row for an insert that was rolled back.
        depth: origin.get(row.entityId)?.depth ?? Math.max(...inserts.map((insert) => insert.depth)),
        scope: (origin.get(row.entityId) ?? inserts[0]).scope,
      });
    }
  }
}

/** A savepoint was rolled back: its inserted rows are gone, so are their pending read-backs. */
export function dropDeferredInserts(queryRunner: QueryRunner): void {
  const list = deferredInserts.get(queryRunner);
  if (!list) return;
  const depth = depthOf(queryRunner);
  const kept = list.filter((insert) => insert.depth < depth);
  if (kept.length) deferredInserts.set(queryRunner, kept);
  else deferredInserts.delete(queryRunner);
}

/** A savepoint was released: its inserts now belong to the enclosing transaction. */
export function releaseDeferredInserts(queryRunner: QueryRunner): void {
  const depth = depthOf(queryRunner);
  for (const insert of deferredInserts.get(queryRunner) ?? []) {
    if (insert.depth >= depth) insert.depth = depth - 1;
  }
}

/** The trail's text of an id map, as the reader writes it for the same row. */
function idText(metadata: EntityMetadata, id: ObjectLiteral): string {
  const parts = metadata.primaryColumns.map((column) => toAuditValue(column.getEntityValue(id)));
  return parts.length === 1 ? String(parts[0]) : JSON.stringify(parts);
}

/**
 * TypeORM reports the keys of inserted rows (`InsertResult.identifiers`) only with `updateEntity` on,
 * which also writes generated values into the caller's objects. A statement that turned it off runs
 * as a copy with it on over copies of the values, so the keys are known and the caller's objects stay
 * as they were.
 */
function withIdentifiers(builder: InsertQueryBuilder<ObjectLiteral>): InsertQueryBuilder<ObjectLiteral> {
  if (builder.expressionMap.updateEntity) return builder;
  const copy = builder.clone();
  copy.setQueryRunner(runnerOf(builder)!);
  const values = copy.expressionMap.valuesSet;
  copy.expressionMap.valuesSet = Array.isArray(values)
    ? values.map((value: ObjectLiteral) => ({ ...value }))
    : values && typeof values === 'object'
      ? { ...(values as ObjectLiteral) }
      : values;
  return copy.updateEntity(true);
}

function isCompleteId(metadata: EntityMetadata): (id: ObjectLiteral | undefined) => id is ObjectLiteral {
  return (id): id is ObjectLiteral =>
    id !== undefined &&
    metadata.primaryColumns.every((column) => {
      const value = column.getEntityValue(id);
      return value !== undefined && value !== null;
    });
}

/** The columns an upsert conflicts on and each value set's values for them. */
function conflictTarget(
  builder: InsertQueryBuilder<ObjectLiteral>,
  metadata: EntityMetadata,
): { columns: ColumnMetadata[]; tuples: unknown[][] } {
  const map = builder.expressionMap;
  const named = map.onUpdate?.conflict;
  const names = Array.isArray(named)
    ? named
    : typeof named === 'string' && /^[\w", ]+$/.test(named)
      ? named.split(',')
      : [];
  let columns = names
    .map((name) => name.replace(/["`\s()]/g, ''))
    .map((name) => metadata.columns.find((column) => column.databaseName === name || column.propertyPath === name))
    .filter((column): column is ColumnMetadata => column !== undefined);
  if (columns.length === 0) columns = metadata.primaryColumns;
  const valueSets = (Array.isArray(map.valuesSet) ? map.valuesSet : [map.valuesSet]).filter(Boolean) as ObjectLiteral[];
  const driver = builder.connection.driver;
  const tuples = valueSets
    .map((values) => columns.map((column) => driver.preparePersistentValue(column.getEntityValue(values), column)))
    .filter((tuple) => tuple.every((value) => value !== undefined));
  return { columns, tuples };
}
