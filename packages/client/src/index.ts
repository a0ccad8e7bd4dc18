// @ringkv/client: the HTTP client SDK of ringkv. See the README for examples.
export { RingkvClient, type ClusterHealth, type GetResult, type Value, type WriteResult } from './client.js';
export * from './errors.js';
export { CLIENT_ERROR_CODES } from './error-codes.js';
export {
  normalizeEndpoint, TOKEN_PATTERN, type CallOptions, type ClientOptions, type Consistency, type DeleteOptions, type FetchInit,
  type FetchLike, type GetOptions, type HeadersLike, type PutOptions, type ResponseLike,
} from './options.js';
export { endpointsFromCluster, type ClusterMember, type ClusterView, type DiscoveredEndpoints } from './discovery.js';
export { certificateProblem } from './http-attempt.js';
export { backoffDelayMs, certainlyNotApplied, shouldRetry, type OperationKind } from './retry-policy.js';
