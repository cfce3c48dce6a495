import { randomBytes } from "node:crypto";
import type { Knex } from "knex";
import { kernelError } from "../../errors.js";
import type { MembershipService } from "../../tenancy/memberships.js";
import type { Tenant, TenantService } from "../../tenancy/tenant-service.js";
import type { AuditLog } from "../audit-log.js";
import type { NotificationChannel } from "../notifier.js";
import type { AccessTokens } from "../tokens/access-tokens.js";
import { type ClientInfo, type Session, type SessionService, sha256 } from "../tokens/session-service.js";
import { checkPasswordPolicy, hashPassword, verifyPassword } from "./passwords.js";
import type { SignInLimiter } from "./sign-in-limiter.js";

export interface User {
  id: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  createdAt: string;
}

export interface SignedIn {
  user: User;
  tenant: Tenant;
  session: Session;
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
}

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  email_verified_at: Date | null;
  locked_until: Date | null;
  failed_sign_ins: number;
  created_at: Date;
}

const RESET_TTL_MS = 60 * 60 * 1000;
const VERIFY_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export function toUser(r: UserRow): User {
  return { id: r.id, email: r.email, name: r.name, emailVerified: Boolean(r.email_verified_at), createdAt: new Date(r.created_at).toISOString() };
}

export interface AccountDeps {
  db: Knex;
  tenants: TenantService;
  memberships: MembershipService;
  sessions: SessionService;
  tokens: AccessTokens;
  limiter: SignInLimiter;
  notifier: NotificationChannel;
  audit: AuditLog;
  /** Origin of the studio, for links in notifications. */
  publicUrl: string | null;
}

/** Accounts: sign-up, sign-in and out, passwords (argon2id), resets and email verification. */
export class AccountService {
  constructor(private readonly d: AccountDeps) {}

  private users() {
    return this.d.db("kernel.users");
  }

  async get(userId: string): Promise<User | null> {
    const row = await this.users().where({ id: userId }).first();
    return row ? toUser(row) : null;
  }

  /**
   * Creates an account with its own tenant (the user its owner) and mails an email verification
   * link. The installation's first account becomes the owner of the default tenant instead.
   */
  async signUp(input: { email: string; password: string; name?: string; tenantName?: string }, client: ClientInfo): Promise<{ user: User; tenant: Tenant }> {
    const email = input.email.trim().toLowerCase();
    checkPasswordPolicy(input.password);
    const passwordHash = await hashPassword(input.password);
    const { user, tenant } = await this.d.db.transaction(async (trx) => {
      const [row] = await trx("kernel.users")
        .insert({ email, name: input.name ?? null, password_hash: passwordHash })
        .onConflict("email")
        .ignore()
        .returning("*");
      if (!row) throw kernelError("KERNEL_EMAIL_TAKEN", "an account with this email exists already: sign in, or reset its password");
      // The first account of an installation takes the default tenant (and what local mode made in it).
      await trx.raw("select pg_advisory_xact_lock(hashtext('crealia:first-owner'))");
      const anyone = await trx("kernel.memberships").first("user_id");
      const fallback = this.d.tenants.defaultTenant;
      const tenant =
        !anyone && fallback
          ? fallback
          : await this.d.tenants.create(`t-${randomBytes(6).toString("hex")}`, input.tenantName ?? `${input.name ?? email.split("@")[0]}'s studio`, {}, trx);
      await trx("kernel.memberships").insert({ tenant_id: tenant.id, user_id: row.id, role: "owner" });
      return { user: toUser(row), tenant };
    });
    this.d.memberships.forget();
    await this.d.audit.record({ tenantId: tenant.id, userId: user.id, action: "account.signed-up", ip: client.ip });
    await this.sendVerification(user);
    return { user, tenant };
  }

