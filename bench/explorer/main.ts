import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { Client } from 'pg';
import { freshDatabase, serverUrl } from '../../test/support/databases';
import { launchChromium } from '../../test/support/chromium';

/**
 * `npm run bench:explorer`: the explorer on PostgreSQL with a seeded data trail of 1,000,000 rows
 * (and one of 1,000 for comparison):
 *  - export of all 1,000,000 rows as CSV and as NDJSON: wall time, the app's peak RSS, rows in the file;
 *  - time to first render of one transaction's view in Chromium, on each trail, and their ratio.
 * Results go to bench/results/explorer.json.
 */
const BIG = 1_000_000;
const SMALL = 1_000;
const RENDERS = 9;
const TARGET = 'bench-checkout-0001';

const log = (message: string) => process.stdout.write(`${message}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The app's resident set now and at its peak since the last reset, in MiB (Linux /proc). */
function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/** Resets the peak RSS counter (writing 5 to clear_refs), so a phase's peak is its own. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

async function startApp(url: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [join(__dirname, 'explorer-server.js')], {
    env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`explorer app exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

async function stopApp(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Fills audit_logs with `rows` rows in SQL (generate_series, 100,000 a statement): entities of ten
 * rows (a create, then updates), five rows a transaction. Secondary indexes are dropped first and
 * rebuilt from their own definitions after: building once beats growing row by row. Then one
 * checkout-shaped transaction (create, call, update, call, update) in the middle of the trail.
 */
async function seed(url: string, rows: number): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const indexes = (
      await client.query(
        `SELECT indexname, indexdef FROM pg_indexes
          WHERE schemaname = current_schema() AND tablename = 'audit_logs' AND indexname <> 'audit_logs_pkey'`,
      )
    ).rows as Array<{ indexname: string; indexdef: string }>;
    for (const index of indexes) await client.query(`DROP INDEX "${index.indexname}"`);
    const entities = Math.max(1, rows / 10);
    const half = Math.floor(rows / 2);
    const insert = (from: number, to: number) =>
      client.query(
        `INSERT INTO audit_logs
           (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at)
         SELECT 'orders', ((k % $1) + 1)::text,
                CASE WHEN k < $1 THEN 'create' ELSE 'update' END,
                CASE WHEN k < $1 THEN NULL ELSE jsonb_build_object('status', 'paid', 'payment_ref', NULL) END,
                CASE WHEN k < $1
                  THEN jsonb_build_object('id', (k % $1) + 1, 'customer_id', 'cust-' || (k % 977),
                                          'amount', '150000.00', 'status', 'pending', 'payment_ref', NULL)
                  ELSE jsonb_build_object('status', 'shipped', 'payment_ref', lpad(k::text, 16, '0')) END,
                'user-' || (k % 1000), 'customer',
                jsonb_build_object('method', 'POST', 'route', '/checkout'),
                'seed-' || lpad((k / 5)::text, 9, '0'),
                TIMESTAMPTZ '2024-01-01 00:00:00+00' + k * INTERVAL '10 milliseconds'
           FROM generate_series($2::bigint, $3::bigint) AS k`,
        [entities, from, to],
      );
    for (let from = 0; from < half; from += 100_000) await insert(from, Math.min(half, from + 100_000) - 1);
    // The transaction under view, stamped where the middle of the trail is.
    const at = `TIMESTAMPTZ '2024-01-01 00:00:00+00' + ${half} * INTERVAL '10 milliseconds'`;
    const meta = `'{"method":"POST","route":"/checkout"}'::jsonb`;
    await client.query(
      `INSERT INTO audit_logs (entity_type, entity_id, action, old_values, new_values, user_id, user_type, metadata, transaction_id, created_at)
       VALUES ('orders', 'bench-1', 'create', NULL, '{"id":1,"status":"pending","payment_ref":null}', 'user-1', 'customer', ${meta}, $1, ${at}),
              ('orders', 'bench-1', 'update', '{"status":"pending","payment_ref":null}', '{"status":"paid","payment_ref":"1234567890123456"}', 'user-1', 'customer', ${meta}, $1, ${at} + INTERVAL '120 ms'),
              ('orders', 'bench-1', 'update', '{"status":"paid","tracking_number":null}', '{"status":"shipped","tracking_number":"CGK0000000000001"}', 'user-1', 'customer', ${meta}, $1, ${at} + INTERVAL '230 ms')`,
      [TARGET],
    );
    await client.query(
      `INSERT INTO audit_api_logs (service, endpoint, method, status_code, request_headers, request_body, response_body, duration_ms, error_message, user_id, metadata, transaction_id, created_at)
       VALUES ('bca', '/v1/transfer', 'POST', 200, '{"Authorization":"[REDACTED]"}', '{"amount":"150000.00"}', '{"status":"SUCCESS"}', 105, NULL, 'user-1', ${meta}, $1, ${at} + INTERVAL '10 ms'),
              ('jne', '/v2/shipments', 'POST', 201, '{"Authorization":"[REDACTED]"}', '{"service":"REG"}', '{"status":"BOOKED"}', 95, NULL, 'user-1', ${meta}, $1, ${at} + INTERVAL '130 ms')`,
      [TARGET],
    );
    for (let from = half; from < rows - 3; from += 100_000) await insert(from, Math.min(rows - 3, from + 100_000) - 1);
    for (const index of indexes) await client.query(index.indexdef);
    await client.query('ANALYZE audit_logs');
    const count = (await client.query('SELECT count(*)::int AS n FROM audit_logs')).rows[0].n;
    if (count !== rows) throw new Error(`seeded ${count} rows, expected ${rows}`);
  } finally {
    await client.end();
  }
}

