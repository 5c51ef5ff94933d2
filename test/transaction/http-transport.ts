import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createServer, type RequestListener, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

const CRLF = Buffer.from('\r\n');

export type AdapterName = 'express' | 'fastify';

/** The two HTTP adapters every header case runs on; `undefined` lets createTestApp pick Express. */
export const ADAPTERS: Array<[AdapterName, () => FastifyAdapter | undefined]> = [
  ['express', () => undefined],
  ['fastify', () => new FastifyAdapter()],
];

export interface RawResponse {
  status: number;
  /** Lower-cased header names, each with every value received. */
  headers: Record<string, string[]>;
  body: string;
}

/**
 * Sends one request as raw bytes. Node's HTTP client refuses to send CR, LF or other control
 * characters in a header value, and merges or replaces repeated headers; a hostile client does not.
 */
export function rawRequest(port: number, head: Array<string | Buffer>, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(parseResponse(Buffer.concat(chunks).toString('latin1'))));
    const lines = [...head, `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', ''];
    // Strings go out byte for byte (latin1); a Buffer carries UTF-8 or any other raw bytes.
    socket.write(
      Buffer.concat(lines.flatMap((line) => [typeof line === 'string' ? Buffer.from(line, 'latin1') : line, CRLF])),
    );
    // Not end(): a client that half-closes gets no answer from Node once the handler awaits I/O.
    socket.write(body);
  });
}

function parseResponse(text: string): RawResponse {
  const [head, ...rest] = text.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers: Record<string, string[]> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/** Starts the application on a loopback port and returns the port. */
export async function listen(app: INestApplication): Promise<number> {
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

/**
 * A second Node server in front of the same application, with the lenient HTTP parser that some
 * deployments enable (or that a proxy in front effectively is): control characters in a header value
 * then reach the application, whose own check must hold without Node's.
 */
export async function lenientServer(
  app: INestApplication,
  adapter: AdapterName,
): Promise<{ port: number; server: Server }> {
  const instance = app.getHttpAdapter().getInstance();
  const handler: RequestListener = adapter === 'fastify' ? instance.routing : instance;
  const server = createServer({ insecureHTTPParser: true }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}
