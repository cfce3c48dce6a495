import type { Knex } from "knex";
import semver from "semver";
import type { PluginManifest } from "../sdk/manifest.js";

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  /** `agency` tenants own client tenants. */
  kind: "tenant" | "agency";
  /** The agency that owns this tenant, if any. */
  agencyId: string | null;
}

interface Choice {
  enabled: boolean;
  versionPin: string | null;
}

const CACHE_MS = 2000;

/** Tenants and, per tenant, which plugins are enabled. */
export class TenantService {
  private readonly cache = new Map<string, { at: number; choices: Map<string, Choice> }>();
  defaultTenant: Tenant | null = null;

  constructor(
    private readonly db: Knex,
    private readonly manifests: () => Map<string, PluginManifest>,
  ) {}

  toTenant(row: Record<string, unknown>): Tenant {
    return {
      id: row.id as string,
      slug: row.slug as string,
      name: row.name as string,
      kind: ((row.kind as string) ?? "tenant") as Tenant["kind"],
      agencyId: (row.agency_id as string) ?? null,
    };
  }

  async ensureDefaultTenant(): Promise<Tenant> {
    await this.db("kernel.tenants").insert({ slug: "default", name: "Default" }).onConflict("slug").ignore();
    this.defaultTenant = this.toTenant(await this.db("kernel.tenants").where({ slug: "default" }).first());
    return this.defaultTenant;
  }

  async create(slug: string, name: string, options: { kind?: Tenant["kind"]; agencyId?: string | null } = {}, trx?: Knex.Transaction): Promise<Tenant> {
    const [row] = await (trx ?? this.db)("kernel.tenants")
      .insert({ slug, name, kind: options.kind ?? "tenant", agency_id: options.agencyId ?? null })
      .returning("*");
    return this.toTenant(row);
  }

  async get(id: string): Promise<Tenant | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const row = await this.db("kernel.tenants").where({ id }).first();
    return row ? this.toTenant(row) : null;
  }

  async clientsOf(agencyId: string): Promise<Tenant[]> {
    return (await this.db("kernel.tenants").where({ agency_id: agencyId }).orderBy("created_at")).map((r: Record<string, unknown>) => this.toTenant(r));
  }

  async setEnabled(tenantId: string, pluginId: string, enabled: boolean): Promise<void> {
    await this.db("kernel.tenant_plugins")
      .insert({ tenant_id: tenantId, plugin_id: pluginId, enabled })
      .onConflict(["tenant_id", "plugin_id"])
      .merge({ enabled, updated_at: this.db.fn.now() });
    this.cache.delete(tenantId);
  }

  /** Drops the cached plugin choices of a tenant after they were changed elsewhere. */
  forget(tenantId: string) {
    this.cache.delete(tenantId);
  }

  /**
   * Whether a tenant can use a plugin: enabled (explicitly, or by the manifest's default), and the
   * installed version within the tenant's version pin, if it has one.
   */
  async isEnabled(tenantId: string, pluginId: string): Promise<boolean> {
    const manifest = this.manifests().get(pluginId);
    if (!manifest) return false;
    const choices = await this.choices(tenantId);
    return this.usable(manifest, choices.get(pluginId));
  }

  async enabledPluginIds(tenantId: string): Promise<string[]> {
    const choices = await this.choices(tenantId);
    return [...this.manifests().values()].filter((m) => this.usable(m, choices.get(m.id))).map((m) => m.id);
  }

  private usable(manifest: PluginManifest, choice: Choice | undefined): boolean {
    if (!(choice?.enabled ?? manifest.enabledByDefault ?? true)) return false;
    return !choice?.versionPin || semver.satisfies(manifest.version, choice.versionPin, { includePrerelease: true });
  }

  async settings(tenantId: string, pluginId: string): Promise<Record<string, unknown>> {
    const row = await this.db("kernel.tenant_plugins").where({ tenant_id: tenantId, plugin_id: pluginId }).first("settings");
    return (row?.settings as Record<string, unknown>) ?? {};
  }

  private async choices(tenantId: string): Promise<Map<string, Choice>> {
    const hit = this.cache.get(tenantId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.choices;
    const rows: { plugin_id: string; enabled: boolean; version_pin: string | null }[] = await this.db("kernel.tenant_plugins")
      .where({ tenant_id: tenantId })
      .select("plugin_id", "enabled", "version_pin");
    const choices = new Map(rows.map((r) => [r.plugin_id, { enabled: r.enabled, versionPin: r.version_pin }]));
    this.cache.set(tenantId, { at: Date.now(), choices });
    return choices;
  }
}
