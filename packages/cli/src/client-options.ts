// How the commands that talk to a node authenticate and trust it (docs/security.md "Routes and
// roles"): --token (or RINGKV_TOKEN), sent as `Authorization: Bearer`; --ca FILE (or RINGKV_CA),
// the PEM CA to trust for https:// endpoints. And the one-line messages of a refused request.
//
// The token is never printed: it has no yargs default (help would show it), it is read from the
// environment here, errors about it never quote it, and the SDK redacts it from server answers.
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { ConnectionError, TOKEN_PATTERN, certificateProblem, isRingkvClientError, type RingkvClientError } from '@ringkv/client';
import { UsageError } from './usage-error.js';

/** What a command needs to reach a node that requires a token or serves a private certificate. */
export interface NodeAccess {
  /** The bearer token, when one was given. */
  token?: string;
  /** PEM of the CA to trust for https:// endpoints, when one was given. */
  ca?: Buffer;
  /** Where the token came from, for messages (never the token). */
  tokenFrom?: '--token' | 'RINGKV_TOKEN';
}

const TOKEN_SHAPE = '16 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -';
const HOW_TO_MAKE = 'an admin makes one with: ringkv token new --name NAME --role ROLE';

/** Adds --token and --ca to a command's options. */
export function accessOptions(b: Argv): Argv {
  return b
    .option('token', {
      type: 'string',
      // Exactly one word, even one that starts with "-": a base64url token does, 1 time in 64.
      nargs: 1,
      describe: 'Bearer token for a node started with --auth-file (env RINGKV_TOKEN; prefer the variable: command lines are visible in ps)',
    })
    .option('ca', { type: 'string', describe: 'PEM file of the CA to trust for https:// endpoints (env RINGKV_CA); publicly trusted certificates need none' });
}

/** The token and CA of a command, from its flags or the environment; usage errors exit 2. */
export function readAccess(argv: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): NodeAccess {
  const access: NodeAccess = {};
  const flag = argv.token;
  if (flag !== undefined) {
    if (typeof flag !== 'string' || flag.trim() === '') throw usage('--token needs a value: the token, or leave --token out and set RINGKV_TOKEN');
    access.token = flag.trim();
    access.tokenFrom = '--token';
  } else if (env.RINGKV_TOKEN !== undefined) {
    if (env.RINGKV_TOKEN.trim() === '') throw usage('RINGKV_TOKEN is set but empty: set it to the token or unset it');
    access.token = env.RINGKV_TOKEN.trim();
    access.tokenFrom = 'RINGKV_TOKEN';
  }
  if (access.token !== undefined && !TOKEN_PATTERN.test(access.token)) {
    // Never echoed, not even in part: it may be a real token with a typo.
    throw usage(`${access.tokenFrom} is not a token (a token is ${TOKEN_SHAPE}; ${HOW_TO_MAKE})`);
  }
  const caFlag = argv.ca;
  const caFrom = caFlag !== undefined ? '--ca' : env.RINGKV_CA !== undefined ? 'RINGKV_CA' : undefined;
  if (caFrom) {
    const file = caFrom === '--ca' ? caFlag : env.RINGKV_CA;
    if (typeof file !== 'string' || file === '') throw usage(`${caFrom} needs the path of a PEM file of CA certificates`);
    let pem: Buffer;
    try {
      pem = readFileSync(file);
    } catch (err) {
      throw usage(`cannot read the CA file ${file} (${caFrom}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw usage(`the CA file ${file} (${caFrom}) holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    access.ca = pem;
  }
  return access;
}

/** The client options for `access`, to spread into a RingkvClient's options. */
export function clientAccess(access: NodeAccess): { token?: string; ca?: Buffer } {
  return { ...(access.token !== undefined ? { token: access.token } : {}), ...(access.ca ? { ca: access.ca } : {}) };
}

function usage(message: string): UsageError {
  return new UsageError(message, { showHelp: false });
}

/**
 * The one line a failed call prints after "error: ": for a 401 without a token, what to do; for a
 * 403, that the token's role is too low; an untrusted certificate points at --ca.
 */
export function describeFailure(err: RingkvClientError, access: NodeAccess): string {
  if (err.code === 'UNAUTHENTICATED') {
    if (access.token === undefined) return `UNAUTHENTICATED: this node requires a token: pass --token TOKEN or set RINGKV_TOKEN (${HOW_TO_MAKE})`;
    return `UNAUTHENTICATED: the node does not accept the token given by ${access.tokenFrom}: ${err.message}`;
  }
  if (err.code === 'FORBIDDEN') return `FORBIDDEN: the token's role is too low for this command: ${err.message}`;
  const cert = err.code === ConnectionError.code ? certificateProblem(err.extra.cause) : undefined;
  if (cert) return `${err.code}: ${err.message.replace(/; pass the CA that issued it as the ca option$/, '')}; pass the CA that issued it with --ca FILE (or RINGKV_CA)`;
  return `${err.code}: ${err.message}`;
}

/**
 * Runs a call; a client error becomes one line on stderr ("error: CODE: ...", plus `suffix` of
 * the error) and exit code 1, resolving undefined. Anything else is rethrown.
 */
export async function reportFailure<T>(access: NodeAccess, fn: () => Promise<T>, suffix: (err: RingkvClientError) => string = () => ''): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isRingkvClientError(err)) {
      console.error(`error: ${describeFailure(err, access)}${suffix(err)}`);
      process.exitCode = 1;
      return undefined;
    }
    throw err;
  }
}

/**
 * A fetch for requests the SDK does not make (bench's readiness and CPU probes): undici's with an
 * Agent trusting --ca when one was given, else the platform's; the token sent when `authorized`.
 */
export async function accessFetch(access: NodeAccess): Promise<(url: string, authorized: boolean) => Promise<Response>> {
  let fetchFn: (url: string, init: Record<string, unknown>) => Promise<Response> = (url, init) => fetch(url, init as RequestInit);
  let dispatcher: unknown;
  if (access.ca) {
    const undici = await import('undici');
    dispatcher = new undici.Agent({ connect: { ca: access.ca } });
    fetchFn = undici.fetch as unknown as typeof fetchFn;
  }
  return (url, authorized) => fetchFn(url, {
    ...(dispatcher ? { dispatcher } : {}),
    headers: authorized && access.token !== undefined ? { authorization: `Bearer ${access.token}` } : {},
  });
}
