// The cluster secret: where it comes from and when a node may run without one (docs/security.md
// "Safe defaults"). There is no built-in default. A node whose peer port reaches only this machine
// makes a random secret of its own (it runs alone: nobody can join it); any other node must be
// given one, at least SECRET_MIN_BYTES long, by --secret or --secret-file.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { SECRET_MIN_BYTES, isLoopbackHost, parseAddress, type NodeConfig } from './config.js';

/**
 * The secrets held in a file, one per line: the first is the one this node proves, the others
 * are still accepted from peers (a rotation in progress: add the new one as a second line on every
 * node, then make it the first, then drop the old; SIGHUP re-reads the file). Returns the lines
 * joined with newlines (see splitSecrets).
 */
export function readSecretFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the secret file ${file}: ${(err as Error).message}`, { option: 'secretFile' });
  }
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
  if (lines.length === 0) lines.push('');
  for (const [i, line] of lines.entries()) {
    if (Buffer.byteLength(line) < SECRET_MIN_BYTES) {
      const which = lines.length > 1 ? `secret on line ${i + 1}` : 'secret';
      throw new ConfigError(`the ${which} in ${file} must be at least ${SECRET_MIN_BYTES} bytes (it is ${Buffer.byteLength(line)}); make one with: openssl rand -hex 32 > ${file}`, { option: 'secretFile' });
    }
  }
  return lines.join('\n');
}

/** The secret a node proves and those it still accepts, from a config secret (lines of a secret file). */
export function splitSecrets(secret: string): { secret: string; accepted: string[] } {
  const [first, ...rest] = secret.split('\n').filter((l) => l !== '');
  return { secret: first ?? secret, accepted: rest };
}

/** Why this configuration may not start without a secret, or undefined when it may. */
export function missingSecretProblem(config: Pick<NodeConfig, 'secret' | 'peer'>): string | undefined {
  if (config.secret !== undefined) return undefined;
  const { host } = parseAddress(config.peer, 'peer');
  if (isLoopbackHost(host)) return undefined;
  return `--peer ${config.peer} is reachable from other machines, so the node needs the cluster secret: give --secret-file FILE (or --secret, at least ${SECRET_MIN_BYTES} bytes; make one with: openssl rand -hex 32)`;
}

/** Why this configuration may not serve its client API as configured (no auth on a public address), or undefined. */
export function missingAuthProblem(config: Pick<NodeConfig, 'http' | 'authFile' | 'insecureNoAuth'>): string | undefined {
  if (config.authFile !== undefined || config.insecureNoAuth) return undefined;
  const { host } = parseAddress(config.http, 'http');
  if (isLoopbackHost(host)) return undefined;
  return `--http ${config.http} is reachable from other machines, so clients must authenticate: give --auth-file FILE (make a token with: ringkv token new --name NAME --role admin), or --insecure-no-auth to serve without authentication`;
}

/** A random secret for a loopback-only node that was given none. */
export function randomLocalSecret(): string {
  return randomBytes(32).toString('hex');
}
