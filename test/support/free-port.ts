// Free TCP ports on loopback (the bench's, packages/cli/src/bench/free-ports.ts).
import { freePorts } from '../../packages/cli/src/bench/free-ports.js';

export { freePorts };

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
