import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tenantTables } from "../../src/db/rls-check.js";
import { TENANT_ROLE, withTenant } from "../../src/tenancy/tenant-db.js";
import { createTestKernel, type TestKernel, type TestUser } from "../../src/testing/index.js";
import { fixture } from "../fixtures.js";

type Role = "owner" | "admin" | "editor" | "viewer" | "auditor" | "fixture-writer";
const ROLES: Role[] = ["owner", "admin", "editor", "viewer", "auditor", "fixture-writer"];
const ALL: Role[] = ["owner", "admin", "editor", "viewer"];
const MANAGERS: Role[] = ["owner", "admin"];

interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  url: string;
  payload?: () => unknown;
  /** Roles that get a 2xx; every other role gets 403. */
  allowed: Role[];
}

let seq = 0;
/** Each kernel route group and a sample plugin route, with who may use it. */
const MATRIX: Route[] = [
  { method: "GET", url: "/api/tenant", allowed: [...ALL, "auditor"] },
  { method: "PATCH", url: "/api/tenant", payload: () => ({ name: "Matrix tenant" }), allowed: MANAGERS },
  { method: "GET", url: "/api/tenant/members", allowed: ALL },
  { method: "POST", url: "/api/tenant/members", payload: () => ({ email: "matrix-target@example.com", role: "viewer" }), allowed: MANAGERS },
  { method: "GET", url: "/api/tenant/roles", allowed: ALL },
  { method: "POST", url: "/api/tenant/roles", payload: () => ({ name: `role-${++seq}`, permissions: ["asset.read"] }), allowed: MANAGERS },
  { method: "GET", url: "/api/tenant/permissions", allowed: ALL },
  { method: "GET", url: "/api/tenant/api-keys", allowed: MANAGERS },
  { method: "POST", url: "/api/tenant/api-keys", payload: () => ({ name: "k", permissions: ["asset.read"] }), allowed: MANAGERS },
  { method: "GET", url: "/api/tenant/audit", allowed: [...MANAGERS, "auditor"] },
  { method: "GET", url: "/api/tenant/plugins", allowed: ALL },
  { method: "PATCH", url: "/api/tenant/plugins/fixture-full", payload: () => ({ settings: { greeting: "hi" } }), allowed: MANAGERS },
  { method: "GET", url: "/api/kernel/plugins", allowed: ALL },
  { method: "GET", url: "/api/ui/panels", allowed: ALL },
  { method: "GET", url: "/api/assets", allowed: ALL },
  { method: "GET", url: "/api/projects", allowed: ALL },
  { method: "POST", url: "/api/projects", payload: () => ({ name: "p" }), allowed: ["owner", "admin", "editor"] },
  { method: "GET", url: "/api/jobs", allowed: ALL },
  { method: "GET", url: "/api/oauth/connections", allowed: ALL },
  { method: "GET", url: "/api/agency/clients", allowed: MANAGERS },
  { method: "GET", url: "/api/agency/bundles", allowed: MANAGERS },
  // The sample plugin: reading needs no permission beyond membership; writing needs fixture-full.write.
  { method: "GET", url: "/api/p/fixture-full/v1/items", allowed: ROLES },
  { method: "POST", url: "/api/p/fixture-full/v1/items", payload: () => ({ name: `m${++seq}` }), allowed: ["owner", "admin", "editor", "fixture-writer"] },
];

