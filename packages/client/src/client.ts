// The ringkv HTTP client: get, put and delete with per-call quorum, TTL, timeout and AbortSignal,
// spread over several endpoints with failover, safe retries and optional discovery.
//
// Transport: the platform fetch. In Node.js 18+ that is undici, which keeps connections alive
// and pools them per origin; pass `dispatcher` (with undici's own `fetch`) to size the pool. In
// browsers it is the browser's fetch. The one dependency, undici, is loaded only for the `ca`
// option (an Agent that trusts a private CA), so browsers never load it.
//
// Authentication: the `token` option is sent as `Authorization: Bearer` on every request. It
// lives in a private field of a BearerCredential and is redacted from error messages, so neither
// errors nor inspecting the client show it.
import { InvalidArgumentError, ServerError } from './errors.js';
import { endpointsFromCluster, type ClusterView } from './discovery.js';
import { EndpointPool } from './endpoint-pool.js';
import type { AttemptResult } from './http-attempt.js';
import {
  callNumber, resolveOptions, type CallOptions, type ClientOptions, type Consistency, type DeleteOptions,
  type GetOptions, type PutOptions, type ResolvedOptions,
} from './options.js';
import { RetryingCaller, type CallSpec } from './retrying-caller.js';

/** A value read by {@link RingkvClient.get}. */
export interface GetResult {
  /** The raw bytes. */
  value: Uint8Array;
  /** The HLC timestamp of the write, as the server formats it (`X-Ringkv-Timestamp`). */
  timestamp: string;
  /** When the value expires (written with a TTL), else undefined. */
  expiresAt?: Date;
  /** The node that coordinated the read. */
  endpoint: string;
  /** The value decoded as UTF-8. */
  text(): string;
  /** The value parsed as JSON. */
  json<T = unknown>(): T;
}

/** The outcome of a put or delete. */
export interface WriteResult {
  /** The HLC timestamp the write was stored with. */
  timestamp: string;
  /** The node that coordinated the write. */
  endpoint: string;
}

/** A value to write: bytes, or a string stored as UTF-8. */
export type Value = Uint8Array | ArrayBuffer | string;

const utf8 = new TextEncoder();
const MAX_KEY_BYTES = 1024;
// A failure-triggered discovery runs at most this often, so a dead cluster is not hammered.
const MIN_DISCOVERY_GAP_MS = 1000;

/**
 * A client of a ringkv cluster.
 *
 * ```ts
 * const kv = new RingkvClient({ endpoints: ['http://127.0.0.1:7071', 'http://127.0.0.1:7072'] });
 * await kv.put('greeting', 'hello', { w: 'quorum' });
 * const got = await kv.get('greeting');          // undefined when absent
 * console.log(got?.text());
 * ```
 */
export class RingkvClient {
  private readonly options: ResolvedOptions;
  private readonly pool: EndpointPool;
  private readonly caller: RetryingCaller;
  private discoveryTimer?: ReturnType<typeof setInterval>;
  private discovering?: Promise<string[]>;
  private lastDiscoveryMs = -Infinity;
  private closed = false;

  constructor(options: ClientOptions) {
    this.options = resolveOptions(options);
    this.pool = new EndpointPool(this.options.endpoints, this.options.now);
    this.caller = new RetryingCaller(this.options, this.pool, () => this.discoverSoon());
  }

  /** Every endpoint the client knows: the configured ones, then the discovered ones. */
  get endpoints(): string[] {
    return this.pool.list();
  }

