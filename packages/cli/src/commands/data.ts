// `ringkv put|get|del`: data commands against a running node, through the client SDK.
import type { Argv } from 'yargs';
import { RingkvClient, type Consistency } from '@ringkv/client';
import { accessOptions, clientAccess, readAccess, reportFailure, type NodeAccess } from '../client-options.js';
import { UsageError } from '../usage-error.js';

const DEFAULT_ENDPOINT = 'http://127.0.0.1:7070';

function client(argv: Record<string, unknown>, access: NodeAccess): RingkvClient {
  return new RingkvClient({ endpoints: String(argv.endpoint), timeoutMs: Number(argv.timeout), ...clientAccess(access) });
}

function consistency(v: unknown, name: string): Consistency | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (s === 'one' || s === 'quorum' || s === 'all') return s;
  if (/^[1-9][0-9]?$/.test(s)) return Number(s);
  throw new UsageError(`--${name} must be a number, one, quorum or all; got "${s}"`);
}

async function readStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY) throw new UsageError('no VALUE given and stdin is a terminal: pass VALUE or pipe the value in');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Turns a failed call into a one-line message and exit code 1. */
function report<T>(access: NodeAccess, fn: () => Promise<T>): Promise<T | undefined> {
  return reportFailure(access, fn, (err) => (err.required !== undefined ? ` (required ${err.required}, acked ${err.acked})` : ''));
}

export function dataCommands(y: Argv): Argv {
  const common = (b: Argv) =>
    accessOptions(b.option('endpoint', { type: 'string', default: process.env.RINGKV_ENDPOINT ?? DEFAULT_ENDPOINT, describe: 'Node to send the request to (env RINGKV_ENDPOINT)' })
      .option('timeout', { type: 'number', default: 5000, describe: 'Request timeout in ms' }));
  return y
    .command(
      'put <key> [value]',
      'Write a value (from the argument, or from stdin when VALUE is omitted or "-")',
      (b) => common(b).positional('key', { type: 'string', describe: 'Key (1 to 1024 bytes of UTF-8)' })
        .positional('value', { type: 'string', describe: 'Value; omit or "-" to read stdin' })
        .option('w', { type: 'string', describe: 'Write quorum: a number, one, quorum or all' })
        .option('ttl', { type: 'number', describe: 'Seconds until the value expires' })
        .option('strict', { type: 'boolean', describe: 'Count only preference-list replicas toward W' }),
      async (argv) => {
        const w = consistency(argv.w, 'w');
        const access = readAccess(argv);
        const value = argv.value === undefined || argv.value === '-' ? await readStdin() : String(argv.value);
        const res = await report(access, () => client(argv, access).put(String(argv.key), value, { w, ttl: argv.ttl as number | undefined, strict: argv.strict as boolean | undefined }));
        if (res) console.error(`ok ${res.timestamp}`);
      },
    )
    .command(
      'get <key>',
      'Read a value and write its raw bytes to stdout',
      (b) => common(b).positional('key', { type: 'string' })
        .option('r', { type: 'string', describe: 'Read quorum: a number, one, quorum or all' }),
      async (argv) => {
        const r = consistency(argv.r, 'r');
        const access = readAccess(argv);
        const res = await report(access, () => client(argv, access).get(String(argv.key), { r }));
        if (res === undefined && process.exitCode !== 1) {
          console.error(`error: NOT_FOUND: key "${argv.key}" not found`);
          process.exitCode = 1;
        } else if (res) {
          process.stdout.write(res.value);
        }
      },
    )
    .command(
      ['del <key>', 'delete <key>'],
      'Delete a key (writes a tombstone)',
      (b) => common(b).positional('key', { type: 'string' })
        .option('w', { type: 'string', describe: 'Write quorum: a number, one, quorum or all' }),
      async (argv) => {
        const w = consistency(argv.w, 'w');
        const access = readAccess(argv);
        const res = await report(access, () => client(argv, access).delete(String(argv.key), { w }));
        if (res) console.error(`ok ${res.timestamp}`);
      },
    );
}
