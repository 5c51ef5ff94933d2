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
import { HttpAdapterHost } from '@nestjs/core';
import { listeningServerOf } from '../instrumentation/http-server/transaction-id.server-hook';
import { AUDIT_OPTIONS, AUDIT_RAW_OPTIONS } from '../options/audit.tokens';
import type {
  AuditModuleAsyncOptions,
  AuditModuleOptions,
  AuditOptionsFactory,
  ResolvedAuditOptions,
} from '../options/audit-options';
import { apiTrailProviders, optionsProvider, storageProviders } from './audit.providers';
import { AuditOptionsError, resolveAuditOptions } from '../options/audit-options.validation';

/**
 * `AuditModule.forRoot(options)` / `forRootAsync({ useFactory | useClass | useExisting })`: records every
 * TypeORM entity change into the data trail and every outbound HTTP call into the API trail, linked
 * by one transaction ID. Global by default.
 */
@Module({})
export class AuditModule implements NestModule {
  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    // The scope opens in a listener on the Node server (AuditInstrumentation); the middleware is the
    // fallback for an application without one.
    if (!listeningServerOf(this.adapterHost)) mountTransactionMiddleware(consumer, this.options);
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
   * Options from a provider: `useFactory` (with `inject`), `useClass` or `useExisting` (an
   * AuditOptionsFactory). When auditing a named DataSource, give its name here too
   * (`dataSource: 'orders'`): the module must know which DataSource to wait for before the options exist.
   */
  static forRootAsync(options: AuditModuleAsyncOptions): DynamicModule {
    const module = AuditModule.build(options.isGlobal ?? true, options.dataSource, asyncOptionsProviders(options));
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
      // What an application may inject (index.ts exports each): the service, the validated options
      // (`@Inject(AUDIT_OPTIONS)`, also read by TransactionIdMiddleware when an application mounts it
      // itself) and the interceptor to bind by hand. The recorders and the scope stay internal.
      exports: [AuditService, AUDIT_OPTIONS, TransactionIdInterceptor],
    };
  }
}

/** The provider of the raw options for forRootAsync, from whichever source it was given. */
function asyncOptionsProviders(options: AuditModuleAsyncOptions): Provider[] {
  const sources = [options.useFactory, options.useClass, options.useExisting].filter(Boolean).length;
  if (sources !== 1) {
    throw new AuditOptionsError('forRootAsync', 'needs exactly one of useFactory, useClass or useExisting', {
      useFactory: Boolean(options.useFactory),
      useClass: Boolean(options.useClass),
      useExisting: Boolean(options.useExisting),
    });
  }
  if (options.useFactory) {
    return [{ provide: AUDIT_RAW_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }];
  }
  const factory = (options.useClass ?? options.useExisting)!;
  const fromFactory: Provider = {
    provide: AUDIT_RAW_OPTIONS,
    useFactory: (instance: AuditOptionsFactory) => instance.createAuditOptions(),
    inject: [factory],
  };
  // useExisting: the application provides the factory (through `imports`); useClass: the module creates it.
  return options.useClass ? [fromFactory, { provide: options.useClass, useClass: options.useClass }] : [fromFactory];
}
