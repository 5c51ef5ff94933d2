import { types } from 'node:util';

/** What a redacted header or body field holds instead of its value (docs/behaviour.md, "API row format"). */
export const REDACTED = '***REDACTED***';

/** What a reference back to one of its own ancestors becomes, where JSON.stringify would throw. */
export const CIRCULAR = '[Circular]';

/** What a container nested deeper than {@link MAX_BODY_DEPTH} levels is stored as. */
export const TOO_DEEP = '[Too deep]';

/**
 * How many levels of objects and arrays a stored body keeps. MariaDB refuses JSON nested 32 levels
 * or deeper, and copying a hostile 10,000-level document recursively would overflow the stack;
 * real API bodies stay far below this.
 */
export const MAX_BODY_DEPTH = 24;

/**
 * Header names redacted unless `apiAudit.defaultRedaction` is false (case-insensitive), besides any
 * name ending in `-api-key`, `-token`, `-secret` (or `_` variants), matched by {@link DEFAULT_HEADER_PATTERN}.
 */
export const DEFAULT_REDACT_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
];
const DEFAULT_HEADER_PATTERN = /(^|[-_])(api[-_]?key|token|secret)$/;

/**
 * Body keys redacted unless `apiAudit.defaultRedaction` is false: compared case-insensitively and
 * without `-` and `_`, so `access_token`, `accessToken` and `Access-Token` are one key.
 */
export const DEFAULT_REDACT_BODY_FIELDS: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'client_secret',
  'private_key',
  'card_number',
  'cvv',
  'cvc',
  'pan',
];

