import { randomUUID } from "node:crypto";
import path from "node:path";
import fastifyCookie from "@fastify/cookie";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import mercurius from "mercurius";
import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { AssetService } from "./assets/asset-service.js";
import { DirectUploads } from "./assets/direct-uploads.js";
import type { KernelConfig } from "./config.js";
import { type Database, openDatabase } from "./db/database.js";
import { KERNEL_SCHEMA, kernelMigrations } from "./db/kernel-migrations.js";
import { runMigrations } from "./db/migrator.js";
import { kernelError } from "./errors.js";
import { EventBus } from "./events/event-bus.js";
import { jobResolvers, publishJobUpdates } from "./graphql/job-resolvers.js";
import { camelCase, SchemaRegistry } from "./graphql/schema-registry.js";
import { registerAccountRoutes } from "./http/account-routes.js";
import { registerAssetRoutes } from "./http/asset-routes.js";
import { registerAuthRoutes, registerLocalAuthRoutes } from "./http/auth-routes.js";
import { registerBlobRoutes } from "./http/blob-routes.js";
import { installErrorHandling } from "./http/error-handler.js";
import { AJV_OPTIONS } from "./http/fastify-options.js";
import { installHttpMetrics } from "./http/http-metrics.js";
import { registerJobRoutes } from "./http/job-routes.js";
import { registerKernelRoutes, registerPanelAssets } from "./http/kernel-routes.js";
import { registerOAuthRoutes } from "./http/oauth-routes.js";
import { registerQueueDashboard } from "./http/queue-dashboard.js";
import { registerTenantRoutes } from "./http/tenant-routes.js";
import { type IdentityResolver, LocalIdentityResolver } from "./identity/identity-resolver.js";
import { type IdentityOptions, IdentityServices } from "./identity/identity-service.js";
import { guardResolverFields, installPermissionChecks } from "./identity/route-guard.js";
import { type BullMqTimings, BullMqTransport } from "./jobs/bullmq-transport.js";
import { InProcessTransport } from "./jobs/in-process-transport.js";
import { JobService, type JobServiceOptions } from "./jobs/job-service.js";
import type { JobTransport } from "./jobs/transport.js";
import { createLogger, type Logger } from "./logger.js";
import { createModelService } from "./models/index.js";
import type { DiscoveryResult } from "./plugins/discovery.js";
import { ExtensionRegistry } from "./plugins/extension-registry.js";
import type { KernelServices } from "./plugins/plugin-context.js";
import { PluginRuntime } from "./plugins/plugin-runtime.js";
import type { PluginStatus } from "./plugins/plugin-status.js";
import type { Identity } from "./sdk/context.js";
import { SDK_VERSION } from "./sdk/version.js";
import { createBlobStore } from "./storage/create-blob-store.js";
import { tenantScope } from "./tenancy/tenant-db.js";
import { TenantService } from "./tenancy/tenant-service.js";

export const KERNEL_VERSION = "1.0.0";

export interface KernelOptions {
  config: KernelConfig;
  plugins: DiscoveryResult;
  /** `all`: HTTP and workers; `worker`: workers only; `migrate`: migrations only, then stop. */
  mode?: "all" | "worker" | "migrate";
  /** Queues this process works on: plugin ids (all their job types; "kernel" for the kernel's own) or job types; all when absent. */
  queues?: string[];
  identity?: (kernel: { defaultTenantId: () => string }) => IdentityResolver;
  /** Token lifetimes, sign-in limits and the notification channel of accounts mode. */
  auth?: IdentityOptions;
  logger?: Logger;
  /** An open database to use instead of the configured one (the test harness shares one). */
  database?: Database;
  /** Redis key prefix for BullMQ; tests use their own. */
  queuePrefix?: string;
  /** Job system timings (leases, reconciliation, BullMQ stall detection); the defaults suit production, tests shorten them. */
  jobs?: Omit<JobServiceOptions, "redis"> & BullMqTimings;
  /** Routes of the host itself (the studio's files), added before the server is ready. */
  hostRoutes?: (app: FastifyInstance, kernel: Kernel) => Promise<void>;
}

/** One kernel: database, jobs, storage, events, the plugin runtime and the HTTP/GraphQL edge. */
export class Kernel {
  readonly app: FastifyInstance;
  readonly log: Logger;
  readonly metrics = new Registry();
  readonly runtime: PluginRuntime;
  readonly tenants: TenantService;
  readonly jobs: JobService;
  readonly events: EventBus;
  readonly extensions = new ExtensionRegistry();
  readonly schema = new SchemaRegistry();
  readonly assets: AssetService;
  /** Accounts, tokens, API keys, memberships, per-tenant plugins, bundles, OAuth connections, GDPR. */
  readonly identity: IdentityServices;
  private state: "created" | "starting" | "started" | "stopping" | "stopped" = "created";
  private db!: Database;
  private readonly services: KernelServices;

