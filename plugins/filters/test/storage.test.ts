/**
 * The plugin's migration and tables on both databases the kernel supports: PGlite (the embedded
 * default) and a scratch database on real Postgres (TEST_POSTGRES_URL).
 */
import { createTestKernel, type TestKernel } from "@crealia/kernel/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { API, pluginDir, testCard, upload } from "./helpers.js";

describe.each(["pglite", "postgres"] as const)("filters storage on %s", (database) => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await createTestKernel({ plugins: [pluginDir], database });
  });
  afterAll(() => t?.close());

  test("migrates into its own schema and starts", async () => {
    expect(t.kernel.plugins().find((p) => p.id === "filters")?.state).toBe("started");
    const tables = await t.kernel.database.knex("information_schema.tables").where({ table_schema: "plugin_filters" }).pluck("table_name");
    expect([...tables].sort()).toEqual(["crealia_migrations", "luts", "presets", "recipe_history", "recipes"]);
  });

  test("presets, recipes and history stay inside their tenant", async () => {
    const a = t.defaultTenant.id;
    const b = (await t.createTenant(`storage-${database}`)).id;
    const mine = await t.inject({ method: "POST", url: `${API}/presets`, payload: { name: "Same name", recipe: { basic: { exposure: 1 } } }, tenant: a });
    const theirs = await t.inject({ method: "POST", url: `${API}/presets`, payload: { name: "Same name", recipe: { basic: { exposure: -1 } } }, tenant: b });
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    const listB = (await t.inject({ method: "GET", url: `${API}/presets`, tenant: b })).json().presets.filter((p: { builtIn: boolean }) => !p.builtIn);
    expect(listB.map((p: { recipe: unknown }) => p.recipe)).toEqual([{ basic: { exposure: -1 } }]);
    expect((await t.inject({ method: "PATCH", url: `${API}/presets/${mine.json().id}`, payload: { name: "Stolen" }, tenant: b })).statusCode).toBe(404);

    const asset = await upload(t, await testCard(), "card.png", a);
    await t.inject({ method: "PUT", url: `${API}/assets/${asset}/recipe`, payload: { recipe: { basic: { contrast: 10 } } }, tenant: a });
    expect((await t.inject({ method: "GET", url: `${API}/assets/${asset}/history`, tenant: b })).statusCode).toBe(404);
    expect((await t.inject({ method: "GET", url: `${API}/assets/${asset}/history`, tenant: a })).json().history).toHaveLength(1);
  });
});
