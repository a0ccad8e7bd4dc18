// POST /cluster/plan with seeds, on a fresh single node: the plan of its own join. The node knows
// only itself and may not read another cluster's membership over the peer protocol (a non-member
// is answered a ping and may ask to be added, nothing else), so it asks a seed the way an operator
// would: a Ping (open to whoever proved the cluster secret) gives the seed's client address, and
// the seed's own POST /cluster/plan, with the operator's token, answers what the add would move
// there. The answer is decoded against the plan's schema (or the error body's) before it is passed
// on; nothing changes anywhere.
import { MembershipChangeRefusedError } from '../membership/membership-errors.js';
import { InvalidParameterError, NotReadyError } from '../errors.js';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import { ErrorCode, NodeId, SafeInt, Type, decoder } from '../protocol/schema-kit.js';
import type { MembershipCommand } from '@ringkv/core';

/** A plan of a ring of 65536 partitions with every one moving is about 3 MB of JSON. */
export const PLAN_REPLY_MAX_BYTES = 8 * 1024 * 1024;
/** The seed's plan asks its members for their parts (consoleRequestTimeoutMs) and computes two rings. */
export const PLAN_VIA_SEED_TIMEOUT_MS = 10_000;

const Share = Type.Number({ minimum: 0, maximum: 1 });
export const decodePlanReply = decoder(Type.Object({
  op: Type.Literal('add'), id: NodeId, epoch: SafeInt(), partitionsMoving: SafeInt(0, 65536), copiesMoving: SafeInt(0, 16 * 65536),
  bytesMoving: Type.Union([SafeInt(), Type.Null()]),
  shares: Type.Record(Type.String({ maxLength: 63 }), Type.Object({ before: Share, after: Share }), { maxProperties: 4096 }),
  moving: Type.Array(Type.Object({ partition: SafeInt(0, 65535), gaining: Type.Array(NodeId, { maxItems: 16 }) }), { maxItems: 65536 }),
}));
const decodeErrorReply = decoder(Type.Object({ error: Type.Object({ code: ErrorCode, message: Type.String({ maxLength: 4096 }) }) }));

export interface PlanViaSeedDeps {
  selfId: string;
  selfPeer: string;
  /** The members this node knows (a fresh node: itself alone). */
  members: readonly { id: string }[];
  rpc: Pick<PeerRpc, 'request'>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RelayedPlan {
  status: number;
  body: unknown;
}

/**
 * The seed's answer to the plan of `cmd` (an add of this node): 200 and the plan, or the seed's
 * refusal with its status and code. Throws NotReadyError when no seed answered.
 */
export async function planViaSeed(deps: PlanViaSeedDeps, cmd: MembershipCommand, seeds: readonly string[], request: { authorization?: string; secure: boolean }): Promise<RelayedPlan> {
  if (deps.members.length !== 1 || deps.members[0]!.id !== deps.selfId) {
    throw new MembershipChangeRefusedError(`this node already belongs to a cluster of ${deps.members.length} member(s); only a fresh single node plans its join through seeds`);
  }
  if (cmd.op !== 'add' || cmd.member.id !== deps.selfId) {
    throw new InvalidParameterError('with seeds, the plan is of this node joining: {"op":"add","member":{this node},"seeds":[...]}', { param: 'member' });
  }
  const others = seeds.filter((s) => s !== deps.selfPeer);
  if (others.length === 0) throw new InvalidParameterError('give the peer addresses of the cluster to join, not this node\'s own', { param: 'seeds' });
  const timeoutMs = deps.timeoutMs ?? PLAN_VIA_SEED_TIMEOUT_MS;
  const doFetch = deps.fetch ?? fetch;
  const failures: string[] = [];
  for (const seed of others) {
    let http: string;
    try {
      http = (await deps.rpc.request(seed, { type: T.Ping }, timeoutMs)).http;
    } catch (err) {
      failures.push(`${seed}: ${(err as Error).message}`);
      continue;
    }
    let status: number;
    let text: string;
    try {
      const res = await doFetch(`${request.secure ? 'https' : 'http'}://${http}/cluster/plan`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json', 'x-ringkv-console': '1', accept: 'application/json',
          ...(request.authorization ? { authorization: request.authorization } : {}),
        },
        body: JSON.stringify(cmd),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      status = res.status;
      text = await boundedText(res, PLAN_REPLY_MAX_BYTES);
    } catch (err) {
      failures.push(`${seed} (client address ${http}): ${(err as Error).message}`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      failures.push(`${seed} (client address ${http}): answered ${status} with a body that is not JSON`);
      continue;
    }
    if (status === 200 && decodePlanReply.check(json)) return { status, body: json };
    if (status >= 400 && status <= 599 && decodeErrorReply.check(json)) {
      return { status, body: { error: { code: json.error.code, message: `seed ${seed}: ${json.error.message}` } } };
    }
    failures.push(`${seed} (client address ${http}): answered ${status} with a body that is not a plan`);
  }
  throw new NotReadyError(`no seed answered the plan (${failures.join('; ').slice(0, 1000)})`);
}

/** The body as text, or an error past maxBytes (a seed's answer is read no further). */
async function boundedText(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new Error(`answer larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
