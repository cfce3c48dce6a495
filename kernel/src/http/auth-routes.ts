import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { kernelError } from "../errors.js";
import { PASSWORD_MAX } from "../identity/accounts/passwords.js";
import type { IdentityServices } from "../identity/identity-service.js";
import { COOKIES, clearAuthCookies, csrfOk, setAuthCookies } from "../identity/tokens/auth-cookies.js";
import type { ClientInfo, Session } from "../identity/tokens/session-service.js";
import { isCrealiaError } from "../sdk/errors.js";

const tags = ["auth"];
const email = { type: "string", format: "email", maxLength: 320 } as const;
const password = { type: "string", minLength: 1, maxLength: PASSWORD_MAX } as const;
const mode = {
  type: "string",
  enum: ["bearer", "cookie"],
  default: "bearer",
  description: "bearer: tokens in the body; cookie: httpOnly cookies + a CSRF token",
} as const;
const uuid = { type: "string", format: "uuid" } as const;

export function clientInfo(req: FastifyRequest): ClientInfo {
  const ua = req.headers["user-agent"];
  return { ip: req.ip ?? null, userAgent: typeof ua === "string" ? ua : null };
}

function presentSession(s: Session, current?: string) {
  return {
    id: s.id,
    tenantId: s.tenantId,
    userAgent: s.userAgent,
    ip: s.ip,
    createdAt: s.createdAt,
    lastUsedAt: s.lastUsedAt,
    expiresAt: s.expiresAt,
    current: s.id === current,
  };
}

/** A route for a signed-in user (a session), not an API key or local mode. */
function sessionOf(req: FastifyRequest): { userId: string; sessionId: string; tenantId: string } {
  const id = req.identity;
  if (id.via !== "session" || !id.userId || !id.credentialId) throw kernelError("KERNEL_FORBIDDEN", "this needs a signed-in user (not an API key)");
  return { userId: id.userId, sessionId: id.credentialId, tenantId: id.tenantId };
}

/**
 * Accounts, sessions and tokens under /api/auth, and the JWKS. Bearer mode returns the tokens in
 * the body; cookie mode (`mode: "cookie"`) sets httpOnly cookies and returns a CSRF token that
 * unsafe requests echo in `x-csrf-token`.
 */
