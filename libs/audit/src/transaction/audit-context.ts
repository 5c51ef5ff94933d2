import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClsServiceManager } from 'nestjs-cls';
import { AUDIT_OPTIONS } from '../options/audit.tokens';
import { CLS_REQUEST, CLS_REQUEST_METADATA, CLS_TRANSACTION_ID } from './scope-keys';
import { activeSpanTrace } from './trace-context';
import type { AuditOnError, AuditUser, ResolvedAuditOptions } from '../options/audit-options';

const SYSTEM_USER: AuditUser = { id: 'system', type: 'system' };

interface RequestWithUser {
  user?: { id?: unknown; sub?: unknown } | null;
}

/**
 * What the current scope knows about the row being written: its transaction ID, its user and its
 * request metadata. The scope is nestjs-cls's AsyncLocalStorage; we use its static service so the
 * same store is shared with an application that set up `ClsModule` itself.
 */
@Injectable()
export class AuditContext {
  private readonly cls = ClsServiceManager.getClsService();
  private readonly logger = new Logger('AuditTrail');

  constructor(@Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions) {}

  /** The transaction ID in scope, or undefined outside any scope. */
  transactionId(): string | undefined {
    return this.cls.isActive() ? (this.cls.get(CLS_TRANSACTION_ID) as string | undefined) || undefined : undefined;
  }

  request(): unknown {
    return this.cls.isActive() ? this.cls.get(CLS_REQUEST) : undefined;
  }

  requestMetadata(): Record<string, unknown> | null {
    const metadata = this.cls.isActive()
      ? ((this.cls.get(CLS_REQUEST_METADATA) as Record<string, unknown>) ?? null)
      : null;
    // An active OpenTelemetry span names the trace more precisely than the request's traceparent.
    const span = activeSpanTrace();
    return span ? { ...metadata, ...span } : metadata;
  }

  /**
   * The user a row is attributed to: the resolver's answer, else the request's user, else system.
   * A resolver that throws, or returns a Promise (a row cannot wait for it), follows `onError`
   * (the data trail's by default): fail-loud throws to the caller, fail-silent logs and answers system.
   */
  user(onError: AuditOnError = this.options.dataAudit.onError): AuditUser {
    const request = this.request();
    const resolved = this.options.userResolver ? this.resolve(request, onError) : defaultUser(request);
    if (!resolved || resolved.id === undefined || resolved.id === null || resolved.id === '') return SYSTEM_USER;
    return { id: String(resolved.id).slice(0, 100), type: String(resolved.type ?? 'user').slice(0, 50) };
  }

  private resolve(request: unknown, onError: AuditOnError): AuditUser | undefined | null {
    try {
      const resolved = this.options.userResolver!({ request });
      if (typeof (resolved as { then?: unknown } | null)?.then === 'function') {
        // Its rejection, if any, must not become an unhandled one.
        (resolved as unknown as Promise<unknown>).then(undefined, () => undefined);
        throw new Error(
          'nestjs-audit-trail: userResolver returned a Promise: it must return { id, type } synchronously',
        );
      }
      return resolved;
    } catch (error) {
      if (onError === 'fail-loud') throw error;
      this.logger.error(
        `userResolver threw (${(error as Error)?.message ?? String(error)}); row attributed to system (onError: fail-silent)`,
      );
      return SYSTEM_USER;
    }
  }

  /** Runs `fn` with `transactionId` in scope, keeping the values of any enclosing scope. */
  run<T>(transactionId: string, fn: () => T): T {
    return this.cls.run({ ifNested: 'inherit' }, () => {
      this.cls.set(CLS_TRANSACTION_ID, transactionId);
      return fn();
    });
  }
}

function defaultUser(request: unknown): AuditUser | undefined {
  const user = (request as RequestWithUser | undefined)?.user;
  // The first of id and sub that is set: an empty id (`{ id: '', sub: 'auth0|7' }`) is no id.
  const id = [user?.id, user?.sub].find((value) => value !== undefined && value !== null && value !== '');
  if (id === undefined) return undefined;
  return { id: String(id), type: 'user' };
}
