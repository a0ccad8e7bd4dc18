import { expect, test } from '@jest/globals';
import { MessageType } from '../../src/raft/messages.js';
import { MemoryRaftStorage } from '../../src/raft/storage.js';
import { TestCluster, enc } from './harness.js';
import { drain, msgs, newNode, storageWith, tickUntilCampaign } from './unit-helpers.js';

const V3 = ['a', 'b', 'c'];

/** Makes `node` leader of term `term`+1 by handing it pre-votes and votes. */
function makeLeader(node: ReturnType<typeof newNode>, voters: string[]): void {
  tickUntilCampaign(node);
  const others = voters.filter((v) => v !== node.id);
  const t = node.status().term + 1;
  node.step({ type: MessageType.PreVoteResp, term: t, from: others[0], to: node.id });
  node.step({ type: MessageType.VoteResp, term: t, from: others[0], to: node.id });
  expect(node.status().role).toBe('leader');
}

test('append truncates a conflicting uncommitted suffix; Ready says from which index', () => {
  const s = storageWith(V3, [1, 2, 2, 2], { term: 2, commit: 1 });
  const b = newNode('b', s);
  b.step({
    type: MessageType.App, term: 3, from: 'c', to: 'b', index: 1, logTerm: 1, commit: 1,
    entries: [{ term: 3, index: 2, type: 'normal', data: enc('x') }, { term: 3, index: 3, type: 'normal', data: enc('y') }],
  });
  const rd = drain(b, s);
  expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[2, 3], [3, 3]]);
  expect(s.entries().map((e) => e.term)).toEqual([1, 3, 3]);
  expect(rd.messages).toEqual([{ type: MessageType.AppResp, term: 3, from: 'b', to: 'c', index: 3 }]);
  expect(b.status()).toMatchObject({ lastIndex: 3, leader: 'c', term: 3 });
});

test('a duplicate or reordered old append never truncates newer matching entries', () => {
  const s = storageWith(V3, [1], { term: 1 });
  const b = newNode('b', s);
  const e2 = { term: 2, index: 2, type: 'normal' as const, data: enc('x') };
  const e3 = { term: 2, index: 3, type: 'normal' as const, data: enc('y') };
  b.step({ type: MessageType.App, term: 2, from: 'a', to: 'b', index: 1, logTerm: 1, commit: 0, entries: [e2, e3] });
  b.step({ type: MessageType.App, term: 2, from: 'a', to: 'b', index: 1, logTerm: 1, commit: 0, entries: [e2] });
  drain(b, s);
  expect(b.status().lastIndex).toBe(3);
});

test.each<[string, number[], number, number, number, number]>([
  // follower log, leader prev (index, term) -> reject hint (index, term)
  ['shorter log', [1, 1], 5, 3, 2, 1],
  ['higher terms skipped', [1, 1, 4, 4, 4], 5, 3, 2, 1],
  ['term at index is lower', [1, 2, 2, 2, 2], 5, 3, 5, 2],
])('reject hint: %s', (_n, log, index, logTerm, hintIndex, hintTerm) => {
  const b = newNode('b', storageWith(V3, log, { term: 5 }));
  b.step({ type: MessageType.App, term: 5, from: 'a', to: 'b', index, logTerm, commit: 0, entries: [] });
  expect(msgs(b)[0]).toMatchObject({ reject: true, index, rejectHint: hintIndex, logTerm: hintTerm });
});

test('fast backtracking: a long divergent follower log is fixed in one rejection', () => {
  const c = new TestCluster([]);
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  c.add('a', storageWith(V3, leaderLog, { term: 6 }));
  c.add('b', storageWith(V3, [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3], { term: 3 }));
  c.add('c', storageWith(V3, leaderLog, { term: 6 }));
  c.elect('a');
  expect(c.leader()).toBe('a');
  const rejects = c.delivered.filter((m) => m.type === MessageType.AppResp && m.reject && m.from === 'b');
  expect(rejects.length).toBe(1);
  expect(c.storages.get('b')?.entries().map((e) => e.term)).toEqual([...leaderLog, 7]);
});

test('Figure 8: a leader does not commit an old-term entry by counting, only under its own', () => {
  const a = newNode('a', storageWith(V3, [1, 2], { term: 3 }));
  makeLeader(a, V3);
  expect(a.status()).toMatchObject({ term: 4, lastIndex: 3 });
  drain(a);
  a.step({ type: MessageType.AppResp, term: 4, from: 'b', to: 'a', index: 2 });
  expect(a.status().commit).toBe(0); // index 2 (term 2) is on a majority but is not ours
  a.step({ type: MessageType.AppResp, term: 4, from: 'b', to: 'a', index: 3 });
  expect(a.status().commit).toBe(3);
  expect(drain(a).committedEntries.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 2], [3, 4]]);
});

