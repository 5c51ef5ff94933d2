import { type BinaryBody, isTextualContentType, prepareBody } from './api-body';
import type { RedactionRules } from './redaction';
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
  redactBodyFields: RedactionRules | readonly string[],
  maxBodySize: number,
): unknown {
  if (captured.size === 0) return null;
  if (!isTextualContentType(contentType)) {
    const binary: BinaryBody = { _binary: true, size: captured.size, content_type: contentType };
    return binary;
  }
  if (captured.complete) return prepareBody(captured.bytes, contentType, redactBodyFields, maxBodySize);

  let preview = '';
  const redacts = Array.isArray(redactBodyFields)
    ? redactBodyFields.length > 0
    : (redactBodyFields as RedactionRules).redactsBodies;
  if (!redacts) {
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

/** How the capture of a body ended. */
export interface CaptureOutcome {
  captured: CapturedBody;
  /** The stream failed (the connection dropped, say). */
  error?: unknown;
  /** The caller cancelled the body before its end. */
  cancelled?: boolean;
}

/** A body as the caller reads it, copied on the way through. */
export interface BodyCapture {
  /** The stream to hand the caller instead of the original one. */
  stream: ReadableStream<Uint8Array>;
  /** What has been captured so far; the body is incomplete unless it ended. */
  snapshot(): CapturedBody;
  /** Whether reading further waits for the caller: the read-ahead is full. */
  waitingOnCaller(): boolean;
  /** Stops copying (the stream still flows to the caller) and says what was captured. */
  stop(): CapturedBody;
}

/** Bytes read ahead of the caller: enough for a typical body to be captured if it is never read. */
const READ_AHEAD_BYTES = 1024 * 1024;

/**
 * Puts a capture between a response body and its caller, instead of reading a clone of it: the
 * caller's reads pull from the network as before, a cancel reaches the source, and nothing is read
 * more than {@link READ_AHEAD_BYTES} (or `cap`, if larger) ahead of the caller, so a body the caller
 * never reads is not downloaded behind its back. At most `cap` bytes are kept (none when `keep` is
 * false); the rest is counted. `done` is called once, when the body ends, fails or is cancelled.
 */
export function captureBody(
  source: ReadableStream<Uint8Array>,
  cap: number,
  keep: boolean,
  done: (outcome: CaptureOutcome) => void,
): BodyCapture {
  const reader = source.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let size = 0;
  let ended = false;
  let copying = true;
  let settled = false;
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;

  const snapshot = (): CapturedBody => ({
    bytes: Buffer.concat(chunks),
    size,
    complete: keep && ended && size <= cap,
  });
  const settle = (outcome: Omit<CaptureOutcome, 'captured'>): void => {
    if (settled) return;
    settled = true;
    if (copying) done({ ...outcome, captured: snapshot() });
  };
  const take = (value: Uint8Array): void => {
    size += value.byteLength;
    if (!copying || !keep || kept >= cap) return;
    // A copy: the caller may transfer or reuse the chunk's buffer once it has it.
    const part = value.byteLength <= cap - kept ? value.slice() : value.slice(0, cap - kept);
    chunks.push(part);
    kept += part.byteLength;
  };

  const readAhead = Number.isFinite(cap) ? Math.max(cap, READ_AHEAD_BYTES) : READ_AHEAD_BYTES;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controllerRef = controller;
      },
      async pull(controller) {
        let result: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
        try {
          result = await reader.read();
        } catch (error) {
          settle({ error });
          controller.error(error);
          return;
        }
        if (result.done) {
          ended = true;
          controller.close();
          settle({});
          return;
        }
        take(result.value);
        controller.enqueue(result.value);
      },
      cancel(reason) {
        settle({ cancelled: true });
        return reader.cancel(reason);
      },
    },
    { highWaterMark: readAhead, size: (chunk) => chunk?.byteLength ?? 0 },
  );

  return {
    stream,
    snapshot,
    waitingOnCaller: () => !settled && (controllerRef?.desiredSize ?? 1) <= 0,
    stop: () => {
      const captured = snapshot();
      copying = false;
      chunks.length = 0;
      return captured;
    },
  };
}
