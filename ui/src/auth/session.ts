import type { ApiClient } from "../api/client.js";
import { ApiError } from "../api/errors.js";

/**
 * The studio's view of identity. The kernel's embedded default is single-user local mode
 * (every request is the local owner of the default tenant): the studio then shows no sign-in.
 * With accounts (CREALIA_AUTH=accounts) the studio signs in with a cookie session: httpOnly
 * access and refresh cookies, and a readable CSRF cookie echoed in `x-csrf-token` on writes
 * (kernel/src/http/auth-routes.ts).
 */
export const AUTH_ROUTES = {
  me: "/api/auth/me",
  signIn: "/api/auth/sign-in",
  signUp: "/api/auth/sign-up",
  signOut: "/api/auth/sign-out",
  refresh: "/api/auth/refresh",
  switchTenant: "/api/auth/switch-tenant",
} as const;

/** The CSRF cookie a cookie session sets; its value is echoed in `x-csrf-token` on writes. */
export const CSRF_COOKIE = "crealia_csrf";

export interface SessionUser {
  id: string;
  email: string;
  name?: string | null;
  emailVerified?: boolean;
}

export interface SessionTenant {
  id: string;
  name: string;
  slug?: string;
  kind?: string;
  role?: string;
  via?: string;
}

export interface Session {
  /** `local`: no accounts on this server; `accounts`: sign-in needed (user null until then). */
  mode: "local" | "accounts";
  user: SessionUser | null;
  tenants: SessionTenant[];
  tenantId: string | null;
  permissions: string[];
}

export const LOCAL_SESSION: Session = { mode: "local", user: null, tenants: [], tenantId: null, permissions: ["*"] };

/**
 * Reads the session from `GET /api/auth/me`: 200 is a signed-in user, or `mode: "local"`; 401
 * means accounts but nobody signed in; 403 (a caller that is not a session, such as an API key) or
 * a missing route (an older kernel) means local mode.
 */
export async function loadSession(api: ApiClient): Promise<Session> {
  try {
    const body = await api.request<{ mode?: "local" | "accounts"; user?: SessionUser; tenants?: SessionTenant[]; tenantId?: string; permissions?: string[] }>(
      "GET",
      AUTH_ROUTES.me,
      {
        track: false,
        noRefresh: false,
      },
    );
    if (body?.mode === "local") return LOCAL_SESSION;
    return { mode: "accounts", user: body?.user ?? null, tenants: body?.tenants ?? [], tenantId: body?.tenantId ?? null, permissions: body?.permissions ?? [] };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return LOCAL_SESSION;
    if (err instanceof ApiError && err.status === 401) return { mode: "accounts", user: null, tenants: [], tenantId: null, permissions: [] };
    throw err;
  }
}

export function readCookie(name: string, cookies = typeof document === "undefined" ? "" : document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

export function signIn(api: ApiClient, email: string, password: string) {
  return api.request<unknown>("POST", AUTH_ROUTES.signIn, { body: { email, password, mode: "cookie" }, noRefresh: true });
}

/** Creates the account (and its own workspace), then signs in. */
export async function signUp(api: ApiClient, fields: { email: string; password: string; name: string }) {
  await api.request<unknown>("POST", AUTH_ROUTES.signUp, {
    body: { email: fields.email, password: fields.password, name: fields.name || undefined },
    noRefresh: true,
  });
  return signIn(api, fields.email, fields.password);
}

export function signOut(api: ApiClient) {
  return api.request<unknown>("POST", AUTH_ROUTES.signOut, { noRefresh: true });
}

/** Trades the refresh cookie for new session cookies; false when the session has ended. */
export async function refreshSession(api: ApiClient): Promise<boolean> {
  try {
    await api.request<unknown>("POST", AUTH_ROUTES.refresh, { body: {}, noRefresh: true, track: false });
    return true;
  } catch {
    return false;
  }
}

export function switchTenant(api: ApiClient, tenantId: string) {
  return api.request<unknown>("POST", AUTH_ROUTES.switchTenant, { body: { tenantId, mode: "cookie" } });
}
