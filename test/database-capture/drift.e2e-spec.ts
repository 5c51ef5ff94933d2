import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { Column, DataSource, type DataSourceOptions, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { AuditModule, AuditService } from 'nestjs-audit-trail';
import { describeEachDialect, testDatabase } from '../support/test-app';
import { databaseCapture } from './support';

@Entity('drift_items')
class ItemBefore {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 50 })
  name!: string;

  @Column({ type: 'varchar', length: 50, nullable: true })
  note!: string | null;
}

/** The same table after a release that added `color`. */
@Entity('drift_items')
class ItemAfter {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 50 })
  name!: string;

  @Column({ type: 'varchar', length: 50, nullable: true })
  note!: string | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  color!: string | null;
}

async function start(
  options: DataSourceOptions,
  entity: Function,
  audit: { autoMigrate: boolean; excludeFields?: string[]; capture?: 'orm' | 'database' },
): Promise<INestApplication> {
  // Built here so that a start-up that fails (while Nest compiles the module) can still close it.
  let dataSource: DataSource | undefined;
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRootAsync({
        useFactory: () => ({ ...options, entities: [entity] }),
        dataSourceFactory: async (dataSourceOptions) => {
          dataSource = await new DataSource(dataSourceOptions!).initialize();
          return dataSource;
        },
      }),
      AuditModule.forRoot({
        ...databaseCapture({ excludeFields: audit.excludeFields, capture: audit.capture ?? 'database' }),
        autoMigrate: audit.autoMigrate,
      }),
    ],
  })
    .compile()
    .catch(async (error: unknown) => {
      if (dataSource?.isInitialized) await dataSource.destroy();
      throw error;
    });
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** A fresh database whose table got its capture triggers from one start in database mode. */
async function capturedOnce(dialect: Parameters<typeof testDatabase>[0]): Promise<DataSourceOptions> {
  const options = await testDatabase(dialect, [ItemBefore]);
  const first = await start(options, ItemBefore, { autoMigrate: true });
  await first.close();
  return options;
}

/** The message a start-up that must fail failed with ('' when it started, and is closed again). */
async function startupError(...args: Parameters<typeof start>): Promise<string> {
  return start(...args).then(
    async (app) => {
      await app.close();
      return '';
    },
    (error: Error) => error.message,
  );
}

describeEachDialect('database capture: triggers that drifted from the entities', (dialect) => {
  let options: DataSourceOptions;

  beforeAll(async () => {
    options = await capturedOnce(dialect);
  });

  it('stops start-up naming the column added since, and the exclusion that changed', async () => {
    const message = await startupError(options, ItemAfter, { autoMigrate: false, excludeFields: ['note'] });
    expect(message).toContain('the database capture triggers do not match the entities and options');
    if (dialect === 'sqlite') {
      // To add a column TypeORM rebuilds a SQLite table (create, copy, drop, rename), which drops its triggers.
      expect(message).toContain('drift_items: no capture triggers installed');
    } else {
      expect(message).toContain('drift_items: column "color" added since the triggers were installed');
      expect(message).toContain('column "note" is now excluded (excludeFields changed)');
    }
    expect(message).toContain('createAuditTriggerMigration()');
    process.stdout.write(`\n[${dialect}] drift message:\n${message}\n`);
  });

  it('refreshes them with autoMigrate, after which the new column is recorded and the excluded one is not', async () => {
    const app = await start(options, ItemAfter, { autoMigrate: true, excludeFields: ['note'] });
    try {
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const item = await dataSource.getRepository(ItemAfter).save({ name: 'lamp', note: 'secret', color: 'red' });
      const [created] = await app.get(AuditService).query({ entityType: 'drift_items', entityId: String(item.id) });
      expect(created.newValues).toEqual({ id: item.id, name: 'lamp', color: 'red' });
    } finally {
      await app.close();
    }
    // Nothing drifted any more: start-up without autoMigrate passes.
    const again = await start(options, ItemAfter, { autoMigrate: false, excludeFields: ['note'] });
    await again.close();
  });
});

/**
 * Back from database capture to ORM capture: triggers left on a table would record every change a
 * second time, beside the ORM's row. Start-up says so, or with autoMigrate takes them off.
 */
describeEachDialect('database capture: switching back to ORM capture', (dialect) => {
  let options: DataSourceOptions;

  beforeAll(async () => {
    options = await capturedOnce(dialect);
  });

  it('stops start-up naming the tables that still have capture triggers', async () => {
    const message = await startupError(options, ItemBefore, { autoMigrate: false, capture: 'orm' });
    expect(message).toContain(
      "database capture triggers are still installed on drift_items, and dataAudit.capture is 'orm'",
    );
    expect(message).toContain('createAuditTriggerMigration()');
  });

  it('with autoMigrate removes them, after which a change has exactly one row', async () => {
    const app = await start(options, ItemBefore, { autoMigrate: true, capture: 'orm' });
    try {
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const repository = dataSource.getRepository(ItemBefore);
      const item = await repository.save({ name: 'desk', note: null });
      await repository.update(item.id, { name: 'chair' });
      await dataSource.query(`UPDATE drift_items SET note = 'raw' WHERE id = ${Number(item.id)}`);
      const rows = await app.get(AuditService).query({ entityType: 'drift_items', entityId: String(item.id) });
      // The raw UPDATE is ORM capture's blind spot (documented); no trigger records it any more.
      expect(rows.map((row) => [row.action, row.userType]).reverse()).toEqual([
        ['create', 'system'],
        ['update', 'system'],
      ]);
    } finally {
      await app.close();
    }
  });
});
