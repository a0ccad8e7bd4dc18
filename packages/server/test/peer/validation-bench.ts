// Not a test: the CPU cost of decoding one replica write (the hot peer message) with and without
// the structural check and the schema (issue 14's note quotes it). Build first, then:
//   node --import ./packages/server/test/peer/ts-loader.mjs packages/server/test/peer/validation-bench.ts
// Measured here (Dec 2026, 2 cores): schema 9-17 ns, checkMsgpack 143-171 ns, partitionOf 95 ns.
import { encodeRecord, partitionOf } from '@ringkv/core';
import { Packr } from 'msgpackr';
import { decodeBody, encodeMessage, MessageKind } from '../../src/peer/frame-codec.js';
import { checkMsgpack } from '../../src/peer/msgpack-guard.js';
import { PeerProtocol } from '../../src/protocol/peer-protocol.js';

const protocol = new PeerProtocol({ partitions: 256, maxKeyBytes: 1024, maxValueBytes: 1 << 20 });
const key = Buffer.from('bench-key-000123');
const record = encodeRecord({ ts: { wallMs: 1_700_000_000_000, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value: new Uint8Array(100) });
const msg = encodeMessage(MessageKind.Request, 1, { type: 10, partition: partitionOf(key, 256), key, record });
const packr = new Packr({ useRecords: false, copyBuffers: true });
const N = 1_000_000;
function time(name: string, fn: () => unknown): number {
  for (let i = 0; i < 100_000; i++) fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  const ns = Number(process.hrtime.bigint() - t) / N;
  console.log(`${name}: ${ns.toFixed(0)} ns`);
  return ns;
}
for (let round = 0; round < 3; round++) {
  const before = time('unpack only (before)', () => packr.unpack(msg.subarray(9)));
  const after = time('checkMsgpack + unpack + schema (after)', () => protocol.decodeRequest(decodeBody(msg, 9, msg.length)));
  const hash = time('partitionOf(key) (the key-partition check)', () => partitionOf(key, 256));
  console.log(`added per replica write: ${(after - before + hash).toFixed(0)} ns`);
}
{
  const body = packr.unpack(msg.subarray(9));
  for (let round = 0; round < 2; round++) {
    time('checkMsgpack alone', () => checkMsgpack(msg, 9, msg.length, { maxDepth: 16, maxContainers: 100 }));
    time('schema alone', () => protocol.decodeRequest(body));
  }
}