/** `Access-Token`, `access_token`, `accessToken` -> `accesstoken`. */
function bodyKeyForm(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/**
 * Which header names and body keys the API trail redacts: the application's lists plus, unless
 * turned off, the defaults above. Built once per recorder; plain arrays passed to the functions
 * below are the application's lists alone.
 */
export class RedactionRules {
  private readonly headers: Set<string>;
  private readonly keys: Set<string>;

  constructor(
    headers: readonly string[] = [],
    bodyFields: readonly string[] = [],
    readonly defaults = true,
  ) {
    this.headers = lowerCaseSet([...(defaults ? DEFAULT_REDACT_HEADERS : []), ...safeList(headers)]);
    this.keys = new Set(
      [...(defaults ? DEFAULT_REDACT_BODY_FIELDS : []), ...safeList(bodyFields)]
        .filter((name): name is string => typeof name === 'string')
        .map(bodyKeyForm),
    );
  }

  static of(rules: RedactionRules | readonly string[] | null | undefined, kind: 'headers' | 'body'): RedactionRules {
    if (rules instanceof RedactionRules) return rules;
    const list = safeList(rules);
    return kind === 'headers' ? new RedactionRules(list, [], false) : new RedactionRules([], list, false);
  }

  header(name: string): boolean {
    const lower = name.toLowerCase();
    return this.headers.has(lower) || (this.defaults && DEFAULT_HEADER_PATTERN.test(lower));
  }

  bodyKey(key: string): boolean {
    return this.keys.size > 0 && this.keys.has(bodyKeyForm(key));
  }

  /** Whether any body key is redacted at all (a partial document then gets no preview). */
  get redactsBodies(): boolean {
    return this.keys.size > 0;
  }
}

function safeList(list: unknown): string[] {
  return Array.isArray(list) ? list.filter((name): name is string => typeof name === 'string') : [];
}

/**
 * One string per header, for the `request_headers` column.
 *
 * Accepts whatever an HTTP client hands over: a plain object (Node / axios style, values
 * string | number | string[] | undefined), a WHATWG `Headers`, an `AxiosHeaders`, a `Map`, or an
 * array of `[name, value]` pairs (Node's flat `rawHeaders` too). Names keep the casing they came
 * with; names that differ only in case are one header, joined under the first spelling. Names
 * the rules redact (a plain list: case-insensitive) get {@link REDACTED}. Never throws: odd input
 * gives `{}`, odd entries are skipped. Names and values are made well-formed UTF-16.
 */
export function redactHeaders(headers: unknown, names: RedactionRules | readonly string[]): Record<string, string> {
  const rules = RedactionRules.of(names, 'headers');
  const out: Record<string, string> = {};
  // Lower-cased name -> the spelling used in `out`, so `Accept` and `accept` end up as one header.
  const spelling = new Map<string, string>();

  const add = (rawName: unknown, value: unknown): void => {
    if (typeof rawName !== 'string' || rawName === '') return;
    const name = wellFormed(rawName);
    const raw = headerValueText(value);
    if (raw === undefined) return;
    const text = wellFormed(raw);
    const lower = name.toLowerCase();
    const redacted = rules.header(lower);
    const existing = spelling.get(lower);
    if (existing === undefined) {
      spelling.set(lower, name);
      defineOwn(out, name, redacted ? REDACTED : text);
    } else if (!redacted) {
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

/**
 * A URL-encoded form (`a=1&card_number=4111...`) with the value of every redacted key replaced by
 * {@link REDACTED}; everything else is kept byte for byte.
 */
export function redactForm(form: string, keys: RedactionRules | readonly string[]): string {
  const rules = RedactionRules.of(keys, 'body');
  if (!rules.redactsBodies) return form;
  return form
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const rawKey = equals < 0 ? pair : pair.slice(0, equals);
      return rules.bodyKey(formDecode(rawKey)) ? `${rawKey}=${REDACTED}` : pair;
    })
    .join('&');
}

function formDecode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Lone surrogates (which PostgreSQL and MariaDB refuse in JSON) become U+FFFD. */
export function wellFormed(text: string): string {
  const native = (text as { toWellFormed?: () => string }).toWellFormed;
  if (typeof native === 'function') return native.call(text);
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
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
 * A copy of `body` in which every object key the rules redact (a plain list: case-insensitive,
 * `-` and `_` ignored), at any depth, inside arrays too, holds {@link REDACTED}; the key stays so the
 * shape of the call is kept.
 *
 * The copy is what JSON.stringify would see, made safe to stringify and to store: a reference back
 * to an ancestor becomes {@link CIRCULAR}, a container nested deeper than {@link MAX_BODY_DEPTH}
 * levels becomes {@link TOO_DEEP}, lone surrogates in strings and keys become U+FFFD, a BigInt its
 * decimal string, a Date its ISO string (`toJSON` is honoured generally), functions, symbols and
 * undefined are dropped from objects and become null in arrays. Buffers, typed arrays and
 * ArrayBuffers are returned as they are: turning bytes into something storable is
 * toStorableBody's job. The input is never mutated.
 */
export function redactBody(body: unknown, keys: RedactionRules | readonly string[]): unknown {
  return new BodyRedactor(RedactionRules.of(keys, 'body')).copy(body, '', 0);
}

class BodyRedactor {
  // Only the current path: an object shared by two branches is not a cycle and is copied twice,
  // as JSON.stringify would.
  private readonly ancestors = new Set<object>();

  constructor(private readonly rules: RedactionRules) {}

  copy(value: unknown, key: string, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        return wellFormed(value);
      case 'number':
      case 'boolean':
        return value;
      case 'bigint':
        return value.toString();
      case 'object':
        return value === null ? null : this.copyObject(value, key, depth);
      default:
        // undefined, function, symbol: not representable in JSON.
        return undefined;
    }
  }

  private copyObject(value: object, key: string, depth: number): unknown {
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
      if (replaced !== value) return this.within(value, () => this.copy(replaced, key, depth));
    }

    if (depth >= MAX_BODY_DEPTH) return TOO_DEEP;
    return this.within(value, () =>
      Array.isArray(value) ? this.copyArray(value, depth + 1) : this.copyFields(value, depth + 1),
    );
  }

  private within(value: object, copy: () => unknown): unknown {
    this.ancestors.add(value);
    try {
      return copy();
    } finally {
      this.ancestors.delete(value);
    }
  }

  private copyArray(value: readonly unknown[], depth: number): unknown[] {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = this.copy(readSafely(value, i), String(i), depth);
      out[i] = item === undefined ? null : item;
    }
    return out;
  }

  private copyFields(value: object, depth: number): Record<string, unknown> {
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
      const copied = this.rules.bodyKey(key) ? REDACTED : this.copy(field, key, depth);
      if (copied !== undefined) defineOwn(out, wellFormed(key), copied);
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

function lowerCaseSet(names: readonly string[]): Set<string> {
  return new Set(names.map((name) => name.toLowerCase()));
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
