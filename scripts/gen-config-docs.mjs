#!/usr/bin/env node
// Rewrites docs/configuration.md from the config schema (needs a build: npm run build).
import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../packages/server/dist/index.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDocs());
console.log('docs/configuration.md written');
