import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "sdk/index": "src/sdk/index.ts", "testing/index": "src/testing/index.ts" },
  format: ["esm"],
  target: "node20",
  dts: true,
  clean: true,
  sourcemap: true,
});
