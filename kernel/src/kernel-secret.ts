import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { KernelConfig } from "./config.js";

/**
 * The kernel's signing secret: CREALIA_SECRET, or a random one made once and kept in
 * `<home>/secret` (mode 600) so signed URLs survive restarts. Read lazily, so merely loading the
 * configuration writes nothing.
 */
export function kernelSecret(config: Pick<KernelConfig, "secret" | "home">): string {
  if (config.secret) return config.secret;
  const file = path.join(config.home, "secret");
  const existing = readSecret(file);
  if (existing) return existing;
  mkdirSync(config.home, { recursive: true });
  try {
    // "wx": when two processes start at once, one writes and the other reads what it wrote.
    writeFileSync(file, randomBytes(32).toString("hex"), { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const made = readSecret(file);
  if (!made) throw new Error(`${file} is empty: delete it, or set CREALIA_SECRET`);
  return made;
}

function readSecret(file: string): string | null {
  try {
    return readFileSync(file, "utf8").trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
