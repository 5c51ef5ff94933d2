/** The JSON the page reads, from the routes under the explorer's own path (same origin only). */
export interface DataLogJson {
  id: number;
  entityType: string;
  entityId: string;
  action: string;
  oldValues: Record<string, unknown> | null;
  newValues: Record<string, unknown> | null;
  userId: string;
  userType: string;
  metadata: Record<string, unknown> | null;
  transactionId: string;
  createdAt: string;
}

export interface ApiLogJson {
  id: number;
  service: string;
  endpoint: string;
  method: string;
  statusCode: number;
  requestHeaders: Record<string, string> | null;
  requestBody: unknown;
  responseBody: unknown;
  durationMs: number;
  errorMessage: string | null;
  userId: string;
  metadata: Record<string, unknown> | null;
  transactionId: string;
  createdAt: string;
}

export type TimelineItemJson = { kind: 'data'; log: DataLogJson } | { kind: 'api'; log: ApiLogJson };

export interface TransactionTrailJson {
  transactionId: string;
  dataLogs: DataLogJson[];
  apiLogs: ApiLogJson[];
  timeline: TimelineItemJson[];
}

export interface PageJson<T> {
  trail: 'data' | 'api';
  rows: T[];
  nextBeforeId?: number;
}

export interface SnapshotJson {
  exists: boolean;
  values: Record<string, unknown> | null;
}

export interface Explorer {
  base: string;
  trails: { data: boolean; api: boolean };
}

/** GETs JSON from the explorer's API; a non-2xx answer becomes an Error carrying the server's message. */
export async function getJson<T>(explorer: Explorer, path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`${explorer.base}/api/${path}`, {
    headers: { accept: 'application/json' },
    credentials: 'same-origin',
    signal,
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (body as { message?: unknown }).message;
    throw new Error(
      `${response.status}: ${Array.isArray(message) ? message.join('; ') : String(message ?? response.statusText)}`,
    );
  }
  return body as T;
}

export const pathPart = encodeURIComponent;
