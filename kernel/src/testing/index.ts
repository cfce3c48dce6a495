/**
 * @crealia/kernel/testing — boots a real kernel around the plugins under test: PGlite (or a
 * scratch database on real Postgres), in-process jobs (or BullMQ on Redis), temp storage.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { loadConfig } from "../config.js";
import { type Database, openDatabase } from "../db/database.js";
import { HeaderIdentityResolver } from "../identity/identity-resolver.js";
import { Kernel } from "../kernel.js";
import { createLogger } from "../logger.js";
import { type DiscoveryResult, readPluginPackage } from "../plugins/discovery.js";
import type { JobRecord } from "../sdk/context.js";
import type { Tenant } from "../tenancy/tenant-service.js";
import { createScratchPostgres } from "./test-databases.js";

export { createScratchPostgres, testPostgresAdminUrl } from "./test-databases.js";

export interface TestKernelOptions {
  /** Folders of the plugin packages to install. */
  plugins: string[];
  /** `pglite` (default) or `postgres` (a scratch database on TEST_POSTGRES_URL, dropped on close). */
  database?: "pglite" | "postgres";
  /** Use BullMQ on this Redis instead of the in-process runner. */
  redisUrl?: string;
  logLevel?: string;
}

export interface TestKernel {
  kernel: Kernel;
  defaultTenant: Tenant;
  /** HTTP without a socket; `tenant` picks the caller's tenant (default tenant otherwise). */
  inject(options: InjectOptions & { tenant?: string }): Promise<LightMyRequestResponse>;
  graphql(query: string, variables?: Record<string, unknown>, options?: { tenant?: string }): Promise<{ data?: unknown; errors?: { message: string }[] }>;
  createTenant(slug: string): Promise<Tenant>;
  waitForJob(jobId: string, options?: { timeoutMs?: number; tenant?: string }): Promise<JobRecord>;
  close(): Promise<void>;
}

export async function createTestKernel(options: TestKernelOptions): Promise<TestKernel> {
  const home = mkdtempSync(path.join(os.tmpdir(), "crealia-test-"));
  const discovery: DiscoveryResult = { plugins: [], invalid: [] };
  for (const dir of options.plugins) {
    const found = readPluginPackage(path.resolve(dir));
    if (!found) throw new Error(`${dir} has no package.json with a "crealia" manifest`);
    if ("problems" in found) discovery.invalid.push(found);
    else discovery.plugins.push(found);
  }
  const database: Database = options.database === "postgres" ? await createScratchPostgres() : await openDatabase({ url: null, dataDir: null });
  const config = loadConfig({ CREALIA_HOME: home, PORT: "0", LOG_LEVEL: options.logLevel ?? "silent", REDIS_URL: options.redisUrl }, home);
  const kernel = await Kernel.create({
    config,
    plugins: discovery,
    database,
    logger: createLogger(options.logLevel ?? "silent"),
    identity: ({ defaultTenantId }) => new HeaderIdentityResolver(defaultTenantId),
    queuePrefix: `crealia-test-${randomBytes(4).toString("hex")}`,
  });
  try {
    await kernel.start();
  } catch (err) {
    await database.close();
    throw err;
  }
  const defaultTenant = kernel.tenants.defaultTenant as Tenant;

  const inject: TestKernel["inject"] = ({ tenant, ...rest }) =>
    kernel.app.inject({
      ...rest,
      headers: { ...(rest.headers ?? {}), ...(tenant ? { "x-crealia-test-tenant": tenant } : {}) },
    }) as Promise<LightMyRequestResponse>;

  return {
    kernel,
    defaultTenant,
    inject,
    async graphql(query, variables, opts) {
      const res = await inject({ method: "POST", url: "/graphql", payload: { query, variables }, tenant: opts?.tenant });
      return res.json();
    },
    createTenant: (slug) => kernel.tenants.create(slug, slug),
    async waitForJob(jobId, opts) {
      const deadline = Date.now() + (opts?.timeoutMs ?? 10_000);
      for (;;) {
        const job = await kernel.jobs.store.get(jobId);
        if (job && ["succeeded", "failed", "cancelled"].includes(job.status)) return job;
        if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job?.status ?? "missing"} after ${opts?.timeoutMs ?? 10_000} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await kernel.stop({ closeDatabase: false });
      await database.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
