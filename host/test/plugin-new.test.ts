import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";
import { repoRoot, runCli } from "./cli.js";

const scaffoldRoot = path.join(repoRoot, ".tmp/scaffold");
afterAll(() => rmSync(scaffoldRoot, { recursive: true, force: true }));

test("plugin new scaffolds a plugin whose own test passes", async () => {
  rmSync(scaffoldRoot, { recursive: true, force: true });
  const cwd = path.join(scaffoldRoot, "app");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(cwd, { recursive: true });
  const created = await runCli(["plugin", "new", "watermark"], { cwd });
  expect(created.code, created.stderr).toBe(0);
  const dir = path.join(cwd, "plugins/watermark");
  for (const file of [
    "package.json",
    "src/index.ts",
    "src/routes.ts",
    "src/migrations/0001_notes.ts",
    "src/workers/count-words.ts",
    "ui/main.js",
    "test/plugin.test.ts",
  ]) {
    expect(existsSync(path.join(dir, file)), file).toBe(true);
  }
  expect(JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).crealia.id).toBe("watermark");

  const again = await runCli(["plugin", "new", "watermark"], { cwd });
  expect(again.code).toBe(2);
  expect(again.stderr).toContain("already exists");
  const bad = await runCli(["plugin", "new", "Bad_Id"], { cwd });
  expect(bad.code).toBe(2);

  // Run the scaffolded plugin's own test with the repository's vitest and source condition.
  const vitest = path.join(repoRoot, "node_modules/.bin/vitest");
  const run = await promisify(execFile)(vitest, ["run", "--config", path.join(repoRoot, "host/test/scaffold.vitest.config.ts")], {
    cwd: repoRoot,
    env: { ...process.env, CREALIA_SCAFFOLD_DIR: dir },
  }).catch((err) => err as { stdout: string; stderr: string; code: number });
  expect(run.stdout + run.stderr).toMatch(/2 passed/);
}, 120_000);
