import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackGateway {
  url: string;
  calls: number;
  close(): Promise<void>;
}

/**
 * A third party on loopback (a payment gateway, say): reads the JSON body and answers a small JSON
 * document, as fast as Node can, so that the measured time is the caller's side.
 */
export async function startLoopbackGateway(): Promise<LoopbackGateway> {
  const gateway = { url: '', calls: 0, close: async () => undefined as void };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      gateway.calls++;
      const payload = JSON.stringify({
        status: 'accepted',
        reference: `ref-${gateway.calls}`,
        received: chunks.length,
      });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      response.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gateway.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gateway.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return gateway;
}
