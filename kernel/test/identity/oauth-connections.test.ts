import type { IncomingMessage } from "node:http";
import { OAuth2Server } from "oauth2-mock-server";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestKernel, type TestKernel, type TestUser } from "../../src/testing/index.js";
import { fixture } from "../fixtures.js";

describe("OAuth2 connections for plugins, against a local authorization server", () => {
  let t: TestKernel;
  let server: OAuth2Server;
  let user: TestUser;
  const logLines: string[] = [];
  /** Every access and refresh token the authorization server handed out. */
  const issued: string[] = [];
  const revokedRefreshTokens = new Set<string>();
  const grants: string[] = [];
  const responses: string[] = [];

  const record = async <R extends { body: string; headers: Record<string, unknown> }>(res: R): Promise<R> => {
    responses.push(res.body, JSON.stringify(res.headers));
    return res;
  };

  beforeAll(async () => {
    server = new OAuth2Server();
    await server.issuer.keys.generate("RS256");
    await server.start(0, "127.0.0.1");
    server.service.on(
      "beforeResponse",
      (response: { body: Record<string, unknown>; statusCode: number }, req: IncomingMessage & { body: Record<string, string> }) => {
        grants.push(req.body.grant_type as string);
        if (req.body.grant_type === "refresh_token" && revokedRefreshTokens.has(req.body.refresh_token as string)) {
          response.statusCode = 400;
          response.body = { error: "invalid_grant", error_description: `refresh token ${req.body.refresh_token} was revoked` };
          return;
        }
        for (const k of ["access_token", "refresh_token", "id_token"]) if (typeof response.body[k] === "string") issued.push(response.body[k] as string);
      },
    );
    const logger = pino({ level: "trace" }, { write: (line: string) => void logLines.push(line) });
    t = await createTestKernel({ plugins: [fixture("social")], auth: "accounts", logger });
    user = await t.signUp("social@example.com");
    const base = server.issuer.url as string;
    await record(
      await user.inject({
        method: "PATCH",
        url: "/api/tenant/plugins/fixture-social",
        payload: {
          settings: { authorizationUrl: `${base}/authorize`, tokenUrl: `${base}/token`, userinfoUrl: `${base}/userinfo`, clientId: "crealia-fixture" },
        },
      }),
    );
    await record(await user.inject({ method: "PUT", url: "/api/tenant/plugins/fixture-social/secrets/clientSecret", payload: { value: "client-secret-xyz" } }));
  });
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  /** Runs the browser's part: follow the authorization URL, come back to the callback. */
  async function connect(): Promise<{ state: string; callback: string }> {
    const start = await record(await user.inject({ method: "POST", url: "/api/oauth/fixture-social/mock/connect", payload: {} }));
    expect(start.statusCode).toBe(200);
    const url = new URL(start.json().authorizationUrl);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("scope")).toBe("openid publish");
    const state = url.searchParams.get("state") as string;
    const auth = await fetch(url, { redirect: "manual" });
    expect(auth.status).toBe(302);
    const back = new URL(auth.headers.get("location") as string);
    expect(back.pathname).toBe("/api/oauth/callback");
    expect(back.searchParams.get("state")).toBe(state);
    return { state, callback: `${back.pathname}${back.search}` };
  }

  test("connect → callback (PKCE, state) → refresh before expiry → refused refresh: reconnect needed; tokens never shown or logged", async () => {
    const { callback } = await connect();
    // The callback is reached by the browser; it needs no token of ours, the state binds it to the tenant.
    const done = await record(await t.inject({ method: "GET", url: callback }));
    expect(done.statusCode).toBe(200);
    const connection = done.json().connection;
    expect(connection).toMatchObject({ pluginId: "fixture-social", provider: "mock", status: "connected" });
    expect(grants).toEqual(["authorization_code"]);
    // The state is single use.
    const replay = await record(await t.inject({ method: "GET", url: callback }));
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error.code).toBe("KERNEL_OAUTH_STATE");

    // The plugin uses the stored token: no refresh while it is fresh.
    const pub = await record(await user.inject({ method: "POST", url: "/api/p/fixture-social/v1/publish" }));
    expect(pub.json()).toEqual({ publishedAs: "johndoe", connection: "connected" });
    expect(grants).toEqual(["authorization_code"]);

    // Near expiry, the kernel refreshes before handing the token out.
    await t.kernel.database
      .knex("kernel.oauth_connections")
      .where({ id: connection.id })
      .update({ expires_at: new Date(Date.now() + 20_000) });
    expect((await record(await user.inject({ method: "POST", url: "/api/p/fixture-social/v1/publish" }))).statusCode).toBe(200);
    expect(grants).toEqual(["authorization_code", "refresh_token"]);
    const refreshed = await record(await user.inject({ method: "POST", url: `/api/oauth/connections/${connection.id}/refresh` }));
    expect(refreshed.statusCode).toBe(200);
    expect(grants).toEqual(["authorization_code", "refresh_token", "refresh_token"]);

    // The user revokes access at the provider: the next refresh is refused.
    for (const token of issued) revokedRefreshTokens.add(token);
    const refused = await record(await user.inject({ method: "POST", url: `/api/oauth/connections/${connection.id}/refresh` }));
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe("KERNEL_OAUTH_RECONNECT_NEEDED");
    const list = await record(await user.inject({ method: "GET", url: "/api/oauth/connections" }));
    expect(list.json().connections).toEqual([
      expect.objectContaining({ id: connection.id, status: "reconnect_needed", lastError: expect.stringMatching(/invalid_grant/) }),
    ]);
    const plugin = await record(await user.inject({ method: "POST", url: "/api/p/fixture-social/v1/publish" }));
    expect(plugin.statusCode).toBe(409);
    expect(plugin.json().error.code).toBe("KERNEL_OAUTH_RECONNECT_NEEDED");

    // Connecting again brings it back.
    const again = await connect();
    expect((await record(await t.inject({ method: "GET", url: again.callback }))).json().connection.status).toBe("connected");
    expect((await record(await user.inject({ method: "POST", url: "/api/p/fixture-social/v1/publish" }))).statusCode).toBe(200);
    const audit = (await record(await user.inject({ method: "GET", url: "/api/tenant/audit" }))).json().events.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(["oauth.connected", "oauth.reconnect-needed"]));

    // Not one token in any response, any log line, or the database in the clear.
    expect(issued.length).toBeGreaterThanOrEqual(8);
    const rows = JSON.stringify(await t.kernel.database.knex("kernel.oauth_connections").select());
    expect(logLines.length).toBeGreaterThan(10);
    for (const token of issued) {
      for (const body of responses) expect(body).not.toContain(token);
      for (const line of logLines) expect(line).not.toContain(token);
      expect(rows).not.toContain(token);
    }
    expect(logLines.join("\n")).not.toContain("client-secret-xyz");
  });

  test("a denied authorization and a forged state are refused; another tenant cannot see or refresh the connection", async () => {
    const start = await user.inject({ method: "POST", url: "/api/oauth/fixture-social/mock/connect", payload: {} });
    const state = new URL(start.json().authorizationUrl).searchParams.get("state");
    const denied = await t.inject({ method: "GET", url: `/api/oauth/callback?state=${state}&error=access_denied` });
    expect(denied.json().error.code).toBe("KERNEL_OAUTH_DENIED");
    const forged = await t.inject({ method: "GET", url: "/api/oauth/callback?state=forged&code=abc" });
    expect(forged.json().error.code).toBe("KERNEL_OAUTH_STATE");

    const [connection] = (await user.inject({ method: "GET", url: "/api/oauth/connections" })).json().connections;
    const other = await t.signUp("other-social@example.com");
    expect((await other.inject({ method: "GET", url: "/api/oauth/connections" })).json().connections).toEqual([]);
    expect((await other.inject({ method: "POST", url: `/api/oauth/connections/${connection.id}/refresh` })).statusCode).toBe(404);
    expect((await other.inject({ method: "DELETE", url: `/api/oauth/connections/${connection.id}` })).statusCode).toBe(404);
    const notConnected = await other.inject({ method: "POST", url: "/api/p/fixture-social/v1/publish" });
    expect(notConnected.json().error.code).toBe("KERNEL_OAUTH_NOT_CONNECTED");
    expect((await user.inject({ method: "DELETE", url: `/api/oauth/connections/${connection.id}` })).statusCode).toBe(204);
  });
});
