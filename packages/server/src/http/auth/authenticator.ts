// Who is asking: a bearer token, hashed with SHA-256 and compared in constant time against every
// principal's hash (no early exit, so timing says nothing about which principal, or how close).
// The principals are swapped whole on reload (SIGHUP); a request sees one set or the other.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal, Role } from './auth-file.js';

export type AuthFailure = 'missing' | 'malformed' | 'unknown';

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; cause: AuthFailure };

/** Longest Authorization header looked at: a token is 43 characters, headers are longer for nothing. */
const HEADER_MAX_CHARS = 512;

interface Entry {
  principal: Principal;
  hash: Buffer;
}

export class Authenticator {
  private entries: Entry[] = [];

  constructor(principals: readonly Principal[]) {
    this.replace(principals);
  }

  get size(): number {
    return this.entries.length;
  }

  replace(principals: readonly Principal[]): void {
    this.entries = principals.map((principal) => ({ principal, hash: Buffer.from(principal.token_sha256, 'hex') }));
  }

  /** The principal of an Authorization header value. */
  authenticate(header: string | undefined): AuthOutcome {
    if (header === undefined || header === '') return { ok: false, cause: 'missing' };
    const m = header.length <= HEADER_MAX_CHARS ? /^Bearer[ \t]+([A-Za-z0-9._~+/=-]{16,256})[ \t]*$/i.exec(header) : null;
    if (!m) return { ok: false, cause: 'malformed' };
    const presented = createHash('sha256').update(m[1]!).digest();
    let found: Principal | undefined;
    for (const e of this.entries) {
      // Every entry is compared: the loop's length depends only on the number of principals.
      if (timingSafeEqual(e.hash, presented) && found === undefined) found = e.principal;
    }
    return found ? { ok: true, principal: found } : { ok: false, cause: 'unknown' };
  }
}

const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 };

/** Whether a role may do what `needed` asks (read < write < admin). */
export function roleAllows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}
