import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "plugins");

/** Folder of a fixture plugin under test/fixtures/plugins. */
export const fixture = (name: string) => path.join(root, name);

export const ALL_FIXTURES = [
  "full",
  "contributor",
  "bad-sdk",
  "missing-dep",
  "old-dep",
  "cycle-a",
  "cycle-b",
  "throws",
  "bad-migration",
  "snoop",
  "no-processor",
].map(fixture);

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
