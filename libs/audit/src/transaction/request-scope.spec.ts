import { ClsServiceManager } from 'nestjs-cls';
import { CLS_REQUEST, CLS_REQUEST_METADATA, CLS_TRANSACTION_ID } from './scope-keys';
import { incomingTransactionId, refineRequestScope, seedRequestScope, setTransactionIdHeader } from './request-scope';
import { TRANSACTION_ID_PATTERN } from './transaction-id';

const OPTIONS = {
  header: 'X-Request-Trace',
  mount: true,
  recordIp: false,
  recordUserAgent: false,
  requestIdHeaders: [],
};

/** Records what was set, as a Node ServerResponse would keep it. */
class RecordingResponse {
  headersSent = false;
  readonly headers: Record<string, string> = {};
  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
}

describe('incomingTransactionId', () => {
  it('reads the configured header, whatever its case', () => {
    expect(incomingTransactionId({ headers: { 'x-request-trace': 'abc-1' } }, 'X-Request-Trace')).toBe('abc-1');
  });

  it('ignores the default header when another one is configured', () => {
    const id = incomingTransactionId({ headers: { 'x-transaction-id': 'abc-1' } }, 'X-Request-Trace');

    expect(id).toMatch(TRANSACTION_ID_PATTERN);
  });

  it('replaces an unsafe or missing value with a fresh ID', () => {
    expect(incomingTransactionId({ headers: { 'x-request-trace': 'a\r\nb' } }, 'X-Request-Trace')).toMatch(
      TRANSACTION_ID_PATTERN,
    );
    expect(incomingTransactionId({}, 'X-Request-Trace')).toMatch(TRANSACTION_ID_PATTERN);
  });
});

describe('setTransactionIdHeader', () => {
  it('sets the header on a Node or Express response', () => {
    const response = new RecordingResponse();
    setTransactionIdHeader(response, 'X-Transaction-Id', 'abc');

    expect(response.headers).toEqual({ 'X-Transaction-Id': 'abc' });
  });

  it("sets it on a Fastify reply's raw response, where it survives whichever path answers", () => {
    const raw = new RecordingResponse();
    setTransactionIdHeader({ raw }, 'X-Transaction-Id', 'abc');

    expect(raw.headers).toEqual({ 'X-Transaction-Id': 'abc' });
  });

  it('leaves a response whose head is already written alone, instead of throwing', () => {
    const response = new RecordingResponse();
    response.headersSent = true;
    setTransactionIdHeader(response, 'X-Transaction-Id', 'abc');
    setTransactionIdHeader(undefined, 'X-Transaction-Id', 'abc');

    expect(response.headers).toEqual({});
  });
});

describe('seedRequestScope and refineRequestScope', () => {
  const cls = ClsServiceManager.getClsService();

  it('keep the ID, the request and its metadata in the current scope', () => {
    const raw = { method: 'GET', url: '/orders/7?token=x', headers: {} };
    const routed = { ...raw, route: { path: '/orders/:id' }, user: { id: 42 } };

    const seen = cls.run(() => {
      seedRequestScope(cls, raw, 'abc-1', OPTIONS);
      const seeded = { request: cls.get(CLS_REQUEST), metadata: cls.get(CLS_REQUEST_METADATA) };
      refineRequestScope(cls, routed, OPTIONS);
      return {
        seeded,
        id: cls.get(CLS_TRANSACTION_ID),
        request: cls.get(CLS_REQUEST),
        metadata: cls.get(CLS_REQUEST_METADATA),
      };
    });

    expect(seen.seeded).toEqual({ request: raw, metadata: { method: 'GET', route: '/orders/7' } });
    expect(seen.id).toBe('abc-1');
    expect(seen.request).toBe(routed);
    expect(seen.metadata).toEqual({ method: 'GET', route: '/orders/:id' });
    expect(cls.isActive()).toBe(false);
  });
});
