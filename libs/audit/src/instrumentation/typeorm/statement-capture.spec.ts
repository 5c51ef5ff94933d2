import { DataSource, DeleteQueryBuilder, InsertQueryBuilder, UpdateQueryBuilder } from 'typeorm';
import { SoftDeleteQueryBuilder } from 'typeorm/query-builder/SoftDeleteQueryBuilder';
import type { DataTrailRecorder } from '../../trails/data/data-trail.recorder';
import { attachStatementCapture } from './statement-capture';

const builders = [InsertQueryBuilder, UpdateQueryBuilder, DeleteQueryBuilder, SoftDeleteQueryBuilder];
const executes = () => builders.map((builder) => builder.prototype.execute);
const recorder = { audits: () => false } as unknown as DataTrailRecorder;

describe('attachStatementCapture', () => {
  it('patches the builders once for any number of DataSources and restores them with the last detach', () => {
    const before = executes();
    const first = attachStatementCapture(new DataSource({ type: 'better-sqlite3', database: ':memory:' }), recorder);
    const patched = executes();
    const second = attachStatementCapture(new DataSource({ type: 'better-sqlite3', database: ':memory:' }), recorder);

    expect(patched.every((execute, index) => execute !== before[index])).toBe(true);
    expect(executes()).toEqual(patched);
    first();
    expect(executes()).toEqual(patched);
    second();
    expect(executes()).toEqual(before);
  });

  it('leaves the statements of a DataSource that is not attached untouched', async () => {
    const attached = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    const other = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
    const audits = jest.fn(() => true);
    const detach = attachStatementCapture(attached, { audits } as unknown as DataTrailRecorder);
    try {
      await other.query('CREATE TABLE note (id integer primary key, title text)');
      await other.createQueryBuilder().insert().into('note').values({ id: 1, title: 'a' }).execute();
      expect(audits).not.toHaveBeenCalled();
      expect(await other.query('SELECT title FROM note')).toEqual([{ title: 'a' }]);
    } finally {
      detach();
      await other.destroy();
    }
  });
});
