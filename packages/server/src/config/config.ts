// Building a node's configuration: defaults from the schema, overridden by the caller's values,
// validated (unknown keys rejected), derived fields filled in, and the result frozen.
import path from 'node:path';
import { isValidAddress, isValidNodeId, isValidZone } from '@ringkv/core';
import { ConfigError } from '../errors.js';
import { CONFIG_SCHEMA, type ConfigKey, type OptionSpec } from './schema.js';

export interface NodeConfig {
  readonly id: string;
  readonly http: string;
  readonly peer: string;
  readonly advertisePeer: string;
  readonly advertiseHttp: string;
  readonly seeds: readonly string[];
  readonly data: string;
  readonly engine: 'level' | 'rocksdb' | 'memory';
  readonly durability: 'engine' | 'sync';
  readonly replicas: number;
  readonly r: number;
  readonly w: number;
  readonly partitions: number;
  readonly zone: string | undefined;
  /** The cluster secret (read from secretFile by the CLI when that is given). */
  readonly secret: string | undefined;
  readonly secretFile: string | undefined;
  readonly authFile: string | undefined;
  readonly insecureNoAuth: boolean;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly peerTlsCert: string | undefined;
  readonly peerTlsKey: string | undefined;
  readonly peerTlsCa: string | undefined;
  readonly logLevel: string;
  readonly cacheMb: number;
  readonly maxValueBytes: number;
  readonly maxKeyBytes: number;
  readonly requestTimeoutMs: number;
  readonly readSpeculativeRetryMs: number;
  readonly maxInFlight: number;
  readonly shutdownGraceMs: number;
  readonly maxTtlSeconds: number;
  readonly gossipIntervalMs: number;
  readonly gossipFanout: number;
  readonly phiThreshold: number;
  readonly hintWindowMs: number;
  readonly tombstoneGraceMs: number;
  readonly antiEntropyIntervalMs: number;
  readonly antiEntropy: 'active' | 'passive';
  readonly raftTickMs: number;
  readonly streamBytesPerSec: number;
  readonly backgroundLagTargetMs: number;
  readonly streamChunkBytes: number;
  readonly streamParallelPartitions: number;
  readonly streamWindowChunks: number;
  readonly raftElectionTicks: number;
  readonly membershipChangeTimeoutMs: number;
  readonly maxClockSkewMs: number;
  readonly maxInboundRequestsPerPeer: number;
  readonly maxPeerReplyQueueBytes: number;
  readonly maxApplyQueueBytes: number;
  readonly maxHintBytesPerTarget: number;
  readonly raftMaxUncommitted: number;
  readonly maxRaftPeerAddresses: number;
  readonly maxPendingHandshakes: number;
  readonly maxGuestConnections: number;
  readonly peerLinkIdleMs: number;
  readonly maxClientConnections: number;
  readonly clientIdleTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly maxUnsentBytesPerConnection: number;
  readonly shedEventLoopDelayMs: number;
  readonly adminRequestsPerSecond: number;
  readonly maxPeerConnections: number;
  readonly consoleRequestTimeoutMs: number;
  readonly consoleDownAfterMs: number;
  readonly trafficHistoryBytes: number;
}

export type ConfigInput = Partial<Record<ConfigKey, unknown>>;

/** The shortest cluster secret accepted: 256 bits of a random hex or base64 string and then some. */
export const SECRET_MIN_BYTES = 32;

export function defaultConfig(): NodeConfig {
  return buildConfig({});
}

/** Parses one option from a string (environment variable or flag) or passes typed values through. */
export function coerceOption(key: string, raw: unknown): unknown {
  const spec = (CONFIG_SCHEMA as Record<string, OptionSpec>)[key];
  if (!spec) throw new ConfigError(`unknown option "${key}"`, { option: key });
  if (raw === undefined) return undefined;
  switch (spec.type) {
    case 'int': {
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) return Number(raw.trim());
      throw new ConfigError(`option "${key}" must be an integer, got ${JSON.stringify(raw)}`, { option: key });
    }
    case 'list':
      if (Array.isArray(raw)) return raw.flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
      if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter(Boolean);
      throw new ConfigError(`option "${key}" must be a comma-separated list`, { option: key });
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new ConfigError(`option "${key}" must be true or false`, { option: key });
    default:
      if (typeof raw === 'number') return String(raw);
      return raw;
  }
}

