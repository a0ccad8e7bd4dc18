// deploy/Dockerfile read as text (no Docker engine needed): multi-stage, non-root, a health
// check that works without curl, ports that match the manifests, COPY sources that exist, and no
// cluster secret, auth file or opt-out anywhere in the image (its defaults refuse to start
// without a secret and without an auth file). Also the compose file's cluster wiring (the secret
// and the auth file as mounted files), the recipe deploy/README.md gives for the auth file, and
// the health-check script against a live port, plain and HTTPS.
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { refusingEndpoint } from '../../packages/client/test/support/fake-node.js';
import { makeTestCerts } from '../../packages/client/test/support/certs.js';
import { loadNodeConfig } from '../../packages/cli/src/config-loader.js';
import { missingAuthProblem, missingSecretProblem } from '@ringkv/server';
import { readAuthFile } from '../../packages/server/src/http/auth/auth-file.js';
import { Authenticator } from '../../packages/server/src/http/auth/authenticator.js';
import { accessFor } from '../../packages/server/src/http/route-table.js';
import { REPO_ROOT, RINGKV_BIN } from '../support/processes.js';
import { DEPLOY_DIR, findOne, loadBase, readYamlDocs, type K8sObject } from './load-manifests.js';

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  let stage = -1;
  const out: Instruction[] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1].toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2].trim(), stage });
  }
  return out;
}

const dockerfile = parseDockerfile(readFileSync(path.join(DEPLOY_DIR, 'Dockerfile'), 'utf8'));
const lastStage = Math.max(...dockerfile.map((i) => i.stage));
const final = dockerfile.filter((i) => i.stage === lastStage);
const sts = findOne(loadBase(), 'StatefulSet');
const containerPorts = sts.spec.template.spec.containers[0].ports.map((p: K8sObject) => p.containerPort).sort();

