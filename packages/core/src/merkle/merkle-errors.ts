// Errors of the Merkle area. A remote replica's tree or level message that does not fit the local
// tree is data from the network, not a programmer mistake, so it gets a stable code.
import { RingkvError } from '../errors.js';

/** Two trees (or a tree and a remote level message) do not have the same shape. */
export class MerkleShapeError extends RingkvError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('MERKLE_SHAPE_MISMATCH', message, { details });
  }
}

/** Every error code the merkle area can raise. */
export const MERKLE_ERROR_CODES = ['MERKLE_SHAPE_MISMATCH'] as const;
