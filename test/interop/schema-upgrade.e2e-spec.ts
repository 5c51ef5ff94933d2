import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource, DataSourceOptions, MigrationInterface, QueryRunner } from 'typeorm';
import { DataSource as TypeOrmDataSource } from 'typeorm';
import { AuditModule, AuditService, createAuditMigrations } from 'nestjs-audit-trail';
import { describeEachDialect, testDatabase } from '../support/test-app';
import type { TestDialect } from '../support/databases';
import {
  GO_AUDIT_API_COLUMNS,
  GO_AUDIT_DATA_COLUMNS,
  STARTING_SCHEMAS,
  type StartingSchema,
  insertGoApiRow,
  insertGoDataRow,
  placeholders,
  rawConnection,
  startingDdl,
} from './go-audit-fixtures';

const LEGACY_AT = new Date('2026-04-13T09:01:00.000Z');

async function columnsOf(connection: DataSource, dialect: TestDialect, table: string): Promise<string[]> {
  const sql = {
    postgres: `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}'`,
    mariadb: `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '${table}'`,
    sqlite: `SELECT name FROM pragma_table_info('${table}')`,
  }[dialect];
  const rows: Array<{ name: string }> = await connection.query(sql);
  return rows.map((row) => row.name).sort();
}

/** A database holding both tables as `schema` made them, each with one row written then. */
async function legacyDatabase(dialect: TestDialect, schema: StartingSchema): Promise<DataSourceOptions> {
  const options = await testDatabase(dialect, []);
  const raw = await rawConnection(options);
  try {
    for (const statement of startingDdl(dialect, schema)) await raw.query(statement);
    await insertGoDataRow(raw, dialect, {
      entityType: 'orders',
      entityId: '1',
      action: 'create',
      oldValues: null,
      newValues: { status: 'pending' },
      createdAt: LEGACY_AT,
      transactionId: 'legacy-tx',
    });
    await insertGoApiRow(raw, dialect, {
      service: 'bca',
      statusCode: 200,
      transactionId: 'legacy-tx',
      createdAt: LEGACY_AT,
      withResponseHeaders: schema === 'go-audit v1.1',
    });
  } finally {
    await raw.destroy();
  }
  return { ...options, synchronize: false };
}

/** Writes one row per trail through the module and reads both back, through it and as go-audit v1.1 reads them. */
async function writeAndReadBack(audit: AuditService, raw: DataSource, dialect: TestDialect, schema: string) {
  const transactionId = `upgrade-${dialect}-${schema.replace(/[^a-z0-9]/gi, '')}`;
  await audit.recordDataChange({
    entityType: 'orders',
    entityId: '7',
    action: 'update',
    oldValues: { status: 'pending' },
    newValues: { status: 'paid' },
    userId: 'u-1',
    transactionId,
  });
  await audit.recordApiCall({
    service: 'jne',
    endpoint: '/v2/shipments',
    method: 'POST',
    statusCode: 201,
    durationMs: 430,
    requestHeaders: { Authorization: 'Bearer secret', 'Content-Type': 'application/json' },
    responseHeaders: { 'Set-Cookie': 'session=abc', 'X-Request-Id': 'jne-1' },
    requestBody: { weight: 2 },
    responseBody: { awb: 'JNE123' },
    userId: 'u-1',
    transactionId,
  });
  await audit.flushApiCalls();

  const [dataLog] = await audit.query({ transactionId });
  expect(dataLog).toMatchObject({ action: 'update', newValues: { status: 'paid' }, userId: 'u-1' });
  const [apiLog] = await audit.queryApiCalls({ transactionId });
  expect(apiLog).toMatchObject({ service: 'jne', statusCode: 201, durationMs: 430 });
  expect(apiLog.responseHeaders).toMatchObject({ 'X-Request-Id': 'jne-1' });
  expect(apiLog.responseHeaders!['Set-Cookie']).not.toBe('session=abc');

  const p = placeholders(dialect, 1);
  const [goData] = await raw.query(`SELECT ${GO_AUDIT_DATA_COLUMNS} FROM audit_logs WHERE transaction_id = ${p}`, [
    transactionId,
  ]);
  const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);
  expect(json(goData.new_values)).toEqual({ status: 'paid' });
  expect(goData.user_id).toBe('u-1');
  const [goApi] = await raw.query(`SELECT ${GO_AUDIT_API_COLUMNS} FROM audit_api_logs WHERE transaction_id = ${p}`, [
    transactionId,
  ]);
  expect(json(goApi.response_headers)).toMatchObject({ 'X-Request-Id': 'jne-1' });
  expect(json(goApi.request_headers)).toMatchObject({ 'Content-Type': 'application/json' });
  expect(Number(goApi.status_code)).toBe(201);
}

