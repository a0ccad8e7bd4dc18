// The CLI against nodes started with --auth-file (issue 15), on real processes: `ringkv token new`
// makes tokens whose entries a node accepts; data, cluster and bench commands send --token or
// RINGKV_TOKEN; a node's refusals become one line and exit code 1 (a missing token says what to
// do, a role too low says so); the token is never printed. Over HTTPS, --ca / RINGKV_CA name the
// CA to trust, and the load generator of bench checks certificates although autocannon does not.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { runLoad } from '../../packages/cli/src/bench/http-load.js';
import { NO_OPENSSL_MESSAGE, makeTestCerts, type TestCerts } from '../../packages/client/test/support/certs.js';
import { pollUntil } from '../support/poll.js';
import { makeNode, runCli, stopAll, tempDir, type CliResult, type NodeProcess } from '../support/processes.js';

afterAll(stopAll);

const TOKEN_LINE = /^[A-Za-z0-9_-]{43}\n$/;
const NO_TOKEN_HINT = 'error: UNAUTHENTICATED: this node requires a token: pass --token TOKEN or set RINGKV_TOKEN '
  + '(an admin makes one with: ringkv token new --name NAME --role ROLE)\n';

interface Issued {
  token: string;
  /** The YAML entry `token new` printed for the auth file. */
  yaml: string;
}

