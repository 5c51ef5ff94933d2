import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, DataSourceOptions, EntitySchema } from 'typeorm';
import { AuditModule, type AuditModuleOptions, AuditService } from 'nestjs-audit-trail';

export interface FaultApp {
  app: INestApplication;
  dataSource: DataSource;
  audit: AuditService;
}

/** A Nest application on these DataSource options (e.g. through a TCP proxy), with AuditModule. */
export async function createAppOn(
  options: DataSourceOptions,
  entities: Array<Function | EntitySchema>,
  audit: AuditModuleOptions,
  extra: Pick<ModuleMetadata, 'imports' | 'providers'> = {},
): Promise<FaultApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(options),
      TypeOrmModule.forFeature(entities),
      AuditModule.forRoot(audit),
      ...(extra.imports ?? []),
    ],
    providers: extra.providers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, dataSource: app.get<DataSource>(getDataSourceToken()), audit: app.get(AuditService) };
}

/** Resolves with `value`, or with 'timeout' after `ms`: a hang becomes an assertion, not a stuck run. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