export async function registerAuthRoutes(app: FastifyInstance, identity: IdentityServices) {
  const { accounts, sessions } = identity;
  const sendTokens = (
    reply: FastifyReply,
    m: string,
    out: { accessToken: string; accessTokenExpiresAt: string; refreshToken?: string; session?: Session },
    extra: Record<string, unknown>,
  ) => {
    if (m === "cookie") {
      const csrfToken = setAuthCookies(
        reply,
        {
          accessToken: out.accessToken,
          accessTokenExpiresAt: out.accessTokenExpiresAt,
          refreshToken: out.refreshToken,
          refreshTokenExpiresAt: out.session?.expiresAt,
        },
        identity.secureCookies,
      );
      return { ...extra, accessTokenExpiresAt: out.accessTokenExpiresAt, csrfToken };
    }
    return {
      ...extra,
      tokenType: "Bearer",
      accessToken: out.accessToken,
      accessTokenExpiresAt: out.accessTokenExpiresAt,
      ...(out.refreshToken ? { refreshToken: out.refreshToken } : {}),
    };
  };

  const jwks = async () => identity.keys.jwks();
  app.get("/.well-known/jwks.json", { config: { public: true }, schema: { tags, summary: "Public keys that verify access tokens (JWKS)" } }, jwks);
  app.get("/api/auth/jwks", { config: { public: true }, schema: { tags, summary: "Public keys that verify access tokens (JWKS)" } }, jwks);

  app.post<{ Body: { email: string; password: string; name?: string; tenantName?: string } }>(
    "/api/auth/sign-up",
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Create an account and its own tenant; a verification link is sent",
        body: {
          type: "object",
          required: ["email", "password"],
          additionalProperties: false,
          properties: { email, password, name: { type: "string", maxLength: 200 }, tenantName: { type: "string", minLength: 1, maxLength: 200 } },
        },
      },
    },
    async (req, reply) => reply.status(201).send(await accounts.signUp(req.body, clientInfo(req))),
  );

  app.post<{ Body: { email: string; password: string; tenantId?: string; mode: string } }>(
    "/api/auth/sign-in",
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Sign in: a session with an access token and a refresh token",
        body: { type: "object", required: ["email", "password"], additionalProperties: false, properties: { email, password, tenantId: uuid, mode } },
      },
    },
    async (req, reply) => {
      try {
        const out = await accounts.signIn(req.body, clientInfo(req));
        return sendTokens(reply, req.body.mode, out, { user: out.user, tenant: out.tenant, session: presentSession(out.session, out.session.id) });
      } catch (err) {
        if (isCrealiaError(err) && err.code === "KERNEL_RATE_LIMITED") {
          reply.header("retry-after", String((err.details as { retryAfterSeconds?: number })?.retryAfterSeconds ?? 60));
        }
        throw err;
      }
    },
  );

  app.post<{ Body: { refreshToken?: string; mode?: string } }>(
    "/api/auth/refresh",
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Trade a refresh token (body, or the refresh cookie) for new tokens; a reused one revokes its session",
        body: { type: ["object", "null"], additionalProperties: false, properties: { refreshToken: { type: "string", maxLength: 200 }, mode } },
      },
    },
    async (req, reply) => {
      const fromCookie = !req.body?.refreshToken;
      const token = req.body?.refreshToken ?? req.cookies?.[COOKIES.refresh];
      if (!token) throw kernelError("KERNEL_UNAUTHENTICATED", "send a refreshToken, or the refresh cookie");
      if (fromCookie && !csrfOk(req)) throw kernelError("KERNEL_CSRF", "send the crealia_csrf cookie's value in the x-csrf-token header");
      try {
        const out = await accounts.refresh(token, clientInfo(req));
        return sendTokens(reply, fromCookie ? "cookie" : (req.body?.mode ?? "bearer"), out, { session: presentSession(out.session, out.session.id) });
      } catch (err) {
        if (fromCookie) clearAuthCookies(reply);
        throw err;
      }
    },
  );

  app.post("/api/auth/sign-out", { schema: { tags, summary: "End this session (its refresh token and access tokens stop working)" } }, async (req, reply) => {
    const s = sessionOf(req);
    await accounts.signOut(s.userId, s.sessionId, s.tenantId, clientInfo(req));
    clearAuthCookies(reply);
    return reply.status(204).send();
  });

  app.get(
    "/api/auth/me",
    { schema: { tags, summary: "The signed-in user, the current tenant and permissions there, and the user's tenants" } },
    async (req) => {
      const s = sessionOf(req);
      const user = await accounts.get(s.userId);
      const tenants = await identity.memberships.tenantsOf(s.userId);
      return { mode: "accounts", user, tenantId: s.tenantId, permissions: req.identity.permissions, tenants };
    },
  );

  app.post<{ Body: { tenantId: string; mode?: string } }>(
    "/api/auth/switch-tenant",
    {
      schema: {
        tags,
        summary: "Act in another of your tenants: the session moves there and a new access token is issued",
        body: { type: "object", required: ["tenantId"], additionalProperties: false, properties: { tenantId: uuid, mode } },
      },
    },
    async (req, reply) => {
      const s = sessionOf(req);
      const out = await accounts.switchTenant(s.userId, s.sessionId, req.body.tenantId);
      const cookieMode = req.body.mode === "cookie" || Boolean(req.cookies?.[COOKIES.access]);
      return sendTokens(reply, cookieMode ? "cookie" : "bearer", out, { tenant: out.tenant });
    },
  );

  app.get("/api/auth/sessions", { schema: { tags, summary: "Your sessions that can still be used" } }, async (req) => {
    const s = sessionOf(req);
    return { sessions: (await sessions.list(s.userId)).map((x) => presentSession(x, s.sessionId)) };
  });

  app.delete<{ Params: { id: string } }>(
    "/api/auth/sessions/:id",
    { schema: { tags, summary: "Revoke one of your sessions", params: { type: "object", required: ["id"], properties: { id: uuid } } } },
    async (req, reply) => {
      const s = sessionOf(req);
      if (!(await sessions.revoke(s.userId, req.params.id, "revoked by the user"))) throw kernelError("KERNEL_SESSION_NOT_FOUND", "no such session of yours");
      await identity.audit.record({ tenantId: s.tenantId, userId: s.userId, action: "session.revoked", target: req.params.id, ip: req.ip });
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { currentPassword: string; newPassword: string } }>(
    "/api/auth/password",
    {
      schema: {
        tags,
        summary: "Change your password; your other sessions are signed out",
        body: {
          type: "object",
          required: ["currentPassword", "newPassword"],
          additionalProperties: false,
          properties: { currentPassword: password, newPassword: password },
        },
      },
    },
    async (req, reply) => {
      const s = sessionOf(req);
      await accounts.changePassword(s.userId, s.sessionId, s.tenantId, req.body.currentPassword, req.body.newPassword, clientInfo(req));
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { email: string } }>(
    "/api/auth/password-reset",
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Send a password reset link (answers 202 whether or not the account exists)",
        body: { type: "object", required: ["email"], additionalProperties: false, properties: { email } },
      },
    },
    async (req, reply) => {
      await accounts.requestPasswordReset(req.body.email, clientInfo(req));
      return reply.status(202).send({ status: "sent if the account exists" });
    },
  );

  app.post<{ Body: { token: string; newPassword: string } }>(
    "/api/auth/password-reset/confirm",
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Set a new password with a reset token; unlocks the account and ends every session",
        body: {
          type: "object",
          required: ["token", "newPassword"],
          additionalProperties: false,
          properties: { token: { type: "string", maxLength: 100 }, newPassword: password },
        },
      },
    },
    async (req, reply) => {
      await accounts.resetPassword(req.body.token, req.body.newPassword, clientInfo(req));
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { token: string } }>(
    "/api/auth/verify-email",
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Confirm an email address with the token from the verification link",
        body: { type: "object", required: ["token"], additionalProperties: false, properties: { token: { type: "string", maxLength: 100 } } },
      },
    },
    async (req) => ({ user: await accounts.verifyEmail(req.body.token) }),
  );

  app.post("/api/auth/verify-email/resend", { schema: { tags, summary: "Send the email verification link again" } }, async (req, reply) => {
    const s = sessionOf(req);
    const user = await accounts.get(s.userId);
    if (user && !user.emailVerified) await accounts.sendVerification(user);
    return reply.status(202).send({ status: user?.emailVerified ? "already verified" : "sent" });
  });
}

/**
 * Local mode (CREALIA_AUTH=local) has no accounts, so `/api/auth/me` says just that: clients learn
 * the mode from one answer instead of reading it from an error.
 */
export async function registerLocalAuthRoutes(app: FastifyInstance) {
  app.get("/api/auth/me", { schema: { tags: ["auth"], summary: "The authentication mode: local (single user, no accounts)" } }, async () => ({
    mode: "local",
    user: null,
  }));
}
