// POST /cluster/plan with seeds (a fresh single node planning its join): the body's decoding, and
// planViaSeed against a fake peer RPC and a fake seed HTTP answer: the seed's plan is passed on as
// it came, with the operator's token; an unreachable seed is skipped for the next; a seed's
// refusal keeps its status and code; an answer that is not a plan, or the wrong node or op, is not
// passed on.
import { describe, expect, test } from '@jest/globals';
import type { MembershipCommand } from '@ringkv/core';
import { InvalidParameterError, NotReadyError } from '../../src/errors.js';
import { decodePlanBody } from '../../src/http/admin-bodies.js';
import { MembershipChangeRefusedError } from '../../src/membership/membership-errors.js';
import { planViaSeed, type PlanViaSeedDeps } from '../../src/console/plan-via-seed.js';

const member = { id: 'n4', peer: '127.0.0.1:7004', http: '127.0.0.1:8004' };
const add: MembershipCommand = { op: 'add', member };
const plan = {
  op: 'add', id: 'n4', epoch: 3, partitionsMoving: 2, copiesMoving: 2, bytesMoving: null,
  shares: { n1: { before: 0.5, after: 0.25 }, n4: { before: 0, after: 0.25 } }, moving: [{ partition: 1, gaining: ['n4'] }, { partition: 3, gaining: ['n4'] }],
};

interface Call { url: string; init: RequestInit }

function deps(answers: Record<string, { status: number; body: unknown } | Error>, pings: Record<string, string | Error>, calls: Call[] = []): PlanViaSeedDeps {
  return {
    selfId: 'n4', selfPeer: member.peer, members: [{ id: 'n4' }],
    rpc: {
      request: (async (seed: string) => {
        const http = pings[seed];
        if (http === undefined || http instanceof Error) throw http ?? new Error(`no answer from ${seed}`);
        return { type: 1, id: 'nX', peer: seed, http, partitions: 8, replicas: 2, epoch: 3 };
      }) as unknown as PlanViaSeedDeps['rpc']['request'],
    },
    fetch: (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const a = answers[url];
      if (!a || a instanceof Error) throw a ?? new Error('connection refused');
      return new Response(typeof a.body === 'string' ? a.body : JSON.stringify(a.body), { status: a.status });
    }) as unknown as typeof fetch,
  };
}

describe('decodePlanBody', () => {
  test('without seeds it is a change body; with seeds an add and its seeds', () => {
    expect(decodePlanBody({ op: 'remove', id: 'n3' })).toEqual({ cmd: { op: 'remove', id: 'n3' } });
    expect(decodePlanBody({ op: 'add', member, seeds: ['127.0.0.1:7001'] })).toEqual({ cmd: add, seeds: ['127.0.0.1:7001'] });
  });

  test.each([
    ['seeds with another op', { op: 'remove', id: 'n3', seeds: ['127.0.0.1:7001'] }, 'seeds'],
    ['an empty seed list', { op: 'add', member, seeds: [] }, 'seeds'],
    ['a seed that is not HOST:PORT', { op: 'add', member, seeds: ['not an address'] }, 'seeds'],
    ['seeds not a list', { op: 'add', member, seeds: '127.0.0.1:7001' }, 'seeds'],
    ['another unknown field', { op: 'add', member, seeds: ['127.0.0.1:7001'], extra: 1 }, 'extra'],
  ])('%s is a 400 naming the field', (_what, body, param) => {
    let err: unknown;
    try {
      decodePlanBody(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidParameterError);
    expect((err as InvalidParameterError).details.param).toBe(param);
  });
});

describe('planViaSeed', () => {
  test("the first seed that answers gives the plan, asked with the operator's token and the console's marks", async () => {
    const calls: Call[] = [];
    const d = deps({ 'http://127.0.0.1:8002/cluster/plan': { status: 200, body: plan } }, { '127.0.0.1:7001': new Error('down'), '127.0.0.1:7002': '127.0.0.1:8002' }, calls);
    const r = await planViaSeed(d, add, ['127.0.0.1:7004', '127.0.0.1:7001', '127.0.0.1:7002'], { authorization: 'Bearer t0k', secure: false });
    expect(r).toEqual({ status: 200, body: plan });
    expect(calls).toHaveLength(1);
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual(add);
    expect(calls[0]!.init.headers).toMatchObject({ authorization: 'Bearer t0k', 'x-ringkv-console': '1', 'content-type': 'application/json' });
  });

  test('https when this node serves TLS', async () => {
    const calls: Call[] = [];
    await planViaSeed(deps({ 'https://127.0.0.1:8001/cluster/plan': { status: 200, body: plan } }, { '127.0.0.1:7001': '127.0.0.1:8001' }, calls), add, ['127.0.0.1:7001'], { secure: true });
    expect(calls[0]!.url).toBe('https://127.0.0.1:8001/cluster/plan');
    expect(calls[0]!.init.headers).not.toHaveProperty('authorization');
  });

  test("a seed's refusal keeps its status and code", async () => {
    const refused = { error: { code: 'MEMBERSHIP_CHANGE_REFUSED', message: 'n4 is a member already' } };
    const r = await planViaSeed(deps({ 'http://127.0.0.1:8001/cluster/plan': { status: 409, body: refused } }, { '127.0.0.1:7001': '127.0.0.1:8001' }), add, ['127.0.0.1:7001'], { secure: false });
    expect(r).toEqual({ status: 409, body: { error: { code: 'MEMBERSHIP_CHANGE_REFUSED', message: 'seed 127.0.0.1:7001: n4 is a member already' } } });
  });

  test('answers that are not a plan are not passed on; with no seed left it is NOT_READY', async () => {
    const d = deps({
      'http://127.0.0.1:8001/cluster/plan': { status: 200, body: { ...plan, moving: 'all' } },
      'http://127.0.0.1:8002/cluster/plan': { status: 200, body: '<html>' },
      'http://127.0.0.1:8003/cluster/plan': new Error('ECONNREFUSED'),
    }, { '127.0.0.1:7001': '127.0.0.1:8001', '127.0.0.1:7002': '127.0.0.1:8002', '127.0.0.1:7003': '127.0.0.1:8003' });
    const err = await planViaSeed(d, add, ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'], { secure: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotReadyError);
    expect((err as Error).message).toMatch(/not a plan.*not JSON.*ECONNREFUSED/);
  });

  test('only a fresh single node, only its own add, never its own address as the seed', async () => {
    const ok = deps({}, {});
    await expect(planViaSeed({ ...ok, members: [{ id: 'n1' }, { id: 'n4' }] }, add, ['127.0.0.1:7001'], { secure: false })).rejects.toBeInstanceOf(MembershipChangeRefusedError);
    await expect(planViaSeed(ok, { op: 'add', member: { ...member, id: 'n5' } }, ['127.0.0.1:7001'], { secure: false })).rejects.toBeInstanceOf(InvalidParameterError);
    await expect(planViaSeed(ok, add, [member.peer], { secure: false })).rejects.toBeInstanceOf(InvalidParameterError);
  });
});
