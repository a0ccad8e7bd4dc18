// The client HTTP API (DESIGN.md "HTTP API on the client port"): routing, parameter checks,
// load shedding and per-request metrics. The data path behind it is a KvService.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatTimestamp, type MembershipCommand, type Timestamp } from '@ringkv/core';
import { ForbiddenError, MethodNotAllowedError, OverloadedError, RouteNotFoundError, ShuttingDownError, UnauthenticatedError } from '../errors.js';
import type { KvService } from '../kv/kv-service.js';
import { parseFlag, parseKey, parseQuery, parseTtlSeconds } from '../kv/request-params.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { readBody, readBodyThen } from './read-body.js';
import { sendError } from './error-response.js';
import { ADMIN_BODY_MAX_BYTES, decodeChangeBody, decodeJoinBody, parseJsonBody } from './admin-bodies.js';
import { roleAllows, type AuthFailure, type Authenticator } from './auth/authenticator.js';
import { accessFor, routeOf } from './route-table.js';
import type { LoadShedder } from './load-shedder.js';

export interface ClientApiDeps {
  kv: KvService;
  metrics: NodeMetrics;
  log: Logger;
  maxValueBytes: number;
  maxKeyBytes: number;
  maxTtlSeconds: number;
  maxInFlight: number;
  cluster: () => unknown;
  selfId: string;
  /** This node joins the cluster of these seeds (fresh single nodes only). */
  join: (seeds: string[]) => Promise<void>;
  /** Ownership of every partition at the current epoch. */
  ring: () => unknown;
  /** Proposes a membership change (decoded); resolves with the epoch it created. */
  changeMembership: (cmd: MembershipCommand, force: boolean) => Promise<{ epoch: number }>;
  /** Extra read-only admin views (name -> JSON), e.g. anti-entropy state. */
  adminViews?: ReadonlyMap<string, () => unknown>;
  readiness: () => { ready: boolean; reason?: string };
  /** Refuses data requests while the event loop lags, and rate-limits admin requests. */
  shedder?: LoadShedder;
  /** Client authentication (--auth-file); absent: every request is allowed (see route-table.ts). */
  auth?: {
    authenticator: Authenticator;
    /** Told of every refused request, by cause (metrics and a rate-limited log line). */
    onFailure: (cause: AuthFailure | 'forbidden', method: string, route: string, remote: string | undefined) => void;
  };
}

const KV_PREFIX = '/kv/';
const KV_ROUTE = '/kv/{key}';

export class ClientApi {
  private inFlight = 0;
  private draining = false;
  /** Metric keys by method, route and status (see seriesKeys). */
  private readonly keys = new Map<string, Map<string, Map<number, { series: string; counted: string }>>>();

