import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { AuditModule, type AuditModuleOptions, AuditService } from 'nestjs-audit-trail';
import { describeEachDialect, testDatabase } from '../support/test-app';
import { Secret, TrailItem } from './fixtures/trail-entities';
import { moment, tableRow, trailOf } from './fixtures/trail-helpers';

interface Booted {
  app: INestApplication;
  dataSource: DataSource;
  audit: AuditService;
}

/** The app on an existing database, so two configurations can share one trail. */
async function boot(options: DataSourceOptions, audit: AuditModuleOptions): Promise<Booted> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(options),
      TypeOrmModule.forFeature([TrailItem, Secret]),
      AuditModule.forRoot(audit),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, dataSource: app.get<DataSource>(getDataSourceToken()), audit: app.get(AuditService) };
}

const asTestApp = (booted: Booted) => ({ ...booted, close: () => booted.app.close() });

// Issue 11, finding 6: restore writes under the key it was asked for, and excluded entities stay out.
describeEachDialect('data trail, finding 6: restore under the requested key; excluded entities refused', (dialect) => {
  let options: DataSourceOptions;
  let secretId: number;
  let beforeChange: Date;
  let t: Booted;

  beforeAll(async () => {
    options = await testDatabase(dialect, [TrailItem, Secret]);
    // Secrets were audited once (a trail exists), then the application excluded them by class name.
    const before = await boot(options, { dataAudit: { enabled: true } });
    const secret = await before.dataSource.getRepository(Secret).save({ value: 'first' });
    secretId = secret.id;
    beforeChange = await moment();
    await before.dataSource.getRepository(Secret).save({ id: secret.id, value: 'second' });
    await before.app.close();
    t = await boot(options, { dataAudit: { enabled: true, excludeEntities: ['Secret'] } });
  });
  afterAll(() => t?.app.close());

  it("applyRestore(manager, Entity, '777', at) restores row 777 even when the recorded values say id 999", async () => {
    await t.audit.recordDataChange({
      entityType: 'trail_items',
      entityId: '777',
      action: 'create',
      newValues: { id: 999, name: 'imported', tag: 'r', qty: 5, deleted_at: null },
    });
    const at = await moment();

    await t.audit.applyRestore(t.dataSource.manager, TrailItem, '777', at);

    const app = asTestApp(t);
    expect(await tableRow(app, 'trail_items', 999)).toBeUndefined();
    expect(await tableRow(app, 'trail_items', 777)).toMatchObject({ name: 'imported', tag: 'r' });
  });

  it("recordDataChange refuses an entity excluded by class name when it is named by its table ('secrets') or its class", async () => {
    const app = asTestApp(t);
    const before = (await trailOf(app, 'secrets')).length;
    for (const entityType of ['secrets', 'Secret']) {
      const outcome = await t.audit
        .recordDataChange({ entityType, entityId: '5', action: 'create', newValues: { id: 5, value: 'leak' } })
        .then(
          (recorded) => recorded,
          (error: Error) => error,
        );
      // Refused: either the documented `false` (nothing recorded) or an error that says why.
      const refused = outcome === false || (outcome instanceof Error && /exclu/i.test(outcome.message));
      const said = outcome instanceof Error ? outcome.message : outcome;
      expect({ entityType, said, refused }).toEqual({ entityType, said, refused: true });
    }
    expect((await trailOf(app, 'secrets')).length).toBe(before);
    expect(await trailOf(app, 'Secret')).toEqual([]);
  });

  it('restore and applyRestore refuse an excluded entity with an error that says it is excluded, and touch nothing', async () => {
    const app = asTestApp(t);
    const trailBefore = (await trailOf(app, 'secrets')).length;

    await expect(t.audit.restore('secrets', secretId, beforeChange)).rejects.toThrow(/exclu/i);
    await expect(t.audit.applyRestore(t.dataSource.manager, Secret, secretId, beforeChange)).rejects.toThrow(/exclu/i);

    expect(await tableRow(app, 'secrets', secretId)).toMatchObject({ value: 'second' });
    expect((await trailOf(app, 'secrets')).length).toBe(trailBefore);
  });
});
