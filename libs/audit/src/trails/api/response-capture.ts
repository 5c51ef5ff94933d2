import { type BinaryBody, isTextualContentType, prepareBody } from './api-body';
import { DEFAULT_MAX_BODY_SIZE, type TruncatedBody } from './truncation';

/** What was read of a response body: at most `cap` bytes of it, and its full size. */
export interface CapturedBody {
  bytes: Uint8Array;
  /** Bytes the whole body took. */
  size: number;
  /** Whether `bytes` is the whole body. */
  complete: boolean;
}

const MIN_CAPTURE_BYTES = 1024 * 1024;

/**
 * How much of a fetch response body the trail keeps in memory. With truncation on, no stored body
 * can exceed maxBodySize anyway, but the preview is cut from the JSON text of the REDACTED body,
 * which needs the whole document; so bodies are kept whole up to 1 MiB (or 16 times maxBodySize
 * when that is more), and only past that are they counted rather than kept. With truncation off
 * (negative maxBodySize) bodies are kept whole, as asked.
 */
export function captureLimit(maxBodySize: number): number {
  if (maxBodySize < 0) return Infinity;
  return Math.max(MIN_CAPTURE_BYTES, 16 * (maxBodySize || DEFAULT_MAX_BODY_SIZE));
}

/**
 * Reads a stream to its end, keeping its first `cap` bytes (none when `keep` is false: a binary
 * body is only measured). The rest is counted so the stored size is exact.
 */
export async function readCapped(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  cap: number,
  keep: boolean,
): Promise<CapturedBody> {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (keep && kept < cap) {
      const part = value.byteLength <= cap - kept ? value : value.subarray(0, cap - kept);
      chunks.push(part);
      kept += part.byteLength;
    }
  }
  return { bytes: Buffer.concat(chunks), size, complete: keep && size <= cap };
}

/**
 * The stored form of a captured response body, by the same rules as every other body
 * (docs/behaviour.md, "API row format"): a textual body read whole goes through prepareBody (parse, redact, truncate); a
 * body of any other content type is a {@link BinaryBody} with its exact size.
 *
 * A textual body larger than the capture limit becomes a {@link TruncatedBody} whose
 * `original_size` is its raw byte count and whose preview is cut from its raw text (as a JSON
 * string for non-JSON text), at most maxBodySize bytes on a whole UTF-8 character. When body fields
 * are redacted the preview is empty: a partial JSON document cannot be redacted, and a preview must
 * never show a secret.
 */
export function storedResponseBody(
  captured: CapturedBody,
  contentType: string | null,
  redactBodyFields: readonly string[],
  maxBodySize: number,
): unknown {
  if (captured.size === 0) return null;
  if (!isTextualContentType(contentType)) {
    const binary: BinaryBody = { _binary: true, size: captured.size, content_type: contentType };
    return binary;
  }
  if (captured.complete) return prepareBody(captured.bytes, contentType, redactBodyFields, maxBodySize);

  let preview = '';
  if (redactBodyFields.length === 0) {
    const text = Buffer.from(captured.bytes.buffer, captured.bytes.byteOffset, captured.bytes.byteLength).toString();
    const isJson = (contentType ?? '').split(';', 1)[0].toLowerCase().includes('json');
    preview = utf8Prefix(isJson ? text : JSON.stringify(text), maxBodySize || DEFAULT_MAX_BODY_SIZE);
  }
  const truncated: TruncatedBody = { _truncated: true, original_size: captured.size, preview };
  return truncated;
}

/** The first `max` UTF-8 bytes of `text`, cut back to a whole character. */
function utf8Prefix(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = max;
  while (end > 0 && (bytes[end] & 0b1100_0000) === 0b1000_0000) end--;
  return bytes.toString('utf8', 0, end);
}
