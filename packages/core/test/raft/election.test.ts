import { expect, test } from '@jest/globals';
import { MessageType } from '../../src/raft/messages.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import { MemoryRaftStorage } from '../../src/raft/storage.js';
import { TestCluster } from './harness.js';
import { drain, msgs, newNode, storageWith, tickUntilCampaign } from './unit-helpers.js';

const V3 = ['a', 'b', 'c'];

test('follower -> pre-candidate -> candidate -> leader, with pre-vote not bumping the term', () => {
  const a = newNode('a', storageWith(V3, [1], { term: 1 }));
  tickUntilCampaign(a);
  expect(a.status()).toMatchObject({ role: 'preCandidate', term: 1, vote: null });
  const pre = msgs(a);
  expect(pre.map((m) => [m.type, m.to, m.term])).toEqual([
    [MessageType.PreVote, 'b', 2],
    [MessageType.PreVote, 'c', 2],
  ]);
  a.step({ type: MessageType.PreVoteResp, term: 2, from: 'b', to: 'a' });
  expect(a.status()).toMatchObject({ role: 'candidate', term: 2, vote: 'a' });
  const votes = msgs(a);
  expect(votes.map((m) => [m.type, m.to, m.term, m.index, m.logTerm])).toEqual([
    [MessageType.Vote, 'b', 2, 1, 1],
    [MessageType.Vote, 'c', 2, 1, 1],
  ]);
  a.step({ type: MessageType.VoteResp, term: 2, from: 'c', to: 'a' });
  expect(a.status()).toMatchObject({ role: 'leader', term: 2, leader: 'a' });
  const rd = drain(a);
  expect(rd.entries).toEqual([{ term: 2, index: 2, type: 'normal', data: new Uint8Array(0) }]);
  expect(rd.messages.filter((m) => m.type === MessageType.App).map((m) => m.to)).toEqual(['b', 'c']);
});

test('randomized election timeout lies in [electionTicks, 2*electionTicks)', () => {
  for (let seed = 1; seed < 40; seed++) {
    const n = newNode('a', storageWith(V3, [1]), { rng: (() => { let x = seed / 40; return () => (x = (x * 7.3) % 1); })() });
    let ticks = 0;
    while (n.status().role === 'follower' && ticks < 100) { n.tick(); ticks++; }
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(ticks).toBeLessThan(20);
  }
});

test('pre-candidate that loses the pre-vote returns to follower at the same term', () => {
  const a = newNode('a', storageWith(V3, [1], { term: 1 }));
  tickUntilCampaign(a);
  a.step({ type: MessageType.PreVoteResp, term: 1, from: 'b', to: 'a', reject: true });
  a.step({ type: MessageType.PreVoteResp, term: 1, from: 'c', to: 'a', reject: true });
  expect(a.status()).toMatchObject({ role: 'follower', term: 1 });
});

test.each<[string, string, RaftMessage, boolean]>([
  ['leader', 'App', { type: MessageType.App, term: 9, from: 'b', to: 'a', index: 0, logTerm: 0 }, true],
  ['leader', 'Heartbeat', { type: MessageType.Heartbeat, term: 9, from: 'b', to: 'a' }, true],
  ['leader', 'Vote (lease expired on a leader does not apply)', { type: MessageType.Vote, term: 9, from: 'b', to: 'a', index: 9, logTerm: 9 }, false],
  ['candidate', 'AppResp', { type: MessageType.AppResp, term: 9, from: 'b', to: 'a' }, false],
])('a %s steps down on a higher-term %s', (role, _kind, m, learnsLeader) => {
  const a = newNode('a', storageWith(V3, [1], { term: 1 }), { preVote: false, checkQuorum: false });
  tickUntilCampaign(a);
  if (role === 'leader') a.step({ type: MessageType.VoteResp, term: 2, from: 'b', to: 'a' });
  drain(a);
  a.step(m);
  expect(a.status()).toMatchObject({ role: 'follower', term: 9, leader: learnsLeader ? 'b' : null });
});

// Voter 'a' has a log ending at (index 2, term 2).
test.each<[string, number, number, boolean]>([
  ['higher last term', 1, 3, true],
  ['same term, longer log', 3, 2, true],
  ['same term, same length', 2, 2, true],
  ['same term, shorter log', 1, 2, false],
  ['lower last term, longer log', 5, 1, false],
])('vote rule, candidate log with %s: granted=%s', (_name, index, logTerm, granted) => {
  for (const type of [MessageType.Vote, MessageType.PreVote]) {
    const a = newNode('a', storageWith(V3, [1, 2], { term: 2 }));
    a.step({ type, term: 3, from: 'b', to: 'a', index, logTerm });
    const [resp] = msgs(a);
    expect(resp.type).toBe(type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp);
    expect(!resp.reject).toBe(granted);
    // A pre-vote never changes term or vote.
    if (type === MessageType.PreVote) expect(a.status()).toMatchObject({ term: 2, vote: null });
    else expect(a.status()).toMatchObject({ term: 3, vote: granted ? 'b' : null });
  }
});

test('one vote per term: a second candidate is refused, the first may ask again', () => {
  const a = newNode('a', storageWith(V3, [1], { term: 1 }));
  a.step({ type: MessageType.Vote, term: 2, from: 'b', to: 'a', index: 1, logTerm: 1 });
  a.step({ type: MessageType.Vote, term: 2, from: 'c', to: 'a', index: 1, logTerm: 1 });
  a.step({ type: MessageType.Vote, term: 2, from: 'b', to: 'a', index: 1, logTerm: 1 });
  expect(msgs(a).map((m) => [m.to, !!m.reject])).toEqual([['b', false], ['c', true], ['b', false]]);
});

