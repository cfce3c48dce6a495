import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { Kernel } from "../../src/kernel.js";
import { createLogger } from "../../src/logger.js";
import { type DiscoveredPlugin, readPluginPackage } from "../../src/plugins/discovery.js";
import type { JobRecord } from "../../src/sdk/context.js";
import { createScratchPostgres } from "../../src/testing/index.js";
import { fixture } from "../fixtures.js";
import { exited } from "./worker-processes.js";

// A Redis of this test's own (no persistence: a restart loses every queue), an API host and a
// worker in this process, one scratch Postgres. The machine's shared Redis is left alone.
const timings = { leaseMs: 1000, lockDurationMs: 1000, stalledIntervalMs: 500, reconcileIntervalMs: 500, reconcileGraceMs: 500 };
const home = mkdtempSync(path.join(os.tmpdir(), "crealia-redis-restart-"));
let port: number;
let redis: ChildProcess | null = null;
let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
let api: Kernel;
let worker: Kernel;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`redis-server not ready: ${out}`)), 10_000);
    child.stdout?.on("data", (d) => {
      out += String(d);
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return child;
}

beforeAll(async () => {
  port = await freePort();
  redis = await startRedis();
  scratch = await createScratchPostgres();
  const redisUrl = `redis://127.0.0.1:${port}`;
  const config = loadConfig({ CREALIA_HOME: home, LOG_LEVEL: "silent", DATABASE_URL: scratch.url, REDIS_URL: redisUrl }, home);
  const common = {
    config,
    plugins: { plugins: [readPluginPackage(fixture("jobs")) as DiscoveredPlugin], invalid: [] },
    logger: createLogger("silent"),
    queuePrefix: `crealia-restart-${randomBytes(4).toString("hex")}`,
    jobs: timings,
  };
  api = await Kernel.create({ ...common, mode: "all", queues: [], database: await openDatabase({ url: scratch.url, dataDir: null }) });
  worker = await Kernel.create({ ...common, mode: "worker", queues: ["fixture-jobs"], database: await openDatabase({ url: scratch.url, dataDir: null }) });
  await api.start();
  await worker.start();
}, 60_000);

afterAll(async () => {
  await worker?.stop({ closeDatabase: true });
  await api?.stop({ closeDatabase: true });
  if (redis) {
    redis.kill("SIGKILL");
    await exited(redis);
  }
  await scratch?.close();
  rmSync(home, { recursive: true, force: true });
}, 60_000);

const runs = async () => (await api.app.inject({ method: "GET", url: "/api/p/fixture-jobs/v1/runs" })).json().runs as { jobId: string; event: string }[];

test("Redis restarted (its data lost) during a batch: no job is lost, none runs twice, idempotency keys still hold", async () => {
  const tenantId = api.tenants.defaultTenant?.id as string;
  const payloads = Array.from({ length: 40 }, () => ({ ms: 120, steps: 3 }));
  const { parent, children } = await api.jobs.enqueueBatch("fixture-jobs", "fixture-jobs.count", payloads, { tenantId, idempotencyKey: "photos" });
  expect(children).toHaveLength(40);

  // Some of the batch done, some running, most still queued in Redis.
  for (let i = 0; i < 500 && (await runs()).filter((r) => r.event === "end").length < 8; i++) await sleep(20);

  (redis as ChildProcess).kill("SIGKILL");
  await exited(redis as ChildProcess);
  // While Redis is down: enqueueing still answers (the row is the truth; the reconciler dispatches it later).
  const outageStarted = Date.now();
  const during = await api.jobs.enqueue("fixture-jobs", "fixture-jobs.count", { ms: 30, steps: 1 }, { tenantId, idempotencyKey: "during-outage" });
  expect(during.status).toBe("queued");
  expect(Date.now() - outageStarted).toBeLessThan(5000);
  await sleep(700);
  redis = await startRedis();
  // The new Redis is empty: every unfinished child can only come back through the reconciler.
  const unfinished = (await Promise.all(children.map((c) => api.jobs.store.get(c.id)))).filter((j) => j?.status !== "succeeded");
  expect(unfinished.length).toBeGreaterThan(10);

  let done: JobRecord | null = null;
  for (let i = 0; i < 1500 && done?.status !== "succeeded"; i++) {
    await sleep(20);
    done = await api.jobs.store.get(parent.id);
  }
  expect(done).toMatchObject({ status: "succeeded", progress: 1, result: { total: 40, succeeded: 40, failed: 0, cancelled: 0 } });
  let single: JobRecord | null = null;
  for (let i = 0; i < 500 && single?.status !== "succeeded"; i++) {
    await sleep(20);
    single = await api.jobs.store.get(during.id);
  }
  expect(single?.status).toBe("succeeded");

  // Every child started once and ended once.
  await sleep(1000);
  const all = await runs();
  for (const id of [...children.map((c) => c.id), during.id]) {
    expect(all.filter((r) => r.jobId === id).map((r) => r.event)).toEqual(["start", "end"]);
  }

  // The same keys give back the same jobs, and nothing runs again.
  const again = await api.jobs.enqueueBatch("fixture-jobs", "fixture-jobs.count", payloads, { tenantId, idempotencyKey: "photos" });
  expect(again.parent.id).toBe(parent.id);
  expect(again.children.map((c) => c.id)).toEqual(children.map((c) => c.id));
  expect((await api.jobs.enqueue("fixture-jobs", "fixture-jobs.count", {}, { tenantId, idempotencyKey: "during-outage" })).id).toBe(during.id);
  await sleep(800);
  expect(await runs()).toHaveLength(all.length);
}, 120_000);
