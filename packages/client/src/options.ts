// Client options, their defaults (each with the reason for it) and their validation.
import { InvalidArgumentError } from './errors.js';

/** A read or write quorum: a replica count, or `one`, `quorum` (a majority of N) or `all`. */
export type Consistency = number | 'one' | 'quorum' | 'all';

/** The headers of an answer, as far as the client reads them. */
export interface HeadersLike {
  /** The header's value, or null when absent. */
  get(name: string): string | null;
}

/** An answer of a `fetch`, as far as the client reads it. */
export interface ResponseLike {
  /** HTTP status. */
  status: number;
  /** HTTP reason phrase. */
  statusText: string;
  /** Answer headers. */
  headers: HeadersLike;
  /** The whole body. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** What the client passes to `fetch`. */
export interface FetchInit {
  /** `GET`, `PUT` or `DELETE`. */
  method: string;
  /** The value of a PUT. */
  body?: Uint8Array;
  /** Request headers: the content type of a PUT, the Authorization of the `token` option. */
  headers?: Record<string, string>;
  /** Fires on the attempt's timeout or the caller's abort. */
  signal: AbortSignal;
  /** An undici Dispatcher (Node.js only); typed loosely so any undici version fits. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  dispatcher?: any;
}

/** A `fetch` function: the platform's, undici's, or a test double. */
export type FetchLike = (input: string, init: FetchInit) => Promise<ResponseLike>;

/** Options of a {@link RingkvClient}. Only `endpoints` is required. */
export interface ClientOptions {
  /**
   * Base URLs of ringkv nodes (`http://10.0.0.5:7070`; a missing scheme means `http://`), as an
   * array or one comma-separated string. Calls are spread over them and fail over between them.
   */
  endpoints: string[] | string;
  /** Budget of one call in ms, retries and backoff included (default 5000). */
  timeoutMs?: number;
  /** Budget of one attempt in ms, capped by what is left of `timeoutMs` (default 3000). */
  attemptTimeoutMs?: number;
  /** Retries after the first attempt, when retrying is safe (default 3). 0 disables retries. */
  retries?: number;
  /** First backoff step in ms; each retry doubles it, with full jitter (default 50). */
  backoffBaseMs?: number;
  /** Largest backoff in ms (default 2000). */
  backoffMaxMs?: number;
  /**
   * Learn the other nodes from `GET /cluster`, at the first call, every `discoveryIntervalMs`
   * and after a node could not be reached (default false: browsers and clients behind a load
   * balancer usually cannot reach the nodes' own addresses).
   */
  discover?: boolean;
  /** How often discovery refreshes the endpoint list in ms (default 30000). */
  discoveryIntervalMs?: number;
  /**
   * Retry writes (PUT, DELETE) even when the first attempt may have been applied (a reset
   * connection, a timeout, a 504). Safe only when rewriting the same value is harmless, e.g. one
   * writer per key. Overridable per call. Default false; see the README on retries.
   */
  idempotentWrites?: boolean;
  /**
   * Node.js only: an undici `Dispatcher` (`Agent`, `Pool`) passed to fetch, to size the
   * keep-alive pool. Pass it together with undici's own `fetch` (option `fetch`) so that both
   * come from the same undici version. Not together with `ca` (set `connect.ca` on it instead).
   */
  dispatcher?: unknown;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: FetchLike;
  /**
   * Bearer token for nodes started with `--auth-file`, sent as `Authorization: Bearer <token>` on
   * every request (discovery's `GET /cluster` included). `ringkv token new` makes one. The client
   * keeps it out of its errors and out of `util.inspect`, `JSON.stringify` and `String()` of itself.
   */
  token?: string;
  /**
   * Node.js only: PEM certificate(s) of the CA to trust for `https://` endpoints (the node's own
   * certificate for a self-signed one). It replaces Node's built-in list of public CAs for this
   * client. Without it, certificates from publicly trusted CAs are accepted as usual. The client
   * then sends through an undici `Agent` with `connect: { ca }`; give either `ca` or `dispatcher`.
   */
  ca?: string | Uint8Array;
  /** Waits `ms` (tests inject a fake; default a timer). Must reject when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform random number in [0, 1) for backoff jitter (default Math.random). */
  random?: () => number;
  /** Milliseconds since the epoch (default Date.now); used for deadlines and endpoint cool-downs. */
  now?: () => number;
}

/** Options every call takes. */
export interface CallOptions {
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
  /** Aborts the call (and its retries); the call rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Overrides the client's `retries` for this call. */
  retries?: number;
}

/** Options of {@link RingkvClient.get}. */
export interface GetOptions extends CallOptions {
  /** Read quorum R (default: the cluster's, usually 2). */
  r?: Consistency;
}

/** Options of {@link RingkvClient.put}. */
export interface PutOptions extends CallOptions {
  /** Write quorum W (default: the cluster's, usually 2). */
  w?: Consistency;
  /** Seconds until the value expires. */
  ttl?: number;
  /** Count only replicas of the preference list toward W (no hinted stand-ins). */
  strict?: boolean;
  /** Overrides the client's `idempotentWrites` for this call. */
  idempotent?: boolean;
}

/** Options of {@link RingkvClient.delete}. */
export interface DeleteOptions extends CallOptions {
  /** Write quorum W for the tombstone. */
  w?: Consistency;
  /** Count only replicas of the preference list toward W. */
  strict?: boolean;
  /** Overrides the client's `idempotentWrites` for this call. */
  idempotent?: boolean;
}

/** ClientOptions with every default filled in. */
export interface ResolvedOptions {
  endpoints: string[];
  timeoutMs: number;
  attemptTimeoutMs: number;
  retries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  discover: boolean;
  discoveryIntervalMs: number;
  idempotentWrites: boolean;
  dispatcher: unknown;
  fetch: FetchLike;
  /** The fetch and dispatcher to send with: `fetch` and `dispatcher`, or the ones `ca` needs. */
  transport: () => Promise<Transport>;
  /** The bearer token, when one was given. */
  credential: BearerCredential | undefined;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  now: () => number;
}

const DEFAULTS = {
  // Long enough for the server's own 2 s request timeout plus one retry elsewhere.
  timeoutMs: 5000,
  // Server request timeout (2 s) plus margin: an attempt that outlives it hit a hung node.
  attemptTimeoutMs: 3000,
  // With N=3, three retries visit every replica's node at least once in a small cluster.
  retries: 3,
  // Small first step: the usual cause (a node going away) is fixed by the next endpoint.
  backoffBaseMs: 50,
  backoffMaxMs: 2000,
  discover: false,
  // Membership changes are rare; failures trigger an early refresh anyway.
  discoveryIntervalMs: 30_000,
  // LWW makes a blind retry overwrite concurrent writes; opt in per client or call.
  idempotentWrites: false,
} as const;

/** Validates options and fills in the defaults. */
export function resolveOptions(o: ClientOptions): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options are required');
  const raw = Array.isArray(o.endpoints) ? o.endpoints : typeof o.endpoints === 'string' ? o.endpoints.split(',') : [];
  const endpoints = [...new Set(raw.map((e) => normalizeEndpoint(String(e).trim())).filter(Boolean))];
  if (endpoints.length === 0) throw new InvalidArgumentError('at least one endpoint is required');
  const fetchFn = o.fetch ?? (typeof fetch === 'function' ? (fetch.bind(globalThis) as unknown as FetchLike) : undefined);
  if (!fetchFn) throw new InvalidArgumentError('no fetch available: pass options.fetch (Node.js 18+ and browsers have one)');
  const r: ResolvedOptions = {
    endpoints,
    timeoutMs: positive(o.timeoutMs, DEFAULTS.timeoutMs, 'timeoutMs'),
    attemptTimeoutMs: positive(o.attemptTimeoutMs, DEFAULTS.attemptTimeoutMs, 'attemptTimeoutMs'),
    retries: nonNegativeInt(o.retries, DEFAULTS.retries, 'retries'),
    backoffBaseMs: nonNegative(o.backoffBaseMs, DEFAULTS.backoffBaseMs, 'backoffBaseMs'),
    backoffMaxMs: nonNegative(o.backoffMaxMs, DEFAULTS.backoffMaxMs, 'backoffMaxMs'),
    discover: o.discover ?? DEFAULTS.discover,
    discoveryIntervalMs: positive(o.discoveryIntervalMs, DEFAULTS.discoveryIntervalMs, 'discoveryIntervalMs'),
    idempotentWrites: o.idempotentWrites ?? DEFAULTS.idempotentWrites,
    dispatcher: o.dispatcher,
    fetch: fetchFn,
    transport: transportFor(o.ca, o.dispatcher, o.fetch, fetchFn),
    credential: o.token === undefined ? undefined : new BearerCredential(o.token),
    sleep: o.sleep ?? defaultSleep,
    random: o.random ?? Math.random,
    now: o.now ?? Date.now,
  };
  return Object.freeze(r);
}

/** A fetch function and the dispatcher to pass it (undefined: none). */
export interface Transport {
  fetch: FetchLike;
  dispatcher: unknown;
}

/** What the server accepts as a bearer token (and what `ringkv token new` makes: 43 base64url characters). */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{16,256}$/;

/**
 * A bearer token, held in a private field: `util.inspect`, `JSON.stringify`, `String()` and
 * structured logging of the client, its options or this object never show it.
 */
export class BearerCredential {
  readonly #token: string;

