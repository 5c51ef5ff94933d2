import { parseCheckoutRequest } from './checkout-request';

const AMOUNT_ERROR = expect.stringMatching(/^amount must be a positive number/);

describe('parseCheckoutRequest', () => {
  it('accepts a customer ID and an amount as a number or a decimal string, as two-decimal text', () => {
    expect(parseCheckoutRequest({ customerId: 'cust-42', amount: 150000 })).toEqual({
      ok: true,
      request: { customerId: 'cust-42', amount: '150000.00' },
    });
    expect(parseCheckoutRequest({ customerId: 'a@b.c:1_2', amount: 0.29 })).toMatchObject({
      request: { amount: '0.29' },
    });
    expect(parseCheckoutRequest({ customerId: 'c', amount: '99999.13', note: 'ignored' })).toEqual({
      ok: true,
      request: { customerId: 'c', amount: '99999.13' },
    });
    expect(parseCheckoutRequest({ customerId: 'c', amount: 999_999_999_999.99 })).toMatchObject({ ok: true });
  });

  it('reports every problem at once', () => {
    expect(parseCheckoutRequest({ customerId: '', amount: 0 })).toEqual({
      ok: false,
      errors: ['customerId must be a string of 1 to 64 letters, digits or _.:@-', AMOUNT_ERROR],
    });
  });

  it.each([
    ['more than two decimals', 10.005],
    ['a float that is not two decimals', 0.1 + 0.2],
    ['negative', -1],
    ['zero as text', '0.00'],
    ['exponent notation', '1e3'],
    ['too large', 1_000_000_000_000],
    ['not finite', Number.POSITIVE_INFINITY],
    ['a boolean', true],
    ['missing', undefined],
  ])('refuses an amount that is %s', (_case, amount) => {
    expect(parseCheckoutRequest({ customerId: 'c', amount })).toEqual({ ok: false, errors: [AMOUNT_ERROR] });
  });

  it.each([['x'.repeat(65)], ['with space'], ['new\nline'], [42], [null]])('refuses customerId %j', (customerId) => {
    expect(parseCheckoutRequest({ customerId, amount: 1 })).toMatchObject({ ok: false, errors: [expect.any(String)] });
  });

  it.each([[null], [[]], ['text'], [7]])('refuses a body that is not an object: %j', (body) => {
    expect(parseCheckoutRequest(body)).toEqual({
      ok: false,
      errors: ['the body must be a JSON object { customerId, amount }'],
    });
  });
});