  /** Checks the password under the rate limits and the lock, then opens a session in a tenant of the user's. */
  async signIn(input: { email: string; password: string; tenantId?: string }, client: ClientInfo): Promise<SignedIn> {
    const email = input.email.trim().toLowerCase();
    const ip = client.ip ?? "unknown";
    await this.d.limiter.check(email, ip);
    const row: UserRow | undefined = await this.users().where({ email }).first();
    if (row?.locked_until && new Date(row.locked_until).getTime() > Date.now()) {
      throw kernelError(
        "KERNEL_ACCOUNT_LOCKED",
        `this account is locked after too many failed sign-ins, until ${new Date(row.locked_until).toISOString()}: reset the password to unlock it now`,
        { lockedUntil: new Date(row.locked_until).toISOString() },
      );
    }
    const ok = await verifyPassword(row?.password_hash ?? null, input.password);
    if (!row || !ok) {
      await this.d.limiter.failed(email, ip);
      if (row) await this.failedFor(row, client);
      throw kernelError("KERNEL_INVALID_CREDENTIALS", "the email or the password is wrong");
    }
    await this.d.limiter.succeeded(email);
    if (row.failed_sign_ins > 0 || row.locked_until) await this.users().where({ id: row.id }).update({ failed_sign_ins: 0, locked_until: null });
    const tenants = await this.d.memberships.tenantsOf(row.id);
    const tenant = (input.tenantId ? tenants.find((t) => t.id === input.tenantId) : tenants[0]) ?? null;
    if (!tenant) throw kernelError("KERNEL_FORBIDDEN", input.tenantId ? "you are not a member of that tenant" : "this account belongs to no tenant");
    const { session, refreshToken } = await this.d.sessions.create(row.id, tenant.id, client);
    const access = await this.d.tokens.sign({ sub: row.id, sid: session.id, tid: tenant.id });
    await this.d.audit.record({ tenantId: tenant.id, userId: row.id, action: "signed-in", target: session.id, ip: client.ip });
    const { role: _role, via: _via, ...plain } = tenant;
    return { user: toUser(row), tenant: plain, session, accessToken: access.token, accessTokenExpiresAt: access.expiresAt.toISOString(), refreshToken };
  }

  private async failedFor(row: UserRow, client: ClientInfo) {
    const lockAfter = this.d.limiter.limits.lockAfter;
    const failures = row.failed_sign_ins + 1;
    const lock = failures >= lockAfter ? new Date(Date.now() + this.d.limiter.limits.lockMinutes * 60_000) : null;
    await this.users()
      .where({ id: row.id })
      .update({ failed_sign_ins: failures, ...(lock ? { locked_until: lock } : {}) });
    const [home] = await this.d.memberships.tenantsOf(row.id);
    if (home) {
      await this.d.audit.record({ tenantId: home.id, userId: row.id, action: lock ? "account.locked" : "sign-in.failed", ip: client.ip, data: { failures } });
    }
  }

  /** Spends a refresh token for a new access token and the next refresh token. */
  async refresh(refreshToken: string, client: ClientInfo): Promise<Omit<SignedIn, "user" | "tenant"> & { tenantId: string; userId: string }> {
    const { session, refreshToken: next } = await this.d.sessions.rotate(refreshToken, client);
    const access = await this.d.tokens.sign({ sub: session.userId, sid: session.id, tid: session.tenantId });
    return {
      session,
      userId: session.userId,
      tenantId: session.tenantId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt.toISOString(),
      refreshToken: next,
    };
  }

  async signOut(userId: string, sessionId: string, tenantId: string, client: ClientInfo): Promise<void> {
    if (await this.d.sessions.revoke(userId, sessionId, "signed out")) {
      await this.d.audit.record({ tenantId, userId, action: "signed-out", target: sessionId, ip: client.ip });
    }
  }

  /** Switches the session to another tenant the user can act in; gives an access token for it. */
  async switchTenant(userId: string, sessionId: string, tenantId: string): Promise<{ tenant: Tenant; accessToken: string; accessTokenExpiresAt: string }> {
    const access = await this.d.memberships.access(userId, tenantId);
    const tenant = access ? await this.d.tenants.get(tenantId) : null;
    if (!access || !tenant) throw kernelError("KERNEL_TENANT_NOT_FOUND", "no such tenant among yours");
    await this.d.sessions.switchTenant(sessionId, tenantId);
    const token = await this.d.tokens.sign({ sub: userId, sid: sessionId, tid: tenantId });
    await this.d.audit.record({ tenantId, userId, action: "tenant.switched-in", target: sessionId });
    return { tenant, accessToken: token.token, accessTokenExpiresAt: token.expiresAt.toISOString() };
  }