  private constructor(
    private readonly options: KernelOptions,
    db: Database,
  ) {
    this.db = db;
    this.log = options.logger ?? createLogger(options.config.logLevel);
    const redisUrl = options.config.redisUrl;
    const transport: JobTransport = redisUrl ? new BullMqTransport(redisUrl, options.queuePrefix, options.jobs) : new InProcessTransport();
    this.jobs = new JobService(db.knex, transport, this.log.child({ component: "jobs" }), {
      ...options.jobs,
      redis: redisUrl ? { url: redisUrl, prefix: options.queuePrefix ?? "crealia" } : undefined,
    });
    this.tenants = new TenantService(db.knex, () => this.runtime.manifests);
    this.events = new EventBus((err, event) => this.log.error({ err, event: event.type }, "event handler threw"));
    this.app = Fastify({
      loggerInstance: this.log as unknown as FastifyBaseLogger,
      genReqId: (req) =>
        typeof req.headers["x-request-id"] === "string" && req.headers["x-request-id"].length <= 128 ? req.headers["x-request-id"] : randomUUID(),
      requestIdHeader: false,
      ajv: AJV_OPTIONS,
    });
    this.services = {
      db: db.knex,
      blobs: createBlobStore(options.config),
      jobs: this.jobs,
      events: this.events,
      extensions: this.extensions,
      schema: this.schema,
      tenants: this.tenants,
      metrics: this.metrics,
      log: this.log,
      graphqlPublish: async (topic, payload) => {
        await this.app.graphql.pubsub.publish({ topic, payload });
      },
      settingsFor: async (pluginId, tenantId) => this.runtime.validateSettings(pluginId, await this.tenants.settings(tenantId, pluginId)),
      assets: () => this.assets,
      models: createModelService(options.config, { get: (key) => this.services.blobs.get(key) }, this.log.child({ component: "models" })),
      pluginSecrets: {
        get: (tenantId, pluginId, name) => this.identity.tenantPlugins.secret(tenantId, pluginId, name),
        set: (tenantId, pluginId, name, value) => this.identity.tenantPlugins.setSecret(null, tenantId, pluginId, name, value),
        delete: (tenantId, pluginId, name) => this.identity.tenantPlugins.deleteSecret(null, tenantId, pluginId, name),
      },
      oauth: () => this.identity.oauth,
    };
    this.runtime = new PluginRuntime(this.services, this.log.child({ component: "plugins" }));
    this.identity = new IdentityServices(
      {
        db: db.knex,
        config: options.config,
        tenants: this.tenants,
        runtime: this.runtime,
        jobs: this.jobs,
        blobs: this.services.blobs,
        log: this.log.child({ component: "identity" }),
        redisPrefix: options.queuePrefix ?? "crealia",
      },
      options.auth,
    );
    this.assets = new AssetService(
      db.knex,
      this.services.blobs,
      this.jobs,
      { maxUploadBytes: options.config.maxUploadBytes, maxPixels: options.config.maxPixels },
      path.join(options.config.home, "tmp"),
      this.log.child({ component: "assets" }),
    );
  }

  static async create(options: KernelOptions): Promise<Kernel> {
    const db = options.database ?? (await openDatabase({ url: options.config.databaseUrl, dataDir: path.join(options.config.home, "db") }));
    return new Kernel(options, db);
  }

  get database(): Database {
    return this.db;
  }

