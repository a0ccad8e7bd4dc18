// The seam between the membership rules and the one costly computation they need: a rule that needs
// a ring is written as a generator that yields a RingRequest and is resumed with the assignment (or
// the Error assignPartitions threw for it). runRingSteps computes each here, at once; a server runs
// the same steps with the assignments computed off its event loop (at Q=65536 one takes 50-250 ms).
// The rules live once, in the steps; only who computes the ring differs.
import { assignPartitions } from './assignment.js';
import type { Assignment, RingMember } from './ring-member.js';

/** An assignment to compute: these members, moving as little as possible from previous. */
export interface RingRequest {
  readonly members: readonly RingMember[];
  readonly partitions: number;
  readonly replicas: number;
  readonly previous?: Assignment;
}

/** Steps that ask for rings and end with T. Resumed with the assignment, or the Error computing it threw. */
export type RingSteps<T> = Generator<RingRequest, T, Assignment | Error>;

export function assignRing(req: RingRequest): Assignment {
  return assignPartitions(req.members, req.partitions, req.replicas, req.previous);
}

/** Asks for one ring (`yield*` it): throws, inside the steps, what computing it threw. */
export function* ringFor(req: RingRequest): RingSteps<Assignment> {
  const result = yield req;
  if (result instanceof Error) throw result;
  return result;
}

/** assignRing, with what it throws as the value (what a step is resumed with). */
export function assignRingOrError(req: RingRequest): Assignment | Error {
  try {
    return assignRing(req);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Runs the steps here, computing every ring they ask for on the spot. */
export function runRingSteps<T>(steps: RingSteps<T>): T {
  let step = steps.next();
  while (!step.done) step = steps.next(assignRingOrError(step.value));
  return step.value;
}
