// Endpoints taken from a GET /cluster answer, and the client's discovery through it.
import { afterEach, describe, expect, test } from '@jest/globals';
import { endpointsFromCluster, type ClusterView } from '../src/discovery.js';
import { RingkvClient } from '../src/index.js';
import { pollUntil } from '../../../test/support/poll.js';
import { errorReply, fakeNodes, recordingSleep, type FakeNode } from './support/fake-node.js';

const member = (id: string, http: string, extra: Partial<ClusterView['members'][number]> = {}) =>
  ({ id, http, peer: `${id}:7171`, status: 'normal' as const, alive: true, partitions: 10, ...extra });
const view = (members: ClusterView['members']): ClusterView => ({ node: 'n1', epoch: 1, leader: null, members });

describe('endpointsFromCluster', () => {
  test('takes live members, sets dead ones apart, skips left and undialable ones', () => {
    const v = view([
      member('n1', '10.0.0.1:7070'),
      member('n2', 'ringkv-1.ringkv-peers.db.svc.cluster.local:7070', { alive: false }),
      member('n3', '10.0.0.3:7070', { status: 'left' }),
      member('n4', '0.0.0.0:7070'),
      member('n5', '[::1]:7070', { status: 'joining' }),
      member('n6', 'no-port'),
    ]);
    expect(endpointsFromCluster(v, 'http://10.0.0.1:7070')).toEqual({
      up: ['http://10.0.0.1:7070', 'http://[::1]:7070'],
      down: ['http://ringkv-1.ringkv-peers.db.svc.cluster.local:7070'],
    });
  });

  test('keeps the scheme of the node that answered', () => {
    expect(endpointsFromCluster(view([member('n1', 'a:1')]), 'HTTPS://seed:443').up).toEqual(['https://a:1']);
  });

  test('a malformed answer yields nothing', () => {
    expect(endpointsFromCluster({} as ClusterView, 'http://x')).toEqual({ up: [], down: [] });
  });
});

describe('discovery', () => {
  let nodes: FakeNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  test('refreshEndpoints adds the members the seed reports, and the client then uses them', async () => {
    nodes = await fakeNodes(3);
    const hostPort = (n: FakeNode) => n.url.replace('http://', '');
    nodes[0].reply((r) => (r.url === '/cluster'
      ? { status: 200, json: view(nodes.map((n, i) => member(`n${i + 1}`, hostPort(n)))) }
      : errorReply(503, 'SHUTTING_DOWN')));
    nodes[1].reply({ status: 204 });
    nodes[2].reply({ status: 204 });
    const client = new RingkvClient({ endpoints: nodes[0].url, sleep: recordingSleep().sleep });
    expect(await client.refreshEndpoints()).toEqual(nodes.map((n) => n.url));
    await client.put('a', '1');
    await client.put('b', '2');
    expect(nodes[1].received.length + nodes[2].received.length).toBe(2);
  });

  test('with discover on, the first call starts discovery in the background', async () => {
    nodes = await fakeNodes(2);
    const hostPort = (n: FakeNode) => n.url.replace('http://', '');
    let clusterCalls = 0;
    nodes[0].reply((r) => {
      if (r.url !== '/cluster') return { status: 204 };
      clusterCalls++;
      return { status: 200, json: view(nodes.map((n, i) => member(`n${i + 1}`, hostPort(n)))) };
    });
    const client = new RingkvClient({ endpoints: nodes[0].url, discover: true, discoveryIntervalMs: 3_600_000 });
    try {
      await client.put('a', '1');
      await pollUntil('discovery', () => client.endpoints.length === 2);
      expect(clusterCalls).toBe(1);
    } finally {
      client.close();
    }
  });
});
