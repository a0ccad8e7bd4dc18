// Real ringkv processes for end-to-end tests: started on free loopback ports, output captured,
// and every one stopped by stopAll() (call it in afterAll).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './free-port.js';
import { pollUntil } from './poll.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RINGKV_BIN = path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'ringkv.js');

const live = new Set<ChildProcess>();
const tempDirs: string[] = [];

export function tempDir(prefix = 'ringkv-e2e-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ringkv ARGS` to completion (with an optional stdin) and returns its output. */
export function runCli(args: string[], opts: { stdin?: string | Uint8Array; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RINGKV_BIN, ...args], {
      env: { ...cleanEnv(), ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(opts.stdin ?? undefined);
  });
}

/** The environment without RINGKV_* variables of the developer's shell. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RINGKV_')));
}

/**
 * The cluster secret of the test clusters: nodes meant to meet must share one of at least 32
 * bytes (shorter ones are a start error). Not a secret at all, which is fine on loopback.
 */
export const E2E_SECRET = 'ringkv-e2e-cluster-secret-0123456789abcdef';

export interface NodeOptions {
  id: string;
  dataDir?: string;
  engine?: 'level' | 'rocksdb' | 'memory';
  httpPort?: number;
  peerPort?: number;
  seeds?: string[];
  /** Passed as --secret. Without one the (loopback) node makes a random secret and runs alone. */
  secret?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export class NodeProcess {
  child?: ChildProcess;
  output = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private exited?: Promise<void>;

  constructor(readonly opts: Required<Pick<NodeOptions, 'id' | 'httpPort' | 'peerPort' | 'dataDir' | 'engine'>> & NodeOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.opts.httpPort}`;
  }

  get peer(): string {
    return `127.0.0.1:${this.opts.peerPort}`;
  }

  args(): string[] {
    const o = this.opts;
    return [
      'start', '--id', o.id, '--http', `127.0.0.1:${o.httpPort}`, '--peer', `127.0.0.1:${o.peerPort}`,
      '--data', o.dataDir, '--engine', o.engine, '--log-level', 'info',
      ...(o.seeds?.length ? ['--seeds', o.seeds.join(',')] : []),
      ...(o.secret ? ['--secret', o.secret] : []),
      ...(o.extraArgs ?? []),
    ];
  }

  start(): this {
    if (this.child && this.exitCode === null && this.exitSignal === null) throw new Error(`${this.opts.id} is already running`);
    this.exitCode = null;
    this.exitSignal = null;
    const child = spawn(process.execPath, [RINGKV_BIN, ...this.args()], {
      env: { ...cleanEnv(), ...this.opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    const append = (c: Buffer) => {
      this.output += c.toString('utf8');
      if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(child);
        resolve();
      });
    });
    return this;
  }

  get running(): boolean {
    return !!this.child && this.exitCode === null && this.exitSignal === null;
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    await pollUntil(`${this.opts.id} ready`, async () => {
      if (!this.running) throw new Error(`${this.opts.id} exited (code ${this.exitCode}, signal ${this.exitSignal}):\n${this.output.slice(-3000)}`);
      const res = await fetch(`${this.url}/ready`);
      return res.ok;
    }, { timeoutMs });
  }

  /** Sends a signal and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    await pollUntil(`${this.opts.id} exit after ${signal}`, () => !this.running, { timeoutMs });
    await this.exited;
  }
}

/** A node on fresh free ports with its own data directory (unless given). */
export async function makeNode(opts: NodeOptions): Promise<NodeProcess> {
  const [httpPort, peerPort] = opts.httpPort && opts.peerPort ? [opts.httpPort, opts.peerPort] : await freePorts(2);
  return new NodeProcess({
    engine: 'level', dataDir: opts.dataDir ?? tempDir(`ringkv-${opts.id}-`), httpPort, peerPort, ...opts,
  } as NodeProcess['opts']);
}

export async function stopAll(): Promise<void> {
  for (const child of live) child.kill('SIGKILL');
  await pollUntil('all test processes to exit', () => [...live].every((c) => c.exitCode !== null || c.signalCode !== null), { timeoutMs: 10_000 })
    .catch(() => undefined);
  live.clear();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
