// The pure helpers of the gossip service: the liveness verdict, the table kept inside the
// membership, and the wire bodies.
import { describe, expect, test } from '@jest/globals';
import { Packr } from 'msgpackr';
import {
  createMemberTable,
  DEFAULT_PHI_OPTIONS,
  gossipDigest,
  isMemberAlive,
  mergeDigest,
  PhiAccrualDetector,
  type MemberEntry,
} from '@ringkv/core';
import { detectorOptionsFor, isPeerUp, suspicionDelayMs, type VerdictInput } from '../../src/liveness/gossip-evidence.js';
import { admitEntries, isPlaceholder, outgoingEntries, syncTable, type GossipMember } from '../../src/liveness/gossip-membership.js';
import { highestEpochClaim, plainDigest } from '../../src/liveness/gossip-wire.js';
import { PeerProtocol } from '../../src/protocol/peer-protocol.js';
import { cloneThroughWire } from '../../src/peer/frame-codec.js';
import { PeerMessageType } from '../../src/peer/message-types.js';

const OPTS = { failureGraceMs: 2000, okWindowMs: 2000, unknownGraceMs: 7000 };
const NOW = 100_000;

describe('isPeerUp', () => {
  test.each<[string, Partial<VerdictInput>, boolean]>([
    ['gossip alive, nothing else', { gossipAlive: true, lastAdvanceMs: NOW - 500 }, true],
    ['gossip down, nothing else', { gossipAlive: false, lastAdvanceMs: NOW - 9000 }, false],
    ['failure just after a recent advance: gossip outvotes it', { gossipAlive: true, lastAdvanceMs: NOW - 1000, evidence: { lastFailMs: NOW - 100 } }, true],
    ['failure after an advance older than the grace', { gossipAlive: true, lastAdvanceMs: NOW - 2500, evidence: { lastFailMs: NOW - 100 } }, false],
    ['failure before the last advance is old news', { gossipAlive: true, lastAdvanceMs: NOW - 3000, evidence: { lastFailMs: NOW - 4000 } }, true],
    ['a success after the failure wins', { gossipAlive: false, lastAdvanceMs: NOW - 9000, evidence: { lastFailMs: NOW - 500, lastOkMs: NOW - 100 } }, true],
    ['success and failure in the same ms: success wins', { gossipAlive: false, evidence: { lastFailMs: NOW, lastOkMs: NOW } }, true],
    ['a recent success keeps a phi-down peer up', { gossipAlive: false, lastAdvanceMs: NOW - 9000, evidence: { lastOkMs: NOW - 1500 } }, true],
    ['an old success does not', { gossipAlive: false, lastAdvanceMs: NOW - 9000, evidence: { lastOkMs: NOW - 2500 } }, false],
    ['never heard from, within the grace', { gossipAlive: false, listedSinceMs: NOW - 6000 }, true],
    ['never heard from, grace over', { gossipAlive: false, listedSinceMs: NOW - 7000 }, false],
    ['never heard from, one failure ends the grace', { gossipAlive: false, listedSinceMs: NOW - 10, evidence: { lastFailMs: NOW - 5 } }, false],
  ])('%s', (_name, input, expected) => {
    expect(isPeerUp({ gossipAlive: false, listedSinceMs: NOW, nowMs: NOW, ...input }, OPTS)).toBe(expected);
  });
});

describe('suspicionDelayMs and detectorOptionsFor', () => {
  test('is the first ms at which a detector that beat once says down', () => {
    const ms = suspicionDelayMs(DEFAULT_PHI_OPTIONS);
    const d = new PhiAccrualDetector(DEFAULT_PHI_OPTIONS);
    d.heartbeat(0);
    expect(d.isAvailable(ms - 1)).toBe(true);
    expect(d.isAvailable(ms)).toBe(false);
    // mean 1 s + pause 4 s + ~5.2 deviations of 0.5 s (member-table's comment: ~7.6 s).
    expect(ms).toBeGreaterThan(7000);
    expect(ms).toBeLessThan(8000);
  });

  test('scales with the interval and takes the threshold from the config', () => {
    const half = detectorOptionsFor(DEFAULT_PHI_OPTIONS, 500, 8);
    expect(Math.abs(suspicionDelayMs(half) - suspicionDelayMs(DEFAULT_PHI_OPTIONS) / 2)).toBeLessThanOrEqual(1);
    expect(suspicionDelayMs(detectorOptionsFor(DEFAULT_PHI_OPTIONS, 1000, 12))).toBeGreaterThan(suspicionDelayMs(DEFAULT_PHI_OPTIONS));
    expect(detectorOptionsFor(DEFAULT_PHI_OPTIONS, 1000, 8)).toEqual(DEFAULT_PHI_OPTIONS);
  });
});

const listed = (...ids: string[]): Map<string, GossipMember> =>
  new Map(ids.map((id) => [id, { id, peer: `${id}:1`, http: `${id}:2`, status: 'normal' as const }]));

const entry = (id: string, heartbeat: number, extra: Partial<MemberEntry> = {}): MemberEntry => ({
  id, peer: `${id}:1`, http: `${id}:2`, incarnation: 1_700_000_000_000, heartbeat, status: 'normal', epoch: 1, ...extra,
});

const me = () => createMemberTable({ id: 'a', peer: 'a:1', http: 'a:2', incarnation: 1_700_000_000_000, epoch: 1 });

