// Errors of the ring area (core's code list, error-codes.ts, is derived from them).
import { RingkvError } from '../errors.js';

/** A ring parameter is out of range: partition count, replica count, a member, or a previous assignment. */
export class InvalidRingConfigError extends RingkvError {
  static readonly code = 'RING_INVALID_CONFIG';

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(InvalidRingConfigError.code, message, { details });
  }
}
