import type { FastifyRequest } from "fastify";
import { kernelError } from "../../errors.js";
import type { Identity } from "../../sdk/context.js";
import type { MembershipService } from "../../tenancy/memberships.js";
import type { ApiKeyService } from "../api-keys.js";
import type { IdentityResolver } from "../identity-resolver.js";
import type { AccessTokens } from "./access-tokens.js";
import { COOKIES, csrfOk } from "./auth-cookies.js";
import type { SessionService } from "./session-service.js";

/**
 * Accounts mode: the caller is who their credential says, in the tenant it names, with the
 * permissions their role there gives.
 * - `Authorization: Bearer <JWT>` (API clients) or the `crealia_access` cookie (the studio, with
 *   the CSRF check on unsafe methods): a live session's access token.
 * - `Authorization: Bearer crk_…`: an API key, with its own permissions.
 */
export class TokenIdentityResolver implements IdentityResolver {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly sessions: SessionService,
    private readonly memberships: MembershipService,
    private readonly apiKeys: ApiKeyService,
  ) {}

  async resolve(req: FastifyRequest): Promise<Identity | null> {
    const auth = req.headers.authorization;
    if (typeof auth === "string" && auth.length > 0) {
      const match = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!match) throw kernelError("KERNEL_UNAUTHENTICATED", "the Authorization header must be `Bearer <token>`");
      const credential = match[1] as string;
      if (credential.startsWith("crk_")) {
        const identity = await this.apiKeys.resolve(credential);
        if (!identity) throw kernelError("KERNEL_UNAUTHENTICATED", "the API key is unknown, revoked or expired");
        return identity;
      }
      return this.fromAccessToken(credential);
    }
    const cookie = req.cookies?.[COOKIES.access];
    if (cookie) {
      if (!csrfOk(req)) throw kernelError("KERNEL_CSRF", `send the ${COOKIES.csrf} cookie's value in the x-csrf-token header`);
      return this.fromAccessToken(cookie);
    }
    return null;
  }

  private async fromAccessToken(token: string): Promise<Identity> {
    const claims = await this.tokens.verify(token);
    if (!(await this.sessions.isActive(claims.sid))) throw kernelError("KERNEL_UNAUTHENTICATED", "the session has ended: sign in again");
    const access = await this.memberships.access(claims.sub, claims.tid);
    if (!access) throw kernelError("KERNEL_UNAUTHENTICATED", "you no longer belong to this tenant: switch tenant or sign in again");
    return { userId: claims.sub, tenantId: claims.tid, permissions: access.permissions, via: "session", credentialId: claims.sid };
  }
}
