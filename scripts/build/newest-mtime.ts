import { readdirSync, statSync } from "node:fs";
import path from "node:path";

/** The latest modification time of any file under `dir`: what `--if-stale` builds compare their output with. */
export function newestMtime(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return latest;
}