  /** Changes the password; every other session of the user is signed out. */
  async changePassword(userId: string, sessionId: string | null, tenantId: string, current: string, next: string, client: ClientInfo): Promise<void> {
    const row: UserRow | undefined = await this.users().where({ id: userId }).first();
    if (!row || !(await verifyPassword(row.password_hash, current))) throw kernelError("KERNEL_INVALID_CREDENTIALS", "the current password is wrong");
    checkPasswordPolicy(next);
    await this.users()
      .where({ id: userId })
      .update({ password_hash: await hashPassword(next), updated_at: this.d.db.fn.now() });
    const revoked = await this.d.sessions.revokeAll(userId, "password changed", sessionId ?? undefined);
    await this.d.audit.record({ tenantId, userId, action: "password.changed", ip: client.ip, data: { sessionsRevoked: revoked } });
  }

  /** Sends a reset link when the account exists; says nothing either way. */
  async requestPasswordReset(emailInput: string, client: ClientInfo): Promise<void> {
    const email = emailInput.trim().toLowerCase();
    const row: UserRow | undefined = await this.users().where({ email }).first();
    if (!row || !(await this.d.limiter.mayMail(email))) return;
    const token = await this.oneTimeToken(row.id, "reset", RESET_TTL_MS);
    const link = `${this.d.publicUrl ?? ""}/reset-password?token=${token}`;
    await this.d.notifier.send({
      to: email,
      kind: "password-reset",
      subject: "Reset your Crealia password",
      text: `Someone asked to reset the password of this account. If it was you, open ${link} within an hour. If not, ignore this message.`,
      data: { token, link },
    });
    const [home] = await this.d.memberships.tenantsOf(row.id);
    if (home) await this.d.audit.record({ tenantId: home.id, userId: row.id, action: "password.reset-requested", ip: client.ip });
  }

  /** Sets a new password from a reset token; unlocks the account and signs out every session. */
  async resetPassword(token: string, password: string, client: ClientInfo): Promise<void> {
    checkPasswordPolicy(password);
    const userId = await this.spendToken(token, "reset");
    await this.users()
      .where({ id: userId })
      .update({ password_hash: await hashPassword(password), failed_sign_ins: 0, locked_until: null, updated_at: this.d.db.fn.now() });
    const revoked = await this.d.sessions.revokeAll(userId, "password reset");
    const [home] = await this.d.memberships.tenantsOf(userId);
    if (home) await this.d.audit.record({ tenantId: home.id, userId, action: "password.reset", ip: client.ip, data: { sessionsRevoked: revoked } });
  }

  async sendVerification(user: Pick<User, "id" | "email">): Promise<void> {
    if (!(await this.d.limiter.mayMail(user.email))) return;
    const token = await this.oneTimeToken(user.id, "verify", VERIFY_TTL_MS);
    const link = `${this.d.publicUrl ?? ""}/verify-email?token=${token}`;
    await this.d.notifier.send({
      to: user.email,
      kind: "email-verification",
      subject: "Confirm your email for Crealia",
      text: `Open ${link} to confirm this email address.`,
      data: { token, link },
    });
  }

  async verifyEmail(token: string): Promise<User> {
    const userId = await this.spendToken(token, "verify");
    const [row] = await this.users().where({ id: userId }).update({ email_verified_at: this.d.db.fn.now() }).returning("*");
    return toUser(row);
  }

  private async oneTimeToken(userId: string, purpose: "reset" | "verify", ttlMs: number): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    // A new token of a purpose replaces the older unspent ones.
    await this.d.db("kernel.account_tokens").where({ user_id: userId, purpose }).whereNull("used_at").delete();
    await this.d.db("kernel.account_tokens").insert({ user_id: userId, purpose, token_hash: sha256(token), expires_at: new Date(Date.now() + ttlMs) });
    return token;
  }

  private async spendToken(token: string, purpose: "reset" | "verify"): Promise<string> {
    const [row] = await this.d
      .db("kernel.account_tokens")
      .where({ token_hash: sha256(token), purpose })
      .whereNull("used_at")
      .where("expires_at", ">", new Date())
      .update({ used_at: this.d.db.fn.now() })
      .returning("user_id");
    if (!row) throw kernelError("KERNEL_TOKEN_INVALID", "this link is invalid, used or expired: ask for a new one");
    return row.user_id;
  }
}
