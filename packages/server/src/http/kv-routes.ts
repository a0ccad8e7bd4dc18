// The data routes, /kv/{key}: GET and HEAD (a quorum read, or ?local=true for this node's replica
// alone), PUT (the body is the value) and DELETE, against the node's KvService. Parameters are
// checked before a body is read or a replica is asked; each route resolves with its status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatTimestamp } from '@ringkv/core';
import { KeyNotFoundError, MethodNotAllowedError } from '../errors.js';
import type { KvService } from '../coordinator/kv-service.js';
import { parseFlag, parseKey, parseQuery, parseTtlSeconds } from './request-params.js';
import { readBody } from './read-body.js';
import { sendJson } from './json-response.js';

export const KV_PREFIX = '/kv/';
export const KV_ROUTE = '/kv/{key}';

export interface KvRoutesDeps {
  kv: KvService;
  maxValueBytes: number;
  maxKeyBytes: number;
  maxTtlSeconds: number;
}

export class KvRoutes {
  constructor(private readonly deps: KvRoutesDeps) {}

  /** Answers a request whose path starts with /kv/. */
  handle(method: string, path: string, search: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    const key = parseKey(path.slice(KV_PREFIX.length), this.deps.maxKeyBytes);
    switch (method) {
      case 'GET':
      case 'HEAD':
        return this.get(key.bytes, key.text, search, method === 'HEAD', res);
      case 'PUT':
        return this.put(key.bytes, search, req, res);
      case 'DELETE':
        return this.del(key.bytes, search, res);
      default:
        throw new MethodNotAllowedError(method, KV_ROUTE, ['GET', 'HEAD', 'PUT', 'DELETE']);
    }
  }

  private async get(key: Uint8Array, keyText: string, search: string, head: boolean, res: ServerResponse): Promise<number> {
    const params = parseQuery(search, ['r', 'local']);
    const local = parseFlag(params, 'local');
    const rec = local ? await this.deps.kv.getLocal(key) : await this.deps.kv.get(key, { r: params.get('r') });
    if (!rec || (local && rec.tombstone)) {
      if (rec) res.setHeader('x-ringkv-timestamp', formatTimestamp(rec.ts));
      if (rec?.tombstone) res.setHeader('x-ringkv-tombstone', 'true');
      // The common miss is answered without building an Error (its stack trace is costly).
      return sendJson(res, 404, { error: { code: KeyNotFoundError.code, message: `key "${keyText}" not found` } });
    }
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'content-length': rec.value.length,
      'x-ringkv-timestamp': formatTimestamp(rec.ts),
    };
    if (rec.expiresAtMs) headers['x-ringkv-expires-at'] = new Date(rec.expiresAtMs).toISOString();
    res.writeHead(200, headers);
    res.end(head ? undefined : rec.value);
    return 200;
  }

  private async put(key: Uint8Array, search: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    const params = parseQuery(search, ['w', 'ttl', 'strict']);
    const options = { w: params.get('w'), ttlSeconds: parseTtlSeconds(params, this.deps.maxTtlSeconds), strict: parseFlag(params, 'strict') };
    const value = await readBody(req, this.deps.maxValueBytes);
    const { ts } = await this.deps.kv.put(key, value, options);
    res.writeHead(204, { 'x-ringkv-timestamp': formatTimestamp(ts) });
    res.end();
    return 204;
  }

  private async del(key: Uint8Array, search: string, res: ServerResponse): Promise<number> {
    const params = parseQuery(search, ['w', 'strict']);
    const { ts } = await this.deps.kv.delete(key, { w: params.get('w'), strict: parseFlag(params, 'strict') });
    res.writeHead(204, { 'x-ringkv-timestamp': formatTimestamp(ts) });
    res.end();
    return 204;
  }
}
