import { createPrivateKey, createPublicKey } from "node:crypto";
import { decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestKernel, type TestKernel } from "../../src/testing/index.js";

const cookiesOf = (res: { cookies: { name: string; value: string }[] }) => Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

describe("accounts, tokens and API keys", () => {
  let t: TestKernel;

  beforeAll(async () => {
    t = await createTestKernel({
      plugins: [],
      auth: "accounts",
      identity: { signInLimits: { perAccount: 3, perIp: 1000, windowSeconds: 60, lockAfter: 6, lockMinutes: 5 } },
    });
  });
  afterAll(() => t?.close());

  test("without credentials the API answers 401; sign-up makes an owner of a new tenant; sign-in gives bearer tokens", async () => {
    const anon = await t.inject({ method: "GET", url: "/api/tenant" });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error.code).toBe("KERNEL_UNAUTHENTICATED");

    const ada = await t.signUp("Ada@Example.com");
    expect(ada.email).toBe("ada@example.com");
    // The installation's first account owns the default tenant; later ones get a tenant of their own.
    expect(ada.ownTenantId).toBe(t.defaultTenant.id);
    expect((await t.signUp("second@example.com")).ownTenantId).not.toBe(t.defaultTenant.id);
    const me = await ada.inject({ method: "GET", url: "/api/auth/me" });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { email: "ada@example.com", emailVerified: false }, tenantId: ada.ownTenantId, permissions: ["*"] });
    expect(me.json().tenants).toEqual([expect.objectContaining({ id: ada.ownTenantId, role: "owner", via: "member" })]);

    const dup = await t.inject({ method: "POST", url: "/api/auth/sign-up", payload: { email: "ada@example.com", password: "another long password" } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe("KERNEL_EMAIL_TAKEN");
    const weak = await t.inject({ method: "POST", url: "/api/auth/sign-up", payload: { email: "weak@example.com", password: "short" } });
    expect(weak.json().error.code).toBe("KERNEL_WEAK_PASSWORD");
  });

  test("passwords are stored as argon2id hashes", async () => {
    const row = await t.kernel.database.knex("kernel.users").where({ email: "ada@example.com" }).first("password_hash");
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  test("a JWKS lists the signing key; a tampered, expired, unknown-kid or foreign-signed token gets 401", async () => {
    const u = await t.signUp("jwt@example.com");
    const jwks = (await t.inject({ method: "GET", url: "/.well-known/jwks.json" })).json();
    const { kid } = decodeProtectedHeader(u.accessToken);
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
    expect(JSON.stringify(jwks)).not.toMatch(/"d":/);
    expect((await t.inject({ method: "GET", url: "/api/auth/jwks" })).json()).toEqual(jwks);

    const call = (token: string) => t.inject({ method: "GET", url: "/api/tenant", headers: { authorization: `Bearer ${token}` } });
    expect((await call(u.accessToken)).statusCode).toBe(200);

    const [h, p, s] = u.accessToken.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, tid: t.defaultTenant.id })).toString("base64url");
    const tampered = await call(`${h}.${tamperedPayload}.${s}`);
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json().error.code).toBe("KERNEL_UNAUTHENTICATED");

    const flipped = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    expect((await call(flipped)).statusCode).toBe(401);

    const expired = await t.kernel.identity.tokens.sign({ sub: u.id, sid: u.sessionId, tid: u.tenantId }, { expiresAt: new Date(Date.now() - 5000) });
    const exp = await call(expired.token);
    expect(exp.statusCode).toBe(401);
    expect(exp.json().error.message).toMatch(/expired/);

    // Signed with a key the kernel never made, under an unknown kid, and under the real kid.
    const { generateKeyPair } = await import("jose");
    const foreign = await generateKeyPair("ES256");
    const forge = (useKid: string) =>
      new SignJWT({ sid: u.sessionId, tid: u.tenantId })
        .setProtectedHeader({ alg: "ES256", kid: useKid, typ: "at+jwt" })
        .setSubject(u.id)
        .setIssuer("crealia")
        .setAudience("crealia-api")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(foreign.privateKey);
    const unknownKid = await call(await forge("no-such-kid"));
    expect(unknownKid.statusCode).toBe(401);
    expect(unknownKid.json().error.message).toMatch(/unknown key/);
    expect((await call(await forge(kid as string))).statusCode).toBe(401);

    // alg=none and HS256-with-the-public-key confusions are refused too.
    const none = `${Buffer.from(JSON.stringify({ alg: "none", kid, typ: "at+jwt" })).toString("base64url")}.${p}.`;
    expect((await call(none)).statusCode).toBe(401);
    const pub = createPublicKey({ key: jwks.keys.find((k: { kid: string }) => k.kid === kid), format: "jwk" }).export({ format: "pem", type: "spki" });
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" }).sign(new TextEncoder().encode(String(pub)));
    expect((await call(hs)).statusCode).toBe(401);
    expect(createPrivateKey).toBeDefined();
  });

  test("key rotation: a new kid signs, tokens of the old one still verify until they expire", async () => {
    const u = await t.signUp("rotate@example.com");
    const oldKid = decodeProtectedHeader(u.accessToken).kid;
    await t.kernel.identity.keys.rotate();
    const again = await u.signInTo(u.tenantId);
    expect(decodeProtectedHeader(again.accessToken).kid).not.toBe(oldKid);
    const keys = (await t.inject({ method: "GET", url: "/.well-known/jwks.json" })).json().keys.map((k: { kid: string }) => k.kid);
    expect(keys).toEqual(expect.arrayContaining([oldKid, decodeProtectedHeader(again.accessToken).kid]));
    expect((await t.inject({ method: "GET", url: "/api/tenant", headers: { authorization: `Bearer ${u.accessToken}` } })).statusCode).toBe(200);
    const row = await t.kernel.database.knex("kernel.signing_keys").where({ kid: oldKid }).first("private_jwk_enc");
    expect(row.private_jwk_enc).toMatch(/^v1\./);
    expect(row.private_jwk_enc).not.toContain('"d"');
  });

  test("refresh rotates the token; reusing a spent one revokes the whole family", async () => {
    const u = await t.signUp("refresh@example.com");
    const first = await t.inject({ method: "POST", url: "/api/auth/refresh", payload: { refreshToken: u.refreshToken } });
    expect(first.statusCode).toBe(200);
    const r1 = first.json();
    expect(r1.refreshToken).not.toBe(u.refreshToken);
    const second = await t.inject({ method: "POST", url: "/api/auth/refresh", payload: { refreshToken: r1.refreshToken } });
    expect(second.statusCode).toBe(200);
    const r2 = second.json();

    // The first token again: someone copied it. The family goes.
    const reuse = await t.inject({ method: "POST", url: "/api/auth/refresh", payload: { refreshToken: u.refreshToken } });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error.code).toBe("KERNEL_REFRESH_REUSED");
    // The newest token of the family and its access token are dead too.
    const latest = await t.inject({ method: "POST", url: "/api/auth/refresh", payload: { refreshToken: r2.refreshToken } });
    expect(latest.statusCode).toBe(401);
    expect(latest.json().error.code).toBe("KERNEL_REFRESH_INVALID");
    await new Promise((r) => setTimeout(r, 2100)); // the session cache
    expect((await t.inject({ method: "GET", url: "/api/tenant", headers: { authorization: `Bearer ${r2.accessToken}` } })).statusCode).toBe(401);
    const audit = await t.kernel.identity.audit.list(u.ownTenantId, { action: "session.refresh-reused" });
    expect(audit).toHaveLength(1);
  });

  test("sessions are listed and revocable; sign-out ends the session", async () => {
    const u = await t.signUp("sessions@example.com");
    const other = await u.signInTo(u.ownTenantId);
    const list = (await u.inject({ method: "GET", url: "/api/auth/sessions" })).json().sessions;
    expect(list.map((s: { id: string }) => s.id).sort()).toEqual([u.sessionId, other.sessionId].sort());
    expect(list.find((s: { id: string }) => s.id === u.sessionId).current).toBe(true);
    expect((await u.inject({ method: "DELETE", url: `/api/auth/sessions/${other.sessionId}` })).statusCode).toBe(204);
    expect((await t.inject({ method: "POST", url: "/api/auth/refresh", payload: { refreshToken: other.refreshToken } })).statusCode).toBe(401);
    const stranger = await t.signUp("stranger@example.com");
    expect((await stranger.inject({ method: "DELETE", url: `/api/auth/sessions/${u.sessionId}` })).statusCode).toBe(404);

    expect((await u.inject({ method: "POST", url: "/api/auth/sign-out" })).statusCode).toBe(204);
    expect((await u.inject({ method: "GET", url: "/api/tenant" })).statusCode).toBe(401);
    expect((await t.inject({ method: "POST", url: "/api/auth/refresh", payload: { refreshToken: u.refreshToken } })).statusCode).toBe(401);
  });

  test("password change signs out the other sessions; reset by a token from the notification channel; email verification", async () => {
    const u = await t.signUp("pw@example.com", { password: "first password is long" });
    const other = await u.signInTo(u.ownTenantId);
    const wrong = await u.inject({ method: "POST", url: "/api/auth/password", payload: { currentPassword: "nope", newPassword: "second password is long" } });
    expect(wrong.json().error.code).toBe("KERNEL_INVALID_CREDENTIALS");
    expect(
      (
        await u.inject({
          method: "POST",
          url: "/api/auth/password",
          payload: { currentPassword: "first password is long", newPassword: "second password is long" },
        })
      ).statusCode,
    ).toBe(204);
    expect((await t.inject({ method: "POST", url: "/api/auth/refresh", payload: { refreshToken: other.refreshToken } })).statusCode).toBe(401);
    expect((await t.inject({ method: "POST", url: "/api/auth/sign-in", payload: { email: u.email, password: "second password is long" } })).statusCode).toBe(
      200,
    );

    const unknown = await t.inject({ method: "POST", url: "/api/auth/password-reset", payload: { email: "nobody@example.com" } });
    expect(unknown.statusCode).toBe(202);
    expect((await t.inject({ method: "POST", url: "/api/auth/password-reset", payload: { email: u.email } })).statusCode).toBe(202);
    const mail = t.notifications.last(u.email, "password-reset");
    expect(mail?.data.token).toBeTruthy();
    const bad = await t.inject({ method: "POST", url: "/api/auth/password-reset/confirm", payload: { token: "bogus", newPassword: "third password is long" } });
    expect(bad.json().error.code).toBe("KERNEL_TOKEN_INVALID");
    const ok = await t.inject({
      method: "POST",
      url: "/api/auth/password-reset/confirm",
      payload: { token: mail?.data.token, newPassword: "third password is long" },
    });
    expect(ok.statusCode).toBe(204);
    const again = await t.inject({
      method: "POST",
      url: "/api/auth/password-reset/confirm",
      payload: { token: mail?.data.token, newPassword: "fourth password is long" },
    });
    expect(again.json().error.code).toBe("KERNEL_TOKEN_INVALID");
    expect((await t.inject({ method: "POST", url: "/api/auth/sign-in", payload: { email: u.email, password: "third password is long" } })).statusCode).toBe(
      200,
    );

    const verify = t.notifications.last(u.email, "email-verification");
    const verified = await t.inject({ method: "POST", url: "/api/auth/verify-email", payload: { token: verify?.data.token } });
    expect(verified.json().user.emailVerified).toBe(true);
  });

  test("brute force: 429 after the per-account limit; an account failing too often is locked and says so; a reset unlocks it", async () => {
    const u = await t.signUp("brute@example.com");
    const attempt = (password: string) => t.inject({ method: "POST", url: "/api/auth/sign-in", payload: { email: u.email, password } });
    for (let i = 0; i < 3; i++) expect((await attempt(`wrong-${i}`)).json().error.code).toBe("KERNEL_INVALID_CREDENTIALS");
    const limited = await attempt("wrong-again");
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe("KERNEL_RATE_LIMITED");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    // Even the right password waits out the window.
    expect((await attempt(u.password)).statusCode).toBe(429);

    // Past the window (the limiter is reset here), failures keep counting towards the lock.
    await t.kernel.identity.limiter.succeeded(u.email);
    for (let i = 0; i < 3; i++) await attempt(`wrong-late-${i}`);
    await t.kernel.identity.limiter.succeeded(u.email);
    const locked = await attempt(u.password);
    expect(locked.statusCode).toBe(423);
    expect(locked.json().error).toMatchObject({ code: "KERNEL_ACCOUNT_LOCKED" });
    expect(locked.json().error.message).toMatch(/locked/);
    const events = (await t.kernel.identity.audit.list(u.ownTenantId)).map((e) => e.action);
    expect(events).toContain("account.locked");
    expect(events).toContain("sign-in.failed");

    await t.inject({ method: "POST", url: "/api/auth/password-reset", payload: { email: u.email } });
    const token = t.notifications.last(u.email, "password-reset")?.data.token;
    await t.inject({ method: "POST", url: "/api/auth/password-reset/confirm", payload: { token, newPassword: "a brand new password" } });
    expect((await attempt("a brand new password")).statusCode).toBe(200);
  });

  test("per-IP limit applies across accounts", async () => {
    const k = await createTestKernel({ plugins: [], auth: "accounts", identity: { signInLimits: { perAccount: 100, perIp: 4, windowSeconds: 60 } } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        codes.push(
          (await k.inject({ method: "POST", url: "/api/auth/sign-in", payload: { email: `user${i}@example.com`, password: "whatever it is" } })).statusCode,
        );
      }
      expect(codes).toEqual([401, 401, 401, 401, 429]);
    } finally {
      await k.close();
    }
  });

  test("cookie mode: httpOnly cookies, reads without CSRF, writes need the x-csrf-token header; refresh by cookie", async () => {
    await t.signUp("cookie@example.com");
    const res = await t.inject({
      method: "POST",
      url: "/api/auth/sign-in",
      payload: { email: "cookie@example.com", password: "correct horse battery staple", mode: "cookie" },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.accessToken).toBeUndefined();
    expect(body.refreshToken).toBeUndefined();
    const set = res.cookies as { name: string; value: string; httpOnly?: boolean; sameSite?: string; path?: string }[];
    const byName = Object.fromEntries(set.map((c) => [c.name, c]));
    expect(byName.crealia_access).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(byName.crealia_refresh).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/api/auth" });
    expect(byName.crealia_csrf?.httpOnly).toBeFalsy();
    expect(byName.crealia_csrf?.value).toBe(body.csrfToken);
    const jar = cookiesOf(res);
    const cookies = { crealia_access: jar.crealia_access as string, crealia_csrf: jar.crealia_csrf as string };

    expect((await t.inject({ method: "GET", url: "/api/tenant", cookies })).statusCode).toBe(200);
    const noCsrf = await t.inject({ method: "PATCH", url: "/api/tenant", cookies, payload: { name: "Renamed" } });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe("KERNEL_CSRF");
    const wrongCsrf = await t.inject({ method: "PATCH", url: "/api/tenant", cookies, headers: { "x-csrf-token": "guess" }, payload: { name: "Renamed" } });
    expect(wrongCsrf.statusCode).toBe(403);
    const withCsrf = await t.inject({
      method: "PATCH",
      url: "/api/tenant",
      cookies,
      headers: { "x-csrf-token": body.csrfToken },
      payload: { name: "Renamed" },
    });
    expect(withCsrf.statusCode).toBe(200);

    const refreshNoCsrf = await t.inject({ method: "POST", url: "/api/auth/refresh", cookies: { crealia_refresh: jar.crealia_refresh as string } });
    expect(refreshNoCsrf.statusCode).toBe(403);
    const refreshed = await t.inject({
      method: "POST",
      url: "/api/auth/refresh",
      cookies: { crealia_refresh: jar.crealia_refresh as string, crealia_csrf: jar.crealia_csrf as string },
      headers: { "x-csrf-token": jar.crealia_csrf as string },
    });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().refreshToken).toBeUndefined();
    expect(cookiesOf(refreshed).crealia_refresh).not.toBe(jar.crealia_refresh);
  });

  test("API keys: scoped to a tenant and permissions, shown once, hashed, last-used, expiry, revocation", async () => {
    const owner = await t.signUp("keys@example.com");
    const created = await owner.inject({ method: "POST", url: "/api/tenant/api-keys", payload: { name: "ci", permissions: ["asset.read", "tenant.read"] } });
    expect(created.statusCode).toBe(201);
    const { apiKey, secret } = created.json();
    expect(secret).toMatch(/^crk_[0-9a-f]{32}_/);
    const stored = await t.kernel.database.knex("kernel.api_keys").where({ id: apiKey.id }).first();
    expect(JSON.stringify(stored)).not.toContain(secret.split("_").at(-1));
    const listed = (await owner.inject({ method: "GET", url: "/api/tenant/api-keys" })).json().apiKeys;
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(listed[0].lastUsedAt).toBeNull();

    const withKey = (url: string, method: "GET" | "PATCH" = "GET") =>
      t.inject({ method, url, headers: { authorization: `Bearer ${secret}` }, ...(method === "PATCH" ? { payload: { name: "x" } } : {}) });
    const read = await withKey("/api/tenant");
    expect(read.statusCode).toBe(200);
    expect(read.json().tenant.id).toBe(owner.ownTenantId);
    expect((await withKey("/api/assets")).statusCode).toBe(200);
    expect((await withKey("/api/tenant", "PATCH")).statusCode).toBe(403);
    expect((await withKey("/api/tenant/api-keys")).statusCode).toBe(403);
    expect((await owner.inject({ method: "GET", url: "/api/tenant/api-keys" })).json().apiKeys[0].lastUsedAt).not.toBeNull();

    // No key with more than its creator holds.
    const viewer = await t.signUp("keys-viewer@example.com");
    await t.addMember(owner.ownTenantId, viewer.id, "admin");
    const adminInOwner = await viewer.signInTo(owner.ownTenantId);
    const tooMuch = await adminInOwner.inject({ method: "POST", url: "/api/tenant/api-keys", payload: { name: "x", permissions: ["*"] } });
    expect(tooMuch.statusCode).toBe(403);

    expect((await owner.inject({ method: "DELETE", url: `/api/tenant/api-keys/${apiKey.id}` })).json().apiKey.revokedAt).not.toBeNull();
    expect((await withKey("/api/tenant")).statusCode).toBe(401);
    expect((await t.inject({ method: "GET", url: "/api/tenant", headers: { authorization: `Bearer ${secret.slice(0, -1)}x` } })).statusCode).toBe(401);

    const soon = new Date(Date.now() + 1500).toISOString();
    const short = (
      await owner.inject({ method: "POST", url: "/api/tenant/api-keys", payload: { name: "short", permissions: ["tenant.read"], expiresAt: soon } })
    ).json();
    expect((await t.inject({ method: "GET", url: "/api/tenant", headers: { authorization: `Bearer ${short.secret}` } })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await t.inject({ method: "GET", url: "/api/tenant", headers: { authorization: `Bearer ${short.secret}` } })).statusCode).toBe(401);
    const actions = (await t.kernel.identity.audit.list(owner.ownTenantId)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["api-key.created", "api-key.revoked", "signed-in", "account.signed-up"]));
  });
});
