import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';

/**
 * What the proxy does to the traffic between the application and its database:
 * - `pass`: forwards both ways.
 * - `cut`: closes every connection now and refuses new ones (reset) until set back.
 * - `blackhole`: accepts and keeps connections but forwards nothing either way.
 * - `flap`: forwards, and resets every connection each `flapMs`.
 * - `lostReply`: forwards; the next client packet that matches `lostReplyMatch` reaches the
 *   database, which runs it, but its reply is dropped and the connection reset after `lostReplyMs`.
 */
export type ProxyMode = 'pass' | 'cut' | 'blackhole' | 'flap' | 'lostReply';

export interface TcpProxy {
  /** Port on 127.0.0.1 to connect to instead of the database's. */
  port: number;
  mode: ProxyMode;
  set(mode: ProxyMode): void;
  /** Replies dropped so far in lostReply mode. */
  lostReplies: number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
}

/** A loopback TCP proxy in front of `targetPort` on 127.0.0.1. */
export async function startTcpProxy(
  targetPort: number,
  options: { flapMs?: number; lostReplyMatch?: RegExp; lostReplyMs?: number; lostReplyCount?: number } = {},
): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const flapMs = options.flapMs ?? 40;
  const match = options.lostReplyMatch ?? /INSERT INTO .?audit_api_logs/i;
  let flapTimer: NodeJS.Timeout | undefined;
  let lostLeft = 0;

  const reset = (pair: Pair): void => {
    pair.client.resetAndDestroy();
    pair.server.resetAndDestroy();
    pairs.delete(pair);
  };

  const server: Server = createServer((client) => {
    if (proxy.mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, server: upstream };
    pairs.add(pair);
    let dropReplies = false;
    client.on('data', (chunk: Buffer) => {
      if (proxy.mode === 'blackhole') return;
      if (proxy.mode === 'lostReply' && lostLeft > 0 && match.test(chunk.toString('latin1'))) {
        lostLeft--;
        proxy.lostReplies++;
        dropReplies = true;
        upstream.write(chunk);
        setTimeout(() => reset(pair), options.lostReplyMs ?? 300).unref();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (proxy.mode === 'blackhole' || dropReplies) return;
      client.write(chunk);
    });
    const end = (): void => reset(pair);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const proxy: TcpProxy = {
    port: (server.address() as AddressInfo).port,
    mode: 'pass',
    lostReplies: 0,
    set(mode) {
      // Leaving a blackhole: what it swallowed is gone, as after a partition the sockets time out.
      if (proxy.mode === 'blackhole' && mode !== 'blackhole') for (const pair of [...pairs]) reset(pair);
      proxy.mode = mode;
      clearInterval(flapTimer);
      flapTimer = undefined;
      if (mode === 'cut') for (const pair of [...pairs]) reset(pair);
      if (mode === 'flap') {
        flapTimer = setInterval(() => {
          for (const pair of [...pairs]) reset(pair);
        }, flapMs);
        flapTimer.unref();
      }
      if (mode === 'lostReply') lostLeft = options.lostReplyCount ?? 1;
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(flapTimer);
        for (const pair of [...pairs]) reset(pair);
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/** The connection URL with its port replaced by the proxy's. */
export function throughProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}
