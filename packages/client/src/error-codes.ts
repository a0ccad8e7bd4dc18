// Codes the client raises itself (server codes pass through unchanged), derived from the classes of
// errors.ts that declare their own `code` (the SDK depends on no other package, so this is core's
// codesOf written out for one module).
import * as clientErrors from './errors.js';

export const CLIENT_ERROR_CODES: readonly string[] = Object.freeze(
  Object.values(clientErrors)
    .filter((v): v is typeof clientErrors.RingkvClientError & { code: string } => typeof v === 'function' && Object.hasOwn(v, 'code'))
    .map((c) => c.code)
    .sort(),
);
