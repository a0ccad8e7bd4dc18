// One ringkv node: opens its engine, serves the client API, and shuts down gracefully.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openEngine, type Engine } from '@ringkv/storage';
import type { MembershipCommand } from '@ringkv/core';
import { systemClock, type Clock } from './clock.js';
import { parseAddress, type NodeConfig } from './config/config.js';
import { missingSecretProblem, randomLocalSecret } from './config/secret.js';
import { ConfigError } from './errors.js';
import { ClientApi } from './http/client-api.js';
import { NodeRuntime } from './node-runtime.js';
import { createLogger, type Logger } from './observability/logger.js';
import { NodeMetrics } from './observability/metrics.js';
import type { PeerTransport } from './peer/transport.js';
import { WsTransport } from './peer/ws-transport.js';
import { peerFrameCapBytes } from './protocol/frame-limits.js';
import { ANTI_ENTROPY_DEFAULTS } from './anti-entropy/anti-entropy-options.js';

/** Injected dependencies (the simulator and tests replace them); user options live in NodeConfig. */
export interface NodeComponents {
  clock?: Clock;
  engine?: Engine;
  logger?: Logger;
  transport?: PeerTransport;
}

export class RingkvNode {
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  private engine?: Engine;
  private runtime?: NodeRuntime;
  private httpServer?: http.Server;
  private api?: ClientApi;
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping?: Promise<void>;
  private readonly clock: Clock;

  constructor(readonly config: NodeConfig, private readonly components: NodeComponents = {}) {
    this.log = components.logger ?? createLogger(config.logLevel, { node: config.id });
    this.metrics = new NodeMetrics(config.id);
    this.clock = components.clock ?? systemClock;
  }

  /** The bound client address (the configured port may have been 0). */
  get httpAddress(): string {
    const a = this.httpServer?.address() as AddressInfo | null;
    if (!a) throw new Error('node is not listening');
    return `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`cannot start a node that is ${this.state}`);
    this.state = 'starting';
    const cfg = this.config;
    if (cfg.engine === 'memory') this.log.warn('engine "memory" keeps nothing across restarts: for tests only');
    const problem = missingSecretProblem(cfg);
    if (problem) {
      this.state = 'stopped';
      throw new ConfigError(problem, { option: 'secret' });
    }
    let secret = cfg.secret;
    if (secret === undefined) {
      secret = randomLocalSecret();
      this.log.warn({ peer: cfg.peer }, 'no cluster secret given: this loopback-only node made a random one, so it runs alone and no other node can join it (give every node the same --secret-file to form a cluster)');
    }
    this.engine = this.components.engine ?? (await openEngine(cfg.engine, cfg.data));
    let runtimeRef: NodeRuntime | undefined;
    const frameTargetBytes = 1024 * 1024;
    const transport = this.components.transport ?? new WsTransport({
      nodeId: cfg.id, listen: parseAddress(cfg.peer, 'peer'), advertise: cfg.advertisePeer,
      secret, clock: this.clock, logger: this.log.child({ component: 'peer' }),
      frameTargetBytes,
      maxFrameBytes: peerFrameCapBytes({
        partitions: cfg.partitions, maxKeyBytes: cfg.maxKeyBytes, maxValueBytes: cfg.maxValueBytes, streamChunkBytes: cfg.streamChunkBytes,
        antiEntropyPageBytes: ANTI_ENTROPY_DEFAULTS.pageBytes, treeBuckets: ANTI_ENTROPY_DEFAULTS.buckets, frameTargetBytes,
      }),
      maxPendingHandshakes: cfg.maxPendingHandshakes, maxGuestConnections: cfg.maxGuestConnections,
      maxInboundPerConnection: cfg.maxInboundRequestsPerPeer, maxQueuedBytesPerConnection: cfg.maxPeerReplyQueueBytes,
      linkIdleMs: cfg.peerLinkIdleMs,
      // The runtime is built next; until it is, every peer counts as a member (nothing is served yet).
      classify: (peer) => runtimeRef?.classifyPeer(peer) ?? 'member',
      expectedIdAt: (address) => runtimeRef?.expectedIdAt(address),
    });
    const runtime = new NodeRuntime(cfg, {
      clock: this.clock, engine: this.engine, transport, logger: this.log, metrics: this.metrics, random: Math.random,
    });
    this.runtime = runtime;
    runtimeRef = runtime;
    runtime.onFatal = (err) => {
      this.log.fatal({ err }, 'stopping after a fatal error');
      void this.stop().finally(() => { process.exitCode = 1; });
    };
    this.api = new ClientApi({
      kv: runtime.coordinator, metrics: this.metrics, log: this.log,
      maxValueBytes: cfg.maxValueBytes, maxKeyBytes: cfg.maxKeyBytes, maxTtlSeconds: cfg.maxTtlSeconds,
      maxInFlight: cfg.maxInFlight,
      cluster: () => this.clusterView(),
      selfId: cfg.id,
      join: (seeds) => runtime.joinVia(seeds),
      adminViews: new Map([['anti-entropy', () => runtime.antiEntropy.status()]]),
      ring: () => runtime.ringView(),
      changeMembership: (cmd, force) => runtime.changeByOperator(cmd as MembershipCommand, force),
      readiness: () => {
        if (this.state !== 'running') return { ready: false, reason: this.state };
        return runtime.ready ? { ready: true } : { ready: false, reason: runtime.readinessReason() };
      },
    });
    this.httpServer = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 60_000 }, this.api.handle);
    const { host, port } = parseAddress(cfg.http, 'http');
    try {
      await runtime.start();
      await listen(this.httpServer, host, port);
    } catch (err) {
      await runtime.stop().catch(() => undefined);
      await this.engine.close();
      this.state = 'stopped';
      throw err;
    }
    this.state = 'running';
    this.log.info({ http: this.httpAddress, engine: cfg.engine, data: cfg.engine === 'memory' ? null : cfg.data, durability: cfg.durability }, 'node started');
  }

  /** Stops taking requests, lets in-flight ones finish (up to shutdownGraceMs), closes the engine. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.state === 'new' || this.state === 'stopped') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.log.info('node stopping');
    this.api?.startDraining();
    const server = this.httpServer;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    server?.closeIdleConnections();
    const deadline = Date.now() + this.config.shutdownGraceMs;
    while ((this.api?.requestsInFlight ?? 0) > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    server?.closeAllConnections();
    await closed;
    await this.runtime?.stop();
    await this.engine?.close();
    this.state = 'stopped';
    this.log.info('node stopped');
  }

  private clusterView(): unknown {
    return this.runtime!.clusterView();
  }

  /** The runtime (tests reach the coordinator, hints and liveness through it). */
  get internals(): NodeRuntime {
    if (!this.runtime) throw new Error('node not started');
    return this.runtime;
  }
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new Error(`address ${host}:${port} is already in use`));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
