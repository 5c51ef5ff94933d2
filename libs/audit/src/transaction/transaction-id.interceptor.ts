import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { ClsServiceManager, ContextClsStoreMap } from 'nestjs-cls';
import { Observable } from 'rxjs';
import { AUDIT_OPTIONS } from '../options/audit.tokens';
import { CLS_TRANSACTION_ID } from './scope-keys';
import type { ResolvedAuditOptions } from '../options/audit-options';
import type { HttpRequestLike } from './request-metadata';
import { type HttpResponseLike, decideTransactionId, refineRequestScope, seedRequestScope } from './request-scope';
import { newTransactionId } from './transaction-id';

/**
 * Behind TransactionIdMiddleware (the default) it only
 * refines the request's metadata with the route pattern that matched. Bound by the application
 * itself (`transaction.mount: false`, or a microservice / WebSocket handler) it opens the scope:
 * the ID from the header for HTTP, a fresh one otherwise. Guards run before any interceptor and a
 * 404 reaches none, so only the middleware puts the ID on a guard's 401 or on a 404.
 */
@Injectable()
export class TransactionIdInterceptor implements NestInterceptor {
  private readonly cls = ClsServiceManager.getClsService();

  constructor(@Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // Only a store that nestjs-cls keeps for this very request or message belongs to it; any other
    // active store may outlive it (e.g. the server was started inside a scope), and seeding it would
    // leak one request's ID into the next.
    const ownStore = this.cls.isActive() && ContextClsStoreMap.get(context) === this.cls.get();
    const transactionId = ownStore ? (this.cls.get(CLS_TRANSACTION_ID) as string | undefined) : undefined;
    if (transactionId) {
      // The ID and the response header were decided when the request arrived; only the route is new.
      if (context.getType() === 'http') {
        refineRequestScope(this.cls, context.switchToHttp().getRequest<HttpRequestLike>(), this.options.transaction);
      }
      return next.handle();
    }

    // The handler's observable is subscribed inside the scope, so the async work it starts (and the
    // rows it writes) stays in it.
    return new Observable((subscriber) =>
      this.cls.run({ ifNested: ownStore ? 'reuse' : 'inherit' }, () => {
        this.seed(context);
        if (!ownStore) ContextClsStoreMap.set(context, this.cls.get());
        return next.handle().subscribe(subscriber);
      }),
    );
  }

  private seed(context: ExecutionContext): void {
    const options = this.options.transaction;
    if (context.getType() !== 'http') {
      this.cls.set(CLS_TRANSACTION_ID, newTransactionId());
      return;
    }
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequestLike>();
    // The server listener may have decided the ID already (a store opened by someone else came in between).
    const transactionId = decideTransactionId(
      request,
      http.getResponse<HttpResponseLike>(),
      options.header,
      options.requestIdHeaders,
    );
    seedRequestScope(this.cls, request, transactionId, options);
    refineRequestScope(this.cls, request, options);
  }
}
