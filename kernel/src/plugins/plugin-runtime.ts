import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import Fastify from "fastify";
import type { GraphQLSchema } from "graphql";
import type { Knex } from "knex";
import type { Logger } from "pino";
import { runMigrations } from "../db/migrator.js";
import { ensurePluginSchema } from "../db/plugin-schemas.js";
import { checkTenantIsolation } from "../db/rls-check.js";
import { kernelError } from "../errors.js";
import { AJV_OPTIONS } from "../http/fastify-options.js";
import type { DefinedPlugin } from "../sdk/define-plugin.js";
import type { PluginManifest } from "../sdk/manifest.js";
import { SDK_VERSION } from "../sdk/version.js";
import type { DiscoveredPlugin, DiscoveryResult } from "./discovery.js";
import { createPluginContext, type KernelServices, type StagedPlugin } from "./plugin-context.js";
import { loadPluginMigrations, loadPluginModule } from "./plugin-loader.js";
import type { PluginPhase, PluginStatus } from "./plugin-status.js";
import { resolvePlugins } from "./resolution.js";

export interface StartedPlugin {
  plugin: DiscoveredPlugin;
  staged: StagedPlugin;
}

/** Mounts a started plugin's recorded routes into its encapsulated scope. */
export type MountPlugin = (plugin: DiscoveredPlugin, staged: StagedPlugin) => Promise<void>;

/**
 * The plugin lifecycle inside one kernel: resolve the installed set, then for each plugin in
 * dependency order migrate → load → setup → check → commit. A failure at any step leaves that
 * plugin (and its dependents) out with a reason; the others go on.
 */
