// The names a member goes by: its node id, its zone and its two HOST:PORT addresses. One pattern
// each, used by the config, the membership log, the peer protocol and the admin API alike, so a
// name that one of them accepts is accepted by all (an id with a NUL or a ':' would break the key
// layouts and the logs that print ids).

/** 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit. */
export const NODE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';
/** Zones follow the id rule (a zone is a label such as "eu-west-1a"). */
export const ZONE_PATTERN = NODE_ID_PATTERN;
/** A port 0-65535, as a pattern (a schema has no other way to bound it). */
const PORT_PATTERN = '([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
/** HOST:PORT, the host a name or an IPv4 address, or an IPv6 address in brackets; port 0-65535. */
export const ADDRESS_PATTERN = `^(\\[[0-9a-fA-F:.]{2,45}\\]|[A-Za-z0-9_.-]{1,253}):${PORT_PATTERN}$`;
/** Longest address accepted: a 253-character host name, the colon and five digits. */
export const ADDRESS_MAX_LENGTH = 259;

const nodeIdRe = new RegExp(NODE_ID_PATTERN);
const addressRe = new RegExp(ADDRESS_PATTERN);

export function isValidNodeId(v: unknown): v is string {
  return typeof v === 'string' && nodeIdRe.test(v);
}

export function isValidZone(v: unknown): v is string {
  return isValidNodeId(v);
}

/** HOST:PORT with the port in 0..65535. */
export function isValidAddress(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > ADDRESS_MAX_LENGTH) return false;
  const m = addressRe.exec(v);
  return m !== null && Number(m[2]) <= 65535;
}
