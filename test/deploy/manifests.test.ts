// The Kubernetes base in deploy/k8s: every object valid against the Kubernetes schemas
// (kubernetes-models, no cluster needed) and the invariants that make a ringkv cluster work:
// ports, probes, selectors, peer identities and seeds by DNS, the secret, drain without
// decommission, and a network policy that keeps the peer port to ringkv pods.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { REPO_ROOT } from '../support/processes.js';
import {
  BASE_DIR, baseYamlFiles, expandEnv, findOne, loadBase, loadKustomization, selects, type K8sObject,
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
    const api = readFileSync(path.join(REPO_ROOT, 'packages', 'server', 'src', 'http', 'client-api.ts'), 'utf8');
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const get = container[probe].httpGet;
      expect(api).toContain(`case '${get.path}':`);
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
