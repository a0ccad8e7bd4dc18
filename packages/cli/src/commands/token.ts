// `ringkv token new`: a new random bearer token and the auth-file entry that admits it (docs/security.md
// "Routes and roles"). The token goes to stdout alone on one line, so that a script can
// capture it; the explanation and the entry (which holds only the token's SHA-256) go to stderr.
import { createHash, randomBytes } from 'node:crypto';
import type { Argv } from 'yargs';
import { UsageError } from '../usage-error.js';

export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Principal names, as the server's auth file takes them. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Random bytes of a token: 256 bits, twice the least the design asks for. */
const TOKEN_BYTES = 32;

export interface NewToken {
  /** 43 characters of base64url. */
  token: string;
  entry: { name: string; role: Role; token_sha256: string };
}

export function newToken(name: string, role: Role): NewToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, entry: { name, role, token_sha256: createHash('sha256').update(token).digest('hex') } };
}

/** The entry as the auth file's YAML lists it under `principals:`. */
export function yamlEntry(e: NewToken['entry']): string {
  return `- name: ${e.name}\n  role: ${e.role}\n  token_sha256: ${e.token_sha256}`;
}

const WHAT_ROLES_MAY = 'read: GET of keys, /cluster and /metrics; write: read, plus PUT and DELETE of keys; admin: write, plus joins, leaves and removals';

export function tokenCommand(y: Argv): Argv {
  return y.command('token', 'Bearer tokens for nodes started with --auth-file', (t) => t
    .command(
      'new',
      'Print a new random token (stdout) and the auth-file entry that admits it (stderr)',
      (b) => b
        .option('name', { type: 'string', demandOption: true, describe: 'Name of the principal: 1 to 64 letters, digits and . _ @ -, starting with a letter or digit' })
        .option('role', { type: 'string', choices: [...ROLES], demandOption: true, describe: `What the token may do (${WHAT_ROLES_MAY})` })
        .option('format', { type: 'string', choices: ['yaml', 'json'], default: 'yaml', describe: 'Format of the entry for the auth file' })
        .example('$0 token new --name app --role write > app.token', 'keep the token in a file, see the entry on the terminal'),
      (argv) => {
        const name = String(argv.name);
        if (!NAME_PATTERN.test(name)) {
          throw new UsageError(`--name must be 1 to 64 letters, digits and . _ @ -, starting with a letter or digit; got "${name}"`);
        }
        const { token, entry } = newToken(name, argv.role as Role);
        process.stdout.write(`${token}\n`);
        const json = argv.format === 'json';
        process.stderr.write([
          `The line on stdout is a new token for principal ${name} (role ${entry.role}). Keep it like a password:`,
          'it is shown only this once, and nodes store only its SHA-256. Give it to the client with',
          '--token or RINGKV_TOKEN (the SDK: the token option).',
          `Add this entry to the principals of the --auth-file of every node${json ? ' (JSON: one element of "principals")' : ' (YAML: under "principals:")'},`,
          'then send the nodes SIGHUP (or restart them) to load it:',
          '',
          json ? JSON.stringify(entry) : yamlEntry(entry),
          '',
        ].join('\n'));
      },
    )
    .demandCommand(1, 'a token subcommand is required'));
}
