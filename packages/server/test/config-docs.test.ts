import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigDocs } from '@ringkv/server';

test('docs/configuration.md matches the config schema (npm run docs:config regenerates it)', () => {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/configuration.md');
  expect(readFileSync(file, 'utf8')).toBe(renderConfigDocs());
});
