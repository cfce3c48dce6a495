import type { Knex } from "knex";
import semver from "semver";
import { kernelError } from "../errors.js";
import type { AuditLog } from "../identity/audit-log.js";
import type { PluginRuntime } from "../plugins/plugin-runtime.js";
import type { Identity } from "../sdk/context.js";
import type { SecretBox } from "../secret-box.js";
import { withTenant } from "./tenant-db.js";
import type { TenantService } from "./tenant-service.js";

export interface TenantPlugin {
  id: string;
  version: string;
  enabled: boolean;
  /** Enabled, and the installed version within the pin: its routes, fields, panels and jobs answer. */
  active: boolean;
  versionPin: string | null;
  settings: Record<string, unknown>;
  /** Names of the secrets set; the values never leave the kernel. */
  secrets: string[];
}

export interface PluginChoice {
  enabled?: boolean;
  versionPin?: string | null;
  settings?: Record<string, unknown>;
}

/** A tenant's plugins: enablement, version pins, settings (checked against each plugin's schema) and secrets. */
export class TenantPlugins {
  constructor(
    private readonly db: Knex,
    private readonly tenants: TenantService,
    private readonly runtime: PluginRuntime,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
  ) {}

  private manifest(pluginId: string) {
    const m = this.runtime.manifests.get(pluginId);
    if (!m) throw kernelError("KERNEL_PLUGIN_NOT_FOUND", `no started plugin "${pluginId}"`);
    return m;
  }

  async list(tenantId: string): Promise<TenantPlugin[]> {
    const { rows, secrets } = await withTenant(this.db, tenantId, async (trx) => ({
      rows: await trx("kernel.tenant_plugins").select("plugin_id", "enabled", "version_pin", "settings"),
      secrets: await trx("kernel.plugin_secrets").select("plugin_id", "name").orderBy("name"),
    }));
    const active = new Set(await this.tenants.enabledPluginIds(tenantId));
    return [...this.runtime.manifests.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((m) => {
        const row = rows.find((r: { plugin_id: string }) => r.plugin_id === m.id);
        return {
          id: m.id,
          version: m.version,
          enabled: row?.enabled ?? m.enabledByDefault ?? true,
          active: active.has(m.id),
          versionPin: row?.version_pin ?? null,
          settings: this.runtime.validateSettings(m.id, row?.settings ?? {}),
          secrets: secrets.filter((s: { plugin_id: string }) => s.plugin_id === m.id).map((s: { name: string }) => s.name),
        };
      });
  }

  async get(tenantId: string, pluginId: string): Promise<TenantPlugin> {
    this.manifest(pluginId);
    return (await this.list(tenantId)).find((p) => p.id === pluginId) as TenantPlugin;
  }

  /** Checks a choice against the plugin: a valid semver range as pin, settings that pass the schema. */
  check(pluginId: string, choice: PluginChoice): void {
    this.manifest(pluginId);
    if (choice.versionPin && !semver.validRange(choice.versionPin)) throw kernelError("KERNEL_VALIDATION", `"${choice.versionPin}" is not a semver range`);
    if (choice.settings) this.runtime.validateSettings(pluginId, choice.settings);
  }

  /** Applies a choice (only the fields given), inside `trx` when given (a bundle applies several at once). */
  async apply(actor: Identity | null, tenantId: string, pluginId: string, choice: PluginChoice, trx?: Knex.Transaction): Promise<void> {
    this.check(pluginId, choice);
    const m = this.manifest(pluginId);
    const run = async (t: Knex.Transaction) => {
      const current = await t("kernel.tenant_plugins").where({ plugin_id: pluginId }).first("enabled", "version_pin", "settings");
      const next = {
        enabled: choice.enabled ?? current?.enabled ?? m.enabledByDefault ?? true,
        version_pin: choice.versionPin === undefined ? (current?.version_pin ?? null) : choice.versionPin,
        settings: JSON.stringify(choice.settings ?? current?.settings ?? {}),
      };
      await t("kernel.tenant_plugins")
        .insert({ tenant_id: tenantId, plugin_id: pluginId, ...next })
        .onConflict(["tenant_id", "plugin_id"])
        .merge({ ...next, updated_at: t.fn.now() });
      const changed: Record<string, unknown> = {};
      if (choice.enabled !== undefined && choice.enabled !== (current?.enabled ?? m.enabledByDefault ?? true)) changed.enabled = choice.enabled;
      if (choice.versionPin !== undefined) changed.versionPin = choice.versionPin;
      if (choice.settings) changed.settings = Object.keys(choice.settings);
      if (Object.keys(changed).length) {
        const action = changed.enabled === true ? "plugin.enabled" : changed.enabled === false ? "plugin.disabled" : "plugin.configured";
        await this.audit.record({ tenantId, userId: actor?.userId ?? null, action, target: pluginId, data: changed }, t);
      }
    };
    if (trx) await run(trx);
    else await withTenant(this.db, tenantId, run);
    this.tenants.forget(tenantId);
  }

  async setSecret(actor: Identity | null, tenantId: string, pluginId: string, name: string, value: string): Promise<void> {
    this.manifest(pluginId);
    await withTenant(this.db, tenantId, async (trx) => {
      await trx("kernel.plugin_secrets")
        .insert({ tenant_id: tenantId, plugin_id: pluginId, name, value_enc: this.box.seal(value, `${tenantId}:${pluginId}:${name}`) })
        .onConflict(["tenant_id", "plugin_id", "name"])
        .merge({ value_enc: this.box.seal(value, `${tenantId}:${pluginId}:${name}`), updated_at: trx.fn.now() });
      await this.audit.record({ tenantId, userId: actor?.userId ?? null, action: "plugin.secret-set", target: pluginId, data: { name } }, trx);
    });
  }

  async deleteSecret(actor: Identity | null, tenantId: string, pluginId: string, name: string): Promise<void> {
    await withTenant(this.db, tenantId, async (trx) => {
      const n = await trx("kernel.plugin_secrets").where({ plugin_id: pluginId, name }).delete();
      if (n) await this.audit.record({ tenantId, userId: actor?.userId ?? null, action: "plugin.secret-deleted", target: pluginId, data: { name } }, trx);
    });
  }

  /** A secret's value, for the plugin itself (`ctx.secrets`) only. */
  async secret(tenantId: string, pluginId: string, name: string): Promise<string | null> {
    const row = await withTenant(this.db, tenantId, (trx) => trx("kernel.plugin_secrets").where({ plugin_id: pluginId, name }).first("value_enc"));
    return row ? this.box.open(row.value_enc, `${tenantId}:${pluginId}:${name}`) : null;
  }
}
