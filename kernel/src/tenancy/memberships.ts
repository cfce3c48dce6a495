import type { Knex } from "knex";
import { kernelError } from "../errors.js";
import type { AuditLog } from "../identity/audit-log.js";
import { catalogueRoles, mayGrant, type RoleDefinition } from "../identity/permissions.js";
import type { Identity } from "../sdk/context.js";
import type { PluginManifest } from "../sdk/manifest.js";
import { withTenant } from "./tenant-db.js";
import type { Tenant, TenantService } from "./tenant-service.js";

export interface Access {
  role: string;
  permissions: string[];
  /** `member`: a membership of the tenant itself; `agency`: of the agency that owns it. */
  via: "member" | "agency";
}

export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: string;
  since: string;
}

const CACHE_MS = 2000;

/** Who belongs to which tenant with which role, custom roles, and what that lets each one do. */
export class MembershipService {
  private readonly cache = new Map<string, { at: number; access: Access | null }>();

  constructor(
    private readonly db: Knex,
    private readonly tenants: TenantService,
    private readonly manifests: () => Map<string, PluginManifest>,
    private readonly audit: AuditLog,
  ) {}

  /** Built-in roles, plugin roles, then the tenant's custom roles. */
  async roles(tenantId: string): Promise<RoleDefinition[]> {
    const custom = await withTenant(this.db, tenantId, (trx) => trx("kernel.roles").orderBy("name").select("name", "description", "permissions"));
    return [
      ...catalogueRoles(this.manifests().values()),
      ...custom.map((r: { name: string; description: string | null; permissions: string[] }) => ({
        name: r.name,
        description: r.description ?? "",
        permissions: r.permissions,
        source: "tenant" as const,
      })),
    ];
  }

  private async role(tenantId: string, name: string): Promise<RoleDefinition | null> {
    return (await this.roles(tenantId)).find((r) => r.name === name) ?? null;
  }

