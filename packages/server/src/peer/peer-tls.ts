// Mutual TLS on the peer port (--peer-tls-cert, --peer-tls-key, --peer-tls-ca): both sides
// present a certificate that must chain to the cluster's CA, or the TLS handshake fails. The
// cluster's own CA is the trust anchor, so host names are not checked (nodes dial each other by
// IP or pod name, and a certificate of that CA is what admits a node). The secret handshake still
// runs inside TLS, bound to this TLS session: both proofs cover a keying-material export of it
// (RFC 5705), so a proof made for one TLS session is worth nothing on another.
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { ConfigError } from '../errors.js';

export interface PeerTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export interface PeerTlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/** Reads the three PEM files; throws ConfigError naming the one that failed. */
export function readPeerTls(files: PeerTlsFiles): PeerTlsMaterial {
  const read = (file: string, option: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`cannot read ${option} ${file}: ${(err as Error).message}`, { option });
    }
  };
  return { cert: read(files.certFile, 'peerTlsCert'), key: read(files.keyFile, 'peerTlsKey'), ca: read(files.caFile, 'peerTlsCa') };
}

/** Options of the peer port's HTTPS server: a client certificate of the CA is required. */
export function serverTlsOptions(m: PeerTlsMaterial) {
  return { cert: m.cert, key: m.key, ca: m.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const };
}

/** Options of a dial: this node's certificate, and the CA the acceptor's must chain to. */
export function clientTlsOptions(m: PeerTlsMaterial) {
  return { cert: m.cert, key: m.key, ca: m.ca, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const, checkServerIdentity: () => undefined };
}

const EXPORTER_LABEL = 'EXPORTER-ringkv-peer-handshake';
const EXPORTER_CONTEXT = Buffer.from('ringkv peer protocol 1');

/** The channel binding of a TLS socket (32 bytes both sides compute alike), or undefined without TLS. */
export function channelBinding(socket: unknown): Uint8Array | undefined {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (!tls || typeof tls.exportKeyingMaterial !== 'function' || !tls.encrypted) return undefined;
  return tls.exportKeyingMaterial(32, EXPORTER_LABEL, EXPORTER_CONTEXT);
}
