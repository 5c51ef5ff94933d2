import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { Product } from '../support/product.entity';
import { dialectsUnderTest, testDatabase } from '../support/test-app';
import { type LoopbackServer, json, startLoopbackServer, withFreshConnection } from '../api-trail/loopback-server';
import { createAppOn, within } from './fault-app';
import { type ProxyMode, startTcpProxy, throughProxy } from './tcp-proxy';

/**
 * The fault suite (`npm run test:faults`, not part of `npm test`): the application talks to each
 * server database through a loopback TCP proxy that cuts, blackholes, flaps and loses replies, or
 * is killed with SIGKILL under load; every assertion is read back from the database.
 */
const servers = (['postgres', 'mariadb'] as const).filter((dialect) => dialectsUnderTest().includes(dialect));

interface TrailFigures {
  calls: number;
  rows: number;
  lost: number;
  duplicated: number;
  pending: number;
  businessRows: number;
  businessWithoutAudit: number;
}

/** Compares what the gateway received with what the database holds. */
async function figures(options: DataSourceOptions, gateway: LoopbackServer, prefix = '/pay/'): Promise<TrailFigures> {
  const received = new Set(gateway.received.map((r) => r.url.split('?', 1)[0]).filter((url) => url.startsWith(prefix)));
  return withFreshConnection(options, async (dataSource: DataSource) => {
    const rows = (await dataSource.query(`SELECT endpoint, error_message FROM audit_api_logs`)) as Array<{
      endpoint: string;
      error_message: string | null;
    }>;
    const byEndpoint = new Map<string, number>();
    for (const row of rows) byEndpoint.set(row.endpoint, (byEndpoint.get(row.endpoint) ?? 0) + 1);
    const products = (await dataSource.query('SELECT id FROM products')) as Array<{ id: unknown }>;
    const audited = new Set(
      ((await dataSource.query('SELECT entity_id FROM audit_logs')) as Array<{ entity_id: unknown }>).map((row) =>
        String(row.entity_id),
      ),
    );
    return {
      calls: received.size,
      rows: rows.length,
      lost: [...received].filter((endpoint) => !byEndpoint.has(endpoint)).length,
      duplicated: [...byEndpoint.values()].reduce((sum, n) => sum + n - 1, 0),
      pending: rows.filter((row) => row.error_message?.startsWith('outcome not recorded')).length,
      businessRows: products.length,
      businessWithoutAudit: products.filter((row) => !audited.has(String(row.id))).length,
    };
  });
}

async function countRows(options: DataSourceOptions): Promise<number> {
  return withFreshConnection(options, async (dataSource) => {
    const [row] = await dataSource.query('SELECT COUNT(*) AS n FROM audit_api_logs');
    return Number(row.n);
  });
}

function report(line: string): void {
  process.stdout.write(`${line}\n`);
}