  constructor(token: string) {
    // Checked here, never echoed: a token with a newline or a space would otherwise reach fetch,
    // whose "invalid header value" error quotes the whole header.
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) {
      throw new InvalidArgumentError('token must be 16 to 256 characters of A-Z a-z 0-9 . _ ~ + / = - (ringkv token new makes one)');
    }
    this.#token = token;
  }

  /** The value of the Authorization header. */
  header(): string {
    return `Bearer ${this.#token}`;
  }

  /** `text` with every occurrence of the token replaced (a proxy may echo request headers). */
  redact(text: string): string {
    return text.includes(this.#token) ? text.split(this.#token).join('[redacted]') : text;
  }

  toString(): string {
    return '[redacted token]';
  }

  toJSON(): string {
    return '[redacted token]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[redacted token]';
  }
}

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/**
 * The transport of a client: the given fetch and dispatcher, or, with `ca`, an undici Agent that
 * trusts it (loaded at the first request, so browsers never load undici).
 */
function transportFor(ca: ClientOptions['ca'], dispatcher: unknown, userFetch: FetchLike | undefined, fetchFn: FetchLike): () => Promise<Transport> {
  if (ca === undefined) {
    const ready = Promise.resolve<Transport>({ fetch: fetchFn, dispatcher });
    return () => ready;
  }
  if (dispatcher !== undefined) {
    throw new InvalidArgumentError('give either ca or dispatcher, not both (set connect.ca on your own dispatcher instead)');
  }
  const text = typeof ca === 'string' ? ca : ca instanceof Uint8Array ? new TextDecoder().decode(ca) : undefined;
  if (text === undefined || !text.includes(PEM_CERTIFICATE)) {
    throw new InvalidArgumentError(`ca must be PEM text holding at least one certificate (${PEM_CERTIFICATE} ...)`);
  }
  let loading: Promise<Transport> | undefined;
  return () => {
    loading ??= (async () => {
      let undici: { Agent: new (opts: { connect: { ca: string } }) => unknown; fetch: unknown };
      try {
        undici = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'undici') as unknown as typeof undici;
      } catch (err) {
        throw new InvalidArgumentError(`the ca option needs Node.js and the undici package (${(err as Error).message}); browsers decide themselves which certificates they trust`);
      }
      // undici's own fetch with its own Agent: a dispatcher must come from the fetch's undici.
      return { fetch: userFetch ?? (undici.fetch as FetchLike), dispatcher: new undici.Agent({ connect: { ca: text } }) };
    })();
    return loading;
  };
}

/** `host:port` or a URL, to a base URL without a trailing slash. */
export function normalizeEndpoint(e: string): string {
  if (!e) return '';
  const withScheme = /^https?:\/\//i.test(e) ? e : `http://${e}`;
  return withScheme.replace(/\/+$/, '');
}

/** Checks a per-call numeric override. */
export function callNumber(v: number | undefined, fallback: number, name: string, allowZero: boolean): number {
  return allowZero ? nonNegative(v, fallback, name) : positive(v, fallback, name);
}

function positive(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got ${String(v)}`);
  return v;
}

function nonNegative(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`${name} must be a number >= 0, got ${String(v)}`);
  return v;
}

function nonNegativeInt(v: number | undefined, d: number, name: string): number {
  const n = nonNegative(v, d, name);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number, got ${n}`);
  return n;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