  /** What a user may do in a tenant: their own membership, else their membership of its agency; null when neither. */
  async access(userId: string, tenantId: string): Promise<Access | null> {
    const key = `${userId}:${tenantId}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.access;
    const access = await this.resolveAccess(userId, tenantId);
    this.cache.set(key, { at: Date.now(), access });
    if (this.cache.size > 50_000) this.cache.clear();
    return access;
  }

  private async resolveAccess(userId: string, tenantId: string): Promise<Access | null> {
    const direct = await withTenant(this.db, tenantId, (trx) => trx("kernel.memberships").where({ user_id: userId }).first("role"));
    if (direct) return this.accessFor(tenantId, direct.role, "member");
    const tenant = await this.tenants.get(tenantId);
    if (!tenant?.agencyId) return null;
    const viaAgency = await withTenant(this.db, tenant.agencyId, (trx) => trx("kernel.memberships").where({ user_id: userId }).first("role"));
    // Agency members act in client tenants by their agency role, as the agency defines it.
    return viaAgency ? this.accessFor(tenant.agencyId, viaAgency.role, "agency") : null;
  }

  private async accessFor(roleTenantId: string, roleName: string, via: Access["via"]): Promise<Access> {
    const role = await this.role(roleTenantId, roleName);
    return { role: roleName, permissions: role?.permissions ?? [], via };
  }

  forget() {
    this.cache.clear();
  }

  /** Tenants a user can act in: their memberships and the client tenants of their agencies. */
  async tenantsOf(userId: string): Promise<(Tenant & { role: string; via: Access["via"] })[]> {
    // A user's own memberships span tenants: a system read, scoped by user.
    const rows = await this.db("kernel.memberships as m")
      .join("kernel.tenants as t", "t.id", "m.tenant_id")
      .where("m.user_id", userId)
      .orderBy("m.created_at")
      .select("t.*", "m.role");
    const out: (Tenant & { role: string; via: Access["via"] })[] = [];
    for (const r of rows) {
      out.push({ ...this.tenants.toTenant(r), role: r.role, via: "member" });
      if (r.kind === "agency") {
        const clients = await this.db("kernel.tenants").where({ agency_id: r.id }).orderBy("created_at");
        for (const c of clients) if (!rows.some((x: { id: string }) => x.id === c.id)) out.push({ ...this.tenants.toTenant(c), role: r.role, via: "agency" });
      }
    }
    return out;
  }

  /** Adds the first owner of a new tenant (no actor to check). */
  async addOwner(tenantId: string, userId: string, trx?: Knex.Transaction): Promise<void> {
    const run = (t: Knex.Transaction) => t("kernel.memberships").insert({ tenant_id: tenantId, user_id: userId, role: "owner" });
    if (trx) await run(trx);
    else await withTenant(this.db, tenantId, run);
    this.forget();
  }

  async members(tenantId: string): Promise<Member[]> {
    const rows = await withTenant(this.db, tenantId, (trx) =>
      trx("kernel.memberships as m")
        .join("kernel.users as u", "u.id", "m.user_id")
        .orderBy("m.created_at")
        .select("m.user_id", "u.email", "u.name", "m.role", "m.created_at"),
    );
    return rows.map((r: { user_id: string; email: string; name: string | null; role: string; created_at: string }) => ({
      userId: r.user_id,
      email: r.email,
      name: r.name ?? null,
      role: r.role,
      since: new Date(r.created_at).toISOString(),
    }));
  }

  /** Checks that `actor` may hand out `roleName` in the tenant: it exists, and grants nothing the actor lacks. */
  private async grantable(actor: Identity, tenantId: string, roleName: string): Promise<RoleDefinition> {
    const role = await this.role(tenantId, roleName);
    if (!role) throw kernelError("KERNEL_ROLE_NOT_FOUND", `no role "${roleName}" in this tenant`);
    if (!mayGrant(actor.permissions, role.permissions)) {
      throw kernelError("KERNEL_FORBIDDEN", `you cannot give the role "${roleName}": it grants permissions you do not hold`);
    }
    return role;
  }

  async addMember(actor: Identity, tenantId: string, email: string, roleName: string): Promise<Member> {
    await this.grantable(actor, tenantId, roleName);
    const user = await this.db("kernel.users").where({ email: email.toLowerCase() }).first("id", "email", "name");
    if (!user) throw kernelError("KERNEL_USER_NOT_FOUND", `no account with the email ${email}: they must sign up first`);
    await withTenant(this.db, tenantId, (trx) =>
      trx("kernel.memberships")
        .insert({ tenant_id: tenantId, user_id: user.id, role: roleName })
        .onConflict(["tenant_id", "user_id"])
        .merge({ role: roleName }),
    );
    this.forget();
    await this.audit.record({ tenantId, userId: actor.userId, action: "member.added", target: user.id, data: { role: roleName } });
    return (await this.members(tenantId)).find((m) => m.userId === user.id) as Member;
  }

  async setRole(actor: Identity, tenantId: string, userId: string, roleName: string): Promise<Member> {
    await this.grantable(actor, tenantId, roleName);
    await withTenant(this.db, tenantId, async (trx) => {
      const current = await trx("kernel.memberships").where({ user_id: userId }).first("role");
      if (!current) throw kernelError("KERNEL_MEMBER_NOT_FOUND", "no such member in this tenant");
      if (current.role === "owner" && !actor.permissions.includes("*")) throw kernelError("KERNEL_FORBIDDEN", "only an owner can change an owner's role");
      if (current.role === "owner" && roleName !== "owner") await this.keepAnOwner(trx, userId);
      await trx("kernel.memberships").where({ user_id: userId }).update({ role: roleName });
      await this.audit.record({ tenantId, userId: actor.userId, action: "role.changed", target: userId, data: { from: current.role, to: roleName } }, trx);
    });
    this.forget();
    return (await this.members(tenantId)).find((m) => m.userId === userId) as Member;
  }

  async removeMember(actor: Identity, tenantId: string, userId: string): Promise<void> {
    await withTenant(this.db, tenantId, async (trx) => {
      const current = await trx("kernel.memberships").where({ user_id: userId }).first("role");
      if (!current) throw kernelError("KERNEL_MEMBER_NOT_FOUND", "no such member in this tenant");
      if (current.role === "owner" && !actor.permissions.includes("*")) throw kernelError("KERNEL_FORBIDDEN", "only an owner can remove an owner");
      if (current.role === "owner") await this.keepAnOwner(trx, userId);
      await trx("kernel.memberships").where({ user_id: userId }).delete();
      await this.audit.record({ tenantId, userId: actor.userId, action: "member.removed", target: userId, data: { role: current.role } }, trx);
    });
    this.forget();
  }

  private async keepAnOwner(trx: Knex.Transaction, leaving: string) {
    const others = await trx("kernel.memberships").where({ role: "owner" }).whereNot({ user_id: leaving }).first("user_id");
    if (!others) throw kernelError("KERNEL_CONFLICT", "a tenant keeps at least one owner: make someone else owner first");
  }

  async createRole(actor: Identity, tenantId: string, name: string, description: string | null, permissions: string[]): Promise<RoleDefinition> {
    if ((await this.roles(tenantId)).some((r) => r.name === name)) throw kernelError("KERNEL_CONFLICT", `a role named "${name}" exists already`);
    if (!mayGrant(actor.permissions, permissions)) throw kernelError("KERNEL_FORBIDDEN", "a role you create cannot grant permissions you do not hold");
    await withTenant(this.db, tenantId, async (trx) => {
      await trx("kernel.roles").insert({ tenant_id: tenantId, name, description, permissions: JSON.stringify(permissions) });
      await this.audit.record({ tenantId, userId: actor.userId, action: "role.created", target: name, data: { permissions } }, trx);
    });
    return { name, description: description ?? "", permissions, source: "tenant" };
  }

  async deleteRole(actor: Identity, tenantId: string, name: string): Promise<void> {
    await withTenant(this.db, tenantId, async (trx) => {
      if (await trx("kernel.memberships").where({ role: name }).first("user_id")) throw kernelError("KERNEL_CONFLICT", `members still have the role "${name}"`);
      const n = await trx("kernel.roles").where({ name }).delete();
      if (n === 0) throw kernelError("KERNEL_ROLE_NOT_FOUND", `no custom role "${name}" in this tenant`);
      await this.audit.record({ tenantId, userId: actor.userId, action: "role.deleted", target: name }, trx);
    });
    this.forget();
  }
}
