// Fuzzing the admin API of real processes (issue 14, item 10): a 3-node cluster takes random JSON
// bodies (commands with one field wrong, random JSON, non-JSON bytes, huge bodies, every content
// type) on POST /cluster/changes and /cluster/join, wrong methods on every admin route and GETs
// of /cluster/* paths that are no route (constructor, __proto__, ...). Each answer is the status
// the API documents, with a JSON error body for every 4xx; never a 5xx, and no node restarts.
// Afterwards a valid membership change still commits, and again after every node restarted (the
// regression for "one admin request halts Raft for good": a committed bad entry is replayed at
// restart, and here every refused command of the fuzz went through the Raft log).
//
// What the fuzz must not do is wreck its own cluster, so a command the reference (peer-specs.ts)
// finds valid is made harmless before it is sent, and then expected to be refused (409) after it
// went through Raft: an `add` is given n1's peer address (taken), and a command naming a real
// member (n1..n3) names "ghost" instead (no member). POST /cluster/leave is always valid (it has
// no body to get wrong, and decommissions the node it is sent to), so it goes to a fourth node
// running alone, where "the last normal member cannot leave" refuses it (409).
//
// CI runs RUNS cases with seed 14 (RINGKV_FUZZ_RUNS, RINGKV_FUZZ_SEED; a failure prints the
// command that replays it).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { ADMIN_BODY_MAX_BYTES } from '../../packages/server/src/http/admin-bodies.js';
import {
  address, arr, badArb, membershipCommandSpec, obj, refValid, validArb, type Spec,
} from '../../packages/server/test/protocol/peer-specs.js';
import { startCluster } from '../support/cluster.js';
import { REPLAYING_ONE_CASE, checkProperty } from '../support/fuzz.js';
import { pollUntil } from '../support/poll.js';
import { rawRequest, type RawRequest, type RawResponse } from '../support/raw-http.js';
import { E2E_SECRET, makeNode, stopAll, type NodeProcess } from '../support/processes.js';
import { freePorts } from '../support/free-port.js';

const FILE = 'test/fuzz/admin-api.fuzz.test.ts';
/** Admin requests in the fuzz (RINGKV_FUZZ_RUNS overrides). */
const RUNS = 2000;
/** Full checks every this many cases (after the one case when replaying a counterexample). */
const CHECK_EVERY = REPLAYING_ONE_CASE ? 1 : 25;

interface View {
  epoch: number;
  leader: string | null;
  members: { id: string; peer: string; http: string; zone: string | null; status: string }[];
}

let nodes: NodeProcess[];
let solo: NodeProcess;
let pids: Map<NodeProcess, number>;
const statuses = new Map<string, number>();
const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);

const view = async (n: NodeProcess): Promise<View> => (await fetch(`${n.url}/cluster`)).json() as Promise<View>;
/** The membership as the log defines it (liveness and clock fields left out: they move). */
const membership = async (n: NodeProcess) => {
  const v = await view(n);
  return { epoch: v.epoch, members: v.members.map(({ id, peer, http, zone, status }) => ({ id, peer, http, zone, status })) };
};
const all = () => [...nodes, solo];
const memberIds = () => nodes.map((n) => n.opts.id);

function expectSameProcesses(): void {
  for (const n of all()) {
    expect({ node: n.opts.id, running: n.running, pid: n.child?.pid }).toEqual({ node: n.opts.id, running: true, pid: pids.get(n) });
  }
}

/** A membership change through the API; resolves with the epoch it committed. */
async function commit(n: NodeProcess, cmd: object): Promise<number> {
  const res = await fetch(`${n.url}/cluster/changes`, { method: 'POST', body: JSON.stringify(cmd) });
  const body = (await res.json()) as { epoch?: number; error?: unknown };
  expect([JSON.stringify(cmd), res.status]).toEqual([JSON.stringify(cmd), 200]);
  return body.epoch!;
}