  /** Boots the kernel: kernel migrations, plugins, HTTP and (unless HTTP-only) workers. */
  async start(): Promise<void> {
    if (this.state !== "created") throw new Error(`kernel cannot start from state ${this.state}`);
    this.state = "starting";
    const mode = this.options.mode ?? "all";
    const migrate = true;
    await this.db.knex.raw(`create schema if not exists ${KERNEL_SCHEMA}`);
    await runMigrations(this.db.knex, { schema: KERNEL_SCHEMA, role: null, lockName: "kernel" }, kernelMigrations);
    await this.tenants.ensureDefaultTenant();

    this.setupMetrics();
    installErrorHandling(this.app);
    installHttpMetrics(this.app, this.metrics);
    await this.app.register(fastifySwagger, {
      openapi: {
        info: { title: "Crealia API", version: KERNEL_VERSION, description: "The kernel's routes and every started plugin's, under /api/p/<id>/v<major>/." },
      },
    });
    await this.app.register(fastifySwaggerUi, { routePrefix: "/api/docs" });
    // Single-user local mode unless CREALIA_AUTH=accounts (see README); a test harness may bring its own resolver.
    const accounts = this.options.config.auth === "accounts";
    const identity =
      this.options.identity?.({ defaultTenantId: this.defaultTenantId }) ??
      (accounts ? this.identity.resolver : new LocalIdentityResolver(this.defaultTenantId));
    this.app.decorateRequest("identity", null as unknown as Identity);
    await this.app.register(fastifyCookie);
    installPermissionChecks(this.app);
    // The tenant of the request, for ctx.db's default: entered on request, again after the body is read (its events lose the context).
    this.app.addHook("onRequest", (_req, _reply, done) => tenantScope.run(null, done));
    this.app.addHook("preValidation", (req, _reply, done) => tenantScope.run(req.identity?.tenantId ?? null, done));
    this.app.addHook("onSend", async (req, reply) => {
      reply.header("x-request-id", req.id);
    });
    this.app.addHook("onRequest", async (req) => {
      // Presigned blob URLs (/api/blobs/) carry their own signature instead of an identity.
      if ((!req.url.startsWith("/api/") && !req.url.startsWith("/graphql")) || req.url.startsWith("/api/blobs/")) return;
      // Sign-in, JWKS and the OAuth callback are public; a plugin cannot make its routes so.
      if (req.routeOptions.config?.public && !req.routeOptions.url?.startsWith("/api/p/")) return;
      const who = await identity.resolve(req);
      if (!who) throw kernelError("KERNEL_UNAUTHENTICATED", "sign in first");
      req.identity = who;
      tenantScope.set(who.tenantId);
    });
    this.assets.registerJobs();
    await registerAssetRoutes(
      this.app,
      this.assets,
      new DirectUploads(this.db.knex, this.services.blobs, this.assets, {
        singlePutLimit: this.options.config.uploadResumableAbove,
        partSize: this.options.config.uploadPartBytes,
      }),
    );
    await registerBlobRoutes(this.app, this.services.blobs);
    await registerKernelRoutes(this.app, {
      runtime: this.runtime,
      tenants: this.tenants,
      metrics: this.metrics,
      ready: () => this.readiness(),
    });
    await registerJobRoutes(this.app, this.jobs);
    if (accounts) await registerAuthRoutes(this.app, this.identity);
    else await registerLocalAuthRoutes(this.app);
    await registerTenantRoutes(this.app, { identity: this.identity, tenants: this.tenants, runtime: this.runtime });
    await registerOAuthRoutes(this.app, { oauth: this.identity.oauth, tenants: this.tenants, config: this.options.config });
    this.identity.accountData.registerJobs();
    await registerAccountRoutes(this.app, this.identity.accountData);

    await this.runtime.start(this.options.plugins, {
      migrate,
      mount: async (plugin, staged) => {
        const { id, version } = plugin.manifest;
        const major = version.split(".")[0];
        await this.app.register(
          async (scope) => {
            scope.addHook("onRequest", async (req) => {
              if (!(await this.tenants.isEnabled(req.identity.tenantId, id))) {
                throw kernelError("KERNEL_PLUGIN_DISABLED", `plugin ${id} is not enabled for this tenant`);
              }
            });
            // Routes show up in the OpenAPI document under the plugin's tag.
            scope.addHook("onRoute", (route) => {
              const schema = (route.schema ??= {}) as { tags?: string[] };
              schema.tags ??= [id];
            });
            staged.http.replay(scope);
          },
          { prefix: `/api/p/${id}/v${major}` },
        );
        const entries = (plugin.manifest.panels ?? []).map((p) => p.entry);
        if (entries.length) await registerPanelAssets(this.app, { id, version, dir: plugin.dir, entries });
      },
    });

    // Every job type is declared by now (plugins', and the kernel's own via jobs.declare("kernel", …)).
    if (this.jobs.transport instanceof BullMqTransport) {
      await registerQueueDashboard(this.app, this.jobs.transport, this.jobs.typeNames(), (req) => identity.resolve(req));
    }
    await this.registerGraphQL();
    if (this.options.hostRoutes) await this.options.hostRoutes(this.app, this);
    await this.app.ready();
    if (mode !== "migrate" && (mode === "worker" || !this.options.queues || this.options.queues.length > 0)) {
      await this.jobs.startWorkers(this.options.queues);
    }
    this.state = "started";
  }

  private defaultTenantId = (): string => {
    const t = this.tenants.defaultTenant;
    if (!t) throw new Error("kernel not started");
    return t.id;
  };

