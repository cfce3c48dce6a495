import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyRequest } from "fastify";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { Kernel } from "../../src/kernel.js";
import { createLogger } from "../../src/logger.js";
import { type DiscoveredPlugin, readPluginPackage } from "../../src/plugins/discovery.js";
import type { Identity, JobRecord } from "../../src/sdk/context.js";
import { createScratchPostgres } from "../../src/testing/index.js";
import { fixture, REDIS_URL } from "../fixtures.js";
import { subscribeGraphQL } from "./graphql-ws-client.js";
import { openSse } from "./sse-client.js";

// An API host and a worker, each its own kernel (own job-event hub, own Redis connections), over
// one Postgres and one Redis: what reaches the API host from the worker, and back, goes through Redis.
// The lease is left long (30 s), so a cancel can only reach the worker over Redis pub/sub.
const home = mkdtempSync(path.join(os.tmpdir(), "crealia-xproc-"));
let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
let api: Kernel;
let worker: Kernel;
let base: string;

/** Tenant and permissions from headers, so one test can be an admin and another not. */
const identity = ({ defaultTenantId }: { defaultTenantId: () => string }) => ({
  async resolve(req: FastifyRequest): Promise<Identity> {
    const tenant = req.headers["x-test-tenant"];
    const perms = req.headers["x-test-permissions"];
    return {
      userId: null,
      tenantId: typeof tenant === "string" ? tenant : defaultTenantId(),
      permissions: typeof perms === "string" ? perms.split(",").filter(Boolean) : ["*"],
    };
  },
});

beforeAll(async () => {
  scratch = await createScratchPostgres();
  const config = loadConfig({ CREALIA_HOME: home, LOG_LEVEL: "silent", DATABASE_URL: scratch.url, REDIS_URL }, home);
  const common = {
    config,
    plugins: { plugins: [readPluginPackage(fixture("jobs")) as DiscoveredPlugin], invalid: [] },
    logger: createLogger("silent"),
    queuePrefix: `crealia-xproc-${randomBytes(4).toString("hex")}`,
    identity,
  };
  api = await Kernel.create({ ...common, mode: "all", queues: [], database: await openDatabase({ url: scratch.url, dataDir: null }) });
  worker = await Kernel.create({ ...common, mode: "worker", queues: ["fixture-jobs"], database: await openDatabase({ url: scratch.url, dataDir: null }) });
  await api.start();
  await worker.start();
  await api.jobs.events.ready();
  await worker.jobs.events.ready();
  base = await api.app.listen({ port: 0, host: "127.0.0.1" });
}, 60_000);

afterAll(async () => {
  await api?.stop({ closeDatabase: true });
  await worker?.stop({ closeDatabase: true });
  await scratch?.close();
  rmSync(home, { recursive: true, force: true });
});

const tenantId = () => api.tenants.defaultTenant?.id as string;
const gated = (key: string) => api.jobs.enqueue("fixture-jobs", "fixture-jobs.gate", { key }, { tenantId: tenantId() });
const open = (gate: string) => fetch(`${base}/api/p/fixture-jobs/v1/gates/${gate}`, { method: "POST" });
const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test("a cancel on the API host aborts the processor running on the worker", async () => {
  expect(api.jobs.workersStarted).toBe(false);
  const job = await gated("never");
  await until("running on the worker", async () => (await api.jobs.get(job.id, tenantId()))?.status === "running");
  const cancelledAt = performance.now();
  const res = await fetch(`${base}/api/jobs/${job.id}/cancel`, { method: "POST" });
  expect((await res.json()).status).toBe("cancelled");
  // Stopping well before the lease-based fallback (a third of the lease) shows the pub/sub message did it.
  await until("the worker's processor stopped", async () => ((await worker.jobs.transport.counts())["fixture-jobs.gate"]?.active ?? 0) === 0, 3000);
  expect(performance.now() - cancelledAt).toBeLessThan(3000);
});

