import type { DataSourceOptions } from 'typeorm';
import { Product } from '../support/product.entity';
import { createTestApp, describeEachDialect, dialectsUnderTest, testDatabase } from '../support/test-app';
import { createAppOn } from '../faults/fault-app';
import { startTcpProxy, throughProxy } from '../faults/tcp-proxy';
import { json, startLoopbackServer, withFreshConnection } from './loopback-server';

async function countRows(options: DataSourceOptions, where = '1 = 1'): Promise<number> {
  return withFreshConnection(options, async (dataSource) => {
    const [row] = await dataSource.query(`SELECT COUNT(*) AS n FROM audit_api_logs WHERE ${where}`);
    return Number(row.n);
  });
}

describeEachDialect('API trail write faults', (dialect) => {
  it('defect 10: after a rejected flushApiCalls the kept rows are retried without a further call', async () => {
    const gateway = await startLoopbackServer({ 'GET /one': (_request, response) => json(response, 200, {}) });
    const t = await createTestApp({ dialect, entities: [Product], audit: { apiAudit: { enabled: true } } });
    try {
      await t.dataSource.query('ALTER TABLE audit_api_logs RENAME TO audit_api_logs_away');
      await (await fetch(`${gateway.url}/one`)).json();
      // Let the background writer fail first and arm its retry timer, which the flush then replaces.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await expect(t.audit.flushApiCalls()).rejects.toThrow();
      await t.dataSource.query('ALTER TABLE audit_api_logs_away RENAME TO audit_api_logs');
      const deadline = Date.now() + 4000;
      let rows = 0;
      while (Date.now() < deadline && rows === 0) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        [{ n: rows }] = (await t.dataSource.query('SELECT COUNT(*) AS n FROM audit_api_logs')) as Array<{ n: number }>;
        rows = Number(rows);
      }
      expect(rows).toBe(1);
    } finally {
      await t.close();
      await gateway.close();
    }
  });
});

const servers = (['postgres', 'mariadb'] as const).filter((dialect) => dialectsUnderTest().includes(dialect));

describe.each(servers)('API trail write faults through a TCP proxy [%s]', (dialect) => {
  it('defect 9: a batch whose reply was lost is not stored twice, and nothing is reported dropped', async () => {
    const gateway = await startLoopbackServer({ 'GET /pay': (_request, response) => json(response, 200, {}) });
    const direct = await testDatabase(dialect, [Product]);
    const url = (direct as { url: string }).url;
    const proxy = await startTcpProxy(Number(new URL(url).port));
    const t = await createAppOn({ ...direct, url: throughProxy(url, proxy.port) } as DataSourceOptions, [Product], {
      apiAudit: { enabled: true },
    });
    const errors: string[] = [];
    try {
      proxy.set('lostReply');
      await Promise.all(Array.from({ length: 10 }, async (_, i) => (await fetch(`${gateway.url}/pay?n=${i}`)).json()));
      // The first flush may see the lost reply; the rows are kept and sent again.
      await t.audit.flushApiCalls().catch((error: Error) => errors.push(error.message));
      await t.audit.flushApiCalls();
      expect(proxy.lostReplies).toBe(1);
      expect(await countRows(direct)).toBe(10);
      expect(errors.join(' ')).not.toContain('refused');
    } finally {
      await t.app.close();
      await proxy.close();
      await gateway.close();
    }
  });
});
