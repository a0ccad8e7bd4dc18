// The JSON bodies of the admin routes, decoded against the same schemas the peer protocol uses
// (protocol/peer-messages.ts): a body that does not match is a 400 naming the field, and nothing
// is proposed. Ops are looked up in a Map, so "__proto__" or "constructor" are unknown ops.
import type { MembershipCommand } from '@ringkv/core';
import { InvalidParameterError } from '../errors.js';
import { MembershipCommandSchema } from '../protocol/peer-messages.js';
import { Address, SchemaViolation, Type, decoder, type Decoder, type TSchema } from '../protocol/schema-kit.js';

/** The largest admin body read: a membership command or a seed list is well under a kilobyte. */
export const ADMIN_BODY_MAX_BYTES = 64 * 1024;

const opDecoders = new Map<string, Decoder<unknown>>();
for (const variant of MembershipCommandSchema.anyOf as TSchema[]) {
  const op = (variant as unknown as { properties: { op: { const: string } } }).properties.op.const;
  // A remove may say force: skip the liveness and catch-up checks (the operator knows better).
  const schema = op === 'remove' ? Type.Composite([variant, Type.Object({ force: Type.Optional(Type.Boolean()) })], { additionalProperties: false }) : variant;
  opDecoders.set(op, decoder(schema));
}

export const MEMBERSHIP_OPS: readonly string[] = [...opDecoders.keys()];

/** Parses a body as JSON, or a 400 with an example of what was expected. */
export function parseJsonBody(body: Uint8Array, example: string): unknown {
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    throw new InvalidParameterError(`body must be JSON, e.g. ${example}`);
  }
}

function fail(err: unknown, what: string): never {
  if (err instanceof SchemaViolation) {
    const field = err.path.replace(/^\//, '').replace(/\//g, '.') || 'body';
    throw new InvalidParameterError(`${what}: ${field}: ${err.reason}`, { param: field });
  }
  throw err;
}

/** POST /cluster/changes: a membership command, and whether a remove is forced. */
export function decodeChangeBody(json: unknown): { cmd: MembershipCommand; force: boolean } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidParameterError('membership command must be a JSON object');
  const op = (json as { op?: unknown }).op;
  const decode = typeof op === 'string' ? opDecoders.get(op) : undefined;
  if (!decode) {
    throw new InvalidParameterError(`unknown op ${typeof op === 'string' ? JSON.stringify(op.slice(0, 40)) : typeof op}; one of ${MEMBERSHIP_OPS.join(', ')}`, { param: 'op' });
  }
  let value: Record<string, unknown>;
  try {
    value = decode(json) as Record<string, unknown>;
  } catch (err) {
    fail(err, `invalid ${op as string} command`);
  }
  const { force, ...cmd } = value;
  return { cmd: cmd as unknown as MembershipCommand, force: force === true };
}

const decodeSeeds = decoder(Type.Array(Address, { minItems: 1, maxItems: 64 }));

/**
 * POST /cluster/plan: a membership command as /cluster/changes takes it; an add may carry the seeds
 * of the cluster that a fresh single node would join (it knows only itself, so it asks a seed for
 * the plan: console/plan-via-seed.ts).
 */
export function decodePlanBody(json: unknown): { cmd: MembershipCommand; seeds?: string[] } {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Object.hasOwn(json, 'seeds')) return { cmd: decodeChangeBody(json).cmd };
  const { seeds, ...rest } = json as Record<string, unknown>;
  let list: string[];
  try {
    list = decodeSeeds(seeds);
  } catch (err) {
    if (err instanceof SchemaViolation) throw new InvalidParameterError('"seeds" must be a non-empty list of HOST:PORT peer addresses', { param: 'seeds' });
    throw err;
  }
  const { cmd } = decodeChangeBody(rest);
  if (cmd.op !== 'add') throw new InvalidParameterError(`seeds go only with an add (a fresh node planning its join), not with ${cmd.op}`, { param: 'seeds' });
  return { cmd, seeds: list };
}

const decodeJoin = decoder(Type.Object({ seeds: Type.Array(Address, { minItems: 1, maxItems: 64 }) }, { additionalProperties: false }));

/** POST /cluster/join: the peer addresses of the cluster to join. */
export function decodeJoinBody(json: unknown): string[] {
  try {
    return decodeJoin(json).seeds;
  } catch (err) {
    if (err instanceof SchemaViolation) throw new InvalidParameterError('"seeds" must be a non-empty list of HOST:PORT peer addresses', { param: 'seeds' });
    throw err;
  }
}
