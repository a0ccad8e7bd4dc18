// The console's server side on one node: its own part (self-status.ts) answered to members that
// ask (a SelfStatus peer request), the traffic sampler on the node's clock, the collection of
// every member's part, and the JSON routes the pages and the CLI read (docs/console.md):
// /cluster/health, /cluster/nodes, /cluster/partitions, /cluster/transfers, /cluster/traffic and
// POST /cluster/plan, with the CSRF check of every POST to /cluster/*.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { NODE_ID_PATTERN, type MembershipState } from '@ringkv/core';
import { CrossOriginError, InvalidParameterError, MethodNotAllowedError, NotReadyError } from '../errors.js';
import { ADMIN_BODY_MAX_BYTES, decodePlanBody, parseJsonBody } from '../http/admin-bodies.js';
import { sendJson } from '../http/json-response.js';
import { readBody } from '../http/read-body.js';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { PeerRouter } from '../protocol/peer-router.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import { healthView, nodesView, partitionsView, trafficView, transfersView, type ViewContext } from './console-views.js';
import { foreignOrigin } from './origin-check.js';
import { planChangeSteps } from './plan.js';
import { runRingStepsWith, type RingAssigner } from '../membership/ring-assigner.js';
import { planViaSeed } from './plan-via-seed.js';
import { selfStatus, type SelfStatusDeps } from './self-status.js';
import { StatusCollector } from './status-collector.js';
import { TrafficSampler, type HistogramValues } from './traffic-sampler.js';

export interface NodeConsoleDeps extends Omit<SelfStatusDeps, 'sampler' | 'startedAtMs'> {
  rpc: Pick<PeerRpc, 'request'>;
  router: PeerRouter;
  config: {
    r: number; w: number; replicas: number; advertiseHttp: string; advertisePeer: string;
    consoleRequestTimeoutMs: number; consoleDownAfterMs: number; trafficHistoryBytes: number;
  };
  leader: () => string | null;
  kvLatency: HistogramValues;
  opsByPartition: Uint32Array;
  hintsDelivered: () => ReadonlyMap<string, number>;
  diskBytes?: () => Promise<number>;
  /** Computes the rings a plan needs (as for a real change: off the event loop when large). */
  assigner: RingAssigner;
}

const VIEWS = new Set(['/cluster/health', '/cluster/nodes', '/cluster/partitions', '/cluster/transfers', '/cluster/traffic']);
const NODE_ID = new RegExp(NODE_ID_PATTERN);

export class NodeConsole {
  readonly sampler: TrafficSampler;
  readonly collector: StatusCollector;
  private readonly selfDeps: SelfStatusDeps;

  constructor(private readonly deps: NodeConsoleDeps) {
    this.sampler = new TrafficSampler({
      clock: deps.clock, kvLatency: deps.kvLatency, opsByPartition: deps.opsByPartition, hintsDelivered: deps.hintsDelivered,
      capBytes: deps.config.trafficHistoryBytes, ...(deps.diskBytes ? { diskBytes: deps.diskBytes } : {}),
    });
    this.selfDeps = { ...deps, sampler: this.sampler, startedAtMs: deps.clock.nowMs() };
    this.collector = new StatusCollector({
      selfId: deps.selfId, cluster: deps.cluster, rpc: deps.rpc, timeoutMs: deps.config.consoleRequestTimeoutMs,
      self: (withTraffic) => this.self(withTraffic),
    });
    deps.router.on(T.SelfStatus, 'member', (_from, msg) => ({ type: T.SelfStatusReply, status: this.self(msg.traffic === true) }));
  }

  /** This node's own part. */
  self(withTraffic: boolean) {
    return selfStatus(this.selfDeps, withTraffic);
  }

  start(): void {
    this.sampler.start();
  }

  stop(): Promise<void> {
    return this.sampler.stop();
  }

  /** A failed /kv request, by code (the traffic history). */
  recordKvError(code: string): void {
    this.sampler.recordError(code);
  }

