// The cluster secret on real processes (docs/security.md "Safe defaults"): no built-in default; a loopback
// node without one makes a random secret and runs alone; any other refuses to start; a secret
// given empty or short is a start error; each refusal is exit 2 and one line saying what to change.
// And the secret does its job: a node with another secret never becomes a member.
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeNode, runCli, stopAll, tempDir, type CliResult, type NodeProcess } from '../support/processes.js';
import { freePorts } from '../support/free-port.js';
import { holdsThroughout, pollUntil } from '../support/poll.js';

afterAll(stopAll);

const newSecret = () => randomBytes(32).toString('hex');

/** A secret file as `openssl rand -hex 32 > FILE` writes it (with its trailing newline). */
function secretFile(content = `${newSecret()}\n`): string {
  const file = path.join(tempDir('ringkv-secret-'), 'secret');
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** `ringkv start` on free loopback ports (unless the caller's args say otherwise) with extra args. */
async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const [http, peer] = await freePorts(2);
  const base = ['start', '--http', `127.0.0.1:${http}`, '--engine', 'memory', '--data', tempDir()];
  const peerArgs = args.includes('--peer') ? [] : ['--peer', `127.0.0.1:${peer}`];
  return runCli([...base, ...peerArgs, ...args], { env });
}

/** Exit 2 and exactly one line on stderr, matching `what`. */
function expectRefused(r: CliResult, what: RegExp): void {
  expect({ code: r.code, stderr: r.stderr.split('\n') }).toEqual({ code: 2, stderr: [expect.stringMatching(what), ''] });
  expect(r.stderr).toMatch(/^ringkv: /);
}

describe('refusals to start: exit 2, one line naming what to change', () => {
  test('a non-loopback --peer without a secret', async () => {
    const [port] = await freePorts(1);
    const r = await start(['--peer', `0.0.0.0:${port}`]);
    expectRefused(r, new RegExp(`--peer 0\\.0\\.0\\.0:${port} .*--secret-file`));
  });

  test('--secret shorter than 32 bytes (the value is not echoed)', async () => {
    const r = await start(['--secret', 'tiny-secret']);
    expectRefused(r, /--secret must be at least 32 bytes \(it is 11\)/);
    expect(r.stderr).not.toContain('tiny-secret');
  });

  test.each(['RINGKV_SECRET', 'RINGKV_SECRET_FILE'])('%s set but empty', async (name) => {
    const r = await start([], { [name]: '' });
    expectRefused(r, new RegExp(`${name} is set but empty`));
  });

  test('both --secret and --secret-file', async () => {
    const secret = newSecret();
    const r = await start(['--secret', secret, '--secret-file', secretFile()]);
    expectRefused(r, /--secret and a secret file by --secret-file: give only one of them/);
    expect(r.stderr).not.toContain(secret);
  });

  test('a secret and a secret file from different sources', async () => {
    const r = await start(['--secret-file', secretFile()], { RINGKV_SECRET: newSecret() });
    expectRefused(r, /RINGKV_SECRET and a secret file by --secret-file: give only one of them/);
  });

  test('a secret file whose content is too short', async () => {
    const file = secretFile('too-short\n');
    const r = await start(['--secret-file', file]);
    expectRefused(r, new RegExp(`the secret in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} must be at least 32 bytes \\(it is 9\\)`));
  });

  test('a secret file that does not exist', async () => {
    const missing = path.join(tempDir(), 'no-such-secret');
    const r = await start(['--secret-file', missing]);
    expectRefused(r, /cannot read the secret file .*no-such-secret/);
  });
});

interface View { members: { id: string }[] }
const members = async (n: NodeProcess): Promise<string[]> =>
  ((await (await fetch(`${n.url}/cluster`)).json()) as View).members.map((m) => m.id);

describe('nodes that start', () => {
  test('a loopback node without a secret becomes ready and says it made a random one', async () => {
    const node = await makeNode({ id: 'alone', engine: 'memory' });
    node.start();
    await node.waitReady();
    // The warning may reach the pipe after /ready answers: wait for it, with a deadline.
    await pollUntil('the random-secret warning', () => /no cluster secret given: .*made a random one/.test(node.output));
    await node.kill('SIGTERM');
  });

  test('a node with --secret-file becomes ready; one with another secret never joins it, one with the same file does', async () => {
    const file = secretFile();
    const first = await makeNode({ id: 'first', extraArgs: ['--secret-file', file] });
    first.opts.seeds = [first.peer];
    first.start();
    await first.waitReady();
    expect(await members(first)).toEqual(['first']);

    // Its seeds do not include itself, so it asks the first node to let it join, again and again.
    const intruder = await makeNode({ id: 'intruder', secret: newSecret(), seeds: [first.peer] });
    intruder.start();
    await pollUntil('the intruder to serve its client API', async () => (await fetch(`${intruder.url}/health`)).ok);
    // Evidence that it really tried: a handshake was refused (the first node or the intruder says so).
    await pollUntil('a refused handshake', () => /handshake refused/.test(first.output + intruder.output), { timeoutMs: 15_000 });
    // For the next seconds of its retries it stays outside: never a member, never ready.
    await holdsThroughout(3000, async () => {
      expect(await members(first)).toEqual(['first']);
      expect((await fetch(`${intruder.url}/ready`)).status).toBe(503);
    });
    await intruder.kill('SIGTERM');

    // The control: the same secret file lets a node in, so it was the secret that kept the other out.
    const friend = await makeNode({ id: 'friend', extraArgs: ['--secret-file', file], seeds: [first.peer] });
    friend.start();
    await friend.waitReady(60_000);
    await pollUntil('friend in the membership', async () => (await members(first)).includes('friend'));
    await Promise.all([first, friend].map((n) => n.kill('SIGTERM')));
  }, 120_000);
});