describe('the table inside the membership', () => {
  test('syncTable adds placeholders for listed members, forgets unlisted ones, takes self status', () => {
    let t = mergeDigest(me(), [entry('x', 3)], 0).state;
    t = syncTable(t, listed('a', 'b', 'c'), 10);
    expect([...t.members.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(isPlaceholder(t.members.get('b') as MemberEntry)).toBe(true);
    expect(t.members.get('a')?.status).toBe('normal');
    expect(isPlaceholder(t.members.get('a') as MemberEntry)).toBe(false);
  });

  test('admitEntries keeps listed members and self, and drops malformed ones', () => {
    const t = syncTable(me(), listed('a', 'b'), 0);
    const { admitted } = admitEntries(t, [entry('b', 1), entry('z', 1), { id: 'b' }, entry('a', 99)], listed('a', 'b'));
    expect(admitted.map((e) => e.id)).toEqual(['b', 'a']);
  });

  test('the first real entry replacing a placeholder is "first heard", not a sign of life', () => {
    let t = syncTable(me(), listed('a', 'b'), 0);
    const first = admitEntries(t, [entry('b', 5)], listed('a', 'b'));
    t = mergeDigest(first.table, first.admitted, 1000).state;
    expect(isMemberAlive(t, 'b', 1000)).toBe(false);
    const second = admitEntries(t, [entry('b', 6)], listed('a', 'b'));
    t = mergeDigest(second.table, second.admitted, 2000).state;
    expect(isMemberAlive(t, 'b', 2000)).toBe(true);
  });

  test('placeholders are not sent', () => {
    const t = syncTable(me(), listed('a', 'b'), 0);
    expect(outgoingEntries(gossipDigest(t).members).map((e) => e.id)).toEqual(['a']);
  });
});

const protocol = new PeerProtocol({ partitions: 64, maxKeyBytes: 1024, maxValueBytes: 1024 });
const gossipRequestBody = (digest: { from: string; members: MemberEntry[] }) => ({ type: PeerMessageType.Gossip, digest: plainDigest(digest) });

describe('gossip bodies on the wire', () => {
  test('every field of every entry survives the msgpack round trip and the decoder, as numbers and strings', () => {
    const members = [entry('a', 2 ** 40, { zone: 'eu-1', epoch: 7 }), entry('b', 0, { incarnation: 2 ** 52, status: 'leaving' }), entry('c', 1)];
    const back = cloneThroughWire(gossipRequestBody({ from: 'a', members }));
    const msg = protocol.decodeRequest(back) as { type: number; digest: { from: string; members: unknown[] } };
    expect(msg.type).toBe(PeerMessageType.Gossip);
    const digest = protocol.decodeDigest(msg.digest);
    expect(digest).toEqual({ from: 'a', members, dropped: 0 });
    for (const e of digest.members) {
      expect(typeof e.incarnation).toBe('number');
      expect(typeof e.heartbeat).toBe('number');
    }
    expect('zone' in (digest.members[2] ?? {})).toBe(false);
  });

  test.each([
    [{ type: 20 }],
    [{ type: 20, digest: null }],
    [{ type: 20, digest: { from: '', members: [] } }],
    [{ type: 20, digest: { from: 'a', members: {} } }],
    [{ type: 20, digest: { from: { toString: 1 }, members: [] } }],
  ])('the decoder refuses the digest %j', (body) => {
    expect(() => protocol.decodeRequest(body)).toThrow(expect.objectContaining({ code: 'PEER_BAD_MESSAGE' }));
  });

  test('a malformed entry is dropped alone: the rest of the digest counts', () => {
    const good = entry('a', 1);
    const digest = protocol.decodeDigest({ from: 'a', members: [good, { ...good, id: 'x\u0000y' }, { ...good, heartbeat: -1 }, { ...good, status: 'gone' }, null] });
    expect(digest).toEqual({ from: 'a', members: [good], dropped: 4 });
  });

  test('highestEpochClaim names the member with the highest epoch among well-formed entries', () => {
    const members = [entry('a', 1, { epoch: 2 }), { id: 'x', epoch: 99 }, entry('b', 1, { epoch: 5 })] as MemberEntry[];
    expect(highestEpochClaim({ from: 'a', members })).toEqual({ id: 'b', peer: 'b:1', epoch: 5 });
    expect(highestEpochClaim({ from: 'a', members: [] })).toBeUndefined();
  });

  test('digest size for the figures: bytes of one message at 100 and 1000 members', () => {
    const packr = new Packr({ useRecords: false });
    const sizes: Record<number, number> = {};
    for (const n of [100, 1000]) {
      const members = Array.from({ length: n }, (_, i) => ({
        ...entry(`node-${String(i).padStart(4, '0')}`, 86_400 + i, { zone: `zone-${i % 3}` }),
        peer: `10.0.${i >> 8}.${i & 255}:7000`, http: `10.0.${i >> 8}.${i & 255}:8080`,
      }));
      sizes[n] = packr.pack(gossipRequestBody({ from: members[0].id, members })).length;
    }
    console.log(`gossip digest bytes: 100 members ${sizes[100]}, 1000 members ${sizes[1000]}`);
    expect(sizes[100]).toBeLessThan(20_000);
    expect(sizes[1000]).toBeLessThan(200_000);
  });
});
