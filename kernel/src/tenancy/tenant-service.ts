import type { Knex } from "knex";
import type { PluginManifest } from "../sdk/manifest.js";

export interface Tenant {
  id: string;
  slug: string;
  name: string;
}

const CACHE_MS = 2000;

/** Tenants and, per tenant, which plugins are enabled. */
export class TenantService {
  private readonly cache = new Map<string, { at: number; choices: Map<string, boolean> }>();
  defaultTenant: Tenant | null = null;

  constructor(
    private readonly db: Knex,
    private readonly manifests: () => Map<string, PluginManifest>,
  ) {}

  async ensureDefaultTenant(): Promise<Tenant> {
    await this.db("kernel.tenants").insert({ slug: "default", name: "Default" }).onConflict("slug").ignore();
    this.defaultTenant = (await this.db("kernel.tenants").where({ slug: "default" }).first()) as Tenant;
    return this.defaultTenant;
  }

  async create(slug: string, name: string): Promise<Tenant> {
    const [row] = await this.db("kernel.tenants").insert({ slug, name }).returning(["id", "slug", "name"]);
    return row as Tenant;
  }

  async setEnabled(tenantId: string, pluginId: string, enabled: boolean): Promise<void> {
    await this.db("kernel.tenant_plugins")
      .insert({ tenant_id: tenantId, plugin_id: pluginId, enabled })
      .onConflict(["tenant_id", "plugin_id"])
      .merge({ enabled, updated_at: this.db.fn.now() });
    this.cache.delete(tenantId);
  }

  async isEnabled(tenantId: string, pluginId: string): Promise<boolean> {
    const manifest = this.manifests().get(pluginId);
    if (!manifest) return false;
    const choices = await this.choices(tenantId);
    return choices.get(pluginId) ?? manifest.enabledByDefault ?? true;
  }

  async enabledPluginIds(tenantId: string): Promise<string[]> {
    const choices = await this.choices(tenantId);
    return [...this.manifests().values()].filter((m) => choices.get(m.id) ?? m.enabledByDefault ?? true).map((m) => m.id);
  }

  async settings(tenantId: string, pluginId: string): Promise<Record<string, unknown>> {
    const row = await this.db("kernel.tenant_plugins").where({ tenant_id: tenantId, plugin_id: pluginId }).first("settings");
    return (row?.settings as Record<string, unknown>) ?? {};
  }

  private async choices(tenantId: string): Promise<Map<string, boolean>> {
    const hit = this.cache.get(tenantId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.choices;
    const rows: { plugin_id: string; enabled: boolean }[] = await this.db("kernel.tenant_plugins")
      .where({ tenant_id: tenantId })
      .select("plugin_id", "enabled");
    const choices = new Map(rows.map((r) => [r.plugin_id, r.enabled]));
    this.cache.set(tenantId, { at: Date.now(), choices });
    return choices;
  }
}
