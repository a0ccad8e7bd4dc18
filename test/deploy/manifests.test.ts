// The Kubernetes base in deploy/k8s: every object valid against the Kubernetes schemas
// (kubernetes-models, no cluster needed) and the invariants that make a ringkv cluster work:
// ports, probes, selectors, peer identities and seeds by DNS, the secret and the auth file as
// mounted Secrets (no secret or token in the environment), drain without decommission, and a
// network policy that keeps the peer port to ringkv pods and their egress to peers and DNS.
// Then the optional TLS overlay (deploy/k8s/overlays/tls), built the way kustomize builds it.
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { missingAuthProblem, missingSecretProblem, type NodeConfig } from '@ringkv/server';
import { loadNodeConfig } from '../../packages/cli/src/config-loader.js';
import { readAuthFile } from '../../packages/server/src/http/auth/auth-file.js';
import { ROUTES, accessFor } from '../../packages/server/src/http/route-table.js';
import { REPO_ROOT } from '../support/processes.js';
import {
  BASE_DIR, DEPLOY_DIR, TLS_OVERLAY_DIR, baseYamlFiles, buildKustomization, expandEnv, findOne, loadBase, loadKustomization,
  selects, validateCertManager, type K8sObject,
} from './load-manifests.js';

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const objects = loadBase();
const sts = findOne(objects, 'StatefulSet');
const pod = sts.spec.template.spec;
const container = pod.containers.find((c: K8sObject) => c.name === 'ringkv');
const env: { name: string; value?: string; valueFrom?: K8sObject }[] = container.env;
const envValue = (name: string) => env.find((e) => e.name === name)?.value;
const port = (name: string): number => container.ports.find((p: { name: string }) => p.name === name).containerPort;
const podLabels: Record<string, string> = sts.spec.template.metadata.labels;
const headless = findOne(objects, 'Service', sts.spec.serviceName);

