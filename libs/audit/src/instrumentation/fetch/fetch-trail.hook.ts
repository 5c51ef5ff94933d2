import { callErrorMessage } from '../../trails/api/call-error';
import type { ApiTrailRecorder, ObservedCall, OpenCall } from '../../trails/api/api-trail.recorder';
import { AUDIT_SERVICE_HEADER, parseUrl } from '../../trails/api/call-target';
import { captureBody } from '../../trails/api/response-capture';
import { isTextualContentType } from '../../trails/api/api-body';

type Fetch = typeof globalThis.fetch;
type FetchInput = Parameters<Fetch>[0];
type FetchInit = NonNullable<Parameters<Fetch>[1]> & { auditService?: unknown };

/**
 * The one wrapper this library puts around `globalThis.fetch`. Wrapping (rather than listening on
 * undici's diagnostics channels) is what gives the trail the caller's scope, the request body and
 * the response body as the caller reads it; the channels carry neither bodies nor a dependable
 * async context.
 */
interface FetchHook {
  original: Fetch;
  wrapper: Fetch;
  /** Applications whose trail records fetch calls; the latest started one does. */
  recorders: ApiTrailRecorder[];
}

// Symbol.for: two copies of this library in one process must still share one wrapper.
const HOOK = Symbol.for('nestjs-audit-trail:fetch-hook');

type HookedGlobal = { fetch?: Fetch; [HOOK]?: FetchHook };

/**
 * Records every call made with the global `fetch` (Node's undici) into `recorder`'s trail. Returns
 * the function that unhooks, or undefined when there is no global fetch.
 *
 * Several applications in one process (tests) share one wrapper: the latest started records, and
 * the original fetch comes back when the last one closes. If other code wrapped fetch over ours in
 * the meantime, ours stays inside that chain as a pass-through rather than cutting it off, and a
 * later application wraps afresh.
 */
export function hookFetch(recorder: ApiTrailRecorder): (() => void) | undefined {
  const global = globalThis as HookedGlobal;
  if (typeof global.fetch !== 'function') return undefined;
  let hook = global[HOOK];
  if (!hook || (hook.recorders.length === 0 && global.fetch !== hook.wrapper)) {
    hook = createHook(global.fetch);
    global.fetch = hook.wrapper;
    Object.defineProperty(global, HOOK, { value: hook, configurable: true, enumerable: false, writable: true });
  }
  const installed = hook;
  if (!installed.recorders.includes(recorder)) installed.recorders.push(recorder);
  return () => {
    const index = installed.recorders.lastIndexOf(recorder);
    if (index >= 0) installed.recorders.splice(index, 1);
    if (installed.recorders.length > 0 || global.fetch !== installed.wrapper) return;
    global.fetch = installed.original;
    if (global[HOOK] === installed) delete global[HOOK];
  };
}

function createHook(original: Fetch): FetchHook {
  const hook: FetchHook = { original, recorders: [], wrapper: original };
  hook.wrapper = function fetch(input: FetchInput, init?: FetchInit): Promise<Response> {
    const recorder = hook.recorders[hook.recorders.length - 1];
    return recorder ? auditedFetch(original, recorder, input, init) : original(input, init);
  } as Fetch;
  return hook;
}

interface RequestSide {
  url: URL | undefined;
  rawUrl: string;
  method: string;
  headers: Headers;
  body: unknown;
  service: unknown;
}

