// One ringkv node: opens its engine, serves the client API, and shuts down gracefully.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HybridLogicalClock, nodeTag } from '@ringkv/core';
import { openEngine, type Engine } from '@ringkv/storage';
import { systemClock, type Clock } from './clock.js';
import { parseAddress, type NodeConfig } from './config/config.js';
import { ClientApi } from './http/client-api.js';
import { LocalKvService } from './kv/local-kv-service.js';
import { ReplicaStore } from './kv/replica-store.js';
import { createLogger, type Logger } from './observability/logger.js';
import { NodeMetrics } from './observability/metrics.js';

/** Injected dependencies (the simulator and tests replace them); user options live in NodeConfig. */
export interface NodeComponents {
  clock?: Clock;
  engine?: Engine;
  logger?: Logger;
}

export class RingkvNode {
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  private engine?: Engine;
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
    this.engine = this.components.engine ?? (await openEngine(cfg.engine, cfg.data));
    const store = new ReplicaStore(this.engine, { sync: cfg.durability === 'sync' });
    const hlc = new HybridLogicalClock({ node: nodeTag(cfg.id), maxDriftMs: 60_000 });
    const kv = new LocalKvService({
      store, hlc, clock: this.clock, partitions: cfg.partitions,
      replicas: cfg.replicas, defaultR: cfg.r, defaultW: cfg.w,
    });
    this.api = new ClientApi({
      kv, metrics: this.metrics, log: this.log,
      maxValueBytes: cfg.maxValueBytes, maxKeyBytes: cfg.maxKeyBytes, maxTtlSeconds: cfg.maxTtlSeconds,
      maxInFlight: cfg.maxInFlight,
      cluster: () => this.clusterView(),
      readiness: () => (this.state === 'running' ? { ready: true } : { ready: false, reason: this.state }),
    });
    this.httpServer = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 60_000 }, this.api.handle);
    const { host, port } = parseAddress(cfg.http, 'http');
    try {
      await listen(this.httpServer, host, port);
    } catch (err) {
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
    await this.engine?.close();
    this.state = 'stopped';
    this.log.info('node stopped');
  }

  private clusterView(): unknown {
    const c = this.config;
    return {
      node: c.id,
      epoch: 1,
      leader: c.id,
      partitions: c.partitions,
      replicas: c.replicas,
      members: [{
        id: c.id, peer: c.advertisePeer, http: c.advertiseHttp, zone: c.zone ?? null,
        status: 'normal', alive: true, partitions: c.partitions,
      }],
    };
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