  private async registerGraphQL() {
    const jobs = guardResolverFields(jobResolvers(this.jobs), { Query: "job.read", Mutation: "job.write", Subscription: "job.read" });
    const resolvers: Record<string, Record<string, unknown>> = {
      Query: {
        kernel: () => ({ version: KERNEL_VERSION, sdkVersion: SDK_VERSION, plugins: this.runtime.list() }),
        ...jobs.Query,
      },
      Mutation: { _kernelPing: () => true, ...jobs.Mutation },
      Subscription: {
        _kernelHeartbeat: {
          subscribe: (_: unknown, __: unknown, ctx: { pubsub: { subscribe(t: string): unknown } }) => ctx.pubsub.subscribe("kernel:heartbeat"),
        },
        ...jobs.Subscription,
      },
    };
    for (const part of this.schema.pluginParts()) {
      for (const [typeName, fields] of Object.entries(part.resolvers)) {
        const target = (resolvers[typeName] ??= {});
        for (const [field, resolver] of Object.entries(fields)) target[field] = this.guardResolver(part.pluginId, typeName, resolver);
      }
    }
    await this.app.register(mercurius, {
      schema: this.schema.typeDefs(),
      resolvers: resolvers as never,
      subscription: {
        context: (_socket, req) => ({ identity: (req as unknown as { identity?: Identity }).identity }),
      },
      context: (req) => ({ identity: req.identity }),
      graphiql: false,
      errorFormatter: (execution, ctx) => {
        const formatted = mercurius.defaultErrorFormatter(execution, ctx);
        return formatted;
      },
    });
    // Job updates (from this process or, over Redis, from workers) reach `jobUpdated` subscribers of the job's tenant.
    publishJobUpdates(this.jobs, (topic, payload) => this.app.graphql.pubsub.publish({ topic, payload }));
  }

  /** Root fields of a plugin answer only for tenants that have the plugin enabled. */
  private guardResolver(pluginId: string, typeName: string, resolver: unknown): unknown {
    if (!["Query", "Mutation", "Subscription"].includes(typeName)) return resolver;
    const check = async (ctx: { identity?: Identity }) => {
      if (!ctx.identity || !(await this.tenants.isEnabled(ctx.identity.tenantId, pluginId))) {
        throw kernelError("KERNEL_PLUGIN_DISABLED", `plugin ${pluginId} is not enabled for this tenant`);
      }
    };
    if (typeof resolver === "function") {
      return async (root: unknown, args: unknown, ctx: { identity?: Identity }, info: unknown) => {
        await check(ctx);
        return resolver(root, args, ctx, info);
      };
    }
    if (resolver && typeof resolver === "object" && "subscribe" in resolver) {
      const sub = resolver as { subscribe: (...a: unknown[]) => unknown };
      return {
        ...sub,
        subscribe: async (root: unknown, args: unknown, ctx: { identity?: Identity }, info: unknown) => {
          await check(ctx);
          return sub.subscribe(root, args, ctx, info);
        },
      };
    }
    return resolver;
  }

  private setupMetrics() {
    collectDefaultMetrics({ register: this.metrics, prefix: "crealia_" });
    const jobs = this.jobs;
    new Gauge({
      name: "crealia_job_queue_length",
      help: "Jobs waiting, delayed or active per queue (job type)",
      labelNames: ["queue", "state"],
      registers: [this.metrics],
      async collect() {
        const counts = await jobs.transport.counts();
        for (const [queue, c] of Object.entries(counts)) {
          this.set({ queue, state: "waiting" }, c.waiting);
          this.set({ queue, state: "active" }, c.active);
          this.set({ queue, state: "delayed" }, c.delayed);
        }
      },
    });
    const durations = new Histogram({
      name: "crealia_job_duration_seconds",
      help: "Duration of job attempts",
      labelNames: ["type", "plugin", "status"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [this.metrics],
    });
    jobs.durations.push({ observe: (labels, seconds) => durations.observe(labels, seconds) });
  }

  private async readiness() {
    const checks: Record<string, string> = {};
    checks.kernel = this.state;
    try {
      await this.db.knex.raw("select 1");
      checks.database = "ok";
    } catch (err) {
      checks.database = (err as Error).message;
    }
    for (const s of this.runtime.list()) if (s.state !== "failed") checks[`plugin:${s.id}`] = s.state;
    const ready = this.state === "started" && checks.database === "ok" && this.runtime.list().every((s) => s.state === "started" || s.state === "failed");
    return { ready, checks };
  }

  plugins(): PluginStatus[] {
    return this.runtime.list();
  }

  async listen(): Promise<string> {
    return this.app.listen({ port: this.options.config.port, host: this.options.config.host });
  }

  /** Graceful stop: no new requests, running jobs drained, plugins stopped in reverse, connections closed. */
  async stop(options: { closeDatabase?: boolean } = {}): Promise<void> {
    if (this.state === "stopping" || this.state === "stopped") return;
    this.state = "stopping";
    await this.app.close();
    await this.jobs.stop();
    await this.runtime.stop();
    await this.services.models.stop();
    await this.identity.stop();
    if (options.closeDatabase ?? !this.options.database) await this.db.close();
    this.state = "stopped";
  }
}

export { camelCase };
