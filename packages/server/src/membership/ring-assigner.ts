// Who computes the rings the membership rules ask for (core's ring-steps.ts). The rules are core's
// steps; a RingAssigner only answers their requests: on the spot (the simulator, small rings) or on
// a worker thread (worker-ring-assigner.ts), so that a change at Q=65536 does not stall the node.
import { assignRingOrError, type Assignment, type RingRequest, type RingSteps } from '@ringkv/core';

export interface RingAssigner {
  /** The assignment a request asks for, or the Error assignPartitions throws for it (deterministic). */
  compute(req: RingRequest): Promise<Assignment | Error>;
  close(): Promise<void>;
}

/** Runs the steps, each ring computed by the assigner; resolves with what the steps end with. */
export async function runRingStepsWith<T>(assigner: RingAssigner, steps: RingSteps<T>): Promise<T> {
  let step = steps.next();
  while (!step.done) step = steps.next(await assigner.compute(step.value));
  return step.value;
}

/** Computes every ring at once, on the event loop. */
export const inlineRingAssigner: RingAssigner = {
  compute: (req) => Promise.resolve(assignRingOrError(req)),
  close: () => Promise.resolve(),
};