test("progress made on the worker reaches an SSE client of the API host within 250 ms", async () => {
  const job = await gated("xproc-sse");
  const stream = await openSse(`${base}/api/jobs/${job.id}/events`);
  await stream.next((e) => e.data.status === "running");
  let t0 = performance.now();
  await open("xproc-sse:1");
  const half = await stream.next((e) => e.data.progress === 0.5);
  expect(half.at - t0).toBeLessThan(250);
  t0 = performance.now();
  await open("xproc-sse:2");
  const done = await stream.next((e) => e.data.status === "succeeded");
  expect(done.at - t0).toBeLessThan(250);
  await stream.ended;
});

test("GraphQL: jobUpdated delivers the worker's updates to the job's tenant only; job and jobs read the row", async () => {
  const job = await gated("xproc-gql");
  const other = await api.tenants.create("xproc-other", "Other");
  const query = "subscription ($id: ID) { jobUpdated(id: $id) { id status progress result } }";
  const one = await subscribeGraphQL(`${base}/graphql`, query, { id: job.id });
  const everything = await subscribeGraphQL(`${base}/graphql`, query, {});
  const elsewhere = await subscribeGraphQL(`${base}/graphql`, query, {}, { "x-test-tenant": other.id });
  type Payload = { data: { jobUpdated: JobRecord } };
  let t0 = performance.now();
  await open("xproc-gql:1");
  const half = await one.next<Payload>((p) => (p.data as Payload["data"])?.jobUpdated?.progress === 0.5);
  expect(one.arrivedAt(half) - t0).toBeLessThan(250);
  t0 = performance.now();
  await open("xproc-gql:2");
  const done = await one.next<Payload>((p) => (p.data as Payload["data"])?.jobUpdated?.status === "succeeded");
  expect(one.arrivedAt(done) - t0).toBeLessThan(250);
  expect(done.data.jobUpdated).toMatchObject({ id: job.id, progress: 1, result: { opened: "xproc-gql" } });
  await everything.next((p) => (p.data as Payload["data"])?.jobUpdated?.id === job.id && (p.data as Payload["data"]).jobUpdated.status === "succeeded");
  expect(one.payloads.map((p) => (p.data as Payload["data"]).jobUpdated.progress)).toContain(0.5);
  await new Promise((r) => setTimeout(r, 200));
  expect(elsewhere.payloads).toEqual([]);
  for (const s of [one, everything, elsewhere]) s.close();

  // Another tenant cannot subscribe to the job by id.
  const denied = await subscribeGraphQL(`${base}/graphql`, query, { id: job.id }, { "x-test-tenant": other.id });
  await until("an error", async () => denied.errors.length > 0 || denied.payloads.some((p) => (p as { errors?: unknown[] }).errors), 2000);
  denied.close();

  const gql = async (q: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) =>
    (
      await fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query: q, variables }),
      })
    ).json();
  const read = await gql("query ($id: ID!) { job(id: $id) { id type status progress attempts result } }", { id: job.id });
  expect(read.data.job).toMatchObject({ id: job.id, type: "fixture-jobs.gate", status: "succeeded", progress: 1, attempts: 1 });
  expect((await gql("query ($id: ID!) { job(id: $id) { id } }", { id: job.id }, { "x-test-tenant": other.id })).data.job).toBeNull();
  const page = await gql('query { jobs(status: [succeeded], type: "fixture-jobs.gate", first: 1) { jobs { id status } nextCursor } }', {});
  expect(page.data.jobs.jobs).toHaveLength(1);
  expect(page.data.jobs.jobs[0].status).toBe("succeeded");
});

test("the queue dashboard answers admins only", async () => {
  const admin = await fetch(`${base}/admin/queues`);
  expect(admin.status).toBe(200);
  expect(admin.headers.get("content-type")).toContain("text/html");
  const queues = await fetch(`${base}/admin/queues/api/queues`);
  expect(queues.status).toBe(200);
  const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((q) => q.name);
  expect(names).toEqual(expect.arrayContaining(["fixture-jobs.count", "fixture-jobs.gate"]));
  const member = await fetch(`${base}/admin/queues`, { headers: { "x-test-permissions": "fixture-jobs.read" } });
  expect(member.status).toBe(403);
  expect((await member.json()).error.code).toBe("KERNEL_FORBIDDEN");
  expect((await fetch(`${base}/admin/queues/api/queues`, { headers: { "x-test-permissions": "" } })).status).toBe(403);
});
