// The last resort of a running node: an exception nothing caught, or a promise rejection nobody
// handled, means some code path is in a state no one planned for. Going on half-dead (a socket
// callback dead, a loop stopped) is worse than a clean exit: the handler logs the error, gives
// the node a short moment to stop (close its engine, tell its peers), and exits with status 70.
// Acknowledged writes are in the engine already; a restart (systemd, Kubernetes) brings the node back.
import type { RingkvNode } from './server-api.js';

/** How long a failing node may take to stop before the process exits anyway. */
const STOP_BUDGET_MS = 3000;
/** EX_SOFTWARE from sysexits.h: an internal software error. */
export const LAST_RESORT_EXIT_CODE = 70;

export function installLastResort(node: RingkvNode): () => void {
  let exiting = false;
  const fail = (kind: string, err: unknown): void => {
    try {
      node.log.fatal({ err, kind }, 'unexpected error: the node stops and the process exits (a bug; please report it with this log line)');
    } catch {
      console.error(`ringkv: ${kind}: ${String((err as Error)?.stack ?? err)}`);
    }
    if (exiting) return;
    exiting = true;
    const timer = setTimeout(() => process.exit(LAST_RESORT_EXIT_CODE), STOP_BUDGET_MS);
    timer.unref();
    node.stop().catch(() => undefined).finally(() => process.exit(LAST_RESORT_EXIT_CODE));
  };
  const onException = (err: unknown) => fail('uncaughtException', err);
  const onRejection = (err: unknown) => fail('unhandledRejection', err);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
