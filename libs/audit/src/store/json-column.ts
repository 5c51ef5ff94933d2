/**
 * JSON text for a JSON column, in a form every dialect stores and reads back the same:
 *
 * - BigInt has no JSON form and would throw inside JSON.stringify: it is written as its decimal string.
 * - NUL and lone surrogates (half of a UTF-16 pair, `"evil\ud800"`) are written as U+FFFD: PostgreSQL
 *   refuses both escapes in JSONB and MariaDB's JSON check refuses the surrogate, and a value the
 *   business table accepted must never cost its audit row.
 * - An object or array nested deeper than MAX_JSON_DEPTH (the column's own value is level 1) is
 *   written as a string holding its JSON text: MariaDB refuses JSON nested 32 levels or deeper, and
 *   the text keeps every byte of the evidence.
 * - Anything that still cannot be encoded (a circular object) becomes a marker rather than losing the
 *   whole audit row.
 */
export function toJsonColumn(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  try {
    let text: string | undefined;
    try {
      text = JSON.stringify(value, bigIntAsText);
    } catch (error) {
      // Only a RangeError (the native encoder's own recursion ran out of stack) is worth a second
      // try; a circular structure fails the same way below.
      if (!(error instanceof RangeError)) throw error;
    }
    if (text === undefined || exceedsDepth(text, MAX_JSON_DEPTH)) text = encodeJson(value, MAX_JSON_DEPTH);
    return text === undefined ? null : storable(text);
  } catch (error) {
    return JSON.stringify({ _unencodable: true, error: (error as Error).message });
  }
}

/** An empty set of values is stored as SQL NULL, never as `{}` (docs/behaviour.md, "Data row format"). */
export function toValuesColumn(values: Record<string, unknown> | null | undefined): string | null {
  if (!values || Object.keys(values).length === 0) return null;
  return toJsonColumn(values);
}

export function fromJsonColumn<T = unknown>(text: unknown): T | null {
  if (text === null || text === undefined) return null;
  if (typeof text !== 'string') return text as T;
  return JSON.parse(text) as T;
}

/**
 * The deepest nesting of objects and arrays a stored JSON value keeps. MariaDB's `json_valid` is 0
 * from 32 levels on; 30 leaves a margin, and is far beyond what a business value needs.
 */
export const MAX_JSON_DEPTH = 30;

export interface JsonEncoding {
  /** Containers deeper than this are written as a string holding their JSON text. Default: no limit. */
  maxDepth?: number;
  /** Object keys in code-unit order, so equal values give equal text whatever the key order. */
  sortKeys?: boolean;
}

/**
 * JSON.stringify's output (toJSON, BigInt as decimal text, undefined/function/symbol dropped from
 * objects and null in arrays, non-finite numbers as null) without recursion, so a value nested
 * 10,000 levels deep neither overflows the stack nor fails. Throws a TypeError on a circular value,
 * as JSON.stringify does. Returns undefined where JSON.stringify would.
 */
export function encodeJson(root: unknown, encoding: number | JsonEncoding = {}): string | undefined {
  const { maxDepth = Infinity, sortKeys = false } = typeof encoding === 'number' ? { maxDepth: encoding } : encoding;
  const first = jsonable(root, '');
  if (!isContainer(first)) return primitiveText(first);

  const out: string[] = [];
  const ancestors = new Set<object>();
  const stack: Frame[] = [];
  const open = (container: object): void => {
    if (ancestors.has(container)) throw new TypeError('Converting circular structure to JSON');
    ancestors.add(container);
    if (Array.isArray(container)) {
      out.push('[');
      stack.push({ container, keys: undefined, index: 0, length: container.length, wrote: false });
    } else {
      const keys = Object.keys(container);
      if (sortKeys) keys.sort();
      out.push('{');
      stack.push({ container, keys, index: 0, length: keys.length, wrote: false });
    }
  };
  open(first);

  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.index >= frame.length) {
      out.push(frame.keys ? '}' : ']');
      ancestors.delete(frame.container);
      stack.pop();
      continue;
    }
    const key = frame.keys ? frame.keys[frame.index] : String(frame.index);
    frame.index++;
    const value = jsonable((frame.container as Record<string, unknown>)[key], key);
    const dropped = value === undefined || typeof value === 'function' || typeof value === 'symbol';
    if (dropped && frame.keys) continue;
    if (frame.wrote) out.push(',');
    frame.wrote = true;
    if (frame.keys) out.push(JSON.stringify(key), ':');
    if (dropped) {
      out.push('null');
    } else if (!isContainer(value)) {
      out.push(primitiveText(value)!);
    } else if (stack.length + 1 > maxDepth) {
      // One level too deep to keep as JSON: the subtree's own text, itself made storable, as a string.
      if (ancestors.has(value)) throw new TypeError('Converting circular structure to JSON');
      out.push(JSON.stringify(storable(encodeJson(value, { sortKeys })!)));
    } else {
      open(value);
    }
  }
  return out.join('');
}

interface Frame {
  container: object;
  /** Own enumerable keys of an object; undefined for an array. */
  keys: string[] | undefined;
  index: number;
  length: number;
  /** Whether a member was written yet (for the commas). */
  wrote: boolean;
}

function bigIntAsText(_key: string, item: unknown): unknown {
  return typeof item === 'bigint' ? item.toString() : item;
}

/** A value as JSON.stringify sees it: toJSON applied, BigInt as text, boxed primitives unboxed. */
function jsonable(value: unknown, key: string): unknown {
  let result = value;
  if (result !== null && (typeof result === 'object' || typeof result === 'bigint')) {
    const toJSON = (result as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') result = toJSON.call(result, key);
  }
  if (typeof result === 'bigint') return result.toString();
  if (result instanceof Number || result instanceof String || result instanceof Boolean) return result.valueOf();
  return result;
}

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

function primitiveText(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  return JSON.stringify(value);
}

/** Whether JSON text nests objects and arrays deeper than `limit`; strings are skipped. */
function exceedsDepth(text: string, limit: number): boolean {
  // Deeper than `limit` takes more than `limit` opening and as many closing brackets.
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = endOfString(text, i);
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote closing the string opened at `start` (found natively, then checked for escapes). */
function endOfString(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end > 0) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}

// JSON.stringify escapes NUL as \u0000 and, since Node 12, a lone surrogate as \udXXX in lower case
// (a real pair is written as the character itself). Only an escape preceded by an even number of
// backslashes is one; `\\u0000` is literal text. Both are stored as U+FFFD on every dialect so one
// row reads the same everywhere.
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;

function storable(json: string): string {
  return json.includes('\\u0000') || json.includes('\\ud') ? json.replace(UNSTORABLE_ESCAPE, '$1\\ufffd') : json;
}
