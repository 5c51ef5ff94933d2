import type { DataSource, EntityMetadata, QueryRunner } from 'typeorm';
import type { ResolvedDataAuditOptions } from '../../options/audit-options';
import type { DataLogStore, StampedDataEntry } from '../../store/data-log.store';
import type { AuditContext } from '../../transaction/audit-context';
import { DataTrailRecorder } from './data-trail.recorder';

/** A store that keeps what it was asked to insert, and can be told to fail. */
class FakeStore {
  readonly tableName = 'audit_logs';
  readonly rows: StampedDataEntry[] = [];
  failing = false;
  async insert(_executor: unknown, entries: readonly StampedDataEntry[]): Promise<void> {
    if (this.failing) throw new Error('table is gone');
    this.rows.push(...entries);
  }
}

/** What the recorder reads of a QueryRunner: whether a transaction is open, its depth, and query(). */
class FakeRunner {
  isTransactionActive = true;
  transactionDepth = 1;
  readonly statements: string[] = [];
  async query(sql: string): Promise<void> {
    this.statements.push(sql);
  }
}

const context = {
  user: () => ({ id: 'u-1', type: 'user' }),
  requestMetadata: () => ({ method: 'POST', route: '/orders' }),
  transactionId: () => 'tx-1',
} as unknown as AuditContext;

function metadata(tableName: string, name: string): EntityMetadata {
  return {
    tableName,
    name,
    primaryColumns: [{ databaseName: 'id', propertyName: 'id' }],
    columns: [
      { databaseName: 'id', propertyName: 'id' },
      { databaseName: 'pin_code', propertyName: 'pinCode' },
      { databaseName: 'updated_at', propertyName: 'updatedAt' },
    ],
    updateDateColumn: { databaseName: 'updated_at' },
    versionColumn: undefined,
  } as unknown as EntityMetadata;
}

const orders = metadata('orders', 'Order');
const secrets = metadata('secrets', 'Secret');

function recorder(options: Partial<ResolvedDataAuditOptions> = {}) {
  const store = new FakeStore();
  const resolved: ResolvedDataAuditOptions = {
    enabled: true,
    table: 'audit_logs',
    excludeFields: new Set(['pinCode']),
    excludeEntities: new Set(['Secret']),
    skipOldValues: false,
    onError: 'fail-loud',
    ...options,
  } as ResolvedDataAuditOptions;
  const dataSource = { entityMetadatas: [orders, secrets], query: async () => undefined } as unknown as DataSource;
  return { store, recorder: new DataTrailRecorder(store as unknown as DataLogStore, resolved, context, dataSource) };
}

const runner = () => new FakeRunner() as unknown as QueryRunner & FakeRunner;

