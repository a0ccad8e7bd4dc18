// docs/design.md: "No handler reads an undecoded body". Raw peer bodies exist only in the
// transport (peer/) and the protocol (protocol/): everything else sends through PeerRpc and
// answers through PeerRouter, which decode against the schemas. This keeps it so.
import { expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('outside peer/ and protocol/, no source sends through the transport or touches a raw PeerBody', () => {
  const offenders: string[] = [];
  for (const file of files(src)) {
    const rel = path.relative(src, file);
    if (rel.startsWith(`peer${path.sep}`) || rel.startsWith(`protocol${path.sep}`) || rel === 'index.ts') continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/^\s*(\/\/|\*)/.test(line)) return;
      // The one handler a node installs on its transport is the router's.
      if (/\.setHandler\((?!this\.router\.handle\))/.test(line) || /\btransport\.request\(|\bPeerBody\b/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(offenders).toEqual([]);
});
