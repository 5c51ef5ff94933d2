import type { AddressInfo } from 'node:net';
import type { DynamicModule, INestApplication, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, EntitySchema } from 'typeorm';
import { AuditModule, type AuditModuleOptions, AuditService } from 'nestjs-audit-trail';
import { type BenchDatabase, type Dialect, benchDatabase } from './bench-databases';

export type VariantName = 'baseline' | 'audited';

export interface BenchApp {
  variant: VariantName;
  app: INestApplication;
  dataSource: DataSource;
  /** Only on the audited variant. */
  audit?: AuditService;
  /** `http://127.0.0.1:<port>` when the app was asked to listen. */
  url?: string;
  close(): Promise<void>;
}

export interface BenchAppOptions extends Pick<ModuleMetadata, 'imports' | 'providers' | 'controllers'> {
  dialect: Dialect;
  /** Unique per case; the variant name is appended, so each variant writes to its own database. */
  database: string;
  entities: Array<Function | EntitySchema>;
  /** AuditModule options; absent, the app has no AuditModule at all (the baseline). */
  audit?: AuditModuleOptions;
  listen?: boolean;
}

class BenchAppModule {}

/**
 * A real Nest application (NestFactory, Express) with TypeORM on a fresh database of its own. The
 * audited and the baseline variant are built by the same function from the same modules, the only
 * difference being whether AuditModule is imported.
 */
export async function startBenchApp(variant: VariantName, options: BenchAppOptions): Promise<BenchApp> {
  const database = await benchDatabase(options.dialect, `${options.database}_${variant}`, options.entities);
  try {
    const root: DynamicModule = {
      module: BenchAppModule,
      imports: [
        TypeOrmModule.forRoot(database.options),
        TypeOrmModule.forFeature(options.entities),
        ...(options.audit ? [AuditModule.forRoot(options.audit)] : []),
        ...(options.imports ?? []),
      ],
      providers: options.providers ?? [],
      controllers: options.controllers ?? [],
    };
    // abortOnError off: a failed start must reach the case (and its report), not exit the process.
    const app = await NestFactory.create(root, { logger: false, abortOnError: false });
    let url: string | undefined;
    if (options.listen) {
      await app.listen(0, '127.0.0.1');
      url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    } else {
      await app.init();
    }
    return {
      variant,
      app,
      dataSource: app.get<DataSource>(getDataSourceToken()),
      audit: options.audit ? app.get(AuditService) : undefined,
      url,
      close: () => closeApp(app, database),
    };
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
}

async function closeApp(app: INestApplication, database: BenchDatabase): Promise<void> {
  try {
    await app.close();
  } finally {
    await database.drop();
  }
}

/** Starts both variants; if the second fails to start, the first is closed again. */
export async function startPair(
  options: BenchAppOptions,
): Promise<{ baseline: BenchApp; audited: BenchApp; close(): Promise<void> }> {
  if (!options.audit) throw new Error('bench: the audited variant needs AuditModule options');
  const baseline = await startBenchApp('baseline', { ...options, audit: undefined });
  let audited: BenchApp;
  try {
    audited = await startBenchApp('audited', options);
  } catch (error) {
    await baseline.close();
    throw error;
  }
  return {
    baseline,
    audited,
    close: async () => {
      await Promise.allSettled([baseline.close(), audited.close()]);
    },
  };
}

/** Rows in a table of an app's database (a count of audit rows proves the audited variant audited). */
export async function countRows(app: BenchApp, table: string): Promise<number> {
  const rows: Array<{ n: string | number }> = await app.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rows[0].n);
}