/** Every node of the cluster serves `epoch`, with n's zone as given. */
async function expectEverywhere(epoch: number, id: string, zone: string | null): Promise<void> {
  for (const n of nodes) {
    await pollUntil(`${n.opts.id} at epoch ${epoch} with ${id} in zone ${zone}`, async () => {
      const v = await view(n);
      return v.epoch === epoch && v.members.find((m) => m.id === id)?.zone === zone;
    }, { timeoutMs: 15_000 });
  }
}

/** A setZone there and back: two commits, the epoch up by one each. */
async function expectChangesCommit(id: string, zone: string): Promise<void> {
  const before = (await view(nodes[0]!)).epoch;
  const e1 = await commit(nodes[1]!, { op: 'setZone', id, zone });
  expect(e1).toBe(before + 1);
  await expectEverywhere(e1, id, zone);
  const e2 = await commit(nodes[2]!, { op: 'setZone', id, zone: null });
  expect(e2).toBe(before + 2);
  await expectEverywhere(e2, id, null);
}

beforeAll(async () => {
  const [soloHttp, soloPeer] = await freePorts(2);
  // Unknown RINGKV_ variables are ignored (with a warning) by a node without that option.
  const env = { RINGKV_ADMIN_REQUESTS_PER_SECOND: '100000' };
  solo = await makeNode({ id: 'solo', httpPort: soloHttp, peerPort: soloPeer, seeds: [`127.0.0.1:${soloPeer}`], secret: E2E_SECRET, env });
  solo.start();
  [nodes] = await Promise.all([startCluster({ size: 3, env }), solo.waitReady()]);
  pids = new Map(all().map((n) => [n, n.child!.pid!]));
  await pollUntil('a leader', async () => (await view(nodes[0]!)).leader ?? undefined);
}, 60_000);