describe('Dockerfile', () => {
  test('is multi-stage, and the runtime stage takes only the build output', () => {
    expect(dockerfile.filter((i) => i.op === 'FROM').length).toBeGreaterThanOrEqual(2);
    expect(final.some((i) => i.op === 'COPY' && i.args.startsWith('--from=build'))).toBe(true);
    expect(final.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
    const build = dockerfile.filter((i) => i.stage < lastStage && i.op === 'RUN').map((i) => i.args).join('\n');
    // The lockfile lacks other platforms' optional packages, which `npm ci` refuses.
    expect(build).toMatch(/npm install/);
    expect(build).not.toMatch(/npm ci\b/);
    expect(build).toMatch(/turbo run build/);
    expect(build).toMatch(/npm prune --omit=dev/);
  });

  test('the runtime runs as a non-root user', () => {
    const users = final.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0', '0:0']).not.toContain(users[users.length - 1]);
  });

  test('has a HEALTHCHECK that uses node against /health (no curl in slim images)', () => {
    const hc = final.find((i) => i.op === 'HEALTHCHECK');
    expect(hc?.args).toMatch(/CMD \["node", "\/app\/healthcheck.mjs"\]/);
    expect(hc?.args).not.toMatch(/curl|wget/);
    expect(readFileSync(path.join(DEPLOY_DIR, 'healthcheck.mjs'), 'utf8')).toContain('/health');
  });

  test('EXPOSE matches the container ports of the manifests and the listen addresses', () => {
    const exposed = final.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map(Number).sort();
    expect(exposed).toEqual(containerPorts);
    const envText = final.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    expect(envText).toContain('RINGKV_HTTP=0.0.0.0:7070');
    expect(envText).toContain('RINGKV_PEER=0.0.0.0:7171');
  });

  test('starts the node with the exec-form entrypoint', () => {
    const ep = final.filter((i) => i.op === 'ENTRYPOINT').pop();
    expect(JSON.parse(ep!.args)).toEqual(['node', 'packages/cli/bin/ringkv.js', 'start']);
    expect(existsSync(path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'ringkv.js'))).toBe(true);
  });

  test('no cluster secret in the image: no secret ENV or ARG, none on the command line, none copied', () => {
    for (const i of dockerfile.filter((x) => x.op === 'ENV' || x.op === 'ARG')) expect([i.op, i.args]).not.toEqual([i.op, expect.stringMatching(/SECRET/i)]);
    for (const i of dockerfile.filter((x) => x.op === 'ENTRYPOINT' || x.op === 'CMD')) expect(i.args).not.toMatch(/secret/i);
    for (const i of dockerfile.filter((x) => x.op === 'COPY' || x.op === 'ADD')) expect(i.args).not.toMatch(/secret/i);
    // The compose secret lives in deploy/ (which the build context includes): it is ignored.
    const ignore = readFileSync(path.join(DEPLOY_DIR, 'Dockerfile.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignore).toContain('deploy/secret');
  });

  const imageEnv = (): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const i of final.filter((x) => x.op === 'ENV')) {
      for (const [, k, v] of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g)) env[k] = v;
    }
    return env;
  };

  test("the image's own configuration refuses to start without a secret (its peer port is not loopback)", () => {
    const config = loadNodeConfig({}, undefined, imageEnv());
    expect(config.secret).toBeUndefined();
    expect(missingSecretProblem(config)).toMatch(/--peer 0\.0\.0\.0:7171 .*needs the cluster secret/);
  });

  test("the image's own configuration refuses to start without an auth file (its client port is not loopback)", () => {
    const config = loadNodeConfig({}, undefined, imageEnv());
    expect([config.authFile, config.insecureNoAuth]).toEqual([undefined, false]);
    expect(missingAuthProblem(config)).toMatch(/--http 0\.0\.0\.0:7070 .*--auth-file.*--insecure-no-auth/);
  });

  test('no auth file, token or opt-out baked in: no such ENV or ARG, none on the command line, none copied', () => {
    for (const i of dockerfile.filter((x) => x.op === 'ENV' || x.op === 'ARG')) {
      expect([i.op, i.args]).not.toEqual([i.op, expect.stringMatching(/AUTH|TOKEN|INSECURE|TLS/i)]);
    }
    for (const i of dockerfile.filter((x) => ['ENTRYPOINT', 'CMD', 'RUN'].includes(x.op))) {
      expect(i.args).not.toMatch(/insecure-no-auth|--auth-file|--token|auth\.yaml/i);
    }
    for (const i of dockerfile.filter((x) => x.op === 'COPY' || x.op === 'ADD')) expect(i.args).not.toMatch(/auth|token|\.pem|\.key|\.crt/i);
    const ignore = readFileSync(path.join(DEPLOY_DIR, 'Dockerfile.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignore).toEqual(expect.arrayContaining(['deploy/auth.yaml', 'deploy/*.token']));
  });

  test('the HEALTHCHECK path needs no token', () => {
    expect(accessFor('GET', '/health')).toBe('open');
  });

  test('every COPY source from the build context exists and is not ignored', () => {
    const ignore = readFileSync(path.join(DEPLOY_DIR, 'Dockerfile.dockerignore'), 'utf8');
    const ignored = ignore.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const c of dockerfile.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        expect([src, existsSync(path.join(REPO_ROOT, src))]).toEqual([src, true]);
        expect([src, ignored.includes(src)]).toEqual([src, false]);
      }
    }
  });
});

describe('healthcheck.mjs', () => {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404);
    res.end();
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  // Async: the server above lives in this process and must keep answering while the script runs.
  const run = (listen: string, extra: Record<string, string> = {}) => new Promise<number | null>((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, RINGKV_HTTP: listen, ...extra };
    if (!('RINGKV_TLS_CERT' in extra)) delete env.RINGKV_TLS_CERT;
    const child = spawn(process.execPath, [path.join(DEPLOY_DIR, 'healthcheck.mjs')], { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });

  test('exits 0 when /health answers 200 (also for a 0.0.0.0 listen address)', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    expect(await run(`127.0.0.1:${port}`)).toBe(0);
    expect(await run(`0.0.0.0:${port}`)).toBe(0);
  });

  test('exits 1 when nothing answers', async () => {
    const url = await refusingEndpoint();
    expect(await run(url.replace('http://', ''))).toBe(1);
  });

  const certs = makeTestCerts();
  (certs ? test : test.skip)('speaks HTTPS to a node serving TLS: with RINGKV_TLS_CERT, and without it after plain HTTP fails', async () => {
    const tls = https.createServer({ cert: certs!.cert, key: certs!.key }, (req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 404);
      res.end();
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    try {
      const { port } = tls.address() as AddressInfo;
      expect(await run(`0.0.0.0:${port}`, { RINGKV_TLS_CERT: '/etc/ringkv/tls/tls.crt' })).toBe(0);
      expect(await run(`127.0.0.1:${port}`)).toBe(0);
      // With RINGKV_TLS_CERT it speaks HTTPS only: a plain HTTP server does not pass.
      if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port: plain } = server.address() as AddressInfo;
      expect(await run(`127.0.0.1:${plain}`, { RINGKV_TLS_CERT: '/x' })).toBe(1);
    } finally {
      await new Promise<void>((r) => tls.close(() => r()));
      certs!.remove();
    }
  });
});

describe("deploy/README.md's recipes for the auth file (compose and Kubernetes)", () => {
  const lines = readFileSync(path.join(DEPLOY_DIR, 'README.md'), 'utf8').split('\n');
  // Each recipe: a `ringkv token new ... > TOKEN_FILE` line, then the `printf 'principals...' > AUTH_FILE` line.
  const recipes = lines.flatMap((l, i) => {
    const token = /^(?:npx )?ringkv token new .*> (\S+)$/.exec(l);
    const auth = /^printf 'principals.*> (\S+)$/.exec(lines[i + 1] ?? '');
    return token && auth ? [{ script: [l, lines[i + 1]!], tokenFile: token[1]!, authFile: auth[1]! }] : [];
  });
  const built = existsSync(path.join(REPO_ROOT, 'packages', 'cli', 'dist', 'commands', 'token.js'));

  test('are in the README: a token from `ringkv token new`, and an auth file made from it, for compose and for Kubernetes', () => {
    expect(recipes.map((r) => r.authFile)).toEqual(['deploy/auth.yaml', 'auth.yaml']);
    // The compose recipe writes the files compose.yaml reads by default.
    expect(readFileSync(path.join(DEPLOY_DIR, 'compose.yaml'), 'utf8')).toContain('${RINGKV_AUTH_FILE:-./auth.yaml}');
  });

  (built ? test.each(recipes.map((r) => [r.authFile, r] as const)) : test.skip.each([['(the CLI is not built)', undefined]]))(
    '%s: makes an auth file the node accepts, admitting the token as admin, and a token file holding only the token', (_n, r) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ringkv-recipe-'));
      try {
        mkdirSync(path.join(dir, 'deploy'));
        const script = ['set -eo pipefail', ...r!.script.map((l) => l.replace(/^(npx )?ringkv /, `node ${JSON.stringify(RINGKV_BIN)} `))].join('\n');
        const out = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
        expect([out.status, out.stdout]).toEqual([0, '']);
        const token = readFileSync(path.join(dir, r!.tokenFile), 'utf8');
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
        const principals = readAuthFile(path.join(dir, r!.authFile));
        expect(principals.map((p) => [p.name, p.role])).toEqual([['admin', 'admin']]);
        const outcome = new Authenticator(principals).authenticate(`Bearer ${token.trim()}`);
        expect(outcome).toMatchObject({ ok: true, principal: { name: 'admin', role: 'admin' } });
        expect(readFileSync(path.join(dir, r!.authFile), 'utf8')).not.toContain(token.trim());
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('compose.yaml', () => {
  const compose = readYamlDocs(path.join(DEPLOY_DIR, 'compose.yaml'))[0] as K8sObject;
  const services = Object.entries(compose.services as Record<string, K8sObject>).map(([name, s]) => ({ name, ...s }) as K8sObject & { name: string });

  test('three nodes, each built from deploy/Dockerfile, with unique valid ids', () => {
    expect(services).toHaveLength(3);
    const ids = services.map((s) => s.environment.RINGKV_ID);
    expect(new Set(ids).size).toBe(3);
    for (const s of services) {
      expect(s.build.dockerfile).toBe('deploy/Dockerfile');
      expect(s.environment.RINGKV_ID).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);
    }
  });

  test('the seeds are exactly the advertised peer addresses, which are the service names', () => {
    for (const s of services) {
      const seeds = String(s.environment.RINGKV_SEEDS).split(',');
      expect(seeds.sort()).toEqual(services.map((x) => x.environment.RINGKV_ADVERTISE_PEER).sort());
      expect(s.environment.RINGKV_ADVERTISE_PEER).toBe(`${s.name}:${containerPorts[1]}`);
      expect(s.environment.RINGKV_PEER).toBe(`0.0.0.0:${containerPorts[1]}`);
    }
  });

  test('publishes each client port on loopback only and keeps data in a volume', () => {
    for (const s of services) {
      expect(s.ports).toHaveLength(1);
      expect(s.ports[0]).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+:${containerPorts[0]}$`));
      expect(s.volumes[0]).toBe(`${s.name}-data:${s.environment.RINGKV_DATA}`);
    }
  });

  const secrets = compose.secrets as Record<string, { file?: string; environment?: string }>;
  /** The compose secret of a service that a *_FILE variable names, by where compose mounts it. */
  const secretNamedBy = (s: K8sObject, variable: string) => {
    const mounted = (s.secrets as (string | { source: string; target?: string })[]).map((x) => typeof x === 'string' ? { source: x } : x);
    const at = (m: { source: string; target?: string }) => (m.target?.startsWith('/') ? m.target : `/run/secrets/${m.target ?? m.source}`);
    return mounted.filter((m) => at(m) === s.environment[variable]).map((m) => m.source);
  };

  test.each([['the cluster secret', 'RINGKV_SECRET_FILE'], ['the auth file', 'RINGKV_AUTH_FILE']])(
    '%s is a compose secret from a file, mounted in every node and named by %s', (_what, variable) => {
      for (const s of services) {
        const sources = secretNamedBy(s, variable);
        expect([s.name, sources.length]).toEqual([s.name, 1]);
        // File-based (an `environment:` secret would be the environment again), mounted read-only by compose.
        expect(secrets[sources[0]].file).toBeDefined();
        expect(secrets[sources[0]].environment).toBeUndefined();
      }
    },
  );

  test('every node mounts exactly those two compose secrets, the secret and the auth file, which differ', () => {
    for (const s of services) {
      const all = (s.secrets as (string | { source: string })[]).map((x) => typeof x === 'string' ? x : x.source).sort();
      expect(all).toEqual([...secretNamedBy(s, 'RINGKV_SECRET_FILE'), ...secretNamedBy(s, 'RINGKV_AUTH_FILE')].sort());
      expect(new Set(all).size).toBe(2);
    }
  });

  test('no node opts out of authentication, and none is given a token', () => {
    for (const s of services) {
      expect(Object.keys(s.environment).filter((k) => /INSECURE|TOKEN/.test(k))).toEqual([]);
      expect(JSON.stringify(s.command ?? '') + JSON.stringify(s.entrypoint ?? '')).not.toMatch(/insecure-no-auth|--token|--secret\b/);
    }
    expect(readFileSync(path.join(DEPLOY_DIR, 'compose.yaml'), 'utf8')).not.toMatch(/insecure[-_]?no[-_]?auth/i);
  });

  test('the default auth file and tokens are kept out of git and out of the build context', () => {
    const file = secrets.client_auth?.file ?? '';
    const fallback = /^\$\{RINGKV_AUTH_FILE:-(.+)\}$/.exec(file)?.[1];
    expect(fallback).toBeDefined();
    const relative = path.relative(REPO_ROOT, path.resolve(DEPLOY_DIR, fallback!));
    const ignored = (p: string) => spawnSync('git', ['check-ignore', '-q', '--no-index', p], { cwd: REPO_ROOT }).status === 0;
    expect([relative, ignored(relative)]).toEqual([relative, true]);
    expect(ignored('deploy/admin.token')).toBe(true);
    expect(ignored('deploy/compose.yaml')).toBe(false); // the check itself is real
  });

  test('no secret value in any environment, and the default secret file is kept out of git', () => {
    for (const s of services) {
      expect(Object.keys(s.environment).filter((k) => /SECRET/.test(k))).toEqual(['RINGKV_SECRET_FILE']);
    }
    const file = (compose.secrets as Record<string, { file: string }>)[secretNamedBy(services[0], 'RINGKV_SECRET_FILE')[0]].file;
    // `${RINGKV_SECRET_FILE:-./secret}`: compose resolves the default against the compose file's directory.
    const fallback = /^\$\{RINGKV_SECRET_FILE:-(.+)\}$/.exec(file)?.[1];
    expect(fallback).toBeDefined();
    const relative = path.relative(REPO_ROOT, path.resolve(DEPLOY_DIR, fallback!));
    expect(readFileSync(path.join(REPO_ROOT, '.gitignore'), 'utf8').split('\n')).toContain(relative);
  });
});
