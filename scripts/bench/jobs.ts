/**
 * Job throughput benchmark: no-op jobs per second, enqueued one by one and run to completion,
 * on BullMQ and on the in-process runner, against bare BullMQ doing the same in the same process.
 *
 *   npx tsx --conditions=source scripts/bench/jobs.ts [--jobs 2000] [--runs 3] [--concurrency 8]
 *
 * Needs Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379) and Postgres (TEST_POSTGRES_URL,
 * default postgres://postgres@127.0.0.1:5432/test; a scratch database is made per run and dropped).
 * Figures (median jobs/s over the runs; each run times the first enqueue to the last completion):
 *   - bare BullMQ: Queue.add one by one + a Worker with a no-op processor (the baseline);
 *   - kernel on BullMQ: jobs.enqueue one by one (row insert, dispatch, update events), worker in
 *     the same kernel: claim, lease, result and status rows, events over Redis pub/sub;
 *   - kernel on BullMQ, enqueueBatch: one batch of all the jobs (bulk insert, addBulk, parent);
 *   - kernel in-process on Postgres, and on PGlite (the embedded default).
 * The job type is kernel-owned (jobs.declare("kernel", …)), per-type concurrency as given.
 * The figure lines come last on stdout, as `<figure>: <value> <unit> (ratio <r> vs <baseline>)`.
 */

process.env.CREALIA_SOURCE = "1";
process.env.LOG_LEVEL = "silent";

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Database } from "../../kernel/src/db/database.js";

const { Kernel } = await import("../../kernel/src/kernel.js");
const { loadConfig } = await import("../../kernel/src/config.js");
const { openDatabase } = await import("../../kernel/src/db/database.js");
const { createLogger } = await import("../../kernel/src/logger.js");
const { createScratchPostgres } = await import("../../kernel/src/testing/test-databases.js");

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[`BENCH_${name.toUpperCase()}`];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1 (got "${raw}")`);
  return n;
}

const JOBS = argValue("jobs", 2000);
const RUNS = argValue("runs", 3);
const CONCURRENCY = argValue("concurrency", 8);
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const TYPE = "kernel.bench-noop";

/** Bare BullMQ: add one by one, a worker with a no-op processor; seconds from first add to last completion. */
async function bareBullMq(jobs: number): Promise<number> {
  const prefix = `crealia-bench-${randomBytes(4).toString("hex")}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue("noop", { connection, prefix });
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  const worker = new Worker("noop", async () => null, { connection, prefix, concurrency: CONCURRENCY });
  worker.on("completed", () => {
    if (++done === jobs) finish();
  });
  await worker.waitUntilReady();
  const t0 = performance.now();
  for (let i = 0; i < jobs; i++) await queue.add("run", { i }, { removeOnComplete: 1000, removeOnFail: 5000 });
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return seconds;
}

/** A kernel with one kernel-owned no-op job type; seconds from first enqueue to last success. */
async function kernelRun(jobs: number, options: { redis: boolean; postgres: boolean; batch: boolean }): Promise<number> {
  const home = mkdtempSync(path.join(os.tmpdir(), "crealia-bench-jobs-"));
  const scratch = options.postgres ? await createScratchPostgres() : null;
  const database: Database = scratch ?? (await openDatabase({ url: null, dataDir: null }));
  const config = loadConfig({ CREALIA_HOME: home, LOG_LEVEL: "silent", DATABASE_URL: scratch?.url, REDIS_URL: options.redis ? REDIS_URL : undefined }, home);
  const kernel = await Kernel.create({
    config,
    plugins: { plugins: [], invalid: [] },
    database,
    logger: createLogger("silent"),
    queuePrefix: `crealia-bench-${randomBytes(4).toString("hex")}`,
  });
  // A kernel-owned job type, declared the way the kernel declares its own (e.g. kernel.ingest).
  kernel.jobs.declare("kernel", { [TYPE]: { concurrency: CONCURRENCY, attempts: 1 } });
  kernel.jobs.setProcessor("kernel", TYPE, async () => null);
  await kernel.start();
  const tenantId = kernel.tenants.defaultTenant?.id as string;
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  const off = kernel.jobs.onUpdate((job) => {
    if (job.type === TYPE && job.status === "succeeded" && ++done === jobs) finish();
  });
  const t0 = performance.now();
  if (options.batch) {
    await kernel.jobs.enqueueBatch(
      "kernel",
      TYPE,
      Array.from({ length: jobs }, (_, i) => ({ i })),
      { tenantId },
    );
  } else {
    for (let i = 0; i < jobs; i++) await kernel.jobs.enqueue("kernel", TYPE, { i }, { tenantId });
  }
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  off();
  await kernel.stop({ closeDatabase: false });
  await database.close();
  rmSync(home, { recursive: true, force: true });
  return seconds;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main() {
  const figures: [string, (jobs: number) => Promise<number>][] = [
    ["bare BullMQ Queue.add + Worker", bareBullMq],
    ["kernel on BullMQ, enqueue + run", (n) => kernelRun(n, { redis: true, postgres: true, batch: false })],
    ["kernel on BullMQ, enqueueBatch + run", (n) => kernelRun(n, { redis: true, postgres: true, batch: true })],
    ["kernel in-process on Postgres, enqueue + run", (n) => kernelRun(n, { redis: false, postgres: true, batch: false })],
    ["kernel in-process on PGlite, enqueue + run", (n) => kernelRun(n, { redis: false, postgres: false, batch: false })],
  ];
  const samples = new Map<string, number[]>();
  // One untimed round first, so the first figure does not carry the process's JIT warm-up alone.
  const warmUp = Math.min(JOBS, 200);
  console.error(`warm-up (${warmUp} jobs each)…`);
  for (const [, fn] of figures) await fn(warmUp);
  for (let run = 1; run <= RUNS; run++) {
    for (const [figure, fn] of figures) {
      const seconds = await fn(JOBS);
      const rate = JOBS / seconds;
      console.error(`run ${run}/${RUNS} ${figure}: ${rate.toFixed(0)} jobs/s (${seconds.toFixed(2)} s)`);
      samples.set(figure, [...(samples.get(figure) ?? []), rate]);
    }
  }
  const baseline = figures[0]?.[0] as string;
  const base = median(samples.get(baseline) ?? []);
  console.log(`\n${JOBS} no-op jobs per run, concurrency ${CONCURRENCY}, median of ${RUNS} runs, node ${process.version}, ${os.cpus().length} CPUs`);
  for (const [figure] of figures) {
    const value = median(samples.get(figure) ?? []);
    console.log(`${figure}: ${value.toFixed(0)} jobs/s (ratio ${(value / base).toFixed(2)} vs bare BullMQ)`);
  }
}

await main();
process.exit(0);