  /** Throws CrossOriginError for a POST to /cluster/* from a page of another origin. */
  checkOrigin(method: string, path: string, req: IncomingMessage): void {
    const secure = (req.socket as TLSSocket).encrypted === true;
    const origin = foreignOrigin(method, path, { origin: req.headers.origin, host: req.headers.host }, secure, [this.deps.config.advertiseHttp]);
    if (origin !== undefined) throw new CrossOriginError(origin);
  }

  /** Answers a console route; undefined for any other path. */
  handle(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<number> | undefined {
    if (path === '/cluster/plan') {
      if (method !== 'POST') throw new MethodNotAllowedError(method, path, ['POST']);
      return this.plan(req, res);
    }
    if (!VIEWS.has(path)) return undefined;
    if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowedError(method, path, ['GET', 'HEAD']);
    return this.view(path, req, res);
  }

  private context(): ViewContext {
    const { cluster, config } = this.deps;
    if (!cluster.ready) throw new NotReadyError('the membership is not known yet');
    const ring = cluster.ring;
    const target = cluster.targetRing;
    const lists = (r: typeof ring) => Array.from({ length: r.partitions }, (_, p) => r.preferenceList(p));
    const liveness = new Map(this.deps.liveness.members().map((m) => [m.id, m]));
    return {
      selfId: this.deps.selfId, epoch: cluster.epoch, leader: this.deps.leader(), members: cluster.membership.members,
      ring: lists(ring), ...(target ? { target: lists(target) } : {}), replicas: ring.replicas, r: config.r, w: config.w,
      liveness, clockOffsetMs: new Map(cluster.membership.members.map((m) => [m.id, this.deps.clockOffsets.offsetOf(m.id)?.offsetMs ?? null])),
      downAfterMs: config.consoleDownAfterMs,
    };
  }

  private async view(path: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    const ctx = this.context();
    if (path === '/cluster/traffic') {
      const node = new URL(req.url ?? '/', 'http://x').searchParams.get('node') ?? 'all';
      if (node !== 'all' && (!NODE_ID.test(node) || !ctx.members.some((m) => m.id === node))) {
        throw new InvalidParameterError(`node must be "all" or the id of a member`, { param: 'node', value: node.slice(0, 64) });
      }
      const parts = await this.collector.collect(true);
      return sendJson(res, 200, trafficView(parts, node, this.sampler.intervalMs));
    }
    const parts = await this.collector.collect(false);
    switch (path) {
      case '/cluster/health': return sendJson(res, 200, healthView(ctx, parts));
      case '/cluster/nodes': return sendJson(res, 200, nodesView(ctx, parts));
      case '/cluster/partitions': return sendJson(res, 200, partitionsView(ctx, parts));
      default: return sendJson(res, 200, transfersView(parts));
    }
  }

  private async plan(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const body = await readBody(req, ADMIN_BODY_MAX_BYTES);
    const { cmd, seeds } = decodePlanBody(parseJsonBody(body, '{"op":"remove","id":"n3"}'));
    const { cluster } = this.deps;
    if (!cluster.ready) throw new NotReadyError('the membership is not known yet');
    if (seeds) {
      // A fresh node planning its own join: the cluster it would join answers (plan-via-seed.ts).
      const relayed = await planViaSeed(
        { selfId: this.deps.selfId, selfPeer: this.deps.config.advertisePeer, members: cluster.membership.members, rpc: this.deps.rpc },
        cmd, seeds, { authorization: req.headers.authorization, secure: (req.socket as TLSSocket).encrypted === true },
      );
      return sendJson(res, relayed.status, relayed.body);
    }
    const m = cluster.membership;
    if (!m.assignment) throw new NotReadyError('the membership has no assignment yet');
    const parts = await this.collector.collect(false);
    return sendJson(res, 200, await runRingStepsWith(this.deps.assigner, planChangeSteps(m as MembershipState, cmd, parts.parts.values())));
  }
}
