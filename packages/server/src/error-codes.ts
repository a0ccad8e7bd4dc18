// Every error code the server can raise or send, derived from its error classes (codesOf): the
// docs test holds docs/errors.md to it, and a test fails on an error class or code literal in the
// sources that no module here registers.
import { codesOf } from '@ringkv/core';
import * as serverErrors from './errors.js';
import * as handoffErrors from './handoff/handoff-errors.js';
import * as membershipErrors from './membership/membership-errors.js';
import * as peerErrors from './peer/peer-errors.js';
import * as replicaErrors from './replica/replica-errors.js';

export const SERVER_ERROR_CODES = codesOf(serverErrors, handoffErrors, membershipErrors, peerErrors, replicaErrors);
