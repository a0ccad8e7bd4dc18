// The `ringkv` command on real processes: help, configuration sources and their errors, data commands.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeNode, runCli, stopAll, tempDir, type NodeProcess } from '../support/processes.js';
import { freePorts } from '../support/free-port.js';
import { pollUntil } from '../support/poll.js';

afterAll(stopAll);

describe('help and usage errors', () => {
  test('--help lists every command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['start', 'put <key> [value]', 'get <key>', 'del <key>', 'cluster', 'bench']) expect(r.stdout).toContain(cmd);
  });

  test.each([['start'], ['put'], ['get'], ['del']])('%s --help documents its flags', async (cmd) => {
    const r = await runCli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(cmd === 'start' ? '--seeds' : '--endpoint');
  });

  test.each([
    [['frobnicate'], /Unknown argument: frobnicate/],
    [[], /a command is required/],
    [['start', '--bogus-flag', '1'], /Unknown arguments?: bogus-flag/],
    [['start', '--engine', 'sqlite'], /Invalid values:[\s\S]*engine/],
    [['start', '--replicas', 'many'], /"replicas" must be an integer/],
    [['start', '--partitions', '100'], /power of two/],
    [['start', '--http', 'nowhere'], /HOST:PORT/],
    [['start', '--config', '/definitely/not/here.yaml'], /cannot read config file/],
    [['get'], /Not enough non-option arguments/],
    [['get', 'k', '--r', 'lots'], /--r must be a number, one, quorum or all/],
  ])('ringkv %j exits 2 with a clear message', async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  test('unknown keys and bad values in a config file exit 2', async () => {
    const dir = tempDir();
    const unknown = path.join(dir, 'unknown.yaml');
    writeFileSync(unknown, 'replicas: 3\nreplication_factor: 3\n');
    let r = await runCli(['start', '--config', unknown]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/unknown option "replication_factor"/)]);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"w": 9}');
    r = await runCli(['start', '--config', bad]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/"w" must be at most 7|cannot exceed replicas/)]);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"w": ');
    r = await runCli(['start', '--config', broken]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/not valid JSON/)]);
  });

  test('a bad environment variable exits 2', async () => {
    const r = await runCli(['start'], { env: { RINGKV_ENGINE: 'floppy' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"engine" must be one of/);
  });
});

