import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the sandbox saw it on the wire. */
export interface SandboxRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, undefined when there was none. */
  body: any;
}

export interface SandboxReply {
  status: number;
  body: unknown;
}

export type SandboxRoute = (request: SandboxRequest) => SandboxReply;

/** Milliseconds a sandbox waits before answering, drawn uniformly from [min, max]. */
export interface Latency {
  min: number;
  max: number;
}

export interface SandboxServerOptions {
  /** `METHOD /path` to handler. */
  routes: Record<string, SandboxRoute>;
  latency: Latency;
  /** The Authorization scheme the gateway expects, e.g. `Bearer`. */
  authScheme: string;
  /** The gateway's own error body for a status and message. */
  errorBody(status: number, message: string): unknown;
}

export interface SandboxServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The requests received (the latest 1000), in order: tests check what really went over the wire. */
  received: SandboxRequest[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** `received` keeps the latest requests only, so a sandbox left running for days stays small. */
const MAX_RECEIVED = 1000;

/**
 * `SANDBOX_LATENCY_MS`: `250` for a fixed delay, `300-900` for a range; undefined when unset.
 * @throws Error naming the variable for anything else.
 */
export function parseLatency(value: string | undefined): Latency | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^\s*(\d{1,6})\s*(?:-\s*(\d{1,6})\s*)?$/.exec(value);
  const min = match ? Number(match[1]) : NaN;
  const max = match?.[2] !== undefined ? Number(match[2]) : min;
  if (!match || max < min) {
    throw new Error(`SANDBOX_LATENCY_MS must be milliseconds, as 250 or 300-900 (got ${JSON.stringify(value)})`);
  }
  return { min, max };
}

function delay({ min, max }: Latency): Promise<void> {
  const ms = min + Math.random() * (max - min);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What the gateway answers to one request, before its latency. */
async function answer(request: IncomingMessage, options: SandboxServerOptions, received: SandboxRequest[]) {
  const path = (request.url ?? '/').split('?', 1)[0];
  const text = await readBody(request);
  if (text === undefined) return { status: 413, body: options.errorBody(413, 'Request body too large') };
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    return { status: 400, body: options.errorBody(400, 'Request body is not valid JSON') };
  }
  const seen: SandboxRequest = { method: request.method ?? 'GET', path, headers: request.headers, body };
  received.push(seen);
  if (received.length > MAX_RECEIVED) received.shift();

  const authorization = request.headers.authorization ?? '';
  if (!authorization.startsWith(`${options.authScheme} `) || authorization.trim() === options.authScheme) {
    return {
      status: 401,
      body: options.errorBody(401, `Missing or invalid Authorization header (expected ${options.authScheme})`),
    };
  }
  const route = options.routes[`${seen.method} ${path}`];
  if (!route) return { status: 404, body: options.errorBody(404, `No route for ${seen.method} ${path}`) };
  return route(seen);
}

/** A fake gateway on a free loopback port: real HTTP, real latency, real status codes. */
export function startSandboxServer(options: SandboxServerOptions): Promise<SandboxServer> {
  const received: SandboxRequest[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const reply = await answer(request, options, received);
        await delay(options.latency);
        send(response, reply.status, reply.body);
      } catch (error) {
        send(response, 500, options.errorBody(500, (error as Error).message));
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        received,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            // Clients keep connections alive; closing them is what lets the process exit.
            server.closeAllConnections();
          }),
      });
    });
  });
}
