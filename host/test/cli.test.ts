import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { repoRoot, runCli, spawnCli } from "./cli.js";

const fixtures = path.join(repoRoot, "kernel/test/fixtures/plugins");
const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "crealia-cli-"));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

test("plugins list prints each plugin's state and the reason for one left out", async () => {
  const cwd = tempDir();
  const { code, stdout } = await runCli(["plugins", "list"], { cwd, env: { CREALIA_PLUGIN_DIRS: fixtures, LOG_LEVEL: "silent" } });
  expect(code).toBe(1); // some fixtures are meant to fail
  const lines = stdout.trim().split("\n");
  expect(lines[0]).toMatch(/^PLUGIN\s+VERSION\s+STATE\s+REASON$/);
  expect(stdout).toMatch(/fixture-full\s+1\.4\.1\s+started/);
  expect(stdout).toMatch(/fixture-old-dep\s+1\.2\.0\s+failed\s+resolve: fixture-old-dep 1\.2\.0 requires fixture-full \^2\.0\.0, found 1\.4\.1/);
  expect(stdout).toMatch(/fixture-throws\s+1\.0\.0\s+failed\s+setup: setup threw: cannot reach the licence server/);
});

test("start answers /healthz on embedded defaults, writes only under ./.crealia, and stops cleanly on SIGTERM", async () => {
  const cwd = tempDir();
  const port = await freePort();
  const started = Date.now();
  const child = spawnCli(["start"], { cwd, env: { PORT: String(port) } });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  let status = 0;
  // Start-up time is measured by scripts/bench/startup.ts, not asserted here: a loaded CI machine varies.
  while (Date.now() - started < 60_000 && status !== 200) {
    status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  expect(status, output).toBe(200);
  expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  const home = await fetch(`http://127.0.0.1:${port}/`);
  expect(home.headers.get("content-type")).toMatch(/text\/html/);
  // The built studio (ui/dist) when present, else the status page: both are Crealia's HTML.
  expect(await home.text()).toMatch(/<title>Crealia<\/title>/);
  expect(readdirSync(cwd)).toEqual([".crealia"]);
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
}, 90_000);

test("bad configuration is reported at once, in words", async () => {
  const { code, stderr } = await runCli(["start"], { cwd: tempDir(), env: { PORT: "http", DATABASE_URL: "mysql://x" } });
  expect(code).toBe(2);
  expect(stderr).toContain('PORT must be a whole number from 0 to 65535 (got "http")');
  expect(stderr).toContain("DATABASE_URL must start with postgres:// or postgresql://");
});

test("an unknown command prints the usage", async () => {
  const { code, stderr } = await runCli(["frobnicate"], { cwd: tempDir() });
  expect(code).toBe(2);
  expect(stderr).toContain("Usage: crealia <command>");
});
