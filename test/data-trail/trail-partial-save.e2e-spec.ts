import type { Repository } from 'typeorm';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { canonicalRow } from './fixtures/canonical-values';
import { Note } from './fixtures/trail-entities';
import { moment, tableRow, trailOf } from './fixtures/trail-helpers';

/** The row as the table holds it, minus the excluded column: what the trail may claim. */
function visible(row: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!row) return null;
  const { password: _password, ...rest } = row;
  return canonicalRow(rest);
}

// Issue 11, finding 1: a partial save must not record the columns it did not carry as going to null.
describeEachDialect('data trail, finding 1: partial saves record only values the database held', (dialect) => {
  let t: TestApp;
  let notes: Repository<Note>;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Note],
      audit: { dataAudit: { enabled: true, excludeFields: ['password'] } },
    });
    notes = t.dataSource.getRepository(Note);
  });
  afterAll(() => t?.close());

  it('save({ id, title }) records title only; the untouched nullable body stays out of the row', async () => {
    const note = await notes.save(notes.create({ title: 'a', body: 'keep me' }));
    await notes.save({ id: note.id, title: 'b' });

    expect((await tableRow(t, 'note', note.id))?.body).toBe('keep me');
    const trail = await trailOf(t, 'note', note.id);
    expect(trail.map((row) => row.action)).toEqual(['create', 'update']);
    expect(trail[1].oldValues).toEqual({ title: 'a' });
    expect(trail[1].newValues).toEqual({ title: 'b' });
  });

  it('an update of the excluded field only writes no row at all', async () => {
    const note = await notes.save(notes.create({ title: 'p', body: 'keep me', password: 'one' }));
    await notes.save({ id: note.id, password: 'two' });

    expect((await tableRow(t, 'note', note.id))?.password).toBe('two');
    expect((await trailOf(t, 'note', note.id)).map((row) => row.action)).toEqual(['create']);
  });

  it('snapshot after a partial save equals the table, and applyRestore brings back the values the table held', async () => {
    const note = await notes.save(notes.create({ title: 'a', body: 'keep me' }));
    await notes.save({ id: note.id, title: 'b' });
    const afterPartialSave = await moment();
    await notes.save({ id: note.id, title: 'c' });

    const now = await t.audit.snapshot('note', note.id, new Date(Date.now() + 1000));
    expect(now.exists).toBe(true);
    expect(now.values?.body).toBe('keep me');
    expect(canonicalRow(now.values)).toEqual(visible(await tableRow(t, 'note', note.id)));

    const result = await t.audit.applyRestore(t.dataSource.manager, Note, note.id, afterPartialSave);
    expect(result.values).toMatchObject({ title: 'b', body: 'keep me' });
    const stored = await tableRow(t, 'note', note.id);
    expect(stored).toMatchObject({ title: 'b', body: 'keep me' });
  });

  it('a create row holds database defaults, the generated column and the creation date as stored', async () => {
    const saved = await notes.save(notes.create({ title: 'd' }));
    await notes.insert({ title: 'e' });
    await t.dataSource.createQueryBuilder().insert().into(Note).values({ title: 'f' }).execute();

    for (const title of ['d', 'e', 'f']) {
      const stored = (await t.dataSource.query(`SELECT * FROM note WHERE title = '${title}'`))[0];
      expect(stored).toMatchObject({ status: 'draft' });
      expect(Number(stored.priority_doubled)).toBe(6);
      const trail = await trailOf(t, 'note', stored.id);
      expect(trail.map((row) => row.action)).toEqual(['create']);
      expect({ title, create: canonicalRow(trail[0].newValues) }).toEqual({ title, create: visible(stored) });
    }
    expect(saved.id).toBeGreaterThan(0);
  });
});