/** `ringkv token new`: the token from stdout's first line, the YAML entry from stderr. */
async function issue(name: string, role: 'read' | 'write' | 'admin'): Promise<Issued> {
  const r = await runCli(['token', 'new', '--name', name, '--role', role]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(TOKEN_LINE);
  const token = r.stdout.trimEnd();
  const yaml = /^- name: .*\n {2}role: .*\n {2}token_sha256: .*$/m.exec(r.stderr)?.[0];
  expect(yaml).toBeDefined();
  return { token, yaml: yaml! };
}

function writeAuthFile(dir: string, issued: Issued[]): string {
  const file = path.join(dir, 'auth.yaml');
  writeFileSync(file, `principals:\n${issued.map((i) => `${i.yaml}\n`).join('')}`);
  return file;
}

/** No output of the command carries any of the tokens. */
function expectNoToken(r: CliResult, ...tokens: string[]): void {
  for (const t of tokens) {
    expect(r.stdout).not.toContain(t);
    expect(r.stderr).not.toContain(t);
  }
}

describe('ringkv token new', () => {
  test('prints a 256-bit token alone on stdout and, on stderr, the YAML entry with its SHA-256', async () => {
    const r = await runCli(['token', 'new', '--name', 'app.v2@prod', '--role', 'write']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(TOKEN_LINE);
    const token = r.stdout.trimEnd();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const sha = createHash('sha256').update(token).digest('hex');
    expect(r.stderr).toContain(`- name: app.v2@prod\n  role: write\n  token_sha256: ${sha}\n`);
    expect(r.stderr).toMatch(/--auth-file/);
    expect(r.stderr).toMatch(/SIGHUP/);
    const again = await runCli(['token', 'new', '--name', 'app.v2@prod', '--role', 'write']);
    expect(again.stdout).not.toBe(r.stdout);
  });

  test('--format json: the entry is the last line of stderr, as JSON', async () => {
    const r = await runCli(['token', 'new', '--name', 'ops', '--role', 'admin', '--format', 'json']);
    expect(r.code).toBe(0);
    const token = r.stdout.trimEnd();
    const entry = JSON.parse(r.stderr.trimEnd().split('\n').at(-1)!) as unknown;
    expect(entry).toEqual({ name: 'ops', role: 'admin', token_sha256: createHash('sha256').update(token).digest('hex') });
  });

  test.each([
    [['--name=-leading-dash', '--role', 'read'], /--name must be 1 to 64 letters/],
    [['--name', 'has space', '--role', 'read'], /--name must be 1 to 64 letters/],
    [['--name', 'x'.repeat(65), '--role', 'read'], /--name must be 1 to 64 letters/],
    [['--name', 'app', '--role', 'root'], /Invalid values:[\s\S]*role/],
    [['--name', 'app'], /Missing required argument: role/],
    [['--role', 'read'], /Missing required argument: name/],
    [['--name', 'app', '--role', 'read', '--format', 'toml'], /Invalid values:[\s\S]*format/],
  ])('token new %j exits 2 and prints no token', async (args, message) => {
    const r = await runCli(['token', 'new', ...args]);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });
});

describe('a node started with --auth-file', () => {
  const dashToken = '-Ar-B0Fc7FO-8mlF2nyvluEBMdYq1bceCcmxWnI_b8';
  let node: NodeProcess;
  let admin: Issued;
  let writer: Issued;
  let reader: Issued;
  let ep: string[];

  beforeAll(async () => {
    [admin, writer, reader] = await Promise.all([issue('ops', 'admin'), issue('app', 'write'), issue('dashboard', 'read')]);
    const dash: Issued = { token: dashToken, yaml: `- name: dash\n  role: read\n  token_sha256: ${createHash('sha256').update(dashToken).digest('hex')}` };
    const file = writeAuthFile(tempDir(), [admin, writer, reader, dash]);
    node = await makeNode({ id: 'auth1', engine: 'memory', extraArgs: ['--auth-file', file] });
    node.start();
    await node.waitReady(); // /ready needs no token
    ep = ['--endpoint', node.url];
  });

  test('put, get and del with --token', async () => {
    const t = ['--token', writer.token];
    let r = await runCli(['put', 'greeting', 'hello', ...ep, ...t]);
    expect([r.code, r.stderr]).toEqual([0, expect.stringMatching(/^ok \d+\.\d+\.[0-9a-f]{8}\n$/)]);
    r = await runCli(['get', 'greeting', ...ep, ...t]);
    expect([r.code, r.stdout]).toEqual([0, 'hello']);
    r = await runCli(['del', 'greeting', ...ep, ...t]);
    expect(r.code).toBe(0);
    r = await runCli(['get', 'greeting', ...ep, ...t]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/NOT_FOUND/)]);
    expectNoToken(r, writer.token);
  });

  test('a token that starts with "-" (base64url tokens do, 1 time in 64) is the value of --token, not an option', async () => {
    const r = await runCli(['get', 'greeting', ...ep, '--token', dashToken]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/NOT_FOUND/)]);
    expectNoToken(r, dashToken);
  });

  test('put, get and del with RINGKV_TOKEN, value from stdin', async () => {
    const env = { RINGKV_TOKEN: writer.token };
    let r = await runCli(['put', 'note', ...ep], { env, stdin: 'from stdin' });
    expect(r.code).toBe(0);
    r = await runCli(['get', 'note', ...ep], { env });
    expect([r.code, r.stdout]).toEqual([0, 'from stdin']);
    r = await runCli(['del', 'note', ...ep], { env });
    expect(r.code).toBe(0);
    // --token wins over the environment: a read token given as a flag cannot write.
    r = await runCli(['put', 'note', 'x', ...ep, '--token', reader.token], { env });
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/^error: FORBIDDEN: /)]);
  });

  test('cluster status with --token and with RINGKV_TOKEN (a read token suffices)', async () => {
    let r = await runCli(['cluster', 'status', ...ep, '--token', reader.token]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^auth1\s+normal\s+up\s+256\s+yes/m);
    r = await runCli(['cluster', 'status', '--json', ...ep], { env: { RINGKV_TOKEN: reader.token } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ node: 'auth1' });
    r = await runCli(['cluster', 'ring', ...ep], { env: { RINGKV_TOKEN: reader.token } });
    expect([r.code, r.stdout]).toEqual([0, expect.stringMatching(/256 partitions/)]);
  });

  test.each([
    [['put', 'k', 'v']],
    [['get', 'k']],
    [['del', 'k']],
    [['cluster', 'status']],
    [['cluster', 'ring']],
    [['cluster', 'remove', 'n9']],
  ])('%j without a token prints the one-line hint and exits 1', async (args) => {
    const r = await runCli([...args, ...ep]);
    expect(r.stderr).toBe(NO_TOKEN_HINT);
    expect(r.code).toBe(1);
  });

  test('a read token can get, but put and del exit 1 with FORBIDDEN saying the role is too low', async () => {
    const t = ['--token', reader.token];
    let r = await runCli(['put', 'ro', 'v', ...ep, '--token', writer.token]);
    expect(r.code).toBe(0);
    r = await runCli(['get', 'ro', ...ep, ...t]);
    expect([r.code, r.stdout]).toEqual([0, 'v']);
    for (const args of [['put', 'ro', 'v2'], ['del', 'ro']]) {
      r = await runCli([...args, ...ep, ...t]);
      expect(r.stderr).toMatch(/^error: FORBIDDEN: the token's role is too low for this command: principal dashboard has role read; this request needs write/);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.code).toBe(1);
      expectNoToken(r, reader.token);
    }
    r = await runCli(['get', 'ro', ...ep, ...t]);
    expect(r.stdout).toBe('v'); // nothing was written
  });

  test('cluster remove with a write token is FORBIDDEN; an admin token gets past authorization', async () => {
    let r = await runCli(['cluster', 'remove', 'n9', ...ep, '--token', writer.token]);
    expect(r.stderr).toMatch(/^error: FORBIDDEN: the token's role is too low for this command: principal app has role write; this request needs admin/);
    expect(r.code).toBe(1);
    r = await runCli(['cluster', 'remove', 'n9', ...ep], { env: { RINGKV_TOKEN: admin.token } });
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/^error: MEMBERSHIP_CHANGE_REFUSED: .*n9 is not a member/)]);
  });

  test('a token the node does not know is UNAUTHENTICATED, exit 1, never echoed', async () => {
    const stranger = await issue('stranger', 'admin'); // made, but not in the auth file
    const r = await runCli(['get', 'k', ...ep], { env: { RINGKV_TOKEN: stranger.token } });
    expect(r.stderr).toMatch(/^error: UNAUTHENTICATED: the node does not accept the token given by RINGKV_TOKEN: /);
    expect(r.code).toBe(1);
    expectNoToken(r, stranger.token);
  });

  test.each([
    ['a malformed --token', ['--token', 'not a token!'], {}, /^ringkv: --token is not a token/],
    ['a malformed RINGKV_TOKEN', [], { RINGKV_TOKEN: 'short' }, /^ringkv: RINGKV_TOKEN is not a token/],
    ['an empty RINGKV_TOKEN', [], { RINGKV_TOKEN: '' }, /^ringkv: RINGKV_TOKEN is set but empty/],
    ['--token without a value', ['--token'], {}, /^ringkv: --token needs a value/],
  ])('%s is a usage error (exit 2) that does not echo it', async (_name, args, env, message) => {
    const r = await runCli(['get', 'k', ...ep, ...args], { env });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('not a token!');
  });

  test('help shows no token from the environment', async () => {
    for (const args of [['get', '--help'], ['cluster', 'status', '--help'], ['bench', '--help']]) {
      const r = await runCli(args, { env: { RINGKV_TOKEN: admin.token } });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('--token');
      expect(r.stdout).toContain('--ca');
      expectNoToken(r, admin.token);
    }
  });

  test('bench accepts --token: a 1-second run whose requests all succeed', async () => {
    const report = path.join(tempDir(), 'bench.json');
    const r = await runCli(['bench', ...ep, '--token', writer.token, '--duration', '1', '--warmup', '0', '--ceilings', 'none', '--keys', '100', '--connections', '4', '--json', report], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expectNoToken(r, writer.token);
    expect(readFileSync(report, 'utf8')).not.toContain(writer.token);
    const rows = (JSON.parse(readFileSync(report, 'utf8')) as { rows: { target: string; op: string; requests: number; errors: number; non2xx: number }[] }).rows;
    expect(rows.map((x) => [x.target, x.op])).toEqual([['ringkv', 'PUT'], ['ringkv', 'GET']]);
    for (const row of rows) {
      expect(row.requests).toBeGreaterThan(0);
      expect([row.errors, row.non2xx]).toEqual([0, 0]); // every GET found its preloaded key: authorized
    }
    // The HTML report beside it: the same rows, and no token either.
    const html = readFileSync(report.replace(/\.json$/, '.html'), 'utf8');
    expect(html).toContain('<h1>ringkv bench</h1>');
    expect(html).toContain(`<td>${rows[0]!.requests > 0 ? 'ringkv' : ''}</td><td>PUT</td>`);
    expect(html).not.toContain(writer.token);
  }, 90_000);

  test('bench without a token, or with a read token, stops with the one-line message and exit 1', async () => {
    const args = ['bench', ...ep, '--duration', '1', '--warmup', '0', '--ceilings', 'none', '--keys', '100', '--json', path.join(tempDir(), 'b.json')];
    let r = await runCli(args, { timeoutMs: 60_000 });
    expect(r.stderr).toContain(NO_TOKEN_HINT);
    expect(r.code).toBe(1);
    r = await runCli(args, { env: { RINGKV_TOKEN: reader.token }, timeoutMs: 60_000 });
    expect(r.stderr).toMatch(/^error: FORBIDDEN: the token's role is too low/m);
    expect(r.code).toBe(1);
  }, 90_000);

  test('the node logged no token', () => {
    for (const t of [admin.token, writer.token, reader.token]) expect(node.output).not.toContain(t);
    expect(node.output).toMatch(/client request refused by authentication/);
  });
});

