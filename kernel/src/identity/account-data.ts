import path from "node:path";
import type { Knex } from "knex";
import { kernelError } from "../errors.js";
import type { JobService } from "../jobs/job-service.js";
import type { Logger } from "../logger.js";
import type { Identity, JobContext, JobRecord } from "../sdk/context.js";
import type { BlobStore } from "../storage/blob-store.js";
import type { MembershipService } from "../tenancy/memberships.js";
import { withTenant } from "../tenancy/tenant-db.js";
import { verifyPassword } from "./accounts/passwords.js";
import type { AuditLog } from "./audit-log.js";
import type { SessionService } from "./tokens/session-service.js";

export const ACCOUNT_EXPORT_JOB = "kernel.account-export";

interface ExportPayload {
  userId: string;
}

interface ExportResult {
  prefix: string;
  files: string[];
}

/**
 * GDPR: a user's export (their rows as JSON plus the files of the assets they uploaded, made by a
 * job with progress) and the deletion of their account (their rows and the blobs of tenants only
 * they belonged to go; the audit trail stays).
 */
export class AccountData {
  constructor(
    private readonly db: Knex,
    private readonly blobs: BlobStore,
    private readonly jobs: JobService,
    private readonly memberships: MembershipService,
    private readonly sessions: SessionService,
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {}

  registerJobs() {
    this.jobs.declare("kernel", { [ACCOUNT_EXPORT_JOB]: { concurrency: 1, attempts: 2, description: "A user's data export (GDPR)" } });
    this.jobs.setProcessor("kernel", ACCOUNT_EXPORT_JOB, (job) => this.export(job as JobContext<ExportPayload>));
  }

  async requestExport(actor: Identity): Promise<JobRecord> {
    if (!actor.userId) throw kernelError("KERNEL_FORBIDDEN", "only a signed-in user has an account to export");
    const job = await this.jobs.enqueue("kernel", ACCOUNT_EXPORT_JOB, { userId: actor.userId }, { tenantId: actor.tenantId, userId: actor.userId });
    await this.audit.record({ tenantId: actor.tenantId, userId: actor.userId, action: "account.export-requested", target: job.id });
    return job;
  }

  private async export(job: JobContext<ExportPayload>): Promise<ExportResult> {
    const { userId } = job.payload;
    const user = await this.db("kernel.users").where({ id: userId }).first("id", "email", "name", "email_verified_at", "created_at");
    if (!user) throw Object.assign(kernelError("KERNEL_USER_NOT_FOUND", "the account no longer exists"), { retryable: false });
    const tenants = await this.memberships.tenantsOf(userId);
    const perTenant = [];
    const files: { key: string; to: string }[] = [];
    const prefix = `exports/${userId}/${job.id}`;
    for (const t of tenants.filter((x) => x.via === "member")) {
      const part = await withTenant(this.db, t.id, async (trx) => {
        const assets = await trx("kernel.assets").where({ owner_user_id: userId }).orderBy("created_at");
        const versions = assets.length
          ? await trx("kernel.asset_versions")
              .whereIn(
                "asset_id",
                assets.map((a: { id: string }) => a.id),
              )
              .orderBy(["asset_id", "version"])
          : [];
        return {
          tenant: { id: t.id, name: t.name, role: t.role },
          assets,
          versions: versions.map(({ blob_key: _k, ...v }: Record<string, unknown>) => v),
          apiKeys: (await trx("kernel.api_keys").where({ created_by: userId })).map(({ key_hash: _h, ...k }: Record<string, unknown>) => k),
          audit: await trx("kernel.audit_log").where({ user_id: userId }).orderBy("id"),
          keys: versions.map((v: { asset_id: string; version: number; blob_key: string }) => ({
            key: v.blob_key,
            to: `files/${v.asset_id}/v${v.version}${path.extname(v.blob_key)}`,
          })),
        };
      });
      const { keys, ...rest } = part;
      files.push(...keys);
      perTenant.push(rest);
    }
    await job.progress(0.2);
    const copied: string[] = [];
    for (const [i, f] of files.entries()) {
      if (job.signal.aborted) throw new Error("cancelled");
      try {
        await this.blobs.copy(f.key, `${prefix}/${f.to}`);
        copied.push(f.to);
      } catch (err) {
        this.log.warn({ err, jobId: job.id }, "an asset file is missing from the export");
      }
      await job.progress(0.2 + (0.7 * (i + 1)) / files.length);
    }
    const sessions = await this.db("kernel.sessions")
      .where({ user_id: userId })
      .select("id", "current_tenant_id", "user_agent", "ip", "created_at", "last_used_at", "revoked_at");
    const document = { exportedAt: new Date().toISOString(), user, sessions, tenants: perTenant, files: copied };
    await this.blobs.put(`${prefix}/account.json`, Buffer.from(JSON.stringify(document, null, 2)), { contentType: "application/json" });
    await job.progress(1);
    return { prefix, files: ["account.json", ...copied] };
  }

  /** Download links of a finished export of the caller's. */
  async exportLinks(actor: Identity, jobId: string): Promise<{ status: string; progress: number; files: { name: string; url: string }[] }> {
    const job = await this.jobs.get(jobId, actor.tenantId);
    if (!job || job.type !== ACCOUNT_EXPORT_JOB || job.userId !== actor.userId) throw kernelError("KERNEL_JOB_NOT_FOUND", "no export of yours with this id");
    if (job.status !== "succeeded") return { status: job.status, progress: job.progress, files: [] };
    const result = job.result as ExportResult;
    const files = await Promise.all(
      result.files.map(async (name) => ({
        name,
        url: await this.blobs.presignGet(`${result.prefix}/${name}`, { expiresIn: 3600, filename: path.basename(name) }),
      })),
    );
    return { status: job.status, progress: job.progress, files };
  }

  /**
   * Deletes the caller's account. Tenants where they are the only member go with all their data
   * and blobs; in shared tenants their membership goes and their assets stay with the tenant. A
   * tenant they alone own, shared with others, must get another owner first.
   */
  async deleteAccount(actor: Identity, password: string): Promise<{ tenantsDeleted: string[] }> {
    if (!actor.userId || actor.via !== "session") throw kernelError("KERNEL_FORBIDDEN", "sign in with your password to delete your account");
    const userId = actor.userId;
    const user = await this.db("kernel.users").where({ id: userId }).first("password_hash");
    if (!user || !(await verifyPassword(user.password_hash, password))) throw kernelError("KERNEL_INVALID_CREDENTIALS", "the password is wrong");
    const own = (await this.memberships.tenantsOf(userId)).filter((t) => t.via === "member");
    const alone: string[] = [];
    const shared: string[] = [];
    for (const t of own) {
      const members = await this.memberships.members(t.id);
      if (members.length === 1) alone.push(t.id);
      else {
        if (t.role === "owner" && !members.some((m) => m.userId !== userId && m.role === "owner")) {
          throw kernelError("KERNEL_CONFLICT", `you are the only owner of "${t.name}", which has other members: make one of them owner first`);
        }
        shared.push(t.id);
      }
    }
    for (const tenantId of shared) {
      await this.audit.record({ tenantId, userId, action: "account.deleted", target: userId });
      await withTenant(this.db, tenantId, async (trx) => {
        await trx("kernel.api_keys").where({ created_by: userId }).whereNull("revoked_at").update({ revoked_at: trx.fn.now() });
        await trx("kernel.assets").where({ owner_user_id: userId }).update({ owner_user_id: null });
      });
    }
    await this.sessions.revokeAll(userId, "account deleted");
    for (const tenantId of alone) {
      await this.blobs.deletePrefix(`tenants/${tenantId}/`);
      await this.db("kernel.tenants").where({ id: tenantId }).delete();
    }
    await this.blobs.deletePrefix(`exports/${userId}/`);
    await this.db("kernel.users").where({ id: userId }).delete();
    this.memberships.forget();
    this.log.info({ userId, tenantsDeleted: alone.length }, "account deleted");
    return { tenantsDeleted: alone };
  }
}
