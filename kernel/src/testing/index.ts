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
import type { AssetJson } from "../http/api-types.js";
import { HeaderIdentityResolver } from "../identity/identity-resolver.js";
import type { IdentityOptions } from "../identity/identity-service.js";
import { MemoryNotificationChannel } from "../identity/notifier.js";
import { Kernel, type KernelOptions } from "../kernel.js";
import { createLogger, type Logger } from "../logger.js";
import { type DiscoveryResult, readPluginPackage } from "../plugins/discovery.js";
import type { JobRecord } from "../sdk/context.js";
import type { Tenant } from "../tenancy/tenant-service.js";
import { multipart } from "./multipart.js";
import { createScratchPostgres } from "./test-databases.js";

export { cachedModelPath, directModels, ensureModel, installModel, installTamperedModel, sharedModelCache, uninstallModel } from "./models.js";
export { multipart } from "./multipart.js";
export { createScratchPostgres, testPostgresAdminUrl } from "./test-databases.js";

export interface TestKernelOptions {
  /** Folders of the plugin packages to install. */
  plugins: string[];
  /** `pglite` (default) or `postgres` (a scratch database on TEST_POSTGRES_URL, dropped on close). */
  database?: "pglite" | "postgres";
  /** Use BullMQ on this Redis instead of the in-process runner. */
  redisUrl?: string;
  /** Job system timings (lease, reconciliation, BullMQ stall detection), shortened for tests that need it. */
  jobs?: KernelOptions["jobs"];
  logLevel?: string;
  /** A logger of the test's (to read what was logged); default: one at `logLevel`. */
  logger?: Logger;
  /**
   * `header` (default): callers are picked with the `tenant` option of `inject` and hold every
   * permission. `accounts`: real sign-up and sign-in (CREALIA_AUTH=accounts); see `signUp`.
   */
  auth?: "header" | "accounts";
  /** Token lifetimes, sign-in limits… of accounts mode; notifications always go to `notifications`. */
  identity?: Omit<IdentityOptions, "notifier">;
  /** CREALIA_PUBLIC_URL of the kernel. */
  publicUrl?: string;
}

export interface UploadOptions {
  /** Tenant id the upload runs as (default tenant otherwise). */
  tenant?: string;
  /** Content type of the file part (default application/octet-stream; the kernel sniffs the bytes). */
  contentType?: string;
  /** Wait for the ingest job and require it to succeed (default true). */
  waitForIngest?: boolean;
  /** How long to wait for the ingest job (`waitForJob`'s default otherwise). */
  timeoutMs?: number;
}

/** A user signed up and signed in through the API (accounts mode). */
export interface TestUser {
  id: string;
  email: string;
  password: string;
  /** The tenant sign-up made for them (they own it). */
  ownTenantId: string;
  /** Tenant of the current access token. */
  tenantId: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  /** Injects with this user's access token as a bearer token. */
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  graphql(query: string, variables?: Record<string, unknown>): Promise<{ data?: unknown; errors?: { message: string }[] }>;
  /** Signs in again into another tenant of theirs (a new session); the user's tokens switch to it. */
  signInTo(tenantId: string): Promise<TestUser>;
}

