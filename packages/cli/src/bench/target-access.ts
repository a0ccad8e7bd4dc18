// How the load generator (autocannon) reaches ringkv nodes that require a token or serve HTTPS.
//
// autocannon opens TLS connections with rejectUnauthorized: false, whatever it is given: on its
// own it would send the bearer token to any server that answers at the address. Each of its
// connections is therefore checked when its handshake ends, against Node's public CAs or --ca,
// host name included, and a connection whose certificate does not verify is destroyed before a
// byte of a request leaves (Node holds writes until 'secureConnect'; its listeners run first).
// The load then stops, and the run fails naming the endpoint.
import type { TLSSocket } from 'node:tls';
import type autocannon from 'autocannon';

/** What the ringkv target's requests need; ceilings get none of it. */
export interface TargetAccess {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** PEM of the CA to trust for https:// endpoints. */
  ca?: Buffer;
}

/** Collects the connections refused for an unverified certificate during one load phase. */
export class TlsRefusals {
  readonly refused = new Set<string>();

  /** Throws when a connection was refused: numbers from an unverified server mean nothing. */
  check(): void {
    if (this.refused.size === 0) return;
    throw new Error(`TLS certificate not verified, load stopped: ${[...this.refused].join('; ')} (pass the CA that issued it with --ca FILE or RINGKV_CA)`);
  }
}

interface AutocannonClientInternals {
  _connect?: () => void;
  conn?: TLSSocket;
  destroy(): void;
}

/** The autocannon options that carry `access` to `url`; refused TLS connections land in `refusals`. */
export function autocannonAccess(url: string, access: TargetAccess | undefined, refusals: TlsRefusals): Partial<autocannon.Options> {
  const out: Partial<autocannon.Options> = {};
  if (access?.token !== undefined) out.headers = { authorization: `Bearer ${access.token}` };
  if (!url.toLowerCase().startsWith('https:')) return out;
  if (access?.ca) out.tlsOptions = { ca: access.ca };
  out.setupClient = (client) => {
    const c = client as unknown as AutocannonClientInternals;
    const connect = c._connect;
    if (typeof connect !== 'function') {
      // Without the hook no certificate could be checked: refuse to load an https endpoint.
      throw new Error('this autocannon version offers no way to check TLS certificates: https:// endpoints cannot be benchmarked');
    }
    c._connect = function (this: AutocannonClientInternals) {
      connect.call(this);
      const conn = this.conn;
      conn?.once('secureConnect', () => {
        if (conn.authorized) return;
        refusals.refused.add(`${url}: ${String(conn.authorizationError)}`);
        this.destroy(); // no reconnect: the client is done, and the phase ends once all are
      });
    };
  };
  return out;
}
