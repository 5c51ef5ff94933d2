/**
 * Where an outbound call goes, as the API trail names it: the service, the endpoint, and whether the
 * call is recorded at all. Pure functions over WHATWG URLs, shared by the axios and fetch hooks.
 */

const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/**
 * Request header that names the service of one call (`X-Audit-Service: bca`), overriding
 * `apiAudit.services`. The hooks remove it before the request leaves: it is meant for the trail,
 * not for the called service. With axios, the config field `auditService` does the same.
 */
export const AUDIT_SERVICE_HEADER = 'X-Audit-Service';

/**
 * The URL an axios call reaches: axios appends a relative `url` to `baseURL` (it does not resolve it
 * the way `new URL(url, base)` would, which drops the base's path), unless `url` is absolute and
 * `allowAbsoluteUrls` is not false. Undefined when no absolute URL comes out (a relative URL
 * without a base), which axios in Node refuses before sending anything.
 */
export function axiosCallUrl(
  url: string | undefined,
  baseURL: string | undefined,
  allowAbsoluteUrls = true,
): URL | undefined {
  const path = url ?? '';
  const full =
    baseURL && (!allowAbsoluteUrls || !ABSOLUTE_URL.test(path))
      ? path
        ? `${baseURL.replace(/\/?\/$/, '')}/${path.replace(/^\/+/, '')}`
        : baseURL
      : path;
  return parseUrl(full);
}

export function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * The endpoint column: the path only. The query string is left out because it often carries
 * secrets (API keys, signed tokens, card numbers) that no redaction option could name in advance.
 */
export function endpointOf(url: URL | undefined, raw = ''): string {
  if (url) return url.pathname || '/';
  // Not a URL we could parse: keep what looks like its path, still without query or fragment.
  const path = raw.replace(/^([a-z][a-z\d+\-.]*:)?\/\/[^/?#]*/i, '');
  return path.split(/[?#]/, 1)[0] || '/';
}

/** One key of `apiAudit.services` or `apiAudit.skipHosts`, parsed. */
interface HostPattern {
  /** `https:` when the key named a scheme. */
  protocol?: string;
  hostname: string;
  /** Set when the key named a port (or a scheme, whose default port then applies). */
  host?: string;
  /** Path prefix without trailing slash, '' for none. */
  path: string;
}

/** Thrown for a key that is neither a host, a host:port nor a base URL, so start-up can name it. */
export class CallTargetPatternError extends Error {}

function parsePattern(key: string): HostPattern {
  const hasScheme = key.includes('://');
  const url = parseUrl(hasScheme ? key : `http://${key}`);
  if (!url || !url.hostname || url.search || url.hash || url.username || url.password) {
    throw new CallTargetPatternError(`"${key}" is not a host, host:port or base URL`);
  }
  // Whether the key named a port: URL drops a scheme's default port, so look at the text itself.
  const authority = (hasScheme ? key.slice(key.indexOf('://') + 3) : key).split('/', 1)[0];
  const namedPort = /:\d+$/.test(authority);
  return {
    protocol: hasScheme ? url.protocol : undefined,
    hostname: url.hostname,
    host: hasScheme || namedPort ? url.host : undefined,
    path: url.pathname.replace(/\/+$/, ''),
  };
}

function matches(pattern: HostPattern, url: URL): boolean {
  if (pattern.protocol && pattern.protocol !== url.protocol) return false;
  if (pattern.host ? pattern.host !== url.host : pattern.hostname !== url.hostname) return false;
  const path = pattern.path;
  return path === '' || url.pathname === path || url.pathname.startsWith(`${path}/`);
}

/** The more a pattern says, the more it wins: a longer path first, then a scheme, then a port. */
function specificity(pattern: HostPattern): number {
  return pattern.path.length * 4 + (pattern.protocol ? 2 : 0) + (pattern.host ? 1 : 0);
}

/**
 * `apiAudit.services`: maps a host (`api.bca.co.id`, any port), a host:port (`127.0.0.1:4010`) or
 * a base URL (`https://api.bca.co.id/v2`, scheme and path prefix must match too) to a service name.
 * When several keys match, the most specific wins. A call nothing matches is named after its host.
 */
export class ServiceNames {
  private readonly patterns: Array<{ pattern: HostPattern; name: string }>;

  /** @throws CallTargetPatternError for a key that cannot be parsed. */
  constructor(services: Readonly<Record<string, string>>) {
    this.patterns = Object.entries(services)
      .map(([key, name]) => ({ pattern: parsePattern(key), name }))
      .sort((a, b) => specificity(b.pattern) - specificity(a.pattern));
  }

  /** The per-call override when given, else the mapped name, else the host (with its port, if any). */
  nameFor(url: URL | undefined, override?: unknown): string {
    if (typeof override === 'string' && override.trim() !== '') return override.trim();
    if (!url) return 'unknown';
    return this.patterns.find(({ pattern }) => matches(pattern, url))?.name ?? url.host;
  }
}

/**
 * `apiAudit.skipHosts` and `apiAudit.skipPaths`: a call is skipped when its host is listed (a bare
 * host matches any port, host:port only that port, a URL key its scheme and host) or when its path
 * starts with a listed path, as plain text (`/health` skips `/healthz` too).
 */
export class SkipRules {
  private readonly hosts: HostPattern[];

  /** @throws CallTargetPatternError for a host that cannot be parsed. */
  constructor(
    skipHosts: readonly string[],
    private readonly skipPaths: readonly string[],
  ) {
    this.hosts = skipHosts.map((host) => ({ ...parsePattern(host), path: '' }));
  }

  skips(url: URL | undefined): boolean {
    if (!url) return false;
    if (this.hosts.some((pattern) => matches(pattern, url))) return true;
    return this.skipPaths.some((path) => url.pathname.startsWith(path));
  }
}
