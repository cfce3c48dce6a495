import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestKernel, type TestKernel } from "../src/testing/index.js";
import { ALL_FIXTURES } from "./fixtures.js";

describe.each(["pglite", "postgres"] as const)("plugin runtime on %s", (database) => {
  let t: TestKernel;

  beforeAll(async () => {
    t = await createTestKernel({ plugins: ALL_FIXTURES, database });
  });
  afterAll(() => t?.close());

  test("starts the good plugins in dependency order and leaves each bad one out with a reason", () => {
    const byId = Object.fromEntries(t.kernel.plugins().map((p) => [p.id, p]));
    expect(byId["fixture-full"]?.state).toBe("started");
    expect(byId["fixture-contributor"]?.state).toBe("started");
    expect(byId["fixture-snoop"]?.state).toBe("started");
    expect(byId["fixture-bad-sdk"]).toMatchObject({
      state: "failed",
      phase: "resolve",
      reason: "fixture-bad-sdk 1.0.0 needs kernel SDK ^9.0.0, this kernel has 1.0.0",
    });
    expect(byId["fixture-missing-dep"]).toMatchObject({
      state: "failed",
      reason: "fixture-missing-dep 1.0.0 requires publisher ^1.0.0, which is not installed",
    });
    expect(byId["fixture-old-dep"]).toMatchObject({ state: "failed", reason: "fixture-old-dep 1.2.0 requires fixture-full ^2.0.0, found 1.4.1" });
    expect(byId["fixture-cycle-a"]?.reason).toMatch(/dependency cycle: fixture-cycle-a → fixture-cycle-b → fixture-cycle-a/);
    expect(byId["fixture-cycle-b"]?.reason).toMatch(/dependency cycle/);
    expect(byId["fixture-throws"]).toMatchObject({ state: "failed", phase: "setup", reason: "setup threw: cannot reach the licence server" });
    expect(byId["fixture-bad-migration"]).toMatchObject({ state: "failed", phase: "migrate" });
    expect(byId["fixture-bad-migration"]?.reason).toMatch(/migration 0002_broken failed/);
    expect(byId["fixture-no-processor"]).toMatchObject({ state: "failed", phase: "setup" });
    expect(byId["fixture-no-processor"]?.reason).toMatch(/declares job type fixture-no-processor.render but registers no processor/);
    const started = t.kernel.runtime.started.map((s) => s.plugin.manifest.id);
    expect(started.indexOf("fixture-full")).toBeLessThan(started.indexOf("fixture-contributor"));
  });

  test("without accounts, /api/auth/me answers the mode (local), not an error", async () => {
    const res = await t.inject({ method: "GET", url: "/api/auth/me" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ mode: "local", user: null });
  });

  test("a plugin left out leaves nothing behind: no routes, no job types", async () => {
    expect((await t.inject({ method: "GET", url: "/api/p/fixture-throws/v1/half" })).statusCode).toBe(404);
    expect((await t.inject({ method: "GET", url: "/api/p/fixture-bad-migration/v1/never" })).statusCode).toBe(404);
    await expect(t.kernel.jobs.enqueue("fixture-throws", "fixture-throws.work", {}, { tenantId: t.defaultTenant.id })).rejects.toThrow(
      /no started plugin declares/,
    );
  });

  test("a failing migration rolls back all of its batch", async () => {
    const tables = await t.kernel.database.knex.raw("select table_name from information_schema.tables where table_schema = 'plugin_fixture_bad_migration'");
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual([]);
  });

  test("routes live only under /api/p/<id>/v<major>/", async () => {
    const created = await t.inject({ method: "POST", url: "/api/p/fixture-full/v1/items", payload: { name: "first" } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: "first" });
    expect((await t.inject({ method: "GET", url: "/api/p/fixture-full/v1/items" })).json().items).toHaveLength(1);
    expect((await t.inject({ method: "GET", url: "/items" })).statusCode).toBe(404);
    expect((await t.inject({ method: "GET", url: "/api/p/fixture-full/v2/items" })).statusCode).toBe(404);
    expect((await t.inject({ method: "GET", url: "/api/p/fixture-contributor/v1/items" })).statusCode).toBe(404);
  });

  test("bad input is answered with a coded 400", async () => {
    const res = await t.inject({ method: "POST", url: "/api/p/fixture-full/v1/items", payload: { name: "" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("KERNEL_VALIDATION");
  });

  test("a plugin cannot read another plugin's tables or the kernel's", async () => {
    const other = await t.inject({ method: "GET", url: "/api/p/fixture-snoop/v1/peek?table=plugin_fixture_full.items" });
    expect(other.statusCode).toBe(403);
    expect(other.json().refused).toMatch(/permission denied/);
    const kernel = await t.inject({ method: "GET", url: "/api/p/fixture-snoop/v1/peek?table=kernel.jobs" });
    expect(kernel.json().refused).toMatch(/permission denied/);
  });

  test("extension point contributions reach the owner", async () => {
    const res = await t.inject({ method: "GET", url: "/api/p/fixture-full/v1/widgets" });
    expect(res.json()).toEqual({ widgets: [{ from: "fixture-contributor", name: "sparkle" }] });
  });

  test("settings come back validated with defaults", async () => {
    expect((await t.inject({ method: "GET", url: "/api/p/fixture-full/v1/settings" })).json()).toEqual({ greeting: "hello" });
  });

  test("GraphQL composes the kernel's schema with each plugin's extension", async () => {
    await t.inject({ method: "POST", url: "/api/p/fixture-full/v1/items", payload: { name: "second" } });
    const q = await t.graphql("{ kernel { sdkVersion } fixtureFullItems { name } }");
    expect(q.errors).toBeUndefined();
    expect(q.data).toEqual({ kernel: { sdkVersion: "1.0.0" }, fixtureFullItems: [{ name: "first" }, { name: "second" }] });
    const m = await t.graphql('mutation { fixtureFullRename(id: "1", name: "renamed") { name } }');
    expect(m.data).toEqual({ fixtureFullRename: { name: "renamed" } });
  });

  test("the panel registry lists panels of enabled plugins, and disabling a plugin hides its routes, fields and panels", async () => {
    const tenant = await t.createTenant(`agency-client-${database}`);
    const panels = await t.inject({ method: "GET", url: "/api/ui/panels", tenant: tenant.id });
    expect(
      panels
        .json()
        .panels.map((p: { plugin: string; id: string }) => `${p.plugin}/${p.id}`)
        .sort(),
    ).toEqual(["fixture-contributor/extra", "fixture-full/items"]);
    const url = panels.json().panels.find((p: { id: string }) => p.id === "items").url;
    expect(url).toBe("/plugins/fixture-full/1.4.1/ui/items.js");
    const module = await t.inject({ method: "GET", url });
    expect(module.statusCode).toBe(200);
    expect(module.headers["content-type"]).toMatch(/javascript/);

    await t.kernel.tenants.setEnabled(tenant.id, "fixture-full", false);
    const after = await t.inject({ method: "GET", url: "/api/ui/panels", tenant: tenant.id });
    expect(after.json().panels.map((p: { plugin: string }) => p.plugin)).toEqual(["fixture-contributor"]);
    const route = await t.inject({ method: "GET", url: "/api/p/fixture-full/v1/items", tenant: tenant.id });
    expect(route.statusCode).toBe(404);
    expect(route.json().error.code).toBe("KERNEL_PLUGIN_DISABLED");
    const gql = await t.graphql("{ fixtureFullItems { name } }", {}, { tenant: tenant.id });
    expect(gql.errors?.[0]?.message).toMatch(/not enabled for this tenant/);
    // The default tenant still has it.
    expect((await t.inject({ method: "GET", url: "/api/p/fixture-full/v1/items" })).statusCode).toBe(200);
  });

  test("tenants do not see each other's rows through the plugin", async () => {
    const other = await t.createTenant(`other-${database}`);
    const items = await t.inject({ method: "GET", url: "/api/p/fixture-full/v1/items", tenant: other.id });
    expect(items.json().items).toEqual([]);
  });

  test("health, readiness, metrics and the OpenAPI document", async () => {
    expect((await t.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    const ready = await t.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks["plugin:fixture-full"]).toBe("started");
    const metrics = (await t.inject({ method: "GET", url: "/metrics" })).body;
    expect(metrics).toContain("crealia_http_request_duration_seconds_bucket");
    expect(metrics).toContain('plugin="fixture-full"');
    expect(metrics).toContain("crealia_job_queue_length");
    expect(metrics).toContain("crealia_plugin_fixture_full_items_created_total");
    const doc = (await t.inject({ method: "GET", url: "/api/docs/json" })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/p/fixture-full/v1/items", "/api/p/fixture-contributor/v1/hello", "/api/ui/panels"]));
    expect(Object.keys(doc.paths).some((p: string) => p.includes("fixture-throws"))).toBe(false);
    expect((await t.inject({ method: "GET", url: "/api/docs/" })).statusCode).toBe(200);
  });

  test("plugins stop in reverse start order", async () => {
    const order: string[] = [];
    for (const s of t.kernel.runtime.started) s.staged.stopHooks.push(() => void order.push(s.plugin.manifest.id));
    const started = t.kernel.runtime.started.map((s) => s.plugin.manifest.id);
    await t.close();
    expect(order).toEqual([...started].reverse());
    t = undefined as unknown as TestKernel;
  });
});
