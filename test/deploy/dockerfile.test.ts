// deploy/Dockerfile read as text (no Docker engine needed): multi-stage, non-root, a health
// check that works without curl, ports that match the manifests, COPY sources that exist, and no
// cluster secret anywhere in the image (its defaults refuse to start without one). Also the
// compose file's cluster wiring (the secret as a mounted file) and the health-check script
// against a live port.
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { refusingEndpoint } from '../../packages/client/test/support/fake-node.js';
import { loadNodeConfig } from '../../packages/cli/src/config-loader.js';
import { missingSecretProblem } from '@ringkv/server';
import { REPO_ROOT } from '../support/processes.js';
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

  test("the image's own configuration refuses to start without a secret (its peer port is not loopback)", () => {
    const env: Record<string, string> = {};
    for (const i of final.filter((x) => x.op === 'ENV')) {
      for (const [, k, v] of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g)) env[k] = v;
    }
    const config = loadNodeConfig({}, undefined, env);
    expect(config.secret).toBeUndefined();
    expect(missingSecretProblem(config)).toMatch(/--peer 0\.0\.0\.0:7171 .*needs the cluster secret/);
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
  const run = (listen: string) => new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(DEPLOY_DIR, 'healthcheck.mjs')], { env: { ...process.env, RINGKV_HTTP: listen }, stdio: 'ignore' });
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

  test('the secret is a compose secret from a file, mounted in every node and named by RINGKV_SECRET_FILE', () => {
    const secrets = compose.secrets as Record<string, { file?: string; environment?: string }>;
    for (const s of services) {
      const names = (s.secrets as (string | { source: string; target?: string })[]).map((x) => typeof x === 'string' ? { source: x } : x);
      expect(names).toHaveLength(1);
      const { source, target } = names[0];
      // File-based (an `environment:` secret would be the environment again), mounted read-only by compose.
      expect(secrets[source].file).toBeDefined();
      expect(secrets[source].environment).toBeUndefined();
      expect(s.environment.RINGKV_SECRET_FILE).toBe(target?.startsWith('/') ? target : `/run/secrets/${target ?? source}`);
    }
  });

  test('no secret value in any environment, and the default secret file is kept out of git', () => {
    for (const s of services) {
      expect(Object.keys(s.environment).filter((k) => /SECRET/.test(k))).toEqual(['RINGKV_SECRET_FILE']);
    }
    const file = Object.values(compose.secrets as Record<string, { file: string }>)[0].file;
    // `${RINGKV_SECRET_FILE:-./secret}`: compose resolves the default against the compose file's directory.
    const fallback = /^\$\{RINGKV_SECRET_FILE:-(.+)\}$/.exec(file)?.[1];
    expect(fallback).toBeDefined();
    const relative = path.relative(REPO_ROOT, path.resolve(DEPLOY_DIR, fallback!));
    expect(readFileSync(path.join(REPO_ROOT, '.gitignore'), 'utf8').split('\n')).toContain(relative);
  });
});
