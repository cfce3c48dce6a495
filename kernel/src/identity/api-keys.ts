import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Knex } from "knex";
import { kernelError } from "../errors.js";
import type { Identity } from "../sdk/context.js";
import { withTenant } from "../tenancy/tenant-db.js";
import type { AuditLog } from "./audit-log.js";
import { mayGrant } from "./permissions.js";
import { sha256 } from "./tokens/session-service.js";

export interface ApiKey {
  id: string;
  name: string;
  /** The key's visible start (`crk_<id>`), to tell keys apart; never enough to use it. */
  prefix: string;
  permissions: string[];
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

const PREFIX = "crk_";
const LAST_USED_EVERY_MS = 60_000;

function toKey(r: Record<string, unknown>): ApiKey {
  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    id: r.id as string,
    name: r.name as string,
    prefix: `${PREFIX}${(r.id as string).replaceAll("-", "")}`,
    permissions: r.permissions as string[],
    createdBy: (r.created_by as string) ?? null,
    createdAt: iso(r.created_at) as string,
    lastUsedAt: iso(r.last_used_at),
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
  };
}

/**
 * API keys for integrations: scoped to one tenant and a set of permissions (no more than their
 * creator holds), shown once as `crk_<id>_<secret>`, stored as a hash of the secret.
 */
export class ApiKeyService {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditLog,
  ) {}

  async create(actor: Identity, input: { name: string; permissions: string[]; expiresAt?: string | null }): Promise<{ key: ApiKey; secret: string }> {
    if (!mayGrant(actor.permissions, input.permissions)) throw kernelError("KERNEL_FORBIDDEN", "an API key cannot have permissions you do not hold");
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw kernelError("KERNEL_VALIDATION", "expiresAt must be in the future");
    const secret = randomBytes(32).toString("base64url");
    const row = await withTenant(this.db, actor.tenantId, async (trx) => {
      const [r] = await trx("kernel.api_keys")
        .insert({
          tenant_id: actor.tenantId,
          name: input.name,
          key_hash: sha256(secret),
          permissions: JSON.stringify(input.permissions),
          created_by: actor.userId,
          expires_at: expiresAt,
        })
        .returning("*");
      await this.audit.record(
        { tenantId: actor.tenantId, userId: actor.userId, action: "api-key.created", target: r.id, data: { name: input.name, permissions: input.permissions } },
        trx,
      );
      return r;
    });
    const key = toKey(row);
    return { key, secret: `${key.prefix}_${secret}` };
  }

  async list(tenantId: string): Promise<ApiKey[]> {
    const rows = await withTenant(this.db, tenantId, (trx) => trx("kernel.api_keys").orderBy("created_at", "desc"));
    return rows.map(toKey);
  }

  async revoke(actor: Identity, keyId: string): Promise<ApiKey> {
    return withTenant(this.db, actor.tenantId, async (trx) => {
      if (!/^[0-9a-f-]{36}$/i.test(keyId)) throw kernelError("KERNEL_API_KEY_NOT_FOUND", "no such API key in this tenant");
      const [r] = await trx("kernel.api_keys")
        .where({ id: keyId })
        .update({ revoked_at: trx.raw("coalesce(revoked_at, now())") })
        .returning("*");
      if (!r) throw kernelError("KERNEL_API_KEY_NOT_FOUND", "no such API key in this tenant");
      await this.audit.record({ tenantId: actor.tenantId, userId: actor.userId, action: "api-key.revoked", target: keyId }, trx);
      return toKey(r);
    });
  }

  /** The identity a presented key stands for, or null when it is unknown, revoked or expired. */
  async resolve(presented: string): Promise<Identity | null> {
    const match = /^crk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/.exec(presented);
    if (!match) return null;
    const [, hex, secret] = match as unknown as [string, string, string];
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    // The tenant is not known before the key is found: a system read by primary key.
    const row = await this.db("kernel.api_keys").where({ id }).first();
    if (!row) return null;
    const a = Buffer.from(row.key_hash as string);
    const b = Buffer.from(sha256(secret));
    if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
    if (row.revoked_at || (row.expires_at && new Date(row.expires_at).getTime() <= Date.now())) return null;
    const last = this.touched.get(id) ?? 0;
    if (Date.now() - last > LAST_USED_EVERY_MS) {
      this.touched.set(id, Date.now());
      await this.db("kernel.api_keys").where({ id }).update({ last_used_at: this.db.fn.now() });
    }
    return { userId: row.created_by ?? null, tenantId: row.tenant_id, permissions: row.permissions as string[], via: "api-key", credentialId: id };
  }
}