async function auditedFetch(
  original: Fetch,
  recorder: ApiTrailRecorder,
  input: FetchInput,
  init: FetchInit | undefined,
): Promise<Response> {
  const room = recorder.room();
  if (room) await room;

  let call: OpenCall | undefined;
  let request: RequestSide | undefined;
  let sent = init;
  try {
    request = describeRequest(input, init);
    let changed = request.headers.has(AUDIT_SERVICE_HEADER);
    request.headers.delete(AUDIT_SERVICE_HEADER);
    call = recorder.begin(request);
    const header = recorder.propagateHeader;
    if (call && header && call.transactionId && !request.headers.has(header)) {
      request.headers.set(header, call.transactionId);
      changed = true;
    }
    // A copy of the caller's init: theirs is not ours to change. Headers given here replace a
    // Request's own, which is why they were copied from it first.
    if (changed) sent = { ...init, headers: request.headers };
  } catch {
    // Input that fetch itself will reject (a malformed header, say): pass it on unchanged and let
    // fetch say what is wrong with it.
    call?.finish({ statusCode: 0, errorMessage: 'request could not be described for the audit trail' });
    call = undefined;
  }

  if (call) {
    // A write-ahead call's pending row goes in before the request leaves (bounded wait).
    let ahead: Promise<void> | undefined;
    try {
      ahead = call.beforeSend(requestObserved(request));
    } catch {
      ahead = undefined;
    }
    if (ahead) await ahead;
  }

  let response: Response;
  try {
    response = await original(input, sent);
  } catch (error) {
    call?.fail(error, requestObserved(request));
    throw error;
  }
  if (!call) return response;
  try {
    return captureResponse(call, recorder, response, requestObserved(request));
  } catch {
    // The trail must never change what the caller gets.
    call.finish({ ...requestObserved(request), statusCode: response.status, noResponseBody: true });
    return response;
  }
}

function describeRequest(input: FetchInput, init: FetchInit | undefined): RequestSide {
  const request = isRequest(input) ? input : undefined;
  const rawUrl = request ? request.url : String(input instanceof URL ? input.href : input);
  const headers = new Headers(init?.headers ?? request?.headers);
  return {
    url: parseUrl(rawUrl),
    rawUrl,
    method: init?.method ?? request?.method ?? 'GET',
    headers,
    // A Request's body is a stream: stored as a marker, since reading it would consume it.
    body: init?.body ?? request?.body ?? undefined,
    service: init?.auditService ?? headers.get(AUDIT_SERVICE_HEADER) ?? undefined,
  };
}

function requestObserved(request: RequestSide | undefined): Partial<ObservedCall> {
  if (!request) return {};
  return {
    requestHeaders: request.headers,
    requestBody: request.body,
    requestContentType: request.headers.get('content-type'),
  };
}

/**
 * The caller gets the response at once, with a body that is the original one copied on the way
 * through (response-capture.ts): its reads, cancel and back-pressure reach the network as before,
 * and the trail keeps at most the capture limit. The row is finished when the body ends, fails or
 * is cancelled, or earlier by flush() / shutdown with what was read by then.
 */
function captureResponse(
  call: OpenCall,
  recorder: ApiTrailRecorder,
  response: Response,
  request: Partial<ObservedCall>,
): Response {
  const contentType = response.headers.get('content-type');
  const observed: ObservedCall = {
    ...request,
    statusCode: response.status,
    responseContentType: contentType,
    responseHeaders: response.headers,
  };
  const body = response.body;
  if (!body || response.bodyUsed) {
    call.finish({ ...observed, noResponseBody: true });
    return response;
  }
  if (isEndless(contentType)) {
    // An event stream may never end: it is the caller's alone, the row says it was a stream.
    call.finish({ ...observed, responseStreamed: true });
    return response;
  }

  const capture = captureBody(
    body,
    recorder.captureLimit,
    isTextualContentType(contentType),
    ({ captured, error, cancelled }) =>
      call.finish(
        error
          ? { responseCapture: captured, errorMessage: `response body: ${callErrorMessage(error)}` }
          : cancelled && !captured.complete
            ? {
                responseCapture: captured,
                errorMessage: `response body cancelled by the caller after ${captured.size} bytes`,
              }
            : { responseCapture: captured },
      ),
  );
  const wrapped = new Response(capture.stream, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // What the Response constructor cannot set: the caller still sees where the response came from.
  for (const name of ['url', 'redirected', 'type'] as const) {
    Object.defineProperty(wrapped, name, { value: response[name], enumerable: true, configurable: true });
  }
  call.respond(observed, {
    stop: () => ({ responseCapture: capture.stop() }),
    waitingOnCaller: capture.waitingOnCaller,
  });
  return wrapped;
}

function isRequest(input: FetchInput): input is Request {
  return (
    typeof input === 'object' &&
    input !== null &&
    !(input instanceof URL) &&
    typeof (input as Request).url === 'string' &&
    typeof (input as Request).method === 'string'
  );
}

function isEndless(contentType: string | null): boolean {
  return (contentType ?? '').split(';', 1)[0].trim().toLowerCase() === 'text/event-stream';
}
