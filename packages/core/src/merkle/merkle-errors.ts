// Errors of the Merkle area. A remote replica's tree or level message that does not fit the local
// tree is data from the network, not a programmer mistake, so it gets a stable code.
import { RingkvError } from '../errors.js';

/** Two trees (or a tree and a remote level message) do not have the same shape. */
export class MerkleShapeError extends RingkvError {
  static readonly code = 'MERKLE_SHAPE_MISMATCH';

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(MerkleShapeError.code, message, { details });
  }
}

