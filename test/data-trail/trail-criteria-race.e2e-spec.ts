import type { Repository } from 'typeorm';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { TrailItem } from './fixtures/trail-entities';
import { CommitBetweenReadAndWrite, insertElsewhere, trailOf } from './fixtures/trail-helpers';

// Issue 11, finding 4: the rows recorded for a criteria write are the rows the statement changed.
describeEachDialect('data trail, finding 4: a row committed between the read and the write', (dialect) => {
  if (dialect === 'sqlite') {
    // One writer at a time: no other connection can commit between two statements of a transaction.
    it.skip('cannot happen on SQLite (a single writer)', () => undefined);
    return;
  }

  let t: TestApp;
  let items: Repository<TrailItem>;
  const hook = new CommitBetweenReadAndWrite();

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [TrailItem], audit: { dataAudit: { enabled: true } } });
    t.dataSource.subscribers.push(hook);
    items = t.dataSource.getRepository(TrailItem);
  });
  afterAll(() => t?.close());

  const url = () => (t.dataSource.options as { url: string }).url;

  it('repo.update({ tag }, { qty: 99 }): every row left at 99 has its update row, and no update row claims a change that did not happen', async () => {
    await items.save([
      { name: 'one', tag: 'x', qty: 1 },
      { name: 'two', tag: 'x', qty: 2 },
    ]);
    let concurrentId: number | undefined;
    hook.armed = async () => {
      concurrentId = await insertElsewhere(dialect, url(), 'x');
    };
    await items.update({ tag: 'x' }, { qty: 99 });
    await hook.pending;
    expect(hook.fired).toBe(true);
    expect(concurrentId).toBeDefined();

    const atNinetyNine: Array<{ id: number }> = await t.dataSource.query('SELECT id FROM trail_items WHERE qty = 99');
    const stored = atNinetyNine.map((row) => String(row.id)).sort();
    const claimed = (await trailOf(t, 'trail_items'))
      .filter((row) => row.action === 'update' && row.newValues?.qty === 99)
      .map((row) => row.entityId)
      .sort();
    expect({ concurrentId, claimed }).toEqual({ concurrentId, claimed: stored });
  });

  it('repo.delete({ tag }): every row the statement deleted has its delete row, and every delete row names a row that is gone', async () => {
    const seeded = await items.save([
      { name: 'three', tag: 'y', qty: 3 },
      { name: 'four', tag: 'y', qty: 4 },
    ]);
    let concurrentId: number | undefined;
    hook.armed = async () => {
      concurrentId = await insertElsewhere(dialect, url(), 'y');
    };
    await items.delete({ tag: 'y' });
    await hook.pending;
    expect(hook.fired).toBe(true);

    const candidates = [...seeded.map((item) => item.id), concurrentId!];
    const remaining: Array<{ id: number }> = await t.dataSource.query('SELECT id FROM trail_items');
    const present = new Set(remaining.map((row) => Number(row.id)));
    const gone = candidates
      .filter((id) => !present.has(id))
      .map(String)
      .sort();
    const claimed = (await trailOf(t, 'trail_items'))
      .filter((row) => row.action === 'delete')
      .map((row) => row.entityId)
      .sort();
    expect({ concurrentId, claimed }).toEqual({ concurrentId, claimed: gone });
  });
});
