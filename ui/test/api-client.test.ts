import { describe, expect, test, vi } from "vitest";
import { ActivityTracker, type Clock } from "../src/api/activity.js";
import { ApiClient, buildQuery, type XhrLike } from "../src/api/client.js";
import { ApiError, humanMessage, messageOf } from "../src/api/errors.js";
import { LOCAL_SESSION, loadSession, readCookie } from "../src/auth/session.js";

type Call = { url: string; init: RequestInit };
function fakeFetch(responses: (Response | Error)[]) {
  const calls: Call[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const next = responses.shift();
    if (!next) throw new Error("no more responses");
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { fn, calls };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("query strings", () => {
  test("keep defined values, in key order; drop empty, false and null", () => {
    expect(buildQuery({ q: "sun", limit: 200, kind: undefined, deleted: false, tag: "", cursor: null })).toBe("?limit=200&q=sun");
    expect(buildQuery({ deleted: true, from: "2026-01-01T00:00:00.000Z" })).toBe("?deleted=true&from=2026-01-01T00%3A00%3A00.000Z");
    expect(buildQuery({})).toBe("");
  });
});

describe("ApiClient", () => {
  test("GET decodes JSON and builds typed URLs", async () => {
    const f = fakeFetch([json(200, { assets: [], nextCursor: null })]);
    const api = new ApiClient({ fetch: f.fn });
    await expect(api.listAssets({ kind: "image", q: "beach", limit: 50 })).resolves.toEqual({ assets: [], nextCursor: null });
    expect(f.calls[0]?.url).toBe("/api/assets?kind=image&limit=50&q=beach");
    expect(f.calls[0]?.init.method).toBe("GET");
  });

  test("writes send JSON with the CSRF token; 204 resolves undefined", async () => {
    const f = fakeFetch([new Response(null, { status: 204 })]);
    const api = new ApiClient({ fetch: f.fn, csrfToken: () => "tok" });
    await expect(api.removeFromProject("p1", ["a1"])).resolves.toBeUndefined();
    const init = f.calls[0]?.init as RequestInit & { headers: Record<string, string> };
    expect(init.method).toBe("DELETE");
    expect(init.headers["x-csrf-token"]).toBe("tok");
    expect(init.headers["content-type"]).toBe("application/json");
    expect(init.body).toBe(JSON.stringify({ assetIds: ["a1"] }));
  });

  test("a kernel error body becomes an ApiError with the code and a human message", async () => {
    const f = fakeFetch([json(415, { error: { code: "KERNEL_UNSUPPORTED_MEDIA", message: "application/pdf is not an image" } }, { "x-request-id": "r1" })]);
    const err = (await new ApiClient({ fetch: f.fn }).getAsset("x").catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("KERNEL_UNSUPPORTED_MEDIA");
    expect(err.status).toBe(415);
    expect(err.requestId).toBe("r1");
    expect(err.detail).toBe("application/pdf is not an image");
    expect(err.message).toMatch(/file type isn't supported/);
  });

  test("validation errors keep the kernel's readable detail", async () => {
    const f = fakeFetch([json(400, { error: { code: "KERNEL_VALIDATION", message: "body/name must NOT have fewer than 1 characters" } })]);
    const err = (await new ApiClient({ fetch: f.fn }).createProject("", "album").catch((e) => e)) as ApiError;
    expect(err.message).toBe("The request was refused: body/name must NOT have fewer than 1 characters.");
  });

  test("network failures, non-JSON errors and unreadable answers all get words", async () => {
    const f = fakeFetch([new TypeError("fetch failed"), new Response("<html>bad gateway</html>", { status: 502 }), new Response("not json", { status: 200 })]);
    const api = new ApiClient({ fetch: f.fn });
    const a = (await api.plugins().catch((e) => e)) as ApiError;
    expect(a.code).toBe("CLIENT_NETWORK");
    expect(a.message).toMatch(/Can't reach the Crealia server/);
    const b = (await api.plugins().catch((e) => e)) as ApiError;
    expect(b.status).toBe(502);
    expect(b.message).toMatch(/busy or restarting/);
    const c = (await api.plugins().catch((e) => e)) as ApiError;
    expect(c.code).toBe("CLIENT_BAD_RESPONSE");
  });

  test("every request is counted for the progress indicator, and uncounted when it ends, failed or not", async () => {
    const ends = vi.fn();
    const begin = vi.fn(() => ends);
    const f = fakeFetch([json(200, {}), new TypeError("down"), json(500, { error: { code: "KERNEL_INTERNAL", message: "x" } })]);
    const api = new ApiClient({ fetch: f.fn, onRequest: begin });
    await api.panels();
    await api.panels().catch(() => {});
    await api.panels().catch(() => {});
    await api.request("GET", "/api/ui/panels", { track: false }).catch(() => {});
    expect(begin).toHaveBeenCalledTimes(3);
    expect(ends).toHaveBeenCalledTimes(3);
  });

  test("a 401 refreshes the session once (shared by concurrent requests) and retries", async () => {
    const f = fakeFetch([
      json(401, { error: { code: "KERNEL_UNAUTHENTICATED", message: "expired" } }),
      json(401, { error: { code: "KERNEL_UNAUTHENTICATED", message: "expired" } }),
      json(200, { plugins: [] }),
      json(200, { panels: [] }),
    ]);
    let refreshes = 0;
    const onUnauthenticated = vi.fn();
    const api = new ApiClient({
      fetch: f.fn,
      onUnauthenticated,
      refresh: async () => {
        refreshes++;
        await new Promise((r) => setTimeout(r, 5));
        return true;
      },
    });
    const [a, b] = await Promise.all([api.plugins(), api.panels()]);
    expect(a).toEqual({ plugins: [] });
    expect(b).toEqual({ panels: [] });
    expect(refreshes).toBe(1);
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  test("a 401 that a refresh can't cure signals sign-in", async () => {
    const f = fakeFetch([json(401, { error: { code: "KERNEL_UNAUTHENTICATED", message: "no" } })]);
    const onUnauthenticated = vi.fn();
    const api = new ApiClient({ fetch: f.fn, onUnauthenticated, refresh: async () => false });
    const err = (await api.plugins().catch((e) => e)) as ApiError;
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/Sign in again/);
    expect(onUnauthenticated).toHaveBeenCalledOnce();
  });
});

class FakeXhr implements XhrLike {
  static last: FakeXhr;
  upload: XhrLike["upload"] = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  responseText = "";
  withCredentials = false;
  opened: [string, string] | null = null;
  headers: Record<string, string> = {};
  sent: unknown;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.opened = [method, url];
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  getResponseHeader() {
    return "req-9";
  }
  send(body: unknown) {
    this.sent = body;
  }
  abort() {
    this.onabort?.();
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

describe("uploads (XMLHttpRequest, for per-file progress)", () => {
  test("reports progress and resolves with the asset and its ingest job", async () => {
    const progress: number[] = [];
    const api = new ApiClient({ xhr: () => new FakeXhr(), csrfToken: () => "c" });
    const file = new File([new Uint8Array(1000)], "beach.jpg", { type: "image/jpeg" });
    const handle = api.upload(file, { name: "beach.jpg", tags: ["sea", "sun"], onProgress: (p) => progress.push(p.loaded / p.total) });
    const xhr = FakeXhr.last;
    expect(xhr.opened).toEqual(["POST", "/api/assets"]);
    expect(xhr.headers["x-csrf-token"]).toBe("c");
    const form = xhr.sent as FormData;
    expect(form.get("tags")).toBe("sea,sun");
    expect((form.get("file") as File).name).toBe("beach.jpg");
    xhr.upload.onprogress?.({ loaded: 250, total: 1000, lengthComputable: true });
    xhr.upload.onprogress?.({ loaded: 1000, total: 1000, lengthComputable: true });
    xhr.respond(201, { asset: { id: "a1" }, jobId: "j1" });
    await expect(handle.promise).resolves.toEqual({ asset: { id: "a1" }, jobId: "j1" });
    expect(progress).toEqual([0.25, 1]);
  });

  test("a refused upload rejects with the kernel's code in words; abort rejects as cancelled", async () => {
    const api = new ApiClient({ xhr: () => new FakeXhr() });
    const handle = api.upload(new Blob(["x"]));
    FakeXhr.last.respond(413, { error: { code: "KERNEL_UPLOAD_TOO_LARGE", message: "the limit is 2 GiB" } });
    const err = (await handle.promise.catch((e) => e)) as ApiError;
    expect(err.code).toBe("KERNEL_UPLOAD_TOO_LARGE");
    expect(err.requestId).toBe("req-9");
    expect(err.message).toContain("the limit is 2 GiB");
    const second = api.upload(new Blob(["x"]));
    second.abort();
    expect(((await second.promise.catch((e) => e)) as ApiError).code).toBe("CLIENT_ABORTED");
    const third = api.upload(new Blob(["x"]));
    FakeXhr.last.onerror?.();
    expect(((await third.promise.catch((e) => e)) as ApiError).code).toBe("CLIENT_NETWORK");
  });
});

describe("progress after 300 ms", () => {
  test("only requests pending longer than the threshold show progress", () => {
    const timers: { fn: () => void; at: number; cleared: boolean }[] = [];
    const clock: Clock = {
      set: (fn, ms) => {
        const t = { fn, at: ms, cleared: false };
        timers.push(t);
        return t;
      },
      clear: (t) => void ((t as { cleared: boolean }).cleared = true),
    };
    const states: { pending: number; slow: boolean }[] = [];
    const tracker = new ActivityTracker((s) => states.push(s), clock, 300);
    const endFast = tracker.begin();
    endFast();
    expect(timers[0]?.cleared).toBe(true);
    expect(states.some((s) => s.slow)).toBe(false);
    const endSlow = tracker.begin();
    timers[1]?.fn();
    expect(tracker.state).toEqual({ pending: 1, slow: true });
    endSlow();
    endSlow();
    expect(tracker.state).toEqual({ pending: 0, slow: false });
  });
});

describe("messages", () => {
  test("fall back by status when the code is unknown", () => {
    expect(humanMessage(0, "X", "")).toMatch(/Can't reach/);
    expect(humanMessage(429, "X", "")).toMatch(/Too many attempts/);
    expect(humanMessage(503, "X", "")).toMatch(/busy or restarting/);
    expect(humanMessage(500, "X", "stack trace here")).not.toContain("stack trace");
    expect(humanMessage(409, "KERNEL_MODEL_NOT_INSTALLED", "", { modelId: "blazeface-back", fetch: "crealia models fetch blazeface-back" })).toBe(
      'The AI model "blazeface-back" this feature needs isn\'t installed on the server. An admin can install it with `crealia models fetch blazeface-back`.',
    );
    expect(messageOf(new Error("boom"))).toBe("Something went wrong. Try again.");
    expect(messageOf(new TypeError("Failed to fetch"))).toMatch(/Can't reach/);
  });
});

describe("session", () => {
  test("local mode when the kernel has no identity routes, or the caller is not a session", async () => {
    const api404 = new ApiClient({ fetch: fakeFetch([json(404, { error: { code: "KERNEL_NOT_FOUND", message: "no route" } })]).fn });
    expect(await loadSession(api404)).toEqual(LOCAL_SESSION);
    const api403 = new ApiClient({ fetch: fakeFetch([json(403, { error: { code: "KERNEL_FORBIDDEN", message: "needs a signed-in user" } })]).fn });
    expect((await loadSession(api403)).mode).toBe("local");
    const local = new ApiClient({ fetch: fakeFetch([json(200, { mode: "local", user: null })]).fn });
    expect(await loadSession(local)).toEqual(LOCAL_SESSION);
  });

  test("accounts: signed in (200) or signed out (401)", async () => {
    const me = { user: { id: "u1", email: "a@b.c" }, tenantId: "t1", permissions: ["asset.read"], tenants: [{ id: "t1", name: "Studio", role: "owner" }] };
    const s = await loadSession(new ApiClient({ fetch: fakeFetch([json(200, me)]).fn }));
    expect(s).toEqual({ mode: "accounts", user: me.user, tenants: me.tenants, tenantId: "t1", permissions: ["asset.read"] });
    const out = await loadSession(new ApiClient({ fetch: fakeFetch([json(401, { error: { code: "KERNEL_UNAUTHENTICATED", message: "sign in" } })]).fn }));
    expect(out).toMatchObject({ mode: "accounts", user: null });
  });

  test("reads the CSRF cookie", () => {
    expect(readCookie("crealia_csrf", "a=1; crealia_csrf=abc%3D; b=2")).toBe("abc=");
    expect(readCookie("crealia_csrf", "a=1")).toBeNull();
  });
});
