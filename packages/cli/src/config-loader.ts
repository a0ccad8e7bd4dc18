// Where `ringkv start` gets its configuration: schema defaults, then a config file (--config,
// YAML or JSON), then RINGKV_* environment variables, then flags. One schema (server's
// CONFIG_SCHEMA) decides names, types and limits for all of them.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CONFIG_SCHEMA, buildConfig, isRingkvError, type ConfigInput, type NodeConfig } from './server-api.js';
import { UsageError } from './usage-error.js';

/** camelCase option name -> RINGKV_UPPER_SNAKE environment variable. */
export function envName(option: string): string {
  return `RINGKV_${option.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function readConfigFile(file: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`config file ${file} must hold a mapping of options`);
  return parsed as ConfigInput;
}

export function readEnv(env: NodeJS.ProcessEnv): { input: ConfigInput; unknown: string[] } {
  const input: Record<string, unknown> = {};
  const known = new Set<string>(['RINGKV_CONFIG']);
  for (const key of Object.keys(CONFIG_SCHEMA)) {
    const name = envName(key);
    known.add(name);
    if (env[name] !== undefined && env[name] !== '') input[key] = env[name];
  }
  const unknown = Object.keys(env).filter((k) => k.startsWith('RINGKV_') && !known.has(k) && !k.startsWith('RINGKV_CLI_'));
  return { input, unknown };
}

export function loadNodeConfig(flags: ConfigInput, configFile: string | undefined, env: NodeJS.ProcessEnv): NodeConfig {
  const file = configFile ?? env.RINGKV_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  const fromEnv = readEnv(env).input;
  const defined = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  try {
    return buildConfig({ ...fromFile, ...fromEnv, ...defined });
  } catch (err) {
    if (isRingkvError(err)) throw new UsageError(`invalid configuration: ${err.message}`);
    throw err;
  }
}
