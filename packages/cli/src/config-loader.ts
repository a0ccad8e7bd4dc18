// Where `ringkv start` gets its configuration: schema defaults, then a config file (--config,
// YAML or JSON), then RINGKV_* environment variables, then flags. One schema (server's
// CONFIG_SCHEMA) decides names, types and limits for all of them. The cluster secret has its own
// rules on top (docs/security.md "Safe defaults"): it comes from --secret or --secret-file, never both, and an
// empty one is an error wherever it comes from.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  CONFIG_SCHEMA, SECRET_MIN_BYTES, buildConfig, isRingkvError, readSecretFile, type ConfigInput, type NodeConfig,
} from './server-api.js';
import { configUsageError } from './usage-error.js';

/** camelCase option name -> RINGKV_UPPER_SNAKE environment variable. */
export function envName(option: string): string {
  return `RINGKV_${option.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** camelCase option name -> --kebab-case flag, as yargs spells it. */
export function flagName(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function readConfigFile(file: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw configUsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    // The YAML parser's message goes on with a code frame; its first line says what and where.
    const why = (err as Error).message.split('\n')[0].replace(/:\s*$/, '');
    throw configUsageError(`config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${why}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw configUsageError(`config file ${file} must hold a mapping of options`);
  return parsed as ConfigInput;
}

/** Options whose environment variable set to "" is an error rather than "unset": a secret. */
const EMPTY_IS_ERROR = {
  secret: `set it to the cluster secret (at least ${SECRET_MIN_BYTES} bytes) or unset it`,
  secretFile: 'set it to the path of the file holding the cluster secret or unset it',
} as const;

export function readEnv(env: NodeJS.ProcessEnv): { input: ConfigInput; unknown: string[] } {
  const input: Record<string, unknown> = {};
  // RINGKV_CONFIG is the config file; the others are the client commands' (ringkv get, bench...).
  const known = new Set<string>(['RINGKV_CONFIG', 'RINGKV_TOKEN', 'RINGKV_CA', 'RINGKV_ENDPOINT', 'RINGKV_ENDPOINTS']);
  for (const key of Object.keys(CONFIG_SCHEMA)) {
    const name = envName(key);
    known.add(name);
    const value = env[name];
    if (value === '' && key in EMPTY_IS_ERROR) {
      // An empty secret that counted as unset would quietly start a node with a random secret
      // that no other node shares (or refuse it with a message about a missing secret).
      throw configUsageError(`${name} is set but empty: ${EMPTY_IS_ERROR[key as keyof typeof EMPTY_IS_ERROR]}`);
    }
    if (value !== undefined && value !== '') input[key] = value;
  }
  const unknown = Object.keys(env).filter((k) => k.startsWith('RINGKV_') && !known.has(k) && !k.startsWith('RINGKV_CLI_'));
  return { input, unknown };
}

/** Where one option's value came from, in the words the user typed it. */
function origin(key: string, source: 'flag' | 'env' | 'file', file: string | undefined): string {
  if (source === 'flag') return flagName(key);
  if (source === 'env') return envName(key);
  return `${key} in ${file}`;
}

function build(input: ConfigInput): NodeConfig {
  try {
    return buildConfig(input);
  } catch (err) {
    if (isRingkvError(err)) throw configUsageError(`invalid configuration: ${err.message}`);
    throw err;
  }
}

export function loadNodeConfig(flags: ConfigInput, configFile: string | undefined, env: NodeJS.ProcessEnv): NodeConfig {
  const file = configFile ?? env.RINGKV_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  const fromEnv = readEnv(env).input;
  const defined = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) as ConfigInput;
  const sourceOf = (key: 'secret' | 'secretFile') =>
    key in defined ? 'flag' as const : key in fromEnv ? 'env' as const : key in fromFile && fromFile[key] !== undefined ? 'file' as const : undefined;

  // One secret, one place: with both, which one the node used would depend on precedence rules
  // nobody remembers, and the other would be silently ignored.
  const secretFrom = sourceOf('secret');
  const secretFileFrom = sourceOf('secretFile');
  if (secretFrom && secretFileFrom) {
    throw configUsageError(`a secret is given by ${origin('secret', secretFrom, file)} and a secret file by ${origin('secretFile', secretFileFrom, file)}: give only one of them (prefer --secret-file)`);
  }
  const merged: ConfigInput = { ...fromFile, ...fromEnv, ...defined };
  for (const [key, from] of [['secret', secretFrom], ['secretFile', secretFileFrom]] as const) {
    if (from && merged[key] === '') {
      throw configUsageError(`${origin(key, from, file)} is empty: ${key === 'secret' ? `give the cluster secret (at least ${SECRET_MIN_BYTES} bytes)` : 'give the path of the file holding the cluster secret'}`);
    }
  }
  // buildConfig refuses a short secret too; saying here which of flag, variable or file gave it
  // names what to change. The value itself is never echoed.
  if (secretFrom && typeof merged.secret === 'string' && Buffer.byteLength(merged.secret) < SECRET_MIN_BYTES) {
    throw configUsageError(`${origin('secret', secretFrom, file)} must be at least ${SECRET_MIN_BYTES} bytes (it is ${Buffer.byteLength(merged.secret)}); make one with: openssl rand -hex 32`);
  }

  const config = build(merged); // checks every option, secretFile's type included, before reading it
  if (config.secretFile === undefined) return config;
  // The node takes the secret itself; secretFile stays in the config to say where it came from.
  let secret: string;
  try {
    secret = readSecretFile(config.secretFile);
  } catch (err) {
    if (isRingkvError(err)) throw configUsageError(err.message);
    throw err;
  }
  return build({ ...merged, secret });
}
