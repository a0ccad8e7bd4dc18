// The client HTTP API's edge (docs/design.md "HTTP API on the client port"): every request is
// authorized (route-table.ts), shed when the node is overloaded or shutting down, sent to the data
// routes (kv-routes.ts) or the node's own routes (admin-routes.ts), and counted and timed by route.
//
// Calling convention: node:http calls `handle`; from there every route is an async function that
// resolves with the status it sent, and a rejection becomes the error response (error-response.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ForbiddenError, OverloadedError, ShuttingDownError, UnauthenticatedError } from '../errors.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { sendError, toRingkvError } from './error-response.js';
import { roleAllows, type AuthFailure, type Authenticator } from './auth/authenticator.js';
import { accessFor, routeOf } from './route-table.js';
import type { LoadShedder } from './load-shedder.js';
import { KV_PREFIX, KV_ROUTE, KvRoutes, type KvRoutesDeps } from './kv-routes.js';
import { AdminRoutes, type AdminRoutesDeps } from './admin-routes.js';

export interface ClientApiDeps extends KvRoutesDeps, Omit<AdminRoutesDeps, 'registry' | 'draining'> {
  metrics: NodeMetrics;
  log: Logger;
  /** Data requests in flight before new ones get 503 OVERLOADED. */
  maxInFlight: number;
  /** Refuses data requests while the event loop lags, and rate-limits admin requests. */
  shedder?: LoadShedder;
  /** Told of the error code of every failed /kv request (the console's traffic history). */
  onKvError?: (code: string) => void;
  /** Client authentication (--auth-file); absent: every request is allowed (see route-table.ts). */
  auth?: {
    authenticator: Authenticator;
    /** Told of every refused request, by cause (metrics and a rate-limited log line). */
    onFailure: (cause: AuthFailure | 'forbidden', method: string, route: string, remote: string | undefined) => void;
  };
}

export class ClientApi {
  private inFlight = 0;
  private draining = false;
  /** Metric keys by method, route and status (see seriesKeys). */
  private readonly keys = new Map<string, Map<string, Map<number, { series: string; counted: string }>>>();

  private readonly kv: KvRoutes;
  private readonly admin: AdminRoutes;

  constructor(private readonly deps: ClientApiDeps) {
    deps.metrics.inFlight = () => this.inFlight;
    this.kv = new KvRoutes(deps);
    this.admin = new AdminRoutes({ ...deps, registry: deps.metrics.registry, draining: () => this.draining });
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
      const seconds = (performance.now() - started) / 1000;
      this.deps.metrics.httpDuration.observe(keys.series, { method, route: knownRoute }, seconds);
      if (isKv) this.deps.metrics.kvLatency.observe(method, search, seconds);
    };
    const failed = (err: unknown) => {
      let status = 500;
      try {
        status = sendError(res, err);
        if (isKv) this.deps.onKvError?.(toRingkvError(err).code);
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
    let answered: Promise<number>;
    try {
      answered = isKv ? this.kvRequest(method, path, search, req, res) : this.adminRequest(method, path, req, res);
    } catch (err) {
      failed(err);
      return;
    }
    answered.then(finished, failed);
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

  /** A data request, unless the node is shutting down or overloaded. */
  private kvRequest(method: string, path: string, search: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (this.draining) throw new ShuttingDownError();
    if (this.inFlight > this.deps.maxInFlight || this.deps.shedder?.overloaded) {
      this.deps.metrics.shed.inc();
      throw new OverloadedError(1);
    }
    return this.kv.handle(method, path, search, req, res);
  }

  /** The node's own routes; admin ones are rate-limited. */
  private adminRequest(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (path.startsWith('/cluster') && this.deps.shedder && !this.deps.shedder.admitAdmin()) {
      this.deps.metrics.shed.inc();
      throw new OverloadedError(1);
    }
    return this.admin.handle(method, path, req, res);
  }
}
