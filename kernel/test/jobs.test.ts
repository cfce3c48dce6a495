import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestKernel, type TestKernel } from "../src/testing/index.js";
import { fixture, REDIS_URL } from "./fixtures.js";

describe.each([
  ["in-process", undefined],
  ["bullmq", REDIS_URL],
] as const)("jobs on the %s transport", (_name, redisUrl) => {
  let t: TestKernel;
  const enqueue = async (type: string, payload: unknown, key?: string) => {
    const res = await t.inject({ method: "POST", url: "/api/p/fixture-full/v1/jobs", payload: { type, payload, key } });
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [fixture("full")], redisUrl });
    expect(t.kernel.jobs.transport.kind).toBe(redisUrl ? "bullmq" : "in-process");
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
  });

  test("a running job sees cancellation and stops", async () => {
    const job = await enqueue("fixture-full.slow", {});
    for (let i = 0; i < 100 && (await t.kernel.jobs.store.get(job.id))?.status !== "running"; i++) await new Promise((r) => setTimeout(r, 20));
    const cancelled = await t.inject({ method: "POST", url: `/api/p/fixture-full/v1/jobs/${job.id}/cancel` });
    expect(cancelled.json().status).toBe("cancelled");
    const final = await t.waitForJob(job.id, { timeoutMs: 3000 });
    expect(final.status).toBe("cancelled");
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
});
