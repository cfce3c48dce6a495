import type { Knex } from "knex";
import { kernelError } from "../errors.js";
import type { AuditLog } from "../identity/audit-log.js";
import type { PluginRuntime } from "../plugins/plugin-runtime.js";
import type { Identity } from "../sdk/context.js";
import { withTenant } from "./tenant-db.js";
import type { PluginChoice, TenantPlugins } from "./tenant-plugins.js";
import type { TenantService } from "./tenant-service.js";

export interface BundlePlugin {
  versionPin?: string | null;
  settings?: Record<string, unknown>;
}

export interface Bundle {
  id: string;
  agencyId: string;
  name: string;
  /** The plugins a tenant with this bundle has enabled, by id; every other plugin is disabled. */
  plugins: Record<string, BundlePlugin>;
  revision: number;
  clients: { tenantId: string; revision: number; appliedAt: string }[];
  updatedAt: string;
}

/**
 * Bundles: a named set of plugins with settings that an agency applies to its client tenants.
 * Applying one makes the tenant's enabled plugins exactly the bundle's; updating a bundle applies
 * the new revision to every tenant that has it.
 */
export class BundleService {
  constructor(
    private readonly db: Knex,
    private readonly tenants: TenantService,
    private readonly runtime: PluginRuntime,
    private readonly plugins: TenantPlugins,
    private readonly audit: AuditLog,
  ) {}

  private check(plugins: Record<string, BundlePlugin>) {
    for (const [id, choice] of Object.entries(plugins)) {
      this.plugins.check(id, { versionPin: choice.versionPin, settings: choice.settings });
      const missing = Object.keys(this.runtime.manifests.get(id)?.requires ?? {}).filter((dep) => !(dep in plugins));
      if (missing.length)
        throw kernelError("KERNEL_VALIDATION", `${id} requires ${missing.join(", ")}: add ${missing.length > 1 ? "them" : "it"} to the bundle`);
    }
  }

  private async agency(agencyId: string) {
    const agency = await this.tenants.get(agencyId);
    if (agency?.kind !== "agency") throw kernelError("KERNEL_FORBIDDEN", "only an agency tenant has bundles");
    return agency;
  }

  async list(agencyId: string): Promise<Bundle[]> {
    const rows = await this.db("kernel.bundles").where({ agency_id: agencyId }).orderBy("name");
    return Promise.all(rows.map((r: Record<string, unknown>) => this.present(r)));
  }

  async get(agencyId: string, bundleId: string): Promise<Bundle> {
    const row = /^[0-9a-f-]{36}$/i.test(bundleId) ? await this.db("kernel.bundles").where({ id: bundleId, agency_id: agencyId }).first() : null;
    if (!row) throw kernelError("KERNEL_BUNDLE_NOT_FOUND", "no such bundle in this agency");
    return this.present(row);
  }

  private async present(r: Record<string, unknown>): Promise<Bundle> {
    const clients = await this.db("kernel.bundle_clients").where({ bundle_id: r.id }).orderBy("applied_at");
    return {
      id: r.id as string,
      agencyId: r.agency_id as string,
      name: r.name as string,
      plugins: r.plugins as Record<string, BundlePlugin>,
      revision: r.revision as number,
      clients: clients.map((c: Record<string, unknown>) => ({
        tenantId: c.client_id as string,
        revision: c.revision as number,
        appliedAt: new Date(c.applied_at as string).toISOString(),
      })),
      updatedAt: new Date(r.updated_at as string).toISOString(),
    };
  }

  async create(actor: Identity, name: string, plugins: Record<string, BundlePlugin>): Promise<Bundle> {
    await this.agency(actor.tenantId);
    this.check(plugins);
    const [row] = await this.db("kernel.bundles")
      .insert({ agency_id: actor.tenantId, name, plugins: JSON.stringify(plugins) })
      .onConflict(["agency_id", "name"])
      .ignore()
      .returning("*");
    if (!row) throw kernelError("KERNEL_CONFLICT", `a bundle named "${name}" exists already`);
    await this.audit.record({
      tenantId: actor.tenantId,
      userId: actor.userId,
      action: "bundle.created",
      target: row.id,
      data: { name, plugins: Object.keys(plugins) },
    });
    return this.present(row);
  }

  /** Replaces a bundle's plugins and applies the new revision to every tenant that has the bundle. */
  async update(actor: Identity, bundleId: string, plugins: Record<string, BundlePlugin>): Promise<Bundle> {
    const bundle = await this.get(actor.tenantId, bundleId);
    this.check(plugins);
    await this.db("kernel.bundles")
      .where({ id: bundleId })
      .update({ plugins: JSON.stringify(plugins), revision: bundle.revision + 1, updated_at: this.db.fn.now() });
    await this.audit.record({
      tenantId: actor.tenantId,
      userId: actor.userId,
      action: "bundle.updated",
      target: bundleId,
      data: { plugins: Object.keys(plugins) },
    });
    const clients = bundle.clients.map((c) => c.tenantId);
    if (clients.length) await this.apply(actor, bundleId, clients);
    return this.get(actor.tenantId, bundleId);
  }

  /** Applies a bundle to client tenants of the actor's agency: each gets exactly the bundle's plugins, pins and settings. */
  async apply(actor: Identity, bundleId: string, tenantIds: string[]): Promise<Bundle> {
    const bundle = await this.get(actor.tenantId, bundleId);
    const clients = new Set((await this.tenants.clientsOf(actor.tenantId)).map((t) => t.id));
    const strangers = tenantIds.filter((id) => !clients.has(id));
    if (strangers.length) throw kernelError("KERNEL_TENANT_NOT_FOUND", `not client tenants of this agency: ${strangers.join(", ")}`);
    for (const tenantId of tenantIds) {
      await withTenant(this.db, tenantId, async (trx) => {
        for (const manifest of this.runtime.manifests.values()) {
          const inBundle = bundle.plugins[manifest.id];
          const choice: PluginChoice = inBundle
            ? { enabled: true, versionPin: inBundle.versionPin ?? null, settings: inBundle.settings ?? {} }
            : { enabled: false };
          await this.plugins.apply(actor, tenantId, manifest.id, choice, trx);
        }
        await this.audit.record(
          { tenantId, userId: actor.userId, action: "bundle.applied", target: bundleId, data: { name: bundle.name, revision: bundle.revision } },
          trx,
        );
      });
      this.tenants.forget(tenantId);
      // bundle_clients is the agency's own bookkeeping (no tenant_id): a system write. A tenant has one bundle at a time.
      await this.db("kernel.bundle_clients").where({ client_id: tenantId }).whereNot({ bundle_id: bundleId }).delete();
      await this.db("kernel.bundle_clients")
        .insert({ bundle_id: bundleId, client_id: tenantId, revision: bundle.revision })
        .onConflict(["bundle_id", "client_id"])
        .merge({ revision: bundle.revision, applied_at: this.db.fn.now() });
    }
    return this.get(actor.tenantId, bundleId);
  }

  async remove(actor: Identity, bundleId: string): Promise<void> {
    await this.get(actor.tenantId, bundleId);
    await this.db("kernel.bundles").where({ id: bundleId }).delete();
    await this.audit.record({ tenantId: actor.tenantId, userId: actor.userId, action: "bundle.deleted", target: bundleId });
  }
}
