import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { kernelError } from "../errors.js";
import type { IdentityServices } from "../identity/identity-service.js";
import { KERNEL_PERMISSIONS, PERMISSION_PATTERN } from "../identity/permissions.js";
import type { PluginRuntime } from "../plugins/plugin-runtime.js";
import { withTenant } from "../tenancy/tenant-db.js";
import type { TenantService } from "../tenancy/tenant-service.js";

const uuid = { type: "string", format: "uuid" } as const;
const roleName = { type: "string", pattern: "^[a-z][a-z0-9-]{0,39}$" } as const;
const permissions = { type: "array", maxItems: 200, uniqueItems: true, items: { type: "string", pattern: PERMISSION_PATTERN } } as const;
const idParam = (name: string, schema: object = uuid) => ({ type: "object", required: [name], properties: { [name]: schema } });
const pluginChoice = {
  type: "object",
  additionalProperties: false,
  properties: {
    versionPin: { type: ["string", "null"], maxLength: 100 },
    settings: { type: "object" },
  },
} as const;

function userOf(req: FastifyRequest): string {
  if (!req.identity.userId || req.identity.via === "api-key") throw kernelError("KERNEL_FORBIDDEN", "this needs a signed-in user");
  return req.identity.userId;
}

/**
 * The caller's tenant: members, roles, API keys, audit log, plugins (enablement, pins, settings,
 * secrets); new tenants and agencies; an agency's client tenants and bundles.
 */
