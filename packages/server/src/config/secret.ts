// The cluster secret: where it comes from and when a node may run without one (DESIGN.md
// "Security"). There is no built-in default. A node whose peer port reaches only this machine
// makes a random secret of its own (it runs alone: nobody can join it); any other node must be
// given one, at least SECRET_MIN_BYTES long, by --secret or --secret-file.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { SECRET_MIN_BYTES, isLoopbackHost, parseAddress, type NodeConfig } from './config.js';

/** The secret held in a file: its content without one trailing newline. */
export function readSecretFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the secret file ${file}: ${(err as Error).message}`, { option: 'secretFile' });
  }
  const secret = text.replace(/\r?\n$/, '');
  if (Buffer.byteLength(secret) < SECRET_MIN_BYTES) {
    throw new ConfigError(`the secret in ${file} must be at least ${SECRET_MIN_BYTES} bytes (it is ${Buffer.byteLength(secret)}); make one with: openssl rand -hex 32 > ${file}`, { option: 'secretFile' });
  }
  return secret;
}

/** Why this configuration may not start without a secret, or undefined when it may. */
export function missingSecretProblem(config: Pick<NodeConfig, 'secret' | 'peer'>): string | undefined {
  if (config.secret !== undefined) return undefined;
  const { host } = parseAddress(config.peer, 'peer');
  if (isLoopbackHost(host)) return undefined;
  return `--peer ${config.peer} is reachable from other machines, so the node needs the cluster secret: give --secret-file FILE (or --secret, at least ${SECRET_MIN_BYTES} bytes; make one with: openssl rand -hex 32)`;
}

/** A random secret for a loopback-only node that was given none. */
export function randomLocalSecret(): string {
  return randomBytes(32).toString('hex');
}