/** Downloads an export to a file, counting its lines on the way; returns time, rows and bytes. */
async function exportOnce(base: string, pid: number, format: 'csv' | 'ndjson', file: string) {
  const peakReset = resetPeak(pid);
  const before = memory(pid);
  const started = performance.now();
  const response = await fetch(`${base}/audit/api/export?trail=data&format=${format}`);
  if (!response.ok || !response.body) throw new Error(`export answered ${response.status}`);
  let lines = 0;
  let peakDuring = before.rssMiB;
  const sampler = setInterval(() => (peakDuring = Math.max(peakDuring, memory(pid).rssMiB)), 100);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body as any), counter, createWriteStream(file));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const after = memory(pid);
  const rows = format === 'csv' ? lines - 1 : lines;
  return {
    format,
    rows,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: Math.round(rows / seconds),
    fileMiB: Number((statSync(file).size / 1024 / 1024).toFixed(1)),
    appRssBeforeMiB: Number(before.rssMiB.toFixed(1)),
    appPeakRssMiB: Number((peakReset ? after.peakMiB : peakDuring).toFixed(1)),
    peakFrom: peakReset ? 'VmHWM, reset before the export' : 'VmRSS sampled every 100 ms',
  };
}

/** Median time from navigation start to the transaction's five rows on screen, over RENDERS loads. */
async function firstRender(base: string): Promise<{ medianMs: number; samplesMs: number[] }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const samples: number[] = [];
    for (let run = 0; run <= RENDERS; run++) {
      await page.goto('about:blank');
      await page.goto(`${base}/audit#/transactions/${TARGET}`);
      await page.waitForFunction(
        () => (globalThis as any).document.querySelectorAll('tbody.entry').length === 5,
        null,
        {
          polling: 'raf',
        },
      );
      const ms = await page.evaluate(() => performance.now());
      if (run > 0) samples.push(Math.round(ms)); // the first load warms caches on both sides
    }
    return { medianMs: median(samples), samplesMs: samples };
  } finally {
    await browser.close();
  }
}

async function trail(rows: number, withExport: boolean) {
  const database = `bench_explorer_${rows}_${process.pid}`;
  await freshDatabase('postgres', database);
  const url = serverUrl('postgres', database);
  // The app creates the tables (autoMigrate), then the trail is seeded under it.
  let app = await startApp(url);
  await stopApp(app.child);
  const seeding = performance.now();
  await seed(url, rows);
  log(`seeded ${rows.toLocaleString('en-US')} rows in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
  app = await startApp(url);
  try {
    const render = await firstRender(app.base);
    log(`  first render of the transaction view: median ${render.medianMs} ms (${render.samplesMs.join(', ')})`);
    const exports = [];
    if (withExport) {
      const folder = join(tmpdir(), `explorer-bench-${process.pid}`);
      mkdirSync(folder, { recursive: true });
      for (const format of ['csv', 'ndjson'] as const) {
        const result = await exportOnce(app.base, app.child.pid!, format, join(folder, `export.${format}`));
        log(`  export ${format}: ${JSON.stringify(result)}`);
        exports.push(result);
      }
      rmSync(folder, { recursive: true, force: true });
    }
    return { rows, render, exports };
  } finally {
    await stopApp(app.child);
    const admin = new Client({ connectionString: serverUrl('postgres', 'postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const small = await trail(SMALL, false);
  const big = await trail(BIG, true);
  const ratio = Number((big.render.medianMs / small.render.medianMs).toFixed(2));
  log(`time to first render, ${BIG.toLocaleString('en-US')} rows vs ${SMALL.toLocaleString('en-US')}: ${ratio}`);
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    database: 'PostgreSQL',
    firstRender: { small: small.render, big: big.render, ratio },
    exports: big.exports,
  };
  mkdirSync(join(__dirname, '../../../../bench/results'), { recursive: true });
  writeFileSync(join(__dirname, '../../../../bench/results/explorer.json'), JSON.stringify(result, null, 2) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
