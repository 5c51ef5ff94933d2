import { REDACTED } from './redaction';
import { captureLimit, readCapped, storedResponseBody } from './response-capture';

function streamOf(...chunks: string[]): ReadableStreamDefaultReader<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  }).getReader();
}

describe('captureLimit', () => {
  it('keeps at least 1 MiB, more for a large max body size, everything when truncation is off', () => {
    expect(captureLimit(4096)).toBe(1024 * 1024);
    expect(captureLimit(0)).toBe(1024 * 1024);
    expect(captureLimit(1024 * 1024)).toBe(16 * 1024 * 1024);
    expect(captureLimit(-1)).toBe(Infinity);
  });
});

describe('readCapped', () => {
  it('reads a whole body within the cap', async () => {
    const captured = await readCapped(streamOf('{"a":', '1}'), 100, true);
    expect(Buffer.from(captured.bytes).toString()).toBe('{"a":1}');
    expect(captured).toMatchObject({ size: 7, complete: true });
  });

  it('keeps only the cap and counts the rest', async () => {
    const captured = await readCapped(streamOf('abcdef', 'ghij'), 8, true);
    expect(Buffer.from(captured.bytes).toString()).toBe('abcdefgh');
    expect(captured).toMatchObject({ size: 10, complete: false });
  });

  it('only measures when asked not to keep', async () => {
    const captured = await readCapped(streamOf('abc', 'def'), 100, false);
    expect(captured.bytes.byteLength).toBe(0);
    expect(captured.size).toBe(6);
  });
});

describe('storedResponseBody', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  it('parses, redacts and truncates a whole textual body like any other body', () => {
    const body = storedResponseBody(
      { bytes: bytes('{"card_number":"4111","ok":true}'), size: 32, complete: true },
      'application/json',
      ['card_number'],
      4096,
    );
    expect(body).toEqual({ card_number: REDACTED, ok: true });
  });

  it('stores a body of a non-textual content type as a binary marker with its exact size', () => {
    expect(
      storedResponseBody({ bytes: new Uint8Array(0), size: 5000, complete: false }, 'image/png', [], 4096),
    ).toEqual({ _binary: true, size: 5000, content_type: 'image/png' });
  });

  it('stores an empty body as null', () => {
    expect(
      storedResponseBody({ bytes: new Uint8Array(0), size: 0, complete: true }, 'application/json', [], 4096),
    ).toBeNull();
  });

  it('previews a body past the capture limit from its raw text, cut on a whole UTF-8 character', () => {
    const text = `{"city":"${'€'.repeat(100)}"}`;
    const body = storedResponseBody(
      { bytes: bytes(text), size: 9_000_000, complete: false },
      'application/json',
      [],
      20,
    ) as {
      preview: string;
    };
    expect(body).toMatchObject({ _truncated: true, original_size: 9_000_000 });
    // 9 ASCII bytes, then '€' takes 3 bytes: 9 + 3 * 3 = 18 <= 20 < 21.
    expect(body.preview).toBe('{"city":"€€€');
  });

  it('previews non-JSON text as the JSON string it would be stored as', () => {
    const body = storedResponseBody(
      { bytes: bytes('hello world'), size: 5_000_000, complete: false },
      'text/plain',
      [],
      6,
    );
    expect(body).toEqual({ _truncated: true, original_size: 5_000_000, preview: '"hello' });
  });

  it('shows no preview of a partial body when body fields are redacted', () => {
    const body = storedResponseBody(
      { bytes: bytes('{"card_number":"4111"'), size: 5_000_000, complete: false },
      'application/json',
      ['card_number'],
      4096,
    );
    expect(body).toEqual({ _truncated: true, original_size: 5_000_000, preview: '' });
  });
});
