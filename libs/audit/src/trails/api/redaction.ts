import { types } from 'node:util';

/** What a redacted header or body field holds instead of its value (docs/behaviour.md, "API row format"). */
export const REDACTED = '***REDACTED***';

/** What a reference back to one of its own ancestors becomes, where JSON.stringify would throw. */
export const CIRCULAR = '[Circular]';

/**
 * One string per header, for the `request_headers` column.
 *
 * Accepts whatever an HTTP client hands over: a plain object (Node / axios style, values
 * string | number | string[] | undefined), a WHATWG `Headers`, an `AxiosHeaders`, a `Map`, or an
 * array of `[name, value]` pairs (Node's flat `rawHeaders` too). Names keep the casing they came
 * with; names that differ only in case are one header, joined under the first spelling. Names
 * listed in `names` (case-insensitive) get {@link REDACTED}. Never throws: odd input gives `{}`,
 * odd entries are skipped.
 */
export function redactHeaders(headers: unknown, names: readonly string[]): Record<string, string> {
  const redacted = lowerCaseSet(names);
  const out: Record<string, string> = {};
  // Lower-cased name -> the spelling used in `out`, so `Accept` and `accept` end up as one header.
  const spelling = new Map<string, string>();

  const add = (name: unknown, value: unknown): void => {
    if (typeof name !== 'string' || name === '') return;
    const text = headerValueText(value);
    if (text === undefined) return;
    const lower = name.toLowerCase();
    const existing = spelling.get(lower);
    if (existing === undefined) {
      spelling.set(lower, name);
      defineOwn(out, name, redacted.has(lower) ? REDACTED : text);
    } else if (!redacted.has(lower)) {
      out[existing] = `${out[existing]}, ${text}`;
    }
  };

  try {
    if (headers === null || typeof headers !== 'object') return out;
    if (Array.isArray(headers)) {
      addArray(headers, add);
    } else if (!isPlainObject(headers) && typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
      // Headers, Map and AxiosHeaders all iterate as [name, value]; a Headers' own keys are empty.
      for (const entry of headers as Iterable<unknown>) {
        if (Array.isArray(entry)) add(entry[0], entry[1]);
      }
    } else {
      for (const name of Object.keys(headers)) add(name, (headers as Record<string, unknown>)[name]);
    }
  } catch {
    // A throwing getter or iterator must not cost the caller its HTTP call; keep what was read.
  }
  return out;
}

function addArray(headers: readonly unknown[], add: (name: unknown, value: unknown) => void): void {
  if (headers.length > 0 && headers.every((item) => typeof item === 'string')) {
    // Node's `rawHeaders`: name, value, name, value ...
    for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
    return;
  }
  for (const entry of headers) {
    if (Array.isArray(entry)) add(entry[0], entry[1]);
  }
}

function headerValueText(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    const parts = value.map(headerScalarText).filter((part): part is string => part !== undefined);
    return parts.length > 0 ? parts.join(', ') : undefined;
  }
  return headerScalarText(value);
}

function headerScalarText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
      return String(value);
    case 'boolean':
      // axios uses `false` to mean "do not send this header", so it never reached the wire.
      return value ? 'true' : undefined;
    default:
      return undefined;
  }
}

/**
 * A copy of `body` in which every object key matching one of `keys` (case-insensitive, at any
 * depth, inside arrays too) holds {@link REDACTED}; the key stays so the shape of the call is kept.
 *
 * The copy is what JSON.stringify would see, made safe to stringify: a reference back to an
 * ancestor becomes {@link CIRCULAR}, a BigInt its decimal string, a Date its ISO string (`toJSON`
 * is honoured generally), functions, symbols and undefined are dropped from objects and become
 * null in arrays. Buffers, typed arrays and ArrayBuffers are returned as they are: turning bytes
 * into something storable is toStorableBody's job. The input is never mutated.
 */
export function redactBody(body: unknown, keys: readonly string[]): unknown {
  return new BodyRedactor(lowerCaseSet(keys)).copy(body, '');
}

class BodyRedactor {
  // Only the current path: an object shared by two branches is not a cycle and is copied twice,
  // as JSON.stringify would.
  private readonly ancestors = new Set<object>();

  constructor(private readonly redacted: ReadonlySet<string>) {}

  copy(value: unknown, key: string): unknown {
    switch (typeof value) {
      case 'string':
      case 'number':
      case 'boolean':
        return value;
      case 'bigint':
        return value.toString();
      case 'object':
        return value === null ? null : this.copyObject(value, key);
      default:
        // undefined, function, symbol: not representable in JSON.
        return undefined;
    }
  }

  private copyObject(value: object, key: string): unknown {
    if (types.isAnyArrayBuffer(value) || types.isArrayBufferView(value)) return value;
    if (this.ancestors.has(value)) return CIRCULAR;
    if (types.isDate(value)) return Number.isNaN(value.getTime()) ? null : value.toISOString();

    const toJSON = readSafely(value, 'toJSON');
    if (typeof toJSON === 'function') {
      let replaced: unknown;
      try {
        replaced = toJSON.call(value, key);
      } catch {
        replaced = value;
      }
      if (replaced !== value) return this.within(value, () => this.copy(replaced, key));
    }

    return this.within(value, () => (Array.isArray(value) ? this.copyArray(value) : this.copyFields(value)));
  }

  private within(value: object, copy: () => unknown): unknown {
    this.ancestors.add(value);
    try {
      return copy();
    } finally {
      this.ancestors.delete(value);
    }
  }

  private copyArray(value: readonly unknown[]): unknown[] {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = this.copy(readSafely(value, i), String(i));
      out[i] = item === undefined ? null : item;
    }
    return out;
  }

  private copyFields(value: object): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let keys: string[];
    try {
      keys = Object.keys(value);
    } catch {
      // A Proxy whose ownKeys trap throws: nothing of it can be read, so nothing of it is stored.
      return out;
    }
    for (const key of keys) {
      const field = readSafely(value, key);
      if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
      const copied = this.redacted.has(key.toLowerCase()) ? REDACTED : this.copy(field, key);
      if (copied !== undefined) defineOwn(out, key, copied);
    }
    return out;
  }
}

function readSafely(target: object, key: string | number): unknown {
  try {
    return (target as Record<string | number, unknown>)[key];
  } catch {
    // A throwing getter is as good as an absent field; it must not abort the whole trail row.
    return undefined;
  }
}

function lowerCaseSet(names: readonly string[] | null | undefined): Set<string> {
  const set = new Set<string>();
  if (!Array.isArray(names)) return set;
  for (const name of names) {
    if (typeof name === 'string') set.add(name.toLowerCase());
  }
  return set;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype;
}

/**
 * Plain assignment of a `__proto__` key (which JSON.parse happily produces from a third party's
 * response) would replace the copy's prototype instead of adding a field.
 */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
