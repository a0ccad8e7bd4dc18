// The membership at epoch 1: the nodes whose peer addresses are in --seeds, with the ids they
// report. Every node given the same seed list computes the same ring (and the same Raft group).
import { ConfigError } from '../errors.js';
import type { NodeConfig } from '../config/config.js';
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import { sleepOn, type Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { MemberRecord, Membership } from './member.js';

export function selfMember(config: NodeConfig): MemberRecord {
  return { id: config.id, peer: config.advertisePeer, http: config.advertiseHttp, status: 'normal', ...(config.zone ? { zone: config.zone } : {}) };
}

export interface BootstrapDeps {
  config: NodeConfig;
  rpc: PeerRpc;
  clock: Clock;
  log: Logger;
  /** Stop waiting (the node is shutting down). */
  cancelled: () => boolean;
}

/** Learns every seed's id by pinging it, retrying until all have answered. */
export async function discoverSeedMembership(deps: BootstrapDeps): Promise<Membership | undefined> {
  const { config } = deps;
  const seeds = [...new Set(config.seeds)];
  if (seeds.length > 0 && !seeds.includes(config.advertisePeer)) {
    throw new ConfigError(
      `this node's peer address ${config.advertisePeer} is not in --seeds (${seeds.join(',')}); joining a running cluster needs the membership service`,
      { option: 'seeds' },
    );
  }
  const known = new Map<string, MemberRecord>([[config.advertisePeer, selfMember(config)]]);
  let attempt = 0;
  while (known.size < Math.max(1, seeds.length)) {
    if (deps.cancelled()) return undefined;
    await Promise.all(seeds.filter((s) => !known.has(s)).map(async (seed) => {
      try {
        const pong = await deps.rpc.request(seed, { type: PeerMessageType.Ping }, 1000);
        if (pong.partitions !== config.partitions || pong.replicas !== config.replicas) {
          throw new ConfigError(
            `seed ${seed} (${pong.id}) runs with partitions=${pong.partitions} replicas=${pong.replicas}, this node with partitions=${config.partitions} replicas=${config.replicas}: every node of a cluster needs the same values`,
            { option: 'partitions' },
          );
        }
        known.set(seed, { id: pong.id, peer: seed, http: pong.http, status: 'normal', ...(pong.zone ? { zone: pong.zone } : {}) });
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        if (attempt % 10 === 0) deps.log.info({ seed, err: (err as Error).message }, 'waiting for seed');
      }
    }));
    if (known.size < seeds.length) await sleepOn(deps.clock, Math.min(1000, 100 * 2 ** Math.min(attempt++, 4)));
  }
  const members = [...known.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ids = new Set(members.map((m) => m.id));
  if (ids.size !== members.length) {
    throw new ConfigError(`two seeds report the same node id: ${members.map((m) => `${m.id}@${m.peer}`).join(', ')}`, { option: 'id' });
  }
  return { epoch: 1, partitions: config.partitions, replicas: config.replicas, members };
}
