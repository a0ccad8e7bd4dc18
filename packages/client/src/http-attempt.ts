// One HTTP attempt against one endpoint: the timeout and the caller's AbortSignal, the body read
// inside the same budget, and every failure turned into a client error class.
import {
  AbortedError, ClientTimeoutError, ConnectionError, isRingkvClientError, serverErrorFor, type ServerError,
} from './errors.js';
import type { BearerCredential, FetchInit, FetchLike, HeadersLike } from './options.js';

/** What an attempt sends. */
export interface AttemptRequest {
  endpoint: string;
  method: 'GET' | 'PUT' | 'DELETE' | 'POST';
  /** Path and query, starting with `/`. */
  path: string;
  body?: Uint8Array;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Sent as the Authorization header; kept out of every error. */
  credential?: BearerCredential;
}

/** A 2xx answer, body read in full. */
export interface AttemptResult {
  endpoint: string;
  status: number;
  headers: HeadersLike;
  body: Uint8Array;
}

// TLS verification failures: the handshake failed, so no byte of the request was sent.
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_REJECTED', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// Errors that happen before a single byte of the request leaves: the node never saw it.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT', ...CERTIFICATE_CODES,
]);

/** Sends one request; resolves with a 2xx answer or rejects with a RingkvClientError. */
export async function sendAttempt(fetchFn: FetchLike, dispatcher: unknown, req: AttemptRequest): Promise<AttemptResult> {
  const { endpoint, signal } = req;
  if (signal?.aborted) throw new AbortedError(endpoint, signal.reason);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const headers: Record<string, string> = {};
    if (req.body) headers['content-type'] = 'application/octet-stream';
    if (req.credential) headers.authorization = req.credential.header();
    const init: FetchInit = {
      method: req.method,
      signal: controller.signal,
      body: req.body,
      headers: Object.keys(headers).length > 0 ? headers : undefined,
    };
    if (dispatcher !== undefined) init.dispatcher = dispatcher;
    const res = await fetchFn(endpoint + req.path, init);
    const body = new Uint8Array(await res.arrayBuffer());
    if (res.status >= 200 && res.status < 300) return { endpoint, status: res.status, headers: res.headers, body };
    throw errorFromResponse(res.status, res.statusText, res.headers, body, endpoint, redactor(req.credential));
  } catch (err) {
    if (isRingkvClientError(err)) throw err;
    if (signal?.aborted) throw new AbortedError(endpoint, signal.reason);
    if (timedOut) throw new ClientTimeoutError(req.timeoutMs, endpoint);
    const cert = certificateProblem(err);
    const hint = cert ? `: the node's TLS certificate was not accepted; pass the CA that issued it as the ca option` : '';
    const message = redactor(req.credential)(`cannot reach ${endpoint}: ${describe(err)}${hint}`);
    throw new ConnectionError(message, endpoint, err, maybeSent(err));
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Turns an error answer into a ServerError subclass with the server's code and counts. */
export function errorFromResponse(
  status: number, statusText: string, headers: HeadersLike, body: Uint8Array, endpoint: string,
  redact: (text: string) => string = (text) => text,
): ServerError {
  // A 401 or 403 without a ringkv body (a proxy in between) still says what it is.
  let code = status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : `HTTP_${status}`;
  let message = redact(`${status} ${statusText}`.trim());
  let details: Record<string, unknown> | undefined;
  try {
    // Redacted before parsing: whatever echoes the request's token back never carries it further.
    const parsed = JSON.parse(redact(new TextDecoder().decode(body))) as { error?: Record<string, unknown> };
    if (parsed && typeof parsed.error === 'object' && parsed.error !== null) {
      details = { ...parsed.error };
      if (typeof details.code === 'string') code = details.code;
      if (typeof details.message === 'string') message = details.message;
    }
  } catch {
    // Not a ringkv error body (a proxy in between): keep the status line.
  }
  const retryAfter = Number(headers.get('retry-after'));
  if (headers.get('retry-after') !== null && Number.isFinite(retryAfter) && details?.retryAfterS === undefined) {
    details = { ...details, retryAfterS: retryAfter };
  }
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return serverErrorFor(code, `${message} (from ${endpoint})`, {
    status, endpoint, details, required: num(details?.required), acked: num(details?.acked),
  });
}

function causeCodes(err: unknown): string[] {
  const codes: string[] = [];
  const walk = (e: unknown, depth: number) => {
    if (depth > 4 || typeof e !== 'object' || e === null) return;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const x of inner) walk(x, depth + 1);
    walk((e as { cause?: unknown }).cause, depth + 1);
  };
  walk(err, 0);
  return codes;
}

/** The TLS verification code in a failure's cause chain (a certificate not trusted), if any. */
export function certificateProblem(err: unknown): string | undefined {
  return causeCodes(err).find((c) => CERTIFICATE_CODES.has(c));
}

function redactor(credential: BearerCredential | undefined): (text: string) => string {
  return credential ? (text) => credential.redact(text) : (text) => text;
}

/** False only when the cause chain proves the connection never opened. */
export function maybeSent(err: unknown): boolean {
  const codes = causeCodes(err);
  return codes.length === 0 || !codes.every((c) => NOT_SENT_CODES.has(c));
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const base = err instanceof Error ? err.message : String(err);
  return cause?.code ? `${base} (${cause.code})` : cause?.message ? `${base} (${cause.message})` : base;
}
