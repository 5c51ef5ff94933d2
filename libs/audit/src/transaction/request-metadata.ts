/** What a row written while serving a request records about that request, in its `metadata`. */
export interface RequestMetadata {
  method: string;
  /** The matched route pattern (`/orders/:id`) once known, the request path until then. */
  route: string;
  ip?: string;
  user_agent?: string;
}

export interface RequestMetadataOptions {
  recordIp: boolean;
  recordUserAgent: boolean;
}

/** The parts of an Express request, a Fastify request or a raw Node request that are read here. */
export interface HttpRequestLike {
  method?: string;
  url?: string;
  /** Express, and Fastify's raw request under middie: the URL before a mount path was stripped. */
  originalUrl?: string;
  headers?: Record<string, string | string[] | undefined>;
  /** Express and Fastify: the client address, after their trust-proxy rules. */
  ip?: string;
  socket?: { remoteAddress?: string };
  /** Express: the route that matched, relative to `baseUrl`. */
  route?: { path?: unknown };
  baseUrl?: string;
  /** Fastify: the options of the route that matched, `url` being its pattern. */
  routeOptions?: { url?: unknown };
}

// The values come from the client; bounding them keeps one request from bloating every row it writes.
const MAX_ROUTE = 500;
const MAX_IP = 100;
const MAX_USER_AGENT = 500;

/**
 * A URL's path without query string or fragment: query strings carry tokens and personal data
 * (`?token=...`, `?email=...`) that have no place in an audit row.
 */
export function pathOf(url: string | undefined): string {
  const path = (url ?? '').split(/[?#]/, 1)[0];
  return (path || '/').slice(0, MAX_ROUTE);
}

/**
 * The metadata known when the request arrives: method and path always, client IP and user agent only
 * when enabled, because they are personal data.
 */
export function requestMetadataOf(request: HttpRequestLike, options: RequestMetadataOptions): RequestMetadata {
  const metadata: RequestMetadata = {
    method: (request.method ?? '').toUpperCase().slice(0, 10),
    route: pathOf(request.originalUrl ?? request.url),
  };
  if (options.recordIp) {
    const ip = request.ip ?? request.socket?.remoteAddress;
    if (ip) metadata.ip = ip.slice(0, MAX_IP);
  }
  if (options.recordUserAgent) {
    const userAgent = request.headers?.['user-agent'];
    if (typeof userAgent === 'string' && userAgent) metadata.user_agent = userAgent.slice(0, MAX_USER_AGENT);
  }
  return metadata;
}

/** The route pattern the framework matched (`/orders/:id`), or undefined before routing or on a 404. */
export function matchedRouteOf(request: HttpRequestLike): string | undefined {
  const fastifyRoute = request.routeOptions?.url;
  if (typeof fastifyRoute === 'string' && fastifyRoute) return fastifyRoute.slice(0, MAX_ROUTE);
  const expressRoute = request.route?.path;
  if (typeof expressRoute === 'string' && expressRoute)
    return `${request.baseUrl ?? ''}${expressRoute}`.slice(0, MAX_ROUTE);
  return undefined;
}

/**
 * The metadata once the framework has routed the request: the matched pattern replaces the raw path
 * (so `/orders/7` and `/orders/8` group together), and the framework's client IP, which follows its
 * trust-proxy setting, replaces the socket address seen by the middleware.
 */
export function refineRequestMetadata(
  current: RequestMetadata,
  request: HttpRequestLike,
  options: RequestMetadataOptions,
): RequestMetadata {
  const refined: RequestMetadata = { ...current, route: matchedRouteOf(request) ?? current.route };
  if (options.recordIp && request.ip) refined.ip = request.ip.slice(0, MAX_IP);
  return refined;
}
