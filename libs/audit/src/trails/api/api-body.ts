import { TextDecoder, types } from 'node:util';
import { type RedactionRules, redactBody, redactForm } from './redaction';
import { truncateBody } from './truncation';

/** What a body of bytes that are not text is stored as. */
export interface BinaryBody {
  _binary: true;
  size: number;
  content_type: string | null;
}

/** What a streamed body is stored as: reading it here would consume it before the caller does. */
export interface StreamBody {
  _stream: true;
  content_type: string | null;
}

/** What a multipart form is stored as. */
export interface FormDataBody {
  _form_data: true;
}

/**
 * The JSON-able value to store for a body an HTTP client saw, before redaction.
 *
 * - undefined, null, '' and zero bytes: null.
 * - A string: parsed when the content type is JSON, or when there is no content type and it
 *   parses as a JSON object or array; otherwise stored as a JSON string.
 * - Bytes (Buffer, ArrayBuffer, typed array, DataView): decoded and treated as a string when the
 *   content type is textual (text/*, JSON, XML, form-urlencoded), else a {@link BinaryBody}.
 *   A Blob cannot be read synchronously, so it is always a {@link BinaryBody}.
 * - A Node or web stream: a {@link StreamBody}. FormData: a {@link FormDataBody}.
 *   URLSearchParams: its string form.
 * - Anything else (objects, arrays, numbers ...) as it is; redactBody copies it safely.
 *
 * Never throws.
 */
export function toStorableBody(body: unknown, contentType?: string | null): unknown {
  const type = normaliseContentType(contentType);
  try {
    if (body === undefined || body === null || body === '') return null;
    if (typeof body === 'string') return fromText(body, type);
    if (typeof body !== 'object') return body;

    const bytes = asBytes(body);
    if (bytes !== undefined) return fromBytes(bytes, type);

    const tag = Object.prototype.toString.call(body);
    if (tag === '[object URLSearchParams]') return String(body) || null;
    if (tag === '[object FormData]' || hasMethod(body, 'getBoundary')) {
      // The `form-data` package that axios uses in Node is a stream too, but it is a form first.
      const form: FormDataBody = { _form_data: true };
      return form;
    }
    if (tag === '[object Blob]' || tag === '[object File]') {
      const blob = body as { size: number; type?: string };
      return binary(blob.size, type ?? normaliseContentType(blob.type));
    }
    if (hasMethod(body, 'pipe') || hasMethod(body, 'getReader')) {
      const stream: StreamBody = { _stream: true, content_type: type };
      return stream;
    }
    return body;
  } catch {
    // Only an exotic object (a Proxy, a throwing getter) gets here; redactBody copies what of it
    // can be read rather than the caller's HTTP call failing over its audit row.
    return body;
  }
}

/** What a body is stored as when even its safe copy could not be made (it never should). */
export interface UnreadableBody {
  _unreadable: true;
}

/**
 * The body exactly as the API trail stores it: made storable, then redacted, then truncated.
 * Redaction comes first so that a truncation preview never shows a secret (docs/behaviour.md, "API row format").
 * A URL-encoded form (by content type, or a URLSearchParams body) is redacted key by key in its
 * text form. Never throws: what cannot be copied at all becomes an {@link UnreadableBody}.
 */
export function prepareBody(
  body: unknown,
  contentType: string | null | undefined,
  redactKeys: RedactionRules | readonly string[],
  maxBodySize: number,
): unknown {
  try {
    let storable = toStorableBody(body, contentType);
    if (typeof storable === 'string' && (isForm(contentType) || isSearchParams(body))) {
      storable = redactForm(storable, redactKeys);
    } else if (typeof storable === 'string') {
      storable = redactJsonText(storable, redactKeys);
    }
    return truncateBody(redactBody(storable, redactKeys), maxBodySize);
  } catch {
    const unreadable: UnreadableBody = { _unreadable: true };
    return unreadable;
  }
}

/**
 * A text body (text/plain, say) that is in fact a JSON document stays a string, but one whose
 * redacted keys hold {@link REDACTED}: its content type does not make its secrets any less secret.
 */
function redactJsonText(text: string, redactKeys: RedactionRules | readonly string[]): string {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return text;
  const parsed = parseJson(text);
  if (parsed === null || typeof parsed !== 'object') return text;
  const redacted = JSON.stringify(redactBody(parsed, redactKeys));
  return redacted === JSON.stringify(redactBody(parsed, [])) ? text : redacted;
}

function isForm(contentType: string | null | undefined): boolean {
  return mediaType(normaliseContentType(contentType)) === 'application/x-www-form-urlencoded';
}

function isSearchParams(body: unknown): boolean {
  try {
    return (
      typeof body === 'object' && body !== null && Object.prototype.toString.call(body) === '[object URLSearchParams]'
    );
  } catch {
    return false;
  }
}

function fromText(text: string, type: string | null): unknown {
  if (text === '') return null;
  const essence = mediaType(type);
  if (essence !== null && essence.includes('json')) return parseJson(text) ?? text;
  if (essence === null) {
    const parsed = parseJson(text);
    if (parsed !== undefined && parsed !== null && typeof parsed === 'object') return parsed;
  }
  return text;
}

function fromBytes(bytes: Uint8Array, type: string | null): unknown {
  if (bytes.byteLength === 0) return null;
  if (!isTextual(mediaType(type))) return binary(bytes.byteLength, type);
  return fromText(decode(bytes, charset(type)), type);
}

/**
 * Whether bytes of this content type are decoded and stored as text (text/*, JSON, XML,
 * form-urlencoded); anything else, or no content type at all, is stored as a {@link BinaryBody}.
 */
export function isTextualContentType(contentType: string | null | undefined): boolean {
  return isTextual(mediaType(normaliseContentType(contentType)));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function decode(bytes: Uint8Array, label: string | null): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label ?? 'utf-8');
  } catch {
    // An unknown charset label: UTF-8 is what JSON and nearly every API really send.
    decoder = new TextDecoder('utf-8');
  }
  return decoder.decode(bytes);
}

function asBytes(body: object): Uint8Array | undefined {
  // util.types rather than instanceof: a Buffer is built in Node's own realm, which is not the
  // realm of the caller's code under Jest or in a vm context.
  if (types.isArrayBufferView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (types.isAnyArrayBuffer(body)) return new Uint8Array(body);
  return undefined;
}

function binary(size: number, type: string | null): BinaryBody {
  return { _binary: true, size, content_type: type };
}

function isTextual(essence: string | null): boolean {
  if (essence === null) return false;
  return (
    essence.startsWith('text/') ||
    essence.includes('json') ||
    essence.includes('xml') ||
    essence === 'application/x-www-form-urlencoded'
  );
}

function normaliseContentType(contentType: unknown): string | null {
  if (typeof contentType !== 'string') return null;
  const trimmed = contentType.trim();
  return trimmed === '' ? null : trimmed;
}

/** `application/json; charset=utf-8` -> `application/json`. */
function mediaType(type: string | null): string | null {
  if (type === null) return null;
  const essence = type.split(';', 1)[0].trim().toLowerCase();
  return essence === '' ? null : essence;
}

function charset(type: string | null): string | null {
  const match = type === null ? null : /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(type);
  return match ? match[1] : null;
}

function hasMethod(target: object, name: string): boolean {
  return typeof (target as Record<string, unknown>)[name] === 'function';
}
