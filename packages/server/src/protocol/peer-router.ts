// Routes each peer request to the handler registered for its type, after decoding it against
// that type's schema and checking who may ask: `anyone` (who proved the cluster secret: pings and
// a node asking to join) or `member` (a member of the membership this node serves, at the address
// the membership gives it). No handler sees an undecoded body. Refusals are error replies with
// stable codes, counted and logged (at most once per sender and reason every 10 s).
import { PeerForbiddenError, PeerUnknownMessageError, type PeerBadMessageError } from '../peer/peer-errors.js';
import type { PeerHandler, PeerIdentity } from '../peer/transport.js';
import type { Logger } from '../observability/logger.js';
import type { PeerProtocol } from './peer-protocol.js';
import type { AnyRequest, ReplyOf, RequestOf, RequestType } from './peer-messages.js';

/**
 * Who may send a request type: anyone who proved the secret, a member, or whoever a predicate
 * admits (e.g. a member or a member removed lately, for replica writes of a hint hand-over).
 */
export type Access = 'anyone' | 'member' | ((from: PeerIdentity) => boolean);

export type RequestHandler<K extends RequestType> = (from: PeerIdentity, msg: RequestOf<K>) => ReplyOf<K> | Promise<ReplyOf<K>>;

export interface PeerRouterDeps {
  protocol: PeerProtocol;
  /** Whether the sender is a member now (true for anyone while this node has no membership yet). */
  isMember: (from: PeerIdentity) => boolean;
  log: Logger;
  /** Told of every refused request, by reason code (metrics). */
  onRefused?: (code: string) => void;
}

interface Route {
  access: Access;
  handler: RequestHandler<RequestType>;
}

const LOG_EVERY_MS = 10_000;

export class PeerRouter {
  private readonly routes = new Map<number, Route>();
  private readonly lastLogged = new Map<string, number>();

  constructor(private readonly deps: PeerRouterDeps) {}

  /** Registers the handler of one request type (once per type). */
  on<K extends RequestType>(type: K, access: Access, handler: RequestHandler<K>): void {
    if (this.routes.has(type)) throw new TypeError(`peer request type ${type} has a handler already`);
    this.routes.set(type, { access, handler: handler as unknown as RequestHandler<RequestType> });
  }

  /** The request types with a handler (tests check each has a schema and vice versa). */
  get routedTypes(): number[] {
    return [...this.routes.keys()];
  }

  /** The transport's handler. Throws (the transport answers an error reply) for refused requests. */
  readonly handle: PeerHandler = (from, body) => {
    let msg: AnyRequest;
    try {
      msg = this.deps.protocol.decodeRequest(body);
    } catch (err) {
      this.refused(from, err as PeerBadMessageError | PeerUnknownMessageError, (body as { type?: unknown }).type);
      throw err;
    }
    const route = this.routes.get(msg.type);
    if (!route) {
      const err = new PeerUnknownMessageError(`no handler for request type ${msg.type}`);
      this.refused(from, err, msg.type);
      throw err;
    }
    const allowed = route.access === 'anyone' || (route.access === 'member' ? this.deps.isMember(from) : route.access(from));
    if (!allowed) {
      const err = new PeerForbiddenError(`${from.id} at ${from.address} is not a member of this node's membership`);
      this.refused(from, err, msg.type);
      throw err;
    }
    return route.handler(from, msg as never) as never;
  };

  /** For handlers that refuse on their own checks (sender claims, partitions): counted and logged alike. */
  refuse(from: PeerIdentity, type: number, message: string): never {
    const err = new PeerForbiddenError(message);
    this.refused(from, err, type);
    throw err;
  }

  private refused(from: PeerIdentity, err: { code: string; message: string }, type: unknown): void {
    this.deps.onRefused?.(err.code);
    const key = `${from.id} ${err.code}`;
    const now = performance.now();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    if (this.lastLogged.size > 1024) this.lastLogged.clear();
    this.lastLogged.set(key, now);
    this.deps.log.warn({ peer: from.id, address: from.address, type: typeof type === 'number' ? type : null, code: err.code, reason: err.message }, 'peer request refused');
  }
}