function validateOption(key: string, spec: OptionSpec, value: unknown): void {
  const fail = (why: string): never => {
    throw new ConfigError(`option "${key}" ${why}, got ${JSON.stringify(value)}`, { option: key });
  };
  switch (spec.type) {
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail('must be an integer');
      if (spec.min !== undefined && (value as number) < spec.min) fail(`must be at least ${spec.min}`);
      if (spec.max !== undefined && (value as number) > spec.max) fail(`must be at most ${spec.max}`);
      break;
    case 'enum':
      if (typeof value !== 'string' || !spec.values!.includes(value)) fail(`must be one of ${spec.values!.join(', ')}`);
      break;
    case 'address':
      if (typeof value !== 'string') fail('must be HOST:PORT');
      parseAddress(value as string, key);
      break;
    case 'list':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail('must be a list of strings');
      break;
    case 'bool':
      if (typeof value !== 'boolean') fail('must be true or false');
      break;
    default:
      if (typeof value !== 'string' || value.length === 0) fail('must be a non-empty string');
  }
}

export interface Address {
  host: string;
  port: number;
}

/** HOST:PORT, with IPv6 hosts in brackets. Port 0 asks the OS for a free port. */
export function parseAddress(text: string, option = 'address'): Address {
  if (!isValidAddress(text)) {
    throw new ConfigError(`option "${option}" must be HOST:PORT (a host name or IP address, IPv6 in brackets) with a port from 0 to 65535, got "${text}"`, { option });
  }
  const at = text.lastIndexOf(':');
  const hostPart = text.slice(0, at);
  return { host: hostPart.startsWith('[') ? hostPart.slice(1, -1) : hostPart, port: Number(text.slice(at + 1)) };
}

/** Whether a listen host reaches only this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function buildConfig(input: ConfigInput): NodeConfig {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!(key in CONFIG_SCHEMA)) {
      throw new ConfigError(`unknown option "${key}"; known options: ${Object.keys(CONFIG_SCHEMA).join(', ')}`, { option: key });
    }
  }
  for (const [key, spec] of Object.entries(CONFIG_SCHEMA) as [string, OptionSpec][]) {
    const given = coerceOption(key, input[key as ConfigKey]);
    const value = given === undefined ? spec.default : given;
    if (value !== undefined) validateOption(key, spec, value);
    out[key] = Array.isArray(value) ? Object.freeze([...value]) : value;
  }
  out.advertisePeer ??= out.peer;
  out.advertiseHttp ??= out.http;
  out.id ??= `node-${String(out.advertisePeer).replace(/[^A-Za-z0-9]+/g, '-')}`.slice(0, 63).replace(/[-.]+$/, '');
  if (!isValidNodeId(out.id)) {
    throw new ConfigError(`option "id" must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit, got "${out.id}"`, { option: 'id' });
  }
  out.data ??= path.join('data', String(out.id));
  const q = out.partitions as number;
  if ((q & (q - 1)) !== 0) throw new ConfigError(`option "partitions" must be a power of two, got ${q}`, { option: 'partitions' });
  const n = out.replicas as number;
  for (const k of ['r', 'w'] as const) {
    if ((out[k] as number) > n) throw new ConfigError(`option "${k}" (${out[k]}) cannot exceed replicas (${n})`, { option: k });
  }
  for (const s of out.seeds as string[]) parseAddress(s, 'seeds');
  if (out.zone !== undefined && !isValidZone(out.zone)) {
    throw new ConfigError(`option "zone" must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit, got ${JSON.stringify(out.zone)}`, { option: 'zone' });
  }
  if ((out.tlsCert === undefined) !== (out.tlsKey === undefined)) {
    throw new ConfigError('options "tlsCert" and "tlsKey" go together: give both (--tls-cert FILE --tls-key FILE) or neither', { option: 'tlsCert' });
  }
  const peerTls = [out.peerTlsCert, out.peerTlsKey, out.peerTlsCa].filter((v) => v !== undefined).length;
  if (peerTls !== 0 && peerTls !== 3) {
    throw new ConfigError('options "peerTlsCert", "peerTlsKey" and "peerTlsCa" go together: give all three (--peer-tls-cert, --peer-tls-key, --peer-tls-ca) or none', { option: 'peerTlsCert' });
  }
  if (out.secret !== undefined && Buffer.byteLength(String(out.secret)) < SECRET_MIN_BYTES) {
    throw new ConfigError(`option "secret" must be at least ${SECRET_MIN_BYTES} bytes (it is ${Buffer.byteLength(String(out.secret))}); make one with: openssl rand -hex 32`, { option: 'secret' });
  }
  return Object.freeze(out) as unknown as NodeConfig;
}
