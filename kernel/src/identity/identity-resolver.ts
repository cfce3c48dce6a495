import type { FastifyRequest } from "fastify";
import type { Identity } from "../sdk/context.js";

/** Turns a request into the caller. The kernel runs it once per request, before any plugin route. */
export interface IdentityResolver {
  resolve(req: FastifyRequest): Promise<Identity | null>;
}

/**
 * Single-user local mode (the embedded default): every request is the local owner of the
 * default tenant. `CREALIA_AUTH=accounts` replaces it with `TokenIdentityResolver` (sessions'
 * access tokens and API keys).
 */
export class LocalIdentityResolver implements IdentityResolver {
  constructor(private readonly defaultTenantId: () => string) {}
  async resolve(): Promise<Identity> {
    return { userId: null, tenantId: this.defaultTenantId(), permissions: ["*"], via: "local" };
  }
}

/** Reads the tenant from a header; only for the test harness, never wired by the host. */
export class HeaderIdentityResolver implements IdentityResolver {
  constructor(private readonly fallbackTenantId: () => string) {}
  async resolve(req: FastifyRequest): Promise<Identity> {
    const header = req.headers["x-crealia-test-tenant"];
    const user = req.headers["x-crealia-test-user"];
    return {
      tenantId: typeof header === "string" && header ? header : this.fallbackTenantId(),
      userId: typeof user === "string" && user ? user : null,
      permissions: ["*"],
      via: "test",
    };
  }
}
