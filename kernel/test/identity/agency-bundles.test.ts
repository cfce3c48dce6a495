import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestKernel, type TestKernel, type TestUser } from "../../src/testing/index.js";
import { fixture } from "../fixtures.js";

const panelsOf = async (u: TestUser) =>
  (await u.inject({ method: "GET", url: "/api/ui/panels" }))
    .json()
    .panels.map((p: { plugin: string; id: string }) => `${p.plugin}/${p.id}`)
    .sort();

describe("agencies, client tenants and bundles", () => {
  let t: TestKernel;
  let boss: TestUser;
  let agencyEditor: TestUser;
  const clients: string[] = [];

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [fixture("full"), fixture("contributor")], auth: "accounts" });
    boss = await t.signUp("boss@agency.example");
    const agency = await boss.inject({ method: "POST", url: "/api/tenants", payload: { name: "Pixel Agency", kind: "agency" } });
    expect(agency.statusCode).toBe(201);
    boss = await boss.signInTo(agency.json().tenant.id);
    for (const name of ["Client One", "Client Two", "Client Three"]) {
      const res = await boss.inject({ method: "POST", url: "/api/agency/clients", payload: { name } });
      expect(res.statusCode).toBe(201);
      expect(res.json().tenant).toMatchObject({ name, kind: "tenant", agencyId: boss.tenantId });
      clients.push(res.json().tenant.id);
    }
    const editor = await t.signUp("editor@agency.example");
    await boss.inject({ method: "POST", url: "/api/tenant/members", payload: { email: editor.email, role: "editor" } });
    agencyEditor = await editor.signInTo(boss.tenantId);
  });
  afterAll(() => t?.close());

  test("agency members act in client tenants by their agency role, after an explicit switch", async () => {
    const me = (await agencyEditor.inject({ method: "GET", url: "/api/auth/me" })).json();
    expect(me.tenants.filter((x: { via: string }) => x.via === "agency").map((x: { id: string }) => x.id)).toEqual(clients);
    const sw = await agencyEditor.inject({ method: "POST", url: "/api/auth/switch-tenant", payload: { tenantId: clients[0] } });
    expect(sw.statusCode).toBe(200);
    const inClient = { ...agencyEditor, accessToken: sw.json().accessToken };
    const call = (method: "GET" | "PATCH", url: string, payload?: unknown) =>
      t.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${inClient.accessToken}` } });
    expect((await call("GET", "/api/tenant")).json().tenant.id).toBe(clients[0]);
    // An editor of the agency is an editor in the client: can write items, cannot manage plugins.
    expect((await call("GET", "/api/p/fixture-full/v1/items")).statusCode).toBe(200);
    expect((await call("PATCH", "/api/tenant/plugins/fixture-full", { enabled: false })).statusCode).toBe(403);
    // A stranger cannot switch into a client tenant.
    const stranger = await t.signUp("stranger@elsewhere.example");
    expect((await stranger.inject({ method: "POST", url: "/api/auth/switch-tenant", payload: { tenantId: clients[1] } })).statusCode).toBe(404);
    // Nor can a non-agency tenant make clients.
    expect((await stranger.inject({ method: "POST", url: "/api/agency/clients", payload: { name: "x" } })).statusCode).toBe(403);
  });

  test("a bundle applied to three tenants gives each exactly the bundle's panels; an update reaches them all", async () => {
    const created = await boss.inject({
      method: "POST",
      url: "/api/agency/bundles",
      payload: { name: "Starter", plugins: { "fixture-full": { settings: { greeting: "hola" } } } },
    });
    expect(created.statusCode).toBe(201);
    const bundle = created.json().bundle;
    const applied = await boss.inject({ method: "POST", url: `/api/agency/bundles/${bundle.id}/apply`, payload: { tenantIds: clients } });
    expect(applied.statusCode).toBe(200);
    expect(
      applied
        .json()
        .bundle.clients.map((c: { tenantId: string }) => c.tenantId)
        .sort(),
    ).toEqual([...clients].sort());

    for (const client of clients) {
      const sw = await boss.inject({ method: "POST", url: "/api/auth/switch-tenant", payload: { tenantId: client } });
      const inClient = { ...boss, tenantId: client, accessToken: sw.json().accessToken } as TestUser;
      inClient.inject = (o) => t.inject({ ...o, headers: { authorization: `Bearer ${inClient.accessToken}` } });
      expect(await panelsOf(inClient)).toEqual(["fixture-full/items"]);
      expect((await inClient.inject({ method: "GET", url: "/api/p/fixture-full/v1/settings" })).json()).toEqual({ greeting: "hola" });
      expect((await inClient.inject({ method: "GET", url: "/api/p/fixture-contributor/v1/hello" })).statusCode).toBe(404);
    }
    // The agency itself is untouched by its bundle: both plugins, by default.
    expect(await panelsOf(boss)).toEqual(["fixture-contributor/extra", "fixture-full/items"]);

    const bad = await boss.inject({ method: "PUT", url: `/api/agency/bundles/${bundle.id}`, payload: { plugins: { "fixture-contributor": {} } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/requires fixture-full/);
    const updated = await boss.inject({
      method: "PUT",
      url: `/api/agency/bundles/${bundle.id}`,
      payload: { plugins: { "fixture-full": { settings: { greeting: "salut" } }, "fixture-contributor": {} } },
    });
    expect(updated.json().bundle.revision).toBe(2);
    for (const client of clients) {
      const sw = await boss.inject({ method: "POST", url: "/api/auth/switch-tenant", payload: { tenantId: client } });
      const res = await t.inject({ method: "GET", url: "/api/ui/panels", headers: { authorization: `Bearer ${sw.json().accessToken}` } });
      expect(
        res
          .json()
          .panels.map((p: { plugin: string; id: string }) => `${p.plugin}/${p.id}`)
          .sort(),
      ).toEqual(["fixture-contributor/extra", "fixture-full/items"]);
    }
    const audit = (await boss.inject({ method: "GET", url: "/api/tenant/audit" })).json().events.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(["bundle.created", "bundle.updated", "agency.client-created"]));
  });

  test("a bundle cannot be applied to tenants outside the agency", async () => {
    const other = await t.signUp("not-a-client@example.com");
    const [bundle] = (await boss.inject({ method: "GET", url: "/api/agency/bundles" })).json().bundles;
    const res = await boss.inject({ method: "POST", url: `/api/agency/bundles/${bundle.id}/apply`, payload: { tenantIds: [other.ownTenantId] } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("KERNEL_TENANT_NOT_FOUND");
    expect((await other.inject({ method: "GET", url: "/api/tenant/plugins" })).json().plugins.every((p: { enabled: boolean }) => p.enabled)).toBe(true);
  });

  test("plugin secrets are kept apart, encrypted at rest, readable only by the plugin", async () => {
    const put = await boss.inject({ method: "PUT", url: "/api/tenant/plugins/fixture-full/secrets/apiToken", payload: { value: "s3cr3t-value-123" } });
    expect(put.statusCode).toBe(204);
    const listed = await boss.inject({ method: "GET", url: "/api/tenant/plugins/fixture-full" });
    expect(listed.json().plugin.secrets).toEqual(["apiToken"]);
    expect(listed.body).not.toContain("s3cr3t-value-123");
    const row = await t.kernel.database.knex("kernel.plugin_secrets").where({ tenant_id: boss.tenantId }).first();
    expect(row.value_enc).toMatch(/^v1\./);
    expect(row.value_enc).not.toContain("s3cr3t");
    const full = t.kernel.runtime.started.find((s) => s.plugin.manifest.id === "fixture-full");
    expect(await full?.staged.ctx.secrets.get(boss.tenantId, "apiToken")).toBe("s3cr3t-value-123");
    expect(await full?.staged.ctx.secrets.get(clients[0] as string, "apiToken")).toBeNull();
    const contributor = t.kernel.runtime.started.find((s) => s.plugin.manifest.id === "fixture-contributor");
    expect(await contributor?.staged.ctx.secrets.get(boss.tenantId, "apiToken")).toBeNull();
  });
});