test('heartbeats carry commit only up to what the follower is known to hold', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  c.isolate('c');
  c.node('a').propose(enc('x'));
  c.stabilize();
  c.heal();
  c.node('a').tick();
  const hb = drain(c.node('a')).messages.filter((m) => m.type === MessageType.Heartbeat);
  const a = c.node('a').status();
  expect(hb.find((m) => m.to === 'b')?.commit).toBe(a.commit);
  expect(hb.find((m) => m.to === 'c')?.commit).toBeLessThan(a.commit);
});

test('replication: proposals commit and apply everywhere, in order', () => {
  const c = new TestCluster(V3);
  c.elect('b');
  for (const v of ['x', 'y', 'z']) expect(c.node('b').propose(enc(v)).ok).toBe(true);
  c.stabilize();
  for (const id of V3) expect(c.appliedData(id)).toEqual(['x', 'y', 'z']);
});

test('a follower refuses proposals and names the leader', () => {
  const c = new TestCluster(V3);
  c.elect('b');
  const res = c.node('a').propose(enc('x'));
  expect(res.ok).toBe(false);
  if (!res.ok) expect(res.error).toMatchObject({ code: 'RAFT_NOT_LEADER', leader: 'b', retryable: true });
});

test('snapshot: a follower behind the leader\'s compacted log gets MsgSnapshot and catches up', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  c.isolate('c');
  for (let i = 0; i < 5; i++) c.node('a').propose(enc(`v${i}`));
  c.stabilize();
  const a = c.node('a');
  const idx = a.status().applied;
  const snap = a.compact(idx, enc('state@' + idx));
  c.storages.get('a')?.compact(snap);
  expect(a.status()).toMatchObject({ snapshotIndex: idx, firstIndex: idx + 1 });
  c.heal();
  c.tickAll(3);
  const sent = c.delivered.filter((m) => m.type === MessageType.Snapshot && m.to === 'c');
  expect(sent.length).toBeGreaterThanOrEqual(1);
  expect(sent[0].snapshot?.metadata).toMatchObject({ index: idx, confState: { voters: V3, learners: [] } });
  expect(c.storages.get('c')?.snapshot().metadata.index).toBe(idx);
  expect(c.node('c').status()).toMatchObject({ commit: a.status().commit, applied: a.status().commit });
  a.propose(enc('after'));
  c.stabilize();
  expect(c.appliedData('c')).toEqual(['after']);
});

test('compact refuses an index beyond applied and is a no-op below the snapshot', () => {
  const c = new TestCluster(['a']);
  c.elect('a');
  const a = c.node('a');
  expect(() => a.compact(a.status().applied + 1, enc(''))).toThrow(RangeError);
  expect(a.compact(0, enc('')).metadata.index).toBe(1);
});

test('restart: hard state, log and configuration come back from storage', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  c.node('a').propose(enc('x'));
  c.node('a').propose(enc('y'));
  c.stabilize();
  const before = c.node('b').status();
  const b = c.restart('b');
  expect(b.status()).toMatchObject({ term: before.term, commit: before.commit, lastIndex: before.lastIndex, config: before.config, role: 'follower' });
  c.stabilize();
  // The application replays committed entries after its snapshot.
  expect(c.appliedData('b')).toEqual(['x', 'y']);
});

test('restart after compaction starts from the snapshot', () => {
  const s = MemoryRaftStorage.bootstrap(['solo']);
  const n = newNode('solo', s);
  tickUntilCampaign(n);
  n.propose(enc('a'));
  n.propose(enc('b'));
  drain(n, s);
  s.compact(n.compact(3, enc('snap')));
  n.propose(enc('c'));
  drain(n, s);
  const n2 = newNode('solo', s);
  expect(n2.status()).toMatchObject({ snapshotIndex: 3, applied: 3, commit: 5, lastIndex: 5 });
  expect(drain(n2).committedEntries.map((e) => e.index)).toEqual([4, 5]);
});

test('a crash loses what was not persisted; the leader re-sends it after the restart', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  c.node('a').propose(enc('x'));
  c.handleReady('a');
  for (const m of c.queue.filter((q) => q.to === 'c')) c.node('c').step(m);
  expect(c.node('c').status().lastIndex).toBe(c.node('a').status().lastIndex);
  const persisted = c.storages.get('c')?.lastIndex();
  const c2 = c.restart('c'); // c's Ready with the entry was never handled
  expect(c2.status().lastIndex).toBe(persisted);
  c.stabilize();
  c.tickAll(2);
  expect(c.appliedData('c')).toEqual(['x']);
});
