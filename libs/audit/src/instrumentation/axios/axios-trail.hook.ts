import { isTextualContentType } from '../../trails/api/api-body';
import type { ApiTrailRecorder, ObservedCall, OpenCall } from '../../trails/api/api-trail.recorder';
import { AUDIT_SERVICE_HEADER, axiosCallUrl } from '../../trails/api/call-target';

/*
 * axios is reached only through the instances the application's HttpService objects hold, and only
 * through the structural types below, so that @nestjs/axios (and axios) stay optional peers: an
 * application without them never loads this file's dependencies, because there are none.
 */

interface InterceptorManagerLike {
  use(onFulfilled?: (value: any) => any, onRejected?: (error: any) => any): number;
  eject(id: number): void;
}

/** What the hook needs of an axios instance. */
export interface AxiosLike {
  interceptors: { request: InterceptorManagerLike; response: InterceptorManagerLike };
}

interface AxiosConfigLike {
  url?: string;
  baseURL?: string;
  allowAbsoluteUrls?: boolean;
  method?: string;
  headers?: unknown;
  data?: unknown;
  /** Per-call service name for the trail; axios carries unknown config fields through untouched. */
  auditService?: unknown;
  [CALL]?: OpenCall;
}

interface AxiosResponseLike {
  status?: number;
  data?: unknown;
  headers?: unknown;
  config?: AxiosConfigLike;
}

interface AxiosErrorLike {
  config?: AxiosConfigLike;
  response?: AxiosResponseLike;
}

/** One pair of interceptors per axios instance, whichever number of HttpService objects share it. */
interface AxiosHook {
  /** Applications whose trail records this instance's calls; the latest started one does. */
  recorders: ApiTrailRecorder[];
  requestId: number;
  responseId: number;
}

// Symbol.for: two copies of this library in one process must still see one hook per instance.
const HOOK = Symbol.for('nestjs-audit-trail:axios-hook');
const CALL = Symbol.for('nestjs-audit-trail:axios-call');

type Hooked = AxiosLike & { [HOOK]?: AxiosHook };

/** Whether `value` is an axios instance (or the default axios export) we can hook. */
export function isAxiosLike(value: unknown): value is AxiosLike {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const interceptors = (value as Partial<AxiosLike>).interceptors;
  return (
    typeof interceptors?.request?.use === 'function' &&
    typeof interceptors.request.eject === 'function' &&
    typeof interceptors.response?.use === 'function' &&
    typeof interceptors.response.eject === 'function'
  );
}

/**
 * Records every call made through `instance` into `recorder`'s trail, and sends the transaction ID
 * in scope downstream. Hooking an instance twice adds no second pair of interceptors (several
 * HttpService objects may share one axios instance, the default HttpModule uses axios's global
 * one). Returns the function that unhooks: the interceptors are ejected when no application uses
 * them any more, so apps started one after another in one process do not stack them.
 */
export function hookAxios(instance: AxiosLike, recorder: ApiTrailRecorder): () => void {
  const target = instance as Hooked;
  let hook = target[HOOK];
  if (!hook) {
    const created: AxiosHook = { recorders: [], requestId: -1, responseId: -1 };
    created.requestId = instance.interceptors.request.use((config: AxiosConfigLike) => onRequest(created, config));
    created.responseId = instance.interceptors.response.use(onResponse, onError);
    Object.defineProperty(target, HOOK, { value: created, configurable: true, enumerable: false });
    hook = created;
  }
  const installed = hook;
  if (!installed.recorders.includes(recorder)) installed.recorders.push(recorder);
  return () => {
    const index = installed.recorders.lastIndexOf(recorder);
    if (index >= 0) installed.recorders.splice(index, 1);
    if (installed.recorders.length === 0 && target[HOOK] === installed) {
      instance.interceptors.request.eject(installed.requestId);
      instance.interceptors.response.eject(installed.responseId);
      delete target[HOOK];
    }
  };
}

/**
 * Runs before the request is sent (axios runs request interceptors added later first, so ours runs
 * before those the application added at start-up). It opens the call, taking the scope's user and
 * transaction ID now, and adds the propagation header. What was really sent (final headers,
 * serialised body) is read at response time from the config axios hands back.
 */
