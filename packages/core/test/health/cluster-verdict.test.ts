// The console's verdicts as tables: a partition's health word, a member's liveness word, anti-entropy
// overdue, and the cluster verdict with its reasons (unavailable only below W).
import { describe, expect, test } from '@jest/globals';
import {
  antiEntropyOverdue, clusterVerdict, livenessWord, partitionHealth, partitionHealthWord, type ClusterVerdictInput,
} from '@ringkv/core';

const set = (ids: string) => new Set(ids.split(''));

describe('partitionHealthWord', () => {
  test.each([
    ['abc', 'abc', 2, 2, 'full'],
    ['abc', 'ab', 2, 2, 'under'],
    ['abc', 'a', 2, 2, 'belowWrite'], // below R too: the worst word wins
    ['abc', 'a', 1, 2, 'belowWrite'],
    ['abc', 'a', 2, 1, 'belowRead'],
    ['abc', '', 1, 1, 'unavailable'],
    ['a', 'a', 2, 2, 'full'], // quorums capped to the replicas a key has
  ])('list %s, up %j, R=%i W=%i: %s', (list, up, r, w, word) => {
    expect(partitionHealthWord(partitionHealth(list.split(''), r, w, set(up)))).toBe(word);
  });
});

describe('livenessWord', () => {
  test.each([
    [true, null, 'up'],
    [true, 99_999, 'up'], // the verdict decides: gossip plus direct evidence
    [false, 0, 'suspect'],
    [false, 29_999, 'suspect'],
    [false, 30_000, 'down'],
    [false, null, 'down'], // never heard
  ])('alive %s, heard %j ms ago (down after 30 s): %s', (alive, heartbeatAgeMs, word) => {
    expect(livenessWord({ alive, heartbeatAgeMs }, 30_000)).toBe(word);
  });
});

describe('antiEntropyOverdue', () => {
  // last success, since (start of rounds), now, interval -> overdue
  test.each([
    [null, 0, 3000, 1000, false],
    [null, 0, 3001, 1000, true],
    [2500, 0, 5000, 1000, false],
    [1000, 0, 5000, 1000, true],
    [1000, 4000, 5000, 1000, false], // a round before this process started counts from the start
  ])('last %j since %i now %i interval %i: %s', (last, since, now, interval, overdue) => {
    expect(antiEntropyOverdue(last, since, now, interval)).toBe(overdue);
  });
});

describe('clusterVerdict', () => {
  const healthy: ClusterVerdictInput = {
    nodes: { total: 3, up: 3, suspect: 0, down: 0, joining: 0, leaving: 0, stale: 0 },
    partitions: { total: 8, underReplicated: 0, belowRead: 0, belowWrite: 0, unavailable: 0 },
    transfersInFlight: 0, hints: { count: 0, bytes: 0 }, antiEntropyOverdue: 0,
  };
  const withNodes = (n: Partial<ClusterVerdictInput['nodes']>) => ({ ...healthy, nodes: { ...healthy.nodes, ...n } });
  const withParts = (p: Partial<ClusterVerdictInput['partitions']>) => ({ ...healthy, partitions: { ...healthy.partitions, ...p } });

  test.each<[string, ClusterVerdictInput, string, string[]]>([
    ['all full', healthy, 'healthy', []],
    ['one node suspect, partitions under', withParts({ underReplicated: 6 }), 'degraded', ['6 partitions are under-replicated']],
    ['a node down, stale', { ...withNodes({ up: 2, down: 1, stale: 1 }), partitions: { ...healthy.partitions, underReplicated: 6 } }, 'degraded',
      ['1 member is down', '1 member did not answer in time (stale)', '6 partitions are under-replicated']],
    ['below R only (R > W)', withParts({ underReplicated: 2, belowRead: 2 }), 'degraded', ['2 partitions are below the read quorum', '2 partitions are under-replicated']],
    ['below W', withParts({ underReplicated: 2, belowRead: 2, belowWrite: 2 }), 'unavailable',
      ['2 partitions are below the write quorum', '2 partitions are below the read quorum', '2 partitions are under-replicated']],
    ['no replica up', withParts({ underReplicated: 1, belowRead: 1, belowWrite: 1, unavailable: 1 }), 'unavailable',
      ['1 partition has no replica up', '1 partition is below the write quorum', '1 partition is below the read quorum', '1 partition is under-replicated']],
    ['a join streaming', { ...withNodes({ total: 4, joining: 1, up: 4 }), transfersInFlight: 3 }, 'degraded', ['1 member is joining', '3 partition streams are running']],
    ['hints queued', { ...healthy, hints: { count: 1, bytes: 40 } }, 'degraded', ['1 hint is queued (40 bytes)']],
    ['anti-entropy overdue', { ...healthy, antiEntropyOverdue: 1 }, 'degraded', ['anti-entropy is overdue on 1 partition']],
    ['suspect and leaving', withNodes({ suspect: 1, leaving: 1 }), 'degraded', ['1 member is suspect', '1 member is leaving']],
  ])('%s', (_name, input, verdict, reasons) => {
    expect(clusterVerdict(input)).toEqual({ verdict, reasons });
  });
});
