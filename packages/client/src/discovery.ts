// The cluster view of GET /cluster and the endpoints it names.

/** One member as `GET /cluster` reports it. */
export interface ClusterMember {
  /** Node id. */
  id: string;
  /** Peer address HOST:PORT. */
  peer: string;
  /** Client API address HOST:PORT (no scheme). */
  http: string;
  /** Membership status. */
  status: 'joining' | 'normal' | 'leaving' | 'left';
  /** Whether the answering node currently sees this member as up. */
  alive: boolean;
  /** Partitions this member holds replicas of. */
  partitions: number;
  /** Failure zone, when set. */
  zone?: string | null;
}

/** The answer of `GET /cluster`. */
export interface ClusterView {
  /** Id of the node that answered. */
  node: string;
  /** Membership epoch. */
  epoch: number;
  /** Raft leader of the membership group, when known. */
  leader: string | null;
  /** Partition count Q. */
  partitions?: number;
  /** Replica count N. */
  replicas?: number;
  /** Every member of the current epoch. */
  members: ClusterMember[];
  [extra: string]: unknown;
}

/** Endpoints found in a cluster view: the ones to use and the ones reported dead. */
export interface DiscoveredEndpoints {
  /** Base URLs of members seen alive. */
  up: string[];
  /** Base URLs of members the answering node sees as down. */
  down: string[];
}

/**
 * Base URLs of the members' client APIs, with the scheme of the endpoint that answered. Members
 * that left and addresses no client could dial (0.0.0.0, ::) are skipped.
 */
export function endpointsFromCluster(view: ClusterView, answeredBy: string): DiscoveredEndpoints {
  const scheme = answeredBy.toLowerCase().startsWith('https://') ? 'https://' : 'http://';
  const up: string[] = [];
  const down: string[] = [];
  for (const m of Array.isArray(view?.members) ? view.members : []) {
    if (!m || typeof m.http !== 'string' || m.status === 'left') continue;
    if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(m.http)) continue;
    const host = m.http.slice(0, m.http.lastIndexOf(':'));
    if (host === '0.0.0.0' || host === '[::]' || host === '[::0]') continue;
    (m.alive === false ? down : up).push(`${scheme}${m.http}`);
  }
  return { up, down };
}
