import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { buildSync } from 'esbuild';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { AuditMcpModule } from 'nestjs-audit-trail';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';
import { insertGoApiRow, insertGoDataRow, rawConnection } from './go-audit-fixtures';

const TOKEN = 'mcp-test-token';

@Injectable()
class BearerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return request.headers.authorization === `Bearer ${TOKEN}`;
  }
}

const GO_AT = new Date('2026-04-13T09:01:00.000Z');
const TOOLS = ['query_api_logs', 'query_by_transaction', 'query_data_logs', 'recent_changes', 'snapshot_entity'];

type ToolResult = { isError?: boolean; content: Array<{ type: string; text: string }> };
const json = (result: unknown) => JSON.parse((result as ToolResult).content[0].text);

/** The command line, bundled from source so the test runs what `npx nestjs-audit-trail mcp` runs. */
function cliEntry(): string {
  // Inside the repository, so the bundle's external packages resolve from its node_modules.
  const scratch = join(__dirname, '../../.tmp');
  mkdirSync(scratch, { recursive: true });
  const folder = mkdtempSync(join(scratch, 'audit-mcp-'));
  const bundle = join(folder, 'cli.js');
  buildSync({
    entryPoints: [join(__dirname, '../../libs/audit/src/mcp/audit-mcp.cli.ts')],
    bundle: true,
    platform: 'node',
    packages: 'external',
    outfile: bundle,
    logLevel: 'silent',
  });
  const entry = join(folder, 'nestjs-audit-trail.js');
  writeFileSync(entry, `require(${JSON.stringify(bundle)}).main(process.argv.slice(2));\n`);
  return entry;
}

