import type { Knex } from "knex";
import type { KernelConfig } from "../config.js";
import type { JobService } from "../jobs/job-service.js";
import { kernelSecret } from "../kernel-secret.js";
import type { Logger } from "../logger.js";
import type { PluginRuntime } from "../plugins/plugin-runtime.js";
import { SecretBox } from "../secret-box.js";
import type { BlobStore } from "../storage/blob-store.js";
import { BundleService } from "../tenancy/bundles.js";
import { MembershipService } from "../tenancy/memberships.js";
import { TenantPlugins } from "../tenancy/tenant-plugins.js";
import type { TenantService } from "../tenancy/tenant-service.js";
import { AccountData } from "./account-data.js";
import { AccountService } from "./accounts/account-service.js";
import { DEFAULT_SIGN_IN_LIMITS, SignInLimiter, type SignInLimits } from "./accounts/sign-in-limiter.js";
import { ApiKeyService } from "./api-keys.js";
import { AuditLog } from "./audit-log.js";
import { LogNotificationChannel, type NotificationChannel } from "./notifier.js";
import { OAuthConnections } from "./oauth/oauth-connections.js";
import { AccessTokens } from "./tokens/access-tokens.js";
import { SessionService } from "./tokens/session-service.js";
import { SigningKeys } from "./tokens/signing-keys.js";
import { TokenIdentityResolver } from "./tokens/token-identity-resolver.js";

export interface IdentityOptions {
  /** Access-token lifetime; default 10 minutes. */
  accessTokenTtlSeconds?: number;
  /** How long a session (refresh-token family) lasts without signing in again; default 30 days. */
  sessionDays?: number;
  /** How long one JWT signing key signs before the next; default 30 days. */
  keyRotationDays?: number;
  signInLimits?: Partial<SignInLimits>;
  /** Where password-reset and verification messages go; default: the log. */
  notifier?: NotificationChannel;
}

export interface IdentityDeps {
  db: Knex;
  config: KernelConfig;
  tenants: TenantService;
  runtime: PluginRuntime;
  jobs: JobService;
  blobs: BlobStore;
  log: Logger;
  /** Redis key prefix for the shared sign-in counters. */
  redisPrefix: string;
}

/** The kernel's identity and tenancy services, wired together. */
export class IdentityServices {
  readonly audit: AuditLog;
  readonly keys: SigningKeys;
  readonly tokens: AccessTokens;
  readonly sessions: SessionService;
  readonly limiter: SignInLimiter;
  readonly memberships: MembershipService;
  readonly accounts: AccountService;
  readonly apiKeys: ApiKeyService;
  readonly tenantPlugins: TenantPlugins;
  readonly bundles: BundleService;
  readonly oauth: OAuthConnections;
  readonly accountData: AccountData;
  readonly resolver: TokenIdentityResolver;
  readonly notifier: NotificationChannel;
  /** Whether cookies get the Secure flag: the public URL is https. */
  readonly secureCookies: boolean;
  readonly db: Knex;

  constructor(d: IdentityDeps, options: IdentityOptions = {}) {
    this.db = d.db;
    const secret = () => kernelSecret(d.config);
    // The secret is read lazily (it may be created on first use), so each box is made on demand.
    const box = (purpose: string) => {
      let made: SecretBox | null = null;
      const get = () => (made ??= new SecretBox(secret(), purpose));
      return { seal: (v: string, c?: string) => get().seal(v, c), open: (v: string, c?: string) => get().open(v, c) } as SecretBox;
    };
    const ttl = options.accessTokenTtlSeconds ?? 600;
    const day = 24 * 60 * 60 * 1000;
    this.audit = new AuditLog(d.db);
    this.keys = new SigningKeys(d.db, box("jwt-signing-keys"), { rotateAfterMs: (options.keyRotationDays ?? 30) * day, verifyGraceMs: (ttl + 300) * 1000 });
    this.tokens = new AccessTokens(this.keys, d.config.publicUrl ?? "crealia", ttl);
    this.sessions = new SessionService(d.db, this.audit, (options.sessionDays ?? 30) * day);
    this.limiter = new SignInLimiter(
      { ...DEFAULT_SIGN_IN_LIMITS, ...options.signInLimits },
      d.config.redisUrl ? { url: d.config.redisUrl, prefix: d.redisPrefix } : null,
    );
    this.memberships = new MembershipService(d.db, d.tenants, () => d.runtime.manifests, this.audit);
    this.notifier = options.notifier ?? new LogNotificationChannel(d.log.child({ component: "notifications" }));
    this.accounts = new AccountService({
      db: d.db,
      tenants: d.tenants,
      memberships: this.memberships,
      sessions: this.sessions,
      tokens: this.tokens,
      limiter: this.limiter,
      notifier: this.notifier,
      audit: this.audit,
      publicUrl: d.config.publicUrl,
    });
    this.apiKeys = new ApiKeyService(d.db, this.audit);
    this.tenantPlugins = new TenantPlugins(d.db, d.tenants, d.runtime, box("plugin-secrets"), this.audit);
    this.bundles = new BundleService(d.db, d.tenants, d.runtime, this.tenantPlugins, this.audit);
    this.oauth = new OAuthConnections(d.db, box("oauth-tokens"), this.audit, d.log.child({ component: "oauth" }));
    this.accountData = new AccountData(d.db, d.blobs, d.jobs, this.memberships, this.sessions, this.audit, d.log.child({ component: "account-data" }));
    this.resolver = new TokenIdentityResolver(this.tokens, this.sessions, this.memberships, this.apiKeys);
    this.secureCookies = (d.config.publicUrl ?? "").startsWith("https:");
  }

  async stop(): Promise<void> {
    await this.limiter.close();
  }
}
