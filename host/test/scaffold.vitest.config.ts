import path from "node:path";
import { defineConfig } from "vitest/config";

// Runs one scaffolded plugin's tests (see plugin-new.test.ts), with the same source condition as the main suite.
const dir = process.env.CREALIA_SCAFFOLD_DIR ?? "";

export default defineConfig({
  ssr: { resolve: { conditions: ["source"] } },
  resolve: { conditions: ["source"] },
  test: {
    root: dir,
    include: [path.join(dir, "test/**/*.test.ts")],
    env: { CREALIA_SOURCE: "1", NODE_ENV: "test" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
