// Every error code a package exports is documented in docs/errors.md, and every documented code
// exists; client-facing codes have the HTTP status the docs give.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_ERROR_CODES, MERKLE_ERROR_CODES, RAFT_ERROR_CODES, RING_ERROR_CODES, RingkvError } from '@ringkv/core';
import { STORAGE_ERROR_CODES } from '@ringkv/storage';
import {
  HINT_ERROR_CODES, MEMBERSHIP_ERROR_CODES, PEER_ERROR_CODES, REPLICA_STORE_ERROR_CODES, SERVER_ERROR_CODES, TOPOLOGY_ERROR_CODES,
} from '@ringkv/server';
import { CLIENT_ERROR_CODES } from '@ringkv/client';
import { statusFor } from '../src/http/error-response.js';

const docs = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/errors.md'), 'utf8');
const documented = new Map<string, string[]>();
for (const line of docs.split('\n')) {
  const m = /^\| `([A-Z_]+)` \|(.*)$/.exec(line);
  if (m) documented.set(m[1], m[2].split('|').map((c) => c.trim()));
}

const exported = [
  ...CORE_ERROR_CODES, ...RING_ERROR_CODES, ...MERKLE_ERROR_CODES, ...RAFT_ERROR_CODES,
  ...STORAGE_ERROR_CODES, ...SERVER_ERROR_CODES, ...PEER_ERROR_CODES, ...MEMBERSHIP_ERROR_CODES, ...CLIENT_ERROR_CODES,
  ...HINT_ERROR_CODES, ...REPLICA_STORE_ERROR_CODES, ...TOPOLOGY_ERROR_CODES,
];

describe('error codes', () => {
  test.each(exported)('%s is documented', (code) => {
    expect(documented.has(code)).toBe(true);
  });

  test('every documented code is exported by a package', () => {
    expect([...documented.keys()].filter((c) => !exported.includes(c as never))).toEqual([]);
  });

  test('documented HTTP statuses match the server mapping', () => {
    for (const [code, cells] of documented) {
      const status = Number(cells[0]);
      if (!Number.isInteger(status)) continue;
      expect([code, statusFor(new RingkvError(code, 'x'))]).toEqual([code, status]);
    }
  });
});
