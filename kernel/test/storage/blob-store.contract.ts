import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { BlobStore } from "../../src/storage/blob-store.js";

/** What each driver's test file provides to the shared suite. */
export interface ContractSubject {
  store: BlobStore;
  /** Temp files or unfinished uploads the backend still holds: must be empty after a failed write. */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

export const MiB = 1024 * 1024;

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** `total` bytes of `data` (repeated), in 64 KiB chunks, failing with `failWith` after `failAfter` bytes. */
export function chunked(data: Buffer, options: { total?: number; failAfter?: number; failWith?: Error } = {}): Readable {
  const total = options.total ?? data.length;
  return Readable.from(
    (async function* () {
      for (let sent = 0; sent < total; ) {
        if (options.failAfter !== undefined && sent >= options.failAfter) throw options.failWith ?? new Error("client went away");
        const n = Math.min(64 * 1024, total - sent);
        const at = sent % data.length;
        yield at + n <= data.length ? data.subarray(at, at + n) : Buffer.concat([data.subarray(at), data.subarray(0, n - (data.length - at))]);
        sent += n;
        // Let other I/O run, as a network stream would.
        if (sent % MiB === 0) await new Promise((r) => setImmediate(r));
      }
    })(),
    { objectMode: false },
  );
}

export async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "resolved",
    (err: { code?: string; message?: string }) => err.code ?? `uncoded: ${err.message}`,
  );
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export const BAD_KEYS = [
  "",
  "../x",
  "a/../../b",
  "a/..",
  "/abs",
  "/etc/passwd",
  "a//b",
  "a/",
  "a/./b",
  "a\\b",
  "..\\x",
  "C:\\x",
  "%2e%2e/x",
  "..%2Fx",
  "a%2F..%2F..%2Fb",
  "a b",
  "a/\0",
];

/**
 * The behaviour every BlobStore driver must have, byte for byte. Each test works under its own
 * prefix, so the suite shares one store and one backend per driver.
 */
