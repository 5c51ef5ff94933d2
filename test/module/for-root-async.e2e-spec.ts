import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  AUDIT_OPTIONS,
  AuditModule,
  type AuditModuleOptions,
  type AuditOptionsFactory,
  AuditService,
  type ResolvedAuditOptions,
} from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { describeEachDialect, testDatabase } from '../support/test-app';

/** Options built by a class the module creates itself (`useClass`). */
@Injectable()
class ClassOptions implements AuditOptionsFactory {
  static created = 0;

  constructor() {
    ClassOptions.created++;
  }

  createAuditOptions(): AuditModuleOptions {
    return { dataAudit: { enabled: true, table: 'class_audit', excludeFields: ['stock'] } };
  }
}

/** Options from a provider the application already has (`useExisting`), built asynchronously. */
@Injectable()
class SharedOptions implements AuditOptionsFactory {
  async createAuditOptions(): Promise<AuditModuleOptions> {
    return { dataAudit: { enabled: true, table: 'shared_audit' } };
  }
}

@Module({ providers: [SharedOptions], exports: [SharedOptions] })
class SharedOptionsModule {}

describeEachDialect('AuditModule.forRootAsync', (dialect) => {
  async function boot(audit: ReturnType<typeof AuditModule.forRootAsync>, extra: unknown[] = []) {
    const database = await testDatabase(dialect, [Product]);
    const moduleRef = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot(database), audit, ...(extra as never[])],
    }).compile();
    return moduleRef.createNestApplication({ logger: false }).init();
  }

  it('takes its options from a useClass factory, which the module creates once', async () => {
    ClassOptions.created = 0;
    const app = await boot(AuditModule.forRootAsync({ useClass: ClassOptions }));
    try {
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const product = await dataSource.getRepository(Product).save({ name: 'by class', price: 1, stock: 3 });
      const rows = await app.get(AuditService).query({ entityId: String(product.id) });
      expect(rows).toHaveLength(1);
      expect(rows[0].newValues).toMatchObject({ name: 'by class' });
      expect(rows[0].newValues).not.toHaveProperty('stock');
      expect(Number((await dataSource.query('SELECT COUNT(*) AS n FROM class_audit'))[0].n)).toBe(1);
      expect(ClassOptions.created).toBe(1);
      // The validated options are exported to DI under AUDIT_OPTIONS.
      expect(app.get<ResolvedAuditOptions>(AUDIT_OPTIONS).dataAudit.table).toBe('class_audit');
    } finally {
      await app.close();
    }
  });

  it('takes its options from an existing provider of an imported module (useExisting)', async () => {
    const app = await boot(AuditModule.forRootAsync({ imports: [SharedOptionsModule], useExisting: SharedOptions }));
    try {
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const product = await dataSource.getRepository(Product).save({ name: 'by existing', price: 2 });
      await dataSource.getRepository(Product).update(product.id, { stock: 5 });
      const rows = await app.get(AuditService).query({ entityId: String(product.id) });
      expect(rows.map((row) => row.action)).toEqual(['update', 'create']);
      expect(Number((await dataSource.query('SELECT COUNT(*) AS n FROM shared_audit'))[0].n)).toBe(2);
      // useExisting reuses the application's instance; the module registers no second one of its own.
      expect(app.get(SharedOptions, { strict: false })).toBeInstanceOf(SharedOptions);
    } finally {
      await app.close();
    }
  });

  it('refuses options with no source, or with more than one', () => {
    expect(() => AuditModule.forRootAsync({})).toThrow(
      /option forRootAsync needs exactly one of useFactory, useClass or useExisting/,
    );
    expect(() =>
      AuditModule.forRootAsync({ useClass: ClassOptions, useFactory: () => ({ dataAudit: { enabled: true } }) }),
    ).toThrow(/needs exactly one of useFactory, useClass or useExisting/);
  });
});
