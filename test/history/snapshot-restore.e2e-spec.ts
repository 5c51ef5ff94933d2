import type { Repository } from 'typeorm';
import { type DataAuditOptions, type DataLog, type EntitySnapshot, entityFromValues } from 'nestjs-audit-trail';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { Voucher } from './voucher.entity';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A moment strictly between the rows written before it and those written after: created_at keeps
 * milliseconds, so a few milliseconds on each side keep the order unambiguous without asserting any time.
 */
async function moment(): Promise<Date> {
  await sleep(4);
  const at = new Date();
  await sleep(4);
  return at;
}

const NOTHING: EntitySnapshot = { exists: false, values: null };
const EXPIRES = new Date('2026-12-31T23:59:59.000Z');

// The same cases in both capture modes: in database mode the triggers write the rows, and the
// write that applyRestore makes must still leave exactly one `restore` row, not that and the trigger's.
for (const capture of ['orm', 'database'] as const)
  describeEachDialect(`history: snapshot and restore (${capture} capture)`, (dialect) => {
    let t: TestApp;
    let vouchers: Repository<Voucher>;

    beforeAll(async () => {
      const dataAudit = { enabled: true, capture } as DataAuditOptions;
      t = await createTestApp({ dialect, entities: [Voucher], audit: { dataAudit } });
      vouchers = t.dataSource.getRepository(Voucher);
    });
    afterAll(() => t?.close());

    const trailOf = async (id: number): Promise<DataLog[]> =>
      (await t.audit.query({ entityType: 'vouchers', entityId: String(id) })).reverse();
    const actionsOf = async (id: number) => (await trailOf(id)).map((row) => row.action);

    /** A voucher created, then its balance set to 0, then made inactive with an empty note. */
    async function voucherWithHistory() {
      const voucher = await vouchers.save(
        vouchers.create({ code: 'V-1', balance: 50, active: true, note: 'welcome', expiresAt: EXPIRES }),
      );
      const created = {
        id: voucher.id,
        code: 'V-1',
        balance: 50,
        active: true,
        note: 'welcome',
        expires_at: EXPIRES.toISOString(),
        deleted_at: null,
      };
      const afterCreate = await moment();
      voucher.balance = 0;
      await vouchers.save(voucher);
      const emptied = { ...created, balance: 0 };
      const afterEmpty = await moment();
      voucher.active = false;
      voucher.note = '';
      await vouchers.save(voucher);
      const disabled = { ...emptied, active: false, note: '' };
      const afterDisable = await moment();
      return { voucher, created, afterCreate, emptied, afterEmpty, disabled, afterDisable };
    }

    it('replays create, update, update, soft delete, recover, update, delete at every moment, keeping 0, false and ""', async () => {
      const beforeCreate = await moment();
      const { voucher, created, afterCreate, emptied, afterEmpty, disabled, afterDisable } = await voucherWithHistory();
      await vouchers.softRemove(voucher);
      const afterSoftDelete = await moment();
      await vouchers.recover(voucher);
      const afterRecover = await moment();
      voucher.note = 'back';
      voucher.balance = 7;
      await vouchers.save(voucher);
      const renewed = { ...disabled, note: 'back', balance: 7 };
      const afterRenew = await moment();
      await vouchers.remove(voucher);
      const afterDelete = await moment();

      expect(await actionsOf(created.id)).toEqual([
        'create',
        'update',
        'update',
        'soft_delete',
        'restore',
        'update',
        'delete',
      ]);
      const at = (when: Date) => t.audit.snapshot('vouchers', created.id, when);
      expect(await at(beforeCreate)).toEqual(NOTHING);
      expect(await at(afterCreate)).toEqual({ exists: true, values: created });
      expect(await at(afterEmpty)).toEqual({ exists: true, values: emptied });
      expect(await at(afterDisable)).toEqual({ exists: true, values: disabled });
      expect(await at(afterSoftDelete)).toEqual(NOTHING);
      expect(await at(afterRecover)).toEqual({ exists: true, values: disabled });
      expect(await at(afterRenew)).toEqual({ exists: true, values: renewed });
      expect(await at(afterDelete)).toEqual(NOTHING);

      // A replay that skipped zero values would lose these; here they are fields like any other.
      const { values } = await at(afterDisable);
      expect(values).toHaveProperty('balance', 0);
      expect(values).toHaveProperty('active', false);
      expect(values).toHaveProperty('note', '');
    });

    it('restore records old = current and new = target, and leaves the table to the caller', async () => {
      const { voucher, created, afterCreate, disabled } = await voucherWithHistory();

      const result = await t.audit.restore('vouchers', voucher.id, afterCreate);

      expect(result).toEqual({ values: created, wasDeleted: false });
      const trail = await trailOf(voucher.id);
      expect(trail.map((row) => row.action)).toEqual(['create', 'update', 'update', 'restore']);
      const restoreRow = trail[3];
      expect(restoreRow.oldValues).toEqual(disabled);
      expect(restoreRow.newValues).toEqual(created);
      expect(restoreRow.metadata).toMatchObject({ restoredTo: afterCreate.toISOString() });
      expect(await vouchers.findOneByOrFail({ id: voucher.id })).toMatchObject({ balance: 0, active: false, note: '' });
    });

    it('applyRestore writes the entity back with exactly one restore row and no update row', async () => {
      const { voucher, created, afterCreate } = await voucherWithHistory();

      const result = await t.audit.applyRestore(t.dataSource.manager, Voucher, voucher.id, afterCreate);

      expect(result).toEqual({ values: created, wasDeleted: false });
      const stored = await vouchers.findOneByOrFail({ id: voucher.id });
      expect(stored).toMatchObject({ code: 'V-1', balance: 50, active: true, note: 'welcome', deletedAt: null });
      expect(new Date(stored.expiresAt!).toISOString()).toBe(EXPIRES.toISOString());
      expect(await actionsOf(voucher.id)).toEqual(['create', 'update', 'update', 'restore']);
      // The trail now tells the same story as the table.
      expect(await t.audit.snapshot('vouchers', voucher.id, new Date(Date.now() + 1000))).toEqual({
        exists: true,
        values: created,
      });
    });

    it('applyRestore brings back a soft-deleted entity, and a hard-deleted one under its old id', async () => {
      const soft = await voucherWithHistory();
      await vouchers.softRemove(soft.voucher);
      await moment();
      await t.audit.applyRestore(t.dataSource.manager, Voucher, soft.voucher.id, soft.afterEmpty);
      expect(await vouchers.findOneByOrFail({ id: soft.voucher.id })).toMatchObject({ balance: 0, active: true });
      expect(await actionsOf(soft.voucher.id)).toEqual(['create', 'update', 'update', 'soft_delete', 'restore']);

      const hard = await voucherWithHistory();
      const id = hard.voucher.id;
      await vouchers.remove(hard.voucher);
      await moment();
      const result = await t.audit.applyRestore(t.dataSource.manager, Voucher, id, hard.afterDisable);
      expect(result).toEqual({ values: hard.disabled, wasDeleted: false });
      expect(await vouchers.findOneByOrFail({ id })).toMatchObject({ id, balance: 0, active: false, note: '' });
      expect(await actionsOf(id)).toEqual(['create', 'update', 'update', 'delete', 'restore']);
      const restoreRow = (await trailOf(id)).at(-1)!;
      expect(restoreRow.oldValues).toBeNull();
      expect(restoreRow.newValues).toEqual(hard.disabled);
    });

    it('restoring to before the creation returns wasDeleted and no values, stores new_values NULL, and applies as a delete', async () => {
      const beforeCreate = await moment();
      const { voucher, disabled } = await voucherWithHistory();

      const result = await t.audit.restore('vouchers', voucher.id, beforeCreate);
      expect(result).toEqual({ wasDeleted: true, values: null });
      const restoreRow = (await trailOf(voucher.id)).at(-1)!;
      expect(restoreRow.action).toBe('restore');
      expect(restoreRow.oldValues).toEqual(disabled);
      expect(restoreRow.newValues).toBeNull();
      expect(await vouchers.findOneBy({ id: voucher.id })).not.toBeNull();

      const applied = await t.audit.applyRestore(t.dataSource.manager, Voucher, voucher.id, beforeCreate);
      expect(applied).toEqual({ wasDeleted: true, values: null });
      expect(await vouchers.findOne({ where: { id: voucher.id }, withDeleted: true })).toBeNull();
      expect(await actionsOf(voucher.id)).toEqual(['create', 'update', 'update', 'restore', 'restore']);
      expect(await t.audit.snapshot('vouchers', voucher.id, new Date(Date.now() + 1000))).toEqual(NOTHING);
    });

    it('restoring to a soft-deleted moment soft-deletes again rather than destroying the row', async () => {
      const { voucher, disabled } = await voucherWithHistory();
      await vouchers.softRemove(voucher);
      const whileSoftDeleted = await moment();
      await vouchers.recover(voucher);
      await moment();

      const result = await t.audit.applyRestore(t.dataSource.manager, Voucher, voucher.id, whileSoftDeleted);

      expect(result.wasDeleted).toBe(true);
      expect(result.values).toMatchObject({ ...disabled, deleted_at: expect.any(String) });
      expect(await vouchers.findOneBy({ id: voucher.id })).toBeNull();
      expect(await vouchers.findOne({ where: { id: voucher.id }, withDeleted: true })).toMatchObject({
        balance: 0,
        deletedAt: expect.any(Date),
      });
      expect(await t.audit.snapshot('vouchers', voucher.id, new Date(Date.now() + 1000))).toEqual(NOTHING);
    });

    it("applyRestore joins the caller's transaction: a rollback undoes both the write and the restore row", async () => {
      const { voucher, afterCreate } = await voucherWithHistory();

      await expect(
        t.dataSource.transaction(async (manager) => {
          await t.audit.applyRestore(manager, Voucher, voucher.id, afterCreate);
          throw new Error('checkout failed');
        }),
      ).rejects.toThrow('checkout failed');

      expect(await vouchers.findOneByOrFail({ id: voucher.id })).toMatchObject({ balance: 0, active: false });
      expect(await actionsOf(voucher.id)).toEqual(['create', 'update', 'update']);
    });

    it('documented: applying restore() values through a repository adds the subscriber update row after the restore row', async () => {
      const { voucher, afterCreate } = await voucherWithHistory();

      const { values } = await t.audit.restore('vouchers', voucher.id, afterCreate);
      await vouchers.save(vouchers.create(entityFromValues(t.dataSource.getMetadata(Voucher), values!)));

      expect(await vouchers.findOneByOrFail({ id: voucher.id })).toMatchObject({ balance: 50, active: true });
      expect(await actionsOf(voucher.id)).toEqual(['create', 'update', 'update', 'restore', 'update']);
    });

    it('rejects what it cannot answer with a clear error', async () => {
      await expect(t.audit.restore('vouchers', 987654, new Date())).rejects.toThrow(
        /nothing is recorded for vouchers#987654/,
      );
      await expect(t.audit.snapshot('vouchers', 1, new Date('not a date'))).rejects.toThrow(/a valid Date is required/);
      await expect(t.audit.snapshot('', 1, new Date())).rejects.toThrow(/an entity type/);
      expect(await t.audit.snapshot('vouchers', 987654, new Date())).toEqual(NOTHING);
    });
  });