describeEachDialect('interop: MCP tools', (dialect) => {
  let t: TestApp;
  let raw: DataSource;
  let url: URL;
  let moduleTx: string;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [],
      // The test's own MCP client calls the app with fetch: those calls are not the trail's business.
      audit: { dataAudit: { enabled: true }, apiAudit: { enabled: true, fetch: false } },
      imports: [AuditMcpModule.forRoot({ path: '/mcp', guard: BearerGuard })],
    });
    await t.app.listen(0, '127.0.0.1');
    url = new URL(`${await t.app.getUrl()}/mcp`.replace('[::1]', '127.0.0.1'));
    raw = await rawConnection(t.dataSource.options);

    // Rows this module writes...
    moduleTx = 'mcp-module-tx';
    await t.audit.recordDataChange({
      entityType: 'orders',
      entityId: '7',
      action: 'create',
      newValues: { status: 'pending', amount: 250 },
      userId: 'alice',
      transactionId: moduleTx,
    });
    await t.audit.recordDataChange({
      entityType: 'orders',
      entityId: '7',
      action: 'update',
      oldValues: { status: 'pending' },
      newValues: { status: 'paid' },
      userId: 'alice',
      transactionId: moduleTx,
    });
    await t.audit.recordApiCall({
      service: 'bca',
      endpoint: '/v1/transfer',
      method: 'POST',
      statusCode: 200,
      durationMs: 842,
      responseHeaders: { 'X-Trace': 'bca-1' },
      userId: 'alice',
      transactionId: moduleTx,
    });
    await t.audit.flushApiCalls();
    // ...and rows inserted as go-audit writes them.
    await insertGoDataRow(raw, dialect, {
      entityType: 'payments',
      entityId: '1',
      action: 'create',
      oldValues: null,
      newValues: { status: 'pending', payment_ref: 'OLD', amount: 100 },
      createdAt: GO_AT,
      transactionId: 'go-tx',
    });
    await insertGoDataRow(raw, dialect, {
      entityType: 'payments',
      entityId: '1',
      action: 'update',
      oldValues: { status: 'pending', payment_ref: 'OLD' },
      newValues: { status: 'paid' },
      createdAt: new Date(GO_AT.getTime() + 1000),
      transactionId: 'go-tx',
    });
    await insertGoApiRow(raw, dialect, {
      service: 'jne',
      statusCode: 201,
      transactionId: 'go-tx',
      createdAt: GO_AT,
      withResponseHeaders: true,
    });
  });

  afterAll(async () => {
    await raw?.destroy();
    await t?.close();
  });

  async function httpClient(token = TOKEN): Promise<Client> {
    const client = new Client({ name: 'audit-test', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
    );
    return client;
  }

  /** Every tool, on module rows and on go-audit rows; the same assertions for either transport. */
  async function callEveryTool(client: Client): Promise<void> {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);

    const data = json(await client.callTool({ name: 'query_data_logs', arguments: { entity_type: 'orders' } }));
    expect(data.count).toBe(2);
    expect(data.logs[0]).toMatchObject({ entity_type: 'orders', entity_id: '7', action: 'update', user_id: 'alice' });
    expect(data.logs[0].new_values).toEqual({ status: 'paid' });
    const goData = json(
      await client.callTool({
        name: 'query_data_logs',
        arguments: { entity_type: 'payments', date_from: '2026-04-13T09:01:00Z', date_to: '2026-04-13T09:01:00Z' },
      }),
    );
    expect(goData.logs.map((log: { action: string }) => log.action)).toEqual(['create']);
    expect(goData.logs[0]).toMatchObject({ created_at: '2026-04-13T09:01:00Z', user_id: 'go-user' });
    const limited = json(await client.callTool({ name: 'query_data_logs', arguments: { limit: 1, offset: 1 } }));
    expect(limited.count).toBe(1);
    const badDate = (await client.callTool({
      name: 'query_data_logs',
      arguments: { date_from: 'yesterday' },
    })) as ToolResult;
    expect(badDate.isError).toBe(true);

    const api = json(await client.callTool({ name: 'query_api_logs', arguments: { service: 'bca' } }));
    expect(api.count).toBe(1);
    expect(api.logs[0]).toMatchObject({ status_code: 200, duration_ms: 842, response_headers: { 'X-Trace': 'bca-1' } });
    const goApi = json(await client.callTool({ name: 'query_api_logs', arguments: { status_code: 201 } }));
    expect(goApi.logs[0]).toMatchObject({ service: 'jne', response_headers: { 'X-Gateway': 'go' } });
    // go-audit ignores status_code 0: every call comes back.
    expect(json(await client.callTool({ name: 'query_api_logs', arguments: { status_code: 0 } })).count).toBe(2);

    const story = json(
      await client.callTool({ name: 'query_by_transaction', arguments: { transaction_id: moduleTx } }),
    );
    expect(story.TransactionID).toBe(moduleTx);
    expect(story.DataLogs.map((log: { action: string }) => log.action)).toEqual(['create', 'update']);
    expect(story.APILogs.map((log: { service: string }) => log.service)).toEqual(['bca']);
    const goStory = json(
      await client.callTool({ name: 'query_by_transaction', arguments: { transaction_id: 'go-tx' } }),
    );
    expect([goStory.DataLogs.length, goStory.APILogs.length]).toEqual([2, 1]);

    const goState = json(
      await client.callTool({
        name: 'snapshot_entity',
        arguments: { entity_type: 'payments', entity_id: '1', at: '2026-04-13T09:01:01Z' },
      }),
    );
    expect(goState).toEqual({
      entity_type: 'payments',
      entity_id: '1',
      at: '2026-04-13T09:01:01Z',
      state: { status: 'paid', amount: 100 },
    });
    const before = json(
      await client.callTool({
        name: 'snapshot_entity',
        arguments: { entity_type: 'payments', entity_id: '1', at: '2026-04-13T09:00:59Z' },
      }),
    );
    expect(before.state).toBeNull();
    const moduleState = json(
      await client.callTool({
        name: 'snapshot_entity',
        arguments: { entity_type: 'orders', entity_id: '7', at: new Date().toISOString() },
      }),
    );
    expect(moduleState.state).toEqual({ status: 'paid', amount: 250 });

    const recent = json(await client.callTool({ name: 'recent_changes', arguments: { limit: 1000 } }));
    expect(recent.count).toBe(4);
    expect(json(await client.callTool({ name: 'recent_changes', arguments: { entity_type: 'payments' } })).count).toBe(
      2,
    );
  }

  it('serves the five tools over Streamable HTTP behind the guard, on module rows and go-audit rows', async () => {
    const client = await httpClient();
    try {
      await callEveryTool(client);
    } finally {
      await client.close();
    }
  });

  it('refuses a caller the guard refuses', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(403);
    await expect(httpClient('wrong')).rejects.toThrow();
  });

  it('serves the same tools from the command line over stdio, read-only, configured by a URL', async () => {
    const options = t.dataSource.options as { url?: string; database?: string };
    const databaseUrl = dialect === 'sqlite' ? `sqlite:${options.database}` : options.url!;
    const client = new Client({ name: 'audit-test', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [cliEntry(), 'mcp', '--database-url', databaseUrl, '--data-table', 'audit_logs'],
        stderr: 'pipe',
      }),
    );
    try {
      await callEveryTool(client);
    } finally {
      await client.close();
    }
  });
});
