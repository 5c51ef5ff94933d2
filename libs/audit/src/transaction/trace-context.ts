/**
 * Trace correlation: the W3C trace an audit row belongs to, as `trace_id` / `span_id` in its
 * metadata, so a row leads to the trace of the request that wrote it and back.
 */
export interface TraceIds {
  trace_id: string;
  span_id: string;
}

// version-traceid-parentid-flags; version ff and all-zero ids are invalid (W3C Trace Context).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(?:-.*)?$/;

/** The trace of a `traceparent` header value, or undefined when it is absent or not valid. */
export function traceOfTraceparent(value: unknown): TraceIds | undefined {
  const text = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (typeof text !== 'string') return undefined;
  const match = TRACEPARENT.exec(text.trim());
  if (!match || match[1] === 'ff' || /^0+$/.test(match[2]) || /^0+$/.test(match[3])) return undefined;
  return { trace_id: match[2], span_id: match[3] };
}

interface OpenTelemetryApi {
  trace: {
    getActiveSpan(): { spanContext(): { traceId: string; spanId: string } } | undefined;
  };
  isSpanContextValid?(context: { traceId: string; spanId: string }): boolean;
}

let openTelemetry: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api` when the application has it; this package does not depend on it. Looked up
 * once: an app without OpenTelemetry pays one failed require, not one per row.
 */
function openTelemetryApi(): OpenTelemetryApi | null {
  if (openTelemetry === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      openTelemetry = require('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      openTelemetry = null;
    }
  }
  return openTelemetry;
}

/** The trace of the OpenTelemetry span active right now, if the app runs OpenTelemetry and one is. */
export function activeSpanTrace(): TraceIds | undefined {
  const api = openTelemetryApi();
  const context = api?.trace.getActiveSpan()?.spanContext();
  if (!context) return undefined;
  if (
    api?.isSpanContextValid
      ? !api.isSpanContextValid(context)
      : !traceOfTraceparent(`00-${context.traceId}-${context.spanId}-01`)
  ) {
    return undefined;
  }
  return { trace_id: context.traceId, span_id: context.spanId };
}
