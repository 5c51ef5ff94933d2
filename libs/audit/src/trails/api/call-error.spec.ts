import { callErrorMessage } from './call-error';

describe('callErrorMessage', () => {
  it('uses the error message', () => {
    expect(callErrorMessage(new Error('timeout of 200ms exceeded'))).toBe('timeout of 200ms exceeded');
  });

  it('adds the cause when the message alone says nothing (undici fetch)', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4010'), { code: 'ECONNREFUSED' });
    expect(callErrorMessage(new TypeError('fetch failed', { cause }))).toBe(
      'fetch failed: connect ECONNREFUSED 127.0.0.1:4010',
    );
  });

  it('does not repeat a cause the message already contains', () => {
    const cause = new Error('boom');
    expect(callErrorMessage(new Error('request failed: boom', { cause }))).toBe('request failed: boom');
  });

  it('joins the messages of an AggregateError without a message of its own', () => {
    const error = new AggregateError(
      [new Error('connect ECONNREFUSED ::1:80'), new Error('connect ECONNREFUSED 127.0.0.1:80')],
      '',
    );
    expect(callErrorMessage(error)).toBe('connect ECONNREFUSED ::1:80; connect ECONNREFUSED 127.0.0.1:80');
  });

  it('falls back to the code, the name, or the value itself', () => {
    expect(callErrorMessage({ code: 'ECONNRESET' })).toBe('ECONNRESET');
    expect(callErrorMessage(Object.assign(new Error(''), { name: 'AbortError' }))).toBe('AbortError');
    expect(callErrorMessage('plain string')).toBe('plain string');
    expect(callErrorMessage(undefined)).toBe('undefined');
  });

  it('bounds a huge message and never throws', () => {
    expect(callErrorMessage(new Error('x'.repeat(10_000))).length).toBeLessThanOrEqual(2003);
    const hostile = {
      get message(): string {
        throw new Error('getter');
      },
    };
    expect(callErrorMessage(hostile)).toBe('unknown error');
  });
});
