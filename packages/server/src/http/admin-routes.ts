// The node's own routes: /health, /ready, /metrics and the cluster admin routes (/cluster...:
// membership, join, leave, the ring, and read-only views such as anti-entropy's). Admin bodies
// are decoded against their schemas (admin-bodies.ts) before anything changes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MembershipCommand } from '@ringkv/core';
import type { Registry } from 'prom-client';
import { MethodNotAllowedError, RouteNotFoundError } from '../errors.js';
import { readBody } from './read-body.js';
import type { NodeConsole } from '../console/node-console.js';
import { sendJson } from './json-response.js';
import { ADMIN_BODY_MAX_BYTES, decodeChangeBody, decodeJoinBody, parseJsonBody } from './admin-bodies.js';
import { consoleUi, StaticUi } from './static-ui.js';

export interface AdminRoutesDeps {
  registry: Registry;
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
  /** The console's JSON views and its origin check (console/node-console.ts). */
  console?: Pick<NodeConsole, 'checkOrigin' | 'handle'>;
  /** Whether the node is shutting down (/ready then says so). */
  draining: () => boolean;
  /** The console's static files (/, /ui/...); the process's ui folder unless given. */
  ui?: StaticUi;
}

export class AdminRoutes {
  private readonly ui: StaticUi;

  constructor(private readonly deps: AdminRoutesDeps) {
    this.ui = deps.ui ?? consoleUi();
  }

  /** Answers a request for any path but /kv/. */
  async handle(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (StaticUi.owns(path)) return this.ui.handle(method, path, req.headers['if-none-match'], res);
    // The console's CSRF defence: a POST to /cluster/* from a page of another origin is refused.
    this.deps.console?.checkOrigin(method, path, req);
    const consoleAnswer = this.deps.console?.handle(method, path, req, res);
    if (consoleAnswer) return consoleAnswer;
    switch (path) {
      case '/health':
        this.only(method, path, ['GET', 'HEAD']);
        return sendJson(res, 200, { status: 'ok' });
      case '/ready': {
        this.only(method, path, ['GET', 'HEAD']);
        const r = this.deps.readiness();
        const draining = this.deps.draining();
        const ready = r.ready && !draining;
        return sendJson(res, ready ? 200 : 503, ready ? { ready: true } : { ready: false, reason: draining ? 'shutting down' : r.reason });
      }
      case '/metrics': {
        this.only(method, path, ['GET']);
        const text = await this.deps.registry.metrics();
        res.writeHead(200, { 'content-type': this.deps.registry.contentType });
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

}
