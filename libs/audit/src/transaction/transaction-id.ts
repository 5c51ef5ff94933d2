import { randomFillSync } from 'node:crypto';

/** A generated transaction ID: UTC second, a dash, 128 random bits as lowercase hex. */
export const TRANSACTION_ID_PATTERN = /^\d{8}T\d{6}-[0-9a-f]{32}$/;

// The column holds 100 characters. The character set keeps a foreign ID inert wherever it is echoed:
// no whitespace or CR/LF (header splitting, log forging), no quotes or semicolons (SQL, shell), no
// non-ASCII (byte length differs from character length in a varchar(100) on some dialects).
const SAFE_TRANSACTION_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * A fresh ID such as `20260418T142318-9f3c2a71c8e4d2b15c90a63e4f712b88`.
 * The timestamp leads so that IDs sort by the second they were made; the random part makes them unique
 * across processes without coordination.
 */
export function newTransactionId(now: Date = new Date()): string {
  // toISOString is always UTC, whatever the process time zone.
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '');
  return `${stamp}-${randomHex16()}`;
}

// A request without an ID gets a fresh one: the random bytes are drawn 256 IDs at a time (as
// crypto.randomUUID does), since one system call per request showed in the request path's profile.
// Each byte is handed out once.
const pool = Buffer.alloc(16 * 256);
let offset = pool.length;

function randomHex16(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + 16);
  offset += 16;
  return hex;
}

/** Whether an ID that came from outside may be stored as sent. */
export function isSafeTransactionId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_TRANSACTION_ID.test(value);
}

/**
 * The transaction ID to use for a request carrying `headerValue`: the caller's own when it is one safe
 * token, a fresh one otherwise. A rejected value is never stored, not even cleaned up, because a trimmed
 * or escaped variant could collide with another caller's ID.
 */
export function acceptTransactionId(headerValue: string | string[] | undefined): string {
  // Node hands a header sent more than once as an array (or, for unknown headers, joined with ", ",
  // which the character set already rejects); with two candidates there is no way to tell which is real.
  const candidate = Array.isArray(headerValue) && headerValue.length === 1 ? headerValue[0] : headerValue;
  return isSafeTransactionId(candidate) ? candidate : newTransactionId();
}