const certs: TestCerts | undefined = makeTestCerts();
if (!certs) console.warn(NO_OPENSSL_MESSAGE);
afterAll(() => certs?.remove());
const describeTls = certs ? describe : describe.skip;

describeTls('over HTTPS: --ca and RINGKV_CA', () => {
  let node: NodeProcess;
  let writer: Issued;
  let caFile: string;
  let url: string;

  beforeAll(async () => {
    writer = await issue('tls-app', 'write');
    const dir = tempDir();
    const file = writeAuthFile(dir, [writer]);
    caFile = path.join(dir, 'ca.crt');
    writeFileSync(caFile, certs!.caPem);
    writeFileSync(path.join(dir, 'node.crt'), certs!.cert);
    writeFileSync(path.join(dir, 'node.key'), certs!.key);
    node = await makeNode({
      id: 'tls1', engine: 'memory',
      extraArgs: ['--auth-file', file, '--tls-cert', path.join(dir, 'node.crt'), '--tls-key', path.join(dir, 'node.key')],
    });
    node.start();
    url = `https://127.0.0.1:${node.opts.httpPort}`;
    const agent = new Agent({ connect: { ca: certs!.caPem } });
    await pollUntil('tls1 ready over HTTPS', async () => {
      if (!node.running) throw new Error(`tls1 exited:\n${node.output.slice(-2000)}`);
      return (await undiciFetch(`${url}/ready`, { dispatcher: agent })).ok;
    }, { timeoutMs: 20_000 });
    await agent.close();
  });

  test('with --ca or RINGKV_CA the commands work; the host name localhost verifies too', async () => {
    let r = await runCli(['put', 'k', 'over tls', '--endpoint', url, '--ca', caFile, '--token', writer.token]);
    expect(r.code).toBe(0);
    r = await runCli(['get', 'k', '--endpoint', `https://localhost:${node.opts.httpPort}`], { env: { RINGKV_CA: caFile, RINGKV_TOKEN: writer.token } });
    expect([r.code, r.stdout]).toEqual([0, 'over tls']);
    r = await runCli(['cluster', 'status', '--endpoint', url], { env: { RINGKV_CA: caFile, RINGKV_TOKEN: writer.token } });
    expect([r.code, r.stdout]).toEqual([0, expect.stringMatching(/^tls1\s+normal/m)]);
  });

  test('without the CA the certificate is refused: one line pointing at --ca, exit 1, no token sent or shown', async () => {
    const r = await runCli(['get', 'k', '--endpoint', url, '--token', writer.token]);
    expect(r.stderr).toMatch(/^error: CONNECTION_FAILED: cannot reach https:\/\/127\.0\.0\.1:\d+: .*the node's TLS certificate was not accepted; pass the CA that issued it with --ca FILE \(or RINGKV_CA\)\n$/);
    expect(r.code).toBe(1);
    expectNoToken(r, writer.token);
  });

  test('a --ca that is not a PEM certificate, or missing, is a usage error', async () => {
    let r = await runCli(['get', 'k', '--endpoint', url, '--ca', path.join(tempDir(), 'absent.pem')]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/cannot read the CA file .*absent\.pem \(--ca\): ENOENT/)]);
    const notPem = path.join(tempDir(), 'not.pem');
    writeFileSync(notPem, 'hello');
    r = await runCli(['get', 'k', '--endpoint', url], { env: { RINGKV_CA: notPem } });
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/holds no PEM certificate/)]);
  });

  test('bench over HTTPS with --ca and --token', async () => {
    const report = path.join(tempDir(), 'bench.json');
    const r = await runCli(['bench', '--endpoint', url, '--ca', caFile, '--token', writer.token, '--duration', '1', '--warmup', '0',
      '--ceilings', 'none', '--keys', '100', '--connections', '4', '--json', report], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const rows = (JSON.parse(readFileSync(report, 'utf8')) as { rows: { requests: number; errors: number; non2xx: number }[] }).rows;
    for (const row of rows) expect([row.requests > 0, row.errors, row.non2xx]).toEqual([true, 0, 0]);
  }, 90_000);
});

