// Bugs planted on purpose, only to prove the checkers catch them: a simulator whose checkers
// never fire proves nothing. Each one patches a live NodeRuntime instance (never the sources).
import type { NodeRuntime } from '@ringkv/server';

export const SABOTAGES = ['apply-without-sync', 'hints-vanish', 'read-one-replica'] as const;
export type Sabotage = (typeof SABOTAGES)[number];

export function plant(sabotage: Sabotage, rt: NodeRuntime): void {
  switch (sabotage) {
    case 'apply-without-sync':
      // Replica writes acknowledged before they are durable: a crash loses acknowledged writes.
      (rt.store as unknown as { pipeline: { deps: { sync: boolean } } }).pipeline.deps.sync = false;
      return;
    case 'hints-vanish':
      // Hints acknowledged but never stored: sloppy writes and hand-offs lose data.
      rt.hints.store = () => Promise.resolve();
      return;
    case 'read-one-replica': {
      // Reads answer after one replica whatever R asks for: quorum reads can go stale.
      const read = rt.coordinator.read.bind(rt.coordinator);
      rt.coordinator.read = (key, _r) => read(key, 1);
      return;
    }
  }
}
