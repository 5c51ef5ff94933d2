import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { AuditService } from '../audit.service';
import { AuditContext } from '../transaction/audit-context';
import { AUDIT_DATA_TRAIL, AUDIT_RAW_OPTIONS } from './audit.constants';
import type { AuditModuleAsyncOptions, AuditModuleOptions } from './audit-options';
import { optionsProvider, storageProviders } from './audit.providers';

/**
 * `AuditModule.forRoot(options)` / `forRootAsync({ imports, inject, useFactory })`: records every
 * TypeORM entity change into the data trail and every outbound HTTP call into the API trail, linked
 * by one transaction ID. Global by default.
 */
@Module({})
export class AuditModule {
  static forRoot(options: AuditModuleOptions): DynamicModule {
    return AuditModule.build(options?.isGlobal ?? true, options?.dataSource, [
      { provide: AUDIT_RAW_OPTIONS, useValue: options },
    ]);
  }

  /**
   * Options from a factory. When auditing a named DataSource, give its name here too
   * (`dataSource: 'orders'`): the module must know which DataSource to wait for before the factory runs.
   */
  static forRootAsync(options: AuditModuleAsyncOptions & { dataSource?: string }): DynamicModule {
    const module = AuditModule.build(options.isGlobal ?? true, options.dataSource, [
      { provide: AUDIT_RAW_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
    ]);
    return { ...module, imports: options.imports ?? [] };
  }

  private static build(global: boolean, dataSource: string | undefined, rawOptions: Provider[]): DynamicModule {
    return {
      module: AuditModule,
      global,
      providers: [
        ...rawOptions,
        optionsProvider(dataSource),
        ...storageProviders(dataSource),
        AuditContext,
        AuditService,
      ],
      exports: [AuditService, AuditContext, AUDIT_DATA_TRAIL],
    };
  }
}
