// @ringkv/client: the HTTP client SDK of ringkv. See the README for examples.
export { RingkvClient, type GetResult, type Value, type WriteResult } from './client.js';
export * from './errors.js';
export {
  normalizeEndpoint, type CallOptions, type ClientOptions, type Consistency, type DeleteOptions, type FetchLike,
  type GetOptions, type PutOptions,
} from './options.js';
export { endpointsFromCluster, type ClusterMember, type ClusterView, type DiscoveredEndpoints } from './discovery.js';
export { backoffDelayMs, certainlyNotApplied, shouldRetry, type OperationKind } from './retry-policy.js';
