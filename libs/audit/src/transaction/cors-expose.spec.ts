import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { exposeTransactionHeader, withName } from './cors-expose';

function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}

describe('exposeTransactionHeader', () => {
  it('adds the name once to any list', () => {
    expect(withName(undefined, 'X-Transaction-Id')).toBe('X-Transaction-Id');
    expect(withName('X-Page', 'X-Transaction-Id')).toBe('X-Page, X-Transaction-Id');
    expect(withName(['A', 'x-transaction-id'], 'X-Transaction-Id')).toBe('A, x-transaction-id');
    expect(withName('*', 'X-Transaction-Id')).toBe('*, X-Transaction-Id');
  });

  it('#18 keeps the name in the list a CORS layer writes later, by setHeader or by writeHead', () => {
    const request = { headers: { origin: 'http://a.example' } };
    const bySetHeader = response();
    exposeTransactionHeader(request, bySetHeader, 'X-Transaction-Id');
    bySetHeader.setHeader('Access-Control-Expose-Headers', 'X-Page');
    bySetHeader.writeHead(200);
    expect(bySetHeader.getHeader('access-control-expose-headers')).toBe('X-Page, X-Transaction-Id');

    const byWriteHead = response();
    exposeTransactionHeader(request, byWriteHead, 'X-Transaction-Id');
    const headers = { 'Access-Control-Expose-Headers': 'X-Page' };
    byWriteHead.writeHead(200, 'OK', headers);
    expect(headers['Access-Control-Expose-Headers']).toBe('X-Page, X-Transaction-Id');
  });

  it('leaves a request without Origin alone', () => {
    const res = response();
    const writeHead = res.writeHead;
    exposeTransactionHeader({ headers: {} }, res, 'X-Transaction-Id');
    expect(res.getHeader('access-control-expose-headers')).toBeUndefined();
    expect(res.writeHead).toBe(writeHead);
  });
});
