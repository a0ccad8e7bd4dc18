// Issue 14 at the process boundary: a bug nobody caught ends the process cleanly (status 70, a
// fatal log line) instead of leaving it half dead; and an operator's `cluster remove` of a node
// the cluster still hears is refused unless forced.
import { afterAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCluster } from '../support/cluster.js';
import { pollUntil } from '../support/poll.js';
import { makeNode, runCli, stopAll, tempDir } from '../support/processes.js';

afterAll(stopAll);

describe('the last resort', () => {
  test('an uncaught exception logs a fatal line, stops the node and exits with status 70', async () => {
    // A planted bug: on SIGUSR2 the process throws outside any handler of the node.
    const hook = path.join(tempDir('ringkv-hook-'), 'plant-bug.mjs');
    writeFileSync(hook, "process.on('SIGUSR2', () => setImmediate(() => { throw new Error('planted bug'); }));\n");
    const node = await makeNode({ id: 'n1', env: { NODE_OPTIONS: `--import=${hook}` } });
    node.start();
    await node.waitReady();
    const pid = node.child!.pid!;
    process.kill(pid, 'SIGUSR2');
    await pollUntil('the node to exit', () => !node.running, { timeoutMs: 15_000 });
    expect(node.exitCode).toBe(70);
    expect(node.output).toMatch(/unexpected error: the node stops and the process exits/);
    expect(node.output).toMatch(/planted bug/);
    expect(node.output).toMatch(/node stopped/);
  });
});

describe('cluster remove of a live member', () => {
  test('is refused (exit 1, MEMBERSHIP_CHANGE_REFUSED naming --force) and changes nothing; with --force it is removed', async () => {
    const nodes = await startCluster({ size: 3 });
    const epochOf = async () => ((await (await fetch(`${nodes[0].url}/cluster`)).json()) as { epoch: number; members: { id: string }[] });
    const before = await epochOf();
    const refused = await runCli(['cluster', 'remove', 'n3', '--endpoint', nodes[0].url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/MEMBERSHIP_CHANGE_REFUSED: remove: n3 is alive.*force/);
    const after = await epochOf();
    expect([after.epoch, after.members.map((m) => m.id)]).toEqual([before.epoch, ['n1', 'n2', 'n3']]);
    const res = await fetch(`${nodes[0].url}/cluster/changes`, { method: 'POST', body: JSON.stringify({ op: 'remove', id: 'n3' }) });
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([409, 'MEMBERSHIP_CHANGE_REFUSED']);
    const forced = await runCli(['cluster', 'remove', 'n3', '--force', '--endpoint', nodes[0].url]);
    expect(forced.code).toBe(0);
    await pollUntil('n3 to be removed', async () => !(await epochOf()).members.some((m) => m.id === 'n3'));
  }, 60_000);
});