function validate(o: K8sObject): void {
  if (o.apiVersion.startsWith('cert-manager.io/')) return validateCertManager(o);
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema model for ${o.apiVersion} ${o.kind}; add it to MODELS`);
  new Model(o as never).validate();
}

describe('schemas', () => {
  test('kustomization.yaml lists every manifest of the base, and nothing else', () => {
    expect([...loadKustomization().resources].sort()).toEqual(baseYamlFiles());
  });

  test.each(objects.map((o) => [`${o.kind} ${o.metadata.name}`, o] as const))('%s is valid', (_n, o) => {
    expect(() => validate(o)).not.toThrow();
  });

  test('a broken manifest is caught (the validation is real)', () => {
    const broken = structuredClone(sts);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'seventy';
    expect(() => validate(broken)).toThrow(/containerPort/);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  (kubectl ? test : test.skip)('kubectl kustomize builds the base and every output object is valid', () => {
    const out = spawnSync('kubectl', ['kustomize', BASE_DIR], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    const built = parseAllDocuments(out.stdout).map((d) => d.toJS() as K8sObject);
    expect(built.map((o) => o.kind).sort()).toEqual(objects.map((o) => o.kind).sort());
    for (const o of built) validate(o);
    const image = findOne(built, 'StatefulSet').spec.template.spec.containers[0].image;
    expect(image).toBe(`ringkv:${loadKustomization().images![0].newTag}`);
  });
});

describe('ports and probes', () => {
  test('the container listens where the config says, on the default ports', () => {
    expect(port('http')).toBe(7070);
    expect(port('peer')).toBe(7171);
    expect(envValue('RINGKV_HTTP')).toBe(`0.0.0.0:${port('http')}`);
    expect(envValue('RINGKV_PEER')).toBe(`0.0.0.0:${port('peer')}`);
    expect(envValue('RINGKV_ADVERTISE_HTTP')!.endsWith(`:${port('http')}`)).toBe(true);
    expect(envValue('RINGKV_ADVERTISE_PEER')!.endsWith(`:${port('peer')}`)).toBe(true);
  });

  test('every RINGKV_* variable is a real configuration option', () => {
    const docs = readFileSync(path.join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
    const known = new Set([...docs.matchAll(/`(RINGKV_[A-Z_]+)`/g)].map((m) => m[1]));
    expect(env.map((e) => e.name).filter((n) => n.startsWith('RINGKV_') && !known.has(n))).toEqual([]);
  });

  test('probes hit real endpoints on the client port: liveness /health, readiness /ready', () => {
    // The route table is the server's (a test holds every answered route to it): probes need an
    // open GET route, since kubelet sends no token.
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const get = container[probe].httpGet;
      expect(ROUTES.filter((r) => r.path === get.path && r.methods.includes('GET')).map((r) => r.access)).toEqual(['open']);
      expect(get.port).toBe('http');
    }
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
  });

  test('Service ports point at named container ports', () => {
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      for (const p of svc.spec.ports) expect(port(p.targetPort)).toBe(p.port);
    }
    expect(headless.spec.ports.find((p: { name: string }) => p.name === 'peer').port).toBe(port('peer'));
  });
});

describe('selectors', () => {
  test('the StatefulSet selects its own pods', () => {
    expect(selects(sts.spec.selector.matchLabels, podLabels)).toBe(true);
  });

  test.each(objects.filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, o] as const))('Service %s selects the ringkv pods', (_n, svc) => {
    expect(selects(svc.spec.selector, podLabels)).toBe(true);
  });

  test('the disruption budget and the network policy select the ringkv pods', () => {
    expect(selects(findOne(objects, 'PodDisruptionBudget').spec.selector.matchLabels, podLabels)).toBe(true);
    expect(selects(findOne(objects, 'NetworkPolicy').spec.podSelector.matchLabels, podLabels)).toBe(true);
  });

  test('anti-affinity terms select the ringkv pods, across hosts (required) and zones', () => {
    const anti = pod.affinity.podAntiAffinity;
    const required = anti.requiredDuringSchedulingIgnoredDuringExecution;
    expect(required.map((t: K8sObject) => t.topologyKey)).toContain('kubernetes.io/hostname');
    const preferred = anti.preferredDuringSchedulingIgnoredDuringExecution.map((p: K8sObject) => p.podAffinityTerm);
    expect(preferred.map((t: K8sObject) => t.topologyKey)).toContain('topology.kubernetes.io/zone');
    for (const t of [...required, ...preferred]) expect(selects(t.labelSelector.matchLabels, podLabels)).toBe(true);
  });

  test('the volume claim template is mounted at the data directory', () => {
    const claim = sts.spec.volumeClaimTemplates[0].metadata.name;
    const mount = container.volumeMounts.find((m: K8sObject) => m.name === claim);
    expect(mount.mountPath).toBe(envValue('RINGKV_DATA'));
  });
});

describe('identity and seeds', () => {
  test('the headless Service gives pods DNS names even before they are ready', () => {
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
  });

  test('env references only variables defined above them', () => {
    env.forEach((e, i) => {
      for (const [, v] of (e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
        expect([e.name, env.slice(0, i).some((x) => x.name === v)]).toEqual([e.name, true]);
      }
    });
  });

  // Each pod as the kubelet would start it, in a namespace.
  const podEnv = (ordinal: number, namespace = 'db') =>
    expandEnv(env, { POD_NAME: `${sts.metadata.name}-${ordinal}`, NAMESPACE: namespace });

  test('the node id is the pod name, a valid node id', () => {
    for (const i of [0, 1, 2, 10, 99]) {
      expect(podEnv(i).RINGKV_ID).toBe(`${sts.metadata.name}-${i}`);
      expect(podEnv(i).RINGKV_ID).toMatch(NODE_ID);
    }
  });

  test('the peer address is the pod DNS name under the headless Service', () => {
    expect(podEnv(1).RINGKV_ADVERTISE_PEER).toBe(`${sts.metadata.name}-1.${headless.metadata.name}.db.svc.cluster.local:${port('peer')}`);
    expect(podEnv(1).RINGKV_ADVERTISE_HTTP).toBe(`${sts.metadata.name}-1.${headless.metadata.name}.db.svc.cluster.local:${port('http')}`);
  });

  test('the seeds are exactly the advertised peer addresses of the first replicas', () => {
    const seeds = podEnv(0).RINGKV_SEEDS.split(',');
    expect(seeds).toHaveLength(Math.min(3, sts.spec.replicas));
    expect(seeds).toEqual(seeds.map((_s, i) => podEnv(i).RINGKV_ADVERTISE_PEER));
    for (const i of [0, 1, 2]) expect(podEnv(i).RINGKV_SEEDS).toBe(podEnv(0).RINGKV_SEEDS);
    expect(podEnv(0, 'other').RINGKV_SEEDS).toContain('.other.svc.cluster.local:');
  });
});

describe('secret, lifecycle and safety', () => {
  test('the cluster secret is a file mounted read-only from the Secret ringkv-secret', () => {
    const file = envValue('RINGKV_SECRET_FILE')!;
    expect(file).toMatch(/^\//);
    // The mount whose directory holds the file, and the volume behind it.
    const mount = container.volumeMounts.find((m: K8sObject) => path.posix.dirname(file) === m.mountPath);
    expect(mount).toMatchObject({ readOnly: true });
    const volume = pod.volumes.find((v: K8sObject) => v.name === mount.name);
    expect(volume.secret.secretName).toBe('ringkv-secret');
    expect(volume.secret.items).toEqual([{ key: 'cluster-secret', path: path.posix.basename(file) }]);
  });

  test('the secret file is readable by the node user and nobody else', () => {
    const mode: number = pod.volumes.find((v: K8sObject) => v.secret?.secretName === 'ringkv-secret').secret.defaultMode;
    // Secret files belong to root, and with fsGroup their group is fsGroup (the kubelet adds the
    // group read bit): that group is how the non-root node user reads them. Nothing for others,
    // nothing writable or executable.
    expect([0o400, 0o440]).toContain(mode);
    expect(pod.securityContext.runAsUser).not.toBe(0);
    expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsGroup);
  });

  test('no secret value in the environment: no RINGKV_SECRET, no secretKeyRef, no envFrom', () => {
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])] as K8sObject[]) {
      expect(c.envFrom).toBeUndefined();
      for (const e of (c.env ?? []) as typeof env) {
        expect([e.name, e.valueFrom?.secretKeyRef]).toEqual([e.name, undefined]);
        expect(e.name).not.toBe('RINGKV_SECRET');
      }
    }
  });

  test('preStop only waits for deregistration; it never decommissions', () => {
    const cmd: string[] = container.lifecycle.preStop.exec.command;
    expect(cmd[0]).toBe('sleep');
    expect(cmd.join(' ')).not.toMatch(/leave|remove|decommission/);
    // The sleep plus the node's drain (shutdownGraceMs, default 10 s) fit in the grace period.
    expect(Number(cmd[1]) + 10).toBeLessThan(pod.terminationGracePeriodSeconds);
  });

  test('pods run as a non-root user with a read-only root and no privileges', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).not.toBe(0);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.resources.requests).toHaveProperty('memory');
    expect(container.resources.limits).toHaveProperty('memory');
  });

  test('at most one node is disrupted voluntarily at a time', () => {
    expect(findOne(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  test('only ringkv pods may reach the peer port', () => {
    const np = findOne(objects, 'NetworkPolicy');
    expect(np.spec.policyTypes).toContain('Ingress');
    const rules: K8sObject[] = np.spec.ingress;
    const peerRules = rules.filter((r) => (r.ports ?? []).some((p: K8sObject) => p.port === port('peer') || p.port === 'peer') || !r.ports);
    expect(peerRules.length).toBeGreaterThan(0);
    for (const r of peerRules) {
      expect(r.from?.length).toBeGreaterThan(0);
      for (const f of r.from) {
        expect(f.namespaceSelector).toBeUndefined();
        expect(f.ipBlock).toBeUndefined();
        expect(selects(f.podSelector?.matchLabels, podLabels)).toBe(true);
      }
    }
    expect(rules.some((r) => (r.ports ?? []).some((p: K8sObject) => p.port === port('http')))).toBe(true);
  });

  test('scaling down keeps the volumes until the node was decommissioned', () => {
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenScaled: 'Retain', whenDeleted: 'Retain' });
  });
});

// ---- issue 15: who may do what ----

/** The ringkv container and pod spec of a set of objects. */
function nodePod(objs: K8sObject[]) {
  const set = findOne(objs, 'StatefulSet');
  const spec = set.spec.template.spec;
  const c = spec.containers.find((x: K8sObject) => x.name === 'ringkv');
  return { set, spec, c, env: c.env as { name: string; value?: string; valueFrom?: K8sObject }[] };
}

/** The Secret volume that holds `file`, through the read-only mount of its directory. */
function secretBehind(objs: K8sObject[], file: string): { mount: K8sObject; volume: K8sObject } {
  const { spec, c } = nodePod(objs);
  const mount = c.volumeMounts.find((m: K8sObject) => m.mountPath === path.posix.dirname(file));
  if (!mount) throw new Error(`no volume is mounted at ${path.posix.dirname(file)}`);
  const volume = spec.volumes.find((v: K8sObject) => v.name === mount.name);
  return { mount, volume };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ringkv-manifests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The configuration a pod of `objs` starts with: its env as the kubelet expands it, with the files
 * its Secrets would hold written to a temporary directory (a valid secret and auth file).
 */
function startConfig(objs: K8sObject[], drop: string[] = []): NodeConfig {
  const namespace = findOne(objs, 'StatefulSet').metadata.namespace ?? 'db';
  const e = expandEnv(nodePod(objs).env, { POD_NAME: 'ringkv-0', NAMESPACE: namespace });
  for (const name of drop) delete e[name];
  if (e.RINGKV_SECRET_FILE) {
    e.RINGKV_SECRET_FILE = path.join(tmp, 'cluster-secret');
    writeFileSync(e.RINGKV_SECRET_FILE, `${'ab'.repeat(32)}\n`);
  }
  if (e.RINGKV_AUTH_FILE) {
    e.RINGKV_AUTH_FILE = path.join(tmp, 'auth.yaml');
    writeFileSync(e.RINGKV_AUTH_FILE, `principals:\n  - name: admin\n    role: admin\n    token_sha256: ${'cd'.repeat(32)}\n`);
  }
  return loadNodeConfig({}, undefined, e);
}

/** Every file of a Kubernetes manifest directory tree, for text checks. */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? yamlFiles(p) : d.name.endsWith('.yaml') ? [p] : [];
  });
}

const overlay = buildKustomization(TLS_OVERLAY_DIR);
const builds: [string, K8sObject[]][] = [['base', buildKustomization(BASE_DIR)], ['tls overlay', overlay]];
const TLS_VARS = ['RINGKV_TLS_CERT', 'RINGKV_TLS_KEY', 'RINGKV_PEER_TLS_CERT', 'RINGKV_PEER_TLS_KEY', 'RINGKV_PEER_TLS_CA'];

describe('client authentication', () => {
  test('the auth file is a file mounted read-only from the Secret ringkv-auth (key auth.yaml), readable by the node user only', () => {
    const file = envValue('RINGKV_AUTH_FILE')!;
    expect(file).toMatch(/^\//);
    const { mount, volume } = secretBehind(objects, file);
    expect(mount.readOnly).toBe(true);
    expect(mount.subPath).toBeUndefined(); // a subPath mount is never refreshed when the Secret changes
    expect(volume.secret.secretName).toBe('ringkv-auth');
    expect(volume.secret.items).toEqual([{ key: 'auth.yaml', path: path.posix.basename(file) }]);
    expect([0o400, 0o440]).toContain(volume.secret.defaultMode);
  });

  test('the secret and the auth file come from different Secrets (a token holder need not see the cluster secret)', () => {
    const secret = secretBehind(objects, envValue('RINGKV_SECRET_FILE')!);
    const auth = secretBehind(objects, envValue('RINGKV_AUTH_FILE')!);
    expect(secret.volume.secret.secretName).not.toBe(auth.volume.secret.secretName);
    expect(secret.mount.mountPath).not.toBe(auth.mount.mountPath);
  });

  test.each(builds)('%s: a pod starts with the secret and the auth file, and would refuse to without either', (_n, objs) => {
    const config = startConfig(objs);
    expect(config.insecureNoAuth).toBe(false);
    expect(missingSecretProblem(config)).toBeUndefined();
    expect(missingAuthProblem(config)).toBeUndefined();
    expect(readAuthFile(config.authFile!).map((p) => p.role)).toEqual(['admin']);
    // Both refusals apply to these pods: they listen on 0.0.0.0.
    expect(missingAuthProblem(startConfig(objs, ['RINGKV_AUTH_FILE']))).toMatch(/--auth-file.*--insecure-no-auth/);
    expect(missingSecretProblem(startConfig(objs, ['RINGKV_SECRET_FILE']))).toMatch(/--secret-file/);
  });

  test.each(builds)('%s: no token or secret value in any env, args or command; no Secret object with data', (_n, objs) => {
    const { spec } = nodePod(objs);
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])] as K8sObject[]) {
      expect(c.envFrom).toBeUndefined();
      for (const e of (c.env ?? []) as { name: string; value?: string; valueFrom?: K8sObject }[]) {
        expect([e.name, e.valueFrom?.secretKeyRef]).toEqual([e.name, undefined]);
        expect(['RINGKV_SECRET', 'RINGKV_TOKEN', 'RINGKV_INSECURE_NO_AUTH']).not.toContain(e.name);
        expect(e.name).not.toMatch(/TOKEN|PASSWORD/);
        // A value that looks like a secret or a token: long letters and digits, with no path,
        // host, port or option in it.
        expect([e.name, e.value]).not.toEqual([e.name, expect.stringMatching(/^(?!-)(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_+=~-]{24,}$/)]);
      }
      const argv = [...(c.command ?? []), ...(c.args ?? [])].join(' ');
      expect(argv).not.toMatch(/--(secret|token|insecure-no-auth)\b/);
    }
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('nothing under deploy/k8s passes --insecure-no-auth, in any spelling', () => {
    for (const f of yamlFiles(path.join(DEPLOY_DIR, 'k8s'))) {
      expect([f, /insecure[-_]?no[-_]?auth/i.test(readFileSync(f, 'utf8'))]).toEqual([f, false]);
    }
  });

  test.each(builds)('%s: the probes hit routes open without a token (/health, /ready)', (_n, objs) => {
    const { c } = nodePod(objs);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const get = c[probe].httpGet;
      expect([probe, accessFor('GET', get.path)]).toEqual([probe, 'open']);
      expect(c[probe].httpGet.httpHeaders).toBeUndefined();
    }
  });
});

// Whether a NetworkPolicy lets a connection through (matchLabels selectors, numeric and named ports).
interface Endpoint { pod: Record<string, string>; namespace: string }
const NAMESPACE_LABELS = (ns: string) => ({ 'kubernetes.io/metadata.name': ns });
function selectorMatches(sel: K8sObject | undefined, labels: Record<string, string>): boolean {
  if (sel === undefined) return true;
  if (sel.matchExpressions) throw new Error('matchExpressions are not evaluated here');
  return Object.entries((sel.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v);
}
function allows(np: K8sObject, direction: 'Ingress' | 'Egress', peer: Endpoint, portNumber: number, protocol = 'TCP', policyNamespace = 'db'): boolean {
  if (!np.spec.policyTypes.includes(direction)) return true;
  const rules: K8sObject[] = np.spec[direction === 'Ingress' ? 'ingress' : 'egress'] ?? [];
  return rules.some((r) => {
    const peers: K8sObject[] | undefined = r[direction === 'Ingress' ? 'from' : 'to'];
    const peerOk = !peers || peers.length === 0 || peers.some((p) => {
      if (p.ipBlock) throw new Error('ipBlock peers are not evaluated here');
      const nsOk = p.namespaceSelector ? selectorMatches(p.namespaceSelector, NAMESPACE_LABELS(peer.namespace)) : peer.namespace === policyNamespace;
      return nsOk && selectorMatches(p.podSelector, peer.pod);
    });
    const portOk = !r.ports || r.ports.some((p: K8sObject) => {
      const n = typeof p.port === 'string' ? port(p.port) : p.port;
      return (p.protocol ?? 'TCP') === protocol && (p.port === undefined || n === portNumber || (p.endPort !== undefined && portNumber >= n && portNumber <= p.endPort));
    });
    return peerOk && portOk;
  });
}

describe('network policy', () => {
  const np = findOne(objects, 'NetworkPolicy');
  const ringkvPod: Endpoint = { pod: podLabels, namespace: 'db' };
  const otherPod: Endpoint = { pod: { app: 'web' }, namespace: 'db' };
  const ringkvElsewhere: Endpoint = { pod: podLabels, namespace: 'other' };
  const kubeDns: Endpoint = { pod: { 'k8s-app': 'kube-dns' }, namespace: 'kube-system' };
  const fakeDns: Endpoint = { pod: { 'k8s-app': 'kube-dns' }, namespace: 'db' };
  const prometheus: Endpoint = { pod: { app: 'prometheus' }, namespace: 'monitoring' };

  test('ingress: the peer port only from ringkv pods of this namespace; the client port from anyone (tokens guard it)', () => {
    expect(allows(np, 'Ingress', ringkvPod, port('peer'))).toBe(true);
    expect(allows(np, 'Ingress', otherPod, port('peer'))).toBe(false);
    expect(allows(np, 'Ingress', ringkvElsewhere, port('peer'))).toBe(false);
    expect(allows(np, 'Ingress', ringkvPod, port('peer'), 'UDP')).toBe(false);
    for (const from of [ringkvPod, otherPod, prometheus]) expect(allows(np, 'Ingress', from, port('http'))).toBe(true);
    expect(allows(np, 'Ingress', otherPod, 22)).toBe(false);
  });

  test('egress: only the peer port of ringkv pods, and DNS to kube-dns in kube-system', () => {
    expect(np.spec.policyTypes).toContain('Egress');
    expect(allows(np, 'Egress', ringkvPod, port('peer'))).toBe(true);
    expect(allows(np, 'Egress', ringkvPod, port('http'))).toBe(false);
    expect(allows(np, 'Egress', ringkvElsewhere, port('peer'))).toBe(false);
    expect(allows(np, 'Egress', otherPod, port('peer'))).toBe(false);
    for (const proto of ['UDP', 'TCP']) {
      expect(allows(np, 'Egress', kubeDns, 53, proto)).toBe(true);
      expect(allows(np, 'Egress', fakeDns, 53, proto)).toBe(false);
      expect(allows(np, 'Egress', otherPod, 53, proto)).toBe(false);
    }
    expect(allows(np, 'Egress', kubeDns, 443)).toBe(false);
    expect(allows(np, 'Egress', prometheus, 9090)).toBe(false);
  });

  test('egress rules are closed: each names its peers and ports, with no ipBlock (nothing outside the cluster)', () => {
    for (const r of np.spec.egress as K8sObject[]) {
      expect(r.to?.length).toBeGreaterThan(0);
      expect(r.ports?.length).toBeGreaterThan(0);
      for (const t of r.to) {
        expect(t.ipBlock).toBeUndefined();
        expect(t.podSelector).toBeDefined();
      }
    }
  });

  test('what a node dials is allowed: every seed is a ringkv pod at the peer port', () => {
    const seeds = expandEnv(env, { POD_NAME: 'ringkv-0', NAMESPACE: 'db' }).RINGKV_SEEDS.split(',');
    for (const s of seeds) {
      expect(s).toMatch(new RegExp(`^${sts.metadata.name}-\\d+\\.${headless.metadata.name}\\.db\\.svc\\.cluster\\.local:${port('peer')}$`));
    }
    expect(allows(np, 'Egress', ringkvPod, port('peer'))).toBe(true);
  });
});

describe('TLS overlay', () => {
  const { set, c, env: tlsEnv } = nodePod(overlay);
  const tlsValue = (name: string) => tlsEnv.find((e) => e.name === name)?.value;
  const namespace = set.metadata.namespace!;
  const cert = findOne(overlay, 'Certificate');

  test('builds from the base: every base object, plus the Issuer and the Certificate, all valid', () => {
    const kinds = (objs: K8sObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds(overlay)).toEqual([...kinds(objects), 'Certificate/ringkv-tls', 'Issuer/ringkv-ca'].sort());
    for (const o of overlay) expect(() => validate(o)).not.toThrow();
    expect(namespace).toBeDefined();
    for (const o of overlay) expect(o.metadata.namespace).toBe(namespace);
  });

  test('the cert-manager check is real: a wrong usage, field or issuer is caught', () => {
    const bad = structuredClone(cert);
    bad.spec.usages = ['server auth', 'client-auth'];
    expect(() => validateCertManager(bad)).toThrow(/client-auth/);
    const extra = structuredClone(cert);
    extra.spec.dnsName = ['x'];
    expect(() => validateCertManager(extra)).toThrow(/dnsName/);
    const issuer = structuredClone(findOne(overlay, 'Issuer'));
    issuer.spec.selfSigned = {};
    expect(() => validateCertManager(issuer)).toThrow(/exactly one type/);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  (kubectl ? test : test.skip)('kubectl kustomize builds the same objects as this build', () => {
    const out = spawnSync('kubectl', ['kustomize', TLS_OVERLAY_DIR], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    const built = parseAllDocuments(out.stdout).map((d) => d.toJS() as K8sObject);
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    const byKey = (objs: K8sObject[]) => Object.fromEntries(objs.map((o) => [key(o), o]));
    expect(byKey(overlay)).toEqual(byKey(built));
  });

  test('mounts the Secret ringkv-tls read-only and names its files by the five TLS variables', () => {
    const keyOf: Record<string, string> = {
      RINGKV_TLS_CERT: 'tls.crt', RINGKV_TLS_KEY: 'tls.key', RINGKV_PEER_TLS_CERT: 'tls.crt', RINGKV_PEER_TLS_KEY: 'tls.key', RINGKV_PEER_TLS_CA: 'ca.crt',
    };
    for (const name of TLS_VARS) {
      const file = tlsValue(name)!;
      expect([name, file]).toEqual([name, expect.stringMatching(/^\//)]);
      const { mount, volume } = secretBehind(overlay, file);
      expect(mount.readOnly).toBe(true);
      expect(mount.subPath).toBeUndefined();
      expect(volume.secret.secretName).toBe('ringkv-tls');
      expect(volume.secret.secretName).toBe(cert.spec.secretName);
      expect(volume.secret.items).toContainEqual({ key: keyOf[name], path: path.posix.basename(file) });
      expect([0o400, 0o440]).toContain(volume.secret.defaultMode);
    }
    const config = startConfig(overlay);
    expect([config.tlsCert, config.tlsKey, config.peerTlsCert, config.peerTlsKey, config.peerTlsCa]).toEqual(TLS_VARS.map(tlsValue));
  });

  test('keeps everything else of the base: the secret, the auth file, the identity and the seeds', () => {
    const baseEnv = expandEnv(env, { POD_NAME: 'ringkv-1', NAMESPACE: namespace });
    const tls = expandEnv(tlsEnv, { POD_NAME: 'ringkv-1', NAMESPACE: namespace });
    for (const name of TLS_VARS) delete tls[name];
    expect(tls).toEqual(baseEnv);
    tlsEnv.forEach((e, i) => {
      for (const [, v] of (e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) expect([e.name, tlsEnv.slice(0, i).some((x) => x.name === v)]).toEqual([e.name, true]);
    });
    const docs = readFileSync(path.join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
    for (const name of TLS_VARS) expect(docs).toContain(`\`${name}\``);
  });

  test('probes speak HTTPS to the same open paths (the kubelet does not verify the certificate)', () => {
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      expect(c[probe].httpGet).toEqual({ ...container[probe].httpGet, scheme: 'HTTPS' });
    }
  });

  test('the Certificate is for both TLS ends and names the client Service and every pod', () => {
    expect(cert.apiVersion).toBe('cert-manager.io/v1');
    expect(cert.spec.secretName).toBe('ringkv-tls');
    expect(cert.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    const dnsNames: string[] = cert.spec.dnsNames;
    const covers = (host: string) => dnsNames.some((n) => n === host || (n.startsWith('*.') && host.endsWith(n.slice(1)) && !host.slice(0, -n.length + 1).includes('.')));
    expect(dnsNames).toContain(`*.${headless.metadata.name}.${namespace}.svc.cluster.local`);
    for (const i of [0, 1, 2, 7]) {
      const pe = expandEnv(tlsEnv, { POD_NAME: `${set.metadata.name}-${i}`, NAMESPACE: namespace });
      for (const addr of [pe.RINGKV_ADVERTISE_PEER, pe.RINGKV_ADVERTISE_HTTP]) expect([addr, covers(addr.replace(/:\d+$/, ''))]).toEqual([addr, true]);
    }
    const client = findOne(overlay, 'Service', 'ringkv').metadata.name;
    for (const host of [client, `${client}.${namespace}`, `${client}.${namespace}.svc`, `${client}.${namespace}.svc.cluster.local`]) {
      expect([host, covers(host)]).toEqual([host, true]);
    }
    expect(covers(`x.y.${headless.metadata.name}.${namespace}.svc.cluster.local`)).toBe(false);
    // Commands run in a pod, and port-forwards, reach the node at 127.0.0.1 (deploy/README.md).
    expect(cert.spec.ipAddresses).toContain('127.0.0.1');
  });

  test("the Certificate's issuer is the overlay's CA Issuer, which signs from a CA Secret", () => {
    const ref = cert.spec.issuerRef;
    expect(ref.kind).toBe('Issuer');
    const issuer = findOne(overlay, 'Issuer', ref.name);
    expect(issuer.spec.ca.secretName).toMatch(/./);
    expect(issuer.spec.ca.secretName).not.toBe(cert.spec.secretName);
  });

  test('the base alone passes no TLS variable and mounts no TLS Secret', () => {
    expect(env.map((e) => e.name).filter((n) => /TLS/.test(n))).toEqual([]);
    expect(pod.volumes.filter((v: K8sObject) => v.secret?.secretName === 'ringkv-tls')).toEqual([]);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) expect(container[probe].httpGet.scheme).toBeUndefined();
    const config = startConfig(objects);
    expect([config.tlsCert, config.peerTlsCert, config.peerTlsCa]).toEqual([undefined, undefined, undefined]);
  });
});
