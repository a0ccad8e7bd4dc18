import { expect, test } from '@jest/globals';
import { MessageType } from '../../src/raft/messages.js';
import { MemoryRaftStorage } from '../../src/raft/storage.js';
import { enc } from './harness.js';
import { newNode, storageWith, tickUntilCampaign } from './unit-helpers.js';

test('ready() twice without advance() throws; advance() without ready() throws', () => {
  const n = newNode('a', storageWith(['a', 'b', 'c'], [1]));
  tickUntilCampaign(n);
  expect(n.hasReady()).toBe(true);
  n.ready();
  expect(n.hasReady()).toBe(false);
  expect(() => n.ready()).toThrow();
  n.advance();
  expect(() => n.advance()).toThrow();
});

test('a vote response rides in the same Ready as the HardState recording the vote', () => {
  const n = newNode('a', storageWith(['a', 'b', 'c'], [1], { term: 1 }));
  n.step({ type: MessageType.Vote, term: 2, from: 'b', to: 'a', index: 1, logTerm: 1 });
  const rd = n.ready();
  expect(rd.hardState).toEqual({ term: 2, vote: 'b', commit: 0 });
  expect(rd.messages.map((m) => m.type)).toEqual([MessageType.VoteResp]);
  n.advance();
  expect(n.hasReady()).toBe(false);
});

test('stepping between ready() and advance() lands in the next Ready', () => {
  const s = MemoryRaftStorage.bootstrap(['solo']);
  const n = newNode('solo', s);
  tickUntilCampaign(n);
  const rd1 = n.ready();
  n.propose(enc('x'));
  s.saveReady(rd1);
  n.advance();
  const rd2 = n.ready();
  expect(rd2.entries.map((e) => e.index)).toEqual([3]);
  expect(rd2.committedEntries.map((e) => e.index)).toEqual([3]);
  expect(rd1.committedEntries.map((e) => e.index)).toEqual([2]);
  n.advance();
  expect(n.status()).toMatchObject({ applied: 3, commit: 3 });
});

test('softState reports role and leader changes once', () => {
  const n = newNode('solo', MemoryRaftStorage.bootstrap(['solo']));
  tickUntilCampaign(n);
  const rd = n.ready();
  expect(rd.softState).toEqual({ leader: 'solo', role: 'leader' });
  n.advance();
  n.propose(enc('x'));
  expect(n.ready().softState).toBeUndefined();
});

test('options are validated', () => {
  const storage = new MemoryRaftStorage();
  const rng = (): number => 0;
  expect(() => newNode('', storage)).toThrow(TypeError);
  expect(() => newNode('a', storage, { electionTicks: 1, heartbeatTicks: 1 })).toThrow(TypeError);
  expect(() => newNode('a', storage, { heartbeatTicks: 0 })).toThrow(TypeError);
  expect(newNode('a', storage, { rng }).status()).toMatchObject({ term: 0, role: 'follower', config: { voters: [], learners: [] } });
});