afterAll(async () => {
  if (statuses.size) console.log(`admin fuzz: answers ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  await stopAll();
});

/** A 4xx answer with the documented error body. */
function expectErrorBody(res: RawResponse, what: string): { code: string; message: string; param?: string } {
  expect([what, res.headers['content-type']]).toEqual([what, 'application/json']);
  const parsed = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown; param?: string } };
  expect([what, typeof parsed.error?.code, typeof parsed.error?.message]).toEqual([what, 'string', 'string']);
  return parsed.error as { code: string; message: string; param?: string };
}

const post = (n: NodeProcess, path: string, body: string) => rawRequest(n.opts.httpPort, { method: 'POST', path, body: Buffer.from(body), headers: { 'content-type': 'application/json' } });

describe('the cases of issue 14', () => {
  test('POST /cluster/changes with member.zone a number is refused with 400 and Raft keeps committing', async () => {
    const before = (await view(nodes[0]!)).epoch;
    for (const n of nodes) {
      const res = await post(n, '/cluster/changes', JSON.stringify({ op: 'add', member: { id: 'n9', peer: '127.0.0.1:1', http: '127.0.0.1:2', zone: 7 } }));
      expect(res.status).toBe(400);
      expect(expectErrorBody(res, 'zone a number')).toMatchObject({ code: 'INVALID_PARAMETER', param: 'member.zone' });
    }
    expect((await view(nodes[0]!)).epoch).toBe(before);
    await expectChangesCommit('n3', 'zone-a');
    expect((await view(nodes[0]!)).members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
  });

  test('/cluster/constructor is 404, {"op": "__proto__"} is 400', async () => {
    for (const path of ['/cluster/constructor', '/cluster/__proto__', '/cluster/toString', '/cluster/hasOwnProperty', '/cluster/prototype']) {
      const res = await rawRequest(nodes[0]!.opts.httpPort, { method: 'GET', path });
      expect([path, res.status]).toEqual([path, 404]);
      expect(expectErrorBody(res, path).code).toBe('NO_SUCH_ROUTE');
    }
    for (const op of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const res = await post(nodes[0]!, '/cluster/changes', JSON.stringify({ op, id: 'n1' }));
      expect([op, res.status]).toEqual([op, 400]);
      expect(expectErrorBody(res, op)).toMatchObject({ code: 'INVALID_PARAMETER', param: 'op' });
    }
    const proto = await post(nodes[0]!, '/cluster/changes', '{"__proto__": {"op": "leave", "id": "n1"}}');
    expect(proto.status).toBe(400);
    expect((await view(nodes[0]!)).members.every((m) => m.status === 'normal')).toBe(true);
  });
});

// ---- the fuzz ----

const commandSpec = membershipCommandSpec({ removeForce: true });
const joinSpec: Spec = obj({ seeds: arr(address, 1, 64) }, { closed: true });
/**
 * Plain values only (no BigInt, Date, Map, typed arrays): what JSON.stringify turns into JSON.
 * Some change on the way (NaN becomes null, a Buffer an object): the verdict is taken on the
 * JSON the node parses, never on the value generated.
 */
const jsonSafe = { wire: true };

interface AdminCase {
  target: number;
  method: string;
  /** Route or path under /cluster. */
  path: string;
  query: string;
  contentType: string | undefined;
  body: { k: 'json'; value: unknown } | { k: 'text'; text: string } | { k: 'bytes'; bytes: Uint8Array } | { k: 'declared'; bytes: number } | { k: 'stream'; bytes: number } | { k: 'none' };
}

const ROUTES: Record<string, string[]> = {
  '/cluster': ['GET'], '/cluster/ring': ['GET'], '/cluster/anti-entropy': ['GET'],
  '/cluster/changes': ['POST'], '/cluster/join': ['POST'], '/cluster/leave': ['POST'],
  // The console's views (GET and HEAD) and its plan preview (POST, changes nothing).
  '/cluster/health': ['GET', 'HEAD'], '/cluster/nodes': ['GET', 'HEAD'], '/cluster/partitions': ['GET', 'HEAD'],
  '/cluster/transfers': ['GET', 'HEAD'], '/cluster/traffic': ['GET', 'HEAD'], '/cluster/plan': ['POST'],
};
const CONSOLE_VIEWS = ['/cluster/health', '/cluster/nodes', '/cluster/partitions', '/cluster/transfers', '/cluster/traffic'];
const KNOWN_SUFFIXES = ['', 'ring', 'anti-entropy', 'changes', 'join', 'leave', 'health', 'nodes', 'partitions', 'transfers', 'traffic', 'plan'];
const unknownPath = fc.oneof(
  fc.constantFrom('constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'prototype', 'ring/', 'changes/x',
    'anti-entropy/0', '..', '%2e%2e', 'CHANGES', 'leave/', 'x'.repeat(2000)),
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
).filter((s) => !KNOWN_SUFFIXES.includes(s)).map((s) => `/cluster/${s}`);

const commandBody = fc.oneof(
  { arbitrary: badArb(commandSpec, jsonSafe)!, weight: 12 },
  { arbitrary: validArb(commandSpec), weight: 5 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  { arbitrary: fc.dictionary(fc.constantFrom('op', 'id', 'member', 'zone', 'peer', 'http', 'force', '__proto__'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), weight: 2 },
);
const joinBody = fc.oneof({ arbitrary: badArb(joinSpec, jsonSafe)!, weight: 4 }, { arbitrary: validArb(joinSpec), weight: 1 }, fc.jsonValue({ maxDepth: 2 }));
const otherBody: fc.Arbitrary<AdminCase['body']> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 80 }).map((text) => ({ k: 'text' as const, text })), weight: 3 }, // mostly not JSON
  { arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ k: 'bytes' as const, bytes })), weight: 3 },
  { arbitrary: fc.constantFrom('', ' ', 'null', '[]', '\ufeff{"op":"leave","id":"ghost"}', '{"op":"leave","id":"ghost"', '{"op":"leave","id":"ghost"}x', '{"op":"setZone","id":"ghost","zone":null,"op":"__proto__"}').map((text) => ({ k: 'text' as const, text })), weight: 2 },
  { arbitrary: fc.constantFrom(ADMIN_BODY_MAX_BYTES + 1, 10 * 1024 * 1024).map((bytes) => ({ k: 'declared' as const, bytes })), weight: 1 },
  { arbitrary: fc.constant({ k: 'stream' as const, bytes: ADMIN_BODY_MAX_BYTES + 16 * 1024 }), weight: 1 },
  { arbitrary: fc.constant({ k: 'text' as const, text: JSON.stringify({ op: 'setZone', id: 'ghost', zone: 'z'.repeat(ADMIN_BODY_MAX_BYTES - 50) }) }), weight: 1 },
  { arbitrary: fc.constant({ k: 'none' as const }), weight: 1 },
);
const jsonOf = (a: fc.Arbitrary<unknown>) => a.map((value) => ({ k: 'json' as const, value }));

const adminCase: fc.Arbitrary<AdminCase> = fc.record({
  target: fc.nat({ max: 2 }),
  route: fc.oneof(
    { arbitrary: fc.constant('/cluster/changes'), weight: 12 },
    { arbitrary: fc.constant('/cluster/plan'), weight: 4 },
    { arbitrary: fc.constantFrom(...CONSOLE_VIEWS), weight: 2 },
    { arbitrary: fc.constant('/cluster/join'), weight: 3 },
    { arbitrary: fc.constant('/cluster/leave'), weight: 2 },
    { arbitrary: fc.constantFrom('/cluster', '/cluster/ring', '/cluster/anti-entropy'), weight: 2 },
    { arbitrary: unknownPath, weight: 2 },
  ),
  rightMethod: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
  wrongMethod: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST'),
  query: fc.oneof({ arbitrary: fc.constant(''), weight: 6 }, fc.constantFrom('?x=1', '?op=leave&id=n1', '?__proto__[x]=1', '?'), fc.string({ maxLength: 10 }).map((s) => `?${encodeURIComponent(s)}`)),
  contentType: fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', '*/*'),
  kind: fc.oneof({ arbitrary: fc.constant('fitting'), weight: 4 }, { arbitrary: fc.constant('other'), weight: 1 }),
}).chain((c) => {
  const method = c.rightMethod && ROUTES[c.route] ? ROUTES[c.route]![0]! : c.wrongMethod;
  const fitting = c.route === '/cluster/changes' || c.route === '/cluster/plan' ? jsonOf(commandBody) : c.route === '/cluster/join' ? jsonOf(joinBody) : otherBody;
  const body = c.kind === 'fitting' ? fitting : otherBody;
  return body.map((b) => ({ target: c.target, method, path: c.route, query: c.query, contentType: c.contentType, body: b }));
});

/**
 * A valid command made harmless: an add gets n1's peer address (taken), a command naming a real
 * member names "ghost" instead. Refused either way, after it went through Raft.
 */
function harmless(cmd: Record<string, unknown>): Record<string, unknown> {
  if (cmd.op === 'add') return { ...cmd, member: { ...(cmd.member as object), peer: nodes[0]!.peer } };
  return memberIds().includes(cmd.id as string) ? { ...cmd, id: 'ghost' } : cmd;
}

/** The request to send and the status it must get. */
function plan(c: AdminCase): { req: RawRequest; node: NodeProcess; expected: number; alsoExpected?: number; what: string } {
  const path = c.path;
  // POST /cluster/leave decommissions the node it reaches: only the lone node gets it.
  const node = path === '/cluster/leave' && c.method === 'POST' ? solo : nodes[c.target]!;
  const headers: Record<string, string> = c.contentType ? { 'content-type': c.contentType } : {};
  const req: RawRequest = { method: c.method, path: `${path}${c.query}`, headers };
  let text: string | undefined;
  const b = c.body;
  if (b.k === 'json') text = JSON.stringify(b.value) ?? 'undefined';
  else if (b.k === 'text') text = b.text;
  if (b.k === 'bytes') req.body = Buffer.from(b.bytes);
  else if (b.k === 'declared') req.declaredOnly = b.bytes;
  else if (b.k === 'stream') req.streamBytes = b.bytes;
  const allowed = ROUTES[path];
  let expected: number;
  let alsoExpected: number | undefined;
  let what: string;
  if (!allowed) [expected, what] = [404, 'no such route'];
  else if (!allowed.includes(c.method)) [expected, what] = [405, 'method not allowed'];
  else if (c.method === 'GET' || c.method === 'HEAD') [expected, what] = [200, 'a view'];
  else if (path === '/cluster/leave') [expected, what] = [409, 'the last member cannot leave'];
  else if (b.k === 'declared' || b.k === 'stream') [expected, what] = [413, 'too large'];
  else if (Buffer.byteLength(text ?? '') > ADMIN_BODY_MAX_BYTES) [expected, what] = [413, 'too large'];
  else {
    let parsed: unknown;
    let isJson = true;
    const raw = text ?? (b.k === 'bytes' ? Buffer.from(b.bytes).toString('utf8') : '');
    try {
      parsed = JSON.parse(raw);
    } catch {
      isJson = false;
    }
    const spec = path === '/cluster/changes' || path === '/cluster/plan' ? commandSpec : joinSpec;
    if (!isJson) [expected, what] = [400, 'not JSON'];
    else if (!refValid(spec, parsed)) [expected, what] = [400, 'invalid body'];
    else if (path === '/cluster/plan') {
      // A valid change is planned (200) or refused as the change itself would be (409); the
      // membership check below finds that nothing was changed either way.
      [expected, what] = [200, 'a plan (or refused as the change would be), nothing changed'];
      alsoExpected = 409;
    } else {
      if (path === '/cluster/changes') text = JSON.stringify(harmless(parsed as Record<string, unknown>));
      // A valid join is refused: these nodes belong to a cluster already.
      [expected, what] = [409, path === '/cluster/changes' ? 'valid, made harmless: refused' : 'join of a member: refused'];
    }
  }
  if (text !== undefined && !req.body) req.body = Buffer.from(text);
  // A body over the limit is declared, not sent: the node must refuse it from its Content-Length
  // (sending it would race the node's close of the connection).
  if (req.body && req.body.length > ADMIN_BODY_MAX_BYTES) {
    req.declaredOnly = req.body.length;
    delete req.body;
  }
  return { req, node, expected, ...(alsoExpected !== undefined ? { alsoExpected } : {}), what };
}

let fuzzCases = 0;

/**
 * Sends a request; one the node sheds (503 OVERLOADED with Retry-After, before it looks at the
 * request: the admin rate limit) is sent again until it is taken. The nodes run with a high
 * admin rate (RINGKV_ADMIN_REQUESTS_PER_SECOND) so this is rare: the fuzz is about bodies.
 */
async function sendUnlessShed(n: NodeProcess, req: RawRequest): Promise<RawResponse> {
  return pollUntil(`${req.method} ${req.path} taken, not shed`, async () => {
    const res = await rawRequest(n.opts.httpPort, req);
    if (res.status === 503 && res.headers['retry-after'] !== undefined && /"code":"OVERLOADED"/.test(res.body)) {
      count('503 shed, sent again');
      return undefined;
    }
    return res;
  }, { timeoutMs: 15_000, intervalMs: 100 });
}

describe('fuzzed admin requests', () => {
  test('every admin route answers random bodies, methods and paths with the documented 4xx (or 2xx), never a 5xx, and no node restarts', async () => {
    const before = await membership(nodes[0]!);
    await checkProperty(fc.asyncProperty(adminCase, async (c) => {
      const p = plan(c);
      const res = await sendUnlessShed(p.node, p.req);
      count(`${res.status} ${p.what}`);
      const label = `${p.req.method} ${p.req.path} (${p.what})`;
      if (res.status !== p.expected && res.status !== p.alsoExpected) {
        const sent = { ...p.req, body: p.req.body ? `${p.req.body.length} bytes: ${p.req.body.subarray(0, 200).toString('utf8')}` : undefined };
        throw new Error(`${label}: expected ${p.expected}, got ${res.status} ${res.body.slice(0, 300)}\nsent: ${JSON.stringify(sent)}`);
      }
      if (res.status >= 400 && p.req.method !== 'HEAD') expectErrorBody(res, label);
      if (res.status === 200 && p.req.method === 'GET') expect(() => JSON.parse(res.body)).not.toThrow();
      if (res.status === 405) expect(res.headers.allow).toBe(ROUTES[c.path]!.join(', '));
      expectSameProcesses();
      if (++fuzzCases % CHECK_EVERY === 0) {
        for (const n of all()) expect((await fetch(`${n.url}/health`)).status).toBe(200);
        // Every command was refused: the membership did not move.
        expect(await membership(nodes[c.target]!)).toEqual(before);
      }
    }), { runs: RUNS, file: FILE, test: 'every admin route answers random bodies, methods and paths with the documented 4xx (or 2xx), never a 5xx, and no node restarts', noShrink: true });
    expectSameProcesses();
    for (const n of nodes) expect(await membership(n)).toEqual(before);
    // No error or fatal line (a 5xx is logged at error level).
    for (const n of all()) expect([n.opts.id, n.output.split('\n').filter((l) => /"level":(50|60)\b/.test(l))]).toEqual([n.opts.id, []]);
  }, 240_000);

  test('afterwards a valid membership change commits', async () => {
    await expectChangesCommit('n1', 'z1');
    // The lone node, whose log holds every refused leave, commits too.
    const e = (await view(solo)).epoch;
    expect(await commit(solo, { op: 'setZone', id: 'solo', zone: 'z1' })).toBe(e + 1);
  });

  test('after a restart of every node a valid change still commits and the epoch keeps rising', async () => {
    // Entries core cannot apply in the log, to be replayed at the restart: as of this writing an
    // address whose port is above 65535 passes the API's schema (see the issue 14 regression test
    // in peer-protocol.property.test.ts) and is committed, then refused when applied (409); once
    // the edge refuses it, it is a 400 and never reaches the log.
    for (const cmd of [
      { op: 'add', member: { id: 'n9', peer: '127.0.0.1:65536', http: '127.0.0.1:1' } },
      { op: 'setAddress', id: 'n1', peer: nodes[0]!.peer, http: '127.0.0.1:99999' },
    ]) {
      const res = await post(nodes[1]!, '/cluster/changes', JSON.stringify(cmd));
      expect([JSON.stringify(cmd), [400, 409].includes(res.status)]).toEqual([JSON.stringify(cmd), true]);
      count(`${res.status} an address core refuses`);
    }
    expect((await membership(nodes[0]!)).members.map((m) => [m.id, m.http])).toEqual(nodes.map((n) => [n.opts.id, `127.0.0.1:${n.opts.httpPort}`]));
    const before = (await view(nodes[0]!)).epoch;
    const soloBefore = (await view(solo)).epoch;
    for (const n of all()) await n.kill('SIGTERM');
    for (const n of all()) expect([n.opts.id, n.exitCode]).toEqual([n.opts.id, 0]);
    for (const n of all()) n.start();
    await Promise.all(all().map((n) => n.waitReady(30_000)));
    for (const n of nodes) await pollUntil(`${n.opts.id} back at epoch ${before}`, async () => (await view(n)).epoch === before && (await view(n)).leader !== null, { timeoutMs: 20_000 });
    await expectChangesCommit('n2', 'z2');
    expect((await view(nodes[0]!)).epoch).toBe(before + 2);
    expect(await commit(solo, { op: 'setZone', id: 'solo', zone: null })).toBe(soloBefore + 1);
    const leave = await rawRequest(solo.opts.httpPort, { method: 'POST', path: '/cluster/leave', body: Buffer.from('{"x":1}') });
    expect(leave.status).toBe(409);
    await Promise.all(all().map((n) => n.kill('SIGTERM')));
  }, 120_000);
});
