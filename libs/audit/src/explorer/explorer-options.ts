import type { CanActivate, Type } from '@nestjs/common';
import { AuditOptionsError } from '../options/audit-options.validation';

/** `AuditExplorerModule.forRoot(options)`: where the explorer is served and who may open it. */
export interface AuditExplorerOptions {
  /** URL path of the page; its JSON and assets live below it. Default `/audit`. */
  path?: string;
  /**
   * A Nest guard (class or instance) run before every explorer route: the page, its JSON, the
   * exports. Required unless `public` is true.
   */
  guard?: Type<CanActivate> | CanActivate;
  /**
   * Serve the explorer without a guard: for local development only. Refused when
   * `NODE_ENV=production`, even alongside a guard, so a development flag cannot ship.
   */
  public?: boolean;
}

export interface ResolvedExplorerOptions {
  path: string;
  guard: Type<CanActivate> | CanActivate | undefined;
  public: boolean;
}

const PATH_PATTERN = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Checks the explorer's options at start-up. The trail holds every audited change and every
 * outbound call's (redacted) bodies, so an unguarded page must be asked for explicitly, and never
 * in production.
 */
export function resolveExplorerOptions(
  input: AuditExplorerOptions | undefined | null,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): ResolvedExplorerOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new AuditOptionsError('explorer', 'must be an object such as { path, guard }', input);
  }
  const path = input.path ?? '/audit';
  if (typeof path !== 'string' || !PATH_PATTERN.test(path)) {
    throw new AuditOptionsError(
      'explorer.path',
      'must be a URL path such as "/audit": a leading slash, no trailing slash, letters, digits and ._~-',
      path,
    );
  }
  const isPublic = input.public ?? false;
  if (typeof isPublic !== 'boolean') {
    throw new AuditOptionsError('explorer.public', 'must be true or false', isPublic);
  }
  const guard = input.guard;
  if (guard !== undefined && !isGuard(guard)) {
    throw new AuditOptionsError('explorer.guard', 'must be a Nest guard: a CanActivate class or instance', guard);
  }
  if (isPublic && nodeEnv === 'production') {
    throw new AuditOptionsError(
      'explorer.public',
      'is refused when NODE_ENV=production: a production explorer must be behind a guard',
      isPublic,
    );
  }
  if (guard === undefined && !isPublic) {
    throw new AuditOptionsError(
      'explorer.guard',
      `is required: the explorer at ${path} shows every audited change and outbound call, so give it a guard ` +
        '(or public: true to serve it unguarded outside production)',
      guard,
    );
  }
  return { path, guard, public: isPublic };
}

function isGuard(value: unknown): value is Type<CanActivate> | CanActivate {
  if (typeof value === 'function') return true;
  return typeof value === 'object' && value !== null && typeof (value as CanActivate).canActivate === 'function';
}
