// The auth file (docs/security.md): principals, each with a role and the
// SHA-256 of its bearer token (the node never holds the tokens themselves). YAML or JSON, decoded
// against one schema: a file that does not match is refused whole, naming the first problem.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../errors.js';
import { SchemaViolation, Type, decoder, type Static } from '../../protocol/schema-kit.js';

export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const PrincipalSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' }),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  token_sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }),
}, { additionalProperties: false });

const AuthFileSchema = Type.Object({ principals: Type.Array(PrincipalSchema, { maxItems: 10_000 }) }, { additionalProperties: false });
const decodeAuthFile = decoder(AuthFileSchema);

export type Principal = Static<typeof PrincipalSchema>;

/** The principals of an auth file's text. Throws ConfigError naming the file and the problem. */
export function parseAuthFile(text: string, file: string): Principal[] {
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`auth file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, { option: 'authFile' });
  }
  let parsed: Static<typeof AuthFileSchema>;
  try {
    parsed = decodeAuthFile(value);
  } catch (err) {
    if (err instanceof SchemaViolation) {
      throw new ConfigError(`auth file ${file}: ${err.path || 'the file'}: ${err.reason} (expected {"principals": [{"name", "role": read|write|admin, "token_sha256": "<64 hex>"}]})`, { option: 'authFile' });
    }
    throw err;
  }
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const p of parsed.principals) {
    if (names.has(p.name)) throw new ConfigError(`auth file ${file}: principal ${p.name} appears twice`, { option: 'authFile' });
    const h = p.token_sha256.toLowerCase();
    if (hashes.has(h)) throw new ConfigError(`auth file ${file}: principals share a token (${p.name})`, { option: 'authFile' });
    names.add(p.name);
    hashes.add(h);
  }
  return parsed.principals.map((p) => ({ ...p, token_sha256: p.token_sha256.toLowerCase() }));
}

export function readAuthFile(file: string): Principal[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the auth file ${file}: ${(err as Error).message}`, { option: 'authFile' });
  }
  return parseAuthFile(text, file);
}
