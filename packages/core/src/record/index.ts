// Stored records: the record type, its byte codec with checksum, last-write-wins, and batch winners.
export * from './record.js';
export * from './record-codec.js';
export { crc32 } from '../util/crc32.js';
export * from './batch-winners.js';
