import { createHash, randomBytes } from "node:crypto";
import type { Knex } from "knex";
import { kernelError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Identity, OAuthConnectionInfo, OAuthProviderConfig } from "../../sdk/context.js";
import type { SecretBox } from "../../secret-box.js";
import { withTenant } from "../../tenancy/tenant-db.js";
import type { AuditLog } from "../audit-log.js";
import { sha256 } from "../tokens/session-service.js";

type ProviderSource = OAuthProviderConfig | ((tenantId: string) => Promise<OAuthProviderConfig>);

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number | string;
  scope?: string;
  error?: string;
}

const STATE_TTL_MS = 10 * 60 * 1000;
/** A token that expires within this is refreshed before it is handed out. */
const REFRESH_SKEW_MS = 60 * 1000;

function toInfo(r: Record<string, unknown>): OAuthConnectionInfo {
  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    id: r.id as string,
    pluginId: r.plugin_id as string,
    provider: r.provider as string,
    status: r.status as OAuthConnectionInfo["status"],
    scope: (r.scope as string) ?? null,
    expiresAt: iso(r.expires_at),
    lastError: (r.last_error as string) ?? null,
    createdAt: iso(r.created_at) as string,
    updatedAt: iso(r.updated_at) as string,
  };
}

/** What a provider said, without anything that could be a token: its `error` code, trimmed. */
function providerError(status: number, body: TokenResponse | null): string {
  const code = typeof body?.error === "string" ? body.error.replace(/[^\w.-]/g, "").slice(0, 60) : "";
  return `the provider answered ${status}${code ? ` (${code})` : ""}`;
}

/**
 * OAuth2 connections of tenants to outside accounts, for plugins: the authorization-code flow
 * with PKCE (S256) and a single-use `state`, the callback, and a token vault. Tokens are sealed
 * with the kernel secret, handed only to the plugin that owns the connection (`ctx.oauth`),
 * refreshed shortly before they expire, and never put in an API response or a log line. When the
 * provider refuses a refresh the connection says `reconnect_needed` until the tenant connects again.
 */
export class OAuthConnections {
  private readonly providers = new Map<string, Map<string, ProviderSource>>();
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly db: Knex,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {}