export interface TestKernel {
  kernel: Kernel;
  defaultTenant: Tenant;
  /** Where this kernel's `ctx.models` looks for fetched model files (`<cache>/<id>/<version>/<file>`). */
  modelCacheDir: string;
  /** HTTP without a socket; `tenant` picks the caller's tenant (default tenant otherwise). */
  inject(options: InjectOptions & { tenant?: string }): Promise<LightMyRequestResponse>;
  graphql(query: string, variables?: Record<string, unknown>, options?: { tenant?: string }): Promise<{ data?: unknown; errors?: { message: string }[] }>;
  createTenant(slug: string): Promise<Tenant>;
  waitForJob(jobId: string, options?: { timeoutMs?: number; tenant?: string }): Promise<JobRecord>;
  /**
   * Uploads a file with POST /api/assets (multipart, through `inject`) and, unless `waitForIngest`
   * is false, waits for its ingest job; throws with the response or the job's error when the
   * upload is not 201 or the ingest did not succeed.
   */
  upload(name: string, data: Buffer, options?: UploadOptions): Promise<{ assetId: string; jobId: string; asset: AssetJson }>;
  /** Accounts mode: signs up a user (with a tenant of their own) and signs them in. */
  signUp(email: string, options?: { password?: string; name?: string }): Promise<TestUser>;
  /** Makes a user a member of a tenant with a role, as the system (no permission checks). */
  addMember(tenantId: string, userId: string, role: string): Promise<void>;
  /** Notifications the kernel sent (password resets, verification links). */
  notifications: MemoryNotificationChannel;
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
  const accounts = options.auth === "accounts";
  const config = loadConfig(
    {
      CREALIA_HOME: home,
      PORT: "0",
      LOG_LEVEL: options.logLevel ?? "silent",
      REDIS_URL: options.redisUrl,
      CREALIA_AUTH: accounts ? "accounts" : undefined,
      CREALIA_PUBLIC_URL: options.publicUrl,
    },
    home,
  );
  const notifications = new MemoryNotificationChannel();
  const kernel = await Kernel.create({
    config,
    plugins: discovery,
    database,
    logger: options.logger ?? createLogger(options.logLevel ?? "silent"),
    identity: accounts ? undefined : ({ defaultTenantId }) => new HeaderIdentityResolver(defaultTenantId),
    auth: { ...options.identity, notifier: notifications },
    queuePrefix: `crealia-test-${randomBytes(4).toString("hex")}`,
    jobs: options.jobs,
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

  const waitForJob: TestKernel["waitForJob"] = async (jobId, opts) => {
    const deadline = Date.now() + (opts?.timeoutMs ?? 10_000);
    for (;;) {
      const job = await kernel.jobs.store.get(jobId);
      if (job && ["succeeded", "failed", "cancelled"].includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job?.status ?? "missing"} after ${opts?.timeoutMs ?? 10_000} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const signInAs = async (
    user: Omit<TestUser, "inject" | "graphql" | "signInTo" | "tenantId" | "accessToken" | "refreshToken" | "sessionId">,
    tenantId?: string,
  ): Promise<TestUser> => {
    const res = await inject({ method: "POST", url: "/api/auth/sign-in", payload: { email: user.email, password: user.password, tenantId } });
    if (res.statusCode !== 200) throw new Error(`sign-in of ${user.email} failed: ${res.statusCode} ${res.body}`);
    const body = res.json();
    const me: TestUser = {
      ...user,
      tenantId: body.tenant.id,
      accessToken: body.accessToken,
      refreshToken: body.refreshToken,
      sessionId: body.session.id,
      inject: (o) => inject({ ...o, headers: { authorization: `Bearer ${me.accessToken}`, ...(o.headers ?? {}) } }),
      graphql: async (query, variables) => (await me.inject({ method: "POST", url: "/graphql", payload: { query, variables } })).json(),
      signInTo: (id) => signInAs(user, id),
    };
    return me;
  };

  return {
    kernel,
    defaultTenant,
    modelCacheDir: config.modelCacheDir,
    inject,
    notifications,
    async signUp(email, opts) {
      const password = opts?.password ?? "correct horse battery staple";
      const res = await inject({ method: "POST", url: "/api/auth/sign-up", payload: { email, password, name: opts?.name } });
      if (res.statusCode !== 201) throw new Error(`sign-up of ${email} failed: ${res.statusCode} ${res.body}`);
      const { user, tenant } = res.json();
      return signInAs({ id: user.id, email: user.email, password, ownTenantId: tenant.id });
    },
    async addMember(tenantId, userId, role) {
      await kernel.database
        .knex("kernel.memberships")
        .insert({ tenant_id: tenantId, user_id: userId, role })
        .onConflict(["tenant_id", "user_id"])
        .merge({ role });
      kernel.identity.memberships.forget();
    },
    async graphql(query, variables, opts) {
      const res = await inject({ method: "POST", url: "/graphql", payload: { query, variables }, tenant: opts?.tenant });
      return res.json();
    },
    createTenant: (slug) => kernel.tenants.create(slug, slug),
    waitForJob,
    async upload(name, data, opts) {
      const res = await inject({ method: "POST", url: "/api/assets", ...multipart({ name, data, type: opts?.contentType }), tenant: opts?.tenant });
      if (res.statusCode !== 201) throw new Error(`upload of ${name} failed: ${res.statusCode} ${res.body}`);
      const { asset, jobId } = res.json() as { asset: AssetJson; jobId: string };
      if (opts?.waitForIngest !== false) {
        const job = await waitForJob(jobId, { timeoutMs: opts?.timeoutMs });
        if (job.status !== "succeeded") throw new Error(`ingest of ${name} (job ${jobId}) ${job.status}: ${JSON.stringify(job.error)}`);
      }
      return { assetId: asset.id, jobId, asset };
    },
    async close() {
      await kernel.stop({ closeDatabase: false });
      await database.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
