import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestKernel, type TestKernel, type TestUser } from "../../src/testing/index.js";

function multipart(name: string, type: string, bytes: Buffer) {
  const boundary = "----crealia-test-boundary";
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`);
  return {
    payload: Buffer.concat([head, bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  };
}

describe("GDPR: export and account deletion", () => {
  let t: TestKernel;
  let ada: TestUser;
  let assetId: string;

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [], auth: "accounts" });
    ada = await t.signUp("ada-gdpr@example.com", { name: "Ada" });
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#c33" } })
      .png()
      .toBuffer();
    const up = await ada.inject({ method: "POST", url: "/api/assets", ...multipart("red.png", "image/png", png) });
    expect(up.statusCode).toBe(201);
    assetId = up.json().asset.id;
    await t.waitForJob(up.json().jobId, { timeoutMs: 20_000 });
  });
  afterAll(() => t?.close());

  test("an export is a job with progress that ends with the user's JSON and files", async () => {
    const started = await ada.inject({ method: "POST", url: "/api/account/export" });
    expect(started.statusCode).toBe(202);
    const job = started.json().job;
    expect(job.type).toBe("kernel.account-export");
    const done = await t.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe("succeeded");
    expect(done.progress).toBe(1);
    const links = (await ada.inject({ method: "GET", url: `/api/account/exports/${job.id}` })).json();
    expect(links.status).toBe("succeeded");
    const names = links.files.map((f: { name: string }) => f.name);
    expect(names).toEqual(["account.json", `files/${assetId}/v1.png`]);
    const json = await t.inject({ method: "GET", url: new URL(links.files[0].url, "http://x").pathname + new URL(links.files[0].url, "http://x").search });
    expect(json.statusCode).toBe(200);
    const doc = JSON.parse(json.body);
    expect(doc.user).toMatchObject({ email: "ada-gdpr@example.com", name: "Ada" });
    expect(JSON.stringify(doc)).not.toContain("argon2");
    expect(doc.tenants[0].assets.map((a: { name: string }) => a.name)).toEqual(["red.png"]);
    expect(doc.tenants[0].audit.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(["account.signed-up", "signed-in"]));
    const file = await t.inject({ method: "GET", url: new URL(links.files[1].url, "http://x").pathname + new URL(links.files[1].url, "http://x").search });
    expect((await sharp(file.rawPayload).metadata()).width).toBe(8);
    // Someone else's export is not theirs to read.
    const other = await t.signUp("nosy@example.com");
    expect((await other.inject({ method: "GET", url: `/api/account/exports/${job.id}` })).statusCode).toBe(404);
  });

  test("deleting an account removes its rows and its own tenant's blobs; shared tenants keep the audit trail", async () => {
    const team = await t.signUp("team-owner@example.com");
    await t.addMember(team.ownTenantId, ada.id, "editor");
    expect((await ada.inject({ method: "POST", url: "/api/account/delete", payload: { password: "wrong" } })).statusCode).toBe(401);
    const del = await ada.inject({ method: "POST", url: "/api/account/delete", payload: { password: ada.password } });
    expect(del.statusCode).toBe(200);
    expect(del.json().tenantsDeleted).toEqual([ada.ownTenantId]);

    const db = t.kernel.database.knex;
    expect(await db("kernel.users").where({ id: ada.id }).first()).toBeUndefined();
    expect(await db("kernel.tenants").where({ id: ada.ownTenantId }).first()).toBeUndefined();
    expect(await db("kernel.assets").where({ id: assetId }).first()).toBeUndefined();
    expect(await db("kernel.memberships").where({ user_id: ada.id })).toEqual([]);
    expect(await db("kernel.sessions").where({ user_id: ada.id })).toEqual([]);
    const members = (await team.inject({ method: "GET", url: "/api/tenant/members" })).json().members;
    expect(members.map((m: { email: string }) => m.email)).toEqual(["team-owner@example.com"]);
    const audit = (await team.inject({ method: "GET", url: "/api/tenant/audit" })).json().events;
    expect(audit).toContainEqual(expect.objectContaining({ action: "account.deleted", userId: ada.id }));
    expect((await ada.inject({ method: "GET", url: "/api/tenant" })).statusCode).toBe(401);
    expect((await t.inject({ method: "POST", url: "/api/auth/sign-in", payload: { email: ada.email, password: ada.password } })).statusCode).toBe(401);
  });

  test("the only owner of a shared tenant must hand it over first", async () => {
    const solo = await t.signUp("solo-owner@example.com");
    const helper = await t.signUp("helper@example.com");
    await t.addMember(solo.ownTenantId, helper.id, "editor");
    const res = await solo.inject({ method: "POST", url: "/api/account/delete", payload: { password: solo.password } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("KERNEL_CONFLICT");
  });
});
