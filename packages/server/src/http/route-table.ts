// Every route of the client API and who may call it, in one table (docs/security.md has the same
// table; a test keeps the two and the server's answers in step). `open` routes need no token;
// the others need a principal whose role is at least the one given (read < write < admin).
import type { Role } from './auth/auth-file.js';

export type RouteAccess = 'open' | Role;

export interface RouteEntry {
  /** The path, or a pattern with one {key} segment. */
  path: string;
  methods: readonly string[];
  access: RouteAccess;
  what: string;
}

export const ROUTES: readonly RouteEntry[] = Object.freeze([
  { path: '/', methods: ['GET', 'HEAD'], access: 'open', what: 'redirects to the console, /ui/' },
  { path: '/ui/{file}', methods: ['GET', 'HEAD'], access: 'open', what: 'the console\'s pages (static; the JSON they read needs its own role)' },
  { path: '/health', methods: ['GET', 'HEAD'], access: 'open', what: 'liveness' },
  { path: '/ready', methods: ['GET', 'HEAD'], access: 'open', what: 'readiness (joined, caught up, clock in line, storage writable)' },
  { path: '/kv/{key}', methods: ['GET', 'HEAD'], access: 'read', what: 'read a key (?local=1: this node\'s replica only)' },
  { path: '/kv/{key}', methods: ['PUT', 'DELETE'], access: 'write', what: 'write or delete a key' },
  { path: '/metrics', methods: ['GET'], access: 'read', what: 'Prometheus metrics' },
  { path: '/cluster', methods: ['GET'], access: 'read', what: 'members, epoch, leader, clocks, moves' },
  { path: '/cluster/ring', methods: ['GET'], access: 'read', what: 'ownership of every partition' },
  { path: '/cluster/anti-entropy', methods: ['GET'], access: 'read', what: 'anti-entropy state per partition' },
  { path: '/cluster/health', methods: ['GET', 'HEAD'], access: 'read', what: 'the cluster\'s verdict and reasons, nodes and partitions by state (docs/console.md)' },
  { path: '/cluster/nodes', methods: ['GET', 'HEAD'], access: 'read', what: 'every member: liveness, clock offset, share, disk, hints, streams, p99' },
  { path: '/cluster/partitions', methods: ['GET', 'HEAD'], access: 'read', what: 'every partition: replicas up, health, pending owners, last Merkle exchange, hints, ops/s' },
  { path: '/cluster/transfers', methods: ['GET', 'HEAD'], access: 'read', what: 'partition streams, hints per holder and target, anti-entropy per partition' },
  { path: '/cluster/traffic', methods: ['GET', 'HEAD'], access: 'read', what: 'traffic history of a node or all (?node=ID or all): ops, p50/p99, errors' },
  { path: '/cluster/plan', methods: ['POST'], access: 'admin', what: 'what a membership change would move (body as /cluster/changes); changes nothing' },
  { path: '/cluster/changes', methods: ['POST'], access: 'admin', what: 'propose a membership change (add, activate, leave, remove, setZone, setAddress)' },
  { path: '/cluster/join', methods: ['POST'], access: 'admin', what: 'this fresh node joins the cluster of the given seeds' },
  { path: '/cluster/leave', methods: ['POST'], access: 'admin', what: 'this node decommissions itself' },
]);

const RANK: Record<RouteAccess, number> = { open: 0, read: 1, write: 2, admin: 3 };
const byPath = new Map<string, RouteEntry[]>();
for (const r of ROUTES) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);

/** The route pattern a path falls under (kv keys share one), or undefined for no route. */
export function routeOf(path: string): string | undefined {
  if (path.startsWith('/kv/')) return '/kv/{key}';
  if (path === '/ui' || path.startsWith('/ui/')) return '/ui/{file}';
  return byPath.has(path) ? path : undefined;
}

/**
 * What a request needs. A method the route does not allow needs the most its route needs (the
 * answer is then 405, to a caller who may know the route); a path of no route needs `read` (404
 * only for callers who may read: route names are not advertised to strangers).
 */
export function accessFor(method: string, path: string): RouteAccess {
  const route = routeOf(path);
  if (route === undefined) return 'read';
  const entries = byPath.get(route)!;
  const match = entries.find((r) => r.methods.includes(method));
  if (match) return match.access;
  return entries.reduce<RouteAccess>((most, r) => (RANK[r.access] > RANK[most] ? r.access : most), 'open');
}
