import { DEFAULT_MAX_BODY_SIZE, TruncatedBody, truncateBody } from './truncation';

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Asserts what docs/behaviour.md ("API row format") promises of a preview, and returns the marker. */
function expectTruncated(body: unknown, max: number, effectiveMax = max): TruncatedBody {
  const json = JSON.stringify(body);
  const out = truncateBody(body, max) as TruncatedBody;

  expect(Object.keys(out)).toEqual(['_truncated', 'original_size', 'preview']);
  expect(out._truncated).toBe(true);
  expect(out.original_size).toBe(byteLength(json));
  expect(byteLength(out.preview)).toBeLessThanOrEqual(effectiveMax);
  expect(Buffer.from(out.preview, 'utf8').toString('utf8')).toBe(out.preview);
  expect(out.preview).not.toContain('\uFFFD');
  expect(json.startsWith(out.preview)).toBe(true);
  return out;
}

describe('truncateBody', () => {
  it('keeps a body whose JSON fits, as the same value', () => {
    const body = { a: 1 };

    expect(truncateBody(body, 100)).toBe(body);
    expect(truncateBody('x'.repeat(8), 10)).toBe('x'.repeat(8)); // `"xxxxxxxx"` is exactly 10 bytes
  });

  it('truncates a body one byte over the limit', () => {
    const out = expectTruncated('x'.repeat(9), 10);

    expect(out).toEqual({ _truncated: true, original_size: 11, preview: '"xxxxxxxxx' });
  });

  it('turns a 200 KB JSON body into the marker with its exact size', () => {
    const body = { items: Array.from({ length: 2000 }, (_, i) => ({ id: i, note: 'n'.repeat(80) })) };
    const json = JSON.stringify(body);
    expect(byteLength(json)).toBeGreaterThan(200_000);

    const out = expectTruncated(body, 4096);

    expect(out.original_size).toBe(byteLength(json));
    expect(out.preview).toBe(json.slice(0, 4096));
  });

  it.each([
    ['é (2 bytes)', 'é'],
    ['€ (3 bytes)', '€'],
    ['😀 (4 bytes, a surrogate pair)', '😀'],
  ])('cuts back to a whole character when %s straddles the cut', (_label, char) => {
    const width = byteLength(char);
    const max = 100;
    const prefix = '{"t":"';

    // The character starts `offset` bytes before the cut, so only part of it would fit.
    for (let offset = 1; offset < width; offset++) {
      const body = { t: 'a'.repeat(max - prefix.length - offset) + char + 'tail'.repeat(50_000) };
      const out = expectTruncated(body, max);
      expect(out.preview).toBe(prefix + 'a'.repeat(max - prefix.length - offset));
    }

    // A character that ends exactly at the cut is kept.
    const exact = { t: 'a'.repeat(max - prefix.length - width) + char + 'tail' };
    const out = expectTruncated(exact, max);
    expect(out.preview.endsWith(char)).toBe(true);
    expect(byteLength(out.preview)).toBe(max);
  });

  it('keeps a preview valid over a body made only of multi-byte characters', () => {
    for (const max of [1, 2, 3, 5, 7, 11, 4095]) {
      expectTruncated('é€😀'.repeat(3000), max);
    }
  });

  it('uses 4096 bytes when the max body size is 0', () => {
    expect(DEFAULT_MAX_BODY_SIZE).toBe(4096);
    const fits = 'x'.repeat(4096 - 2);
    expect(truncateBody(fits, 0)).toBe(fits);

    const out = expectTruncated('x'.repeat(4096), 0, 4096);
    expect(byteLength(out.preview)).toBe(4096);
    expect(out.original_size).toBe(4098);
  });

  it('never truncates when the max body size is negative', () => {
    const body = { big: 'x'.repeat(100_000) };

    expect(truncateBody(body, -1)).toBe(body);
  });

  it('returns null for an absent body', () => {
    expect(truncateBody(undefined, 10)).toBeNull();
    expect(truncateBody(null, 10)).toBeNull();
    expect(truncateBody(undefined, -1)).toBeNull();
  });

  it('truncates a string body by its JSON text, quotes and escapes included', () => {
    const out = expectTruncated('line\n"quoted"', 8);

    // `"line\n\"quoted\""`: the cut may fall inside an escape; the preview is bytes, not JSON.
    expect(out).toEqual({ _truncated: true, original_size: 18, preview: '"line\\n\\' });
  });
});
