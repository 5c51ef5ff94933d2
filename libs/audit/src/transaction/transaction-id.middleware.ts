import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { ClsServiceManager, ContextClsStoreMap } from 'nestjs-cls';
import { AUDIT_OPTIONS } from '../options/audit.tokens';
import { CLS_REQUEST } from './scope-keys';
import type { ResolvedAuditOptions } from '../options/audit-options';
import type { HttpRequestLike } from './request-metadata';
import { type HttpResponseLike, decideTransactionId, seedRequestScope } from './request-scope';

/**
 * Opens the transaction-ID scope of an HTTP request before guards, pipes and exception filters run,
 * so that every response carries the ID (a guard's 401, a 404, an unhandled 500 included) and every
 * row written while serving the request is stamped with it. AuditModule mounts it on all routes
 * unless `transaction.mount` is false. On Fastify it receives the raw Node request and response.
 */
@Injectable()
export class TransactionIdMiddleware implements NestMiddleware {
  private readonly cls = ClsServiceManager.getClsService();

  constructor(@Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions) {}

  use(request: HttpRequestLike, response: HttpResponseLike, next: (error?: unknown) => void): void {
    const active = this.cls.isActive();
    // Mounted twice (by us and by the application): the first run already seeded this request.
    if (active && this.cls.get(CLS_REQUEST) === request) return next();

    const options = this.options.transaction;
    const transactionId = decideTransactionId(request, response, options.header, options.requestIdHeaders);

    // Share the store only when nestjs-cls opened it for this very request (the application's own
    // ClsMiddleware ran first), so its values and ours live together. Any other active store may
    // outlive the request (e.g. the server was started inside a scope); writing into it would leak
    // one request's ID into the next, so the request gets a copy of it instead.
    const ownStore = active && ContextClsStoreMap.getByRaw(request) === this.cls.get();
    this.cls.run({ ifNested: ownStore ? 'reuse' : 'inherit' }, () => {
      seedRequestScope(this.cls, request, transactionId, options);
      // An application-mounted ClsGuard or ClsInterceptor then enters this store rather than a new one.
      if (!ownStore) ContextClsStoreMap.setByRaw(request, this.cls.get());
      next();
    });
  }
}
