// One ringkv node: opens its engine, serves the client API, and shuts down gracefully.
import { openEngine, type Engine } from '@ringkv/storage';
import { ownersRing, Prng, type MembershipCommand } from '@ringkv/core';
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from './clock.js';
import { parseAddress, type NodeConfig } from './config/config.js';
import { missingAuthProblem, missingSecretProblem, randomLocalSecret, readSecretFile, splitSecrets } from './config/secret.js';
import { readAuthFile } from './http/auth/auth-file.js';
import { Authenticator } from './http/auth/authenticator.js';
import { ClientServer } from './http/client-server.js';
import { LoadShedder } from './http/load-shedder.js';
import { LoopLagMonitor } from './time/loop-lag.js';
import { ConfigError } from './errors.js';
import { ClientApi } from './http/client-api.js';
import { NodeRuntime } from './node-runtime.js';
import { WorkerRingAssigner } from './membership/worker-ring-assigner.js';
import { createLogger, type Logger } from './observability/logger.js';
import { NodeMetrics } from './observability/metrics.js';
import { directoryBytes, registerDiskMetrics } from './observability/disk-metrics.js';
import type { PeerTransport } from './peer/transport.js';
import { WsTransport } from './peer/ws-transport.js';
import { peerFrameCapBytes } from './protocol/frame-limits.js';
import { ANTI_ENTROPY_DEFAULTS, treeBucketsFor } from './anti-entropy/anti-entropy-options.js';

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
  private httpServer?: ClientServer;
  private api?: ClientApi;
  private authenticator?: Authenticator;
  private loopLag?: LoopLagMonitor;
  private readonly lastAuthLogMs = new Map<string, number>();
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
    if (!this.httpServer) throw new Error('node is not listening');
    return this.httpServer.address;
  }

  /** The client server (tests look at its connection counts). */
  get clientServer(): ClientServer | undefined {
    return this.httpServer;
  }

  /**
   * Re-reads the auth file and the TLS certificates (SIGHUP). Whatever fails to load keeps what
   * was loaded before (logged, counted in ringkv_reloads_total).
   */
  reload(): { auth?: 'ok' | 'failed'; tls?: 'ok' | 'failed'; peerTls?: 'ok' | 'failed'; secret?: 'ok' | 'failed' } {
    const out: ReturnType<RingkvNode['reload']> = {};
    const attempt = (what: 'auth' | 'tls' | 'peerTls' | 'secret', fn: () => boolean) => {
      try {
        if (!fn()) return;
        out[what] = 'ok';
        this.log.info({ what }, 'reloaded');
      } catch (err) {
        out[what] = 'failed';
        this.log.error({ what, err: (err as Error).message }, 'reload failed: keeping what was loaded before');
      }
      this.metrics.reloads.inc({ what, outcome: out[what] });
    };
    if (this.config.authFile && this.authenticator) {
      attempt('auth', () => {
        this.authenticator!.replace(readAuthFile(this.config.authFile!));
        return true;
      });
    }
    if (this.httpServer) attempt('tls', () => this.httpServer!.reloadTls());
    const transport = this.runtime?.components.transport as { reloadTls?: () => boolean; setSecrets?: (s: string, a: string[]) => void } | undefined;
    if (transport?.reloadTls) attempt('peerTls', () => transport.reloadTls!());
    if (this.config.secretFile && transport?.setSecrets) {
      attempt('secret', () => {
        const s = splitSecrets(readSecretFile(this.config.secretFile!));
        transport.setSecrets!(s.secret, s.accepted);
        return true;
      });
    }
    return out;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`cannot start a node that is ${this.state}`);
    this.state = 'starting';
    const cfg = this.config;
    if (cfg.engine === 'memory') this.log.warn('engine "memory" keeps nothing across restarts: for tests only');
    const problem = missingSecretProblem(cfg) ?? missingAuthProblem(cfg);
    if (problem) {
      this.state = 'stopped';
      throw new ConfigError(problem, { option: 'secret' });
    }
    if (cfg.authFile) {
      try {
        this.authenticator = new Authenticator(readAuthFile(cfg.authFile));
      } catch (err) {
        this.state = 'stopped';
        throw err;
      }
      if (this.authenticator.size === 0) this.log.warn({ authFile: cfg.authFile }, 'the auth file lists no principals: every request but /health and /ready is refused');
    } else if (cfg.insecureNoAuth) {
      this.log.warn({ http: cfg.http }, 'serving the client API without authentication (--insecure-no-auth): anyone who reaches it may read, write and reconfigure everything');
    }
    let secret = cfg.secret;
    if (secret === undefined) {
      secret = randomLocalSecret();
      this.log.warn({ peer: cfg.peer }, 'no cluster secret given: this loopback-only node made a random one, so it runs alone and no other node can join it (give every node the same --secret-file to form a cluster)');
    }
    this.engine = this.components.engine ?? (await openEngine(cfg.engine, cfg.data));
    if (!this.components.engine && cfg.engine !== 'memory') registerDiskMetrics(this.metrics.registry, cfg.data);
    let runtimeRef: NodeRuntime | undefined;
    const frameTargetBytes = 1024 * 1024;
    const secrets = splitSecrets(secret);
    // Every random choice of this process (gossip targets, jitter, Raft timeouts, redial backoff)
    // forks from one generator; only its seed comes from the operating system.
    const prng = new Prng(randomBytes(16).toString('hex'));
    const transport = this.components.transport ?? new WsTransport({
      nodeId: cfg.id, listen: parseAddress(cfg.peer, 'peer'), advertise: cfg.advertisePeer,
      secret: secrets.secret, acceptedSecrets: secrets.accepted, clock: this.clock, logger: this.log.child({ component: 'peer' }),
      ...(cfg.peerTlsCert && cfg.peerTlsKey && cfg.peerTlsCa ? { tls: { certFile: cfg.peerTlsCert, keyFile: cfg.peerTlsKey, caFile: cfg.peerTlsCa } } : {}),
      maxConnections: cfg.maxPeerConnections,
      frameTargetBytes,
      maxFrameBytes: peerFrameCapBytes({
        partitions: cfg.partitions, maxKeyBytes: cfg.maxKeyBytes, maxValueBytes: cfg.maxValueBytes, streamChunkBytes: cfg.streamChunkBytes,
        antiEntropyPageBytes: ANTI_ENTROPY_DEFAULTS.pageBytes, treeBuckets: treeBucketsFor(cfg.partitions), frameTargetBytes,
      }),
      maxPendingHandshakes: cfg.maxPendingHandshakes, maxGuestConnections: cfg.maxGuestConnections,
      maxInboundPerConnection: cfg.maxInboundRequestsPerPeer, maxQueuedBytesPerConnection: cfg.maxPeerReplyQueueBytes,
      linkIdleMs: cfg.peerLinkIdleMs, random: prng.forkedRandom('transport'),
      // The runtime is built next; until it is, every peer counts as a member (nothing is served yet).
      classify: (peer) => runtimeRef?.classifyPeer(peer) ?? 'member',
      expectedIdAt: (address) => runtimeRef?.expectedIdAt(address),
    });
    // One lag monitor for the load shedder and the background pacer.
    const loopLag = (this.loopLag = new LoopLagMonitor());
    const assigner = new WorkerRingAssigner(this.log);
    const runtime = new NodeRuntime(cfg, {
      clock: this.clock, engine: this.engine, transport, logger: this.log, metrics: this.metrics, prng, loopLag,
      ringAssigner: assigner,
      ...(!this.components.engine && cfg.engine !== 'memory' ? { diskBytes: () => directoryBytes(cfg.data) } : {}),
    });
    this.runtime = runtime;
    runtimeRef = runtime;
    // The first membership this process serves warms the ring worker (see WorkerRingAssigner.warmUp).
    let warmed = false;
    runtime.cluster.onChange((m) => {
      if (warmed || !m.assignment) return;
      warmed = true;
      assigner.warmUp(ownersRing(m.members, m.partitions, m.replicas, m.assignment));
    });
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
      console: runtime.console,
      onKvError: (code) => runtime.console.recordKvError(code),
      ring: () => runtime.ringView(),
      changeMembership: (cmd, force) => runtime.changeByOperator(cmd as MembershipCommand, force),
      readiness: () => {
        if (this.state !== 'running') return { ready: false, reason: this.state };
        return runtime.ready ? { ready: true } : { ready: false, reason: runtime.readinessReason() };
      },
      shedder: new LoadShedder({ eventLoopDelayMs: cfg.shedEventLoopDelayMs, adminPerSecond: cfg.adminRequestsPerSecond, lag: loopLag }),
      ...(this.authenticator ? { auth: { authenticator: this.authenticator, onFailure: (cause, method, route, remote) => this.authFailed(cause, method, route, remote) } } : {}),
    });
    const { host, port } = parseAddress(cfg.http, 'http');
    try {
      this.httpServer = new ClientServer(this.api.handle, {
        ...(cfg.tlsCert && cfg.tlsKey ? { tls: { certFile: cfg.tlsCert, keyFile: cfg.tlsKey } } : {}),
        maxConnections: cfg.maxClientConnections, idleTimeoutMs: cfg.clientIdleTimeoutMs, headersTimeoutMs: cfg.headersTimeoutMs,
        maxUnsentBytes: cfg.maxUnsentBytesPerConnection, log: this.log,
        onClosed: (reason) => this.metrics.connectionsClosed.inc({ reason }),
      });
      await runtime.start();
      await this.httpServer.listen(host, port);
    } catch (err) {
      this.loopLag?.stop();
      this.httpServer?.close();
      await runtime.stop().catch(() => undefined);
      await this.engine.close();
      this.state = 'stopped';
      throw err;
    }
    this.state = 'running';
    this.log.info({ http: this.httpAddress, protocol: this.httpServer.protocol, auth: this.authenticator ? `${this.authenticator.size} principal(s)` : 'none', engine: cfg.engine, data: cfg.engine === 'memory' ? null : cfg.data, durability: cfg.durability }, 'node started');
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
    this.loopLag?.stop();
    this.httpServer?.close();
    const server = this.httpServer?.server;
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

  /** A refused request: counted by cause, logged at most once per cause every 10 s, never with the token. */
  private authFailed(cause: string, method: string, route: string, remote: string | undefined): void {
    this.metrics.authFailures.inc({ cause });
    const now = Date.now();
    if (now - (this.lastAuthLogMs.get(cause) ?? 0) < 10_000) return;
    this.lastAuthLogMs.set(cause, now);
    this.log.warn({ cause, method, route, remote: remote ?? null }, 'client request refused by authentication');
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
