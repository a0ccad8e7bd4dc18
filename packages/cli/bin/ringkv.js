#!/usr/bin/env node
// Entry point of the `ringkv` command; the code lives in ../dist (built by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('ringkv is not built yet: run `npm run build` (or ./dev.sh up) in the repository first.');
  process.exit(1);
}
const { run } = await import(main.href);
await run(process.argv.slice(2));
