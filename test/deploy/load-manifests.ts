// Reads the kustomize base of deploy/k8s and its overlays and finds their objects, for the
// manifest tests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/processes.js';

export const DEPLOY_DIR = path.join(REPO_ROOT, 'deploy');
export const BASE_DIR = path.join(DEPLOY_DIR, 'k8s', 'base');
export const TLS_OVERLAY_DIR = path.join(DEPLOY_DIR, 'k8s', 'overlays', 'tls');

// Loose views of the objects: the tests read fields by name and fail loudly when one is missing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

export function readYamlDocs(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true }); // compose uses `<<` merge keys
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
  return docs.map((d) => d.toJS({ maxAliasCount: 100 })).filter((d) => d !== null);
}

export interface Kustomization {
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

export function loadKustomization(): Kustomization {
  return readYamlDocs(path.join(BASE_DIR, 'kustomization.yaml'))[0] as Kustomization;
}

export function baseYamlFiles(): string[] {
  return readdirSync(BASE_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
}

/** Every object of the base, as listed in kustomization.yaml. */
export function loadBase(): K8sObject[] {
  return loadKustomization().resources.flatMap((r) => readYamlDocs(path.join(BASE_DIR, r)) as K8sObject[]);
}

export function findOne(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** True when every label of `selector` is among `labels`. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Expands Kubernetes `$(VAR)` references the way the kubelet does for container env. */
export function expandEnv(env: { name: string; value?: string }[], given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const raw = e.value ?? given[e.name];
    if (raw === undefined) continue;
    out[e.name] = raw.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => out[v] ?? m);
  }
  return out;
}

// ---- kustomize build, for the subset of kustomize these manifests use ----
// Resources (files and directories with their own kustomization.yaml), `labels` without selectors,
// `namespace`, strategic-merge `patches` given by path, and `images`. Anything else in a
// kustomization.yaml is refused, so the build never silently differs from kustomize's; the tests
// also compare it with `kubectl kustomize` where kubectl is installed.

const KUSTOMIZATION_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'patches', 'images']);

/** Kinds that have no namespace (the namespace transformer leaves them alone). */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ClusterIssuer', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass']);

/** Merge keys of the strategic merge patch, by list field name (as the Kubernetes types declare them for pod specs). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name', initContainers: 'name', env: 'name', volumes: 'name', volumeMounts: 'mountPath', imagePullSecrets: 'name',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A strategic merge patch: maps merge key by key (null deletes), lists of MERGE_KEYS merge item
 * by item (new items first, as kustomize puts them), other lists are replaced.
 */
export function strategicMerge(target: unknown, patch: unknown, field = ''): unknown {
  if (isObject(patch)) {
    for (const k of Object.keys(patch)) if (k.startsWith('$')) throw new Error(`strategic merge directive ${k} is not supported by this build`);
    if (!isObject(target)) return structuredClone(patch);
    const out: Record<string, unknown> = { ...target };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = k in target ? strategicMerge(target[k], v, k) : structuredClone(v);
    }
    return out;
  }
  if (Array.isArray(patch) && Array.isArray(target) && MERGE_KEYS[field]) {
    const key = MERGE_KEYS[field];
    const merged = target.map((t) => structuredClone(t) as Record<string, unknown>);
    const added: unknown[] = [];
    for (const p of patch as Record<string, unknown>[]) {
      const i = merged.findIndex((t) => t[key] === p[key]);
      if (i >= 0) merged[i] = strategicMerge(merged[i], p, '') as Record<string, unknown>;
      else added.push(structuredClone(p));
    }
    return [...added, ...merged];
  }
  return structuredClone(patch);
}

interface KustomizationFile {
  namespace?: string;
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  resources?: string[];
  patches?: { path?: string; target?: unknown; patch?: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

function podSpecs(o: K8sObject): K8sObject[] {
  const spec = o.spec?.template?.spec ?? (o.kind === 'Pod' ? o.spec : undefined);
  return spec ? [spec] : [];
}

/** The objects `kustomize build dir` makes (for the subset above). */
export function buildKustomization(dir: string): K8sObject[] {
  const file = path.join(dir, 'kustomization.yaml');
  const k = readYamlDocs(file)[0] as KustomizationFile;
  const unknown = Object.keys(k).filter((f) => !KUSTOMIZATION_FIELDS.has(f));
  if (unknown.length) throw new Error(`${file}: ${unknown.join(', ')} not supported by this build`);
  let objects: K8sObject[] = (k.resources ?? []).flatMap((r) => {
    const p = path.resolve(dir, r);
    return statSync(p).isDirectory() ? buildKustomization(p) : (readYamlDocs(p) as K8sObject[]);
  });
  for (const patch of k.patches ?? []) {
    if (!patch.path || patch.target !== undefined || patch.patch !== undefined) throw new Error(`${file}: only patches by path, without target, are supported`);
    for (const doc of readYamlDocs(path.resolve(dir, patch.path)) as K8sObject[]) {
      const matches = objects.filter((o) => o.kind === doc.kind && o.metadata.name === doc.metadata.name);
      if (matches.length !== 1) throw new Error(`${patch.path}: patches ${doc.kind} ${doc.metadata.name}, which the resources hold ${matches.length} times`);
      objects = objects.map((o) => (o === matches[0] ? (strategicMerge(o, doc) as K8sObject) : o));
    }
  }
  for (const l of k.labels ?? []) {
    if (l.includeSelectors || l.includeTemplates) throw new Error(`${file}: labels with includeSelectors or includeTemplates are not supported`);
    for (const o of objects) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...l.pairs };
  }
  if (k.namespace) {
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  }
  for (const img of k.images ?? []) {
    for (const spec of objects.flatMap(podSpecs)) {
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as { image: string }[]) {
        const colon = c.image.lastIndexOf(':');
        const hasTag = colon > c.image.lastIndexOf('/');
        const name = hasTag ? c.image.slice(0, colon) : c.image;
        const tag = hasTag ? c.image.slice(colon + 1) : undefined;
        if (name !== img.name) continue;
        c.image = `${img.newName ?? name}${(img.newTag ?? tag) !== undefined ? `:${img.newTag ?? tag}` : ''}`;
      }
    }
  }
  return objects;
}

