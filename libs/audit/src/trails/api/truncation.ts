/** The max body size used when `apiAudit.maxBodySize` is 0 or left out (docs/behaviour.md, "Options"). */
export const DEFAULT_MAX_BODY_SIZE = 4096;

/** What a body larger than the max body size is stored as (docs/behaviour.md, "API row format"). */
export interface TruncatedBody {
  _truncated: true;
  /** UTF-8 byte length of the body's JSON text. */
  original_size: number;
  /** The first max bytes of that JSON text, cut back to a whole UTF-8 character. */
  preview: string;
}

/**
 * `body` itself when its JSON text fits in `maxBodySize` UTF-8 bytes, else a {@link TruncatedBody}.
 * `maxBodySize` 0 means {@link DEFAULT_MAX_BODY_SIZE}; a negative one turns truncation off. An
 * absent body (undefined, null, or what JSON.stringify renders as nothing) is null.
 *
 * Expects a JSON-able value, such as redactBody's output: truncation comes after redaction, so a
 * preview never shows a secret.
 */
export function truncateBody(body: unknown, maxBodySize: number): unknown {
  if (body === undefined || body === null || typeof body === 'function' || typeof body === 'symbol') return null;
  const max = effectiveMaxBodySize(maxBodySize);
  if (max === Infinity) return body;
  const json = JSON.stringify(body) as string | undefined;
  if (json === undefined) return null;
  // One UTF-16 code unit takes at most 3 UTF-8 bytes, so small bodies skip the byte count.
  if (json.length * 3 <= max) return body;

  const size = Buffer.byteLength(json, 'utf8');
  if (size <= max) return body;

  const bytes = Buffer.from(json, 'utf8');
  let end = max;
  // bytes[end] is the first byte left out; while it continues a character, that character
  // straddles the cut and must go too, or the preview would end in a replacement character.
  while (end > 0 && (bytes[end] & 0b1100_0000) === 0b1000_0000) end--;
  const truncated: TruncatedBody = { _truncated: true, original_size: size, preview: bytes.toString('utf8', 0, end) };
  return truncated;
}

function effectiveMaxBodySize(maxBodySize: number): number {
  if (maxBodySize < 0) return Infinity;
  if (maxBodySize === 0 || Number.isNaN(maxBodySize)) return DEFAULT_MAX_BODY_SIZE;
  return Math.floor(maxBodySize);
}