export class PluginRuntime {
  readonly statuses = new Map<string, PluginStatus>();
  readonly started: StartedPlugin[] = [];
  readonly manifests = new Map<string, PluginManifest>();
  private readonly ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });
  private readonly settingsValidators = new Map<string, ReturnType<Ajv["compile"]>>();

  constructor(
    private readonly k: KernelServices,
    private readonly log: Logger,
  ) {}

  async start(discovery: DiscoveryResult, options: { migrate: boolean; mount: MountPlugin }) {
    for (const bad of discovery.invalid) {
      this.fail({ id: bad.id, version: bad.version, dir: bad.dir }, "discover", `invalid manifest: ${bad.problems.join("; ")}`);
    }
    const resolution = resolvePlugins(discovery.plugins, SDK_VERSION);
    for (const f of resolution.failed) this.fail(this.ident(f.plugin), "resolve", f.reason);

    for (const plugin of resolution.order) {
      const { id, version } = plugin.manifest;
      const missing = Object.keys(plugin.manifest.requires ?? {}).filter((dep) => this.statuses.get(dep)?.state !== "started");
      if (missing.length) {
        this.fail(this.ident(plugin), "resolve", `${id} ${version} requires ${missing.join(", ")}, which failed to start`);
        continue;
      }
      this.statuses.set(id, { ...this.ident(plugin), state: "starting" });
      await this.startOne(plugin, options);
    }
  }

  private ident(p: DiscoveredPlugin) {
    return { id: p.manifest.id, version: p.manifest.version, name: p.manifest.name, description: p.manifest.description, dir: p.dir };
  }

  private fail(ident: { id: string; version: string; dir?: string }, phase: PluginPhase, reason: string) {
    // A duplicate id is reported once per copy; keep the first so the status table has one row per id.
    if (this.statuses.get(ident.id)?.state === "failed" && phase !== "setup" && phase !== "migrate" && phase !== "load") return;
    this.statuses.set(ident.id, { ...ident, state: "failed", phase, reason });
    this.log.error({ plugin: ident.id, version: ident.version, phase }, `plugin left out: ${reason}`);
  }

  private async startOne(plugin: DiscoveredPlugin, options: { migrate: boolean; mount: MountPlugin }) {
    const m = plugin.manifest;
    let phase: PluginPhase = "migrate";
    let staged: StagedPlugin | null = null;
    try {
      const { schema, role } = await ensurePluginSchema(this.k.db, m.id);
      const migrations = await loadPluginMigrations(plugin);
      if (options.migrate) {
        const verify = (trx: Knex.Transaction) => checkTenantIsolation(trx, schema);
        const applied = await runMigrations(this.k.db, { schema, role, lockName: `plugin:${m.id}`, verify }, migrations);
        if (applied.length) this.log.info({ plugin: m.id, applied }, "plugin migrations applied");
      }
      phase = "load";
      const definition: DefinedPlugin = await loadPluginModule(plugin);
      this.loadSettingsSchema(plugin);
      phase = "setup";
      this.manifests.set(m.id, m);
      this.k.jobs.declare(m.id, m.jobs ?? {});
      staged = createPluginContext(m, schema, role, this.k);
      await definition.setup(staged.ctx);
      const schemas = this.check(plugin, staged);
      await this.commit(plugin, staged, schemas, options.mount);
      this.started.push({ plugin, staged });
      this.statuses.set(m.id, { ...this.ident(plugin), state: "started" });
      await this.k
        .db("kernel.plugins")
        .insert({ id: m.id, version: m.version, state: "installed" })
        .onConflict("id")
        .merge({ version: m.version, state: "installed", reason: null, updated_at: this.k.db.fn.now() });
    } catch (err) {
      this.undo(m.id, staged);
      const reason = err instanceof Error ? err.message : String(err);
      this.fail(this.ident(plugin), phase, phase === "setup" ? `setup threw: ${reason}` : reason);
    }
  }

  /** What must hold after `setup` before anything of the plugin is kept. */
  private check(plugin: DiscoveredPlugin, staged: StagedPlugin): GraphQLSchema[] {
    const m = plugin.manifest;
    const declared = Object.keys(m.jobs ?? {});
    const missing = declared.filter((t) => !staged.processors.some((p) => p.type === t));
    if (missing.length) {
      throw kernelError("KERNEL_CAPABILITY_DENIED", `declares job type${missing.length > 1 ? "s" : ""} ${missing.join(", ")} but registers no processor`);
    }
    for (const point of m.extensionPoints ?? []) {
      if (!staged.declaredPoints.includes(point)) throw new Error(`lists extension point "${point}" but never declares it with ctx.extensions.declare()`);
    }
    // Each part is checked against the schema as it will be once the earlier parts are in.
    let schema = this.k.schema.current();
    return staged.graphql.map((part) => (schema = this.k.schema.check({ pluginId: m.id, ...part }, schema)));
  }

  private async commit(plugin: DiscoveredPlugin, staged: StagedPlugin, schemas: GraphQLSchema[], mount: MountPlugin) {
    const id = plugin.manifest.id;
    // Try the routes in a scratch server first: a bad schema or duplicate route fails here, not in the real one.
    const scratch = Fastify({ logger: false, ajv: AJV_OPTIONS });
    await scratch.register(async (scope) => staged.http.replay(scope), { prefix: "/scratch" });
    try {
      await scratch.ready();
    } finally {
      await scratch.close();
    }
    for (const [i, part] of staged.graphql.entries()) this.k.schema.add({ pluginId: id, ...part }, schemas[i] as GraphQLSchema);
    for (const p of staged.processors) this.k.jobs.setProcessor(id, p.type, p.processor);
    for (const c of staged.contributions) {
      const owner = c.pointId.split(".")[0] as string;
      // A point of an optional dependency that is not running: the contribution has nowhere to go.
      if (!this.k.extensions.has(c.pointId) && plugin.manifest.optionalRequires?.[owner] && this.statuses.get(owner)?.state !== "started") {
        this.log.info({ plugin: id, point: c.pointId }, `contribution to ${c.pointId} left out: ${owner} is not running`);
        continue;
      }
      this.k.extensions.contribute(id, c.pointId, c.value);
    }
    await mount(plugin, staged);
  }

  private undo(pluginId: string, staged: StagedPlugin | null) {
    this.manifests.delete(pluginId);
    this.k.jobs.forget(pluginId);
    this.k.extensions.removePlugin(pluginId);
    const prefix = `crealia_plugin_${pluginId.replaceAll("-", "_")}_`;
    for (const metric of this.k.metrics.getMetricsAsArray()) {
      if (metric.name.startsWith(prefix)) this.k.metrics.removeSingleMetric(metric.name);
    }
    for (const off of staged?.stopHooks ?? [])
      void Promise.resolve()
        .then(off)
        .catch(() => {});
  }

  private loadSettingsSchema(plugin: DiscoveredPlugin) {
    if (!plugin.manifest.settings) return;
    const file = path.resolve(plugin.dir, plugin.manifest.settings);
    const schema = JSON.parse(readFileSync(file, "utf8"));
    this.settingsValidators.set(plugin.manifest.id, this.ajv.compile(schema));
  }

  /** A tenant's settings for a plugin, validated, with the schema's defaults filled in. */
  validateSettings(pluginId: string, settings: Record<string, unknown>): Record<string, unknown> {
    const validate = this.settingsValidators.get(pluginId);
    const copy = structuredClone(settings);
    if (validate && !validate(copy)) {
      throw kernelError("KERNEL_VALIDATION", `settings for ${pluginId} are invalid: ${this.ajv.errorsText(validate.errors)}`, validate.errors);
    }
    return copy;
  }

  /** Stops started plugins in reverse start order. */
  async stop() {
    for (const { plugin, staged } of [...this.started].reverse()) {
      for (const hook of [...staged.stopHooks].reverse()) {
        try {
          await hook();
        } catch (err) {
          this.log.warn({ err, plugin: plugin.manifest.id }, "plugin stop hook threw");
        }
      }
      this.statuses.set(plugin.manifest.id, { ...this.ident(plugin), state: "stopped" });
    }
    this.started.length = 0;
  }

  list(): PluginStatus[] {
    return [...this.statuses.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}
