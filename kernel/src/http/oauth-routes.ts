import type { FastifyInstance, FastifyRequest } from "fastify";
import type { KernelConfig } from "../config.js";
import { kernelError } from "../errors.js";
import type { OAuthConnections } from "../identity/oauth/oauth-connections.js";
import type { TenantService } from "../tenancy/tenant-service.js";

const tags = ["oauth"];
const uuid = { type: "string", format: "uuid" } as const;
const name = { type: "string", pattern: "^[a-z][a-z0-9-]{0,39}$" } as const;

/** The callback URL providers send the user back to: on the public URL when configured, else on the request's origin. */
function callbackUrl(config: Pick<KernelConfig, "publicUrl">, req: FastifyRequest): string {
  return `${config.publicUrl ?? `${req.protocol}://${req.host}`}/api/oauth/callback`;
}

/**
 * OAuth2 connections of plugins: start (PKCE + state), the provider's callback, list, refresh and
 * disconnect. No response carries a token.
 */
export async function registerOAuthRoutes(
  app: FastifyInstance,
  deps: { oauth: OAuthConnections; tenants: TenantService; config: Pick<KernelConfig, "publicUrl"> },
) {
  const { oauth, tenants } = deps;

  app.post<{ Params: { plugin: string; provider: string }; Body: { returnTo?: string } }>(
    "/api/oauth/:plugin/:provider/connect",
    {
      config: { permission: "oauth.manage" },
      schema: {
        tags,
        summary: "Start connecting an outside account: send the user to authorizationUrl",
        params: { type: "object", required: ["plugin", "provider"], properties: { plugin: { type: "string", maxLength: 40 }, provider: name } },
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { returnTo: { type: "string", pattern: "^/(?!/)[^\\s]*$", maxLength: 500 } },
        },
      },
    },
    async (req) => {
      if (!(await tenants.isEnabled(req.identity.tenantId, req.params.plugin))) {
        throw kernelError("KERNEL_PLUGIN_DISABLED", `plugin ${req.params.plugin} is not enabled for this tenant`);
      }
      return oauth.begin(req.identity, req.params.plugin, req.params.provider, {
        redirectUri: callbackUrl(deps.config, req),
        returnTo: req.body?.returnTo ?? null,
      });
    },
  );

  app.get<{ Querystring: { state?: string; code?: string; error?: string } }>(
    "/api/oauth/callback",
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Where the provider sends the user back; finishes the connection",
        querystring: {
          type: "object",
          properties: { state: { type: "string", maxLength: 200 }, code: { type: "string", maxLength: 2000 }, error: { type: "string", maxLength: 200 } },
        },
      },
    },
    async (req, reply) => {
      const { connection, returnTo } = await oauth.complete(req.query);
      if (returnTo) return reply.redirect(`${returnTo}${returnTo.includes("?") ? "&" : "?"}connection=${connection.id}`);
      return { connection };
    },
  );

  app.get(
    "/api/oauth/connections",
    { config: { permission: "oauth.read" }, schema: { tags, summary: "The tenant's connections and their state (never their tokens)" } },
    async (req) => ({
      connections: await oauth.list(req.identity.tenantId),
    }),
  );

  app.post<{ Params: { id: string } }>(
    "/api/oauth/connections/:id/refresh",
    {
      config: { permission: "oauth.manage" },
      schema: { tags, summary: "Refresh the connection's tokens now", params: { type: "object", required: ["id"], properties: { id: uuid } } },
    },
    async (req) => {
      const c = await oauth.byId(req.identity.tenantId, req.params.id);
      await oauth.accessToken(req.identity.tenantId, c.pluginId, c.provider, { force: true });
      return { connection: await oauth.byId(req.identity.tenantId, req.params.id) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/api/oauth/connections/:id",
    { config: { permission: "oauth.manage" }, schema: { tags, params: { type: "object", required: ["id"], properties: { id: uuid } } } },
    async (req, reply) => {
      await oauth.disconnect(req.identity, req.params.id);
      return reply.status(204).send();
    },
  );
}
