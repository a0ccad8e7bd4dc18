import { expect, test } from '@jest/globals';
import { MessageType } from '../../src/raft/messages.js';
import { TestCluster, enc } from './harness.js';
import { drain, newNode, storageWith } from './unit-helpers.js';

const V3 = ['a', 'b', 'c'];

test('add a learner, it follows the log without voting, then promote it', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  const a = c.node('a');
  a.propose(enc('x'));
  c.add('d');
  expect(a.proposeConfChange({ type: 'addLearner', node: 'd' }).ok).toBe(true);
  c.stabilize();
  c.tickAll(2);
  expect(a.status().config).toEqual({ voters: V3, learners: ['d'] });
  expect(c.node('d').status().config).toEqual({ voters: V3, learners: ['d'] });
  expect(c.appliedData('d')).toEqual(['x']);
  // A learner never campaigns.
  c.isolate('a');
  for (let i = 0; i < 50; i++) c.tick('d');
  c.stabilize();
  expect(c.node('d').status().role).toBe('follower');
  c.heal();
  c.tickAll(1);
  expect(a.proposeConfChange({ type: 'addVoter', node: 'd' }).ok).toBe(true);
  c.stabilize();
  for (const id of ['a', 'b', 'c', 'd']) expect(c.node(id).status().config).toEqual({ voters: ['a', 'b', 'c', 'd'], learners: [] });
});

test('only one conf change in flight, and none before the leader commits in its term', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  const a = c.node('a');
  c.isolate('b');
  c.isolate('c');
  expect(a.proposeConfChange({ type: 'addLearner', node: 'd' })).toMatchObject({ ok: true });
  const second = a.proposeConfChange({ type: 'addLearner', node: 'e' });
  expect(second.ok).toBe(false);
  if (!second.ok) expect(second.error.code).toBe('RAFT_CONF_CHANGE_PENDING');
  c.heal();
  c.tickAll(1);
  expect(a.proposeConfChange({ type: 'addLearner', node: 'e' }).ok).toBe(true);
  // A fresh leader waits for its first entry to commit.
  const s = storageWith(V3, [1], { term: 1 });
  const n = newNode('a', s);
  for (let i = 0; i < 30 && n.status().role === 'follower'; i++) n.tick();
  n.step({ type: MessageType.PreVoteResp, term: 2, from: 'b', to: 'a' });
  n.step({ type: MessageType.VoteResp, term: 2, from: 'b', to: 'a' });
  const res = n.proposeConfChange({ type: 'addLearner', node: 'd' });
  expect(res.ok).toBe(false);
  if (!res.ok) expect(res.error.code).toBe('RAFT_CONF_CHANGE_PENDING');
});

test.each<[string, { type: 'addVoter' | 'addLearner' | 'removeNode'; node: string }]>([
  ['add an existing voter', { type: 'addVoter', node: 'b' }],
  ['add a voter as learner', { type: 'addLearner', node: 'b' }],
  ['remove a stranger', { type: 'removeNode', node: 'z' }],
  ['empty id', { type: 'addVoter', node: '' }],
])('invalid conf change refused: %s', (_n, cc) => {
  const c = new TestCluster(V3);
  c.elect('a');
  const res = c.node('a').proposeConfChange(cc);
  expect(res.ok).toBe(false);
  if (!res.ok) expect(res.error).toMatchObject({ code: 'RAFT_INVALID_CONF_CHANGE', retryable: false });
});

test('removing the leader: it steps down once the removal commits, the rest elect a new one', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  const a = c.node('a');
  expect(a.proposeConfChange({ type: 'removeNode', node: 'a' }).ok).toBe(true);
  c.stabilize();
  expect(a.status()).toMatchObject({ role: 'follower', config: { voters: ['b', 'c'], learners: [] } });
  c.isolate('a');
  c.tickAll(40);
  const l = c.leader();
  expect(['b', 'c']).toContain(l);
  expect(c.node(l as string).propose(enc('after')).ok).toBe(true);
  c.stabilize();
  expect(c.appliedData('b')).toContain('after');
  expect(c.node('b').status().config.voters).toEqual(['b', 'c']);
});

test('removing a voter shrinks the quorum: two of three down, remove one, the pair commits again', () => {
  const c = new TestCluster(['a', 'b', 'c', 'd']);
  c.elect('a');
  c.isolate('d');
  expect(c.node('a').proposeConfChange({ type: 'removeNode', node: 'd' }).ok).toBe(true);
  c.stabilize();
  c.isolate('c');
  // Voters are a, b, c now: a and b are a majority.
  expect(c.node('a').propose(enc('x')).ok).toBe(true);
  c.stabilize();
  expect(c.node('a').status().commit).toBe(c.node('a').status().lastIndex);
});

test('conf changes are replayed on restart', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  c.node('a').proposeConfChange({ type: 'addLearner', node: 'd' });
  c.stabilize();
  c.tickAll(1);
  expect(c.restart('c').status().config).toEqual({ voters: V3, learners: ['d'] });
});

test('leadership transfer: the target catches up, gets TimeoutNow, wins the next term', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  const term = c.node('a').status().term;
  c.isolate('c');
  c.node('a').propose(enc('x'));
  c.stabilize();
  c.heal();
  expect(c.node('a').transferLeadership('c')).toEqual({ ok: true });
  const during = c.node('a').propose(enc('y'));
  expect(during.ok).toBe(false);
  if (!during.ok) expect(during.error.code).toBe('RAFT_LEADER_TRANSFER_IN_PROGRESS');
  c.stabilize();
  c.tickAll(1);
  expect(c.delivered.some((m) => m.type === MessageType.TimeoutNow && m.to === 'c')).toBe(true);
  expect(c.leader()).toBe('c');
  expect(c.node('c').status().term).toBe(term + 1);
  expect(c.node('a').status()).toMatchObject({ role: 'follower', leader: 'c' });
});

test('leadership transfer to a learner or as a follower is refused; an unfinished one is abandoned', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  expect(c.node('b').transferLeadership('c').ok).toBe(false);
  const bad = c.node('a').transferLeadership('zz');
  expect(bad.ok).toBe(false);
  if (!bad.ok) expect(bad.error.code).toBe('RAFT_INVALID_TRANSFER_TARGET');
  c.isolate('c');
  expect(c.node('a').transferLeadership('c').ok).toBe(true);
  c.tickAll(10);
  expect(c.node('a').status()).toMatchObject({ role: 'leader', leadTransferee: null });
  expect(c.node('a').propose(enc('ok')).ok).toBe(true);
});

test('a joiner with empty storage receives the bootstrap snapshot', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  c.add('d');
  c.node('a').proposeConfChange({ type: 'addLearner', node: 'd' });
  c.stabilize();
  c.tickAll(2);
  expect(c.delivered.some((m) => m.type === MessageType.Snapshot && m.to === 'd')).toBe(true);
  expect(c.node('d').status()).toMatchObject({ config: { voters: V3, learners: ['d'] }, leader: 'a' });
  expect(c.node('d').status().commit).toBe(c.node('a').status().commit);
});

test('status on the leader reports progress per peer', () => {
  const c = new TestCluster(V3);
  c.elect('a');
  const st = c.node('a').status();
  expect(Object.keys(st.progress ?? {})).toEqual(V3);
  expect(st.progress?.b).toMatchObject({ match: st.lastIndex, state: 'replicate', isLearner: false });
  expect(c.node('b').status().progress).toBeUndefined();
  drain(c.node('a'));
});
