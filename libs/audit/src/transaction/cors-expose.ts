import type { HttpRequestLike } from './request-metadata';

const EXPOSE = 'access-control-expose-headers';

/** The parts of a Node ServerResponse this needs. */
export interface ExposableResponse {
  headersSent?: boolean;
  getHeader?(name: string): unknown;
  setHeader?(name: string, value: string): unknown;
  writeHead?: (...args: any[]) => unknown;
}

/**
 * Lets a script on another origin read the transaction-ID header. Browsers hide every response
 * header of a cross-origin call but a few simple ones unless `Access-Control-Expose-Headers` names
 * it, and the application's CORS layer (Express `cors`, `@fastify/cors`) sets that list from its own
 * options, replacing anything set before it. So on a request with an `Origin` (the only kind a
 * browser makes cross-origin), the name is added to whatever list the response is finally written
 * with, at `writeHead`, and nothing else changes. A same-origin request without `Origin` is left as
 * it was; for a response without `Access-Control-Allow-Origin` the browser ignores the list anyway.
 */
export function exposeTransactionHeader(
  request: HttpRequestLike,
  response: ExposableResponse | undefined,
  header: string,
): void {
  if (request.headers?.origin === undefined) return;
  if (!response?.setHeader || !response.getHeader || typeof response.writeHead !== 'function' || response.headersSent) {
    return;
  }
  response.setHeader(EXPOSE, withName(response.getHeader(EXPOSE), header));
  const writeHead = response.writeHead;
  response.writeHead = function (this: ExposableResponse, ...args: any[]) {
    // writeHead(status, [message], [headers]): headers given here win over setHeader's.
    const headers = args[typeof args[1] === 'string' ? 2 : 1];
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) {
        if (String(headers[i]).toLowerCase() === EXPOSE) headers[i + 1] = withName(headers[i + 1], header);
      }
    } else if (headers && typeof headers === 'object') {
      for (const name of Object.keys(headers)) {
        if (name.toLowerCase() === EXPOSE) headers[name] = withName(headers[name], header);
      }
    }
    if (!this.headersSent) this.setHeader!(EXPOSE, withName(this.getHeader!(EXPOSE), header));
    return writeHead.apply(this, args);
  };
}

/** `current` (a list, possibly empty or repeated) with `name` in it once. */
export function withName(current: unknown, name: string): string {
  const list = (
    Array.isArray(current) ? current.join(', ') : current === undefined || current === null ? '' : String(current)
  ).trim();
  const names = list.split(',').map((item) => item.trim().toLowerCase());
  if (names.includes(name.toLowerCase())) return list;
  return list === '' ? name : `${list}, ${name}`;
}
