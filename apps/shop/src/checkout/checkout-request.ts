/** A validated `POST /checkout` body. */
export interface CheckoutRequest {
  customerId: string;
  /** Rupiah with two decimals, e.g. `150000.00`. */
  amount: string;
}

export type CheckoutRequestResult = { ok: true; request: CheckoutRequest } | { ok: false; errors: string[] };

const CUSTOMER_ID = /^[A-Za-z0-9_.:@-]{1,64}$/;
/** DECIMAL(14,2): twelve digits before the point, two after. */
const AMOUNT_TEXT = /^\d{1,12}(\.\d{1,2})?$/;
const MAX_AMOUNT = 999_999_999_999.99;

/**
 * Checks a `POST /checkout` body: `customerId`, a token of at most 64 letters, digits and `_.:@-`;
 * `amount`, a positive number (or numeric string) with at most two decimals. Every problem is
 * reported, not just the first. Other fields are ignored.
 */
export function parseCheckoutRequest(body: unknown): CheckoutRequestResult {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, errors: ['the body must be a JSON object { customerId, amount }'] };
  }
  const { customerId, amount } = body as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof customerId !== 'string' || !CUSTOMER_ID.test(customerId)) {
    errors.push('customerId must be a string of 1 to 64 letters, digits or _.:@-');
  }
  const money = amountOf(amount);
  if (money === undefined) {
    errors.push(`amount must be a positive number of rupiah with at most two decimals, up to ${MAX_AMOUNT}`);
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, request: { customerId: customerId as string, amount: money! } };
}

function amountOf(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0 || value > MAX_AMOUNT) return undefined;
    // 0.1 + 0.2 is 0.30000000000000004: more than two decimals, so it is refused rather than rounded.
    const fixed = value.toFixed(2);
    return Number(fixed) === value ? fixed : undefined;
  }
  if (typeof value === 'string' && AMOUNT_TEXT.test(value)) {
    const number = Number(value);
    return number > 0 ? number.toFixed(2) : undefined;
  }
  return undefined;
}
