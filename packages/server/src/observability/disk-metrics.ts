// The engine's size on disk and the space of the filesystem it lives on, read when scraped (the
// files of the data directory and one statfs): nothing is measured on the request path. A node on
// the memory engine has no data directory and registers none of these.
import { readdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { Gauge, type Registry } from 'prom-client';

/** Bytes of the regular files under dir (subdirectories included); files that vanish meanwhile count 0. */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) total += await directoryBytes(full);
    else if (e.isFile()) total += await stat(full).then((s) => s.size, () => 0);
  }
  return total;
}

export function registerDiskMetrics(registry: Registry, dataDir: string): void {
  const registers = [registry];
  new Gauge({ name: 'ringkv_engine_disk_bytes', help: 'Bytes of the storage engine\'s files in the data directory (data, hints, Raft log, metadata)', registers,
    async collect() { this.set(await directoryBytes(dataDir)); } });
  const fs = async () => statfs(dataDir).catch(() => undefined);
  new Gauge({ name: 'ringkv_disk_total_bytes', help: 'Size of the filesystem holding the data directory', registers,
    async collect() {
      const s = await fs();
      if (s) this.set(s.blocks * s.bsize);
    } });
  new Gauge({ name: 'ringkv_disk_available_bytes', help: 'Bytes of that filesystem available to the node (statfs bavail)', registers,
    async collect() {
      const s = await fs();
      if (s) this.set(s.bavail * s.bsize);
    } });
}
