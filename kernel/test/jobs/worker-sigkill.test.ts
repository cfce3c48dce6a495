import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
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
import { fixture, REDIS_URL } from "../fixtures.js";
import { exited, startWorkerProcess } from "./worker-processes.js";

// An API host in this process, workers as child processes; one Postgres, one Redis.
// Short lock, stall and lease times so a dead worker is noticed in about a second.
const timings = { leaseMs: 1000, lockDurationMs: 1000, stalledIntervalMs: 500, reconcileIntervalMs: 1000, reconcileGraceMs: 500 };
const prefix = `crealia-kill-${randomBytes(4).toString("hex")}`;
const home = mkdtempSync(path.join(os.tmpdir(), "crealia-kill-"));
let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
let api: Kernel;
const children: ChildProcess[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  scratch = await createScratchPostgres();
  const config = loadConfig({ CREALIA_HOME: home, LOG_LEVEL: "silent", DATABASE_URL: scratch.url, REDIS_URL }, home);
  api = await Kernel.create({
    config,
    plugins: { plugins: [readPluginPackage(fixture("jobs")) as DiscoveredPlugin], invalid: [] },
    mode: "all",
    queues: [],
    logger: createLogger("silent"),
    queuePrefix: prefix,
    jobs: timings,
    database: await openDatabase({ url: scratch.url, dataDir: null }),
  });
  await api.start();
});

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(children.map(exited));
  await api?.stop({ closeDatabase: true });
  await scratch?.close();
  rmSync(home, { recursive: true, force: true });
});

const worker = async () => {
  const child = await startWorkerProcess({
    DATABASE_URL: scratch.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    CREALIA_HOME: home,
    JOB_TIMINGS: JSON.stringify(timings),
  });
  children.push(child);
  return child;
};

const runs = async (jobId: string) =>
  (await api.app.inject({ method: "GET", url: `/api/p/fixture-jobs/v1/runs?jobId=${jobId}` })).json().runs as { event: string; pid: number; attempt: number }[];

test("a worker SIGKILLed mid-job does not lose the job: another worker completes it, exactly once", async () => {
  const first = await worker();
  const tenantId = api.tenants.defaultTenant?.id as string;
  const job = await api.jobs.enqueue("fixture-jobs", "fixture-jobs.count", { ms: 3000, steps: 30 }, { tenantId });

  // Mid-job: running on the first worker, with progress reported.
  let row: JobRecord | null = null;
  for (let i = 0; i < 500; i++) {
    row = await api.jobs.store.get(job.id);
    if (row?.status === "running" && row.progress >= 0.2) break;
    await sleep(20);
  }
  expect(row).toMatchObject({ status: "running", attempts: 1 });
  expect((await runs(job.id)).map((r) => [r.event, r.pid])).toEqual([["start", first.pid]]);

  first.kill("SIGKILL");
  await exited(first);
  expect(first.signalCode).toBe("SIGKILL");

  const second = await worker();
  let done: JobRecord | null = null;
  for (let i = 0; i < 1500 && !["succeeded", "failed", "cancelled"].includes(done?.status ?? ""); i++) {
    await sleep(20);
    done = await api.jobs.store.get(job.id);
  }
  expect(done).toMatchObject({ status: "succeeded", attempts: 2, result: { pid: second.pid, attempt: 2 } });

  // Started on both workers, completed once: on the second.
  await sleep(1500);
  expect((await runs(job.id)).map((r) => [r.event, r.pid])).toEqual([
    ["start", first.pid],
    ["start", second.pid],
    ["end", second.pid],
  ]);
  expect((await api.jobs.store.get(job.id))?.status).toBe("succeeded");
}, 120_000);
