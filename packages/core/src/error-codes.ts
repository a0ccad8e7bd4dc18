// Every error code core can raise, derived from its error classes (codesOf), for the docs test and
// the server's registry of codes.
import * as coreErrors from './errors.js';
import * as merkleErrors from './merkle/merkle-errors.js';
import * as raftErrors from './raft/raft-errors.js';
import * as ringErrors from './ring/ring-errors.js';

export const CORE_ERROR_CODES = coreErrors.codesOf(coreErrors, ringErrors, merkleErrors, raftErrors);