export function blobStoreContract(name: string, open: () => Promise<ContractSubject>) {
  describe(`BlobStore contract: ${name}`, () => {
    let s: ContractSubject;
    let store: BlobStore;
    let n = 0;
    const prefix = () => `contract/t${++n}`;

    beforeAll(async () => {
      s = await open();
      store = s.store;
    });
    afterAll(async () => s?.close());

    test("a buffer round-trips byte for byte, with its stat", async () => {
      const p = prefix();
      const data = randomBytes(100_003);
      const before = Date.now();
      const stored = await store.put(`${p}/one.bin`, data, { contentType: "image/png" });
      expect(stored).toMatchObject({ key: `${p}/one.bin`, size: data.length, contentType: "image/png" });
      expect((await readAll(await store.get(`${p}/one.bin`))).equals(data)).toBe(true);
      const stat = await store.stat(`${p}/one.bin`);
      expect(stat).toMatchObject({ size: data.length, contentType: "image/png", etag: stored.etag });
      expect(stat?.etag).toMatch(/^[0-9a-f]{32}/);
      expect(Math.abs((stat?.lastModified.getTime() ?? 0) - before)).toBeLessThan(60_000);
      expect(await store.exists(`${p}/one.bin`)).toBe(true);
    });

    test("an empty blob round-trips", async () => {
      const p = prefix();
      await store.put(`${p}/empty`, Buffer.alloc(0));
      expect((await readAll(await store.get(`${p}/empty`))).length).toBe(0);
      expect((await store.stat(`${p}/empty`))?.size).toBe(0);
    });

    test("a ~20 MB stream round-trips byte for byte (multipart on S3)", async () => {
      const p = prefix();
      const data = randomBytes(20 * MiB + 12_345);
      const stored = await store.put(`${p}/big.bin`, chunked(data), { contentType: "video/mp4" });
      expect(stored.size).toBe(data.length);
      const back = await readAll(await store.get(`${p}/big.bin`));
      expect(back.length).toBe(data.length);
      expect(sha(back)).toBe(sha(data));
      expect(await store.stat(`${p}/big.bin`)).toMatchObject({ size: data.length, contentType: "video/mp4" });
    });

    test("an overwrite replaces bytes and content type", async () => {
      const p = prefix();
      await store.put(`${p}/x`, Buffer.from("first"), { contentType: "text/plain" });
      await store.put(`${p}/x`, Buffer.from("second!"), { contentType: "application/json" });
      expect((await readAll(await store.get(`${p}/x`))).toString()).toBe("second!");
      expect(await store.stat(`${p}/x`)).toMatchObject({ size: 7, contentType: "application/json" });
    });

    test("range reads return exactly the bytes asked for", async () => {
      const p = prefix();
      const data = randomBytes(10_000);
      await store.put(`${p}/r`, data);
      const read = async (start: number, end?: number) => readAll(await store.get(`${p}/r`, { range: { start, end } }));
      // Not (0, 0): s3rver takes an end of 0 for "no end" (S3 does not); (5, 5) covers one byte.
      expect((await read(0, 1)).equals(data.subarray(0, 2))).toBe(true);
      expect((await read(5, 5)).equals(data.subarray(5, 6))).toBe(true);
      expect((await read(10, 19)).equals(data.subarray(10, 20))).toBe(true);
      expect((await read(9_995)).equals(data.subarray(9_995))).toBe(true);
      expect((await read(9_000, 50_000)).equals(data.subarray(9_000))).toBe(true);
      expect(await codeOf(store.get(`${p}/r`, { range: { start: 10_000 } }))).toBe("KERNEL_BLOB_RANGE");
      expect(await codeOf(store.get(`${p}/r`, { range: { start: 20, end: 10 } }))).toBe("KERNEL_VALIDATION");
      expect(await codeOf(store.get(`${p}/r`, { range: { start: -1 } }))).toBe("KERNEL_VALIDATION");
    });

    test("a missing key: get and copy fail with KERNEL_BLOB_NOT_FOUND, stat is null, delete is a no-op", async () => {
      const p = prefix();
      expect(await codeOf(store.get(`${p}/nope`))).toBe("KERNEL_BLOB_NOT_FOUND");
      expect(await codeOf(store.get(`${p}/nope`, { range: { start: 0, end: 1 } }))).toBe("KERNEL_BLOB_NOT_FOUND");
      expect(await codeOf(store.copy(`${p}/nope`, `${p}/to`))).toBe("KERNEL_BLOB_NOT_FOUND");
      expect(await store.stat(`${p}/nope`)).toBeNull();
      expect(await store.exists(`${p}/nope`)).toBe(false);
      await store.delete(`${p}/nope`);
    });

    test("a key and keys under it coexist, as on S3", async () => {
      const p = prefix();
      await store.put(`${p}/a`, Buffer.from("parent"));
      await store.put(`${p}/a/b`, Buffer.from("child"));
      expect((await readAll(await store.get(`${p}/a`))).toString()).toBe("parent");
      expect((await readAll(await store.get(`${p}/a/b`))).toString()).toBe("child");
      expect((await store.list(`${p}/a`)).map((b) => b.key)).toEqual([`${p}/a/b`]);
      expect((await store.list(p)).map((b) => b.key)).toEqual([`${p}/a`, `${p}/a/b`]);
    });

    test("list pages through every key under the prefix, sorted, and nothing beside it", async () => {
      const p = prefix();
      const keys = Array.from({ length: 23 }, (_, i) => `${p}/items/${String(i).padStart(3, "0")}`);
      keys.push(`${p}/items/deep/er/leaf`, `${p}/items/a.b`);
      await Promise.all(keys.map((k, i) => store.put(k, Buffer.alloc(i + 1))));
      await store.put(`${p}/itemsX/1`, Buffer.from("a sibling"));
      const listed = await store.list(`${p}/items`);
      expect(listed.map((b) => b.key)).toEqual([...keys].sort());
      expect(listed.find((b) => b.key === keys[4])?.size).toBe(5);
      expect((await store.list(`${p}/items/`)).length).toBe(keys.length);
      expect((await store.list(p)).length).toBe(keys.length + 1);
      expect(await store.list(`${p}/none`)).toEqual([]);
      expect((await store.list("")).some((b) => b.key === `${p}/itemsX/1`)).toBe(true);
    });

    test("delete and deletePrefix remove what they name and nothing else", async () => {
      const p = prefix();
      for (const k of ["d/1", "d/2", "d/sub/3", "d", "dd/4", "keep"]) await store.put(`${p}/${k}`, Buffer.from(k));
      await store.delete(`${p}/keep`);
      expect(await store.exists(`${p}/keep`)).toBe(false);
      await store.deletePrefix(`${p}/d`);
      expect((await store.list(p)).map((b) => b.key)).toEqual([`${p}/d`, `${p}/dd/4`]);
      await store.deletePrefix(`${p}/nothing-here`);
      expect(await codeOf(store.deletePrefix(""))).toBe("KERNEL_BLOB_KEY_INVALID");
    });

    test("copy duplicates bytes and content type and leaves the source", async () => {
      const p = prefix();
      const data = randomBytes(70_000);
      await store.put(`${p}/src`, data, { contentType: "image/webp" });
      await store.copy(`${p}/src`, `${p}/copies/dst`);
      expect((await readAll(await store.get(`${p}/copies/dst`))).equals(data)).toBe(true);
      expect(await store.stat(`${p}/copies/dst`)).toMatchObject({ size: data.length, contentType: "image/webp" });
      expect((await readAll(await store.get(`${p}/src`))).equals(data)).toBe(true);
    });

    test("a presigned PUT then a presigned GET, through real HTTP, round-trip the bytes", async () => {
      const p = prefix();
      const data = randomBytes(300_000);
      const put = await store.presignPut(`${p}/up.jpg`, { expiresIn: 300, contentType: "image/jpeg", contentLength: data.length, maxBytes: MiB });
      expect(put).toMatchObject({ method: "PUT", headers: { "content-type": "image/jpeg" } });
      expect(put.expiresAt.getTime()).toBeGreaterThan(Date.now());
      const res = await fetch(put.url, { method: put.method, headers: put.headers, body: data });
      expect(res.status).toBe(200);
      expect(await store.stat(`${p}/up.jpg`)).toMatchObject({ size: data.length, contentType: "image/jpeg" });

      const url = await store.presignGet(`${p}/up.jpg`, { expiresIn: 300, filename: "Été 2024.jpg" });
      const got = await fetch(url);
      expect(got.status).toBe(200);
      expect(got.headers.get("content-disposition")).toContain("filename*=UTF-8''%C3%89t%C3%A9%202024.jpg");
      expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
      const ranged = await fetch(url, { headers: { range: "bytes=100-199" } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
    });

    test("presignPut pins sizes it can enforce and refuses the rest", async () => {
      const p = prefix();
      expect(await codeOf(store.presignPut(`${p}/u`, { expiresIn: 60, contentType: "image/png", maxBytes: 10 }))).toBe("KERNEL_VALIDATION");
      expect(await codeOf(store.presignPut(`${p}/u`, { expiresIn: 60, contentType: "image/png", contentLength: 11, maxBytes: 10 }))).toBe(
        "KERNEL_BLOB_TOO_LARGE",
      );
      expect(await codeOf(store.presignPut(`${p}/u`, { expiresIn: 0, contentType: "image/png" }))).toBe("KERNEL_VALIDATION");
      expect(await codeOf(store.presignGet(`${p}/u`, { expiresIn: 8 * 24 * 3600 }))).toBe("KERNEL_VALIDATION");
    });

    test("multipart: create, presign parts, upload them by HTTP, list, resume, complete", async () => {
      const p = prefix();
      const key = `${p}/video.mp4`;
      const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(123_457)];
      const uploadId = await store.createMultipart(key, { contentType: "video/mp4" });
      const send = async (n: number) => {
        const req = await store.presignPart(key, uploadId, n, { expiresIn: 600 });
        const res = await fetch(req.url, { method: req.method, headers: req.headers, body: parts[n - 1] });
        expect(res.status).toBe(200);
        return (res.headers.get("etag") ?? "").replaceAll('"', "");
      };
      // Parts 1 and 3 arrive; the client "crashes", then asks what is there and sends the rest.
      const etag1 = await send(1);
      const etag3 = await send(3);
      const listed = await store.listParts(key, uploadId);
      expect(listed).toEqual([
        { partNumber: 1, etag: etag1, size: 5 * MiB },
        { partNumber: 3, etag: etag3, size: 123_457 },
      ]);
      expect(await store.exists(key)).toBe(false);
      const etag2 = await send(2);
      const done = await store.completeMultipart(key, uploadId, [
        { partNumber: 1, etag: etag1 },
        { partNumber: 2, etag: `"${etag2}"` },
        { partNumber: 3, etag: etag3 },
      ]);
      expect(done).toMatchObject({ size: 10 * MiB + 123_457, contentType: "video/mp4" });
      expect(sha(await readAll(await store.get(key)))).toBe(sha(Buffer.concat(parts)));
      expect(await codeOf(store.listParts(key, uploadId))).toBe("KERNEL_BLOB_UPLOAD_NOT_FOUND");
    });

    test("multipart: completing without a part list takes every uploaded part", async () => {
      const p = prefix();
      const key = `${p}/v`;
      const uploadId = await store.createMultipart(key, { contentType: "video/webm" });
      const body = randomBytes(4_000);
      const req = await store.presignPart(key, uploadId, 1);
      expect((await fetch(req.url, { method: "PUT", body })).status).toBe(200);
      await store.completeMultipart(key, uploadId);
      expect((await readAll(await store.get(key))).equals(body)).toBe(true);
    });

    test("multipart: parts out of order or none at all are refused", async () => {
      const p = prefix();
      const uploadId = await store.createMultipart(`${p}/v`, { contentType: "video/mp4" });
      expect(await codeOf(store.completeMultipart(`${p}/v`, uploadId, []))).toBe("KERNEL_BLOB_MULTIPART");
      const out = [
        { partNumber: 2, etag: "a" },
        { partNumber: 1, etag: "b" },
      ];
      expect(await codeOf(store.completeMultipart(`${p}/v`, uploadId, out))).toBe("KERNEL_BLOB_MULTIPART");
      expect(await codeOf(store.presignPart(`${p}/v`, uploadId, 0))).toBe("KERNEL_VALIDATION");
      expect(await codeOf(store.presignPart(`${p}/v`, uploadId, 10_001))).toBe("KERNEL_VALIDATION");
      await store.abortMultipart(`${p}/v`, uploadId);
    });

    test("multipart: abort drops the upload and its parts; aborting twice is fine", async () => {
      const p = prefix();
      const key = `${p}/gone`;
      const uploadId = await store.createMultipart(key, { contentType: "video/mp4" });
      const req = await store.presignPart(key, uploadId, 1);
      expect((await fetch(req.url, { method: "PUT", body: randomBytes(1000) })).status).toBe(200);
      await store.abortMultipart(key, uploadId);
      expect(await codeOf(store.listParts(key, uploadId))).toBe("KERNEL_BLOB_UPLOAD_NOT_FOUND");
      expect(await codeOf(store.completeMultipart(key, uploadId))).toBe("KERNEL_BLOB_UPLOAD_NOT_FOUND");
      await store.abortMultipart(key, uploadId);
      expect(await store.exists(key)).toBe(false);
    });

    test("a 100 MB stream that fails half-way leaves no blob and no leftovers", async () => {
      const p = prefix();
      const failure = new Error("connection reset by peer");
      const body = chunked(randomBytes(MiB), { total: 100 * MiB, failAfter: 50 * MiB, failWith: failure });
      await expect(store.put(`${p}/half`, body, { contentType: "video/mp4" })).rejects.toBe(failure);
      expect(await store.stat(`${p}/half`)).toBeNull();
      expect(await store.list(p)).toEqual([]);
      expect(await s.leftovers()).toEqual([]);
    });

    test("a failed overwrite keeps the previous blob whole", async () => {
      const p = prefix();
      const old = randomBytes(1000);
      await store.put(`${p}/keep`, old);
      const body = chunked(randomBytes(MiB), { total: 12 * MiB, failAfter: 7 * MiB });
      await expect(store.put(`${p}/keep`, body)).rejects.toThrow("client went away");
      expect((await readAll(await store.get(`${p}/keep`))).equals(old)).toBe(true);
    });

    test("a body longer than maxBytes, or of another length than declared, is refused and leaves nothing", async () => {
      const p = prefix();
      expect(await codeOf(store.put(`${p}/big`, chunked(randomBytes(MiB), { total: 6 * MiB }), { maxBytes: 5 * MiB }))).toBe("KERNEL_BLOB_TOO_LARGE");
      expect(await codeOf(store.put(`${p}/short`, Buffer.alloc(10), { contentLength: 11 }))).toBe("KERNEL_BLOB_LENGTH");
      expect(await codeOf(store.put(`${p}/long`, chunked(randomBytes(1000)), { contentLength: 999 }))).toBe("KERNEL_BLOB_LENGTH");
      expect(await store.list(p)).toEqual([]);
      expect(await s.leftovers()).toEqual([]);
    });

    test("keys that could escape their prefix are refused by every method", async () => {
      const good = `${prefix()}/ok`;
      await store.put(good, Buffer.from("ok"));
      for (const bad of BAD_KEYS) {
        const calls: [string, () => Promise<unknown>][] = [
          ["put", () => store.put(bad, Buffer.from("x"))],
          ["get", () => store.get(bad)],
          ["stat", () => store.stat(bad)],
          ["exists", () => store.exists(bad)],
          ["delete", () => store.delete(bad)],

          ["copy from", () => store.copy(bad, good)],
          ["copy to", () => store.copy(good, bad)],
          ["presignGet", () => store.presignGet(bad, { expiresIn: 60 })],
          ["presignPut", () => store.presignPut(bad, { expiresIn: 60, contentType: "text/plain" })],
          ["createMultipart", () => store.createMultipart(bad, { contentType: "text/plain" })],
          ["presignPart", () => store.presignPart(bad, "upload", 1)],
          ["listParts", () => store.listParts(bad, "upload")],
          ["completeMultipart", () => store.completeMultipart(bad, "upload")],
          ["abortMultipart", () => store.abortMultipart(bad, "upload")],
        ];
        // A prefix may end in one "/" ("a/" is the folder "a"), and list("") lists everything.
        if (bad !== "a/") calls.push(["deletePrefix", () => store.deletePrefix(bad)]);
        if (bad !== "a/" && bad !== "") calls.push(["list", () => store.list(bad)]);
        for (const [method, call] of calls)
          expect(`${method}(${JSON.stringify(bad)}): ${await codeOf(call())}`).toBe(`${method}(${JSON.stringify(bad)}): KERNEL_BLOB_KEY_INVALID`);
      }
      expect((await readAll(await store.get(good))).toString()).toBe("ok");
    });
  });
}