describeTls("bench's load generator checks certificates (autocannon alone does not)", () => {
  let server: https.Server;
  let url: string;
  const seen: { authorization?: string }[] = [];
  const TOKEN = 'bench-token-0123456789abcdefghijklmnopqrstu';

  beforeAll(async () => {
    server = https.createServer({ cert: certs!.cert, key: certs!.key }, (req, res) => {
      seen.push({ authorization: req.headers.authorization });
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));

  const load = (ca: string) => runLoad({
    endpoints: [url], op: 'GET', connections: 2, durationS: 1, keys: 10, valueBytes: 10, access: { token: TOKEN, ca: Buffer.from(ca) },
  });

  test('a certificate of another CA: the run fails naming the endpoint, and no request reaches the server', async () => {
    seen.length = 0;
    await expect(load(certs!.otherCaPem)).rejects.toThrow(new RegExp(`TLS certificate not verified, load stopped: ${url.replace(/\./g, '\\.')}: [A-Z_]+ \\(pass the CA that issued it with --ca FILE or RINGKV_CA\\)`));
    expect(seen).toHaveLength(0);
  });

  test('the right CA: requests arrive, each with the token', async () => {
    seen.length = 0;
    const r = await load(certs!.caPem);
    expect(r.requests).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((s) => s.authorization))).toEqual(new Set([`Bearer ${TOKEN}`]));
  });
});
