import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JobRecord } from "../../src/sdk/context.js";
import { createTestKernel, type TestKernel } from "../../src/testing/index.js";
import { fixture } from "../fixtures.js";
import { openSse } from "./sse-client.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What every job transport must do, run once per transport (in-process.test.ts, bullmq.test.ts):
 * the same assertions, whatever carries the job ids.
 */
export function jobTransportContract(name: "in-process" | "bullmq", redisUrl: string | undefined) {
  describe(`jobs on the ${name} transport`, () => {
    let t: TestKernel;
    let base: string;
    const lease = 600;
    const enqueue = async (type: string, payload: unknown, key?: string) => {
      const res = await t.inject({ method: "POST", url: "/api/p/fixture-full/v1/jobs", payload: { type, payload, key } });
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    const job = async (body: { type: string; payload?: unknown; key?: string; delayMs?: number; maxAttempts?: number; parentId?: string }) => {
      const res = await t.inject({ method: "POST", url: "/api/p/fixture-jobs/v1/jobs", payload: body });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as JobRecord;
    };
    const runs = async (jobId: string) =>
      (await t.inject({ method: "GET", url: `/api/p/fixture-jobs/v1/runs?jobId=${jobId}` })).json().runs as { event: string; attempt: number }[];
    const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
        await sleep(20);
      }
    };
    const statusOf = async (id: string) => (await t.kernel.jobs.store.get(id))?.status;
    const active = async (type: string) => (await t.kernel.jobs.transport.counts())[type]?.active ?? 0;

    beforeAll(async () => {
      t = await createTestKernel({
        plugins: [fixture("full"), fixture("jobs")],
        redisUrl,
        jobs: { leaseMs: lease, reconcileGraceMs: 200, reconcileIntervalMs: 60_000, scheduleTickMs: 100 },
      });
      expect(t.kernel.jobs.transport.kind).toBe(redisUrl ? "bullmq" : "in-process");
      base = await t.kernel.app.listen({ port: 0, host: "127.0.0.1" });
    });
    afterAll(() => t?.close());

    test("runs a job through its one processor and stores result and progress on the row", async () => {
      const updates: number[] = [];
      const off = t.kernel.jobs.onUpdate((j) => updates.push(j.progress));
      const job = await enqueue("fixture-full.double", { n: 21 });
      expect(job.status).toBe("queued");
      const done = await t.waitForJob(job.id);
      off();
      expect(done).toMatchObject({
        status: "succeeded",
        result: { doubled: 42 },
        progress: 1,
        attempts: 1,
        pluginId: "fixture-full",
        tenantId: t.defaultTenant.id,
      });
      expect(updates).toContain(0.5);
    });

    test("the same idempotency key gives back the same job", async () => {
      const a = await enqueue("fixture-full.double", { n: 1 }, "once");
      const b = await enqueue("fixture-full.double", { n: 2 }, "once");
      expect(b.id).toBe(a.id);
      expect((await t.waitForJob(a.id)).result).toEqual({ doubled: 2 });
    });

    test("a failing job is retried with backoff and ends in the dead-letter state when attempts run out", async () => {
      const recovers = await enqueue("fixture-full.flaky", { failTimes: 1 });
      expect(await t.waitForJob(recovers.id)).toMatchObject({ status: "succeeded", attempts: 2, result: { attempts: 2 } });
      const dies = await enqueue("fixture-full.flaky", { failTimes: 5 });
      const dead = await t.waitForJob(dies.id, { timeoutMs: 15_000 });
      expect(dead).toMatchObject({ status: "failed", attempts: 3, error: { code: "JOB_FAILED", message: "planned failure 3" } });
      // Exponential backoff: 500 ms before the 2nd attempt, 1000 ms before the 3rd.
      expect(Date.parse(dead.finishedAt as string) - Date.parse(dies.createdAt)).toBeGreaterThanOrEqual(1400);
    });

    test("a running job sees cancellation and stops", async () => {
      const job = await enqueue("fixture-full.slow", {});
      for (let i = 0; i < 100 && (await t.kernel.jobs.store.get(job.id))?.status !== "running"; i++) await new Promise((r) => setTimeout(r, 20));
      const cancelled = await t.inject({ method: "POST", url: `/api/p/fixture-full/v1/jobs/${job.id}/cancel` });
      expect(cancelled.json().status).toBe("cancelled");
      const final = await t.waitForJob(job.id, { timeoutMs: 3000 });
      expect(final.status).toBe("cancelled");
      await until("the processor stopped", async () => (await active("fixture-full.slow")) === 0, 2000);
    });

    test("a type the plugin does not declare is refused", async () => {
      const res = await t.inject({ method: "POST", url: "/api/p/fixture-full/v1/jobs", payload: { type: "fixture-full.nope", payload: {} } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe("KERNEL_JOB_TYPE_UNKNOWN");
    });

    test("another tenant cannot see or cancel the job", async () => {
      const job = await enqueue("fixture-full.double", { n: 3 });
      const other = await t.createTenant(`jobs-other-${redisUrl ? "redis" : "mem"}`);
      expect(await t.kernel.jobs.store.get(job.id, other.id)).toBeNull();
      expect(await t.kernel.jobs.cancel(job.id, other.id)).toBeNull();
    });

    test("each job type runs at most its own manifest concurrency, whatever the plugin's other types do", async () => {
      const one = await Promise.all([1, 2, 3, 4].map(() => job({ type: "fixture-jobs.one-at-a-time", payload: { ms: 120 } })));
      const three = await Promise.all([1, 2, 3, 4, 5, 6].map(() => job({ type: "fixture-jobs.three-at-a-time", payload: { ms: 300 } })));
      const most = async (jobs: JobRecord[]) =>
        Math.max(...(await Promise.all(jobs.map(async (j) => ((await t.waitForJob(j.id)).result as { most: number }).most))));
      expect(await most(one)).toBe(1);
      const most3 = await most(three);
      expect(most3).toBeLessThanOrEqual(3);
      expect(most3).toBeGreaterThanOrEqual(2);
    });

    test("a delayed job starts no sooner than its delay", async () => {
      const delayed = await job({ type: "fixture-jobs.count", payload: { ms: 10, steps: 1 }, delayMs: 500 });
      expect(Date.parse(delayed.runAt) - Date.parse(delayed.createdAt)).toBeGreaterThanOrEqual(490);
      const done = await t.waitForJob(delayed.id);
      expect(done.status).toBe("succeeded");
      expect(Date.parse(done.startedAt as string) - Date.parse(delayed.createdAt)).toBeGreaterThanOrEqual(450);
    });

    test("a job the transport does not hold (lost, or its worker died) is put back by the reconciler and runs once", async () => {
      const row = (runAt: Date) => ({
        type: "fixture-jobs.count",
        pluginId: "fixture-jobs",
        payload: { ms: 20, steps: 1 },
        tenantId: t.defaultTenant.id,
        userId: null,
        assetId: null,
        parentId: null,
        idempotencyKey: null,
        maxAttempts: 3,
        runAt,
      });
      // A row the transport never saw (Redis lost it, or the process died before dispatching).
      const { record: lost } = await t.kernel.jobs.store.insert(row(new Date(Date.now() - 1000)));
      // A row a worker claimed and then died holding: its lease runs out.
      const { record: orphan } = await t.kernel.jobs.store.insert(row(new Date()));
      expect(await t.kernel.jobs.store.claim(orphan.id, "worker-that-died", lease)).toMatchObject({ status: "running", attempts: 1 });
      await sleep(lease + 100);
      expect(await statusOf(lost.id)).toBe("queued");
      expect(await t.kernel.jobs.reconcile()).toBeGreaterThanOrEqual(2);
      expect(await t.waitForJob(lost.id)).toMatchObject({ status: "succeeded", attempts: 1 });
      expect(await t.waitForJob(orphan.id)).toMatchObject({ status: "succeeded", attempts: 2 });
      for (const id of [lost.id, orphan.id]) expect((await runs(id)).map((r) => r.event)).toEqual(["start", "end"]);
      // A second pass finds nothing to do.
      expect(await t.kernel.jobs.reconcile()).toBe(0);
    });

    test("a cancel that reaches the worker only through the row (no event) still stops the processor", async () => {
      const slow = await job({ type: "fixture-jobs.count", payload: { ms: 8000, steps: 80 } });
      await until("running", async () => (await statusOf(slow.id)) === "running");
      await t.kernel.database.knex("kernel.jobs").where({ id: slow.id }).update({ status: "cancelled", finished_at: new Date() });
      const cancelledAt = Date.now();
      await until("the processor stopped", async () => (await active("fixture-jobs.count")) === 0, 3000);
      expect(Date.now() - cancelledAt).toBeLessThan(lease + 1000);
      expect((await runs(slow.id)).map((r) => r.event)).toEqual(["start"]);
      expect(await statusOf(slow.id)).toBe("cancelled");
    });

    test("a batch is one parent whose progress is the mean of its children's; it succeeds with their counts once all end", async () => {
      const payloads = [...Array.from({ length: 8 }, () => ({ ms: 200, steps: 4 })), { ms: 20, steps: 1, fail: true }];
      const res = await t.inject({ method: "POST", url: "/api/p/fixture-jobs/v1/batches", payload: { type: "fixture-jobs.count", payloads, maxAttempts: 1 } });
      expect(res.statusCode, res.body).toBe(200);
      const { parent, children } = res.json() as { parent: JobRecord; children: JobRecord[] };
      expect(parent).toMatchObject({ type: "kernel.batch", status: "running", pluginId: "fixture-jobs", payload: { type: "fixture-jobs.count", total: 9 } });
      expect(children).toHaveLength(9);
      expect(children.every((c) => c.parentId === parent.id && c.type === "fixture-jobs.count")).toBe(true);
      const seen: number[] = [];
      const off = t.kernel.jobs.onUpdate((j) => {
        if (j.id === parent.id) seen.push(j.progress);
      });
      const done = await t.waitForJob(parent.id, { timeoutMs: 15_000 });
      off();
      expect(done).toMatchObject({ status: "succeeded", progress: 1, result: { total: 9, succeeded: 8, failed: 1, cancelled: 0 } });
      expect(seen.some((p) => p > 0 && p < 1)).toBe(true);
      // A failing child does not fail the others.
      const listed = (await t.inject({ method: "GET", url: `/api/jobs?parentId=${parent.id}&limit=50` })).json().jobs as JobRecord[];
      expect(listed.map((j) => j.status).sort()).toEqual([...Array(8).fill("succeeded"), "failed"].sort());
    });

    test("cancelling a batch cancels its children, the running ones' processors included", async () => {
      const payloads = Array.from({ length: 5 }, () => ({ ms: 6000, steps: 60 }));
      const { parent, children } = (
        await t.inject({ method: "POST", url: "/api/p/fixture-jobs/v1/batches", payload: { type: "fixture-jobs.count", payloads } })
      ).json() as {
        parent: JobRecord;
        children: JobRecord[];
      };
      await until("two children running", async () => (await Promise.all(children.map((c) => statusOf(c.id)))).filter((s) => s === "running").length === 2);
      const res = await t.inject({ method: "POST", url: `/api/jobs/${parent.id}/cancel` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: "cancelled", result: { total: 5, succeeded: 0, failed: 0, cancelled: 5 } });
      expect(await Promise.all(children.map((c) => statusOf(c.id)))).toEqual(Array(5).fill("cancelled"));
      await until("the running children stopped", async () => (await active("fixture-jobs.count")) === 0, 2000);
      for (const c of children) expect((await runs(c.id)).some((r) => r.event === "end")).toBe(false);
    });

    test("a batch enqueued again with its idempotency key is the same batch", async () => {
      const body = {
        type: "fixture-jobs.count",
        payloads: [
          { ms: 10, steps: 1 },
          { ms: 10, steps: 1 },
        ],
        key: `batch-${name}`,
      };
      const a = (await t.inject({ method: "POST", url: "/api/p/fixture-jobs/v1/batches", payload: body })).json();
      const b = (await t.inject({ method: "POST", url: "/api/p/fixture-jobs/v1/batches", payload: body })).json();
      expect(b.parent.id).toBe(a.parent.id);
      expect(b.children.map((c: JobRecord) => c.id)).toEqual(a.children.map((c: JobRecord) => c.id));
      expect(a.children.map((c: JobRecord) => c.idempotencyKey)).toEqual([`batch-${name}/0`, `batch-${name}/1`]);
      expect(await t.waitForJob(a.parent.id)).toMatchObject({ status: "succeeded", result: { total: 2, succeeded: 2 } });
      for (const c of a.children) expect((await runs(c.id)).filter((r) => r.event === "end")).toHaveLength(1);
    });

    test("a cron schedule enqueues one job per occurrence until it is removed", async () => {
      const bad = await t.inject({
        method: "POST",
        url: "/api/p/fixture-jobs/v1/schedules",
        payload: { type: "fixture-jobs.tick", cron: "61 * * * *", key: "bad" },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe("KERNEL_VALIDATION");
      const res = await t.inject({
        method: "POST",
        url: "/api/p/fixture-jobs/v1/schedules",
        payload: { type: "fixture-jobs.tick", cron: "* * * * * *", key: "every-second" },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ type: "fixture-jobs.tick", key: "every-second", cron: "* * * * * *" });
      const ticks = async () => (await t.inject({ method: "GET", url: "/api/jobs?type=fixture-jobs.tick&limit=200" })).json().jobs as JobRecord[];
      await until("two occurrences", async () => (await ticks()).length >= 2, 4000);
      const removed = await t.inject({ method: "DELETE", url: "/api/p/fixture-jobs/v1/schedules/fixture-jobs.tick/every-second" });
      expect(removed.json()).toEqual({ removed: true });
      await sleep(150);
      const after = await ticks();
      const keys = after.map((j) => j.idempotencyKey as string);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.every((k) => k.startsWith("schedule:every-second:"))).toBe(true);
      for (const j of after) expect((await t.waitForJob(j.id)).status).toBe("succeeded");
      await sleep(1300);
      expect(await ticks()).toHaveLength(after.length);
    });

    test("a failed job can be retried: it runs again from its first attempt", async () => {
      const flaky = await job({ type: "fixture-jobs.flaky-once", maxAttempts: 1 });
      expect(await t.waitForJob(flaky.id)).toMatchObject({ status: "failed", attempts: 1, error: { message: "first run fails" } });
      const res = await t.inject({ method: "POST", url: `/api/jobs/${flaky.id}/retry` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: flaky.id, status: "queued", attempts: 0, error: null });
      expect(await t.waitForJob(flaky.id)).toMatchObject({ status: "succeeded", attempts: 1, result: { ok: true } });
      const again = await t.inject({ method: "POST", url: `/api/jobs/${flaky.id}/retry` });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe("KERNEL_JOB_STATE");
    });

    test("a job retried right after a cancel, while its processor is still stopping, runs again", async () => {
      const slow = await job({ type: "fixture-jobs.count", payload: { ms: 600, steps: 6, stopDelayMs: 300 } });
      await until("running", async () => (await statusOf(slow.id)) === "running");
      expect((await t.inject({ method: "POST", url: `/api/jobs/${slow.id}/cancel` })).json().status).toBe("cancelled");
      const retried = await t.inject({ method: "POST", url: `/api/jobs/${slow.id}/retry` });
      expect(retried.statusCode, retried.body).toBe(200);
      // The first attempt is still stopping: the transport still holds its delivery.
      expect(await active("fixture-jobs.count")).toBe(1);
      expect(await t.waitForJob(slow.id)).toMatchObject({ status: "succeeded", attempts: 1 });
      expect((await runs(slow.id)).map((r) => r.event)).toEqual(["start", "start", "end"]);
    });

    test("progress and status reach an SSE client within 250 ms", async () => {
      const key = `sse-${name}`;
      const gated = await job({ type: "fixture-jobs.gate", payload: { key } });
      const all = await openSse(`${base}/api/jobs/events`);
      await all.waitForComment("connected");
      const stream = await openSse(`${base}/api/jobs/${gated.id}/events`);
      expect(stream.status).toBe(200);
      expect(stream.headers.get("content-type")).toContain("text/event-stream");
      expect((await stream.next(() => true)).data.id).toBe(gated.id);
      await stream.next((e) => e.data.status === "running");
      const open = (gate: string) => fetch(`${base}/api/p/fixture-jobs/v1/gates/${gate}`, { method: "POST" });

      let t0 = performance.now();
      await open(`${key}:1`);
      // 0.5 is reported inside the 100 ms throttle window after 0.1: it arrives with the trailing write.
      const half = await stream.next((e) => e.data.progress === 0.5);
      const progressMs = half.at - t0;
      t0 = performance.now();
      await open(`${key}:2`);
      const done = await stream.next((e) => e.data.status === "succeeded");
      const finalMs = done.at - t0;
      expect(done.data).toMatchObject({ progress: 1, result: { opened: key } });
      await stream.ended; // the server ends a job's stream once the job has ended
      const tenantWide = await all.next((e) => e.data.id === gated.id && e.data.status === "succeeded");
      all.close();
      expect(tenantWide.data.progress).toBe(1);
      expect(progressMs).toBeLessThan(250);
      expect(finalMs).toBeLessThan(250);
      // Progress never steps back on the stream.
      const progress = stream.events.map((e) => e.data.progress);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
    });
  });
}
