import { Readable } from 'node:stream';
import { prepareBody, toStorableBody } from './api-body';
import { REDACTED } from './redaction';
import { TruncatedBody } from './truncation';

describe('toStorableBody', () => {
  it('stores an absent or empty body as null', () => {
    expect(toStorableBody(undefined)).toBeNull();
    expect(toStorableBody(null)).toBeNull();
    expect(toStorableBody('')).toBeNull();
    expect(toStorableBody(Buffer.alloc(0), 'application/octet-stream')).toBeNull();
  });

  it('parses a string whose content type is JSON', () => {
    expect(toStorableBody('{"amount":10}', 'application/json; charset=utf-8')).toEqual({ amount: 10 });
    expect(toStorableBody('[1,2]', 'application/problem+json')).toEqual([1, 2]);
    expect(toStorableBody('42', 'application/json')).toBe(42);
  });

  it('keeps a string that claims JSON but is not', () => {
    expect(toStorableBody('not json', 'application/json')).toBe('not json');
  });

  it('parses a string without content type only when it is a JSON object or array', () => {
    expect(toStorableBody('{"a":1}')).toEqual({ a: 1 });
    expect(toStorableBody(' [true] ')).toEqual([true]);
    expect(toStorableBody('42')).toBe('42');
    expect(toStorableBody('{broken')).toBe('{broken');
  });

  it('keeps a text body as a string, even when it looks like JSON', () => {
    expect(toStorableBody('hello', 'text/plain')).toBe('hello');
    expect(toStorableBody('{"a":1}', 'text/plain')).toBe('{"a":1}');
    expect(toStorableBody('<ok/>', 'application/xml')).toBe('<ok/>');
  });

  it('decodes bytes with a textual content type', () => {
    expect(toStorableBody(Buffer.from('{"city":"Jakarta €"}'), 'application/json')).toEqual({ city: 'Jakarta €' });
    expect(toStorableBody(Buffer.from('héllo'), 'text/plain')).toBe('héllo');
    expect(toStorableBody(new TextEncoder().encode('a=1&b=2'), 'application/x-www-form-urlencoded')).toBe('a=1&b=2');
    expect(toStorableBody(new TextEncoder().encode('<a/>').buffer, 'text/xml')).toBe('<a/>');
  });

  it('honours a charset and strips a byte-order mark', () => {
    expect(toStorableBody(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'text/plain; charset=ISO-8859-1')).toBe('café');
    expect(toStorableBody(Buffer.from('\uFEFF{"a":1}'), 'application/json')).toEqual({ a: 1 });
    expect(toStorableBody(Buffer.from('ok'), 'text/plain; charset=no-such-charset')).toBe('ok');
  });

  it('decodes only the bytes a view covers', () => {
    const whole = Buffer.from('xx{"a":1}yy');

    expect(toStorableBody(whole.subarray(2, 9), 'application/json')).toEqual({ a: 1 });
  });

  it('stores bytes that are not text as a binary marker', () => {
    expect(toStorableBody(Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png')).toEqual({
      _binary: true,
      size: 4,
      content_type: 'image/png',
    });
    expect(toStorableBody(new Uint16Array(3))).toEqual({ _binary: true, size: 6, content_type: null });
    expect(toStorableBody(new ArrayBuffer(5), 'application/pdf')).toEqual({
      _binary: true,
      size: 5,
      content_type: 'application/pdf',
    });
  });

  it('stores a Blob as a binary marker, since it cannot be read synchronously', () => {
    expect(toStorableBody(new Blob(['abc'], { type: 'text/plain' }))).toEqual({
      _binary: true,
      size: 3,
      content_type: 'text/plain',
    });
    expect(toStorableBody(new Blob(['abcd']), 'application/zip')).toEqual({
      _binary: true,
      size: 4,
      content_type: 'application/zip',
    });
  });

  it('stores streams as a stream marker without reading them', () => {
    const nodeStream = Readable.from(['chunk']);
    const webStream = new ReadableStream();

    expect(toStorableBody(nodeStream, 'application/octet-stream')).toEqual({
      _stream: true,
      content_type: 'application/octet-stream',
    });
    expect(toStorableBody(webStream)).toEqual({ _stream: true, content_type: null });
    expect(nodeStream.readableFlowing).toBeNull();
    expect(webStream.locked).toBe(false);
  });

  it('stores FormData as a form marker and URLSearchParams as its string form', () => {
    const form = new FormData();
    form.append('card_number', '4111');

    expect(toStorableBody(form)).toEqual({ _form_data: true });
    expect(toStorableBody(new URLSearchParams({ a: '1', b: 'x y' }))).toBe('a=1&b=x+y');
    expect(toStorableBody(new URLSearchParams())).toBeNull();
  });

  it('passes objects, arrays and other values through as they are', () => {
    const body = { a: [1] };

    expect(toStorableBody(body, 'application/json')).toBe(body);
    expect(toStorableBody(7)).toBe(7);
    expect(toStorableBody(false)).toBe(false);
  });

  it('never throws', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );

    expect(() => toStorableBody(hostile)).not.toThrow();
    expect(() => toStorableBody('x', 42 as unknown as string)).not.toThrow();
  });
});

describe('prepareBody', () => {
  it('redacts at depth, then truncates', () => {
    const body = {
      items: Array.from({ length: 500 }, (_, i) => ({ id: i, card_number: `4111-${i}` })),
    };

    const out = prepareBody(JSON.stringify(body), 'application/json', ['CARD_NUMBER'], 200) as TruncatedBody;

    const redactedJson = JSON.stringify({ items: body.items.map(({ id }) => ({ id, card_number: REDACTED })) });
    expect(out).toEqual({
      _truncated: true,
      original_size: Buffer.byteLength(redactedJson),
      preview: redactedJson.slice(0, 200),
    });
    expect(out.preview).toContain(`{"id":0,"card_number":"${REDACTED}"}`);
    expect(out.preview).not.toContain('4111');
  });

  it('returns a small body redacted and whole', () => {
    const body = { user: 'u', Password: 'p' };

    expect(prepareBody(body, undefined, ['password'], 0)).toEqual({ user: 'u', Password: REDACTED });
    expect(body.Password).toBe('p');
  });

  it('stores a text body as a string and no body as null', () => {
    expect(prepareBody(Buffer.from('OK'), 'text/plain', ['ok'], 4096)).toBe('OK');
    expect(prepareBody(undefined, 'application/json', [], 4096)).toBeNull();
  });

  it('stores a circular, BigInt-carrying body without throwing', () => {
    const body: Record<string, unknown> = { amount: 10n };
    body.self = body;

    expect(prepareBody(body, undefined, [], -1)).toEqual({ amount: '10', self: '[Circular]' });
  });
});
