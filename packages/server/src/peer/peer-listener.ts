// The peer port's server: plain HTTP or HTTPS (mutual TLS), a cap on its TCP sockets, and the
// WebSocket upgrade of a connection that may still do nothing but handshake: one of a bounded
// number of handshake slots, and at most PRE_AUTH_BYTES_MAX bytes until its proof checked out.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { Logger } from '../observability/logger.js';
import { PRE_AUTH_BYTES_MAX, capBytes } from './pre-auth-guard.js';
import { channelBinding, serverTlsOptions, type PeerTlsMaterial } from './peer-tls.js';

export interface PeerListenerOptions {
  tls?: PeerTlsMaterial;
  connectTimeoutMs: number;
  /** Sockets open on the peer port at once; more are closed at once. */
  maxConnections: number;
  maxFrameBytes: number;
  log: Logger;
  /** Whether to take upgrades (the transport is running). */
  accepting(): boolean;
  /** A handshake slot, released by the returned function; undefined when all are taken. */
  takeHandshakeSlot(): (() => void) | undefined;
  /**
   * A new WebSocket in its handshake; `handshakeOver` frees its slot and lifts the byte cap, and
   * `binding` is the TLS keying material the handshake's proofs cover (undefined without TLS).
   */
  onSocket(ws: WebSocket, handshakeOver: () => void, binding: Uint8Array | undefined): void;
}

export function createPeerServer(o: PeerListenerOptions): { server: http.Server; wss: WebSocketServer } {
  const onPlain = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('ringkv peer port: WebSocket only\n');
  };
  // The upgrade request is a few hundred bytes: no peer needs long to send it.
  const limits = { headersTimeout: o.connectTimeoutMs * 5, requestTimeout: o.connectTimeoutMs * 5 };
  const server = o.tls ? https.createServer({ ...limits, ...serverTlsOptions(o.tls), handshakeTimeout: o.connectTimeoutMs * 5 }, onPlain) : http.createServer(limits, onPlain);
  let tcpSockets = 0;
  server.on('connection', (socket: Socket) => {
    if (tcpSockets >= o.maxConnections) {
      socket.destroy();
      return;
    }
    tcpSockets++;
    socket.once('close', () => { tcpSockets--; });
  });
  // A TLS client that fails the handshake (no certificate, another CA) never reaches a handler.
  server.on('tlsClientError', (err: Error, socket: Socket) => {
    o.log.warn({ remote: socket.remoteAddress ?? null, err: err.message }, 'peer TLS handshake refused');
    socket.destroy();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
  server.on('upgrade', (req, socket, head) => {
    if (!o.accepting()) {
      socket.destroy();
      return;
    }
    const release = o.takeHandshakeSlot();
    if (!release) {
      socket.destroy();
      return;
    }
    socket.once('close', release);
    let stopCounting: (() => void) | undefined;
    const binding = channelBinding(socket);
    wss.handleUpgrade(req, socket, head, (ws) => o.onSocket(ws, () => {
      release();
      stopCounting?.();
    }, binding));
    // handleUpgrade hands the socket to ws in this same turn: nothing arrives uncounted.
    stopCounting = capBytes(socket, PRE_AUTH_BYTES_MAX);
  });
  return { server, wss };
}
