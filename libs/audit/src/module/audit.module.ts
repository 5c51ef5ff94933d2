import {
  type DynamicModule,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type Provider,
} from '@nestjs/common';
import { AuditService } from './audit.service';
import { AuditRetentionJob } from './audit-retention.job';
import { AuditContext } from '../transaction/audit-context';
import { TransactionIdInterceptor } from '../transaction/transaction-id.interceptor';
import { mountTransactionMiddleware, transactionProviders } from './transaction.providers';
import { AUDIT_DATA_TRAIL, AUDIT_OPTIONS, AUDIT_RAW_OPTIONS } from '../options/audit.tokens';
import type { AuditModuleAsyncOptions, AuditModuleOptions, ResolvedAuditOptions } from '../options/audit-options';
import { apiTrailProviders, optionsProvider, storageProviders } from './audit.providers';
import { resolveAuditOptions } from '../options/audit-options.validation';

/**
 * `AuditModule.forRoot(options)` / `forRootAsync({ imports, inject, useFactory })`: records every
 * TypeORM entity change into the data trail and every outbound HTTP call into the API trail, linked
 * by one transaction ID. Global by default.
 */
@Module({})
export class AuditModule implements NestModule {
  constructor(@Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions) {}

  configure(consumer: MiddlewareConsumer): void {
    mountTransactionMiddleware(consumer, this.options);
  }

  static forRoot(options: AuditModuleOptions): DynamicModule {
    // Static options are checked here, before any DataSource opens, so a bad one stops start-up
    // without leaving connections behind; the provider validates again for forRootAsync's factory.
    resolveAuditOptions(options);
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
        ...apiTrailProviders(),
        AuditContext,
        AuditService,
        ...transactionProviders(),
        AuditRetentionJob,
      ],
      exports: [AuditService, AuditContext, AUDIT_DATA_TRAIL, AUDIT_OPTIONS, TransactionIdInterceptor],
    };
  }
}