export async function registerTenantRoutes(app: FastifyInstance, deps: { identity: IdentityServices; tenants: TenantService; runtime: PluginRuntime }) {
  const { identity, tenants, runtime } = deps;
  const { memberships, apiKeys, audit, tenantPlugins, bundles } = identity;
  const db = identity.db;

  app.get(
    "/api/tenant",
    { config: { permission: "tenant.read" }, schema: { tags: ["tenants"], summary: "The caller's tenant and what the caller may do there" } },
    async (req) => ({
      tenant: await tenants.get(req.identity.tenantId),
      permissions: req.identity.permissions,
    }),
  );

  app.patch<{ Body: { name: string } }>(
    "/api/tenant",
    {
      config: { permission: "tenant.manage" },
      schema: {
        tags: ["tenants"],
        body: { type: "object", required: ["name"], additionalProperties: false, properties: { name: { type: "string", minLength: 1, maxLength: 200 } } },
      },
    },
    async (req) => {
      await db("kernel.tenants").where({ id: req.identity.tenantId }).update({ name: req.body.name });
      await audit.record({ tenantId: req.identity.tenantId, userId: req.identity.userId, action: "tenant.renamed", data: { name: req.body.name } });
      return { tenant: await tenants.get(req.identity.tenantId) };
    },
  );

  app.post<{ Body: { name: string; kind?: "tenant" | "agency" } }>(
    "/api/tenants",
    {
      schema: {
        tags: ["tenants"],
        summary: "Create a tenant (or an agency) owned by the caller; switch to it to act there",
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: { name: { type: "string", minLength: 1, maxLength: 200 }, kind: { type: "string", enum: ["tenant", "agency"] } },
        },
      },
    },
    async (req, reply) => {
      const userId = userOf(req);
      const tenant = await tenants.create(`t-${randomBytes(6).toString("hex")}`, req.body.name, { kind: req.body.kind ?? "tenant" });
      await memberships.addOwner(tenant.id, userId);
      await audit.record({ tenantId: tenant.id, userId, action: "tenant.created", data: { kind: tenant.kind } });
      return reply.status(201).send({ tenant });
    },
  );

  app.get("/api/tenant/members", { config: { permission: "member.read" }, schema: { tags: ["tenants"] } }, async (req) => ({
    members: await memberships.members(req.identity.tenantId),
  }));

  app.post<{ Body: { email: string; role: string } }>(
    "/api/tenant/members",
    {
      config: { permission: "member.manage" },
      schema: {
        tags: ["tenants"],
        summary: "Add an existing account to the tenant with a role",
        body: {
          type: "object",
          required: ["email", "role"],
          additionalProperties: false,
          properties: { email: { type: "string", format: "email" }, role: roleName },
        },
      },
    },
    async (req, reply) => reply.status(201).send({ member: await memberships.addMember(req.identity, req.identity.tenantId, req.body.email, req.body.role) }),
  );

  app.patch<{ Params: { userId: string }; Body: { role: string } }>(
    "/api/tenant/members/:userId",
    {
      config: { permission: "member.manage" },
      schema: {
        tags: ["tenants"],
        params: idParam("userId"),
        body: { type: "object", required: ["role"], additionalProperties: false, properties: { role: roleName } },
      },
    },
    async (req) => ({ member: await memberships.setRole(req.identity, req.identity.tenantId, req.params.userId, req.body.role) }),
  );

  app.delete<{ Params: { userId: string } }>(
    "/api/tenant/members/:userId",
    { config: { permission: "member.manage" }, schema: { tags: ["tenants"], params: idParam("userId") } },
    async (req, reply) => {
      await memberships.removeMember(req.identity, req.identity.tenantId, req.params.userId);
      return reply.status(204).send();
    },
  );

  app.get(
    "/api/tenant/permissions",
    { config: { permission: "member.read" }, schema: { tags: ["tenants"], summary: "Every permission: the kernel's and the plugins'" } },
    async () => ({
      permissions: [
        ...Object.entries(KERNEL_PERMISSIONS).map(([name, description]) => ({ name, description, source: "kernel" })),
        ...[...runtime.manifests.values()].flatMap((m) => (m.providesPermissions ?? []).map((p) => ({ ...p, source: `plugin:${m.id}` }))),
      ],
    }),
  );

  app.get("/api/tenant/roles", { config: { permission: "member.read" }, schema: { tags: ["tenants"] } }, async (req) => ({
    roles: await memberships.roles(req.identity.tenantId),
  }));

  app.post<{ Body: { name: string; description?: string; permissions: string[] } }>(
    "/api/tenant/roles",
    {
      config: { permission: "role.manage" },
      schema: {
        tags: ["tenants"],
        summary: "Create a custom role",
        body: {
          type: "object",
          required: ["name", "permissions"],
          additionalProperties: false,
          properties: { name: roleName, description: { type: "string", maxLength: 300 }, permissions },
        },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send({ role: await memberships.createRole(req.identity, req.identity.tenantId, req.body.name, req.body.description ?? null, req.body.permissions) }),
  );

  app.delete<{ Params: { name: string } }>(
    "/api/tenant/roles/:name",
    { config: { permission: "role.manage" }, schema: { tags: ["tenants"], params: idParam("name", roleName) } },
    async (req, reply) => {
      await memberships.deleteRole(req.identity, req.identity.tenantId, req.params.name);
      return reply.status(204).send();
    },
  );

  app.get("/api/tenant/api-keys", { config: { permission: "apikey.manage" }, schema: { tags: ["api-keys"] } }, async (req) => ({
    apiKeys: await apiKeys.list(req.identity.tenantId),
  }));

  app.post<{ Body: { name: string; permissions: string[]; expiresAt?: string } }>(
    "/api/tenant/api-keys",
    {
      config: { permission: "apikey.manage" },
      schema: {
        tags: ["api-keys"],
        summary: "Create an API key; its secret is in this response only",
        body: {
          type: "object",
          required: ["name", "permissions"],
          additionalProperties: false,
          properties: { name: { type: "string", minLength: 1, maxLength: 100 }, permissions, expiresAt: { type: "string", format: "date-time" } },
        },
      },
    },
    async (req, reply) => {
      const { key, secret } = await apiKeys.create(req.identity, req.body);
      return reply.status(201).send({ apiKey: key, secret });
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/api/tenant/api-keys/:id",
    { config: { permission: "apikey.manage" }, schema: { tags: ["api-keys"], params: idParam("id") } },
    async (req) => ({ apiKey: await apiKeys.revoke(req.identity, req.params.id) }),
  );

  app.get<{ Querystring: { limit?: number; before?: string; action?: string } }>(
    "/api/tenant/audit",
    {
      config: { permission: "audit.read" },
      schema: {
        tags: ["tenants"],
        summary: "Security events of the tenant, newest first",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            limit: { type: "integer", minimum: 1, maximum: 500 },
            before: { type: "string", pattern: "^\\d+$" },
            action: { type: "string", maxLength: 100 },
          },
        },
      },
    },
    async (req) => ({ events: await audit.list(req.identity.tenantId, req.query) }),
  );

  // Plugins of the tenant.
  app.get("/api/tenant/plugins", { config: { permission: "plugin.read" }, schema: { tags: ["tenants"] } }, async (req) => ({
    plugins: await tenantPlugins.list(req.identity.tenantId),
  }));

  app.get<{ Params: { id: string } }>(
    "/api/tenant/plugins/:id",
    { config: { permission: "plugin.read" }, schema: { tags: ["tenants"], params: idParam("id", { type: "string", maxLength: 40 }) } },
    async (req) => ({ plugin: await tenantPlugins.get(req.identity.tenantId, req.params.id) }),
  );

  app.patch<{ Params: { id: string }; Body: { enabled?: boolean; versionPin?: string | null; settings?: Record<string, unknown> } }>(
    "/api/tenant/plugins/:id",
    {
      config: { permission: "plugin.manage" },
      schema: {
        tags: ["tenants"],
        summary: "Enable or disable a plugin, pin its version (a semver range), or replace its settings (checked against its schema)",
        params: idParam("id", { type: "string", maxLength: 40 }),
        body: { ...pluginChoice, properties: { ...pluginChoice.properties, enabled: { type: "boolean" } } },
      },
    },
    async (req) => {
      await tenantPlugins.apply(req.identity, req.identity.tenantId, req.params.id, req.body);
      return { plugin: await tenantPlugins.get(req.identity.tenantId, req.params.id) };
    },
  );

  app.put<{ Params: { id: string; name: string }; Body: { value: string } }>(
    "/api/tenant/plugins/:id/secrets/:name",
    {
      config: { permission: "plugin.manage" },
      schema: {
        tags: ["tenants"],
        summary: "Set a secret of a plugin (encrypted at rest; never sent back)",
        params: {
          type: "object",
          required: ["id", "name"],
          properties: { id: { type: "string", maxLength: 40 }, name: { type: "string", pattern: "^[A-Za-z][A-Za-z0-9_.-]{0,63}$" } },
        },
        body: { type: "object", required: ["value"], additionalProperties: false, properties: { value: { type: "string", minLength: 1, maxLength: 10_000 } } },
      },
    },
    async (req, reply) => {
      await tenantPlugins.setSecret(req.identity, req.identity.tenantId, req.params.id, req.params.name, req.body.value);
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: { id: string; name: string } }>(
    "/api/tenant/plugins/:id/secrets/:name",
    {
      config: { permission: "plugin.manage" },
      schema: { tags: ["tenants"], params: { type: "object", required: ["id", "name"], properties: { id: { type: "string" }, name: { type: "string" } } } },
    },
    async (req, reply) => {
      await tenantPlugins.deleteSecret(req.identity, req.identity.tenantId, req.params.id, req.params.name);
      return reply.status(204).send();
    },
  );

  // Agencies: client tenants and bundles.
  app.get("/api/agency/clients", { config: { permission: "agency.manage" }, schema: { tags: ["agencies"] } }, async (req) => ({
    clients: await tenants.clientsOf(req.identity.tenantId),
  }));

  app.post<{ Body: { name: string } }>(
    "/api/agency/clients",
    {
      config: { permission: "agency.manage" },
      schema: {
        tags: ["agencies"],
        summary: "Create a client tenant owned by this agency; agency members act in it by their agency role",
        body: { type: "object", required: ["name"], additionalProperties: false, properties: { name: { type: "string", minLength: 1, maxLength: 200 } } },
      },
    },
    async (req, reply) => {
      const agency = await tenants.get(req.identity.tenantId);
      if (agency?.kind !== "agency") throw kernelError("KERNEL_FORBIDDEN", "only an agency tenant has client tenants");
      const tenant = await tenants.create(`t-${randomBytes(6).toString("hex")}`, req.body.name, { agencyId: agency.id });
      await audit.record({ tenantId: agency.id, userId: req.identity.userId, action: "agency.client-created", target: tenant.id });
      await withTenant(db, tenant.id, (trx) =>
        audit.record({ tenantId: tenant.id, userId: req.identity.userId, action: "tenant.created", data: { agencyId: agency.id } }, trx),
      );
      return reply.status(201).send({ tenant });
    },
  );

  const bundleBody = {
    type: "object",
    additionalProperties: false,
    properties: { name: { type: "string", minLength: 1, maxLength: 100 }, plugins: { type: "object", maxProperties: 200, additionalProperties: pluginChoice } },
  } as const;

  app.get("/api/agency/bundles", { config: { permission: "agency.manage" }, schema: { tags: ["agencies"] } }, async (req) => ({
    bundles: await bundles.list(req.identity.tenantId),
  }));

  app.post<{ Body: { name: string; plugins: Record<string, { versionPin?: string | null; settings?: Record<string, unknown> }> } }>(
    "/api/agency/bundles",
    {
      config: { permission: "agency.manage" },
      schema: {
        tags: ["agencies"],
        summary: "Create a bundle: plugins (with pins and settings) to apply to client tenants",
        body: { ...bundleBody, required: ["name", "plugins"] },
      },
    },
    async (req, reply) => reply.status(201).send({ bundle: await bundles.create(req.identity, req.body.name, req.body.plugins) }),
  );

  app.get<{ Params: { id: string } }>(
    "/api/agency/bundles/:id",
    { config: { permission: "agency.manage" }, schema: { tags: ["agencies"], params: idParam("id") } },
    async (req) => ({ bundle: await bundles.get(req.identity.tenantId, req.params.id) }),
  );

  app.put<{ Params: { id: string }; Body: { plugins: Record<string, { versionPin?: string | null; settings?: Record<string, unknown> }> } }>(
    "/api/agency/bundles/:id",
    {
      config: { permission: "agency.manage" },
      schema: {
        tags: ["agencies"],
        summary: "Replace a bundle's plugins; tenants that have it get the new revision",
        params: idParam("id"),
        body: { ...bundleBody, required: ["plugins"] },
      },
    },
    async (req) => ({ bundle: await bundles.update(req.identity, req.params.id, req.body.plugins) }),
  );

  app.post<{ Params: { id: string }; Body: { tenantIds: string[] } }>(
    "/api/agency/bundles/:id/apply",
    {
      config: { permission: "agency.manage" },
      schema: {
        tags: ["agencies"],
        summary: "Apply a bundle to client tenants: each then has exactly the bundle's plugins enabled",
        params: idParam("id"),
        body: {
          type: "object",
          required: ["tenantIds"],
          additionalProperties: false,
          properties: { tenantIds: { type: "array", minItems: 1, maxItems: 500, uniqueItems: true, items: uuid } },
        },
      },
    },
    async (req) => ({ bundle: await bundles.apply(req.identity, req.params.id, req.body.tenantIds) }),
  );

  app.delete<{ Params: { id: string } }>(
    "/api/agency/bundles/:id",
    { config: { permission: "agency.manage" }, schema: { tags: ["agencies"], params: idParam("id") } },
    async (req, reply) => {
      await bundles.remove(req.identity, req.params.id);
      return reply.status(204).send();
    },
  );
}
