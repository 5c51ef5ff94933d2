import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource, DataSourceOptions, EntitySchema } from 'typeorm';
import { AuditModule, type AuditModuleOptions, AuditService } from 'nestjs-audit-trail';
import { type TestDialect, freshDatabase, serverUrl } from './databases';

/** The dialects this run covers (decided by global-setup), each with a `describe` that says if it was skipped. */
export function dialectsUnderTest(): TestDialect[] {
  return (process.env.AUDIT_TEST_DIALECTS ?? 'sqlite').split(',') as TestDialect[];
}

const ALL: TestDialect[] = ['sqlite', 'postgres', 'mariadb'];

/**
 * `describe` once per dialect; a dialect whose server did not answer shows up as a skipped block
 * named so, rather than silently vanishing from the report.
 */
export function describeEachDialect(title: string, body: (dialect: TestDialect) => void): void {
  const covered = dialectsUnderTest();
  for (const dialect of ALL) {
    if (covered.includes(dialect)) describe(`${title} [${dialect}]`, () => body(dialect));
    else describe.skip(`${title} [${dialect}] SKIPPED: no ${dialect} server answered`, () => body(dialect));
  }
}

export interface TestDatabase {
  options: DataSourceOptions;
}

let counter = 0;

/** Connection options for a fresh, empty database of this dialect, private to the calling suite. */
export async function testDatabase(
  dialect: TestDialect,
  entities: Array<Function | EntitySchema>,
  extra: { poolSize?: number; name?: string } = {},
): Promise<DataSourceOptions> {
  const database = `audit_${process.pid}_${++counter}_${Date.now().toString(36)}`;
  const common = { entities, synchronize: true, name: extra.name } as const;
  if (dialect === 'sqlite') {
    // A file rather than :memory: so that tests can open a second connection to it.
    const folder = mkdtempSync(join(tmpdir(), 'audit-'));
    return { ...common, type: 'better-sqlite3', database: join(folder, 'test.sqlite') };
  }
  await freshDatabase(dialect, database);
  const url = serverUrl(dialect, database);
  return dialect === 'postgres'
    ? { ...common, type: 'postgres', url, poolSize: extra.poolSize }
    : { ...common, type: 'mariadb', url, poolSize: extra.poolSize, charset: 'utf8mb4' };
}

export interface TestApp {
  app: INestApplication;
  dataSource: DataSource;
  audit: AuditService;
  close(): Promise<void>;
}

export interface TestAppOptions extends Pick<ModuleMetadata, 'imports' | 'providers' | 'controllers'> {
  dialect: TestDialect;
  entities: Array<Function | EntitySchema>;
  audit: AuditModuleOptions;
  poolSize?: number;
  /** Build the app on this adapter (Fastify); Express by default. */
  httpAdapter?: any;
}

/** Boots a real Nest application with TypeORM on a fresh database of the dialect and AuditModule. */
export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const dataSourceOptions = await testDatabase(options.dialect, options.entities, { poolSize: options.poolSize });
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(dataSourceOptions),
      TypeOrmModule.forFeature(options.entities),
      AuditModule.forRoot(options.audit),
      ...(options.imports ?? []),
    ],
    providers: options.providers ?? [],
    controllers: options.controllers ?? [],
  }).compile();
  const app = options.httpAdapter
    ? moduleRef.createNestApplication(options.httpAdapter, { logger: false })
    : moduleRef.createNestApplication({ logger: false });
  await app.init();
  if (options.httpAdapter) await app.getHttpAdapter().getInstance().ready?.();
  return {
    app,
    dataSource: app.get<DataSource>(getDataSourceToken()),
    audit: app.get(AuditService),
    close: () => app.close(),
  };
}