describe('DataTrailRecorder', () => {
  it('records an update as the changed columns only, excluded columns dropped, stamped from the scope', async () => {
    const { store, recorder: trail } = recorder();
    const queryRunner = runner();
    await trail.recordRow(queryRunner, {
      metadata: orders,
      action: 'update',
      entityId: '7',
      before: { id: 7, status: 'pending', pin_code: '1111', total: '12.50' },
      after: { id: 7, status: 'paid', pin_code: '2222', total: 12.5 },
    });
    expect(store.rows).toHaveLength(0);
    await trail.beforeCommit(queryRunner);

    expect(store.rows).toEqual([
      expect.objectContaining({
        entityType: 'orders',
        entityId: '7',
        action: 'update',
        oldValues: { status: 'pending' },
        newValues: { status: 'paid' },
        userId: 'u-1',
        transactionId: 'tx-1',
        metadata: { method: 'POST', route: '/orders' },
      }),
    ]);
  });

  it('writes no row for an update of excluded or bookkeeping columns only', async () => {
    const { store, recorder: trail } = recorder();
    const queryRunner = runner();
    await trail.recordRow(queryRunner, {
      metadata: orders,
      action: 'update',
      entityId: '7',
      before: { id: 7, pin_code: '1', updated_at: '2026-01-01T00:00:00.000Z' },
      after: { id: 7, pin_code: '2', updated_at: '2026-01-02T00:00:00.000Z' },
    });
    await trail.beforeCommit(queryRunner);
    expect(store.rows).toHaveLength(0);
  });

  it('keeps the whole target state in a restore row', async () => {
    const { store, recorder: trail } = recorder();
    const queryRunner = runner();
    await trail.recordRow(queryRunner, {
      metadata: orders,
      action: 'restore',
      entityId: '7',
      before: { id: 7, status: 'paid', deleted_at: '2026-01-01T00:00:00.000Z' },
      after: { id: 7, status: 'paid', deleted_at: null },
    });
    await trail.beforeCommit(queryRunner);
    expect(store.rows[0].newValues).toEqual({ id: 7, status: 'paid', deleted_at: null });
  });

  it('drops the rows of a rolled-back savepoint and keeps those of a released one', async () => {
    const { store, recorder: trail } = recorder();
    const queryRunner = runner();
    const change = (id: string) => ({
      metadata: orders,
      action: 'create' as const,
      entityId: id,
      before: null,
      after: { id: Number(id) },
    });
    await trail.recordRow(queryRunner, change('1'));
    queryRunner.transactionDepth = 2;
    await trail.recordRow(queryRunner, change('2'));
    await trail.beforeCommit(queryRunner); // RELEASE SAVEPOINT
    await trail.recordRow(queryRunner, change('3'));
    trail.beforeRollback(queryRunner); // ROLLBACK TO SAVEPOINT
    queryRunner.transactionDepth = 1;
    await trail.beforeCommit(queryRunner);

    expect(store.rows.map((row) => row.entityId)).toEqual(['1', '2']);
  });

  it('refuses a hand-written entry of an entity excluded by class name, named by its table', async () => {
    const { store, recorder: trail } = recorder();
    await expect(
      trail.recordEntry({ entityType: 'secrets', entityId: '1', action: 'create', newValues: { v: 1 } }),
    ).rejects.toThrow('entity type "secrets" is excluded');
    expect(store.rows).toHaveLength(0);
  });

  it('refuses an unknown action and an over-long entity id', async () => {
    const { recorder: trail } = recorder();
    await expect(trail.recordEntry({ entityType: 'orders', entityId: '1', action: 'merge' as never })).rejects.toThrow(
      'action must be one of',
    );
    await expect(
      trail.recordEntry({ entityType: 'orders', entityId: 'x'.repeat(101), action: 'create' }),
    ).rejects.toThrow('entityId must be a string of 1 to 100 characters');
  });

  it('applies skipOldValues to hand-written updates like to captured ones', async () => {
    const { store, recorder: trail } = recorder({ skipOldValues: true });
    const queryRunner = runner();
    await trail.recordRow(queryRunner, {
      metadata: orders,
      action: 'update',
      entityId: '7',
      before: { id: 7, status: 'a' },
      after: { id: 7, status: 'b' },
    });
    await trail.beforeCommit(queryRunner);
    await trail.recordEntry({
      entityType: 'orders',
      entityId: '7',
      action: 'update',
      oldValues: { status: 'b' },
      newValues: { status: 'c' },
    });
    expect(store.rows.map((row) => [row.oldValues, row.newValues])).toEqual([
      [null, { status: 'b' }],
      [null, { status: 'c' }],
    ]);
  });

  it('under fail-silent rolls back to its own savepoint, logs, and reports false for a lost hand-written row', async () => {
    const { store, recorder: trail } = recorder({ onError: 'fail-silent' });
    store.failing = true;
    const queryRunner = runner();
    await trail.recordRow(queryRunner, {
      metadata: orders,
      action: 'create',
      entityId: '1',
      before: null,
      after: { id: 1 },
    });
    await trail.beforeCommit(queryRunner);
    expect(queryRunner.statements).toEqual(['SAVEPOINT audit_trail_write', 'ROLLBACK TO SAVEPOINT audit_trail_write']);
    expect(
      await trail.recordEntry({ entityType: 'orders', entityId: '1', action: 'delete', oldValues: { id: 1 } }),
    ).toBe(false);
  });

  it('leaves the changes of one entity unrecorded while a restore writes it, and no other', async () => {
    const { store, recorder: trail } = recorder();
    const queryRunner = runner();
    const create = (id: string) => ({
      metadata: orders,
      action: 'create' as const,
      entityId: id,
      before: null,
      after: { id },
    });
    await trail.withoutRecording(queryRunner, 'orders', '1', async () => {
      await trail.recordRow(queryRunner, create('1'));
      await trail.recordRow(queryRunner, create('2'));
    });
    await trail.recordRow(queryRunner, create('1'));
    await trail.beforeCommit(queryRunner);
    expect(store.rows.map((row) => row.entityId)).toEqual(['2', '1']);
  });
});
