import { randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Cookie mode, for the studio: the access token and the refresh token travel in httpOnly cookies
 * the page's scripts cannot read; a third, readable cookie holds a CSRF token that each unsafe
 * request must echo in the `x-csrf-token` header (double submit). A cross-site page can make the
 * browser send the cookies, but cannot read the CSRF cookie to copy it into the header.
 */
export const COOKIES = { access: "crealia_access", refresh: "crealia_refresh", csrf: "crealia_csrf" } as const;
export const CSRF_HEADER = "x-csrf-token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface CookieTokens {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken?: string;
  refreshTokenExpiresAt?: string;
}

export function setAuthCookies(reply: FastifyReply, tokens: CookieTokens, secure: boolean): string {
  const csrf = randomBytes(24).toString("base64url");
  const base = { path: "/", secure, sameSite: "lax" as const };
  reply.setCookie(COOKIES.access, tokens.accessToken, { ...base, httpOnly: true, expires: new Date(tokens.accessTokenExpiresAt) });
  if (tokens.refreshToken) {
    // Only the auth routes ever receive the refresh token.
    reply.setCookie(COOKIES.refresh, tokens.refreshToken, {
      ...base,
      path: "/api/auth",
      sameSite: "strict",
      httpOnly: true,
      expires: tokens.refreshTokenExpiresAt ? new Date(tokens.refreshTokenExpiresAt) : undefined,
    });
  }
  reply.setCookie(COOKIES.csrf, csrf, { ...base, httpOnly: false, expires: tokens.refreshTokenExpiresAt ? new Date(tokens.refreshTokenExpiresAt) : undefined });
  return csrf;
}

export function clearAuthCookies(reply: FastifyReply) {
  reply.clearCookie(COOKIES.access, { path: "/" });
  reply.clearCookie(COOKIES.refresh, { path: "/api/auth" });
  reply.clearCookie(COOKIES.csrf, { path: "/" });
}

/** Whether a cookie-authenticated request passes the CSRF check: safe methods always, others with the echoed token. */
export function csrfOk(req: FastifyRequest): boolean {
  if (SAFE_METHODS.has(req.method)) return true;
  const cookie = req.cookies?.[COOKIES.csrf];
  const header = req.headers[CSRF_HEADER];
  return typeof cookie === "string" && cookie.length > 0 && header === cookie;
}
