// Errors of the ring area. They live here rather than in core/src/errors.ts so that concurrent work on
// that file is not disturbed; RING_ERROR_CODES lists them for the error-code docs test.
import { RingkvError } from '../errors.js';

/** A ring parameter is out of range: partition count, replica count, a member, or a previous assignment. */
export class InvalidRingConfigError extends RingkvError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('RING_INVALID_CONFIG', message, { details });
  }
}

/** Every error code the ring area can raise. */
export const RING_ERROR_CODES = ['RING_INVALID_CONFIG'] as const;