describe('a node configured from file, environment and flags', () => {
  let node: NodeProcess;

  beforeAll(async () => {
    const dir = tempDir();
    const [http, peer] = await freePorts(2);
    const file = path.join(dir, 'ringkv.yaml');
    // The file says memory and a 1 KiB value limit; the environment overrides the id; flags the ports.
    writeFileSync(file, `id: from-file\nengine: memory\nmaxValueBytes: 1024\nhttp: 127.0.0.1:1\n`);
    node = await makeNode({ id: 'cfg', httpPort: http, peerPort: peer });
    node.opts.extraArgs = ['--config', file];
    node.opts.env = { RINGKV_ID: 'from-env' };
    // --id from the flag would win over the environment; leave it out to see the environment apply.
    node.args = () => ['start', '--config', file, '--http', `127.0.0.1:${http}`, '--peer', `127.0.0.1:${peer}`];
    node.start();
    await node.waitReady();
  });

  test('precedence is flags over environment over file', async () => {
    const view = (await (await fetch(`${node.url}/cluster`)).json()) as { node: string };
    expect(view.node).toBe('from-env');
    const big = await fetch(`${node.url}/kv/x`, { method: 'PUT', body: new Uint8Array(1025) });
    expect(big.status).toBe(413);
    // The start-up log line may reach the pipe after /ready answers: wait for it, with a deadline.
    await pollUntil('the engine in the start-up log', () => /"engine":"memory"/.test(node.output));
  });

  test('put, get and del through the CLI, value from an argument or stdin', async () => {
    const ep = ['--endpoint', node.url];
    let r = await runCli(['put', 'greeting', 'hello world', ...ep]);
    expect([r.code, r.stderr]).toEqual([0, expect.stringMatching(/^ok \d+\.\d+\.[0-9a-f]{8}\n$/)]);
    r = await runCli(['get', 'greeting', ...ep]);
    expect([r.code, r.stdout]).toEqual([0, 'hello world']);

    r = await runCli(['put', 'clé/with%', ...ep], { stdin: 'from stdin\n' });
    expect(r.code).toBe(0);
    r = await runCli(['get', 'clé/with%', '--r', 'quorum', ...ep]);
    expect([r.code, r.stdout]).toEqual([0, 'from stdin\n']);

    r = await runCli(['del', 'greeting', ...ep]);
    expect(r.code).toBe(0);
    r = await runCli(['get', 'greeting', ...ep]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/NOT_FOUND/)]);
  });

  test('bench --scenario mixed runs the open loop against the node and the bare server in the same rounds', async () => {
    const r = await runCli(['bench', '--endpoint', node.url, '--scenario', 'mixed', '--rate', '100', '--duration', '1', '--warmup', '0',
      '--rounds', '2', '--keys', '50', '--value-size', '100', '--connections', '4'], { timeoutMs: 60_000 });
    expect(r.stderr).toContain('-- round 2 of 2');
    // Each round: the node's latencies and k6's thresholds; then ringkv against bare node:http.
    // Whether a threshold holds depends on the machine's speed (not asserted); the exit code says
    // whether any failed.
    expect(r.stdout.match(/^mixed \(open loop/gm)).toHaveLength(2);
    expect(r.stdout.match(/^ {2}(ok {2}|FAIL) GET p99 <= 50 ms/gm)).toHaveLength(2);
    expect(r.code).toBe(/^ {2}FAIL /m.test(r.stdout) ? 1 : 0);
    expect(r.stdout).toContain('same rounds, bare node:http at the same rate (medians of rounds):');
    for (const op of ['GET', 'PUT']) {
      const line = new RegExp(`^  ${op} p99 ringkv ([0-9.]+) ms, bare node:http ([0-9.]+) ms: ratio ([0-9.]+) \\(rounds: [0-9.]+ [0-9.]+\\)$`, 'm').exec(r.stdout);
      expect(line).not.toBeNull();
      expect(Number(line![2])).toBeGreaterThan(0);
    }
    // --ceilings none: the node alone.
    const alone = await runCli(['bench', '--endpoint', node.url, '--scenario', 'mixed', '--rate', '50', '--duration', '1', '--warmup', '0',
      '--keys', '10', '--connections', '2', '--ceilings', 'none'], { timeoutMs: 60_000 });
    expect(alone.stdout).toMatch(/^mixed \(open loop/m);
    expect(alone.code).toBe(/^ {2}FAIL /m.test(alone.stdout) ? 1 : 0);
    expect(alone.stdout).not.toContain('bare node:http');
  }, 90_000);

  test('cluster status renders the member table; cluster ring shows ownership; bad changes are refused', async () => {
    const ep = ['--endpoint', node.url];
    let r = await runCli(['cluster', 'status', ...ep]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/node from-env\s+epoch 1\s+leader from-env/);
    expect(r.stdout).toMatch(/^ID\s+STATUS\s+ALIVE\s+PARTITIONS/m);
    expect(r.stdout).toMatch(/^from-env\s+normal\s+up\s+256\s+yes/m);
    r = await runCli(['cluster', 'ring', '--partitions', ...ep]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/256 partitions   N=3 \(each partition on 1: fewer members than N\)/);
    expect(r.stdout).toMatch(/^from-env\s+256\s+0\s+256$/m);
    expect(r.stdout).toMatch(/^255\s+from-env$/m);
    r = await runCli(['cluster', 'remove', 'nobody', ...ep]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/MEMBERSHIP_CHANGE_REFUSED/)]);
    r = await runCli(['cluster', 'leave', ...ep]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/last normal member cannot leave/)]);
    r = await runCli(['cluster']);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/a cluster subcommand is required/)]);
  });

  test('server errors are reported with their code and exit 1', async () => {
    const r = await runCli(['put', 'k', 'v', '--w', '7', '--endpoint', node.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/INVALID_PARAMETER/);
  });

  test('an unreachable endpoint is a clear error', async () => {
    const [port] = await freePorts(1);
    const r = await runCli(['get', 'k', '--endpoint', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CONNECTION_FAILED: cannot reach/);
  });

  test('SIGTERM shuts the node down gracefully with exit code 0', async () => {
    await node.kill('SIGTERM');
    expect(node.exitCode).toBe(0);
    expect(node.output).toMatch(/node stopped/);
  });
});