describe.each(["pglite", "postgres"] as const)("access and isolation on %s", (database) => {
  let t: TestKernel;
  let owner: TestUser;
  const as: Partial<Record<Role, TestUser>> = {};

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [fixture("full"), fixture("contributor"), fixture("no-policy")], database, auth: "accounts" });
    owner = await t.signUp(`owner-${database}@example.com`);
    as.owner = owner;
    await t.signUp("matrix-target@example.com");
    const custom = await owner.inject({ method: "POST", url: "/api/tenant/roles", payload: { name: "auditor", permissions: ["audit.read", "tenant.read"] } });
    expect(custom.statusCode).toBe(201);
    for (const role of ROLES.filter((r) => r !== "owner")) {
      const u = await t.signUp(`${role}-${database}@example.com`);
      const added = await owner.inject({ method: "POST", url: "/api/tenant/members", payload: { email: u.email, role } });
      expect(added.statusCode).toBe(201);
      as[role] = await u.signInTo(owner.ownTenantId);
    }
  });
  afterAll(() => t?.close());

  test("roles are the built-in four, the plugin's and the tenant's own", async () => {
    const roles = (await owner.inject({ method: "GET", url: "/api/tenant/roles" })).json().roles;
    expect(roles.map((r: { name: string; source: string }) => `${r.name}:${r.source}`)).toEqual(
      expect.arrayContaining(["owner:kernel", "admin:kernel", "editor:kernel", "viewer:kernel", "fixture-writer:plugin:fixture-full", "auditor:tenant"]),
    );
    const perms = (await owner.inject({ method: "GET", url: "/api/tenant/permissions" })).json().permissions;
    expect(perms).toContainEqual({ name: "fixture-full.write", description: "Write fixture items", source: "plugin:fixture-full" });
  });

  test("access matrix: every role × every route gives the expected 2xx or 403", async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const route of MATRIX) {
      for (const role of ROLES) {
        const res = await (as[role] as TestUser).inject({ method: route.method, url: route.url, payload: route.payload?.() as never });
        const outcome = res.statusCode === 403 ? "403" : res.statusCode >= 200 && res.statusCode < 300 ? "2xx" : `${res.statusCode} ${res.body.slice(0, 120)}`;
        if (outcome === "403") expect(res.json().error.code).toBe("KERNEL_FORBIDDEN");
        got.push(`${role} ${route.method} ${route.url} → ${outcome}`);
        want.push(`${role} ${route.method} ${route.url} → ${route.allowed.includes(role) ? "2xx" : "403"}`);
      }
    }
    expect(got).toEqual(want);
  });

  test("GraphQL fields need their permission too", async () => {
    const jobs = await (as["fixture-writer"] as TestUser).graphql("{ jobs { jobs { id } } }");
    expect(jobs.errors?.[0]?.message).toMatch(/job\.read/);
    expect((await (as.viewer as TestUser).graphql("{ jobs { jobs { id } } }")).errors).toBeUndefined();
  });

  test("no one hands out more than they hold: an admin cannot make an owner, nor a role with '*'", async () => {
    const admin = as.admin as TestUser;
    const target = await t.signUp(`escalate-${database}@example.com`);
    const res = await admin.inject({ method: "POST", url: "/api/tenant/members", payload: { email: target.email, role: "owner" } });
    expect(res.statusCode).toBe(403);
    const role = await admin.inject({ method: "POST", url: "/api/tenant/roles", payload: { name: "sneaky", permissions: ["*"] } });
    expect(role.statusCode).toBe(403);
    const demoteOwner = await admin.inject({ method: "PATCH", url: `/api/tenant/members/${owner.id}`, payload: { role: "viewer" } });
    expect(demoteOwner.statusCode).toBe(403);
    const lastOwner = await owner.inject({ method: "PATCH", url: `/api/tenant/members/${owner.id}`, payload: { role: "admin" } });
    expect(lastOwner.json().error.code).toBe("KERNEL_CONFLICT");
    const audit = (await owner.inject({ method: "GET", url: "/api/tenant/audit" })).json().events.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(["member.added", "role.created", "signed-in", "plugin.configured"]));
  });

  describe("tenant A cannot reach tenant B", () => {
    let a: TestUser;
    let b: TestUser;
    const B: Record<string, string> = {};

    beforeAll(async () => {
      a = await t.signUp(`a-${database}@example.com`);
      b = await t.signUp(`b-${database}@example.com`);
      await a.inject({ method: "POST", url: "/api/p/fixture-full/v1/items", payload: { name: "a-item" } });
      const item = await b.inject({ method: "POST", url: "/api/p/fixture-full/v1/items", payload: { name: "b-secret-item" } });
      B.item = String(item.json().id);
      const job = await b.inject({ method: "POST", url: "/api/p/fixture-full/v1/jobs", payload: { type: "fixture-full.double", payload: { n: 21 } } });
      B.job = job.json().id;
      await t.waitForJob(B.job as string);
      const key = await b.inject({
        method: "POST",
        url: "/api/tenant/api-keys",
        payload: { name: "b-secret-key", permissions: ["asset.read", "tenant.read"] },
      });
      B.key = key.json().apiKey.id;
      B.keySecret = key.json().secret;
      const project = await b.inject({ method: "POST", url: "/api/projects", payload: { name: "b-secret-project" } });
      B.project = project.json().project?.id ?? project.json().id;
      await b.inject({ method: "PUT", url: "/api/tenant/plugins/fixture-full/secrets/token", payload: { value: "b-secret-value" } });
      await b.inject({ method: "PATCH", url: "/api/tenant/plugins/fixture-full", payload: { settings: { greeting: "b-secret-greeting" } } });
      const [asset] = await t.kernel.database
        .knex("kernel.assets")
        .insert({ tenant_id: b.ownTenantId, owner_user_id: b.id, kind: "image", name: "b-secret-asset", status: "ready" })
        .returning("id");
      B.asset = asset.id;
    });

    const secretsOfB = ["b-secret-item", "b-secret-key", "b-secret-project", "b-secret-value", "b-secret-greeting", "b-secret-asset"];
    /** Nothing of B in a response, but for what the caller sent itself (an id in the URL may be echoed in the error). */
    const leaksNothing = (body: string, sent = "") => {
      for (const s of [...secretsOfB, B.job, B.key, B.asset, b?.id, b?.ownTenantId]) if (!sent.includes(s as string)) expect(body).not.toContain(s as string);
    };

    test("every route with B's ids answers 404/403 and shows nothing of B", async () => {
      const probes: { method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT"; url: string; payload?: unknown }[] = [
        { method: "GET", url: `/api/jobs/${B.job}` },
        { method: "POST", url: `/api/jobs/${B.job}/cancel` },
        { method: "POST", url: `/api/jobs/${B.job}/retry` },
        { method: "GET", url: `/api/assets/${B.asset}` },
        { method: "GET", url: `/api/assets/${B.asset}/versions` },
        { method: "PATCH", url: `/api/assets/${B.asset}`, payload: { name: "mine now" } },
        { method: "DELETE", url: `/api/assets/${B.asset}` },
        { method: "DELETE", url: `/api/tenant/api-keys/${B.key}` },
        { method: "PATCH", url: `/api/tenant/members/${b.id}`, payload: { role: "viewer" } },
        { method: "DELETE", url: `/api/tenant/members/${b.id}` },
        { method: "POST", url: "/api/auth/switch-tenant", payload: { tenantId: b.ownTenantId } },
        { method: "POST", url: "/api/agency/bundles/00000000-0000-0000-0000-000000000000/apply", payload: { tenantIds: [b.ownTenantId] } },
        { method: "DELETE", url: `/api/auth/sessions/${b.sessionId}` },
        { method: "GET", url: `/api/account/exports/${B.job}` },
      ];
      for (const p of probes) {
        const res = await a.inject({ method: p.method, url: p.url, payload: p.payload as never });
        expect([403, 404], `${p.method} ${p.url} → ${res.statusCode} ${res.body}`).toContain(res.statusCode);
        leaksNothing(res.body, p.url + JSON.stringify(p.payload ?? {}));
      }
      // B's things are untouched.
      expect((await b.inject({ method: "GET", url: `/api/jobs/${B.job}` })).json().status).toBe("succeeded");
      expect((await b.inject({ method: "GET", url: "/api/tenant/api-keys" })).json().apiKeys[0].revokedAt).toBeNull();
    });

    test("every list A can read holds only A's rows", async () => {
      for (const url of [
        "/api/jobs",
        "/api/assets",
        "/api/projects",
        "/api/tenant",
        "/api/tenant/members",
        "/api/tenant/roles",
        "/api/tenant/api-keys",
        "/api/tenant/audit",
        "/api/tenant/plugins",
        "/api/tenant/plugins/fixture-full",
        "/api/oauth/connections",
        "/api/auth/me",
        "/api/auth/sessions",
        "/api/p/fixture-full/v1/items",
        "/api/p/fixture-full/v1/items/raw",
        "/api/p/fixture-full/v1/settings",
      ]) {
        const res = await a.inject({ method: "GET", url });
        expect(res.statusCode, `${url} → ${res.body}`).toBe(200);
        leaksNothing(res.body);
      }
      const raw = (await a.inject({ method: "GET", url: "/api/p/fixture-full/v1/items/raw" })).json().rows;
      expect(raw.map((r: { name: string; tenant_id: string }) => [r.name, r.tenant_id])).toEqual([["a-item", a.ownTenantId]]);
    });

    test("every GraphQL field touching B's data gives nothing of B", async () => {
      const q = await a.graphql(
        `query($job: ID!) { job(id: $job) { id } jobs { jobs { id tenantId } } fixtureFullItems { name } fixtureFullAllItems { name } kernel { version } }`,
        { job: B.job },
      );
      expect(q.errors).toBeUndefined();
      expect(q.data).toMatchObject({ job: null, jobs: { jobs: [] }, fixtureFullItems: [{ name: "a-item" }], fixtureFullAllItems: [{ name: "a-item" }] });
      const m = await a.graphql(`mutation { cancelJob(id: "${B.job}") { id } fixtureFullRename(id: "${B.item}", name: "stolen") { name } }`);
      leaksNothing(JSON.stringify(m));
      expect((m.data as { fixtureFullRename: unknown } | undefined)?.fixtureFullRename ?? null).toBeNull();
      expect((await b.graphql("{ fixtureFullAllItems { name } }")).data).toEqual({ fixtureFullAllItems: [{ name: "b-secret-item" }] });
    });

    test("B's API key works only in B", async () => {
      const res = await t.inject({ method: "GET", url: "/api/tenant", headers: { authorization: `Bearer ${B.keySecret}` } });
      expect(res.json().tenant.id).toBe(b.ownTenantId);
      // A header naming another tenant changes nothing: the key's tenant is the tenant.
      const other = await t.inject({
        method: "GET",
        url: "/api/tenant",
        headers: { authorization: `Bearer ${B.keySecret}`, "x-crealia-test-tenant": a.ownTenantId },
      });
      expect(other.json().tenant.id).toBe(b.ownTenantId);
    });

    test("raw plugin SQL outside any request or job sees no tenant's rows; kernel queries as crealia_tenant see only their tenant's", async () => {
      const full = t.kernel.runtime.started.find((s) => s.plugin.manifest.id === "fixture-full");
      const none = await full?.staged.ctx.db.transaction((trx) => trx.raw("select count(*)::int as n from items"));
      expect(none.rows[0].n).toBe(0);
      const forA = await full?.staged.ctx.db.transaction((trx) => trx.raw("select name from items"), { tenantId: a.ownTenantId });
      expect(forA.rows).toEqual([{ name: "a-item" }]);
      // Writing a row for another tenant is refused (WITH CHECK).
      await expect(
        full?.staged.ctx.db.transaction((trx) => trx("items").insert({ tenant_id: b.ownTenantId, name: "planted" }), { tenantId: a.ownTenantId }),
      ).rejects.toThrow(/row-level security/);

      const db = t.kernel.database.knex;
      for (const table of [
        "kernel.jobs",
        "kernel.api_keys",
        "kernel.audit_log",
        "kernel.memberships",
        "kernel.assets",
        "kernel.plugin_secrets",
        "kernel.tenant_plugins",
      ]) {
        const rows = await withTenant(db, a.ownTenantId, (trx) => trx(table).select("tenant_id"));
        expect(
          rows.every((r: { tenant_id: string }) => r.tenant_id === a.ownTenantId),
          table,
        ).toBe(true);
      }
      const role = await db.raw("select rolsuper, rolbypassrls from pg_roles where rolname = ?", [TENANT_ROLE]);
      expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
      // The tenant role cannot read password hashes.
      await expect(withTenant(db, a.ownTenantId, (trx) => trx("kernel.users").select("password_hash"))).rejects.toThrow(/permission denied/);
      // Every kernel table with tenant_id is under a tenant policy.
      const kernelTables = await tenantTables(db, "kernel");
      expect(kernelTables.length).toBeGreaterThan(8);
      expect(kernelTables.filter((x) => !x.rls || x.policies === 0).map((x) => x.table)).toEqual([]);
      // And every plugin tenant table is forced (its owner, the plugin role, is held to it).
      expect(await tenantTables(db, "plugin_fixture_full")).toEqual([{ table: "items", rls: true, forced: true, policies: 1, type: "uuid" }]);
    });
  });

  test("a plugin migration that creates a tenant table without a policy fails and leaves nothing", async () => {
    const status = t.kernel.plugins().find((p) => p.id === "fixture-no-policy");
    expect(status).toMatchObject({ state: "failed", phase: "migrate" });
    expect(status?.reason).toMatch(/table notes has a tenant_id column but no row-level security policy/);
    const tables = await t.kernel.database.knex.raw("select table_name from information_schema.tables where table_schema = 'plugin_fixture_no_policy'");
    expect(tables.rows).toEqual([]);
  });

  test("a job of a plugin the tenant disabled does not run, and cannot be enqueued", async () => {
    const u = await t.signUp(`jobs-${database}@example.com`);
    const job = await t.kernel.jobs.enqueue("fixture-full", "fixture-full.double", { n: 2 }, { tenantId: u.ownTenantId, delayMs: 300 });
    await u.inject({ method: "PATCH", url: "/api/tenant/plugins/fixture-full", payload: { enabled: false } });
    const done = await t.waitForJob(job.id);
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("KERNEL_PLUGIN_DISABLED");
    const full = t.kernel.runtime.started.find((s) => s.plugin.manifest.id === "fixture-full");
    await expect(full?.staged.ctx.jobs.enqueue("fixture-full.double", { n: 1 }, { tenantId: u.ownTenantId })).rejects.toThrow(/not enabled/);
    expect((await u.inject({ method: "GET", url: "/api/p/fixture-full/v1/items" })).statusCode).toBe(404);
    // A version pin the installed version does not meet also switches it off for the tenant.
    await u.inject({ method: "PATCH", url: "/api/tenant/plugins/fixture-full", payload: { enabled: true, versionPin: "^2.0.0" } });
    const listed = (await u.inject({ method: "GET", url: "/api/tenant/plugins/fixture-full" })).json().plugin;
    expect(listed).toMatchObject({ enabled: true, active: false, versionPin: "^2.0.0" });
    expect((await u.inject({ method: "GET", url: "/api/p/fixture-full/v1/items" })).statusCode).toBe(404);
    await u.inject({ method: "PATCH", url: "/api/tenant/plugins/fixture-full", payload: { versionPin: "~1.4.0" } });
    expect((await u.inject({ method: "GET", url: "/api/p/fixture-full/v1/items" })).statusCode).toBe(200);
    const bad = await u.inject({ method: "PATCH", url: "/api/tenant/plugins/fixture-full", payload: { settings: { greeting: 42 } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("KERNEL_VALIDATION");
    const actions = (await u.inject({ method: "GET", url: "/api/tenant/audit" })).json().events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["plugin.disabled", "plugin.enabled", "plugin.configured"]));
  });
});
