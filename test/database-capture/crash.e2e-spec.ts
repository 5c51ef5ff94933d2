import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { AuditModule } from 'nestjs-audit-trail';
import { Product } from '../support/product.entity';
import { describeEachDialect, testDatabase } from '../support/test-app';
import { databaseCapture } from './support';

const KILLS = 3;
const TEXT = { postgres: 'TEXT', mariadb: 'CHAR', sqlite: 'TEXT' } as const;

async function runAndKill(options: DataSourceOptions, afterMs: number): Promise<void> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', join(__dirname, '..', 'faults', 'ts-hook.js'), join(__dirname, 'crash-writer.ts'), JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child not ready in 30 s: ${errors}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code}: ${errors}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

describeEachDialect('database capture: kill -9 of a writer under load', (dialect) => {
  it(`${KILLS} kills: zero business rows without their audit row`, async () => {
    const options = await testDatabase(dialect, [Product]);
    // Tables and triggers once; the children start on them.
    const setup = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot(options), AuditModule.forRoot(databaseCapture())],
    }).compile();
    await setup.close();

    for (let kill = 0; kill < KILLS; kill++) await runAndKill(options, 1500 + kill * 170);

    const dataSource = await new DataSource({ ...options, entities: [Product], synchronize: false }).initialize();
    try {
      const [{ n: business }] = await dataSource.query('SELECT COUNT(*) AS n FROM products');
      const [{ n: orphans }] = await dataSource.query(
        `SELECT COUNT(*) AS n FROM products p WHERE NOT EXISTS (SELECT 1 FROM audit_logs a
           WHERE a.entity_type = 'products' AND a.action = 'create' AND a.entity_id = CAST(p.id AS ${TEXT[dialect]})${dialect === 'mariadb' ? ' COLLATE utf8mb4_unicode_ci' : ''})`,
      );
      const [{ n: audit }] = await dataSource.query(`SELECT COUNT(*) AS n FROM audit_logs WHERE action = 'create'`);
      process.stdout.write(
        `\nkill -9 x${KILLS} [${dialect}]: business rows ${business}, create rows ${audit}, business rows without their audit row ${orphans}\n`,
      );
      expect(Number(business)).toBeGreaterThan(100);
      expect(Number(orphans)).toBe(0);
      expect(Number(audit)).toBe(Number(business));
    } finally {
      await dataSource.destroy();
    }
  }, 120_000);
});
