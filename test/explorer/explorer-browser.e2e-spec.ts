import type { INestApplication } from '@nestjs/common';
import { readFileSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REDACTED } from 'nestjs-audit-trail';
import type { ShopConfig } from '../../apps/shop/src/config/shop-config';
import { DEMO_EXPLORER_PASSWORD, DEMO_EXPLORER_USER } from '../../apps/shop/src/explorer/demo-basic-auth.guard';
import { type GatewaySandbox, startGatewaySandbox } from '../../apps/shop/src/sandbox/gateway-sandbox';
import { createShop } from '../../apps/shop/src/shop';
import { describeEachDialect, testDatabase } from '../support/test-app';
import { launchChromium } from '../support/chromium';

const MERCHANT_ACCOUNT = '0611104625';
const AUTHORIZATION = `Basic ${Buffer.from(`${DEMO_EXPLORER_USER}:${DEMO_EXPLORER_PASSWORD}`).toString('base64')}`;
// README's picture is refreshed on request (AUDIT_SCREENSHOT=1), so an ordinary run leaves the tree clean.
const SCREENSHOT = join(__dirname, '../../docs/images/explorer-transaction.png');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface Row {
  id: number;
  createdAt: string;
  [field: string]: any;
}

/** Runs axe-core in the page (through the debugger protocol, which the page's CSP does not govern). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> = await page.evaluate(
    async () => (await (globalThis as any).axe.run((globalThis as any).document)).violations,
  );
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.nodes.map((node) => node.target).join(' ')}`);
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describeEachDialect('explorer in Chromium: the checkout shop', (dialect) => {
  let sandbox: GatewaySandbox;
  let app: INestApplication;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    // Calls long enough to show as bars, short enough to keep the suite quick.
    sandbox = await startGatewaySandbox({ latency: { min: 30, max: 60 } });
    const config: ShopConfig = {
      database: await testDatabase(dialect, []),
      bca: { url: sandbox.bca.url, authorization: 'Bearer test-bca-key', accountNumber: MERCHANT_ACCOUNT },
      jne: { url: sandbox.jne.url, authorization: 'Basic dGVzdDp0ZXN0' },
      gatewayTimeoutMs: 5000,
    };
    app = await createShop(config, false);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    context = await browser.newContext({
      httpCredentials: { username: DEMO_EXPLORER_USER, password: DEMO_EXPLORER_PASSWORD },
      timezoneId: 'UTC',
      locale: 'en-GB',
      viewport: { width: 1440, height: 900 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  afterAll(async () => {
    await context?.close();
    await app?.close();
    await sandbox?.close();
  });

  async function checkout(customerId: string, amount: number): Promise<{ transactionId: string; orderId: number }> {
    const response = await fetch(`${base}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId, amount }),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { transactionId: string; order: { id: number } };
    return { transactionId: body.transactionId, orderId: body.order.id };
  }

  async function api<T>(path: string): Promise<T> {
    const response = await fetch(`${base}/audit/api/${path}`, { headers: { authorization: AUTHORIZATION } });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  }

  /** Every row of a search through the JSON API, page after page. */
  async function allRows(query: string): Promise<Row[]> {
    const rows: Row[] = [];
    let cursor: number | undefined;
    do {
      const page = await api<{ rows: Row[]; nextBeforeId?: number }>(
        `logs?${query}&limit=2${cursor ? `&beforeId=${cursor}` : ''}`,
      );
      rows.push(...page.rows);
      cursor = page.nextBeforeId;
    } while (cursor !== undefined);
    return rows;
  }

  it('refuses the page without the demo login', async () => {
    const response = await fetch(`${base}/audit`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="audit trail explorer", charset="UTF-8"');
  });

  it("shows a checkout's three changes and two calls on one time axis, in order, with the call durations", async () => {
    const { transactionId, orderId } = await checkout('cust-42', 150000);
    const trail = await api<{ apiLogs: Row[]; dataLogs: Row[] }>(`transactions/${transactionId}`);

    await page.goto(`${base}/audit#/transactions/${transactionId}`);
    const entries = page.locator('table.timeline tbody.entry');
    await eventually(entries).toHaveCount(5);
    expect(await entries.evaluateAll((nodes) => nodes.map((node) => (node as any).dataset.kind))).toEqual([
      'data',
      'api',
      'data',
      'api',
      'data',
    ]);
    const what = await page.locator('table.timeline td.what').allInnerTexts();
    expect(what.map((text) => text.replace(/^\s*(change|call)\s*/i, '').trim())).toEqual([
      `create orders #${orderId}`,
      'POST bca /v1/transfer',
      `update orders #${orderId}`,
      'POST jne /v2/shipments',
      `update orders #${orderId}`,
    ]);
    const [bca, jne] = trail.apiLogs;
    expect(bca.durationMs).toBeGreaterThanOrEqual(30);
    const outcomes = await page.locator('table.timeline td.outcome').allInnerTexts();
    expect(outcomes[1]).toBe(`200 · ${bca.durationMs} ms`);
    expect(outcomes[3]).toBe(`201 · ${jne.durationMs} ms`);
    // Calls are bars as wide as their share of the span; changes are points.
    expect(await page.locator('tbody.entry .bar').count()).toBe(2);
    expect(await page.locator('tbody.entry .point').count()).toBe(3);
    const bcaBar = await page.locator('tbody.entry[data-kind="api"] .bar').first().boundingBox();
    const axis = await page.locator('tbody.entry[data-kind="api"] .track').first().boundingBox();
    const spanMs =
      Date.parse(trail.dataLogs[2].createdAt) - Date.parse(trail.dataLogs[0].createdAt) >
      Date.parse(jne.createdAt) + jne.durationMs - Date.parse(trail.dataLogs[0].createdAt)
        ? Date.parse(trail.dataLogs[2].createdAt) - Date.parse(trail.dataLogs[0].createdAt)
        : Date.parse(jne.createdAt) + jne.durationMs - Date.parse(trail.dataLogs[0].createdAt);
    expect(bcaBar!.width / axis!.width).toBeCloseTo(bca.durationMs / spanMs, 1);
    expect(await page.locator('tbody.entry td.route').first().innerText()).toBe('POST /checkout');

    // A call opens to its redacted request and response.
    await page.locator('tbody.entry[data-kind="api"] button').first().click();
    const call = page.locator('tbody.entry.open .call-detail');
    await eventually(call).toContainText(REDACTED);
    expect(await call.innerText()).not.toContain(MERCHANT_ACCOUNT);
    await page.locator('tbody.entry[data-kind="api"] button').first().click();

    // By keyboard: Tab to the first update and open it with Enter.
    await page.locator('h1').focus();
    let focused = '';
    for (let presses = 0; presses < 15 && !focused.startsWith(`change update orders #${orderId}`); presses++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(
        () => (globalThis as any).document.activeElement?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
      );
    }
    expect(focused).toBe(`change update orders #${orderId}`);
    await page.keyboard.press('Enter');
    const opened = page.locator('tbody.entry.open');
    await eventually(opened).toHaveCount(1);
    expect(await opened.locator('button').getAttribute('aria-expanded')).toBe('true');
    const changed = opened.locator('.diff tr.changed');
    const stored = trail.dataLogs[1];
    expect(await changed.locator('th').allInnerTexts()).toEqual(expect.arrayContaining(['payment_ref', 'status']));
    expect(await opened.locator('tr.changed[data-field="payment_ref"] td').allInnerTexts()).toEqual([
      'null',
      stored.newValues.payment_ref,
    ]);
    expect(await opened.locator('tr.changed[data-field="status"] td').allInnerTexts()).toEqual(['pending', 'paid']);
    expect(page.url()).toContain(`?open=data-${stored.id}`);

    expect(await seriousViolations(page)).toEqual([]);
    if (dialect === 'sqlite' && process.env.AUDIT_SCREENSHOT === '1') {
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      const bottom = await page.locator('table.timeline').evaluate((table) => table.getBoundingClientRect().bottom);
      await page.screenshot({ path: SCREENSHOT, clip: { x: 0, y: 0, width: 1440, height: Math.ceil(bottom) + 24 } });
    }

    // "State at": the order between its two updates, from the history view the row links to.
    await opened.getByRole('link', { name: `History of orders #${orderId}` }).click();
    await eventually(page.locator('li.change')).toHaveCount(3);
    expect(
      await page.locator('li.change').evaluateAll((nodes) => nodes.map((node) => (node as any).dataset.action)),
    ).toEqual(['update', 'update', 'create']);
    // The history diff holds the full state: unchanged fields are there, folded.
    await eventually(page.locator('li.change').nth(1).locator('details summary')).toContainText('unchanged fields');
    const [paid, shipped] = [trail.dataLogs[1], trail.dataLogs[2]];
    const between = new Date((Date.parse(paid.createdAt) + Date.parse(shipped.createdAt)) / 2);
    // The browser runs in UTC: the datetime-local value is the instant's UTC wall clock.
    await page.locator('#state-at-input').fill(between.toISOString().slice(0, 23));
    await page.getByRole('button', { name: 'Show state' }).press('Enter');
    const snapshot = page.getByRole('region', { name: 'State at the chosen moment' });
    await eventually(snapshot.locator('tr[data-field="status"] td')).toHaveText('paid');
    expect(await snapshot.locator('tr[data-field="payment_ref"] td').innerText()).toBe(paid.newValues.payment_ref);
    expect(await snapshot.locator('tr[data-field="tracking_number"] td').innerText()).toBe('null');
    expect(page.url()).toContain(`#/entities/orders/${orderId}?at=${encodeURIComponent(between.toISOString())}`);
    expect(await seriousViolations(page)).toEqual([]);

    // The link is shareable: a fresh page on it shows the same state.
    const shared = await context.newPage();
    await shared.goto(page.url());
    await eventually(shared.locator('.snapshot tr[data-field="status"] td')).toHaveText('paid');
    await shared.close();
    expect(problems).toEqual([]);
  });

  it('exports a filter as NDJSON and CSV with exactly the rows the JSON API returns, redaction kept', async () => {
    await checkout('cust-43', 20000);
    await checkout('cust-44', 30000);
    await page.goto(`${base}/audit#/search`);
    await page.getByLabel('Entity type', { exact: true }).fill('orders');
    await page.getByLabel('Action', { exact: true }).selectOption('update');
    await page.getByRole('button', { name: 'Search' }).click();
    await eventually(page).toHaveURL(/#\/search\?trail=data&entityType=orders&action=update$/);

    const expected = await allRows('trail=data&entityType=orders&action=update');
    expect(expected.length).toBeGreaterThanOrEqual(6);
    // Until the filtered page arrives the table shows the unfiltered one, or nothing while it loads.
    await eventually(page.locator('table.results tbody tr')).toHaveCount(expected.length);
    expect(
      await page.locator('table.results tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.id)),
    ).toEqual(expected.map((row) => String(row.id)));

    const [ndjson] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'NDJSON' }).click(),
    ]);
    expect(ndjson.suggestedFilename()).toMatch(/^audit-data-.+\.ndjson$/);
    const lines = readFileSync((await ndjson.path())!, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.id)).toEqual(expected.map((row) => row.id));
    expect(lines.map((line) => line.new_values)).toEqual(expected.map((row) => row.newValues));

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
    const records = readFileSync((await csv.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(records[0].startsWith('id,created_at,transaction_id,entity_type')).toBe(true);
    expect(records.slice(1).map((record) => Number(record.split(',')[0]))).toEqual(expected.map((row) => row.id));

    // The API trail's export keeps what was redacted redacted.
    await page.goto(`${base}/audit#/search?trail=api&service=bca`);
    await eventually(page.locator('table.results tbody tr').first()).toBeVisible();
    const [calls] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'NDJSON' }).click(),
    ]);
    const exported = readFileSync((await calls.path())!, 'utf8');
    const bcaRows = await allRows('trail=api&service=bca');
    expect(exported.trim().split('\n')).toHaveLength(bcaRows.length);
    expect(exported).toContain(`"account_number":"${REDACTED}"`);
    expect(exported).not.toContain(MERCHANT_ACCOUNT);
    expect(exported).not.toContain('test-bca-key');

    expect(await seriousViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });
});

/** playwright-core has no test runner: the few web-first assertions used above, polling like its own. */
function eventually(actual: any) {
  const poll = async (check: () => Promise<boolean>, describe: () => Promise<string>) => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(await describe());
  };
  return {
    toHaveCount: (count: number) =>
      poll(
        async () => (await actual.count()) === count,
        async () => `expected ${count} elements, found ${await actual.count()}`,
      ),
    toBeVisible: () =>
      poll(
        () => actual.isVisible(),
        async () => 'expected the element to be visible',
      ),
    toHaveText: (text: string) =>
      poll(
        async () => (await actual.innerText()).trim() === text,
        async () =>
          `expected text ${JSON.stringify(text)}, found ${JSON.stringify(await actual.innerText().catch(() => ''))}`,
      ),
    toContainText: (text: string) =>
      poll(
        async () => (await actual.innerText()).includes(text),
        async () => `expected text containing ${JSON.stringify(text)}`,
      ),
    toHaveURL: (pattern: RegExp) =>
      poll(
        async () => pattern.test(actual.url()),
        async () => `expected the URL to match ${pattern}, got ${actual.url()}`,
      ),
  };
}
