import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditModule, type AuditModuleOptions } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { describeEachDialect, testDatabase } from '../support/test-app';

describeEachDialect('AuditModule: options refused at start-up', (dialect) => {
  it.each<[string, unknown, RegExp]>([
    [
      '#19 a misspelt key',
      { dataAudit: { enabled: true, excludeField: ['password_hash'] } },
      /option dataAudit\.excludeField is unknown \(did you mean dataAudit\.excludeFields\?\)/,
    ],
    [
      '#19 a key from another version',
      { dataAudit: { enabled: true, capture: 'database', triggers: true } },
      /option dataAudit\.triggers is unknown \(did you mean /,
    ],
    [
      '#16 a maxAge no Date can hold',
      { dataAudit: { enabled: true }, retention: { maxAge: '999999999d' } },
      /retention\.maxAge must be at most 365000d/,
    ],
    [
      '#17 an async userResolver',
      { dataAudit: { enabled: true }, userResolver: async () => ({ id: 'u', type: 'user' }) },
      /userResolver must return \{ id, type \} synchronously, not a Promise \(got an async function\)/,
    ],
  ])('forRoot refuses %s', (_case, options, message) => {
    expect(() => AuditModule.forRoot(options as AuditModuleOptions)).toThrow(message);
  });

  it('#19 forRootAsync refuses an unknown key from the factory before the application starts', async () => {
    const opened = await new DataSource((await testDatabase(dialect, [Product])) as never).initialize();
    try {
      const building = Test.createTestingModule({
        imports: [
          TypeOrmModule.forRootAsync({ useFactory: () => opened.options, dataSourceFactory: async () => opened }),
          AuditModule.forRootAsync({
            useFactory: () =>
              ({ dataAudit: { enabled: true }, transaction: { requestIdHeader: ['X-Request-Id'] } }) as never,
          }),
        ],
      }).compile();
      await expect(building).rejects.toThrow(
        /option transaction\.requestIdHeader is unknown \(did you mean transaction\.requestIdHeaders\?\)/,
      );
    } finally {
      await opened.destroy();
    }
  });
});
