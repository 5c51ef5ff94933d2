import { type MiddlewareConsumer, type NestInterceptor, type Provider, RequestMethod } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AUDIT_OPTIONS } from '../options/audit.tokens';
import type { ResolvedAuditOptions } from '../options/audit-options';
import { TransactionIdInterceptor } from '../transaction/transaction-id.interceptor';
import { TransactionIdMiddleware } from '../transaction/transaction-id.middleware';

const PASS_THROUGH: NestInterceptor = { intercept: (_context, next) => next.handle() };

/**
 * The interceptor, injectable by applications that bind it themselves, and bound globally when the
 * module mounts its middleware (so the route pattern reaches the metadata). The options are known
 * only once forRootAsync's factory has run, hence a factory rather than a conditional provider list.
 */
export function transactionProviders(): Provider[] {
  return [
    TransactionIdInterceptor,
    {
      provide: APP_INTERCEPTOR,
      useFactory: (options: ResolvedAuditOptions, interceptor: TransactionIdInterceptor): NestInterceptor =>
        options.transaction.mount ? interceptor : PASS_THROUGH,
      inject: [AUDIT_OPTIONS, TransactionIdInterceptor],
    },
  ];
}

/** Mounts TransactionIdMiddleware on every path and method, unknown paths (404) included. */
export function mountTransactionMiddleware(consumer: MiddlewareConsumer, options: ResolvedAuditOptions): void {
  if (!options.transaction.mount) return;
  // The named-wildcard form of path-to-regexp 8 (Express 5, @fastify/middie 9), which Nest 12 mounts
  // without a deprecation warning on both adapters.
  consumer.apply(TransactionIdMiddleware).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
}
