// The membership log: what Raft agrees on (members, status, epochs) and who votes.
export * from './member-record.js';
export * from './membership-state.js';
export * from './voter-set.js';
export * from './ownership.js';
export * from './member-names.js';
