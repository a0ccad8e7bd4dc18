// Renders docs/configuration.md from the schema, so the docs cannot drift from the code
// (a test compares; `npm run docs:config` rewrites the file).
import { CONFIG_SCHEMA, type OptionSpec } from './schema.js';

function envName(option: string): string {
  return `RINGKV_${option.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function flagName(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function showDefault(spec: OptionSpec): string {
  if (spec.default === undefined) return '(none)';
  if (Array.isArray(spec.default)) return spec.default.length ? spec.default.join(',') : '(empty)';
  return `\`${String(spec.default)}\``;
}

export function renderConfigDocs(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from packages/server/src/config/schema.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Every option can be set in a config file (`ringkv start --config FILE`, YAML or JSON, keys as',
    'below), in the environment (`RINGKV_*`), and the ones marked with a flag on the command line.',
    'Flags win over the environment, which wins over the file. Unknown keys and out-of-range values',
    'are refused with a clear message and exit code 2.',
    '',
    '| option | flag | environment | type | default | what | why this default |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [key, spec] of Object.entries(CONFIG_SCHEMA) as [string, OptionSpec][]) {
    const type = spec.type === 'enum' ? spec.values!.join(' \\| ')
      : spec.type === 'int' ? `integer ${spec.min ?? ''}..${spec.max ?? ''}` : spec.type;
    lines.push(`| \`${key}\` | ${spec.flag ? `\`${flagName(key)}\`` : ''} | \`${envName(key)}\` | ${type} | ${showDefault(spec)} | ${spec.describe} | ${spec.reason} |`);
  }
  return `${lines.join('\n')}\n`;
}
