// Reads the kustomize base of deploy/k8s and finds its objects, for the manifest tests.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/processes.js';

export const DEPLOY_DIR = path.join(REPO_ROOT, 'deploy');
export const BASE_DIR = path.join(DEPLOY_DIR, 'k8s', 'base');

// Loose views of the objects: the tests read fields by name and fail loudly when one is missing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: any };

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
