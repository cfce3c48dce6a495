import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { Kernel } from "../src/kernel.js";
import { createLogger } from "../src/logger.js";
import { type DiscoveredPlugin, readPluginPackage } from "../src/plugins/discovery.js";
import { createScratchPostgres } from "../src/testing/index.js";
import { fixture, REDIS_URL } from "./fixtures.js";

// An API-only host and a separate worker share one Postgres and one Redis, as in a scaled-out deployment.
let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
let api: Kernel;
let worker: Kernel;
const home = mkdtempSync(path.join(os.tmpdir(), "crealia-split-"));

beforeAll(async () => {
  scratch = await createScratchPostgres();
  const config = loadConfig({ CREALIA_HOME: home, LOG_LEVEL: "silent", DATABASE_URL: scratch.url, REDIS_URL }, home);
  const plugins = { plugins: [readPluginPackage(fixture("full")) as DiscoveredPlugin], invalid: [] };
  const prefix = `crealia-split-${randomBytes(4).toString("hex")}`;
  const common = { config, plugins, logger: createLogger("silent"), queuePrefix: prefix };
  api = await Kernel.create({ ...common, mode: "all", queues: [], database: await openDatabase({ url: scratch.url, dataDir: null }) });
  worker = await Kernel.create({ ...common, mode: "worker", queues: ["fixture-full"], database: await openDatabase({ url: scratch.url, dataDir: null }) });
  await api.start();
  await worker.start();
});

afterAll(async () => {
  await api?.stop({ closeDatabase: true });
  await worker?.stop({ closeDatabase: true });
  await scratch?.close();
  rmSync(home, { recursive: true, force: true });
});

test("a job enqueued through the API host runs on the worker process", async () => {
  expect(api.jobs.workersStarted).toBe(false);
  const res = await api.app.inject({ method: "POST", url: "/api/p/fixture-full/v1/jobs", payload: { type: "fixture-full.double", payload: { n: 5 } } });
  const { id } = res.json();
  let job = await api.jobs.store.get(id);
  for (let i = 0; i < 250 && job?.status !== "succeeded"; i++) {
    await new Promise((r) => setTimeout(r, 20));
    job = await api.jobs.store.get(id);
  }
  expect(job).toMatchObject({ status: "succeeded", result: { doubled: 10 } });
});
