import type { Knex } from "knex";
import { withTenant } from "../tenancy/tenant-db.js";

export interface AuditEvent {
  tenantId: string | null;
  userId: string | null;
  /** `sign-in`, `sign-in.failed`, `role.changed`, `api-key.created`, `plugin.enabled`, … */
  action: string;
  target?: string | null;
  ip?: string | null;
  data?: Record<string, unknown>;
}

export interface AuditEntry {
  id: string;
  userId: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  data: Record<string, unknown>;
  at: string;
}

/** The per-tenant log of security events. Entries outlive the accounts they name. */
export class AuditLog {
  constructor(private readonly db: Knex) {}

  async record(e: AuditEvent, trx?: Knex.Transaction): Promise<void> {
    const row = { tenant_id: e.tenantId, user_id: e.userId, action: e.action, target: e.target ?? null, ip: e.ip ?? null, data: e.data ?? {} };
    if (trx) await trx("kernel.audit_log").insert(row);
    else if (e.tenantId) await withTenant(this.db, e.tenantId, (t) => t("kernel.audit_log").insert(row));
    else await this.db("kernel.audit_log").insert(row);
  }

  async list(tenantId: string, options: { limit?: number; before?: string; action?: string } = {}): Promise<AuditEntry[]> {
    const rows = await withTenant(this.db, tenantId, (trx) => {
      const q = trx("kernel.audit_log")
        .orderBy("id", "desc")
        .limit(Math.min(500, options.limit ?? 100));
      if (options.before) q.where("id", "<", options.before);
      if (options.action) q.where({ action: options.action });
      return q.select("id", "user_id", "action", "target", "ip", "data", "at");
    });
    return rows.map((r: Record<string, unknown>) => ({
      id: String(r.id),
      userId: (r.user_id as string) ?? null,
      action: r.action as string,
      target: (r.target as string) ?? null,
      ip: (r.ip as string) ?? null,
      data: r.data as Record<string, unknown>,
      at: new Date(r.at as string).toISOString(),
    }));
  }
}