  register(pluginId: string, name: string, source: ProviderSource) {
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(name)) throw kernelError("KERNEL_VALIDATION", `OAuth provider names are kebab-case (got "${name}")`);
    const mine = this.providers.get(pluginId) ?? new Map<string, ProviderSource>();
    mine.set(name, source);
    this.providers.set(pluginId, mine);
  }

  forgetPlugin(pluginId: string) {
    this.providers.delete(pluginId);
  }

  private async config(tenantId: string, pluginId: string, provider: string): Promise<OAuthProviderConfig> {
    const source = this.providers.get(pluginId)?.get(provider);
    if (!source) throw kernelError("KERNEL_OAUTH_PROVIDER_UNKNOWN", `${pluginId} has no OAuth provider "${provider}"`);
    return typeof source === "function" ? source(tenantId) : source;
  }

  /** Starts a connection: the URL to send the user to, with PKCE and a state remembered for the callback. */
  async begin(
    actor: Identity,
    pluginId: string,
    provider: string,
    options: { redirectUri: string; returnTo?: string | null },
  ): Promise<{ authorizationUrl: string }> {
    const config = await this.config(actor.tenantId, pluginId, provider);
    const state = randomBytes(32).toString("base64url");
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    await this.db("kernel.oauth_states").where("expires_at", "<", new Date()).delete();
    await this.db("kernel.oauth_states").insert({
      state_hash: sha256(state),
      tenant_id: actor.tenantId,
      user_id: actor.userId,
      plugin_id: pluginId,
      provider,
      code_verifier_enc: this.box.seal(verifier, "pkce"),
      redirect_uri: options.redirectUri,
      return_to: options.returnTo ?? null,
      expires_at: new Date(Date.now() + STATE_TTL_MS),
    });
    const url = new URL(config.authorizationUrl);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", config.clientId);
    url.searchParams.set("redirect_uri", options.redirectUri);
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", challenge);
    url.searchParams.set("code_challenge_method", "S256");
    if (config.scopes?.length) url.searchParams.set("scope", config.scopes.join(" "));
    for (const [k, v] of Object.entries(config.authorizationParams ?? {})) url.searchParams.set(k, v);
    return { authorizationUrl: url.toString() };
  }

  /** The callback: checks and spends the state, trades the code (with the PKCE verifier) for tokens and keeps them. */
  async complete(input: { state?: string; code?: string; error?: string }): Promise<{ connection: OAuthConnectionInfo; returnTo: string | null }> {
    if (!input.state) throw kernelError("KERNEL_OAUTH_STATE", "the callback has no state");
    // Single use: the row goes whatever happens next.
    const [pending] = await this.db("kernel.oauth_states")
      .where({ state_hash: sha256(input.state) })
      .delete()
      .returning("*");
    if (!pending || new Date(pending.expires_at).getTime() < Date.now())
      throw kernelError("KERNEL_OAUTH_STATE", "the state is unknown, used or expired: start connecting again");
    if (input.error || !input.code) {
      throw kernelError(
        "KERNEL_OAUTH_DENIED",
        `the provider did not authorize the connection${input.error ? ` (${input.error.replace(/[^\w.-]/g, "").slice(0, 60)})` : ""}`,
      );
    }
    const config = await this.config(pending.tenant_id, pending.plugin_id, pending.provider);
    const tokens = await this.tokenRequest(config, {
      grant_type: "authorization_code",
      code: input.code,
      redirect_uri: pending.redirect_uri,
      code_verifier: this.box.open(pending.code_verifier_enc, "pkce"),
    });
    if (!tokens.ok) throw kernelError("KERNEL_OAUTH_PROVIDER", `could not finish connecting: ${tokens.error}`);
    const connection = await withTenant(this.db, pending.tenant_id, async (trx) => {
      const values = {
        status: "connected",
        ...this.sealed(pending.tenant_id, pending.plugin_id, pending.provider, tokens.body, null),
        last_error: null,
        updated_at: trx.fn.now(),
      };
      const [row] = await trx("kernel.oauth_connections")
        .insert({ tenant_id: pending.tenant_id, plugin_id: pending.plugin_id, provider: pending.provider, created_by: pending.user_id, ...values })
        .onConflict(["tenant_id", "plugin_id", "provider"])
        .merge(values)
        .returning("*");
      await this.audit.record(
        { tenantId: pending.tenant_id, userId: pending.user_id, action: "oauth.connected", target: `${pending.plugin_id}/${pending.provider}` },
        trx,
      );
      return toInfo(row);
    });
    return { connection, returnTo: pending.return_to ?? null };
  }

  private sealed(tenantId: string, pluginId: string, provider: string, body: TokenResponse, previousRefresh: string | null) {
    const context = `${tenantId}:${pluginId}:${provider}`;
    const refresh = body.refresh_token ?? previousRefresh;
    const expiresIn = Number(body.expires_in);
    return {
      access_token_enc: this.box.seal(body.access_token as string, `${context}:access`),
      refresh_token_enc: refresh ? this.box.seal(refresh, `${context}:refresh`) : null,
      expires_at: Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(Date.now() + expiresIn * 1000) : null,
      ...(body.scope ? { scope: body.scope } : {}),
    };
  }

  private async tokenRequest(
    config: OAuthProviderConfig,
    params: Record<string, string>,
  ): Promise<{ ok: true; body: TokenResponse } | { ok: false; status: number; error: string }> {
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    const form = new URLSearchParams({ ...params, client_id: config.clientId });
    if (config.clientSecret) {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString("base64")}`;
    }
    let res: Response;
    try {
      res = await fetch(config.tokenUrl, { method: "POST", headers, body: form, signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      return { ok: false, status: 0, error: `the token endpoint is unreachable (${(err as Error).name})` };
    }
    const body = (await res.json().catch(() => null)) as TokenResponse | null;
    if (!res.ok || !body?.access_token) return { ok: false, status: res.status, error: providerError(res.status, body) };
    return { ok: true, body };
  }

  private async row(tenantId: string, pluginId: string, provider: string) {
    return withTenant(this.db, tenantId, (trx) => trx("kernel.oauth_connections").where({ plugin_id: pluginId, provider }).first());
  }

  async connection(tenantId: string, pluginId: string, provider: string): Promise<OAuthConnectionInfo | null> {
    const row = await this.row(tenantId, pluginId, provider);
    return row ? toInfo(row) : null;
  }

  async list(tenantId: string): Promise<OAuthConnectionInfo[]> {
    const rows = await withTenant(this.db, tenantId, (trx) => trx("kernel.oauth_connections").orderBy(["plugin_id", "provider"]));
    return rows.map(toInfo);
  }

  async byId(tenantId: string, id: string): Promise<OAuthConnectionInfo> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await withTenant(this.db, tenantId, (trx) => trx("kernel.oauth_connections").where({ id }).first()) : null;
    if (!row) throw kernelError("KERNEL_CONNECTION_NOT_FOUND", "no such connection in this tenant");
    return toInfo(row);
  }

  async disconnect(actor: Identity, id: string): Promise<void> {
    const info = await this.byId(actor.tenantId, id);
    await withTenant(this.db, actor.tenantId, async (trx) => {
      await trx("kernel.oauth_connections").where({ id }).delete();
      await this.audit.record(
        { tenantId: actor.tenantId, userId: actor.userId, action: "oauth.disconnected", target: `${info.pluginId}/${info.provider}` },
        trx,
      );
    });
  }

  /** A usable access token: the stored one, or a refreshed one when it expires within a minute (or `force`). */
  async accessToken(tenantId: string, pluginId: string, provider: string, options: { force?: boolean } = {}): Promise<string> {
    const row = await this.row(tenantId, pluginId, provider);
    if (!row) throw kernelError("KERNEL_OAUTH_NOT_CONNECTED", `this tenant has not connected ${pluginId}/${provider}`);
    if (row.status === "reconnect_needed") throw this.reconnect(pluginId, provider);
    const context = `${tenantId}:${pluginId}:${provider}`;
    const fresh = row.expires_at === null || new Date(row.expires_at).getTime() - REFRESH_SKEW_MS > Date.now();
    if (fresh && !options.force) return this.box.open(row.access_token_enc, `${context}:access`);
    // One refresh per connection at a time: concurrent callers share it.
    const key = `${context}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.refresh(tenantId, pluginId, provider, row).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private reconnect(pluginId: string, provider: string) {
    return kernelError(
      "KERNEL_OAUTH_RECONNECT_NEEDED",
      `the connection to ${pluginId}/${provider} needs to be made again: the provider no longer accepts its tokens`,
      {
        pluginId,
        provider,
        status: "reconnect_needed",
      },
    );
  }

  private async refresh(tenantId: string, pluginId: string, provider: string, row: Record<string, string | null>): Promise<string> {
    const context = `${tenantId}:${pluginId}:${provider}`;
    const refreshToken = row.refresh_token_enc ? this.box.open(row.refresh_token_enc, `${context}:refresh`) : null;
    if (!refreshToken) {
      await this.markReconnect(tenantId, pluginId, provider, "the access token expired and there is no refresh token");
      throw this.reconnect(pluginId, provider);
    }
    const config = await this.config(tenantId, pluginId, provider);
    const res = await this.tokenRequest(config, { grant_type: "refresh_token", refresh_token: refreshToken });
    if (!res.ok) {
      // 400/401 is the provider's "no": the grant is gone. Anything else may pass: keep the connection.
      if (res.status === 400 || res.status === 401) {
        await this.markReconnect(tenantId, pluginId, provider, `refresh refused: ${res.error}`);
        throw this.reconnect(pluginId, provider);
      }
      this.log.warn({ plugin: pluginId, provider, status: res.status }, "OAuth token refresh failed; will try again");
      throw kernelError("KERNEL_OAUTH_PROVIDER", `could not refresh the connection to ${pluginId}/${provider}: ${res.error}`);
    }
    await withTenant(this.db, tenantId, (trx) =>
      trx("kernel.oauth_connections")
        .where({ plugin_id: pluginId, provider })
        .update({ ...this.sealed(tenantId, pluginId, provider, res.body, refreshToken), status: "connected", last_error: null, updated_at: trx.fn.now() }),
    );
    return res.body.access_token as string;
  }

  private async markReconnect(tenantId: string, pluginId: string, provider: string, reason: string) {
    await withTenant(this.db, tenantId, async (trx) => {
      await trx("kernel.oauth_connections")
        .where({ plugin_id: pluginId, provider })
        .update({ status: "reconnect_needed", access_token_enc: null, refresh_token_enc: null, last_error: reason, updated_at: trx.fn.now() });
      await this.audit.record({ tenantId, userId: null, action: "oauth.reconnect-needed", target: `${pluginId}/${provider}`, data: { reason } }, trx);
    });
    this.log.warn({ plugin: pluginId, provider, tenantId }, `OAuth connection needs reconnecting: ${reason}`);
  }
}