async function onRequest(hook: AxiosHook, config: AxiosConfigLike): Promise<AxiosConfigLike> {
  const recorder = hook.recorders[hook.recorders.length - 1];
  if (!recorder || !config) return config;
  const room = recorder.room();
  if (room) await room;
  try {
    const override = config.auditService ?? headerOf(config.headers, AUDIT_SERVICE_HEADER);
    removeHeader(config.headers, AUDIT_SERVICE_HEADER);
    // A retry library sends the same config again before our response interceptor saw the outcome.
    config[CALL]?.finish({ ...requestSide(config), errorMessage: 'sent again before its outcome was recorded' });
    const call = recorder.begin({
      url: axiosCallUrl(config.url, config.baseURL, config.allowAbsoluteUrls ?? true),
      rawUrl: config.url ?? '',
      method: config.method ?? 'get',
      service: override,
    });
    if (!call) return config;
    const header = recorder.propagateHeader;
    if (header && call.transactionId && headerOf(config.headers, header) === undefined) {
      setHeader(config, header, call.transactionId);
    }
    Object.defineProperty(config, CALL, { value: call, configurable: true, enumerable: true, writable: true });
    // A write-ahead call's pending row goes in before the request leaves (bounded wait).
    const ahead = call.beforeSend(requestSide(config));
    if (ahead) await ahead;
  } catch {
    // The trail must never cost the application its call.
  }
  return config;
}

function onResponse(response: AxiosResponseLike): AxiosResponseLike {
  const call = takeCall(response?.config);
  if (call) {
    try {
      call.finish({ ...requestSide(response.config!), ...responseSide(response) });
    } catch {
      // As above: a response is never lost to the trail.
    }
  }
  return response;
}

function onError(error: AxiosErrorLike): Promise<never> {
  const call = takeCall(error?.config);
  if (call) {
    try {
      const response = error.response ? responseSide(error.response) : { statusCode: 0 };
      call.fail(error, { ...requestSide(error.config!), ...response });
    } catch {
      // As above.
    }
  }
  return Promise.reject(error);
}

function takeCall(config: AxiosConfigLike | undefined): OpenCall | undefined {
  const call = config?.[CALL];
  if (call) delete config[CALL];
  return call;
}

function requestSide(config: AxiosConfigLike): Partial<ObservedCall> {
  return {
    requestHeaders: config.headers,
    requestBody: config.data,
    requestContentType: textOf(headerOf(config.headers, 'content-type')),
  };
}

function responseSide(response: AxiosResponseLike): Partial<ObservedCall> {
  const contentType = textOf(headerOf(response.headers, 'content-type')) ?? null;
  const side: Partial<ObservedCall> = {
    statusCode: typeof response.status === 'number' ? response.status : 0,
    responseBody: response.data,
    responseContentType: contentType,
    responseHeaders: response.headers,
  };
  if (typeof response.data === 'string' && contentType && !isTextualContentType(contentType)) {
    // With the default responseType axios decodes any body as UTF-8 text, an image included; the
    // text is meaningless, so the body is stored as binary, sized by Content-Length when sent.
    const length = Number(textOf(headerOf(response.headers, 'content-length')));
    const size = Number.isSafeInteger(length) && length >= 0 ? length : Buffer.byteLength(response.data);
    side.responseCapture = { bytes: new Uint8Array(0), size: response.data === '' ? 0 : size, complete: false };
  }
  return side;
}

/** A header of an AxiosHeaders (case-insensitive `get`) or of a plain object, case-insensitively. */
function headerOf(headers: unknown, name: string): unknown {
  if (!headers || typeof headers !== 'object') return undefined;
  const withGet = headers as { get?: (name: string) => unknown };
  if (typeof withGet.get === 'function') {
    const value = withGet.get(name);
    return value === null || value === false ? undefined : (value ?? undefined);
  }
  const record = headers as Record<string, unknown>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

function removeHeader(headers: unknown, name: string): void {
  if (!headers || typeof headers !== 'object') return;
  const withDelete = headers as { delete?: (name: string) => unknown };
  if (typeof withDelete.delete === 'function') {
    withDelete.delete(name);
    return;
  }
  const record = headers as Record<string, unknown>;
  for (const key of Object.keys(record)) if (key.toLowerCase() === name.toLowerCase()) delete record[key];
}

function setHeader(config: AxiosConfigLike, name: string, value: string): void {
  const headers = config.headers as { set?: (name: string, value: string) => unknown } | undefined;
  if (headers && typeof headers.set === 'function') headers.set(name, value);
  else config.headers = { ...(headers as Record<string, unknown> | undefined), [name]: value };
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(String).join(', ');
  return undefined;
}
