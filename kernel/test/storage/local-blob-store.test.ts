import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config.js";
import { registerBlobRoutes } from "../../src/http/blob-routes.js";
import { installErrorHandling } from "../../src/http/error-handler.js";
import { kernelSecret } from "../../src/kernel-secret.js";
import { createBlobStore } from "../../src/storage/create-blob-store.js";
import { LocalBlobStore } from "../../src/storage/local-blob-store.js";
import { blobStoreContract, codeOf, MiB, readAll } from "./blob-store.contract.js";

const SECRET = "local-blob-store-test-secret-0123456789";

/** A kernel-like HTTP server with the blob routes, and a store whose URLs point at it. */
async function startLocal(root: string): Promise<{ app: FastifyInstance; store: LocalBlobStore; baseUrl: string }> {
  const app = Fastify();
  installErrorHandling(app);
  // The routes get their own instance: URLs signed by one instance verify in another with the same secret (a restart).
  await registerBlobRoutes(app, new LocalBlobStore(root, { secret: SECRET }));
  const baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, store: new LocalBlobStore(root, { secret: SECRET, publicBaseUrl: baseUrl }), baseUrl };
}

/** Temp files and unfinished uploads left in the store's folder. */
async function leftovers(root: string): Promise<string[]> {
  const names = async (dir: string) => (await readdir(path.join(root, dir)).catch(() => [])).map((n) => `${dir}/${n}`);
  return [...(await names("tmp")), ...(await names("uploads"))];
}

blobStoreContract("local disk", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "crealia-blobs-"));
  const { app, store } = await startLocal(root);
  return {
    store,
    leftovers: () => leftovers(root),
    async close() {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
});

