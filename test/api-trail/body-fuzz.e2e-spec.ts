import fc from 'fast-check';
import { Product } from '../support/product.entity';
import { type TestApp, createTestApp, describeEachDialect } from '../support/test-app';

/** Runs per dialect; printed so a run says how much it tried. */
export const FUZZ_RUNS = Number(process.env.AUDIT_FUZZ_RUNS ?? 120);

const SECRET = 'zq-s3cret-7731';
/** Keys the application configures, and default ones in other spellings. */
const SECRET_KEY = fc.constantFrom(
  'pin_code',
  'PIN-CODE',
  'password',
  'Password',
  'passwd',
  'access-token',
  'refreshToken',
  'client_secret',
  'card_number',
  'CardNumber',
  'CVV',
  'cvc',
  'api_key',
  'apiKey',
  'token',
  'secret',
  'pan',
);
/** Any UTF-16 code unit, lone surrogates and NUL included. */
const CODE_UNIT = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const ANY_STRING = fc.string({ unit: CODE_UNIT, maxLength: 30 });
const JSON_VALUE = fc.jsonValue({ stringUnit: CODE_UNIT, maxDepth: 4 });

function nest(depth: number, kind: 'array' | 'object', bottom: unknown): unknown {
  let value = bottom;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { [`k${i % 7}`]: value };
  return value;
}

interface Case {
  body: unknown;
  contentType?: string;
}

const CASES: fc.Arbitrary<Case> = fc.oneof(
  // Arbitrary JSON with the secret under a secret key beside it and inside an array.
  fc
    .tuple(JSON_VALUE, SECRET_KEY, ANY_STRING)
    .map(([value, key, text]) => ({ body: { [key]: SECRET, data: value, [text]: [value, { [key]: SECRET }] } })),
  // The same as JSON text, with and without a JSON content type.
  fc.tuple(JSON_VALUE, SECRET_KEY, fc.boolean()).map(([value, key, typed]) => ({
    body: JSON.stringify({ value, nested: { [key]: SECRET } }),
    contentType: typed ? 'application/json' : undefined,
  })),
  // Depth up to 10,000, the secret at the top (the bottom is cut off, never stored).
  fc
    .tuple(
      fc.integer({ min: 1, max: 10_000 }),
      fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>,
      SECRET_KEY,
      ANY_STRING,
    )
    .map(([depth, kind, key, leaf]) => ({ body: { [key]: SECRET, deep: nest(depth, kind, { [key]: SECRET, leaf }) } })),
  // A deep document as text, the way a hostile server would send it.
  fc.integer({ min: 1, max: 10_000 }).map((depth) => ({
    body: '['.repeat(depth) + ']'.repeat(depth),
    contentType: 'application/json',
  })),
  // Size: up to 200 KB, truncated after redaction.
  fc
    .tuple(fc.integer({ min: 1, max: 200_000 }), SECRET_KEY)
    .map(([size, key]) => ({ body: { [key]: SECRET, text: 'ü'.repeat(size) } })),
  // Binary.
  fc.uint8Array({ maxLength: 4000 }).map((bytes) => ({ body: Buffer.from(bytes), contentType: 'image/png' })),
  fc.uint8Array({ maxLength: 4000 }).map((bytes) => ({ body: Buffer.from(bytes), contentType: 'text/plain' })),
  // URL-encoded forms.
  fc.tuple(SECRET_KEY, ANY_STRING).map(([key, note]) => ({
    body: `note=${encodeURIComponent(note.replace(/[\uD800-\uDFFF]/g, 'x'))}&${encodeURIComponent(key)}=${SECRET}`,
    contentType: 'application/x-www-form-urlencoded',
  })),
  fc.tuple(SECRET_KEY, ANY_STRING).map(([key, note]) => ({ body: new URLSearchParams({ note, [key]: SECRET }) })),
  // Plain strings of any code units.
  ANY_STRING.map((text) => ({ body: text, contentType: 'text/plain' })),
);

describeEachDialect('API trail body pipeline fuzz', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: [Product],
      audit: { apiAudit: { enabled: true, onError: 'fail-loud', redactBodyFields: ['pin_code'], maxBodySize: 4096 } },
    });
  });

  afterAll(() => t?.close());

  it(`${FUZZ_RUNS} hostile bodies: never throw, every row stored, no secret in the stored text`, async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(CASES, async ({ body, contentType }) => {
        runs++;
        // fail-loud: a row the database refuses rejects here, so resolving means it is stored.
        await t.audit.recordApiCall({
          service: 'fuzz',
          endpoint: '/f',
          method: 'POST',
          statusCode: 200,
          durationMs: 1,
          requestHeaders: { 'content-type': contentType ?? 'text/plain', authorization: `Bearer ${SECRET}` },
          requestBody: body,
          responseBody: typeof body === 'string' && contentType?.includes('form') ? null : body,
        });
      }),
      { numRuns: FUZZ_RUNS },
    );
    const stored = (await t.dataSource.query(
      'SELECT request_headers, request_body, response_body FROM audit_api_logs',
    )) as Array<Record<string, unknown>>;
    expect(stored).toHaveLength(runs);
    const text = JSON.stringify(stored);
    const at = text.indexOf(SECRET);
    expect(at < 0 ? 'no secret' : text.slice(Math.max(0, at - 300), at + 50)).toBe('no secret');
    process.stdout.write(`body fuzz [${dialect}]: ${runs} runs, ${stored.length} rows stored, no secret found\n`);
  }, 120_000);
});