  /** The value of `key`, or undefined when it is absent, deleted or expired. */
  async get(key: string, options: GetOptions = {}): Promise<GetResult | undefined> {
    let res: AttemptResult;
    try {
      res = await this.run('read', 'GET', kvPath(key, { r: consistency(options.r, 'r') }), undefined, options, false);
    } catch (err) {
      if (err instanceof ServerError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
    const value = res.body;
    const expires = res.headers.get('x-ringkv-expires-at');
    return {
      value,
      timestamp: res.headers.get('x-ringkv-timestamp') ?? '',
      expiresAt: expires ? new Date(expires) : undefined,
      endpoint: res.endpoint,
      text: () => new TextDecoder().decode(value),
      json: <T>() => JSON.parse(new TextDecoder().decode(value)) as T,
    };
  }

  /** The value of `key` parsed as JSON, or undefined when absent. */
  async getJson<T = unknown>(key: string, options: GetOptions = {}): Promise<T | undefined> {
    const res = await this.get(key, options);
    return res === undefined ? undefined : res.json<T>();
  }

  /** Writes `value` (bytes, or a string stored as UTF-8) and resolves once W replicas have it. */
  async put(key: string, value: Value, options: PutOptions = {}): Promise<WriteResult> {
    const body = toBytes(value);
    if (options.ttl !== undefined && (!Number.isInteger(options.ttl) || options.ttl <= 0)) {
      throw new InvalidArgumentError(`ttl must be a whole number of seconds > 0, got ${String(options.ttl)}`);
    }
    const path = kvPath(key, { w: consistency(options.w, 'w'), ttl: options.ttl, strict: options.strict ? 1 : undefined });
    const res = await this.run('write', 'PUT', path, body, options, options.idempotent ?? this.options.idempotentWrites);
    return writeResult(res);
  }

  /** Stores `value` as JSON. */
  putJson(key: string, value: unknown, options: PutOptions = {}): Promise<WriteResult> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new InvalidArgumentError('value cannot be represented as JSON');
    return this.put(key, text, options);
  }

  /** Deletes `key` (writes a tombstone); resolves once W replicas have it. Deleting an absent key succeeds. */
  async delete(key: string, options: DeleteOptions = {}): Promise<WriteResult> {
    const path = kvPath(key, { w: consistency(options.w, 'w'), strict: options.strict ? 1 : undefined });
    const res = await this.run('write', 'DELETE', path, undefined, options, options.idempotent ?? this.options.idempotentWrites);
    return writeResult(res);
  }

  /** The cluster view of the first node that answers (`GET /cluster`). */
  async cluster(options: CallOptions = {}): Promise<ClusterView> {
    return (await this.fetchCluster(options)).view;
  }

  /** Ownership of every partition at the cluster's current epoch (`GET /cluster/ring`). */
  async ring(options: CallOptions = {}): Promise<RingView> {
    const res = await this.caller.call(this.spec('read', 'GET', '/cluster/ring', undefined, options, false));
    return JSON.parse(new TextDecoder().decode(res.body)) as RingView;
  }

  /**
   * The cluster's verdict (healthy, degraded, unavailable) with its reasons and counts, as the
   * first node that answers sees it (`GET /cluster/health`, docs/console.md).
   */
  async health(options: CallOptions = {}): Promise<ClusterHealth> {
    const res = await this.caller.call(this.spec('read', 'GET', '/cluster/health', undefined, options, false));
    return JSON.parse(new TextDecoder().decode(res.body)) as ClusterHealth;
  }

  /**
   * Proposes a membership change to the cluster (`POST /cluster/changes`), e.g.
   * `{ op: 'remove', id: 'n3' }` to drop a dead node. Resolves with the epoch it created.
   */
  async changeMembership(change: MembershipChange, options: CallOptions = {}): Promise<{ epoch: number }> {
    return this.admin('/cluster/changes', change, options) as Promise<{ epoch: number }>;
  }

  /**
   * The node this client talks to decommissions itself (`POST /cluster/leave`): it streams its
   * partitions to their new owners, then leaves. Build the client with that node's endpoint only.
   */
  async leave(options: CallOptions = {}): Promise<{ epoch: number }> {
    return this.admin('/cluster/leave', undefined, options) as Promise<{ epoch: number }>;
  }

  /**
   * The node this client talks to (fresh, alone, holding no data) joins the cluster of `seeds`
   * (`POST /cluster/join`). Build the client with that node's endpoint only.
   */
  async join(seeds: string[], options: CallOptions = {}): Promise<void> {
    await this.admin('/cluster/join', { seeds }, options);
  }

  /** Admin calls act on the node that answers: never retried, never failed over. */
  private async admin(path: string, body: unknown, options: CallOptions): Promise<unknown> {
    const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    const res = await this.caller.call(this.spec('write', 'POST', path, bytes, { ...options, retries: 0 }, false));
    return JSON.parse(new TextDecoder().decode(res.body));
  }

  /**
   * Fetches `/cluster` now and replaces the discovered endpoints with its members' client
   * addresses; resolves with the endpoint list. Works whether or not `discover` is on.
   */
  refreshEndpoints(options: CallOptions = {}): Promise<string[]> {
    this.discovering ??= (async () => {
      this.lastDiscoveryMs = this.options.now();
      try {
        const { view, endpoint } = await this.fetchCluster({ retries: 1, ...options });
        const found = endpointsFromCluster(view, endpoint);
        this.pool.setDiscovered(found.up, found.down);
        return this.pool.list();
      } finally {
        this.discovering = undefined;
      }
    })();
    return this.discovering;
  }

  /** The endpoints, and whether a token is set; never the token itself. */
  toString(): string {
    return `RingkvClient(${this.endpoints.join(', ')}${this.options.credential ? ', with a token' : ''})`;
  }

  /** What `JSON.stringify` shows of a client: as `toString`, never the token. */
  toJSON(): { endpoints: string[]; token: 'set' | 'none' } {
    return { endpoints: this.endpoints, token: this.options.credential ? 'set' : 'none' };
  }

  /** What `util.inspect` (console.log, loggers) shows of a client: as `toJSON`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RingkvClient ${JSON.stringify(this.toJSON())}`;
  }

  /** Stops the discovery timer. The client can still be used; discovery then runs only on failures. */
  close(): void {
    this.closed = true;
    if (this.discoveryTimer) clearInterval(this.discoveryTimer);
    this.discoveryTimer = undefined;
  }

  private async fetchCluster(options: CallOptions): Promise<{ view: ClusterView; endpoint: string }> {
    const res = await this.caller.call(this.spec('read', 'GET', '/cluster', undefined, options, false));
    return { view: JSON.parse(new TextDecoder().decode(res.body)) as ClusterView, endpoint: res.endpoint };
  }

  private async run(kind: CallSpec['kind'], method: CallSpec['method'], path: string, body: Uint8Array | undefined, options: CallOptions, idempotent: boolean): Promise<AttemptResult> {
    this.startDiscovery();
    return this.caller.call(this.spec(kind, method, path, body, options, idempotent));
  }

  private spec(kind: CallSpec['kind'], method: CallSpec['method'], path: string, body: Uint8Array | undefined, options: CallOptions, idempotent: boolean): CallSpec {
    return {
      kind, method, path, body, idempotent, signal: options.signal,
      timeoutMs: callNumber(options.timeoutMs, this.options.timeoutMs, 'timeoutMs', false),
      retries: Math.floor(callNumber(options.retries, this.options.retries, 'retries', true)),
    };
  }

  /** At the first call: learn the cluster in the background and start the refresh timer. */
  private startDiscovery(): void {
    if (!this.options.discover || this.closed || this.discoveryTimer) return;
    this.discoveryTimer = setInterval(() => this.discoverSoon(true), this.options.discoveryIntervalMs);
    (this.discoveryTimer as { unref?: () => void }).unref?.(); // never keep a Node.js process alive
    this.discoverSoon(true);
  }

  private discoverSoon(force = false): void {
    if (!this.options.discover) return;
    if (!force && this.options.now() - this.lastDiscoveryMs < MIN_DISCOVERY_GAP_MS) return;
    this.refreshEndpoints().catch(() => undefined); // a failed refresh keeps the current list
  }
}

function writeResult(res: AttemptResult): WriteResult {
  return { timestamp: res.headers.get('x-ringkv-timestamp') ?? '', endpoint: res.endpoint };
}

function toBytes(value: Value): Uint8Array {
  if (typeof value === 'string') return utf8.encode(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new InvalidArgumentError('value must be a string, a Uint8Array or an ArrayBuffer');
}

function consistency(v: Consistency | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (v === 'one' || v === 'quorum' || v === 'all') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return String(v);
  throw new InvalidArgumentError(`${name} must be a whole number >= 1, 'one', 'quorum' or 'all'; got ${String(v)}`);
}

/** `/kv/{key}?params`, with the key percent-encoded; checks the key's length. */
export function kvPath(key: string, params: Record<string, string | number | undefined>): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidArgumentError('key must be a non-empty string');
  const bytes = utf8.encode(key).length;
  if (bytes > MAX_KEY_BYTES) throw new InvalidArgumentError(`key is ${bytes} bytes of UTF-8; the limit is ${MAX_KEY_BYTES}`);
  const qs = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `/kv/${encodeURIComponent(key)}${qs ? `?${qs}` : ''}`;
}

/** GET /cluster/ring: the ordered replicas of every partition. */
export interface RingView {
  epoch: number;
  replicas: number;
  partitions: { partition: number; replicas: string[] }[];
}

/** GET /cluster/health: the verdict, its reasons (worst first) and the counts behind it (docs/console.md). */
export interface ClusterHealth {
  verdict: 'healthy' | 'degraded' | 'unavailable';
  reasons: string[];
  node: string;
  epoch: number;
  leader: string | null;
  nodes: { total: number; up: number; suspect: number; down: number; joining: number; leaving: number; stale: number };
  partitions: { total: number; fullyReplicated: number; underReplicated: number; belowRead: number; belowWrite: number; unavailable: number };
  transfers: { inFlight: number };
  hints: { count: number; bytes: number; oldestAgeMs: number | null };
  antiEntropy: { oldestRoundAgeMs: number | null };
  /** Members that did not answer the node in time. */
  stale: string[];
}

/** A membership change, as POST /cluster/changes takes it. */
export type MembershipChange =
  | { op: 'add'; member: { id: string; peer: string; http: string; zone?: string } }
  | { op: 'activate' | 'leave'; id: string }
  /**
   * `force`: remove even a member the cluster still hears, or while a previous change is still
   * being caught up on (both are refused otherwise, with MEMBERSHIP_CHANGE_REFUSED).
   */
  | { op: 'remove'; id: string; force?: boolean }
  | { op: 'setZone'; id: string; zone: string | null }
  | { op: 'setAddress'; id: string; peer: string; http: string };
