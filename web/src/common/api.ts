/** The one way the pages talk to the service: its public API, same origin, JSON. */

export interface ApiErrorShape {
  status: number;
  code: string;
  message: string;
  requestId: string | null;
  details?: unknown;
}

export class ApiError extends Error implements ApiErrorShape {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
  }
  /** An endpoint this service does not have (yet): a route-level 404, not a missing resource. */
  get routeMissing(): boolean {
    return this.status === 404 && (this.code === 'NOT_FOUND' || this.code === 'ROUTE_NOT_FOUND') && /route|cannot (get|post)/i.test(this.message);
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH';
  body?: unknown;
  headers?: Record<string, string>;
}

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

export async function call<T>(path: string, auth: Record<string, string>, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...auth, ...opts.headers };
  // Every change carries its own Idempotency-Key: a double click or a retry never acts twice.
  if (method !== 'GET') headers['idempotency-key'] = newKey();
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', String(err instanceof Error ? err.message : err), null);
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; details?: unknown }; requestId?: string } | null) ?? {};
    throw new ApiError(res.status, e.error?.code ?? `HTTP_${res.status}`, e.error?.message ?? (text.slice(0, 200) || res.statusText), e.requestId ?? res.headers.get('x-request-id'), e.error?.details);
  }
  return body as T;
}