test('vote survives a restart (persisted in HardState)', () => {
  const s = storageWith(V3, [1], { term: 1 });
  const a = newNode('a', s);
  a.step({ type: MessageType.Vote, term: 2, from: 'b', to: 'a', index: 1, logTerm: 1 });
  const rd = drain(a, s);
  expect(rd.hardState).toEqual({ term: 2, vote: 'b', commit: 0 });
  const a2 = newNode('a', s);
  a2.step({ type: MessageType.Vote, term: 2, from: 'c', to: 'a', index: 1, logTerm: 1 });
  expect(msgs(a2)[0].reject).toBe(true);
});

test('check-quorum: an isolated leader steps down after an election timeout', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  expect(c.leader()).toBe('a');
  c.isolate('a');
  // Peers that answered during the election count as active for the first round: at most two
  // election timeouts.
  for (let i = 0; i < 20; i++) c.tick('a');
  c.stabilize();
  expect(c.node('a').status()).toMatchObject({ role: 'follower', leader: null });
});

test('check-quorum: a leader hearing from a quorum stays', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  c.isolate('c');
  for (let i = 0; i < 30; i++) { c.tick('a'); c.stabilize(); }
  expect(c.node('a').status().role).toBe('leader');
});

test('leader lease: a follower with a live leader ignores higher-term (pre)votes, unless a transfer', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  const b = c.node('b');
  const term = b.status().term;
  for (const type of [MessageType.PreVote, MessageType.Vote]) {
    b.step({ type, term: term + 5, from: 'c', to: 'b', index: 100, logTerm: 100 });
    expect(msgs(b)).toEqual([]);
    expect(b.status()).toMatchObject({ term, leader: 'a' });
  }
  b.step({ type: MessageType.Vote, term: term + 5, from: 'c', to: 'b', index: 100, logTerm: 100, transfer: true });
  expect(msgs(b).map((m) => [m.type, !!m.reject])).toEqual([[MessageType.VoteResp, false]]);
  expect(b.status()).toMatchObject({ term: term + 5, vote: 'c' });
});

test('leader lease expires after an election timeout without the leader', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  const b = c.node('b');
  const term = b.status().term;
  for (let i = 0; i < 10; i++) b.tick();
  drain(b);
  b.step({ type: MessageType.PreVote, term: term + 1, from: 'c', to: 'b', index: 100, logTerm: 100 });
  expect(msgs(b).map((m) => [m.type, !!m.reject])).toEqual([[MessageType.PreVoteResp, false]]);
});

test('a partitioned node rejoining does not disrupt the leader (pre-vote keeps its term)', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  const term = c.node('a').status().term;
  c.isolate('c');
  for (let i = 0; i < 100; i++) { c.tick('c'); c.stabilize(); }
  expect(c.node('c').status().term).toBe(term);
  c.heal();
  c.tickAll(5);
  expect(c.leader()).toBe('a');
  expect(c.node('a').status().term).toBe(term);
});

test('a stale leader learns the new term from a follower answer and steps down', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  c.isolate('a');
  // Only b and c see time pass: a keeps believing it leads.
  const newLeader = (): string | undefined => ['b', 'c'].find((id) => c.node(id).status().role === 'leader');
  for (let i = 0; i < 50 && !newLeader(); i++) { c.tick('b'); c.tick('c'); c.stabilize(); }
  const nl = newLeader() as string;
  expect(nl).toBeDefined();
  const old = c.node('a');
  expect(old.status().role).toBe('leader');
  c.heal();
  c.tick('a');
  c.stabilize();
  expect(old.status()).toMatchObject({ role: 'follower', term: c.node(nl).status().term });
  c.tick(nl);
  c.stabilize();
  expect(old.status().leader).toBe(nl);
});

test('learners never campaign and their votes do not count', () => {
  const s = storageWith(['a', 'b'], [1], { term: 1 }, ['l']);
  const l = newNode('l', storageWith(['a', 'b'], [1], { term: 1 }, ['l']));
  for (let i = 0; i < 100; i++) l.tick();
  expect(l.status().role).toBe('follower');
  expect(msgs(l)).toEqual([]);
  const a = newNode('a', s, { preVote: false });
  tickUntilCampaign(a);
  expect(msgs(a).map((m) => m.to)).toEqual(['b']); // no vote request to the learner
  a.step({ type: MessageType.VoteResp, term: 2, from: 'l', to: 'a' });
  expect(a.status().role).toBe('candidate');
  a.step({ type: MessageType.VoteResp, term: 2, from: 'b', to: 'a' });
  expect(a.status().role).toBe('leader');
});

test('a single voter elects itself and commits at once', () => {
  const s = MemoryRaftStorage.bootstrap(['solo']);
  const n = newNode('solo', s);
  tickUntilCampaign(n);
  expect(n.status()).toMatchObject({ role: 'leader', term: 2 });
  const res = n.propose(new Uint8Array([42]));
  expect(res).toMatchObject({ ok: true, index: 3, term: 2 });
  const rd = drain(n, s);
  expect(rd.committedEntries.map((e) => e.index)).toEqual([2, 3]);
});
