import { createHash, randomBytes } from "node:crypto";
import type { Knex } from "knex";
import { kernelError } from "../../errors.js";
import type { AuditLog } from "../audit-log.js";

export interface Session {
  id: string;
  userId: string;
  tenantId: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export const sha256 = (value: string) => createHash("sha256").update(value).digest("base64url");
const REFRESH_PREFIX = "crr_";

function toSession(r: Record<string, unknown>): Session {
  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    id: r.id as string,
    userId: r.user_id as string,
    tenantId: r.current_tenant_id as string,
    userAgent: (r.user_agent as string) ?? null,
    ip: (r.ip as string) ?? null,
    createdAt: iso(r.created_at) as string,
    lastUsedAt: iso(r.last_used_at) as string,
    expiresAt: iso(r.expires_at) as string,
    revokedAt: iso(r.revoked_at),
    revokedReason: (r.revoked_reason as string) ?? null,
  };
}

/**
 * Sessions and their refresh tokens. Each session is one token family: every refresh spends the
 * token it was given and hands out the next; presenting a spent token again means it was copied,
 * so the whole family (the session) is revoked.
 */
export class SessionService {
  private readonly live = new Map<string, { at: number; active: boolean }>();

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditLog,
    private readonly lifetimeMs: number,
  ) {}

  async create(userId: string, tenantId: string, client: ClientInfo): Promise<{ session: Session; refreshToken: string }> {
    return this.db.transaction(async (trx) => {
      const [row] = await trx("kernel.sessions")
        .insert({
          user_id: userId,
          current_tenant_id: tenantId,
          ip: client.ip,
          user_agent: client.userAgent?.slice(0, 300) ?? null,
          expires_at: new Date(Date.now() + this.lifetimeMs),
        })
        .returning("*");
      const session = toSession(row);
      return { session, refreshToken: await this.issue(trx, session) };
    });
  }

  private async issue(trx: Knex.Transaction, session: Session): Promise<string> {
    const token = REFRESH_PREFIX + randomBytes(32).toString("base64url");
    await trx("kernel.refresh_tokens").insert({ session_id: session.id, token_hash: sha256(token), expires_at: new Date(session.expiresAt) });
    return token;
  }

  /** Spends a refresh token and returns the next one; reuse of a spent token revokes its session. */
  async rotate(token: string, client: ClientInfo): Promise<{ session: Session; refreshToken: string }> {
    if (!token.startsWith(REFRESH_PREFIX)) throw kernelError("KERNEL_REFRESH_INVALID", "this is not a refresh token");
    const outcome = await this.db.transaction(async (trx) => {
      const row = await trx("kernel.refresh_tokens as r")
        .join("kernel.sessions as s", "s.id", "r.session_id")
        .where("r.token_hash", sha256(token))
        .first("r.id as token_id", "r.used_at", "r.expires_at as token_expires_at", "s.*");
      if (!row) return { error: "unknown" as const };
      const session = toSession(row);
      if (session.revokedAt) return { error: "revoked" as const, session };
      if (new Date(row.token_expires_at).getTime() <= Date.now()) return { error: "expired" as const, session };
      // Claim the token atomically: of two requests with the same token only one gets it.
      const claimed = await trx("kernel.refresh_tokens").where({ id: row.token_id }).whereNull("used_at").update({ used_at: trx.fn.now() });
      if (claimed === 0) {
        await trx("kernel.sessions").where({ id: session.id }).update({ revoked_at: trx.fn.now(), revoked_reason: "refresh token reused" });
        return { error: "reused" as const, session };
      }
      await trx("kernel.sessions")
        .where({ id: session.id })
        .update({ last_used_at: trx.fn.now(), ip: client.ip ?? session.ip });
      return { session, refreshToken: await this.issue(trx, session) };
    });
    if ("error" in outcome) {
      if (outcome.error === "reused" && outcome.session) {
        this.live.delete(outcome.session.id);
        await this.audit.record({
          tenantId: outcome.session.tenantId,
          userId: outcome.session.userId,
          action: "session.refresh-reused",
          target: outcome.session.id,
          ip: client.ip,
          data: { revoked: true },
        });
        throw kernelError("KERNEL_REFRESH_REUSED", "this refresh token was already used: the session has been revoked, sign in again");
      }
      throw kernelError("KERNEL_REFRESH_INVALID", outcome.error === "unknown" ? "unknown refresh token" : `the session is ${outcome.error}: sign in again`);
    }
    return outcome;
  }

  /** Whether a session can still be used (not revoked, not expired); cached for 2 s. */
  async isActive(sessionId: string): Promise<boolean> {
    const hit = this.live.get(sessionId);
    if (hit && Date.now() - hit.at < 2000) return hit.active;
    const row = await this.db("kernel.sessions").where({ id: sessionId }).first("revoked_at", "expires_at");
    const active = Boolean(row && !row.revoked_at && new Date(row.expires_at).getTime() > Date.now());
    this.live.set(sessionId, { at: Date.now(), active });
    if (this.live.size > 50_000) this.live.clear();
    return active;
  }

  async get(sessionId: string): Promise<Session | null> {
    const row = await this.db("kernel.sessions").where({ id: sessionId }).first();
    return row ? toSession(row) : null;
  }

  /** The user's sessions that can still be used, newest first. */
  async list(userId: string): Promise<Session[]> {
    const rows = await this.db("kernel.sessions")
      .where({ user_id: userId })
      .whereNull("revoked_at")
      .where("expires_at", ">", new Date())
      .orderBy("created_at", "desc");
    return rows.map(toSession);
  }

  async revoke(userId: string, sessionId: string, reason: string): Promise<boolean> {
    const n = await this.db("kernel.sessions")
      .where({ id: sessionId, user_id: userId })
      .whereNull("revoked_at")
      .update({ revoked_at: this.db.fn.now(), revoked_reason: reason });
    this.live.delete(sessionId);
    return n > 0;
  }

  /** Revokes every session of a user but `keep` (after a password change or reset). */
  async revokeAll(userId: string, reason: string, keep?: string): Promise<number> {
    const q = this.db("kernel.sessions").where({ user_id: userId }).whereNull("revoked_at");
    if (keep) q.whereNot({ id: keep });
    const ids: string[] = (await q.clone().select("id")).map((r: { id: string }) => r.id);
    await q.update({ revoked_at: this.db.fn.now(), revoked_reason: reason });
    for (const id of ids) this.live.delete(id);
    return ids.length;
  }

  async switchTenant(sessionId: string, tenantId: string): Promise<void> {
    await this.db("kernel.sessions").where({ id: sessionId }).update({ current_tenant_id: tenantId });
  }
}
