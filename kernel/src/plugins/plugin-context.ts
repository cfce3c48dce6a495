import type { Knex } from "knex";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { Counter, Gauge, Histogram } from "prom-client";
import type { AssetService } from "../assets/asset-service.js";
import { createPluginAssets } from "../assets/plugin-assets.js";
import { quoteIdent } from "../db/database.js";
import { kernelError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { SchemaRegistry } from "../graphql/schema-registry.js";
import type { OAuthConnections } from "../identity/oauth/oauth-connections.js";
import type { JobService } from "../jobs/job-service.js";
import { pluginLogger } from "../logger.js";
import type { ModelService } from "../models/model-service.js";
import { createPluginModels } from "../models/plugin-models.js";
import type { GraphQLResolvers, JobProcessor, PluginContext, PluginStorage } from "../sdk/context.js";
import type { PluginManifest } from "../sdk/manifest.js";
import type { BlobStore } from "../storage/blob-store.js";
import { scopedKey } from "../storage/blob-store.js";
import { tenantScope } from "../tenancy/tenant-db.js";
import type { TenantService } from "../tenancy/tenant-service.js";
import type { ExtensionRegistry } from "./extension-registry.js";
import { createHttpRecorder } from "./http-recorder.js";

export interface KernelServices {
  db: Knex;
  blobs: BlobStore;
  jobs: JobService;
  events: EventBus;
  extensions: ExtensionRegistry;
  schema: SchemaRegistry;
  tenants: TenantService;
  metrics: Registry;
  log: Logger;
  graphqlPublish: (topic: string, payload: unknown) => Promise<void>;
  settingsFor: (pluginId: string, tenantId: string) => Promise<Record<string, unknown>>;
  /** Model registry, device scheduler and warm sessions behind `ctx.models`. */
  models: ModelService;
  /** Set once the kernel has built its asset service (it needs the job service first). */
  assets: () => AssetService;
  /** Per-tenant plugin secrets behind `ctx.secrets` (sealed at rest). */
  pluginSecrets: {
    get(tenantId: string, pluginId: string, name: string): Promise<string | null>;
    set(tenantId: string, pluginId: string, name: string, value: string): Promise<void>;
    delete(tenantId: string, pluginId: string, name: string): Promise<void>;
  };
  /** OAuth2 connections behind `ctx.oauth` (made after the plugin runtime, hence a getter). */
  oauth: () => OAuthConnections;
}

/** What `setup` registered, held back until it returns so a failed plugin leaves nothing behind. */
export interface StagedPlugin {
  ctx: PluginContext;
  http: ReturnType<typeof createHttpRecorder>;
  graphql: { typeDefs: string; resolvers: GraphQLResolvers }[];
  processors: { type: string; processor: JobProcessor }[];
  declaredPoints: string[];
  contributions: { pointId: string; value: unknown }[];
  stopHooks: (() => void | Promise<void>)[];
}

function can(manifest: PluginManifest, permission: string): boolean {
  return (manifest.permissions ?? []).includes(permission);
}

function denied(manifest: PluginManifest, what: string, permission: string) {
  return kernelError("KERNEL_CAPABILITY_DENIED", `${manifest.id} cannot ${what}: its manifest does not ask for "${permission}"`);
}

/** Builds the capability context for one plugin, every capability scoped to it and checked against its manifest. */
export function createPluginContext(manifest: PluginManifest, schema: string, role: string, k: KernelServices): StagedPlugin {
  const log = k.log.child({ plugin: manifest.id });
  const http = createHttpRecorder();
  const staged: Omit<StagedPlugin, "ctx"> = { http, graphql: [], processors: [], declaredPoints: [], contributions: [], stopHooks: [] };
  const prefix = (tenantId: string) => {
    if (!/^[0-9a-f-]{36}$/.test(tenantId)) throw kernelError("KERNEL_VALIDATION", `"${tenantId}" is not a tenant id`);
    return `tenants/${tenantId}/plugins/${manifest.id}`;
  };
  const ensureEnabled = async (tenantId: string, options: { retryable?: boolean } = {}) => {
    if (await k.tenants.isEnabled(tenantId, manifest.id)) return;
    const err = kernelError("KERNEL_PLUGIN_DISABLED", `plugin ${manifest.id} is not enabled for this tenant`);
    throw options.retryable === false ? Object.assign(err, { retryable: false }) : err;
  };
  const canRead = () => can(manifest, "storage.read") || can(manifest, "storage.write");

  const storage: PluginStorage = {
    async put(tenantId, key, body, options) {
      if (!can(manifest, "storage.write")) throw denied(manifest, "write blobs", "storage.write");
      const info = await k.blobs.put(scopedKey(prefix(tenantId), key), body, options);
      return { ...info, key };
    },
    async get(tenantId, key) {
      if (!canRead()) throw denied(manifest, "read blobs", "storage.read");
      return k.blobs.get(scopedKey(prefix(tenantId), key));
    },
    async getBuffer(tenantId, key) {
      const stream = await storage.get(tenantId, key);
      const chunks: Buffer[] = [];
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks);
    },
    async exists(tenantId, key) {
      if (!canRead()) throw denied(manifest, "read blobs", "storage.read");
      return k.blobs.exists(scopedKey(prefix(tenantId), key));
    },
    async delete(tenantId, key) {
      if (!can(manifest, "storage.write")) throw denied(manifest, "delete blobs", "storage.write");
      await k.blobs.delete(scopedKey(prefix(tenantId), key));
    },
    async list(tenantId, sub) {
      if (!canRead()) throw denied(manifest, "list blobs", "storage.read");
      const base = prefix(tenantId);
      const items = await k.blobs.list(sub ? scopedKey(base, sub) : base);
      return items.map((i) => ({ ...i, key: i.key.slice(base.length + 1) }));
    },
  };

  const metricName = (name: string) => `crealia_plugin_${manifest.id.replaceAll("-", "_")}_${name}`;

  const ctx: PluginContext = {
    manifest: Object.freeze(structuredClone(manifest)),
    http: http.http,
    graphql: {
      extend(typeDefs, resolvers = {}) {
        staged.graphql.push({ typeDefs, resolvers });
      },
      publish: (topic, payload, meta) => k.graphqlPublish(`${meta.tenantId}:${manifest.id}:${topic}`, payload),
      subscribe: (topic) => (_root, _args, context) => {
        if (!context.identity) throw kernelError("KERNEL_UNAUTHENTICATED", "subscriptions need a signed-in caller");
        return context.pubsub.subscribe(`${context.identity.tenantId}:${manifest.id}:${topic}`);
      },
    },
    db: {
      schema,
      transaction(fn, options) {
        // Without an explicit tenant, the tenant of the request or job being handled; without either, none (tenant tables look empty).
        const tenantId = options?.tenantId ?? tenantScope.current();
        return k.db.transaction(async (trx) => {
          await trx.raw(`set local role ${quoteIdent(role)}`);
          await trx.raw(`set local search_path to ${quoteIdent(schema)}, public`);
          if (tenantId) await trx.raw("select set_config('crealia.tenant_id', ?, true)", [tenantId]);
          return fn(trx);
        });
      },
    },
    storage,
    jobs: {
      process(type, processor) {
        if (!manifest.jobs?.[type])
          throw kernelError("KERNEL_CAPABILITY_DENIED", `${manifest.id} cannot process "${type}": it is not in the manifest's "jobs"`);
        if (staged.processors.some((p) => p.type === type))
          throw kernelError("KERNEL_CAPABILITY_DENIED", `job type "${type}" already has a processor: exactly one is allowed`);
        // A job of a tenant that has the plugin disabled (or pinned to another version) does not run; it fails for good.
        const guarded: JobProcessor = async (job) => {
          await ensureEnabled(job.tenantId, { retryable: false });
          return tenantScope.run(job.tenantId, () => (processor as JobProcessor)(job));
        };
        staged.processors.push({ type, processor: guarded });
      },
      async enqueue(type, payload, options) {
        if (!can(manifest, "jobs.enqueue")) throw denied(manifest, "enqueue jobs", "jobs.enqueue");
        await ensureEnabled(options.tenantId);
        return k.jobs.enqueue(manifest.id, type, payload, options) as never;
      },
      async enqueueBatch(type, payloads, options) {
        if (!can(manifest, "jobs.enqueue")) throw denied(manifest, "enqueue jobs", "jobs.enqueue");
        await ensureEnabled(options.tenantId);
        return k.jobs.enqueueBatch(manifest.id, type, payloads, options) as never;
      },
      get: (jobId, tenantId) => k.jobs.get(jobId, tenantId),
      cancel: (jobId, tenantId) => k.jobs.cancel(jobId, tenantId),
      retry: (jobId, tenantId) => k.jobs.retry(jobId, tenantId),
      async schedule(type, cron, payload, options) {
        if (!can(manifest, "jobs.enqueue")) throw denied(manifest, "schedule jobs", "jobs.enqueue");
        await ensureEnabled(options.tenantId);
        return k.jobs.schedule(manifest.id, type, cron, payload, options) as never;
      },
      unschedule: (type, key, tenantId) => k.jobs.unschedule(manifest.id, type, key, tenantId),
    },
    events: {
      async publish(type, payload, meta) {
        if (!(manifest.events ?? []).includes(type))
          throw kernelError("KERNEL_CAPABILITY_DENIED", `${manifest.id} cannot publish "${type}": it is not in the manifest's "events"`);
        await k.events.publish({ type, source: manifest.id, tenantId: meta.tenantId, payload });
      },
      subscribe(type, handler) {
        const off = k.events.subscribe(type, (e) => handler(e.payload, { tenantId: e.tenantId, source: e.source }));
        staged.stopHooks.push(off);
        return off;
      },
    },
    extensions: {
      declare<T>(pointId: string) {
        if (!(manifest.extensionPoints ?? []).includes(pointId))
          throw kernelError("KERNEL_CAPABILITY_DENIED", `${manifest.id} cannot declare "${pointId}": it is not in the manifest's "extensionPoints"`);
        staged.declaredPoints.push(pointId);
        const handle = k.extensions.declare<T>(manifest.id, pointId);
        return {
          ...handle,
          async contributionsFor(tenantId) {
            const all = handle.contributions();
            const enabled = await Promise.all(all.map((c) => k.tenants.isEnabled(tenantId, c.pluginId)));
            return all.filter((_, i) => enabled[i]);
          },
        };
      },
      contribute(pointId, value) {
        if (!(manifest.contributes ?? []).includes(pointId))
          throw kernelError("KERNEL_CAPABILITY_DENIED", `${manifest.id} cannot contribute to "${pointId}": it is not in the manifest's "contributes"`);
        staged.contributions.push({ pointId, value });
      },
    },
    settings: { get: (tenantId) => k.settingsFor(manifest.id, tenantId) as never },
    log: pluginLogger(log),
    metrics: {
      counter: (name, help, labelNames = []) => {
        const m = new Counter({ name: metricName(name), help, labelNames, registers: [k.metrics] });
        return { inc: (labels = {}, value = 1) => m.inc(labels, value) };
      },
      gauge: (name, help, labelNames = []) => {
        const m = new Gauge({ name: metricName(name), help, labelNames, registers: [k.metrics] });
        return { set: (value, labels = {}) => m.set(labels, value) };
      },
      histogram: (name, help, labelNames = []) => {
        const m = new Histogram({ name: metricName(name), help, labelNames, registers: [k.metrics] });
        return { observe: (value, labels = {}) => m.observe(labels, value) };
      },
    },
    lifecycle: { onStop: (fn) => void staged.stopHooks.push(fn) },
    models: createPluginModels(manifest, k.models),
    assets: createPluginAssets(manifest, k.assets),
    secrets: {
      get: (tenantId, name) => k.pluginSecrets.get(tenantId, manifest.id, name),
      set: (tenantId, name, value) => k.pluginSecrets.set(tenantId, manifest.id, name, value),
      delete: (tenantId, name) => k.pluginSecrets.delete(tenantId, manifest.id, name),
    },
    oauth: {
      provider: (name, config) => k.oauth().register(manifest.id, name, config),
      accessToken: (tenantId, provider) => k.oauth().accessToken(tenantId, manifest.id, provider),
      connection: (tenantId, provider) => k.oauth().connection(tenantId, manifest.id, provider),
    },
  };
  return { ctx, ...staged };
}
