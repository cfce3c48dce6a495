import { afterAll, beforeAll, expect, test } from "vitest";
import type { JobRecord } from "../../src/sdk/context.js";
import { createTestKernel, type TestKernel } from "../../src/testing/index.js";
import { fixture } from "../fixtures.js";
import { openSse } from "./sse-client.js";

// The HTTP job API on the in-process transport: listing, tenancy, validation. (The transport
// contract covers running, SSE and retry; cross-process.test.ts covers GraphQL and the dashboard.)
let t: TestKernel;
let ids: string[];

beforeAll(async () => {
  t = await createTestKernel({ plugins: [fixture("jobs")] });
  ids = [];
  for (let i = 0; i < 5; i++) {
    const res = await t.inject({ method: "POST", url: "/api/p/fixture-jobs/v1/jobs", payload: { type: "fixture-jobs.tick", key: `list-${i}` } });
    ids.push(res.json().id);
  }
  for (const id of ids) await t.waitForJob(id);
});
afterAll(() => t?.close());

test("GET /api/jobs pages through the tenant's jobs, newest first, with filters", async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await t.inject({ method: "GET", url: `/api/jobs?limit=2&type=fixture-jobs.tick${cursor ? `&cursor=${cursor}` : ""}` });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { jobs: JobRecord[]; nextCursor: string | null };
    expect(page.jobs.length).toBeLessThanOrEqual(2);
    seen.push(...page.jobs.map((j) => j.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  expect(pages).toBe(3);
  expect(seen).toEqual([...ids].reverse());
  const succeeded = (await t.inject({ method: "GET", url: "/api/jobs?status=succeeded,failed" })).json().jobs as JobRecord[];
  expect(succeeded.map((j) => j.id).sort()).toEqual([...ids].sort());
  expect((await t.inject({ method: "GET", url: "/api/jobs?status=queued" })).json()).toEqual({ jobs: [], nextCursor: null });
  const bad = await t.inject({ method: "GET", url: "/api/jobs?status=finished" });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().error.code).toBe("KERNEL_VALIDATION");
});

test("GET /api/jobs/:id answers the job with every column the row holds", async () => {
  const job = (await t.inject({ method: "GET", url: `/api/jobs/${ids[0]}` })).json();
  expect(job).toMatchObject({
    id: ids[0],
    type: "fixture-jobs.tick",
    pluginId: "fixture-jobs",
    status: "succeeded",
    progress: 1,
    attempts: 1,
    maxAttempts: 3,
    tenantId: t.defaultTenant.id,
    userId: null,
    assetId: null,
    parentId: null,
    idempotencyKey: "list-0",
    error: null,
  });
  for (const field of ["createdAt", "runAt", "startedAt", "finishedAt", "updatedAt"]) expect(Date.parse(job[field])).toBeGreaterThan(0);
  expect(job.result).toMatchObject({ at: expect.any(Number) });
});

test("another tenant's job, or no job, is KERNEL_JOB_NOT_FOUND on every route", async () => {
  const other = await t.createTenant("jobs-api-other");
  for (const [method, url] of [
    ["GET", `/api/jobs/${ids[0]}`],
    ["GET", `/api/jobs/${ids[0]}/events`],
    ["POST", `/api/jobs/${ids[0]}/cancel`],
    ["POST", `/api/jobs/${ids[0]}/retry`],
  ] as const) {
    const res = await t.inject({ method, url, tenant: other.id });
    expect(res.statusCode, `${method} ${url}`).toBe(404);
    expect(res.json().error.code).toBe("KERNEL_JOB_NOT_FOUND");
  }
  expect((await t.inject({ method: "GET", url: "/api/jobs", tenant: other.id })).json().jobs).toEqual([]);
  const missing = await t.inject({ method: "GET", url: "/api/jobs/not-a-job" });
  expect(missing.statusCode).toBe(404);
  expect(missing.json().error.code).toBe("KERNEL_JOB_NOT_FOUND");
});

test("the SSE stream of a finished job sends its state and ends", async () => {
  const res = await t.inject({ method: "GET", url: `/api/jobs/${ids[1]}/events` });
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toContain("text/event-stream");
  const events = res.body.split("\n\n").filter((b) => b.startsWith("event: job"));
  expect(events).toHaveLength(1);
  expect(JSON.parse((events[0] as string).split("data: ")[1] as string)).toMatchObject({ id: ids[1], status: "succeeded" });
});

test("a child enqueued for another tenant's job, or a missing one, is refused; the queue dashboard needs Redis", async () => {
  const other = await t.createTenant("jobs-api-parent");
  const res = await t.inject({
    method: "POST",
    url: "/api/p/fixture-jobs/v1/jobs",
    payload: { type: "fixture-jobs.tick", parentId: ids[0] },
    tenant: other.id,
  });
  expect(res.statusCode).toBe(404);
  expect(res.json().error.code).toBe("KERNEL_JOB_NOT_FOUND");
  expect((await t.inject({ method: "GET", url: "/admin/queues" })).statusCode).toBe(404);
});

test("closing the server ends the open event streams instead of waiting for them", async () => {
  const other = await createTestKernel({ plugins: [fixture("jobs")] });
  const base = await other.kernel.app.listen({ port: 0, host: "127.0.0.1" });
  const stream = await openSse(`${base}/api/jobs/events`);
  await stream.waitForComment("connected");
  const closed = other.close().then(() => "closed");
  expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r("hung"), 5000))])).toBe("closed");
  await stream.ended;
});