describeEachDialect('interop: upgrading tables in place', (dialect) => {
  describe.each(STARTING_SCHEMAS)('from %s', (schema) => {
    it('autoMigrate adds what the table lacks, keeps the old rows, and both readers see a new row', async () => {
      const options = await legacyDatabase(dialect, schema);
      const before = await rawConnection(options);
      const apiColumnsBefore = await columnsOf(before, dialect, 'audit_api_logs');
      await before.destroy();
      expect(apiColumnsBefore.includes('response_headers')).toBe(schema === 'go-audit v1.1');

      const moduleRef = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot(options),
          AuditModule.forRoot({ dataAudit: { enabled: true }, apiAudit: { enabled: true } }),
        ],
      }).compile();
      const app = await moduleRef.createNestApplication({ logger: false }).init();
      const raw = await rawConnection(options);
      try {
        const apiColumns = await columnsOf(raw, dialect, 'audit_api_logs');
        expect(apiColumns).toEqual(expect.arrayContaining([...apiColumnsBefore, 'response_headers']));
        expect(await columnsOf(raw, dialect, 'audit_logs')).toHaveLength(11);

        const audit = app.get(AuditService);
        // The rows written before the upgrade are still there and read as instants.
        const [legacyData] = await audit.query({ transactionId: 'legacy-tx' });
        expect(legacyData.newValues).toEqual({ status: 'pending' });
        expect(legacyData.createdAt.toISOString()).toBe(LEGACY_AT.toISOString());
        const [legacyApi] = await audit.queryApiCalls({ transactionId: 'legacy-tx' });
        expect(legacyApi).toMatchObject({ service: 'bca', statusCode: 200, durationMs: 842 });
        expect(legacyApi.responseHeaders).toEqual(schema === 'go-audit v1.1' ? { 'X-Gateway': 'go' } : null);

        await writeAndReadBack(audit, raw, dialect, schema);
      } finally {
        await raw.destroy();
        await app.close();
      }

      // A second start-up finds nothing to do and loses nothing.
      const again = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot(options),
          AuditModule.forRoot({ dataAudit: { enabled: true }, apiAudit: { enabled: true } }),
        ],
      }).compile();
      const second = await again.createNestApplication({ logger: false }).init();
      try {
        expect(await second.get(AuditService).queryApiCalls({})).toHaveLength(2);
      } finally {
        await second.close();
      }
    });
  });

  it("an application that ran 0.1.0's migration gets only the later steps from createAuditMigrations()", async () => {
    const options = await testDatabase(dialect, []);
    const ddl = startingDdl(dialect, 'nestjs-audit-trail 0.1.0');
    // 0.1.0's createAuditMigration() had this name and created these tables.
    class AuditTrailTables1767225600000 implements MigrationInterface {
      name = 'AuditTrailTables1767225600000';
      async up(queryRunner: QueryRunner): Promise<void> {
        for (const statement of ddl) await queryRunner.query(statement);
      }
      async down(): Promise<void> {}
    }
    const base = { ...options, entities: [], synchronize: false } as DataSourceOptions;
    const old = await new TypeOrmDataSource({ ...base, migrations: [AuditTrailTables1767225600000] }).initialize();
    await old.runMigrations();
    await old.destroy();

    const upgraded = await new TypeOrmDataSource({ ...base, migrations: createAuditMigrations() }).initialize();
    try {
      const ran = await upgraded.runMigrations();
      expect(ran.map((migration) => migration.name)).toEqual(['AuditTrailSchema111767225600001']);
      expect(await columnsOf(upgraded, dialect, 'audit_api_logs')).toContain('response_headers');
      expect(await upgraded.runMigrations()).toEqual([]);
    } finally {
      await upgraded.destroy();
    }

    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ ...options, synchronize: false }),
        AuditModule.forRoot({ autoMigrate: false, dataAudit: { enabled: true }, apiAudit: { enabled: true } }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    const raw = await rawConnection(options);
    try {
      await writeAndReadBack(app.get(AuditService), raw, dialect, 'typeorm-migrations');
    } finally {
      await raw.destroy();
      await app.close();
    }
  });
});