describe.each(servers)('fault suite [%s]', (dialect) => {
  let gateway: LoopbackServer;

  beforeAll(async () => {
    gateway = await startLoopbackServer({
      'POST /pay': (_request, response) => json(response, 200, {}),
    });
  });

  afterAll(() => gateway?.close());

  beforeEach(() => {
    gateway.received.length = 0;
  });

  it('cut, blackhole, flap and lost replies under load: no business row without its audit row, no API row lost or duplicated, no hang', async () => {
    // Every path answers: the routes table only knows exact paths, so catch-all through 404 is fine too.
    const direct = await testDatabase(dialect, [Product]);
    const url = (direct as { url: string }).url;
    const proxy = await startTcpProxy(Number(new URL(url).port), { lostReplyCount: 3 });
    const t = await createAppOn(
      {
        ...direct,
        url: throughProxy(url, proxy.port),
        extra: { connectionTimeoutMillis: 5000, connectTimeout: 5000 },
      } as DataSourceOptions,
      [Product],
      { dataAudit: { enabled: true }, apiAudit: { enabled: true, services: { [gateway.url]: 'bank' } } },
    );
    const started = Date.now();
    let stop = false;
    let longestCall = 0;
    let hung = 0;
    let failedUnits = 0;
    let unit = 0;
    const worker = async (id: number): Promise<void> => {
      while (!stop) {
        const name = `${id}-${++unit}`;
        const work = t.dataSource.transaction(async (manager) => {
          await manager.save(Product, manager.create(Product, { name, price: 1 }));
          const callStart = Date.now();
          await (await fetch(`${gateway.url}/pay/in-${name}`, { method: 'POST', body: '{}' })).text();
          longestCall = Math.max(longestCall, Date.now() - callStart);
        });
        const outcome = await within(
          work.catch(() => 'failed'),
          20_000,
        );
        if (outcome === 'timeout') hung++;
        if (outcome === 'failed') failedUnits++;
        const callStart = Date.now();
        await (await fetch(`${gateway.url}/pay/out-${name}`)).text();
        longestCall = Math.max(longestCall, Date.now() - callStart);
      }
    };
    const workers = Array.from({ length: 4 }, (_, id) => worker(id));
    const schedule: Array<[ProxyMode, number]> = [
      ['pass', 500],
      ['cut', 1000],
      ['pass', 500],
      ['blackhole', 1000],
      ['pass', 500],
      ['flap', 2000],
      ['pass', 500],
      ['lostReply', 1500],
      ['pass', 500],
    ];
    for (const [mode, ms] of schedule) {
      proxy.set(mode);
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    stop = true;
    expect(await within(Promise.all(workers), 30_000)).not.toBe('timeout');
    // The writer keeps what it could not write; flush until the database took everything.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await t.audit.flushApiCalls();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    expect(await within(t.app.close(), 30_000)).not.toBe('timeout');
    await proxy.close();
    const result = await figures(direct, gateway);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    report(
      `faults [${dialect}] proxy cut/blackhole/flap/lostReply(${proxy.lostReplies}): ${result.calls} calls, ${result.rows} API rows, lost ${result.lost}, duplicated ${result.duplicated}; ${result.businessRows} business rows, ${result.businessWithoutAudit} without audit row; ${failedUnits} units failed to the caller, ${hung} hung; longest call ${longestCall} ms; ${seconds} s`,
    );
    expect(result.calls).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(result.duplicated).toBe(0);
    expect(result.businessWithoutAudit).toBe(0);
    expect(hung).toBe(0);
  }, 180_000);

  it.each(['on', 'off'])(
    'defect 12: kill -9 of a writer under load, 5 times, writeAhead %s: calls the gateway received without a row (none allowed with writeAhead on; reported without it)',
    async (writeAhead) => {
      const options = await testDatabase(dialect, [Product]);
      // Creates the tables once; the children start on them.
      const setup = await createAppOn(options, [Product], {
        dataAudit: { enabled: true },
        apiAudit: { enabled: true },
      });
      await setup.app.close();
      const started = Date.now();
      for (let kill = 0; kill < 5; kill++) {
        const child: ChildProcess = spawn(
          process.execPath,
          [
            '-r',
            join(__dirname, 'ts-hook.js'),
            join(__dirname, 'child-writer.ts'),
            JSON.stringify(options),
            gateway.url,
            writeAhead,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let errors = '';
        child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
        const ready = await within(
          new Promise<void>((resolve, reject) => {
            child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
            child.on('exit', (code) => reject(new Error(`child exited ${code}: ${errors}`)));
          }),
          30_000,
        );
        expect(ready).not.toBe('timeout');
        await new Promise((resolve) => setTimeout(resolve, 1000 + kill * 150));
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      // Requests the child had sent reach the gateway's log when their bodies end.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const inside = await figures(options, gateway, '/pay/in-');
      const outside = await figures(options, gateway, '/pay/out-');
      report(
        `kill -9 x5 [${dialect}] writeAhead ${writeAhead}: calls in a transaction ${inside.calls}, without a row ${inside.lost}; calls outside ${outside.calls}, without a row ${outside.lost}; pending rows left ${inside.pending + outside.pending}; duplicated ${inside.duplicated + outside.duplicated}; business rows ${inside.businessRows}, without audit row ${inside.businessWithoutAudit}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      expect(inside.businessWithoutAudit).toBe(0);
      expect(inside.duplicated + outside.duplicated).toBe(0);
      if (writeAhead === 'on') {
        expect(inside.lost).toBe(0);
        expect(outside.lost).toBe(0);
      }
    },
    180_000,
  );

  it('defect 11: a pool of 2 held by transactions waiting on outbound calls, queue at its bound: no deadlock', async () => {
    const items = await startLoopbackServer({ 'GET /item': (_request, response) => json(response, 200, {}) });
    const options = await testDatabase(dialect, [Product], { poolSize: 2 });
    const t = await createAppOn(options, [Product], { apiAudit: { enabled: true } });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const held: Array<() => void> = [];
    const transactions = [1, 2].map((n) =>
      t.dataSource.transaction(async (manager) => {
        await manager.query('SELECT 1');
        held.push(() => undefined);
        await gate;
        await (await fetch(`${items.url}/item?tx=${n}`)).json();
      }),
    );
    try {
      while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      // Both connections are held: 5,000 calls fill the queue to its bound.
      for (let batch = 0; batch < 50; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, async (_, i) => (await fetch(`${items.url}/item?n=${batch * 100 + i}`)).json()),
        );
      }
      open();
      const outcome = await within(Promise.all(transactions), 15_000);
      expect(outcome).not.toBe('timeout');
      const started = Date.now();
      expect(await within(t.app.close(), 30_000)).not.toBe('timeout');
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(await countRows(options)).toBe(5002);
    } finally {
      open();
      await items.close();
    }
  }, 90_000);
});
