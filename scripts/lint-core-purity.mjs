#!/usr/bin/env node
// packages/core must stay deterministic: no I/O, timers, real clock or ambient randomness.
// This check keeps it so; it fails with the file and line of every violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const rules = [
  [/from ['"]node:/, 'imports a node: module'],
  [/\brequire\(/, 'uses require()'],
  [/\bDate\.now\b|\bnew Date\(/, 'reads the real clock'],
  [/\bMath\.random\b/, 'uses ambient randomness'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/, 'uses a timer'],
  [/\bprocess\./, 'touches the process'],
  [/\basync\s+function\b|\basync\s*\(|\bawait\s/, 'is asynchronous'],
  [/\bperformance\b/, 'reads the real clock (performance)'],
  [/\bglobalThis\b/, 'touches globals'],
  [/\bcrypto\b/, 'uses crypto (ambient randomness or I/O-backed hashing)'],
  [/\bimport\s*\(/, 'imports dynamically'],
  // State shared by every caller in the process: a value that outlives one call belongs to an
  // instance that the caller owns. Top-level let/var, and top-level const containers that are
  // mutated (Map, Set, arrays and typed arrays not frozen).
  [/^(export\s+)?(let|var)\s/, 'keeps module-level mutable state (let/var)'],
  [/^(?!.*\b(readonly|Object\.freeze|as const)\b)(export\s+)?const\s+\w+(\s*:\s*[^=]+)?\s*=\s*(new\s+(Map|Set|WeakMap|WeakSet|Array|Uint8Array|Uint16Array|Uint32Array|Int32Array|Float64Array|ArrayBuffer)\b|\[)/, 'keeps module-level mutable state (a container)'],
];
// Files allowed one exception each, with the reason.
const allowed = new Map([
  ['packages/core/src/ring/key-hash.ts', new Set(['is asynchronous'])], // one-time WASM init of xxhash
]);
function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}
let bad = 0;
for (const file of walk(path.join(root, 'packages/core/src'))) {
  const rel = path.relative(root, file);
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (/^\s*(\/\/|\*)/.test(line)) return;
    for (const [re, what] of rules) {
      if (re.test(line) && !allowed.get(rel)?.has(what)) {
        console.error(`${rel}:${i + 1}: core ${what}: ${line.trim()}`);
        bad++;
      }
    }
  });
}
if (bad) { console.error(`${bad} purity violation(s) in packages/core`); process.exit(1); }
console.log('core purity: ok');