describe("local presigned URLs and blob routes", () => {
  let root: string;
  let app: FastifyInstance;
  let store: LocalBlobStore;
  const data = randomBytes(10_000);

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), "crealia-blob-routes-"));
    ({ app, store } = await startLocal(root));
    await store.put("r/blob.bin", data, { contentType: "application/pdf" });
  });
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  test("a tampered URL is refused", async () => {
    const url = await store.presignGet("r/blob.bin", { expiresIn: 60 });
    const [base, token = ""] = url.split("/api/blobs/");
    const [payload = "", mac = ""] = token.split(".");
    // Another key in the payload with the old signature, and the right payload with a changed signature.
    const otherKey = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), key: "r/other" })).toString("base64url");
    for (const bad of [`${otherKey}.${mac}`, `${payload}.${mac.slice(0, -2)}AA`, payload, `${token}.x`, "garbage"]) {
      const res = await fetch(`${base}/api/blobs/${bad}`);
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe("KERNEL_BLOB_URL_INVALID");
    }
  });

  test("an expired URL is refused", async () => {
    const expired = store.grantUrl({ op: "get", key: "r/blob.bin", exp: Math.floor(Date.now() / 1000) - 1 });
    const res = await fetch(expired);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
  });

  test("a URL signed with another secret is refused", async () => {
    const other = new LocalBlobStore(root, {
      secret: "another-secret-another-secret-another",
      publicBaseUrl: (await store.presignGet("r/blob.bin", { expiresIn: 60 })).split("/api/")[0],
    });
    expect((await fetch(await other.presignGet("r/blob.bin", { expiresIn: 60 }))).status).toBe(403);
  });

  test("a GET URL cannot upload and a PUT URL cannot read", async () => {
    const get = await store.presignGet("r/blob.bin", { expiresIn: 60 });
    expect((await fetch(get, { method: "PUT", headers: { "content-type": "text/plain" }, body: "overwrite" })).status).toBe(403);
    const put = await store.presignPut("r/blob.bin", { expiresIn: 60, contentType: "text/plain" });
    expect((await fetch(put.url)).status).toBe(403);
    expect((await readAll(await store.get("r/blob.bin"))).equals(data)).toBe(true);
  });

  test("a PUT must send the signed Content-Type and the pinned length", async () => {
    const put = await store.presignPut("r/up", { expiresIn: 60, contentType: "image/png", contentLength: 5 });
    const wrongType = await fetch(put.url, { method: "PUT", headers: { "content-type": "text/html" }, body: "hello" });
    expect(wrongType.status).toBe(403);
    const tooLong = await fetch(put.url, { method: "PUT", headers: put.headers, body: "hello world" });
    expect(tooLong.status).toBe(400);
    expect(await errorCode(tooLong)).toBe("KERNEL_BLOB_LENGTH");
    expect(await store.exists("r/up")).toBe(false);
    expect((await fetch(put.url, { method: "PUT", headers: put.headers, body: "hello" })).status).toBe(200);
    expect(await store.stat("r/up")).toMatchObject({ size: 5, contentType: "image/png" });
  });

  test("GET serves ranges (206), suffix ranges, HEAD, and 416 past the end", async () => {
    const url = await store.presignGet("r/blob.bin", { expiresIn: 60 });
    const full = await fetch(url);
    expect(full.headers.get("content-type")).toBe("application/pdf");
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(full.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(Buffer.from(await full.arrayBuffer()).equals(data)).toBe(true);

    const part = await fetch(url, { headers: { range: "bytes=1000-1999" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 1000-1999/10000");
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1000, 2000))).toBe(true);

    const tail = await fetch(url, { headers: { range: "bytes=-100" } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(data.subarray(9_900))).toBe(true);

    const past = await fetch(url, { headers: { range: "bytes=10000-" } });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe("bytes */10000");
    expect(await errorCode(past)).toBe("KERNEL_BLOB_RANGE");

    const head = await fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("10000");
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  test("a blob deleted after its URL was made answers 404", async () => {
    await store.put("r/short-lived", Buffer.from("x"));
    const url = await store.presignGet("r/short-lived", { expiresIn: 60 });
    await store.delete("r/short-lived");
    const res = await fetch(url);
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe("KERNEL_BLOB_NOT_FOUND");
  });

  test("a 100 MB PUT cut off half-way leaves no half blob", async () => {
    const total = 100 * MiB;
    const put = await store.presignPut("r/video.mp4", { expiresIn: 60, contentType: "video/mp4", contentLength: total, maxBytes: 2 * total });
    const url = new URL(put.url);
    const chunk = randomBytes(MiB);
    await new Promise<void>((resolve) => {
      const req = http.request(url, { method: "PUT", headers: { ...put.headers, "content-length": String(total) } });
      req.on("error", () => resolve());
      req.on("response", () => resolve());
      let sent = 0;
      const pump = () => {
        while (sent < total / 2) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        // The client dies half-way: the socket closes with 50 MB of 100 MB sent.
        setTimeout(() => req.destroy(), 50);
      };
      pump();
    });
    for (let i = 0; i < 100 && (await leftovers(root)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await leftovers(root)).toEqual([]);
    expect(await store.exists("r/video.mp4")).toBe(false);
  });

  test("multipart on disk keeps S3's rules: 5 MiB parts but the last, matching etags, no parts after abort", async () => {
    const key = "r/mp.mov";
    const uploadId = await store.createMultipart(key, { contentType: "video/quicktime" });
    const send = async (n: number, body: Uint8Array<ArrayBuffer>) => {
      const req = await store.presignPart(key, uploadId, n);
      const res = await fetch(req.url, { method: "PUT", body });
      return { status: res.status, etag: (res.headers.get("etag") ?? "").replaceAll('"', "") };
    };
    const one = await send(1, randomBytes(1000));
    const two = await send(2, randomBytes(1000));
    expect(await codeOf(store.completeMultipart(key, uploadId))).toBe("KERNEL_BLOB_MULTIPART");
    expect(await codeOf(store.completeMultipart(key, uploadId, [{ partNumber: 1, etag: two.etag }]))).toBe("KERNEL_BLOB_MULTIPART");
    expect(await codeOf(store.completeMultipart(key, uploadId, [{ partNumber: 3, etag: one.etag }]))).toBe("KERNEL_BLOB_MULTIPART");
    expect(await codeOf(store.completeMultipart("r/other-key", uploadId))).toBe("KERNEL_BLOB_UPLOAD_NOT_FOUND");
    // Only part 1 is assembled; part 2 is dropped with the upload. Its etag is S3's `<md5 of md5s>-1`.
    const done = await store.completeMultipart(key, uploadId, [{ partNumber: 1, etag: one.etag }]);
    expect(done.etag).toMatch(/^[0-9a-f]{32}-1$/);
    const late = await send(3, randomBytes(10));
    expect(late.status).toBe(404);
    expect(await leftovers(root)).toEqual([]);
  });

  test("an upload id that is not one of ours is simply unknown", async () => {
    expect(await codeOf(store.listParts("r/x", "../../etc"))).toBe("KERNEL_BLOB_UPLOAD_NOT_FOUND");
    await store.abortMultipart("r/x", "../../etc");
  });

  test("blobs live under objects/ in the store's folder, nowhere else", async () => {
    await store.put("r/where/is/it", Buffer.from("here"));
    expect(readFileSync(path.join(root, "objects/r/where/is/it/@blob"), "utf8")).toBe("here");
  });
});

describe("the kernel secret and the factory", () => {
  test("without CREALIA_SECRET a random secret is made once in <home>/secret and kept", () => {
    const home = mkdtempSync(path.join(os.tmpdir(), "crealia-home-"));
    try {
      const config = loadConfig({ CREALIA_HOME: home }, home);
      expect(config.secret).toBeNull();
      const first = kernelSecret(config);
      expect(first).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(path.join(home, "secret")).mode & 0o777).toBe(0o600);
      expect(kernelSecret(loadConfig({ CREALIA_HOME: home }, home))).toBe(first);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("CREALIA_SECRET wins and writes nothing; a short one is refused", () => {
    const home = mkdtempSync(path.join(os.tmpdir(), "crealia-home-"));
    try {
      const secret = "s".repeat(40);
      expect(kernelSecret(loadConfig({ CREALIA_HOME: home, CREALIA_SECRET: secret }, home))).toBe(secret);
      expect(existsSync(path.join(home, "secret"))).toBe(false);
      expect(() => loadConfig({ CREALIA_SECRET: "short" }, home)).toThrow(/CREALIA_SECRET must have at least 32 characters/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("URLs survive a restart: a new store from the same config verifies them", async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), "crealia-home-"));
    try {
      const config = loadConfig({ CREALIA_HOME: home, CREALIA_PUBLIC_URL: "https://media.example/" }, home);
      const before = createBlobStore(config) as LocalBlobStore;
      expect(before.kind).toBe("local");
      const url = await before.presignGet("a/b", { expiresIn: 60 });
      expect(url.startsWith("https://media.example/api/blobs/")).toBe(true);
      const after = createBlobStore(config) as LocalBlobStore;
      expect(after.readGrant(url.split("/api/blobs/")[1] ?? "")).toMatchObject({ op: "get", key: "a/b" });
      expect(after.root).toBe(config.blobsDir);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