// ---- cert-manager objects: no CRDs or schema package here, so their shape is checked by hand ----
// The fields and enums of cert-manager.io/v1 (Certificate and Issuer) that a manifest may use.

const CERTIFICATE_SPEC_FIELDS = new Set([
  'additionalOutputFormats', 'commonName', 'dnsNames', 'duration', 'emailAddresses', 'encodeUsagesInRequest', 'ipAddresses',
  'isCA', 'issuerRef', 'keystores', 'literalSubject', 'nameConstraints', 'otherNames', 'privateKey', 'renewBefore',
  'renewBeforePercentage', 'revisionHistoryLimit', 'secretName', 'secretTemplate', 'signatureAlgorithm', 'subject', 'uris', 'usages',
]);
export const CERT_MANAGER_USAGES = new Set([
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment', 'cert sign',
  'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing', 'email protection',
  's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc',
]);
const ISSUER_TYPES = ['acme', 'ca', 'selfSigned', 'vault', 'venafi'];
const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GO_DURATION = /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/;

/** Throws naming the first field of a cert-manager Certificate or Issuer that its CRD would refuse. */
export function validateCertManager(o: K8sObject): void {
  const fail = (why: string) => { throw new Error(`${o.kind} ${o.metadata?.name}: ${why}`); };
  if (o.apiVersion !== 'cert-manager.io/v1') fail(`apiVersion ${o.apiVersion} is not cert-manager.io/v1`);
  if (!DNS_1123.test(o.metadata?.name ?? '') || o.metadata.name.length > 253) fail('metadata.name is not a DNS-1123 name');
  const spec = o.spec as Record<string, unknown> | undefined;
  if (!isObject(spec)) fail('spec is missing');
  if (o.kind === 'Certificate') {
    for (const f of Object.keys(spec!)) if (!CERTIFICATE_SPEC_FIELDS.has(f)) fail(`spec.${f} is not a Certificate field`);
    if (typeof spec!.secretName !== 'string' || !DNS_1123.test(spec!.secretName)) fail('spec.secretName must be a Secret name');
    const ref = spec!.issuerRef as Record<string, unknown> | undefined;
    if (!isObject(ref) || typeof ref.name !== 'string') fail('spec.issuerRef.name is required');
    for (const f of Object.keys(ref!)) if (!['name', 'kind', 'group'].includes(f)) fail(`spec.issuerRef.${f} is not an issuerRef field`);
    for (const f of ['dnsNames', 'usages'] as const) {
      const v = spec![f];
      if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) fail(`spec.${f} must be a list of strings`);
    }
    for (const u of (spec!.usages as string[] | undefined) ?? []) if (!CERT_MANAGER_USAGES.has(u)) fail(`spec.usages: "${u}" is not a key usage`);
    for (const f of ['duration', 'renewBefore'] as const) {
      if (spec![f] !== undefined && !GO_DURATION.test(String(spec![f]))) fail(`spec.${f} is not a duration`);
    }
    const pk = spec!.privateKey as Record<string, unknown> | undefined;
    if (pk !== undefined) {
      for (const f of Object.keys(pk)) if (!['algorithm', 'encoding', 'rotationPolicy', 'size'].includes(f)) fail(`spec.privateKey.${f} is not a privateKey field`);
      if (pk.algorithm !== undefined && !['RSA', 'ECDSA', 'Ed25519'].includes(pk.algorithm as string)) fail('spec.privateKey.algorithm');
      if (pk.encoding !== undefined && !['PKCS1', 'PKCS8'].includes(pk.encoding as string)) fail('spec.privateKey.encoding');
      if (pk.rotationPolicy !== undefined && !['Never', 'Always'].includes(pk.rotationPolicy as string)) fail('spec.privateKey.rotationPolicy');
      if (pk.size !== undefined && !Number.isInteger(pk.size)) fail('spec.privateKey.size must be an integer');
    }
    const names = [...((spec!.dnsNames as string[]) ?? []), spec!.commonName].filter((x) => x !== undefined);
    if (names.length === 0 && spec!.uris === undefined && spec!.ipAddresses === undefined) fail('names no subject (dnsNames, commonName, uris or ipAddresses)');
  } else if (o.kind === 'Issuer' || o.kind === 'ClusterIssuer') {
    const types = Object.keys(spec!);
    for (const f of types) if (!ISSUER_TYPES.includes(f)) fail(`spec.${f} is not an issuer type`);
    if (types.length !== 1) fail(`an issuer has exactly one type (${ISSUER_TYPES.join(', ')}), this one has ${types.length}`);
    if (isObject(spec!.ca) && typeof spec!.ca.secretName !== 'string') fail('spec.ca.secretName is required');
  } else {
    fail('is not a cert-manager kind this check knows');
  }
}
