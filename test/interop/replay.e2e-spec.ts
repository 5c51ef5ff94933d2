import type { DataSource, Repository } from 'typeorm';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { Voucher } from '../history/voucher.entity';
import { type GoDataRow, goAuditReplay, insertGoDataRow, rawConnection } from './go-audit-fixtures';

const second = (s: number) => new Date(Date.UTC(2026, 3, 13, 9, 0, s));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDialect("interop: snapshot and restore give go-audit's answer", (dialect) => {
  let t: TestApp;
  let raw: DataSource;
  let vouchers: Repository<Voucher>;

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [Voucher], audit: { dataAudit: { enabled: true } } });
    raw = await rawConnection(t.dataSource.options);
    vouchers = t.dataSource.getRepository(Voucher);
  });
  afterAll(async () => {
    await raw?.destroy();
    await t?.close();
  });

  let nextId = 100;
  /** Inserts go-audit rows for a fresh entity id; returns that id. */
  async function goEntity(rows: Array<Omit<GoDataRow, 'entityType' | 'entityId'>>): Promise<string> {
    const entityId = String(nextId++);
    for (const row of rows) await insertGoDataRow(raw, dialect, { ...row, entityType: 'payments', entityId });
    return entityId;
  }

  it('drops a key present in the old values but absent from the new ones', async () => {
    const id = await goEntity([
      {
        action: 'create',
        oldValues: null,
        newValues: { status: 'pending', payment_ref: 'OLD', amount: 100 },
        createdAt: second(1),
      },
      {
        action: 'update',
        oldValues: { status: 'pending', payment_ref: 'OLD' },
        newValues: { status: 'paid' },
        createdAt: second(2),
      },
    ]);

    expect(await t.audit.snapshot('payments', id, second(2))).toEqual({
      exists: true,
      values: { status: 'paid', amount: 100 },
    });
  });

  it('lets a restore row replace the whole state', async () => {
    const id = await goEntity([
      { action: 'create', oldValues: null, newValues: { a: 1 }, createdAt: second(1) },
      { action: 'update', oldValues: null, newValues: { c: 5 }, createdAt: second(2) },
      { action: 'restore', oldValues: { a: 1, c: 5 }, newValues: { a: 1 }, createdAt: second(3) },
    ]);

    expect(await t.audit.snapshot('payments', id, second(2))).toEqual({ exists: true, values: { a: 1, c: 5 } });
    expect(await t.audit.snapshot('payments', id, second(3))).toEqual({ exists: true, values: { a: 1 } });
    const restored = await t.audit.restore('payments', id, second(3));
    expect(restored).toEqual({ values: { a: 1 }, wasDeleted: false });
  });

  it('reads a restore to "did not exist" (no new values) as no entity', async () => {
    const id = await goEntity([
      { action: 'create', oldValues: null, newValues: { a: 1 }, createdAt: second(1) },
      { action: 'restore', oldValues: { a: 1 }, newValues: null, createdAt: second(2) },
    ]);

    // go-audit rebuilds `{}` here; an entity with no fields is read as one that did not exist.
    expect(await t.audit.snapshot('payments', id, second(2))).toEqual({ exists: false, values: null });
  });

  it('applies rows in id order even when their timestamps disagree', async () => {
    const id = await goEntity([
      { action: 'create', oldValues: null, newValues: { qty: 1 }, createdAt: second(5) },
      { action: 'update', oldValues: { qty: 1 }, newValues: { qty: 2 }, createdAt: second(4) },
    ]);

    expect(await t.audit.snapshot('payments', id, second(5))).toEqual({ exists: true, values: { qty: 2 } });
  });

  it('replays the rows this module writes exactly as go-audit replays them', async () => {
    const expires = new Date('2026-12-31T23:59:59.000Z');
    const voucher = await vouchers.save(
      vouchers.create({ code: 'V-9', balance: 50, active: true, note: 'hi', expiresAt: expires }),
    );
    const moments: Date[] = [];
    const mark = async () => {
      await sleep(4);
      moments.push(new Date());
      await sleep(4);
    };
    await mark();
    voucher.balance = 0;
    await vouchers.save(voucher);
    await mark();
    await vouchers.softRemove(voucher);
    await mark();
    await vouchers.recover(voucher);
    await mark();
    voucher.note = '';
    await vouchers.save(voucher);
    await mark();

    const rows = (await t.audit.query({ entityType: 'vouchers', entityId: String(voucher.id) })).reverse();
    expect(rows.map((row) => row.action)).toEqual(['create', 'update', 'soft_delete', 'restore', 'update']);
    for (const at of moments) {
      const upTo = rows.filter((row) => row.createdAt.getTime() <= at.getTime());
      const go = goAuditReplay(upTo);
      const ours = await t.audit.snapshot('vouchers', String(voucher.id), at);
      expect(ours).toEqual(go === null ? { exists: false, values: null } : { exists: true, values: go });
    }
    // And the last state is the table's.
    const last = await t.audit.snapshot('vouchers', String(voucher.id), moments[moments.length - 1]);
    expect(last.values).toMatchObject({ id: voucher.id, code: 'V-9', balance: 0, note: '', deleted_at: null });
  });
});
