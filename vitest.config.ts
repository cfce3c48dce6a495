import { defineConfig } from "vitest/config";

export default defineConfig({
  ssr: { resolve: { conditions: ["source"] } },
  resolve: { conditions: ["source"] },
  test: {
    include: [
      "kernel/test/**/*.test.ts",
      "host/test/**/*.test.ts",
      "plugins/*/test/**/*.test.ts",
      "marketplace/test/**/*.test.ts",
      "models/test/**/*.test.ts",
      "ui/test/**/*.test.ts",
    ],
    env: { CREALIA_SOURCE: "1", NODE_ENV: "test" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The panel form styles are inlined into sandboxed panel frames (`?raw`): tests see their text.
    css: { include: [/ui\/src\/sdk\/panel-form\.css/] },
    pool: "forks",
    maxWorkers: 2,
  },
});
