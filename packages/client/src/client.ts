// The ringkv HTTP client: get, put and delete with per-call quorum, TTL, timeout and AbortSignal.
// Uses the platform fetch (undici in Node.js 18+, which pools keep-alive connections; the
// browser's fetch elsewhere).
import {
  AbortedError, ClientTimeoutError, ConnectionError, InvalidArgumentError, ServerError,
} from './errors.js';

export type Consistency = number | 'one' | 'quorum' | 'all';

export interface ClientOptions {
  /** Base URLs of ringkv nodes, e.g. `http://127.0.0.1:7070`. The first is tried first. */
  endpoints: string[] | string;
  /** Per-call timeout in ms (default 5000). */
  timeoutMs?: number;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GetOptions extends CallOptions {
  r?: Consistency;
}

export interface PutOptions extends CallOptions {
  w?: Consistency;
  /** Seconds until the value expires. */
  ttl?: number;
  /** Count only replicas of the preference list toward W (no hinted stand-ins). */
  strict?: boolean;
}

export interface DeleteOptions extends CallOptions {
  w?: Consistency;
  strict?: boolean;
}

export interface GetResult {
  value: Uint8Array;
  /** The HLC timestamp of the write, as the server formats it. */
  timestamp: string;
  text(): string;
  json<T = unknown>(): T;
}

const utf8 = new TextEncoder();
const DEFAULT_TIMEOUT_MS = 5000;

export class RingkvClient {
  readonly endpoints: string[];
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    const list = Array.isArray(options.endpoints) ? options.endpoints : options.endpoints.split(',');
    this.endpoints = list.map((e) => normalizeEndpoint(e.trim())).filter(Boolean);
    if (this.endpoints.length === 0) throw new InvalidArgumentError('at least one endpoint is required');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The value of `key`, or undefined when it is absent or deleted. */
  async get(key: string, options: GetOptions = {}): Promise<GetResult | undefined> {
    const res = await this.request('GET', kvPath(key, { r: options.r }), undefined, options, [200, 404]);
    if (res.status === 404) return undefined;
    const value = new Uint8Array(await res.arrayBuffer());
    const timestamp = res.headers.get('x-ringkv-timestamp') ?? '';
    return {
      value, timestamp,
      text: () => new TextDecoder().decode(value),
      json: <T>() => JSON.parse(new TextDecoder().decode(value)) as T,
    };
  }

  /** Writes `value` (bytes or a string, stored as UTF-8); resolves with the write's timestamp. */
  async put(key: string, value: Uint8Array | string, options: PutOptions = {}): Promise<{ timestamp: string }> {
    const body = typeof value === 'string' ? utf8.encode(value) : value;
    const res = await this.request('PUT', kvPath(key, { w: options.w, ttl: options.ttl, strict: options.strict ? 1 : undefined }), body, options, [204]);
    return { timestamp: res.headers.get('x-ringkv-timestamp') ?? '' };
  }

  /** Stores `value` as JSON. */
  putJson(key: string, value: unknown, options: PutOptions = {}): Promise<{ timestamp: string }> {
    return this.put(key, JSON.stringify(value), options);
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<{ timestamp: string }> {
    const res = await this.request('DELETE', kvPath(key, { w: options.w, strict: options.strict ? 1 : undefined }), undefined, options, [204]);
    return { timestamp: res.headers.get('x-ringkv-timestamp') ?? '' };
  }

  /** The cluster view of the first endpoint that answers (GET /cluster). */
  async cluster(options: CallOptions = {}): Promise<ClusterView> {
    const res = await this.request('GET', '/cluster', undefined, options, [200]);
    return (await res.json()) as ClusterView;
  }

  /** Sends one request, trying the endpoints in order while they cannot be reached. */
  private async request(method: string, path: string, body: Uint8Array | undefined, options: CallOptions, ok: number[]): Promise<Response> {
    let lastError: unknown;
    for (const endpoint of this.endpoints) {
      try {
        return await this.send(endpoint, method, path, body, options, ok);
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  private async send(endpoint: string, method: string, path: string, body: Uint8Array | undefined, options: CallOptions, ok: number[]): Promise<Response> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const onAbort = () => timeout.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let res: Response;
    try {
      if (options.signal?.aborted) throw new AbortedError(endpoint);
      res = await fetch(endpoint + path, { method, body: body as Uint8Array<ArrayBuffer> | undefined, signal: timeout.signal, headers: body ? { 'content-type': 'application/octet-stream' } : undefined });
      if (!ok.includes(res.status)) throw await serverError(res, endpoint);
      return res;
    } catch (err) {
      if (err instanceof ServerError || err instanceof AbortedError) throw err;
      if (options.signal?.aborted) throw new AbortedError(endpoint);
      if (timeout.signal.aborted) throw new ClientTimeoutError(timeoutMs, endpoint);
      throw new ConnectionError(`cannot reach ${endpoint}: ${(err as Error).message}`, endpoint, err);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

export interface ClusterMember {
  id: string;
  peer: string;
  http: string;
  status: 'joining' | 'normal' | 'leaving' | 'left';
  alive: boolean;
  partitions: number;
  zone?: string | null;
}

export interface ClusterView {
  node: string;
  epoch: number;
  leader: string | null;
  members: ClusterMember[];
  [extra: string]: unknown;
}

function normalizeEndpoint(e: string): string {
  if (!e) return '';
  const withScheme = /^https?:\/\//.test(e) ? e : `http://${e}`;
  return withScheme.replace(/\/+$/, '');
}

function kvPath(key: string, params: Record<string, string | number | undefined>): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidArgumentError('key must be a non-empty string');
  const qs = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `/kv/${encodeURIComponent(key)}${qs ? `?${qs}` : ''}`;
}

async function serverError(res: Response, endpoint: string): Promise<ServerError> {
  let code = `HTTP_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  let required: number | undefined;
  let acked: number | undefined;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; required?: number; acked?: number } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
    required = body.error?.required;
    acked = body.error?.acked;
  } catch {
    // Not a ringkv error body (a proxy in between): keep the status line.
  }
  return new ServerError(code, message, { status: res.status, endpoint, required, acked, retryable: res.status === 503 || res.status === 504 });
}
