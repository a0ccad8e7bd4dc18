// `ringkv cluster ...`: status and ring views and membership changes, through the client SDK,
// each against the node at --endpoint.
import type { Argv } from 'yargs';
import { AUTH_ERROR_CODES, RingkvClient, isRingkvClientError, type ClusterHealth, type ClusterView } from '@ringkv/client';
import { accessOptions, clientAccess, readAccess, reportFailure, type NodeAccess } from '../client-options.js';
import { UsageError } from '../usage-error.js';

const DEFAULT_ENDPOINT = 'http://127.0.0.1:7071';

/** A client bound to exactly one node: cluster commands act on the node at --endpoint. */
function nodeClient(argv: Record<string, unknown>, access: NodeAccess): RingkvClient {
  return new RingkvClient({ endpoints: String(argv.endpoint), timeoutMs: Number(argv.timeout), discover: false, retries: 0, ...clientAccess(access) });
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

export function renderStatus(view: ClusterView): string {
  const v = view as ClusterView & {
    raft?: { role: string; term: number; voters: string[] } | null;
    topology?: { phase: string; partitionsDone: number; partitionsTotal: number; keys: number };
    partitions?: number; replicas?: number;
  };
  const lines = [
    `node ${v.node}   epoch ${v.epoch}   leader ${v.leader ?? '(none)'}   partitions ${v.partitions ?? '?'}   replicas ${v.replicas ?? '?'}`,
  ];
  if (v.topology && v.topology.phase !== 'idle') {
    lines.push(`this node: ${v.topology.phase} ${v.topology.partitionsDone}/${v.topology.partitionsTotal} partitions, ${v.topology.keys} keys`);
  }
  const voters = new Set(v.raft?.voters ?? []);
  const rows = [['ID', 'STATUS', 'ALIVE', 'PARTITIONS', 'VOTER', 'PEER', 'HTTP', 'ZONE']];
  for (const m of v.members) {
    rows.push([m.id, m.status, m.alive ? 'up' : 'DOWN', String(m.partitions), voters.has(m.id) ? 'yes' : '', m.peer, m.http, m.zone ?? '']);
  }
  lines.push('', table(rows));
  return lines.join('\n');
}

/** `ringkv cluster health`: the verdict, its reasons, then the counts behind it. */
export function renderHealth(h: ClusterHealth): string {
  const lines = [`${h.verdict.toUpperCase()}   (node ${h.node}, epoch ${h.epoch}, leader ${h.leader ?? '(none)'})`];
  for (const r of h.reasons) lines.push(`  - ${r}`);
  const n = h.nodes;
  const p = h.partitions;
  lines.push('', table([
    ['NODES', `${n.total} total`, `${n.up} up`, `${n.suspect} suspect`, `${n.down} down`, `${n.joining} joining`, `${n.leaving} leaving`, `${n.stale} stale`],
    ['PARTITIONS', `${p.total} total`, `${p.fullyReplicated} full`, `${p.underReplicated} under-replicated`, `${p.belowRead} below R`, `${p.belowWrite} below W`, `${p.unavailable} unavailable`, ''],
  ]));
  lines.push('', `transfers in flight ${h.transfers.inFlight}   hints ${h.hints.count} (${h.hints.bytes} bytes${h.hints.oldestAgeMs !== null ? `, oldest ${Math.round(h.hints.oldestAgeMs / 1000)} s` : ''})   oldest anti-entropy round ${h.antiEntropy.oldestRoundAgeMs === null ? '-' : `${Math.round(h.antiEntropy.oldestRoundAgeMs / 1000)} s`}`);
  if (h.stale.length > 0) lines.push(`stale (did not answer in time): ${h.stale.join(', ')}`);
  return lines.join('\n');
}

/** The exit code of `cluster health`: 0 unless some partition is below its write quorum. */
export function healthExitCode(h: ClusterHealth): number {
  return h.verdict === 'unavailable' ? 1 : 0;
}

export function clusterCommand(y: Argv): Argv {
  return y.command('cluster', 'Cluster status and membership changes (against --endpoint)', (c) => {
    const common = (b: Argv) => accessOptions(b
      .option('endpoint', { type: 'string', default: process.env.RINGKV_ENDPOINT ?? DEFAULT_ENDPOINT, describe: 'The node to ask (env RINGKV_ENDPOINT)' })
      .option('timeout', { type: 'number', default: 15_000, describe: 'Request timeout in ms' }));
    return c
      .command('status', 'Members, their status and liveness, epoch and leader', (b) => common(b).option('json', { type: 'boolean', describe: 'Print the raw JSON' }),
        async (argv) => {
          const access = readAccess(argv);
          const view = await reportFailure(access, () => nodeClient(argv, access).cluster());
          if (view) console.log(argv.json ? JSON.stringify(view, null, 2) : renderStatus(view));
        })
      .command('health', 'The cluster\'s verdict (healthy, degraded, unavailable) with reasons and counts; exits 1 when unavailable', (b) => common(b).option('json', { type: 'boolean', describe: 'Print the raw JSON' }),
        async (argv) => {
          const access = readAccess(argv);
          const health = await reportFailure(access, () => nodeClient(argv, access).health());
          if (!health) return;
          console.log(argv.json ? JSON.stringify(health, null, 2) : renderHealth(health));
          if (healthExitCode(health) !== 0) process.exitCode = healthExitCode(health);
        })
      .command('ring', 'Ownership of partitions: per member, and per partition with --partitions', (b) => common(b)
        .option('partitions', { type: 'boolean', describe: 'List every partition with its replicas' })
        .option('json', { type: 'boolean', describe: 'Print the raw JSON' }),
      async (argv) => {
        const access = readAccess(argv);
        const ring = await reportFailure(access, () => nodeClient(argv, access).ring());
        if (!ring) return;
        if (argv.json) {
          console.log(JSON.stringify(ring, null, 2));
          return;
        }
        const per = new Map<string, { primary: number; replica: number }>();
        for (const p of ring.partitions) {
          p.replicas.forEach((id, i) => {
            const e = per.get(id) ?? { primary: 0, replica: 0 };
            if (i === 0) e.primary++;
            else e.replica++;
            per.set(id, e);
          });
        }
        const held = ring.partitions[0]?.replicas.length ?? 0;
        console.log(`epoch ${ring.epoch}   ${ring.partitions.length} partitions   N=${ring.replicas}${held < ring.replicas ? ` (each partition on ${held}: fewer members than N)` : ""}`);
        console.log(table([['MEMBER', 'PRIMARY', 'OTHER REPLICAS', 'TOTAL'], ...[...per].sort().map(([id, e]) => [id, String(e.primary), String(e.replica), String(e.primary + e.replica)])]));
        if (argv.partitions) {
          console.log('');
          console.log(table([['PARTITION', 'REPLICAS (primary first)'], ...ring.partitions.map((p) => [String(p.partition), p.replicas.join(', ')])]));
        }
      })
      .command('join', 'The node at --endpoint (fresh, alone, empty) joins the cluster of --seeds', (b) => common(b)
        .option('seeds', { type: 'string', demandOption: true, describe: 'Peer addresses of the cluster to join, comma separated' }),
      async (argv) => {
        const seeds = String(argv.seeds).split(',').map((s) => s.trim()).filter(Boolean);
        if (seeds.length === 0) throw new UsageError('--seeds needs at least one HOST:PORT');
        const access = readAccess(argv);
        const ok = await reportFailure(access, () => nodeClient(argv, access).join(seeds));
        if (ok !== undefined || process.exitCode !== 1) console.error('join started; follow it with `ringkv cluster status`');
      })
      .command('leave', 'The node at --endpoint decommissions itself (streams its partitions away, then leaves)', (b) => common(b)
        .option('wait', { type: 'boolean', default: false, describe: 'Wait until the node has left, printing progress' }),
      async (argv) => {
        const access = readAccess(argv);
        const client = nodeClient(argv, access);
        const res = await reportFailure(access, () => client.leave());
        if (!res) return;
        console.error(`decommission started (epoch ${res.epoch})`);
        if (!argv.wait) return;
        for (;;) {
          await new Promise((r) => setTimeout(r, 500));
          // Transient failures (the node busy handing over) are waited out; a refused token is not.
          let refused: unknown;
          const view = (await client.cluster().catch((err: unknown) => {
            if (isRingkvClientError(err) && AUTH_ERROR_CODES.includes(err.code)) refused = err;
            return undefined;
          })) as (ClusterView & { topology?: { phase: string; partitionsDone: number; partitionsTotal: number; hintsPending?: number } }) | undefined;
          if (refused) {
            await reportFailure(access, () => Promise.reject(refused));
            return;
          }
          if (!view) continue;
          const t = view.topology;
          if (t?.phase === 'left') {
            console.error('the node has left the cluster and can be stopped');
            return;
          }
          if (t?.phase === 'handing-over-hints') console.error(`  handing over hints${t.hintsPending ? ` (${t.hintsPending} not placed yet)` : ''}`);
          else if (t) console.error(`  ${t.phase}: ${t.partitionsDone}/${t.partitionsTotal} partitions`);
        }
      })
      .command('remove <id>', 'Drop a dead node from the cluster; survivors re-replicate its partitions', (b) => common(b).positional('id', { type: 'string' })
        .option('force', {
          type: 'boolean', default: false,
          describe: 'Remove even a node the cluster still hears, or while a previous change is being caught up on (both refused otherwise)',
        }),
        async (argv) => {
          const access = readAccess(argv);
          const res = await reportFailure(access, () => nodeClient(argv, access).changeMembership({ op: 'remove', id: String(argv.id), ...(argv.force ? { force: true } : {}) }));
          if (res) console.error(`removed ${argv.id} (epoch ${res.epoch})`);
        })
      .demandCommand(1, 'a cluster subcommand is required');
  });
}