  constructor(private readonly deps: ClientApiDeps) {
    deps.metrics.inFlight = () => this.inFlight;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Stop taking new data requests (they get 503 SHUTTING_DOWN); in-flight ones finish. */
  startDraining(): void {
    this.draining = true;
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    const isKv = path.startsWith(KV_PREFIX);
    // Metric labels are route patterns: a path of no route counts as 'other' (bounded labels).
    const route = isKv ? KV_ROUTE : routeOf(path) ?? 'other';
    this.inFlight++;
    const finished = (status: number) => {
      this.inFlight--;
      const knownRoute = route;
      const keys = this.seriesKeys(method, knownRoute, status);
      this.deps.metrics.httpRequestCounts.inc(keys.counted, { method, route: knownRoute, status });
      this.deps.metrics.httpDuration.observe(keys.series, { method, route: knownRoute }, (performance.now() - started) / 1000);
    };
    const failed = (err: unknown) => {
      let status = 500;
      try {
        status = sendError(res, err);
        if (status >= 500) this.deps.log.error({ err, method, path }, 'request failed');
      } finally {
        finished(status);
      }
    };
    if (this.deps.auth) {
      const refusal = this.authorize(method, path, route, req);
      if (refusal) {
        failed(refusal);
        return;
      }
    }
    if (isKv) {
      // The data routes answer through callbacks and the one promise of the KvService call: no
      // async function of their own (each promise layer is felt at this rate).
      try {
        this.kvRequest(method, path, search, req, res, finished, failed);
      } catch (err) {
        failed(err);
      }
      return;
    }
    this.dispatch(method, path, search, req, res).then(finished, failed);
  };

  /** Why the request may not go on (401 or 403), or undefined when its principal may make it. */
  private authorize(method: string, path: string, route: string, req: IncomingMessage): Error | undefined {
    const needed = accessFor(method, path);
    if (needed === 'open') return undefined;
    const auth = this.deps.auth!;
    const outcome = auth.authenticator.authenticate(req.headers.authorization);
    if (!outcome.ok) {
      auth.onFailure(outcome.cause, method, route, req.socket.remoteAddress);
      return new UnauthenticatedError(outcome.cause);
    }
    if (!roleAllows(outcome.principal.role, needed)) {
      auth.onFailure('forbidden', method, route, req.socket.remoteAddress);
      return new ForbiddenError(outcome.principal.name, outcome.principal.role, needed);
    }
    return undefined;
  }

  /**
   * The metric keys of a (method, route, status), built once: the request path then finds its
   * series without assembling strings. Methods are the parser's, routes are patterns: bounded.
   */
  private seriesKeys(method: string, route: string, status: number): { series: string; counted: string } {
    let byRoute = this.keys.get(method);
    if (!byRoute) this.keys.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let keys = byStatus.get(status);
    if (!keys) byStatus.set(status, (keys = { series: `${method} ${route}`, counted: `${method} ${route} ${status}` }));
    return keys;
  }

  private kvRequest(
    method: string, path: string, search: string, req: IncomingMessage, res: ServerResponse,
    finished: (status: number) => void, failed: (err: unknown) => void,
  ): void {
    if (this.draining) throw new ShuttingDownError();
    if (this.inFlight > this.deps.maxInFlight || this.deps.shedder?.overloaded) {
      this.deps.metrics.shed.inc();
      throw new OverloadedError(1);
    }
    const key = parseKey(path.slice(KV_PREFIX.length), this.deps.maxKeyBytes);
    switch (method) {
      case 'GET':
      case 'HEAD':
        this.get(key.bytes, key.text, search, method === 'HEAD', res).then(finished, failed);
        return;
      case 'PUT':
        this.put(key.bytes, search, req, res, finished, failed);
        return;
      case 'DELETE':
        this.del(key.bytes, search, res).then(finished, failed);
        return;
      default:
        throw new MethodNotAllowedError(method, KV_ROUTE, ['GET', 'HEAD', 'PUT', 'DELETE']);
    }
  }

  private async dispatch(method: string, path: string, search: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (path.startsWith('/cluster') && this.deps.shedder && !this.deps.shedder.admitAdmin()) {
      this.deps.metrics.shed.inc();
      throw new OverloadedError(1);
    }
    switch (path) {
      case '/health':
        this.only(method, path, ['GET', 'HEAD']);
        return sendJson(res, 200, { status: 'ok' });
      case '/ready': {
        this.only(method, path, ['GET', 'HEAD']);
        const r = this.deps.readiness();
        const ready = r.ready && !this.draining;
        return sendJson(res, ready ? 200 : 503, ready ? { ready: true } : { ready: false, reason: this.draining ? 'shutting down' : r.reason });
      }
      case '/metrics': {
        this.only(method, path, ['GET']);
        const text = await this.deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType });
        res.end(text);
        return 200;
      }
      case '/cluster':
        this.only(method, path, ['GET']);
        return sendJson(res, 200, this.deps.cluster());
      case '/cluster/leave': {
        // This node decommissions itself: it streams its partitions away, then is removed.
        this.only(method, path, ['POST']);
        const result = await this.deps.changeMembership({ op: 'leave', id: this.deps.selfId }, false);
        return sendJson(res, 202, { ...result, message: 'decommission started; GET /cluster shows its progress' });
      }
      case '/cluster/join': {
        // This node (fresh and alone) joins the cluster of the given seeds.
        this.only(method, path, ['POST']);
        const body = await readBody(req, ADMIN_BODY_MAX_BYTES);
        const seeds = decodeJoinBody(parseJsonBody(body, '{"seeds": ["host:port", ...]}'));
        await this.deps.join(seeds);
        return sendJson(res, 202, { message: 'join started; GET /cluster shows its progress' });
      }
      case '/cluster/ring':
        this.only(method, path, ['GET']);
        return sendJson(res, 200, this.deps.ring());
      case '/cluster/changes': {
        this.only(method, path, ['POST']);
        const body = await readBody(req, ADMIN_BODY_MAX_BYTES);
        const { cmd, force } = decodeChangeBody(parseJsonBody(body, '{"op":"leave","id":"n3"}'));
        const result = await this.deps.changeMembership(cmd, force);
        return sendJson(res, 200, result);
      }
      default: {
        const view = path.startsWith('/cluster/') ? this.deps.adminViews?.get(path.slice('/cluster/'.length)) : undefined;
        if (view) {
          this.only(method, path, ['GET']);
          return sendJson(res, 200, view());
        }
        throw new RouteNotFoundError(method, path);
      }
    }
  }

  private only(method: string, path: string, allowed: string[]): void {
    if (!allowed.includes(method)) throw new MethodNotAllowedError(method, path, allowed);
  }

  private async get(key: Uint8Array, keyText: string, search: string, head: boolean, res: ServerResponse): Promise<number> {
    const params = parseQuery(search, ['r', 'local']);
    const local = parseFlag(params, 'local');
    const rec = local ? await this.deps.kv.getLocal(key) : await this.deps.kv.get(key, { r: params.get('r') });
    if (!rec || (local && rec.tombstone)) {
      if (rec) res.setHeader('x-ringkv-timestamp', formatTimestamp(rec.ts));
      if (rec?.tombstone) res.setHeader('x-ringkv-tombstone', 'true');
      // The common miss is answered without building an Error (its stack trace is costly).
      return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `key "${keyText}" not found` } });
    }
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'content-length': rec.value.length,
      'x-ringkv-timestamp': formatTimestamp(rec.ts),
    };
    if (rec.expiresAtMs) headers['x-ringkv-expires-at'] = new Date(rec.expiresAtMs).toISOString();
    res.writeHead(200, headers);
    res.end(head ? undefined : rec.value);
    return 200;
  }

  /** Parameters are checked before the body is read (a bad one throws here, unread). */
  private put(
    key: Uint8Array, search: string, req: IncomingMessage, res: ServerResponse,
    finished: (status: number) => void, failed: (err: unknown) => void,
  ): void {
    const params = parseQuery(search, ['w', 'ttl', 'strict']);
    const options = { w: params.get('w'), ttlSeconds: parseTtlSeconds(params, this.deps.maxTtlSeconds), strict: parseFlag(params, 'strict') };
    readBodyThen(req, this.deps.maxValueBytes, (err, value) => {
      if (err) {
        failed(err);
        return;
      }
      let written: Promise<{ ts: Timestamp }>;
      try {
        written = this.deps.kv.put(key, value!, options);
      } catch (e) {
        // This runs from a stream event: a throw here would not reach any handler.
        failed(e);
        return;
      }
      written.then(({ ts }) => {
        try {
          res.writeHead(204, { 'x-ringkv-timestamp': formatTimestamp(ts) });
          res.end();
        } catch (e) {
          failed(e);
          return;
        }
        finished(204);
      }, failed);
    });
  }

  private async del(key: Uint8Array, search: string, res: ServerResponse): Promise<number> {
    const params = parseQuery(search, ['w', 'strict']);
    const { ts } = await this.deps.kv.delete(key, { w: params.get('w'), strict: parseFlag(params, 'strict') });
    res.writeHead(204, { 'x-ringkv-timestamp': formatTimestamp(ts) });
    res.end();
    return 204;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return status;
}
