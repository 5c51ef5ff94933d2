import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditModule, AuditService, createAuditMigration } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { describeEachDialect, testDatabase } from '../support/test-app';

@Injectable()
class AuditSettings {
  readonly table = 'shop_audit';
}

@Module({ providers: [AuditSettings], exports: [AuditSettings] })
class SettingsModule {}

describeEachDialect('AuditModule', (dialect) => {
  it('stops start-up on a bad option, naming the option and the rule', () => {
    expect(() => AuditModule.forRoot({ dataAudit: { enabled: true, table: 'bad name' } })).toThrow(
      /option dataAudit\.table must match .*\(got "bad name"\)/,
    );
  });

  it('stops start-up on a bad option from a forRootAsync factory', async () => {
    // Opened up front so the test can close it: Nest does not close what a failed start-up opened.
    const opened = await new DataSource((await testDatabase(dialect, [Product])) as never).initialize();
    try {
      const building = Test.createTestingModule({
        imports: [
          TypeOrmModule.forRootAsync({ useFactory: () => opened.options, dataSourceFactory: async () => opened }),
          AuditModule.forRootAsync({ useFactory: () => ({ dataAudit: { enabled: true, onError: 'shrug' as never } }) }),
        ],
      }).compile();
      await expect(building).rejects.toThrow(/option dataAudit\.onError must be one of fail-loud, fail-silent/);
    } finally {
      await opened.destroy();
    }
  });

  it('forRootAsync takes options from a factory, with a custom table used in every statement', async () => {
    const database = await testDatabase(dialect, [Product]);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(database),
        AuditModule.forRootAsync({
          imports: [SettingsModule],
          inject: [AuditSettings],
          useFactory: (settings: AuditSettings) => ({ dataAudit: { enabled: true, table: settings.table } }),
        }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const product = await dataSource.getRepository(Product).save({ name: 'custom', price: 1 });
      await dataSource.getRepository(Product).update(product.id, { stock: 2 });
      const rows = await app.get(AuditService).query({ entityId: String(product.id) });
      expect(rows.map((row) => row.action)).toEqual(['update', 'create']);
      expect(Number((await dataSource.query('SELECT COUNT(*) AS n FROM shop_audit'))[0].n)).toBe(2);
      await expect(dataSource.query('SELECT COUNT(*) FROM audit_logs')).rejects.toThrow();
    } finally {
      await app.close();
    }
  });

  it('audits a named DataSource, creates tables idempotently, and leaves other DataSources alone', async () => {
    const orders = await testDatabase(dialect, [Product], { name: 'orders' });
    const other = await testDatabase(dialect, [Product]);
    const boot = async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot(other),
          TypeOrmModule.forRoot(orders),
          AuditModule.forRoot({ dataSource: 'orders', dataAudit: { enabled: true } }),
        ],
      }).compile();
      return moduleRef.createNestApplication({ logger: false }).init();
    };
    const first = await boot();
    await first.get<DataSource>(getDataSourceToken('orders')).getRepository(Product).save({ name: 'named', price: 1 });
    await first.get<DataSource>(getDataSourceToken()).getRepository(Product).save({ name: 'unaudited', price: 1 });
    await first.close();

    const second = await boot(); // the tables exist already: creating them again must be a no-op
    try {
      const rows = await second.get(AuditService).query({});
      expect(rows).toHaveLength(1);
      expect(rows[0].newValues).toMatchObject({ name: 'named' });
    } finally {
      await second.close();
    }
  });

  it('creates the indexes docs/behaviour.md names on both tables (GIN on the values only on PostgreSQL)', async () => {
    const database = await testDatabase(dialect, [Product]);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(database),
        AuditModule.forRoot({ dataAudit: { enabled: true }, apiAudit: { enabled: true } }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    const indexesOf = async (table: string): Promise<string[]> => {
      const sql = {
        postgres: `SELECT indexname AS name FROM pg_indexes WHERE tablename = '${table}' AND indexname LIKE 'idx_%'`,
        mariadb: `SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '${table}' AND index_name LIKE 'idx_%'`,
        sqlite: `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '${table}' AND name LIKE 'idx_%'`,
      }[dialect];
      const rows: Array<{ name: string }> = await app.get<DataSource>(getDataSourceToken()).query(sql);
      return rows.map((row) => row.name).sort();
    };
    try {
      const gin = dialect === 'postgres' ? ['idx_audit_logs_new_values', 'idx_audit_logs_old_values'] : [];
      // SQLite also indexes created_at read as an instant, the expression its time filters compare.
      const instant = (table: string) => (dialect === 'sqlite' ? [`idx_${table}_created_instant`] : []);
      expect(await indexesOf('audit_logs')).toEqual(
        [
          'idx_audit_logs_action',
          'idx_audit_logs_created',
          'idx_audit_logs_entity',
          'idx_audit_logs_transaction',
          'idx_audit_logs_user',
          ...gin,
          ...instant('audit_logs'),
        ].sort(),
      );
      expect(await indexesOf('audit_api_logs')).toEqual(
        [
          'idx_audit_api_logs_call',
          'idx_audit_api_logs_created',
          'idx_audit_api_logs_service',
          'idx_audit_api_logs_status',
          'idx_audit_api_logs_transaction',
          'idx_audit_api_logs_user',
          ...instant('audit_api_logs'),
        ].sort(),
      );
    } finally {
      await app.close();
    }
  });

  it('with autoMigrate off, the shipped migration creates the same tables', async () => {
    const database = await testDatabase(dialect, [Product]);
    const migrated = new DataSource({ ...database, migrations: [createAuditMigration()] } as never);
    await migrated.initialize();
    await migrated.runMigrations();
    await migrated.destroy();

    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(database),
        AuditModule.forRoot({ autoMigrate: false, dataAudit: { enabled: true }, apiAudit: { enabled: true } }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      await app.get<DataSource>(getDataSourceToken()).getRepository(Product).save({ name: 'migrated', price: 1 });
      expect(await app.get(AuditService).query({})).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('recordDataChange applies the diff, exclusion and no-op rules to changes made outside the ORM', async () => {
    const database = await testDatabase(dialect, [Product]);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(database),
        AuditModule.forRoot({ dataAudit: { enabled: true, excludeFields: ['pin'], excludeEntities: ['tokens'] } }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      const audit = app.get(AuditService);
      const dataSource = app.get<DataSource>(getDataSourceToken());
      expect(
        await audit.recordDataChange({
          entityType: 'accounts',
          entityId: '9',
          action: 'update',
          oldValues: { balance: '10.00', pin: 1 },
          newValues: { balance: 10, pin: 2 },
        }),
      ).toBe(false);
      // An excluded entity is refused, not silently dropped: the caller asked for a row it cannot have.
      await expect(
        audit.recordDataChange({ entityType: 'tokens', entityId: '1', action: 'create', newValues: { v: 1 } }),
      ).rejects.toThrow('entity type "tokens" is excluded from the data trail');
      expect(
        await audit.recordDataChange({
          entityType: 'accounts',
          entityId: '9',
          action: 'update',
          oldValues: { balance: 10, owner: 'a' },
          newValues: { balance: 0, owner: 'a' },
          userId: 'ops-7',
          userType: 'admin',
          metadata: { reason: 'manual fix' },
        }),
      ).toBe(true);
      await expect(
        dataSource.transaction(async (manager) => {
          await audit.recordDataChange(
            { entityType: 'accounts', entityId: '9', action: 'delete', oldValues: { balance: 0 } },
            manager,
          );
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await expect(
        audit.recordDataChange({
          entityType: 'accounts',
          entityId: '9',
          action: 'create',
          newValues: { v: 1 },
          transactionId: 'x'.repeat(101),
        }),
      ).rejects.toThrow(/transactionId must be 1 to 100 characters/);
      const rows = await audit.query({ entityType: 'accounts' });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        action: 'update',
        oldValues: { balance: 10 },
        newValues: { balance: 0 },
        userId: 'ops-7',
        userType: 'admin',
        metadata: { reason: 'manual fix' },
      });
      expect(rows[0].transactionId).not.toBe('');
    } finally {
      await app.close();
    }
  });
});
